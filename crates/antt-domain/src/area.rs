//! Administrative areas (địa bàn): one stream per area.
//!
//! An area's identity is its own id, not its official code: GSO codes are reused across
//! the 2025 reform, so a code belongs to an area for a period. An area is never edited in
//! place; it is registered, renamed, given a new code, merged, split, re-parented or
//! dissolved by events. A merged, split or dissolved area is *ended*, not deleted: its
//! events stay and every question about its past stays answerable.
//!
//! Facts dated inside the area's life (population, key complex designation) may be
//! recorded late, even after the area ended; changes of the area itself (rename, merge…)
//! need an area that has not ended.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision};
use crate::text;

/// The area aggregate.
pub struct Area;

crate::aggregate!(Area);

/// What can be asked of an area.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Register(Register),
    Rename(Rename),
    AssignCode(AssignCode),
    MergeInto(MergeInto),
    AbsorbAreas(AbsorbAreas),
    Split(Split),
    Reparent(Reparent),
    Dissolve(Dissolve),
    RecordPopulation(RecordPopulation),
    DesignateKeyComplexArea(DesignateKeyComplexArea),
    RecordTransformation(RecordTransformation),
}

/// Registers a new area.
#[derive(Clone, Debug, PartialEq)]
pub struct Register {
    pub area_id: Uuid,
    /// None for areas without a code (e.g. a new residential area).
    pub official_code: Option<String>,
    pub name: String,
    pub level: pb::AreaLevel,
    /// e.g. "xã", "phường", "thôn"; may be empty.
    pub division_type: String,
    /// None only for a province.
    pub parent: Option<AreaFacts>,
    /// The areas it was formed from by a merger or split.
    pub formed_from: Vec<Uuid>,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// Renames the area (and possibly changes its division type).
#[derive(Clone, Debug, PartialEq)]
pub struct Rename {
    pub new_name: String,
    /// Empty: unchanged.
    pub new_division_type: String,
    pub effective_date: Date,
    pub decision: Decision,
}

/// Gives the area a new official code from a date.
#[derive(Clone, Debug, PartialEq)]
pub struct AssignCode {
    pub official_code: String,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// Ends this area by merging it into another.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeInto {
    pub successor_area_id: Uuid,
    pub effective_date: Date,
    pub decision: Decision,
}

/// Records that other areas were merged into this one, which continues.
#[derive(Clone, Debug, PartialEq)]
pub struct AbsorbAreas {
    pub absorbed_area_ids: Vec<Uuid>,
    pub effective_date: Date,
    pub decision: Decision,
}

/// Splits the area into parts, ending it or not.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub part_area_ids: Vec<Uuid>,
    pub original_ends: bool,
    pub effective_date: Date,
    pub decision: Decision,
}

/// Moves the area under another parent.
#[derive(Clone, Debug, PartialEq)]
pub struct Reparent {
    pub new_parent: AreaFacts,
    pub effective_date: Date,
    pub decision: Decision,
}

/// Ends the area without a successor.
#[derive(Clone, Debug, PartialEq)]
pub struct Dissolve {
    pub reason: String,
    pub effective_date: Date,
    pub decision: Decision,
}

/// Records households and population as of a date.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordPopulation {
    pub households: u32,
    pub population: u32,
    pub source: String,
    pub effective_date: Date,
}

/// Designates the area a key complex area for security and order.
#[derive(Clone, Debug, PartialEq)]
pub struct DesignateKeyComplexArea {
    pub reason: String,
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

/// Records that a key complex area was transformed into a safe one.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordTransformation {
    pub effective_date: Date,
    pub decision: Option<Decision>,
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to an area.
    pub enum Event {
        Registered(pb::AreaRegistered) = "antt.v1.AreaRegistered" @ 1,
        Renamed(pb::AreaRenamed) = "antt.v1.AreaRenamed" @ 1,
        CodeAssigned(pb::AreaCodeAssigned) = "antt.v1.AreaCodeAssigned" @ 1,
        MergedInto(pb::AreaMergedInto) = "antt.v1.AreaMergedInto" @ 1,
        AbsorbedAreas(pb::AreaAbsorbedAreas) = "antt.v1.AreaAbsorbedAreas" @ 1,
        Split(pb::AreaSplit) = "antt.v1.AreaSplit" @ 1,
        Reparented(pb::AreaReparented) = "antt.v1.AreaReparented" @ 1,
        Dissolved(pb::AreaDissolved) = "antt.v1.AreaDissolved" @ 1,
        PopulationRecorded(pb::AreaPopulationRecorded) = "antt.v1.AreaPopulationRecorded" @ 1,
        KeyComplexAreaDesignated(pb::KeyComplexAreaDesignated) = "antt.v1.KeyComplexAreaDesignated" @ 1,
        KeyComplexAreaTransformed(pb::KeyComplexAreaTransformed) = "antt.v1.KeyComplexAreaTransformed" @ 1,
    }
}

/// An area as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Empty until registered.
    pub area_id: String,
    pub registered_on: Option<Date>,
    pub ending: Option<Ending>,
    pub level: pb::AreaLevel,
    pub name: String,
    pub division_type: String,
    /// Empty for a province.
    pub parent_area_id: String,
    /// The codes the area has had, oldest first.
    pub codes: Vec<CodePeriod>,
    /// Population figures, by date.
    pub population: Vec<PopulationFigure>,
    /// Designations as a key complex area, oldest first.
    pub key_complex_periods: Vec<KeyComplexPeriod>,
}

/// How and when an area ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ending {
    pub on: Date,
    pub how: EndKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndKind {
    MergedInto { successor_area_id: String },
    Split { part_area_ids: Vec<String> },
    Dissolved,
}

/// An official code, from a date until the next code's date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodePeriod {
    pub code: String,
    pub from: Date,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PopulationFigure {
    pub as_of: Date,
    pub households: u32,
    pub population: u32,
}

/// A period as a key complex area; `transformed_on` is None while it lasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyComplexPeriod {
    pub designated_on: Date,
    pub transformed_on: Option<Date>,
}

impl State {
    /// What commands about other records need to know about this area; None until
    /// registered.
    pub fn facts(&self) -> Option<AreaFacts> {
        Some(AreaFacts {
            area_id: Uuid::parse_str(&self.area_id).ok()?,
            level: self.level,
            valid_from: self.registered_on?,
            ended_on: self.ending.as_ref().map(|ending| ending.on),
        })
    }

    /// The official code the area had on `date`.
    pub fn code_on(&self, date: Date) -> Option<&str> {
        self.codes
            .iter()
            .filter(|period| period.from <= date)
            .max_by_key(|period| period.from)
            .map(|period| period.code.as_str())
    }

    /// The latest population figure dated on or before `date`.
    pub fn population_on(&self, date: Date) -> Option<&PopulationFigure> {
        self.population
            .iter()
            .filter(|figure| figure.as_of <= date)
            .max_by_key(|figure| figure.as_of)
    }

    /// Whether the area was a key complex area on `date`.
    pub fn is_key_complex_on(&self, date: Date) -> bool {
        self.key_complex_periods
            .iter()
            .any(|period| period.designated_on <= date && period.transformed_on.is_none_or(|end| date < end))
    }

    /// Registered, not ended, and `effective` inside its life: the area may still change.
    fn ensure_can_change_on(&self, effective: Date) -> Result<(), DomainError> {
        let ended = self
            .ending
            .as_ref()
            .map(|ending| DomainError::AreaEnded { ended_on: ending.on });
        facts::ensure_open_on("the area", self.registered_on, ended, effective)
    }

    /// Registered, and `effective` inside its life (ended or not).
    fn ensure_existed_on(&self, effective: Date) -> Result<(), DomainError> {
        let registered_on = facts::ensure_recorded("the area", self.registered_on)?;
        facts::ensure_within(
            "the area",
            effective,
            registered_on,
            self.ending.as_ref().map(|ending| ending.on),
        )
    }

    fn open_key_complex_period(&self) -> Option<&KeyComplexPeriod> {
        self.key_complex_periods
            .last()
            .filter(|period| period.transformed_on.is_none())
    }
}

/// Where a level sits: provinces 0, districts 1, communes 2, units inside communes 3.
pub fn level_rank(level: pb::AreaLevel) -> Option<u8> {
    match level {
        pb::AreaLevel::Unspecified => None,
        pb::AreaLevel::Province => Some(0),
        pb::AreaLevel::District => Some(1),
        pb::AreaLevel::Commune => Some(2),
        pb::AreaLevel::ResidentialArea | pb::AreaLevel::Agency | pb::AreaLevel::Enterprise | pb::AreaLevel::School => {
            Some(3)
        }
    }
}

/// The level's name for messages.
pub fn level_label(level: pb::AreaLevel) -> &'static str {
    match level {
        pb::AreaLevel::Unspecified => "area of unspecified level",
        pb::AreaLevel::Province => "province (tỉnh)",
        pb::AreaLevel::District => "district (huyện)",
        pb::AreaLevel::Commune => "commune (xã)",
        pb::AreaLevel::ResidentialArea => "residential area (khu dân cư)",
        pb::AreaLevel::Agency => "agency (cơ quan)",
        pb::AreaLevel::Enterprise => "enterprise (doanh nghiệp)",
        pb::AreaLevel::School => "school (nhà trường)",
    }
}
/// Whether a recorded event still holds after a backdated fact: see
/// [`crate::Aggregate::check`]. Not yet written for this record: only `decide`'s
/// judgement as of the command's own date applies.
pub fn check(_state: &State, _event: &Event) -> Result<(), DomainError> {
    Ok(())
}

/// Checks `command` against the area's recorded facts.
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    let effective_date = command_effective_date(&command);
    facts::ensure_not_after_recording(effective_date, ctx)?;
    let event = match command {
        Command::Register(register) => decide_register(state, register, ctx)?,
        Command::Rename(rename) => decide_rename(state, rename, ctx)?,
        Command::AssignCode(assign) => decide_assign_code(state, assign, ctx)?,
        Command::MergeInto(merge) => decide_merge_into(state, merge, ctx)?,
        Command::AbsorbAreas(absorb) => decide_absorb(state, absorb, ctx)?,
        Command::Split(split) => decide_split(state, split, ctx)?,
        Command::Reparent(reparent) => decide_reparent(state, reparent, ctx)?,
        Command::Dissolve(dissolve) => decide_dissolve(state, dissolve, ctx)?,
        Command::RecordPopulation(record) => decide_population(state, record)?,
        Command::DesignateKeyComplexArea(designate) => decide_designate(state, designate, ctx)?,
        Command::RecordTransformation(record) => decide_transformation(state, record, ctx)?,
    };
    Ok(vec![event])
}

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Register(c) => c.effective_date,
        Command::Rename(c) => c.effective_date,
        Command::AssignCode(c) => c.effective_date,
        Command::MergeInto(c) => c.effective_date,
        Command::AbsorbAreas(c) => c.effective_date,
        Command::Split(c) => c.effective_date,
        Command::Reparent(c) => c.effective_date,
        Command::Dissolve(c) => c.effective_date,
        Command::RecordPopulation(c) => c.effective_date,
        Command::DesignateKeyComplexArea(c) => c.effective_date,
        Command::RecordTransformation(c) => c.effective_date,
    }
}

fn decide_register(state: &State, register: Register, ctx: &Context) -> Result<Event, DomainError> {
    facts::ensure_not_recorded("the area", state.registered_on)?;
    let area_id = register.area_id.to_string();
    let level = facts::specified("level", register.level)?;
    let official_code = match register.official_code.as_deref() {
        Some(code) => text::code("official_code", code)?,
        None => String::new(),
    };
    Ok(Event::Registered(pb::AreaRegistered {
        parent_area_id: parent_id(&area_id, level, register.parent.as_ref(), register.effective_date)?,
        formed_from_area_ids: facts::distinct_ids("formed_from", &register.formed_from, &area_id, 0)?,
        area_id,
        official_code,
        name: text::required_name("name", &register.name)?,
        level: level.into(),
        division_type: text::optional_name("division_type", &register.division_type)?,
        effective_date: Some(register.effective_date.to_proto()),
        decision: facts::optional_decision("decision", register.decision.as_ref(), ctx)?,
    }))
}

/// The parent's id, if `parent` may contain an area of `level` on `effective`.
fn parent_id(
    area_id: &str,
    level: pb::AreaLevel,
    parent: Option<&AreaFacts>,
    effective: Date,
) -> Result<String, DomainError> {
    let parent = match (level, parent) {
        (pb::AreaLevel::Province, None) => return Ok(String::new()),
        (pb::AreaLevel::Province, Some(_)) => return Err(DomainError::ProvinceHasNoParent),
        (_, None) => {
            return Err(DomainError::ParentRequired {
                level: level_label(level),
            })
        }
        (_, Some(parent)) => parent,
    };
    let parent_id = parent.area_id.to_string();
    if parent_id == area_id {
        return Err(DomainError::invalid("parent", "an area cannot contain itself"));
    }
    let parent_is_above = matches!((level_rank(parent.level), level_rank(level)), (Some(p), Some(c)) if p < c);
    if !parent_is_above {
        return Err(DomainError::ParentLevelNotAbove {
            child: level_label(level),
            parent: level_label(parent.level),
        });
    }
    parent.ensure_exists_on(effective)?;
    Ok(parent_id)
}

fn decide_rename(state: &State, rename: Rename, ctx: &Context) -> Result<Event, DomainError> {
    state.ensure_can_change_on(rename.effective_date)?;
    Ok(Event::Renamed(pb::AreaRenamed {
        area_id: state.area_id.clone(),
        new_name: text::required_name("new_name", &rename.new_name)?,
        new_division_type: text::optional_name("new_division_type", &rename.new_division_type)?,
        effective_date: Some(rename.effective_date.to_proto()),
        decision: Some(rename.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_assign_code(state: &State, assign: AssignCode, ctx: &Context) -> Result<Event, DomainError> {
    state.ensure_can_change_on(assign.effective_date)?;
    Ok(Event::CodeAssigned(pb::AreaCodeAssigned {
        area_id: state.area_id.clone(),
        official_code: text::code("official_code", &assign.official_code)?,
        effective_date: Some(assign.effective_date.to_proto()),
        decision: facts::optional_decision("decision", assign.decision.as_ref(), ctx)?,
    }))
}

fn decide_merge_into(state: &State, merge: MergeInto, ctx: &Context) -> Result<Event, DomainError> {
    state.ensure_can_change_on(merge.effective_date)?;
    let successor_area_id = merge.successor_area_id.to_string();
    if successor_area_id == state.area_id {
        return Err(DomainError::invalid(
            "successor_area_id",
            "an area cannot merge into itself",
        ));
    }
    Ok(Event::MergedInto(pb::AreaMergedInto {
        area_id: state.area_id.clone(),
        successor_area_id,
        effective_date: Some(merge.effective_date.to_proto()),
        decision: Some(merge.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_absorb(state: &State, absorb: AbsorbAreas, ctx: &Context) -> Result<Event, DomainError> {
    state.ensure_can_change_on(absorb.effective_date)?;
    Ok(Event::AbsorbedAreas(pb::AreaAbsorbedAreas {
        area_id: state.area_id.clone(),
        absorbed_area_ids: facts::distinct_ids("absorbed_area_ids", &absorb.absorbed_area_ids, &state.area_id, 1)?,
        effective_date: Some(absorb.effective_date.to_proto()),
        decision: Some(absorb.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_split(state: &State, split: Split, ctx: &Context) -> Result<Event, DomainError> {
    state.ensure_can_change_on(split.effective_date)?;
    // An area divided up entirely becomes at least two; one part alone would be a rename.
    let parts_min = if split.original_ends { 2 } else { 1 };
    Ok(Event::Split(pb::AreaSplit {
        area_id: state.area_id.clone(),
        part_area_ids: facts::distinct_ids("part_area_ids", &split.part_area_ids, &state.area_id, parts_min)?,
        original_ends: split.original_ends,
        effective_date: Some(split.effective_date.to_proto()),
        decision: Some(split.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_reparent(state: &State, reparent: Reparent, ctx: &Context) -> Result<Event, DomainError> {
    state.ensure_can_change_on(reparent.effective_date)?;
    let new_parent_area_id = parent_id(
        &state.area_id,
        state.level,
        Some(&reparent.new_parent),
        reparent.effective_date,
    )?;
    if new_parent_area_id == state.parent_area_id {
        return Err(DomainError::invalid("new_parent", "is already the area's parent"));
    }
    Ok(Event::Reparented(pb::AreaReparented {
        area_id: state.area_id.clone(),
        new_parent_area_id,
        effective_date: Some(reparent.effective_date.to_proto()),
        decision: Some(reparent.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_dissolve(state: &State, dissolve: Dissolve, ctx: &Context) -> Result<Event, DomainError> {
    state.ensure_can_change_on(dissolve.effective_date)?;
    Ok(Event::Dissolved(pb::AreaDissolved {
        area_id: state.area_id.clone(),
        reason: text::required_text("reason", &dissolve.reason)?,
        effective_date: Some(dissolve.effective_date.to_proto()),
        decision: Some(dissolve.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_population(state: &State, record: RecordPopulation) -> Result<Event, DomainError> {
    state.ensure_existed_on(record.effective_date)?;
    if record.households > record.population {
        return Err(DomainError::invalid("households", "cannot exceed the population"));
    }
    Ok(Event::PopulationRecorded(pb::AreaPopulationRecorded {
        area_id: state.area_id.clone(),
        households: record.households,
        population: record.population,
        effective_date: Some(record.effective_date.to_proto()),
        source: text::optional_name("source", &record.source)?,
    }))
}

fn decide_designate(state: &State, designate: DesignateKeyComplexArea, ctx: &Context) -> Result<Event, DomainError> {
    state.ensure_existed_on(designate.effective_date)?;
    if state.open_key_complex_period().is_some() {
        return Err(DomainError::AlreadyKeyComplexArea);
    }
    Ok(Event::KeyComplexAreaDesignated(pb::KeyComplexAreaDesignated {
        area_id: state.area_id.clone(),
        reason: text::required_text("reason", &designate.reason)?,
        effective_date: Some(designate.effective_date.to_proto()),
        decision: facts::optional_decision("decision", designate.decision.as_ref(), ctx)?,
    }))
}

fn decide_transformation(state: &State, record: RecordTransformation, ctx: &Context) -> Result<Event, DomainError> {
    state.ensure_existed_on(record.effective_date)?;
    let period = state.open_key_complex_period().ok_or(DomainError::NotKeyComplexArea)?;
    facts::ensure_since(
        "the key complex area designation",
        record.effective_date,
        period.designated_on,
    )?;
    Ok(Event::KeyComplexAreaTransformed(pb::KeyComplexAreaTransformed {
        area_id: state.area_id.clone(),
        effective_date: Some(record.effective_date.to_proto()),
        decision: facts::optional_decision("decision", record.decision.as_ref(), ctx)?,
    }))
}

/// The area after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Registered(e) => {
            state.area_id = e.area_id.clone();
            state.registered_on = Some(on);
            state.level = e.level();
            state.name = e.name.clone();
            state.division_type = e.division_type.clone();
            state.parent_area_id = e.parent_area_id.clone();
            if !e.official_code.is_empty() {
                add_code(&mut state, &e.official_code, on);
            }
        }
        Event::Renamed(e) => {
            state.name = e.new_name.clone();
            if !e.new_division_type.is_empty() {
                state.division_type = e.new_division_type.clone();
            }
        }
        Event::CodeAssigned(e) => add_code(&mut state, &e.official_code, on),
        Event::MergedInto(e) => {
            let successor_area_id = e.successor_area_id.clone();
            state.ending = Some(Ending {
                on,
                how: EndKind::MergedInto { successor_area_id },
            });
        }
        Event::Split(e) if e.original_ends => {
            let part_area_ids = e.part_area_ids.clone();
            state.ending = Some(Ending {
                on,
                how: EndKind::Split { part_area_ids },
            });
        }
        Event::Dissolved(_) => {
            state.ending = Some(Ending {
                on,
                how: EndKind::Dissolved,
            })
        }
        Event::Reparented(e) => state.parent_area_id = e.new_parent_area_id.clone(),
        Event::PopulationRecorded(e) => add_population(&mut state, on, e),
        Event::KeyComplexAreaDesignated(_) => state.key_complex_periods.push(KeyComplexPeriod {
            designated_on: on,
            transformed_on: None,
        }),
        Event::KeyComplexAreaTransformed(_) => {
            if let Some(period) = state.key_complex_periods.last_mut() {
                period.transformed_on.get_or_insert(on);
            }
        }
        // A partial split and absorbing other areas change nothing this state tracks:
        // the area continues, and the other areas' streams hold their side.
        Event::Split(_) | Event::AbsorbedAreas(_) => {}
    }
    state
}

fn add_code(state: &mut State, code: &str, from: Date) {
    state.codes.push(CodePeriod {
        code: code.to_owned(),
        from,
    });
    // Stable sort: two codes from the same day keep their recording order, last wins.
    state.codes.sort_by_key(|period| period.from);
}

fn add_population(state: &mut State, as_of: Date, event: &pb::AreaPopulationRecorded) {
    // A later figure for the same date replaces the earlier one.
    state.population.retain(|figure| figure.as_of != as_of);
    state.population.push(PopulationFigure {
        as_of,
        households: event.households,
        population: event.population,
    });
    state.population.sort_by_key(|figure| figure.as_of);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, decision, id};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Area>(given, when)
    }

    fn register_commune(n: u128, code: &str) -> Command {
        Command::Register(Register {
            area_id: id(n),
            official_code: Some(code.to_owned()),
            name: "Xã Nga Thái".to_owned(),
            level: pb::AreaLevel::Commune,
            division_type: "xã".to_owned(),
            parent: Some(area_facts(401, pb::AreaLevel::District)),
            formed_from: vec![],
            effective_date: date(2008, 1, 1),
            decision: None,
        })
    }

    fn registered_commune() -> Vec<Event> {
        check(vec![], register_commune(1, "15970")).unwrap()
    }

    fn merge_into(successor: u128, on: Date) -> Command {
        Command::MergeInto(MergeInto {
            successor_area_id: id(successor),
            effective_date: on,
            decision: decision("786/NQ-UBTVQH14", date(2019, 10, 16)),
        })
    }

    #[test]
    fn registers_a_commune_under_its_district() {
        let events = registered_commune();
        let Event::Registered(registered) = &events[0] else {
            panic!("expected AreaRegistered, got {events:?}");
        };
        assert_eq!(registered.parent_area_id, id(401).to_string());
        assert_eq!(registered.level(), pb::AreaLevel::Commune);
    }

    #[test]
    fn names_are_stored_nfc_normalised() {
        let Command::Register(mut register) = register_commune(1, "15970") else {
            unreachable!()
        };
        register.name = "Xã Nga Thie\u{0302}\u{0323}n".to_owned();
        let events = check(vec![], Command::Register(register)).unwrap();
        let Event::Registered(registered) = &events[0] else {
            unreachable!()
        };
        assert_eq!(registered.name, "Xã Nga Thiện");
    }

    #[test]
    fn a_commune_needs_a_parent_above_it() {
        let Command::Register(mut register) = register_commune(1, "15970") else {
            unreachable!()
        };
        register.parent = Some(area_facts(2, pb::AreaLevel::ResidentialArea));
        assert_eq!(
            check(vec![], Command::Register(register.clone())),
            Err(DomainError::ParentLevelNotAbove {
                child: "commune (xã)",
                parent: "residential area (khu dân cư)"
            })
        );
        register.parent = None;
        assert_eq!(
            check(vec![], Command::Register(register)),
            Err(DomainError::ParentRequired { level: "commune (xã)" })
        );
    }

    #[test]
    fn nothing_is_effective_before_the_parent_existed() {
        let Command::Register(mut register) = register_commune(1, "15970") else {
            unreachable!()
        };
        register.effective_date = date(2007, 12, 31);
        assert!(matches!(
            check(vec![], Command::Register(register)),
            Err(DomainError::BeforeExistence { what: "the area", .. })
        ));
    }

    #[test]
    fn nothing_is_effective_after_the_recording_date() {
        let Command::Register(mut register) = register_commune(1, "15970") else {
            unreachable!()
        };
        register.effective_date = date(2025, 1, 1);
        assert_eq!(
            check(vec![], Command::Register(register)),
            Err(DomainError::EffectiveDateInFuture {
                effective: date(2025, 1, 1),
                recorded: date(2024, 12, 31)
            })
        );
    }

    #[test]
    fn an_area_is_registered_once() {
        assert_eq!(
            check(registered_commune(), register_commune(1, "15970")),
            Err(DomainError::AlreadyRecorded { what: "the area" })
        );
    }

    #[test]
    fn a_merged_area_is_ended_but_its_history_stays_answerable() {
        let mut given = registered_commune();
        given.extend(check(given.clone(), merge_into(2, date(2020, 1, 1))).unwrap());
        let state = crate::replay::<Area>(&given);
        assert_eq!(
            state.ending,
            Some(Ending {
                on: date(2020, 1, 1),
                how: EndKind::MergedInto {
                    successor_area_id: id(2).to_string()
                }
            })
        );
        assert_eq!(state.code_on(date(2019, 6, 1)), Some("15970"));
        assert_eq!(state.facts().and_then(|facts| facts.ended_on), Some(date(2020, 1, 1)));
        let rename = Command::Rename(Rename {
            new_name: "Xã Nga Thái mới".to_owned(),
            new_division_type: String::new(),
            effective_date: date(2021, 1, 1),
            decision: decision("1/NQ", date(2021, 1, 1)),
        });
        assert_eq!(
            check(given.clone(), rename),
            Err(DomainError::AreaEnded {
                ended_on: date(2020, 1, 1)
            })
        );
        // Facts from before the merger can still be recorded late.
        let population = Command::RecordPopulation(RecordPopulation {
            households: 1_200,
            population: 4_800,
            source: "Báo cáo số 55/BC-BCĐ".to_owned(),
            effective_date: date(2018, 6, 12),
        });
        assert!(check(given.clone(), population).is_ok());
        let late_population = Command::RecordPopulation(RecordPopulation {
            households: 1,
            population: 1,
            source: String::new(),
            effective_date: date(2020, 6, 1),
        });
        assert!(matches!(
            check(given, late_population),
            Err(DomainError::AfterEnd { what: "the area", .. })
        ));
    }

    #[test]
    fn a_code_belongs_to_an_area_for_a_period() {
        let mut given = registered_commune();
        let assign = Command::AssignCode(AssignCode {
            official_code: "00004".to_owned(),
            effective_date: date(2024, 7, 1),
            decision: None,
        });
        given.extend(check(given.clone(), assign).unwrap());
        let state = crate::replay::<Area>(&given);
        assert_eq!(state.code_on(date(2024, 6, 30)), Some("15970"));
        assert_eq!(state.code_on(date(2024, 7, 1)), Some("00004"));
        assert_eq!(state.code_on(date(2007, 1, 1)), None);
    }

    #[test]
    fn communes_are_reparented_to_the_province_when_districts_end() {
        let reparent = Command::Reparent(Reparent {
            new_parent: area_facts(38, pb::AreaLevel::Province),
            effective_date: date(2024, 7, 1),
            decision: decision("1686/NQ-UBTVQH15", date(2024, 6, 16)),
        });
        let events = check(registered_commune(), reparent).unwrap();
        let state = crate::replay::<Area>(registered_commune().iter().chain(&events));
        assert_eq!(state.parent_area_id, id(38).to_string());
    }

    #[test]
    fn a_split_that_ends_the_area_needs_two_parts() {
        let split = |parts: Vec<Uuid>| {
            Command::Split(Split {
                part_area_ids: parts,
                original_ends: true,
                effective_date: date(2019, 1, 1),
                decision: decision("786/NQ-UBTVQH14", date(2019, 10, 16)),
            })
        };
        assert_eq!(
            check(registered_commune(), split(vec![id(5)])).unwrap_err().field(),
            Some("part_area_ids")
        );
        let events = check(registered_commune(), split(vec![id(5), id(6)])).unwrap();
        let state = crate::replay::<Area>(registered_commune().iter().chain(&events));
        assert!(matches!(
            state.ending,
            Some(Ending {
                how: EndKind::Split { .. },
                ..
            })
        ));
    }

    #[test]
    fn a_key_complex_area_is_designated_then_transformed() {
        let designate = Command::DesignateKeyComplexArea(DesignateKeyComplexArea {
            reason: "tệ nạn ma tuý".to_owned(),
            effective_date: date(2012, 3, 1),
            decision: None,
        });
        let transform = |on: Date| {
            Command::RecordTransformation(RecordTransformation {
                effective_date: on,
                decision: None,
            })
        };
        assert_eq!(
            check(registered_commune(), transform(date(2015, 1, 1))),
            Err(DomainError::NotKeyComplexArea)
        );
        let mut given = registered_commune();
        given.extend(check(given.clone(), designate.clone()).unwrap());
        assert_eq!(check(given.clone(), designate), Err(DomainError::AlreadyKeyComplexArea));
        // On 2011-01-01 the area was not designated yet.
        assert!(matches!(
            check(given.clone(), transform(date(2011, 1, 1))),
            Err(DomainError::NotKeyComplexArea)
        ));
        given.extend(check(given.clone(), transform(date(2015, 1, 1))).unwrap());
        let state = crate::replay::<Area>(&given);
        assert!(state.is_key_complex_on(date(2014, 12, 31)));
        assert!(!state.is_key_complex_on(date(2015, 1, 1)));
    }

    #[test]
    fn households_cannot_exceed_population() {
        let record = Command::RecordPopulation(RecordPopulation {
            households: 10,
            population: 9,
            source: String::new(),
            effective_date: date(2010, 1, 1),
        });
        assert_eq!(
            check(registered_commune(), record).unwrap_err().field(),
            Some("households")
        );
    }

    #[test]
    fn an_unregistered_area_cannot_change() {
        assert_eq!(
            check(vec![], merge_into(2, date(2020, 1, 1))),
            Err(DomainError::NotRecorded { what: "the area" })
        );
    }
}
