//! The yearly safety rating of one unit (bình xét an toàn về ANTT): one stream per unit
//! and year.
//!
//! Residential areas, communes, agencies, enterprises and schools register to strive, are
//! rated safe or not safe once a year, and households sign pledges. A rating is never
//! overwritten: a correction names the rating it replaces (the one current on the
//! correction's date) and why, so the ratings of a unit and year form one chain, original
//! first, in the order the ratings took effect.
//!
//! Rules kept here: a unit is rated only for a year it existed in, once (corrections
//! aside), not before the year begins; registrations and pledges belong to the year's
//! campaign; a correction names the rating current on its date. They hold at every date
//! (see [`crate::timeline`]): a rating or correction typed in for an earlier date is
//! refused if a recorded later one would then no longer hold (a second original, or a
//! correction naming a rating no longer current).
//!
//! Keeping one stream per unit and year makes "one rating per unit and year" a rule of
//! one aggregate, enforced by the log's expected-version check on concurrent appends.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision};
use crate::{area, text};

/// The unit-year rating aggregate.
pub struct Rating;

crate::aggregate!(Rating);

/// What can be asked of a unit's rating for a year.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    RegisterToStrive {
        unit: AreaFacts,
        year: i32,
        effective_date: Date,
    },
    Rate(Rate),
    Correct(Correct),
    RecordPledges {
        unit: AreaFacts,
        year: i32,
        pledges_signed: u32,
        campaign: String,
        effective_date: Date,
    },
}

/// Rates a unit for a year.
#[derive(Clone, Debug, PartialEq)]
pub struct Rate {
    pub rating_id: Uuid,
    pub unit: AreaFacts,
    pub year: i32,
    pub outcome: pb::SafetyOutcome,
    /// e.g. "23/2012/TT-BCA".
    pub criteria: String,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// Corrects the unit's current rating for the year.
#[derive(Clone, Debug, PartialEq)]
pub struct Correct {
    pub correction_id: Uuid,
    pub corrects_rating_id: Uuid,
    pub unit_area_id: Uuid,
    pub year: i32,
    pub outcome: pb::SafetyOutcome,
    pub reason: String,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to a unit's rating for a year.
    pub enum Event {
        StriveRegistered(pb::StriveRegistered) = "antt.v1.StriveRegistered" @ 1,
        Rated(pb::UnitRated) = "antt.v1.UnitRated" @ 1,
        Corrected(pb::RatingCorrected) = "antt.v1.RatingCorrected" @ 1,
        PledgesRecorded(pb::PledgesRecorded) = "antt.v1.PledgesRecorded" @ 1,
    }
}

/// A unit's rating year as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Empty until the first event binds the stream to a unit and year.
    pub unit_area_id: String,
    pub year: Option<i32>,
    pub unit_level: pb::AreaLevel,
    pub strive_registered_on: Option<Date>,
    /// The rating and its corrections in the order they took effect, original first; the
    /// last one is current (as of the state's date, for a state read as of a date).
    pub ratings: Vec<RatingRecord>,
    pub pledges_signed_total: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatingRecord {
    pub rating_id: String,
    pub outcome: pb::SafetyOutcome,
    pub effective_date: Date,
    /// The rating this one corrects; None for the original.
    pub corrects: Option<String>,
}

impl State {
    /// The rating in force: the original or its latest correction.
    pub fn current(&self) -> Option<&RatingRecord> {
        self.ratings.last()
    }

    /// Whether the unit is rated safe for the year, as the records stand.
    pub fn is_safe(&self) -> Option<bool> {
        self.current().map(|rating| rating.outcome == pb::SafetyOutcome::Safe)
    }

    /// An event for `unit_area_id` and `year` belongs in this stream.
    fn ensure_same_unit_year(&self, unit_area_id: &str, year: i32) -> Result<(), DomainError> {
        match self.year {
            Some(bound_year) if bound_year != year || self.unit_area_id != unit_area_id => {
                Err(DomainError::WrongRecord { what: "unit and year" })
            }
            _ => Ok(()),
        }
    }
}

fn ensure_ratable(level: pb::AreaLevel) -> Result<(), DomainError> {
    match level {
        pb::AreaLevel::ResidentialArea
        | pb::AreaLevel::Commune
        | pb::AreaLevel::Agency
        | pb::AreaLevel::Enterprise
        | pb::AreaLevel::School => Ok(()),
        other => Err(DomainError::UnitNotRatable {
            level: area::level_label(other),
        }),
    }
}

/// Registrations and pledges belong to the campaign of `year`, run from the year before
/// (e.g. pledges signed at Tết, registrations made in December) to the end of the year.
fn ensure_in_campaign(year: i32, effective: Date) -> Result<(), DomainError> {
    if !(year - 1..=year).contains(&effective.year()) {
        return Err(DomainError::invalid(
            "effective_date",
            format!("the {year} campaign runs in {} and {year}", year - 1),
        ));
    }
    Ok(())
}

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::RegisterToStrive { effective_date, .. } | Command::RecordPledges { effective_date, .. } => {
            *effective_date
        }
        Command::Rate(rate) => rate.effective_date,
        Command::Correct(correct) => correct.effective_date,
    }
}

/// Checks `command` against the unit's rating year as it stood on the command's effective
/// date: the command is read into its event, then the event is judged by [`check`], the
/// rules that also judge every later record again (see [`crate::timeline`]).
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let event = build_event(command, ctx)?;
    check(state, &event)?;
    Ok(vec![event])
}

/// The event a command asks for, with its own fields checked (the unit's facts come in
/// the command); the rules that depend on the record's state are [`check`]'s.
fn build_event(command: Command, ctx: &Context) -> Result<Event, DomainError> {
    Ok(match command {
        Command::RegisterToStrive {
            unit,
            year,
            effective_date,
        } => {
            ensure_unit_rated_in(&unit, year, effective_date)?;
            ensure_in_campaign(year, effective_date)?;
            Event::StriveRegistered(pb::StriveRegistered {
                unit_area_id: unit.area_id.to_string(),
                unit_level: unit.level.into(),
                year,
                effective_date: Some(effective_date.to_proto()),
            })
        }
        Command::Rate(rate) => build_rated(rate, ctx)?,
        Command::Correct(correct) => build_corrected(correct, ctx)?,
        Command::RecordPledges {
            unit,
            year,
            pledges_signed,
            campaign,
            effective_date,
        } => {
            ensure_unit_rated_in(&unit, year, effective_date)?;
            ensure_in_campaign(year, effective_date)?;
            if pledges_signed == 0 {
                return Err(DomainError::invalid("pledges_signed", "must be at least 1"));
            }
            Event::PledgesRecorded(pb::PledgesRecorded {
                unit_area_id: unit.area_id.to_string(),
                year,
                pledges_signed,
                campaign: text::optional_name("campaign", &campaign)?,
                effective_date: Some(effective_date.to_proto()),
            })
        }
    })
}

/// Whether `event` holds on `state`, the unit's year as it stood just before the event
/// took effect: the stream's unit and year, one registration, one original rating, and a
/// correction naming the rating current on its date.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    let (unit_area_id, year) = unit_year(event);
    state.ensure_same_unit_year(unit_area_id, year)?;
    match event {
        Event::StriveRegistered(_) => facts::ensure_not_recorded(
            "the registration to strive (đăng ký phấn đấu)",
            state.strive_registered_on,
        ),
        Event::Rated(_) if !state.ratings.is_empty() => Err(DomainError::AlreadyRated { year }),
        Event::Rated(_) | Event::PledgesRecorded(_) => Ok(()),
        Event::Corrected(e) => check_correction(state, e),
    }
}

/// The unit and year an event is about.
fn unit_year(event: &Event) -> (&str, i32) {
    match event {
        Event::StriveRegistered(e) => (&e.unit_area_id, e.year),
        Event::Rated(e) => (&e.unit_area_id, e.year),
        Event::Corrected(e) => (&e.unit_area_id, e.year),
        Event::PledgesRecorded(e) => (&e.unit_area_id, e.year),
    }
}

/// A correction replaces the rating current on its date, not before that rating took
/// effect, under an id no rating of the year has.
fn check_correction(state: &State, e: &pb::RatingCorrected) -> Result<(), DomainError> {
    let current = state.current().ok_or(DomainError::NotRated { year: e.year })?;
    if e.corrects_rating_id != current.rating_id {
        return Err(DomainError::CorrectionMustNameCurrent {
            current: current.rating_id.clone(),
        });
    }
    if state.ratings.iter().any(|rating| rating.rating_id == e.rating_id) {
        return Err(DomainError::invalid("correction_id", "is already the id of a rating"));
    }
    let on = Date::from_event(e.effective_date.as_ref());
    facts::ensure_since("the rating corrected", on, current.effective_date)
}

/// The checks every command naming a unit shares: year sane, unit ratable, existing on
/// the date, and alive during the year rated.
fn ensure_unit_rated_in(unit: &AreaFacts, year: i32, effective: Date) -> Result<(), DomainError> {
    facts::year("year", year)?;
    ensure_ratable(unit.level)?;
    unit.ensure_exists_on(effective)?;
    ensure_lived_in(unit, year)
}

/// The unit existed during at least part of `year`: a unit registered in 2010 has no
/// 2009 rating, one that ended in 2020 none for 2021 (even a registration made in 2020).
fn ensure_lived_in(unit: &AreaFacts, year: i32) -> Result<(), DomainError> {
    facts::ensure_since("the area", Date::last_day_of_year(year), unit.valid_from)?;
    facts::ensure_before_end("the area", Date::first_day_of_year(year), unit.ended_on)
}

fn build_rated(rate: Rate, ctx: &Context) -> Result<Event, DomainError> {
    ensure_unit_rated_in(&rate.unit, rate.year, rate.effective_date)?;
    facts::ensure_since(
        "the rating year",
        rate.effective_date,
        Date::first_day_of_year(rate.year),
    )?;
    Ok(Event::Rated(pb::UnitRated {
        rating_id: rate.rating_id.to_string(),
        unit_area_id: rate.unit.area_id.to_string(),
        unit_level: rate.unit.level.into(),
        year: rate.year,
        outcome: facts::specified("outcome", rate.outcome)?.into(),
        criteria: text::optional_name("criteria", &rate.criteria)?,
        effective_date: Some(rate.effective_date.to_proto()),
        decision: facts::optional_decision("decision", rate.decision.as_ref(), ctx)?,
    }))
}

fn build_corrected(correct: Correct, ctx: &Context) -> Result<Event, DomainError> {
    Ok(Event::Corrected(pb::RatingCorrected {
        rating_id: correct.correction_id.to_string(),
        corrects_rating_id: correct.corrects_rating_id.to_string(),
        unit_area_id: correct.unit_area_id.to_string(),
        year: correct.year,
        outcome: facts::specified("outcome", correct.outcome)?.into(),
        reason: text::required_text("reason", &correct.reason)?,
        effective_date: Some(correct.effective_date.to_proto()),
        decision: facts::optional_decision("decision", correct.decision.as_ref(), ctx)?,
    }))
}

/// The unit's rating year after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::StriveRegistered(e) => {
            bind(&mut state, &e.unit_area_id, e.year, e.unit_level());
            state.strive_registered_on = Some(on);
        }
        Event::Rated(e) => {
            bind(&mut state, &e.unit_area_id, e.year, e.unit_level());
            state.ratings.push(RatingRecord {
                rating_id: e.rating_id.clone(),
                outcome: e.outcome(),
                effective_date: on,
                corrects: None,
            });
        }
        Event::Corrected(e) => state.ratings.push(RatingRecord {
            rating_id: e.rating_id.clone(),
            outcome: e.outcome(),
            effective_date: on,
            corrects: Some(e.corrects_rating_id.clone()),
        }),
        Event::PledgesRecorded(e) => {
            // Pledges do not carry the unit's level; the other events set it.
            bind(&mut state, &e.unit_area_id, e.year, pb::AreaLevel::Unspecified);
            state.pledges_signed_total = state.pledges_signed_total.saturating_add(u64::from(e.pledges_signed));
        }
    }
    state
}

/// The first event binds the stream to its unit and year.
fn bind(state: &mut State, unit_area_id: &str, year: i32, level: pb::AreaLevel) {
    if state.year.is_none() {
        state.unit_area_id = unit_area_id.to_owned();
        state.year = Some(year);
    }
    if state.unit_level == pb::AreaLevel::Unspecified {
        state.unit_level = level;
    }
}

/// The years safe without a break that earn each recognition, highest first (Circular
/// 124/2021/TT-BCA and the province's rules of emulation: 1 year the commune's, 3 a
/// district decision, 5 the province's).
pub const RECOGNITION_YEARS: [(u32, pb::Recognition); 3] = [
    (5, pb::Recognition::Province),
    (3, pb::Recognition::District),
    (1, pb::Recognition::Commune),
];

/// The longest run worth counting: the one that earns the highest recognition.
pub const RECOGNITION_YEARS_MAX: u32 = RECOGNITION_YEARS[0].0;

/// What `consecutive_safe_years` (this year and the years just before it) earn: the
/// highest level the run reaches.
pub fn recognition(consecutive_safe_years: u32) -> pb::Recognition {
    RECOGNITION_YEARS
        .iter()
        .find(|(years, _)| consecutive_safe_years >= *years)
        .map_or(pb::Recognition::Unspecified, |(_, recognition)| *recognition)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::testing::{area_facts, date, id};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Rating>(given, when)
    }

    const UNIT: u128 = 10;

    fn rate(rating: u128, year: i32, outcome: pb::SafetyOutcome) -> Command {
        Command::Rate(Rate {
            rating_id: id(rating),
            unit: area_facts(UNIT, pb::AreaLevel::ResidentialArea),
            year,
            outcome,
            criteria: "23/2012/TT-BCA".to_owned(),
            effective_date: date(year, 8, 19),
            decision: None,
        })
    }

    fn correct(correction: u128, original: u128, outcome: pb::SafetyOutcome) -> Command {
        Command::Correct(Correct {
            correction_id: id(correction),
            corrects_rating_id: id(original),
            unit_area_id: id(UNIT),
            year: 2012,
            outcome,
            reason: "nhầm kết quả bình xét".to_owned(),
            effective_date: date(2012, 9, 1),
            decision: None,
        })
    }

    fn rated() -> Vec<Event> {
        check(vec![], rate(1, 2012, pb::SafetyOutcome::Safe)).unwrap()
    }

    #[test]
    fn one_rating_per_unit_and_year() {
        assert_eq!(
            check(rated(), rate(2, 2012, pb::SafetyOutcome::NotSafe)),
            Err(DomainError::AlreadyRated { year: 2012 })
        );
    }

    #[test]
    fn another_year_belongs_in_another_record() {
        assert_eq!(
            check(rated(), rate(2, 2013, pb::SafetyOutcome::Safe)),
            Err(DomainError::WrongRecord { what: "unit and year" })
        );
    }

    #[test]
    fn a_correction_names_the_current_rating_and_keeps_the_original() {
        let mut given = rated();
        assert_eq!(
            check(given.clone(), correct(2, 9, pb::SafetyOutcome::NotSafe)),
            Err(DomainError::CorrectionMustNameCurrent {
                current: id(1).to_string()
            })
        );
        given.extend(check(given.clone(), correct(2, 1, pb::SafetyOutcome::NotSafe)).unwrap());
        // The original is no longer current, so it cannot be corrected again.
        assert!(matches!(
            check(given.clone(), correct(3, 1, pb::SafetyOutcome::Safe)),
            Err(DomainError::CorrectionMustNameCurrent { .. })
        ));
        let state = crate::replay::<Rating>(&given);
        assert_eq!(state.ratings.len(), 2);
        assert_eq!(state.is_safe(), Some(false));
        assert_eq!(state.ratings[0].rating_id, id(1).to_string());
    }

    #[test]
    fn a_correction_needs_a_rating_of_the_same_unit_and_year() {
        assert_eq!(
            check(vec![], correct(2, 1, pb::SafetyOutcome::Safe)),
            Err(DomainError::NotRated { year: 2012 })
        );
        let Command::Correct(mut other_unit) = correct(2, 1, pb::SafetyOutcome::Safe) else {
            unreachable!()
        };
        other_unit.unit_area_id = id(11);
        assert_eq!(
            check(rated(), Command::Correct(other_unit)),
            Err(DomainError::WrongRecord { what: "unit and year" })
        );
    }

    #[test]
    fn a_correction_gives_a_reason() {
        let Command::Correct(mut correct) = correct(2, 1, pb::SafetyOutcome::Safe) else {
            unreachable!()
        };
        correct.reason = " ".to_owned();
        assert_eq!(
            check(rated(), Command::Correct(correct)).unwrap_err().field(),
            Some("reason")
        );
    }

    #[test]
    fn only_grassroots_units_are_rated() {
        let Command::Rate(mut rate) = rate(1, 2012, pb::SafetyOutcome::Safe) else {
            unreachable!()
        };
        rate.unit.level = pb::AreaLevel::District;
        assert_eq!(
            check(vec![], Command::Rate(rate)),
            Err(DomainError::UnitNotRatable {
                level: "district (huyện)"
            })
        );
    }

    #[test]
    fn a_rating_is_not_effective_before_its_year() {
        let Command::Rate(mut rate) = rate(1, 2012, pb::SafetyOutcome::Safe) else {
            unreachable!()
        };
        rate.effective_date = date(2011, 12, 31);
        assert!(matches!(
            check(vec![], Command::Rate(rate)),
            Err(DomainError::BeforeExistence {
                what: "the rating year",
                ..
            })
        ));
    }

    #[test]
    fn registration_and_pledges_belong_to_the_campaign() {
        let register = |on| Command::RegisterToStrive {
            unit: area_facts(UNIT, pb::AreaLevel::School),
            year: 2013,
            effective_date: on,
        };
        assert!(check(vec![], register(date(2011, 12, 1))).is_err());
        let given = check(vec![], register(date(2012, 12, 1))).unwrap();
        assert!(matches!(
            check(given.clone(), register(date(2013, 1, 5))),
            Err(DomainError::AlreadyRecorded { .. })
        ));
        let pledges = Command::RecordPledges {
            unit: area_facts(UNIT, pb::AreaLevel::School),
            year: 2013,
            pledges_signed: 250,
            campaign: "Tết Nguyên đán".to_owned(),
            effective_date: date(2013, 2, 1),
        };
        let events = check(given.clone(), pledges).unwrap();
        let state = crate::replay::<Rating>(given.iter().chain(&events));
        assert_eq!(state.pledges_signed_total, 250);
    }

    /// The events of `commands` decided through the timeline in this order.
    fn history(commands: Vec<Command>) -> Vec<Event> {
        commands.into_iter().fold(Vec::new(), history_after)
    }

    fn history_after(mut given: Vec<Event>, command: Command) -> Vec<Event> {
        given.extend(check(given.clone(), command).unwrap());
        given
    }

    fn rate_on(rating: u128, on: Date) -> Command {
        let Command::Rate(rate) = rate(rating, 2012, pb::SafetyOutcome::Safe) else {
            unreachable!()
        };
        Command::Rate(Rate {
            effective_date: on,
            ..rate
        })
    }

    fn correct_on(correction: u128, original: u128, on: Date) -> Command {
        let Command::Correct(correct) = correct(correction, original, pb::SafetyOutcome::NotSafe) else {
            unreachable!()
        };
        Command::Correct(Correct {
            effective_date: on,
            ..correct
        })
    }

    fn pledges_on(on: Date) -> Command {
        Command::RecordPledges {
            unit: area_facts(UNIT, pb::AreaLevel::ResidentialArea),
            year: 2012,
            pledges_signed: 40,
            campaign: String::new(),
            effective_date: on,
        }
    }

    fn register_on(on: Date) -> Command {
        Command::RegisterToStrive {
            unit: area_facts(UNIT, pb::AreaLevel::ResidentialArea),
            year: 2012,
            effective_date: on,
        }
    }

    #[test]
    fn a_backdated_correction_cannot_come_between_a_rating_and_its_recorded_correction() {
        let given = history(vec![rate_on(1, date(2012, 8, 19)), correct_on(2, 1, date(2012, 9, 1))]);
        // On 2012-08-25 rating 1 was current, but then correction 2 of 2012-09-01 would
        // name a rating that was no longer current.
        assert_eq!(
            check(given.clone(), correct_on(3, 1, date(2012, 8, 25))),
            Err(DomainError::ContradictsLaterRecord {
                on: date(2012, 9, 1),
                rule: Box::new(DomainError::CorrectionMustNameCurrent {
                    current: id(3).to_string()
                }),
            })
        );
        // Correction 2 is current only from its own date.
        assert!(matches!(
            check(given.clone(), correct_on(3, 2, date(2012, 8, 25))),
            Err(DomainError::CorrectionMustNameCurrent { .. })
        ));
        assert!(check(given, correct_on(3, 2, date(2012, 9, 1))).is_ok());
    }

    #[test]
    fn a_backdated_correction_names_the_rating_current_on_its_date() {
        // Pledges of November were typed in first; the August rating and its September
        // correction come later, for earlier dates.
        let given = history(vec![
            pledges_on(date(2012, 11, 1)),
            rate_on(1, date(2012, 8, 19)),
            correct_on(2, 1, date(2012, 9, 1)),
        ]);
        let timeline = crate::timeline_of::<Rating>(&given);
        assert_eq!(timeline.state_as_of(date(2012, 8, 18)).is_safe(), None);
        assert_eq!(timeline.state_as_of(date(2012, 8, 31)).is_safe(), Some(true));
        assert_eq!(timeline.state_as_of(date(2012, 9, 1)).is_safe(), Some(false));
        assert_eq!(timeline.state().pledges_signed_total, 40);
        // Not before the rating it corrects.
        assert!(matches!(
            check(given, correct_on(3, 2, date(2012, 8, 30))),
            Err(DomainError::CorrectionMustNameCurrent { .. })
        ));
        let rated = history(vec![rate_on(1, date(2012, 8, 19))]);
        assert!(matches!(
            check(rated.clone(), correct_on(2, 1, date(2012, 8, 1))),
            Err(DomainError::BeforeExistence {
                what: "the rating corrected",
                ..
            })
        ));
        // With an earlier registration, the unit simply was not rated yet on that day.
        let registered = history_after(rated, register_on(date(2011, 12, 15)));
        assert_eq!(
            check(registered, correct_on(2, 1, date(2012, 8, 1))),
            Err(DomainError::NotRated { year: 2012 })
        );
    }

    #[test]
    fn a_backdated_rating_cannot_precede_the_recorded_one() {
        let given = history(vec![register_on(date(2011, 12, 15)), rate_on(1, date(2012, 12, 20))]);
        assert_eq!(
            check(given, rate_on(2, date(2012, 6, 1))),
            Err(DomainError::ContradictsLaterRecord {
                on: date(2012, 12, 20),
                rule: Box::new(DomainError::AlreadyRated { year: 2012 }),
            })
        );
    }

    #[test]
    fn a_backdated_registration_is_accepted_once() {
        let given = history(vec![pledges_on(date(2012, 2, 1)), register_on(date(2012, 3, 1))]);
        assert_eq!(
            check(given.clone(), register_on(date(2012, 1, 10))),
            Err(DomainError::ContradictsLaterRecord {
                on: date(2012, 3, 1),
                rule: Box::new(DomainError::AlreadyRecorded {
                    what: "the registration to strive (đăng ký phấn đấu)"
                }),
            })
        );
        // Recorded after the rating, for the December before: judged against the record.
        let rated = history(vec![rate_on(1, date(2012, 12, 20))]);
        let with_registration = history_after(rated, register_on(date(2011, 12, 15)));
        let timeline = crate::timeline_of::<Rating>(&with_registration);
        assert_eq!(
            timeline.state_as_of(date(2011, 12, 31)).strive_registered_on,
            Some(date(2011, 12, 15))
        );
    }

    /// A unit registered on `valid_from`, ended on `ended_on`.
    fn unit_living(valid_from: Date, ended_on: Option<Date>) -> AreaFacts {
        AreaFacts {
            valid_from,
            ended_on,
            ..area_facts(UNIT, pb::AreaLevel::ResidentialArea)
        }
    }

    #[test]
    fn a_unit_is_rated_only_for_a_year_it_existed_in() {
        let rate_for = |unit: AreaFacts, year: i32, on: Date| {
            let Command::Rate(rate) = rate(1, year, pb::SafetyOutcome::Safe) else {
                unreachable!()
            };
            Command::Rate(Rate {
                unit,
                effective_date: on,
                ..rate
            })
        };
        // Registered in March 2010: no rating for 2009, even one typed in for 2010.
        let registered_2010 = unit_living(date(2010, 3, 1), None);
        assert_eq!(
            check(vec![], rate_for(registered_2010.clone(), 2009, date(2010, 6, 1))),
            Err(DomainError::BeforeExistence {
                what: "the area",
                effective: date(2009, 12, 31),
                since: date(2010, 3, 1),
            })
        );
        assert!(check(vec![], rate_for(registered_2010, 2010, date(2010, 12, 1))).is_ok());
        // Ended in June 2020: its 2021 campaign cannot start, though it existed in 2020.
        let ended_2020 = unit_living(date(2008, 1, 1), Some(date(2020, 6, 30)));
        let register_2021 = Command::RegisterToStrive {
            unit: ended_2020.clone(),
            year: 2021,
            effective_date: date(2020, 3, 1),
        };
        assert_eq!(
            check(vec![], register_2021),
            Err(DomainError::AfterEnd {
                what: "the area",
                effective: date(2021, 1, 1),
                ended_on: date(2020, 6, 30),
            })
        );
        let register_2020 = Command::RegisterToStrive {
            unit: ended_2020,
            year: 2020,
            effective_date: date(2020, 3, 1),
        };
        assert!(check(vec![], register_2020).is_ok());
    }

    #[derive(Clone, Debug)]
    enum Step {
        Rate(u8, bool),
        Correct(u8, u8, bool),
    }

    fn step_strategy() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0u8..4, any::<bool>()).prop_map(|(rating, safe)| Step::Rate(rating, safe)),
            (0u8..6, 0u8..6, any::<bool>()).prop_map(|(new, old, safe)| Step::Correct(new, old, safe)),
        ]
    }

    fn outcome(safe: bool) -> pb::SafetyOutcome {
        if safe {
            pb::SafetyOutcome::Safe
        } else {
            pb::SafetyOutcome::NotSafe
        }
    }

    proptest! {
        /// Goal: a unit-year has one rating and a single chain of corrections. Method:
        /// random rate/correct commands with colliding ids; check the accepted events.
        #[test]
        fn one_rating_per_unit_and_year_whatever_is_asked(steps in proptest::collection::vec(step_strategy(), 0..30)) {
            let mut events: Vec<Event> = Vec::new();
            let mut state = State::default();
            for step in &steps {
                let command = match *step {
                    Step::Rate(rating, safe) => rate(u128::from(rating), 2012, outcome(safe)),
                    Step::Correct(new, old, safe) => correct(u128::from(new), u128::from(old), outcome(safe)),
                };
                let Ok(decided) = decide(&state, command, &crate::testing::ctx()) else { continue };
                for event in &decided {
                    if let Event::Corrected(e) = event {
                        prop_assert_eq!(Some(&e.corrects_rating_id), state.current().map(|r| &r.rating_id));
                    }
                    state = evolve(state, event);
                }
                events.extend(decided);
            }
            let originals = events.iter().filter(|event| matches!(event, Event::Rated(_))).count();
            prop_assert!(originals <= 1, "{originals} ratings for one unit and year");
            let mut corrected = std::collections::BTreeSet::new();
            for event in &events {
                if let Event::Corrected(e) = event {
                    prop_assert!(corrected.insert(e.corrects_rating_id.clone()), "a rating corrected twice");
                }
            }
        }
    }

    #[test]
    fn consecutive_safe_years_earn_the_highest_level_they_reach() {
        use pb::Recognition as R;
        let earned: Vec<R> = (0..=7).map(recognition).collect();
        assert_eq!(
            earned,
            [
                R::Unspecified,
                R::Commune,
                R::Commune,
                R::District,
                R::District,
                R::Province,
                R::Province,
                R::Province
            ]
        );
    }
}
