//! `antt read`: one stream or the whole log, one JSON line per event.

use std::io::Write;

use antt_proto::v1 as pb;

use crate::cli::{event_filter, ReadArgs};
use crate::client::connect;
use crate::error::CliError;
use crate::output::event_line;

pub async fn run(server: &str, args: ReadArgs) -> Result<(), CliError> {
    let mut client = connect(server).await?;
    let max_count = args.max.unwrap_or(0);
    let mut events = match args.stream {
        Some(stream_id) if !args.all => {
            let direction = if args.backwards {
                pb::Direction::Backwards
            } else {
                pb::Direction::Forwards
            };
            client
                .read_stream(pb::ReadStreamRequest {
                    stream_id,
                    from_version: args.from,
                    direction: direction as i32,
                    max_count,
                })
                .await?
                .into_inner()
        }
        _ => client
            .read_all(pb::ReadAllRequest {
                from_position: args.from.unwrap_or(0),
                filter: event_filter(&args.prefix, &args.event_types),
                max_count,
            })
            .await?
            .into_inner(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    while let Some(event) = events.message().await? {
        if !write_line(&mut out, &event_line(&event))? {
            return Ok(());
        }
    }
    flush(&mut out)?;
    Ok(())
}

/// Writes a line; `false` when the reader went away (`antt read ... | head`), which is
/// not an error.
pub fn write_line(out: &mut impl Write, line: &str) -> Result<bool, CliError> {
    match writeln!(out, "{line}") {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(error) => Err(CliError::Output(error)),
    }
}

pub fn flush(out: &mut impl Write) -> Result<bool, CliError> {
    match out.flush() {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(error) => Err(CliError::Output(error)),
    }
}
