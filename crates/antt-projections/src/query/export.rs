//! Rows for analysis: the stored rows of one area at a time, so that an export of a whole
//! province is streamed area by area and never held in memory at once.
//!
//! An export takes long (it waits on its client), and the engine goes on applying the
//! log meanwhile, so its snapshot must not rely on "nothing was applied since"
//! ([`export_snapshot`]); and a row moved from current to withdrawn between the two
//! scans of one read would be seen twice, so rows are read once per key ([`unique`]).

use std::collections::BTreeMap;

use antt_domain::Date;
use antt_proto::v1 as pb;
use prost::Message;

use super::areas::areas_of;
use super::{next_day, AreaRef, Period, QueryError};
use crate::bitemporal::{LayoutError, Snapshot};
use crate::key::{KeyBuilder, Kind};
use crate::rows::rating_key;
use crate::store::Store;

/// A snapshot that stays what it is while the engine applies more events: it reads the
/// withdrawn versions as well as the current ones, whatever `applied` was when the
/// export began, since versions current then may be withdrawn before they are read.
pub fn export_snapshot<S: Store>(store: &S, as_of: Date, known: u64) -> Snapshot<'_, S> {
    Snapshot::new(store, as_of, known, u64::MAX)
}

/// The area and every area under it on the snapshot's day, parents before children: the
/// areas an export walks, and the rows of the `areas` export.
pub fn export_areas<S: Store>(snapshot: &Snapshot<'_, S>, area: &AreaRef) -> Result<Vec<pb::AreaNode>, QueryError> {
    areas_of(snapshot, area)
}

/// The teams standing in one area on the snapshot's day, with their active members.
pub fn teams_in<S: Store>(snapshot: &Snapshot<'_, S>, area_id: &str) -> Result<Vec<pb::TeamRow>, QueryError> {
    let prefix = KeyBuilder::new(Kind::Team).text(area_id).build();
    unique(snapshot, &prefix, None)
}

/// Terms begun or ended in one area's teams in `period`, by date, as the records
/// of the period's last day stand (as the forces summary counts them).
pub fn member_changes_in<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area_id: &str,
    period: Period,
) -> Result<Vec<pb::MemberChangeRow>, QueryError> {
    let prefix = KeyBuilder::new(Kind::MemberChange).text(area_id);
    let from = prefix.clone().date(period.from).build();
    let to = prefix.date(next_day(period.to)).build();
    unique(&snapshot.on(period.to), &from, Some(&to))
}

/// Incidents reported in one area in `period`, by date, as they stood on the
/// period's last day (as the incident summary counts them).
pub fn incidents_in<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area_id: &str,
    period: Period,
) -> Result<Vec<pb::IncidentRow>, QueryError> {
    let prefix = KeyBuilder::new(Kind::Incident).text(area_id);
    let from = prefix.clone().date(period.from).build();
    let to = prefix.date(next_day(period.to)).build();
    unique(&snapshot.on(period.to), &from, Some(&to))
}

/// One unit's ratings of the years `from_year` to `to_year`, by year, as they stood
/// on the snapshot's day; a year it was not rated or registered in has no row.
pub fn ratings_of<S: Store>(
    snapshot: &Snapshot<'_, S>,
    unit_area_id: &str,
    from_year: i32,
    to_year: i32,
) -> Result<Vec<pb::RatingRow>, QueryError> {
    let from = rating_key(unit_area_id, from_year);
    let to = rating_key(unit_area_id, to_year.saturating_add(1));
    unique(snapshot, &from, Some(&to))
}

/// Every visible row with a key in `[from, to)` (or under `from` when `to` is `None`),
/// decoded, each row key once, in key order. At most one version of a key holds on a day
/// for a reader at one position, so a second one can only be the same row seen again by
/// the scan of the withdrawn versions after the engine moved it there.
fn unique<M: Message + Default, S: Store>(
    snapshot: &Snapshot<'_, S>,
    from: &[u8],
    to: Option<&[u8]>,
) -> Result<Vec<M>, QueryError> {
    let mut rows: BTreeMap<Vec<u8>, M> = BTreeMap::new();
    let mut damage = None;
    let mut visit = |key: &[u8], value: &[u8]| {
        if rows.contains_key(key) {
            return;
        }
        match M::decode(value) {
            Ok(row) => {
                rows.insert(key.to_vec(), row);
            }
            Err(error) => damage = Some(error),
        }
    };
    match to {
        Some(_) => snapshot.range(from, to, &mut visit)?,
        None => snapshot.rows(from, &mut visit)?,
    }
    match damage {
        Some(error) => Err(LayoutError::Inconsistent(format!("a stored row does not decode: {error}")).into()),
        None => Ok(rows.into_values().collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitemporal::Pending;
    use crate::derive::ValidRow;
    use crate::store::MemoryStore;

    fn day(year: i32, month: u32, day: u32) -> Date {
        Date::new(year, month, day).unwrap()
    }

    fn team(name: &str, quota: u32) -> pb::TeamRow {
        pb::TeamRow {
            team_id: "t1".into(),
            name: name.into(),
            area_id: "a1".into(),
            quota,
            ..Default::default()
        }
    }

    fn valid(row: &pb::TeamRow, from: Date) -> ValidRow {
        ValidRow {
            key: KeyBuilder::new(Kind::Team)
                .text(&row.area_id)
                .text(&row.team_id)
                .build(),
            from,
            until: Date::MAX,
            value: row.encode_to_vec(),
        }
    }

    #[test]
    fn a_version_withdrawn_after_the_export_began_is_still_read_once() {
        let store = MemoryStore::new();
        let first = valid(&team("Tổ 1", 3), day(2020, 3, 1));
        let mut pending = Pending::new(&store);
        pending.open(&first, 0);
        store.apply(pending.finish(1)).unwrap();

        // The export reads as of position 1; the engine then withdraws the row at
        // position 1 and says the row anew.
        let snapshot = export_snapshot(&store, day(2021, 1, 1), 1);
        let mut pending = Pending::new(&store);
        pending.close(&first, 1).unwrap();
        pending.open(&valid(&team("Tổ 1", 5), day(2020, 3, 1)), 1);
        store.apply(pending.finish(2)).unwrap();

        let teams = teams_in(&snapshot, "a1").unwrap();
        assert_eq!(
            teams,
            vec![team("Tổ 1", 3)],
            "what position 1 said, not what came after"
        );
        let now = export_snapshot(&store, day(2021, 1, 1), 2);
        assert_eq!(teams_in(&now, "a1").unwrap(), vec![team("Tổ 1", 5)]);
    }

    #[test]
    fn a_row_seen_by_both_scans_is_listed_once() {
        // What the two scans of one read see when the engine moves a row from current
        // to withdrawn between them: the row in both places.
        let store = MemoryStore::new();
        let row = valid(&team("Tổ 1", 3), day(2020, 3, 1));
        let mut pending = Pending::new(&store);
        pending.open(&row, 0);
        store.apply(pending.finish(1)).unwrap();
        let mut pending = Pending::new(&store);
        pending.close(&row, 4).unwrap();
        let kept_current: Vec<_> = pending
            .finish(5)
            .into_iter()
            .filter(|(_, value)| value.is_some())
            .collect();
        store.apply(kept_current).unwrap();

        let snapshot = export_snapshot(&store, day(2021, 1, 1), 2);
        assert_eq!(teams_in(&snapshot, "a1").unwrap(), vec![team("Tổ 1", 3)]);
    }
}
