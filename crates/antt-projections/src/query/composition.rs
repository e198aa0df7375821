//! Teams against the composition policies (cơ cấu) in force for them on a day.
//!
//! A flag depends on several records: the team (its area, force type and seats), its
//! members' tenures, the province's policies and the area tree. Rows stay a function of
//! one record's timeline each, so the flag is judged here, at query time, from the rows
//! of the snapshot's day: the team's row, the policy rows under the team's province (the
//! province its area lay in that day), the office rows of the area where the office must
//! be held, and the commune's hotspot rows. Every one of them is read as of the same day
//! and known position, so a backdated tenure, appointment or policy changes the answer
//! for the days it covers and for readers who know of it, and for no one else.
//!
//! A vacant seat that a policy names is a breach: the policy says who must hold it.

use std::collections::BTreeMap;

use antt_domain::office::office_label;
use antt_domain::team::Seat;
use antt_proto::v1 as pb;

use super::{decoded, QueryError};
use crate::bitemporal::Snapshot;
use crate::key::{KeyBuilder, Kind};
use crate::limits;
use crate::store::Store;

/// Judges teams of one snapshot, reading each area, province and office list once.
pub(super) struct Composer<'s, 'a, S: Store> {
    snapshot: &'a Snapshot<'s, S>,
    /// Areas as the query walked them that day (an area merged into another is listed
    /// with its successor as parent); others are read from their own rows.
    nodes: BTreeMap<String, pb::AreaNode>,
    policies: BTreeMap<String, Vec<pb::CompositionPolicyRow>>,
    offices: BTreeMap<String, Vec<pb::OfficeRow>>,
    key_complex: BTreeMap<String, bool>,
}

/// Where a team lay that day: its commune and its province, if the tree tells.
#[derive(Default)]
struct Place {
    commune: Option<String>,
    province: Option<String>,
}

impl<'s, 'a, S: Store> Composer<'s, 'a, S> {
    /// `areas`: the areas the query walked on the snapshot's day.
    pub(super) fn new(snapshot: &'a Snapshot<'s, S>, areas: &[pb::AreaNode]) -> Self {
        Composer {
            snapshot,
            nodes: areas.iter().map(|node| (node.area_id.clone(), node.clone())).collect(),
            policies: BTreeMap::new(),
            offices: BTreeMap::new(),
            key_complex: BTreeMap::new(),
        }
    }

    /// The team against every policy in force for it on the snapshot's day.
    pub(super) fn judge(&mut self, team: &pb::TeamRow) -> Result<pb::TeamComposition, QueryError> {
        let mut composition = pb::TeamComposition {
            team_id: team.team_id.clone(),
            ..Default::default()
        };
        let place = self.place_of(&team.area_id)?;
        let Some(province) = &place.province else {
            return Ok(composition);
        };
        let key_complex = match &place.commune {
            Some(commune) => self.is_key_complex(commune)?,
            None => false,
        };
        for policy in self.policies_of(province)? {
            if policy.force_type != team.force_type || !applies(policy.scope(), key_complex) {
                continue;
            }
            composition.policy_ids.push(policy.policy_id.clone());
            for requirement in &policy.requirements {
                let office_area = match requirement.place() {
                    pb::OfficePlace::TeamCommune => place.commune.clone(),
                    _ => Some(team.area_id.clone()),
                };
                if let Some(breach) = self.breach(team, &policy, requirement, office_area)? {
                    composition.breaches.push(breach);
                }
            }
        }
        Ok(composition)
    }

    /// The breach of `requirement` by `team`, if its seat is vacant or held by someone
    /// who does not hold the office in `office_area` that day.
    fn breach(
        &mut self,
        team: &pb::TeamRow,
        policy: &pb::CompositionPolicyRow,
        requirement: &pb::RoleRequirement,
        office_area: Option<String>,
    ) -> Result<Option<pb::CompositionBreach>, QueryError> {
        let Some(seat) = Seat::of(requirement.role()) else {
            return Ok(None);
        };
        let holder = team
            .members
            .iter()
            .find(|member| Seat::of(member.role()) == Some(seat))
            .map(|member| member.person_id.clone());
        if let (Some(person_id), Some(area_id)) = (&holder, &office_area) {
            let holds = self
                .offices_in(area_id)?
                .iter()
                .any(|office| office.person_id == *person_id && office.kind == requirement.office);
            if holds {
                return Ok(None);
            }
        }
        let decision_number = policy
            .decision
            .as_ref()
            .map(|decision| decision.number.clone())
            .unwrap_or_default();
        let reason = reason(seat, requirement, holder.as_deref(), &decision_number);
        Ok(Some(pb::CompositionBreach {
            policy_id: policy.policy_id.clone(),
            decision_number,
            role: requirement.role,
            office: requirement.office,
            place: requirement.place,
            office_area_id: office_area.unwrap_or_default(),
            vacant: holder.is_none(),
            person_id: holder.unwrap_or_default(),
            reason,
        }))
    }

    /// The commune and province of `area_id` as the tree stood on the snapshot's day:
    /// the area itself or its nearest ancestor of each level.
    fn place_of(&mut self, area_id: &str) -> Result<Place, QueryError> {
        let mut place = Place::default();
        let mut current = area_id.to_string();
        // A cycle can only come from contradictory records; the walk is bounded.
        for _ in 0..limits::AREA_TREE_DEPTH_MAX {
            let Some(node) = self.node(&current)? else {
                break;
            };
            match node.level() {
                pb::AreaLevel::Commune if place.commune.is_none() => place.commune = Some(node.area_id.clone()),
                pb::AreaLevel::Province => {
                    place.province = Some(node.area_id.clone());
                    break;
                }
                _ => {}
            }
            if node.parent_area_id.is_empty() {
                break;
            }
            current = node.parent_area_id.clone();
        }
        Ok(place)
    }

    fn node(&mut self, area_id: &str) -> Result<Option<pb::AreaNode>, QueryError> {
        if let Some(node) = self.nodes.get(area_id) {
            return Ok(Some(node.clone()));
        }
        let rows: Vec<pb::AreaNode> = decoded(self.snapshot, &KeyBuilder::new(Kind::Area).text(area_id).build())?;
        let node = rows.into_iter().next();
        if let Some(node) = &node {
            self.nodes.insert(area_id.to_string(), node.clone());
        }
        Ok(node)
    }

    fn policies_of(&mut self, province_id: &str) -> Result<Vec<pb::CompositionPolicyRow>, QueryError> {
        if let Some(policies) = self.policies.get(province_id) {
            return Ok(policies.clone());
        }
        let prefix = KeyBuilder::new(Kind::CompositionPolicy).text(province_id).build();
        let policies: Vec<pb::CompositionPolicyRow> = decoded(self.snapshot, &prefix)?;
        self.policies.insert(province_id.to_string(), policies.clone());
        Ok(policies)
    }

    fn offices_in(&mut self, area_id: &str) -> Result<&[pb::OfficeRow], QueryError> {
        if !self.offices.contains_key(area_id) {
            let prefix = KeyBuilder::new(Kind::Office).text(area_id).build();
            let offices: Vec<pb::OfficeRow> = decoded(self.snapshot, &prefix)?;
            self.offices.insert(area_id.to_string(), offices);
        }
        Ok(self.offices.get(area_id).map_or(&[], Vec::as_slice))
    }

    /// Whether the commune was a key complex area that day. A hotspot row shows from its
    /// designation's day, and carries its transformation's day only from that day on, so
    /// a visible row without one stands on the snapshot's day.
    fn is_key_complex(&mut self, commune_id: &str) -> Result<bool, QueryError> {
        if let Some(standing) = self.key_complex.get(commune_id) {
            return Ok(*standing);
        }
        let prefix = KeyBuilder::new(Kind::Hotspot).text(commune_id).build();
        let hotspots: Vec<pb::HotspotRow> = decoded(self.snapshot, &prefix)?;
        let standing = hotspots.iter().any(|hotspot| hotspot.transformed_on.is_none());
        self.key_complex.insert(commune_id.to_string(), standing);
        Ok(standing)
    }
}

/// Whether a policy of `scope` applies to a team whose commune is (or is not) a key
/// complex area that day.
fn applies(scope: pb::CommuneScope, key_complex: bool) -> bool {
    match scope {
        pb::CommuneScope::All => true,
        pb::CommuneScope::KeyComplex => key_complex,
        pb::CommuneScope::NotKeyComplex => !key_complex,
        pb::CommuneScope::Unspecified => false,
    }
}

/// The breach in a clerk's words.
fn reason(seat: Seat, requirement: &pb::RoleRequirement, holder: Option<&str>, decision: &str) -> String {
    let office = office_label(requirement.office());
    let place = match requirement.place() {
        pb::OfficePlace::TeamCommune => "the team's commune (xã của tổ)",
        _ => "the team's area (địa bàn của tổ)",
    };
    match holder {
        Some(person_id) => format!(
            "the {} ({person_id}) does not hold the office of {office} in {place}, as {decision} requires \
             (không đúng cơ cấu)",
            seat.vietnamese()
        ),
        None => format!(
            "no {} that day: {decision} requires a {office} of {place} in that seat (khuyết {}, không đúng cơ cấu)",
            seat.vietnamese(),
            seat.vietnamese()
        ),
    }
}

#[cfg(test)]
mod tests;
