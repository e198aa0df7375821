//! `antt append`: one event with a JSON payload.

use std::io::Read;
use std::path::Path;

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::cli::AppendArgs;
use crate::client::connect;
use crate::dates::format_time;
use crate::error::CliError;

pub async fn run(server: &str, args: AppendArgs) -> Result<(), CliError> {
    let payload = match (&args.json, &args.file) {
        (Some(json), _) => json.clone().into_bytes(),
        (None, Some(path)) => read_payload_file(path)?,
        (None, None) => return Err(CliError::Input("give the payload with --json or --file".into())),
    };
    check_json(&payload)?;
    let event_id = args.id.unwrap_or_else(Uuid::new_v4);
    let request = pb::AppendRequest {
        stream_id: args.stream.clone(),
        expected: Some(args.expected.to_proto()),
        events: vec![pb::NewEvent {
            event_id: event_id.to_string(),
            event_type: args.event_type,
            schema_version: args.schema_version,
            effective_at: args.effective,
            content_type: "application/json".into(),
            payload,
            ..Default::default()
        }],
    };
    let mut client = connect(server).await?;
    let response = client.append(request).await?.into_inner();
    println!("{}", outcome_line(&args.stream, &event_id, &response));
    Ok(())
}

/// The payload file, or stdin for `-`.
fn read_payload_file(path: &Path) -> Result<Vec<u8>, CliError> {
    let read_error = |source| CliError::ReadFile {
        path: path.to_path_buf(),
        source,
    };
    if path == Path::new("-") {
        let mut payload = Vec::new();
        std::io::stdin().read_to_end(&mut payload).map_err(read_error)?;
        return Ok(payload);
    }
    std::fs::read(path).map_err(read_error)
}

/// Checked here too, so that a typo is caught before anything is sent.
pub fn check_json(payload: &[u8]) -> Result<(), CliError> {
    serde_json::from_slice::<serde_json::Value>(payload)
        .map(|_| ())
        .map_err(|error| CliError::Input(format!("the payload is not valid JSON: {error}")))
}

/// The outcome as one JSON line, like the events `antt read` prints.
pub fn outcome_line(stream_id: &str, event_id: &Uuid, response: &pb::AppendResponse) -> String {
    serde_json::json!({
        "stream_id": stream_id,
        "event_id": event_id.to_string(),
        "position": response.first_position,
        "stream_version": response.stream_version,
        "recorded_at": response.recorded_at.as_ref().map(format_time),
        "deduplicated": response.deduplicated,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_payloads_are_checked() {
        assert!(check_json(br#"{"member":"A"}"#).is_ok());
        let error = check_json(b"{member: A}").unwrap_err();
        assert!(
            error.to_string().starts_with("the payload is not valid JSON"),
            "{error}"
        );
    }

    #[test]
    fn the_outcome_is_a_json_line() {
        let response = pb::AppendResponse {
            first_position: 4,
            last_position: 4,
            stream_version: 0,
            recorded_at: Some(prost_types::Timestamp { seconds: 0, nanos: 0 }),
            deduplicated: false,
        };
        let line = outcome_line("area-38", &Uuid::nil(), &response);
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["position"], 4);
        assert_eq!(parsed["recorded_at"], "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn a_missing_file_is_named() {
        let error = read_payload_file(Path::new("/nonexistent/payload.json")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/payload.json"));
    }
}
