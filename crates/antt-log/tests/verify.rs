//! The offline `verify`: it reads the whole stored log, reports progress, and counts
//! every event.

use antt_log::conformance::{assert_chain_intact, new_event};
use antt_log::sled_log::{verify, SledConfig, SledLog, SyncMode, VerifyError};
use antt_log::{AppendRequest, EventLog, ExpectedVersion, LogHead};

mod support;

const EVENTS: u64 = 10_500;

#[test]
fn verify_reports_progress_and_counts_every_event() {
    // Goal: verify checks every event of a closed log, ends at the head hash, and reports
    // progress that only grows, with the final call at (total, total).
    // Method: store 10 500 small events (11 appends, so the 10 000-event progress step
    // is crossed), close, run verify with a recording progress callback, and compare
    // with the head the log reported before closing.
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut config = SledConfig::new(dir.path());
    config.sync_mode = SyncMode::Flush;
    let log = SledLog::open(config).expect("open");
    let head: LogHead = runtime.block_on(async {
        let mut n = 0u128;
        while (n as u64) < EVENTS {
            let size = (EVENTS - n as u64).min(1000);
            let events = (0..size)
                .map(|_| {
                    n += 1;
                    new_event(n, "Counted")
                })
                .collect();
            let request = AppendRequest {
                stream_id: format!("v-{}", n % 7),
                expected: ExpectedVersion::Any,
                events,
            };
            log.append(request).await.expect("append");
        }
        let events = assert_chain_intact(&log).await;
        assert_eq!(events.len() as u64, EVENTS);
        log.close().await.expect("close");
        log.head()
    });
    drop(log);

    let mut calls: Vec<(u64, u64)> = Vec::new();
    let report =
        support::verify_closed(dir.path(), &mut |checked, total| calls.push((checked, total))).expect("verify");
    assert_eq!(report.events_checked, EVENTS, "verify counts every event");
    assert_eq!(report.last_hash, head.last_hash, "verify ends at the head hash");
    assert_eq!(
        calls.last(),
        Some(&(EVENTS, EVENTS)),
        "the final progress call is (total, total): {calls:?}"
    );
    assert!(
        calls.len() >= 2,
        "progress is reported along the way, not only at the end: {calls:?}"
    );
    for pair in calls.windows(2) {
        assert!(pair[0].0 <= pair[1].0, "progress never goes back: {calls:?}");
    }
    assert!(
        calls
            .iter()
            .all(|(checked, total)| checked <= total && *total == EVENTS),
        "{calls:?}"
    );
}

#[test]
fn verify_of_an_empty_log_and_of_a_missing_store() {
    // Goal: verify reports an empty log as zero events with the zero hash, and refuses a
    // directory that holds no log store instead of creating one.
    // Method: open and close a log without appending, verify it; verify a fresh empty
    // directory and check it still holds nothing afterwards.
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let log = SledLog::open(SledConfig::new(dir.path())).expect("open");
    runtime.block_on(log.close()).expect("close");
    drop(log);
    let report = support::verify_closed(dir.path(), &mut |_, _| {}).expect("verify an empty log");
    assert_eq!((report.events_checked, report.last_hash), (0, [0; 32]));

    let empty = tempfile::tempdir().expect("temp dir");
    let result = verify(empty.path(), &[], &mut |_, _| {});
    assert!(matches!(result, Err(VerifyError::Open(_))), "no store here: {result:?}");
    assert_eq!(
        std::fs::read_dir(empty.path()).expect("read dir").count(),
        0,
        "verify creates nothing"
    );
}
