//! Properties of the Merkle module against a naive oracle written straight from the RFC 9162
//! §2.1 definitions (MTH, PATH, SUBPROOF), recursively and with SHA-256 called directly, so
//! that it shares no code with the module it checks.

use std::collections::BTreeSet;

use antt_audit::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, range_nodes, root_at, verify_consistency, verify_inclusion,
    Frontier, Hash, MemoryTree, NodeId, NodeReader, ProofError, VerifyError,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

// ---- The oracle -------------------------------------------------------------------------

fn sha256(parts: &[&[u8]]) -> Hash {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) over the raw leaf data.
fn mth(data: &[Vec<u8>]) -> Hash {
    match data.len() {
        0 => sha256(&[]),
        1 => sha256(&[&[0x00], &data[0]]),
        n => {
            let k = split(n);
            sha256(&[&[0x01], &mth(&data[..k]), &mth(&data[k..])])
        }
    }
}

/// PATH(m, D[n]).
fn path(m: usize, data: &[Vec<u8>]) -> Vec<Hash> {
    let n = data.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        [path(m, &data[..k]), vec![mth(&data[k..])]].concat()
    } else {
        [path(m - k, &data[k..]), vec![mth(&data[..k])]].concat()
    }
}

/// For each element of PATH(m, D[n]): whether it is hashed in from the left. Verifying a
/// proof under another size can only succeed when this shape is the same.
fn path_sides(m: u64, n: u64) -> Vec<bool> {
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n as usize) as u64;
    if m < k {
        [path_sides(m, k), vec![false]].concat()
    } else {
        [path_sides(m - k, n - k), vec![true]].concat()
    }
}

/// SUBPROOF(m, D[n], b).
fn subproof(m: usize, data: &[Vec<u8>], complete: bool) -> Vec<Hash> {
    let n = data.len();
    if m == n {
        return if complete { Vec::new() } else { vec![mth(data)] };
    }
    let k = split(n);
    if m <= k {
        [subproof(m, &data[..k], complete), vec![mth(&data[k..])]].concat()
    } else {
        [subproof(m - k, &data[k..], false), vec![mth(&data[..k])]].concat()
    }
}

/// The length of PROOF(m, D[n]), from the shape alone.
fn subproof_len(m: u64, n: u64, complete: bool) -> usize {
    if m == n {
        return usize::from(!complete);
    }
    let k = split(n as usize) as u64;
    if m <= k {
        subproof_len(m, k, complete) + 1
    } else {
        subproof_len(m - k, n - k, false) + 1
    }
}

// ---- Fixtures ---------------------------------------------------------------------------

fn leaf_data(seed: u64, size: usize) -> Vec<Vec<u8>> {
    (0..size).map(|i| format!("{seed}:{i}").into_bytes()).collect()
}

fn memory_tree(data: &[Vec<u8>]) -> MemoryTree {
    MemoryTree::from_leaves(data.iter().map(|leaf| leaf_hash(leaf)).collect())
}

fn flip(hash: &Hash, bit: usize) -> Hash {
    let mut flipped = *hash;
    flipped[bit / 8 % 32] ^= 1 << (bit % 8);
    flipped
}

/// The complete nodes whose last leaf is `leaf`, leaf first.
fn nodes_ending_at(leaf: u64) -> Vec<NodeId> {
    (0..64u8)
        .take_while(|&level| (leaf + 1).is_multiple_of(1 << level))
        .map(|level| NodeId {
            level,
            index: (leaf + 1) / (1 << level) - 1,
        })
        .collect()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 12,
        ..ProptestConfig::default()
    }
}

// ---- Properties ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn roots_frontier_and_oracle_agree(size in 0usize..3000, seed: u64, probes in prop::collection::vec(any::<prop::sample::Index>(), 3)) {
        let data = leaf_data(seed, size);
        let tree = memory_tree(&data);
        let mut frontier = Frontier::new();
        prop_assert_eq!(frontier.root(), mth(&[]));
        for (m, leaf) in (0u64..).zip(tree.leaves()) {
            let mut completed = Vec::new();
            frontier.push(*leaf, &mut completed);
            let ids: Vec<NodeId> = completed.iter().map(|(id, _)| *id).collect();
            prop_assert_eq!(&ids, &nodes_ending_at(m));
            let hashes: Vec<Hash> = completed.iter().map(|(_, hash)| *hash).collect();
            prop_assert_eq!(hashes, tree.read_nodes(&ids).expect("complete nodes"));

            let size = m + 1;
            let root = root_at(&tree, size).expect("a size within the tree");
            prop_assert_eq!(frontier.root(), root);
            prop_assert_eq!(frontier.size(), size);
            let peaks = tree.read_nodes(&Frontier::peak_ids(size)).expect("peaks are complete nodes");
            let rebuilt = Frontier::from_peaks(size, peaks).expect("one peak per set bit");
            prop_assert_eq!(&rebuilt, &frontier);
        }
        for probe in probes {
            let m = probe.index(size + 1);
            prop_assert_eq!(root_at(&tree, m as u64).expect("a size within the tree"), mth(&data[..m]));
        }
    }

    #[test]
    fn inclusion_proofs_verify_and_resist_tampering(size in 1u64..2500, seed: u64, picks in prop::collection::vec(any::<prop::sample::Index>(), 2), bit in 0usize..256) {
        let data = leaf_data(seed, size as usize);
        let tree = memory_tree(&data);
        let root = root_at(&tree, size).expect("the whole tree");
        for index in 0..size {
            let proof = inclusion_proof(&tree, index, size).expect("a leaf of the tree");
            prop_assert_eq!(verify_inclusion(&tree.leaves()[index as usize], index, size, &proof, &root), Ok(()));
        }
        for pick in picks {
            let index = pick.index(size as usize) as u64;
            let proof = inclusion_proof(&tree, index, size).expect("a leaf of the tree");
            prop_assert_eq!(&proof, &path(index as usize, &data));
            check_inclusion_tampering(&tree, index, size, &proof, &root, bit)?;
        }
    }

    #[test]
    fn consistency_proofs_verify_and_resist_tampering(new_size in 1u64..2500, seed: u64, picks in prop::collection::vec(any::<prop::sample::Index>(), 2), bit in 0usize..256) {
        let data = leaf_data(seed, new_size as usize);
        let tree = memory_tree(&data);
        let roots: Vec<Hash> = (0..=new_size).map(|m| root_at(&tree, m).expect("a size within the tree")).collect();
        let new_root = roots[new_size as usize];
        for old_size in 1..=new_size {
            let proof = consistency_proof(&tree, old_size, new_size).expect("a valid request");
            let verified = verify_consistency(old_size, new_size, &roots[old_size as usize], &new_root, &proof);
            prop_assert_eq!(verified, Ok(()));
        }
        for pick in picks {
            let old_size = pick.index(new_size as usize) as u64 + 1;
            let proof = consistency_proof(&tree, old_size, new_size).expect("a valid request");
            let expected = if old_size == new_size { Vec::new() } else { subproof(old_size as usize, &data, true) };
            prop_assert_eq!(&proof, &expected);
            check_consistency_tampering(&roots, old_size, new_size, &proof, bit)?;
        }
    }
}

fn check_inclusion_tampering(
    tree: &MemoryTree,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
    bit: usize,
) -> Result<(), TestCaseError> {
    let leaf = tree.leaves()[index as usize];
    prop_assert!(verify_inclusion(&flip(&leaf, bit), index, size, proof, root).is_err());
    prop_assert!(verify_inclusion(&leaf, index, size, proof, &flip(root, bit)).is_err());
    for i in 0..proof.len() {
        let mut tampered = proof.to_vec();
        tampered[i] = flip(&tampered[i], bit);
        prop_assert!(
            verify_inclusion(&leaf, index, size, &tampered, root).is_err(),
            "flipped proof[{}]",
            i
        );
    }
    let longer = [proof, &[*root]].concat();
    prop_assert!(verify_inclusion(&leaf, index, size, &longer, root).is_err());
    if let Some((_, shorter)) = proof.split_last() {
        prop_assert!(verify_inclusion(&leaf, index, size, shorter, root).is_err());
    }
    // Within one tree, no two leaves share a path shape, so any other index fails.
    for other in [index.wrapping_sub(1), index + 1, index ^ 1, index ^ 4, size, u64::MAX] {
        if other != index {
            prop_assert!(
                verify_inclusion(&leaf, other, size, proof, root).is_err(),
                "index {}",
                other
            );
        }
    }
    // Under another size the proof verifies exactly when that size gives the leaf the same
    // path shape: RFC 9162 proofs bind the size only through the root, which is signed.
    let sides = path_sides(index, size);
    for other in [size - 1, size + 1, size * 2, size / 2, size + 1000, u64::MAX] {
        if other != size {
            let verified = verify_inclusion(&leaf, index, other, proof, root).is_ok();
            // The oracle's recursion is for sizes a test can hold; u64::MAX has a longer path.
            let same_shape = index < other && other < 1 << 20 && path_sides(index, other) == sides;
            prop_assert_eq!(verified, same_shape, "size {}", other);
        }
    }
    Ok(())
}

fn check_consistency_tampering(
    roots: &[Hash],
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    bit: usize,
) -> Result<(), TestCaseError> {
    let (old_root, new_root) = (roots[old_size as usize], roots[new_size as usize]);
    let verify = |old: u64, new: u64, old_root: &Hash, new_root: &Hash, proof: &[Hash]| {
        verify_consistency(old, new, old_root, new_root, proof)
    };
    prop_assert!(verify(old_size, new_size, &flip(&old_root, bit), &new_root, proof).is_err());
    prop_assert!(verify(old_size, new_size, &old_root, &flip(&new_root, bit), proof).is_err());
    for i in 0..proof.len() {
        let mut tampered = proof.to_vec();
        tampered[i] = flip(&tampered[i], bit);
        prop_assert!(
            verify(old_size, new_size, &old_root, &new_root, &tampered).is_err(),
            "flipped proof[{}]",
            i
        );
    }
    let longer = [proof, &[new_root]].concat();
    prop_assert!(verify(old_size, new_size, &old_root, &new_root, &longer).is_err());
    if let Some((_, shorter)) = proof.split_last() {
        prop_assert!(verify(old_size, new_size, &old_root, &new_root, shorter).is_err());
    }
    if old_size < new_size {
        // Another tree's old root: the neighbouring sizes' roots differ from this one.
        let neighbour = roots[old_size as usize - 1];
        prop_assert!(verify(old_size, new_size, &neighbour, &new_root, proof).is_err());
        prop_assert!(verify(old_size, new_size, &new_root, &old_root, proof).is_err());
    }
    check_consistency_sizes(old_size, new_size, &old_root, &new_root, proof)
}

/// Wrong sizes fail whenever they call for a proof of another length; a proof of the same
/// length may verify under other sizes of the same shape (the sizes are bound by the signed
/// checkpoints, not by the proof), so those only need to run without panicking.
fn check_consistency_sizes(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), TestCaseError> {
    let olds = [old_size - 1, old_size + 1, old_size ^ 2, old_size * 2, u64::MAX];
    let news = [new_size - 1, new_size + 1, new_size * 2, new_size / 2, u64::MAX];
    let mut others = BTreeSet::new();
    others.extend(olds.iter().map(|&old| (old, new_size)));
    others.extend(news.iter().map(|&new| (old_size, new)));
    others.remove(&(old_size, new_size));
    for (old, new) in others {
        let verified = verify_consistency(old, new, old_root, new_root, proof);
        if old == 0 || old > new || new >= 1 << 20 {
            // Not a valid pair, or a tree far bigger than any proof here has hashes for.
            prop_assert!(verified.is_err(), "sizes {} to {}", old, new);
        } else if subproof_len(old, new, true) != proof.len() {
            let expected = VerifyError::ProofLength {
                expected: subproof_len(old, new, true),
                got: proof.len(),
            };
            prop_assert_eq!(verified, Err(expected), "sizes {} to {}", old, new);
        }
    }
    Ok(())
}

/// Sizes and indices anywhere in `u64`, with a bias to the edges where overflow hides.
fn any_position() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        (0u64..64).prop_map(|k| u64::MAX - k),
        0u64..64,
        (0u32..64).prop_map(|k| 1u64 << k)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn range_nodes_tile_any_range(start in any_position(), end in any_position()) {
        let nodes = range_nodes(start, end);
        let mut at = start;
        for node in &nodes {
            prop_assert_eq!(node.first_leaf(), at);
            prop_assert!(node.end_leaf() > at);
            at = node.end_leaf();
        }
        prop_assert_eq!(at, end.max(start));
        prop_assert!(nodes.len() <= 128);
    }

    #[test]
    fn node_ids_never_panic(level: u8, index: u64) {
        let node = NodeId { level, index };
        prop_assert!(node.first_leaf() <= node.end_leaf());
        if let Some((left, right)) = node.children() {
            prop_assert_eq!(left.parent(), node);
            prop_assert_eq!(right.parent(), node);
            prop_assert_eq!(left.end_leaf(), right.first_leaf());
        }
        let _ = node.parent();
    }

    #[test]
    fn arbitrary_requests_are_answered_not_panicked(a in any_position(), b in any_position()) {
        let tree = memory_tree(&leaf_data(0, 16));
        let leaf = tree.leaves()[0];
        let in_tree = |size: u64| size <= 16;
        match inclusion_proof(&tree, a, b) {
            Ok(proof) => {
                prop_assert!(a < b && in_tree(b));
                let root = root_at(&tree, b).expect("a size within the tree");
                prop_assert_eq!(verify_inclusion(&tree.leaves()[a as usize], a, b, &proof, &root), Ok(()));
            }
            Err(ProofError::Request(_)) => prop_assert!(a >= b),
            Err(ProofError::Read(_)) => prop_assert!(a < b && !in_tree(b)),
        }
        match consistency_proof(&tree, a, b) {
            Ok(_) => prop_assert!(0 < a && a <= b && (in_tree(b) || a == b)),
            Err(ProofError::Request(_)) => prop_assert!(a == 0 || a > b),
            Err(ProofError::Read(_)) => prop_assert!(0 < a && a < b && !in_tree(b)),
        }
        let proof = vec![leaf; 5];
        prop_assert!(verify_inclusion(&leaf, a, b, &proof, &leaf).is_err() || (a < b && b < 1 << 6));
        prop_assert!(verify_consistency(a, b, &leaf, &leaf, &proof).is_err() || (0 < a && a <= b));
    }
}
