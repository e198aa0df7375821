//! The `antt.v1.Forces` service: teams and their members (this file) and persons with
//! their sealed personal data ([`crate::persons`]).
//!
//! Each team command is read from its request field by field (every problem becomes a
//! field violation named by its path in the request), then decided and recorded on the
//! team's stream `team-<uuid>` by [`Commands::execute`]. Facts about other records that a
//! rule needs are read here first: the area of a new team (`area-<uuid>`), and whether a
//! person to nominate or appoint is registered and not erased (`person-<uuid>`). Those
//! checks are skipped for a retry of a request already recorded, so that a retry always
//! returns the original result.
//!
//! RestructureTeam writes several streams without a transaction; see
//! [`ForcesService::restructure`] for the order and why a retry completes it.

use antt_access::Principal;
use std::sync::Arc;

use antt_domain::team::{self, Team};
use antt_domain::{Date, Decision, DomainError};
use antt_keystore::KeyStore;
use antt_log::{EventLog, Violation};
use antt_proto::v1 as pb;
use antt_proto::v1::forces_server::{Forces, ForcesServer};
use prost::Message;
use tonic::{Code, Request, Response, Status};
use uuid::Uuid;

use crate::commands::{self, CommandHeader, Commands};
use crate::persons::Persons;
use crate::request::{self, Fields};
use crate::status;
use crate::steps::{self, Steps, Written};
use crate::views::{self, team::TeamViewBuilder};

/// Stream id prefixes of the records this service reads or writes.
pub const TEAM_STREAM_PREFIX: &str = "team-";
/// The RPC recorded as having shown members' names.
const GET_TEAM_RPC: &str = "antt.v1.Forces/GetTeam";

/// The stream of a team.
pub fn team_stream(team_id: Uuid) -> String {
    format!("{TEAM_STREAM_PREFIX}{team_id}")
}

/// The gRPC service; cheap to share.
pub struct ForcesService<L> {
    commands: Commands<L>,
    persons: Persons<L>,
}

impl<L: EventLog> ForcesService<L> {
    pub fn new(commands: Commands<L>, keys: Arc<KeyStore>) -> Self {
        ForcesService {
            persons: Persons::new(commands.clone(), keys),
            commands,
        }
    }

    /// Wrapped for tonic, with the message size limits of `max_message_bytes`.
    pub fn into_server(self, max_message_bytes: usize) -> ForcesServer<Self> {
        ForcesServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }

    /// Records `command`, read from `request`, on the team's stream; domain field names
    /// become request paths.
    async fn record<R: TeamRequest>(
        &self,
        actor: &Principal,
        request: &R,
        team_id: Uuid,
        header: &CommandHeader,
        command: team::Command,
    ) -> Result<pb::CommandResult, Status> {
        let digest = digest(R::RPC, request);
        self.commands
            .execute::<Team>(&team_stream(team_id), header, actor, digest, command)
            .await
            .map_err(request_paths)
    }

    /// Like [`ForcesService::record`] for a command that takes a person onto the team:
    /// refuses a person who cannot join (field `field`), unless this request is a
    /// recorded retry.
    async fn record_joining<R: TeamRequest>(
        &self,
        actor: &Principal,
        request: &R,
        team_id: Uuid,
        header: &CommandHeader,
        command: team::Command,
        (field, person_id): (&str, Uuid),
    ) -> Result<pb::CommandResult, Status> {
        let digest = digest(R::RPC, request);
        let can_serve = self.persons.ensure_can_serve(field, person_id);
        self.commands
            .execute_checked::<Team, _>(&team_stream(team_id), header, actor, digest, command, can_serve)
            .await
            .map_err(request_paths)
    }

    async fn establish(
        &self,
        actor: Principal,
        request: pb::EstablishTeamRequest,
    ) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let area_id = checks.id("area_id", &request.area_id);
        let formed_from = checks.ids("formed_from_team_ids", &request.formed_from_team_ids);
        let force_type = checks.enumeration::<pb::ForceType>("force_type", request.force_type);
        let managing_level = checks.enumeration::<pb::AreaLevel>("managing_level", request.managing_level);
        let (Some(header), Some(team_id), Some(area_id), Some(formed_from), Some(force_type), Some(managing_level)) =
            (header, team_id, area_id, formed_from, force_type, managing_level)
        else {
            return Err(checks.into_status());
        };
        checks.finish()?;
        let area = request::registered_area(&self.commands, "area_id", area_id, || {
            format!(
                "area {area_id} is not registered (địa bàn chưa có trong hồ sơ); register it with the \
                 Areas service first, or check the area id"
            )
        })
        .await?;
        let command = team::Command::Establish(team::Establish {
            team_id,
            name: request.name.clone(),
            force_type,
            area,
            sponsor_organisation: request.sponsor_organisation.clone(),
            quota: request.quota,
            managing_level,
            managing_body: request.managing_body.clone(),
            formed_from,
            effective_date: header.effective_date,
            decision: header.decision.clone(),
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    async fn change_quota(
        &self,
        actor: Principal,
        request: pb::ChangeTeamQuotaRequest,
    ) -> Result<pb::CommandResult, Status> {
        let (checks, header, team_id) = read_team(&request);
        let (Some(header), Some(team_id)) = (header, team_id) else {
            return Err(checks.into_status());
        };
        let command = team::Command::ChangeQuota(team::ChangeQuota {
            new_quota: request.new_quota,
            effective_date: header.effective_date,
            decision: header.decision.clone(),
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    /// RestructureTeam, across streams without a transaction:
    /// 1. every step is checked against what is recorded, writing nothing if any would
    ///    be refused: the restructuring of the old team, then each successor receiving
    ///    its members;
    /// 2. the old team records TeamRestructured (its members leave it);
    /// 3. each successor that receives members records TeamMembersTransferredIn, in the
    ///    order of `successor_team_ids`.
    ///
    /// Each step is recorded under its own request id, derived from the client's with
    /// UUID v5, and all carry the digest of the whole request. A retry with the same
    /// request id and body finds the steps already recorded (skipping their checks, since
    /// their effects are in the state now) and records the rest; the same id with another
    /// body is ALREADY_EXISTS at the first recorded step. Only a concurrent change between
    /// the checks and the writes can stop the sequence half way, and the retry finishes it.
    async fn restructure(
        &self,
        actor: Principal,
        request: pb::RestructureTeamRequest,
    ) -> Result<pb::RestructureTeamResponse, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let kind = checks.enumeration::<pb::RestructureKind>("kind", request.kind);
        let successors = checks.ids("successor_team_ids", &request.successor_team_ids);
        let moves = checks.carry_overs(&request.carried_over);
        let decision = checks.required_decision();
        let (Some(header), Some(team_id), Some(kind), Some(successors), Some(moves), Some(decision)) =
            (header, team_id, kind, successors, moves, decision)
        else {
            return Err(checks.into_status());
        };
        checks.finish()?;
        let digest = digest(pb::RestructureTeamRequest::RPC, &request);
        let run = Steps::new(&self.commands, &actor, digest, Written::ById);
        let restructure = steps::Step::<Team> {
            stream_id: team_stream(team_id),
            header: CommandHeader {
                request_id: steps::step_request_id(header.request_id, "restructure"),
                ..header.clone()
            },
            command: team::Command::Restructure(team::Restructure {
                kind,
                successor_team_ids: successors.clone(),
                carried_over: moves
                    .iter()
                    .map(|m| team::CarryOver {
                        person_id: m.person_id,
                        successor_team_id: m.successor_team_id,
                    })
                    .collect(),
                team_ends: request.team_ends,
                effective_date: header.effective_date,
                decision: decision.clone(),
            }),
        };

        // 1. Check every step.
        let old = self.commands.load::<Team>(&restructure.stream_id).await?;
        run.check(&restructure, Some(&old), header.expected_version, domain_status)
            .await?;
        let mut writes = vec![restructure];
        let mut receivers = Vec::new();
        // The roles carried over are those held on the day of the restructuring.
        let on_the_day = old.timeline.state_as_of(header.effective_date);
        for successor in &successors {
            let members = moves
                .iter()
                .filter(|m| m.successor_team_id == *successor)
                .map(|m| Ok((m.person_id, carried_role(&on_the_day, m)?)))
                .collect::<Result<Vec<_>, Status>>()?;
            if members.is_empty() {
                continue;
            }
            let receive = steps::Step::<Team> {
                stream_id: team_stream(*successor),
                header: CommandHeader {
                    request_id: steps::step_request_id(header.request_id, &format!("receive:{successor}")),
                    expected_version: None,
                    ..header.clone()
                },
                command: team::Command::ReceiveMembers(team::ReceiveMembers {
                    from_team_id: team_id,
                    members,
                    effective_date: header.effective_date,
                    decision: Some(decision.clone()),
                }),
            };
            run.check(&receive, None, None, |error| successor_refused(*successor, error))
                .await?;
            writes.push(receive);
            receivers.push(*successor);
        }

        // 2. The old team, then 3. each successor.
        let mut results = run
            .write(writes, |index, status| {
                match index.checked_sub(1).map(|i| receivers[i]) {
                    None => request_paths(status),
                    Some(successor) => successor_failed(successor, status),
                }
            })
            .await?
            .into_iter();
        Ok(pb::RestructureTeamResponse {
            restructured: results.next(),
            received: results.collect(),
        })
    }

    async fn hand_over(&self, actor: Principal, request: pb::HandOverTeamRequest) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let level = checks.enumeration::<pb::AreaLevel>("to_managing_level", request.to_managing_level);
        let (Some(header), Some(team_id), Some(level)) = (header, team_id, level) else {
            return Err(checks.into_status());
        };
        let command = team::Command::HandOver(team::HandOver {
            to_managing_level: level,
            to_managing_body: request.to_managing_body.clone(),
            effective_date: header.effective_date,
            decision: header.decision.clone(),
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    async fn record_households(
        &self,
        actor: Principal,
        request: pb::RecordGroupHouseholdsRequest,
    ) -> Result<pb::CommandResult, Status> {
        let (checks, header, team_id) = read_team(&request);
        let (Some(header), Some(team_id)) = (header, team_id) else {
            return Err(checks.into_status());
        };
        let command = team::Command::RecordHouseholds(team::RecordHouseholds {
            households: request.households,
            source: request.source.clone(),
            effective_date: header.effective_date,
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    async fn dissolve(&self, actor: Principal, request: pb::DissolveTeamRequest) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let decision = checks.required_decision();
        let (Some(header), Some(team_id), Some(decision)) = (header, team_id, decision) else {
            return Err(checks.into_status());
        };
        let command = team::Command::Dissolve(team::Dissolve {
            reason: request.reason.clone(),
            effective_date: header.effective_date,
            decision,
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    async fn nominate(
        &self,
        actor: Principal,
        request: pb::NominateMemberRequest,
    ) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let person_id = checks.id("person_id", &request.person_id);
        let (Some(header), Some(team_id), Some(person_id)) = (header, team_id, person_id) else {
            return Err(checks.into_status());
        };
        let command = team::Command::Nominate(team::Nominate {
            person_id,
            nominated_by: request.nominated_by.clone(),
            effective_date: header.effective_date,
        });
        let joining = ("person_id", person_id);
        self.record_joining(&actor, &request, team_id, &header, command, joining)
            .await
    }

    async fn vet(&self, actor: Principal, request: pb::VetMemberRequest) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let person_id = checks.id("person_id", &request.person_id);
        let outcome = checks.enumeration::<pb::VettingOutcome>("outcome", request.outcome);
        let (Some(header), Some(team_id), Some(person_id), Some(outcome)) = (header, team_id, person_id, outcome)
        else {
            return Err(checks.into_status());
        };
        let command = team::Command::Vet(team::Vet {
            person_id,
            outcome,
            vetted_by: request.vetted_by.clone(),
            effective_date: header.effective_date,
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    async fn appoint(&self, actor: Principal, request: pb::AppointMemberRequest) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let person_id = checks.id("person_id", &request.person_id);
        let role = checks.enumeration::<pb::MemberRole>("role", request.role);
        let decision = checks.required_decision();
        let term_end = checks.term_end(request.term_end.as_ref(), request.term_end_reason);
        let (Some(header), Some(team_id), Some(person_id), Some(role), Some(decision), Some(term_end)) =
            (header, team_id, person_id, role, decision, term_end)
        else {
            return Err(checks.into_status());
        };
        let command = team::Command::Appoint(team::Appoint {
            person_id,
            role,
            effective_date: header.effective_date,
            decision,
            term_end,
        });
        let joining = ("person_id", person_id);
        self.record_joining(&actor, &request, team_id, &header, command, joining)
            .await
    }

    async fn change_role(
        &self,
        actor: Principal,
        request: pb::ChangeMemberRoleRequest,
    ) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let person_id = checks.id("person_id", &request.person_id);
        let new_role = checks.enumeration::<pb::MemberRole>("new_role", request.new_role);
        let (Some(header), Some(team_id), Some(person_id), Some(new_role)) = (header, team_id, person_id, new_role)
        else {
            return Err(checks.into_status());
        };
        let command = team::Command::ChangeRole(team::ChangeRole {
            person_id,
            new_role,
            effective_date: header.effective_date,
            decision: header.decision.clone(),
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    async fn train(&self, actor: Principal, request: pb::RecordTrainingRequest) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let person_id = checks.id("person_id", &request.person_id);
        let (Some(header), Some(team_id), Some(person_id)) = (header, team_id, person_id) else {
            return Err(checks.into_status());
        };
        let command = team::Command::RecordTraining(team::RecordTraining {
            person_id,
            course: request.course.clone(),
            organised_by: request.organised_by.clone(),
            effective_date: header.effective_date,
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    async fn evaluate(
        &self,
        actor: Principal,
        request: pb::EvaluateMemberRequest,
    ) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let person_id = checks.id("person_id", &request.person_id);
        let grade = checks.enumeration::<pb::TaskCompletionGrade>("grade", request.grade);
        let (Some(header), Some(team_id), Some(person_id), Some(grade)) = (header, team_id, person_id, grade) else {
            return Err(checks.into_status());
        };
        let command = team::Command::Evaluate(team::Evaluate {
            person_id,
            period_year: request.period_year,
            grade,
            evaluated_by: request.evaluated_by.clone(),
            effective_date: header.effective_date,
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    async fn pay(&self, actor: Principal, request: pb::PayAllowanceRequest) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let person_id = checks.optional_id("person_id", &request.person_id);
        let period_start = checks.date("period_start", request.period_start.as_ref());
        let period_end = checks.date("period_end", request.period_end.as_ref());
        let (Some(header), Some(team_id), Some(person_id), Some(period_start), Some(period_end)) =
            (header, team_id, person_id, period_start, period_end)
        else {
            return Err(checks.into_status());
        };
        let command = team::Command::PayAllowance(team::PayAllowance {
            person_id,
            amount_vnd: request.amount_vnd,
            period_start,
            period_end,
            effective_date: header.effective_date,
            decision: header.decision.clone(),
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    async fn leave(&self, actor: Principal, request: pb::MemberLeavesRequest) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let person_id = checks.id("person_id", &request.person_id);
        let reason = checks.enumeration::<pb::LeaveReason>("reason", request.reason);
        let (Some(header), Some(team_id), Some(person_id), Some(reason)) = (header, team_id, person_id, reason) else {
            return Err(checks.into_status());
        };
        let command = team::Command::Leave(team::Leave {
            person_id,
            reason,
            effective_date: header.effective_date,
            decision: header.decision.clone(),
        });
        self.record(&actor, &request, team_id, &header, command).await
    }

    async fn replace(&self, actor: Principal, request: pb::ReplaceMemberRequest) -> Result<pb::CommandResult, Status> {
        let (mut checks, header, team_id) = read_team(&request);
        let leaver = checks.id("leaver_person_id", &request.leaver_person_id);
        let successor = checks.id("successor_person_id", &request.successor_person_id);
        // Unspecified: the role the leaver held.
        let role = checks.optional_enumeration::<pb::MemberRole>("role", request.role);
        let decision = checks.required_decision();
        let (Some(header), Some(team_id), Some(leaver), Some(successor), Some(role), Some(decision)) =
            (header, team_id, leaver, successor, role, decision)
        else {
            return Err(checks.into_status());
        };
        let command = team::Command::Replace(team::Replace {
            leaver_person_id: leaver,
            successor_person_id: successor,
            role: (role != pb::MemberRole::Unspecified).then_some(role),
            effective_date: header.effective_date,
            decision,
        });
        let joining = ("successor_person_id", successor);
        self.record_joining(&actor, &request, team_id, &header, command, joining)
            .await
    }

    async fn get_team_view(&self, reader: &Principal, request: pb::GetTeamRequest) -> Result<pb::TeamView, Status> {
        let mut checks = Checks::default();
        let team_id = checks.id("team_id", &request.team_id);
        let as_of = checks.as_of(request.as_of.as_ref());
        let Some(team_id) = team_id else {
            return Err(checks.into_status());
        };
        checks.finish()?;
        let loaded = self.commands.load::<Team>(&team_stream(team_id)).await?;
        let never_established = || {
            status::not_found(format!(
                "no team is established with id {team_id} (chưa có trong hồ sơ); check the id"
            ))
        };
        let version = loaded.version.ok_or_else(never_established)?;
        let events = views::as_of(&loaded.timeline, &format!("team {team_id}"), as_of)?;
        let view = TeamViewBuilder::of(events);
        if !view.is_established() {
            return Err(never_established());
        }
        // Names are the people's current ones, from their own records.
        let names = self
            .persons
            .display_names(reader, GET_TEAM_RPC, &view.person_ids())
            .await?;
        Ok(view.finish(version, &names))
    }
}

/// The role a carried-over member takes: the one asked for, or the one they hold (or
/// held, on a retry after the old team was restructured).
fn carried_role(state: &team::State, carry: &CarryOverRequest) -> Result<pb::MemberRole, Status> {
    if carry.role != pb::MemberRole::Unspecified {
        return Ok(carry.role);
    }
    match state.membership(carry.person_id).map(|m| &m.stage) {
        Some(team::Stage::Active { role, .. } | team::Stage::Left { role, .. })
            if *role != pb::MemberRole::Unspecified =>
        {
            Ok(*role)
        }
        _ => Err(domain_status(&DomainError::NotActiveMember)),
    }
}

/// A successor that was checked but then could not receive its members: the old team is
/// restructured already, and a retry finishes the command.
fn successor_failed(successor: Uuid, refused: Status) -> Status {
    match refused.code() {
        Code::FailedPrecondition => status::precondition(
            "successor_team_ids",
            format!(
                "the team was restructured, but successor team {successor} could not receive its \
                 members: {}; fix that and retry the same request to finish",
                refused.message()
            ),
        ),
        _ => refused,
    }
}

fn successor_refused(successor: Uuid, error: &DomainError) -> Status {
    match error {
        DomainError::Invalid { reason, .. } => status::invalid_argument(&[Violation::new(
            "carried_over",
            format!("successor team {successor}: {reason}"),
        )]),
        rule => status::precondition(
            "successor_team_ids",
            format!("successor team {successor} cannot receive the members: {rule}"),
        ),
    }
}

#[tonic::async_trait]
impl<L: EventLog> Forces for ForcesService<L> {
    async fn establish_team(
        &self,
        request: Request<pb::EstablishTeamRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::EstablishTeamRequest| tracing::info_span!("EstablishTeam", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.establish(actor, r)).await
    }

    async fn change_team_quota(
        &self,
        request: Request<pb::ChangeTeamQuotaRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::ChangeTeamQuotaRequest| tracing::info_span!("ChangeTeamQuota", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.change_quota(actor, r)).await
    }

    async fn restructure_team(
        &self,
        request: Request<pb::RestructureTeamRequest>,
    ) -> Result<Response<pb::RestructureTeamResponse>, Status> {
        let span = |r: &pb::RestructureTeamRequest| tracing::info_span!("RestructureTeam", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.restructure(actor, r)).await
    }

    async fn record_group_households(
        &self,
        request: Request<pb::RecordGroupHouseholdsRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span =
            |r: &pb::RecordGroupHouseholdsRequest| tracing::info_span!("RecordGroupHouseholds", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.record_households(actor, r)).await
    }

    async fn hand_over_team(
        &self,
        request: Request<pb::HandOverTeamRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::HandOverTeamRequest| tracing::info_span!("HandOverTeam", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.hand_over(actor, r)).await
    }

    async fn dissolve_team(
        &self,
        request: Request<pb::DissolveTeamRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::DissolveTeamRequest| tracing::info_span!("DissolveTeam", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.dissolve(actor, r)).await
    }

    async fn nominate_member(
        &self,
        request: Request<pb::NominateMemberRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::NominateMemberRequest| tracing::info_span!("NominateMember", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.nominate(actor, r)).await
    }

    async fn vet_member(&self, request: Request<pb::VetMemberRequest>) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::VetMemberRequest| tracing::info_span!("VetMember", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.vet(actor, r)).await
    }

    async fn appoint_member(
        &self,
        request: Request<pb::AppointMemberRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::AppointMemberRequest| tracing::info_span!("AppointMember", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.appoint(actor, r)).await
    }

    async fn change_member_role(
        &self,
        request: Request<pb::ChangeMemberRoleRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::ChangeMemberRoleRequest| tracing::info_span!("ChangeMemberRole", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.change_role(actor, r)).await
    }

    async fn record_training(
        &self,
        request: Request<pb::RecordTrainingRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::RecordTrainingRequest| tracing::info_span!("RecordTraining", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.train(actor, r)).await
    }

    async fn evaluate_member(
        &self,
        request: Request<pb::EvaluateMemberRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::EvaluateMemberRequest| tracing::info_span!("EvaluateMember", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.evaluate(actor, r)).await
    }

    async fn pay_allowance(
        &self,
        request: Request<pb::PayAllowanceRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::PayAllowanceRequest| tracing::info_span!("PayAllowance", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.pay(actor, r)).await
    }

    async fn member_leaves(
        &self,
        request: Request<pb::MemberLeavesRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::MemberLeavesRequest| tracing::info_span!("MemberLeaves", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.leave(actor, r)).await
    }

    async fn replace_member(
        &self,
        request: Request<pb::ReplaceMemberRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::ReplaceMemberRequest| tracing::info_span!("ReplaceMember", team_id = ?r.team_id);
        request::traced(request, span, |actor, r| self.replace(actor, r)).await
    }

    async fn get_team(&self, request: Request<pb::GetTeamRequest>) -> Result<Response<pb::TeamView>, Status> {
        let span = |r: &pb::GetTeamRequest| tracing::info_span!("GetTeam", team_id = ?r.team_id);
        request::traced(request, span, |reader, r| async move {
            self.get_team_view(&reader, r).await
        })
        .await
    }

    async fn register_person(
        &self,
        request: Request<pb::RegisterPersonRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::RegisterPersonRequest| tracing::info_span!("RegisterPerson", person_id = ?r.person_id);
        request::traced(request, span, |actor, r| async move {
            self.persons.register(&actor, r).await
        })
        .await
    }

    async fn correct_person_details(
        &self,
        request: Request<pb::CorrectPersonDetailsRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span =
            |r: &pb::CorrectPersonDetailsRequest| tracing::info_span!("CorrectPersonDetails", person_id = ?r.person_id);
        request::traced(request, span, |actor, r| async move {
            self.persons.correct(&actor, r).await
        })
        .await
    }

    async fn get_person(&self, request: Request<pb::GetPersonRequest>) -> Result<Response<pb::PersonView>, Status> {
        let span = |r: &pb::GetPersonRequest| tracing::info_span!("GetPerson", person_id = ?r.person_id);
        request::traced(
            request,
            span,
            |reader, r| async move { self.persons.get(&reader, r).await },
        )
        .await
    }

    async fn forget_person(
        &self,
        request: Request<pb::ForgetPersonRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let span = |r: &pb::ForgetPersonRequest| tracing::info_span!("ForgetPerson", person_id = ?r.person_id);
        request::traced(
            request,
            span,
            |actor, r| async move { self.persons.forget(&actor, r).await },
        )
        .await
    }
}

/// The digest stored with a command's events; see [`commands::request_digest`].
pub fn digest<M: Message>(rpc: &str, request: &M) -> [u8; 32] {
    commands::request_digest(rpc, request)
}

/// The request path of a field the domain names.
fn request_path(domain_field: &str) -> String {
    let renames = [
        ("formed_from", "formed_from_team_ids"),
        ("term_end.on", "term_end"),
        ("term_end.reason", "term_end_reason"),
    ];
    request::request_path(domain_field, renames.into_iter())
}

/// A domain refusal as a status, with request paths.
pub fn domain_status(error: &DomainError) -> Status {
    match error {
        DomainError::Invalid { field, reason } => {
            status::invalid_argument(&[Violation::new(request_path(field), reason.clone())])
        }
        rule => status::domain_error(rule),
    }
}

/// Renames the domain's field names in an INVALID_ARGUMENT to request paths.
fn request_paths(status: Status) -> Status {
    request::rename_violations(status, request_path)
}

/// A team command's request: the RPC it is sent to, its header and the team's id.
trait TeamRequest: Message {
    /// The RPC's name, part of the request's digest.
    const RPC: &'static str;
    fn header(&self) -> Option<&pb::CommandHeader>;
    fn team_id(&self) -> &str;
}

macro_rules! team_requests {
    ($($rpc:literal => $request:ident),* $(,)?) => {$(
        impl TeamRequest for pb::$request {
            const RPC: &'static str = $rpc;
            fn header(&self) -> Option<&pb::CommandHeader> {
                self.header.as_ref()
            }
            fn team_id(&self) -> &str {
                &self.team_id
            }
        }
    )*};
}

team_requests! {
    "EstablishTeam" => EstablishTeamRequest,
    "ChangeTeamQuota" => ChangeTeamQuotaRequest,
    "RestructureTeam" => RestructureTeamRequest,
    "HandOverTeam" => HandOverTeamRequest,
    "RecordGroupHouseholds" => RecordGroupHouseholdsRequest,
    "DissolveTeam" => DissolveTeamRequest,
    "NominateMember" => NominateMemberRequest,
    "VetMember" => VetMemberRequest,
    "AppointMember" => AppointMemberRequest,
    "ChangeMemberRole" => ChangeMemberRoleRequest,
    "RecordTraining" => RecordTrainingRequest,
    "EvaluateMember" => EvaluateMemberRequest,
    "PayAllowance" => PayAllowanceRequest,
    "MemberLeaves" => MemberLeavesRequest,
    "ReplaceMember" => ReplaceMemberRequest,
}

/// Starts reading a team command: its header, then the team's id.
fn read_team<R: TeamRequest>(request: &R) -> (Checks, Option<CommandHeader>, Option<Uuid>) {
    let mut checks = Checks::default();
    let header = checks.header(request.header());
    let team_id = checks.id("team_id", request.team_id());
    (checks, header, team_id)
}

/// A carried-over member as read from the request.
struct CarryOverRequest {
    person_id: Uuid,
    successor_team_id: Uuid,
    role: pb::MemberRole,
}

/// Reads request fields into `Option`s (None: the field is malformed, and named by its
/// path) through `request::Fields`, so that they are read and worded as in every service.
#[derive(Default)]
pub struct Checks {
    fields: Fields,
}

impl Checks {
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.fields.violate(field, description);
    }

    pub fn len(&self) -> usize {
        self.violations().len()
    }

    pub fn is_empty(&self) -> bool {
        self.violations().is_empty()
    }

    pub fn violations(&self) -> &[Violation] {
        self.fields.violations()
    }

    /// INVALID_ARGUMENT with every violation (INTERNAL if a check returned None without
    /// naming the field, as in every service).
    pub fn into_status(self) -> Status {
        status::invalid_argument(self.violations())
    }

    /// Ok when nothing was wrong.
    pub fn finish(self) -> Result<(), Status> {
        self.fields.finish()
    }

    pub fn header(&mut self, header: Option<&pb::CommandHeader>) -> Option<CommandHeader> {
        self.fields.checked(|fields| fields.header(header))
    }

    /// The day a view is asked for as of (`as_of`, default today).
    pub fn as_of(&mut self, as_of: Option<&pb::Date>) -> Date {
        self.fields.as_of(as_of)
    }

    /// A required, non-nil UUID.
    pub fn id(&mut self, field: &str, text: &str) -> Option<Uuid> {
        self.fields.checked(|fields| fields.uuid(field, text))
    }

    /// An optional UUID: empty is None.
    pub fn optional_id(&mut self, field: &str, text: &str) -> Option<Option<Uuid>> {
        self.fields.checked(|fields| fields.optional_uuid(field, text))
    }

    /// A list of UUIDs; each bad one is named by its index.
    pub fn ids(&mut self, field: &str, texts: &[String]) -> Option<Vec<Uuid>> {
        let before = self.len();
        let ids: Vec<Option<Uuid>> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| self.id(&format!("{field}[{i}]"), text))
            .collect();
        if self.len() > before {
            return None;
        }
        ids.into_iter().collect()
    }

    fn carry_overs(&mut self, carried: &[pb::MemberCarryOver]) -> Option<Vec<CarryOverRequest>> {
        let before = self.len();
        let mut moves = Vec::with_capacity(carried.len());
        for (i, carry) in carried.iter().enumerate() {
            let person_id = self.id(&format!("carried_over[{i}].person_id"), &carry.person_id);
            let successor = self.id(
                &format!("carried_over[{i}].successor_team_id"),
                &carry.successor_team_id,
            );
            // Unspecified: the role the member holds.
            let role = self.optional_enumeration::<pb::MemberRole>(&format!("carried_over[{i}].role"), carry.role);
            if let (Some(person_id), Some(successor_team_id), Some(role)) = (person_id, successor, role) {
                moves.push(CarryOverRequest {
                    person_id,
                    successor_team_id,
                    role,
                });
            }
        }
        (self.len() == before).then_some(moves)
    }

    /// The end of a past term typed in whole: its day and its reason, both or neither.
    /// Some(None) when neither is given.
    fn term_end(&mut self, on: Option<&pb::Date>, reason: i32) -> Option<Option<team::TermEnd>> {
        let on = on.map(|on| self.date("term_end", Some(on)));
        match (
            on,
            self.optional_enumeration::<pb::LeaveReason>("term_end_reason", reason)?,
        ) {
            (None, pb::LeaveReason::Unspecified) => Some(None),
            (None, _) => {
                self.add("term_end", "a term end reason needs the day the term ended");
                None
            }
            (Some(_), pb::LeaveReason::Unspecified) => {
                self.add(
                    "term_end_reason",
                    "a term end needs its reason, e.g. LEAVE_REASON_TERM_ENDED (hết nhiệm kỳ)",
                );
                None
            }
            (Some(on), reason) => on.map(|on| Some(team::TermEnd { on, reason })),
        }
    }

    /// A required proto enum value: one this server knows, other than UNSPECIFIED.
    pub fn enumeration<E>(&mut self, field: &str, value: i32) -> Option<E>
    where
        E: TryFrom<i32> + Default + PartialEq,
    {
        self.fields.checked(|fields| fields.enumeration(field, value))
    }

    /// An optional proto enum value: UNSPECIFIED (unset) is allowed, an unknown value is not.
    pub fn optional_enumeration<E>(&mut self, field: &str, value: i32) -> Option<E>
    where
        E: TryFrom<i32> + Default,
    {
        self.fields.checked(|fields| fields.optional_enumeration(field, value))
    }

    /// A required date.
    pub fn date(&mut self, field: &'static str, date: Option<&pb::Date>) -> Option<Date> {
        self.fields.checked(|fields| fields.date(field, date))
    }

    /// The decision the header must carry for this command (see
    /// `request::Fields::required_decision`); read the header first.
    pub fn required_decision(&mut self) -> Option<Decision> {
        self.fields.read_required_decision()
    }

    /// Text as stored (see `request::Fields::text`).
    pub fn text(&mut self, field: &str, text: &str, chars_max: usize, required: bool) -> Option<String> {
        self.fields
            .checked(|fields| fields.text(field, text, chars_max, required))
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::{FieldViolation, StatusExt};

    use super::*;

    #[test]
    fn ids_are_checked_and_named_by_index() {
        let mut checks = Checks::default();
        assert!(checks.id("team_id", "").is_none());
        assert!(checks.id("team_id", "00000000-0000-0000-0000-000000000000").is_none());
        assert!(checks
            .ids(
                "successor_team_ids",
                &["0a110000-0000-4000-8000-000000000064".into(), "x".into()]
            )
            .is_none());
        let fields: Vec<&str> = checks.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["team_id", "team_id", "successor_team_ids[1]"]);
        assert_eq!(Checks::default().optional_id("person_id", ""), Some(None));
        // Ids are read as sent, never trimmed, as in every service.
        assert_eq!(Checks::default().optional_id("person_id", " "), None);
    }

    #[test]
    fn unknown_enum_values_are_named() {
        let mut checks = Checks::default();
        assert_eq!(
            checks.enumeration::<pb::MemberRole>("role", 1),
            Some(pb::MemberRole::Leader)
        );
        assert!(checks.enumeration::<pb::MemberRole>("role", 99).is_none());
        assert_eq!(checks.violations()[0].field, "role");
    }

    #[test]
    fn domain_fields_become_request_paths() {
        let status = request_paths(status::invalid_argument(&[Violation::new("decision", "dated later")]));
        let fields: Vec<String> = status
            .get_details_bad_request()
            .unwrap()
            .field_violations
            .into_iter()
            .map(|v: FieldViolation| v.field)
            .collect();
        assert_eq!(fields, ["header.decision"]);
        let status = domain_status(&DomainError::invalid("formed_from", "names the same id twice"));
        assert!(
            status.message().contains("formed_from_team_ids"),
            "{}",
            status.message()
        );
        assert_eq!(
            domain_status(&DomainError::VettingRequired).code(),
            Code::FailedPrecondition
        );
    }

    #[test]
    fn a_term_end_needs_its_day_and_its_reason() {
        let on = pb::Date {
            year: 2022,
            month: 12,
            day: 31,
        };
        let ended = pb::LeaveReason::TermEnded.into();
        let mut checks = Checks::default();
        assert_eq!(checks.term_end(None, 0), Some(None));
        let term_end = checks.term_end(Some(&on), ended).flatten().unwrap();
        assert_eq!(
            (term_end.on.to_proto(), term_end.reason),
            (on, pb::LeaveReason::TermEnded)
        );
        assert!(checks.is_empty());
        assert_eq!(checks.term_end(Some(&on), 0), None);
        assert_eq!(checks.term_end(None, ended), None);
        let bad_day = pb::Date { day: 32, ..on };
        assert_eq!(checks.term_end(Some(&bad_day), 0), None);
        assert_eq!(checks.term_end(Some(&on), 99), None);
        let fields: Vec<&str> = checks.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "term_end_reason",
                "term_end",
                "term_end",
                "term_end_reason",
                "term_end_reason"
            ]
        );
        assert_eq!(request_path("term_end.on"), "term_end");
    }

    #[test]
    fn digests_differ_by_rpc() {
        let request = pb::GetTeamRequest {
            team_id: "t".into(),
            as_of: None,
        };
        assert_ne!(digest("A", &request), digest("B", &request));
        assert_eq!(digest("A", &request), digest("A", &request));
    }
}
