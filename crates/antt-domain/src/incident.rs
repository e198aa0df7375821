//! Security-and-order incidents (vụ việc về ANTT): one stream per incident.
//!
//! Reported → assigned to a handling level → mediated (possibly several times) →
//! dialogued (complex complaints) → escalated → resolved (mediation, commune police,
//! administrative sanction, prosecution, settled complaint, transfer) → possibly reopened.
//! Only an open incident is handled; a resolution by mediation needs a successful
//! mediation since the incident was (re)opened.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision};
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
        team_id: Option<Uuid>,
        effective_date: Date,
    },
    Mediate {
        by_force: pb::ForceType,
        by_team_id: Option<Uuid>,
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
    /// The current handling level; unspecified until assigned.
    pub level: pb::HandlingLevel,
    pub resolved: Option<Date>,
    /// Successful mediations since the incident was last (re)opened.
    pub successful_mediations_count: u32,
    pub mediations_count: u32,
    pub dialogues_count: u32,
}

impl State {
    pub fn is_open(&self) -> bool {
        self.reported_on.is_some() && self.resolved.is_none()
    }

    /// Reported and not resolved; `effective` not before the report.
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
/// Whether a recorded event still holds after a backdated fact: see
/// [`crate::Aggregate::check`]. Not yet written for this record: only `decide`'s
/// judgement as of the command's own date applies.
pub fn check(_state: &State, _event: &Event) -> Result<(), DomainError> {
    Ok(())
}

/// Checks `command` against the incident's recorded facts.
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let incident_id = state.incident_id.clone();
    let event = match command {
        Command::Report(report) => decide_report(state, report)?,
        Command::Assign {
            level,
            team_id,
            effective_date,
        } => {
            state.ensure_open_on(effective_date)?;
            Event::Assigned(pb::IncidentAssigned {
                incident_id,
                level: facts::specified("level", level)?.into(),
                team_id: facts::optional_id(team_id),
                effective_date: Some(effective_date.to_proto()),
            })
        }
        Command::Mediate {
            by_force,
            by_team_id,
            outcome,
            note,
            effective_date,
        } => {
            state.ensure_open_on(effective_date)?;
            Event::MediationAttempted(pb::IncidentMediationAttempted {
                incident_id,
                by_force: facts::specified("by_force", by_force)?.into(),
                by_team_id: facts::optional_id(by_team_id),
                outcome: facts::specified("outcome", outcome)?.into(),
                note: text::optional_text("note", &note)?,
                effective_date: Some(effective_date.to_proto()),
            })
        }
        Command::HoldDialogue {
            held_by,
            effective_date,
        } => {
            state.ensure_open_on(effective_date)?;
            Event::DialogueHeld(pb::IncidentDialogueHeld {
                incident_id,
                held_by: text::required_name("held_by", &held_by)?,
                effective_date: Some(effective_date.to_proto()),
            })
        }
        Command::Escalate {
            to_level,
            reason,
            effective_date,
        } => decide_escalate(state, to_level, &reason, effective_date)?,
        Command::Resolve {
            resolution,
            effective_date,
            decision,
        } => decide_resolve(state, resolution, effective_date, decision.as_ref(), ctx)?,
        Command::Reopen { reason, effective_date } => decide_reopen(state, &reason, effective_date)?,
    };
    Ok(vec![event])
}

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Report(report) => report.effective_date,
        Command::Assign { effective_date, .. }
        | Command::Mediate { effective_date, .. }
        | Command::HoldDialogue { effective_date, .. }
        | Command::Escalate { effective_date, .. }
        | Command::Resolve { effective_date, .. }
        | Command::Reopen { effective_date, .. } => *effective_date,
    }
}

fn decide_report(state: &State, report: Report) -> Result<Event, DomainError> {
    facts::ensure_not_recorded("the incident", state.reported_on)?;
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
    }))
}

fn decide_escalate(
    state: &State,
    to_level: pb::HandlingLevel,
    reason: &str,
    effective_date: Date,
) -> Result<Event, DomainError> {
    state.ensure_open_on(effective_date)?;
    let to_level = facts::specified("to_level", to_level)?;
    if level_tier(to_level) <= level_tier(state.level) {
        return Err(DomainError::EscalationNotHigher {
            from: level_label(state.level),
        });
    }
    Ok(Event::Escalated(pb::IncidentEscalated {
        incident_id: state.incident_id.clone(),
        from_level: state.level.into(),
        to_level: to_level.into(),
        reason: text::required_text("reason", reason)?,
        effective_date: Some(effective_date.to_proto()),
    }))
}

fn decide_resolve(
    state: &State,
    resolution: Resolution,
    effective_date: Date,
    decision: Option<&Decision>,
    ctx: &Context,
) -> Result<Event, DomainError> {
    state.ensure_open_on(effective_date)?;
    if resolution == Resolution::Mediated && state.successful_mediations_count == 0 {
        return Err(DomainError::NoSuccessfulMediation);
    }
    Ok(Event::Resolved(pb::IncidentResolved {
        incident_id: state.incident_id.clone(),
        resolution: Some(resolution_to_proto(resolution)?),
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

fn decide_reopen(state: &State, reason: &str, effective_date: Date) -> Result<Event, DomainError> {
    facts::ensure_recorded("the incident", state.reported_on)?;
    let resolved_on = state.resolved.ok_or(DomainError::IncidentNotClosed)?;
    facts::ensure_since("the resolution", effective_date, resolved_on)?;
    Ok(Event::Reopened(pb::IncidentReopened {
        incident_id: state.incident_id.clone(),
        reason: text::required_text("reason", reason)?,
        effective_date: Some(effective_date.to_proto()),
    }))
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
        }
        Event::Assigned(e) => state.level = e.level(),
        Event::Escalated(e) => state.level = e.to_level(),
        Event::MediationAttempted(e) => {
            state.mediations_count = state.mediations_count.saturating_add(1);
            if e.outcome() == pb::MediationOutcome::Succeeded {
                state.successful_mediations_count = state.successful_mediations_count.saturating_add(1);
            }
        }
        Event::DialogueHeld(_) => state.dialogues_count = state.dialogues_count.saturating_add(1),
        Event::Resolved(_) => state.resolved = Some(on),
        Event::Reopened(_) => {
            state.resolved = None;
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

    fn report() -> Command {
        Command::Report(Report {
            incident_id: id(1),
            category: pb::IncidentCategory::NeighbourDispute,
            area: area_facts(10, pb::AreaLevel::ResidentialArea),
            source: pb::IncidentSource::GrassrootsForce,
            summary: "tranh chấp lối đi chung".to_owned(),
            complex: false,
            tip_id: None,
            effective_date: date(2017, 3, 1),
        })
    }

    fn reported() -> Vec<Event> {
        check(vec![], report()).unwrap()
    }

    fn mediate(outcome: pb::MediationOutcome) -> Command {
        Command::Mediate {
            by_force: pb::ForceType::SocialSecurityGroup,
            by_team_id: Some(id(100)),
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
            by_team_id: Some(id(100)),
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
        let assign = Command::Assign {
            level: pb::HandlingLevel::SecurityProtectionTeam,
            team_id: Some(id(100)),
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
                team_id: None,
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
        Mediate(bool),
        Resolve(u8),
        Reopen,
        Escalate(i32),
    }

    fn step_strategy() -> impl Strategy<Value = Step> {
        prop_oneof![
            any::<bool>().prop_map(Step::Mediate),
            (0u8..6).prop_map(Step::Resolve),
            Just(Step::Reopen),
            (1i32..9).prop_map(Step::Escalate),
        ]
    }

    fn step_command(step: &Step, day: u32) -> Command {
        let effective_date = Date::new(2018, 1 + day / 28, 1 + day % 28).unwrap();
        match step {
            Step::Mediate(succeeded) => Command::Mediate {
                by_force: pb::ForceType::SecurityProtectionTeam,
                by_team_id: None,
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
}
