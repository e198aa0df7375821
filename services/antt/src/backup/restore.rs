//! `antt admin restore`: a new data directory from a log backup, verified before use.
//!
//! 1. The backup's trailer, manifest and chunk layout are checked; its signed checkpoint,
//!    if any, is checked against the log's key (`--key`, or the one the manifest names).
//! 2. The records are imported into a staging directory beside the target through
//!    `antt_log::sled_log::Importer`, chunk by chunk, each chunk against its SHA-256 and
//!    each record against the hash chain recomputed from the one before.
//! 3. The imported head (size, chain hash, Merkle root recomputed) must be the manifest's.
//! 4. The full `antt admin verify` runs on the staging directory (every record, stream
//!    versions, times, ids, chain, stored tree, anchor), and the root at the checkpoint's
//!    size must be the signed one.
//! 5. Only then is the staging directory renamed onto the target. On any failure it is
//!    removed: no half-restored directory is ever left where a server would start.
//!
//! Projections are not in the backup: anttd builds them from the log when it starts on
//! the restored directory (a missing `projections/` is a fresh generation that catches
//! up). The checkpoint signing key and the key store are not in it either.

use std::path::{Path, PathBuf};

use antt_audit::checkpoint::SignedCheckpoint;
use antt_audit::encoding::{hex, parse_hex};
use antt_audit::merkle::Hash;
use antt_log::sled_log::{verify, ImportError, Importer, VerifyError};
use clap::Args;

use crate::backup::format::{BackupReader, FormatError, Manifest};
use crate::backup::{progress_bar, Staging};
use crate::error::CliError;

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup file (`antt admin backup --out …`).
    #[arg(long)]
    pub from: PathBuf,
    /// The new data directory to write; it must not exist or be empty.
    #[arg(long)]
    pub data: PathBuf,
    /// The log's verifier key to check the backup's signed checkpoint with [default: the
    /// key the backup names, which only shows the file is self-consistent].
    #[arg(long, env = "ANTT_LOG_KEY")]
    pub key: Option<String>,
}

pub async fn run(args: RestoreArgs) -> Result<(), CliError> {
    tokio::task::spawn_blocking(move || restore_blocking(&args))
        .await
        .map_err(|error| CliError::Verify(error.to_string()))?
}

/// The checkpoint a restore checks the restored tree against.
struct Expected {
    size: u64,
    root: Hash,
}

fn restore_blocking(args: &RestoreArgs) -> Result<(), CliError> {
    let mut reader = BackupReader::open(&args.from).map_err(format_error)?;
    let manifest = reader.manifest().clone();
    let checkpoint = checked_checkpoint(&manifest, args.key.as_deref())?;
    let staging = Staging::beside(&args.data)?;
    let head = import(&mut reader, &manifest, staging.path())?;
    check_head(&manifest, head.size, &head.last_hash, &head.tree_root)?;
    verify_restored(staging.path(), &manifest, checkpoint.as_ref())?;
    staging.commit(&args.data)?;
    println!("restored: {}", args.data.display());
    println!("events: {}", manifest.position);
    println!("head hash: {}", manifest.head_hash);
    println!("merkle root: {}", manifest.merkle_root);
    match &checkpoint {
        Some(checkpoint) => println!("signed checkpoint: tree size {}, root matches", checkpoint.size),
        None => println!("signed checkpoint: none in the backup"),
    }
    println!("verified: every record, the whole chain, the Merkle tree and the head anchor");
    println!("projections: built from the log by anttd when it starts on this directory");
    Ok(())
}

/// The manifest's signed checkpoint, checked with the key given (or the one it names).
fn checked_checkpoint(manifest: &Manifest, key: Option<&str>) -> Result<Option<Expected>, CliError> {
    let Some(checkpoint) = &manifest.checkpoint else {
        return Ok(None);
    };
    let verifier = crate::audit::parse_key(key.unwrap_or(&manifest.log_verifier_key))?;
    let signed = SignedCheckpoint::parse_and_verify(&checkpoint.note, &verifier)
        .map_err(|error| CliError::Failed(format!("the backup's signed checkpoint does not verify: {error}")))?;
    if signed.checkpoint.size != checkpoint.tree_size
        || hex(&signed.checkpoint.root) != checkpoint.root_hash
        || signed.checkpoint.size > manifest.position
    {
        return Err(CliError::Failed(
            "the backup's signed checkpoint is not of the size and root its manifest says, within the backup".into(),
        ));
    }
    Ok(Some(Expected {
        size: signed.checkpoint.size,
        root: signed.checkpoint.root,
    }))
}

fn import(
    reader: &mut BackupReader,
    manifest: &Manifest,
    dir: &Path,
) -> Result<antt_log::sled_log::AnchoredHead, CliError> {
    let mut importer = Importer::create(dir).map_err(import_error)?;
    let bar = progress_bar(manifest.position, "events restored");
    for chunk in &manifest.chunks {
        let records = reader.read_chunk(chunk).map_err(format_error)?;
        importer.push(&records).map_err(import_error)?;
        bar.set_position(importer.size());
    }
    bar.finish_and_clear();
    if let Some(checkpoint) = &manifest.checkpoint {
        importer
            .save_checkpoint(checkpoint.tree_size, &checkpoint.note)
            .map_err(import_error)?;
    }
    importer.finish().map_err(import_error)
}

/// What was imported must be what the backup says it holds.
fn check_head(manifest: &Manifest, size: u64, last_hash: &Hash, root: &Hash) -> Result<(), CliError> {
    let same = |text: &str, hash: &Hash| parse_hex(text).is_some_and(|bytes| bytes[..] == hash[..]);
    if size != manifest.position || !same(&manifest.head_hash, last_hash) || !same(&manifest.merkle_root, root) {
        return Err(CliError::Damaged(format!(
            "the restored log ({size} events, head hash {}, merkle root {}) is not the one the backup names ({} events, head hash {}, merkle root {})",
            hex(last_hash),
            hex(root),
            manifest.position,
            manifest.head_hash,
            manifest.merkle_root
        )));
    }
    Ok(())
}

/// The full verification of `antt admin verify`, on the staging directory.
fn verify_restored(dir: &Path, manifest: &Manifest, checkpoint: Option<&Expected>) -> Result<(), CliError> {
    let sizes: Vec<u64> = checkpoint.iter().map(|checkpoint| checkpoint.size).collect();
    let bar = progress_bar(manifest.position, "events verified");
    let verified = verify(dir, &sizes, &mut |checked, total| {
        bar.set_length(total);
        bar.set_position(checked);
    });
    bar.finish_and_clear();
    let report = match verified {
        Ok(report) => report,
        Err(VerifyError::Damaged(damage)) => {
            return Err(CliError::Damaged(format!(
                "the restored log does not verify: first bad position {}: {}",
                damage.position, damage.reason
            )))
        }
        Err(error) => return Err(CliError::Verify(error.to_string())),
    };
    check_head(manifest, report.events_checked, &report.last_hash, &report.tree_root)?;
    if let Some(checkpoint) = checkpoint {
        if report.roots_at.first().map(|(_, root)| root) != Some(&checkpoint.root) {
            return Err(CliError::Damaged(format!(
                "the restored tree of {} events does not have the root the log signed",
                checkpoint.size
            )));
        }
    }
    Ok(())
}

fn format_error(error: FormatError) -> CliError {
    match error {
        FormatError::Damaged { .. } => CliError::Damaged(error.to_string()),
        FormatError::Io { .. } => CliError::Input(error.to_string()),
    }
}

fn import_error(error: ImportError) -> CliError {
    match error {
        ImportError::Refused(damage) => CliError::Damaged(format!(
            "the backup is damaged: first bad position {}: {}",
            damage.position, damage.reason
        )),
        other => CliError::Verify(other.to_string()),
    }
}
