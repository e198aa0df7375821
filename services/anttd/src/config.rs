//! The server's settings: command-line flags, each backed by an `ANTT_*` environment
//! variable so that a systemd unit can configure it with an `EnvironmentFile`.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

use antt_log::sled_log::{SledConfig, SyncMode};

/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./data";
/// Default listen address: loopback only, so that a fresh install is not reachable from
/// the network until an operator says so.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 50051));
/// Default sled page cache, in MiB: the same as the log's own default.
pub const DEFAULT_CACHE_CAPACITY_MIB: u64 = antt_log::sled_log::DEFAULT_CACHE_CAPACITY_BYTES / (1024 * 1024);
/// Default tracing filter.
pub const DEFAULT_LOG_FILTER: &str = "info";
/// Default filter of the spans exported over OTLP: the RPC, append, group commit,
/// projection batch and checkpoint spans are all at info.
pub const DEFAULT_TRACE_FILTER: &str = "info";
/// Default largest gRPC message, in bytes. Must stay above the log's largest append
/// (`limits::APPEND_BYTES_MAX`, 4 MiB) plus protobuf framing.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;
/// Default server-side deadline of a unary call (and of a streaming call's first response).
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// Default time in-flight calls get to finish after a shutdown signal.
pub const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 10;
/// Default longest time between two signed checkpoints while the log grows, in seconds.
pub const DEFAULT_CHECKPOINT_INTERVAL_SECS: u64 = 60;
/// Default growth of the log, in events, that makes a checkpoint before the interval ends.
pub const DEFAULT_CHECKPOINT_EVENTS: u64 = 10_000;
/// The key store's directory name beside the data directory, by default (`./keys` beside
/// `./data`); see `key_dir.rs`.
pub const DEFAULT_KEY_DIR_NAME: &str = "keys";
/// The signing key's file name inside the data directory, by default.
pub const DEFAULT_SIGNING_KEY_FILE: &str = "log-signing.key";

/// The log's own default, so that the two cannot drift apart.
pub fn default_tail_check_events() -> u64 {
    SledConfig::new(DEFAULT_DATA_DIR).tail_check_events
}

/// How durable an acknowledged append is.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SyncModeArg {
    /// Flush and fdatasync before acknowledging: survives a power cut.
    #[default]
    Fsync,
    /// Flush only: survives a killed process and an OS crash, not a power cut.
    Flush,
}

impl From<SyncModeArg> for SyncMode {
    fn from(mode: SyncModeArg) -> Self {
        match mode {
            SyncModeArg::Fsync => SyncMode::Fsync,
            SyncModeArg::Flush => SyncMode::Flush,
        }
    }
}

/// How log lines are written to stderr.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One readable line per event, for a terminal or journald.
    #[default]
    Human,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Everything `anttd` can be told at start.
#[derive(clap::Parser, Clone, Debug)]
#[command(name = "anttd", version, about = "The antt-ledger gRPC server")]
pub struct Config {
    /// Directory of the event log (created if missing).
    #[arg(long, env = "ANTT_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,

    /// Directory of the personal-data key store (one key per person; destroying a key
    /// erases that person's data). Default: `keys` beside the data directory (`./keys`
    /// beside `./data`), so that a backup of the log does not carry the keys; a store
    /// left in `<data-dir>/keys` by an older version stops the start until it is moved.
    #[arg(long, env = "ANTT_KEY_DIR")]
    pub key_dir: Option<PathBuf>,

    /// Address to listen on for gRPC.
    #[arg(long, env = "ANTT_LISTEN", default_value_t = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// When an append is acknowledged: after fdatasync (`fsync`) or after flush only (`flush`).
    #[arg(long, env = "ANTT_SYNC_MODE", value_enum, default_value_t = SyncModeArg::Fsync)]
    pub sync_mode: SyncModeArg,

    /// sled page cache of each store, the log's and the projections', in MiB.
    #[arg(long, env = "ANTT_CACHE_CAPACITY_MIB", default_value_t = DEFAULT_CACHE_CAPACITY_MIB)]
    pub cache_capacity_mib: u64,

    /// How many events at the end of the log have their hash chain checked at start;
    /// `antt admin verify` checks all of them.
    #[arg(long, env = "ANTT_TAIL_CHECK_EVENTS", default_value_t = default_tail_check_events())]
    pub tail_check_events: u64,

    /// Log line format on stderr.
    #[arg(long, env = "ANTT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,

    /// Tracing filter, e.g. `info` or `info,anttd=debug`.
    #[arg(long, env = "ANTT_LOG", default_value = DEFAULT_LOG_FILTER)]
    pub log_filter: String,

    /// Largest gRPC message received or sent, in bytes.
    #[arg(long, env = "ANTT_MAX_MESSAGE_BYTES", default_value_t = DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,

    /// Server-side deadline of a call, in seconds; a shorter client deadline (grpc-timeout) wins.
    #[arg(long, env = "ANTT_REQUEST_TIMEOUT_SECS", default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS)]
    pub request_timeout_secs: u64,

    /// After SIGTERM/SIGINT, how long in-flight calls may run before the log is closed anyway, in seconds.
    #[arg(long, env = "ANTT_SHUTDOWN_GRACE_SECS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECS)]
    pub shutdown_grace_secs: u64,

    /// The log's Ed25519 checkpoint signing key, in the signed-note private key format
    /// (`PRIVATE+KEY+<name>+<hash>+<key>`); created with mode 0600 if missing. Default:
    /// `log-signing.key` in the data directory.
    #[arg(long, env = "ANTT_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,

    /// The log's origin, the first line of every checkpoint and the key's name; must never
    /// change for a log. Default: `antt-ledger/<hex key hash>` when the key is created.
    #[arg(long, env = "ANTT_LOG_ORIGIN")]
    pub log_origin: Option<String>,

    /// Sign a checkpoint at least this often while the log grows, in seconds.
    #[arg(long, env = "ANTT_CHECKPOINT_INTERVAL_SECS", default_value_t = DEFAULT_CHECKPOINT_INTERVAL_SECS)]
    pub checkpoint_interval_secs: u64,

    /// Sign a checkpoint as soon as the log grew by this many events since the last one.
    #[arg(long, env = "ANTT_CHECKPOINT_EVENTS", default_value_t = DEFAULT_CHECKPOINT_EVENTS)]
    pub checkpoint_events: u64,

    /// A witness to submit every checkpoint to, as `URL=VERIFIER_KEY` (the witness's
    /// cosignature key, `antt witness serve` prints it); repeatable. The environment
    /// variable takes them separated by spaces.
    #[arg(long = "witness", env = "ANTT_WITNESSES", value_delimiter = ' ', value_parser = parse_witness)]
    pub witnesses: Vec<WitnessArg>,

    #[command(flatten)]
    pub access: AccessArgs,

    /// Traces and metrics (OTLP, Prometheus scrape); all off by default.
    #[command(flatten)]
    pub telemetry: TelemetryConfig,
}

/// Who may connect and call: TLS, bearer tokens, system grants (issue 10). With none of
/// them, on a loopback address, the server runs in development mode.
#[derive(clap::Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessArgs {
    /// The server's TLS certificate chain (PEM); with `--tls-key`, gRPC is served over TLS.
    #[arg(long, env = "ANTT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The TLS certificate's private key (PEM).
    #[arg(long, env = "ANTT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// CA certificates (PEM) of client certificates: clients must present a certificate
    /// one of them signed (mutual TLS).
    #[arg(long, env = "ANTT_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,

    /// With `--tls-client-ca`: also accept clients without a certificate (their bearer
    /// token still decides what they may do).
    #[arg(long, env = "ANTT_TLS_CLIENT_CERT_OPTIONAL", requires = "tls_client_ca")]
    pub tls_client_cert_optional: bool,

    /// The JWKS document (JSON) of the keys that sign bearer tokens (EdDSA, ES256, RS256);
    /// read at start, never fetched. With it, every call but health needs a token.
    #[arg(long, env = "ANTT_JWKS", requires_all = ["token_issuer", "token_audience"])]
    pub jwks: Option<PathBuf>,

    /// The `iss` every token must carry.
    #[arg(long, env = "ANTT_TOKEN_ISSUER")]
    pub token_issuer: Option<String>,

    /// The `aud` every token must name (this service).
    #[arg(long, env = "ANTT_TOKEN_AUDIENCE")]
    pub token_audience: Option<String>,

    /// The calls each system principal may make (JSON: `{"systems": [{"subject": "…",
    /// "calls": ["antt.v1.Areas/*"]}]}`).
    #[arg(long, env = "ANTT_SYSTEM_GRANTS")]
    pub system_grants: Option<PathBuf>,

    /// Serve on a non-loopback address without TLS or without token keys. Never in
    /// production: without keys every caller is the development principal.
    #[arg(long, env = "ANTT_INSECURE")]
    pub insecure: bool,

    /// Also serve `grpc.health.v1.Health` alone, in plaintext, on this address: for probes
    /// that cannot speak TLS (Kubernetes' gRPC probes) while the main port requires it.
    #[arg(long, env = "ANTT_HEALTH_LISTEN")]
    pub health_listen: Option<SocketAddr>,
}

/// Default `service.name` of the exported traces and metrics.
pub const DEFAULT_SERVICE_NAME: &str = "anttd";
/// Default delay between two OTLP exports of spans, and between two of metrics.
pub const DEFAULT_OTLP_EXPORT_INTERVAL_MILLIS: u64 = 5_000;

/// Where traces and metrics go (see `telemetry`). With nothing set, nothing is exported
/// and nothing listens.
#[derive(clap::Args, Clone, Debug, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// OTLP/gRPC collector to export spans and metrics to, e.g. `http://127.0.0.1:4317`.
    /// Unset: no OTLP export.
    #[arg(long, env = "ANTT_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// Which spans are exported over OTLP, a tracing filter like `--log-filter`'s and
    /// independent of it: quieter log lines do not silence the traces.
    #[arg(long, env = "ANTT_TRACE_FILTER", default_value = DEFAULT_TRACE_FILTER)]
    pub trace_filter: String,

    /// Delay between two OTLP exports (spans are batched for this long; metrics are
    /// pushed this often), in milliseconds.
    #[arg(long, env = "ANTT_OTLP_EXPORT_INTERVAL_MILLIS", default_value_t = DEFAULT_OTLP_EXPORT_INTERVAL_MILLIS)]
    pub otlp_export_interval_millis: u64,

    /// `service.name` of the exported spans and metrics.
    #[arg(long, env = "ANTT_SERVICE_NAME", default_value = DEFAULT_SERVICE_NAME)]
    pub service_name: String,

    /// A resource attribute of the exported spans and metrics, `KEY=VALUE` (e.g.
    /// `deployment.environment.name=production`); repeatable. The environment variable
    /// takes them separated by commas, as `OTEL_RESOURCE_ATTRIBUTES` does.
    #[arg(long = "resource-attribute", env = "ANTT_RESOURCE_ATTRIBUTES", value_delimiter = ',', value_parser = parse_resource_attribute)]
    pub resource_attributes: Vec<(String, String)>,

    /// Address to serve the Prometheus text exposition on (`GET /metrics`), e.g.
    /// `127.0.0.1:9464`. Unset: nothing listens.
    #[arg(long, env = "ANTT_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        TelemetryConfig {
            otlp_endpoint: None,
            trace_filter: DEFAULT_TRACE_FILTER.to_string(),
            otlp_export_interval_millis: DEFAULT_OTLP_EXPORT_INTERVAL_MILLIS,
            service_name: DEFAULT_SERVICE_NAME.to_string(),
            resource_attributes: Vec::new(),
            metrics_listen: None,
        }
    }
}

impl TelemetryConfig {
    /// The export interval, never below `limits::OTLP_EXPORT_INTERVAL_MILLIS_MIN`.
    pub fn otlp_export_interval(&self) -> Duration {
        Duration::from_millis(
            self.otlp_export_interval_millis
                .max(crate::limits::OTLP_EXPORT_INTERVAL_MILLIS_MIN),
        )
    }
}

fn parse_resource_attribute(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.trim().to_string())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// One `--witness URL=VERIFIER_KEY`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessArg {
    pub url: String,
    pub verifier_key: String,
}

fn parse_witness(text: &str) -> Result<WitnessArg, String> {
    let (url, verifier_key) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not URL=VERIFIER_KEY"))?;
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(format!("witness URL {url:?} must start with http:// or https://"));
    }
    Ok(WitnessArg {
        url: url.trim_end_matches('/').to_string(),
        verifier_key: verifier_key.to_string(),
    })
}

impl Config {
    /// The defaults, with the log in `path`. Reads no flags and no environment, so tests
    /// and benchmarks get the same server whatever the shell exports.
    pub fn for_data_dir(path: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: path.into(),
            key_dir: None,
            listen: DEFAULT_LISTEN,
            sync_mode: SyncModeArg::default(),
            cache_capacity_mib: DEFAULT_CACHE_CAPACITY_MIB,
            tail_check_events: default_tail_check_events(),
            log_format: LogFormat::default(),
            log_filter: DEFAULT_LOG_FILTER.to_string(),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            shutdown_grace_secs: DEFAULT_SHUTDOWN_GRACE_SECS,
            signing_key: None,
            log_origin: None,
            checkpoint_interval_secs: DEFAULT_CHECKPOINT_INTERVAL_SECS,
            checkpoint_events: DEFAULT_CHECKPOINT_EVENTS,
            witnesses: Vec::new(),
            access: AccessArgs::default(),
            telemetry: TelemetryConfig::default(),
        }
    }

    /// Where the checkpoint signing key lives.
    pub fn signing_key_path(&self) -> PathBuf {
        self.signing_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join(DEFAULT_SIGNING_KEY_FILE))
    }

    pub fn checkpoint_interval(&self) -> Duration {
        Duration::from_secs(
            self.checkpoint_interval_secs
                .max(crate::limits::CHECKPOINT_INTERVAL_SECS_MIN),
        )
    }

    /// Where the personal-data keys live, before `key_dir::resolve`'s check for a store
    /// left inside the data directory.
    pub fn key_dir(&self) -> PathBuf {
        self.key_dir
            .clone()
            .unwrap_or_else(|| crate::key_dir::default_beside(&self.data_dir))
    }

    /// Where the projections keep their indexes: beside the log, rebuildable from it.
    pub fn projections_dir(&self) -> PathBuf {
        self.data_dir.join("projections")
    }

    /// The sled backend's settings.
    pub fn sled_config(&self) -> SledConfig {
        let mut sled = SledConfig::new(self.data_dir.clone());
        sled.sync_mode = self.sync_mode.into();
        sled.cache_capacity_bytes = self.cache_capacity_mib.saturating_mul(1024 * 1024);
        sled.tail_check_events = self.tail_check_events;
        sled
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn flags_are_parsed() {
        let config = Config::try_parse_from([
            "anttd",
            "--data-dir",
            "/var/lib/antt-ledger",
            "--listen",
            "0.0.0.0:6000",
            "--sync-mode",
            "flush",
            "--log-format",
            "json",
        ])
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/antt-ledger"));
        assert_eq!(config.listen, "0.0.0.0:6000".parse::<SocketAddr>().unwrap());
        assert_eq!(config.sync_mode, SyncModeArg::Flush);
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn telemetry_is_off_unless_asked_for() {
        let config = Config::try_parse_from(["anttd"]).unwrap();
        assert_eq!(config.telemetry, TelemetryConfig::default());
        assert_eq!(config.telemetry.otlp_endpoint, None);
        assert_eq!(config.telemetry.metrics_listen, None);
        let config = Config::try_parse_from([
            "anttd",
            "--otlp-endpoint",
            "http://127.0.0.1:4317",
            "--metrics-listen",
            "127.0.0.1:9464",
            "--resource-attribute",
            "deployment.environment.name=staging",
        ])
        .unwrap();
        assert_eq!(config.telemetry.otlp_endpoint.as_deref(), Some("http://127.0.0.1:4317"));
        assert_eq!(config.telemetry.metrics_listen, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(
            config.telemetry.resource_attributes,
            vec![("deployment.environment.name".to_string(), "staging".to_string())]
        );
        assert!(Config::try_parse_from(["anttd", "--resource-attribute", "no-equals"]).is_err());
    }

    #[test]
    fn an_unknown_sync_mode_is_refused() {
        assert!(Config::try_parse_from(["anttd", "--sync-mode", "sometimes"]).is_err());
    }

    #[test]
    fn for_data_dir_uses_the_defaults() {
        let config = Config::for_data_dir("/tmp/x");
        assert_eq!(config.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(config.listen.to_string(), "127.0.0.1:50051");
        assert_eq!(config.sync_mode, SyncModeArg::Fsync);
        assert_eq!(config.max_message_bytes, 8 * 1024 * 1024);
        assert_eq!(config.request_timeout(), Duration::from_secs(30));
    }
}
