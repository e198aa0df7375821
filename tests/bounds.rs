//! The server's bounds on what clients hold open (`anttd::limits`), each reached for real
//! on a real server: concurrent calls per connection, connections, subscribers. Reaching
//! one is load, not failure: health stays SERVING throughout.
#![allow(clippy::expect_used)]

use std::time::Duration;

use antt_e2e::{bounded, connect_channel, TestServer};
use antt_proto::v1::event_store_client::EventStoreClient;
use antt_proto::v1::{GetHeadRequest, SubscribeRequest, SubscribeResponse};
use anttd::limits::{CONNECTIONS_MAX, HTTP2_STREAMS_PER_CONNECTION_MAX, SUBSCRIBERS_MAX};
use tonic::transport::{Channel, Endpoint};
use tonic::Streaming;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

type TestResult = anyhow::Result<()>;

/// How long a call that cannot be served is given before the test concludes it waits. It
/// cannot complete in any time while the bound holds, so this is no performance threshold:
/// without the bound the call completes in milliseconds, and the test fails.
const BLOCKED_CALL_WAIT: Duration = Duration::from_millis(500);

async fn subscribe(channel: &Channel) -> Result<Streaming<SubscribeResponse>, tonic::Status> {
    Ok(EventStoreClient::new(channel.clone())
        .subscribe(SubscribeRequest {
            from_position: 0,
            filter: None,
        })
        .await?
        .into_inner())
}

async fn get_head(channel: &Channel) -> anyhow::Result<()> {
    EventStoreClient::new(channel.clone())
        .get_head(GetHeadRequest {})
        .await?;
    Ok(())
}

async fn assert_serving(channel: &Channel) -> TestResult {
    let status = HealthClient::new(channel.clone())
        .check(HealthCheckRequest { service: String::new() })
        .await?
        .into_inner()
        .status();
    assert_eq!(status, ServingStatus::Serving, "health at a bound");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_holds_at_most_its_concurrent_calls() -> TestResult {
    // Goal: one connection carries at most HTTP2_STREAMS_PER_CONNECTION_MAX calls at once
    // (advertised in the server's HTTP/2 SETTINGS); one more waits until one ends.
    // Method: fill one connection with live subscriptions, then a GetHead on it cannot
    // complete; on another connection it does. End one subscription: it completes.
    let server = TestServer::start().await?;
    let full = connect_channel(server.addr).await?;
    let mut open = Vec::new();
    for _ in 0..HTTP2_STREAMS_PER_CONNECTION_MAX {
        open.push(bounded("subscribe", subscribe(&full)).await??);
    }
    let waited = tokio::time::timeout(BLOCKED_CALL_WAIT, get_head(&full)).await;
    assert!(waited.is_err(), "a call beyond the bound was served: {waited:?}");
    get_head(&server.channel).await?;
    assert_serving(&server.channel).await?;
    drop(open.pop());
    bounded("GetHead once a call ended", get_head(&full)).await??;
    drop(open);
    drop(full);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_bound_wait_until_one_closes() -> TestResult {
    // Goal: at most CONNECTIONS_MAX connections are served; a further one is not accepted
    // (its calls wait) until one of them closes, and then it is served.
    // Method: the test server's own connection plus CONNECTIONS_MAX - 1 more, each proven
    // served by a GetHead; one more connection's GetHead cannot complete; close one
    // connection, and a new connection is served.
    let server = TestServer::start().await?;
    let mut served = Vec::new();
    for _ in 1..CONNECTIONS_MAX {
        let channel = connect_channel(server.addr).await?;
        bounded("GetHead below the bound", get_head(&channel)).await??;
        served.push(channel);
    }
    let beyond = Endpoint::from_shared(format!("http://{}", server.addr))?.connect_lazy();
    let waited = tokio::time::timeout(BLOCKED_CALL_WAIT, get_head(&beyond)).await;
    assert!(waited.is_err(), "a connection beyond the bound was served: {waited:?}");
    assert_serving(&server.channel).await?;
    drop(beyond);
    drop(served.pop());
    let another = Endpoint::from_shared(format!("http://{}", server.addr))?.connect_lazy();
    bounded("GetHead once a connection closed", get_head(&another)).await??;
    drop(another);
    drop(served);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_beyond_the_bound_are_refused_with_resource_exhausted() -> TestResult {
    // Goal: at most SUBSCRIBERS_MAX subscriptions live at once over all connections; one
    // more is RESOURCE_EXHAUSTED at once, health stays SERVING, and a place freed by a
    // subscriber that leaves is taken by the next.
    // Method: SUBSCRIBERS_MAX subscriptions spread over enough connections to stay below
    // the per-connection bound; one more; drop one and subscribe until it is accepted.
    let server = TestServer::start().await?;
    let per_connection = (HTTP2_STREAMS_PER_CONNECTION_MAX as usize) / 2;
    let mut channels = Vec::new();
    let mut open = Vec::new();
    for index in 0..SUBSCRIBERS_MAX {
        if index % per_connection == 0 {
            channels.push(connect_channel(server.addr).await?);
        }
        let channel = channels.last().expect("a channel");
        open.push(bounded("subscribe below the bound", subscribe(channel)).await??);
    }
    let refused = subscribe(&server.channel).await.expect_err("one subscription too many");
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted, "{refused:?}");
    assert!(refused.message().contains(&SUBSCRIBERS_MAX.to_string()), "{refused:?}");
    assert_serving(&server.channel).await?;
    drop(open.pop());
    // The server gives the place back when it drops the cancelled stream, just after.
    let accepted = bounded("a subscription once a place is free", async {
        loop {
            match subscribe(&server.channel).await {
                Ok(stream) => return Ok(stream),
                Err(status) if status.code() == tonic::Code::ResourceExhausted => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(status) => return Err(status),
            }
        }
    })
    .await??;
    drop(accepted);
    drop(open);
    drop(channels);
    server.shutdown().await
}
