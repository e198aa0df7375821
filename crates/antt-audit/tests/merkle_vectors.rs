//! The published RFC 6962 test vectors (the eight-leaf tree used by certificate-transparency
//! and transparency-dev/merkle, `proof/verify_test.go`), checked against both building and
//! verifying proofs, plus the corruptions those suites probe with.

use antt_audit::encoding::parse_hex;
use antt_audit::merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, root_at, verify_consistency, verify_inclusion, Frontier,
    Hash, MemoryTree, VerifyError,
};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// The roots of the trees of the first 1..=8 leaves.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

const EMPTY_ROOT: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// (leaf index, tree size, proof); the source counts leaves from 1, these from 0.
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (0, 1, &[]),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, proof).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

/// Some hash no tree here has.
const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

fn hash(text: &str) -> Hash {
    let bytes = parse_hex(text).expect("test vectors are hex");
    bytes.try_into().expect("test vector hashes are 32 bytes")
}

fn hashes(texts: &[&str]) -> Vec<Hash> {
    texts.iter().map(|text| hash(text)).collect()
}

fn tree() -> MemoryTree {
    MemoryTree::from_leaves(
        LEAVES
            .iter()
            .map(|leaf| leaf_hash(&parse_hex(leaf).expect("hex")))
            .collect(),
    )
}

fn root(size: u64) -> Hash {
    hash(ROOTS[size as usize - 1])
}

#[test]
fn roots_of_every_size() {
    let tree = tree();
    assert_eq!(empty_root(), hash(EMPTY_ROOT));
    assert_eq!(root_at(&tree, 0).expect("size 0"), hash(EMPTY_ROOT));
    let mut frontier = Frontier::new();
    let mut completed = Vec::new();
    for (size, leaf) in (1..).zip(tree.leaves()) {
        frontier.push(*leaf, &mut completed);
        assert_eq!(
            root_at(&tree, size).expect("size in the tree"),
            root(size),
            "root_at({size})"
        );
        assert_eq!(frontier.root(), root(size), "frontier root at {size}");
    }
}

#[test]
fn inclusion_proofs_match_and_verify() {
    let tree = tree();
    for (index, size, expected) in INCLUSION {
        let proof = inclusion_proof(&tree, index, size).expect("a valid request");
        assert_eq!(proof, hashes(expected), "inclusion proof of {index} in {size}");
        let leaf = tree.leaves()[index as usize];
        assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root(size)), Ok(()));
        for (what, (leaf, index, size, proof, root)) in inclusion_probes(leaf, index, size, &proof) {
            assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_err(), "{what}");
        }
    }
}

type InclusionProbe = (Hash, u64, u64, Vec<Hash>, Hash);

/// The corruptions every inclusion proof must fail under.
fn inclusion_probes(leaf: Hash, index: u64, size: u64, proof: &[Hash]) -> Vec<(String, InclusionProbe)> {
    let (r, some) = (root(size), hash(SOME_HASH));
    let p = proof.to_vec();
    let mut probes = vec![
        (
            "index - 1".to_string(),
            (leaf, index.wrapping_sub(1), size, p.clone(), r),
        ),
        ("index + 1".to_string(), (leaf, index + 1, size, p.clone(), r)),
        ("index ^ 2".to_string(), (leaf, index ^ 2, size, p.clone(), r)),
        ("size * 2".to_string(), (leaf, index, size * 2, p.clone(), r)),
        ("size / 2".to_string(), (leaf, index, size / 2, p.clone(), r)),
        ("wrong leaf".to_string(), (some, index, size, p.clone(), r)),
        ("empty root".to_string(), (leaf, index, size, p.clone(), empty_root())),
        ("some root".to_string(), (leaf, index, size, p.clone(), some)),
        (
            "trailing root".to_string(),
            (leaf, index, size, [p.clone(), vec![r]].concat(), r),
        ),
        (
            "preceding root".to_string(),
            (leaf, index, size, [vec![r], p.clone()].concat(), r),
        ),
    ];
    for i in 0..p.len() {
        let mut flipped = p.clone();
        flipped[i][0] ^= 8;
        probes.push((format!("proof[{i}] bit 3"), (leaf, index, size, flipped, r)));
    }
    if let Some((_, shorter)) = p.split_last() {
        probes.push(("removed last".to_string(), (leaf, index, size, shorter.to_vec(), r)));
    }
    if p.len() > 1 {
        let inserted = [vec![p[0], some], p[1..].to_vec()].concat();
        probes.push(("inserted".to_string(), (leaf, index, size, inserted, r)));
    }
    probes
}

#[test]
fn consistency_proofs_match_and_verify() {
    let tree = tree();
    for (old_size, new_size, expected) in CONSISTENCY {
        let proof = consistency_proof(&tree, old_size, new_size).expect("a valid request");
        assert_eq!(proof, hashes(expected), "consistency proof {old_size} to {new_size}");
        let (old_root, new_root) = (root(old_size), root(new_size));
        assert_eq!(
            verify_consistency(old_size, new_size, &old_root, &new_root, &proof),
            Ok(())
        );
        if proof.is_empty() {
            continue;
        }
        for (what, (old, new, old_root, new_root, proof)) in consistency_probes(old_size, new_size, &proof) {
            assert!(
                verify_consistency(old, new, &old_root, &new_root, &proof).is_err(),
                "{old_size} to {new_size}: {what}"
            );
        }
    }
}

type ConsistencyProbe = (u64, u64, Hash, Hash, Vec<Hash>);

/// The corruptions every non-empty consistency proof must fail under.
fn consistency_probes(old: u64, new: u64, proof: &[Hash]) -> Vec<(String, ConsistencyProbe)> {
    let (r1, r2, some) = (root(old), root(new), hash(SOME_HASH));
    let p = proof.to_vec();
    let mut probes = vec![
        ("old - 1".to_string(), (old - 1, new, r1, r2, p.clone())),
        ("old + 1".to_string(), (old + 1, new, r1, r2, p.clone())),
        ("old ^ 2".to_string(), (old ^ 2, new, r1, r2, p.clone())),
        ("new * 2".to_string(), (old, new * 2, r1, r2, p.clone())),
        ("new / 2".to_string(), (old, new / 2, r1, r2, p.clone())),
        ("wrong old root".to_string(), (old, new, some, r2, p.clone())),
        ("wrong new root".to_string(), (old, new, r1, some, p.clone())),
        ("swapped roots".to_string(), (old, new, r2, r1, p.clone())),
        ("empty proof".to_string(), (old, new, r1, r2, Vec::new())),
        (
            "trailing old root".to_string(),
            (old, new, r1, r2, [p.clone(), vec![r1]].concat()),
        ),
        (
            "trailing new root".to_string(),
            (old, new, r1, r2, [p.clone(), vec![r2]].concat()),
        ),
        (
            "preceding old root".to_string(),
            (old, new, r1, r2, [vec![r1], p.clone()].concat()),
        ),
        (
            "preceding new root".to_string(),
            (old, new, r1, r2, [vec![r2], p.clone()].concat()),
        ),
        (
            "preceding proof[0]".to_string(),
            (old, new, r1, r2, [vec![p[0]], p.clone()].concat()),
        ),
        ("truncated".to_string(), (old, new, r1, r2, p[..p.len() - 1].to_vec())),
    ];
    for i in 0..p.len() {
        let mut flipped = p.clone();
        flipped[i][0] ^= 16;
        probes.push((format!("proof[{i}] bit 4"), (old, new, r1, r2, flipped)));
    }
    probes
}

#[test]
fn consistency_edge_cases() {
    let (a, b) = (hash(ROOTS[0]), hash(ROOTS[1]));
    let empty = empty_root();
    assert_eq!(verify_consistency(1, 1, &a, &a, &[]), Ok(()));
    assert_eq!(
        verify_consistency(1, 1, &a, &b, &[]),
        Err(VerifyError::DifferentRoots { size: 1 })
    );
    assert_eq!(
        verify_consistency(1, 1, &a, &a, &[empty]),
        Err(VerifyError::ProofLength { expected: 0, got: 1 })
    );
    // RFC 9162 leaves consistency from the empty tree undefined; this crate refuses it.
    assert_eq!(
        verify_consistency(0, 0, &empty, &empty, &[]),
        Err(VerifyError::EmptyOldTree)
    );
    assert_eq!(
        verify_consistency(0, 1, &empty, &a, &[]),
        Err(VerifyError::EmptyOldTree)
    );
    assert_eq!(
        verify_consistency(2, 1, &b, &a, &[]),
        Err(VerifyError::SizesReversed {
            old_size: 2,
            new_size: 1
        })
    );
    assert_eq!(
        verify_consistency(1, 2, &a, &b, &[]),
        Err(VerifyError::ProofLength { expected: 1, got: 0 })
    );
}

#[test]
fn inclusion_edge_cases() {
    let some = hash(SOME_HASH);
    for (index, size) in [(0, 0), (1, 0), (2, 1), (1, 1)] {
        assert_eq!(
            verify_inclusion(&some, index, size, &[], &empty_root()),
            Err(VerifyError::IndexOutOfRange { index, size })
        );
    }
    // A one-leaf tree's root is its leaf hash, with an empty proof.
    let leaf = leaf_hash(b"data");
    assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &leaf), Ok(()));
    assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &some), Err(VerifyError::WrongRoot));
}
