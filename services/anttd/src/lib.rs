//! `anttd`: the gRPC server of antt-ledger.
//!
//! # Layout
//! - [`commands`]: the one path by which a domain command is decided and recorded.
//! - [`config`]: flags and `ANTT_*` variables.
//! - [`server`]: [`serve`] and [`serve_log`]: listener, health, reflection, deadlines, shutdown.
//! - [`domain_api`]: the domain services, registered together.
//! - [`event_store`]: the `antt.v1.EventStore` service over any [`antt_log::EventLog`].
//! - [`streams`]: log reads and subscriptions as gRPC response streams.
//! - [`convert`]: wire types to log types and back, with field-by-field checks.
//! - [`status`]: the one place errors become gRPC statuses.
//! - [`shutdown`]: tells subscriptions that the server is stopping.
//! - [`logging`]: the tracing subscriber.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod commands;
pub mod config;
pub mod convert;
pub mod domain_api;
pub mod event_store;
pub mod logging;
pub mod server;
pub mod shutdown;
pub mod status;
pub mod streams;

pub use config::{Config, LogFormat, SyncModeArg};
pub use event_store::EventStoreService;
pub use server::{serve, serve_log, ServeError};
pub use shutdown::{shutdown_channel, ShutdownSignal, ShutdownTrigger};
