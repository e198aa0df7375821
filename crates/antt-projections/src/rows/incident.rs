//! An incident: one row in its area from the day it was reported, keyed by that day so
//! that a period is one range of keys.

use antt_domain::incident::{Incident, State};
use antt_proto::v1 as pb;
use pb::incident_resolved::Resolution as Wire;

use super::row;
use crate::derive::{Row, Rows};
use crate::key::{KeyBuilder, Kind};

impl Rows for Incident {
    fn rows(state: &State, out: &mut Vec<Row>) {
        let Some(reported_on) = state.reported_on else {
            return;
        };
        let (resolution, persons) = match state
            .resolution
            .as_ref()
            .and_then(|resolved| resolved.resolution.as_ref())
        {
            None => (pb::IncidentResolution::Unspecified, 0),
            Some(Wire::Mediated(_)) => (pb::IncidentResolution::Mediated, 0),
            Some(Wire::CommunePoliceHandled(_)) => (pb::IncidentResolution::CommunePoliceHandled, 0),
            Some(Wire::AdministrativeSanction(sanction)) => {
                (pb::IncidentResolution::AdministrativeSanction, sanction.subjects)
            }
            Some(Wire::Prosecution(prosecution)) => (pb::IncidentResolution::Prosecution, prosecution.defendants),
            Some(Wire::ComplaintSettled(_)) => (pb::IncidentResolution::ComplaintSettled, 0),
            Some(Wire::Transferred(_)) => (pb::IncidentResolution::Transferred, 0),
        };
        let incident = pb::IncidentRow {
            incident_id: state.incident_id.clone(),
            area_id: state.area_id.clone(),
            category: state.category as i32,
            reported_on: Some(reported_on.to_proto()),
            level: state.level as i32,
            co_levels: state.co_levels.iter().map(|level| *level as i32).collect(),
            classification: state.classification as i32,
            resolved_on: state.resolved.map(|date| date.to_proto()),
            resolution: resolution as i32,
            persons,
            mediations: state.mediations_count,
            successful_mediations: state.successful_mediations_count,
        };
        let key = KeyBuilder::new(Kind::Incident)
            .text(&state.area_id)
            .date(reported_on)
            .text(&state.incident_id);
        out.push(row(key.build(), &incident));
    }
}
