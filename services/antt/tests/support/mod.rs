//! What the integration tests of `antt` share: an `anttd` served in-process on a loopback
//! port over a temp directory, and the `antt` binary pointed at it.
//!
//! Each test file adds the clients it needs with its own `impl Server` block; not every
//! file uses every helper.
#![allow(dead_code)]

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

/// The issuer, audience and key seed of the tokens of [`Server::start_with_tokens`].
pub const TOKEN_ISSUER: &str = "https://sso.antt.test";
pub const TOKEN_AUDIENCE: &str = "antt-ledger";
const TOKEN_KEY_SEED: u64 = 2026;

/// Seconds since 1970, the clock tokens are issued by.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// An `anttd` served in-process on 127.0.0.1:<ephemeral> over a temp directory.
pub struct Server {
    pub addr: SocketAddr,
    pub channel: Channel,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), anttd::ServeError>>,
    data_dir: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Serves a fresh temp directory (named with `prefix`) and connects to it.
    pub async fn start(prefix: &str) -> Server {
        Server::start_with(prefix, |_| {}).await
    }

    /// Like [`Server::start`], with settings changed from the defaults.
    pub async fn start_with(prefix: &str, configure: impl FnOnce(&mut anttd::Config)) -> Server {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
        let mut config = anttd::Config::for_data_dir(dir.path().join("data"));
        configure(&mut config);
        Server::serve(config, dir).await
    }

    /// A server that needs a bearer token on every call but health, signed by the returned
    /// issuer (`TOKEN_ISSUER`, for `TOKEN_AUDIENCE`); its JWKS is a file in the server's
    /// temp directory.
    pub async fn start_with_tokens(prefix: &str) -> (Server, antt_access::testing::TestIssuer) {
        let issuer = antt_access::testing::TestIssuer::new(TOKEN_ISSUER, TOKEN_AUDIENCE, TOKEN_KEY_SEED);
        let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
        let jwks = dir.path().join("jwks.json");
        std::fs::write(&jwks, issuer.jwks()).unwrap();
        let mut config = anttd::Config::for_data_dir(dir.path().join("data"));
        config.access.jwks = Some(jwks);
        config.access.token_issuer = Some(TOKEN_ISSUER.into());
        config.access.token_audience = Some(TOKEN_AUDIENCE.into());
        (Server::serve(config, dir).await, issuer)
    }

    /// Serves `config` as it is (its data directory is the caller's); `dir` lives as
    /// long as the server.
    pub async fn serve(config: anttd::Config, dir: tempfile::TempDir) -> Server {
        let data_dir = config.data_dir.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(anttd::serve(config, listener, async move {
            let _ = stop.await;
        }));
        let channel = Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Server {
            addr,
            channel,
            shutdown: Some(shutdown),
            task,
            data_dir,
            _dir: dir,
        }
    }

    /// The data directory the server runs on.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Signals shutdown and waits for `serve` to return cleanly.
    pub async fn stop(mut self) {
        drop(self.channel);
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.await.unwrap().unwrap();
    }
}

/// `antt --server http://<server>`, ignoring `ANTT_SERVER` and `ANTT_TOKEN` from the
/// environment; the caller adds its arguments and runs it.
pub fn antt_command(server: &Server) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_antt"));
    command
        .arg("--server")
        .arg(format!("http://{}", server.addr))
        .env_remove("ANTT_SERVER")
        .env_remove("ANTT_TOKEN");
    command
}
