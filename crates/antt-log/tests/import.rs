//! The importer: a new store written from another's records keeps every position, id,
//! time and hash, and refuses a record that is not the one the chain expects.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_audit::merkle::{self, MemoryTree};
use antt_log::conformance::new_event;
use antt_log::sled_log::{ImportError, Importer, SledConfig, SledLog, SyncMode};
use antt_log::{codec, AppendRequest, EventLog, ExpectedVersion, ReadAllRequest, RecordedEvent, VerifiableLog};

mod support;

/// A source log of `events` events over three streams, and its records.
fn source(runtime: &tokio::runtime::Runtime, dir: &std::path::Path, events: u128) -> Vec<RecordedEvent> {
    let mut config = SledConfig::new(dir);
    config.sync_mode = SyncMode::Flush;
    let log = SledLog::open(config).unwrap();
    runtime.block_on(async {
        for n in 0..events {
            let request = AppendRequest {
                stream_id: format!("s-{}", n % 3),
                expected: ExpectedVersion::Any,
                events: vec![new_event(n + 1, "Imported")],
            };
            log.append(request).await.unwrap();
        }
        let page = log
            .read_all(ReadAllRequest {
                from_position: 0,
                max_count: 0,
                filter: Default::default(),
            })
            .await
            .unwrap();
        log.close().await.unwrap();
        page.events
    })
}

fn record(event: &RecordedEvent) -> Vec<u8> {
    let mut record = codec::canonical_bytes(event);
    record.extend_from_slice(&event.hash);
    record
}

#[test]
fn an_imported_store_is_the_source_event_for_event() {
    // Goal: positions, ids, times, hashes, the Merkle root and stored checkpoints survive an
    // import, and the result opens and verifies like any store.
    // Method: 300 events (several stored Merkle levels), imported in pages of 7 (pages that
    // do not align with the tree's stored nodes), then verify and reopen.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let source_dir = tempfile::tempdir().unwrap();
    let events = source(&runtime, source_dir.path(), 300);
    let target = tempfile::tempdir().unwrap();
    let mut importer = Importer::create(target.path()).unwrap();
    let records: Vec<Vec<u8>> = events.iter().map(record).collect();
    for page in records.chunks(7) {
        importer.push(page).unwrap();
    }
    importer.save_checkpoint(150, "a note").unwrap();
    let head = importer.finish().unwrap();
    let tree = MemoryTree::from_leaves(records.iter().map(|r| merkle::leaf_hash(&r[..r.len() - 32])).collect());
    assert_eq!(head.size, 300);
    assert_eq!(head.last_hash, events[299].hash);
    assert_eq!(head.tree_root, merkle::root_at(&tree, 300).unwrap());

    let report = support::verify_closed(target.path(), &mut |_, _| {}).unwrap();
    assert_eq!(report.events_checked, 300);
    assert_eq!(report.tree_root, head.tree_root);
    assert_eq!(report.anchored.map(|anchored| anchored.size), Some(300));

    let log = support::reopen(SledConfig::new(target.path())).unwrap();
    runtime.block_on(async {
        let page = log
            .read_all(ReadAllRequest {
                from_position: 0,
                max_count: 0,
                filter: Default::default(),
            })
            .await
            .unwrap();
        assert_eq!(page.events, events);
        assert_eq!(log.checkpoint_at(150).await.unwrap().as_deref(), Some("a note"));
        assert_eq!(log.root_at(100).await.unwrap(), merkle::root_at(&tree, 100).unwrap());
        log.close().await.unwrap();
    });
}

#[test]
fn a_changed_missing_or_foreign_record_is_refused() {
    // Goal: the importer trusts no record: a changed byte (even with a hash recomputed
    // over it), a gap, or a second store in the same place are each refused, naming the
    // position.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let source_dir = tempfile::tempdir().unwrap();
    let events = source(&runtime, source_dir.path(), 20);
    let records: Vec<Vec<u8>> = events.iter().map(record).collect();

    let refused_at = |records: &[Vec<u8>]| {
        let target = tempfile::tempdir().unwrap();
        let mut importer = Importer::create(target.path()).unwrap();
        match importer.push(records) {
            Err(ImportError::Refused(damage)) => damage.position,
            other => panic!("expected a refusal, got {other:?}"),
        }
    };
    let mut changed = records.clone();
    let payload_byte = changed[5].len() - 33;
    changed[5][payload_byte] ^= 0x01;
    assert_eq!(refused_at(&changed), 5);

    // A record rewritten with its own hash recomputed still breaks the chain at the next.
    let mut rewritten = events.clone();
    rewritten[5].actor = "someone else".into();
    let previous = events[4].hash;
    let canonical = codec::canonical_bytes(&rewritten[5]);
    rewritten[5].hash = codec::chain_hash(&previous, &canonical);
    let rewritten: Vec<Vec<u8>> = rewritten.iter().map(record).collect();
    assert_eq!(refused_at(&rewritten), 6);

    let mut gap = records.clone();
    gap.remove(3);
    assert_eq!(refused_at(&gap), 3);

    match Importer::create(source_dir.path()) {
        Err(ImportError::NotEmpty { .. }) => {}
        Err(other) => panic!("expected NotEmpty, got {other}"),
        Ok(_) => panic!("an import over an existing store was accepted"),
    }
}
