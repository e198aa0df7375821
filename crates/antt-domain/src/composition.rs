//! Team composition policies (cơ cấu): one stream per policy of a province, from the day
//! it takes effect (CompositionPolicyIssued) to the day it ends or is superseded
//! (CompositionPolicyEnded).
//!
//! The sources define forces by offices, per province and from a date: in Thanh Hóa, by
//! QĐ 4191/QĐ-UBND, the security protection team's leader is the village police officer
//! (công an viên) and, from 2013, its deputy the village militia head (thôn đội trưởng);
//! the steering committee is chaired by the commune People's Committee chairman, by the
//! Party secretary in key complex communes. Those are data, so they are records.
//!
//! Rules: a policy is issued once by a province that exists that day; it names its force
//! type, which communes it applies in, and at least one requirement, at most one per seat
//! (leader, deputy), each an office that belongs to the level where it must be held. It
//! ends once, after the day it took effect.
//!
//! Not a rule here: that teams meet it. A team that does not is a fact, flagged "không
//! đúng cơ cấu" by the projections (a question across records: the team, its members'
//! offices, the policy, the area tree), never refused.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision};
use crate::team::{self, Seat};
use crate::{area, office, text};

/// The policy aggregate.
pub struct Composition;

crate::aggregate!(Composition);

/// What can be asked of a policy.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Issue(Issue),
    End(End),
}

/// A province's policy takes effect on `effective_date`.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub policy_id: Uuid,
    /// The province, as its stream tells.
    pub province: AreaFacts,
    pub force_type: pb::ForceType,
    pub scope: pb::CommuneScope,
    pub requirements: Vec<Requirement>,
    pub title: String,
    pub decision: Decision,
    pub effective_date: Date,
}

/// A seat's holder must hold `office` at `place` on the same day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub role: pb::MemberRole,
    pub office: pb::OfficeKind,
    pub place: pb::OfficePlace,
}

/// The policy is no longer in force from `effective_date`.
#[derive(Clone, Debug, PartialEq)]
pub struct End {
    pub superseded_by: Option<Uuid>,
    pub details: String,
    pub decision: Option<Decision>,
    pub effective_date: Date,
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to a policy.
    pub enum Event {
        Issued(pb::CompositionPolicyIssued) = "antt.v1.CompositionPolicyIssued" @ 1,
        Ended(pb::CompositionPolicyEnded) = "antt.v1.CompositionPolicyEnded" @ 1,
    }
}

/// A policy as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub issued_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub issued: Option<pb::CompositionPolicyIssued>,
    pub ended: Option<pb::CompositionPolicyEnded>,
}

impl State {
    /// Whether the policy is in force: issued and not ended.
    pub fn in_force(&self) -> bool {
        self.issued_on.is_some() && self.ended_on.is_none()
    }

    /// The province whose policy it is; empty until issued.
    pub fn province_area_id(&self) -> &str {
        self.issued
            .as_ref()
            .map_or("", |issued| issued.province_area_id.as_str())
    }

    fn policy_id(&self) -> String {
        self.issued
            .as_ref()
            .map(|issued| issued.policy_id.clone())
            .unwrap_or_default()
    }
}

const POLICY: &str = "the composition policy (cơ cấu)";

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Issue(issue) => issue.effective_date,
        Command::End(end) => end.effective_date,
    }
}

/// Checks `command` against the policy: read into its event, then judged by [`check`].
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let event = match command {
        Command::Issue(issue) => decide_issue(issue, ctx)?,
        Command::End(end) => decide_end(state, end, ctx)?,
    };
    check(state, &event)?;
    Ok(vec![event])
}

fn decide_issue(issue: Issue, ctx: &Context) -> Result<Event, DomainError> {
    issue.province.ensure_exists_on(issue.effective_date)?;
    if issue.province.level != pb::AreaLevel::Province {
        return Err(DomainError::CompositionNotOfProvince {
            level: area::level_label(issue.province.level),
        });
    }
    let force_type = facts::specified("force_type", issue.force_type)?;
    Ok(Event::Issued(pb::CompositionPolicyIssued {
        policy_id: issue.policy_id.to_string(),
        province_area_id: issue.province.area_id.to_string(),
        force_type: force_type.into(),
        scope: facts::specified("scope", issue.scope)?.into(),
        requirements: requirements(force_type, &issue.requirements)?,
        title: text::optional_name("title", &issue.title)?,
        decision: Some(issue.decision.to_proto("decision", ctx)?),
        effective_date: Some(issue.effective_date.to_proto()),
    }))
}

/// The requirements in wire form: at least one, one per seat, each an office of the
/// level where it must be held (when the force type tells that level).
fn requirements(
    force_type: pb::ForceType,
    requirements: &[Requirement],
) -> Result<Vec<pb::RoleRequirement>, DomainError> {
    if requirements.is_empty() {
        return Err(DomainError::invalid(
            "requirements",
            "name at least one seat (leader, deputy) and the office its holder must hold",
        ));
    }
    let mut seats = Vec::new();
    let mut wire = Vec::new();
    for requirement in requirements {
        let role = facts::specified("requirements.role", requirement.role)?;
        let Some(seat) = Seat::of(role) else {
            return Err(DomainError::invalid(
                "requirements.role",
                "a requirement is on a seat a team has one of: the leader (or chair) or the deputy \
                 (or vice-chair)",
            ));
        };
        if seats.contains(&seat) {
            return Err(DomainError::invalid(
                "requirements.role",
                format!("names the seat of the {} twice", seat.vietnamese()),
            ));
        }
        seats.push(seat);
        let office = facts::specified("requirements.office", requirement.office)?;
        let place = facts::specified("requirements.place", requirement.place)?;
        if let Some(level) = office_level(force_type, place) {
            office::ensure_office_of_level(office, level)?;
        }
        wire.push(pb::RoleRequirement {
            role: role.into(),
            office: office.into(),
            place: place.into(),
        });
    }
    Ok(wire)
}

/// The level of the area where the office must be held: the team's commune, or the
/// team's area when its force type tells its level.
fn office_level(force_type: pb::ForceType, place: pb::OfficePlace) -> Option<pb::AreaLevel> {
    match place {
        pb::OfficePlace::TeamCommune => Some(pb::AreaLevel::Commune),
        pb::OfficePlace::TeamArea => team::force_level(force_type),
        pb::OfficePlace::Unspecified => None,
    }
}

fn decide_end(state: &State, end: End, ctx: &Context) -> Result<Event, DomainError> {
    let policy_id = state.policy_id();
    let superseded_by_policy_id = facts::optional_id(end.superseded_by);
    if !policy_id.is_empty() && superseded_by_policy_id == policy_id {
        return Err(DomainError::invalid(
            "superseded_by_policy_id",
            "must not name the policy itself",
        ));
    }
    Ok(Event::Ended(pb::CompositionPolicyEnded {
        policy_id,
        superseded_by_policy_id,
        details: text::optional_text("details", &end.details)?,
        decision: facts::optional_decision("decision", end.decision.as_ref(), ctx)?,
        effective_date: Some(end.effective_date.to_proto()),
    }))
}

/// Whether `event` holds on the policy as it stood just before it took effect.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    match event {
        Event::Issued(_) => facts::ensure_not_recorded(POLICY, state.issued_on),
        Event::Ended(e) => facts::ensure_may_end(
            POLICY,
            state.issued_on,
            state.ended_on,
            Date::from_event(e.effective_date.as_ref()),
        ),
    }
}

/// The policy after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Issued(e) => {
            state.issued_on = Some(on);
            state.issued = Some(e.clone());
        }
        Event::Ended(e) => {
            state.ended_on = Some(on);
            state.ended = Some(e.clone());
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, decision, id};
    use crate::{timeline_of, Timeline};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Composition>(given, when)
    }

    /// Thanh Hóa, registered 2008-01-01 and still existing.
    fn thanh_hoa() -> AreaFacts {
        area_facts(38, pb::AreaLevel::Province)
    }

    fn requirement(role: pb::MemberRole, office: pb::OfficeKind) -> Requirement {
        Requirement {
            role,
            office,
            place: pb::OfficePlace::TeamArea,
        }
    }

    /// QĐ 4191/QĐ-UBND: the protection team's leader is the công an viên, its deputy the
    /// thôn đội trưởng.
    fn qd_4191(on: Date) -> Issue {
        Issue {
            policy_id: id(1),
            province: thanh_hoa(),
            force_type: pb::ForceType::SecurityProtectionTeam,
            scope: pb::CommuneScope::All,
            requirements: vec![
                requirement(pb::MemberRole::Leader, pb::OfficeKind::VillagePoliceOfficer),
                requirement(pb::MemberRole::Deputy, pb::OfficeKind::VillageMilitiaHead),
            ],
            title: " Kiện toàn tổ bảo vệ ANTT ở thôn ".to_owned(),
            decision: decision("4191/QĐ-UBND", on),
            effective_date: on,
        }
    }

    fn end(on: Date) -> Command {
        Command::End(End {
            superseded_by: Some(id(2)),
            details: "thay thế bởi quyết định mới".to_owned(),
            decision: None,
            effective_date: on,
        })
    }

    fn issued_2013() -> Vec<Event> {
        check(vec![], Command::Issue(qd_4191(date(2013, 1, 1)))).unwrap()
    }

    #[test]
    fn a_policy_is_issued_once_with_its_requirements_and_in_force_until_ended() {
        let mut events = issued_2013();
        let Event::Issued(issued) = &events[0] else {
            unreachable!()
        };
        assert_eq!(issued.title, "Kiện toàn tổ bảo vệ ANTT ở thôn");
        assert_eq!(issued.requirements.len(), 2);
        assert_eq!(issued.requirements[1].office(), pb::OfficeKind::VillageMilitiaHead);
        assert_eq!(issued.decision.as_ref().unwrap().number, "4191/QĐ-UBND");
        assert!(matches!(
            check(events.clone(), Command::Issue(qd_4191(date(2014, 1, 1)))),
            Err(DomainError::AlreadyRecorded { .. })
        ));
        events.extend(check(events.clone(), end(date(2020, 1, 1))).unwrap());
        let timeline: Timeline<Composition> = timeline_of::<Composition>(&events);
        assert!(!timeline.state_as_of(date(2012, 12, 31)).in_force());
        assert!(timeline.state_as_of(date(2013, 1, 1)).in_force());
        assert!(timeline.state_as_of(date(2019, 12, 31)).in_force());
        let ended = timeline.state_as_of(date(2020, 1, 1));
        assert!(!ended.in_force());
        assert_eq!(ended.ended.unwrap().superseded_by_policy_id, id(2).to_string());
    }

    #[test]
    fn a_policy_ends_once_after_it_took_effect() {
        let mut events = issued_2013();
        assert_eq!(
            check(events.clone(), end(date(2013, 1, 1))),
            Err(DomainError::EndNotAfterStart {
                what: POLICY,
                began_on: date(2013, 1, 1)
            })
        );
        assert!(matches!(
            check(vec![], end(date(2020, 1, 1))),
            Err(DomainError::NotRecorded { .. })
        ));
        events.extend(check(events.clone(), end(date(2020, 1, 1))).unwrap());
        assert_eq!(
            check(events.clone(), end(date(2021, 1, 1))),
            Err(DomainError::AlreadyEnded {
                what: POLICY,
                ended_on: date(2020, 1, 1)
            })
        );
        // Earlier in valid time, the recorded end would be a second one.
        assert!(matches!(
            check(events, end(date(2018, 1, 1))),
            Err(DomainError::ContradictsLaterRecord { .. })
        ));
        let Command::End(mut itself) = end(date(2020, 1, 1)) else {
            unreachable!()
        };
        itself.superseded_by = Some(id(1));
        assert_eq!(
            check(issued_2013(), Command::End(itself)).unwrap_err().field(),
            Some("superseded_by_policy_id")
        );
    }

    #[test]
    fn a_policy_is_a_province_s_while_it_exists() {
        assert!(matches!(
            check(vec![], Command::Issue(qd_4191(date(2007, 12, 31)))),
            Err(DomainError::BeforeExistence { what: "the area", .. })
        ));
        let mut ended = qd_4191(date(2024, 7, 1));
        ended.province.ended_on = Some(date(2024, 7, 1));
        assert!(matches!(
            check(vec![], Command::Issue(ended)),
            Err(DomainError::AfterEnd { what: "the area", .. })
        ));
        let mut of_a_district = qd_4191(date(2013, 1, 1));
        of_a_district.province = area_facts(401, pb::AreaLevel::District);
        assert_eq!(
            check(vec![], Command::Issue(of_a_district)),
            Err(DomainError::CompositionNotOfProvince {
                level: "district (huyện)"
            })
        );
    }

    #[test]
    fn requirements_name_each_seat_once_with_an_office_of_its_place() {
        let with = |requirements: Vec<Requirement>| {
            let mut issue = qd_4191(date(2013, 1, 1));
            issue.requirements = requirements;
            check(vec![], Command::Issue(issue))
        };
        let field = |result: Result<Vec<Event>, DomainError>| result.unwrap_err().field();
        assert_eq!(field(with(vec![])), Some("requirements"));
        let leader = requirement(pb::MemberRole::Leader, pb::OfficeKind::VillagePoliceOfficer);
        // The chair is the leader's seat.
        let chair = requirement(pb::MemberRole::Chair, pb::OfficeKind::VillageHead);
        assert_eq!(field(with(vec![leader, chair])), Some("requirements.role"));
        let member = requirement(pb::MemberRole::Member, pb::OfficeKind::VillageHead);
        assert_eq!(field(with(vec![member])), Some("requirements.role"));
        let unplaced = Requirement {
            place: pb::OfficePlace::Unspecified,
            ..leader
        };
        assert_eq!(field(with(vec![unplaced])), Some("requirements.place"));
        // A commune police chief is no office of the protection team's village…
        let chief = requirement(pb::MemberRole::Leader, pb::OfficeKind::CommunePoliceChief);
        assert!(matches!(with(vec![chief]), Err(DomainError::OfficeNotAtLevel { .. })));
        // …but of the village's commune.
        let chief_of_commune = Requirement {
            place: pb::OfficePlace::TeamCommune,
            ..chief
        };
        assert!(with(vec![chief_of_commune]).is_ok());
    }

    #[test]
    fn the_force_type_and_the_scope_are_required() {
        let mut issue = qd_4191(date(2013, 1, 1));
        issue.scope = pb::CommuneScope::Unspecified;
        assert_eq!(
            check(vec![], Command::Issue(issue.clone())).unwrap_err().field(),
            Some("scope")
        );
        issue.force_type = pb::ForceType::Unspecified;
        assert_eq!(
            check(vec![], Command::Issue(issue)).unwrap_err().field(),
            Some("force_type")
        );
    }
}
