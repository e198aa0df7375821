//! Bounds of backups and restores. Names put the unit last.

use antt_log::limits::{EVENT_BYTES_MAX, READ_PAGE_EVENTS_MAX};

/// Most events in one chunk of a log backup: one checksum per chunk, and a restore holds
/// one chunk in memory at a time.
pub const CHUNK_EVENTS_MAX: u64 = READ_PAGE_EVENTS_MAX as u64;
/// A chunk is closed once it holds this many bytes, whatever its event count.
pub const CHUNK_BYTES_SOFT_MAX: u64 = 4 * 1024 * 1024;
/// Largest chunk a restore reads: the most events, each of the largest record and its
/// length prefix. A manifest that claims more is refused before anything is read.
pub const CHUNK_BYTES_MAX: u64 = CHUNK_EVENTS_MAX * (EVENT_BYTES_MAX as u64 + 4);
/// Largest manifest a restore reads (about 150 bytes per chunk: a billion events fit).
pub const MANIFEST_BYTES_MAX: u64 = 256 * 1024 * 1024;
/// How long the backup waits for each message of the server's stream before it gives up:
/// a server that stops sending mid-backup must not hang the operator's shell.
pub const READ_MESSAGE_WAIT_SECS_MAX: u64 = 60;

const _: () = assert!(CHUNK_BYTES_SOFT_MAX < CHUNK_BYTES_MAX);
