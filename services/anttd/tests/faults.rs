//! The real `anttd` binary when its storage fails and when the log's writer panics: health
//! must say NOT_SERVING as soon as appends are refused, and a panic must end the process
//! with a non-zero status (for its supervisor to restart it) instead of answering
//! "shutting down" forever.
//!
//! The storage failure is a real one: the child runs under `RLIMIT_FSIZE` (set by
//! util-linux's `prlimit`, with SIGXFSZ ignored so that the kernel answers EFBIG instead of
//! killing it), so sled's write fails exactly as on a full disk once the log's file reaches
//! the limit. No test-only code is involved. Without root there is no smaller real fault:
//! a full tmpfs, a tiny loop device or a read-only remount all need mounting.
//!
//! The panic is the one fault no real input causes: it comes from antt-log's
//! `fault-injection` feature, which only this package's dev-dependency enables.
#![allow(clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use antt_proto::v1::event_store_client::EventStoreClient;
use antt_proto::v1::{AppendRequest, GetHeadRequest, NewEvent, ReadAllRequest};
use anyhow::{anyhow, bail, Context};
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use uuid::Uuid;

type TestResult = anyhow::Result<()>;

const READY_ATTEMPTS_MAX: u32 = 400;
const READY_POLL_DELAY: Duration = Duration::from_millis(25);
/// A hang guard, far above the expected time; not a performance threshold.
const HANG_GUARD: Duration = Duration::from_secs(60);
/// The largest file the child may write under the storage-failure test. Far above what
/// the store holds at start (a few KiB) and below sled's second 4 MiB segment's end, so
/// the log's own file is the one that reaches it, after a few hundred KiB-sized appends.
const FILE_SIZE_LIMIT_BYTES: u64 = 6_000_000;
/// Payload of each event the storage test appends: the limit is reached in a few dozen appends.
const PAYLOAD_BYTES: usize = 20_000;
const EVENTS_PER_APPEND: usize = 10;
/// Appends the storage test sends at most before it gives up on reaching the limit.
const APPENDS_MAX: usize = 1_000;

struct Anttd {
    child: Child,
    addr: SocketAddr,
    stderr_path: PathBuf,
}

/// How the child is started.
enum Start {
    Plain,
    /// Under `RLIMIT_FSIZE` = the given bytes, with SIGXFSZ ignored.
    FileSizeLimit(u64),
}

fn spawn(root: &tempfile::TempDir, run: &str, start: Start) -> anyhow::Result<Anttd> {
    let stderr_path = root.path().join(format!("anttd-{run}.stderr"));
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut command = match start {
        Start::Plain => Command::new(env!("CARGO_BIN_EXE_anttd")),
        Start::FileSizeLimit(bytes) => {
            // `trap '' XFSZ` makes the signal ignored, which exec keeps: a write past the
            // limit then fails with EFBIG, as one past a full disk fails with ENOSPC.
            let mut command = Command::new("sh");
            command
                .arg("-c")
                .arg("trap '' XFSZ; exec prlimit --fsize=\"$0\" -- \"$@\"")
                .arg(bytes.to_string())
                .arg(env!("CARGO_BIN_EXE_anttd"));
            command
        }
    };
    let child = command
        .arg("--data-dir")
        .arg(root.path().join("data"))
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--sync-mode")
        .arg("flush")
        .env_remove("ANTT_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path)?)
        .kill_on_drop(true)
        .spawn()
        .context("spawn anttd")?;
    Ok(Anttd {
        child,
        addr,
        stderr_path,
    })
}

impl Anttd {
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    async fn wait_until_serving(&mut self) -> anyhow::Result<Channel> {
        let mut last_error = String::from("no attempt made");
        for _ in 0..READY_ATTEMPTS_MAX {
            if let Some(status) = self.child.try_wait()? {
                bail!("anttd exited with {status} before serving; stderr:\n{}", self.stderr());
            }
            match Endpoint::from_shared(format!("http://{}", self.addr))?.connect().await {
                Ok(channel) => match EventStoreClient::new(channel.clone()).get_head(GetHeadRequest {}).await {
                    Ok(_) => return Ok(channel),
                    Err(status) => last_error = format!("GetHead: {status:?}"),
                },
                Err(error) => last_error = format!("{error:#}"),
            }
            tokio::time::sleep(READY_POLL_DELAY).await;
        }
        Err(anyhow!(
            "anttd never answered; last error: {last_error}; stderr:\n{}",
            self.stderr()
        ))
    }

    async fn exit_status(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        tokio::time::timeout(HANG_GUARD, self.child.wait())
            .await
            .map_err(|_| anyhow!("anttd did not exit; stderr:\n{}", self.stderr()))?
            .context("wait for anttd")
    }

    fn terminate(&self) -> TestResult {
        let pid = self.child.id().context("anttd has already been reaped")?;
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()?;
        anyhow::ensure!(status.success(), "kill -TERM {pid} failed");
        Ok(())
    }
}

fn event(payload_bytes: usize) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4().to_string(),
        event_type: "antt.test.Filler".into(),
        schema_version: 1,
        content_type: "application/octet-stream".into(),
        payload: vec![7; payload_bytes],
        ..Default::default()
    }
}

fn append_request(stream_id: &str, events: usize, payload_bytes: usize) -> AppendRequest {
    AppendRequest {
        stream_id: stream_id.into(),
        events: (0..events).map(|_| event(payload_bytes)).collect(),
        ..Default::default()
    }
}

async fn health(channel: &Channel, service: &str) -> anyhow::Result<ServingStatus> {
    let response = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await?;
    Ok(response.into_inner().status())
}

/// Waits, through the health service's own Watch stream, until `service` says `wanted`.
async fn wait_for_health(channel: &Channel, service: &str, wanted: ServingStatus) -> TestResult {
    let mut updates = HealthClient::new(channel.clone())
        .watch(HealthCheckRequest {
            service: service.into(),
        })
        .await?
        .into_inner();
    tokio::time::timeout(HANG_GUARD, async {
        while let Some(update) = updates.message().await? {
            if update.status() == wanted {
                return Ok(());
            }
        }
        bail!("the health watch of {service:?} ended before {wanted:?}")
    })
    .await
    .map_err(|_| anyhow!("{service:?} never became {wanted:?}"))?
}

async fn events_in_log(channel: &Channel) -> anyhow::Result<usize> {
    let mut stream = EventStoreClient::new(channel.clone())
        .read_all(ReadAllRequest::default())
        .await?
        .into_inner();
    let mut count = 0;
    while stream.message().await?.is_some() {
        count += 1;
    }
    Ok(count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_failure_turns_health_not_serving_and_reads_go_on() -> TestResult {
    // Goal: once the log refuses appends after a real write failure, health says
    // NOT_SERVING for "" and antt.v1.EventStore (it said SERVING before), the log says
    // why, reads still answer, and a restart without the fault serves every acknowledged
    // event and takes appends again.
    // Method: anttd under RLIMIT_FSIZE; appends of ~200 KB until one is refused.
    let root = tempfile::tempdir()?;
    let mut anttd = spawn(&root, "limited", Start::FileSizeLimit(FILE_SIZE_LIMIT_BYTES))?;
    let channel = anttd.wait_until_serving().await?;
    for service in ["", "antt.v1.EventStore"] {
        assert_eq!(
            health(&channel, service).await?,
            ServingStatus::Serving,
            "{service:?} at start"
        );
    }
    let mut client = EventStoreClient::new(channel.clone());
    let mut acknowledged = 0;
    let refusal = loop {
        anyhow::ensure!(
            acknowledged < APPENDS_MAX * EVENTS_PER_APPEND,
            "no append was refused below the file size limit"
        );
        let stream_id = format!("filler-{acknowledged}");
        match client
            .append(append_request(&stream_id, EVENTS_PER_APPEND, PAYLOAD_BYTES))
            .await
        {
            Ok(_) => acknowledged += EVENTS_PER_APPEND,
            Err(status) => break status,
        }
    };
    assert_eq!(refusal.code(), tonic::Code::Unavailable, "{refusal:?}");
    assert!(refusal.message().contains("File too large"), "{refusal:?}");
    for service in ["", "antt.v1.EventStore"] {
        wait_for_health(&channel, service, ServingStatus::NotServing).await?;
    }
    let again = client
        .append(append_request("after", 1, 10))
        .await
        .expect_err("refused");
    assert_eq!(again.code(), tonic::Code::Unavailable, "{again:?}");
    assert_eq!(events_in_log(&channel).await?, acknowledged, "reads still answer");
    let stderr = anttd.stderr();
    assert!(stderr.contains("health is now NOT_SERVING"), "stderr:\n{stderr}");

    drop(client);
    drop(channel);
    anttd.terminate()?;
    anttd.exit_status().await?;
    let mut restarted = spawn(&root, "restarted", Start::Plain)?;
    let channel = restarted.wait_until_serving().await?;
    assert_eq!(health(&channel, "").await?, ServingStatus::Serving);
    assert_eq!(events_in_log(&channel).await?, acknowledged, "every acknowledged event");
    EventStoreClient::new(channel.clone())
        .append(append_request("after-restart", 1, 10))
        .await?;
    drop(channel);
    restarted.terminate()?;
    assert!(restarted.exit_status().await?.success());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_of_the_writer_ends_the_process_with_a_failure_status() -> TestResult {
    // Goal: when the log's writer thread panics, the append in flight is refused
    // (UNAVAILABLE), anttd logs why and exits with status 1 by itself, and a restart (what
    // a supervisor does) serves every event acknowledged before and takes appends again.
    // Method: the real binary; antt-log's fault-injection stream makes the writer panic.
    let root = tempfile::tempdir()?;
    let mut anttd = spawn(&root, "panicking", Start::Plain)?;
    let channel = anttd.wait_until_serving().await?;
    let mut client = EventStoreClient::new(channel.clone());
    client.append(append_request("before", 3, 10)).await?;
    let refused = client
        .append(append_request(antt_log::fault::PANIC_THE_WRITER_STREAM, 1, 10))
        .await
        .expect_err("the writer panicked");
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    drop(client);
    drop(channel);
    let status = anttd.exit_status().await?;
    let stderr = anttd.stderr();
    assert_eq!(status.code(), Some(1), "exit status {status}; stderr:\n{stderr}");
    assert!(stderr.contains("the log's writer thread panicked"), "stderr:\n{stderr}");
    assert!(stderr.contains("restarts anttd"), "stderr:\n{stderr}");

    let mut restarted = spawn(&root, "restarted", Start::Plain)?;
    let channel = restarted.wait_until_serving().await?;
    assert_eq!(events_in_log(&channel).await?, 3);
    EventStoreClient::new(channel.clone())
        .append(append_request("after-restart", 1, 10))
        .await?;
    drop(channel);
    restarted.terminate()?;
    assert!(restarted.exit_status().await?.success());
    Ok(())
}
