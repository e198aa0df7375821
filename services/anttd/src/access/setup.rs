//! From the access flags to the guard and the TLS settings, refusing to start a server
//! that would be open to the network: on a non-loopback address the server needs TLS and
//! token keys, unless the operator says `--insecure`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use antt_access::policy::{Grants, GrantsError};
use antt_access::token::{JwksError, TokenVerifier};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use super::guard::{Gatekeeper, Mode};
use crate::config::AccessArgs;

/// Largest certificate, key or CA file read, in bytes.
const PEM_FILE_BYTES_MAX: u64 = 1024 * 1024;

/// Why the server does not start with these access settings.
#[derive(Debug, thiserror::Error)]
pub enum AccessSetupError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is larger than {PEM_FILE_BYTES_MAX} bytes")]
    TooLarge { path: PathBuf },
    #[error("--jwks {path}: {source}")]
    Jwks {
        path: PathBuf,
        #[source]
        source: JwksError,
    },
    #[error("--system-grants {path}: {source}")]
    Grants {
        path: PathBuf,
        #[source]
        source: GrantsError,
    },
    #[error(
        "anttd would listen on {addr}, reachable from the network, {missing}. Configure --tls-cert/--tls-key and \
         --jwks/--token-issuer/--token-audience, or pass --insecure to serve like this anyway"
    )]
    Exposed { addr: SocketAddr, missing: &'static str },
}

/// The guard and, if configured, the TLS settings for a server listening on `addr`.
pub fn gatekeeper(
    args: &AccessArgs,
    addr: SocketAddr,
) -> Result<(Gatekeeper, Option<ServerTlsConfig>), AccessSetupError> {
    let mode = match &args.jwks {
        Some(path) => {
            let jwks = read_bounded(path)?;
            let issuer = args.token_issuer.as_deref().unwrap_or_default();
            let audience = args.token_audience.as_deref().unwrap_or_default();
            let verifier =
                TokenVerifier::from_jwks(&jwks, issuer, audience).map_err(|source| AccessSetupError::Jwks {
                    path: path.clone(),
                    source,
                })?;
            Mode::Tokens(verifier)
        }
        None => Mode::Development,
    };
    let tls = tls_config(args)?;
    let missing = match (&mode, &tls) {
        (Mode::Development, _) => Some("with no token keys: every caller would have every right"),
        (Mode::Tokens(_), None) => Some("without TLS: tokens would cross the network in the clear"),
        _ => None,
    };
    if let Some(missing) = missing {
        if !addr.ip().is_loopback() && !args.insecure {
            return Err(AccessSetupError::Exposed { addr, missing });
        }
    }
    if let Mode::Development = mode {
        tracing::warn!(
            listen = %addr,
            "DEVELOPMENT MODE: no token keys configured (--jwks); every call runs as the principal \
             \"development\" with every right except raw appends to domain streams. Never use this in production"
        );
    }
    let grants = match &args.system_grants {
        Some(path) => Grants::from_json(&read_bounded(path)?).map_err(|source| AccessSetupError::Grants {
            path: path.clone(),
            source,
        })?,
        None => Grants::default(),
    };
    Ok((Gatekeeper { mode, grants }, tls))
}

fn tls_config(args: &AccessArgs) -> Result<Option<ServerTlsConfig>, AccessSetupError> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        return Ok(None);
    };
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(read_bounded(cert)?, read_bounded(key)?));
    if let Some(ca) = &args.tls_client_ca {
        tls = tls
            .client_ca_root(Certificate::from_pem(read_bounded(ca)?))
            .client_auth_optional(args.tls_client_cert_optional);
    }
    Ok(Some(tls))
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, AccessSetupError> {
    let read_error = |source| AccessSetupError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > PEM_FILE_BYTES_MAX {
        return Err(AccessSetupError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    std::fs::read(path).map_err(read_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exposed_address_needs_keys_and_tls_or_insecure() {
        let public: SocketAddr = "0.0.0.0:50051".parse().unwrap();
        let loopback: SocketAddr = "127.0.0.1:50051".parse().unwrap();
        let none = AccessArgs::default();
        assert!(matches!(
            gatekeeper(&none, public),
            Err(AccessSetupError::Exposed { .. })
        ));
        assert!(matches!(
            gatekeeper(&none, loopback),
            Ok((
                Gatekeeper {
                    mode: Mode::Development,
                    ..
                },
                None
            ))
        ));
        let insecure = AccessArgs {
            insecure: true,
            ..AccessArgs::default()
        };
        assert!(gatekeeper(&insecure, public).is_ok());
    }
}
