//! `antt admin backup`: the log's events at positions `0..P`, read over gRPC while the
//! server keeps running and taking writes, into one backup file.
//!
//! P is the committed head when the backup starts (the server signs a checkpoint of it
//! first, `CreateCheckpoint`), or `--to-position`. The log is append-only and chained, so
//! the prefix `0..P` never changes while later events are appended: one `ReadAll` with
//! `max_count = P` reads a consistent state. Every event is checked as it arrives: its
//! position, and its hash against SHA-256(previous hash ‖ its canonical bytes) rebuilt
//! from the wire fields, so a field that did not survive the wire, or a server sending
//! another history, fails the backup instead of producing a file that restores wrong. The
//! Merkle root at P is computed from the events and proved against the server's own tree
//! (an inclusion proof of the last event in the tree of size P), and a signed checkpoint
//! at or below P is checked against the log's key and kept in the manifest.

use std::path::{Path, PathBuf};
use std::time::Duration;

use antt_audit::checkpoint::SignedCheckpoint;
use antt_audit::encoding::hex;
use antt_audit::merkle::{self, Frontier, Hash};
use antt_log::codec;
use antt_proto::v1 as pb;
use antt_proto::v1::audit_client::AuditClient;
use antt_proto::v1::event_store_client::EventStoreClient;
use clap::Args;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::backup::format::{BackupWriter, Manifest, ManifestCheckpoint, FORMAT_NAME, FORMAT_VERSION};
use crate::backup::limits::READ_MESSAGE_WAIT_SECS_MAX;
use crate::backup::{progress_bar, AtomicFile};
use crate::client;
use crate::dates::format_time;
use crate::error::CliError;

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The backup file to write, or an existing directory to write
    /// `antt-log-<position>.anttbak` in. Never overwritten.
    #[arg(long)]
    pub out: PathBuf,
    /// Back up positions 0..P [default: the committed head when the backup starts].
    #[arg(long, value_name = "P")]
    pub to_position: Option<u64>,
}

/// What the backup will be of.
struct Target {
    position: u64,
    checkpoint: Option<pb::SignedCheckpoint>,
}

pub async fn run(server: &str, args: BackupArgs) -> Result<(), CliError> {
    let channel = client::connected(server).await?;
    let mut audit = AuditClient::new(channel.clone());
    let key = audit.get_public_key(pb::GetPublicKeyRequest {}).await?.into_inner();
    let verifier = crate::audit::parse_key(&key.verifier_key)?;
    let started = now();
    let target = target(&channel, args.to_position).await?;
    let checkpoint = match &target.checkpoint {
        Some(signed) => Some(check_checkpoint(signed, &verifier)?),
        None => None,
    };
    let out = output_path(&args.out, target.position);
    let (file, handle) = AtomicFile::create(&out)?;
    let mut writer = BackupWriter::new(handle).map_err(|error| write_error(&out, error))?;
    let read = read_into(&channel, target.position, checkpoint.as_ref(), &mut writer, &out).await?;
    prove_root(&mut audit, target.position, &read).await?;
    let manifest = Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        record_format_version: codec::FORMAT_VERSION,
        created_at: started,
        source: server.to_string(),
        log_origin: key.origin,
        log_verifier_key: key.verifier_key,
        position: target.position,
        head_hash: hex(&read.last_hash),
        merkle_root: hex(&read.root),
        checkpoint: target.checkpoint.map(|signed| ManifestCheckpoint {
            tree_size: signed.tree_size,
            root_hash: hex(&signed.root_hash),
            note: signed.note,
        }),
        chunks: Vec::new(),
    };
    let manifest = writer.finish(manifest).map_err(|error| write_error(&out, error))?;
    file.commit()?;
    println!("backup: {}", out.display());
    println!("position: {} (events 0..{})", manifest.position, manifest.position);
    println!("head hash: {}", manifest.head_hash);
    println!("merkle root: {}", manifest.merkle_root);
    match &manifest.checkpoint {
        Some(checkpoint) => println!("signed checkpoint: tree size {}", checkpoint.tree_size),
        None => println!("signed checkpoint: none at or below the position"),
    }
    println!("chunks: {}", manifest.chunks.len());
    Ok(())
}

/// P and the checkpoint to keep. By default the server signs its committed head now and
/// P is that head; with `--to-position` the checkpoint is the one made at P, or the latest
/// if it is below P.
async fn target(channel: &crate::client::Conn, to_position: Option<u64>) -> Result<Target, CliError> {
    let mut audit = AuditClient::new(channel.clone());
    let Some(position) = to_position else {
        let signed = audit
            .create_checkpoint(pb::CreateCheckpointRequest {})
            .await?
            .into_inner();
        return Ok(Target {
            position: signed.tree_size,
            checkpoint: Some(signed),
        });
    };
    let head = EventStoreClient::new(channel.clone())
        .get_head(pb::GetHeadRequest {})
        .await?
        .into_inner();
    if position > head.next_position {
        return Err(CliError::Input(format!(
            "--to-position {position} is beyond the committed head ({} events)",
            head.next_position
        )));
    }
    let checkpoint = match audit
        .get_checkpoint(pb::GetCheckpointRequest { tree_size: position })
        .await
    {
        Ok(signed) => Some(signed.into_inner()),
        Err(status) if status.code() == Code::NotFound || status.code() == Code::InvalidArgument => {
            let latest = audit.get_checkpoint(pb::GetCheckpointRequest { tree_size: 0 }).await;
            match latest {
                Ok(signed) => Some(signed.into_inner()).filter(|signed| signed.tree_size <= position),
                Err(status) if status.code() == Code::NotFound => None,
                Err(status) => return Err(status.into()),
            }
        }
        Err(status) => return Err(status.into()),
    };
    Ok(Target { position, checkpoint })
}

/// A checkpoint the log's key signed, with the size and root it commits to.
fn check_checkpoint(
    signed: &pb::SignedCheckpoint,
    verifier: &antt_audit::note::Verifier,
) -> Result<(u64, Hash), CliError> {
    let parsed = SignedCheckpoint::parse_and_verify(&signed.note, verifier)
        .map_err(|error| CliError::Failed(format!("the server's checkpoint does not verify with its key: {error}")))?;
    if parsed.checkpoint.size != signed.tree_size || parsed.checkpoint.root[..] != signed.root_hash[..] {
        return Err(CliError::Failed(
            "the server's checkpoint note does not say the size and root it was sent with".into(),
        ));
    }
    Ok((parsed.checkpoint.size, parsed.checkpoint.root))
}

/// What reading the events gave.
struct Read {
    last_hash: Hash,
    root: Hash,
    /// The leaf hash of the last event (for the inclusion proof).
    last_leaf: Option<Hash>,
}

/// Streams positions `0..position`, checking each event and writing its stored record.
async fn read_into(
    channel: &crate::client::Conn,
    position: u64,
    checkpoint: Option<&(u64, Hash)>,
    writer: &mut BackupWriter,
    out: &Path,
) -> Result<Read, CliError> {
    let mut read = Read {
        last_hash: [0; 32],
        root: merkle::empty_root(),
        last_leaf: None,
    };
    let mut frontier = Frontier::new();
    check_checkpoint_root(checkpoint, &frontier)?;
    if position == 0 {
        return Ok(read);
    }
    let bar = progress_bar(position, "events backed up");
    let request = pb::ReadAllRequest {
        from_position: 0,
        filter: None,
        max_count: position,
    };
    let mut stream = EventStoreClient::new(channel.clone())
        .read_all(request)
        .await?
        .into_inner();
    let wait = Duration::from_secs(READ_MESSAGE_WAIT_SECS_MAX);
    let mut completed = Vec::new();
    while frontier.size() < position {
        let next = tokio::time::timeout(wait, stream.next()).await.map_err(|_| {
            CliError::Failed(format!(
                "the server sent nothing for {READ_MESSAGE_WAIT_SECS_MAX} s at position {}",
                frontier.size()
            ))
        })?;
        let event = match next {
            Some(event) => event?,
            None => {
                return Err(CliError::Failed(format!(
                    "the server's stream ended at position {} of {position}",
                    frontier.size()
                )))
            }
        };
        let record = checked_record(&event, frontier.size(), &read.last_hash)?;
        let leaf = merkle::leaf_hash(&record[..record.len() - codec::HASH_BYTES]);
        completed.clear();
        frontier.push(leaf, &mut completed);
        read.last_hash
            .copy_from_slice(&record[record.len() - codec::HASH_BYTES..]);
        read.last_leaf = Some(leaf);
        writer.push(&record).map_err(|error| write_error(out, error))?;
        check_checkpoint_root(checkpoint, &frontier)?;
        bar.set_position(frontier.size());
    }
    bar.finish_and_clear();
    read.root = frontier.root();
    Ok(read)
}

/// At the checkpoint's size, the root of what was read must be the one it signed.
fn check_checkpoint_root(checkpoint: Option<&(u64, Hash)>, frontier: &Frontier) -> Result<(), CliError> {
    match checkpoint {
        Some((size, root)) if *size == frontier.size() && frontier.root() != *root => Err(CliError::Failed(format!(
            "the events read do not have the root the server signed for its first {size} events"
        ))),
        _ => Ok(()),
    }
}

/// The stored record (`canonical ‖ hash`) of a wire event, after checking that it is the
/// one expected at `position` and that its hash follows from `previous`.
fn checked_record(event: &pb::RecordedEvent, position: u64, previous: &Hash) -> Result<Vec<u8>, CliError> {
    if event.position != position {
        return Err(CliError::Failed(format!(
            "the server sent position {} where {position} was expected",
            event.position
        )));
    }
    let log_event = log_event(event).map_err(|reason| CliError::Failed(format!("position {position}: {reason}")))?;
    let mut record = codec::canonical_bytes(&log_event);
    if codec::chain_hash(previous, &record) != log_event.hash {
        return Err(CliError::Failed(format!(
            "position {position}: the event's hash does not follow from the previous hash and its fields"
        )));
    }
    record.extend_from_slice(&log_event.hash);
    Ok(record)
}

/// The log's own event from its wire form, refusing anything that could not hash back.
pub fn log_event(event: &pb::RecordedEvent) -> Result<antt_log::RecordedEvent, String> {
    let uuid =
        |field: &str, text: &str| uuid::Uuid::try_parse(text).map_err(|_| format!("{field} {text:?} is not a UUID"));
    let optional = |field: &str, text: &str| (!text.is_empty()).then(|| uuid(field, text)).transpose();
    let hash: [u8; 32] = event
        .hash
        .as_slice()
        .try_into()
        .map_err(|_| format!("a hash of {} bytes", event.hash.len()))?;
    Ok(antt_log::RecordedEvent {
        position: event.position,
        stream_id: event.stream_id.clone(),
        stream_version: event.stream_version,
        event_id: uuid("event_id", &event.event_id)?,
        event_type: event.event_type.clone(),
        schema_version: event.schema_version,
        recorded_at: micros("recorded_at", event.recorded_at.as_ref())?,
        effective_at: micros("effective_at", event.effective_at.as_ref())?,
        actor: event.actor.clone(),
        correlation_id: optional("correlation_id", &event.correlation_id)?,
        causation_id: optional("causation_id", &event.causation_id)?,
        metadata: event.metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        content_type: event.content_type.clone(),
        payload: event.payload.clone(),
        hash,
    })
}

/// A wire timestamp as the log's microseconds (the server keeps no finer precision).
fn micros(field: &str, timestamp: Option<&prost_types::Timestamp>) -> Result<antt_log::Timestamp, String> {
    let timestamp = timestamp.ok_or_else(|| format!("{field} is missing"))?;
    if !(0..1_000_000_000).contains(&timestamp.nanos) || timestamp.nanos % 1000 != 0 {
        return Err(format!("{field} is not a whole number of microseconds"));
    }
    timestamp
        .seconds
        .checked_mul(1_000_000)
        .and_then(|micros| micros.checked_add(i64::from(timestamp.nanos / 1000)))
        .map(antt_log::Timestamp)
        .ok_or_else(|| format!("{field} is out of range"))
}

/// The server's tree of size P must have the root computed from the events: the
/// inclusion proof of the last event in it, checked against that root.
async fn prove_root(audit: &mut AuditClient<crate::client::Conn>, position: u64, read: &Read) -> Result<(), CliError> {
    let Some(leaf) = read.last_leaf else {
        return Ok(());
    };
    let proof = audit
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            position: position - 1,
            tree_size: position,
        })
        .await?
        .into_inner();
    let hashes = proof
        .hashes
        .iter()
        .map(|hash| hash.as_slice().try_into())
        .collect::<Result<Vec<Hash>, _>>()
        .map_err(|_| CliError::Failed("the server's inclusion proof has a hash that is not 32 bytes".into()))?;
    merkle::verify_inclusion(&leaf, position - 1, position, &hashes, &read.root).map_err(|error| {
        CliError::Failed(format!(
            "the server's Merkle tree of {position} events does not have the root of the events read: {error}"
        ))
    })
}

fn output_path(out: &Path, position: u64) -> PathBuf {
    if out.is_dir() {
        out.join(format!("antt-log-{position}.anttbak"))
    } else {
        out.to_path_buf()
    }
}

fn write_error(path: &Path, error: std::io::Error) -> CliError {
    CliError::Input(format!("cannot write {}: {error}", path.display()))
}

fn now() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format_time(&prost_types::Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(since.subsec_nanos()).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_times_must_be_whole_microseconds() {
        let at = |seconds, nanos| Some(prost_types::Timestamp { seconds, nanos });
        assert_eq!(micros("t", at(1, 2_000).as_ref()), Ok(antt_log::Timestamp(1_000_002)));
        assert_eq!(micros("t", at(-1, 999_999_000).as_ref()), Ok(antt_log::Timestamp(-1)));
        assert!(micros("t", at(1, 1).as_ref()).is_err());
        assert!(micros("t", None).is_err());
        assert!(micros("t", at(i64::MAX, 0).as_ref()).is_err());
    }
}
