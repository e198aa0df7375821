//! The audit bundle: records' events with their inclusion proofs and the signed (and
//! cosigned) checkpoint they are proved in, as one JSON file that a third party checks
//! offline with `antt verify bundle FILE --key KEY`, trusting nothing but the key.
//!
//! Format `antt-ledger-audit-bundle/2`: `effective_on_or_before` (ISO date or null),
//! `area` (for an area's export: the area, whether the areas under it are covered, and
//! the areas covered; null for one stream's), `checkpoint` (the signed note text), and
//! `streams`, each with `stream_id`, `kind` and `events`, each event with `position`,
//! `stream_version`, `event_type`, `canonical` (base64 of the canonical bytes the Merkle
//! leaf hashes; ARCHITECTURE.md), `chain_hash` (hex) and `inclusion_proof` (base64
//! hashes). Format `/1` (one stream: `stream_id` and `events` at the top) is still read.
//!
//! What the check proves: every event is in the log at the checkpoint, with the bytes
//! shown, and each stream's versions run from 0 with none missing up to its last event
//! effective on or before the date (a later-dated event recorded between them is carried
//! and counted). What it cannot prove: that no record of the area is left out; which
//! records lie in an area is the projections' answer, not the log's.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use antt_audit::checkpoint::{Checkpoint, SignedCheckpoint};
use antt_audit::encoding::{base64, hex, parse_base64};
use antt_audit::merkle;
use antt_audit::note::Verifier;
use antt_domain::Date;
use antt_log::codec;
use antt_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::audit::hashes;
use crate::error::CliError;

pub const BUNDLE_FORMAT: &str = "antt-ledger-audit-bundle/2";
/// One stream's bundle, as written before area exports.
const BUNDLE_FORMAT_1: &str = "antt-ledger-audit-bundle/1";

#[derive(Debug, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub effective_on_or_before: Option<String>,
    pub area: Option<AreaClaim>,
    pub checkpoint: String,
    pub streams: Vec<BundleStream>,
}

/// What an area's export claims to cover (the server's word: see the module's comment).
#[derive(Debug, Serialize, Deserialize)]
pub struct AreaClaim {
    pub area_id: String,
    pub name: String,
    pub code: String,
    pub include_subtree: bool,
    /// The areas whose records are exported, the area first, as the tree stood on the date.
    pub areas: Vec<String>,
    /// How many streams the server said follow.
    pub streams: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct BundleStream {
    pub stream_id: String,
    pub kind: String,
    pub events: Vec<BundleEvent>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct BundleEvent {
    pub position: u64,
    pub stream_version: u64,
    pub event_type: String,
    pub canonical: String,
    pub chain_hash: String,
    pub inclusion_proof: Vec<String>,
}

/// A bundle of format `/1`.
#[derive(Deserialize)]
struct BundleOne {
    stream_id: String,
    effective_on_or_before: Option<String>,
    checkpoint: String,
    events: Vec<BundleEvent>,
}

/// What a bundle that checks out proves.
pub struct BundleReport {
    origin: String,
    tree_size: u64,
    scope: String,
    streams: usize,
    events: usize,
    later_events: usize,
    cosigned_by: Vec<String>,
}

impl fmt::Display for BundleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let later = match self.later_events {
            0 => String::new(),
            n => format!(" ({n} of them effective after the date, recorded between earlier ones)"),
        };
        write!(
            f,
            "bundle verified: {} events{later} of {}, {} stream(s), each stream's versions from 0 with none missing, each event proven in the tree of {} events of log {:?}; witnessed by {}",
            self.events,
            self.scope,
            self.streams,
            self.tree_size,
            self.origin,
            if self.cosigned_by.is_empty() { "no witness given".to_string() } else { self.cosigned_by.join(", ") }
        )
    }
}

impl Bundle {
    /// An empty bundle; `stream_id` for one stream's export (whose events come without
    /// a stream item before them).
    pub fn new(stream_id: Option<String>, until: Option<&pb::Date>) -> Bundle {
        Bundle {
            format: BUNDLE_FORMAT.into(),
            effective_on_or_before: until.map(iso_date),
            area: None,
            checkpoint: String::new(),
            streams: stream_id
                .into_iter()
                .map(|stream_id| BundleStream {
                    stream_id,
                    kind: String::new(),
                    events: Vec::new(),
                })
                .collect(),
        }
    }

    pub fn events(&self) -> usize {
        self.streams.iter().map(|stream| stream.events.len()).sum()
    }

    /// Adds one item of the server's export stream.
    pub fn add(&mut self, item: pb::ExportItem) -> Result<(), String> {
        match item.item {
            Some(pb::export_item::Item::Checkpoint(checkpoint)) => self.checkpoint = checkpoint.note,
            Some(pb::export_item::Item::Scope(scope)) => {
                let area = scope.area.ok_or("the server sent an export scope without its area")?;
                self.effective_on_or_before = scope.effective_on_or_before.as_ref().map(iso_date);
                self.area = Some(AreaClaim {
                    area_id: area.area_id,
                    name: area.name,
                    code: area.code,
                    include_subtree: scope.include_subtree,
                    areas: scope.areas.into_iter().map(|node| node.area_id).collect(),
                    streams: scope.streams,
                });
            }
            Some(pb::export_item::Item::Stream(stream)) => self.streams.push(BundleStream {
                stream_id: stream.stream_id,
                kind: stream.kind,
                events: Vec::new(),
            }),
            Some(pb::export_item::Item::Event(proven)) => {
                let event = proven.event.ok_or("the server sent a proven event without its event")?;
                let proof = proven.proof.ok_or("the server sent a proven event without its proof")?;
                let stream = self
                    .streams
                    .last_mut()
                    .ok_or("the server sent an event before naming its stream")?;
                stream.events.push(BundleEvent {
                    position: event.position,
                    stream_version: event.stream_version,
                    event_type: event.event_type,
                    canonical: base64(&proven.canonical),
                    chain_hash: hex(&event.hash),
                    inclusion_proof: proof.hashes.iter().map(|hash| base64(hash)).collect(),
                });
            }
            None => return Err("the server sent an empty export item".into()),
        }
        Ok(())
    }

    pub fn tree_size(&self) -> Option<u64> {
        SignedCheckpoint::parse_unverified(&self.checkpoint)
            .ok()
            .map(|signed| signed.checkpoint.size)
    }

    pub fn write(&self, path: &Path) -> Result<(), CliError> {
        let text = serde_json::to_string_pretty(self).map_err(|error| CliError::Input(error.to_string()))?;
        std::fs::write(path, text).map_err(CliError::Output)
    }

    pub fn read(path: &Path) -> Result<Bundle, CliError> {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        let not_a_bundle =
            |error: serde_json::Error| CliError::Input(format!("{} is not an audit bundle: {error}", path.display()));
        let value: serde_json::Value = serde_json::from_str(&text).map_err(not_a_bundle)?;
        match value.get("format").and_then(|format| format.as_str()) {
            Some(BUNDLE_FORMAT) => serde_json::from_value(value).map_err(not_a_bundle),
            Some(BUNDLE_FORMAT_1) => {
                let one: BundleOne = serde_json::from_value(value).map_err(not_a_bundle)?;
                let mut bundle = Bundle::new(Some(one.stream_id), None);
                bundle.effective_on_or_before = one.effective_on_or_before;
                bundle.checkpoint = one.checkpoint;
                bundle.streams[0].events = one.events;
                Ok(bundle)
            }
            format => Err(CliError::Input(format!("unknown bundle format {format:?}"))),
        }
    }

    /// Checks everything offline: the checkpoint's signature and cosignatures, every
    /// event's canonical bytes against its stream, position and version, and every
    /// inclusion proof against the checkpoint's root.
    pub fn verify(
        &self,
        key: &Verifier,
        witnesses: &[Verifier],
        min_cosignatures: usize,
    ) -> Result<BundleReport, CliError> {
        let failed = |reason: String| CliError::Failed(format!("the bundle does NOT verify: {reason}"));
        let signed = SignedCheckpoint::parse_and_verify(&self.checkpoint, key)
            .map_err(|error| failed(format!("its checkpoint is not signed by {key}: {error}")))?;
        let cosigned = signed
            .cosignatures(witnesses)
            .map_err(|error| failed(format!("a cosignature is invalid: {error}")))?;
        if cosigned.len() < min_cosignatures {
            return Err(failed(format!(
                "{} valid cosignatures, {min_cosignatures} required",
                cosigned.len()
            )));
        }
        let checkpoint = &signed.checkpoint;
        let until = self
            .effective_on_or_before
            .as_deref()
            .map(crate::dates::parse_day)
            .transpose()
            .map_err(|error| failed(format!("its date: {error}")))?;
        let mut seen = HashSet::new();
        let mut later_events = 0;
        for stream in &self.streams {
            if !seen.insert(stream.stream_id.as_str()) {
                return Err(failed(format!("stream {:?} is listed twice", stream.stream_id)));
            }
            later_events += verify_stream(stream, checkpoint, until).map_err(failed)?;
        }
        let scope = match &self.area {
            Some(area) if area.streams != self.streams.len() as u64 => {
                return Err(failed(format!(
                    "its scope says {} streams, it carries {}",
                    area.streams,
                    self.streams.len()
                )))
            }
            Some(area) => format!(
                "area {} ({}{}){}, {} area(s), up to {}",
                area.area_id,
                area.name,
                if area.code.is_empty() {
                    String::new()
                } else {
                    format!(", code {}", area.code)
                },
                if area.include_subtree {
                    " with the areas under it"
                } else {
                    " alone"
                },
                area.areas.len(),
                self.effective_on_or_before.as_deref().unwrap_or("today"),
            ),
            None => match self.streams.as_slice() {
                [one] => format!("stream {}", one.stream_id),
                _ => "the streams listed".to_string(),
            },
        };
        Ok(BundleReport {
            origin: checkpoint.origin.clone(),
            tree_size: checkpoint.size,
            scope,
            streams: self.streams.len(),
            events: self.events(),
            later_events,
            cosigned_by: cosigned.into_iter().map(|cosignature| cosignature.name).collect(),
        })
    }
}

/// Checks one stream's events: each decodes from its bytes as the event of this stream
/// at its position, versions run from 0 with none missing, the last is effective on or
/// before `until`, and each is proven in the checkpoint's tree. Returns how many are
/// effective after `until`.
fn verify_stream(stream: &BundleStream, checkpoint: &Checkpoint, until: Option<Date>) -> Result<usize, String> {
    let mut later = 0;
    for (expected_version, event) in (0u64..).zip(&stream.events) {
        let at = |reason: String| format!("event at position {}: {reason}", event.position);
        let canonical =
            parse_base64(&event.canonical).ok_or_else(|| at("its canonical bytes are not base64".into()))?;
        let chain_hash =
            antt_audit::encoding::parse_hex(&event.chain_hash).ok_or_else(|| at("its chain hash is not hex".into()))?;
        let decoded = codec::decode_record(&[canonical.as_slice(), &chain_hash].concat())
            .map_err(|error| at(format!("its canonical bytes do not decode: {error}")))?;
        if decoded.position != event.position
            || decoded.stream_id != stream.stream_id
            || decoded.stream_version != expected_version
        {
            return Err(at(format!(
                "its bytes say position {}, stream {:?}, version {}; the bundle needs version {expected_version} of {:?}",
                decoded.position, decoded.stream_id, decoded.stream_version, stream.stream_id
            )));
        }
        let effective = Date::from_unix_micros(decoded.effective_at.as_micros());
        if until.is_some_and(|until| effective > until) {
            if expected_version + 1 == stream.events.len() as u64 {
                return Err(at(format!(
                    "the stream's last event is effective on {effective}, after the bundle's date"
                )));
            }
            later += 1;
        }
        let proof: Vec<Vec<u8>> = event
            .inclusion_proof
            .iter()
            .map(|hash| parse_base64(hash).ok_or_else(|| at("a proof hash is not base64".into())))
            .collect::<Result<_, _>>()?;
        let proof = hashes(&proof).map_err(|error| at(error.to_string()))?;
        merkle::verify_inclusion(
            &merkle::leaf_hash(&canonical),
            event.position,
            checkpoint.size,
            &proof,
            &checkpoint.root,
        )
        .map_err(|error| at(format!("its inclusion proof fails: {error}")))?;
    }
    Ok(later)
}

fn iso_date(date: &pb::Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
}
