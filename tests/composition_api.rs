//! End to end over gRPC: team composition policies (cơ cấu) and the "không đúng cơ cấu"
//! flag of the roster and the forces summary.
//!
//! Goal: Thanh Hóa's QĐ 4191/QĐ-UBND (from 2013, the protection team's leader is the
//! village police officer) is recorded through the Records API; the protection team of
//! Thôn 8, led by An, who holds the công an viên office from 2013 until 01/06/2016, is
//! shown conforming in 2014 and flagged in 2017 (which seat, which office, which
//! decision), and the forces summary counts it; a team of another province is never under
//! the policy. A tenure typed in later for 2017 clears the flag for now, not for a moment
//! before it was recorded. Policies of a non-province, of a province not existing yet,
//! or without requirements are refused.
//! Method: one server; areas, persons, teams, tenures and the policy recorded through the
//! Areas, Forces and Records RPCs; the Projections service read with a real client.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::forces_client::ForcesClient;
use antt_e2e::v1::projections_client::ProjectionsClient;
use antt_e2e::v1::records_client::RecordsClient;
use antt_e2e::v1::{
    area_selector, AppointMemberRequest, AreaLevel, AreaSelector, CommuneScope, Date, EstablishTeamRequest, ForceType,
    ForcesSummaryRequest, GetCompositionPolicyRequest, IssueCompositionPolicyRequest, LeaveOfficeRequest, LeaveReason,
    MemberRole, OfficeKind, OfficePlace, RoleRequirement, RosterRequest, RosterResponse, TakeOfficeRequest, TimeAxes,
};
use antt_e2e::{
    assert_field_violation, date, decided_by, header, new_id, register_chain, register_person_named,
    thanh_hoa_to_thon_8, thon_8_team_request, TestServer, NGA_THAI_CHAIRMAN,
};
use tonic::transport::Channel;
use tonic::Code;

const PROVINCE_CHAIRMAN: &str = "Chủ tịch UBND tỉnh Thanh Hóa";

fn by_id(area_id: &str) -> Option<AreaSelector> {
    Some(AreaSelector {
        area: Some(area_selector::Area::AreaId(area_id.into())),
    })
}

fn axes(as_of: Date, known_at: Option<prost_types::Timestamp>, min_position: u64) -> Option<TimeAxes> {
    Some(TimeAxes {
        as_of: Some(as_of),
        known_at,
        min_position,
    })
}

/// QĐ 4191/QĐ-UBND of Thanh Hóa, from 01/01/2013: the protection team's leader is the
/// công an viên of its village.
fn qd_4191(province: &str) -> IssueCompositionPolicyRequest {
    IssueCompositionPolicyRequest {
        header: decided_by(date(2013, 1, 1), "4191/QĐ-UBND", PROVINCE_CHAIRMAN),
        policy_id: new_id(),
        province_area_id: province.into(),
        force_type: ForceType::SecurityProtectionTeam.into(),
        scope: CommuneScope::All.into(),
        requirements: vec![RoleRequirement {
            role: MemberRole::Leader.into(),
            office: OfficeKind::VillagePoliceOfficer.into(),
            place: OfficePlace::TeamArea.into(),
        }],
        title: "Kiện toàn tổ bảo vệ ANTT ở thôn".into(),
    }
}

/// A protection team of the village `area_id` from 2012, led by `leader` from 01/06/2012;
/// returns its id and the position after the appointment.
async fn led_team(channel: &Channel, area_id: &str, leader: &str) -> (String, u64) {
    let mut forces = ForcesClient::new(channel.clone());
    let team = EstablishTeamRequest {
        header: decided_by(date(2012, 1, 1), "02/QĐ-UBND", NGA_THAI_CHAIRMAN),
        ..thon_8_team_request(area_id, ForceType::SecurityProtectionTeam, None)
    };
    let team_id = team.team_id.clone();
    forces.establish_team(team).await.unwrap();
    let appoint = AppointMemberRequest {
        header: decided_by(date(2012, 6, 1), "05/QĐ-UBND", NGA_THAI_CHAIRMAN),
        team_id: team_id.clone(),
        person_id: leader.into(),
        role: MemberRole::Leader.into(),
        ..Default::default()
    };
    let position = forces.appoint_member(appoint).await.unwrap().into_inner().last_position;
    (team_id, position + 1)
}

/// `person` is công an viên of `area_id` from `from`, until `to` if given; the position
/// after the last event.
async fn police_officer(
    records: &mut RecordsClient<Channel>,
    person: &str,
    area_id: &str,
    from: Date,
    to: Option<Date>,
) -> u64 {
    let take = TakeOfficeRequest {
        header: decided_by(from, "25/QĐ-UBND", NGA_THAI_CHAIRMAN),
        tenure_id: new_id(),
        person_id: person.into(),
        area_id: area_id.into(),
        kind: OfficeKind::VillagePoliceOfficer.into(),
        ..Default::default()
    };
    let mut position = records
        .take_office(take.clone())
        .await
        .unwrap()
        .into_inner()
        .last_position;
    if let Some(to) = to {
        let leave = LeaveOfficeRequest {
            header: header(to),
            tenure_id: take.tenure_id,
            reason: LeaveReason::Relocated.into(),
            details: "chuyển công tác".into(),
        };
        position = records.leave_office(leave).await.unwrap().into_inner().last_position;
    }
    position + 1
}

struct Reader {
    projections: ProjectionsClient<Channel>,
}

impl Reader {
    async fn roster(&mut self, area: &str, axes: Option<TimeAxes>) -> RosterResponse {
        let request = RosterRequest {
            axes,
            area: by_id(area),
            force_type: ForceType::Unspecified.into(),
        };
        self.projections.get_roster(request).await.unwrap().into_inner()
    }

    /// (teams under a policy, teams not conforming) of the protection teams.
    async fn counted(&mut self, area: &str, axes: Option<TimeAxes>) -> (u32, u32) {
        let request = ForcesSummaryRequest {
            axes,
            area: by_id(area),
            period: None,
        };
        let summary = self.projections.get_forces_summary(request).await.unwrap().into_inner();
        let force = summary
            .forces
            .iter()
            .find(|force| force.force_type() == ForceType::SecurityProtectionTeam)
            .expect("protection teams are counted");
        (force.teams_under_policy, force.teams_not_conforming)
    }
}

#[tokio::test]
async fn a_team_whose_leader_left_the_office_is_flagged_and_counted() {
    let server = TestServer::start().await.unwrap();
    let channel = server.channel.clone();
    let mut records = RecordsClient::new(channel.clone());
    let mut reader = Reader {
        projections: ProjectionsClient::new(channel.clone()),
    };
    let [thanh_hoa, _, _, thon_8] = thanh_hoa_to_thon_8(&server).await;
    let ninh_binh = [
        (AreaLevel::Province, "Tỉnh Ninh Bình"),
        (AreaLevel::District, "Huyện Yên Mô"),
        (AreaLevel::Commune, "Xã Yên Thắng"),
        (AreaLevel::ResidentialArea, "Thôn 1"),
    ];
    let ninh_binh = register_chain(&server, date(1997, 1, 1), &ninh_binh).await;
    let an = register_person_named(&channel, date(2010, 1, 1), "Lê Văn An").await;
    let binh = register_person_named(&channel, date(2010, 1, 1), "Phạm Văn Bình").await;
    let (team, _) = led_team(&channel, &thon_8, &an).await;
    led_team(&channel, &ninh_binh[3], &binh).await;
    police_officer(&mut records, &an, &thon_8, date(2013, 3, 1), Some(date(2016, 6, 1))).await;
    let policy = qd_4191(&thanh_hoa);
    let policy_id = policy.policy_id.clone();
    let issued = records.issue_composition_policy(policy).await.unwrap().into_inner();
    assert_eq!(issued.event_types, vec!["antt.v1.CompositionPolicyIssued".to_string()]);
    let written = issued.last_position + 1;

    // The policy as a record of its own.
    let get = |as_of: Date| GetCompositionPolicyRequest {
        policy_id: policy_id.clone(),
        as_of: Some(as_of),
    };
    let before = records
        .get_composition_policy(get(date(2012, 12, 31)))
        .await
        .unwrap_err();
    assert_eq!(before.code(), Code::NotFound, "{before:?}");
    let view = records
        .get_composition_policy(get(date(2014, 1, 1)))
        .await
        .unwrap()
        .into_inner();
    assert!(view.in_force);
    assert_eq!(view.issued.unwrap().decision.unwrap().number, "4191/QĐ-UBND");

    // 2012: before the policy. 2014: An is công an viên. 2017: no longer.
    let in_2012 = reader.roster(&thanh_hoa, axes(date(2012, 6, 1), None, written)).await;
    assert!(in_2012.compositions[0].policy_ids.is_empty());
    let in_2014 = reader.roster(&thanh_hoa, axes(date(2014, 6, 1), None, written)).await;
    assert_eq!(in_2014.compositions[0].team_id, team);
    assert_eq!(in_2014.compositions[0].policy_ids, vec![policy_id.clone()]);
    assert!(
        in_2014.compositions[0].breaches.is_empty(),
        "{:?}",
        in_2014.compositions
    );
    assert_eq!(
        reader.counted(&thanh_hoa, axes(date(2014, 6, 1), None, written)).await,
        (1, 0)
    );

    let in_2017 = reader.roster(&thanh_hoa, axes(date(2017, 6, 1), None, written)).await;
    let breach = &in_2017.compositions[0].breaches[0];
    assert_eq!(
        (breach.policy_id.as_str(), breach.decision_number.as_str()),
        (policy_id.as_str(), "4191/QĐ-UBND")
    );
    assert_eq!(
        (breach.role(), breach.office(), breach.place()),
        (
            MemberRole::Leader,
            OfficeKind::VillagePoliceOfficer,
            OfficePlace::TeamArea
        )
    );
    assert_eq!(
        (breach.person_id.as_str(), breach.office_area_id.as_str(), breach.vacant),
        (an.as_str(), thon_8.as_str(), false)
    );
    assert!(breach.reason.contains("không đúng cơ cấu"), "{}", breach.reason);
    assert_eq!(
        reader.counted(&thanh_hoa, axes(date(2017, 6, 1), None, written)).await,
        (1, 1)
    );

    // Another province's team is never under Thanh Hóa's policy.
    for as_of in [date(2014, 6, 1), date(2017, 6, 1)] {
        let other = reader.roster(&ninh_binh[0], axes(as_of, None, written)).await;
        assert!(other.compositions[0].policy_ids.is_empty());
        assert_eq!(reader.counted(&ninh_binh[0], axes(as_of, None, written)).await, (0, 0));
    }

    // Typed in later: An became công an viên again on 01/01/2017.
    let inspection_day = antt_e2e::now_timestamp();
    let written = police_officer(&mut records, &an, &thon_8, date(2017, 1, 1), None).await;
    let now = reader.roster(&thanh_hoa, axes(date(2017, 6, 1), None, written)).await;
    assert!(now.compositions[0].breaches.is_empty());
    assert_eq!(
        reader.counted(&thanh_hoa, axes(date(2017, 6, 1), None, written)).await,
        (1, 0)
    );
    let as_stood = axes(date(2017, 6, 1), Some(inspection_day), 0);
    assert_eq!(
        reader.roster(&thanh_hoa, as_stood).await.compositions[0].breaches.len(),
        1
    );
    assert_eq!(reader.counted(&thanh_hoa, as_stood).await, (1, 1));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_policy_is_a_province_s_with_its_requirements() {
    let server = TestServer::start().await.unwrap();
    let mut records = RecordsClient::new(server.channel.clone());
    let [thanh_hoa, nga_son, _, _] = thanh_hoa_to_thon_8(&server).await;

    let of_a_district = records
        .issue_composition_policy(IssueCompositionPolicyRequest {
            province_area_id: nga_son,
            ..qd_4191(&thanh_hoa)
        })
        .await
        .unwrap_err();
    assert_eq!(of_a_district.code(), Code::FailedPrecondition, "{of_a_district:?}");
    assert!(of_a_district.message().contains("province"), "{of_a_district:?}");

    let before_the_province = records
        .issue_composition_policy(IssueCompositionPolicyRequest {
            header: decided_by(date(1990, 1, 1), "12/QĐ-UB", PROVINCE_CHAIRMAN),
            ..qd_4191(&thanh_hoa)
        })
        .await
        .unwrap_err();
    assert_eq!(
        before_the_province.code(),
        Code::FailedPrecondition,
        "{before_the_province:?}"
    );

    let no_requirement = records
        .issue_composition_policy(IssueCompositionPolicyRequest {
            requirements: vec![],
            ..qd_4191(&thanh_hoa)
        })
        .await
        .unwrap_err();
    assert_field_violation(&no_requirement, Code::InvalidArgument, &["requirements"]);
    let unspecified = records
        .issue_composition_policy(IssueCompositionPolicyRequest {
            requirements: vec![RoleRequirement::default()],
            ..qd_4191(&thanh_hoa)
        })
        .await
        .unwrap_err();
    assert_field_violation(
        &unspecified,
        Code::InvalidArgument,
        &[
            "requirements[0].role",
            "requirements[0].office",
            "requirements[0].place",
        ],
    );
    server.shutdown().await.unwrap();
}
