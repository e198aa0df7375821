//! The Merkle tree the sled log stores, against a naive oracle: a `MemoryTree` built from
//! the canonical bytes of the events read back. Every root and proof the store serves
//! must be the oracle's, across group commits of any size, across a reopen, and past the
//! stored levels (8 and 16).

mod support;

use antt_audit::merkle::{self, MemoryTree};
use antt_log::sled_log::{SledConfig, SledLog};
use antt_log::{codec, AppendRequest, EventFilter, EventLog, ExpectedVersion, NewEvent, ReadAllRequest, VerifiableLog};
use proptest::prelude::*;
use uuid::Uuid;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn append_groups(log: &SledLog, groups: &[usize], first_id: u128) {
    let mut id = first_id;
    for (number, &events) in groups.iter().enumerate() {
        let events = (0..events)
            .map(|_| {
                id += 1;
                NewEvent::new(Uuid::from_u128(id), "test.Merkle", format!("event {id}"))
            })
            .collect();
        let request = AppendRequest {
            stream_id: format!("s-{}", number % 5),
            expected: ExpectedVersion::Any,
            events,
        };
        log.append(request).await.expect("append");
    }
}

/// The oracle: leaves recomputed from every event read back through the public API.
async fn oracle(log: &SledLog) -> MemoryTree {
    let mut tree = MemoryTree::new();
    let mut from_position = 0;
    loop {
        let page = log
            .read_all(ReadAllRequest {
                from_position,
                max_count: 0,
                filter: EventFilter::default(),
            })
            .await
            .expect("read_all");
        if page.events.is_empty() {
            return tree;
        }
        for event in &page.events {
            tree.push(merkle::leaf_hash(&codec::canonical_bytes(event)));
        }
        from_position = page.next_position;
    }
}

async fn check_against_oracle(log: &SledLog, sizes: &[u64]) {
    let tree = oracle(log).await;
    let head = log.tree_head();
    assert_eq!(head.size, tree.len());
    assert_eq!(head.root, merkle::root_at(&tree, tree.len()).expect("oracle root"));
    for &size in sizes.iter().filter(|size| (1..=head.size).contains(*size)) {
        let root = merkle::root_at(&tree, size).expect("oracle root");
        assert_eq!(log.root_at(size).await.expect("root_at"), root, "root at {size}");
        for index in [0, size / 3, size / 2, size - 1] {
            let proof = log.inclusion_proof(index, size).await.expect("inclusion proof");
            assert_eq!(
                proof,
                merkle::inclusion_proof(&tree, index, size).expect("oracle proof")
            );
            merkle::verify_inclusion(&tree.leaves()[index as usize], index, size, &proof, &root).expect("verifies");
        }
        let proof = log.consistency_proof(size, head.size).await.expect("consistency proof");
        assert_eq!(
            proof,
            merkle::consistency_proof(&tree, size, head.size).expect("oracle proof")
        );
        merkle::verify_consistency(size, head.size, &root, &head.root, &proof).expect("verifies");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn stored_tree_answers_as_the_oracle(
        groups in prop::collection::vec(1usize..120, 1..16),
        more in prop::collection::vec(1usize..120, 0..6),
        sizes in prop::collection::vec(1u64..2000, 1..6),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        runtime().block_on(async {
            let log = SledLog::open(SledConfig::new(dir.path())).expect("open");
            append_groups(&log, &groups, 0).await;
            check_against_oracle(&log, &sizes).await;
            log.close().await.expect("close");
            drop(log);
            // Reopened, the tree continues from its stored peaks.
            let log = support::reopen(SledConfig::new(dir.path())).expect("reopen");
            append_groups(&log, &more, 1_000_000).await;
            check_against_oracle(&log, &sizes).await;
            log.close().await.expect("close");
        });
    }
}

#[test]
fn the_tree_past_the_second_stored_level_answers_as_the_oracle() {
    // 2^16 + some leaves: every stored level up to 16 is in use, and the levels between.
    let dir = tempfile::tempdir().expect("temp dir");
    runtime().block_on(async {
        let log = SledLog::open(SledConfig::new(dir.path())).expect("open");
        let groups = vec![1000; 66];
        append_groups(&log, &groups, 0).await;
        check_against_oracle(&log, &[1, 255, 256, 65_535, 65_536, 65_537, 65_999]).await;
        log.close().await.expect("close");
    });
}

#[test]
fn bad_proof_requests_name_their_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    runtime().block_on(async {
        let log = SledLog::open(SledConfig::new(dir.path())).expect("open");
        append_groups(&log, &[10], 0).await;
        let field_of = |error: antt_log::ReadError| match error {
            antt_log::ReadError::Invalid(violations) => violations[0].field.clone(),
            other => panic!("expected a violation, got {other}"),
        };
        assert_eq!(field_of(log.inclusion_proof(0, 11).await.unwrap_err()), "tree_size");
        assert_eq!(field_of(log.inclusion_proof(0, 0).await.unwrap_err()), "tree_size");
        assert_eq!(field_of(log.inclusion_proof(10, 10).await.unwrap_err()), "position");
        assert_eq!(field_of(log.consistency_proof(0, 5).await.unwrap_err()), "old_size");
        assert_eq!(field_of(log.consistency_proof(6, 5).await.unwrap_err()), "old_size");
        assert_eq!(field_of(log.consistency_proof(5, 11).await.unwrap_err()), "new_size");
        assert_eq!(field_of(log.root_at(11).await.unwrap_err()), "tree_size");
        log.close().await.expect("close");
    });
}
