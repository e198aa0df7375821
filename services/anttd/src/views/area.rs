//! The area as GetArea shows it: its state, with the history of its names, codes and
//! parents as periods, and the areas it was formed from, absorbed or split into.

use std::collections::BTreeMap;

use antt_domain::area::{self, Area, EndKind, State};
use antt_domain::timeline::Entry;
use antt_domain::{Aggregate, Date, DomainEvent};
use antt_proto::v1 as pb;

/// A name as given by a registration or a rename.
struct Name {
    name: String,
    division_type: String,
    decision: Option<pb::DecisionRef>,
}

/// An area's state with what the view shows beyond it.
#[derive(Default)]
pub(crate) struct AreaHistory {
    state: State,
    /// Names by the date they were given, in the order applied.
    names: Vec<(Date, Name)>,
    parents: Vec<(Date, String)>,
    formed_from: Vec<String>,
    absorbed: Vec<String>,
    parts: Vec<String>,
    population_sources: BTreeMap<Date, String>,
}

impl AreaHistory {
    /// The history folded from `entries`, an area's timeline up to some day: its name,
    /// parent and code are those of the latest change to take effect by then.
    pub(crate) fn of(entries: &[Entry<area::Event>]) -> Self {
        let mut history = AreaHistory::default();
        for entry in entries {
            history.apply(&entry.event);
        }
        history
    }

    fn apply(&mut self, event: &area::Event) {
        let on = event.effective_date();
        match event {
            area::Event::Registered(e) => {
                self.names.push((on, name(&e.name, &e.division_type, &e.decision)));
                self.parents.push((on, e.parent_area_id.clone()));
                self.formed_from.extend(e.formed_from_area_ids.iter().cloned());
            }
            area::Event::Renamed(e) => {
                // A rename that leaves the division type out keeps the one in force.
                let division_type = if e.new_division_type.is_empty() {
                    &self.state.division_type
                } else {
                    &e.new_division_type
                };
                self.names.push((on, name(&e.new_name, division_type, &e.decision)));
            }
            area::Event::Reparented(e) => self.parents.push((on, e.new_parent_area_id.clone())),
            area::Event::AbsorbedAreas(e) => self.absorbed.extend(e.absorbed_area_ids.iter().cloned()),
            area::Event::Split(e) => self.parts.extend(e.part_area_ids.iter().cloned()),
            area::Event::PopulationRecorded(e) => {
                self.population_sources.insert(on, e.source.clone());
            }
            _ => {}
        }
        self.state = Area::evolve(std::mem::take(&mut self.state), event);
    }

    /// Whether the area was registered: a stream without that is no area.
    pub(crate) fn is_registered(&self) -> bool {
        self.state.registered_on.is_some()
    }

    pub(crate) fn into_view(self, stream_id: String, stream_version: u64) -> pb::AreaView {
        let ended_on = self.state.ending.as_ref().map(|ending| ending.on);
        let (status, successor_area_id) = status(&self.state);
        let population = population(&self.state, &self.population_sources);
        let state = self.state;
        pb::AreaView {
            names: name_periods(self.names, ended_on),
            codes: code_periods(&state, ended_on),
            parents: parent_periods(self.parents, ended_on),
            // `codes` is sorted by date: its last code is the current (or last) one.
            official_code: state.codes.last().map(|period| period.code.clone()).unwrap_or_default(),
            key_complex_periods: key_complex_periods(&state),
            is_key_complex_area: state
                .key_complex_periods
                .last()
                .is_some_and(|period| period.transformed_on.is_none()),
            population,
            area_id: state.area_id,
            stream_id,
            stream_version,
            level: state.level.into(),
            name: state.name,
            division_type: state.division_type,
            parent_area_id: state.parent_area_id,
            registered_on: state.registered_on.map(Date::to_proto),
            status: status.into(),
            ended_on: ended_on.map(Date::to_proto),
            successor_area_id,
            part_area_ids: self.parts,
            formed_from_area_ids: self.formed_from,
            absorbed_area_ids: self.absorbed,
        }
    }
}

fn name(name: &str, division_type: &str, decision: &Option<pb::DecisionRef>) -> Name {
    Name {
        name: name.to_owned(),
        division_type: division_type.to_owned(),
        decision: decision.clone(),
    }
}

/// Whether the area still exists, and the area it was merged into if it was.
fn status(state: &State) -> (pb::AreaStatus, String) {
    match state.ending.as_ref().map(|ending| &ending.how) {
        None => (pb::AreaStatus::Active, String::new()),
        Some(EndKind::MergedInto { successor_area_id }) => (pb::AreaStatus::Merged, successor_area_id.clone()),
        Some(EndKind::Split { .. }) => (pb::AreaStatus::Split, String::new()),
        Some(EndKind::Dissolved) => (pb::AreaStatus::Dissolved, String::new()),
    }
}

fn name_periods(names: Vec<(Date, Name)>, ended_on: Option<Date>) -> Vec<pb::AreaNamePeriod> {
    periods(names, ended_on)
        .into_iter()
        .map(|(name, from, until)| pb::AreaNamePeriod {
            name: name.name,
            division_type: name.division_type,
            valid_from: Some(from.to_proto()),
            valid_until: until.map(Date::to_proto),
            decision: name.decision,
        })
        .collect()
}

fn code_periods(state: &State, ended_on: Option<Date>) -> Vec<pb::AreaCodePeriod> {
    let codes = state
        .codes
        .iter()
        .map(|period| (period.from, period.code.clone()))
        .collect();
    periods(codes, ended_on)
        .into_iter()
        .map(|(official_code, from, until)| pb::AreaCodePeriod {
            official_code,
            valid_from: Some(from.to_proto()),
            valid_until: until.map(Date::to_proto),
        })
        .collect()
}

fn parent_periods(parents: Vec<(Date, String)>, ended_on: Option<Date>) -> Vec<pb::AreaParentPeriod> {
    periods(parents, ended_on)
        .into_iter()
        .map(|(parent_area_id, from, until)| pb::AreaParentPeriod {
            parent_area_id,
            valid_from: Some(from.to_proto()),
            valid_until: until.map(Date::to_proto),
        })
        .collect()
}

fn population(state: &State, sources: &BTreeMap<Date, String>) -> Vec<pb::AreaPopulationFigure> {
    state
        .population
        .iter()
        .map(|figure| pb::AreaPopulationFigure {
            as_of: Some(figure.as_of.to_proto()),
            households: figure.households,
            population: figure.population,
            source: sources.get(&figure.as_of).cloned().unwrap_or_default(),
        })
        .collect()
}

fn key_complex_periods(state: &State) -> Vec<pb::AreaKeyComplexPeriod> {
    state
        .key_complex_periods
        .iter()
        .map(|period| pb::AreaKeyComplexPeriod {
            designated_on: Some(period.designated_on.to_proto()),
            transformed_on: period.transformed_on.map(Date::to_proto),
        })
        .collect()
}

/// Values dated from a day, as periods: each lasts until the next one's date (or `end`).
/// Sorted by date, stable, so two values of one day keep the order they were applied in.
fn periods<T>(mut dated: Vec<(Date, T)>, end: Option<Date>) -> Vec<(T, Date, Option<Date>)> {
    dated.sort_by_key(|(from, _)| *from);
    let starts: Vec<Date> = dated.iter().map(|(from, _)| *from).collect();
    dated
        .into_iter()
        .enumerate()
        .map(|(index, (from, value))| (value, from, starts.get(index + 1).copied().or(end)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> Date {
        Date::new(year, month, day).unwrap()
    }

    #[test]
    fn periods_end_where_the_next_begins_or_at_the_end() {
        let dated = vec![(date(2020, 1, 1), "b"), (date(2008, 1, 1), "a")];
        assert_eq!(
            periods(dated, Some(date(2025, 7, 1))),
            vec![
                ("a", date(2008, 1, 1), Some(date(2020, 1, 1))),
                ("b", date(2020, 1, 1), Some(date(2025, 7, 1))),
            ]
        );
        assert_eq!(
            periods(vec![(date(2008, 1, 1), "a")], None),
            vec![("a", date(2008, 1, 1), None)]
        );
    }

    #[test]
    fn the_name_in_force_is_the_latest_to_take_effect() {
        let on = |year| Some(date(year, 1, 1).to_proto());
        let renamed = |name: &str, year| {
            area::Event::Renamed(pb::AreaRenamed {
                new_name: name.into(),
                effective_date: on(year),
                ..Default::default()
            })
        };
        // The 2015 rename was typed in after the 2020 one.
        let events = [
            area::Event::Registered(pb::AreaRegistered {
                area_id: "a".into(),
                name: "Xã A".into(),
                division_type: "xã".into(),
                effective_date: on(2008),
                ..Default::default()
            }),
            renamed("Xã B", 2020),
            renamed("Xã C", 2015),
        ];
        let timeline = antt_domain::timeline_of::<Area>(&events);
        let name_on = |year| {
            AreaHistory::of(timeline.as_of(date(year, 6, 1)))
                .into_view(String::new(), 2)
                .name
        };
        assert_eq!(name_on(2010), "Xã A");
        assert_eq!(name_on(2016), "Xã C");
        assert_eq!(name_on(2024), "Xã B");
        let view = AreaHistory::of(timeline.entries()).into_view(String::new(), 2);
        let names: Vec<(&str, Option<pb::Date>)> = view
            .names
            .iter()
            .map(|period| (period.name.as_str(), period.valid_until))
            .collect();
        assert_eq!(names, [("Xã A", on(2015)), ("Xã C", on(2020)), ("Xã B", None)]);
        assert_eq!(view.names[2].division_type, "xã");
    }
}
