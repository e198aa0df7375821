//! RFC 9162 Merkle tree hashing and consistency-proof verification.
//!
//! PLACEHOLDER: the `notes` branch needs only these functions; the `merkle` branch owns
//! this file and its version replaces this one at merge.

use sha2::{Digest, Sha256};

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// Why a consistency proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("old size {old_size} is larger than new size {new_size}")]
    SizeOrder { old_size: u64, new_size: u64 },
    #[error("the proof has the wrong number of hashes for these sizes")]
    ProofLength,
    #[error("the proof does not lead to the given roots")]
    RootMismatch,
}

/// RFC 9162 §2.1.1: the hash of a leaf, domain-separated from inner nodes by 0x00.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(leaf);
    hasher.finalize().into()
}

/// RFC 9162 §2.1.1: the hash of an inner node, domain-separated by 0x01.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the empty tree: the hash of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// RFC 9162 §2.1.4.2: checks that the tree of `new_size` leaves with `new_root` extends
/// the tree of `old_size` leaves with `old_root`.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    if old_size > new_size {
        return Err(VerifyError::SizeOrder { old_size, new_size });
    }
    // Equal sizes and the empty old tree need no proof: the roots say it all.
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(VerifyError::ProofLength);
        }
        if old_size == new_size && old_root != new_root {
            return Err(VerifyError::RootMismatch);
        }
        return Ok(());
    }
    if proof.is_empty() {
        return Err(VerifyError::ProofLength);
    }
    // A power-of-two old tree is a complete subtree of the new one, so the proof omits
    // its root; the verifier starts from the root it already has.
    let (first, rest) = match proof.split_first() {
        Some(split) if !old_size.is_power_of_two() => split,
        _ if old_size.is_power_of_two() => (old_root, proof),
        _ => return Err(VerifyError::ProofLength),
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if sn == 0 {
            return Err(VerifyError::ProofLength);
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(VerifyError::ProofLength);
    }
    if &fr != old_root || &sr != new_root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}
