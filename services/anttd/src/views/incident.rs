//! The incident as GetIncident shows it.

use antt_domain::incident::State;
use antt_domain::Date;
use antt_proto::v1 as pb;

pub(crate) fn view(state: &State, version: u64) -> pb::IncidentView {
    pb::IncidentView {
        incident_id: state.incident_id.clone(),
        category: state.category.into(),
        area_id: state.area_id.clone(),
        complex: state.complex,
        level: state.level.into(),
        reported_on: state.reported_on.map(Date::to_proto),
        open: state.is_open(),
        resolved_on: state.resolved.map(Date::to_proto),
        mediations_count: state.mediations_count,
        successful_mediations_count: state.successful_mediations_count,
        dialogues_count: state.dialogues_count,
        version,
        co_handling_levels: state.co_levels.iter().map(|level| i32::from(*level)).collect(),
        classification: state.classification.into(),
        resolution: state.resolution.clone(),
    }
}
