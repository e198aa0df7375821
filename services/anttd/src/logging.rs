//! Log lines on stderr, human or JSON, filtered by `ANTT_LOG`. stderr so that systemd's
//! journal and container runtimes pick them up without a file to rotate. The spans that
//! `telemetry` exports, when it exports any, have their own filter (`ANTT_TRACE_FILTER`):
//! an operator who quietens the logs to `warn` keeps the traces.

use std::io::IsTerminal;

use tracing_subscriber::filter::Filtered;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::LogFormat;

/// The layer that exports spans over OpenTelemetry, directly on the registry.
pub(crate) type TraceLayer = tracing_opentelemetry::OpenTelemetryLayer<Registry, opentelemetry_sdk::trace::SdkTracer>;
/// That layer behind its own filter.
pub(crate) type FilteredTraces = Filtered<TraceLayer, EnvFilter, Registry>;

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("{variable}={filter:?} is not a valid filter (try `info` or `info,anttd=debug`): {source}")]
    Filter {
        variable: &'static str,
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

/// The filter `text` (given as `variable`).
pub(crate) fn filter(variable: &'static str, text: &str) -> Result<EnvFilter, LoggingError> {
    EnvFilter::try_new(text).map_err(|source| LoggingError::Filter {
        variable,
        filter: text.to_string(),
        source,
    })
}

/// Installs the subscriber: the span exporter if any, behind its own filter, then log
/// lines behind theirs.
pub(crate) fn install(format: LogFormat, log_filter: &str, traces: Option<FilteredTraces>) -> Result<(), LoggingError> {
    let env_filter = filter("ANTT_LOG", log_filter)?;
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in the journal or a file.
        .with_ansi(std::io::stderr().is_terminal());
    let lines = match format {
        LogFormat::Human => lines.boxed(),
        LogFormat::Json => lines.json().flatten_event(true).with_current_span(true).boxed(),
    };
    tracing_subscriber::registry()
        .with(traces)
        .with(lines.with_filter(env_filter))
        .try_init()
        .map_err(|error| LoggingError::AlreadyInstalled(error.to_string()))
}
