//! Rosters, the forces summary and social security groups' coverage.

use std::collections::{BTreeMap, BTreeSet};

use antt_proto::v1 as pb;

use super::areas::areas_of;
use super::composition::Composer;
use super::{collect, decoded, next_day, percent, AreaRef, Period, QueryError};
use crate::bitemporal::Snapshot;
use crate::key::{KeyBuilder, Kind};
use crate::store::Store;

/// The teams standing that day in the area and under it, by force type, area, name.
pub fn roster<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area: &AreaRef,
    force_type: Option<pb::ForceType>,
) -> Result<pb::RosterResponse, QueryError> {
    let areas = areas_of(snapshot, area)?;
    let mut teams = teams_in(snapshot, &areas)?;
    let mut offices = Vec::new();
    for node in &areas {
        offices.extend(decoded::<pb::OfficeRow, S>(
            snapshot,
            &KeyBuilder::new(Kind::Office).text(&node.area_id).build(),
        )?);
    }
    if let Some(force_type) = force_type {
        teams.retain(|team| team.force_type == force_type as i32);
    }
    teams.sort_by(|a, b| {
        (a.force_type, &a.area_id, &a.name, &a.team_id).cmp(&(b.force_type, &b.area_id, &b.name, &b.team_id))
    });
    let mut composer = Composer::new(snapshot, &areas);
    let compositions = teams
        .iter()
        .map(|team| composer.judge(team))
        .collect::<Result<_, _>>()?;
    Ok(pb::RosterResponse {
        answered: None,
        teams,
        offices,
        compositions,
    })
}

/// A person's terms in every team up to the snapshot's day, and the offices they held
/// that day; NOT_FOUND if the records know of neither.
pub fn person_history<S: Store>(
    snapshot: &Snapshot<'_, S>,
    person_id: &str,
) -> Result<pb::PersonHistoryResponse, QueryError> {
    let terms: Vec<pb::PersonTermRow> = decoded(snapshot, &KeyBuilder::new(Kind::PersonTerm).text(person_id).build())?;
    let offices: Vec<pb::OfficeRow> = decoded(snapshot, &KeyBuilder::new(Kind::OfficeOf).text(person_id).build())?;
    if terms.is_empty() && offices.is_empty() {
        return Err(QueryError::NotFound(format!(
            "person {person_id} served in no team and held no office by {} (chưa có trong hồ sơ)",
            snapshot.as_of()
        )));
    }
    Ok(pb::PersonHistoryResponse {
        answered: None,
        terms,
        offices,
    })
}

/// The teams standing on the snapshot's day in `areas`.
fn teams_in<S: Store>(snapshot: &Snapshot<'_, S>, areas: &[pb::AreaNode]) -> Result<Vec<pb::TeamRow>, QueryError> {
    let mut teams = Vec::new();
    for node in areas {
        teams.extend(decoded::<pb::TeamRow, S>(
            snapshot,
            &KeyBuilder::new(Kind::Team).text(&node.area_id).build(),
        )?);
    }
    Ok(teams)
}

/// Teams and members by force type as of the snapshot's day; joins and departures in
/// `period`, as the records of the period's last day stand.
pub fn forces_summary<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area: &AreaRef,
    period: Period,
) -> Result<pb::ForcesSummaryResponse, QueryError> {
    let areas = areas_of(snapshot, area)?;
    let mut forces: BTreeMap<i32, pb::ForceCount> = BTreeMap::new();
    let mut composer = Composer::new(snapshot, &areas);
    for team in teams_in(snapshot, &areas)? {
        let composition = composer.judge(&team)?;
        let count = forces.entry(team.force_type).or_default();
        let members = team.members.len() as u32;
        count.teams_under_policy += u32::from(!composition.policy_ids.is_empty());
        count.teams_not_conforming += u32::from(!composition.breaches.is_empty());
        count.teams += 1;
        count.members += members;
        if team.quota > 0 {
            count.teams_with_quota += 1;
            count.quota += team.quota;
            count.members_of_teams_with_quota += members;
            count.teams_at_quota += u32::from(members >= team.quota);
        }
    }
    let at_period_end = snapshot.on(period.to);
    // The tree is walked again only when the period ends on another day (by default it
    // ends on the snapshot's).
    let areas_at_end = if period.to == snapshot.as_of() {
        areas
    } else {
        areas_of(&at_period_end, area)?
    };
    let mut reasons: BTreeMap<(i32, i32), u32> = BTreeMap::new();
    let mut consolidated: BTreeSet<(i32, String)> = BTreeSet::new();
    for node in areas_at_end {
        let prefix = KeyBuilder::new(Kind::MemberChange).text(&node.area_id);
        let from = prefix.clone().date(period.from).build();
        let to = prefix.date(next_day(period.to)).build();
        for change in collect::<pb::MemberChangeRow, S>(&at_period_end, &from, Some(&to))? {
            let count = forces.entry(change.force_type).or_default();
            if change.joined {
                count.joins += 1;
                continue;
            }
            match change.end() {
                pb::MemberChangeEnd::CarriedOver => count.carried_over += 1,
                pb::MemberChangeEnd::Released => count.released += 1,
                _ => {
                    count.departures += 1;
                    count.replacements += u32::from(change.replaced);
                    if change.replaced {
                        consolidated.insert((change.force_type, change.team_id));
                    }
                    *reasons.entry((change.force_type, change.reason)).or_default() += 1;
                }
            }
        }
    }
    for (force_type, _) in consolidated {
        forces.entry(force_type).or_default().teams_consolidated += 1;
    }
    for ((force_type, reason), count) in reasons {
        if let Some(force) = forces.get_mut(&force_type) {
            force.departures_by_reason.push(pb::ReasonCount { reason, count });
        }
    }
    Ok(pb::ForcesSummaryResponse {
        answered: None,
        period: Some(period.to_proto()),
        forces: forces
            .into_iter()
            .map(|(force_type, count)| pb::ForceCount { force_type, ..count })
            .collect(),
    })
}

/// Households in the area's social security groups against the area's households.
pub fn coverage<S: Store>(snapshot: &Snapshot<'_, S>, area: &AreaRef) -> Result<pb::CoverageResponse, QueryError> {
    let areas = areas_of(snapshot, area)?;
    let mut response = pb::CoverageResponse::default();
    let groups = teams_in(snapshot, &areas)?
        .into_iter()
        .filter(|team| team.force_type == pb::ForceType::SocialSecurityGroup as i32);
    for group in groups {
        response.social_security_groups += 1;
        response.groups_counted += u32::from(group.households > 0);
        response.households_in_groups += group.households;
    }
    response.households_of_area = households_of(&areas);
    response.percent = percent(response.households_in_groups, response.households_of_area);
    Ok(response)
}

/// The root's own household figure, or else the sum over the areas under it that have
/// one and no ancestor with one.
///
/// Every area after the root has as parent an area listed before it ([`subtree`] walks
/// breadth first), so its ancestors end at the root; the walk stops there, as the root's
/// own parent may be under it when the records contradict each other (a cycle).
///
/// [`subtree`]: super::subtree
fn households_of(areas: &[pb::AreaNode]) -> u32 {
    let Some(root) = areas.first() else { return 0 };
    if root.households > 0 {
        return root.households;
    }
    let by_id: BTreeMap<&str, &pb::AreaNode> = areas.iter().map(|node| (node.area_id.as_str(), node)).collect();
    let counted_above = |node: &pb::AreaNode| {
        let mut parent = by_id.get(node.parent_area_id.as_str());
        while let Some(above) = parent.filter(|above| above.area_id != root.area_id) {
            if above.households > 0 {
                return true;
            }
            parent = by_id.get(above.parent_area_id.as_str());
        }
        false
    };
    areas[1..]
        .iter()
        .filter(|node| node.households > 0 && !counted_above(node))
        .map(|node| node.households)
        .sum()
}
