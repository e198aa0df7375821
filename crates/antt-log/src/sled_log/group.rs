//! Deciding the appends of one group commit, in arrival order, against the committed
//! indexes plus what the earlier appends of the same group add.
//!
//! Nothing here touches the disk except to read back stored events for idempotent
//! retries; the writer writes the group's records in one batch once all are decided.

use sled::IVec;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::codec;
use crate::error::{AppendError, StorageError, Violation};
use crate::event::{AppendOutcome, AppendRequest, LogHead, NewEvent, RecordedEvent, Timestamp};
use crate::limits;
use crate::sled_log::index::{Index, IndexedEvent};
use crate::sled_log::shared::Shared;
use crate::sled_log::store;

/// Most record bytes one group gathers before it is written. A soft bound (one append may
/// overshoot it): it keeps the writer's memory small when many large appends queue up,
/// where the event count alone would allow hundreds of MiB.
const GROUP_COMMIT_BYTES_MAX: usize = 8 * 1024 * 1024;

pub(crate) type Reply = oneshot::Sender<Result<AppendOutcome, AppendError>>;

/// One append waiting for the writer.
#[derive(Debug)]
pub(crate) struct Job {
    pub request: AppendRequest,
    pub reply: Reply,
    /// The appender's span, which the group commit that writes it follows from: the group
    /// runs on the writer thread for many appends, so it links to each rather than having
    /// one parent.
    pub span: tracing::Span,
    /// The append's room in the queue (`limits::APPEND_QUEUE_EVENTS_MAX`), given back
    /// when its group has been written.
    pub room: tokio::sync::OwnedSemaphorePermit,
}

pub(crate) struct Group<'a> {
    tree: &'a sled::Tree,
    shared: &'a Shared,
    /// What this group adds, continuing from the committed head.
    pub added: Index,
    /// Position of `records[0]`.
    pub first_position: u64,
    pub records: Vec<IVec>,
    pub bytes: usize,
    /// Events taken, committed or not.
    events: usize,
    /// Appends taken, committed or not.
    pub appends: usize,
    /// Every job's outcome, sent only once the group's fate is known.
    pub replies: Vec<(Reply, Result<AppendOutcome, AppendError>)>,
    /// Set when the group cannot be committed; every job of it then fails.
    pub failure: Option<StorageError>,
    /// The queue room of every job taken, given back when the group is dropped.
    rooms: Vec<tokio::sync::OwnedSemaphorePermit>,
}

impl<'a> Group<'a> {
    pub fn new(tree: &'a sled::Tree, shared: &'a Shared) -> Self {
        let (head, last_recorded_at) = {
            let index = shared.index();
            (index.head(), index.last_recorded_at())
        };
        Group {
            tree,
            shared,
            added: Index::continuing(head, last_recorded_at),
            first_position: head.next_position,
            records: Vec::new(),
            bytes: 0,
            events: 0,
            appends: 0,
            replies: Vec::new(),
            failure: shared.failure(),
            rooms: Vec::new(),
        }
    }

    pub fn is_full(&self) -> bool {
        self.events >= limits::GROUP_COMMIT_EVENTS_MAX || self.bytes >= GROUP_COMMIT_BYTES_MAX
    }

    /// Whether `job` still fits; one that does not starts the next group.
    pub fn has_room_for(&self, job: &Job) -> bool {
        !self.is_full() && self.events + job.request.events.len() <= limits::GROUP_COMMIT_EVENTS_MAX
    }

    /// Decides one append. Its outcome waits in `replies` until the group is durable.
    pub fn take(&mut self, job: Job) {
        self.appends += 1;
        self.events += job.request.events.len();
        self.rooms.push(job.room);
        let outcome = match &self.failure {
            Some(failure) => Err(AppendError::Storage(failure.clone())),
            None => self.decide(job.request),
        };
        if let Err(AppendError::Storage(failure)) = &outcome {
            self.failure.get_or_insert_with(|| failure.clone());
        }
        self.replies.push((job.reply, outcome));
    }

    fn decide(&mut self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        if let Some(outcome) = self.retry_outcome(&request)? {
            return Ok(outcome);
        }
        let actual = self.last_version(&request.stream_id);
        if !request.expected.admits(actual) {
            return Err(AppendError::VersionConflict {
                stream_id: request.stream_id,
                expected: request.expected,
                actual,
            });
        }
        self.stage(request, actual)
    }

    fn known_position(&self, event_id: &Uuid) -> Option<u64> {
        self.added
            .position_of_id(event_id)
            .or_else(|| self.shared.index().position_of_id(event_id))
    }

    fn last_version(&self, stream_id: &str) -> Option<u64> {
        let count = |index: &Index| index.stream(stream_id).map_or(0, |stream| stream.positions.len());
        let total = count(&self.shared.index()) + count(&self.added);
        (total as u64).checked_sub(1)
    }

    /// The original outcome if `request` repeats a stored append exactly (same events,
    /// same stream, the whole batch and nothing more); `None` if it uses no known event
    /// id; an error if it uses a known id any other way.
    fn retry_outcome(&self, request: &AppendRequest) -> Result<Option<AppendOutcome>, AppendError> {
        // The first known id, found under one lock of the committed index per append.
        let known = {
            let committed = self.shared.index();
            request.events.iter().enumerate().find_map(|(offset, event)| {
                let position = self
                    .added
                    .position_of_id(&event.event_id)
                    .or_else(|| committed.position_of_id(&event.event_id))?;
                Some((offset, event.event_id, position))
            })
        };
        let (first_id, first_position) = match known {
            None => return Ok(None),
            Some((0, event_id, position)) => (event_id, position),
            Some((_, event_id, position)) => return Err(AppendError::EventIdReused { event_id, position }),
        };
        let outcome = self.repeated_run(request, first_id, first_position)?;
        if !self.is_whole_batch(&outcome)? {
            return Err(AppendError::EventIdReused {
                event_id: first_id,
                position: first_position,
            });
        }
        Ok(Some(outcome))
    }

    /// The outcome of the stored events from `first_position` on, if they are the events
    /// of `request`, in order, in its stream, and written by one append.
    fn repeated_run(
        &self,
        request: &AppendRequest,
        first_id: Uuid,
        first_position: u64,
    ) -> Result<AppendOutcome, AppendError> {
        let mut outcome: Option<AppendOutcome> = None;
        for (position, event) in (first_position..).zip(&request.events) {
            let stored = self.recorded(position)?;
            let repeats = stored.as_ref().is_some_and(|stored| {
                let same_append = outcome.is_none_or(|outcome| {
                    stored.stream_version == outcome.stream_version + 1 && stored.recorded_at == outcome.recorded_at
                });
                same_append && stored.stream_id == request.stream_id && event.matches_recorded(stored)
            });
            let Some(stored) = stored.filter(|_| repeats) else {
                return Err(self.reused(event, first_id, first_position));
            };
            outcome = Some(AppendOutcome {
                first_position,
                last_position: position,
                stream_version: stored.stream_version,
                recorded_at: stored.recorded_at,
                deduplicated: true,
            });
        }
        outcome.ok_or(AppendError::EventIdReused {
            event_id: first_id,
            position: first_position,
        })
    }

    /// Whether the events of `outcome` are one whole append: every append has its own
    /// `recorded_at` (see [`Group::stage`]), so an append is a maximal run of positions
    /// sharing one.
    fn is_whole_batch(&self, outcome: &AppendOutcome) -> Result<bool, AppendError> {
        let in_batch = |position: u64| -> Result<bool, AppendError> {
            let stored = self.recorded(position)?;
            Ok(stored.is_some_and(|stored| stored.recorded_at == outcome.recorded_at))
        };
        let starts_batch = match outcome.first_position.checked_sub(1) {
            Some(before) => !in_batch(before)?,
            None => true,
        };
        Ok(starts_batch && !in_batch(outcome.last_position + 1)?)
    }

    /// The error for a retry that does not repeat the stored append at `event`.
    fn reused(&self, event: &NewEvent, first_id: Uuid, first_position: u64) -> AppendError {
        match self.known_position(&event.event_id) {
            Some(position) => AppendError::EventIdReused {
                event_id: event.event_id,
                position,
            },
            None => AppendError::EventIdReused {
                event_id: first_id,
                position: first_position,
            },
        }
    }

    /// The event at `position`, committed or staged in this group.
    fn recorded(&self, position: u64) -> Result<Option<RecordedEvent>, AppendError> {
        if position >= self.added.head().next_position {
            return Ok(None);
        }
        let read = match position.checked_sub(self.first_position) {
            Some(offset) => {
                let record = usize::try_from(offset).ok().and_then(|offset| self.records.get(offset));
                record.map(|record| store::decode_at(position, record)).transpose()
            }
            None => store::read_record(self.tree, position),
        };
        match read {
            Ok(Some(event)) => Ok(Some(event)),
            Ok(None) => Err(unreadable(
                position,
                "an indexed event is missing from the store".into(),
            )),
            Err(error) => Err(unreadable(position, error.to_string())),
        }
    }

    /// Seals the events of an admitted append and adds them to the group.
    ///
    /// All events of one append share one `recorded_at`, strictly later than the previous
    /// append's (by 1 µs when the clock has not moved on). That keeps `recorded_at`
    /// non-decreasing and makes each append's extent recoverable from the stored events
    /// alone, which idempotent retries need after a restart, with no extra key per append.
    fn stage(&mut self, request: AppendRequest, actual: Option<u64>) -> Result<AppendOutcome, AppendError> {
        let after_previous = Timestamp(self.added.last_recorded_at().as_micros().saturating_add(1));
        let recorded_at = Timestamp::now().max(after_previous);
        let first_version = actual.map_or(0, |version| version + 1);
        let first_position = self.added.head().next_position;
        let AppendRequest { stream_id, events, .. } = request;
        let sealed = seal_all(events, &stream_id, self.added.head(), first_version, recorded_at)?;
        let count = sealed.len() as u64;
        for event in sealed {
            self.added.push(IndexedEvent {
                position: event.position,
                stream_id: &stream_id,
                event_id: event.event_id,
                recorded_at,
                hash: event.hash,
            });
            self.bytes += event.record.len();
            self.records.push(event.record);
        }
        Ok(AppendOutcome {
            first_position,
            last_position: first_position + count - 1,
            stream_version: first_version + count - 1,
            recorded_at,
            deduplicated: false,
        })
    }
}

/// An event ready to be written, with what the indexes need of it.
struct Sealed {
    position: u64,
    event_id: Uuid,
    hash: [u8; 32],
    record: IVec,
}

/// Seals `events` after `head`, or refuses them all.
fn seal_all(
    events: Vec<NewEvent>,
    stream_id: &str,
    mut head: LogHead,
    first_version: u64,
    recorded_at: Timestamp,
) -> Result<Vec<Sealed>, AppendError> {
    let mut sealed = Vec::with_capacity(events.len());
    for (offset, event) in events.into_iter().enumerate() {
        let version = first_version + offset as u64;
        let mut recorded = recorded_event(event, stream_id, head.next_position, version, recorded_at);
        let record = codec::seal(&mut recorded, &head.last_hash);
        // Validation bounds every field so that this cannot happen; the check stays because
        // a larger record would go to sled's blob files, which the log never syncs.
        if record.len() > limits::EVENT_BYTES_MAX {
            return Err(AppendError::Invalid(vec![Violation::new(
                format!("events[{offset}]"),
                format!(
                    "the stored event would be {} bytes; at most {} are allowed",
                    record.len(),
                    limits::EVENT_BYTES_MAX
                ),
            )]));
        }
        sealed.push(Sealed {
            position: head.next_position,
            event_id: recorded.event_id,
            hash: recorded.hash,
            record: IVec::from(record),
        });
        head = LogHead {
            next_position: head.next_position + 1,
            last_hash: recorded.hash,
        };
    }
    Ok(sealed)
}

fn recorded_event(
    event: NewEvent,
    stream_id: &str,
    position: u64,
    stream_version: u64,
    recorded_at: Timestamp,
) -> RecordedEvent {
    RecordedEvent {
        position,
        stream_id: stream_id.to_string(),
        stream_version,
        event_id: event.event_id,
        event_type: event.event_type,
        schema_version: event.schema_version,
        recorded_at,
        effective_at: event.effective_at.unwrap_or(recorded_at),
        actor: event.actor,
        correlation_id: event.correlation_id,
        causation_id: event.causation_id,
        metadata: event.metadata,
        content_type: event.content_type,
        payload: event.payload,
        hash: [0; 32],
    }
}

#[derive(Debug, thiserror::Error)]
#[error("event at position {position} cannot be read back: {reason}")]
struct Unreadable {
    position: u64,
    reason: String,
}

/// A stored event needed to judge a retry cannot be read: the store is damaged or failing,
/// so the log stops taking appends rather than guess.
fn unreadable(position: u64, reason: String) -> AppendError {
    AppendError::Storage(StorageError::new(
        "checking an idempotent retry",
        Unreadable { position, reason },
    ))
}
