//! What `decide` knows besides the aggregate's own state.
//!
//! - [`Context`]: who records, and the recording date ("today"), passed in by the caller
//!   because this crate reads no clock.
//! - [`Decision`]: the decision that ordered a fact.
//! - [`AreaFacts`]: facts about *another* aggregate (an area) that a rule needs, e.g. a
//!   team cannot be established before its area existed. The API layer reads them from
//!   the area's stream (see [`crate::area::State::facts`]) and puts them in the command,
//!   so `decide` stays pure and the dependency is visible in the command's type.
//!
//! Also the small checks shared by every aggregate.

use std::collections::BTreeSet;

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::date::Date;
use crate::error::DomainError;
use crate::{limits, text};

/// The circumstances of a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// The day the fact is recorded (system time, as a civil date). No fact may take
    /// effect after it.
    pub recorded_date: Date,
    /// Who records, for the log's `actor`. Not copied into payloads: the log keeps it.
    pub actor: String,
}

/// The decision, resolution or plan that ordered a fact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// e.g. "710/QĐ-UBND".
    pub number: String,
    /// e.g. "Chủ tịch UBND huyện Nga Sơn"; may be empty when unknown.
    pub issued_by: String,
    pub issued_on: Date,
}

impl Decision {
    /// The wire form, normalised, if the decision is well formed and already issued.
    pub(crate) fn to_proto(&self, field: &'static str, ctx: &Context) -> Result<pb::DecisionRef, DomainError> {
        let number = text::required_name(field, &self.number)?;
        let issued_by = text::optional_name(field, &self.issued_by)?;
        if self.issued_on > ctx.recorded_date {
            return Err(DomainError::invalid(
                field,
                "the decision is dated after the recording date",
            ));
        }
        Ok(pb::DecisionRef {
            number,
            issued_by,
            issued_on: Some(self.issued_on.to_proto()),
        })
    }
}

/// An optional decision in wire form.
pub(crate) fn optional_decision(
    field: &'static str,
    decision: Option<&Decision>,
    ctx: &Context,
) -> Result<Option<pb::DecisionRef>, DomainError> {
    decision.map(|decision| decision.to_proto(field, ctx)).transpose()
}

/// What a command needs to know about an area it refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AreaFacts {
    pub area_id: Uuid,
    pub level: pb::AreaLevel,
    /// The area's registration date.
    pub valid_from: Date,
    /// When it was merged, split (entirely) or dissolved.
    pub ended_on: Option<Date>,
    /// e.g. "xã", "phường", "thị trấn", "thôn" (its latest); may be empty.
    pub division_type: String,
}

impl AreaFacts {
    /// The area existed on `date`.
    pub(crate) fn ensure_exists_on(&self, date: Date) -> Result<(), DomainError> {
        ensure_within("the area", date, self.valid_from, self.ended_on)
    }
}

/// What a command needs to know about a team it names (an award's recipient, the team
/// handling or mediating an incident), read by the API layer from the team's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TeamFacts {
    pub team_id: Uuid,
    pub force_type: pb::ForceType,
    pub established_on: Date,
    /// When it was dissolved or ended by a restructuring.
    pub ended_on: Option<Date>,
}

impl TeamFacts {
    /// The team (`what`, e.g. "the recipient team") existed on `date`.
    pub(crate) fn ensure_exists_on(&self, what: &'static str, date: Date) -> Result<(), DomainError> {
        ensure_within(what, date, self.established_on, self.ended_on)
    }
}

/// `what` has not been recorded yet: a record is created once.
pub(crate) fn ensure_not_recorded<T>(what: &'static str, recorded: Option<T>) -> Result<(), DomainError> {
    match recorded {
        Some(_) => Err(DomainError::AlreadyRecorded { what }),
        None => Ok(()),
    }
}

/// `what` has been recorded; the date it was (e.g. registered, opened, reported).
pub(crate) fn ensure_recorded(what: &'static str, recorded_on: Option<Date>) -> Result<Date, DomainError> {
    recorded_on.ok_or(DomainError::NotRecorded { what })
}

/// `what` is open on `effective`: recorded (on `recorded_on`), not closed, and `effective`
/// not before it was recorded. `closed` is the error to answer when the record is closed
/// (resolved, ended, dissolved…), None while it is open. The checks run in that order.
pub(crate) fn ensure_open_on(
    what: &'static str,
    recorded_on: Option<Date>,
    closed: Option<DomainError>,
    effective: Date,
) -> Result<(), DomainError> {
    let recorded_on = ensure_recorded(what, recorded_on)?;
    if let Some(closed) = closed {
        return Err(closed);
    }
    ensure_since(what, effective, recorded_on)
}

/// A record that begins once and ends once (a tenure, a composition policy) may end on
/// `end`: it began (on `began_on`), has not ended, and `end` is after the day it began.
pub(crate) fn ensure_may_end(
    what: &'static str,
    began_on: Option<Date>,
    ended_on: Option<Date>,
    end: Date,
) -> Result<(), DomainError> {
    let began_on = ensure_recorded(what, began_on)?;
    if let Some(ended_on) = ended_on {
        return Err(DomainError::AlreadyEnded { what, ended_on });
    }
    if end <= began_on {
        return Err(DomainError::EndNotAfterStart { what, began_on });
    }
    Ok(())
}

/// The fact does not take effect after the day it is recorded.
pub(crate) fn ensure_not_after_recording(effective: Date, ctx: &Context) -> Result<(), DomainError> {
    if effective > ctx.recorded_date {
        return Err(DomainError::EffectiveDateInFuture {
            effective,
            recorded: ctx.recorded_date,
        });
    }
    Ok(())
}

/// `what` existed on `effective` (it exists from `since`).
pub(crate) fn ensure_since(what: &'static str, effective: Date, since: Date) -> Result<(), DomainError> {
    if effective < since {
        return Err(DomainError::BeforeExistence { what, effective, since });
    }
    Ok(())
}

/// `what` had not ended on `effective`.
pub(crate) fn ensure_before_end(
    what: &'static str,
    effective: Date,
    ended_on: Option<Date>,
) -> Result<(), DomainError> {
    match ended_on {
        Some(ended_on) if effective >= ended_on => Err(DomainError::AfterEnd {
            what,
            effective,
            ended_on,
        }),
        _ => Ok(()),
    }
}

/// `what` existed on `effective`: from `since`, and before `ended_on` if it ended.
pub(crate) fn ensure_within(
    what: &'static str,
    effective: Date,
    since: Date,
    ended_on: Option<Date>,
) -> Result<(), DomainError> {
    ensure_since(what, effective, since)?;
    ensure_before_end(what, effective, ended_on)
}

/// A proto enum value other than its `UNSPECIFIED` zero.
pub(crate) fn specified<E: Default + PartialEq>(field: &'static str, value: E) -> Result<E, DomainError> {
    if value == E::default() {
        return Err(DomainError::invalid(field, "must be specified"));
    }
    Ok(value)
}

/// A year within [`limits::YEAR_MIN`]..=[`limits::YEAR_MAX`].
pub(crate) fn year(field: &'static str, year: i32) -> Result<i32, DomainError> {
    if !(limits::YEAR_MIN..=limits::YEAR_MAX).contains(&year) {
        return Err(DomainError::invalid(
            field,
            format!("must be between {} and {}", limits::YEAR_MIN, limits::YEAR_MAX),
        ));
    }
    Ok(year)
}

/// A list of distinct ids, none equal to `own_id`, with at least `items_min` items.
pub(crate) fn distinct_ids(
    field: &'static str,
    ids: &[Uuid],
    own_id: &str,
    items_min: usize,
) -> Result<Vec<String>, DomainError> {
    if ids.len() < items_min {
        return Err(DomainError::invalid(field, format!("needs at least {items_min} ids")));
    }
    if ids.len() > limits::LIST_ITEMS_MAX {
        return Err(DomainError::invalid(
            field,
            format!("at most {} ids", limits::LIST_ITEMS_MAX),
        ));
    }
    let mut seen = BTreeSet::new();
    for id in ids {
        let id = id.to_string();
        if id == own_id {
            return Err(DomainError::invalid(field, "must not name the record itself"));
        }
        if !seen.insert(id) {
            return Err(DomainError::invalid(field, "names the same id twice"));
        }
    }
    Ok(ids.iter().map(Uuid::to_string).collect())
}

/// A list of names (e.g. coordinating bodies), each normalised, at most
/// [`limits::LIST_ITEMS_MAX`].
pub(crate) fn names(field: &'static str, names: &[String]) -> Result<Vec<String>, DomainError> {
    if names.len() > limits::LIST_ITEMS_MAX {
        return Err(DomainError::invalid(
            field,
            format!("at most {} items", limits::LIST_ITEMS_MAX),
        ));
    }
    names.iter().map(|name| text::required_name(field, name)).collect()
}

/// The id of an optional reference as stored: empty when there is none.
pub(crate) fn optional_id(id: Option<Uuid>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}
