//! Subscribe end to end: catch-up then live, resume after a disconnect, filters with
//! checkpoints, an idle subscriber that must not hold up writers, and shutdown with a
//! subscription open. Every received item is checked against the ordering promises as it
//! arrives (see [`Tally`]), and the events against an independent ReadAll.
#![allow(clippy::expect_used)]

use antt_e2e::v1::subscribe_response::Item;
use antt_e2e::v1::{EventFilter, RecordedEvent, SubscribeRequest, SubscribeResponse};
use antt_e2e::{append, assert_chain, bounded, json_event, json_events, read_all, read_all_filtered, TestServer};
use antt_proto::v1::event_store_client::EventStoreClient;
use anyhow::{bail, Context};
use tonic::codec::Streaming;
use tonic::transport::Channel;

type TestResult = anyhow::Result<()>;

async fn subscribe(
    client: &mut EventStoreClient<Channel>,
    from_position: u64,
    filter: Option<EventFilter>,
) -> anyhow::Result<Streaming<SubscribeResponse>> {
    Ok(client
        .subscribe(SubscribeRequest { from_position, filter })
        .await?
        .into_inner())
}

/// The next item of a subscription; an end or an error fails the test, and so does a hang.
async fn next_item(stream: &mut Streaming<SubscribeResponse>) -> anyhow::Result<Item> {
    let message = bounded("the next subscription item", stream.message()).await??;
    message
        .context("the subscription ended")?
        .item
        .context("a SubscribeResponse without an item")
}

/// What a subscriber has received, checked against the promises item by item: events in
/// strictly increasing position (dense when unfiltered), never before a checkpoint already
/// given; checkpoints never move back; `caught_up` at most once.
#[derive(Default)]
struct Tally {
    dense: bool,
    next_position: Option<u64>,
    events: Vec<RecordedEvent>,
    checkpoints: Vec<u64>,
    caught_up: Vec<u64>,
}

impl Tally {
    fn unfiltered(from_position: u64) -> Tally {
        Tally {
            dense: true,
            next_position: Some(from_position),
            ..Tally::default()
        }
    }

    fn filtered(from_position: u64) -> Tally {
        Tally {
            dense: false,
            next_position: Some(from_position),
            ..Tally::default()
        }
    }

    fn record(&mut self, item: Item) -> anyhow::Result<()> {
        let floor = self.next_position.unwrap_or(0);
        match item {
            Item::Event(event) => {
                if self.dense && event.position != floor {
                    bail!(
                        "event at position {} where {floor} was due (gap or duplicate)",
                        event.position
                    );
                }
                if event.position < floor {
                    bail!(
                        "event at position {} after everything before {floor} was settled",
                        event.position
                    );
                }
                self.next_position = Some(event.position + 1);
                self.events.push(event);
            }
            Item::Checkpoint(position) => {
                if position < floor {
                    bail!("checkpoint {position} behind position {floor}");
                }
                self.next_position = Some(position);
                self.checkpoints.push(position);
            }
            Item::CaughtUp(position) => {
                if !self.caught_up.is_empty() {
                    bail!("a second caught_up ({position}) after {:?}", self.caught_up);
                }
                if position < floor {
                    bail!("caught_up at {position} behind position {floor}");
                }
                self.caught_up.push(position);
            }
        }
        Ok(())
    }

    /// Reads until `caught_up`, which must come within `items_max` items.
    async fn until_caught_up(&mut self, stream: &mut Streaming<SubscribeResponse>, items_max: usize) -> TestResult {
        for _ in 0..items_max {
            let item = next_item(stream).await?;
            let is_caught_up = matches!(item, Item::CaughtUp(_));
            self.record(item)?;
            if is_caught_up {
                return Ok(());
            }
        }
        bail!("no caught_up within {items_max} items")
    }

    /// Reads until `count` events in all have arrived, within `items_max` further items.
    async fn until_events(
        &mut self,
        stream: &mut Streaming<SubscribeResponse>,
        count: usize,
        items_max: usize,
    ) -> TestResult {
        for _ in 0..items_max {
            if self.events.len() >= count {
                return Ok(());
            }
            let item = next_item(stream).await?;
            self.record(item)?;
        }
        if self.events.len() >= count {
            return Ok(());
        }
        bail!("only {} of {count} events within {items_max} items", self.events.len())
    }

    fn positions(&self) -> Vec<u64> {
        self.events.iter().map(|e| e.position).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catches_up_then_goes_live() -> TestResult {
    // Goal: a subscription from 0 delivers the committed events in order, then exactly one
    // caught_up at the head, then events appended afterwards, with no gap and no duplicate.
    // Method: 5 events before subscribing, 5 after; compare with ReadAll.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    append(&mut client, "live-1", json_events("antt.v1.Noted", 2)).await?;
    append(&mut client, "live-2", json_events("antt.v1.Noted", 2)).await?;
    append(&mut client, "live-1", json_events("antt.v1.Noted", 1)).await?;

    let mut subscriber = server.connect().await?;
    let mut stream = subscribe(&mut subscriber, 0, None).await?;
    let mut tally = Tally::unfiltered(0);
    tally.until_caught_up(&mut stream, 100).await?;
    assert_eq!(tally.positions(), vec![0, 1, 2, 3, 4]);
    assert_eq!(tally.caught_up, vec![5]);

    for stream_id in ["live-2", "live-1", "live-3", "live-2", "live-1"] {
        append(&mut client, stream_id, json_events("antt.v1.Noted", 1)).await?;
    }
    tally.until_events(&mut stream, 10, 100).await?;
    assert_eq!(tally.positions(), (0..10).collect::<Vec<_>>());
    assert_eq!(tally.events, read_all(&mut client, 0).await?);
    assert_chain(&tally.events, antt_e2e::GENESIS_HASH)?;
    drop(stream);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_racing_live_appends_has_no_gap_or_duplicate() -> TestResult {
    // Goal: the hand-over from catching up to following live loses and repeats nothing while
    // appends keep landing. Method: 50 events first, then subscribe while three writers add
    // 250 more concurrently; the subscription must deliver positions 0..300 exactly once, in
    // order, with one caught_up, and the same events as ReadAll.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    for n in 0..50 {
        append(&mut client, &format!("race-{}", n % 3), json_events("antt.v1.Noted", 1)).await?;
    }
    let mut writers = Vec::new();
    for writer in 0..3 {
        let mut writer_client = server.connect().await?;
        writers.push(tokio::spawn(async move {
            for _ in 0..(250 / 3 + usize::from(writer < 250 % 3)) {
                append(
                    &mut writer_client,
                    &format!("race-{writer}"),
                    json_events("antt.v1.Noted", 1),
                )
                .await?;
            }
            anyhow::Ok(())
        }));
    }
    let mut subscriber = server.connect().await?;
    let mut stream = subscribe(&mut subscriber, 0, None).await?;
    let mut tally = Tally::unfiltered(0);
    tally.until_events(&mut stream, 300, 1000).await?;
    for writer in writers {
        writer.await??;
    }
    if tally.caught_up.is_empty() {
        tally.until_caught_up(&mut stream, 10).await?;
    }
    assert_eq!(tally.positions(), (0..300).collect::<Vec<_>>());
    assert_eq!(tally.caught_up.len(), 1);
    assert_eq!(tally.events, read_all(&mut client, 0).await?);
    drop(stream);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_from_last_position_plus_one_gets_exactly_the_rest() -> TestResult {
    // Goal: after a disconnect, subscribing again from the last seen position + 1 delivers
    // exactly the events not yet seen, including those appended while disconnected.
    // Method: read 4 of 10 events, drop the subscription, append 5, resume from 4.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    append(&mut client, "resume", json_events("antt.v1.Noted", 10)).await?;

    let mut subscriber = server.connect().await?;
    let mut stream = subscribe(&mut subscriber, 0, None).await?;
    let mut first = Tally::unfiltered(0);
    first.until_events(&mut stream, 4, 10).await?;
    let last_seen = first.events.last().expect("four events").position;
    drop(stream);
    drop(subscriber);

    append(&mut client, "resume", json_events("antt.v1.Noted", 5)).await?;
    let mut subscriber = server.connect().await?;
    let mut stream = subscribe(&mut subscriber, last_seen + 1, None).await?;
    let mut rest = Tally::unfiltered(last_seen + 1);
    rest.until_caught_up(&mut stream, 100).await?;
    assert_eq!(last_seen, 3);
    assert_eq!(rest.positions(), (4..15).collect::<Vec<_>>());
    assert_eq!(rest.caught_up, vec![15]);
    let mut together = first.events[..4].to_vec();
    together.extend(rest.events);
    assert_eq!(together, read_all(&mut client, 0).await?);
    drop(stream);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_subscription_gets_matching_events_and_checkpoints() -> TestResult {
    // Goal: a filtered subscription delivers only events matching the filter (prefix AND
    // type), and checkpoints that tell how far the server has looked, also live when only
    // non-matching events arrive. Method: a log whose tail does not match; then a live
    // non-matching append (must yield checkpoint 11) and a matching one.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let log = [
        ("a-1", "antt.v1.Kept"),    // 0: kept
        ("b-1", "antt.v1.Kept"),    // 1: other stream
        ("a-1", "antt.v1.Dropped"), // 2: other type
        ("a-2", "antt.v1.Also"),    // 3: kept
        ("b-2", "antt.v1.Also"),    // 4
        ("b-2", "antt.v1.Dropped"), // 5
        ("c-1", "antt.v1.Kept"),    // 6
        ("a-1", "antt.v1.Dropped"), // 7
        ("b-1", "antt.v1.Kept"),    // 8
        ("c-1", "antt.v1.Also"),    // 9
    ];
    for (stream_id, event_type) in log {
        append(&mut client, stream_id, vec![json_event(event_type, "{}")]).await?;
    }
    let filter = EventFilter {
        stream_id_prefixes: vec!["a-".to_string()],
        event_types: vec!["antt.v1.Kept".to_string(), "antt.v1.Also".to_string()],
    };
    let mut subscriber = server.connect().await?;
    let mut stream = subscribe(&mut subscriber, 0, Some(filter)).await?;
    let mut tally = Tally::filtered(0);
    tally.until_caught_up(&mut stream, 100).await?;
    assert_eq!(tally.positions(), vec![0, 3]);
    assert_eq!(tally.caught_up, vec![10]);
    assert_eq!(
        tally.checkpoints.last(),
        Some(&10),
        "the filtered-out tail 4..10 must be covered by a checkpoint before caught_up"
    );

    append(&mut client, "b-9", vec![json_event("antt.v1.Kept", "{}")]).await?;
    let item = next_item(&mut stream).await?;
    assert_eq!(
        item,
        Item::Checkpoint(11),
        "a live non-matching event moves the checkpoint"
    );
    tally.record(item)?;

    append(&mut client, "a-9", vec![json_event("antt.v1.Also", "{}")]).await?;
    tally.until_events(&mut stream, 3, 10).await?;
    assert_eq!(tally.positions(), vec![0, 3, 11]);
    assert_eq!(
        tally.events,
        read_all_filtered(&mut client, &["a-"], &["antt.v1.Kept", "antt.v1.Also"]).await?
    );
    drop(stream);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_subscriber_does_not_hold_up_appends() -> TestResult {
    // Goal: a subscriber that stops reading costs writers nothing: 2,000 appends (about
    // 2 MB, far beyond every HTTP/2 window) all complete while it reads nothing, and
    // afterwards it still gets every event, in order. Method: subscribe on its own
    // connection, read up to caught_up, go idle; eight writers append 250 events each; then
    // drain the subscription and compare with ReadAll. A hang fails through `bounded`.
    let server = TestServer::start().await?;
    let mut client = server.client.clone();
    let mut subscriber = server.connect().await?;
    let mut stream = subscribe(&mut subscriber, 0, None).await?;
    let mut tally = Tally::unfiltered(0);
    tally.until_caught_up(&mut stream, 10).await?;
    assert_eq!(tally.caught_up, vec![0]);

    let padding = "x".repeat(1000);
    let mut writers = Vec::new();
    for writer in 0..8 {
        let mut writer_client = server.connect().await?;
        let padding = padding.clone();
        writers.push(tokio::spawn(async move {
            for n in 0..250 {
                let payload = format!(r#"{{"writer":{writer},"n":{n},"pad":"{padding}"}}"#);
                append(
                    &mut writer_client,
                    &format!("busy-{writer}"),
                    vec![json_event("antt.v1.Noted", &payload)],
                )
                .await?;
            }
            anyhow::Ok(())
        }));
    }
    bounded("2,000 appends with an idle subscriber", async {
        for writer in writers {
            writer.await??;
        }
        anyhow::Ok(())
    })
    .await??;
    assert_eq!(antt_e2e::head(&mut client).await?.next_position, 2000);

    tally.until_events(&mut stream, 2000, 2100).await?;
    assert_eq!(tally.positions(), (0..2000).collect::<Vec<_>>());
    let all = read_all(&mut client, 0).await?;
    assert_eq!(tally.events, all);
    for writer in 0..8 {
        let stream_id = format!("busy-{writer}");
        let versions: Vec<u64> = all
            .iter()
            .filter(|e| e.stream_id == stream_id)
            .map(|e| e.stream_version)
            .collect();
        assert_eq!(versions, (0..250).collect::<Vec<_>>(), "{stream_id}");
    }
    drop(stream);
    server.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_subscriptions() -> TestResult {
    // Goal: a live subscription, which by design never ends on its own, does not keep the
    // server from shutting down: shutdown returns and the subscriber sees its stream end.
    // Method: a shutdown grace of an hour, so that waiting for the grace to expire would
    // hang (and fail through `bounded`) instead of passing slowly.
    let server = TestServer::start_with(|config| config.shutdown_grace_secs = 3600).await?;
    let mut client = server.client.clone();
    append(&mut client, "s", json_events("antt.v1.Noted", 3)).await?;
    let mut subscriber = server.connect().await?;
    let mut stream = subscribe(&mut subscriber, 0, None).await?;
    let mut tally = Tally::unfiltered(0);
    tally.until_caught_up(&mut stream, 10).await?;
    drop(client);

    bounded("shutdown with an open subscription", server.shutdown()).await??;
    // The stream ends: cleanly, or with a status such as UNAVAILABLE. Either way it ends.
    let end = bounded("the end of the subscription", async {
        loop {
            match stream.message().await {
                Ok(Some(message)) => match message.item {
                    Some(Item::Event(event)) => bail!("an event after shutdown: {event:?}"),
                    _ => continue,
                },
                Ok(None) => return anyhow::Ok(None),
                Err(status) => return anyhow::Ok(Some(status.code())),
            }
        }
    })
    .await??;
    if let Some(code) = end {
        assert!(
            matches!(
                code,
                tonic::Code::Unavailable | tonic::Code::Cancelled | tonic::Code::Aborted
            ),
            "the subscription ended with {code:?}"
        );
    }
    Ok(())
}
