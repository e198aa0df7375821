//! The questions inspectors and analysts ask, answered from one [`Snapshot`]: a day and
//! the moment whose records are read. Pure reads of the store; the service adds the
//! axes it answered on.

mod activity;
mod areas;
mod composition;
mod export;
mod figures;
mod forces;
mod incidents;
mod located;
mod ratings;
mod remediation;
mod series;

pub use activity::activity_summary;
pub use areas::{area_tree, resolve_area, subtree};
pub use export::{export_areas, export_snapshot, incidents_in, member_changes_in, ratings_of, teams_in};
pub use figures::reported_figures;
pub use forces::{coverage, forces_summary, person_history, roster};
pub use incidents::incident_summary;
pub use located::{located_in, targets_with_units_in, Located};
pub use ratings::rating_summary;
pub use remediation::{remediation, target_attainment};
pub use series::{team_history, yearly_series};

use antt_domain::Date;
use prost::Message;

use crate::bitemporal::{LayoutError, Snapshot};
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// No area with that id or code on that day, as the records stood.
    #[error("{0}")]
    NotFound(String),
    /// More areas under the root than a query walks.
    #[error("more than {0} areas under this area; ask about a smaller one")]
    TooLarge(usize),
    #[error(transparent)]
    Layout(#[from] LayoutError),
}

/// Which area a query is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AreaRef {
    Id(String),
    Code(String),
}

/// A period of days, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    pub fn to_proto(self) -> antt_proto::v1::Period {
        antt_proto::v1::Period {
            from: Some(self.from.to_proto()),
            to: Some(self.to.to_proto()),
        }
    }
}

fn next_day(date: Date) -> Date {
    Date::from_days_since_unix_epoch(date.days_since_unix_epoch() + 1)
}

/// Every visible row under `prefix`, decoded.
fn decoded<M: Message + Default, S: Store>(snapshot: &Snapshot<'_, S>, prefix: &[u8]) -> Result<Vec<M>, QueryError> {
    collect(snapshot, prefix, None)
}

/// Every visible row with a key in `[from, to)`, decoded.
fn collect<M: Message + Default, S: Store>(
    snapshot: &Snapshot<'_, S>,
    from: &[u8],
    to: Option<&[u8]>,
) -> Result<Vec<M>, QueryError> {
    let mut rows = Vec::new();
    let mut damage = None;
    let mut visit = |_: &[u8], value: &[u8]| match M::decode(value) {
        Ok(row) => rows.push(row),
        Err(error) => damage = Some(error),
    };
    match to {
        Some(_) => snapshot.range(from, to, &mut visit)?,
        None => snapshot.rows(from, &mut visit)?,
    }
    match damage {
        Some(error) => Err(LayoutError::Inconsistent(format!("a stored row does not decode: {error}")).into()),
        None => Ok(rows),
    }
}

/// `part ÷ whole × 100`, 0 for an empty whole.
fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        f64::from(part) * 100.0 / f64::from(whole)
    }
}
