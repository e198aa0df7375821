//! `antt.v1.Audit` end to end: checkpoints signed by the server, proofs checked by the
//! client with `antt-audit` alone, bad requests named field by field, proofs that stay
//! valid across a restart and a personal-data erasure, and Go's reference implementation
//! (golang.org/x/mod/sumdb/note and sumdb/tlog) accepting our checkpoints and proofs.

use std::io::Write;
use std::process::{Command, Stdio};

use antt_audit::checkpoint::Checkpoint;
use antt_audit::merkle::{self, Hash};
use antt_audit::note::{Note, Verifier};
use antt_e2e::{
    append, assert_field_violation, hashes, json_events, read_all, start_witness, to_log_event, witness_config,
    TestServer,
};
use antt_proto::v1 as pb;
use antt_proto::v1::audit_client::AuditClient;
use tonic::transport::Channel;
use tonic::Code;

type TestResult = anyhow::Result<()>;

async fn audit(server: &TestServer) -> AuditClient<Channel> {
    AuditClient::new(server.channel.clone())
}

/// The server's verifier, and the checkpoint it signs now, opened with it.
async fn signed_checkpoint(
    audit: &mut AuditClient<Channel>,
) -> anyhow::Result<(Verifier, pb::SignedCheckpoint, Checkpoint)> {
    let key = audit.get_public_key(pb::GetPublicKeyRequest {}).await?.into_inner();
    let verifier: Verifier = key.verifier_key.parse()?;
    let signed = audit
        .create_checkpoint(pb::CreateCheckpointRequest {})
        .await?
        .into_inner();
    let note = Note::parse(&signed.note)?;
    note.open(std::slice::from_ref(&verifier))?;
    let checkpoint = Checkpoint::parse_body(&note.text)?;
    assert_eq!(checkpoint.origin, key.origin);
    assert_eq!(checkpoint.size, signed.tree_size);
    assert_eq!(checkpoint.root.to_vec(), signed.root_hash);
    Ok((verifier, signed, checkpoint))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_verify_against_signed_checkpoints_and_the_log_only_grows() -> TestResult {
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let mut audit = audit(&server).await;
    for stream in 0..30 {
        append(&mut client, &format!("area-{stream}"), json_events("antt.v1.Noted", 10)).await?;
    }
    let (_, first_signed, first) = signed_checkpoint(&mut audit).await?;
    assert_eq!(first.size, 300);

    // Every event, recomputed from what ReadAll gives, is in the signed tree.
    let events = read_all(&mut client, 0).await?;
    for event in events.iter().step_by(7) {
        let leaf = merkle::leaf_hash(&antt_log::codec::canonical_bytes(&to_log_event(event)?));
        let proof = audit
            .get_inclusion_proof(pb::GetInclusionProofRequest {
                position: event.position,
                tree_size: first.size,
            })
            .await?
            .into_inner();
        assert_eq!(proof.leaf_hash, leaf.to_vec());
        merkle::verify_inclusion(&leaf, event.position, first.size, &hashes(&proof.hashes)?, &first.root)?;
    }

    // The log grows; the new checkpoint provably extends the first.
    for stream in 0..5 {
        append(&mut client, &format!("team-{stream}"), json_events("antt.v1.Noted", 3)).await?;
    }
    let (_, _, second) = signed_checkpoint(&mut audit).await?;
    assert_eq!(second.size, 315);
    let proof = audit
        .get_consistency_proof(pb::GetConsistencyProofRequest {
            old_size: first.size,
            new_size: second.size,
        })
        .await?
        .into_inner();
    merkle::verify_consistency(
        first.size,
        second.size,
        &first.root,
        &second.root,
        &hashes(&proof.hashes)?,
    )?;

    // Checkpoints are kept: the first is still served at its size, unchanged.
    let kept = audit
        .get_checkpoint(pb::GetCheckpointRequest { tree_size: first.size })
        .await?
        .into_inner();
    assert_eq!(kept.note, first_signed.note);
    let latest = audit
        .get_checkpoint(pb::GetCheckpointRequest { tree_size: 0 })
        .await?
        .into_inner();
    assert_eq!(latest.tree_size, 315);

    // After a restart the same tree answers: same root, same proofs.
    let server = server.restart().await?;
    let mut audit = AuditClient::new(server.channel.clone());
    let proof_after = audit
        .get_consistency_proof(pb::GetConsistencyProofRequest {
            old_size: first.size,
            new_size: second.size,
        })
        .await?
        .into_inner();
    assert_eq!(proof_after.hashes, proof.hashes);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_proof_requests_are_invalid_argument_with_the_field() -> TestResult {
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let mut audit = audit(&server).await;
    append(&mut client, "area-1", json_events("antt.v1.Noted", 10)).await?;
    let inclusion = |position, tree_size| pb::GetInclusionProofRequest { position, tree_size };
    let status = audit.get_inclusion_proof(inclusion(0, 11)).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["tree_size"]);
    let status = audit.get_inclusion_proof(inclusion(10, 10)).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["position"]);
    let status = audit.get_inclusion_proof(inclusion(12, 0)).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["position"]);
    let consistency = |old_size, new_size| pb::GetConsistencyProofRequest { old_size, new_size };
    let status = audit.get_consistency_proof(consistency(0, 5)).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["old_size"]);
    let status = audit.get_consistency_proof(consistency(6, 5)).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["old_size"]);
    let status = audit.get_consistency_proof(consistency(5, 11)).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["new_size"]);
    let status = audit
        .get_checkpoint(pb::GetCheckpointRequest { tree_size: 7 })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = audit
        .export_stream(pb::ExportStreamRequest {
            stream_id: "no-such-stream".into(),
            effective_on_or_before: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_stream_carries_every_event_with_its_proof() -> TestResult {
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let mut audit = audit(&server).await;
    append(&mut client, "area-7", json_events("antt.v1.Noted", 4)).await?;
    append(&mut client, "area-8", json_events("antt.v1.Noted", 4)).await?;
    append(&mut client, "area-7", json_events("antt.v1.Noted", 2)).await?;
    let key = audit.get_public_key(pb::GetPublicKeyRequest {}).await?.into_inner();
    let verifier: Verifier = key.verifier_key.parse()?;
    let mut stream = audit
        .export_stream(pb::ExportStreamRequest {
            stream_id: "area-7".into(),
            effective_on_or_before: None,
        })
        .await?
        .into_inner();
    let mut checkpoint = None;
    let mut versions = Vec::new();
    while let Some(item) = stream.message().await? {
        match item.item {
            Some(pb::export_item::Item::Checkpoint(signed)) => {
                let note = Note::parse(&signed.note)?;
                note.open(std::slice::from_ref(&verifier))?;
                checkpoint = Some(Checkpoint::parse_body(&note.text)?);
            }
            Some(pb::export_item::Item::Event(proven)) => {
                let checkpoint = checkpoint
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("an event before the checkpoint"))?;
                let event = proven.event.ok_or_else(|| anyhow::anyhow!("no event"))?;
                let proof = proven.proof.ok_or_else(|| anyhow::anyhow!("no proof"))?;
                assert_eq!(
                    antt_log::codec::canonical_bytes(&to_log_event(&event)?),
                    proven.canonical
                );
                let leaf = merkle::leaf_hash(&proven.canonical);
                merkle::verify_inclusion(
                    &leaf,
                    event.position,
                    checkpoint.size,
                    &hashes(&proof.hashes)?,
                    &checkpoint.root,
                )?;
                versions.push(event.stream_version);
            }
            Some(other) => anyhow::bail!("a stream's export sent {other:?}"),
            None => anyhow::bail!("an empty export item"),
        }
    }
    assert_eq!(versions, (0..6).collect::<Vec<_>>());
    server.shutdown().await
}

/// What the Go program is given.
fn go_input(
    verifier_key: &str,
    checkpoint: &str,
    inclusions: &[(u64, Hash, Vec<Hash>)],
    consistency: &[(u64, Hash, Vec<Hash>)],
) -> String {
    use antt_audit::encoding::base64;
    let list = |hashes: &[Hash]| {
        hashes
            .iter()
            .map(|h| format!("\"{}\"", base64(h)))
            .collect::<Vec<_>>()
            .join(",")
    };
    let inclusions = inclusions
        .iter()
        .map(|(index, leaf, proof)| {
            format!(
                "{{\"index\":{index},\"leaf\":\"{}\",\"proof\":[{}]}}",
                base64(leaf),
                list(proof)
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let consistency = consistency
        .iter()
        .map(|(old_size, root, proof)| {
            format!(
                "{{\"old_size\":{old_size},\"old_root\":\"{}\",\"proof\":[{}]}}",
                base64(root),
                list(proof)
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let escape = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    format!(
        "{{\"verifier_key\":\"{}\",\"checkpoint\":\"{}\",\"inclusions\":[{inclusions}],\"consistency\":[{consistency}]}}",
        escape(verifier_key),
        escape(checkpoint)
    )
}

/// Builds tests/interop/go with the system's Go and Debian's golang.org/x/mod, or says why not.
fn build_go_verifier(out: &std::path::Path) -> Option<std::path::PathBuf> {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/go");
    let binary = out.join("verify-with-go");
    let built = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(&source)
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("GOCACHE", out.join("gocache"))
        .env("GOFLAGS", "-mod=mod")
        .output();
    match built {
        Ok(output) if output.status.success() => Some(binary),
        Ok(output) => panic!(
            "building the Go verifier failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => {
            // CI installs Go (.ci/run); a developer machine without it skips this one check.
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have Go for the interop test: {error}"
            );
            eprintln!("SKIPPED: Go's reference verifier needs `go` (apt-get install golang-go golang-golang-x-mod-dev): {error}");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_reference_implementation_accepts_our_checkpoints_and_proofs() -> TestResult {
    let temp = tempfile::tempdir()?;
    let Some(go_verifier) = build_go_verifier(temp.path()) else {
        return Ok(());
    };
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let mut audit = audit(&server).await;
    append(&mut client, "area-1", json_events("antt.v1.Noted", 7)).await?;
    let (_, _, old) = signed_checkpoint(&mut audit).await?;
    for stream in 0..40 {
        append(&mut client, &format!("area-{stream}"), json_events("antt.v1.Noted", 10)).await?;
    }
    let key = audit.get_public_key(pb::GetPublicKeyRequest {}).await?.into_inner();
    let (_, signed, checkpoint) = signed_checkpoint(&mut audit).await?;
    let events = read_all(&mut client, 0).await?;
    let mut inclusions = Vec::new();
    for event in events.iter().step_by(37) {
        let leaf = merkle::leaf_hash(&antt_log::codec::canonical_bytes(&to_log_event(event)?));
        let request = pb::GetInclusionProofRequest {
            position: event.position,
            tree_size: checkpoint.size,
        };
        let proof = audit.get_inclusion_proof(request).await?.into_inner();
        inclusions.push((event.position, leaf, hashes(&proof.hashes)?));
    }
    let request = pb::GetConsistencyProofRequest {
        old_size: old.size,
        new_size: checkpoint.size,
    };
    let consistency = audit.get_consistency_proof(request).await?.into_inner();
    let input = go_input(
        &key.verifier_key,
        &signed.note,
        &inclusions,
        &[(old.size, old.root, hashes(&consistency.hashes)?)],
    );
    let mut child = Command::new(&go_verifier)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdin"))?
        .write_all(input.as_bytes())?;
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Go refused: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("note.Open"), "{stdout}");
    assert_eq!(stdout.matches("tlog.CheckRecord").count(), inclusions.len(), "{stdout}");
    assert!(stdout.contains("tlog.CheckTree"), "{stdout}");
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_cosigns_the_log_and_refuses_a_fork_of_it() -> TestResult {
    // Goal: checkpoints are cosigned by an independent witness, and a second log that
    // shows another history under the same key and origin (a fork) gets no cosignature.
    // Method: one signing key copied into two servers with different events; both submit
    // to the same witness.
    let temp = tempfile::tempdir()?;
    let signer = antt_audit::note::Signer::generate("antt-ledger/nga-son")?;
    let key_file = temp.path().join("log-signing.key");
    std::fs::write(&key_file, format!("{}\n", signer.private_key_text()))?;
    let witness_config = witness_config(temp.path(), &signer.verifier(), "127.0.0.1:0".parse()?)?;
    let (url, witness_key, witness) = start_witness(witness_config).await?;
    let configure = |config: &mut anttd::Config| {
        config.signing_key = Some(key_file.clone());
        config.witnesses = vec![anttd::config::WitnessArg {
            url: url.clone(),
            verifier_key: witness_key.to_string(),
        }];
    };

    let honest = TestServer::start_with(configure).await?;
    let mut client = honest.client.clone();
    let mut audit = AuditClient::new(honest.channel.clone());
    append(&mut client, "area-1", json_events("antt.v1.Noted", 5)).await?;
    let first = audit
        .create_checkpoint(pb::CreateCheckpointRequest {})
        .await?
        .into_inner();
    assert_eq!(first.cosigned_by, ["thanh-hoa.ban-noi-chinh/witness"]);
    append(&mut client, "area-1", json_events("antt.v1.Noted", 5)).await?;
    let second = audit
        .create_checkpoint(pb::CreateCheckpointRequest {})
        .await?
        .into_inner();
    assert_eq!(second.cosigned_by.len(), 1, "the witness cosigns an extension");
    let signed = antt_audit::checkpoint::SignedCheckpoint::parse_and_verify(&second.note, &signer.verifier())?;
    let cosigned = signed.cosignatures(std::slice::from_ref(&witness_key))?;
    assert_eq!(cosigned.len(), 1);

    // The fork: same key, same origin, another history of the same length.
    let fork = TestServer::start_with(configure).await?;
    let mut fork_client = fork.client.clone();
    append(&mut fork_client, "area-1", json_events("antt.v1.Rewritten", 10)).await?;
    let mut fork_audit = AuditClient::new(fork.channel.clone());
    let forked = fork_audit
        .create_checkpoint(pb::CreateCheckpointRequest {})
        .await?
        .into_inner();
    assert_eq!(forked.tree_size, second.tree_size);
    assert_ne!(forked.root_hash, second.root_hash);
    assert!(forked.cosigned_by.is_empty(), "the witness cosigned a fork: {forked:?}");
    fork.shutdown().await?;
    honest.shutdown().await?;
    witness.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_are_made_as_the_log_grows_and_all_kept() -> TestResult {
    // Goal: without anyone asking, a checkpoint follows every `checkpoint_events` events,
    // and each stays retrievable at its size. Method: a threshold of 5 events, three
    // appends of 5, polling (bounded) until the latest checkpoint covers the head.
    let server = TestServer::start_with(|config| {
        config.checkpoint_events = 5;
        config.checkpoint_interval_secs = 3600;
    })
    .await?;
    let mut client = server.client.clone();
    let mut audit = audit(&server).await;
    let mut sizes = Vec::new();
    for round in 1..=3u64 {
        append(&mut client, "area-1", json_events("antt.v1.Noted", 5)).await?;
        let mut latest = 0;
        for _ in 0..400 {
            let found = audit
                .get_checkpoint(pb::GetCheckpointRequest { tree_size: 0 })
                .await?
                .into_inner();
            latest = found.tree_size;
            if latest == round * 5 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(latest, round * 5, "no checkpoint of the grown log");
        sizes.push(latest);
    }
    for size in sizes {
        let kept = audit
            .get_checkpoint(pb::GetCheckpointRequest { tree_size: size })
            .await?
            .into_inner();
        assert_eq!(kept.tree_size, size);
    }
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_signs_the_head_it_stops_at() -> TestResult {
    // The periodic thresholds are far away: only the shutdown can have made this checkpoint.
    let server = TestServer::start_with(|config| {
        config.checkpoint_events = 1_000_000;
        config.checkpoint_interval_secs = 3600;
    })
    .await?;
    let mut client = server.client.clone();
    append(&mut client, "area-1", json_events("antt.v1.Noted", 3)).await?;
    let server = server.restart().await?;
    let mut audit = AuditClient::new(server.channel.clone());
    let kept = audit
        .get_checkpoint(pb::GetCheckpointRequest { tree_size: 3 })
        .await?
        .into_inner();
    assert_eq!(kept.tree_size, 3);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_over_the_bound_is_resource_exhausted_and_a_dated_one_fits() -> TestResult {
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let mut audit = audit(&server).await;
    let bound = anttd::limits::EXPORT_EVENTS_MAX;
    for _ in 0..bound / 1000 {
        append(&mut client, "area-big", json_events("antt.v1.Noted", 1000)).await?;
    }
    append(&mut client, "area-big", json_events("antt.v1.Noted", 1)).await?;
    let request = |until: Option<pb::Date>| pb::ExportStreamRequest {
        stream_id: "area-big".into(),
        effective_on_or_before: until,
    };
    let status = audit.export_stream(request(None)).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    // Nothing was effective before 2000: an export up to then is empty but for its checkpoint.
    let before = pb::Date {
        year: 2000,
        month: 1,
        day: 1,
    };
    let mut items = audit.export_stream(request(Some(before))).await?.into_inner();
    let mut count = 0;
    while items.message().await?.is_some() {
        count += 1;
    }
    assert_eq!(count, 1);
    server.shutdown().await
}
