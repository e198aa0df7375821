//! The correctness oracle of the projections: for random histories (with backdating,
//! corrections, restructurings and area mergers), every indexed answer equals the answer
//! of a naive fold over the events recorded up to `known_at`, evaluated at `as_of`.
//!
//! Method. A history over a small fixed universe — a province, 2 districts, 4 communes
//! and 4 residential areas (merged into each other, re-parented, registered again under
//! another parent, split, dissolved, given codes that may clash, population figures, one
//! now and then without a date; now and then a district re-parented under one of its own
//! communes, a cycle only contradictory records make); 6 teams of several force types (members nominated,
//! appointed, leaving with reasons, replaced, transferred in, carried over or released by
//! a restructuring, a dissolution, a second establishment elsewhere, households of social
//! security groups); 6 incidents (assigned with co-handlers, mediated, escalated,
//! resolved, reopened, reported again for another area); ratings of 2 communes and 2
//! residential areas for 2016–2019 (registered, rated, corrected) — with effective dates
//! in 2008–2020, on the 1st or the 15th so that days coincide, is appended to a real sled
//! log in a shuffled order (so most records are backdated and corrected out of order),
//! one append per event or a few events of one stream together, with a person's event and
//! a client's own event among them. Events need not pass `decide` (`evolve` is total). The
//! engine applies it in one go (a rebuild) and, into a second store, in several runs with
//! a tiny cache; both stores must hold the same bytes. For several (as_of, known) pairs —
//! known = nothing, everything, a position mid-log or the moment an event was recorded;
//! as_of before, inside and after the history, often an event's own day or the day
//! before — every query over every area is compared with an oracle that folds each
//! record's known events in effective-date order (ties by position) with
//! `Aggregate::evolve` and answers from the domain states alone. The oracle reads neither
//! `rows` nor `query`, nor `Timeline`.
//!
//! Semantics the oracle follows, as the crate answers where the protos leave it open:
//! - A record's state on a day folds its events effective on or before that day.
//! - An area is listed from its registration's day until the day before it ends: not on
//!   the day of its merger, split or dissolution. From its merger's day it is listed
//!   under its successor, with the successor as its parent, and the areas still under it
//!   follow it. Siblings are in key order: the children by id, then the merged areas by id.
//!   An area asked for by code is found when exactly one listed area has that code.
//! - A team stands from its establishment until the day before its dissolution or its
//!   end by restructuring. A member is active from the appointment's day; one who left on
//!   D is not active on D.
//! - Joins and departures of a period (both ends included) are the terms begun and ended
//!   in it, as the records stood on the period's last day, for teams of the areas under
//!   the root that day (dissolved teams included). Only a member's last term carries the
//!   departure's reason and the replacement; an earlier term's end counts as a departure
//!   without a reason.
//! - Incidents of a period are those reported in it in the areas under the root on the
//!   period's last day, as they stood that day.
//! - Ratings of a year: the units are the areas of the level under the root on the
//!   year's last day (or `as_of`, if earlier), their ratings as they stood on `as_of`.
//! - The households of an area are its own figure, or else the sum over the areas under
//!   it of the topmost figures.
//!
//! A last check keeps the test honest: over all cases, every kind of answer must have
//! been non-trivial (merged areas listed, members, joins, departures by reason,
//! replacements, carried-over and released members, coverage, resolutions, safe streaks,
//! answers about the past that differ from the present).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt::Display;
use std::sync::Arc;
use std::time::Instant;

use antt_domain::team::{Departure, Stage};
use antt_domain::{area, incident, person, rating, team, Aggregate, Date, DomainEvent};
use antt_log::sled_log::{SledConfig, SledLog, SyncMode};
use antt_log::{AppendRequest, EventLog, ExpectedVersion, NewEvent, ReadAllRequest, RecordedEvent, Timestamp};
use antt_projections::bitemporal::{known_position, Snapshot};
use antt_projections::query::{self, AreaRef, Period, QueryError};
use antt_projections::store::{digest, MemoryStore, SledStore, Store};
use antt_projections::Engine;
use antt_proto::v1 as pb;
use pb::incident_resolved::Resolution;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use uuid::Uuid;

/// Histories per run: about a quarter of a second each in debug.
const CASES: u32 = 64;

// ---- The universe ----

const AREAS: usize = 11;
const COMMUNES: [usize; 4] = [3, 4, 5, 6];
const RESIDENTIAL: [usize; 4] = [7, 8, 9, 10];
const TEAMS: usize = 6;
const PERSONS: usize = 5;
const INCIDENTS: usize = 6;
const FIRST_YEAR: i32 = 2016;
const LAST_YEAR: i32 = 2019;
/// The rated units: two communes and two residential areas, so that runs of safe years
/// are common.
const UNITS: [usize; 4] = [3, 4, 7, 8];
/// Codes an area may be given later; two areas may end up with the same one.
const CODES: usize = 3;
/// Half-months from 1 January 2008 to 15 December 2020: the days events take effect on,
/// coarse so that one record often has several events on one day.
const DAYS: u16 = 13 * 24;

fn id(kind: u128, n: usize) -> String {
    Uuid::from_u128((kind << 64) | n as u128).to_string()
}

fn area_id(area: usize) -> String {
    id(0xA, area)
}

fn team_id(team: usize) -> String {
    id(0x7, team)
}

fn person_id(person: usize) -> String {
    id(0x9, person)
}

fn incident_id(incident: usize) -> String {
    id(0x1, incident)
}

/// 0: the province; 1–2: districts; 3–6: communes; 7–10: residential areas.
fn level(area: usize) -> pb::AreaLevel {
    match area {
        0 => pb::AreaLevel::Province,
        1 | 2 => pb::AreaLevel::District,
        3..=6 => pb::AreaLevel::Commune,
        _ => pb::AreaLevel::ResidentialArea,
    }
}

fn first_parent(area: usize) -> Option<usize> {
    match area {
        0 => None,
        1 | 2 => Some(0),
        3 | 4 => Some(1),
        5 | 6 => Some(2),
        7 | 8 => Some(3),
        9 => Some(4),
        _ => Some(5),
    }
}

fn registered_code(area: usize) -> String {
    format!("R{area:02}")
}

fn pool_code(n: usize) -> String {
    format!("P{n}")
}

/// The day of grid step `day`: the 1st or the 15th of a month from January 2008.
fn date(day: u16) -> Date {
    let month = i32::from(day / 2);
    let day_of_month = if day.is_multiple_of(2) { 1 } else { 15 };
    Date::new(2008 + month / 12, (month % 12) as u32 + 1, day_of_month).expect("a day of the grid")
}

fn days_after(date: Date, days: i64) -> Date {
    Date::from_days_since_unix_epoch(date.days_since_unix_epoch() + days)
}

/// The grid step of 1 December of `year`, plus `later` half-months.
fn rating_day(year: i32, later: u16) -> u16 {
    ((year - 2008) * 24 + 22) as u16 + later
}

// ---- Histories ----

#[derive(Clone, Debug)]
struct Skeleton {
    /// When each area was registered.
    registered: Vec<u16>,
    teams: Vec<TeamSpec>,
    incidents: Vec<IncidentSpec>,
}

#[derive(Clone, Debug)]
struct TeamSpec {
    force: pb::ForceType,
    area: usize,
    quota: Option<u32>,
    day: u16,
}

#[derive(Clone, Debug)]
struct IncidentSpec {
    area: usize,
    category: i32,
    day: u16,
}

/// One fact (one or two events), about areas by index.
#[derive(Clone, Debug)]
enum Op {
    /// A second registration, under another parent: a correction of where it belongs.
    Reregister {
        area: usize,
        parent: usize,
        day: u16,
    },
    Rename {
        area: usize,
        day: u16,
    },
    Code {
        area: usize,
        code: usize,
        day: u16,
    },
    Merge {
        area: usize,
        into: usize,
        day: u16,
    },
    Reparent {
        area: usize,
        parent: usize,
        day: u16,
    },
    DissolveArea {
        area: usize,
        day: u16,
    },
    Split {
        area: usize,
        ends: bool,
        day: u16,
    },
    /// A figure whose payload has no date: read as of `Date::MIN`.
    Undated {
        area: usize,
        households: u32,
    },
    Population {
        area: usize,
        households: u32,
        population: u32,
        day: u16,
    },
    /// A second establishment, in another area: a correction of where it works.
    Reestablish {
        team: usize,
        area: usize,
        day: u16,
    },
    Quota {
        team: usize,
        quota: Option<u32>,
        day: u16,
    },
    Nominate {
        team: usize,
        person: usize,
        day: u16,
    },
    Appoint {
        team: usize,
        person: usize,
        role: i32,
        day: u16,
    },
    ChangeRole {
        team: usize,
        person: usize,
        role: i32,
        day: u16,
    },
    Leave {
        team: usize,
        person: usize,
        reason: i32,
        day: u16,
    },
    Replace {
        team: usize,
        leaver: usize,
        successor: usize,
        reason: i32,
        role: i32,
        day: u16,
    },
    TransferIn {
        team: usize,
        members: Vec<(usize, i32)>,
        day: u16,
    },
    Restructure {
        team: usize,
        carried: Vec<usize>,
        released: Vec<usize>,
        ends: bool,
        day: u16,
    },
    DissolveTeam {
        team: usize,
        day: u16,
    },
    Households {
        team: usize,
        households: u32,
        day: u16,
    },
    /// A second report, of another area and day: a correction.
    Rereport {
        incident: usize,
        area: usize,
        day: u16,
    },
    Assign {
        incident: usize,
        level: i32,
        co: Vec<i32>,
        day: u16,
    },
    Mediate {
        incident: usize,
        succeeded: bool,
        day: u16,
    },
    Escalate {
        incident: usize,
        level: i32,
        day: u16,
    },
    Resolve {
        incident: usize,
        how: u8,
        persons: u32,
        day: u16,
    },
    Reopen {
        incident: usize,
        day: u16,
    },
    Classify {
        incident: usize,
        classification: i32,
        day: u16,
    },
    Strive {
        unit: usize,
        year: i32,
        day: u16,
    },
    Rate {
        unit: usize,
        year: i32,
        outcome: i32,
        day: u16,
    },
    Correct {
        unit: usize,
        year: i32,
        outcome: i32,
        day: u16,
    },
    Pledges {
        unit: usize,
        year: i32,
        day: u16,
    },
}

/// An event as generated, before and after it is recorded.
#[derive(Clone, Debug, PartialEq)]
enum Typed {
    Area(area::Event),
    Team(team::Event),
    Incident(incident::Event),
    Rating(rating::Event),
    /// No projection reads it.
    Person(person::Event),
    /// Not a domain event at all: a client's own stream.
    Foreign,
}

impl Typed {
    fn encoded(&self) -> (String, u32, Vec<u8>) {
        fn of(event: &impl DomainEvent) -> (String, u32, Vec<u8>) {
            let encoded = event.encode();
            (encoded.event_type.to_owned(), encoded.schema_version, encoded.payload)
        }
        match self {
            Typed::Area(event) => of(event),
            Typed::Team(event) => of(event),
            Typed::Incident(event) => of(event),
            Typed::Rating(event) => of(event),
            Typed::Person(event) => of(event),
            Typed::Foreign => ("client.v1.Note".to_owned(), 1, b"a note of the client's own".to_vec()),
        }
    }

    fn effective(&self) -> Option<Date> {
        match self {
            Typed::Area(event) => Some(event.effective_date()),
            Typed::Team(event) => Some(event.effective_date()),
            Typed::Incident(event) => Some(event.effective_date()),
            Typed::Rating(event) => Some(event.effective_date()),
            Typed::Person(event) => Some(event.effective_date()),
            Typed::Foreign => None,
        }
    }
}

#[derive(Clone, Debug)]
struct Planned {
    stream: String,
    event: Typed,
}

fn on(day: u16) -> Option<pb::Date> {
    Some(date(day).to_proto())
}

fn area_event(area: usize, event: area::Event) -> Planned {
    Planned {
        stream: format!("area-{}", area_id(area)),
        event: Typed::Area(event),
    }
}

fn team_event(team: usize, event: team::Event) -> Planned {
    Planned {
        stream: format!("team-{}", team_id(team)),
        event: Typed::Team(event),
    }
}

fn incident_event(incident: usize, event: incident::Event) -> Planned {
    Planned {
        stream: format!("incident-{}", incident_id(incident)),
        event: Typed::Incident(event),
    }
}

fn rating_event(unit: usize, year: i32, event: rating::Event) -> Planned {
    Planned {
        stream: format!("rating-{}-{year}", area_id(unit)),
        event: Typed::Rating(event),
    }
}

/// The events of a history, in the order they were planned (not recorded).
fn plan(skeleton: &Skeleton, ops: &[Op]) -> Vec<Planned> {
    let mut events = Vec::new();
    for (area, day) in skeleton.registered.iter().copied().enumerate() {
        events.push(area_event(
            area,
            area::Event::Registered(pb::AreaRegistered {
                area_id: area_id(area),
                official_code: registered_code(area),
                name: format!("Địa bàn {area}"),
                level: level(area) as i32,
                division_type: "xã".to_owned(),
                parent_area_id: first_parent(area).map(area_id).unwrap_or_default(),
                effective_date: on(day),
                ..Default::default()
            }),
        ));
    }
    for (team, spec) in skeleton.teams.iter().enumerate() {
        events.push(team_event(
            team,
            team::Event::Established(pb::TeamEstablished {
                team_id: team_id(team),
                name: format!("Tổ {}", TEAMS - team),
                force_type: spec.force as i32,
                area_id: area_id(spec.area),
                quota: spec.quota,
                effective_date: on(spec.day),
                ..Default::default()
            }),
        ));
    }
    for (incident, spec) in skeleton.incidents.iter().enumerate() {
        events.push(incident_event(
            incident,
            incident::Event::Reported(pb::IncidentReported {
                incident_id: incident_id(incident),
                category: spec.category,
                area_id: area_id(spec.area),
                summary: "vụ việc".to_owned(),
                effective_date: on(spec.day),
                ..Default::default()
            }),
        ));
    }
    events.push(Planned {
        stream: format!("person-{}", person_id(0)),
        event: Typed::Person(person::Event::Registered(pb::PersonRegistered {
            person_id: person_id(0),
            effective_date: on(0),
            ..Default::default()
        })),
    });
    events.push(Planned {
        stream: "client-notes".to_owned(),
        event: Typed::Foreign,
    });
    for (n, op) in ops.iter().enumerate() {
        plan_op(n, op, &mut events);
    }
    events
}

fn plan_op(n: usize, op: &Op, events: &mut Vec<Planned>) {
    match op.clone() {
        Op::Reregister { area, parent, day } => events.push(area_event(
            area,
            area::Event::Registered(pb::AreaRegistered {
                area_id: area_id(area),
                official_code: registered_code(area),
                name: format!("Địa bàn {area} (đăng ký lại {n})"),
                level: level(area) as i32,
                division_type: "xã".to_owned(),
                parent_area_id: area_id(parent),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Rename { area, day } => events.push(area_event(
            area,
            area::Event::Renamed(pb::AreaRenamed {
                area_id: area_id(area),
                new_name: format!("Địa bàn {area} (đổi tên {n})"),
                new_division_type: if n.is_multiple_of(2) {
                    "phường".to_owned()
                } else {
                    String::new()
                },
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Code { area, code, day } => events.push(area_event(
            area,
            area::Event::CodeAssigned(pb::AreaCodeAssigned {
                area_id: area_id(area),
                official_code: pool_code(code),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Merge { area, into, day } => {
            events.push(area_event(
                area,
                area::Event::MergedInto(pb::AreaMergedInto {
                    area_id: area_id(area),
                    successor_area_id: area_id(into),
                    effective_date: on(day),
                    ..Default::default()
                }),
            ));
            events.push(area_event(
                into,
                area::Event::AbsorbedAreas(pb::AreaAbsorbedAreas {
                    area_id: area_id(into),
                    absorbed_area_ids: vec![area_id(area)],
                    effective_date: on(day),
                    ..Default::default()
                }),
            ));
        }
        Op::Reparent { area, parent, day } => events.push(area_event(
            area,
            area::Event::Reparented(pb::AreaReparented {
                area_id: area_id(area),
                new_parent_area_id: area_id(parent),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::DissolveArea { area, day } => events.push(area_event(
            area,
            area::Event::Dissolved(pb::AreaDissolved {
                area_id: area_id(area),
                reason: "giải thể".to_owned(),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Split { area, ends, day } => events.push(area_event(
            area,
            area::Event::Split(pb::AreaSplit {
                area_id: area_id(area),
                part_area_ids: vec![id(0xB, n)],
                original_ends: ends,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Undated { area, households } => events.push(area_event(
            area,
            area::Event::PopulationRecorded(pb::AreaPopulationRecorded {
                area_id: area_id(area),
                households,
                population: households * 4,
                effective_date: None,
                ..Default::default()
            }),
        )),
        Op::Population {
            area,
            households,
            population,
            day,
        } => events.push(area_event(
            area,
            area::Event::PopulationRecorded(pb::AreaPopulationRecorded {
                area_id: area_id(area),
                households,
                population,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Reestablish { team, area, day } => events.push(team_event(
            team,
            team::Event::Established(pb::TeamEstablished {
                team_id: team_id(team),
                name: format!("Tổ {} (thành lập lại {n})", TEAMS - team),
                force_type: pb::ForceType::SocialSecurityGroup as i32,
                area_id: area_id(area),
                quota: Some(2),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Quota { team, quota, day } => events.push(team_event(
            team,
            team::Event::QuotaChanged(pb::TeamQuotaChanged {
                team_id: team_id(team),
                new_quota: quota,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Nominate { team, person, day } => events.push(team_event(
            team,
            team::Event::MemberNominated(pb::MemberNominated {
                team_id: team_id(team),
                person_id: person_id(person),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Appoint {
            team,
            person,
            role,
            day,
        } => events.push(team_event(
            team,
            team::Event::MemberAppointed(pb::MemberAppointed {
                team_id: team_id(team),
                person_id: person_id(person),
                role,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::ChangeRole {
            team,
            person,
            role,
            day,
        } => events.push(team_event(
            team,
            team::Event::MemberRoleChanged(pb::MemberRoleChanged {
                team_id: team_id(team),
                person_id: person_id(person),
                new_role: role,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Leave {
            team,
            person,
            reason,
            day,
        } => events.push(team_event(team, left(team, person, reason, day))),
        Op::Replace {
            team,
            leaver,
            successor,
            reason,
            role,
            day,
        } => {
            events.push(team_event(team, left(team, leaver, reason, day)));
            events.push(team_event(
                team,
                team::Event::MemberReplaced(pb::MemberReplaced {
                    team_id: team_id(team),
                    leaver_person_id: person_id(leaver),
                    successor_person_id: person_id(successor),
                    role,
                    effective_date: on(day),
                    ..Default::default()
                }),
            ));
        }
        Op::TransferIn { team, members, day } => events.push(team_event(
            team,
            team::Event::MembersTransferredIn(pb::TeamMembersTransferredIn {
                team_id: team_id(team),
                from_team_id: team_id((team + 1) % TEAMS),
                members: members
                    .into_iter()
                    .map(|(person, role)| pb::TransferredMember {
                        person_id: person_id(person),
                        role,
                    })
                    .collect(),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Restructure {
            team,
            carried,
            released,
            ends,
            day,
        } => {
            let successor = team_id((team + 1) % TEAMS);
            events.push(team_event(
                team,
                team::Event::Restructured(pb::TeamRestructured {
                    team_id: team_id(team),
                    kind: pb::RestructureKind::Merge as i32,
                    successor_team_ids: vec![successor.clone()],
                    carried_over: carried
                        .into_iter()
                        .map(|person| pb::CarriedOverMember {
                            person_id: person_id(person),
                            successor_team_id: successor.clone(),
                        })
                        .collect(),
                    released_person_ids: released.into_iter().map(person_id).collect(),
                    team_ends: ends,
                    effective_date: on(day),
                    ..Default::default()
                }),
            ));
        }
        Op::DissolveTeam { team, day } => events.push(team_event(
            team,
            team::Event::Dissolved(pb::TeamDissolved {
                team_id: team_id(team),
                reason: "giải thể".to_owned(),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Households { team, households, day } => events.push(team_event(
            team,
            team::Event::GroupHouseholdsRecorded(pb::GroupHouseholdsRecorded {
                team_id: team_id(team),
                households,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Rereport { incident, area, day } => events.push(incident_event(
            incident,
            incident::Event::Reported(pb::IncidentReported {
                incident_id: incident_id(incident),
                category: pb::IncidentCategory::Theft as i32,
                area_id: area_id(area),
                summary: "vụ việc (báo lại)".to_owned(),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Assign {
            incident,
            level,
            co,
            day,
        } => events.push(incident_event(
            incident,
            incident::Event::Assigned(pb::IncidentAssigned {
                incident_id: incident_id(incident),
                level,
                co_handlers: co
                    .into_iter()
                    .map(|level| pb::IncidentCoHandler {
                        level,
                        team_id: String::new(),
                    })
                    .collect(),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Mediate {
            incident,
            succeeded,
            day,
        } => events.push(incident_event(
            incident,
            incident::Event::MediationAttempted(pb::IncidentMediationAttempted {
                incident_id: incident_id(incident),
                outcome: if succeeded {
                    pb::MediationOutcome::Succeeded
                } else {
                    pb::MediationOutcome::Failed
                } as i32,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Escalate { incident, level, day } => events.push(incident_event(
            incident,
            incident::Event::Escalated(pb::IncidentEscalated {
                incident_id: incident_id(incident),
                to_level: level,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Resolve {
            incident,
            how,
            persons,
            day,
        } => {
            let resolution = match how {
                0 => None,
                1 => Some(Resolution::Mediated(pb::ResolutionMediated {})),
                2 => Some(Resolution::CommunePoliceHandled(pb::ResolutionCommunePoliceHandled {})),
                3 => Some(Resolution::AdministrativeSanction(
                    pb::ResolutionAdministrativeSanction { subjects: persons },
                )),
                4 => Some(Resolution::Prosecution(pb::ResolutionProsecution {
                    defendants: persons,
                })),
                5 => Some(Resolution::ComplaintSettled(pb::ResolutionComplaintSettled {})),
                _ => Some(Resolution::Transferred(pb::ResolutionTransferred {
                    to_body: "Công an huyện".to_owned(),
                })),
            };
            events.push(incident_event(
                incident,
                incident::Event::Resolved(pb::IncidentResolved {
                    incident_id: incident_id(incident),
                    resolution,
                    effective_date: on(day),
                    ..Default::default()
                }),
            ));
        }
        Op::Reopen { incident, day } => events.push(incident_event(
            incident,
            incident::Event::Reopened(pb::IncidentReopened {
                incident_id: incident_id(incident),
                reason: "tái phát".to_owned(),
                effective_date: on(day),
            }),
        )),
        Op::Classify {
            incident,
            classification,
            day,
        } => events.push(incident_event(
            incident,
            incident::Event::Classified(pb::IncidentClassified {
                incident_id: incident_id(incident),
                classification,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Strive { unit, year, day } => events.push(rating_event(
            unit,
            year,
            rating::Event::StriveRegistered(pb::StriveRegistered {
                unit_area_id: area_id(unit),
                unit_level: level(unit) as i32,
                year,
                effective_date: on(day),
            }),
        )),
        Op::Rate {
            unit,
            year,
            outcome,
            day,
        } => events.push(rating_event(
            unit,
            year,
            rating::Event::Rated(pb::UnitRated {
                rating_id: id(0x5, n),
                unit_area_id: area_id(unit),
                unit_level: level(unit) as i32,
                year,
                outcome,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Correct {
            unit,
            year,
            outcome,
            day,
        } => events.push(rating_event(
            unit,
            year,
            rating::Event::Corrected(pb::RatingCorrected {
                rating_id: id(0x5, n),
                unit_area_id: area_id(unit),
                year,
                outcome,
                reason: "đính chính".to_owned(),
                effective_date: on(day),
                ..Default::default()
            }),
        )),
        Op::Pledges { unit, year, day } => events.push(rating_event(
            unit,
            year,
            rating::Event::PledgesRecorded(pb::PledgesRecorded {
                unit_area_id: area_id(unit),
                year,
                pledges_signed: 12,
                effective_date: on(day),
                ..Default::default()
            }),
        )),
    }
}

fn left(team: usize, person: usize, reason: i32, day: u16) -> team::Event {
    team::Event::MemberLeft(pb::MemberLeft {
        team_id: team_id(team),
        person_id: person_id(person),
        reason,
        effective_date: on(day),
        ..Default::default()
    })
}

// ---- Strategies ----

fn day() -> impl Strategy<Value = u16> {
    0..DAYS
}

fn early_day() -> impl Strategy<Value = u16> {
    prop_oneof![4 => 0u16..72, 1 => day()]
}

/// Mostly from 2014: when areas end, so that they stand for most of the history.
fn late_day() -> impl Strategy<Value = u16> {
    prop_oneof![4 => DAYS / 2..DAYS, 1 => day()]
}

fn lower_area() -> impl Strategy<Value = usize> {
    3usize..AREAS
}

/// Another area of the same level as `area` (a commune or a residential area).
fn same_level_other(area: usize, step: usize) -> usize {
    let group = if area < 7 { COMMUNES } else { RESIDENTIAL };
    group[(area - group[0] + step) % group.len()]
}

/// A parent of the right level for `area`.
fn parent_for(area: usize, pick: usize) -> usize {
    if area < 7 {
        1 + pick % 2
    } else {
        COMMUNES[pick % COMMUNES.len()]
    }
}

fn force() -> impl Strategy<Value = pb::ForceType> {
    prop_oneof![
        2 => Just(pb::ForceType::SocialSecurityGroup),
        1 => Just(pb::ForceType::SecurityProtectionTeam),
        1 => Just(pb::ForceType::CoreForceTeam),
        1 => Just(pb::ForceType::SelfManagementModel),
    ]
}

fn role() -> impl Strategy<Value = i32> {
    prop_oneof![4 => Just(pb::MemberRole::Member as i32), 2 => 0i32..=5]
}

fn skeleton() -> impl Strategy<Value = Skeleton> {
    let team =
        (force(), lower_area(), proptest::option::of(1u32..5), early_day()).prop_map(|(force, area, quota, day)| {
            TeamSpec {
                force,
                area,
                quota,
                day,
            }
        });
    let incident = (lower_area(), 0i32..=14, day()).prop_map(|(area, category, day)| IncidentSpec {
        area,
        category: category % 5,
        day,
    });
    (vec(early_day(), AREAS), vec(team, TEAMS), vec(incident, INCIDENTS)).prop_map(|(registered, teams, incidents)| {
        Skeleton {
            registered,
            teams,
            incidents,
        }
    })
}

fn area_op() -> BoxedStrategy<Op> {
    prop_oneof![
        1 => (lower_area(), 0usize..4, day()).prop_map(|(area, pick, day)| Op::Reregister {
            area,
            parent: parent_for(area, pick),
            day,
        }),
        1 => (0usize..AREAS, day()).prop_map(|(area, day)| Op::Rename { area, day }),
        1 => (0usize..AREAS, 1u32..400).prop_map(|(area, households)| Op::Undated { area, households }),
        2 => (0usize..AREAS, 0usize..CODES, day()).prop_map(|(area, code, day)| Op::Code { area, code, day }),
        2 => (lower_area(), 1usize..4, late_day()).prop_map(|(area, step, day)| Op::Merge {
            area,
            into: same_level_other(area, step),
            day,
        }),
        3 => (lower_area(), 0usize..4, day()).prop_map(|(area, pick, day)| Op::Reparent {
            area,
            parent: parent_for(area, pick),
            day,
        }),
        // Contradictory records: a district under one of its own communes, a cycle.
        1 => (1usize..3, proptest::sample::select(COMMUNES.as_slice()), late_day())
            .prop_map(|(area, parent, day)| Op::Reparent { area, parent, day }),
        1 => (lower_area(), late_day()).prop_map(|(area, day)| Op::DissolveArea { area, day }),
        1 => (lower_area(), any::<bool>(), late_day()).prop_map(|(area, ends, day)| Op::Split { area, ends, day }),
        4 => (0usize..AREAS, 0u32..400, 0u32..2000, day()).prop_map(|(area, households, population, day)| {
            Op::Population {
                area,
                households,
                population,
                day,
            }
        }),
    ]
    .boxed()
}

fn team_op() -> BoxedStrategy<Op> {
    let team = || 0usize..TEAMS;
    let person = || 0usize..PERSONS;
    let reason = || 0i32..=8;
    prop_oneof![
        1 => (team(), lower_area(), day()).prop_map(|(team, area, day)| Op::Reestablish { team, area, day }),
        1 => (team(), proptest::option::of(1u32..5), day()).prop_map(|(team, quota, day)| Op::Quota { team, quota, day }),
        1 => (team(), person(), day()).prop_map(|(team, person, day)| Op::Nominate { team, person, day }),
        8 => (team(), person(), role(), day()).prop_map(|(team, person, role, day)| Op::Appoint {
            team,
            person,
            role,
            day,
        }),
        1 => (team(), person(), role(), day()).prop_map(|(team, person, role, day)| Op::ChangeRole {
            team,
            person,
            role,
            day,
        }),
        4 => (team(), person(), reason(), day()).prop_map(|(team, person, reason, day)| Op::Leave {
            team,
            person,
            reason,
            day,
        }),
        3 => (team(), person(), person(), reason(), role(), day()).prop_map(
            |(team, leaver, successor, reason, role, day)| Op::Replace {
                team,
                leaver,
                successor,
                reason,
                role,
                day,
            }
        ),
        1 => (team(), vec((person(), role()), 1..3), day()).prop_map(|(team, members, day)| Op::TransferIn {
            team,
            members,
            day,
        }),
        2 => (team(), vec(person(), 1..4), vec(person(), 0..3), any::<bool>(), day()).prop_map(
            |(team, carried, released, ends, day)| Op::Restructure {
                team,
                carried,
                released,
                ends,
                day,
            }
        ),
        1 => (team(), day()).prop_map(|(team, day)| Op::DissolveTeam { team, day }),
        2 => (team(), 0u32..80, day()).prop_map(|(team, households, day)| Op::Households {
            team,
            households,
            day,
        }),
    ]
    .boxed()
}

fn incident_op() -> BoxedStrategy<Op> {
    let incident = || 0usize..INCIDENTS;
    prop_oneof![
        2 => (incident(), 0i32..=8, vec(0i32..=8, 0..3), day()).prop_map(|(incident, level, co, day)| {
            Op::Assign {
                incident,
                level,
                co,
                day,
            }
        }),
        1 => (incident(), lower_area(), day()).prop_map(|(incident, area, day)| Op::Rereport { incident, area, day }),
        2 => (incident(), any::<bool>(), day()).prop_map(|(incident, succeeded, day)| Op::Mediate {
            incident,
            succeeded,
            day,
        }),
        1 => (incident(), 1i32..=8, day()).prop_map(|(incident, level, day)| Op::Escalate { incident, level, day }),
        3 => (incident(), 0u8..7, 0u32..4, day()).prop_map(|(incident, how, persons, day)| Op::Resolve {
            incident,
            how,
            persons,
            day,
        }),
        1 => (incident(), day()).prop_map(|(incident, day)| Op::Reopen { incident, day }),
        1 => (incident(), 0i32..=4, day()).prop_map(|(incident, classification, day)| Op::Classify {
            incident,
            classification,
            day,
        }),
    ]
    .boxed()
}

fn rating_op() -> BoxedStrategy<Op> {
    let unit_year = || {
        (
            proptest::sample::select(UNITS.as_slice()),
            FIRST_YEAR..=LAST_YEAR,
            0u16..16,
        )
    };
    let outcome = || prop_oneof![4 => Just(pb::SafetyOutcome::Safe as i32), 2 => Just(2i32), 1 => Just(0i32)];
    prop_oneof![
        2 => unit_year().prop_map(|(unit, year, later)| Op::Strive {
            unit,
            year,
            day: rating_day(year, later).saturating_sub(20),
        }),
        5 => (unit_year(), outcome()).prop_map(|((unit, year, later), outcome)| Op::Rate {
            unit,
            year,
            outcome,
            day: rating_day(year, later),
        }),
        2 => (unit_year(), outcome()).prop_map(|((unit, year, later), outcome)| Op::Correct {
            unit,
            year,
            outcome,
            day: rating_day(year, later + 2),
        }),
        1 => unit_year().prop_map(|(unit, year, later)| Op::Pledges {
            unit,
            year,
            day: rating_day(year, later),
        }),
    ]
    .boxed()
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![3 => area_op(), 5 => team_op(), 3 => incident_op(), 4 => rating_op()]
}

/// A day asked about.
#[derive(Clone, Copy, Debug)]
enum DaySpec {
    /// 2005, before every dated event (undated ones hold from the beginning of time).
    Before,
    /// After every event.
    After,
    Grid(u16),
    /// The day an event takes effect, moved by -1, 0 or 1 days.
    OfEvent(usize, i64),
}

/// The records asked about.
#[derive(Clone, Copy, Debug)]
enum KnownSpec {
    Nothing,
    Everything,
    /// A position, as a share of the log in thousandths.
    Position(u16),
    /// The moment an event was recorded, moved by -1, 0 or 1 µs.
    Moment(usize, i64),
}

#[derive(Clone, Copy, Debug)]
struct ProbeSpec {
    known: KnownSpec,
    day: DaySpec,
    period: (DaySpec, DaySpec),
    /// Whether the period ends before it starts (and so holds no day).
    inverted: bool,
    year: i32,
}

fn day_spec() -> impl Strategy<Value = DaySpec> {
    prop_oneof![
        1 => Just(DaySpec::Before),
        1 => Just(DaySpec::After),
        3 => day().prop_map(DaySpec::Grid),
        6 => (any::<usize>(), -1i64..=1).prop_map(|(event, shift)| DaySpec::OfEvent(event, shift)),
    ]
}

fn known_spec() -> impl Strategy<Value = KnownSpec> {
    prop_oneof![
        1 => Just(KnownSpec::Nothing),
        2 => Just(KnownSpec::Everything),
        3 => (0u16..=1000).prop_map(KnownSpec::Position),
        3 => (any::<usize>(), -1i64..=1).prop_map(|(event, shift)| KnownSpec::Moment(event, shift)),
    ]
}

fn probe() -> impl Strategy<Value = ProbeSpec> {
    (
        known_spec(),
        day_spec(),
        (day_spec(), day_spec()),
        prop::bool::weighted(0.1),
        FIRST_YEAR - 1..=LAST_YEAR + 1,
    )
        .prop_map(|(known, day, period, inverted, year)| ProbeSpec {
            known,
            day,
            period,
            inverted,
            year,
        })
}

#[derive(Clone, Debug)]
struct Case {
    /// In recording order.
    events: Vec<Planned>,
    /// Whether an event is appended together with the one before it, when both are of
    /// one stream (at most three together).
    together: Vec<bool>,
    probes: Vec<ProbeSpec>,
    /// Where the incremental application stops and reopens, in thousandths of the log.
    stops: Vec<u16>,
    /// Events per `Engine::apply` of the incremental application, in turn.
    chunks: Vec<usize>,
    /// The incremental engine's cache bound.
    cache: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (skeleton(), vec(op(), 25..90))
        .prop_flat_map(|(skeleton, ops)| {
            let planned = plan(&skeleton, &ops);
            let count = planned.len();
            (
                Just(planned).prop_shuffle(),
                vec(prop::bool::weighted(0.3), count),
                vec(probe(), 4..7),
                vec(0u16..=1000, 1..4),
                vec(1usize..6, 1..8),
                0usize..3,
            )
        })
        .prop_map(|(events, together, mut probes, stops, chunks, cache)| {
            // Always nothing known and everything known, once each.
            if let Some(first) = probes.get_mut(0) {
                first.known = KnownSpec::Nothing;
            }
            if let Some(second) = probes.get_mut(1) {
                second.known = KnownSpec::Everything;
            }
            Case {
                events,
                together,
                probes,
                stops,
                chunks,
                cache,
            }
        })
}

// ---- The oracle ----

/// An event as the log recorded it.
#[derive(Clone, Debug)]
struct Recorded {
    position: u64,
    recorded_at: i64,
    stream: String,
    event: Typed,
}

/// Which recorded events a reader knew.
#[derive(Clone, Copy, Debug)]
enum Knows {
    /// The events before a position.
    Before(u64),
    /// The events recorded at or before a moment (µs).
    At(i64),
}

impl Knows {
    fn knows(self, event: &Recorded) -> bool {
        match self {
            Knows::Before(position) => event.position < position,
            Knows::At(moment) => event.recorded_at <= moment,
        }
    }
}

/// What walks of area trees met.
#[derive(Clone, Copy, Debug, Default)]
struct Walked {
    /// Merged areas listed under their successor.
    merged: usize,
    /// Roots found again under themselves.
    cycles: usize,
}

/// Every record known, as it stood on one day.
#[derive(Default)]
struct World {
    areas: Vec<area::State>,
    teams: Vec<team::State>,
    incidents: Vec<incident::State>,
    ratings: Vec<rating::State>,
}

/// The record's state on `day`: its events effective by then, by date then position.
fn fold<A: Aggregate>(mut events: Vec<(u64, &A::Event)>, day: Date) -> A::State {
    events.retain(|(_, event)| event.effective_date() <= day);
    events.sort_by_key(|(position, event)| (event.effective_date(), *position));
    events
        .into_iter()
        .fold(A::State::default(), |state, (_, event)| A::evolve(state, event))
}

impl World {
    fn new(history: &[Recorded], knows: Knows, day: Date) -> World {
        let mut streams: BTreeMap<&str, Vec<&Recorded>> = BTreeMap::new();
        for event in history.iter().filter(|event| knows.knows(event)) {
            streams.entry(&event.stream).or_default().push(event);
        }
        let mut world = World::default();
        for events in streams.values() {
            macro_rules! of {
                ($variant:ident) => {
                    events
                        .iter()
                        .filter_map(|event| match &event.event {
                            Typed::$variant(inner) => Some((event.position, inner)),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                };
            }
            match events.first().map(|event| &event.event) {
                Some(Typed::Area(_)) => world.areas.push(fold::<area::Area>(of!(Area), day)),
                Some(Typed::Team(_)) => world.teams.push(fold::<team::Team>(of!(Team), day)),
                Some(Typed::Incident(_)) => world.incidents.push(fold::<incident::Incident>(of!(Incident), day)),
                Some(Typed::Rating(_)) => world.ratings.push(fold::<rating::Rating>(of!(Rating), day)),
                _ => {}
            }
        }
        world
    }

    fn listed(state: &area::State) -> bool {
        state.registered_on.is_some() && state.ending.is_none()
    }

    fn node(state: &area::State) -> pb::AreaNode {
        let latest = state.population.last();
        pb::AreaNode {
            area_id: state.area_id.clone(),
            name: state.name.clone(),
            level: state.level as i32,
            code: state.codes.last().map(|code| code.code.clone()).unwrap_or_default(),
            division_type: state.division_type.clone(),
            parent_area_id: state.parent_area_id.clone(),
            households: latest.map_or(0, |figure| figure.households),
            population: latest.map_or(0, |figure| figure.population),
            registered_on: state.registered_on.map(Date::to_proto),
        }
    }

    fn root(&self, area: &AreaRef) -> Option<pb::AreaNode> {
        let mut found = self
            .areas
            .iter()
            .filter(|state| World::listed(state))
            .filter(|state| match area {
                AreaRef::Id(id) => state.area_id == *id,
                AreaRef::Code(code) => state.codes.last().is_some_and(|last| last.code == *code),
            });
        match (found.next(), found.next()) {
            (Some(state), None) => Some(World::node(state)),
            _ => None,
        }
    }

    /// The areas under `root`, breadth first, each parent's children then the areas
    /// merged into it, each by id (each area once, as the records may hold a cycle); and
    /// what the walk met.
    fn subtree(&self, root: &pb::AreaNode) -> (Vec<pb::AreaNode>, Walked) {
        let mut seen = BTreeSet::from([root.area_id.clone()]);
        let mut queue = VecDeque::from([root.area_id.clone()]);
        let mut listed = Vec::new();
        let mut walked = Walked::default();
        while let Some(parent) = queue.pop_front() {
            let mut children: Vec<&area::State> = self
                .areas
                .iter()
                .filter(|state| World::listed(state) && state.parent_area_id == parent)
                .collect();
            children.sort_by(|a, b| a.area_id.cmp(&b.area_id));
            let mut merged: Vec<&area::State> = self
                .areas
                .iter()
                .filter(|state| {
                    state.registered_on.is_some()
                        && matches!(&state.ending, Some(area::Ending {
                            how: area::EndKind::MergedInto { successor_area_id },
                            ..
                        }) if *successor_area_id == parent)
                })
                .collect();
            merged.sort_by(|a, b| a.area_id.cmp(&b.area_id));
            let merged = merged.into_iter().map(|state| {
                let mut node = World::node(state);
                node.parent_area_id = parent.clone();
                (node, true)
            });
            for (node, was_merged) in children
                .into_iter()
                .map(|state| (World::node(state), false))
                .chain(merged)
            {
                walked.cycles += usize::from(node.area_id == root.area_id);
                if seen.insert(node.area_id.clone()) {
                    walked.merged += usize::from(was_merged);
                    queue.push_back(node.area_id.clone());
                    listed.push(node);
                }
            }
        }
        (listed, walked)
    }

    /// The root and every area under it.
    fn areas_of(&self, area: &AreaRef) -> Option<Vec<pb::AreaNode>> {
        let root = self.root(area)?;
        let (mut areas, _) = self.subtree(&root);
        areas.insert(0, root);
        Some(areas)
    }

    fn standing_teams<'w>(&'w self, areas: &[pb::AreaNode]) -> impl Iterator<Item = &'w team::State> + 'w {
        let ids: BTreeSet<String> = areas.iter().map(|node| node.area_id.clone()).collect();
        self.teams
            .iter()
            .filter(move |team| team.established_on.is_some() && team.ending.is_none() && ids.contains(&team.area_id))
    }

    fn team_row(team: &team::State) -> pb::TeamRow {
        pb::TeamRow {
            team_id: team.team_id.clone(),
            name: team.name.clone(),
            force_type: team.force_type as i32,
            area_id: team.area_id.clone(),
            established_on: team.established_on.map(Date::to_proto),
            quota: team.quota.unwrap_or(0),
            households: team.households.unwrap_or(0),
            members: team
                .members
                .iter()
                .filter_map(|(person, membership)| match membership.stage {
                    Stage::Active { role, since } => Some(pb::MemberRow {
                        person_id: person.clone(),
                        role: role as i32,
                        since: Some(since.to_proto()),
                    }),
                    _ => None,
                })
                .collect(),
        }
    }

    fn rating(&self, unit: &str, year: i32) -> Option<&rating::State> {
        self.ratings
            .iter()
            .find(|state| state.year == Some(year) && state.unit_area_id == unit)
    }

    fn outcome(&self, unit: &str, year: i32) -> Option<pb::SafetyOutcome> {
        self.rating(unit, year).map(|state| {
            state
                .ratings
                .last()
                .map_or(pb::SafetyOutcome::Unspecified, |rating| rating.outcome)
        })
    }
}

fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        f64::from(part) * 100.0 / f64::from(whole)
    }
}

/// One question.
#[derive(Clone, Debug)]
enum Query {
    Tree(AreaRef),
    Roster(AreaRef, Option<pb::ForceType>),
    Forces(AreaRef, Period),
    Coverage(AreaRef),
    Incidents(AreaRef, Period),
    Ratings(AreaRef, i32, pb::AreaLevel),
}

#[derive(Clone, Debug, PartialEq)]
enum Answer {
    Tree(pb::AreaTreeResponse),
    Roster(pb::RosterResponse),
    Forces(pb::ForcesSummaryResponse),
    Coverage(pb::CoverageResponse),
    Incidents(pb::IncidentSummaryResponse),
    Ratings(pb::RatingSummaryResponse),
    NotFound,
}

/// What the answers showed, over all cases: each must have happened for the test to mean
/// anything.
#[derive(Debug, Default)]
struct Seen {
    cases: u32,
    events: usize,
    backdated: usize,
    probes: u32,
    answers: u32,
    not_found: u32,
    merged_listed: usize,
    cycles: usize,
    members_listed: u32,
    joins: u32,
    departures_with_reason: u32,
    replacements: u32,
    teams_consolidated: u32,
    pledges_signed: u64,
    carried_over: u32,
    released: u32,
    coverage: u32,
    resolved: u32,
    sanctioned_or_prosecuted: u32,
    co_handled: u32,
    safe_streaks: u32,
    past_differs: u32,
    incremental_checks: u32,
}

impl Seen {
    fn count(&mut self, answer: &Answer) {
        self.answers += 1;
        match answer {
            Answer::NotFound => self.not_found += 1,
            Answer::Roster(roster) => {
                self.members_listed += u32::from(roster.teams.iter().any(|team| !team.members.is_empty()))
            }
            Answer::Forces(forces) => {
                for force in &forces.forces {
                    self.joins += force.joins;
                    self.departures_with_reason += force
                        .departures_by_reason
                        .iter()
                        .filter(|by| by.reason != 0)
                        .map(|by| by.count)
                        .sum::<u32>();
                    self.replacements += force.replacements;
                    self.teams_consolidated += force.teams_consolidated;
                    self.carried_over += force.carried_over;
                    self.released += force.released;
                }
            }
            Answer::Coverage(coverage) => self.coverage += u32::from(coverage.percent > 0.0),
            Answer::Incidents(incidents) => {
                self.resolved += incidents.resolved;
                self.sanctioned_or_prosecuted += incidents.defendants + incidents.sanctioned_subjects;
                let levels: u32 = incidents.by_level.iter().map(|level| level.count).sum();
                self.co_handled += u32::from(levels > incidents.reported);
            }
            Answer::Ratings(ratings) => {
                self.safe_streaks += ratings.consecutive_safe.iter().map(|streak| streak.units).sum::<u32>();
                self.pledges_signed += ratings.pledges_signed;
            }
            Answer::Tree(_) => {}
        }
    }

    fn assert_meaningful(&self) {
        let checks = [
            ("answers not found", self.not_found),
            (
                "events recorded before an event of their record dated earlier",
                self.backdated as u32,
            ),
            ("merged areas listed under their successor", self.merged_listed as u32),
            ("area trees with a cycle", self.cycles as u32),
            ("rosters with members", self.members_listed),
            ("joins", self.joins),
            ("departures with a reason", self.departures_with_reason),
            ("replacements", self.replacements),
            ("teams consolidated", self.teams_consolidated),
            ("pledges signed", u32::try_from(self.pledges_signed).unwrap_or(u32::MAX)),
            ("members carried over", self.carried_over),
            ("members released", self.released),
            ("coverage above 0 %", self.coverage),
            ("resolved incidents", self.resolved),
            ("defendants or sanctioned subjects", self.sanctioned_or_prosecuted),
            ("incidents handled jointly", self.co_handled),
            ("units safe two years or more", self.safe_streaks),
            ("answers about the past that differ from the present", self.past_differs),
            ("checks between incremental runs", self.incremental_checks),
        ];
        for (what, count) in checks {
            assert!(
                count > 0,
                "no {what} in any case: the generator no longer tests it ({self:#?})"
            );
        }
    }
}

/// The naive answers, from folds of the known events.
struct Oracle<'h> {
    history: &'h [Recorded],
    knows: Knows,
    worlds: RefCell<HashMap<Date, Arc<World>>>,
    walked: RefCell<Walked>,
}

impl<'h> Oracle<'h> {
    fn new(history: &'h [Recorded], knows: Knows) -> Self {
        Oracle {
            history,
            knows,
            worlds: RefCell::new(HashMap::new()),
            walked: RefCell::new(Walked::default()),
        }
    }

    fn on(&self, day: Date) -> Arc<World> {
        let mut worlds = self.worlds.borrow_mut();
        Arc::clone(
            worlds
                .entry(day)
                .or_insert_with(|| Arc::new(World::new(self.history, self.knows, day))),
        )
    }

    fn answer(&self, day: Date, query: &Query) -> Answer {
        self.try_answer(day, query).unwrap_or(Answer::NotFound)
    }

    fn try_answer(&self, day: Date, query: &Query) -> Option<Answer> {
        let world = self.on(day);
        Some(match query {
            Query::Tree(area) => {
                let root = world.root(area)?;
                let (areas, walked) = world.subtree(&root);
                let mut total = self.walked.borrow_mut();
                total.merged += walked.merged;
                total.cycles += walked.cycles;
                let mut counts: BTreeMap<i32, u32> = BTreeMap::new();
                for node in &areas {
                    *counts.entry(node.level).or_default() += 1;
                }
                Answer::Tree(pb::AreaTreeResponse {
                    answered: None,
                    root: Some(root),
                    areas,
                    counts: counts
                        .into_iter()
                        .map(|(level, areas)| pb::LevelCount { level, areas })
                        .collect(),
                })
            }
            Query::Roster(area, force) => {
                let areas = world.areas_of(area)?;
                let mut teams: Vec<pb::TeamRow> = world
                    .standing_teams(&areas)
                    .filter(|team| force.is_none_or(|force| team.force_type == force))
                    .map(World::team_row)
                    .collect();
                teams.sort_by(|a, b| {
                    (a.force_type, &a.area_id, &a.name, &a.team_id).cmp(&(
                        b.force_type,
                        &b.area_id,
                        &b.name,
                        &b.team_id,
                    ))
                });
                // The histories hold no offices and no composition policies (neither is
                // generated), so every team is under no policy.
                let compositions = teams
                    .iter()
                    .map(|team| pb::TeamComposition {
                        team_id: team.team_id.clone(),
                        ..Default::default()
                    })
                    .collect();
                Answer::Roster(pb::RosterResponse {
                    answered: None,
                    teams,
                    offices: Vec::new(),
                    compositions,
                })
            }
            Query::Forces(area, period) => Answer::Forces(self.forces(&world, area, *period)?),
            Query::Coverage(area) => {
                let areas = world.areas_of(area)?;
                let mut coverage = pb::CoverageResponse::default();
                for team in world
                    .standing_teams(&areas)
                    .filter(|team| team.force_type == pb::ForceType::SocialSecurityGroup)
                {
                    let households = team.households.unwrap_or(0);
                    coverage.social_security_groups += 1;
                    coverage.groups_counted += u32::from(households > 0);
                    coverage.households_in_groups += households;
                }
                coverage.households_of_area = households(&areas, &areas[0]);
                coverage.percent = percent(coverage.households_in_groups, coverage.households_of_area);
                Answer::Coverage(coverage)
            }
            Query::Incidents(area, period) => Answer::Incidents(self.incidents(area, *period)?),
            Query::Ratings(area, year, level) => Answer::Ratings(self.ratings(&world, day, area, *year, *level)?),
        })
    }

    fn forces(&self, world: &World, area: &AreaRef, period: Period) -> Option<pb::ForcesSummaryResponse> {
        let areas = world.areas_of(area)?;
        let mut forces: BTreeMap<i32, pb::ForceCount> = BTreeMap::new();
        for team in world.standing_teams(&areas) {
            let count = forces.entry(team.force_type as i32).or_default();
            let members = team
                .members
                .values()
                .filter(|membership| matches!(membership.stage, Stage::Active { .. }))
                .count() as u32;
            count.teams += 1;
            count.members += members;
            if let Some(quota) = team.quota.filter(|quota| *quota > 0) {
                count.teams_with_quota += 1;
                count.quota += quota;
                count.members_of_teams_with_quota += members;
                count.teams_at_quota += u32::from(members >= quota);
            }
        }
        let at_end = self.on(period.to);
        let areas_at_end: BTreeSet<String> = at_end.areas_of(area)?.into_iter().map(|node| node.area_id).collect();
        let within = |day: Date| period.from <= day && day <= period.to;
        let mut reasons: BTreeMap<(i32, i32), u32> = BTreeMap::new();
        let mut consolidated: BTreeSet<(i32, &str)> = BTreeSet::new();
        for team in at_end
            .teams
            .iter()
            .filter(|team| team.established_on.is_some() && areas_at_end.contains(&team.area_id))
        {
            let force = team.force_type as i32;
            for membership in team.members.values() {
                let last = membership.terms.len().checked_sub(1);
                for (index, term) in membership.terms.iter().enumerate() {
                    if within(term.from) {
                        forces.entry(force).or_default().joins += 1;
                    }
                    if !term.until.is_some_and(within) {
                        continue;
                    }
                    let count = forces.entry(force).or_default();
                    let is_last = Some(index) == last;
                    let departure = match &membership.stage {
                        Stage::Left { departure, .. } if is_last => Some(departure),
                        _ => None,
                    };
                    match departure {
                        Some(Departure::CarriedOver { .. }) => count.carried_over += 1,
                        Some(Departure::Released) => count.released += 1,
                        Some(Departure::Left(reason)) => {
                            count.departures += 1;
                            count.replacements += u32::from(membership.replaced_by.is_some());
                            *reasons.entry((force, *reason as i32)).or_default() += 1;
                            if membership.replaced_by.is_some() {
                                consolidated.insert((force, &team.team_id));
                            }
                        }
                        None => {
                            let replaced = is_last && membership.replaced_by.is_some();
                            count.departures += 1;
                            count.replacements += u32::from(replaced);
                            *reasons.entry((force, 0)).or_default() += 1;
                            if replaced {
                                consolidated.insert((force, &team.team_id));
                            }
                        }
                    }
                }
            }
        }
        // A team is consolidated once in the period, however many were replaced in it.
        for (force, _) in consolidated {
            forces.entry(force).or_default().teams_consolidated += 1;
        }
        for ((force, reason), count) in reasons {
            forces
                .entry(force)
                .or_default()
                .departures_by_reason
                .push(pb::ReasonCount { reason, count });
        }
        Some(pb::ForcesSummaryResponse {
            answered: None,
            period: Some(period.to_proto()),
            forces: forces
                .into_iter()
                .map(|(force_type, count)| pb::ForceCount { force_type, ..count })
                .collect(),
        })
    }

    fn incidents(&self, area: &AreaRef, period: Period) -> Option<pb::IncidentSummaryResponse> {
        let at_end = self.on(period.to);
        let areas: BTreeSet<String> = at_end.areas_of(area)?.into_iter().map(|node| node.area_id).collect();
        let mut response = pb::IncidentSummaryResponse {
            period: Some(period.to_proto()),
            ..Default::default()
        };
        let mut categories: BTreeMap<i32, u32> = BTreeMap::new();
        let mut levels: BTreeMap<i32, u32> = BTreeMap::new();
        let mut resolutions: BTreeMap<i32, u32> = BTreeMap::new();
        for incident in at_end.incidents.iter().filter(|incident| {
            incident
                .reported_on
                .is_some_and(|reported| period.from <= reported && reported <= period.to)
                && areas.contains(&incident.area_id)
        }) {
            response.reported += 1;
            *categories.entry(incident.category as i32).or_default() += 1;
            let handled_by: BTreeSet<i32> = std::iter::once(incident.level)
                .chain(incident.co_levels.iter().copied())
                .filter(|level| *level != pb::HandlingLevel::Unspecified)
                .map(|level| level as i32)
                .collect();
            for level in handled_by {
                *levels.entry(level).or_default() += 1;
            }
            response.mediations += incident.mediations_count;
            response.successful_mediations += incident.successful_mediations_count;
            if incident.resolved.is_some() {
                response.resolved += 1;
                let how = incident
                    .resolution
                    .as_ref()
                    .and_then(|resolved| resolved.resolution.as_ref());
                let resolution = match how {
                    None => pb::IncidentResolution::Unspecified,
                    Some(Resolution::Mediated(_)) => pb::IncidentResolution::Mediated,
                    Some(Resolution::CommunePoliceHandled(_)) => pb::IncidentResolution::CommunePoliceHandled,
                    Some(Resolution::AdministrativeSanction(sanction)) => {
                        response.sanctioned_subjects += sanction.subjects;
                        pb::IncidentResolution::AdministrativeSanction
                    }
                    Some(Resolution::Prosecution(prosecution)) => {
                        response.defendants += prosecution.defendants;
                        pb::IncidentResolution::Prosecution
                    }
                    Some(Resolution::ComplaintSettled(_)) => pb::IncidentResolution::ComplaintSettled,
                    Some(Resolution::Transferred(_)) => pb::IncidentResolution::Transferred,
                };
                *resolutions.entry(resolution as i32).or_default() += 1;
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
        Some(response)
    }

    fn ratings(
        &self,
        world: &World,
        day: Date,
        area: &AreaRef,
        year: i32,
        level: pb::AreaLevel,
    ) -> Option<pb::RatingSummaryResponse> {
        let units = self.on(day.min(Date::last_day_of_year(year))).areas_of(area)?;
        let mut response = pb::RatingSummaryResponse::default();
        let mut runs = Vec::new();
        // Pledges of every unit under the area, whatever its level.
        response.pledges_signed = units
            .iter()
            .filter_map(|unit| world.rating(&unit.area_id, year))
            .map(|state| state.pledges_signed_total)
            .sum();
        for unit in units.iter().filter(|node| node.level == level as i32) {
            response.eligible += 1;
            let Some(state) = world.rating(&unit.area_id, year) else {
                continue;
            };
            response.registered += u32::from(state.strive_registered_on.is_some());
            let outcome = world.outcome(&unit.area_id, year);
            response.rated += u32::from(outcome.is_some_and(|outcome| outcome != pb::SafetyOutcome::Unspecified));
            if outcome != Some(pb::SafetyOutcome::Safe) {
                continue;
            }
            response.safe += 1;
            let run = (1..5)
                .take_while(|back| world.outcome(&unit.area_id, year - back) == Some(pb::SafetyOutcome::Safe))
                .count()
                + 1;
            runs.push(run as u32);
        }
        response.safe_percent = percent(response.safe, response.eligible);
        response.consecutive_safe = (2..=5)
            .map(|at_least| pb::StreakCount {
                years_at_least: at_least,
                units: runs.iter().filter(|run| **run >= at_least).count() as u32,
            })
            .collect();
        // 1–2 years: the commune's recognition; 3–4: the district's; 5: the province's.
        let by_years =
            |years: std::ops::RangeInclusive<u32>| runs.iter().filter(|run| years.contains(run)).count() as u32;
        response.recognised = [
            (pb::Recognition::Commune, by_years(1..=2)),
            (pb::Recognition::District, by_years(3..=4)),
            (pb::Recognition::Province, by_years(5..=5)),
        ]
        .into_iter()
        .map(|(recognition, units)| pb::RecognitionCount {
            recognition: recognition.into(),
            units,
        })
        .collect();
        Some(response)
    }
}

/// The households of `node`: its own figure, or else those of the areas under it, each
/// counted at the topmost area that has one.
fn households(areas: &[pb::AreaNode], node: &pb::AreaNode) -> u32 {
    if node.households > 0 {
        return node.households;
    }
    areas
        .iter()
        .skip(1)
        .filter(|child| child.parent_area_id == node.area_id)
        .map(|child| households(areas, child))
        .sum()
}

// ---- The indexed answers ----

fn indexed<S: Store>(store: &S, applied: u64, known: u64, day: Date, query: &Query) -> Result<Answer, String> {
    let snapshot = Snapshot::new(store, day, known, applied);
    let answer = match query {
        Query::Tree(area) => query::area_tree(&snapshot, area).map(Answer::Tree),
        Query::Roster(area, force) => query::roster(&snapshot, area, *force).map(Answer::Roster),
        Query::Forces(area, period) => query::forces_summary(&snapshot, area, *period).map(Answer::Forces),
        Query::Coverage(area) => query::coverage(&snapshot, area).map(Answer::Coverage),
        Query::Incidents(area, period) => query::incident_summary(&snapshot, area, *period).map(Answer::Incidents),
        Query::Ratings(area, year, level) => query::rating_summary(&snapshot, area, *year, *level).map(Answer::Ratings),
    };
    match answer {
        Ok(answer) => Ok(answer),
        Err(QueryError::NotFound(_)) => Ok(Answer::NotFound),
        Err(error) => Err(format!("{query:?} as of {day}, known {known}: {error}")),
    }
}

/// Every question of a probe: each query of every area (by id, by an unknown id, by
/// codes).
fn queries(period: Period, year: i32) -> Vec<Query> {
    let mut areas: Vec<AreaRef> = (0..AREAS).map(|area| AreaRef::Id(area_id(area))).collect();
    areas.push(AreaRef::Id(id(0xA, 99)));
    areas.push(AreaRef::Code(registered_code(0)));
    areas.push(AreaRef::Code(registered_code(COMMUNES[0])));
    areas.extend((0..CODES).map(|code| AreaRef::Code(pool_code(code))));
    let mut queries = Vec::new();
    for area in areas {
        queries.push(Query::Tree(area.clone()));
        queries.push(Query::Roster(area.clone(), None));
        queries.push(Query::Roster(area.clone(), Some(pb::ForceType::SocialSecurityGroup)));
        queries.push(Query::Forces(area.clone(), period));
        queries.push(Query::Coverage(area.clone()));
        queries.push(Query::Incidents(area.clone(), period));
        queries.push(Query::Ratings(area.clone(), year, pb::AreaLevel::Commune));
        queries.push(Query::Ratings(area, year, pb::AreaLevel::ResidentialArea));
    }
    queries
}

// ---- Running a case ----

trait OrFail<T> {
    fn or_fail(self, what: &str) -> Result<T, TestCaseError>;
}

impl<T, E: Display> OrFail<T> for Result<T, E> {
    fn or_fail(self, what: &str) -> Result<T, TestCaseError> {
        self.map_err(|error| TestCaseError::fail(format!("{what}: {error}")))
    }
}

/// A probe resolved against the recorded history.
#[derive(Clone, Copy, Debug)]
struct Probe {
    knows: Knows,
    day: Date,
    period: Period,
    year: i32,
}

fn resolve_day(spec: DaySpec, history: &[Recorded]) -> Date {
    match spec {
        DaySpec::Before => Date::new(2005, 6, 1).expect("a date"),
        DaySpec::After => Date::new(2024, 1, 1).expect("a date"),
        DaySpec::Grid(day) => date(day),
        DaySpec::OfEvent(event, shift) => {
            let effective = history[event % history.len()].event.effective().unwrap_or(date(0));
            days_after(effective, shift)
        }
    }
}

fn resolve(spec: &ProbeSpec, history: &[Recorded]) -> Probe {
    let head = history.len() as u64;
    let knows = match spec.known {
        KnownSpec::Nothing => Knows::Before(0),
        KnownSpec::Everything => Knows::Before(head),
        KnownSpec::Position(thousandths) => Knows::Before(head * u64::from(thousandths) / 1000),
        KnownSpec::Moment(event, shift) => Knows::At(history[event % history.len()].recorded_at + shift),
    };
    let (one, other) = (resolve_day(spec.period.0, history), resolve_day(spec.period.1, history));
    let (from, to) = if (one <= other) != spec.inverted {
        (one, other)
    } else {
        (other, one)
    };
    Probe {
        knows,
        day: resolve_day(spec.day, history),
        period: Period { from, to },
        year: spec.year,
    }
}

/// Compares every answer of `probe` read from `store` (applied up to `applied`) with the
/// oracle's; the oracle's answers.
fn check_probe<S: Store>(
    store: &S,
    applied: u64,
    history: &[Recorded],
    probe: &Probe,
    seen: &mut Seen,
) -> Result<Vec<Answer>, TestCaseError> {
    let known = match probe.knows {
        Knows::Before(position) => position,
        Knows::At(moment) => known_position(store, moment).or_fail("known_position")?,
    };
    let oracle = Oracle::new(history, probe.knows);
    let mut answers = Vec::new();
    for query in queries(probe.period, probe.year) {
        let expected = oracle.answer(probe.day, &query);
        let got = indexed(store, applied, known, probe.day, &query).map_err(TestCaseError::fail)?;
        prop_assert_eq!(
            &got,
            &expected,
            "{:?} as of {}, known {:?} (position {}), applied {}",
            query,
            probe.day,
            probe.knows,
            known,
            applied
        );
        answers.push(expected);
    }
    let walked = *oracle.walked.borrow();
    seen.merged_listed += walked.merged;
    seen.cycles += walked.cycles;
    Ok(answers)
}

async fn append_all(log: &SledLog, case: &Case) -> Result<Vec<Recorded>, TestCaseError> {
    let mut history = Vec::new();
    let mut index = 0;
    while index < case.events.len() {
        let stream = case.events[index].stream.clone();
        let mut end = index + 1;
        while end < case.events.len() && end - index < 3 && case.together[end] && case.events[end].stream == stream {
            end += 1;
        }
        let batch = &case.events[index..end];
        let events = batch
            .iter()
            .enumerate()
            .map(|(offset, planned)| {
                let (event_type, schema_version, payload) = planned.event.encoded();
                let mut event = NewEvent::new(
                    Uuid::from_u128(0xE << 64 | (index + offset + 1) as u128),
                    event_type,
                    payload,
                );
                event.schema_version = schema_version;
                event.effective_at = planned
                    .event
                    .effective()
                    .map(|date| Timestamp(date.days_since_unix_epoch() * 86_400_000_000));
                event
            })
            .collect();
        let outcome = log
            .append(AppendRequest {
                stream_id: stream.clone(),
                expected: ExpectedVersion::Any,
                events,
            })
            .await
            .or_fail("append")?;
        prop_assert_eq!(outcome.first_position, index as u64);
        for (offset, planned) in batch.iter().enumerate() {
            history.push(Recorded {
                position: (index + offset) as u64,
                recorded_at: outcome.recorded_at.0,
                stream: stream.clone(),
                event: planned.event.clone(),
            });
        }
        index = end;
    }
    Ok(history)
}

async fn read_log(log: &SledLog) -> Result<Vec<RecordedEvent>, TestCaseError> {
    let mut events = Vec::new();
    loop {
        let page = log
            .read_all(ReadAllRequest {
                from_position: events.len() as u64,
                max_count: antt_log::limits::READ_PAGE_EVENTS_MAX,
                filter: Default::default(),
            })
            .await
            .or_fail("read_all")?;
        let reached_head = page.reached_head();
        events.extend(page.events);
        if reached_head {
            return Ok(events);
        }
    }
}

/// The position after the last event recorded at or before `moment`.
fn position_known_at(history: &[Recorded], moment: i64) -> u64 {
    history
        .iter()
        .filter(|event| event.recorded_at <= moment)
        .map(|event| event.position + 1)
        .max()
        .unwrap_or(0)
}

async fn run_case(case: Case, seen: &mut Seen) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().or_fail("temp dir")?;
    let mut config = SledConfig::new(dir.path().join("log"));
    config.sync_mode = SyncMode::Flush;
    let log = Arc::new(SledLog::open(config).or_fail("open the log")?);
    let history = append_all(&log, &case).await?;
    let recorded = read_log(&log).await?;
    let head = history.len() as u64;
    prop_assert_eq!(recorded.len() as u64, head);
    for (event, recorded) in history.iter().zip(&recorded) {
        prop_assert_eq!(event.position, recorded.position);
        prop_assert_eq!(event.recorded_at, recorded.recorded_at.0);
        // The engine reads what the oracle folds.
        let (event_type, schema_version, payload) = event.event.encoded();
        prop_assert_eq!(
            (&event_type, schema_version, &payload, &event.stream),
            (
                &recorded.event_type,
                recorded.schema_version,
                &recorded.payload,
                &recorded.stream_id
            )
        );
    }
    seen.cases += 1;
    seen.events += history.len();
    seen.backdated += history
        .iter()
        .enumerate()
        .filter(|(index, event)| {
            history[..*index]
                .iter()
                .any(|earlier| earlier.stream == event.stream && earlier.event.effective() > event.event.effective())
        })
        .count();

    // A rebuild: a fresh store, every event applied by the engine's own loop.
    let rebuilt = Arc::new(MemoryStore::new());
    let mut engine = Engine::open(Arc::clone(&log), Arc::clone(&rebuilt)).or_fail("open the engine")?;
    while !engine.step().await.or_fail("step")? {}
    prop_assert_eq!(engine.applied(), head);
    drop(engine);

    // A moment becomes the position after every event recorded by then.
    let first = history.first().map_or(0, |event| event.recorded_at);
    let mut moments = vec![i64::MIN, first - 1, i64::MAX];
    for event in &history {
        moments.extend([event.recorded_at - 1, event.recorded_at, event.recorded_at + 1]);
    }
    for moment in moments {
        let known = known_position(rebuilt.as_ref(), moment).or_fail("known_position")?;
        prop_assert_eq!(
            known,
            position_known_at(&history, moment),
            "known_position at {}",
            moment
        );
    }
    for event in &history {
        let known = known_position(rebuilt.as_ref(), event.recorded_at).or_fail("known_position")?;
        prop_assert!(
            known > event.position,
            "the event at {} known when it was recorded",
            event.position
        );
    }
    prop_assert_eq!(
        known_position(rebuilt.as_ref(), first - 1).or_fail("known_position")?,
        0
    );

    // Every answer of every probe, against the oracle.
    let probes: Vec<Probe> = case.probes.iter().map(|spec| resolve(spec, &history)).collect();
    for probe in &probes {
        seen.probes += 1;
        let answers = check_probe(rebuilt.as_ref(), head, &history, probe, seen)?;
        for answer in &answers {
            seen.count(answer);
        }
        if !matches!(probe.knows, Knows::Before(known) if known >= head) {
            let now = Oracle::new(&history, Knows::Before(head));
            let queries = queries(probe.period, probe.year);
            let differs = queries
                .iter()
                .zip(&answers)
                .any(|(query, answer)| now.answer(probe.day, query) != *answer);
            seen.past_differs += u32::from(differs);
        }
    }

    // The same log applied in several runs, into sled, with a tiny cache: stops at the
    // chosen positions, each run a new engine on the same store; answers checked at each
    // stop, and at the end the same bytes as the rebuild.
    let incremental_dir = dir.path().join("projections");
    let incremental = Arc::new(
        SledStore::open(&incremental_dir, antt_projections::store::DEFAULT_CACHE_CAPACITY_BYTES)
            .or_fail("open the sled store")?,
    );
    let mut stops: Vec<u64> = case
        .stops
        .iter()
        .map(|thousandths| head * u64::from(*thousandths) / 1000)
        .chain([head])
        .collect();
    stops.sort_unstable();
    let mut chunks = case.chunks.iter().cycle();
    for stop in stops {
        let mut engine = Engine::open_with_cache(Arc::clone(&log), Arc::clone(&incremental), case.cache)
            .or_fail("reopen the engine")?;
        let mut applied = engine.applied();
        while applied < stop {
            let size = chunks.next().copied().unwrap_or(1) as u64;
            let end = (applied + size).min(stop);
            engine
                .apply(&recorded[applied as usize..end as usize])
                .await
                .or_fail("apply")?;
            applied = end;
            prop_assert_eq!(engine.applied(), applied);
        }
        drop(engine);
        if stop < head {
            // As far as applied, and half as far.
            let probe = Probe {
                knows: Knows::Before(stop),
                ..probes[0]
            };
            check_probe(incremental.as_ref(), stop, &history, &probe, seen)?;
            let earlier = Probe {
                knows: Knows::Before(stop / 2),
                ..probes[probes.len() - 1]
            };
            check_probe(incremental.as_ref(), stop, &history, &earlier, seen)?;
            seen.incremental_checks += 1;
        }
    }
    prop_assert_eq!(
        digest(incremental.as_ref()).or_fail("digest")?,
        digest(rebuilt.as_ref()).or_fail("digest")?,
        "applied in several runs, the store differs from the rebuild"
    );
    log.close().await.or_fail("close the log")?;
    Ok(())
}

#[test]
fn every_indexed_answer_equals_the_naive_fold_of_the_known_events() {
    let started = Instant::now();
    let seen = RefCell::new(Seen::default());
    // `PROPTEST_CASES` (with another `PROPTEST_RNG_SEED`) explores further.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(CASES);
    let mut runner = TestRunner::new(Config {
        max_shrink_iters: 256,
        ..Config::with_cases(cases)
    });
    let result = runner.run(&case(), |case| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .or_fail("runtime")?;
        runtime.block_on(run_case(case, &mut seen.borrow_mut()))
    });
    if let Err(error) = result {
        panic!("{error}");
    }
    let seen = seen.into_inner();
    eprintln!(
        "{cases} histories in {:.1} s: {seen:?}",
        started.elapsed().as_secs_f64()
    );
    seen.assert_meaningful();
}
