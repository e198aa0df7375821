//! `antt import`: official administrative areas as area events.
//!
//! # Layout
//! - [`source`]: reading the unit lists and conversion tables of `reference/admin-units/`.
//! - [`identity`]: deterministic area and request ids (UUID v5), so re-runs are idempotent.
//! - [`plan`]: pure: rows in, an ordered list of `antt.v1.Areas` requests out.
//! - [`send`]: the requests to anttd, concurrently within a stage, with retries.
//!
//! `antt import areas` registers a code list (e.g. the 2024 three-level structure);
//! `antt import reform-2025` then records the 2025-07-01 reform against it.

pub mod identity;
pub mod plan;
pub mod send;
pub mod source;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use antt_proto::v1 as pb;
use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};

use crate::dates::parse_date;
use crate::import::plan::{AreasOptions, Note, Plan, ReformInput, ReformOptions};
use crate::import::send::{ConnectFailed, SendOptions, StepFailed};

/// Where the official lists live in the repository.
const REFERENCE_DIR: &str = "reference/admin-units";

/// Default `--valid-from` of `import areas`: 2004-07-08, the date of Decision
/// 124/2004/QĐ-TTg, which issued the GSO code list these codes belong to. The lists give
/// no founding date per unit, so one date stands for all; it must come before any
/// history recorded against the units (the sources start in 2008), and before 2004 the
/// codes that make up area ids did not exist.
const VALID_FROM_DEFAULT: &str = "2004-07-08";

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Register every unit of an official code list as an area (parents first).
    Areas(AreasArgs),
    /// Record the 2025-07-01 reform (districts abolished, provinces and communes merged)
    /// against the areas of the 2024 list.
    #[command(name = "reform-2025")]
    Reform2025(ReformArgs),
}

#[derive(Args, Debug)]
pub struct AreasArgs {
    /// The unit list (`code,name,level,division_type,parent_code`).
    #[arg(long, value_name = "PATH")]
    pub file: PathBuf,

    /// The list's id, part of every area id (`gso-<id>:<level>:<code>`). Default: the
    /// year in the file name, e.g. 2024 for admin-units-2024.csv.
    #[arg(long, value_name = "ID", value_parser = parse_list_id)]
    pub list_id: Option<String>,

    /// From when the units are recorded as existing (YYYY-MM-DD). The default is the
    /// date of the GSO code list (Decision 124/2004/QĐ-TTg), before any recorded history.
    #[arg(long, value_name = "DATE", default_value = VALID_FROM_DEFAULT, value_parser = parse_date)]
    pub valid_from: pb::Date,

    /// Only this unit (by code), its ancestors and its descendants, e.g. 401 for Nga Sơn.
    #[arg(long, value_name = "CODE")]
    pub only_under: Option<String>,

    #[command(flatten)]
    pub send: SendArgs,
}

#[derive(Args, Debug)]
pub struct ReformArgs {
    /// The list in force until 2025-06-30, as imported with `import areas`.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "reference/admin-units/admin-units-2024.csv"
    )]
    pub old: PathBuf,

    /// The list in force from 2025-07-01.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "reference/admin-units/admin-units-2025.csv"
    )]
    pub new: PathBuf,

    /// Old province → new province.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "reference/admin-units/provinces-2025-conversion.csv"
    )]
    pub provinces: PathBuf,

    /// Old commune → new commune(s), `whole` or `partly`.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "reference/admin-units/communes-2025-conversion.csv"
    )]
    pub communes: PathBuf,

    /// The id the old list was imported with. Default: the year in its file name.
    #[arg(long, value_name = "ID", value_parser = parse_list_id)]
    pub old_list_id: Option<String>,

    /// The id of the new list, for the areas the reform registers. Default: the year in
    /// its file name.
    #[arg(long, value_name = "ID", value_parser = parse_list_id)]
    pub new_list_id: Option<String>,

    /// Only this old unit's subtree and what it became, e.g. 401 for Nga Sơn.
    #[arg(long, value_name = "CODE")]
    pub only_under: Option<String>,

    #[command(flatten)]
    pub send: SendArgs,
}

#[derive(Args, Debug)]
pub struct SendArgs {
    /// Requests in flight at most.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    /// Print the plan (requests per stage and notes) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs an import command; prints its own errors, since they carry more than `CliError`
/// does (which unit failed, and why).
pub async fn main(server: &str, command: ImportCommand) -> ExitCode {
    let result = match command {
        ImportCommand::Areas(args) => run_areas(server, args).await,
        ImportCommand::Reform2025(args) => run_reform(server, args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("antt: {error:#}");
            ExitCode::from(exit_code(&error))
        }
    }
}

/// `antt import areas`: registers the units of a list (prints one JSON summary line).
pub async fn run_areas(server: &str, args: AreasArgs) -> anyhow::Result<()> {
    let list_id = list_id_or_year(args.list_id, &args.file, "--list-id")?;
    let units = source::read_units(&args.file)?;
    let plan = plan::plan_areas(
        &units,
        &AreasOptions {
            list_id: &list_id,
            valid_from: args.valid_from,
            only_under: args.only_under.as_deref(),
        },
    )?;
    execute(server, "areas", &list_id, &plan, &args.send).await
}

async fn run_reform(server: &str, args: ReformArgs) -> anyhow::Result<()> {
    let old_list_id = list_id_or_year(args.old_list_id, &args.old, "--old-list-id")?;
    let new_list_id = list_id_or_year(args.new_list_id, &args.new, "--new-list-id")?;
    if old_list_id == new_list_id {
        bail!("the old and the new list have the same id {old_list_id:?}: their areas would be confused");
    }
    let old_units = source::read_units(&args.old).with_context(|| reference_hint(&args.old))?;
    let new_units = source::read_units(&args.new).with_context(|| reference_hint(&args.new))?;
    let provinces = source::read_provinces(&args.provinces).with_context(|| reference_hint(&args.provinces))?;
    let communes = source::read_communes(&args.communes).with_context(|| reference_hint(&args.communes))?;
    let plan = plan::plan_reform(
        ReformInput {
            old_units: &old_units,
            new_units: &new_units,
            provinces: &provinces,
            communes: &communes,
        },
        &ReformOptions {
            old_list_id: &old_list_id,
            new_list_id: &new_list_id,
            only_under: args.only_under.as_deref(),
        },
    )?;
    let result = execute(server, "reform-2025", &new_list_id, &plan, &args.send).await;
    result.map_err(|error| {
        let old_areas_missing = error.downcast_ref::<StepFailed>().is_some_and(|failed| {
            failed.status.code() == tonic::Code::FailedPrecondition
                && failed.status.message().contains("not registered")
        });
        if old_areas_missing {
            error.context(format!(
                "an area the reform builds on is not registered: import the old list first \
                 (antt import areas --file {} --list-id {old_list_id}, with the same --only-under)",
                args.old.display()
            ))
        } else {
            error
        }
    })
}

/// Prints the plan's notes, sends it (unless a dry run) and prints one JSON summary line.
async fn execute(server: &str, import: &str, list_id: &str, plan: &Plan, args: &SendArgs) -> anyhow::Result<()> {
    print_notes(&plan.notes);
    let stages: serde_json::Map<String, serde_json::Value> = plan
        .stages
        .iter()
        .map(|stage| (stage.name.to_owned(), stage.steps.len().into()))
        .collect();
    if args.dry_run {
        let summary = serde_json::json!({
            "import": import,
            "list_id": list_id,
            "dry_run": true,
            "requests": plan.step_count(),
            "stages": stages,
        });
        println!("{summary}");
        return Ok(());
    }
    let started = Instant::now();
    let client = send::connect(server).await?;
    let outcome = send::send_plan(
        client,
        plan,
        &SendOptions {
            concurrency: usize::from(args.concurrency),
        },
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "antt: {} requests in {seconds:.1} s: {} recorded now, {} already recorded",
        plan.step_count(),
        outcome.recorded,
        outcome.already_recorded
    );
    let summary = serde_json::json!({
        "import": import,
        "list_id": list_id,
        "requests": plan.step_count(),
        "recorded": outcome.recorded,
        "already_recorded": outcome.already_recorded,
        "stages": stages,
        "seconds": (seconds * 1000.0).round() / 1000.0,
    });
    println!("{summary}");
    Ok(())
}

/// Notes grouped by kind: one line saying what was done, then a few examples.
fn print_notes(notes: &[Note]) {
    const EXAMPLES_MAX: usize = 5;
    let mut by_kind: BTreeMap<_, Vec<&str>> = BTreeMap::new();
    for note in notes {
        by_kind.entry(note.kind).or_default().push(&note.detail);
    }
    for (kind, details) in by_kind {
        eprintln!("note: {} {}", details.len(), kind.explanation());
        let shown: Vec<&str> = details.iter().take(EXAMPLES_MAX).copied().collect();
        let more = details.len().saturating_sub(EXAMPLES_MAX);
        let tail = if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        };
        eprintln!("      {}{tail}", shown.join("; "));
    }
}

/// 3 when the server is unreachable, 1 when it refused a request, 2 when the command
/// could not run (bad input), as for the other commands.
fn exit_code(error: &anyhow::Error) -> u8 {
    if let Some(failed) = error.downcast_ref::<StepFailed>() {
        return send::exit_code_of(&failed.status);
    }
    if error.downcast_ref::<ConnectFailed>().is_some() {
        return 3;
    }
    2
}

/// The given list id, or the year in the file's name.
fn list_id_or_year(given: Option<String>, file: &Path, flag: &str) -> anyhow::Result<String> {
    if let Some(id) = given {
        return Ok(id);
    }
    let stem = file.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
    year_in(stem).map(str::to_owned).with_context(|| {
        format!(
            "no year in the file name {}: give the list's id with {flag}",
            file.display()
        )
    })
}

/// The last run of exactly four digits in `text`.
fn year_in(text: &str) -> Option<&str> {
    text.split(|c: char| !c.is_ascii_digit()).rfind(|run| run.len() == 4)
}

fn reference_hint(path: &Path) -> String {
    if path.starts_with(REFERENCE_DIR) && !path.exists() {
        format!("the default files are under {REFERENCE_DIR}/: run from the repository root or give the paths")
    } else {
        format!("reading {}", path.display())
    }
}

/// A list id: short, of letters, digits, `-`, `_` and `.`, since it is part of the names
/// hashed into area ids (`gso-<id>:<level>:<code>`).
fn parse_list_id(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= 32
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(format!(
            "{text:?} is not a list id; use up to 32 letters, digits, `-`, `_` or `.`, e.g. 2024"
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("antt").chain(args.iter().copied()))
    }

    #[test]
    fn import_areas_flags() {
        let cli = parse(&[
            "import",
            "areas",
            "--file",
            "reference/admin-units/admin-units-2024.csv",
            "--valid-from",
            "2008-01-01",
            "--only-under",
            "401",
        ])
        .unwrap();
        let Command::Import(ImportCommand::Areas(args)) = cli.command else {
            panic!("not import areas")
        };
        assert_eq!(
            args.valid_from,
            pb::Date {
                year: 2008,
                month: 1,
                day: 1
            }
        );
        assert_eq!(args.send.concurrency, 32);
        assert_eq!(args.only_under.as_deref(), Some("401"));
        assert!(parse(&["import", "areas", "--file", "x.csv", "--valid-from", "2008-02-30"]).is_err());
        assert!(parse(&["import", "areas", "--file", "x.csv", "--list-id", "a:b"]).is_err());
        assert!(parse(&["import", "areas", "--file", "x.csv", "--concurrency", "0"]).is_err());
    }

    #[test]
    fn the_default_valid_from_parses() {
        assert_eq!(
            parse_date(VALID_FROM_DEFAULT).unwrap(),
            pb::Date {
                year: 2004,
                month: 7,
                day: 8
            }
        );
        assert!(parse_date("2004-7-8").is_err());
    }

    #[test]
    fn reform_defaults_point_at_the_reference_files() {
        let cli = parse(&["import", "reform-2025"]).unwrap();
        let Command::Import(ImportCommand::Reform2025(args)) = cli.command else {
            panic!("not import reform-2025")
        };
        assert!(args.old.starts_with(REFERENCE_DIR));
        assert!(args.communes.ends_with("communes-2025-conversion.csv"));
    }

    #[test]
    fn list_ids_come_from_file_names() {
        let id = |name: &str| list_id_or_year(None, Path::new(name), "--list-id");
        assert_eq!(id("reference/admin-units/admin-units-2024.csv").unwrap(), "2024");
        assert_eq!(id("units-2025-v2.csv").unwrap(), "2025");
        assert!(id("units.csv").unwrap_err().to_string().contains("--list-id"));
        assert_eq!(
            list_id_or_year(Some("x".into()), Path::new("units-2024.csv"), "--list-id").unwrap(),
            "x"
        );
    }
}
