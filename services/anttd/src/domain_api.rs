//! The domain services (`antt.v1.Areas`, `Forces`, `Incidents`, `Ratings`, `Inspections`,
//! `Targets`, `Records`) gathered in one place, so the server registers them with one call.

use std::sync::Arc;

use antt_keystore::KeyStore;
use antt_log::EventLog;
use tonic::service::{Routes, RoutesBuilder};

use crate::commands::Commands;
use crate::incidents::IncidentsService;
use crate::inspections::InspectionsService;
use crate::ratings::RatingsService;
use crate::records::RecordsService;
use crate::targets::TargetsService;

/// What every domain service needs.
pub struct DomainApi<L> {
    pub commands: Commands<L>,
    pub keys: Arc<KeyStore>,
    pub max_message_bytes: usize,
}

/// The gRPC routes of every domain service.
pub fn routes<L: EventLog>(api: DomainApi<L>) -> Routes {
    let mut builder = RoutesBuilder::default();
    builder.add_service(crate::areas::AreasService::new(api.commands.clone()).into_server(api.max_message_bytes));
    builder.add_service(IncidentsService::new(api.commands.clone()).into_server(api.max_message_bytes));
    builder.add_service(RatingsService::new(api.commands.clone()).into_server(api.max_message_bytes));
    builder.add_service(InspectionsService::new(api.commands.clone()).into_server(api.max_message_bytes));
    builder.add_service(TargetsService::new(api.commands.clone()).into_server(api.max_message_bytes));
    builder.add_service(RecordsService::new(api.commands.clone(), api.keys.clone()).into_server(api.max_message_bytes));
    builder.add_service(
        crate::forces::ForcesService::new(api.commands.clone(), api.keys.clone()).into_server(api.max_message_bytes),
    );
    builder.routes()
}
