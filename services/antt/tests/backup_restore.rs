//! `antt admin backup | restore | backup-keys | restore-keys` against real servers.
//!
//! Goal: a backup taken while appenders keep writing holds exactly the events before its
//! position; it restores into a new data directory that verifies and that a server starts
//! on with the same head and checkpoint root; a damaged backup is refused and leaves no
//! directory behind; a key backup older than an erasure is restored with that key
//! destroyed again, while the other keys still open their records.
//! Method: `anttd::serve` in-process on loopback, the `antt` binary run against it, a
//! second server started on the restored directory, and the key store read directly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use antt_keystore::{KeyStatus, KeyStore};
use antt_proto::v1 as pb;
use antt_proto::v1::audit_client::AuditClient;
use antt_proto::v1::event_store_client::EventStoreClient;
use antt_proto::v1::forces_client::ForcesClient;
use support::{antt_command, Server};
use tokio_stream::StreamExt;
use uuid::Uuid;

async fn antt(server: &Server, args: &[&str]) -> Output {
    antt_command(server).args(args).output().await.unwrap()
}

/// `antt` for the offline commands, which reach no server.
async fn antt_offline(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_antt"))
        .args(args)
        .env_remove("ANTT_SERVER")
        .output()
        .await
        .unwrap()
}

fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "antt failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The value of a `key: value` line of a command's output.
fn field(stdout: &str, key: &str) -> String {
    let prefix = format!("{key}: ");
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {key:?} in {stdout}"))
        .to_string()
}

fn path_arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// An event with every hashed field set, so that a field lost on the way fails the chain.
fn event(n: u64) -> pb::NewEvent {
    pb::NewEvent {
        event_id: Uuid::new_v4().to_string(),
        event_type: "antt.v1.Note".into(),
        schema_version: 2,
        effective_at: Some(prost_types::Timestamp {
            seconds: 1_528_761_600 + n as i64,
            nanos: 7_000,
        }),
        // Set by the server: the caller ("development" here), whatever is sent.
        actor: String::new(),
        correlation_id: Uuid::new_v4().to_string(),
        causation_id: String::new(),
        metadata: [
            ("nguon".to_string(), format!("so-{n}")),
            ("a".to_string(), "ư".to_string()),
        ]
        .into(),
        content_type: "application/json".into(),
        payload: format!("{{\"n\":{n},\"text\":\"Nguyễn Văn A\"}}").into_bytes(),
    }
}

async fn append(client: &mut EventStoreClient<tonic::transport::Channel>, stream: &str, n: u64) {
    client
        .append(pb::AppendRequest {
            stream_id: stream.into(),
            expected: None,
            events: vec![event(n), event(n + 1)],
        })
        .await
        .unwrap();
}

async fn read_all(channel: &tonic::transport::Channel) -> Vec<pb::RecordedEvent> {
    let mut stream = EventStoreClient::new(channel.clone())
        .read_all(pb::ReadAllRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.unwrap());
    }
    events
}

async fn checkpoint_at(channel: &tonic::transport::Channel, tree_size: u64) -> pb::SignedCheckpoint {
    AuditClient::new(channel.clone())
        .get_checkpoint(pb::GetCheckpointRequest { tree_size })
        .await
        .unwrap()
        .into_inner()
}

/// Serves a restored data directory (and key directory, if any).
async fn serve_restored(data: &Path, keys: Option<&Path>) -> Server {
    let mut config = anttd::Config::for_data_dir(data);
    config.key_dir = keys.map(Path::to_path_buf);
    Server::serve(config, tempfile::tempdir().unwrap()).await
}

/// Appends from two writers until told to stop; each writes once more after the stop is
/// asked, so the log surely grows after whatever ran meanwhile.
fn spawn_appenders(
    server: &Server,
    stop: &Arc<AtomicBool>,
    written: &Arc<AtomicU64>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..2)
        .map(|writer| {
            let mut client = EventStoreClient::new(server.channel.clone());
            let (stop, written) = (stop.clone(), written.clone());
            tokio::spawn(async move {
                let mut n = 0;
                loop {
                    let stopping = stop.load(Ordering::SeqCst);
                    append(&mut client, &format!("load-{writer}"), n).await;
                    written.fetch_add(2, Ordering::SeqCst);
                    n += 2;
                    if stopping {
                        break;
                    }
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_the_log_up_to_its_position() {
    let server = Server::start("antt-backup-").await;
    let mut client = EventStoreClient::new(server.channel.clone());
    for n in 0..150 {
        append(&mut client, &format!("area-{}", n % 5), n * 2).await;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let appenders = spawn_appenders(&server, &stop, &written);
    // The appenders are writing before the backup starts.
    while written.load(Ordering::SeqCst) < 20 {
        tokio::task::yield_now().await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("log.anttbak");
    let backup = succeeded(&antt(&server, &["admin", "backup", "--out", path_arg(&file)]).await);
    stop.store(true, Ordering::SeqCst);
    for appender in appenders {
        appender.await.unwrap();
    }
    let position: u64 = field(&backup, "position").split(' ').next().unwrap().parse().unwrap();
    let source_events = read_all(&server.channel).await;
    assert!(
        position >= 320,
        "the backup starts after the 300 seeded and 20 loaded events: {position}"
    );
    assert!(
        (source_events.len() as u64) > position,
        "the log grew after the backup's position ({} events, position {position})",
        source_events.len()
    );
    assert_eq!(
        field(&backup, "head hash"),
        antt_audit::encoding::hex(&source_events[position as usize - 1].hash)
    );
    let signed = checkpoint_at(&server.channel, position).await;
    assert_eq!(
        field(&backup, "merkle root"),
        antt_audit::encoding::hex(&signed.root_hash)
    );
    assert_eq!(field(&backup, "signed checkpoint"), format!("tree size {position}"));

    let restored = dir.path().join("restored");
    let restore = succeeded(
        &antt(
            &server,
            &[
                "admin",
                "restore",
                "--from",
                path_arg(&file),
                "--data",
                path_arg(&restored),
            ],
        )
        .await,
    );
    assert_eq!(field(&restore, "events"), position.to_string());
    let verify = succeeded(&antt(&server, &["admin", "verify", "--data", path_arg(&restored)]).await);
    assert_eq!(field(&verify, "events checked"), position.to_string());
    assert_eq!(field(&verify, "head hash"), field(&backup, "head hash"));
    assert_eq!(field(&verify, "merkle root"), field(&backup, "merkle root"));
    server.stop().await;

    // A server on the restored directory holds exactly the source's first `position`
    // events, field for field, and nothing after them; its checkpoint root is the source's.
    let restored_server = serve_restored(&restored, None).await;
    let restored_events = read_all(&restored_server.channel).await;
    assert_eq!(restored_events.len() as u64, position, "no event after the position");
    assert_eq!(restored_events[..], source_events[..position as usize]);
    let head = EventStoreClient::new(restored_server.channel.clone())
        .get_head(pb::GetHeadRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(head.next_position, position);
    assert_eq!(head.last_hash, source_events[position as usize - 1].hash);
    let kept = checkpoint_at(&restored_server.channel, position).await;
    assert_eq!(kept.root_hash, signed.root_hash);
    assert_eq!(kept.note, signed.note);
    // Its own stored tree proves the last event into the root the source signed.
    let proven = AuditClient::new(restored_server.channel.clone())
        .get_proven_event(pb::GetProvenEventRequest {
            position: position - 1,
            tree_size: position,
        })
        .await
        .unwrap()
        .into_inner();
    let path: Vec<[u8; 32]> = proven
        .proof
        .unwrap()
        .hashes
        .iter()
        .map(|h| h.as_slice().try_into().unwrap())
        .collect();
    let root: [u8; 32] = signed.root_hash.as_slice().try_into().unwrap();
    let leaf = antt_audit::merkle::leaf_hash(&proven.canonical);
    antt_audit::merkle::verify_inclusion(&leaf, position - 1, position, &path, &root).unwrap();
    restored_server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_backup_is_refused_and_leaves_no_directory() {
    let server = Server::start("antt-backup-damaged-").await;
    let mut client = EventStoreClient::new(server.channel.clone());
    for n in 0..40 {
        append(&mut client, "area-1", n * 2).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("log.anttbak");
    succeeded(
        &antt(
            &server,
            &["admin", "backup", "--out", path_arg(&file), "--to-position", "60"],
        )
        .await,
    );
    let original = std::fs::read(&file).unwrap();
    // One byte in the middle of the events, then one in the manifest near the end.
    for (what, index) in [("an event", original.len() / 3), ("the manifest", original.len() - 100)] {
        let mut bytes = original.clone();
        bytes[index] ^= 0x04;
        let damaged = dir.path().join(format!("damaged-{index}.anttbak"));
        std::fs::write(&damaged, &bytes).unwrap();
        let restored = dir.path().join(format!("restored-{index}"));
        let output = antt(
            &server,
            &[
                "admin",
                "restore",
                "--from",
                path_arg(&damaged),
                "--data",
                path_arg(&restored),
            ],
        )
        .await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "a flipped byte in {what} was accepted: {stderr}"
        );
        assert!(stderr.contains("SHA-256"), "{what}: {stderr}");
        assert!(!restored.exists(), "{what}: a directory was left at the target");
    }
    let left: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
    // The intact file restores, and a second restore onto the now full directory is refused.
    let restored = dir.path().join("restored");
    succeeded(
        &antt(
            &server,
            &[
                "admin",
                "restore",
                "--from",
                path_arg(&file),
                "--data",
                path_arg(&restored),
            ],
        )
        .await,
    );
    let again = antt(
        &server,
        &[
            "admin",
            "restore",
            "--from",
            path_arg(&file),
            "--data",
            path_arg(&restored),
        ],
    )
    .await;
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"));
    server.stop().await;
}

async fn register(forces: &mut ForcesClient<tonic::transport::Channel>, person: &str, name: &str) {
    forces
        .register_person(pb::RegisterPersonRequest {
            header: Some(pb::CommandHeader {
                request_id: Uuid::new_v4().to_string(),
                expected_version: None,
                effective_date: Some(pb::Date {
                    year: 2019,
                    month: 1,
                    day: 1,
                }),
                decision: None,
            }),
            person_id: person.into(),
            personal_data: Some(pb::PersonalData {
                full_name: name.into(),
                citizen_id: "038180004321".into(),
                ..pb::PersonalData::default()
            }),
        })
        .await
        .unwrap();
}

async fn get_person(server: &Server, person: &str) -> pb::PersonView {
    ForcesClient::new(server.channel.clone())
        .get_person(pb::GetPersonRequest {
            person_id: person.into(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner()
}

/// Registers a person to erase and one to keep, backs the key store up, then erases the
/// first: the key backup is older than the erasure. Returns (erased, kept, key backup).
async fn erase_after_a_key_backup(server: &Server, dir: &Path) -> (String, String, PathBuf) {
    let mut forces = ForcesClient::new(server.channel.clone());
    let (erased, kept) = (Uuid::new_v4().to_string(), Uuid::new_v4().to_string());
    register(&mut forces, &erased, "Trần Thị Lan").await;
    register(&mut forces, &kept, "Lê Văn Bình").await;
    let keys_file = dir.join("keys.bak");
    // Where the server keeps them by default: beside its data directory.
    let source_keys = anttd::Config::for_data_dir(server.data_dir()).key_dir();
    let keys_backup = succeeded(
        &antt(
            server,
            &[
                "admin",
                "backup-keys",
                "--keys",
                path_arg(&source_keys),
                "--out",
                path_arg(&keys_file),
            ],
        )
        .await,
    );
    assert_eq!(field(&keys_backup, "keys"), "2");
    succeeded(
        &antt(
            server,
            &["admin", "forget-person", &erased, "--reason", "Yêu cầu xoá dữ liệu"],
        )
        .await,
    );
    (erased, kept, keys_file)
}

/// `antt admin restore-keys` of the key backup `from` into `keys`.
fn restore_keys_args<'a>(from: &'a Path, keys: &'a Path) -> Vec<&'a str> {
    vec![
        "admin",
        "restore-keys",
        "--from",
        path_arg(from),
        "--keys",
        path_arg(keys),
    ]
}

/// What `restore-keys` said and left on disk, before any server sees it: the erased
/// person's key is gone again, the other person's key is back.
fn assert_keys_restored(restore_keys: &str, keys: &Path, erased: &str, kept: &str) {
    assert_eq!(field(restore_keys, "erasures recorded in the log"), "1");
    assert_eq!(field(restore_keys, "keys destroyed again"), "1");
    let store = KeyStore::open(keys).unwrap();
    assert!(matches!(
        store.status(&format!("person-{erased}")).unwrap(),
        KeyStatus::Forgotten { .. }
    ));
    assert!(matches!(
        store.status(&format!("person-{kept}")).unwrap(),
        KeyStatus::Live(_)
    ));
}

/// A server on the restored keys shows the kept person and not the erased one.
async fn assert_served(server: &Server, erased: &str, kept: &str) {
    let gone = get_person(server, erased).await;
    assert!(gone.erased);
    assert!(gone.personal_data.is_none());
    let readable = get_person(server, kept).await;
    assert!(!readable.erased);
    assert_eq!(readable.personal_data.unwrap().full_name, "Lê Văn Bình");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_erased_after_the_key_backup_stays_erased() {
    let server = Server::start("antt-backup-keys-").await;
    let dir = tempfile::tempdir().unwrap();
    let (erased, kept, keys_file) = erase_after_a_key_backup(&server, dir.path()).await;
    let log_file = dir.path().join("log.anttbak");
    succeeded(&antt(&server, &["admin", "backup", "--out", path_arg(&log_file)]).await);
    server.stop().await;

    let restored = dir.path().join("restored");
    let keys = dir.path().join("restored-keys");
    succeeded(
        &antt_offline(&[
            "admin",
            "restore",
            "--from",
            path_arg(&log_file),
            "--data",
            path_arg(&restored),
        ])
        .await,
    );
    let mut offline = restore_keys_args(&keys_file, &keys);
    offline.extend(["--data", path_arg(&restored)]);
    let restore_keys = succeeded(&antt_offline(&offline).await);
    assert_keys_restored(&restore_keys, &keys, &erased, &kept);
    let restored_server = serve_restored(&restored, Some(&keys)).await;
    assert_served(&restored_server, &erased, &kept).await;
    restored_server.stop().await;
}

/// The key store's disk is lost while the log's server keeps running: without `--data`,
/// `restore-keys` reads the erasures from that server over gRPC, and the server restarted
/// on the restored keys keeps the erased person erased.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_restored_beside_a_running_server_take_its_erasures() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::serve(anttd::Config::for_data_dir(&data), tempfile::tempdir().unwrap()).await;
    let (erased, kept, keys_file) = erase_after_a_key_backup(&server, dir.path()).await;

    let keys = dir.path().join("replacement-keys");
    let restore_keys = succeeded(&antt(&server, &restore_keys_args(&keys_file, &keys)).await);
    assert_keys_restored(&restore_keys, &keys, &erased, &kept);
    server.stop().await;

    let restarted = serve_restored(&data, Some(&keys)).await;
    assert_served(&restarted, &erased, &kept).await;
    restarted.stop().await;
}
