//! Catch-up-then-live subscriptions, written once over any [`EventLog`].
//!
//! A subscription reads committed pages from the store until it reaches the head, then
//! waits for the head to move. The writer only bumps a watch value, so a slow or stalled
//! subscriber costs the writer nothing: it simply catches up from the store later.
//! Because every event comes from the store in position order and `next` only moves
//! forwards, there are no gaps and no duplicates.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::Stream;
use tokio::sync::watch;

use crate::error::ReadError;
use crate::event::{EventFilter, ReadAllRequest, RecordedEvent};
use crate::limits;
use crate::log::EventLog;

/// What a subscription yields.
// Events are nearly every item; boxing them to shrink the rare markers would cost an
// allocation per delivered event.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscriptionItem {
    /// A committed event that passes the filter.
    Event(RecordedEvent),
    /// Every position before this one was delivered or filtered out. Sent for filtered
    /// subscriptions, so a consumer can store its checkpoint even when nothing matches.
    Checkpoint(u64),
    /// Sent once, when the subscription first reaches the committed head (at this position).
    CaughtUp(u64),
}

struct State<L> {
    log: Arc<L>,
    filter: EventFilter,
    next_position: u64,
    head: watch::Receiver<u64>,
    pending: VecDeque<SubscriptionItem>,
    caught_up_sent: bool,
    log_closed: bool,
    finished: bool,
}

/// Subscribes from `from_position` (inclusive). The stream ends after an error or when
/// the log closes.
pub fn subscribe<L: EventLog>(
    log: Arc<L>,
    from_position: u64,
    filter: EventFilter,
) -> impl Stream<Item = Result<SubscriptionItem, ReadError>> + Send + 'static {
    let head = log.watch_head();
    let state = State {
        log,
        filter,
        next_position: from_position,
        head,
        pending: VecDeque::new(),
        caught_up_sent: false,
        log_closed: false,
        finished: false,
    };
    futures::stream::unfold(state, |mut state| async move {
        let item = next_item(&mut state).await?;
        Some((item, state))
    })
}

async fn next_item<L: EventLog>(state: &mut State<L>) -> Option<Result<SubscriptionItem, ReadError>> {
    loop {
        if let Some(item) = state.pending.pop_front() {
            return Some(Ok(item));
        }
        if state.finished {
            return None;
        }
        // Mark the current head as seen before reading, so that a commit landing while we
        // read is not missed by `changed()` below.
        let head_position = *state.head.borrow_and_update();
        if state.next_position < head_position {
            if let Err(error) = read_page(state).await {
                state.finished = true;
                return Some(Err(error));
            }
            continue;
        }
        if !state.caught_up_sent {
            state.caught_up_sent = true;
            return Some(Ok(SubscriptionItem::CaughtUp(state.next_position)));
        }
        if state.log_closed {
            return None;
        }
        if state.head.changed().await.is_err() {
            // The writer is gone: deliver what was committed up to the end, then stop.
            state.log_closed = true;
        }
    }
}

async fn read_page<L: EventLog>(state: &mut State<L>) -> Result<(), ReadError> {
    let page = state
        .log
        .read_all(ReadAllRequest {
            from_position: state.next_position,
            max_count: limits::READ_PAGE_EVENTS_MAX,
            filter: state.filter.clone(),
        })
        .await?;
    let advanced_past_events = page
        .events
        .last()
        .is_none_or(|last| last.position + 1 < page.next_position);
    state
        .pending
        .extend(page.events.into_iter().map(SubscriptionItem::Event));
    if !state.filter.is_everything() && advanced_past_events && page.next_position > state.next_position {
        state
            .pending
            .push_back(SubscriptionItem::Checkpoint(page.next_position));
    }
    state.next_position = state.next_position.max(page.next_position);
    Ok(())
}
