//! Read throughput and resident memory over a large store.
//!
//! The parent builds the store (fast: big batches, flush mode), then re-runs this binary
//! as a child (`--memory-probe DIR`) so that the memory figures are those of a fresh,
//! anttd-like process that only opens the store and reads it, not of the benchmark that
//! built it.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use antt_log::sled_log::{SledConfig, SledLog, SyncMode};
use antt_log::{limits, AppendRequest, EventFilter, EventLog, ExpectedVersion, ReadAllRequest};
use anyhow::{bail, Context};

use crate::log_api;
use crate::raw_sled;
use crate::workload;

/// Concurrent appenders while building the store.
pub const STORE_WRITERS: usize = 32;
/// Events per append while building the store (each append opens a new stream).
pub const STORE_BATCH_EVENTS: usize = 50;

/// Builds a store of `events_n` events under `path` in flush mode; returns the build rate.
pub async fn build_store(path: &Path, events_n: u64) -> anyhow::Result<f64> {
    let mut config = SledConfig::new(path);
    config.sync_mode = SyncMode::Flush;
    let log = Arc::new(log_api::open(config).await?);
    let started = Instant::now();
    let appends_n = events_n.div_ceil(STORE_BATCH_EVENTS as u64);
    let mut tasks = Vec::new();
    for writer_idx in 0..STORE_WRITERS {
        let log = Arc::clone(&log);
        tasks.push(tokio::spawn(async move {
            let mut seq = 0u64;
            let mut append_idx = writer_idx as u64;
            while append_idx < appends_n {
                let first_event = append_idx * STORE_BATCH_EVENTS as u64;
                let batch_events = (events_n - first_event).min(STORE_BATCH_EVENTS as u64) as usize;
                let request = AppendRequest {
                    stream_id: format!("store-{append_idx:08}"),
                    expected: ExpectedVersion::NoStream,
                    events: workload::new_events(writer_idx, &mut seq, batch_events),
                };
                log.append(request).await.context("append while building the store")?;
                append_idx += STORE_WRITERS as u64;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await.context("store builder panicked")??;
    }
    let rate = events_n as f64 / started.elapsed().as_secs_f64();
    log.close().await.context("closing the built store")?;
    drop(log);
    Ok(rate)
}

/// What the child process measured.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    pub rss_before_open_kib: u64,
    pub open_ms: f64,
    pub rss_after_open_kib: u64,
    pub events_read_n: u64,
    pub read_cold_s: f64,
    pub rss_after_cold_read_kib: u64,
    pub read_warm_s: f64,
    pub rss_after_warm_read_kib: u64,
    pub rss_peak_kib: u64,
    pub raw_iter_records_n: u64,
    pub raw_iter_cold_s: f64,
    pub raw_iter_warm_s: f64,
    /// Why plain sled could not iterate the store, if it could not.
    pub raw_iter_error: Option<String>,
}

impl Probe {
    pub fn read_cold_events_per_s(&self) -> f64 {
        self.events_read_n as f64 / self.read_cold_s
    }

    pub fn read_warm_events_per_s(&self) -> f64 {
        self.events_read_n as f64 / self.read_warm_s
    }

    pub fn raw_iter_cold_records_per_s(&self) -> f64 {
        self.raw_iter_records_n as f64 / self.raw_iter_cold_s
    }

    pub fn raw_iter_warm_records_per_s(&self) -> f64 {
        self.raw_iter_records_n as f64 / self.raw_iter_warm_s
    }
}

/// Runs the probe in a child process over the store at `path` and parses its report.
pub fn probe_in_child(path: &Path) -> anyhow::Result<Probe> {
    let report = child_report(&["--memory-probe".as_ref(), path.as_os_str()], "memory probe")?;
    let mut probe = Probe::default();
    for (key, value) in &report {
        let (key, value) = (key.as_str(), value.as_str());
        let int = || {
            value
                .parse::<u64>()
                .with_context(|| format!("probe value {key}={value}"))
        };
        let float = || {
            value
                .parse::<f64>()
                .with_context(|| format!("probe value {key}={value}"))
        };
        match key {
            "rss_before_open_kib" => probe.rss_before_open_kib = int()?,
            "open_ms" => probe.open_ms = float()?,
            "rss_after_open_kib" => probe.rss_after_open_kib = int()?,
            "events_read_n" => probe.events_read_n = int()?,
            "read_cold_s" => probe.read_cold_s = float()?,
            "rss_after_cold_read_kib" => probe.rss_after_cold_read_kib = int()?,
            "read_warm_s" => probe.read_warm_s = float()?,
            "rss_after_warm_read_kib" => probe.rss_after_warm_read_kib = int()?,
            "rss_peak_kib" => probe.rss_peak_kib = int()?,
            "raw_iter_records_n" => probe.raw_iter_records_n = int()?,
            "raw_iter_cold_s" => probe.raw_iter_cold_s = float()?,
            "raw_iter_warm_s" => probe.raw_iter_warm_s = float()?,
            "raw_iter_error" => probe.raw_iter_error = Some(value.to_owned()),
            _ => {}
        }
    }
    Ok(probe)
}

/// The child's side: open, read everything twice, report `key=value` lines on stdout.
pub async fn probe_main(path: &Path) -> anyhow::Result<()> {
    println!("rss_before_open_kib={}", status_kib("VmRSS")?);
    let started = Instant::now();
    let log = log_api::open(SledConfig::new(path)).await?;
    println!("open_ms={}", started.elapsed().as_secs_f64() * 1000.0);
    println!("rss_after_open_kib={}", status_kib("VmRSS")?);
    let (events_n, cold) = read_all_pass(&log).await?;
    println!("events_read_n={events_n}");
    println!("read_cold_s={}", cold.as_secs_f64());
    println!("rss_after_cold_read_kib={}", status_kib("VmRSS")?);
    let (warm_events_n, warm) = read_all_pass(&log).await?;
    if warm_events_n != events_n {
        bail!("the warm pass read {warm_events_n} events, the cold one {events_n}");
    }
    println!("read_warm_s={}", warm.as_secs_f64());
    println!("rss_after_warm_read_kib={}", status_kib("VmRSS")?);
    println!("rss_peak_kib={}", status_kib("VmHWM")?);
    log.close().await.context("closing the probed store")?;
    drop(log);
    // The floor for read_all, after the memory figures: sled's own iterator over the
    // same tree, twice (a fresh sled cache, then a warm one).
    let raw_path = path.to_path_buf();
    let raw = tokio::task::spawn_blocking(move || raw_iter_passes(&raw_path))
        .await
        .context("raw iteration task panicked")?;
    match raw {
        Ok((records_n, cold, warm)) => {
            println!("raw_iter_records_n={records_n}");
            println!("raw_iter_cold_s={}", cold.as_secs_f64());
            println!("raw_iter_warm_s={}", warm.as_secs_f64());
        }
        Err(error) => println!("raw_iter_error={error:#}"),
    }
    Ok(())
}

/// Iterates the log's events tree with plain sled twice, touching every value.
fn raw_iter_passes(path: &Path) -> anyhow::Result<(u64, Duration, Duration)> {
    let db = raw_sled::config(path)
        .open()
        .context("opening the store with plain sled")?;
    let tree = db.open_tree(raw_sled::TREE).context("opening the events tree")?;
    let pass = || -> anyhow::Result<(u64, Duration)> {
        let started = Instant::now();
        let mut records_n = 0u64;
        let mut bytes_n = 0u64;
        for item in tree.iter() {
            let (_key, value) = item.context("sled iteration")?;
            records_n += 1;
            bytes_n += value.len() as u64;
        }
        std::hint::black_box(bytes_n);
        Ok((records_n, started.elapsed()))
    };
    let (records_n, cold) = pass()?;
    let (_, warm) = pass()?;
    Ok((records_n, cold, warm))
}

/// Reads the whole log from position 0 in pages of the most events allowed.
pub async fn read_all_pass(log: &SledLog) -> anyhow::Result<(u64, Duration)> {
    let started = Instant::now();
    let mut from_position = 0u64;
    let mut events_n = 0u64;
    loop {
        let page = log
            .read_all(ReadAllRequest {
                from_position,
                max_count: limits::READ_PAGE_EVENTS_MAX,
                filter: EventFilter::default(),
            })
            .await
            .context("SledLog::read_all")?;
        events_n += page.events.len() as u64;
        let stalled = page.next_position <= from_position;
        from_position = page.next_position;
        if page.reached_head() || stalled {
            break;
        }
    }
    Ok((events_n, started.elapsed()))
}

/// A `kB` line of /proc/self/status, e.g. `VmRSS`.
pub fn status_kib(field: &str) -> anyhow::Result<u64> {
    status_file_kib(Path::new("/proc/self/status"), field)
}

/// A `kB` line of another process's /proc/<pid>/status, e.g. the server's `VmRSS`.
pub fn process_status_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    status_file_kib(&Path::new("/proc").join(pid.to_string()).join("status"), field)
}

fn status_file_kib(path: &Path, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    for line in status.lines() {
        if let Some(rest) = line.strip_prefix(field).and_then(|rest| rest.strip_prefix(':')) {
            let number = rest.trim().trim_end_matches("kB").trim();
            return number.parse().with_context(|| format!("parsing {line}"));
        }
    }
    bail!("no {field} in {}", path.display())
}

/// Runs this benchmark binary with `args` in a child process, so that what it measures
/// (resident memory above all) is its alone, and returns the `key=value` lines it
/// prints; `what` names it in errors.
pub fn child_report(args: &[&std::ffi::OsStr], what: &str) -> anyhow::Result<Vec<(String, String)>> {
    let exe = std::env::current_exe().context("locating the benchmark binary")?;
    let output = Command::new(exe)
        .args(args)
        .output()
        .with_context(|| format!("running the {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect())
}
