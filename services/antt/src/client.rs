//! Connecting to anttd.

use std::time::Duration;

use antt_proto::v1::event_store_client::EventStoreClient;
use tonic::transport::{Channel, Endpoint};

use crate::error::CliError;

/// How long to wait for the TCP and HTTP/2 handshake before saying the server is down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn connect(server: &str) -> Result<EventStoreClient<Channel>, CliError> {
    let connect_error = |source| CliError::Connect {
        server: server.to_string(),
        source,
    };
    let channel = Endpoint::from_shared(server.to_string())
        .map_err(connect_error)?
        .connect_timeout(CONNECT_TIMEOUT)
        .connect()
        .await
        .map_err(connect_error)?;
    Ok(EventStoreClient::new(channel))
}
