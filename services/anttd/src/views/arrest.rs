//! The arrest as GetArrest shows it.

use antt_domain::arrest::State;
use antt_domain::Date;
use antt_proto::v1 as pb;

pub(crate) fn view(state: State, version: u64) -> pb::ArrestView {
    pb::ArrestView {
        arrest_id: state.arrest_id,
        area_id: state.area_id,
        arrested_on: state.arrested_on.map(Date::to_proto),
        surrendered: state.surrendered,
        public_helped: state.public_helped,
        arrested_by: state.arrested_by,
        person_id: state.person_id,
        version,
    }
}
