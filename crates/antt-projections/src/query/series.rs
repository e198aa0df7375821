//! Every summary year by year, and a team's history.

use antt_domain::Date;
use antt_proto::v1 as pb;
use prost::Message;

use super::activity::activity_summary;
use super::{coverage, forces_summary, incident_summary, rating_summary, AreaRef, Period, QueryError};
use crate::bitemporal::{LayoutError, Snapshot};
use crate::key::{KeyBuilder, Kind};
use crate::store::Store;

/// Each year from `first_year` to `last_year`, read as of its last day (or the
/// snapshot's day, if earlier); years after the snapshot's day are left out.
pub fn yearly_series<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area: &AreaRef,
    first_year: i32,
    last_year: i32,
    rating_unit_level: pb::AreaLevel,
) -> Result<pb::YearlySeriesResponse, QueryError> {
    let mut years = Vec::new();
    for year in first_year..=last_year.min(snapshot.as_of().year()) {
        let day = Date::last_day_of_year(year).min(snapshot.as_of());
        let on = snapshot.on(day);
        let period = Period {
            from: Date::first_day_of_year(year),
            to: day,
        };
        years.push(pb::YearSummary {
            year,
            as_of: Some(day.to_proto()),
            forces: Some(forces_summary(&on, area, period)?),
            coverage: Some(coverage(&on, area)?),
            incidents: Some(incident_summary(&on, area, period)?),
            ratings: Some(rating_summary(&on, area, year, rating_unit_level)?),
            activity: Some(activity_summary(&on, area, period)?),
        });
    }
    Ok(pb::YearlySeriesResponse { answered: None, years })
}

/// The team's periods that began by the snapshot's day, oldest first; the last is open
/// if it lasts beyond that day.
pub fn team_history<S: Store>(
    snapshot: &Snapshot<'_, S>,
    team_id: &str,
) -> Result<pb::TeamHistoryResponse, QueryError> {
    let intervals = snapshot.intervals(&KeyBuilder::new(Kind::TeamById).text(team_id).build())?;
    let mut periods = Vec::new();
    for (from, until, value) in intervals.into_iter().filter(|(from, _, _)| *from <= snapshot.as_of()) {
        let team = pb::TeamRow::decode(value.as_slice())
            .map_err(|error| LayoutError::Inconsistent(format!("a stored team row does not decode: {error}")))?;
        periods.push(pb::TeamPeriod {
            from: Some(from.to_proto()),
            until: (until <= snapshot.as_of()).then(|| until.to_proto()),
            team: Some(team),
        });
    }
    if periods.is_empty() {
        return Err(QueryError::NotFound(format!(
            "team {team_id} did not exist by {} (không có tổ này vào ngày đó)",
            snapshot.as_of()
        )));
    }
    Ok(pb::TeamHistoryResponse {
        answered: None,
        periods,
    })
}
