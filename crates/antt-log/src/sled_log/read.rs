//! Reads. Every read is bounded by what the writer has published, so a reader never
//! sees an event whose group commit is not yet durable.

use crate::error::ReadError;
use crate::event::{self, Direction, ReadAllPage, ReadAllRequest, ReadStreamRequest, RecordedEvent};
use crate::limits;
use crate::sled_log::index::StreamEntry;
use crate::sled_log::store;
use crate::validate;

pub(crate) fn check_stream_id(stream_id: &str) -> Result<(), ReadError> {
    let violations = validate::stream_id_violations(stream_id, "stream_id");
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ReadError::Invalid(violations))
    }
}

/// A committed event, which must be stored.
pub(crate) fn committed_event(tree: &sled::Tree, position: u64) -> Result<RecordedEvent, ReadError> {
    store::read_record(tree, position)?.ok_or_else(|| ReadError::Corrupted {
        position,
        reason: "a committed event is missing from the store".into(),
    })
}

/// Positions of the page of `stream` that `request` asks for.
pub(crate) fn stream_page_positions(stream: &StreamEntry, request: &ReadStreamRequest) -> Vec<u64> {
    let count = event::clamp_read_page(request.max_count);
    let positions = stream.positions.as_slice();
    let Some(last_version) = stream.last_version() else {
        return Vec::new();
    };
    match request.direction {
        Direction::Forwards => {
            let start = request.from_version.unwrap_or(0);
            let start = usize::try_from(start).unwrap_or(usize::MAX);
            positions
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take(count)
                .copied()
                .collect()
        }
        Direction::Backwards => {
            // Reading backwards from beyond the end starts at the end.
            let start = request
                .from_version
                .map_or(last_version, |version| version.min(last_version));
            let end = usize::try_from(start).map_or(positions.len(), |start| start + 1);
            positions
                .get(..end)
                .unwrap_or(positions)
                .iter()
                .rev()
                .take(count)
                .copied()
                .collect()
        }
    }
}

/// One page of the whole log up to the committed `head` (exclusive). A filtered page
/// examines at most [`limits::READ_SCAN_RECORDS_MAX`] records, so it may come back empty
/// before the head; `next_position` says where to continue.
pub(crate) fn read_all_page(tree: &sled::Tree, head: u64, request: &ReadAllRequest) -> Result<ReadAllPage, ReadError> {
    let most_events = event::clamp_read_page(request.max_count);
    let most_examined = if request.filter.is_everything() {
        most_events
    } else {
        limits::READ_SCAN_RECORDS_MAX
    };
    let mut events = Vec::new();
    let mut next_position = request.from_position;
    let mut records = tree.range(store::key(request.from_position)..store::key(head));
    let mut examined = 0;
    while next_position < head && examined < most_examined && events.len() < most_events {
        let record = next_committed(&mut records, next_position)?;
        let event = store::view_at(next_position, &record)?;
        examined += 1;
        next_position += 1;
        // Decided on the record in place: a filtered page skips most records unowned.
        if request.filter.keeps(event.stream_id, event.event_type) {
            events.push(event.to_event());
        }
    }
    Ok(ReadAllPage {
        events,
        next_position,
        head_position: head,
    })
}

/// The next record of a range scan, which must be the one at `position`.
fn next_committed(records: &mut sled::Iter, position: u64) -> Result<sled::IVec, ReadError> {
    let missing = |reason: &str| ReadError::Corrupted {
        position,
        reason: reason.to_string(),
    };
    let (key, record) = records
        .next()
        .ok_or_else(|| missing("a committed event is missing from the store"))?
        .map_err(|error| store::read_error("reading the log", error))?;
    if store::position_of(&key) != Some(position) {
        return Err(missing("a committed event is missing from the store"));
    }
    Ok(record)
}
