//! The witness's memory: per log, the last checkpoint it cosigned, in one file each.
//!
//! A file is replaced atomically (temporary file, fsync, rename, fsync of the directory)
//! and only then is a cosignature released, so a crash can lose a cosignature never
//! returned but never the record of one that was. A state file that cannot be read
//! stops the witness: starting over from size zero would let a log fork past it.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use antt_audit::checkpoint::SignedCheckpoint;
use antt_audit::encoding::hex;
use antt_audit::note::Verifier;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::config::{ensure_dir, sync_parent};
use crate::limits::STATE_FILE_BYTES_MAX;
use crate::ServeError;

/// One witnessed log: its key, and its latest cosigned checkpoint behind a lock that a
/// request holds from reading it to persisting its successor.
pub(crate) struct LogState {
    pub(crate) verifier: Verifier,
    pub(crate) latest: Mutex<Latest>,
}

pub(crate) struct Latest {
    pub(crate) path: PathBuf,
    pub(crate) signed: Option<SignedCheckpoint>,
}

/// The configured logs by origin; fixed at start, so requests cannot grow it.
pub(crate) type Logs = BTreeMap<String, Arc<LogState>>;

/// Loads the state of every configured log.
pub(crate) fn load(state_dir: &Path, logs: &BTreeMap<String, Verifier>) -> Result<Logs, ServeError> {
    ensure_dir(state_dir)?;
    let mut loaded = Logs::new();
    for (origin, verifier) in logs {
        let path = state_path(state_dir, origin);
        let signed = read_state(&path, origin)?;
        if let Some(signed) = &signed {
            tracing::info!(origin, size = signed.checkpoint.size, "witness state loaded");
        }
        let latest = Mutex::new(Latest { path, signed });
        loaded.insert(
            origin.clone(),
            Arc::new(LogState {
                verifier: verifier.clone(),
                latest,
            }),
        );
    }
    Ok(loaded)
}

/// Files are named by the SHA-256 of the origin, in hex, as tlog-witness names a log
/// in its monitoring URLs; origins may hold any character but newline.
fn state_path(state_dir: &Path, origin: &str) -> PathBuf {
    state_dir.join(format!("{}.checkpoint", hex(&Sha256::digest(origin.as_bytes()))))
}

fn read_state(path: &Path, origin: &str) -> Result<Option<SignedCheckpoint>, ServeError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(ServeError::io("opening a state file", path, error)),
    };
    let mut text = String::new();
    file.take(STATE_FILE_BYTES_MAX + 1)
        .read_to_string(&mut text)
        .map_err(|e| ServeError::io("reading a state file", path, e))?;
    let corrupt = |reason: String| ServeError::State(format!("{}: {reason}", path.display()));
    if text.len() as u64 > STATE_FILE_BYTES_MAX {
        return Err(corrupt("too large".into()));
    }
    let signed = SignedCheckpoint::parse_unverified(&text).map_err(|e| corrupt(e.to_string()))?;
    if signed.checkpoint.origin != origin {
        return Err(corrupt(format!("holds origin {:?}", signed.checkpoint.origin)));
    }
    Ok(Some(signed))
}

/// Replaces a state file atomically and durably, off the async threads.
pub(crate) async fn persist(path: PathBuf, text: String) -> Result<(), ServeError> {
    tokio::task::spawn_blocking(move || write_atomically(&path, &text))
        .await
        .map_err(|e| ServeError::State(format!("state writer failed: {e}")))?
}

fn write_atomically(path: &Path, text: &str) -> Result<(), ServeError> {
    let temporary = path.with_extension("tmp");
    let mut file = File::create(&temporary).map_err(|e| ServeError::io("creating a state file", &temporary, e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| ServeError::io("writing a state file", &temporary, e))?;
    fs::rename(&temporary, path).map_err(|e| ServeError::io("replacing a state file", path, e))?;
    sync_parent(path)
}
