//! `ExportArea`: an area's records up to a date, as the log stood at one checkpoint.
//!
//! The checkpoint is chosen first; the projections, which lag the log, are waited for
//! (bounded, as every projection query waits) until they have applied the log up to its
//! size, and read as a reader who knew exactly those events. So the records listed and
//! the events carried are the same prefix of the log, whatever is appended meanwhile.
//! Then a task reads each record's stream and sends its events with their proofs through
//! a small channel: a slow client slows the reading down instead of filling memory, and
//! a client that goes away stops it.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use antt_domain::Date;
use antt_log::VerifiableLog;
use antt_projections::query::{self, AreaRef, Located};
use antt_projections::store::SledStore;
use antt_proto::v1 as pb;
use tokio::sync::mpsc;
use tonic::Status;
use uuid::Uuid;

use super::service::{export_item, Proven};
use super::stream_events::dense_events;
use crate::projections::axes;
use crate::projections::Projections;
use crate::request::Fields;
use crate::{areas, forces, incidents, inspections, limits, ratings, records, request, status, targets};

/// The first day of the 2025 reform's code list (its communes and provinces).
const REFORM_2025_FIRST_DAY: (i32, u32, u32) = (2025, 7, 1);

/// An area export as asked for.
pub(super) struct AreaRequest {
    area: AreaRef,
    /// The day the area's code is read on: the date, or a day of the code list named.
    code_day: Date,
    until: Date,
    include_subtree: bool,
}

/// Reads the request, naming every malformed field.
pub(super) fn read(request: &pb::ExportAreaRequest) -> Result<AreaRequest, Status> {
    let mut fields = Fields::default();
    let area = fields.area(request.area.as_ref());
    let until = fields.date("effective_on_or_before", request.effective_on_or_before.as_ref());
    let (year, month, day) = REFORM_2025_FIRST_DAY;
    let reform = Date::new(year, month, day).map_err(|error| status::inconsistent_records(error.to_string()))?;
    let code_day = match (request.code_list.as_str(), &area) {
        ("", _) => until,
        (_, AreaRef::Id(_)) => {
            fields.violate(
                "code_list",
                "names the list of area.code; leave it unset with area.area_id",
            );
            until
        }
        ("2024", _) => until.min(Date::from_days_since_unix_epoch(reform.days_since_unix_epoch() - 1)),
        ("2025", _) => until.max(reform),
        (other, _) => {
            fields.violate(
                "code_list",
                format!("{other:?} is not a code list: 2024 (before 01/07/2025) or 2025"),
            );
            until
        }
    };
    fields.finish()?;
    Ok(AreaRequest {
        area,
        code_day,
        until,
        include_subtree: request.include_subtree.unwrap_or(true),
    })
}

/// What the export covers, read from the projections at the checkpoint's size.
pub(super) struct Scope {
    root: pb::AreaNode,
    areas: Vec<pb::AreaNode>,
    streams: Vec<(String, &'static str)>,
}

/// The area, the areas under it and the streams of their records, as the projections
/// stood once they had applied the log up to `size`.
pub(super) async fn scope<L: VerifiableLog>(
    log: &L,
    projections: &Projections,
    asked: &AreaRequest,
    size: u64,
) -> Result<Scope, Status> {
    let (store, progress) = projections.current();
    axes::wait_for(progress, size, log.head().next_position).await?;
    let (area, code_day, until, include_subtree) =
        (asked.area.clone(), asked.code_day, asked.until, asked.include_subtree);
    tokio::task::spawn_blocking(move || read_scope(&store, size, area, code_day, until, include_subtree))
        .await
        .map_err(|error| status::inconsistent_records(format!("an area export's scope failed: {error}")))?
}

fn read_scope(
    store: &SledStore,
    known: u64,
    area: AreaRef,
    code_day: Date,
    until: Date,
    include_subtree: bool,
) -> Result<Scope, Status> {
    let on_date = query::export_snapshot(store, until, known);
    let root = match &area {
        AreaRef::Code(_) if code_day != until => {
            let by_code = query::export_snapshot(store, code_day, known);
            let found = query::resolve_area(&by_code, &area).map_err(status::query_error)?;
            query::resolve_area(&on_date, &AreaRef::Id(found.area_id))
        }
        _ => query::resolve_area(&on_date, &area),
    }
    .map_err(status::query_error)?;
    let mut areas = vec![root.clone()];
    if include_subtree {
        areas.extend(query::subtree(&on_date, &root).map_err(status::query_error)?);
    }
    let mut located = BTreeSet::new();
    for node in &areas {
        located.extend(query::located_in(&on_date, &node.area_id).map_err(status::query_error)?);
        if located.len() > limits::AREA_EXPORT_STREAMS_MAX {
            return Err(too_many_streams());
        }
    }
    let area_ids: HashSet<String> = areas.iter().map(|node| node.area_id.clone()).collect();
    located.extend(query::targets_with_units_in(&on_date, &area_ids).map_err(status::query_error)?);
    if located.len() > limits::AREA_EXPORT_STREAMS_MAX {
        return Err(too_many_streams());
    }
    let streams = located
        .iter()
        .map(|record| Ok((stream_of(record)?, record.kind())))
        .collect::<Result<_, Status>>()?;
    Ok(Scope { root, areas, streams })
}

fn too_many_streams() -> Status {
    status::too_many(format!(
        "the area has more than {} records to export; export an area under it, or up to an earlier date",
        limits::AREA_EXPORT_STREAMS_MAX
    ))
}

/// The stream of a record, named by the function each service writes it with.
fn stream_of(record: &Located) -> Result<String, Status> {
    let uuid = |id: &str| {
        Uuid::parse_str(id)
            .map_err(|_| status::inconsistent_records(format!("the projections name a record {id:?} that is no uuid")))
    };
    Ok(match record {
        Located::Area(id) => areas::stream_id(uuid(id)?),
        Located::Team(id) => forces::team_stream(uuid(id)?),
        Located::Rating { unit_area_id, year } => ratings::rating_stream(uuid(unit_area_id)?, *year),
        Located::Incident(id) => request::stream_id(incidents::INCIDENT, uuid(id)?),
        Located::Tip(id) => request::stream_id(incidents::TIP, uuid(id)?),
        Located::Arrest(id) => request::stream_id(incidents::ARREST, uuid(id)?),
        Located::Document(id) => request::stream_id(records::DOCUMENT, uuid(id)?),
        Located::Conference(id) => request::stream_id(records::CONFERENCE, uuid(id)?),
        Located::Award(id) => request::stream_id(records::AWARD, uuid(id)?),
        Located::Figure(id) => request::stream_id(records::FIGURE, uuid(id)?),
        Located::Office(id) => request::stream_id(records::OFFICE, uuid(id)?),
        Located::Inspection(id) => request::stream_id(inspections::INSPECTION, uuid(id)?),
        Located::Target(id) => request::stream_id(targets::TARGET, uuid(id)?),
    })
}

/// Why the sending stopped before its end.
enum Stop {
    ClientGone,
    Failed(Status),
}

impl From<Status> for Stop {
    fn from(status: Status) -> Self {
        Stop::Failed(status)
    }
}

/// Sends the checkpoint, the scope, then each stream and its proven events; a failure is
/// the stream's last item.
pub(super) async fn send<L: VerifiableLog>(
    log: Arc<L>,
    checkpoint: pb::SignedCheckpoint,
    asked: AreaRequest,
    scope: Scope,
    sender: mpsc::Sender<Result<pb::ExportItem, Status>>,
) {
    let outcome = send_items(log.as_ref(), checkpoint, &asked, scope, &sender).await;
    match outcome {
        Ok(events) => tracing::info!(events, "area export streamed"),
        Err(Stop::ClientGone) => tracing::info!("the client left the area export"),
        Err(Stop::Failed(status)) => {
            let _ = sender.send(Err(status)).await;
        }
    }
}

async fn send_items<L: VerifiableLog>(
    log: &L,
    checkpoint: pb::SignedCheckpoint,
    asked: &AreaRequest,
    scope: Scope,
    sender: &mpsc::Sender<Result<pb::ExportItem, Status>>,
) -> Result<u64, Stop> {
    let out = |item| async move { sender.send(Ok(export_item(item))).await.map_err(|_| Stop::ClientGone) };
    let size = checkpoint.tree_size;
    out(pb::export_item::Item::Checkpoint(checkpoint)).await?;
    out(pb::export_item::Item::Scope(pb::ExportScope {
        area: Some(scope.root),
        effective_on_or_before: Some(asked.until.to_proto()),
        include_subtree: asked.include_subtree,
        areas: scope.areas,
        streams: scope.streams.len() as u64,
    }))
    .await?;
    let mut sent = 0;
    for (stream_id, kind) in scope.streams {
        let events = dense_events(log, &stream_id, Some(asked.until), size).await?;
        let later = events
            .iter()
            .filter(|event| crate::commands::effective_date(event.effective_at) > asked.until)
            .count();
        out(pb::export_item::Item::Stream(pb::ExportedStream {
            stream_id,
            kind: kind.to_string(),
            events: events.len() as u64,
            later_events: later as u64,
        }))
        .await?;
        for event in events {
            let hashes = log
                .inclusion_proof(event.position, size)
                .await
                .map_err(status::read_error)?;
            out(pb::export_item::Item::Event(
                Proven::new(event, size, &hashes).into_proto(),
            ))
            .await?;
            sent += 1;
        }
    }
    Ok(sent)
}
