//! Every read of a person's personal data is itself recorded, before the data is shown:
//! who read it (the principal), whose (the persons), when (the event's recorded time)
//! and through which call — what Decree 13/2023/NĐ-CP expects of those who process
//! personal data. The record goes into the hash-chained log like any fact, so it is as
//! hard to rewrite as the data it is about; if it cannot be written, the data is not
//! shown.

use std::collections::BTreeMap;

use antt_access::Principal;
use antt_log::{AppendRequest, EventLog, ExpectedVersion, NewEvent};
use antt_proto::v1 as pb;
use prost::Message;
use tonic::Status;
use uuid::Uuid;

use crate::commands::CONTENT_TYPE_PROTOBUF;

/// The stream of the records of personal-data reads.
pub const PERSONAL_DATA_READS_STREAM: &str = "access-personal-data-reads";
/// Their event type.
pub const PERSONAL_DATA_READ_EVENT: &str = "antt.v1.PersonalDataRead";
/// The prefix of the streams only the server writes.
pub const ACCESS_STREAM_PREFIX: &str = "access-";

/// Records that `reader` is being shown the personal data of `person_ids` by `rpc`.
/// Nothing is recorded for no persons.
pub async fn record<L: EventLog>(log: &L, reader: &Principal, rpc: &str, person_ids: &[String]) -> Result<(), Status> {
    if person_ids.is_empty() {
        return Ok(());
    }
    let read = pb::PersonalDataRead {
        reader: reader.actor(),
        role: reader.role.as_str().to_string(),
        rpc: rpc.to_string(),
        person_ids: person_ids.to_vec(),
    };
    let event = NewEvent {
        event_id: Uuid::new_v4(),
        event_type: PERSONAL_DATA_READ_EVENT.to_string(),
        schema_version: 1,
        effective_at: None,
        actor: reader.actor(),
        correlation_id: None,
        causation_id: None,
        metadata: BTreeMap::new(),
        content_type: CONTENT_TYPE_PROTOBUF.to_string(),
        payload: read.encode_to_vec(),
    };
    let request = AppendRequest {
        stream_id: PERSONAL_DATA_READS_STREAM.to_string(),
        expected: ExpectedVersion::Any,
        events: vec![event],
    };
    crate::telemetry::append(log, request)
        .await
        .map(|_| ())
        .map_err(crate::status::read_not_recorded)
}
