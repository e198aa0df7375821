//! (b) The same appends through a real `anttd::serve` on 127.0.0.1:0, over tonic.

use std::path::Path;

use antt_log::{ExpectedVersion, NewEvent};
use antt_proto::v1 as pb;
use antt_proto::v1::event_store_client::EventStoreClient;
use anyhow::Context;
use tokio::sync::oneshot;
use tonic::transport::{Channel, Endpoint};

use crate::driver::{self, Appender, CellSpec, Measured, Timing};
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
        actor: event.actor,
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
///
/// The server runs on its own tokio runtime and threads, as a separate `anttd` process
/// would, so that client tasks never sit in the server's run queues; both still share the
/// machine's cores, as PostgreSQL's backends share them with its clients.
pub async fn run(dir: &Path, spec: CellSpec, timing: Timing) -> anyhow::Result<Measured> {
    let config = anttd::Config::for_data_dir(dir.join("anttd"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    listener
        .set_nonblocking(true)
        .context("making the listener non-blocking")?;
    let address = listener.local_addr().context("listener address")?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = std::thread::Builder::new()
        .name("anttd-main".to_owned())
        .spawn(move || serve_on_own_runtime(config, listener, stop_rx))
        .context("starting the server thread")?;

    let measured = drive(&format!("http://{address}"), spec, timing).await;

    let _ = stop_tx.send(());
    tokio::task::spawn_blocking(move || server.join())
        .await
        .context("joining the server thread")?
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    measured
}

/// The server's side: a runtime with one worker per core, `anttd::serve` until stopped.
fn serve_on_own_runtime(
    config: anttd::Config,
    listener: std::net::TcpListener,
    stop_rx: oneshot::Receiver<()>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("anttd-worker")
        .enable_all()
        .build()
        .context("building the server runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).context("registering the listener")?;
        anttd::serve(config, listener, async move {
            let _ = stop_rx.await;
        })
        .await
        .context("anttd::serve failed")
    })
}

async fn drive(uri: &str, spec: CellSpec, timing: Timing) -> anyhow::Result<Measured> {
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
    driver::run_cell(spec, timing, "grpc", appenders).await
}

/// Connects one HTTP/2 connection. The listener is bound before `serve` starts, so the
/// kernel accepts the connection even while the server still opens its store; the first
/// append then waits, inside the warm-up.
async fn connect(uri: &str) -> anyhow::Result<EventStoreClient<Channel>> {
    let endpoint = Endpoint::from_shared(uri.to_owned()).context("endpoint uri")?;
    let channel = endpoint
        .connect()
        .await
        .with_context(|| format!("connecting to {uri}"))?;
    Ok(EventStoreClient::new(channel))
}
