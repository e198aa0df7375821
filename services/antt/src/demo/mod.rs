//! `antt demo`: a synthetic history recorded through the public gRPC API.
//!
//! `antt demo nga-son` records the decade 2008–2018 of Nga Sơn district (Thanh Hóa) so
//! that the projections answer with the figures of its ten-year report (seed `001_…`,
//! Báo cáo số 55/BC-BCĐ of 12/6/2018): forces and their members, incidents, ratings,
//! documents, conferences and awards, each fact dated on the day it took effect. It
//! builds on the areas of `antt import areas` and is idempotent: every id is a UUID v5 of
//! a stable name, so a second run records nothing.
//!
//! # Layout
//! - [`figures`]: the report's figures and the exact counts recorded for them.
//! - [`plan`]: pure: the history as stages of chains of requests.
//! - [`send`]: the requests to anttd, chains concurrently, steps of a chain in order.
//! - [`identity`], [`names`]: deterministic ids and synthetic personal data.

pub mod figures;
pub mod identity;
pub mod names;
pub mod plan;
pub mod send;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::demo::send::{ConnectFailed, SendOptions, StageOutcome, StepFailed};
use crate::import::source;

#[derive(Subcommand, Debug)]
pub enum DemoCommand {
    /// Nga Sơn district, 2008–2018 (seed 001, Báo cáo 55/BC-BCĐ): about 100,000 requests.
    /// Run `antt import areas` first (the whole 2024 list, or `--only-under 401`).
    #[command(name = "nga-son")]
    NgaSon(NgaSonArgs),
}

#[derive(Args, Debug, Clone)]
pub struct NgaSonArgs {
    /// The unit list imported with `antt import areas`: the demo finds the district and
    /// its communes there.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "reference/admin-units/admin-units-2024.csv"
    )]
    pub units: PathBuf,

    /// The id the list was imported with (`antt import areas --list-id`).
    #[arg(long, value_name = "ID", default_value = "2024")]
    pub list_id: String,

    /// Requests in flight at most.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    /// HTTP/2 connections to spread the requests over.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub connections: u16,

    /// Print the plan (requests per stage) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What a run sent and what the server answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub requests: usize,
    pub recorded: u64,
    pub already_recorded: u64,
    pub stages: Vec<StageOutcome>,
    pub seconds: f64,
}

impl Summary {
    fn to_json(&self) -> serde_json::Value {
        let stages: serde_json::Map<String, serde_json::Value> = self
            .stages
            .iter()
            .map(|stage| {
                (
                    stage.name.to_owned(),
                    serde_json::json!({ "requests": stage.steps, "seconds": round_ms(stage.seconds) }),
                )
            })
            .collect();
        serde_json::json!({
            "demo": "nga-son",
            "requests": self.requests,
            "recorded": self.recorded,
            "already_recorded": self.already_recorded,
            "stages": stages,
            "seconds": round_ms(self.seconds),
        })
    }
}

fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// Runs a demo command; prints its own errors, which name the step that failed.
pub async fn main(server: &str, command: DemoCommand) -> ExitCode {
    let DemoCommand::NgaSon(args) = command;
    let result = if args.dry_run {
        dry_run(&args)
    } else {
        nga_son(server, &args, true).await.map(|summary| {
            println!("{}", summary.to_json());
        })
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("antt: {error:#}");
            ExitCode::from(exit_code(&error))
        }
    }
}

fn plan(args: &NgaSonArgs) -> anyhow::Result<plan::Plan> {
    let units = source::read_units(&args.units).with_context(|| {
        format!(
            "reading the unit list {} (run from the repository root, or give --units)",
            args.units.display()
        )
    })?;
    plan::plan_nga_son(plan::Input {
        units: &units,
        list_id: &args.list_id,
    })
}

fn dry_run(args: &NgaSonArgs) -> anyhow::Result<()> {
    let plan = plan(args)?;
    let stages: serde_json::Map<String, serde_json::Value> = plan
        .stages
        .iter()
        .map(|stage| (stage.name.to_owned(), stage.step_count().into()))
        .collect();
    println!(
        "{}",
        serde_json::json!({ "demo": "nga-son", "dry_run": true, "requests": plan.step_count(), "stages": stages })
    );
    Ok(())
}

/// Records the Nga Sơn history on `server`; `progress` draws a bar on a terminal.
pub async fn nga_son(server: &str, args: &NgaSonArgs, progress: bool) -> anyhow::Result<Summary> {
    let plan = plan(args)?;
    let requests = plan.step_count();
    let started = Instant::now();
    let pool = send::connect(server, usize::from(args.connections)).await?;
    let options = SendOptions {
        concurrency: usize::from(args.concurrency),
        progress,
    };
    let outcome = send::send_plan(&pool, plan, &options).await.map_err(|failed| {
        let areas_missing = failed.status.code() == tonic::Code::FailedPrecondition
            && failed.status.message().contains("not registered");
        let hint = areas_missing.then(|| {
            format!(
                "an area the demo builds on is not registered: import the unit list first \
                 (antt import areas --file {} --list-id {} [--only-under 401])",
                args.units.display(),
                args.list_id
            )
        });
        let error = anyhow::Error::new(failed);
        match hint {
            Some(hint) => error.context(hint),
            None => error,
        }
    })?;
    let summary = Summary {
        requests,
        recorded: outcome.recorded,
        already_recorded: outcome.already_recorded,
        stages: outcome.stages,
        seconds: started.elapsed().as_secs_f64(),
    };
    if progress {
        for stage in &summary.stages {
            eprintln!(
                "antt: {:>9} {:>6} requests in {:.1} s",
                stage.name, stage.steps, stage.seconds
            );
        }
        eprintln!(
            "antt: {} requests in {:.1} s: {} recorded now, {} already recorded",
            summary.requests, summary.seconds, summary.recorded, summary.already_recorded
        );
    }
    Ok(summary)
}

/// 3 when the server is unreachable, 1 when it refused a request, 2 when the command
/// could not run (bad input).
fn exit_code(error: &anyhow::Error) -> u8 {
    if let Some(failed) = error.downcast_ref::<StepFailed>() {
        return send::exit_code_of(&failed.status);
    }
    if error.downcast_ref::<ConnectFailed>().is_some() {
        return 3;
    }
    2
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn demo_flags() {
        let cli = Cli::try_parse_from(["antt", "demo", "nga-son", "--concurrency", "16"]).unwrap();
        let Command::Demo(DemoCommand::NgaSon(args)) = cli.command else {
            panic!("not demo nga-son")
        };
        assert_eq!(args.concurrency, 16);
        assert_eq!(args.list_id, "2024");
        assert!(args.units.ends_with("admin-units-2024.csv"));
        assert!(Cli::try_parse_from(["antt", "demo", "nga-son", "--concurrency", "0"]).is_err());
    }
}
