//! End to end over gRPC: the `antt.v1.Targets` service of a real `anttd`.
//!
//! Goal: the six yearly targets of seed 004 (eight indicators: target 4 has three) can be
//! set for the communes of a province, values recorded per commune and year, and the
//! view tells which commune met each target and whether the year was attained; yearly
//! reports are late from 30 November. Rule breaks and bad input are refused with the
//! right code and field, retries are idempotent, reused request ids and stale versions are
//! refused.
//! Method: each test starts its own server, registers Thanh Hóa, Nga Sơn and two of its
//! communes through the Areas API and drives the Targets API for 2022–2023.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::projections_client::ProjectionsClient;
use antt_e2e::v1::record_target_value_request::Value;
use antt_e2e::v1::set_target_request::Threshold;
use antt_e2e::v1::targets_client::TargetsClient;
use antt_e2e::v1::{
    AreaLevel, CommandHeader, GetTargetRequest, IndicatorRatio, LowerThanPreviousYear, MonthDay,
    RecordTargetReportSubmittedRequest, RecordTargetValueRequest, SetTargetRequest, ShareAtLeast,
    TargetAttainmentRequest, TargetIndicator, TargetView, TimeAxes,
};
use antt_e2e::{area_request, assert_field_violation, date, decided_by, header, register_area, TestServer};
use tonic::transport::Channel;
use tonic::Code;
use uuid::Uuid;

type Client = TargetsClient<Channel>;

/// A header for a new action effective on the given day.
fn effective(year: i32, month: u32, day: u32) -> Option<CommandHeader> {
    header(date(year, month, day))
}

/// Thanh Hóa and two communes of Nga Sơn, registered from 1997.
struct Province {
    province: String,
    communes: [String; 2],
}

async fn province(server: &TestServer) -> Province {
    let province = register(server, AreaLevel::Province, "Tỉnh Thanh Hóa", "").await;
    let district = register(server, AreaLevel::District, "Huyện Nga Sơn", &province).await;
    let nga_thai = register(server, AreaLevel::Commune, "Xã Nga Thái", &district).await;
    let nga_an = register(server, AreaLevel::Commune, "Xã Nga An", &district).await;
    Province {
        province,
        communes: [nga_thai, nga_an],
    }
}

async fn register(server: &TestServer, level: AreaLevel, name: &str, parent: &str) -> String {
    register_area(server, area_request(date(1997, 1, 1), level, name, parent)).await
}

/// A target of resolution 09-NQ/TU for the communes of `scope`, 2021–2025, reports due
/// before 30 November.
fn set(scope: &str, indicator: TargetIndicator, threshold: Threshold) -> SetTargetRequest {
    SetTargetRequest {
        header: decided_by(date(2021, 3, 1), "09-NQ/TU", "Ban Thường vụ Tỉnh ủy Thanh Hóa"),
        target_id: Uuid::new_v4().to_string(),
        indicator: indicator.into(),
        description: "chỉ tiêu của Nghị quyết về công tác bảo đảm ANTT ở nông thôn".to_string(),
        threshold: Some(threshold),
        scope_area_id: scope.to_string(),
        unit_level: AreaLevel::Commune.into(),
        first_year: 2021,
        last_year: 2025,
        report_due_before: Some(MonthDay { month: 11, day: 30 }),
        unit_division_types: Vec::new(),
    }
}

fn value(target_id: &str, commune: &str, year: i32, value: Value) -> RecordTargetValueRequest {
    RecordTargetValueRequest {
        header: effective(year, 11, 20),
        target_id: target_id.to_string(),
        unit_area_id: commune.to_string(),
        year,
        value: Some(value),
        source: "báo cáo của Ban Chỉ đạo xã".to_string(),
    }
}

fn full_share() -> Threshold {
    Threshold::ShareAtLeast(ShareAtLeast { percent: 100 })
}

fn lower() -> Threshold {
    Threshold::LowerThanPreviousYear(LowerThanPreviousYear {})
}

fn ratio(numerator: u64, denominator: u64) -> Value {
    Value::Ratio(IndicatorRatio { numerator, denominator })
}

async fn get(client: &mut Client, target_id: &str) -> TargetView {
    let request = GetTargetRequest {
        target_id: target_id.to_string(),
        as_of: None,
    };
    client.get_target(request).await.expect("GetTarget").into_inner()
}

/// One target of seed 004 and the values of the two communes in 2022 and 2023.
struct Case {
    indicator: TargetIndicator,
    threshold: Threshold,
    values: [[Value; 2]; 2],
    /// Whether 2022 and 2023 were attained over both communes.
    attained: [Option<bool>; 2],
}

#[tokio::test]
async fn the_six_targets_of_seed_004_are_set_and_measured() {
    let server = TestServer::start().await.unwrap();
    let area = province(&server).await;
    let mut client = Client::new(server.channel.clone());
    let yes = Value::Achieved(true);
    let cases = [
        // (1) Every commune's Party committee issues a resolution and its People's
        // Committee a plan.
        Case {
            indicator: TargetIndicator::CommuneResolutionAndPlan,
            threshold: full_share(),
            values: [[yes, yes], [yes, Value::Achieved(false)]],
            attained: [Some(true), Some(false)],
        },
        // (2) Heads rated "completed tasks well" or better: 5 of 6 heads is short of 100 %.
        Case {
            indicator: TargetIndicator::HeadsRatedGoodOrBetter,
            threshold: full_share(),
            values: [[ratio(3, 3), ratio(3, 3)], [ratio(3, 3), ratio(2, 3)]],
            attained: [Some(true), Some(false)],
        },
        // (3) The grassroots democracy regulation applied.
        Case {
            indicator: TargetIndicator::GrassrootsDemocracyApplied,
            threshold: full_share(),
            values: [[yes, yes], [yes, yes]],
            attained: [Some(true), Some(true)],
        },
        // (4) Complex complaints dialogued by heads; fewer complex complaints than the year
        // before; no unlawful mass complaints.
        Case {
            indicator: TargetIndicator::ComplexComplaintsDialogued,
            threshold: full_share(),
            values: [[ratio(2, 2), ratio(1, 1)], [ratio(4, 4), ratio(0, 1)]],
            attained: [Some(true), Some(false)],
        },
        Case {
            indicator: TargetIndicator::ComplexComplaints,
            threshold: lower(),
            values: [[Value::Count(5), Value::Count(2)], [Value::Count(3), Value::Count(2)]],
            attained: [None, Some(true)],
        },
        Case {
            indicator: TargetIndicator::FreeOfMassComplaints,
            threshold: full_share(),
            values: [[yes, yes], [yes, yes]],
            attained: [Some(true), Some(true)],
        },
        // (5) Crimes against social order lower than the year before.
        Case {
            indicator: TargetIndicator::SocialOrderCrimes,
            threshold: lower(),
            values: [[Value::Count(12), Value::Count(7)], [Value::Count(9), Value::Count(8)]],
            attained: [None, Some(true)],
        },
        // (6) Cases within the judicial bodies' competence handled on time.
        Case {
            indicator: TargetIndicator::JudicialCasesHandledOnTime,
            threshold: full_share(),
            values: [[ratio(40, 40), ratio(12, 12)], [ratio(38, 38), ratio(15, 15)]],
            attained: [Some(true), Some(true)],
        },
    ];
    for case in cases {
        let target = set(&area.province, case.indicator, case.threshold);
        let target_id = target.target_id.clone();
        client.set_target(target).await.unwrap();
        for (year, values) in [2022, 2023].into_iter().zip(case.values) {
            for (commune, recorded) in area.communes.iter().zip(values) {
                client
                    .record_target_value(value(&target_id, commune, year, recorded))
                    .await
                    .unwrap_or_else(|status| panic!("{:?} {year}: {status:?}", case.indicator));
            }
        }
        let view = get(&mut client, &target_id).await;
        assert_eq!(view.indicator(), case.indicator);
        assert_eq!(view.values.len(), 4, "{view:?}");
        let attained: Vec<Option<bool>> = view.years.iter().map(|year| year.attained).collect();
        assert_eq!(attained, case.attained, "{:?}", case.indicator);
        // The projections say the same, year by year and commune by commune.
        let request = TargetAttainmentRequest {
            axes: Some(TimeAxes {
                min_position: antt_e2e::head(&mut server.connect().await.unwrap())
                    .await
                    .unwrap()
                    .next_position,
                ..TimeAxes::default()
            }),
            target_id: target_id.clone(),
        };
        let projected = ProjectionsClient::new(server.channel.clone())
            .get_target_attainment(request)
            .await
            .unwrap()
            .into_inner();
        let projected_attained: Vec<Option<bool>> = projected.years.iter().map(|year| year.attained).collect();
        assert_eq!(projected_attained, case.attained, "{:?}", case.indicator);
        assert!(projected.years.iter().all(|year| year.units.len() == 2));
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_later_value_supersedes_and_late_reports_show() {
    let server = TestServer::start().await.unwrap();
    let area = province(&server).await;
    let mut client = Client::new(server.channel.clone());
    let target = set(&area.province, TargetIndicator::SocialOrderCrimes, lower());
    let target_id = target.target_id.clone();
    client.set_target(target).await.unwrap();
    let [nga_thai, nga_an] = &area.communes;
    for (year, count) in [(2022, 12), (2023, 14), (2023, 10)] {
        client
            .record_target_value(value(&target_id, nga_thai, year, Value::Count(count)))
            .await
            .unwrap();
    }
    let report = |commune: &str, year: i32, month: u32, day: u32| RecordTargetReportSubmittedRequest {
        header: effective(year, month, day),
        target_id: target_id.clone(),
        unit_area_id: commune.to_string(),
        year,
    };
    client
        .record_target_report_submitted(report(nga_thai, 2023, 11, 25))
        .await
        .unwrap();
    client
        .record_target_report_submitted(report(nga_an, 2023, 12, 5))
        .await
        .unwrap();
    let twice = client
        .record_target_report_submitted(report(nga_an, 2023, 12, 6))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");

    let view = get(&mut client, &target_id).await;
    let latest = view.values.iter().find(|v| v.year == 2023).unwrap();
    assert_eq!(latest.value, Some(antt_e2e::v1::target_unit_value::Value::Count(10)));
    assert_eq!(latest.meets, Some(true));
    let late: Vec<(&str, Option<bool>)> = view.reports.iter().map(|r| (r.unit_area_id.as_str(), r.late)).collect();
    assert!(late.contains(&(nga_thai.as_str(), Some(false))), "{late:?}");
    assert!(late.contains(&(nga_an.as_str(), Some(true))), "{late:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn values_that_do_not_fit_the_target_are_refused() {
    let server = TestServer::start().await.unwrap();
    let area = province(&server).await;
    let mut client = Client::new(server.channel.clone());
    let target = set(&area.province, TargetIndicator::HeadsRatedGoodOrBetter, full_share());
    let target_id = target.target_id.clone();
    client.set_target(target).await.unwrap();
    let commune = &area.communes[0];

    // Recorded early in 2024 as a plan for 2030: the target stops in 2025.
    let mut beyond_the_resolution = value(&target_id, commune, 2030, ratio(1, 1));
    beyond_the_resolution.header = effective(2024, 1, 5);
    let refusals = [
        (value(&target_id, commune, 2022, Value::Count(3)), "measured as"),
        (beyond_the_resolution, "2021–2025"),
        (value(&target_id, &area.province, 2022, ratio(1, 1)), "level"),
    ];
    for (request, words) in refusals {
        let status = client.record_target_value(request).await.unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
        assert!(status.message().contains(words), "{words:?} not in {status:?}");
    }
    let nowhere = Uuid::new_v4().to_string();
    let status = client
        .set_target(set(&nowhere, TargetIndicator::SocialOrderCrimes, lower()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("scope_area_id"), "{status:?}");
    let missing = client
        .get_target(GetTargetRequest {
            target_id: Uuid::new_v4().to_string(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn malformed_requests_name_every_field() {
    let server = TestServer::start().await.unwrap();
    let area = province(&server).await;
    let mut client = Client::new(server.channel.clone());

    let mut bad = set("Thanh Hóa", TargetIndicator::Unspecified, full_share());
    bad.header.as_mut().unwrap().decision = None;
    bad.threshold = None;
    bad.first_year = 1800;
    bad.report_due_before = Some(MonthDay { month: 11, day: 31 });
    let status = client.set_target(bad).await.unwrap_err();
    assert_field_violation(
        &status,
        Code::InvalidArgument,
        &[
            "header.decision",
            "indicator",
            "threshold",
            "scope_area_id",
            "first_year",
            "report_due_before",
        ],
    );

    // The domain checks the threshold against the indicator; the path is the oneof case.
    let share_of_a_count = set(
        &area.province,
        TargetIndicator::SocialOrderCrimes,
        Threshold::ShareAtLeast(ShareAtLeast { percent: 90 }),
    );
    let status = client.set_target(share_of_a_count).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["share_at_least"]);

    let target = set(
        &area.province,
        TargetIndicator::JudicialCasesHandledOnTime,
        full_share(),
    );
    let target_id = target.target_id.clone();
    client.set_target(target).await.unwrap();
    let upside_down = value(&target_id, &area.communes[0], 2022, ratio(5, 3));
    let status = client.record_target_value(upside_down).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["ratio"]);
    let mut no_value = value(&target_id, &area.communes[0], 2022, ratio(1, 1));
    no_value.value = None;
    no_value.year = 0;
    let status = client.record_target_value(no_value).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["year", "value"]);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn retries_are_deduplicated_and_conflicts_refused() {
    let server = TestServer::start().await.unwrap();
    let area = province(&server).await;
    let mut client = Client::new(server.channel.clone());
    let target = set(&area.province, TargetIndicator::CommuneResolutionAndPlan, full_share());
    let target_id = target.target_id.clone();

    let first = client.set_target(target.clone()).await.unwrap().into_inner();
    let retry = client.set_target(target.clone()).await.unwrap().into_inner();
    assert!(!first.deduplicated && retry.deduplicated);
    assert_eq!(
        (retry.first_position, retry.stream_version),
        (first.first_position, first.stream_version)
    );

    let mut other_body = target;
    other_body.last_year = 2030;
    let status = client.set_target(other_body).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");

    let mut recorded = value(&target_id, &area.communes[0], 2022, Value::Achieved(true));
    recorded.header.as_mut().unwrap().expected_version = Some(first.stream_version + 1);
    let status = client.record_target_value(recorded.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    recorded.header.as_mut().unwrap().expected_version = Some(get(&mut client, &target_id).await.version);
    client.record_target_value(recorded).await.unwrap();
    server.shutdown().await.unwrap();
}

/// Goal: a target on "xã, thị trấn" measures communes and townships, not wards.
#[tokio::test]
async fn a_target_on_communes_and_townships_refuses_a_ward() {
    let server = TestServer::start().await.unwrap();
    let province = register(&server, AreaLevel::Province, "Tỉnh Thanh Hóa", "").await;
    let district = register(&server, AreaLevel::District, "Huyện Nga Sơn", &province).await;
    let of_type = |division_type: &str, name: &str| antt_e2e::v1::RegisterAreaRequest {
        division_type: division_type.to_string(),
        ..area_request(date(1997, 1, 1), AreaLevel::Commune, name, &district)
    };
    let commune = register_area(&server, of_type("xã", "Xã Nga Thái")).await;
    let ward = register_area(&server, of_type("phường", "Phường Bắc Sơn")).await;
    let mut client = TargetsClient::new(server.channel.clone());
    let mut target = set(
        &province,
        TargetIndicator::CommuneResolutionAndPlan,
        Threshold::ShareAtLeast(ShareAtLeast { percent: 100 }),
    );
    target.unit_division_types = vec!["xã".to_string(), "thị trấn".to_string()];
    let target_id = target.target_id.clone();
    client.set_target(target).await.unwrap();
    client
        .record_target_value(value(&target_id, &commune, 2022, Value::Achieved(true)))
        .await
        .unwrap();
    let refused = client
        .record_target_value(value(&target_id, &ward, 2022, Value::Achieved(true)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains("ngoài phạm vi chỉ tiêu"),
        "{}",
        refused.message()
    );
}

/// A target measures the units inside its scope area, as the area tree stood at the end of
/// each year: a commune of another district never, a commune that changed district in
/// July 2023 for 2022 but not for 2023.
#[tokio::test]
async fn a_unit_outside_the_scope_area_is_refused_as_the_tree_stood_that_year() {
    let server = TestServer::start().await.unwrap();
    let area = province(&server).await;
    let hau_loc = register(&server, AreaLevel::District, "Huyện Hậu Lộc", &area.province).await;
    let da_loc = register(&server, AreaLevel::Commune, "Xã Đa Lộc", &hau_loc).await;
    let nga_son = antt_e2e::v1::areas_client::AreasClient::new(server.channel.clone())
        .get_area(antt_e2e::v1::GetAreaRequest {
            area_id: area.communes[0].clone(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner()
        .parent_area_id;
    let mut client = TargetsClient::new(server.channel.clone());
    let target = set(&nga_son, TargetIndicator::HeadsRatedGoodOrBetter, full_share());
    let target_id = target.target_id.clone();
    client.set_target(target).await.unwrap();
    let [moved, stays] = &area.communes;
    antt_e2e::v1::areas_client::AreasClient::new(server.channel.clone())
        .reparent_area(antt_e2e::v1::ReparentAreaRequest {
            header: decided_by(date(2023, 7, 1), "1/NQ-UBTVQH", "Ủy ban Thường vụ Quốc hội"),
            area_id: moved.clone(),
            new_parent_area_id: hau_loc,
        })
        .await
        .unwrap();

    for (unit, year) in [(stays, 2022), (stays, 2023), (moved, 2022)] {
        client
            .record_target_value(value(&target_id, unit, year, ratio(1, 1)))
            .await
            .unwrap_or_else(|status| panic!("{unit} in {year}: {status:?}"));
    }
    let report = RecordTargetReportSubmittedRequest {
        header: effective(2023, 11, 20),
        target_id: target_id.clone(),
        unit_area_id: moved.clone(),
        year: 2023,
    };
    let refusals = [
        client
            .record_target_value(value(&target_id, &da_loc, 2022, ratio(1, 1)))
            .await
            .map(drop),
        client
            .record_target_value(value(&target_id, moved, 2023, ratio(1, 1)))
            .await
            .map(drop),
        client.record_target_report_submitted(report).await.map(drop),
    ];
    for refused in refusals {
        let status = refused.unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
        assert!(
            status.message().contains("ngoài địa bàn áp dụng chỉ tiêu"),
            "{}",
            status.message()
        );
    }
    server.shutdown().await.unwrap();
}
