//! Incidents reported over a period, as they stood at the period's end.

use std::collections::BTreeMap;

use antt_proto::v1 as pb;

use super::areas::areas_of;
use super::{collect, next_day, percent, AreaRef, Period, QueryError};
use crate::bitemporal::Snapshot;
use crate::key::{KeyBuilder, Kind};
use crate::store::Store;

/// By category, by handling level (a jointly handled incident counted for each of its
/// levels) and by resolution, with shares of the incidents reported.
pub fn incident_summary<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area: &AreaRef,
    period: Period,
) -> Result<pb::IncidentSummaryResponse, QueryError> {
    let at_end = snapshot.on(period.to);
    let mut response = pb::IncidentSummaryResponse {
        period: Some(period.to_proto()),
        ..Default::default()
    };
    let mut categories: BTreeMap<i32, u32> = BTreeMap::new();
    let mut levels: BTreeMap<i32, u32> = BTreeMap::new();
    let mut resolutions: BTreeMap<i32, u32> = BTreeMap::new();
    for node in areas_of(&at_end, area)? {
        let prefix = KeyBuilder::new(Kind::Incident).text(&node.area_id);
        let from = prefix.clone().date(period.from).build();
        let to = prefix.date(next_day(period.to)).build();
        for incident in collect::<pb::IncidentRow, S>(&at_end, &from, Some(&to))? {
            response.reported += 1;
            *categories.entry(incident.category).or_default() += 1;
            let mut handled_by: Vec<i32> = std::iter::once(incident.level)
                .chain(incident.co_levels.iter().copied())
                .collect();
            handled_by.sort_unstable();
            handled_by.dedup();
            for level in handled_by
                .into_iter()
                .filter(|level| *level != pb::HandlingLevel::Unspecified as i32)
            {
                *levels.entry(level).or_default() += 1;
            }
            response.mediations += incident.mediations;
            response.successful_mediations += incident.successful_mediations;
            if incident.resolved_on.is_some() {
                response.resolved += 1;
                *resolutions.entry(incident.resolution).or_default() += 1;
                match incident.resolution() {
                    pb::IncidentResolution::Prosecution => response.defendants += incident.persons,
                    pb::IncidentResolution::AdministrativeSanction => response.sanctioned_subjects += incident.persons,
                    _ => {}
                }
            }
        }
    }
    let reported = response.reported;
    response.by_category = categories
        .into_iter()
        .map(|(category, count)| pb::CategoryCount { category, count })
        .collect();
    response.by_level = levels
        .into_iter()
        .map(|(level, count)| pb::LevelShare {
            level,
            count,
            percent: percent(count, reported),
        })
        .collect();
    response.by_resolution = resolutions
        .into_iter()
        .map(|(resolution, count)| pb::ResolutionCount {
            resolution,
            count,
            percent: percent(count, reported),
        })
        .collect();
    response.mediation_success_percent = percent(response.successful_mediations, response.mediations);
    Ok(response)
}
