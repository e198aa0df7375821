//! The records located in an area on any day up to a date: what an audit export of the
//! area carries. A team dissolved in 2019 is one of its commune's records in 2026, so
//! every valid interval that began by the date counts, not only the rows holding on it.
//!
//! Most kinds are keyed by area first, so one area is one prefix per kind. Targets are
//! keyed by target, and a target is located where its units are: their years are read
//! once for all the areas ([`targets_with_units_in`]). An inspection is located in the
//! area it inspected; persons are located in no area, so none is found here.

use std::collections::{BTreeSet, HashSet};

use antt_domain::Date;
use antt_proto::v1 as pb;
use prost::Message;

use super::QueryError;
use crate::bitemporal::{LayoutError, Snapshot};
use crate::key::{KeyBuilder, Kind};
use crate::store::Store;

/// A record, by what names its stream.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Located {
    Area(String),
    Team(String),
    Incident(String),
    Tip(String),
    Arrest(String),
    Rating { unit_area_id: String, year: i32 },
    Document(String),
    Conference(String),
    Award(String),
    Figure(String),
    Office(String),
    Inspection(String),
    Target(String),
}

impl Located {
    /// The kind of record, as the export names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Located::Area(_) => "area",
            Located::Team(_) => "team",
            Located::Incident(_) => "incident",
            Located::Tip(_) => "tip",
            Located::Arrest(_) => "arrest",
            Located::Rating { .. } => "rating",
            Located::Document(_) => "document",
            Located::Conference(_) => "conference",
            Located::Award(_) => "award",
            Located::Figure(_) => "figure",
            Located::Office(_) => "office",
            Located::Inspection(_) => "inspection",
            Located::Target(_) => "target",
        }
    }
}

/// Every record located in `area_id` on some day up to the snapshot's day, as the records
/// stood for the snapshot's reader: the area itself (its designations as a key complex
/// area are its own events), its teams, incidents, tips, arrests, ratings, the documents
/// it issued, the conferences it organised, its awards, reported figures, offices and
/// the inspections of it.
pub fn located_in<S: Store>(snapshot: &Snapshot<'_, S>, area_id: &str) -> Result<BTreeSet<Located>, QueryError> {
    let until = snapshot.as_of();
    let mut found = BTreeSet::from([Located::Area(area_id.to_string())]);
    let mut each = |kind: Kind, name: fn(Vec<u8>) -> Result<Located, prost::DecodeError>| {
        let prefix = KeyBuilder::new(kind).text(area_id).build();
        for value in began_by(snapshot, &prefix, until)? {
            found.insert(name(value).map_err(undecodable)?);
        }
        Ok::<(), QueryError>(())
    };
    each(Kind::Team, |v| {
        Ok(Located::Team(pb::TeamRow::decode(v.as_slice())?.team_id))
    })?;
    each(Kind::Incident, |v| {
        Ok(Located::Incident(pb::IncidentRow::decode(v.as_slice())?.incident_id))
    })?;
    each(Kind::Tip, |v| {
        Ok(Located::Tip(pb::TipRow::decode(v.as_slice())?.tip_id))
    })?;
    each(Kind::Arrest, |v| {
        Ok(Located::Arrest(pb::ArrestRow::decode(v.as_slice())?.arrest_id))
    })?;
    each(Kind::Rating, |v| {
        let row = pb::RatingRow::decode(v.as_slice())?;
        Ok(Located::Rating {
            unit_area_id: row.unit_area_id,
            year: row.year,
        })
    })?;
    each(Kind::Document, |v| {
        Ok(Located::Document(pb::DocumentRow::decode(v.as_slice())?.document_id))
    })?;
    each(Kind::Conference, |v| {
        Ok(Located::Conference(
            pb::ConferenceRow::decode(v.as_slice())?.conference_id,
        ))
    })?;
    each(Kind::Award, |v| {
        Ok(Located::Award(pb::AwardRow::decode(v.as_slice())?.award_id))
    })?;
    each(Kind::Figure, |v| {
        Ok(Located::Figure(pb::FigureRow::decode(v.as_slice())?.figure_id))
    })?;
    each(Kind::Office, |v| {
        Ok(Located::Office(pb::OfficeRow::decode(v.as_slice())?.tenure_id))
    })?;
    each(Kind::Inspection, |v| {
        Ok(Located::Inspection(
            pb::InspectionRow::decode(v.as_slice())?.inspection_id,
        ))
    })?;
    Ok(found)
}

/// The targets with a unit among `area_ids` in a year whose values were known by the
/// snapshot's day (a target's rows are keyed by target, so all are read once).
pub fn targets_with_units_in<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area_ids: &HashSet<String>,
) -> Result<BTreeSet<Located>, QueryError> {
    let prefix = KeyBuilder::new(Kind::Target).build();
    let mut found = BTreeSet::new();
    for value in began_by(snapshot, &prefix, snapshot.as_of())? {
        let row = pb::TargetYearRow::decode(value.as_slice()).map_err(undecodable)?;
        if row.units.iter().any(|unit| area_ids.contains(&unit.unit_area_id)) {
            found.insert(Located::Target(row.target_id));
        }
    }
    Ok(found)
}

/// The values of every interval under `prefix` that began on or before `until`.
fn began_by<S: Store>(snapshot: &Snapshot<'_, S>, prefix: &[u8], until: Date) -> Result<Vec<Vec<u8>>, QueryError> {
    Ok(snapshot
        .intervals(prefix)?
        .into_iter()
        .filter(|(from, _, _)| *from <= until)
        .map(|(_, _, value)| value)
        .collect())
}

fn undecodable(error: prost::DecodeError) -> QueryError {
    LayoutError::Inconsistent(format!("a stored row does not decode: {error}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitemporal::Pending;
    use crate::derive::ValidRow;
    use crate::query::export_snapshot;
    use crate::rows::rating_key;
    use crate::store::MemoryStore;

    fn day(year: i32, month: u32, day: u32) -> Date {
        Date::new(year, month, day).unwrap()
    }

    fn valid(key: Vec<u8>, from: Date, until: Date, value: &impl Message) -> ValidRow {
        ValidRow {
            key,
            from,
            until,
            value: value.encode_to_vec(),
        }
    }

    fn team(area_id: &str, team_id: &str, from: Date, until: Date) -> ValidRow {
        let row = pb::TeamRow {
            team_id: team_id.into(),
            area_id: area_id.into(),
            ..Default::default()
        };
        valid(
            KeyBuilder::new(Kind::Team).text(area_id).text(team_id).build(),
            from,
            until,
            &row,
        )
    }

    fn incident(area_id: &str, incident_id: &str, reported_on: Date) -> ValidRow {
        let row = pb::IncidentRow {
            incident_id: incident_id.into(),
            area_id: area_id.into(),
            ..Default::default()
        };
        let key = KeyBuilder::new(Kind::Incident)
            .text(area_id)
            .date(reported_on)
            .text(incident_id);
        valid(key.build(), reported_on, Date::MAX, &row)
    }

    fn target(target_id: &str, year: i32, units: &[&str]) -> ValidRow {
        let row = pb::TargetYearRow {
            target_id: target_id.into(),
            year,
            units: units
                .iter()
                .map(|unit| pb::UnitTargetValue {
                    unit_area_id: unit.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let key = KeyBuilder::new(Kind::Target).text(target_id).year(year).build();
        valid(key, day(year, 1, 1), Date::MAX, &row)
    }

    fn store_with(rows: &[ValidRow], then: &[ValidRow]) -> MemoryStore {
        let store = MemoryStore::new();
        let mut pending = Pending::new(&store);
        for row in rows {
            pending.open(row, 0);
        }
        store.apply(pending.finish(1)).unwrap();
        let mut pending = Pending::new(&store);
        for row in then {
            pending.open(row, 1);
        }
        store.apply(pending.finish(2)).unwrap();
        store
    }

    /// The rows an inspection's state stands for, as held from the day it was opened.
    fn inspection(area_id: &str, inspection_id: &str, opened_on: Date) -> Vec<ValidRow> {
        use crate::derive::Rows;
        let state = antt_domain::inspection::State {
            inspection_id: inspection_id.into(),
            opened_on: Some(opened_on),
            inspected_area_id: area_id.into(),
            ..Default::default()
        };
        let mut rows = Vec::new();
        antt_domain::inspection::Inspection::rows(&state, &mut rows);
        rows.into_iter()
            .map(|row| ValidRow {
                key: row.key,
                from: opened_on,
                until: Date::MAX,
                value: row.value,
            })
            .collect()
    }

    #[test]
    fn an_inspection_is_located_in_the_area_it_inspected_from_its_opening() {
        let store = store_with(
            &[
                inspection("a1", "ins-1", day(2024, 3, 1)),
                inspection("a2", "ins-2", day(2024, 3, 1)),
                inspection("a1", "ins-later", day(2026, 5, 1)),
            ]
            .concat(),
            &[],
        );
        let found = located_in(&export_snapshot(&store, day(2025, 1, 1), 2), "a1").unwrap();
        assert_eq!(
            found,
            BTreeSet::from([Located::Area("a1".into()), Located::Inspection("ins-1".into())])
        );
    }

    #[test]
    fn an_area_holds_every_record_that_was_ever_in_it_by_the_date() {
        let rating = pb::RatingRow {
            unit_area_id: "a1".into(),
            year: 2020,
            ..Default::default()
        };
        let store = store_with(
            &[
                // Dissolved in 2019: still one of the area's records in 2026.
                team("a1", "t-old", day(2010, 1, 1), day(2019, 6, 1)),
                team("a1", "t-now", day(2020, 3, 1), Date::MAX),
                team("a2", "t-other", day(2020, 3, 1), Date::MAX),
                incident("a1", "i-before", day(2021, 5, 10)),
                // Reported after the date: not yet the area's.
                incident("a1", "i-after", day(2027, 1, 1)),
                valid(rating_key("a1", 2020), day(2020, 1, 1), Date::MAX, &rating),
            ],
            // Recorded by the event at position 1, which the reader at 1 does not know.
            &[team("a1", "t-unknown", day(2020, 3, 1), Date::MAX)],
        );
        let snapshot = export_snapshot(&store, day(2026, 1, 1), 1);
        let found = located_in(&snapshot, "a1").unwrap();
        assert_eq!(
            found,
            BTreeSet::from([
                Located::Area("a1".into()),
                Located::Team("t-old".into()),
                Located::Team("t-now".into()),
                Located::Incident("i-before".into()),
                Located::Rating {
                    unit_area_id: "a1".into(),
                    year: 2020
                },
            ])
        );
        let later = export_snapshot(&store, day(2026, 1, 1), 2);
        assert!(located_in(&later, "a1")
            .unwrap()
            .contains(&Located::Team("t-unknown".into())));
        let before = export_snapshot(&store, day(2015, 1, 1), 2);
        assert_eq!(
            located_in(&before, "a1").unwrap(),
            BTreeSet::from([Located::Area("a1".into()), Located::Team("t-old".into())])
        );
    }

    #[test]
    fn a_target_is_where_its_units_are() {
        let store = store_with(&[target("g1", 2024, &["a1", "a2"]), target("g2", 2024, &["a3"])], &[]);
        let snapshot = export_snapshot(&store, day(2025, 1, 1), 2);
        let areas = HashSet::from(["a1".to_string()]);
        assert_eq!(
            targets_with_units_in(&snapshot, &areas).unwrap(),
            BTreeSet::from([Located::Target("g1".into())])
        );
        let early = export_snapshot(&store, day(2023, 12, 31), 2);
        assert!(targets_with_units_in(&early, &areas).unwrap().is_empty());
    }
}
