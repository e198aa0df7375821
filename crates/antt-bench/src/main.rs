//! antt-bench: throughput and latency of the log and the gRPC API against raw sled and
//! PostgreSQL, measured in one run and printed as Markdown.
//!
//! # Layout
//! - [`workload`]: the events every system is given (same envelope, ~250-byte payload).
//! - [`driver`]: c concurrent writers, warm-up, measured window, percentiles.
//! - [`log_api`]: (a) appends through `SledLog`.
//! - [`grpc`]: (b) appends through a real `anttd::serve` over tonic.
//! - [`raw_sled`]: (c) the floor: plain sled inserts, flush and fdatasync per group.
//! - [`postgres`]: (d) a plain events table with synchronous commit.
//! - [`memory`]: read_all throughput and resident memory over a large store (child process).
//! - [`report`]: the tables, the goals and the summary.

mod driver;
mod grpc;
mod log_api;
mod memory;
mod postgres;
mod raw_sled;
mod report;
mod workload;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;

use crate::driver::{CellSpec, Measured, Timing};
use crate::report::{CellRow, Outcome, Report, StoreReport};
use crate::workload::StreamMode;

/// Writer counts of the matrix.
const WRITERS: [usize; 3] = [1, 8, 64];
/// Events per append of the matrix.
const BATCH_EVENTS: [usize; 2] = [1, 10];
/// Writers of the one-stream variant.
const SHARED_STREAM_WRITERS: usize = 8;

#[derive(Parser, Debug)]
#[command(
    name = "antt-bench",
    about = "Durable append throughput and latency of antt-ledger's log and gRPC API against raw sled and PostgreSQL, read_all throughput and resident memory; prints Markdown"
)]
struct Args {
    /// Short cells (1 s after a 0.25 s warm-up) and a 100,000-event store: proves the harness works.
    #[arg(long)]
    quick: bool,

    /// Events in the store used for read_all throughput and resident memory
    /// [default: 1,000,000; 100,000 with --quick].
    #[arg(long)]
    events: Option<u64>,

    /// Seconds each cell measures, after its warm-up [default: 3; 1 with --quick].
    #[arg(long)]
    seconds: Option<f64>,

    /// PostgreSQL connection string (libpq key=value or URL).
    #[arg(long, default_value = "host=127.0.0.1 port=5432 user=postgres dbname=test")]
    postgres: String,

    /// Directory under which each cell gets a fresh temporary directory [default: the
    /// system temp dir]. Put it on the disk whose durability you want to measure.
    #[arg(long)]
    dir: Option<PathBuf>,

    /// Internal: open the store at this path, read it, print memory figures, exit.
    #[arg(long, hide = true)]
    memory_probe: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(path) = &args.memory_probe {
        return memory::probe_main(path).await;
    }
    let run_started = Instant::now();
    let timing = if args.quick {
        Timing {
            warmup: Duration::from_millis(250),
            measure: Duration::from_secs_f64(args.seconds.unwrap_or(1.0)),
        }
    } else {
        Timing {
            warmup: Duration::from_millis(500),
            measure: Duration::from_secs_f64(args.seconds.unwrap_or(3.0)),
        }
    };
    let store_events_n = args.events.unwrap_or(if args.quick { 100_000 } else { 1_000_000 });
    let base_dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base_dir).with_context(|| format!("creating {}", base_dir.display()))?;

    let postgres_info = postgres::probe(&args.postgres)
        .await
        .map_err(|error| format!("{error:#}"));
    let record = workload::typical_record();
    let mut report = Report::new(&args.postgres, &base_dir, timing, record.len(), args.quick);
    report.load_at_start = report::load_average();
    report.postgres_info = postgres_info;

    let mut raw_by_group: BTreeMap<usize, Outcome> = BTreeMap::new();
    for &writers in &WRITERS {
        for &batch_events in &BATCH_EVENTS {
            let spec = CellSpec {
                writers,
                batch_events,
                stream_mode: StreamMode::OwnStream,
            };
            eprintln!("cell: {writers} writers x {batch_events} events");
            let log =
                outcome(run_in_temp(&base_dir, |dir| async move { log_api::run(&dir, spec, timing).await }).await);
            let grpc = outcome(run_in_temp(&base_dir, |dir| async move { grpc::run(&dir, spec, timing).await }).await);
            let group_events = writers * batch_events;
            if let std::collections::btree_map::Entry::Vacant(entry) = raw_by_group.entry(group_events) {
                let raw = run_in_temp(&base_dir, |dir| {
                    let record = &record;
                    async move { raw_sled::run(&dir, group_events, record, timing).await }
                })
                .await;
                entry.insert(outcome(raw));
            }
            let postgres = match &report.postgres_info {
                Ok(_) => Some(outcome(postgres::run(&args.postgres, spec, timing).await)),
                Err(_) => None,
            };
            report.rows.push(CellRow {
                spec,
                log,
                grpc,
                postgres,
            });
        }
    }
    for &batch_events in &BATCH_EVENTS {
        let spec = CellSpec {
            writers: SHARED_STREAM_WRITERS,
            batch_events,
            stream_mode: StreamMode::SharedStream,
        };
        eprintln!("cell: {SHARED_STREAM_WRITERS} writers x {batch_events} events, one stream");
        let log = outcome(run_in_temp(&base_dir, |dir| async move { log_api::run(&dir, spec, timing).await }).await);
        let grpc = outcome(run_in_temp(&base_dir, |dir| async move { grpc::run(&dir, spec, timing).await }).await);
        report.rows.push(CellRow {
            spec,
            log,
            grpc,
            postgres: None,
        });
    }
    report.raw_by_group = raw_by_group;

    eprintln!("store: building {store_events_n} events, then probing it in a child process");
    report.store = Some(
        measure_store(&base_dir, store_events_n)
            .await
            .map_err(|error| format!("{error:#}")),
    );

    report.load_at_end = report::load_average();
    report.run_duration = run_started.elapsed();
    report.print();
    Ok(())
}

/// Builds the big store and probes it from a fresh process.
async fn measure_store(base_dir: &std::path::Path, events_n: u64) -> anyhow::Result<StoreReport> {
    let temp = tempfile::Builder::new()
        .prefix("antt-bench-store-")
        .tempdir_in(base_dir)
        .context("creating a temporary directory")?;
    let path = temp.path().join("log");
    let build_started = Instant::now();
    let build_events_per_s = memory::build_store(&path, events_n).await?;
    let build_duration = build_started.elapsed();
    let size_on_disk_bytes = directory_size_bytes(&path)?;
    let probe_path = path.clone();
    let probe = tokio::task::spawn_blocking(move || memory::probe_in_child(&probe_path))
        .await
        .context("probe task panicked")??;
    Ok(StoreReport {
        events_n,
        build_events_per_s,
        build_duration,
        size_on_disk_bytes,
        probe,
    })
}

fn directory_size_bytes(path: &std::path::Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(path).with_context(|| format!("listing {}", path.display()))? {
        let entry = entry.context("reading a directory entry")?;
        let metadata = entry.metadata().context("reading file metadata")?;
        total += if metadata.is_dir() {
            directory_size_bytes(&entry.path())?
        } else {
            metadata.len()
        };
    }
    Ok(total)
}

/// Runs `cell` in a fresh temporary directory under `base_dir`, removed afterwards.
async fn run_in_temp<F, Fut>(base_dir: &std::path::Path, cell: F) -> anyhow::Result<Measured>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Measured>>,
{
    let temp = tempfile::Builder::new()
        .prefix("antt-bench-")
        .tempdir_in(base_dir)
        .context("creating a temporary directory")?;
    let measured = cell(temp.path().to_path_buf()).await;
    temp.close().context("removing the temporary directory")?;
    measured
}

/// A failed cell is reported in its column; the run carries on.
fn outcome(result: anyhow::Result<Measured>) -> Outcome {
    result.map_err(|error| {
        let message = format!("{error:#}");
        eprintln!("  cell failed: {message}");
        message
    })
}
