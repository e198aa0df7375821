//! The area tree as of a day: an area, and every area under it, across mergers.

use std::collections::{BTreeMap, HashSet, VecDeque};

use antt_proto::v1 as pb;

use super::{decoded, AreaRef, QueryError};
use crate::bitemporal::Snapshot;
use crate::key::{KeyBuilder, Kind};
use crate::limits;
use crate::store::Store;

/// The area as it stood on the snapshot's day.
pub fn resolve_area<S: Store>(snapshot: &Snapshot<'_, S>, area: &AreaRef) -> Result<pb::AreaNode, QueryError> {
    let on = snapshot.as_of();
    match area {
        AreaRef::Id(id) => {
            let rows: Vec<pb::AreaNode> = decoded(snapshot, &KeyBuilder::new(Kind::Area).text(id).build())?;
            rows.into_iter().next().ok_or_else(|| {
                QueryError::NotFound(format!(
                    "area {id} did not exist on {on} (không có địa bàn này vào ngày đó)"
                ))
            })
        }
        AreaRef::Code(code) => {
            let mut rows: Vec<pb::AreaNode> = decoded(snapshot, &KeyBuilder::new(Kind::AreaCode).text(code).build())?;
            match rows.len() {
                1 => Ok(rows.remove(0)),
                0 => Err(QueryError::NotFound(format!(
                    "no area had code {code} on {on} (không có mã địa bàn này vào ngày đó)"
                ))),
                _ => Err(QueryError::NotFound(format!(
                    "{} areas had code {code} on {on}; ask by area id",
                    rows.len()
                ))),
            }
        }
    }
}

/// Every area under `root` that day, parents before children. An area merged into one
/// of them is listed under its successor, with the successor as its parent, and the
/// areas under it follow.
pub fn subtree<S: Store>(snapshot: &Snapshot<'_, S>, root: &pb::AreaNode) -> Result<Vec<pb::AreaNode>, QueryError> {
    let mut seen: HashSet<String> = HashSet::from([root.area_id.clone()]);
    let mut queue = VecDeque::from([root.area_id.clone()]);
    let mut areas = Vec::new();
    while let Some(parent) = queue.pop_front() {
        let children: Vec<pb::AreaNode> = decoded(snapshot, &KeyBuilder::new(Kind::AreaChild).text(&parent).build())?;
        let merged: Vec<pb::AreaNode> = decoded(snapshot, &KeyBuilder::new(Kind::MergedInto).text(&parent).build())?;
        let merged = merged.into_iter().map(|node| pb::AreaNode {
            parent_area_id: parent.clone(),
            ..node
        });
        for node in children.into_iter().chain(merged) {
            // A cycle can only come from contradictory records; walk each area once.
            if seen.insert(node.area_id.clone()) {
                if areas.len() >= limits::SUBTREE_AREAS_MAX {
                    return Err(QueryError::TooLarge(limits::SUBTREE_AREAS_MAX));
                }
                queue.push_back(node.area_id.clone());
                areas.push(node);
            }
        }
    }
    Ok(areas)
}

pub fn area_tree<S: Store>(snapshot: &Snapshot<'_, S>, area: &AreaRef) -> Result<pb::AreaTreeResponse, QueryError> {
    let root = resolve_area(snapshot, area)?;
    let areas = subtree(snapshot, &root)?;
    let mut counts: BTreeMap<i32, u32> = BTreeMap::new();
    for node in &areas {
        *counts.entry(node.level).or_default() += 1;
    }
    Ok(pb::AreaTreeResponse {
        answered: None,
        root: Some(root),
        areas,
        counts: counts
            .into_iter()
            .map(|(level, areas)| pb::LevelCount { level, areas })
            .collect(),
    })
}

/// The root and every area under it: the areas whose records a query counts.
pub(super) fn areas_of<S: Store>(snapshot: &Snapshot<'_, S>, area: &AreaRef) -> Result<Vec<pb::AreaNode>, QueryError> {
    let root = resolve_area(snapshot, area)?;
    let mut areas = subtree(snapshot, &root)?;
    areas.insert(0, root);
    Ok(areas)
}
