//! Runs c concurrent writers against any system for a warm-up and a measured window, and
//! turns their samples into throughput and latency.

use std::future::Future;
use std::time::{Duration, Instant};

use antt_log::ExpectedVersion;
use anyhow::Context;

use crate::workload::{self, Batch, StreamMode};

/// One append path under test, owned by one writer task.
pub trait Appender: Send + 'static {
    /// Appends one batch and resolves once the system acknowledged it as durable.
    fn append(&mut self, batch: Batch) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// How long a cell warms up and then measures.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub warmup: Duration,
    pub measure: Duration,
}

/// The shape of one cell: c writers, b events per append, own streams or one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellSpec {
    pub writers: usize,
    pub batch_events: usize,
    pub stream_mode: StreamMode,
}

/// Only appends that completed inside `[start, end]` count.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

impl Window {
    /// A window that opens after the warm-up, counted from now.
    pub fn after_warmup(timing: Timing) -> Window {
        let start = Instant::now() + timing.warmup;
        Window {
            start,
            end: start + timing.measure,
        }
    }

    pub fn contains(&self, instant: Instant) -> bool {
        instant >= self.start && instant <= self.end
    }

    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
}

/// What one measured cell achieved.
#[derive(Clone, Debug)]
pub struct Measured {
    pub events_per_s: f64,
    pub appends_per_s: f64,
    pub latency_p50: Duration,
    pub latency_p99: Duration,
    pub appends_n: usize,
}

impl Measured {
    /// Throughput and latency from per-append latencies and events per append.
    pub fn from_samples(mut latencies: Vec<Duration>, events_per_append: usize, window: Duration) -> Measured {
        latencies.sort_unstable();
        let seconds = window.as_secs_f64();
        let appends_n = latencies.len();
        Measured {
            events_per_s: (appends_n * events_per_append) as f64 / seconds,
            appends_per_s: appends_n as f64 / seconds,
            latency_p50: percentile(&latencies, 0.50),
            latency_p99: percentile(&latencies, 0.99),
            appends_n,
        }
    }
}

/// Nearest-rank percentile of sorted values; zero for no values.
pub fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Latencies of the appends completed inside a window, and the window's length; several
/// windows (interleaved with other work) add up.
#[derive(Debug, Default)]
pub struct Samples {
    pub latencies: Vec<Duration>,
    pub window: Duration,
}

impl Samples {
    pub fn add(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        self.window += other.window;
    }

    pub fn measured(self, events_per_append: usize) -> Measured {
        Measured::from_samples(self.latencies, events_per_append, self.window)
    }
}

/// Runs one cell: one task per writer, writer i with `appenders[i]`.
pub async fn run_cell<A: Appender>(
    spec: CellSpec,
    timing: Timing,
    stream_prefix: &str,
    appenders: Vec<A>,
) -> anyhow::Result<Measured> {
    Ok(run_cell_samples(spec, timing, stream_prefix, appenders)
        .await?
        .measured(spec.batch_events))
}

/// [`run_cell`], returning the raw samples.
pub async fn run_cell_samples<A: Appender>(
    spec: CellSpec,
    timing: Timing,
    stream_prefix: &str,
    appenders: Vec<A>,
) -> anyhow::Result<Samples> {
    anyhow::ensure!(appenders.len() == spec.writers, "one appender per writer");
    let window = Window::after_warmup(timing);
    let mut tasks = Vec::with_capacity(spec.writers);
    for (writer_idx, appender) in appenders.into_iter().enumerate() {
        let stream_id = match spec.stream_mode {
            StreamMode::OwnStream => format!("{stream_prefix}-w{writer_idx:04}"),
            StreamMode::SharedStream => format!("{stream_prefix}-shared"),
        };
        tasks.push(tokio::spawn(writer_loop(appender, writer_idx, stream_id, spec, window)));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        let writer_latencies = task.await.context("writer task panicked")??;
        latencies.extend(writer_latencies);
    }
    Ok(Samples {
        latencies,
        window: window.duration(),
    })
}

async fn writer_loop<A: Appender>(
    mut appender: A,
    writer_idx: usize,
    stream_id: String,
    spec: CellSpec,
    window: Window,
) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::new();
    let mut seq = 0u64;
    let mut next_version = 0u64;
    while Instant::now() < window.end {
        let events = workload::new_events(writer_idx, &mut seq, spec.batch_events);
        let expected = match spec.stream_mode {
            StreamMode::OwnStream if next_version == 0 => ExpectedVersion::NoStream,
            StreamMode::OwnStream => ExpectedVersion::Exact(next_version - 1),
            StreamMode::SharedStream => ExpectedVersion::Any,
        };
        let batch = Batch {
            stream_id: stream_id.clone(),
            expected,
            first_version: next_version,
            events,
        };
        let started = Instant::now();
        appender
            .append(batch)
            .await
            .with_context(|| format!("writer {writer_idx} appending to {stream_id}"))?;
        let finished = Instant::now();
        next_version += spec.batch_events as u64;
        if window.contains(finished) {
            latencies.push(finished - started);
        }
    }
    Ok(latencies)
}
