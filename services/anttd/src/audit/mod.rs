//! Verifiable history, served: the `antt.v1.Audit` service, the notary that signs and
//! witnesses checkpoints, and the checkpoint signing key.

mod area_export;
pub mod notary;
pub mod service;
pub mod signing_key;
mod stream_events;

pub use notary::{run_checkpoints, Notary, NotaryError, Witness};
pub use service::AuditService;
