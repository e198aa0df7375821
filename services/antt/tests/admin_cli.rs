//! `antt admin verify` and `antt admin recover` on a stopped server's store: damage is
//! named with its first bad position, and keeping the verified prefix is an explicit,
//! recorded decision after which the server starts again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use antt_proto::v1::event_store_client::EventStoreClient;
use antt_proto::v1::{AppendRequest, NewEvent, ReadAllRequest};
use support::Server;

fn antt() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_antt"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_missing_acknowledged_events_is_named_then_recovered_on_the_record() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let at = |config: &mut anttd::Config| config.data_dir = data.clone();
    let server = Server::start_with("antt-admin-", at).await;
    let mut client = EventStoreClient::new(server.channel.clone());
    for n in 0..4 {
        let events = (0..10)
            .map(|i| NewEvent {
                event_id: uuid::Uuid::new_v4().to_string(),
                event_type: "antt.v1.Noted".into(),
                schema_version: 1,
                content_type: "application/json".into(),
                payload: format!("{{\"n\":{}}}", n * 10 + i).into_bytes(),
                ..NewEvent::default()
            })
            .collect();
        let request = AppendRequest {
            stream_id: format!("area-{n}"),
            expected: None,
            events,
        };
        client.append(request).await.unwrap();
    }
    drop(client);
    server.stop().await;

    let verified = antt().args(["admin", "verify", "--data"]).arg(&data).output().unwrap();
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("anchored head: 40 events"));

    // sled loses the last group, as it does when it cuts a damaged tail.
    {
        let db = sled::Config::new()
            .path(&data)
            .segment_size(antt_log::limits::SLED_SEGMENT_SIZE_BYTES)
            .open()
            .unwrap();
        let tree = db.open_tree("events").unwrap();
        for position in 30u64..40 {
            tree.remove(position.to_be_bytes()).unwrap();
        }
        db.flush().unwrap();
    }
    let damaged = antt().args(["admin", "verify", "--data"]).arg(&data).output().unwrap();
    assert_eq!(damaged.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&damaged.stderr);
    assert!(
        stderr.contains("first bad position 30") && stderr.contains("missing"),
        "{stderr}"
    );

    let recovered = antt()
        .args([
            "admin",
            "recover",
            "--reason",
            "không có bản sao lưu; quyết định của Trưởng Công an xã",
            "--operator",
            "an.nguyen",
            "--data",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(
        recovered.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&recovered.stderr)
    );
    let report = String::from_utf8_lossy(&recovered.stdout);
    assert!(
        report.contains("events kept (verified prefix): 30") && report.contains("acknowledged events lost: 10"),
        "{report}"
    );

    // The server starts again, and the log itself says what happened.
    let server = Server::start_with("antt-admin-", at).await;
    let mut client = EventStoreClient::new(server.channel.clone());
    let mut stream = client
        .read_all(ReadAllRequest {
            from_position: 0,
            filter: None,
            max_count: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.unwrap() {
        events.push(event);
    }
    assert_eq!(events.len(), 31);
    let record = &events[30];
    assert_eq!(
        (record.stream_id.as_str(), record.event_type.as_str()),
        ("antt-log-recovery", "antt.v1.LogRecovered")
    );
    assert_eq!(record.actor, "an.nguyen");
    let payload: serde_json::Value = serde_json::from_slice(&record.payload).unwrap();
    assert_eq!(
        (payload["kept"].as_u64(), payload["acknowledged_lost"].as_u64()),
        (Some(30), Some(10))
    );
    drop(client);
    server.stop().await;
}
