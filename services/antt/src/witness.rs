//! `antt witness serve`: a C2SP tlog-witness that another body (an inspection delegation,
//! the provincial Internal Affairs Committee) runs with its own key. It cosigns a log's
//! checkpoint only after verifying that it extends the last one it cosigned, and keeps
//! that one on disk, so a log that rewrote or forked its history is caught.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use antt_witness::{Witness, WitnessConfig};
use tokio::signal::unix::{signal, SignalKind};

use crate::audit::parse_key;
use crate::error::CliError;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on for HTTP (the submission prefix is `http://<address>`).
    #[arg(long, env = "ANTT_WITNESS_LISTEN", default_value = "127.0.0.1:7380")]
    pub listen: SocketAddr,
    /// Where the last cosigned checkpoint of each log is kept.
    #[arg(long, env = "ANTT_WITNESS_STATE_DIR", default_value = "./witness")]
    pub state_dir: PathBuf,
    /// The witness's private key; created (mode 0600) on first start. Default: `witness.key` in the state directory.
    #[arg(long, env = "ANTT_WITNESS_KEY")]
    pub key_file: Option<PathBuf>,
    /// The witness's name, e.g. `thanh-hoa.ban-noi-chinh/witness`; written into its key.
    #[arg(long, env = "ANTT_WITNESS_NAME")]
    pub name: String,
    /// The verifier key of a log to witness (`antt audit public-key`); its name is the
    /// log's origin. Repeatable.
    #[arg(long = "log", required = true)]
    pub logs: Vec<String>,
}

pub async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let mut logs = BTreeMap::new();
    for key in &args.logs {
        let verifier = parse_key(key)?;
        logs.insert(verifier.name().to_string(), verifier);
    }
    std::fs::create_dir_all(&args.state_dir).map_err(CliError::Output)?;
    let config = WitnessConfig {
        listen: args.listen,
        key_file: args.key_file.unwrap_or_else(|| args.state_dir.join("witness.key")),
        state_dir: args.state_dir,
        name: args.name,
        logs,
    };
    let failed = |error: antt_witness::ServeError| CliError::Verify(format!("the witness failed: {error}"));
    let witness = Witness::bind(config).await.map_err(failed)?;
    let addr = witness.local_addr().map_err(failed)?;
    // stdout: what an operator hands to anttd's --witness.
    println!("http://{addr}={}", witness.verifier());
    eprintln!("witnessing on http://{addr}; stop with Ctrl-C or SIGTERM");
    let mut terminate = signal(SignalKind::terminate()).map_err(CliError::Output)?;
    let shutdown = async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    };
    witness.run(shutdown).await.map_err(failed)
}
