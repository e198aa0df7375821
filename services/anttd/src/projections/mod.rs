//! The `antt.v1.Projections` service: rosters and statistics for any day, as the records
//! stood at any moment, read from `antt-projections`' indexes.
//!
//! - `axes.rs`: the two time axes of a query (and its period), read and checked, and
//!   turned into a snapshot of the store once the engine has read far enough.
//! - `service.rs`: the RPCs.
//! - `runner.rs`: opens the store beside the log and runs the engine on its own task.

pub(crate) mod axes;
mod runner;
mod service;

pub use runner::{report_health, start, Projections, ProjectionsError, SERVICE_NAME};
pub use service::ProjectionsService;
