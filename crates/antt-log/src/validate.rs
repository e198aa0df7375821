//! Checks an append before anything is looked up or written. Every backend calls this,
//! so every backend refuses the same inputs with the same field paths.

use std::collections::HashSet;

use crate::codec;
use crate::error::Violation;
use crate::event::{AppendRequest, NewEvent};
use crate::limits;

/// All problems with an append request; empty when it is acceptable.
pub fn append_violations(request: &AppendRequest) -> Vec<Violation> {
    let mut violations = Vec::new();
    check_stream_id(&request.stream_id, "stream_id", &mut violations);
    if request.events.is_empty() {
        violations.push(Violation::new("events", "an append needs at least one event"));
    }
    if request.events.len() > limits::EVENTS_PER_APPEND_MAX {
        violations.push(Violation::new(
            "events",
            format!(
                "{} events in one append; at most {} are allowed, split the batch",
                request.events.len(),
                limits::EVENTS_PER_APPEND_MAX
            ),
        ));
        // Checking each of thousands of events would only bury the one useful message.
        return violations;
    }
    let mut seen_ids = HashSet::with_capacity(request.events.len());
    let mut total_bytes = 0usize;
    for (index, event) in request.events.iter().enumerate() {
        let field = format!("events[{index}]");
        check_event(event, &field, &mut violations);
        if !seen_ids.insert(event.event_id) {
            violations.push(Violation::new(
                format!("{field}.event_id"),
                format!("event id {} appears twice in this append", event.event_id),
            ));
        }
        total_bytes = total_bytes.saturating_add(event_size_bytes(event, &request.stream_id));
    }
    if total_bytes > limits::APPEND_BYTES_MAX {
        violations.push(Violation::new(
            "events",
            format!(
                "the append is {total_bytes} bytes; at most {} are allowed, split the batch",
                limits::APPEND_BYTES_MAX
            ),
        ));
    }
    violations
}

/// Problems with a stream id used for reading or appending.
pub fn stream_id_violations(stream_id: &str, field: &str) -> Vec<Violation> {
    let mut violations = Vec::new();
    check_stream_id(stream_id, field, &mut violations);
    violations
}

fn check_stream_id(stream_id: &str, field: &str, violations: &mut Vec<Violation>) {
    if stream_id.is_empty() {
        violations.push(Violation::new(field, "the stream id must not be empty"));
        return;
    }
    if stream_id.len() > limits::STREAM_ID_BYTES_MAX {
        violations.push(Violation::new(
            field,
            format!(
                "the stream id is {} bytes; at most {} are allowed",
                stream_id.len(),
                limits::STREAM_ID_BYTES_MAX
            ),
        ));
    }
    if stream_id.chars().any(char::is_control) {
        violations.push(Violation::new(
            field,
            "the stream id must not contain control characters",
        ));
    }
    if stream_id.trim() != stream_id {
        violations.push(Violation::new(
            field,
            "the stream id must not start or end with whitespace",
        ));
    }
}

fn check_event(event: &NewEvent, field: &str, violations: &mut Vec<Violation>) {
    if event.event_id.is_nil() {
        violations.push(Violation::new(
            format!("{field}.event_id"),
            "the event id must be a non-nil UUID chosen by the client",
        ));
    }
    let event_type = &event.event_type;
    if event_type.is_empty() {
        violations.push(Violation::new(
            format!("{field}.event_type"),
            "the event type must not be empty",
        ));
    } else if event_type.chars().any(|c| c.is_whitespace() || c.is_control()) {
        violations.push(Violation::new(
            format!("{field}.event_type"),
            "the event type must not contain whitespace or control characters",
        ));
    }
    check_len(
        event_type,
        limits::EVENT_TYPE_BYTES_MAX,
        &format!("{field}.event_type"),
        violations,
    );
    if event.schema_version == 0 {
        violations.push(Violation::new(
            format!("{field}.schema_version"),
            "the schema version starts at 1",
        ));
    }
    check_len(
        &event.actor,
        limits::ACTOR_BYTES_MAX,
        &format!("{field}.actor"),
        violations,
    );
    check_len(
        &event.content_type,
        limits::CONTENT_TYPE_BYTES_MAX,
        &format!("{field}.content_type"),
        violations,
    );
    if event.metadata.len() > limits::METADATA_ENTRIES_MAX {
        violations.push(Violation::new(
            format!("{field}.metadata"),
            format!(
                "{} metadata entries; at most {} are allowed",
                event.metadata.len(),
                limits::METADATA_ENTRIES_MAX
            ),
        ));
    }
    for (key, value) in &event.metadata {
        let key_field = format!("{field}.metadata[{key}]");
        if key.is_empty() {
            violations.push(Violation::new(&key_field, "metadata keys must not be empty"));
        }
        check_len(key, limits::METADATA_KEY_BYTES_MAX, &key_field, violations);
        check_len(value, limits::METADATA_VALUE_BYTES_MAX, &key_field, violations);
    }
    if event.payload.len() > limits::PAYLOAD_BYTES_MAX {
        violations.push(Violation::new(
            format!("{field}.payload"),
            format!(
                "the payload is {} bytes; at most {} are allowed",
                event.payload.len(),
                limits::PAYLOAD_BYTES_MAX
            ),
        ));
    }
}

fn check_len(value: &str, most: usize, field: &str, violations: &mut Vec<Violation>) {
    if value.len() > most {
        violations.push(Violation::new(
            field,
            format!("{} bytes; at most {most} are allowed", value.len()),
        ));
    }
}

/// Size of an event's stored record, for the per-append byte limit.
fn event_size_bytes(event: &NewEvent, stream_id: &str) -> usize {
    codec::record_len_max(
        stream_id,
        &event.event_type,
        &event.actor,
        &event.metadata,
        &event.content_type,
        event.payload.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ExpectedVersion;
    use uuid::Uuid;

    fn request(events: Vec<NewEvent>) -> AppendRequest {
        AppendRequest {
            stream_id: "area-38".into(),
            expected: ExpectedVersion::Any,
            events,
        }
    }

    fn fields(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn a_good_append_has_no_violations() {
        let event = NewEvent::new(Uuid::from_u128(1), "antt.v1.AreaRegistered", b"x".to_vec());
        assert!(append_violations(&request(vec![event])).is_empty());
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut bad = NewEvent::new(Uuid::nil(), "has space", vec![0; limits::PAYLOAD_BYTES_MAX + 1]);
        bad.schema_version = 0;
        let duplicate = NewEvent::new(Uuid::from_u128(5), "ok", vec![]);
        let mut req = request(vec![bad, duplicate.clone(), duplicate]);
        req.stream_id = String::new();
        let violations = append_violations(&req);
        assert_eq!(
            fields(&violations),
            vec![
                "stream_id",
                "events[0].event_id",
                "events[0].event_type",
                "events[0].schema_version",
                "events[0].payload",
                "events[2].event_id",
            ]
        );
    }

    #[test]
    fn empty_and_oversized_batches_are_refused() {
        assert_eq!(fields(&append_violations(&request(vec![]))), vec!["events"]);
        let many = (0..=limits::EVENTS_PER_APPEND_MAX as u128)
            .map(|i| NewEvent::new(Uuid::from_u128(i + 1), "t", vec![]))
            .collect();
        assert_eq!(fields(&append_violations(&request(many))), vec!["events"]);
    }
}
