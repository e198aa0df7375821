//! `antt admin forget-person` against a real server.
//!
//! Goal: the command erases a registered person's personal data through the
//! ForgetPerson RPC and prints the outcome as one JSON line; repeating it with the same
//! request id returns the original result; a second erasure is refused with the date of
//! the first; a malformed person id is a usage error.
//! Method: `anttd::serve` in-process on a temp directory, the `antt` binary run against it.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::process::Output;

use antt_proto::v1 as pb;
use antt_proto::v1::forces_client::ForcesClient;
use support::{antt_command, Server};
use tonic::transport::Channel;
use uuid::Uuid;

impl Server {
    fn forces(&self) -> ForcesClient<Channel> {
        ForcesClient::new(self.channel.clone())
    }
}

async fn antt(server: &Server, args: &[&str]) -> Output {
    antt_command(server).args(args).output().await.unwrap()
}

fn json_line(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "antt failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_person_erases_and_is_safe_to_repeat() {
    let server = Server::start("antt-forget-").await;
    let person = Uuid::new_v4().to_string();
    server
        .forces()
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
            person_id: person.clone(),
            personal_data: Some(pb::PersonalData {
                full_name: "Trần Thị Lan".into(),
                citizen_id: "038180004321".into(),
                ..pb::PersonalData::default()
            }),
        })
        .await
        .unwrap();

    let request_id = Uuid::new_v4().to_string();
    let args = [
        "admin",
        "forget-person",
        person.as_str(),
        "--reason",
        "Yêu cầu xoá dữ liệu của chủ thể dữ liệu",
        "--effective",
        "2024-06-01",
        "--request-id",
        request_id.as_str(),
    ];
    let first = json_line(&antt(&server, &args).await);
    assert_eq!(first["event_types"][0], "antt.v1.PersonErased");
    assert_eq!(first["stream_id"], format!("person-{person}"));
    assert_eq!(first["deduplicated"], false);
    let again = json_line(&antt(&server, &args).await);
    assert_eq!(again["deduplicated"], true);
    assert_eq!(again["position"], first["position"]);

    let view = server
        .forces()
        .get_person(pb::GetPersonRequest {
            person_id: person.clone(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(view.erased);
    assert!(view.personal_data.is_none());

    // Without --request-id: a new erasure, refused with the date of the first.
    let twice = antt(
        &server,
        &["admin", "forget-person", person.as_str(), "--reason", "Lần hai"],
    )
    .await;
    assert_eq!(twice.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&twice.stderr);
    assert!(stderr.contains("FAILED_PRECONDITION"), "{stderr}");
    assert!(stderr.contains("erased on 2024-06-01"), "{stderr}");
    assert!(stderr.contains("--request-id"), "{stderr}");

    let usage = antt(&server, &["admin", "forget-person", "Trần Thị Lan", "--reason", "x"]).await;
    assert_eq!(usage.status.code(), Some(2));
    server.stop().await;
}
