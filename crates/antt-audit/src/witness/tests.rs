use super::*;
use crate::merkle::{self, leaf_hash, verify_consistency, MemoryTree};
use crate::note::Signer;

// The log's tree, from antt-audit's own in-memory tree.
fn root(leaves: &[Hash]) -> Hash {
    merkle::root_at(&MemoryTree::from_leaves(leaves.to_vec()), leaves.len() as u64).expect("a root")
}

fn consistency(old_size: usize, leaves: &[Hash]) -> Vec<Hash> {
    let tree = MemoryTree::from_leaves(leaves.to_vec());
    merkle::consistency_proof(&tree, old_size as u64, leaves.len() as u64).expect("a proof")
}

fn leaves(n: usize) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
}

const ORIGIN: &str = "example.com/log";

struct Log {
    signer: Signer,
    leaves: Vec<Hash>,
}

impl Log {
    fn new(n: usize) -> Self {
        Log {
            signer: Signer::generate(ORIGIN).expect("key"),
            leaves: leaves(n),
        }
    }

    fn checkpoint(&self, size: usize) -> Checkpoint {
        let root = root(&self.leaves[..size]);
        Checkpoint {
            origin: ORIGIN.into(),
            size: size as u64,
            root,
            extensions: vec![],
        }
    }

    fn request(&self, old: usize, size: usize) -> AddCheckpointRequest {
        let proof = if old == 0 {
            vec![]
        } else {
            consistency(old, &self.leaves[..size])
        };
        self.request_for(old as u64, proof, self.checkpoint(size))
    }

    fn request_for(&self, old_size: u64, proof: Vec<Hash>, checkpoint: Checkpoint) -> AddCheckpointRequest {
        let signed = SignedCheckpoint::sign(checkpoint, &self.signer).expect("signs");
        AddCheckpointRequest {
            old_size,
            consistency_proof: proof,
            checkpoint_text: signed.to_text(),
        }
    }

    fn decide(
        &self,
        stored: Option<&Checkpoint>,
        request: &AddCheckpointRequest,
    ) -> Result<Checkpoint, WitnessRefusal> {
        decide(stored, request, Some(&self.signer.verifier()), verify_consistency)
    }
}

#[test]
fn spec_example_request_body_parses_and_round_trips() {
    let body = "old 20852014\n\
                PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
                jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
                5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
                /6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
                \n\
                example.com/behind-the-sofa\n\
                20852163\n\
                CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
                \n\
                — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
                — example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";
    let request = AddCheckpointRequest::parse(body.as_bytes()).expect("spec example");
    assert_eq!(request.old_size, 20852014);
    assert_eq!(request.consistency_proof.len(), 4);
    assert!(request
        .checkpoint_text
        .starts_with("example.com/behind-the-sofa\n20852163\n"));
    assert_eq!(request.origin().expect("origin"), "example.com/behind-the-sofa");
    assert_eq!(request.to_body(), body);
}

#[test]
fn malformed_request_bodies_are_400() {
    let note = Log::new(1).request(0, 1).checkpoint_text;
    let hash = "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n";
    let too_long_proof = format!("old 1\n{}\n{note}", hash.repeat(CONSISTENCY_PROOF_HASHES_MAX + 1));
    let bad: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"old 0".to_vec(),
        format!("old 01\n\n{note}").into_bytes(),
        format!("old -1\n\n{note}").into_bytes(),
        format!("new 0\n\n{note}").into_bytes(),
        format!("old  0\n\n{note}").into_bytes(),
        format!("old 0\nnot a hash\n\n{note}").into_bytes(),
        format!("old 0\n{hash}").into_bytes(),
        too_long_proof.into_bytes(),
        [b"old 0\n\n".as_slice(), &[0xff, 0xfe], note.as_bytes()].concat(),
        vec![b'a'; ADD_CHECKPOINT_BODY_BYTES_MAX + 1],
    ];
    for body in &bad {
        let refusal = AddCheckpointRequest::parse(body).expect_err("must refuse");
        assert_eq!(
            refusal.status(),
            400,
            "{:?}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        );
    }
    let at_limit = format!("old 1\n{}\n{note}", hash.repeat(CONSISTENCY_PROOF_HASHES_MAX));
    assert_eq!(
        AddCheckpointRequest::parse(at_limit.as_bytes())
            .expect("63 lines")
            .consistency_proof
            .len(),
        63
    );
}

#[test]
fn first_checkpoint_is_accepted_from_old_size_zero() {
    let log = Log::new(5);
    let accepted = log.decide(None, &log.request(0, 5)).expect("accepted");
    assert_eq!(accepted, log.checkpoint(5));
}

#[test]
fn extension_with_a_valid_proof_is_accepted() {
    let log = Log::new(9);
    for (old, new) in [(1, 2), (3, 4), (4, 9), (5, 9), (8, 9)] {
        let accepted = log.decide(Some(&log.checkpoint(old)), &log.request(old, new));
        assert_eq!(accepted, Ok(log.checkpoint(new)), "{old} -> {new}");
    }
}

#[test]
fn same_checkpoint_again_is_accepted() {
    let log = Log::new(4);
    assert_eq!(
        log.decide(Some(&log.checkpoint(4)), &log.request(4, 4)),
        Ok(log.checkpoint(4))
    );
}

#[test]
fn size_zero_needs_the_empty_root() {
    let log = Log::new(0);
    assert_eq!(log.decide(None, &log.request(0, 0)), Ok(log.checkpoint(0)));
    let wrong = Checkpoint {
        root: leaf_hash(b"x"),
        ..log.checkpoint(0)
    };
    assert_eq!(
        log.decide(None, &log.request_for(0, vec![], wrong))
            .map_err(|e| e.status()),
        Err(422)
    );
}

#[test]
fn unknown_origin_is_404() {
    let log = Log::new(1);
    let refusal = decide(None, &log.request(0, 1), None, verify_consistency).expect_err("refused");
    assert_eq!(refusal, WitnessRefusal::UnknownOrigin(ORIGIN.into()));
    assert_eq!(refusal.status(), 404);
}

#[test]
fn signature_not_by_the_log_key_is_403() {
    let log = Log::new(1);
    // Same name, another key: its key ID differs, so no signature is by a known key.
    let impostor = Log::new(1);
    assert_eq!(
        log.decide(None, &impostor.request(0, 1)).map_err(|e| e.status()),
        Err(403)
    );
    // The log's name and key ID, but the body changed under the signature.
    let good = log.request(0, 1);
    let altered = Checkpoint {
        extensions: vec!["ext".into()],
        ..log.checkpoint(1)
    };
    let text = good
        .checkpoint_text
        .replacen(&log.checkpoint(1).to_body(), &altered.to_body(), 1);
    let tampered = AddCheckpointRequest {
        checkpoint_text: text,
        ..good
    };
    let refusal = log.decide(None, &tampered).expect_err("refused");
    assert!(
        matches!(&refusal, WitnessRefusal::Unverified(reason) if reason.contains("invalid signature")),
        "{refusal}"
    );
}

#[test]
fn malformed_checkpoint_is_400() {
    let log = Log::new(1);
    let request = AddCheckpointRequest {
        old_size: 0,
        consistency_proof: vec![],
        checkpoint_text: "not a note\n".into(),
    };
    assert_eq!(log.decide(None, &request).map_err(|e| e.status()), Err(400));
}

#[test]
fn old_size_above_checkpoint_size_is_400() {
    let log = Log::new(3);
    let request = log.request_for(5, vec![], log.checkpoint(3));
    assert_eq!(
        log.decide(Some(&log.checkpoint(3)), &request).map_err(|e| e.status()),
        Err(400)
    );
}

#[test]
fn old_size_other_than_stored_is_409_with_the_stored_size() {
    let log = Log::new(8);
    let refusal = log
        .decide(Some(&log.checkpoint(5)), &log.request(3, 8))
        .expect_err("refused");
    assert_eq!(refusal, WitnessRefusal::Conflict { stored_size: 5 });
    assert_eq!(refusal.status(), 409);
    let refusal = log.decide(None, &log.request(3, 8)).expect_err("refused");
    assert_eq!(refusal, WitnessRefusal::Conflict { stored_size: 0 });
    let refusal = log
        .decide(Some(&log.checkpoint(5)), &log.request(0, 8))
        .expect_err("refused");
    assert_eq!(refusal, WitnessRefusal::Conflict { stored_size: 5 });
}

#[test]
fn proof_from_size_zero_must_be_empty() {
    let log = Log::new(4);
    let request = log.request_for(0, vec![leaf_hash(b"x")], log.checkpoint(4));
    assert_eq!(log.decide(None, &request).map_err(|e| e.status()), Err(422));
}

#[test]
fn fork_at_the_same_size_is_422() {
    let log = Log::new(4);
    let fork = Checkpoint {
        root: leaf_hash(b"fork"),
        ..log.checkpoint(4)
    };
    let request = log.request_for(4, vec![], fork);
    assert_eq!(
        log.decide(Some(&log.checkpoint(4)), &request).map_err(|e| e.status()),
        Err(422)
    );
    let with_proof = log.request_for(4, vec![leaf_hash(b"x")], log.checkpoint(4));
    assert_eq!(
        log.decide(Some(&log.checkpoint(4)), &with_proof)
            .map_err(|e| e.status()),
        Err(422)
    );
}

#[test]
fn inconsistent_proof_is_422() {
    let log = Log::new(6);
    let other = Log {
        signer: Signer::generate(ORIGIN).expect("key"),
        leaves: leaves(7)[1..].to_vec(),
    };
    // A proof that is right for another tree of the same sizes.
    let forked = log.request_for(3, consistency(3, &other.leaves[..6]), log.checkpoint(6));
    assert_eq!(
        log.decide(Some(&log.checkpoint(3)), &forked).map_err(|e| e.status()),
        Err(422)
    );
    // A stored checkpoint from another history: the right proof no longer leads to it.
    assert_eq!(
        log.decide(Some(&other.checkpoint(3)), &log.request(3, 6))
            .map_err(|e| e.status()),
        Err(422)
    );
    let empty = log.request_for(3, vec![], log.checkpoint(6));
    assert_eq!(
        log.decide(Some(&log.checkpoint(3)), &empty).map_err(|e| e.status()),
        Err(422)
    );
}

#[test]
fn consistency_check_is_injected() {
    let log = Log::new(6);
    let refuse_all = |_: u64, _: u64, _: &Hash, _: &Hash, _: &[Hash]| Err("refused by the test");
    let verifier = log.signer.verifier();
    let refusal = decide(
        Some(&log.checkpoint(3)),
        &log.request(3, 6),
        Some(&verifier),
        refuse_all,
    )
    .expect_err("refused");
    assert_eq!(refusal.status(), 422);
}
