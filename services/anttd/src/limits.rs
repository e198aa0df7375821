//! Bounds on what the server does at once or holds for one call. Names put the unit last.
//! The log's own bounds are in `antt_log::limits`; a witness's answer is bounded by
//! `antt_witness::limits`.

/// Most events one audit export proves and returns (each carries about 30 hashes).
pub const EXPORT_EVENTS_MAX: usize = 100_000;
/// Most witnesses a server submits its checkpoints to.
pub const WITNESSES_MAX: usize = 16;
/// Shortest interval between periodic checkpoints, in seconds.
pub const CHECKPOINT_INTERVAL_SECS_MIN: u64 = 1;
