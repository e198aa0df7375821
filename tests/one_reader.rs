//! One way to read a request (issue 7 §4): the same malformed input gets the same answer
//! from every domain service: INVALID_ARGUMENT, one field violation at a path of the same
//! shape, and the same description.
//!
//! Each kind of input (an empty id, a UUID with spaces around it, the nil UUID, a text that
//! is no UUID, an unspecified required enum, no header, no decision where one is required,
//! 30 February) goes to one command of every service (Areas, Forces, Incidents, Ratings,
//! Inspections, Targets, Records), and the ids and the day to one Get of each. Nothing is
//! recorded first: every input is refused while the request is read, before any record is
//! loaded, so a well-formed field around the bad one never needs a record behind it.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeSet;

use antt_e2e::v1::areas_client::AreasClient;
use antt_e2e::v1::forces_client::ForcesClient;
use antt_e2e::v1::incidents_client::IncidentsClient;
use antt_e2e::v1::inspections_client::InspectionsClient;
use antt_e2e::v1::ratings_client::RatingsClient;
use antt_e2e::v1::records_client::RecordsClient;
use antt_e2e::v1::targets_client::TargetsClient;
use antt_e2e::v1::{
    set_target_request, AppointMemberRequest, AreaLevel, ClassifyIncidentRequest, CommandHeader, Date, FindingKind,
    GetAreaRequest, GetIncidentRequest, GetInspectionRequest, GetOfficeRequest, GetRatingRequest, GetTargetRequest,
    GetTeamRequest, IncidentClassification, MemberRole, OfficeKind, OpenInspectionRequest, RateUnitRequest,
    RecordFindingRequest, RegisterAreaRequest, RenameAreaRequest, SafetyOutcome, SetTargetRequest, ShareAtLeast,
    TakeOfficeRequest, TargetIndicator,
};
use antt_e2e::{date, decided_by, new_id, TestServer};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;
use uuid::Uuid;

/// A kind of malformed input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bad {
    EmptyId,
    PaddedId,
    NilId,
    MalformedId,
    UnspecifiedEnum,
    NoHeader,
    NoDecision,
    February30,
}

const EVERY_KIND: [Bad; 8] = [
    Bad::EmptyId,
    Bad::PaddedId,
    Bad::NilId,
    Bad::MalformedId,
    Bad::UnspecifiedEnum,
    Bad::NoHeader,
    Bad::NoDecision,
    Bad::February30,
];

fn february_30() -> Date {
    Date {
        year: 2023,
        month: 2,
        day: 30,
    }
}

/// What varies in a request: the record's id, the header (with a decision) and one
/// required enum; everything else is well formed.
struct Sent {
    id: String,
    header: Option<CommandHeader>,
    enumeration: Enumeration,
}

/// A required enum as sent: the valid value, or UNSPECIFIED when that is the input.
#[derive(Clone, Copy)]
struct Enumeration {
    unspecified: bool,
}

impl Enumeration {
    fn or(self, valid: impl Into<i32>) -> i32 {
        if self.unspecified {
            0
        } else {
            valid.into()
        }
    }
}

impl Sent {
    fn with(bad: Bad) -> Sent {
        let mut sent = Sent {
            id: new_id(),
            header: decided_by(date(2024, 1, 10), "12/QĐ-UBND", "UBND xã Nga Thái"),
            enumeration: Enumeration { unspecified: false },
        };
        match bad {
            Bad::EmptyId => sent.id = String::new(),
            Bad::PaddedId => sent.id = format!("  {}  ", new_id()),
            Bad::NilId => sent.id = Uuid::nil().to_string(),
            Bad::MalformedId => sent.id = "not-a-uuid".to_string(),
            Bad::UnspecifiedEnum => sent.enumeration.unspecified = true,
            Bad::NoHeader => sent.header = None,
            Bad::NoDecision => {
                if let Some(header) = sent.header.as_mut() {
                    header.decision = None;
                }
            }
            Bad::February30 => {
                if let Some(header) = sent.header.as_mut() {
                    header.effective_date = Some(february_30());
                }
            }
        }
        sent
    }
}

/// One service's answer, with the request fields the bad input was in.
struct Refused {
    service: &'static str,
    status: Status,
    id_field: &'static str,
    enum_field: &'static str,
}

impl Refused {
    fn new<T>(service: &'static str, answer: Result<T, Status>, fields: (&'static str, &'static str)) -> Refused {
        let Err(status) = answer else {
            panic!("{service} accepted a malformed request");
        };
        Refused {
            service,
            status,
            id_field: fields.0,
            enum_field: fields.1,
        }
    }

    /// A Get's answer: it names a record, and no enum.
    fn get<T>(service: &'static str, answer: Result<T, Status>, id_field: &'static str) -> Refused {
        Refused::new(service, answer, (id_field, ""))
    }

    /// The one field the bad input should be named at.
    fn expected_field(&self, bad: Bad) -> &'static str {
        match bad {
            Bad::EmptyId | Bad::PaddedId | Bad::NilId | Bad::MalformedId => self.id_field,
            Bad::UnspecifiedEnum => self.enum_field,
            Bad::NoHeader => "header",
            Bad::NoDecision => "header.decision",
            Bad::February30 => "header.effective_date",
        }
    }

    fn violations(&self) -> Vec<(String, String)> {
        self.status
            .get_details_bad_request()
            .map(|bad| {
                bad.field_violations
                    .into_iter()
                    .map(|v| (v.field, v.description))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Every answer is INVALID_ARGUMENT naming exactly the field the bad input was in, whose
/// path has the same shape in every service, with one description for all of them.
fn assert_answered_alike(bad: Bad, expected: impl Fn(&Refused) -> String, answers: &[Refused]) {
    let mut descriptions = BTreeSet::new();
    for answer in answers {
        let context = format!("{bad:?} sent to {}: {:?}", answer.service, answer.status);
        assert_eq!(answer.status.code(), Code::InvalidArgument, "{context}");
        let violations = answer.violations();
        let [(field, description)] = violations.as_slice() else {
            panic!("one field violation expected, {context}");
        };
        assert_eq!(field, &expected(answer), "{context}");
        assert!(same_shape(bad, field), "{field:?} has another shape, {context}");
        assert_eq!(
            answer.status.message(),
            format!("invalid request: {field}: {description}"),
            "{context}"
        );
        descriptions.insert(description.clone());
    }
    assert_eq!(
        descriptions.len(),
        1,
        "{bad:?} is described differently by different services: {descriptions:#?}"
    );
}

/// A record's id is a top-level `<record>_id`, a required enum a top-level field, and the
/// header's fields are named under `header`.
fn same_shape(bad: Bad, field: &str) -> bool {
    let top_level = !field.contains(['.', '[']);
    match bad {
        Bad::EmptyId | Bad::PaddedId | Bad::NilId | Bad::MalformedId => top_level && field.ends_with("_id"),
        Bad::UnspecifiedEnum => top_level,
        Bad::NoHeader | Bad::NoDecision | Bad::February30 => field == "header" || field.starts_with("header."),
    }
}

async fn areas(channel: Channel, bad: Bad) -> Option<Refused> {
    let sent = Sent::with(bad);
    let mut client = AreasClient::new(channel);
    // Registering an area takes no decision; renaming one does.
    let answer = if bad == Bad::NoDecision {
        let request = RenameAreaRequest {
            header: sent.header,
            area_id: sent.id,
            new_name: "Xã Nga Thái".into(),
            ..Default::default()
        };
        client.rename_area(request).await.map(drop)
    } else {
        let request = RegisterAreaRequest {
            header: sent.header,
            area_id: sent.id,
            name: "Xã Nga Thái".into(),
            level: sent.enumeration.or(AreaLevel::Commune),
            division_type: "xã".into(),
            ..Default::default()
        };
        client.register_area(request).await.map(drop)
    };
    Some(Refused::new("Areas", answer, ("area_id", "level")))
}

async fn forces(channel: Channel, bad: Bad) -> Option<Refused> {
    let sent = Sent::with(bad);
    let request = AppointMemberRequest {
        header: sent.header,
        team_id: sent.id,
        person_id: new_id(),
        role: sent.enumeration.or(MemberRole::Member),
        ..Default::default()
    };
    let answer = ForcesClient::new(channel).appoint_member(request).await;
    Some(Refused::new("Forces", answer, ("team_id", "role")))
}

/// No incident command requires a decision.
async fn incidents(channel: Channel, bad: Bad) -> Option<Refused> {
    let sent = (bad != Bad::NoDecision).then(|| Sent::with(bad))?;
    let request = ClassifyIncidentRequest {
        header: sent.header,
        incident_id: sent.id,
        classification: sent.enumeration.or(IncidentClassification::Crime),
        ..Default::default()
    };
    let answer = IncidentsClient::new(channel).classify_incident(request).await;
    Some(Refused::new("Incidents", answer, ("incident_id", "classification")))
}

/// No rating command requires a decision.
async fn ratings(channel: Channel, bad: Bad) -> Option<Refused> {
    let sent = (bad != Bad::NoDecision).then(|| Sent::with(bad))?;
    let request = RateUnitRequest {
        header: sent.header,
        rating_id: new_id(),
        unit_area_id: sent.id,
        year: 2023,
        outcome: sent.enumeration.or(SafetyOutcome::Safe),
        ..Default::default()
    };
    let answer = RatingsClient::new(channel).rate_unit(request).await;
    Some(Refused::new("Ratings", answer, ("unit_area_id", "outcome")))
}

async fn inspections(channel: Channel, bad: Bad) -> Option<Refused> {
    let sent = Sent::with(bad);
    let mut client = InspectionsClient::new(channel);
    // Opening an inspection takes the delegation's report; recording a finding does not.
    let answer = if bad == Bad::NoDecision {
        let request = OpenInspectionRequest {
            header: sent.header,
            inspection_id: sent.id,
            delegation: "Đoàn Kiểm tra số 02".into(),
            scope: "thực hiện Kết luận số 44-KL/TW".into(),
            ..Default::default()
        };
        client.open_inspection(request).await.map(drop)
    } else {
        let request = RecordFindingRequest {
            header: sent.header,
            inspection_id: sent.id,
            finding_id: new_id(),
            kind: sent.enumeration.or(FindingKind::Strength),
            text: "tổ bảo vệ ANTT hoạt động đều".into(),
        };
        client.record_finding(request).await.map(drop)
    };
    Some(Refused::new("Inspections", answer, ("inspection_id", "kind")))
}

async fn targets(channel: Channel, bad: Bad) -> Option<Refused> {
    let sent = Sent::with(bad);
    let request = SetTargetRequest {
        header: sent.header,
        target_id: sent.id,
        indicator: sent.enumeration.or(TargetIndicator::CommuneResolutionAndPlan),
        description: "100% xã có nghị quyết và kế hoạch về ANTT".into(),
        threshold: Some(set_target_request::Threshold::ShareAtLeast(ShareAtLeast {
            percent: 100,
        })),
        scope_area_id: new_id(),
        unit_level: AreaLevel::Commune.into(),
        first_year: 2021,
        last_year: 2025,
        ..Default::default()
    };
    let answer = TargetsClient::new(channel).set_target(request).await;
    Some(Refused::new("Targets", answer, ("target_id", "indicator")))
}

async fn records(channel: Channel, bad: Bad) -> Option<Refused> {
    let sent = Sent::with(bad);
    let request = TakeOfficeRequest {
        header: sent.header,
        tenure_id: sent.id,
        person_id: new_id(),
        area_id: new_id(),
        kind: sent.enumeration.or(OfficeKind::VillagePoliceOfficer),
        ..Default::default()
    };
    let answer = RecordsClient::new(channel).take_office(request).await;
    Some(Refused::new("Records", answer, ("tenure_id", "kind")))
}

/// The answer of every service that takes this kind of input.
async fn commands_answer(channel: &Channel, bad: Bad) -> Vec<Refused> {
    let answers = [
        areas(channel.clone(), bad).await,
        forces(channel.clone(), bad).await,
        incidents(channel.clone(), bad).await,
        ratings(channel.clone(), bad).await,
        inspections(channel.clone(), bad).await,
        targets(channel.clone(), bad).await,
        records(channel.clone(), bad).await,
    ];
    answers.into_iter().flatten().collect()
}

#[tokio::test]
async fn every_command_reads_the_same_input_alike() {
    let server = TestServer::start().await.unwrap();
    for bad in EVERY_KIND {
        let answers = commands_answer(&server.channel, bad).await;
        // Incidents and Ratings have no command that requires a decision.
        let takers = if bad == Bad::NoDecision { 5 } else { 7 };
        assert_eq!(answers.len(), takers, "{bad:?}");
        assert_answered_alike(bad, |answer| answer.expected_field(bad).to_string(), &answers);
    }
}

/// What a Get is sent: the record's id and the day asked for.
fn get_input(bad: Bad) -> (String, Option<Date>) {
    let sent = Sent::with(bad);
    let as_of = (bad == Bad::February30).then(february_30);
    (sent.id, as_of)
}

/// The answer of each service's Get to an id and a day.
async fn gets_answer(channel: &Channel, bad: Bad) -> Vec<Refused> {
    let (id, as_of) = get_input(bad);
    let area = AreasClient::new(channel.clone())
        .get_area(GetAreaRequest {
            area_id: id.clone(),
            as_of,
        })
        .await;
    let team = ForcesClient::new(channel.clone())
        .get_team(GetTeamRequest {
            team_id: id.clone(),
            as_of,
        })
        .await;
    let incident = IncidentsClient::new(channel.clone())
        .get_incident(GetIncidentRequest {
            incident_id: id.clone(),
            as_of,
        })
        .await;
    let rating = RatingsClient::new(channel.clone())
        .get_rating(GetRatingRequest {
            unit_area_id: id.clone(),
            year: 2023,
            as_of,
        })
        .await;
    let inspection = InspectionsClient::new(channel.clone())
        .get_inspection(GetInspectionRequest {
            inspection_id: id.clone(),
            as_of,
        })
        .await;
    let target = TargetsClient::new(channel.clone())
        .get_target(GetTargetRequest {
            target_id: id.clone(),
            as_of,
        })
        .await;
    let office = RecordsClient::new(channel.clone())
        .get_office(GetOfficeRequest { tenure_id: id, as_of })
        .await;
    vec![
        Refused::get("Areas", area, "area_id"),
        Refused::get("Forces", team, "team_id"),
        Refused::get("Incidents", incident, "incident_id"),
        Refused::get("Ratings", rating, "unit_area_id"),
        Refused::get("Inspections", inspection, "inspection_id"),
        Refused::get("Targets", target, "target_id"),
        Refused::get("Records", office, "tenure_id"),
    ]
}

#[tokio::test]
async fn every_get_reads_ids_and_days_alike() {
    let server = TestServer::start().await.unwrap();
    for bad in [Bad::EmptyId, Bad::PaddedId, Bad::NilId, Bad::MalformedId] {
        let answers = gets_answer(&server.channel, bad).await;
        assert_answered_alike(bad, |answer| answer.id_field.to_string(), &answers);
    }
    // The day asked for is named `as_of` in every Get.
    let answers = gets_answer(&server.channel, Bad::February30).await;
    let mut descriptions = BTreeSet::new();
    for answer in &answers {
        let violations = answer.violations();
        assert_eq!(answer.status.code(), Code::InvalidArgument, "{}", answer.service);
        assert_eq!(violations.len(), 1, "{}: {violations:?}", answer.service);
        assert_eq!(violations[0].0, "as_of", "{}", answer.service);
        descriptions.insert(violations[0].1.clone());
    }
    assert_eq!(
        descriptions.into_iter().collect::<Vec<_>>(),
        ["2023-02-30 is not a valid date (ngày không hợp lệ)"]
    );
}

#[tokio::test]
async fn the_descriptions_say_what_to_fix() {
    let server = TestServer::start().await.unwrap();
    let said = |bad| {
        let channel = server.channel.clone();
        async move {
            let answers = commands_answer(&channel, bad).await;
            answers[0].violations()[0].1.clone()
        }
    };
    let example = "e.g. 7d9f0c2e-5b1a-4c3e-9a77-1f2e3d4c5b6a";
    assert_eq!(said(Bad::EmptyId).await, format!("is required: a UUID, {example}"));
    assert_eq!(said(Bad::PaddedId).await, "must be a UUID without spaces around it");
    assert_eq!(said(Bad::NilId).await, "must not be the nil UUID");
    assert_eq!(said(Bad::MalformedId).await, format!("must be a UUID, {example}"));
    assert_eq!(said(Bad::UnspecifiedEnum).await, "must be specified");
    assert!(said(Bad::NoHeader).await.contains("header"));
    assert!(said(Bad::NoDecision)
        .await
        .starts_with("is required for this command: the document behind it"));
    assert_eq!(
        said(Bad::February30).await,
        "2023-02-30 is not a valid date (ngày không hợp lệ)"
    );
}
