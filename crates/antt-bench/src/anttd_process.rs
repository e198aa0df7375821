//! The real `anttd` binary as a separate process, as an operator runs it: a free loopback
//! port, a data directory of its own, no tokens (on loopback the server runs in
//! development mode), stderr to a file. Its resident memory is then its own, read from
//! `/proc/<pid>/status`.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use antt_proto::v1 as pb;
use antt_proto::v1::event_store_client::EventStoreClient;
use anyhow::{anyhow, bail, Context};
use tokio::process::{Child, Command};

use crate::grpc;
use crate::memory;

/// Bounds the readiness poll: attempts times delay is the longest a start may take.
pub const ANTTD_READY_ATTEMPTS_MAX: u32 = 600;
pub const ANTTD_READY_POLL_MILLIS: u64 = 50;
/// After SIGTERM, how long the server may take to finish its calls and close the log.
pub const ANTTD_EXIT_WAIT_SECS: u64 = 60;

/// A running `anttd` child process; killed if dropped while running.
pub struct AnttdProcess {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:<port>`.
    pub uri: String,
    pub data_dir: PathBuf,
    stderr_path: PathBuf,
}

impl AnttdProcess {
    /// Starts `bin` over `<dir>/data` on a free loopback port and waits until it answers.
    pub async fn start(bin: &Path, dir: &Path) -> anyhow::Result<AnttdProcess> {
        anyhow::ensure!(
            bin.is_file(),
            "no anttd binary at {} (build it with `cargo build --release -p anttd`, or pass --anttd-bin)",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("finding a free loopback port")?;
        let data_dir = dir.join("data");
        let stderr_path = dir.join("anttd.stderr");
        let mut command = Command::new(bin);
        command
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--listen")
            .arg(port.to_string())
            .arg("--log-filter")
            .arg("warn");
        // The shell's settings (tokens, TLS, telemetry) would make it another server.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ANTT_") {
                command.env_remove(key);
            }
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).context("creating the server's stderr file")?)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let mut server = AnttdProcess {
            child,
            pid,
            uri: format!("http://{port}"),
            data_dir,
            stderr_path,
        };
        server.wait_until_serving().await?;
        Ok(server)
    }

    /// The server's `VmRSS`, in KiB.
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        memory::process_status_kib(self.pid, "VmRSS")
    }

    /// The server's peak resident memory so far (`VmHWM`), in KiB.
    pub fn rss_peak_kib(&self) -> anyhow::Result<u64> {
        memory::process_status_kib(self.pid, "VmHWM")
    }

    /// What the server wrote on stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    async fn wait_until_serving(&mut self) -> anyhow::Result<()> {
        let mut last_error = String::from("no attempt made");
        for _ in 0..ANTTD_READY_ATTEMPTS_MAX {
            if let Some(status) = self.child.try_wait().context("polling the server process")? {
                bail!("anttd exited with {status} before serving; stderr:\n{}", self.stderr());
            }
            match grpc::channel(&self.uri).await {
                Ok(channel) => match EventStoreClient::new(channel).get_head(pb::GetHeadRequest {}).await {
                    Ok(_) => return Ok(()),
                    Err(status) => last_error = format!("GetHead: {status:?}"),
                },
                Err(error) => last_error = format!("{error:#}"),
            }
            tokio::time::sleep(Duration::from_millis(ANTTD_READY_POLL_MILLIS)).await;
        }
        bail!("anttd never answered on {}; last error: {last_error}", self.uri)
    }

    /// SIGTERM (with the system's `kill`, as systemd would), then waits for the exit.
    pub async fn stop(mut self) -> anyhow::Result<ExitStatus> {
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .context("running kill")?;
        anyhow::ensure!(status.success(), "kill -TERM {} failed: {status}", self.pid);
        tokio::time::timeout(Duration::from_secs(ANTTD_EXIT_WAIT_SECS), self.child.wait())
            .await
            .map_err(|_| anyhow!("anttd did not exit within {ANTTD_EXIT_WAIT_SECS} s of SIGTERM"))?
            .context("waiting for anttd")
    }
}
