//! A clerk writes only inside their jurisdiction, for every kind of record that is placed
//! in an area (issue 10): one write of each kind, [`LocatedWrite`], made by clerks of
//! district A and district B inside and outside their districts and on either side of
//! the day the commune `World::moved` changed from district A to district B. The same
//! writes by a system principal bounded to district A, and by every role that records no
//! facts (every service's writes, not one call of each kind as in the role matrix).
//!
//! Each write gets what it needs first (a team, a person, a target, the record a
//! follow-up writes) from the province's clerk, who may write everywhere, so that only
//! the writer's jurisdiction can refuse it; a write that the domain refused for another
//! reason fails the test as surely as one accepted outside.

use super::*;
use antt_e2e::{thon_8_team_request, NGA_THAI_CHAIRMAN};
use tonic_types::StatusExt;

/// A day before the move (2020-01-01) and one after it.
fn before_the_move() -> Date {
    date(2019, 6, 1)
}

fn after_the_move() -> Date {
    date(2021, 6, 1)
}

/// The day the records a write needs are made: before either day a write is dated.
fn set_up_on() -> Date {
    date(2019, 1, 1)
}

/// A commune and a village of it: teams are formed in villages, so a team's place is its
/// village, which is its commune's.
struct Place {
    /// What failures call it.
    name: &'static str,
    commune: String,
    village: String,
}

/// A place in each of commune A, commune B and the commune that moved.
struct Places {
    a: Place,
    b: Place,
    moved: Place,
}

impl Places {
    async fn new(world: &World) -> Places {
        Places {
            a: Place::new(world, "commune A", &world.commune_a).await,
            b: Place::new(world, "commune B", &world.commune_b).await,
            moved: Place::new(world, "the moved commune", &world.moved).await,
        }
    }
}

impl Place {
    /// Registers a village of `commune`, from 2008, as the province's clerk.
    async fn new(world: &World, name: &'static str, commune: &str) -> Place {
        let request = area_request(date(2008, 1, 1), AreaLevel::ResidentialArea, "Thôn 1", commune);
        let mut areas = AreasClient::new(province_clerk(world));
        Place {
            name,
            commune: commune.to_string(),
            village: created(request.area_id.clone(), areas.register_area(request), "a village").await,
        }
    }
}

/// A clerk of the province, whose jurisdiction holds every commune.
fn province_clerk(world: &World) -> Authed {
    world.as_role("tinh", "clerk", Some(&world.province))
}

/// One write of each record kind that is in an area, and of each way a kind is placed
/// (a target by its scope or by the unit a value is of; an award by an area or a team).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LocatedWrite {
    /// Areas: a village registered in the commune.
    RegisterVillage,
    /// Areas: the commune's own population, a write in the district it is in on the day.
    RecordPopulation,
    /// Forces: a team established in the commune's village.
    EstablishTeam,
    /// Forces: a member appointed to a team of the commune's village.
    AppointMember,
    ReportIncident,
    /// Incidents: an incident of the commune, reported before the move, assigned.
    AssignIncident,
    ReceiveTip,
    RecordArrest,
    /// Ratings: the commune registers to strive for the year.
    RegisterToStrive,
    OpenInspection,
    /// Inspections: a finding of an inspection of the commune opened before the move.
    RecordFinding,
    /// Targets: a target set for the commune's villages.
    SetTarget,
    /// Targets: a value of the commune for a target of the province.
    RecordTargetValue,
    /// Targets: the commune's report for a target of the province.
    RecordTargetReport,
    /// Records: a resolution of the commune's Party committee.
    RecordDocument,
    ReportFigure,
    AwardToArea,
    AwardToTeam,
    /// Records: a training class the commune's People's Committee held.
    RecordConference,
    /// Records: the commune's police chief takes office.
    TakeOffice,
    /// Records: a police chief of the commune since before the move leaves office.
    LeaveOffice,
}

const LOCATED_WRITES: [LocatedWrite; 21] = [
    LocatedWrite::RegisterVillage,
    LocatedWrite::RecordPopulation,
    LocatedWrite::EstablishTeam,
    LocatedWrite::AppointMember,
    LocatedWrite::ReportIncident,
    LocatedWrite::AssignIncident,
    LocatedWrite::ReceiveTip,
    LocatedWrite::RecordArrest,
    LocatedWrite::RegisterToStrive,
    LocatedWrite::OpenInspection,
    LocatedWrite::RecordFinding,
    LocatedWrite::SetTarget,
    LocatedWrite::RecordTargetValue,
    LocatedWrite::RecordTargetReport,
    LocatedWrite::RecordDocument,
    LocatedWrite::ReportFigure,
    LocatedWrite::AwardToArea,
    LocatedWrite::AwardToTeam,
    LocatedWrite::RecordConference,
    LocatedWrite::TakeOffice,
    LocatedWrite::LeaveOffice,
];

impl LocatedWrite {
    /// The service the write is a call of (`antt.v1.<service>`).
    fn service(self) -> &'static str {
        use LocatedWrite::*;
        match self {
            RegisterVillage | RecordPopulation => "Areas",
            EstablishTeam | AppointMember => "Forces",
            ReportIncident | AssignIncident | ReceiveTip | RecordArrest => "Incidents",
            RegisterToStrive => "Ratings",
            OpenInspection | RecordFinding => "Inspections",
            SetTarget | RecordTargetValue | RecordTargetReport => "Targets",
            RecordDocument | ReportFigure | AwardToArea | AwardToTeam | RecordConference | TakeOffice | LeaveOffice => {
                "Records"
            }
        }
    }
}

/// What a write is about besides its place, made before it (empty if nothing): the
/// record it writes or names (a team, a target, an incident, an inspection, a tenure),
/// and a person.
#[derive(Default)]
struct Given {
    record_id: String,
    person_id: String,
}

/// The write that makes the record `kind` writes or names, if it is such a follow-up.
fn prerequisite(kind: LocatedWrite) -> Option<LocatedWrite> {
    use LocatedWrite::*;
    match kind {
        AppointMember | AwardToTeam => Some(EstablishTeam),
        AssignIncident => Some(ReportIncident),
        RecordFinding => Some(OpenInspection),
        LeaveOffice => Some(TakeOffice),
        _ => None,
    }
}

/// Makes what `kind` in `place` needs, as the province's clerk, before the move: a
/// follow-up after the move writes a record begun while the commune was A's.
async fn given(world: &World, kind: LocatedWrite, place: &Place) -> Given {
    use LocatedWrite::*;
    let person_id = match kind {
        AppointMember | TakeOffice | LeaveOffice => world.register_person("Nguyễn Văn Hùng").await,
        _ => String::new(),
    };
    let record_id = match (kind, prerequisite(kind)) {
        (RecordTargetValue | RecordTargetReport, _) => province_target(world).await,
        (_, Some(first)) => {
            let write = Write {
                world,
                clerk: province_clerk(world),
                place,
                on: set_up_on(),
                id: new_id(),
                given: Given {
                    record_id: String::new(),
                    person_id: person_id.clone(),
                },
            };
            let id = write.id.clone();
            if let Err(status) = write.make(first).await {
                panic!("{first:?} before {kind:?}: {status:?}");
            }
            id
        }
        _ => String::new(),
    };
    Given { record_id, person_id }
}

/// A target for the province's communes, whose values and reports are each commune's.
async fn province_target(world: &World) -> String {
    let request = target_request(&world.province, AreaLevel::Commune, set_up_on());
    let mut targets = TargetsClient::new(province_clerk(world));
    created(request.target_id.clone(), targets.set_target(request), "a target").await
}

/// A security protection team of `village`, established `on` (no quota, no vetting).
fn team_request(village: &str, on: Date) -> EstablishTeamRequest {
    EstablishTeamRequest {
        header: decided_by(on, "12/QĐ-UBND", NGA_THAI_CHAIRMAN),
        ..thon_8_team_request(village, ForceType::SecurityProtectionTeam, None)
    }
}

/// A target that every unit of `unit_level` in `scope` has a resolution and a plan on
/// security and order, 2019–2025, set `on`.
fn target_request(scope: &str, unit_level: AreaLevel, on: Date) -> SetTargetRequest {
    SetTargetRequest {
        header: decided_by(on, "09-NQ/TU", "Ban Thường vụ Tỉnh ủy Thanh Hóa"),
        target_id: new_id(),
        indicator: TargetIndicator::CommuneResolutionAndPlan.into(),
        description: "100% đơn vị có nghị quyết và kế hoạch về ANTT".into(),
        threshold: Some(set_target_request::Threshold::ShareAtLeast(ShareAtLeast {
            percent: 100,
        })),
        scope_area_id: scope.into(),
        unit_level: unit_level.into(),
        first_year: 2019,
        last_year: 2025,
        report_due_before: Some(MonthDay { month: 11, day: 30 }),
        unit_division_types: Vec::new(),
    }
}

/// The write of its kind, as the caller of `clerk`, in `place`, effective `on`; `id` is
/// the record's if the write creates one that a follow-up names (a team, an incident, an
/// inspection, a tenure).
struct Write<'a> {
    world: &'a World,
    clerk: Authed,
    place: &'a Place,
    on: Date,
    id: String,
    given: Given,
}

impl Write<'_> {
    async fn make(self, kind: LocatedWrite) -> Result<(), Status> {
        use LocatedWrite::*;
        match kind {
            RegisterVillage | RecordPopulation | EstablishTeam | AppointMember => self.areas_and_forces(kind).await,
            ReportIncident | AssignIncident | ReceiveTip | RecordArrest => self.incidents(kind).await,
            RegisterToStrive | OpenInspection | RecordFinding => self.ratings_and_inspections(kind).await,
            SetTarget | RecordTargetValue | RecordTargetReport => self.targets(kind).await,
            RecordDocument | ReportFigure | RecordConference => self.records(kind).await,
            TakeOffice | LeaveOffice => self.offices(kind).await,
            AwardToArea | AwardToTeam => self.award(kind).await,
        }
    }

    async fn areas_and_forces(self, kind: LocatedWrite) -> Result<(), Status> {
        let mut forces = ForcesClient::new(self.clerk.clone());
        match kind {
            // Named by the year, so that a village of either day is new in its commune.
            LocatedWrite::RegisterVillage => {
                let name = format!("Thôn {}", self.on.year);
                let village = area_request(self.on, AreaLevel::ResidentialArea, &name, &self.place.commune);
                AreasClient::new(self.clerk).register_area(village).await.map(drop)
            }
            LocatedWrite::RecordPopulation => {
                let population = RecordPopulationRequest {
                    header: header(self.on),
                    area_id: self.place.commune.clone(),
                    households: 900,
                    population: 3_600,
                    source: String::new(),
                };
                AreasClient::new(self.clerk)
                    .record_population(population)
                    .await
                    .map(drop)
            }
            LocatedWrite::EstablishTeam => {
                let establish = EstablishTeamRequest {
                    team_id: self.id,
                    ..team_request(&self.place.village, self.on)
                };
                forces.establish_team(establish).await.map(drop)
            }
            _ => forces
                .appoint_member(AppointMemberRequest {
                    header: decided_by(self.on, "45/QĐ-UBND", NGA_THAI_CHAIRMAN),
                    team_id: self.given.record_id,
                    person_id: self.given.person_id,
                    role: MemberRole::Member.into(),
                    ..AppointMemberRequest::default()
                })
                .await
                .map(drop),
        }
    }

    async fn incidents(self, kind: LocatedWrite) -> Result<(), Status> {
        let mut incidents = IncidentsClient::new(self.clerk);
        let area_id = self.place.commune.clone();
        match kind {
            LocatedWrite::ReportIncident => {
                let report = ReportIncidentRequest {
                    incident_id: self.id,
                    ..report_in(&area_id, self.on)
                };
                incidents.report_incident(report).await.map(drop)
            }
            LocatedWrite::AssignIncident => incidents
                .assign_incident(AssignIncidentRequest {
                    header: header(self.on),
                    incident_id: self.given.record_id,
                    level: HandlingLevel::CommunePolice.into(),
                    ..AssignIncidentRequest::default()
                })
                .await
                .map(drop),
            LocatedWrite::ReceiveTip => incidents
                .receive_tip(ReceiveTipRequest {
                    header: header(self.on),
                    tip_id: new_id(),
                    area_id,
                    category: IncidentCategory::Gambling.into(),
                    channel: "hòm thư tố giác tội phạm".into(),
                    summary: "tụ tập đánh bạc ở bãi sông".into(),
                })
                .await
                .map(drop),
            _ => incidents
                .record_arrest(RecordArrestRequest {
                    header: header(self.on),
                    arrest_id: new_id(),
                    area_id,
                    surrendered: true,
                    public_helped: true,
                    arrested_by: "Công an huyện".into(),
                    person_id: String::new(),
                })
                .await
                .map(drop),
        }
    }

    async fn ratings_and_inspections(self, kind: LocatedWrite) -> Result<(), Status> {
        let area_id = self.place.commune.clone();
        if kind == LocatedWrite::RegisterToStrive {
            let strive = RegisterToStriveRequest {
                header: header(self.on),
                unit_area_id: area_id,
                year: self.on.year,
            };
            return RatingsClient::new(self.clerk)
                .register_to_strive(strive)
                .await
                .map(drop);
        }
        let mut inspections = InspectionsClient::new(self.clerk);
        if kind == LocatedWrite::OpenInspection {
            let open = OpenInspectionRequest {
                header: decided_by(self.on, "03-BC/ĐKT", "Đoàn Kiểm tra số 02"),
                inspection_id: self.id,
                delegation: "Đoàn Kiểm tra số 02".into(),
                scope: "xây dựng phong trào toàn dân bảo vệ an ninh Tổ quốc".into(),
                inspected_area_id: area_id,
            };
            return inspections.open_inspection(open).await.map(drop);
        }
        let finding = RecordFindingRequest {
            header: header(self.on),
            inspection_id: self.given.record_id,
            finding_id: new_id(),
            kind: FindingKind::Strength.into(),
            text: "tổ bảo vệ ANTT hoạt động đều".into(),
        };
        inspections.record_finding(finding).await.map(drop)
    }

    async fn targets(self, kind: LocatedWrite) -> Result<(), Status> {
        let mut targets = TargetsClient::new(self.clerk);
        let (unit_area_id, year) = (self.place.commune.clone(), self.on.year);
        match kind {
            LocatedWrite::SetTarget => targets
                .set_target(target_request(&unit_area_id, AreaLevel::ResidentialArea, self.on))
                .await
                .map(drop),
            LocatedWrite::RecordTargetValue => targets
                .record_target_value(RecordTargetValueRequest {
                    header: header(self.on),
                    target_id: self.given.record_id,
                    unit_area_id,
                    year,
                    value: Some(record_target_value_request::Value::Achieved(true)),
                    source: "báo cáo của Ban Chỉ đạo xã".into(),
                })
                .await
                .map(drop),
            _ => targets
                .record_target_report_submitted(RecordTargetReportSubmittedRequest {
                    header: header(self.on),
                    target_id: self.given.record_id,
                    unit_area_id,
                    year,
                })
                .await
                .map(drop),
        }
    }

    async fn records(self, kind: LocatedWrite) -> Result<(), Status> {
        let mut records = RecordsClient::new(self.clerk);
        let commune = self.place.commune.clone();
        let on = self.on;
        match kind {
            LocatedWrite::RecordDocument => records
                .record_document(RecordDocumentRequest {
                    header: header(on),
                    document_id: new_id(),
                    kind: DocumentKind::Resolution.into(),
                    number: "01-NQ/ĐU".into(),
                    subject: "Nghị quyết về công tác bảo đảm an ninh, trật tự".into(),
                    issued_by: body(BodyKind::PartyCommittee, "Đảng ủy xã", &commune),
                    topic: DocumentTopic::SecurityAndOrder.into(),
                    ..RecordDocumentRequest::default()
                })
                .await
                .map(drop),
            LocatedWrite::ReportFigure => records.report_figure(figure_of(&commune, on)).await.map(drop),
            _ => records
                .record_conference(RecordConferenceRequest {
                    header: header(on),
                    conference_id: new_id(),
                    kind: ConferenceKind::TrainingClass.into(),
                    topic: "Tập huấn nghiệp vụ cho tổ bảo vệ ANTT".into(),
                    organiser: body(BodyKind::PeoplesCommittee, "UBND xã", &commune),
                    last_day: Some(on),
                    participants: Some(30),
                })
                .await
                .map(drop),
        }
    }

    async fn offices(self, kind: LocatedWrite) -> Result<(), Status> {
        let mut records = RecordsClient::new(self.clerk);
        if kind == LocatedWrite::TakeOffice {
            let take = TakeOfficeRequest {
                header: decided_by(self.on, "25/QĐ-UBND", NGA_THAI_CHAIRMAN),
                tenure_id: self.id,
                person_id: self.given.person_id,
                area_id: self.place.commune.clone(),
                kind: OfficeKind::CommunePoliceChief.into(),
                ..TakeOfficeRequest::default()
            };
            return records.take_office(take).await.map(drop);
        }
        let leave = LeaveOfficeRequest {
            header: header(self.on),
            tenure_id: self.given.record_id,
            reason: LeaveReason::TermEnded.into(),
            details: String::new(),
        };
        records.leave_office(leave).await.map(drop)
    }

    /// A certificate of merit of the province: the recipient's place is the award's.
    async fn award(self, kind: LocatedWrite) -> Result<(), Status> {
        use grant_award_request::Recipient;
        let recipient = if kind == LocatedWrite::AwardToTeam {
            Recipient::TeamId(self.given.record_id)
        } else {
            Recipient::AreaId(self.place.commune.clone())
        };
        let grant = GrantAwardRequest {
            header: decided_by(self.on, "1234/QĐ-UBND", "Chủ tịch UBND tỉnh Thanh Hóa"),
            award_id: new_id(),
            kind: AwardKind::CertificateOfMerit.into(),
            award_name: String::new(),
            recipient: Some(recipient),
            granted_by: body(BodyKind::PeoplesCommittee, "UBND tỉnh Thanh Hóa", &self.world.province),
            achievement: "thành tích xuất sắc trong phong trào toàn dân bảo vệ ANTQ".into(),
        };
        RecordsClient::new(self.clerk).grant_award(grant).await.map(drop)
    }
}

fn body(kind: BodyKind, name: &str, area_id: &str) -> Option<BodyRef> {
    Some(BodyRef {
        kind: kind.into(),
        name: name.into(),
        area_id: area_id.into(),
    })
}

/// The households in the commune's social security groups the year before `on`.
fn figure_of(commune: &str, on: Date) -> ReportFigureRequest {
    ReportFigureRequest {
        header: decided_by(on, "55/BC-BCĐ", "Ban Chỉ đạo 138 huyện"),
        figure_id: new_id(),
        unit_area_id: commune.into(),
        indicator: FigureIndicator::HouseholdsInSocialSecurityGroups.into(),
        force_type: ForceType::SocialSecurityGroup.into(),
        period: Some(report_figure_request::Period::Year(on.year - 1)),
        value: Some(FigureValue {
            count: 120,
            precision: FigurePrecision::Exact.into(),
            out_of: None,
            share_permille: None,
        }),
        ..ReportFigureRequest::default()
    }
}

/// Who writes: a clerk of either district, the registry system with a token that names
/// district A as its jurisdiction, or another role (subject, role) with no jurisdiction.
#[derive(Clone, Copy, Debug)]
enum Writer {
    ClerkA,
    ClerkB,
    SystemA,
    Unbounded(&'static str, &'static str),
}

impl Writer {
    fn channel(self, world: &World) -> Authed {
        match self {
            Writer::ClerkA => world.as_role("nguyenvana", "clerk", Some(&world.district_a)),
            Writer::ClerkB => world.as_role("tranthib", "clerk", Some(&world.district_b)),
            Writer::SystemA => world.as_role("registry", "system", Some(&world.district_a)),
            Writer::Unbounded(sub, role) => world.as_role(sub, role, None),
        }
    }
}

/// How a write must be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Accepted,
    /// PERMISSION_DENIED, outside the writer's jurisdiction (ngoài địa bàn).
    Outside,
    /// PERMISSION_DENIED, not a call the writer's role (or grant) may make.
    NotTheirs,
}

/// Who writes where, on which day, and how the write must be answered.
struct Case<'a> {
    writer: Writer,
    place: &'a Place,
    on: Date,
    answer: Answer,
}

impl Case<'_> {
    fn describe(&self) -> String {
        let on = self.on;
        let (place, writer) = (self.place.name, self.writer);
        format!("{writer:?} in {place} on {}-{:02}-{:02}", on.year, on.month, on.day)
    }
}

fn case(writer: Writer, place: &Place, on: Date, answer: Answer) -> Case<'_> {
    Case {
        writer,
        place,
        on,
        answer,
    }
}

/// The clerk of district A inside and outside it, and both clerks on either side of the
/// move: before it the commune is A's, after it B's. Each refusal comes before the write
/// that is accepted in the same place on the same day: a record of one unit and year (a
/// rating) is then still new, so the domain has nothing to refuse before the jurisdiction.
fn clerk_cases(places: &Places, _: LocatedWrite) -> Vec<Case<'_>> {
    use Answer::*;
    let (before, after) = (before_the_move(), after_the_move());
    vec![
        case(Writer::ClerkA, &places.b, after, Outside),
        case(Writer::ClerkA, &places.a, after, Accepted),
        case(Writer::ClerkB, &places.moved, before, Outside),
        case(Writer::ClerkA, &places.moved, before, Accepted),
        case(Writer::ClerkA, &places.moved, after, Outside),
        case(Writer::ClerkB, &places.moved, after, Accepted),
    ]
}

/// Makes `kind`'s write of `case`; what was wrong with the answer, if anything.
async fn attempt(world: &World, kind: LocatedWrite, case: &Case<'_>) -> Result<(), String> {
    let given = given(world, kind, case.place).await;
    let head_before = world.head().await;
    let write = Write {
        world,
        clerk: case.writer.channel(world),
        place: case.place,
        on: case.on,
        id: new_id(),
        given,
    };
    let status = match (case.answer, write.make(kind).await) {
        (Answer::Accepted, Ok(())) => return Ok(()),
        (Answer::Accepted, Err(status)) => return Err(format!("refused: {status:?}")),
        (_, Ok(())) => return Err("accepted".into()),
        (_, Err(status)) => status,
    };
    let reason = status.get_details_error_info().map(|info| info.reason);
    let right = match case.answer {
        Answer::Outside => {
            reason.as_deref() == Some("OUTSIDE_JURISDICTION") && status.message().contains("ngoài địa bàn")
        }
        _ => reason.as_deref() == Some("ACCESS_DENIED"),
    };
    if status.code() != Code::PermissionDenied || !right {
        return Err(format!("not refused as {:?}: {status:?}", case.answer));
    }
    // A denial writes nothing.
    if world.head().await != head_before {
        return Err("denied, but the log grew".into());
    }
    Ok(())
}

/// The cases of a kind of write.
type Cases = fn(&Places, LocatedWrite) -> Vec<Case<'_>>;

/// Every case of every kind in a fresh world; a line for each wrong answer.
async fn wrong_answers(kinds: &[LocatedWrite], cases: Cases) -> Vec<String> {
    let world = World::new().await;
    let places = Places::new(&world).await;
    let mut wrong = Vec::new();
    for &kind in kinds {
        for case in cases(&places, kind) {
            if let Err(why) = attempt(&world, kind, &case).await {
                wrong.push(format!("{kind:?}, {}: {why}", case.describe()));
            }
        }
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_located_write_is_judged_by_the_jurisdiction_on_its_date() {
    let wrong = wrong_answers(&LOCATED_WRITES, clerk_cases).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Whether the registry was granted the service of `kind` (see `GRANTS`).
fn registry_may(kind: LocatedWrite) -> bool {
    ["Areas", "Forces", "Incidents"].contains(&kind.service())
}

/// A system principal whose token names a jurisdiction is bounded by it as a clerk is:
/// the writes the registry was granted, with district A's jurisdiction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_whose_token_names_a_jurisdiction_writes_only_inside_it() {
    let granted: Vec<LocatedWrite> = LOCATED_WRITES.into_iter().filter(|kind| registry_may(*kind)).collect();
    let wrong = wrong_answers(&granted, |places, _| {
        let after = after_the_move();
        vec![
            case(Writer::SystemA, &places.b, after, Answer::Outside),
            case(Writer::SystemA, &places.a, after, Answer::Accepted),
        ]
    })
    .await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every role but the clerk, on every service's located writes: inspectors, analysts,
/// administrators and migration record no facts; a system principal records what it was
/// granted, and without a jurisdiction in its token, anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_that_record_no_facts_are_refused_every_located_write() {
    let wrong = wrong_answers(&LOCATED_WRITES, |places, kind| {
        // Whether the role may make the write: "courts" was granted ReportIncident alone.
        let roles = [
            ("thanhtra", "inspector", false),
            ("phantich", "analyst", false),
            ("quantri", "administrator", false),
            ("chuyendoi", "migration", false),
            ("courts", "system", kind == LocatedWrite::ReportIncident),
            ("registry", "system", registry_may(kind)),
        ];
        let answer = |may: bool| if may { Answer::Accepted } else { Answer::NotTheirs };
        let role_case = |(sub, role, may)| case(Writer::Unbounded(sub, role), &places.b, after_the_move(), answer(may));
        roles.into_iter().map(role_case).collect()
    })
    .await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A person belongs to no area: clerks anywhere register the persons they appoint, and a
/// clerk whose token names no jurisdiction writes nothing located, so may do this too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_clerk_registers_a_person() {
    let world = World::new().await;
    let clerks = [
        ("nguyenvana", Some(&world.district_a)),
        ("tranthib", Some(&world.district_b)),
        ("vodanh", None),
    ];
    for (sub, jurisdiction) in clerks {
        ForcesClient::new(world.as_role(sub, "clerk", jurisdiction.map(String::as_str)))
            .register_person(person_request(after_the_move(), "Trần Thị Lan"))
            .await
            .unwrap_or_else(|status| panic!("{sub} registers a person: {status:?}"));
    }
}
