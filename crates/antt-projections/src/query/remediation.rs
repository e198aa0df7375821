//! Follow-up as of a day: an inspection's remediation (actions open, done and overdue, by
//! lead body) and a target's attainment, judged by the domain's own rules.

use std::collections::BTreeMap;

use antt_proto::v1 as pb;

use super::{decoded, QueryError};
use crate::bitemporal::Snapshot;
use crate::rows::{action_record, actions_prefix};
use crate::store::Store;

pub fn remediation<S: Store>(
    snapshot: &Snapshot<'_, S>,
    inspection_id: &str,
) -> Result<pb::RemediationResponse, QueryError> {
    let on = snapshot.as_of();
    let rows: Vec<pb::ActionRow> = decoded(snapshot, &actions_prefix(inspection_id))?;
    let mut response = pb::RemediationResponse::default();
    let mut bodies: BTreeMap<String, pb::LeadBodyCount> = BTreeMap::new();
    for row in rows {
        let record = action_record(&row);
        let open = record.is_open_on(on);
        let done = record.planned_on <= on && !open;
        let overdue = record.is_overdue(on);
        response.open += u32::from(open);
        response.done += u32::from(done);
        response.overdue += u32::from(overdue);
        for lead_body in &record.lead_bodies {
            let count = bodies.entry(lead_body.clone()).or_default();
            count.open += u32::from(open);
            count.done += u32::from(done);
            count.overdue += u32::from(overdue);
        }
        response.actions.push(pb::ActionStanding {
            action: Some(row),
            open,
            done,
            overdue,
        });
    }
    response.by_lead_body = bodies
        .into_iter()
        .map(|(lead_body, count)| pb::LeadBodyCount { lead_body, ..count })
        .collect();
    Ok(response)
}

/// A target's years with values, oldest first; NOT_FOUND when it has none by the day.
pub fn target_attainment<S: Store>(
    snapshot: &Snapshot<'_, S>,
    target_id: &str,
) -> Result<pb::TargetAttainmentResponse, QueryError> {
    let years: Vec<pb::TargetYearRow> = decoded(snapshot, &crate::rows::target_prefix(target_id))?;
    if years.is_empty() {
        return Err(QueryError::NotFound(format!(
            "target {target_id} has no values recorded by {} (chưa có số liệu)",
            snapshot.as_of()
        )));
    }
    Ok(pb::TargetAttainmentResponse { answered: None, years })
}
