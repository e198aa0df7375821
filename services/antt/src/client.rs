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
