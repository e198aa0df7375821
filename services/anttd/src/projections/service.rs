//! The RPCs of `antt.v1.Projections`. Each reads its request through [`Fields`], waits
//! for the projections to have read what its axes need, and answers from one snapshot
//! of the store, on a blocking thread (a subtree walk reads many small rows).

use std::sync::Arc;

use antt_log::EventLog;
use antt_projections::bitemporal::{read_meta, Snapshot};
use antt_projections::query::{self, AreaRef, Period, QueryError};
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

/// The axes, the area and the period of a request about an area over a period.
fn area_over_period(
    fields: &mut Fields,
    axes: &Option<pb::TimeAxes>,
    area: &Option<pb::AreaSelector>,
    period: &Option<pb::Period>,
) -> (Axes, (AreaRef, Period)) {
    let axes = fields.axes(axes.as_ref());
    let period = fields.period(period.as_ref(), axes.as_of);
    (axes, (fields.area(area.as_ref()), period))
}

/// An answer that states the axes it was read on.
trait Answered {
    fn answered_on(self, axes: pb::AnswerAxes) -> Self;
}

macro_rules! answered {
    ($($response:ty),* $(,)?) => {
        $(impl Answered for $response {
            fn answered_on(mut self, axes: pb::AnswerAxes) -> Self {
                self.answered = Some(axes);
                self
            }
        })*
    };
}

answered!(
    pb::AreaTreeResponse,
    pb::RosterResponse,
    pb::ForcesSummaryResponse,
    pb::CoverageResponse,
    pb::IncidentSummaryResponse,
    pb::RatingSummaryResponse,
    pb::ActivitySummaryResponse,
    pb::ReportedFiguresResponse,
    pb::YearlySeriesResponse,
    pb::TeamHistoryResponse,
    pb::PersonHistoryResponse,
    pb::RemediationResponse,
    pb::TargetAttainmentResponse,
);

impl<L: EventLog> ProjectionsService<L> {
    /// One query RPC: traced with its name and what it is about (`about`); the request
    /// read by `read` into its axes and the query's own arguments; the answer from one
    /// snapshot, stating the axes it was read on.
    async fn query<M, A, T>(
        &self,
        rpc: &'static str,
        request: Request<M>,
        about: fn(&M) -> String,
        read_request: impl FnOnce(&mut Fields, &M) -> (Axes, A),
        answer: impl FnOnce(&Snapshot<'_, SledStore>, A) -> Result<T, QueryError> + Send + 'static,
    ) -> Result<Response<T>, Status>
    where
        A: Send + 'static,
        T: Answered + Send + 'static,
    {
        let span = |r: &M| tracing::info_span!("query", rpc, about = about(r));
        request::traced(request, span, |_, r| async move {
            let (axes, arguments) = read(|fields| read_request(fields, &r))?;
            self.answer(axes, move |snapshot, resolved| {
                Ok(answer(snapshot, arguments)?.answered_on(resolved.answered()))
            })
            .await
        })
        .await
    }
}

#[tonic::async_trait]
impl<L: EventLog> ProjectionsRpc for ProjectionsService<L> {
    async fn get_area_tree(
        &self,
        request: Request<pb::AreaTreeRequest>,
    ) -> Result<Response<pb::AreaTreeResponse>, Status> {
        let read =
            |fields: &mut Fields, r: &pb::AreaTreeRequest| (fields.axes(r.axes.as_ref()), fields.area(r.area.as_ref()));
        self.query(
            "GetAreaTree",
            request,
            |r| area_label(&r.area),
            read,
            |snapshot, area| query::area_tree(snapshot, &area),
        )
        .await
    }

    async fn get_roster(&self, request: Request<pb::RosterRequest>) -> Result<Response<pb::RosterResponse>, Status> {
        let read = |fields: &mut Fields, r: &pb::RosterRequest| {
            let force: pb::ForceType = fields.optional_enumeration("force_type", r.force_type);
            let force = (force != pb::ForceType::Unspecified).then_some(force);
            (fields.axes(r.axes.as_ref()), (fields.area(r.area.as_ref()), force))
        };
        self.query(
            "GetRoster",
            request,
            |r| area_label(&r.area),
            read,
            |snapshot, (area, force)| query::roster(snapshot, &area, force),
        )
        .await
    }

    async fn get_forces_summary(
        &self,
        request: Request<pb::ForcesSummaryRequest>,
    ) -> Result<Response<pb::ForcesSummaryResponse>, Status> {
        let read =
            |fields: &mut Fields, r: &pb::ForcesSummaryRequest| area_over_period(fields, &r.axes, &r.area, &r.period);
        self.query(
            "GetForcesSummary",
            request,
            |r| area_label(&r.area),
            read,
            |snapshot, (area, period)| query::forces_summary(snapshot, &area, period),
        )
        .await
    }

    async fn get_coverage(
        &self,
        request: Request<pb::CoverageRequest>,
    ) -> Result<Response<pb::CoverageResponse>, Status> {
        let read =
            |fields: &mut Fields, r: &pb::CoverageRequest| (fields.axes(r.axes.as_ref()), fields.area(r.area.as_ref()));
        self.query(
            "GetCoverage",
            request,
            |r| area_label(&r.area),
            read,
            |snapshot, area| query::coverage(snapshot, &area),
        )
        .await
    }

    async fn get_incident_summary(
        &self,
        request: Request<pb::IncidentSummaryRequest>,
    ) -> Result<Response<pb::IncidentSummaryResponse>, Status> {
        let read =
            |fields: &mut Fields, r: &pb::IncidentSummaryRequest| area_over_period(fields, &r.axes, &r.area, &r.period);
        self.query(
            "GetIncidentSummary",
            request,
            |r| area_label(&r.area),
            read,
            |snapshot, (area, period)| query::incident_summary(snapshot, &area, period),
        )
        .await
    }

    async fn get_rating_summary(
        &self,
        request: Request<pb::RatingSummaryRequest>,
    ) -> Result<Response<pb::RatingSummaryResponse>, Status> {
        let read = |fields: &mut Fields, r: &pb::RatingSummaryRequest| {
            let level: pb::AreaLevel = fields.enumeration("unit_level", r.unit_level);
            let axes = fields.axes(r.axes.as_ref());
            (axes, (fields.area(r.area.as_ref()), fields.year("year", r.year), level))
        };
        self.query(
            "GetRatingSummary",
            request,
            |r| area_label(&r.area),
            read,
            |snapshot, (area, year, level)| query::rating_summary(snapshot, &area, year, level),
        )
        .await
    }

    async fn get_activity_summary(
        &self,
        request: Request<pb::ActivitySummaryRequest>,
    ) -> Result<Response<pb::ActivitySummaryResponse>, Status> {
        let read =
            |fields: &mut Fields, r: &pb::ActivitySummaryRequest| area_over_period(fields, &r.axes, &r.area, &r.period);
        self.query(
            "GetActivitySummary",
            request,
            |r| area_label(&r.area),
            read,
            |snapshot, (area, period)| query::activity_summary(snapshot, &area, period),
        )
        .await
    }

    async fn get_reported_figures(
        &self,
        request: Request<pb::ReportedFiguresRequest>,
    ) -> Result<Response<pb::ReportedFiguresResponse>, Status> {
        let read =
            |fields: &mut Fields, r: &pb::ReportedFiguresRequest| area_over_period(fields, &r.axes, &r.area, &r.period);
        self.query(
            "GetReportedFigures",
            request,
            |r| area_label(&r.area),
            read,
            |snapshot, (area, period)| query::reported_figures(snapshot, &area, period),
        )
        .await
    }

    async fn get_yearly_series(
        &self,
        request: Request<pb::YearlySeriesRequest>,
    ) -> Result<Response<pb::YearlySeriesResponse>, Status> {
        let read = |fields: &mut Fields, r: &pb::YearlySeriesRequest| {
            let axes = fields.axes(r.axes.as_ref());
            let years = fields.years(r.first_year, r.last_year);
            let level: pb::AreaLevel = fields.optional_enumeration("rating_unit_level", r.rating_unit_level);
            // Residential areas unless another kind of unit is asked for.
            let level = Some(level)
                .filter(|level| *level != pb::AreaLevel::Unspecified)
                .unwrap_or(pb::AreaLevel::ResidentialArea);
            (axes, (fields.area(r.area.as_ref()), years, level))
        };
        self.query(
            "GetYearlySeries",
            request,
            |r| area_label(&r.area),
            read,
            |snapshot, (area, years, level)| query::yearly_series(snapshot, &area, years.0, years.1, level),
        )
        .await
    }

    async fn get_team_history(
        &self,
        request: Request<pb::TeamHistoryRequest>,
    ) -> Result<Response<pb::TeamHistoryResponse>, Status> {
        let read = |fields: &mut Fields, r: &pb::TeamHistoryRequest| {
            (fields.axes(r.axes.as_ref()), fields.uuid("team_id", &r.team_id))
        };
        self.query(
            "GetTeamHistory",
            request,
            |r| r.team_id.clone(),
            read,
            |snapshot, team_id| query::team_history(snapshot, &team_id.to_string()),
        )
        .await
    }

    async fn get_person_history(
        &self,
        request: Request<pb::PersonHistoryRequest>,
    ) -> Result<Response<pb::PersonHistoryResponse>, Status> {
        let read = |fields: &mut Fields, r: &pb::PersonHistoryRequest| {
            (fields.axes(r.axes.as_ref()), fields.uuid("person_id", &r.person_id))
        };
        self.query(
            "GetPersonHistory",
            request,
            |r| r.person_id.clone(),
            read,
            |snapshot, person_id| query::person_history(snapshot, &person_id.to_string()),
        )
        .await
    }

    async fn get_remediation(
        &self,
        request: Request<pb::RemediationRequest>,
    ) -> Result<Response<pb::RemediationResponse>, Status> {
        let read = |fields: &mut Fields, r: &pb::RemediationRequest| {
            (
                fields.axes(r.axes.as_ref()),
                fields.uuid("inspection_id", &r.inspection_id),
            )
        };
        self.query(
            "GetRemediation",
            request,
            |r| r.inspection_id.clone(),
            read,
            |snapshot, inspection_id| query::remediation(snapshot, &inspection_id.to_string()),
        )
        .await
    }

    async fn get_target_attainment(
        &self,
        request: Request<pb::TargetAttainmentRequest>,
    ) -> Result<Response<pb::TargetAttainmentResponse>, Status> {
        let read = |fields: &mut Fields, r: &pb::TargetAttainmentRequest| {
            (fields.axes(r.axes.as_ref()), fields.uuid("target_id", &r.target_id))
        };
        self.query(
            "GetTargetAttainment",
            request,
            |r| r.target_id.clone(),
            read,
            |snapshot, target_id| query::target_attainment(snapshot, &target_id.to_string()),
        )
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
