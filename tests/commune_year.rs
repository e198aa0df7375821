//! End to end over gRPC: one year (2017) in the life of xã Nga Thạch, huyện Nga Sơn, tỉnh
//! Thanh Hóa, recorded through every domain service and then read back from the log.
//!
//! Goal: the year the issue describes leaves exactly the events it should, and they can be
//! trusted: the steering committee (Ban chỉ đạo ANTT) is formed and its head appointed; a
//! security protection team (tổ bảo vệ ANTT) of three is established with quota 3; one
//! member relocates and is replaced; two incidents in Thôn 3 (a neighbours' land dispute
//! mediated by the team, a motorbike theft escalated to the district police and
//! prosecuted); the village registers to strive and is rated safe; an inspection records a
//! shortcoming whose remedial action is planned, reported on and completed, and closes.
//! Beside them, the records of the year: the commune Party committee's resolution on
//! security and order (01-NQ/ĐU) and the People's Committee's plan (05/KH-UBND); the
//! village's công an viên in office from 1 January to 31 December; a social security
//! group (tổ an ninh xã hội) of 27, later 31, of the village's 312 households, and the
//! year-end report's figure of 31 households in groups; a training class of 36
//! participants with two known attendees; a Giấy khen of the district People's Committee
//! to the protection team.
//! Every stream holds exactly the expected event types in order, with dense versions, the
//! effective date sent (00:00 UTC), the decision number where one was sent and the request
//! id as correlation id; key payloads decode to the facts sent; the whole log holds every
//! event once and its hash chain recomputes from position 0; the Get* views agree; and all
//! of it reads the same after a restart.
//! Method: one server on a temp directory; the year is recorded command by command in date
//! order, each command's request id, date, decision and log position noted; then the
//! streams, the log and the views are read back and checked against those notes and the
//! hard-coded expectations below; the server restarts and the same reads must compare
//! equal. No clock is read and no timing is asserted.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use antt_e2e::TestServer;
use antt_proto::v1 as pb;
use anttd::access::reads::{PERSONAL_DATA_READS_STREAM, PERSONAL_DATA_READ_EVENT};
use pb::areas_client::AreasClient;
use pb::event_store_client::EventStoreClient;
use pb::forces_client::ForcesClient;
use pb::incidents_client::IncidentsClient;
use pb::inspections_client::InspectionsClient;
use pb::ratings_client::RatingsClient;
use pb::records_client::RecordsClient;
use prost::Message;
use tonic::transport::Channel;
use uuid::Uuid;

const YEAR: i32 = 2017;
const COMMUNE_NAME: &str = "Xã Nga Thạch";
const PEOPLES_COMMITTEE: &str = "UBND xã Nga Thạch";
const COMMUNE_CHAIRMAN: &str = "Chủ tịch UBND xã Nga Thạch";
const CONTENT_TYPE_PROTOBUF: &str = "application/x-protobuf";
/// The zero hash that precedes position 0 in the chain.
const GENESIS_HASH: [u8; 32] = [0; 32];

fn day(year: i32, month: u32, day: u32) -> pb::Date {
    pb::Date { year, month, day }
}

/// A day of the recorded year.
fn in_year(month: u32, dd: u32) -> pb::Date {
    day(YEAR, month, dd)
}

fn decision(number: &str, issued_by: &str, issued_on: pb::Date) -> Option<pb::DecisionRef> {
    Some(pb::DecisionRef {
        number: number.to_string(),
        issued_by: issued_by.to_string(),
        issued_on: Some(issued_on),
    })
}

/// A new action's header: a fresh request id, its date and the decision that ordered it.
fn header(on: pb::Date, decision: Option<pb::DecisionRef>) -> pb::CommandHeader {
    pb::CommandHeader {
        request_id: Uuid::new_v4().to_string(),
        expected_version: None,
        effective_date: Some(on),
        decision,
    }
}

fn new_id() -> String {
    Uuid::new_v4().to_string()
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_since_epoch(date: &pb::Date) -> i64 {
    let year = i64::from(date.year) - i64::from(date.month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (i64::from(date.month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(date.day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// 00:00 UTC of a civil date, as the log records a domain event's effective time.
fn midnight_utc(date: &pb::Date) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: days_since_epoch(date) * 86_400,
        nanos: 0,
    }
}

/// What one command sent and where its (single) event landed.
#[derive(Clone, Debug)]
struct Sent {
    what: &'static str,
    stream_id: String,
    request_id: String,
    effective: pb::Date,
    decision: Option<String>,
    position: u64,
}

/// The clients of the domain services and the notes of every command sent.
struct Clerk {
    areas: AreasClient<Channel>,
    forces: ForcesClient<Channel>,
    incidents: IncidentsClient<Channel>,
    ratings: RatingsClient<Channel>,
    inspections: InspectionsClient<Channel>,
    records: RecordsClient<Channel>,
    sent: Vec<Sent>,
}

impl Clerk {
    fn new(channel: &Channel) -> Clerk {
        Clerk {
            areas: AreasClient::new(channel.clone()),
            forces: ForcesClient::new(channel.clone()),
            incidents: IncidentsClient::new(channel.clone()),
            ratings: RatingsClient::new(channel.clone()),
            inspections: InspectionsClient::new(channel.clone()),
            records: RecordsClient::new(channel.clone()),
            sent: Vec::new(),
        }
    }

    /// Unwraps a command's answer and notes what was sent; every command of this year
    /// records exactly one event.
    fn note(
        &mut self,
        what: &'static str,
        header: &pb::CommandHeader,
        answer: Result<tonic::Response<pb::CommandResult>, tonic::Status>,
    ) -> pb::CommandResult {
        let result = answer
            .unwrap_or_else(|status| panic!("{what}: refused: {status:?}"))
            .into_inner();
        assert_eq!(result.event_types.len(), 1, "{what}: {result:?}");
        assert_eq!(result.first_position, result.last_position, "{what}: {result:?}");
        assert!(!result.deduplicated, "{what}: {result:?}");
        let expected_position = self.sent.len() as u64;
        assert_eq!(
            result.first_position, expected_position,
            "{what}: the log is ours alone"
        );
        self.sent.push(Sent {
            what,
            stream_id: result.stream_id.clone(),
            request_id: header.request_id.clone(),
            effective: header.effective_date.expect("every header has a date"),
            decision: header.decision.as_ref().map(|d| d.number.clone()),
            position: result.first_position,
        });
        result
    }
}

/// A person of the commune and their (fictitious) personal data.
struct Resident {
    full_name: &'static str,
    /// Date of birth: year, month, day.
    born: (i32, u32, u32),
    citizen_id: &'static str,
    religion: &'static str,
    party_member: bool,
}

const CHAIRMAN: Resident = Resident {
    full_name: "Mai Văn Hùng",
    born: (1968, 4, 12),
    citizen_id: "172104587",
    religion: "Không",
    party_member: true,
};
const POLICE_CHIEF: Resident = Resident {
    full_name: "Phạm Văn Tuấn",
    born: (1975, 9, 2),
    citizen_id: "172366019",
    religion: "Không",
    party_member: true,
};
const TEAM_LEADER: Resident = Resident {
    full_name: "Mai Xuân Lộc",
    born: (1971, 1, 20),
    citizen_id: "172215830",
    religion: "Không",
    party_member: true,
};
const TEAM_DEPUTY: Resident = Resident {
    full_name: "Nguyễn Văn Bình",
    born: (1980, 6, 15),
    citizen_id: "172498321",
    religion: "Công giáo",
    party_member: false,
};
const LEAVER: Resident = Resident {
    full_name: "Vũ Đình Khánh",
    born: (1986, 11, 3),
    citizen_id: "172633145",
    religion: "Công giáo",
    party_member: false,
};
const SUCCESSOR: Resident = Resident {
    full_name: "Lê Văn Cường",
    born: (1984, 3, 28),
    citizen_id: "172587702",
    religion: "Không",
    party_member: false,
};
const RESIDENTS: [&Resident; 6] = [
    &CHAIRMAN,
    &POLICE_CHIEF,
    &TEAM_LEADER,
    &TEAM_DEPUTY,
    &LEAVER,
    &SUCCESSOR,
];

/// The ids the year created.
#[derive(Clone, Debug)]
struct Ids {
    province: String,
    district: String,
    commune: String,
    village: String,
    chairman: String,
    police_chief: String,
    leader: String,
    deputy: String,
    leaver: String,
    successor: String,
    steering: String,
    team: String,
    dispute: String,
    theft: String,
    inspection: String,
    strength: String,
    shortcoming: String,
    action: String,
    rating: String,
    resolution: String,
    plan: String,
    tenure: String,
    group: String,
    figure: String,
    award: String,
    class: String,
}

impl Ids {
    fn new() -> Ids {
        Ids {
            province: new_id(),
            district: new_id(),
            commune: new_id(),
            village: new_id(),
            chairman: new_id(),
            police_chief: new_id(),
            leader: new_id(),
            deputy: new_id(),
            leaver: new_id(),
            successor: new_id(),
            steering: new_id(),
            team: new_id(),
            dispute: new_id(),
            theft: new_id(),
            inspection: new_id(),
            strength: new_id(),
            shortcoming: new_id(),
            action: new_id(),
            rating: new_id(),
            resolution: new_id(),
            plan: new_id(),
            tenure: new_id(),
            group: new_id(),
            figure: new_id(),
            award: new_id(),
            class: new_id(),
        }
    }

    fn rating_stream(&self) -> String {
        format!("rating-{}-{YEAR}", self.village)
    }

    /// Every stream the year touches and its events' types, in order.
    fn expected_streams(&self) -> Vec<(String, Vec<&'static str>)> {
        let area = |id: &str| format!("area-{id}");
        let person = |id: &str| format!("person-{id}");
        let registered = vec!["antt.v1.PersonRegistered"];
        vec![
            (area(&self.province), vec!["antt.v1.AreaRegistered"]),
            (area(&self.district), vec!["antt.v1.AreaRegistered"]),
            (area(&self.commune), vec!["antt.v1.AreaRegistered"]),
            (
                area(&self.village),
                vec!["antt.v1.AreaRegistered", "antt.v1.AreaPopulationRecorded"],
            ),
            (person(&self.chairman), registered.clone()),
            (person(&self.police_chief), registered.clone()),
            (person(&self.leader), registered.clone()),
            (person(&self.deputy), registered.clone()),
            (person(&self.leaver), registered.clone()),
            (person(&self.successor), registered),
            (
                format!("team-{}", self.steering),
                vec![
                    "antt.v1.TeamEstablished",
                    "antt.v1.MemberAppointed",
                    "antt.v1.MemberAppointed",
                ],
            ),
            (
                format!("team-{}", self.team),
                vec![
                    "antt.v1.TeamEstablished",
                    "antt.v1.MemberAppointed",
                    "antt.v1.MemberAppointed",
                    "antt.v1.MemberAppointed",
                    "antt.v1.MemberLeft",
                    "antt.v1.MemberNominated",
                    "antt.v1.MemberReplaced",
                ],
            ),
            (
                format!("incident-{}", self.dispute),
                vec![
                    "antt.v1.IncidentReported",
                    "antt.v1.IncidentAssigned",
                    "antt.v1.IncidentMediationAttempted",
                    "antt.v1.IncidentResolved",
                ],
            ),
            (
                format!("incident-{}", self.theft),
                vec![
                    "antt.v1.IncidentReported",
                    "antt.v1.IncidentAssigned",
                    "antt.v1.IncidentEscalated",
                    "antt.v1.IncidentResolved",
                ],
            ),
            (
                self.rating_stream(),
                vec![
                    "antt.v1.StriveRegistered",
                    "antt.v1.PledgesRecorded",
                    "antt.v1.UnitRated",
                ],
            ),
            (
                format!("inspection-{}", self.inspection),
                vec![
                    "antt.v1.InspectionOpened",
                    "antt.v1.InspectionFindingRecorded",
                    "antt.v1.InspectionFindingRecorded",
                    "antt.v1.RemedialActionPlanned",
                    "antt.v1.RemedialProgressReported",
                    "antt.v1.RemedialActionCompleted",
                    "antt.v1.InspectionClosed",
                ],
            ),
            (format!("document-{}", self.resolution), vec!["antt.v1.DocumentIssued"]),
            (format!("document-{}", self.plan), vec!["antt.v1.DocumentIssued"]),
            (
                format!("office-{}", self.tenure),
                vec!["antt.v1.OfficeTaken", "antt.v1.OfficeLeft"],
            ),
            (
                format!("team-{}", self.group),
                vec![
                    "antt.v1.TeamEstablished",
                    "antt.v1.GroupHouseholdsRecorded",
                    "antt.v1.GroupHouseholdsRecorded",
                ],
            ),
            (
                format!("conference-{}", self.class),
                vec!["antt.v1.ConferenceHeld", "antt.v1.ConferenceAttendeesRecorded"],
            ),
            (format!("figure-{}", self.figure), vec!["antt.v1.FigureReported"]),
            (format!("award-{}", self.award), vec!["antt.v1.AwardGranted"]),
        ]
    }
}

#[tokio::test]
async fn a_commune_year_is_recorded_and_reads_back_whole() {
    assert_eq!(
        days_since_epoch(&day(2017, 1, 1)),
        17_167,
        "the civil-date helper itself"
    );
    let server = TestServer::start().await.unwrap();
    let ids = Ids::new();
    let mut clerk = Clerk::new(&server.channel);

    register_areas(&mut clerk, &ids).await;
    recognise_village_police_officer(&mut clerk, &ids).await;
    form_steering_committee(&mut clerk, &ids).await;
    issue_directives(&mut clerk, &ids).await;
    register_to_strive(&mut clerk, &ids).await;
    establish_protection_team(&mut clerk, &ids).await;
    record_pledges(&mut clerk, &ids).await;
    establish_social_security_group(&mut clerk, &ids).await;
    mediate_land_dispute(&mut clerk, &ids).await;
    train_protection_team(&mut clerk, &ids).await;
    replace_relocated_member(&mut clerk, &ids).await;
    open_inspection_and_plan(&mut clerk, &ids).await;
    prosecute_theft(&mut clerk, &ids).await;
    remedy_and_close_inspection(&mut clerk, &ids).await;
    recount_group_households(&mut clerk, &ids).await;
    report_group_households(&mut clerk, &ids).await;
    rate_village(&mut clerk, &ids).await;
    commend_protection_team(&mut clerk, &ids).await;
    village_police_officer_leaves(&mut clerk, &ids).await;
    let sent = clerk.sent;

    let before = read_back(&server.channel, &ids).await;
    check(&before, &ids, &sent);

    let server = server.restart().await.unwrap();
    let after = read_back(&server.channel, &ids).await;
    check(&after, &ids, &sent);
    assert_eq!(
        before.log.len(),
        sent.len(),
        "nothing had read a person before the first reading"
    );
    assert!(
        after.log.len() > sent.len(),
        "the first reading's views of persons were recorded"
    );
    assert!(
        without_reads_recorded(after) == without_reads_recorded(before),
        "the reads differ after a restart"
    );
    server.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// The year, in date order.
// ---------------------------------------------------------------------------------------

/// Thanh Hóa (38) → Nga Sơn (401) → xã Nga Thạch (16165) → Thôn 3. The GSO units predate
/// the records and are registered as of the decision that issued the code list; the
/// village has no decision and no GSO code, only one the commune gives it.
async fn register_areas(clerk: &mut Clerk, ids: &Ids) {
    let code_list_date = day(2004, 7, 8);
    let code_list = || decision("124/2004/QĐ-TTg", "Thủ tướng Chính phủ", code_list_date);
    let units = [
        (
            &ids.province,
            "",
            "38",
            "Tỉnh Thanh Hóa",
            pb::AreaLevel::Province,
            "tỉnh",
            code_list(),
        ),
        (
            &ids.district,
            ids.province.as_str(),
            "401",
            "Huyện Nga Sơn",
            pb::AreaLevel::District,
            "huyện",
            code_list(),
        ),
        (
            &ids.commune,
            ids.district.as_str(),
            "16165",
            COMMUNE_NAME,
            pb::AreaLevel::Commune,
            "xã",
            code_list(),
        ),
        (
            &ids.village,
            ids.commune.as_str(),
            "16165-03",
            "Thôn 3",
            pb::AreaLevel::ResidentialArea,
            "thôn",
            None,
        ),
    ];
    for (area_id, parent, code, name, level, division_type, decided_by) in units {
        let h = header(code_list_date, decided_by);
        let answer = clerk
            .areas
            .register_area(pb::RegisterAreaRequest {
                header: Some(h.clone()),
                area_id: area_id.clone(),
                official_code: code.to_string(),
                name: name.to_string(),
                level: level.into(),
                division_type: division_type.to_string(),
                parent_area_id: parent.to_string(),
                formed_from_area_ids: vec![],
            })
            .await;
        clerk.note("register an area", &h, answer);
    }
    let h = header(in_year(1, 2), None);
    let answer = clerk
        .areas
        .record_population(pb::RecordPopulationRequest {
            header: Some(h.clone()),
            area_id: ids.village.clone(),
            households: 312,
            population: 1_186,
            source: "Sổ theo dõi hộ khẩu của Công an xã".to_string(),
        })
        .await;
    clerk.note("record the village's households", &h, answer);
}

async fn register_person(clerk: &mut Clerk, person_id: &str, resident: &Resident, on: pb::Date) {
    let h = header(on, None);
    let answer = clerk
        .forces
        .register_person(pb::RegisterPersonRequest {
            header: Some(h.clone()),
            person_id: person_id.to_string(),
            personal_data: Some(pb::PersonalData {
                full_name: resident.full_name.to_string(),
                date_of_birth: Some(day(resident.born.0, resident.born.1, resident.born.2)),
                citizen_id: resident.citizen_id.to_string(),
                phone: String::new(),
                address: "Thôn 3, xã Nga Thạch, huyện Nga Sơn, tỉnh Thanh Hóa".to_string(),
                ethnicity: "Kinh".to_string(),
                religion: resident.religion.to_string(),
                party_member: resident.party_member,
            }),
        })
        .await;
    clerk.note("register a person", &h, answer);
}

async fn appoint(clerk: &mut Clerk, team_id: &str, person_id: &str, role: pb::MemberRole, h: pb::CommandHeader) {
    let answer = clerk
        .forces
        .appoint_member(pb::AppointMemberRequest {
            header: Some(h.clone()),
            team_id: team_id.to_string(),
            person_id: person_id.to_string(),
            role: role.into(),
            ..Default::default()
        })
        .await;
    clerk.note("appoint a member", &h, answer);
}

/// 5 January: decision 01/QĐ-UBND forms the commune's Ban chỉ đạo ANTT, headed (trưởng
/// ban) by the People's Committee chairman, with the commune police chief as deputy.
async fn form_steering_committee(clerk: &mut Clerk, ids: &Ids) {
    register_person(clerk, &ids.chairman, &CHAIRMAN, in_year(1, 3)).await;
    register_person(clerk, &ids.police_chief, &POLICE_CHIEF, in_year(1, 3)).await;
    let formed_on = in_year(1, 5);
    let formed_by = || decision("01/QĐ-UBND", COMMUNE_CHAIRMAN, formed_on);
    let h = header(formed_on, formed_by());
    let answer = clerk
        .forces
        .establish_team(pb::EstablishTeamRequest {
            header: Some(h.clone()),
            team_id: ids.steering.clone(),
            name: "Ban chỉ đạo ANTT xã Nga Thạch".to_string(),
            force_type: pb::ForceType::SteeringCommittee.into(),
            area_id: ids.commune.clone(),
            sponsor_organisation: String::new(),
            quota: None,
            managing_level: pb::AreaLevel::Commune.into(),
            managing_body: "Đảng ủy xã Nga Thạch".to_string(),
            formed_from_team_ids: vec![],
        })
        .await;
    clerk.note("form the steering committee", &h, answer);
    let team = ids.steering.clone();
    appoint(
        clerk,
        &team,
        &ids.chairman,
        pb::MemberRole::Leader,
        header(formed_on, formed_by()),
    )
    .await;
    appoint(
        clerk,
        &team,
        &ids.police_chief,
        pb::MemberRole::Deputy,
        header(formed_on, formed_by()),
    )
    .await;
}

/// 20 January: Thôn 3 registers to strive for the safe standard of 2017.
async fn register_to_strive(clerk: &mut Clerk, ids: &Ids) {
    let h = header(in_year(1, 20), None);
    let answer = clerk
        .ratings
        .register_to_strive(pb::RegisterToStriveRequest {
            header: Some(h.clone()),
            unit_area_id: ids.village.clone(),
            year: YEAR,
        })
        .await;
    let result = clerk.note("register the village to strive", &h, answer);
    assert_eq!(result.stream_id, ids.rating_stream());
}

/// 1 February: decision 12/QĐ-UBND establishes the village's tổ bảo vệ ANTT with a quota
/// of three and appoints its leader (the village police officer), deputy (the village
/// militia head) and one member.
async fn establish_protection_team(clerk: &mut Clerk, ids: &Ids) {
    // The leader, the village's công an viên, is registered since December.
    for (person_id, resident) in [(&ids.deputy, &TEAM_DEPUTY), (&ids.leaver, &LEAVER)] {
        register_person(clerk, person_id, resident, in_year(1, 25)).await;
    }
    let established_on = in_year(2, 1);
    let established_by = || decision("12/QĐ-UBND", COMMUNE_CHAIRMAN, established_on);
    let h = header(established_on, established_by());
    let answer = clerk
        .forces
        .establish_team(pb::EstablishTeamRequest {
            header: Some(h.clone()),
            team_id: ids.team.clone(),
            name: "Tổ bảo vệ ANTT thôn 3".to_string(),
            force_type: pb::ForceType::SecurityProtectionTeam.into(),
            area_id: ids.village.clone(),
            sponsor_organisation: String::new(),
            quota: Some(3),
            managing_level: pb::AreaLevel::Commune.into(),
            managing_body: PEOPLES_COMMITTEE.to_string(),
            formed_from_team_ids: vec![],
        })
        .await;
    clerk.note("establish the protection team", &h, answer);
    let team = ids.team.clone();
    for (person_id, role) in [
        (&ids.leader, pb::MemberRole::Leader),
        (&ids.deputy, pb::MemberRole::Deputy),
        (&ids.leaver, pb::MemberRole::Member),
    ] {
        appoint(clerk, &team, person_id, role, header(established_on, established_by())).await;
    }
}

/// 15 February: households of Thôn 3 sign their yearly pledges.
async fn record_pledges(clerk: &mut Clerk, ids: &Ids) {
    let h = header(in_year(2, 15), None);
    let answer = clerk
        .ratings
        .record_pledges(pb::RecordPledgesRequest {
            header: Some(h.clone()),
            unit_area_id: ids.village.clone(),
            year: YEAR,
            pledges_signed: 298,
            campaign: "Ký cam kết đầu năm 2017".to_string(),
        })
        .await;
    clerk.note("record the pledges", &h, answer);
}

/// March: two neighbouring households petition over their boundary; the protection team
/// mediates it successfully and the dispute is closed by mediation.
async fn mediate_land_dispute(clerk: &mut Clerk, ids: &Ids) {
    let h = header(in_year(3, 12), None);
    let answer = clerk
        .incidents
        .report_incident(pb::ReportIncidentRequest {
            header: Some(h.clone()),
            incident_id: ids.dispute.clone(),
            category: pb::IncidentCategory::LandDispute.into(),
            area_id: ids.village.clone(),
            source: pb::IncidentSource::PartyPetition.into(),
            summary: "Tranh chấp ranh giới đất ở giữa hai hộ liền kề".to_string(),
            complex: false,
            tip_id: String::new(),
            classification: pb::IncidentClassification::DisputeOrComplaint.into(),
        })
        .await;
    clerk.note("report the land dispute", &h, answer);
    let h = header(in_year(3, 13), None);
    let answer = clerk
        .incidents
        .assign_incident(pb::AssignIncidentRequest {
            header: Some(h.clone()),
            incident_id: ids.dispute.clone(),
            level: pb::HandlingLevel::SecurityProtectionTeam.into(),
            team_id: ids.team.clone(),
            // Handled together with the commune police (phối hợp).
            co_handlers: vec![pb::IncidentCoHandler {
                level: pb::HandlingLevel::CommunePolice.into(),
                team_id: String::new(),
            }],
        })
        .await;
    clerk.note("assign the land dispute to the team", &h, answer);
    let h = header(in_year(3, 20), None);
    let answer = clerk
        .incidents
        .mediate_incident(pb::MediateIncidentRequest {
            header: Some(h.clone()),
            incident_id: ids.dispute.clone(),
            by_force: pb::ForceType::SecurityProtectionTeam.into(),
            by_team_id: ids.team.clone(),
            outcome: pb::MediationOutcome::Succeeded.into(),
            note: "Hai hộ thống nhất cắm lại mốc giới theo bản đồ địa chính".to_string(),
        })
        .await;
    clerk.note("mediate the land dispute", &h, answer);
    let h = header(in_year(3, 20), None);
    let answer = clerk
        .incidents
        .resolve_incident(pb::ResolveIncidentRequest {
            header: Some(h.clone()),
            incident_id: ids.dispute.clone(),
            resolution: Some(pb::resolve_incident_request::Resolution::Mediated(
                pb::ResolutionMediated {},
            )),
            ..Default::default()
        })
        .await;
    clerk.note("resolve the land dispute by mediation", &h, answer);
}

/// May: the member moves out of the village (decision 45/QĐ-UBND lets him go); the
/// village's Front committee nominates a successor, appointed in his place by decision
/// 52/QĐ-UBND in the leaver's role.
async fn replace_relocated_member(clerk: &mut Clerk, ids: &Ids) {
    let left_on = in_year(5, 10);
    let h = header(left_on, decision("45/QĐ-UBND", COMMUNE_CHAIRMAN, left_on));
    let answer = clerk
        .forces
        .member_leaves(pb::MemberLeavesRequest {
            header: Some(h.clone()),
            team_id: ids.team.clone(),
            person_id: ids.leaver.clone(),
            reason: pb::LeaveReason::Relocated.into(),
        })
        .await;
    clerk.note("the member relocates", &h, answer);
    register_person(clerk, &ids.successor, &SUCCESSOR, in_year(5, 15)).await;
    let h = header(in_year(5, 18), None);
    let answer = clerk
        .forces
        .nominate_member(pb::NominateMemberRequest {
            header: Some(h.clone()),
            team_id: ids.team.clone(),
            person_id: ids.successor.clone(),
            nominated_by: "Ban công tác Mặt trận thôn 3".to_string(),
        })
        .await;
    clerk.note("nominate the successor", &h, answer);
    let replaced_on = in_year(6, 1);
    let h = header(replaced_on, decision("52/QĐ-UBND", COMMUNE_CHAIRMAN, replaced_on));
    let answer = clerk
        .forces
        .replace_member(pb::ReplaceMemberRequest {
            header: Some(h.clone()),
            team_id: ids.team.clone(),
            leaver_person_id: ids.leaver.clone(),
            successor_person_id: ids.successor.clone(),
            role: pb::MemberRole::Unspecified.into(),
        })
        .await;
    clerk.note("replace the member", &h, answer);
}

/// June–July: the district's inspection delegation reports on the commune (report
/// 05/BC-ĐKT), one strength and one shortcoming; the commune's plan 30/KH-UBND answers the
/// shortcoming with an action led by the commune police, due by 31 October.
async fn open_inspection_and_plan(clerk: &mut Clerk, ids: &Ids) {
    let reported_on = in_year(6, 15);
    let h = header(
        reported_on,
        decision("05/BC-ĐKT", "Đoàn kiểm tra Ban Chỉ đạo huyện Nga Sơn", reported_on),
    );
    let answer = clerk
        .inspections
        .open_inspection(pb::OpenInspectionRequest {
            header: Some(h.clone()),
            inspection_id: ids.inspection.clone(),
            delegation: "Đoàn kiểm tra Ban Chỉ đạo phong trào toàn dân bảo vệ ANTQ huyện Nga Sơn".to_string(),
            scope: "xây dựng, củng cố lực lượng bảo vệ ANTT ở cơ sở năm 2017".to_string(),
            inspected_area_id: ids.commune.clone(),
        })
        .await;
    clerk.note("open the inspection", &h, answer);
    for (finding_id, kind, text) in [
        (
            &ids.strength,
            pb::FindingKind::Strength,
            "Ban chỉ đạo ANTT xã được kiện toàn kịp thời, phân công nhiệm vụ rõ ràng",
        ),
        (
            &ids.shortcoming,
            pb::FindingKind::Shortcoming,
            "Hồ sơ, sổ sách theo dõi hoạt động của tổ bảo vệ ANTT thôn chưa được cập nhật thường xuyên",
        ),
    ] {
        let h = header(reported_on, None);
        let answer = clerk
            .inspections
            .record_finding(pb::RecordFindingRequest {
                header: Some(h.clone()),
                inspection_id: ids.inspection.clone(),
                finding_id: finding_id.clone(),
                kind: kind.into(),
                text: text.to_string(),
            })
            .await;
        clerk.note("record a finding", &h, answer);
    }
    let planned_on = in_year(7, 1);
    let h = header(planned_on, decision("30/KH-UBND", PEOPLES_COMMITTEE, planned_on));
    let answer = clerk
        .inspections
        .plan_remedial_action(pb::PlanRemedialActionRequest {
            header: Some(h.clone()),
            inspection_id: ids.inspection.clone(),
            action_id: ids.action.clone(),
            finding_id: ids.shortcoming.clone(),
            description: "Lập và cập nhật đầy đủ sổ theo dõi hoạt động của tổ bảo vệ ANTT các thôn".to_string(),
            lead_body: "Công an xã Nga Thạch".to_string(),
            coordinating_bodies: vec![
                "Ủy ban MTTQ Việt Nam xã Nga Thạch".to_string(),
                "Ban Chỉ huy Quân sự xã Nga Thạch".to_string(),
            ],
            deadline: Some(pb::plan_remedial_action_request::Deadline::DueBy(in_year(10, 31))),
            ..Default::default()
        })
        .await;
    clerk.note("plan the remedial action", &h, answer);
}

/// August–September: a motorbike is stolen in the village; the commune police take the
/// report, escalate it to the district police, whose investigators prosecute two
/// defendants (decision 112/QĐ-CSĐT).
async fn prosecute_theft(clerk: &mut Clerk, ids: &Ids) {
    let h = header(in_year(8, 2), None);
    let answer = clerk
        .incidents
        .report_incident(pb::ReportIncidentRequest {
            header: Some(h.clone()),
            incident_id: ids.theft.clone(),
            category: pb::IncidentCategory::Theft.into(),
            area_id: ids.village.clone(),
            source: pb::IncidentSource::PartyPetition.into(),
            summary: "Mất trộm 01 xe mô tô trong đêm tại nhà riêng".to_string(),
            complex: false,
            tip_id: String::new(),
            classification: pb::IncidentClassification::Crime.into(),
        })
        .await;
    clerk.note("report the theft", &h, answer);
    let h = header(in_year(8, 2), None);
    let answer = clerk
        .incidents
        .assign_incident(pb::AssignIncidentRequest {
            header: Some(h.clone()),
            incident_id: ids.theft.clone(),
            level: pb::HandlingLevel::CommunePolice.into(),
            team_id: String::new(),
            co_handlers: Vec::new(),
        })
        .await;
    clerk.note("assign the theft to the commune police", &h, answer);
    let h = header(in_year(8, 4), None);
    let answer = clerk
        .incidents
        .escalate_incident(pb::EscalateIncidentRequest {
            header: Some(h.clone()),
            incident_id: ids.theft.clone(),
            to_level: pb::HandlingLevel::DistrictPolice.into(),
            reason: "Có dấu hiệu tội trộm cắp tài sản, thuộc thẩm quyền điều tra của Công an huyện".to_string(),
        })
        .await;
    clerk.note("escalate the theft", &h, answer);
    let prosecuted_on = in_year(9, 28);
    let h = header(
        prosecuted_on,
        decision("112/QĐ-CSĐT", "Cơ quan CSĐT Công an huyện Nga Sơn", prosecuted_on),
    );
    let answer = clerk
        .incidents
        .resolve_incident(pb::ResolveIncidentRequest {
            header: Some(h.clone()),
            incident_id: ids.theft.clone(),
            resolution: Some(pb::resolve_incident_request::Resolution::Prosecution(
                pb::ResolutionProsecution { defendants: 2 },
            )),
            ..Default::default()
        })
        .await;
    clerk.note("prosecute the theft", &h, answer);
}

/// September–November: progress is reported, the action completed, the inspection closed.
async fn remedy_and_close_inspection(clerk: &mut Clerk, ids: &Ids) {
    let h = header(in_year(9, 15), None);
    let answer = clerk
        .inspections
        .report_remedial_progress(pb::ReportRemedialProgressRequest {
            header: Some(h.clone()),
            inspection_id: ids.inspection.clone(),
            action_id: ids.action.clone(),
            summary: "Đã lập sổ theo dõi tại 7/9 thôn".to_string(),
            ..Default::default()
        })
        .await;
    clerk.note("report progress", &h, answer);
    let h = header(in_year(10, 20), None);
    let answer = clerk
        .inspections
        .complete_remedial_action(pb::CompleteRemedialActionRequest {
            header: Some(h.clone()),
            inspection_id: ids.inspection.clone(),
            action_id: ids.action.clone(),
            summary: "9/9 thôn có sổ theo dõi được cập nhật hằng tháng".to_string(),
        })
        .await;
    clerk.note("complete the action", &h, answer);
    let h = header(in_year(11, 10), None);
    let answer = clerk
        .inspections
        .close_inspection(pb::CloseInspectionRequest {
            header: Some(h.clone()),
            inspection_id: ids.inspection.clone(),
            conclusion: "Xã đã khắc phục xong khuyết điểm đoàn kiểm tra chỉ ra".to_string(),
        })
        .await;
    clerk.note("close the inspection", &h, answer);
}

/// 20 December: decision 198/QĐ-UBND recognises Thôn 3 as safe for 2017.
async fn rate_village(clerk: &mut Clerk, ids: &Ids) {
    let rated_on = in_year(12, 20);
    let h = header(rated_on, decision("198/QĐ-UBND", COMMUNE_CHAIRMAN, rated_on));
    let answer = clerk
        .ratings
        .rate_unit(pb::RateUnitRequest {
            header: Some(h.clone()),
            rating_id: ids.rating.clone(),
            unit_area_id: ids.village.clone(),
            year: YEAR,
            outcome: pb::SafetyOutcome::Safe.into(),
            criteria: "23/2012/TT-BCA".to_string(),
        })
        .await;
    clerk.note("rate the village", &h, answer);
}

fn body(kind: pb::BodyKind, name: &str, area_id: &str) -> Option<pb::BodyRef> {
    Some(pb::BodyRef {
        kind: kind.into(),
        name: name.to_string(),
        area_id: area_id.to_string(),
    })
}

/// 1 January: Mai Xuân Lộc, later the protection team's leader, is Thôn 3's công an viên
/// for the year, recognised by decision 105/QĐ-UBND of 28 December 2016 (the day he is
/// registered).
async fn recognise_village_police_officer(clerk: &mut Clerk, ids: &Ids) {
    let recognised_on = day(YEAR - 1, 12, 28);
    register_person(clerk, &ids.leader, &TEAM_LEADER, recognised_on).await;
    let h = header(in_year(1, 1), decision("105/QĐ-UBND", COMMUNE_CHAIRMAN, recognised_on));
    let answer = clerk
        .records
        .take_office(pb::TakeOfficeRequest {
            header: Some(h.clone()),
            tenure_id: ids.tenure.clone(),
            person_id: ids.leader.clone(),
            area_id: ids.village.clone(),
            kind: pb::OfficeKind::VillagePoliceOfficer.into(),
            organisation: String::new(),
            office_name: String::new(),
        })
        .await;
    let result = clerk.note("the công an viên takes office", &h, answer);
    assert_eq!(result.stream_id, format!("office-{}", ids.tenure));
}

/// January: the commune Party committee's resolution 01-NQ/ĐU on security and order in
/// 2017 (6 January), and the People's Committee's plan 05/KH-UBND carrying it out (10
/// January).
async fn issue_directives(clerk: &mut Clerk, ids: &Ids) {
    let years = Some(pb::YearRange {
        first_year: YEAR,
        last_year: YEAR,
    });
    for (document_id, on, kind, number, subject, issued_by) in [
        (
            &ids.resolution,
            in_year(1, 6),
            pb::DocumentKind::Resolution,
            "01-NQ/ĐU",
            "Nghị quyết về lãnh đạo công tác bảo đảm an ninh, trật tự năm 2017",
            body(pb::BodyKind::PartyCommittee, "Đảng ủy xã Nga Thạch", &ids.commune),
        ),
        (
            &ids.plan,
            in_year(1, 10),
            pb::DocumentKind::Plan,
            "05/KH-UBND",
            "Kế hoạch thực hiện Nghị quyết 01-NQ/ĐU về bảo đảm an ninh, trật tự năm 2017",
            body(pb::BodyKind::PeoplesCommittee, PEOPLES_COMMITTEE, &ids.commune),
        ),
    ] {
        let h = header(on, None);
        let answer = clerk
            .records
            .record_document(pb::RecordDocumentRequest {
                header: Some(h.clone()),
                document_id: document_id.clone(),
                kind: kind.into(),
                kind_name: String::new(),
                number: number.to_string(),
                subject: subject.to_string(),
                issued_by,
                topic: pb::DocumentTopic::SecurityAndOrder.into(),
                years,
            })
            .await;
        clerk.note("issue a directive document", &h, answer);
    }
}

/// 1 March: decision 15/QĐ-UBND establishes Thôn 3's tổ an ninh xã hội, 27 households
/// joining it.
async fn establish_social_security_group(clerk: &mut Clerk, ids: &Ids) {
    let established_on = in_year(3, 1);
    let h = header(established_on, decision("15/QĐ-UBND", COMMUNE_CHAIRMAN, established_on));
    let answer = clerk
        .forces
        .establish_team(pb::EstablishTeamRequest {
            header: Some(h.clone()),
            team_id: ids.group.clone(),
            name: "Tổ an ninh xã hội thôn 3".to_string(),
            force_type: pb::ForceType::SocialSecurityGroup.into(),
            area_id: ids.village.clone(),
            sponsor_organisation: String::new(),
            quota: None,
            managing_level: pb::AreaLevel::Commune.into(),
            managing_body: PEOPLES_COMMITTEE.to_string(),
            formed_from_team_ids: vec![],
        })
        .await;
    clerk.note("establish the social security group", &h, answer);
    let h = header(established_on, None);
    let answer = clerk
        .forces
        .record_group_households(pb::RecordGroupHouseholdsRequest {
            header: Some(h.clone()),
            team_id: ids.group.clone(),
            households: 27,
            source: "Biên bản thành lập tổ an ninh xã hội thôn 3".to_string(),
        })
        .await;
    clerk.note("count the group's households", &h, answer);
}

/// 10–11 April: the commune police train the protection team (36 participants); its
/// leader and deputy are known to have attended.
async fn train_protection_team(clerk: &mut Clerk, ids: &Ids) {
    let first_day = in_year(4, 10);
    let h = header(first_day, None);
    let answer = clerk
        .records
        .record_conference(pb::RecordConferenceRequest {
            header: Some(h.clone()),
            conference_id: ids.class.clone(),
            kind: pb::ConferenceKind::TrainingClass.into(),
            topic: "Tập huấn nghiệp vụ cho thành viên tổ bảo vệ ANTT các thôn".to_string(),
            organiser: body(pb::BodyKind::Police, "Công an xã Nga Thạch", &ids.commune),
            last_day: Some(in_year(4, 11)),
            participants: Some(36),
        })
        .await;
    clerk.note("hold the training class", &h, answer);
    let h = header(first_day, None);
    let answer = clerk
        .records
        .record_conference_attendees(pb::RecordConferenceAttendeesRequest {
            header: Some(h.clone()),
            conference_id: ids.class.clone(),
            person_ids: vec![ids.leader.clone(), ids.deputy.clone()],
        })
        .await;
    clerk.note("record the known attendees", &h, answer);
}

/// 15 November: the group has grown to 31 households.
async fn recount_group_households(clerk: &mut Clerk, ids: &Ids) {
    let h = header(in_year(11, 15), None);
    let answer = clerk
        .forces
        .record_group_households(pb::RecordGroupHouseholdsRequest {
            header: Some(h.clone()),
            team_id: ids.group.clone(),
            households: 31,
            source: "Báo cáo số 41/BC-CAX".to_string(),
        })
        .await;
    clerk.note("recount the group's households", &h, answer);
}

/// 15 December: the commune's year-end report 62/BC-UBND states 31 of the village's 312
/// households (9.9 %) in social security groups in 2017.
async fn report_group_households(clerk: &mut Clerk, ids: &Ids) {
    let reported_on = in_year(12, 15);
    let h = header(reported_on, decision("62/BC-UBND", PEOPLES_COMMITTEE, reported_on));
    let answer = clerk
        .records
        .report_figure(pb::ReportFigureRequest {
            header: Some(h.clone()),
            figure_id: ids.figure.clone(),
            unit_area_id: ids.village.clone(),
            indicator: pb::FigureIndicator::HouseholdsInSocialSecurityGroups.into(),
            indicator_name: String::new(),
            force_type: pb::ForceType::SocialSecurityGroup.into(),
            handling_level: pb::HandlingLevel::Unspecified.into(),
            unit_level: pb::AreaLevel::Unspecified.into(),
            period: Some(pb::report_figure_request::Period::Year(YEAR)),
            value: Some(pb::FigureValue {
                count: 31,
                precision: pb::FigurePrecision::Exact.into(),
                out_of: Some(312),
                share_permille: Some(99),
            }),
        })
        .await;
    clerk.note("report the households in groups", &h, answer);
}

/// 28 December: the district People's Committee commends the protection team with a
/// Giấy khen (decision 2150/QĐ-UBND).
async fn commend_protection_team(clerk: &mut Clerk, ids: &Ids) {
    let granted_on = in_year(12, 28);
    let h = header(
        granted_on,
        decision("2150/QĐ-UBND", "Chủ tịch UBND huyện Nga Sơn", granted_on),
    );
    let answer = clerk
        .records
        .grant_award(pb::GrantAwardRequest {
            header: Some(h.clone()),
            award_id: ids.award.clone(),
            kind: pb::AwardKind::CertificateOfCommendation.into(),
            award_name: String::new(),
            recipient: Some(pb::grant_award_request::Recipient::TeamId(ids.team.clone())),
            granted_by: body(pb::BodyKind::PeoplesCommittee, "UBND huyện Nga Sơn", &ids.district),
            achievement: "Có thành tích xuất sắc trong phong trào toàn dân bảo vệ ANTQ năm 2017".to_string(),
        })
        .await;
    clerk.note("commend the protection team", &h, answer);
}

/// 31 December: the công an viên's term ends (decision 201/QĐ-UBND); he stays the team's
/// leader.
async fn village_police_officer_leaves(clerk: &mut Clerk, ids: &Ids) {
    let left_on = in_year(12, 31);
    let h = header(left_on, decision("201/QĐ-UBND", COMMUNE_CHAIRMAN, left_on));
    let answer = clerk
        .records
        .leave_office(pb::LeaveOfficeRequest {
            header: Some(h.clone()),
            tenure_id: ids.tenure.clone(),
            reason: pb::LeaveReason::TermEnded.into(),
            details: "hết nhiệm kỳ công an viên".to_string(),
        })
        .await;
    clerk.note("the công an viên leaves office", &h, answer);
}

// ---------------------------------------------------------------------------------------
// Reading back.
// ---------------------------------------------------------------------------------------

/// Everything read back from one server, compared whole across the restart.
#[derive(Debug, PartialEq)]
struct Readings {
    streams: BTreeMap<String, Vec<pb::RecordedEvent>>,
    stream_ids_listed: Vec<String>,
    log: Vec<pb::RecordedEvent>,
    head: pb::LogHead,
    steering: pb::TeamView,
    team: pb::TeamView,
    dispute: pb::IncidentView,
    theft: pb::IncidentView,
    rating: pb::RatingView,
    inspection: pb::InspectionView,
    village: pb::AreaView,
    resolution: pb::DocumentView,
    plan: pb::DocumentView,
    /// The tenure mid-year, while held, and on the day it ended.
    office_held: pb::OfficeView,
    office_left: pb::OfficeView,
    /// The social security group as of 30 June (first count) and 31 December.
    group_in_june: pb::TeamView,
    group: pb::TeamView,
    class: pb::ConferenceView,
    figure: pb::FigureView,
    award: pb::AwardView,
}

async fn read_back(channel: &Channel, ids: &Ids) -> Readings {
    let mut store = EventStoreClient::new(channel.clone());
    let mut streams = BTreeMap::new();
    for (stream_id, _) in ids.expected_streams() {
        let events = read_stream(&mut store, &stream_id).await;
        streams.insert(stream_id, events);
    }
    let listed = store
        .list_streams(pb::ListStreamsRequest {
            prefix: String::new(),
            after: String::new(),
            page_size: 1000,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.next_after.is_empty(), "one page holds every stream");
    let mut log = Vec::new();
    let mut all = store
        .read_all(pb::ReadAllRequest {
            from_position: 0,
            filter: None,
            max_count: 0,
        })
        .await
        .unwrap()
        .into_inner();
    while let Some(event) = all.message().await.unwrap() {
        log.push(event);
    }
    let head = store.get_head(pb::GetHeadRequest {}).await.unwrap().into_inner();

    let mut forces = ForcesClient::new(channel.clone());
    let steering = get_team(&mut forces, &ids.steering).await;
    let team = get_team(&mut forces, &ids.team).await;
    let mut incidents = IncidentsClient::new(channel.clone());
    let dispute = incidents
        .get_incident(pb::GetIncidentRequest {
            incident_id: ids.dispute.clone(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner();
    let theft = incidents
        .get_incident(pb::GetIncidentRequest {
            incident_id: ids.theft.clone(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner();
    let rating = RatingsClient::new(channel.clone())
        .get_rating(pb::GetRatingRequest {
            unit_area_id: ids.village.clone(),
            year: YEAR,
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner();
    let inspection = InspectionsClient::new(channel.clone())
        .get_inspection(pb::GetInspectionRequest {
            inspection_id: ids.inspection.clone(),
            as_of: Some(in_year(12, 31)),
        })
        .await
        .unwrap()
        .into_inner();
    let village = AreasClient::new(channel.clone())
        .get_area(pb::GetAreaRequest {
            area_id: ids.village.clone(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner();
    let records = read_records(channel, ids).await;
    let group_in_june = get_team_as_of(&mut forces, &ids.group, in_year(6, 30)).await;
    let group = get_team_as_of(&mut forces, &ids.group, in_year(12, 31)).await;
    let not_yet = forces
        .get_team(pb::GetTeamRequest {
            team_id: ids.group.clone(),
            as_of: Some(in_year(2, 28)),
        })
        .await
        .expect_err("the group is established on 1 March");
    assert_eq!(not_yet.code(), tonic::Code::NotFound, "{not_yet:?}");
    Readings {
        streams,
        stream_ids_listed: listed.streams.into_iter().map(|info| info.stream_id).collect(),
        log,
        head,
        steering,
        team,
        dispute,
        theft,
        rating,
        inspection,
        village,
        resolution: records.resolution,
        plan: records.plan,
        office_held: records.office_held,
        office_left: records.office_left,
        group_in_june,
        group,
        class: records.class,
        figure: records.figure,
        award: records.award,
    }
}

/// The views of the Records service, each as of a fixed day of the year.
struct RecordViews {
    resolution: pb::DocumentView,
    plan: pb::DocumentView,
    office_held: pb::OfficeView,
    office_left: pb::OfficeView,
    class: pb::ConferenceView,
    figure: pb::FigureView,
    award: pb::AwardView,
}

async fn read_records(channel: &Channel, ids: &Ids) -> RecordViews {
    let mut records = RecordsClient::new(channel.clone());
    let year_end = in_year(12, 31);
    let document = |document_id: &str, as_of: pb::Date| pb::GetDocumentRequest {
        document_id: document_id.to_string(),
        as_of: Some(as_of),
    };
    let not_yet = records
        .get_document(document(&ids.resolution, in_year(1, 5)))
        .await
        .expect_err("the resolution is dated 6 January");
    assert_eq!(not_yet.code(), tonic::Code::NotFound, "{not_yet:?}");
    let resolution = records
        .get_document(document(&ids.resolution, year_end))
        .await
        .unwrap()
        .into_inner();
    let plan = records
        .get_document(document(&ids.plan, year_end))
        .await
        .unwrap()
        .into_inner();
    let office = |as_of: pb::Date| pb::GetOfficeRequest {
        tenure_id: ids.tenure.clone(),
        as_of: Some(as_of),
    };
    let not_yet = records
        .get_office(office(day(YEAR - 1, 12, 31)))
        .await
        .expect_err("the tenure starts on 1 January");
    assert_eq!(not_yet.code(), tonic::Code::NotFound, "{not_yet:?}");
    let office_held = records.get_office(office(in_year(6, 1))).await.unwrap().into_inner();
    let office_left = records.get_office(office(year_end)).await.unwrap().into_inner();
    let class = records
        .get_conference(pb::GetConferenceRequest {
            conference_id: ids.class.clone(),
            as_of: Some(year_end),
        })
        .await
        .unwrap()
        .into_inner();
    let figure = records
        .get_figure(pb::GetFigureRequest {
            figure_id: ids.figure.clone(),
            as_of: Some(year_end),
        })
        .await
        .unwrap()
        .into_inner();
    let award = records
        .get_award(pb::GetAwardRequest {
            award_id: ids.award.clone(),
            as_of: Some(year_end),
        })
        .await
        .unwrap()
        .into_inner();
    RecordViews {
        resolution,
        plan,
        office_held,
        office_left,
        class,
        figure,
        award,
    }
}

async fn get_team(forces: &mut ForcesClient<Channel>, team_id: &str) -> pb::TeamView {
    forces
        .get_team(pb::GetTeamRequest {
            team_id: team_id.to_string(),
            as_of: None,
        })
        .await
        .unwrap_or_else(|status| panic!("GetTeam {team_id}: {status:?}"))
        .into_inner()
}

async fn get_team_as_of(forces: &mut ForcesClient<Channel>, team_id: &str, as_of: pb::Date) -> pb::TeamView {
    forces
        .get_team(pb::GetTeamRequest {
            team_id: team_id.to_string(),
            as_of: Some(as_of),
        })
        .await
        .unwrap_or_else(|status| panic!("GetTeam {team_id} as of {as_of:?}: {status:?}"))
        .into_inner()
}

async fn read_stream(store: &mut EventStoreClient<Channel>, stream_id: &str) -> Vec<pb::RecordedEvent> {
    let mut reply = store
        .read_stream(pb::ReadStreamRequest {
            stream_id: stream_id.to_string(),
            ..pb::ReadStreamRequest::default()
        })
        .await
        .unwrap_or_else(|status| panic!("ReadStream {stream_id}: {status:?}"))
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = reply.message().await.unwrap() {
        events.push(event);
    }
    events
}

// ---------------------------------------------------------------------------------------
// Checks.
// ---------------------------------------------------------------------------------------

fn check(readings: &Readings, ids: &Ids, sent: &[Sent]) {
    check_streams(readings, ids, sent);
    check_payloads(readings, ids);
    check_log(readings, sent);
    check_team_views(readings, ids);
    check_other_views(readings, ids);
    check_record_payloads(readings, ids);
    check_record_views(readings, ids);
}

/// Each stream: the expected event types in order, versions dense from 0, and each event
/// carries the date, decision and request id its command sent.
fn check_streams(readings: &Readings, ids: &Ids, sent: &[Sent]) {
    let expected = ids.expected_streams();
    let expected_ids: BTreeSet<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
    let touched: BTreeSet<&str> = sent.iter().map(|s| s.stream_id.as_str()).collect();
    assert_eq!(
        touched, expected_ids,
        "the streams the commands wrote are the streams checked"
    );
    let listed: BTreeSet<&str> = readings.stream_ids_listed.iter().map(String::as_str).collect();
    // Once views naming persons have been read, the server's record of those reads is a
    // stream of its own (see `check_reads_recorded`).
    let mut written = expected_ids.clone();
    if readings.log.len() > sent.len() {
        written.insert(PERSONAL_DATA_READS_STREAM);
    }
    assert_eq!(listed, written, "ListStreams names exactly the streams written");
    assert_eq!(
        listed.len(),
        readings.stream_ids_listed.len(),
        "ListStreams names each stream once"
    );

    for (stream_id, types) in &expected {
        let events = &readings.streams[stream_id];
        let read_types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(&read_types, types, "event types of {stream_id}");
        let commands: Vec<&Sent> = sent.iter().filter(|s| &s.stream_id == stream_id).collect();
        assert_eq!(commands.len(), events.len(), "one event per command on {stream_id}");
        for (version, (event, command)) in events.iter().zip(commands).enumerate() {
            let at = format!("{stream_id} v{version} ({})", command.what);
            assert_eq!(event.stream_id, *stream_id, "{at}");
            assert_eq!(event.stream_version, version as u64, "{at}: versions are dense from 0");
            assert_eq!(
                event.position, command.position,
                "{at}: the position the command reported"
            );
            assert_eq!(
                event.effective_at,
                Some(midnight_utc(&command.effective)),
                "{at}: effective at 00:00 UTC of {:?}",
                command.effective
            );
            assert_eq!(event.correlation_id, command.request_id, "{at}: correlation id");
            assert_eq!(
                event.metadata.get("request_id"),
                Some(&command.request_id),
                "{at}: request id"
            );
            assert_eq!(
                event.metadata.get("decision"),
                command.decision.as_ref(),
                "{at}: decision metadata"
            );
            assert_eq!(event.content_type, CONTENT_TYPE_PROTOBUF, "{at}");
            assert!(event.recorded_at.is_some(), "{at}: recorded_at");
        }
    }
}

fn decode<M: Message + Default>(readings: &Readings, stream_id: &str, version: usize) -> M {
    let event = &readings.streams[stream_id][version];
    M::decode(event.payload.as_slice())
        .unwrap_or_else(|error| panic!("{stream_id} v{version} ({}): {error}", event.event_type))
}

/// Key facts survive into the payloads.
fn check_payloads(readings: &Readings, ids: &Ids) {
    let village = format!("area-{}", ids.village);
    let registered: pb::AreaRegistered = decode(readings, &village, 0);
    assert_eq!(registered.parent_area_id, ids.commune);
    assert_eq!(registered.level(), pb::AreaLevel::ResidentialArea);
    assert_eq!(registered.decision, None, "the village predates the records");
    let population: pb::AreaPopulationRecorded = decode(readings, &village, 1);
    assert_eq!((population.households, population.population), (312, 1_186));

    let steering = format!("team-{}", ids.steering);
    let formed: pb::TeamEstablished = decode(readings, &steering, 0);
    assert_eq!(formed.force_type(), pb::ForceType::SteeringCommittee);
    assert_eq!(formed.area_id, ids.commune);
    assert_eq!(formed.decision.as_ref().map(|d| d.number.as_str()), Some("01/QĐ-UBND"));
    let head: pb::MemberAppointed = decode(readings, &steering, 1);
    assert_eq!(
        (head.person_id.as_str(), head.role()),
        (ids.chairman.as_str(), pb::MemberRole::Leader)
    );

    let team = format!("team-{}", ids.team);
    let established: pb::TeamEstablished = decode(readings, &team, 0);
    assert_eq!(established.quota, Some(3), "a team of three");
    assert_eq!(established.force_type(), pb::ForceType::SecurityProtectionTeam);
    assert_eq!(established.area_id, ids.village);
    assert_eq!(established.effective_date, Some(in_year(2, 1)));
    let left: pb::MemberLeft = decode(readings, &team, 4);
    assert_eq!(
        (left.person_id.as_str(), left.reason()),
        (ids.leaver.as_str(), pb::LeaveReason::Relocated)
    );
    let nominated: pb::MemberNominated = decode(readings, &team, 5);
    assert_eq!(nominated.person_id, ids.successor);
    let replaced: pb::MemberReplaced = decode(readings, &team, 6);
    assert_eq!(replaced.leaver_person_id, ids.leaver);
    assert_eq!(replaced.successor_person_id, ids.successor);
    assert_eq!(replaced.role(), pb::MemberRole::Member, "the leaver's role");
    assert_eq!(
        replaced.decision.as_ref().map(|d| d.number.as_str()),
        Some("52/QĐ-UBND")
    );

    let dispute = format!("incident-{}", ids.dispute);
    let mediation: pb::IncidentMediationAttempted = decode(readings, &dispute, 2);
    assert_eq!(mediation.outcome(), pb::MediationOutcome::Succeeded);
    assert_eq!(mediation.by_team_id, ids.team);
    let mediated: pb::IncidentResolved = decode(readings, &dispute, 3);
    assert_eq!(
        mediated.resolution,
        Some(pb::incident_resolved::Resolution::Mediated(pb::ResolutionMediated {}))
    );
    assert_eq!(mediated.resolved_at_level(), pb::HandlingLevel::SecurityProtectionTeam);

    let theft = format!("incident-{}", ids.theft);
    let escalated: pb::IncidentEscalated = decode(readings, &theft, 2);
    assert_eq!(
        (escalated.from_level(), escalated.to_level()),
        (pb::HandlingLevel::CommunePolice, pb::HandlingLevel::DistrictPolice)
    );
    let prosecuted: pb::IncidentResolved = decode(readings, &theft, 3);
    assert_eq!(
        prosecuted.resolution,
        Some(pb::incident_resolved::Resolution::Prosecution(
            pb::ResolutionProsecution { defendants: 2 }
        ))
    );
    assert_eq!(prosecuted.resolved_at_level(), pb::HandlingLevel::DistrictPolice);
    assert_eq!(
        prosecuted.decision.as_ref().map(|d| d.number.as_str()),
        Some("112/QĐ-CSĐT")
    );

    let rating = ids.rating_stream();
    let rated: pb::UnitRated = decode(readings, &rating, 2);
    assert_eq!(rated.rating_id, ids.rating);
    assert_eq!((rated.year, rated.outcome()), (YEAR, pb::SafetyOutcome::Safe));
    assert_eq!(rated.unit_level(), pb::AreaLevel::ResidentialArea);

    let inspection = format!("inspection-{}", ids.inspection);
    let opened: pb::InspectionOpened = decode(readings, &inspection, 0);
    assert_eq!(opened.inspected_area_id, ids.commune);
    assert_eq!(opened.report.as_ref().map(|d| d.number.as_str()), Some("05/BC-ĐKT"));
    let shortcoming: pb::InspectionFindingRecorded = decode(readings, &inspection, 2);
    assert_eq!(shortcoming.kind(), pb::FindingKind::Shortcoming);
    let planned: pb::RemedialActionPlanned = decode(readings, &inspection, 3);
    assert_eq!(planned.finding_id, ids.shortcoming);
    assert_eq!(planned.lead_body, "Công an xã Nga Thạch");
    assert_eq!(planned.coordinating_bodies.len(), 2);
    assert_eq!(
        planned.deadline,
        Some(pb::remedial_action_planned::Deadline::DueBy(in_year(10, 31)))
    );
    assert_eq!(planned.plan.as_ref().map(|d| d.number.as_str()), Some("30/KH-UBND"));
    let completed: pb::RemedialActionCompleted = decode(readings, &inspection, 5);
    assert_eq!(completed.action_id, ids.action);
    assert_eq!(completed.effective_date, Some(in_year(10, 20)));
}

/// The whole log: every event once, at the position its command reported, equal to what
/// its stream returned; no name in clear text; the hash chain recomputes from position 0
/// up to the head.
fn check_log(readings: &Readings, sent: &[Sent]) {
    let log = &readings.log;
    assert!(log.len() >= sent.len(), "the log holds the year's events");
    let mut event_ids = BTreeSet::new();
    for (position, event) in log.iter().enumerate().take(sent.len()) {
        assert_eq!(event.position, position as u64, "positions are dense from 0");
        assert!(
            event_ids.insert(event.event_id.clone()),
            "event {} twice",
            event.event_id
        );
        assert_eq!(event.stream_id, sent[position].stream_id, "position {position}");
        let from_stream = &readings.streams[&event.stream_id][event.stream_version as usize];
        assert_eq!(
            event, from_stream,
            "ReadAll and ReadStream agree at position {position}"
        );
        for resident in RESIDENTS {
            let name = resident.full_name.as_bytes();
            assert!(
                !event.payload.windows(name.len()).any(|window| window == name),
                "a name in clear text at position {position}"
            );
        }
    }
    check_reads_recorded(&log[sent.len()..]);
    let mut previous = GENESIS_HASH;
    for event in log {
        let canonical = antt_log::codec::canonical_bytes(&to_log_event(event));
        let recomputed = antt_log::codec::chain_hash(&previous, &canonical);
        assert_eq!(
            recomputed.as_slice(),
            event.hash.as_slice(),
            "the hash at position {} does not follow from the previous one",
            event.position
        );
        previous = recomputed;
    }
    assert_eq!(readings.head.next_position, log.len() as u64);
    assert_eq!(
        readings.head.last_hash,
        previous.to_vec(),
        "the head is the end of the chain"
    );
}

/// What follows the year's events is the server's own record of who was shown whose
/// personal data: every view naming persons is recorded before it is answered.
fn check_reads_recorded(after_the_year: &[pb::RecordedEvent]) {
    for event in after_the_year {
        assert_eq!(
            event.stream_id, PERSONAL_DATA_READS_STREAM,
            "only reads are recorded after the year"
        );
        assert_eq!(event.event_type, PERSONAL_DATA_READ_EVENT);
        let read = pb::PersonalDataRead::decode(event.payload.as_slice()).unwrap();
        assert_eq!(
            read.reader, "development",
            "the reader is the principal of a server without tokens"
        );
        assert!(!read.rpc.is_empty() && !read.person_ids.is_empty(), "{read:?}");
    }
}

/// A reading with the server's records of personal-data reads left out: they grow with
/// every reading, and everything else must not change across a restart.
fn without_reads_recorded(mut readings: Readings) -> Readings {
    readings
        .log
        .retain(|event| event.stream_id != PERSONAL_DATA_READS_STREAM);
    readings.stream_ids_listed.retain(|id| id != PERSONAL_DATA_READS_STREAM);
    readings.head = pb::LogHead::default();
    readings
}

fn member<'a>(team: &'a pb::TeamView, person_id: &str) -> &'a pb::TeamMemberView {
    team.members
        .iter()
        .find(|m| m.person_id == person_id)
        .unwrap_or_else(|| panic!("{person_id} is not on the roster of {}", team.name))
}

fn check_team_views(readings: &Readings, ids: &Ids) {
    let steering = &readings.steering;
    assert_eq!(steering.status(), pb::TeamStatus::Active);
    assert_eq!(steering.force_type(), pb::ForceType::SteeringCommittee);
    assert_eq!(steering.active_member_count, 2);
    let chairman = member(steering, &ids.chairman);
    assert_eq!(
        (chairman.status(), chairman.role()),
        (pb::MemberStatus::Active, pb::MemberRole::Leader)
    );
    assert_eq!(chairman.display_name, CHAIRMAN.full_name);
    let police_chief = member(steering, &ids.police_chief);
    assert_eq!(
        (police_chief.status(), police_chief.role()),
        (pb::MemberStatus::Active, pb::MemberRole::Deputy)
    );

    let team = &readings.team;
    assert_eq!(team.status(), pb::TeamStatus::Active);
    assert_eq!(team.quota, Some(3));
    assert_eq!(team.established_on, Some(in_year(2, 1)));
    assert_eq!(team.active_member_count, 3, "the team is full again");
    assert_eq!(team.members.len(), 4, "three founders and the successor");
    assert_eq!(team.stream_version, 6);
    for (person_id, resident, role) in [
        (&ids.leader, &TEAM_LEADER, pb::MemberRole::Leader),
        (&ids.deputy, &TEAM_DEPUTY, pb::MemberRole::Deputy),
    ] {
        let view = member(team, person_id);
        assert_eq!((view.status(), view.role()), (pb::MemberStatus::Active, role));
        assert_eq!(view.display_name, resident.full_name);
        assert_eq!(view.status_since, Some(in_year(2, 1)));
    }
    let leaver = member(team, &ids.leaver);
    assert_eq!(leaver.status(), pb::MemberStatus::Left);
    assert_eq!(leaver.leave_reason(), pb::LeaveReason::Relocated);
    assert_eq!(leaver.status_since, Some(in_year(5, 10)));
    assert_eq!(leaver.replaced_by_person_id, ids.successor);
    assert_eq!(leaver.terms.len(), 1);
    assert_eq!(leaver.terms[0].until, Some(in_year(5, 10)));
    assert_eq!(leaver.terms[0].ended_by(), pb::TermEnd::Left);
    let successor = member(team, &ids.successor);
    assert_eq!(
        (successor.status(), successor.role()),
        (pb::MemberStatus::Active, pb::MemberRole::Member)
    );
    assert_eq!(successor.display_name, SUCCESSOR.full_name);
    assert_eq!(successor.replaces_person_id, ids.leaver);
    assert_eq!(successor.nominated_by, "Ban công tác Mặt trận thôn 3");
    assert_eq!(successor.terms.len(), 1);
    let term = &successor.terms[0];
    assert_eq!(term.started_by(), pb::TermStart::Replacement);
    assert_eq!(term.from, Some(in_year(6, 1)));
    assert_eq!(term.ended_by(), pb::TermEnd::Ongoing);
    assert_eq!(term.decision.as_ref().map(|d| d.number.as_str()), Some("52/QĐ-UBND"));
}

fn check_other_views(readings: &Readings, ids: &Ids) {
    let dispute = &readings.dispute;
    assert!(!dispute.open);
    assert_eq!(dispute.resolved_on, Some(in_year(3, 20)));
    assert_eq!(dispute.level(), pb::HandlingLevel::SecurityProtectionTeam);
    assert_eq!((dispute.mediations_count, dispute.successful_mediations_count), (1, 1));
    assert_eq!(dispute.version, 3);
    let theft = &readings.theft;
    assert!(!theft.open);
    assert_eq!(theft.resolved_on, Some(in_year(9, 28)));
    assert_eq!(theft.level(), pb::HandlingLevel::DistrictPolice);
    assert_eq!(theft.category(), pb::IncidentCategory::Theft);
    assert_eq!(theft.version, 3);

    let rating = &readings.rating;
    assert_eq!(rating.outcome(), pb::SafetyOutcome::Safe);
    assert_eq!(rating.strive_registered_on, Some(in_year(1, 20)));
    assert_eq!(rating.pledges_signed_total, 298);
    assert_eq!(rating.ratings.len(), 1);
    assert_eq!(rating.ratings[0].rating_id, ids.rating);
    assert_eq!(rating.ratings[0].effective_date, Some(in_year(12, 20)));

    let inspection = &readings.inspection;
    assert_eq!(inspection.opened_on, Some(in_year(6, 15)));
    assert_eq!(inspection.closed_on, Some(in_year(11, 10)));
    assert_eq!(inspection.findings.len(), 2);
    assert!(inspection.overdue_action_ids.is_empty());
    assert_eq!(inspection.actions.len(), 1);
    let action = &inspection.actions[0];
    assert_eq!(action.action_id, ids.action);
    assert_eq!(action.status(), pb::RemedialActionStatus::Completed);
    assert_eq!(action.finished_on, Some(in_year(10, 20)));
    assert_eq!(action.progress_reported_on, vec![in_year(9, 15)]);
    assert!(!action.overdue);

    let village = &readings.village;
    assert_eq!(village.status(), pb::AreaStatus::Active);
    assert_eq!(village.parent_area_id, ids.commune);
    assert_eq!(village.official_code, "16165-03");
    assert_eq!(village.population.len(), 1);
    assert_eq!(village.population[0].households, 312);
}

/// Key facts of the records, the group's counts included, survive into the payloads.
fn check_record_payloads(readings: &Readings, ids: &Ids) {
    let resolution: pb::DocumentIssued = decode(readings, &format!("document-{}", ids.resolution), 0);
    assert_eq!(resolution.document_id, ids.resolution);
    assert_eq!(
        (resolution.kind(), resolution.number.as_str(), resolution.topic()),
        (
            pb::DocumentKind::Resolution,
            "01-NQ/ĐU",
            pb::DocumentTopic::SecurityAndOrder
        )
    );
    let party_committee = resolution.issued_by.as_ref().expect("an issuer");
    assert_eq!(
        (
            party_committee.kind(),
            party_committee.area_id.as_str(),
            party_committee.area_level()
        ),
        (
            pb::BodyKind::PartyCommittee,
            ids.commune.as_str(),
            pb::AreaLevel::Commune
        )
    );
    assert_eq!(
        resolution.years,
        Some(pb::YearRange {
            first_year: YEAR,
            last_year: YEAR
        })
    );
    assert_eq!(resolution.effective_date, Some(in_year(1, 6)));
    let plan: pb::DocumentIssued = decode(readings, &format!("document-{}", ids.plan), 0);
    assert_eq!(
        (plan.kind(), plan.number.as_str()),
        (pb::DocumentKind::Plan, "05/KH-UBND")
    );
    assert_eq!(
        plan.issued_by.as_ref().map(|body| (body.kind(), body.name.as_str())),
        Some((pb::BodyKind::PeoplesCommittee, PEOPLES_COMMITTEE))
    );

    let office = format!("office-{}", ids.tenure);
    let taken: pb::OfficeTaken = decode(readings, &office, 0);
    assert_eq!(
        (taken.person_id.as_str(), taken.area_id.as_str(), taken.kind()),
        (
            ids.leader.as_str(),
            ids.village.as_str(),
            pb::OfficeKind::VillagePoliceOfficer
        )
    );
    assert_eq!(taken.area_level(), pb::AreaLevel::ResidentialArea);
    assert_eq!(
        taken.decision,
        decision("105/QĐ-UBND", COMMUNE_CHAIRMAN, day(YEAR - 1, 12, 28)),
        "recognised in December, from 1 January"
    );
    assert_eq!(taken.effective_date, Some(in_year(1, 1)));
    let left: pb::OfficeLeft = decode(readings, &office, 1);
    assert_eq!(left.reason(), pb::LeaveReason::TermEnded);
    assert_eq!(left.decision.as_ref().map(|d| d.number.as_str()), Some("201/QĐ-UBND"));
    assert_eq!(left.effective_date, Some(in_year(12, 31)));

    let group = format!("team-{}", ids.group);
    let established: pb::TeamEstablished = decode(readings, &group, 0);
    assert_eq!(established.force_type(), pb::ForceType::SocialSecurityGroup);
    assert_eq!(established.area_id, ids.village);
    assert_eq!(established.quota, None);
    let counts: Vec<(u32, Option<pb::Date>, String)> = [1, 2]
        .into_iter()
        .map(|version| {
            let counted: pb::GroupHouseholdsRecorded = decode(readings, &group, version);
            assert_eq!(counted.team_id, ids.group);
            (counted.households, counted.effective_date, counted.source)
        })
        .collect();
    assert_eq!(
        counts,
        [
            (
                27,
                Some(in_year(3, 1)),
                "Biên bản thành lập tổ an ninh xã hội thôn 3".to_string()
            ),
            (31, Some(in_year(11, 15)), "Báo cáo số 41/BC-CAX".to_string()),
        ]
    );

    let conference = format!("conference-{}", ids.class);
    let held: pb::ConferenceHeld = decode(readings, &conference, 0);
    assert_eq!(held.kind(), pb::ConferenceKind::TrainingClass);
    assert_eq!(held.participants, Some(36));
    assert_eq!(
        (held.effective_date, held.last_day),
        (Some(in_year(4, 10)), Some(in_year(4, 11)))
    );
    assert_eq!(
        held.organiser.as_ref().map(|body| (body.kind(), body.area_level())),
        Some((pb::BodyKind::Police, pb::AreaLevel::Commune))
    );
    let attended: pb::ConferenceAttendeesRecorded = decode(readings, &conference, 1);
    assert_eq!(attended.person_ids, [ids.leader.clone(), ids.deputy.clone()]);

    let figure: pb::FigureReported = decode(readings, &format!("figure-{}", ids.figure), 0);
    assert_eq!(
        (figure.indicator(), figure.force_type()),
        (
            pb::FigureIndicator::HouseholdsInSocialSecurityGroups,
            pb::ForceType::SocialSecurityGroup
        )
    );
    assert_eq!(
        (figure.unit_area_id.as_str(), figure.unit_area_level()),
        (ids.village.as_str(), pb::AreaLevel::ResidentialArea)
    );
    assert_eq!(
        figure.period,
        Some(pb::DatePeriod {
            first_day: Some(in_year(1, 1)),
            last_day: Some(in_year(12, 31)),
        }),
        "the year 2017"
    );
    assert_eq!(
        figure.value,
        Some(pb::FigureValue {
            count: 31,
            precision: pb::FigurePrecision::Exact.into(),
            out_of: Some(312),
            share_permille: Some(99),
        })
    );
    assert_eq!(
        figure.source,
        decision("62/BC-UBND", PEOPLES_COMMITTEE, in_year(12, 15)),
        "the source report"
    );

    let award: pb::AwardGranted = decode(readings, &format!("award-{}", ids.award), 0);
    assert_eq!(award.kind(), pb::AwardKind::CertificateOfCommendation);
    assert_eq!(
        award.recipient,
        Some(pb::award_granted::Recipient::TeamId(ids.team.clone()))
    );
    assert_eq!(
        award
            .granted_by
            .as_ref()
            .map(|body| (body.kind(), body.area_id.as_str(), body.area_level())),
        Some((
            pb::BodyKind::PeoplesCommittee,
            ids.district.as_str(),
            pb::AreaLevel::District
        ))
    );
    assert_eq!(award.decision.as_ref().map(|d| d.number.as_str()), Some("2150/QĐ-UBND"));
    assert_eq!(award.effective_date, Some(in_year(12, 28)));
}

/// The Records views and the group's households as of their days; coverage is the
/// group's households over the village's.
fn check_record_views(readings: &Readings, ids: &Ids) {
    let year_end = Some(in_year(12, 31));
    let resolution = &readings.resolution;
    assert_eq!(resolution.as_of, year_end);
    assert_eq!(resolution.version, 0);
    assert_eq!(
        resolution.document.as_ref().map(|d| d.number.as_str()),
        Some("01-NQ/ĐU")
    );
    assert_eq!(
        readings.plan.document.as_ref().map(|d| (d.kind(), d.effective_date)),
        Some((pb::DocumentKind::Plan, Some(in_year(1, 10))))
    );

    let held = &readings.office_held;
    assert!(held.held, "the công an viên in June");
    assert!(held.left.is_none());
    assert_eq!(held.version, 1, "the stream's version, whatever the day read");
    assert_eq!(
        held.taken.as_ref().map(|t| t.person_id.as_str()),
        Some(ids.leader.as_str())
    );
    let left = &readings.office_left;
    assert!(!left.held, "no longer held on the day it ended");
    assert_eq!(left.version, 1);
    assert_eq!(left.left.as_ref().map(|l| l.reason()), Some(pb::LeaveReason::TermEnded));

    let in_june = &readings.group_in_june;
    assert_eq!(in_june.force_type(), pb::ForceType::SocialSecurityGroup);
    assert_eq!(in_june.households, Some(27), "the first count");
    assert_eq!(in_june.stream_version, 2, "the stream's version, whatever the day read");
    let group = &readings.group;
    assert_eq!(group.status(), pb::TeamStatus::Active);
    assert_eq!(group.established_on, Some(in_year(3, 1)));
    assert_eq!(group.area_id, ids.village);
    assert_eq!(group.households, Some(31), "the last count");
    assert_eq!(group.stream_version, 2);
    assert!(group.members.is_empty(), "a group counts households, not members");
    let village_households = readings.village.population[0].households;
    let coverage_permille = u64::from(group.households.unwrap()) * 1000 / u64::from(village_households);
    assert_eq!(coverage_permille, 99, "31 of 312 households: 9.9 %");
    let figure = &readings.figure;
    assert_eq!(figure.value.as_ref().map(|v| v.count), Some(31));
    assert_eq!(
        figure.value.as_ref().and_then(|v| v.share_permille),
        Some(coverage_permille as u32),
        "the report agrees with the counts"
    );
    assert_eq!(figure.history.len(), 1, "never corrected");
    assert_eq!(figure.history[0].entry_id, ids.figure);
    assert_eq!(
        figure.history[0].source.as_ref().map(|d| d.number.as_str()),
        Some("62/BC-UBND")
    );
    assert_eq!(figure.as_of, year_end);

    let class = &readings.class;
    assert_eq!(class.attendee_person_ids, [ids.leader.clone(), ids.deputy.clone()]);
    assert_eq!(class.version, 1);
    assert_eq!(class.conference.as_ref().and_then(|c| c.participants), Some(36));

    let award = &readings.award;
    assert_eq!(award.version, 0);
    assert_eq!(
        award.award.as_ref().map(|a| (a.kind(), a.achievement.as_str())),
        Some((
            pb::AwardKind::CertificateOfCommendation,
            "Có thành tích xuất sắc trong phong trào toàn dân bảo vệ ANTQ năm 2017"
        ))
    );
}

/// Rebuilds the log's own event from its wire form, as an inspector would, to recompute
/// its hash.
fn to_log_event(event: &pb::RecordedEvent) -> antt_log::RecordedEvent {
    let optional_uuid = |text: &str| (!text.is_empty()).then(|| Uuid::parse_str(text).unwrap());
    let micros = |timestamp: &Option<prost_types::Timestamp>| {
        let timestamp = timestamp.expect("every recorded event has its times");
        assert_eq!(timestamp.nanos % 1000, 0, "the log keeps microseconds");
        antt_log::Timestamp(timestamp.seconds * 1_000_000 + i64::from(timestamp.nanos / 1000))
    };
    antt_log::RecordedEvent {
        position: event.position,
        stream_id: event.stream_id.clone(),
        stream_version: event.stream_version,
        event_id: Uuid::parse_str(&event.event_id).unwrap(),
        event_type: event.event_type.clone(),
        schema_version: event.schema_version,
        recorded_at: micros(&event.recorded_at),
        effective_at: micros(&event.effective_at),
        actor: event.actor.clone(),
        correlation_id: optional_uuid(&event.correlation_id),
        causation_id: optional_uuid(&event.causation_id),
        metadata: event.metadata.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        content_type: event.content_type.clone(),
        payload: event.payload.clone(),
        hash: event.hash.as_slice().try_into().expect("a 32-byte hash"),
    }
}
