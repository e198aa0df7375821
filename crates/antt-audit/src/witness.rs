//! The C2SP witness protocol's `add-checkpoint` call (c2sp.org/tlog-witness): the
//! request's wire format and the witness's decision, free of any I/O, so that a server
//! only has to route, serialize per origin, persist and reply.

use std::fmt;

use crate::checkpoint::{hash_text, parse_hash, Checkpoint, SignedCheckpoint};
use crate::encoding::parse_decimal;
use crate::limits::{ADD_CHECKPOINT_BODY_BYTES_MAX, CONSISTENCY_PROOF_HASHES_MAX};
use crate::merkle::{empty_root, Hash};
use crate::note::Verifier;

/// The media type of a 409 response body: the witness's size and a newline.
pub const TLOG_SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// The body of a `POST <prefix>/add-checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpointRequest {
    /// The size of the checkpoint the client believes the witness last cosigned.
    pub old_size: u64,
    /// An RFC 6962 consistency proof from `old_size` to the checkpoint's size.
    pub consistency_proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint_text: String,
}

/// Why a witness refuses to cosign, one variant per HTTP status the spec prescribes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessRefusal {
    /// 400: the body is not a request, or the old size exceeds the checkpoint's size.
    #[error("bad request: {0}")]
    Malformed(String),
    /// 403: no valid signature by the origin's log key, or an invalid one by it.
    #[error("checkpoint not verifiable by the log key: {0}")]
    Unverified(String),
    /// 404: the witness is not configured for this origin.
    #[error("unknown origin {0:?}")]
    UnknownOrigin(String),
    /// 409: the old size is not the size the witness last cosigned, which it returns.
    #[error("old size does not match the witness's size {stored_size}")]
    Conflict { stored_size: u64 },
    /// 422: the checkpoint is not consistent with the one the witness last cosigned.
    #[error("inconsistent checkpoint: {0}")]
    Inconsistent(String),
}

impl WitnessRefusal {
    /// The HTTP status code tlog-witness assigns to this refusal.
    pub fn status(&self) -> u16 {
        match self {
            WitnessRefusal::Malformed(_) => 400,
            WitnessRefusal::Unverified(_) => 403,
            WitnessRefusal::UnknownOrigin(_) => 404,
            WitnessRefusal::Conflict { .. } => 409,
            WitnessRefusal::Inconsistent(_) => 422,
        }
    }
}

fn malformed(reason: impl fmt::Display) -> WitnessRefusal {
    WitnessRefusal::Malformed(reason.to_string())
}

impl AddCheckpointRequest {
    /// The request body: `old <N>`, one base64 hash a line, a blank line, the note.
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.consistency_proof {
            body.push_str(&hash_text(hash));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint_text);
        body
    }

    /// Parses a request body; every failure is a 400.
    pub fn parse(body: &[u8]) -> Result<Self, WitnessRefusal> {
        if body.len() > ADD_CHECKPOINT_BODY_BYTES_MAX {
            return Err(malformed("body too large"));
        }
        let text = std::str::from_utf8(body).map_err(|_| malformed("body is not UTF-8"))?;
        let (old_line, mut rest) = text.split_once('\n').ok_or_else(|| malformed("no old size line"))?;
        let old_size = old_line
            .strip_prefix("old ")
            .and_then(parse_decimal)
            .ok_or_else(|| malformed("old size line is not `old <decimal>`"))?;
        let mut consistency_proof = Vec::new();
        loop {
            let (line, after) = rest
                .split_once('\n')
                .ok_or_else(|| malformed("no blank line before the checkpoint"))?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if consistency_proof.len() == CONSISTENCY_PROOF_HASHES_MAX {
                return Err(malformed("more than 63 consistency proof lines"));
            }
            consistency_proof.push(parse_hash(line).ok_or_else(|| malformed("proof line is not a base64 hash"))?);
        }
        Ok(AddCheckpointRequest {
            old_size,
            consistency_proof,
            checkpoint_text: rest.to_owned(),
        })
    }

    /// The checkpoint's origin, read before any verification so that the witness can
    /// find the log's key and state; nothing else in it may be trusted yet.
    pub fn origin(&self) -> Result<String, WitnessRefusal> {
        let signed = SignedCheckpoint::parse_unverified(&self.checkpoint_text).map_err(malformed)?;
        Ok(signed.checkpoint.origin)
    }
}

/// The add-checkpoint decision, in the spec's order: the checkpoint that the witness
/// must now store and cosign, or why not.
///
/// `stored` is the checkpoint last cosigned for this request's origin (`None` if none);
/// `log_verifier` is the key configured for that origin (`None` if the origin is
/// unknown). The caller must hold the origin's lock from reading `stored` until it has
/// persisted the result, or two requests could both extend the same old size.
/// `verify_consistency` is RFC 6962 / RFC 9162 proof verification, normally
/// [`crate::merkle::verify_consistency`].
pub fn decide<E: fmt::Display>(
    stored: Option<&Checkpoint>,
    request: &AddCheckpointRequest,
    log_verifier: Option<&Verifier>,
    verify_consistency: impl Fn(u64, u64, &Hash, &Hash, &[Hash]) -> Result<(), E>,
) -> Result<Checkpoint, WitnessRefusal> {
    let origin = request.origin()?;
    let log_verifier = log_verifier.ok_or(WitnessRefusal::UnknownOrigin(origin))?;
    let signed = SignedCheckpoint::parse_and_verify(&request.checkpoint_text, log_verifier)
        .map_err(|e| WitnessRefusal::Unverified(e.to_string()))?;
    let new = signed.checkpoint;
    if request.old_size > new.size {
        return Err(malformed("old size exceeds the checkpoint size"));
    }
    let stored_size = stored.map_or(0, |c| c.size);
    if request.old_size != stored_size {
        return Err(WitnessRefusal::Conflict { stored_size });
    }
    check_consistency(stored, &new, &request.consistency_proof, verify_consistency)?;
    Ok(new)
}

/// The 422 checks, once the old size is known to be the stored one.
fn check_consistency<E: fmt::Display>(
    stored: Option<&Checkpoint>,
    new: &Checkpoint,
    proof: &[Hash],
    verify_consistency: impl Fn(u64, u64, &Hash, &Hash, &[Hash]) -> Result<(), E>,
) -> Result<(), WitnessRefusal> {
    let inconsistent = |reason: &str| Err(WitnessRefusal::Inconsistent(reason.to_owned()));
    if new.size == 0 && new.root != empty_root() {
        return inconsistent("a size-zero checkpoint must have the empty tree's root");
    }
    // Without a stored checkpoint, or with a stored empty one, the old size is zero: the
    // empty tree is consistent with any tree, so no proof may be sent.
    let Some(old) = stored.filter(|old| old.size > 0) else {
        return if proof.is_empty() {
            Ok(())
        } else {
            inconsistent("a proof from size zero must be empty")
        };
    };
    if old.size == new.size {
        if old.root != new.root {
            return inconsistent("same size as the cosigned checkpoint but another root");
        }
        return if proof.is_empty() {
            Ok(())
        } else {
            inconsistent("a proof between equal sizes must be empty")
        };
    }
    verify_consistency(old.size, new.size, &old.root, &new.root, proof)
        .map_err(|e| WitnessRefusal::Inconsistent(format!("consistency proof does not verify: {e}")))
}

#[cfg(test)]
mod tests;
