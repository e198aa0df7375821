//! The values that go into and come out of the log.

use std::collections::BTreeMap;
use std::fmt;

use uuid::Uuid;

use crate::limits;

/// A point in time: microseconds since 1970-01-01T00:00:00Z (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The system clock now. Only the log's writer and edges read the clock.
    pub fn now() -> Self {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(i64::try_from(since_epoch.as_micros()).unwrap_or(i64::MAX))
    }

    /// Microseconds since the Unix epoch.
    pub fn as_micros(self) -> i64 {
        self.0
    }
}

/// What the appender believes about the stream before the append.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExpectedVersion {
    /// No check.
    #[default]
    Any,
    /// The stream must have no events.
    NoStream,
    /// The stream must have at least one event.
    StreamExists,
    /// The stream's last event must have exactly this version.
    Exact(u64),
}

impl ExpectedVersion {
    /// Whether a stream whose last version is `actual` (None: no events) satisfies this.
    pub fn admits(self, actual: Option<u64>) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual.is_none(),
            ExpectedVersion::StreamExists => actual.is_some(),
            ExpectedVersion::Exact(version) => actual == Some(version),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => write!(f, "any version"),
            ExpectedVersion::NoStream => write!(f, "no stream"),
            ExpectedVersion::StreamExists => write!(f, "an existing stream"),
            ExpectedVersion::Exact(version) => write!(f, "version {version}"),
        }
    }
}

/// An event as the client proposes it. The log adds position, stream version, recorded
/// time and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// Client-chosen id; makes retries idempotent.
    pub event_id: Uuid,
    pub event_type: String,
    /// Version of the payload schema (at least 1).
    pub schema_version: u32,
    /// Valid time; `None` means "the recorded time".
    pub effective_at: Option<Timestamp>,
    pub actor: String,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    pub metadata: BTreeMap<String, String>,
    pub content_type: String,
    pub payload: Vec<u8>,
}

impl NewEvent {
    /// An event with the given id, type and payload and every other field empty.
    pub fn new(event_id: Uuid, event_type: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        NewEvent {
            event_id,
            event_type: event_type.into(),
            schema_version: 1,
            effective_at: None,
            actor: String::new(),
            correlation_id: None,
            causation_id: None,
            metadata: BTreeMap::new(),
            content_type: String::new(),
            payload: payload.into(),
        }
    }

    /// Whether `recorded` is what this proposal became (for idempotent retries).
    /// An omitted effective time matches a stored one equal to its recorded time.
    pub fn matches_recorded(&self, recorded: &RecordedEvent) -> bool {
        let effective_matches = match self.effective_at {
            Some(effective_at) => effective_at == recorded.effective_at,
            None => recorded.effective_at == recorded.recorded_at,
        };
        effective_matches
            && self.event_id == recorded.event_id
            && self.event_type == recorded.event_type
            && self.schema_version == recorded.schema_version
            && self.actor == recorded.actor
            && self.correlation_id == recorded.correlation_id
            && self.causation_id == recorded.causation_id
            && self.metadata == recorded.metadata
            && self.content_type == recorded.content_type
            && self.payload == recorded.payload
    }
}

/// An event as stored: immutable once acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    /// Global position: dense and gap-free from 0.
    pub position: u64,
    pub stream_id: String,
    /// Version within the stream: dense and gap-free from 0.
    pub stream_version: u64,
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: u32,
    /// System time: when the log learned the event. Never decreases along the log.
    pub recorded_at: Timestamp,
    /// Valid time: when the fact happened or took effect.
    pub effective_at: Timestamp,
    pub actor: String,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    pub metadata: BTreeMap<String, String>,
    pub content_type: String,
    pub payload: Vec<u8>,
    /// SHA-256(previous hash ‖ canonical bytes); see [`crate::codec`].
    pub hash: [u8; 32],
}

/// An atomic append of one or more events to one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendRequest {
    pub stream_id: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}

/// What an acknowledged append wrote (or, for a retry, had written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Positions of the batch are `first_position..=last_position`.
    pub first_position: u64,
    pub last_position: u64,
    /// Version of the stream's last event after the append.
    pub stream_version: u64,
    pub recorded_at: Timestamp,
    /// True when all events were already stored by an earlier identical append.
    pub deduplicated: bool,
}

/// Which way to read a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Forwards,
    Backwards,
}

/// A page of one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadStreamRequest {
    pub stream_id: String,
    /// Inclusive start; `None` is the first event forwards and the last backwards.
    pub from_version: Option<u64>,
    pub direction: Direction,
    /// Clamped to [`limits::READ_PAGE_EVENTS_MAX`].
    pub max_count: usize,
}

/// Which events a `read_all` or a subscription keeps. Empty lists keep everything.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct EventFilter {
    /// Keep events whose stream id starts with any of these.
    pub stream_id_prefixes: Vec<String>,
    /// Keep events of any of these types.
    pub event_types: Vec<String>,
}

impl EventFilter {
    /// Whether the filter keeps every event.
    pub fn is_everything(&self) -> bool {
        self.stream_id_prefixes.is_empty() && self.event_types.is_empty()
    }

    /// Whether the filter keeps an event of this stream and type.
    pub fn keeps(&self, stream_id: &str, event_type: &str) -> bool {
        let stream_kept = self.stream_id_prefixes.is_empty()
            || self
                .stream_id_prefixes
                .iter()
                .any(|prefix| stream_id.starts_with(prefix.as_str()));
        let type_kept = self.event_types.is_empty() || self.event_types.iter().any(|t| t == event_type);
        stream_kept && type_kept
    }
}

/// A page of the whole log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadAllRequest {
    /// Inclusive start position.
    pub from_position: u64,
    /// Clamped to [`limits::READ_PAGE_EVENTS_MAX`].
    pub max_count: usize,
    pub filter: EventFilter,
}

/// The result of `read_all`: matching events and where to continue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadAllPage {
    pub events: Vec<RecordedEvent>,
    /// Every position before this one was returned or filtered out; continue here.
    pub next_position: u64,
    /// The committed head when the page was read (`next_position` of [`LogHead`]).
    pub head_position: u64,
}

impl ReadAllPage {
    /// Whether the page reached the committed head.
    pub fn reached_head(&self) -> bool {
        self.next_position >= self.head_position
    }
}

/// Summary of one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    pub stream_id: String,
    /// Version of the last event (event count - 1).
    pub version: u64,
    pub first_position: u64,
    pub last_position: u64,
    pub first_recorded_at: Timestamp,
    pub last_recorded_at: Timestamp,
}

/// A page of stream summaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListStreamsRequest {
    pub prefix: String,
    /// Exclusive: start after this stream id.
    pub after: Option<String>,
    /// Clamped to [`limits::LIST_STREAMS_PAGE_MAX`].
    pub page_size: usize,
}

/// The committed end of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogHead {
    /// Number of committed events; the next append gets this position.
    pub next_position: u64,
    /// Hash of the last committed event; zeros for an empty log.
    pub last_hash: [u8; 32],
}

/// The Merkle tree over the committed log: its size (= events) and RFC 9162 root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeHead {
    pub size: u64,
    pub root: [u8; 32],
}

impl LogHead {
    /// The head of an empty log.
    pub const EMPTY: LogHead = LogHead {
        next_position: 0,
        last_hash: [0; 32],
    };
}

/// Clamps a requested page size: 0 means "the most allowed".
pub fn clamp_page(requested: usize, most: usize) -> usize {
    if requested == 0 {
        most
    } else {
        requested.min(most)
    }
}

/// Clamps a read page size to [`limits::READ_PAGE_EVENTS_MAX`].
pub fn clamp_read_page(requested: usize) -> usize {
    clamp_page(requested, limits::READ_PAGE_EVENTS_MAX)
}
