//! Opens the log, serves `antt.v1.EventStore`, gRPC health and reflection on a listener,
//! and shuts down in order: refuse new work, let calls in flight finish, close the log.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use antt_log::sled_log::SledLog;
use antt_log::{AppendError, EventLog, OpenError, VerifiableLog};
use antt_proto::v1::event_store_server::SERVICE_NAME as EVENT_STORE_SERVICE;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

use antt_keystore::KeyStore;

use crate::access::GuardLayer;
use crate::analytics::AnalyticsService;
use crate::audit::{self, AuditService, Notary, Witness};
use crate::commands::Commands;
use crate::config::Config;
use crate::domain_api::{self, DomainApi};
use crate::event_store::EventStoreService;
use crate::projections::ProjectionsService;
use crate::shutdown::shutdown_channel;

/// How often the server pings an idle HTTP/2 connection, so that a subscriber whose
/// machine vanished is noticed and its subscription dropped.
const HTTP2_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
/// How long a keepalive ping may go unanswered before the connection is closed.
const HTTP2_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// TCP keepalive on accepted connections, for peers that vanish without a FIN.
const TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The log would not open; for damage the message names the position and the
    /// command an operator runs next.
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("opening the log stopped unexpectedly: {0}")]
    OpenTask(#[source] tokio::task::JoinError),
    #[error("cannot open the personal-data key store: {0}")]
    KeyStore(#[from] antt_keystore::KeyStoreError),
    #[error(transparent)]
    KeyDir(#[from] crate::key_dir::KeyDirError),
    /// A thread of the log that writes panicked: this process can commit nothing more, so
    /// it ends (non-zero) for its supervisor to restart it; the open checks the store.
    #[error("the event log cannot take appends any more in this process ({0}); exiting so that the supervisor restarts anttd")]
    LogPanicked(antt_log::Halt),
    #[error("cannot build the reflection service from the descriptors: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error(transparent)]
    SigningKey(#[from] audit::signing_key::SigningKeyError),
    #[error("--witness {url}: the verifier key is not usable: {reason}")]
    Witness { url: String, reason: String },
    #[error("at most {max} witnesses can be configured, {given} were given", max = crate::limits::WITNESSES_MAX)]
    TooManyWitnesses { given: usize },
    #[error(transparent)]
    Projections(#[from] crate::projections::ProjectionsError),
    #[error(transparent)]
    Access(#[from] crate::access::setup::AccessSetupError),
    #[error("cannot listen for health probes on {addr}: {source}")]
    HealthListen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the TLS settings are not usable: {0}")]
    Tls(#[source] tonic::transport::Error),
    #[error("the gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("closing the log failed; appends acknowledged before are on disk, later ones may not be: {0}")]
    Close(#[source] AppendError),
}

/// Opens the sled log of `config.data_dir` and serves it on `listener` until `shutdown`
/// resolves; then stops accepting, lets calls in flight finish (at most
/// `config.shutdown_grace_secs`), and closes the log (flush and sync) before returning.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    // Before the log is opened (the open scans it): a server that would be open to the
    // network without TLS and token keys, or whose key files are bad, stops here at once.
    let access = prepare_access(&config, &listener)?;
    let sled_config = config.sled_config();
    tracing::info!(data_dir = %config.data_dir.display(), sync_mode = ?config.sync_mode, "opening the log");
    // Opening scans the whole log: blocking work, kept off the async workers.
    let log = tokio::task::spawn_blocking(move || SledLog::open(sled_config))
        .await
        .map_err(ServeError::OpenTask)??;
    let head = log.head();
    tracing::info!(next_position = head.next_position, "log opened");
    // Group sizes for the metrics; the log itself knows nothing of them.
    log.observe_commits(Box::new(|commit| crate::telemetry::metrics().group_committed(commit)));
    serve_and_close(&config, access, Arc::new(log), listener, shutdown).await
}

/// How callers are let in: the guard, and TLS if configured.
type Access = (crate::access::Gatekeeper, Option<tonic::transport::ServerTlsConfig>);

fn prepare_access(config: &Config, listener: &TcpListener) -> Result<Access, ServeError> {
    let listen_addr = listener.local_addr().unwrap_or(config.listen);
    Ok(crate::access::setup::gatekeeper(&config.access, listen_addr)?)
}

/// Serves an already open log, like [`serve`], and closes it before returning. For tests
/// and benchmarks that bring their own backend.
pub async fn serve_log<L: VerifiableLog>(
    config: &Config,
    log: Arc<L>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    match prepare_access(config, &listener) {
        Ok(access) => serve_and_close(config, access, log, listener, shutdown).await,
        Err(refused) => {
            if let Err(error) = log.close().await {
                tracing::error!(%error, "closing the log failed");
            }
            Err(refused)
        }
    }
}

async fn serve_and_close<L: VerifiableLog>(
    config: &Config,
    access: Access,
    log: Arc<L>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let served = run_server(config, access, log.clone(), listener, shutdown).await;
    // Close whatever happened to the server: the log must be flushed and synced.
    let closed = log.close().await.map_err(ServeError::Close);
    match (&served, &closed) {
        (Ok(()), Ok(())) => tracing::info!("log closed; shutdown complete"),
        (_, Err(error)) => tracing::error!(%error, "closing the log failed"),
        _ => {}
    }
    served.and(closed)
}

async fn run_server<L: VerifiableLog>(
    config: &Config,
    (gatekeeper, tls): Access,
    log: Arc<L>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if config.max_message_bytes < antt_log::limits::APPEND_BYTES_MAX {
        tracing::warn!(
            max_message_bytes = config.max_message_bytes,
            append_bytes_max = antt_log::limits::APPEND_BYTES_MAX,
            "ANTT_MAX_MESSAGE_BYTES is below the largest append the log accepts; large batches will be refused"
        );
    }
    let (health, health_service) = tonic_health::server::health_reporter();
    set_status(&health, ServingStatus::Serving).await;
    let reflection = reflection_builder().build_v1()?;
    let reflection_v1alpha = reflection_builder().build_v1alpha()?;
    let keys = Arc::new(KeyStore::open(crate::key_dir::resolve(config)?)?);
    let domain_routes = domain_api::routes(DomainApi {
        commands: Commands::new(log.clone()),
        keys,
        max_message_bytes: config.max_message_bytes,
    });
    let (stop_subscriptions, shutdown_signal) = shutdown_channel();
    if let Some(addr) = config.access.health_listen {
        serve_plaintext_health(addr, health_service.clone(), shutdown_signal.clone()).await?;
    }
    let (log_panicked, panicked) = tokio::sync::oneshot::channel();
    tokio::spawn(follow_log_halt(log.watch_halt(), health.clone(), log_panicked));
    let notary = Arc::new(notary(config, log.clone())?);
    tokio::spawn(audit::run_checkpoints(
        notary.clone(),
        config.checkpoint_interval(),
        config.checkpoint_events,
        shutdown_signal.clone(),
    ));
    tokio::spawn(audit::run_resubmissions(notary.clone(), shutdown_signal.clone()));
    let (stop_projections, projections_stop) = tokio::sync::watch::channel(false);
    let projections = crate::projections::start(
        log.clone(),
        &config.projections_dir(),
        config.sled_config().cache_capacity_bytes,
        projections_stop,
    )
    .await?;
    tokio::spawn(crate::projections::report_health(
        log.clone(),
        projections.clone(),
        health.clone(),
        shutdown_signal.clone(),
    ));
    let _observed = crate::telemetry::observe_server(observed(log.clone(), projections.clone()));
    let analytics = AnalyticsService::new(log.clone(), projections.clone()).into_server(config.max_message_bytes);
    let audit =
        AuditService::new(log.clone(), notary.clone(), projections.clone()).into_server(config.max_message_bytes);
    let projections_handle = projections.clone();
    let projections = ProjectionsService::new(log.clone(), projections).into_server(config.max_message_bytes);
    let event_store = EventStoreService::new(log, shutdown_signal).into_server(config.max_message_bytes);

    let local_addr = listener
        .local_addr()
        .map_or_else(|error| format!("unknown ({error})"), |addr| addr.to_string());
    // `serve_with_incoming` ignores the builder's TCP options; TcpIncoming applies them.
    // Without TCP_NODELAY a small response can wait for the peer's delayed ACK.
    let incoming = TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(TCP_KEEPALIVE));
    let incoming = crate::connections::bounded(incoming, crate::limits::CONNECTIONS_MAX);
    let (drain, drain_requested) = tokio::sync::oneshot::channel::<()>();
    let mut builder = Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls).map_err(ServeError::Tls)?;
    }
    // The tonic layer takes the shorter of this and the client's grpc-timeout.
    let server = builder
        // Outermost: the RPC span covers the whole call, a refusal by the guard included.
        .layer(crate::telemetry::RpcLayer)
        .layer(GuardLayer::new(gatekeeper))
        .timeout(config.request_timeout())
        .http2_keepalive_interval(Some(HTTP2_KEEPALIVE_INTERVAL))
        .http2_keepalive_timeout(Some(HTTP2_KEEPALIVE_TIMEOUT))
        .max_concurrent_streams(Some(crate::limits::HTTP2_STREAMS_PER_CONNECTION_MAX))
        .add_routes(domain_routes)
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(event_store)
        .add_service(audit)
        .add_service(projections)
        .add_service(analytics)
        .serve_with_incoming_shutdown(incoming, async {
            let _ = drain_requested.await;
        });
    let mut server = std::pin::pin!(server);
    tracing::info!(listen = %local_addr, "serving antt.v1.EventStore, antt.v1.Audit, antt.v1.Projections, antt.v1.Analytics and the domain services");

    tokio::select! {
        result = &mut server => {
            // Stopped before any shutdown signal: only an error does that.
            return result.map_err(ServeError::from);
        }
        Ok(halt) = panicked => return Err(ServeError::LogPanicked(halt)),
        () = shutdown => {}
    }

    tracing::info!("shutdown requested: refusing new calls, finishing calls in flight");
    set_status(&health, ServingStatus::NotServing).await;
    stop_subscriptions.fire();
    let _ = drain.send(());
    let grace = config.shutdown_grace();
    match tokio::time::timeout(grace, &mut server).await {
        Ok(result) => result?,
        Err(_) => tracing::warn!(
            grace_secs = grace.as_secs(),
            "calls still running after the grace period; closing the log anyway"
        ),
    }
    final_checkpoint(&notary, grace).await;
    let _ = stop_projections.send(true);
    projections_handle.stopped(grace).await;
    Ok(())
}

/// Health follows the log: the moment it halts (a storage failure: it refuses every
/// append until restarted), the whole server ("") and the event store turn NOT_SERVING, so
/// that load balancers and probes stop sending writes, while reads keep being answered. A
/// panic of a writing thread is sent on `panicked`: nothing can fix it in this process.
async fn follow_log_halt(
    mut halts: tokio::sync::watch::Receiver<Option<antt_log::Halt>>,
    health: HealthReporter,
    panicked: tokio::sync::oneshot::Sender<antt_log::Halt>,
) {
    // An error means the log is gone: the server is stopping anyway.
    let Ok(halt) = halts.wait_for(Option::is_some).await.map(|halt| halt.clone()) else {
        return;
    };
    let Some(halt) = halt else { return };
    tracing::error!(
        error = %halt,
        "the event log refuses every append until anttd is restarted; health is now NOT_SERVING \
         (reads are still answered). Fix the cause (e.g. free disk space), then restart: the open checks the store"
    );
    set_status(&health, ServingStatus::NotServing).await;
    if matches!(halt, antt_log::Halt::Panicked { .. }) {
        let _ = panicked.send(halt);
    }
}

/// Signs the head the server stops at, so that the last appends are covered by a
/// checkpoint before the next start (no-op when the latest checkpoint is of it).
async fn final_checkpoint<L: VerifiableLog>(notary: &Notary<L>, grace: Duration) {
    match tokio::time::timeout(grace, notary.checkpoint_now()).await {
        Ok(Ok(checkpoint)) => tracing::info!(size = checkpoint.tree_size, "final checkpoint signed"),
        Ok(Err(error)) => tracing::warn!(%error, "the final checkpoint could not be made"),
        Err(_) => tracing::warn!(
            grace_secs = grace.as_secs(),
            "the final checkpoint took longer than the grace period"
        ),
    }
}

/// The notary of `log`: its signing key (loaded or created) and its witnesses.
fn notary<L: VerifiableLog>(config: &Config, log: Arc<L>) -> Result<Notary<L>, ServeError> {
    if config.witnesses.len() > crate::limits::WITNESSES_MAX {
        return Err(ServeError::TooManyWitnesses {
            given: config.witnesses.len(),
        });
    }
    let signer = audit::signing_key::load_or_create(&config.signing_key_path(), config.log_origin.as_deref())?;
    let witnesses = config
        .witnesses
        .iter()
        .map(|witness| {
            let verifier = witness
                .verifier_key
                .parse()
                .map_err(|error: antt_audit::note::NoteError| ServeError::Witness {
                    url: witness.url.clone(),
                    reason: error.to_string(),
                })?;
            Ok(Witness {
                url: witness.url.clone(),
                verifier,
            })
        })
        .collect::<Result<Vec<_>, ServeError>>()?;
    let origin = signer.name().to_string();
    Ok(Notary::new(log, signer, origin, witnesses))
}

/// What the telemetry gauges read of this server at each collection.
fn observed<L: VerifiableLog>(
    log: Arc<L>,
    projections: crate::projections::Projections,
) -> impl Fn() -> crate::telemetry::Observed + Send + Sync + 'static {
    move || {
        let log_events = log.head().next_position;
        let applied = projections.current().1.borrow().applied;
        crate::telemetry::Observed {
            log_events,
            log_bytes: log.stored_bytes(),
            projection_lag: log_events.saturating_sub(applied),
        }
    }
}

/// Server reflection over every descriptor the server serves. Built once per protocol
/// version: `v1` for current tools, `v1alpha` for those that only speak it (Python's
/// grpcio-reflection client, Postman, grpcurl before 1.8.8). Each lists both reflection
/// services, since both answer on this port.
fn reflection_builder() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .include_reflection_service(false)
        .register_encoded_file_descriptor_set(antt_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
}

/// Serves only `grpc.health.v1.Health`, in plaintext, on `addr` until `shutdown`: for
/// probes that cannot speak TLS (Kubernetes' gRPC probes) when the main port requires it.
/// Health is public and says nothing but SERVING or NOT_SERVING.
async fn serve_plaintext_health(
    addr: std::net::SocketAddr,
    health: tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>,
    mut shutdown: crate::shutdown::ShutdownSignal,
) -> Result<(), ServeError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::HealthListen { addr, source })?;
    tracing::info!(%addr, "serving grpc.health.v1.Health in plaintext for probes");
    tokio::spawn(async move {
        let served = Server::builder()
            .concurrency_limit_per_connection(crate::limits::HEALTH_CALLS_PER_CONNECTION_MAX)
            .add_service(health)
            .serve_with_incoming_shutdown(TcpIncoming::from(listener), async move { shutdown.stopped().await })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "the plaintext health port failed");
        }
    });
    Ok(())
}

/// The whole server ("") and the event store share one status: there is nothing else.
async fn set_status(health: &HealthReporter, status: ServingStatus) {
    health.set_service_status("", status).await;
    health.set_service_status(EVENT_STORE_SERVICE, status).await;
}
