//! `antt export <query>`: the rows of the Analytics service's `ExportRows` as a CSV or
//! Parquet file that pandas, DuckDB and Polars read directly, with the stable column
//! names of `columns.rs` (listed in README.md, "Analytics export").
//!
//! Not `antt audit export`, which writes a stream's events with their proofs for an
//! inspector to verify; this writes derived rows for analysis, and proves nothing.
//!
//! The file is written beside its name and renamed into place once complete, so a
//! failed export never leaves a file that looks whole.

mod columns;
mod csv;
mod parquet;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use antt_domain::Date;
use antt_proto::v1 as pb;
use antt_proto::v1::analytics_client::AnalyticsClient;
use clap::{Args, ValueEnum};
use tonic::Streaming;

pub use columns::{Field, Get, AREAS, INCIDENTS, MEMBERS, MEMBER_CHANGES, RATINGS, TEAMS};

use crate::client;
use crate::error::CliError;
use crate::report::AreaArg;

/// Largest chunk accepted from the server (it sends a few hundred rows per chunk).
const CHUNK_BYTES_MAX: usize = 64 * 1024 * 1024;

/// What to export: one row per …
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Query {
    /// … active member of each team in the area and under it, on --as-of.
    Members,
    /// … team standing on --as-of.
    Teams,
    /// … term begun or ended in the period (--from, --to).
    MemberChanges,
    /// … incident reported in the period (--from, --to).
    Incidents,
    /// … rating of a unit and year (--from-year, --to-year).
    Ratings,
    /// … area: the area and every area under it on --as-of.
    Areas,
}

impl Query {
    fn to_proto(self) -> pb::ExportQuery {
        match self {
            Query::Members => pb::ExportQuery::Members,
            Query::Teams => pb::ExportQuery::Teams,
            Query::MemberChanges => pb::ExportQuery::MemberChanges,
            Query::Incidents => pb::ExportQuery::Incidents,
            Query::Ratings => pb::ExportQuery::Ratings,
            Query::Areas => pb::ExportQuery::Areas,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Parquet,
}

#[derive(Args, Debug, Clone)]
pub struct ExportRowsArgs {
    /// What to export.
    #[arg(value_enum)]
    pub query: Query,
    /// The area's official code on the day read (e.g. 38 for Thanh Hóa).
    #[arg(
        long,
        value_name = "CODE",
        required_unless_present = "area_id",
        conflicts_with = "area_id"
    )]
    pub area: Option<String>,
    /// The area's id instead of its code.
    #[arg(long, value_name = "ID")]
    pub area_id: Option<String>,
    /// The day the rows are read as of (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = crate::dates::parse_date)]
    pub as_of: pb::Date,
    /// Use the records as they stood at this moment (YYYY-MM-DD or RFC 3339) [default: now].
    #[arg(long, value_name = "TIME", value_parser = crate::dates::parse_time)]
    pub known_at: Option<prost_types::Timestamp>,
    /// member-changes, incidents: the period's first day [default: 1 January of --as-of's year].
    #[arg(long, value_name = "DATE", value_parser = crate::dates::parse_date, requires = "to")]
    pub from: Option<pb::Date>,
    /// member-changes, incidents: the period's last day [default: --as-of].
    #[arg(long, value_name = "DATE", value_parser = crate::dates::parse_date, requires = "from")]
    pub to: Option<pb::Date>,
    /// ratings: the first year [default: the year of --as-of].
    #[arg(long, value_name = "YEAR", requires = "to_year")]
    pub from_year: Option<i32>,
    /// ratings: the last year.
    #[arg(long, value_name = "YEAR", requires = "from_year")]
    pub to_year: Option<i32>,
    /// The file's format [default: by the extension of --out, .csv or .parquet].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// The file to write; replaced only once the export is complete.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// An export as asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportRequest {
    pub query: Query,
    pub area: AreaArg,
    pub as_of: Date,
    pub known_at: Option<prost_types::Timestamp>,
    /// For member changes and incidents.
    pub period: Option<(Date, Date)>,
    /// For ratings.
    pub years: Option<(i32, i32)>,
}

impl ExportRequest {
    fn to_proto(&self) -> pb::ExportRowsRequest {
        let area = match &self.area {
            AreaArg::Code(code) => pb::area_selector::Area::Code(code.clone()),
            AreaArg::Id(id) => pb::area_selector::Area::AreaId(id.clone()),
        };
        let (from_year, to_year) = self.years.unwrap_or((0, 0));
        pb::ExportRowsRequest {
            axes: Some(pb::TimeAxes {
                as_of: Some(self.as_of.to_proto()),
                known_at: self.known_at,
                min_position: 0,
            }),
            area: Some(pb::AreaSelector { area: Some(area) }),
            query: self.query.to_proto().into(),
            period: self.period.map(|(from, to)| pb::Period {
                from: Some(from.to_proto()),
                to: Some(to.to_proto()),
            }),
            from_year,
            to_year,
        }
    }
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    pub rows: u64,
    /// The axes the server read the rows on.
    pub answered: Option<pb::AnswerAxes>,
}

fn date(flag: &str, date: &pb::Date) -> Result<Date, CliError> {
    Date::try_from(date).map_err(|error| CliError::Input(format!("{flag}: {error}")))
}

impl ExportRowsArgs {
    /// The request, refusing flags that the query would not use rather than ignoring them.
    pub fn request(&self) -> Result<ExportRequest, CliError> {
        let area = match (&self.area, &self.area_id) {
            (_, Some(id)) => AreaArg::Id(id.clone()),
            (Some(code), None) => AreaArg::Code(code.clone()),
            (None, None) => return Err(CliError::Input("name the area with --area CODE or --area-id ID".into())),
        };
        let with_period = matches!(self.query, Query::MemberChanges | Query::Incidents);
        if self.from.is_some() && !with_period {
            return Err(CliError::Input(
                "--from and --to are for member-changes and incidents".into(),
            ));
        }
        if self.from_year.is_some() && self.query != Query::Ratings {
            return Err(CliError::Input("--from-year and --to-year are for ratings".into()));
        }
        let period = match (&self.from, &self.to) {
            (Some(from), Some(to)) => Some((date("--from", from)?, date("--to", to)?)),
            _ => None,
        };
        Ok(ExportRequest {
            query: self.query,
            area,
            as_of: date("--as-of", &self.as_of)?,
            known_at: self.known_at,
            period,
            years: self.from_year.zip(self.to_year),
        })
    }

    /// `--format`, or the one `--out`'s extension names.
    pub fn format(&self) -> Result<Format, CliError> {
        if let Some(format) = self.format {
            return Ok(format);
        }
        match self.out.extension().and_then(|extension| extension.to_str()) {
            Some(extension) if extension.eq_ignore_ascii_case("csv") => Ok(Format::Csv),
            Some(extension) if extension.eq_ignore_ascii_case("parquet") => Ok(Format::Parquet),
            _ => Err(CliError::Input(format!(
                "--out {}: say --format csv or --format parquet (or name the file .csv or .parquet)",
                self.out.display()
            ))),
        }
    }
}

/// `antt export <query>`: exports and says what was written on standard error.
pub async fn run(server: &str, args: ExportRowsArgs) -> Result<(), CliError> {
    let request = args.request()?;
    let format = args.format()?;
    let channel = client::connected(server).await?;
    let exported = export(channel, &request, format, &args.out).await?;
    let axes = exported.answered.unwrap_or_default();
    eprintln!(
        "antt: {} rows written to {} (as of {}, records up to log position {})",
        exported.rows,
        args.out.display(),
        axes.as_of
            .as_ref()
            .and_then(|date| Date::try_from(date).ok())
            .map_or_else(String::new, |date| date.to_string()),
        axes.known_position
    );
    Ok(())
}

/// Streams the rows `request` names from the server at `channel` into `out`.
pub async fn export(
    channel: crate::client::Conn,
    request: &ExportRequest,
    format: Format,
    out: &Path,
) -> Result<Exported, CliError> {
    let mut client = AnalyticsClient::new(channel).max_decoding_message_size(CHUNK_BYTES_MAX);
    let mut stream = client.export_rows(request.to_proto()).await?.into_inner();
    let file = Partial::create(out)?;
    let exported = match request.query {
        Query::Members => copy(MEMBERS, |chunk| chunk.members, &mut stream, format, file).await?,
        Query::Teams => copy(TEAMS, |chunk| chunk.teams, &mut stream, format, file).await?,
        Query::MemberChanges => copy(MEMBER_CHANGES, |chunk| chunk.member_changes, &mut stream, format, file).await?,
        Query::Incidents => copy(INCIDENTS, |chunk| chunk.incidents, &mut stream, format, file).await?,
        Query::Ratings => copy(RATINGS, |chunk| chunk.ratings, &mut stream, format, file).await?,
        Query::Areas => copy(AREAS, |chunk| chunk.areas, &mut stream, format, file).await?,
    };
    Ok(exported)
}

/// Writes every chunk's rows (taken from the chunk by `take`) with `fields`.
async fn copy<R>(
    fields: &[Field<R>],
    take: fn(pb::ExportRowsChunk) -> Vec<R>,
    stream: &mut Streaming<pb::ExportRowsChunk>,
    format: Format,
    file: Partial,
) -> Result<Exported, CliError> {
    let out = BufWriter::new(file.file.try_clone().map_err(CliError::Output)?);
    let mut sink = Sink::new(format, out, fields)?;
    let mut exported = Exported {
        rows: 0,
        answered: None,
    };
    while let Some(mut chunk) = stream.message().await? {
        if exported.answered.is_none() {
            exported.answered = chunk.answered.take();
        }
        let rows = take(chunk);
        sink.write(fields, &rows)?;
        exported.rows += rows.len() as u64;
    }
    sink.finish()?;
    file.commit()?;
    Ok(exported)
}

/// A CSV or a Parquet writer (boxed: the Arrow writer is several hundred bytes).
enum Sink {
    Csv(csv::CsvSink<BufWriter<File>>),
    Parquet(Box<parquet::ParquetSink<BufWriter<File>>>),
}

fn output(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> CliError {
    CliError::Output(std::io::Error::other(error))
}

impl Sink {
    fn new<R>(format: Format, out: BufWriter<File>, fields: &[Field<R>]) -> Result<Sink, CliError> {
        Ok(match format {
            Format::Csv => Sink::Csv(csv::CsvSink::new(out, fields).map_err(CliError::Output)?),
            Format::Parquet => Sink::Parquet(Box::new(parquet::ParquetSink::new(out, fields).map_err(output)?)),
        })
    }

    fn write<R>(&mut self, fields: &[Field<R>], rows: &[R]) -> Result<(), CliError> {
        match self {
            Sink::Csv(sink) => sink.write(fields, rows).map_err(CliError::Output),
            Sink::Parquet(sink) => sink.write(fields, rows).map_err(output),
        }
    }

    fn finish(self) -> Result<(), CliError> {
        let out = match self {
            Sink::Csv(sink) => sink.finish().map_err(CliError::Output)?,
            Sink::Parquet(sink) => (*sink).finish().map_err(output)?,
        };
        let file = out.into_inner().map_err(|error| CliError::Output(error.into_error()))?;
        file.sync_all().map_err(CliError::Output)
    }
}

/// The output file while it is written: `<name>.partial` beside it, renamed to its name
/// by [`Partial::commit`] and removed if dropped before.
struct Partial {
    file: File,
    partial: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Partial {
    fn create(target: &Path) -> Result<Partial, CliError> {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let partial = target.with_file_name(name);
        let file = File::create(&partial).map_err(|source| {
            CliError::Output(std::io::Error::new(
                source.kind(),
                format!("{}: {source}", partial.display()),
            ))
        })?;
        Ok(Partial {
            file,
            partial,
            target: target.to_owned(),
            committed: false,
        })
    }

    fn commit(mut self) -> Result<(), CliError> {
        std::fs::rename(&self.partial, &self.target).map_err(CliError::Output)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: what is left of a failed export is only in the way.
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        args: ExportRowsArgs,
    }

    fn parse(args: &[&str]) -> Result<ExportRowsArgs, clap::Error> {
        Command::try_parse_from(std::iter::once("export").chain(args.iter().copied())).map(|command| command.args)
    }

    #[test]
    fn the_format_comes_from_the_flag_or_the_file_name() {
        let args = parse(&["members", "--area", "38", "--as-of", "2021-06-30", "--out", "m.parquet"]).unwrap();
        assert_eq!(args.format().unwrap(), Format::Parquet);
        let args = parse(&["teams", "--area", "38", "--as-of", "2021-06-30", "--out", "t.CSV"]).unwrap();
        assert_eq!(args.format().unwrap(), Format::Csv);
        let args = parse(&["teams", "--area", "38", "--as-of", "2021-06-30", "--out", "t.txt"]).unwrap();
        assert!(matches!(args.format(), Err(CliError::Input(_))));
        let args = parse(&[
            "areas",
            "--area",
            "38",
            "--as-of",
            "2021-06-30",
            "--out",
            "t.txt",
            "--format",
            "csv",
        ])
        .unwrap();
        assert_eq!(args.format().unwrap(), Format::Csv);
    }

    #[test]
    fn flags_a_query_would_not_use_are_refused() {
        let args = parse(&[
            "incidents",
            "--area-id",
            "a",
            "--as-of",
            "2021-06-30",
            "--from",
            "2020-01-01",
            "--to",
            "2020-12-31",
            "--out",
            "i.csv",
        ])
        .unwrap();
        let request = args.request().unwrap();
        assert_eq!(request.area, AreaArg::Id("a".into()));
        let first = Date::new(2020, 1, 1).unwrap();
        assert_eq!(request.period, Some((first, Date::new(2020, 12, 31).unwrap())));
        let proto = request.to_proto();
        assert_eq!(proto.query, pb::ExportQuery::Incidents as i32);
        assert_eq!(proto.period.unwrap().from, Some(first.to_proto()));

        let members = parse(&[
            "members",
            "--area",
            "38",
            "--as-of",
            "2021-06-30",
            "--from",
            "2020-01-01",
            "--to",
            "2020-12-31",
            "--out",
            "m.csv",
        ])
        .unwrap();
        assert!(matches!(members.request(), Err(CliError::Input(_))));
        let teams = parse(&[
            "teams",
            "--area",
            "38",
            "--as-of",
            "2021-06-30",
            "--from-year",
            "2019",
            "--to-year",
            "2020",
            "--out",
            "t.csv",
        ])
        .unwrap();
        assert!(matches!(teams.request(), Err(CliError::Input(_))));
        assert!(parse(&[
            "ratings",
            "--area",
            "38",
            "--as-of",
            "2021-06-30",
            "--from-year",
            "2019",
            "--out",
            "r.csv"
        ])
        .is_err());
        assert!(
            parse(&["ratings", "--area", "38", "--out", "r.csv"]).is_err(),
            "--as-of is required"
        );
    }

    #[test]
    fn a_failed_export_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("members.csv");
        let partial = Partial::create(&target).unwrap();
        assert!(dir.path().join("members.csv.partial").exists());
        drop(partial);
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
        Partial::create(&target).unwrap().commit().unwrap();
        assert!(target.exists());
    }
}
