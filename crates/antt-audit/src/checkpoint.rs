//! C2SP transparency log checkpoints (c2sp.org/tlog-checkpoint): a signed note whose
//! text is a log's origin, tree size and root hash, then optional extension lines.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use crate::cosignature::{self, CosignatureError};
use crate::encoding::parse_decimal;
use crate::limits::CHECKPOINT_EXTENSIONS_MAX;
use crate::merkle::Hash;
use crate::note::{self, KeyKind, Note, NoteError, NoteSignature, Signer, Verifier};

/// Why a checkpoint was refused.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error(transparent)]
    Cosignature(#[from] CosignatureError),
}

/// A log's tree head as its checkpoint text states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Opaque non-empty lines after the root, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: origin, size and base64 root hash, then the extension lines, each
    /// ending in a newline.
    pub fn to_body(&self) -> String {
        let mut body = format!("{}\n{}\n{}\n", self.origin, self.size, BASE64.encode(self.root));
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Parses a note text as a checkpoint, refusing anything `to_body` would not write.
    pub fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        note::check_text(text)?;
        // `check_text` guarantees the final newline, so every line is terminated.
        let mut lines = text.split_terminator('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next()) else {
            return Err(CheckpointError::Malformed("fewer than three lines"));
        };
        if origin.is_empty() {
            return Err(CheckpointError::Malformed("empty origin"));
        }
        let size = parse_decimal(size).ok_or(CheckpointError::Malformed("size is not a canonical decimal"))?;
        let root = parse_hash(root).ok_or(CheckpointError::Malformed("root is not a base64 32-byte hash"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.len() > CHECKPOINT_EXTENSIONS_MAX {
            return Err(CheckpointError::Malformed("too many extension lines"));
        }
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("empty extension line"));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// Checks that the fields make a body that parses back to them: no newline inside a
    /// field, no empty origin or extension, no control character.
    pub fn check(&self) -> Result<(), CheckpointError> {
        if Checkpoint::parse_body(&self.to_body())? != *self {
            return Err(CheckpointError::Malformed("a field holds a newline"));
        }
        Ok(())
    }
}

/// Parses one base64 hash line, as checkpoints and consistency proofs write them.
pub fn parse_hash(text: &str) -> Option<Hash> {
    BASE64.decode(text).ok()?.try_into().ok()
}

/// One hash in base64, as checkpoints and consistency proofs write them.
pub fn hash_text(hash: &Hash) -> String {
    BASE64.encode(hash)
}

/// A witness cosignature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCosignature {
    pub name: String,
    pub key_hash: u32,
    pub timestamp_s: u64,
}

/// A checkpoint and the note that carries it, with the log's signature and any
/// cosignatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub note: Note,
}

impl SignedCheckpoint {
    /// Signs a checkpoint with the log's key.
    pub fn sign(checkpoint: Checkpoint, signer: &Signer) -> Result<Self, CheckpointError> {
        checkpoint.check()?;
        let note = Note::sign(&checkpoint.to_body(), &[signer])?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// Parses a signed checkpoint WITHOUT verifying any signature: only for text this
    /// process wrote itself, such as a witness's own state.
    pub fn parse_unverified(text: &str) -> Result<Self, CheckpointError> {
        let note = Note::parse(text)?;
        let checkpoint = Checkpoint::parse_body(&note.text)?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// Parses a signed checkpoint and verifies the log's signature on it.
    pub fn parse_and_verify(text: &str, log_verifier: &Verifier) -> Result<Self, CheckpointError> {
        let signed = SignedCheckpoint::parse_unverified(text)?;
        signed.note.open(std::slice::from_ref(log_verifier))?;
        Ok(signed)
    }

    /// The cosignatures by the given witness keys that verify. Lines by other keys are
    /// ignored; a line by one of these keys that fails to verify is an error, since the
    /// note is then malformed (signed-note). Finding none is not an error: how many are
    /// needed is the caller's policy.
    pub fn cosignatures(&self, witnesses: &[Verifier]) -> Result<Vec<VerifiedCosignature>, CheckpointError> {
        let mut verified: Vec<VerifiedCosignature> = Vec::new();
        for signature in &self.note.signatures {
            let Some(witness) = witnesses
                .iter()
                .find(|w| w.kind() == KeyKind::CosignatureV1 && w.matches(signature))
            else {
                continue;
            };
            let timestamp_s = cosignature::verify_cosignature(witness, &self.checkpoint, signature)?;
            if !verified
                .iter()
                .any(|v| v.name == signature.name && v.key_hash == signature.key_hash)
            {
                let (name, key_hash) = (signature.name.clone(), signature.key_hash);
                verified.push(VerifiedCosignature {
                    name,
                    key_hash,
                    timestamp_s,
                });
            }
        }
        Ok(verified)
    }

    /// Adds signature lines (say, a witness's response), skipping exact repeats.
    pub fn add_signatures(&mut self, signatures: impl IntoIterator<Item = NoteSignature>) {
        for signature in signatures {
            if !self.note.signatures.contains(&signature) {
                self.note.signatures.push(signature);
            }
        }
    }

    /// The signed note text.
    pub fn to_text(&self) -> String {
        self.note.to_text()
    }
}

#[cfg(test)]
mod tests;
