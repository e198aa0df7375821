//! `antt admin rebuild` (offline: builds the projections of a stopped server's data
//! directory from its whole log) and `antt admin status` (how far a running server's
//! projections have read its log).

use std::path::PathBuf;
use std::sync::Arc;

use antt_audit::encoding::hex;
use antt_log::sled_log::{SledConfig, SledLog};
use antt_log::EventLog;
use antt_projections::generations::Generations;
use antt_projections::rebuild::rebuild_offline;
use antt_proto::v1::projections_client::ProjectionsClient;
use antt_proto::v1::{ProjectionStatusRequest, RebuildProjectionsRequest};
use indicatif::{ProgressBar, ProgressStyle};

use crate::client::channel;
use crate::error::CliError;

/// The projections' directory inside a data directory, as anttd lays it out.
const PROJECTIONS_DIR: &str = "projections";

pub async fn rebuild(data: PathBuf) -> Result<(), CliError> {
    let config = SledConfig::new(&data);
    let log = tokio::task::spawn_blocking(move || SledLog::open(config))
        .await
        .map_err(|error| CliError::Verify(error.to_string()))?
        .map_err(|error| CliError::Verify(format!("opening the log (is anttd stopped?): {error}")))?;
    let log = Arc::new(log);
    let generations = Generations::new(data.join(PROJECTIONS_DIR));
    let style = ProgressStyle::with_template("{bar:40} {human_pos}/{human_len} events applied ({eta} left)")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = ProgressBar::new(log.head().next_position).with_style(style);
    let rebuilt = rebuild_offline(Arc::clone(&log), &generations, |applied, head| {
        bar.set_length(head);
        bar.set_position(applied);
    })
    .await;
    bar.finish_and_clear();
    let closed = log.close().await;
    let (generation, digest) = rebuilt.map_err(|error| CliError::Verify(error.to_string()))?;
    closed.map_err(|error| CliError::Verify(format!("closing the log: {error}")))?;
    println!("events applied: {}", log.head().next_position);
    println!("generation: {generation}");
    println!("digest: {}", hex(&digest));
    Ok(())
}

pub async fn status(server: &str, start_rebuild: bool) -> Result<(), CliError> {
    let channel = channel(server).await.map_err(|source| CliError::Connect {
        server: server.to_string(),
        source,
    })?;
    let mut client = ProjectionsClient::new(channel);
    let status = if start_rebuild {
        client.rebuild_projections(RebuildProjectionsRequest {}).await?
    } else {
        client.get_projection_status(ProjectionStatusRequest {}).await?
    }
    .into_inner();
    println!("applied position: {}", status.applied_position);
    println!("log head: {}", status.head_position);
    println!("lag: {} events", status.lag_events);
    println!("format version: {}", status.version);
    if status.rebuilding {
        println!(
            "rebuilding beside the serving projections: {} events applied",
            status.rebuild_position
        );
    }
    if !status.halted.is_empty() {
        return Err(CliError::Damaged(format!(
            "the projections are halted: {}",
            status.halted
        )));
    }
    Ok(())
}
