//! Bounds on what the server does at once or holds for one call. Names put the unit last.
//! The log's own bounds are in `antt_log::limits`; a witness's answer is bounded by
//! `antt_witness::limits`.

/// Most events one audit export proves and returns. The export is built in memory before
/// it is sent (each event with its ~25 proof hashes is about 1.5 KiB: 15 MiB at most).
pub const EXPORT_EVENTS_MAX: usize = 10_000;
/// Most witnesses a server submits its checkpoints to.
pub const WITNESSES_MAX: usize = 16;
/// Shortest interval between periodic checkpoints, in seconds.
pub const CHECKPOINT_INTERVAL_SECS_MIN: u64 = 1;
