//! The `antt.v1.EventStore` service over any [`EventLog`]: converts each request, calls
//! the log, converts the answer. Each call runs in a span named after the RPC with the
//! stream and the positions it wrote or read.

use std::sync::Arc;

use antt_log::{EventLog, ListStreamsRequest};
use antt_proto::v1 as pb;
use antt_proto::v1::event_store_server::{EventStore, EventStoreServer};
use tonic::{Request, Response, Status};
use tracing::{field, Instrument, Span};

use crate::convert::{self, EventKey};
use crate::shutdown::ShutdownSignal;
use crate::status;
use crate::streams::{self, LogPages, ResponseStream, StreamPages};

/// The gRPC service; cheap to share, every call clones only the `Arc` of the log.
pub struct EventStoreService<L> {
    log: Arc<L>,
    shutdown: ShutdownSignal,
    /// Places for live subscriptions (`limits::SUBSCRIBERS_MAX`); each subscription holds
    /// one until its stream is dropped.
    subscribers: Arc<tokio::sync::Semaphore>,
}

impl<L: EventLog> EventStoreService<L> {
    /// A service over `log`. `shutdown` ends live subscriptions when the server stops
    /// (use [`ShutdownSignal::never`] when nothing stops it).
    pub fn new(log: Arc<L>, shutdown: ShutdownSignal) -> Self {
        EventStoreService {
            log,
            shutdown,
            subscribers: Arc::new(tokio::sync::Semaphore::new(crate::limits::SUBSCRIBERS_MAX)),
        }
    }

    /// Wrapped for tonic, with the message size limits of `max_message_bytes`.
    pub fn into_server(self, max_message_bytes: usize) -> EventStoreServer<Self> {
        EventStoreServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }

    async fn handle_append(&self, request: pb::AppendRequest) -> Result<pb::AppendResponse, Status> {
        let request = convert::append_request(request).map_err(|violations| status::invalid_argument(&violations))?;
        let outcome = crate::telemetry::append(&*self.log, request)
            .await
            .map_err(status::append_error)?;
        let span = Span::current();
        span.record("first_position", outcome.first_position);
        span.record("last_position", outcome.last_position);
        span.record("deduplicated", outcome.deduplicated);
        tracing::debug!("append committed");
        Ok(convert::append_outcome_to_proto(&outcome))
    }

    async fn handle_read_stream(
        &self,
        request: pb::ReadStreamRequest,
    ) -> Result<ResponseStream<pb::RecordedEvent>, Status> {
        let (request, limit) =
            convert::read_stream_request(request).map_err(|violations| status::invalid_argument(&violations))?;
        let stream_id = request.stream_id.clone();
        let pages = StreamPages::open(self.log.clone(), request, limit)
            .await
            .map_err(status::read_error)?;
        // An empty first page is either a missing stream or a start past its end.
        if pages.is_empty() {
            streams::ensure_stream_exists(self.log.as_ref(), &stream_id).await?;
        }
        Ok(pages.into_response(Span::current()))
    }

    async fn handle_read_all(&self, request: pb::ReadAllRequest) -> Result<ResponseStream<pb::RecordedEvent>, Status> {
        let (from_position, filter, limit) =
            convert::read_all_request(request).map_err(|violations| status::invalid_argument(&violations))?;
        self.check_within_head(from_position)?;
        Ok(LogPages::new(self.log.clone(), from_position, filter, limit).into_response(Span::current()))
    }

    async fn handle_subscribe(
        &self,
        request: pb::SubscribeRequest,
    ) -> Result<ResponseStream<pb::SubscribeResponse>, Status> {
        let (from_position, filter) =
            convert::subscribe_request(request).map_err(|violations| status::invalid_argument(&violations))?;
        self.check_within_head(from_position)?;
        // Refused at once rather than queued: a subscription is held for hours.
        let place = Arc::clone(&self.subscribers)
            .try_acquire_owned()
            .map_err(|_| status::too_many_subscribers(crate::limits::SUBSCRIBERS_MAX))?;
        Ok(streams::subscription(
            self.log.clone(),
            from_position,
            filter,
            self.shutdown.clone(),
            Span::current(),
            place,
        ))
    }

    /// A start beyond the head means the caller's checkpoint comes from a log this one
    /// is not (another server, or before a restore from backup); following it would skip
    /// the events that later land at the positions in between.
    fn check_within_head(&self, from_position: u64) -> Result<(), Status> {
        let head = self.log.head().next_position;
        if from_position > head {
            return Err(status::beyond_head(from_position, head));
        }
        Ok(())
    }

    async fn handle_get_event(&self, request: pb::GetEventRequest) -> Result<pb::RecordedEvent, Status> {
        let key = convert::event_key(request).map_err(|violations| status::invalid_argument(&violations))?;
        let found = match key {
            EventKey::Position(position) => self.log.event_at(position).await,
            EventKey::EventId(event_id) => self.log.event_by_id(event_id).await,
        }
        .map_err(status::read_error)?;
        match found {
            Some(event) => {
                Span::current().record("position", event.position);
                Ok(convert::recorded_event_to_proto(event))
            }
            None => Err(status::event_not_found(&match key {
                EventKey::Position(position) => format!("position {position}"),
                EventKey::EventId(event_id) => format!("id {event_id}"),
            })),
        }
    }

    async fn handle_get_stream_info(&self, request: pb::GetStreamInfoRequest) -> Result<pb::StreamInfo, Status> {
        let stream_id =
            convert::stream_info_request(request).map_err(|violations| status::invalid_argument(&violations))?;
        match self.log.stream_info(&stream_id).await.map_err(status::read_error)? {
            Some(info) => Ok(convert::stream_info_to_proto(info)),
            None => Err(status::stream_not_found(&stream_id)),
        }
    }

    async fn handle_list_streams(&self, request: pb::ListStreamsRequest) -> Result<pb::ListStreamsResponse, Status> {
        let request = convert::list_streams_request(request);
        // At most the log's page maximum already (`convert::LIST_STREAMS_PAGE_MAX`).
        let full_page = request.page_size;
        let prefix = request.prefix.clone();
        let streams = self.log.list_streams(request).await.map_err(status::read_error)?;
        // Promise a next page only if there is one, so that "empty next_after" reliably
        // means "done": look one stream past a full page.
        let next_after = match streams.last() {
            Some(last) if streams.len() >= full_page => {
                let probe = ListStreamsRequest {
                    prefix,
                    after: Some(last.stream_id.clone()),
                    page_size: 1,
                };
                let more = self.log.list_streams(probe).await.map_err(status::read_error)?;
                if more.is_empty() {
                    String::new()
                } else {
                    last.stream_id.clone()
                }
            }
            _ => String::new(),
        };
        Ok(pb::ListStreamsResponse {
            streams: streams.into_iter().map(convert::stream_info_to_proto).collect(),
            next_after,
        })
    }
}

#[tonic::async_trait]
impl<L: EventLog> EventStore for EventStoreService<L> {
    async fn append(&self, request: Request<pb::AppendRequest>) -> Result<Response<pb::AppendResponse>, Status> {
        let principal = crate::access::principal_of(&request)?;
        let mut request = request.into_inner();
        crate::access::raw::ensure_raw_append(
            &principal,
            &request.stream_id,
            request.events.iter().map(|event| event.event_type.as_str()),
        )?;
        // The actor is who called, never what the request says.
        let actor = principal.actor();
        for event in &mut request.events {
            event.actor.clone_from(&actor);
        }
        // Debug formatting escapes control characters a client might put in an id.
        let span = tracing::info_span!(
            "Append",
            stream_id = ?request.stream_id,
            events = request.events.len(),
            first_position = field::Empty,
            last_position = field::Empty,
            deduplicated = field::Empty,
        );
        self.handle_append(request).instrument(span).await.map(Response::new)
    }

    type ReadStreamStream = ResponseStream<pb::RecordedEvent>;

    async fn read_stream(
        &self,
        request: Request<pb::ReadStreamRequest>,
    ) -> Result<Response<Self::ReadStreamStream>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!(
            "ReadStream",
            stream_id = ?request.stream_id,
            from_version = ?request.from_version,
            events_read = field::Empty,
            last_position = field::Empty,
        );
        self.handle_read_stream(request)
            .instrument(span)
            .await
            .map(Response::new)
    }

    type ReadAllStream = ResponseStream<pb::RecordedEvent>;

    async fn read_all(&self, request: Request<pb::ReadAllRequest>) -> Result<Response<Self::ReadAllStream>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!(
            "ReadAll",
            from_position = request.from_position,
            events_read = field::Empty,
            last_position = field::Empty,
        );
        self.handle_read_all(request).instrument(span).await.map(Response::new)
    }

    type SubscribeStream = ResponseStream<pb::SubscribeResponse>;

    async fn subscribe(
        &self,
        request: Request<pb::SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!(
            "Subscribe",
            from_position = request.from_position,
            resume_position = field::Empty,
        );
        self.handle_subscribe(request).instrument(span).await.map(Response::new)
    }

    async fn get_event(&self, request: Request<pb::GetEventRequest>) -> Result<Response<pb::RecordedEvent>, Status> {
        let span = tracing::info_span!("GetEvent", key = ?request.get_ref().key, position = field::Empty);
        self.handle_get_event(request.into_inner())
            .instrument(span)
            .await
            .map(Response::new)
    }

    async fn get_stream_info(
        &self,
        request: Request<pb::GetStreamInfoRequest>,
    ) -> Result<Response<pb::StreamInfo>, Status> {
        let span = tracing::info_span!("GetStreamInfo", stream_id = ?request.get_ref().stream_id);
        self.handle_get_stream_info(request.into_inner())
            .instrument(span)
            .await
            .map(Response::new)
    }

    async fn list_streams(
        &self,
        request: Request<pb::ListStreamsRequest>,
    ) -> Result<Response<pb::ListStreamsResponse>, Status> {
        let span = tracing::info_span!("ListStreams", prefix = ?request.get_ref().prefix);
        self.handle_list_streams(request.into_inner())
            .instrument(span)
            .await
            .map(Response::new)
    }

    async fn get_head(&self, _request: Request<pb::GetHeadRequest>) -> Result<Response<pb::LogHead>, Status> {
        Ok(Response::new(convert::log_head_to_proto(self.log.head())))
    }
}
