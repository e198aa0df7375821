//! End to end over gRPC: the `antt.v1.Projections` service on both time axes.
//!
//! Goal: a roster, a forces summary and an area tree answer for the day asked about
//! (`as_of`) as the records stood at the moment asked about (`known_at`): an appointment
//! typed in later for an earlier day changes the answer for now but not for a moment
//! before it was recorded; `min_position` gives read-your-writes; bad axes are
//! INVALID_ARGUMENT naming the field, an unknown area NOT_FOUND.
//! Method: one server; areas, a protection team and its members recorded through the
//! Areas and Forces RPCs; the projections queried with a real client.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::forces_client::ForcesClient;
use antt_e2e::v1::projections_client::ProjectionsClient;
use antt_e2e::v1::records_client::RecordsClient;
use antt_e2e::v1::{
    area_selector, report_figure_request, AppointMemberRequest, AreaLevel, AreaSelector, AreaTreeRequest, Date,
    FigureIndicator, FigurePrecision, FigureValue, ForceType, ForcesSummaryRequest, LeaveReason, MemberLeavesRequest,
    MemberRole, Period, PersonHistoryRequest, ProjectionStatusRequest, ReportFigureRequest, ReportedFiguresRequest,
    RosterRequest, TeamHistoryRequest, TimeAxes, YearlySeriesRequest,
};
use antt_e2e::{
    assert_field_violation, date, decided_by, register_person_named, thanh_hoa_and_nga_thai, thon_8,
    thon_8_team_request, timestamp, TestServer, NGA_THAI_CHAIRMAN,
};
use tonic::transport::Channel;
use tonic::Code;

type Projections = ProjectionsClient<Channel>;

fn by_id(area_id: &str) -> Option<AreaSelector> {
    Some(AreaSelector {
        area: Some(area_selector::Area::AreaId(area_id.into())),
    })
}

fn by_code(code: &str) -> Option<AreaSelector> {
    Some(AreaSelector {
        area: Some(area_selector::Area::Code(code.into())),
    })
}

fn axes(as_of: Date, known_at: Option<prost_types::Timestamp>, min_position: u64) -> Option<TimeAxes> {
    Some(TimeAxes {
        as_of: Some(as_of),
        known_at,
        min_position,
    })
}

async fn appoint(channel: &Channel, team: &str, person: &str, role: MemberRole, on: Date) -> u64 {
    let request = AppointMemberRequest {
        header: decided_by(on, "45/QĐ-UBND", NGA_THAI_CHAIRMAN),
        team_id: team.into(),
        person_id: person.into(),
        role: role.into(),
        ..Default::default()
    };
    let result = ForcesClient::new(channel.clone())
        .appoint_member(request)
        .await
        .unwrap();
    result.into_inner().last_position
}

async fn roster(projections: &mut Projections, area: &str, axes: Option<TimeAxes>) -> Vec<(String, i32)> {
    let request = RosterRequest {
        axes,
        area: by_id(area),
        force_type: ForceType::Unspecified.into(),
    };
    let response = projections.get_roster(request).await.unwrap().into_inner();
    let mut members: Vec<(String, i32)> = response
        .teams
        .iter()
        .flat_map(|team| team.members.iter().map(|m| (m.person_id.clone(), m.role)))
        .collect();
    members.sort();
    members
}

#[tokio::test]
async fn rosters_answer_for_a_day_as_the_records_stood_at_a_moment() {
    let server = TestServer::start().await.unwrap();
    let channel = server.channel.clone();
    let mut projections = ProjectionsClient::new(channel.clone());
    let (province, commune) = thanh_hoa_and_nga_thai(&server).await;
    let village = thon_8(&server, &commune).await;
    let team = thon_8_team_request(&village, ForceType::SecurityProtectionTeam, Some(3));
    let team_id = team.team_id.clone();
    ForcesClient::new(channel.clone()).establish_team(team).await.unwrap();
    let an = register_person_named(&channel, date(2020, 1, 1), "Lê Văn An").await;
    let binh = register_person_named(&channel, date(2020, 1, 1), "Phạm Thị Bình").await;
    let position = appoint(&channel, &team_id, &an, MemberRole::Leader, date(2020, 6, 1)).await;

    // Read-your-writes: the appointment is in the answer as soon as it is acknowledged.
    let summer_2021 = date(2021, 7, 1);
    let now = roster(&mut projections, &province, axes(summer_2021, None, position + 1)).await;
    assert_eq!(now, vec![(an.clone(), MemberRole::Leader as i32)]);
    let before_backdating = projections
        .get_projection_status(ProjectionStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before_backdating.applied_position, before_backdating.head_position);
    let inspection_day = antt_e2e::now_timestamp();

    // Typed in later for an earlier day: Bình was deputy from 01/03/2021.
    let position = appoint(&channel, &team_id, &binh, MemberRole::Deputy, date(2021, 3, 1)).await;
    let after = roster(&mut projections, &province, axes(summer_2021, None, position + 1)).await;
    let mut expected = vec![
        (an.clone(), MemberRole::Leader as i32),
        (binh.clone(), MemberRole::Deputy as i32),
    ];
    expected.sort();
    assert_eq!(after, expected, "now the records say both served in summer 2021");
    let as_stood = roster(&mut projections, &province, axes(summer_2021, Some(inspection_day), 0)).await;
    assert_eq!(
        as_stood,
        vec![(an.clone(), MemberRole::Leader as i32)],
        "on the inspection day the records did not know of Bình yet"
    );
    let before_her_term = roster(&mut projections, &province, axes(date(2021, 2, 28), None, 0)).await;
    assert_eq!(before_her_term, vec![(an.clone(), MemberRole::Leader as i32)]);
    let before_the_team = roster(&mut projections, &province, axes(date(2020, 2, 29), None, 0)).await;
    assert!(before_the_team.is_empty(), "the team was established on 01/03/2020");

    // An departs in 2022: a departure with its reason in that year's summary.
    let left = ForcesClient::new(channel.clone())
        .member_leaves(MemberLeavesRequest {
            header: decided_by(date(2022, 4, 1), "61/QĐ-UBND", NGA_THAI_CHAIRMAN),
            team_id: team_id.clone(),
            person_id: an.clone(),
            reason: LeaveReason::Relocated.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let summary = projections
        .get_forces_summary(ForcesSummaryRequest {
            axes: axes(date(2022, 12, 31), None, left.last_position + 1),
            area: by_code("38"),
            period: Some(Period {
                from: Some(date(2020, 1, 1)),
                to: Some(date(2022, 12, 31)),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let force = &summary.forces[0];
    assert_eq!(force.force_type, ForceType::SecurityProtectionTeam as i32);
    assert_eq!((force.teams, force.members, force.quota), (1, 1, 3));
    assert_eq!((force.joins, force.departures), (2, 1));
    assert_eq!(force.departures_by_reason[0].reason, LeaveReason::Relocated as i32);

    // The area tree of the province: the commune and its village.
    let tree = projections
        .get_area_tree(AreaTreeRequest {
            axes: axes(summer_2021, None, 0),
            area: by_code("38"),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tree.root.unwrap().area_id, province);
    let levels: Vec<(i32, u32)> = tree.counts.iter().map(|c| (c.level, c.areas)).collect();
    assert_eq!(
        levels,
        vec![(AreaLevel::Commune as i32, 1), (AreaLevel::ResidentialArea as i32, 1)]
    );

    // The team's history: no members, An, An and Bình, Bình.
    let history = projections
        .get_team_history(TeamHistoryRequest {
            axes: axes(date(2022, 12, 31), None, 0),
            team_id: team_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let sizes: Vec<(Date, usize)> = history
        .periods
        .iter()
        .map(|period| (period.from.unwrap(), period.team.as_ref().unwrap().members.len()))
        .collect();
    assert_eq!(
        sizes,
        vec![
            (date(2020, 3, 1), 0),
            (date(2020, 6, 1), 1),
            (date(2021, 3, 1), 2),
            (date(2022, 4, 1), 1)
        ]
    );
    assert!(history.periods.last().unwrap().until.is_none(), "the last period lasts");
    let an_served = projections
        .get_person_history(PersonHistoryRequest {
            axes: axes(date(2022, 12, 31), None, 0),
            person_id: an.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let term = &an_served.terms[0];
    assert_eq!(
        (term.from, term.until),
        (Some(date(2020, 6, 1)), Some(date(2022, 4, 1)))
    );
    assert_eq!(term.reason, LeaveReason::Relocated as i32);

    // The year-end members, year by year.
    let series = projections
        .get_yearly_series(YearlySeriesRequest {
            axes: axes(date(2022, 12, 31), None, 0),
            area: by_id(&province),
            first_year: 2019,
            last_year: 2022,
            rating_unit_level: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let members: Vec<(i32, u32)> = series
        .years
        .iter()
        .map(|year| {
            (
                year.year,
                year.forces.as_ref().unwrap().forces.iter().map(|f| f.members).sum(),
            )
        })
        .collect();
    assert_eq!(members, vec![(2019, 0), (2020, 1), (2021, 2), (2022, 1)]);

    // The province reported 3 members for 2021; the records give 2.
    let figure = ReportFigureRequest {
        header: decided_by(date(2022, 1, 15), "05/BC-BCĐ", "Ban Chỉ đạo tỉnh"),
        figure_id: antt_e2e::new_id(),
        unit_area_id: province.clone(),
        indicator: FigureIndicator::Members.into(),
        force_type: ForceType::SecurityProtectionTeam.into(),
        period: Some(report_figure_request::Period::Year(2021)),
        value: Some(FigureValue {
            count: 3,
            precision: FigurePrecision::Exact.into(),
            out_of: None,
            share_permille: None,
        }),
        ..Default::default()
    };
    let reported = RecordsClient::new(channel.clone())
        .report_figure(figure)
        .await
        .unwrap()
        .into_inner();
    let figures = projections
        .get_reported_figures(ReportedFiguresRequest {
            axes: axes(date(2022, 12, 31), None, reported.last_position + 1),
            area: by_id(&province),
            period: Some(Period {
                from: Some(date(2021, 1, 1)),
                to: Some(date(2021, 12, 31)),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let comparison = &figures.figures[0];
    assert!(comparison.derivable);
    assert_eq!((comparison.derived, comparison.difference), (2, -1));
}

#[tokio::test]
async fn bad_axes_are_named_and_unknown_areas_not_found() {
    let server = TestServer::start().await.unwrap();
    let mut projections = ProjectionsClient::new(server.channel.clone());
    let (province, _) = thanh_hoa_and_nga_thai(&server).await;

    let too_early = RosterRequest {
        axes: axes(
            date(1900, 1, 1),
            Some(timestamp(
                antt_e2e::micros(&antt_e2e::now_timestamp()).unwrap().0 + 86_400_000_000,
            )),
            0,
        ),
        area: by_id(&province),
        force_type: 0,
    };
    let status = projections.get_roster(too_early).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["axes.as_of", "axes.known_at"]);

    let inverted = ForcesSummaryRequest {
        axes: None,
        area: by_id(&province),
        period: Some(Period {
            from: Some(date(2020, 1, 1)),
            to: Some(date(2019, 1, 1)),
        }),
    };
    let status = projections.get_forces_summary(inverted).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["period"]);

    let no_area = RosterRequest {
        axes: None,
        area: None,
        force_type: 0,
    };
    let status = projections.get_roster(no_area).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["area"]);

    let unknown = RosterRequest {
        axes: None,
        area: by_id(&antt_e2e::new_id()),
        force_type: 0,
    };
    assert_eq!(
        projections.get_roster(unknown).await.unwrap_err().code(),
        Code::NotFound
    );
    let before_it_existed = RosterRequest {
        axes: axes(date(2007, 12, 31), None, 0),
        area: by_id(&province),
        force_type: 0,
    };
    assert_eq!(
        projections.get_roster(before_it_existed).await.unwrap_err().code(),
        Code::NotFound,
        "the province was registered from 01/01/2008"
    );
    let beyond_head = RosterRequest {
        axes: axes(date(2020, 1, 1), None, 1_000_000),
        area: by_id(&province),
        force_type: 0,
    };
    assert_eq!(
        projections.get_roster(beyond_head).await.unwrap_err().code(),
        Code::OutOfRange
    );
}

#[tokio::test]
async fn a_domain_event_that_does_not_decode_halts_the_projections_loudly() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;

    // Only the migration role may append domain event types raw: that is what a broken
    // migration would do.
    let grants = r#"{"systems": [{"subject": "registry", "calls": ["antt.v1.Areas/*"]}]}"#;
    let (server, issuer) = TestServer::start_with_tokens(Some(grants), |_| {}).await.unwrap();
    let as_role = |sub: &str, role: &str| {
        let token = issuer.token_for(sub, role, None, antt_e2e::now_secs());
        tonic::codegen::InterceptedService::new(server.channel.clone(), antt_e2e::bearer(&token))
    };
    let province = antt_e2e::area_request(
        antt_e2e::date(2008, 1, 1),
        antt_e2e::v1::AreaLevel::Province,
        "Tỉnh Thanh Hóa",
        "",
    );
    let province_id = province.area_id.clone();
    antt_e2e::v1::areas_client::AreasClient::new(as_role("registry", "system"))
        .register_area(province)
        .await
        .unwrap();
    let province = province_id;
    let mut projections = ProjectionsClient::new(as_role("thanhtra", "inspector"));
    let request = || RosterRequest {
        axes: None,
        area: by_id(&province),
        force_type: 0,
    };
    projections.get_roster(request()).await.unwrap();

    // A migration writes bytes that are no AreaRegistered under that type, through the raw API.
    let mut event = antt_e2e::json_event("antt.v1.AreaRegistered", "{}");
    event.content_type = "application/x-protobuf".into();
    event.payload = vec![0xFF, 0xFF, 0xFF];
    let mut log = antt_e2e::v1::event_store_client::EventStoreClient::new(as_role("chuyendoi", "migration"));
    log.append(antt_e2e::v1::AppendRequest {
        stream_id: "area-not-a-protobuf".into(),
        expected: None,
        events: vec![event],
    })
    .await
    .unwrap();

    let mut health = HealthClient::new(server.channel.clone());
    let mut status = ServingStatus::Serving;
    for _ in 0..100 {
        let check = HealthCheckRequest {
            service: "antt.v1.Projections".into(),
        };
        status = health.check(check).await.unwrap().into_inner().status();
        if status == ServingStatus::NotServing {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, ServingStatus::NotServing, "health says the projections stopped");
    let refused = projections.get_roster(request()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Internal);
    assert!(
        refused.message().contains("stopped applying the log"),
        "{}",
        refused.message()
    );
}
