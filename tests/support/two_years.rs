//! Two years of a commune's records, typed in through the domain RPCs, for the suites
//! that read them back as a report and as exported rows.
//!
//! Xã Nga Thái (15016, under Tỉnh Thanh Hóa, 38) and its Thôn 8 (312 households), both
//! from 2008:
//! - 2020: a protection team (quota 3) established on 01/03, with An as leader from 01/06
//!   and Bình as member from 01/07; a social security group `Tổ ANXH số 1, "Đoàn kết"`
//!   with Cúc from 01/04 and 31 member households; a land dispute reported on 10/05,
//!   mediated by the team and resolved by mediation on 20/05; Thôn 8 registered and
//!   rated safe.
//! - 2021: An leaves on 01/04 (relocated); an assault reported on 01/02, taken up by the
//!   commune police, escalated to the district police and prosecuted with 2 defendants
//!   on 01/03; Thôn 8 registered and rated safe again.

use antt_proto::v1::forces_client::ForcesClient;
use antt_proto::v1::incidents_client::IncidentsClient;
use antt_proto::v1::ratings_client::RatingsClient;
use antt_proto::v1::resolve_incident_request::Resolution;
use antt_proto::v1::{
    AppointMemberRequest, AssignIncidentRequest, Date, EscalateIncidentRequest, EstablishTeamRequest, ForceType,
    HandlingLevel, IncidentCategory, IncidentClassification, IncidentSource, LeaveReason, MediateIncidentRequest,
    MediationOutcome, MemberLeavesRequest, MemberRole, RateUnitRequest, RecordGroupHouseholdsRequest,
    RecordPopulationRequest, RegisterToStriveRequest, ReportIncidentRequest, ResolutionMediated, ResolutionProsecution,
    ResolveIncidentRequest, SafetyOutcome,
};
use tonic::transport::Channel;

use crate::{date, decided_by, decision, header, new_id, register_person_named, thanh_hoa_and_nga_thai, thon_8};
use crate::{thon_8_team_request, TestServer, NGA_THAI_CHAIRMAN};

/// The name of the social security group: a comma and quotes, as CSV must quote them.
pub const GROUP_NAME: &str = "Tổ ANXH số 1, \"Đoàn kết\"";

/// The ids of what [`record`] recorded.
pub struct TwoYears {
    pub province: String,
    pub commune: String,
    pub village: String,
    pub team: String,
    pub group: String,
    pub an: String,
    pub binh: String,
    pub cuc: String,
    pub land_dispute: String,
    pub assault: String,
    /// A moment after everything but An's departure was recorded.
    pub before_departure: prost_types::Timestamp,
}

/// Records the two years on `server`; panics, naming the step, if the server refuses one.
pub async fn record(server: &TestServer) -> TwoYears {
    let channel = server.channel.clone();
    let (province, commune) = thanh_hoa_and_nga_thai(server).await;
    let village = thon_8(server, &commune).await;
    crate::v1::areas_client::AreasClient::new(channel.clone())
        .record_population(RecordPopulationRequest {
            header: header(date(2019, 1, 1)),
            area_id: village.clone(),
            households: 312,
            population: 1_186,
            source: "Sổ theo dõi hộ khẩu của Công an xã".into(),
        })
        .await
        .expect("record Thôn 8's households");

    let mut forces = ForcesClient::new(channel.clone());
    let team = thon_8_team_request(&village, ForceType::SecurityProtectionTeam, Some(3));
    let team_id = team.team_id.clone();
    forces
        .establish_team(team)
        .await
        .expect("establish the protection team");
    let group = EstablishTeamRequest {
        name: GROUP_NAME.into(),
        ..thon_8_team_request(&village, ForceType::SocialSecurityGroup, None)
    };
    let group_id = group.team_id.clone();
    forces.establish_team(group).await.expect("establish the group");
    forces
        .record_group_households(RecordGroupHouseholdsRequest {
            header: header(date(2020, 4, 1)),
            team_id: group_id.clone(),
            households: 31,
            source: "Báo cáo số 41/BC-CAX".into(),
        })
        .await
        .expect("count the group's households");

    let an = register_person_named(&channel, date(2020, 1, 1), "Lê Văn An").await;
    let binh = register_person_named(&channel, date(2020, 1, 1), "Phạm Thị Bình").await;
    let cuc = register_person_named(&channel, date(2020, 1, 1), "Nguyễn Thị Cúc").await;
    appoint(&channel, &team_id, &an, MemberRole::Leader, date(2020, 6, 1)).await;
    appoint(&channel, &team_id, &binh, MemberRole::Member, date(2020, 7, 1)).await;
    appoint(&channel, &group_id, &cuc, MemberRole::Member, date(2020, 4, 1)).await;

    let mut incidents = IncidentsClient::new(channel.clone());
    let land_dispute = report(
        &mut incidents,
        &village,
        IncidentCategory::LandDispute,
        date(2020, 5, 10),
    )
    .await;
    assign(
        &mut incidents,
        &land_dispute,
        HandlingLevel::SecurityProtectionTeam,
        date(2020, 5, 11),
    )
    .await;
    incidents
        .mediate_incident(MediateIncidentRequest {
            header: header(date(2020, 5, 15)),
            incident_id: land_dispute.clone(),
            by_force: ForceType::SecurityProtectionTeam.into(),
            by_team_id: team_id.clone(),
            outcome: MediationOutcome::Succeeded.into(),
            note: "hai bên thống nhất ranh giới".into(),
        })
        .await
        .expect("mediate the land dispute");
    incidents
        .resolve_incident(ResolveIncidentRequest {
            header: header(date(2020, 5, 20)),
            incident_id: land_dispute.clone(),
            resolution: Some(Resolution::Mediated(ResolutionMediated {})),
            ..Default::default()
        })
        .await
        .expect("resolve the land dispute");
    let assault = report(&mut incidents, &village, IncidentCategory::Assault, date(2021, 2, 1)).await;
    assign(&mut incidents, &assault, HandlingLevel::CommunePolice, date(2021, 2, 2)).await;
    incidents
        .escalate_incident(EscalateIncidentRequest {
            header: header(date(2021, 2, 3)),
            incident_id: assault.clone(),
            to_level: HandlingLevel::DistrictPolice.into(),
            reason: "có dấu hiệu tội phạm".into(),
        })
        .await
        .expect("escalate the assault");
    let mut prosecution = ResolveIncidentRequest {
        header: header(date(2021, 3, 1)),
        incident_id: assault.clone(),
        resolution: Some(Resolution::Prosecution(ResolutionProsecution { defendants: 2 })),
        ..Default::default()
    };
    if let Some(header) = prosecution.header.as_mut() {
        header.decision = Some(decision(
            "7/QĐ-KTVAHS",
            "Cơ quan CSĐT Công an huyện Nga Sơn",
            date(2021, 3, 1),
        ));
    }
    incidents
        .resolve_incident(prosecution)
        .await
        .expect("prosecute the assault");

    let mut ratings = RatingsClient::new(channel.clone());
    for year in [2020, 2021] {
        ratings
            .register_to_strive(RegisterToStriveRequest {
                header: header(date(year - 1, 12, 15)),
                unit_area_id: village.clone(),
                year,
            })
            .await
            .expect("register Thôn 8 to strive");
        ratings
            .rate_unit(RateUnitRequest {
                header: decided_by(date(year, 12, 20), "85/QĐ-UBND", NGA_THAI_CHAIRMAN),
                rating_id: new_id(),
                unit_area_id: village.clone(),
                year,
                outcome: SafetyOutcome::Safe.into(),
                criteria: "23/2012/TT-BCA".into(),
            })
            .await
            .expect("rate Thôn 8");
    }

    let before_departure = crate::now_timestamp();
    forces
        .member_leaves(MemberLeavesRequest {
            header: decided_by(date(2021, 4, 1), "61/QĐ-UBND", NGA_THAI_CHAIRMAN),
            team_id: team_id.clone(),
            person_id: an.clone(),
            reason: LeaveReason::Relocated.into(),
        })
        .await
        .expect("An leaves");

    TwoYears {
        province,
        commune,
        village,
        team: team_id,
        group: group_id,
        an,
        binh,
        cuc,
        land_dispute,
        assault,
        before_departure,
    }
}

async fn appoint(channel: &Channel, team: &str, person: &str, role: MemberRole, on: Date) {
    ForcesClient::new(channel.clone())
        .appoint_member(AppointMemberRequest {
            header: decided_by(on, "45/QĐ-UBND", NGA_THAI_CHAIRMAN),
            team_id: team.into(),
            person_id: person.into(),
            role: role.into(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("appoint {person} on {on:?}: {status:?}"));
}

async fn report(client: &mut IncidentsClient<Channel>, area: &str, category: IncidentCategory, on: Date) -> String {
    let incident_id = new_id();
    client
        .report_incident(ReportIncidentRequest {
            header: header(on),
            incident_id: incident_id.clone(),
            category: category.into(),
            area_id: area.into(),
            source: IncidentSource::GrassrootsForce.into(),
            summary: String::new(),
            complex: false,
            tip_id: String::new(),
            classification: IncidentClassification::Unspecified.into(),
        })
        .await
        .unwrap_or_else(|status| panic!("report the incident of {on:?}: {status:?}"));
    incident_id
}

async fn assign(client: &mut IncidentsClient<Channel>, incident: &str, level: HandlingLevel, on: Date) {
    client
        .assign_incident(AssignIncidentRequest {
            header: header(on),
            incident_id: incident.into(),
            level: level.into(),
            team_id: String::new(),
            co_handlers: Vec::new(),
        })
        .await
        .unwrap_or_else(|status| panic!("assign the incident on {on:?}: {status:?}"));
}
