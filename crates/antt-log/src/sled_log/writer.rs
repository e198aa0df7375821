//! The writer thread: the only code that writes the store. It gathers whatever appends
//! are queued into one group, writes the group as one sled batch, makes it durable, and
//! only then publishes it to readers and acknowledges it.

use std::fs::File;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use antt_audit::merkle::Frontier;
use sled::Transactional;
use tokio::sync::watch;
use tracing::debug;

use crate::error::{Halt, StorageError};
use crate::limits;
use crate::sled_log::acknowledge::{self, Acknowledgement};
use crate::sled_log::anchor::{Anchor, AnchoredHead};
use crate::sled_log::config::SyncMode;
use crate::sled_log::group::{Group, Job};
use crate::sled_log::index::Index;
use crate::sled_log::shared::{GroupCommitted, Shared};
use crate::sled_log::store;
use crate::sled_log::tree;

pub(crate) struct Writer {
    pub tree: sled::Tree,
    /// The stored Merkle nodes, written in the same transaction as their events.
    pub nodes: sled::Tree,
    /// The tree's right edge at the committed head.
    pub frontier: Frontier,
    /// To the acknowledging thread, which anchors each durable group's head and then
    /// replies; set while [`Writer::run`] runs.
    pub acknowledgements: Option<mpsc::SyncSender<Acknowledgement>>,
    /// sled's data file, for `fdatasync`.
    pub data_file: File,
    pub sync_mode: SyncMode,
    pub shared: Arc<Shared>,
    pub jobs: mpsc::Receiver<Job>,
    pub head: watch::Sender<u64>,
}

impl Writer {
    /// Commits groups until every sender is gone, then makes everything durable. Returns
    /// the storage failure that stopped appends, if any.
    /// `anchor` goes to the acknowledging thread, which this runs beside it.
    pub fn run(mut self, anchor: Anchor) -> Result<(), StorageError> {
        let (sender, receiver) = mpsc::sync_channel(limits::ACKNOWLEDGE_QUEUE_GROUPS_MAX);
        let sync = self.sync_mode == SyncMode::Fsync;
        let shared = Arc::clone(&self.shared);
        let acknowledging = std::thread::Builder::new()
            .name("antt-log-anchor".into())
            .spawn(move || acknowledge::run(anchor, sync, shared, receiver))
            .map_err(|error| StorageError::new("starting the anchor thread", error))?;
        self.acknowledgements = Some(sender);
        let mut carried: Option<Job> = None;
        while let Some(first) = carried.take().or_else(|| self.jobs.recv().ok()) {
            carried = self.commit_group(first);
        }
        // Every group is anchored and acknowledged before the final sync.
        self.acknowledgements = None;
        if let Err(panic) = acknowledging.join() {
            self.shared.halt_with(Halt::Panicked {
                thread: "anchoring",
                message: crate::sled_log::panic_message(panic.as_ref()),
            });
        }
        self.final_sync()
    }

    /// Commits `first` with whatever else is queued; returns a job left for the next group.
    ///
    /// The group's span is a root of its own (it serves many appends, of many traces) that
    /// follows from each append's span, so a trace viewer links both ways.
    fn commit_group(&mut self, first: Job) -> Option<Job> {
        #[cfg(feature = "fault-injection")]
        crate::fault::before_commit(&first.request);
        let span = tracing::info_span!(
            "group_commit",
            appends = tracing::field::Empty,
            events = tracing::field::Empty,
            bytes = tracing::field::Empty,
        );
        let _entered = span.enter();
        let tree = self.tree.clone();
        let shared = Arc::clone(&self.shared);
        let mut group = Group::new(&tree, &shared);
        take(&mut group, &span, first);
        let mut carried = None;
        while !group.is_full() {
            match self.jobs.try_recv() {
                Ok(job) if group.has_room_for(&job) => take(&mut group, &span, job),
                Ok(job) => {
                    carried = Some(job);
                    break;
                }
                Err(_) => break,
            }
        }
        // As i64: OpenTelemetry exporters of `tracing` spans turn u64 fields into text.
        // Events written, not taken: refused appends write nothing.
        span.record("appends", group.appends as i64);
        span.record("events", group.records.len() as i64);
        span.record("bytes", group.bytes as i64);
        self.finish(group);
        carried
    }

    fn finish(&mut self, mut group: Group<'_>) {
        let mut head = None;
        if group.failure.is_none() && !group.added.is_empty() {
            match self.write(&mut group) {
                Ok(written) => {
                    self.publish(&mut group);
                    head = Some(written);
                }
                Err(failure) => group.failure = Some(failure),
            }
        }
        let replies = std::mem::take(&mut group.replies);
        if let Some(failure) = &group.failure {
            self.shared.fail(failure.clone());
            return acknowledge::reply(replies, Some(failure));
        }
        let acknowledgement = Acknowledgement { head, replies };
        let sent = match &self.acknowledgements {
            Some(sender) => sender.send(acknowledgement).map_err(|unsent| unsent.0),
            None => Err(acknowledgement),
        };
        if let Err(unsent) = sent {
            // The acknowledging thread is gone (it only stops early by a panic): nothing
            // can be anchored any more.
            let halt = Halt::Panicked {
                thread: "anchoring",
                message: AnchorThreadPanicked.to_string(),
            };
            let failure = halt.storage_error();
            self.shared.halt_with(halt);
            acknowledge::reply(unsent.replies, Some(&failure));
        }
    }

    /// Writes the group and the Merkle nodes it completes in one sled transaction, so
    /// that a crash keeps all of it or none of it, and makes it durable according to the
    /// sync mode. Returns the head to anchor.
    /// The records move into the batch: once the appends are decided nothing reads them.
    fn write(&mut self, group: &mut Group<'_>) -> Result<AnchoredHead, StorageError> {
        let started = Instant::now();
        let records = std::mem::take(&mut group.records);
        let events = records.len();
        let mut frontier = self.frontier.clone();
        let mut completed = Vec::new();
        let mut batch = sled::Batch::default();
        for (position, record) in (group.first_position..).zip(records) {
            frontier.push(tree::leaf_of_record(&record), &mut completed);
            batch.insert(&store::key(position)[..], record);
        }
        let mut nodes = sled::Batch::default();
        let mut stored_nodes = 0usize;
        for (key, hash) in tree::stored_of(&completed) {
            nodes.insert(&key[..], &hash[..]);
            stored_nodes += 1;
        }
        self.apply(batch, nodes, stored_nodes > 0)?;
        self.tree
            .flush()
            .map_err(|error| StorageError::new("flushing a group commit", error))?;
        if self.sync_mode == SyncMode::Fsync {
            self.data_file
                .sync_data()
                .map_err(|error| StorageError::new("syncing a group commit to disk", error))?;
        }
        let head = AnchoredHead {
            size: frontier.size(),
            tree_root: frontier.root(),
            last_hash: group.added.head().last_hash,
        };
        self.frontier = frontier;
        let duration = started.elapsed();
        debug!(
            events,
            stored_nodes,
            bytes = group.bytes,
            duration_us = duration.as_micros() as u64,
            "group commit"
        );
        self.shared.committed(&GroupCommitted {
            events,
            appends: group.appends,
            bytes: group.bytes,
            next_position: head.size,
            duration,
        });
        Ok(head)
    }

    /// One atomic write: a plain batch when the group completes no stored node (most
    /// groups), a transaction over both trees when it does.
    fn apply(&self, events: sled::Batch, nodes: sled::Batch, with_nodes: bool) -> Result<(), StorageError> {
        if !with_nodes {
            return self
                .tree
                .apply_batch(events)
                .map_err(|error| StorageError::new("writing a group commit", error));
        }
        (&self.tree, &self.nodes)
            .transaction(|(event_tree, node_tree)| {
                event_tree.apply_batch(&events)?;
                node_tree.apply_batch(&nodes)?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|error| {
                StorageError::new(
                    "writing a group commit with its Merkle nodes",
                    TransactionFailure(format!("{error:?}")),
                )
            })
    }

    fn publish(&self, group: &mut Group<'_>) {
        let added = std::mem::replace(&mut group.added, Index::empty());
        let next_position = {
            let mut index = self.shared.index_mut();
            index.publish(added, self.frontier.root());
            index.head().next_position
        };
        self.head.send_replace(next_position);
    }

    /// At shutdown sled's flush is followed by an fsync in every sync mode: nothing is
    /// waiting any more, so the cost no longer matters.
    fn final_sync(&self) -> Result<(), StorageError> {
        if let Some(failure) = self.shared.failure() {
            return Err(failure);
        }
        self.tree
            .flush()
            .map_err(|error| StorageError::new("flushing at close", error))?;
        self.data_file
            .sync_data()
            .map_err(|error| StorageError::new("syncing at close", error))
    }
}

/// Takes `job` into `group`, linking the group's span to the append's.
fn take(group: &mut Group<'_>, span: &tracing::Span, job: Job) {
    span.follows_from(&job.span);
    group.take(job);
}

/// The acknowledging thread stopped (it panicked): nothing more can be anchored.
#[derive(Debug, thiserror::Error)]
#[error("the thread that anchors and acknowledges group commits stopped")]
struct AnchorThreadPanicked;

/// A failed sled transaction, as text: sled's error type is generic over the abort value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct TransactionFailure(String);
