//! The projection engine of a running server: its store in `<data>/projections`, and the
//! task that applies the log to it.

use std::path::Path;
use std::sync::Arc;

use antt_log::EventLog;
use antt_projections::store::{SledStore, StoreError};
use antt_projections::{Engine, EngineError, Progress};
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionsError {
    #[error("opening the projection store: {0}")]
    Store(#[from] StoreError),
    #[error("opening the projections: {0}")]
    Engine(#[from] EngineError),
    #[error("the projection store's task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What the queries read: the store and how far the engine has got.
pub struct Projections {
    pub store: Arc<SledStore>,
    pub progress: watch::Receiver<Progress>,
}

impl Clone for Projections {
    fn clone(&self) -> Self {
        Projections {
            store: Arc::clone(&self.store),
            progress: self.progress.clone(),
        }
    }
}

/// Opens the store in `dir` and starts applying `log` to it until `stop` turns true.
pub async fn start<L: EventLog>(
    log: Arc<L>,
    dir: &Path,
    stop: watch::Receiver<bool>,
) -> Result<Projections, ProjectionsError> {
    let dir = dir.to_owned();
    let store = Arc::new(tokio::task::spawn_blocking(move || SledStore::open(&dir)).await??);
    let engine = Engine::open(log, Arc::clone(&store))?;
    let progress = engine.watch();
    tracing::info!(applied = engine.applied(), "projections opened");
    tokio::spawn(async move {
        // A halt is logged by the engine and shown in its progress, which every query reads.
        let _ = engine.run(stop).await;
    });
    Ok(Projections { store, progress })
}
