//! Security-and-order incidents (vụ việc về ANTT): one stream per incident.
//!
//! Reported → assigned to a handling level → mediated (possibly several times) →
//! dialogued (complex complaints) → escalated → resolved (mediation, commune police,
//! administrative sanction, prosecution, settled complaint, transfer) → possibly reopened.
//! Rules kept here, at every date whatever the order facts are recorded in (see
//! [`crate::timeline`]): only an open incident is assigned, mediated, dialogued,
//! escalated or resolved, so a resolution stands until a reopening; only a resolved
//! incident is reopened; an escalation goes above the level handling the incident on its
//! date; a resolution by mediation needs a successful mediation dated since the incident
//! was last (re)opened; nothing takes effect before the report.
//!
//! A past resolution that was later reopened is typed in whole
//! ([`Command::ResolveReopened`]) once anything after the reopening is recorded: alone,
//! the resolution would close the incident over what follows, and the reopening alone
//! would reopen an open incident.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision, TeamFacts};
use crate::text;

/// The incident aggregate.
pub struct Incident;

crate::aggregate!(Incident);

/// What can be asked of an incident.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Report(Report),
    Assign {
        level: pb::HandlingLevel,
        /// The team handling it, when a grassroots force does, as its stream tells.
        team: Option<TeamFacts>,
        /// Levels handling it together with `level` (phối hợp).
        co_handlers: Vec<CoHandler>,
        effective_date: Date,
    },
    Classify {
        classification: pb::IncidentClassification,
        reason: String,
        effective_date: Date,
    },
    Mediate {
        by_force: pb::ForceType,
        /// The team that mediated, when known, as its stream tells.
        by_team: Option<TeamFacts>,
        outcome: pb::MediationOutcome,
        note: String,
        effective_date: Date,
    },
    HoldDialogue {
        held_by: String,
        effective_date: Date,
    },
    Escalate {
        to_level: pb::HandlingLevel,
        reason: String,
        effective_date: Date,
    },
    Resolve {
        resolution: Resolution,
        effective_date: Date,
        decision: Option<Decision>,
    },
    Reopen {
        reason: String,
        effective_date: Date,
    },
    /// A past resolution with the reopening that ended it: both facts at once. Needed
    /// when anything dated after the reopening is already recorded (see the module doc).
    ResolveReopened {
        resolution: Resolution,
        effective_date: Date,
        decision: Option<Decision>,
        reopened: Reopening,
    },
}

/// A level handling an incident together with the one assigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoHandler {
    pub level: pb::HandlingLevel,
    pub team: Option<TeamFacts>,
}

/// The reopening of a resolution typed in whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reopening {
    pub reason: String,
    /// On or after the resolution's date.
    pub on: Date,
}

/// Reports a new incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub incident_id: Uuid,
    pub category: pb::IncidentCategory,
    pub area: AreaFacts,
    pub source: pb::IncidentSource,
    /// Without personal data.
    pub summary: String,
    pub complex: bool,
    /// The recorded tip it came from; only with source "public tip".
    pub tip_id: Option<Uuid>,
    /// Unspecified when not known yet.
    pub classification: pb::IncidentClassification,
    /// When it happened.
    pub effective_date: Date,
}

/// How an incident was resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    Mediated,
    CommunePoliceHandled,
    AdministrativeSanction { subjects: u32 },
    Prosecution { defendants: u32 },
    ComplaintSettled,
    Transferred { to_body: String },
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to an incident.
    pub enum Event {
        Reported(pb::IncidentReported) = "antt.v1.IncidentReported" @ 1,
        Assigned(pb::IncidentAssigned) = "antt.v1.IncidentAssigned" @ 1,
        MediationAttempted(pb::IncidentMediationAttempted) = "antt.v1.IncidentMediationAttempted" @ 1,
        DialogueHeld(pb::IncidentDialogueHeld) = "antt.v1.IncidentDialogueHeld" @ 1,
        Escalated(pb::IncidentEscalated) = "antt.v1.IncidentEscalated" @ 1,
        Resolved(pb::IncidentResolved) = "antt.v1.IncidentResolved" @ 1,
        Reopened(pb::IncidentReopened) = "antt.v1.IncidentReopened" @ 1,
        Classified(pb::IncidentClassified) = "antt.v1.IncidentClassified" @ 1,
    }
}

/// An incident as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Empty until reported.
    pub incident_id: String,
    pub reported_on: Option<Date>,
    pub category: pb::IncidentCategory,
    pub area_id: String,
    pub complex: bool,
    /// The current handling level; unspecified until assigned. While resolved, the level
    /// that resolved it (nothing changes the level of a closed incident).
    pub level: pb::HandlingLevel,
    /// Levels handling it together with `level` (phối hợp), counted for each.
    pub co_levels: Vec<pb::HandlingLevel>,
    pub classification: pb::IncidentClassification,
    /// The date of the resolution in force: a reopened and re-resolved incident is one
    /// incident resolved once, on its last resolution's date.
    pub resolved: Option<Date>,
    /// The resolution in force, as recorded; None while open.
    pub resolution: Option<pb::IncidentResolved>,
    /// Successful mediations since the incident was last (re)opened.
    pub successful_mediations_count: u32,
    pub mediations_count: u32,
    pub dialogues_count: u32,
}

impl State {
    pub fn is_open(&self) -> bool {
        self.reported_on.is_some() && self.resolved.is_none()
    }

    /// Reported and not resolved (as of the state's date); `effective` not before the
    /// report.
    fn ensure_open_on(&self, effective: Date) -> Result<(), DomainError> {
        let closed = self.resolved.map(|_| DomainError::IncidentClosed);
        facts::ensure_open_on("the incident", self.reported_on, closed, effective)
    }
}

/// Tier of a handling level for escalation: group 1, team 2, commune 3, district 4,
/// province 5; unassigned 0.
pub fn level_tier(level: pb::HandlingLevel) -> u8 {
    match level {
        pb::HandlingLevel::Unspecified => 0,
        pb::HandlingLevel::SocialSecurityGroup => 1,
        pb::HandlingLevel::SecurityProtectionTeam => 2,
        pb::HandlingLevel::CommunePolice | pb::HandlingLevel::CommuneAuthority => 3,
        pb::HandlingLevel::DistrictPolice | pb::HandlingLevel::DistrictAuthority => 4,
        pb::HandlingLevel::ProvincePolice | pb::HandlingLevel::ProvinceAuthority => 5,
    }
}

fn level_label(level: pb::HandlingLevel) -> &'static str {
    match level {
        pb::HandlingLevel::Unspecified => "no level (chưa phân công)",
        pb::HandlingLevel::SocialSecurityGroup => "the social security group (tổ ANXH)",
        pb::HandlingLevel::SecurityProtectionTeam => "the security protection team (tổ bảo vệ ANTT)",
        pb::HandlingLevel::CommunePolice => "the commune police (Công an xã)",
        pb::HandlingLevel::CommuneAuthority => "the commune authority (UBND xã)",
        pb::HandlingLevel::DistrictPolice => "the district police (Công an huyện)",
        pb::HandlingLevel::DistrictAuthority => "the district authority (UBND huyện)",
        pb::HandlingLevel::ProvincePolice => "the province police (Công an tỉnh)",
        pb::HandlingLevel::ProvinceAuthority => "the province authority (UBND tỉnh)",
    }
}

/// Checks `command` against the incident as it stood on the command's effective date:
/// the command is read into its event, then the event is judged by [`check`], the rules
/// that also judge every later record again (see [`crate::timeline`]).
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    let effective_date = command_effective_date(&command);
    facts::ensure_not_after_recording(effective_date, ctx)?;
    let reopening = match &command {
        Command::ResolveReopened { reopened, .. } => Some(reopened.clone()),
        _ => None,
    };
    let event = build_event(state, command, ctx)?;
    check(state, &event)?;
    let Some(reopening) = reopening else {
        return Ok(vec![event]);
    };
    let reopened = reopening_event(state, reopening, effective_date, ctx)?;
    Ok(vec![event, reopened])
}

/// The reopening of a resolution typed in whole; the timeline judges it on its own date,
/// with whatever is recorded between the two.
fn reopening_event(
    state: &State,
    reopening: Reopening,
    resolved_on: Date,
    ctx: &Context,
) -> Result<Event, DomainError> {
    if reopening.on < resolved_on {
        return Err(DomainError::invalid(
            "reopened.on",
            "an incident is reopened on or after the day it was resolved",
        ));
    }
    facts::ensure_not_after_recording(reopening.on, ctx)?;
    Ok(Event::Reopened(pb::IncidentReopened {
        incident_id: state.incident_id.clone(),
        reason: text::required_text("reopened.reason", &reopening.reason)?,
        effective_date: Some(reopening.on.to_proto()),
    }))
}

/// The event a command asks for, with its own fields checked; the rules that depend on
/// the incident's state are [`check`]'s.
fn build_event(state: &State, command: Command, ctx: &Context) -> Result<Event, DomainError> {
    let incident_id = state.incident_id.clone();
    Ok(match command {
        Command::Report(report) => build_report(report)?,
        Command::Assign {
            level,
            team,
            co_handlers,
            effective_date,
        } => Event::Assigned(pb::IncidentAssigned {
            incident_id,
            level: facts::specified("level", level)?.into(),
            team_id: handling_team("team_id", level, team.as_ref(), effective_date)?,
            effective_date: Some(effective_date.to_proto()),
            co_handlers: co_handlers_to_proto(level, &co_handlers, effective_date)?,
        }),
        Command::Classify {
            classification,
            reason,
            effective_date,
        } => Event::Classified(pb::IncidentClassified {
            incident_id,
            classification: facts::specified("classification", classification)?.into(),
            reason: text::optional_text("reason", &reason)?,
            effective_date: Some(effective_date.to_proto()),
        }),
        Command::Mediate {
            by_force,
            by_team,
            outcome,
            note,
            effective_date,
        } => Event::MediationAttempted(pb::IncidentMediationAttempted {
            incident_id,
            by_force: facts::specified("by_force", by_force)?.into(),
            by_team_id: named_team("by_team_id", by_force, by_team.as_ref(), effective_date)?,
            outcome: facts::specified("outcome", outcome)?.into(),
            note: text::optional_text("note", &note)?,
            effective_date: Some(effective_date.to_proto()),
        }),
        Command::HoldDialogue {
            held_by,
            effective_date,
        } => Event::DialogueHeld(pb::IncidentDialogueHeld {
            incident_id,
            held_by: text::required_name("held_by", &held_by)?,
            effective_date: Some(effective_date.to_proto()),
        }),
        Command::Escalate {
            to_level,
            reason,
            effective_date,
        } => build_escalation(state, to_level, &reason, effective_date)?,
        // The reopening of a resolution typed in whole is added by `decide`.
        Command::Resolve {
            resolution,
            effective_date,
            decision,
        }
        | Command::ResolveReopened {
            resolution,
            effective_date,
            decision,
            ..
        } => {
            let event = build_resolution(state, resolution, effective_date, decision.as_ref(), ctx)?;
            // Judged on the resolution's own date only, not again for later records: an
            // assignment typed in later for an earlier date may lower the level, and the
            // escalation that raised it again can then never be recorded (escalations go
            // up from the level of their date), so re-judging would lock the history.
            if let Event::Resolved(resolved) = &event {
                ensure_resolution_fits_level(state, resolved)?;
            }
            event
        }
        Command::Reopen { reason, effective_date } => Event::Reopened(pb::IncidentReopened {
            incident_id,
            reason: text::required_text("reason", &reason)?,
            effective_date: Some(effective_date.to_proto()),
        }),
    })
}

/// Whether `event` holds on `state`, the incident as it stood just before the event took
/// effect: the rules of every command that depend on the incident's state. Only an open
/// incident is handled, so a resolution stands until a reopening, at every date.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Reported(_) => facts::ensure_not_recorded("the incident", state.reported_on),
        Event::Assigned(_) | Event::MediationAttempted(_) | Event::DialogueHeld(_) => state.ensure_open_on(on),
        // A resolved incident may still be classified: the classification often comes
        // from the handling itself.
        Event::Classified(_) => {
            let reported_on = facts::ensure_recorded("the incident", state.reported_on)?;
            facts::ensure_since("the incident", on, reported_on)
        }
        Event::Escalated(e) => {
            state.ensure_open_on(on)?;
            ensure_higher(state.level, e.to_level())
        }
        Event::Resolved(e) => {
            state.ensure_open_on(on)?;
            ensure_resolution_allowed(state, e)
        }
        Event::Reopened(_) => {
            facts::ensure_recorded("the incident", state.reported_on)?;
            let resolved_on = state.resolved.ok_or(DomainError::IncidentNotClosed)?;
            facts::ensure_since("the resolution", on, resolved_on)
        }
    }
}

/// An escalation goes above the level handling the incident on its date.
fn ensure_higher(from: pb::HandlingLevel, to: pb::HandlingLevel) -> Result<(), DomainError> {
    if level_tier(to) <= level_tier(from) {
        return Err(DomainError::EscalationNotHigher {
            from: level_label(from),
        });
    }
    Ok(())
}

/// A resolution by mediation needs a successful mediation dated since the incident was
/// last (re)opened, whenever it was recorded.
fn ensure_resolution_allowed(state: &State, e: &pb::IncidentResolved) -> Result<(), DomainError> {
    let mediated = matches!(e.resolution, Some(pb::incident_resolved::Resolution::Mediated(_)));
    if mediated && state.successful_mediations_count == 0 {
        return Err(DomainError::NoSuccessfulMediation);
    }
    Ok(())
}

/// A resolution the handling level is competent for: an administrative sanction needs a
/// commune police or authority or higher, a prosecution (khởi tố) the district police or
/// higher; the highest of the level and its co-handlers counts. An incident never
/// assigned is accepted: the paper-era records seldom say who handled it.
fn ensure_resolution_fits_level(state: &State, e: &pb::IncidentResolved) -> Result<(), DomainError> {
    use pb::incident_resolved::Resolution as Wire;
    let needed = match e.resolution {
        Some(Wire::AdministrativeSanction(_)) => 3,
        Some(Wire::Prosecution(_)) => 4,
        _ => return Ok(()),
    };
    let highest = std::iter::once(state.level)
        .chain(state.co_levels.iter().copied())
        .max_by_key(|level| level_tier(*level))
        .unwrap_or(state.level);
    if level_tier(highest) == 0 || level_tier(highest) >= needed {
        return Ok(());
    }
    Err(DomainError::ResolutionBeyondLevel {
        level: level_label(highest),
    })
}

/// The grassroots force a handling level is, if it is one.
fn force_of_level(level: pb::HandlingLevel) -> Option<pb::ForceType> {
    match level {
        pb::HandlingLevel::SocialSecurityGroup => Some(pb::ForceType::SocialSecurityGroup),
        pb::HandlingLevel::SecurityProtectionTeam => Some(pb::ForceType::SecurityProtectionTeam),
        _ => None,
    }
}

/// The id of the team handling at `level`: only a grassroots force level names one, and
/// it must be a team of that force existing on the day.
fn handling_team(
    field: &'static str,
    level: pb::HandlingLevel,
    team: Option<&TeamFacts>,
    on: Date,
) -> Result<String, DomainError> {
    let Some(team) = team else {
        return Ok(String::new());
    };
    let Some(force) = force_of_level(level) else {
        return Err(DomainError::invalid(
            field,
            "only a social security group or a security protection team names its team",
        ));
    };
    named_team(field, force, Some(team), on)
}

/// The id of a team named as `force` on `on`: it existed then and is of that force.
fn named_team(
    field: &'static str,
    force: pb::ForceType,
    team: Option<&TeamFacts>,
    on: Date,
) -> Result<String, DomainError> {
    let Some(team) = team else {
        return Ok(String::new());
    };
    team.ensure_exists_on("the team named", on)?;
    if team.force_type != force {
        return Err(DomainError::TeamOfAnotherForce { field });
    }
    Ok(team.team_id.to_string())
}

fn co_handlers_to_proto(
    level: pb::HandlingLevel,
    co_handlers: &[CoHandler],
    on: Date,
) -> Result<Vec<pb::IncidentCoHandler>, DomainError> {
    if co_handlers.len() > crate::limits::LIST_ITEMS_MAX {
        return Err(DomainError::invalid(
            "co_handlers",
            format!("at most {} co-handlers", crate::limits::LIST_ITEMS_MAX),
        ));
    }
    let mut seen = vec![level];
    co_handlers
        .iter()
        .map(|co| {
            let co_level = facts::specified("co_handlers.level", co.level)?;
            if seen.contains(&co_level) {
                return Err(DomainError::invalid(
                    "co_handlers.level",
                    "names the assigned level or another co-handler's again",
                ));
            }
            seen.push(co_level);
            Ok(pb::IncidentCoHandler {
                level: co_level.into(),
                team_id: handling_team("co_handlers.team_id", co_level, co.team.as_ref(), on)?,
            })
        })
        .collect()
}

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Report(report) => report.effective_date,
        Command::Assign { effective_date, .. }
        | Command::Classify { effective_date, .. }
        | Command::Mediate { effective_date, .. }
        | Command::HoldDialogue { effective_date, .. }
        | Command::Escalate { effective_date, .. }
        | Command::Resolve { effective_date, .. }
        | Command::ResolveReopened { effective_date, .. }
        | Command::Reopen { effective_date, .. } => *effective_date,
    }
}

fn build_report(report: Report) -> Result<Event, DomainError> {
    report.area.ensure_exists_on(report.effective_date)?;
    let source = facts::specified("source", report.source)?;
    if report.tip_id.is_some() && source != pb::IncidentSource::PublicTip {
        return Err(DomainError::invalid(
            "tip_id",
            "only an incident reported from a public tip names a tip",
        ));
    }
    Ok(Event::Reported(pb::IncidentReported {
        incident_id: report.incident_id.to_string(),
        category: facts::specified("category", report.category)?.into(),
        area_id: report.area.area_id.to_string(),
        source: source.into(),
        summary: text::optional_text("summary", &report.summary)?,
        complex: report.complex,
        tip_id: facts::optional_id(report.tip_id),
        effective_date: Some(report.effective_date.to_proto()),
        classification: report.classification.into(),
    }))
}

fn build_escalation(
    state: &State,
    to_level: pb::HandlingLevel,
    reason: &str,
    effective_date: Date,
) -> Result<Event, DomainError> {
    Ok(Event::Escalated(pb::IncidentEscalated {
        incident_id: state.incident_id.clone(),
        // Informational: the level as known when recorded. `evolve` reads only
        // `to_level`, and `check` judges against the level as of the escalation's date.
        from_level: state.level.into(),
        to_level: facts::specified("to_level", to_level)?.into(),
        reason: text::required_text("reason", reason)?,
        effective_date: Some(effective_date.to_proto()),
    }))
}

fn build_resolution(
    state: &State,
    resolution: Resolution,
    effective_date: Date,
    decision: Option<&Decision>,
    ctx: &Context,
) -> Result<Event, DomainError> {
    Ok(Event::Resolved(pb::IncidentResolved {
        incident_id: state.incident_id.clone(),
        resolution: Some(resolution_to_proto(resolution)?),
        // Informational, like an escalation's `from_level`: an assignment recorded later
        // for an earlier date changes the level as of the resolution, which the
        // timeline's `State::level` tells.
        resolved_at_level: state.level.into(),
        effective_date: Some(effective_date.to_proto()),
        decision: facts::optional_decision("decision", decision, ctx)?,
    }))
}

fn resolution_to_proto(resolution: Resolution) -> Result<pb::incident_resolved::Resolution, DomainError> {
    use pb::incident_resolved::Resolution as Wire;
    Ok(match resolution {
        Resolution::Mediated => Wire::Mediated(pb::ResolutionMediated {}),
        Resolution::CommunePoliceHandled => Wire::CommunePoliceHandled(pb::ResolutionCommunePoliceHandled {}),
        Resolution::AdministrativeSanction { subjects } => {
            if subjects == 0 {
                return Err(DomainError::invalid(
                    "subjects",
                    "a sanction names at least one subject",
                ));
            }
            Wire::AdministrativeSanction(pb::ResolutionAdministrativeSanction { subjects })
        }
        Resolution::Prosecution { defendants } => {
            if defendants == 0 {
                return Err(DomainError::invalid(
                    "defendants",
                    "a prosecution names at least one defendant",
                ));
            }
            Wire::Prosecution(pb::ResolutionProsecution { defendants })
        }
        Resolution::ComplaintSettled => Wire::ComplaintSettled(pb::ResolutionComplaintSettled {}),
        Resolution::Transferred { to_body } => Wire::Transferred(pb::ResolutionTransferred {
            to_body: text::required_name("to_body", &to_body)?,
        }),
    })
}

/// The incident after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Reported(e) => {
            state.incident_id = e.incident_id.clone();
            state.reported_on = Some(on);
            state.category = e.category();
            state.area_id = e.area_id.clone();
            state.complex = e.complex;
            state.classification = e.classification();
        }
        Event::Assigned(e) => {
            state.level = e.level();
            state.co_levels = e.co_handlers.iter().map(pb::IncidentCoHandler::level).collect();
        }
        Event::Classified(e) => state.classification = e.classification(),
        // Not `from_level`: it is the level as known when the escalation was recorded.
        Event::Escalated(e) => {
            state.level = e.to_level();
            state.co_levels.clear();
        }
        Event::MediationAttempted(e) => {
            state.mediations_count = state.mediations_count.saturating_add(1);
            if e.outcome() == pb::MediationOutcome::Succeeded {
                state.successful_mediations_count = state.successful_mediations_count.saturating_add(1);
            }
        }
        Event::DialogueHeld(_) => state.dialogues_count = state.dialogues_count.saturating_add(1),
        Event::Resolved(e) => {
            state.resolved = Some(on);
            // The level that resolved it is the level as of the resolution's date, not the
            // payload's, which is what was known when it was recorded.
            let mut resolution = e.clone();
            resolution.resolved_at_level = state.level.into();
            state.resolution = Some(resolution);
        }
        Event::Reopened(_) => {
            state.resolved = None;
            state.resolution = None;
            // An earlier agreement evidently did not hold.
            state.successful_mediations_count = 0;
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::{area_facts, date, id};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Incident>(given, when)
    }

    /// Social security group `n`, formed in 2010 and still working.
    fn group(n: u128) -> TeamFacts {
        TeamFacts {
            team_id: id(n),
            force_type: pb::ForceType::SocialSecurityGroup,
            established_on: date(2010, 1, 1),
            ended_on: None,
        }
    }

    fn report() -> Command {
        Command::Report(Report {
            incident_id: id(1),
            category: pb::IncidentCategory::NeighbourDispute,
            area: area_facts(10, pb::AreaLevel::ResidentialArea),
            source: pb::IncidentSource::GrassrootsForce,
            summary: "tranh chấp lối đi chung".to_owned(),
            complex: false,
            tip_id: None,
            classification: pb::IncidentClassification::Unspecified,
            effective_date: date(2017, 3, 1),
        })
    }

    fn reported() -> Vec<Event> {
        check(vec![], report()).unwrap()
    }

    fn mediate(outcome: pb::MediationOutcome) -> Command {
        Command::Mediate {
            by_force: pb::ForceType::SocialSecurityGroup,
            by_team: Some(group(100)),
            outcome,
            note: String::new(),
            effective_date: date(2017, 3, 5),
        }
    }

    fn resolve(resolution: Resolution) -> Command {
        Command::Resolve {
            resolution,
            effective_date: date(2017, 3, 10),
            decision: None,
        }
    }

    fn reopen() -> Command {
        Command::Reopen {
            reason: "hai bên lại xô xát".to_owned(),
            effective_date: date(2017, 4, 1),
        }
    }

    fn with(mut given: Vec<Event>, command: Command) -> Vec<Event> {
        given.extend(check(given.clone(), command).unwrap());
        given
    }

    #[test]
    fn only_open_incidents_are_mediated_or_resolved() {
        assert_eq!(
            check(vec![], mediate(pb::MediationOutcome::Succeeded)),
            Err(DomainError::NotRecorded { what: "the incident" })
        );
        let resolved = with(reported(), resolve(Resolution::CommunePoliceHandled));
        // Valid time: a mediation dated before the resolution was recorded late, and holds.
        assert!(check(resolved.clone(), mediate(pb::MediationOutcome::Succeeded)).is_ok());
        let mediate_after_resolution = Command::Mediate {
            by_force: pb::ForceType::SocialSecurityGroup,
            by_team: Some(group(100)),
            outcome: pb::MediationOutcome::Succeeded,
            note: String::new(),
            effective_date: date(2017, 3, 20),
        };
        assert_eq!(
            check(resolved.clone(), mediate_after_resolution),
            Err(DomainError::IncidentClosed)
        );
        assert_eq!(
            check(resolved.clone(), resolve(Resolution::CommunePoliceHandled)),
            Err(DomainError::IncidentClosed)
        );
        let reopened = with(resolved, reopen());
        let resolve_later = Command::Resolve {
            resolution: Resolution::CommunePoliceHandled,
            effective_date: date(2017, 5, 1),
            decision: None,
        };
        assert!(check(reopened, resolve_later).is_ok());
    }

    #[test]
    fn a_mediated_resolution_needs_a_successful_mediation() {
        assert_eq!(
            check(reported(), resolve(Resolution::Mediated)),
            Err(DomainError::NoSuccessfulMediation)
        );
        let failed = with(reported(), mediate(pb::MediationOutcome::Failed));
        assert_eq!(
            check(failed.clone(), resolve(Resolution::Mediated)),
            Err(DomainError::NoSuccessfulMediation)
        );
        let succeeded = with(failed, mediate(pb::MediationOutcome::Succeeded));
        assert!(check(succeeded, resolve(Resolution::Mediated)).is_ok());
    }

    #[test]
    fn sanctions_and_prosecutions_count_at_least_one_person() {
        let sanction = check(reported(), resolve(Resolution::AdministrativeSanction { subjects: 0 }));
        assert_eq!(sanction.unwrap_err().field(), Some("subjects"));
        let prosecution = check(reported(), resolve(Resolution::Prosecution { defendants: 0 }));
        assert_eq!(prosecution.unwrap_err().field(), Some("defendants"));
        assert!(check(reported(), resolve(Resolution::Prosecution { defendants: 2 })).is_ok());
    }

    #[test]
    fn a_resolution_records_the_level_that_handled_it() {
        let protection_team = TeamFacts {
            force_type: pb::ForceType::SecurityProtectionTeam,
            ..group(100)
        };
        let assign = Command::Assign {
            level: pb::HandlingLevel::SecurityProtectionTeam,
            team: Some(protection_team),
            co_handlers: Vec::new(),
            effective_date: date(2017, 3, 2),
        };
        let given = with(reported(), assign);
        let events = check(given, resolve(Resolution::CommunePoliceHandled)).unwrap();
        let Event::Resolved(resolved) = &events[0] else {
            unreachable!()
        };
        assert_eq!(resolved.resolved_at_level(), pb::HandlingLevel::SecurityProtectionTeam);
    }

    #[test]
    fn escalation_goes_to_a_higher_level() {
        let escalate = |to_level| Command::Escalate {
            to_level,
            reason: "vượt thẩm quyền".to_owned(),
            effective_date: date(2017, 3, 3),
        };
        let at_commune = with(
            reported(),
            Command::Assign {
                level: pb::HandlingLevel::CommunePolice,
                team: None,
                co_handlers: Vec::new(),
                effective_date: date(2017, 3, 2),
            },
        );
        assert!(matches!(
            check(at_commune.clone(), escalate(pb::HandlingLevel::SecurityProtectionTeam)),
            Err(DomainError::EscalationNotHigher { .. })
        ));
        assert!(matches!(
            check(at_commune.clone(), escalate(pb::HandlingLevel::CommuneAuthority)),
            Err(DomainError::EscalationNotHigher { .. })
        ));
        assert!(check(at_commune, escalate(pb::HandlingLevel::DistrictPolice)).is_ok());
    }

    #[test]
    fn only_a_resolved_incident_is_reopened() {
        assert_eq!(check(reported(), reopen()), Err(DomainError::IncidentNotClosed));
    }

    #[test]
    fn an_incident_is_not_reported_before_its_area_existed() {
        let Command::Report(mut report) = report() else {
            unreachable!()
        };
        report.area.valid_from = date(2018, 1, 1);
        assert!(matches!(
            check(vec![], Command::Report(report)),
            Err(DomainError::BeforeExistence { what: "the area", .. })
        ));
    }

    #[test]
    fn only_a_public_tip_report_names_a_tip() {
        let Command::Report(mut report) = report() else {
            unreachable!()
        };
        report.tip_id = Some(id(7));
        assert_eq!(
            check(vec![], Command::Report(report.clone())).unwrap_err().field(),
            Some("tip_id")
        );
        report.source = pb::IncidentSource::PublicTip;
        assert!(check(vec![], Command::Report(report)).is_ok());
    }

    #[derive(Clone, Debug)]
    enum Step {
        Assign(i32),
        Mediate(bool),
        Dialogue,
        Resolve(u8),
        Reopen,
        Escalate(i32),
    }

    fn step_strategy() -> impl Strategy<Value = Step> {
        prop_oneof![
            1 => (1i32..9).prop_map(Step::Assign),
            2 => any::<bool>().prop_map(Step::Mediate),
            1 => Just(Step::Dialogue),
            2 => (0u8..6).prop_map(Step::Resolve),
            2 => Just(Step::Reopen),
            2 => (1i32..9).prop_map(Step::Escalate),
        ]
    }

    fn step_date(day: u32) -> Date {
        Date::new(2018, 1 + day / 28, 1 + day % 28).unwrap()
    }

    fn step_command(step: &Step, day: u32) -> Command {
        let effective_date = step_date(day);
        match step {
            Step::Assign(level) => Command::Assign {
                level: pb::HandlingLevel::try_from(*level).unwrap_or_default(),
                team: None,
                co_handlers: Vec::new(),
                effective_date,
            },
            Step::Dialogue => Command::HoldDialogue {
                held_by: "Chủ tịch UBND xã".to_owned(),
                effective_date,
            },
            Step::Mediate(succeeded) => Command::Mediate {
                by_force: pb::ForceType::SecurityProtectionTeam,
                by_team: None,
                outcome: if *succeeded {
                    pb::MediationOutcome::Succeeded
                } else {
                    pb::MediationOutcome::Failed
                },
                note: String::new(),
                effective_date,
            },
            Step::Resolve(kind) => Command::Resolve {
                resolution: match kind {
                    0 => Resolution::Mediated,
                    1 => Resolution::CommunePoliceHandled,
                    2 => Resolution::AdministrativeSanction { subjects: 1 },
                    3 => Resolution::Prosecution { defendants: 2 },
                    4 => Resolution::ComplaintSettled,
                    _ => Resolution::Transferred {
                        to_body: "Thanh tra huyện".to_owned(),
                    },
                },
                effective_date,
                decision: None,
            },
            Step::Reopen => Command::Reopen {
                reason: "tái phát".to_owned(),
                effective_date,
            },
            Step::Escalate(level) => Command::Escalate {
                to_level: pb::HandlingLevel::try_from(*level).unwrap_or_default(),
                reason: "phức tạp".to_owned(),
                effective_date,
            },
        }
    }

    proptest! {
        /// Goal: a closed incident is never resolved or mediated again, and escalations
        /// only go up. Method: random steps; after each accepted one, compare with the
        /// open/closed status read independently from the events before it.
        #[test]
        fn no_handling_of_a_closed_incident(steps in proptest::collection::vec(step_strategy(), 0..40)) {
            let mut events = reported();
            let mut state = crate::replay::<Incident>(&events);
            for (day, step) in steps.iter().enumerate() {
                let command = step_command(step, u32::try_from(day).unwrap());
                let Ok(decided) = decide(&state, command, &crate::testing::ctx()) else { continue };
                let open_before = events.iter().fold(false, |open, event| match event {
                    Event::Reported(_) | Event::Reopened(_) => true,
                    Event::Resolved(_) => false,
                    _ => open,
                });
                for event in &decided {
                    match event {
                        Event::Resolved(_) | Event::MediationAttempted(_) | Event::Escalated(_) => {
                            prop_assert!(open_before, "{event:?} on a closed incident");
                        }
                        Event::Reopened(_) => prop_assert!(!open_before, "reopened an open incident"),
                        _ => {}
                    }
                    if let Event::Escalated(e) = event {
                        prop_assert!(level_tier(e.to_level()) > level_tier(e.from_level()));
                    }
                    state = evolve(state, event);
                }
                events.extend(decided);
            }
        }
    }

    mod handling {
        //! Handling together, competence of the level, classification.

        use super::*;

        fn assign(level: pb::HandlingLevel, co: &[pb::HandlingLevel], on: Date) -> Command {
            Command::Assign {
                level,
                team: None,
                co_handlers: co.iter().map(|&level| CoHandler { level, team: None }).collect(),
                effective_date: on,
            }
        }

        fn resolve_on(resolution: Resolution, on: Date) -> Command {
            Command::Resolve {
                resolution,
                effective_date: on,
                decision: None,
            }
        }

        #[test]
        fn a_prosecution_needs_the_district_police_or_higher() {
            let by_group = with(
                reported(),
                assign(pb::HandlingLevel::SocialSecurityGroup, &[], date(2017, 3, 2)),
            );
            let refused = check(
                by_group.clone(),
                resolve_on(Resolution::Prosecution { defendants: 2 }, date(2017, 4, 1)),
            )
            .unwrap_err();
            assert!(matches!(refused, DomainError::ResolutionBeyondLevel { .. }));
            assert!(refused.to_string().contains("không đúng thẩm quyền"), "{refused}");
            assert!(matches!(
                check(
                    by_group.clone(),
                    resolve_on(Resolution::AdministrativeSanction { subjects: 1 }, date(2017, 4, 1))
                ),
                Err(DomainError::ResolutionBeyondLevel { .. })
            ));
            // A group mediates; the commune police co-handling it may sanction.
            let with_police = with(
                reported(),
                assign(
                    pb::HandlingLevel::SecurityProtectionTeam,
                    &[pb::HandlingLevel::CommunePolice],
                    date(2017, 3, 2),
                ),
            );
            assert!(check(
                with_police.clone(),
                resolve_on(Resolution::AdministrativeSanction { subjects: 1 }, date(2017, 4, 1))
            )
            .is_ok());
            assert!(check(
                with_police,
                resolve_on(Resolution::Prosecution { defendants: 1 }, date(2017, 4, 1))
            )
            .is_err());
            let escalated = with(
                by_group,
                Command::Escalate {
                    to_level: pb::HandlingLevel::DistrictPolice,
                    reason: "có dấu hiệu tội phạm".to_owned(),
                    effective_date: date(2017, 3, 20),
                },
            );
            assert!(check(
                escalated.clone(),
                resolve_on(Resolution::Prosecution { defendants: 2 }, date(2017, 4, 1))
            )
            .is_ok());
            // Judged on its own date: before the escalation the group handled it.
            assert!(matches!(
                check(
                    escalated,
                    resolve_on(Resolution::Prosecution { defendants: 2 }, date(2017, 3, 10))
                ),
                Err(DomainError::ResolutionBeyondLevel { .. })
            ));
            // Never assigned: the paper-era records seldom say who handled it.
            assert!(check(
                reported(),
                resolve_on(Resolution::Prosecution { defendants: 1 }, date(2017, 4, 1))
            )
            .is_ok());
        }

        #[test]
        fn a_team_named_existed_then_and_is_of_the_force_named() {
            let mediate_by = |team: TeamFacts, on: Date| Command::Mediate {
                by_force: pb::ForceType::SocialSecurityGroup,
                by_team: Some(team),
                outcome: pb::MediationOutcome::Succeeded,
                note: String::new(),
                effective_date: on,
            };
            assert!(check(reported(), mediate_by(group(100), date(2017, 3, 5))).is_ok());
            let dissolved = TeamFacts {
                ended_on: Some(date(2017, 3, 1)),
                ..group(100)
            };
            assert!(matches!(
                check(reported(), mediate_by(dissolved, date(2017, 3, 5))),
                Err(DomainError::AfterEnd { .. })
            ));
            let protection_team = TeamFacts {
                force_type: pb::ForceType::SecurityProtectionTeam,
                ..group(100)
            };
            assert_eq!(
                check(reported(), mediate_by(protection_team, date(2017, 3, 5))),
                Err(DomainError::TeamOfAnotherForce { field: "by_team_id" })
            );
            let police_with_a_team = Command::Assign {
                level: pb::HandlingLevel::CommunePolice,
                team: Some(group(100)),
                co_handlers: Vec::new(),
                effective_date: date(2017, 3, 2),
            };
            assert!(matches!(
                check(reported(), police_with_a_team),
                Err(DomainError::Invalid { field: "team_id", .. })
            ));
        }

        #[test]
        fn co_handlers_are_counted_until_the_next_assignment_or_an_escalation() {
            let given = with(
                reported(),
                assign(
                    pb::HandlingLevel::SecurityProtectionTeam,
                    &[pb::HandlingLevel::CommunePolice],
                    date(2017, 3, 2),
                ),
            );
            let timeline = crate::timeline_of::<Incident>(&given);
            assert_eq!(timeline.state().co_levels, [pb::HandlingLevel::CommunePolice]);
            assert!(timeline.state_as_of(date(2017, 3, 1)).co_levels.is_empty());
            let escalated = with(
                given,
                Command::Escalate {
                    to_level: pb::HandlingLevel::DistrictPolice,
                    reason: "phức tạp".to_owned(),
                    effective_date: date(2017, 3, 9),
                },
            );
            assert!(crate::timeline_of::<Incident>(&escalated).state().co_levels.is_empty());
            assert!(matches!(
                check(
                    reported(),
                    assign(
                        pb::HandlingLevel::CommunePolice,
                        &[pb::HandlingLevel::CommunePolice],
                        date(2017, 3, 2)
                    )
                ),
                Err(DomainError::Invalid {
                    field: "co_handlers.level",
                    ..
                })
            ));
        }

        #[test]
        fn an_incident_is_classified_at_its_dates_even_after_it_is_resolved() {
            let classify = |classification, on| Command::Classify {
                classification,
                reason: "kết quả xác minh".to_owned(),
                effective_date: on,
            };
            let resolved = with(reported(), resolve(Resolution::CommunePoliceHandled));
            let given = with(
                resolved,
                classify(pb::IncidentClassification::AdministrativeViolation, date(2017, 3, 20)),
            );
            let given = with(given, classify(pb::IncidentClassification::Crime, date(2017, 3, 5)));
            let timeline = crate::timeline_of::<Incident>(&given);
            assert_eq!(
                timeline.state_as_of(date(2017, 3, 10)).classification,
                pb::IncidentClassification::Crime
            );
            assert_eq!(
                timeline.state().classification,
                pb::IncidentClassification::AdministrativeViolation,
                "the latest by date, not by recording"
            );
            assert!(matches!(
                check(
                    given.clone(),
                    classify(pb::IncidentClassification::Crime, date(2017, 2, 1))
                ),
                Err(DomainError::BeforeExistence { .. })
            ));
            assert!(matches!(
                check(
                    given,
                    classify(pb::IncidentClassification::Unspecified, date(2017, 4, 1))
                ),
                Err(DomainError::Invalid {
                    field: "classification",
                    ..
                })
            ));
        }
    }

    mod valid_time {
        //! Rules hold at every date, whatever the order in which facts are recorded.

        use super::*;

        /// A day of 2017, the year `reported()` is in (reported on 1 March).
        fn on(month: u32, day: u32) -> Date {
            date(2017, month, day)
        }

        fn assign_on(level: pb::HandlingLevel, effective_date: Date) -> Command {
            Command::Assign {
                level,
                team: None,
                co_handlers: Vec::new(),
                effective_date,
            }
        }

        fn mediate_on(outcome: pb::MediationOutcome, effective_date: Date) -> Command {
            Command::Mediate {
                by_force: pb::ForceType::SocialSecurityGroup,
                by_team: None,
                outcome,
                note: String::new(),
                effective_date,
            }
        }

        fn escalate_on(to_level: pb::HandlingLevel, effective_date: Date) -> Command {
            Command::Escalate {
                to_level,
                reason: "vượt thẩm quyền".to_owned(),
                effective_date,
            }
        }

        fn resolve_on(resolution: Resolution, effective_date: Date) -> Command {
            Command::Resolve {
                resolution,
                effective_date,
                decision: None,
            }
        }

        fn reopen_on(effective_date: Date) -> Command {
            Command::Reopen {
                reason: "hai bên lại xô xát".to_owned(),
                effective_date,
            }
        }

        fn resolve_reopened(resolution: Resolution, effective_date: Date, reopened_on: Date) -> Command {
            Command::ResolveReopened {
                resolution,
                effective_date,
                decision: None,
                reopened: Reopening {
                    reason: "thoả thuận không được thực hiện".to_owned(),
                    on: reopened_on,
                },
            }
        }

        /// The reported incident, then `commands` decided one after the other.
        fn history(commands: Vec<Command>) -> Vec<Event> {
            commands.into_iter().fold(reported(), with)
        }

        fn contradicts(on: Date, rule: DomainError) -> Result<Vec<Event>, DomainError> {
            Err(DomainError::ContradictsLaterRecord {
                on,
                rule: Box::new(rule),
            })
        }

        const POLICE: Resolution = Resolution::CommunePoliceHandled;

        #[test]
        fn a_backdated_resolution_cannot_precede_later_handling() {
            let later = [
                assign_on(pb::HandlingLevel::CommunePolice, on(3, 20)),
                mediate_on(pb::MediationOutcome::Failed, on(3, 20)),
                escalate_on(pb::HandlingLevel::DistrictPolice, on(3, 20)),
                Command::HoldDialogue {
                    held_by: "Chủ tịch UBND xã".to_owned(),
                    effective_date: on(3, 20),
                },
            ];
            for handling in later {
                let given = history(vec![handling.clone()]);
                assert_eq!(
                    check(given.clone(), resolve_on(POLICE, on(3, 10))),
                    contradicts(on(3, 20), DomainError::IncidentClosed),
                    "resolved on 10/3 before {handling:?}"
                );
                assert!(check(given, resolve_on(POLICE, on(3, 25))).is_ok());
            }
        }

        /// Why `ResolveReopened` exists: with a mediation of 20/3 recorded, neither the
        /// resolution of 10/3 nor its reopening of 15/3 can be recorded alone.
        #[test]
        fn a_past_resolution_is_typed_in_with_its_reopening() {
            let given = history(vec![mediate_on(pb::MediationOutcome::Failed, on(3, 20))]);
            assert_eq!(
                check(given.clone(), resolve_on(POLICE, on(3, 10))),
                contradicts(on(3, 20), DomainError::IncidentClosed)
            );
            assert_eq!(
                check(given.clone(), reopen_on(on(3, 15))),
                Err(DomainError::IncidentNotClosed)
            );
            let decided = check(given.clone(), resolve_reopened(POLICE, on(3, 10), on(3, 15))).unwrap();
            assert_eq!(decided.len(), 2, "the resolution and the reopening");
            let timeline = crate::timeline_of::<Incident>(given.iter().chain(&decided));
            assert_eq!(timeline.state_as_of(on(3, 12)).resolved, Some(on(3, 10)));
            assert!(timeline.state_as_of(on(3, 16)).is_open());
            assert_eq!(timeline.state().mediations_count, 1);
            // Reopened only after the recorded mediation: it was on a closed incident.
            assert_eq!(
                check(given.clone(), resolve_reopened(POLICE, on(3, 10), on(3, 25))),
                contradicts(on(3, 20), DomainError::IncidentClosed)
            );
            let backwards = check(given, resolve_reopened(POLICE, on(3, 10), on(3, 5)));
            assert_eq!(backwards.unwrap_err().field(), Some("reopened.on"));
        }

        #[test]
        fn a_reopened_and_re_resolved_incident_is_resolved_once() {
            let given = history(vec![
                resolve_on(POLICE, on(3, 20)),
                reopen_on(on(4, 1)),
                resolve_on(POLICE, on(5, 1)),
            ]);
            let timeline = crate::timeline_of::<Incident>(&given);
            assert_eq!(timeline.state_as_of(on(3, 19)).resolved, None);
            assert_eq!(timeline.state_as_of(on(3, 25)).resolved, Some(on(3, 20)));
            assert!(timeline.state_as_of(on(4, 15)).is_open());
            assert_eq!(timeline.state().resolved, Some(on(5, 1)));
            // A second resolution before either recorded one would close it twice.
            assert_eq!(
                check(given.clone(), resolve_on(POLICE, on(3, 10))),
                contradicts(on(3, 20), DomainError::IncidentClosed)
            );
            assert_eq!(
                check(given.clone(), resolve_on(POLICE, on(4, 10))),
                contradicts(on(5, 1), DomainError::IncidentClosed)
            );
            // An earlier reopening would leave the recorded one reopening an open incident.
            assert_eq!(
                check(given, reopen_on(on(3, 25))),
                contradicts(on(4, 1), DomainError::IncidentNotClosed)
            );
        }

        #[test]
        fn a_mediated_resolution_counts_mediations_as_of_its_date() {
            let succeeded = |date| mediate_on(pb::MediationOutcome::Succeeded, date);
            let mediated = || resolve_on(Resolution::Mediated, on(5, 1));
            let reopened = history(vec![resolve_on(POLICE, on(3, 10)), reopen_on(on(4, 1))]);
            assert_eq!(
                check(reopened.clone(), mediated()),
                Err(DomainError::NoSuccessfulMediation)
            );
            // Recorded now, dated before the reopening: the agreement did not hold.
            let before_reopening = with(reopened.clone(), succeeded(on(3, 5)));
            assert_eq!(
                check(before_reopening, mediated()),
                Err(DomainError::NoSuccessfulMediation)
            );
            // Recorded after, dated before the resolution: it counts.
            let agreed = with(reopened, succeeded(on(4, 15)));
            assert_eq!(
                check(agreed.clone(), resolve_on(Resolution::Mediated, on(4, 10))),
                Err(DomainError::NoSuccessfulMediation),
                "the agreement came after"
            );
            let resolved = with(agreed, mediated());
            // A closed spell between the agreement and the resolution resets the count.
            assert_eq!(
                check(resolved, resolve_reopened(POLICE, on(4, 20), on(4, 25))),
                contradicts(on(5, 1), DomainError::NoSuccessfulMediation)
            );
        }

        #[test]
        fn an_escalation_is_judged_against_the_level_on_its_date() {
            let given = history(vec![
                assign_on(pb::HandlingLevel::CommunePolice, on(3, 2)),
                escalate_on(pb::HandlingLevel::DistrictPolice, on(3, 10)),
            ]);
            assert_eq!(
                check(given.clone(), assign_on(pb::HandlingLevel::ProvincePolice, on(3, 5))),
                contradicts(
                    on(3, 10),
                    DomainError::EscalationNotHigher {
                        from: "the province police (Công an tỉnh)"
                    }
                )
            );
            assert_eq!(
                check(
                    given.clone(),
                    escalate_on(pb::HandlingLevel::DistrictAuthority, on(3, 4))
                ),
                contradicts(
                    on(3, 10),
                    DomainError::EscalationNotHigher {
                        from: "the district authority (UBND huyện)"
                    }
                )
            );
            assert!(matches!(
                check(
                    given.clone(),
                    escalate_on(pb::HandlingLevel::CommuneAuthority, on(3, 4))
                ),
                Err(DomainError::EscalationNotHigher { .. })
            ));
            let with_team = with(given, assign_on(pb::HandlingLevel::SecurityProtectionTeam, on(3, 5)));
            let timeline = crate::timeline_of::<Incident>(&with_team);
            assert_eq!(timeline.state_as_of(on(3, 3)).level, pb::HandlingLevel::CommunePolice);
            assert_eq!(
                timeline.state_as_of(on(3, 6)).level,
                pb::HandlingLevel::SecurityProtectionTeam
            );
            assert_eq!(timeline.state().level, pb::HandlingLevel::DistrictPolice);
        }

        /// In recording order this escalation would be refused (the district police
        /// were assigned first); on 5/3 the incident was not yet assigned.
        #[test]
        fn an_escalation_before_a_recorded_assignment_is_judged_on_its_date() {
            let given = history(vec![assign_on(pb::HandlingLevel::DistrictPolice, on(3, 10))]);
            assert!(check(given, escalate_on(pb::HandlingLevel::CommunePolice, on(3, 5))).is_ok());
        }

        #[test]
        fn the_level_that_resolved_is_read_from_the_timeline() {
            let given = history(vec![resolve_on(POLICE, on(3, 10))]);
            let assigned = with(given, assign_on(pb::HandlingLevel::SecurityProtectionTeam, on(3, 5)));
            let Event::Resolved(resolved) = &assigned[1] else {
                unreachable!()
            };
            // The payload keeps what was known when it was recorded.
            assert_eq!(resolved.resolved_at_level(), pb::HandlingLevel::Unspecified);
            let timeline = crate::timeline_of::<Incident>(&assigned);
            assert_eq!(
                timeline.state_as_of(on(3, 10)).level,
                pb::HandlingLevel::SecurityProtectionTeam
            );
        }

        #[test]
        fn nothing_is_handled_before_the_report() {
            assert!(matches!(
                check(reported(), mediate_on(pb::MediationOutcome::Failed, on(2, 20))),
                Err(DomainError::BeforeExistence {
                    what: "the incident",
                    ..
                })
            ));
            let Command::Report(mut earlier) = report() else {
                unreachable!()
            };
            earlier.effective_date = on(2, 1);
            assert_eq!(
                check(reported(), Command::Report(earlier)),
                Err(DomainError::AlreadyRecorded { what: "the incident" })
            );
        }
    }

    mod recording_order {
        //! Whatever the order a valid history is typed in, the record ends up the same.

        use super::*;
        use crate::Timeline;

        /// The commands of `steps` (one a day, after the report) that the naive oracle
        /// accepts deciding them in date order, each with the index of its step (0 for
        /// the report) so that a permutation of the steps orders them.
        fn valid_history(steps: &[Step]) -> Vec<(usize, Command)> {
            let commands = (1..).zip(steps).map(|(index, step)| {
                let day = u32::try_from(index - 1).unwrap();
                (index, step_command(step, day))
            });
            let mut state = State::default();
            let mut kept = Vec::new();
            for (index, command) in std::iter::once((0, report())).chain(commands) {
                if let Ok(events) = decide(&state, command.clone(), &crate::testing::ctx()) {
                    state = events.iter().fold(state, evolve);
                    kept.push((index, command));
                }
            }
            kept
        }

        /// Each resolution that was reopened, and followed by anything after that, is
        /// typed in whole: alone, neither could be recorded once what follows is (see
        /// `a_past_resolution_is_typed_in_with_its_reopening`). A last reopening stays
        /// a command of its own, which any order can record.
        fn typed_in_whole(history: Vec<(usize, Command)>) -> Vec<(usize, Command)> {
            let mut merged = Vec::new();
            let mut rest = history.into_iter().peekable();
            while let Some((index, command)) = rest.next() {
                let Command::Resolve {
                    resolution,
                    effective_date,
                    decision,
                } = command
                else {
                    merged.push((index, command));
                    continue;
                };
                match rest.next_if(|(_, next)| matches!(next, Command::Reopen { .. })) {
                    Some((
                        _,
                        Command::Reopen {
                            reason,
                            effective_date: on,
                        },
                    )) if rest.peek().is_some() => {
                        let reopened = Reopening { reason, on };
                        let whole = Command::ResolveReopened {
                            resolution,
                            effective_date,
                            decision,
                            reopened,
                        };
                        merged.push((index, whole));
                    }
                    reopening => {
                        let resolve = Command::Resolve {
                            resolution,
                            effective_date,
                            decision,
                        };
                        merged.push((index, resolve));
                        merged.extend(reopening);
                    }
                }
            }
            merged
        }

        /// The oracle's events: every command decided in date order on the plain fold.
        fn oracle_events(commands: &[Command]) -> Vec<Event> {
            let mut state = State::default();
            let mut events = Vec::new();
            for command in commands {
                let decided = decide(&state, command.clone(), &crate::testing::ctx()).unwrap();
                state = decided.iter().fold(state, evolve);
                events.extend(decided);
            }
            events
        }

        fn oracle_as_of(events: &[Event], date: Date) -> State {
            events
                .iter()
                .filter(|event| crate::codec::DomainEvent::effective_date(*event) <= date)
                .fold(State::default(), evolve)
        }

        /// Records `commands` through the timeline in this order; a refused command is
        /// tried again after the others, until all are in or a round makes no progress.
        /// The timeline and the commands never accepted.
        fn record_with_retries(mut pending: Vec<Command>) -> (Timeline<Incident>, Vec<Command>) {
            let mut timeline = Timeline::new();
            let mut position = 0u64;
            loop {
                let tried = pending.len();
                let mut refused = Vec::new();
                for command in pending {
                    match timeline.decide(command.clone(), &crate::testing::ctx()) {
                        Ok(events) => {
                            for event in events {
                                timeline.push(position, event);
                                position += 1;
                            }
                        }
                        Err(error) => {
                            assert!(error.is_rule_violation(), "{error:?} for {command:?}");
                            refused.push(command);
                        }
                    }
                }
                if refused.is_empty() || refused.len() == tried {
                    return (timeline, refused);
                }
                pending = refused;
            }
        }

        fn steps_and_order() -> impl Strategy<Value = (Vec<Step>, Vec<usize>)> {
            proptest::collection::vec(step_strategy(), 0..40).prop_flat_map(|steps| {
                let order = Just((0..=steps.len()).collect::<Vec<_>>()).prop_shuffle();
                (Just(steps), order)
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Goal: the rules hold at every date, not only at the end of the log, and
            /// they never make a true history impossible to type in. Method: a valid
            /// history (what the naive oracle accepts in date order), recorded in a
            /// random order with retries; every command must eventually be accepted, and
            /// the record as of every date must be the oracle's.
            #[test]
            fn any_recording_order_gives_the_record_of_date_order((steps, order) in steps_and_order()) {
                let history = typed_in_whole(valid_history(&steps));
                let in_date_order: Vec<Command> = history.iter().map(|(_, command)| command.clone()).collect();
                let oracle = oracle_events(&in_date_order);
                let permuted: Vec<Command> = order
                    .iter()
                    .filter_map(|index| history.iter().find(|(at, _)| at == index))
                    .map(|(_, command)| command.clone())
                    .collect();
                let (timeline, never_accepted) = record_with_retries(permuted);
                prop_assert!(never_accepted.is_empty(), "never accepted: {never_accepted:?}");
                let days = (0..=u32::try_from(steps.len()).unwrap()).map(step_date);
                for date in [date(2017, 2, 28), date(2017, 3, 1)].into_iter().chain(days) {
                    prop_assert_eq!(timeline.state_as_of(date), oracle_as_of(&oracle, date), "as of {}", date);
                }
            }
        }

        /// A random step on a random day of January 2018, a resolution possibly typed in
        /// with its reopening some days later.
        fn dated_command((step, day, reopened_after): &(Step, u32, Option<u32>)) -> Command {
            let command = step_command(step, *day);
            let (
                Command::Resolve {
                    resolution,
                    effective_date,
                    decision,
                },
                Some(after),
            ) = (command.clone(), reopened_after)
            else {
                return command;
            };
            Command::ResolveReopened {
                resolution,
                effective_date,
                decision,
                reopened: Reopening {
                    reason: "tái phát".to_owned(),
                    on: step_date(day + after),
                },
            }
        }

        /// The first event that breaks a rule, reading the timeline by date the way an
        /// inspector would, without `check`.
        fn first_rule_break(timeline: &Timeline<Incident>) -> Option<String> {
            let (mut reported, mut open, mut tier, mut agreed) = (false, false, 0, false);
            for entry in timeline.entries() {
                let event = &entry.event;
                let mediated = |e: &pb::IncidentResolved| {
                    matches!(e.resolution, Some(pb::incident_resolved::Resolution::Mediated(_)))
                };
                let fine = match event {
                    Event::Reported(_) => !reported,
                    Event::Assigned(_) | Event::MediationAttempted(_) | Event::DialogueHeld(_) => open,
                    Event::Escalated(e) => open && level_tier(e.to_level()) > tier,
                    Event::Resolved(e) => open && (agreed || !mediated(e)),
                    Event::Reopened(_) => reported && !open,
                    Event::Classified(_) => reported,
                };
                if !fine {
                    return Some(format!("{event:?} on {}", entry.effective));
                }
                match event {
                    Event::Reported(_) => (reported, open) = (true, true),
                    Event::Assigned(e) => tier = level_tier(e.level()),
                    Event::Escalated(e) => tier = level_tier(e.to_level()),
                    Event::MediationAttempted(e) => agreed |= e.outcome() == pb::MediationOutcome::Succeeded,
                    Event::DialogueHeld(_) | Event::Classified(_) => {}
                    Event::Resolved(_) => open = false,
                    Event::Reopened(_) => (open, agreed) = (true, false),
                }
            }
            None
        }

        fn typed_in_anyhow() -> impl Strategy<Value = Vec<(Step, u32, Option<u32>)>> {
            let dated = (step_strategy(), 0u32..20, proptest::option::weighted(0.3, 0u32..3));
            proptest::collection::vec(dated, 0..40)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Goal: whatever is typed in, in whatever order and with whatever dates
            /// (several a day, some before the report), what the timeline accepts keeps
            /// every rule at every date. Method: random commands, recorded with retries,
            /// then the accepted timeline read by date against an independent model.
            #[test]
            fn what_is_accepted_keeps_the_rules_at_every_date(
                dated in typed_in_anyhow(),
                report_at in 0usize..40,
            ) {
                let Command::Report(mut report) = report() else { unreachable!() };
                report.effective_date = step_date(5);
                let mut commands: Vec<Command> = dated.iter().map(dated_command).collect();
                commands.insert(report_at.min(commands.len()), Command::Report(report));
                let (timeline, _) = record_with_retries(commands);
                prop_assert_eq!(first_rule_break(&timeline), None);
            }
        }
    }
}
