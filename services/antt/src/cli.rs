//! The command line: every command, flag and environment variable of `antt`.

use std::path::PathBuf;

use antt_proto::v1 as pb;
use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

use crate::dates::parse_time;

#[derive(Parser, Debug)]
#[command(
    name = "antt",
    version,
    about = "Command-line client of antt-ledger",
    propagate_version = true
)]
pub struct Cli {
    /// Address of anttd.
    #[arg(long, global = true, env = "ANTT_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,

    #[command(flatten)]
    pub credentials: crate::client::CredentialArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Append one event with a JSON payload to a stream. The server records as its actor
    /// who the --token names (`sub@iss`), or "development" on a server without keys.
    Append(AppendArgs),
    /// Read one stream, or the whole log with --all, as JSON lines.
    Read(ReadArgs),
    /// Follow new events as JSON lines until Ctrl-C.
    Tail(TailArgs),
    /// Operator commands that run on the server machine.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Import official administrative areas (GSO code lists) as area events.
    #[command(subcommand)]
    Import(crate::import::ImportCommand),
    /// Record a synthetic history through the public API (idempotent), e.g. Nga Sơn
    /// district's decade 2008–2018 after `antt import areas`.
    #[command(subcommand)]
    Demo(crate::demo::DemoCommand),
    /// Fetch what an inspector keeps: the log's key, signed checkpoints, proven exports.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check, trusting only the keys given: that the log extends a saved checkpoint, or
    /// that an exported bundle is genuine (offline). Exit 0 yes, 1 no, 2 could not tell.
    #[command(subcommand)]
    Verify(VerifyCommand),
    /// Run a witness: cosign a log's checkpoints after checking that each extends the last.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Print an area's report over a range of years: forces, member changes, social
    /// security coverage, incidents and ratings, per year and in total (Markdown or JSON).
    Report(crate::report::ReportArgs),
    /// Write rows for analysis (members, teams, member changes, incidents, ratings, areas)
    /// to a CSV or Parquet file for pandas, DuckDB or Polars. Not `audit export`, which
    /// writes a stream's events with their proofs.
    Export(crate::export::ExportRowsArgs),
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Print the log's verifier key (`<name>+<hash>+<key>`): publish it to inspectors and witnesses.
    PublicKey,
    /// Print the latest signed checkpoint, cosignatures included: save it at the inspection.
    Checkpoint {
        /// Sign one of the committed head now instead of printing the latest.
        #[arg(long)]
        create: bool,
    },
    /// Write a stream's (or an area's) events up to a date, with their proofs and the
    /// checkpoint they are proved in, to a bundle that `antt verify bundle` checks offline.
    Export(ExportArgs),
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The stream to export, e.g. `area-6f1c…` or `team-…`.
    #[arg(long, required_unless_present = "area", conflicts_with = "area")]
    pub stream: Option<String>,
    /// An area, by official code (2 digits province, 3 district, 5 commune) or by id: its
    /// records (teams, incidents, ratings, documents, …) and, unless --only-area, those of
    /// the areas under it and merged into it, as the tree stood on --as-of.
    #[arg(long, requires = "as_of")]
    pub area: Option<String>,
    /// The code list the area code is from (`2024` or `2025`) [default: the code as the
    /// records held it on --as-of].
    #[arg(long, requires = "area")]
    pub list: Option<String>,
    /// With --area: only the area's own records, not those of the areas under it.
    #[arg(long, requires = "area")]
    pub only_area: bool,
    /// Only events effective on or before this date (YYYY-MM-DD); required with --area.
    #[arg(long, value_parser = crate::dates::parse_date)]
    pub as_of: Option<pb::Date>,
    /// The bundle file to write.
    #[arg(long)]
    pub out: PathBuf,
}

impl ExportArgs {
    /// The area export asked for, if --area was given.
    pub fn area_request(&self) -> Option<pb::ExportAreaRequest> {
        use pb::area_selector::Area;
        let area = self.area.as_deref()?;
        let selector = match uuid::Uuid::parse_str(area) {
            Ok(id) => Area::AreaId(id.to_string()),
            Err(_) => Area::Code(area.to_string()),
        };
        Some(pb::ExportAreaRequest {
            area: Some(pb::AreaSelector { area: Some(selector) }),
            code_list: self.list.clone().unwrap_or_default(),
            effective_on_or_before: self.as_of,
            include_subtree: Some(!self.only_area),
        })
    }
}

/// The witnesses whose cosignatures a check counts.
#[derive(Args, Debug)]
pub struct WitnessKeys {
    /// A witness's cosignature verifier key (repeatable).
    #[arg(long)]
    pub witness: Vec<String>,
    /// How many of those witnesses must have cosigned.
    #[arg(long, default_value_t = 0)]
    pub min_cosignatures: usize,
}

#[derive(Subcommand, Debug)]
pub enum VerifyCommand {
    /// Fetch the current checkpoint and a consistency proof from the server and check that
    /// the log extends the checkpoint saved in the file.
    Checkpoint {
        /// The checkpoint saved earlier (`antt audit checkpoint > saved.txt`).
        saved: PathBuf,
        /// The log's verifier key [default: the server's, accepted only if it signed the saved checkpoint].
        #[arg(long, env = "ANTT_LOG_KEY")]
        key: Option<String>,
        #[command(flatten)]
        witnesses: WitnessKeys,
    },
    /// Check an exported bundle fully offline.
    Bundle {
        file: PathBuf,
        /// The log's verifier key.
        #[arg(long, env = "ANTT_LOG_KEY")]
        key: String,
        #[command(flatten)]
        witnesses: WitnessKeys,
    },
}

#[derive(Subcommand, Debug)]
pub enum WitnessCommand {
    /// Serve the C2SP tlog-witness protocol over HTTP until Ctrl-C or SIGTERM.
    Serve(crate::witness::ServeArgs),
}

#[derive(Args, Debug)]
pub struct AppendArgs {
    /// Stream to append to, e.g. `area-38`.
    pub stream: String,

    /// What the stream must look like first: `any`, `no-stream`, `exists`, or the
    /// version of its last event.
    #[arg(long, default_value = "any", value_parser = parse_expected)]
    pub expected: Expected,

    /// Event type, e.g. `antt.v1.MemberAppointed`.
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: String,

    /// The payload as JSON text.
    #[arg(long, value_name = "JSON", required_unless_present = "file", conflicts_with = "file")]
    pub json: Option<String>,

    /// The payload from a JSON file (`-` for stdin).
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// When the fact took effect: `2018-06-12` (midnight UTC) or RFC 3339
    /// (`2018-06-12T09:30:00+07:00`). Default: when the server records it.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub effective: Option<prost_types::Timestamp>,

    /// Event id; by default a new random one. Give the same id to retry safely.
    #[arg(long)]
    pub id: Option<Uuid>,

    /// Version of the payload schema.
    #[arg(long, default_value_t = 1)]
    pub schema_version: u32,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["stream", "all"]))]
pub struct ReadArgs {
    /// Stream to read.
    pub stream: Option<String>,

    /// Read the whole log instead of one stream.
    #[arg(long, conflicts_with = "stream")]
    pub all: bool,

    /// First version (one stream) or position (--all) to read.
    #[arg(long, value_name = "N")]
    pub from: Option<u64>,

    /// Read the stream from its last event back to its first.
    #[arg(long, conflicts_with = "all")]
    pub backwards: bool,

    /// At most this many events (default: all).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max: Option<u64>,

    /// With --all: only streams whose id starts with this (repeatable).
    #[arg(long, value_name = "X", conflicts_with = "stream")]
    pub prefix: Vec<String>,

    /// With --all: only events of this type (repeatable).
    #[arg(long = "type", value_name = "TYPE", conflicts_with = "stream")]
    pub event_types: Vec<String>,
}

#[derive(Args, Debug)]
pub struct TailArgs {
    /// First position to deliver; by default only events appended from now on.
    #[arg(long, value_name = "P")]
    pub from: Option<u64>,

    /// Only streams whose id starts with this (repeatable).
    #[arg(long, value_name = "X")]
    pub prefix: Vec<String>,

    /// Only events of this type (repeatable).
    #[arg(long = "type", value_name = "TYPE")]
    pub event_types: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Check a stopped server's data directory without changing it: every record, the
    /// whole hash chain, the Merkle tree and the head anchor.
    Verify {
        /// The data directory (anttd's --data-dir). Stop anttd first: the store is locked.
        #[arg(long, env = "ANTT_DATA_DIR", default_value = "./data")]
        data: PathBuf,
        /// A checkpoint saved earlier (repeatable): the store's tree at its size must have
        /// its root, or the history it committed to was changed.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
    },
    /// Keep the verified prefix of a damaged store (or adopt a store written before
    /// anchoring), dropping every event from the first bad position on, and record the
    /// decision in the log. Only when no backup can be restored: acknowledged history is lost.
    Recover {
        /// The data directory (anttd's --data-dir). Stop anttd first.
        #[arg(long, env = "ANTT_DATA_DIR", default_value = "./data")]
        data: PathBuf,
        /// Why, and on whose decision: recorded in the log with the figures.
        #[arg(long)]
        reason: String,
        /// Who decides (recorded as the event's actor).
        #[arg(long, env = "USER", default_value = "operator")]
        operator: String,
    },
    /// Erase a person's personal data for good (Decree 13/2023/NĐ-CP), over gRPC.
    ForgetPerson(crate::forget::ForgetPersonArgs),
    /// Build a stopped server's projections again from its whole log, in a new
    /// generation that replaces the old one; prints the new store's digest.
    Rebuild {
        /// The data directory (anttd's --data-dir). Stop anttd first: the store is locked.
        #[arg(long, env = "ANTT_DATA_DIR", default_value = "./data")]
        data: PathBuf,
    },
    /// Back up the log's events 0..P over gRPC while the server runs and takes writes:
    /// one file with a manifest (position, head hash, Merkle root, the signed checkpoint).
    Backup(crate::backup::online::BackupArgs),
    /// Restore a log backup into a new data directory, verified in full (chain, Merkle
    /// root, signed checkpoint) before it is moved into place. Start anttd on it after.
    Restore(crate::backup::restore::RestoreArgs),
    /// Back up the personal-data key store (apart from the log's backups: together they
    /// are the personal data again). Safe while the server runs.
    BackupKeys(crate::backup::keys::BackupKeysArgs),
    /// Restore a key backup into a new key directory and destroy again every key whose
    /// erasure the log recorded (from --data, or the server at --server).
    RestoreKeys(crate::backup::keys::RestoreKeysArgs),
    /// Ask a running server's gRPC health service; prints SERVING or NOT_SERVING and exits
    /// 0 only when serving (1 not serving, 3 unreachable). For container health checks.
    Health {
        /// The service to ask about: "" (the default) for the whole server, or e.g.
        /// `antt.v1.EventStore`, `antt.v1.Projections`.
        #[arg(long, default_value = "")]
        service: String,
    },
    /// How far a running server's projections have read its log (lag, rebuild progress).
    Status {
        /// Start a rebuild beside the serving projections (they keep answering).
        #[arg(long)]
        rebuild: bool,
    },
}

/// `--expected`, as typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    Any,
    NoStream,
    Exists,
    Exact(u64),
}

/// Parses `any`, `no-stream`, `exists` or a version number.
pub fn parse_expected(text: &str) -> Result<Expected, String> {
    match text {
        "any" => Ok(Expected::Any),
        "no-stream" => Ok(Expected::NoStream),
        "exists" => Ok(Expected::Exists),
        number => number.parse().map(Expected::Exact).map_err(|_| {
            format!("{number:?} is not an expected version; use any, no-stream, exists or a version number such as 3")
        }),
    }
}

impl Expected {
    pub fn to_proto(self) -> pb::ExpectedVersion {
        use pb::expected_version::Kind;
        let kind = match self {
            Expected::Any => Kind::Any(pb::Empty {}),
            Expected::NoStream => Kind::NoStream(pb::Empty {}),
            Expected::Exists => Kind::StreamExists(pb::Empty {}),
            Expected::Exact(version) => Kind::Exact(version),
        };
        pb::ExpectedVersion { kind: Some(kind) }
    }
}

/// The filter of `read --all` and `tail`.
pub fn event_filter(prefixes: &[String], event_types: &[String]) -> Option<pb::EventFilter> {
    if prefixes.is_empty() && event_types.is_empty() {
        return None;
    }
    Some(pb::EventFilter {
        stream_id_prefixes: prefixes.to_vec(),
        event_types: event_types.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("antt").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn expected_versions() {
        assert_eq!(parse_expected("any"), Ok(Expected::Any));
        assert_eq!(parse_expected("no-stream"), Ok(Expected::NoStream));
        assert_eq!(parse_expected("exists"), Ok(Expected::Exists));
        assert_eq!(parse_expected("12"), Ok(Expected::Exact(12)));
        assert!(parse_expected("-1").is_err());
        assert!(parse_expected("latest").unwrap_err().contains("no-stream"));
    }

    #[test]
    fn append_takes_json_or_a_file_not_both() {
        let cli = parse(&[
            "append",
            "area-38",
            "--type",
            "antt.v1.X",
            "--json",
            "{}",
            "--expected",
            "3",
            "--effective",
            "2018-06-12",
        ])
        .unwrap();
        let Command::Append(args) = cli.command else {
            panic!("not append")
        };
        assert_eq!(args.expected, Expected::Exact(3));
        assert_eq!(args.effective.unwrap().seconds, 1_528_761_600);
        assert!(parse(&["append", "s", "--type", "t"]).is_err(), "a payload is required");
        assert!(parse(&["append", "s", "--type", "t", "--json", "{}", "--file", "x.json"]).is_err());
        assert!(parse(&[
            "append",
            "s",
            "--type",
            "t",
            "--json",
            "{}",
            "--effective",
            "12/06/2018"
        ])
        .is_err());
        assert!(parse(&["append", "s", "--type", "t", "--json", "{}", "--id", "nope"]).is_err());
    }

    #[test]
    fn read_takes_a_stream_or_all() {
        assert!(parse(&["read"]).is_err());
        assert!(parse(&["read", "s", "--all"]).is_err());
        assert!(parse(&["read", "s", "--prefix", "x"]).is_err(), "--prefix needs --all");
        assert!(parse(&["read", "--all", "--backwards"]).is_err());
        let cli = parse(&[
            "read", "--all", "--from", "5", "--prefix", "area-", "--type", "a", "--type", "b",
        ])
        .unwrap();
        let Command::Read(args) = cli.command else {
            panic!("not read")
        };
        assert_eq!(args.from, Some(5));
        assert_eq!(args.event_types, vec!["a", "b"]);
    }

    #[test]
    fn the_server_flag_works_after_the_command() {
        let cli = parse(&["tail", "--server", "http://10.0.0.1:50051"]).unwrap();
        assert_eq!(cli.server, "http://10.0.0.1:50051");
    }
}
