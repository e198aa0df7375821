//! The storage-neutral interface of the log. The sled backend implements it first; any
//! other backend (PostgreSQL, in-memory) must pass [`crate::conformance`] unchanged.

use std::future::Future;

use tokio::sync::watch;
use uuid::Uuid;

use crate::error::{AppendError, Halt, ReadError};
use crate::event::{
    AppendOutcome, AppendRequest, ListStreamsRequest, LogHead, ReadAllPage, ReadAllRequest, ReadStreamRequest,
    RecordedEvent, StreamInfo,
};

/// An append-only, hash-chained event log.
///
/// *Invariant:* acknowledged events are never rewritten, removed or reordered; positions
/// are dense from 0, stream versions dense from 0, `recorded_at` never decreases.
/// *Invariant:* reads return only committed (durable) events.
pub trait EventLog: Send + Sync + 'static {
    /// Appends a batch atomically, after checking the expected version. Resolves only
    /// once the batch is durable. A retry of an already stored batch (same event ids and
    /// content, same stream) resolves to the original outcome with `deduplicated` set.
    fn append(&self, request: AppendRequest) -> impl Future<Output = Result<AppendOutcome, AppendError>> + Send;

    /// Reads up to `max_count` events of one stream. An unknown stream reads as empty.
    fn read_stream(
        &self,
        request: ReadStreamRequest,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, ReadError>> + Send;

    /// Reads committed events of the whole log from a position, filtered.
    fn read_all(&self, request: ReadAllRequest) -> impl Future<Output = Result<ReadAllPage, ReadError>> + Send;

    /// One committed event by position.
    fn event_at(&self, position: u64) -> impl Future<Output = Result<Option<RecordedEvent>, ReadError>> + Send;

    /// One committed event by id.
    fn event_by_id(&self, event_id: Uuid) -> impl Future<Output = Result<Option<RecordedEvent>, ReadError>> + Send;

    /// Summary of a stream; `None` if it has no committed events.
    fn stream_info(&self, stream_id: &str) -> impl Future<Output = Result<Option<StreamInfo>, ReadError>> + Send;

    /// Streams whose id starts with a prefix, in byte order of id.
    fn list_streams(
        &self,
        request: ListStreamsRequest,
    ) -> impl Future<Output = Result<Vec<StreamInfo>, ReadError>> + Send;

    /// The committed head now.
    fn head(&self) -> LogHead;

    /// Bytes the log takes on disk, when the backend can tell cheaply (for a metric).
    fn stored_bytes(&self) -> Option<u64> {
        None
    }

    /// Watches the committed `next_position`; it changes after every group commit.
    /// Subscriptions wait on it instead of being pushed events, so a slow subscriber
    /// never holds up the writer.
    fn watch_head(&self) -> watch::Receiver<u64>;

    /// Watches why the log stopped taking appends while open (`None` while it takes
    /// them): a storage failure, or a panic of a thread that writes. It never goes back
    /// to `None` before the log is reopened; the server's health follows it.
    fn watch_halt(&self) -> watch::Receiver<Option<Halt>>;

    /// Stops accepting appends, finishes and flushes those already queued, and syncs.
    fn close(&self) -> impl Future<Output = Result<(), AppendError>> + Send;
}
