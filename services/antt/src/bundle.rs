//! The audit bundle: a stream's events with their inclusion proofs and the signed (and
//! cosigned) checkpoint they are proved in, as one JSON file that a third party checks
//! offline with `antt verify bundle FILE --key KEY`, trusting nothing but the key.
//!
//! Format `antt-ledger-audit-bundle/1`: `stream_id`, `effective_on_or_before` (ISO date or
//! null), `checkpoint` (the signed note text), and `events`, each with `position`,
//! `stream_version`, `event_type`, `canonical` (base64 of the canonical bytes the Merkle
//! leaf hashes; ARCHITECTURE.md), `chain_hash` (hex) and `inclusion_proof` (base64 hashes).

use std::fmt;
use std::path::Path;

use antt_audit::checkpoint::SignedCheckpoint;
use antt_audit::encoding::{base64, hex, parse_base64};
use antt_audit::merkle;
use antt_audit::note::Verifier;
use antt_log::codec;
use antt_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::audit::hashes;
use crate::error::CliError;

pub const BUNDLE_FORMAT: &str = "antt-ledger-audit-bundle/1";

#[derive(Debug, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub stream_id: String,
    pub effective_on_or_before: Option<String>,
    pub checkpoint: String,
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

/// What a bundle that checks out proves.
pub struct BundleReport {
    origin: String,
    tree_size: u64,
    stream_id: String,
    events: usize,
    cosigned_by: Vec<String>,
}

impl fmt::Display for BundleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bundle verified: {} events of stream {}, versions 0..{} with none missing, each proven in the tree of {} events of log {:?}; witnessed by {}",
            self.events,
            self.stream_id,
            self.events,
            self.tree_size,
            self.origin,
            if self.cosigned_by.is_empty() { "no witness given".to_string() } else { self.cosigned_by.join(", ") }
        )
    }
}

impl Bundle {
    pub fn new(stream_id: String, until: Option<&pb::Date>) -> Bundle {
        Bundle {
            format: BUNDLE_FORMAT.into(),
            stream_id,
            effective_on_or_before: until.map(|date| format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)),
            checkpoint: String::new(),
            events: Vec::new(),
        }
    }

    /// Adds one item of the server's export stream.
    pub fn add(&mut self, item: pb::ExportItem) -> Result<(), String> {
        match item.item {
            Some(pb::export_item::Item::Checkpoint(checkpoint)) => self.checkpoint = checkpoint.note,
            Some(pb::export_item::Item::Event(proven)) => {
                let event = proven.event.ok_or("the server sent a proven event without its event")?;
                let proof = proven.proof.ok_or("the server sent a proven event without its proof")?;
                self.events.push(BundleEvent {
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
        let bundle: Bundle = serde_json::from_str(&text)
            .map_err(|error| CliError::Input(format!("{} is not an audit bundle: {error}", path.display())))?;
        if bundle.format != BUNDLE_FORMAT {
            return Err(CliError::Input(format!("unknown bundle format {:?}", bundle.format)));
        }
        Ok(bundle)
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
        for (expected_version, event) in (0u64..).zip(&self.events) {
            let at = |reason: String| failed(format!("event at position {}: {reason}", event.position));
            let canonical =
                parse_base64(&event.canonical).ok_or_else(|| at("its canonical bytes are not base64".into()))?;
            let chain_hash = antt_audit::encoding::parse_hex(&event.chain_hash)
                .ok_or_else(|| at("its chain hash is not hex".into()))?;
            let decoded = codec::decode_record(&[canonical.as_slice(), &chain_hash].concat())
                .map_err(|error| at(format!("its canonical bytes do not decode: {error}")))?;
            if decoded.position != event.position
                || decoded.stream_id != self.stream_id
                || decoded.stream_version != expected_version
            {
                return Err(at(format!(
                    "its bytes say position {}, stream {:?}, version {}; the bundle needs version {expected_version} of {:?}",
                    decoded.position, decoded.stream_id, decoded.stream_version, self.stream_id
                )));
            }
            let proof: Vec<Vec<u8>> = event
                .inclusion_proof
                .iter()
                .map(|hash| parse_base64(hash).ok_or_else(|| at("a proof hash is not base64".into())))
                .collect::<Result<_, _>>()?;
            let leaf = merkle::leaf_hash(&canonical);
            merkle::verify_inclusion(
                &leaf,
                event.position,
                checkpoint.size,
                &hashes(&proof)?,
                &checkpoint.root,
            )
            .map_err(|error| at(format!("its inclusion proof fails: {error}")))?;
        }
        Ok(BundleReport {
            origin: checkpoint.origin.clone(),
            tree_size: checkpoint.size,
            stream_id: self.stream_id.clone(),
            events: self.events.len(),
            cosigned_by: cosigned.into_iter().map(|cosignature| cosignature.name).collect(),
        })
    }
}
