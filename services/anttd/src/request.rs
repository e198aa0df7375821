//! Request handling shared by the domain services: reading a request's fields with every
//! problem gathered (one field violation per malformed field, named by its path in the
//! request), parsing ids, reading the command header, loading the facts of a registered
//! area, renaming the domain's field names to request paths, and planning and running a
//! command or a read in its span.
//!
//! The record services (incidents, ratings, inspections, targets) plan their commands
//! with [`plan`] and [`plan_in_area`] and run them with [`command`]; the areas and forces
//! services use the lower-level helpers.

use std::fmt::Display;
use std::future::Future;

use antt_domain::area::{self, Area};
use antt_domain::team::Team;
use antt_domain::{limits, Aggregate, AreaFacts, Date, Decision, DomainError, MonthDay, TeamFacts};
use antt_log::{EventLog, Violation};
use antt_proto::v1 as pb;
use tonic::{Code, Request, Response, Status};
use tonic_types::StatusExt;
use tracing::{field, Instrument, Span};
use uuid::Uuid;

use crate::commands::{self, CommandHeader, Commands};
use crate::status;
use crate::views;

/// Domain fields that come from the header in every request: the effective date and
/// the decision (which the domain calls by its role: the inspection's report, the
/// action's plan, the target's resolution).
const HEADER_PATHS: &[(&str, &str)] = &[
    ("effective_date", "header.effective_date"),
    ("decision", "header.decision"),
    ("report", "header.decision"),
    ("plan", "header.decision"),
    ("resolution", "header.decision"),
];

/// The stream of a record: "<kind>-<uuid>", the UUID in canonical lowercase text so
/// that one record never has two streams.
pub(crate) fn stream_id(kind: &str, id: impl Display) -> String {
    format!("{kind}-{id}")
}

/// A command read from its request, ready to record.
pub(crate) struct Planned<A: Aggregate> {
    stream_id: String,
    header: CommandHeader,
    command: A::Command,
    /// Where the domain's field names differ from the request's field paths.
    paths: &'static [(&'static str, &'static str)],
}

impl<A: Aggregate> Planned<A> {
    pub(crate) fn new(stream_id: String, header: CommandHeader, command: A::Command) -> Self {
        Planned {
            stream_id,
            header,
            command,
            paths: &[],
        }
    }

    /// Names the request's field paths for domain fields, e.g. ("defendants",
    /// "prosecution.defendants"), so that a malformed field is reported where the
    /// client put it.
    pub(crate) fn with_paths(mut self, paths: &'static [(&'static str, &'static str)]) -> Self {
        self.paths = paths;
        self
    }
}

/// The record a command is about: its id's field, the id as sent, and the kind of
/// record that names its stream, e.g. ("incident_id", "…", "incident").
pub(crate) type Record<'a> = (&'static str, &'a str, &'a str);

/// Plans a command on the record `record` names that needs nothing but its header,
/// the record's id and the fields `read` reads; `command` builds it once every field
/// is well formed.
pub(crate) fn plan<A: Aggregate, T>(
    header: Option<&pb::CommandHeader>,
    (field, id, kind): Record<'_>,
    read: impl FnOnce(&mut Fields) -> T,
    command: impl FnOnce(T, &CommandHeader) -> A::Command,
) -> Result<Planned<A>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(header);
    let id = fields.uuid(field, id);
    let read = read(&mut fields);
    fields.finish()?;
    let command = command(read, &header);
    Ok(Planned::new(stream_id(kind, id), header, command))
}

/// Like [`plan`], for a command that also names a registered area (`area`: its field
/// and its id as sent), whose facts the command carries. `command` gets the record's
/// id, what `read` read, the area's facts and the header.
pub(crate) async fn plan_in_area<L: EventLog, A: Aggregate, T>(
    commands: &Commands<L>,
    header: Option<&pb::CommandHeader>,
    (field, id, kind): Record<'_>,
    (area_field, area_id): (&'static str, &str),
    read: impl FnOnce(&mut Fields) -> T,
    command: impl FnOnce(Uuid, T, AreaFacts, &CommandHeader) -> A::Command,
) -> Result<Planned<A>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(header);
    let id = fields.uuid(field, id);
    let area_id = fields.uuid(area_field, area_id);
    let read = read(&mut fields);
    fields.finish()?;
    let area = area_facts(commands, area_field, area_id).await?;
    let command = command(id, read, area, &header);
    Ok(Planned::new(stream_id(kind, id), header, command))
}

/// Runs one command RPC in a span carrying the RPC and the record's id: reads who
/// calls and the request's digest, plans the command from the request and records it.
pub(crate) async fn command<L, A, M, Fut>(
    commands: &Commands<L>,
    rpc: &'static str,
    request: Request<M>,
    record_id: fn(&M) -> &str,
    plan: impl FnOnce(M) -> Fut,
) -> Result<Response<pb::CommandResult>, Status>
where
    L: EventLog,
    A: Aggregate,
    A::Command: Clone,
    M: prost::Message,
    Fut: Future<Output = Result<Planned<A>, Status>>,
{
    let actor = commands::actor_of(&request);
    let message = request.into_inner();
    let digest = commands::request_digest(rpc, &message);
    // Debug formatting escapes control characters a client might put in an id.
    let span = tracing::info_span!(
        "command",
        rpc,
        record_id = ?record_id(&message),
        stream_version = field::Empty,
        deduplicated = field::Empty,
    );
    async move {
        let planned = plan(message).await?;
        let result = commands
            .execute::<A>(&planned.stream_id, &planned.header, &actor, digest, planned.command)
            .await
            .map_err(|status| with_request_paths(status, planned.paths))?;
        let span = Span::current();
        span.record("stream_version", result.stream_version);
        span.record("deduplicated", result.deduplicated);
        tracing::debug!("command answered");
        Ok(Response::new(result))
    }
    .instrument(span)
    .await
}

/// Runs one RPC in the span `span` builds from its message: reads who calls, then
/// `handle`s the message on their behalf.
pub(crate) async fn traced<M, T, Fut>(
    request: Request<M>,
    span: impl FnOnce(&M) -> Span,
    handle: impl FnOnce(String, M) -> Fut,
) -> Result<Response<T>, Status>
where
    Fut: Future<Output = Result<T, Status>>,
{
    let actor = commands::actor_of(&request);
    let message = request.into_inner();
    let span = span(&message);
    handle(actor, message).instrument(span).await.map(Response::new)
}

/// Runs one read RPC in a span carrying the RPC and the record's id.
pub(crate) async fn query<M, V, Fut>(
    rpc: &'static str,
    request: Request<M>,
    record_id: fn(&M) -> &str,
    answer: impl FnOnce(M) -> Fut,
) -> Result<Response<V>, Status>
where
    Fut: Future<Output = Result<V, Status>>,
{
    let message = request.into_inner();
    let span = tracing::info_span!("query", rpc, record_id = ?record_id(&message));
    answer(message).instrument(span).await.map(Response::new)
}

/// The domain reports a malformed field by its own name; the client needs the path
/// in its request.
fn with_request_paths(status: Status, paths: &[(&str, &str)]) -> Status {
    rename_violations(status, |field| {
        paths
            .iter()
            .chain(HEADER_PATHS)
            .find(|(domain_field, _)| *domain_field == field)
            .map_or(field, |(_, path)| path)
            .to_string()
    })
}

/// INVALID_ARGUMENT with each field violation renamed by `path` (from the domain's field
/// name to the request's path); any other status unchanged.
pub(crate) fn rename_violations(status: Status, path: impl Fn(&str) -> String) -> Status {
    if status.code() != Code::InvalidArgument {
        return status;
    }
    let Some(bad_request) = status.get_details_bad_request() else {
        return status;
    };
    let violations: Vec<Violation> = bad_request
        .field_violations
        .into_iter()
        .map(|violation| Violation::new(path(&violation.field), violation.description))
        .collect();
    status::invalid_argument(&violations)
}

/// The request path of a field the domain names `domain_field`: the path `renames` gives
/// it, else the header's decision for "decision", else the domain's own name.
pub(crate) fn request_path<'a>(domain_field: &str, mut renames: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    if let Some((_, path)) = renames.find(|(from, _)| *from == domain_field) {
        return path.to_string();
    }
    match domain_field {
        // The decision and the effective date travel in the header of every request.
        "decision" => "header.decision".to_string(),
        "effective_date" => "header.effective_date".to_string(),
        other => other.to_string(),
    }
}

/// What commands about other records need to know about an area, read from the
/// area's stream. An area that was never registered is a broken rule, not malformed
/// input: FAILED_PRECONDITION, naming the field.
pub(crate) async fn area_facts<L: EventLog>(
    commands: &Commands<L>,
    field: &'static str,
    area_id: Uuid,
) -> Result<AreaFacts, Status> {
    registered_area(commands, field, area_id, || {
        format!(
            "{field}: area {area_id} is not registered (chưa đăng ký địa bàn); \
             check the id or register the area first"
        )
    })
    .await
}

/// Like [`area_facts`], with the message of the refusal worded by `unregistered`.
pub(crate) async fn registered_area<L: EventLog>(
    commands: &Commands<L>,
    field: &str,
    area_id: Uuid,
    unregistered: impl FnOnce() -> String,
) -> Result<AreaFacts, Status> {
    let state = load_area(commands, area_id).await?;
    state.facts().ok_or_else(|| status::precondition(field, unregistered()))
}

/// An area's current state, replayed from its stream (the default state if nothing is
/// recorded).
pub(crate) async fn load_area<L: EventLog>(commands: &Commands<L>, area_id: Uuid) -> Result<area::State, Status> {
    Ok(commands.load::<Area>(&crate::areas::stream_id(area_id)).await?.state())
}

/// What a command needs to know of the team `team_id` named in `field`;
/// FAILED_PRECONDITION, naming the field, if it was never established.
pub(crate) async fn team_facts<L: EventLog>(
    commands: &Commands<L>,
    field: &str,
    team_id: Uuid,
) -> Result<TeamFacts, Status> {
    let team = commands
        .load::<Team>(&crate::forces::team_stream(team_id))
        .await?
        .state();
    team.facts().ok_or_else(|| {
        status::precondition(
            field,
            format!("{field}: team {team_id} is not established (chưa có trong hồ sơ); check the id"),
        )
    })
}

/// A record as it stood at the end of `as_of`, with its stream's version; NOT_FOUND when
/// nothing is recorded, or nothing had taken effect by then.
pub(crate) async fn load_as_of<A: Aggregate, L: EventLog>(
    commands: &Commands<L>,
    kind: &str,
    key: impl Display,
    as_of: Date,
) -> Result<(A::State, u64), Status> {
    let loaded = commands.load::<A>(&stream_id(kind, &key)).await?;
    let Some(version) = loaded.version else {
        return Err(status::not_found(format!(
            "nothing is recorded for {kind} {key} (chưa có trong hồ sơ); check the id"
        )));
    };
    let state = views::state_as_of(&loaded.timeline, &format!("{kind} {key}"), as_of)?;
    Ok((state, version))
}

/// The one id a read names and the day it asks for (`as_of`, default today);
/// INVALID_ARGUMENT naming each that is malformed.
pub(crate) fn id_as_of(field: &'static str, text: &str, as_of: Option<&pb::Date>) -> Result<(Uuid, Date), Status> {
    let mut fields = Fields::default();
    let id = fields.uuid(field, text);
    let as_of = fields.as_of(as_of);
    fields.finish()?;
    Ok((id, as_of))
}

/// What is wrong with an id as sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BadId {
    /// Empty.
    Missing,
    /// The nil UUID.
    Nil,
    /// Not a UUID.
    Malformed,
}

/// A required, non-nil UUID, parsed as sent (services that trim do so first). Each
/// service words the problem its own way.
pub(crate) fn parse_id(text: &str) -> Result<Uuid, BadId> {
    if text.is_empty() {
        return Err(BadId::Missing);
    }
    match Uuid::parse_str(text) {
        Ok(id) if id.is_nil() => Err(BadId::Nil),
        Ok(id) => Ok(id),
        Err(_) => Err(BadId::Malformed),
    }
}

/// Reads a request's fields, collecting one violation per malformed field so that the
/// client learns of every problem at once. A reader returns a stand-in for a bad field
/// so that reading goes on; [`Fields::finish`] then refuses the request, so a stand-in
/// never reaches a command.
#[derive(Default)]
pub(crate) struct Fields {
    violations: Vec<Violation>,
}

impl Fields {
    pub(crate) fn violate(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.violations.push(Violation::new(field, description));
    }

    /// Every problem named so far, in reading order.
    pub(crate) fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// INVALID_ARGUMENT naming every problem; None if there was none.
    pub(crate) fn refusal(&self) -> Option<Status> {
        (!self.violations.is_empty()).then(|| status::invalid_argument(&self.violations))
    }

    /// INVALID_ARGUMENT naming every malformed field, if there was one.
    pub(crate) fn finish(self) -> Result<(), Status> {
        self.refusal().map_or(Ok(()), Err)
    }

    pub(crate) fn header(&mut self, header: Option<&pb::CommandHeader>) -> CommandHeader {
        self.read_header(header).unwrap_or(CommandHeader {
            request_id: Uuid::nil(),
            expected_version: None,
            effective_date: Date::MIN,
            decision: None,
        })
    }

    /// The command header; None (and its problems named) if it is missing or malformed.
    pub(crate) fn read_header(&mut self, header: Option<&pb::CommandHeader>) -> Option<CommandHeader> {
        CommandHeader::from_proto(header)
            .map_err(|violations| self.violations.extend(violations))
            .ok()
    }

    /// The decision the header must carry for this command, e.g. an inspection
    /// delegation's report.
    pub(crate) fn required_decision(&mut self, header: &CommandHeader, what: &str) -> Decision {
        if let Some(decision) = &header.decision {
            return decision.clone();
        }
        // A malformed decision is already named by its own field.
        if !self.violations.iter().any(|v| v.field.starts_with("header.decision")) {
            self.violate(
                "header.decision",
                format!("give {what}: its number as printed, who issued it and its date"),
            );
        }
        Decision {
            number: String::new(),
            issued_by: String::new(),
            issued_on: Date::MIN,
        }
    }

    /// A required UUID, not the nil one.
    pub(crate) fn uuid(&mut self, field: &str, text: &str) -> Uuid {
        match parse_id(text) {
            Ok(id) => id,
            Err(BadId::Missing) => {
                self.violate(field, "a UUID is required, e.g. 7d9f0c2e-5b1a-4c3e-9a77-1f2e3d4c5b6a");
                Uuid::nil()
            }
            Err(bad) => {
                self.violate_id(field, bad);
                Uuid::nil()
            }
        }
    }

    /// An optional UUID: empty means none.
    pub(crate) fn optional_uuid(&mut self, field: &str, text: &str) -> Option<Uuid> {
        match parse_id(text) {
            Ok(id) => Some(id),
            Err(BadId::Missing) => None,
            Err(bad) => {
                self.violate_id(field, bad);
                None
            }
        }
    }

    fn violate_id(&mut self, field: &str, bad: BadId) {
        let description = match bad {
            BadId::Missing | BadId::Malformed => "must be a UUID, e.g. 7d9f0c2e-5b1a-4c3e-9a77-1f2e3d4c5b6a",
            BadId::Nil => "must not be the nil UUID",
        };
        self.violate(field, description);
    }

    /// A required enum value: one this server knows, other than UNSPECIFIED.
    pub(crate) fn enumeration<E>(&mut self, field: &str, value: i32) -> E
    where
        E: TryFrom<i32> + Default + PartialEq,
    {
        match E::try_from(value) {
            Ok(known) if known != E::default() => known,
            Ok(_) => {
                self.violate(field, "must be specified");
                E::default()
            }
            Err(_) => {
                self.violate(field, format!("{value} is not a known value"));
                E::default()
            }
        }
    }

    /// An optional enum value: UNSPECIFIED (unset) is allowed, an unknown value is not.
    pub(crate) fn optional_enumeration<E>(&mut self, field: &str, value: i32) -> E
    where
        E: TryFrom<i32> + Default,
    {
        E::try_from(value).unwrap_or_else(|_| {
            self.violate(field, format!("{value} is not a known value"));
            E::default()
        })
    }

    /// A required date.
    pub(crate) fn date(&mut self, field: &'static str, date: Option<&pb::Date>) -> Date {
        Date::from_proto_field(field, date).unwrap_or_else(|error| {
            let reason = match error {
                DomainError::Invalid { reason, .. } => reason,
                other => other.to_string(),
            };
            self.violate(field, reason);
            Date::MIN
        })
    }

    /// The day a view is asked for as of: `as_of` if given, else today in Vietnam.
    pub(crate) fn as_of(&mut self, as_of: Option<&pb::Date>) -> Date {
        match as_of {
            Some(as_of) => self.date("as_of", Some(as_of)),
            None => commands::today_in_vietnam(antt_log::Timestamp::now()),
        }
    }

    /// An optional day of the year; None when absent or malformed.
    pub(crate) fn month_day(&mut self, field: &str, month_day: Option<&pb::MonthDay>) -> Option<MonthDay> {
        let month_day = month_day?;
        MonthDay::new(month_day.month, month_day.day)
            .map_err(|invalid| self.violate(field, invalid.to_string()))
            .ok()
    }

    /// A year within the years the domain accepts.
    pub(crate) fn year(&mut self, field: &str, year: i32) -> i32 {
        if !(limits::YEAR_MIN..=limits::YEAR_MAX).contains(&year) {
            self.violate(
                field,
                format!("must be between {} and {}", limits::YEAR_MIN, limits::YEAR_MAX),
            );
        }
        year
    }
}

#[cfg(test)]
mod tests {
    use antt_domain::DomainError;

    use super::*;

    fn fields_of(status: &Status) -> Vec<String> {
        status
            .get_details_bad_request()
            .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
            .unwrap_or_default()
    }

    #[test]
    fn every_bad_field_is_named_in_reading_order() {
        let mut fields = Fields::default();
        fields.header(None);
        assert_eq!(fields.uuid("incident_id", ""), Uuid::nil());
        assert_eq!(fields.optional_uuid("tip_id", ""), None);
        assert_eq!(
            fields.optional_uuid("team_id", "00000000-0000-0000-0000-000000000000"),
            None
        );
        let unspecified: pb::IncidentCategory = fields.enumeration("category", 0);
        let unknown: pb::IncidentSource = fields.enumeration("source", 99);
        assert_eq!(
            (unspecified, unknown),
            (pb::IncidentCategory::Unspecified, pb::IncidentSource::Unspecified)
        );
        fields.year("year", 1800);
        assert_eq!(fields.month_day("report_due_before", None), None);
        fields.month_day("ongoing.report_due_before", Some(&pb::MonthDay { month: 2, day: 30 }));
        let status = fields.finish().unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            fields_of(&status),
            [
                "header",
                "incident_id",
                "team_id",
                "category",
                "source",
                "year",
                "ongoing.report_due_before"
            ]
        );
    }

    #[test]
    fn a_required_decision_is_asked_for_once() {
        let mut fields = Fields::default();
        let header = fields.header(Some(&pb::CommandHeader {
            request_id: Uuid::from_u128(1).to_string(),
            expected_version: None,
            effective_date: Some(pb::Date {
                year: 2023,
                month: 5,
                day: 31,
            }),
            decision: Some(pb::DecisionRef {
                number: "03-BC/ĐKT".into(),
                issued_by: String::new(),
                issued_on: None,
            }),
        }));
        fields.required_decision(&header, "the delegation's report");
        assert_eq!(fields_of(&fields.finish().unwrap_err()), ["header.decision.issued_on"]);
    }

    #[test]
    fn domain_fields_are_renamed_to_request_paths() {
        let refused = status::domain_error(&DomainError::invalid("defendants", "at least one"));
        assert_eq!(
            fields_of(&with_request_paths(
                refused,
                &[("defendants", "prosecution.defendants")]
            )),
            ["prosecution.defendants"]
        );
        let campaign = status::domain_error(&DomainError::invalid("effective_date", "outside the campaign"));
        assert_eq!(fields_of(&with_request_paths(campaign, &[])), ["header.effective_date"]);
        let rule = status::domain_error(&DomainError::IncidentClosed);
        assert_eq!(with_request_paths(rule, &[]).code(), Code::FailedPrecondition);
    }
}
