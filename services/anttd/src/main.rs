//! `anttd`: parse the settings, start logging and telemetry, bind, serve until SIGTERM or
//! SIGINT, flush telemetry.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tokio::signal::unix::{signal, SignalKind};

use anttd::{Config, ServeError};

// Measured at 1 M events (see the DEFAULT_CACHE_CAPACITY_BYTES note and BENCHMARKS.md):
// glibc's per-thread arenas fragment under the blocking-pool reads (407 MiB resident after
// two full reads, against 290 MiB with jemalloc), and decoding a page of events is
// allocation-heavy, where jemalloc reads the whole log about twice as fast.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    let telemetry = match anttd::telemetry::init(&config).await {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("anttd: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = run(config).await;
    // After the server stopped, so that its last spans (the final checkpoint's) go out.
    telemetry.shutdown().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The open error's own text tells the operator what to run next; print it as is.
            match error.downcast_ref::<ServeError>() {
                Some(ServeError::Open(open)) => {
                    tracing::error!(error = %open, "the log did not open");
                    eprintln!("anttd: {open}");
                }
                _ => {
                    tracing::error!(error = format!("{error:#}"), "anttd stopped with an error");
                    eprintln!("anttd: {error:#}");
                }
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    // Install the handlers before serving, so that an early SIGTERM is not the default
    // "die now" but a clean shutdown.
    let mut terminate = signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot install the SIGINT handler")?;
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM received"),
            _ = interrupt.recv() => tracing::info!("SIGINT received"),
        }
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (ANTT_LISTEN)", config.listen))?;
    anttd::serve(config, listener, shutdown).await?;
    Ok(())
}
