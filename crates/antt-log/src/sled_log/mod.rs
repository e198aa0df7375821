//! The sled backend: a durable [`EventLog`] with a group-commit writer thread, in-memory
//! indexes, start-up checks and a full [`verify`].
//!
//! # Storage layout (format of the store; changing it needs a migration)
//! - sled 0.34.7, opened with `segment_size` = [`limits::SLED_SEGMENT_SIZE_BYTES`] and
//!   sled's default `flush_every_ms`. All data lives in sled's single data file `<path>/db`.
//! - One tree, named `events`. Key: the event's global position as a `u64` big-endian
//!   (8 bytes), so key order is log order. Value: the sealed record from [`crate::codec::seal`],
//!   i.e. the canonical bytes followed by the 32-byte chained hash.
//! - The events of one append are consecutive and share one `recorded_at`, strictly later
//!   than the previous append's (the writer adds 1 µs when the clock has not moved on).
//!   An append's extent is therefore a maximal run of equal `recorded_at`, recoverable
//!   after a restart without storing it, which is how a retry is matched to exactly one
//!   earlier append.
//! - Tree `merkle`: the stored levels of the RFC 9162 tree over the log (`tree.rs`), about
//!   one key per 15 events. Tree `checkpoints`: signed checkpoints by tree size. File
//!   `anchor` (outside sled): the acknowledged head (`anchor.rs`).
//! - Nothing else is written per event. Stream and event-id indexes exist only in memory:
//!   one sequential scan rebuilds them at open (a second key per event would cost 3–4×
//!   the append throughput).
//!
//! # Writing
//! A single writer thread takes every queued append (up to
//! [`limits::GROUP_COMMIT_EVENTS_MAX`] events) as one group: it decides each append in
//! arrival order (idempotent retry, then expected version), writes all admitted events
//! and the Merkle nodes they complete atomically (a crash keeps the whole group or none of
//! it), calls sled's `flush`, and in [`SyncMode::Fsync`] `fdatasync`s `<path>/db`. Then the
//! group is published to readers, and the anchoring thread (`acknowledge.rs`) syncs its
//! head into the anchor and only then acknowledges it.
//!
//! # Durability of an acknowledged event
//! - Fsync mode: survives a killed process, an OS crash and a power loss, provided the
//!   drive honours cache flushes.
//! - Flush mode: survives a killed process and an OS crash that writes the page cache
//!   back. A power loss may lose the acknowledged groups since sled's own last fsync
//!   (every ~500 ms); what survives is still a prefix of whole groups, as sled recovers up
//!   to its first torn write (and `open` refuses a log with a hole).
//! - Neither survives losing or damaging the disk itself: that needs backups or replicas.
//!
//! # Failure
//! If writing, flushing or syncing fails, every append of that group fails with
//! [`AppendError::Storage`] and so does every later append: what reached the disk is
//! unknown until the store is reopened, which checks it. Reads keep serving what was
//! committed. A panic of the writer or the anchoring thread halts the log the same way.
//! Either is published at once through [`EventLog::watch_halt`].
//!
//! # Back-pressure
//! At most [`limits::APPEND_QUEUE_EVENTS_MAX`] events wait for the writer or are in the
//! group it commits; an append that does not fit waits for room at most
//! [`limits::APPEND_QUEUE_WAIT_MILLIS_MAX`], then fails with [`AppendError::QueueFull`].
//!
//! # Open checks
//! `open` decodes every record and checks dense positions (key = record position),
//! dense stream versions, non-decreasing `recorded_at`, unique event ids, and the hash
//! chain over the last [`SledConfig::tail_check_events`] records. [`verify`] checks the
//! same and the whole chain.

mod acknowledge;
mod anchor;
mod config;
mod group;
mod import;
mod index;
mod read;
mod recover;
mod scan;
mod shared;
mod store;
mod tree;
mod verify;
mod writer;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::{oneshot, watch};
use tracing::info;
use uuid::Uuid;

pub use anchor::{read_anchor, AnchorError, AnchoredHead};
pub use config::{SledConfig, SyncMode, DEFAULT_CACHE_CAPACITY_BYTES};
pub use import::{ImportError, Importer};
pub use recover::{keep_verified_prefix, RecoveryReport};
pub use shared::{CommitObserver, GroupCommitted};
pub use verify::{verify, VerifyError, VerifyReport};

use antt_audit::merkle::{self, Hash, ProofError};

use crate::audit::{self, VerifiableLog};
use crate::error::{AppendError, Halt, OpenError, ReadError, StorageError};
use crate::event::{
    self, AppendOutcome, AppendRequest, ListStreamsRequest, LogHead, ReadAllPage, ReadAllRequest, ReadStreamRequest,
    RecordedEvent, StreamInfo, TreeHead,
};
use crate::log::EventLog;
use crate::sled_log::anchor::Anchor;
use crate::sled_log::group::Job;
use crate::sled_log::scan::{scan, ChainCheck, ScanError};
use crate::sled_log::shared::Shared;
use crate::sled_log::tree::StoredTree;
use crate::sled_log::writer::Writer;
use crate::{limits, validate};

/// The event log stored in sled. See the module documentation for the layout and the
/// durability guarantee.
pub struct SledLog {
    path: PathBuf,
    db: sled::Db,
    tree: sled::Tree,
    /// Stored Merkle nodes (see `tree.rs`).
    nodes: sled::Tree,
    /// Signed checkpoints by tree size.
    checkpoints: sled::Tree,
    /// sled's data file, for syncing a saved checkpoint.
    checkpoint_sync: std::fs::File,
    shared: Arc<Shared>,
    /// `None` once closed: appends are refused from then on.
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    /// Room in the append queue, in events (`limits::APPEND_QUEUE_EVENTS_MAX`).
    queue_room: Arc<tokio::sync::Semaphore>,
    head: watch::Receiver<u64>,
    lifecycle: tokio::sync::Mutex<Lifecycle>,
}

enum Lifecycle {
    Running {
        thread: JoinHandle<()>,
        finished: oneshot::Receiver<Result<(), StorageError>>,
    },
    Closed(Result<(), AppendError>),
}

impl SledLog {
    /// Opens or creates the log at `config.path`, checks it and starts the writer thread.
    /// Blocking (it reads the whole log); call it before serving or from a blocking task.
    pub fn open(config: SledConfig) -> Result<SledLog, OpenError> {
        let path = config.path.clone();
        let db = store::open_db(&path, config.cache_capacity_bytes)?;
        let trees = store::open_trees(&db, &path)?;
        let data_file = store::open_data_file(&path)?;
        if config.sync_mode == SyncMode::Fsync {
            store::sync_store_files(&path)?;
        }
        let started = Instant::now();
        let (mut anchor, anchored) = Anchor::open(&path).map_err(|error| anchor_open_error(&path, error))?;
        let mut index = scan(
            &trees.events,
            ChainCheck::Tail(config.tail_check_events),
            &mut |_, _| {},
        )
        .map_err(|error| scan_open_error(&path, error))?;
        let size = index.head().next_position;
        let stored = StoredTree {
            events: &trees.events,
            nodes: &trees.nodes,
        };
        let frontier = stored.frontier(size).map_err(|error| read_open_error(&path, error))?;
        stored
            .check_against_events(size.saturating_sub(config.tail_check_events), size)
            .map_err(|error| read_open_error(&path, error))?;
        let head = anchor::AnchoredHead {
            size,
            tree_root: frontier.root(),
            last_hash: index.head().last_hash,
        };
        anchor::check(&path, anchored, &head, &stored)?;
        if anchored != Some(head) {
            // A new store, or a last group that became durable but was never anchored
            // (nor acknowledged): anchor what is there now.
            anchor
                .write(&head, config.sync_mode == SyncMode::Fsync)
                .map_err(|error| store::open_error(&path, "writing the head anchor", error))?;
        }
        index.set_tree_root(head.tree_root);
        info!(
            path = %path.display(),
            events = size,
            duration_ms = started.elapsed().as_millis() as u64,
            "event log opened and checked against its head anchor"
        );
        let writer_parts = WriterParts {
            data_file,
            sync_mode: config.sync_mode,
            frontier,
            anchor,
        };
        SledLog::start(path, trees, writer_parts, index)
    }

    /// Has `observer` told of every durable group commit from now on (say, to feed a
    /// group-size histogram). Only one observer is kept: false if one was installed.
    pub fn observe_commits(&self, observer: CommitObserver) -> bool {
        self.shared.observe_commits(observer)
    }

    /// Starts the writer thread over a checked store.
    fn start(
        path: PathBuf,
        trees: store::Trees,
        parts: WriterParts,
        index: index::Index,
    ) -> Result<SledLog, OpenError> {
        let checkpoint_sync = store::open_data_file(&path)?;
        let shared = Arc::new(Shared::new(index));
        let (job_sender, job_receiver) = mpsc::channel();
        let (head_sender, head_receiver) = watch::channel(shared.index().head().next_position);
        let writer = Writer {
            tree: trees.events.clone(),
            nodes: trees.nodes.clone(),
            frontier: parts.frontier,
            acknowledgements: None,
            data_file: parts.data_file,
            sync_mode: parts.sync_mode,
            shared: Arc::clone(&shared),
            jobs: job_receiver,
            head: head_sender,
        };
        let lifecycle = start_writer(writer, parts.anchor, Arc::clone(&shared))
            .map_err(|error| store::open_error(&path, "starting the writer thread", error))?;
        Ok(SledLog {
            path,
            db: trees.db,
            tree: trees.events,
            nodes: trees.nodes,
            checkpoints: trees.checkpoints,
            checkpoint_sync,
            shared,
            jobs: Mutex::new(Some(job_sender)),
            queue_room: Arc::new(tokio::sync::Semaphore::new(limits::APPEND_QUEUE_EVENTS_MAX)),
            head: head_receiver,
            lifecycle: tokio::sync::Mutex::new(lifecycle),
        })
    }

    /// Runs `read` over the stored tree on a blocking thread: a proof may read hundreds
    /// of records.
    async fn read_tree<T: Send + 'static>(
        &self,
        read: impl FnOnce(&StoredTree<'_>) -> Result<T, ProofError<ReadError>> + Send + 'static,
    ) -> Result<T, ReadError> {
        let (events, nodes) = (self.tree.clone(), self.nodes.clone());
        let task = tokio::task::spawn_blocking(move || {
            read(&StoredTree {
                events: &events,
                nodes: &nodes,
            })
        });
        match task.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(ProofError::Request(error))) => Err(audit::request_violation(error)),
            Ok(Err(ProofError::Read(error))) => Err(error),
            Err(error) => Err(ReadError::Storage(StorageError::new(
                "reading the Merkle tree in a blocking task",
                error,
            ))),
        }
    }

    fn check_proof_request(&self, sizes: &[(&str, u64)], position: Option<u64>) -> Result<(), ReadError> {
        let violations = audit::proof_request_violations(self.tree_head().size, sizes, position);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ReadError::Invalid(violations))
        }
    }

    fn send(&self, job: Job) -> Result<(), AppendError> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = jobs.as_ref().ok_or(AppendError::Closed)?;
        sender.send(job).map_err(|_| AppendError::Closed)
    }

    /// Room for `events` in the append queue: waits while the writer is behind, at most
    /// `limits::APPEND_QUEUE_WAIT_MILLIS_MAX`, then refuses.
    async fn queue_room(&self, events: usize) -> Result<tokio::sync::OwnedSemaphorePermit, AppendError> {
        let wanted = u32::try_from(events).unwrap_or(u32::MAX);
        // Room at once, the usual case, needs no timer (some callers' runtimes have none).
        if let Ok(room) = Arc::clone(&self.queue_room).try_acquire_many_owned(wanted) {
            return Ok(room);
        }
        let wait = std::time::Duration::from_millis(limits::APPEND_QUEUE_WAIT_MILLIS_MAX);
        match tokio::time::timeout(wait, Arc::clone(&self.queue_room).acquire_many_owned(wanted)).await {
            Ok(Ok(room)) => Ok(room),
            // The semaphore is never closed; a closed one would mean the log is.
            Ok(Err(_)) => Err(AppendError::Closed),
            Err(_) => {
                let queued_events = limits::APPEND_QUEUE_EVENTS_MAX.saturating_sub(self.queue_room.available_permits());
                tracing::warn!(queued_events, "append refused: the append queue stayed full");
                Err(AppendError::QueueFull {
                    queued_events,
                    max_events: limits::APPEND_QUEUE_EVENTS_MAX,
                })
            }
        }
    }

    fn stop_accepting(&self) {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner).take();
    }
}

/// What the writer thread takes over from `open`.
struct WriterParts {
    data_file: std::fs::File,
    sync_mode: SyncMode,
    frontier: merkle::Frontier,
    anchor: Anchor,
}

fn start_writer(writer: Writer, anchor: Anchor, shared: Arc<Shared>) -> std::io::Result<Lifecycle> {
    let (finished_sender, finished) = oneshot::channel();
    let thread = std::thread::Builder::new()
        .name("antt-log-writer".into())
        .spawn(move || {
            // A panic is a bug, not a storage failure, but it leaves the log just as
            // unable to commit: record it as the log's halt, so that appends say why and
            // the server can end the process instead of answering "closed" forever. The
            // writer's state is not used again after it unwound (it is dropped here).
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| writer.run(anchor))).unwrap_or_else(|panic| {
                    let halt = Halt::Panicked {
                        thread: "writer",
                        message: panic_message(panic.as_ref()),
                    };
                    let error = halt.storage_error();
                    shared.halt_with(halt);
                    Err(error)
                });
            let _ = finished_sender.send(result);
        })?;
    Ok(Lifecycle::Running { thread, finished })
}

/// The text a panic was raised with, when it was raised with text.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

fn scan_open_error(path: &std::path::Path, error: ScanError) -> OpenError {
    match error {
        ScanError::Damaged(damage) => OpenError::Corrupted {
            path: path.display().to_string(),
            position: damage.position,
            reason: damage.reason,
        },
        ScanError::Storage(source) => OpenError::Storage {
            path: path.display().to_string(),
            source,
        },
    }
}

fn read_open_error(path: &std::path::Path, error: ReadError) -> OpenError {
    match error {
        ReadError::Corrupted { position, reason } => OpenError::Corrupted {
            path: path.display().to_string(),
            position,
            reason,
        },
        other => store::open_error(path, "reading the Merkle tree", other),
    }
}

fn anchor_open_error(path: &std::path::Path, error: AnchorError) -> OpenError {
    OpenError::Anchor {
        path: path.display().to_string(),
        reason: error.to_string(),
    }
}

impl Drop for SledLog {
    /// Lets the writer finish what is queued and sync, so that the store can be reopened
    /// as soon as this returns.
    fn drop(&mut self) {
        self.stop_accepting();
        if let Lifecycle::Running { thread, .. } =
            std::mem::replace(self.lifecycle.get_mut(), Lifecycle::Closed(Ok(())))
        {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for SledLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledLog")
            .field("path", &self.path)
            .field("head", &self.head())
            .finish_non_exhaustive()
    }
}

impl EventLog for SledLog {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        let violations = validate::append_violations(&request);
        if !violations.is_empty() {
            return Err(AppendError::Invalid(violations));
        }
        if let Some(failure) = self.shared.failure() {
            return Err(AppendError::Storage(failure));
        }
        let room = self.queue_room(request.events.len()).await?;
        let (reply, outcome) = oneshot::channel();
        self.send(Job {
            request,
            reply,
            span: tracing::Span::current(),
            room,
        })?;
        // A writer that vanished without replying has stopped: it halted (a panic) or
        // the log closed.
        outcome
            .await
            .unwrap_or_else(|_| Err(self.shared.failure().map_or(AppendError::Closed, AppendError::Storage)))
    }

    async fn read_stream(&self, request: ReadStreamRequest) -> Result<Vec<RecordedEvent>, ReadError> {
        read::check_stream_id(&request.stream_id)?;
        let positions = match self.shared.index().stream(&request.stream_id) {
            Some(stream) => read::stream_page_positions(stream, &request),
            None => return Ok(Vec::new()),
        };
        positions
            .into_iter()
            .map(|position| read::committed_event(&self.tree, position))
            .collect()
    }

    async fn read_all(&self, request: ReadAllRequest) -> Result<ReadAllPage, ReadError> {
        let head = self.head().next_position;
        let tree = self.tree.clone();
        // A filtered page may decode thousands of records: keep that off the async workers.
        tokio::task::spawn_blocking(move || read::read_all_page(&tree, head, &request))
            .await
            .map_err(|error| ReadError::Storage(StorageError::new("reading the log in a blocking task", error)))?
    }

    async fn event_at(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        if position >= self.head().next_position {
            return Ok(None);
        }
        read::committed_event(&self.tree, position).map(Some)
    }

    async fn event_by_id(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, ReadError> {
        let position = self.shared.index().position_of_id(&event_id);
        position
            .map(|position| read::committed_event(&self.tree, position))
            .transpose()
    }

    async fn stream_info(&self, stream_id: &str) -> Result<Option<StreamInfo>, ReadError> {
        read::check_stream_id(stream_id)?;
        Ok(self.shared.index().stream_info(stream_id))
    }

    async fn list_streams(&self, request: ListStreamsRequest) -> Result<Vec<StreamInfo>, ReadError> {
        let most = event::clamp_page(request.page_size, limits::LIST_STREAMS_PAGE_MAX);
        Ok(self
            .shared
            .index()
            .list_streams(&request.prefix, request.after.as_deref(), most))
    }

    fn head(&self) -> LogHead {
        self.shared.index().head()
    }

    /// sled's files: its log file and blobs (a few `stat`s).
    fn stored_bytes(&self) -> Option<u64> {
        self.db.size_on_disk().ok()
    }

    fn watch_head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }

    fn watch_halt(&self) -> watch::Receiver<Option<Halt>> {
        self.shared.watch_halt()
    }

    async fn close(&self) -> Result<(), AppendError> {
        let mut lifecycle = self.lifecycle.lock().await;
        self.stop_accepting();
        if let Lifecycle::Running { finished, .. } = &mut *lifecycle {
            // Awaited in place: a close cancelled here leaves the writer to a later close or to drop.
            let result = match finished.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(failure)) => Err(AppendError::Storage(failure)),
                Err(_) => Err(AppendError::Closed),
            };
            if let Lifecycle::Running { thread, .. } = std::mem::replace(&mut *lifecycle, Lifecycle::Closed(result)) {
                // The writer sent its result as its last act, so this join does not wait.
                let _ = thread.join();
            }
        }
        match &*lifecycle {
            Lifecycle::Closed(result) => result.clone(),
            Lifecycle::Running { .. } => Err(AppendError::Closed),
        }
    }
}

impl VerifiableLog for SledLog {
    fn tree_head(&self) -> TreeHead {
        self.shared.index().tree_head()
    }

    async fn root_at(&self, size: u64) -> Result<Hash, ReadError> {
        if size > 0 {
            self.check_proof_request(&[("tree_size", size)], None)?;
        }
        self.read_tree(move |tree| merkle::root_at(tree, size)).await
    }

    async fn inclusion_proof(&self, position: u64, tree_size: u64) -> Result<Vec<Hash>, ReadError> {
        self.check_proof_request(&[("tree_size", tree_size)], Some(position))?;
        self.read_tree(move |tree| merkle::inclusion_proof(tree, position, tree_size))
            .await
    }

    async fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ReadError> {
        self.check_proof_request(&[("old_size", old_size), ("new_size", new_size)], None)?;
        self.read_tree(move |tree| merkle::consistency_proof(tree, old_size, new_size))
            .await
    }

    async fn save_checkpoint(&self, size: u64, note: String) -> Result<(), StorageError> {
        let checkpoints = self.checkpoints.clone();
        let sync = self
            .checkpoint_sync
            .try_clone()
            .map_err(|error| StorageError::new("saving a checkpoint", error))?;
        let task = tokio::task::spawn_blocking(move || store::save_checkpoint(&checkpoints, &sync, size, &note));
        task.await
            .map_err(|error| StorageError::new("saving a checkpoint in a blocking task", error))?
    }

    async fn checkpoint_at(&self, size: u64) -> Result<Option<String>, ReadError> {
        store::checkpoint_at(&self.checkpoints, size)
    }

    async fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, ReadError> {
        store::latest_checkpoint(&self.checkpoints)
    }

    async fn checkpoints_before(&self, size: u64, count_max: usize) -> Result<Vec<(u64, String)>, ReadError> {
        store::checkpoints_before(&self.checkpoints, size, count_max)
    }
}
