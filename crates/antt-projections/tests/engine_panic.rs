//! A panic while the engine applies the log halts the projections like any other error
//! (their progress says why, so health says NOT_SERVING and queries INTERNAL) instead of
//! unwinding the engine's thread and leaving its progress frozen as if all were well.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use antt_log::sled_log::{SledConfig, SledLog, SyncMode};
use antt_log::{
    AppendError, AppendOutcome, AppendRequest, EventLog, ExpectedVersion, Halt, ListStreamsRequest, LogHead, NewEvent,
    ReadAllPage, ReadAllRequest, ReadError, ReadStreamRequest, RecordedEvent, StreamInfo,
};
use antt_projections::engine::EngineError;
use antt_projections::store::MemoryStore;
use antt_projections::Engine;
use tokio::sync::watch;
use uuid::Uuid;

/// A real log whose `read_all` panics, as a bug on the engine's read path would.
struct PanickingReads(SledLog);

impl EventLog for PanickingReads {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        self.0.append(request).await
    }
    async fn read_stream(&self, request: ReadStreamRequest) -> Result<Vec<RecordedEvent>, ReadError> {
        self.0.read_stream(request).await
    }
    async fn read_all(&self, _request: ReadAllRequest) -> Result<ReadAllPage, ReadError> {
        panic!("a bug while reading the log")
    }
    async fn event_at(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        self.0.event_at(position).await
    }
    async fn event_by_id(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, ReadError> {
        self.0.event_by_id(event_id).await
    }
    async fn stream_info(&self, stream_id: &str) -> Result<Option<StreamInfo>, ReadError> {
        self.0.stream_info(stream_id).await
    }
    async fn list_streams(&self, request: ListStreamsRequest) -> Result<Vec<StreamInfo>, ReadError> {
        self.0.list_streams(request).await
    }
    fn head(&self) -> LogHead {
        self.0.head()
    }
    fn watch_head(&self) -> watch::Receiver<u64> {
        self.0.watch_head()
    }
    fn watch_halt(&self) -> watch::Receiver<Option<Halt>> {
        self.0.watch_halt()
    }
    async fn close(&self) -> Result<(), AppendError> {
        self.0.close().await
    }
}

#[tokio::test]
async fn a_panic_while_applying_halts_the_engine_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SledConfig::new(dir.path());
    config.sync_mode = SyncMode::Flush;
    let log = SledLog::open(config).unwrap();
    log.append(AppendRequest {
        stream_id: "area-1".into(),
        expected: ExpectedVersion::Any,
        events: vec![NewEvent::new(Uuid::from_u128(1), "antt.test.Noted", b"{}".to_vec())],
    })
    .await
    .unwrap();
    let engine = Engine::open(Arc::new(PanickingReads(log)), Arc::new(MemoryStore::new())).unwrap();
    let progress = engine.watch();
    let (_stop, stop) = watch::channel(false);
    let ended = engine.run(stop).await;
    assert!(
        matches!(&ended, Err(EngineError::Panicked { applied: 0, message }) if message.contains("a bug while reading")),
        "{ended:?}"
    );
    let halted = progress
        .borrow()
        .halted
        .clone()
        .expect("the progress says the engine halted");
    assert!(halted.contains("panicked"), "{halted}");
}
