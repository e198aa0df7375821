//! Where each kind of record is, for the jurisdiction of those who write it: the areas
//! (or teams, which are in areas) a record's state places it in, and for targets the
//! unit an event is about.

use antt_domain::{
    area, arrest, award, composition, conference, document, figure, incident, inspection, office, person, rating,
    target, team, tip, Aggregate,
};
use antt_proto::v1 as pb;

/// A place a write is about: an area, or a team (whose area is looked up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Area(String),
    Team(String),
}

/// A record kind's places. `state` is the record on the write's effective date, once
/// before the new event and once after it; `event` is the new event.
pub trait Located: Aggregate {
    fn locations(state: &Self::State, event: &Self::Event) -> Vec<Location>;
}

fn area(id: &str) -> Vec<Location> {
    if id.is_empty() {
        Vec::new()
    } else {
        vec![Location::Area(id.to_string())]
    }
}

fn body(body: Option<&pb::Body>) -> Vec<Location> {
    body.map_or_else(Vec::new, |body| area(&body.area_id))
}

impl Located for area::Area {
    /// An area is where its parent is: registering one is a write in the parent, moving
    /// one a write in the old and the new parent. A province is its own place.
    fn locations(state: &area::State, _: &area::Event) -> Vec<Location> {
        if state.parent_area_id.is_empty() {
            area(&state.area_id)
        } else {
            area(&state.parent_area_id)
        }
    }
}

impl Located for team::Team {
    fn locations(state: &team::State, _: &team::Event) -> Vec<Location> {
        area(&state.area_id)
    }
}

impl Located for incident::Incident {
    fn locations(state: &incident::State, _: &incident::Event) -> Vec<Location> {
        area(&state.area_id)
    }
}

impl Located for tip::Tip {
    fn locations(state: &tip::State, _: &tip::Event) -> Vec<Location> {
        area(&state.area_id)
    }
}

impl Located for arrest::Arrest {
    fn locations(state: &arrest::State, _: &arrest::Event) -> Vec<Location> {
        area(&state.area_id)
    }
}

impl Located for rating::Rating {
    fn locations(state: &rating::State, _: &rating::Event) -> Vec<Location> {
        area(&state.unit_area_id)
    }
}

impl Located for inspection::Inspection {
    fn locations(state: &inspection::State, _: &inspection::Event) -> Vec<Location> {
        area(&state.inspected_area_id)
    }
}

impl Located for target::Target {
    /// A target is set for its scope; a value or a report is the unit's.
    fn locations(state: &target::State, event: &target::Event) -> Vec<Location> {
        match event {
            target::Event::Set(_) => area(&state.scope_area_id),
            target::Event::ValueRecorded(e) => area(&e.unit_area_id),
            target::Event::ReportSubmitted(e) => area(&e.unit_area_id),
        }
    }
}

impl Located for document::Document {
    /// A central body's document belongs to no area.
    fn locations(state: &document::State, _: &document::Event) -> Vec<Location> {
        state
            .document
            .as_ref()
            .map_or_else(Vec::new, |document| body(document.issued_by.as_ref()))
    }
}

impl Located for figure::Figure {
    fn locations(state: &figure::State, _: &figure::Event) -> Vec<Location> {
        state
            .figure
            .as_ref()
            .map_or_else(Vec::new, |figure| area(&figure.unit_area_id))
    }
}

impl Located for award::Award {
    /// A collective's award is where the collective is; a person's is nowhere in
    /// particular.
    fn locations(state: &award::State, _: &award::Event) -> Vec<Location> {
        use pb::award_granted::Recipient;
        match state.award.as_ref().and_then(|award| award.recipient.as_ref()) {
            Some(Recipient::AreaId(id)) => area(id),
            Some(Recipient::TeamId(id)) => vec![Location::Team(id.clone())],
            _ => Vec::new(),
        }
    }
}

impl Located for conference::Conference {
    fn locations(state: &conference::State, _: &conference::Event) -> Vec<Location> {
        state
            .conference
            .as_ref()
            .map_or_else(Vec::new, |conference| body(conference.organiser.as_ref()))
    }
}

impl Located for office::Office {
    fn locations(state: &office::State, _: &office::Event) -> Vec<Location> {
        area(state.area_id())
    }
}

impl Located for composition::Composition {
    /// A policy is its province's.
    fn locations(state: &composition::State, _: &composition::Event) -> Vec<Location> {
        area(state.province_area_id())
    }
}

impl Located for person::Person {
    /// A person belongs to no area: clerks anywhere register the persons they appoint.
    fn locations(_: &person::State, _: &person::Event) -> Vec<Location> {
        Vec::new()
    }
}
