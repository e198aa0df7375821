//! `antt admin forget-person`: erases a person's personal data (Decree 13/2023/NĐ-CP)
//! through the `antt.v1.Forces/ForgetPerson` RPC, and prints the outcome as one JSON line.
//!
//! The server destroys the person's key before it records the erasure, so the data is
//! unreadable once this command succeeds, and stays so. Safe to repeat: the request id
//! (printed on failure, or given with `--request-id`) makes a retry return the original
//! result instead of a second erasure.

use std::time::{SystemTime, UNIX_EPOCH};

use antt_domain::Date;
use antt_proto::v1 as pb;
use antt_proto::v1::forces_client::ForcesClient;
use clap::Args;
use uuid::Uuid;

use crate::client;
use crate::dates::parse_date;
use crate::error::CliError;

/// Vietnam's offset from UTC, in seconds: "today" for a clerk is the date in Vietnam.
const VIETNAM_UTC_OFFSET_SECS: i64 = 7 * 3600;
const SECONDS_PER_DAY: i64 = 86_400;

#[derive(Args, Debug)]
pub struct ForgetPersonArgs {
    /// The person's id (UUID), as registered.
    #[arg(value_name = "PERSON_ID")]
    pub person_id: Uuid,

    /// Why, e.g. "Yêu cầu xoá dữ liệu của chủ thể dữ liệu ngày 02/01/2025". Kept in clear
    /// text for ever: write no personal data here.
    #[arg(long)]
    pub reason: String,

    /// Request id; by default a new random one. Give the id of an earlier attempt to
    /// retry it safely.
    #[arg(long, value_name = "UUID")]
    pub request_id: Option<Uuid>,

    /// Date of the erasure request or decision, `YYYY-MM-DD`. Default: today in Vietnam.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub effective: Option<pb::Date>,
}

pub async fn run(server: &str, args: ForgetPersonArgs) -> Result<(), CliError> {
    let request_id = args.request_id.unwrap_or_else(Uuid::new_v4);
    let effective_date = match args.effective {
        Some(date) => date,
        None => today_in_vietnam()?,
    };
    let request = tonic::Request::new(pb::ForgetPersonRequest {
        header: Some(pb::CommandHeader {
            request_id: request_id.to_string(),
            expected_version: None,
            effective_date: Some(effective_date),
            decision: None,
        }),
        person_id: args.person_id.to_string(),
        reason: args.reason,
    });
    let result = send(server, request).await;
    if result.is_err() {
        // The erasure may have happened even if the answer was lost: the same id retries
        // it safely.
        eprintln!("antt: request id {request_id}; to retry safely, run again with --request-id {request_id}");
    }
    let outcome = result?;
    println!("{}", outcome_line(&args.person_id, &request_id, &outcome));
    Ok(())
}

async fn send(server: &str, request: tonic::Request<pb::ForgetPersonRequest>) -> Result<pb::CommandResult, CliError> {
    let channel = client::channel(server).await.map_err(|source| CliError::Connect {
        server: server.to_string(),
        source,
    })?;
    Ok(ForcesClient::new(channel).forget_person(request).await?.into_inner())
}

/// The outcome as one JSON line.
pub fn outcome_line(person_id: &Uuid, request_id: &Uuid, result: &pb::CommandResult) -> String {
    serde_json::json!({
        "person_id": person_id.to_string(),
        "erased": true,
        "stream_id": result.stream_id,
        "stream_version": result.stream_version,
        "position": result.first_position,
        "event_types": result.event_types,
        "request_id": request_id.to_string(),
        "deduplicated": result.deduplicated,
    })
    .to_string()
}

fn today_in_vietnam() -> Result<pb::Date, CliError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| CliError::Input("the system clock is before 1970; give --effective".into()))?;
    let seconds = i64::try_from(now.as_secs())
        .unwrap_or(i64::MAX)
        .saturating_add(VIETNAM_UTC_OFFSET_SECS);
    Ok(Date::from_days_since_unix_epoch(seconds.div_euclid(SECONDS_PER_DAY)).to_proto())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_whole_days() {
        assert_eq!(
            parse_date("2025-01-02"),
            Ok(pb::Date {
                year: 2025,
                month: 1,
                day: 2
            })
        );
        for bad in ["02/01/2025", "2025-02-30", "2025-01-02T00:00:00Z", "", "２０２５-01-02"] {
            assert!(parse_date(bad).is_err(), "{bad:?} should be refused");
        }
        let today = today_in_vietnam().unwrap();
        assert!(today.year >= 2024);
    }

    #[test]
    fn the_outcome_is_a_json_line() {
        let result = pb::CommandResult {
            stream_id: "person-x".into(),
            stream_version: 1,
            first_position: 7,
            last_position: 7,
            event_types: vec!["antt.v1.PersonErased".into()],
            deduplicated: false,
        };
        let line = outcome_line(&Uuid::nil(), &Uuid::nil(), &result);
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["event_types"][0], "antt.v1.PersonErased");
        assert_eq!(parsed["position"], 7);
        assert_eq!(parsed["deduplicated"], false);
    }
}
