//! PLACEHOLDER (integration only; replaced by the merkle branch at merge).
use sha2::{Digest, Sha256};
pub const HASH_BYTES: usize = 32;
pub type Hash = [u8; HASH_BYTES];
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0]);
    h.update(leaf);
    h.finalize().into()
}
pub fn node_hash(l: &Hash, r: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}
impl NodeId {
    pub const fn leaf(index: u64) -> NodeId {
        NodeId { level: 0, index }
    }
    pub fn first_leaf(self) -> u64 {
        self.index << self.level
    }
    pub fn end_leaf(self) -> u64 {
        (self.index + 1) << self.level
    }
}
pub trait NodeReader {
    type Error;
    fn read_nodes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Self::Error>;
}
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofRequestError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}
#[derive(Debug, thiserror::Error)]
pub enum ProofError<E> {
    #[error(transparent)]
    Request(ProofRequestError),
    #[error("reading the tree")]
    Read(E),
}
fn range_hash<R: NodeReader>(r: &R, a: u64, b: u64) -> Result<Hash, R::Error> {
    let n = b - a;
    if n.is_power_of_two() && a.is_multiple_of(n) {
        let l = n.trailing_zeros() as u8;
        return Ok(r.read_nodes(&[NodeId {
            level: l,
            index: a >> l,
        }])?[0]);
    }
    let k = 1u64 << (63 - (n - 1).leading_zeros());
    Ok(node_hash(&range_hash(r, a, a + k)?, &range_hash(r, a + k, b)?))
}
pub fn root_at<R: NodeReader>(r: &R, size: u64) -> Result<Hash, ProofError<R::Error>> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(r, 0, size).map_err(ProofError::Read)
}
fn path<R: NodeReader>(r: &R, m: u64, a: u64, b: u64, out: &mut Vec<Hash>) -> Result<(), R::Error> {
    if b - a == 1 {
        return Ok(());
    }
    let k = 1u64 << (63 - (b - a - 1).leading_zeros());
    if m - a < k {
        path(r, m, a, a + k, out)?;
        out.push(range_hash(r, a + k, b)?);
    } else {
        path(r, m, a + k, b, out)?;
        out.push(range_hash(r, a, a + k)?);
    }
    Ok(())
}
pub fn inclusion_proof<R: NodeReader>(r: &R, index: u64, size: u64) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if index >= size {
        return Err(ProofError::Request(ProofRequestError::Invalid {
            field: "index",
            reason: "beyond".into(),
        }));
    }
    let mut out = Vec::new();
    path(r, index, 0, size, &mut out).map_err(ProofError::Read)?;
    Ok(out)
}
fn subproof<R: NodeReader>(r: &R, m: u64, a: u64, b: u64, complete: bool, out: &mut Vec<Hash>) -> Result<(), R::Error> {
    let n = b - a;
    if m == n {
        if !complete {
            out.push(range_hash(r, a, b)?);
        }
        return Ok(());
    }
    let k = 1u64 << (63 - (n - 1).leading_zeros());
    if m <= k {
        subproof(r, m, a, a + k, complete, out)?;
        out.push(range_hash(r, a + k, b)?);
    } else {
        subproof(r, m - k, a + k, b, false, out)?;
        out.push(range_hash(r, a, a + k)?);
    }
    Ok(())
}
pub fn consistency_proof<R: NodeReader>(r: &R, old: u64, new: u64) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if old == 0 || old > new {
        return Err(ProofError::Request(ProofRequestError::Invalid {
            field: "old_size",
            reason: "bad".into(),
        }));
    }
    let mut out = Vec::new();
    subproof(r, old, 0, new, true, &mut out).map_err(ProofError::Read)?;
    Ok(out)
}
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    peaks: Vec<Hash>,
}
impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn peaks(&self) -> &[Hash] {
        &self.peaks
    }
    pub fn peak_ids(size: u64) -> Vec<NodeId> {
        let mut ids = Vec::new();
        let mut start = 0u64;
        for level in (0..64u8).rev() {
            if size & (1u64 << level) != 0 {
                ids.push(NodeId {
                    level,
                    index: start >> level,
                });
                start += 1u64 << level;
            }
        }
        ids
    }
    pub fn from_peaks(size: u64, peaks: Vec<Hash>) -> Result<Frontier, ProofRequestError> {
        if peaks.len() != size.count_ones() as usize {
            return Err(ProofRequestError::Invalid {
                field: "peaks",
                reason: "count".into(),
            });
        }
        Ok(Frontier { size, peaks })
    }
    pub fn push(&mut self, leaf: Hash, completed: &mut Vec<(NodeId, Hash)>) {
        let index = self.size;
        let mut hash = leaf;
        let mut level = 0u8;
        completed.push((NodeId { level, index }, hash));
        while (index >> level) & 1 == 1 {
            let left = self.peaks.pop().expect("peak");
            hash = node_hash(&left, &hash);
            level += 1;
            completed.push((
                NodeId {
                    level,
                    index: index >> level,
                },
                hash,
            ));
        }
        self.peaks.push(hash);
        self.size += 1;
    }
    pub fn root(&self) -> Hash {
        let mut it = self.peaks.iter().rev();
        let Some(last) = it.next() else { return empty_root() };
        it.fold(*last, |acc, left| node_hash(left, &acc))
    }
}
