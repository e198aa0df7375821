//! A witness that was down when checkpoints were made cosigns them once it is back,
//! without any new checkpoint being asked for: the notary submits again, oldest first,
//! what the stored checkpoints show it lacks, across a restart too. Checkpoints below a
//! size the witness has cosigned since can no longer be cosigned by it and are left.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use antt_audit::checkpoint::SignedCheckpoint;
use antt_audit::note::{Signer, Verifier};
use antt_audit::witness::AddCheckpointRequest;
use antt_e2e::{append, bounded, json_events, start_witness, witness_config, TestServer};
use antt_proto::v1 as pb;
use antt_proto::v1::audit_client::AuditClient;
use tonic::transport::Channel;

type TestResult = anyhow::Result<()>;

const WITNESS_NAME: &str = "thanh-hoa.ban-noi-chinh/witness";

/// A log key, a witness of it that is not running, and where that witness will listen.
struct Setup {
    _temp: tempfile::TempDir,
    signer: Signer,
    key_file: PathBuf,
    witness: antt_witness::WitnessConfig,
    witness_key: Verifier,
}

impl Setup {
    /// The witness is bound once on a free port to learn its address and create its key,
    /// then let go: anttd is configured with a witness that does not answer yet.
    async fn new() -> anyhow::Result<Setup> {
        let temp = tempfile::tempdir()?;
        let signer = Signer::generate("antt-ledger/nga-son")?;
        let key_file = temp.path().join("log-signing.key");
        std::fs::write(&key_file, format!("{}\n", signer.private_key_text()))?;
        let mut witness = witness_config(temp.path(), &signer.verifier(), "127.0.0.1:0".parse()?)?;
        let bound = antt_witness::Witness::bind(witness.clone()).await?;
        witness.listen = bound.local_addr()?;
        let witness_key = bound.verifier();
        drop(bound);
        Ok(Setup {
            _temp: temp,
            signer,
            key_file,
            witness,
            witness_key,
        })
    }

    fn url(&self) -> String {
        format!("http://{}", self.witness.listen)
    }

    async fn start_server(&self) -> anyhow::Result<TestServer> {
        let (key_file, url, witness_key) = (self.key_file.clone(), self.url(), self.witness_key.to_string());
        TestServer::start_with(move |config| {
            config.signing_key = Some(key_file);
            config.witnesses = vec![anttd::config::WitnessArg {
                url,
                verifier_key: witness_key,
            }];
            // Only the test's CreateCheckpoint calls make checkpoints.
            config.checkpoint_events = 1_000_000;
            config.checkpoint_interval_secs = 3600;
        })
        .await
    }

    /// The witness's cosignatures on `checkpoint` that verify with its key.
    fn cosignatures(&self, checkpoint: &pb::SignedCheckpoint) -> anyhow::Result<usize> {
        let signed = SignedCheckpoint::parse_and_verify(&checkpoint.note, &self.signer.verifier())?;
        Ok(signed.cosignatures(std::slice::from_ref(&self.witness_key))?.len())
    }
}

/// Appends and asks for a checkpoint `count` times; none is cosigned (the witness is down).
async fn uncosigned_checkpoints(server: &TestServer, count: u64) -> anyhow::Result<Vec<u64>> {
    let mut client = server.client.clone();
    let mut audit = AuditClient::new(server.channel.clone());
    let mut sizes = Vec::new();
    for _ in 0..count {
        append(&mut client, "area-1", json_events("antt.v1.Noted", 5)).await?;
        let made = audit
            .create_checkpoint(pb::CreateCheckpointRequest {})
            .await?
            .into_inner();
        assert!(
            made.cosigned_by.is_empty(),
            "cosigned by a witness that is down: {made:?}"
        );
        sizes.push(made.tree_size);
    }
    Ok(sizes)
}

async fn checkpoint_at(audit: &mut AuditClient<Channel>, tree_size: u64) -> anyhow::Result<pb::SignedCheckpoint> {
    Ok(audit
        .get_checkpoint(pb::GetCheckpointRequest { tree_size })
        .await?
        .into_inner())
}

/// Polls the latest checkpoint (GetCheckpoint, no new one made) until it is cosigned.
async fn latest_once_cosigned(server: &TestServer) -> anyhow::Result<pb::SignedCheckpoint> {
    let mut audit = AuditClient::new(server.channel.clone());
    bounded("the latest checkpoint getting its cosignature", async {
        loop {
            let latest = checkpoint_at(&mut audit, 0).await?;
            if !latest.cosigned_by.is_empty() {
                return Ok::<_, anyhow::Error>(latest);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await?
}

/// Asserts that the checkpoints of `sizes` carry exactly one cosignature, the witness's, and
/// that it verifies.
async fn assert_cosigned(setup: &Setup, server: &TestServer, sizes: &[u64]) -> TestResult {
    let mut audit = AuditClient::new(server.channel.clone());
    for size in sizes {
        let checkpoint = checkpoint_at(&mut audit, *size).await?;
        assert_eq!(checkpoint.cosigned_by, [WITNESS_NAME], "size {size}");
        assert_eq!(setup.cosignatures(&checkpoint)?, 1, "size {size}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_a_down_witness_missed_are_cosigned_once_it_is_back() -> TestResult {
    let setup = Setup::new().await?;
    let server = setup.start_server().await?;
    let sizes = uncosigned_checkpoints(&server, 3).await?;
    every_one_cosigned_once_the_witness_is_back(&setup, server, &sizes).await
}

/// Starts the witness and waits for the latest checkpoint's cosignature; the witness had
/// cosigned nothing of this log, so it could cosign every missed one, each an extension
/// of the one before, as they were submitted oldest first.
async fn every_one_cosigned_once_the_witness_is_back(setup: &Setup, server: TestServer, sizes: &[u64]) -> TestResult {
    let (_, _, witness) = start_witness(setup.witness.clone()).await?;
    let latest = latest_once_cosigned(&server).await?;
    assert_eq!(Some(&latest.tree_size), sizes.last());
    assert_cosigned(setup, &server, sizes).await?;
    server.shutdown().await?;
    witness.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_missed_before_a_restart_are_cosigned_after_it() -> TestResult {
    let setup = Setup::new().await?;
    let server = setup.start_server().await?;
    let sizes = uncosigned_checkpoints(&server, 2).await?;
    let server = server.restart().await?;
    let mut audit = AuditClient::new(server.channel.clone());
    assert!(checkpoint_at(&mut audit, 0).await?.cosigned_by.is_empty());
    every_one_cosigned_once_the_witness_is_back(&setup, server, &sizes).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_checkpoints_below_one_the_witness_cosigned_since_are_left() -> TestResult {
    // The witness cosigns the newest checkpoint, handed to it on another port, before it
    // is back where anttd looks for it: the two older ones can then never get its
    // cosignature (a witness only cosigns extensions of its latest).
    let setup = Setup::new().await?;
    let server = setup.start_server().await?;
    let sizes = uncosigned_checkpoints(&server, 3).await?;
    let mut audit = AuditClient::new(server.channel.clone());
    let newest = checkpoint_at(&mut audit, 0).await?;
    cosign_elsewhere(&setup.witness, &newest.note).await?;

    let (_, _, witness) = start_witness(setup.witness.clone()).await?;
    let latest = latest_once_cosigned(&server).await?;
    assert_eq!(latest.tree_size, 15);
    assert_eq!(setup.cosignatures(&latest)?, 1);
    for size in &sizes[..2] {
        let older = checkpoint_at(&mut audit, *size).await?;
        assert!(older.cosigned_by.is_empty(), "size {size}: {older:?}");
    }
    server.shutdown().await?;
    witness.abort();
    Ok(())
}

/// Runs the witness of `config` on another port, has it cosign `note` there, stops it.
async fn cosign_elsewhere(config: &antt_witness::WitnessConfig, note: &str) -> TestResult {
    let mut elsewhere = config.clone();
    elsewhere.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let (url, _, task) = start_witness(elsewhere).await?;
    let request = AddCheckpointRequest {
        old_size: 0,
        consistency_proof: Vec::new(),
        checkpoint_text: note.to_string(),
    };
    let cosignatures = antt_witness::submit(&url, &request).await?;
    assert_eq!(cosignatures.len(), 1);
    task.abort();
    let _ = task.await;
    Ok(())
}
