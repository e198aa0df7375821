//! Verifiable history, usable offline and by third parties: it depends on no part of the
//! server. The log keeps an RFC 9162 Merkle tree over its events in global order; this
//! crate computes and verifies its proofs, and signs, cosigns and checks the C2SP
//! checkpoints that commit to it.

pub mod checkpoint;
pub mod cosignature;
pub mod encoding;
pub mod limits;
pub mod merkle;
pub mod note;
pub mod witness;
