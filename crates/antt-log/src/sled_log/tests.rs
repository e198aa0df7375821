//! Unit tests of the sled backend: behaviour through the `EventLog` trait, and damage
//! made through sled directly to show that `open` and `verify` find it.

use std::path::Path;
use std::sync::Arc;

use tempfile::TempDir;
use uuid::Uuid;

use super::*;
use crate::codec;
use crate::event::{Direction, EventFilter, ExpectedVersion, NewEvent, Timestamp};

fn temp_dir() -> TempDir {
    tempfile::tempdir().unwrap()
}

fn open_log(path: &Path) -> SledLog {
    SledLog::open(SledConfig::new(path)).unwrap()
}

fn new_event(id: u128) -> NewEvent {
    let mut event = NewEvent::new(
        Uuid::from_u128(id),
        "antt.v1.Tested",
        format!("payload {id}").into_bytes(),
    );
    event.actor = "tester".into();
    event
}

fn request(stream_id: &str, expected: ExpectedVersion, ids: std::ops::Range<u128>) -> AppendRequest {
    AppendRequest {
        stream_id: stream_id.into(),
        expected,
        events: ids.map(new_event).collect(),
    }
}

fn stream_read(stream_id: &str, from_version: Option<u64>, direction: Direction) -> ReadStreamRequest {
    ReadStreamRequest {
        stream_id: stream_id.into(),
        from_version,
        direction,
        max_count: 0,
    }
}

fn read_everything() -> ReadAllRequest {
    ReadAllRequest {
        from_position: 0,
        max_count: 0,
        filter: EventFilter::default(),
    }
}

/// Opens the closed log's store with sled directly, as an intruder or a broken disk would.
fn raw_events_tree(path: &Path) -> (sled::Db, sled::Tree) {
    let db = store::open_db(path, config::DEFAULT_CACHE_CAPACITY_BYTES).unwrap();
    let tree = store::open_events_tree(&db, path).unwrap();
    (db, tree)
}

/// A log of 10 events at positions 0..10, closed and dropped.
async fn closed_log_of_ten(path: &Path) -> LogHead {
    let log = open_log(path);
    log.append(request("s-1", ExpectedVersion::NoStream, 1..6))
        .await
        .unwrap();
    log.append(request("s-2", ExpectedVersion::NoStream, 6..11))
        .await
        .unwrap();
    log.close().await.unwrap();
    log.head()
}

fn corrupted_position(error: OpenError) -> u64 {
    match error {
        OpenError::Corrupted { position, .. } => position,
        other => panic!("expected a corrupted log, got {other}"),
    }
}

fn damaged_position(error: VerifyError) -> u64 {
    match error {
        VerifyError::Damaged(damage) => damage.position,
        other => panic!("expected damage, got {other}"),
    }
}

#[tokio::test]
async fn appended_events_read_back_through_every_read() {
    let dir = temp_dir();
    let log = open_log(dir.path());
    let first = log
        .append(request("team-1", ExpectedVersion::NoStream, 1..4))
        .await
        .unwrap();
    let second = log.append(request("area-9", ExpectedVersion::Any, 4..6)).await.unwrap();
    assert_eq!(
        (first.first_position, first.last_position, first.stream_version),
        (0, 2, 2)
    );
    assert_eq!(
        (second.first_position, second.last_position, second.stream_version),
        (3, 4, 1)
    );
    assert!(!first.deduplicated && second.recorded_at >= first.recorded_at);

    let team = log
        .read_stream(stream_read("team-1", None, Direction::Forwards))
        .await
        .unwrap();
    assert_eq!(team.iter().map(|e| e.stream_version).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert!(team.iter().zip(1..4).all(|(e, id)| new_event(id).matches_recorded(e)));
    assert_eq!(team[0].effective_at, team[0].recorded_at);
    let backwards = log
        .read_stream(stream_read("team-1", Some(1), Direction::Backwards))
        .await
        .unwrap();
    assert_eq!(backwards.iter().map(|e| e.position).collect::<Vec<_>>(), vec![1, 0]);
    assert!(log
        .read_stream(stream_read("nobody", None, Direction::Forwards))
        .await
        .unwrap()
        .is_empty());

    let all = log.read_all(read_everything()).await.unwrap();
    assert_eq!(all.events.len(), 5);
    assert!(all.reached_head());
    assert_eq!(log.head().last_hash, all.events[4].hash);
    assert_eq!(log.event_at(3).await.unwrap().unwrap().event_id, Uuid::from_u128(4));
    assert!(log.event_at(5).await.unwrap().is_none());
    assert_eq!(log.event_by_id(Uuid::from_u128(2)).await.unwrap().unwrap().position, 1);
    assert!(log.event_by_id(Uuid::from_u128(99)).await.unwrap().is_none());

    let info = log.stream_info("area-9").await.unwrap().unwrap();
    assert_eq!((info.version, info.first_position, info.last_position), (1, 3, 4));
    let listed = log
        .list_streams(ListStreamsRequest {
            prefix: String::new(),
            after: None,
            page_size: 0,
        })
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|s| s.stream_id.as_str()).collect::<Vec<_>>(),
        vec!["area-9", "team-1"]
    );
    assert!(matches!(log.stream_info("").await, Err(ReadError::Invalid(_))));
    assert_eq!(*log.watch_head().borrow(), 5);
}

#[tokio::test]
async fn reopening_keeps_every_event_and_the_head_hash() {
    let dir = temp_dir();
    let head = closed_log_of_ten(dir.path()).await;
    let log = open_log(dir.path());
    assert_eq!(log.head(), head);
    assert_eq!(log.read_all(read_everything()).await.unwrap().events.len(), 10);
    assert_eq!(log.stream_info("s-2").await.unwrap().unwrap().version, 4);
    let more = log
        .append(request("s-1", ExpectedVersion::Exact(4), 11..12))
        .await
        .unwrap();
    assert_eq!((more.first_position, more.stream_version), (10, 5));
    log.close().await.unwrap();
    drop(log);
    let report = verify(dir.path(), &[], &mut |_, _| {}).unwrap();
    assert_eq!(report.events_checked, 11);
}

#[tokio::test]
async fn a_retried_append_returns_the_original_outcome_and_writes_nothing() {
    let dir = temp_dir();
    let log = open_log(dir.path());
    let original = log.append(request("s", ExpectedVersion::NoStream, 1..4)).await.unwrap();
    log.append(request("s", ExpectedVersion::Any, 4..5)).await.unwrap();
    let head = log.head();
    // The expectation no longer holds, but a retry is recognised before it is checked.
    let retried = log.append(request("s", ExpectedVersion::NoStream, 1..4)).await.unwrap();
    assert!(retried.deduplicated);
    assert_eq!(
        AppendOutcome {
            deduplicated: false,
            ..retried
        },
        original
    );
    assert_eq!(log.head(), head);
    // Part of an append is not that append.
    let part = log.append(request("s", ExpectedVersion::Any, 2..4)).await;
    assert!(matches!(part, Err(AppendError::EventIdReused { position: 1, .. })));
    log.close().await.unwrap();
    drop(log);

    let reopened = open_log(dir.path());
    let after_restart = reopened
        .append(request("s", ExpectedVersion::NoStream, 1..4))
        .await
        .unwrap();
    assert_eq!(after_restart, retried);
    let joined = reopened.append(request("s", ExpectedVersion::Any, 3..5)).await;
    assert!(matches!(joined, Err(AppendError::EventIdReused { position: 3, .. })));
}

#[tokio::test]
async fn retries_racing_in_one_group_write_the_batch_once() {
    let dir = temp_dir();
    let log = open_log(dir.path());
    let batch = request("s", ExpectedVersion::Any, 1..4);
    let (a, b) = tokio::join!(log.append(batch.clone()), log.append(batch));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.first_position, b.first_position);
    assert!(a.deduplicated != b.deduplicated);
    assert_eq!(log.head().next_position, 3);
}

#[tokio::test]
async fn a_known_event_id_used_differently_is_refused() {
    let dir = temp_dir();
    let log = open_log(dir.path());
    log.append(request("s", ExpectedVersion::Any, 1..3)).await.unwrap();
    let mut changed = request("s", ExpectedVersion::Any, 1..3);
    changed.events[1].payload = b"other".to_vec();
    let other_stream = request("t", ExpectedVersion::Any, 1..3);
    let later_id_known = request("s", ExpectedVersion::Any, 5..7);
    let mut later_id_known = later_id_known;
    later_id_known.events[1] = new_event(2);
    let longer = request("s", ExpectedVersion::Any, 1..4);
    for (attempt, (event_id, position)) in [
        (changed, (2, 1)),
        (other_stream, (1, 0)),
        (later_id_known, (2, 1)),
        (longer, (1, 0)),
    ] {
        match log.append(attempt).await {
            Err(AppendError::EventIdReused {
                event_id: id,
                position: at,
            }) => {
                assert_eq!((id, at), (Uuid::from_u128(event_id), position))
            }
            other => panic!("expected EventIdReused, got {other:?}"),
        }
    }
    assert_eq!(log.head().next_position, 2);
}

#[tokio::test]
async fn a_conflict_names_the_actual_version() {
    let dir = temp_dir();
    let log = open_log(dir.path());
    log.append(request("s", ExpectedVersion::Any, 1..4)).await.unwrap();
    let cases = [
        ("s", ExpectedVersion::NoStream, Some(2)),
        ("s", ExpectedVersion::Exact(5), Some(2)),
        ("new", ExpectedVersion::StreamExists, None),
        ("new", ExpectedVersion::Exact(0), None),
    ];
    for (id, (stream_id, expected, actual_version)) in (10..).zip(cases) {
        match log.append(request(stream_id, expected, id..id + 1)).await {
            Err(AppendError::VersionConflict { actual, .. }) => assert_eq!(actual, actual_version),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
    assert_eq!(log.head().next_position, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_get_dense_distinct_positions() {
    let dir = temp_dir();
    let log = Arc::new(open_log(dir.path()));
    let tasks: Vec<_> = (0..8u128)
        .map(|task| {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut positions = Vec::new();
                for append in 0..25u128 {
                    let first_id = 1 + task * 1000 + append * 2;
                    let stream_id = format!("s-{}", append % 3);
                    let outcome = log
                        .append(request(&stream_id, ExpectedVersion::Any, first_id..first_id + 2))
                        .await;
                    let outcome = outcome.unwrap();
                    positions.extend(outcome.first_position..=outcome.last_position);
                }
                positions
            })
        })
        .collect();
    let mut positions = Vec::new();
    for task in tasks {
        positions.extend(task.await.unwrap());
    }
    positions.sort_unstable();
    assert_eq!(positions, (0..400).collect::<Vec<_>>());
    for stream_id in ["s-0", "s-1", "s-2"] {
        let events = log
            .read_stream(stream_read(stream_id, None, Direction::Forwards))
            .await
            .unwrap();
        assert!(events
            .iter()
            .zip(0..)
            .all(|(event, version)| event.stream_version == version));
    }
    let all = log.read_all(read_everything()).await.unwrap();
    assert!(all
        .events
        .windows(2)
        .all(|pair| pair[0].recorded_at <= pair[1].recorded_at));
    log.close().await.unwrap();
}

#[tokio::test]
async fn a_tampered_record_fails_open_and_verify_at_its_position() {
    let dir = temp_dir();
    closed_log_of_ten(dir.path()).await;
    {
        let (_db, tree) = raw_events_tree(dir.path());
        let mut record = tree.get(store::key(4)).unwrap().unwrap().to_vec();
        // The last payload byte: the record still decodes, only its hash no longer fits.
        let payload_end = record.len() - codec::HASH_BYTES - 1;
        record[payload_end] ^= 0x01;
        assert!(codec::decode_record(&record).is_ok());
        tree.insert(store::key(4), record).unwrap();
        tree.flush().unwrap();
    }
    assert_eq!(
        corrupted_position(SledLog::open(SledConfig::new(dir.path())).unwrap_err()),
        4
    );
    assert_eq!(
        damaged_position(verify(dir.path(), &[], &mut |_, _| {}).unwrap_err()),
        4
    );

    // Before the tail window the chain is not read at open, but the Merkle root over the
    // records of the last partial 16-leaf subtree is, and it no longer fits the anchor.
    let mut config = SledConfig::new(dir.path());
    config.tail_check_events = 3;
    assert!(matches!(
        SledLog::open(config).unwrap_err(),
        OpenError::Rewritten { .. }
    ));
}

#[tokio::test]
async fn a_missing_record_fails_open_and_verify() {
    let dir = temp_dir();
    closed_log_of_ten(dir.path()).await;
    {
        let (_db, tree) = raw_events_tree(dir.path());
        tree.remove(store::key(3)).unwrap();
        tree.flush().unwrap();
    }
    let error = SledLog::open(SledConfig::new(dir.path())).unwrap_err();
    assert!(error.to_string().contains("antt admin verify --data"));
    assert_eq!(corrupted_position(error), 3);
    assert_eq!(
        damaged_position(verify(dir.path(), &[], &mut |_, _| {}).unwrap_err()),
        3
    );
}

#[tokio::test]
async fn a_log_cut_after_its_last_anchored_group_opens_and_continues() {
    // What a crash leaves behind: groups after the last anchored one may or may not be
    // there (they were never acknowledged), and the log continues from what is.
    let dir = temp_dir();
    let log = open_log(dir.path());
    log.append(request("s-1", ExpectedVersion::NoStream, 1..8))
        .await
        .unwrap();
    log.close().await.unwrap();
    drop(log);
    let anchor_path = dir.path().join("anchor");
    let anchor_at_seven = std::fs::read(&anchor_path).unwrap();
    let log = open_log(dir.path());
    log.append(request("s-2", ExpectedVersion::NoStream, 8..11))
        .await
        .unwrap();
    log.close().await.unwrap();
    drop(log);

    // The last group durable in sled, its anchor write lost: it opens with all ten.
    std::fs::write(&anchor_path, &anchor_at_seven).unwrap();
    let log = open_log(dir.path());
    assert_eq!(log.head().next_position, 10);
    log.close().await.unwrap();
    drop(log);

    // The last group lost with its anchor write: it opens with seven and continues.
    std::fs::write(&anchor_path, &anchor_at_seven).unwrap();
    {
        let (_db, tree) = raw_events_tree(dir.path());
        for position in 7..10 {
            tree.remove(store::key(position)).unwrap();
        }
        tree.flush().unwrap();
    }
    let log = open_log(dir.path());
    assert_eq!(log.head().next_position, 7);
    let outcome = log
        .append(request("s-2", ExpectedVersion::NoStream, 20..21))
        .await
        .unwrap();
    assert_eq!((outcome.first_position, outcome.stream_version), (7, 0));
    log.close().await.unwrap();
    drop(log);
    assert_eq!(verify(dir.path(), &[], &mut |_, _| {}).unwrap().events_checked, 8);
}

#[tokio::test]
async fn acknowledged_events_removed_from_the_end_are_reported_missing() {
    let dir = temp_dir();
    closed_log_of_ten(dir.path()).await;
    {
        let (_db, tree) = raw_events_tree(dir.path());
        for position in 7..10 {
            tree.remove(store::key(position)).unwrap();
        }
        tree.flush().unwrap();
    }
    let error = SledLog::open(SledConfig::new(dir.path())).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("3 acknowledged events (positions 7..10) are missing"),
        "{error}"
    );
    assert!(matches!(
        error,
        OpenError::Truncated {
            stored: 7,
            acknowledged: 10,
            ..
        }
    ));
    assert_eq!(
        damaged_position(verify(dir.path(), &[], &mut |_, _| {}).unwrap_err()),
        7
    );
}

#[tokio::test]
async fn an_acknowledged_event_rewritten_with_its_chain_is_caught_by_the_anchor() {
    // An insider with write access rewrites event 2 through sled and recomputes the
    // chain of every later event: chain and checksums hold, the anchor does not.
    let dir = temp_dir();
    closed_log_of_ten(dir.path()).await;
    {
        let (_db, tree) = raw_events_tree(dir.path());
        let mut previous = store::read_record(&tree, 1).unwrap().unwrap().hash;
        for position in 2..10 {
            let mut event = store::read_record(&tree, position).unwrap().unwrap();
            if position == 2 {
                event.payload = b"{\"rewritten\":true}".to_vec();
            }
            let record = codec::seal(&mut event, &previous);
            previous = event.hash;
            tree.insert(store::key(position), record).unwrap();
        }
        tree.flush().unwrap();
    }
    let error = SledLog::open(SledConfig::new(dir.path())).unwrap_err();
    assert!(matches!(error, OpenError::Rewritten { .. }), "{error}");
    assert!(verify(dir.path(), &[], &mut |_, _| {}).is_err());
}

#[tokio::test]
async fn close_drains_then_refuses_appends_and_keeps_reads() {
    let dir = temp_dir();
    let log = open_log(dir.path());
    let mut head = log.watch_head();
    let (appended, closed) = tokio::join!(log.append(request("s", ExpectedVersion::Any, 1..3)), log.close());
    appended.unwrap();
    closed.unwrap();
    assert!(matches!(
        log.append(request("s", ExpectedVersion::Any, 3..4)).await,
        Err(AppendError::Closed)
    ));
    log.close().await.unwrap();
    assert_eq!(log.read_all(read_everything()).await.unwrap().events.len(), 2);
    // Subscriptions learn that the log closed from the watch.
    while head.changed().await.is_ok() {}
}

#[tokio::test]
async fn dropping_without_close_lets_the_store_reopen_at_once() {
    let dir = temp_dir();
    let log = open_log(dir.path());
    log.append(request("s", ExpectedVersion::Any, 1..3)).await.unwrap();
    drop(log);
    assert_eq!(open_log(dir.path()).head().next_position, 2);
}

#[tokio::test]
async fn after_a_storage_failure_appends_fail_and_reads_go_on() {
    let dir = temp_dir();
    let log = open_log(dir.path());
    log.append(request("s", ExpectedVersion::Any, 1..3)).await.unwrap();
    let disk_full = std::io::Error::other("no space left on device");
    log.shared.fail(StorageError::new("writing a group commit", disk_full));
    let refused = log.append(request("s", ExpectedVersion::Any, 3..4)).await;
    assert!(matches!(refused, Err(AppendError::Storage(_))));
    assert_eq!(
        log.read_stream(stream_read("s", None, Direction::Forwards))
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(matches!(log.close().await, Err(AppendError::Storage(_))));
}

#[tokio::test]
async fn a_sparse_filter_returns_where_to_continue() {
    let dir = temp_dir();
    let mut config = SledConfig::new(dir.path());
    config.sync_mode = SyncMode::Flush;
    let log = SledLog::open(config).unwrap();
    let per_append = limits::EVENTS_PER_APPEND_MAX as u128;
    let appends = (limits::READ_SCAN_RECORDS_MAX as u128).div_ceil(per_append);
    for append in 0..appends {
        let first_id = 1 + append * per_append;
        log.append(request("busy", ExpectedVersion::Any, first_id..first_id + per_append))
            .await
            .unwrap();
    }
    log.append(request("rare", ExpectedVersion::Any, 1_000_000..1_000_001))
        .await
        .unwrap();
    let mut read = ReadAllRequest {
        from_position: 0,
        max_count: 0,
        filter: EventFilter {
            stream_id_prefixes: vec!["rare".into()],
            event_types: Vec::new(),
        },
    };
    let first = log.read_all(read.clone()).await.unwrap();
    assert!(first.events.is_empty());
    assert_eq!(first.next_position, limits::READ_SCAN_RECORDS_MAX as u64);
    read.from_position = first.next_position;
    let second = log.read_all(read).await.unwrap();
    assert_eq!(second.events.len(), 1);
    assert!(second.reached_head());
}

#[test]
fn verify_reports_progress_and_refuses_a_missing_store() {
    let dir = temp_dir();
    let missing = dir.path().join("nothing-here");
    assert!(matches!(
        verify(&missing, &[], &mut |_, _| {}),
        Err(VerifyError::Open(_))
    ));
    assert!(!missing.exists());

    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let head = runtime.block_on(closed_log_of_ten(dir.path()));
    let mut calls = Vec::new();
    let report = verify(dir.path(), &[], &mut |checked, total| calls.push((checked, total))).unwrap();
    assert_eq!(
        report,
        VerifyReport {
            events_checked: 10,
            last_hash: head.last_hash,
            tree_root: report.tree_root,
            anchored: Some(AnchoredHead {
                size: 10,
                tree_root: report.tree_root,
                last_hash: head.last_hash
            }),
            roots_at: Vec::new(),
            copy_duration: report.copy_duration,
        }
    );
    assert_ne!(report.tree_root, antt_audit::merkle::empty_root());
    assert_eq!(calls.last(), Some(&(10, 10)));
}

#[test]
fn recorded_at_never_goes_backwards_even_if_the_clock_does() {
    let dir = temp_dir();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(closed_log_of_ten(dir.path()));
    let future = Timestamp(Timestamp::now().as_micros() + 3_600_000_000);
    {
        // A log written while the clock ran an hour ahead.
        let (_db, tree) = raw_events_tree(dir.path());
        let last = store::read_record(&tree, 9).unwrap().unwrap();
        let mut moved = RecordedEvent {
            position: 10,
            stream_version: 5,
            event_id: Uuid::from_u128(50),
            recorded_at: future,
            ..last.clone()
        };
        tree.insert(store::key(10), codec::seal(&mut moved, &last.hash))
            .unwrap();
        tree.flush().unwrap();
    }
    let log = open_log(dir.path());
    let outcome = runtime
        .block_on(log.append(request("s-1", ExpectedVersion::Any, 60..61)))
        .unwrap();
    assert_eq!(outcome.recorded_at, Timestamp(future.as_micros() + 1));
}

#[tokio::test]
async fn recovery_keeps_the_verified_prefix_and_anchors_it() {
    let dir = temp_dir();
    closed_log_of_ten(dir.path()).await;
    {
        let (_db, tree) = raw_events_tree(dir.path());
        let mut record = tree.get(store::key(6)).unwrap().unwrap().to_vec();
        let payload_end = record.len() - codec::HASH_BYTES - 1;
        record[payload_end] ^= 0x01;
        tree.insert(store::key(6), record).unwrap();
        tree.flush().unwrap();
    }
    assert!(SledLog::open(SledConfig::new(dir.path())).is_err());
    let report = keep_verified_prefix(dir.path()).unwrap();
    assert_eq!(
        (report.stored_before, report.kept, report.acknowledged_lost()),
        (10, 6, 4)
    );
    assert!(report.first_damage.as_deref().unwrap().contains("position 6"));
    let log = open_log(dir.path());
    assert_eq!(log.head().next_position, 6);
    assert_eq!(log.tree_head().root, report.anchored_now.tree_root);
    log.close().await.unwrap();
    drop(log);
    assert_eq!(verify(dir.path(), &[], &mut |_, _| {}).unwrap().events_checked, 6);
}

#[tokio::test]
async fn a_store_without_an_anchor_is_refused_until_adopted() {
    let dir = temp_dir();
    let head = closed_log_of_ten(dir.path()).await;
    let root = {
        let log = open_log(dir.path());
        let root = log.tree_head().root;
        log.close().await.unwrap();
        root
    };
    std::fs::remove_file(dir.path().join("anchor")).unwrap();
    let error = SledLog::open(SledConfig::new(dir.path())).unwrap_err();
    assert!(matches!(error, OpenError::Anchor { .. }), "{error}");
    let report = keep_verified_prefix(dir.path()).unwrap();
    assert_eq!(
        (report.kept, report.acknowledged_lost(), report.anchored_before),
        (10, 0, None)
    );
    assert_eq!(report.anchored_now.tree_root, root);
    assert_eq!(report.anchored_now.last_hash, head.last_hash);
    let log = open_log(dir.path());
    assert_eq!(log.tree_head().size, 10);
    log.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The read guard is held across awaits on purpose: it is what keeps the writer from
// publishing, and nothing else in this test takes the index lock meanwhile.
#[allow(clippy::await_holding_lock)]
async fn a_full_append_queue_makes_appends_wait_then_refuses_them() {
    // Goal: at most APPEND_QUEUE_EVENTS_MAX events wait for the writer; one more append
    // waits (back-pressure), is refused with QueueFull after the bounded wait without being
    // queued, and once the writer moves on, every queued append commits and room returns.
    // Method: the test holds the index's read lock, which the writer needs to publish a
    // group: the writer stops inside its first group (real lock contention, no flag), so
    // appends accumulate. They are sent one at a time, each after the previous one holds
    // its room, until the queue holds exactly its bound.
    let dir = temp_dir();
    let mut config = SledConfig::new(dir.path());
    config.sync_mode = SyncMode::Flush;
    let log = Arc::new(SledLog::open(config).unwrap());
    let held = log.shared.index();
    let mut queued = Vec::new();
    let mut sent = 0usize;
    while sent < limits::APPEND_QUEUE_EVENTS_MAX {
        let events = (limits::APPEND_QUEUE_EVENTS_MAX - sent).min(limits::EVENTS_PER_APPEND_MAX);
        let first_id = sent as u128 + 1;
        let log_for_append = Arc::clone(&log);
        let stream = format!("s-{}", queued.len());
        queued.push(tokio::spawn(async move {
            log_for_append
                .append(request(
                    &stream,
                    ExpectedVersion::NoStream,
                    first_id..first_id + events as u128,
                ))
                .await
        }));
        sent += events;
        while log.queue_room.available_permits() > limits::APPEND_QUEUE_EVENTS_MAX - sent {
            tokio::task::yield_now().await;
        }
    }
    let refused = log
        .append(request("one-more", ExpectedVersion::Any, 900_000..900_001))
        .await;
    match refused {
        Err(AppendError::QueueFull {
            queued_events,
            max_events,
        }) => {
            assert_eq!(queued_events, limits::APPEND_QUEUE_EVENTS_MAX);
            assert_eq!(max_events, limits::APPEND_QUEUE_EVENTS_MAX);
        }
        other => panic!("expected QueueFull, got {other:?}"),
    }
    drop(held);
    for append in queued {
        append.await.unwrap().unwrap();
    }
    log.append(request("one-more", ExpectedVersion::NoStream, 900_000..900_001))
        .await
        .unwrap();
    assert_eq!(log.head().next_position, limits::APPEND_QUEUE_EVENTS_MAX as u64 + 1);
    log.close().await.unwrap();
}

/// A closed log of 40 events (stored nodes for 0..16 and 16..32), whose nodes' tree
/// `damage` changes through sled; returns what verification then says.
async fn verify_after_node_damage(damage: impl FnOnce(&sled::Tree)) -> VerifyError {
    let dir = temp_dir();
    let log = open_log(dir.path());
    log.append(request("s-1", ExpectedVersion::NoStream, 1..41))
        .await
        .unwrap();
    log.close().await.unwrap();
    drop(log);
    verify(dir.path(), &[], &mut |_, _| {}).expect("intact before the damage");
    {
        let db = store::open_db(dir.path(), config::DEFAULT_CACHE_CAPACITY_BYTES).unwrap();
        let nodes = db.open_tree(tree::NODES_TREE).unwrap();
        assert_eq!(nodes.len(), 2, "two level-4 nodes");
        damage(&nodes);
        nodes.flush().unwrap();
    }
    verify(dir.path(), &[], &mut |_, _| {}).unwrap_err()
}

fn level_four(index: u64) -> [u8; 9] {
    tree::node_key(antt_audit::merkle::NodeId { level: 4, index })
}

#[tokio::test]
async fn verify_names_a_changed_stored_node() {
    let error = verify_after_node_damage(|nodes| {
        nodes.insert(level_four(1), &[7u8; 32][..]).unwrap();
    })
    .await;
    assert_eq!(damaged_position(error), 16);
}

#[tokio::test]
async fn verify_names_a_missing_stored_node() {
    let error = verify_after_node_damage(|nodes| {
        nodes.remove(level_four(0)).unwrap();
    })
    .await;
    assert_eq!(damaged_position(error), 0);
}

#[tokio::test]
async fn verify_refuses_a_node_stored_for_events_the_log_does_not_hold() {
    let error = verify_after_node_damage(|nodes| {
        nodes.insert(level_four(3), &[7u8; 32][..]).unwrap();
    })
    .await;
    let VerifyError::Damaged(damage) = error else {
        panic!("expected damage, got {error}")
    };
    assert_eq!(damage.position, 48);
    assert!(damage.reason.contains("does not hold"), "{}", damage.reason);
}

#[tokio::test]
async fn stored_checkpoints_are_paged_newest_first_below_a_size() {
    let dir = temp_dir();
    let log = open_log(dir.path());
    for size in [3, 5, 8, 13] {
        log.save_checkpoint(size, format!("note {size}")).await.unwrap();
    }
    let sizes = |page: Vec<(u64, String)>| page.into_iter().map(|(size, _)| size).collect::<Vec<_>>();
    assert_eq!(
        sizes(log.checkpoints_before(u64::MAX, 10).await.unwrap()),
        [13, 8, 5, 3]
    );
    assert_eq!(sizes(log.checkpoints_before(13, 2).await.unwrap()), [8, 5]);
    assert_eq!(sizes(log.checkpoints_before(3, 10).await.unwrap()), Vec::<u64>::new());
    let page = log.checkpoints_before(6, 1).await.unwrap();
    assert_eq!(page, [(5, "note 5".to_string())]);
    log.close().await.unwrap();
}
