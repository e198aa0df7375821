//! Bounds on what the server does at once or holds for one call. Names put the unit last.
//! The log's own bounds are in `antt_log::limits`; a witness's answer is bounded by
//! `antt_witness::limits`.

/// Most events one audit export proves and returns. The export is built in memory before
/// it is sent (each event with its ~25 proof hashes is about 1.5 KiB: 15 MiB at most).
pub const EXPORT_EVENTS_MAX: usize = 10_000;
/// Most records (streams) one area export lists. The list is held while their events are
/// streamed (~80 bytes a stream id: 4 MiB at most); a commune's twenty years are a few
/// thousand records, a district's tens of thousands.
pub const AREA_EXPORT_STREAMS_MAX: usize = 50_000;
/// Items (events with their proofs) an area export reads ahead of its client: a slow
/// client holds up the reading of the log, not the server's memory. Each stream's events
/// are read whole first, so one stream holds at most `EXPORT_EVENTS_MAX` of them.
pub const AREA_EXPORT_ITEMS_BUFFERED_MAX: usize = 64;
/// Most witnesses a server submits its checkpoints to.
pub const WITNESSES_MAX: usize = 16;
/// Shortest interval between periodic checkpoints, in seconds.
pub const CHECKPOINT_INTERVAL_SECS_MIN: u64 = 1;

// Checkpoints a witness missed are submitted to it again (`audit/resubmit.rs`). Each
// submission is bounded by the witness client's own `antt_witness::limits::SUBMIT_SECONDS_MAX`.

/// First wait before a witness that failed is asked again; it doubles after each failed
/// round, up to `WITNESS_RETRY_SECS_MAX`.
pub const WITNESS_RETRY_SECS_MIN: u64 = 1;
/// Longest wait between attempts on a failing witness, and between two looks at the
/// stored checkpoints for one that has caught up.
pub const WITNESS_RETRY_SECS_MAX: u64 = 60;
/// Checkpoints submitted to one witness in one round, before the other witnesses get
/// their turn and the stored checkpoints are looked at again (also the page size of
/// that look).
pub const WITNESS_RESUBMIT_CHECKPOINTS_MAX: usize = 16;
/// Stored checkpoints looked at, newest first, for those a witness has not cosigned.
/// After a longer outage the older ones stay without its cosignature: once the newer ones
/// are cosigned, the witness can no longer cosign them, and consistency with the newer
/// ones covers them.
pub const WITNESS_BACKLOG_CHECKPOINTS_MAX: usize = 1_024;

/// How long a projection query waits for the projections to reach its `min_position`
/// (or the events of its `known_at`) before it answers UNAVAILABLE with the lag; the
/// call's own deadline, if shorter, ends it first.
pub const PROJECTION_WAIT_MILLIS_MAX: u64 = 5_000;

/// Most rows in one chunk of an analytics export. A team row carries its active members
/// (a few dozen at most, ~60 bytes each), so a chunk stays far below the 8 MiB default
/// message size while a province's export still needs only a few hundred chunks.
pub const EXPORT_CHUNK_ROWS_MAX: usize = 500;
/// Chunks an analytics export reads ahead of its client: a slow client holds up the
/// reading of the store, not the server's memory.
pub const EXPORT_CHUNKS_BUFFERED_MAX: usize = 4;

/// The first year a projection query may ask about: the records begin after 1945.
pub const AS_OF_YEAR_MIN: i32 = 1945;

/// Years one yearly series spans: a few decades of reports, each year a handful of
/// subtree walks.
pub const YEARLY_SERIES_YEARS_MAX: i32 = 30;

/// How far behind the log's head the projections may be for the health service to call
/// them serving (queries wait for the head anyway; further behind, they mostly wait in
/// vain).
pub const PROJECTION_LAG_EVENTS_MAX: u64 = 10_000;

/// How often the health service's word on the projections is brought up to date.
pub const PROJECTION_HEALTH_POLL_MILLIS: u64 = 500;

/// Levels walked up the area tree to tell whether an area is within a jurisdiction
/// (village, commune, district, province, and a margin for the 2025 reform's records).
pub const AREA_TREE_DEPTH_MAX: usize = 8;
// Telemetry (`telemetry`): every exporter is bounded and drops, never blocks, when full or
// when the collector is down, so a missing collector never slows or fails an append.

/// Spans waiting for export; past it new spans are dropped (and counted by the SDK).
pub const TRACE_QUEUE_SPANS_MAX: usize = 2_048;
/// Spans in one OTLP export request.
pub const TRACE_EXPORT_BATCH_SPANS_MAX: usize = 512;
/// One OTLP export call (spans or metrics), retries included, before it is given up.
pub const OTLP_EXPORT_MILLIS_MAX: u64 = 10_000;
/// Shortest interval between OTLP exports: below it exporting would compete with appends.
pub const OTLP_EXPORT_INTERVAL_MILLIS_MIN: u64 = 50;
/// Scrapes of the Prometheus endpoint served at once; more wait in the listen backlog.
pub const METRICS_CONNECTIONS_MAX: usize = 8;
/// Time to receive a scrape request's headers, and the longest a scrape connection lives.
pub const METRICS_REQUEST_MILLIS_MAX: u64 = 5_000;
/// Largest request head read from a scraper (hyper's smallest read buffer).
pub const METRICS_REQUEST_BYTES_MAX: usize = 8_192;

// Bounds on what clients hold open at once. Reaching one is load, not failure: the health
// service keeps saying SERVING (it says NOT_SERVING only while the log refuses appends or
// the server stops). The append queue's bound is the log's own
// (`antt_log::limits::APPEND_QUEUE_EVENTS_MAX`, `APPEND_QUEUE_WAIT_MILLIS_MAX`): an append
// that finds no room within the wait is RESOURCE_EXHAUSTED.

/// Most client connections served at once; beyond it new ones wait to be accepted
/// (`connections.rs`). Clients are operators' tools and a few services, each multiplexing
/// its calls over one or a few HTTP/2 connections.
pub const CONNECTIONS_MAX: usize = 256;
/// Most concurrent calls (HTTP/2 streams) on one connection, advertised in the server's
/// SETTINGS: a client past it waits for one of its calls to end.
pub const HTTP2_STREAMS_PER_CONNECTION_MAX: u32 = 128;
/// Most live `EventStore.Subscribe` calls at once, over all connections; one more is
/// RESOURCE_EXHAUSTED. Each holds a task and a page of events while it catches up.
pub const SUBSCRIBERS_MAX: usize = 512;

/// Concurrent calls on one connection of the plaintext health port (`--health-listen`):
/// probes make one call at a time.
pub const HEALTH_CALLS_PER_CONNECTION_MAX: usize = 4;
