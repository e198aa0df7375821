//! Model-based property test: random sequences of appends (random streams, expectations,
//! batch sizes, identical retries and conflicting reuse of earlier event ids) interleaved
//! with reads, run against SledLog and against a plain in-memory model of the contract.
//! Every outcome and every read must agree with the model, and so must the whole state
//! after a close and reopen.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use antt_log::conformance::{assert_chain_intact, read_all_events};
use antt_log::sled_log::{SledConfig, SledLog, SyncMode};
use antt_log::{
    codec, subscribe, validate, AppendError, AppendOutcome, AppendRequest, Direction, EventFilter, EventLog,
    ExpectedVersion, ListStreamsRequest, LogHead, NewEvent, ReadAllRequest, ReadStreamRequest, RecordedEvent,
    StreamInfo, SubscriptionItem, Timestamp,
};
use futures::StreamExt;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed};
use uuid::Uuid;

mod support;

const STREAMS: [&str; 3] = ["s0", "s1", "s10"];
const TYPES: [&str; 3] = ["A", "B", "C"];

#[derive(Clone, Debug)]
enum ExpectedSpec {
    Any,
    NoStream,
    StreamExists,
    /// Exact(current version + offset), so 0 is the right version.
    ExactOffset(i8),
}

#[derive(Clone, Debug)]
enum EventSpec {
    Fresh {
        event_type: u8,
        payload_len: u8,
        effective: bool,
    },
    /// An event sent earlier (stored or refused), sent again unchanged.
    ReuseSame(Index),
    /// An event sent earlier, same id, different payload.
    ReuseChanged(Index),
}

#[derive(Clone, Debug)]
enum Op {
    Append {
        stream: u8,
        expected: ExpectedSpec,
        events: Vec<EventSpec>,
    },
    /// Resend an earlier request verbatim, or with another expectation.
    Resend {
        pick: Index,
        expected: Option<ExpectedSpec>,
    },
    ReadStream {
        stream: u8,
        from: Option<u8>,
        backwards: bool,
        max_count: u8,
    },
    ReadAll {
        from: u8,
        max_count: u8,
        prefixes: Vec<u8>,
        types: Vec<u8>,
    },
    Lookup {
        position: u8,
        pick: Index,
    },
    Info {
        stream: u8,
    },
}

fn expected_spec() -> impl Strategy<Value = ExpectedSpec> {
    prop_oneof![
        2 => Just(ExpectedSpec::Any),
        1 => Just(ExpectedSpec::NoStream),
        1 => Just(ExpectedSpec::StreamExists),
        4 => (-2i8..=2).prop_map(ExpectedSpec::ExactOffset),
    ]
}

fn event_spec() -> impl Strategy<Value = EventSpec> {
    prop_oneof![
        8 => (0u8..3, 0u8..24, any::<bool>()).prop_map(|(event_type, payload_len, effective)| EventSpec::Fresh {
            event_type,
            payload_len,
            effective
        }),
        1 => any::<Index>().prop_map(EventSpec::ReuseSame),
        1 => any::<Index>().prop_map(EventSpec::ReuseChanged),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (0u8..3, expected_spec(), proptest::collection::vec(event_spec(), 1..=4))
            .prop_map(|(stream, expected, events)| Op::Append { stream, expected, events }),
        3 => (any::<Index>(), proptest::option::of(expected_spec()))
            .prop_map(|(pick, expected)| Op::Resend { pick, expected }),
        1 => (0u8..3, proptest::option::of(0u8..12), any::<bool>(), 0u8..6).prop_map(
            |(stream, from, backwards, max_count)| Op::ReadStream { stream, from, backwards, max_count }
        ),
        1 => (0u8..40, 0u8..6, proptest::collection::vec(0u8..4, 0..3), proptest::collection::vec(0u8..3, 0..3))
            .prop_map(|(from, max_count, prefixes, types)| Op::ReadAll { from, max_count, prefixes, types }),
        1 => (0u8..40, any::<Index>()).prop_map(|(position, pick)| Op::Lookup { position, pick }),
        1 => (0u8..3).prop_map(|stream| Op::Info { stream }),
    ]
}

/// One stored append, as the model remembers it.
#[derive(Clone, Debug)]
struct Batch {
    stream_id: String,
    events: Vec<NewEvent>,
    outcome: AppendOutcome,
}

/// What the contract says the log holds.
#[derive(Default)]
struct Model {
    events: Vec<RecordedEvent>,
    batches: Vec<Batch>,
    /// Index into `batches` of the batch holding each position.
    batch_of_position: Vec<usize>,
    position_of_id: HashMap<Uuid, u64>,
    /// Positions of each stream's events.
    streams: BTreeMap<String, Vec<u64>>,
}

/// What an append must return according to the model.
#[derive(Debug)]
enum Verdict {
    Invalid(Vec<antt_log::Violation>),
    Deduplicated(AppendOutcome),
    /// A reused id; `conflict` is set when the expectation also fails, in which case a
    /// VersionConflict with that actual version is an acceptable answer too (the contract
    /// does not order the two checks).
    Reused {
        conflict: Option<Option<u64>>,
    },
    Conflict(Option<u64>),
    Stored,
}

impl Model {
    fn head(&self) -> LogHead {
        LogHead {
            next_position: self.events.len() as u64,
            last_hash: self.events.last().map_or([0; 32], |e| e.hash),
        }
    }

    fn version(&self, stream_id: &str) -> Option<u64> {
        self.streams.get(stream_id).map(|positions| positions.len() as u64 - 1)
    }

    fn verdict(&self, request: &AppendRequest) -> Verdict {
        let violations = validate::append_violations(request);
        if !violations.is_empty() {
            return Verdict::Invalid(violations);
        }
        let actual = self.version(&request.stream_id);
        let conflict = (!request.expected.admits(actual)).then_some(actual);
        let known: Vec<u64> = request
            .events
            .iter()
            .filter_map(|e| self.position_of_id.get(&e.event_id).copied())
            .collect();
        if known.is_empty() {
            return match conflict {
                Some(actual) => Verdict::Conflict(actual),
                None => Verdict::Stored,
            };
        }
        let batch = &self.batches[self.batch_of_position[known[0] as usize]];
        let repeats = batch.stream_id == request.stream_id
            && batch.events.len() == request.events.len()
            && request.events.iter().enumerate().all(|(offset, event)| {
                let stored = &self.events[batch.outcome.first_position as usize + offset];
                stored.event_id == event.event_id && event.matches_recorded(stored)
            });
        if repeats {
            Verdict::Deduplicated(AppendOutcome {
                deduplicated: true,
                ..batch.outcome
            })
        } else {
            Verdict::Reused { conflict }
        }
    }

    fn store(&mut self, request: &AppendRequest, outcome: AppendOutcome) {
        let batch_index = self.batches.len();
        let first_version = self.version(&request.stream_id).map_or(0, |v| v + 1);
        for (version, event) in (first_version..).zip(&request.events) {
            let position = self.events.len() as u64;
            let previous_hash = self.head().last_hash;
            let mut recorded = RecordedEvent {
                position,
                stream_id: request.stream_id.clone(),
                stream_version: version,
                event_id: event.event_id,
                event_type: event.event_type.clone(),
                schema_version: event.schema_version,
                recorded_at: outcome.recorded_at,
                effective_at: event.effective_at.unwrap_or(outcome.recorded_at),
                actor: event.actor.clone(),
                correlation_id: event.correlation_id,
                causation_id: event.causation_id,
                metadata: event.metadata.clone(),
                content_type: event.content_type.clone(),
                payload: event.payload.clone(),
                hash: [0; 32],
            };
            recorded.hash = codec::chain_hash(&previous_hash, &codec::canonical_bytes(&recorded));
            self.events.push(recorded);
            self.batch_of_position.push(batch_index);
            self.position_of_id.insert(event.event_id, position);
            self.streams
                .entry(request.stream_id.clone())
                .or_default()
                .push(position);
        }
        self.batches.push(Batch {
            stream_id: request.stream_id.clone(),
            events: request.events.clone(),
            outcome,
        });
    }

    fn stream_info(&self, stream_id: &str) -> Option<StreamInfo> {
        let positions = self.streams.get(stream_id)?;
        let first = &self.events[*positions.first()? as usize];
        let last = &self.events[*positions.last()? as usize];
        Some(StreamInfo {
            stream_id: stream_id.to_string(),
            version: last.stream_version,
            first_position: first.position,
            last_position: last.position,
            first_recorded_at: first.recorded_at,
            last_recorded_at: last.recorded_at,
        })
    }

    fn stream_events(&self, stream_id: &str) -> Vec<RecordedEvent> {
        self.streams
            .get(stream_id)
            .map(|positions| positions.iter().map(|p| self.events[*p as usize].clone()).collect())
            .unwrap_or_default()
    }
}

/// Turns specs into concrete requests, remembering every event and request sent.
struct Driver {
    next_fresh: u128,
    sent_events: Vec<NewEvent>,
    sent_requests: Vec<AppendRequest>,
}

impl Driver {
    fn expected(&self, spec: &ExpectedSpec, model: &Model, stream_id: &str) -> ExpectedVersion {
        match spec {
            ExpectedSpec::Any => ExpectedVersion::Any,
            ExpectedSpec::NoStream => ExpectedVersion::NoStream,
            ExpectedSpec::StreamExists => ExpectedVersion::StreamExists,
            ExpectedSpec::ExactOffset(offset) => {
                let base = model.version(stream_id).map_or(-1, |v| v as i64);
                ExpectedVersion::Exact((base + i64::from(*offset)).max(0) as u64)
            }
        }
    }

    fn event(&mut self, spec: &EventSpec) -> NewEvent {
        let earlier =
            |pick: &Index, events: &[NewEvent]| (!events.is_empty()).then(|| events[pick.index(events.len())].clone());
        match spec {
            EventSpec::ReuseSame(pick) => {
                if let Some(event) = earlier(pick, &self.sent_events) {
                    return event;
                }
            }
            EventSpec::ReuseChanged(pick) => {
                if let Some(mut event) = earlier(pick, &self.sent_events) {
                    event.payload.push(0xFF);
                    return event;
                }
            }
            EventSpec::Fresh { .. } => {}
        }
        let (event_type, payload_len, effective) = match spec {
            EventSpec::Fresh {
                event_type,
                payload_len,
                effective,
            } => (*event_type, *payload_len, *effective),
            _ => (0, 1, false),
        };
        self.next_fresh += 1;
        let n = self.next_fresh;
        let mut event = NewEvent::new(
            Uuid::from_u128(0x5EED_0000_0000_0000 + n),
            TYPES[event_type as usize],
            (0..payload_len)
                .map(|i| (n as u8).wrapping_mul(31).wrapping_add(i))
                .collect::<Vec<u8>>(),
        );
        if effective {
            event.effective_at = Some(Timestamp(1_000_000 * n as i64));
        }
        if n.is_multiple_of(3) {
            event.metadata.insert("n".into(), n.to_string());
            event.actor = format!("actor-{}", n % 2);
        }
        event
    }
}

fn filter(prefixes: &[u8], types: &[u8]) -> EventFilter {
    const PREFIXES: [&str; 4] = ["s", "s1", "s0", "x"];
    EventFilter {
        stream_id_prefixes: prefixes.iter().map(|p| PREFIXES[*p as usize].to_string()).collect(),
        event_types: types.iter().map(|t| TYPES[*t as usize].to_string()).collect(),
    }
}

async fn check_append(log: &SledLog, model: &mut Model, request: AppendRequest) {
    let verdict = model.verdict(&request);
    let head_before = log.head();
    let result = log.append(request.clone()).await;
    let what = format!("append {request:?}: model says {verdict:?}, log says {result:?}");
    match (&verdict, result) {
        (Verdict::Invalid(violations), Err(AppendError::Invalid(got))) => assert_eq!(&got, violations, "{what}"),
        (Verdict::Deduplicated(outcome), Ok(got)) => assert_eq!(&got, outcome, "{what}"),
        (
            Verdict::Conflict(actual),
            Err(AppendError::VersionConflict {
                stream_id,
                expected,
                actual: got,
            }),
        ) => {
            assert_eq!(
                (stream_id.as_str(), expected, got),
                (request.stream_id.as_str(), request.expected, *actual),
                "{what}"
            );
        }
        (Verdict::Reused { .. }, Err(AppendError::EventIdReused { event_id, position })) => {
            assert!(
                request.events.iter().any(|e| e.event_id == event_id),
                "{what}: names an id of the request"
            );
            assert_eq!(
                model.position_of_id.get(&event_id),
                Some(&position),
                "{what}: names its stored position"
            );
        }
        (Verdict::Reused { conflict: Some(actual) }, Err(AppendError::VersionConflict { actual: got, .. })) => {
            assert_eq!(got, *actual, "{what}");
        }
        (Verdict::Stored, Ok(outcome)) => {
            let next = model.events.len() as u64;
            let count = request.events.len() as u64;
            let first_version = model.version(&request.stream_id).map_or(0, |v| v + 1);
            assert_eq!(
                (
                    outcome.first_position,
                    outcome.last_position,
                    outcome.stream_version,
                    outcome.deduplicated
                ),
                (next, next + count - 1, first_version + count - 1, false),
                "{what}"
            );
            if let Some(last) = model.events.last() {
                assert!(
                    outcome.recorded_at >= last.recorded_at,
                    "{what}: recorded_at never decreases"
                );
            }
            model.store(&request, outcome);
        }
        _ => panic!("{what}: the log disagrees with the model"),
    }
    if !matches!(verdict, Verdict::Stored) {
        assert_eq!(
            log.head(),
            head_before,
            "a refused or deduplicated append writes nothing"
        );
    }
    assert_eq!(log.head(), model.head(), "head (position and hash) after {request:?}");
}

async fn check_read_all(log: &SledLog, model: &Model, from: u64, max_count: usize, filter: EventFilter) {
    let page = log
        .read_all(ReadAllRequest {
            from_position: from,
            max_count,
            filter: filter.clone(),
        })
        .await
        .expect("read_all");
    let head = model.events.len() as u64;
    let matching: Vec<&RecordedEvent> = model
        .events
        .iter()
        .filter(|e| e.position >= from && filter.keeps(&e.stream_id, &e.event_type))
        .collect();
    let take = if max_count == 0 { usize::MAX } else { max_count };
    let expected: Vec<RecordedEvent> = matching.iter().take(take).map(|e| (*e).clone()).collect();
    let what = format!("read_all from {from} max {max_count} {filter:?}");
    assert_eq!(page.events, expected, "{what}");
    assert_eq!(page.head_position, head, "{what}");
    if from < head {
        if expected.len() < take {
            assert_eq!(page.next_position, head, "{what}: next_position");
        } else {
            let last = expected.last().map_or(from, |e| e.position);
            let next_match = matching.get(take).map_or(head, |e| e.position);
            assert!(
                page.next_position > last && page.next_position <= next_match,
                "{what}: next_position {}",
                page.next_position
            );
        }
    }
}

async fn check_read_stream(
    log: &SledLog,
    model: &Model,
    stream_id: &str,
    from: Option<u64>,
    direction: Direction,
    max_count: usize,
) {
    let events = model.stream_events(stream_id);
    let len = events.len() as u64;
    let take = if max_count == 0 { usize::MAX } else { max_count };
    let expected: Vec<RecordedEvent> = match direction {
        Direction::Forwards => events
            .iter()
            .skip(from.unwrap_or(0) as usize)
            .take(take)
            .cloned()
            .collect(),
        Direction::Backwards => {
            let Some(start) = from.or(len.checked_sub(1)) else {
                assert!(len == 0);
                return check_empty_backwards(log, stream_id, max_count).await;
            };
            if start >= len {
                // Backwards from beyond the end is not pinned down by the contract.
                return;
            }
            events[..=start as usize].iter().rev().take(take).cloned().collect()
        }
    };
    let got = log
        .read_stream(ReadStreamRequest {
            stream_id: stream_id.to_string(),
            from_version: from,
            direction,
            max_count,
        })
        .await
        .expect("read_stream");
    assert_eq!(
        got, expected,
        "read_stream {stream_id} from {from:?} {direction:?} max {max_count}"
    );
}

async fn check_empty_backwards(log: &SledLog, stream_id: &str, max_count: usize) {
    let got = log
        .read_stream(ReadStreamRequest {
            stream_id: stream_id.to_string(),
            from_version: None,
            direction: Direction::Backwards,
            max_count,
        })
        .await
        .expect("read_stream");
    assert!(got.is_empty(), "an unknown stream reads as empty");
}

/// Compares everything a reader can see with the model.
async fn check_whole_state(log: &Arc<SledLog>, model: &Model) {
    assert_eq!(read_all_events(&**log).await, model.events, "read_all of the whole log");
    assert_chain_intact(&**log).await;
    assert_eq!(log.head(), model.head());
    for stream_id in STREAMS {
        check_read_stream(log, model, stream_id, None, Direction::Forwards, 0).await;
        check_read_stream(log, model, stream_id, None, Direction::Backwards, 0).await;
        assert_eq!(
            log.stream_info(stream_id).await.expect("stream_info"),
            model.stream_info(stream_id),
            "stream_info {stream_id}"
        );
    }
    let model_infos: Vec<StreamInfo> = model.streams.keys().filter_map(|id| model.stream_info(id)).collect();
    let listed = log
        .list_streams(ListStreamsRequest {
            prefix: String::new(),
            after: None,
            page_size: 0,
        })
        .await
        .expect("list_streams");
    assert_eq!(listed, model_infos, "list_streams");
    let mut after: Option<String> = None;
    let mut paged = Vec::new();
    loop {
        let page = log
            .list_streams(ListStreamsRequest {
                prefix: "s1".into(),
                after: after.clone(),
                page_size: 1,
            })
            .await
            .expect("list_streams page");
        let Some(last) = page.last() else { break };
        after = Some(last.stream_id.clone());
        paged.extend(page);
    }
    let expected: Vec<StreamInfo> = model_infos
        .into_iter()
        .filter(|i| i.stream_id.starts_with("s1"))
        .collect();
    assert_eq!(paged, expected, "list_streams s1 one at a time");

    let mut subscription = Box::pin(subscribe(Arc::clone(log), 0, EventFilter::default()));
    let mut delivered = Vec::new();
    loop {
        match subscription
            .next()
            .await
            .expect("subscription ended")
            .expect("subscription item")
        {
            SubscriptionItem::Event(event) => delivered.push(event),
            SubscriptionItem::CaughtUp(at) => {
                assert_eq!(at, model.events.len() as u64, "CaughtUp at the head");
                break;
            }
            SubscriptionItem::Checkpoint(at) => panic!("unfiltered subscription sent Checkpoint({at})"),
        }
    }
    assert_eq!(delivered, model.events, "subscription catch-up");
}

fn open(dir: &std::path::Path) -> Arc<SledLog> {
    let mut config = SledConfig::new(dir);
    config.sync_mode = SyncMode::Flush;
    Arc::new(support::reopen(config).expect("open the sled log"))
}

fn run_case(ops: Vec<Op>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut model = Model::default();
    let log = open(dir.path());
    runtime.block_on(async {
        let mut driver = Driver {
            next_fresh: 0,
            sent_events: Vec::new(),
            sent_requests: Vec::new(),
        };
        for op in &ops {
            match op {
                Op::Append {
                    stream,
                    expected,
                    events,
                } => {
                    let stream_id = STREAMS[*stream as usize];
                    let expected = driver.expected(expected, &model, stream_id);
                    let events: Vec<NewEvent> = events.iter().map(|spec| driver.event(spec)).collect();
                    driver.sent_events.extend(events.iter().cloned());
                    let request = AppendRequest {
                        stream_id: stream_id.to_string(),
                        expected,
                        events,
                    };
                    driver.sent_requests.push(request.clone());
                    check_append(&log, &mut model, request).await;
                }
                Op::Resend { pick, expected } => {
                    if driver.sent_requests.is_empty() {
                        continue;
                    }
                    let mut request = driver.sent_requests[pick.index(driver.sent_requests.len())].clone();
                    if let Some(spec) = expected {
                        request.expected = driver.expected(spec, &model, &request.stream_id);
                    }
                    check_append(&log, &mut model, request).await;
                }
                Op::ReadStream {
                    stream,
                    from,
                    backwards,
                    max_count,
                } => {
                    let direction = if *backwards {
                        Direction::Backwards
                    } else {
                        Direction::Forwards
                    };
                    let from = from.map(u64::from);
                    check_read_stream(
                        &log,
                        &model,
                        STREAMS[*stream as usize],
                        from,
                        direction,
                        *max_count as usize,
                    )
                    .await;
                }
                Op::ReadAll {
                    from,
                    max_count,
                    prefixes,
                    types,
                } => {
                    check_read_all(
                        &log,
                        &model,
                        u64::from(*from),
                        *max_count as usize,
                        filter(prefixes, types),
                    )
                    .await;
                }
                Op::Lookup { position, pick } => {
                    let position = u64::from(*position);
                    assert_eq!(
                        log.event_at(position).await.expect("event_at"),
                        model.events.get(position as usize).cloned(),
                        "event_at {position}"
                    );
                    if !driver.sent_events.is_empty() {
                        let id = driver.sent_events[pick.index(driver.sent_events.len())].event_id;
                        let expected = model.position_of_id.get(&id).map(|p| model.events[*p as usize].clone());
                        assert_eq!(
                            log.event_by_id(id).await.expect("event_by_id"),
                            expected,
                            "event_by_id {id}"
                        );
                    }
                }
                Op::Info { stream } => {
                    let stream_id = STREAMS[*stream as usize];
                    assert_eq!(
                        log.stream_info(stream_id).await.expect("stream_info"),
                        model.stream_info(stream_id),
                        "stream_info {stream_id}"
                    );
                }
            }
        }
        check_whole_state(&log, &model).await;
        log.close().await.expect("close");
    });
    drop(log);

    let reopened = open(dir.path());
    runtime.block_on(async {
        check_whole_state(&reopened, &model).await;
        // Idempotency survives a reopen: every stored batch, resent, is deduplicated.
        for batch in model.batches.clone() {
            let request = AppendRequest {
                stream_id: batch.stream_id,
                expected: ExpectedVersion::Any,
                events: batch.events,
            };
            check_append(&reopened, &mut model, request).await;
        }
        // The reopened log keeps appending on the same chain.
        let event = NewEvent::new(Uuid::from_u128(0xF1_0000), "A", b"after reopen".to_vec());
        let request = AppendRequest {
            stream_id: "s0".into(),
            expected: ExpectedVersion::Any,
            events: vec![event],
        };
        check_append(&reopened, &mut model, request).await;
        assert_chain_intact(&*reopened).await;
        reopened.close().await.expect("close");
    });
}

proptest! {
    #![proptest_config(Config {
        cases: 64,
        rng_seed: RngSeed::Fixed(0x00A7_7A77),
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    })]

    #[test]
    fn sled_log_agrees_with_the_model(ops in proptest::collection::vec(op(), 1..=60)) {
        // Goal: for any sequence of appends (random streams, expectations, batch sizes,
        // identical retries, conflicting id reuse) and reads, SledLog answers exactly as
        // the in-memory model of the contract does, also after close and reopen.
        // Method: interpret each generated op against the model first (its verdict is
        // the expected answer), then against the log, and compare; at the end compare
        // every read path, a catch-up subscription, and the reopened log with the model.
        run_case(ops);
    }
}
