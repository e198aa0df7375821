//! Forces (lực lượng): one stream per team, holding the team's life and its members'.
//!
//! Team: established (force type, area, sponsor, quota) → quota changed → restructured
//! (split, merged, re-aligned; members carried over by name) → handed over to another
//! managing level → dissolved.
//! Member: nominated → vetted (passed or failed, by whom) → appointed to a role by a
//! decision → role changed → trained → evaluated → paid → left → replaced.
//!
//! Rules kept here: no appointment to a dissolved team; core force members need a passed
//! vetting; no appointment over quota; at most one active head (leader or chair) and one
//! active deputy (deputy or vice-chair); a person holds at most one active role in a
//! team; a replacement names a member who left; nothing takes effect before the team was
//! established.
//!
//! `antt.v1.TeamEstablished` is at schema version 2; [`upcast`] reads version 1.

use std::collections::{BTreeMap, BTreeSet};

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, DecodeError};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision};
use crate::timeline::Entry;
use crate::{limits, text};

/// The team aggregate.
pub struct Team;

crate::aggregate!(Team, contradiction = seat_contradiction);

/// What can be asked of a team.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Establish(Establish),
    ChangeQuota(ChangeQuota),
    Restructure(Restructure),
    ReceiveMembers(ReceiveMembers),
    HandOver(HandOver),
    Dissolve(Dissolve),
    Nominate(Nominate),
    Vet(Vet),
    Appoint(Appoint),
    ChangeRole(ChangeRole),
    RecordTraining(RecordTraining),
    Evaluate(Evaluate),
    PayAllowance(PayAllowance),
    Leave(Leave),
    Replace(Replace),
    RecordHouseholds(RecordHouseholds),
}

/// Establishes a team.
#[derive(Clone, Debug, PartialEq)]
pub struct Establish {
    pub team_id: Uuid,
    pub name: String,
    pub force_type: pb::ForceType,
    /// The area it works in, as the area's stream tells.
    pub area: AreaFacts,
    /// May be empty when the government itself establishes the team.
    pub sponsor_organisation: String,
    /// None: no quota.
    pub quota: Option<u32>,
    pub managing_level: pb::AreaLevel,
    pub managing_body: String,
    /// Teams it was formed from by a restructuring.
    pub formed_from: Vec<Uuid>,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// Changes the quota; None removes it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeQuota {
    pub new_quota: Option<u32>,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// Splits, merges or re-aligns the team, naming every member who moves.
#[derive(Clone, Debug, PartialEq)]
pub struct Restructure {
    pub kind: pb::RestructureKind,
    pub successor_team_ids: Vec<Uuid>,
    pub carried_over: Vec<CarryOver>,
    /// A merge always ends the team; a split may; a re-alignment never does.
    pub team_ends: bool,
    pub effective_date: Date,
    pub decision: Decision,
}

/// A member moving to a successor team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CarryOver {
    pub person_id: Uuid,
    pub successor_team_id: Uuid,
}

/// Receives members carried over from another team.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiveMembers {
    pub from_team_id: Uuid,
    pub members: Vec<(Uuid, pb::MemberRole)>,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// Hands the team over to another managing level.
#[derive(Clone, Debug, PartialEq)]
pub struct HandOver {
    pub to_managing_level: pb::AreaLevel,
    pub to_managing_body: String,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// Dissolves the team; its active members are released.
#[derive(Clone, Debug, PartialEq)]
pub struct Dissolve {
    pub reason: String,
    pub effective_date: Date,
    pub decision: Decision,
}

/// Nominates a person.
#[derive(Clone, Debug, PartialEq)]
pub struct Nominate {
    pub person_id: Uuid,
    pub nominated_by: String,
    pub effective_date: Date,
}

/// Records the vetting of a nominated person.
#[derive(Clone, Debug, PartialEq)]
pub struct Vet {
    pub person_id: Uuid,
    pub outcome: pb::VettingOutcome,
    pub vetted_by: String,
    pub effective_date: Date,
}

/// Appoints a person to a role by a decision.
#[derive(Clone, Debug, PartialEq)]
pub struct Appoint {
    pub person_id: Uuid,
    pub role: pb::MemberRole,
    pub effective_date: Date,
    pub decision: Decision,
    /// A past term typed in whole: the member also left on this date for this reason.
    /// Backdating a term that ended needs both facts at once, since a term left open
    /// would overlap whoever holds the seat later.
    pub term_end: Option<TermEnd>,
}

/// The end of a term recorded with its appointment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermEnd {
    pub on: Date,
    pub reason: pb::LeaveReason,
}

/// Changes an active member's role.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeRole {
    pub person_id: Uuid,
    pub new_role: pb::MemberRole,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// Records a completed training course.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordTraining {
    pub person_id: Uuid,
    pub course: String,
    pub organised_by: String,
    pub effective_date: Date,
}

/// Records a member's periodic evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluate {
    pub person_id: Uuid,
    pub period_year: i32,
    pub grade: pb::TaskCompletionGrade,
    pub evaluated_by: String,
    pub effective_date: Date,
}

/// Records an allowance paid to a member, or support paid to the team (person None).
#[derive(Clone, Debug, PartialEq)]
pub struct PayAllowance {
    pub person_id: Option<Uuid>,
    pub amount_vnd: u64,
    pub period_start: Date,
    pub period_end: Date,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// An active member stops serving.
#[derive(Clone, Debug, PartialEq)]
pub struct Leave {
    pub person_id: Uuid,
    pub reason: pb::LeaveReason,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// Records how many households a social security group has on a date.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordHouseholds {
    pub households: u32,
    /// e.g. "Báo cáo số 55/BC-BCĐ"; may be empty.
    pub source: String,
    pub effective_date: Date,
}

/// Appoints a successor in place of a member who left.
#[derive(Clone, Debug, PartialEq)]
pub struct Replace {
    pub leaver_person_id: Uuid,
    pub successor_person_id: Uuid,
    /// None: the leaver's role.
    pub role: Option<pb::MemberRole>,
    pub effective_date: Date,
    pub decision: Decision,
}

domain_events! {
    upcast = upcast;
    /// What happened to a team or its members.
    pub enum Event {
        Established(pb::TeamEstablished) = "antt.v1.TeamEstablished" @ 2,
        QuotaChanged(pb::TeamQuotaChanged) = "antt.v1.TeamQuotaChanged" @ 1,
        Restructured(pb::TeamRestructured) = "antt.v1.TeamRestructured" @ 1,
        MembersTransferredIn(pb::TeamMembersTransferredIn) = "antt.v1.TeamMembersTransferredIn" @ 1,
        HandedOver(pb::TeamHandedOver) = "antt.v1.TeamHandedOver" @ 1,
        Dissolved(pb::TeamDissolved) = "antt.v1.TeamDissolved" @ 1,
        MemberNominated(pb::MemberNominated) = "antt.v1.MemberNominated" @ 1,
        MemberVetted(pb::MemberVetted) = "antt.v1.MemberVetted" @ 1,
        MemberAppointed(pb::MemberAppointed) = "antt.v1.MemberAppointed" @ 1,
        MemberRoleChanged(pb::MemberRoleChanged) = "antt.v1.MemberRoleChanged" @ 1,
        MemberTrained(pb::MemberTrained) = "antt.v1.MemberTrained" @ 1,
        MemberEvaluated(pb::MemberEvaluated) = "antt.v1.MemberEvaluated" @ 1,
        AllowancePaid(pb::AllowancePaid) = "antt.v1.AllowancePaid" @ 1,
        MemberLeft(pb::MemberLeft) = "antt.v1.MemberLeft" @ 1,
        MemberReplaced(pb::MemberReplaced) = "antt.v1.MemberReplaced" @ 1,
        GroupHouseholdsRecorded(pb::GroupHouseholdsRecorded) = "antt.v1.GroupHouseholdsRecorded" @ 1,
    }
}

/// A team as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Empty until established.
    pub team_id: String,
    pub established_on: Option<Date>,
    pub ending: Option<TeamEnding>,
    pub name: String,
    pub force_type: pb::ForceType,
    pub area_id: String,
    pub sponsor_organisation: String,
    pub quota: Option<u32>,
    pub managing_level: pb::AreaLevel,
    pub managing_body: String,
    /// Everyone ever nominated or appointed, by person id.
    pub members: BTreeMap<String, Membership>,
    /// A social security group's member households, as last counted.
    pub households: Option<u32>,
}

/// How and when a team ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamEnding {
    pub on: Date,
    pub restructured: bool,
}

/// One person's standing in the team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub stage: Stage,
    /// Start of the current or last term; None if never appointed.
    pub appointed_on: Option<Date>,
    /// Every term served, in order; the last one is open while the member is active.
    pub terms: Vec<Term>,
    /// The successor, once this member left and was replaced.
    pub replaced_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    Nominated {
        on: Date,
    },
    Vetted {
        on: Date,
        passed: bool,
    },
    Active {
        role: pb::MemberRole,
        since: Date,
    },
    Left {
        on: Date,
        role: pb::MemberRole,
        departure: Departure,
    },
}

/// One period of service: from the appointment to the departure (None while serving).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    pub from: Date,
    pub until: Option<Date>,
}

impl Term {
    /// The term covers every day from `start` to `end`; a departure's own day counts as
    /// served, as the team's last day does.
    fn covers(&self, start: Date, end: Date) -> bool {
        self.from <= start && self.until.is_none_or(|until| end <= until)
    }
}

/// Why a member stopped serving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Departure {
    Left(pb::LeaveReason),
    CarriedOver {
        to_team_id: String,
    },
    /// Released when the team was dissolved or ended by a restructuring.
    Released,
}

/// The two seats a team has one of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seat {
    /// Leader or chair.
    Head,
    /// Deputy or vice-chair.
    Deputy,
}

impl Seat {
    /// The seat a role occupies; None for ordinary members, who are limited by the quota.
    pub fn of(role: pb::MemberRole) -> Option<Seat> {
        match role {
            pb::MemberRole::Leader | pb::MemberRole::Chair => Some(Seat::Head),
            pb::MemberRole::Deputy | pb::MemberRole::ViceChair => Some(Seat::Deputy),
            pb::MemberRole::Member | pb::MemberRole::Unspecified => None,
        }
    }

    /// The seat as a clerk calls it.
    pub fn vietnamese(self) -> &'static str {
        match self {
            Seat::Head => "tổ trưởng",
            Seat::Deputy => "tổ phó",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Seat::Head => "leader or chair (tổ trưởng, trưởng ban, chủ nhiệm)",
            Seat::Deputy => "deputy (tổ phó, phó ban, phó chủ nhiệm)",
        }
    }
}

impl State {
    /// What a command about another record needs to know of this team; None until it is
    /// established.
    pub fn facts(&self) -> Option<crate::facts::TeamFacts> {
        Some(crate::facts::TeamFacts {
            team_id: Uuid::parse_str(&self.team_id).ok()?,
            force_type: self.force_type,
            established_on: self.established_on?,
            ended_on: self.ending.as_ref().map(|ending| ending.on),
        })
    }

    /// The standing of `person_id` in the team, if they were ever nominated or appointed.
    pub fn membership(&self, person_id: Uuid) -> Option<&Membership> {
        self.members.get(&person_id.to_string())
    }

    /// Active members and their roles, by person id.
    pub fn active_members(&self) -> impl Iterator<Item = (&str, pb::MemberRole)> {
        self.members
            .iter()
            .filter_map(|(person_id, membership)| match membership.stage {
                Stage::Active { role, .. } => Some((person_id.as_str(), role)),
                _ => None,
            })
    }

    pub fn active_count(&self) -> u32 {
        // Bounded by the number of events, far below u32::MAX.
        u32::try_from(self.active_members().count()).unwrap_or(u32::MAX)
    }

    /// The active member in `seat`, if any.
    pub fn seat_holder(&self, seat: Seat) -> Option<&str> {
        self.active_members()
            .find(|(_, role)| Seat::of(*role) == Some(seat))
            .map(|(person_id, _)| person_id)
    }

    fn active_role(&self, person_id: &str) -> Option<(pb::MemberRole, Date)> {
        match self.members.get(person_id)?.stage {
            Stage::Active { role, since } => Some((role, since)),
            _ => None,
        }
    }

    /// Established, not ended, and `effective` not before the establishment.
    fn ensure_open_on(&self, effective: Date) -> Result<(), DomainError> {
        let dissolved = self
            .ending
            .as_ref()
            .map(|ending| DomainError::TeamDissolved { ended_on: ending.on });
        facts::ensure_open_on("the team", self.established_on, dissolved, effective)
    }

    fn ensure_active(&self, person_id: &str, effective: Date) -> Result<pb::MemberRole, DomainError> {
        let (role, since) = self.active_role(person_id).ok_or(DomainError::NotActiveMember)?;
        facts::ensure_since("the member's appointment", effective, since)?;
        Ok(role)
    }

    /// `person_id` may take `role` now: not already active, vetted if need be, a place
    /// under the quota, and the seat free.
    fn ensure_can_seat(&self, person_id: &str, role: pb::MemberRole, effective: Date) -> Result<(), DomainError> {
        if self.active_role(person_id).is_some() {
            return Err(DomainError::AlreadyActiveMember);
        }
        self.ensure_vetting_allows(person_id, effective)?;
        self.ensure_quota_allows(1)?;
        self.ensure_seat_free(role, None)
    }

    fn ensure_vetting_allows(&self, person_id: &str, effective: Date) -> Result<(), DomainError> {
        match self.members.get(person_id).map(|membership| &membership.stage) {
            Some(Stage::Vetted { passed: false, .. }) => Err(DomainError::VettingFailed),
            Some(Stage::Vetted { passed: true, on }) => facts::ensure_since("the vetting", effective, *on),
            _ if self.force_type == pb::ForceType::CoreForceTeam => Err(DomainError::VettingRequired),
            _ => Ok(()),
        }
    }

    fn ensure_quota_allows(&self, newcomers: u32) -> Result<(), DomainError> {
        match self.quota {
            Some(quota) if self.active_count().saturating_add(newcomers) > quota => {
                Err(DomainError::QuotaFull { quota })
            }
            _ => Ok(()),
        }
    }

    /// The seat of `role` is free, or held by `except` (who is moving within the team).
    fn ensure_seat_free(&self, role: pb::MemberRole, except: Option<&str>) -> Result<(), DomainError> {
        let Some(seat) = Seat::of(role) else {
            return Ok(());
        };
        match self.seat_holder(seat) {
            Some(holder) if Some(holder) != except => Err(DomainError::RoleTaken { role: seat.label() }),
            _ => Ok(()),
        }
    }
}

/// Checks `command` against the team as it stood on the command's effective date: the
/// command is read into its event, then the event is judged by [`check`], the rules that
/// also judge every later record again (see [`crate::timeline`]).
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let term_end = match &command {
        Command::Appoint(appoint) => appoint.term_end,
        _ => None,
    };
    let event = build_event(state, command, ctx)?;
    check(state, &event)?;
    let Some(term_end) = term_end else {
        return Ok(vec![event]);
    };
    let left = term_end_event(&event, term_end, ctx)?;
    Ok(vec![event, left])
}

/// The departure that closes a term typed in whole; the timeline judges it on its date.
fn term_end_event(appointed: &Event, end: TermEnd, ctx: &Context) -> Result<Event, DomainError> {
    let Event::MemberAppointed(appointed) = appointed else {
        return Err(DomainError::invalid("term_end", "only an appointment has a term end"));
    };
    let from = Date::from_event(appointed.effective_date.as_ref());
    if end.on <= from {
        return Err(DomainError::invalid("term_end.on", "a term ends after it starts"));
    }
    facts::ensure_not_after_recording(end.on, ctx)?;
    Ok(Event::MemberLeft(pb::MemberLeft {
        team_id: appointed.team_id.clone(),
        person_id: appointed.person_id.clone(),
        reason: facts::specified("term_end.reason", end.reason)?.into(),
        effective_date: Some(end.on.to_proto()),
        decision: None,
    }))
}

/// The event a command asks for, with its own fields checked; the rules that depend on
/// the team's state are [`check`]'s.
fn build_event(state: &State, command: Command, ctx: &Context) -> Result<Event, DomainError> {
    Ok(match command {
        Command::Establish(establish) => decide_establish(state, establish, ctx)?,
        Command::ChangeQuota(change) => decide_change_quota(state, change, ctx)?,
        Command::Restructure(restructure) => decide_restructure(state, restructure, ctx)?,
        Command::ReceiveMembers(receive) => decide_receive_members(state, receive, ctx)?,
        Command::HandOver(hand_over) => decide_hand_over(state, hand_over, ctx)?,
        Command::Dissolve(dissolve) => decide_dissolve(state, dissolve, ctx)?,
        Command::Nominate(nominate) => decide_nominate(state, nominate)?,
        Command::Vet(vet) => decide_vet(state, vet)?,
        Command::Appoint(appoint) => decide_appoint(state, appoint, ctx)?,
        Command::ChangeRole(change) => decide_change_role(state, change, ctx)?,
        Command::RecordTraining(training) => decide_training(state, training)?,
        Command::Evaluate(evaluate) => decide_evaluate(state, evaluate)?,
        Command::PayAllowance(pay) => decide_pay_allowance(state, pay, ctx)?,
        Command::Leave(leave) => decide_leave(state, leave, ctx)?,
        Command::Replace(replace) => decide_replace(state, replace, ctx)?,
        Command::RecordHouseholds(record) => Event::GroupHouseholdsRecorded(pb::GroupHouseholdsRecorded {
            team_id: state.team_id.clone(),
            households: record.households,
            effective_date: Some(record.effective_date.to_proto()),
            source: text::optional_name("source", &record.source)?,
        }),
    })
}

/// Whether `event` holds on `state`, the team as it stood just before the event took
/// effect: the rules of every command that depend on the team's state.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    let on = crate::codec::DomainEvent::effective_date(event);
    if let Event::Established(_) = event {
        return facts::ensure_not_recorded("the team", state.established_on);
    }
    if let Event::AllowancePaid(e) = event {
        return check_allowance(state, e);
    }
    state.ensure_open_on(on)?;
    match event {
        Event::Established(_) | Event::AllowancePaid(_) | Event::HandedOver(_) | Event::Dissolved(_) => Ok(()),
        Event::QuotaChanged(e) => {
            let active = state.active_count();
            match e.new_quota.filter(|quota| *quota < active) {
                Some(quota) => Err(DomainError::QuotaBelowActive { quota, active }),
                None => Ok(()),
            }
        }
        Event::Restructured(e) => e
            .carried_over
            .iter()
            .try_for_each(|member| state.ensure_active(&member.person_id, on).map(drop)),
        Event::MembersTransferredIn(e) => ensure_room_for_transfer(state, &e.members),
        Event::MemberNominated(e) => match state.members.get(&e.person_id).map(|m| &m.stage) {
            Some(Stage::Active { .. }) => Err(DomainError::AlreadyActiveMember),
            Some(Stage::Nominated { .. } | Stage::Vetted { .. }) => Err(DomainError::AlreadyNominated),
            Some(Stage::Left { .. }) | None => Ok(()),
        },
        Event::MemberVetted(e) => match state.members.get(&e.person_id).map(|m| &m.stage) {
            Some(Stage::Nominated { on: nominated_on }) => facts::ensure_since("the nomination", on, *nominated_on),
            _ => Err(DomainError::NotNominated),
        },
        Event::MemberAppointed(e) => state.ensure_can_seat(&e.person_id, e.role(), on),
        Event::MemberRoleChanged(e) => {
            let current = state.ensure_active(&e.person_id, on)?;
            if e.new_role() == current {
                return Err(DomainError::invalid("new_role", "is already the member's role"));
            }
            state.ensure_seat_free(e.new_role(), Some(&e.person_id))
        }
        Event::MemberTrained(e) => state.ensure_active(&e.person_id, on).map(drop),
        Event::MemberEvaluated(e) => state.ensure_active(&e.person_id, on).map(drop),
        Event::MemberLeft(e) => state.ensure_active(&e.person_id, on).map(drop),
        Event::GroupHouseholdsRecorded(_) if state.force_type != pb::ForceType::SocialSecurityGroup => {
            Err(DomainError::NotASocialSecurityGroup)
        }
        Event::GroupHouseholdsRecorded(_) => Ok(()),
        Event::MemberReplaced(e) => {
            let (left_on, _) = leaver(state, &e.leaver_person_id)?;
            facts::ensure_since("the departure of the member replaced", on, left_on)?;
            state.ensure_can_seat(&e.successor_person_id, e.role(), on)
        }
    }
}

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Establish(c) => c.effective_date,
        Command::ChangeQuota(c) => c.effective_date,
        Command::Restructure(c) => c.effective_date,
        Command::ReceiveMembers(c) => c.effective_date,
        Command::HandOver(c) => c.effective_date,
        Command::Dissolve(c) => c.effective_date,
        Command::Nominate(c) => c.effective_date,
        Command::Vet(c) => c.effective_date,
        Command::Appoint(c) => c.effective_date,
        Command::ChangeRole(c) => c.effective_date,
        Command::RecordTraining(c) => c.effective_date,
        Command::Evaluate(c) => c.effective_date,
        Command::PayAllowance(c) => c.effective_date,
        Command::Leave(c) => c.effective_date,
        Command::Replace(c) => c.effective_date,
        Command::RecordHouseholds(c) => c.effective_date,
    }
}

fn checked_quota(field: &'static str, quota: Option<u32>) -> Result<Option<u32>, DomainError> {
    match quota {
        Some(quota) if quota == 0 || quota > limits::QUOTA_MAX => Err(DomainError::invalid(
            field,
            format!("a quota is between 1 and {}", limits::QUOTA_MAX),
        )),
        _ => Ok(quota),
    }
}

fn decide_establish(_state: &State, establish: Establish, ctx: &Context) -> Result<Event, DomainError> {
    establish.area.ensure_exists_on(establish.effective_date)?;
    ensure_force_fits_level(establish.force_type, establish.area.level)?;
    let team_id = establish.team_id.to_string();
    Ok(Event::Established(pb::TeamEstablished {
        formed_from_team_ids: facts::distinct_ids("formed_from", &establish.formed_from, &team_id, 0)?,
        team_id,
        name: text::required_name("name", &establish.name)?,
        force_type: facts::specified("force_type", establish.force_type)?.into(),
        area_id: establish.area.area_id.to_string(),
        sponsor_organisation: text::optional_name("sponsor_organisation", &establish.sponsor_organisation)?,
        quota: checked_quota("quota", establish.quota)?,
        effective_date: Some(establish.effective_date.to_proto()),
        managing_level: facts::specified("managing_level", establish.managing_level)?.into(),
        managing_body: text::required_name("managing_body", &establish.managing_body)?,
        decision: facts::optional_decision("decision", establish.decision.as_ref(), ctx)?,
    }))
}

/// The area levels a kind of force is formed at, by the sources: a steering committee
/// (BCĐ) in a commune; a village sub-committee, a security protection team (tổ bảo vệ
/// ANTT, Law 30/2023/QH15 art. 13: "ở thôn, tổ dân phố") and a social security group (a
/// cluster of the households of a village) in a residential area. Core force teams and
/// self-management models are formed wherever the sponsoring organisation works.
fn ensure_force_fits_level(force_type: pb::ForceType, level: pb::AreaLevel) -> Result<(), DomainError> {
    if force_level(force_type).is_none_or(|fits| fits == level) {
        return Ok(());
    }
    Err(DomainError::ForceLevelMismatch {
        force: force_label(force_type),
        level: crate::area::level_label(level),
    })
}

/// The one area level a kind of force is formed at; None for those formed at any level.
pub fn force_level(force_type: pb::ForceType) -> Option<pb::AreaLevel> {
    match force_type {
        pb::ForceType::SteeringCommittee => Some(pb::AreaLevel::Commune),
        pb::ForceType::VillageSubCommittee
        | pb::ForceType::SecurityProtectionTeam
        | pb::ForceType::SocialSecurityGroup => Some(pb::AreaLevel::ResidentialArea),
        pb::ForceType::CoreForceTeam | pb::ForceType::SelfManagementModel | pb::ForceType::Unspecified => None,
    }
}

fn force_label(force_type: pb::ForceType) -> &'static str {
    match force_type {
        pb::ForceType::SteeringCommittee => "steering committee (ban chỉ đạo ANTT) sits in a commune",
        pb::ForceType::VillageSubCommittee => "village sub-committee (tiểu ban ANTT thôn) sits in a residential area",
        pb::ForceType::SecurityProtectionTeam => {
            "security protection team (tổ bảo vệ ANTT) is formed in a residential area (thôn, tổ dân phố)"
        }
        pb::ForceType::SocialSecurityGroup => {
            "social security group (tổ an ninh xã hội) is formed in a residential area"
        }
        pb::ForceType::CoreForceTeam | pb::ForceType::SelfManagementModel | pb::ForceType::Unspecified => {
            "force fits any level"
        }
    }
}

fn decide_change_quota(state: &State, change: ChangeQuota, ctx: &Context) -> Result<Event, DomainError> {
    let new_quota = checked_quota("new_quota", change.new_quota)?;
    Ok(Event::QuotaChanged(pb::TeamQuotaChanged {
        team_id: state.team_id.clone(),
        new_quota,
        effective_date: Some(change.effective_date.to_proto()),
        decision: facts::optional_decision("decision", change.decision.as_ref(), ctx)?,
    }))
}

fn decide_restructure(state: &State, restructure: Restructure, ctx: &Context) -> Result<Event, DomainError> {
    let kind = facts::specified("kind", restructure.kind)?;
    let successors_min = check_restructure_shape(kind, restructure.team_ends)?;
    let successor_team_ids = facts::distinct_ids(
        "successor_team_ids",
        &restructure.successor_team_ids,
        &state.team_id,
        successors_min,
    )?;
    if kind == pb::RestructureKind::Merge && successor_team_ids.len() != 1 {
        return Err(DomainError::invalid(
            "successor_team_ids",
            "a merge has exactly one successor team",
        ));
    }
    let carried_over = carried_over_members(&restructure.carried_over, &successor_team_ids)?;
    let released_person_ids = if restructure.team_ends {
        let carried: BTreeSet<&str> = carried_over.iter().map(|member| member.person_id.as_str()).collect();
        active_person_ids_except(state, &carried)
    } else {
        Vec::new()
    };
    Ok(Event::Restructured(pb::TeamRestructured {
        team_id: state.team_id.clone(),
        kind: kind.into(),
        successor_team_ids,
        carried_over,
        released_person_ids,
        team_ends: restructure.team_ends,
        effective_date: Some(restructure.effective_date.to_proto()),
        decision: Some(restructure.decision.to_proto("decision", ctx)?),
    }))
}

/// The least number of successor teams for this kind of restructuring.
fn check_restructure_shape(kind: pb::RestructureKind, team_ends: bool) -> Result<usize, DomainError> {
    match (kind, team_ends) {
        (pb::RestructureKind::Merge, false) => Err(DomainError::invalid("team_ends", "a merged team ends")),
        (pb::RestructureKind::Realign, true) => Err(DomainError::invalid(
            "team_ends",
            "a re-aligned team continues; dissolve or merge it instead",
        )),
        (pb::RestructureKind::Split, true) => Ok(2),
        _ => Ok(1),
    }
}

fn carried_over_members(
    carried_over: &[CarryOver],
    successor_team_ids: &[String],
) -> Result<Vec<pb::CarriedOverMember>, DomainError> {
    if carried_over.len() > limits::LIST_ITEMS_MAX {
        return Err(DomainError::invalid("carried_over", "too many members"));
    }
    let mut seen = BTreeSet::new();
    let mut members = Vec::with_capacity(carried_over.len());
    for carry in carried_over {
        let person_id = carry.person_id.to_string();
        let successor_team_id = carry.successor_team_id.to_string();
        if !successor_team_ids.contains(&successor_team_id) {
            return Err(DomainError::invalid(
                "carried_over",
                "names a team that is not a successor",
            ));
        }
        if !seen.insert(person_id.clone()) {
            return Err(DomainError::invalid("carried_over", "names the same person twice"));
        }
        members.push(pb::CarriedOverMember {
            person_id,
            successor_team_id,
        });
    }
    Ok(members)
}

fn active_person_ids_except(state: &State, except: &BTreeSet<&str>) -> Vec<String> {
    state
        .active_members()
        .map(|(person_id, _)| person_id)
        .filter(|person_id| !except.contains(person_id))
        .map(str::to_owned)
        .collect()
}

fn decide_receive_members(state: &State, receive: ReceiveMembers, ctx: &Context) -> Result<Event, DomainError> {
    let from_team_id = receive.from_team_id.to_string();
    if from_team_id == state.team_id {
        return Err(DomainError::invalid(
            "from_team_id",
            "a team cannot receive members from itself",
        ));
    }
    let person_ids: Vec<Uuid> = receive.members.iter().map(|(person_id, _)| *person_id).collect();
    facts::distinct_ids("members", &person_ids, &state.team_id, 1)?;
    let members = receive
        .members
        .iter()
        .map(|(person_id, role)| {
            Ok(pb::TransferredMember {
                person_id: person_id.to_string(),
                role: facts::specified("members", *role)?.into(),
            })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Ok(Event::MembersTransferredIn(pb::TeamMembersTransferredIn {
        team_id: state.team_id.clone(),
        from_team_id,
        members,
        effective_date: Some(receive.effective_date.to_proto()),
        decision: facts::optional_decision("decision", receive.decision.as_ref(), ctx)?,
    }))
}

/// Incoming members fit: none already active, the quota holds, one head and one deputy.
fn ensure_room_for_transfer(state: &State, members: &[pb::TransferredMember]) -> Result<(), DomainError> {
    if members
        .iter()
        .any(|member| state.active_role(&member.person_id).is_some())
    {
        return Err(DomainError::AlreadyActiveMember);
    }
    state.ensure_quota_allows(u32::try_from(members.len()).unwrap_or(u32::MAX))?;
    for seat in [Seat::Head, Seat::Deputy] {
        let incoming = members
            .iter()
            .filter(|member| Seat::of(member.role()) == Some(seat))
            .count();
        let held = usize::from(state.seat_holder(seat).is_some());
        if incoming + held > 1 {
            return Err(DomainError::RoleTaken { role: seat.label() });
        }
    }
    Ok(())
}

fn decide_hand_over(state: &State, hand_over: HandOver, ctx: &Context) -> Result<Event, DomainError> {
    Ok(Event::HandedOver(pb::TeamHandedOver {
        team_id: state.team_id.clone(),
        to_managing_level: facts::specified("to_managing_level", hand_over.to_managing_level)?.into(),
        to_managing_body: text::required_name("to_managing_body", &hand_over.to_managing_body)?,
        effective_date: Some(hand_over.effective_date.to_proto()),
        decision: facts::optional_decision("decision", hand_over.decision.as_ref(), ctx)?,
    }))
}

fn decide_dissolve(state: &State, dissolve: Dissolve, ctx: &Context) -> Result<Event, DomainError> {
    Ok(Event::Dissolved(pb::TeamDissolved {
        team_id: state.team_id.clone(),
        reason: text::required_text("reason", &dissolve.reason)?,
        released_person_ids: active_person_ids_except(state, &BTreeSet::new()),
        effective_date: Some(dissolve.effective_date.to_proto()),
        decision: Some(dissolve.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_nominate(state: &State, nominate: Nominate) -> Result<Event, DomainError> {
    let person_id = nominate.person_id.to_string();
    Ok(Event::MemberNominated(pb::MemberNominated {
        team_id: state.team_id.clone(),
        person_id,
        nominated_by: text::required_name("nominated_by", &nominate.nominated_by)?,
        effective_date: Some(nominate.effective_date.to_proto()),
    }))
}

fn decide_vet(state: &State, vet: Vet) -> Result<Event, DomainError> {
    let person_id = vet.person_id.to_string();
    Ok(Event::MemberVetted(pb::MemberVetted {
        team_id: state.team_id.clone(),
        person_id,
        outcome: facts::specified("outcome", vet.outcome)?.into(),
        vetted_by: text::required_name("vetted_by", &vet.vetted_by)?,
        effective_date: Some(vet.effective_date.to_proto()),
    }))
}

fn decide_appoint(state: &State, appoint: Appoint, ctx: &Context) -> Result<Event, DomainError> {
    let person_id = appoint.person_id.to_string();
    let role = facts::specified("role", appoint.role)?;
    Ok(Event::MemberAppointed(pb::MemberAppointed {
        team_id: state.team_id.clone(),
        person_id,
        role: role.into(),
        effective_date: Some(appoint.effective_date.to_proto()),
        decision: Some(appoint.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_change_role(state: &State, change: ChangeRole, ctx: &Context) -> Result<Event, DomainError> {
    let person_id = change.person_id.to_string();
    // Informational: evolve reads only the new role, so a role change recorded later for
    // an earlier date cannot make this one wrong.
    let previous_role = state
        .active_role(&person_id)
        .map_or(pb::MemberRole::Unspecified, |(role, _)| role);
    let new_role = facts::specified("new_role", change.new_role)?;
    Ok(Event::MemberRoleChanged(pb::MemberRoleChanged {
        team_id: state.team_id.clone(),
        person_id,
        previous_role: previous_role.into(),
        new_role: new_role.into(),
        effective_date: Some(change.effective_date.to_proto()),
        decision: facts::optional_decision("decision", change.decision.as_ref(), ctx)?,
    }))
}

fn decide_training(state: &State, training: RecordTraining) -> Result<Event, DomainError> {
    let person_id = training.person_id.to_string();
    Ok(Event::MemberTrained(pb::MemberTrained {
        team_id: state.team_id.clone(),
        person_id,
        course: text::required_name("course", &training.course)?,
        organised_by: text::optional_name("organised_by", &training.organised_by)?,
        effective_date: Some(training.effective_date.to_proto()),
    }))
}

fn decide_evaluate(state: &State, evaluate: Evaluate) -> Result<Event, DomainError> {
    let person_id = evaluate.person_id.to_string();
    let period_year = facts::year("period_year", evaluate.period_year)?;
    if period_year > evaluate.effective_date.year() {
        return Err(DomainError::invalid(
            "period_year",
            "a year is evaluated during or after it",
        ));
    }
    Ok(Event::MemberEvaluated(pb::MemberEvaluated {
        team_id: state.team_id.clone(),
        person_id,
        period_year,
        grade: facts::specified("grade", evaluate.grade)?.into(),
        evaluated_by: text::required_name("evaluated_by", &evaluate.evaluated_by)?,
        effective_date: Some(evaluate.effective_date.to_proto()),
    }))
}

fn decide_pay_allowance(state: &State, pay: PayAllowance, ctx: &Context) -> Result<Event, DomainError> {
    if pay.amount_vnd == 0 {
        return Err(DomainError::invalid("amount_vnd", "must be at least 1 đồng"));
    }
    if pay.period_end < pay.period_start {
        return Err(DomainError::invalid("period_end", "must not be before period_start"));
    }
    Ok(Event::AllowancePaid(pb::AllowancePaid {
        team_id: state.team_id.clone(),
        person_id: facts::optional_id(pay.person_id),
        amount_vnd: pay.amount_vnd,
        period_start: Some(pay.period_start.to_proto()),
        period_end: Some(pay.period_end.to_proto()),
        effective_date: Some(pay.effective_date.to_proto()),
        decision: facts::optional_decision("decision", pay.decision.as_ref(), ctx)?,
    }))
}

/// Payments for past periods may be recorded after the team ended, or after the member
/// left: the period must lie inside the team's life and inside one term the member
/// served.
fn check_allowance(state: &State, e: &pb::AllowancePaid) -> Result<(), DomainError> {
    let period_start = Date::from_event(e.period_start.as_ref());
    let period_end = Date::from_event(e.period_end.as_ref());
    let established_on = facts::ensure_recorded("the team", state.established_on)?;
    let ended_on = state.ending.as_ref().map(|ending| ending.on);
    facts::ensure_within("the team", period_start, established_on, ended_on)?;
    // A period may end on the day the team ended (its last day of work), not after.
    if let Some(ended_on) = ended_on.filter(|ended_on| period_end > *ended_on) {
        return Err(DomainError::AfterEnd {
            what: "the team",
            effective: period_end,
            ended_on,
        });
    }
    if e.person_id.is_empty() {
        return Ok(());
    }
    ensure_served_during(state, &e.person_id, period_start, period_end)
}

fn ensure_served_during(state: &State, person_id: &str, start: Date, end: Date) -> Result<(), DomainError> {
    let terms = state
        .members
        .get(person_id)
        .map(|membership| membership.terms.as_slice())
        .filter(|terms| !terms.is_empty())
        .ok_or(DomainError::NeverAppointed)?;
    if terms.iter().any(|term| term.covers(start, end)) {
        return Ok(());
    }
    Err(DomainError::NotServingDuring { start, end })
}

fn decide_leave(state: &State, leave: Leave, ctx: &Context) -> Result<Event, DomainError> {
    let person_id = leave.person_id.to_string();
    Ok(Event::MemberLeft(pb::MemberLeft {
        team_id: state.team_id.clone(),
        person_id,
        reason: facts::specified("reason", leave.reason)?.into(),
        effective_date: Some(leave.effective_date.to_proto()),
        decision: facts::optional_decision("decision", leave.decision.as_ref(), ctx)?,
    }))
}

fn decide_replace(state: &State, replace: Replace, ctx: &Context) -> Result<Event, DomainError> {
    let leaver_person_id = replace.leaver_person_id.to_string();
    let successor_person_id = replace.successor_person_id.to_string();
    if leaver_person_id == successor_person_id {
        return Err(DomainError::invalid(
            "successor_person_id",
            "a member cannot replace themself",
        ));
    }
    // The successor takes the leaver's role unless another is named.
    let (_, leaver_role) = leaver(state, &leaver_person_id)?;
    let role = facts::specified("role", replace.role.unwrap_or(leaver_role))?;
    Ok(Event::MemberReplaced(pb::MemberReplaced {
        team_id: state.team_id.clone(),
        leaver_person_id,
        successor_person_id,
        role: role.into(),
        effective_date: Some(replace.effective_date.to_proto()),
        decision: Some(replace.decision.to_proto("decision", ctx)?),
    }))
}

/// When the member left and their last role, if they left and are not yet replaced.
fn leaver(state: &State, person_id: &str) -> Result<(Date, pb::MemberRole), DomainError> {
    let membership = state.members.get(person_id).ok_or(DomainError::NotALeaver)?;
    let Stage::Left { on, role, .. } = membership.stage else {
        return Err(DomainError::NotALeaver);
    };
    if membership.replaced_by.is_some() {
        return Err(DomainError::AlreadyReplaced);
    }
    Ok((on, role))
}

/// The refusal for a command after which `later[index]` breaks `rule`. A seat taken is
/// told as the period the recorded holder held it ("từ 01/01/2023 đến 31/12/2023 tổ đã
/// có tổ trưởng"); every other rule in the generic form.
fn seat_contradiction(later: &[Entry<Event>], index: usize, rule: DomainError) -> DomainError {
    let Some(entry) = later.get(index) else {
        return rule;
    };
    let seated = match (&rule, &entry.event) {
        (DomainError::RoleTaken { .. }, Event::MemberAppointed(e)) => Some((e.person_id.as_str(), e.role())),
        (DomainError::RoleTaken { .. }, Event::MemberReplaced(e)) => Some((e.successor_person_id.as_str(), e.role())),
        (DomainError::RoleTaken { .. }, Event::MemberRoleChanged(e)) => Some((e.person_id.as_str(), e.new_role())),
        _ => None,
    };
    let Some((person_id, Some(seat))) = seated.map(|(person_id, role)| (person_id, Seat::of(role))) else {
        return crate::timeline::contradiction(later, index, rule);
    };
    let until = later[index + 1..]
        .iter()
        .find(|next| leaves_seat(&next.event, person_id, seat))
        .map(|next| next.effective.previous_day());
    DomainError::SeatHeldDuring {
        seat_vi: seat.vietnamese(),
        role: seat.label(),
        from: entry.effective,
        until,
    }
}

/// Whether `event` ends `person_id`'s holding of `seat`.
fn leaves_seat(event: &Event, person_id: &str, seat: Seat) -> bool {
    match event {
        Event::MemberLeft(e) => e.person_id == person_id,
        Event::MemberRoleChanged(e) => e.person_id == person_id && Seat::of(e.new_role()) != Some(seat),
        Event::Restructured(e) => e.team_ends || e.carried_over.iter().any(|member| member.person_id == person_id),
        Event::Dissolved(_) => true,
        _ => false,
    }
}

/// The team after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Established(e) => evolve_established(&mut state, e, on),
        Event::QuotaChanged(e) => state.quota = e.new_quota,
        Event::Restructured(e) => evolve_restructured(&mut state, e, on),
        Event::MembersTransferredIn(e) => {
            for member in &e.members {
                start_term(&mut state, &member.person_id, member.role(), on);
            }
        }
        Event::HandedOver(e) => {
            state.managing_level = e.to_managing_level();
            state.managing_body = e.to_managing_body.clone();
        }
        Event::Dissolved(_) => end_team(&mut state, on, false),
        Event::MemberNominated(e) => set_candidate_stage(&mut state, &e.person_id, Stage::Nominated { on }),
        Event::MemberVetted(e) => {
            let passed = e.outcome() == pb::VettingOutcome::Passed;
            set_candidate_stage(&mut state, &e.person_id, Stage::Vetted { on, passed });
        }
        Event::MemberAppointed(e) => start_term(&mut state, &e.person_id, e.role(), on),
        Event::MemberRoleChanged(e) => {
            if let Some(Stage::Active { role, .. }) = state.members.get_mut(&e.person_id).map(|m| &mut m.stage) {
                *role = e.new_role();
            }
        }
        Event::MemberLeft(e) => end_term(&mut state, &e.person_id, on, Departure::Left(e.reason())),
        Event::MemberReplaced(e) => {
            if let Some(leaver) = state.members.get_mut(&e.leaver_person_id) {
                leaver.replaced_by = Some(e.successor_person_id.clone());
            }
            start_term(&mut state, &e.successor_person_id, e.role(), on);
        }
        // Training, evaluation and payments are history for projections; no rule here
        // depends on them.
        Event::GroupHouseholdsRecorded(e) => state.households = Some(e.households),
        Event::MemberTrained(_) | Event::MemberEvaluated(_) | Event::AllowancePaid(_) => {}
    }
    state
}

fn evolve_established(state: &mut State, e: &pb::TeamEstablished, on: Date) {
    state.team_id = e.team_id.clone();
    state.established_on = Some(on);
    state.name = e.name.clone();
    state.force_type = e.force_type();
    state.area_id = e.area_id.clone();
    state.sponsor_organisation = e.sponsor_organisation.clone();
    state.quota = e.quota;
    state.managing_level = e.managing_level();
    state.managing_body = e.managing_body.clone();
}

fn evolve_restructured(state: &mut State, e: &pb::TeamRestructured, on: Date) {
    for member in &e.carried_over {
        let departure = Departure::CarriedOver {
            to_team_id: member.successor_team_id.clone(),
        };
        end_term(state, &member.person_id, on, departure);
    }
    if e.team_ends {
        end_team(state, on, true);
    } else {
        for person_id in &e.released_person_ids {
            end_term(state, person_id, on, Departure::Released);
        }
    }
}

fn set_candidate_stage(state: &mut State, person_id: &str, stage: Stage) {
    let membership = state.members.entry(person_id.to_owned()).or_insert(Membership {
        stage: stage.clone(),
        appointed_on: None,
        terms: Vec::new(),
        replaced_by: None,
    });
    membership.stage = stage;
}

fn start_term(state: &mut State, person_id: &str, role: pb::MemberRole, on: Date) {
    let membership = state.members.entry(person_id.to_owned()).or_insert(Membership {
        stage: Stage::Active { role, since: on },
        appointed_on: None,
        terms: Vec::new(),
        replaced_by: None,
    });
    membership.stage = Stage::Active { role, since: on };
    membership.appointed_on = Some(on);
    membership.replaced_by = None;
    membership.terms.push(Term { from: on, until: None });
}

fn end_term(state: &mut State, person_id: &str, on: Date, departure: Departure) {
    let membership = state.members.entry(person_id.to_owned()).or_insert(Membership {
        stage: Stage::Nominated { on },
        appointed_on: None,
        terms: Vec::new(),
        replaced_by: None,
    });
    let role = match membership.stage {
        Stage::Active { role, .. } | Stage::Left { role, .. } => role,
        Stage::Nominated { .. } | Stage::Vetted { .. } => pb::MemberRole::Unspecified,
    };
    if let Some(term) = membership.terms.last_mut().filter(|term| term.until.is_none()) {
        term.until = Some(on);
    }
    membership.stage = Stage::Left { on, role, departure };
}

/// Ends the team on `on`, releasing whoever is still active then. The release is read
/// from the timeline, not from the event's list: that list is who was active as far as
/// was known when the end was recorded, and a member appointed or departed later for an
/// earlier date must be released or not by what was true on the day.
fn end_team(state: &mut State, on: Date, restructured: bool) {
    let active: Vec<String> = state
        .active_members()
        .map(|(person_id, _)| person_id.to_owned())
        .collect();
    for person_id in active {
        end_term(state, &person_id, on, Departure::Released);
    }
    state.ending = Some(TeamEnding { on, restructured });
}

/// Reads older schema versions of this aggregate's events; see [`crate::codec`].
pub fn upcast(event_type: &str, from_version: u32, payload: &[u8]) -> Result<Vec<u8>, DecodeError> {
    match (event_type, from_version) {
        ("antt.v1.TeamEstablished", 1) => legacy::team_established_v1_to_v2(payload),
        _ => crate::codec::no_upcasters(event_type, from_version, payload),
    }
}

mod legacy {
    //! Old payload layouts, kept only to upcast them.

    use antt_proto::v1 as pb;
    use prost::Message;

    use crate::codec::{malformed, DecodeError};

    /// `antt.v1.TeamEstablished` as written with schema version 1. The quota was a plain
    /// `uint32` with 0 for "no quota" (wire-compatible with v2's `optional uint32`), and
    /// the decision was one free-text citation, e.g. "710/QĐ-UBND ngày 25/5/2008".
    #[derive(Clone, PartialEq, Message)]
    pub(crate) struct TeamEstablishedV1 {
        #[prost(string, tag = "1")]
        pub team_id: String,
        #[prost(string, tag = "2")]
        pub name: String,
        #[prost(int32, tag = "3")]
        pub force_type: i32,
        #[prost(string, tag = "4")]
        pub area_id: String,
        #[prost(string, tag = "5")]
        pub sponsor_organisation: String,
        #[prost(uint32, tag = "6")]
        pub quota: u32,
        #[prost(string, tag = "7")]
        pub decision_number: String,
        #[prost(message, optional, tag = "8")]
        pub effective_date: Option<pb::Date>,
    }

    /// v1 bytes to v2 bytes: the citation moves into the structured `decision`.
    /// Decoding v1 bytes directly as v2 would silently drop field 7, hence this step.
    pub(super) fn team_established_v1_to_v2(payload: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let v1 =
            TeamEstablishedV1::decode(payload).map_err(|source| malformed("antt.v1.TeamEstablished", 1, source))?;
        let v2 = pb::TeamEstablished {
            team_id: v1.team_id,
            name: v1.name,
            force_type: v1.force_type,
            area_id: v1.area_id,
            sponsor_organisation: v1.sponsor_organisation,
            quota: (v1.quota > 0).then_some(v1.quota),
            effective_date: v1.effective_date,
            // Unknown in v1: the team was managed at the level of its area.
            managing_level: pb::AreaLevel::Unspecified.into(),
            managing_body: String::new(),
            decision: decision_from_citation(&v1.decision_number),
            formed_from_team_ids: Vec::new(),
        };
        Ok(v2.encode_to_vec())
    }

    /// "710/QĐ-UBND ngày 25/5/2008" → number "710/QĐ-UBND", issued on 2008-05-25. A
    /// citation without a readable date keeps its whole text as the number.
    pub(super) fn decision_from_citation(citation: &str) -> Option<pb::DecisionRef> {
        let citation = crate::text::normalize_nfc(citation.trim());
        if citation.is_empty() {
            return None;
        }
        let parsed = citation
            .split_once(" ngày ")
            .and_then(|(number, date)| Some((number.trim(), parse_day_month_year(date.trim())?)));
        Some(match parsed {
            Some((number, issued_on)) => pb::DecisionRef {
                number: number.to_owned(),
                issued_by: String::new(),
                issued_on: Some(issued_on),
            },
            None => pb::DecisionRef {
                number: citation,
                issued_by: String::new(),
                issued_on: None,
            },
        })
    }

    /// "25/5/2008" or "25-5-2008", the way Vietnamese documents write dates.
    fn parse_day_month_year(text: &str) -> Option<pb::Date> {
        let mut parts = text.split(['/', '-']).map(|part| part.trim().parse::<u32>().ok());
        let (day, month, year) = (parts.next()??, parts.next()??, parts.next()??);
        if parts.next().is_some() {
            return None;
        }
        let date = crate::date::Date::new(i32::try_from(year).ok()?, month, day).ok()?;
        Some(date.to_proto())
    }
}

#[cfg(test)]
mod tests;
