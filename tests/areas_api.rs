//! End to end over gRPC: the `antt.v1.Areas` service of a real `anttd`.
//!
//! Goal: an area's whole life (registration, renames, codes, population, key complex
//! designation, mergers, splits, re-parenting, dissolution) is recorded through the API
//! and read back with `GetArea`, refusals carry the right code and a readable reason,
//! retries are idempotent, and a restart keeps everything.
//! Method: each test starts its own server and builds the areas it needs with the real
//! names of Thanh Hóa, Nga Sơn and its communes.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::areas_client::AreasClient;
use antt_e2e::v1::{
    AreaLevel, AreaSplitPart, AreaStatus, AreaView, AssignAreaCodeRequest, CommandHeader, CommandResult, Date,
    DesignateKeyComplexAreaRequest, DissolveAreaRequest, GetAreaRequest, MergeAreasRequest, RecordPopulationRequest,
    RecordTransformationRequest, RegisterAreaRequest, RenameAreaRequest, ReparentAreaRequest, SplitAreaRequest,
};
use antt_e2e::{assert_field_violation, date, decided_by, header, new_id, TestServer};
use tonic::transport::Channel;
use tonic::{Code, Status};

type Client = AreasClient<Channel>;

/// A header with the decision that ordered the change, issued on the effective date.
fn decided(effective: Date, number: &str) -> Option<CommandHeader> {
    decided_by(effective, number, "Ủy ban Thường vụ Quốc hội")
}

async fn client(server: &TestServer) -> Client {
    AreasClient::new(server.channel.clone())
}

struct NewArea<'a> {
    code: &'a str,
    name: &'a str,
    level: AreaLevel,
    division_type: &'a str,
    parent: &'a str,
    on: Date,
}

fn register_request(id: &str, area: &NewArea<'_>) -> RegisterAreaRequest {
    RegisterAreaRequest {
        header: header(area.on),
        area_id: id.to_string(),
        official_code: area.code.to_string(),
        name: area.name.to_string(),
        level: area.level.into(),
        division_type: area.division_type.to_string(),
        parent_area_id: area.parent.to_string(),
        formed_from_area_ids: vec![],
    }
}

/// Registers an area with a fresh id; returns the id.
async fn register(client: &mut Client, area: NewArea<'_>) -> String {
    let id = new_id();
    client
        .register_area(register_request(&id, &area))
        .await
        .unwrap_or_else(|status| panic!("register {}: {status:?}", area.name));
    id
}

async fn get<T>(client: &mut AreasClient<T>, id: &str) -> AreaView
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    client
        .get_area(GetAreaRequest {
            area_id: id.to_string(),
            as_of: None,
        })
        .await
        .unwrap_or_else(|status| panic!("get {id}: {status:?}"))
        .into_inner()
}

/// Thanh Hóa (38) and its district Nga Sơn (401), both from 1997-01-01.
async fn thanh_hoa_and_nga_son(client: &mut Client) -> (String, String) {
    let province = register(
        client,
        NewArea {
            code: "38",
            name: "Tỉnh Thanh Hóa",
            level: AreaLevel::Province,
            division_type: "tỉnh",
            parent: "",
            on: date(1997, 1, 1),
        },
    )
    .await;
    let district = register(
        client,
        NewArea {
            code: "401",
            name: "Huyện Nga Sơn",
            level: AreaLevel::District,
            division_type: "huyện",
            parent: &province,
            on: date(1997, 1, 1),
        },
    )
    .await;
    (province, district)
}

/// A commune (xã) of Nga Sơn from 2008-01-01.
async fn commune(client: &mut Client, district: &str, code: &str, name: &str) -> String {
    register(
        client,
        NewArea {
            code,
            name,
            level: AreaLevel::Commune,
            division_type: "xã",
            parent: district,
            on: date(2008, 1, 1),
        },
    )
    .await
}

fn assert_rule_broken(result: Result<impl std::fmt::Debug, Status>, words: &str) {
    let status = result.expect_err("the command should be refused");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains(words),
        "the message {:?} should say {words:?}",
        status.message()
    );
    assert!(
        status.message().starts_with(|c: char| !c.is_uppercase()) && !status.message().ends_with('.'),
        "messages start lowercase and have no trailing period: {:?}",
        status.message()
    );
}

#[tokio::test]
async fn a_province_district_commune_and_thon_chain_is_recorded_and_read_back() {
    let server = TestServer::start().await.unwrap();
    let mut client = client(&server).await;
    let (province, district) = thanh_hoa_and_nga_son(&mut client).await;
    // Decomposed (NFD) input, as some keyboards send it: "Nga Thiện" with combining marks.
    let decomposed = "Xa\u{0303} Nga Thie\u{0302}\u{0323}n";
    let commune = commune(&mut client, &district, "15970", decomposed).await;
    let thon = register(
        &mut client,
        NewArea {
            code: "",
            name: "Thôn 8",
            level: AreaLevel::ResidentialArea,
            division_type: "thôn",
            parent: &commune,
            on: date(2010, 3, 1),
        },
    )
    .await;

    let view = get(&mut client, &commune).await;
    assert_eq!(view.name, "Xã Nga Thiện", "names are stored NFC-normalised");
    assert_eq!(view.level(), AreaLevel::Commune);
    assert_eq!(view.parent_area_id, district);
    assert_eq!(view.official_code, "15970");
    assert_eq!(view.status(), AreaStatus::Active);
    assert_eq!(view.registered_on, Some(date(2008, 1, 1)));
    assert_eq!(view.stream_id, format!("area-{commune}"));
    assert_eq!(view.stream_version, 0);
    assert_eq!(view.ended_on, None);
    let province_view = get(&mut client, &province).await;
    assert_eq!(province_view.parent_area_id, "");
    assert_eq!(province_view.codes[0].official_code, "38");
    let thon_view = get(&mut client, &thon).await;
    assert_eq!(thon_view.level(), AreaLevel::ResidentialArea);
    assert_eq!(thon_view.official_code, "");
    assert!(thon_view.codes.is_empty());
    assert_eq!(thon_view.parent_area_id, commune);

    // A rename (xã becomes a thị trấn) keeps the old name in the history.
    let renamed = client
        .rename_area(RenameAreaRequest {
            header: decided(date(2019, 12, 1), "832/NQ-UBTVQH14"),
            area_id: commune.clone(),
            new_name: "Thị trấn Nga Thiện".to_string(),
            new_division_type: "thị trấn".to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.event_types, ["antt.v1.AreaRenamed"]);
    assert_eq!(renamed.stream_version, 1);
    assert!(!renamed.deduplicated);
    // A new code from a date: the old one stops belonging to it that day.
    client
        .assign_area_code(AssignAreaCodeRequest {
            header: header(date(2020, 1, 1)),
            area_id: commune.clone(),
            official_code: "15971".to_string(),
        })
        .await
        .unwrap();
    for (on, households, population) in [(date(2018, 6, 12), 1_200, 4_800), (date(2023, 1, 1), 1_250, 5_010)] {
        client
            .record_population(RecordPopulationRequest {
                header: header(on),
                area_id: commune.clone(),
                households,
                population,
                source: "Báo cáo số 55/BC-BCĐ".to_string(),
            })
            .await
            .unwrap();
    }

    let view = get(&mut client, &commune).await;
    assert_eq!(view.name, "Thị trấn Nga Thiện");
    assert_eq!(view.division_type, "thị trấn");
    let names: Vec<(&str, Option<Date>, Option<Date>)> = view
        .names
        .iter()
        .map(|period| (period.name.as_str(), period.valid_from, period.valid_until))
        .collect();
    assert_eq!(
        names,
        [
            ("Xã Nga Thiện", Some(date(2008, 1, 1)), Some(date(2019, 12, 1))),
            ("Thị trấn Nga Thiện", Some(date(2019, 12, 1)), None),
        ]
    );
    assert_eq!(view.names[1].decision.as_ref().unwrap().number, "832/NQ-UBTVQH14");
    assert_eq!(view.official_code, "15971");
    assert_eq!(view.codes.len(), 2);
    assert_eq!(view.codes[0].official_code, "15970");
    assert_eq!(view.codes[0].valid_until, Some(date(2020, 1, 1)));
    assert_eq!(view.codes[1].valid_until, None);
    assert_eq!(view.population.len(), 2);
    assert_eq!(view.population[1].population, 5_010);
    assert_eq!(view.population[1].as_of, Some(date(2023, 1, 1)));
    assert_eq!(view.population[0].source, "Báo cáo số 55/BC-BCĐ");
    assert_eq!(view.stream_version, 4);

    let missing = client
        .get_area(GetAreaRequest {
            area_id: new_id(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    assert!(missing.message().contains("not registered"), "{missing:?}");
}

#[tokio::test]
async fn nga_son_transformed_two_of_three_key_complex_areas() {
    let server = TestServer::start().await.unwrap();
    let mut client = client(&server).await;
    let (_, district) = thanh_hoa_and_nga_son(&mut client).await;
    let mut hotspots = Vec::new();
    for (code, name) in [
        ("15973", "Xã Nga Thái"),
        ("15976", "Xã Nga Tân"),
        ("15979", "Xã Nga Thủy"),
    ] {
        let id = commune(&mut client, &district, code, name).await;
        let designated = client
            .designate_key_complex_area(DesignateKeyComplexAreaRequest {
                header: header(date(2012, 3, 1)),
                area_id: id.clone(),
                reason: "tệ nạn ma tuý, cờ bạc".to_string(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(designated.event_types, ["antt.v1.KeyComplexAreaDesignated"]);
        hotspots.push(id);
    }
    for id in &hotspots[..2] {
        client
            .record_transformation(RecordTransformationRequest {
                header: decided(date(2015, 12, 20), "1234/QĐ-UBND"),
                area_id: id.clone(),
            })
            .await
            .unwrap();
    }
    let mut still_hotspots = 0;
    for id in &hotspots {
        let view = get(&mut client, id).await;
        assert_eq!(view.key_complex_periods.len(), 1);
        assert_eq!(view.key_complex_periods[0].designated_on, Some(date(2012, 3, 1)));
        if view.is_key_complex_area {
            still_hotspots += 1;
            assert_eq!(view.key_complex_periods[0].transformed_on, None);
        } else {
            assert_eq!(view.key_complex_periods[0].transformed_on, Some(date(2015, 12, 20)));
        }
    }
    assert_eq!(still_hotspots, 1, "two of three were transformed");

    // A transformed area is no longer a key complex area, so there is nothing to transform.
    let again = client
        .record_transformation(RecordTransformationRequest {
            header: header(date(2016, 1, 1)),
            area_id: hotspots[0].clone(),
        })
        .await;
    assert_rule_broken(again, "not a key complex area");
}

#[tokio::test]
async fn merging_two_communes_ends_them_and_the_survivor_lists_them() {
    let server = TestServer::start().await.unwrap();
    let mut client = client(&server).await;
    let (_, district) = thanh_hoa_and_nga_son(&mut client).await;
    let nga_linh = commune(&mut client, &district, "15940", "Xã Nga Lĩnh").await;
    let nga_nhan = commune(&mut client, &district, "15943", "Xã Nga Nhân").await;
    let nga_thach = commune(&mut client, &district, "15946", "Xã Nga Thạch").await;
    let request = MergeAreasRequest {
        header: decided(date(2020, 1, 1), "786/NQ-UBTVQH14"),
        survivor_area_id: nga_thach.clone(),
        absorbed_area_ids: vec![nga_linh.clone(), nga_nhan.clone()],
    };
    let merged = client.merge_areas(request.clone()).await.unwrap().into_inner();
    let streams: Vec<&str> = merged.results.iter().map(|r| r.stream_id.as_str()).collect();
    assert_eq!(
        streams,
        [
            format!("area-{nga_linh}"),
            format!("area-{nga_nhan}"),
            format!("area-{nga_thach}")
        ],
        "absorbed areas first, the survivor last"
    );
    assert_eq!(merged.results[0].event_types, ["antt.v1.AreaMergedInto"]);
    assert_eq!(merged.results[2].event_types, ["antt.v1.AreaAbsorbedAreas"]);
    assert!(merged.results.iter().all(|r| !r.deduplicated));

    for absorbed in [&nga_linh, &nga_nhan] {
        let view = get(&mut client, absorbed).await;
        assert_eq!(view.status(), AreaStatus::Merged);
        assert_eq!(view.ended_on, Some(date(2020, 1, 1)));
        assert_eq!(view.successor_area_id, nga_thach);
        // Its history stays readable: name and code, each ending with the area.
        assert_eq!(view.names.last().unwrap().valid_until, Some(date(2020, 1, 1)));
        assert_eq!(view.codes[0].valid_until, Some(date(2020, 1, 1)));
    }
    let survivor = get(&mut client, &nga_thach).await;
    assert_eq!(survivor.status(), AreaStatus::Active);
    assert_eq!(survivor.absorbed_area_ids, [nga_linh.clone(), nga_nhan.clone()]);

    // A retry (same request id, same body) records nothing twice.
    let retried = client.merge_areas(request.clone()).await.unwrap().into_inner();
    assert!(retried.results.iter().all(|r| r.deduplicated), "{retried:?}");
    for (first, again) in merged.results.iter().zip(&retried.results) {
        assert_eq!(
            (first.first_position, first.stream_version),
            (again.first_position, again.stream_version)
        );
    }
    // The same request id for another merger is refused.
    let mut reused = request.clone();
    reused.absorbed_area_ids = vec![nga_linh.clone()];
    let status = client.merge_areas(reused).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");

    // An ended area can no longer change, but facts dated inside its life still record.
    let rename = client
        .rename_area(RenameAreaRequest {
            header: decided(date(2021, 1, 1), "1/NQ"),
            area_id: nga_linh.clone(),
            new_name: "Xã Nga Lĩnh mới".to_string(),
            new_division_type: String::new(),
        })
        .await;
    assert_rule_broken(rename, "the area ended on 2020-01-01");
    client
        .record_population(RecordPopulationRequest {
            header: header(date(2018, 6, 12)),
            area_id: nga_linh.clone(),
            households: 900,
            population: 3_600,
            source: String::new(),
        })
        .await
        .unwrap();
    // Merging an ended area again is refused before anything is written.
    let again = client
        .merge_areas(MergeAreasRequest {
            header: decided(date(2021, 1, 1), "2/NQ"),
            survivor_area_id: nga_thach.clone(),
            absorbed_area_ids: vec![nga_nhan.clone()],
        })
        .await;
    assert_rule_broken(again, "absorbed_area_ids[0]");
    assert_eq!(
        get(&mut client, &nga_thach).await.stream_version,
        survivor.stream_version
    );
}

#[tokio::test]
async fn a_merger_half_written_is_finished_by_its_retry() {
    let server = TestServer::start().await.unwrap();
    let mut client = client(&server).await;
    let (_, district) = thanh_hoa_and_nga_son(&mut client).await;
    let a = commune(&mut client, &district, "15950", "Xã Nga Hải").await;
    let b = commune(&mut client, &district, "15953", "Xã Nga Điền").await;
    let survivor = commune(&mut client, &district, "15956", "Xã Nga Phú").await;
    let request = MergeAreasRequest {
        header: decided(date(2020, 1, 1), "786/NQ-UBTVQH14"),
        survivor_area_id: survivor.clone(),
        absorbed_area_ids: vec![a.clone(), b.clone()],
    };
    // Simulate a stop after the first step: record that step alone, through the
    // EventStore, exactly as the server would have (same event id, same metadata).
    let merged = client.merge_areas(request.clone()).await.unwrap().into_inner();
    let first_step = merged.results[0].clone();
    // Start over on a fresh server with only the first step's events copied, as a
    // migration (the one role that may append raw events to areas' streams).
    let grants = r#"{"systems": [{"subject": "registry", "calls": ["antt.v1.Areas/*"]}]}"#;
    let (fresh, issuer) = TestServer::start_with_tokens(Some(grants), |_| {}).await.unwrap();
    let as_role = |sub: &str, role: &str| {
        let token = issuer.token_for(sub, role, None, antt_e2e::now_secs());
        tonic::codegen::InterceptedService::new(fresh.channel.clone(), antt_e2e::bearer(&token))
    };
    let mut fresh_client = AreasClient::new(as_role("registry", "system"));
    let mut store = antt_e2e::v1::event_store_client::EventStoreClient::new(as_role("chuyendoi", "migration"));
    let mut source = server.client.clone();
    let all = antt_e2e::read_all(&mut source, 0).await.unwrap();
    for event in all.iter().filter(|e| e.position <= first_step.last_position) {
        let new_event = antt_e2e::v1::NewEvent {
            event_id: event.event_id.clone(),
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            effective_at: event.effective_at,
            actor: event.actor.clone(),
            correlation_id: event.correlation_id.clone(),
            causation_id: event.causation_id.clone(),
            metadata: event.metadata.clone(),
            content_type: event.content_type.clone(),
            payload: event.payload.clone(),
        };
        let append = antt_e2e::v1::AppendRequest {
            stream_id: event.stream_id.clone(),
            expected: None,
            events: vec![new_event],
        };
        store.append(append).await.unwrap();
    }
    assert_eq!(get(&mut fresh_client, &a).await.status(), AreaStatus::Merged);
    assert_eq!(get(&mut fresh_client, &b).await.status(), AreaStatus::Active);

    let finished = fresh_client.merge_areas(request).await.unwrap().into_inner();
    let deduplicated: Vec<bool> = finished.results.iter().map(|r| r.deduplicated).collect();
    assert_eq!(
        deduplicated,
        [true, false, false],
        "the written step is recognised, the rest written"
    );
    assert_eq!(get(&mut fresh_client, &b).await.status(), AreaStatus::Merged);
    assert_eq!(get(&mut fresh_client, &survivor).await.absorbed_area_ids, [a, b]);
}

#[tokio::test]
async fn splitting_a_commune_registers_its_parts() {
    let server = TestServer::start().await.unwrap();
    let mut client = client(&server).await;
    let (_, district) = thanh_hoa_and_nga_son(&mut client).await;
    let original = commune(&mut client, &district, "15960", "Xã Nga Văn").await;
    let neighbour = commune(&mut client, &district, "15963", "Xã Nga Phượng").await;
    let (east, west) = (new_id(), new_id());
    let part = |id: &str, code: &str, name: &str| AreaSplitPart {
        area_id: id.to_string(),
        official_code: code.to_string(),
        name: name.to_string(),
        division_type: "xã".to_string(),
        parent_area_id: String::new(),
    };
    let split = client
        .split_area(SplitAreaRequest {
            header: decided(date(2015, 5, 1), "100/NQ-UBTVQH13"),
            area_id: original.clone(),
            new_parts: vec![
                part(&east, "15961", "Xã Nga Văn Đông"),
                part(&west, "15962", "Xã Nga Văn Tây"),
            ],
            existing_part_area_ids: vec![neighbour.clone()],
            original_ends: true,
        })
        .await
        .unwrap()
        .into_inner();
    let types: Vec<&str> = split.results.iter().map(|r| r.event_types[0].as_str()).collect();
    assert_eq!(
        types,
        ["antt.v1.AreaRegistered", "antt.v1.AreaRegistered", "antt.v1.AreaSplit"],
        "the new parts first, the area split last"
    );

    let view = get(&mut client, &original).await;
    assert_eq!(view.status(), AreaStatus::Split);
    assert_eq!(view.ended_on, Some(date(2015, 5, 1)));
    assert_eq!(view.part_area_ids, [east.clone(), west.clone(), neighbour.clone()]);
    let east_view = get(&mut client, &east).await;
    assert_eq!(east_view.name, "Xã Nga Văn Đông");
    assert_eq!(east_view.level(), AreaLevel::Commune);
    assert_eq!(
        east_view.parent_area_id, district,
        "a part keeps the parent of the area split"
    );
    assert_eq!(east_view.formed_from_area_ids, [original.as_str()]);
    assert_eq!(east_view.registered_on, Some(date(2015, 5, 1)));

    // Carving a part off an area that continues needs one part only.
    let hamlet_side = new_id();
    let carved = client
        .split_area(SplitAreaRequest {
            header: decided(date(2016, 1, 1), "5/NQ-HĐND"),
            area_id: east.clone(),
            new_parts: vec![part(&hamlet_side, "", "Xã Nga Văn Bắc")],
            existing_part_area_ids: vec![],
            original_ends: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(carved.results.len(), 2);
    let east_view = get(&mut client, &east).await;
    assert_eq!(east_view.status(), AreaStatus::Active);
    assert_eq!(east_view.part_area_ids, [hamlet_side]);

    // A split needs two parts when the area ends; the path names the list.
    let status = client
        .split_area(SplitAreaRequest {
            header: decided(date(2016, 1, 1), "6/NQ-HĐND"),
            area_id: west.clone(),
            new_parts: vec![part(&new_id(), "", "Xã Nga Văn Nam")],
            existing_part_area_ids: vec![],
            original_ends: true,
        })
        .await
        .unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["new_parts"]);
}

#[tokio::test]
async fn communes_are_reparented_to_the_province_when_districts_are_abolished() {
    let server = TestServer::start().await.unwrap();
    let mut client = client(&server).await;
    let (province, district) = thanh_hoa_and_nga_son(&mut client).await;
    let commune = commune(&mut client, &district, "15970", "Xã Nga Thái").await;
    let reform = date(2025, 7, 1);
    let reparented = client
        .reparent_area(ReparentAreaRequest {
            header: decided(reform, "1686/NQ-UBTVQH15"),
            area_id: commune.clone(),
            new_parent_area_id: province.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reparented.event_types, ["antt.v1.AreaReparented"]);
    let dissolved = client
        .dissolve_area(DissolveAreaRequest {
            header: decided(reform, "1686/NQ-UBTVQH15"),
            area_id: district.clone(),
            reason: "không tổ chức cấp huyện từ ngày 01/7/2025".to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dissolved.event_types, ["antt.v1.AreaDissolved"]);

    let view = get(&mut client, &commune).await;
    assert_eq!(view.parent_area_id, province);
    let parents: Vec<(&str, Option<Date>)> = view
        .parents
        .iter()
        .map(|p| (p.parent_area_id.as_str(), p.valid_until))
        .collect();
    assert_eq!(parents, [(district.as_str(), Some(reform)), (province.as_str(), None)]);
    let district_view = get(&mut client, &district).await;
    assert_eq!(district_view.status(), AreaStatus::Dissolved);
    assert_eq!(district_view.ended_on, Some(reform));

    // A dissolved district takes no new commune and no new change.
    let late = client
        .register_area(register_request(
            &new_id(),
            &NewArea {
                code: "15999",
                name: "Xã Nga Mới",
                level: AreaLevel::Commune,
                division_type: "xã",
                parent: &district,
                on: date(2025, 8, 1),
            },
        ))
        .await;
    assert_rule_broken(late, "no longer existed on 2025-08-01");
    let rename = client
        .rename_area(RenameAreaRequest {
            header: decided(date(2025, 8, 1), "9/NQ"),
            area_id: district.clone(),
            new_name: "Huyện Nga Sơn mới".to_string(),
            new_division_type: String::new(),
        })
        .await;
    assert_rule_broken(rename, "ended on 2025-07-01");
    // Re-parenting to the current parent is malformed, named by its path.
    let status = client
        .reparent_area(ReparentAreaRequest {
            header: decided(date(2025, 8, 1), "9/NQ"),
            area_id: commune.clone(),
            new_parent_area_id: province.clone(),
        })
        .await
        .unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["new_parent_area_id"]);
}

#[tokio::test]
async fn rule_breaks_are_refused_with_a_readable_reason() {
    let server = TestServer::start().await.unwrap();
    let mut client = client(&server).await;
    let (province, district) = thanh_hoa_and_nga_son(&mut client).await;
    let nga_thai = commune(&mut client, &district, "15970", "Xã Nga Thái").await;
    let commune_under = |parent: &str, on: Date| {
        register_request(
            &new_id(),
            &NewArea {
                code: "",
                name: "Xã Nga Lạ",
                level: AreaLevel::Commune,
                division_type: "xã",
                parent,
                on,
            },
        )
    };

    let under_commune = client.register_area(commune_under(&nga_thai, date(2010, 1, 1))).await;
    assert_rule_broken(under_commune, "a commune (xã) cannot belong to a commune (xã)");
    let before_parent = client.register_area(commune_under(&district, date(1990, 1, 1))).await;
    assert_rule_broken(before_parent, "did not exist yet on 1990-01-01");
    let future = client.register_area(commune_under(&district, date(2099, 1, 1))).await;
    assert_rule_broken(future, "later than today");
    let unknown_parent = new_id();
    let orphan = client
        .register_area(commune_under(&unknown_parent, date(2010, 1, 1)))
        .await;
    assert_rule_broken(orphan, "parent_area_id: area");
    let no_parent = client.register_area(commune_under("", date(2010, 1, 1))).await;
    assert_rule_broken(no_parent, "must belong to a parent area");
    // A command on an area that was never registered.
    let unknown = client
        .dissolve_area(DissolveAreaRequest {
            header: decided(date(2020, 1, 1), "1/NQ"),
            area_id: new_id(),
            reason: "thử".to_string(),
        })
        .await;
    assert_rule_broken(unknown, "has not been recorded yet");
    // Only areas of one level merge.
    let cross_level = client
        .merge_areas(MergeAreasRequest {
            header: decided(date(2020, 1, 1), "786/NQ-UBTVQH14"),
            survivor_area_id: province.clone(),
            absorbed_area_ids: vec![nga_thai.clone()],
        })
        .await;
    assert_rule_broken(cross_level, "only areas of the same level can be merged");
    assert_eq!(get(&mut client, &nga_thai).await.status(), AreaStatus::Active);
}

#[tokio::test]
async fn malformed_requests_name_every_field() {
    let server = TestServer::start().await.unwrap();
    let mut client = client(&server).await;
    let (_, district) = thanh_hoa_and_nga_son(&mut client).await;

    let status = client
        .register_area(RegisterAreaRequest {
            header: Some(CommandHeader {
                request_id: "not-a-uuid".to_string(),
                effective_date: Some(date(2023, 2, 29)),
                ..CommandHeader::default()
            }),
            area_id: "38".to_string(),
            official_code: String::new(),
            name: "  ".to_string(),
            level: 0,
            division_type: String::new(),
            parent_area_id: "huyện Nga Sơn".to_string(),
            formed_from_area_ids: vec![district.clone(), district.clone()],
        })
        .await
        .unwrap_err();
    assert_field_violation(
        &status,
        Code::InvalidArgument,
        &[
            "header.request_id",
            "header.effective_date",
            "area_id",
            "name",
            "level",
            "parent_area_id",
            "formed_from_area_ids[1]",
        ],
    );

    let status = client
        .register_area(RegisterAreaRequest {
            header: None,
            ..RegisterAreaRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(antt_e2e::field_violations(&status)[0], "header");

    // A decision is required for a rename; a malformed code is named by its path.
    let commune = commune(&mut client, &district, "15970", "Xã Nga Thái").await;
    let status = client
        .rename_area(RenameAreaRequest {
            header: header(date(2020, 1, 1)),
            area_id: commune.clone(),
            new_name: String::new(),
            new_division_type: String::new(),
        })
        .await
        .unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["header.decision", "new_name"]);
    let status = client
        .assign_area_code(AssignAreaCodeRequest {
            header: header(date(2020, 1, 1)),
            area_id: commune.clone(),
            official_code: "159 70".to_string(),
        })
        .await
        .unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["official_code"]);
    // A decision dated after today is named where the client put it: in the header.
    let mut future_decision = decided(date(2020, 1, 1), "1/NQ");
    if let Some(decision) = future_decision.as_mut().and_then(|h| h.decision.as_mut()) {
        decision.issued_on = Some(date(2099, 1, 1));
    }
    let status = client
        .rename_area(RenameAreaRequest {
            header: future_decision,
            area_id: commune.clone(),
            new_name: "Xã Nga Thái Mới".to_string(),
            new_division_type: String::new(),
        })
        .await
        .unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["header.decision"]);
    let status = client
        .record_population(RecordPopulationRequest {
            header: header(date(2020, 1, 1)),
            area_id: commune.clone(),
            households: 10,
            population: 9,
            source: String::new(),
        })
        .await
        .unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["households"]);

    let status = client
        .merge_areas(MergeAreasRequest {
            header: decided(date(2020, 1, 1), "786/NQ-UBTVQH14"),
            survivor_area_id: commune.clone(),
            absorbed_area_ids: vec![new_id(), commune.clone(), "x".to_string()],
        })
        .await
        .unwrap_err();
    assert_field_violation(
        &status,
        Code::InvalidArgument,
        &["absorbed_area_ids[1]", "absorbed_area_ids[2]"],
    );
    let status = client
        .split_area(SplitAreaRequest {
            header: header(date(2020, 1, 1)),
            area_id: commune.clone(),
            new_parts: vec![
                AreaSplitPart {
                    area_id: commune.clone(),
                    name: "Xã A".to_string(),
                    ..AreaSplitPart::default()
                },
                AreaSplitPart {
                    area_id: new_id(),
                    ..AreaSplitPart::default()
                },
            ],
            existing_part_area_ids: vec![],
            original_ends: true,
        })
        .await
        .unwrap_err();
    assert_field_violation(
        &status,
        Code::InvalidArgument,
        &["header.decision", "new_parts[1].name", "new_parts[0].area_id"],
    );
    let status = client
        .get_area(GetAreaRequest {
            area_id: "Xã Nga Thái".to_string(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["area_id"]);
}

#[tokio::test]
async fn retries_are_idempotent_and_versions_are_checked() {
    let server = TestServer::start().await.unwrap();
    let mut client = client(&server).await;
    let (_, district) = thanh_hoa_and_nga_son(&mut client).await;
    let request = register_request(
        &new_id(),
        &NewArea {
            code: "15970",
            name: "Xã Nga Thái",
            level: AreaLevel::Commune,
            division_type: "xã",
            parent: &district,
            on: date(2008, 1, 1),
        },
    );
    let first: CommandResult = client.register_area(request.clone()).await.unwrap().into_inner();
    let retry = client.register_area(request.clone()).await.unwrap().into_inner();
    assert!(!first.deduplicated);
    assert!(retry.deduplicated);
    assert_eq!(
        (retry.stream_id.as_str(), retry.first_position, retry.stream_version),
        (first.stream_id.as_str(), first.first_position, first.stream_version)
    );
    // The same request id with a different body.
    let mut other = request.clone();
    other.name = "Xã Nga Khác".to_string();
    let status = client.register_area(other).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert!(status.message().contains("cannot be used again"), "{status:?}");

    // A stale expected version is refused; the current one is accepted.
    let rename = |expected_version: u64, name: &str| {
        let mut header = decided(date(2019, 1, 1), "1/NQ");
        if let Some(header) = header.as_mut() {
            header.expected_version = Some(expected_version);
        }
        RenameAreaRequest {
            header,
            area_id: request.area_id.clone(),
            new_name: name.to_string(),
            new_division_type: String::new(),
        }
    };
    client.rename_area(rename(0, "Xã Nga Thái Một")).await.unwrap();
    let stale = client.rename_area(rename(0, "Xã Nga Thái Hai")).await.unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");
    assert_eq!(get(&mut client, &request.area_id).await.name, "Xã Nga Thái Một");
    // For a merger, the expected version is the survivor's.
    let other_commune = commune(&mut client, &district, "15973", "Xã Nga Tân").await;
    let mut merge_header = decided(date(2020, 1, 1), "786/NQ-UBTVQH14");
    if let Some(header) = merge_header.as_mut() {
        header.expected_version = Some(0);
    }
    let stale_merge = client
        .merge_areas(MergeAreasRequest {
            header: merge_header,
            survivor_area_id: request.area_id.clone(),
            absorbed_area_ids: vec![other_commune.clone()],
        })
        .await
        .unwrap_err();
    assert_eq!(stale_merge.code(), Code::Aborted, "{stale_merge:?}");
    assert_eq!(
        get(&mut client, &other_commune).await.status(),
        AreaStatus::Active,
        "nothing written"
    );
}

#[tokio::test]
async fn a_restart_keeps_every_area() {
    let server = TestServer::start().await.unwrap();
    let mut client = client(&server).await;
    let (province, district) = thanh_hoa_and_nga_son(&mut client).await;
    let a = commune(&mut client, &district, "15940", "Xã Nga Lĩnh").await;
    let b = commune(&mut client, &district, "15943", "Xã Nga Nhân").await;
    client
        .merge_areas(MergeAreasRequest {
            header: decided(date(2020, 1, 1), "786/NQ-UBTVQH14"),
            survivor_area_id: b.clone(),
            absorbed_area_ids: vec![a.clone()],
        })
        .await
        .unwrap();
    let mut before = Vec::new();
    for id in [&province, &district, &a, &b] {
        before.push(get(&mut client, id).await);
    }
    drop(client);
    let server = server.restart().await.unwrap();
    let mut client = AreasClient::new(server.channel.clone());
    for (id, view) in [&province, &district, &a, &b].into_iter().zip(before) {
        assert_eq!(get(&mut client, id).await, view);
    }
}
