//! C2SP Ed25519 checkpoint cosignatures (c2sp.org/tlog-cosignature, `cosignature/v1`,
//! signature type 0x04): a witness's timestamped statement that a checkpoint is the
//! largest consistent tree head it has seen for that log.

use std::fmt;

use ed25519_dalek::Signer as _;

use crate::checkpoint::Checkpoint;
use crate::note::{KeyKind, NoteError, NoteSignature, PrivateKey, Signer, Verifier, ED25519_SIGNATURE_BYTES};

/// The header line that separates cosignatures from every other use of the key.
const HEADER: &str = "cosignature/v1\n";
/// The timestamp precedes the Ed25519 signature in a cosignature's bytes.
const TIMESTAMP_BYTES: usize = 8;
/// The spec caps timestamps at 2^63 - 1 so that they fit a signed 64-bit time.
pub const TIMESTAMP_S_MAX: u64 = i64::MAX as u64;

/// Why a cosignature was not made or not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CosignatureError {
    #[error("verifier {0} is not a cosignature/v1 key")]
    NotCosignatureKey(String),
    #[error("signature line by {name}+{key_hash:08x} is not by this key")]
    OtherKey { name: String, key_hash: u32 },
    #[error("cosignature is {0} bytes, not 72")]
    Length(usize),
    #[error("timestamp {0} exceeds 2^63 - 1")]
    Timestamp(u64),
    #[error("cosignature does not verify")]
    Invalid,
    #[error("checkpoint cannot be cosigned: {0}")]
    Checkpoint(String),
    #[error(transparent)]
    Key(#[from] NoteError),
}

/// The message a cosignature signs: the header, `time <seconds>`, and the checkpoint's
/// whole note text.
pub fn signed_message(timestamp_s: u64, checkpoint_body: &str) -> String {
    format!("{HEADER}time {timestamp_s}\n{checkpoint_body}")
}

/// A witness's cosigning key.
pub struct CosignatureSigner {
    key: PrivateKey,
}

impl fmt::Debug for CosignatureSigner {
    // The seed stays out of logs: only the public half is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CosignatureSigner")
            .field("verifier", &self.verifier().to_string())
            .finish()
    }
}

impl CosignatureSigner {
    /// A new key from the operating system's randomness.
    pub fn generate(name: &str) -> Result<Self, CosignatureError> {
        Ok(CosignatureSigner {
            key: PrivateKey::generate(name, KeyKind::CosignatureV1)?,
        })
    }

    /// The key of a known Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, CosignatureError> {
        Ok(CosignatureSigner {
            key: PrivateKey::from_seed(name, KeyKind::CosignatureV1, seed)?,
        })
    }

    /// Reuses a note signer's key and name for cosignatures. The key ID differs (type
    /// 0x04), so signatures of the two kinds never pass for each other; still, the spec
    /// says a key SHOULD NOT serve both, so prefer a key used only for cosigning.
    pub fn from_signer(signer: &Signer) -> Self {
        let seed = signer.signing_key().to_bytes();
        let key = PrivateKey {
            name: signer.name().to_owned(),
            kind: KeyKind::CosignatureV1,
            key: (&seed).into(),
        };
        CosignatureSigner { key }
    }

    /// Reads a private key in Go's `PRIVATE+KEY+…` layout whose type byte is 0x04.
    pub fn from_private_key(text: &str) -> Result<Self, CosignatureError> {
        Ok(CosignatureSigner {
            key: PrivateKey::parse(text, KeyKind::CosignatureV1)?,
        })
    }

    /// The private key text; keep it secret.
    pub fn private_key_text(&self) -> String {
        self.key.text()
    }

    pub fn name(&self) -> &str {
        &self.key.name
    }

    pub fn key_hash(&self) -> u32 {
        self.key.key_hash()
    }

    /// The vkey to publish, with type 0x04.
    pub fn verifier(&self) -> Verifier {
        self.key.verifier()
    }

    /// Cosigns a checkpoint as of `timestamp_s` (POSIX seconds).
    pub fn cosign(&self, checkpoint: &Checkpoint, timestamp_s: u64) -> Result<NoteSignature, CosignatureError> {
        if timestamp_s > TIMESTAMP_S_MAX {
            return Err(CosignatureError::Timestamp(timestamp_s));
        }
        checkpoint
            .check()
            .map_err(|e| CosignatureError::Checkpoint(e.to_string()))?;
        let message = signed_message(timestamp_s, &checkpoint.to_body());
        let mut signature = Vec::with_capacity(TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES);
        signature.extend_from_slice(&timestamp_s.to_be_bytes());
        signature.extend_from_slice(&self.key.key.sign(message.as_bytes()).to_bytes());
        Ok(NoteSignature {
            name: self.key.name.clone(),
            key_hash: self.key_hash(),
            signature,
        })
    }
}

/// Verifies a witness's cosignature line on a checkpoint and returns its timestamp.
pub fn verify_cosignature(
    verifier: &Verifier,
    checkpoint: &Checkpoint,
    signature: &NoteSignature,
) -> Result<u64, CosignatureError> {
    if !verifier.matches(signature) {
        let (name, key_hash) = (signature.name.clone(), signature.key_hash);
        return Err(CosignatureError::OtherKey { name, key_hash });
    }
    verify_signature_bytes(verifier, &checkpoint.to_body(), &signature.signature)
}

/// Checks a cosignature's bytes (timestamp ‖ Ed25519 signature) over a checkpoint's note
/// text; [`Verifier::verify`] calls this for type 0x04 keys.
pub(crate) fn verify_signature_bytes(verifier: &Verifier, body: &str, bytes: &[u8]) -> Result<u64, CosignatureError> {
    if verifier.kind() != KeyKind::CosignatureV1 {
        return Err(CosignatureError::NotCosignatureKey(verifier.to_string()));
    }
    let length = CosignatureError::Length(bytes.len());
    let Some((timestamp, signature)) = bytes
        .split_at_checked(TIMESTAMP_BYTES)
        .filter(|(_, signature)| signature.len() == ED25519_SIGNATURE_BYTES)
    else {
        return Err(length);
    };
    let timestamp_s = u64::from_be_bytes(timestamp.try_into().map_err(|_| length)?);
    if timestamp_s > TIMESTAMP_S_MAX {
        return Err(CosignatureError::Timestamp(timestamp_s));
    }
    if !verifier.verify_bytes(signed_message(timestamp_s, body).as_bytes(), signature) {
        return Err(CosignatureError::Invalid);
    }
    Ok(timestamp_s)
}

#[cfg(test)]
mod tests;
