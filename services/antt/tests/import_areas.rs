//! `antt import areas` and `antt import reform-2025` against a real server.
//!
//! Goal: the official lists become areas whose tree as of 2024-12-31 is the 2024
//! three-level structure and as of 2026-01-01 the 2025 two-level one; an old commune's
//! history stays answerable (when it ended, into what); a re-run records nothing.
//! Method: each test serves a fresh temp directory with `anttd::serve` in-process and runs
//! the `antt` binary against it on the files of `reference/admin-units/`. Expected ids are
//! computed here independently of the importer (UUID v5 of the documented names), which
//! pins the identity scheme. The tree as of a date is rebuilt from the stored events.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use antt_proto::v1 as pb;
use antt_proto::v1::areas_client::AreasClient;
use antt_proto::v1::event_store_client::EventStoreClient;
use prost::Message;
use support::{antt_command, Server};
use tonic::transport::Channel;
use uuid::Uuid;

/// The importer's namespace of area ids (see `import::identity`).
const NAMESPACE: Uuid = uuid::uuid!("26007ad8-a3eb-4868-aeec-861845b860b2");
const REFORM: pb::Date = pb::Date {
    year: 2025,
    month: 7,
    day: 1,
};
const BEFORE_REFORM: pb::Date = pb::Date {
    year: 2024,
    month: 12,
    day: 31,
};
const AFTER_REFORM: pb::Date = pb::Date {
    year: 2026,
    month: 1,
    day: 1,
};

fn area_id(list: &str, level: &str, code: &str) -> String {
    Uuid::new_v5(&NAMESPACE, format!("gso-{list}:{level}:{code}").as_bytes()).to_string()
}

fn old_id(level: &str, code: &str) -> String {
    area_id("2024", level, code)
}

fn new_id(level: &str, code: &str) -> String {
    area_id("2025", level, code)
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The rows of a reference file, header dropped, split on commas (the files quote nothing).
fn rows(file: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(repo_root().join("reference/admin-units").join(file)).unwrap();
    text.lines()
        .skip(1)
        .filter(|line| !line.is_empty())
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect()
}

impl Server {
    fn areas(&self) -> AreasClient<Channel> {
        AreasClient::new(self.channel.clone())
    }

    async fn get(&self, area_id: &str) -> pb::AreaView {
        self.areas()
            .get_area(pb::GetAreaRequest {
                area_id: area_id.to_owned(),
                as_of: None,
            })
            .await
            .unwrap_or_else(|status| panic!("GetArea {area_id}: {status}"))
            .into_inner()
    }
}

/// Runs `antt --server <server> <args>` from the repository root (where the reform's
/// default paths point); returns its JSON summary line.
async fn antt(server: &Server, args: &[&str]) -> serde_json::Value {
    let output = antt_command(server)
        .current_dir(repo_root())
        .args(args)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "antt {args:?} failed: {stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|error| panic!("summary {stdout:?}: {error}"))
}

fn assert_counts(summary: &serde_json::Value, requests: u64, recorded: u64) {
    assert_eq!(summary["requests"], requests, "{summary}");
    assert_eq!(summary["recorded"], recorded, "{summary}");
    assert_eq!(summary["already_recorded"], requests - recorded, "{summary}");
}

/// An area's life as its events tell it.
#[derive(Debug)]
struct Life {
    level: pb::AreaLevel,
    parent: String,
    from: (i32, u32, u32),
    until: Option<(i32, u32, u32)>,
}

fn key(date: Option<pb::Date>) -> (i32, u32, u32) {
    let date = date.unwrap();
    (date.year, date.month, date.day)
}

/// Every area's life, from all area events in log order.
async fn lives(server: &Server) -> HashMap<String, Life> {
    let mut store = EventStoreClient::new(server.channel.clone());
    let mut events = store
        .read_all(pb::ReadAllRequest {
            from_position: 0,
            filter: Some(pb::EventFilter {
                stream_id_prefixes: vec!["area-".to_owned()],
                event_types: vec![],
            }),
            max_count: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let mut lives = HashMap::new();
    while let Some(event) = events.message().await.unwrap() {
        let payload = event.payload.as_slice();
        let end = |lives: &mut HashMap<String, Life>, area_id: String, on: Option<pb::Date>| {
            let life = lives.get_mut(&area_id).unwrap();
            assert_eq!(life.until, None, "{area_id} ended twice");
            life.until = Some(key(on));
        };
        match event.event_type.as_str() {
            "antt.v1.AreaRegistered" => {
                let e = pb::AreaRegistered::decode(payload).unwrap();
                let life = Life {
                    level: e.level(),
                    parent: e.parent_area_id,
                    from: key(e.effective_date),
                    until: None,
                };
                assert!(lives.insert(e.area_id, life).is_none(), "registered twice");
            }
            "antt.v1.AreaMergedInto" => {
                let e = pb::AreaMergedInto::decode(payload).unwrap();
                end(&mut lives, e.area_id, e.effective_date);
            }
            "antt.v1.AreaSplit" => {
                let e = pb::AreaSplit::decode(payload).unwrap();
                assert!(e.original_ends);
                end(&mut lives, e.area_id, e.effective_date);
            }
            "antt.v1.AreaDissolved" => {
                let e = pb::AreaDissolved::decode(payload).unwrap();
                end(&mut lives, e.area_id, e.effective_date);
            }
            "antt.v1.AreaReparented" => panic!("the importer re-parents nothing"),
            _ => {}
        }
    }
    lives
}

/// The areas that existed on `date`, with a check that each one's parent did too.
fn tree_on(lives: &HashMap<String, Life>, date: pb::Date) -> HashMap<&str, &Life> {
    let on = (date.year, date.month, date.day);
    let alive: HashMap<&str, &Life> = lives
        .iter()
        .filter(|(_, life)| life.from <= on && life.until.is_none_or(|until| on < until))
        .map(|(id, life)| (id.as_str(), life))
        .collect();
    for (id, life) in &alive {
        if life.level != pb::AreaLevel::Province {
            assert!(
                alive.contains_key(life.parent.as_str()),
                "{id}'s parent is not there on {on:?}"
            );
        }
    }
    alive
}

fn count_level(tree: &HashMap<&str, &Life>, level: pb::AreaLevel) -> usize {
    tree.values().filter(|life| life.level == level).count()
}

fn date(year: i32, month: u32, day: u32) -> Option<pb::Date> {
    Some(pb::Date { year, month, day })
}

/// Nga Sơn (district 401 of Thanh Hóa, 38): its subtree before and after the reform.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nga_son_before_and_after_the_reform() {
    let server = Server::start("antt-import-").await;
    let areas = [
        "import",
        "areas",
        "--file",
        "reference/admin-units/admin-units-2024.csv",
        "--valid-from",
        "2008-01-01",
        "--only-under",
        "401",
    ];
    assert_counts(&antt(&server, &areas).await, 25, 25);

    let thanh_hoa = old_id("province", "38");
    let nga_son = server.get(&old_id("district", "401")).await;
    assert_eq!(nga_son.name, "Huyện Nga Sơn");
    assert_eq!(nga_son.official_code, "401");
    assert_eq!(nga_son.parent_area_id, thanh_hoa);
    assert_eq!(nga_son.registered_on, date(2008, 1, 1));
    let communes: Vec<Vec<String>> = rows("admin-units-2024.csv")
        .into_iter()
        .filter(|row| row[4] == "401")
        .collect();
    assert_eq!(communes.len(), 23);
    for row in &communes {
        let commune = server.get(&old_id("commune", &row[0])).await;
        assert_eq!(
            (commune.name.as_str(), commune.official_code.as_str()),
            (row[1].as_str(), row[0].as_str())
        );
        assert_eq!(commune.parent_area_id, nga_son.area_id, "{}", row[1]);
        assert_eq!(commune.status(), pb::AreaStatus::Active);
    }

    let reform = ["import", "reform-2025", "--only-under", "401"];
    // 6 new communes, 6 mergers (all 23 communes went whole into one of them), 1 district.
    assert_counts(&antt(&server, &reform).await, 13, 13);

    let conversion: HashMap<String, String> = rows("communes-2025-conversion.csv")
        .into_iter()
        .filter(|row| row[1] == "401")
        .map(|row| (row[0].clone(), row[2].clone()))
        .collect();
    assert_eq!(conversion.len(), 23);
    for row in &communes {
        let commune = server.get(&old_id("commune", &row[0])).await;
        assert_eq!(commune.status(), pb::AreaStatus::Merged, "{}", row[1]);
        assert_eq!(commune.ended_on, Some(REFORM));
        assert_eq!(commune.successor_area_id, new_id("commune", &conversion[&row[0]]));
        let successor = server.get(&commune.successor_area_id).await;
        assert_eq!(successor.parent_area_id, thanh_hoa, "the province continues");
        assert!(successor.formed_from_area_ids.contains(&commune.area_id));
        assert!(successor.absorbed_area_ids.contains(&commune.area_id));
    }
    // Thị trấn Nga Sơn (16093) and the new Xã Nga Sơn that reuses its code are two areas.
    let town = server.get(&old_id("commune", "16093")).await;
    let new_commune = server.get(&new_id("commune", "16093")).await;
    assert_ne!(town.area_id, new_commune.area_id);
    assert_eq!(new_commune.name, "Xã Nga Sơn");
    assert_eq!(new_commune.registered_on, Some(REFORM));
    assert_eq!(
        new_commune.absorbed_area_ids.len(),
        5,
        "16093, 16120, 16123, 16132, 16156"
    );
    let district = server.get(&nga_son.area_id).await;
    assert_eq!(district.status(), pb::AreaStatus::Dissolved);
    assert_eq!(district.ended_on, Some(REFORM));

    let lives = lives(&server).await;
    let before = tree_on(&lives, BEFORE_REFORM);
    assert_eq!(before.len(), 25);
    assert_eq!(count_level(&before, pb::AreaLevel::Commune), 23);
    let after = tree_on(&lives, AFTER_REFORM);
    assert_eq!(count_level(&after, pb::AreaLevel::Province), 1);
    assert_eq!(count_level(&after, pb::AreaLevel::District), 0);
    assert_eq!(count_level(&after, pb::AreaLevel::Commune), 6);

    // Re-runs send the very same requests: everything is already there.
    assert_counts(&antt(&server, &areas).await, 25, 0);
    assert_counts(&antt(&server, &reform).await, 13, 0);
    server.stop().await;
}

/// The whole country: 10,810 units, then the reform, then both again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_country_before_and_after_the_reform() {
    let started = Instant::now();
    let server = Server::start("antt-import-").await;
    let areas = [
        "import",
        "areas",
        "--file",
        "reference/admin-units/admin-units-2024.csv",
        "--valid-from",
        "2008-01-01",
    ];
    let summary = antt(&server, &areas).await;
    assert_counts(&summary, 10_810, 10_810);
    let imported = started.elapsed();
    let reform = ["import", "reform-2025"];
    let summary = antt(&server, &reform).await;
    let requests = summary["requests"].as_u64().unwrap();
    assert_counts(&summary, requests, requests);
    // 3,321 new communes; 23 province mergers; 9 renamed provinces; 696 districts.
    assert_eq!(summary["stages"]["new communes"], 3_321);
    assert_eq!(summary["stages"]["province mergers"], 23);
    assert_eq!(summary["stages"]["province names"], 9);
    assert_eq!(summary["stages"]["old districts"], 696);
    let reformed = started.elapsed();

    // The tree before and after, from the events.
    let lives = lives(&server).await;
    assert_eq!(lives.len(), 10_810 + 3_321);
    let before = tree_on(&lives, BEFORE_REFORM);
    assert_eq!(before.len(), 10_810);
    assert_eq!(count_level(&before, pb::AreaLevel::Province), 63);
    assert_eq!(count_level(&before, pb::AreaLevel::District), 696);
    assert_eq!(count_level(&before, pb::AreaLevel::Commune), 10_051);
    let after = tree_on(&lives, AFTER_REFORM);
    assert_eq!(count_level(&after, pb::AreaLevel::Province), 34);
    assert_eq!(count_level(&after, pb::AreaLevel::District), 0);
    assert_eq!(count_level(&after, pb::AreaLevel::Commune), 3_321);
    let new_ids: HashSet<String> = rows("admin-units-2025.csv")
        .iter()
        .filter(|row| row[2] == "commune")
        .map(|row| new_id("commune", &row[0]))
        .collect();
    assert!(after
        .iter()
        .filter(|(_, life)| life.level == pb::AreaLevel::Commune)
        .all(|(id, _)| new_ids.contains(*id)));

    // Hà Giang (02) merged into Tuyên Quang (08), which continues under its own id.
    let ha_giang = server.get(&old_id("province", "02")).await;
    assert_eq!(ha_giang.status(), pb::AreaStatus::Merged);
    assert_eq!(ha_giang.successor_area_id, old_id("province", "08"));
    let tuyen_quang = server.get(&old_id("province", "08")).await;
    assert_eq!(tuyen_quang.status(), pb::AreaStatus::Active);
    assert_eq!(tuyen_quang.absorbed_area_ids, std::slice::from_ref(&ha_giang.area_id));
    // Yên Bái (15) continues as the new Lào Cai: renamed, and absorbs the old Lào Cai (10).
    let lao_cai = server.get(&old_id("province", "15")).await;
    let names: Vec<&str> = lao_cai.names.iter().map(|period| period.name.as_str()).collect();
    assert_eq!(names, ["Tỉnh Yên Bái", "Tỉnh Lào Cai"]);
    assert_eq!(lao_cai.names[0].valid_until, Some(REFORM));
    assert_eq!(lao_cai.absorbed_area_ids, [old_id("province", "10")]);
    // Quảng Ninh (22) becomes a centrally governed city: name and type change.
    let quang_ninh = server.get(&old_id("province", "22")).await;
    assert_eq!(quang_ninh.division_type, "thành phố trung ương");

    // A reused code: the old Phường Trúc Bạch (00004) went into the new Phường Ba Đình,
    // which has code 00004 too, as a different area.
    let truc_bach = server.get(&old_id("commune", "00004")).await;
    assert_eq!(truc_bach.name, "Phường Trúc Bạch");
    assert_eq!(truc_bach.status(), pb::AreaStatus::Merged);
    assert_eq!(truc_bach.ended_on, Some(REFORM));
    assert_eq!(truc_bach.successor_area_id, new_id("commune", "00004"));
    let ba_dinh = server.get(&new_id("commune", "00004")).await;
    assert_eq!(
        (ba_dinh.name.as_str(), ba_dinh.official_code.as_str()),
        ("Phường Ba Đình", "00004")
    );
    assert_eq!(ba_dinh.parent_area_id, old_id("province", "01"));
    assert!(ba_dinh.formed_from_area_ids.contains(&truc_bach.area_id));

    // A commune listed `partly` towards several new communes was split among them.
    let mut pieces: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows("communes-2025-conversion.csv") {
        pieces.entry(row[0].clone()).or_default().push(row[2].clone());
    }
    let split = server.get(&old_id("commune", "00007")).await;
    assert_eq!(split.status(), pb::AreaStatus::Split);
    assert_eq!(split.ended_on, Some(REFORM));
    let parts: Vec<String> = pieces["00007"].iter().map(|code| new_id("commune", code)).collect();
    assert!(parts.len() >= 2);
    assert_eq!(split.part_area_ids, parts);
    // A commune the conversion table does not list was dissolved, saying so.
    let unlisted = server.get(&old_id("commune", "01651")).await;
    assert_eq!(unlisted.status(), pb::AreaStatus::Dissolved);
    // The island district Côn Đảo became the special zone Côn Đảo.
    let con_dao = server.get(&new_id("commune", "26732")).await;
    assert_eq!(con_dao.formed_from_area_ids, [old_id("district", "755")]);
    assert_eq!(
        server.get(&old_id("district", "755")).await.status(),
        pb::AreaStatus::Dissolved
    );

    // Re-runs record nothing.
    assert_counts(&antt(&server, &areas).await, 10_810, 0);
    assert_counts(&antt(&server, &reform).await, requests, 0);
    let rerun = started.elapsed();
    server.stop().await;
    eprintln!(
        "timing: import {:.1} s, reform {:.1} s, checks and re-runs {:.1} s",
        imported.as_secs_f64(),
        (reformed - imported).as_secs_f64(),
        (rerun - reformed).as_secs_f64()
    );
}
