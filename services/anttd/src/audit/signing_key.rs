//! The log's checkpoint signing key: loaded from its file, or created there on first start
//! (mode 0600, synced with its directory) and announced in the log.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use antt_audit::note::Signer;
use uuid::Uuid;

/// Why the signing key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    #[error("cannot read the checkpoint signing key {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the checkpoint signing key {path}: {source}")]
    Create {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the checkpoint signing key {path} is not a signed-note private key: {reason}")]
    Malformed { path: String, reason: String },
    #[error("the checkpoint signing key {path} is for the log {key_origin:?}, not {configured:?}: a log's origin never changes")]
    OtherOrigin {
        path: String,
        key_origin: String,
        configured: String,
    },
}

/// The key at `path`, or a new one for `origin` (default `antt-ledger/<random>`) written there.
pub fn load_or_create(path: &Path, origin: Option<&str>) -> Result<Signer, SigningKeyError> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let signer = Signer::from_private_key(text.trim()).map_err(|error| SigningKeyError::Malformed {
                path: shown.clone(),
                reason: error.to_string(),
            })?;
            match origin {
                Some(configured) if configured != signer.name() => Err(SigningKeyError::OtherOrigin {
                    path: shown,
                    key_origin: signer.name().to_string(),
                    configured: configured.to_string(),
                }),
                _ => {
                    tracing::info!(path = %shown, origin = signer.name(), verifier_key = %signer.verifier(), "checkpoint signing key loaded");
                    Ok(signer)
                }
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => create(path, origin),
        Err(source) => Err(SigningKeyError::Read { path: shown, source }),
    }
}

fn create(path: &Path, origin: Option<&str>) -> Result<Signer, SigningKeyError> {
    let shown = path.display().to_string();
    let default_origin = format!("antt-ledger/{}", &Uuid::new_v4().simple().to_string()[..12]);
    let origin = origin.unwrap_or(&default_origin);
    let signer = Signer::generate(origin).map_err(|error| SigningKeyError::Malformed {
        path: shown.clone(),
        reason: error.to_string(),
    })?;
    let failed = |source| SigningKeyError::Create {
        path: shown.clone(),
        source,
    };
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(failed)?;
    file.write_all(format!("{}\n", signer.private_key_text()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(directory).and_then(|dir| dir.sync_all()).map_err(failed)?;
    tracing::warn!(
        path = %shown,
        origin,
        verifier_key = %signer.verifier(),
        "created a new checkpoint signing key (mode 0600): keep it safe and publish the verifier key to inspectors and witnesses"
    );
    Ok(signer)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_key_is_created_private_then_loaded_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("log-signing.key");
        let created = load_or_create(&path, None).unwrap();
        assert!(created.name().starts_with("antt-ledger/"));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let loaded = load_or_create(&path, None).unwrap();
        assert_eq!(loaded.verifier().to_string(), created.verifier().to_string());
        let same_origin = load_or_create(&path, Some(created.name())).unwrap();
        assert_eq!(same_origin.key_hash(), created.key_hash());
    }

    #[test]
    fn a_key_for_another_origin_or_a_malformed_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log-signing.key");
        load_or_create(&path, Some("antt-ledger/nga-son")).unwrap();
        assert!(matches!(
            load_or_create(&path, Some("antt-ledger/other")),
            Err(SigningKeyError::OtherOrigin { .. })
        ));
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            load_or_create(&path, None),
            Err(SigningKeyError::Malformed { .. })
        ));
    }
}
