//! The time `antt import areas` takes to register the full 2024 list against a fresh
//! in-process `anttd`, and to re-run it (every request then already recorded).
//!
//! The release `antt` binary runs as a subprocess, as an operator would run it:
//! `antt --server http://127.0.0.1:PORT import areas --file <list>`; the wall time is from
//! spawning it to its exit, on a server that has already opened its store.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use antt_proto::v1 as pb;
use antt_proto::v1::event_store_client::EventStoreClient;
use anyhow::Context;

use crate::grpc::{self, RunningServer};

/// A run that takes longer is stopped and reported as such.
pub const RUN_TIME_LIMIT: Duration = Duration::from_secs(300);
/// Runs against the same server: the first registers the list, the second finds it recorded.
const RUNS: usize = 2;

/// Where the binary and the list are.
#[derive(Clone, Debug)]
pub struct ImportSetup {
    pub antt_bin: PathBuf,
    pub file: PathBuf,
}

impl ImportSetup {
    /// The `antt` next to this binary (`target/release/antt` when the bench runs from
    /// `target/release`) and the 2024 list of the repository this bench was built from.
    pub fn defaults() -> ImportSetup {
        ImportSetup {
            antt_bin: beside_this_binary("antt"),
            file: workspace_root().join("reference/admin-units/admin-units-2024.csv"),
        }
    }
}

/// The workspace binary `name` next to this one (`target/release/<name>` when the bench
/// runs from `target/release`), else in the repository's `target/release`.
pub fn beside_this_binary(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .unwrap_or_else(|| workspace_root().join("target/release").join(name))
}

/// The repository root, from this crate's manifest directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What one run of the importer reported.
#[derive(Clone, Debug)]
pub struct ImportRun {
    /// Spawn to exit.
    pub wall: Duration,
    /// From the importer's JSON summary line, where it printed one.
    pub requests: Option<u64>,
    pub recorded: Option<u64>,
    pub already_recorded: Option<u64>,
    pub importer_seconds: Option<f64>,
    /// The log's head (events recorded in all) after the run.
    pub log_events_after: Option<u64>,
}

/// The import rows: `Err` when the importer could not be run at all.
pub struct ImportReport {
    pub setup: ImportSetup,
    /// Units in the list (data lines of the CSV).
    pub units: Option<usize>,
    pub runs: Result<Vec<Result<ImportRun, String>>, String>,
}

/// Runs the importer `RUNS` times against one fresh server in a temp dir under `base_dir`.
pub async fn run(base_dir: &Path, setup: ImportSetup) -> ImportReport {
    let units = std::fs::read_to_string(&setup.file)
        .ok()
        .map(|text| text.lines().skip(1).filter(|line| !line.trim().is_empty()).count());
    let runs = runs(base_dir, &setup).await.map_err(|error| {
        let message = format!("{error:#}");
        eprintln!("  import not measured: {message}");
        message
    });
    ImportReport { setup, units, runs }
}

async fn runs(base_dir: &Path, setup: &ImportSetup) -> anyhow::Result<Vec<Result<ImportRun, String>>> {
    if !setup.antt_bin.is_file() {
        anyhow::bail!(
            "the antt binary is not at {}: build it with `cargo build --release -p antt` (or pass --antt-bin)",
            setup.antt_bin.display()
        );
    }
    if !setup.file.is_file() {
        anyhow::bail!(
            "the unit list {} does not exist (pass --areas-file)",
            setup.file.display()
        );
    }
    let temp = tempfile::Builder::new()
        .prefix("antt-bench-import-")
        .tempdir_in(base_dir)
        .context("creating a temporary directory")?;
    let server = RunningServer::start_anttd(anttd::Config::for_data_dir(temp.path().join("anttd")))?;
    let mut results = Vec::with_capacity(RUNS);
    let ready = wait_until_serving(&server.uri).await;
    if ready.is_ok() {
        for run_idx in 0..RUNS {
            eprintln!("import: run {} of {RUNS}", run_idx + 1);
            let result = run_once(&server.uri, setup).await;
            let result = match result {
                Ok(mut run) => {
                    run.log_events_after = log_head(&server.uri).await.ok();
                    Ok(run)
                }
                Err(error) => Err(error),
            };
            let result = result.map_err(|error| {
                let message = format!("{error:#}");
                eprintln!("  import run failed: {message}");
                message
            });
            let failed = result.is_err();
            results.push(result);
            if failed {
                break;
            }
        }
    }
    let stopped = server.stop().await;
    ready?;
    stopped?;
    temp.close().context("removing the temporary directory")?;
    Ok(results)
}

/// The server answers once it has opened its store; the import's clock starts after.
async fn wait_until_serving(uri: &str) -> anyhow::Result<()> {
    log_head(uri).await.map(|_| ())
}

/// Events in the log now.
async fn log_head(uri: &str) -> anyhow::Result<u64> {
    let mut client = EventStoreClient::new(grpc::channel(uri).await?);
    let head = client
        .get_head(pb::GetHeadRequest {})
        .await
        .context("EventStore/GetHead")?;
    Ok(head.into_inner().next_position)
}

async fn run_once(uri: &str, setup: &ImportSetup) -> anyhow::Result<ImportRun> {
    let mut command = tokio::process::Command::new(&setup.antt_bin);
    command
        .arg("--server")
        .arg(uri)
        .args(["import", "areas", "--file"])
        .arg(&setup.file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let child = command
        .spawn()
        .with_context(|| format!("starting {}", setup.antt_bin.display()))?;
    let output = tokio::time::timeout(RUN_TIME_LIMIT, child.wait_with_output())
        .await
        .map_err(|_| anyhow::anyhow!("did not finish within {} s (stopped)", RUN_TIME_LIMIT.as_secs()))?
        .context("waiting for antt")?;
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let last_lines: Vec<&str> = stderr.lines().rev().take(3).collect();
        let last_lines: Vec<&str> = last_lines.into_iter().rev().collect();
        anyhow::bail!(
            "antt import areas exited with {} after {:.1} s: {}",
            output.status,
            wall.as_secs_f64(),
            last_lines.join(" / ")
        );
    }
    let summary = stdout
        .lines()
        .rev()
        .find(|line| line.trim_start().starts_with('{'))
        .unwrap_or("");
    Ok(ImportRun {
        wall,
        requests: json_number(summary, "requests").map(|n| n as u64),
        recorded: json_number(summary, "recorded").map(|n| n as u64),
        already_recorded: json_number(summary, "already_recorded").map(|n| n as u64),
        importer_seconds: json_number(summary, "seconds"),
        log_events_after: None,
    })
}

/// The number after `"key":` in a one-line JSON object (no JSON parser needed for the
/// importer's flat summary).
fn json_number(line: &str, key: &str) -> Option<f64> {
    let needle = format!("\"{key}\":");
    let start = line.find(&needle)? + needle.len();
    let rest = line[start..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::json_number;

    #[test]
    fn reads_the_importer_summary() {
        let line = r#"{"already_recorded":0,"import":"areas","list_id":"2024","recorded":10810,"requests":10810,"seconds":12.345,"stages":{"communes":10035}}"#;
        assert_eq!(json_number(line, "requests"), Some(10810.0));
        assert_eq!(json_number(line, "recorded"), Some(10810.0));
        assert_eq!(json_number(line, "already_recorded"), Some(0.0));
        assert_eq!(json_number(line, "seconds"), Some(12.345));
        assert_eq!(json_number(line, "missing"), None);
    }
}
