//! The `antt.v1.Targets` service: yearly targets set by a resolution (seed 004) and the
//! values units record against them, one record per target in "target-<uuid>".
//!
//! The view ([`crate::views::target`]) computes attainment per unit and year from the
//! recorded values, so a report never stores a verdict that could drift from the facts.

use antt_domain::target::{self, IndicatorValue, Target, Threshold};
use antt_log::EventLog;
use antt_proto::v1 as pb;
use antt_proto::v1::targets_server::{Targets, TargetsServer};
use tonic::{Request, Response, Status};

use crate::commands::Commands;
use crate::request::{self, Fields, Planned};
use crate::views;

/// The gRPC service; cheap to share.
pub struct TargetsService<L> {
    commands: Commands<L>,
}

impl<L: EventLog> TargetsService<L> {
    pub fn new(commands: Commands<L>) -> Self {
        TargetsService { commands }
    }

    /// Wrapped for tonic, with the message size limits of `max_message_bytes`.
    pub fn into_server(self, max_message_bytes: usize) -> TargetsServer<Self> {
        TargetsServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }
}

#[tonic::async_trait]
impl<L: EventLog> Targets for TargetsService<L> {
    async fn set_target(&self, request: Request<pb::SetTargetRequest>) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_set(&self.commands, r);
        request::command(&self.commands, "SetTarget", request, |r| &r.target_id, plan).await
    }

    async fn record_target_value(
        &self,
        request: Request<pb::RecordTargetValueRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_value(&self.commands, r);
        request::command(&self.commands, "RecordTargetValue", request, |r| &r.target_id, plan).await
    }

    async fn record_target_report_submitted(
        &self,
        request: Request<pb::RecordTargetReportSubmittedRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_report(&self.commands, r);
        request::command(
            &self.commands,
            "RecordTargetReportSubmitted",
            request,
            |r| &r.target_id,
            plan,
        )
        .await
    }

    async fn get_target(&self, request: Request<pb::GetTargetRequest>) -> Result<Response<pb::TargetView>, Status> {
        let answer = |r: pb::GetTargetRequest| view_target(&self.commands, r);
        request::query("GetTarget", request, |r| &r.target_id, answer).await
    }
}

pub(crate) const TARGET: &str = "target";

/// The domain calls a threshold that does not suit the indicator a bad "threshold"; the
/// client set one case of the oneof.
const SHARE_PATHS: &[(&str, &str)] = &[("threshold", "share_at_least")];
const LOWER_PATHS: &[(&str, &str)] = &[("threshold", "lower_than_previous_year")];

/// The resolution must be in the header, so this command reads its fields itself rather
/// than through [`request::plan_in_area`].
async fn plan_set<L: EventLog>(commands: &Commands<L>, r: pb::SetTargetRequest) -> Result<Planned<Target>, Status> {
    use pb::set_target_request::Threshold as Wire;
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let target_id = fields.uuid("target_id", &r.target_id);
    // The resolution setting the target (nghị quyết).
    let resolution = fields.required_decision();
    let indicator = fields.enumeration("indicator", r.indicator);
    let (threshold, paths) = match r.threshold {
        Some(Wire::ShareAtLeast(share)) => (Threshold::ShareAtLeast { percent: share.percent }, SHARE_PATHS),
        Some(Wire::LowerThanPreviousYear(_)) => (Threshold::LowerThanPreviousYear, LOWER_PATHS),
        None => {
            fields.violate(
                "threshold",
                "say what meets the target: share_at_least (e.g. 100 %) or lower_than_previous_year",
            );
            (Threshold::LowerThanPreviousYear, LOWER_PATHS)
        }
    };
    let scope_area_id = fields.uuid("scope_area_id", &r.scope_area_id);
    let unit_level = fields.enumeration("unit_level", r.unit_level);
    let first_year = fields.year("first_year", r.first_year);
    let last_year = fields.year("last_year", r.last_year);
    let report_due_before = fields.month_day("report_due_before", r.report_due_before.as_ref());
    fields.finish()?;
    let scope = request::area_facts(commands, "scope_area_id", scope_area_id).await?;
    let command = target::Command::Set(target::SetTarget {
        target_id,
        resolution,
        indicator,
        description: r.description,
        threshold,
        scope,
        unit_level,
        first_year,
        last_year,
        report_due_before,
        unit_division_types: r.unit_division_types,
        effective_date: header.effective_date,
    });
    Ok(Planned::new(request::stream_id(TARGET, target_id), header, command).with_paths(paths))
}

/// The domain calls a malformed ratio a bad "value".
const VALUE_PATHS: &[(&str, &str)] = &[("value", "ratio")];

async fn plan_value<L: EventLog>(
    commands: &Commands<L>,
    r: pb::RecordTargetValueRequest,
) -> Result<Planned<Target>, Status> {
    let record = ("target_id", r.target_id.as_str(), TARGET);
    let unit = ("unit_area_id", r.unit_area_id.as_str());
    let read = |fields: &mut Fields| (fields.year("year", r.year), value(fields, r.value));
    let planned = request::plan_in_area(
        commands,
        r.header.as_ref(),
        record,
        unit,
        read,
        |_, (year, value), unit, header| target::Command::RecordValue {
            unit,
            unit_ancestors: Vec::new(),
            year,
            value,
            source: r.source.clone(),
            effective_date: header.effective_date,
        },
    )
    .await?;
    with_unit_ancestors(commands, planned)
        .await
        .map(|planned| planned.with_paths(VALUE_PATHS))
}

/// Fills in where a value's or report's unit lay at the end of its year (see
/// [`target::unit_scope_date`]), which the domain compares with the target's scope.
async fn with_unit_ancestors<L: EventLog>(
    commands: &Commands<L>,
    mut planned: Planned<Target>,
) -> Result<Planned<Target>, Status> {
    if let target::Command::RecordValue {
        unit,
        unit_ancestors,
        year,
        ..
    }
    | target::Command::RecordReportSubmitted {
        unit,
        unit_ancestors,
        year,
        ..
    } = planned.command_mut()
    {
        let on = target::unit_scope_date(unit, *year);
        *unit_ancestors = crate::areas::ancestors_on(commands, unit.area_id, on).await?;
    }
    Ok(planned)
}

fn value(fields: &mut Fields, value: Option<pb::record_target_value_request::Value>) -> IndicatorValue {
    use pb::record_target_value_request::Value as Wire;
    match value {
        Some(Wire::Achieved(achieved)) => IndicatorValue::Achieved(achieved),
        Some(Wire::Ratio(ratio)) => IndicatorValue::Ratio {
            numerator: ratio.numerator,
            denominator: ratio.denominator,
        },
        Some(Wire::Count(count)) => IndicatorValue::Count(count),
        None => {
            fields.violate(
                "value",
                "give the unit's value as the indicator is measured: achieved, ratio or count",
            );
            IndicatorValue::Achieved(false)
        }
    }
}

async fn plan_report<L: EventLog>(
    commands: &Commands<L>,
    r: pb::RecordTargetReportSubmittedRequest,
) -> Result<Planned<Target>, Status> {
    let record = ("target_id", r.target_id.as_str(), TARGET);
    let unit = ("unit_area_id", r.unit_area_id.as_str());
    let read = |fields: &mut Fields| fields.year("year", r.year);
    let planned = request::plan_in_area(
        commands,
        r.header.as_ref(),
        record,
        unit,
        read,
        |_, year, unit, header| target::Command::RecordReportSubmitted {
            unit,
            unit_ancestors: Vec::new(),
            year,
            report: header.decision.clone(),
            effective_date: header.effective_date,
        },
    )
    .await?;
    with_unit_ancestors(commands, planned).await
}

async fn view_target<L: EventLog>(commands: &Commands<L>, r: pb::GetTargetRequest) -> Result<pb::TargetView, Status> {
    let (target_id, as_of) = request::id_as_of("target_id", &r.target_id, r.as_of.as_ref())?;
    let (state, version) = request::load_as_of::<Target, L>(commands, TARGET, target_id, as_of).await?;
    Ok(views::target::view(&state, version))
}
