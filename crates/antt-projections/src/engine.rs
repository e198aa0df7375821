//! Applies the log to the projections: catch-up, then live.
//!
//! The engine reads committed events through the [`EventLog`] trait, a page at a time,
//! after the position stored with the rows. For each event of a kind that has rows it
//! takes the record's timeline (held in memory, or read again from its stream), derives
//! the record's rows before and after the event (one more day of the walk when the event
//! takes effect after the record's others, the whole walk when it is backdated:
//! [`crate::derive::Derivation`]), and writes the difference in system time
//! ([`Pending`]). A page's rows, its time marks and the position reached are one atomic
//! [`Store::apply`]: a crash never applies an event twice or skips one.
//!
//! It never blocks appends: it is one more reader of committed events. It does compete
//! with them for CPU, and its apply runs inline on the runtime it runs on, so anttd gives
//! it a thread of its own (BENCHMARKS.md, "Projections").

use std::collections::HashMap;
use std::sync::Arc;

use antt_domain::{AnyEvent, DecodeError};
use antt_log::event::{Direction, ReadAllRequest, ReadStreamRequest, RecordedEvent};
use antt_log::{EventLog, ReadError};
use tokio::sync::watch;
use tracing::Instrument;

use crate::bitemporal::{read_meta, LayoutError, Pending, FORMAT_VERSION};
use crate::limits;
use crate::record::{KindMismatch, Record};
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error("reading the log: {0}")]
    Read(#[from] ReadError),
    #[error("the event at position {position} does not decode: {source}")]
    Undecodable { position: u64, source: DecodeError },
    #[error("the event at position {position}: {source}")]
    Mismatch { position: u64, source: KindMismatch },
    #[error("the projection store has format version {found}, this build reads {FORMAT_VERSION}: rebuild it")]
    OtherVersion { found: u32 },
    /// Applying a page panicked: a bug of the projections. The engine halts as for any
    /// other error (health NOT_SERVING for the projections, queries INTERNAL), while the log
    /// and its appends go on: the projections are derived and can be rebuilt once fixed.
    #[error("applying the log panicked after position {applied}: {message}")]
    Panicked { applied: u64, message: String },
}

impl From<crate::store::StoreError> for EngineError {
    fn from(error: crate::store::StoreError) -> Self {
        EngineError::Layout(error.into())
    }
}

/// How far the engine has got; watched by queries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Every event before this position is applied.
    pub applied: u64,
    /// When the last applied event was recorded (microseconds), if any.
    pub last_recorded_at: Option<i64>,
    /// Why applying stopped, if it did.
    pub halted: Option<String>,
}

struct Cached {
    record: Record,
    last_used: u64,
}

pub struct Engine<L: EventLog, S: Store> {
    log: Arc<L>,
    store: Arc<S>,
    cache: HashMap<String, Cached>,
    tick: u64,
    /// Records kept in [`Engine::cache`] between runs of events.
    cached_records_max: usize,
    progress: watch::Sender<Progress>,
}

impl<L: EventLog, S: Store> Engine<L, S> {
    /// An engine continuing from what `store` holds.
    pub fn open(log: Arc<L>, store: Arc<S>) -> Result<Self, EngineError> {
        Self::open_with_cache(log, store, limits::CACHED_RECORDS_MAX)
    }

    /// [`Engine::open`], keeping at most about `cached_records_max` records' timelines in
    /// memory between runs of events (tests use a tiny bound to read records again).
    pub fn open_with_cache(log: Arc<L>, store: Arc<S>, cached_records_max: usize) -> Result<Self, EngineError> {
        let (applied, version) = read_meta(store.as_ref())?;
        if let Some(found) = version.filter(|found| *found != FORMAT_VERSION) {
            return Err(EngineError::OtherVersion { found });
        }
        let (progress, _) = watch::channel(Progress {
            applied,
            ..Progress::default()
        });
        Ok(Engine {
            log,
            store,
            cache: HashMap::new(),
            tick: 0,
            cached_records_max,
            progress,
        })
    }

    /// One step; a panic inside it becomes [`EngineError::Panicked`], so that it halts
    /// the engine and says why instead of leaving its progress frozen and its health
    /// unchanged. The engine's caches are not trusted after it: it stops.
    async fn step_catching_panics(&mut self) -> Result<bool, EngineError> {
        use futures::FutureExt;
        let applied = self.applied();
        match std::panic::AssertUnwindSafe(self.step()).catch_unwind().await {
            Ok(stepped) => stepped,
            Err(panic) => Err(EngineError::Panicked {
                applied,
                message: panic_message(panic.as_ref()),
            }),
        }
    }

    pub fn watch(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    pub fn applied(&self) -> u64 {
        self.progress.borrow().applied
    }

    /// Applies every committed event, then follows the log until `stop` turns true or
    /// the log closes. On an error the engine halts and says why in its progress.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) -> Result<(), EngineError> {
        let mut head = self.log.watch_head();
        loop {
            if *stop.borrow() {
                return self.finish();
            }
            let reached_head = match self.step_catching_panics().await {
                Ok(reached_head) => reached_head,
                Err(error) => {
                    self.progress
                        .send_modify(|progress| progress.halted = Some(error.to_string()));
                    tracing::error!(%error, "projections halted");
                    return Err(error);
                }
            };
            if reached_head {
                let applied = self.applied();
                tokio::select! {
                    changed = head.wait_for(|next| *next > applied) => {
                        if changed.is_err() {
                            return self.finish();
                        }
                    }
                    _ = stop.changed() => {}
                }
            }
        }
    }

    fn finish(&self) -> Result<(), EngineError> {
        self.store.flush()?;
        Ok(())
    }

    /// Applies up to one page; whether it reached the head.
    pub async fn step(&mut self) -> Result<bool, EngineError> {
        let page = self
            .log
            .read_all(ReadAllRequest {
                from_position: self.applied(),
                max_count: limits::APPLY_BATCH_EVENTS_MAX,
                filter: Default::default(),
            })
            .await?;
        if !page.events.is_empty() {
            self.apply(&page.events).await?;
        }
        Ok(page.reached_head())
    }

    /// Applies events that follow the applied position without a gap, as one batch (one
    /// `projection_batch` span).
    pub async fn apply(&mut self, events: &[RecordedEvent]) -> Result<(), EngineError> {
        let span = tracing::info_span!(
            "projection_batch",
            // As i64: OpenTelemetry exporters of `tracing` spans turn u64 fields into text.
            events = events.len() as i64,
            first_position = events.first().map(|event| event.position as i64),
        );
        self.apply_batch(events).instrument(span).await
    }

    async fn apply_batch(&mut self, events: &[RecordedEvent]) -> Result<(), EngineError> {
        let store = Arc::clone(&self.store);
        let mut pending = Pending::new(store.as_ref());
        let mut last_recorded_at = self.progress.borrow().last_recorded_at;
        let mut applied = self.applied();
        for event in events {
            self.apply_one(&mut pending, event).await?;
            pending.mark_time(event.recorded_at.0, event.position + 1);
            last_recorded_at = Some(event.recorded_at.0);
            applied = event.position + 1;
        }
        store.apply(pending.finish(applied))?;
        self.progress.send_modify(|progress| {
            progress.applied = applied;
            progress.last_recorded_at = last_recorded_at;
        });
        self.evict();
        Ok(())
    }

    async fn apply_one(&mut self, pending: &mut Pending<'_, S>, event: &RecordedEvent) -> Result<(), EngineError> {
        let position = event.position;
        let decoded = match AnyEvent::decode(&event.event_type, event.schema_version, &event.payload) {
            Ok(decoded) => decoded,
            // Not a domain event (a client's own stream, the log's recovery notes).
            Err(DecodeError::UnknownEventType { .. }) => return Ok(()),
            Err(source) => return Err(EngineError::Undecodable { position, source }),
        };
        if Record::for_event(&decoded).is_none() {
            return Ok(());
        }
        if !self.cache.contains_key(&event.stream_id) {
            let record = self
                .load(&event.stream_id, &decoded, position, event.stream_version)
                .await?;
            self.cache
                .insert(event.stream_id.clone(), Cached { record, last_used: 0 });
        }
        self.tick += 1;
        let Some(cached) = self.cache.get_mut(&event.stream_id) else {
            return Ok(());
        };
        cached.last_used = self.tick;
        let (gone, new) = cached
            .record
            .push_and_diff(position, decoded)
            .map_err(|source| EngineError::Mismatch { position, source })?;
        for row in &gone {
            pending.close(row, position)?;
        }
        for row in &new {
            pending.open(row, position);
        }
        Ok(())
    }

    /// The record of `stream_id` as its events before `before` make it; `version` is the
    /// stream version of the event at `before`, so the stream's first event needs no read.
    async fn load(&self, stream_id: &str, first: &AnyEvent, before: u64, version: u64) -> Result<Record, EngineError> {
        let mut record = Record::for_event(first).ok_or(EngineError::Mismatch {
            position: before,
            source: KindMismatch,
        })?;
        if version == 0 {
            return Ok(record);
        }
        let mut from_version = 0;
        'pages: loop {
            let page = self
                .log
                .read_stream(ReadStreamRequest {
                    stream_id: stream_id.to_owned(),
                    from_version: Some(from_version),
                    direction: Direction::Forwards,
                    max_count: antt_log::limits::READ_PAGE_EVENTS_MAX,
                })
                .await?;
            let Some(last) = page.last() else { break };
            from_version = last.stream_version + 1;
            for event in page {
                if event.position >= before {
                    break 'pages;
                }
                let position = event.position;
                let decoded = AnyEvent::decode(&event.event_type, event.schema_version, &event.payload)
                    .map_err(|source| EngineError::Undecodable { position, source })?;
                record
                    .push(position, decoded)
                    .map_err(|source| EngineError::Mismatch { position, source })?;
            }
        }
        Ok(record)
    }

    /// Keeps the cache within its bound, dropping the least recently used half.
    fn evict(&mut self) {
        if self.cache.len() <= self.cached_records_max {
            return;
        }
        let mut ticks: Vec<u64> = self.cache.values().map(|cached| cached.last_used).collect();
        ticks.sort_unstable();
        let keep_from = ticks[ticks.len() / 2];
        self.cache.retain(|_, cached| cached.last_used >= keep_from);
    }
}

/// The text a panic was raised with, when it was raised with text.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}
