//! Read models: what each Get RPC shows of a record, one module per kind of record.
//!
//! A view is laid out from the record's timeline as of a day: the events that had taken
//! effect by the end of that day, in the order they took effect (effective date, then log
//! position), never in the order they were recorded, so a backdated fact shows where it
//! belongs. The service files read the request, load the record and call these. Views do
//! no I/O: what a view needs from elsewhere (a person's name, the opened personal data)
//! is handed in.

use antt_domain::timeline::Entry;
use antt_domain::{Aggregate, Date, Timeline};
use tonic::Status;

use crate::status;

pub(crate) mod area;
pub(crate) mod arrest;
pub(crate) mod incident;
pub(crate) mod inspection;
pub(crate) mod person;
pub(crate) mod rating;
pub(crate) mod target;
pub(crate) mod team;
pub(crate) mod tip;

/// The events of a record that had taken effect by the end of `as_of`, in valid-time
/// order; NOT_FOUND, saying from when the record exists, if none had. `what` names the
/// record in that message, e.g. "team 0a11…".
pub(crate) fn as_of<'t, A: Aggregate>(
    timeline: &'t Timeline<A>,
    what: &str,
    as_of: Date,
) -> Result<&'t [Entry<A::Event>], Status> {
    let entries = timeline.as_of(as_of);
    match (entries.is_empty(), timeline.entries().first()) {
        (true, Some(first)) => Err(status::not_yet_recorded(what, as_of, first.effective)),
        _ => Ok(entries),
    }
}

/// The record as it stood at the end of `as_of`; NOT_FOUND as [`as_of`] says.
pub(crate) fn state_as_of<A: Aggregate>(timeline: &Timeline<A>, what: &str, as_of: Date) -> Result<A::State, Status> {
    self::as_of(timeline, what, as_of)?;
    Ok(timeline.state_as_of(as_of))
}
