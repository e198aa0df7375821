//! The verifiable side of a log: the RFC 9162 Merkle tree over its events in global
//! order, the proofs a third party checks with `antt-audit` alone, and the signed
//! checkpoints kept over it.

use std::future::Future;

use antt_audit::merkle::{Hash, ProofRequestError};

use crate::error::{ReadError, StorageError, Violation};
use crate::event::TreeHead;
use crate::log::EventLog;

/// A log that keeps a Merkle tree over its events and stores signed checkpoints.
///
/// *Invariant:* the tree's leaf `p` is `SHA-256(0x00 ‖ canonical bytes of event p)`, so a
/// proof verifies against the bytes a reader receives, ciphertext included.
pub trait VerifiableLog: EventLog {
    /// The tree over the committed events now.
    fn tree_head(&self) -> TreeHead;

    /// The root of the tree of the first `size` events (`size` ≤ the committed head).
    fn root_at(&self, size: u64) -> impl Future<Output = Result<Hash, ReadError>> + Send;

    /// The RFC 9162 inclusion proof of the event at `position` in the tree of `tree_size`.
    fn inclusion_proof(
        &self,
        position: u64,
        tree_size: u64,
    ) -> impl Future<Output = Result<Vec<Hash>, ReadError>> + Send;

    /// The RFC 9162 consistency proof from the tree of `old_size` to that of `new_size`.
    fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> impl Future<Output = Result<Vec<Hash>, ReadError>> + Send;

    /// Stores a signed checkpoint (a signed note) for the tree of `size`, replacing the
    /// one stored for that size (the same checkpoint with more cosignatures). Durable on return.
    fn save_checkpoint(&self, size: u64, note: String) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// The checkpoint stored for the tree of `size`, if one was made at that size.
    fn checkpoint_at(&self, size: u64) -> impl Future<Output = Result<Option<String>, ReadError>> + Send;

    /// The newest checkpoint stored, with its size.
    fn latest_checkpoint(&self) -> impl Future<Output = Result<Option<(u64, String)>, ReadError>> + Send;

    /// The stored checkpoints of trees smaller than `size`, with their sizes, newest first,
    /// at most `count_max` of them: a page of the stored checkpoints walked back from the
    /// newest (`size` = `u64::MAX` starts at the newest).
    fn checkpoints_before(
        &self,
        size: u64,
        count_max: usize,
    ) -> impl Future<Output = Result<Vec<(u64, String)>, ReadError>> + Send;
}

/// The checks every backend makes on a proof request before reading anything, with the
/// request's own field names.
pub fn proof_request_violations(head_size: u64, sizes: &[(&str, u64)], position: Option<u64>) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (field, size) in sizes {
        if *size == 0 {
            violations.push(Violation::new(
                *field,
                "must be at least 1: the empty tree has no proofs",
            ));
        } else if *size > head_size {
            violations.push(Violation::new(
                *field,
                format!("{size} is beyond the tree, which holds {head_size} events"),
            ));
        }
    }
    if let [(old_field, old), (new_field, new)] = sizes {
        if old > new {
            violations.push(Violation::new(
                *old_field,
                format!("{old} is larger than {new_field} {new}"),
            ));
        }
    }
    if let (Some(position), [(size_field, size), ..]) = (position, sizes) {
        if position >= *size {
            violations.push(Violation::new(
                "position",
                format!("{position} is not inside a tree of {size} events ({size_field})"),
            ));
        }
    }
    violations
}

/// A request the tree math still refused, as a field violation.
pub(crate) fn request_violation(error: ProofRequestError) -> ReadError {
    let ProofRequestError::Invalid { field, reason } = error;
    ReadError::Invalid(vec![Violation::new(field, reason)])
}
