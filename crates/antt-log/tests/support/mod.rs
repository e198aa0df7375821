//! Helpers shared by the integration tests of this crate.

use std::path::Path;
use std::time::{Duration, Instant};

use antt_log::sled_log::{verify, SledConfig, SledLog, VerifyError, VerifyReport};
use antt_log::OpenError;

/// How long a reopen in the same process may find the store still locked.
const LOCK_RELEASE_WAIT: Duration = Duration::from_secs(10);

fn is_lock_contention(error: &dyn std::error::Error) -> bool {
    // sled reports a held lock as an io::Error of kind Other with this message.
    let mut current: Option<&dyn std::error::Error> = Some(error);
    while let Some(error) = current {
        if error.to_string().contains("could not acquire lock") {
            return true;
        }
        current = error.source();
    }
    false
}

/// Runs `attempt` until it does not fail with sled's "could not acquire lock".
///
/// sled 0.34 may keep its file lock for a moment after the last handle is dropped
/// (an I/O thread still holds the file; spacejam/sled#1289, #1234), so reopening a store
/// in the same process right after dropping a SledLog can fail spuriously. No signal
/// tells when the lock is free, hence the bounded retry. Every other error returns at once.
fn retry_while_locked<T, E: std::error::Error>(mut attempt: impl FnMut() -> Result<T, E>) -> Result<T, E> {
    let started = Instant::now();
    loop {
        match attempt() {
            Err(error) if is_lock_contention(&error) && started.elapsed() < LOCK_RELEASE_WAIT => {
                std::thread::sleep(Duration::from_millis(5));
            }
            result => return result,
        }
    }
}

/// `SledLog::open`, tolerating sled's late lock release after an earlier handle in this
/// process was dropped (see [`retry_while_locked`]).
#[allow(dead_code)]
pub fn reopen(config: SledConfig) -> Result<SledLog, OpenError> {
    retry_while_locked(|| SledLog::open(config.clone()))
}

/// `verify`, tolerating sled's late lock release (see [`retry_while_locked`]).
#[allow(dead_code)]
pub fn verify_closed(path: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<VerifyReport, VerifyError> {
    retry_while_locked(|| verify(path, &[], &mut *progress))
}
