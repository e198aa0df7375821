//! An area's audit export (`antt.v1.Audit/ExportArea`) over gRPC and through the CLI:
//! the records located in a commune and the areas under it, up to a date, each event
//! proven in the checkpoint sent first; a commune of the 2025 reform carries its
//! predecessor's records; the bundle verifies offline, and a changed one does not.
//!
//! Huyện Nga Sơn (401) has Xã Nga Lĩnh (A, 15940) with Thôn 8 and Xã Nga Nhân (B, 15943)
//! with Thôn 3. In A: a team, an incident, Thôn 8's rating of 2020 and an award to the
//! commune, all by 2021; Thôn 8 renamed in 2023 and its population of 2019 typed in
//! afterwards; the incident assigned and a second one reported in 2023. In B: a team.
//! On 01/07/2025 A is merged into a new commune C (15999).

use std::collections::{BTreeMap, BTreeSet};

use antt::cli::{ExportArgs, VerifyCommand, WitnessKeys};
use antt_audit::checkpoint::SignedCheckpoint;
use antt_audit::merkle;
use antt_audit::note::Verifier;
use antt_e2e::v1::areas_client::AreasClient;
use antt_e2e::v1::audit_client::AuditClient;
use antt_e2e::v1::incidents_client::IncidentsClient;
use antt_e2e::v1::ratings_client::RatingsClient;
use antt_e2e::v1::records_client::RecordsClient;
use antt_e2e::v1::*;
use antt_e2e::{
    area_request, assert_field_violation, date, decided_by, hashes, header, new_id, register_area, thon_8,
    thon_8_team_request, to_log_event, TestServer, NGA_THAI_CHAIRMAN,
};
use tonic::transport::Channel;
use tonic::Code;

/// The export date: what came after it is left out.
const UNTIL: (i32, u32, u32) = (2022, 12, 31);

fn until() -> Date {
    date(UNTIL.0, UNTIL.1, UNTIL.2)
}

struct Story {
    commune_a: String,
    commune_c: String,
    thon_8: String,
    team_a: String,
    team_b: String,
    incident: String,
    later_incident: String,
    award: String,
    inspection: String,
}

async fn commune(server: &TestServer, parent: &str, code: &str, name: &str, on: Date) -> String {
    let request = RegisterAreaRequest {
        official_code: code.into(),
        division_type: "xã".into(),
        ..area_request(on, AreaLevel::Commune, name, parent)
    };
    register_area(server, request).await
}

async fn establish(server: &TestServer, village: &str) -> String {
    let request = thon_8_team_request(village, ForceType::SecurityProtectionTeam, Some(3));
    let team_id = request.team_id.clone();
    antt_e2e::v1::forces_client::ForcesClient::new(server.channel.clone())
        .establish_team(request)
        .await
        .expect("establish a team");
    team_id
}

async fn report(incidents: &mut IncidentsClient<Channel>, area_id: &str, on: Date) -> String {
    let incident_id = new_id();
    incidents
        .report_incident(ReportIncidentRequest {
            header: header(on),
            incident_id: incident_id.clone(),
            category: IncidentCategory::LandDispute.into(),
            area_id: area_id.into(),
            source: IncidentSource::GrassrootsForce.into(),
            ..Default::default()
        })
        .await
        .expect("report an incident");
    incident_id
}

async fn record(server: &TestServer) -> Story {
    let channel = server.channel.clone();
    let on = date(2008, 1, 1);
    let province = register_area(
        server,
        RegisterAreaRequest {
            official_code: "38".into(),
            ..area_request(on, AreaLevel::Province, "Tỉnh Thanh Hóa", "")
        },
    )
    .await;
    let district = register_area(
        server,
        RegisterAreaRequest {
            official_code: "401".into(),
            ..area_request(on, AreaLevel::District, "Huyện Nga Sơn", &province)
        },
    )
    .await;
    let commune_a = commune(server, &district, "15940", "Xã Nga Lĩnh", on).await;
    let commune_b = commune(server, &district, "15943", "Xã Nga Nhân", on).await;
    let thon_8 = thon_8(server, &commune_a).await;
    let thon_3 = register_area(
        server,
        area_request(on, AreaLevel::ResidentialArea, "Thôn 3", &commune_b),
    )
    .await;
    let team_a = establish(server, &thon_8).await;
    let team_b = establish(server, &thon_3).await;

    let mut incidents = IncidentsClient::new(channel.clone());
    let incident = report(&mut incidents, &thon_8, date(2021, 2, 1)).await;
    let mut ratings = RatingsClient::new(channel.clone());
    ratings
        .register_to_strive(RegisterToStriveRequest {
            header: header(date(2019, 12, 15)),
            unit_area_id: thon_8.clone(),
            year: 2020,
        })
        .await
        .expect("register Thôn 8 to strive");
    ratings
        .rate_unit(RateUnitRequest {
            header: decided_by(date(2020, 12, 20), "85/QĐ-UBND", NGA_THAI_CHAIRMAN),
            rating_id: new_id(),
            unit_area_id: thon_8.clone(),
            year: 2020,
            outcome: SafetyOutcome::Safe.into(),
            criteria: "23/2012/TT-BCA".into(),
        })
        .await
        .expect("rate Thôn 8");
    let award = new_id();
    RecordsClient::new(channel.clone())
        .grant_award(GrantAwardRequest {
            header: decided_by(date(2021, 1, 15), "1234/QĐ-UBND", "Chủ tịch UBND huyện Nga Sơn"),
            award_id: award.clone(),
            kind: AwardKind::CertificateOfMerit.into(),
            award_name: String::new(),
            recipient: Some(grant_award_request::Recipient::AreaId(commune_a.clone())),
            granted_by: Some(BodyRef {
                kind: BodyKind::PeoplesCommittee.into(),
                name: "UBND huyện Nga Sơn".into(),
                area_id: district.clone(),
            }),
            achievement: "Có thành tích xuất sắc trong phong trào toàn dân bảo vệ ANTQ".into(),
        })
        .await
        .expect("grant the award");
    // A delegation inspects commune A in 2021.
    let inspection = new_id();
    antt_e2e::v1::inspections_client::InspectionsClient::new(channel.clone())
        .open_inspection(OpenInspectionRequest {
            header: decided_by(date(2021, 6, 1), "03-BC/ĐKT", "Đoàn Kiểm tra số 02"),
            inspection_id: inspection.clone(),
            delegation: "Đoàn Kiểm tra số 02, Huyện ủy Nga Sơn".into(),
            scope: "xây dựng phong trào toàn dân bảo vệ an ninh Tổ quốc".into(),
            inspected_area_id: commune_a.clone(),
        })
        .await
        .expect("open the inspection");

    // After the date: the incident assigned, a second one, Thôn 8 renamed; then a fact of
    // 2019 typed in, recorded after the rename.
    incidents
        .assign_incident(AssignIncidentRequest {
            header: header(date(2023, 2, 1)),
            incident_id: incident.clone(),
            level: HandlingLevel::CommunePolice.into(),
            ..Default::default()
        })
        .await
        .expect("assign the incident");
    let later_incident = report(&mut incidents, &thon_8, date(2023, 3, 1)).await;
    let mut areas = AreasClient::new(channel.clone());
    areas
        .rename_area(RenameAreaRequest {
            header: decided_by(date(2023, 6, 1), "7/NQ-HĐND", "HĐND huyện Nga Sơn"),
            area_id: thon_8.clone(),
            new_name: "Thôn Tám".into(),
            new_division_type: String::new(),
        })
        .await
        .expect("rename Thôn 8");
    areas
        .record_population(RecordPopulationRequest {
            header: header(date(2019, 1, 1)),
            area_id: thon_8.clone(),
            households: 312,
            population: 1_186,
            source: "Sổ theo dõi hộ khẩu của Công an xã".into(),
        })
        .await
        .expect("record Thôn 8's households of 2019");

    // The 2025 reform: a new commune directly under the province absorbs A.
    let reform = date(2025, 7, 1);
    let commune_c = commune(server, &province, "15999", "Xã Nga Sơn Mới", reform).await;
    areas
        .merge_areas(MergeAreasRequest {
            header: decided_by(reform, "1686/NQ-UBTVQH15", "Ủy ban Thường vụ Quốc hội"),
            survivor_area_id: commune_c.clone(),
            absorbed_area_ids: vec![commune_a.clone()],
        })
        .await
        .expect("merge A into C");
    Story {
        commune_a,
        commune_c,
        thon_8,
        team_a,
        team_b,
        incident,
        later_incident,
        award,
        inspection,
    }
}

/// What one export sent, checked as it arrived: every event's canonical bytes are its
/// own and its proof holds in the checkpoint sent first.
struct Exported {
    scope: ExportScope,
    /// Stream → (kind, versions carried).
    streams: BTreeMap<String, (String, Vec<u64>)>,
}

async fn export(audit: &mut AuditClient<Channel>, verifier: &Verifier, request: ExportAreaRequest) -> Exported {
    let mut items = audit.export_area(request).await.expect("export").into_inner();
    let mut checkpoint = None;
    let mut scope = None;
    let mut streams: BTreeMap<String, (String, Vec<u64>)> = BTreeMap::new();
    let mut current = None;
    while let Some(item) = items.message().await.expect("an export item") {
        match item.item.expect("an item") {
            export_item::Item::Checkpoint(signed) => {
                let parsed = SignedCheckpoint::parse_and_verify(&signed.note, verifier).expect("signed by the log");
                checkpoint = Some(parsed.checkpoint);
            }
            export_item::Item::Scope(sent) => scope = Some(sent),
            export_item::Item::Stream(stream) => {
                assert!(streams
                    .insert(stream.stream_id.clone(), (stream.kind, Vec::new()))
                    .is_none());
                current = Some(stream.stream_id);
            }
            export_item::Item::Event(proven) => {
                let checkpoint = checkpoint.as_ref().expect("the checkpoint comes first");
                let event = proven.event.expect("the event");
                let proof = proven.proof.expect("the proof");
                let stream = current.as_ref().expect("a stream before its events");
                assert_eq!(&event.stream_id, stream);
                assert!(event.position < checkpoint.size);
                assert_eq!(
                    antt_log::codec::canonical_bytes(&to_log_event(&event).unwrap()),
                    proven.canonical
                );
                merkle::verify_inclusion(
                    &merkle::leaf_hash(&proven.canonical),
                    event.position,
                    checkpoint.size,
                    &hashes(&proof.hashes).unwrap(),
                    &checkpoint.root,
                )
                .expect("the proof holds");
                streams.get_mut(stream).unwrap().1.push(event.stream_version);
            }
        }
    }
    let scope = scope.expect("the scope");
    assert_eq!(scope.streams, streams.len() as u64);
    Exported { scope, streams }
}

fn by_code(code: &str, list: &str, on: Date) -> ExportAreaRequest {
    ExportAreaRequest {
        area: Some(AreaSelector {
            area: Some(area_selector::Area::Code(code.into())),
        }),
        code_list: list.into(),
        effective_on_or_before: Some(on),
        include_subtree: None,
    }
}

fn by_id(area_id: &str, on: Date) -> ExportAreaRequest {
    ExportAreaRequest {
        area: Some(AreaSelector {
            area: Some(area_selector::Area::AreaId(area_id.into())),
        }),
        code_list: String::new(),
        effective_on_or_before: Some(on),
        include_subtree: None,
    }
}

fn stream_set(exported: &Exported) -> BTreeSet<String> {
    exported.streams.keys().cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_areas_export_carries_its_records_and_its_predecessors() {
    let server = TestServer::start().await.unwrap();
    let story = record(&server).await;
    let mut audit = AuditClient::new(server.channel.clone());
    let key = audit.get_public_key(GetPublicKeyRequest {}).await.unwrap().into_inner();
    let verifier: Verifier = key.verifier_key.parse().unwrap();

    // Commune A up to the end of 2022, by its code of the 2024 list.
    let a = export(&mut audit, &verifier, by_code("15940", "2024", until())).await;
    let scope_area = a.scope.area.as_ref().unwrap();
    assert_eq!(scope_area.area_id, story.commune_a);
    assert_eq!(
        a.scope
            .areas
            .iter()
            .map(|node| node.area_id.clone())
            .collect::<Vec<_>>(),
        [story.commune_a.clone(), story.thon_8.clone()]
    );
    let expected: BTreeSet<String> = [
        format!("area-{}", story.commune_a),
        format!("area-{}", story.thon_8),
        format!("team-{}", story.team_a),
        format!("incident-{}", story.incident),
        format!("rating-{}-2020", story.thon_8),
        format!("award-{}", story.award),
        format!("inspection-{}", story.inspection),
    ]
    .into();
    assert_eq!(
        stream_set(&a),
        expected,
        "B's team and the 2023 incident are not A's records of 2022"
    );
    let versions = |exported: &Exported, stream: String| exported.streams[&stream].1.clone();
    // The incident's assignment of 2023 is left out; Thôn 8's rename of 2023 comes along,
    // because the population of 2019 was recorded after it.
    assert_eq!(versions(&a, format!("incident-{}", story.incident)), [0]);
    assert_eq!(versions(&a, format!("area-{}", story.thon_8)), [0, 1, 2]);
    assert_eq!(versions(&a, format!("rating-{}-2020", story.thon_8)), [0, 1]);
    assert_eq!(versions(&a, format!("team-{}", story.team_a)), [0]);
    assert_eq!(a.streams[&format!("team-{}", story.team_a)].0, "team");
    // A's merger of 2025 is after the date.
    assert_eq!(versions(&a, format!("area-{}", story.commune_a)), [0]);

    // Only the commune itself: Thôn 8's records are left out.
    let alone = export(
        &mut audit,
        &verifier,
        ExportAreaRequest {
            include_subtree: Some(false),
            ..by_code("15940", "", until())
        },
    )
    .await;
    let expected_alone: BTreeSet<String> = [
        format!("area-{}", story.commune_a),
        format!("award-{}", story.award),
        format!("inspection-{}", story.inspection),
    ]
    .into();
    assert_eq!(stream_set(&alone), expected_alone);

    // The reform's commune C in 2026 carries A's history, and what came after 2022.
    let c = export(&mut audit, &verifier, by_id(&story.commune_c, date(2026, 1, 1))).await;
    let mut expected_c = expected.clone();
    expected_c.insert(format!("area-{}", story.commune_c));
    expected_c.insert(format!("incident-{}", story.later_incident));
    assert_eq!(stream_set(&c), expected_c);
    assert!(!stream_set(&c).contains(&format!("team-{}", story.team_b)));
    assert_eq!(versions(&c, format!("incident-{}", story.incident)), [0, 1]);
    assert_eq!(versions(&c, format!("area-{}", story.commune_a)), [0, 1]);

    // Bad input: an area unknown on the date, a code list that is none, no date.
    let unknown = audit.export_area(by_id(&new_id(), until())).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");
    let before_c = audit.export_area(by_id(&story.commune_c, until())).await.unwrap_err();
    assert_eq!(before_c.code(), Code::NotFound, "{before_c:?}");
    let status = audit
        .export_area(ExportAreaRequest {
            effective_on_or_before: None,
            ..by_code("15940", "2019", until())
        })
        .await
        .unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["effective_on_or_before", "code_list"]);
    let status = audit.export_area(ExportAreaRequest::default()).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["area", "effective_on_or_before"]);

    the_cli_bundle_verifies_offline(&server, &key.verifier_key, &story).await;
    server.shutdown().await.unwrap();
}

/// `antt audit export --area` writes the bundle; `antt verify bundle` checks it with the
/// key alone, and refuses it changed or with an event left out.
async fn the_cli_bundle_verifies_offline(server: &TestServer, key: &str, story: &Story) {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("nga-linh.json");
    let args = ExportArgs {
        stream: None,
        area: Some("15940".into()),
        list: Some("2024".into()),
        only_area: false,
        as_of: Some(until()),
        out: out.clone(),
    };
    let url = format!("http://{}", server.addr);
    antt::audit::run_audit(&url, antt::cli::AuditCommand::Export(args))
        .await
        .expect("antt audit export --area");
    let verify = |file: std::path::PathBuf| {
        antt::audit::run_verify(
            // Offline: no server is asked.
            "http://127.0.0.1:9",
            VerifyCommand::Bundle {
                file,
                key: key.to_string(),
                witnesses: WitnessKeys {
                    witness: Vec::new(),
                    min_cosignatures: 0,
                },
            },
        )
    };
    verify(out.clone()).await.expect("the bundle verifies");

    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["area"]["area_id"], story.commune_a.as_str());
    assert_eq!(json["effective_on_or_before"], "2022-12-31");
    let streams = json["streams"].as_array().unwrap();
    assert_eq!(
        streams.len(),
        7,
        "A, Thôn 8, the team, the incident, the rating, the award, the inspection"
    );
    let thon_8 = streams
        .iter()
        .position(|stream| stream["stream_id"] == format!("area-{}", story.thon_8).as_str())
        .unwrap();

    let changed = |edit: &dyn Fn(&mut serde_json::Value), name: &str| {
        let mut copy = json.clone();
        edit(&mut copy);
        let path = temp.path().join(name);
        std::fs::write(&path, copy.to_string()).unwrap();
        path
    };
    let tampered = changed(
        &|bundle| {
            let event = &mut bundle["streams"][thon_8]["events"][2];
            let mut bytes = antt_audit::encoding::parse_base64(event["canonical"].as_str().unwrap()).unwrap();
            let last = bytes.len() - 2;
            bytes[last] ^= 0x01;
            event["canonical"] = antt_audit::encoding::base64(&bytes).into();
        },
        "tampered.json",
    );
    assert!(verify(tampered).await.is_err(), "a changed event fails");
    let gap = changed(
        &|bundle| {
            bundle["streams"][thon_8]["events"].as_array_mut().unwrap().remove(1);
        },
        "gap.json",
    );
    assert!(verify(gap).await.is_err(), "a version left out fails");
    let dropped = changed(
        &|bundle| {
            bundle["streams"].as_array_mut().unwrap().remove(thon_8);
        },
        "dropped.json",
    );
    assert!(
        verify(dropped).await.is_err(),
        "a stream left out of what the scope says fails"
    );
}
