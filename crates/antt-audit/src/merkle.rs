//! The RFC 9162 §2.1 Merkle tree over the log's events: tree hashes, inclusion and
//! consistency proofs, their verification, and the frontier that lets the log grow the tree
//! one leaf at a time.
//!
//! Proofs are built from the hashes of *complete* nodes only ([`NodeId`]): those are the
//! nodes a store can write once and never change. A right-edge subtree that is not complete
//! yet is the right fold of the complete nodes it is made of ([`range_nodes`],
//! [`fold_range`]), which is exactly how RFC 9162 hashes it.
//!
//! Everything that takes a size or an index from a client checks it and answers with an
//! error value; nothing here panics on such input, not even near `u64::MAX`.

use std::ops::Range;

use sha2::{Digest, Sha256};

/// Bytes in a SHA-256 hash, the only hash RFC 9162 trees here use.
pub const HASH_BYTES: usize = 32;

/// A tree hash: of a leaf, of a node, or of a whole tree.
pub type Hash = [u8; HASH_BYTES];

/// A hash from the wire (a proof's node, a checkpoint's root) that is not [`HASH_BYTES`] long.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a hash of {len} bytes, not {HASH_BYTES}")]
pub struct HashLength {
    pub len: usize,
}

/// One hash from a wire bytes field.
pub fn hash_from_bytes(bytes: &[u8]) -> Result<Hash, HashLength> {
    Hash::try_from(bytes).map_err(|_| HashLength { len: bytes.len() })
}

/// The hashes of a proof from their wire bytes fields.
pub fn hashes_from_bytes(list: &[Vec<u8>]) -> Result<Vec<Hash>, HashLength> {
    list.iter().map(|bytes| hash_from_bytes(bytes)).collect()
}

/// RFC 9162 domain separation: a leaf hash can never be mistaken for a node hash.
const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// The hash of one leaf: SHA-256(0x00 ‖ leaf).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([LEAF_PREFIX])
        .chain_update(leaf)
        .finalize()
        .into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([NODE_PREFIX])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The root of the tree of no leaves: SHA-256 of the empty string (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A complete, aligned subtree: the leaves [index << level, (index + 1) << level).
///
/// Every level up to 63 describes real nodes of a tree of `u64` leaves; larger levels are
/// representable but cover more leaves than a `u64` counts, so the leaf bounds saturate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    /// The node of the single leaf `index`.
    pub const fn leaf(index: u64) -> NodeId {
        NodeId { level: 0, index }
    }

    /// The first leaf under this node (saturating at `u64::MAX`).
    pub fn first_leaf(self) -> u64 {
        shl_saturating(self.index, self.level)
    }

    /// One past the last leaf under this node (saturating at `u64::MAX`, which is also the
    /// exact end of the last leaf a tree of `u64::MAX` leaves can hold).
    pub fn end_leaf(self) -> u64 {
        match self.index.checked_add(1) {
            Some(next) => shl_saturating(next, self.level),
            None => u64::MAX,
        }
    }

    /// The two halves of this node, left first; `None` for a leaf, and for a node whose
    /// children's indices a `u64` cannot hold (it lies past any tree of `u64` leaves).
    pub fn children(self) -> Option<(NodeId, NodeId)> {
        let level = self.level.checked_sub(1)?;
        let left = self.index.checked_mul(2)?;
        // `left` is even, so `left + 1` cannot overflow.
        Some((NodeId { level, index: left }, NodeId { level, index: left + 1 }))
    }

    /// The node this one is a half of. The level saturates at `u8::MAX`, far past any node
    /// of a tree of `u64` leaves (those stop at level 64).
    pub fn parent(self) -> NodeId {
        NodeId {
            level: self.level.saturating_add(1),
            index: self.index >> 1,
        }
    }
}

/// `value << level`, or `u64::MAX` when the result does not fit.
fn shl_saturating(value: u64, level: u8) -> u64 {
    if value == 0 {
        0
    } else if u32::from(level) >= u64::BITS || value > u64::MAX >> level {
        u64::MAX
    } else {
        value << level
    }
}

/// Where proofs read hashes of complete nodes from (a store, or memory).
pub trait NodeReader {
    type Error;
    /// The hashes of `ids`, in the same order. Every id is a complete node of the tree being
    /// proved.
    ///
    /// The proof functions panic if an implementation returns a different number of hashes
    /// than it was asked for: that is a broken reader, not a bad request.
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Self::Error>;
}

/// The complete aligned subtrees that make up the leaves [start, end), biggest first, as
/// they appear in an RFC 9162 tree (used for right-edge, incomplete subtrees whose hash
/// is the right fold: h(c1, h(c2, h(c3, c4)))). `start` is expected to be aligned to the
/// largest power of two not above end-start, as every range in a proof is.
///
/// For any other `start` this is still the shortest cover of the range by aligned subtrees,
/// left to right, but its fold is then not an RFC 9162 subtree hash. An empty or reversed
/// range has no nodes.
pub fn range_nodes(start: u64, end: u64) -> Vec<NodeId> {
    let mut nodes = Vec::new();
    let mut at = start;
    while at < end {
        // The biggest subtree that fits in what is left and is aligned at `at`.
        let fits = u64::BITS - 1 - (end - at).leading_zeros();
        let level = if at == 0 { fits } else { fits.min(at.trailing_zeros()) };
        nodes.push(NodeId {
            level: level as u8,
            index: at >> level,
        });
        // 2^level <= end - at, so this stays within `end`.
        at += 1 << level;
    }
    nodes
}

/// Folds the hashes of `range_nodes` into the hash of the range (right fold); `None` for no
/// hashes, since an empty range has no subtree hash.
pub fn fold_range(hashes: &[Hash]) -> Option<Hash> {
    let (last, rest) = hashes.split_last()?;
    Some(rest.iter().rev().fold(*last, |right, left| node_hash(left, &right)))
}

/// A request a client got wrong; `field` names the argument.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofRequestError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

fn invalid(field: &'static str, reason: String) -> ProofRequestError {
    ProofRequestError::Invalid { field, reason }
}

/// Why a proof could not be built: the request, or the reader of the tree.
///
/// `E` needs only `Debug + Display` for this to be an error; the reader's error is shown in
/// the message rather than chained as a source, so it works for any error type.
#[derive(Debug, thiserror::Error)]
pub enum ProofError<E> {
    #[error(transparent)]
    Request(#[from] ProofRequestError),
    #[error("reading the tree: {0}")]
    Read(E),
}

impl<E> ProofError<E> {
    /// Converts the reader's error, e.g. into the caller's own error type.
    pub fn map_read<F>(self, convert: impl FnOnce(E) -> F) -> ProofError<F> {
        match self {
            ProofError::Request(error) => ProofError::Request(error),
            ProofError::Read(error) => ProofError::Read(convert(error)),
        }
    }
}

impl ProofError<std::convert::Infallible> {
    /// With a reader that cannot fail, the request is the only thing that can be wrong.
    pub fn into_request(self) -> ProofRequestError {
        match self {
            ProofError::Request(error) => error,
            ProofError::Read(never) => match never {},
        }
    }
}

/// The root of the first `size` leaves; `empty_root()` for 0.
pub fn root_at<R: NodeReader>(reader: &R, size: u64) -> Result<Hash, ProofError<R::Error>> {
    if size == 0 {
        return Ok(empty_root());
    }
    let hashes = read_ranges(reader, std::slice::from_ref(&(0..size)))?;
    Ok(hashes.into_iter().next().expect("read_ranges folds one hash per range"))
}

/// The RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size` leaves,
/// bottom first.
pub fn inclusion_proof<R: NodeReader>(reader: &R, index: u64, size: u64) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if size == 0 {
        return Err(invalid("size", "the empty tree has no leaf to prove".into()).into());
    }
    if index >= size {
        return Err(invalid("index", format!("{index} is not a leaf of a tree of {size} leaves")).into());
    }
    read_ranges(reader, &path_ranges(index, size, 0))
}

/// The RFC 9162 §2.1.4.1 consistency proof from the tree of `old_size` leaves to the tree
/// of `new_size` leaves; empty when the sizes are equal.
pub fn consistency_proof<R: NodeReader>(
    reader: &R,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if old_size == 0 {
        let reason = "must be at least 1: RFC 9162 defines no consistency proof from the empty tree";
        return Err(invalid("old_size", reason.into()).into());
    }
    if new_size < old_size {
        return Err(invalid("new_size", format!("{new_size} is smaller than old_size {old_size}")).into());
    }
    if old_size == new_size {
        return Ok(Vec::new());
    }
    read_ranges(reader, &consistency_ranges(old_size, new_size))
}

/// The leaf ranges whose hashes make up a consistency proof, in proof order.
///
/// The proof is the inclusion path of the old tree's last leaf in the new tree, except that
/// it starts at the biggest complete subtree ending at that leaf (the `seed`, at level
/// `trailing_zeros(old_size)`): below it the new tree adds nothing. When the old tree is a
/// power of two the seed is the old root itself, which the verifier already has.
fn consistency_ranges(old_size: u64, new_size: u64) -> Vec<Range<u64>> {
    let last = old_size - 1;
    let seed_level = old_size.trailing_zeros();
    let mut ranges = Vec::new();
    if !old_size.is_power_of_two() {
        let seed = NodeId {
            level: seed_level as u8,
            index: last >> seed_level,
        };
        ranges.push(seed.first_leaf()..seed.end_leaf());
    }
    ranges.extend(path_ranges(last, new_size, seed_level));
    ranges
}

/// The number of levels, from the bottom, at which leaf `index` and the last leaf of a tree
/// of `size` leaves are in different subtrees. Below that, `index` has a sibling at every
/// level; above it, its ancestors are on the tree's right edge.
fn inner_levels(index: u64, size: u64) -> u32 {
    u64::BITS - (index ^ (size - 1)).leading_zeros()
}

/// The ancestors of `index` on the right edge that are right children, i.e. that have a
/// (complete) left sibling; the other right-edge nodes are promoted unhashed.
fn border_levels(index: u64, inner: u32) -> u32 {
    index.checked_shr(inner).unwrap_or(0).count_ones()
}

/// The sibling ranges on the path from the ancestor of leaf `index` at `from_level` up to
/// the root of the tree of `size` leaves, bottom first. Needs `index < size`.
fn path_ranges(index: u64, size: u64, from_level: u32) -> Vec<Range<u64>> {
    let inner = inner_levels(index, size);
    // Below `inner` the sibling may be the right edge, not complete yet: cut it at `size`.
    let below = (from_level..inner)
        .map(|level| sibling(index, level))
        .map(|node| node.first_leaf()..node.end_leaf().min(size));
    let border = (inner..u64::BITS)
        .filter(|&level| (index >> level) & 1 == 1)
        .map(|level| sibling(index, level));
    below
        .chain(border.map(|node| node.first_leaf()..node.end_leaf()))
        .collect()
}

/// The sibling of the ancestor of leaf `index` at `level` (< 64).
fn sibling(index: u64, level: u32) -> NodeId {
    NodeId {
        level: level as u8,
        index: (index >> level) ^ 1,
    }
}

/// Reads the nodes of every range in one call to the reader and folds each range.
fn read_ranges<R: NodeReader>(reader: &R, ranges: &[Range<u64>]) -> Result<Vec<Hash>, ProofError<R::Error>> {
    let per_range: Vec<Vec<NodeId>> = ranges.iter().map(|range| range_nodes(range.start, range.end)).collect();
    let ids: Vec<NodeId> = per_range.iter().flatten().copied().collect();
    let hashes = reader.read_nodes(&ids).map_err(ProofError::Read)?;
    assert_eq!(
        hashes.len(),
        ids.len(),
        "NodeReader::read_nodes must return one hash per id"
    );
    let mut rest = &hashes[..];
    let folded = per_range.iter().map(|nodes| {
        let (these, tail) = rest.split_at(nodes.len());
        rest = tail;
        fold_range(these).expect("every range in a proof holds at least one leaf")
    });
    Ok(folded.collect())
}

/// Why a proof does not prove what it claims.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("leaf index {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the old tree is empty: RFC 9162 defines no consistency proof from the empty tree")]
    EmptyOldTree,
    #[error("the old size {old_size} is larger than the new size {new_size}")]
    SizesReversed { old_size: u64, new_size: u64 },
    #[error("the proof has {got} hashes, but a proof for these sizes has {expected}")]
    ProofLength { expected: usize, got: usize },
    #[error("the inclusion proof does not lead to the given root")]
    WrongRoot,
    #[error("the consistency proof does not lead to the old root")]
    WrongOldRoot,
    #[error("the consistency proof does not lead to the new root")]
    WrongNewRoot,
    #[error("two trees of the same size {size} have different roots")]
    DifferentRoots { size: u64 },
}

fn check_length(expected: usize, proof: &[Hash]) -> Result<(), VerifyError> {
    if proof.len() == expected {
        Ok(())
    } else {
        Err(VerifyError::ProofLength {
            expected,
            got: proof.len(),
        })
    }
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> Result<(), VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let inner = inner_levels(index, size);
    check_length((inner + border_levels(index, inner)) as usize, proof)?;
    let (inner_path, border) = proof.split_at(inner as usize);
    let mut hash = *leaf;
    for (level, sibling) in (0..).zip(inner_path) {
        hash = if (index >> level) & 1 == 1 {
            node_hash(sibling, &hash)
        } else {
            node_hash(&hash, sibling)
        };
    }
    for sibling in border {
        hash = node_hash(sibling, &hash);
    }
    if hash == *root {
        Ok(())
    } else {
        Err(VerifyError::WrongRoot)
    }
}

/// Checks that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    if old_size == 0 {
        return Err(VerifyError::EmptyOldTree);
    }
    if old_size > new_size {
        return Err(VerifyError::SizesReversed { old_size, new_size });
    }
    if old_size == new_size {
        check_length(0, proof)?;
        return if old_root == new_root {
            Ok(())
        } else {
            Err(VerifyError::DifferentRoots { size: old_size })
        };
    }
    let (old_hash, new_hash) = consistency_roots(old_size, new_size, old_root, proof)?;
    if old_hash != *old_root {
        Err(VerifyError::WrongOldRoot)
    } else if new_hash != *new_root {
        Err(VerifyError::WrongNewRoot)
    } else {
        Ok(())
    }
}

/// The old and new roots a consistency proof leads to, for `0 < old_size < new_size`; see
/// `consistency_ranges` for the proof's layout.
fn consistency_roots(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    proof: &[Hash],
) -> Result<(Hash, Hash), VerifyError> {
    let last = old_size - 1;
    let seed_level = old_size.trailing_zeros();
    let has_seed = !old_size.is_power_of_two();
    let inner = inner_levels(last, new_size);
    // inner > seed_level: the new tree's last leaf is past `last`, so it differs from `last`
    // at or above the seed's level, below which `last` is all ones.
    let inner_len = (inner - seed_level) as usize;
    check_length(
        usize::from(has_seed) + inner_len + border_levels(last, inner) as usize,
        proof,
    )?;
    let (seed, path) = match proof.split_first() {
        Some((seed, path)) if has_seed => (*seed, path),
        _ => (*old_root, proof),
    };
    let (inner_path, border) = path.split_at(inner_len);
    let (mut old_hash, mut new_hash) = (seed, seed);
    for (level, sibling) in (seed_level..).zip(inner_path) {
        if (last >> level) & 1 == 1 {
            // A left sibling lies before `last`: it is in both trees.
            old_hash = node_hash(sibling, &old_hash);
            new_hash = node_hash(sibling, &new_hash);
        } else {
            // A right sibling lies past `last`: only the new tree has it.
            new_hash = node_hash(&new_hash, sibling);
        }
    }
    for sibling in border {
        old_hash = node_hash(sibling, &old_hash);
        new_hash = node_hash(sibling, &new_hash);
    }
    Ok((old_hash, new_hash))
}

/// The right edge of a growing tree (compact range): one hash per set bit of `size`, biggest
/// subtree first.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    peaks: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// The number of leaves pushed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The hashes of the peaks, biggest subtree first.
    pub fn peaks(&self) -> &[Hash] {
        &self.peaks
    }

    /// The NodeIds of the peaks of a tree of `size` leaves, biggest first.
    pub fn peak_ids(size: u64) -> Vec<NodeId> {
        range_nodes(0, size)
    }

    /// Rebuilds a frontier from the peaks' hashes (as read from a store); error if the count
    /// doesn't match `size`.
    pub fn from_peaks(size: u64, peaks: Vec<Hash>) -> Result<Frontier, ProofRequestError> {
        let expected = size.count_ones() as usize;
        if peaks.len() != expected {
            let reason = format!("a tree of {size} leaves has {expected} peaks, not {}", peaks.len());
            return Err(invalid("peaks", reason));
        }
        Ok(Frontier { size, peaks })
    }

    /// Appends one leaf hash; pushes onto `completed` every node this leaf completes, level 0
    /// (the leaf itself) upwards, as (NodeId, Hash).
    ///
    /// # Panics
    /// On a frontier of `u64::MAX` leaves, which no log reaches.
    pub fn push(&mut self, leaf: Hash, completed: &mut Vec<(NodeId, Hash)>) {
        let mut id = NodeId::leaf(self.size);
        let mut hash = leaf;
        completed.push((id, hash));
        // Each odd index closes its parent: merge with the peak to the left, upwards.
        while id.index & 1 == 1 {
            let left = self
                .peaks
                .pop()
                .expect("an odd node index has a left sibling among the peaks");
            hash = node_hash(&left, &hash);
            id = id.parent();
            completed.push((id, hash));
        }
        self.peaks.push(hash);
        self.size = self.size.checked_add(1).expect("a log never holds u64::MAX leaves");
    }

    /// Root of the tree of `size()` leaves in O(log n); empty_root() for 0.
    pub fn root(&self) -> Hash {
        fold_range(&self.peaks).unwrap_or_else(empty_root)
    }
}

/// A NodeReader over leaf hashes held in memory, for tests, bundles and oracles.
///
/// It keeps every complete node, level by level, so reads are lookups rather than
/// recomputation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryTree {
    /// `levels[l][i]` is the hash of `NodeId { level: l, index: i }`; `levels[0]` the leaves.
    levels: Vec<Vec<Hash>>,
}

/// A node a [`MemoryTree`] was asked for but does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("node {index} at level {level} is not a complete node of a tree of {leaves} leaves")]
pub struct MissingNode {
    pub level: u8,
    pub index: u64,
    pub leaves: u64,
}

impl MemoryTree {
    pub fn new() -> Self {
        MemoryTree::default()
    }

    pub fn from_leaves(leaves: Vec<Hash>) -> Self {
        let mut tree = MemoryTree::new();
        for leaf in leaves {
            tree.push(leaf);
        }
        tree
    }

    /// Appends a leaf hash and every node it completes.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let nodes = &mut self.levels[level];
            nodes.push(hash);
            if !nodes.len().is_multiple_of(2) {
                return;
            }
            hash = node_hash(&nodes[nodes.len() - 2], &hash);
            level += 1;
        }
    }

    /// The leaf hashes, in order.
    pub fn leaves(&self) -> &[Hash] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    pub fn len(&self) -> u64 {
        u64::try_from(self.leaves().len()).unwrap_or(u64::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.leaves().is_empty()
    }

    fn node(&self, id: NodeId) -> Option<Hash> {
        let nodes = self.levels.get(usize::from(id.level))?;
        nodes.get(usize::try_from(id.index).ok()?).copied()
    }
}

impl NodeReader for MemoryTree {
    type Error = MissingNode;

    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, MissingNode> {
        let missing = |id: NodeId| MissingNode {
            level: id.level,
            index: id.index,
            leaves: self.len(),
        };
        ids.iter().map(|&id| self.node(id).ok_or_else(|| missing(id))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(size: u64) -> MemoryTree {
        MemoryTree::from_leaves((0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect())
    }

    #[test]
    fn wire_hashes_must_be_32_bytes() {
        let good = vec![7u8; HASH_BYTES];
        assert_eq!(hash_from_bytes(&good), Ok([7u8; HASH_BYTES]));
        assert_eq!(hash_from_bytes(&good[..31]), Err(HashLength { len: 31 }));
        assert_eq!(
            hashes_from_bytes(&[good.clone(), vec![0; 33]]),
            Err(HashLength { len: 33 })
        );
        assert_eq!(hashes_from_bytes(&[good]).map(|hashes| hashes.len()), Ok(1));
    }

    #[test]
    fn node_bounds_saturate_instead_of_overflowing() {
        let top = NodeId { level: 63, index: 1 };
        assert_eq!((top.first_leaf(), top.end_leaf()), (1 << 63, u64::MAX));
        let last = NodeId::leaf(u64::MAX - 1);
        assert_eq!((last.first_leaf(), last.end_leaf()), (u64::MAX - 1, u64::MAX));
        let huge = NodeId { level: 200, index: 5 };
        assert_eq!((huge.first_leaf(), huge.end_leaf()), (u64::MAX, u64::MAX));
        assert_eq!(NodeId { level: 200, index: 0 }.first_leaf(), 0);
        assert_eq!(NodeId::leaf(u64::MAX).end_leaf(), u64::MAX);
        assert_eq!(
            NodeId {
                level: 3,
                index: u64::MAX
            }
            .children(),
            None
        );
        assert_eq!(NodeId::leaf(7).children(), None);
        let (left, right) = NodeId { level: 2, index: 3 }
            .children()
            .expect("a level-2 node has halves");
        assert_eq!(
            (left, right),
            (NodeId { level: 1, index: 6 }, NodeId { level: 1, index: 7 })
        );
        assert_eq!(left.parent(), NodeId { level: 2, index: 3 });
        assert_eq!(
            NodeId {
                level: u8::MAX,
                index: 9
            }
            .parent(),
            NodeId {
                level: u8::MAX,
                index: 4
            }
        );
    }

    #[test]
    fn range_nodes_cover_huge_ranges() {
        let all = range_nodes(0, u64::MAX);
        assert_eq!(all.len(), 64);
        assert_eq!(all[0], NodeId { level: 63, index: 0 });
        assert_eq!(all[63], NodeId::leaf(u64::MAX - 1));
        assert_eq!(range_nodes(u64::MAX - 1, u64::MAX), vec![NodeId::leaf(u64::MAX - 1)]);
        assert_eq!(range_nodes(1 << 63, u64::MAX).len(), 63);
        assert!(range_nodes(5, 5).is_empty());
        assert!(range_nodes(u64::MAX, 0).is_empty());
        // An unaligned start still gets a cover, smallest nodes first until aligned.
        let cover = range_nodes(3, 8);
        assert_eq!(cover, vec![NodeId::leaf(3), NodeId { level: 2, index: 1 }]);
        assert_eq!(fold_range(&[]), None);
    }

    #[test]
    fn huge_requests_are_errors() {
        let tree = tree(8);
        let index_error = inclusion_proof(&tree, u64::MAX, u64::MAX).expect_err("no leaf u64::MAX");
        assert!(matches!(
            index_error,
            ProofError::Request(ProofRequestError::Invalid { field: "index", .. })
        ));
        let size_error = inclusion_proof(&tree, 0, 0).expect_err("nothing in the empty tree");
        assert!(matches!(
            size_error,
            ProofError::Request(ProofRequestError::Invalid { field: "size", .. })
        ));
        // Valid requests beyond what the reader holds are the reader's errors.
        assert!(matches!(
            inclusion_proof(&tree, u64::MAX - 1, u64::MAX),
            Err(ProofError::Read(_))
        ));
        assert!(matches!(inclusion_proof(&tree, 0, u64::MAX), Err(ProofError::Read(_))));
        assert!(matches!(
            consistency_proof(&tree, 1, u64::MAX),
            Err(ProofError::Read(_))
        ));
        assert!(matches!(
            consistency_proof(&tree, u64::MAX - 1, u64::MAX),
            Err(ProofError::Read(_))
        ));
        assert!(matches!(root_at(&tree, u64::MAX), Err(ProofError::Read(_))));
        let field = |error: ProofError<MissingNode>| match error {
            ProofError::Request(ProofRequestError::Invalid { field, .. }) => Some(field),
            ProofError::Read(_) => None,
        };
        assert_eq!(
            field(consistency_proof(&tree, 0, 5).expect_err("old_size 0")),
            Some("old_size")
        );
        assert_eq!(
            field(consistency_proof(&tree, u64::MAX, 5).expect_err("shrinking")),
            Some("new_size")
        );
        assert_eq!(
            consistency_proof(&tree, u64::MAX, u64::MAX).expect("equal sizes need no nodes"),
            Vec::<Hash>::new()
        );
    }

    #[test]
    fn huge_verifications_are_errors() {
        let some = leaf_hash(b"some");
        let short = [some; 3];
        for (index, size) in [
            (u64::MAX, u64::MAX),
            (0, u64::MAX),
            (u64::MAX - 1, u64::MAX),
            (1 << 63, u64::MAX),
        ] {
            assert!(matches!(
                verify_inclusion(&some, index, size, &short, &some),
                Err(VerifyError::IndexOutOfRange { .. } | VerifyError::ProofLength { .. })
            ));
        }
        for (old, new) in [
            (1, u64::MAX),
            (u64::MAX - 1, u64::MAX),
            (1 << 63, u64::MAX),
            (u64::MAX, 1),
        ] {
            assert!(
                verify_consistency(old, new, &some, &some, &short).is_err(),
                "{old} to {new}"
            );
        }
        // The longest possible proof, for the biggest tree, is checked rather than refused.
        let long = [some; 64];
        assert_eq!(
            verify_inclusion(&some, 0, u64::MAX, &long, &some),
            Err(VerifyError::WrongRoot)
        );
        assert_eq!(
            verify_consistency(1, u64::MAX, &some, &some, &long),
            Err(VerifyError::WrongNewRoot)
        );
    }

    #[test]
    fn frontier_rejects_a_wrong_peak_count() {
        let error = Frontier::from_peaks(5, vec![empty_root()]).expect_err("5 leaves have 2 peaks");
        assert!(matches!(error, ProofRequestError::Invalid { field: "peaks", .. }));
        assert_eq!(Frontier::from_peaks(0, Vec::new()), Ok(Frontier::new()));
        let full = Frontier::from_peaks(u64::MAX, vec![empty_root(); 64]).expect("64 peaks for u64::MAX");
        assert_eq!(Frontier::peak_ids(u64::MAX).len(), full.peaks().len());
    }

    #[test]
    fn each_proof_reads_the_tree_once() {
        struct Counting(MemoryTree, std::cell::Cell<usize>);
        impl NodeReader for Counting {
            type Error = MissingNode;
            fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, MissingNode> {
                self.1.set(self.1.get() + 1);
                self.0.read_nodes(ids)
            }
        }
        let reader = Counting(tree(1000), std::cell::Cell::new(0));
        let reads = |run: &dyn Fn()| {
            reader.1.set(0);
            run();
            reader.1.get()
        };
        assert_eq!(reads(&|| drop(root_at(&reader, 999))), 1);
        assert_eq!(reads(&|| drop(inclusion_proof(&reader, 517, 999))), 1);
        assert_eq!(reads(&|| drop(consistency_proof(&reader, 517, 999))), 1);
        assert_eq!(reads(&|| drop(consistency_proof(&reader, 517, 517))), 0);
    }

    #[test]
    fn infallible_readers_surface_only_request_errors() {
        struct Nothing;
        impl NodeReader for Nothing {
            type Error = std::convert::Infallible;
            fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
                Ok(vec![empty_root(); ids.len()])
            }
        }
        let error = inclusion_proof(&Nothing, 3, 2)
            .expect_err("index past size")
            .into_request();
        assert_eq!(error.to_string(), "index: 3 is not a leaf of a tree of 2 leaves");
        assert_eq!(
            inclusion_proof(&Nothing, 1, 3)
                .map_err(ProofError::into_request)
                .map(|p| p.len()),
            Ok(2)
        );
    }
}
