//! The tip as GetTip shows it.

use antt_domain::tip::State;
use antt_domain::Date;
use antt_proto::v1 as pb;

pub(crate) fn view(state: &State, version: u64) -> pb::TipView {
    pb::TipView {
        tip_id: state.tip_id.clone(),
        area_id: state.area_id.clone(),
        received_on: state.received_on.map(Date::to_proto),
        assessed: state.valuable.is_some(),
        valuable: state.valuable.unwrap_or(false),
        led_to_incident_id: state.led_to_incident_id.clone(),
        version,
    }
}
