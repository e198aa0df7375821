//! Tips, arrests, hotspots, documents, conferences and classes, awards over a period.

use std::collections::BTreeMap;

use antt_proto::v1 as pb;

use super::areas::areas_of;
use super::{collect, decoded, next_day, AreaRef, Period, QueryError};
use crate::bitemporal::Snapshot;
use crate::key::{KeyBuilder, Kind};
use crate::store::Store;

/// The rows of `kind` under `area_id` dated in `period`.
fn in_period<M: prost::Message + Default, S: Store>(
    snapshot: &Snapshot<'_, S>,
    kind: Kind,
    area_id: &str,
    period: Period,
) -> Result<Vec<M>, QueryError> {
    let prefix = KeyBuilder::new(kind).text(area_id);
    let from = prefix.clone().date(period.from).build();
    let to = prefix.date(next_day(period.to)).build();
    collect(snapshot, &from, Some(&to))
}

/// Counted as the records of the period's last day stand.
pub fn activity_summary<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area: &AreaRef,
    period: Period,
) -> Result<pb::ActivitySummaryResponse, QueryError> {
    let at_end = snapshot.on(period.to);
    let mut response = pb::ActivitySummaryResponse {
        period: Some(period.to_proto()),
        ..Default::default()
    };
    let mut documents: BTreeMap<i32, u32> = BTreeMap::new();
    let mut awards: BTreeMap<i32, u32> = BTreeMap::new();
    let within = |date: Option<&pb::Date>| {
        date.and_then(|date| antt_domain::Date::from_proto_field("date", Some(date)).ok())
            .is_some_and(|date| period.from <= date && date <= period.to)
    };
    for node in areas_of(&at_end, area)? {
        let id = node.area_id.as_str();
        for tip in in_period::<pb::TipRow, S>(&at_end, Kind::Tip, id, period)? {
            response.tips_received += 1;
            response.tips_valuable += u32::from(tip.valuable);
        }
        for arrest in in_period::<pb::ArrestRow, S>(&at_end, Kind::Arrest, id, period)? {
            response.wanted_persons_arrested += 1;
            response.surrendered += u32::from(arrest.surrendered);
        }
        for hotspot in decoded::<pb::HotspotRow, S>(&at_end, &KeyBuilder::new(Kind::Hotspot).text(id).build())? {
            response.hotspots_designated += u32::from(within(hotspot.designated_on.as_ref()));
            response.hotspots_transformed += u32::from(within(hotspot.transformed_on.as_ref()));
            response.hotspots_standing += u32::from(hotspot.transformed_on.is_none());
        }
        for document in in_period::<pb::DocumentRow, S>(&at_end, Kind::Document, id, period)? {
            response.documents_issued += 1;
            *documents.entry(document.kind).or_default() += 1;
        }
        for conference in in_period::<pb::ConferenceRow, S>(&at_end, Kind::Conference, id, period)? {
            if conference.kind == pb::ConferenceKind::TrainingClass as i32 {
                response.training_classes_held += 1;
                response.training_participants += conference.participants;
            } else {
                response.conferences_held += 1;
                response.conference_participants += conference.participants;
            }
        }
        for award in in_period::<pb::AwardRow, S>(&at_end, Kind::Award, id, period)? {
            response.awards += 1;
            *awards.entry(award.kind).or_default() += 1;
        }
    }
    response.documents_by_kind = documents
        .into_iter()
        .map(|(kind, count)| pb::DocumentKindCount { kind, count })
        .collect();
    response.awards_by_kind = awards
        .into_iter()
        .map(|(kind, count)| pb::AwardKindCount { kind, count })
        .collect();
    Ok(response)
}

/// The figures reported for the area's units whose period ends within `period`.
pub(super) fn figures_in<S: Store>(
    snapshot: &Snapshot<'_, S>,
    area: &AreaRef,
    period: Period,
) -> Result<Vec<pb::FigureRow>, QueryError> {
    let mut figures = Vec::new();
    for node in areas_of(snapshot, area)? {
        figures.extend(in_period::<pb::FigureRow, S>(
            snapshot,
            Kind::Figure,
            &node.area_id,
            period,
        )?);
    }
    Ok(figures)
}
