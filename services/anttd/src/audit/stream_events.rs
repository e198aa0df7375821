//! A stream's events as an export carries them: versions 0 up to the last one effective
//! on or before the date, with none missing.
//!
//! Valid time is not log order: a fact backdated to 2019 may be recorded after one
//! dated 2030. Leaving out the later-dated events between two included ones would leave
//! a gap in the versions, and an offline verifier could no longer tell a left-out
//! event from one hidden. So they come along (their own bytes say their date); only the
//! tail after the last event effective by the date is left out.

use antt_domain::Date;
use antt_log::{Direction, EventLog, ReadStreamRequest, RecordedEvent};
use tonic::Status;

use crate::commands::effective_date;
use crate::{limits, status};

/// The events of `stream_id` that an export up to `until` (all, if `None`) carries, of
/// those before log position `below`; RESOURCE_EXHAUSTED past `EXPORT_EVENTS_MAX`.
pub(super) async fn dense_events<L: EventLog>(
    log: &L,
    stream_id: &str,
    until: Option<Date>,
    below: u64,
) -> Result<Vec<RecordedEvent>, Status> {
    let in_scope = |event: &RecordedEvent| until.is_none_or(|until| effective_date(event.effective_at) <= until);
    // First the last version to carry, reading without keeping, so that a long tail of
    // later-dated events costs no memory.
    let mut last = None;
    each_page(log, stream_id, below, |page| {
        if let Some(event) = page.iter().rev().find(|event| in_scope(event)) {
            last = Some(event.stream_version);
        }
        Ok(())
    })
    .await?;
    let Some(last) = last else {
        return Ok(Vec::new());
    };
    let mut events = Vec::new();
    each_page(log, stream_id, below, |page| {
        let carried = page.into_iter().take_while(|event| event.stream_version <= last);
        events.extend(carried);
        if events.len() > limits::EXPORT_EVENTS_MAX {
            return Err(status::too_many(format!(
                "stream {stream_id:?} has more than {} events to export; export it up to an earlier date",
                limits::EXPORT_EVENTS_MAX
            )));
        }
        Ok(())
    })
    .await?;
    Ok(events)
}

/// Visits the stream's events before `below`, page by page, in version order.
async fn each_page<L: EventLog>(
    log: &L,
    stream_id: &str,
    below: u64,
    mut visit: impl FnMut(Vec<RecordedEvent>) -> Result<(), Status>,
) -> Result<(), Status> {
    let mut from_version = 0;
    loop {
        let page = log
            .read_stream(ReadStreamRequest {
                stream_id: stream_id.to_string(),
                from_version: Some(from_version),
                direction: Direction::Forwards,
                max_count: 0,
            })
            .await
            .map_err(status::read_error)?;
        let Some(next) = page.last().map(|event| event.stream_version + 1) else {
            return Ok(());
        };
        let read_all = page.iter().any(|event| event.position >= below);
        visit(page.into_iter().filter(|event| event.position < below).collect())?;
        if read_all {
            return Ok(());
        }
        from_version = next;
    }
}
