//! Optimistic concurrency under contention: many tasks race to append to one stream with
//! exact expected versions.

use std::collections::BTreeMap;
use std::sync::Arc;

use antt_log::conformance::{assert_chain_intact, within_hang_guard};
use antt_log::sled_log::{SledConfig, SledLog};
use antt_log::{AppendError, AppendRequest, Direction, EventLog, ExpectedVersion, NewEvent, ReadStreamRequest};
use uuid::Uuid;

const TASKS: u64 = 16;
/// Each task appends until it has won this many versions.
const WINS_PER_TASK: u64 = 25;
/// A task that needs more attempts than this is livelocked: fail instead of spinning.
const ATTEMPTS_MAX: u64 = 100_000;
const STREAM: &str = "contended";

/// What one attempt saw.
#[derive(Debug)]
enum Attempt {
    Won {
        version: u64,
        event_id: Uuid,
    },
    Lost {
        expected: Option<u64>,
        actual: Option<u64>,
        head_version_after: Option<u64>,
    },
}

fn expected_of(version: Option<u64>) -> ExpectedVersion {
    version.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_exact_appends_win_each_version_exactly_once() {
    // Goal: optimistic concurrency is linearizable: under heavy contention every stream
    // version is won by exactly one append, versions have no gaps, every loser learns a
    // true, newer version, and the log stays a valid hash chain.
    // Method: 16 tasks on a multi-thread runtime each append one event at a time until
    // they have won 25 versions, retrying on conflict. Each attempt expects the version
    // the task last saw: after a conflict, alternately the conflict's `actual` and a fresh
    // stream_info read, so both sources are exercised. Afterwards the 400 wins must be
    // versions 0..400, each held by its winner's event, and every loss must be explained.
    let dir = tempfile::tempdir().expect("temp dir");
    let log = Arc::new(SledLog::open(SledConfig::new(dir.path())).expect("open"));
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let log = Arc::clone(&log);
        tasks.push(tokio::spawn(async move {
            let mut attempts = Vec::new();
            let mut believed = log.stream_info(STREAM).await.expect("stream_info").map(|i| i.version);
            let mut won = 0;
            let mut attempt = 0u64;
            while won < WINS_PER_TASK {
                attempt += 1;
                assert!(attempt <= ATTEMPTS_MAX, "task {task} is livelocked");
                if attempt % 2 == 1 && matches!(attempts.last(), Some(Attempt::Lost { .. })) {
                    believed = log.stream_info(STREAM).await.expect("stream_info").map(|i| i.version);
                }
                let event_id = Uuid::from_u128(((task as u128) << 64) | attempt as u128);
                let event = NewEvent::new(event_id, "Bumped", format!("{task}/{attempt}").into_bytes());
                let request = AppendRequest {
                    stream_id: STREAM.into(),
                    expected: expected_of(believed),
                    events: vec![event],
                };
                match log.append(request).await {
                    Ok(outcome) => {
                        let expected_version = believed.map_or(0, |v| v + 1);
                        assert_eq!(
                            outcome.stream_version, expected_version,
                            "a win appends right after the expected version"
                        );
                        assert!(!outcome.deduplicated);
                        attempts.push(Attempt::Won {
                            version: outcome.stream_version,
                            event_id,
                        });
                        believed = Some(outcome.stream_version);
                        won += 1;
                    }
                    Err(AppendError::VersionConflict { actual, expected, .. }) => {
                        assert_eq!(expected, expected_of(believed));
                        let head_version_after = log.stream_info(STREAM).await.expect("stream_info").map(|i| i.version);
                        attempts.push(Attempt::Lost {
                            expected: believed,
                            actual,
                            head_version_after,
                        });
                        believed = actual;
                    }
                    Err(error) => panic!("task {task} attempt {attempt}: unexpected error {error}"),
                }
                tokio::task::yield_now().await;
            }
            attempts
        }));
    }
    let mut wins: BTreeMap<u64, Uuid> = BTreeMap::new();
    let mut losses = Vec::new();
    for task in tasks {
        let attempts = within_hang_guard("contending task", task).await.expect("task panicked");
        for attempt in attempts {
            match attempt {
                Attempt::Won { version, event_id } => {
                    assert!(
                        wins.insert(version, event_id).is_none(),
                        "version {version} was won twice"
                    );
                }
                Attempt::Lost {
                    expected,
                    actual,
                    head_version_after,
                } => losses.push((expected, actual, head_version_after)),
            }
        }
    }
    assert_eq!(wins.len() as u64, TASKS * WINS_PER_TASK, "every task won its versions");
    let final_version = wins.keys().next_back().copied();
    assert_eq!(
        wins.keys().copied().collect::<Vec<_>>(),
        (0..wins.len() as u64).collect::<Vec<_>>(),
        "won versions are dense from 0"
    );
    eprintln!("{} versions won, {} conflicts", wins.len(), losses.len());
    assert!(
        !losses.is_empty(),
        "with 16 racing tasks some appends must have conflicted"
    );
    for (expected, actual, head_version_after) in &losses {
        // The stream only grows, so the conflicting actual version is newer than the one
        // expected, no newer than what a read right after the error shows, and a version
        // that was really won.
        let actual = actual.expect("the stream existed when any append conflicted after the first win");
        assert!(
            expected.is_none_or(|e| actual > e),
            "actual {actual} must be newer than expected {expected:?}"
        );
        assert!(
            Some(actual) <= *head_version_after,
            "actual {actual} is no newer than the head after the error"
        );
        assert!(wins.contains_key(&actual), "actual {actual} is a version somebody won");
    }
    let stream = log
        .read_stream(ReadStreamRequest {
            stream_id: STREAM.into(),
            from_version: None,
            direction: Direction::Forwards,
            max_count: 0,
        })
        .await
        .expect("read_stream");
    assert_eq!(stream.len(), wins.len(), "the stream holds exactly the wins");
    for event in &stream {
        assert_eq!(
            Some(&event.event_id),
            wins.get(&event.stream_version),
            "version {} holds its winner",
            event.stream_version
        );
    }
    assert_eq!(
        log.stream_info(STREAM).await.expect("stream_info").map(|i| i.version),
        final_version
    );
    let all = assert_chain_intact(&*log).await;
    assert_eq!(all.len(), wins.len(), "nothing but the wins was written");
    log.close().await.expect("close");
}
