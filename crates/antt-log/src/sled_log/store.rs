//! The sled store underneath the log: how it is opened, how keys look, how one record
//! is read back.

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::codec;
use crate::error::{OpenError, ReadError, StorageError};
use crate::event::RecordedEvent;
use crate::limits;
use crate::sled_log::tree;

/// The one tree the log writes: position (u64 big-endian) → sealed record.
pub(crate) const EVENTS_TREE: &str = "events";
/// Signed checkpoints: tree size (u64 big-endian) → the signed note.
pub(crate) const CHECKPOINTS_TREE: &str = "checkpoints";
/// sled 0.34.7 keeps every segment in this one file under its directory
/// (`Inner::db_path` in sled's `config.rs`); it is the file a group commit syncs.
const DATA_FILE_NAME: &str = "db";
/// sled writes its storage parameters here once, without syncing it.
const CONFIG_FILE_NAME: &str = "conf";

pub(crate) fn open_error(
    path: &Path,
    context: &'static str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> OpenError {
    OpenError::Storage {
        path: path.display().to_string(),
        source: StorageError::new(context, source),
    }
}

/// How long opening waits for sled's file lock. sled writes some buffers from its own
/// thread pool, and such a task can hold the store a few milliseconds after the last
/// handle was dropped, so a reopen in the same process may find the lock still taken.
const LOCK_WAIT: Duration = Duration::from_secs(2);
const LOCK_RETRY_INTERVAL: Duration = Duration::from_millis(10);

/// Opens (or creates) the sled database with the settings every store of the log uses.
pub(crate) fn open_db(path: &Path, cache_capacity_bytes: u64) -> Result<sled::Db, OpenError> {
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(cache_capacity_bytes)
        .segment_size(limits::SLED_SEGMENT_SIZE_BYTES);
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match config.open() {
            Err(error) if is_lock_conflict(&error) && Instant::now() < deadline => {
                std::thread::sleep(LOCK_RETRY_INTERVAL)
            }
            opened => return opened.map_err(|error| open_error(path, "opening the sled database", error)),
        }
    }
}

/// sled 0.34.7 reports a held lock only as this message (`Config::try_lock`).
fn is_lock_conflict(error: &sled::Error) -> bool {
    matches!(error, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

pub(crate) fn open_events_tree(db: &sled::Db, path: &Path) -> Result<sled::Tree, OpenError> {
    db.open_tree(EVENTS_TREE)
        .map_err(|error| open_error(path, "opening the events tree", error))
}

/// The trees of one store.
pub(crate) struct Trees {
    /// The database itself, for its size on disk.
    pub db: sled::Db,
    pub events: sled::Tree,
    pub nodes: sled::Tree,
    pub checkpoints: sled::Tree,
}

pub(crate) fn open_trees(db: &sled::Db, path: &Path) -> Result<Trees, OpenError> {
    let open = |name: &str, context: &'static str| db.open_tree(name).map_err(|error| open_error(path, context, error));
    Ok(Trees {
        db: db.clone(),
        events: open_events_tree(db, path)?,
        nodes: open(tree::NODES_TREE, "opening the Merkle tree")?,
        checkpoints: open(CHECKPOINTS_TREE, "opening the checkpoints tree")?,
    })
}

/// Stores a checkpoint note under its size and makes it durable.
pub(crate) fn save_checkpoint(
    checkpoints: &sled::Tree,
    data_file: &File,
    size: u64,
    note: &str,
) -> Result<(), StorageError> {
    checkpoints
        .insert(key(size), note.as_bytes())
        .map_err(|error| StorageError::new("writing a checkpoint", error))?;
    checkpoints
        .flush()
        .map_err(|error| StorageError::new("flushing a checkpoint", error))?;
    data_file
        .sync_data()
        .map_err(|error| StorageError::new("syncing a checkpoint", error))
}

pub(crate) fn checkpoint_at(checkpoints: &sled::Tree, size: u64) -> Result<Option<String>, ReadError> {
    let note = checkpoints
        .get(key(size))
        .map_err(|error| read_error("reading a checkpoint", error))?;
    note.map(|note| checkpoint_text(size, &note)).transpose()
}

pub(crate) fn latest_checkpoint(checkpoints: &sled::Tree) -> Result<Option<(u64, String)>, ReadError> {
    let last = checkpoints
        .last()
        .map_err(|error| read_error("reading the latest checkpoint", error))?;
    last.map(|(stored_key, note)| stored_checkpoint(&stored_key, &note))
        .transpose()
}

/// The checkpoints stored for sizes below `size`, newest first, at most `count_max`.
pub(crate) fn checkpoints_before(
    checkpoints: &sled::Tree,
    size: u64,
    count_max: usize,
) -> Result<Vec<(u64, String)>, ReadError> {
    checkpoints
        .range(..key(size))
        .rev()
        .take(count_max)
        .map(|entry| {
            let (stored_key, note) = entry.map_err(|error| read_error("reading the stored checkpoints", error))?;
            stored_checkpoint(&stored_key, &note)
        })
        .collect()
}

fn stored_checkpoint(stored_key: &[u8], note: &[u8]) -> Result<(u64, String), ReadError> {
    let size = position_of(stored_key).ok_or_else(|| ReadError::Corrupted {
        position: 0,
        reason: "a checkpoint is stored under a malformed key".into(),
    })?;
    Ok((size, checkpoint_text(size, note)?))
}

fn checkpoint_text(size: u64, note: &[u8]) -> Result<String, ReadError> {
    String::from_utf8(note.to_vec()).map_err(|_| ReadError::Corrupted {
        position: size,
        reason: "the checkpoint stored for this tree size is not UTF-8".into(),
    })
}

/// Whether a sled store exists at `path`, so that read-only tools do not create one.
pub(crate) fn data_file_exists(path: &Path) -> bool {
    path.join(DATA_FILE_NAME).is_file()
}

/// A handle on sled's data file for `fdatasync`. Read-only: the log never writes it itself.
pub(crate) fn open_data_file(path: &Path) -> Result<File, OpenError> {
    let file_path = path.join(DATA_FILE_NAME);
    File::open(&file_path).map_err(|error| {
        let message = format!(
            "sled's data file {} cannot be opened ({error}); this sled version keeps its data elsewhere, so the log cannot make appends durable",
            file_path.display()
        );
        open_error(path, "opening sled's data file for fsync", io::Error::new(error.kind(), message))
    })
}

/// Makes the store's directory entries and sled's unsynced config durable, so that a
/// power loss right after the first commit cannot lose the files themselves.
pub(crate) fn sync_store_files(path: &Path) -> Result<(), OpenError> {
    let sync = |file_path: &Path| File::open(file_path).and_then(|file| file.sync_all());
    sync(&path.join(CONFIG_FILE_NAME)).map_err(|error| open_error(path, "syncing sled's config file", error))?;
    sync(path).map_err(|error| open_error(path, "syncing the store directory", error))
}

pub(crate) fn key(position: u64) -> [u8; 8] {
    position.to_be_bytes()
}

/// The position a stored key names, if it is a well-formed key.
pub(crate) fn position_of(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

pub(crate) fn read_error(context: &'static str, error: sled::Error) -> ReadError {
    ReadError::Storage(StorageError::new(context, error))
}

/// Decodes the record stored at `position`, refusing one that claims another position.
pub(crate) fn decode_at(position: u64, record: &[u8]) -> Result<RecordedEvent, ReadError> {
    view_at(position, record).map(|view| view.to_event())
}

/// [`decode_at`] in place, for a reader that may not keep the event.
pub(crate) fn view_at(position: u64, record: &[u8]) -> Result<codec::RecordView<'_>, ReadError> {
    let view = codec::decode_record_view(record).map_err(|error| ReadError::Corrupted {
        position,
        reason: error.0,
    })?;
    if view.position != position {
        return Err(ReadError::Corrupted {
            position,
            reason: format!("the record stored at this key says position {}", view.position),
        });
    }
    Ok(view)
}

/// The record at `position`, if one is stored.
pub(crate) fn read_record(tree: &sled::Tree, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
    let record = tree
        .get(key(position))
        .map_err(|error| read_error("reading an event", error))?;
    record.map(|record| decode_at(position, &record)).transpose()
}
