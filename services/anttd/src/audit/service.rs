//! The `antt.v1.Audit` service: checkpoints, proofs, and events with the proofs that
//! verify them. Every proof comes from the log's stored tree ([`VerifiableLog`]); every
//! checkpoint from the [`Notary`].

use std::sync::Arc;

use antt_audit::merkle::{self, Hash};
use antt_domain::Date;
use antt_log::{codec, RecordedEvent, VerifiableLog};
use antt_proto::v1 as pb;
use antt_proto::v1::audit_server::{Audit, AuditServer};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::area_export;
use super::stream_events::dense_events;
use crate::audit::notary::Notary;
use crate::convert;
use crate::limits;
use crate::projections::Projections;
use crate::request::Fields;
use crate::status;
use crate::streams::ResponseStream;

/// The gRPC service over a log, its notary, and the projections that tell which records
/// an area's export carries.
pub struct AuditService<L> {
    log: Arc<L>,
    notary: Arc<Notary<L>>,
    projections: Projections,
}

impl<L: VerifiableLog> AuditService<L> {
    pub fn new(log: Arc<L>, notary: Arc<Notary<L>>, projections: Projections) -> Self {
        AuditService {
            log,
            notary,
            projections,
        }
    }

    pub fn into_server(self, max_message_bytes: usize) -> AuditServer<Self> {
        AuditServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }

    /// A size the client left at 0 means the committed head's.
    fn size_or_head(&self, size: u64) -> u64 {
        if size == 0 {
            self.log.tree_head().size
        } else {
            size
        }
    }

    /// The event at `position` and its inclusion proof. The proof is asked first, so that
    /// a position outside the tree is a field violation, not a missing event.
    async fn proven_event(&self, position: u64, tree_size: u64) -> Result<Proven, Status> {
        let tree_size = self.size_or_head(tree_size);
        let hashes = self
            .log
            .inclusion_proof(position, tree_size)
            .await
            .map_err(status::read_error)?;
        let event = self
            .log
            .event_at(position)
            .await
            .map_err(status::read_error)?
            .ok_or_else(|| status::event_not_found(&format!("position {position}")))?;
        Ok(Proven::new(event, tree_size, &hashes))
    }

    async fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<pb::ConsistencyProof, Status> {
        let new_size = self.size_or_head(new_size);
        let hashes = self
            .log
            .consistency_proof(old_size, new_size)
            .await
            .map_err(status::read_error)?;
        Ok(pb::ConsistencyProof {
            old_size,
            new_size,
            hashes: hashes.iter().map(|hash| hash.to_vec()).collect(),
        })
    }

    async fn checkpoint(&self, tree_size: u64) -> Result<pb::SignedCheckpoint, Status> {
        let found = if tree_size == 0 {
            self.notary.latest().await
        } else {
            self.notary.at_size(tree_size).await
        };
        match found.map_err(status::read_error)? {
            Some(checkpoint) => Ok(checkpoint),
            None if tree_size == 0 => self.notary.checkpoint_now().await.map_err(status::notary_error),
            None => Err(status::not_found(format!(
                "no checkpoint was made at tree size {tree_size}; GetCheckpoint with tree_size 0 gives the latest"
            ))),
        }
    }

    /// The stream's events up to the date, proved in a checkpoint that covers them all.
    async fn export_stream(&self, request: pb::ExportStreamRequest) -> Result<Vec<pb::ExportItem>, Status> {
        let (stream_id, until) = export_request(&request)?;
        crate::streams::ensure_stream_exists(self.log.as_ref(), &stream_id).await?;
        let events = dense_events(self.log.as_ref(), &stream_id, until, self.log.tree_head().size).await?;
        let needed = events.last().map_or(1, |event| event.position + 1);
        let checkpoint = self.checkpoint_covering(needed).await?;
        let mut items = vec![export_item(pb::export_item::Item::Checkpoint(checkpoint.clone()))];
        for event in events {
            let hashes = self
                .log
                .inclusion_proof(event.position, checkpoint.tree_size)
                .await
                .map_err(status::read_error)?;
            let proven = Proven::new(event, checkpoint.tree_size, &hashes).into_proto();
            items.push(export_item(pb::export_item::Item::Event(proven)));
        }
        Ok(items)
    }

    /// The latest checkpoint if it covers the first `needed` events, else a new one of
    /// the committed head.
    async fn checkpoint_covering(&self, needed: u64) -> Result<pb::SignedCheckpoint, Status> {
        match self.notary.latest().await.map_err(status::read_error)? {
            Some(checkpoint) if checkpoint.tree_size >= needed => Ok(checkpoint),
            _ => self.notary.checkpoint_now().await.map_err(status::notary_error),
        }
    }

    /// An area's export: the checkpoint of the head first, then the records the
    /// projections list at its size, streamed.
    async fn export_area(&self, request: pb::ExportAreaRequest) -> Result<ResponseStream<pb::ExportItem>, Status> {
        let asked = area_export::read(&request)?;
        let checkpoint = self.checkpoint_covering(self.log.tree_head().size.max(1)).await?;
        let scope = area_export::scope(self.log.as_ref(), &self.projections, &asked, checkpoint.tree_size).await?;
        let (sender, receiver) = tokio::sync::mpsc::channel(limits::AREA_EXPORT_ITEMS_BUFFERED_MAX);
        let send = area_export::send(Arc::clone(&self.log), checkpoint, asked, scope, sender);
        tokio::spawn(send.instrument(tracing::Span::current()));
        Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver)))
    }
}

/// An event with its canonical bytes and its proof, whose leaf is computed from those
/// bytes exactly as a client will (encoded once).
pub(super) struct Proven {
    event: RecordedEvent,
    canonical: Vec<u8>,
    proof: pb::InclusionProof,
}

impl Proven {
    pub(super) fn new(event: RecordedEvent, tree_size: u64, hashes: &[Hash]) -> Proven {
        let canonical = codec::canonical_bytes(&event);
        let proof = pb::InclusionProof {
            position: event.position,
            tree_size,
            leaf_hash: merkle::leaf_hash(&canonical).to_vec(),
            hashes: hashes.iter().map(|hash| hash.to_vec()).collect(),
        };
        Proven {
            event,
            canonical,
            proof,
        }
    }

    pub(super) fn into_proto(self) -> pb::ProvenEvent {
        pb::ProvenEvent {
            event: Some(convert::recorded_event_to_proto(self.event)),
            canonical: self.canonical,
            proof: Some(self.proof),
        }
    }
}

pub(super) fn export_item(item: pb::export_item::Item) -> pb::ExportItem {
    pb::ExportItem { item: Some(item) }
}

/// The stream and the last effective day asked for; INVALID_ARGUMENT naming each that is
/// malformed, a date worded as in every service.
fn export_request(request: &pb::ExportStreamRequest) -> Result<(String, Option<Date>), Status> {
    let mut fields = Fields::default();
    for violation in antt_log::validate::stream_id_violations(&request.stream_id, "stream_id") {
        fields.violate(violation.field, violation.description);
    }
    let until = fields.optional_date("effective_on_or_before", request.effective_on_or_before.as_ref());
    fields.finish()?;
    Ok((request.stream_id.clone(), until))
}

#[tonic::async_trait]
impl<L: VerifiableLog> Audit for AuditService<L> {
    async fn get_public_key(&self, _: Request<pb::GetPublicKeyRequest>) -> Result<Response<pb::PublicKey>, Status> {
        Ok(Response::new(pb::PublicKey {
            origin: self.notary.origin().to_string(),
            verifier_key: self.notary.verifier_key(),
        }))
    }

    async fn get_checkpoint(
        &self,
        request: Request<pb::GetCheckpointRequest>,
    ) -> Result<Response<pb::SignedCheckpoint>, Status> {
        let tree_size = request.into_inner().tree_size;
        let span = tracing::info_span!("GetCheckpoint", tree_size);
        self.checkpoint(tree_size).instrument(span).await.map(Response::new)
    }

    async fn create_checkpoint(
        &self,
        _: Request<pb::CreateCheckpointRequest>,
    ) -> Result<Response<pb::SignedCheckpoint>, Status> {
        let span = tracing::info_span!("CreateCheckpoint");
        let created = self.notary.checkpoint_now().instrument(span).await;
        created.map(Response::new).map_err(status::notary_error)
    }

    async fn get_inclusion_proof(
        &self,
        request: Request<pb::GetInclusionProofRequest>,
    ) -> Result<Response<pb::InclusionProof>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!("GetInclusionProof", request.position, request.tree_size);
        let proven = self
            .proven_event(request.position, request.tree_size)
            .instrument(span)
            .await?;
        Ok(Response::new(proven.proof))
    }

    async fn get_consistency_proof(
        &self,
        request: Request<pb::GetConsistencyProofRequest>,
    ) -> Result<Response<pb::ConsistencyProof>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!("GetConsistencyProof", request.old_size, request.new_size);
        let proof = self.consistency_proof(request.old_size, request.new_size);
        proof.instrument(span).await.map(Response::new)
    }

    async fn get_proven_event(
        &self,
        request: Request<pb::GetProvenEventRequest>,
    ) -> Result<Response<pb::ProvenEvent>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!("GetProvenEvent", request.position, request.tree_size);
        let proven = self.proven_event(request.position, request.tree_size);
        proven
            .instrument(span)
            .await
            .map(|proven| Response::new(proven.into_proto()))
    }

    type ExportStreamStream = ResponseStream<pb::ExportItem>;

    async fn export_stream(
        &self,
        request: Request<pb::ExportStreamRequest>,
    ) -> Result<Response<Self::ExportStreamStream>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!("ExportStream", stream_id = ?request.stream_id);
        let items = self.export_stream(request).instrument(span).await?;
        let stream = tokio_stream::iter(items.into_iter().map(Ok));
        Ok(Response::new(Box::pin(stream)))
    }

    type ExportAreaStream = ResponseStream<pb::ExportItem>;

    async fn export_area(
        &self,
        request: Request<pb::ExportAreaRequest>,
    ) -> Result<Response<Self::ExportAreaStream>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!("ExportArea", area = ?request.area, until = ?request.effective_on_or_before);
        self.export_area(request).instrument(span).await.map(Response::new)
    }
}
