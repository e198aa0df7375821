//! `GET /metrics`: the Prometheus text exposition of the process's instruments, gathered
//! at each scrape. HTTP/1.1 on a listener of its own, a few connections at once, each
//! bounded in time and request size; request bodies are never read.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus::{Encoder, TextEncoder};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::limits;

const METRICS_PATH: &str = "/metrics";

/// The running endpoint.
pub(super) struct Endpoint {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Endpoint {
    /// Binds `address` and serves scrapes from `registry` until [`Endpoint::stop`].
    pub async fn start(address: SocketAddr, registry: prometheus::Registry) -> std::io::Result<Endpoint> {
        let listener = TcpListener::bind(address).await?;
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, Arc::new(registry), stopped));
        Ok(Endpoint { local_addr, stop, task })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting and ends the open connections (a scrape is short: each is bounded
    /// by `METRICS_REQUEST_MILLIS_MAX` anyway).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn serve(listener: TcpListener, registry: Arc<prometheus::Registry>, mut stopped: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(limits::METRICS_CONNECTIONS_MAX));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stopped.wait_for(|stopped| *stopped) => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        if let Some((stream, permit)) = accepted {
            connections.spawn(serve_connection(stream, Arc::clone(&registry), permit));
        }
        while connections.try_join_next().is_some() {}
    }
    connections.abort_all();
}

/// A slot, then a connection: past the bound, scrapers wait in the listen backlog.
async fn accept(listener: &TcpListener, slots: &Arc<Semaphore>) -> Option<(TcpStream, OwnedSemaphorePermit)> {
    let permit = Arc::clone(slots).acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _peer)) => Some((stream, permit)),
        Err(error) => {
            tracing::warn!(%error, "accepting a metrics scrape failed");
            // Usually out of descriptors: pausing keeps the loop from spinning.
            tokio::time::sleep(Duration::from_millis(limits::METRICS_REQUEST_MILLIS_MAX / 50)).await;
            None
        }
    }
}

async fn serve_connection(stream: TcpStream, registry: Arc<prometheus::Registry>, _slot: OwnedSemaphorePermit) {
    let bound = Duration::from_millis(limits::METRICS_REQUEST_MILLIS_MAX);
    let service = service_fn(move |request| answer(Arc::clone(&registry), request));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(bound)
        .max_buf_size(limits::METRICS_REQUEST_BYTES_MAX)
        .keep_alive(false);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    // A timeout just ends the connection: a scraper that stalls gets nothing.
    if let Ok(Err(error)) = tokio::time::timeout(bound, connection).await {
        tracing::debug!(%error, "a metrics scrape ended with an error");
    }
}

async fn answer(
    registry: Arc<prometheus::Registry>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() != METRICS_PATH {
        return Ok(plain(StatusCode::NOT_FOUND, "not found; metrics are on /metrics\n"));
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "/metrics takes GET\n"));
    }
    // Gathering runs the gauges' callbacks (a read lock and a few `stat`s): off the workers.
    let gathered = tokio::task::spawn_blocking(move || exposition(&registry)).await;
    Ok(match gathered {
        Ok(Ok(text)) => Response::builder()
            .header(header::CONTENT_TYPE, TextEncoder::new().format_type())
            .body(Full::new(Bytes::from(text)))
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot build the response\n")),
        Ok(Err(error)) => {
            tracing::warn!(%error, "encoding the metrics failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "encoding the metrics failed\n")
        }
        Err(error) => {
            tracing::warn!(%error, "gathering the metrics stopped unexpectedly");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "gathering the metrics failed\n")
        }
    })
}

/// The text format of everything `registry` gathers now.
fn exposition(registry: &prometheus::Registry) -> prometheus::Result<Vec<u8>> {
    let mut text = Vec::new();
    TextEncoder::new().encode(&registry.gather(), &mut text)?;
    Ok(text)
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
