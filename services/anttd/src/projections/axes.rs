//! The time axes of a query: read, checked, and made into a snapshot of the store.

use std::sync::Arc;
use std::time::Duration;

use antt_domain::Date;
use antt_log::{EventLog, Timestamp};
use antt_projections::bitemporal::{known_position, Snapshot};
use antt_projections::query::{AreaRef, Period};
use antt_projections::store::SledStore;
use antt_projections::Progress;
use antt_proto::v1 as pb;
use tokio::sync::watch;
use tonic::Status;

use super::runner::Projections;
use crate::request::Fields;
use crate::{commands, convert, limits, status};

/// A query's axes as read from the request.
pub(crate) struct Axes {
    pub as_of: Date,
    pub known_at: Option<Timestamp>,
    pub min_position: u64,
}

/// The axes as the answer states them, and the store position they stand for.
pub(crate) struct Resolved {
    pub as_of: Date,
    pub known_at: Timestamp,
    pub known: u64,
}

impl Resolved {
    /// The snapshot of these axes in a store that has applied the log up to `applied`.
    pub fn snapshot_at<'s>(&self, store: &'s SledStore, applied: u64) -> Snapshot<'s, SledStore> {
        Snapshot::new(store, self.as_of, self.known, applied)
    }

    pub fn answered(&self) -> pb::AnswerAxes {
        pb::AnswerAxes {
            as_of: Some(self.as_of.to_proto()),
            known_at: Some(convert::timestamp_to_proto(self.known_at)),
            known_position: self.known,
        }
    }
}

impl Fields {
    /// `axes`: `as_of` from 1945 to today (default today in Vietnam), `known_at` not in
    /// the future (default now).
    pub(crate) fn axes(&mut self, axes: Option<&pb::TimeAxes>) -> Axes {
        let now = Timestamp::now();
        let today = commands::today_in_vietnam(now);
        let default = pb::TimeAxes::default();
        let axes = axes.unwrap_or(&default);
        let as_of = self.optional_date("axes.as_of", axes.as_of.as_ref()).unwrap_or(today);
        let first = Date::first_day_of_year(limits::AS_OF_YEAR_MIN);
        if as_of < first || as_of > today {
            self.violate(
                "axes.as_of",
                format!("must be between {first} and today ({today}): the records say nothing of other days"),
            );
        }
        let known_at = axes
            .known_at
            .as_ref()
            .and_then(|wire| match convert::timestamp(wire, "axes.known_at") {
                Ok(known_at) if known_at > now => {
                    self.violate("axes.known_at", "must not be in the future: nothing is known of it yet");
                    None
                }
                Ok(known_at) => Some(known_at),
                Err(violation) => {
                    self.violate(violation.field, violation.description);
                    None
                }
            });
        Axes {
            as_of,
            known_at,
            min_position: axes.min_position,
        }
    }

    /// `period`, both ends included; default the year of `as_of` up to `as_of`.
    pub(crate) fn period(&mut self, period: Option<&pb::Period>, as_of: Date) -> Period {
        let Some(period) = period else {
            return Period {
                from: Date::first_day_of_year(as_of.year()),
                to: as_of,
            };
        };
        let from = self.date("period.from", period.from.as_ref());
        let to = self.date("period.to", period.to.as_ref());
        if from > to {
            self.violate("period", format!("ends ({to}) before it begins ({from})"));
        }
        Period { from, to }
    }

    /// `first_year..=last_year`: a range of at most `YEARLY_SERIES_YEARS_MAX` years.
    pub(crate) fn years(&mut self, first_year: i32, last_year: i32) -> (i32, i32) {
        let first = self.year("first_year", first_year);
        let last = self.year("last_year", last_year);
        if first > last {
            self.violate("last_year", format!("is before first_year ({first})"));
        } else if i64::from(last) - i64::from(first) >= i64::from(limits::YEARLY_SERIES_YEARS_MAX) {
            self.violate(
                "last_year",
                format!("a series spans at most {} years", limits::YEARLY_SERIES_YEARS_MAX),
            );
        }
        (first, last)
    }

    /// `area`: by id or by official code.
    pub(crate) fn area(&mut self, area: Option<&pb::AreaSelector>) -> AreaRef {
        use pb::area_selector::Area;
        match area.and_then(|selector| selector.area.as_ref()) {
            Some(Area::AreaId(id)) => AreaRef::Id(self.uuid("area.area_id", id).to_string()),
            Some(Area::Code(code)) if !code.trim().is_empty() => AreaRef::Code(code.trim().to_owned()),
            Some(Area::Code(_)) => {
                self.violate("area.code", "an official code is required, e.g. 401 for Nga Sơn");
                AreaRef::Code(String::new())
            }
            None => {
                self.violate("area", "name the area by area_id or by its official code");
                AreaRef::Id(String::new())
            }
        }
    }
}

/// Waits until the projections have read what `axes` needs, then the positions to read
/// and the store to read them from.
pub(crate) async fn resolve<L: EventLog>(
    log: &L,
    projections: &Projections,
    axes: &Axes,
) -> Result<(Resolved, Arc<SledStore>), Status> {
    let head = log.head().next_position;
    if axes.min_position > head {
        return Err(status::beyond_head(axes.min_position, head));
    }
    let (store, progress) = projections.current();
    // "As the records stand now" is everything committed when the query arrived; a
    // moment in the past needs every event recorded by then, which may still be unread
    // if the last one read is no later than it.
    let everything_now = match axes.known_at {
        None => true,
        Some(known_at) => progress
            .borrow()
            .last_recorded_at
            .is_none_or(|last| last <= known_at.as_micros()),
    };
    let wanted = if everything_now {
        axes.min_position.max(head)
    } else {
        axes.min_position
    };
    let applied = wait_for(progress, wanted, head).await?;
    let (known, known_at) = match axes.known_at {
        Some(known_at) => {
            let known = known_position(store.as_ref(), known_at.as_micros())
                .map_err(|error| status::inconsistent_records(error.to_string()))?;
            (known.min(applied), known_at)
        }
        None => (applied, Timestamp::now()),
    };
    let resolved = Resolved {
        as_of: axes.as_of,
        known_at,
        known,
    };
    Ok((resolved, store))
}

/// The applied position once it reaches `wanted`; UNAVAILABLE with the lag if it does
/// not within the wait, INTERNAL if the projections halted.
pub(crate) async fn wait_for(mut progress: watch::Receiver<Progress>, wanted: u64, head: u64) -> Result<u64, Status> {
    let reached = |progress: &Progress| progress.applied >= wanted || progress.halted.is_some();
    let wait = Duration::from_millis(limits::PROJECTION_WAIT_MILLIS_MAX);
    let reached_in_time = matches!(tokio::time::timeout(wait, progress.wait_for(reached)).await, Ok(Ok(_)));
    let now = progress.borrow().clone();
    if let Some(reason) = &now.halted {
        return Err(status::projections_halted(reason));
    }
    if reached_in_time {
        Ok(now.applied)
    } else {
        Err(status::projections_behind(wanted, now.applied, head))
    }
}
