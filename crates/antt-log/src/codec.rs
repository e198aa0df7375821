//! The canonical byte encoding of a recorded event and the hash chain over it.
//!
//! # Format (version 1)
//! All integers are big-endian. A string is a `u32` byte length followed by UTF-8 bytes;
//! `bytes` is a `u32` length followed by the bytes; an optional UUID is one byte 0 (absent)
//! or 1 followed by its 16 bytes.
//!
//! ```text
//! u8      format version = 1
//! u64     position
//! string  stream_id
//! u64     stream_version
//! [16]    event_id
//! string  event_type
//! u32     schema_version
//! i64     recorded_at   (µs since 1970-01-01T00:00:00Z)
//! i64     effective_at  (µs since 1970-01-01T00:00:00Z)
//! string  actor
//! opt     correlation_id
//! opt     causation_id
//! u32     metadata entry count, then per entry in strictly ascending byte order of key:
//!         string key, string value
//! string  content_type
//! bytes   payload
//! ```
//!
//! `hash(p) = SHA-256(hash(p - 1) ‖ canonical(p))`, with `hash(-1)` = 32 zero bytes.
//! A stored record is `canonical ‖ hash` (32 bytes).
//!
//! *API Boundary:* this encoding is what the audit Merkle tree and every inspector's
//! proof rest on. It never changes meaning; a new layout gets a new format version and
//! old records keep decoding.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::event::{RecordedEvent, Timestamp};

/// The only format version this build writes.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes of the hash appended to each stored record.
pub const HASH_BYTES: usize = 32;

/// Why stored bytes are not a valid record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// The canonical bytes of an event (without its hash).
pub fn canonical_bytes(event: &RecordedEvent) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len_estimate(event));
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&event.position.to_be_bytes());
    put_str(&mut out, &event.stream_id);
    out.extend_from_slice(&event.stream_version.to_be_bytes());
    out.extend_from_slice(event.event_id.as_bytes());
    put_str(&mut out, &event.event_type);
    out.extend_from_slice(&event.schema_version.to_be_bytes());
    out.extend_from_slice(&event.recorded_at.0.to_be_bytes());
    out.extend_from_slice(&event.effective_at.0.to_be_bytes());
    put_str(&mut out, &event.actor);
    put_opt_uuid(&mut out, event.correlation_id);
    put_opt_uuid(&mut out, event.causation_id);
    put_len(&mut out, event.metadata.len());
    for (key, value) in &event.metadata {
        put_str(&mut out, key);
        put_str(&mut out, value);
    }
    put_str(&mut out, &event.content_type);
    put_bytes(&mut out, &event.payload);
    out
}

/// The chained hash of an event given the previous event's hash.
pub fn chain_hash(previous_hash: &[u8; HASH_BYTES], canonical: &[u8]) -> [u8; HASH_BYTES] {
    let mut hasher = Sha256::new();
    hasher.update(previous_hash);
    hasher.update(canonical);
    hasher.finalize().into()
}

/// Fills in `event.hash` from the previous hash and returns the stored record bytes.
pub fn seal(event: &mut RecordedEvent, previous_hash: &[u8; HASH_BYTES]) -> Vec<u8> {
    let mut record = canonical_bytes(event);
    event.hash = chain_hash(previous_hash, &record);
    record.extend_from_slice(&event.hash);
    record
}

/// Decodes a stored record (`canonical ‖ hash`). Checks structure only; the caller checks
/// the hash against the chain with [`verify_link`].
pub fn decode_record(record: &[u8]) -> Result<RecordedEvent, DecodeError> {
    decode_record_view(record).map(|view| view.to_event())
}

/// A stored record read in place: every field checked as [`decode_record`] checks it,
/// nothing copied. The scans at open and in verification read millions of records and
/// need only a few fields of each; an owned decode spent most of their time allocating.
#[derive(Clone, Copy, Debug)]
pub struct RecordView<'a> {
    pub position: u64,
    pub stream_id: &'a str,
    pub stream_version: u64,
    pub event_id: Uuid,
    pub event_type: &'a str,
    pub schema_version: u32,
    pub recorded_at: Timestamp,
    pub effective_at: Timestamp,
    pub actor: &'a str,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    /// The metadata entries as stored (count, then key and value strings), already
    /// checked: valid UTF-8, keys strictly ascending.
    metadata: (u32, &'a [u8]),
    pub content_type: &'a str,
    pub payload: &'a [u8],
    pub hash: [u8; HASH_BYTES],
}

impl RecordView<'_> {
    /// The owned event, as the log hands it out.
    pub fn to_event(&self) -> RecordedEvent {
        RecordedEvent {
            position: self.position,
            stream_id: self.stream_id.to_string(),
            stream_version: self.stream_version,
            event_id: self.event_id,
            event_type: self.event_type.to_string(),
            schema_version: self.schema_version,
            recorded_at: self.recorded_at,
            effective_at: self.effective_at,
            actor: self.actor.to_string(),
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            metadata: self
                .metadata_entries()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            content_type: self.content_type.to_string(),
            payload: self.payload.to_vec(),
            hash: self.hash,
        }
    }

    /// The metadata entries in key order.
    pub fn metadata_entries(&self) -> impl Iterator<Item = (&str, &str)> {
        let (count, bytes) = self.metadata;
        let mut reader = Reader { bytes };
        // Checked when the view was made, so every read here succeeds.
        (0..count).map_while(move |_| Some((reader.str("metadata key").ok()?, reader.str("metadata value").ok()?)))
    }
}

/// Reads a stored record (`canonical ‖ hash`) in place; see [`RecordView`].
pub fn decode_record_view(record: &[u8]) -> Result<RecordView<'_>, DecodeError> {
    if record.len() < HASH_BYTES + 1 {
        return Err(DecodeError(format!("record of {} bytes is too short", record.len())));
    }
    let (canonical, hash) = record.split_at(record.len() - HASH_BYTES);
    let mut reader = Reader { bytes: canonical };
    let format = reader.u8()?;
    if format != FORMAT_VERSION {
        return Err(DecodeError(format!("unknown record format version {format}")));
    }
    let position = reader.u64()?;
    let stream_id = reader.str("stream_id")?;
    let stream_version = reader.u64()?;
    let event_id = reader.uuid()?;
    let event_type = reader.str("event_type")?;
    let schema_version = reader.u32()?;
    let recorded_at = Timestamp(reader.i64()?);
    let effective_at = Timestamp(reader.i64()?);
    let actor = reader.str("actor")?;
    let correlation_id = reader.opt_uuid()?;
    let causation_id = reader.opt_uuid()?;
    let metadata = reader.metadata()?;
    let content_type = reader.str("content_type")?;
    let payload = reader.bytes()?;
    if !reader.bytes.is_empty() {
        return Err(DecodeError(format!(
            "{} trailing bytes after the payload",
            reader.bytes.len()
        )));
    }
    let mut stored_hash = [0u8; HASH_BYTES];
    stored_hash.copy_from_slice(hash);
    Ok(RecordView {
        position,
        stream_id,
        stream_version,
        event_id,
        event_type,
        schema_version,
        recorded_at,
        effective_at,
        actor,
        correlation_id,
        causation_id,
        metadata,
        content_type,
        payload,
        hash: stored_hash,
    })
}

/// Checks that a stored record's hash follows from the previous hash.
pub fn verify_link(record: &[u8], previous_hash: &[u8; HASH_BYTES]) -> Result<(), DecodeError> {
    if record.len() < HASH_BYTES {
        return Err(DecodeError("record shorter than its hash".into()));
    }
    let (canonical, stored) = record.split_at(record.len() - HASH_BYTES);
    if chain_hash(previous_hash, canonical).as_slice() != stored {
        return Err(DecodeError(
            "hash mismatch: the record or an earlier one was altered".into(),
        ));
    }
    Ok(())
}

/// Bytes of the canonical encoding, used to enforce size limits before sealing.
pub fn encoded_len_estimate(event: &RecordedEvent) -> usize {
    record_len_max(
        &event.stream_id,
        &event.event_type,
        &event.actor,
        &event.metadata,
        &event.content_type,
        event.payload.len(),
    )
}

/// Bytes of a stored record (canonical encoding and hash) with these variable fields,
/// counting both optional ids as present. The one size formula: the append byte limit
/// in [`crate::validate`] uses it too.
pub(crate) fn record_len_max(
    stream_id: &str,
    event_type: &str,
    actor: &str,
    metadata: &BTreeMap<String, String>,
    content_type: &str,
    payload_bytes: usize,
) -> usize {
    let metadata: usize = metadata.iter().map(|(k, v)| 8 + k.len() + v.len()).sum();
    1 + 8
        + 4
        + stream_id.len()
        + 8
        + 16
        + 4
        + event_type.len()
        + 4
        + 8
        + 8
        + 4
        + actor.len()
        + 17
        + 17
        + 4
        + metadata
        + 4
        + content_type.len()
        + 4
        + payload_bytes
        + HASH_BYTES
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // Every length is bounded by crate::limits far below u32::MAX before it gets here.
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
}

fn put_str(out: &mut Vec<u8>, value: &str) {
    put_bytes(out, value.as_bytes());
}

fn put_bytes(out: &mut Vec<u8>, value: &[u8]) {
    put_len(out, value.len());
    out.extend_from_slice(value);
}

fn put_opt_uuid(out: &mut Vec<u8>, value: Option<Uuid>) {
    match value {
        None => out.push(0),
        Some(id) => {
            out.push(1);
            out.extend_from_slice(id.as_bytes());
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.bytes.len() < n {
            return Err(DecodeError(format!(
                "record truncated: needed {n} more bytes, {} left",
                self.bytes.len()
            )));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    fn uuid(&mut self) -> Result<Uuid, DecodeError> {
        Ok(Uuid::from_bytes(self.array()?))
    }

    fn opt_uuid(&mut self) -> Result<Option<Uuid>, DecodeError> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(self.uuid()?)),
            flag => Err(DecodeError(format!("invalid optional-uuid flag {flag}"))),
        }
    }

    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    fn str(&mut self, what: &str) -> Result<&'a str, DecodeError> {
        let bytes = self.bytes()?;
        std::str::from_utf8(bytes).map_err(|_| DecodeError(format!("{what} is not valid UTF-8")))
    }

    /// The metadata entries, checked (UTF-8, keys strictly ascending), as the count and
    /// the bytes they take.
    fn metadata(&mut self) -> Result<(u32, &'a [u8]), DecodeError> {
        let count = self.u32()?;
        let start = self.bytes;
        let mut previous_key: Option<&str> = None;
        for _ in 0..count {
            let key = self.str("metadata key")?;
            self.str("metadata value")?;
            if previous_key.is_some_and(|previous| previous.as_bytes() >= key.as_bytes()) {
                return Err(DecodeError("metadata keys are not in strictly ascending order".into()));
            }
            previous_key = Some(key);
        }
        Ok((count, &start[..start.len() - self.bytes.len()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> RecordedEvent {
        RecordedEvent {
            position: 7,
            stream_id: "team-1".into(),
            stream_version: 2,
            event_id: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            event_type: "antt.v1.MemberAppointed".into(),
            schema_version: 1,
            recorded_at: Timestamp(1_700_000_000_000_000),
            effective_at: Timestamp(1_600_000_000_000_000),
            actor: "clerk@nga-son".into(),
            correlation_id: Some(Uuid::from_u128(1)),
            causation_id: None,
            metadata: BTreeMap::from([("decision".to_string(), "710/QĐ-UBND".to_string())]),
            content_type: "application/json".into(),
            payload: b"{\"role\":\"leader\"}".to_vec(),
            hash: [0; 32],
        }
    }

    #[test]
    fn encoding_is_pinned_for_a_known_event() {
        // Pins the format: if this hash changes, every stored chain and audit proof breaks.
        let mut event = sample();
        let record = seal(&mut event, &[0; 32]);
        let hex: String = event.hash.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(record.len(), canonical_bytes(&event).len() + HASH_BYTES);
        assert_eq!(&record[..9], &[1, 0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(hex, PINNED_HASH_HEX);
    }

    const PINNED_HASH_HEX: &str = "1de2f17f4a772ff87c692334db8d85204285fef6631eac5b121184b6c7f80358";

    #[test]
    fn tampering_with_any_byte_breaks_the_link() {
        let mut event = sample();
        let record = seal(&mut event, &[9; 32]);
        assert!(verify_link(&record, &[9; 32]).is_ok());
        assert!(verify_link(&record, &[8; 32]).is_err());
        for index in 0..record.len() {
            let mut altered = record.clone();
            altered[index] ^= 0x01;
            assert!(verify_link(&altered, &[9; 32]).is_err(), "byte {index}");
        }
    }

    #[test]
    fn decoding_rejects_trailing_bytes_and_unknown_versions() {
        let mut event = sample();
        let record = seal(&mut event, &[0; 32]);
        let mut canonical = record[..record.len() - HASH_BYTES].to_vec();
        canonical.push(0);
        canonical.extend_from_slice(&event.hash);
        assert!(decode_record(&canonical).is_err());
        let mut unknown = record.clone();
        unknown[0] = 2;
        assert!(decode_record(&unknown).is_err());
        assert!(decode_record(&record[..10]).is_err());
    }

    #[test]
    fn metadata_keys_out_of_order_do_not_decode() {
        let mut event = sample();
        event.metadata = BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]);
        let record = seal(&mut event, &[0; 32]);
        assert_eq!(decode_record_view(&record).unwrap().metadata_entries().count(), 2);
        let entry = |key: &[u8], value: &[u8]| [&[0, 0, 0, 1], key, &[0, 0, 0, 1], value].concat();
        let in_order = [entry(b"a", b"1"), entry(b"b", b"2")].concat();
        let swapped = [entry(b"b", b"2"), entry(b"a", b"1")].concat();
        let at = record
            .windows(in_order.len())
            .position(|window| window == in_order.as_slice())
            .unwrap();
        let mut tampered = record.clone();
        tampered[at..at + swapped.len()].copy_from_slice(&swapped);
        let error = decode_record_view(&tampered).unwrap_err();
        assert!(error.0.contains("ascending"), "{error}");
        assert!(decode_record(&tampered).is_err());
    }

    proptest! {
        #[test]
        fn round_trips(
            position in any::<u64>(),
            stream_id in ".{0,40}",
            stream_version in any::<u64>(),
            id in any::<u128>(),
            event_type in "[a-zA-Z.]{1,30}",
            schema_version in any::<u32>(),
            recorded in any::<i64>(),
            effective in any::<i64>(),
            actor in ".{0,20}",
            correlation in proptest::option::of(any::<u128>()),
            causation in proptest::option::of(any::<u128>()),
            metadata in proptest::collection::btree_map(".{0,8}", ".{0,16}", 0..5),
            content_type in ".{0,20}",
            payload in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut event = RecordedEvent {
                position, stream_id, stream_version, event_id: Uuid::from_u128(id), event_type,
                schema_version, recorded_at: Timestamp(recorded), effective_at: Timestamp(effective),
                actor, correlation_id: correlation.map(Uuid::from_u128),
                causation_id: causation.map(Uuid::from_u128), metadata, content_type, payload,
                hash: [0; 32],
            };
            let record = seal(&mut event, &[3; 32]);
            prop_assert_eq!(decode_record(&record).unwrap(), event);
            prop_assert!(verify_link(&record, &[3; 32]).is_ok());
        }
    }
}
