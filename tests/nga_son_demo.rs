//! `antt demo nga-son` against the real server: Nga Sơn's decade 2008–2018 (seed `001_…`,
//! Báo cáo số 55/BC-BCĐ of 12/6/2018) reproduced through the public API.
//!
//! Goal: after `antt import areas` and the demo, the projections give every figure of the
//! report for the year it belongs to, and earlier years as they stood then; a second run
//! records nothing; a correction recorded afterwards changes the answer for now but not
//! for a `known_at` before it.
//! Method: one server; the importer and the demo run as library calls of the `antt`
//! crate (the same code as the CLI). Figures come from the Projections service where it
//! has a query for them, and otherwise from the events themselves (EventStore.ReadAll
//! filtered by event type): arrests, key complex areas, documents, conferences and awards. Expected counts are the report's literal figures
//! where it gives one; yearly breakdowns it does not give come from the demo's published
//! tables (`antt::demo::figures`), whose sums the demo's unit tests tie to the report.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use antt::demo::figures::{self, IncidentYear};
use antt::demo::NgaSonArgs;
use antt::import::{AreasArgs, SendArgs};
use antt_e2e::v1::projections_client::ProjectionsClient;
use antt_e2e::v1::ratings_client::RatingsClient;
use antt_e2e::v1::{self as pb, area_selector, AreaLevel, AreaSelector, Date, ForceType, HandlingLevel, TimeAxes};
use antt_e2e::{date, head, now_timestamp, read_all_filtered, TestServer};
use prost::Message;
use tonic::transport::Channel;

type Projections = ProjectionsClient<Channel>;

const REPORT_DAY: Date = Date {
    year: figures::REPORT_DAY.0,
    month: figures::REPORT_DAY.1,
    day: figures::REPORT_DAY.2,
};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn nga_son() -> Option<AreaSelector> {
    Some(AreaSelector {
        area: Some(area_selector::Area::Code("401".into())),
    })
}

fn year_end(year: i32) -> Date {
    if year == REPORT_DAY.year {
        REPORT_DAY
    } else {
        date(year, 12, 31)
    }
}

fn period(from: Date, to: Date) -> Option<pb::Period> {
    Some(pb::Period {
        from: Some(from),
        to: Some(to),
    })
}

/// Percent to one decimal, as we compare them.
fn one_decimal(percent: f64) -> f64 {
    (percent * 10.0).round() / 10.0
}

fn share(part: u32, whole: u32) -> f64 {
    one_decimal(f64::from(part) * 100.0 / f64::from(whole))
}

/// The projections read on two axes, every answer after the log position `min_position`.
struct Reader {
    projections: Projections,
    min_position: u64,
}

impl Reader {
    fn axes(&self, as_of: Date, known_at: Option<prost_types::Timestamp>) -> Option<TimeAxes> {
        Some(TimeAxes {
            as_of: Some(as_of),
            known_at,
            min_position: self.min_position,
        })
    }

    async fn forces(&mut self, as_of: Date, from: Date) -> HashMap<i32, pb::ForceCount> {
        let request = pb::ForcesSummaryRequest {
            axes: self.axes(as_of, None),
            area: nga_son(),
            period: period(from, as_of),
        };
        let response = self.projections.get_forces_summary(request).await.unwrap().into_inner();
        response
            .forces
            .into_iter()
            .map(|force| (force.force_type, force))
            .collect()
    }

    async fn force(&mut self, as_of: Date, from: Date, force: ForceType) -> pb::ForceCount {
        self.forces(as_of, from)
            .await
            .remove(&(force as i32))
            .unwrap_or_default()
    }

    async fn incidents(&mut self, from: Date, to: Date) -> pb::IncidentSummaryResponse {
        let request = pb::IncidentSummaryRequest {
            axes: self.axes(to, None),
            area: nga_son(),
            period: period(from, to),
        };
        self.projections
            .get_incident_summary(request)
            .await
            .unwrap()
            .into_inner()
    }

    async fn ratings(
        &mut self,
        year: i32,
        level: AreaLevel,
        as_of: Date,
        known_at: Option<prost_types::Timestamp>,
    ) -> pb::RatingSummaryResponse {
        let request = pb::RatingSummaryRequest {
            axes: self.axes(as_of, known_at),
            area: nga_son(),
            year,
            unit_level: level.into(),
        };
        self.projections.get_rating_summary(request).await.unwrap().into_inner()
    }

    async fn coverage(&mut self, as_of: Date) -> pb::CoverageResponse {
        let request = pb::CoverageRequest {
            axes: self.axes(as_of, None),
            area: nga_son(),
        };
        self.projections.get_coverage(request).await.unwrap().into_inner()
    }
}

fn by_level(summary: &pb::IncidentSummaryResponse, level: HandlingLevel) -> (u32, f64) {
    summary
        .by_level
        .iter()
        .find(|share| share.level == level as i32)
        .map_or((0, 0.0), |share| (share.count, share.percent))
}

fn by_resolution(summary: &pb::IncidentSummaryResponse, resolution: pb::IncidentResolution) -> u32 {
    summary
        .by_resolution
        .iter()
        .find(|count| count.resolution == resolution as i32)
        .map_or(0, |count| count.count)
}

fn streak(summary: &pb::RatingSummaryResponse, years: u32) -> u32 {
    summary
        .consecutive_safe
        .iter()
        .find(|streak| streak.years_at_least == years)
        .map_or(0, |streak| streak.units)
}

// About 100,000 requests sent twice: minutes in a debug build, too long for the suite that
// `cargo test --workspace` runs on every change. `.ci/run` runs it after that suite.
#[ignore = "minutes long: run with --ignored (CI does)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_decade_of_nga_son_gives_the_figures_of_its_report() {
    let started = Instant::now();
    // Durability is not what this test is about, and it writes 32,524 person keys: the key
    // store creates them one at a time, each after two fsyncs (the file, the directory),
    // which alone takes minutes on a busy disk. So the keys live in memory (tmpfs) where
    // there is one, and appends are acknowledged after sled's flush without fdatasync.
    let keys = tempfile::Builder::new()
        .prefix("antt-nga-son-keys-")
        .tempdir_in("/dev/shm")
        .ok();
    let key_dir = keys.as_ref().map(|dir| dir.path().to_path_buf());
    let server = TestServer::start_with(|config| {
        config.key_dir = key_dir;
        config.sync_mode = anttd::SyncModeArg::Flush;
    })
    .await
    .unwrap();
    let url = format!("http://{}", server.addr);

    // `antt import areas --file …/admin-units-2024.csv --only-under 401`.
    antt::import::run_areas(
        &url,
        AreasArgs {
            file: repo_root().join("reference/admin-units/admin-units-2024.csv"),
            list_id: None,
            valid_from: date(2004, 7, 8),
            only_under: Some("401".into()),
            send: SendArgs {
                concurrency: 32,
                dry_run: false,
            },
        },
    )
    .await
    .unwrap();

    // `antt demo nga-son`, twice: the second run is answered from the log.
    let args = NgaSonArgs {
        units: repo_root().join("reference/admin-units/admin-units-2024.csv"),
        list_id: "2024".into(),
        concurrency: 32,
        connections: 4,
        dry_run: false,
    };
    let first = antt::demo::nga_son(&url, &args, false).await.unwrap();
    let demo_seconds = first.seconds;
    assert_eq!(first.recorded, first.requests as u64, "{first:?}");
    let mut log = server.client.clone();
    let head_after_first = head(&mut log).await.unwrap();
    let second = antt::demo::nga_son(&url, &args, false).await.unwrap();
    assert_eq!(
        (second.recorded, second.already_recorded),
        (0, first.requests as u64),
        "a second run records nothing"
    );
    assert_eq!(head(&mut log).await.unwrap(), head_after_first, "the log did not grow");
    eprintln!(
        "demo: {} requests, first run {demo_seconds:.1} s, second {:.1} s; {} events; {:?}",
        first.requests, second.seconds, head_after_first.next_position, first.stages
    );

    let mut reader = Reader {
        projections: ProjectionsClient::new(server.channel.clone()),
        min_position: head_after_first.next_position,
    };
    let decade_start = date(2008, 1, 1);
    check_forces(&mut reader, decade_start).await;
    check_coverage(&mut reader).await;
    check_models(&mut reader).await;
    check_incidents(&mut reader, decade_start).await;
    check_ratings(&mut reader).await;
    check_pledges_and_consolidation(&mut reader, decade_start).await;
    check_records_without_projection(&server).await;
    check_a_correction_on_both_axes(&server, &mut reader).await;
    eprintln!("test: {:.1} s in all", started.elapsed().as_secs_f64());
    server.shutdown().await.unwrap();
    drop(keys);
}

async fn check_forces(reader: &mut Reader, decade_start: Date) {
    let formed = date(2008, 5, 25);
    let committees = reader.force(formed, formed, ForceType::SteeringCommittee).await;
    assert_eq!(
        (committees.teams, committees.members),
        (figures::COMMUNES, figures::COMMITTEE_MEMBERS_2008),
        "710/QĐ-UBND of 25/5/2008: 27 committees, 501 members"
    );
    // As they stood in 2008 and in 2011, before the 2012 additions; 613 from 2012.
    for (year, members) in [
        (2008, figures::COMMITTEE_MEMBERS_2008),
        (2011, figures::COMMITTEE_MEMBERS_2008),
        (2012, figures::COMMITTEE_MEMBERS_2018),
    ] {
        let committees = reader
            .force(date(year, 12, 31), date(year, 1, 1), ForceType::SteeringCommittee)
            .await;
        assert_eq!((committees.teams, committees.members), (27, members), "{year}");
    }

    let decade = reader.forces(REPORT_DAY, decade_start).await;
    let committees = &decade[&(ForceType::SteeringCommittee as i32)];
    assert_eq!((committees.teams, committees.members), (27, 613));
    assert_eq!(
        (committees.departures, committees.replacements),
        (463, 463),
        "463 members replaced in ten years"
    );
    assert_eq!(committees.joins, 501 + 463 + 112);
    let reasons: BTreeMap<i32, u32> = committees
        .departures_by_reason
        .iter()
        .map(|reason| (reason.reason, reason.count))
        .collect();
    assert_eq!(
        reasons,
        BTreeMap::from([
            (
                pb::LeaveReason::Transferred as i32,
                463 - figures::COMMITTEE_RETIREMENTS
            ),
            (pb::LeaveReason::Retired as i32, figures::COMMITTEE_RETIREMENTS),
        ]),
        "luân chuyển công tác và nghỉ chế độ"
    );
    let sub_committees = &decade[&(ForceType::VillageSubCommittee as i32)];
    assert_eq!((sub_committees.teams, sub_committees.members), (234, 468));
    let teams = &decade[&(ForceType::SecurityProtectionTeam as i32)];
    assert_eq!((teams.teams, teams.members), (234, 702), "234 teams, 702 members");
    assert_eq!((teams.quota, teams.teams_at_quota), (702, 234));
    assert_eq!((teams.departures, teams.replacements), (234, 234));
    let groups = &decade[&(ForceType::SocialSecurityGroup as i32)];
    assert_eq!(
        (groups.teams, groups.members),
        (1_245, 2 * 1_245),
        "1245 groups, 1245 leaders and 1245 deputies"
    );
    assert_eq!(
        (groups.departures, groups.replacements),
        (997, 997),
        "gần 1.000 replaced"
    );
    let models = &decade[&(ForceType::SelfManagementModel as i32)];
    assert_eq!((models.teams, models.members), (372, 26_791));

    // The protection teams were restructured in 2013, and only then.
    for year in 2008..=2018 {
        let teams = reader
            .force(year_end(year), date(year, 1, 1), ForceType::SecurityProtectionTeam)
            .await;
        let expected = if year == figures::PROTECTION_TEAMS_RESTRUCTURED {
            234
        } else {
            0
        };
        assert_eq!((teams.teams, teams.members), (234, 702), "{year}");
        assert_eq!((teams.departures, teams.replacements), (expected, expected), "{year}");
        // 4191/QĐ-UBND is in force from 04/03/2013; by the year's end every deputy is
        // the thôn đội trưởng and every leader the công an viên.
        let under_policy = if year >= figures::PROTECTION_TEAMS_RESTRUCTURED {
            234
        } else {
            0
        };
        assert_eq!(
            (teams.teams_under_policy, teams.teams_not_conforming),
            (under_policy, 0),
            "{year}"
        );
    }
    // On its first day only the first commune's deputies had given way (không đúng cơ cấu).
    let first_day = date(figures::PROTECTION_TEAMS_RESTRUCTURED, 3, 4);
    let teams = reader
        .force(first_day, first_day, ForceType::SecurityProtectionTeam)
        .await;
    assert_eq!(teams.teams_under_policy, 234);
    assert!(
        0 < teams.teams_not_conforming && teams.teams_not_conforming < 234,
        "{} teams not conforming on {first_day:?}",
        teams.teams_not_conforming
    );
    // Replacements year by year, as the demo's tables put them.
    for (year, replaced) in figures::COMMITTEE_REPLACEMENTS_BY_YEAR {
        let committees = reader
            .force(year_end(year), date(year, 1, 1), ForceType::SteeringCommittee)
            .await;
        assert_eq!(committees.replacements, replaced, "committee replacements in {year}");
    }
    for (year, replaced) in figures::GROUP_REPLACEMENTS_BY_YEAR {
        let groups = reader
            .force(year_end(year), date(year, 1, 1), ForceType::SocialSecurityGroup)
            .await;
        assert_eq!(groups.replacements, replaced, "group replacements in {year}");
    }
    let groups_2008 = reader
        .force(date(2008, 12, 31), decade_start, ForceType::SocialSecurityGroup)
        .await;
    assert_eq!((groups_2008.teams, groups_2008.members), (1_242, 2 * 1_242));
}

async fn check_coverage(reader: &mut Reader) {
    let in_2008 = reader.coverage(date(2008, 12, 31)).await;
    assert_eq!(
        (
            in_2008.social_security_groups,
            in_2008.groups_counted,
            in_2008.households_in_groups
        ),
        (
            figures::GROUPS_2008,
            figures::GROUPS_2008,
            figures::GROUP_HOUSEHOLDS_2008
        ),
        "1242 groups, 33,069 households in 2008"
    );
    assert_eq!(in_2008.households_of_area, figures::DISTRICT_HOUSEHOLDS_2008);
    assert_eq!(one_decimal(in_2008.percent), 89.2);
    let now = reader.coverage(REPORT_DAY).await;
    assert_eq!(
        (
            now.social_security_groups,
            now.households_in_groups,
            now.households_of_area
        ),
        (
            figures::GROUPS_2018,
            figures::GROUP_HOUSEHOLDS_2018,
            figures::DISTRICT_HOUSEHOLDS_2018
        ),
        "1245 groups, 38,446 households"
    );
    assert_eq!(one_decimal(now.percent), 96.0);
}

async fn check_models(reader: &mut Reader) {
    let request = pb::RosterRequest {
        axes: reader.axes(REPORT_DAY, None),
        area: nga_son(),
        force_type: ForceType::SelfManagementModel.into(),
    };
    let roster = reader.projections.get_roster(request).await.unwrap().into_inner();
    for model in figures::MODELS {
        let teams: Vec<&pb::TeamRow> = roster
            .teams
            .iter()
            .filter(|team| team.name.starts_with(model.name))
            .collect();
        let members: usize = teams.iter().map(|team| team.members.len()).sum();
        let expected_teams = match model.scope {
            figures::ModelScope::EveryResidentialArea => 234,
            figures::ModelScope::EveryCommune => 27,
            figures::ModelScope::Communes(n) => n as usize,
        };
        assert_eq!(
            (teams.len(), members),
            (expected_teams, model.members as usize),
            "{}",
            model.name
        );
    }
    // “Nông dân với ANTT”: 234 units, 18,900 members (the report's own figures).
    assert_eq!(figures::MODELS[0].members, 18_900);
}

async fn check_incidents(reader: &mut Reader, decade_start: Date) {
    let decade = reader.incidents(decade_start, REPORT_DAY).await;
    assert!(decade.reported > 5_000, "hơn 5.000 vụ việc");
    assert_eq!((decade.reported, decade.resolved), (5_220, 5_220));
    use pb::IncidentResolution as R;
    assert_eq!(
        (by_resolution(&decade, R::Prosecution), decade.defendants),
        (374, 617),
        "khởi tố 374 vụ, 617 bị can"
    );
    assert_eq!(
        (
            by_resolution(&decade, R::AdministrativeSanction),
            decade.sanctioned_subjects
        ),
        (409, 723),
        "xử lý hành chính 409 vụ, 723 đối tượng"
    );
    let (district, district_percent) = by_level(&decade, HandlingLevel::DistrictPolice);
    let (province, province_percent) = by_level(&decade, HandlingLevel::ProvincePolice);
    assert_eq!(district + province, 374 + 409);
    assert_eq!(one_decimal(district_percent + province_percent), 15.0, "15 %");
    let (commune_police, percent) = by_level(&decade, HandlingLevel::CommunePolice);
    assert_eq!((commune_police, one_decimal(percent)), (992, 19.0), "gần 1.000, 19 %");
    let (teams, percent) = by_level(&decade, HandlingLevel::SecurityProtectionTeam);
    assert_eq!((teams, one_decimal(percent)), (1_566, 30.0), "trên 1.500, 30 %");
    let (groups, percent) = by_level(&decade, HandlingLevel::SocialSecurityGroup);
    assert_eq!((groups, one_decimal(percent)), (1_879, 36.0), "gần 1.900, 36 %");
    assert_eq!(
        by_resolution(&decade, R::Mediated),
        figures::PROTECTION_TEAM_MEDIATED + figures::GROUP_MEDIATED,
        "the teams mediated more than 1,200, the groups nearly 1,900"
    );
    assert_eq!(decade.successful_mediations, 1_270 + 1_879);
    assert_eq!(decade.mediations, 1_270 + 296 + 1_879);

    // Year by year, each as it stood at the year's end; and the years up to 2013.
    let mut through_2013 = 0;
    for year in figures::INCIDENTS_BY_YEAR {
        let IncidentYear { year: y, .. } = year;
        let summary = reader.incidents(date(y, 1, 1), year_end(y)).await;
        assert_eq!(
            (summary.reported, summary.resolved),
            (year.total(), year.total()),
            "{y}"
        );
        let police =
            by_level(&summary, HandlingLevel::DistrictPolice).0 + by_level(&summary, HandlingLevel::ProvincePolice).0;
        assert_eq!(police, year.police(), "{y}");
        assert_eq!(
            by_level(&summary, HandlingLevel::CommunePolice).0,
            year.commune_police,
            "{y}"
        );
        assert_eq!(
            by_level(&summary, HandlingLevel::SecurityProtectionTeam).0,
            year.protection_teams(),
            "{y}"
        );
        assert_eq!(
            by_level(&summary, HandlingLevel::SocialSecurityGroup).0,
            year.group_mediated,
            "{y}"
        );
        assert_eq!(
            (summary.defendants, summary.sanctioned_subjects),
            (year.defendants, year.sanctioned_subjects),
            "{y}"
        );
        if y <= 2013 {
            through_2013 += year.total();
        }
    }
    let until_2013 = reader.incidents(decade_start, date(2013, 12, 31)).await;
    assert_eq!(until_2013.reported, through_2013);
}

async fn check_ratings(reader: &mut Reader) {
    for (year, safe) in figures::SAFE_RESIDENTIAL_AREAS {
        let summary = reader
            .ratings(year, AreaLevel::ResidentialArea, date(year, 12, 31), None)
            .await;
        assert_eq!(
            (summary.eligible, summary.rated, summary.safe),
            (234, 234, safe),
            "{year}"
        );
        assert_eq!(one_decimal(summary.safe_percent), share(safe, 234), "{year}");
    }
    let in_2012 = reader
        .ratings(2012, AreaLevel::ResidentialArea, date(2012, 12, 31), None)
        .await;
    for (years, areas) in figures::CONSECUTIVE_SAFE_2012 {
        assert_eq!(streak(&in_2012, years), areas, "{years} years running in 2012");
    }
    assert_eq!(
        (streak(&in_2012, 2), streak(&in_2012, 3), streak(&in_2012, 4)),
        (150, 91, 51)
    );
    assert_eq!(streak(&in_2012, 5), 0, "nothing was rated before 2009");
    // Before the ratings of 19/8/2012, the year had none.
    let before = reader
        .ratings(2012, AreaLevel::ResidentialArea, date(2012, 8, 18), None)
        .await;
    assert_eq!((before.rated, before.safe), (0, 0));

    // 2013: 234/234 areas, 89 schools, 27 communes, 20 agencies and enterprises.
    let year = figures::REGISTRATION_YEAR;
    let registered = |summary: pb::RatingSummaryResponse| summary.registered;
    let areas = registered(reader.ratings(year, AreaLevel::ResidentialArea, REPORT_DAY, None).await);
    let schools = reader.ratings(year, AreaLevel::School, REPORT_DAY, None).await;
    let communes = registered(reader.ratings(year, AreaLevel::Commune, REPORT_DAY, None).await);
    let agencies = registered(reader.ratings(year, AreaLevel::Agency, REPORT_DAY, None).await);
    let enterprises = registered(reader.ratings(year, AreaLevel::Enterprise, REPORT_DAY, None).await);
    assert_eq!(
        (areas, schools.registered, schools.eligible, communes),
        (234, 89, 89, 27)
    );
    assert_eq!(agencies + enterprises, 20);
    let other_years = reader.ratings(2014, AreaLevel::School, REPORT_DAY, None).await;
    assert_eq!(other_years.registered, 0, "the report counts the registrations of 2013");
}

/// Events of `event_type`, decoded.
async fn events<M: Message + Default>(server: &TestServer, event_type: &str) -> Vec<(pb::RecordedEvent, M)> {
    let mut client = server.client.clone();
    read_all_filtered(&mut client, &[], &[event_type])
        .await
        .unwrap()
        .into_iter()
        .map(|event| {
            let message = M::decode(event.payload.as_slice()).unwrap();
            (event, message)
        })
        .collect()
}

fn year_of(effective: Option<&Date>) -> i32 {
    effective.map_or(0, |date| date.year)
}

/// The figures no projection answers yet, counted from the events.
async fn check_records_without_projection(server: &TestServer) {
    // 73 wanted persons arrested, by year.
    let arrests: Vec<(pb::RecordedEvent, pb::WantedPersonArrested)> =
        events(server, "antt.v1.WantedPersonArrested").await;
    assert_eq!(arrests.len() as u32, figures::ARRESTS, "73 đối tượng truy nã");
    for (year, count) in figures::ARRESTS_BY_YEAR {
        let in_year = arrests
            .iter()
            .filter(|(_, arrest)| year_of(arrest.effective_date.as_ref()) == year)
            .count();
        assert_eq!(in_year as u32, count, "arrests in {year}");
    }

    // 3 key complex areas, 2 transformed.
    let designated: Vec<(pb::RecordedEvent, pb::KeyComplexAreaDesignated)> =
        events(server, "antt.v1.KeyComplexAreaDesignated").await;
    let transformed: Vec<(pb::RecordedEvent, pb::KeyComplexAreaTransformed)> =
        events(server, "antt.v1.KeyComplexAreaTransformed").await;
    assert_eq!(
        (designated.len(), transformed.len()),
        (3, 2),
        "chuyển hoá được 2 trên 3"
    );

    // Documents: 79 of the Huyện ủy and the UBND huyện, more than a thousand of the
    // commune committees, every commune Party committee's yearly resolution.
    let documents: Vec<(pb::RecordedEvent, pb::DocumentIssued)> = events(server, "antt.v1.DocumentIssued").await;
    let issued = |level: AreaLevel, kinds: &[pb::BodyKind], doc: Option<pb::DocumentKind>| {
        documents
            .iter()
            .filter(|(_, document)| {
                let body = document.issued_by.as_ref().unwrap();
                body.area_level == level as i32
                    && kinds.iter().any(|kind| body.kind == *kind as i32)
                    && doc.is_none_or(|doc| document.kind == doc as i32)
            })
            .count() as u32
    };
    use pb::BodyKind as B;
    assert_eq!(
        issued(AreaLevel::District, &[B::PartyCommittee, B::PeoplesCommittee], None),
        figures::DISTRICT_DOCUMENTS,
        "79 văn bản chỉ đạo"
    );
    let commune_documents = issued(AreaLevel::Commune, &[B::SteeringCommittee], None);
    assert!(commune_documents > 1_000, "hơn một nghìn văn bản");
    assert_eq!(commune_documents, figures::COMMUNE_COMMITTEE_DOCUMENTS);
    assert_eq!(
        issued(
            AreaLevel::Commune,
            &[B::PartyCommittee],
            Some(pb::DocumentKind::Resolution)
        ),
        figures::COMMUNE_PARTY_RESOLUTIONS
    );
    let cited: HashSet<&str> = documents.iter().map(|(_, document)| document.number.as_str()).collect();
    for number in [
        "407/CV-HU",
        "416/CV-HU",
        "05/KH-BCĐ",
        "710/QĐ-UBND",
        "18/KH-BCĐ",
        "49/KH-BCĐ",
        "55/BC-BCĐ",
    ] {
        assert!(cited.contains(number), "{number}");
    }

    // Conferences and classes, by organiser's level, kind and topic.
    let conferences: Vec<(pb::RecordedEvent, pb::ConferenceHeld)> = events(server, "antt.v1.ConferenceHeld").await;
    for expected in figures::CONFERENCES {
        let held: Vec<&pb::ConferenceHeld> = conferences
            .iter()
            .map(|(_, conference)| conference)
            .filter(|conference| {
                conference.topic == expected.topic
                    && conference.kind == expected.kind as i32
                    && conference.organiser.as_ref().unwrap().area_level == expected.level as i32
            })
            .collect();
        assert_eq!(held.len() as u32, expected.count, "{}", expected.topic);
        let years: HashSet<i32> = held.iter().map(|c| year_of(c.effective_date.as_ref())).collect();
        assert!(
            years
                .iter()
                .all(|y| (expected.first_year..=expected.last_year).contains(y)),
            "{}",
            expected.topic
        );
        let participants: u32 = held.iter().filter_map(|conference| conference.participants).sum();
        assert_eq!(participants, expected.participants, "{}", expected.topic);
    }
    let district_conferences_2008 = conferences
        .iter()
        .filter(|(_, c)| c.organiser.as_ref().unwrap().area_level == AreaLevel::District as i32)
        .filter(|(_, c)| year_of(c.effective_date.as_ref()) == 2008)
        .count();
    assert_eq!(
        district_conferences_2008,
        8 + 4,
        "8 hội nghị mở rộng và 4 hội nghị in 2008"
    );
    let village_meetings = conferences
        .iter()
        .filter(|(_, c)| c.organiser.as_ref().unwrap().area_level == AreaLevel::ResidentialArea as i32)
        .count();
    assert_eq!(
        village_meetings as u32,
        figures::VILLAGE_MEETINGS,
        "hàng nghìn lượt hội nghị ở thôn"
    );
    let attendees: Vec<(pb::RecordedEvent, pb::ConferenceAttendeesRecorded)> =
        events(server, "antt.v1.ConferenceAttendeesRecorded").await;
    assert_eq!(attendees.len(), 4);
    assert!(
        attendees.iter().all(|(_, a)| a.person_ids.len() == 2 * 27),
        "every commune's head and deputy"
    );

    // Awards: 4 emulation flags, 26 collective and 37 individual certificates of merit.
    let awards: Vec<(pb::RecordedEvent, pb::AwardGranted)> = events(server, "antt.v1.AwardGranted").await;
    let count = |kind: pb::AwardKind, individual: bool| {
        awards
            .iter()
            .filter(|(_, award)| award.kind == kind as i32)
            .filter(|(_, award)| {
                matches!(award.recipient, Some(pb::award_granted::Recipient::PersonId(_))) == individual
            })
            .count() as u32
    };
    assert_eq!(count(pb::AwardKind::EmulationFlag, false), figures::EMULATION_FLAGS);
    assert_eq!(
        count(pb::AwardKind::CertificateOfMerit, false),
        figures::COLLECTIVE_MERIT_CERTIFICATES
    );
    assert_eq!(
        count(pb::AwardKind::CertificateOfMerit, true),
        figures::INDIVIDUAL_MERIT_CERTIFICATES
    );
}

/// Pledges signed each year, by units of every level, and the 517 social security groups
/// consolidated (kiện toàn: a departing member's successor named) over the decade.
async fn check_pledges_and_consolidation(reader: &mut Reader, decade_start: Date) {
    for (year, signed) in figures::PLEDGES_BY_YEAR {
        let ratings = reader
            .ratings(year, AreaLevel::ResidentialArea, year_end(year), None)
            .await;
        assert_eq!(ratings.pledges_signed, u64::from(signed), "pledges of {year}");
        assert!((20_000..=25_000).contains(&ratings.pledges_signed));
    }
    let groups = reader
        .force(REPORT_DAY, decade_start, ForceType::SocialSecurityGroup)
        .await;
    assert_eq!(
        groups.teams_consolidated,
        figures::GROUPS_CONSOLIDATED,
        "kiện toàn 517 tổ"
    );
}

/// A safe rating of 2016 is corrected in 2017: now 188 areas were safe that year, but as
/// the records stood before the correction, 189; and as of 2016 itself, 189 either way.
async fn check_a_correction_on_both_axes(server: &TestServer, reader: &mut Reader) {
    let tree = reader
        .projections
        .get_area_tree(pb::AreaTreeRequest {
            axes: reader.axes(REPORT_DAY, None),
            area: nga_son(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut ratings = RatingsClient::new(server.channel.clone());
    let mut corrected = None;
    for area in tree
        .areas
        .iter()
        .filter(|area| area.level == AreaLevel::ResidentialArea as i32)
    {
        let view = ratings
            .get_rating(pb::GetRatingRequest {
                unit_area_id: area.area_id.clone(),
                year: 2016,
                as_of: None,
            })
            .await
            .unwrap()
            .into_inner();
        if view.outcome == pb::SafetyOutcome::Safe as i32 {
            corrected = Some(view);
            break;
        }
    }
    let view = corrected.expect("a safe area in 2016");
    let before_correction = now_timestamp();
    let result = ratings
        .correct_rating(pb::CorrectRatingRequest {
            header: antt_e2e::decided_by(date(2017, 2, 10), "12/QĐ-UBND", "Chủ tịch UBND huyện Nga Sơn"),
            correction_id: antt_e2e::new_id(),
            corrects_rating_id: view.ratings.last().unwrap().rating_id.clone(),
            unit_area_id: view.unit_area_id.clone(),
            year: 2016,
            outcome: pb::SafetyOutcome::NotSafe.into(),
            reason: "Phúc tra phát hiện vụ trộm cắp chưa được thống kê khi bình xét".into(),
        })
        .await
        .unwrap()
        .into_inner();
    reader.min_position = result.last_position + 1;
    let safe_2016 = figures::SAFE_RESIDENTIAL_AREAS
        .iter()
        .find(|(y, _)| *y == 2016)
        .unwrap()
        .1;
    let now = reader.ratings(2016, AreaLevel::ResidentialArea, REPORT_DAY, None).await;
    assert_eq!(now.safe, safe_2016 - 1, "the correction counts now");
    let as_stood = reader
        .ratings(2016, AreaLevel::ResidentialArea, REPORT_DAY, Some(before_correction))
        .await;
    assert_eq!(as_stood.safe, safe_2016, "not for a moment before it was recorded");
    let in_2016 = reader
        .ratings(2016, AreaLevel::ResidentialArea, date(2016, 12, 31), None)
        .await;
    assert_eq!(in_2016.safe, safe_2016, "nor for a day before it took effect");
}
