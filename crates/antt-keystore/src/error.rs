//! The one error enum of the key store.
//!
//! Messages never carry a subject id: subject ids may end up in logs, and the whole point of this
//! crate is that nothing about a forgotten person lingers. Paths carry only the subject's hash.

use std::io;
use std::path::PathBuf;

use crate::sealed::KeyId;

/// Why a key store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// The subject id was empty. Refused because an unset protobuf string field is `""`, and
    /// every such caller bug would otherwise share one key.
    #[error("subject id is empty")]
    EmptySubject,

    /// The subject was forgotten: its key is destroyed, and no new key may be created for it.
    #[error("subject was forgotten at {at} (Unix microseconds); its key is destroyed")]
    Forgotten {
        /// When the subject was forgotten, in Unix microseconds.
        at: i64,
    },

    /// No key and no tombstone exist for the subject: `create_key` was never called, or the key
    /// directory was lost or is the wrong one. Never reported as an erasure.
    #[error("no key exists for this subject")]
    UnknownSubject,

    /// The sealed data names a key other than the subject's: it belongs to another subject, or its
    /// key id was tampered with.
    #[error("sealed data names key {found}, but this subject's key is {expected}")]
    KeyMismatch {
        /// The subject's key (live or destroyed).
        expected: KeyId,
        /// The key named in the sealed data.
        found: KeyId,
    },

    /// The ciphertext failed authentication: tampered with, or sealed for another subject.
    #[error("sealed data failed authentication (tampered, or sealed for another subject)")]
    Unauthentic,

    /// Sealed bytes that do not follow the layout of [`crate::SealedData::to_bytes`].
    #[error("malformed sealed data: {0}")]
    MalformedSealed(&'static str),

    /// The plaintext is too long for XChaCha20-Poly1305 (about 256 GiB).
    #[error("plaintext too long to seal")]
    PlaintextTooLong,

    /// A file in the key directory does not have the expected format.
    #[error("corrupt key store file {path}: {reason}")]
    Corrupt {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The operating system's random number generator failed.
    #[error("system random number generator failed: {0}")]
    Rng(String),

    /// A key store backup that is not whole, not one, or could not be written.
    #[error("key store backup: {0}")]
    Backup(String),

    /// A key store backup is restored only into an empty or new directory.
    #[error("{path} is not empty; a key store backup is restored into a new directory")]
    NotEmpty {
        /// The directory.
        path: PathBuf,
    },

    /// Reading or writing the key directory failed.
    #[error("key store I/O on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl KeyStoreError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> KeyStoreError {
        let path = path.into();
        move |source| KeyStoreError::Io { path, source }
    }
}
