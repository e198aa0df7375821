//! End to end: the `antt.v1.Analytics` export and `antt export`'s files, read back.
//!
//! Goal: the rows a real server streams are written to Parquet and CSV files that read
//! back (with the `parquet` crate's reader, and as RFC 4180 CSV) with the documented
//! column names and the recorded values; `known_at` reaches the export; a missing query
//! is INVALID_ARGUMENT naming it, an unknown area NOT_FOUND before any row.
//! Method: two years of Nga Thái's records typed in through the domain RPCs
//! (`two_years`); exports written through the CLI's library function into a temp
//! directory.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use antt::export::{self, ExportRequest, Format, Query};
use antt::report::AreaArg;
use antt_domain::Date;
use antt_e2e::two_years::{self, TwoYears, GROUP_NAME};
use antt_e2e::v1::analytics_client::AnalyticsClient;
use antt_e2e::v1::{area_selector, AreaSelector, ExportQuery, ExportRowsRequest, TimeAxes};
use antt_e2e::{assert_field_violation, date, TestServer};
use arrow_array::{Array, BooleanArray, Date32Array, RecordBatch, StringArray, UInt32Array};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tonic::Code;

/// A day as Parquet's `DATE` holds it: days since 1970-01-01.
fn day(year: i32, month: u32, day: u32) -> i64 {
    Date::new(year, month, day).unwrap().days_since_unix_epoch()
}

fn request(query: Query, as_of: (i32, u32, u32)) -> ExportRequest {
    ExportRequest {
        query,
        area: AreaArg::Code("15016".into()),
        as_of: Date::new(as_of.0, as_of.1, as_of.2).unwrap(),
        known_at: None,
        period: None,
        years: None,
    }
}

/// Every column of a Parquet file by name, each value as text (null as None).
fn read_parquet(path: &Path) -> (Vec<String>, BTreeMap<String, Vec<Option<String>>>) {
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let names: Vec<String> = reader.schema().fields().iter().map(|f| f.name().clone()).collect();
    let mut columns: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for batch in reader.build().unwrap() {
        let batch: RecordBatch = batch.unwrap();
        for (index, name) in names.iter().enumerate() {
            let column = batch.column(index);
            let any = column.as_any();
            let values: Vec<Option<String>> = if let Some(text) = any.downcast_ref::<StringArray>() {
                text.iter().map(|v| v.map(str::to_owned)).collect()
            } else if let Some(count) = any.downcast_ref::<UInt32Array>() {
                count.iter().map(|v| v.map(|v| v.to_string())).collect()
            } else if let Some(flag) = any.downcast_ref::<BooleanArray>() {
                flag.iter().map(|v| v.map(|v| v.to_string())).collect()
            } else if let Some(days) = any.downcast_ref::<Date32Array>() {
                days.iter().map(|v| v.map(|v| format!("day {v}"))).collect()
            } else {
                panic!("column {name} has an unexpected type {:?}", column.data_type());
            };
            columns.entry(name.clone()).or_default().extend(values);
        }
    }
    (names, columns)
}

/// An RFC 4180 file: its header and rows, each field as text.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && record.is_empty(), "the file ends with a line break");
    let header = records.remove(0);
    (header, records)
}

#[tokio::test]
async fn exported_files_read_back_with_their_columns_and_values() {
    let server = TestServer::start().await.unwrap();
    let TwoYears {
        commune,
        village,
        team,
        group,
        an,
        binh,
        cuc,
        assault,
        before_departure,
        ..
    } = two_years::record(&server).await;
    let dir = tempfile::tempdir().unwrap();

    // Members at the end of 2020, as Parquet.
    let members = dir.path().join("members.parquet");
    let written = export::export(
        server.cli_channel().await,
        &request(Query::Members, (2020, 12, 31)),
        Format::Parquet,
        &members,
    )
    .await
    .unwrap();
    assert_eq!(written.rows, 3);
    let (names, columns) = read_parquet(&members);
    assert_eq!(
        names,
        [
            "team_id",
            "team_name",
            "force_type",
            "area_id",
            "person_id",
            "role",
            "since"
        ]
    );
    let mut rows: Vec<(String, String, String, String)> = (0..3)
        .map(|i| {
            let value = |name: &str| columns[name][i].clone().unwrap();
            (value("person_id"), value("team_id"), value("force_type"), value("role"))
        })
        .collect();
    rows.sort();
    let mut expected = vec![
        (
            an.clone(),
            team.clone(),
            "security_protection_team".into(),
            "leader".into(),
        ),
        (
            binh.clone(),
            team.clone(),
            "security_protection_team".into(),
            "member".into(),
        ),
        (
            cuc.clone(),
            group.clone(),
            "social_security_group".into(),
            "member".into(),
        ),
    ];
    expected.sort();
    assert_eq!(rows, expected);
    assert!(columns["area_id"]
        .iter()
        .all(|area| area.as_deref() == Some(village.as_str())));
    let an_row = columns["person_id"]
        .iter()
        .position(|p| p.as_deref() == Some(an.as_str()))
        .unwrap();
    assert_eq!(columns["since"][an_row], Some(format!("day {}", day(2020, 6, 1))));
    assert!(columns["team_name"].contains(&Some(GROUP_NAME.to_string())));
    assert!(!dir.path().join("members.parquet.partial").exists());

    // The same rows as CSV: the group's name, with its comma and quotes, reads back whole.
    let members_csv = dir.path().join("members.csv");
    export::export(
        server.cli_channel().await,
        &request(Query::Members, (2020, 12, 31)),
        Format::Csv,
        &members_csv,
    )
    .await
    .unwrap();
    let (header, records) = read_csv(&members_csv);
    assert_eq!(header, names);
    assert_eq!(records.len(), 3);
    let cuc_record = records.iter().find(|record| record[4] == cuc).unwrap();
    assert_eq!(cuc_record[1], GROUP_NAME);
    assert_eq!(cuc_record[6], "2020-04-01");

    // Incidents of both years, as they stood at the end of 2021.
    let incidents = dir.path().join("incidents.parquet");
    let mut both_years = request(Query::Incidents, (2021, 12, 31));
    both_years.period = Some((Date::new(2020, 1, 1).unwrap(), Date::new(2021, 12, 31).unwrap()));
    let written = export::export(server.cli_channel().await, &both_years, Format::Parquet, &incidents)
        .await
        .unwrap();
    assert_eq!(written.rows, 2);
    let (names, columns) = read_parquet(&incidents);
    assert_eq!(
        names,
        [
            "incident_id",
            "area_id",
            "category",
            "reported_on",
            "level",
            "co_levels",
            "classification",
            "resolved_on",
            "resolution",
            "persons",
            "mediations",
            "successful_mediations"
        ]
    );
    let assault_row = columns["incident_id"]
        .iter()
        .position(|id| id.as_deref() == Some(assault.as_str()))
        .unwrap();
    let value = |name: &str| columns[name][assault_row].clone();
    assert_eq!(value("category").as_deref(), Some("assault"));
    assert_eq!(value("level").as_deref(), Some("district_police"));
    assert_eq!(value("resolution").as_deref(), Some("prosecution"));
    assert_eq!(value("persons").as_deref(), Some("2"));
    assert_eq!(value("resolved_on"), Some(format!("day {}", day(2021, 3, 1))));
    assert_eq!(value("classification"), None, "never classified: null");

    // The area tree, as CSV: the commune has a code, Thôn 8 none (empty, not quoted).
    let areas = dir.path().join("areas.csv");
    export::export(
        server.cli_channel().await,
        &request(Query::Areas, (2021, 12, 31)),
        Format::Csv,
        &areas,
    )
    .await
    .unwrap();
    let (header, records) = read_csv(&areas);
    assert_eq!(
        header,
        [
            "area_id",
            "name",
            "level",
            "code",
            "division_type",
            "parent_area_id",
            "households",
            "population",
            "registered_on"
        ]
    );
    assert_eq!(
        records[0][..4],
        [commune.clone(), "Xã Nga Thái".into(), "commune".into(), "15016".into()]
    );
    assert_eq!(records[1][0], village);
    assert_eq!((records[1][3].as_str(), records[1][5].as_str()), ("", commune.as_str()));
    assert_eq!(records[1][6], "312");

    // Member changes of 2021 as the records stood before An's departure was recorded.
    let changes = dir.path().join("changes.csv");
    let mut before = request(Query::MemberChanges, (2021, 12, 31));
    before.known_at = Some(before_departure);
    let written = export::export(server.cli_channel().await, &before, Format::Csv, &changes)
        .await
        .unwrap();
    assert_eq!(written.rows, 0, "no change in 2021 was known then");
    let mut now = request(Query::MemberChanges, (2021, 12, 31));
    now.known_at = None;
    export::export(server.cli_channel().await, &now, Format::Csv, &changes)
        .await
        .unwrap();
    let (header, records) = read_csv(&changes);
    assert_eq!(
        header,
        [
            "team_id",
            "person_id",
            "force_type",
            "changed_on",
            "joined",
            "end",
            "reason",
            "replaced"
        ]
    );
    assert_eq!(
        records,
        vec![vec![
            team.clone(),
            an.clone(),
            "security_protection_team".into(),
            "2021-04-01".into(),
            "false".into(),
            "left".into(),
            "relocated".into(),
            "false".into()
        ]]
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_bad_export_is_refused_before_any_row() {
    let server = TestServer::start().await.unwrap();
    let (_, _) = antt_e2e::thanh_hoa_and_nga_thai(&server).await;
    let mut analytics = AnalyticsClient::new(server.channel.clone());
    let axes = Some(TimeAxes {
        as_of: Some(date(2021, 6, 30)),
        known_at: None,
        min_position: 0,
    });
    let no_query = ExportRowsRequest {
        axes,
        area: Some(AreaSelector {
            area: Some(area_selector::Area::Code("15016".into())),
        }),
        ..Default::default()
    };
    let status = analytics.export_rows(no_query.clone()).await.err().unwrap();
    assert_field_violation(&status, Code::InvalidArgument, &["query"]);
    let unknown = ExportRowsRequest {
        query: ExportQuery::Members.into(),
        area: Some(AreaSelector {
            area: Some(area_selector::Area::Code("99999".into())),
        }),
        ..no_query.clone()
    };
    assert_eq!(
        analytics.export_rows(unknown).await.err().unwrap().code(),
        Code::NotFound
    );

    // An export with no rows is one chunk stating the axes it was read on.
    let empty = ExportRowsRequest {
        query: ExportQuery::Teams.into(),
        ..no_query
    };
    let mut stream = analytics.export_rows(empty).await.unwrap().into_inner();
    let chunk = stream.message().await.unwrap().unwrap();
    assert!(chunk.teams.is_empty());
    assert_eq!(chunk.answered.unwrap().as_of, Some(date(2021, 6, 30)));
    assert!(stream.message().await.unwrap().is_none());
    server.shutdown().await.unwrap();
}
