//! A unit's year as GetRating shows it: every rating and correction, the one in force,
//! the pledges.

use antt_domain::rating::State;
use antt_domain::Date;
use antt_proto::v1 as pb;
use uuid::Uuid;

/// `consecutive_safe_years`: this year and the unbroken run of safe years before it.
pub(crate) fn view(
    unit_area_id: Uuid,
    year: i32,
    state: &State,
    version: u64,
    consecutive_safe_years: u32,
) -> pb::RatingView {
    let ratings = state
        .ratings
        .iter()
        .map(|rating| pb::RatingEntry {
            rating_id: rating.rating_id.clone(),
            outcome: rating.outcome.into(),
            effective_date: Some(rating.effective_date.to_proto()),
            corrects_rating_id: rating.corrects.clone().unwrap_or_default(),
        })
        .collect();
    pb::RatingView {
        unit_area_id: unit_area_id.to_string(),
        year,
        unit_level: state.unit_level.into(),
        strive_registered_on: state.strive_registered_on.map(Date::to_proto),
        ratings,
        outcome: state
            .current()
            .map_or(pb::SafetyOutcome::Unspecified, |rating| rating.outcome)
            .into(),
        pledges_signed_total: state.pledges_signed_total,
        version,
        consecutive_safe_years,
        recognition: antt_domain::rating::recognition(consecutive_safe_years).into(),
    }
}
