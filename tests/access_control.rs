//! Who may do what, end to end: a server that needs bearer tokens, real signed tokens for
//! every role, and real gRPC clients.
//!
//! - The authorization matrix: every role against one call of every kind on every service.
//! - Missing, expired, forged and misaddressed tokens; health needs none.
//! - Clerks write only inside their jurisdiction, as the area tree stood on the date the
//!   write takes effect (a commune that changed district in 2020): every kind of record
//!   placed in an area, in [`located_writes`]; persons are in none. A clerk without a
//!   jurisdiction writes nothing located; the province's clerk writes in every district.
//! - Raw appends never write a domain record's stream, but for migration; the actor is
//!   always the caller.
//! - Every read of personal data is itself recorded.
//! - TLS: server-side only, with a required client certificate, with an optional one;
//!   an exposed address without keys.
#![allow(clippy::expect_used)]

use antt_access::testing::{Claims, TestIssuer};
use antt_e2e::v1::analytics_client::AnalyticsClient;
use antt_e2e::v1::areas_client::AreasClient;
use antt_e2e::v1::audit_client::AuditClient;
use antt_e2e::v1::event_store_client::EventStoreClient;
use antt_e2e::v1::forces_client::ForcesClient;
use antt_e2e::v1::incidents_client::IncidentsClient;
use antt_e2e::v1::inspections_client::InspectionsClient;
use antt_e2e::v1::projections_client::ProjectionsClient;
use antt_e2e::v1::ratings_client::RatingsClient;
use antt_e2e::v1::records_client::RecordsClient;
use antt_e2e::v1::targets_client::TargetsClient;
use antt_e2e::v1::*;
use antt_e2e::{
    area_request, bearer, date, decided_by, header, json_event, new_id, now_secs, person_request, Bearer, TestServer,
    TOKEN_AUDIENCE,
};
use jsonwebtoken::Algorithm;
use prost::Message;
use tonic::codegen::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Status};
use uuid::Uuid;

#[path = "access_control/located_writes.rs"]
mod located_writes;

type Authed = InterceptedService<Channel, Bearer>;

/// The registry system sets up the areas and persons; "courts" may only report incidents.
const GRANTS: &str = r#"{"systems": [
  {"subject": "registry", "calls": ["antt.v1.Areas/*", "antt.v1.Forces/*", "antt.v1.Incidents/*"]},
  {"subject": "courts", "calls": ["antt.v1.Incidents/ReportIncident", "antt.v1.EventStore/Append"]}
]}"#;

/// A province with two districts; commune A in district A, commune B in district B, and
/// a commune that belonged to district A until it moved to district B on 2020-01-01.
struct World {
    server: TestServer,
    issuer: TestIssuer,
    province: String,
    district_a: String,
    district_b: String,
    commune_a: String,
    commune_b: String,
    moved: String,
}

impl World {
    async fn new() -> World {
        let (server, issuer) = TestServer::start_with_tokens(Some(GRANTS), |_| {})
            .await
            .expect("server");
        let registry = channel_as(&server, &issuer, "registry", "system", None);
        let mut areas = AreasClient::new(registry);
        let on = date(2008, 1, 1);
        let register = |request: RegisterAreaRequest| {
            let id = request.area_id.clone();
            let mut areas = areas.clone();
            async move {
                areas.register_area(request).await.expect("register an area");
                id
            }
        };
        let province = register(area_request(on, AreaLevel::Province, "Tỉnh Thanh Hóa", "")).await;
        let district_a = register(area_request(on, AreaLevel::District, "Huyện Nga Sơn", &province)).await;
        let district_b = register(area_request(on, AreaLevel::District, "Huyện Hậu Lộc", &province)).await;
        let commune_a = register(area_request(on, AreaLevel::Commune, "Xã Nga Thái", &district_a)).await;
        let commune_b = register(area_request(on, AreaLevel::Commune, "Xã Đa Lộc", &district_b)).await;
        let moved = register(area_request(on, AreaLevel::Commune, "Xã Nga Điền", &district_a)).await;
        areas
            .reparent_area(ReparentAreaRequest {
                header: decided_by(date(2020, 1, 1), "1/NQ-UBTVQH", "Ủy ban Thường vụ Quốc hội"),
                area_id: moved.clone(),
                new_parent_area_id: district_b.clone(),
            })
            .await
            .expect("move the commune to district B");
        World {
            server,
            issuer,
            province,
            district_a,
            district_b,
            commune_a,
            commune_b,
            moved,
        }
    }

    fn as_role(&self, sub: &str, role: &str, jurisdiction: Option<&str>) -> Authed {
        channel_as(&self.server, &self.issuer, sub, role, jurisdiction)
    }

    /// Registers a person as the registry, from 2010; returns their id.
    async fn register_person(&self, full_name: &str) -> String {
        let request = person_request(date(2010, 1, 1), full_name);
        let mut forces = ForcesClient::new(self.as_role("registry", "system", None));
        created(request.person_id.clone(), forces.register_person(request), "a person").await
    }

    async fn head(&self) -> u64 {
        let mut log = EventStoreClient::new(self.as_role("auditor", "inspector", None));
        log.get_head(GetHeadRequest {})
            .await
            .expect("head")
            .into_inner()
            .next_position
    }
}

/// `id` once `write`, which creates the record of that id, is accepted; panics naming
/// `what` if it is not.
async fn created<T>(id: String, write: impl std::future::Future<Output = Result<T, Status>>, what: &str) -> String {
    if let Err(status) = write.await {
        panic!("create {what}: {status:?}");
    }
    id
}

fn channel_as(server: &TestServer, issuer: &TestIssuer, sub: &str, role: &str, jurisdiction: Option<&str>) -> Authed {
    let jurisdiction = jurisdiction.map(|id| Uuid::parse_str(id).expect("an area id"));
    let token = issuer.token_for(sub, role, jurisdiction, now_secs());
    InterceptedService::new(server.channel.clone(), bearer(&token))
}

fn report_in(area_id: &str, on: Date) -> ReportIncidentRequest {
    ReportIncidentRequest {
        header: header(on),
        incident_id: new_id(),
        category: IncidentCategory::NeighbourDispute.into(),
        area_id: area_id.to_string(),
        source: IncidentSource::GrassrootsForce.into(),
        summary: "tranh chấp lối đi chung".into(),
        ..ReportIncidentRequest::default()
    }
}

fn selector(area_id: &str) -> Option<AreaSelector> {
    Some(AreaSelector {
        area: Some(area_selector::Area::AreaId(area_id.into())),
    })
}

/// The kinds of call, one probe each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
    GetArea,
    GetTeam,
    GetRating,
    GetInspection,
    GetTarget,
    GetDocument,
    ReportIncident,
    ForgetPerson,
    GetAreaTree,
    RebuildProjections,
    ExportRows,
    GetHead,
    Append,
    GetCheckpoint,
    CreateCheckpoint,
    GetPublicKey,
    ExportArea,
}

const PROBES: [Probe; 17] = [
    Probe::GetArea,
    Probe::GetTeam,
    Probe::GetRating,
    Probe::GetInspection,
    Probe::GetTarget,
    Probe::GetDocument,
    Probe::ReportIncident,
    Probe::ForgetPerson,
    Probe::GetAreaTree,
    Probe::RebuildProjections,
    Probe::ExportRows,
    Probe::GetHead,
    Probe::Append,
    Probe::GetCheckpoint,
    Probe::CreateCheckpoint,
    Probe::GetPublicKey,
    Probe::ExportArea,
];

/// Whether `role` may make `probe`, written out from the issue's words, not from the code.
fn expected(role: &str, probe: Probe) -> bool {
    use Probe::*;
    let view = matches!(
        probe,
        GetArea | GetTeam | GetRating | GetInspection | GetTarget | GetDocument
    );
    match role {
        // Clerks record facts (in their jurisdiction) and read views and projections.
        "clerk" => view || matches!(probe, ReportIncident | GetAreaTree | GetPublicKey),
        // Inspectors read everything and use the audit API, never write.
        "inspector" => {
            view || matches!(
                probe,
                GetAreaTree | ExportRows | GetHead | GetCheckpoint | CreateCheckpoint | GetPublicKey | ExportArea
            )
        }
        // Analysts read projections, exports and the stream.
        "analyst" => matches!(probe, GetAreaTree | ExportRows | GetHead | GetPublicKey),
        // Administrators manage keys (erasure), backups (audit, stream) and rebuilds.
        "administrator" => {
            view || matches!(
                probe,
                ForgetPerson
                    | GetAreaTree
                    | RebuildProjections
                    | ExportRows
                    | GetHead
                    | GetCheckpoint
                    | CreateCheckpoint
                    | GetPublicKey
                    | ExportArea
            )
        }
        // "courts" was granted ReportIncident and Append only.
        "system" => matches!(probe, ReportIncident | Append | GetPublicKey),
        // Migration moves history: the raw stream, both ways.
        "migration" => matches!(probe, GetHead | Append | GetPublicKey),
        _ => false,
    }
}

/// Makes `probe` as the caller of `channel`; the status if it was refused.
async fn call(world: &World, channel: Authed, probe: Probe) -> Result<(), Status> {
    let missing = new_id();
    let on = date(2021, 6, 1);
    let result = match probe {
        Probe::GetArea => AreasClient::new(channel)
            .get_area(GetAreaRequest {
                area_id: world.province.clone(),
                ..GetAreaRequest::default()
            })
            .await
            .map(drop),
        Probe::GetTeam => ForcesClient::new(channel)
            .get_team(GetTeamRequest {
                team_id: missing,
                ..GetTeamRequest::default()
            })
            .await
            .map(drop),
        Probe::GetRating => RatingsClient::new(channel)
            .get_rating(GetRatingRequest {
                unit_area_id: world.commune_a.clone(),
                year: 2020,
                ..GetRatingRequest::default()
            })
            .await
            .map(drop),
        Probe::GetInspection => InspectionsClient::new(channel)
            .get_inspection(GetInspectionRequest {
                inspection_id: missing,
                ..GetInspectionRequest::default()
            })
            .await
            .map(drop),
        Probe::GetTarget => TargetsClient::new(channel)
            .get_target(GetTargetRequest {
                target_id: missing,
                ..GetTargetRequest::default()
            })
            .await
            .map(drop),
        Probe::GetDocument => RecordsClient::new(channel)
            .get_document(GetDocumentRequest {
                document_id: missing,
                ..GetDocumentRequest::default()
            })
            .await
            .map(drop),
        Probe::ReportIncident => IncidentsClient::new(channel)
            .report_incident(report_in(&world.commune_a, on))
            .await
            .map(drop),
        Probe::ForgetPerson => ForcesClient::new(channel)
            .forget_person(ForgetPersonRequest {
                header: header(on),
                person_id: missing,
                reason: "yêu cầu xoá".into(),
            })
            .await
            .map(drop),
        Probe::GetAreaTree => ProjectionsClient::new(channel)
            .get_area_tree(AreaTreeRequest {
                axes: None,
                area: selector(&world.province),
            })
            .await
            .map(drop),
        Probe::RebuildProjections => ProjectionsClient::new(channel)
            .rebuild_projections(RebuildProjectionsRequest::default())
            .await
            .map(drop),
        Probe::ExportRows => AnalyticsClient::new(channel)
            .export_rows(ExportRowsRequest::default())
            .await
            .map(drop),
        Probe::GetHead => EventStoreClient::new(channel)
            .get_head(GetHeadRequest {})
            .await
            .map(drop),
        Probe::Append => EventStoreClient::new(channel)
            .append(AppendRequest {
                stream_id: "notes".into(),
                expected: None,
                events: vec![json_event("antt.v1.Note", r#"{"text":"xin chào"}"#)],
            })
            .await
            .map(drop),
        Probe::GetCheckpoint => AuditClient::new(channel)
            .get_checkpoint(GetCheckpointRequest::default())
            .await
            .map(drop),
        Probe::CreateCheckpoint => AuditClient::new(channel)
            .create_checkpoint(CreateCheckpointRequest::default())
            .await
            .map(drop),
        Probe::GetPublicKey => AuditClient::new(channel)
            .get_public_key(GetPublicKeyRequest::default())
            .await
            .map(drop),
        Probe::ExportArea => AuditClient::new(channel)
            .export_area(ExportAreaRequest {
                area: selector(&world.province),
                effective_on_or_before: Some(date(2026, 1, 1)),
                ..Default::default()
            })
            .await
            .map(drop),
    };
    result
}

fn refused(result: &Result<(), Status>) -> Option<Code> {
    result
        .as_ref()
        .err()
        .map(Status::code)
        .filter(|code| matches!(code, Code::PermissionDenied | Code::Unauthenticated))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_reaches_exactly_its_calls() {
    let world = World::new().await;
    let roles = [
        ("nguyenvana", "clerk", Some(world.district_a.clone())),
        ("thanhtra", "inspector", None),
        ("phantich", "analyst", None),
        ("quantri", "administrator", None),
        ("courts", "system", None),
        ("chuyendoi", "migration", None),
    ];
    let mut wrong = Vec::new();
    for (sub, role, jurisdiction) in &roles {
        for probe in PROBES {
            let head_before = world.head().await;
            let result = call(&world, world.as_role(sub, role, jurisdiction.as_deref()), probe).await;
            let allowed = expected(role, probe);
            match (allowed, refused(&result)) {
                (true, None) => {}
                (false, Some(Code::PermissionDenied)) => {
                    // A denial writes nothing.
                    if world.head().await != head_before {
                        wrong.push(format!("{role} {probe:?}: denied but the log grew"));
                    }
                }
                (_, _) => wrong.push(format!("{role} {probe:?}: expected allowed={allowed}, got {result:?}")),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Health needs no token at all.
    let mut health = tonic_health::pb::health_client::HealthClient::new(world.server.channel.clone());
    health
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .expect("health answers without credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_expired_forged_and_misaddressed_tokens_are_unauthenticated() {
    let world = World::new().await;
    let now = now_secs();
    let head = |channel: Authed| async move { EventStoreClient::new(channel).get_head(GetHeadRequest {}).await };
    let with = |token: String| InterceptedService::new(world.server.channel.clone(), bearer(&token));

    let anonymous = EventStoreClient::new(world.server.channel.clone())
        .get_head(GetHeadRequest {})
        .await;
    assert_eq!(anonymous.unwrap_err().code(), Code::Unauthenticated);

    let valid = Claims::new(&world.issuer, "thanhtra", "inspector", now);
    head(with(world.issuer.token(&valid, Algorithm::ES256)))
        .await
        .expect("a valid ES256 token");
    head(with(world.issuer.token(&valid, Algorithm::RS256)))
        .await
        .expect("a valid RS256 token");

    let expired = Claims {
        exp: now - 3600,
        ..valid.clone()
    };
    let wrong_audience = Claims {
        aud: "another-service".into(),
        ..valid.clone()
    };
    let impostor = TestIssuer::new(&world.issuer.issuer, TOKEN_AUDIENCE, 99);
    for (what, token) in [
        ("expired", world.issuer.token(&expired, Algorithm::EdDSA)),
        ("wrong audience", world.issuer.token(&wrong_audience, Algorithm::EdDSA)),
        ("forged", impostor.token(&valid, Algorithm::EdDSA)),
        ("garbage", "not-a-jwt".to_string()),
    ] {
        let status = head(with(token)).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{what}: {status:?}");
        assert!(!status.message().contains("eyJ"), "{what}: the token is not echoed");
    }
}

/// Inside and outside a district, and either side of a move, for every kind of record:
/// [`located_writes`]. Here the clerks whose jurisdiction is none or the whole province.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerks_without_a_jurisdiction_write_nothing_located_and_province_clerks_everywhere() {
    let world = World::new().await;
    let after = date(2021, 6, 1);
    let head_before = world.head().await;
    let unbounded = IncidentsClient::new(world.as_role("vodanh", "clerk", None))
        .report_incident(report_in(&world.commune_a, after))
        .await
        .unwrap_err();
    assert_eq!(unbounded.code(), Code::PermissionDenied);
    assert!(unbounded.message().contains("antt_jurisdiction"), "{unbounded:?}");
    assert_eq!(world.head().await, head_before, "denied writes wrote nothing");
    let recorded = IncidentsClient::new(world.as_role("tinh", "clerk", Some(&world.province)))
        .report_incident(report_in(&world.commune_b, after))
        .await
        .expect("the province covers every district");

    // The actor is the token's subject and issuer.
    let mut log = EventStoreClient::new(world.as_role("thanhtra", "inspector", None));
    let event = log
        .get_event(GetEventRequest {
            key: Some(get_event_request::Key::Position(recorded.into_inner().first_position)),
        })
        .await
        .expect("the recorded event")
        .into_inner();
    assert_eq!(event.actor, format!("tinh@{}", world.issuer.issuer));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_appends_never_reach_domain_streams_but_for_migration() {
    let world = World::new().await;
    let team_stream = format!("team-{}", Uuid::new_v4());
    let append = |channel: Authed, stream: &str, event: NewEvent| {
        let request = AppendRequest {
            stream_id: stream.to_string(),
            expected: None,
            events: vec![event],
        };
        async move { EventStoreClient::new(channel).append(request).await }
    };
    let note = || NewEvent {
        actor: "someone-else".into(),
        ..json_event("antt.v1.Note", r#"{"text":"ghi chú"}"#)
    };
    let domain_typed = || json_event("antt.v1.AreaRegistered", "{}");
    let courts = || world.as_role("courts", "system", None);
    let migration = || world.as_role("chuyendoi", "migration", None);

    let denied = [
        ("system to a team stream", append(courts(), &team_stream, note()).await),
        ("system, a domain type", append(courts(), "notes", domain_typed()).await),
        (
            "migration to the access records",
            append(migration(), "access-personal-data-reads", note()).await,
        ),
    ];
    for (what, result) in denied {
        assert_eq!(result.expect_err(what).code(), Code::PermissionDenied, "{what}");
    }
    let position = append(courts(), "notes", note())
        .await
        .expect("a note")
        .into_inner()
        .first_position;
    append(migration(), &team_stream, note())
        .await
        .expect("migration writes a team stream");

    let mut log = EventStoreClient::new(world.as_role("thanhtra", "inspector", None));
    let event = log
        .get_event(GetEventRequest {
            key: Some(get_event_request::Key::Position(position)),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        event.actor,
        format!("courts@{}", world.issuer.issuer),
        "never the request's actor"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_of_personal_data_is_recorded() {
    let world = World::new().await;
    let person_id = world.register_person("Nguyễn Văn An").await;
    let get = GetPersonRequest {
        person_id: person_id.clone(),
        ..GetPersonRequest::default()
    };
    let denied = ForcesClient::new(world.as_role("phantich", "analyst", None))
        .get_person(get.clone())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let view = ForcesClient::new(world.as_role("thanhtra", "inspector", None))
        .get_person(get)
        .await
        .expect("an inspector reads it")
        .into_inner();
    assert!(format!("{view:?}").contains("Nguyễn Văn An"));

    let mut log = EventStoreClient::new(world.as_role("thanhtra", "inspector", None));
    let request = ReadStreamRequest {
        stream_id: "access-personal-data-reads".into(),
        ..ReadStreamRequest::default()
    };
    let mut stream = log
        .read_stream(request)
        .await
        .expect("the records of reads")
        .into_inner();
    let mut reads = Vec::new();
    while let Some(event) = stream.message().await.expect("a record") {
        reads.push(event);
    }
    assert_eq!(
        reads.len(),
        1,
        "one read, one record; the analyst's denied call is none"
    );
    let read = PersonalDataRead::decode(reads[0].payload.as_slice()).expect("a PersonalDataRead");
    assert_eq!(read.reader, format!("thanhtra@{}", world.issuer.issuer));
    assert_eq!(read.role, "inspector");
    assert_eq!(read.rpc, "antt.v1.Forces/GetPerson");
    assert_eq!(read.person_ids, vec![person_id]);
}

/// Files of a test PKI: a CA, a server certificate for "localhost" and a client
/// certificate, all signed by the CA.
struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
    client_cert_pem: String,
    client_key_pem: String,
}

impl Pki {
    fn new() -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key")).expect("CA");
        let leaf = |name: &str| {
            let key = KeyPair::generate().expect("a key");
            let cert = CertificateParams::new(vec![name.to_string()])
                .expect("params")
                .signed_by(&key, &ca)
                .expect("a certificate");
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = leaf("localhost");
        let (client_cert_pem, client_key_pem) = leaf("he-thong-dan-cu.gov.vn");
        let dir = tempfile::tempdir().expect("a temp dir");
        for (name, text) in [
            ("server.pem", &server_cert),
            ("server.key", &server_key),
            ("ca.pem", &ca.pem()),
        ] {
            std::fs::write(dir.path().join(name), text).expect("write a PEM file");
        }
        Pki {
            dir,
            ca_pem: ca.pem(),
            client_cert_pem,
            client_key_pem,
        }
    }

    fn path(&self, name: &str) -> Option<std::path::PathBuf> {
        Some(self.dir.path().join(name))
    }
}

/// Calls health over `tls` to `addr`; the error, as text, if the call fails.
async fn health_over_tls(addr: std::net::SocketAddr, tls: tonic::transport::ClientTlsConfig) -> Result<(), String> {
    let channel = tonic::transport::Endpoint::from_shared(format!("https://{addr}"))
        .map_err(|e| e.to_string())?
        .tls_config(tls)
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    health
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await
        .map(drop)
        .map_err(|status| format!("{status:?}"))
}

/// How a TLS server treats client certificates.
#[derive(Clone, Copy)]
enum ClientCertificates {
    /// No client CA: server-side TLS only.
    NotAsked,
    /// A client CA, and a client must present a certificate it signed.
    Required,
    /// A client CA; a client may present none, but one it did not sign is refused.
    Optional,
}

/// A server over TLS with `pki`'s server certificate; its address, and what stops it.
struct TlsServer {
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), anttd::ServeError>>,
    _data: tempfile::TempDir,
}

impl TlsServer {
    async fn start(pki: &Pki, clients: ClientCertificates) -> TlsServer {
        let data = tempfile::tempdir().expect("a data dir");
        let mut config = anttd::Config::for_data_dir(data.path());
        config.access.tls_cert = pki.path("server.pem");
        config.access.tls_key = pki.path("server.key");
        if !matches!(clients, ClientCertificates::NotAsked) {
            config.access.tls_client_ca = pki.path("ca.pem");
        }
        config.access.tls_client_cert_optional = matches!(clients, ClientCertificates::Optional);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("an address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(anttd::serve(config, listener, async move {
            let _ = stopped.await;
        }));
        TlsServer {
            addr,
            stop,
            task,
            _data: data,
        }
    }

    /// Health over `tls`, retried while the server opens its log; the last error if it
    /// never answers.
    async fn health_once_up(&self, tls: &tonic::transport::ClientTlsConfig) -> Result<(), String> {
        let mut answered = Err(String::from("not tried"));
        for _ in 0..200 {
            answered = health_over_tls(self.addr, tls.clone()).await;
            if answered.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        answered
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("the server task").expect("a clean stop");
    }
}

/// A client that trusts `pki`'s CA, presenting no certificate.
fn trusting(pki: &Pki) -> tonic::transport::ClientTlsConfig {
    use tonic::transport::{Certificate, ClientTlsConfig};
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&pki.ca_pem))
        .domain_name("localhost")
}

/// A client that trusts `pki`'s CA and presents the client certificate `of` issued.
fn presenting(pki: &Pki, of: &Pki) -> tonic::transport::ClientTlsConfig {
    trusting(pki).identity(tonic::transport::Identity::from_pem(
        &of.client_cert_pem,
        &of.client_key_pem,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_required_client_certificate() {
    let pki = Pki::new();
    let server = TlsServer::start(&pki, ClientCertificates::Required).await;
    server
        .health_once_up(&presenting(&pki, &pki))
        .await
        .expect("a client with a certificate the CA signed is served");
    let refused = health_over_tls(server.addr, trusting(&pki)).await;
    assert!(refused.is_err(), "a client without a certificate is refused");
    let plain = tonic::transport::Endpoint::from_shared(format!("http://{}", server.addr))
        .expect("an endpoint")
        .connect()
        .await;
    if let Ok(channel) = plain {
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
        assert!(
            health
                .check(tonic_health::pb::HealthCheckRequest::default())
                .await
                .is_err(),
            "plaintext is refused"
        );
    }
    server.stop().await;
}

/// Server-side TLS alone serves any client that trusts the server; with optional client
/// certificates a client may present none, but not one from a CA the server does not trust.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_without_client_certificates_and_with_optional_ones() {
    let pki = Pki::new();
    let stranger = Pki::new();
    let server = TlsServer::start(&pki, ClientCertificates::NotAsked).await;
    server
        .health_once_up(&trusting(&pki))
        .await
        .expect("server-side TLS serves a client without a certificate");
    let untrusted_server = health_over_tls(server.addr, trusting(&stranger)).await;
    assert!(
        untrusted_server.is_err(),
        "a client that does not trust the server's CA gets no answer"
    );
    server.stop().await;

    let server = TlsServer::start(&pki, ClientCertificates::Optional).await;
    server
        .health_once_up(&trusting(&pki))
        .await
        .expect("optional: a client without a certificate is served");
    health_over_tls(server.addr, presenting(&pki, &pki))
        .await
        .expect("optional: a client with a certificate the CA signed is served");
    let foreign = health_over_tls(server.addr, presenting(&pki, &stranger)).await;
    assert!(foreign.is_err(), "optional: a certificate from another CA is refused");
    server.stop().await;
}

#[tokio::test]
async fn an_exposed_address_without_keys_does_not_start() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.expect("bind");
    let refused = anttd::serve(anttd::Config::for_data_dir(&data), listener, std::future::pending())
        .await
        .expect_err("no keys, reachable from the network: no start");
    assert!(refused.to_string().contains("--insecure"), "{refused}");
    // Refused before the log was opened (or created): nothing was touched.
    assert!(
        !data.exists(),
        "the data directory was created by a server that did not start"
    );
}
