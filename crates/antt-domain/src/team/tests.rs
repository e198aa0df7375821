use proptest::prelude::*;

use super::*;
use crate::codec::DomainEvent;
use crate::testing::{area_facts, date, decision, id};

fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
    crate::testing::check::<Team>(given, when)
}

const TEAM: u128 = 100;

fn establish(force_type: pb::ForceType, quota: Option<u32>) -> Command {
    Command::Establish(Establish {
        team_id: id(TEAM),
        name: "Đội cốt cán ANTT xã Hàm Tiến".to_owned(),
        force_type,
        area: area_facts(1, pb::AreaLevel::ResidentialArea),
        sponsor_organisation: "Tỉnh đoàn Thanh niên".to_owned(),
        quota,
        managing_level: pb::AreaLevel::Province,
        managing_body: "Ban Thường vụ Tỉnh đoàn".to_owned(),
        formed_from: vec![],
        effective_date: date(2020, 3, 1),
        decision: Some(decision("12/QĐ-TĐTN", date(2020, 2, 20))),
    })
}

fn established(force_type: pb::ForceType, quota: Option<u32>) -> Vec<Event> {
    check(vec![], establish(force_type, quota)).unwrap()
}

fn nominate(person: u128) -> Command {
    Command::Nominate(Nominate {
        person_id: id(person),
        nominated_by: "Hội Cựu chiến binh xã".to_owned(),
        effective_date: date(2020, 4, 1),
    })
}

fn vet(person: u128, outcome: pb::VettingOutcome) -> Command {
    Command::Vet(Vet {
        person_id: id(person),
        outcome,
        vetted_by: "Bí thư Đảng ủy xã Hàm Tiến".to_owned(),
        effective_date: date(2020, 5, 1),
    })
}

fn appoint(person: u128, role: pb::MemberRole) -> Command {
    Command::Appoint(Appoint {
        person_id: id(person),
        role,
        effective_date: date(2020, 6, 1),
        decision: decision("45/QĐ-UBND", date(2020, 6, 1)),
        term_end: None,
    })
}

fn leave(person: u128) -> Command {
    Command::Leave(Leave {
        person_id: id(person),
        reason: pb::LeaveReason::Relocated,
        effective_date: date(2022, 1, 1),
        decision: None,
    })
}

fn replace(leaver: u128, successor: u128) -> Command {
    Command::Replace(Replace {
        leaver_person_id: id(leaver),
        successor_person_id: id(successor),
        role: None,
        effective_date: date(2022, 2, 1),
        decision: decision("7/QĐ-UBND", date(2022, 2, 1)),
    })
}

/// Applies `commands` one after another, failing the test on the first refusal.
fn history(given: Vec<Event>, commands: Vec<Command>) -> Vec<Event> {
    commands.into_iter().fold(given, |mut events, command| {
        let decided = check(events.clone(), command).unwrap();
        events.extend(decided);
        events
    })
}

/// A social security group (no vetting needed) with a quota of 3.
fn group_with_members(members: &[(u128, pb::MemberRole)]) -> Vec<Event> {
    let commands = members.iter().map(|(person, role)| appoint(*person, *role)).collect();
    history(established(pb::ForceType::SocialSecurityGroup, Some(3)), commands)
}

#[test]
fn no_appointment_to_a_dissolved_team() {
    let dissolve = Command::Dissolve(Dissolve {
        reason: "sáp nhập thôn".to_owned(),
        effective_date: date(2021, 1, 1),
        decision: decision("9/QĐ-UBND", date(2021, 1, 1)),
    });
    let given = history(group_with_members(&[(1, pb::MemberRole::Leader)]), vec![dissolve]);
    let state = crate::timeline_of::<Team>(&given).state();
    assert_eq!(state.active_count(), 0, "dissolution releases every active member");
    let appoint_after = Command::Appoint(Appoint {
        person_id: id(2),
        role: pb::MemberRole::Member,
        effective_date: date(2021, 1, 1),
        decision: decision("45/QĐ-UBND", date(2021, 1, 1)),
        term_end: None,
    });
    assert_eq!(
        check(given.clone(), appoint_after),
        Err(DomainError::TeamDissolved {
            ended_on: date(2021, 1, 1)
        })
    );
    // Valid time: an appointment dated before the dissolution holds, and the dissolution
    // releases that member too.
    let mut given = given;
    given.extend(check(given.clone(), appoint(2, pb::MemberRole::Member)).unwrap());
    assert_eq!(crate::timeline_of::<Team>(&given).state().active_count(), 0);
}

#[test]
fn core_force_appointments_need_a_passed_vetting() {
    let core_team = established(pb::ForceType::CoreForceTeam, Some(36));
    assert_eq!(
        check(core_team.clone(), appoint(1, pb::MemberRole::Member)),
        Err(DomainError::VettingRequired)
    );
    let nominated = history(core_team.clone(), vec![nominate(1)]);
    assert_eq!(
        check(nominated, appoint(1, pb::MemberRole::Member)),
        Err(DomainError::VettingRequired)
    );
    let failed = history(core_team.clone(), vec![nominate(1), vet(1, pb::VettingOutcome::Failed)]);
    assert_eq!(
        check(failed, appoint(1, pb::MemberRole::Member)),
        Err(DomainError::VettingFailed)
    );
    let passed = history(core_team, vec![nominate(1), vet(1, pb::VettingOutcome::Passed)]);
    assert!(check(passed, appoint(1, pb::MemberRole::Member)).is_ok());
}

#[test]
fn vetting_needs_a_nomination() {
    let core_team = established(pb::ForceType::CoreForceTeam, None);
    assert_eq!(
        check(core_team.clone(), vet(1, pb::VettingOutcome::Passed)),
        Err(DomainError::NotNominated)
    );
    let vetted = history(core_team, vec![nominate(1), vet(1, pb::VettingOutcome::Passed)]);
    assert_eq!(
        check(vetted.clone(), vet(1, pb::VettingOutcome::Passed)),
        Err(DomainError::NotNominated)
    );
    assert_eq!(check(vetted, nominate(1)), Err(DomainError::AlreadyNominated));
}

#[test]
fn no_appointment_over_quota() {
    let full = group_with_members(&[
        (1, pb::MemberRole::Leader),
        (2, pb::MemberRole::Deputy),
        (3, pb::MemberRole::Member),
    ]);
    assert_eq!(
        check(full, appoint(4, pb::MemberRole::Member)),
        Err(DomainError::QuotaFull { quota: 3 })
    );
}

#[test]
fn at_most_one_active_leader_and_one_deputy() {
    let given = group_with_members(&[(1, pb::MemberRole::Leader), (2, pb::MemberRole::Deputy)]);
    assert!(matches!(
        check(given.clone(), appoint(3, pb::MemberRole::Leader)),
        Err(DomainError::RoleTaken { .. })
    ));
    // A chair is a head too.
    assert!(matches!(
        check(given.clone(), appoint(3, pb::MemberRole::Chair)),
        Err(DomainError::RoleTaken { .. })
    ));
    assert!(matches!(
        check(given.clone(), appoint(3, pb::MemberRole::ViceChair)),
        Err(DomainError::RoleTaken { .. })
    ));
    let promote_deputy = Command::ChangeRole(ChangeRole {
        person_id: id(2),
        new_role: pb::MemberRole::Leader,
        effective_date: date(2021, 1, 1),
        decision: None,
    });
    assert!(matches!(
        check(given, promote_deputy),
        Err(DomainError::RoleTaken { .. })
    ));
}

#[test]
fn a_leader_may_become_chair_of_the_same_seat() {
    let given = group_with_members(&[(1, pb::MemberRole::Leader)]);
    let to_chair = Command::ChangeRole(ChangeRole {
        person_id: id(1),
        new_role: pb::MemberRole::Chair,
        effective_date: date(2021, 1, 1),
        decision: None,
    });
    assert!(check(given, to_chair).is_ok());
}

#[test]
fn a_person_holds_one_active_role_in_a_team() {
    let given = group_with_members(&[(1, pb::MemberRole::Member)]);
    assert_eq!(
        check(given, appoint(1, pb::MemberRole::Deputy)),
        Err(DomainError::AlreadyActiveMember)
    );
}

#[test]
fn a_leaver_must_be_active() {
    let given = group_with_members(&[(1, pb::MemberRole::Member)]);
    assert_eq!(check(given.clone(), leave(2)), Err(DomainError::NotActiveMember));
    let left = history(given, vec![leave(1)]);
    assert_eq!(check(left, leave(1)), Err(DomainError::NotActiveMember));
}

#[test]
fn a_leave_is_not_effective_before_the_appointment() {
    let given = group_with_members(&[(1, pb::MemberRole::Member)]);
    let early_leave = Command::Leave(Leave {
        person_id: id(1),
        reason: pb::LeaveReason::Resigned,
        effective_date: date(2020, 5, 31),
        decision: None,
    });
    // On 2020-05-31 the person was not serving yet.
    assert_eq!(check(given, early_leave), Err(DomainError::NotActiveMember));
}

#[test]
fn a_replacement_names_a_member_who_left() {
    let given = group_with_members(&[(1, pb::MemberRole::Leader)]);
    assert_eq!(check(given.clone(), replace(1, 2)), Err(DomainError::NotALeaver));
    assert_eq!(check(given.clone(), replace(9, 2)), Err(DomainError::NotALeaver));
    let left = history(given, vec![leave(1)]);
    let replaced = history(left, vec![replace(1, 2)]);
    let state = crate::replay::<Team>(&replaced);
    assert_eq!(state.seat_holder(Seat::Head), Some(id(2).to_string().as_str()));
    assert_eq!(check(replaced, replace(1, 3)), Err(DomainError::AlreadyReplaced));
}

#[test]
fn a_core_force_successor_needs_a_passed_vetting_too() {
    let core_team = established(pb::ForceType::CoreForceTeam, Some(9));
    let given = history(
        core_team,
        vec![
            nominate(1),
            vet(1, pb::VettingOutcome::Passed),
            appoint(1, pb::MemberRole::Member),
            leave(1),
        ],
    );
    assert_eq!(check(given, replace(1, 2)), Err(DomainError::VettingRequired));
}

#[test]
fn the_quota_cannot_drop_below_the_active_members() {
    let given = group_with_members(&[(1, pb::MemberRole::Leader), (2, pb::MemberRole::Deputy)]);
    let change = |new_quota| {
        Command::ChangeQuota(ChangeQuota {
            new_quota,
            effective_date: date(2021, 1, 1),
            decision: None,
        })
    };
    assert_eq!(
        check(given.clone(), change(Some(1))),
        Err(DomainError::QuotaBelowActive { quota: 1, active: 2 })
    );
    assert!(check(given.clone(), change(Some(2))).is_ok());
    assert!(check(given.clone(), change(None)).is_ok());
    assert_eq!(check(given, change(Some(0))).unwrap_err().field(), Some("new_quota"));
}

#[test]
fn nothing_is_effective_before_the_team_was_established() {
    let given = established(pb::ForceType::SocialSecurityGroup, None);
    let early = Command::Appoint(Appoint {
        person_id: id(1),
        role: pb::MemberRole::Member,
        effective_date: date(2020, 2, 28),
        decision: decision("1/QĐ", date(2020, 2, 28)),
        term_end: None,
    });
    assert_eq!(
        check(given, early),
        Err(DomainError::BeforeExistence {
            what: "the team",
            effective: date(2020, 2, 28),
            since: date(2020, 3, 1)
        })
    );
}

#[test]
fn nothing_is_effective_after_the_recording_date() {
    let given = established(pb::ForceType::SocialSecurityGroup, None);
    let future = Command::Appoint(Appoint {
        person_id: id(1),
        role: pb::MemberRole::Member,
        effective_date: date(2025, 1, 1),
        decision: decision("1/QĐ", date(2024, 12, 1)),
        term_end: None,
    });
    assert!(matches!(
        check(given, future),
        Err(DomainError::EffectiveDateInFuture { .. })
    ));
}

#[test]
fn a_team_is_not_established_before_its_area_existed() {
    let Command::Establish(mut establish) = establish(pb::ForceType::SecurityProtectionTeam, None) else {
        unreachable!()
    };
    establish.area.valid_from = date(2021, 1, 1);
    assert!(matches!(
        check(vec![], Command::Establish(establish.clone())),
        Err(DomainError::BeforeExistence { what: "the area", .. })
    ));
    establish.area.valid_from = date(2008, 1, 1);
    establish.area.ended_on = Some(date(2019, 12, 31));
    assert!(matches!(
        check(vec![], Command::Establish(establish)),
        Err(DomainError::AfterEnd { what: "the area", .. })
    ));
}

#[test]
fn a_merge_carries_members_over_by_name_and_releases_the_rest() {
    let given = group_with_members(&[(1, pb::MemberRole::Leader), (2, pb::MemberRole::Member)]);
    let merge = Command::Restructure(Restructure {
        kind: pb::RestructureKind::Merge,
        successor_team_ids: vec![id(200)],
        carried_over: vec![CarryOver {
            person_id: id(2),
            successor_team_id: id(200),
        }],
        team_ends: true,
        effective_date: date(2021, 1, 1),
        decision: decision("3/QĐ-UBND", date(2021, 1, 1)),
    });
    let events = check(given.clone(), merge).unwrap();
    let Event::Restructured(restructured) = &events[0] else {
        unreachable!()
    };
    assert_eq!(restructured.released_person_ids, vec![id(1).to_string()]);
    let state = crate::replay::<Team>(given.iter().chain(&events));
    assert_eq!(state.active_count(), 0);
    assert!(state.ending.as_ref().is_some_and(|ending| ending.restructured));
}

#[test]
fn carried_over_members_must_be_active_and_go_to_a_successor() {
    let given = group_with_members(&[(1, pb::MemberRole::Leader)]);
    let realign = |person, successor| {
        Command::Restructure(Restructure {
            kind: pb::RestructureKind::Realign,
            successor_team_ids: vec![id(200)],
            carried_over: vec![CarryOver {
                person_id: id(person),
                successor_team_id: id(successor),
            }],
            team_ends: false,
            effective_date: date(2021, 1, 1),
            decision: decision("3/QĐ-UBND", date(2021, 1, 1)),
        })
    };
    assert_eq!(check(given.clone(), realign(2, 200)), Err(DomainError::NotActiveMember));
    assert_eq!(
        check(given.clone(), realign(1, 300)).unwrap_err().field(),
        Some("carried_over")
    );
    assert!(check(given, realign(1, 200)).is_ok());
}

#[test]
fn received_members_respect_quota_and_seats() {
    let given = group_with_members(&[(1, pb::MemberRole::Leader)]);
    let receive = |members: Vec<(Uuid, pb::MemberRole)>| {
        Command::ReceiveMembers(ReceiveMembers {
            from_team_id: id(300),
            members,
            effective_date: date(2021, 1, 1),
            decision: None,
        })
    };
    assert!(matches!(
        check(given.clone(), receive(vec![(id(2), pb::MemberRole::Leader)])),
        Err(DomainError::RoleTaken { .. })
    ));
    assert_eq!(
        check(
            given.clone(),
            receive(vec![
                (id(2), pb::MemberRole::Member),
                (id(3), pb::MemberRole::Member),
                (id(4), pb::MemberRole::Member)
            ])
        ),
        Err(DomainError::QuotaFull { quota: 3 })
    );
    let events = check(given.clone(), receive(vec![(id(2), pb::MemberRole::Deputy)])).unwrap();
    let state = crate::replay::<Team>(given.iter().chain(&events));
    assert_eq!(state.active_count(), 2);
}

#[test]
fn an_allowance_goes_to_someone_who_served() {
    let given = group_with_members(&[(1, pb::MemberRole::Leader)]);
    let pay = |person: Option<Uuid>, amount_vnd| {
        Command::PayAllowance(PayAllowance {
            person_id: person,
            amount_vnd,
            period_start: date(2021, 1, 1),
            period_end: date(2021, 3, 31),
            effective_date: date(2021, 4, 5),
            decision: None,
        })
    };
    assert!(check(given.clone(), pay(None, 150_000)).is_ok());
    assert!(check(given.clone(), pay(Some(id(1)), 150_000)).is_ok());
    assert_eq!(
        check(given.clone(), pay(Some(id(2)), 150_000)),
        Err(DomainError::NeverAppointed)
    );
    assert_eq!(check(given, pay(None, 0)).unwrap_err().field(), Some("amount_vnd"));
}

#[test]
fn an_allowance_period_cannot_run_past_the_teams_end() {
    // Regression: only the period's start was checked against the team's life, so a
    // quarter ending after the team was dissolved was accepted.
    let dissolve = Command::Dissolve(Dissolve {
        reason: "sáp nhập thôn".to_owned(),
        effective_date: date(2021, 2, 15),
        decision: decision("9/QĐ-UBND", date(2021, 2, 15)),
    });
    let given = history(group_with_members(&[(1, pb::MemberRole::Leader)]), vec![dissolve]);
    let pay = |period_end| {
        Command::PayAllowance(PayAllowance {
            person_id: None,
            amount_vnd: 150_000,
            period_start: date(2021, 1, 1),
            period_end,
            effective_date: date(2021, 4, 5),
            decision: None,
        })
    };
    assert_eq!(
        check(given.clone(), pay(date(2021, 3, 31))),
        Err(DomainError::AfterEnd {
            what: "the team",
            effective: date(2021, 3, 31),
            ended_on: date(2021, 2, 15),
        })
    );
    assert!(check(given, pay(date(2021, 2, 15))).is_ok());
}

#[test]
fn a_handover_changes_the_managing_level() {
    let given = established(pb::ForceType::CoreForceTeam, Some(36));
    let hand_over = Command::HandOver(HandOver {
        to_managing_level: pb::AreaLevel::District,
        to_managing_body: "Ban Thường vụ Huyện ủy Tuy Phong".to_owned(),
        effective_date: date(2021, 1, 1),
        decision: None,
    });
    let state = crate::replay::<Team>(&history(given, vec![hand_over]));
    assert_eq!(state.managing_level, pb::AreaLevel::District);
}

#[test]
fn evaluations_and_trainings_are_for_active_members() {
    let given = group_with_members(&[(1, pb::MemberRole::Member)]);
    let evaluate = |person, period_year| {
        Command::Evaluate(Evaluate {
            person_id: id(person),
            period_year,
            grade: pb::TaskCompletionGrade::Good,
            evaluated_by: "Ban chỉ đạo ANTT xã".to_owned(),
            effective_date: date(2021, 12, 20),
        })
    };
    assert!(check(given.clone(), evaluate(1, 2021)).is_ok());
    assert_eq!(
        check(given.clone(), evaluate(1, 2022)).unwrap_err().field(),
        Some("period_year")
    );
    assert_eq!(
        check(given.clone(), evaluate(2, 2021)),
        Err(DomainError::NotActiveMember)
    );
    let train = Command::RecordTraining(RecordTraining {
        person_id: id(2),
        course: "Tập huấn nghiệp vụ".to_owned(),
        organised_by: String::new(),
        effective_date: date(2021, 5, 1),
    });
    assert_eq!(check(given, train), Err(DomainError::NotActiveMember));
}

// Upcasting.

fn v1_payload(decision_number: &str, quota: u32) -> Vec<u8> {
    use prost::Message;
    legacy::TeamEstablishedV1 {
        team_id: id(TEAM).to_string(),
        name: "Ban chỉ đạo ANTT xã Nga Thái".to_owned(),
        force_type: pb::ForceType::SteeringCommittee.into(),
        area_id: id(1).to_string(),
        sponsor_organisation: String::new(),
        quota,
        decision_number: decision_number.to_owned(),
        effective_date: Some(date(2008, 5, 25).to_proto()),
    }
    .encode_to_vec()
}

#[test]
fn team_established_v1_bytes_still_load() {
    let payload = v1_payload("710/QĐ-UBND ngày 25/5/2008", 19);
    let event = Event::decode("antt.v1.TeamEstablished", 1, &payload).unwrap();
    let Event::Established(established) = event else {
        panic!("expected TeamEstablished, got {event:?}");
    };
    assert_eq!(established.quota, Some(19));
    assert_eq!(
        established.decision,
        Some(pb::DecisionRef {
            number: "710/QĐ-UBND".to_owned(),
            issued_by: String::new(),
            issued_on: Some(date(2008, 5, 25).to_proto()),
        })
    );
    let state = crate::replay::<Team>(&[Event::Established(established)]);
    assert_eq!(state.established_on, Some(date(2008, 5, 25)));
}

#[test]
fn version_0_reads_as_version_1() {
    let payload = v1_payload("710/QĐ-UBND", 0);
    let Event::Established(established) = Event::decode("antt.v1.TeamEstablished", 0, &payload).unwrap() else {
        unreachable!()
    };
    assert_eq!(established.quota, None, "quota 0 meant no quota in v1");
    assert_eq!(established.decision.map(|d| d.number), Some("710/QĐ-UBND".to_owned()));
}

#[test]
fn reading_v1_bytes_as_v2_would_lose_the_decision() {
    use prost::Message;
    let payload = v1_payload("710/QĐ-UBND ngày 25/5/2008", 19);
    let naive = pb::TeamEstablished::decode(payload.as_slice()).unwrap();
    assert_eq!(naive.decision, None, "why the upcaster exists");
}

#[test]
fn a_newer_schema_version_is_refused() {
    let current = established(pb::ForceType::VillageSubCommittee, None).remove(0);
    assert_eq!(current.schema_version(), 2);
    let error = Event::decode("antt.v1.TeamEstablished", 3, &current.encode_payload()).unwrap_err();
    assert!(matches!(
        error,
        DecodeError::UnsupportedSchemaVersion {
            schema_version: 3,
            supported: 2,
            ..
        }
    ));
}

#[test]
fn unknown_event_types_and_bad_bytes_are_decode_errors() {
    assert!(matches!(
        Event::decode("antt.v1.AreaRegistered", 1, &[]),
        Err(DecodeError::UnknownEventType { .. })
    ));
    assert!(matches!(
        Event::decode("antt.v1.MemberAppointed", 1, &[0xff, 0xff]),
        Err(DecodeError::Malformed { .. })
    ));
}

#[test]
fn citations_without_a_date_keep_their_text() {
    let decision = legacy::decision_from_citation("QĐ số 12 của Huyện ủy").unwrap();
    assert_eq!(decision.number, "QĐ số 12 của Huyện ủy");
    assert_eq!(decision.issued_on, None);
    assert_eq!(legacy::decision_from_citation("  "), None);
}

// Properties.

/// A step of a random history, over a pool of six people.
#[derive(Clone, Debug)]
enum Step {
    Nominate(u8),
    Vet(u8, bool),
    Appoint(u8, pb::MemberRole),
    ChangeRole(u8, pb::MemberRole),
    Leave(u8),
    Replace(u8, u8, Option<pb::MemberRole>),
    ChangeQuota(Option<u32>),
    Receive(Vec<(u8, pb::MemberRole)>),
}

fn role_strategy() -> impl Strategy<Value = pb::MemberRole> {
    prop_oneof![
        Just(pb::MemberRole::Leader),
        Just(pb::MemberRole::Deputy),
        Just(pb::MemberRole::Member),
        Just(pb::MemberRole::Member),
        Just(pb::MemberRole::Chair),
        Just(pb::MemberRole::ViceChair),
    ]
}

fn step_strategy() -> impl Strategy<Value = Step> {
    let person = 0u8..6;
    prop_oneof![
        1 => person.clone().prop_map(Step::Nominate),
        1 => (person.clone(), any::<bool>()).prop_map(|(p, passed)| Step::Vet(p, passed)),
        3 => (person.clone(), role_strategy()).prop_map(|(p, role)| Step::Appoint(p, role)),
        1 => (person.clone(), role_strategy()).prop_map(|(p, role)| Step::ChangeRole(p, role)),
        2 => person.clone().prop_map(Step::Leave),
        2 => (person.clone(), person.clone(), proptest::option::of(role_strategy()))
            .prop_map(|(leaver, successor, role)| Step::Replace(leaver, successor, role)),
        1 => proptest::option::of(1u32..5).prop_map(Step::ChangeQuota),
        1 => proptest::collection::vec((person, role_strategy()), 1..3).prop_map(Step::Receive),
    ]
}

fn step_command(step: &Step, day: u32) -> Command {
    // Each step is a day later, so dates never run backwards.
    let effective_date = Date::new(2021, 1 + day / 28, 1 + day % 28).unwrap();
    let decision = decision("1/QĐ", effective_date);
    let person = |p: u8| id(u128::from(p) + 1);
    match step.clone() {
        Step::Nominate(p) => Command::Nominate(Nominate {
            person_id: person(p),
            nominated_by: "Mặt trận".to_owned(),
            effective_date,
        }),
        Step::Vet(p, passed) => Command::Vet(Vet {
            person_id: person(p),
            outcome: if passed {
                pb::VettingOutcome::Passed
            } else {
                pb::VettingOutcome::Failed
            },
            vetted_by: "Đảng ủy xã".to_owned(),
            effective_date,
        }),
        Step::Appoint(p, role) => Command::Appoint(Appoint {
            person_id: person(p),
            role,
            effective_date,
            decision,
            term_end: None,
        }),
        Step::ChangeRole(p, new_role) => Command::ChangeRole(ChangeRole {
            person_id: person(p),
            new_role,
            effective_date,
            decision: None,
        }),
        Step::Leave(p) => Command::Leave(Leave {
            person_id: person(p),
            reason: pb::LeaveReason::Transferred,
            effective_date,
            decision: None,
        }),
        Step::Replace(leaver, successor, role) => Command::Replace(Replace {
            leaver_person_id: person(leaver),
            successor_person_id: person(successor),
            role,
            effective_date,
            decision,
        }),
        Step::ChangeQuota(new_quota) => Command::ChangeQuota(ChangeQuota {
            new_quota,
            effective_date,
            decision: None,
        }),
        Step::Receive(members) => Command::ReceiveMembers(ReceiveMembers {
            from_team_id: id(300),
            members: members.into_iter().map(|(p, role)| (person(p), role)).collect(),
            effective_date,
            decision: None,
        }),
    }
}

/// The roster by an independent reading of the events: person → active role.
fn roster(events: &[Event]) -> BTreeMap<String, pb::MemberRole> {
    let mut active = BTreeMap::new();
    for event in events {
        match event {
            Event::MemberAppointed(e) => {
                active.insert(e.person_id.clone(), e.role());
            }
            Event::MemberReplaced(e) => {
                active.insert(e.successor_person_id.clone(), e.role());
            }
            Event::MembersTransferredIn(e) => {
                for member in &e.members {
                    active.insert(member.person_id.clone(), member.role());
                }
            }
            Event::MemberRoleChanged(e) => {
                active.insert(e.person_id.clone(), e.new_role());
            }
            Event::MemberLeft(e) => {
                active.remove(&e.person_id);
            }
            _ => {}
        }
    }
    active
}

/// The people an event gives an active role to.
fn appointed_people(event: &Event) -> Vec<&str> {
    match event {
        Event::MemberAppointed(e) => vec![e.person_id.as_str()],
        Event::MemberReplaced(e) => vec![e.successor_person_id.as_str()],
        Event::MembersTransferredIn(e) => e.members.iter().map(|member| member.person_id.as_str()).collect(),
        _ => Vec::new(),
    }
}

fn quota_of(events: &[Event]) -> Option<u32> {
    events.iter().fold(None, |quota, event| match event {
        Event::Established(e) => e.quota,
        Event::QuotaChanged(e) => e.new_quota,
        _ => quota,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Goal: no sequence of accepted commands breaks a roster invariant. Method: decide
    /// random steps against a team; keep what is accepted; after each step read the roster
    /// independently from the events and check the invariants.
    #[test]
    fn random_histories_keep_the_roster_invariants(
        core in any::<bool>(),
        quota in proptest::option::of(1u32..5),
        steps in proptest::collection::vec(step_strategy(), 0..60),
    ) {
        let force_type = if core { pb::ForceType::CoreForceTeam } else { pb::ForceType::SocialSecurityGroup };
        let mut events = established(force_type, quota);
        let mut state = crate::replay::<Team>(&events);
        for (day, step) in steps.iter().enumerate() {
            let command = step_command(step, u32::try_from(day).unwrap());
            let before = state.clone();
            let Ok(decided) = decide(&state, command, &crate::testing::ctx()) else { continue };
            let active_before = roster(&events);
            for event in &decided {
                for person_id in appointed_people(event) {
                    prop_assert!(
                        !active_before.contains_key(person_id),
                        "{person_id} appointed while holding an active role"
                    );
                }
                if core {
                    if let Event::MemberAppointed(e) = event {
                        let vetted = matches!(
                            before.members.get(&e.person_id).map(|m| &m.stage),
                            Some(Stage::Vetted { passed: true, .. })
                        );
                        prop_assert!(vetted, "core force appointment without a passed vetting");
                    }
                }
                state = evolve(state, event);
            }
            events.extend(decided);

            let active = roster(&events);
            let heads = active.values().filter(|role| Seat::of(**role) == Some(Seat::Head)).count();
            let deputies = active.values().filter(|role| Seat::of(**role) == Some(Seat::Deputy)).count();
            prop_assert!(heads <= 1, "{heads} active heads");
            prop_assert!(deputies <= 1, "{deputies} active deputies");
            if let Some(quota) = quota_of(&events) {
                prop_assert!(active.len() <= quota as usize, "{} active over quota {quota}", active.len());
            }
            prop_assert_eq!(active.len(), state.active_members().count());
        }
    }

    /// Goal: evolve is total. Method: feed it arbitrary, even nonsensical, events.
    #[test]
    fn evolve_never_panics(events in proptest::collection::vec(arbitrary_event(), 0..40)) {
        let state = crate::replay::<Team>(&events);
        let _ = state.active_count();
    }
}

fn arbitrary_event() -> impl Strategy<Value = Event> {
    let person = (0u128..4).prop_map(|p| id(p).to_string());
    let any_date =
        (any::<i32>(), any::<u32>(), any::<u32>()).prop_map(|(year, month, day)| Some(pb::Date { year, month, day }));
    prop_oneof![
        (any::<i32>(), proptest::option::of(any::<u32>()), any_date.clone()).prop_map(|(force_type, quota, date)| {
            Event::Established(pb::TeamEstablished {
                force_type,
                quota,
                effective_date: date,
                ..Default::default()
            })
        }),
        (person.clone(), any::<i32>(), any_date.clone()).prop_map(|(person_id, role, date)| {
            Event::MemberAppointed(pb::MemberAppointed {
                person_id,
                role,
                effective_date: date,
                ..Default::default()
            })
        }),
        (person.clone(), any::<i32>(), any_date.clone()).prop_map(|(person_id, new_role, date)| {
            Event::MemberRoleChanged(pb::MemberRoleChanged {
                person_id,
                new_role,
                effective_date: date,
                ..Default::default()
            })
        }),
        (person.clone(), any::<i32>(), any_date.clone()).prop_map(|(person_id, reason, date)| {
            Event::MemberLeft(pb::MemberLeft {
                person_id,
                reason,
                effective_date: date,
                ..Default::default()
            })
        }),
        (person.clone(), person.clone(), any::<i32>()).prop_map(|(leaver_person_id, successor_person_id, role)| {
            Event::MemberReplaced(pb::MemberReplaced {
                leaver_person_id,
                successor_person_id,
                role,
                ..Default::default()
            })
        }),
        (person.clone(), any::<i32>()).prop_map(|(person_id, outcome)| {
            Event::MemberVetted(pb::MemberVetted {
                person_id,
                outcome,
                ..Default::default()
            })
        }),
        proptest::collection::vec(person.clone(), 0..3).prop_map(|released_person_ids| {
            Event::Dissolved(pb::TeamDissolved {
                released_person_ids,
                ..Default::default()
            })
        }),
        (proptest::collection::vec(person, 0..3), any::<bool>()).prop_map(|(released_person_ids, team_ends)| {
            Event::Restructured(pb::TeamRestructured {
                released_person_ids,
                team_ends,
                ..Default::default()
            })
        }),
        proptest::option::of(any::<u32>()).prop_map(|new_quota| {
            Event::QuotaChanged(pb::TeamQuotaChanged {
                new_quota,
                ..Default::default()
            })
        }),
    ]
}

mod valid_time {
    //! Rules hold at every date, whatever the order in which facts are recorded.

    use super::*;

    fn protection_team() -> Vec<Event> {
        check(vec![], establish(pb::ForceType::SecurityProtectionTeam, None)).unwrap()
    }

    fn appoint_on(person: u128, role: pb::MemberRole, on: Date) -> Command {
        Command::Appoint(Appoint {
            person_id: id(person),
            role,
            effective_date: on,
            decision: decision("45/QĐ-UBND", on),
            term_end: None,
        })
    }

    fn leave_on(person: u128, on: Date) -> Command {
        Command::Leave(Leave {
            person_id: id(person),
            reason: pb::LeaveReason::Resigned,
            effective_date: on,
            decision: None,
        })
    }

    /// The "Why" of issue 7: A leads 2023, then B is backdated as leader from 2022.
    #[test]
    fn a_backdated_leader_cannot_overlap_a_recorded_term() {
        let given = history(
            protection_team(),
            vec![
                appoint_on(1, pb::MemberRole::Leader, date(2023, 1, 1)),
                leave_on(1, date(2024, 1, 1)),
            ],
        );
        let refused = check(given.clone(), appoint_on(2, pb::MemberRole::Leader, date(2022, 1, 1))).unwrap_err();
        assert_eq!(
            refused,
            DomainError::SeatHeldDuring {
                seat_vi: "tổ trưởng",
                role: "leader or chair (tổ trưởng, trưởng ban, chủ nhiệm)",
                from: date(2023, 1, 1),
                until: Some(date(2023, 12, 31)),
            }
        );
        assert!(
            refused
                .to_string()
                .starts_with("từ 01/01/2023 đến 31/12/2023 tổ đã có tổ trưởng"),
            "{refused}"
        );
        // B led before A and left in time: a correct backdated entry is accepted, though
        // today (2024) nobody holds the seat and on 2023-01-01 A took it.
        let with_b = history(
            given.clone(),
            vec![term(2, pb::MemberRole::Leader, date(2022, 1, 1), date(2022, 12, 31))],
        );
        let timeline = crate::timeline_of::<Team>(&with_b);
        assert_eq!(
            timeline.state_as_of(date(2022, 6, 1)).seat_holder(Seat::Head),
            Some(id(2).to_string().as_str())
        );
        assert_eq!(
            timeline.state_as_of(date(2023, 6, 1)).seat_holder(Seat::Head),
            Some(id(1).to_string().as_str())
        );
        assert_eq!(timeline.state().seat_holder(Seat::Head), None);
    }

    /// A past term typed in whole: appointed on `from`, left on `until`.
    fn term(person: u128, role: pb::MemberRole, from: Date, until: Date) -> Command {
        Command::Appoint(Appoint {
            person_id: id(person),
            role,
            effective_date: from,
            decision: decision("45/QĐ-UBND", from),
            term_end: Some(TermEnd {
                on: until,
                reason: pb::LeaveReason::TermEnded,
            }),
        })
    }

    #[test]
    fn a_past_term_is_typed_in_whole_and_judged_on_its_dates() {
        let given = history(
            protection_team(),
            vec![appoint_on(1, pb::MemberRole::Leader, date(2023, 1, 1))],
        );
        // Left open, B's term from 2020 would overlap A's: refused.
        assert!(matches!(
            check(given.clone(), appoint_on(2, pb::MemberRole::Leader, date(2020, 6, 1))),
            Err(DomainError::SeatHeldDuring { .. })
        ));
        let decided = check(
            given.clone(),
            term(2, pb::MemberRole::Leader, date(2020, 6, 1), date(2022, 12, 31)),
        )
        .unwrap();
        assert_eq!(decided.len(), 2, "the appointment and the departure");
        // Facts of one day are ordered as recorded: A's appointment on 2023-01-01 was
        // recorded first, so B still held the seat when A took it.
        assert!(matches!(
            check(
                given,
                term(2, pb::MemberRole::Leader, date(2020, 6, 1), date(2023, 1, 1))
            ),
            Err(DomainError::SeatHeldDuring { until: None, .. })
        ));
    }

    #[test]
    fn an_open_backdated_leader_is_refused_with_an_open_period() {
        let given = history(
            protection_team(),
            vec![appoint_on(1, pb::MemberRole::Leader, date(2023, 1, 1))],
        );
        assert_eq!(
            check(given, appoint_on(2, pb::MemberRole::Leader, date(2022, 1, 1))),
            Err(DomainError::SeatHeldDuring {
                seat_vi: "tổ trưởng",
                role: "leader or chair (tổ trưởng, trưởng ban, chủ nhiệm)",
                from: date(2023, 1, 1),
                until: None,
            })
        );
    }

    #[test]
    fn a_backdated_dissolution_cannot_precede_recorded_work() {
        let given = history(
            protection_team(),
            vec![
                appoint_on(1, pb::MemberRole::Member, date(2021, 1, 1)),
                leave_on(1, date(2023, 1, 1)),
            ],
        );
        let dissolve = Command::Dissolve(Dissolve {
            reason: "sáp nhập thôn".to_owned(),
            effective_date: date(2022, 1, 1),
            decision: decision("9/QĐ-UBND", date(2022, 1, 1)),
        });
        assert_eq!(
            check(given, dissolve),
            Err(DomainError::ContradictsLaterRecord {
                on: date(2023, 1, 1),
                rule: Box::new(DomainError::TeamDissolved {
                    ended_on: date(2022, 1, 1)
                }),
            })
        );
    }

    #[test]
    fn a_backdated_quota_cannot_be_below_later_members() {
        let given = history(
            protection_team(),
            vec![
                appoint_on(1, pb::MemberRole::Member, date(2021, 1, 1)),
                appoint_on(2, pb::MemberRole::Member, date(2022, 1, 1)),
            ],
        );
        let quota = Command::ChangeQuota(ChangeQuota {
            new_quota: Some(1),
            effective_date: date(2021, 6, 1),
            decision: None,
        });
        assert_eq!(
            check(given, quota),
            Err(DomainError::ContradictsLaterRecord {
                on: date(2022, 1, 1),
                rule: Box::new(DomainError::QuotaFull { quota: 1 }),
            })
        );
    }

    fn pay(person: u128, start: Date, end: Date) -> Command {
        Command::PayAllowance(PayAllowance {
            person_id: Some(id(person)),
            amount_vnd: 500_000,
            period_start: start,
            period_end: end,
            effective_date: date(2024, 6, 1),
            decision: None,
        })
    }

    #[test]
    fn an_allowance_is_for_a_term_actually_served() {
        let given = history(
            protection_team(),
            vec![
                appoint_on(1, pb::MemberRole::Member, date(2020, 6, 1)),
                leave_on(1, date(2021, 12, 31)),
                appoint_on(1, pb::MemberRole::Member, date(2023, 1, 1)),
            ],
        );
        assert!(
            check(given.clone(), pay(1, date(2021, 1, 1), date(2021, 12, 31))).is_ok(),
            "the first term"
        );
        assert!(
            check(given.clone(), pay(1, date(2023, 1, 1), date(2023, 12, 31))).is_ok(),
            "the second term"
        );
        assert_eq!(
            check(given.clone(), pay(1, date(2022, 1, 1), date(2022, 6, 30))),
            Err(DomainError::NotServingDuring {
                start: date(2022, 1, 1),
                end: date(2022, 6, 30)
            }),
            "between the terms"
        );
        assert!(matches!(
            check(given, pay(2, date(2022, 1, 1), date(2022, 6, 30))),
            Err(DomainError::NeverAppointed)
        ));
    }
}

mod recording_order {
    //! Property: the valid-time state does not depend on the order facts are typed in.
    //!
    //! A valid history is built in date order against a naive oracle (decide one command
    //! after another, each dated after the last). Its commands are then recorded in a
    //! random order through the timeline, a refused command being tried again after the
    //! others, as a clerk would once the missing fact is in. Closed terms are typed in
    //! whole (`term_end`) and open members never vacate a seat except by dissolution:
    //! a fact that *ends* something cannot be recorded before what it ends, and what it
    //! ends cannot be recorded while it is missing, so histories that need one are out of
    //! scope here (the unit tests above show their refusals).

    use proptest::prelude::*;

    use super::*;
    use crate::Timeline;

    #[derive(Clone, Debug)]
    enum Intent {
        Appoint(u8, pb::MemberRole),
        Term(u8, pb::MemberRole, u32),
        TakeSeat(u8, pb::MemberRole),
        Quota(Option<u32>),
    }

    fn intent() -> impl Strategy<Value = Intent> {
        let person = 0u8..6;
        prop_oneof![
            3 => (person.clone(), role_strategy()).prop_map(|(p, role)| Intent::Appoint(p, role)),
            4 => (person.clone(), role_strategy(), 0u32..40).prop_map(|(p, role, days)| Intent::Term(p, role, days)),
            1 => (person, prop_oneof![Just(pb::MemberRole::Leader), Just(pb::MemberRole::Deputy)])
                .prop_map(|(p, role)| Intent::TakeSeat(p, role)),
            1 => proptest::option::of(1u32..6).prop_map(Intent::Quota),
        ]
    }

    /// Steps fall on even days; term ends on odd ones, so no two facts share a day and
    /// the order of a day's facts never matters.
    fn day(n: u32) -> Date {
        Date::from_days_since_unix_epoch(date(2010, 1, 2).days_since_unix_epoch() + i64::from(n))
    }

    fn command(intent: &Intent, step: u32) -> Command {
        let on = day(step * 100);
        let person = |p: u8| id(u128::from(p) + 1);
        match intent.clone() {
            Intent::Appoint(p, role) => Command::Appoint(Appoint {
                person_id: person(p),
                role,
                effective_date: on,
                decision: decision("1/QĐ", on),
                term_end: None,
            }),
            Intent::Term(p, role, days) => Command::Appoint(Appoint {
                person_id: person(p),
                role,
                effective_date: on,
                decision: decision("1/QĐ", on),
                term_end: Some(TermEnd {
                    on: day(step * 100 + 2 * days + 1),
                    reason: pb::LeaveReason::TermEnded,
                }),
            }),
            Intent::TakeSeat(p, new_role) => Command::ChangeRole(ChangeRole {
                person_id: person(p),
                new_role,
                effective_date: on,
                decision: None,
            }),
            Intent::Quota(new_quota) => Command::ChangeQuota(ChangeQuota {
                new_quota,
                effective_date: on,
                decision: None,
            }),
        }
    }

    fn team_from(quota: Option<u32>) -> Command {
        let Command::Establish(mut establish) = establish(pb::ForceType::SecurityProtectionTeam, quota) else {
            unreachable!("establish() builds an Establish");
        };
        establish.effective_date = date(2010, 1, 1);
        Command::Establish(establish)
    }

    fn dissolve_on(on: Date) -> Command {
        Command::Dissolve(Dissolve {
            reason: "sáp nhập".to_owned(),
            effective_date: on,
            decision: decision("9/QĐ", on),
        })
    }

    /// Records `command` at the end of the log; whether it was accepted.
    fn record(timeline: &mut Timeline<Team>, next_position: &mut u64, command: Command) -> bool {
        let ctx = Context {
            recorded_date: date(2030, 1, 1),
            actor: "test".to_owned(),
        };
        let Ok(events) = timeline.decide(command, &ctx) else {
            return false;
        };
        for event in events {
            timeline.push(*next_position, event);
            *next_position += 1;
        }
        true
    }

    /// A role change here only moves an ordinary member into a seat, never out of one
    /// (see the module's comment).
    fn takes_a_seat_from_the_ranks(timeline: &Timeline<Team>, command: &Command) -> bool {
        let Command::ChangeRole(change) = command else {
            return true;
        };
        let state = timeline.state_as_of(change.effective_date);
        matches!(
            state.members.get(&change.person_id.to_string()).map(|m| &m.stage),
            Some(Stage::Active {
                role: pb::MemberRole::Member,
                ..
            })
        )
    }

    /// The roster read naively from the events in date order up to `on`.
    fn naive_roster(timeline: &Timeline<Team>, on: Date) -> BTreeMap<String, pb::MemberRole> {
        let mut events: Vec<&Entry<Event>> = timeline.entries().iter().filter(|e| e.effective <= on).collect();
        events.sort_by_key(|e| e.effective);
        let mut active = roster(&events.iter().map(|e| e.event.clone()).collect::<Vec<_>>());
        if events.iter().any(|e| matches!(e.event, Event::Dissolved(_))) {
            active.clear();
        }
        active
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn recording_order_does_not_change_the_valid_time_state(
            quota in proptest::option::of(2u32..6),
            intents in proptest::collection::vec(intent(), 1..25),
            dissolve in any::<bool>(),
            seed in any::<u64>(),
        ) {
            // The oracle: one command after another, in date order.
            let mut oracle = Timeline::<Team>::new();
            let mut oracle_next = 0;
            let mut accepted = vec![team_from(quota)];
            prop_assert!(record(&mut oracle, &mut oracle_next, team_from(quota)));
            for (step, intent) in (1u32..).zip(&intents) {
                let command = command(intent, step);
                if !takes_a_seat_from_the_ranks(&oracle, &command) {
                    continue;
                }
                if record(&mut oracle, &mut oracle_next, command.clone()) {
                    accepted.push(command);
                }
            }
            if dissolve {
                let command = dissolve_on(day(u32::try_from(intents.len() + 1).unwrap() * 100));
                if record(&mut oracle, &mut oracle_next, command.clone()) {
                    accepted.push(command);
                }
            }

            // The same commands in a random order, retrying the refused ones.
            let (recorded, pending) = record_in_order(accepted, seed);
            prop_assert!(pending.is_empty(), "never accepted in this order: {pending:?}");

            let mut dates: Vec<Date> = oracle.entries().iter().map(|e| e.effective).collect();
            dates.extend(oracle.entries().iter().map(|e| e.effective.previous_day()));
            for on in dates {
                prop_assert_eq!(recorded.state_as_of(on), oracle.state_as_of(on), "as of {}", on);
            }
            // A command refused against one order is refused against the other.
            for (step, intent) in (1u32..).zip(&intents) {
                let probe = command(intent, step + 1000);
                let ctx = crate::testing::ctx();
                let late = Context { recorded_date: date(2040, 1, 1), ..ctx };
                prop_assert_eq!(
                    recorded.decide(probe.clone(), &late).is_ok(),
                    oracle.decide(probe, &late).is_ok()
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever is typed in, in whatever order and with whatever backdating, what is
        /// accepted keeps the rules at every date (read naively from the events).
        #[test]
        fn no_recording_order_breaks_a_rule_at_any_date(
            quota in proptest::option::of(2u32..6),
            intents in proptest::collection::vec((intent(), 1u32..30), 1..30),
            seed in any::<u64>(),
        ) {
            let mut commands = vec![team_from(quota)];
            commands.extend(intents.iter().map(|(intent, step)| command(intent, *step)));
            let (recorded, _) = record_in_order(commands, seed);
            for entry in recorded.entries() {
                let on = entry.effective;
                let active = naive_roster(&recorded, on);
                let heads = active.values().filter(|role| Seat::of(**role) == Some(Seat::Head)).count();
                let deputies = active.values().filter(|role| Seat::of(**role) == Some(Seat::Deputy)).count();
                prop_assert!(heads <= 1 && deputies <= 1, "{} heads, {} deputies on {}", heads, deputies, on);
                let quota = recorded.state_as_of(on).quota;
                prop_assert!(quota.is_none_or(|q| active.len() <= q as usize), "over quota on {}", on);
            }
        }
    }

    /// Records `commands` after shuffling them with `seed`, retrying the refused ones
    /// until a round accepts none; the timeline and what was never accepted.
    fn record_in_order(mut commands: Vec<Command>, seed: u64) -> (Timeline<Team>, Vec<Command>) {
        shuffle(&mut commands, seed);
        let mut recorded = Timeline::<Team>::new();
        let mut next = 0;
        loop {
            let before = commands.len();
            commands.retain(|command| !record(&mut recorded, &mut next, command.clone()));
            if commands.is_empty() || commands.len() == before {
                return (recorded, commands);
            }
        }
    }

    /// A deterministic Fisher–Yates shuffle (splitmix64), so a failure replays.
    fn shuffle<T>(items: &mut [T], mut seed: u64) {
        for i in (1..items.len()).rev() {
            seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let j = usize::try_from(z % (i as u64 + 1)).unwrap();
            items.swap(i, j);
        }
    }
}

#[test]
fn a_force_is_formed_at_its_level() {
    let at = |force_type, level| {
        let Command::Establish(mut establish) = establish(force_type, None) else {
            unreachable!("establish() builds an Establish");
        };
        establish.area = area_facts(1, level);
        check(vec![], Command::Establish(establish))
    };
    assert!(at(pb::ForceType::SteeringCommittee, pb::AreaLevel::Commune).is_ok());
    let refused = at(pb::ForceType::SteeringCommittee, pb::AreaLevel::ResidentialArea).unwrap_err();
    assert!(matches!(refused, DomainError::ForceLevelMismatch { .. }));
    assert!(refused.to_string().contains("không đúng cấp địa bàn"), "{refused}");
    assert!(at(pb::ForceType::SecurityProtectionTeam, pb::AreaLevel::ResidentialArea).is_ok());
    assert!(matches!(
        at(pb::ForceType::SecurityProtectionTeam, pb::AreaLevel::Commune),
        Err(DomainError::ForceLevelMismatch { .. })
    ));
    assert!(matches!(
        at(pb::ForceType::SocialSecurityGroup, pb::AreaLevel::District),
        Err(DomainError::ForceLevelMismatch { .. })
    ));
    assert!(at(pb::ForceType::CoreForceTeam, pb::AreaLevel::Commune).is_ok());
    assert!(at(pb::ForceType::SelfManagementModel, pb::AreaLevel::District).is_ok());
}

#[test]
fn households_are_counted_for_social_security_groups_on_their_dates() {
    let record = |households, on| {
        Command::RecordHouseholds(RecordHouseholds {
            households,
            source: "55/BC-BCĐ".to_owned(),
            effective_date: on,
        })
    };
    let group = established(pb::ForceType::SocialSecurityGroup, None);
    let given = history(group, vec![record(27, date(2023, 1, 1)), record(31, date(2021, 1, 1))]);
    let timeline = crate::timeline_of::<Team>(&given);
    assert_eq!(timeline.state_as_of(date(2022, 6, 1)).households, Some(31));
    assert_eq!(
        timeline.state().households,
        Some(27),
        "the latest count by date, not by recording"
    );
    assert_eq!(timeline.state_as_of(date(2020, 6, 1)).households, None);
    assert!(matches!(
        check(given, record(30, date(2019, 1, 1))),
        Err(DomainError::BeforeExistence { .. })
    ));
    let team = established(pb::ForceType::SecurityProtectionTeam, None);
    assert_eq!(
        check(team, record(30, date(2021, 1, 1))),
        Err(DomainError::NotASocialSecurityGroup)
    );
}
