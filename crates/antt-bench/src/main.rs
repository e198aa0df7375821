//! antt-bench: throughput and latency of the log and the gRPC API against raw sled and
//! PostgreSQL, domain commands against raw appends, and the area import, measured in one
//! run and printed as Markdown.
//!
//! # Layout
//! - [`workload`]: the events every system is given (same envelope, ~250-byte payload).
//! - [`driver`]: c concurrent writers, warm-up, measured window, percentiles.
//! - [`log_api`]: (a) appends through `SledLog`.
//! - [`grpc`]: (b) appends through a real `anttd::serve` over tonic.
//! - [`raw_sled`]: (c) the floor: plain sled inserts, flush and fdatasync per group.
//! - [`postgres`]: (d) a plain events table with synchronous commit.
//! - [`memory`]: read_all throughput and resident memory over a large store (child process).
//! - [`domain`]: domain commands (Forces appointments) over gRPC next to raw appends, over a
//!   [`counting_log`] that counts the log work per command, with [`cpu`] time per command.
//! - [`import`]: the wall time of `antt import areas` for the full 2024 list.
//! - [`projections`]: (`--only-projections`, and in the full run) a projection rebuild
//!   next to read_all, and appends with the projection engine following the log and without.
//! - [`report`]: the tables, the goals and the summary.
//! - [`audit`]: (`--only-audit`) Merkle proofs and full verification on a large store.
//! - [`soak`]: (`--soak SECONDS`, manual runs) a real `anttd` process under 64 clients'
//!   mixed commands and queries ([`soak_mix`], [`soak_calls`]) for a bounded time:
//!   errors, latencies, the server's resident memory, and the log checked at the end
//!   ([`soak_report`]); started through [`anttd_process`].

mod anttd_process;
mod audit;
mod counting_log;
mod cpu;
mod domain;
mod driver;
mod grpc;
mod import;
mod log_api;
mod memory;
mod postgres;
mod projections;
mod raw_sled;
mod report;
mod soak;
mod soak_calls;
mod soak_mix;
mod soak_report;
mod workload;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;

use crate::driver::{CellSpec, Measured, Timing};
use crate::report::{CellRow, Outcome, Report, StoreReport};
use crate::workload::StreamMode;

// The same allocator as anttd's binary, so that the in-process server, the log API cells
// and the memory probe measure what anttd runs with (see services/anttd/src/main.rs).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Writer counts of the matrix.
const WRITERS: [usize; 3] = [1, 8, 64];
/// Events per append of the matrix.
const BATCH_EVENTS: [usize; 2] = [1, 10];
/// Writers of the one-stream variant.
const SHARED_STREAM_WRITERS: usize = 8;

#[derive(Parser, Debug)]
#[command(
    name = "antt-bench",
    about = "Durable append throughput and latency of antt-ledger's log and gRPC API against raw sled and PostgreSQL, read_all throughput and resident memory, domain commands over gRPC and the time of the area import; prints Markdown"
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

    /// Skip the domain-command section (Forces commands over gRPC, and the area import).
    #[arg(long, conflicts_with = "only_domain")]
    no_domain: bool,

    /// Run only the domain-command section (no append matrix, PostgreSQL or store).
    #[arg(long)]
    only_domain: bool,

    /// The `antt` CLI whose `import areas` is timed [default: `antt` next to this binary,
    /// i.e. target/release/antt; build it with `cargo build --release -p antt`].
    #[arg(long)]
    antt_bin: Option<PathBuf>,

    /// The unit list the import registers [default: reference/admin-units/admin-units-2024.csv].
    #[arg(long)]
    areas_file: Option<PathBuf>,

    /// Run only the verifiable-history section: proofs and full verification on a store
    /// of --events events (default 5,000,000; 100,000 with --quick).
    #[arg(long, conflicts_with_all = ["only_domain", "no_domain"])]
    only_audit: bool,

    /// Run only the projections section: a store of --projection-events domain events,
    /// read_all next to a projection rebuild, and appends with and without the engine.
    #[arg(long, conflicts_with_all = ["only_domain", "no_domain", "only_audit"])]
    only_projections: bool,

    /// Domain events in the store the projections are rebuilt from
    /// [default: 200,000; 50,000 with --quick].
    #[arg(long)]
    projection_events: Option<u64>,

    /// In the projections section, also time a rebuild that walks every record's whole
    /// timeline for each event, as the engine did before it kept the walk (slow).
    #[arg(long)]
    projection_full_walk: bool,

    /// Run only the soak: a real `anttd` process (see --anttd-bin) under --soak-clients
    /// clients' mixed commands and queries for this many seconds (after setup and a 5 s
    /// warm-up); errors, latencies, the server's resident memory, the log checked.
    #[arg(long, value_name = "SECONDS", conflicts_with_all = ["only_domain", "no_domain", "only_audit", "only_projections", "quick"])]
    soak: Option<u64>,

    /// Concurrent clients of the soak.
    #[arg(long, default_value_t = soak::SOAK_CLIENTS_DEFAULT)]
    soak_clients: usize,

    /// The `anttd` binary the soak starts [default: `anttd` next to this binary, i.e.
    /// target/release/anttd; build it with `cargo build --release -p anttd`].
    #[arg(long, requires = "soak")]
    anttd_bin: Option<PathBuf>,

    /// Internal: open the store at this path, read it, print memory figures, exit.
    #[arg(long, hide = true)]
    memory_probe: Option<PathBuf>,

    /// Internal: open the log at this path, read it, rebuild its projections beside it,
    /// print the figures, exit.
    #[arg(long, hide = true)]
    projection_probe: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(path) = &args.memory_probe {
        return memory::probe_main(path).await;
    }
    if let Some(path) = &args.projection_probe {
        return projections::probe_main(path, args.projection_full_walk).await;
    }
    if let Some(seconds) = args.soak {
        return run_soak(&args, seconds).await;
    }
    if args.only_audit {
        let base_dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
        let events_n = args.events.unwrap_or(if args.quick { 100_000 } else { 5_000_000 });
        audit::run(&base_dir, events_n).await?.print();
        return Ok(());
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

    let projection_events_n = args
        .projection_events
        .unwrap_or(if args.quick { 50_000 } else { 200_000 });
    let postgres_info = if args.only_domain || args.only_projections {
        Err("not run (--only-domain or --only-projections)".to_owned())
    } else {
        postgres::probe(&args.postgres)
            .await
            .map_err(|error| format!("{error:#}"))
    };
    let record = workload::typical_record();
    let mut report = Report::new(&args.postgres, &base_dir, timing, record.len(), args.quick);
    report.load_at_start = report::load_average();
    report.postgres_info = postgres_info;

    if args.only_projections {
        report.skipped = Some("--only-projections");
        report.projections =
            Some(run_projections(&base_dir, projection_events_n, timing, args.projection_full_walk).await);
        report.load_at_end = report::load_average();
        report.run_duration = run_started.elapsed();
        report.print();
        return Ok(());
    }
    if args.only_domain {
        report.skipped = Some("--only-domain");
    }
    if !args.only_domain {
        run_matrix(&args, &base_dir, timing, &record, &mut report).await;
        eprintln!("store: building {store_events_n} events, then probing it in a child process");
        report.store = Some(
            measure_store(&base_dir, store_events_n)
                .await
                .map_err(|error| format!("{error:#}")),
        );
    }
    if !args.no_domain {
        let mut cells = Vec::new();
        for spec in domain::specs() {
            eprintln!("domain: {} clients, {:?} teams", spec.clients, spec.teams);
            cells.push(domain::run_cell(&base_dir, spec, timing).await);
        }
        let defaults = import::ImportSetup::defaults();
        let setup = import::ImportSetup {
            antt_bin: args.antt_bin.clone().unwrap_or(defaults.antt_bin),
            file: args.areas_file.clone().unwrap_or(defaults.file),
        };
        eprintln!(
            "import: {} import areas --file {}",
            setup.antt_bin.display(),
            setup.file.display()
        );
        let import = import::run(&base_dir, setup).await;
        report.domain = Some(report::DomainSection { cells, import });
    }
    if !args.only_domain {
        report.projections =
            Some(run_projections(&base_dir, projection_events_n, timing, args.projection_full_walk).await);
    }

    report.load_at_end = report::load_average();
    report.run_duration = run_started.elapsed();
    report.print();
    Ok(())
}

/// `--soak`: the soak alone, its Markdown on stdout.
async fn run_soak(args: &Args, seconds: u64) -> anyhow::Result<()> {
    anyhow::ensure!(args.soak_clients > 0, "--soak-clients must be at least 1");
    let base_dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let spec = soak::SoakSpec {
        seconds,
        clients: args.soak_clients,
        anttd_bin: args
            .anttd_bin
            .clone()
            .unwrap_or_else(|| import::beside_this_binary("anttd")),
    };
    let load_at_start = report::load_average();
    let mut report = soak::run(&base_dir, spec).await?;
    report.load_at_start = load_at_start;
    report.load_at_end = report::load_average();
    report.print();
    Ok(())
}

/// The append matrix: log API, gRPC, raw sled and PostgreSQL at every writer count and
/// batch size, then the one-stream variant.
async fn run_matrix(args: &Args, base_dir: &std::path::Path, timing: Timing, record: &[u8], report: &mut Report) {
    let mut raw_by_group: BTreeMap<usize, Outcome> = BTreeMap::new();
    for &writers in &WRITERS {
        for &batch_events in &BATCH_EVENTS {
            let spec = CellSpec {
                writers,
                batch_events,
                stream_mode: StreamMode::OwnStream,
            };
            eprintln!("cell: {writers} writers x {batch_events} events");
            let log = outcome(run_in_temp(base_dir, |dir| async move { log_api::run(&dir, spec, timing).await }).await);
            let grpc = outcome(run_in_temp(base_dir, |dir| async move { grpc::run(&dir, spec, timing).await }).await);
            let group_events = writers * batch_events;
            if let std::collections::btree_map::Entry::Vacant(entry) = raw_by_group.entry(group_events) {
                let raw = run_in_temp(base_dir, |dir| async move {
                    raw_sled::run(&dir, group_events, record, timing).await
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
        let log = outcome(run_in_temp(base_dir, |dir| async move { log_api::run(&dir, spec, timing).await }).await);
        let grpc = outcome(run_in_temp(base_dir, |dir| async move { grpc::run(&dir, spec, timing).await }).await);
        report.rows.push(CellRow {
            spec,
            log,
            grpc,
            postgres: None,
        });
    }
    report.raw_by_group = raw_by_group;
}

/// The projections section; a failure is reported in its place.
async fn run_projections(
    base_dir: &std::path::Path,
    events_n: u64,
    timing: Timing,
    full_walk: bool,
) -> Result<projections::ProjectionsReport, String> {
    projections::run(base_dir, events_n, timing, full_walk)
        .await
        .map_err(|error| {
            let message = format!("{error:#}");
            eprintln!("  projections failed: {message}");
            message
        })
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
