//! Test support for the end-to-end suites: a real `anttd` server on a loopback port over a
//! temporary data directory, driven by a real gRPC client.
//!
//! # Layout
//! - [`TestServer`]: start, shut down and restart an in-process `anttd::serve`.
//! - Event builders: [`json_event`], [`json_events`], [`with_id`].
//! - Calls that collect whole answers: [`append`], [`read_all`], [`read_stream`], [`head`].
//! - Status checks: [`assert_field_violation`], [`field_violations`].
//! - The hash chain as an inspector sees it: [`to_log_event`], [`assert_chain`].
//! - Commands of the domain services: [`date`], [`new_id`], [`header`], [`decision`],
//!   [`decided_by`]; areas to refer to: [`area_request`], [`register_area`],
//!   [`register_chain`], [`thanh_hoa_to_thon_8`], [`thanh_hoa_and_nga_thai`]; a team:
//!   [`thon_8_team_request`]; a person: [`person_request`], [`register_person_named`].
//! - A C2SP witness of a test log: [`witness_config`], [`start_witness`].
#![allow(clippy::expect_used)]

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use antt_proto::v1::areas_client::AreasClient;
use antt_proto::v1::event_store_client::EventStoreClient;
use antt_proto::v1::forces_client::ForcesClient;
use antt_proto::v1::{
    expected_version, AppendRequest, AppendResponse, AreaLevel, CommandHeader, Date, DecisionRef, Empty,
    EstablishTeamRequest, EventFilter, ExpectedVersion, ForceType, GetHeadRequest, LogHead, NewEvent, PersonalData,
    ReadAllRequest, ReadStreamRequest, RecordedEvent, RegisterAreaRequest, RegisterPersonRequest,
};
use anyhow::{anyhow, bail, Context};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use tonic_types::StatusExt;
use uuid::Uuid;

pub use antt_proto::v1;

/// Two years of a commune's records, for the report and the analytics export.
pub mod two_years;

/// Bounds the readiness poll: attempts times delay is the longest a start may take.
const READY_ATTEMPTS_MAX: u32 = 400;
const READY_POLL_DELAY: Duration = Duration::from_millis(25);

/// Who signs the commune's decisions on its forces (the commune chairman of Nga Thái).
pub const NGA_THAI_CHAIRMAN: &str = "Chủ tịch UBND xã Nga Thái";

/// The zero hash that precedes position 0 in the chain.
pub const GENESIS_HASH: [u8; 32] = [0; 32];

/// An `anttd` served in-process on `127.0.0.1:<ephemeral>` over a temp directory.
pub struct TestServer {
    pub addr: SocketAddr,
    pub client: EventStoreClient<Channel>,
    pub channel: Channel,
    data_dir: tempfile::TempDir,
    config: anttd::Config,
    shutdown_tx: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
    /// The JWKS and grants files of a server started with tokens, kept for restarts.
    access_files: Option<tempfile::TempDir>,
}

/// The issuer, audience and key seed of the tokens of [`TestServer::start_with_tokens`].
pub const TOKEN_ISSUER: &str = "https://sso.antt.test";
pub const TOKEN_AUDIENCE: &str = "antt-ledger";
const TOKEN_KEY_SEED: u64 = 2026;

/// A client interceptor that sends `authorization: Bearer <token>`.
#[derive(Clone)]
pub struct Bearer(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// The interceptor of `token`.
pub fn bearer(token: &str) -> Bearer {
    Bearer(format!("Bearer {token}").parse().expect("a JWT is valid metadata"))
}

/// Seconds since 1970, the clock tokens are issued by.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

impl TestServer {
    /// Starts a server on a fresh temporary data directory and waits until it answers.
    pub async fn start() -> anyhow::Result<TestServer> {
        Self::start_with(|_| {}).await
    }

    /// Like [`TestServer::start`], with settings changed from the defaults; a restart
    /// keeps them.
    pub async fn start_with(configure: impl FnOnce(&mut anttd::Config)) -> anyhow::Result<TestServer> {
        let dir = tempfile::Builder::new()
            .prefix("antt-e2e-")
            .tempdir()
            .context("create the temp data dir")?;
        // The log in `<temp>/data`, so that the key store's default (beside it) is
        // `<temp>/keys`, inside the temp directory too.
        let mut config = anttd::Config::for_data_dir(dir.path().join("data"));
        configure(&mut config);
        Self::start_on(dir, config).await
    }

    /// A server that needs a bearer token on every call but health, with the issuer of
    /// those tokens; `grants` is the system grants file, if any.
    pub async fn start_with_tokens(
        grants: Option<&str>,
        configure: impl FnOnce(&mut anttd::Config),
    ) -> anyhow::Result<(TestServer, antt_access::testing::TestIssuer)> {
        let issuer = antt_access::testing::TestIssuer::new(TOKEN_ISSUER, TOKEN_AUDIENCE, TOKEN_KEY_SEED);
        let files = tempfile::Builder::new().prefix("antt-e2e-access-").tempdir()?;
        let jwks = files.path().join("jwks.json");
        std::fs::write(&jwks, issuer.jwks())?;
        let grants = match grants {
            Some(text) => {
                let path = files.path().join("grants.json");
                std::fs::write(&path, text)?;
                Some(path)
            }
            None => None,
        };
        let mut server = Self::start_with(|config| {
            config.access.jwks = Some(jwks);
            config.access.token_issuer = Some(TOKEN_ISSUER.into());
            config.access.token_audience = Some(TOKEN_AUDIENCE.into());
            config.access.system_grants = grants;
            configure(config);
        })
        .await?;
        server.access_files = Some(files);
        Ok((server, issuer))
    }

    async fn start_on(data_dir: tempfile::TempDir, config: anttd::Config) -> anyhow::Result<TestServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("bind 127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let shutdown = async move {
            // A dropped sender also means "stop": a test that panics must not leave a
            // server running on its runtime.
            let _ = shutdown_rx.await;
        };
        let serve = anttd::serve(config.clone(), listener, shutdown);
        let task = tokio::spawn(async move { serve.await.map_err(anyhow::Error::from) });
        let (channel, task) = wait_until_serving(addr, task).await?;
        Ok(TestServer {
            addr,
            client: EventStoreClient::new(channel.clone()),
            channel,
            data_dir,
            config,
            shutdown_tx: Some(shutdown_tx),
            task,
            access_files: None,
        })
    }

    /// The data directory the server runs on.
    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    /// The personal-data key store's directory.
    pub fn key_dir(&self) -> PathBuf {
        self.config.key_dir()
    }

    /// A new client on a new connection to this server.
    pub async fn connect(&self) -> anyhow::Result<EventStoreClient<Channel>> {
        Ok(EventStoreClient::new(connect_channel(self.addr).await?))
    }

    /// A connection as the `antt` CLI makes one, for the CLI's library functions (the
    /// report, the export); it carries no token, so this server must be in development mode.
    pub async fn cli_channel(&self) -> antt::client::Conn {
        antt::client::connected(&format!("http://{}", self.addr))
            .await
            .expect("the test server accepts connections")
    }

    /// Signals shutdown and waits for `serve` to return; returns its result.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.stop().await.map(|_| ())
    }

    async fn stop(self) -> anyhow::Result<(tempfile::TempDir, anttd::Config)> {
        self.stop_keeping_files()
            .await
            .map(|(data_dir, config, _)| (data_dir, config))
    }

    async fn stop_keeping_files(
        mut self,
    ) -> anyhow::Result<(tempfile::TempDir, anttd::Config, Option<tempfile::TempDir>)> {
        drop(self.client);
        drop(self.channel);
        if let Some(tx) = self.shutdown_tx.take() {
            let _ = tx.send(());
        }
        let result = self.task.await.context("the serve task panicked")?;
        result.context("anttd::serve returned an error")?;
        Ok((self.data_dir, self.config, self.access_files.take()))
    }

    /// Shuts down cleanly, then serves the same data directory again on a new port.
    pub async fn restart(self) -> anyhow::Result<TestServer> {
        let (data_dir, config, access_files) = self.stop_keeping_files().await?;
        let mut server = Self::start_on(data_dir, config).await?;
        server.access_files = access_files;
        Ok(server)
    }
}

/// Connects a channel to `addr` (one HTTP/2 connection; clones of it share it).
pub async fn connect_channel(addr: SocketAddr) -> anyhow::Result<Channel> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .connect()
        .await
        .with_context(|| format!("connect to {addr}"))?;
    Ok(channel)
}

/// Polls the health service until the server answers, failing early if `serve` returns.
async fn wait_until_serving(
    addr: SocketAddr,
    mut task: JoinHandle<anyhow::Result<()>>,
) -> anyhow::Result<(Channel, JoinHandle<anyhow::Result<()>>)> {
    let mut last_error = String::from("no attempt made");
    for _ in 0..READY_ATTEMPTS_MAX {
        if task.is_finished() {
            let result = (&mut task).await.context("the serve task panicked")?;
            bail!("anttd::serve returned before serving: {result:?}");
        }
        match connect_channel(addr).await {
            Ok(channel) => {
                // Health needs no credentials, whatever the server's access settings.
                let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
                let check = tonic_health::pb::HealthCheckRequest { service: String::new() };
                match health.check(check).await {
                    Ok(_) => return Ok((channel, task)),
                    Err(status) => last_error = format!("health check: {status:?}"),
                }
            }
            Err(error) => last_error = format!("{error:#}"),
        }
        tokio::time::sleep(READY_POLL_DELAY).await;
    }
    task.abort();
    Err(anyhow!(
        "anttd on {addr} never answered a health check; last error: {last_error}"
    ))
}

/// A new event with a fresh UUID, the given type and a JSON payload.
pub fn json_event(event_type: &str, json: &str) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4().to_string(),
        event_type: event_type.to_string(),
        schema_version: 1,
        content_type: "application/json".to_string(),
        payload: json.as_bytes().to_vec(),
        ..NewEvent::default()
    }
}

/// `count` JSON events of one type whose payloads are `{"n":<index>}`.
pub fn json_events(event_type: &str, count: usize) -> Vec<NewEvent> {
    (0..count)
        .map(|n| json_event(event_type, &format!("{{\"n\":{n}}}")))
        .collect()
}

/// The same event with another id.
pub fn with_id(mut event: NewEvent, event_id: &str) -> NewEvent {
    event.event_id = event_id.to_string();
    event
}

/// The proto form of each expected version.
pub fn expect_any() -> Option<ExpectedVersion> {
    Some(ExpectedVersion {
        kind: Some(expected_version::Kind::Any(Empty {})),
    })
}

pub fn expect_no_stream() -> Option<ExpectedVersion> {
    Some(ExpectedVersion {
        kind: Some(expected_version::Kind::NoStream(Empty {})),
    })
}

pub fn expect_stream_exists() -> Option<ExpectedVersion> {
    Some(ExpectedVersion {
        kind: Some(expected_version::Kind::StreamExists(Empty {})),
    })
}

pub fn expect_exact(version: u64) -> Option<ExpectedVersion> {
    Some(ExpectedVersion {
        kind: Some(expected_version::Kind::Exact(version)),
    })
}

/// Appends, returning the gRPC status on refusal.
pub async fn try_append(
    client: &mut EventStoreClient<Channel>,
    stream_id: &str,
    expected: Option<ExpectedVersion>,
    events: Vec<NewEvent>,
) -> Result<AppendResponse, Status> {
    client
        .append(AppendRequest {
            stream_id: stream_id.to_string(),
            expected,
            events,
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Appends with no version check; fails the caller on refusal.
pub async fn append(
    client: &mut EventStoreClient<Channel>,
    stream_id: &str,
    events: Vec<NewEvent>,
) -> anyhow::Result<AppendResponse> {
    try_append(client, stream_id, None, events)
        .await
        .map_err(|status| anyhow!("append to {stream_id:?} refused: {status:?}"))
}

/// The committed head.
pub async fn head(client: &mut EventStoreClient<Channel>) -> anyhow::Result<LogHead> {
    Ok(client.get_head(GetHeadRequest {}).await?.into_inner())
}

/// Every event of a `ReadAll` call, collected.
pub async fn read_all_with(
    client: &mut EventStoreClient<Channel>,
    request: ReadAllRequest,
) -> Result<Vec<RecordedEvent>, Status> {
    let mut stream = client.read_all(request).await?.into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await? {
        events.push(event);
    }
    Ok(events)
}

/// The whole log from `from_position`, unfiltered.
pub async fn read_all(
    client: &mut EventStoreClient<Channel>,
    from_position: u64,
) -> anyhow::Result<Vec<RecordedEvent>> {
    Ok(read_all_with(
        client,
        ReadAllRequest {
            from_position,
            filter: None,
            max_count: 0,
        },
    )
    .await?)
}

/// The whole log filtered by stream id prefixes and event types.
pub async fn read_all_filtered(
    client: &mut EventStoreClient<Channel>,
    stream_id_prefixes: &[&str],
    event_types: &[&str],
) -> anyhow::Result<Vec<RecordedEvent>> {
    Ok(read_all_with(
        client,
        ReadAllRequest {
            from_position: 0,
            filter: Some(EventFilter {
                stream_id_prefixes: stream_id_prefixes.iter().map(|s| s.to_string()).collect(),
                event_types: event_types.iter().map(|s| s.to_string()).collect(),
            }),
            max_count: 0,
        },
    )
    .await?)
}

/// Every event of a `ReadStream` call, collected.
pub async fn read_stream_with(
    client: &mut EventStoreClient<Channel>,
    request: ReadStreamRequest,
) -> Result<Vec<RecordedEvent>, Status> {
    let mut stream = client.read_stream(request).await?.into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await? {
        events.push(event);
    }
    Ok(events)
}

/// One whole stream, forwards.
pub async fn read_stream(
    client: &mut EventStoreClient<Channel>,
    stream_id: &str,
) -> anyhow::Result<Vec<RecordedEvent>> {
    Ok(read_stream_with(
        client,
        ReadStreamRequest {
            stream_id: stream_id.to_string(),
            ..ReadStreamRequest::default()
        },
    )
    .await?)
}

/// The field paths of the google.rpc.BadRequest in a status (empty if it has none).
pub fn field_violations(status: &Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// Asserts the status code and that the BadRequest names exactly `fields`, in order.
pub fn assert_field_violation(status: &Status, code: Code, fields: &[&str]) {
    assert_eq!(status.code(), code, "unexpected status: {status:?}");
    assert_eq!(
        field_violations(status),
        fields,
        "unexpected field violations in {status:?}"
    );
}

/// Rebuilds the log's own event from its wire form, as an inspector would.
pub fn to_log_event(event: &RecordedEvent) -> anyhow::Result<antt_log::RecordedEvent> {
    let optional_uuid = |text: &str| -> anyhow::Result<Option<Uuid>> {
        if text.is_empty() {
            Ok(None)
        } else {
            Ok(Some(Uuid::parse_str(text)?))
        }
    };
    let hash: [u8; 32] = event
        .hash
        .as_slice()
        .try_into()
        .map_err(|_| anyhow!("hash of {} bytes at position {}", event.hash.len(), event.position))?;
    Ok(antt_log::RecordedEvent {
        position: event.position,
        stream_id: event.stream_id.clone(),
        stream_version: event.stream_version,
        event_id: Uuid::parse_str(&event.event_id)?,
        event_type: event.event_type.clone(),
        schema_version: event.schema_version,
        recorded_at: micros(event.recorded_at.as_ref().context("recorded_at is missing")?)?,
        effective_at: micros(event.effective_at.as_ref().context("effective_at is missing")?)?,
        actor: event.actor.clone(),
        correlation_id: optional_uuid(&event.correlation_id)?,
        causation_id: optional_uuid(&event.causation_id)?,
        metadata: event
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        content_type: event.content_type.clone(),
        payload: event.payload.clone(),
        hash,
    })
}

/// A wire timestamp as the log's microseconds; refuses sub-microsecond parts, since the
/// server keeps microsecond precision and anything finer could not be hashed back.
pub fn micros(timestamp: &prost_types::Timestamp) -> anyhow::Result<antt_log::Timestamp> {
    if timestamp.nanos % 1000 != 0 || !(0..1_000_000_000).contains(&timestamp.nanos) {
        bail!("timestamp {timestamp:?} is not a whole number of microseconds");
    }
    Ok(antt_log::Timestamp(
        timestamp.seconds * 1_000_000 + i64::from(timestamp.nanos / 1000),
    ))
}

/// A log timestamp in wire form.
pub fn timestamp(micros: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: i32::try_from(micros.rem_euclid(1_000_000) * 1000).expect("below one second"),
    }
}

/// Asserts that `events` are dense from their first position and that each hash is
/// SHA-256(previous hash ‖ canonical bytes), starting from `previous`. Returns the last hash.
pub fn assert_chain(events: &[RecordedEvent], previous: [u8; 32]) -> anyhow::Result<[u8; 32]> {
    let mut previous = previous;
    let mut expected_position = events.first().map(|e| e.position);
    for event in events {
        anyhow::ensure!(
            Some(event.position) == expected_position,
            "position {} where {expected_position:?} was expected",
            event.position
        );
        let log_event = to_log_event(event)?;
        let canonical = antt_log::codec::canonical_bytes(&log_event);
        let recomputed = antt_log::codec::chain_hash(&previous, &canonical);
        anyhow::ensure!(
            recomputed == log_event.hash,
            "the hash at position {} does not follow from the previous hash and the event",
            event.position
        );
        previous = recomputed;
        expected_position = Some(event.position + 1);
    }
    Ok(previous)
}

/// Runs `future` with a generous bound, so that a hang fails the test instead of the CI job.
/// The bound is far above the expected run time and is not a performance threshold.
pub async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> anyhow::Result<T> {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .map_err(|_| anyhow!("{what} did not finish within 60 s (hang)"))
}

/// A civil date in wire form.
pub fn date(year: i32, month: u32, day: u32) -> Date {
    Date { year, month, day }
}

/// A fresh random UUID as text: the id of a new record, or a new request id.
pub fn new_id() -> String {
    Uuid::new_v4().to_string()
}

/// A header for a new action (fresh request id) effective on `effective`, without an
/// expected version or a decision.
pub fn header(effective: Date) -> Option<CommandHeader> {
    Some(CommandHeader {
        request_id: new_id(),
        expected_version: None,
        effective_date: Some(effective),
        decision: None,
    })
}

/// The document `number` (decision, resolution, report) issued by `issued_by` on
/// `issued_on`.
pub fn decision(number: &str, issued_by: &str, issued_on: Date) -> DecisionRef {
    DecisionRef {
        number: number.to_string(),
        issued_by: issued_by.to_string(),
        issued_on: Some(issued_on),
    }
}

/// A [`header`] with the decision that ordered the action, issued on the effective date.
pub fn decided_by(effective: Date, number: &str, issued_by: &str) -> Option<CommandHeader> {
    let mut header = header(effective);
    if let Some(header) = header.as_mut() {
        header.decision = Some(decision(number, issued_by, effective));
    }
    header
}

/// A request to register a new area (fresh id) called `name`, of `level`, under
/// `parent_area_id` ("" for none), effective `on`; no code or division type (set them
/// with struct update syntax when needed).
pub fn area_request(on: Date, level: AreaLevel, name: &str, parent_area_id: &str) -> RegisterAreaRequest {
    RegisterAreaRequest {
        header: header(on),
        area_id: new_id(),
        name: name.to_string(),
        level: level.into(),
        parent_area_id: parent_area_id.to_string(),
        ..RegisterAreaRequest::default()
    }
}

/// Registers an area through the Areas API; returns its id. Panics, naming the area, if
/// the server refuses.
pub async fn register_area(server: &TestServer, request: RegisterAreaRequest) -> String {
    let area_id = request.area_id.clone();
    let name = request.name.clone();
    AreasClient::new(server.channel.clone())
        .register_area(request)
        .await
        .unwrap_or_else(|status| panic!("register {name}: {status:?}"));
    area_id
}

/// Registers `chain` from `on`, each area under the one before it (the first at the
/// root); returns their ids in order.
pub async fn register_chain(server: &TestServer, on: Date, chain: &[(AreaLevel, &str)]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for (level, name) in chain {
        let parent = ids.last().map(String::as_str).unwrap_or_default();
        let request = area_request(on, *level, name, parent);
        ids.push(register_area(server, request).await);
    }
    ids
}

/// Tỉnh Thanh Hóa → Huyện Nga Sơn → Xã Nga Thái → Thôn 8, all from 1997-01-01; their ids
/// in that order.
pub async fn thanh_hoa_to_thon_8(server: &TestServer) -> [String; 4] {
    let chain = [
        (AreaLevel::Province, "Tỉnh Thanh Hóa"),
        (AreaLevel::District, "Huyện Nga Sơn"),
        (AreaLevel::Commune, "Xã Nga Thái"),
        (AreaLevel::ResidentialArea, "Thôn 8"),
    ];
    let ids = register_chain(server, date(1997, 1, 1), &chain).await;
    ids.try_into().expect("one id per area of the chain")
}

/// Tỉnh Thanh Hóa (38) and, directly under it, Xã Nga Thái (15016), both from 2008-01-01;
/// returns (province id, commune id).
pub async fn thanh_hoa_and_nga_thai(server: &TestServer) -> (String, String) {
    let on = date(2008, 1, 1);
    let province = register_area(
        server,
        RegisterAreaRequest {
            official_code: "38".into(),
            division_type: "tỉnh".into(),
            ..area_request(on, AreaLevel::Province, "Tỉnh Thanh Hóa", "")
        },
    )
    .await;
    let commune = register_area(
        server,
        RegisterAreaRequest {
            official_code: "15016".into(),
            division_type: "xã".into(),
            ..area_request(on, AreaLevel::Commune, "Xã Nga Thái", &province)
        },
    )
    .await;
    (province, commune)
}

/// A request to register a new person (fresh id) known only by name, effective `on`.
pub fn person_request(on: Date, full_name: &str) -> RegisterPersonRequest {
    RegisterPersonRequest {
        header: header(on),
        person_id: new_id(),
        personal_data: Some(PersonalData {
            full_name: full_name.into(),
            ..PersonalData::default()
        }),
    }
}

/// Registers a person known only by name, effective `on`, through Forces.RegisterPerson;
/// returns their id. Panics, naming the person, if the server refuses.
pub async fn register_person_named(channel: &Channel, on: Date, full_name: &str) -> String {
    let request = person_request(on, full_name);
    let person_id = request.person_id.clone();
    ForcesClient::new(channel.clone())
        .register_person(request)
        .await
        .unwrap_or_else(|status| panic!("register {full_name}: {status:?}"));
    person_id
}

/// Registers Thôn 8, a residential area of the commune `commune_area_id`, from
/// 2008-01-01; returns its id. Protection teams and social security groups are formed in
/// residential areas.
pub async fn thon_8(server: &TestServer, commune_area_id: &str) -> String {
    let request = RegisterAreaRequest {
        division_type: "thôn".into(),
        ..area_request(date(2008, 1, 1), AreaLevel::ResidentialArea, "Thôn 8", commune_area_id)
    };
    register_area(server, request).await
}

/// Establishes "Tổ bảo vệ ANTT thôn 8" (fresh id) of `force_type` in the area `area_id`
/// (Thôn 8, see [`thon_8`]), managed by UBND xã Nga Thái, on 2020-03-01 by decision
/// 12/QĐ-UBND of [`NGA_THAI_CHAIRMAN`].
pub fn thon_8_team_request(area_id: &str, force_type: ForceType, quota: Option<u32>) -> EstablishTeamRequest {
    EstablishTeamRequest {
        header: decided_by(date(2020, 3, 1), "12/QĐ-UBND", NGA_THAI_CHAIRMAN),
        team_id: new_id(),
        name: "Tổ bảo vệ ANTT thôn 8".into(),
        force_type: force_type.into(),
        area_id: area_id.to_string(),
        sponsor_organisation: String::new(),
        quota,
        managing_level: AreaLevel::Commune.into(),
        managing_body: "UBND xã Nga Thái".into(),
        formed_from_team_ids: vec![],
    }
}

/// 32-byte hashes from the bytes fields of a proof or a checkpoint's root.
pub fn hashes(list: &[Vec<u8>]) -> anyhow::Result<Vec<antt_audit::merkle::Hash>> {
    Ok(antt_audit::merkle::hashes_from_bytes(list)?)
}

/// One 32-byte hash from a bytes field.
pub fn hash(bytes: &[u8]) -> anyhow::Result<antt_audit::merkle::Hash> {
    Ok(antt_audit::merkle::hash_from_bytes(bytes)?)
}

/// The wall clock now, as a wire timestamp: a `known_at` between two appends.
pub fn now_timestamp() -> prost_types::Timestamp {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    timestamp(i64::try_from(since_epoch.as_micros()).expect("micros fit in i64"))
}

/// The configuration of a witness of the log whose key is `log_key`, its key and state
/// kept under `dir` (created), listening on `listen`.
pub fn witness_config(
    dir: &Path,
    log_key: &antt_audit::note::Verifier,
    listen: SocketAddr,
) -> anyhow::Result<antt_witness::WitnessConfig> {
    let config = antt_witness::WitnessConfig {
        listen,
        state_dir: dir.join("witness-state"),
        key_file: dir.join("witness.key"),
        name: "thanh-hoa.ban-noi-chinh/witness".into(),
        logs: [(log_key.name().to_string(), log_key.clone())].into(),
    };
    std::fs::create_dir_all(&config.state_dir)?;
    Ok(config)
}

/// Runs the witness of `config` on a task of its own until the task is aborted; returns
/// its URL, its cosignature verifier and the task.
pub async fn start_witness(
    config: antt_witness::WitnessConfig,
) -> anyhow::Result<(String, antt_audit::note::Verifier, JoinHandle<()>)> {
    let witness = antt_witness::Witness::bind(config).await?;
    let url = format!("http://{}", witness.local_addr()?);
    let verifier = witness.verifier();
    let task = tokio::spawn(async move {
        let _ = witness.run(std::future::pending()).await;
    });
    Ok((url, verifier, task))
}
