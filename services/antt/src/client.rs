//! Connecting to anttd.

use std::time::Duration;

use antt_proto::v1::event_store_client::EventStoreClient;
use tonic::transport::{Channel, Endpoint};

use crate::error::CliError;

/// How long to wait for the TCP and HTTP/2 handshake before saying the server is down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The gRPC metadata key naming who issues a command (anttd's `ACTOR_METADATA_KEY`; the
/// server records it as actor).
pub const ACTOR_METADATA_KEY: &str = "antt-actor";

/// One HTTP/2 connection to anttd; concurrent calls on clones of it share it.
pub async fn channel(server: &str) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(server.to_string())?
        .connect_timeout(CONNECT_TIMEOUT)
        .connect()
        .await
}

pub async fn connect(server: &str) -> Result<EventStoreClient<Channel>, CliError> {
    let channel = channel(server).await.map_err(|source| CliError::Connect {
        server: server.to_string(),
        source,
    })?;
    Ok(EventStoreClient::new(channel))
}

/// A [`channel`] to `server`, or the error that says the server is unreachable.
pub async fn connected(server: &str) -> Result<Channel, CliError> {
    channel(server).await.map_err(|source| CliError::Connect {
        server: server.to_string(),
        source,
    })
}

/// Attempts of a call the server refuses as UNAVAILABLE (restarting, or its log refusing
/// writes for a moment) before a batch command gives up on it: about 25 s of back-off.
const UNAVAILABLE_ATTEMPTS_MAX: u32 = 8;
/// The wait before the second attempt; it doubles up to `UNAVAILABLE_BACKOFF_MAX`.
const UNAVAILABLE_BACKOFF_FIRST: Duration = Duration::from_millis(100);
const UNAVAILABLE_BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Runs `call` again, with a doubling wait, while the server answers UNAVAILABLE, at
/// most `UNAVAILABLE_ATTEMPTS_MAX` times; a last UNAVAILABLE says how many attempts it
/// took. Every other answer is returned as it is. The commands that send many requests
/// (the import, the demo) retry through it: their requests are idempotent.
pub async fn retry_unavailable<T, Fut>(mut call: impl FnMut() -> Fut) -> Result<T, tonic::Status>
where
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut backoff = UNAVAILABLE_BACKOFF_FIRST;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(status) if status.code() == tonic::Code::Unavailable && attempt < UNAVAILABLE_ATTEMPTS_MAX => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(UNAVAILABLE_BACKOFF_MAX);
                attempt += 1;
            }
            Err(status) if status.code() == tonic::Code::Unavailable => {
                let message = format!("{} (gave up after {attempt} attempts)", status.message());
                return Err(tonic::Status::unavailable(message));
            }
            answer => return answer,
        }
    }
}
