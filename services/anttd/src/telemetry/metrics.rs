//! The server's instruments, one set for the process, read by every metric reader (OTLP
//! push and Prometheus scrape alike). Until [`install`] runs they are the no-op ones, so
//! a server without telemetry (and every test server) records into nothing.
//!
//! Names (OTLP → Prometheus): `antt.appends` → `antt_appends_total{outcome}`,
//! `antt.append.duration` → `antt_append_duration_seconds`, `antt.group_commit.events`
//! → `antt_group_commit_events`, `antt.group_commit.duration` →
//! `antt_group_commit_duration_seconds`, `antt.log.events` → `antt_log_events`,
//! `antt.log.size` → `antt_log_size_bytes`, `antt.projections.lag` →
//! `antt_projections_lag`, `antt.subscribers` → `antt_subscribers`,
//! `antt.denials` → `antt_denials_total{code,role}`, `antt.witness.pending` →
//! `antt_witness_pending{witness}`.

use std::future::Future;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use antt_log::sled_log::GroupCommitted;
use antt_log::{AppendError, AppendOutcome, AppendRequest, EventLog};
use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter, ObservableGauge, UpDownCounter};
use opentelemetry::KeyValue;
use tracing::Instrument;

/// Append latency buckets, in seconds: a group commit with fdatasync takes about a
/// millisecond on a good SSD and tens on a slow disk.
const APPEND_SECONDS_BOUNDARIES: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

static METRICS: OnceLock<Metrics> = OnceLock::new();
/// What the gauges read at collection time: the serving server's state, if one serves.
static OBSERVED: Mutex<Option<Box<dyn Fn() -> Observed + Send + Sync>>> = Mutex::new(None);

/// The process's instruments: the installed ones, or no-ops if none were.
pub fn metrics() -> &'static Metrics {
    METRICS.get_or_init(|| Metrics::new(&opentelemetry::global::meter(super::SCOPE)))
}

/// Makes the instruments record into `meter`. Fails if they were already in use.
pub(super) fn install(meter: &Meter) -> Result<(), Metrics> {
    METRICS.set(Metrics::new(meter))
}

/// A refusal by access control, counted by its gRPC code and the caller's role. The
/// labels must come from small fixed sets (codes, roles), never from request text.
pub fn record_denial(code: tonic::Code, role: &str) {
    metrics().record_denial(code, role);
}

/// Appends `request` to `log` in an `append` span, counting it and timing it.
pub fn append<'a, L: EventLog>(
    log: &'a L,
    request: AppendRequest,
) -> impl Future<Output = Result<AppendOutcome, AppendError>> + Send + 'a {
    // Counts as i64: OpenTelemetry exporters of `tracing` spans turn u64 fields into text.
    let span = tracing::info_span!("append", stream_id = %request.stream_id, events = request.events.len() as i64);
    async move {
        let started = Instant::now();
        let outcome = log.append(request).await;
        metrics().appended(&outcome, started.elapsed());
        outcome
    }
    .instrument(span)
}

/// The gauges' readings at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Events in the log (its next position).
    pub log_events: u64,
    /// Bytes the log takes on disk, if the backend tells.
    pub log_bytes: Option<u64>,
    /// Events committed that the projections have not applied yet.
    pub projection_lag: u64,
}

/// While this lives, the gauges read `source`; dropping it stops them (a stopped server
/// reports nothing rather than its last state).
#[must_use = "the gauges read the server only while this lives"]
pub struct ObservedServer(());

/// Has the gauges read `source` at each collection until the guard is dropped.
pub fn observe_server(source: impl Fn() -> Observed + Send + Sync + 'static) -> ObservedServer {
    *OBSERVED.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(source));
    ObservedServer(())
}

impl Drop for ObservedServer {
    fn drop(&mut self) {
        *OBSERVED.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

fn observed() -> Option<Observed> {
    OBSERVED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .map(|source| source())
}

/// Counts one live subscription while it lives.
pub struct Subscriber(());

impl Subscriber {
    pub fn start() -> Subscriber {
        metrics().subscribers.add(1, &[]);
        Subscriber(())
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        metrics().subscribers.add(-1, &[]);
    }
}

/// Every instrument of the server.
pub struct Metrics {
    appends: Counter<u64>,
    append_duration: Histogram<f64>,
    group_events: Histogram<u64>,
    group_duration: Histogram<f64>,
    subscribers: UpDownCounter<i64>,
    denials: Counter<u64>,
    witness_pending: Gauge<u64>,
    // Observable instruments report through their callbacks; kept so that they live as
    // long as the rest.
    _gauges: [ObservableGauge<u64>; 3],
}

impl Metrics {
    /// The instruments, created in `meter`.
    pub fn new(meter: &Meter) -> Metrics {
        Metrics {
            appends: meter
                .u64_counter("antt.appends")
                .with_description("Appends to the log, by outcome (ok, refused, failed)")
                .with_unit("{append}")
                .build(),
            append_duration: meter
                .f64_histogram("antt.append.duration")
                .with_description("Time from an append's arrival at the log to its acknowledgement")
                .with_unit("s")
                .with_boundaries(APPEND_SECONDS_BOUNDARIES.to_vec())
                .build(),
            group_events: meter
                .u64_histogram("antt.group_commit.events")
                .with_description("Events written by one group commit")
                .with_unit("{event}")
                .with_boundaries(group_boundaries())
                .build(),
            group_duration: meter
                .f64_histogram("antt.group_commit.duration")
                .with_description("Time to write and sync one group commit")
                .with_unit("s")
                .with_boundaries(APPEND_SECONDS_BOUNDARIES.to_vec())
                .build(),
            subscribers: meter
                .i64_up_down_counter("antt.subscribers")
                .with_description("Live subscriptions")
                .with_unit("{subscriber}")
                .build(),
            denials: meter
                .u64_counter("antt.denials")
                .with_description("Calls refused by access control, by gRPC code and role")
                .with_unit("{denial}")
                .build(),
            witness_pending: meter
                .u64_gauge("antt.witness.pending")
                .with_description("Stored checkpoints awaiting a witness's cosignature, by witness URL")
                .with_unit("{checkpoint}")
                .build(),
            _gauges: [
                gauge(meter, "antt.log.events", "Events in the log", "{event}", |o| {
                    Some(o.log_events)
                }),
                gauge(meter, "antt.log.size", "Bytes the log takes on disk", "By", |o| {
                    o.log_bytes
                }),
                gauge(
                    meter,
                    "antt.projections.lag",
                    "Committed events the projections have not applied yet",
                    "{event}",
                    |o| Some(o.projection_lag),
                ),
            ],
        }
    }

    fn appended(&self, outcome: &Result<AppendOutcome, AppendError>, duration: Duration) {
        let outcome = match outcome {
            Ok(_) => "ok",
            Err(AppendError::Invalid(_) | AppendError::VersionConflict { .. } | AppendError::EventIdReused { .. }) => {
                "refused"
            }
            // Storage, closed, and whatever the log adds later: not the caller's doing.
            Err(_) => "failed",
        };
        let attributes = [KeyValue::new("outcome", outcome)];
        self.appends.add(1, &attributes);
        self.append_duration.record(duration.as_secs_f64(), &attributes);
    }

    /// Feeds the group-commit histograms; the log calls it on its writer thread.
    pub fn group_committed(&self, commit: &GroupCommitted) {
        self.group_events.record(commit.events as u64, &[]);
        self.group_duration.record(commit.duration.as_secs_f64(), &[]);
    }

    /// The checkpoints `witness` (a configured URL: a small fixed set) has yet to cosign,
    /// as the notary's re-submission last counted them.
    pub fn witness_pending(&self, witness: &str, checkpoints: usize) {
        self.witness_pending
            .record(checkpoints as u64, &[KeyValue::new("witness", witness.to_string())]);
    }

    pub fn record_denial(&self, code: tonic::Code, role: &str) {
        let code = format!("{code:?}");
        self.denials.add(
            1,
            &[KeyValue::new("code", code), KeyValue::new("role", role.to_string())],
        );
    }
}

/// Powers of two up to the largest group the log makes.
fn group_boundaries() -> Vec<f64> {
    std::iter::successors(Some(1usize), |size| size.checked_mul(2))
        .take_while(|size| *size < antt_log::limits::GROUP_COMMIT_EVENTS_MAX)
        .chain([antt_log::limits::GROUP_COMMIT_EVENTS_MAX])
        .map(|size| size as f64)
        .collect()
}

fn gauge(
    meter: &Meter,
    name: &'static str,
    description: &'static str,
    unit: &'static str,
    read: fn(&Observed) -> Option<u64>,
) -> ObservableGauge<u64> {
    meter
        .u64_observable_gauge(name)
        .with_description(description)
        .with_unit(unit)
        .with_callback(move |observer| {
            if let Some(value) = observed().as_ref().and_then(read) {
                observer.observe(value, &[]);
            }
        })
        .build()
}

#[cfg(test)]
mod tests {
    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry_sdk::metrics::SdkMeterProvider;
    use prometheus::{Encoder, TextEncoder};

    use super::*;

    /// The instruments of a private provider read by a Prometheus registry, as `/metrics`.
    fn scraped(record: impl FnOnce(&Metrics)) -> String {
        let registry = prometheus::Registry::new();
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .build()
            .unwrap();
        let provider = SdkMeterProvider::builder().with_reader(exporter).build();
        record(&Metrics::new(&provider.meter("anttd")));
        let mut text = Vec::new();
        TextEncoder::new().encode(&registry.gather(), &mut text).unwrap();
        String::from_utf8(text).unwrap()
    }

    fn sample<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines()
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.rsplit(' ').next())
    }

    #[test]
    fn denials_are_counted_by_code_and_role() {
        let text = scraped(|metrics| {
            metrics.record_denial(tonic::Code::PermissionDenied, "clerk");
            metrics.record_denial(tonic::Code::PermissionDenied, "clerk");
            metrics.record_denial(tonic::Code::Unauthenticated, "anonymous");
        });
        let denials = |code: &str, role: &str| {
            text.lines()
                .find(|line| {
                    line.starts_with("antt_denials_total{")
                        && line.contains(&format!("code=\"{code}\""))
                        && line.contains(&format!("role=\"{role}\""))
                })
                .and_then(|line| line.rsplit(' ').next())
                .map(str::to_string)
        };
        assert_eq!(denials("PermissionDenied", "clerk").as_deref(), Some("2"), "{text}");
        assert_eq!(denials("Unauthenticated", "anonymous").as_deref(), Some("1"), "{text}");
    }

    #[test]
    fn group_commits_fill_the_size_histogram() {
        let commit = |events| GroupCommitted {
            events,
            appends: 1,
            bytes: 100,
            next_position: 10,
            duration: Duration::from_millis(1),
        };
        let text = scraped(|metrics| {
            metrics.group_committed(&commit(1));
            metrics.group_committed(&commit(3));
        });
        assert_eq!(sample(&text, "antt_group_commit_events_count"), Some("2"), "{text}");
        assert_eq!(sample(&text, "antt_group_commit_events_sum"), Some("4"), "{text}");
        assert!(
            text.lines()
                .any(|line| line.starts_with("antt_group_commit_events_bucket")
                    && line.contains("le=\"2\"")
                    && line.ends_with(" 1")),
            "{text}"
        );
    }

    #[test]
    fn witness_backlogs_are_reported_by_witness() {
        let text = scraped(|metrics| {
            metrics.witness_pending("http://127.0.0.1:7380", 3);
            metrics.witness_pending("http://127.0.0.1:7381", 5);
            metrics.witness_pending("http://127.0.0.1:7380", 0);
        });
        let pending = |witness: &str| {
            let label = format!("witness=\"{witness}\"");
            text.lines()
                .find(|line| line.starts_with("antt_witness_pending{") && line.contains(&label))
                .and_then(|line| line.rsplit(' ').next())
        };
        assert_eq!(pending("http://127.0.0.1:7380"), Some("0"), "{text}");
        assert_eq!(pending("http://127.0.0.1:7381"), Some("5"), "{text}");
    }

    #[test]
    fn group_boundaries_end_at_the_largest_group() {
        let boundaries = group_boundaries();
        assert_eq!(boundaries.first(), Some(&1.0));
        assert_eq!(
            boundaries.last(),
            Some(&(antt_log::limits::GROUP_COMMIT_EVENTS_MAX as f64))
        );
        assert!(boundaries.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
