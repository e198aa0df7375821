//! SIGKILL crash tests: a child process (this test binary, re-executed to run one child
//! test) appends to a SledLog and reports every acknowledged append on stdout; the parent
//! kills it with SIGKILL at a seeded-random moment and checks the reopened log.
//!
//! The child tests are `#[ignore]`d and also return at once unless `ANTT_CRASH_CHILD_DIR`
//! is set, so they do nothing in a normal run; the parent runs them with `--ignored`.

use antt_audit::encoding::hex;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;

use antt_log::conformance::assert_chain_intact;
use antt_log::sled_log::{SledConfig, SledLog};
use antt_log::{AppendRequest, EventLog, ExpectedVersion, LogHead, NewEvent, RecordedEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

mod support;

const CHILD_DIR_ENV: &str = "ANTT_CRASH_CHILD_DIR";
const CHILD_SEED_ENV: &str = "ANTT_CRASH_CHILD_SEED";
const ROUNDS_ENV: &str = "ANTT_CRASH_ROUNDS";
const DEFAULT_ROUNDS: u32 = 12;
const WRITERS: u64 = 4;
/// Bounds a child that nobody kills (e.g. its parent died): it stops by itself.
const CHILD_APPENDS_MAX: u64 = 20_000;

/// One acknowledged append as the child reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ack {
    first_position: u64,
    last_position: u64,
    stream_id: String,
    /// Stream version of the last event of the batch.
    version: u64,
    last_hash: String,
}

/// Parses an ACK line. The first one may follow libtest's "test <name> ... " on the same
/// line, as libtest prints the result only when the test ends.
fn parse_ack(line: &str) -> Option<Ack> {
    let rest = &line[line.find("ACK ")? + 4..];
    let fields: Vec<&str> = rest.split(' ').collect();
    assert_eq!(fields.len(), 5, "malformed ACK line {line:?}");
    let number = |s: &str| {
        s.parse::<u64>()
            .unwrap_or_else(|_| panic!("malformed ACK line {line:?}"))
    };
    Some(Ack {
        first_position: number(fields[0]),
        last_position: number(fields[1]),
        stream_id: fields[2].to_string(),
        version: number(fields[3]),
        last_hash: fields[4].to_string(),
    })
}

/// Writes one line to the real stdout in a single write and flushes it; exits quietly if
/// the parent is gone.
fn report(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(format!("{line}\n").as_bytes())
        .and_then(|()| stdout.flush());
    if written.is_err() {
        std::process::exit(0);
    }
}

async fn acknowledge(log: &SledLog, stream_id: &str, first: u64, last: u64, version: u64) {
    let event = log
        .event_at(last)
        .await
        .expect("read back an acknowledged event")
        .expect("an acknowledged event is readable");
    report(&format!(
        "ACK {first} {last} {stream_id} {version} {}",
        hex(&event.hash)
    ));
}

/// Kills the child if the parent test fails before doing so.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_child(test_name: &str, dir: &Path, seed: u64) -> (ChildGuard, BufReader<ChildStdout>) {
    let exe = std::env::current_exe().expect("current test binary");
    let mut child = Command::new(exe)
        .args(["--exact", test_name, "--nocapture", "--test-threads=1", "--ignored"])
        .env(CHILD_DIR_ENV, dir)
        .env(CHILD_SEED_ENV, seed.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the child test process");
    let stdout = BufReader::new(child.stdout.take().expect("child stdout"));
    (ChildGuard(child), stdout)
}

/// Reads ACK lines until `kill_after` of them arrived (or `until_line` is seen), kills the
/// child with SIGKILL, then reads what it had already written up to EOF. Returns every
/// acknowledged append.
fn run_and_kill(
    mut child: ChildGuard,
    mut stdout: BufReader<ChildStdout>,
    kill_after: usize,
    until_line: Option<&str>,
) -> Vec<Ack> {
    let mut acks = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        let read = stdout.read_line(&mut line).expect("read child stdout");
        if read == 0 {
            let status = child.0.wait().expect("wait for child");
            panic!(
                "the child ended ({status}) after {} ACKs, before it was killed",
                acks.len()
            );
        }
        let text = line.trim_end();
        if let Some(ack) = parse_ack(text) {
            acks.push(ack);
        }
        if until_line.is_some_and(|wanted| text.ends_with(wanted)) || (until_line.is_none() && acks.len() >= kill_after)
        {
            break;
        }
    }
    // `Child::kill` sends SIGKILL on Unix: no destructor, flush or sync runs in the child.
    child.0.kill().expect("SIGKILL the child");
    let status = child.0.wait().expect("wait for the killed child");
    assert!(!status.success(), "the child was killed, not finished: {status}");
    loop {
        line.clear();
        if stdout.read_line(&mut line).expect("read child stdout") == 0 {
            break;
        }
        if let Some(ack) = parse_ack(line.trim_end()) {
            acks.push(ack);
        }
    }
    acks
}

/// Reopens the log and checks every acknowledged append is there, unchanged, on an intact
/// chain; then appends once more, closes, and runs the full offline `verify`.
fn check_after_crash(dir: &Path, acks: &BTreeMap<u64, Ack>, round: u32) -> LogHead {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let log = Arc::new(
        support::reopen(SledConfig::new(dir))
            .unwrap_or_else(|error| panic!("round {round}: reopen after SIGKILL: {error}")),
    );
    let head = runtime.block_on(async {
        let events: Vec<RecordedEvent> = assert_chain_intact(&*log).await;
        for ack in acks.values() {
            let last = events.get(ack.last_position as usize).unwrap_or_else(|| {
                panic!(
                    "round {round}: acknowledged event at {} is missing (log has {} events)",
                    ack.last_position,
                    events.len()
                )
            });
            assert_eq!(
                (last.stream_id.as_str(), last.stream_version, hex(&last.hash)),
                (ack.stream_id.as_str(), ack.version, ack.last_hash.clone()),
                "round {round}: acknowledged event at {} changed",
                ack.last_position
            );
            let batch_len = ack.last_position - ack.first_position;
            let first = &events[ack.first_position as usize];
            assert_eq!(
                (first.stream_id.as_str(), first.stream_version),
                (ack.stream_id.as_str(), ack.version - batch_len),
                "round {round}: first event of the acknowledged batch at {}",
                ack.first_position
            );
        }
        let request = AppendRequest {
            stream_id: "parent".into(),
            expected: ExpectedVersion::Any,
            events: vec![NewEvent::new(
                Uuid::from_u128(0xAB_0000 + u128::from(round)),
                "AfterCrash",
                b"x".to_vec(),
            )],
        };
        let outcome = log
            .append(request)
            .await
            .unwrap_or_else(|error| panic!("round {round}: append after reopen: {error}"));
        assert_eq!(
            outcome.first_position,
            events.len() as u64,
            "the append continues the log"
        );
        log.close().await.expect("close");
        log.head()
    });
    drop(log);
    let mut calls = 0u32;
    let report = support::verify_closed(dir, &mut |_, _| calls += 1)
        .unwrap_or_else(|error| panic!("round {round}: verify: {error}"));
    assert_eq!(
        report.events_checked, head.next_position,
        "round {round}: verify checks every event"
    );
    assert_eq!(
        report.last_hash, head.last_hash,
        "round {round}: verify ends at the head hash"
    );
    assert!(calls > 0, "verify reports progress");
    head
}

fn child_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
#[ignore = "child process of sigkill_during_appends_loses_no_acknowledged_event"]
fn crash_child_under_load() {
    // Goal: a child process, not a test: it runs only as the crash test's victim.
    // Method: 4 tasks append batches of 1..=5 random-sized events with exact expected
    // versions to their own streams and report each acknowledged append, until killed.
    let Some(dir) = std::env::var_os(CHILD_DIR_ENV) else {
        return;
    };
    let seed: u64 = std::env::var(CHILD_SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let runtime = child_runtime();
    let log = Arc::new(support::reopen(SledConfig::new(&dir)).expect("child: open"));
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let log = Arc::clone(&log);
            tasks.push(tokio::spawn(async move {
                let stream_id = format!("crash-{writer}");
                let mut rng = StdRng::seed_from_u64(seed ^ (writer << 48));
                let mut version = log
                    .stream_info(&stream_id)
                    .await
                    .expect("stream_info")
                    .map(|i| i.version);
                for _ in 0..CHILD_APPENDS_MAX / WRITERS {
                    let size = rng.random_range(1..=5);
                    let events = (0..size)
                        .map(|_| {
                            let id = Uuid::from_u128(rng.random::<u128>() | 1);
                            let payload: Vec<u8> = (0..rng.random_range(0..2000)).map(|_| rng.random()).collect();
                            NewEvent::new(id, "Load", payload)
                        })
                        .collect();
                    let request = AppendRequest {
                        stream_id: stream_id.clone(),
                        expected: version.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact),
                        events,
                    };
                    let outcome = log.append(request).await.expect("child: append");
                    version = Some(outcome.stream_version);
                    acknowledge(
                        &log,
                        &stream_id,
                        outcome.first_position,
                        outcome.last_position,
                        outcome.stream_version,
                    )
                    .await;
                }
            }));
        }
        for task in tasks {
            task.await.expect("child writer");
        }
    });
}

#[test]
#[ignore = "child process of sigkill_while_idle_loses_nothing"]
fn crash_child_idle() {
    // Goal: a child process, not a test: it runs only as the idle crash test's victim.
    // Method: append 20 events in 8 batches, report each, print IDLE, then block on stdin
    // (the parent holds it open) with the log still open until killed.
    let Some(dir) = std::env::var_os(CHILD_DIR_ENV) else {
        return;
    };
    let seed: u64 = std::env::var(CHILD_SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let runtime = child_runtime();
    let log = support::reopen(SledConfig::new(&dir)).expect("child: open");
    runtime.block_on(async {
        for (batch, size) in [1u64, 2, 3, 4, 1, 5, 2, 2].into_iter().enumerate() {
            let events = (0..size)
                .map(|k| {
                    let id =
                        Uuid::from_u128((u128::from(seed) << 64) | ((batch as u128) << 8) | u128::from(k) | 1 << 40);
                    NewEvent::new(id, "Idle", vec![k as u8; 100])
                })
                .collect();
            let stream_id = format!("idle-{}", batch % 3);
            let request = AppendRequest {
                stream_id: stream_id.clone(),
                expected: ExpectedVersion::Any,
                events,
            };
            let outcome = log.append(request).await.expect("child: append");
            acknowledge(
                &log,
                &stream_id,
                outcome.first_position,
                outcome.last_position,
                outcome.stream_version,
            )
            .await;
        }
    });
    report("IDLE");
    let mut sink = String::new();
    // Returns only when the parent closes stdin (it kills us first).
    let _ = std::io::stdin().read_line(&mut sink);
    drop(log);
}

#[test]
fn sigkill_during_appends_loses_no_acknowledged_event() {
    // Goal: with SyncMode::Fsync an acknowledged append survives SIGKILL at any moment,
    // and a kill never leaves the log unopenable, broken or unable to take appends, even
    // when crashes accumulate on one data directory.
    // Method: for N rounds (ANTT_CRASH_ROUNDS, default 12) on the same directory, run
    // the child under load, SIGKILL it after a seeded-random number (5..=150) of ACK
    // lines, collect every ACK it wrote, reopen: every acknowledged batch is at its
    // positions with its stream, versions and hash; positions are dense and the chain
    // intact from 0; a new append succeeds; then the offline verify passes.
    let rounds: u32 = std::env::var(ROUNDS_ENV)
        .ok()
        .map(|s| s.parse().expect("ANTT_CRASH_ROUNDS must be a number"))
        .unwrap_or(DEFAULT_ROUNDS);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut rng = StdRng::seed_from_u64(0xC0FF_EE00_DEAD);
    let mut acked: BTreeMap<u64, Ack> = BTreeMap::new();
    for round in 0..rounds {
        let kill_after = rng.random_range(5..=150);
        let (child, stdout) = spawn_child("crash_child_under_load", dir.path(), rng.random());
        let started = std::time::Instant::now();
        let acks = run_and_kill(child, stdout, kill_after, None);
        let acks_seen = acks.len();
        assert!(
            acks.len() >= kill_after,
            "round {round}: saw {} of {kill_after} ACKs",
            acks.len()
        );
        for ack in acks {
            let previous = acked.insert(ack.last_position, ack.clone());
            assert!(
                previous.is_none(),
                "round {round}: two acknowledgements of position {}",
                ack.last_position
            );
        }
        let acknowledged_end = acked.keys().next_back().map_or(0, |last| last + 1);
        let head = check_after_crash(dir.path(), &acked, round);
        // Diagnostics (shown with --nocapture): events after the last acknowledged one
        // were written but not yet acknowledged when the kill landed.
        eprintln!(
            "round {round}: SIGKILL after {kill_after} ACKs ({acks_seen} written), acknowledged end {acknowledged_end}, \
             log end {} (incl. 1 parent append), {:?}",
            head.next_position,
            started.elapsed()
        );
    }
}

#[test]
fn sigkill_while_idle_loses_nothing() {
    // Goal: killing a process whose log is open but idle (all appends acknowledged, none
    // in flight, sled's background threads possibly running) loses nothing and leaves an
    // openable, intact log.
    // Method: three rounds on one directory: the child appends 20 events, prints IDLE and
    // waits; the parent SIGKILLs it, reopens, checks every acknowledged append and the
    // chain, appends once more, closes and verifies.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut acked: BTreeMap<u64, Ack> = BTreeMap::new();
    for round in 0..3u32 {
        let (child, stdout) = spawn_child("crash_child_idle", dir.path(), u64::from(round) + 1);
        let acks = run_and_kill(child, stdout, 0, Some("IDLE"));
        assert_eq!(
            acks.len(),
            8,
            "round {round}: the child acknowledged its 8 appends before IDLE"
        );
        assert_eq!(
            acks.iter().map(|a| a.last_position + 1 - a.first_position).sum::<u64>(),
            20
        );
        for ack in acks {
            assert!(acked.insert(ack.last_position, ack).is_none());
        }
        check_after_crash(dir.path(), &acked, round);
    }
}
