//! Request handling shared by the domain services: reading a request's fields with every
//! problem gathered (one field violation per malformed field, named by its path in the
//! request), loading the facts of a registered area, renaming the domain's field names to
//! request paths, and planning and running a command or a read in its span.
//!
//! [`Fields`] is the one reader of request fields: ids, the command header and its
//! decision, enums, dates, years, days of the year and text. Every domain service reads
//! through it, so the same malformed input gets the same code, field path and description
//! from every service (`tests/one_reader.rs` sends the same inputs to all of them).
//!
//! The record services (incidents, ratings, inspections, targets, records) plan their
//! commands with [`plan`] and [`plan_in_area`] and run them with [`command`]; the areas and
//! forces services read into `Option`s through [`Fields::checked`] and use the lower-level
//! helpers.

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
    /// The command, for facts read after the request (which need the request's fields).
    pub(crate) fn command_mut(&mut self) -> &mut A::Command {
        &mut self.command
    }

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
    A: crate::access::Located,
    A::Command: Clone,
    M: prost::Message,
    Fut: Future<Output = Result<Planned<A>, Status>>,
{
    let actor = crate::access::principal_of(&request)?;
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
    handle: impl FnOnce(antt_access::Principal, M) -> Fut,
) -> Result<Response<T>, Status>
where
    Fut: Future<Output = Result<T, Status>>,
{
    let actor = crate::access::principal_of(&request)?;
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

/// An example id for messages.
const ID_EXAMPLE: &str = "7d9f0c2e-5b1a-4c3e-9a77-1f2e3d4c5b6a";
/// The one wording of a decision that a command requires and the header lacks, whatever
/// role the domain gives it: a decision, a resolution, a report, a source document.
const DECISION_REQUIRED: &str = "is required for this command: the document behind it (quyết định, nghị quyết, \
                                 báo cáo), with its number as printed (e.g. 710/QĐ-UBND), who issued it and \
                                 its date";
const HEADER_REQUIRED: &str = "every command needs a header with a request id and an effective date";

/// What is wrong with an id as sent.
///
/// Ids are read exactly as sent, never trimmed: they are keys that programs copy, not
/// text that people type. A padded id is refused rather than repaired because the log's
/// EventStore refuses one too, because a client that pads ids has a bug that shows up
/// elsewhere (its ids no longer equal those the views return), and because a command's
/// digest covers the request as sent, so a retry that differed only in padding would be
/// refused as a reused request id. Text, which people type, is trimmed ([`Fields::text`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BadId {
    /// Empty.
    Missing,
    /// A UUID with spaces around it.
    Padded,
    /// The nil UUID.
    Nil,
    /// Not a UUID.
    Malformed,
}

impl BadId {
    /// The problem, worded the same for every id field of every service. The text sent is
    /// not echoed: a name typed into an id field is personal data, and messages are logged.
    fn description(self) -> String {
        match self {
            BadId::Missing => format!("is required: a UUID, e.g. {ID_EXAMPLE}"),
            BadId::Padded => "must be a UUID without spaces around it".to_string(),
            BadId::Nil => "must not be the nil UUID".to_string(),
            BadId::Malformed => format!("must be a UUID, e.g. {ID_EXAMPLE}"),
        }
    }
}

/// A required, non-nil UUID, parsed exactly as sent.
fn parse_id(text: &str) -> Result<Uuid, BadId> {
    if text.is_empty() {
        return Err(BadId::Missing);
    }
    match Uuid::parse_str(text) {
        Ok(id) if id.is_nil() => Err(BadId::Nil),
        Ok(id) => Ok(id),
        Err(_) if text.trim() != text && Uuid::parse_str(text.trim()).is_ok() => Err(BadId::Padded),
        Err(_) => Err(BadId::Malformed),
    }
}

/// What the header read said of its decision, for [`Fields::required_decision`].
#[derive(Default)]
enum HeaderDecision {
    /// No header was read.
    #[default]
    Unread,
    /// There was no header, which is named as such.
    HeaderMissing,
    /// The header carries no decision.
    Absent,
    /// The decision is malformed, and named under `header.decision.…`.
    Malformed,
    Given(Decision),
}

/// Reads a request's fields, collecting one violation per malformed field so that the
/// client learns of every problem at once. Every domain service reads through it, so the
/// same input gets the same code, field path and description from every service.
///
/// A reader returns a stand-in for a bad field so that reading goes on; [`Fields::finish`]
/// then refuses the request, so a stand-in never reaches a command. [`Fields::checked`]
/// makes any reader return None for a bad field instead, for the services that read a
/// request into `Option`s (areas, forces).
#[derive(Default)]
pub(crate) struct Fields {
    violations: Vec<Violation>,
    decision: HeaderDecision,
}

impl Fields {
    pub(crate) fn violate(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.violations.push(Violation::new(field, description));
    }

    /// Every problem named so far, in reading order.
    pub(crate) fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// INVALID_ARGUMENT naming every malformed field, if there was one.
    pub(crate) fn finish(self) -> Result<(), Status> {
        if self.violations.is_empty() {
            return Ok(());
        }
        Err(status::invalid_argument(&self.violations))
    }

    /// What `read` reads, or None if it named a problem.
    pub(crate) fn checked<T>(&mut self, read: impl FnOnce(&mut Fields) -> T) -> Option<T> {
        let before = self.violations.len();
        let value = read(self);
        (self.violations.len() == before).then_some(value)
    }

    /// The command header, each problem named under `header.`; what is missing or
    /// malformed has a stand-in, what is well formed is kept (so that a decision given
    /// is not asked for again because the request id is malformed).
    pub(crate) fn header(&mut self, header: Option<&pb::CommandHeader>) -> CommandHeader {
        let Some(header) = header else {
            self.violate("header", HEADER_REQUIRED);
            self.decision = HeaderDecision::HeaderMissing;
            return CommandHeader {
                request_id: Uuid::nil(),
                expected_version: None,
                effective_date: Date::MIN,
                decision: None,
            };
        };
        CommandHeader {
            request_id: self.uuid("header.request_id", &header.request_id),
            expected_version: header.expected_version,
            effective_date: self.date("header.effective_date", header.effective_date.as_ref()),
            decision: self.decision(header.decision.as_ref()),
        }
    }

    /// The header's decision, if it has one: its number and its date.
    fn decision(&mut self, decision: Option<&pb::DecisionRef>) -> Option<Decision> {
        // An absent message and an all-default one both mean "no decision" (a number is
        // text, so a blank one is none).
        let Some(decision) = decision.filter(|d| !d.number.trim().is_empty() || d.issued_on.is_some()) else {
            self.decision = HeaderDecision::Absent;
            return None;
        };
        let read = self.checked(|fields| {
            if decision.number.trim().is_empty() {
                fields.violate(
                    "header.decision.number",
                    "a decision needs its number as printed, e.g. 710/QĐ-UBND",
                );
            }
            Decision {
                number: decision.number.clone(),
                issued_by: decision.issued_by.clone(),
                issued_on: fields.date("header.decision.issued_on", decision.issued_on.as_ref()),
            }
        });
        self.decision = read.clone().map_or(HeaderDecision::Malformed, HeaderDecision::Given);
        read
    }

    /// The decision the header must carry for this command, by whatever role the domain
    /// gives it (an inspection delegation's report, a target's resolution): one rule and
    /// one wording for every command that requires one. Read the header first.
    pub(crate) fn required_decision(&mut self) -> Decision {
        self.read_required_decision().unwrap_or_else(|| Decision {
            number: String::new(),
            issued_by: String::new(),
            issued_on: Date::MIN,
        })
    }

    /// Like [`Fields::required_decision`]; None when it is missing or malformed. A missing
    /// header or a malformed decision is named by its own field already, not again here.
    pub(crate) fn read_required_decision(&mut self) -> Option<Decision> {
        match &self.decision {
            HeaderDecision::Given(decision) => return Some(decision.clone()),
            HeaderDecision::HeaderMissing | HeaderDecision::Malformed => {}
            HeaderDecision::Unread | HeaderDecision::Absent => self.violate("header.decision", DECISION_REQUIRED),
        }
        None
    }

    /// A required UUID, not the nil one, read as sent (see [`BadId`]).
    pub(crate) fn uuid(&mut self, field: &str, text: &str) -> Uuid {
        parse_id(text).unwrap_or_else(|bad| {
            self.violate(field, bad.description());
            Uuid::nil()
        })
    }

    /// An optional UUID: empty means none; anything else is read as a required one.
    pub(crate) fn optional_uuid(&mut self, field: &str, text: &str) -> Option<Uuid> {
        if text.is_empty() {
            return None;
        }
        Some(self.uuid(field, text)).filter(|id| !id.is_nil())
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
                self.violate(field, unknown_value(value));
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
            self.violate(field, unknown_value(value));
            E::default()
        })
    }

    /// A required date.
    pub(crate) fn date(&mut self, field: &'static str, date: Option<&pb::Date>) -> Date {
        Date::from_proto_field(field, date).unwrap_or_else(|error| {
            self.violate(field, reason(error));
            Date::MIN
        })
    }

    /// An optional date: None when absent.
    pub(crate) fn optional_date(&mut self, field: &'static str, date: Option<&pb::Date>) -> Option<Date> {
        date.map(|date| self.date(field, Some(date)))
    }

    /// The day a view is asked for as of: `as_of` if given, else today in Vietnam.
    pub(crate) fn as_of(&mut self, as_of: Option<&pb::Date>) -> Date {
        self.optional_date("as_of", as_of)
            .unwrap_or_else(|| commands::today_in_vietnam(antt_log::Timestamp::now()))
    }

    /// An optional day of the year; None when absent or malformed.
    pub(crate) fn month_day(&mut self, field: &str, month_day: Option<&pb::MonthDay>) -> Option<MonthDay> {
        let month_day = month_day?;
        MonthDay::new(month_day.month, month_day.day)
            .map_err(|_| {
                let (month, day) = (month_day.month, month_day.day);
                self.violate(
                    field,
                    format!("{day:02}/{month:02} is not a day of the year (ngày không hợp lệ)"),
                );
            })
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

    /// Text as stored: trimmed and NFC-normalised, at most `chars_max` characters, no
    /// control characters but line breaks, not empty if `required`. The domain's rule and
    /// wording ([`antt_domain::text::bounded_text`]), read here too so that a problem is
    /// named with the request's others. Unlike an id, text is typed by people, so the
    /// spaces around it are dropped.
    pub(crate) fn text(&mut self, field: &str, text: &str, chars_max: usize, required: bool) -> String {
        antt_domain::text::bounded_text(text, chars_max, required).unwrap_or_else(|reason| {
            self.violate(field, reason);
            String::new()
        })
    }
}

fn unknown_value(value: i32) -> String {
    format!("{value} is not a known value")
}

/// A domain refusal's reason without its field, which the violation names.
fn reason(error: DomainError) -> String {
    match error {
        DomainError::Invalid { reason, .. } => reason,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use antt_domain::DomainError;

    use super::*;

    const ID: &str = "0a110000-0000-4000-8000-000000000026";
    const NIL: &str = "00000000-0000-0000-0000-000000000000";

    fn fields_of(status: &Status) -> Vec<String> {
        status
            .get_details_bad_request()
            .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
            .unwrap_or_default()
    }

    fn described(fields: &Fields) -> Vec<(&str, &str)> {
        fields
            .violations()
            .iter()
            .map(|v| (v.field.as_str(), v.description.as_str()))
            .collect()
    }

    fn header() -> pb::CommandHeader {
        pb::CommandHeader {
            request_id: "7d9f0c2e-5b1a-4c3e-9a77-1f2e3d4c5b6a".into(),
            expected_version: Some(3),
            effective_date: Some(pb::Date {
                year: 2008,
                month: 5,
                day: 25,
            }),
            decision: Some(pb::DecisionRef {
                number: "710/QĐ-UBND".into(),
                issued_by: "UBND huyện Nga Sơn".into(),
                issued_on: Some(pb::Date {
                    year: 2008,
                    month: 5,
                    day: 25,
                }),
            }),
        }
    }

    #[test]
    fn every_bad_field_is_named_in_reading_order() {
        let mut fields = Fields::default();
        fields.header(None);
        assert_eq!(fields.uuid("incident_id", ""), Uuid::nil());
        assert_eq!(fields.optional_uuid("tip_id", ""), None);
        assert_eq!(fields.optional_uuid("team_id", NIL), None);
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
    fn ids_are_read_as_sent_and_every_bad_one_is_worded_alike() {
        let mut fields = Fields::default();
        assert_eq!(fields.uuid("area_id", ID), Uuid::parse_str(ID).unwrap());
        assert!(fields.violations().is_empty());
        for text in ["", &format!("  {ID}  "), NIL, "not-a-uuid", " "] {
            assert_eq!(fields.uuid("area_id", text), Uuid::nil(), "{text:?}");
        }
        let example = "e.g. 7d9f0c2e-5b1a-4c3e-9a77-1f2e3d4c5b6a";
        assert_eq!(
            described(&fields),
            [
                ("area_id", format!("is required: a UUID, {example}").as_str()),
                ("area_id", "must be a UUID without spaces around it"),
                ("area_id", "must not be the nil UUID"),
                ("area_id", format!("must be a UUID, {example}").as_str()),
                ("area_id", format!("must be a UUID, {example}").as_str()),
            ]
        );
        // An optional id is absent only when empty; otherwise it is read like a required one.
        let mut optional = Fields::default();
        assert_eq!(optional.optional_uuid("tip_id", ""), None);
        assert_eq!(optional.checked(|f| f.optional_uuid("tip_id", "")), Some(None));
        assert_eq!(optional.checked(|f| f.optional_uuid("tip_id", &format!(" {ID}"))), None);
        assert_eq!(
            described(&optional),
            [("tip_id", "must be a UUID without spaces around it")]
        );
    }

    #[test]
    fn checked_readers_give_none_exactly_when_a_field_is_named() {
        let mut fields = Fields::default();
        assert_eq!(fields.checked(|f| f.uuid("team_id", ID)), Uuid::parse_str(ID).ok());
        assert_eq!(fields.checked(|f| f.enumeration::<pb::MemberRole>("role", 0)), None);
        assert_eq!(
            fields.checked(|f| f.optional_enumeration::<pb::MemberRole>("role", 0)),
            Some(pb::MemberRole::Unspecified)
        );
        assert_eq!(
            fields.checked(|f| f.optional_enumeration::<pb::MemberRole>("role", 99)),
            None
        );
        assert_eq!(
            described(&fields),
            [("role", "must be specified"), ("role", "99 is not a known value")]
        );
    }

    #[test]
    fn dates_years_and_text_are_worded_alike() {
        let mut fields = Fields::default();
        let february_30 = pb::Date {
            year: 2023,
            month: 2,
            day: 30,
        };
        assert_eq!(fields.date("period_start", None), Date::MIN);
        assert_eq!(fields.date("period_start", Some(&february_30)), Date::MIN);
        assert_eq!(fields.optional_date("last_day", None), None);
        assert_eq!(fields.optional_date("as_of", Some(&february_30)), Some(Date::MIN));
        fields.year("first_year", 2201);
        assert_eq!(fields.text("name", "  Xã  Nga Thái ", 200, true), "Xã  Nga Thái");
        assert_eq!(fields.text("name", " \t", 200, true), "");
        assert_eq!(fields.text("reason", "abc", 2, false), "");
        assert_eq!(
            described(&fields),
            [
                ("period_start", "a date is required"),
                ("period_start", "2023-02-30 is not a valid date (ngày không hợp lệ)"),
                ("as_of", "2023-02-30 is not a valid date (ngày không hợp lệ)"),
                ("first_year", "must be between 1945 and 2200"),
                ("name", "must not be empty"),
                ("reason", "at most 2 characters"),
            ]
        );
    }

    #[test]
    fn a_complete_header_reads() {
        let mut fields = Fields::default();
        let read = fields.checked(|f| f.header(Some(&header()))).unwrap();
        assert_eq!(read.expected_version, Some(3));
        assert_eq!(read.effective_date, Date::new(2008, 5, 25).unwrap());
        assert_eq!(read.decision.unwrap().number, "710/QĐ-UBND");
        assert_eq!(fields.required_decision().number, "710/QĐ-UBND");
        assert!(fields.finish().is_ok());
    }

    #[test]
    fn every_bad_header_field_is_named() {
        let mut bad = header();
        bad.request_id = "not-a-uuid".into();
        bad.effective_date = Some(pb::Date {
            year: 2023,
            month: 2,
            day: 29,
        });
        bad.decision.as_mut().unwrap().issued_on = None;
        let mut fields = Fields::default();
        assert_eq!(fields.checked(|f| f.header(Some(&bad))), None);
        // The malformed decision is named once, by its own field.
        fields.required_decision();
        assert_eq!(
            fields_of(&fields.finish().unwrap_err()),
            [
                "header.request_id",
                "header.effective_date",
                "header.decision.issued_on"
            ]
        );
        let mut blank_number = header();
        blank_number.decision.as_mut().unwrap().number = " ".into();
        let mut fields = Fields::default();
        fields.header(Some(&blank_number));
        assert_eq!(described(&fields)[0].0, "header.decision.number");
    }

    #[test]
    fn an_empty_decision_means_none() {
        let mut no_decision = header();
        no_decision.decision = Some(pb::DecisionRef::default());
        let mut fields = Fields::default();
        assert_eq!(fields.header(Some(&no_decision)).decision, None);
        assert!(fields.violations().is_empty());
    }

    #[test]
    fn a_required_decision_is_asked_for_once_in_one_wording() {
        // Given, but malformed: named by its own field only.
        let mut fields = Fields::default();
        let mut undated = header();
        undated.decision.as_mut().unwrap().issued_on = None;
        fields.header(Some(&undated));
        fields.required_decision();
        assert_eq!(fields_of(&fields.finish().unwrap_err()), ["header.decision.issued_on"]);
        // No header: named as such, not the decision too.
        let mut fields = Fields::default();
        fields.header(None);
        assert_eq!(fields.read_required_decision(), None);
        assert_eq!(fields_of(&fields.finish().unwrap_err()), ["header"]);
        // Absent, with the rest of the header malformed: both named.
        let mut fields = Fields::default();
        let mut undecided = header();
        undecided.decision = None;
        undecided.request_id = String::new();
        fields.header(Some(&undecided));
        fields.required_decision();
        assert_eq!(described(&fields)[1], ("header.decision", DECISION_REQUIRED));
        // Given, with the rest of the header malformed: the decision is not asked for.
        let mut fields = Fields::default();
        let mut unidentified = header();
        unidentified.request_id = NIL.into();
        fields.header(Some(&unidentified));
        assert_eq!(fields.required_decision().number, "710/QĐ-UBND");
        assert_eq!(fields_of(&fields.finish().unwrap_err()), ["header.request_id"]);
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
