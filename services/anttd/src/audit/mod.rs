//! Verifiable history, served: the `antt.v1.Audit` service, the notary that signs and
//! witnesses checkpoints, the task that submits again what a witness missed, and the
//! checkpoint signing key.

mod area_export;
pub mod notary;
pub mod resubmit;
pub mod service;
pub mod signing_key;
mod stream_events;

pub use notary::{run_checkpoints, Notary, NotaryError, Witness};
pub use resubmit::run_resubmissions;
pub use service::AuditService;
