//! End to end over gRPC: the `antt.v1.Records` service of a real `anttd`.
//!
//! Goal: the facts of the commune-year story that today's forces, incidents and ratings
//! cannot say (Xã Nga Thái, Huyện Nga Sơn, Thanh Hóa) are recorded one of each kind: a
//! Party resolution on security and order, a figure of seed 001 with a correction, a Bằng
//! khen of the province to a protection team, a training class with 45 participants and 2
//! known attendees, and a village police officer's tenure 2013–2020. Each is read back
//! as of a day before it existed (NOT_FOUND) and after; each kind refuses a broken rule
//! (FAILED_PRECONDITION) or a malformed field (INVALID_ARGUMENT naming it). Retries are
//! idempotent; a reused request id is ALREADY_EXISTS, a stale version ABORTED.
//! Method: each test starts its own server, registers Thanh Hóa → Nga Sơn → Nga Thái →
//! Thôn 8 (from 1997) through the Areas API, and drives the Records API.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::forces_client::ForcesClient;
use antt_e2e::v1::records_client::RecordsClient;
use antt_e2e::v1::{
    grant_award_request, report_figure_request, AreaLevel, AwardKind, BodyKind, BodyRef, ConferenceKind,
    CorrectFigureRequest, Date, DatePeriod, DocumentKind, DocumentTopic, FigureIndicator, FigurePrecision, FigureValue,
    ForceType, GetAwardRequest, GetConferenceRequest, GetDocumentRequest, GetFigureRequest, GetOfficeRequest,
    GrantAwardRequest, HandlingLevel, LeaveOfficeRequest, LeaveReason, OfficeKind, RecordConferenceAttendeesRequest,
    RecordConferenceRequest, RecordDocumentRequest, ReportFigureRequest, TakeOfficeRequest, YearRange,
};
use antt_e2e::{
    assert_field_violation, date, decided_by, header, new_id, register_person_named, thanh_hoa_to_thon_8, thon_8,
    thon_8_team_request, TestServer, NGA_THAI_CHAIRMAN,
};
use tonic::transport::Channel;
use tonic::{Code, Status};

type Records = RecordsClient<Channel>;

/// The story's areas and a client of the Records API.
struct Story {
    server: TestServer,
    records: Records,
    province: String,
    district: String,
    commune: String,
    thon_8: String,
}

impl Story {
    async fn start() -> Story {
        let server = TestServer::start().await.unwrap();
        let [province, district, commune, thon_8] = thanh_hoa_to_thon_8(&server).await;
        let records = Records::new(server.channel.clone());
        Story {
            server,
            records,
            province,
            district,
            commune,
            thon_8,
        }
    }

    /// Registers a person (their name stays sealed in their own record); returns the id.
    async fn person(&self, full_name: &str) -> String {
        register_person_named(&self.server.channel, date(2010, 1, 1), full_name).await
    }

    async fn stop(self) {
        drop(self.records);
        self.server.shutdown().await.unwrap();
    }
}

fn body(kind: BodyKind, name: &str, area_id: &str) -> Option<BodyRef> {
    Some(BodyRef {
        kind: kind.into(),
        name: name.into(),
        area_id: area_id.into(),
    })
}

fn assert_precondition(status: &Status, says: &str) {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains(says), "{status:?}");
}

fn assert_not_found(result: Result<impl std::fmt::Debug, Status>) {
    let status = result.expect_err("not there yet");
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
}

#[tokio::test]
async fn a_party_resolution_and_a_plan_on_security_and_order() {
    let mut story = Story::start().await;
    let resolution = RecordDocumentRequest {
        header: header(date(2018, 1, 5)),
        document_id: new_id(),
        kind: DocumentKind::Resolution.into(),
        kind_name: String::new(),
        number: "01-NQ/ĐU".into(),
        subject: "Nghị quyết về nhiệm vụ công tác bảo đảm an ninh, trật tự năm 2018".into(),
        issued_by: body(BodyKind::PartyCommittee, "Đảng ủy xã Nga Thái", &story.commune),
        topic: DocumentTopic::SecurityAndOrder.into(),
        years: Some(YearRange {
            first_year: 2018,
            last_year: 2018,
        }),
    };
    let plan = RecordDocumentRequest {
        header: header(date(2018, 1, 20)),
        document_id: new_id(),
        kind: DocumentKind::Plan.into(),
        number: "05/KH-UBND".into(),
        subject: "Kế hoạch bảo đảm an ninh, trật tự năm 2018".into(),
        issued_by: body(BodyKind::PeoplesCommittee, "UBND xã Nga Thái", &story.commune),
        ..resolution.clone()
    };
    story.records.record_document(resolution.clone()).await.unwrap();
    story.records.record_document(plan.clone()).await.unwrap();

    let get = |document_id: &str, as_of: Date| GetDocumentRequest {
        document_id: document_id.into(),
        as_of: Some(as_of),
    };
    assert_not_found(
        story
            .records
            .get_document(get(&resolution.document_id, date(2018, 1, 4)))
            .await,
    );
    let view = story
        .records
        .get_document(get(&resolution.document_id, date(2018, 12, 31)))
        .await
        .unwrap()
        .into_inner();
    let document = view.document.unwrap();
    assert_eq!(document.number, "01-NQ/ĐU");
    assert_eq!(
        (document.kind(), document.topic()),
        (DocumentKind::Resolution, DocumentTopic::SecurityAndOrder)
    );
    let issued_by = document.issued_by.unwrap();
    // What target 1 counts: a resolution of a commune Party committee.
    assert_eq!(
        (issued_by.kind(), issued_by.area_level(), issued_by.area_id.as_str()),
        (BodyKind::PartyCommittee, AreaLevel::Commune, story.commune.as_str())
    );
    let plan_view = story
        .records
        .get_document(get(&plan.document_id, date(2018, 12, 31)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        plan_view.document.unwrap().issued_by.unwrap().kind(),
        BodyKind::PeoplesCommittee
    );

    // The commune's records start in 1997: no document of its Party committee before.
    let too_early = RecordDocumentRequest {
        header: header(date(1996, 12, 1)),
        document_id: new_id(),
        ..resolution.clone()
    };
    let refused = story.records.record_document(too_early).await.unwrap_err();
    assert_precondition(&refused, "did not exist yet");
    let unnamed_other = RecordDocumentRequest {
        header: header(date(2018, 2, 1)),
        document_id: new_id(),
        kind: DocumentKind::Other.into(),
        ..resolution
    };
    let refused = story.records.record_document(unnamed_other).await.unwrap_err();
    assert_field_violation(&refused, Code::InvalidArgument, &["kind_name"]);
    story.stop().await;
}

/// The 2008 figure of households in social security groups, as typed first: 33,096, a
/// slip for 33,069.
fn households_2008(district: &str) -> ReportFigureRequest {
    ReportFigureRequest {
        header: decided_by(date(2018, 6, 12), "55/BC-BCĐ", "Ban Chỉ đạo 138 huyện Nga Sơn"),
        figure_id: new_id(),
        unit_area_id: district.into(),
        indicator: FigureIndicator::HouseholdsInSocialSecurityGroups.into(),
        indicator_name: String::new(),
        force_type: ForceType::SocialSecurityGroup.into(),
        handling_level: HandlingLevel::Unspecified.into(),
        unit_level: AreaLevel::Unspecified.into(),
        period: Some(report_figure_request::Period::Year(2008)),
        value: Some(FigureValue {
            count: 33_096,
            precision: FigurePrecision::Exact.into(),
            out_of: None,
            share_permille: Some(892),
        }),
    }
}

#[tokio::test]
async fn a_figure_of_seed_001_and_its_correction() {
    let mut story = Story::start().await;
    let report = households_2008(&story.district);
    let figure_id = report.figure_id.clone();
    story.records.report_figure(report).await.unwrap();
    let correct = |correction_id: &str, corrects_id: &str, on: Date| CorrectFigureRequest {
        header: header(on),
        figure_id: figure_id.clone(),
        correction_id: correction_id.into(),
        corrects_id: corrects_id.into(),
        value: Some(FigureValue {
            count: 33_069,
            precision: FigurePrecision::Exact.into(),
            out_of: None,
            share_permille: Some(892),
        }),
        reason: "nhầm khi nhập số liệu: báo cáo ghi 33.069".into(),
    };
    let correction_id = new_id();
    story
        .records
        .correct_figure(correct(&correction_id, &figure_id, date(2019, 1, 10)))
        .await
        .unwrap();

    let get = |as_of: Date| GetFigureRequest {
        figure_id: figure_id.clone(),
        as_of: Some(as_of),
    };
    assert_not_found(story.records.get_figure(get(date(2018, 6, 11))).await);
    let before = story
        .records
        .get_figure(get(date(2018, 12, 31)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before.value.unwrap().count, 33_096);
    assert_eq!(before.history.len(), 1);
    let figure = before.figure.unwrap();
    assert_eq!(figure.source.unwrap().number, "55/BC-BCĐ");
    let period = figure.period.unwrap();
    assert_eq!(
        (period.first_day, period.last_day),
        (Some(date(2008, 1, 1)), Some(date(2008, 12, 31)))
    );
    let after = story
        .records
        .get_figure(get(date(2019, 1, 10)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.value.unwrap().count, 33_069);
    let ids: Vec<(&str, &str)> = after
        .history
        .iter()
        .map(|entry| (entry.entry_id.as_str(), entry.corrects_id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [(figure_id.as_str(), ""), (correction_id.as_str(), figure_id.as_str())]
    );

    // The first report is no longer current: a correction names the one in force.
    let stale = story
        .records
        .correct_figure(correct(&new_id(), &figure_id, date(2019, 2, 1)))
        .await
        .unwrap_err();
    assert_precondition(&stale, &correction_id);
    let unsourced = ReportFigureRequest {
        header: header(date(2018, 6, 12)),
        ..households_2008(&story.district)
    };
    let refused = story.records.report_figure(unsourced).await.unwrap_err();
    assert_field_violation(&refused, Code::InvalidArgument, &["header.decision"]);
    let before_its_period = ReportFigureRequest {
        period: Some(report_figure_request::Period::Days(DatePeriod {
            first_day: Some(date(2018, 7, 1)),
            last_day: Some(date(2018, 12, 31)),
        })),
        ..households_2008(&story.district)
    };
    let refused = story.records.report_figure(before_its_period).await.unwrap_err();
    assert_field_violation(&refused, Code::InvalidArgument, &["days"]);
    story.stop().await;
}

#[tokio::test]
async fn a_bang_khen_of_the_province_to_a_protection_team() {
    let mut story = Story::start().await;
    // Established on 2020-03-01.
    let village = thon_8(&story.server, &story.commune).await;
    let team = thon_8_team_request(&village, ForceType::SecurityProtectionTeam, None);
    ForcesClient::new(story.server.channel.clone())
        .establish_team(team.clone())
        .await
        .unwrap();
    let grant = |on: Date| GrantAwardRequest {
        header: decided_by(on, "1234/QĐ-UBND", "Chủ tịch UBND tỉnh Thanh Hóa"),
        award_id: new_id(),
        kind: AwardKind::CertificateOfMerit.into(),
        award_name: String::new(),
        recipient: Some(grant_award_request::Recipient::TeamId(team.team_id.clone())),
        granted_by: body(BodyKind::PeoplesCommittee, "UBND tỉnh Thanh Hóa", &story.province),
        achievement: "Có thành tích xuất sắc trong phong trào toàn dân bảo vệ ANTQ năm 2020".into(),
    };
    let award = grant(date(2021, 1, 15));
    story.records.grant_award(award.clone()).await.unwrap();

    let get = |as_of: Date| GetAwardRequest {
        award_id: award.award_id.clone(),
        as_of: Some(as_of),
    };
    assert_not_found(story.records.get_award(get(date(2021, 1, 14))).await);
    let view = story
        .records
        .get_award(get(date(2021, 1, 15)))
        .await
        .unwrap()
        .into_inner();
    let recorded = view.award.unwrap();
    assert_eq!(recorded.kind(), AwardKind::CertificateOfMerit);
    assert_eq!(recorded.decision.unwrap().number, "1234/QĐ-UBND");
    assert_eq!(recorded.granted_by.unwrap().area_level(), AreaLevel::Province);

    // Before the team was established.
    let refused = story.records.grant_award(grant(date(2019, 12, 1))).await.unwrap_err();
    assert_precondition(&refused, "the recipient team did not exist yet");
    let unknown_team = GrantAwardRequest {
        recipient: Some(grant_award_request::Recipient::TeamId(new_id())),
        ..grant(date(2021, 1, 15))
    };
    let refused = story.records.grant_award(unknown_team).await.unwrap_err();
    assert_precondition(&refused, "is not established");
    story.stop().await;
}

#[tokio::test]
async fn a_training_class_with_45_participants_and_2_known_attendees() {
    let mut story = Story::start().await;
    let class = RecordConferenceRequest {
        header: header(date(2019, 5, 20)),
        conference_id: new_id(),
        kind: ConferenceKind::TrainingClass.into(),
        topic: "Tập huấn nghiệp vụ cho thành viên tổ bảo vệ ANTT".into(),
        organiser: body(
            BodyKind::SteeringCommittee,
            "Ban Chỉ đạo 138 huyện Nga Sơn",
            &story.district,
        ),
        last_day: Some(date(2019, 5, 22)),
        participants: Some(45),
    };
    story.records.record_conference(class.clone()).await.unwrap();
    let leader = story.person("Nguyễn Văn Hùng").await;
    let deputy = story.person("Trần Văn Nam").await;
    let attendees = |on: Date, person_ids: &[&String]| RecordConferenceAttendeesRequest {
        header: header(on),
        conference_id: class.conference_id.clone(),
        person_ids: person_ids.iter().map(|id| (*id).clone()).collect(),
    };
    story
        .records
        .record_conference_attendees(attendees(date(2019, 5, 21), &[&leader, &deputy]))
        .await
        .unwrap();

    let get = |as_of: Date| GetConferenceRequest {
        conference_id: class.conference_id.clone(),
        as_of: Some(as_of),
    };
    assert_not_found(story.records.get_conference(get(date(2019, 5, 19))).await);
    let first_day = story
        .records
        .get_conference(get(date(2019, 5, 20)))
        .await
        .unwrap()
        .into_inner();
    assert!(first_day.attendee_person_ids.is_empty());
    let conference = first_day.conference.unwrap();
    assert_eq!(conference.participants, Some(45));
    assert_eq!(conference.organiser.unwrap().area_level(), AreaLevel::District);
    let after = story
        .records
        .get_conference(get(date(2019, 6, 1)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(after.attendee_person_ids, [leader.clone(), deputy.clone()]);

    let twice = story
        .records
        .record_conference_attendees(attendees(date(2019, 5, 22), &[&leader]))
        .await
        .unwrap_err();
    assert_precondition(&twice, "already recorded as attending");
    let latecomer = story.person("Lê Thị Hoa").await;
    let after_the_class = story
        .records
        .record_conference_attendees(attendees(date(2019, 5, 23), &[&latecomer]))
        .await
        .unwrap_err();
    assert_precondition(&after_the_class, "was held from 2019-05-20 to 2019-05-22");
    let stranger = new_id();
    let unregistered = story
        .records
        .record_conference_attendees(attendees(date(2019, 5, 22), &[&stranger]))
        .await
        .unwrap_err();
    assert_precondition(&unregistered, "is not registered");
    story.stop().await;
}

#[tokio::test]
async fn a_village_police_officer_from_2013_to_2020() {
    let mut story = Story::start().await;
    let officer = story.person("Phạm Văn Đức").await;
    let take = TakeOfficeRequest {
        header: decided_by(date(2013, 3, 1), "25/QĐ-UBND", NGA_THAI_CHAIRMAN),
        tenure_id: new_id(),
        person_id: officer.clone(),
        area_id: story.thon_8.clone(),
        kind: OfficeKind::VillagePoliceOfficer.into(),
        organisation: String::new(),
        office_name: String::new(),
    };
    story.records.take_office(take.clone()).await.unwrap();
    let leave = |on: Date| LeaveOfficeRequest {
        header: header(on),
        tenure_id: take.tenure_id.clone(),
        reason: LeaveReason::TermEnded.into(),
        details: "hết nhiệm kỳ 2013–2020".into(),
    };
    story.records.leave_office(leave(date(2020, 12, 31))).await.unwrap();

    let get = |as_of: Date| GetOfficeRequest {
        tenure_id: take.tenure_id.clone(),
        as_of: Some(as_of),
    };
    assert_not_found(story.records.get_office(get(date(2013, 2, 28))).await);
    let in_office = story
        .records
        .get_office(get(date(2016, 6, 1)))
        .await
        .unwrap()
        .into_inner();
    assert!(in_office.held);
    assert!(in_office.left.is_none());
    let taken = in_office.taken.unwrap();
    assert_eq!(
        (taken.kind(), taken.area_level(), taken.person_id.as_str()),
        (
            OfficeKind::VillagePoliceOfficer,
            AreaLevel::ResidentialArea,
            officer.as_str()
        )
    );
    let after = story
        .records
        .get_office(get(date(2020, 12, 31)))
        .await
        .unwrap()
        .into_inner();
    assert!(!after.held);
    assert_eq!(after.left.unwrap().reason(), LeaveReason::TermEnded);

    let again = story.records.leave_office(leave(date(2021, 1, 5))).await.unwrap_err();
    assert_precondition(&again, "already ended on 2020-12-31");
    let unspecified = TakeOfficeRequest {
        header: decided_by(date(2013, 3, 1), "25/QĐ-UBND", NGA_THAI_CHAIRMAN),
        tenure_id: new_id(),
        kind: OfficeKind::Unspecified.into(),
        ..take.clone()
    };
    let refused = story.records.take_office(unspecified).await.unwrap_err();
    assert_field_violation(&refused, Code::InvalidArgument, &["kind"]);
    let chief_of_a_village = TakeOfficeRequest {
        header: decided_by(date(2013, 3, 1), "26/QĐ-UBND", NGA_THAI_CHAIRMAN),
        tenure_id: new_id(),
        kind: OfficeKind::CommunePoliceChief.into(),
        ..take
    };
    let refused = story.records.take_office(chief_of_a_village).await.unwrap_err();
    assert_precondition(&refused, "not an office of a residential area");
    story.stop().await;
}

#[tokio::test]
async fn retries_reused_request_ids_stale_versions_and_unknown_records() {
    let mut story = Story::start().await;
    let report = households_2008(&story.district);
    let first = story.records.report_figure(report.clone()).await.unwrap().into_inner();
    let retry = story.records.report_figure(report.clone()).await.unwrap().into_inner();
    assert!(retry.deduplicated);
    assert_eq!(retry.first_position, first.first_position);
    // The same request id for another figure.
    let reused = ReportFigureRequest {
        header: report.header.clone(),
        ..households_2008(&story.district)
    };
    let refused = story.records.report_figure(reused).await.unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");
    // A correction against a version the client no longer holds.
    let mut stale = header(date(2019, 1, 10));
    if let Some(stale) = stale.as_mut() {
        stale.expected_version = Some(first.stream_version + 1);
    }
    let correction = CorrectFigureRequest {
        header: stale,
        figure_id: report.figure_id.clone(),
        correction_id: new_id(),
        corrects_id: report.figure_id.clone(),
        value: report.value,
        reason: "đối chiếu lại báo cáo".into(),
    };
    let refused = story.records.correct_figure(correction).await.unwrap_err();
    assert_eq!(refused.code(), Code::Aborted, "{refused:?}");
    let unknown = GetFigureRequest {
        figure_id: new_id(),
        as_of: None,
    };
    assert_not_found(story.records.get_figure(unknown).await);
    let bad_id = GetOfficeRequest {
        tenure_id: "not-a-uuid".into(),
        as_of: None,
    };
    let refused = story.records.get_office(bad_id).await.unwrap_err();
    assert_field_violation(&refused, Code::InvalidArgument, &["tenure_id"]);
    story.stop().await;
}
