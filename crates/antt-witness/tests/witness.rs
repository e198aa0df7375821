//! The witness over real HTTP on loopback: a real server, the real client.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use antt_audit::checkpoint::{Checkpoint, SignedCheckpoint};
use antt_audit::cosignature::verify_cosignature;
use antt_audit::merkle::{self, leaf_hash, Hash, MemoryTree};
use antt_audit::note::{Signer, Verifier};
use antt_audit::witness::AddCheckpointRequest;
use antt_witness::limits::REQUEST_BODY_BYTES_MAX;
use antt_witness::{ServeError, SubmitError, Witness, WitnessClient, WitnessConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const ORIGIN: &str = "example.com/log";
const WITNESS_NAME: &str = "witness.example/w1";

// The log's tree, from antt-audit's own in-memory tree.
fn root(leaves: &[Hash]) -> Hash {
    merkle::root_at(&MemoryTree::from_leaves(leaves.to_vec()), leaves.len() as u64).expect("a root")
}

fn consistency(old_size: usize, leaves: &[Hash]) -> Vec<Hash> {
    let tree = MemoryTree::from_leaves(leaves.to_vec());
    merkle::consistency_proof(&tree, old_size as u64, leaves.len() as u64).expect("a proof")
}

/// A log: a key and a history of leaves, of which any prefix can be checkpointed.
struct Log {
    signer: Signer,
    origin: String,
    leaves: Vec<Hash>,
}

impl Log {
    fn new(origin: &str, salt: &str) -> Self {
        let leaves = (0..16u32).map(|i| leaf_hash(format!("{salt}{i}").as_bytes())).collect();
        Log {
            signer: Signer::generate(origin).expect("key"),
            origin: origin.into(),
            leaves,
        }
    }

    fn checkpoint(&self, size: usize) -> Checkpoint {
        Checkpoint {
            origin: self.origin.clone(),
            size: size as u64,
            root: root(&self.leaves[..size]),
            extensions: vec![],
        }
    }

    fn request(&self, old: usize, size: usize) -> AddCheckpointRequest {
        let proof = if old == 0 {
            vec![]
        } else {
            consistency(old, &self.leaves[..size])
        };
        self.request_for(old as u64, proof, self.checkpoint(size))
    }

    fn request_for(&self, old_size: u64, proof: Vec<Hash>, checkpoint: Checkpoint) -> AddCheckpointRequest {
        let signed = SignedCheckpoint::sign(checkpoint, &self.signer).expect("signs");
        AddCheckpointRequest {
            old_size,
            consistency_proof: proof,
            checkpoint_text: signed.to_text(),
        }
    }
}

/// A running witness and the means to stop it.
struct Running {
    address: SocketAddr,
    verifier: Verifier,
    client: WitnessClient,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl Running {
    async fn start(dir: &Path, logs: &[&Log]) -> Self {
        let logs: BTreeMap<String, Verifier> = logs
            .iter()
            .map(|log| (log.origin.clone(), log.signer.verifier()))
            .collect();
        let config = WitnessConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            state_dir: dir.join("state"),
            key_file: dir.join("witness.key"),
            name: WITNESS_NAME.into(),
            logs,
        };
        let witness = Witness::bind(config).await.expect("binds");
        let (address, verifier) = (witness.local_addr().expect("address"), witness.verifier());
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(witness.run(async move {
            let _ = stopped.await;
        }));
        let client = WitnessClient::new(&format!("http://{address}")).expect("client");
        Running {
            address,
            verifier,
            client,
            stop,
            task,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("joins").expect("serves cleanly");
    }

    /// Submits and checks that the one returned line is a valid cosignature.
    async fn cosign(&self, log: &Log, request: &AddCheckpointRequest) -> u64 {
        let signatures = self.client.submit(request).await.expect("cosigned");
        assert_eq!(signatures.len(), 1);
        let checkpoint = SignedCheckpoint::parse_unverified(&request.checkpoint_text)
            .expect("checkpoint")
            .checkpoint;
        assert_eq!(checkpoint.origin, log.origin);
        verify_cosignature(&self.verifier, &checkpoint, &signatures[0]).expect("cosignature verifies")
    }

    async fn refusal(&self, request: &AddCheckpointRequest) -> SubmitError {
        self.client.submit(request).await.expect_err("refused")
    }

    /// Sends raw bytes and returns the response's status and the whole response text.
    async fn raw(&self, request: &[u8]) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(self.address).await.expect("connects");
        stream.write_all(request).await.expect("writes");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.expect("reads");
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        (status, text)
    }
}

fn status(error: &SubmitError) -> u16 {
    match error {
        SubmitError::Refused { status, .. } => *status,
        SubmitError::Conflict { .. } => 409,
        other => panic!("unexpected {other}"),
    }
}

fn post(body: &[u8]) -> Vec<u8> {
    let head = format!(
        "POST /add-checkpoint HTTP/1.1\r\nHost: witness\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), body].concat()
}

#[tokio::test]
async fn first_checkpoint_then_an_extension_are_cosigned() {
    let dir = tempfile::tempdir().expect("dir");
    let log = Log::new(ORIGIN, "a");
    let witness = Running::start(dir.path(), &[&log]).await;
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let timestamp = witness.cosign(&log, &log.request(0, 3)).await;
    assert!(timestamp >= before, "the cosignature is timestamped now");
    witness.cosign(&log, &log.request(3, 7)).await;
    witness.cosign(&log, &log.request(7, 7)).await;
    witness.stop().await;
}

#[tokio::test]
async fn key_file_is_private_and_reused() {
    let dir = tempfile::tempdir().expect("dir");
    let log = Log::new(ORIGIN, "a");
    let first = Running::start(dir.path(), &[&log]).await;
    let verifier = first.verifier.clone();
    first.stop().await;
    let mode = std::fs::metadata(dir.path().join("witness.key"))
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let second = Running::start(dir.path(), &[&log]).await;
    assert_eq!(second.verifier, verifier);
    assert_eq!(verifier.name(), WITNESS_NAME);
    second.stop().await;
}

#[tokio::test]
async fn forks_are_refused_with_422() {
    let dir = tempfile::tempdir().expect("dir");
    let log = Log::new(ORIGIN, "a");
    let fork = Log {
        signer: Signer::from_private_key(&log.signer.private_key_text()).expect("key"),
        ..Log::new(ORIGIN, "b")
    };
    let witness = Running::start(dir.path(), &[&log]).await;
    witness.cosign(&log, &log.request(0, 4)).await;
    // Same size, another root, signed by the log's own key.
    let same_size = fork.request_for(4, vec![], fork.checkpoint(4));
    assert_eq!(status(&witness.refusal(&same_size).await), 422);
    // A bigger tree with another history: its proof is right for it, not for size 4.
    let inconsistent = fork.request_for(4, consistency(4, &fork.leaves[..6]), fork.checkpoint(6));
    assert_eq!(status(&witness.refusal(&inconsistent).await), 422);
    witness.cosign(&log, &log.request(4, 6)).await;
    witness.stop().await;
}

#[tokio::test]
async fn wrong_old_size_is_409_with_the_witness_size() {
    let dir = tempfile::tempdir().expect("dir");
    let log = Log::new(ORIGIN, "a");
    let witness = Running::start(dir.path(), &[&log]).await;
    witness.cosign(&log, &log.request(0, 4)).await;
    let refusal = witness.refusal(&log.request(2, 8)).await;
    assert!(matches!(refusal, SubmitError::Conflict { size: 4 }), "{refusal}");
    // The size lets the client retry from the witness's checkpoint.
    witness.cosign(&log, &log.request(4, 8)).await;
    let (code, text) = witness.raw(&post(log.request(0, 9).to_body().as_bytes())).await;
    assert_eq!(code, 409);
    assert!(
        text.to_ascii_lowercase().contains("content-type: text/x.tlog.size"),
        "{text}"
    );
    assert!(text.ends_with("\r\n\r\n8\n"), "{text}");
    witness.stop().await;
}

#[tokio::test]
async fn unknown_origin_is_404_and_bad_log_signature_403() {
    let dir = tempfile::tempdir().expect("dir");
    let log = Log::new(ORIGIN, "a");
    let witness = Running::start(dir.path(), &[&log]).await;
    let stranger = Log::new("other.example/log", "a");
    assert_eq!(status(&witness.refusal(&stranger.request(0, 1)).await), 404);
    let impostor = Log::new(ORIGIN, "a");
    assert_eq!(status(&witness.refusal(&impostor.request(0, 1)).await), 403);
    witness.stop().await;
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let dir = tempfile::tempdir().expect("dir");
    let log = Log::new(ORIGIN, "a");
    let witness = Running::start(dir.path(), &[&log]).await;
    let garbage = AddCheckpointRequest {
        old_size: 0,
        consistency_proof: vec![],
        checkpoint_text: "not a note\n".into(),
    };
    assert_eq!(status(&witness.refusal(&garbage).await), 400);
    assert_eq!(witness.raw(&post(b"old zero\n\n")).await.0, 400);
    let above = log.request_for(5, vec![], log.checkpoint(3));
    assert_eq!(status(&witness.refusal(&above).await), 400);
    witness.stop().await;
}

#[tokio::test]
async fn bodies_over_the_limit_wrong_paths_and_methods_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let log = Log::new(ORIGIN, "a");
    let witness = Running::start(dir.path(), &[&log]).await;
    let over = format!(
        "POST /add-checkpoint HTTP/1.1\r\nHost: witness\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        REQUEST_BODY_BYTES_MAX + 1
    );
    assert_eq!(witness.raw(over.as_bytes()).await.0, 413);
    let get = "GET /add-checkpoint HTTP/1.1\r\nHost: witness\r\nConnection: close\r\n\r\n";
    assert_eq!(witness.raw(get.as_bytes()).await.0, 405);
    let elsewhere = "POST /other HTTP/1.1\r\nHost: witness\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    assert_eq!(witness.raw(elsewhere.as_bytes()).await.0, 404);
    witness.stop().await;
}

#[tokio::test]
async fn state_survives_a_restart_and_still_refuses_forks() {
    let dir = tempfile::tempdir().expect("dir");
    let log = Log::new(ORIGIN, "a");
    let first = Running::start(dir.path(), &[&log]).await;
    first.cosign(&log, &log.request(0, 5)).await;
    first.stop().await;
    let second = Running::start(dir.path(), &[&log]).await;
    assert!(matches!(
        second.refusal(&log.request(0, 5)).await,
        SubmitError::Conflict { size: 5 }
    ));
    let fork = log.request_for(
        5,
        vec![],
        Checkpoint {
            root: leaf_hash(b"fork"),
            ..log.checkpoint(5)
        },
    );
    assert_eq!(status(&second.refusal(&fork).await), 422);
    second.cosign(&log, &log.request(5, 9)).await;
    second.stop().await;
    let third = Running::start(dir.path(), &[&log]).await;
    assert!(matches!(
        third.refusal(&log.request(5, 9)).await,
        SubmitError::Conflict { size: 9 }
    ));
    third.stop().await;
}

#[tokio::test]
async fn corrupt_state_stops_the_witness() {
    let dir = tempfile::tempdir().expect("dir");
    let log = Log::new(ORIGIN, "a");
    let first = Running::start(dir.path(), &[&log]).await;
    first.cosign(&log, &log.request(0, 2)).await;
    first.stop().await;
    let state = std::fs::read_dir(dir.path().join("state"))
        .expect("state dir")
        .next()
        .expect("a file")
        .expect("entry");
    std::fs::write(state.path(), "truncated\n").expect("overwrites");
    let config = WitnessConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        state_dir: dir.path().join("state"),
        key_file: dir.path().join("witness.key"),
        name: WITNESS_NAME.into(),
        logs: BTreeMap::from([(ORIGIN.to_owned(), log.signer.verifier())]),
    };
    assert!(matches!(Witness::bind(config).await, Err(ServeError::State(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_requests_from_one_old_size_get_one_cosignature() {
    let dir = tempfile::tempdir().expect("dir");
    let log = Log::new(ORIGIN, "a");
    let witness = Running::start(dir.path(), &[&log]).await;
    witness.cosign(&log, &log.request(0, 4)).await;
    for round in 0..5 {
        let old = 4 + round * 2;
        let (short, long) = (log.request(old, old + 1), log.request(old, old + 2));
        let (a, b) = tokio::join!(witness.client.submit(&short), witness.client.submit(&long));
        let winners = [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count();
        assert_eq!(winners, 1, "round {round}: exactly one extends size {old}");
        let loser = a.err().or(b.err()).expect("one refusal");
        assert!(matches!(loser, SubmitError::Conflict { size } if size == old as u64 + 1 || size == old as u64 + 2));
        // Bring the witness to old + 2 for the next round, whichever won.
        let _ = witness.client.submit(&log.request(old + 1, old + 2)).await;
    }
    witness.stop().await;
}
