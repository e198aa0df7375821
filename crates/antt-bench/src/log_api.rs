//! (a) Durable appends straight through `SledLog`, the way `anttd` calls it.

use std::path::Path;
use std::sync::Arc;

use antt_log::sled_log::{SledConfig, SledLog};
use antt_log::{AppendRequest, EventLog};
use anyhow::Context;

use crate::driver::{self, Appender, CellSpec, Measured, Timing};
use crate::workload::Batch;

struct LogAppender {
    log: Arc<SledLog>,
}

impl Appender for LogAppender {
    async fn append(&mut self, batch: Batch) -> anyhow::Result<()> {
        let request = AppendRequest {
            stream_id: batch.stream_id,
            expected: batch.expected,
            events: batch.events,
        };
        self.log.append(request).await.context("SledLog::append")?;
        Ok(())
    }
}

/// Opens a `SledLog` (blocking, so off the runtime's workers).
pub async fn open(config: SledConfig) -> anyhow::Result<SledLog> {
    let path = config.path.clone();
    tokio::task::spawn_blocking(move || SledLog::open(config))
        .await
        .context("open task panicked")?
        .with_context(|| format!("opening SledLog at {}", path.display()))
}

/// One cell over a fresh store in `dir` with the default (fsync) configuration.
pub async fn run(dir: &Path, spec: CellSpec, timing: Timing) -> anyhow::Result<Measured> {
    let log = Arc::new(open(SledConfig::new(dir.join("log"))).await?);
    let appenders = (0..spec.writers)
        .map(|_| LogAppender { log: Arc::clone(&log) })
        .collect();
    let measured = driver::run_cell(spec, timing, "log", appenders).await;
    log.close().await.context("closing SledLog")?;
    measured
}
