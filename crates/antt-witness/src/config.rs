//! What a witness is told at start, and its key file.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use antt_audit::cosignature::CosignatureSigner;
use antt_audit::note::Verifier;

use crate::limits::KEY_FILE_BYTES_MAX;
use crate::ServeError;

/// The witness's configuration.
#[derive(Debug, Clone)]
pub struct WitnessConfig {
    /// Where to listen for HTTP/1.1.
    pub listen: SocketAddr,
    /// Where the last cosigned checkpoint of each log is kept.
    pub state_dir: PathBuf,
    /// The witness's private key; created on first start if absent.
    pub key_file: PathBuf,
    /// The witness's name (a schema-less URL), used when the key is created.
    pub name: String,
    /// The logs witnessed: checkpoint origin → the log's note verifier key.
    pub logs: BTreeMap<String, Verifier>,
}

/// Reads the witness key, or creates it (mode 0600) when the file does not exist.
pub(crate) fn load_or_create_key(path: &Path, name: &str) -> Result<CosignatureSigner, ServeError> {
    match File::open(path) {
        Ok(file) => read_key(path, file, name),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => create_key(path, name),
        Err(error) => Err(ServeError::io("opening the key file", path, error)),
    }
}

fn read_key(path: &Path, file: File, name: &str) -> Result<CosignatureSigner, ServeError> {
    let mode = file
        .metadata()
        .map_err(|e| ServeError::io("reading the key file", path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "witness key file is readable by others");
    }
    let mut text = String::new();
    file.take(KEY_FILE_BYTES_MAX)
        .read_to_string(&mut text)
        .map_err(|e| ServeError::io("reading the key file", path, e))?;
    let signer = CosignatureSigner::from_private_key(text.trim_end()).map_err(ServeError::Key)?;
    // A key under another name would cosign as a witness nobody configured.
    if signer.name() != name {
        return Err(ServeError::Config(format!(
            "key file {} is for witness {:?}, not {name:?}",
            path.display(),
            signer.name()
        )));
    }
    tracing::info!(path = %path.display(), verifier = %signer.verifier(), "witness key loaded");
    Ok(signer)
}

fn create_key(path: &Path, name: &str) -> Result<CosignatureSigner, ServeError> {
    let signer = CosignatureSigner::generate(name).map_err(ServeError::Key)?;
    // create_new: never overwrite a key another process just wrote.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| ServeError::io("creating the key file", path, e))?;
    file.write_all(format!("{}\n", signer.private_key_text()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| ServeError::io("writing the key file", path, e))?;
    sync_parent(path)?;
    tracing::info!(path = %path.display(), verifier = %signer.verifier(), "witness key created");
    Ok(signer)
}

/// Makes a rename or creation in `path`'s directory durable.
pub(crate) fn sync_parent(path: &Path) -> Result<(), ServeError> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(parent)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| ServeError::io("syncing the directory", parent, e))
}

/// Creates the state directory if needed.
pub(crate) fn ensure_dir(path: &Path) -> Result<(), ServeError> {
    fs::create_dir_all(path).map_err(|e| ServeError::io("creating the state directory", path, e))
}
