//! The writer thread: the only code that writes the store. It gathers whatever appends
//! are queued into one group, writes the group as one sled batch, makes it durable, and
//! only then publishes it to readers and acknowledges it.

use std::fs::File;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::watch;
use tracing::debug;

use crate::error::{AppendError, StorageError};
use crate::sled_log::config::SyncMode;
use crate::sled_log::group::{Group, Job};
use crate::sled_log::index::Index;
use crate::sled_log::shared::Shared;
use crate::sled_log::store;

pub(crate) struct Writer {
    pub tree: sled::Tree,
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
    pub fn run(self) -> Result<(), StorageError> {
        let mut carried: Option<Job> = None;
        while let Some(first) = carried.take().or_else(|| self.jobs.recv().ok()) {
            carried = self.commit_group(first);
        }
        self.final_sync()
    }

    /// Commits `first` with whatever else is queued; returns a job left for the next group.
    fn commit_group(&self, first: Job) -> Option<Job> {
        let mut group = Group::new(&self.tree, &self.shared);
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

    fn finish(&self, mut group: Group<'_>) {
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

    /// Writes the group as one batch, so that a crash keeps all of it or none of it, and
    /// makes it durable according to the sync mode.
    /// The records move into the batch: once the appends are decided nothing reads them.
    fn write(&self, group: &mut Group<'_>) -> Result<(), StorageError> {
        let started = Instant::now();
        let records = std::mem::take(&mut group.records);
        let events = records.len();
        let mut batch = sled::Batch::default();
        for (position, record) in (group.first_position..).zip(records) {
            batch.insert(&store::key(position)[..], record);
        }
        self.tree
            .apply_batch(batch)
            .map_err(|error| StorageError::new("writing a group commit", error))?;
        self.tree
            .flush()
            .map_err(|error| StorageError::new("flushing a group commit", error))?;
        if self.sync_mode == SyncMode::Fsync {
            self.data_file
                .sync_data()
                .map_err(|error| StorageError::new("syncing a group commit to disk", error))?;
        }
        debug!(
            events,
            bytes = group.bytes,
            duration_us = started.elapsed().as_micros() as u64,
            "group commit"
        );
        Ok(())
    }

    fn publish(&self, group: &mut Group<'_>) {
        let added = std::mem::replace(&mut group.added, Index::empty());
        let next_position = {
            let mut index = self.shared.index_mut();
            index.publish(added);
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
