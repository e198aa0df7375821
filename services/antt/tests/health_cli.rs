//! `antt admin health`: the container health check. Exit 0 and SERVING from a running
//! server, 1 for a service it has no health for, 3 once the server is gone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{antt_command, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_exits_zero_only_while_the_server_serves() {
    let server = Server::start("antt-health-").await;
    let serving = antt_command(&server).args(["admin", "health"]).output().await.unwrap();
    assert_eq!(serving.status.code(), Some(0), "{serving:?}");
    assert_eq!(String::from_utf8_lossy(&serving.stdout).trim(), "SERVING");
    let store = antt_command(&server)
        .args(["admin", "health", "--service", "antt.v1.EventStore"])
        .output()
        .await
        .unwrap();
    assert_eq!(store.status.code(), Some(0), "{store:?}");
    let unknown = antt_command(&server)
        .args(["admin", "health", "--service", "antt.v1.NoSuchService"])
        .output()
        .await
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1), "{unknown:?}");
    let mut gone = antt_command(&server);
    gone.args(["admin", "health"]);
    server.stop().await;
    let gone = gone.output().await.unwrap();
    assert_eq!(gone.status.code(), Some(3), "{gone:?}");
}
