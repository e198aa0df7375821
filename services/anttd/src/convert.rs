//! Wire types (`antt_proto::v1`) to log types and back, by hand, so that a change of an
//! internal type never silently changes the wire. Requests are checked field by field and
//! every problem is collected, so that a clerk fixes a request in one round trip.

use std::collections::{BTreeMap, HashMap};

use antt_log::validate;
use antt_log::{
    AppendOutcome, AppendRequest, Direction, EventFilter, ExpectedVersion, ListStreamsRequest, LogHead, NewEvent,
    ReadStreamRequest, RecordedEvent, StreamInfo, SubscriptionItem, Timestamp, Violation,
};
use antt_proto::v1 as pb;
use uuid::Uuid;

/// Earliest time a `google.protobuf.Timestamp` may hold: 0001-01-01T00:00:00Z.
const TIMESTAMP_SECONDS_MIN: i64 = -62_135_596_800;
/// Latest time a `google.protobuf.Timestamp` may hold: 9999-12-31T23:59:59Z.
const TIMESTAMP_SECONDS_MAX: i64 = 253_402_300_799;
const MICROS_PER_SECOND: i64 = 1_000_000;
const NANOS_PER_MICRO: i32 = 1_000;

/// Most stream id prefixes, and most event types, in one filter. Every event read is
/// checked against each entry, so an unbounded list would let one call cost the server
/// a scan times the list.
pub const FILTER_ENTRIES_MAX: usize = 100;
/// Streams per `ListStreams` page when the request says 0.
pub const LIST_STREAMS_PAGE_DEFAULT: usize = 100;
/// Most streams per `ListStreams` page (the contract in the proto): the log's own bound.
pub const LIST_STREAMS_PAGE_MAX: usize = antt_log::limits::LIST_STREAMS_PAGE_MAX;

/// How many events a read may return in total; `None` is no limit.
pub type Limit = Option<u64>;

/// Which event `GetEvent` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKey {
    Position(u64),
    EventId(Uuid),
}

// ---------------------------------------------------------------------------------------
// Requests: proto -> log
// ---------------------------------------------------------------------------------------

/// An append as the log takes it, or every problem found in it (including those the
/// log's own validation would report, so that nothing surfaces only on the next try).
pub fn append_request(request: pb::AppendRequest) -> Result<AppendRequest, Vec<Violation>> {
    let mut violations = Vec::new();
    let expected = expected_version(request.expected);
    let events = request
        .events
        .into_iter()
        .enumerate()
        .map(|(index, event)| new_event(event, index, &mut violations))
        .collect();
    let converted = AppendRequest {
        stream_id: request.stream_id,
        expected,
        events,
    };
    if violations.is_empty() {
        // The log validates again on append; running it here too would only cost time.
        return Ok(converted);
    }
    // Fields that failed to convert hold placeholders (a nil UUID, say); keep only the
    // log's findings about other fields (all of them, even several about one field).
    let failed = violations.len();
    for violation in validate::append_violations(&converted) {
        if !violations[..failed].iter().any(|v| v.field == violation.field) {
            violations.push(violation);
        }
    }
    Err(violations)
}

fn expected_version(expected: Option<pb::ExpectedVersion>) -> ExpectedVersion {
    use pb::expected_version::Kind;
    match expected.and_then(|e| e.kind) {
        None | Some(Kind::Any(_)) => ExpectedVersion::Any,
        Some(Kind::NoStream(_)) => ExpectedVersion::NoStream,
        Some(Kind::StreamExists(_)) => ExpectedVersion::StreamExists,
        Some(Kind::Exact(version)) => ExpectedVersion::Exact(version),
    }
}

/// One event of an append. Field paths are built only for a problem found, not for
/// every event of every append.
fn new_event(event: pb::NewEvent, index: usize, violations: &mut Vec<Violation>) -> NewEvent {
    let mut report = |name: &str, description: String| {
        violations.push(Violation::new(format!("events[{index}].{name}"), description));
    };
    let event_id = required_uuid(&event.event_id).unwrap_or_else(|description| {
        report("event_id", description);
        Uuid::nil()
    });
    let effective_at = event.effective_at.and_then(|ts| {
        timestamp_micros(&ts)
            .map_err(|description| report("effective_at", description))
            .ok()
    });
    let correlation_id = optional_uuid(&event.correlation_id).unwrap_or_else(|description| {
        report("correlation_id", description);
        None
    });
    let causation_id = optional_uuid(&event.causation_id).unwrap_or_else(|description| {
        report("causation_id", description);
        None
    });
    if let Err(description) = check_payload(&event.content_type, &event.payload) {
        report("payload", description);
    }
    NewEvent {
        event_id,
        event_type: event.event_type,
        // proto3 cannot tell 0 from unset; the contract reads 0 as the first schema.
        schema_version: event.schema_version.max(1),
        effective_at,
        actor: event.actor,
        correlation_id,
        causation_id,
        metadata: event.metadata.into_iter().collect::<BTreeMap<_, _>>(),
        content_type: event.content_type,
        payload: event.payload,
    }
}

fn required_uuid(text: &str) -> Result<Uuid, String> {
    if text.is_empty() {
        return Err(
            "the event id is required: a UUID chosen by the client, e.g. 0b9ff5a4-3c1e-4d55-9a43-2f7c1a0e8d11"
                .to_string(),
        );
    }
    parse_uuid(text)
}

/// `None` for an empty text (the field is unset).
fn optional_uuid(text: &str) -> Result<Option<Uuid>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_uuid(text).map(Some)
}

fn parse_uuid(text: &str) -> Result<Uuid, String> {
    Uuid::try_parse(text)
        .map_err(|_| format!("{text:?} is not a UUID; use the form 0b9ff5a4-3c1e-4d55-9a43-2f7c1a0e8d11"))
}

/// The log stores payloads as opaque bytes, but a payload that claims to be JSON must be
/// JSON: an inspector reading the ledger years later must be able to trust the label.
fn check_payload(content_type: &str, payload: &[u8]) -> Result<(), String> {
    if !is_json(content_type) {
        return Ok(());
    }
    serde_json::from_slice::<serde_json::Value>(payload)
        .map(|_| ())
        .map_err(|error| format!("the content type is {content_type} but the payload is not valid JSON: {error}"))
}

/// Whether a media type is JSON: `application/json` or a `+json` suffix type
/// (RFC 6839), parameters such as `; charset=utf-8` ignored.
pub fn is_json(content_type: &str) -> bool {
    const TYPE: &[u8] = b"application/";
    const SUFFIX: &[u8] = b"+json";
    let essence = content_type.split(';').next().unwrap_or_default().trim().as_bytes();
    // Compared without lowering a copy: this runs for every event appended.
    essence.eq_ignore_ascii_case(b"application/json")
        || (essence.len() >= TYPE.len() + SUFFIX.len()
            && essence[..TYPE.len()].eq_ignore_ascii_case(TYPE)
            && essence[essence.len() - SUFFIX.len()..].eq_ignore_ascii_case(SUFFIX))
}

/// A wire timestamp at microsecond precision (finer digits are dropped), if it is a
/// valid `google.protobuf.Timestamp`.
pub fn timestamp(ts: &prost_types::Timestamp, field: &str) -> Result<Timestamp, Violation> {
    timestamp_micros(ts).map_err(|description| Violation::new(field, description))
}

/// [`timestamp`], with only the description of a problem.
fn timestamp_micros(ts: &prost_types::Timestamp) -> Result<Timestamp, String> {
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(format!("nanos must be between 0 and 999999999, got {}", ts.nanos));
    }
    if !(TIMESTAMP_SECONDS_MIN..=TIMESTAMP_SECONDS_MAX).contains(&ts.seconds) {
        return Err(format!(
            "the time must be between 0001-01-01 and 9999-12-31 (seconds {TIMESTAMP_SECONDS_MIN} to {TIMESTAMP_SECONDS_MAX}), got seconds {}",
            ts.seconds
        ));
    }
    // In range by the checks above: |seconds| < 2^38, so the product stays below 2^58.
    Ok(Timestamp(
        ts.seconds * MICROS_PER_SECOND + i64::from(ts.nanos / NANOS_PER_MICRO),
    ))
}

/// One stream's read as the log takes it (its `max_count` is per page), and the total.
pub fn read_stream_request(request: pb::ReadStreamRequest) -> Result<(ReadStreamRequest, Limit), Vec<Violation>> {
    let mut violations = validate::stream_id_violations(&request.stream_id, "stream_id");
    let direction = match pb::Direction::try_from(request.direction) {
        Ok(pb::Direction::Forwards) => Direction::Forwards,
        Ok(pb::Direction::Backwards) => Direction::Backwards,
        Err(_) => {
            violations.push(Violation::new(
                "direction",
                format!(
                    "unknown direction {}; use DIRECTION_FORWARDS (0) or DIRECTION_BACKWARDS (1)",
                    request.direction
                ),
            ));
            Direction::Forwards
        }
    };
    if !violations.is_empty() {
        return Err(violations);
    }
    let limit = limit(request.max_count);
    Ok((
        ReadStreamRequest {
            stream_id: request.stream_id,
            from_version: request.from_version,
            direction,
            max_count: page_size(limit),
        },
        limit,
    ))
}

/// A `ReadAll`: start position, filter and total.
pub fn read_all_request(request: pb::ReadAllRequest) -> Result<(u64, EventFilter, Limit), Vec<Violation>> {
    let filter = event_filter(request.filter)?;
    Ok((request.from_position, filter, limit(request.max_count)))
}

/// A request's `max_count`: 0 is no limit.
fn limit(max_count: u64) -> Limit {
    (max_count > 0).then_some(max_count)
}

/// A `Subscribe`: start position and filter.
pub fn subscribe_request(request: pb::SubscribeRequest) -> Result<(u64, EventFilter), Vec<Violation>> {
    Ok((request.from_position, event_filter(request.filter)?))
}

fn event_filter(filter: Option<pb::EventFilter>) -> Result<EventFilter, Vec<Violation>> {
    let filter = filter.unwrap_or_default();
    let mut violations = Vec::new();
    for (name, entries) in [
        ("filter.stream_id_prefixes", &filter.stream_id_prefixes),
        ("filter.event_types", &filter.event_types),
    ] {
        if entries.len() > FILTER_ENTRIES_MAX {
            violations.push(Violation::new(
                name,
                format!("{} entries; at most {FILTER_ENTRIES_MAX} are allowed", entries.len()),
            ));
        }
    }
    for (index, event_type) in filter.event_types.iter().enumerate() {
        if event_type.is_empty() {
            violations.push(Violation::new(
                format!("filter.event_types[{index}]"),
                "an event type must not be empty; leave the list empty to keep every type",
            ));
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok(EventFilter {
        stream_id_prefixes: filter.stream_id_prefixes,
        event_types: filter.event_types,
    })
}

/// The log's page size for a read of `limit` events in total.
pub fn page_size(limit: Limit) -> usize {
    let most = antt_log::limits::READ_PAGE_EVENTS_MAX;
    match limit {
        Some(limit) => usize::try_from(limit).map_or(most, |limit| limit.min(most)),
        None => most,
    }
}

/// Which event a `GetEvent` wants.
pub fn event_key(request: pb::GetEventRequest) -> Result<EventKey, Vec<Violation>> {
    use pb::get_event_request::Key;
    match request.key {
        Some(Key::Position(position)) => Ok(EventKey::Position(position)),
        Some(Key::EventId(text)) => parse_uuid(&text)
            .map(EventKey::EventId)
            .map_err(|description| vec![Violation::new("event_id", description)]),
        None => Err(vec![Violation::new("key", "set either position or event_id")]),
    }
}

/// The stream id of a `GetStreamInfo`, checked.
pub fn stream_info_request(request: pb::GetStreamInfoRequest) -> Result<String, Vec<Violation>> {
    let violations = validate::stream_id_violations(&request.stream_id, "stream_id");
    if violations.is_empty() {
        Ok(request.stream_id)
    } else {
        Err(violations)
    }
}

/// A `ListStreams` page as the log takes it. A page size above the maximum is lowered to
/// it rather than refused: the caller pages anyway.
pub fn list_streams_request(request: pb::ListStreamsRequest) -> ListStreamsRequest {
    let page_size = match usize::try_from(request.page_size) {
        Ok(0) => LIST_STREAMS_PAGE_DEFAULT,
        Ok(size) => size.min(LIST_STREAMS_PAGE_MAX),
        Err(_) => LIST_STREAMS_PAGE_MAX,
    };
    ListStreamsRequest {
        prefix: request.prefix,
        after: (!request.after.is_empty()).then_some(request.after),
        page_size,
    }
}

// ---------------------------------------------------------------------------------------
// Results: log -> proto
// ---------------------------------------------------------------------------------------

/// A log timestamp on the wire.
pub fn timestamp_to_proto(ts: Timestamp) -> prost_types::Timestamp {
    let micros = ts.as_micros();
    let sub_second_micros = micros.rem_euclid(MICROS_PER_SECOND);
    prost_types::Timestamp {
        seconds: micros.div_euclid(MICROS_PER_SECOND),
        // Below 10^6 by rem_euclid, so it fits and the product stays below 10^9.
        nanos: i32::try_from(sub_second_micros).unwrap_or(0) * NANOS_PER_MICRO,
    }
}

pub fn append_outcome_to_proto(outcome: &AppendOutcome) -> pb::AppendResponse {
    pb::AppendResponse {
        first_position: outcome.first_position,
        last_position: outcome.last_position,
        stream_version: outcome.stream_version,
        recorded_at: Some(timestamp_to_proto(outcome.recorded_at)),
        deduplicated: outcome.deduplicated,
    }
}

pub fn recorded_event_to_proto(event: RecordedEvent) -> pb::RecordedEvent {
    pb::RecordedEvent {
        position: event.position,
        stream_id: event.stream_id,
        stream_version: event.stream_version,
        event_id: event.event_id.to_string(),
        event_type: event.event_type,
        schema_version: event.schema_version,
        recorded_at: Some(timestamp_to_proto(event.recorded_at)),
        effective_at: Some(timestamp_to_proto(event.effective_at)),
        actor: event.actor,
        correlation_id: optional_uuid_to_proto(event.correlation_id),
        causation_id: optional_uuid_to_proto(event.causation_id),
        metadata: event.metadata.into_iter().collect::<HashMap<_, _>>(),
        content_type: event.content_type,
        payload: event.payload,
        hash: event.hash.to_vec(),
    }
}

fn optional_uuid_to_proto(id: Option<Uuid>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}

pub fn subscription_item_to_proto(item: SubscriptionItem) -> pb::SubscribeResponse {
    use pb::subscribe_response::Item;
    let item = match item {
        SubscriptionItem::Event(event) => Item::Event(recorded_event_to_proto(event)),
        SubscriptionItem::Checkpoint(position) => Item::Checkpoint(position),
        SubscriptionItem::CaughtUp(position) => Item::CaughtUp(position),
    };
    pb::SubscribeResponse { item: Some(item) }
}

pub fn stream_info_to_proto(info: StreamInfo) -> pb::StreamInfo {
    pb::StreamInfo {
        stream_id: info.stream_id,
        version: info.version,
        event_count: info.version.saturating_add(1),
        first_recorded_at: Some(timestamp_to_proto(info.first_recorded_at)),
        last_recorded_at: Some(timestamp_to_proto(info.last_recorded_at)),
        first_position: info.first_position,
        last_position: info.last_position,
    }
}

pub fn log_head_to_proto(head: LogHead) -> pb::LogHead {
    pb::LogHead {
        next_position: head.next_position,
        last_hash: head.last_hash.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0b9ff5a4-3c1e-4d55-9a43-2f7c1a0e8d11";

    fn good_event() -> pb::NewEvent {
        pb::NewEvent {
            event_id: ID.into(),
            event_type: "antt.v1.MemberAppointed".into(),
            content_type: "application/json".into(),
            payload: br#"{"member":"Nguyen Van A"}"#.to_vec(),
            ..Default::default()
        }
    }

    fn append(events: Vec<pb::NewEvent>) -> pb::AppendRequest {
        pb::AppendRequest {
            stream_id: "area-38".into(),
            expected: None,
            events,
        }
    }

    fn fields(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn a_good_append_converts() {
        let mut event = good_event();
        event.effective_at = Some(prost_types::Timestamp {
            seconds: 1_528_761_600,
            nanos: 123_456_789,
        });
        event.correlation_id = "6f1c1b8e-8a49-4b8f-9b1e-3f0d7c2a9e55".into();
        event.metadata.insert("ward".into(), "Phuong 1".into());
        let mut request = append(vec![event]);
        request.expected = Some(pb::ExpectedVersion {
            kind: Some(pb::expected_version::Kind::Exact(4)),
        });
        let converted = append_request(request).unwrap();
        assert_eq!(converted.expected, ExpectedVersion::Exact(4));
        let event = &converted.events[0];
        assert_eq!(event.event_id.to_string(), ID);
        assert_eq!(event.schema_version, 1, "0 is read as 1");
        assert_eq!(event.effective_at, Some(Timestamp(1_528_761_600_123_456)));
        assert!(event.correlation_id.is_some());
        assert_eq!(event.causation_id, None);
        assert_eq!(event.metadata["ward"], "Phuong 1");
    }

    #[test]
    fn unset_expected_version_is_any() {
        assert_eq!(expected_version(None), ExpectedVersion::Any);
        assert_eq!(
            expected_version(Some(pb::ExpectedVersion { kind: None })),
            ExpectedVersion::Any
        );
        assert_eq!(
            expected_version(Some(pb::ExpectedVersion {
                kind: Some(pb::expected_version::Kind::NoStream(pb::Empty {})),
            })),
            ExpectedVersion::NoStream
        );
    }

    #[test]
    fn every_problem_of_an_append_is_reported_with_its_field() {
        let mut bad_id = good_event();
        bad_id.event_id = "not-a-uuid".into();
        let mut bad_time = good_event();
        bad_time.event_id = "1b9ff5a4-3c1e-4d55-9a43-2f7c1a0e8d11".into();
        bad_time.effective_at = Some(prost_types::Timestamp { seconds: 0, nanos: -1 });
        bad_time.causation_id = "nope".into();
        let mut bad_json = good_event();
        bad_json.event_id = "2b9ff5a4-3c1e-4d55-9a43-2f7c1a0e8d11".into();
        bad_json.payload = b"{not json".to_vec();
        bad_json.event_type = "has space".into();
        let mut no_id = good_event();
        no_id.event_id = String::new();
        let mut request = append(vec![bad_id, bad_time, bad_json, no_id]);
        request.stream_id = String::new();

        let violations = append_request(request).unwrap_err();
        let mut found = fields(&violations);
        found.sort_unstable();
        assert_eq!(
            found,
            vec![
                "events[0].event_id",
                "events[1].causation_id",
                "events[1].effective_at",
                "events[2].event_type",
                "events[2].payload",
                "events[3].event_id",
                "stream_id",
            ]
        );
        let payload = violations.iter().find(|v| v.field == "events[2].payload").unwrap();
        assert!(
            payload.description.contains("not valid JSON"),
            "{}",
            payload.description
        );
        let no_id = violations.iter().find(|v| v.field == "events[3].event_id").unwrap();
        assert!(no_id.description.contains("required"), "{}", no_id.description);
    }

    #[test]
    fn every_log_finding_about_a_field_is_kept_beside_conversion_problems() {
        let mut bad_id = good_event();
        bad_id.event_id = "not-a-uuid".into();
        let mut request = append(vec![bad_id]);
        // A control character and trailing whitespace: two findings about one field.
        request.stream_id = "area-38\n".into();
        let violations = append_request(request).unwrap_err();
        assert_eq!(
            fields(&violations),
            vec!["events[0].event_id", "stream_id", "stream_id"]
        );
    }

    #[test]
    fn only_json_content_types_are_parsed() {
        let mut binary = good_event();
        binary.content_type = "application/octet-stream".into();
        binary.payload = vec![0xff, 0x00];
        assert!(append_request(append(vec![binary])).is_ok());

        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/vnd.antt.member+json"));
        assert!(is_json("Application/Vnd.Antt+JSON"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-protobuf; type=antt.v1.MemberAppointed"));
        assert!(!is_json(""));
        assert!(!is_json("+json"));
    }

    #[test]
    fn timestamps_keep_microseconds_both_ways() {
        let wire = prost_types::Timestamp {
            seconds: -1,
            nanos: 999_999_000,
        };
        let ts = timestamp(&wire, "t").unwrap();
        assert_eq!(ts, Timestamp(-1));
        assert_eq!(timestamp_to_proto(ts), wire);
        let ts = Timestamp(1_528_761_600_000_001);
        assert_eq!(timestamp(&timestamp_to_proto(ts), "t").unwrap(), ts);
    }

    #[test]
    fn timestamps_out_of_range_are_refused() {
        for (seconds, nanos) in [
            (TIMESTAMP_SECONDS_MAX + 1, 0),
            (TIMESTAMP_SECONDS_MIN - 1, 0),
            (0, 1_000_000_000),
            (i64::MIN, 0),
        ] {
            let violation =
                timestamp(&prost_types::Timestamp { seconds, nanos }, "events[0].effective_at").unwrap_err();
            assert_eq!(violation.field, "events[0].effective_at");
        }
        assert!(timestamp(
            &prost_types::Timestamp {
                seconds: TIMESTAMP_SECONDS_MAX,
                nanos: 999_999_999
            },
            "t"
        )
        .is_ok());
    }

    #[test]
    fn read_stream_requests_are_checked() {
        let (request, limit) = read_stream_request(pb::ReadStreamRequest {
            stream_id: "area-38".into(),
            from_version: Some(3),
            direction: pb::Direction::Backwards as i32,
            max_count: 5,
        })
        .unwrap();
        assert_eq!(request.direction, Direction::Backwards);
        assert_eq!(request.from_version, Some(3));
        assert_eq!(request.max_count, 5);
        assert_eq!(limit, Some(5));

        let violations = read_stream_request(pb::ReadStreamRequest {
            stream_id: String::new(),
            from_version: None,
            direction: 7,
            max_count: 0,
        })
        .unwrap_err();
        assert_eq!(fields(&violations), vec!["stream_id", "direction"]);
    }

    #[test]
    fn unlimited_reads_page_at_the_log_maximum() {
        assert_eq!(page_size(None), antt_log::limits::READ_PAGE_EVENTS_MAX);
        assert_eq!(page_size(Some(u64::MAX)), antt_log::limits::READ_PAGE_EVENTS_MAX);
        assert_eq!(page_size(Some(3)), 3);
    }

    #[test]
    fn filters_are_checked() {
        let violations = read_all_request(pb::ReadAllRequest {
            from_position: 0,
            filter: Some(pb::EventFilter {
                stream_id_prefixes: vec!["x".into(); FILTER_ENTRIES_MAX + 1],
                event_types: vec!["ok".into(), String::new()],
            }),
            max_count: 0,
        })
        .unwrap_err();
        assert_eq!(
            fields(&violations),
            vec!["filter.stream_id_prefixes", "filter.event_types[1]"]
        );
        let (from, filter) = subscribe_request(pb::SubscribeRequest {
            from_position: 9,
            filter: None,
        })
        .unwrap();
        assert_eq!(from, 9);
        assert!(filter.is_everything());
    }

    #[test]
    fn event_keys_are_checked() {
        assert_eq!(
            event_key(pb::GetEventRequest {
                key: Some(pb::get_event_request::Key::Position(3))
            })
            .unwrap(),
            EventKey::Position(3)
        );
        let violations = event_key(pb::GetEventRequest {
            key: Some(pb::get_event_request::Key::EventId("x".into())),
        })
        .unwrap_err();
        assert_eq!(fields(&violations), vec!["event_id"]);
        assert_eq!(
            fields(&event_key(pb::GetEventRequest { key: None }).unwrap_err()),
            vec!["key"]
        );
    }

    #[test]
    fn list_stream_pages_are_bounded() {
        let request = |page_size| pb::ListStreamsRequest {
            prefix: "area-".into(),
            after: String::new(),
            page_size,
        };
        assert_eq!(list_streams_request(request(0)).page_size, LIST_STREAMS_PAGE_DEFAULT);
        assert_eq!(list_streams_request(request(5000)).page_size, LIST_STREAMS_PAGE_MAX);
        assert_eq!(list_streams_request(request(7)).after, None);
    }

    #[test]
    fn recorded_events_convert_field_by_field() {
        let event = RecordedEvent {
            position: 4,
            stream_id: "area-38".into(),
            stream_version: 2,
            event_id: Uuid::from_u128(1),
            event_type: "t".into(),
            schema_version: 2,
            recorded_at: Timestamp(1_000_001),
            effective_at: Timestamp(-1),
            actor: "clerk-1".into(),
            correlation_id: Some(Uuid::from_u128(2)),
            causation_id: None,
            metadata: BTreeMap::from([("k".to_string(), "v".to_string())]),
            content_type: "application/json".into(),
            payload: b"{}".to_vec(),
            hash: [7; 32],
        };
        let wire = recorded_event_to_proto(event);
        assert_eq!(wire.position, 4);
        assert_eq!(wire.event_id, Uuid::from_u128(1).to_string());
        assert_eq!(
            wire.recorded_at,
            Some(prost_types::Timestamp {
                seconds: 1,
                nanos: 1000
            })
        );
        assert_eq!(
            wire.effective_at,
            Some(prost_types::Timestamp {
                seconds: -1,
                nanos: 999_999_000
            })
        );
        assert_eq!(wire.correlation_id, Uuid::from_u128(2).to_string());
        assert_eq!(wire.causation_id, "");
        assert_eq!(wire.metadata["k"], "v");
        assert_eq!(wire.hash, vec![7; 32]);
    }

    #[test]
    fn stream_info_counts_events() {
        let info = stream_info_to_proto(StreamInfo {
            stream_id: "s".into(),
            version: 4,
            first_position: 1,
            last_position: 9,
            first_recorded_at: Timestamp(0),
            last_recorded_at: Timestamp(5),
        });
        assert_eq!(info.event_count, 5);
    }
}
