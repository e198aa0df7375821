//! Reported figures next to the figures the records give for the same unit, indicator
//! and period.

use antt_domain::Date;
use antt_proto::v1 as pb;
use pb::FigureIndicator as Indicator;

use super::activity::{activity_summary, figures_in};
use super::{coverage, forces_summary, incident_summary, rating_summary, AreaRef, Period, QueryError};
use crate::bitemporal::Snapshot;
use crate::store::Store;

pub fn reported_figures<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area: &AreaRef,
    period: Period,
) -> Result<pb::ReportedFiguresResponse, QueryError> {
    let mut figures = Vec::new();
    for reported in figures_in(snapshot, area, period)? {
        let derived = derive_figure(snapshot, &reported)?;
        let count = reported.value.map_or(0, |value| value.count);
        figures.push(pb::FigureComparison {
            derivable: derived.is_some(),
            derived: derived.unwrap_or(0),
            difference: derived.map_or(0, |derived| derived as i64 - count as i64),
            reported: Some(reported),
        });
    }
    Ok(pb::ReportedFiguresResponse {
        answered: None,
        figures,
    })
}

/// The figure the records give, or None for an indicator they cannot give.
fn derive_figure<S: Store>(snapshot: &Snapshot<'_, S>, figure: &pb::FigureRow) -> Result<Option<u64>, QueryError> {
    let Some(period) = figure.period.as_ref().and_then(|period| {
        let from = Date::from_proto_field("first_day", period.first_day.as_ref()).ok()?;
        let to = Date::from_proto_field("last_day", period.last_day.as_ref()).ok()?;
        (from <= to).then_some(Period { from, to })
    }) else {
        return Ok(None);
    };
    let unit = AreaRef::Id(figure.unit_area_id.clone());
    let at_end = snapshot.on(period.to);
    let force = |forces: &pb::ForcesSummaryResponse, pick: fn(&pb::ForceCount) -> u32| -> u64 {
        forces
            .forces
            .iter()
            .filter(|count| figure.force_type == 0 || count.force_type == figure.force_type)
            .map(|count| u64::from(pick(count)))
            .sum()
    };
    let value = match figure.indicator() {
        Indicator::Teams => force(&forces_summary(&at_end, &unit, period)?, |c| c.teams),
        Indicator::Members => force(&forces_summary(&at_end, &unit, period)?, |c| c.members),
        Indicator::MembersReplaced => force(&forces_summary(&at_end, &unit, period)?, |c| c.replacements),
        Indicator::TeamsConsolidated => force(&forces_summary(&at_end, &unit, period)?, |c| c.teams_consolidated),
        Indicator::HouseholdsInSocialSecurityGroups => u64::from(coverage(&at_end, &unit)?.households_in_groups),
        indicator @ (Indicator::Incidents
        | Indicator::MediationsSucceeded
        | Indicator::ProsecutedCases
        | Indicator::ProsecutedDefendants
        | Indicator::SanctionedCases
        | Indicator::SanctionedSubjects) => {
            let incidents = incident_summary(&at_end, &unit, period)?;
            let resolved = |resolution: pb::IncidentResolution| {
                incidents
                    .by_resolution
                    .iter()
                    .find(|count| count.resolution == resolution as i32)
                    .map_or(0, |count| u64::from(count.count))
            };
            match indicator {
                Indicator::Incidents if figure.handling_level != 0 => incidents
                    .by_level
                    .iter()
                    .find(|share| share.level == figure.handling_level)
                    .map_or(0, |share| u64::from(share.count)),
                Indicator::Incidents => u64::from(incidents.reported),
                Indicator::MediationsSucceeded => resolved(pb::IncidentResolution::Mediated),
                Indicator::ProsecutedCases => resolved(pb::IncidentResolution::Prosecution),
                Indicator::ProsecutedDefendants => u64::from(incidents.defendants),
                Indicator::SanctionedCases => resolved(pb::IncidentResolution::AdministrativeSanction),
                _ => u64::from(incidents.sanctioned_subjects),
            }
        }
        indicator @ (Indicator::UnitsRegisteredToStrive | Indicator::UnitsRatedSafe) => {
            let level = pb::AreaLevel::try_from(figure.unit_level).unwrap_or(pb::AreaLevel::ResidentialArea);
            let ratings = rating_summary(&at_end, &unit, period.to.year(), level)?;
            u64::from(if indicator == Indicator::UnitsRatedSafe {
                ratings.safe
            } else {
                ratings.registered
            })
        }
        // Pledges belong to a year's campaign, not to a day: every year the period touches.
        Indicator::PledgesSigned => {
            let mut signed = 0u64;
            for year in period.from.year()..=period.to.year() {
                let ratings = rating_summary(&at_end, &unit, year, pb::AreaLevel::ResidentialArea)?;
                signed = signed.saturating_add(ratings.pledges_signed);
            }
            signed
        }
        indicator @ (Indicator::PublicTips
        | Indicator::WantedPersonsArrested
        | Indicator::KeyComplexAreas
        | Indicator::KeyComplexAreasTransformed
        | Indicator::DocumentsIssued
        | Indicator::ConferencesHeld
        | Indicator::ConferenceAttendances
        | Indicator::TrainingClassesHeld
        | Indicator::Awards) => {
            let activity = activity_summary(&at_end, &unit, period)?;
            u64::from(match indicator {
                Indicator::PublicTips => activity.tips_received,
                Indicator::WantedPersonsArrested => activity.wanted_persons_arrested,
                Indicator::KeyComplexAreas => activity.hotspots_designated,
                Indicator::KeyComplexAreasTransformed => activity.hotspots_transformed,
                Indicator::DocumentsIssued => activity.documents_issued,
                Indicator::ConferencesHeld => activity.conferences_held,
                Indicator::ConferenceAttendances => activity.conference_participants,
                Indicator::TrainingClassesHeld => activity.training_classes_held,
                _ => activity.awards,
            })
        }
        // A free-form indicator names nothing the records count.
        _ => return Ok(None),
    };
    Ok(Some(value))
}
