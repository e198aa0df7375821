//! The projections of a running server: the serving generation's store under
//! `<data>/projections/`, the task applying the log to it, and rebuilds beside it.
//!
//! A rebuild (`RebuildProjections`) builds a new generation from position 0 while the
//! serving one keeps answering, then swaps it in under the lock queries take their store
//! from, retires the old engine and switches `CURRENT`. A query that took the old store
//! finishes on it. On start, generations other than `CURRENT` (an abandoned rebuild) are
//! removed, and a store of another format version is replaced by a fresh one that catches
//! up on its own.

use std::sync::{Arc, RwLock};

use antt_log::EventLog;
use antt_projections::generations::Generations;
use antt_projections::rebuild::{build, Built, RebuildError};
use antt_projections::store::{SledStore, StoreError};
use antt_projections::{Engine, EngineError, Progress};
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionsError {
    #[error("opening the projection store: {0}")]
    Store(#[from] StoreError),
    #[error("opening the projections: {0}")]
    Engine(#[from] EngineError),
    #[error("rebuilding the projections: {0}")]
    Rebuild(#[from] RebuildError),
    #[error("projection generations: {0}")]
    Io(#[from] std::io::Error),
    #[error("the projection store's task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The store that serves and how far its engine has got.
struct Serving {
    store: Arc<SledStore>,
    progress: watch::Receiver<Progress>,
    /// Stops its engine when the generation is replaced.
    retire: watch::Sender<bool>,
    /// Turns true once its engine has stopped and let go of the store.
    finished: watch::Receiver<bool>,
}

/// A rebuild's progress, while one runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RebuildProgress {
    pub running: bool,
    pub applied: u64,
}

struct Inner {
    serving: RwLock<Serving>,
    rebuild: watch::Sender<RebuildProgress>,
    generations: Generations,
    stop: watch::Receiver<bool>,
}

/// What the queries read; cheap to clone.
#[derive(Clone)]
pub struct Projections {
    inner: Arc<Inner>,
}

/// Opens the serving generation in `root` (or builds the first) and starts applying
/// `log` to it until `stop` turns true.
pub async fn start<L: EventLog>(
    log: Arc<L>,
    root: &std::path::Path,
    cache_capacity_bytes: u64,
    stop: watch::Receiver<bool>,
) -> Result<Projections, ProjectionsError> {
    let generations = Generations::new(root).with_cache_capacity(cache_capacity_bytes);
    let serving = match generations.current()? {
        Some(name) => {
            generations.remove_others(&name)?;
            let store = Arc::new(generations.open_store(&name).await?);
            match Engine::open(Arc::clone(&log), Arc::clone(&store)) {
                Ok(engine) => Some((store, engine)),
                Err(EngineError::OtherVersion { found }) => {
                    tracing::warn!(found, "the projection store has another format version; rebuilding it");
                    None
                }
                Err(error) => return Err(error.into()),
            }
        }
        None => None,
    };
    let (store, engine) = match serving {
        Some(serving) => serving,
        None => {
            // A fresh generation serves at once and catches up on its own task: the log
            // is not held up, and queries wait while it is far behind (see axes.rs).
            let name = generations.next_name()?;
            let store = Arc::new(generations.open_store(&name).await?);
            let engine = Engine::open(Arc::clone(&log), Arc::clone(&store))?;
            generations.switch_to(&name)?;
            generations.remove_others(&name)?;
            (store, engine)
        }
    };
    tracing::info!(applied = engine.applied(), "projections opened");
    let progress = engine.watch();
    let (retire, finished) = spawn_engine(engine, stop.clone());
    let (rebuild, _) = watch::channel(RebuildProgress::default());
    Ok(Projections {
        inner: Arc::new(Inner {
            serving: RwLock::new(Serving {
                store,
                progress,
                retire,
                finished,
            }),
            rebuild,
            generations,
            stop,
        }),
    })
}

/// Runs `engine` on a thread of its own until the server stops or its generation is
/// retired; the sender retires it. Its own thread, with a runtime of its own, because
/// applying a page is CPU work that would otherwise hold one of the server's workers
/// away from the appends (measured: BENCHMARKS.md, "Projections").
fn spawn_engine<L: EventLog>(
    engine: Engine<L, SledStore>,
    mut server_stop: watch::Receiver<bool>,
) -> (watch::Sender<bool>, watch::Receiver<bool>) {
    let (retire, mut retired) = watch::channel(false);
    let (finish, finished) = watch::channel(false);
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            _ = server_stop.wait_for(|stop| *stop) => {}
            _ = retired.wait_for(|retired| *retired) => {}
        }
        let _ = stop.send(true);
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let started = runtime.and_then(|runtime| {
        std::thread::Builder::new()
            .name("antt-projections".into())
            .spawn(move || {
                // A halt is logged by the engine and shown in its progress, which every
                // query reads.
                let _ = runtime.block_on(engine.run(stopped));
                let _ = finish.send(true);
            })
    });
    if let Err(error) = started {
        // Without its thread the engine never moves: health and every query say so
        // (the projections fall behind the head and stay there).
        tracing::error!(%error, "the projections' thread could not be started");
    }
    (retire, finished)
}

impl Projections {
    /// The serving store and its engine's progress, for one query.
    pub fn current(&self) -> (Arc<SledStore>, watch::Receiver<Progress>) {
        let serving = self
            .inner
            .serving
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (Arc::clone(&serving.store), serving.progress.clone())
    }

    /// Waits, at most `grace`, until the serving engine has stopped (the server's stop
    /// was sent) and let go of its store, so that the data directory can be opened again.
    pub async fn stopped(&self, grace: std::time::Duration) {
        let mut finished = {
            let serving = self
                .inner
                .serving
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            serving.finished.clone()
        };
        if tokio::time::timeout(grace, finished.wait_for(|finished| *finished))
            .await
            .is_err()
        {
            tracing::warn!("the projections had not stopped within the grace period");
        }
    }

    pub fn rebuild_progress(&self) -> RebuildProgress {
        *self.inner.rebuild.borrow()
    }

    /// Starts a rebuild beside the serving generation; false if one is running already.
    pub fn start_rebuild<L: EventLog>(&self, log: Arc<L>) -> bool {
        let mut started = false;
        self.inner.rebuild.send_if_modified(|progress| {
            started = !progress.running;
            *progress = RebuildProgress {
                running: true,
                applied: 0,
            };
            started
        });
        if started {
            let projections = self.clone();
            tokio::spawn(async move {
                if let Err(error) = projections.rebuild(log).await {
                    tracing::error!(%error, "the rebuild failed; the serving projections are unchanged");
                }
                projections.inner.rebuild.send_replace(RebuildProgress::default());
            });
        }
        started
    }

    async fn rebuild<L: EventLog>(&self, log: Arc<L>) -> Result<(), ProjectionsError> {
        let rebuild = &self.inner.rebuild;
        let built = build(log, &self.inner.generations, |applied, _| {
            rebuild.send_modify(|progress| progress.applied = applied);
        })
        .await?;
        let Built { name, store, engine } = built;
        let progress = engine.watch();
        let (retire, finished) = spawn_engine(engine, self.inner.stop.clone());
        let new = Serving {
            store,
            progress,
            retire,
            finished,
        };
        let old = {
            let mut serving = self
                .inner
                .serving
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            std::mem::replace(&mut *serving, new)
        };
        let _ = old.retire.send(true);
        self.inner.generations.switch_to(&name)?;
        drop(old);
        // The old generation's files go once no query holds its store; until then, or if
        // this fails, the next start removes them.
        if let Err(error) = self.inner.generations.remove_others(&name) {
            tracing::warn!(%error, "the replaced projection generation stays until the next start");
        }
        tracing::info!(generation = name, "projections rebuilt and swapped in");
        Ok(())
    }
}

/// The health service's word on `antt.v1.Projections`: serving while the projections
/// apply the log and are at most `PROJECTION_LAG_EVENTS_MAX` behind it; not serving
/// while halted or further behind (queries then wait or refuse, see axes.rs).
pub async fn report_health<L: EventLog>(
    log: Arc<L>,
    projections: Projections,
    health: tonic_health::server::HealthReporter,
    mut shutdown: crate::shutdown::ShutdownSignal,
) {
    use tonic_health::ServingStatus;
    let mut last = None;
    loop {
        let (_, progress) = projections.current();
        let progress = progress.borrow().clone();
        let lag = log.head().next_position.saturating_sub(progress.applied);
        let status = if progress.halted.is_some() || lag > crate::limits::PROJECTION_LAG_EVENTS_MAX {
            ServingStatus::NotServing
        } else {
            ServingStatus::Serving
        };
        if last != Some(status) {
            health.set_service_status(SERVICE_NAME, status).await;
            last = Some(status);
        }
        let poll = std::time::Duration::from_millis(crate::limits::PROJECTION_HEALTH_POLL_MILLIS);
        tokio::select! {
            () = shutdown.stopped() => return,
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// The gRPC service name the health service reports the projections under.
pub const SERVICE_NAME: &str = "antt.v1.Projections";
