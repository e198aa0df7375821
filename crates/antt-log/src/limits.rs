//! Bounds on everything the log accepts or does at once. Names put the unit last.

/// Longest stream id, in UTF-8 bytes.
pub const STREAM_ID_BYTES_MAX: usize = 256;
/// Longest event type, in UTF-8 bytes.
pub const EVENT_TYPE_BYTES_MAX: usize = 128;
/// Longest actor, in UTF-8 bytes.
pub const ACTOR_BYTES_MAX: usize = 256;
/// Longest content type, in UTF-8 bytes.
pub const CONTENT_TYPE_BYTES_MAX: usize = 128;
/// Most metadata entries on one event.
pub const METADATA_ENTRIES_MAX: usize = 32;
/// Longest metadata key, in UTF-8 bytes.
pub const METADATA_KEY_BYTES_MAX: usize = 128;
/// Longest metadata value, in UTF-8 bytes.
pub const METADATA_VALUE_BYTES_MAX: usize = 256;
/// Largest payload of one event. Domain events are facts and references to decisions,
/// not documents.
pub const PAYLOAD_BYTES_MAX: usize = 32 * 1024;
/// Largest stored record of one event (canonical bytes and hash).
pub const EVENT_BYTES_MAX: usize = 48 * 1024;
/// Most events in one append.
pub const EVENTS_PER_APPEND_MAX: usize = 1000;
/// Largest sum of canonical event sizes in one append.
pub const APPEND_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Most events one group commit writes before it flushes.
pub const GROUP_COMMIT_EVENTS_MAX: usize = 4096;
/// Most events queued for the writer or in the group it is committing. An append whose
/// events do not fit waits (back-pressure) at most [`APPEND_QUEUE_WAIT_MILLIS_MAX`], then
/// is refused (`AppendError::QueueFull`, RESOURCE_EXHAUSTED over gRPC) without being
/// queued. Two full groups: the writer always finds its next group waiting, while the
/// queue's memory stays bounded (typical events are a few hundred bytes; at worst, every
/// event at `EVENT_BYTES_MAX`, 384 MiB).
pub const APPEND_QUEUE_EVENTS_MAX: usize = 2 * GROUP_COMMIT_EVENTS_MAX;
/// How long an append waits for room in the queue before it is refused.
pub const APPEND_QUEUE_WAIT_MILLIS_MAX: u64 = 2_000;
/// Group commits durable in sled that may wait for their anchor at once: the writer
/// syncs the next group while the previous one's anchor is synced, and waits beyond this.
pub const ACKNOWLEDGE_QUEUE_GROUPS_MAX: usize = 2;
/// Most events one read call returns.
pub const READ_PAGE_EVENTS_MAX: usize = 1000;
/// Most records a filtered `read_all` call examines before it returns a (possibly empty)
/// page, so that a sparse filter cannot make one call scan the whole log.
pub const READ_SCAN_RECORDS_MAX: usize = 10_000;
/// Most streams one `list_streams` call returns.
pub const LIST_STREAMS_PAGE_MAX: usize = 1000;

/// sled's segment size for new stores. sled 0.34 writes any page fragment larger than
/// `segment_size / 4` to a separate blob file that it never fsyncs, and a leaf page holds
/// up to 17 entries before it splits (`Node::should_split`). Bounding a record by
/// [`EVENT_BYTES_MAX`] and raising the segment size keeps every event in sled's main file,
/// the one file the log syncs.
pub const SLED_SEGMENT_SIZE_BYTES: usize = 4 * 1024 * 1024;
const SLED_LEAF_ENTRIES_MAX: usize = 17;
const SLED_INLINE_FRAGMENT_BYTES_MAX: usize = SLED_SEGMENT_SIZE_BYTES / 4 - 64;
const _: () = assert!(EVENT_BYTES_MAX * SLED_LEAF_ENTRIES_MAX + 4096 < SLED_INLINE_FRAGMENT_BYTES_MAX);
const _: () = assert!(
    PAYLOAD_BYTES_MAX + METADATA_ENTRIES_MAX * (METADATA_KEY_BYTES_MAX + METADATA_VALUE_BYTES_MAX + 8) + 1024
        < EVENT_BYTES_MAX
);

const _: () = assert!(EVENTS_PER_APPEND_MAX <= GROUP_COMMIT_EVENTS_MAX);
// Every valid append fits in the queue (and in a permit count).
const _: () = assert!(EVENTS_PER_APPEND_MAX <= APPEND_QUEUE_EVENTS_MAX);
const _: () = assert!(APPEND_QUEUE_EVENTS_MAX <= u32::MAX as usize);
const _: () = assert!(PAYLOAD_BYTES_MAX < APPEND_BYTES_MAX);
const _: () = assert!(READ_PAGE_EVENTS_MAX <= READ_SCAN_RECORDS_MAX);
