//! Runs domain commands: the one path by which every service records a fact.
//!
//! A command is decided through its record's [`Timeline`], rebuilt from the record's
//! stream: against the record as it stood on the command's effective date, with every
//! later-dated recorded fact judged again. Its events are appended with the exact version
//! that was read, so two concurrent commands on one record can never both be judged
//! against a stale record.
//!
//! Retries are idempotent without any extra index: the events of a command get ids derived
//! from its request id (UUID v5), so the log's event-id index already tells whether a
//! request was recorded. Each event also carries the SHA-256 of the request that caused it,
//! so reusing a request id for a *different* command is refused instead of silently
//! answered with the old result.
//!
//! Time: "today" for the rule "nothing takes effect after it was recorded" is the civil
//! date in Vietnam (UTC+7), because clerks date decisions in local time. A domain event's
//! `effective_at` in the log is 00:00 UTC of its effective date: read it back as a UTC date.

use antt_access::Principal;
use antt_audit::encoding::hex;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use antt_domain::{Aggregate, Context, Date, Decision, DomainEvent, Timeline};
use antt_log::{
    AppendError, AppendRequest, Direction, EventLog, ExpectedVersion, NewEvent, ReadStreamRequest, RecordedEvent,
    Timestamp,
};
use antt_proto::v1 as pb;
use sha2::{Digest, Sha256};
use tonic::Status;
use uuid::Uuid;

use crate::access::{self, Located};
use crate::status;

/// Attempts when the stream changes between our read and our append and the client did
/// not pin a version: each attempt re-reads and re-decides.
const CONFLICT_ATTEMPTS_MAX: u32 = 8;
/// Vietnam's offset from UTC, in seconds.
const VIETNAM_UTC_OFFSET_SECS: i64 = 7 * 3600;
const MICROS_PER_DAY: i64 = 86_400_000_000;
/// Metadata keys every domain event carries.
pub const METADATA_REQUEST_ID: &str = "request_id";
pub const METADATA_REQUEST_SHA256: &str = "request_sha256";
pub const METADATA_DECISION: &str = "decision";
/// Content type of domain event payloads: the protobuf message named by the event type.
pub const CONTENT_TYPE_PROTOBUF: &str = "application/x-protobuf";

/// The envelope of a command, read from [`pb::CommandHeader`] by `request::Fields::header`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandHeader {
    pub request_id: Uuid,
    pub expected_version: Option<u64>,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// The digest stored with a command's events, to tell a retry from a different command
/// that reuses the request id: SHA-256 of the RPC's full name and the request message.
/// The name keeps two RPCs whose requests happen to encode alike (e.g. a rename and a
/// dissolution with the same text) from passing for retries of each other.
pub fn request_digest<M: prost::Message>(rpc: &str, request: &M) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(rpc.as_bytes());
    hasher.update([0]);
    hasher.update(request.encode_to_vec());
    hasher.finalize().into()
}

/// The id of the `index`-th event of a request.
pub fn event_id(request_id: Uuid, index: usize) -> Uuid {
    Uuid::new_v5(&request_id, format!("event-{index}").as_bytes())
}

/// Today's civil date in Vietnam.
pub fn today_in_vietnam(now: Timestamp) -> Date {
    let seconds = now.as_micros().div_euclid(1_000_000) + VIETNAM_UTC_OFFSET_SECS;
    Date::from_days_since_unix_epoch(seconds.div_euclid(86_400))
}

/// The log instant of an effective date: 00:00 UTC of that day.
pub fn effective_instant(date: Date) -> Timestamp {
    Timestamp(date.days_since_unix_epoch().saturating_mul(MICROS_PER_DAY))
}

/// The effective date of a log instant, the inverse of [`effective_instant`]: its UTC day.
pub fn effective_date(instant: Timestamp) -> Date {
    Date::from_unix_micros(instant.as_micros())
}

/// The circumstances of a command decided now by `principal`.
pub fn context(principal: &Principal) -> Context {
    Context {
        recorded_date: today_in_vietnam(Timestamp::now()),
        actor: principal.actor(),
    }
}

/// ABORTED, as [`Commands::execute`] answers it, when the client pinned a version the
/// stream is not at.
pub fn ensure_expected_version(stream_id: &str, expected: Option<u64>, actual: Option<u64>) -> Result<(), Status> {
    match expected {
        Some(expected) if actual != Some(expected) => Err(status::append_error(AppendError::VersionConflict {
            stream_id: stream_id.to_string(),
            expected: ExpectedVersion::Exact(expected),
            actual,
        })),
        _ => Ok(()),
    }
}

/// Loads, decides and records commands over any log.
pub struct Commands<L> {
    log: Arc<L>,
}

impl<L> Clone for Commands<L> {
    fn clone(&self) -> Self {
        Commands { log: self.log.clone() }
    }
}

/// A record read from its stream: its events in valid time, the state with every
/// recorded fact in, and the version of its stream's last event (None: nothing recorded).
pub struct Loaded<A: Aggregate> {
    pub timeline: Timeline<A>,
    pub version: Option<u64>,
}

impl<A: Aggregate> Loaded<A> {
    /// The record with every recorded fact in: what other records' commands read of this
    /// one. Folded on demand, since deciding a command folds only up to its date.
    pub fn state(&self) -> A::State {
        self.timeline.state()
    }
}

impl<L: EventLog> Commands<L> {
    pub fn new(log: Arc<L>) -> Self {
        Commands { log }
    }

    pub fn log(&self) -> &Arc<L> {
        &self.log
    }

    /// A record's timeline, read from its whole stream, and its state with every fact in.
    pub async fn load<A: Aggregate>(&self, stream_id: &str) -> Result<Loaded<A>, Status> {
        let mut timeline = Timeline::new();
        let version = self
            .replay(stream_id, |recorded| {
                timeline.push(recorded.position, decode::<A>(recorded)?);
                Ok(())
            })
            .await?;
        Ok(Loaded { timeline, version })
    }

    /// Hands every event of a stream, in order, to `apply`, and returns the version of
    /// the last one (None: nothing recorded).
    pub async fn replay(
        &self,
        stream_id: &str,
        mut apply: impl FnMut(&RecordedEvent) -> Result<(), Status>,
    ) -> Result<Option<u64>, Status> {
        let mut version = None;
        loop {
            let from_version = version.map_or(0, |v: u64| v + 1);
            let page = self
                .log
                .read_stream(ReadStreamRequest {
                    stream_id: stream_id.to_string(),
                    from_version: Some(from_version),
                    direction: Direction::Forwards,
                    max_count: antt_log::limits::READ_PAGE_EVENTS_MAX,
                })
                .await
                .map_err(status::read_error)?;
            let Some(last) = page.last() else { break };
            version = Some(last.stream_version);
            for recorded in &page {
                apply(recorded)?;
            }
            // A short page is the end of the stream: asking again would only read an
            // empty page, which was half of all reads for a small record.
            if page.len() < antt_log::limits::READ_PAGE_EVENTS_MAX {
                break;
            }
        }
        Ok(version)
    }

    /// Decides `command` through the record's timeline and records its events.
    /// A retry of a recorded request returns the original result with `deduplicated`.
    pub async fn execute<A>(
        &self,
        stream_id: &str,
        header: &CommandHeader,
        principal: &Principal,
        digest: [u8; 32],
        command: A::Command,
    ) -> Result<pb::CommandResult, Status>
    where
        A: Located,
        A::Command: Clone,
    {
        self.execute_checked::<A, _>(
            stream_id,
            header,
            principal,
            digest,
            command,
            std::future::ready(Ok(())),
        )
        .await
    }

    /// Like [`Commands::execute`], with `check` (a rule about other records) awaited once
    /// the request is known not to be recorded, before the first decision: a retry of a
    /// recorded request returns its original result without the check, and the log is
    /// asked only once whether the request was recorded.
    pub async fn execute_checked<A, F>(
        &self,
        stream_id: &str,
        header: &CommandHeader,
        principal: &Principal,
        digest: [u8; 32],
        command: A::Command,
        check: F,
    ) -> Result<pb::CommandResult, Status>
    where
        A: Located,
        A::Command: Clone,
        F: Future<Output = Result<(), Status>>,
    {
        let mut check = Some(check);
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(result) = self.recorded_result(stream_id, header.request_id, digest).await? {
                return Ok(result);
            }
            if let Some(check) = check.take() {
                check.await?;
            }
            let loaded = self.load::<A>(stream_id).await?;
            ensure_expected_version(stream_id, header.expected_version, loaded.version)?;
            let effective_date = A::effective_date(&command);
            let events = loaded
                .timeline
                .decide(command.clone(), &context(principal))
                .map_err(|e| status::domain_error(&e))?;
            if events.is_empty() {
                return Err(status::no_events_decided());
            }
            access::ensure_may_write(self, principal, &loaded.timeline, effective_date, &events).await?;
            let request = AppendRequest {
                stream_id: stream_id.to_string(),
                expected: loaded.version.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact),
                events: events
                    .iter()
                    .enumerate()
                    .map(|(index, event)| new_event(header, &principal.actor(), digest, index, event))
                    .collect(),
            };
            let event_types = request.events.iter().map(|e| e.event_type.clone()).collect();
            match crate::telemetry::append(&*self.log, request).await {
                Ok(outcome) => {
                    tracing::debug!(stream_id, first_position = outcome.first_position, "command recorded");
                    return Ok(pb::CommandResult {
                        stream_id: stream_id.to_string(),
                        stream_version: outcome.stream_version,
                        first_position: outcome.first_position,
                        last_position: outcome.last_position,
                        event_types,
                        deduplicated: outcome.deduplicated,
                    });
                }
                // Someone recorded on this record since we read it: judge again against
                // the new state, unless the client pinned the version it had seen.
                Err(AppendError::VersionConflict { .. })
                    if header.expected_version.is_none() && attempt < CONFLICT_ATTEMPTS_MAX => {}
                // A concurrent retry of this very request won the race: the check at the
                // top of the loop now finds and returns its result.
                Err(AppendError::EventIdReused { .. }) if attempt < CONFLICT_ATTEMPTS_MAX => {}
                Err(error) => return Err(status::append_error(error)),
            }
        }
    }

    /// Whether a request id already has its first event in the log.
    pub async fn already_recorded(&self, request_id: Uuid) -> Result<bool, Status> {
        Ok(self.first_event(request_id).await?.is_some())
    }

    /// The first event recorded under a request id, if there is one.
    pub async fn first_event(&self, request_id: Uuid) -> Result<Option<RecordedEvent>, Status> {
        self.log
            .event_by_id(event_id(request_id, 0))
            .await
            .map_err(status::read_error)
    }

    /// The result of an already recorded request, if there is one.
    async fn recorded_result(
        &self,
        stream_id: &str,
        request_id: Uuid,
        digest: [u8; 32],
    ) -> Result<Option<pb::CommandResult>, Status> {
        let Some(first) = self.first_event(request_id).await? else {
            return Ok(None);
        };
        if first.stream_id != stream_id {
            return Err(status::request_id_reused(
                request_id,
                &format!("it was already used for a command on record {}", first.stream_id),
            ));
        }
        if !carries_digest(&first, &digest) {
            return Err(status::request_id_reused(
                request_id,
                "it was already used for a different command on this record",
            ));
        }
        let following = self
            .log
            .read_stream(ReadStreamRequest {
                stream_id: stream_id.to_string(),
                from_version: Some(first.stream_version),
                direction: Direction::Forwards,
                max_count: 0,
            })
            .await
            .map_err(status::read_error)?;
        let events: Vec<&RecordedEvent> = following
            .iter()
            .enumerate()
            .take_while(|(index, event)| event.event_id == event_id(request_id, *index))
            .map(|(_, event)| event)
            .collect();
        let last = events.last().copied().unwrap_or(&first);
        Ok(Some(pb::CommandResult {
            stream_id: stream_id.to_string(),
            stream_version: last.stream_version,
            first_position: first.position,
            last_position: last.position,
            event_types: events.iter().map(|e| e.event_type.clone()).collect(),
            deduplicated: true,
        }))
    }
}

/// Decodes a stored event of aggregate `A`; a stored event that no longer decodes is an
/// internal error, never the client's.
pub fn decode<A: Aggregate>(recorded: &RecordedEvent) -> Result<A::Event, Status> {
    A::Event::decode(&recorded.event_type, recorded.schema_version, &recorded.payload)
        .map_err(|error| status::undecodable_event(recorded.position, &recorded.stream_id, error))
}

fn new_event<E: DomainEvent>(
    header: &CommandHeader,
    actor: &str,
    digest: [u8; 32],
    index: usize,
    event: &E,
) -> NewEvent {
    let encoded = event.encode();
    let mut metadata = BTreeMap::from([
        (METADATA_REQUEST_ID.to_string(), header.request_id.to_string()),
        (METADATA_REQUEST_SHA256.to_string(), hex(&digest)),
    ]);
    if let Some(decision) = &header.decision {
        metadata.insert(METADATA_DECISION.to_string(), decision.number.clone());
    }
    NewEvent {
        event_id: event_id(header.request_id, index),
        event_type: encoded.event_type.to_string(),
        schema_version: encoded.schema_version,
        effective_at: Some(effective_instant(event.effective_date())),
        actor: actor.to_string(),
        correlation_id: Some(header.request_id),
        causation_id: None,
        metadata,
        content_type: CONTENT_TYPE_PROTOBUF.to_string(),
        payload: encoded.payload,
    }
}

/// Whether a recorded event was caused by the request with this digest.
pub fn carries_digest(event: &RecordedEvent, digest: &[u8; 32]) -> bool {
    event.metadata.get(METADATA_REQUEST_SHA256) == Some(&hex(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_date_in_vietnam() {
        // 2025-11-24T17:30:00Z is already 00:30 on 25 November in Hà Nội.
        let late_evening_utc = Timestamp(1_764_005_400 * 1_000_000);
        assert_eq!(today_in_vietnam(late_evening_utc), Date::new(2025, 11, 25).unwrap());
        let effective = effective_instant(Date::new(1970, 1, 2).unwrap());
        assert_eq!(effective, Timestamp(MICROS_PER_DAY));
    }

    #[test]
    fn event_ids_are_stable_per_request_and_index() {
        let request = Uuid::from_u128(42);
        assert_eq!(event_id(request, 0), event_id(request, 0));
        assert_ne!(event_id(request, 0), event_id(request, 1));
        assert_ne!(event_id(request, 0), event_id(Uuid::from_u128(43), 0));
    }
}
