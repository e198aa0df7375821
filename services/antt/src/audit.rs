//! The inspector's commands: `antt audit public-key | checkpoint | export` (fetch from the
//! server) and `antt verify checkpoint | bundle` (check, trusting only the keys given).
//!
//! Exit codes of `verify`: 0 the check holds, 1 it does not (the log does not extend the
//! saved checkpoint, a proof or a signature fails, too few witnesses), 2 it could not be
//! told (the server is unreachable, a file unreadable).

use std::path::Path;

use antt_audit::checkpoint::SignedCheckpoint;
use antt_audit::merkle::{self, Hash};
use antt_audit::note::Verifier;
use antt_proto::v1 as pb;
use antt_proto::v1::audit_client::AuditClient;

use crate::bundle::Bundle;
use crate::cli::{AuditCommand, ExportArgs, VerifyCommand, WitnessKeys};
use crate::client;
use crate::error::CliError;

pub async fn run_audit(server: &str, command: AuditCommand) -> Result<(), CliError> {
    let mut audit = connect(server).await?;
    match command {
        AuditCommand::PublicKey => {
            let key = audit.get_public_key(pb::GetPublicKeyRequest {}).await?.into_inner();
            println!("{}", key.verifier_key);
        }
        AuditCommand::Checkpoint { create } => {
            let signed = if create {
                audit.create_checkpoint(pb::CreateCheckpointRequest {}).await?
            } else {
                audit.get_checkpoint(pb::GetCheckpointRequest { tree_size: 0 }).await?
            };
            print!("{}", signed.into_inner().note);
        }
        AuditCommand::Export(args) => export(&mut audit, args).await?,
    }
    Ok(())
}

async fn connect(server: &str) -> Result<AuditClient<crate::client::Conn>, CliError> {
    let channel = client::channel(server).await.map_err(|source| CliError::Connect {
        server: server.to_string(),
        source,
    })?;
    Ok(AuditClient::new(channel))
}

/// `--stream`: one stream's export; `--area`: the area's records.
async fn export(audit: &mut AuditClient<crate::client::Conn>, args: ExportArgs) -> Result<(), CliError> {
    let (mut items, mut bundle) = match (args.area_request(), &args.stream) {
        (Some(request), _) => (
            audit.export_area(request).await?.into_inner(),
            Bundle::new(None, args.as_of.as_ref()),
        ),
        (None, stream) => {
            let stream_id = stream.clone().unwrap_or_default();
            let request = pb::ExportStreamRequest {
                stream_id: stream_id.clone(),
                effective_on_or_before: args.as_of,
            };
            let items = audit.export_stream(request).await?.into_inner();
            (items, Bundle::new(Some(stream_id), args.as_of.as_ref()))
        }
    };
    while let Some(item) = items.message().await? {
        bundle.add(item).map_err(CliError::Input)?;
    }
    bundle.write(&args.out)?;
    eprintln!(
        "wrote {} events of {} stream(s) with their proofs in the tree of {} to {}",
        bundle.events(),
        bundle.streams.len(),
        bundle.tree_size().unwrap_or(0),
        args.out.display()
    );
    Ok(())
}

pub async fn run_verify(server: &str, command: VerifyCommand) -> Result<(), CliError> {
    match command {
        VerifyCommand::Checkpoint { saved, key, witnesses } => verify_checkpoint(server, &saved, key, &witnesses).await,
        VerifyCommand::Bundle { file, key, witnesses } => {
            let bundle = Bundle::read(&file)?;
            let key = parse_key(&key)?;
            let report = bundle.verify(&key, &witness_verifiers(&witnesses)?, witnesses.min_cosignatures)?;
            println!("{report}");
            Ok(())
        }
    }
}

/// Whether the log now extends the checkpoint saved in `saved`.
async fn verify_checkpoint(
    server: &str,
    saved: &Path,
    key: Option<String>,
    witnesses: &WitnessKeys,
) -> Result<(), CliError> {
    let saved_text = std::fs::read_to_string(saved).map_err(|source| CliError::ReadFile {
        path: saved.to_path_buf(),
        source,
    })?;
    let mut audit = connect(server).await?;
    // Without --key the server's key is used, but only if it signed the saved checkpoint:
    // a server that swapped keys cannot pass the saved checkpoint off as its own.
    let key = match key {
        Some(key) => parse_key(&key)?,
        None => parse_key(
            &audit
                .get_public_key(pb::GetPublicKeyRequest {})
                .await?
                .into_inner()
                .verifier_key,
        )?,
    };
    let old = SignedCheckpoint::parse_and_verify(&saved_text, &key)
        .map_err(|error| CliError::Failed(format!("the saved checkpoint is not signed by {key}: {error}")))?;
    let current = audit
        .get_checkpoint(pb::GetCheckpointRequest { tree_size: 0 })
        .await?
        .into_inner();
    let new = SignedCheckpoint::parse_and_verify(&current.note, &key).map_err(|error| {
        CliError::Failed(format!(
            "the server's current checkpoint is not signed by {key}: {error}"
        ))
    })?;
    let witness_keys = witness_verifiers(witnesses)?;
    let cosigned = new
        .cosignatures(&witness_keys)
        .map_err(|error| CliError::Failed(format!("a cosignature of the current checkpoint is invalid: {error}")))?;
    if cosigned.len() < witnesses.min_cosignatures {
        return Err(CliError::Failed(format!(
            "the current checkpoint carries {} valid cosignatures by the given witnesses, {} are required",
            cosigned.len(),
            witnesses.min_cosignatures
        )));
    }
    let (old, new) = (old.checkpoint, new.checkpoint);
    if new.origin != old.origin {
        return Err(CliError::Failed(format!(
            "the server is log {:?}, the saved checkpoint is of {:?}",
            new.origin, old.origin
        )));
    }
    let proof = if new.size > old.size {
        let request = pb::GetConsistencyProofRequest {
            old_size: old.size,
            new_size: new.size,
        };
        let proof = audit.get_consistency_proof(request).await?.into_inner();
        hashes(&proof.hashes)?
    } else {
        Vec::new()
    };
    if new.size < old.size {
        return Err(CliError::Failed(format!(
            "the log does NOT extend the saved checkpoint: it now has {} events, the saved checkpoint {}",
            new.size, old.size
        )));
    }
    merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &proof).map_err(|error| {
        CliError::Failed(format!(
            "the log does NOT extend the saved checkpoint of {} events: {error}; history before it was changed",
            old.size
        ))
    })?;
    println!(
        "the log extends the saved checkpoint: {} → {} events, consistency proven; {} witness cosignature(s) verified{}",
        old.size,
        new.size,
        cosigned.len(),
        cosigned.iter().map(|c| format!(" {}", c.name)).collect::<String>()
    );
    Ok(())
}

pub fn parse_key(text: &str) -> Result<Verifier, CliError> {
    text.trim()
        .parse()
        .map_err(|error| CliError::Input(format!("{text:?} is not a verifier key: {error}")))
}

pub fn witness_verifiers(witnesses: &WitnessKeys) -> Result<Vec<Verifier>, CliError> {
    witnesses.witness.iter().map(|key| parse_key(key)).collect()
}

pub fn hashes(list: &[Vec<u8>]) -> Result<Vec<Hash>, CliError> {
    merkle::hashes_from_bytes(list).map_err(|error| CliError::Failed(format!("in a proof: {error}")))
}
