//! The yearly safety rating of one unit (bình xét an toàn về ANTT): one stream per unit
//! and year.
//!
//! Residential areas, communes, agencies, enterprises and schools register to strive, are
//! rated safe or not safe once a year, and households sign pledges. A rating is never
//! overwritten: a correction names the rating it replaces (the current one) and why, so
//! the ratings of a unit and year form one chain, original first.
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
    /// The rating and its corrections, original first; the last one is current.
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

    /// A new command for `unit_area_id` and `year` belongs in this stream.
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

/// Whether a recorded event still holds after a backdated fact: see
/// [`crate::Aggregate::check`]. Not yet written for this record: only `decide`'s
/// judgement as of the command's own date applies.
pub fn check(_state: &State, _event: &Event) -> Result<(), DomainError> {
    Ok(())
}

/// Checks `command` against the unit's rating year.
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    let event = match command {
        Command::RegisterToStrive {
            unit,
            year,
            effective_date,
        } => decide_register(state, &unit, year, effective_date, ctx)?,
        Command::Rate(rate) => decide_rate(state, rate, ctx)?,
        Command::Correct(correct) => decide_correct(state, correct, ctx)?,
        Command::RecordPledges {
            unit,
            year,
            pledges_signed,
            campaign,
            effective_date,
        } => {
            check_unit_year(state, &unit, year, effective_date, ctx)?;
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
    };
    Ok(vec![event])
}

/// The checks every command naming a unit shares: date recorded, year sane, unit ratable,
/// existing on the date, and this stream's.
fn check_unit_year(
    state: &State,
    unit: &AreaFacts,
    year: i32,
    effective: Date,
    ctx: &Context,
) -> Result<(), DomainError> {
    facts::ensure_not_after_recording(effective, ctx)?;
    facts::year("year", year)?;
    ensure_ratable(unit.level)?;
    unit.ensure_exists_on(effective)?;
    state.ensure_same_unit_year(&unit.area_id.to_string(), year)
}

fn decide_register(
    state: &State,
    unit: &AreaFacts,
    year: i32,
    effective: Date,
    ctx: &Context,
) -> Result<Event, DomainError> {
    check_unit_year(state, unit, year, effective, ctx)?;
    ensure_in_campaign(year, effective)?;
    facts::ensure_not_recorded(
        "the registration to strive (đăng ký phấn đấu)",
        state.strive_registered_on,
    )?;
    Ok(Event::StriveRegistered(pb::StriveRegistered {
        unit_area_id: unit.area_id.to_string(),
        unit_level: unit.level.into(),
        year,
        effective_date: Some(effective.to_proto()),
    }))
}

fn decide_rate(state: &State, rate: Rate, ctx: &Context) -> Result<Event, DomainError> {
    check_unit_year(state, &rate.unit, rate.year, rate.effective_date, ctx)?;
    facts::ensure_since(
        "the rating year",
        rate.effective_date,
        Date::first_day_of_year(rate.year),
    )?;
    if !state.ratings.is_empty() {
        return Err(DomainError::AlreadyRated { year: rate.year });
    }
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

fn decide_correct(state: &State, correct: Correct, ctx: &Context) -> Result<Event, DomainError> {
    facts::ensure_not_after_recording(correct.effective_date, ctx)?;
    let unit_area_id = correct.unit_area_id.to_string();
    state.ensure_same_unit_year(&unit_area_id, correct.year)?;
    let current = state.current().ok_or(DomainError::NotRated { year: correct.year })?;
    let corrects_rating_id = correct.corrects_rating_id.to_string();
    if corrects_rating_id != current.rating_id {
        return Err(DomainError::CorrectionMustNameCurrent {
            current: current.rating_id.clone(),
        });
    }
    let rating_id = correct.correction_id.to_string();
    if state.ratings.iter().any(|rating| rating.rating_id == rating_id) {
        return Err(DomainError::invalid("correction_id", "is already the id of a rating"));
    }
    facts::ensure_since("the rating corrected", correct.effective_date, current.effective_date)?;
    Ok(Event::Corrected(pb::RatingCorrected {
        rating_id,
        corrects_rating_id,
        unit_area_id,
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
}
