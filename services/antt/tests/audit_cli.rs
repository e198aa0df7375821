//! The inspector's workflow with the `antt` binary against a real server: save the public
//! key and a checkpoint, let the log grow, prove it extends the saved checkpoint, export
//! a bundle and check it offline — and see each check fail, with exit 1, when what it
//! checks is not so (a forked log, a changed bundle, the wrong key, missing witnesses),
//! and exit 2 when it cannot tell.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::Output;

use antt_proto::v1::event_store_client::EventStoreClient;
use antt_proto::v1::{AppendRequest, NewEvent};
use support::{antt_command, Server};

async fn antt(server: &Server, args: &[&str]) -> Output {
    antt_command(server).args(args).output().await.unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn append_notes(server: &Server, stream: &str, count: usize, marker: &str) {
    let mut client = EventStoreClient::new(server.channel.clone());
    let events = (0..count)
        .map(|n| NewEvent {
            event_id: uuid::Uuid::new_v4().to_string(),
            event_type: "antt.v1.Noted".into(),
            schema_version: 1,
            content_type: "application/json".into(),
            payload: format!("{{\"{marker}\":{n}}}").into_bytes(),
            ..NewEvent::default()
        })
        .collect();
    client
        .append(AppendRequest {
            stream_id: stream.into(),
            expected: None,
            events,
        })
        .await
        .unwrap();
}

fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspector_saves_a_checkpoint_then_proves_the_log_only_grew() {
    let temp = tempfile::tempdir().unwrap();
    let key_file = temp.path().join("log.key");
    let signer = antt_audit::note::Signer::generate("antt-ledger/nga-son").unwrap();
    std::fs::write(&key_file, signer.private_key_text()).unwrap();
    let with_key = |config: &mut anttd::Config| config.signing_key = Some(key_file.clone());
    let server = Server::start_with("antt-audit-cli-", with_key).await;
    append_notes(&server, "area-1", 20, "n").await;

    let key = antt(&server, &["audit", "public-key"]).await;
    assert_exit(&key, 0);
    let key = stdout(&key).trim().to_string();
    assert_eq!(key, signer.verifier().to_string());
    let checkpoint = antt(&server, &["audit", "checkpoint", "--create"]).await;
    assert_exit(&checkpoint, 0);
    let saved = write(&temp.path().join("saved.txt"), &stdout(&checkpoint));

    // Months later: more events; the log extends what was saved.
    append_notes(&server, "area-1", 15, "n").await;
    append_notes(&server, "area-2", 5, "n").await;
    antt(&server, &["audit", "checkpoint", "--create"]).await;
    let verified = antt(&server, &["verify", "checkpoint", &saved, "--key", &key]).await;
    assert_exit(&verified, 0);
    assert!(stdout(&verified).contains("20 → 40 events"), "{}", stdout(&verified));
    // Without --key the server's key is used, having signed the saved checkpoint.
    assert_exit(&antt(&server, &["verify", "checkpoint", &saved]).await, 0);
    // A witness required but none cosigned: the check does not hold.
    let witness = antt_audit::cosignature::CosignatureSigner::generate("some/witness").unwrap();
    let witness_key = witness.verifier().to_string();
    let args = [
        "verify",
        "checkpoint",
        &saved,
        "--key",
        &key,
        "--witness",
        &witness_key,
        "--min-cosignatures",
        "1",
    ];
    assert_exit(&antt(&server, &args).await, 1);
    // Another log's key did not sign the saved checkpoint.
    let other = antt_audit::note::Signer::generate("antt-ledger/other")
        .unwrap()
        .verifier()
        .to_string();
    assert_exit(
        &antt(&server, &["verify", "checkpoint", &saved, "--key", &other]).await,
        1,
    );
    // A file that is not there: it cannot tell.
    assert_exit(
        &antt(&server, &["verify", "checkpoint", "/nonexistent/saved.txt"]).await,
        2,
    );

    // The bundle: area-1 exported, checked offline, tampered, refused.
    let bundle = temp.path().join("area-1.json").display().to_string();
    assert_exit(
        &antt(&server, &["audit", "export", "--stream", "area-1", "--out", &bundle]).await,
        0,
    );
    let checked = antt(&server, &["verify", "bundle", &bundle, "--key", &key]).await;
    assert_exit(&checked, 0);
    assert!(
        stdout(&checked).contains("35 events of stream area-1"),
        "{}",
        stdout(&checked)
    );
    assert_exit(&antt(&server, &["verify", "bundle", &bundle, "--key", &other]).await, 1);
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&bundle).unwrap()).unwrap();
    let canonical = json["streams"][0]["events"][3]["canonical"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bytes = antt_audit::encoding::parse_base64(&canonical).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 0x01; // inside the payload
    json["streams"][0]["events"][3]["canonical"] = antt_audit::encoding::base64(&bytes).into();
    let tampered = write(&temp.path().join("tampered.json"), &json.to_string());
    let refused = antt(&server, &["verify", "bundle", &tampered, "--key", &key]).await;
    assert_exit(&refused, 1);
    // Dropping an event from the middle is caught too: versions must run from 0 unbroken.
    json["streams"][0]["events"].as_array_mut().unwrap().remove(5);
    let shortened = write(&temp.path().join("shortened.json"), &json.to_string());
    assert_exit(
        &antt(&server, &["verify", "bundle", &shortened, "--key", &key]).await,
        1,
    );
    server.stop().await;

    // A server with another history under the same key: the saved checkpoint is not extended.
    let fork = Server::start_with("antt-audit-cli-fork-", with_key).await;
    append_notes(&fork, "area-1", 45, "forged").await;
    let refused = antt(&fork, &["verify", "checkpoint", &saved, "--key", &key]).await;
    assert_exit(&refused, 1);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does NOT extend"));
    fork.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn antt_witness_serve_cosigns_the_servers_checkpoints() {
    use tokio::io::AsyncBufReadExt;
    let temp = tempfile::tempdir().unwrap();
    let key_file = temp.path().join("log.key");
    let signer = antt_audit::note::Signer::generate("antt-ledger/nga-son").unwrap();
    std::fs::write(&key_file, signer.private_key_text()).unwrap();
    let log_key = signer.verifier().to_string();
    let state_dir = temp.path().join("witness");
    let mut witness = tokio::process::Command::new(env!("CARGO_BIN_EXE_antt"))
        .args([
            "witness",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--name",
            "thanh-hoa/witness",
            "--log",
            &log_key,
        ])
        .arg("--state-dir")
        .arg(&state_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(witness.stdout.take().unwrap()).lines();
    let announced = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .expect("the witness announces itself")
        .unwrap()
        .unwrap();
    let (url, verifier_key) = announced.split_once('=').unwrap();
    let (url, verifier_key) = (url.to_string(), verifier_key.to_string());
    let server = Server::start_with("antt-witness-cli-", |config| {
        config.signing_key = Some(key_file.clone());
        config.witnesses = vec![anttd::config::WitnessArg {
            url,
            verifier_key: verifier_key.clone(),
        }];
    })
    .await;
    append_notes(&server, "area-1", 3, "n").await;
    let checkpoint = antt(&server, &["audit", "checkpoint", "--create"]).await;
    assert_exit(&checkpoint, 0);
    let saved = write(&temp.path().join("saved.txt"), &stdout(&checkpoint));
    assert!(
        stdout(&checkpoint).contains("— thanh-hoa/witness "),
        "{}",
        stdout(&checkpoint)
    );
    let args = [
        "verify",
        "checkpoint",
        &saved,
        "--key",
        &log_key,
        "--witness",
        &verifier_key,
        "--min-cosignatures",
        "1",
    ];
    assert_exit(&antt(&server, &args).await, 0);
    server.stop().await;
    let pid = witness.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), witness.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(state_dir.join("witness.key").exists());
}
