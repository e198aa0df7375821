//! (b) The same appends through a real `anttd::serve` on 127.0.0.1:0, over tonic.

use std::future::Future;
use std::path::Path;

use antt_log::{ExpectedVersion, NewEvent};
use antt_proto::v1 as pb;
use antt_proto::v1::event_store_client::EventStoreClient;
use anyhow::Context;
use tokio::sync::oneshot;
use tonic::transport::{Channel, Endpoint};

use crate::driver::{self, Appender, CellSpec, Measured, Samples, Timing};
use crate::workload::Batch;

/// Most HTTP/2 connections the clients share: writer i uses connection i mod this, so one
/// connection's stream multiplexing is not the bottleneck at 64 writers.
pub const CONNECTIONS_MAX: usize = 8;

struct GrpcAppender {
    client: EventStoreClient<Channel>,
}

impl Appender for GrpcAppender {
    async fn append(&mut self, batch: Batch) -> anyhow::Result<()> {
        let request = pb::AppendRequest {
            stream_id: batch.stream_id,
            expected: Some(expected_to_proto(batch.expected)),
            events: batch.events.into_iter().map(event_to_proto).collect(),
        };
        self.client.append(request).await.context("EventStore/Append")?;
        Ok(())
    }
}

fn expected_to_proto(expected: ExpectedVersion) -> pb::ExpectedVersion {
    use pb::expected_version::Kind;
    let kind = match expected {
        ExpectedVersion::Any => Kind::Any(pb::Empty {}),
        ExpectedVersion::NoStream => Kind::NoStream(pb::Empty {}),
        ExpectedVersion::StreamExists => Kind::StreamExists(pb::Empty {}),
        ExpectedVersion::Exact(version) => Kind::Exact(version),
    };
    pb::ExpectedVersion { kind: Some(kind) }
}

fn event_to_proto(event: NewEvent) -> pb::NewEvent {
    pb::NewEvent {
        event_id: event.event_id.to_string(),
        event_type: event.event_type,
        schema_version: event.schema_version,
        effective_at: None,
        // The server records its caller as actor (here "development"), whatever is sent.
        actor: String::new(),
        correlation_id: event.correlation_id.map(|id| id.to_string()).unwrap_or_default(),
        causation_id: event.causation_id.map(|id| id.to_string()).unwrap_or_default(),
        metadata: event.metadata.into_iter().collect(),
        content_type: event.content_type,
        payload: event.payload,
    }
}

/// How many connections c writers share.
pub fn connections_for(writers: usize) -> usize {
    writers.clamp(1, CONNECTIONS_MAX)
}

/// One cell: starts `anttd` over a fresh data dir in `dir`, runs the writers, stops it.
pub async fn run(dir: &Path, spec: CellSpec, timing: Timing) -> anyhow::Result<Measured> {
    let server = RunningServer::start_anttd(anttd::Config::for_data_dir(dir.join("anttd")))?;
    let measured = drive(&server.uri, spec, timing).await;
    server.stop().await?;
    measured
}

/// An `anttd` on 127.0.0.1:0, running on its own tokio runtime (one worker per core) and
/// threads, as a separate `anttd` process would, so that client tasks never sit in the
/// server's run queues; both still share the machine's cores, as PostgreSQL's backends
/// share them with its clients.
pub struct RunningServer {
    /// `http://127.0.0.1:<port>`.
    pub uri: String,
    stop_tx: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<anyhow::Result<()>>,
}

impl RunningServer {
    /// `anttd::serve(config)`: opens the sled log of `config.data_dir`, then serves it.
    pub fn start_anttd(config: anttd::Config) -> anyhow::Result<RunningServer> {
        RunningServer::start(move |listener, stop_rx| async move {
            anttd::serve(config, listener, async move {
                let _ = stop_rx.await;
            })
            .await
            .context("anttd::serve failed")
        })
    }

    /// Binds 127.0.0.1:0 and runs `serve(listener, stop)` on a runtime of its own until
    /// `stop` fires. The listener is bound before `serve` starts, so clients may connect
    /// at once; their first call waits until the server has opened its store.
    pub fn start<F, Fut>(serve: F) -> anyhow::Result<RunningServer>
    where
        F: FnOnce(tokio::net::TcpListener, oneshot::Receiver<()>) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
        listener
            .set_nonblocking(true)
            .context("making the listener non-blocking")?;
        let address = listener.local_addr().context("listener address")?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("anttd-main".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .thread_name("anttd-worker")
                    .enable_all()
                    .build()
                    .context("building the server runtime")?;
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).context("registering the listener")?;
                    serve(listener, stop_rx).await
                })
            })
            .context("starting the server thread")?;
        Ok(RunningServer {
            uri: format!("http://{address}"),
            stop_tx,
            thread,
        })
    }

    /// Stops the server (calls in flight finish, the log is closed) and waits for it.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop_tx.send(());
        let thread = self.thread;
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .context("joining the server thread")?
            .map_err(|_| anyhow::anyhow!("the server thread panicked"))?
    }
}

/// Runs one cell of `EventStore.Append` writers against a running server at `uri`.
pub async fn drive(uri: &str, spec: CellSpec, timing: Timing) -> anyhow::Result<Measured> {
    Ok(drive_samples(uri, spec, timing, "grpc")
        .await?
        .measured(spec.batch_events))
}

/// [`drive`] on streams named `<stream_prefix>-w<i>`, returning the raw samples.
pub async fn drive_samples(uri: &str, spec: CellSpec, timing: Timing, stream_prefix: &str) -> anyhow::Result<Samples> {
    let mut clients = Vec::new();
    for _ in 0..connections_for(spec.writers) {
        clients.push(connect(uri).await?);
    }
    // Wait until the server answers (it opens its store after binding), outside the cell.
    if let Some(client) = clients.first() {
        client
            .clone()
            .get_head(pb::GetHeadRequest {})
            .await
            .context("EventStore/GetHead before the cell")?;
    }
    let appenders = (0..spec.writers)
        .map(|writer_idx| GrpcAppender {
            client: clients[writer_idx % clients.len()].clone(),
        })
        .collect();
    driver::run_cell_samples(spec, timing, stream_prefix, appenders).await
}

/// Connects one HTTP/2 connection. The listener is bound before `serve` starts, so the
/// kernel accepts the connection even while the server still opens its store; the first
/// append then waits, inside the warm-up.
async fn connect(uri: &str) -> anyhow::Result<EventStoreClient<Channel>> {
    Ok(EventStoreClient::new(channel(uri).await?))
}

/// One HTTP/2 connection to `uri`, for any of the server's services.
pub async fn channel(uri: &str) -> anyhow::Result<Channel> {
    let endpoint = Endpoint::from_shared(uri.to_owned()).context("endpoint uri")?;
    endpoint.connect().await.with_context(|| format!("connecting to {uri}"))
}
