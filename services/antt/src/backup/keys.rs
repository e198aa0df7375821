//! `antt admin backup-keys` and `restore-keys`: the personal-data key store, backed up
//! apart from the log (together they are the personal data again).
//!
//! A key backup is older than some erasures: restoring it brings back keys the log says
//! were destroyed. So a restore reads every erasure the log recorded (`PersonErased`
//! events, which `forget-person` appends after destroying the key) and destroys those
//! keys again, before the restored directory is moved into place, and says how many.
//! Keys of persons the log does not know (a key backup newer than the log) are kept:
//! no event refers to them, and a retried registration reuses them.
//! A restored log loses the erasures recorded after its backup position, like every other
//! event after it; if the key backup is older than such an erasure too, run
//! `antt admin forget-person` again for that person.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use antt_domain::codec::DomainEvent;
use antt_domain::person;
use antt_keystore::backup::{restore_backup, write_backup};
use antt_keystore::{ForgetOutcome, KeyStore};
use antt_log::sled_log::{SledConfig, SledLog};
use antt_log::{EventFilter, EventLog, ReadAllRequest};
use antt_proto::v1 as pb;
use clap::Args;
use tokio_stream::StreamExt;

use crate::backup::{progress_bar, AtomicFile, Staging};
use crate::error::CliError;

/// Stream id prefix of person records: the key store's subjects are these stream ids.
const PERSON_STREAM_PREFIX: &str = "person-";

#[derive(Args, Debug)]
pub struct BackupKeysArgs {
    /// The key directory (anttd's --key-dir; default `<data-dir>/keys`).
    #[arg(long)]
    pub keys: PathBuf,
    /// The key backup file to write (mode 0600). Never overwritten.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct RestoreKeysArgs {
    /// The key backup file (`antt admin backup-keys --out …`).
    #[arg(long)]
    pub from: PathBuf,
    /// The new key directory to write; it must not exist or be empty.
    #[arg(long)]
    pub keys: PathBuf,
    /// Read the erasures from this stopped server's data directory (e.g. one just
    /// restored) instead of from the server at --server.
    #[arg(long)]
    pub data: Option<PathBuf>,
}

pub async fn backup(args: BackupKeysArgs) -> Result<(), CliError> {
    tokio::task::spawn_blocking(move || backup_blocking(&args))
        .await
        .map_err(|error| CliError::Verify(error.to_string()))?
}

fn backup_blocking(args: &BackupKeysArgs) -> Result<(), CliError> {
    if !args.keys.is_dir() {
        return Err(CliError::Input(format!(
            "{} is not a key directory",
            args.keys.display()
        )));
    }
    let (file, handle) = AtomicFile::create(&args.out)?;
    let mut out = BufWriter::new(handle);
    let bar = progress_bar(0, "subjects backed up");
    let counts = write_backup(&args.keys, &mut out, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(|error| CliError::Input(error.to_string()))?;
    bar.finish_and_clear();
    let handle = out
        .into_inner()
        .map_err(|error| write_error(&args.out, error.into_error()))?;
    handle.sync_all().map_err(|error| write_error(&args.out, error))?;
    file.commit()?;
    println!("key backup: {}", args.out.display());
    println!("keys: {}", counts.keys);
    println!("erased (tombstones): {}", counts.tombstones);
    Ok(())
}

/// What destroying the erased persons' keys again did.
#[derive(Default)]
struct Erasures {
    recorded: u64,
    destroyed_again: u64,
    already_erased: u64,
    no_key: u64,
}

pub async fn restore(server: &str, args: RestoreKeysArgs) -> Result<(), CliError> {
    let subjects = match &args.data {
        Some(data) => erased_offline(data.clone()).await?,
        None => erased_online(server).await?,
    };
    tokio::task::spawn_blocking(move || restore_blocking(&args, &subjects))
        .await
        .map_err(|error| CliError::Verify(error.to_string()))?
}

fn restore_blocking(args: &RestoreKeysArgs, erased: &[(String, i64)]) -> Result<(), CliError> {
    let staging = Staging::beside(&args.keys)?;
    let input = File::open(&args.from).map_err(|source| CliError::ReadFile {
        path: args.from.clone(),
        source,
    })?;
    let counts = restore_backup(&mut BufReader::new(input), staging.path())
        .map_err(|error| CliError::Damaged(format!("{}: {error}", args.from.display())))?;
    let erasures = destroy_again(staging.path(), erased)?;
    staging.commit(&args.keys)?;
    println!("restored keys: {} (and {} tombstones)", counts.keys, counts.tombstones);
    println!("erasures recorded in the log: {}", erasures.recorded);
    println!("keys destroyed again: {}", erasures.destroyed_again);
    println!("already erased in the backup: {}", erasures.already_erased);
    println!(
        "erased with no key in the backup (tombstone written): {}",
        erasures.no_key
    );
    Ok(())
}

/// Forgets every erased subject in the restored store, at the time the log recorded it.
fn destroy_again(dir: &Path, erased: &[(String, i64)]) -> Result<Erasures, CliError> {
    let store = KeyStore::open(dir).map_err(|error| CliError::Input(error.to_string()))?;
    let mut erasures = Erasures::default();
    for (subject, recorded_at) in erased {
        erasures.recorded += 1;
        let outcome = store
            .forget(subject, *recorded_at)
            .map_err(|error| CliError::Input(format!("destroying a key again: {error}")))?;
        match outcome {
            ForgetOutcome::Destroyed { .. } | ForgetOutcome::DestroyedUnreadable => erasures.destroyed_again += 1,
            ForgetOutcome::AlreadyForgotten { .. } => erasures.already_erased += 1,
            ForgetOutcome::NoKeyExisted => erasures.no_key += 1,
        }
    }
    Ok(erasures)
}

fn erasure_filter() -> EventFilter {
    EventFilter {
        stream_id_prefixes: vec![PERSON_STREAM_PREFIX.into()],
        event_types: vec![erased_type().into()],
    }
}

/// The event type `forget-person` records, as the domain names it.
fn erased_type() -> &'static str {
    person::Event::Erased(pb::PersonErased::default()).event_type()
}

/// Every erasure (subject, recorded time) in a stopped server's log.
async fn erased_offline(data: PathBuf) -> Result<Vec<(String, i64)>, CliError> {
    let failed = |error: &dyn std::fmt::Display| CliError::Verify(format!("reading the erasures in the log: {error}"));
    let log = tokio::task::spawn_blocking(move || SledLog::open(SledConfig::new(data)))
        .await
        .map_err(|error| failed(&error))?
        .map_err(|error| failed(&error))?;
    let mut erased = Vec::new();
    let mut from_position = 0;
    let read = loop {
        let request = ReadAllRequest {
            from_position,
            max_count: 0,
            filter: erasure_filter(),
        };
        match log.read_all(request).await {
            Ok(page) => {
                erased.extend(
                    page.events
                        .iter()
                        .map(|e| (e.stream_id.clone(), e.recorded_at.as_micros())),
                );
                if page.reached_head() {
                    break Ok(());
                }
                from_position = page.next_position;
            }
            Err(error) => break Err(failed(&error)),
        }
    };
    let closed = log.close().await.map_err(|error| failed(&error));
    read.and(closed).map(|()| erased)
}

/// Every erasure (subject, recorded time) in a running server's log.
async fn erased_online(server: &str) -> Result<Vec<(String, i64)>, CliError> {
    let mut client = crate::client::connect(server).await?;
    let filter = erasure_filter();
    let request = pb::ReadAllRequest {
        from_position: 0,
        filter: Some(pb::EventFilter {
            stream_id_prefixes: filter.stream_id_prefixes,
            event_types: filter.event_types,
        }),
        max_count: 0,
    };
    let mut stream = client.read_all(request).await?.into_inner();
    let mut erased = Vec::new();
    while let Some(event) = stream.next().await {
        let event = event?;
        let recorded_at = crate::backup::online::log_event(&event)
            .map_err(|reason| CliError::Failed(format!("position {}: {reason}", event.position)))?
            .recorded_at;
        erased.push((event.stream_id, recorded_at.as_micros()));
    }
    Ok(erased)
}

fn write_error(path: &Path, error: std::io::Error) -> CliError {
    CliError::Input(format!("cannot write {}: {error}", path.display()))
}
