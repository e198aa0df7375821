//! `antt admin health`: the standard gRPC health check of a running server, for container
//! health checks where no other health client is at hand (the anttd image has no shell).

use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::client::channel;
use crate::error::CliError;

pub async fn run(server: &str, service: &str) -> Result<(), CliError> {
    let channel = channel(server).await.map_err(|source| CliError::Connect {
        server: server.to_string(),
        source,
    })?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_string(),
        })
        .await?
        .into_inner();
    let status = response.status();
    println!("{}", status.as_str_name());
    match status {
        ServingStatus::Serving => Ok(()),
        other => Err(CliError::Failed(format!(
            "{} is {}",
            if service.is_empty() { "the server" } else { service },
            other.as_str_name()
        ))),
    }
}
