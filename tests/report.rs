//! End to end: `antt report` through its library function against a real server.
//!
//! Goal: the report's JSON has one object per year with the figures the records give
//! for that year as of its last day, and totals over the range; `known_at` reaches every
//! call (a departure recorded later is in no figure); a year before the area existed is
//! marked so instead of failing the report; the Markdown has the Vietnamese headings.
//! Method: two years of Nga Thái's records typed in through the domain RPCs
//! (`two_years`), then the report fetched over gRPC and rendered.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt::report::{self, AreaArg, Scope};
use antt_e2e::two_years::{self, TwoYears};
use antt_e2e::v1::ratings_client::RatingsClient;
use antt_e2e::v1::records_client::RecordsClient;
use antt_e2e::v1::{
    report_figure_request, BodyKind, BodyRef, DocumentKind, DocumentTopic, FigureIndicator, FigurePrecision,
    FigureValue, ForceType, RecordDocumentRequest, RecordPledgesRequest, ReportFigureRequest, YearRange,
};
use antt_e2e::TestServer;
use serde_json::Value;

async fn report_json(server: &TestServer, scope: &Scope) -> (Value, String) {
    let answers = report::fetch(server.cli_channel().await, scope).await.unwrap();
    let tables = report::tables(&answers);
    (report::json(&answers, &tables), report::markdown(&answers, &tables))
}

fn scope(from: i32, to: i32, known_at: Option<prost_types::Timestamp>) -> Scope {
    Scope::new(
        AreaArg::Code("15016".into()),
        from,
        to,
        None,
        known_at,
        report::today_in_vietnam(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_report_gives_each_years_figures_and_the_totals() {
    let server = TestServer::start().await.unwrap();
    let TwoYears {
        commune,
        village,
        before_departure,
        ..
    } = two_years::record(&server).await;
    // The commune's plan of 2020, for the activity table.
    let plan = RecordDocumentRequest {
        header: antt_e2e::header(antt_e2e::date(2020, 1, 20)),
        document_id: antt_e2e::new_id(),
        kind: DocumentKind::Plan.into(),
        number: "05/KH-UBND".into(),
        subject: "Kế hoạch bảo đảm an ninh, trật tự năm 2020".into(),
        issued_by: Some(BodyRef {
            kind: BodyKind::PeoplesCommittee.into(),
            name: "UBND xã Nga Thái".into(),
            area_id: commune.clone(),
        }),
        topic: DocumentTopic::SecurityAndOrder.into(),
        years: Some(YearRange {
            first_year: 2020,
            last_year: 2020,
        }),
        ..Default::default()
    };
    let mut records = RecordsClient::new(server.channel.clone());
    records.record_document(plan).await.unwrap();
    // The commune's report of 2020 says 3 members of protection teams; the records have 2.
    records
        .report_figure(ReportFigureRequest {
            header: antt_e2e::decided_by(antt_e2e::date(2021, 1, 15), "12/BC-UBND", "UBND xã Nga Thái"),
            figure_id: antt_e2e::new_id(),
            unit_area_id: commune.clone(),
            indicator: FigureIndicator::Members.into(),
            force_type: ForceType::SecurityProtectionTeam.into(),
            period: Some(report_figure_request::Period::Year(2020)),
            value: Some(FigureValue {
                count: 3,
                precision: FigurePrecision::Exact.into(),
                out_of: None,
                share_permille: None,
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    // Thôn 8's households sign their pledges of 2020, in two batches.
    for (day, signed) in [(15, 120), (20, 178)] {
        RatingsClient::new(server.channel.clone())
            .record_pledges(RecordPledgesRequest {
                header: antt_e2e::header(antt_e2e::date(2020, 2, day)),
                unit_area_id: village.clone(),
                year: 2020,
                pledges_signed: signed,
                campaign: "Ký cam kết đầu năm 2020".into(),
            })
            .await
            .unwrap();
    }

    let (document, markdown) = report_json(&server, &scope(2019, 2021, None)).await;
    assert_eq!(document["area"]["area_id"], commune.as_str());
    assert_eq!(document["area"]["name"], "Xã Nga Thái");
    let years = document["years"].as_array().unwrap();
    assert_eq!(years.len(), 3);

    let y2019 = &years[0];
    assert_eq!(y2019["as_of"], "2019-12-31");
    assert_eq!(y2019["forces"], Value::Array(vec![]), "no team before 2020");
    assert_eq!(y2019["incidents"]["reported"], 0);
    assert_eq!(
        (
            y2019["ratings"]["eligible"].as_u64(),
            y2019["ratings"]["registered"].as_u64()
        ),
        (Some(1), Some(0))
    );

    let y2020 = &years[1];
    let team = &y2020["forces"][0];
    assert_eq!(team["force_type"], "security_protection_team");
    assert_eq!((team["teams"].as_u64(), team["members"].as_u64()), (Some(1), Some(2)));
    assert_eq!(team["quota_filled_percent"], 66.7);
    assert_eq!(y2020["forces"][1]["force_type"], "social_security_group");
    assert_eq!(y2020["member_changes"][0]["joins"], 2);
    assert_eq!(y2020["coverage"]["households_in_groups"], 31);
    assert_eq!(y2020["activity"]["documents_issued"], 1);
    assert_eq!(years[0]["activity"]["documents_issued"], 0);
    assert_eq!(y2020["coverage"]["households_of_area"], 312);
    assert_eq!(y2020["coverage"]["percent"], 9.9);
    assert_eq!(y2020["incidents"]["reported"], 1);
    assert_eq!(y2020["incidents"]["mediation_success_percent"], 100.0);
    assert_eq!(y2020["incidents_by_category"][0]["category"], "land_dispute");
    assert_eq!(y2020["incidents_by_level"][0]["level"], "security_protection_team");
    assert_eq!(y2020["incidents_by_level"][0]["percent"], 100.0);
    assert_eq!(y2020["incidents_by_resolution"][0]["resolution"], "mediated");
    assert_eq!(y2020["ratings"]["safe"], 1);
    assert_eq!(y2020["ratings"]["safe_percent"], 100.0);
    assert_eq!(y2020["ratings"]["pledges_signed"], 298);
    assert_eq!(years[0]["ratings"]["pledges_signed"], 0);
    let figure = &y2020["reported_figures"][0];
    assert_eq!(figure["indicator"], "members");
    assert_eq!(figure["unit"], "Xã Nga Thái");
    assert_eq!(
        (
            figure["reported"].as_i64(),
            figure["derived"].as_i64(),
            figure["difference"].as_i64()
        ),
        (Some(3), Some(2), Some(-1)),
        "reported 3, the records have An and Bình"
    );
    assert_eq!(y2020["reported_figures"].as_array().map(Vec::len), Some(1));
    assert_eq!(years[2]["reported_figures"], Value::Array(vec![]));

    let y2021 = &years[2];
    assert_eq!(y2021["forces"][0]["members"], 1, "An left on 01/04/2021");
    assert_eq!(y2021["departures_by_reason"][0]["reason"], "relocated");
    assert_eq!(y2021["incidents"]["defendants"], 2);
    assert_eq!(y2021["incidents_by_level"][0]["level"], "district_police");
    assert_eq!(y2021["ratings"]["safe_2_years_running"], 1);
    assert_eq!(y2021["ratings"]["safe_3_years_running"], 0);

    let totals = &document["totals"];
    assert_eq!(totals["period"]["from"], "2019-01-01");
    assert_eq!(totals["period"]["to"], "2021-12-31");
    let team_changes = &totals["member_changes"][0];
    assert_eq!(
        (team_changes["joins"].as_u64(), team_changes["departures"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(totals["incidents"]["reported"], 2);
    assert_eq!(totals["incidents"]["resolved"], 2);

    for heading in [
        "# Báo cáo tổng kết phong trào toàn dân bảo vệ an ninh Tổ quốc\n",
        "- Địa bàn: Xã Nga Thái (mã 15016)\n",
        "- Giai đoạn: 01/01/2019 – 31/12/2021\n",
        "## 2. Lực lượng theo loại (tính đến cuối kỳ)\n",
        "## 3. Biến động thành viên trong kỳ\n",
        "## 5. Hộ gia đình tham gia tổ an ninh xã hội (tính đến cuối kỳ)\n",
        "## 6. Vụ việc về an ninh, trật tự\n",
        "## 10. Xếp loại khu dân cư an toàn về ANTT\n",
        "| 2020 | Tổ bảo vệ ANTT | 1 | 2 | 3 | 2 | 66,7 | 1 | 0 | 0 | 0 |\n",
        "| 2020 | 1 | 1 | 31 | 312 | 9,9 |\n",
        "| 2021 | Tổ bảo vệ ANTT | Chuyển nơi cư trú | 1 |\n",
        "| 2020 | Tổ an ninh xã hội | 1 | 1 | 0 | 0 | – | 0 | 0 | 0 | 0 |\n",
        "| 2021 | 1 | 1 | 1 | 1 | 100,0 | 1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 |\n",
        "| 2020 | 1 | 1 | 1 | 1 | 100,0 | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 298 |\n",
        "| Số thành viên | 01/01/2020 | 31/12/2020 | 3 | 2 | −1 | 15/01/2021 | 0 |\n",
    ] {
        assert!(markdown.contains(heading), "{heading:?} is missing from:\n{markdown}");
    }

    // As the records stood before An's departure was recorded.
    let (before, _) = report_json(&server, &scope(2021, 2021, Some(before_departure))).await;
    let y2021 = &before["years"][0];
    assert_eq!(y2021["forces"][0]["members"], 2);
    assert_eq!(y2021["departures_by_reason"], Value::Array(vec![]));
    assert!(
        before["known_position"].as_u64() < document["known_position"].as_u64(),
        "read at an earlier position"
    );

    // The commune was registered from 01/01/2008.
    let (early, _) = report_json(&server, &scope(2007, 2008, None)).await;
    assert_eq!(early["years"][0]["area_existed"], false);
    assert_eq!(early["years"][1]["area_existed"], true);
    server.shutdown().await.unwrap();
}
