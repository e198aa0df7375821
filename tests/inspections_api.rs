//! End to end over gRPC: the `antt.v1.Inspections` service of a real `anttd`.
//!
//! Goal: seed 002 as records: inspection delegation no. 02 reports strengths and
//! shortcomings (khuyết điểm); the province plans remedial actions with a lead body (chủ
//! trì), coordinating bodies (phối hợp) and a deadline or "ongoing" with a report before
//! 10 December every year; progress is reported, actions completed, and the inspection
//! closes only when none is outstanding. Overdue actions show up in the view by
//! themselves. Bad input names its fields, retries are idempotent, reused request ids and
//! stale versions are refused.
//! A strength (ưu điểm) gets tasks to build on it (phát huy) like a shortcoming gets
//! remedies; an action may have several lead bodies, each owing the yearly report.
//! Method: each test starts its own server, registers Thanh Hóa through the Areas API and
//! drives the Inspections API through 2023–2024.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::inspections_client::InspectionsClient;
use antt_e2e::v1::plan_remedial_action_request::Deadline;
use antt_e2e::v1::projections_client::ProjectionsClient;
use antt_e2e::v1::{
    ActionPurpose, AreaLevel, CloseInspectionRequest, CommandHeader, CompleteRemedialActionRequest, Date, FindingKind,
    GetInspectionRequest, InspectionView, LeadBodyYearlyReport, MonthDay, OngoingDeadline, OpenInspectionRequest,
    PlanRemedialActionRequest, RecordFindingRequest, RegisterAreaRequest, RemedialActionStatus, RemediationRequest,
    RemediationResponse, ReportRemedialProgressRequest, TimeAxes,
};
use antt_e2e::{area_request, assert_field_violation, date as ymd, decided_by, header, register_area, TestServer};
use tonic::transport::Channel;
use tonic::Code;
use uuid::Uuid;

type Client = InspectionsClient<Channel>;

/// A new action's header, effective on `date`, with the document that ordered it if any.
fn header_with(date: Date, document: Option<(&str, &str)>) -> Option<CommandHeader> {
    match document {
        Some((number, issued_by)) => decided_by(date, number, issued_by),
        None => header(date),
    }
}

async fn thanh_hoa(server: &TestServer) -> String {
    let request = RegisterAreaRequest {
        official_code: "38".to_string(),
        ..area_request(ymd(1997, 1, 1), AreaLevel::Province, "Tỉnh Thanh Hóa", "")
    };
    register_area(server, request).await
}

fn open(area_id: &str) -> OpenInspectionRequest {
    OpenInspectionRequest {
        header: header_with(ymd(2023, 5, 31), Some(("03-BC/ĐKT", "Đoàn Kiểm tra số 02"))),
        inspection_id: Uuid::new_v4().to_string(),
        delegation: "Đoàn Kiểm tra số 02, Đảng ủy Công an Trung ương".to_string(),
        scope: "xây dựng phong trào toàn dân bảo vệ an ninh Tổ quốc".to_string(),
        inspected_area_id: area_id.to_string(),
    }
}

fn finding(inspection_id: &str, kind: FindingKind, text: &str) -> RecordFindingRequest {
    RecordFindingRequest {
        header: header_with(ymd(2023, 5, 31), None),
        inspection_id: inspection_id.to_string(),
        finding_id: Uuid::new_v4().to_string(),
        kind: kind.into(),
        text: text.to_string(),
    }
}

/// An action of plan 111-KH/TU led by the province police's Party committee.
fn action(inspection_id: &str, finding_id: &str, deadline: Deadline) -> PlanRemedialActionRequest {
    PlanRemedialActionRequest {
        header: header_with(ymd(2023, 7, 1), Some(("111-KH/TU", "Ban Thường vụ Tỉnh ủy"))),
        inspection_id: inspection_id.to_string(),
        action_id: Uuid::new_v4().to_string(),
        finding_id: finding_id.to_string(),
        description: "kiện toàn tổ bảo vệ ANTT ở cơ sở".to_string(),
        lead_body: "Đảng ủy Công an tỉnh".to_string(),
        coordinating_bodies: vec![
            "Ban cán sự đảng UBND tỉnh".to_string(),
            "Đảng đoàn Ủy ban MTTQ Việt Nam tỉnh".to_string(),
        ],
        deadline: Some(deadline),
        ..Default::default()
    }
}

/// Ongoing, reported before 10 December every year (trước ngày 10-12 hằng năm).
fn ongoing() -> Deadline {
    Deadline::Ongoing(OngoingDeadline {
        report_due_before: Some(MonthDay { month: 12, day: 10 }),
    })
}

async fn get(client: &mut Client, inspection_id: &str, as_of: Date) -> InspectionView {
    let request = GetInspectionRequest {
        inspection_id: inspection_id.to_string(),
        as_of: Some(as_of),
    };
    client
        .get_inspection(request)
        .await
        .expect("GetInspection")
        .into_inner()
}

/// An inspection opened on Thanh Hóa with one strength and one shortcoming; returns the
/// client, the inspection id, the strength's id and the shortcoming's id.
async fn opened_with_findings(server: &TestServer) -> (Client, String, String, String) {
    let province = thanh_hoa(server).await;
    let mut client = Client::new(server.channel.clone());
    let opening = open(&province);
    let inspection_id = opening.inspection_id.clone();
    client.open_inspection(opening).await.unwrap();
    let strength = finding(&inspection_id, FindingKind::Strength, "phong trào được duy trì");
    let shortcoming = finding(
        &inspection_id,
        FindingKind::Shortcoming,
        "một số tổ bảo vệ ANTT hoạt động hình thức",
    );
    let ids = (strength.finding_id.clone(), shortcoming.finding_id.clone());
    client.record_finding(strength).await.unwrap();
    client.record_finding(shortcoming).await.unwrap();
    (client, inspection_id, ids.0, ids.1)
}

#[tokio::test]
async fn a_shortcoming_is_remedied_and_the_inspection_closes() {
    let server = TestServer::start().await.unwrap();
    let (mut client, inspection_id, strength, shortcoming) = opened_with_findings(&server).await;

    let yearly = action(&inspection_id, &shortcoming, ongoing());
    let dated = action(&inspection_id, &shortcoming, Deadline::DueBy(ymd(2023, 12, 31)));
    client.plan_remedial_action(yearly.clone()).await.unwrap();
    client.plan_remedial_action(dated.clone()).await.unwrap();
    let for_strength = client
        .plan_remedial_action(action(&inspection_id, &strength, ongoing()))
        .await
        .unwrap_err();
    assert_eq!(for_strength.code(), Code::FailedPrecondition, "{for_strength:?}");
    assert!(for_strength.message().contains("shortcomings"), "{for_strength:?}");

    // Overdue actions show up by themselves: the ongoing one once 10 December passes
    // without a report that year, the dated one once its day passes.
    let view = get(&mut client, &inspection_id, ymd(2023, 12, 15)).await;
    assert_eq!(view.overdue_action_ids, [yearly.action_id.as_str()]);
    let before_the_report = antt_e2e::now_timestamp();
    let progress = ReportRemedialProgressRequest {
        header: header_with(ymd(2023, 12, 1), None),
        inspection_id: inspection_id.clone(),
        action_id: yearly.action_id.clone(),
        summary: "đã kiện toàn 234/234 tổ".to_string(),
        reporting_body: String::new(),
    };
    client.report_remedial_progress(progress).await.unwrap();
    let view = get(&mut client, &inspection_id, ymd(2024, 1, 15)).await;
    assert_eq!(view.overdue_action_ids, [dated.action_id.as_str()]);
    let yearly_view = view.actions.iter().find(|a| a.action_id == yearly.action_id).unwrap();
    assert_eq!(yearly_view.progress_reported_on, [ymd(2023, 12, 1)]);
    assert_eq!(yearly_view.status(), RemedialActionStatus::Open);
    assert!(!yearly_view.overdue);

    // The projections judge by the same rule, on both time axes: the report typed in
    // after 15 December for 1 December clears the yearly action for now, not for a
    // reader before it was recorded.
    let mut projections = ProjectionsClient::new(server.channel.clone());
    let remediation = |as_of: Date, known_at: Option<prost_types::Timestamp>| RemediationRequest {
        axes: Some(TimeAxes {
            as_of: Some(as_of),
            known_at,
            min_position: 0,
        }),
        inspection_id: inspection_id.clone(),
    };
    let overdue = |response: &RemediationResponse| -> Vec<String> {
        let mut ids: Vec<String> = response
            .actions
            .iter()
            .filter(|standing| standing.overdue)
            .map(|standing| standing.action.as_ref().unwrap().action_id.clone())
            .collect();
        ids.sort();
        ids
    };
    let now = projections
        .get_remediation(remediation(ymd(2024, 1, 15), None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overdue(&now), vec![dated.action_id.clone()]);
    assert_eq!((now.open, now.done, now.overdue), (2, 0, 1));
    assert_eq!(now.by_lead_body[0].lead_body, "Đảng ủy Công an tỉnh");
    let then = projections
        .get_remediation(remediation(ymd(2023, 12, 15), Some(before_the_report)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overdue(&then), vec![yearly.action_id.clone()]);

    let close = |day: u32| CloseInspectionRequest {
        header: header_with(ymd(2024, 2, day), None),
        inspection_id: inspection_id.clone(),
        conclusion: "đã khắc phục xong các hạn chế".to_string(),
    };
    let early = client.close_inspection(close(1)).await.unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "{early:?}");
    assert!(early.message().contains("2 remedial actions"), "{early:?}");
    for action_id in [&yearly.action_id, &dated.action_id] {
        let complete = CompleteRemedialActionRequest {
            header: header_with(ymd(2024, 1, 20), None),
            inspection_id: inspection_id.clone(),
            action_id: action_id.clone(),
            summary: String::new(),
        };
        client.complete_remedial_action(complete).await.unwrap();
    }
    client.close_inspection(close(2)).await.unwrap();
    let view = get(&mut client, &inspection_id, ymd(2024, 3, 1)).await;
    assert_eq!(view.closed_on, Some(ymd(2024, 2, 2)));
    assert!(view.overdue_action_ids.is_empty());
    assert!(view
        .actions
        .iter()
        .all(|a| a.status() == RemedialActionStatus::Completed && a.finished_on == Some(ymd(2024, 1, 20))));
    assert_eq!(view.findings.len(), 2);
    // Dated after the closing: one dated while the inspection was open is a valid
    // backdated finding.
    let late_finding = RecordFindingRequest {
        header: header_with(ymd(2024, 2, 3), None),
        ..finding(&inspection_id, FindingKind::Shortcoming, "bổ sung")
    };
    let after_close = client.record_finding(late_finding).await.unwrap_err();
    assert_eq!(after_close.code(), Code::FailedPrecondition, "{after_close:?}");
    server.shutdown().await.unwrap();
}

const POLICE: &str = "Đảng ủy Công an tỉnh";
const FRONT: &str = "Đảng đoàn Ủy ban MTTQ Việt Nam tỉnh";

fn report(inspection_id: &str, action_id: &str, body: &str, on: Date) -> ReportRemedialProgressRequest {
    ReportRemedialProgressRequest {
        header: header_with(on, None),
        inspection_id: inspection_id.to_string(),
        action_id: action_id.to_string(),
        summary: "báo cáo kết quả thực hiện hằng năm".to_string(),
        reporting_body: body.to_string(),
    }
}

fn yearly(lead_body: &str, reported: bool, missed: bool, reported_on: &[Date]) -> LeadBodyYearlyReport {
    LeadBodyYearlyReport {
        lead_body: lead_body.to_string(),
        reported,
        missed,
        reported_on: reported_on.to_vec(),
    }
}

#[tokio::test]
async fn a_strength_task_led_by_two_bodies_is_late_until_both_report() {
    let server = TestServer::start().await.unwrap();
    let (mut client, inspection_id, strength, shortcoming) = opened_with_findings(&server).await;

    // Phát huy ưu điểm: a task on the strength, led by the police and the Front together.
    let task = PlanRemedialActionRequest {
        description: "tiếp tục quán triệt Kết luận số 44-KL/TW".to_string(),
        other_lead_bodies: vec![FRONT.to_string()],
        purpose: ActionPurpose::KeepUp.into(),
        coordinating_bodies: vec!["Ban Thường vụ Tỉnh đoàn".to_string()],
        ..action(&inspection_id, &strength, ongoing())
    };
    client.plan_remedial_action(task.clone()).await.unwrap();
    let on_shortcoming = PlanRemedialActionRequest {
        purpose: ActionPurpose::KeepUp.into(),
        ..action(&inspection_id, &shortcoming, ongoing())
    };
    let status = client.plan_remedial_action(on_shortcoming).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("strengths"), "{status:?}");
    let twice = PlanRemedialActionRequest {
        other_lead_bodies: vec![FRONT.to_string(), POLICE.to_string()],
        ..action(&inspection_id, &shortcoming, ongoing())
    };
    let status = client.plan_remedial_action(twice).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["other_lead_bodies"]);
    // A remedy led by the police alone, reported without naming it, as before.
    let remedy = action(&inspection_id, &shortcoming, ongoing());
    client.plan_remedial_action(remedy.clone()).await.unwrap();
    let police_on_remedy = report(&inspection_id, &remedy.action_id, "", ymd(2023, 11, 15));
    client.report_remedial_progress(police_on_remedy).await.unwrap();

    // With two lead bodies, a report names the one reporting, and only a lead body.
    let unnamed = report(&inspection_id, &task.action_id, "", ymd(2023, 11, 20));
    let status = client.report_remedial_progress(unnamed).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let outsider = report(
        &inspection_id,
        &task.action_id,
        "Ban Thường vụ Tỉnh đoàn",
        ymd(2023, 11, 20),
    );
    let status = client.report_remedial_progress(outsider).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let police = report(&inspection_id, &task.action_id, POLICE, ymd(2023, 11, 20));
    client.report_remedial_progress(police).await.unwrap();
    // The Front reports on 12 December, after the report day.
    let front = report(&inspection_id, &task.action_id, FRONT, ymd(2023, 12, 12));
    client.report_remedial_progress(front).await.unwrap();

    let task_view = |view: &InspectionView| {
        view.actions
            .iter()
            .find(|a| a.action_id == task.action_id)
            .cloned()
            .unwrap()
    };
    let view = get(&mut client, &inspection_id, ymd(2023, 12, 9)).await;
    assert!(view.overdue_action_ids.is_empty(), "{view:?}");
    let shown = task_view(&view);
    assert_eq!(shown.lead_bodies, [POLICE, FRONT]);
    assert_eq!(shown.purpose(), ActionPurpose::KeepUp);
    assert_eq!(shown.finding_id, strength);
    assert_eq!(
        shown.yearly_reports,
        [
            yearly(POLICE, true, false, &[ymd(2023, 11, 20)]),
            yearly(FRONT, false, false, &[])
        ]
    );
    let remedy_view = view.actions.iter().find(|a| a.action_id == remedy.action_id).unwrap();
    assert_eq!(remedy_view.lead_bodies, [POLICE]);
    assert_eq!(remedy_view.purpose(), ActionPurpose::Remedy);
    assert_eq!(
        remedy_view.yearly_reports,
        [yearly(POLICE, true, false, &[ymd(2023, 11, 15)])]
    );

    // From 10 December the task is late: the Front's report is missing, and its report of
    // the 12th does not undo the miss.
    for as_of in [ymd(2023, 12, 10), ymd(2023, 12, 15)] {
        let view = get(&mut client, &inspection_id, as_of).await;
        assert_eq!(view.overdue_action_ids, [task.action_id.as_str()], "on {as_of:?}");
        let shown = task_view(&view);
        assert!(shown.overdue);
        assert!(shown.yearly_reports[1].missed && !shown.yearly_reports[1].reported);
        assert!(!shown.yearly_reports[0].missed);
    }
    let view = get(&mut client, &inspection_id, ymd(2023, 12, 15)).await;
    assert_eq!(task_view(&view).yearly_reports[1].reported_on, [ymd(2023, 12, 12)]);
    // The next year starts clean until its own report day.
    let view = get(&mut client, &inspection_id, ymd(2024, 1, 2)).await;
    assert!(view.overdue_action_ids.is_empty(), "{view:?}");
    assert_eq!(
        task_view(&view).yearly_reports,
        [yearly(POLICE, false, false, &[]), yearly(FRONT, false, false, &[])]
    );

    // The task holds the close like a remedy.
    let complete = CompleteRemedialActionRequest {
        header: header_with(ymd(2024, 1, 20), None),
        inspection_id: inspection_id.clone(),
        action_id: remedy.action_id.clone(),
        summary: String::new(),
    };
    client.complete_remedial_action(complete).await.unwrap();
    let close = CloseInspectionRequest {
        header: header_with(ymd(2024, 2, 1), None),
        inspection_id: inspection_id.clone(),
        conclusion: String::new(),
    };
    let status = client.close_inspection(close).await.unwrap_err();
    assert!(status.message().contains("1 remedial actions"), "{status:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_areas_and_inspections_are_refused() {
    let server = TestServer::start().await.unwrap();
    let mut client = Client::new(server.channel.clone());
    let nowhere = Uuid::new_v4().to_string();
    let status = client.open_inspection(open(&nowhere)).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains("inspected_area_id"), "{status:?}");
    // An inspection of something other than an area names none.
    client.open_inspection(open("")).await.unwrap();

    let unknown = Uuid::new_v4().to_string();
    let status = client
        .get_inspection(GetInspectionRequest {
            inspection_id: unknown.clone(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = client
        .record_finding(finding(&unknown, FindingKind::Strength, "tốt"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn malformed_requests_name_every_field() {
    let server = TestServer::start().await.unwrap();
    let (mut client, inspection_id, _, shortcoming) = opened_with_findings(&server).await;

    let mut no_report = open("");
    no_report.header.as_mut().unwrap().decision = None;
    no_report.inspection_id = "đợt 2".to_string();
    let status = client.open_inspection(no_report).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["inspection_id", "header.decision"]);

    let mut undecided = action(&inspection_id, "khuyết điểm 1", ongoing());
    undecided.deadline = None;
    let status = client.plan_remedial_action(undecided).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["finding_id", "deadline"]);
    let no_day = action(
        &inspection_id,
        &shortcoming,
        Deadline::Ongoing(OngoingDeadline {
            report_due_before: Some(MonthDay { month: 2, day: 30 }),
        }),
    );
    let status = client.plan_remedial_action(no_day).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["ongoing.report_due_before"]);
    // The domain checks the due date against the planning date; the path is the request's.
    let backwards = action(&inspection_id, &shortcoming, Deadline::DueBy(ymd(2023, 6, 1)));
    let status = client.plan_remedial_action(backwards).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["due_by"]);
    let mut no_lead = action(&inspection_id, &shortcoming, ongoing());
    no_lead.lead_body = String::new();
    let status = client.plan_remedial_action(no_lead).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["lead_body"]);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn retries_are_deduplicated_and_conflicts_refused() {
    let server = TestServer::start().await.unwrap();
    let (mut client, inspection_id, _, shortcoming) = opened_with_findings(&server).await;
    let plan = action(&inspection_id, &shortcoming, ongoing());

    let first = client.plan_remedial_action(plan.clone()).await.unwrap().into_inner();
    let retry = client.plan_remedial_action(plan.clone()).await.unwrap().into_inner();
    assert!(!first.deduplicated && retry.deduplicated);
    assert_eq!(
        (retry.first_position, retry.stream_version),
        (first.first_position, first.stream_version)
    );
    assert_eq!(get(&mut client, &inspection_id, ymd(2023, 8, 1)).await.actions.len(), 1);

    let mut other_body = plan;
    other_body.lead_body = "Công an tỉnh".to_string();
    let status = client.plan_remedial_action(other_body).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");

    let mut stale = finding(&inspection_id, FindingKind::Shortcoming, "chậm báo cáo");
    stale.header.as_mut().unwrap().expected_version = Some(first.stream_version - 1);
    let status = client.record_finding(stale.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    stale.header.as_mut().unwrap().expected_version = Some(first.stream_version);
    client.record_finding(stale).await.unwrap();
    server.shutdown().await.unwrap();
}
