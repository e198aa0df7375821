//! Safety ratings of a year for one kind of unit.

use antt_domain::{rating, Date};
use antt_proto::v1 as pb;

use super::areas::areas_of;
use super::{decoded, percent, AreaRef, QueryError};
use crate::bitemporal::Snapshot;
use crate::limits;
use crate::rows::rating_key;
use crate::store::Store;

/// Units of `unit_level` under the area on the year's last day (or the snapshot's day,
/// if earlier): how many registered, were rated and were rated safe, and how many were
/// safe this year and the years just before it without a break.
pub fn rating_summary<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area: &AreaRef,
    year: i32,
    unit_level: pb::AreaLevel,
) -> Result<pb::RatingSummaryResponse, QueryError> {
    let units_on = snapshot.as_of().min(Date::last_day_of_year(year));
    let units = snapshot.on(units_on);
    let mut response = pb::RatingSummaryResponse::default();
    let mut streaks = [0u32; limits::SAFE_STREAK_YEARS_MAX as usize + 1];
    for node in areas_of(&units, area)? {
        let rating = rating_of(snapshot, &node.area_id, year)?;
        // Pledges are signed in units of every level (the demo's, per commune).
        let pledges = rating.as_ref().map_or(0, |rating| rating.pledges_signed);
        response.pledges_signed = response.pledges_signed.saturating_add(pledges);
        if node.level != unit_level as i32 {
            continue;
        }
        response.eligible += 1;
        let Some(rating) = rating else { continue };
        response.registered += u32::from(rating.registered);
        response.rated += u32::from(rating.outcome != pb::SafetyOutcome::Unspecified as i32);
        if rating.outcome != pb::SafetyOutcome::Safe as i32 {
            continue;
        }
        response.safe += 1;
        let mut run = 1;
        while run < limits::SAFE_STREAK_YEARS_MAX {
            let earlier = rating_of(snapshot, &node.area_id, year - run)?;
            if earlier.is_none_or(|rating| rating.outcome != pb::SafetyOutcome::Safe as i32) {
                break;
            }
            run += 1;
        }
        streaks[run as usize] += 1;
    }
    response.safe_percent = percent(response.safe, response.eligible);
    response.consecutive_safe = (2..=limits::SAFE_STREAK_YEARS_MAX)
        .map(|at_least| pb::StreakCount {
            years_at_least: at_least as u32,
            units: streaks[at_least as usize..].iter().sum(),
        })
        .collect();
    response.recognised = recognised(&streaks);
    Ok(response)
}

/// Units by the recognition their run earns (`streaks[n]`: units safe exactly n years
/// running, as far as the count looks back), commune first.
fn recognised(streaks: &[u32]) -> Vec<pb::RecognitionCount> {
    let mut counts: Vec<pb::RecognitionCount> = rating::RECOGNITION_YEARS
        .iter()
        .rev()
        .map(|(_, recognition)| pb::RecognitionCount {
            recognition: (*recognition).into(),
            units: 0,
        })
        .collect();
    for (years, units) in streaks.iter().enumerate() {
        let earned = rating::recognition(years as u32) as i32;
        if let Some(count) = counts.iter_mut().find(|count| count.recognition == earned) {
            count.units += units;
        }
    }
    counts
}

fn rating_of<S: Store>(snapshot: &Snapshot<'_, S>, unit: &str, year: i32) -> Result<Option<pb::RatingRow>, QueryError> {
    let rows: Vec<pb::RatingRow> = decoded(snapshot, &rating_key(unit, year))?;
    Ok(rows.into_iter().next())
}
