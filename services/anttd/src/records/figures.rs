//! Reported figures (số liệu báo cáo) and their corrections: `figure-<uuid>`.

use antt_domain::figure::{self, Figure, Period, Value};
use antt_log::EventLog;
use antt_proto::v1 as pb;
use tonic::Status;

use crate::commands::Commands;
use crate::request::{self, Fields, Planned};

pub(crate) const FIGURE: &str = "figure";

/// The domain calls the source document "source" and the period "period"; the client
/// gave the source in the header and the period as one case of the oneof.
const YEAR_PATHS: &[(&str, &str)] = &[("source", "header.decision"), ("period", "year")];
const DAYS_PATHS: &[(&str, &str)] = &[("source", "header.decision"), ("period", "days")];

pub(super) async fn plan_report<L: EventLog>(
    commands: &Commands<L>,
    r: pb::ReportFigureRequest,
) -> Result<Planned<Figure>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let figure_id = fields.uuid("figure_id", &r.figure_id);
    let unit_area_id = fields.uuid("unit_area_id", &r.unit_area_id);
    // The source document the figure is taken from.
    let source = fields.required_decision();
    let indicator = fields.enumeration("indicator", r.indicator);
    let force_type = fields.optional_enumeration("force_type", r.force_type);
    let handling_level = fields.optional_enumeration("handling_level", r.handling_level);
    let unit_level = fields.optional_enumeration("unit_level", r.unit_level);
    let (period, paths) = period(&mut fields, r.period);
    let value = value(&mut fields, r.value);
    fields.finish()?;
    let unit = request::area_facts(commands, "unit_area_id", unit_area_id).await?;
    let command = figure::Command::Report(figure::Report {
        figure_id,
        unit,
        indicator,
        indicator_name: r.indicator_name,
        force_type,
        handling_level,
        unit_level,
        period,
        value,
        source,
        effective_date: header.effective_date,
    });
    Ok(Planned::new(request::stream_id(FIGURE, figure_id), header, command).with_paths(paths))
}

/// The period as given: a calendar year, or first and last days.
fn period(
    fields: &mut Fields,
    period: Option<pb::report_figure_request::Period>,
) -> (Period, &'static [(&'static str, &'static str)]) {
    use pb::report_figure_request::Period as Wire;
    match period {
        Some(Wire::Year(year)) => (Period::year(fields.year("year", year)), YEAR_PATHS),
        Some(Wire::Days(days)) => {
            let first_day = fields.date("days.first_day", days.first_day.as_ref());
            let last_day = fields.date("days.last_day", days.last_day.as_ref());
            (Period { first_day, last_day }, DAYS_PATHS)
        }
        None => {
            fields.violate(
                "period",
                "give what the figure is about: a year, or days (first and last)",
            );
            (Period::year(0), YEAR_PATHS)
        }
    }
}

/// A value as given; the domain checks its bounds.
fn value(fields: &mut Fields, value: Option<pb::FigureValue>) -> Value {
    let Some(value) = value else {
        fields.violate("value", "give the count as the source states it, and how exactly");
        return Value {
            count: 0,
            precision: pb::FigurePrecision::Unspecified,
            out_of: None,
            share_permille: None,
        };
    };
    Value {
        count: value.count,
        precision: fields.enumeration("value.precision", value.precision),
        out_of: value.out_of,
        share_permille: value.share_permille,
    }
}

/// A correction needs nothing about other records: the figure it corrects is bound to its
/// area already.
pub(super) fn plan_correct(r: pb::CorrectFigureRequest) -> Result<Planned<Figure>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let figure_id = fields.uuid("figure_id", &r.figure_id);
    let correction_id = fields.uuid("correction_id", &r.correction_id);
    let corrects_id = fields.uuid("corrects_id", &r.corrects_id);
    let value = value(&mut fields, r.value);
    fields.finish()?;
    let command = figure::Command::Correct(figure::Correct {
        correction_id,
        corrects_id,
        value,
        reason: r.reason,
        source: header.decision.clone(),
        effective_date: header.effective_date,
    });
    let paths: &[(&str, &str)] = &[("source", "header.decision")];
    Ok(Planned::new(request::stream_id(FIGURE, figure_id), header, command).with_paths(paths))
}

pub(super) async fn view<L: EventLog>(
    commands: &Commands<L>,
    r: pb::GetFigureRequest,
) -> Result<pb::FigureView, Status> {
    let (figure_id, as_of) = request::id_as_of("figure_id", &r.figure_id, r.as_of.as_ref())?;
    let (state, version) = request::load_as_of::<Figure, L>(commands, FIGURE, figure_id, as_of).await?;
    let history: Vec<pb::FigureEntry> = state
        .entries
        .iter()
        .map(|entry| pb::FigureEntry {
            entry_id: entry.entry_id.clone(),
            corrects_id: entry.corrects_id.clone().unwrap_or_default(),
            value: Some(entry.value),
            reason: entry.reason.clone(),
            source: entry.source.clone(),
            effective_date: Some(entry.effective_date.to_proto()),
        })
        .collect();
    Ok(pb::FigureView {
        value: state.current().map(|entry| entry.value),
        figure: state.figure,
        history,
        as_of: Some(as_of.to_proto()),
        version,
    })
}
