//! A projection store built from the whole log in a new generation, beside whatever
//! serves: offline (`antt admin rebuild`) or online (the server swaps it in).

use std::sync::Arc;

use antt_log::EventLog;

use crate::engine::{Engine, EngineError};
use crate::generations::Generations;
use crate::store::{digest, SledStore, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("projection generations: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// A generation caught up with the log, not yet serving.
pub struct Built<L: EventLog> {
    pub name: String,
    pub store: Arc<SledStore>,
    pub engine: Engine<L, SledStore>,
}

/// Builds a new generation from position 0 until it reaches the committed head,
/// calling `progress(applied, head)` after every page.
pub async fn build<L: EventLog>(
    log: Arc<L>,
    generations: &Generations,
    mut progress: impl FnMut(u64, u64),
) -> Result<Built<L>, RebuildError> {
    let name = generations.next_name()?;
    let store = Arc::new(generations.open_store(&name).await?);
    let mut engine = Engine::open(Arc::clone(&log), Arc::clone(&store))?;
    loop {
        let reached_head = engine.step().await?;
        progress(engine.applied(), log.head().next_position);
        if reached_head {
            break;
        }
    }
    store.flush()?;
    Ok(Built { name, store, engine })
}

/// The offline rebuild: builds, switches `CURRENT` to the new generation, removes the
/// others, and returns its name and digest.
pub async fn rebuild_offline<L: EventLog>(
    log: Arc<L>,
    generations: &Generations,
    progress: impl FnMut(u64, u64),
) -> Result<(String, [u8; 32]), RebuildError> {
    let built = build(log, generations, progress).await?;
    let digest = digest(built.store.as_ref())?;
    generations.switch_to(&built.name)?;
    let name = built.name.clone();
    drop(built);
    generations.remove_others(&name)?;
    Ok((name, digest))
}
