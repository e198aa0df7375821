//! End to end over gRPC: the team and member RPCs of the `antt.v1.Forces` service.
//!
//! Goal: the rules of forces hold through the API (no appointment to a dissolved team;
//! core force members need a passed vetting; no appointment over quota; one active head
//! and one deputy; one active role per person and team; leave then replace links leaver
//! and successor; a restructuring carries members over), each refusal is
//! FAILED_PRECONDITION with a message a clerk can act on, malformed requests are
//! INVALID_ARGUMENT naming the field, retries are idempotent and a stale expected version
//! is ABORTED.
//! Method: each test starts its own server, registers the areas and people it needs
//! through the Areas and Forces RPCs, and reads the outcome back with GetTeam.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use antt_e2e::v1::forces_client::ForcesClient;
use antt_e2e::v1::{
    AppointMemberRequest, AreaLevel, ChangeMemberRoleRequest, ChangeTeamQuotaRequest, CommandHeader, CommandResult,
    Date, DissolveTeamRequest, EstablishTeamRequest, EvaluateMemberRequest, ForceType, GetTeamRequest,
    HandOverTeamRequest, LeaveReason, MemberCarryOver, MemberLeavesRequest, MemberRole, MemberStatus,
    NominateMemberRequest, PayAllowanceRequest, PersonalData, RecordTrainingRequest, RegisterPersonRequest,
    ReplaceMemberRequest, RestructureKind, RestructureTeamRequest, TaskCompletionGrade, TeamMemberView, TeamStatus,
    TeamView, TermEnd, TermStart, VetMemberRequest, VettingOutcome,
};
use antt_e2e::{
    assert_field_violation, date, decided_by, header, new_id, read_stream, register_person_named,
    thanh_hoa_and_nga_thai, thon_8, thon_8_team_request, TestServer, NGA_THAI_CHAIRMAN,
};
use tonic::transport::Channel;
use tonic::{Code, Status};

type Forces = ForcesClient<Channel>;

/// A header with the commune chairman's decision that ordered the action, issued on the
/// effective date.
fn decided(on: Date, number: &str) -> Option<CommandHeader> {
    decided_by(on, number, NGA_THAI_CHAIRMAN)
}

/// A server with a province, one of its communes and a village of it registered.
struct World {
    server: TestServer,
    forces: Forces,
    village: String,
}

async fn world() -> World {
    let server = TestServer::start().await.unwrap();
    let (_, commune) = thanh_hoa_and_nga_thai(&server).await;
    let village = thon_8(&server, &commune).await;
    World {
        forces: ForcesClient::new(server.channel.clone()),
        server,
        village,
    }
}

impl World {
    fn establish_request(&self, force_type: ForceType, quota: Option<u32>) -> EstablishTeamRequest {
        thon_8_team_request(&self.village, force_type, quota)
    }

    /// Establishes a team on 2020-03-01; returns its id.
    async fn establish(&mut self, force_type: ForceType, quota: Option<u32>) -> String {
        let request = self.establish_request(force_type, quota);
        let team_id = request.team_id.clone();
        self.forces.establish_team(request).await.unwrap();
        team_id
    }

    /// Registers a person on 2019-01-01; returns their id.
    async fn person(&mut self, full_name: &str) -> String {
        register_person_named(&self.server.channel, date(2019, 1, 1), full_name).await
    }

    async fn nominate(&mut self, team_id: &str, person_id: &str) {
        self.forces
            .nominate_member(NominateMemberRequest {
                header: header(date(2020, 4, 1)),
                team_id: team_id.into(),
                person_id: person_id.into(),
                nominated_by: "Hội Cựu chiến binh xã".into(),
            })
            .await
            .unwrap();
    }

    async fn vet(&mut self, team_id: &str, person_id: &str, outcome: VettingOutcome) {
        self.forces
            .vet_member(VetMemberRequest {
                header: header(date(2020, 5, 1)),
                team_id: team_id.into(),
                person_id: person_id.into(),
                outcome: outcome.into(),
                vetted_by: "Bí thư Đảng ủy xã Nga Thái".into(),
            })
            .await
            .unwrap();
    }

    fn appoint_request(&self, team_id: &str, person_id: &str, role: MemberRole) -> AppointMemberRequest {
        AppointMemberRequest {
            header: decided(date(2020, 6, 1), "45/QĐ-UBND"),
            team_id: team_id.into(),
            person_id: person_id.into(),
            role: role.into(),
            ..Default::default()
        }
    }

    async fn appoint(&mut self, team_id: &str, person_id: &str, role: MemberRole) -> Result<CommandResult, Status> {
        let request = self.appoint_request(team_id, person_id, role);
        self.forces
            .appoint_member(request)
            .await
            .map(tonic::Response::into_inner)
    }

    async fn team(&mut self, team_id: &str) -> TeamView {
        self.forces
            .get_team(GetTeamRequest {
                team_id: team_id.into(),
                as_of: None,
            })
            .await
            .unwrap()
            .into_inner()
    }
}

fn member<'a>(view: &'a TeamView, person_id: &str) -> &'a TeamMemberView {
    view.members
        .iter()
        .find(|m| m.person_id == person_id)
        .unwrap_or_else(|| panic!("{person_id} is not in the team view"))
}

/// A broken rule: FAILED_PRECONDITION whose message contains `words`, written for a
/// clerk (lowercase start, no trailing period).
fn assert_rule(result: Result<impl std::fmt::Debug, Status>, words: &str) {
    let status = result.expect_err("the command should be refused");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(
        status.message().contains(words),
        "{:?} does not say {words:?}",
        status.message()
    );
    let first = status.message().chars().next().unwrap();
    assert!(!first.is_uppercase(), "{:?}", status.message());
    assert!(!status.message().ends_with('.'), "{:?}", status.message());
}

#[tokio::test]
async fn core_force_members_need_a_passed_vetting() {
    let mut w = world().await;
    let team = w.establish(ForceType::CoreForceTeam, Some(9)).await;
    let hung = w.person("Nguyễn Văn Hùng").await;
    let lan = w.person("Trần Thị Lan").await;

    assert_rule(w.appoint(&team, &hung, MemberRole::Member).await, "must pass vetting");
    w.nominate(&team, &hung).await;
    assert_rule(w.appoint(&team, &hung, MemberRole::Member).await, "must pass vetting");
    w.vet(&team, &hung, VettingOutcome::Passed).await;
    w.appoint(&team, &hung, MemberRole::Leader).await.unwrap();

    w.nominate(&team, &lan).await;
    w.vet(&team, &lan, VettingOutcome::Failed).await;
    assert_rule(w.appoint(&team, &lan, MemberRole::Member).await, "failed vetting");

    let view = w.team(&team).await;
    assert_eq!(view.active_member_count, 1);
    assert_eq!(member(&view, &hung).status(), MemberStatus::Active);
    assert_eq!(member(&view, &hung).vetting_outcome(), VettingOutcome::Passed);
    assert_eq!(member(&view, &hung).display_name, "Nguyễn Văn Hùng");
    assert_eq!(member(&view, &lan).status(), MemberStatus::VettingFailed);
    assert_eq!(member(&view, &lan).vetted_by, "Bí thư Đảng ủy xã Nga Thái");
}

#[tokio::test]
async fn quota_seats_and_one_role_per_person_are_enforced() {
    let mut w = world().await;
    let team = w.establish(ForceType::SecurityProtectionTeam, Some(3)).await;
    let mut people = Vec::new();
    for name in [
        "Lê Văn An",
        "Phạm Thị Bình",
        "Hoàng Văn Cường",
        "Đỗ Thị Dung",
        "Vũ Văn Em",
    ] {
        people.push(w.person(name).await);
    }
    w.appoint(&team, &people[0], MemberRole::Leader).await.unwrap();
    assert_rule(
        w.appoint(&team, &people[1], MemberRole::Leader).await,
        "already has an active leader",
    );
    w.appoint(&team, &people[1], MemberRole::Deputy).await.unwrap();
    assert_rule(
        w.appoint(&team, &people[2], MemberRole::Deputy).await,
        "already has an active deputy",
    );
    assert_rule(
        w.appoint(&team, &people[0], MemberRole::Member).await,
        "already holds an active role in this team",
    );
    w.appoint(&team, &people[2], MemberRole::Member).await.unwrap();
    assert_rule(
        w.appoint(&team, &people[3], MemberRole::Member).await,
        "quota (định biên) of 3",
    );

    // A role change keeps the seat rules: the deputy cannot become a second leader.
    let to_leader = ChangeMemberRoleRequest {
        header: header(date(2020, 7, 1)),
        team_id: team.clone(),
        person_id: people[1].clone(),
        new_role: MemberRole::Leader.into(),
    };
    assert_rule(
        w.forces.change_member_role(to_leader).await,
        "already has an active leader",
    );

    // Raising the quota makes room.
    w.forces
        .change_team_quota(ChangeTeamQuotaRequest {
            header: decided(date(2020, 7, 1), "60/QĐ-UBND"),
            team_id: team.clone(),
            new_quota: Some(4),
        })
        .await
        .unwrap();
    let mut late = w.appoint_request(&team, &people[3], MemberRole::Member);
    late.header = decided(date(2020, 7, 2), "61/QĐ-UBND");
    w.forces.appoint_member(late).await.unwrap();
    let view = w.team(&team).await;
    assert_eq!(view.quota, Some(4));
    assert_eq!(view.active_member_count, 4);
    // Lowering it below the active members is refused.
    let shrink = ChangeTeamQuotaRequest {
        header: header(date(2020, 8, 1)),
        team_id: team.clone(),
        new_quota: Some(2),
    };
    assert_rule(w.forces.change_team_quota(shrink).await, "below the 4 active members");
}

#[tokio::test]
async fn no_one_is_appointed_to_a_dissolved_team() {
    let mut w = world().await;
    let team = w.establish(ForceType::SocialSecurityGroup, None).await;
    let an = w.person("Lê Văn An").await;
    let binh = w.person("Phạm Thị Bình").await;
    w.appoint(&team, &an, MemberRole::Leader).await.unwrap();
    w.forces
        .dissolve_team(DissolveTeamRequest {
            header: decided(date(2021, 1, 1), "3/QĐ-UBND"),
            team_id: team.clone(),
            reason: "Sáp nhập thôn 8 vào thôn 7".into(),
        })
        .await
        .unwrap();
    let mut late = w.appoint_request(&team, &binh, MemberRole::Member);
    late.header = decided(date(2021, 2, 1), "9/QĐ-UBND");
    assert_rule(w.forces.appoint_member(late).await, "the team is dissolved");

    let view = w.team(&team).await;
    assert_eq!(view.status(), TeamStatus::Dissolved);
    assert_eq!(view.ended_on, Some(date(2021, 1, 1)));
    assert_eq!(view.active_member_count, 0);
    let an = member(&view, &an);
    assert_eq!(an.status(), MemberStatus::Left);
    assert_eq!(an.terms[0].ended_by(), TermEnd::Released);
}

#[tokio::test]
async fn a_leaver_is_linked_to_their_successor_and_history_is_kept() {
    let mut w = world().await;
    let team = w.establish(ForceType::SecurityProtectionTeam, Some(3)).await;
    let an = w.person("Lê Văn An").await;
    let binh = w.person("Phạm Thị Bình").await;
    w.appoint(&team, &an, MemberRole::Member).await.unwrap();
    w.forces
        .change_member_role(ChangeMemberRoleRequest {
            header: decided(date(2021, 1, 1), "2/QĐ-UBND"),
            team_id: team.clone(),
            person_id: an.clone(),
            new_role: MemberRole::Leader.into(),
        })
        .await
        .unwrap();
    w.forces
        .record_training(RecordTrainingRequest {
            header: header(date(2021, 3, 1)),
            team_id: team.clone(),
            person_id: an.clone(),
            course: "Tập huấn nghiệp vụ tổ bảo vệ ANTT".into(),
            organised_by: "Công an huyện Nga Sơn".into(),
        })
        .await
        .unwrap();
    w.forces
        .evaluate_member(EvaluateMemberRequest {
            header: header(date(2022, 1, 10)),
            team_id: team.clone(),
            person_id: an.clone(),
            period_year: 2021,
            grade: TaskCompletionGrade::Good.into(),
            evaluated_by: "UBND xã Nga Thái".into(),
        })
        .await
        .unwrap();
    w.forces
        .pay_allowance(PayAllowanceRequest {
            header: decided(date(2022, 1, 15), "15/NQ-HĐND"),
            team_id: team.clone(),
            person_id: an.clone(),
            amount_vnd: 1_200_000,
            period_start: Some(date(2021, 10, 1)),
            period_end: Some(date(2021, 12, 31)),
        })
        .await
        .unwrap();
    // A successor needs a leaver first.
    let replace = |on: Date| ReplaceMemberRequest {
        header: decided(on, "20/QĐ-UBND"),
        team_id: team.clone(),
        leaver_person_id: an.clone(),
        successor_person_id: binh.clone(),
        role: MemberRole::Unspecified.into(),
    };
    assert_rule(
        w.forces.replace_member(replace(date(2022, 3, 1))).await,
        "member who has left",
    );
    w.forces
        .member_leaves(MemberLeavesRequest {
            header: header(date(2022, 2, 1)),
            team_id: team.clone(),
            person_id: an.clone(),
            reason: LeaveReason::Relocated.into(),
        })
        .await
        .unwrap();
    w.forces.replace_member(replace(date(2022, 3, 1))).await.unwrap();
    assert_rule(
        w.forces.replace_member(replace(date(2022, 3, 2))).await,
        "already been replaced",
    );

    let view = w.team(&team).await;
    let leaver = member(&view, &an);
    assert_eq!(leaver.status(), MemberStatus::Left);
    assert_eq!(leaver.leave_reason(), LeaveReason::Relocated);
    assert_eq!(leaver.replaced_by_person_id, binh);
    let terms: Vec<(MemberRole, TermStart, TermEnd)> = leaver
        .terms
        .iter()
        .map(|t| (t.role(), t.started_by(), t.ended_by()))
        .collect();
    assert_eq!(
        terms,
        [
            (MemberRole::Member, TermStart::Appointed, TermEnd::RoleChanged),
            (MemberRole::Leader, TermStart::RoleChanged, TermEnd::Left),
        ]
    );
    assert_eq!(leaver.terms[1].until, Some(date(2022, 2, 1)));
    let successor = member(&view, &binh);
    assert_eq!(successor.status(), MemberStatus::Active);
    // The successor takes the leaver's last role.
    assert_eq!(successor.role(), MemberRole::Leader);
    assert_eq!(successor.replaces_person_id, an);
    assert_eq!(successor.terms[0].started_by(), TermStart::Replacement);
    assert_eq!(successor.terms[0].decision.as_ref().unwrap().number, "20/QĐ-UBND");
}

#[tokio::test]
async fn a_split_carries_members_over_and_a_retry_finishes_nothing_twice() {
    let mut w = world().await;
    let old = w.establish(ForceType::SecurityProtectionTeam, Some(4)).await;
    let mut people = Vec::new();
    for name in ["Lê Văn An", "Phạm Thị Bình", "Hoàng Văn Cường"] {
        people.push(w.person(name).await);
    }
    w.appoint(&old, &people[0], MemberRole::Leader).await.unwrap();
    w.appoint(&old, &people[1], MemberRole::Deputy).await.unwrap();
    w.appoint(&old, &people[2], MemberRole::Member).await.unwrap();
    // The successors are established first, naming the team they come from.
    let mut successors = Vec::new();
    for (name, quota) in [("Tổ bảo vệ ANTT thôn 8A", 3), ("Tổ bảo vệ ANTT thôn 8B", 1)] {
        let mut request = w.establish_request(ForceType::SecurityProtectionTeam, Some(quota));
        request.name = name.into();
        request.header = decided(date(2022, 1, 1), "1/QĐ-UBND");
        request.formed_from_team_ids = vec![old.clone()];
        successors.push(request.team_id.clone());
        w.forces.establish_team(request).await.unwrap();
    }
    let carry = |person: &str, to: &str, role: MemberRole| MemberCarryOver {
        person_id: person.into(),
        successor_team_id: to.into(),
        role: role.into(),
    };
    let mut split = RestructureTeamRequest {
        header: decided(date(2022, 1, 1), "2/QĐ-UBND"),
        team_id: old.clone(),
        kind: RestructureKind::Split.into(),
        successor_team_ids: successors.clone(),
        carried_over: vec![
            carry(&people[0], &successors[0], MemberRole::Unspecified),
            carry(&people[1], &successors[1], MemberRole::Member),
            carry(&people[2], &successors[1], MemberRole::Member),
        ],
        team_ends: true,
    };

    // 8B has room for one: the whole split is refused and nothing is written.
    let before = read_stream(&mut w.server.client, &format!("team-{old}"))
        .await
        .unwrap()
        .len();
    assert_rule(
        w.forces.restructure_team(split.clone()).await,
        "cannot receive the members",
    );
    let after = read_stream(&mut w.server.client, &format!("team-{old}"))
        .await
        .unwrap()
        .len();
    assert_eq!(before, after, "a refused restructuring writes nothing");

    split.header = decided(date(2022, 1, 1), "2/QĐ-UBND");
    split.carried_over[2] = carry(&people[2], &successors[0], MemberRole::Unspecified);
    let done = w.forces.restructure_team(split.clone()).await.unwrap().into_inner();
    assert_eq!(done.received.len(), 2);
    assert!(!done.restructured.as_ref().unwrap().deduplicated);
    let again = w.forces.restructure_team(split.clone()).await.unwrap().into_inner();
    assert!(again.restructured.as_ref().unwrap().deduplicated);
    assert!(again.received.iter().all(|r| r.deduplicated));
    assert_eq!(
        again.received.iter().map(|r| r.first_position).collect::<Vec<_>>(),
        done.received.iter().map(|r| r.first_position).collect::<Vec<_>>()
    );

    let old_view = w.team(&old).await;
    assert_eq!(old_view.status(), TeamStatus::Restructured);
    assert_eq!(old_view.successor_team_ids, successors);
    assert_eq!(old_view.active_member_count, 0);
    assert_eq!(member(&old_view, &people[0]).carried_over_to_team_id, successors[0]);
    assert_eq!(member(&old_view, &people[0]).terms[0].ended_by(), TermEnd::CarriedOver);

    let a = w.team(&successors[0]).await;
    assert_eq!(a.formed_from_team_ids, vec![old.clone()]);
    assert_eq!(a.active_member_count, 2);
    // Unspecified role: the one held in the old team.
    assert_eq!(member(&a, &people[0]).role(), MemberRole::Leader);
    assert_eq!(member(&a, &people[0]).received_from_team_id, old);
    assert_eq!(member(&a, &people[0]).terms[0].started_by(), TermStart::TransferredIn);
    let b = w.team(&successors[1]).await;
    assert_eq!(member(&b, &people[1]).role(), MemberRole::Member);

    // The same request id for another body is refused, not taken for a retry.
    split.team_ends = false;
    split.kind = RestructureKind::Realign.into();
    let reused = w.forces.restructure_team(split).await.unwrap_err();
    assert_eq!(reused.code(), Code::AlreadyExists, "{reused:?}");
}

#[tokio::test]
async fn other_records_must_exist() {
    let mut w = world().await;
    let mut unknown_area = w.establish_request(ForceType::SecurityProtectionTeam, None);
    unknown_area.area_id = new_id();
    assert_rule(w.forces.establish_team(unknown_area).await, "is not registered");

    let mut too_early = w.establish_request(ForceType::SecurityProtectionTeam, None);
    too_early.header = header(date(2005, 1, 1));
    assert_rule(w.forces.establish_team(too_early).await, "the area did not exist yet");

    let team = w.establish(ForceType::SecurityProtectionTeam, None).await;
    let stranger = new_id();
    assert_rule(
        w.appoint(&team, &stranger, MemberRole::Member).await,
        "register them with RegisterPerson",
    );
    let nominate = NominateMemberRequest {
        header: header(date(2020, 4, 1)),
        team_id: team.clone(),
        person_id: stranger,
        nominated_by: "Đoàn Thanh niên xã".into(),
    };
    assert_rule(w.forces.nominate_member(nominate).await, "is not registered");

    let absent = w
        .forces
        .get_team(GetTeamRequest {
            team_id: new_id(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(absent.code(), Code::NotFound);

    w.forces
        .hand_over_team(HandOverTeamRequest {
            header: decided(date(2021, 5, 1), "7/QĐ-UBND"),
            team_id: team.clone(),
            to_managing_level: AreaLevel::District.into(),
            to_managing_body: "Công an huyện Nga Sơn".into(),
        })
        .await
        .unwrap();
    let view = w.team(&team).await;
    assert_eq!(view.managing_level(), AreaLevel::District);
    assert_eq!(view.managing_body, "Công an huyện Nga Sơn");
}

#[tokio::test]
async fn malformed_requests_name_the_field() {
    let mut w = world().await;
    let team = w.establish(ForceType::SecurityProtectionTeam, Some(3)).await;
    let an = w.person("Lê Văn An").await;

    let mut no_header = w.appoint_request(&team, &an, MemberRole::Member);
    no_header.header = None;
    assert_field_violation(
        &w.forces.appoint_member(no_header).await.unwrap_err(),
        Code::InvalidArgument,
        &["header"],
    );

    let mut no_decision = w.appoint_request(&team, &an, MemberRole::Member);
    no_decision.header = header(date(2020, 6, 1));
    no_decision.person_id = "Lê Văn An".into();
    no_decision.role = 42;
    assert_field_violation(
        &w.forces.appoint_member(no_decision).await.unwrap_err(),
        Code::InvalidArgument,
        &["person_id", "role", "header.decision"],
    );

    let unspecified = w.appoint_request(&team, &an, MemberRole::Unspecified);
    assert_field_violation(
        &w.forces.appoint_member(unspecified).await.unwrap_err(),
        Code::InvalidArgument,
        &["role"],
    );

    let mut future_decision = w.appoint_request(&team, &an, MemberRole::Member);
    if let Some(decision) = future_decision.header.as_mut().and_then(|h| h.decision.as_mut()) {
        decision.issued_on = Some(date(2999, 1, 1));
    }
    assert_field_violation(
        &w.forces.appoint_member(future_decision).await.unwrap_err(),
        Code::InvalidArgument,
        &["header.decision"],
    );

    let mut nameless = w.establish_request(ForceType::SecurityProtectionTeam, None);
    nameless.name = "  ".into();
    assert_field_violation(
        &w.forces.establish_team(nameless).await.unwrap_err(),
        Code::InvalidArgument,
        &["name"],
    );

    let mut bad_sources = w.establish_request(ForceType::SecurityProtectionTeam, Some(0));
    bad_sources.formed_from_team_ids = vec!["thôn 7".into()];
    assert_field_violation(
        &w.forces.establish_team(bad_sources).await.unwrap_err(),
        Code::InvalidArgument,
        &["formed_from_team_ids[0]"],
    );
    let zero_quota = w.establish_request(ForceType::SecurityProtectionTeam, Some(0));
    assert_field_violation(
        &w.forces.establish_team(zero_quota).await.unwrap_err(),
        Code::InvalidArgument,
        &["quota"],
    );

    let bad_move = RestructureTeamRequest {
        header: decided(date(2022, 1, 1), "2/QĐ-UBND"),
        team_id: team.clone(),
        kind: RestructureKind::Realign.into(),
        successor_team_ids: vec![new_id()],
        carried_over: vec![MemberCarryOver {
            person_id: an.clone(),
            successor_team_id: "8B".into(),
            role: MemberRole::Member.into(),
        }],
        team_ends: false,
    };
    assert_field_violation(
        &w.forces.restructure_team(bad_move).await.unwrap_err(),
        Code::InvalidArgument,
        &["carried_over[0].successor_team_id"],
    );

    let bad_person = RegisterPersonRequest {
        header: header(date(2019, 1, 1)),
        person_id: new_id(),
        personal_data: Some(PersonalData {
            full_name: "Lê Văn Bảo".into(),
            citizen_id: "12345".into(),
            ..PersonalData::default()
        }),
    };
    assert_field_violation(
        &w.forces.register_person(bad_person).await.unwrap_err(),
        Code::InvalidArgument,
        &["personal_data.citizen_id"],
    );
}

#[tokio::test]
async fn retries_are_idempotent_and_request_ids_are_not_reused() {
    let mut w = world().await;
    let team = w.establish(ForceType::SecurityProtectionTeam, Some(3)).await;
    let an = w.person("Lê Văn An").await;
    let request = w.appoint_request(&team, &an, MemberRole::Leader);
    let first = w.forces.appoint_member(request.clone()).await.unwrap().into_inner();
    let retry = w.forces.appoint_member(request.clone()).await.unwrap().into_inner();
    assert!(!first.deduplicated);
    assert!(retry.deduplicated);
    assert_eq!(retry.first_position, first.first_position);
    assert_eq!(retry.event_types, ["antt.v1.MemberAppointed"]);
    assert_eq!(retry.stream_id, format!("team-{team}"));

    let mut other = request;
    other.role = MemberRole::Deputy.into();
    let reused = w.forces.appoint_member(other).await.unwrap_err();
    assert_eq!(reused.code(), Code::AlreadyExists, "{reused:?}");

    let establish = w.establish_request(ForceType::SelfManagementModel, None);
    let first = w.forces.establish_team(establish.clone()).await.unwrap().into_inner();
    let retry = w.forces.establish_team(establish).await.unwrap().into_inner();
    assert!(retry.deduplicated);
    assert_eq!(retry.stream_version, first.stream_version);
}

#[tokio::test]
async fn a_stale_expected_version_is_aborted() {
    let mut w = world().await;
    let team = w.establish(ForceType::SecurityProtectionTeam, Some(3)).await;
    let an = w.person("Lê Văn An").await;
    let binh = w.person("Phạm Thị Bình").await;
    let seen = w.team(&team).await.stream_version;

    let mut pinned = w.appoint_request(&team, &an, MemberRole::Leader);
    pinned.header.as_mut().unwrap().expected_version = Some(seen);
    w.forces.appoint_member(pinned).await.unwrap();

    let mut stale = w.appoint_request(&team, &binh, MemberRole::Deputy);
    stale.header.as_mut().unwrap().expected_version = Some(seen);
    let aborted = w.forces.appoint_member(stale).await.unwrap_err();
    assert_eq!(aborted.code(), Code::Aborted, "{aborted:?}");

    let mut stale_split = RestructureTeamRequest {
        header: decided(date(2022, 1, 1), "2/QĐ-UBND"),
        team_id: team.clone(),
        kind: RestructureKind::Realign.into(),
        successor_team_ids: vec![w.establish(ForceType::SecurityProtectionTeam, None).await],
        carried_over: vec![],
        team_ends: false,
    };
    stale_split.header.as_mut().unwrap().expected_version = Some(seen);
    let aborted = w.forces.restructure_team(stale_split).await.unwrap_err();
    assert_eq!(aborted.code(), Code::Aborted, "{aborted:?}");
}
