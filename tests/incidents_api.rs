//! End to end over gRPC: the `antt.v1.Incidents` service of a real `anttd`.
//!
//! Goal: incidents are reported, mediated (hoà giải), escalated and resolved by mediation
//! or prosecution (khởi tố) as seed 001 describes, only open incidents are handled, a
//! resolved incident can be reopened; tips from the public and arrests are recorded; bad
//! input names its fields, retries are idempotent, reused request ids and stale versions
//! are refused.
//! Method: each test starts its own server, registers the areas it needs through the
//! Areas API (a thôn of xã Nga Thái, Nga Sơn, Thanh Hóa) and drives the Incidents API.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::incidents_client::IncidentsClient;
use antt_e2e::v1::resolve_incident_request::Resolution;
use antt_e2e::v1::{
    AssessTipRequest, AssignIncidentRequest, CommandHeader, CommandResult, Date, EscalateIncidentRequest, ForceType,
    GetArrestRequest, GetIncidentRequest, GetTipRequest, HandlingLevel, HoldIncidentDialogueRequest, IncidentCategory,
    IncidentClassification, IncidentSource, IncidentView, MediateIncidentRequest, MediationOutcome, ReceiveTipRequest,
    RecordArrestRequest, ReopenIncidentRequest, ReportIncidentRequest, ResolutionMediated, ResolutionProsecution,
    ResolveIncidentRequest,
};
use antt_e2e::{assert_field_violation, date, decision, header, read_stream, thanh_hoa_to_thon_8, TestServer};
use tonic::transport::Channel;
use tonic::{Code, Status};
use uuid::Uuid;

type Client = IncidentsClient<Channel>;

/// A header for a new action effective on the given day.
fn on(year: i32, month: u32, day: u32) -> Option<CommandHeader> {
    header(date(year, month, day))
}

/// Thanh Hóa → Nga Sơn → xã Nga Thái → Thôn 8, all from 1997; returns the thôn's id.
async fn thon_8(server: &TestServer) -> String {
    let [_, _, _, thon] = thanh_hoa_to_thon_8(server).await;
    thon
}

fn report(area_id: &str, category: IncidentCategory, summary: &str) -> ReportIncidentRequest {
    ReportIncidentRequest {
        header: on(2016, 3, 1),
        incident_id: Uuid::new_v4().to_string(),
        category: category.into(),
        area_id: area_id.to_string(),
        source: IncidentSource::GrassrootsForce.into(),
        summary: summary.to_string(),
        complex: false,
        tip_id: String::new(),
        classification: IncidentClassification::Unspecified.into(),
    }
}

fn mediate(incident_id: &str, outcome: MediationOutcome, day: u32) -> MediateIncidentRequest {
    MediateIncidentRequest {
        header: on(2016, 3, day),
        incident_id: incident_id.to_string(),
        by_force: ForceType::SecurityProtectionTeam.into(),
        by_team_id: String::new(),
        outcome: outcome.into(),
        note: "hai bên thống nhất mở lại lối đi chung".to_string(),
    }
}

fn resolve(incident_id: &str, resolution: Resolution, day: u32) -> ResolveIncidentRequest {
    ResolveIncidentRequest {
        header: on(2016, 4, day),
        incident_id: incident_id.to_string(),
        resolution: Some(resolution),
        ..Default::default()
    }
}

fn mediated() -> Resolution {
    Resolution::Mediated(ResolutionMediated {})
}

async fn get(client: &mut Client, incident_id: &str) -> IncidentView {
    let request = GetIncidentRequest {
        incident_id: incident_id.to_string(),
        as_of: None,
    };
    client.get_incident(request).await.expect("GetIncident").into_inner()
}

fn assert_refused<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, words: &str) {
    let status = result.expect_err("the call should be refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert!(
        status.message().contains(words),
        "{words:?} not in {:?}",
        status.message()
    );
}

#[tokio::test]
async fn one_incident_is_mediated_and_another_prosecuted() {
    let server = TestServer::start().await.unwrap();
    let thon = thon_8(&server).await;
    let mut client = Client::new(server.channel.clone());

    // A neighbours' quarrel, mediated by the protection team (tổ bảo vệ ANTT).
    let quarrel = report(&thon, IncidentCategory::NeighbourDispute, "tranh chấp lối đi chung");
    let quarrel_id = quarrel.incident_id.clone();
    client.report_incident(quarrel).await.unwrap();
    let assign = AssignIncidentRequest {
        header: on(2016, 3, 2),
        incident_id: quarrel_id.clone(),
        level: HandlingLevel::SecurityProtectionTeam.into(),
        team_id: String::new(),
        co_handlers: Vec::new(),
    };
    client.assign_incident(assign).await.unwrap();
    client
        .mediate_incident(mediate(&quarrel_id, MediationOutcome::Failed, 5))
        .await
        .unwrap();
    client
        .mediate_incident(mediate(&quarrel_id, MediationOutcome::Succeeded, 9))
        .await
        .unwrap();
    let resolved = client
        .resolve_incident(resolve(&quarrel_id, mediated(), 1))
        .await
        .unwrap();
    assert_eq!(resolved.into_inner().event_types, ["antt.v1.IncidentResolved"]);
    let view = get(&mut client, &quarrel_id).await;
    assert!(!view.open);
    assert_eq!(view.level(), HandlingLevel::SecurityProtectionTeam);
    assert_eq!((view.mediations_count, view.successful_mediations_count), (2, 1));
    assert_eq!(
        view.resolved_on,
        Some(Date {
            year: 2016,
            month: 4,
            day: 1
        })
    );
    assert_eq!(view.area_id, thon);

    // An assault, taken up by the commune police, escalated and prosecuted (khởi tố).
    let assault = report(&thon, IncidentCategory::Assault, "đánh nhau gây thương tích");
    let assault_id = assault.incident_id.clone();
    client.report_incident(assault).await.unwrap();
    let assign = AssignIncidentRequest {
        header: on(2016, 3, 2),
        incident_id: assault_id.clone(),
        level: HandlingLevel::CommunePolice.into(),
        team_id: String::new(),
        co_handlers: Vec::new(),
    };
    client.assign_incident(assign).await.unwrap();
    let escalate = EscalateIncidentRequest {
        header: on(2016, 3, 3),
        incident_id: assault_id.clone(),
        to_level: HandlingLevel::DistrictPolice.into(),
        reason: "có dấu hiệu tội phạm".to_string(),
    };
    client.escalate_incident(escalate).await.unwrap();
    let mut prosecution = resolve(
        &assault_id,
        Resolution::Prosecution(ResolutionProsecution { defendants: 3 }),
        20,
    );
    if let Some(header) = prosecution.header.as_mut() {
        header.decision = Some(decision(
            "12/QĐ-KTVAHS",
            "Cơ quan CSĐT Công an huyện Nga Sơn",
            date(2016, 4, 20),
        ));
    }
    client.resolve_incident(prosecution).await.unwrap();
    let view = get(&mut client, &assault_id).await;
    assert!(!view.open);
    assert_eq!(view.level(), HandlingLevel::DistrictPolice);
    let events = read_stream(&mut server.connect().await.unwrap(), &format!("incident-{assault_id}"))
        .await
        .unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "antt.v1.IncidentReported",
            "antt.v1.IncidentAssigned",
            "antt.v1.IncidentEscalated",
            "antt.v1.IncidentResolved"
        ]
    );
    assert_eq!(events[3].metadata["decision"], "12/QĐ-KTVAHS");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn only_open_incidents_are_handled_and_a_resolved_one_can_reopen() {
    let server = TestServer::start().await.unwrap();
    let thon = thon_8(&server).await;
    let mut client = Client::new(server.channel.clone());
    let quarrel = report(&thon, IncidentCategory::FamilyDispute, "mâu thuẫn gia đình");
    let id = quarrel.incident_id.clone();
    client.report_incident(quarrel).await.unwrap();

    // Without a successful mediation there is nothing to resolve by mediation.
    let early = client.resolve_incident(resolve(&id, mediated(), 1)).await;
    assert_refused(early, Code::FailedPrecondition, "successful mediation");
    client
        .mediate_incident(mediate(&id, MediationOutcome::Succeeded, 9))
        .await
        .unwrap();
    client.resolve_incident(resolve(&id, mediated(), 1)).await.unwrap();

    let again = client.resolve_incident(resolve(&id, mediated(), 2)).await;
    assert_refused(again, Code::FailedPrecondition, "already resolved");
    // Dated after the resolution: a mediation dated before it would be a valid
    // backdated fact, judged against the incident as it stood then.
    let late = MediateIncidentRequest {
        header: on(2016, 4, 20),
        ..mediate(&id, MediationOutcome::Succeeded, 20)
    };
    let late = client.mediate_incident(late).await;
    assert_refused(late, Code::FailedPrecondition, "already resolved");
    let dialogue = HoldIncidentDialogueRequest {
        header: on(2016, 4, 3),
        incident_id: id.clone(),
        held_by: "Chủ tịch UBND xã".to_string(),
    };
    assert_refused(
        client.hold_incident_dialogue(dialogue).await,
        Code::FailedPrecondition,
        "reopen",
    );

    let reopen = ReopenIncidentRequest {
        header: on(2016, 5, 2),
        incident_id: id.clone(),
        reason: "mâu thuẫn tái phát".to_string(),
    };
    client.reopen_incident(reopen.clone()).await.unwrap();
    let view = get(&mut client, &id).await;
    assert!(view.open);
    assert_eq!(view.resolved_on, None);
    // The earlier agreement did not hold: a new mediation is needed before closing again.
    assert_eq!(view.successful_mediations_count, 0);
    let stale_agreement = ResolveIncidentRequest {
        header: on(2016, 5, 30),
        ..resolve(&id, mediated(), 30)
    };
    let stale_agreement = client.resolve_incident(stale_agreement).await;
    assert_refused(stale_agreement, Code::FailedPrecondition, "successful mediation");
    let mut reopen_open = reopen;
    reopen_open.header = on(2016, 5, 3);
    assert_refused(
        client.reopen_incident(reopen_open).await,
        Code::FailedPrecondition,
        "still open",
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_tip_leads_to_an_incident_and_an_arrest_is_recorded_once() {
    let server = TestServer::start().await.unwrap();
    let thon = thon_8(&server).await;
    let mut client = Client::new(server.channel.clone());

    let tip_id = Uuid::new_v4().to_string();
    let receive = ReceiveTipRequest {
        header: on(2016, 8, 1),
        tip_id: tip_id.clone(),
        area_id: thon.clone(),
        category: IncidentCategory::Gambling.into(),
        channel: "hòm thư tố giác tội phạm".to_string(),
        summary: "tụ tập đánh bạc ở bãi sông".to_string(),
    };
    client.receive_tip(receive).await.unwrap();
    let mut gambling = report(&thon, IncidentCategory::Gambling, "đánh bạc");
    gambling.header = on(2016, 8, 2);
    gambling.source = IncidentSource::PublicTip.into();
    gambling.tip_id = tip_id.clone();
    let incident_id = gambling.incident_id.clone();
    client.report_incident(gambling).await.unwrap();
    let assess = AssessTipRequest {
        header: on(2016, 8, 3),
        tip_id: tip_id.clone(),
        valuable: true,
        led_to_incident_id: incident_id.clone(),
    };
    client.assess_tip(assess).await.unwrap();
    let tip = client
        .get_tip(GetTipRequest {
            tip_id: tip_id.clone(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(tip.assessed && tip.valuable, "{tip:?}");
    assert_eq!(tip.led_to_incident_id, incident_id);
    assert_eq!(
        tip.received_on,
        Some(Date {
            year: 2016,
            month: 8,
            day: 1
        })
    );

    let arrest = RecordArrestRequest {
        header: on(2015, 2, 1),
        arrest_id: Uuid::new_v4().to_string(),
        area_id: thon.clone(),
        surrendered: true,
        public_helped: true,
        arrested_by: "Công an huyện Nga Sơn".to_string(),
        person_id: String::new(),
    };
    let recorded = client.record_arrest(arrest.clone()).await.unwrap().into_inner();
    assert_eq!(recorded.event_types, ["antt.v1.WantedPersonArrested"]);
    assert_eq!(recorded.stream_id, format!("arrest-{}", arrest.arrest_id));
    let view = client
        .get_arrest(GetArrestRequest {
            arrest_id: arrest.arrest_id.clone(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(view.arrest_id, arrest.arrest_id);
    assert_eq!(view.area_id, thon);
    assert_eq!(view.arrested_on, Some(date(2015, 2, 1)));
    assert!(view.surrendered && view.public_helped);
    assert_eq!(view.arrested_by, "Công an huyện Nga Sơn");
    assert_eq!(view.version, recorded.stream_version);
    let unknown = client
        .get_arrest(GetArrestRequest {
            arrest_id: Uuid::new_v4().to_string(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");
    let mut twice = arrest;
    twice.header = on(2015, 2, 1);
    assert_refused(
        client.record_arrest(twice).await,
        Code::FailedPrecondition,
        "already recorded",
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_areas_and_records_are_refused() {
    let server = TestServer::start().await.unwrap();
    let mut client = Client::new(server.channel.clone());
    let nowhere = Uuid::new_v4().to_string();
    let status = client
        .report_incident(report(&nowhere, IncidentCategory::Theft, "mất trộm xe máy"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status.message().contains(&nowhere) && status.message().contains("area_id"));

    let unknown = Uuid::new_v4().to_string();
    let status = client
        .get_incident(GetIncidentRequest {
            incident_id: unknown.clone(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let mediation = client
        .mediate_incident(mediate(&unknown, MediationOutcome::Failed, 5))
        .await;
    assert_refused(mediation, Code::FailedPrecondition, "not been recorded");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn malformed_requests_name_every_field() {
    let server = TestServer::start().await.unwrap();
    let thon = thon_8(&server).await;
    let mut client = Client::new(server.channel.clone());

    let mut bad = report("thôn 8", IncidentCategory::Unspecified, "");
    bad.header = None;
    bad.incident_id = "vụ-1".to_string();
    bad.source = 99;
    let status = client.report_incident(bad).await.unwrap_err();
    assert_field_violation(
        &status,
        Code::InvalidArgument,
        &["header", "incident_id", "area_id", "category", "source"],
    );

    // Checks made by the domain are named by their path in the request too.
    let quarrel = report(&thon, IncidentCategory::NeighbourDispute, "tranh chấp ranh giới");
    let id = quarrel.incident_id.clone();
    client.report_incident(quarrel).await.unwrap();
    let no_defendants = resolve(&id, Resolution::Prosecution(ResolutionProsecution { defendants: 0 }), 1);
    let status = client.resolve_incident(no_defendants).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["prosecution.defendants"]);
    let mut no_resolution = resolve(&id, mediated(), 1);
    no_resolution.resolution = None;
    let status = client.resolve_incident(no_resolution).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["resolution"]);
    let mut undated = mediate(&id, MediationOutcome::Unspecified, 5);
    undated.header.as_mut().unwrap().effective_date = None;
    let status = client.mediate_incident(undated).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["header.effective_date", "outcome"]);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn retries_are_deduplicated_and_conflicts_refused() {
    let server = TestServer::start().await.unwrap();
    let thon = thon_8(&server).await;
    let mut client = Client::new(server.channel.clone());
    let quarrel = report(&thon, IncidentCategory::LandDispute, "tranh chấp đất canh tác");
    let id = quarrel.incident_id.clone();

    let first: CommandResult = client.report_incident(quarrel.clone()).await.unwrap().into_inner();
    let retry = client.report_incident(quarrel.clone()).await.unwrap().into_inner();
    assert!(!first.deduplicated && retry.deduplicated);
    assert_eq!(
        (retry.stream_id.as_str(), retry.first_position, retry.stream_version),
        (first.stream_id.as_str(), first.first_position, first.stream_version)
    );

    let mut other_body = quarrel;
    other_body.summary = "một nội dung khác".to_string();
    let status = client.report_incident(other_body).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");

    let mut assign = AssignIncidentRequest {
        header: on(2016, 3, 2),
        incident_id: id.clone(),
        level: HandlingLevel::CommuneAuthority.into(),
        team_id: String::new(),
        co_handlers: Vec::new(),
    };
    assign.header.as_mut().unwrap().expected_version = Some(3);
    let status = client.assign_incident(assign.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    assign.header = on(2016, 3, 2);
    assign.header.as_mut().unwrap().expected_version = Some(get(&mut client, &id).await.version);
    let assigned = client.assign_incident(assign).await.unwrap().into_inner();
    assert_eq!(assigned.stream_version, 1);
    server.shutdown().await.unwrap();
}

/// Goal: handling together is recorded and counted, a resolution must be within the
/// handling level's competence, and an incident is classified at its dates.
#[tokio::test]
async fn a_group_cannot_prosecute_and_an_incident_is_classified() {
    let server = TestServer::start().await.unwrap();
    let thon = thon_8(&server).await;
    let mut client = IncidentsClient::new(server.channel.clone());
    let theft = report(&thon, IncidentCategory::Theft, "mất trộm gà");
    let theft_id = theft.incident_id.clone();
    client.report_incident(theft).await.unwrap();
    let assign = AssignIncidentRequest {
        header: on(2016, 3, 2),
        incident_id: theft_id.clone(),
        level: HandlingLevel::SocialSecurityGroup.into(),
        team_id: String::new(),
        co_handlers: vec![antt_e2e::v1::IncidentCoHandler {
            level: HandlingLevel::SecurityProtectionTeam.into(),
            team_id: String::new(),
        }],
    };
    client.assign_incident(assign).await.unwrap();
    let prosecution = resolve(
        &theft_id,
        Resolution::Prosecution(ResolutionProsecution { defendants: 1 }),
        10,
    );
    assert_refused(
        client.resolve_incident(prosecution).await,
        Code::FailedPrecondition,
        "không đúng thẩm quyền",
    );
    // A team named must exist.
    let mut unknown_team = mediate(&theft_id, MediationOutcome::Failed, 4);
    unknown_team.by_team_id = Uuid::new_v4().to_string();
    assert_refused(
        client.mediate_incident(unknown_team).await,
        Code::FailedPrecondition,
        "is not established",
    );
    let classify = |classification: IncidentClassification, day| antt_e2e::v1::ClassifyIncidentRequest {
        header: on(2016, 3, day),
        incident_id: theft_id.clone(),
        classification: classification.into(),
        reason: "kết quả xác minh".to_string(),
    };
    client
        .classify_incident(classify(IncidentClassification::AdministrativeViolation, 5))
        .await
        .unwrap();
    let unspecified = client
        .classify_incident(classify(IncidentClassification::Unspecified, 6))
        .await;
    assert_field_violation(&unspecified.unwrap_err(), Code::InvalidArgument, &["classification"]);
    let mut store = server.connect().await.unwrap();
    let events = read_stream(&mut store, &format!("incident-{theft_id}")).await.unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "antt.v1.IncidentReported",
            "antt.v1.IncidentAssigned",
            "antt.v1.IncidentClassified"
        ]
    );
}
