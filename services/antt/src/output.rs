//! One JSON line per event, so that `antt read` and `antt tail` pipe into `jq`, `grep`
//! and spreadsheets. Keys keep a fixed order (a struct, not a map) for people reading
//! the lines directly.

use antt_audit::encoding::{base64, hex};
use std::collections::BTreeMap;

use antt_proto::v1 as pb;
use serde::Serialize;

use crate::dates::format_time;

#[derive(Serialize)]
struct EventLine<'a> {
    position: u64,
    stream_id: &'a str,
    stream_version: u64,
    event_id: &'a str,
    event_type: &'a str,
    schema_version: u32,
    recorded_at: Option<String>,
    effective_at: Option<String>,
    #[serde(skip_serializing_if = "str::is_empty")]
    actor: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    correlation_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    causation_id: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<&'a str, &'a str>,
    content_type: &'a str,
    /// The payload itself when it is JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<serde_json::Value>,
    /// Otherwise its bytes, base64 (RFC 4648, padded).
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_base64: Option<String>,
    hash: String,
}

/// The JSON line of one event (without the newline).
pub fn event_line(event: &pb::RecordedEvent) -> String {
    let json_payload = is_json(&event.content_type)
        .then(|| serde_json::from_slice::<serde_json::Value>(&event.payload).ok())
        .flatten();
    let payload_base64 = json_payload.is_none().then(|| base64(&event.payload));
    let line = EventLine {
        position: event.position,
        stream_id: &event.stream_id,
        stream_version: event.stream_version,
        event_id: &event.event_id,
        event_type: &event.event_type,
        schema_version: event.schema_version,
        recorded_at: event.recorded_at.as_ref().map(format_time),
        effective_at: event.effective_at.as_ref().map(format_time),
        actor: &event.actor,
        correlation_id: &event.correlation_id,
        causation_id: &event.causation_id,
        metadata: event.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        content_type: &event.content_type,
        payload: json_payload,
        payload_base64,
        hash: hex(&event.hash),
    };
    // Serializing strings, numbers and a parsed JSON value cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

/// Whether a media type is JSON (`application/json` or a `+json` type), as the server decides.
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> pb::RecordedEvent {
        pb::RecordedEvent {
            position: 7,
            stream_id: "area-38".into(),
            stream_version: 2,
            event_id: "0b9ff5a4-3c1e-4d55-9a43-2f7c1a0e8d11".into(),
            event_type: "antt.v1.MemberAppointed".into(),
            schema_version: 1,
            recorded_at: Some(prost_types::Timestamp {
                seconds: 1_528_770_600,
                nanos: 1_000,
            }),
            effective_at: Some(prost_types::Timestamp {
                seconds: 1_528_761_600,
                nanos: 0,
            }),
            content_type: "application/json".into(),
            payload: b"{\n  \"member\": \"Nguy\xe1\xbb\x85n V\xc4\x83n A\"\n}".to_vec(),
            hash: vec![0xab; 32],
            ..Default::default()
        }
    }

    #[test]
    fn a_json_event_is_one_line_with_its_payload_inline() {
        let line = event_line(&event());
        assert!(!line.contains('\n'));
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["position"], 7);
        assert_eq!(parsed["payload"]["member"], "Nguyễn Văn A");
        assert_eq!(parsed["recorded_at"], "2018-06-12T02:30:00.000001Z");
        assert_eq!(parsed["effective_at"], "2018-06-12T00:00:00.000000Z");
        assert_eq!(parsed["hash"], "ab".repeat(32));
        assert!(parsed.get("payload_base64").is_none());
        assert!(parsed.get("actor").is_none(), "empty fields are left out");
        assert!(line.starts_with("{\"position\":7,"), "{line}");
    }

    #[test]
    fn other_payloads_are_base64() {
        let mut binary = event();
        binary.content_type = "application/octet-stream".into();
        binary.payload = vec![0, 1, 2, 255];
        let parsed: serde_json::Value = serde_json::from_str(&event_line(&binary)).unwrap();
        assert_eq!(parsed["payload_base64"], "AAEC/w==");
        assert!(parsed.get("payload").is_none());
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/vnd.antt+json"));
        assert!(!is_json("text/plain"));
    }
}
