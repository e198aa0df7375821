//! How a [`super::SledLog`] is opened.

use std::path::PathBuf;

/// What a group commit waits for before it acknowledges its appends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SyncMode {
    /// sled's flush, then `fdatasync` of sled's data file: an acknowledged event survives
    /// a power loss (given a drive that honours cache flushes).
    #[default]
    Fsync,
    /// sled's flush only (`sync_file_range`): an acknowledged event survives a killed
    /// process and an OS crash that writes back the page cache, not a power loss.
    Flush,
}

/// Where and how to open the sled store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SledConfig {
    /// The sled directory; created if missing.
    pub path: PathBuf,
    pub sync_mode: SyncMode,
    /// Memory sled may use for its page cache.
    pub cache_capacity_bytes: u64,
    /// How many of the last records `open` checks against the hash chain. The rest of
    /// the chain is checked by [`super::verify`], which reads everything.
    pub tail_check_events: u64,
}

/// sled's page cache by default: enough to keep recent pages hot, small enough that the
/// whole process stays within its memory budget at a million events. sled's real usage
/// grows well past this figure while reading; measured at 1 M events (release, jemalloc),
/// resident memory after two full reads was 290 MiB at 16 MiB and 370 MiB at 64 MiB, with
/// no loss of read_all throughput.
pub const DEFAULT_CACHE_CAPACITY_BYTES: u64 = 16 * 1024 * 1024;
/// Records whose hash `open` checks by default: catches a torn or altered tail in well
/// under a second without making open time depend on the whole chain.
pub const DEFAULT_TAIL_CHECK_EVENTS: u64 = 10_000;

impl SledConfig {
    /// Defaults: [`SyncMode::Fsync`], a [`DEFAULT_CACHE_CAPACITY_BYTES`] (16 MiB) cache,
    /// the last 10 000 links checked at open.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SledConfig {
            path: path.into(),
            sync_mode: SyncMode::Fsync,
            cache_capacity_bytes: DEFAULT_CACHE_CAPACITY_BYTES,
            tail_check_events: DEFAULT_TAIL_CHECK_EVENTS,
        }
    }
}
