//! Log lines on stderr, human or JSON, filtered by `ANTT_LOG`. stderr so that systemd's
//! journal and container runtimes pick them up without a file to rotate. The same filter
//! decides which spans `telemetry` exports, when it exports any.

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::LogFormat;

/// The subscriber below the exporting layers: the registry behind the filter.
pub(crate) type Filtered = tracing_subscriber::layer::Layered<EnvFilter, Registry>;
/// The layer that exports spans over OpenTelemetry.
pub(crate) type TraceLayer = tracing_opentelemetry::OpenTelemetryLayer<Filtered, opentelemetry_sdk::trace::SdkTracer>;

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("ANTT_LOG={filter:?} is not a valid filter (try `info` or `info,anttd=debug`): {source}")]
    Filter {
        filter: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("a global tracing subscriber is already installed: {0}")]
    AlreadyInstalled(String),
}

/// Installs the process-wide subscriber with log lines only. `telemetry::init` does this
/// and more; call one of them once, first thing in `main`.
pub fn init(format: LogFormat, filter: &str) -> Result<(), LoggingError> {
    install(format, filter, None)
}

/// Installs the subscriber: the filter, then the span exporter if any, then log lines.
pub(crate) fn install(format: LogFormat, filter: &str, traces: Option<TraceLayer>) -> Result<(), LoggingError> {
    let env_filter = EnvFilter::try_new(filter).map_err(|source| LoggingError::Filter {
        filter: filter.to_string(),
        source,
    })?;
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in the journal or a file.
        .with_ansi(std::io::stderr().is_terminal());
    let lines = match format {
        LogFormat::Human => lines.boxed(),
        LogFormat::Json => lines.json().flatten_event(true).with_current_span(true).boxed(),
    };
    tracing_subscriber::registry()
        .with(env_filter)
        .with(traces)
        .with(lines)
        .try_init()
        .map_err(|error| LoggingError::AlreadyInstalled(error.to_string()))
}
