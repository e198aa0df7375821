//! Administrative areas (địa bàn): one stream per area.
//!
//! An area's identity is its own id, not its official code: GSO codes are reused across
//! the 2025 reform, so a code belongs to an area for a period. An area is never edited in
//! place; it is registered, renamed, given a new code, merged, split, re-parented or
//! dissolved by events. A merged, split or dissolved area is *ended*, not deleted: its
//! events stay and every question about its past stays answerable.
//!
//! Everything about an area is dated inside its life: on or after its registration and,
//! once it ended, before its end. Facts (population, key complex designation) and
//! changes of the area itself (rename, new code, re-parenting) may be typed in late, even
//! after the area ended, as long as they are dated before the end.
//!
//! Every rule holds in valid time ([`crate::timeline`]): the name, parent, codes and
//! periods an area had on a date come from the facts effective by then, whatever order
//! they were typed in, and an end (merger, split, dissolution) dated before a change
//! already recorded is refused, naming the change's date. [`check`] holds the rules.

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
    RecordKeyComplexPeriod(RecordKeyComplexPeriod),
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

/// A past period as a key complex area typed in whole: designated, then transformed.
/// Backdating a period that ended needs both facts at once: a designation alone would
/// overlap a designation already recorded for a later date, and a transformation alone
/// would have nothing to transform.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordKeyComplexPeriod {
    pub designation: DesignateKeyComplexArea,
    /// Dated after the designation.
    pub transformation: RecordTransformation,
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
            division_type: self.division_type.clone(),
        })
    }

    /// The area this one belongs to; None for a province, or until registered.
    pub fn parent_id(&self) -> Option<Uuid> {
        Uuid::parse_str(&self.parent_area_id).ok()
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

/// Checks `command` against the area as it stood on the command's effective date: the
/// command is read into its event, then the event is judged by [`check`], the rules that
/// also judge every later record again (see [`crate::timeline`]).
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let transformation = match &command {
        Command::RecordKeyComplexPeriod(period) => Some(period.transformation.clone()),
        _ => None,
    };
    let event = build_event(state, command, ctx)?;
    check(state, &event)?;
    let Some(transformation) = transformation else {
        return Ok(vec![event]);
    };
    let transformed = period_end_event(state, &event, transformation, ctx)?;
    Ok(vec![event, transformed])
}

/// The transformation that closes a period typed in whole; the timeline judges it on its
/// date, with whatever is recorded between the two.
fn period_end_event(
    state: &State,
    designated: &Event,
    transformation: RecordTransformation,
    ctx: &Context,
) -> Result<Event, DomainError> {
    let designated_on = crate::codec::DomainEvent::effective_date(designated);
    if transformation.effective_date <= designated_on {
        return Err(DomainError::invalid(
            "transformation.effective_date",
            "a period as a key complex area ends after it starts",
        ));
    }
    facts::ensure_not_after_recording(transformation.effective_date, ctx)?;
    decide_transformation(state, transformation, ctx)
}

/// The event a command asks for, with its own fields checked; the rules that depend on
/// the area's state are [`check`]'s.
fn build_event(state: &State, command: Command, ctx: &Context) -> Result<Event, DomainError> {
    Ok(match command {
        Command::Register(register) => decide_register(register, ctx)?,
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
        // Its designation; `decide` adds the transformation.
        Command::RecordKeyComplexPeriod(period) => decide_designate(state, period.designation, ctx)?,
    })
}

/// Whether `event` holds on `state`, the area as it stood just before the event took
/// effect: the rules of every command that depend on the area's state.
///
/// - Changes of the area itself (rename, code, merge, absorb, split, re-parent,
///   dissolve) need an area registered by then and not yet ended: so an end dated
///   before a recorded change is refused, naming the change's date.
/// - Facts about the area's life (population, key complex designation and
///   transformation) need the area to exist on their date, ended later or not.
/// - One key complex period at a time: a designation needs none open, a
///   transformation an open one designated no later.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Registered(_) => facts::ensure_not_recorded("the area", state.registered_on),
        Event::Renamed(_)
        | Event::CodeAssigned(_)
        | Event::MergedInto(_)
        | Event::AbsorbedAreas(_)
        | Event::Split(_)
        | Event::Reparented(_)
        | Event::Dissolved(_) => state.ensure_can_change_on(on),
        Event::PopulationRecorded(_) => state.ensure_existed_on(on),
        Event::KeyComplexAreaDesignated(_) => {
            state.ensure_existed_on(on)?;
            match state.open_key_complex_period() {
                Some(_) => Err(DomainError::AlreadyKeyComplexArea),
                None => Ok(()),
            }
        }
        Event::KeyComplexAreaTransformed(_) => {
            state.ensure_existed_on(on)?;
            let period = state.open_key_complex_period().ok_or(DomainError::NotKeyComplexArea)?;
            facts::ensure_since("the key complex area designation", on, period.designated_on)
        }
    }
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
        Command::RecordKeyComplexPeriod(c) => c.designation.effective_date,
    }
}

fn decide_register(register: Register, ctx: &Context) -> Result<Event, DomainError> {
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
    Ok(Event::Renamed(pb::AreaRenamed {
        area_id: state.area_id.clone(),
        new_name: text::required_name("new_name", &rename.new_name)?,
        new_division_type: text::optional_name("new_division_type", &rename.new_division_type)?,
        effective_date: Some(rename.effective_date.to_proto()),
        decision: Some(rename.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_assign_code(state: &State, assign: AssignCode, ctx: &Context) -> Result<Event, DomainError> {
    Ok(Event::CodeAssigned(pb::AreaCodeAssigned {
        area_id: state.area_id.clone(),
        official_code: text::code("official_code", &assign.official_code)?,
        effective_date: Some(assign.effective_date.to_proto()),
        decision: facts::optional_decision("decision", assign.decision.as_ref(), ctx)?,
    }))
}

fn decide_merge_into(state: &State, merge: MergeInto, ctx: &Context) -> Result<Event, DomainError> {
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
    Ok(Event::AbsorbedAreas(pb::AreaAbsorbedAreas {
        area_id: state.area_id.clone(),
        absorbed_area_ids: facts::distinct_ids("absorbed_area_ids", &absorb.absorbed_area_ids, &state.area_id, 1)?,
        effective_date: Some(absorb.effective_date.to_proto()),
        decision: Some(absorb.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_split(state: &State, split: Split, ctx: &Context) -> Result<Event, DomainError> {
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
    // The level the parent must be above is the registration's, which never changes.
    facts::ensure_recorded("the area", state.registered_on)?;
    let new_parent_area_id = parent_id(
        &state.area_id,
        state.level,
        Some(&reparent.new_parent),
        reparent.effective_date,
    )?;
    // A typing guard on the command's own date, not a rule `check` judges again: a
    // re-parenting recorded for a later date that a backdated one makes redundant (it
    // "moves" the area to the parent it has by then) still says something true. Judged
    // again, it would make some histories impossible to type in but in date order: to B
    // in 2010, to A in 2012, to B in 2014, with 2014 typed in first.
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
    Ok(Event::Dissolved(pb::AreaDissolved {
        area_id: state.area_id.clone(),
        reason: text::required_text("reason", &dissolve.reason)?,
        effective_date: Some(dissolve.effective_date.to_proto()),
        decision: Some(dissolve.decision.to_proto("decision", ctx)?),
    }))
}

fn decide_population(state: &State, record: RecordPopulation) -> Result<Event, DomainError> {
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
    Ok(Event::KeyComplexAreaDesignated(pb::KeyComplexAreaDesignated {
        area_id: state.area_id.clone(),
        reason: text::required_text("reason", &designate.reason)?,
        effective_date: Some(designate.effective_date.to_proto()),
        decision: facts::optional_decision("decision", designate.decision.as_ref(), ctx)?,
    }))
}

fn decide_transformation(state: &State, record: RecordTransformation, ctx: &Context) -> Result<Event, DomainError> {
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

    /// Applies `commands` in this recording order, failing the test on a refusal.
    fn history(given: Vec<Event>, commands: Vec<Command>) -> Vec<Event> {
        commands.into_iter().fold(given, |mut events, command| {
            let decided = check(events.clone(), command).unwrap();
            events.extend(decided);
            events
        })
    }

    fn timeline(events: &[Event]) -> crate::Timeline<Area> {
        crate::timeline_of::<Area>(events)
    }

    fn rename(name: &str, division_type: &str, on: Date) -> Command {
        Command::Rename(Rename {
            new_name: name.to_owned(),
            new_division_type: division_type.to_owned(),
            effective_date: on,
            decision: decision("1/NQ-HĐND", on),
        })
    }

    fn dissolve(on: Date) -> Command {
        Command::Dissolve(Dissolve {
            reason: "sáp nhập địa giới".to_owned(),
            effective_date: on,
            decision: decision("9/NQ-HĐND", on),
        })
    }

    fn reparent(parent: u128, level: pb::AreaLevel, on: Date) -> Command {
        Command::Reparent(Reparent {
            new_parent: area_facts(parent, level),
            effective_date: on,
            decision: decision("1686/NQ-UBTVQH15", on),
        })
    }

    fn assign_code(code: &str, on: Date) -> Command {
        Command::AssignCode(AssignCode {
            official_code: code.to_owned(),
            effective_date: on,
            decision: None,
        })
    }

    fn population(households: u32, population: u32, on: Date) -> Command {
        Command::RecordPopulation(RecordPopulation {
            households,
            population,
            source: "Báo cáo số 55/BC-BCĐ".to_owned(),
            effective_date: on,
        })
    }

    fn designation(on: Date) -> DesignateKeyComplexArea {
        DesignateKeyComplexArea {
            reason: "tệ nạn ma tuý".to_owned(),
            effective_date: on,
            decision: None,
        }
    }

    fn transformation(on: Date) -> RecordTransformation {
        RecordTransformation {
            effective_date: on,
            decision: None,
        }
    }

    fn designate(on: Date) -> Command {
        Command::DesignateKeyComplexArea(designation(on))
    }

    fn transform(on: Date) -> Command {
        Command::RecordTransformation(transformation(on))
    }

    fn key_complex_period(from: Date, to: Date) -> Command {
        Command::RecordKeyComplexPeriod(RecordKeyComplexPeriod {
            designation: designation(from),
            transformation: transformation(to),
        })
    }

    /// The refusal of a command that holds on its own date but not with `later`, the
    /// already recorded fact dated `on`.
    fn contradicts(on: Date, later: DomainError) -> DomainError {
        DomainError::ContradictsLaterRecord {
            on,
            rule: Box::new(later),
        }
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

    #[test]
    fn the_name_on_a_date_is_the_latest_rename_effective_by_then() {
        // The 2015 rename is typed in after the 2020 one: it names the area from 2015 to
        // 2020 and does not hide the later name.
        let given = history(
            registered_commune(),
            vec![
                rename("Phường Nga Thái", "phường", date(2020, 1, 1)),
                rename("Xã Nga Thái Mới", "", date(2015, 1, 1)),
            ],
        );
        let timeline = timeline(&given);
        let now = timeline.state();
        assert_eq!(
            (now.name.as_str(), now.division_type.as_str()),
            ("Phường Nga Thái", "phường")
        );
        let in_2016 = timeline.state_as_of(date(2016, 1, 1));
        assert_eq!(
            (in_2016.name.as_str(), in_2016.division_type.as_str()),
            ("Xã Nga Thái Mới", "xã")
        );
        assert_eq!(timeline.state_as_of(date(2014, 12, 31)).name, "Xã Nga Thái");
    }

    #[test]
    fn a_backdated_end_is_refused_when_a_change_is_recorded_after_it() {
        let given = history(
            registered_commune(),
            vec![rename("Phường Nga Thái", "phường", date(2020, 1, 1))],
        );
        let ended_2018 = DomainError::AreaEnded {
            ended_on: date(2018, 1, 1),
        };
        assert_eq!(
            check(given.clone(), dissolve(date(2018, 1, 1))),
            Err(contradicts(date(2020, 1, 1), ended_2018.clone()))
        );
        assert_eq!(
            check(given.clone(), merge_into(2, date(2018, 1, 1))),
            Err(contradicts(date(2020, 1, 1), ended_2018.clone()))
        );
        let split = Command::Split(Split {
            part_area_ids: vec![id(5), id(6)],
            original_ends: true,
            effective_date: date(2018, 1, 1),
            decision: decision("786/NQ-UBTVQH14", date(2018, 1, 1)),
        });
        assert_eq!(
            check(given.clone(), split),
            Err(contradicts(date(2020, 1, 1), ended_2018))
        );
        // The message names the date from which the records disagree, for the clerk.
        let refusal = check(given.clone(), dissolve(date(2018, 1, 1))).unwrap_err();
        assert!(refusal.to_string().contains("01/01/2020"), "{refusal}");
        // An end after the last change holds, and a change after it is refused.
        let ended = history(given, vec![dissolve(date(2021, 1, 1))]);
        assert_eq!(
            check(ended, rename("Xã Nga Thái", "xã", date(2022, 1, 1))),
            Err(DomainError::AreaEnded {
                ended_on: date(2021, 1, 1)
            })
        );
    }

    #[test]
    fn a_backdated_end_is_refused_when_a_fact_is_recorded_after_it() {
        let given = history(
            registered_commune(),
            vec![population(1_200, 4_800, date(2019, 6, 1)), designate(date(2019, 9, 1))],
        );
        assert_eq!(
            check(given.clone(), merge_into(2, date(2019, 1, 1))),
            Err(contradicts(
                date(2019, 6, 1),
                DomainError::AfterEnd {
                    what: "the area",
                    effective: date(2019, 6, 1),
                    ended_on: date(2019, 1, 1)
                }
            ))
        );
        assert_eq!(
            check(given.clone(), merge_into(2, date(2019, 7, 1))),
            Err(contradicts(
                date(2019, 9, 1),
                DomainError::AfterEnd {
                    what: "the area",
                    effective: date(2019, 9, 1),
                    ended_on: date(2019, 7, 1)
                }
            ))
        );
        assert!(check(given, merge_into(2, date(2020, 1, 1))).is_ok());
    }

    #[test]
    fn an_area_ends_once() {
        let given = history(registered_commune(), vec![dissolve(date(2020, 1, 1))]);
        assert_eq!(
            check(given.clone(), merge_into(2, date(2018, 1, 1))),
            Err(contradicts(
                date(2020, 1, 1),
                DomainError::AreaEnded {
                    ended_on: date(2018, 1, 1)
                }
            ))
        );
        assert_eq!(
            check(given, merge_into(2, date(2021, 1, 1))),
            Err(DomainError::AreaEnded {
                ended_on: date(2020, 1, 1)
            })
        );
    }

    #[test]
    fn a_change_dated_before_the_end_may_be_typed_in_after_it() {
        // A merged commune's history is typed in years later: the rename of 2019 holds.
        let given = history(
            registered_commune(),
            vec![
                merge_into(2, date(2020, 1, 1)),
                rename("Xã Nga Thái Mới", "", date(2019, 1, 1)),
                assign_code("15971", date(2019, 6, 1)),
            ],
        );
        let state = timeline(&given).state();
        assert_eq!(state.name, "Xã Nga Thái Mới");
        assert_eq!(state.code_on(date(2019, 12, 31)), Some("15971"));
        assert_eq!(state.ending.map(|ending| ending.on), Some(date(2020, 1, 1)));
        // On the day it ended, it no longer changes.
        assert_eq!(
            check(given, rename("Xã Nga Thái", "", date(2020, 1, 1))),
            Err(DomainError::AreaEnded {
                ended_on: date(2020, 1, 1)
            })
        );
    }

    #[test]
    fn nothing_is_dated_before_the_area_existed() {
        let before = DomainError::BeforeExistence {
            what: "the area",
            effective: date(2007, 6, 1),
            since: date(2008, 1, 1),
        };
        assert_eq!(
            check(registered_commune(), rename("Xã Nga Thái", "", date(2007, 6, 1))),
            Err(before.clone())
        );
        assert_eq!(
            check(registered_commune(), population(1, 1, date(2007, 6, 1))),
            Err(before.clone())
        );
        assert_eq!(check(registered_commune(), designate(date(2007, 6, 1))), Err(before));
    }

    #[test]
    fn the_parent_on_a_date_is_the_latest_reparenting_effective_by_then() {
        let given = history(
            registered_commune(),
            vec![
                reparent(38, pb::AreaLevel::Province, date(2024, 7, 1)),
                reparent(402, pb::AreaLevel::District, date(2015, 1, 1)),
            ],
        );
        let timeline = timeline(&given);
        assert_eq!(timeline.state().parent_area_id, id(38).to_string());
        assert_eq!(
            timeline.state_as_of(date(2016, 1, 1)).parent_area_id,
            id(402).to_string()
        );
        assert_eq!(
            timeline.state_as_of(date(2014, 1, 1)).parent_area_id,
            id(401).to_string()
        );
        // The guard against a re-parenting to the parent it already has is judged on the
        // command's date only.
        assert_eq!(
            check(given.clone(), reparent(401, pb::AreaLevel::District, date(2010, 1, 1)))
                .unwrap_err()
                .field(),
            Some("new_parent")
        );
        // A backdated re-parenting that makes the recorded 2024 one redundant is still
        // true, and so is the 2024 one: both stay.
        let given = history(given, vec![reparent(38, pb::AreaLevel::Province, date(2020, 1, 1))]);
        let timeline = self::timeline(&given);
        assert_eq!(
            timeline.state_as_of(date(2021, 1, 1)).parent_area_id,
            id(38).to_string()
        );
        assert_eq!(timeline.state().parent_area_id, id(38).to_string());
    }

    #[test]
    fn codes_and_population_figures_typed_in_late_take_their_own_dates() {
        let given = history(
            registered_commune(),
            vec![
                assign_code("00004", date(2024, 7, 1)),
                assign_code("15971", date(2015, 1, 1)),
                population(1_300, 5_000, date(2020, 1, 1)),
                population(1_100, 4_500, date(2015, 1, 1)),
            ],
        );
        let state = timeline(&given).state();
        assert_eq!(state.code_on(date(2014, 12, 31)), Some("15970"));
        assert_eq!(state.code_on(date(2016, 1, 1)), Some("15971"));
        assert_eq!(state.code_on(date(2024, 7, 1)), Some("00004"));
        assert_eq!(
            state.population_on(date(2016, 1, 1)).map(|figure| figure.population),
            Some(4_500)
        );
        assert_eq!(
            state.population_on(date(2021, 1, 1)).map(|figure| figure.population),
            Some(5_000)
        );
        assert_eq!(state.population_on(date(2014, 1, 1)), None);
    }

    #[test]
    fn a_backdated_designation_cannot_overlap_one_recorded_for_later() {
        let given = history(registered_commune(), vec![designate(date(2014, 1, 1))]);
        assert_eq!(
            check(given.clone(), designate(date(2010, 1, 1))),
            Err(contradicts(date(2014, 1, 1), DomainError::AlreadyKeyComplexArea))
        );
        // A period that ends after the recorded designation overlaps it too.
        assert_eq!(
            check(given.clone(), key_complex_period(date(2010, 1, 1), date(2015, 1, 1))),
            Err(contradicts(date(2014, 1, 1), DomainError::AlreadyKeyComplexArea))
        );
        // The whole earlier period, typed in at once, holds.
        let given = history(given, vec![key_complex_period(date(2010, 1, 1), date(2012, 1, 1))]);
        let timeline = timeline(&given);
        let state = timeline.state();
        assert!(!state.is_key_complex_on(date(2009, 12, 31)));
        assert!(state.is_key_complex_on(date(2011, 1, 1)));
        assert!(!state.is_key_complex_on(date(2013, 1, 1)));
        assert!(state.is_key_complex_on(date(2015, 1, 1)));
        assert!(!timeline
            .state_as_of(date(2013, 1, 1))
            .is_key_complex_on(date(2013, 1, 1)));
        assert!(timeline
            .state_as_of(date(2011, 1, 1))
            .is_key_complex_on(date(2011, 1, 1)));
    }

    #[test]
    fn a_backdated_transformation_cannot_leave_a_recorded_one_nothing_to_transform() {
        let given = history(
            registered_commune(),
            vec![designate(date(2010, 1, 1)), transform(date(2016, 1, 1))],
        );
        assert_eq!(
            check(given.clone(), transform(date(2012, 1, 1))),
            Err(contradicts(date(2016, 1, 1), DomainError::NotKeyComplexArea))
        );
        assert_eq!(
            check(given, transform(date(2009, 1, 1))),
            Err(DomainError::NotKeyComplexArea)
        );
    }

    #[test]
    fn a_key_complex_period_ends_after_it_starts_and_inside_the_area_life() {
        assert_eq!(
            check(
                registered_commune(),
                key_complex_period(date(2012, 1, 1), date(2012, 1, 1))
            )
            .unwrap_err()
            .field(),
            Some("transformation.effective_date")
        );
        assert!(matches!(
            check(
                registered_commune(),
                key_complex_period(date(2012, 1, 1), date(2025, 1, 1))
            ),
            Err(DomainError::EffectiveDateInFuture { .. })
        ));
        let merged = history(registered_commune(), vec![merge_into(2, date(2020, 1, 1))]);
        assert_eq!(
            check(merged, key_complex_period(date(2018, 1, 1), date(2021, 1, 1))),
            Err(DomainError::AfterEnd {
                what: "the area",
                effective: date(2021, 1, 1),
                ended_on: date(2020, 1, 1)
            })
        );
    }

    /// Random valid histories, typed in in any order.
    mod any_recording_order {
        use proptest::prelude::*;

        use super::*;
        use crate::testing::ctx;
        use crate::Timeline;

        /// One step of an area's life; [`commands`] turns steps into a valid history.
        #[derive(Clone, Debug)]
        enum Step {
            Rename(u8),
            Reparent(u8),
            AssignCode(u16),
            Population {
                households: u32,
                more_people: u32,
            },
            /// Designates the area if it is not a key complex area, else transforms it. A
            /// closed period is one command unless `separate` and no period follows.
            KeyComplex {
                separate: bool,
            },
        }

        #[derive(Clone, Copy, Debug)]
        enum End {
            Dissolve,
            Merge,
            Split,
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                2 => (0u8..4).prop_map(Step::Rename),
                2 => (0u8..4).prop_map(Step::Reparent),
                1 => (0u16..100).prop_map(Step::AssignCode),
                2 => (0u32..2_000, 0u32..2_000)
                    .prop_map(|(households, more_people)| Step::Population { households, more_people }),
                3 => any::<bool>().prop_map(|separate| Step::KeyComplex { separate }),
            ]
        }

        fn end() -> impl Strategy<Value = Option<End>> {
            proptest::option::of(prop_oneof![Just(End::Dissolve), Just(End::Merge), Just(End::Split)])
        }

        /// Step `index`'s date: a quarter apart, after the registration on 2008-01-01.
        fn day(index: usize) -> Date {
            let quarters = i64::try_from(index).unwrap() + 1;
            Date::from_days_since_unix_epoch(date(2008, 1, 1).days_since_unix_epoch() + 91 * quarters)
        }

        /// A key complex period being built: its designation's place and date.
        struct OpenPeriod {
            at: usize,
            from: Date,
        }

        /// The commands of a valid history, in date order (a period typed in whole is at
        /// its designation's date): the registration, a command per step (but none for
        /// the step that closes a period typed in whole), then the end.
        fn commands(steps: &[Step], end: Option<End>) -> Vec<Command> {
            let mut commands = vec![register_commune(1, "15970")];
            let mut parent = 401;
            let mut open: Option<OpenPeriod> = None;
            // Every key complex step after a transformation designates again.
            let designations_left = |from: usize| {
                steps[from..]
                    .iter()
                    .filter(|step| matches!(step, Step::KeyComplex { .. }))
                    .count()
            };
            for (index, step) in steps.iter().enumerate() {
                let on = day(index);
                match step {
                    Step::Rename(n) => commands.push(rename(&format!("Xã Nga Thái {n}"), "", on)),
                    Step::Reparent(n) => {
                        let mut new_parent = 401 + u128::from(*n);
                        if new_parent == parent {
                            new_parent = 401 + (new_parent - 400) % 4;
                        }
                        parent = new_parent;
                        commands.push(reparent(new_parent, pb::AreaLevel::District, on));
                    }
                    Step::AssignCode(code) => commands.push(assign_code(&format!("{:05}", 15_000 + code), on)),
                    Step::Population {
                        households,
                        more_people,
                    } => commands.push(population(*households, households + more_people, on)),
                    Step::KeyComplex { separate } => match open.take() {
                        None => {
                            open = Some(OpenPeriod {
                                at: commands.len(),
                                from: on,
                            });
                            commands.push(designate(on));
                        }
                        // A period followed by another can only be typed in whole, in
                        // whatever order (see RecordKeyComplexPeriod).
                        Some(period) if !separate || designations_left(index + 1) > 0 => {
                            commands[period.at] = key_complex_period(period.from, on);
                        }
                        Some(_) => commands.push(transform(on)),
                    },
                }
            }
            let on = day(steps.len());
            commands.extend(end.map(|end| match end {
                End::Dissolve => dissolve(on),
                End::Merge => merge_into(2, on),
                End::Split => Command::Split(Split {
                    part_area_ids: vec![id(5), id(6)],
                    original_ends: true,
                    effective_date: on,
                    decision: decision("786/NQ-UBTVQH14", on),
                }),
            }));
            commands
        }

        fn scenario() -> impl Strategy<Value = (Vec<Command>, Vec<usize>)> {
            (proptest::collection::vec(step(), 0..30), end()).prop_flat_map(|(steps, end)| {
                let commands = commands(&steps, end);
                let order: Vec<usize> = (0..commands.len()).collect();
                (Just(commands), Just(order).prop_shuffle())
            })
        }

        /// Decides `command` through `timeline` and records its events after the others.
        fn record(timeline: &mut Timeline<Area>, command: &Command) -> Result<(), DomainError> {
            let events = timeline.decide(command.clone(), &ctx())?;
            for event in events {
                let position = u64::try_from(timeline.entries().len()).unwrap();
                timeline.push(position, event);
            }
            Ok(())
        }

        /// Records the commands in `order`, retrying each refused one after the others
        /// until a round accepts none; the timeline and the commands never accepted.
        fn record_with_retries(commands: &[Command], order: &[usize]) -> (Timeline<Area>, Vec<usize>) {
            let mut timeline = Timeline::new();
            let mut pending = order.to_vec();
            loop {
                let before = pending.len();
                pending.retain(|&index| record(&mut timeline, &commands[index]).is_err());
                if pending.is_empty() || pending.len() == before {
                    return (timeline, pending);
                }
            }
        }

        /// The dates at which two timelines of one area could differ.
        fn dates_to_compare(timeline: &Timeline<Area>) -> Vec<Date> {
            let mut dates = vec![Date::MIN, Date::MAX];
            for entry in timeline.entries() {
                dates.extend([entry.effective.previous_day(), entry.effective]);
            }
            dates
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Goal: the recording order of an area's facts changes nothing, and a clerk
            /// typing a valid history in any order gets it all in by retrying what was
            /// refused. Method: a valid history decided in date order is the oracle; the
            /// same commands in a random order, each refusal retried after the others,
            /// must all be accepted and give the oracle's state as of every date.
            #[test]
            fn any_recording_order_gives_the_same_area_on_every_date((commands, order) in scenario()) {
                let mut oracle = Timeline::new();
                for command in &commands {
                    prop_assert_eq!(record(&mut oracle, command), Ok(()), "oracle refused {:?}", command);
                }
                let (shuffled, never_accepted) = record_with_retries(&commands, &order);
                let refused: Vec<&Command> = never_accepted.iter().map(|&index| &commands[index]).collect();
                prop_assert!(refused.is_empty(), "never accepted: {:?}", refused);
                for on in dates_to_compare(&oracle) {
                    prop_assert_eq!(shuffled.state_as_of(on), oracle.state_as_of(on), "as of {}", on);
                }
            }
        }
    }
}
