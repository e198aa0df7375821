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

use crate::error::{AppendError, StorageError};
use crate::sled_log::anchor::{Anchor, AnchoredHead};
use crate::sled_log::config::SyncMode;
use crate::sled_log::group::{Group, Job};
use crate::sled_log::index::Index;
use crate::sled_log::shared::Shared;
use crate::sled_log::store;
use crate::sled_log::tree;

pub(crate) struct Writer {
    pub tree: sled::Tree,
    /// The stored Merkle nodes, written in the same transaction as their events.
    pub nodes: sled::Tree,
    /// The tree's right edge at the committed head.
    pub frontier: Frontier,
    /// The head anchor, written after each durable group and before its acknowledgement.
    pub anchor: Anchor,
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
    pub fn run(mut self) -> Result<(), StorageError> {
        let mut carried: Option<Job> = None;
        while let Some(first) = carried.take().or_else(|| self.jobs.recv().ok()) {
            carried = self.commit_group(first);
        }
        self.final_sync()
    }

    /// Commits `first` with whatever else is queued; returns a job left for the next group.
    fn commit_group(&mut self, first: Job) -> Option<Job> {
        let tree = self.tree.clone();
        let shared = Arc::clone(&self.shared);
        let mut group = Group::new(&tree, &shared);
        group.take(first);
        let mut carried = None;
        while !group.is_full() {
            match self.jobs.try_recv() {
                Ok(job) if group.has_room_for(&job) => group.take(job),
                Ok(job) => {
                    carried = Some(job);
                    break;
                }
                Err(_) => break,
            }
        }
        self.finish(group);
        carried
    }

    fn finish(&mut self, mut group: Group<'_>) {
        if group.failure.is_none() && !group.added.is_empty() {
            match self.write(&mut group) {
                Ok(()) => self.publish(&mut group),
                Err(failure) => group.failure = Some(failure),
            }
        }
        if let Some(failure) = &group.failure {
            self.shared.fail(failure.clone());
        }
        for (reply, outcome) in group.replies {
            let outcome = match &group.failure {
                Some(failure) => Err(AppendError::Storage(failure.clone())),
                None => outcome,
            };
            // The caller may have stopped waiting; the append stands either way.
            let _ = reply.send(outcome);
        }
    }

    /// Writes the group and the Merkle nodes it completes in one sled transaction, so
    /// that a crash keeps all of it or none of it; makes it durable according to the sync
    /// mode; then anchors the new head outside sled.
    /// The records move into the batch: once the appends are decided nothing reads them.
    fn write(&mut self, group: &mut Group<'_>) -> Result<(), StorageError> {
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
        let sync = self.sync_mode == SyncMode::Fsync;
        if sync {
            self.data_file
                .sync_data()
                .map_err(|error| StorageError::new("syncing a group commit to disk", error))?;
        }
        let head = AnchoredHead {
            size: frontier.size(),
            tree_root: frontier.root(),
            last_hash: group.added.head().last_hash,
        };
        self.anchor
            .write(&head, sync)
            .map_err(|error| StorageError::new("writing the head anchor", error))?;
        self.frontier = frontier;
        debug!(
            events,
            stored_nodes,
            bytes = group.bytes,
            duration_us = started.elapsed().as_micros() as u64,
            "group commit"
        );
        Ok(())
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

/// A failed sled transaction, as text: sled's error type is generic over the abort value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct TransactionFailure(String);
