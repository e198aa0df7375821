//! End to end over gRPC: records read and judged in valid time.
//!
//! Goal: a district's history is typed in years later and out of order, so every rule
//! holds at every date and every view answers as of a day, whatever the order in which
//! facts were recorded. A seat taken by a later-dated record refuses a backdated open
//! term, naming the period ("từ 01/01/2023 đến 31/12/2023 tổ đã có tổ trưởng"); the same
//! term typed in whole with its end is accepted, even while today's holder sits. GetTeam,
//! GetArea and GetInspection answer `as_of`: the leader of the day, the name of the day
//! after a backdated rename, an action overdue on a day before it was completed. A day
//! before a record existed is NOT_FOUND saying from when; a malformed `as_of` is
//! INVALID_ARGUMENT on `as_of`.
//! Method: each test starts its own server, registers the areas and people it needs and
//! reads the outcome back through the Get RPCs.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::areas_client::AreasClient;
use antt_e2e::v1::forces_client::ForcesClient;
use antt_e2e::v1::inspections_client::InspectionsClient;
use antt_e2e::v1::plan_remedial_action_request::Deadline;
use antt_e2e::v1::{
    AppointMemberRequest, AreaLevel, AreaView, CompleteRemedialActionRequest, Date, FindingKind, ForceType,
    GetAreaRequest, GetInspectionRequest, GetTeamRequest, InspectionView, LeaveReason, MemberLeavesRequest, MemberRole,
    MemberStatus, OpenInspectionRequest, PlanRemedialActionRequest, RecordFindingRequest, RegisterAreaRequest,
    RemedialActionStatus, RenameAreaRequest, ReparentAreaRequest, TeamView,
};
use antt_e2e::{
    area_request, assert_field_violation, date, decided_by, header, new_id, register_area, register_person_named,
    thanh_hoa_and_nga_thai, thon_8, thon_8_team_request, TestServer, NGA_THAI_CHAIRMAN,
};
use tonic::transport::Channel;
use tonic::{Code, Status};

type Forces = ForcesClient<Channel>;

/// A server with a security protection team (tổ bảo vệ ANTT) of Thôn 8, xã Nga Thái,
/// established on 2020-03-01.
struct Team {
    server: TestServer,
    forces: Forces,
    team_id: String,
}

async fn team() -> Team {
    let server = TestServer::start().await.unwrap();
    let (_, commune) = thanh_hoa_and_nga_thai(&server).await;
    let village = thon_8(&server, &commune).await;
    let mut forces = ForcesClient::new(server.channel.clone());
    let establish = thon_8_team_request(&village, ForceType::SecurityProtectionTeam, None);
    let team_id = establish.team_id.clone();
    forces.establish_team(establish).await.unwrap();
    Team {
        server,
        forces,
        team_id,
    }
}

impl Team {
    /// Registers a person on 2019-01-01; returns their id.
    async fn person(&mut self, full_name: &str) -> String {
        register_person_named(&self.server.channel, date(2019, 1, 1), full_name).await
    }

    /// Appoints `person_id` leader from `from`, until `until` if given (a past term).
    async fn appoint_leader(
        &mut self,
        person_id: &str,
        from: Date,
        until: Option<Date>,
    ) -> Result<Vec<String>, Status> {
        let appoint = AppointMemberRequest {
            header: decided_by(from, "45/QĐ-UBND", NGA_THAI_CHAIRMAN),
            team_id: self.team_id.clone(),
            person_id: person_id.into(),
            role: MemberRole::Leader.into(),
            term_end: until,
            term_end_reason: until
                .map_or(LeaveReason::Unspecified, |_| LeaveReason::TermEnded)
                .into(),
        };
        let result = self.forces.appoint_member(appoint).await?;
        Ok(result.into_inner().event_types)
    }

    async fn leaves(&mut self, person_id: &str, on: Date) {
        let leave = MemberLeavesRequest {
            header: header(on),
            team_id: self.team_id.clone(),
            person_id: person_id.into(),
            reason: LeaveReason::Transferred.into(),
        };
        self.forces.member_leaves(leave).await.unwrap();
    }

    async fn try_view(&mut self, as_of: Option<Date>) -> Result<TeamView, Status> {
        let get = GetTeamRequest {
            team_id: self.team_id.clone(),
            as_of,
        };
        Ok(self.forces.get_team(get).await?.into_inner())
    }

    /// The active leader on `as_of` (None: today), if any.
    async fn leader(&mut self, as_of: Option<Date>) -> Option<String> {
        let view = self.try_view(as_of).await.unwrap();
        view.members
            .into_iter()
            .find(|m| m.status() == MemberStatus::Active && m.role() == MemberRole::Leader)
            .map(|m| m.display_name)
    }
}

#[tokio::test]
async fn a_seat_is_judged_at_every_date_and_read_as_of_a_day() {
    let mut team = team().await;
    let an = team.person("Lê Văn An").await;
    let binh = team.person("Trần Thị Bình").await;
    team.appoint_leader(&an, date(2023, 1, 1), None).await.unwrap();
    team.leaves(&an, date(2024, 1, 1)).await;

    // An open term from 2022 would overlap An's: refused, naming An's period.
    let overlapping = team.appoint_leader(&binh, date(2022, 1, 1), None).await.unwrap_err();
    assert_eq!(overlapping.code(), Code::FailedPrecondition, "{overlapping:?}");
    assert!(
        overlapping
            .message()
            .contains("từ 01/01/2023 đến 31/12/2023 tổ đã có tổ trưởng"),
        "{overlapping:?}"
    );
    // The same term typed in whole, ending before An's began: accepted.
    let past_term = team
        .appoint_leader(&binh, date(2022, 1, 1), Some(date(2022, 12, 31)))
        .await
        .unwrap();
    assert_eq!(past_term, ["antt.v1.MemberAppointed", "antt.v1.MemberLeft"]);

    assert_eq!(
        team.leader(Some(date(2022, 6, 1))).await.as_deref(),
        Some("Trần Thị Bình")
    );
    assert_eq!(team.leader(Some(date(2023, 6, 1))).await.as_deref(), Some("Lê Văn An"));
    assert_eq!(team.leader(None).await, None);
    let today = team.try_view(None).await.unwrap();
    let binh_view = today.members.iter().find(|m| m.person_id == binh).unwrap();
    assert_eq!(binh_view.terms[0].until, Some(date(2022, 12, 31)));
    assert_eq!(binh_view.leave_reason(), LeaveReason::TermEnded);

    // Before the team was established, and a day that does not exist.
    let early = team.try_view(Some(date(2019, 6, 1))).await.unwrap_err();
    assert_eq!(early.code(), Code::NotFound, "{early:?}");
    assert!(early.message().contains("exists from 2020-03-01"), "{early:?}");
    let malformed = team.try_view(Some(date(2023, 2, 29))).await.unwrap_err();
    assert_field_violation(&malformed, Code::InvalidArgument, &["as_of"]);
    team.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_valid_backdated_term_is_accepted_while_the_seat_is_taken_today() {
    let mut team = team().await;
    let cuong = team.person("Phạm Văn Cường").await;
    let dung = team.person("Hoàng Văn Dũng").await;
    team.appoint_leader(&cuong, date(2024, 6, 1), None).await.unwrap();

    // Judged against the team as it stood in 2021, not as it stands today.
    team.appoint_leader(&dung, date(2021, 1, 1), Some(date(2021, 12, 31)))
        .await
        .unwrap();
    assert_eq!(team.leader(None).await.as_deref(), Some("Phạm Văn Cường"));
    assert_eq!(
        team.leader(Some(date(2021, 6, 1))).await.as_deref(),
        Some("Hoàng Văn Dũng")
    );
    assert_eq!(team.leader(Some(date(2023, 6, 1))).await, None);

    // A term end needs its reason.
    let appoint = AppointMemberRequest {
        header: decided_by(date(2020, 6, 1), "46/QĐ-UBND", NGA_THAI_CHAIRMAN),
        team_id: team.team_id.clone(),
        person_id: dung.clone(),
        role: MemberRole::Deputy.into(),
        term_end: Some(date(2020, 9, 1)),
        term_end_reason: LeaveReason::Unspecified.into(),
    };
    let status = team.forces.appoint_member(appoint).await.unwrap_err();
    assert_field_violation(&status, Code::InvalidArgument, &["term_end_reason"]);
    team.server.shutdown().await.unwrap();
}

async fn area(areas: &mut AreasClient<Channel>, area_id: &str, as_of: Option<Date>) -> Result<AreaView, Status> {
    let get = GetAreaRequest {
        area_id: area_id.into(),
        as_of,
    };
    Ok(areas.get_area(get).await?.into_inner())
}

#[tokio::test]
async fn an_area_reads_by_its_latest_effective_change() {
    let server = TestServer::start().await.unwrap();
    let (province, commune) = thanh_hoa_and_nga_thai(&server).await;
    let district = |name: &str| area_request(date(2008, 1, 1), AreaLevel::District, name, &province);
    let nga_son = register_area(&server, district("Huyện Nga Sơn")).await;
    let hau_loc = register_area(&server, district("Huyện Hậu Lộc")).await;
    let mut areas = AreasClient::new(server.channel.clone());
    let decided = |on: Date, number: &str| decided_by(on, number, "Ủy ban Thường vụ Quốc hội");
    let rename = |on: Date, name: &str, division_type: &str| RenameAreaRequest {
        header: decided(on, "1/NQ-UBTVQH"),
        area_id: commune.clone(),
        new_name: name.into(),
        new_division_type: division_type.into(),
    };
    let reparent = |on: Date, parent: &str| ReparentAreaRequest {
        header: decided(on, "2/NQ-UBTVQH"),
        area_id: commune.clone(),
        new_parent_area_id: parent.into(),
    };
    // The 2020 changes are recorded first, the 2015 ones typed in afterwards.
    areas
        .rename_area(rename(date(2020, 1, 1), "Phường Nga Thái", "phường"))
        .await
        .unwrap();
    areas.reparent_area(reparent(date(2020, 1, 1), &hau_loc)).await.unwrap();
    areas
        .rename_area(rename(date(2015, 1, 1), "Thị trấn Nga Thái", "thị trấn"))
        .await
        .unwrap();
    areas.reparent_area(reparent(date(2015, 1, 1), &nga_son)).await.unwrap();

    let on = |view: AreaView| (view.name, view.division_type, view.parent_area_id);
    let before = on(area(&mut areas, &commune, Some(date(2014, 6, 1))).await.unwrap());
    assert_eq!(before, ("Xã Nga Thái".into(), "xã".into(), province.clone()));
    let between = on(area(&mut areas, &commune, Some(date(2016, 6, 1))).await.unwrap());
    assert_eq!(between, ("Thị trấn Nga Thái".into(), "thị trấn".into(), nga_son));
    let today = area(&mut areas, &commune, None).await.unwrap();
    let names: Vec<&str> = today.names.iter().map(|period| period.name.as_str()).collect();
    assert_eq!(names, ["Xã Nga Thái", "Thị trấn Nga Thái", "Phường Nga Thái"]);
    assert_eq!(today.names[1].valid_until, Some(date(2020, 1, 1)));
    assert_eq!(on(today), ("Phường Nga Thái".into(), "phường".into(), hau_loc));

    let early = area(&mut areas, &commune, Some(date(2000, 1, 1))).await.unwrap_err();
    assert_eq!(early.code(), Code::NotFound, "{early:?}");
    assert!(early.message().contains("exists from 2008-01-01"), "{early:?}");
    server.shutdown().await.unwrap();
}

async fn inspection(
    client: &mut InspectionsClient<Channel>,
    inspection_id: &str,
    as_of: Date,
) -> Result<InspectionView, Status> {
    let get = GetInspectionRequest {
        inspection_id: inspection_id.into(),
        as_of: Some(as_of),
    };
    Ok(client.get_inspection(get).await?.into_inner())
}

#[tokio::test]
async fn an_action_completed_later_was_overdue_on_the_day() {
    let server = TestServer::start().await.unwrap();
    let province = RegisterAreaRequest {
        official_code: "38".into(),
        ..area_request(date(1997, 1, 1), AreaLevel::Province, "Tỉnh Thanh Hóa", "")
    };
    let province = register_area(&server, province).await;
    let mut client = InspectionsClient::new(server.channel.clone());
    let inspection_id = new_id();
    let open = OpenInspectionRequest {
        header: decided_by(date(2024, 5, 31), "03-BC/ĐKT", "Đoàn Kiểm tra số 02"),
        inspection_id: inspection_id.clone(),
        delegation: "Đoàn Kiểm tra số 02, Đảng ủy Công an Trung ương".into(),
        scope: "xây dựng phong trào toàn dân bảo vệ an ninh Tổ quốc".into(),
        inspected_area_id: province,
    };
    client.open_inspection(open).await.unwrap();
    let finding_id = new_id();
    let finding = RecordFindingRequest {
        header: header(date(2024, 5, 31)),
        inspection_id: inspection_id.clone(),
        finding_id: finding_id.clone(),
        kind: FindingKind::Shortcoming.into(),
        text: "một số tổ bảo vệ ANTT hoạt động hình thức".into(),
    };
    client.record_finding(finding).await.unwrap();
    let action_id = new_id();
    let plan = PlanRemedialActionRequest {
        header: decided_by(date(2024, 7, 1), "111-KH/TU", "Ban Thường vụ Tỉnh ủy"),
        inspection_id: inspection_id.clone(),
        action_id: action_id.clone(),
        finding_id,
        description: "kiện toàn tổ bảo vệ ANTT ở cơ sở".into(),
        lead_body: "Đảng ủy Công an tỉnh".into(),
        coordinating_bodies: vec![],
        deadline: Some(Deadline::DueBy(date(2024, 11, 30))),
        ..Default::default()
    };
    client.plan_remedial_action(plan).await.unwrap();
    let complete = CompleteRemedialActionRequest {
        header: header(date(2025, 1, 10)),
        inspection_id: inspection_id.clone(),
        action_id: action_id.clone(),
        summary: "đã kiện toàn".into(),
    };
    client.complete_remedial_action(complete).await.unwrap();

    let on_the_day = inspection(&mut client, &inspection_id, date(2024, 12, 15))
        .await
        .unwrap();
    assert_eq!(on_the_day.overdue_action_ids, [action_id.as_str()]);
    assert_eq!(on_the_day.actions[0].status(), RemedialActionStatus::Open);
    assert!(on_the_day.actions[0].overdue);
    let after = inspection(&mut client, &inspection_id, date(2025, 2, 1)).await.unwrap();
    assert!(after.overdue_action_ids.is_empty());
    assert_eq!(after.actions[0].status(), RemedialActionStatus::Completed);

    let early = inspection(&mut client, &inspection_id, date(2024, 1, 1))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::NotFound, "{early:?}");
    assert!(early.message().contains("exists from 2024-05-31"), "{early:?}");
    server.shutdown().await.unwrap();
}

/// Goal: the facts that end something are typed in whole with what they end, so a past
/// period can be recorded after a later one: a key complex period (designated, then
/// transformed) and an incident resolved then reopened; and a social security group's
/// households read by date.
#[tokio::test]
async fn past_periods_are_typed_in_whole_after_later_ones() {
    use antt_e2e::v1::incidents_client::IncidentsClient;
    use antt_e2e::v1::resolve_incident_request::Resolution;
    use antt_e2e::v1::{
        DesignateKeyComplexAreaRequest, GetIncidentRequest, IncidentCategory, IncidentClassification, IncidentSource,
        MediateIncidentRequest, MediationOutcome, RecordGroupHouseholdsRequest, ReportIncidentRequest,
        ResolutionCommunePoliceHandled, ResolveIncidentRequest,
    };
    let server = TestServer::start().await.unwrap();
    let (_, commune) = thanh_hoa_and_nga_thai(&server).await;
    let village = thon_8(&server, &commune).await;
    let mut areas = AreasClient::new(server.channel.clone());
    let designate = |on: Date, transformed_on: Option<Date>| DesignateKeyComplexAreaRequest {
        header: header(on),
        area_id: village.clone(),
        reason: "tệ nạn cờ bạc".into(),
        transformed_on,
    };
    areas
        .designate_key_complex_area(designate(date(2016, 1, 1), None))
        .await
        .unwrap();
    // Alone, a designation for 2010 would overlap the open one from 2016.
    let alone = areas
        .designate_key_complex_area(designate(date(2010, 1, 1), None))
        .await;
    assert_eq!(alone.unwrap_err().code(), Code::FailedPrecondition);
    let whole = designate(date(2010, 1, 1), Some(date(2012, 6, 1)));
    areas.designate_key_complex_area(whole).await.unwrap();

    let mut incidents = IncidentsClient::new(server.channel.clone());
    let incident_id = new_id();
    incidents
        .report_incident(ReportIncidentRequest {
            header: header(date(2019, 3, 1)),
            incident_id: incident_id.clone(),
            category: IncidentCategory::NeighbourDispute.into(),
            area_id: village.clone(),
            source: IncidentSource::GrassrootsForce.into(),
            summary: "tranh chấp lối đi".into(),
            complex: false,
            tip_id: String::new(),
            classification: IncidentClassification::DisputeOrComplaint.into(),
        })
        .await
        .unwrap();
    incidents
        .mediate_incident(MediateIncidentRequest {
            header: header(date(2019, 3, 20)),
            incident_id: incident_id.clone(),
            by_force: ForceType::SecurityProtectionTeam.into(),
            by_team_id: String::new(),
            outcome: MediationOutcome::Succeeded.into(),
            note: String::new(),
        })
        .await
        .unwrap();
    let resolve = |reopened_on: Option<Date>| ResolveIncidentRequest {
        header: header(date(2019, 3, 10)),
        incident_id: incident_id.clone(),
        resolution: Some(Resolution::CommunePoliceHandled(ResolutionCommunePoliceHandled {})),
        reopened_on,
        reopened_reason: "hai bên lại xô xát".into(),
    };
    // Alone, a resolution on 10/3 would close the incident over the mediation of 20/3.
    let alone = incidents.resolve_incident(resolve(None)).await.unwrap_err();
    assert_eq!(alone.code(), Code::FailedPrecondition, "{alone:?}");
    incidents
        .resolve_incident(resolve(Some(date(2019, 3, 15))))
        .await
        .unwrap();
    let view = |as_of| GetIncidentRequest {
        incident_id: incident_id.clone(),
        as_of: Some(as_of),
    };
    let on_12_march = incidents
        .get_incident(view(date(2019, 3, 12)))
        .await
        .unwrap()
        .into_inner();
    assert!(!on_12_march.open);
    assert!(on_12_march.resolution.is_some());
    assert_eq!(on_12_march.classification(), IncidentClassification::DisputeOrComplaint);
    assert!(
        incidents
            .get_incident(view(date(2019, 3, 16)))
            .await
            .unwrap()
            .into_inner()
            .open
    );

    let mut forces = ForcesClient::new(server.channel.clone());
    let group = thon_8_team_request(&village, ForceType::SocialSecurityGroup, None);
    forces.establish_team(group.clone()).await.unwrap();
    let households = |on: Date, households| RecordGroupHouseholdsRequest {
        header: header(on),
        team_id: group.team_id.clone(),
        households,
        source: "55/BC-BCĐ".into(),
    };
    forces
        .record_group_households(households(date(2023, 1, 1), 27))
        .await
        .unwrap();
    forces
        .record_group_households(households(date(2021, 1, 1), 31))
        .await
        .unwrap();
    let team_on = |as_of| GetTeamRequest {
        team_id: group.team_id.clone(),
        as_of: Some(as_of),
    };
    let in_2022 = forces.get_team(team_on(date(2022, 6, 1))).await.unwrap().into_inner();
    assert_eq!(in_2022.households, Some(31));
    let in_2024 = forces.get_team(team_on(date(2024, 6, 1))).await.unwrap().into_inner();
    assert_eq!(in_2024.households, Some(27));
}
