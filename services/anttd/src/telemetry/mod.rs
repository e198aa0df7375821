//! Traces and metrics over OpenTelemetry, for the whole process.
//!
//! - Traces: the `tracing` spans (one per RPC, `append`, the log's `group_commit`,
//!   `projection_batch`, `checkpoint`, and the services' own) are exported over OTLP/gRPC
//!   by `tracing-opentelemetry`, batched on the SDK's own thread. The RPC span continues
//!   the caller's W3C trace context (`rpc.rs`).
//! - Metrics: one set of instruments (`metrics.rs`) read by two readers, a periodic OTLP
//!   push and the Prometheus scrape endpoint (`scrape.rs`).
//!
//! [`init`] is called once, first thing in `main` (it installs the tracing subscriber, as
//! logging did alone before); [`Telemetry::shutdown`] flushes after the server stopped.
//! With no endpoint and no scrape address nothing is exported and nothing listens.

mod metrics;
mod rpc;
mod scrape;

use std::net::SocketAddr;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing_subscriber::Layer as _;

use crate::config::{Config, TelemetryConfig};
use crate::limits;
use crate::logging::{self, LoggingError};

pub use metrics::{append, metrics, observe_server, record_denial, Metrics, Observed, ObservedServer, Subscriber};
pub use rpc::{RpcLayer, RpcService};

/// The instrumentation scope of every span and instrument.
const SCOPE: &str = "anttd";

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error(transparent)]
    Logging(#[from] LoggingError),
    #[error("--otlp-endpoint {endpoint:?} (ANTT_OTLP_ENDPOINT) is not usable: {reason}")]
    Endpoint { endpoint: String, reason: String },
    #[error("the Prometheus exporter could not be set up: {0}")]
    Prometheus(String),
    #[error("cannot listen for metric scrapes on {address} (ANTT_METRICS_LISTEN): {source}")]
    MetricsListen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("metrics were recorded before telemetry was set up; call telemetry::init first")]
    MetricsInUse,
}

/// What [`init`] started; [`Telemetry::shutdown`] flushes and stops it.
pub struct Telemetry {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
    scrape: Option<scrape::Endpoint>,
}

/// Installs the tracing subscriber (log lines on stderr, and spans over OTLP when an
/// endpoint is set), the metric readers and the scrape endpoint. Call once per process,
/// inside the Tokio runtime (the OTLP channels and the endpoint run on it).
pub async fn init(config: &Config) -> Result<Telemetry, TelemetryError> {
    let telemetry = &config.telemetry;
    let resource = resource(telemetry);
    let tracer = match &telemetry.otlp_endpoint {
        Some(endpoint) => Some(tracer_provider(endpoint, telemetry, resource.clone())?),
        None => None,
    };
    let registry = telemetry.metrics_listen.map(|_| prometheus::Registry::new());
    let meter = meter_provider(telemetry, registry.as_ref(), resource)?;
    if let Some(meter) = &meter {
        use opentelemetry::metrics::MeterProvider as _;
        metrics::install(&meter.meter(SCOPE)).map_err(|_| TelemetryError::MetricsInUse)?;
    }
    let trace_layer = match &tracer {
        Some(provider) => {
            let spans = logging::filter("ANTT_TRACE_FILTER", &telemetry.trace_filter)?;
            Some(
                tracing_opentelemetry::layer()
                    .with_tracer(provider.tracer(SCOPE))
                    .with_filter(spans),
            )
        }
        None => None,
    };
    logging::install(config.log_format, &config.log_filter, trace_layer)?;
    let scrape = match (telemetry.metrics_listen, registry) {
        (Some(address), Some(registry)) => Some(
            scrape::Endpoint::start(address, registry)
                .await
                .map_err(|source| TelemetryError::MetricsListen { address, source })?,
        ),
        _ => None,
    };
    if let Some(endpoint) = &telemetry.otlp_endpoint {
        tracing::info!(%endpoint, interval_ms = telemetry.otlp_export_interval().as_millis() as u64, "exporting spans and metrics over OTLP");
    }
    if let Some(scrape) = &scrape {
        tracing::info!(listen = %scrape.local_addr(), "serving Prometheus metrics on /metrics");
    }
    Ok(Telemetry { tracer, meter, scrape })
}

impl Telemetry {
    /// The address the scrape endpoint listens on (with the real port if 0 was asked).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.scrape.as_ref().map(scrape::Endpoint::local_addr)
    }

    /// Stops the scrape endpoint, exports what is still queued (each exporter bounded by
    /// `OTLP_EXPORT_MILLIS_MAX`) and stops the exporters. Call after the server stopped,
    /// so that its last spans and metrics go out.
    pub async fn shutdown(self) {
        if let Some(scrape) = self.scrape {
            scrape.stop().await;
        }
        let (tracer, meter) = (self.tracer, self.meter);
        // The SDK's shutdown waits for its export thread: blocking, kept off the workers.
        let flushed = tokio::task::spawn_blocking(move || {
            let timeout = Duration::from_millis(limits::OTLP_EXPORT_MILLIS_MAX);
            if let Some(tracer) = tracer {
                if let Err(error) = tracer.shutdown_with_timeout(timeout) {
                    tracing::warn!(%error, "the last spans could not be exported");
                }
            }
            if let Some(meter) = meter {
                if let Err(error) = meter.shutdown_with_timeout(timeout) {
                    tracing::warn!(%error, "the last metrics could not be exported");
                }
            }
        });
        if let Err(error) = flushed.await {
            tracing::warn!(%error, "flushing telemetry stopped unexpectedly");
        }
    }
}

/// `service.name`, `service.version` and the operator's attributes.
fn resource(config: &TelemetryConfig) -> Resource {
    let attributes = config
        .resource_attributes
        .iter()
        .map(|(key, value)| KeyValue::new(key.clone(), value.clone()));
    Resource::builder()
        .with_service_name(config.service_name.clone())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .with_attributes(attributes)
        .build()
}

/// Spans batched on the SDK's thread: a full queue drops spans, a slow or absent
/// collector delays only that thread.
fn tracer_provider(
    endpoint: &str,
    config: &TelemetryConfig,
    resource: Resource,
) -> Result<SdkTracerProvider, TelemetryError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(Duration::from_millis(limits::OTLP_EXPORT_MILLIS_MAX))
        .build()
        .map_err(|error| endpoint_error(endpoint, error))?;
    let batching = BatchConfigBuilder::default()
        .with_max_queue_size(limits::TRACE_QUEUE_SPANS_MAX)
        .with_max_export_batch_size(limits::TRACE_EXPORT_BATCH_SPANS_MAX)
        .with_scheduled_delay(config.otlp_export_interval())
        .build();
    let processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(batching)
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource)
        .build())
}

/// One meter provider with a reader per destination; `None` when there is none.
fn meter_provider(
    config: &TelemetryConfig,
    registry: Option<&prometheus::Registry>,
    resource: Resource,
) -> Result<Option<SdkMeterProvider>, TelemetryError> {
    if config.otlp_endpoint.is_none() && registry.is_none() {
        return Ok(None);
    }
    let mut builder = SdkMeterProvider::builder().with_resource(resource);
    if let Some(endpoint) = &config.otlp_endpoint {
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .with_timeout(Duration::from_millis(limits::OTLP_EXPORT_MILLIS_MAX))
            .build()
            .map_err(|error| endpoint_error(endpoint, error))?;
        builder = builder.with_reader(
            PeriodicReader::builder(exporter)
                .with_interval(config.otlp_export_interval())
                .build(),
        );
    }
    if let Some(registry) = registry {
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .build()
            .map_err(|error| TelemetryError::Prometheus(error.to_string()))?;
        builder = builder.with_reader(exporter);
    }
    Ok(Some(builder.build()))
}

fn endpoint_error(endpoint: &str, error: impl std::fmt::Display) -> TelemetryError {
    TelemetryError::Endpoint {
        endpoint: endpoint.to_string(),
        reason: error.to_string(),
    }
}
