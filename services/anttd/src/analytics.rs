//! The `antt.v1.Analytics` service: the projections' rows of an area and its subtree,
//! streamed in bounded chunks for tools that read tables (`antt export` writes them as
//! CSV or Parquet).
//!
//! A request is read through [`Fields`] and its axes resolved as the Projections service
//! resolves them. The areas are listed first, so that an unknown area is the call's
//! status; then a blocking task walks them one at a time, reading each one's rows from
//! one snapshot and sending chunks through a small channel, so a slow client slows the
//! walk down instead of filling memory, and a client that goes away stops it.

use std::sync::Arc;

use antt_domain::Date;
use antt_log::EventLog;
use antt_projections::bitemporal::Snapshot;
use antt_projections::query::{self, AreaRef, Period, QueryError};
use antt_projections::store::SledStore;
use antt_proto::v1 as pb;
use antt_proto::v1::analytics_server::{Analytics as AnalyticsRpc, AnalyticsServer};
use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use crate::projections::axes::{self, Axes, Resolved};
use crate::projections::Projections;
use crate::request::{self, Fields};
use crate::streams::ResponseStream;
use crate::{limits, status};

pub struct AnalyticsService<L> {
    log: Arc<L>,
    projections: Projections,
}

impl<L: EventLog> AnalyticsService<L> {
    pub fn new(log: Arc<L>, projections: Projections) -> Self {
        AnalyticsService { log, projections }
    }

    pub fn into_server(self, max_message_bytes: usize) -> AnalyticsServer<Self> {
        AnalyticsServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }
}

/// What an export lists, with what that query needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Query {
    Members,
    Teams,
    MemberChanges(Period),
    Incidents(Period),
    Ratings { from_year: i32, to_year: i32 },
    Areas,
}

impl Query {
    /// The day whose areas are walked: a period's rows are read as its last day's
    /// records stand (as the summaries count them), every other query's on `as_of`.
    fn areas_on(self, as_of: Date) -> Date {
        match self {
            Query::MemberChanges(period) | Query::Incidents(period) => period.to,
            _ => as_of,
        }
    }
}

/// An export request as read.
struct Export {
    axes: Axes,
    area: AreaRef,
    query: Query,
}

/// Reads the request, or refuses it naming every malformed field.
fn read(request: &pb::ExportRowsRequest) -> Result<Export, Status> {
    let mut fields = Fields::default();
    let axes = fields.axes(request.axes.as_ref());
    let area = fields.area(request.area.as_ref());
    let wanted: pb::ExportQuery = fields.enumeration("query", request.query);
    let query = match wanted {
        pb::ExportQuery::Members => Query::Members,
        pb::ExportQuery::Teams => Query::Teams,
        pb::ExportQuery::MemberChanges => Query::MemberChanges(fields.period(request.period.as_ref(), axes.as_of)),
        pb::ExportQuery::Incidents => Query::Incidents(fields.period(request.period.as_ref(), axes.as_of)),
        pb::ExportQuery::Ratings => years(&mut fields, request, axes.as_of),
        pb::ExportQuery::Areas => Query::Areas,
        // Already named by `enumeration`; the request is refused below.
        pb::ExportQuery::Unspecified => Query::Areas,
    };
    fields.finish()?;
    Ok(Export { axes, area, query })
}

/// `from_year` and `to_year`, both included; neither given: the year of `as_of`.
fn years(fields: &mut Fields, request: &pb::ExportRowsRequest, as_of: Date) -> Query {
    if request.from_year == 0 && request.to_year == 0 {
        return Query::Ratings {
            from_year: as_of.year(),
            to_year: as_of.year(),
        };
    }
    let from_year = fields.year("from_year", request.from_year);
    let to_year = fields.year("to_year", request.to_year);
    if from_year > to_year {
        fields.violate("to_year", format!("is before from_year ({to_year} < {from_year})"));
    }
    Query::Ratings { from_year, to_year }
}

fn label(request: &pb::ExportRowsRequest) -> (String, &'static str) {
    let area = match request.area.as_ref().and_then(|selector| selector.area.as_ref()) {
        Some(pb::area_selector::Area::AreaId(id)) => id.clone(),
        Some(pb::area_selector::Area::Code(code)) => format!("code {code}"),
        None => String::new(),
    };
    let query = pb::ExportQuery::try_from(request.query).map_or("unknown", |query| query.as_str_name());
    (area, query)
}

#[tonic::async_trait]
impl<L: EventLog> AnalyticsRpc for AnalyticsService<L> {
    type ExportRowsStream = ResponseStream<pb::ExportRowsChunk>;

    async fn export_rows(
        &self,
        request: Request<pb::ExportRowsRequest>,
    ) -> Result<Response<Self::ExportRowsStream>, Status> {
        let span = |r: &pb::ExportRowsRequest| {
            let (area, query) = label(r);
            tracing::info_span!("query", rpc = "ExportRows", area, query)
        };
        request::traced(request, span, |_, r| async move {
            let export = read(&r)?;
            let (resolved, store) = axes::resolve(self.log.as_ref(), &self.projections, &export.axes).await?;
            let query = export.query;
            let areas = blocking({
                let store = Arc::clone(&store);
                let on = query.areas_on(resolved.as_of);
                let known = resolved.known;
                move || query::export_areas(&query::export_snapshot(store.as_ref(), on, known), &export.area)
            })
            .await?;
            let (sender, receiver) = mpsc::channel(limits::EXPORT_CHUNKS_BUFFERED_MAX);
            let span = tracing::Span::current();
            tokio::task::spawn_blocking(move || {
                let _entered = span.enter();
                let mut chunks = Chunks::new(resolved.answered(), sender);
                let outcome = walk(&store, &resolved, query, areas, &mut chunks).and_then(|()| chunks.finish());
                match outcome {
                    Ok(()) => tracing::info!(rows = chunks.rows, "export streamed"),
                    Err(Stop::ClientGone) => tracing::info!(rows = chunks.rows, "the client left the export"),
                    Err(Stop::Failed(status)) => chunks.fail(status),
                }
            });
            let stream: Self::ExportRowsStream = Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver));
            Ok(stream)
        })
        .await
    }
}

/// Runs a query on a blocking thread (a subtree walk reads many small rows).
async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, QueryError> + Send + 'static,
) -> Result<T, Status> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|error| status::inconsistent_records(format!("an export query failed: {error}")))?
        .map_err(status::query_error)
}

/// Why a walk stopped before its end.
enum Stop {
    /// The client cancelled or disconnected: nobody reads on.
    ClientGone,
    /// A read failed; the client is told in the stream.
    Failed(Status),
}

impl From<QueryError> for Stop {
    fn from(error: QueryError) -> Self {
        Stop::Failed(status::query_error(error))
    }
}

/// Every row of `query` in `areas`, in the order of the areas, read from one snapshot.
fn walk(
    store: &SledStore,
    resolved: &Resolved,
    query: Query,
    areas: Vec<pb::AreaNode>,
    chunks: &mut Chunks,
) -> Result<(), Stop> {
    let snapshot: Snapshot<'_, SledStore> = query::export_snapshot(store, resolved.as_of, resolved.known);
    if query == Query::Areas {
        for node in areas {
            chunks.push(|chunk| chunk.areas.push(node))?;
        }
        return Ok(());
    }
    for node in &areas {
        let area_id = node.area_id.as_str();
        match query {
            Query::Members => {
                for team in query::teams_in(&snapshot, area_id)? {
                    for member in &team.members {
                        let row = pb::ExportMemberRow {
                            team_id: team.team_id.clone(),
                            team_name: team.name.clone(),
                            force_type: team.force_type,
                            area_id: team.area_id.clone(),
                            person_id: member.person_id.clone(),
                            role: member.role,
                            since: member.since,
                        };
                        chunks.push(|chunk| chunk.members.push(row))?;
                    }
                }
            }
            Query::Teams => {
                for team in query::teams_in(&snapshot, area_id)? {
                    chunks.push(|chunk| chunk.teams.push(team))?;
                }
            }
            Query::MemberChanges(period) => {
                for change in query::member_changes_in(&snapshot, area_id, period)? {
                    chunks.push(|chunk| chunk.member_changes.push(change))?;
                }
            }
            Query::Incidents(period) => {
                for incident in query::incidents_in(&snapshot, area_id, period)? {
                    chunks.push(|chunk| chunk.incidents.push(incident))?;
                }
            }
            Query::Ratings { from_year, to_year } => {
                for rating in query::ratings_of(&snapshot, area_id, from_year, to_year)? {
                    chunks.push(|chunk| chunk.ratings.push(rating))?;
                }
            }
            Query::Areas => {}
        }
    }
    Ok(())
}

/// Rows gathered into chunks of at most [`limits::EXPORT_CHUNK_ROWS_MAX`], each sent
/// when full; every chunk states the axes.
struct Chunks {
    answered: pb::AnswerAxes,
    sender: mpsc::Sender<Result<pb::ExportRowsChunk, Status>>,
    current: pb::ExportRowsChunk,
    in_current: usize,
    sent: usize,
    rows: u64,
}

impl Chunks {
    fn new(answered: pb::AnswerAxes, sender: mpsc::Sender<Result<pb::ExportRowsChunk, Status>>) -> Self {
        Chunks {
            current: Self::empty(answered),
            answered,
            sender,
            in_current: 0,
            sent: 0,
            rows: 0,
        }
    }

    fn empty(answered: pb::AnswerAxes) -> pb::ExportRowsChunk {
        pb::ExportRowsChunk {
            answered: Some(answered),
            ..Default::default()
        }
    }

    fn push(&mut self, add: impl FnOnce(&mut pb::ExportRowsChunk)) -> Result<(), Stop> {
        add(&mut self.current);
        self.in_current += 1;
        self.rows += 1;
        if self.in_current >= limits::EXPORT_CHUNK_ROWS_MAX {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), Stop> {
        let chunk = std::mem::replace(&mut self.current, Self::empty(self.answered));
        self.in_current = 0;
        self.sent += 1;
        // Waits while the channel is full: the client sets the pace.
        self.sender.blocking_send(Ok(chunk)).map_err(|_| Stop::ClientGone)
    }

    /// Sends what is left; an export with no rows still answers one chunk, with its axes.
    fn finish(&mut self) -> Result<(), Stop> {
        if self.in_current > 0 || self.sent == 0 {
            self.send()?;
        }
        Ok(())
    }

    fn fail(&self, status: Status) {
        // The client may be gone too; then nobody is told, as nobody asks.
        let _ = self.sender.blocking_send(Err(status));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: pb::ExportQuery) -> pb::ExportRowsRequest {
        pb::ExportRowsRequest {
            axes: Some(pb::TimeAxes {
                as_of: Some(pb::Date {
                    year: 2021,
                    month: 6,
                    day: 30,
                }),
                ..Default::default()
            }),
            area: Some(pb::AreaSelector {
                area: Some(pb::area_selector::Area::Code("38".into())),
            }),
            query: query as i32,
            ..Default::default()
        }
    }

    fn violations(status: &Status) -> Vec<String> {
        use tonic_types::StatusExt;
        status
            .get_details_bad_request()
            .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
            .unwrap_or_default()
    }

    #[test]
    fn periods_and_years_default_to_the_year_of_as_of() {
        let export = read(&request(pb::ExportQuery::Incidents)).unwrap();
        let from = Date::new(2021, 1, 1).unwrap();
        let to = Date::new(2021, 6, 30).unwrap();
        assert_eq!(export.query, Query::Incidents(Period { from, to }));
        assert_eq!(export.query.areas_on(Date::new(2021, 6, 30).unwrap()), to);
        let export = read(&request(pb::ExportQuery::Ratings)).unwrap();
        assert_eq!(
            export.query,
            Query::Ratings {
                from_year: 2021,
                to_year: 2021
            }
        );
    }

    #[test]
    fn a_missing_query_and_inverted_years_are_named() {
        let status = read(&request(pb::ExportQuery::Unspecified)).err().unwrap();
        assert_eq!(violations(&status), vec!["query"]);
        let inverted = pb::ExportRowsRequest {
            from_year: 2020,
            to_year: 2019,
            ..request(pb::ExportQuery::Ratings)
        };
        let status = read(&inverted).err().unwrap();
        assert_eq!(violations(&status), vec!["to_year"]);
    }

    #[test]
    fn chunks_are_bounded_and_an_empty_export_has_one() {
        let (sender, mut receiver) = mpsc::channel(limits::EXPORT_CHUNK_ROWS_MAX * 3);
        let mut chunks = Chunks::new(pb::AnswerAxes::default(), sender);
        chunks.finish().map_err(|_| "finish").unwrap();
        assert_eq!(receiver.try_recv().unwrap().unwrap().areas.len(), 0);

        let (sender, mut receiver) = mpsc::channel(limits::EXPORT_CHUNK_ROWS_MAX * 3);
        let mut chunks = Chunks::new(pb::AnswerAxes::default(), sender);
        for _ in 0..limits::EXPORT_CHUNK_ROWS_MAX + 1 {
            chunks
                .push(|chunk| chunk.areas.push(pb::AreaNode::default()))
                .map_err(|_| "push")
                .unwrap();
        }
        chunks.finish().map_err(|_| "finish").unwrap();
        let sizes: Vec<usize> = std::iter::from_fn(|| receiver.try_recv().ok())
            .map(|chunk| chunk.unwrap().areas.len())
            .collect();
        assert_eq!(sizes, vec![limits::EXPORT_CHUNK_ROWS_MAX, 1]);
    }
}
