//! Full verification of a stored log: every record, every invariant, the whole hash chain.

use std::io;
use std::path::Path;

use crate::error::{Damage, OpenError};
use crate::sled_log::config::DEFAULT_CACHE_CAPACITY_BYTES;
use crate::sled_log::scan::{scan, ChainCheck, ScanError};
use crate::sled_log::store;

/// What a verification that found nothing wrong checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    pub events_checked: u64,
    /// Hash of the last event; zeros for an empty log. Compare it with a copy kept
    /// elsewhere (an anchor) to detect a log rewritten as a whole.
    pub last_hash: [u8; 32],
}

/// Why verification did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The store could not be opened or read; nothing is known about its contents.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The log is damaged; this is the first bad position.
    #[error("the log is damaged: {0}")]
    Damaged(#[from] Damage),
}

/// Checks the log at `path` from position 0 to its end: positions, stream versions,
/// times, event ids and the full hash chain. Calls `progress(checked, total)` every
/// 10 000 events and at the end. The store must not be open elsewhere (sled locks it).
pub fn verify(path: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<VerifyReport, VerifyError> {
    if !store::data_file_exists(path) {
        let missing = io::Error::new(io::ErrorKind::NotFound, "no log store (sled data file `db`) here");
        return Err(store::open_error(path, "finding the log store", missing).into());
    }
    let db = store::open_db(path, DEFAULT_CACHE_CAPACITY_BYTES)?;
    // Opening the tree would create it; a store without it holds no events.
    if !db.tree_names().iter().any(|name| name == store::EVENTS_TREE.as_bytes()) {
        progress(0, 0);
        return Ok(VerifyReport {
            events_checked: 0,
            last_hash: [0; 32],
        });
    }
    let tree = store::open_events_tree(&db, path)?;
    let index = scan(&tree, ChainCheck::Full, progress).map_err(|error| match error {
        ScanError::Damaged(damage) => VerifyError::Damaged(damage),
        ScanError::Storage(source) => VerifyError::Open(OpenError::Storage {
            path: path.display().to_string(),
            source,
        }),
    })?;
    let head = index.head();
    Ok(VerifyReport {
        events_checked: head.next_position,
        last_hash: head.last_hash,
    })
}
