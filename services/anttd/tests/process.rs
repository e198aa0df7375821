//! The real `anttd` binary as an operator runs it: flags, SIGTERM, SIGKILL and a damaged
//! data directory. Each test starts the binary on a free loopback port over a temp
//! directory and talks to it over gRPC; stderr goes to a file so that it can be read after
//! the process exits.
#![allow(clippy::expect_used)]

use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use antt_proto::v1::audit_client::AuditClient;
use antt_proto::v1::event_store_client::EventStoreClient;
use antt_proto::v1::{
    AppendRequest, CreateCheckpointRequest, GetHeadRequest, LogHead, NewEvent, ReadAllRequest, ReadStreamRequest,
    RecordedEvent,
};
use anyhow::{anyhow, bail, Context};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

type TestResult = anyhow::Result<()>;

/// Bounds the readiness poll: attempts times delay is the longest a start may take.
const READY_ATTEMPTS_MAX: u32 = 400;
const READY_POLL_DELAY: Duration = Duration::from_millis(25);
/// A hang guard for waiting on exits and appends; far above the expected time, not a
/// performance threshold.
const HANG_GUARD: Duration = Duration::from_secs(60);
/// The sled tree the log keeps its records in (`EVENTS_TREE` in antt-log's sled store):
/// key = position as u64 big-endian, value = canonical record ‖ hash.
const EVENTS_TREE: &str = "events";

/// A temp directory with the data directory and the stderr files of every run.
struct Workspace {
    root: tempfile::TempDir,
    runs: u32,
}

impl Workspace {
    fn new() -> anyhow::Result<Workspace> {
        Ok(Workspace {
            root: tempfile::Builder::new().prefix("anttd-process-").tempdir()?,
            runs: 0,
        })
    }

    fn data_dir(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// Starts `anttd` on a free port; does not wait for it to serve.
    fn spawn(&mut self) -> anyhow::Result<Anttd> {
        self.runs += 1;
        let stderr_path = self.root.path().join(format!("anttd-{}.stderr", self.runs));
        let addr = free_port()?;
        let stderr = std::fs::File::create(&stderr_path)?;
        let child = Command::new(env!("CARGO_BIN_EXE_anttd"))
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("--listen")
            .arg(addr.to_string())
            // A grace long enough that a shutdown which waited for it would hang the test
            // (and fail through the hang guard) rather than pass slowly.
            .arg("--shutdown-grace-secs")
            .arg("3600")
            .env_remove("ANTT_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .context("spawn anttd")?;
        Ok(Anttd {
            child,
            addr,
            stderr_path,
        })
    }

    /// Starts `anttd` and waits until it answers GetHead.
    async fn start(&mut self) -> anyhow::Result<(Anttd, EventStoreClient<Channel>)> {
        let mut anttd = self.spawn()?;
        let client = anttd.wait_until_serving().await?;
        Ok((anttd, client))
    }
}

/// A free loopback port: bind port 0, note the port, release it. Another process could
/// take it in between; on a test machine that is rare and shows as a failed start.
fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

struct Anttd {
    child: Child,
    addr: SocketAddr,
    stderr_path: PathBuf,
}

impl Anttd {
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    async fn wait_until_serving(&mut self) -> anyhow::Result<EventStoreClient<Channel>> {
        let mut last_error = String::from("no attempt made");
        for _ in 0..READY_ATTEMPTS_MAX {
            if let Some(status) = self.child.try_wait()? {
                bail!("anttd exited with {status} before serving; stderr:\n{}", self.stderr());
            }
            match connect(self.addr).await {
                Ok(mut client) => match client.get_head(GetHeadRequest {}).await {
                    Ok(_) => return Ok(client),
                    Err(status) => last_error = format!("GetHead: {status:?}"),
                },
                Err(error) => last_error = format!("{error:#}"),
            }
            tokio::time::sleep(READY_POLL_DELAY).await;
        }
        Err(anyhow!(
            "anttd never answered on {}; last error: {last_error}; stderr:\n{}",
            self.addr,
            self.stderr()
        ))
    }

    /// Sends a signal with the system's `kill`, as an operator or systemd would.
    fn signal(&self, name: &str) -> TestResult {
        let pid = self.child.id().context("anttd has already been reaped")?;
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .status()
            .context("run kill")?;
        anyhow::ensure!(status.success(), "kill -{name} {pid} failed: {status}");
        Ok(())
    }

    async fn wait(&mut self) -> anyhow::Result<ExitStatus> {
        tokio::time::timeout(HANG_GUARD, self.child.wait())
            .await
            .map_err(|_| anyhow!("anttd did not exit; stderr:\n{}", self.stderr()))?
            .context("wait for anttd")
    }
}

async fn connect(addr: SocketAddr) -> anyhow::Result<EventStoreClient<Channel>> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?.connect().await?;
    Ok(EventStoreClient::new(channel))
}

fn json_event(json: &str) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4().to_string(),
        event_type: "antt.v1.Noted".to_string(),
        schema_version: 1,
        content_type: "application/json".to_string(),
        payload: json.as_bytes().to_vec(),
        ..NewEvent::default()
    }
}

async fn append(client: &mut EventStoreClient<Channel>, stream_id: &str, events: Vec<NewEvent>) -> TestResult {
    client
        .append(AppendRequest {
            stream_id: stream_id.to_string(),
            expected: None,
            events,
        })
        .await?;
    Ok(())
}

async fn read_all(client: &mut EventStoreClient<Channel>) -> anyhow::Result<Vec<RecordedEvent>> {
    let mut stream = client
        .read_all(ReadAllRequest {
            from_position: 0,
            filter: None,
            max_count: 0,
        })
        .await?
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await? {
        events.push(event);
    }
    Ok(events)
}

async fn read_stream_ids(client: &mut EventStoreClient<Channel>, stream_id: &str) -> anyhow::Result<Vec<String>> {
    let mut stream = match client
        .read_stream(ReadStreamRequest {
            stream_id: stream_id.to_string(),
            ..ReadStreamRequest::default()
        })
        .await
    {
        Ok(response) => response.into_inner(),
        Err(status) if status.code() == tonic::Code::NotFound => return Ok(Vec::new()),
        Err(status) => return Err(status.into()),
    };
    let mut ids = Vec::new();
    while let Some(event) = stream.message().await? {
        ids.push(event.event_id);
    }
    Ok(ids)
}

async fn head(client: &mut EventStoreClient<Channel>) -> anyhow::Result<LogHead> {
    Ok(client.get_head(GetHeadRequest {}).await?.into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_zero_and_a_restart_serves_every_event() -> TestResult {
    // Goal: SIGTERM is a clean shutdown (exit status 0, even with a client connected), and
    // the next anttd on the same data directory serves exactly what was acknowledged.
    // Method: append, SIGTERM, wait, start again on a new port and compare everything.
    let mut workspace = Workspace::new()?;
    let (mut anttd, mut client) = workspace.start().await?;
    append(
        &mut client,
        "area-1",
        (0..3).map(|n| json_event(&format!("{{\"n\":{n}}}"))).collect(),
    )
    .await?;
    append(&mut client, "area-2", vec![json_event("{}")]).await?;
    append(&mut client, "area-1", vec![json_event("[1,2,3]")]).await?;
    let events_before = read_all(&mut client).await?;
    let head_before = head(&mut client).await?;
    assert_eq!(events_before.len(), 5);

    anttd.signal("TERM")?;
    let status = anttd.wait().await?;
    assert_eq!(
        status.code(),
        Some(0),
        "exit after SIGTERM: {status}; stderr:\n{}",
        anttd.stderr()
    );
    drop(client);

    let (mut anttd, mut client) = workspace.start().await?;
    assert_eq!(read_all(&mut client).await?, events_before);
    assert_eq!(head(&mut client).await?, head_before);
    anttd.signal("TERM")?;
    let status = anttd.wait().await?;
    assert_eq!(
        status.code(),
        Some(0),
        "second exit: {status}; stderr:\n{}",
        anttd.stderr()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_appends_loses_no_acknowledged_event() -> TestResult {
    // Goal: an acknowledged append is on disk: after SIGKILL in the middle of a stream of
    // appends, a restarted anttd has every acknowledged event, in the order acknowledged,
    // and at most the one unacknowledged append per writer that was in flight.
    // Method: four writers append one event at a time to their own stream and report each
    // acknowledgement; after 200 acknowledgements the test kills anttd with SIGKILL while
    // the writers keep going, then restarts it and compares each stream with its
    // acknowledgements.
    const WRITERS: usize = 4;
    let mut workspace = Workspace::new()?;
    let (mut anttd, _client) = workspace.start().await?;
    let (acks_tx, mut acks_rx) = mpsc::unbounded_channel::<(usize, String)>();
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let mut client = connect(anttd.addr).await?;
        let acks_tx = acks_tx.clone();
        writers.push(tokio::spawn(async move {
            for n in 0u64.. {
                let event = json_event(&format!("{{\"writer\":{writer},\"n\":{n}}}"));
                let event_id = event.event_id.clone();
                if append(&mut client, &format!("writer-{writer}"), vec![event])
                    .await
                    .is_err()
                {
                    // The server is gone; what happened to this append is unknown.
                    return;
                }
                if acks_tx.send((writer, event_id)).is_err() {
                    return;
                }
            }
        }));
    }
    drop(acks_tx);

    let mut acknowledged: Vec<Vec<String>> = vec![Vec::new(); WRITERS];
    for _ in 0..200 {
        let (writer, event_id) = tokio::time::timeout(HANG_GUARD, acks_rx.recv())
            .await
            .map_err(|_| anyhow!("appends stalled; stderr:\n{}", anttd.stderr()))?
            .context("every writer stopped before 200 acknowledgements")?;
        acknowledged[writer].push(event_id);
    }
    anttd.signal("KILL")?;
    let status = anttd.wait().await?;
    assert_eq!(status.signal(), Some(9), "{status}");
    // Acknowledgements that arrived before the process died count too.
    for writer in writers {
        tokio::time::timeout(HANG_GUARD, writer).await??;
    }
    while let Ok((writer, event_id)) = acks_rx.try_recv() {
        acknowledged[writer].push(event_id);
    }

    let (mut anttd, mut client) = workspace.start().await?;
    let mut stored_total = 0;
    for (writer, acked) in acknowledged.iter().enumerate() {
        let stored = read_stream_ids(&mut client, &format!("writer-{writer}")).await?;
        assert!(
            stored.len() >= acked.len() && stored[..acked.len()] == acked[..],
            "writer {writer}: {} acknowledged, {} stored, and the stored ones do not start with the acknowledged ones",
            acked.len(),
            stored.len()
        );
        assert!(
            stored.len() <= acked.len() + 1,
            "writer {writer}: {} stored but only {} acknowledged and one in flight",
            stored.len(),
            acked.len()
        );
        stored_total += stored.len();
    }
    let all = read_all(&mut client).await?;
    assert_eq!(all.len(), stored_total);
    assert_eq!(head(&mut client).await?.next_position, stored_total as u64);
    for (index, event) in all.iter().enumerate() {
        assert_eq!(event.position, index as u64);
    }

    // The recovered log takes appends where it left off.
    append(&mut client, "after-kill", vec![json_event("{}")]).await?;
    assert_eq!(head(&mut client).await?.next_position, stored_total as u64 + 1);
    anttd.signal("TERM")?;
    let status = anttd.wait().await?;
    assert_eq!(status.code(), Some(0), "{status}; stderr:\n{}", anttd.stderr());
    Ok(())
}

/// Flips one byte of the payload of the record at `position`, keeping its length, so that
/// the record still decodes but its hash no longer matches.
fn damage_record(data_dir: &Path, position: u64, marker: &[u8]) -> TestResult {
    let db = sled::Config::new()
        .path(data_dir)
        .segment_size(antt_log::limits::SLED_SEGMENT_SIZE_BYTES)
        .open()?;
    let tree = db.open_tree(EVENTS_TREE)?;
    let key = position.to_be_bytes();
    let mut record = tree
        .get(key)?
        .with_context(|| format!("no record at position {position} in tree {EVENTS_TREE:?}"))?
        .to_vec();
    let offset = record
        .windows(marker.len())
        .position(|window| window == marker)
        .context("the marker is not in the record")?;
    record[offset] ^= 0x01;
    tree.insert(key, record)?;
    db.flush()?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_log_stops_anttd_from_starting() -> TestResult {
    // Goal: anttd refuses to serve a log whose hash chain is broken: it exits non-zero and
    // tells the operator which position is damaged and to run `antt admin verify`.
    // Method: six events, clean shutdown, flip one payload byte of position 3 directly in
    // sled (same length, so only the hash can tell), start anttd again and read stderr.
    let mut workspace = Workspace::new()?;
    let (mut anttd, mut client) = workspace.start().await?;
    let events: Vec<_> = (0..6)
        .map(|n| json_event(&format!("{{\"n\":{n},\"mark\":\"marker-{n}\"}}")))
        .collect();
    append(&mut client, "area-9", events).await?;
    anttd.signal("TERM")?;
    assert_eq!(anttd.wait().await?.code(), Some(0));
    drop(client);

    damage_record(&workspace.data_dir(), 3, b"marker-3")?;

    let (status, stderr) = start_expecting_refusal(&mut workspace).await?;
    assert!(!status.success(), "anttd exited with {status} on a damaged log");
    assert_eq!(status.code(), Some(1), "{status}; stderr:\n{stderr}");
    assert!(
        stderr.contains("position 3"),
        "stderr does not name position 3:\n{stderr}"
    );
    assert!(
        stderr.contains("antt admin verify"),
        "stderr does not point to `antt admin verify`:\n{stderr}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn human_log_lines_to_a_file_carry_no_terminal_escapes() -> TestResult {
    // Goal: with stderr redirected to a file (as under systemd's journal or a container
    // runtime), the human log format writes plain text, not ANSI colour escapes that show
    // up as `[2m` garbage in `journalctl` and log shippers. Method: start, SIGTERM, read the
    // stderr file: it must have log lines and no ESC byte.
    let mut workspace = Workspace::new()?;
    let (mut anttd, client) = workspace.start().await?;
    drop(client);
    anttd.signal("TERM")?;
    assert_eq!(anttd.wait().await?.code(), Some(0));
    let stderr = anttd.stderr();
    assert!(stderr.contains("opening the log"), "no log lines on stderr:\n{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "ANSI escapes in log lines written to a file:\n{stderr:?}"
    );
    Ok(())
}

/// The ways a stopped store is damaged in [`every_kind_of_damage_is_refused_and_named`].
#[derive(Clone, Copy, Debug)]
enum StoreDamage {
    /// One bit flipped inside one of the last events, in sled's file: sled cuts its log there.
    FlipBitInALateEvent,
    /// sled's data file cut short.
    CutTheDataFile,
    /// The last events removed through sled.
    DropTheLastEvents,
    /// Two events' records swapped through sled.
    SwapTwoEvents,
    /// An insider with write access rewrites one payload through sled and re-seals the
    /// chain of every later event: sled's checksums and the chain both hold.
    RewriteAPayloadWithItsChain,
}

const DAMAGE_EVENTS: usize = 320;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_damage_is_refused_and_named() -> TestResult {
    // Goal: whatever happens to a stopped store, anttd refuses to start on it (exit 1,
    // naming what is wrong), the offline verification fails, and the checkpoint saved
    // before the damage can no longer be reproduced from the store.
    // Method: 320 events, a checkpoint saved over gRPC, a clean stop, one kind of damage,
    // a start of the real binary, then `verify` (what `antt admin verify` runs).
    for damage in [
        StoreDamage::FlipBitInALateEvent,
        StoreDamage::CutTheDataFile,
        StoreDamage::DropTheLastEvents,
        StoreDamage::SwapTwoEvents,
        StoreDamage::RewriteAPayloadWithItsChain,
    ] {
        let mut workspace = Workspace::new()?;
        let (mut anttd, mut client) = workspace.start().await?;
        for batch in 0..DAMAGE_EVENTS / 10 {
            let events = (0..10)
                .map(|n| json_event(&format!("{{\"mark\":\"marker-{:04}\"}}", batch * 10 + n)))
                .collect();
            append(&mut client, &format!("area-{}", batch % 3), events).await?;
        }
        let mut audit = AuditClient::connect(format!("http://{}", anttd.addr)).await?;
        let saved = audit
            // Saved explicitly: the latest stored one may be a periodic checkpoint made
            // while the events were still being appended.
            .create_checkpoint(CreateCheckpointRequest {})
            .await?
            .into_inner();
        assert_eq!(saved.tree_size, DAMAGE_EVENTS as u64);
        anttd.signal("TERM")?;
        assert_eq!(anttd.wait().await?.code(), Some(0));
        drop((client, audit));

        damage_store(&workspace.data_dir(), damage)?;

        let (status, stderr) = start_expecting_refusal(&mut workspace).await?;
        assert_eq!(status.code(), Some(1), "{damage:?}: {status}; stderr:\n{stderr}");
        assert!(
            stderr.contains("missing") || stderr.contains("damaged") || stderr.contains("anchor"),
            "{damage:?}: stderr does not say what is wrong:\n{stderr}"
        );
        let before = std::fs::read(workspace.data_dir().join("db"))?;
        let verified = antt_log::sled_log::verify(&workspace.data_dir(), &[saved.tree_size], &mut |_, _| {});
        // Verification opened a copy: sled's repair of the damaged log touched nothing here.
        assert!(
            std::fs::read(workspace.data_dir().join("db"))? == before,
            "{damage:?}: verify changed the store"
        );
        match verified {
            Err(error) => assert!(!error.to_string().is_empty()),
            Ok(report) => panic!("{damage:?}: verify accepted a damaged store: {report:?}"),
        }
    }
    Ok(())
}

fn damage_store(data_dir: &Path, damage: StoreDamage) -> TestResult {
    match damage {
        StoreDamage::FlipBitInALateEvent => flip_bit_in_file(&data_dir.join("db"), b"marker-0315"),
        StoreDamage::CutTheDataFile => {
            let file = std::fs::OpenOptions::new().write(true).open(data_dir.join("db"))?;
            let length = file.metadata()?.len();
            file.set_len(length / 2)?;
            Ok(())
        }
        StoreDamage::DropTheLastEvents => with_events_tree(data_dir, |tree| {
            for position in DAMAGE_EVENTS as u64 - 5..DAMAGE_EVENTS as u64 {
                tree.remove(position.to_be_bytes())?;
            }
            Ok(())
        }),
        StoreDamage::SwapTwoEvents => with_events_tree(data_dir, |tree| {
            let (a, b) = (100u64.to_be_bytes(), 101u64.to_be_bytes());
            let record_a = tree.get(a)?.context("no record 100")?;
            let record_b = tree.get(b)?.context("no record 101")?;
            tree.insert(a, record_b)?;
            tree.insert(b, record_a)?;
            Ok(())
        }),
        StoreDamage::RewriteAPayloadWithItsChain => with_events_tree(data_dir, |tree| {
            let mut previous = antt_log::codec::decode_record(&tree.get(9u64.to_be_bytes())?.context("no 9")?)?.hash;
            for position in 10..DAMAGE_EVENTS as u64 {
                let key = position.to_be_bytes();
                let mut event = antt_log::codec::decode_record(&tree.get(key)?.context("no record")?)?;
                if position == 10 {
                    event.payload = br#"{"mark":"rewritten"}"#.to_vec();
                }
                let record = antt_log::codec::seal(&mut event, &previous);
                previous = event.hash;
                tree.insert(key, record)?;
            }
            Ok(())
        }),
    }
}

fn with_events_tree(data_dir: &Path, change: impl FnOnce(&sled::Tree) -> TestResult) -> TestResult {
    let db = sled::Config::new()
        .path(data_dir)
        .segment_size(antt_log::limits::SLED_SEGMENT_SIZE_BYTES)
        .open()?;
    change(&db.open_tree(EVENTS_TREE)?)?;
    db.flush()?;
    Ok(())
}

/// Flips the lowest bit of the first byte of the last place `marker` appears in `path`.
fn flip_bit_in_file(path: &Path, marker: &[u8]) -> TestResult {
    let mut bytes = std::fs::read(path)?;
    let offset = bytes
        .windows(marker.len())
        .rposition(|window| window == marker)
        .with_context(|| format!("{} does not contain the marker", path.display()))?;
    bytes[offset] ^= 0x01;
    std::fs::write(path, bytes)?;
    Ok(())
}

/// Starts anttd on a store it must refuse; fails the test if it serves.
async fn start_expecting_refusal(workspace: &mut Workspace) -> anyhow::Result<(ExitStatus, String)> {
    let mut anttd = workspace.spawn()?;
    for _ in 0..READY_ATTEMPTS_MAX {
        if let Some(exit) = anttd.child.try_wait()? {
            return Ok((exit, anttd.stderr()));
        }
        if let Ok(mut client) = connect(anttd.addr).await {
            if client.get_head(GetHeadRequest {}).await.is_ok() {
                bail!("anttd served a damaged store; stderr:\n{}", anttd.stderr());
            }
        }
        tokio::time::sleep(READY_POLL_DELAY).await;
    }
    let status = anttd.wait().await?;
    Ok((status, anttd.stderr()))
}
