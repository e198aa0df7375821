//! The HTTP side: accepting within bounds, routing, and the add-checkpoint handler.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use antt_audit::checkpoint::SignedCheckpoint;
use antt_audit::cosignature::CosignatureSigner;
use antt_audit::merkle::verify_consistency;
use antt_audit::note::{Note, Verifier};
use antt_audit::witness::{decide, AddCheckpointRequest, WitnessRefusal, TLOG_SIZE_CONTENT_TYPE};
use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout};

use crate::config::{load_or_create_key, WitnessConfig};
use crate::limits::{
    ACCEPT_RETRY_MILLIS, CONNECTIONS_MAX, CONNECTION_SECONDS_MAX, REQUEST_BODY_BYTES_MAX, REQUEST_SECONDS_MAX,
    SHUTDOWN_GRACE_SECONDS_MAX,
};
use crate::state::{self, Logs};
use crate::{ServeError, ADD_CHECKPOINT_PATH};

struct Shared {
    signer: CosignatureSigner,
    logs: Logs,
}

/// A witness bound to its address, with its key and state loaded.
pub struct Witness {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl Witness {
    /// Loads (or creates) the key, loads the state of every configured log, and binds.
    pub async fn bind(config: WitnessConfig) -> Result<Self, ServeError> {
        let WitnessConfig {
            listen,
            state_dir,
            key_file,
            name,
            logs,
        } = config;
        let shared = tokio::task::spawn_blocking(move || -> Result<Shared, ServeError> {
            let signer = load_or_create_key(&key_file, &name)?;
            Ok(Shared {
                signer,
                logs: state::load(&state_dir, &logs)?,
            })
        })
        .await
        .map_err(|e| ServeError::State(format!("loading failed: {e}")))??;
        let listener = TcpListener::bind(listen).await.map_err(|source| ServeError::Bind {
            address: listen,
            source,
        })?;
        Ok(Witness {
            listener,
            shared: Arc::new(shared),
        })
    }

    /// The address bound, with the actual port when the configuration asked for 0.
    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        self.listener
            .local_addr()
            .map_err(|e| ServeError::Config(format!("no local address: {e}")))
    }

    /// The witness's cosignature verifier key, to give to the logs' clients.
    pub fn verifier(&self) -> Verifier {
        self.shared.signer.verifier()
    }

    /// Serves until `shutdown` completes, then closes connections gracefully, waiting
    /// at most `SHUTDOWN_GRACE_SECONDS_MAX`.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
        let Witness { listener, shared } = self;
        let slots = Arc::new(Semaphore::new(CONNECTIONS_MAX));
        let (stop, stopped) = watch::channel(false);
        let mut connections = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = accept(&listener, &slots) => accepted,
            };
            if let Some((stream, permit)) = accepted {
                connections.spawn(serve_connection(stream, Arc::clone(&shared), permit, stopped.clone()));
            }
            while connections.try_join_next().is_some() {}
        }
        drop(listener);
        // Receivers may all be gone already; that only means no connection is open.
        let _ = stop.send(true);
        let grace = Duration::from_secs(SHUTDOWN_GRACE_SECONDS_MAX);
        if timeout(grace, async { while connections.join_next().await.is_some() {} })
            .await
            .is_err()
        {
            tracing::warn!("connections still open after the shutdown grace period; closing them");
            connections.abort_all();
        }
        Ok(())
    }
}

/// Takes a connection slot, then a connection: past the bound, clients wait in the
/// listen backlog rather than being served.
async fn accept(listener: &TcpListener, slots: &Arc<Semaphore>) -> Option<(TcpStream, OwnedSemaphorePermit)> {
    let permit = Arc::clone(slots).acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _peer)) => Some((stream, permit)),
        Err(error) => {
            // Usually transient (out of descriptors); pausing keeps the loop from spinning.
            tracing::warn!(%error, "accept failed");
            sleep(Duration::from_millis(ACCEPT_RETRY_MILLIS)).await;
            None
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    _slot: OwnedSemaphorePermit,
    mut stopped: watch::Receiver<bool>,
) {
    let service = service_fn(move |request| handle(Arc::clone(&shared), request));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(REQUEST_SECONDS_MAX));
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
            return;
        }
        () = sleep(Duration::from_secs(CONNECTION_SECONDS_MAX)) => {}
        _ = stopped.wait_for(|stopped| *stopped) => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = timeout(Duration::from_secs(SHUTDOWN_GRACE_SECONDS_MAX), connection).await;
}

type Body = Full<Bytes>;

async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    if request.uri().path() != ADD_CHECKPOINT_PATH {
        return Ok(text(StatusCode::NOT_FOUND, "not found\n".into()));
    }
    if request.method() != Method::POST {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "add-checkpoint takes POST\n".into());
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return Ok(response);
    }
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(response) => return Ok(response),
    };
    // Spawned, because hyper drops this future when the client goes away, and nothing
    // may stop between persisting a checkpoint and recording it in memory.
    match tokio::spawn(add_checkpoint(shared, body)).await {
        Ok(response) => Ok(response),
        Err(error) => {
            tracing::error!(%error, "add-checkpoint task failed");
            Ok(text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n".into()))
        }
    }
}

/// Reads the body within the size and time bounds.
async fn read_body(request: Request<Incoming>) -> Result<Bytes, Response<Body>> {
    let too_large = || {
        text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body exceeds {REQUEST_BODY_BYTES_MAX} bytes\n"),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > REQUEST_BODY_BYTES_MAX as u64) {
        return Err(too_large());
    }
    let body = Limited::new(request.into_body(), REQUEST_BODY_BYTES_MAX);
    match timeout(Duration::from_secs(REQUEST_SECONDS_MAX), body.collect()).await {
        Err(_) => Err(text(StatusCode::REQUEST_TIMEOUT, "body too slow\n".into())),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(error)) => Err(text(
            StatusCode::BAD_REQUEST,
            format!("could not read the body: {error}\n"),
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

enum Failure {
    Refused(WitnessRefusal),
    Internal(String),
}

impl From<WitnessRefusal> for Failure {
    fn from(refusal: WitnessRefusal) -> Self {
        Failure::Refused(refusal)
    }
}

async fn add_checkpoint(shared: Arc<Shared>, body: Bytes) -> Response<Body> {
    match decide_and_cosign(&shared, &body).await {
        Ok(lines) => text(StatusCode::OK, lines),
        Err(Failure::Refused(refusal)) => refusal_response(&refusal),
        Err(Failure::Internal(error)) => {
            tracing::error!(%error, "add-checkpoint failed");
            text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n".into())
        }
    }
}

/// The spec's checks, under the log's lock from reading its state to persisting the
/// new one, so two racing requests cannot both extend the same old size.
async fn decide_and_cosign(shared: &Shared, body: &[u8]) -> Result<String, Failure> {
    let request = AddCheckpointRequest::parse(body)?;
    let origin = request.origin()?;
    let log = shared
        .logs
        .get(&origin)
        .ok_or_else(|| WitnessRefusal::UnknownOrigin(origin.clone()))?;
    let mut latest = log.latest.lock().await;
    let stored = latest.signed.as_ref().map(|signed| &signed.checkpoint);
    let checkpoint = decide(stored, &request, Some(&log.verifier), verify_consistency).inspect_err(|refusal| {
        // A validly signed but inconsistent checkpoint may be evidence of a fork.
        let size = stored.map_or(0, |c| c.size);
        tracing::warn!(origin, stored_size = size, old_size = request.old_size, %refusal, "checkpoint refused");
    })?;
    let timestamp_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| Failure::Internal(format!("clock before 1970: {e}")))?
        .as_secs();
    let cosignature = shared
        .signer
        .cosign(&checkpoint, timestamp_s)
        .map_err(|e| Failure::Internal(e.to_string()))?;
    let kept = kept_note(&request, &log.verifier, &cosignature)?;
    state::persist(latest.path.clone(), kept.to_text())
        .await
        .map_err(|e| Failure::Internal(e.to_string()))?;
    tracing::info!(origin, size = checkpoint.size, "checkpoint cosigned");
    latest.signed = Some(kept);
    Ok(cosignature.to_line())
}

/// What is stored: the checkpoint with only the log's signatures and this witness's
/// cosignature, so the file stays small whatever else the request carried.
fn kept_note(
    request: &AddCheckpointRequest,
    log: &Verifier,
    cosignature: &antt_audit::note::NoteSignature,
) -> Result<SignedCheckpoint, Failure> {
    let signed =
        SignedCheckpoint::parse_unverified(&request.checkpoint_text).map_err(|e| Failure::Internal(e.to_string()))?;
    let mut signatures: Vec<_> = signed.note.signatures.into_iter().filter(|s| log.matches(s)).collect();
    signatures.push(cosignature.clone());
    let note = Note {
        text: signed.note.text,
        signatures,
    };
    Ok(SignedCheckpoint {
        checkpoint: signed.checkpoint,
        note,
    })
}

fn refusal_response(refusal: &WitnessRefusal) -> Response<Body> {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match refusal {
        WitnessRefusal::Conflict { stored_size } => {
            let mut response = text(status, format!("{stored_size}\n"));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(TLOG_SIZE_CONTENT_TYPE),
            );
            response
        }
        other => text(status, format!("{other}\n")),
    }
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let plain = header::HeaderValue::from_static("text/plain; charset=utf-8");
    response.headers_mut().insert(header::CONTENT_TYPE, plain);
    response
}
