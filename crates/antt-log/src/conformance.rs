//! The behaviour every [`EventLog`] backend must show, as a reusable async test suite.
//!
//! Every backend (sled today, PostgreSQL or in-memory later) must pass this suite
//! unchanged. [`run_all`] runs each named check on a fresh, empty log; each check is also
//! a public `async fn` taking the log, so a backend's tests can run one on its own.
//!
//! The checks use only the [`EventLog`] trait and [`crate::subscribe`], so they state the
//! contract, not an implementation. They panic with a message naming the broken rule.
//! Waits that could hang on a broken backend are bounded by [`HANG_GUARD`], a generous
//! limit that turns a hang into a failure; no check measures speed.
//!
//! Each check ends by recomputing the whole hash chain from the events read back and
//! comparing it with the head, then closing the log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use uuid::Uuid;

use crate::codec;
use crate::error::{AppendError, ReadError};
use crate::event::{
    AppendOutcome, AppendRequest, Direction, EventFilter, ExpectedVersion, ListStreamsRequest, LogHead, NewEvent,
    ReadAllPage, ReadAllRequest, ReadStreamRequest, RecordedEvent, StreamInfo, Timestamp,
};
use crate::limits;
use crate::log::EventLog;
use crate::subscription::{subscribe, SubscriptionItem};
use crate::validate;

/// How long a check waits for something that must happen before calling it a hang.
/// A bound on hangs, not a performance expectation.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

type CheckFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
type Check<L> = (&'static str, fn(Arc<L>) -> CheckFuture);

/// Runs every check, each on a fresh empty log from `fresh_log`, in a fixed order,
/// printing each check's name to stderr before it starts.
pub async fn run_all<L, F, Fut>(mut fresh_log: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Arc<L>>,
    L: EventLog,
{
    let checks: Vec<Check<L>> = vec![
        ("append_then_read_back_every_field", |log| {
            Box::pin(append_then_read_back_every_field(log))
        }),
        ("expected_versions_are_enforced", |log| {
            Box::pin(expected_versions_are_enforced(log))
        }),
        ("batches_are_atomic_and_contiguous", |log| {
            Box::pin(batches_are_atomic_and_contiguous(log))
        }),
        ("identical_retry_is_deduplicated", |log| {
            Box::pin(identical_retry_is_deduplicated(log))
        }),
        ("reused_event_ids_are_refused", |log| {
            Box::pin(reused_event_ids_are_refused(log))
        }),
        ("invalid_appends_are_refused_with_field_paths", |log| {
            Box::pin(invalid_appends_are_refused_with_field_paths(log))
        }),
        ("read_stream_pages_in_both_directions", |log| {
            Box::pin(read_stream_pages_in_both_directions(log))
        }),
        ("read_all_filters_and_pages", |log| {
            Box::pin(read_all_filters_and_pages(log))
        }),
        ("page_sizes_are_clamped", |log| Box::pin(page_sizes_are_clamped(log))),
        ("events_by_position_and_id", |log| {
            Box::pin(events_by_position_and_id(log))
        }),
        ("stream_info_summarises_a_stream", |log| {
            Box::pin(stream_info_summarises_a_stream(log))
        }),
        ("list_streams_by_prefix_in_byte_order_with_paging", |log| {
            Box::pin(list_streams_by_prefix_in_byte_order_with_paging(log))
        }),
        ("head_and_hash_chain_follow_every_append", |log| {
            Box::pin(head_and_hash_chain_follow_every_append(log))
        }),
        ("recorded_at_never_decreases", |log| {
            Box::pin(recorded_at_never_decreases(log))
        }),
        ("subscription_catches_up_then_goes_live", |log| {
            Box::pin(subscription_catches_up_then_goes_live(log))
        }),
        ("filtered_subscription_sends_checkpoints", |log| {
            Box::pin(filtered_subscription_sends_checkpoints(log))
        }),
        (
            "subscription_under_concurrent_appends_has_no_gaps_or_duplicates",
            |log| Box::pin(subscription_under_concurrent_appends_has_no_gaps_or_duplicates(log)),
        ),
        ("subscription_ends_when_the_log_closes", |log| {
            Box::pin(subscription_ends_when_the_log_closes(log))
        }),
        ("close_refuses_further_appends", |log| {
            Box::pin(close_refuses_further_appends(log))
        }),
    ];
    for (name, check) in checks {
        eprintln!("conformance: {name}");
        let log = fresh_log().await;
        assert_eq!(log.head(), LogHead::EMPTY, "{name}: fresh_log must give an empty log");
        check(log).await;
    }
}

// ---------------------------------------------------------------------------------------
// Helpers, public so that backend-specific tests can reuse them.
// ---------------------------------------------------------------------------------------

/// A deterministic, non-nil event id.
pub fn event_id(n: u128) -> Uuid {
    Uuid::from_u128(0xA77_0000_0000_0000_0000 + n)
}

/// A small event with a deterministic id and a payload derived from `n`.
pub fn new_event(n: u128, event_type: &str) -> NewEvent {
    NewEvent::new(event_id(n), event_type, format!("payload-{n}").into_bytes())
}

/// An append request.
pub fn append_request(stream_id: &str, expected: ExpectedVersion, events: Vec<NewEvent>) -> AppendRequest {
    AppendRequest {
        stream_id: stream_id.to_string(),
        expected,
        events,
    }
}

/// Appends and panics with the error if the append is refused.
pub async fn append_ok<L: EventLog>(
    log: &L,
    stream_id: &str,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> AppendOutcome {
    let count = events.len() as u64;
    let outcome = log
        .append(append_request(stream_id, expected, events))
        .await
        .unwrap_or_else(|error| panic!("append of {count} events to {stream_id:?} ({expected}) failed: {error}"));
    assert_eq!(
        outcome.last_position + 1 - outcome.first_position,
        count,
        "the outcome must span exactly the {count} appended events: {outcome:?}"
    );
    outcome
}

/// Reads the whole log, unfiltered, page by page.
pub async fn read_all_events<L: EventLog>(log: &L) -> Vec<RecordedEvent> {
    read_all_filtered(log, 0, EventFilter::default(), 0).await
}

/// Reads everything matching `filter` from `from_position` by following `next_position`,
/// asking for `max_count` events per page. Checks that every page makes progress.
pub async fn read_all_filtered<L: EventLog>(
    log: &L,
    from_position: u64,
    filter: EventFilter,
    max_count: usize,
) -> Vec<RecordedEvent> {
    let mut events = Vec::new();
    let mut next = from_position;
    loop {
        let page = log
            .read_all(ReadAllRequest {
                from_position: next,
                max_count,
                filter: filter.clone(),
            })
            .await
            .unwrap_or_else(|error| panic!("read_all from {next} failed: {error}"));
        if page.reached_head() && page.events.is_empty() {
            return events;
        }
        assert!(
            page.next_position > next,
            "read_all from {next} must make progress, got next_position {} with {} events",
            page.next_position,
            page.events.len()
        );
        next = page.next_position;
        let reached_head = page.reached_head();
        events.extend(page.events);
        if reached_head {
            return events;
        }
    }
}

/// Reads the whole log, checks positions are dense from 0, stream versions dense from 0
/// per stream, `recorded_at` never decreases, every hash follows from the previous one,
/// and the head matches the last event. Returns the events.
pub async fn assert_chain_intact<L: EventLog>(log: &L) -> Vec<RecordedEvent> {
    let events = read_all_events(log).await;
    assert_events_form_a_valid_log(&events);
    let head = log.head();
    assert_eq!(
        head.next_position,
        events.len() as u64,
        "head.next_position must equal the number of committed events"
    );
    let last_hash = events.last().map_or([0; 32], |event| event.hash);
    assert_eq!(
        head.last_hash, last_hash,
        "head.last_hash must be the hash of the last event"
    );
    events
}

/// Checks the invariants of a complete log read from position 0 (see [`assert_chain_intact`]).
pub fn assert_events_form_a_valid_log(events: &[RecordedEvent]) {
    let mut previous_hash = [0u8; 32];
    let mut previous_recorded_at: Option<Timestamp> = None;
    let mut next_version: BTreeMap<&str, u64> = BTreeMap::new();
    let mut ids = HashSet::new();
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event.position, index as u64, "positions must be dense from 0");
        let version = next_version.entry(event.stream_id.as_str()).or_insert(0);
        assert_eq!(
            event.stream_version, *version,
            "stream {:?} versions must be dense from 0 (at position {})",
            event.stream_id, event.position
        );
        *version += 1;
        assert!(
            ids.insert(event.event_id),
            "event id {} is stored twice (second at position {})",
            event.event_id,
            event.position
        );
        if let Some(previous) = previous_recorded_at {
            assert!(
                event.recorded_at >= previous,
                "recorded_at decreases at position {}: {:?} < {:?}",
                event.position,
                event.recorded_at,
                previous
            );
        }
        previous_recorded_at = Some(event.recorded_at);
        let expected_hash = codec::chain_hash(&previous_hash, &codec::canonical_bytes(event));
        assert_eq!(
            event.hash, expected_hash,
            "hash at position {} does not follow from the previous hash and the canonical bytes",
            event.position
        );
        previous_hash = event.hash;
    }
}

/// Runs `future`, failing (instead of hanging) if it takes longer than [`HANG_GUARD`].
pub async fn within_hang_guard<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(HANG_GUARD, future).await {
        Ok(value) => value,
        Err(_) => panic!("{what} did not complete within {HANG_GUARD:?}; the backend looks hung"),
    }
}

async fn finish<L: EventLog>(log: &L) {
    assert_chain_intact(log).await;
    within_hang_guard("close", log.close())
        .await
        .unwrap_or_else(|error| panic!("close failed: {error}"));
}

fn positions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|event| event.position).collect()
}

fn versions(events: &[RecordedEvent]) -> Vec<u64> {
    events.iter().map(|event| event.stream_version).collect()
}

async fn read_stream<L: EventLog>(
    log: &L,
    stream_id: &str,
    from_version: Option<u64>,
    direction: Direction,
    max_count: usize,
) -> Vec<RecordedEvent> {
    log.read_stream(ReadStreamRequest {
        stream_id: stream_id.to_string(),
        from_version,
        direction,
        max_count,
    })
    .await
    .unwrap_or_else(|error| panic!("read_stream {stream_id:?} failed: {error}"))
}

async fn read_page<L: EventLog>(log: &L, from_position: u64, max_count: usize, filter: &EventFilter) -> ReadAllPage {
    log.read_all(ReadAllRequest {
        from_position,
        max_count,
        filter: filter.clone(),
    })
    .await
    .unwrap_or_else(|error| panic!("read_all from {from_position} failed: {error}"))
}

async fn stream_info<L: EventLog>(log: &L, stream_id: &str) -> Option<StreamInfo> {
    log.stream_info(stream_id)
        .await
        .unwrap_or_else(|error| panic!("stream_info {stream_id:?} failed: {error}"))
}

async fn list_streams<L: EventLog>(log: &L, prefix: &str, after: Option<&str>, page_size: usize) -> Vec<StreamInfo> {
    log.list_streams(ListStreamsRequest {
        prefix: prefix.to_string(),
        after: after.map(str::to_string),
        page_size,
    })
    .await
    .unwrap_or_else(|error| panic!("list_streams {prefix:?} after {after:?} failed: {error}"))
}

async fn event_by_id<L: EventLog>(log: &L, id: Uuid) -> Option<RecordedEvent> {
    log.event_by_id(id)
        .await
        .unwrap_or_else(|error| panic!("event_by_id {id} failed: {error}"))
}

async fn event_at<L: EventLog>(log: &L, position: u64) -> Option<RecordedEvent> {
    log.event_at(position)
        .await
        .unwrap_or_else(|error| panic!("event_at {position} failed: {error}"))
}

fn assert_conflict(
    result: Result<AppendOutcome, AppendError>,
    stream: &str,
    expected: ExpectedVersion,
    actual: Option<u64>,
) {
    match result {
        Err(AppendError::VersionConflict {
            stream_id,
            expected: reported_expected,
            actual: reported_actual,
        }) => {
            assert_eq!(stream_id, stream, "VersionConflict names the stream");
            assert_eq!(reported_expected, expected, "VersionConflict echoes the expectation");
            assert_eq!(
                reported_actual, actual,
                "VersionConflict on {stream:?} expecting {expected} must report the actual last version"
            );
        }
        other => panic!("append to {stream:?} expecting {expected} must conflict (actual {actual:?}), got {other:?}"),
    }
}

/// Checks that a refused append left the log exactly as it was.
async fn assert_unchanged<L: EventLog>(log: &L, before: &[RecordedEvent], what: &str) {
    assert_eq!(
        log.head().next_position,
        before.len() as u64,
        "{what}: a refused append must not move the head"
    );
    let now = read_all_events(log).await;
    assert_eq!(now, before, "{what}: a refused append must not change the log");
}

type Subscription = Pin<Box<dyn Stream<Item = Result<SubscriptionItem, ReadError>> + Send>>;

fn open_subscription<L: EventLog>(log: &Arc<L>, from_position: u64, filter: EventFilter) -> Subscription {
    Box::pin(subscribe(Arc::clone(log), from_position, filter))
}

async fn next_item(subscription: &mut Subscription, what: &str) -> SubscriptionItem {
    match within_hang_guard(what, subscription.next()).await {
        Some(Ok(item)) => item,
        Some(Err(error)) => panic!("{what}: subscription failed: {error}"),
        None => panic!("{what}: subscription ended early"),
    }
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

/// Every envelope field the client sends comes back unchanged through every read path, and
/// the log fills in position, stream version, recorded time, the effective-time default
/// and the chained hash.
pub async fn append_then_read_back_every_field<L: EventLog>(log: Arc<L>) {
    // Method: append a fully populated event (binary payload, metadata with non-ASCII
    // values, both causal ids, explicit effective time) and a minimal one in one batch,
    // then a third event later; read them back via read_stream, read_all, event_at,
    // event_by_id and compare field by field with what was sent.
    let mut full = NewEvent::new(
        event_id(1),
        "antt.v1.MemberAppointed",
        vec![0u8, 255, 1, 0, 128, b'{', 0xC3],
    );
    full.schema_version = 3;
    full.effective_at = Some(Timestamp(1_600_000_000_000_000));
    full.actor = "clerk@nga-son".into();
    full.correlation_id = Some(event_id(100));
    full.causation_id = Some(event_id(101));
    full.metadata = BTreeMap::from([
        ("decision".to_string(), "710/QĐ-UBND".to_string()),
        ("a".to_string(), String::new()),
        ("z-key".to_string(), "ünïcödé ✓".to_string()),
    ]);
    full.content_type = "application/octet-stream".into();
    let minimal = NewEvent::new(event_id(2), "antt.v1.Noted", Vec::new());
    let sent = [full.clone(), minimal.clone()];

    let outcome = append_ok(&*log, "team-1", ExpectedVersion::NoStream, sent.to_vec()).await;
    let now = Timestamp::now();
    assert_eq!(
        (
            outcome.first_position,
            outcome.last_position,
            outcome.stream_version,
            outcome.deduplicated
        ),
        (0, 1, 1, false),
        "first append of two events: {outcome:?}"
    );
    // A sanity window, not a precision check: recorded_at is a real clock reading in
    // microseconds (a database server's clock may differ a little from ours).
    let hour_micros = 3_600_000_000;
    assert!(
        (outcome.recorded_at.0 - now.0).abs() < hour_micros,
        "recorded_at {:?} must be a clock reading in microseconds near {now:?}",
        outcome.recorded_at
    );

    let stored = read_stream(&*log, "team-1", None, Direction::Forwards, 10).await;
    assert_eq!(stored.len(), 2, "both events of the batch are stored");
    for (index, (sent, got)) in sent.iter().zip(&stored).enumerate() {
        let index = index as u64;
        assert_eq!(got.position, index, "position of event {index}");
        assert_eq!(got.stream_id, "team-1");
        assert_eq!(got.stream_version, index, "stream version of event {index}");
        assert_eq!(got.event_id, sent.event_id);
        assert_eq!(got.event_type, sent.event_type);
        assert_eq!(got.schema_version, sent.schema_version);
        assert_eq!(got.actor, sent.actor);
        assert_eq!(got.correlation_id, sent.correlation_id);
        assert_eq!(got.causation_id, sent.causation_id);
        assert_eq!(got.metadata, sent.metadata);
        assert_eq!(got.content_type, sent.content_type);
        assert_eq!(got.payload, sent.payload);
        assert_eq!(
            got.recorded_at, outcome.recorded_at,
            "every event of a batch carries the batch's recorded_at from the outcome"
        );
        assert!(sent.matches_recorded(got), "event {index} must match what was sent");
    }
    assert_eq!(
        stored[0].effective_at,
        Timestamp(1_600_000_000_000_000),
        "explicit effective_at is kept"
    );
    assert_eq!(
        stored[1].effective_at, stored[1].recorded_at,
        "an omitted effective_at defaults to recorded_at"
    );
    assert_eq!(
        stored[0].hash,
        codec::chain_hash(&[0; 32], &codec::canonical_bytes(&stored[0]))
    );
    assert_eq!(
        stored[1].hash,
        codec::chain_hash(&stored[0].hash, &codec::canonical_bytes(&stored[1]))
    );
    assert_eq!(
        log.head(),
        LogHead {
            next_position: 2,
            last_hash: stored[1].hash
        }
    );

    let mut later = new_event(3, "antt.v1.Noted");
    later.effective_at = Some(Timestamp(-5));
    let second = append_ok(&*log, "team-1", ExpectedVersion::Exact(1), vec![later.clone()]).await;
    assert_eq!(
        (second.first_position, second.last_position, second.stream_version),
        (2, 2, 2)
    );
    assert!(second.recorded_at >= outcome.recorded_at, "recorded_at never decreases");

    let all = read_all_events(&*log).await;
    assert_eq!(
        &all[..2],
        &stored[..],
        "read_all returns the same events as read_stream"
    );
    assert_eq!(all[2].effective_at, Timestamp(-5), "effective_at before 1970 is kept");
    assert!(later.matches_recorded(&all[2]));
    for event in &all {
        assert_eq!(
            event_at(&*log, event.position).await.as_ref(),
            Some(event),
            "event_at agrees"
        );
        assert_eq!(
            event_by_id(&*log, event.event_id).await.as_ref(),
            Some(event),
            "event_by_id agrees"
        );
    }
    finish(&*log).await;
}

/// All four expectations admit exactly the stream states they name; a conflict reports the
/// actual last version and writes nothing, and its event ids stay unused.
pub async fn expected_versions_are_enforced<L: EventLog>(log: Arc<L>) {
    // Method: walk one stream through missing → version 0 → 1 → 2, trying every kind of
    // expectation in each state, and compare each result and the log before/after.
    let s = "acct-7";
    // Missing stream.
    assert_conflict(
        log.append(append_request(
            s,
            ExpectedVersion::StreamExists,
            vec![new_event(1, "T")],
        ))
        .await,
        s,
        ExpectedVersion::StreamExists,
        None,
    );
    assert_conflict(
        log.append(append_request(s, ExpectedVersion::Exact(0), vec![new_event(1, "T")]))
            .await,
        s,
        ExpectedVersion::Exact(0),
        None,
    );
    assert_unchanged(&*log, &[], "conflicts on a missing stream").await;
    assert_eq!(
        event_by_id(&*log, event_id(1)).await,
        None,
        "a refused event is not stored"
    );
    assert_eq!(
        stream_info(&*log, s).await,
        None,
        "a refused append does not create the stream"
    );

    // NoStream on a missing stream succeeds; the ids refused above were not consumed.
    let first = append_ok(&*log, s, ExpectedVersion::NoStream, vec![new_event(1, "T")]).await;
    assert_eq!(first.stream_version, 0);
    let snapshot = read_all_events(&*log).await;

    // Version 0.
    assert_conflict(
        log.append(append_request(s, ExpectedVersion::NoStream, vec![new_event(2, "T")]))
            .await,
        s,
        ExpectedVersion::NoStream,
        Some(0),
    );
    assert_conflict(
        log.append(append_request(
            s,
            ExpectedVersion::Exact(1),
            vec![new_event(2, "T"), new_event(3, "T")],
        ))
        .await,
        s,
        ExpectedVersion::Exact(1),
        Some(0),
    );
    assert_unchanged(&*log, &snapshot, "conflicts at version 0").await;
    assert_eq!(event_by_id(&*log, event_id(2)).await, None);
    assert_eq!(event_by_id(&*log, event_id(3)).await, None);

    let second = append_ok(&*log, s, ExpectedVersion::StreamExists, vec![new_event(2, "T")]).await;
    assert_eq!((second.first_position, second.stream_version), (1, 1));
    let third = append_ok(
        &*log,
        s,
        ExpectedVersion::Exact(1),
        vec![new_event(3, "T"), new_event(4, "T")],
    )
    .await;
    assert_eq!(
        (third.first_position, third.last_position, third.stream_version),
        (2, 3, 3)
    );
    let snapshot = read_all_events(&*log).await;

    // Version 3: stale, future and NoStream expectations conflict.
    for expected in [
        ExpectedVersion::Exact(0),
        ExpectedVersion::Exact(1),
        ExpectedVersion::Exact(2),
        ExpectedVersion::Exact(4),
        ExpectedVersion::Exact(u64::MAX),
        ExpectedVersion::NoStream,
    ] {
        assert_conflict(
            log.append(append_request(s, expected, vec![new_event(5, "T"), new_event(6, "T")]))
                .await,
            s,
            expected,
            Some(3),
        );
    }
    assert_unchanged(&*log, &snapshot, "conflicts at version 3").await;
    assert_eq!(event_by_id(&*log, event_id(5)).await, None);
    assert_eq!(
        stream_info(&*log, s).await.map(|info| info.version),
        Some(3),
        "stream_info unchanged by conflicts"
    );

    // Any: no check, on an existing and on a missing stream.
    let any_existing = append_ok(&*log, s, ExpectedVersion::Any, vec![new_event(5, "T")]).await;
    assert_eq!((any_existing.first_position, any_existing.stream_version), (4, 4));
    let any_missing = append_ok(&*log, "acct-8", ExpectedVersion::Any, vec![new_event(6, "T")]).await;
    assert_eq!((any_missing.first_position, any_missing.stream_version), (5, 0));
    // Another stream's version does not satisfy this stream's expectation.
    assert_conflict(
        log.append(append_request(
            "acct-8",
            ExpectedVersion::Exact(4),
            vec![new_event(7, "T")],
        ))
        .await,
        "acct-8",
        ExpectedVersion::Exact(4),
        Some(0),
    );
    let exact = append_ok(&*log, "acct-8", ExpectedVersion::Exact(0), vec![new_event(7, "T")]).await;
    assert_eq!((exact.first_position, exact.stream_version), (6, 1));
    finish(&*log).await;
}

/// A batch is stored as one contiguous run of positions and stream versions, even when
/// many batches are appended concurrently, and a refused batch stores none of its events.
pub async fn batches_are_atomic_and_contiguous<L: EventLog>(log: Arc<L>) {
    // Method: append 12 batches of 1..=8 events concurrently (8 to their own streams and 4
    // to one shared stream), then check each outcome against the events read back: the
    // batch's events sit at first_position..=last_position in order, with consecutive
    // versions ending at the outcome's stream_version. Then refuse batches whose last
    // event is invalid or whose expectation fails, and check none of their events appear.
    let mut requests = Vec::new();
    let mut next_id = 1u128;
    for batch in 0..12u128 {
        let size = (batch % 8) + 1;
        let stream = if batch < 8 {
            format!("own-{batch}")
        } else {
            "shared".to_string()
        };
        let events = (0..size)
            .map(|_| {
                next_id += 1;
                new_event(next_id, "T")
            })
            .collect::<Vec<_>>();
        requests.push(append_request(&stream, ExpectedVersion::Any, events));
    }
    let outcomes = within_hang_guard(
        "concurrent batch appends",
        futures::future::join_all(requests.iter().cloned().map(|request| log.append(request))),
    )
    .await;
    let all = read_all_events(&*log).await;
    let mut covered = BTreeSet::new();
    for (request, outcome) in requests.iter().zip(outcomes) {
        let outcome = outcome.unwrap_or_else(|error| panic!("append to {} failed: {error}", request.stream_id));
        assert!(!outcome.deduplicated);
        let range = outcome.first_position as usize..=outcome.last_position as usize;
        let stored = &all[range.clone()];
        assert_eq!(stored.len(), request.events.len(), "outcome spans the batch");
        for (offset, (sent, got)) in request.events.iter().zip(stored).enumerate() {
            assert_eq!(
                got.event_id, sent.event_id,
                "batch events are stored contiguously in order"
            );
            assert_eq!(got.stream_id, request.stream_id);
            assert_eq!(
                got.stream_version,
                outcome.stream_version + 1 + offset as u64 - request.events.len() as u64,
                "batch versions are consecutive and end at the outcome's stream_version"
            );
            assert_eq!(got.recorded_at, outcome.recorded_at);
        }
        for position in range {
            assert!(covered.insert(position), "two batches claim position {position}");
        }
    }
    assert_eq!(covered.len(), all.len(), "every stored event belongs to one batch");

    let before = read_all_events(&*log).await;
    let bad_last = NewEvent::new(Uuid::nil(), "T", Vec::new());
    let refused = log
        .append(append_request(
            "shared",
            ExpectedVersion::Any,
            vec![new_event(500, "T"), new_event(501, "T"), bad_last],
        ))
        .await;
    assert!(
        matches!(refused, Err(AppendError::Invalid(_))),
        "a batch with an invalid event is refused whole: {refused:?}"
    );
    let conflict = log
        .append(append_request(
            "shared",
            ExpectedVersion::NoStream,
            vec![new_event(502, "T"), new_event(503, "T")],
        ))
        .await;
    assert!(
        matches!(conflict, Err(AppendError::VersionConflict { .. })),
        "{conflict:?}"
    );
    assert_unchanged(&*log, &before, "refused batches").await;
    for n in 500..504 {
        assert_eq!(
            event_by_id(&*log, event_id(n)).await,
            None,
            "no event of a refused batch is stored"
        );
    }
    finish(&*log).await;
}

/// Re-sending an identical batch returns the original outcome flagged as deduplicated and
/// writes nothing, whatever happened to the stream since and whatever the retry expects.
pub async fn identical_retry_is_deduplicated<L: EventLog>(log: Arc<L>) {
    // Method: append a 3-event batch with NoStream (one event with an omitted effective
    // time, one with every field set), retry it verbatim, retry after the stream moved on,
    // and retry with a different expectation; every retry must equal the original outcome
    // with deduplicated = true and leave the log byte-for-byte unchanged.
    let mut rich = new_event(2, "antt.v1.Rich");
    rich.effective_at = Some(Timestamp(42));
    rich.actor = "a".into();
    rich.metadata = BTreeMap::from([("k".to_string(), "v".to_string())]);
    rich.correlation_id = Some(event_id(90));
    let batch = vec![new_event(1, "T"), rich, new_event(3, "T")];
    append_ok(&*log, "other", ExpectedVersion::Any, vec![new_event(10, "T")]).await;
    let request = append_request("acct-1", ExpectedVersion::NoStream, batch.clone());
    let original = log.append(request.clone()).await.expect("first append");
    assert!(!original.deduplicated);
    assert_eq!(
        (original.first_position, original.last_position, original.stream_version),
        (1, 3, 2)
    );
    let expected_retry = AppendOutcome {
        deduplicated: true,
        ..original
    };

    let snapshot = read_all_events(&*log).await;
    let retry = log.append(request.clone()).await.expect("identical retry must succeed");
    assert_eq!(
        retry, expected_retry,
        "a retry returns the original outcome, deduplicated"
    );
    assert_unchanged(&*log, &snapshot, "identical retry").await;

    append_ok(&*log, "acct-1", ExpectedVersion::Exact(2), vec![new_event(4, "T")]).await;
    append_ok(&*log, "other", ExpectedVersion::Any, vec![new_event(11, "T")]).await;
    let snapshot = read_all_events(&*log).await;
    let late_retry = log
        .append(request.clone())
        .await
        .expect("a retry after the stream moved on must still be deduplicated");
    assert_eq!(late_retry, expected_retry);
    for expected in [
        ExpectedVersion::Any,
        ExpectedVersion::Exact(0),
        ExpectedVersion::StreamExists,
    ] {
        let retry = log
            .append(append_request("acct-1", expected, batch.clone()))
            .await
            .unwrap_or_else(|error| panic!("retry expecting {expected} must be deduplicated: {error}"));
        assert_eq!(retry, expected_retry, "retry expecting {expected}");
    }
    assert_unchanged(&*log, &snapshot, "late retries").await;

    // A single-event append retried with the same Exact expectation.
    let single = append_request("acct-1", ExpectedVersion::Exact(3), vec![new_event(5, "T")]);
    let first = log.append(single.clone()).await.expect("single append");
    let snapshot = read_all_events(&*log).await;
    let again = log.append(single).await.expect("single retry");
    assert_eq!(
        again,
        AppendOutcome {
            deduplicated: true,
            ..first
        }
    );
    assert_unchanged(&*log, &snapshot, "single retry").await;
    finish(&*log).await;
}

/// A stored event id sent again with different content, to another stream, or as part of
/// a different batch is refused with EventIdReused naming the id and its position.
pub async fn reused_event_ids_are_refused<L: EventLog>(log: Arc<L>) {
    // Method: store batch [a, b] in s-1, then [c] and [e] in s-2, then send a series of requests
    // that reuse those ids in every wrong way (changed field, other stream, subset,
    // superset, reordered, spanning two batches); each must fail with EventIdReused for a
    // reused id at that id's stored position, and the log must be unchanged.
    let a = new_event(1, "T");
    let b = new_event(2, "T");
    let c = new_event(3, "T");
    let d = new_event(4, "T");
    let e = new_event(5, "T");
    append_ok(&*log, "s-1", ExpectedVersion::NoStream, vec![a.clone(), b.clone()]).await;
    append_ok(&*log, "s-2", ExpectedVersion::NoStream, vec![c.clone()]).await;
    append_ok(&*log, "s-2", ExpectedVersion::Exact(0), vec![e.clone()]).await;
    let snapshot = read_all_events(&*log).await;
    let stored_position = |id: Uuid| snapshot.iter().find(|event| event.event_id == id).map(|e| e.position);

    let with = |base: &NewEvent, change: &dyn Fn(&mut NewEvent)| {
        let mut changed = base.clone();
        change(&mut changed);
        changed
    };
    let cases: Vec<(&str, &str, Vec<NewEvent>, Option<Uuid>)> = vec![
        (
            "different payload",
            "s-1",
            vec![with(&a, &|e| e.payload = b"other".to_vec()), b.clone()],
            Some(a.event_id),
        ),
        (
            "different event type",
            "s-1",
            vec![a.clone(), with(&b, &|e| e.event_type = "U".into())],
            Some(b.event_id),
        ),
        (
            "different metadata",
            "s-1",
            vec![
                with(&a, &|e| {
                    e.metadata.insert("k".into(), "v".into());
                }),
                b.clone(),
            ],
            Some(a.event_id),
        ),
        (
            "explicit effective time",
            "s-1",
            vec![with(&a, &|e| e.effective_at = Some(Timestamp(7))), b.clone()],
            Some(a.event_id),
        ),
        (
            "different schema version",
            "s-1",
            vec![a.clone(), with(&b, &|e| e.schema_version = 2)],
            Some(b.event_id),
        ),
        ("same event in another stream", "s-1", vec![c.clone()], Some(c.event_id)),
        ("same batch in another stream", "s-2", vec![a.clone(), b.clone()], None),
        ("subset of a batch", "s-1", vec![a.clone()], Some(a.event_id)),
        ("second half of a batch", "s-1", vec![b.clone()], Some(b.event_id)),
        (
            "superset of a batch",
            "s-1",
            vec![a.clone(), b.clone(), d.clone()],
            None,
        ),
        (
            "new event then known ones",
            "s-1",
            vec![d.clone(), a.clone(), b.clone()],
            None,
        ),
        ("reordered batch", "s-1", vec![b.clone(), a.clone()], None),
        (
            "two batches of two streams joined",
            "s-2",
            vec![c.clone(), a.clone()],
            None,
        ),
        (
            "two consecutive batches of one stream joined",
            "s-2",
            vec![c.clone(), e.clone()],
            None,
        ),
    ];
    // Every case is tried before failing, so a report lists all the wrong answers.
    let mut wrong = Vec::new();
    for (what, stream, events, reported) in cases {
        let known: Vec<Uuid> = events
            .iter()
            .map(|event| event.event_id)
            .filter(|id| stored_position(*id).is_some())
            .collect();
        let result = log.append(append_request(stream, ExpectedVersion::Any, events)).await;
        match result {
            Err(AppendError::EventIdReused { event_id, position }) => {
                if !known.contains(&event_id) || reported.is_some_and(|reported| reported != event_id) {
                    wrong.push(format!("{what}: EventIdReused names {event_id}, not the reused id"));
                } else if Some(position) != stored_position(event_id) {
                    wrong.push(format!(
                        "{what}: EventIdReused gives position {position}, not the id's stored position"
                    ));
                }
            }
            other => wrong.push(format!("{what}: expected EventIdReused, got {other:?}")),
        }
        if read_all_events(&*log).await != snapshot {
            wrong.push(format!("{what}: the log changed"));
            break;
        }
    }
    assert!(wrong.is_empty(), "reused event ids:\n  {}", wrong.join("\n  "));
    assert_eq!(
        event_by_id(&*log, d.event_id).await,
        None,
        "no new event of a refused batch is stored"
    );
    finish(&*log).await;
}

/// Malformed appends are refused before anything is looked up, with the same field paths
/// for every backend (those of [`validate::append_violations`]), and write nothing.
pub async fn invalid_appends_are_refused_with_field_paths<L: EventLog>(log: Arc<L>) {
    // Method: store one event, then send one malformed request per rule (including ones
    // that reuse the stored id or conflict with the stream, to show validation comes
    // first) and compare the violations with the expected field paths and with the shared
    // validator; the log must be unchanged after each.
    let stored = new_event(1, "T");
    append_ok(&*log, "s", ExpectedVersion::NoStream, vec![stored.clone()]).await;
    let snapshot = read_all_events(&*log).await;

    let nil = NewEvent::new(Uuid::nil(), "T", Vec::new());
    let mut bad_type = new_event(2, "has space");
    bad_type.schema_version = 0;
    let big = NewEvent::new(event_id(3), "T", vec![7u8; limits::PAYLOAD_BYTES_MAX + 1]);
    let too_many: Vec<NewEvent> = (0..=limits::EVENTS_PER_APPEND_MAX as u128)
        .map(|n| new_event(1000 + n, "T"))
        .collect();
    let too_many_bytes: Vec<NewEvent> = (0..(limits::APPEND_BYTES_MAX / limits::PAYLOAD_BYTES_MAX + 2) as u128)
        .map(|n| NewEvent::new(event_id(5000 + n), "T", vec![1u8; limits::PAYLOAD_BYTES_MAX]))
        .collect();
    let mut bad_metadata = new_event(6, "T");
    bad_metadata.metadata.insert(String::new(), "v".into());
    let cases: Vec<(&str, AppendRequest, Vec<&str>)> = vec![
        (
            "empty stream id",
            append_request("", ExpectedVersion::Any, vec![new_event(2, "T")]),
            vec!["stream_id"],
        ),
        (
            "stream id with surrounding whitespace",
            append_request(" s", ExpectedVersion::Any, vec![new_event(2, "T")]),
            vec!["stream_id"],
        ),
        (
            "stream id too long",
            append_request(
                &"x".repeat(limits::STREAM_ID_BYTES_MAX + 1),
                ExpectedVersion::Any,
                vec![new_event(2, "T")],
            ),
            vec!["stream_id"],
        ),
        (
            "empty batch",
            append_request("s", ExpectedVersion::Any, vec![]),
            vec!["events"],
        ),
        (
            "nil event id",
            append_request("s", ExpectedVersion::Any, vec![new_event(2, "T"), nil.clone()]),
            vec!["events[1].event_id"],
        ),
        (
            "duplicate id in the batch",
            append_request(
                "s",
                ExpectedVersion::Any,
                vec![new_event(2, "T"), new_event(3, "T"), new_event(2, "T")],
            ),
            vec!["events[2].event_id"],
        ),
        (
            "bad event type and schema version",
            append_request("s", ExpectedVersion::Any, vec![bad_type]),
            vec!["events[0].event_type", "events[0].schema_version"],
        ),
        (
            "empty metadata key",
            append_request("s", ExpectedVersion::Any, vec![bad_metadata]),
            vec!["events[0].metadata[]"],
        ),
        (
            "oversized payload",
            append_request("s", ExpectedVersion::Any, vec![big]),
            vec!["events[0].payload"],
        ),
        (
            "too many events",
            append_request("s", ExpectedVersion::Any, too_many),
            vec!["events"],
        ),
        (
            "too many bytes",
            append_request("s", ExpectedVersion::Any, too_many_bytes),
            vec!["events"],
        ),
        (
            "invalid and conflicting",
            append_request("s", ExpectedVersion::NoStream, vec![nil]),
            vec!["events[0].event_id"],
        ),
        (
            "stored id sent twice",
            append_request("s", ExpectedVersion::Any, vec![stored.clone(), stored]),
            vec!["events[1].event_id"],
        ),
    ];
    for (what, request, fields) in cases {
        let expected_violations = validate::append_violations(&request);
        match log.append(request).await {
            Err(AppendError::Invalid(violations)) => {
                let got: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
                assert_eq!(got, fields, "{what}: field paths of the violations");
                assert_eq!(
                    violations, expected_violations,
                    "{what}: the shared validator's violations"
                );
            }
            other => panic!("{what}: expected AppendError::Invalid, got {other:?}"),
        }
        assert_unchanged(&*log, &snapshot, what).await;
    }
    for n in [2u128, 3, 6, 1000, 5000] {
        assert_eq!(
            event_by_id(&*log, event_id(n)).await,
            None,
            "no event of an invalid append is stored"
        );
    }
    finish(&*log).await;
}

/// read_stream pages one stream forwards and backwards from any version, honouring
/// max_count, and reads an unknown stream as empty.
pub async fn read_stream_pages_in_both_directions<L: EventLog>(log: Arc<L>) {
    // Method: build stream "x" with 10 events in three batches interleaved with events
    // of streams "y" and "x-1" (a prefix sibling), then compare the versions returned for
    // a table of (from, direction, max_count) requests with the expected lists.
    let mut n = 0u128;
    let mut next = || {
        n += 1;
        new_event(n, "T")
    };
    for size in [3usize, 3, 4] {
        append_ok(&*log, "y", ExpectedVersion::Any, vec![next()]).await;
        append_ok(&*log, "x", ExpectedVersion::Any, (0..size).map(|_| next()).collect()).await;
        append_ok(&*log, "x-1", ExpectedVersion::Any, vec![next()]).await;
    }
    let all = read_all_events(&*log).await;
    let x: Vec<RecordedEvent> = all.iter().filter(|e| e.stream_id == "x").cloned().collect();
    assert_eq!(versions(&x), (0..10).collect::<Vec<_>>());

    use Direction::{Backwards, Forwards};
    let table: Vec<(Option<u64>, Direction, usize, Vec<u64>)> = vec![
        (None, Forwards, 3, vec![0, 1, 2]),
        (Some(0), Forwards, 1, vec![0]),
        (Some(4), Forwards, 3, vec![4, 5, 6]),
        (Some(8), Forwards, 10, vec![8, 9]),
        (Some(9), Forwards, 1, vec![9]),
        (Some(10), Forwards, 10, vec![]),
        (Some(u64::MAX), Forwards, 10, vec![]),
        (None, Forwards, 0, (0..10).collect()),
        (None, Forwards, 100, (0..10).collect()),
        (None, Backwards, 3, vec![9, 8, 7]),
        (Some(9), Backwards, 2, vec![9, 8]),
        (Some(5), Backwards, 2, vec![5, 4]),
        (Some(2), Backwards, 10, vec![2, 1, 0]),
        (Some(0), Backwards, 5, vec![0]),
        (None, Backwards, 0, (0..10).rev().collect()),
    ];
    for (from, direction, max_count, expected) in table {
        let got = read_stream(&*log, "x", from, direction, max_count).await;
        assert_eq!(
            versions(&got),
            expected,
            "read_stream x from {from:?} {direction:?} max {max_count}"
        );
        for event in &got {
            assert_eq!(
                Some(event),
                x.get(event.stream_version as usize),
                "events equal read_all's"
            );
        }
    }
    for direction in [Forwards, Backwards] {
        assert!(
            read_stream(&*log, "unknown", None, direction, 10).await.is_empty(),
            "an unknown stream reads as empty"
        );
        assert!(
            read_stream(&*log, "x-", None, direction, 10).await.is_empty(),
            "no prefix matching"
        );
    }
    finish(&*log).await;
}

/// read_all returns, from any position, the committed events kept by the filter (stream
/// prefixes OR-ed, event types OR-ed, both AND-ed), at most max_count of them, and a
/// next_position from which paging continues without gaps or repeats.
pub async fn read_all_filters_and_pages<L: EventLog>(log: Arc<L>) {
    // Method: write 13 events over five streams and three types; for every combination of
    // filter × from_position × max_count compare the page with the expectation computed
    // from the full log and EventFilter::keeps, then page through each filter two events
    // at a time and compare the concatenation.
    let layout: [(&str, &str); 13] = [
        ("orders-1", "Created"),
        ("users-1", "Created"),
        ("orders-1", "Updated"),
        ("order-x", "Created"),
        ("users-2", "Updated"),
        ("orders-2", "Created"),
        ("orders-1", "Updated"),
        ("users-2", "Deleted"),
        ("orders-2", "Deleted"),
        ("users-1", "Updated"),
        ("orders-1", "Created"),
        ("users-2", "Created"),
        ("order-x", "Updated"),
    ];
    for (n, (stream, event_type)) in layout.iter().enumerate() {
        append_ok(
            &*log,
            stream,
            ExpectedVersion::Any,
            vec![new_event(n as u128 + 1, event_type)],
        )
        .await;
    }
    let all = read_all_events(&*log).await;
    let head = log.head().next_position;
    assert_eq!(head, 13);
    let filter = |prefixes: &[&str], types: &[&str]| EventFilter {
        stream_id_prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
        event_types: types.iter().map(|t| t.to_string()).collect(),
    };
    let filters = [
        filter(&[], &[]),
        filter(&["orders-"], &[]),
        filter(&[], &["Created"]),
        filter(&["orders-"], &["Updated", "Deleted"]),
        filter(&["users-", "order-x"], &[]),
        filter(&["users-2", "orders-1"], &["Created"]),
        filter(&[], &["Nope"]),
        filter(&["zzz"], &["Created"]),
        filter(&[""], &[]),
    ];
    for filter in &filters {
        for from in [0u64, 1, 4, 12, 13, 20] {
            let matching: Vec<&RecordedEvent> = all
                .iter()
                .filter(|e| e.position >= from && filter.keeps(&e.stream_id, &e.event_type))
                .collect();
            for max_count in [1usize, 2, 3, 100, 0] {
                let page = read_page(&*log, from, max_count, filter).await;
                let what = format!("read_all from {from} max {max_count} filter {filter:?}");
                let take = if max_count == 0 { usize::MAX } else { max_count };
                let expected: Vec<RecordedEvent> = matching.iter().take(take).map(|e| (*e).clone()).collect();
                assert_eq!(page.events, expected, "{what}: events");
                assert_eq!(page.head_position, head, "{what}: head_position");
                if from >= head {
                    continue;
                }
                if page.events.len() < take {
                    assert_eq!(
                        page.next_position, head,
                        "{what}: a page that is not full scanned to the head"
                    );
                } else {
                    let last = page.events.last().unwrap().position;
                    let next_match = matching.get(take).map_or(head, |e| e.position);
                    assert!(
                        page.next_position > last && page.next_position <= next_match,
                        "{what}: a full page continues after its last event ({last}) and before the next match ({next_match}), got {}",
                        page.next_position
                    );
                }
            }
        }
        let paged = read_all_filtered(&*log, 0, filter.clone(), 2).await;
        let expected: Vec<RecordedEvent> = all
            .iter()
            .filter(|e| filter.keeps(&e.stream_id, &e.event_type))
            .cloned()
            .collect();
        assert_eq!(paged, expected, "paging two at a time with filter {filter:?}");
    }
    finish(&*log).await;
}

const _: () = assert!(limits::READ_PAGE_EVENTS_MAX < 1100 && limits::EVENTS_PER_APPEND_MAX >= 550);

/// Page sizes above the limits, and 0 ("the most allowed"), are clamped to
/// READ_PAGE_EVENTS_MAX and LIST_STREAMS_PAGE_MAX.
pub async fn page_sizes_are_clamped<L: EventLog>(log: Arc<L>) {
    // Method: store 1100 events in one stream (two batches, as one append takes at most
    // 1000) and ask read_stream and read_all for 0, 5000 and usize::MAX events.
    let events = |base: u128| (0..550u128).map(move |n| new_event(base + n, "T")).collect::<Vec<_>>();
    append_ok(&*log, "big", ExpectedVersion::NoStream, events(1)).await;
    append_ok(&*log, "big", ExpectedVersion::Exact(549), events(10_000)).await;
    let most = limits::READ_PAGE_EVENTS_MAX;
    for max_count in [0usize, 5000, usize::MAX] {
        let forwards = read_stream(&*log, "big", None, Direction::Forwards, max_count).await;
        assert_eq!(
            versions(&forwards),
            (0..most as u64).collect::<Vec<_>>(),
            "forwards max {max_count}"
        );
        let backwards = read_stream(&*log, "big", None, Direction::Backwards, max_count).await;
        assert_eq!(
            versions(&backwards),
            (1100 - most as u64..1100).rev().collect::<Vec<_>>(),
            "backwards max {max_count}"
        );
        let page = read_page(&*log, 0, max_count, &EventFilter::default()).await;
        assert_eq!(
            positions(&page.events),
            (0..most as u64).collect::<Vec<_>>(),
            "read_all max {max_count}"
        );
        assert_eq!(
            page.next_position, most as u64,
            "read_all continues after a clamped page"
        );
        assert!(!page.reached_head());
    }
    assert_eq!(
        list_streams(&*log, "", None, 0).await.len(),
        1,
        "list_streams page 0 means the most"
    );
    finish(&*log).await;
}

/// event_at and event_by_id find exactly the committed events and nothing else.
pub async fn events_by_position_and_id<L: EventLog>(log: Arc<L>) {
    // Method: store 7 events in 3 streams, then look each up by position and by id and
    // compare with read_all; look up positions at and beyond the head and unknown ids.
    assert_eq!(event_at(&*log, 0).await, None, "an empty log has no event 0");
    for n in 1..=7u128 {
        let stream = format!("s-{}", n % 3);
        append_ok(&*log, &stream, ExpectedVersion::Any, vec![new_event(n, "T")]).await;
    }
    let all = read_all_events(&*log).await;
    for event in &all {
        assert_eq!(event_at(&*log, event.position).await.as_ref(), Some(event));
        assert_eq!(event_by_id(&*log, event.event_id).await.as_ref(), Some(event));
    }
    for position in [7u64, 8, u64::MAX] {
        assert_eq!(event_at(&*log, position).await, None, "no event at {position}");
    }
    for id in [event_id(8), event_id(0), Uuid::from_u128(u128::MAX)] {
        assert_eq!(event_by_id(&*log, id).await, None, "unknown id {id}");
    }
    finish(&*log).await;
}

/// stream_info gives the last version, first and last positions and recorded times of a
/// stream, and None for a stream without events.
pub async fn stream_info_summarises_a_stream<L: EventLog>(log: Arc<L>) {
    // Method: interleave appends to "s" and "t"; after each one compare stream_info("s")
    // with the summary computed from read_all.
    assert_eq!(stream_info(&*log, "s").await, None);
    let plan: [(&str, usize); 7] = [("s", 1), ("t", 1), ("s", 2), ("t", 3), ("s", 1), ("s", 3), ("t", 1)];
    let mut n = 0u128;
    for (stream, size) in plan {
        let events = (0..size)
            .map(|_| {
                n += 1;
                new_event(n, "T")
            })
            .collect();
        append_ok(&*log, stream, ExpectedVersion::Any, events).await;
        let all = read_all_events(&*log).await;
        for id in ["s", "t"] {
            let of: Vec<&RecordedEvent> = all.iter().filter(|e| e.stream_id == id).collect();
            let expected = match (of.first(), of.last()) {
                (Some(first), Some(last)) => Some(StreamInfo {
                    stream_id: id.to_string(),
                    version: last.stream_version,
                    first_position: first.position,
                    last_position: last.position,
                    first_recorded_at: first.recorded_at,
                    last_recorded_at: last.recorded_at,
                }),
                _ => None,
            };
            assert_eq!(stream_info(&*log, id).await, expected, "stream_info({id:?})");
        }
    }
    assert_eq!(stream_info(&*log, "s").await.map(|i| i.version), Some(6));
    assert_eq!(stream_info(&*log, "u").await, None, "unknown stream");
    assert_eq!(stream_info(&*log, "s-").await, None, "no prefix matching");
    finish(&*log).await;
}

/// list_streams returns the streams with a prefix in byte order of id, paged by page_size
/// and the exclusive `after`, each with the same summary as stream_info.
pub async fn list_streams_by_prefix_in_byte_order_with_paging<L: EventLog>(log: Arc<L>) {
    // Method: create streams whose ids sort differently as bytes than naively ("A" < "a",
    // "-" < "/", "a/10" < "a/2", multi-byte "é" last); list by several prefixes and
    // `after` values, and page through all of them one and two at a time.
    let ids = ["a/2", "b/1", "é", "a", "A", "a/10", "ab", "a-b", "a/1"];
    for (n, id) in ids.iter().enumerate() {
        let count = 1 + n % 2;
        let events = (0..count).map(|k| new_event((n * 10 + k) as u128 + 1, "T")).collect();
        append_ok(&*log, id, ExpectedVersion::Any, events).await;
    }
    let mut sorted: Vec<&str> = ids.to_vec();
    sorted.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
    assert_eq!(sorted, ["A", "a", "a-b", "a/1", "a/10", "a/2", "ab", "b/1", "é"]);

    let names = |infos: &[StreamInfo]| infos.iter().map(|i| i.stream_id.clone()).collect::<Vec<_>>();
    let everything = list_streams(&*log, "", None, 100).await;
    assert_eq!(names(&everything), sorted, "all streams in byte order");
    for info in &everything {
        assert_eq!(stream_info(&*log, &info.stream_id).await.as_ref(), Some(info));
    }
    let table: Vec<(&str, Option<&str>, usize, Vec<&str>)> = vec![
        ("a/", None, 100, vec!["a/1", "a/10", "a/2"]),
        ("a", None, 100, vec!["a", "a-b", "a/1", "a/10", "a/2", "ab"]),
        ("a", None, 2, vec!["a", "a-b"]),
        ("a", Some("a-b"), 2, vec!["a/1", "a/10"]),
        ("a/", Some("a/1"), 100, vec!["a/10", "a/2"]),
        ("a/", Some("a/15"), 100, vec!["a/2"]),
        ("a/", Some("a/2"), 100, vec![]),
        ("a/", Some("0"), 100, vec!["a/1", "a/10", "a/2"]),
        ("", Some("b/1"), 100, vec!["é"]),
        ("é", None, 100, vec!["é"]),
        ("A", None, 100, vec!["A"]),
        ("z", None, 100, vec![]),
        ("a/1/", None, 100, vec![]),
        ("", None, 0, sorted.clone()),
    ];
    for (prefix, after, page_size, expected) in table {
        let got = list_streams(&*log, prefix, after, page_size).await;
        assert_eq!(
            names(&got),
            expected,
            "list_streams prefix {prefix:?} after {after:?} page {page_size}"
        );
    }
    for page_size in [1usize, 2] {
        let mut after: Option<String> = None;
        let mut paged = Vec::new();
        loop {
            let page = list_streams(&*log, "", after.as_deref(), page_size).await;
            assert!(page.len() <= page_size, "a page holds at most page_size streams");
            let Some(last) = page.last() else { break };
            after = Some(last.stream_id.clone());
            paged.extend(page);
            assert!(paged.len() <= ids.len(), "paging must terminate");
        }
        assert_eq!(paged, everything, "paging {page_size} at a time");
    }
    finish(&*log).await;
}

/// The head and the watched head follow every append, and the hash chain links every
/// event to the one before it.
pub async fn head_and_hash_chain_follow_every_append<L: EventLog>(log: Arc<L>) {
    // Method: after each of 20 appends of varying sizes, compare head() with the outcome
    // and with event_at(last_position).hash recomputed from its predecessor, and wait for
    // watch_head to reach the new head.
    assert_eq!(log.head(), LogHead::EMPTY);
    let mut watch = log.watch_head();
    assert_eq!(*watch.borrow_and_update(), 0, "watch_head starts at the head");
    let mut previous_hash = [0u8; 32];
    let mut n = 0u128;
    for round in 0..20u64 {
        let size = 1 + (round % 4) as usize;
        let events = (0..size)
            .map(|_| {
                n += 1;
                new_event(n, if round % 2 == 0 { "Even" } else { "Odd" })
            })
            .collect();
        let outcome = append_ok(&*log, &format!("s-{}", round % 3), ExpectedVersion::Any, events).await;
        let head = log.head();
        assert_eq!(
            head.next_position,
            outcome.last_position + 1,
            "head moves to after the batch"
        );
        for position in outcome.first_position..=outcome.last_position {
            let event = event_at(&*log, position).await.expect("acknowledged event is readable");
            assert_eq!(
                event.hash,
                codec::chain_hash(&previous_hash, &codec::canonical_bytes(&event)),
                "hash at {position}"
            );
            previous_hash = event.hash;
        }
        assert_eq!(head.last_hash, previous_hash, "head.last_hash is the last event's hash");
        let target = outcome.last_position;
        within_hang_guard("watch_head to follow the append", watch.wait_for(|next| *next > target))
            .await
            .expect("watch_head sender dropped while the log is open");
    }
    finish(&*log).await;
}

/// recorded_at never decreases along the log, also for concurrent appends, and a batch
/// shares one recorded time.
pub async fn recorded_at_never_decreases<L: EventLog>(log: Arc<L>) {
    // Method: 30 sequential appends, then 30 concurrent ones, then check recorded_at along
    // positions (assert_chain_intact) and each outcome's recorded_at against its events.
    let mut outcomes = Vec::new();
    for n in 0..30u128 {
        outcomes.push(append_ok(&*log, "seq", ExpectedVersion::Any, vec![new_event(n + 1, "T")]).await);
    }
    let concurrent = within_hang_guard(
        "concurrent appends",
        futures::future::join_all((0..30u128).map(|n| {
            log.append(append_request(
                &format!("c-{}", n % 5),
                ExpectedVersion::Any,
                vec![new_event(100 + 2 * n, "T"), new_event(101 + 2 * n, "T")],
            ))
        })),
    )
    .await;
    outcomes.extend(concurrent.into_iter().map(|result| result.expect("concurrent append")));
    let all = assert_chain_intact(&*log).await;
    for outcome in &outcomes {
        for position in outcome.first_position..=outcome.last_position {
            assert_eq!(
                all[position as usize].recorded_at, outcome.recorded_at,
                "batch recorded_at"
            );
        }
    }
    finish(&*log).await;
}

/// A subscription delivers the committed events from its start position, then CaughtUp
/// once, then new events as they are committed, in order, without gaps or repeats.
pub async fn subscription_catches_up_then_goes_live<L: EventLog>(log: Arc<L>) {
    // Method: store 5 events, subscribe from 0 and from 3, expect the stored events then
    // CaughtUp(5); append one and three more events, expecting exactly those next. Append
    // after subscribing but before the first poll and check it is delivered exactly once
    // wherever CaughtUp falls.
    append_ok(
        &*log,
        "s",
        ExpectedVersion::Any,
        vec![new_event(1, "T"), new_event(2, "T")],
    )
    .await;
    append_ok(
        &*log,
        "t",
        ExpectedVersion::Any,
        vec![new_event(3, "T"), new_event(4, "U"), new_event(5, "T")],
    )
    .await;
    let stored = read_all_events(&*log).await;
    let mut from_zero = open_subscription(&log, 0, EventFilter::default());
    let mut from_three = open_subscription(&log, 3, EventFilter::default());
    for expected in &stored {
        assert_eq!(
            next_item(&mut from_zero, "catch-up").await,
            SubscriptionItem::Event(expected.clone())
        );
    }
    assert_eq!(
        next_item(&mut from_zero, "caught up").await,
        SubscriptionItem::CaughtUp(5)
    );
    for expected in &stored[3..] {
        assert_eq!(
            next_item(&mut from_three, "catch-up from 3").await,
            SubscriptionItem::Event(expected.clone())
        );
    }
    assert_eq!(
        next_item(&mut from_three, "caught up from 3").await,
        SubscriptionItem::CaughtUp(5)
    );

    let mut n = 10u128;
    for size in [1usize, 3] {
        let events = (0..size)
            .map(|_| {
                n += 1;
                new_event(n, "T")
            })
            .collect();
        let outcome = append_ok(&*log, "s", ExpectedVersion::Any, events).await;
        for position in outcome.first_position..=outcome.last_position {
            let expected = event_at(&*log, position).await.expect("committed");
            for (name, subscription) in [("from 0", &mut from_zero), ("from 3", &mut from_three)] {
                assert_eq!(
                    next_item(subscription, "live").await,
                    SubscriptionItem::Event(expected.clone()),
                    "live event at {position} on subscription {name}"
                );
            }
        }
    }

    // Appended after subscribing, before the first poll.
    let mut late = open_subscription(&log, 7, EventFilter::default());
    let outcome = append_ok(&*log, "s", ExpectedVersion::Any, vec![new_event(50, "T")]).await;
    let head = outcome.last_position + 1;
    let mut seen = Vec::new();
    let mut caught_up = Vec::new();
    while seen.len() < (head - 7) as usize || caught_up.is_empty() {
        match next_item(&mut late, "late subscriber").await {
            SubscriptionItem::Event(event) => seen.push(event.position),
            SubscriptionItem::CaughtUp(at) => caught_up.push((at, seen.len())),
            SubscriptionItem::Checkpoint(at) => panic!("an unfiltered subscription sent Checkpoint({at})"),
        }
    }
    assert_eq!(
        seen,
        (7..head).collect::<Vec<_>>(),
        "every event exactly once, in order"
    );
    assert_eq!(caught_up.len(), 1, "CaughtUp exactly once");
    let (at, delivered_before) = caught_up[0];
    assert_eq!(
        at,
        7 + delivered_before as u64,
        "CaughtUp names the position after the events delivered before it"
    );

    // The earlier subscriptions get that event next; then, after one more append, every
    // subscription's next item is the new event: no second CaughtUp, no repeats.
    let latest = event_at(&*log, head - 1).await.expect("committed");
    for subscription in [&mut from_zero, &mut from_three] {
        assert_eq!(
            next_item(subscription, "live after late append").await,
            SubscriptionItem::Event(latest.clone())
        );
    }
    let outcome = append_ok(&*log, "t", ExpectedVersion::Any, vec![new_event(60, "T")]).await;
    let newest = event_at(&*log, outcome.first_position).await.expect("committed");
    for subscription in [&mut from_zero, &mut from_three, &mut late] {
        assert_eq!(
            next_item(subscription, "after more appends").await,
            SubscriptionItem::Event(newest.clone())
        );
    }
    drop((from_zero, from_three, late));
    finish(&*log).await;
}

/// A filtered subscription delivers only matching events and sends Checkpoint items
/// when it advances past events it filtered out, so a consumer can save its place.
pub async fn filtered_subscription_sends_checkpoints<L: EventLog>(log: Arc<L>) {
    // Method: store drop, drop, keep, drop events; subscribe with a "keep-" prefix and
    // expect exactly Event(2), Checkpoint(4), CaughtUp(4). Then live: a dropped event must
    // produce Checkpoint(5), a kept one Event(5) and nothing else.
    append_ok(
        &*log,
        "drop-1",
        ExpectedVersion::Any,
        vec![new_event(1, "T"), new_event(2, "T")],
    )
    .await;
    append_ok(&*log, "keep-1", ExpectedVersion::Any, vec![new_event(3, "T")]).await;
    append_ok(&*log, "drop-2", ExpectedVersion::Any, vec![new_event(4, "T")]).await;
    let filter = EventFilter {
        stream_id_prefixes: vec!["keep-".into()],
        event_types: vec![],
    };
    let mut subscription = open_subscription(&log, 0, filter.clone());
    let kept = event_at(&*log, 2).await.unwrap();
    assert_eq!(
        next_item(&mut subscription, "kept").await,
        SubscriptionItem::Event(kept)
    );
    assert_eq!(
        next_item(&mut subscription, "checkpoint").await,
        SubscriptionItem::Checkpoint(4)
    );
    assert_eq!(
        next_item(&mut subscription, "caught up").await,
        SubscriptionItem::CaughtUp(4)
    );

    append_ok(&*log, "drop-1", ExpectedVersion::Any, vec![new_event(5, "T")]).await;
    assert_eq!(
        next_item(&mut subscription, "live checkpoint").await,
        SubscriptionItem::Checkpoint(5)
    );
    append_ok(&*log, "keep-2", ExpectedVersion::Any, vec![new_event(6, "T")]).await;
    let kept = event_at(&*log, 5).await.unwrap();
    assert_eq!(
        next_item(&mut subscription, "live kept").await,
        SubscriptionItem::Event(kept)
    );

    // A filter that matches nothing still moves its checkpoint to the head.
    let mut nothing = open_subscription(
        &log,
        0,
        EventFilter {
            stream_id_prefixes: vec![],
            event_types: vec!["Nope".into()],
        },
    );
    assert_eq!(
        next_item(&mut nothing, "empty filter").await,
        SubscriptionItem::Checkpoint(6)
    );
    assert_eq!(
        next_item(&mut nothing, "empty filter").await,
        SubscriptionItem::CaughtUp(6)
    );
    drop((subscription, nothing));
    finish(&*log).await;
}

/// While a writer appends concurrently, subscribers (one unfiltered from 0, one filtered
/// from the middle) see every matching event exactly once, in position order.
pub async fn subscription_under_concurrent_appends_has_no_gaps_or_duplicates<L: EventLog>(log: Arc<L>) {
    // Method: run a writer (40 appends of 1..=4 events over 3 streams, yielding between
    // appends) concurrently with the two subscribers on the same task; when the writer is
    // done, each subscriber reads until it has every expected event and a CaughtUp, then
    // the delivered sequences are compared with read_all.
    let total: u64 = (0..40u64).map(|round| 1 + round % 4).sum();
    let filter = EventFilter {
        stream_id_prefixes: vec!["w-1".into()],
        event_types: vec!["Even".into()],
    };
    let writer = async {
        let mut n = 0u128;
        for round in 0..40u64 {
            let events = (0..1 + round % 4)
                .map(|k| {
                    n += 1;
                    new_event(n, if k % 2 == 0 { "Even" } else { "Odd" })
                })
                .collect();
            append_ok(&*log, &format!("w-{}", round % 3), ExpectedVersion::Any, events).await;
            tokio::task::yield_now().await;
        }
    };
    let mut unfiltered = open_subscription(&log, 0, EventFilter::default());
    let mut filtered = open_subscription(&log, 7, filter.clone());
    let collect_unfiltered = async {
        let mut positions = Vec::new();
        let mut caught_up = 0;
        while positions.len() < total as usize || caught_up == 0 {
            match next_item(&mut unfiltered, "unfiltered under load").await {
                SubscriptionItem::Event(event) => positions.push(event),
                SubscriptionItem::CaughtUp(_) => caught_up += 1,
                SubscriptionItem::Checkpoint(at) => panic!("unfiltered subscription sent Checkpoint({at})"),
            }
        }
        (positions, caught_up)
    };
    let ((), (delivered, caught_up)) = within_hang_guard(
        "writer and subscriber",
        futures::future::join(writer, collect_unfiltered),
    )
    .await;
    let all = read_all_events(&*log).await;
    assert_eq!(all.len() as u64, total);
    assert_eq!(
        delivered, all,
        "the unfiltered subscription delivers the log exactly, in order"
    );
    assert_eq!(caught_up, 1, "CaughtUp arrives once");

    let expected: Vec<RecordedEvent> = all
        .iter()
        .filter(|e| e.position >= 7 && filter.keeps(&e.stream_id, &e.event_type))
        .cloned()
        .collect();
    let mut got = Vec::new();
    let mut last_checkpoint = 7;
    loop {
        match next_item(&mut filtered, "filtered under load").await {
            SubscriptionItem::Event(event) => {
                assert!(event.position >= last_checkpoint, "no event below a checkpoint");
                got.push(event);
            }
            SubscriptionItem::Checkpoint(at) => {
                assert!(at > last_checkpoint, "checkpoints strictly increase");
                assert!(
                    expected.iter().filter(|e| e.position < at).all(|e| got.contains(e)),
                    "Checkpoint({at}) sent before every matching event below it"
                );
                last_checkpoint = at;
            }
            SubscriptionItem::CaughtUp(at) => {
                assert_eq!(at, total, "the filtered subscription catches up at the head");
                break;
            }
        }
    }
    assert_eq!(
        got, expected,
        "the filtered subscription delivers every match exactly once"
    );
    drop((unfiltered, filtered));
    finish(&*log).await;
}

/// A subscription delivers what was committed and then ends when the log closes.
pub async fn subscription_ends_when_the_log_closes<L: EventLog>(log: Arc<L>) {
    // Method: subscribe, read to CaughtUp, close the log, and expect the stream to end
    // (yield None) instead of waiting forever.
    append_ok(&*log, "s", ExpectedVersion::Any, vec![new_event(1, "T")]).await;
    assert_chain_intact(&*log).await;
    let mut subscription = open_subscription(&log, 0, EventFilter::default());
    assert!(matches!(
        next_item(&mut subscription, "event").await,
        SubscriptionItem::Event(_)
    ));
    assert_eq!(
        next_item(&mut subscription, "caught up").await,
        SubscriptionItem::CaughtUp(1)
    );
    within_hang_guard("close", log.close()).await.expect("close");
    let end = within_hang_guard("subscription end after close", subscription.next()).await;
    assert!(
        end.is_none() || matches!(end, Some(Err(ReadError::Closed))),
        "after close a subscription ends (or reports Closed), got {end:?}"
    );
}

/// close() finishes the appends already queued (each resolves, Ok or Closed, and the head
/// counts exactly the acknowledged ones), and afterwards every append fails with Closed.
pub async fn close_refuses_further_appends<L: EventLog>(log: Arc<L>) {
    // Method: start 10 appends and close concurrently, check each append's result and the
    // head, then try appends (valid and to a new stream) after close.
    append_ok(&*log, "s", ExpectedVersion::Any, vec![new_event(1, "T")]).await;
    let appends = futures::future::join_all((0..10u128).map(|n| {
        log.append(append_request(
            &format!("q-{n}"),
            ExpectedVersion::Any,
            vec![new_event(10 + n, "T")],
        ))
    }));
    let (results, closed) =
        within_hang_guard("appends racing close", futures::future::join(appends, log.close())).await;
    closed.expect("close");
    let mut acknowledged = 1u64;
    for result in results {
        match result {
            Ok(outcome) => {
                assert!(!outcome.deduplicated);
                acknowledged += 1;
            }
            Err(AppendError::Closed) => {}
            Err(error) => panic!("an append racing close must succeed or report Closed, got {error}"),
        }
    }
    assert_eq!(
        log.head().next_position,
        acknowledged,
        "the head counts exactly the acknowledged appends"
    );
    for request in [
        append_request("s", ExpectedVersion::Any, vec![new_event(100, "T")]),
        append_request("new", ExpectedVersion::NoStream, vec![new_event(101, "T")]),
    ] {
        let result = within_hang_guard("append after close", log.append(request)).await;
        assert!(
            matches!(result, Err(AppendError::Closed)),
            "append after close must fail with Closed, got {result:?}"
        );
    }
    assert_eq!(log.head().next_position, acknowledged, "nothing is written after close");
}
