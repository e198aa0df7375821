//! `antt admin recover`: keeps the verified prefix of a stopped server's store and records
//! that decision as the first event after it, so the log itself says what was lost and why.

use std::path::{Path, PathBuf};

use antt_audit::encoding::hex;
use antt_log::sled_log::{keep_verified_prefix, RecoveryReport, SledConfig, SledLog};
use antt_log::{AppendRequest, EventLog, ExpectedVersion, NewEvent};
use uuid::Uuid;

use crate::error::CliError;

/// The stream that records every recovery of the log.
pub const RECOVERY_STREAM: &str = "antt-log-recovery";
/// The event type of a recovery.
pub const RECOVERY_EVENT_TYPE: &str = "antt.v1.LogRecovered";

pub async fn run(data: PathBuf, reason: String, operator: String) -> Result<(), CliError> {
    if reason.trim().is_empty() {
        return Err(CliError::Input(
            "--reason must say why the verified prefix is kept".into(),
        ));
    }
    let path = data.clone();
    let report = tokio::task::spawn_blocking(move || keep_verified_prefix(&path))
        .await
        .map_err(|error| CliError::Verify(error.to_string()))?
        .map_err(|error| CliError::Verify(error.to_string()))?;
    record(&data, &report, &reason, &operator).await?;
    println!("events stored before: {}", report.stored_before);
    println!("events kept (verified prefix): {}", report.kept);
    println!("acknowledged events lost: {}", report.acknowledged_lost());
    if let Some(damage) = &report.first_damage {
        println!("first damage: {damage}");
    }
    println!("recorded as {RECOVERY_EVENT_TYPE} at position {}", report.kept);
    Ok(())
}

/// Appends the recovery as an event of its own, through the log's ordinary append path.
async fn record(data: &Path, report: &RecoveryReport, reason: &str, operator: &str) -> Result<(), CliError> {
    let payload = serde_json::json!({
        "reason": reason,
        "stored_before": report.stored_before,
        "kept": report.kept,
        "acknowledged_before": report.anchored_before.map(|anchored| anchored.size),
        "acknowledged_lost": report.acknowledged_lost(),
        "anchored_root_before": report.anchored_before.map(|anchored| hex(&anchored.tree_root)),
        "root_kept": hex(&report.anchored_now.tree_root),
        "first_damage": report.first_damage,
    });
    let failed = |error: &dyn std::fmt::Display| CliError::Verify(format!("recording the recovery: {error}"));
    let log = SledLog::open(SledConfig::new(data)).map_err(|error| failed(&error))?;
    let mut event = NewEvent::new(Uuid::new_v4(), RECOVERY_EVENT_TYPE, payload.to_string());
    event.actor = operator.into();
    event.content_type = "application/json".into();
    let request = AppendRequest {
        stream_id: RECOVERY_STREAM.into(),
        expected: ExpectedVersion::Any,
        events: vec![event],
    };
    let appended = log.append(request).await.map_err(|error| failed(&error));
    let closed = log.close().await.map_err(|error| failed(&error));
    appended.and(closed).map(|_| ())
}
