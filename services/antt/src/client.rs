//! Connecting to anttd.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use antt_proto::v1::event_store_client::EventStoreClient;
use tonic::codegen::InterceptedService;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::error::CliError;

/// How long to wait for the TCP and HTTP/2 handshake before saying the server is down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How the CLI proves who calls and which server it trusts: flags every command takes.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct CredentialArgs {
    /// Bearer token (a JWT) sent with every call; the server records its subject and
    /// issuer (`sub@iss`) as the actor of what is written.
    #[arg(long, global = true, env = "ANTT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// CA certificate (PEM) that signed an `https://` server's certificate.
    #[arg(long, global = true, env = "ANTT_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// Client certificate (PEM), for a server that requires one (mutual TLS).
    #[arg(long, global = true, env = "ANTT_TLS_CLIENT_CERT", requires = "tls_client_key")]
    pub tls_client_cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, global = true, env = "ANTT_TLS_CLIENT_KEY", requires = "tls_client_cert")]
    pub tls_client_key: Option<PathBuf>,
}

/// What every connection of this process carries, read once at start.
#[derive(Clone, Default)]
struct Credentials {
    authorization: Option<MetadataValue<Ascii>>,
    tls: Option<ClientTlsConfig>,
}

static CREDENTIALS: OnceLock<Credentials> = OnceLock::new();

/// Reads the token and TLS files of `args` for every later connection of this process.
pub fn use_credentials(args: &CredentialArgs) -> Result<(), CliError> {
    let authorization = args
        .token
        .as_deref()
        .map(|token| {
            format!("Bearer {}", token.trim())
                .parse::<MetadataValue<Ascii>>()
                .map_err(|_| CliError::Input("--token: a JWT is plain ASCII text".into()))
        })
        .transpose()?;
    let read = |path: &PathBuf| {
        std::fs::read(path).map_err(|source| CliError::ReadFile {
            path: path.clone(),
            source,
        })
    };
    let tls = match (&args.tls_ca, &args.tls_client_cert, &args.tls_client_key) {
        (None, None, None) => None,
        (ca, cert, key) => {
            let mut tls = ClientTlsConfig::new();
            if let Some(ca) = ca {
                tls = tls.ca_certificate(Certificate::from_pem(read(ca)?));
            }
            if let (Some(cert), Some(key)) = (cert, key) {
                tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?));
            }
            Some(tls)
        }
    };
    // Set once, by main; a second call (tests in one process) keeps the first.
    let _ = CREDENTIALS.set(Credentials { authorization, tls });
    Ok(())
}

/// A connection that sends the process's bearer token, if any, with every call.
pub type Conn = InterceptedService<Channel, Bearer>;

/// Adds `authorization: Bearer <token>` to each call.
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// `channel` carrying this process's bearer token, if any: for callers (tests, tools)
/// that connect themselves.
pub fn over(channel: Channel) -> Conn {
    let credentials = CREDENTIALS.get().cloned().unwrap_or_default();
    InterceptedService::new(channel, Bearer(credentials.authorization))
}

/// One HTTP/2 connection to anttd (over TLS for an `https://` address); concurrent calls
/// on clones of it share it.
pub async fn channel(server: &str) -> Result<Conn, tonic::transport::Error> {
    let credentials = CREDENTIALS.get().cloned().unwrap_or_default();
    let mut endpoint = Endpoint::from_shared(server.to_string())?.connect_timeout(CONNECT_TIMEOUT);
    if server.starts_with("https://") {
        endpoint = endpoint.tls_config(credentials.tls.unwrap_or_default())?;
    }
    Ok(over(endpoint.connect().await?))
}

pub async fn connect(server: &str) -> Result<EventStoreClient<Conn>, CliError> {
    let channel = channel(server).await.map_err(|source| CliError::Connect {
        server: server.to_string(),
        source,
    })?;
    Ok(EventStoreClient::new(channel))
}

/// A [`channel`] to `server`, or the error that says the server is unreachable.
pub async fn connected(server: &str) -> Result<Conn, CliError> {
    channel(server).await.map_err(|source| CliError::Connect {
        server: server.to_string(),
        source,
    })
}

/// Attempts of a call the server refuses as UNAVAILABLE (restarting, or its log refusing
/// writes for a moment) before a batch command gives up on it: about 25 s of back-off.
const UNAVAILABLE_ATTEMPTS_MAX: u32 = 8;
/// The wait before the second attempt; it doubles up to `UNAVAILABLE_BACKOFF_MAX`.
const UNAVAILABLE_BACKOFF_FIRST: Duration = Duration::from_millis(100);
const UNAVAILABLE_BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Runs `call` again, with a doubling wait, while the server answers UNAVAILABLE, at
/// most `UNAVAILABLE_ATTEMPTS_MAX` times; a last UNAVAILABLE says how many attempts it
/// took. Every other answer is returned as it is. The commands that send many requests
/// (the import, the demo) retry through it: their requests are idempotent.
pub async fn retry_unavailable<T, Fut>(mut call: impl FnMut() -> Fut) -> Result<T, tonic::Status>
where
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut backoff = UNAVAILABLE_BACKOFF_FIRST;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(status) if status.code() == tonic::Code::Unavailable && attempt < UNAVAILABLE_ATTEMPTS_MAX => {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(UNAVAILABLE_BACKOFF_MAX);
                attempt += 1;
            }
            Err(status) if status.code() == tonic::Code::Unavailable => {
                let message = format!("{} (gave up after {attempt} attempts)", status.message());
                return Err(tonic::Status::unavailable(message));
            }
            answer => return answer,
        }
    }
}
