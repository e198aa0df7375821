//! Log reads as gRPC response streams. Each stream pulls one page from the log when the
//! client has taken the previous one, so a slow reader holds only a page in memory and
//! never holds up the writer; when the client goes away tonic drops the stream and the
//! reading stops with it.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use antt_log::{
    subscribe, Direction, EventFilter, EventLog, ReadAllRequest, ReadError, ReadStreamRequest, RecordedEvent,
    SubscriptionItem,
};
use antt_proto::v1 as pb;
use futures::{Stream, StreamExt};
use tonic::Status;
use tracing::{Instrument, Span};

use crate::convert::{self, Limit};
use crate::shutdown::ShutdownSignal;
use crate::status;

/// NOT_FOUND unless the log holds a stream `stream_id`: for the reads that must tell a
/// missing stream from an empty answer.
pub async fn ensure_stream_exists<L: EventLog>(log: &L, stream_id: &str) -> Result<(), Status> {
    match log.stream_info(stream_id).await.map_err(status::read_error)? {
        Some(_) => Ok(()),
        None => Err(status::stream_not_found(stream_id)),
    }
}

/// What a server-streaming RPC returns.
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Counts what a read delivered, for its span.
#[derive(Default)]
struct Progress {
    events: u64,
    last_position: Option<u64>,
}

impl Progress {
    fn saw(&mut self, event: &RecordedEvent) {
        self.events += 1;
        self.last_position = Some(event.position);
    }

    fn record(&self, span: &Span) {
        span.record("events_read", self.events);
        if let Some(position) = self.last_position {
            span.record("last_position", position);
        }
    }
}

/// One stream, page by page, forwards or backwards.
pub struct StreamPages<L> {
    log: Arc<L>,
    /// The next page to read; `None` once the end (or the limit) is reached.
    next: Option<ReadStreamRequest>,
    remaining: Limit,
    buffered: VecDeque<RecordedEvent>,
}

impl<L: EventLog> StreamPages<L> {
    /// Reads the first page, so that a missing stream or a storage failure is the call's
    /// status rather than an error inside an opened stream.
    pub async fn open(log: Arc<L>, request: ReadStreamRequest, limit: Limit) -> Result<Self, ReadError> {
        let mut pages = StreamPages {
            log,
            next: Some(request),
            remaining: limit,
            buffered: VecDeque::new(),
        };
        pages.fetch().await?;
        Ok(pages)
    }

    /// Whether the first page came back empty.
    pub fn is_empty(&self) -> bool {
        self.buffered.is_empty()
    }

    async fn fetch(&mut self) -> Result<(), ReadError> {
        let Some(mut request) = self.next.take() else {
            return Ok(());
        };
        let page_size = convert::page_size(self.remaining);
        request.max_count = page_size;
        let mut events = self.log.read_stream(request.clone()).await?;
        // The log returns a short page only at the end of the stream.
        let more_may_follow = events.len() >= page_size;
        take_within(&mut events, &mut self.remaining);
        if more_may_follow && self.remaining != Some(0) {
            if let Some(last) = events.last() {
                let from_version = match request.direction {
                    Direction::Forwards => last.stream_version.checked_add(1),
                    Direction::Backwards => last.stream_version.checked_sub(1),
                };
                self.next = from_version.map(|version| ReadStreamRequest {
                    from_version: Some(version),
                    ..request
                });
            }
        }
        self.buffered.extend(events);
        Ok(())
    }

    /// The rest of the read as a response stream, recording its progress in `span`.
    pub fn into_response(self, span: Span) -> ResponseStream<pb::RecordedEvent> {
        pages_response(self, span)
    }
}

impl<L: EventLog> Pages for StreamPages<L> {
    async fn next_event(&mut self) -> Option<Result<RecordedEvent, ReadError>> {
        loop {
            if let Some(event) = self.buffered.pop_front() {
                return Some(Ok(event));
            }
            self.next.as_ref()?;
            if let Err(error) = self.fetch().await {
                self.next = None;
                return Some(Err(error));
            }
        }
    }
}

/// The whole log from a position, filtered, up to the head at the time of the call.
pub struct LogPages<L> {
    log: Arc<L>,
    filter: EventFilter,
    next_position: u64,
    /// The committed head when the call arrived: the read stops there, so that a busy
    /// log cannot keep one call running forever (that is what `Subscribe` is for).
    end_position: u64,
    remaining: Limit,
    buffered: VecDeque<RecordedEvent>,
    done: bool,
}

impl<L: EventLog> LogPages<L> {
    pub fn new(log: Arc<L>, from_position: u64, filter: EventFilter, limit: Limit) -> Self {
        let end_position = log.head().next_position;
        LogPages {
            log,
            filter,
            next_position: from_position,
            end_position,
            remaining: limit,
            buffered: VecDeque::new(),
            done: limit == Some(0),
        }
    }

    async fn fetch(&mut self) -> Result<(), ReadError> {
        if self.next_position >= self.end_position {
            self.done = true;
            return Ok(());
        }
        let page = self
            .log
            .read_all(ReadAllRequest {
                from_position: self.next_position,
                max_count: convert::page_size(self.remaining),
                filter: self.filter.clone(),
            })
            .await?;
        let mut events = page.events;
        let end_position = self.end_position;
        if events.iter().any(|event| event.position >= end_position) {
            events.retain(|event| event.position < end_position);
            self.done = true;
        }
        take_within(&mut events, &mut self.remaining);
        if self.remaining == Some(0) {
            self.done = true;
        }
        // A page that does not move forward would loop forever; the log guarantees
        // progress, but a reader must not depend on it to terminate.
        if page.next_position <= self.next_position {
            self.done = true;
        }
        self.next_position = page.next_position;
        self.buffered.extend(events);
        Ok(())
    }

    /// The read as a response stream, recording its progress in `span`.
    pub fn into_response(self, span: Span) -> ResponseStream<pb::RecordedEvent> {
        pages_response(self, span)
    }
}

impl<L: EventLog> Pages for LogPages<L> {
    async fn next_event(&mut self) -> Option<Result<RecordedEvent, ReadError>> {
        loop {
            if let Some(event) = self.buffered.pop_front() {
                return Some(Ok(event));
            }
            if self.done {
                return None;
            }
            if let Err(error) = self.fetch().await {
                self.done = true;
                return Some(Err(error));
            }
        }
    }
}

/// A read that yields the log's events one by one, fetching a page when it runs out.
trait Pages: Send + 'static {
    /// The next event, `None` at the end; after an error, the end.
    fn next_event(&mut self) -> impl Future<Output = Option<Result<RecordedEvent, ReadError>>> + Send;
}

/// `pages` as a response stream, recording its progress in `span`.
fn pages_response(pages: impl Pages, span: Span) -> ResponseStream<pb::RecordedEvent> {
    let state = (pages, Progress::default(), span);
    Box::pin(futures::stream::unfold(
        state,
        |(mut pages, mut progress, span)| async move {
            let item = next_recorded(pages.next_event().instrument(span.clone()).await, &mut progress, &span)?;
            Some((item, (pages, progress, span)))
        },
    ))
}

fn next_recorded(
    item: Option<Result<RecordedEvent, ReadError>>,
    progress: &mut Progress,
    span: &Span,
) -> Option<Result<pb::RecordedEvent, Status>> {
    match item {
        Some(Ok(event)) => {
            progress.saw(&event);
            Some(Ok(convert::recorded_event_to_proto(event)))
        }
        Some(Err(error)) => {
            progress.record(span);
            Some(Err(span.in_scope(|| status::read_error(error))))
        }
        None => {
            progress.record(span);
            None
        }
    }
}

/// Drops events beyond the limit and counts the rest against it.
fn take_within(events: &mut Vec<RecordedEvent>, remaining: &mut Limit) {
    if let Some(remaining) = remaining {
        let keep = usize::try_from(*remaining).map_or(events.len(), |r| r.min(events.len()));
        events.truncate(keep);
        *remaining -= keep as u64;
    }
}

struct Subscription {
    items: Pin<Box<dyn Stream<Item = Result<SubscriptionItem, ReadError>> + Send>>,
    shutdown: ShutdownSignal,
    /// Where the client should resubscribe if this subscription is cut off.
    resume_position: u64,
    finished: bool,
    span: Span,
    /// Counts the subscription in `antt.subscribers` while it lives.
    _counted: crate::telemetry::Subscriber,
    /// Its place among `limits::SUBSCRIBERS_MAX`, given back when tonic drops the stream.
    _place: tokio::sync::OwnedSemaphorePermit,
}

/// A catch-up-then-live subscription that ends, with UNAVAILABLE and the position to
/// resume from, when the server stops. It holds `place` for as long as it lives.
pub fn subscription<L: EventLog>(
    log: Arc<L>,
    from_position: u64,
    filter: EventFilter,
    shutdown: ShutdownSignal,
    span: Span,
    place: tokio::sync::OwnedSemaphorePermit,
) -> ResponseStream<pb::SubscribeResponse> {
    let state = Subscription {
        items: Box::pin(subscribe(log, from_position, filter)),
        shutdown,
        resume_position: from_position,
        finished: false,
        span,
        _counted: crate::telemetry::Subscriber::start(),
        _place: place,
    };
    Box::pin(futures::stream::unfold(state, |mut state| async move {
        if state.finished {
            return None;
        }
        let span = state.span.clone();
        let item = next_subscription_item(&mut state).instrument(span).await;
        Some((item, state))
    }))
}

async fn next_subscription_item(state: &mut Subscription) -> Result<pb::SubscribeResponse, Status> {
    let item = tokio::select! {
        // A subscription never ends on its own; without this the graceful shutdown
        // would wait for it until the grace period runs out.
        biased;
        () = state.shutdown.stopped() => None,
        item = state.items.next() => item,
    };
    match item {
        Some(Ok(item)) => {
            state.resume_position = match &item {
                SubscriptionItem::Event(event) => event.position.saturating_add(1),
                SubscriptionItem::Checkpoint(position) | SubscriptionItem::CaughtUp(position) => *position,
            };
            state.span.record("resume_position", state.resume_position);
            Ok(convert::subscription_item_to_proto(item))
        }
        Some(Err(error)) => {
            state.finished = true;
            Err(status::read_error(error))
        }
        // The log closed under the subscription: the server is stopping too.
        None => {
            state.finished = true;
            tracing::debug!(
                resume_position = state.resume_position,
                "subscription ended by shutdown"
            );
            Err(status::subscription_interrupted(state.resume_position))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(position: u64) -> RecordedEvent {
        RecordedEvent {
            position,
            stream_id: "s".into(),
            stream_version: position,
            event_id: uuid::Uuid::from_u128(u128::from(position) + 1),
            event_type: "t".into(),
            schema_version: 1,
            recorded_at: antt_log::Timestamp(0),
            effective_at: antt_log::Timestamp(0),
            actor: String::new(),
            correlation_id: None,
            causation_id: None,
            metadata: Default::default(),
            content_type: String::new(),
            payload: Vec::new(),
            hash: [0; 32],
        }
    }

    #[test]
    fn take_within_counts_down_the_limit() {
        let mut events: Vec<_> = (0..5).map(event).collect();
        let mut remaining = Some(3);
        take_within(&mut events, &mut remaining);
        assert_eq!(events.len(), 3);
        assert_eq!(remaining, Some(0));

        let mut events: Vec<_> = (0..5).map(event).collect();
        let mut unlimited = None;
        take_within(&mut events, &mut unlimited);
        assert_eq!(events.len(), 5);
        assert_eq!(unlimited, None);
    }
}
