//! The events every system under test is given: the same envelope and a ~250-byte
//! JSON-like payload, generated the same way for the log, gRPC, raw sled and PostgreSQL.

use std::collections::BTreeMap;

use antt_log::{ExpectedVersion, NewEvent, RecordedEvent, Timestamp};
use uuid::Uuid;

/// Event type of every benchmark event.
pub const EVENT_TYPE: &str = "antt.v1.MemberAppointed";
/// Content type of every benchmark payload.
pub const CONTENT_TYPE: &str = "application/json";
/// Target payload size in bytes; the generator pads the JSON up to it.
pub const PAYLOAD_BYTES_TARGET: usize = 250;

/// How writers pick their stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamMode {
    /// Each writer owns a stream and appends with `ExpectedVersion::Exact` (optimistic
    /// concurrency, as a command handler would).
    OwnStream,
    /// All writers append to one stream with `ExpectedVersion::Any`.
    SharedStream,
}

/// One append as the driver hands it to a system under test.
#[derive(Clone, Debug)]
pub struct Batch {
    pub stream_id: String,
    pub expected: ExpectedVersion,
    /// Version the first event of the batch will get in its stream (own-stream mode only;
    /// PostgreSQL uses it for its `version` column).
    pub first_version: u64,
    pub events: Vec<NewEvent>,
}

/// A realistic event: a member appointment decided by a numbered decision.
pub fn new_event(writer_idx: usize, seq: u64) -> NewEvent {
    let decision_number = format!("QD-2025/{:03}-{:06}", writer_idx % 1000, seq % 1_000_000);
    let mut payload = format!(
        concat!(
            "{{\"member_id\":\"{member}\",\"unit\":\"HN-{unit:03}-{sub:04}\",\"rank\":\"captain\",",
            "\"role\":\"duty officer\",\"decision\":{{\"number\":\"{decision}\",\"signed_by\":\"{signer}\",",
            "\"signed_at\":\"2025-03-14T09:26:53Z\"}},\"seq\":{seq},\"reason\":\""
        ),
        member = Uuid::new_v4(),
        unit = writer_idx % 1000,
        sub = seq % 10_000,
        decision = decision_number,
        signer = Uuid::new_v4(),
        seq = seq,
    );
    let filler = "appointed after vetting and review of the training record ";
    let closing = "\"}";
    while payload.len() + closing.len() < PAYLOAD_BYTES_TARGET {
        let room = PAYLOAD_BYTES_TARGET - payload.len() - closing.len();
        payload.push_str(&filler[..room.min(filler.len())]);
    }
    payload.push_str(closing);

    let mut metadata = BTreeMap::new();
    metadata.insert("decision_number".to_owned(), decision_number);
    metadata.insert("source".to_owned(), "antt-bench".to_owned());
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: EVENT_TYPE.to_owned(),
        schema_version: 1,
        effective_at: None,
        actor: format!("officer:hn-{:04}", writer_idx % 10_000),
        correlation_id: Some(Uuid::new_v4()),
        causation_id: None,
        metadata,
        content_type: CONTENT_TYPE.to_owned(),
        payload: payload.into_bytes(),
    }
}

/// `count` new events for one writer, continuing its sequence number.
pub fn new_events(writer_idx: usize, seq: &mut u64, count: usize) -> Vec<NewEvent> {
    (0..count)
        .map(|_| {
            *seq += 1;
            new_event(writer_idx, *seq)
        })
        .collect()
}

/// The stored record (canonical bytes and hash) the log would write for a typical event:
/// what raw sled is given, so that both store values of the same size.
pub fn typical_record() -> Vec<u8> {
    let proposed = new_event(7, 123_456);
    let now = Timestamp::now();
    let mut recorded = RecordedEvent {
        position: 1_234_567,
        stream_id: "bench-w0007".to_owned(),
        stream_version: 1234,
        event_id: proposed.event_id,
        event_type: proposed.event_type,
        schema_version: proposed.schema_version,
        recorded_at: now,
        effective_at: now,
        actor: proposed.actor,
        correlation_id: proposed.correlation_id,
        causation_id: proposed.causation_id,
        metadata: proposed.metadata,
        content_type: proposed.content_type,
        payload: proposed.payload,
        hash: [0; 32],
    };
    antt_log::codec::seal(&mut recorded, &[0; 32])
}
