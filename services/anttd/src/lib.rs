//! `anttd`: the gRPC server of antt-ledger.
//!
//! # Layout
//! - [`analytics`]: the `antt.v1.Analytics` service: the projections' rows, streamed for analysis.
//! - [`areas`]: the `antt.v1.Areas` service: administrative areas, their changes and views.
//! - [`audit`]: the `antt.v1.Audit` service, the notary that signs and witnesses checkpoints.
//! - [`commands`]: the one path by which a domain command is decided and recorded.
//! - [`config`]: flags and `ANTT_*` variables.
//! - [`key_dir`]: where the key store lives (beside the data directory) and the refusal of
//!   one left inside it.
//! - [`connections`]: the bounded accept loop (`limits::CONNECTIONS_MAX`).
//! - [`server`]: [`serve`] and [`serve_log`]: listener, health, reflection, deadlines, shutdown.
//! - [`domain_api`]: the domain services, registered together.
//! - [`event_store`]: the `antt.v1.EventStore` service over any [`antt_log::EventLog`].
//! - [`forces`]: the `antt.v1.Forces` service: teams, members and persons.
//! - [`persons`]: persons' personal data, sealed under a key per person and erasable.
//! - [`incidents`]: the `antt.v1.Incidents` service: incidents, tips and arrests.
//! - `request`: the request handling the domain services share: `Fields`, the one reader
//!   of request fields (every problem gathered, worded alike in every service), area and
//!   team facts, request paths, command and read spans.
//! - `steps`: commands written as several steps on several records (merge, split,
//!   restructure): checked first, then written in order, finished by a retry.
//! - [`ratings`]: the `antt.v1.Ratings` service: yearly safety ratings of units.
//! - [`inspections`]: the `antt.v1.Inspections` service: findings and remedial actions.
//! - [`targets`]: the `antt.v1.Targets` service: a resolution's yearly targets and values.
//! - [`records`]: the `antt.v1.Records` service: directive documents, reported figures,
//!   awards, conferences, offices held and team composition policies, each read as of a
//!   date.
//! - `views`: the read models of the Get RPCs, one module per kind of record.
//! - [`streams`]: log reads and subscriptions as gRPC response streams.
//! - [`convert`]: wire types to log types and back, with field-by-field checks.
//! - [`status`]: the one place a gRPC status is built, from every error and refusal.
//! - [`limits`]: the server's own bounds (the log's are in `antt_log::limits`).
//! - [`shutdown`]: tells subscriptions that the server is stopping.
//! - [`logging`]: the tracing subscriber.
//! - [`telemetry`]: traces and metrics over OpenTelemetry (OTLP, Prometheus scrape).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod access;
pub mod analytics;
pub mod areas;
pub mod audit;
pub mod commands;
pub mod config;
pub mod connections;
pub mod convert;
pub mod domain_api;
pub mod event_store;
pub mod forces;
pub mod incidents;
pub mod inspections;
pub mod key_dir;
pub mod limits;
pub mod logging;
pub mod persons;
pub mod projections;
pub mod ratings;
pub mod records;
pub(crate) mod request;
pub mod server;
pub mod shutdown;
pub mod status;
pub(crate) mod steps;
pub mod streams;
pub mod targets;
pub mod telemetry;
pub(crate) mod views;

pub use config::{Config, LogFormat, SyncModeArg};
pub use event_store::EventStoreService;
pub use server::{serve, serve_log, ServeError};
pub use shutdown::{shutdown_channel, ShutdownSignal, ShutdownTrigger};
