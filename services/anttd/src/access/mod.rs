//! Who may do what (issue 10): the guard in front of every service, the kinds of call,
//! the jurisdiction of writes, and the record of every read of personal data.
//!
//! - [`guard`]: authenticates each call (bearer token or development mode) and refuses
//!   what the caller's role may not do; puts the [`Principal`] on the request.
//! - [`methods`]: which kind of access each RPC needs.
//! - [`located`]: where each kind of record is.
//! - [`jurisdiction`]: a clerk's write must be inside their area's subtree on the date
//!   it takes effect.
//! - [`raw`]: raw appends never write a domain record's stream (but for migration).
//! - [`reads`]: every read of a person's personal data is itself recorded in the log.
//! - [`setup`]: from the flags to the guard and TLS; refuses to expose an open server.
//!
//! The roles, tokens and rules themselves are `antt_access`, which does no I/O.

pub mod guard;
pub mod jurisdiction;
pub mod located;
pub mod methods;
pub mod raw;
pub mod reads;
pub mod setup;

use antt_access::Principal;
use tonic::Status;

pub use guard::{Gatekeeper, GuardLayer, Mode};
pub use jurisdiction::{bounded_by_jurisdiction, ensure_may_write};
pub use located::{Located, Location};

/// PERMISSION_DENIED for `principal`, logged and counted (`antt_denials_total`). Nothing has been written.
pub fn denied(principal: &Principal, reason: &str, why: String) -> Status {
    crate::telemetry::record_denial(tonic::Code::PermissionDenied, principal.role.as_str());
    tracing::warn!(actor = %principal.actor(), role = %principal.role, reason, %why, "call denied");
    crate::status::permission_denied(reason, principal.role, &why)
}

/// The principal the guard established for `request`. A request that did not pass the
/// guard has none, and is refused: a service is never reached anonymously.
pub fn principal_of<T>(request: &tonic::Request<T>) -> Result<Principal, Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| crate::status::unauthenticated("the call did not pass the server's access guard"))
}
