//! The RPCs of `antt.v1.Projections`. Each reads its request through [`Fields`], waits
//! for the projections to have read what its axes need, and answers from one snapshot
//! of the store, on a blocking thread (a subtree walk reads many small rows).

use std::sync::Arc;

use antt_log::EventLog;
use antt_projections::bitemporal::{read_meta, Snapshot};
use antt_projections::query::{self, QueryError};
use antt_projections::store::SledStore;
use antt_proto::v1 as pb;
use antt_proto::v1::projections_server::{Projections as ProjectionsRpc, ProjectionsServer};
use tonic::{Request, Response, Status};

use super::axes::{self, Axes, Resolved};
use super::runner::Projections;
use crate::request::{self, Fields};
use crate::status;

pub struct ProjectionsService<L> {
    log: Arc<L>,
    projections: Projections,
}

impl<L: EventLog> ProjectionsService<L> {
    pub fn new(log: Arc<L>, projections: Projections) -> Self {
        ProjectionsService { log, projections }
    }

    pub fn into_server(self, max_message_bytes: usize) -> ProjectionsServer<Self> {
        ProjectionsServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }

    fn status(&self) -> pb::ProjectionStatus {
        let (_, progress) = self.projections.current();
        let progress = progress.borrow().clone();
        let rebuild = self.projections.rebuild_progress();
        let head = self.log.head().next_position;
        pb::ProjectionStatus {
            applied_position: progress.applied,
            head_position: head,
            lag_events: head.saturating_sub(progress.applied),
            halted: progress.halted.unwrap_or_default(),
            rebuilding: rebuild.running,
            rebuild_position: rebuild.applied,
            version: antt_projections::bitemporal::FORMAT_VERSION,
        }
    }

    /// Resolves `axes` and runs `answer` over the snapshot they name.
    async fn answer<T: Send + 'static>(
        &self,
        axes: Axes,
        answer: impl FnOnce(&Snapshot<'_, SledStore>, &Resolved) -> Result<T, QueryError> + Send + 'static,
    ) -> Result<T, Status> {
        let (resolved, store) = axes::resolve(self.log.as_ref(), &self.projections, &axes).await?;
        tokio::task::spawn_blocking(move || {
            // Every scan of the query sees the store at one applied position, which may
            // have moved on since the axes were resolved: the snapshot then reads the
            // versions withdrawn since as well.
            let _held = store.hold_writes();
            let (applied, _) = read_meta(store.as_ref())?;
            answer(&resolved.snapshot_at(&store, applied), &resolved)
        })
        .await
        .map_err(|error| status::inconsistent_records(format!("a projection query failed: {error}")))?
        .map_err(status::query_error)
    }
}

/// Reads a request with `read`, or refuses it naming every malformed field.
fn read<T>(read: impl FnOnce(&mut Fields) -> T) -> Result<T, Status> {
    let mut fields = Fields::default();
    let value = read(&mut fields);
    fields.finish()?;
    Ok(value)
}

fn area_label(area: &Option<pb::AreaSelector>) -> String {
    match area.as_ref().and_then(|selector| selector.area.as_ref()) {
        Some(pb::area_selector::Area::AreaId(id)) => id.clone(),
        Some(pb::area_selector::Area::Code(code)) => format!("code {code}"),
        None => String::new(),
    }
}

#[tonic::async_trait]
impl<L: EventLog> ProjectionsRpc for ProjectionsService<L> {
    async fn get_area_tree(
        &self,
        request: Request<pb::AreaTreeRequest>,
    ) -> Result<Response<pb::AreaTreeResponse>, Status> {
        let span =
            |r: &pb::AreaTreeRequest| tracing::info_span!("query", rpc = "GetAreaTree", area = area_label(&r.area));
        request::traced(request, span, |_, r| async move {
            let (axes, area) = read(|fields| (fields.axes(r.axes.as_ref()), fields.area(r.area.as_ref())))?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::area_tree(snapshot, &area)?;
                Ok(pb::AreaTreeResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_roster(&self, request: Request<pb::RosterRequest>) -> Result<Response<pb::RosterResponse>, Status> {
        let span = |r: &pb::RosterRequest| tracing::info_span!("query", rpc = "GetRoster", area = area_label(&r.area));
        request::traced(request, span, |_, r| async move {
            let (axes, area, force) = read(|fields| {
                let force: pb::ForceType = fields.optional_enumeration("force_type", r.force_type);
                (fields.axes(r.axes.as_ref()), fields.area(r.area.as_ref()), force)
            })?;
            let force = (force != pb::ForceType::Unspecified).then_some(force);
            self.answer(axes, move |snapshot, resolved| {
                let response = query::roster(snapshot, &area, force)?;
                Ok(pb::RosterResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_forces_summary(
        &self,
        request: Request<pb::ForcesSummaryRequest>,
    ) -> Result<Response<pb::ForcesSummaryResponse>, Status> {
        let span = |r: &pb::ForcesSummaryRequest| {
            tracing::info_span!("query", rpc = "GetForcesSummary", area = area_label(&r.area))
        };
        request::traced(request, span, |_, r| async move {
            let (axes, area, period) = read(|fields| {
                let axes = fields.axes(r.axes.as_ref());
                let period = fields.period(r.period.as_ref(), axes.as_of);
                (axes, fields.area(r.area.as_ref()), period)
            })?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::forces_summary(snapshot, &area, period)?;
                Ok(pb::ForcesSummaryResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_coverage(
        &self,
        request: Request<pb::CoverageRequest>,
    ) -> Result<Response<pb::CoverageResponse>, Status> {
        let span =
            |r: &pb::CoverageRequest| tracing::info_span!("query", rpc = "GetCoverage", area = area_label(&r.area));
        request::traced(request, span, |_, r| async move {
            let (axes, area) = read(|fields| (fields.axes(r.axes.as_ref()), fields.area(r.area.as_ref())))?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::coverage(snapshot, &area)?;
                Ok(pb::CoverageResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_incident_summary(
        &self,
        request: Request<pb::IncidentSummaryRequest>,
    ) -> Result<Response<pb::IncidentSummaryResponse>, Status> {
        let span = |r: &pb::IncidentSummaryRequest| {
            tracing::info_span!("query", rpc = "GetIncidentSummary", area = area_label(&r.area))
        };
        request::traced(request, span, |_, r| async move {
            let (axes, area, period) = read(|fields| {
                let axes = fields.axes(r.axes.as_ref());
                let period = fields.period(r.period.as_ref(), axes.as_of);
                (axes, fields.area(r.area.as_ref()), period)
            })?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::incident_summary(snapshot, &area, period)?;
                Ok(pb::IncidentSummaryResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_rating_summary(
        &self,
        request: Request<pb::RatingSummaryRequest>,
    ) -> Result<Response<pb::RatingSummaryResponse>, Status> {
        let span = |r: &pb::RatingSummaryRequest| {
            tracing::info_span!("query", rpc = "GetRatingSummary", area = area_label(&r.area))
        };
        request::traced(request, span, |_, r| async move {
            let (axes, area, year, level) = read(|fields| {
                let level: pb::AreaLevel = fields.enumeration("unit_level", r.unit_level);
                (
                    fields.axes(r.axes.as_ref()),
                    fields.area(r.area.as_ref()),
                    fields.year("year", r.year),
                    level,
                )
            })?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::rating_summary(snapshot, &area, year, level)?;
                Ok(pb::RatingSummaryResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_activity_summary(
        &self,
        request: Request<pb::ActivitySummaryRequest>,
    ) -> Result<Response<pb::ActivitySummaryResponse>, Status> {
        let span = |r: &pb::ActivitySummaryRequest| {
            tracing::info_span!("query", rpc = "GetActivitySummary", area = area_label(&r.area))
        };
        request::traced(request, span, |_, r| async move {
            let (axes, area, period) = read(|fields| {
                let axes = fields.axes(r.axes.as_ref());
                let period = fields.period(r.period.as_ref(), axes.as_of);
                (axes, fields.area(r.area.as_ref()), period)
            })?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::activity_summary(snapshot, &area, period)?;
                Ok(pb::ActivitySummaryResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_reported_figures(
        &self,
        request: Request<pb::ReportedFiguresRequest>,
    ) -> Result<Response<pb::ReportedFiguresResponse>, Status> {
        let span = |r: &pb::ReportedFiguresRequest| {
            tracing::info_span!("query", rpc = "GetReportedFigures", area = area_label(&r.area))
        };
        request::traced(request, span, |_, r| async move {
            let (axes, area, period) = read(|fields| {
                let axes = fields.axes(r.axes.as_ref());
                let period = fields.period(r.period.as_ref(), axes.as_of);
                (axes, fields.area(r.area.as_ref()), period)
            })?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::reported_figures(snapshot, &area, period)?;
                Ok(pb::ReportedFiguresResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_yearly_series(
        &self,
        request: Request<pb::YearlySeriesRequest>,
    ) -> Result<Response<pb::YearlySeriesResponse>, Status> {
        let span = |r: &pb::YearlySeriesRequest| {
            tracing::info_span!("query", rpc = "GetYearlySeries", area = area_label(&r.area))
        };
        request::traced(request, span, |_, r| async move {
            let (axes, area, years, level) = read(|fields| {
                let axes = fields.axes(r.axes.as_ref());
                let years = fields.years(r.first_year, r.last_year);
                let level: pb::AreaLevel = fields.optional_enumeration("rating_unit_level", r.rating_unit_level);
                (axes, fields.area(r.area.as_ref()), years, level)
            })?;
            let level = if level == pb::AreaLevel::Unspecified {
                pb::AreaLevel::ResidentialArea
            } else {
                level
            };
            self.answer(axes, move |snapshot, resolved| {
                let response = query::yearly_series(snapshot, &area, years.0, years.1, level)?;
                Ok(pb::YearlySeriesResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_team_history(
        &self,
        request: Request<pb::TeamHistoryRequest>,
    ) -> Result<Response<pb::TeamHistoryResponse>, Status> {
        let span =
            |r: &pb::TeamHistoryRequest| tracing::info_span!("query", rpc = "GetTeamHistory", team_id = r.team_id);
        request::traced(request, span, |_, r| async move {
            let (axes, team_id) = read(|fields| (fields.axes(r.axes.as_ref()), fields.uuid("team_id", &r.team_id)))?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::team_history(snapshot, &team_id.to_string())?;
                Ok(pb::TeamHistoryResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_person_history(
        &self,
        request: Request<pb::PersonHistoryRequest>,
    ) -> Result<Response<pb::PersonHistoryResponse>, Status> {
        let span = |r: &pb::PersonHistoryRequest| {
            tracing::info_span!("query", rpc = "GetPersonHistory", person_id = r.person_id)
        };
        request::traced(request, span, |_, r| async move {
            let (axes, person_id) =
                read(|fields| (fields.axes(r.axes.as_ref()), fields.uuid("person_id", &r.person_id)))?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::person_history(snapshot, &person_id.to_string())?;
                Ok(pb::PersonHistoryResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_remediation(
        &self,
        request: Request<pb::RemediationRequest>,
    ) -> Result<Response<pb::RemediationResponse>, Status> {
        let span = |r: &pb::RemediationRequest| {
            tracing::info_span!("query", rpc = "GetRemediation", inspection_id = r.inspection_id)
        };
        request::traced(request, span, |_, r| async move {
            let (axes, inspection_id) = read(|fields| {
                (
                    fields.axes(r.axes.as_ref()),
                    fields.uuid("inspection_id", &r.inspection_id),
                )
            })?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::remediation(snapshot, &inspection_id.to_string())?;
                Ok(pb::RemediationResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_target_attainment(
        &self,
        request: Request<pb::TargetAttainmentRequest>,
    ) -> Result<Response<pb::TargetAttainmentResponse>, Status> {
        let span = |r: &pb::TargetAttainmentRequest| {
            tracing::info_span!("query", rpc = "GetTargetAttainment", target_id = r.target_id)
        };
        request::traced(request, span, |_, r| async move {
            let (axes, target_id) =
                read(|fields| (fields.axes(r.axes.as_ref()), fields.uuid("target_id", &r.target_id)))?;
            self.answer(axes, move |snapshot, resolved| {
                let response = query::target_attainment(snapshot, &target_id.to_string())?;
                Ok(pb::TargetAttainmentResponse {
                    answered: Some(resolved.answered()),
                    ..response
                })
            })
            .await
        })
        .await
    }

    async fn get_projection_status(
        &self,
        _request: Request<pb::ProjectionStatusRequest>,
    ) -> Result<Response<pb::ProjectionStatus>, Status> {
        Ok(Response::new(self.status()))
    }

    async fn rebuild_projections(
        &self,
        _request: Request<pb::RebuildProjectionsRequest>,
    ) -> Result<Response<pb::ProjectionStatus>, Status> {
        if !self.projections.start_rebuild(Arc::clone(&self.log)) {
            tracing::info!("a rebuild was asked for while one runs");
        }
        Ok(Response::new(self.status()))
    }
}
