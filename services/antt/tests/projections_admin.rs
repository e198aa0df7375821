//! The projections' rebuilds: online, beside the serving generation, which keeps
//! answering and is replaced once the new one caught up; offline, with `antt admin
//! rebuild`, which gives a store identical (by digest) to the one built as the log grew.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use antt_audit::encoding::hex;
use antt_projections::store::{digest, SledStore};
use antt_proto::v1::areas_client::AreasClient;
use antt_proto::v1::projections_client::ProjectionsClient;
use antt_proto::v1::{
    area_selector, AreaLevel, AreaSelector, AreaTreeRequest, AreaTreeResponse, CommandHeader, Date,
    ProjectionStatusRequest, RebuildProjectionsRequest, RecordPopulationRequest, RegisterAreaRequest, TimeAxes,
};
use support::{antt_command, Server};
use tonic::transport::Channel;

fn header(request: &str, on: Date) -> Option<CommandHeader> {
    Some(CommandHeader {
        request_id: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, request.as_bytes()).to_string(),
        effective_date: Some(on),
        ..CommandHeader::default()
    })
}

fn day(year: i32, month: u32, day: u32) -> Date {
    Date { year, month, day }
}

/// A province, 20 communes under it and their household figures.
async fn record_areas(channel: &Channel) -> String {
    let mut areas = AreasClient::new(channel.clone());
    let province = uuid::Uuid::new_v4().to_string();
    let register = |id: &str, name: &str, level: AreaLevel, parent: &str| RegisterAreaRequest {
        header: header(&format!("register {id}"), day(2008, 1, 1)),
        area_id: id.into(),
        name: name.into(),
        level: level.into(),
        parent_area_id: parent.into(),
        official_code: if parent.is_empty() { "38".into() } else { String::new() },
        ..RegisterAreaRequest::default()
    };
    areas
        .register_area(register(&province, "Tỉnh Thanh Hóa", AreaLevel::Province, ""))
        .await
        .unwrap();
    for n in 0..20 {
        let commune = uuid::Uuid::new_v4().to_string();
        let name = format!("Xã {n}");
        areas
            .register_area(register(&commune, &name, AreaLevel::Commune, &province))
            .await
            .unwrap();
        let population = RecordPopulationRequest {
            header: header(&format!("population {commune}"), day(2010, 1, 1)),
            area_id: commune.clone(),
            households: 300 + n,
            population: 1200 + 4 * n,
            ..RecordPopulationRequest::default()
        };
        areas.record_population(population).await.unwrap();
    }
    province
}

async fn tree(channel: &Channel) -> AreaTreeResponse {
    let request = AreaTreeRequest {
        axes: Some(TimeAxes {
            as_of: Some(day(2015, 1, 1)),
            ..TimeAxes::default()
        }),
        area: Some(AreaSelector {
            area: Some(area_selector::Area::Code("38".into())),
        }),
    };
    let mut tree = ProjectionsClient::new(channel.clone())
        .get_area_tree(request)
        .await
        .unwrap()
        .into_inner();
    tree.answered = None;
    tree
}

fn current_generation(data: &Path) -> String {
    std::fs::read_to_string(data.join("projections/CURRENT")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilds_online_and_offline_give_the_same_projections() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let at = |config: &mut anttd::Config| config.data_dir = data.clone();
    let server = Server::start_with("antt-projections-", at).await;
    record_areas(&server.channel).await;
    let before = tree(&server.channel).await;
    assert_eq!(before.areas.len(), 20);
    assert_eq!(current_generation(&data), "g1");

    // Online: queries go on answering while the new generation is built.
    let mut projections = ProjectionsClient::new(server.channel.clone());
    let started = projections
        .rebuild_projections(RebuildProjectionsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(started.rebuilding || current_generation(&data) == "g2", "{started:?}");
    assert_eq!(tree(&server.channel).await, before, "answers during the rebuild");
    for _ in 0..500 {
        let status = projections
            .get_projection_status(ProjectionStatusRequest {})
            .await
            .unwrap()
            .into_inner();
        if !status.rebuilding && current_generation(&data) == "g2" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(current_generation(&data), "g2");
    assert!(
        !data.join("projections/g1").exists(),
        "the replaced generation is removed"
    );
    assert_eq!(tree(&server.channel).await, before, "answers after the swap");

    let status = antt_command(&server).args(["admin", "status"]).output().await.unwrap();
    let printed = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.status.success() && printed.contains("lag: 0 events"),
        "{printed}"
    );
    drop(projections);
    server.stop().await;

    // Offline: the same entries as the store that followed the log.
    let live = {
        let store = SledStore::open(
            &data.join("projections/g2"),
            antt_projections::store::DEFAULT_CACHE_CAPACITY_BYTES,
        )
        .unwrap();
        hex(&digest(&store).unwrap())
    };
    let rebuilt = std::process::Command::new(env!("CARGO_BIN_EXE_antt"))
        .args(["admin", "rebuild", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&rebuilt.stdout);
    assert!(rebuilt.status.success(), "{}", String::from_utf8_lossy(&rebuilt.stderr));
    assert!(printed.contains(&format!("digest: {live}")), "{printed} vs {live}");
    assert_eq!(current_generation(&data), "g3");

    let server = Server::start_with("antt-projections-", |config| config.data_dir = data.clone()).await;
    assert_eq!(tree(&server.channel).await, before, "answers after the offline rebuild");
    server.stop().await;
}
