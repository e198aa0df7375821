//! The EventStore gRPC API end to end: a real `anttd` on a loopback port over a temp
//! directory, a real tonic client. Every claim of `proto/antt/v1/event_store.proto` that a
//! client can observe has a test here: what an append records, how each read answers,
//! expected versions, idempotent retries, every refusal (code and field path, and that
//! nothing was written), and that a restart changes nothing.
#![allow(clippy::expect_used)]

use std::collections::HashMap;

use antt_e2e::v1::{
    get_event_request, AppendRequest, Direction, GetEventRequest, GetStreamInfoRequest, ListStreamsRequest, NewEvent,
    ReadAllRequest, ReadStreamRequest, RecordedEvent, StreamInfo,
};
use antt_e2e::{
    append, assert_chain, assert_field_violation, expect_any, expect_exact, expect_no_stream, expect_stream_exists,
    head, json_event, json_events, micros, read_all, read_all_filtered, read_all_with, read_stream, read_stream_with,
    timestamp, try_append, with_id, TestServer, GENESIS_HASH,
};
use antt_proto::v1::event_store_client::EventStoreClient;
use tonic::transport::Channel;
use tonic::Code;
use tonic_types::StatusExt;
use uuid::Uuid;

type TestResult = anyhow::Result<()>;

fn now_micros() -> i64 {
    antt_log::Timestamp::now().as_micros()
}

async fn get_event(
    client: &mut EventStoreClient<Channel>,
    key: get_event_request::Key,
) -> Result<RecordedEvent, tonic::Status> {
    client
        .get_event(GetEventRequest { key: Some(key) })
        .await
        .map(tonic::Response::into_inner)
}

async fn stream_info(client: &mut EventStoreClient<Channel>, stream_id: &str) -> Result<StreamInfo, tonic::Status> {
    client
        .get_stream_info(GetStreamInfoRequest {
            stream_id: stream_id.to_string(),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn versions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.stream_version).collect()
}

fn positions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.position).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_then_read_back_every_field() -> TestResult {
    // Goal: every field a client sends comes back unchanged but the actor, which is who
    // called (here the development principal), and every field the server adds (position,
    // version, recorded time, hash) is consistent with the append response.
    // Method: append one fully populated event and one minimal binary event in one batch,
    // then read them through ReadStream, ReadAll and GetEvent and compare field by field.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let full = NewEvent {
        event_id: Uuid::new_v4().to_string(),
        event_type: "legacy.MemberAppointed".to_string(),
        schema_version: 3,
        effective_at: Some(timestamp(1_600_000_000_123_456)),
        actor: "clerk@nga-son".to_string(),
        correlation_id: Uuid::new_v4().to_string(),
        causation_id: Uuid::new_v4().to_string(),
        metadata: HashMap::from([
            ("decision".to_string(), "710/QĐ-UBND".to_string()),
            ("source".to_string(), "import".to_string()),
        ]),
        content_type: "application/json".to_string(),
        payload: r#"{"role":"leader","name":"Nguyễn Văn A"}"#.as_bytes().to_vec(),
    };
    let minimal = NewEvent {
        event_id: Uuid::new_v4().to_string(),
        event_type: "legacy.TeamFormed".to_string(),
        schema_version: 0,
        content_type: "application/x-protobuf; type=legacy.TeamFormed".to_string(),
        payload: vec![0x00, 0x01, 0xfe, 0xff],
        ..NewEvent::default()
    };

    let before = now_micros();
    let response = try_append(&mut client, "team-1", None, vec![full.clone(), minimal.clone()]).await?;
    let after = now_micros();
    assert_eq!(response.first_position, 0);
    assert_eq!(response.last_position, 1);
    assert_eq!(response.stream_version, 1);
    assert!(!response.deduplicated);
    let recorded_at = micros(response.recorded_at.as_ref().expect("recorded_at is set"))?;
    // Same clock on both sides: the recorded time lies within the call.
    assert!(
        (before..=after).contains(&recorded_at.as_micros()),
        "recorded_at {recorded_at:?} outside [{before}, {after}]"
    );

    let events = read_stream(&mut client, "team-1").await?;
    assert_eq!(events.len(), 2);
    let (first, second) = (&events[0], &events[1]);

    assert_eq!(first.position, 0);
    assert_eq!(first.stream_id, "team-1");
    assert_eq!(first.stream_version, 0);
    assert_eq!(first.event_id, full.event_id);
    assert_eq!(first.event_type, full.event_type);
    assert_eq!(first.schema_version, 3);
    assert_eq!(first.recorded_at, response.recorded_at);
    assert_eq!(first.effective_at, full.effective_at);
    assert_eq!(
        first.actor, "development",
        "the actor is the caller, not what the request says"
    );
    assert_eq!(first.correlation_id, full.correlation_id);
    assert_eq!(first.causation_id, full.causation_id);
    assert_eq!(first.metadata, full.metadata);
    assert_eq!(first.content_type, full.content_type);
    assert_eq!(first.payload, full.payload);
    assert_eq!(first.hash.len(), 32);

    assert_eq!(second.position, 1);
    assert_eq!(second.stream_id, "team-1");
    assert_eq!(second.stream_version, 1);
    assert_eq!(second.event_id, minimal.event_id);
    assert_eq!(second.event_type, minimal.event_type);
    assert_eq!(second.schema_version, 1, "schema_version 0 is read as 1");
    assert_eq!(second.recorded_at, response.recorded_at);
    assert_eq!(
        second.effective_at, second.recorded_at,
        "an omitted effective time defaults to the recorded time"
    );
    assert_eq!(second.actor, "development");
    assert_eq!(second.correlation_id, "");
    assert_eq!(second.causation_id, "");
    assert!(second.metadata.is_empty());
    assert_eq!(second.content_type, minimal.content_type);
    assert_eq!(second.payload, minimal.payload);
    assert_eq!(second.hash.len(), 32);

    // The same events through every other read.
    assert_eq!(read_all(&mut client, 0).await?, events);
    assert_eq!(
        get_event(&mut client, get_event_request::Key::Position(0)).await?,
        *first
    );
    assert_eq!(
        get_event(&mut client, get_event_request::Key::EventId(minimal.event_id.clone())).await?,
        *second
    );
    let last_hash = assert_chain(&events, GENESIS_HASH)?;
    let log_head = head(&mut client).await?;
    assert_eq!(log_head.next_position, 2);
    assert_eq!(log_head.last_hash, last_hash.to_vec());
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_stream_forwards_backwards_and_paged() -> TestResult {
    // Goal: ReadStream honours from_version, direction and max_count, and reads only its
    // stream. Method: interleave two streams so positions and versions differ, then read
    // one stream every way and compare versions; an unknown stream is NOT_FOUND.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    for _ in 0..5 {
        append(&mut client, "area-1", json_events("antt.v1.Noted", 1)).await?;
        append(&mut client, "area-2", json_events("antt.v1.Noted", 1)).await?;
    }
    let read = |from_version: Option<u64>, direction: Direction, max_count: u64| ReadStreamRequest {
        stream_id: "area-1".to_string(),
        from_version,
        direction: direction as i32,
        max_count,
    };

    let all = read_stream_with(&mut client, read(None, Direction::Forwards, 0)).await?;
    assert_eq!(versions(&all), vec![0, 1, 2, 3, 4]);
    assert_eq!(positions(&all), vec![0, 2, 4, 6, 8]);
    assert!(all.iter().all(|e| e.stream_id == "area-1"));

    let from_2 = read_stream_with(&mut client, read(Some(2), Direction::Forwards, 0)).await?;
    assert_eq!(versions(&from_2), vec![2, 3, 4]);
    assert_eq!(from_2, all[2..].to_vec());

    let backwards = read_stream_with(&mut client, read(None, Direction::Backwards, 0)).await?;
    assert_eq!(versions(&backwards), vec![4, 3, 2, 1, 0]);
    let mut reversed = all.clone();
    reversed.reverse();
    assert_eq!(backwards, reversed);

    let backwards_from_2 = read_stream_with(&mut client, read(Some(2), Direction::Backwards, 0)).await?;
    assert_eq!(versions(&backwards_from_2), vec![2, 1, 0]);

    let page = read_stream_with(&mut client, read(Some(1), Direction::Forwards, 2)).await?;
    assert_eq!(versions(&page), vec![1, 2]);
    let last_two = read_stream_with(&mut client, read(None, Direction::Backwards, 2)).await?;
    assert_eq!(versions(&last_two), vec![4, 3]);

    let past_the_end = read_stream_with(&mut client, read(Some(5), Direction::Forwards, 0)).await?;
    assert!(
        past_the_end.is_empty(),
        "reading past the last version: {past_the_end:?}"
    );

    let unknown = read_stream_with(
        &mut client,
        ReadStreamRequest {
            stream_id: "area-404".to_string(),
            ..ReadStreamRequest::default()
        },
    )
    .await
    .expect_err("an unknown stream cannot be read");
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_all_filters_and_limits() -> TestResult {
    // Goal: ReadAll returns the log in position order from a position, keeps exactly the
    // events a filter selects (prefixes OR-ed, types OR-ed, the two AND-ed), and stops at
    // max_count. Method: a log of three streams and two types; compare each answer with the
    // same selection made on the unfiltered read.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let streams = ["order-1", "invoice-1", "order-2"];
    for round in 0..4 {
        for stream in streams {
            let event_type = if round % 2 == 0 {
                "antt.v1.Opened"
            } else {
                "antt.v1.Closed"
            };
            append(&mut client, stream, json_events(event_type, 1)).await?;
        }
    }
    let all = read_all(&mut client, 0).await?;
    assert_eq!(positions(&all), (0..12).collect::<Vec<_>>());

    let select = |keep: &dyn Fn(&RecordedEvent) -> bool| -> Vec<RecordedEvent> {
        all.iter().filter(|e| keep(e)).cloned().collect()
    };
    assert_eq!(
        read_all_filtered(&mut client, &["order-"], &[]).await?,
        select(&|e| e.stream_id.starts_with("order-"))
    );
    assert_eq!(
        read_all_filtered(&mut client, &["invoice-", "order-2"], &[]).await?,
        select(&|e| e.stream_id != "order-1")
    );
    assert_eq!(
        read_all_filtered(&mut client, &[], &["antt.v1.Closed"]).await?,
        select(&|e| e.event_type == "antt.v1.Closed")
    );
    let both = read_all_filtered(&mut client, &["order-"], &["antt.v1.Closed"]).await?;
    assert_eq!(
        both,
        select(&|e| e.stream_id.starts_with("order-") && e.event_type == "antt.v1.Closed")
    );
    assert_eq!(both.len(), 4);
    assert!(read_all_filtered(&mut client, &["nothing-"], &[]).await?.is_empty());

    assert_eq!(read_all(&mut client, 7).await?, all[7..].to_vec());
    assert!(read_all(&mut client, 12).await?.is_empty());
    let limited = read_all_with(
        &mut client,
        ReadAllRequest {
            from_position: 3,
            filter: None,
            max_count: 4,
        },
    )
    .await?;
    assert_eq!(limited, all[3..7].to_vec());
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_event_by_position_and_id() -> TestResult {
    // Goal: GetEvent finds each event by position and by id, and answers NOT_FOUND for a
    // position at the head or an id never used. Method: look every event of a small log up
    // both ways and compare with ReadAll.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    append(&mut client, "unit-1", json_events("antt.v1.Noted", 3)).await?;
    append(&mut client, "unit-2", json_events("antt.v1.Noted", 2)).await?;
    let all = read_all(&mut client, 0).await?;
    assert_eq!(all.len(), 5);
    for event in &all {
        assert_eq!(
            &get_event(&mut client, get_event_request::Key::Position(event.position)).await?,
            event
        );
        assert_eq!(
            &get_event(&mut client, get_event_request::Key::EventId(event.event_id.clone())).await?,
            event
        );
    }
    let at_head = get_event(&mut client, get_event_request::Key::Position(5))
        .await
        .expect_err("no event at the head position");
    assert_eq!(at_head.code(), Code::NotFound, "{at_head:?}");
    let unknown_id = get_event(&mut client, get_event_request::Key::EventId(Uuid::new_v4().to_string()))
        .await
        .expect_err("no event with a fresh id");
    assert_eq!(unknown_id.code(), Code::NotFound, "{unknown_id:?}");
    let bad_id = get_event(&mut client, get_event_request::Key::EventId("not-a-uuid".to_string()))
        .await
        .expect_err("an id that is not a UUID");
    assert_field_violation(&bad_id, Code::InvalidArgument, &["event_id"]);
    let no_key = client
        .get_event(GetEventRequest { key: None })
        .await
        .expect_err("neither position nor id");
    assert_field_violation(&no_key, Code::InvalidArgument, &["key"]);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_info_and_list_streams_paging() -> TestResult {
    // Goal: GetStreamInfo summarises a stream exactly (version, count, first/last position
    // and time) and ListStreams pages through a prefix in byte order without loss or
    // repetition. Method: build streams with known shapes, then compare the summaries with
    // the events read back, and walk ListStreams two at a time.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    append(&mut client, "list/c", json_events("antt.v1.Noted", 2)).await?;
    append(&mut client, "other", json_events("antt.v1.Noted", 1)).await?;
    append(&mut client, "list/c", json_events("antt.v1.Noted", 1)).await?;
    for stream in ["list/e", "list/a", "list/d", "list/b"] {
        append(&mut client, stream, json_events("antt.v1.Noted", 1)).await?;
    }

    let events = read_stream(&mut client, "list/c").await?;
    let info = stream_info(&mut client, "list/c").await?;
    assert_eq!(info.stream_id, "list/c");
    assert_eq!(info.version, 2);
    assert_eq!(info.event_count, 3);
    assert_eq!(info.first_position, 0);
    assert_eq!(info.last_position, 3);
    assert_eq!(info.first_recorded_at, events[0].recorded_at);
    assert_eq!(info.last_recorded_at, events[2].recorded_at);

    let missing = stream_info(&mut client, "list/z").await.expect_err("unknown stream");
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");

    let mut listed = Vec::new();
    let mut after = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .list_streams(ListStreamsRequest {
                prefix: "list/".to_string(),
                after: after.clone(),
                page_size: 2,
            })
            .await?
            .into_inner();
        pages += 1;
        assert!(page.streams.len() <= 2, "page larger than asked: {page:?}");
        for info in &page.streams {
            assert_eq!(info, &stream_info(&mut client, &info.stream_id).await?);
        }
        listed.extend(page.streams.iter().map(|s| s.stream_id.clone()));
        if page.next_after.is_empty() {
            break;
        }
        assert!(pages < 10, "ListStreams never ends: {listed:?}");
        after = page.next_after;
    }
    assert_eq!(listed, vec!["list/a", "list/b", "list/c", "list/d", "list/e"]);
    assert_eq!(pages, 3);

    let whole = client
        .list_streams(ListStreamsRequest {
            prefix: String::new(),
            after: String::new(),
            page_size: 0,
        })
        .await?
        .into_inner();
    let ids: Vec<_> = whole.streams.iter().map(|s| s.stream_id.as_str()).collect();
    assert_eq!(ids, vec!["list/a", "list/b", "list/c", "list/d", "list/e", "other"]);
    assert!(whole.next_after.is_empty());
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_and_hash_chain() -> TestResult {
    // Goal: GetHead starts at position 0 with 32 zero bytes, and after appends names the
    // next position and the last hash; every hash is SHA-256(previous ‖ canonical event), as
    // an inspector recomputes it with antt_log::codec from the wire form alone.
    // Method: several batches over several streams, then recompute the whole chain.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let empty = head(&mut client).await?;
    assert_eq!(empty.next_position, 0);
    assert_eq!(empty.last_hash, vec![0u8; 32]);

    for (index, stream) in ["a", "b", "a", "c", "b"].iter().enumerate() {
        let mut events = json_events("antt.v1.Noted", index + 1);
        events[0].metadata.insert("k".to_string(), "v".to_string());
        events[0].actor = format!("actor-{index}");
        events[0].correlation_id = Uuid::new_v4().to_string();
        append(&mut client, stream, events).await?;
    }
    let all = read_all(&mut client, 0).await?;
    assert_eq!(all.len(), 15);
    let last = assert_chain(&all, GENESIS_HASH)?;
    let log_head = head(&mut client).await?;
    assert_eq!(log_head.next_position, 15);
    assert_eq!(log_head.last_hash, last.to_vec());

    // A chain checked from the middle needs the hash before it.
    let previous: [u8; 32] = all[6].hash.as_slice().try_into()?;
    assert_chain(&all[7..], previous)?;
    server.shutdown().await
}

/// The `actual_version` of an ABORTED status's google.rpc.ErrorInfo.
fn actual_version(status: &tonic::Status) -> Option<String> {
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get("actual_version").cloned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expected_versions() -> TestResult {
    // Goal: each kind of expected version admits exactly the stream states it names; a
    // refusal is ABORTED with the actual version in ErrorInfo and writes nothing.
    // Method: drive one stream through every case and check the head after each refusal.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let one = || json_events("antt.v1.Noted", 1);

    let refused = try_append(&mut client, "s", expect_stream_exists(), one())
        .await
        .expect_err("stream_exists on a new stream");
    assert_eq!(refused.code(), Code::Aborted, "{refused:?}");
    let refused = try_append(&mut client, "s", expect_exact(0), one())
        .await
        .expect_err("exact(0) on a new stream");
    assert_eq!(refused.code(), Code::Aborted, "{refused:?}");
    assert_eq!(head(&mut client).await?.next_position, 0);

    let created = try_append(&mut client, "s", expect_no_stream(), one()).await?;
    assert_eq!(created.stream_version, 0);
    let refused = try_append(&mut client, "s", expect_no_stream(), one())
        .await
        .expect_err("no_stream on an existing stream");
    assert_eq!(refused.code(), Code::Aborted, "{refused:?}");
    assert_eq!(actual_version(&refused).as_deref(), Some("0"), "{refused:?}");

    assert_eq!(
        try_append(&mut client, "s", expect_stream_exists(), one())
            .await?
            .stream_version,
        1
    );
    assert_eq!(
        try_append(&mut client, "s", expect_exact(1), one())
            .await?
            .stream_version,
        2
    );
    let refused = try_append(&mut client, "s", expect_exact(1), one())
        .await
        .expect_err("exact(1) at version 2");
    assert_eq!(refused.code(), Code::Aborted, "{refused:?}");
    assert_eq!(actual_version(&refused).as_deref(), Some("2"), "{refused:?}");
    let refused = try_append(&mut client, "s", expect_exact(3), one())
        .await
        .expect_err("exact(3) at version 2");
    assert_eq!(refused.code(), Code::Aborted, "{refused:?}");
    assert_eq!(actual_version(&refused).as_deref(), Some("2"), "{refused:?}");
    assert_eq!(
        try_append(&mut client, "s", expect_any(), one()).await?.stream_version,
        3
    );
    assert_eq!(try_append(&mut client, "s", None, one()).await?.stream_version, 4);

    let log_head = head(&mut client).await?;
    assert_eq!(log_head.next_position, 5, "only the admitted appends were written");
    assert_eq!(versions(&read_stream(&mut client, "s").await?), vec![0, 1, 2, 3, 4]);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_at_the_same_expected_version_admit_one() -> TestResult {
    // Goal: optimistic concurrency holds under a race: of eight appends that all expect
    // version 0, exactly one wins and seven are ABORTED with actual version 1.
    // Method: eight clients on separate connections fire at once after the stream exists.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    append(&mut client, "race", json_events("antt.v1.Noted", 1)).await?;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let mut racer = server.connect().await?;
        tasks.push(tokio::spawn(async move {
            try_append(&mut racer, "race", expect_exact(0), json_events("antt.v1.Raced", 1)).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await? {
            Ok(response) => {
                won += 1;
                assert_eq!(response.stream_version, 1);
            }
            Err(status) => {
                assert_eq!(status.code(), Code::Aborted, "{status:?}");
                assert_eq!(actual_version(&status).as_deref(), Some("1"), "{status:?}");
            }
        }
    }
    assert_eq!(won, 1);
    assert_eq!(head(&mut client).await?.next_position, 2);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_retry_returns_the_original_result() -> TestResult {
    // Goal: re-sending an acknowledged append (same ids, same content, same stream, even
    // with an expected version that no longer holds) returns the original response with
    // deduplicated=true and writes nothing. Method: append, append to another stream, then
    // retry the first request twice and compare responses, head and stream contents.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let mut events = json_events("antt.v1.Noted", 3);
    events[1].effective_at = Some(timestamp(1_500_000_000_000_001));
    let request = AppendRequest {
        stream_id: "retry".to_string(),
        expected: expect_no_stream(),
        events,
    };
    let original = client.append(request.clone()).await?.into_inner();
    assert!(!original.deduplicated);
    append(&mut client, "elsewhere", json_events("antt.v1.Noted", 1)).await?;
    let head_before = head(&mut client).await?;

    for _ in 0..2 {
        let retried = client.append(request.clone()).await?.into_inner();
        assert!(retried.deduplicated, "{retried:?}");
        assert_eq!(retried.first_position, original.first_position);
        assert_eq!(retried.last_position, original.last_position);
        assert_eq!(retried.stream_version, original.stream_version);
        assert_eq!(retried.recorded_at, original.recorded_at);
    }
    assert_eq!(head(&mut client).await?, head_before, "a retry must not move the head");
    assert_eq!(read_stream(&mut client, "retry").await?.len(), 3);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_id_reused_for_different_content_is_already_exists() -> TestResult {
    // Goal: an event id names one fact forever: using it again with other content, in
    // another stream, or in a batch that is not the original one is ALREADY_EXISTS and
    // writes nothing. Method: one stored event, then three kinds of reuse.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let original = json_event("antt.v1.Noted", r#"{"n":1}"#);
    append(&mut client, "ids", vec![original.clone()]).await?;
    let head_before = head(&mut client).await?;

    let other_payload = with_id(json_event("antt.v1.Noted", r#"{"n":2}"#), &original.event_id);
    let other_stream = original.clone();
    let bigger_batch = vec![original.clone(), json_event("antt.v1.Noted", "{}")];
    for (what, stream, events) in [
        ("other content", "ids", vec![other_payload]),
        ("other stream", "ids-2", vec![other_stream]),
        ("other batch", "ids", bigger_batch),
    ] {
        let status = try_append(&mut client, stream, None, events).await.expect_err(what);
        assert_eq!(status.code(), Code::AlreadyExists, "{what}: {status:?}");
        assert_eq!(head(&mut client).await?, head_before, "{what} wrote something");
    }
    server.shutdown().await
}

/// One malformed append and how it must be refused.
struct BadAppend {
    name: &'static str,
    request: AppendRequest,
    fields: Vec<&'static str>,
}

fn bad_appends() -> Vec<BadAppend> {
    let stream = |events: Vec<NewEvent>| AppendRequest {
        stream_id: "area-38".to_string(),
        expected: None,
        events,
    };
    let octets = |size: usize| NewEvent {
        event_id: Uuid::new_v4().to_string(),
        event_type: "antt.v1.Blob".to_string(),
        schema_version: 1,
        content_type: "application/octet-stream".to_string(),
        payload: vec![7; size],
        ..NewEvent::default()
    };
    let good = || json_event("antt.v1.Noted", "{}");
    let first = good();
    vec![
        BadAppend {
            name: "1001 events in one append",
            request: stream(json_events("antt.v1.Noted", 1001)),
            fields: vec!["events"],
        },
        BadAppend {
            name: "no events",
            request: stream(vec![]),
            fields: vec!["events"],
        },
        BadAppend {
            name: "empty stream id",
            request: AppendRequest {
                stream_id: String::new(),
                ..stream(vec![good()])
            },
            fields: vec!["stream_id"],
        },
        BadAppend {
            name: "stream id ending in whitespace",
            request: AppendRequest {
                stream_id: "area-38 ".to_string(),
                ..stream(vec![good()])
            },
            fields: vec!["stream_id"],
        },
        BadAppend {
            name: "event id that is not a UUID",
            request: stream(vec![with_id(good(), "not-a-uuid")]),
            fields: vec!["events[0].event_id"],
        },
        BadAppend {
            name: "empty event id",
            request: stream(vec![with_id(good(), "")]),
            fields: vec!["events[0].event_id"],
        },
        BadAppend {
            name: "nil event id",
            request: stream(vec![with_id(good(), "00000000-0000-0000-0000-000000000000")]),
            fields: vec!["events[0].event_id"],
        },
        BadAppend {
            name: "the same event id twice in one batch",
            request: stream(vec![first.clone(), with_id(good(), &first.event_id)]),
            fields: vec!["events[1].event_id"],
        },
        BadAppend {
            name: "application/json payload that is not JSON, second of two",
            request: stream(vec![good(), json_event("antt.v1.Noted", "{\"n\":")]),
            fields: vec!["events[1].payload"],
        },
        BadAppend {
            name: "empty event type",
            request: stream(vec![NewEvent {
                event_type: String::new(),
                ..good()
            }]),
            fields: vec!["events[0].event_type"],
        },
        BadAppend {
            name: "event type with a space",
            request: stream(vec![NewEvent {
                event_type: "antt.v1.Member Appointed".to_string(),
                ..good()
            }]),
            fields: vec!["events[0].event_type"],
        },
        BadAppend {
            name: "correlation id that is not a UUID",
            request: stream(vec![NewEvent {
                correlation_id: "corr-1".to_string(),
                ..good()
            }]),
            fields: vec!["events[0].correlation_id"],
        },
        BadAppend {
            name: "causation id that is not a UUID",
            request: stream(vec![NewEvent {
                causation_id: "cause-1".to_string(),
                ..good()
            }]),
            fields: vec!["events[0].causation_id"],
        },
        BadAppend {
            name: "payload one byte over 32 KiB",
            request: stream(vec![octets(antt_log::limits::PAYLOAD_BYTES_MAX + 1)]),
            fields: vec!["events[0].payload"],
        },
        BadAppend {
            // 130 events of 32 KiB: about 4.2 MB of events, over the 4 MiB append limit but
            // under the 8 MiB message limit, so the log's own check must refuse it.
            name: "batch over 4 MiB",
            request: stream((0..130).map(|_| octets(antt_log::limits::PAYLOAD_BYTES_MAX)).collect()),
            fields: vec!["events"],
        },
        BadAppend {
            name: "effective time with nanos out of range",
            request: stream(vec![NewEvent {
                effective_at: Some(prost_types::Timestamp {
                    seconds: 1_600_000_000,
                    nanos: 1_000_000_000,
                }),
                ..good()
            }]),
            fields: vec!["events[0].effective_at"],
        },
        BadAppend {
            name: "33 metadata entries",
            request: stream(vec![NewEvent {
                metadata: (0..=antt_log::limits::METADATA_ENTRIES_MAX)
                    .map(|n| (format!("k{n}"), "v".to_string()))
                    .collect(),
                ..good()
            }]),
            fields: vec!["events[0].metadata"],
        },
        BadAppend {
            name: "stream id over 256 bytes",
            request: AppendRequest {
                stream_id: "s".repeat(antt_log::limits::STREAM_ID_BYTES_MAX + 1),
                ..stream(vec![good()])
            },
            fields: vec!["stream_id"],
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_appends_are_invalid_argument_with_the_field_and_write_nothing() -> TestResult {
    // Goal: each kind of malformed append is INVALID_ARGUMENT with a google.rpc.BadRequest
    // naming exactly the offending field, and nothing of it is written (the batch is atomic).
    // Method: seed one event, send each bad request on the same connection, and after each
    // compare the head and the seeded stream with their state before. All cases run; the
    // failures are reported together.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    append(&mut client, "area-38", json_events("antt.v1.Noted", 1)).await?;
    let head_before = head(&mut client).await?;
    let mut failures = Vec::new();
    for case in bad_appends() {
        match client.append(case.request).await {
            Ok(response) => failures.push(format!("{}: accepted: {response:?}", case.name)),
            Err(status) => {
                let fields = antt_e2e::field_violations(&status);
                if status.code() != Code::InvalidArgument || fields != case.fields {
                    failures.push(format!(
                        "{}: expected INVALID_ARGUMENT on {:?}, got {:?} on {fields:?}: {}",
                        case.name,
                        case.fields,
                        status.code(),
                        status.message()
                    ));
                }
            }
        }
        let head_after = head(&mut client).await?;
        if head_after != head_before {
            failures.push(format!("{}: the head moved to {}", case.name, head_after.next_position));
        }
    }
    assert_eq!(read_stream(&mut client, "area-38").await?.len(), 1);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_server_limit_is_refused() -> TestResult {
    // Goal: a request bigger than the server's largest message (8 MiB by default) is
    // refused before it reaches the log (RESOURCE_EXHAUSTED), writes nothing, and leaves the
    // server serving. Method: one 9 MiB event, then GetHead and a normal append.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    append(&mut client, "big", json_events("antt.v1.Noted", 1)).await?;
    let head_before = head(&mut client).await?;
    let huge = NewEvent {
        content_type: "application/octet-stream".to_string(),
        payload: vec![b'x'; 9 * 1024 * 1024],
        ..json_event("antt.v1.Blob", "{}")
    };
    let status = try_append(&mut client, "big", None, vec![huge])
        .await
        .expect_err("a 9 MiB message");
    // The gRPC spec names RESOURCE_EXHAUSTED for a message over the receiver's limit;
    // tonic 0.14 answers OUT_OF_RANGE (tonic/src/codec/decode.rs). Either is a refusal by
    // size; anything else (INTERNAL, UNKNOWN, a reset) is not.
    assert!(
        matches!(status.code(), Code::ResourceExhausted | Code::OutOfRange),
        "{status:?}"
    );
    assert!(status.message().contains("too large"), "{status:?}");
    assert_eq!(head(&mut client).await?, head_before);
    append(&mut client, "big", json_events("antt.v1.Noted", 1)).await?;
    assert_eq!(head(&mut client).await?.next_position, 2);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_preserves_everything() -> TestResult {
    // Goal: a clean shutdown and restart on the same data directory changes nothing a
    // client can see: events, hashes, head, stream summaries, expected versions and the
    // idempotency of earlier appends; new appends continue the positions and the chain.
    // Method: snapshot every read, restart, compare, then retry an old append and add more.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let first_request = AppendRequest {
        stream_id: "keep-1".to_string(),
        expected: expect_no_stream(),
        events: json_events("antt.v1.Noted", 3),
    };
    let first_response = client.append(first_request.clone()).await?.into_inner();
    append(&mut client, "keep-2", json_events("antt.v1.Noted", 2)).await?;
    append(&mut client, "keep-1", json_events("antt.v1.Closed", 1)).await?;
    let events_before = read_all(&mut client, 0).await?;
    let head_before = head(&mut client).await?;
    let info_before = stream_info(&mut client, "keep-1").await?;
    let list_before = client.list_streams(ListStreamsRequest::default()).await?.into_inner();

    let server = server.restart().await?;
    let mut client = server.client.clone();
    assert_eq!(read_all(&mut client, 0).await?, events_before);
    assert_eq!(head(&mut client).await?, head_before);
    assert_eq!(stream_info(&mut client, "keep-1").await?, info_before);
    assert_eq!(
        client.list_streams(ListStreamsRequest::default()).await?.into_inner(),
        list_before
    );
    for event in &events_before {
        assert_eq!(
            &get_event(&mut client, get_event_request::Key::EventId(event.event_id.clone())).await?,
            event
        );
    }

    let retried = client.append(first_request).await?.into_inner();
    assert!(retried.deduplicated, "{retried:?}");
    assert_eq!(retried.first_position, first_response.first_position);
    assert_eq!(retried.last_position, first_response.last_position);
    let reused = try_append(
        &mut client,
        "keep-2",
        None,
        vec![with_id(json_event("antt.v1.Noted", "{}"), &events_before[0].event_id)],
    )
    .await
    .expect_err("an id stored before the restart");
    assert_eq!(reused.code(), Code::AlreadyExists, "{reused:?}");
    let refused = try_append(&mut client, "keep-1", expect_exact(2), json_events("antt.v1.Noted", 1))
        .await
        .expect_err("keep-1 is at version 3");
    assert_eq!(refused.code(), Code::Aborted, "{refused:?}");

    let next = try_append(&mut client, "keep-1", expect_exact(3), json_events("antt.v1.Noted", 2)).await?;
    assert_eq!(next.first_position, head_before.next_position);
    assert_eq!(next.stream_version, 5);
    let all = read_all(&mut client, 0).await?;
    assert_eq!(all.len(), events_before.len() + 2);
    let last = assert_chain(&all, GENESIS_HASH)?;
    assert_eq!(head(&mut client).await?.last_hash, last.to_vec());

    // And once more, so the second open also sees what the first wrote.
    let server = server.restart().await?;
    let mut client = server.client.clone();
    assert_eq!(read_all(&mut client, 0).await?, all);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_append_sent_concurrently_is_written_once() -> TestResult {
    // Goal: idempotency holds when the copies race (a client retrying on a second
    // connection before the first answer): copies that may land in the same group commit
    // must still be written once. Exactly one copy reports deduplicated=false, all report
    // the same positions, and the head moves by one batch.
    // Method: eight connections send one identical three-event append at once, in rounds.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let mut racers = Vec::new();
    for _ in 0..8 {
        racers.push(server.connect().await?);
    }
    for round in 0..5u64 {
        let request = AppendRequest {
            stream_id: format!("twice-{}", round % 2),
            expected: None,
            events: json_events("antt.v1.Noted", 3),
        };
        let mut tasks = Vec::new();
        for racer in &racers {
            let mut racer = racer.clone();
            let request = request.clone();
            tasks.push(tokio::spawn(async move { racer.append(request).await }));
        }
        let mut responses = Vec::new();
        for task in tasks {
            responses.push(task.await??.into_inner());
        }
        let written: Vec<_> = responses.iter().filter(|r| !r.deduplicated).collect();
        assert_eq!(written.len(), 1, "round {round}: {responses:?}");
        for response in &responses {
            assert_eq!(response.first_position, round * 3, "round {round}: {responses:?}");
            assert_eq!(response.last_position, round * 3 + 2, "round {round}: {responses:?}");
            assert_eq!(response.recorded_at, written[0].recorded_at);
        }
        assert_eq!(head(&mut client).await?.next_position, (round + 1) * 3);
    }
    let all = read_all(&mut client, 0).await?;
    assert_eq!(all.len(), 15);
    assert_chain(&all, GENESIS_HASH)?;
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_id_raced_into_two_streams_is_written_once() -> TestResult {
    // Goal: an event id is unique across the log even when two appends that share it race
    // into different streams: one is written, the other is ALREADY_EXISTS.
    // Method: rounds of two concurrent appends with the same event, to two streams.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let mut left = server.connect().await?;
    let mut right = server.connect().await?;
    for round in 0..10u64 {
        let event = json_event("antt.v1.Noted", "{}");
        let (a, b) = tokio::join!(
            try_append(&mut left, "left", None, vec![event.clone()]),
            try_append(&mut right, "right", None, vec![event.clone()]),
        );
        match (a, b) {
            (Ok(_), Err(status)) | (Err(status), Ok(_)) => {
                assert_eq!(status.code(), Code::AlreadyExists, "round {round}: {status:?}")
            }
            other => panic!("round {round}: expected one success and one ALREADY_EXISTS, got {other:?}"),
        }
        assert_eq!(head(&mut client).await?.next_position, round + 1);
    }
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_to_one_stream_get_dense_versions() -> TestResult {
    // Goal: writers racing on one stream with no version check each get a distinct
    // version; the stream ends dense (0..n) in position order and the chain holds.
    // Method: eight connections append 40 single events each to the same stream.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let mut writer = server.connect().await?;
        tasks.push(tokio::spawn(async move {
            let mut versions = Vec::new();
            for _ in 0..40 {
                versions.push(
                    append(&mut writer, "shared", json_events("antt.v1.Noted", 1))
                        .await?
                        .stream_version,
                );
            }
            anyhow::Ok(versions)
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        let versions = task.await??;
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "one writer's versions go back: {versions:?}"
        );
        acknowledged.extend(versions);
    }
    acknowledged.sort_unstable();
    assert_eq!(acknowledged, (0..320).collect::<Vec<_>>());
    let events = read_stream(&mut client, "shared").await?;
    assert_eq!(versions(&events), (0..320).collect::<Vec<_>>());
    assert_eq!(positions(&events), (0..320).collect::<Vec<_>>());
    assert_chain(&events, GENESIS_HASH)?;
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_span_pages_and_sparse_filters() -> TestResult {
    // Goal: reads longer than one log page (1,000 events) and filters sparser than one
    // scan (10,000 records) return everything, in order: ReadStream both ways over 2,500
    // events, and a filtered ReadAll whose two matches are 11,000 positions apart.
    // Method: batches of 1,000; compare with the expected versions and positions.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    append(&mut client, "sparse-match", json_events("antt.v1.Rare", 1)).await?;
    for _ in 0..2 {
        append(&mut client, "long", json_events("antt.v1.Noted", 1000)).await?;
    }
    append(&mut client, "long", json_events("antt.v1.Noted", 500)).await?;
    for _ in 0..9 {
        append(&mut client, "filler", json_events("antt.v1.Noted", 1000)).await?;
    }
    append(&mut client, "sparse-match", json_events("antt.v1.Rare", 1)).await?;

    let forwards = read_stream(&mut client, "long").await?;
    assert_eq!(versions(&forwards), (0..2500).collect::<Vec<_>>());
    let backwards = read_stream_with(
        &mut client,
        ReadStreamRequest {
            stream_id: "long".to_string(),
            direction: Direction::Backwards as i32,
            ..ReadStreamRequest::default()
        },
    )
    .await?;
    assert_eq!(versions(&backwards), (0..2500).rev().collect::<Vec<_>>());

    let rare = read_all_filtered(&mut client, &[], &["antt.v1.Rare"]).await?;
    assert_eq!(positions(&rare), vec![0, 11_501]);
    let by_prefix = read_all_filtered(&mut client, &["sparse-"], &[]).await?;
    assert_eq!(by_prefix, rare);
    let limited = read_all_with(
        &mut client,
        ReadAllRequest {
            from_position: 1,
            filter: None,
            max_count: 1500,
        },
    )
    .await?;
    assert_eq!(positions(&limited), (1..1501).collect::<Vec<_>>());
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_from_beyond_the_head_is_out_of_range() -> TestResult {
    // Goal: a ReadAll or Subscribe that starts past the head (a checkpoint from another
    // log) is OUT_OF_RANGE rather than silently waiting for positions that will hold other
    // events; starting exactly at the head is fine. Method: a log of 3 events.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    append(&mut client, "s", json_events("antt.v1.Noted", 3)).await?;
    assert!(read_all(&mut client, 3).await?.is_empty());
    let status = read_all(&mut client, 4).await.expect_err("ReadAll from 4 with head 3");
    let status = status.downcast_ref::<tonic::Status>().expect("a gRPC status");
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    let status = client
        .subscribe(antt_e2e::v1::SubscribeRequest {
            from_position: 4,
            filter: None,
        })
        .await
        .expect_err("Subscribe from 4 with head 3");
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_reads_are_invalid_argument_with_the_field() -> TestResult {
    // Goal: reads check their input like appends do: INVALID_ARGUMENT naming the field,
    // rather than NOT_FOUND or an empty answer that hides the mistake.
    // Method: one bad request per read RPC against a log with one event.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    append(&mut client, "s", json_events("antt.v1.Noted", 1)).await?;

    let status = read_stream_with(&mut client, ReadStreamRequest::default())
        .await
        .expect_err("ReadStream of an empty stream id");
    assert_field_violation(&status, Code::InvalidArgument, &["stream_id"]);
    let status = read_stream_with(
        &mut client,
        ReadStreamRequest {
            stream_id: "s".to_string(),
            direction: 7,
            ..ReadStreamRequest::default()
        },
    )
    .await
    .expect_err("ReadStream in direction 7");
    assert_field_violation(&status, Code::InvalidArgument, &["direction"]);
    let status = read_all_with(
        &mut client,
        ReadAllRequest {
            from_position: 0,
            filter: Some(antt_e2e::v1::EventFilter {
                stream_id_prefixes: vec![],
                event_types: vec!["antt.v1.Noted".to_string(), String::new()],
            }),
            max_count: 0,
        },
    )
    .await
    .expect_err("ReadAll filtering on an empty event type");
    assert_field_violation(&status, Code::InvalidArgument, &["filter.event_types[1]"]);
    let status = stream_info(&mut client, "")
        .await
        .expect_err("GetStreamInfo of an empty stream id");
    assert_field_violation(&status, Code::InvalidArgument, &["stream_id"]);
    server.shutdown().await
}
