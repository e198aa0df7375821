//! A C2SP transparency log witness (c2sp.org/tlog-witness): an HTTP/1.1 server whose
//! `POST /add-checkpoint` cosigns a log's checkpoint once it has checked that the
//! checkpoint extends the last one it cosigned for that log, and a client for it.
//!
//! The protocol's rules live in `antt_audit::witness`; this crate routes, bounds,
//! serializes requests per log, persists, and replies.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use antt_audit::cosignature::CosignatureError;

mod client;
mod config;
pub mod limits;
mod server;
mod state;

pub use client::{submit, SubmitError, WitnessClient};
pub use config::WitnessConfig;
pub use server::Witness;

/// The path of the add-checkpoint call, under the submission prefix.
pub const ADD_CHECKPOINT_PATH: &str = "/add-checkpoint";

/// Why the witness could not start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{context} {}: {source}", path.display())]
    Io {
        context: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("listening on {address}: {source}")]
    Bind {
        address: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("witness key: {0}")]
    Key(#[source] CosignatureError),
    #[error("witness state: {0}")]
    State(String),
    #[error("configuration: {0}")]
    Config(String),
}

impl ServeError {
    pub(crate) fn io(context: &'static str, path: &Path, source: io::Error) -> Self {
        ServeError::Io {
            context,
            path: path.to_owned(),
            source,
        }
    }
}

/// Runs a witness until `shutdown` completes, then lets in-flight requests finish for
/// a bounded time.
pub async fn serve(config: WitnessConfig, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
    Witness::bind(config).await?.run(shutdown).await
}
