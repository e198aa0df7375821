//! `antt tail`: follow a subscription, one JSON line per event, until Ctrl-C. Rides out
//! a server restart by subscribing again from the last position it printed.

use std::time::Duration;

use antt_proto::v1 as pb;
use antt_proto::v1::event_store_client::EventStoreClient;
use tonic::Code;

use crate::cli::{event_filter, TailArgs};
use crate::client::connect;
use crate::error::{describe_status, CliError};
use crate::output::event_line;
use crate::read::{flush, write_line};

const RETRY_DELAY_MIN: Duration = Duration::from_secs(1);
const RETRY_DELAY_MAX: Duration = Duration::from_secs(30);

pub async fn run(server: &str, args: TailArgs) -> Result<(), CliError> {
    let mut client = connect(server).await?;
    let mut next_position = match args.from {
        Some(position) => position,
        None => client.get_head(pb::GetHeadRequest {}).await?.into_inner().next_position,
    };
    let filter = event_filter(&args.prefix, &args.event_types);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut retry_delay = RETRY_DELAY_MIN;
    loop {
        let followed = tokio::select! {
            result = follow(&mut client, &mut next_position, filter.clone(), &mut retry_delay) => result,
            _ = &mut ctrl_c => return Ok(()),
        };
        match followed {
            Ok(Followed::ReaderGone) => return Ok(()),
            Ok(Followed::Ended) => {
                eprintln!("antt: the server ended the subscription; resubscribing from position {next_position}")
            }
            Err(CliError::Status(status)) if is_transient(status.code()) => {
                eprintln!(
                    "antt: {}; resubscribing from position {next_position} in {}s",
                    describe_status(&status),
                    retry_delay.as_secs()
                );
            }
            Err(error) => return Err(error),
        }
        tokio::select! {
            () = tokio::time::sleep(retry_delay) => {}
            _ = &mut ctrl_c => return Ok(()),
        }
        retry_delay = (retry_delay * 2).min(RETRY_DELAY_MAX);
    }
}

enum Followed {
    /// stdout was closed (`antt tail | head`).
    ReaderGone,
    /// The server closed the stream without an error.
    Ended,
}

/// Errors worth riding out: the server restarting or a connection dropping.
fn is_transient(code: Code) -> bool {
    matches!(code, Code::Unavailable | Code::Cancelled | Code::Unknown)
}

async fn follow(
    client: &mut EventStoreClient<crate::client::Conn>,
    next_position: &mut u64,
    filter: Option<pb::EventFilter>,
    retry_delay: &mut Duration,
) -> Result<Followed, CliError> {
    use pb::subscribe_response::Item;
    let mut items = client
        .subscribe(pb::SubscribeRequest {
            from_position: *next_position,
            filter,
        })
        .await?
        .into_inner();
    let mut out = std::io::stdout();
    while let Some(response) = items.message().await? {
        *retry_delay = RETRY_DELAY_MIN;
        match response.item {
            Some(Item::Event(event)) => {
                *next_position = event.position + 1;
                // Flushed per event: a person is watching, or a pipeline is waiting.
                if !write_line(&mut out, &event_line(&event))? || !flush(&mut out)? {
                    return Ok(Followed::ReaderGone);
                }
            }
            Some(Item::Checkpoint(position)) => *next_position = (*next_position).max(position),
            Some(Item::CaughtUp(position)) => {
                *next_position = (*next_position).max(position);
                eprintln!("antt: caught up at position {position}; waiting for new events (Ctrl-C to stop)");
            }
            None => {}
        }
    }
    Ok(Followed::Ended)
}
