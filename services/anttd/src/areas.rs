//! The `antt.v1.Areas` service: reads each request into an area command, loads the facts
//! about other areas it needs (the parent, the areas merged), and records it through
//! [`Commands`]. Each call runs in a span named after the RPC with the area id.
//!
//! Status codes, consistently:
//! - INVALID_ARGUMENT: malformed fields, all of them at once, named by their path in the
//!   request (the domain's own field names are translated to those paths).
//! - FAILED_PRECONDITION: well formed but against the records, including a command that
//!   names an area that is not registered (as the area itself, a parent or a part): the
//!   records must change (the area be registered) before it can succeed.
//! - NOT_FOUND: only for reads (`GetArea`).
//!
//! # Commands on several areas
//! A merger or a split writes several streams, and the log has no transaction across
//! streams. So: (1) every step is checked first against the current records, and a step
//! that would break a rule refuses the whole command before anything is written;
//! (2) the other areas are written first and the area named by the request (the survivor
//! of a merger, the area split) last, so its event marks the command complete;
//! (3) each step is an ordinary idempotent command with its own request id: the last step
//! uses the client's request id, the others ids derived from it with UUID v5, so a retry
//! with the same request id skips the steps already written and finishes the rest. All
//! steps carry the digest of the whole request, so reusing its request id for another
//! request is refused even when only some steps were written.

use antt_access::Principal;
use std::collections::{BTreeMap, BTreeSet};

use antt_domain::area::{self, Area};
use antt_domain::{limits, AreaFacts, Date, Decision, DomainError};
use antt_log::{EventLog, Violation};
use antt_proto::v1 as pb;
use antt_proto::v1::areas_server::{Areas, AreasServer};
use tonic::{Request, Response, Status};
use tracing::{field, Span};
use uuid::Uuid;

use crate::commands::{request_digest, CommandHeader, Commands};
use crate::request::{self, Fields};
use crate::status;
use crate::steps::{self, Steps, Written};
use crate::views::{self, area::AreaHistory};

/// The stream of an area's events.
pub fn stream_id(area_id: Uuid) -> String {
    format!("area-{area_id}")
}

/// The areas `area_id` lay within on `date`, nearest first, as the area tree stood then:
/// read from the areas' own records (their timelines), the same the commands' rules read,
/// never from a projection that may lag behind. Empty for an area without a parent then
/// (or unregistered); the walk stops after [`crate::limits::AREA_TREE_DEPTH_MAX`] levels.
pub(crate) async fn ancestors_on<L: EventLog>(
    commands: &Commands<L>,
    area_id: Uuid,
    date: Date,
) -> Result<Vec<Uuid>, Status> {
    let mut ancestors = Vec::new();
    let mut current = area_id;
    while ancestors.len() < crate::limits::AREA_TREE_DEPTH_MAX {
        let loaded = commands.load::<Area>(&stream_id(current)).await?;
        match loaded.timeline.state_as_of(date).parent_id() {
            Some(parent) => {
                ancestors.push(parent);
                current = parent;
            }
            None => break,
        }
    }
    Ok(ancestors)
}

/// The gRPC service; cheap to share.
pub struct AreasService<L> {
    commands: Commands<L>,
}

impl<L: EventLog> AreasService<L> {
    pub fn new(commands: Commands<L>) -> Self {
        AreasService { commands }
    }

    /// Wrapped for tonic, with the message size limits of `max_message_bytes`.
    pub fn into_server(self, max_message_bytes: usize) -> AreasServer<Self> {
        AreasServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }

    async fn register(&self, actor: Principal, request: pb::RegisterAreaRequest) -> Result<pb::CommandResult, Status> {
        let digest = request_digest("antt.v1.Areas/RegisterArea", &request);
        let mut check = Check::default();
        let header = check.header(request.header.as_ref());
        let area_id = check.area_id("area_id", &request.area_id);
        check.required("name", &request.name, limits::NAME_CHARS_MAX);
        let level = check.level("level", request.level);
        let parent_id = check.optional_area_id("parent_area_id", &request.parent_area_id);
        let formed_from = check.area_ids("formed_from_area_ids", &request.formed_from_area_ids);
        if let (Some(area_id), Some(Some(parent_id))) = (area_id, parent_id) {
            if area_id == parent_id {
                check.push("parent_area_id", "an area cannot contain itself");
            }
        }
        let (Some(header), Some(area_id), Some(level), Some(parent_id), Some(formed_from)) =
            (header, area_id, level, parent_id, formed_from)
        else {
            return Err(check.status());
        };
        check.finish()?;
        let parent = match parent_id {
            Some(parent_id) => Some(self.area_facts("parent_area_id", parent_id).await?),
            None => None,
        };
        let command = area::Command::Register(area::Register {
            area_id,
            official_code: optional(&request.official_code),
            name: request.name,
            level,
            division_type: request.division_type,
            parent,
            formed_from,
            effective_date: header.effective_date,
            decision: header.decision.clone(),
        });
        let renames = [("formed_from", "formed_from_area_ids"), ("parent", "parent_area_id")];
        self.execute(area_id, &header, &actor, digest, command, &renames).await
    }

    async fn rename(&self, actor: Principal, request: pb::RenameAreaRequest) -> Result<pb::CommandResult, Status> {
        let digest = request_digest("antt.v1.Areas/RenameArea", &request);
        let mut check = Check::default();
        let header = check.header(request.header.as_ref());
        let decision = check.decision();
        let area_id = check.area_id("area_id", &request.area_id);
        check.required("new_name", &request.new_name, limits::NAME_CHARS_MAX);
        let (Some(header), Some(decision), Some(area_id)) = (header, decision, area_id) else {
            return Err(check.status());
        };
        check.finish()?;
        let command = area::Command::Rename(area::Rename {
            new_name: request.new_name,
            new_division_type: request.new_division_type,
            effective_date: header.effective_date,
            decision,
        });
        self.execute(area_id, &header, &actor, digest, command, &[]).await
    }

    async fn assign_code(
        &self,
        actor: Principal,
        request: pb::AssignAreaCodeRequest,
    ) -> Result<pb::CommandResult, Status> {
        let code = |check: &mut Check| check.required("official_code", &request.official_code, limits::CODE_CHARS_MAX);
        self.on_area(
            &actor,
            request_digest("antt.v1.Areas/AssignAreaCode", &request),
            request.header.as_ref(),
            &request.area_id,
            code,
            |header, _| {
                area::Command::AssignCode(area::AssignCode {
                    official_code: request.official_code.clone(),
                    effective_date: header.effective_date,
                    decision: header.decision.clone(),
                })
            },
        )
        .await
    }

    async fn reparent(&self, actor: Principal, request: pb::ReparentAreaRequest) -> Result<pb::CommandResult, Status> {
        let digest = request_digest("antt.v1.Areas/ReparentArea", &request);
        let mut check = Check::default();
        let header = check.header(request.header.as_ref());
        let decision = check.decision();
        let area_id = check.area_id("area_id", &request.area_id);
        let parent_id = check.area_id("new_parent_area_id", &request.new_parent_area_id);
        if area_id.is_some() && area_id == parent_id {
            check.push("new_parent_area_id", "an area cannot contain itself");
        }
        let (Some(header), Some(decision), Some(area_id), Some(parent_id)) = (header, decision, area_id, parent_id)
        else {
            return Err(check.status());
        };
        check.finish()?;
        let new_parent = self.area_facts("new_parent_area_id", parent_id).await?;
        let command = area::Command::Reparent(area::Reparent {
            new_parent,
            effective_date: header.effective_date,
            decision,
        });
        let renames = [("new_parent", "new_parent_area_id"), ("parent", "new_parent_area_id")];
        self.execute(area_id, &header, &actor, digest, command, &renames).await
    }

    async fn dissolve(&self, actor: Principal, request: pb::DissolveAreaRequest) -> Result<pb::CommandResult, Status> {
        let digest = request_digest("antt.v1.Areas/DissolveArea", &request);
        let mut check = Check::default();
        let header = check.header(request.header.as_ref());
        let decision = check.decision();
        let area_id = check.area_id("area_id", &request.area_id);
        check.required("reason", &request.reason, limits::TEXT_CHARS_MAX);
        let (Some(header), Some(decision), Some(area_id)) = (header, decision, area_id) else {
            return Err(check.status());
        };
        check.finish()?;
        let command = area::Command::Dissolve(area::Dissolve {
            reason: request.reason,
            effective_date: header.effective_date,
            decision,
        });
        self.execute(area_id, &header, &actor, digest, command, &[]).await
    }

    async fn population(
        &self,
        actor: Principal,
        request: pb::RecordPopulationRequest,
    ) -> Result<pb::CommandResult, Status> {
        self.on_area(
            &actor,
            request_digest("antt.v1.Areas/RecordPopulation", &request),
            request.header.as_ref(),
            &request.area_id,
            |_| Some(()),
            |header, ()| {
                area::Command::RecordPopulation(area::RecordPopulation {
                    households: request.households,
                    population: request.population,
                    source: request.source.clone(),
                    effective_date: header.effective_date,
                })
            },
        )
        .await
    }

    async fn designate(
        &self,
        actor: Principal,
        request: pb::DesignateKeyComplexAreaRequest,
    ) -> Result<pb::CommandResult, Status> {
        let read = |check: &mut Check| {
            let reason = check.required("reason", &request.reason, limits::TEXT_CHARS_MAX);
            let transformed_on = check.optional_date("transformed_on", request.transformed_on.as_ref());
            reason.and(transformed_on)
        };
        self.on_area(
            &actor,
            request_digest("antt.v1.Areas/DesignateKeyComplexArea", &request),
            request.header.as_ref(),
            &request.area_id,
            read,
            |header, transformed_on| {
                let designation = area::DesignateKeyComplexArea {
                    reason: request.reason.clone(),
                    effective_date: header.effective_date,
                    decision: header.decision.clone(),
                };
                match transformed_on {
                    None => area::Command::DesignateKeyComplexArea(designation),
                    Some(effective_date) => area::Command::RecordKeyComplexPeriod(area::RecordKeyComplexPeriod {
                        designation,
                        transformation: area::RecordTransformation {
                            effective_date,
                            decision: None,
                        },
                    }),
                }
            },
        )
        .await
    }

    async fn transformation(
        &self,
        actor: Principal,
        request: pb::RecordTransformationRequest,
    ) -> Result<pb::CommandResult, Status> {
        self.on_area(
            &actor,
            request_digest("antt.v1.Areas/RecordTransformation", &request),
            request.header.as_ref(),
            &request.area_id,
            |_| Some(()),
            |header, ()| {
                area::Command::RecordTransformation(area::RecordTransformation {
                    effective_date: header.effective_date,
                    decision: header.decision.clone(),
                })
            },
        )
        .await
    }

    async fn merge(&self, actor: Principal, request: pb::MergeAreasRequest) -> Result<pb::AreaCommandResults, Status> {
        let digest = request_digest("antt.v1.Areas/MergeAreas", &request);
        let MergeRequest {
            header,
            decision,
            survivor_id,
            absorbed_ids,
        } = read_merge(&request)?;
        let survivor = self.area_facts("survivor_area_id", survivor_id).await?;
        for (index, absorbed_id) in absorbed_ids.iter().enumerate() {
            let field = format!("absorbed_area_ids[{index}]");
            let absorbed = self.area_facts(&field, *absorbed_id).await?;
            ensure_same_level(&field, &absorbed, "the surviving area", survivor.level)?;
        }
        let mut steps: Vec<Step> = absorbed_ids
            .iter()
            .enumerate()
            .map(|(index, absorbed_id)| Step {
                field: format!("absorbed_area_ids[{index}]"),
                area_id: *absorbed_id,
                request_id: sub_request_id(header.request_id, "MergeAreas/absorbed", index),
                command: area::Command::MergeInto(area::MergeInto {
                    successor_area_id: survivor_id,
                    effective_date: header.effective_date,
                    decision: decision.clone(),
                }),
                renames: vec![("successor_area_id", "survivor_area_id".to_string())],
            })
            .collect();
        steps.push(Step {
            field: "survivor_area_id".to_string(),
            area_id: survivor_id,
            request_id: header.request_id,
            command: area::Command::AbsorbAreas(area::AbsorbAreas {
                absorbed_area_ids: absorbed_ids,
                effective_date: header.effective_date,
                decision,
            }),
            renames: vec![],
        });
        let results = self.execute_steps(&header, &actor, digest, steps).await?;
        Ok(pb::AreaCommandResults { results })
    }

    async fn split(&self, actor: Principal, request: pb::SplitAreaRequest) -> Result<pb::AreaCommandResults, Status> {
        let digest = request_digest("antt.v1.Areas/SplitArea", &request);
        let SplitRequest {
            header,
            decision,
            area_id,
            new_parts,
            existing_part_ids,
            parts_field,
        } = read_split(&request)?;
        let original = request::load_area(&self.commands, area_id).await?;
        let Some(original_facts) = original.facts() else {
            return Err(status::precondition("area_id", not_registered("area_id", area_id)));
        };
        // A new part belongs where the area split belonged, unless the request says otherwise.
        let original_parent = original.parent_id();
        let mut parents: BTreeMap<Uuid, AreaFacts> = BTreeMap::new();
        let mut steps = Vec::new();
        // `new_parts` holds every part of the request, in order: any malformed one refused it.
        for (index, (part, (part_id, parent_id))) in request.new_parts.iter().zip(new_parts).enumerate() {
            let prefix = format!("new_parts[{index}]");
            let parent = match parent_id.or(original_parent) {
                Some(parent_id) => Some(match parents.get(&parent_id) {
                    Some(facts) => facts.clone(),
                    None => {
                        let facts = self.area_facts(&format!("{prefix}.parent_area_id"), parent_id).await?;
                        parents.entry(parent_id).or_insert(facts).clone()
                    }
                }),
                None => None,
            };
            steps.push(Step {
                renames: ["name", "official_code", "division_type", "parent"]
                    .into_iter()
                    .map(|name| {
                        (
                            name,
                            format!("{prefix}.{}", if name == "parent" { "parent_area_id" } else { name }),
                        )
                    })
                    .chain([("formed_from", "area_id".to_string())])
                    .collect(),
                field: prefix,
                area_id: part_id,
                request_id: sub_request_id(header.request_id, "SplitArea/new_part", index),
                command: area::Command::Register(area::Register {
                    area_id: part_id,
                    official_code: optional(&part.official_code),
                    name: part.name.clone(),
                    level: original_facts.level,
                    division_type: part.division_type.clone(),
                    parent,
                    formed_from: vec![area_id],
                    effective_date: header.effective_date,
                    decision: Some(decision.clone()),
                }),
            });
        }
        for (index, part_id) in existing_part_ids.iter().enumerate() {
            let field = format!("existing_part_area_ids[{index}]");
            let part = self.area_facts(&field, *part_id).await?;
            ensure_same_level(&field, &part, "the area split", original_facts.level)?;
        }
        let part_area_ids = steps.iter().map(|step| step.area_id).chain(existing_part_ids).collect();
        steps.push(Step {
            field: "area_id".to_string(),
            area_id,
            request_id: header.request_id,
            command: area::Command::Split(area::Split {
                part_area_ids,
                original_ends: request.original_ends,
                effective_date: header.effective_date,
                decision,
            }),
            renames: vec![("part_area_ids", parts_field.to_string())],
        });
        let results = self.execute_steps(&header, &actor, digest, steps).await?;
        Ok(pb::AreaCommandResults { results })
    }

    async fn get(&self, request: pb::GetAreaRequest) -> Result<pb::AreaView, Status> {
        let mut check = Check::default();
        let area_id = check.area_id("area_id", &request.area_id);
        let as_of = check.fields.as_of(request.as_of.as_ref());
        let Some(area_id) = area_id else {
            return Err(check.status());
        };
        check.finish()?;
        let stream_id = stream_id(area_id);
        let loaded = self.commands.load::<Area>(&stream_id).await?;
        let unregistered = || {
            status::not_found(format!(
                "area {area_id} is not registered (chưa có trong hồ sơ); check the id"
            ))
        };
        let version = loaded.version.ok_or_else(unregistered)?;
        let events = views::as_of(&loaded.timeline, &format!("area {area_id}"), as_of)?;
        let history = AreaHistory::of(events);
        if !history.is_registered() {
            return Err(unregistered());
        }
        Span::current().record("stream_version", version);
        Ok(history.into_view(stream_id, version))
    }

    /// Reads and records a command on one area that names nothing but the area and the
    /// fields `read` reads (None if one is malformed, and named); `command` builds it from
    /// the header and what `read` read.
    async fn on_area<T>(
        &self,
        actor: &Principal,
        digest: [u8; 32],
        header: Option<&pb::CommandHeader>,
        area_id: &str,
        read: impl FnOnce(&mut Check) -> Option<T>,
        command: impl FnOnce(&CommandHeader, T) -> area::Command,
    ) -> Result<pb::CommandResult, Status> {
        let mut check = Check::default();
        let header = check.header(header);
        let area_id = check.area_id("area_id", area_id);
        let read = read(&mut check);
        let (Some(header), Some(area_id), Some(read)) = (header, area_id, read) else {
            return Err(check.status());
        };
        check.finish()?;
        let command = command(&header, read);
        self.execute(area_id, &header, actor, digest, command, &[]).await
    }

    /// Records one command on one area; the domain's field names in a refusal become the
    /// request's field paths.
    async fn execute(
        &self,
        area_id: Uuid,
        header: &CommandHeader,
        actor: &Principal,
        digest: [u8; 32],
        command: area::Command,
        renames: &[(&'static str, &str)],
    ) -> Result<pb::CommandResult, Status> {
        let result = self
            .commands
            .execute::<Area>(&stream_id(area_id), header, actor, digest, command)
            .await
            .map_err(|error| {
                request::rename_violations(error, |name| request::request_path(name, renames.iter().copied()))
            })?;
        let span = Span::current();
        span.record("stream_version", result.stream_version);
        span.record("deduplicated", result.deduplicated);
        Ok(result)
    }

    /// Records a command spanning several areas, as the module documentation describes
    /// (and [`crate::steps`] implements): check every step, then write them in order, the
    /// last one (the area the request is about) under the client's request id.
    /// `header.expected_version` pins the last step's stream; it is checked before
    /// anything is written, and not again after, so that a concurrent change cannot leave
    /// the command half written.
    async fn execute_steps(
        &self,
        header: &CommandHeader,
        actor: &Principal,
        digest: [u8; 32],
        steps: Vec<Step>,
    ) -> Result<Vec<pb::CommandResult>, Status> {
        let run = Steps::new(
            &self.commands,
            actor,
            digest,
            Written::SameRequest {
                request_id: header.request_id,
            },
        );
        let writes: Vec<steps::Step<Area>> = steps
            .iter()
            .map(|step| steps::Step {
                stream_id: stream_id(step.area_id),
                header: CommandHeader {
                    request_id: step.request_id,
                    expected_version: None,
                    effective_date: header.effective_date,
                    decision: header.decision.clone(),
                },
                command: step.command.clone(),
            })
            .collect();
        let last = steps.len().saturating_sub(1);
        for (index, (step, write)) in steps.iter().zip(&writes).enumerate() {
            let pinned = header.expected_version.filter(|_| index == last);
            run.check(write, None, pinned, |error| step.refusal(error)).await?;
        }
        let total = steps.len();
        let results = run
            .write(writes, |index, error| {
                let step = &steps[index];
                let error = request::rename_violations(error, |name| step.path(name));
                if index == 0 {
                    return error;
                }
                tracing::warn!(
                    request_id = %header.request_id,
                    written = index,
                    steps = total,
                    stream_id = %stream_id(step.area_id),
                    code = ?error.code(),
                    "a command on several areas stopped part way"
                );
                // Keep the code and details; tell the clerk how to finish.
                let message = format!(
                    "{}; {index} of {total} areas were already changed by this request: once the cause is \
                     fixed, send the same request again with the same request id to finish it",
                    error.message()
                );
                status::restated(&error, message)
            })
            .await?;
        if let Some(last) = results.last() {
            let span = Span::current();
            span.record("stream_version", last.stream_version);
            span.record("deduplicated", results.iter().all(|result| result.deduplicated));
        }
        Ok(results)
    }

    /// The facts about a registered area another command refers to.
    async fn area_facts(&self, field: &str, area_id: Uuid) -> Result<AreaFacts, Status> {
        request::registered_area(&self.commands, field, area_id, || not_registered(field, area_id)).await
    }
}

/// One area's part of a command on several areas.
struct Step {
    /// The request path naming this area in messages, e.g. "absorbed_area_ids[1]".
    field: String,
    area_id: Uuid,
    request_id: Uuid,
    command: area::Command,
    /// The domain's field names that have another path in the request.
    renames: Vec<(&'static str, String)>,
}

impl Step {
    fn path(&self, domain_field: &str) -> String {
        request::request_path(domain_field, self.renames.iter().map(|(from, to)| (*from, to.as_str())))
    }

    /// A refusal found while checking the steps, saying which area refused.
    fn refusal(&self, error: &DomainError) -> Status {
        match error {
            DomainError::Invalid { field, reason } => {
                status::invalid_argument(&[Violation::new(self.path(field), reason.clone())])
            }
            rule => status::precondition(&self.field, format!("{} (area {}): {rule}", self.field, self.area_id)),
        }
    }
}

/// A merger request, read.
struct MergeRequest {
    header: CommandHeader,
    decision: Decision,
    survivor_id: Uuid,
    absorbed_ids: Vec<Uuid>,
}

fn read_merge(request: &pb::MergeAreasRequest) -> Result<MergeRequest, Status> {
    let mut check = Check::default();
    let header = check.header(request.header.as_ref());
    let decision = check.decision();
    let survivor_id = check.area_id("survivor_area_id", &request.survivor_area_id);
    let absorbed_ids = check.area_ids_except(
        "absorbed_area_ids",
        &request.absorbed_area_ids,
        survivor_id,
        "the surviving area cannot be merged into itself",
    );
    check.list_size(
        "absorbed_area_ids",
        request.absorbed_area_ids.len(),
        1,
        "at least one area to merge is required",
    );
    let (Some(header), Some(decision), Some(survivor_id), Some(absorbed_ids)) =
        (header, decision, survivor_id, absorbed_ids)
    else {
        return Err(check.status());
    };
    check.finish()?;
    Ok(MergeRequest {
        header,
        decision,
        survivor_id,
        absorbed_ids,
    })
}

/// A split request, read.
struct SplitRequest {
    header: CommandHeader,
    decision: Decision,
    area_id: Uuid,
    /// Per new part, in request order: its id and its parent if the request names one.
    new_parts: Vec<(Uuid, Option<Uuid>)>,
    existing_part_ids: Vec<Uuid>,
    /// Where a problem with the list of parts as a whole is reported.
    parts_field: &'static str,
}

fn read_split(request: &pb::SplitAreaRequest) -> Result<SplitRequest, Status> {
    let mut check = Check::default();
    let header = check.header(request.header.as_ref());
    let decision = check.decision();
    let area_id = check.area_id("area_id", &request.area_id);
    let mut new_parts = Vec::new();
    for (index, part) in request.new_parts.iter().enumerate() {
        let part_id = check.area_id(&format!("new_parts[{index}].area_id"), &part.area_id);
        check.required(&format!("new_parts[{index}].name"), &part.name, limits::NAME_CHARS_MAX);
        let parent_id = check.optional_area_id(&format!("new_parts[{index}].parent_area_id"), &part.parent_area_id);
        if let (Some(part_id), Some(parent_id)) = (part_id, parent_id) {
            new_parts.push((part_id, parent_id));
        }
    }
    let existing_part_ids = check.area_ids("existing_part_area_ids", &request.existing_part_area_ids);
    let named: Vec<(String, &str)> = request
        .new_parts
        .iter()
        .enumerate()
        .map(|(index, part)| (format!("new_parts[{index}].area_id"), part.area_id.as_str()))
        .chain(
            request
                .existing_part_area_ids
                .iter()
                .enumerate()
                .map(|(index, id)| (format!("existing_part_area_ids[{index}]"), id.as_str())),
        )
        .collect();
    check.distinct_parts(&named, area_id);
    let parts_field = if request.new_parts.is_empty() {
        "existing_part_area_ids"
    } else {
        "new_parts"
    };
    if named.len() > antt_domain::limits::LIST_ITEMS_MAX {
        check.push(
            parts_field,
            format!("at most {} parts in all", antt_domain::limits::LIST_ITEMS_MAX),
        );
    }
    // The domain's rule, checked here too so that it is reported with the other fields.
    let (parts_min, parts_description) = if request.original_ends {
        (
            2,
            "an area divided up entirely needs at least two parts, new or existing",
        )
    } else {
        (1, "at least one part, new or existing, is required")
    };
    check.list_size(parts_field, named.len(), parts_min, parts_description);
    let (Some(header), Some(decision), Some(area_id), Some(existing_part_ids)) =
        (header, decision, area_id, existing_part_ids)
    else {
        return Err(check.status());
    };
    check.finish()?;
    Ok(SplitRequest {
        header,
        decision,
        area_id,
        new_parts,
        existing_part_ids,
        parts_field,
    })
}

/// Only areas of one level merge or share a split: communes with communes, districts with
/// districts. The domain decides on one area at a time, so this is checked here.
fn ensure_same_level(
    field: &str,
    area: &AreaFacts,
    other_name: &str,
    other_level: pb::AreaLevel,
) -> Result<(), Status> {
    if area.level == other_level {
        return Ok(());
    }
    Err(status::precondition(
        field,
        format!(
            "{field}: area {} is a {} but {other_name} is a {}; only areas of the same level can be merged or \
             share a split",
            area.area_id,
            area::level_label(area.level),
            area::level_label(other_level)
        ),
    ))
}

/// The request id of the step `index` of `kind` within the request `request_id`: stable
/// across retries, distinct per step.
fn sub_request_id(request_id: Uuid, kind: &str, index: usize) -> Uuid {
    steps::step_request_id(request_id, &format!("antt.v1.Areas/{kind}/{index}"))
}

/// Why a command naming an area that was never registered is refused.
fn not_registered(field: &str, area_id: Uuid) -> String {
    format!("{field}: area {area_id} is not registered (chưa có trong hồ sơ); register it first or check the id")
}

fn optional(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.to_string())
}

/// Collects every problem of a request, so that a clerk can fix them all at once: reads
/// fields into `Option`s (None: malformed, and named) through [`Fields`], so that they are
/// read and worded as in every service.
#[derive(Default)]
struct Check {
    fields: Fields,
}

impl Check {
    fn push(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.fields.violate(field, description);
    }

    fn header(&mut self, header: Option<&pb::CommandHeader>) -> Option<CommandHeader> {
        self.fields.checked(|fields| fields.header(header))
    }

    /// The decision a command cannot do without (see [`Fields::required_decision`]); read
    /// the header first.
    fn decision(&mut self) -> Option<Decision> {
        self.fields.read_required_decision()
    }

    fn area_id(&mut self, field: &str, text: &str) -> Option<Uuid> {
        self.fields.checked(|fields| fields.uuid(field, text))
    }

    /// Some(None) when empty, Some(Some(id)) when valid, None when malformed.
    fn optional_area_id(&mut self, field: &str, text: &str) -> Option<Option<Uuid>> {
        self.fields.checked(|fields| fields.optional_uuid(field, text))
    }

    /// A list of distinct area ids, each checked with its index.
    fn area_ids(&mut self, field: &str, texts: &[String]) -> Option<Vec<Uuid>> {
        self.area_ids_except(field, texts, None, "")
    }

    /// Like [`Check::area_ids`], refusing `own` (the area the request is about) with
    /// `own_reason`.
    fn area_ids_except(
        &mut self,
        field: &str,
        texts: &[String],
        own: Option<Uuid>,
        own_reason: &str,
    ) -> Option<Vec<Uuid>> {
        if texts.len() > antt_domain::limits::LIST_ITEMS_MAX {
            self.push(field, format!("at most {} areas", antt_domain::limits::LIST_ITEMS_MAX));
            return None;
        }
        let mut ids = Vec::with_capacity(texts.len());
        let mut malformed = false;
        for (index, text) in texts.iter().enumerate() {
            let item = format!("{field}[{index}]");
            match self.area_id(&item, text) {
                Some(id) if Some(id) == own => {
                    self.push(item, own_reason);
                    malformed = true;
                }
                Some(id) if ids.contains(&id) => {
                    self.push(item, "names the same area twice");
                    malformed = true;
                }
                Some(id) => ids.push(id),
                None => malformed = true,
            }
        }
        (!malformed).then_some(ids)
    }

    /// Every part of a split, new or existing, named once and not the area split. A
    /// malformed id, or a duplicate among the existing parts, is reported already.
    fn distinct_parts(&mut self, named: &[(String, &str)], area_id: Option<Uuid>) {
        let mut seen = BTreeSet::new();
        for (field, text) in named {
            let reported = self
                .fields
                .violations()
                .iter()
                .any(|violation| &violation.field == field);
            let Ok(id) = Uuid::parse_str(text) else { continue };
            if reported {
                continue;
            }
            if Some(id) == area_id {
                self.push(field.clone(), "the area split cannot be one of its own parts");
            } else if !seen.insert(id) {
                self.push(field.clone(), "names the same area as another part");
            }
        }
    }

    fn list_size(&mut self, field: &str, len: usize, min: usize, description: &str) {
        if len < min {
            self.push(field, description);
        }
    }

    /// A required text of at most `chars_max` characters, checked here as the domain will,
    /// so that it is named with the other problems.
    fn required(&mut self, field: &str, text: &str, chars_max: usize) -> Option<String> {
        self.fields.checked(|fields| fields.text(field, text, chars_max, true))
    }

    /// An optional date: Some(None) when absent.
    fn optional_date(&mut self, field: &'static str, date: Option<&pb::Date>) -> Option<Option<Date>> {
        self.fields.checked(|fields| fields.optional_date(field, date))
    }

    fn level(&mut self, field: &str, level: i32) -> Option<pb::AreaLevel> {
        self.fields.checked(|fields| fields.enumeration(field, level))
    }

    /// INVALID_ARGUMENT listing every problem found (INTERNAL if a reader refused a field
    /// without naming it, as in every service).
    fn status(&self) -> Status {
        status::invalid_argument(self.fields.violations())
    }

    fn finish(self) -> Result<(), Status> {
        self.fields.finish()
    }
}

/// The span of a command, named after its RPC like the EventStore's spans, with the area
/// id as sent (Debug escapes control characters a client might put in it).
macro_rules! command_span {
    ($rpc:literal, $area_id:expr) => {
        tracing::info_span!(
            $rpc,
            area_id = ?$area_id,
            stream_version = field::Empty,
            deduplicated = field::Empty,
        )
    };
}

#[tonic::async_trait]
impl<L: EventLog> Areas for AreasService<L> {
    async fn register_area(
        &self,
        request: Request<pb::RegisterAreaRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::RegisterAreaRequest| command_span!("RegisterArea", &r.area_id);
        request::traced(request, span, |actor, r| self.register(actor, r)).await
    }

    async fn rename_area(
        &self,
        request: Request<pb::RenameAreaRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::RenameAreaRequest| command_span!("RenameArea", &r.area_id);
        request::traced(request, span, |actor, r| self.rename(actor, r)).await
    }

    async fn assign_area_code(
        &self,
        request: Request<pb::AssignAreaCodeRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::AssignAreaCodeRequest| command_span!("AssignAreaCode", &r.area_id);
        request::traced(request, span, |actor, r| self.assign_code(actor, r)).await
    }

    async fn merge_areas(
        &self,
        request: Request<pb::MergeAreasRequest>,
    ) -> Result<Response<pb::AreaCommandResults>, Status> {
        let span = |r: &pb::MergeAreasRequest| command_span!("MergeAreas", &r.survivor_area_id);
        request::traced(request, span, |actor, r| self.merge(actor, r)).await
    }

    async fn split_area(
        &self,
        request: Request<pb::SplitAreaRequest>,
    ) -> Result<Response<pb::AreaCommandResults>, Status> {
        let span = |r: &pb::SplitAreaRequest| command_span!("SplitArea", &r.area_id);
        request::traced(request, span, |actor, r| self.split(actor, r)).await
    }

    async fn reparent_area(
        &self,
        request: Request<pb::ReparentAreaRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::ReparentAreaRequest| command_span!("ReparentArea", &r.area_id);
        request::traced(request, span, |actor, r| self.reparent(actor, r)).await
    }

    async fn dissolve_area(
        &self,
        request: Request<pb::DissolveAreaRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::DissolveAreaRequest| command_span!("DissolveArea", &r.area_id);
        request::traced(request, span, |actor, r| self.dissolve(actor, r)).await
    }

    async fn record_population(
        &self,
        request: Request<pb::RecordPopulationRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::RecordPopulationRequest| command_span!("RecordPopulation", &r.area_id);
        request::traced(request, span, |actor, r| self.population(actor, r)).await
    }

    async fn designate_key_complex_area(
        &self,
        request: Request<pb::DesignateKeyComplexAreaRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::DesignateKeyComplexAreaRequest| command_span!("DesignateKeyComplexArea", &r.area_id);
        request::traced(request, span, |actor, r| self.designate(actor, r)).await
    }

    async fn record_transformation(
        &self,
        request: Request<pb::RecordTransformationRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::RecordTransformationRequest| command_span!("RecordTransformation", &r.area_id);
        request::traced(request, span, |actor, r| self.transformation(actor, r)).await
    }

    async fn get_area(&self, request: Request<pb::GetAreaRequest>) -> Result<Response<pb::AreaView>, Status> {
        let span = |r: &pb::GetAreaRequest| tracing::info_span!("GetArea", area_id = ?r.area_id, stream_version = field::Empty);
        request::traced(request, span, |_, r| self.get(r)).await
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn sub_request_ids_are_stable_and_distinct() {
        let request = Uuid::from_u128(7);
        assert_eq!(
            sub_request_id(request, "MergeAreas/absorbed", 0),
            sub_request_id(request, "MergeAreas/absorbed", 0)
        );
        assert_ne!(
            sub_request_id(request, "MergeAreas/absorbed", 0),
            sub_request_id(request, "MergeAreas/absorbed", 1)
        );
        assert_ne!(sub_request_id(request, "MergeAreas/absorbed", 0), request);
    }

    #[test]
    fn domain_field_names_become_request_paths() {
        assert_eq!(request::request_path("decision", std::iter::empty()), "header.decision");
        assert_eq!(
            request::request_path("formed_from", [("formed_from", "formed_from_area_ids")].into_iter()),
            "formed_from_area_ids"
        );
        assert_eq!(request::request_path("name", std::iter::empty()), "name");
        let status = status::invalid_argument(&[Violation::new(
            "decision",
            "the decision is dated after the recording date",
        )]);
        let renamed = request::rename_violations(status, |name| request::request_path(name, std::iter::empty()));
        assert_eq!(
            renamed.get_details_bad_request().unwrap().field_violations[0].field,
            "header.decision"
        );
    }

    #[test]
    fn every_malformed_field_is_reported() {
        let mut check = Check::default();
        assert_eq!(check.area_id("area_id", ""), None);
        assert_eq!(check.area_id("parent_area_id", "38"), None);
        assert_eq!(check.optional_area_id("x", ""), Some(None));
        let id = Uuid::from_u128(1).to_string();
        assert_eq!(check.area_ids("formed_from_area_ids", &[id.clone(), id]), None);
        assert_eq!(check.level("level", 0), None);
        assert_eq!(check.level("level", 99), None);
        let fields: Vec<String> = check.fields.violations().iter().map(|v| v.field.clone()).collect();
        assert_eq!(
            fields,
            ["area_id", "parent_area_id", "formed_from_area_ids[1]", "level", "level"]
        );
    }
}
