//! The composition flag over rows the engine's way of applying events writes, against a
//! naive judge that folds each record's known events as of the day with
//! `Aggregate::evolve` and reads neither rows nor queries.

use std::collections::{BTreeMap, BTreeSet};

use antt_domain::area::Area;
use antt_domain::composition::Composition;
use antt_domain::office::Office;
use antt_domain::team::{Seat, Team};
use antt_domain::{Aggregate, AnyEvent, Date};
use antt_proto::v1 as pb;

use crate::bitemporal::{Pending, Snapshot};
use crate::query::{forces_summary, roster, AreaRef, Period};
use crate::record::Record;
use crate::store::{MemoryStore, Store};

fn day(year: i32, month: u32, day: u32) -> Date {
    Date::new(year, month, day).unwrap()
}

fn on(date: Date) -> Option<pb::Date> {
    Some(date.to_proto())
}

// ---- The universe: Thanh Hóa and another province, a village each ----

const THANH_HOA: &str = "p-thanh-hoa";
const NGA_SON: &str = "d-nga-son";
const NGA_THAI: &str = "c-nga-thai";
const THON_8: &str = "r-thon-8";
const NINH_BINH: &str = "p-ninh-binh";
const YEN_MO: &str = "d-yen-mo";
const YEN_THANG: &str = "c-yen-thang";
const THON_1: &str = "r-thon-1";

/// The protection team of Thôn 8 (Thanh Hóa), led by An.
const TEAM_8: &str = "team-thon-8";
/// The protection team of Thôn 1 (Ninh Bình), led by Bình, who holds no office.
const TEAM_1: &str = "team-thon-1";
/// A second team of Thôn 8 with no leader.
const TEAM_8B: &str = "team-thon-8b";
/// Nga Thái's steering committee, chaired by Cường, the People's Committee chairman.
const STEERING: &str = "bcd-nga-thai";
const AN: &str = "person-an";
const BINH: &str = "person-binh";
const CUONG: &str = "person-cuong";

/// Every stored event, in log order, with its stream.
struct Fixture {
    store: MemoryStore,
    records: BTreeMap<String, Record>,
    events: Vec<(String, AnyEvent)>,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            store: MemoryStore::new(),
            records: BTreeMap::new(),
            events: Vec::new(),
        }
    }

    /// Applies one event at the next position, as the engine does: the rows it withdrew
    /// are closed and the rows it made opened at its position.
    fn record(&mut self, stream: &str, event: AnyEvent) {
        let position = self.events.len() as u64;
        let record = self
            .records
            .entry(stream.to_string())
            .or_insert_with(|| Record::for_event(&event).unwrap());
        let (gone, new) = record.push_and_diff(position, event.clone()).unwrap();
        let mut pending = Pending::new(&self.store);
        for row in &gone {
            pending.close(row, position).unwrap();
        }
        for row in &new {
            pending.open(row, position);
        }
        self.store.apply(pending.finish(position + 1)).unwrap();
        self.events.push((stream.to_string(), event));
    }

    fn known(&self) -> u64 {
        self.events.len() as u64
    }

    fn snapshot(&self, as_of: Date, known: u64) -> Snapshot<'_, MemoryStore> {
        Snapshot::new(&self.store, as_of, known, self.known())
    }

    fn area(&mut self, id: &str, level: pb::AreaLevel, parent: &str) {
        let registered = pb::AreaRegistered {
            area_id: id.into(),
            name: id.into(),
            level: level.into(),
            parent_area_id: parent.into(),
            effective_date: on(day(2008, 1, 1)),
            ..Default::default()
        };
        self.record(id, AnyEvent::Area(antt_domain::area::Event::Registered(registered)));
    }

    fn key_complex(&mut self, id: &str, from: Date, to: Date) {
        use antt_domain::area::Event;
        let designated = pb::KeyComplexAreaDesignated {
            area_id: id.into(),
            effective_date: on(from),
            ..Default::default()
        };
        self.record(id, AnyEvent::Area(Event::KeyComplexAreaDesignated(designated)));
        let transformed = pb::KeyComplexAreaTransformed {
            area_id: id.into(),
            effective_date: on(to),
            ..Default::default()
        };
        self.record(id, AnyEvent::Area(Event::KeyComplexAreaTransformed(transformed)));
    }

    fn team(&mut self, id: &str, force_type: pb::ForceType, area: &str, leader: Option<(&str, pb::MemberRole)>) {
        use antt_domain::team::Event;
        let established = pb::TeamEstablished {
            team_id: id.into(),
            name: id.into(),
            force_type: force_type.into(),
            area_id: area.into(),
            effective_date: on(day(2010, 1, 1)),
            ..Default::default()
        };
        self.record(id, AnyEvent::Team(Event::Established(established)));
        if let Some((person_id, role)) = leader {
            let appointed = pb::MemberAppointed {
                team_id: id.into(),
                person_id: person_id.into(),
                role: role.into(),
                effective_date: on(day(2011, 1, 1)),
                ..Default::default()
            };
            self.record(id, AnyEvent::Team(Event::MemberAppointed(appointed)));
        }
    }

    fn office(&mut self, tenure: &str, person: &str, area: &str, kind: pb::OfficeKind, from: Date, to: Option<Date>) {
        use antt_domain::office::Event;
        let taken = pb::OfficeTaken {
            tenure_id: tenure.into(),
            person_id: person.into(),
            area_id: area.into(),
            kind: kind.into(),
            effective_date: on(from),
            ..Default::default()
        };
        self.record(tenure, AnyEvent::Office(Event::Taken(taken)));
        if let Some(to) = to {
            let left = pb::OfficeLeft {
                tenure_id: tenure.into(),
                effective_date: on(to),
                ..Default::default()
            };
            self.record(tenure, AnyEvent::Office(Event::Left(left)));
        }
    }

    fn policy(
        &mut self,
        id: &str,
        force_type: pb::ForceType,
        scope: pb::CommuneScope,
        seat: (pb::MemberRole, pb::OfficeKind),
    ) {
        let issued = pb::CompositionPolicyIssued {
            policy_id: id.into(),
            province_area_id: THANH_HOA.into(),
            force_type: force_type.into(),
            scope: scope.into(),
            requirements: vec![pb::RoleRequirement {
                role: seat.0.into(),
                office: seat.1.into(),
                place: pb::OfficePlace::TeamArea.into(),
            }],
            decision: Some(pb::DecisionRef {
                number: "4191/QĐ-UBND".into(),
                issued_by: "UBND tỉnh Thanh Hóa".into(),
                issued_on: on(day(2013, 1, 1)),
            }),
            effective_date: on(day(2013, 1, 1)),
            ..Default::default()
        };
        self.record(
            id,
            AnyEvent::Composition(antt_domain::composition::Event::Issued(issued)),
        );
    }

    /// The universe as the task tells it, before any backdated entry.
    fn thanh_hoa() -> Fixture {
        use pb::AreaLevel as L;
        use pb::ForceType as F;
        use pb::MemberRole as R;
        use pb::OfficeKind as K;
        let mut fixture = Fixture::new();
        fixture.area(THANH_HOA, L::Province, "");
        fixture.area(NGA_SON, L::District, THANH_HOA);
        fixture.area(NGA_THAI, L::Commune, NGA_SON);
        fixture.area(THON_8, L::ResidentialArea, NGA_THAI);
        fixture.area(NINH_BINH, L::Province, "");
        fixture.area(YEN_MO, L::District, NINH_BINH);
        fixture.area(YEN_THANG, L::Commune, YEN_MO);
        fixture.area(THON_1, L::ResidentialArea, YEN_THANG);
        fixture.key_complex(NGA_THAI, day(2015, 1, 1), day(2018, 1, 1));
        fixture.team(TEAM_8, F::SecurityProtectionTeam, THON_8, Some((AN, R::Leader)));
        fixture.team(TEAM_1, F::SecurityProtectionTeam, THON_1, Some((BINH, R::Leader)));
        fixture.team(TEAM_8B, F::SecurityProtectionTeam, THON_8, None);
        fixture.team(STEERING, F::SteeringCommittee, NGA_THAI, Some((CUONG, R::Chair)));
        let an_from_2013 = (day(2013, 3, 1), Some(day(2016, 6, 1)));
        fixture.office(
            "tenure-an",
            AN,
            THON_8,
            K::VillagePoliceOfficer,
            an_from_2013.0,
            an_from_2013.1,
        );
        fixture.office(
            "tenure-cuong",
            CUONG,
            NGA_THAI,
            K::PeoplesCommitteeChair,
            day(2011, 1, 1),
            None,
        );
        let leader = (R::Leader, K::VillagePoliceOfficer);
        fixture.policy("policy-4191", F::SecurityProtectionTeam, pb::CommuneScope::All, leader);
        let chair = (R::Leader, K::PeoplesCommitteeChair);
        fixture.policy(
            "policy-bcd",
            F::SteeringCommittee,
            pb::CommuneScope::NotKeyComplex,
            chair,
        );
        let secretary = (R::Leader, K::PartySecretary);
        fixture.policy(
            "policy-bcd-hotspot",
            F::SteeringCommittee,
            pb::CommuneScope::KeyComplex,
            secretary,
        );
        fixture
    }

    /// The roster of both provinces' teams (asked province by province) on `as_of`:
    /// team id → (policies in force, breaches as (role, vacant)).
    fn flags(&self, as_of: Date, known: u64) -> BTreeMap<String, (usize, Vec<(i32, bool)>)> {
        let snapshot = self.snapshot(as_of, known);
        let mut flags = BTreeMap::new();
        for province in [THANH_HOA, NINH_BINH] {
            let answer = roster(&snapshot, &AreaRef::Id(province.into()), None).unwrap();
            assert_eq!(answer.teams.len(), answer.compositions.len());
            for (team, composition) in answer.teams.iter().zip(&answer.compositions) {
                assert_eq!(team.team_id, composition.team_id);
                let breaches = composition
                    .breaches
                    .iter()
                    .map(|breach| (breach.role, breach.vacant))
                    .collect();
                flags.insert(team.team_id.clone(), (composition.policy_ids.len(), breaches));
            }
        }
        flags
    }

    fn flagged(&self, team: &str, as_of: Date, known: u64) -> bool {
        let (_, breaches) = &self.flags(as_of, known)[team];
        !breaches.is_empty()
    }
}

// ---- The naive judge ----

/// `A`'s state of `stream` as of `as_of`, folding its events before `known` in
/// effective-date order (ties by position).
fn state_of<A: Aggregate>(
    events: &[(String, AnyEvent)],
    known: u64,
    stream: &str,
    as_of: Date,
    pick: fn(&AnyEvent) -> Option<&A::Event>,
) -> A::State
where
    A::Event: antt_domain::DomainEvent,
{
    use antt_domain::DomainEvent;
    let mut mine: Vec<&A::Event> = events[..known as usize]
        .iter()
        .filter(|(s, _)| s == stream)
        .filter_map(|(_, event)| pick(event))
        .filter(|event| event.effective_date() <= as_of)
        .collect();
    mine.sort_by_key(|event| event.effective_date());
    mine.into_iter().fold(A::State::default(), A::evolve)
}

fn streams(events: &[(String, AnyEvent)], known: u64, kind: fn(&AnyEvent) -> bool) -> BTreeSet<String> {
    events[..known as usize]
        .iter()
        .filter(|(_, event)| kind(event))
        .map(|(stream, _)| stream.clone())
        .collect()
}

/// Whether the naive judge flags `team_id` on `as_of` with the events before `known`.
fn naive_flagged(events: &[(String, AnyEvent)], known: u64, team_id: &str, as_of: Date) -> bool {
    let area = |id: &str| {
        state_of::<Area>(events, known, id, as_of, |event| match event {
            AnyEvent::Area(event) => Some(event),
            _ => None,
        })
    };
    let team = state_of::<Team>(events, known, team_id, as_of, |event| match event {
        AnyEvent::Team(event) => Some(event),
        _ => None,
    });
    if team.established_on.is_none() {
        return false;
    }
    let (mut commune, mut province) = (None, None);
    let mut current = team.area_id.clone();
    while !current.is_empty() {
        let state = area(&current);
        match state.level {
            pb::AreaLevel::Commune => commune = Some(state.clone()),
            pb::AreaLevel::Province => province = Some(state.area_id.clone()),
            _ => {}
        }
        current = state.parent_area_id.clone();
    }
    let key_complex = commune.is_some_and(|commune| commune.is_key_complex_on(as_of));
    let is_policy = |event: &AnyEvent| matches!(event, AnyEvent::Composition(_));
    let is_office = |event: &AnyEvent| matches!(event, AnyEvent::Office(_));
    let tenures: Vec<antt_domain::office::State> = streams(events, known, is_office)
        .iter()
        .map(|stream| {
            state_of::<Office>(events, known, stream, as_of, |event| match event {
                AnyEvent::Office(event) => Some(event),
                _ => None,
            })
        })
        .filter(|tenure| tenure.held())
        .collect();
    streams(events, known, is_policy).iter().any(|stream| {
        let policy = state_of::<Composition>(events, known, stream, as_of, |event| match event {
            AnyEvent::Composition(event) => Some(event),
            _ => None,
        });
        let Some(issued) = policy.issued.as_ref().filter(|_| policy.in_force()) else {
            return false;
        };
        let scope_fits = match issued.scope() {
            pb::CommuneScope::KeyComplex => key_complex,
            pb::CommuneScope::NotKeyComplex => !key_complex,
            _ => true,
        };
        if Some(&issued.province_area_id) != province.as_ref()
            || issued.force_type != team.force_type as i32
            || !scope_fits
        {
            return false;
        }
        issued.requirements.iter().any(|requirement| {
            let holder = Seat::of(requirement.role()).and_then(|seat| team.seat_holder(seat));
            !holder.is_some_and(|holder| {
                tenures.iter().any(|tenure| {
                    let taken = tenure.taken.as_ref().unwrap();
                    taken.person_id == holder && taken.area_id == team.area_id && taken.kind == requirement.office
                })
            })
        })
    })
}

// ---- The tests ----

#[test]
fn a_leader_who_loses_the_office_breaks_the_policy_from_that_day() {
    let fixture = Fixture::thanh_hoa();
    let known = fixture.known();
    // The policy is from 2013: no team is under it in 2012.
    let in_2012 = fixture.flags(day(2012, 6, 1), known);
    assert!(in_2012
        .values()
        .all(|(policies, breaches)| *policies == 0 && breaches.is_empty()));
    // An holds the công an viên office from 01/03/2013 to 01/06/2016.
    assert_eq!(fixture.flags(day(2014, 6, 1), known)[TEAM_8], (1, vec![]));
    assert!(
        fixture.flagged(TEAM_8, day(2013, 2, 1), known),
        "the policy is in force, An not yet công an viên"
    );
    assert!(!fixture.flagged(TEAM_8, day(2016, 5, 31), known));
    assert!(fixture.flagged(TEAM_8, day(2016, 6, 1), known));
    assert!(fixture.flagged(TEAM_8, day(2017, 6, 1), known));

    let snapshot = fixture.snapshot(day(2017, 6, 1), known);
    let answer = roster(&snapshot, &AreaRef::Id(THON_8.into()), None).unwrap();
    let position = answer.teams.iter().position(|team| team.team_id == TEAM_8).unwrap();
    let breach = &answer.compositions[position].breaches[0];
    assert_eq!(
        (
            breach.policy_id.as_str(),
            breach.decision_number.as_str(),
            breach.person_id.as_str()
        ),
        ("policy-4191", "4191/QĐ-UBND", AN)
    );
    assert_eq!(
        (breach.office(), breach.office_area_id.as_str()),
        (pb::OfficeKind::VillagePoliceOfficer, THON_8)
    );
    assert!(breach.reason.contains("không đúng cơ cấu") && breach.reason.contains("4191/QĐ-UBND"));
}

#[test]
fn a_team_of_another_province_is_never_under_the_policy() {
    let fixture = Fixture::thanh_hoa();
    for year in 2010..=2020 {
        let flags = fixture.flags(day(year, 6, 1), fixture.known());
        assert_eq!(flags[TEAM_1], (0, vec![]), "{year}");
    }
}

#[test]
fn a_vacant_seat_the_policy_names_is_a_breach() {
    let fixture = Fixture::thanh_hoa();
    let (policies, breaches) = &fixture.flags(day(2014, 6, 1), fixture.known())[TEAM_8B];
    assert_eq!(
        (*policies, breaches.clone()),
        (1, vec![(pb::MemberRole::Leader as i32, true)])
    );
}

#[test]
fn the_steering_committee_of_a_key_complex_commune_is_judged_by_that_policy() {
    let fixture = Fixture::thanh_hoa();
    let known = fixture.known();
    // Cường chairs the People's Committee throughout; Nga Thái was a hotspot 2015–2017.
    assert_eq!(fixture.flags(day(2014, 6, 1), known)[STEERING], (1, vec![]));
    let (policies, breaches) = &fixture.flags(day(2016, 6, 1), known)[STEERING];
    assert_eq!((*policies, breaches.len()), (1, 1), "the Party secretary must chair it");
    assert_eq!(
        fixture.flags(day(2018, 1, 1), known)[STEERING],
        (1, vec![]),
        "transformed"
    );
}

#[test]
fn a_backdated_tenure_changes_the_answer_only_for_those_who_know_of_it() {
    let mut fixture = Fixture::thanh_hoa();
    let before = fixture.known();
    // Recorded later: An was công an viên again from 01/01/2017.
    let kind = pb::OfficeKind::VillagePoliceOfficer;
    fixture.office("tenure-an-2", AN, THON_8, kind, day(2017, 1, 1), None);
    let after = fixture.known();
    assert!(
        fixture.flagged(TEAM_8, day(2017, 6, 1), before),
        "as the records stood before"
    );
    assert!(!fixture.flagged(TEAM_8, day(2017, 6, 1), after));
    assert!(
        fixture.flagged(TEAM_8, day(2016, 9, 1), after),
        "the days it does not cover"
    );

    let counted = |known: u64| {
        let snapshot = fixture.snapshot(day(2017, 6, 1), known);
        let period = Period {
            from: day(2017, 1, 1),
            to: day(2017, 6, 1),
        };
        let summary = forces_summary(&snapshot, &AreaRef::Id(THANH_HOA.into()), period).unwrap();
        let protection = summary
            .forces
            .iter()
            .find(|force| force.force_type() == pb::ForceType::SecurityProtectionTeam)
            .unwrap();
        (
            protection.teams,
            protection.teams_under_policy,
            protection.teams_not_conforming,
        )
    };
    // Thôn 8's two teams; the leaderless one stays flagged.
    assert_eq!(counted(before), (2, 2, 2));
    assert_eq!(counted(after), (2, 2, 1));
}

#[test]
fn twice_a_year_at_every_late_position_the_naive_judge_agrees() {
    let mut fixture = Fixture::thanh_hoa();
    fixture.office(
        "tenure-an-2",
        AN,
        THON_8,
        pb::OfficeKind::VillagePoliceOfficer,
        day(2017, 1, 1),
        None,
    );
    fixture.office(
        "tenure-cuong-bt",
        CUONG,
        NGA_THAI,
        pb::OfficeKind::PartySecretary,
        day(2016, 1, 1),
        None,
    );
    let mut flagged = 0;
    for known in (fixture.known() - 3)..=fixture.known() {
        for year in 2010..=2020 {
            for month in [1, 6] {
                let as_of = day(year, month, 1);
                let flags = fixture.flags(as_of, known);
                for team in [TEAM_8, TEAM_1, TEAM_8B, STEERING] {
                    let naive = naive_flagged(&fixture.events, known, team, as_of);
                    assert_eq!(!flags[team].1.is_empty(), naive, "{team} on {as_of}, known {known}");
                    flagged += usize::from(naive);
                }
            }
        }
    }
    assert!(flagged > 0, "the universe flags some teams");
}
