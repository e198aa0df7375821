//! Tables → Markdown (Vietnamese: dates dd/mm/yyyy, a decimal comma, a dot between
//! thousands) or one JSON document (English keys, ISO dates, plain numbers). Neither
//! knows what a table holds: a new table needs no change here.

use antt_domain::date::VietnameseDate;
use antt_domain::Date;
use serde_json::{json as object, Map, Value};

use super::fetch::Answers;
use super::tables::{Cell, RowScope, Shape, Table};
use crate::dates::format_time;

/// The Markdown of the whole report.
pub fn markdown(answers: &Answers, tables: &[Table]) -> String {
    let scope = &answers.scope;
    let area = &answers.area;
    let mut text = String::from("# Báo cáo tổng kết phong trào toàn dân bảo vệ an ninh Tổ quốc\n\n");
    let code = if area.code.is_empty() {
        String::new()
    } else {
        format!(" (mã {})", area.code)
    };
    text.push_str(&format!("- Địa bàn: {}{code}\n", escape(&area.name)));
    text.push_str(&format!(
        "- Giai đoạn: {} – {}\n",
        VietnameseDate(scope.first_day()),
        VietnameseDate(scope.last_day())
    ));
    text.push_str("- Số liệu mỗi năm tính đến 31/12 của năm, hoặc đến ngày cuối kỳ nếu sớm hơn\n");
    if let Some(known_at) = &answers.answered.known_at {
        text.push_str(&format!(
            "- Theo hồ sơ ghi nhận đến: {} (giờ Việt Nam)\n",
            vietnam_time(known_at)
        ));
    }
    for year in answers.years.iter().filter(|year| year.figures.is_none()) {
        text.push_str(&format!(
            "- Năm {}: địa bàn chưa có trong hồ sơ vào ngày {}\n",
            year.year.year,
            VietnameseDate(year.year.as_of)
        ));
    }
    for (number, table) in tables.iter().enumerate() {
        text.push_str(&format!("\n## {}. {}\n\n", number + 1, table.title));
        table_markdown(table, &mut text);
    }
    text
}

fn table_markdown(table: &Table, text: &mut String) {
    if table.rows.is_empty() {
        text.push_str("Không có số liệu.\n");
        return;
    }
    text.push_str("| Năm |");
    for column in &table.columns {
        text.push_str(&format!(" {} |", column.heading));
    }
    text.push_str("\n|---|");
    // Numbers right-aligned, as in printed reports; labels and dates left.
    for (index, _) in table.columns.iter().enumerate() {
        let numeric = table
            .rows
            .first()
            .and_then(|row| row.cells.get(index))
            .is_some_and(|cell| {
                matches!(
                    cell,
                    Cell::Count(_) | Cell::Signed(_) | Cell::Percent(_) | Cell::Missing
                )
            });
        text.push_str(if numeric { "---:|" } else { "---|" });
    }
    text.push('\n');
    for row in &table.rows {
        let scope = match row.scope {
            RowScope::Year(year) => year.to_string(),
            RowScope::Total => "Cả giai đoạn".to_string(),
        };
        text.push_str(&format!("| {scope} |"));
        for cell in &row.cells {
            text.push_str(&format!(" {} |", cell_markdown(cell)));
        }
        text.push('\n');
    }
}

fn cell_markdown(cell: &Cell) -> String {
    match cell {
        Cell::Count(count) => thousands(*count),
        Cell::Percent(percent) => format!("{:.1}", rounded(*percent)).replace('.', ","),
        Cell::Label { text, .. } => escape(text),
        Cell::Date(date) => VietnameseDate(*date).to_string(),
        Cell::Text(text) => escape(text),
        Cell::Signed(value) if *value < 0 => format!("−{}", thousands(value.unsigned_abs())),
        Cell::Signed(value) if *value > 0 => format!("+{}", thousands(value.unsigned_abs())),
        Cell::Signed(_) => "0".to_string(),
        Cell::Missing => "–".to_string(),
    }
}

/// `12345` → `12.345`, as Vietnamese documents write it.
fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push('.');
        }
        text.push(digit);
    }
    text
}

/// A percentage to one decimal, the precision the report shows in both forms.
fn rounded(percent: f64) -> f64 {
    (percent * 10.0).round() / 10.0
}

/// Text that cannot break a table row.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `dd/mm/yyyy hh:mm:ss` in Vietnam (UTC+7).
fn vietnam_time(timestamp: &prost_types::Timestamp) -> String {
    let seconds = timestamp.seconds + 7 * 3600;
    let day = Date::from_days_since_unix_epoch(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02}",
        VietnameseDate(day),
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// The JSON document: the area and the axes, one object per year with a key per table,
/// and the totals of the tables that have them.
pub fn json(answers: &Answers, tables: &[Table]) -> Value {
    let area = &answers.area;
    let years: Vec<Value> = answers
        .years
        .iter()
        .map(|year| {
            let mut object = Map::new();
            object.insert("year".into(), year.year.year.into());
            object.insert("as_of".into(), year.year.as_of.to_string().into());
            object.insert("area_existed".into(), year.figures.is_some().into());
            if year.figures.is_some() {
                for table in tables {
                    object.insert(table.key.into(), rows_json(table, RowScope::Year(year.year.year)));
                }
            }
            Value::Object(object)
        })
        .collect();
    let mut totals = Map::new();
    for table in tables.iter().filter(|table| table.totals) {
        totals.insert(table.key.into(), rows_json(table, RowScope::Total));
    }
    object!({
        "area": {
            "area_id": area.area_id,
            "name": area.name,
            "code": area.code,
        },
        "from_year": answers.scope.years.first().map(|year| year.year),
        "to_year": answers.scope.years.last().map(|year| year.year),
        "known_at": answers.answered.known_at.as_ref().map(format_time),
        "known_position": answers.answered.known_position,
        "years": years,
        "totals": totals,
    })
}

fn rows_json(table: &Table, scope: RowScope) -> Value {
    let rows: Vec<Value> = table
        .rows_of(scope)
        .map(|row| {
            let fields = table
                .columns
                .iter()
                .zip(&row.cells)
                .map(|(column, cell)| (column.key.to_string(), cell_json(cell)));
            Value::Object(fields.collect())
        })
        .collect();
    match table.shape {
        Shape::Many => Value::Array(rows),
        // Always there for a year with figures; null otherwise, never a missing key.
        Shape::OnePerYear => rows.into_iter().next().unwrap_or(Value::Null),
    }
}

fn cell_json(cell: &Cell) -> Value {
    match cell {
        Cell::Count(count) => (*count).into(),
        Cell::Percent(percent) => serde_json::Number::from_f64(rounded(*percent)).map_or(Value::Null, Value::Number),
        Cell::Label { key, .. } => key.clone().map_or(Value::Null, Value::String),
        Cell::Date(date) => date.to_string().into(),
        Cell::Text(text) => text.clone().into(),
        Cell::Signed(value) => (*value).into(),
        Cell::Missing => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use antt_proto::v1 as pb;

    use super::super::fetch::{Figures, Totals, YearAnswers};
    use super::super::tables::tables;
    use super::super::{AreaArg, Scope};
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> Date {
        Date::new(year, month, day).unwrap()
    }

    fn protection_team(teams: u32, members: u32, quota: u32) -> pb::ForceCount {
        pb::ForceCount {
            force_type: pb::ForceType::SecurityProtectionTeam.into(),
            teams,
            members,
            quota,
            members_of_teams_with_quota: members,
            teams_with_quota: teams,
            teams_at_quota: u32::from(members >= quota),
            ..Default::default()
        }
    }

    /// Nga Thái 2019–2021 as of 30/06/2021: no records in 2019, a protection team from
    /// 2020, a relocation in 2021, incidents in both years, Thôn 8 safe in both.
    fn answers() -> Answers {
        let scope = Scope::new(
            AreaArg::Code("15016".into()),
            2019,
            2021,
            Some(day(2021, 6, 30)),
            None,
            day(2026, 1, 1),
        )
        .unwrap();
        let figures_2020 = Figures {
            activity: pb::ActivitySummaryResponse::default(),
            forces: pb::ForcesSummaryResponse {
                forces: vec![pb::ForceCount {
                    joins: 2,
                    teams_under_policy: 1,
                    teams_not_conforming: 1,
                    ..protection_team(1, 2, 3)
                }],
                ..Default::default()
            },
            coverage: pb::CoverageResponse {
                social_security_groups: 1,
                groups_counted: 1,
                households_in_groups: 31,
                households_of_area: 312,
                percent: 31.0 * 100.0 / 312.0,
                ..Default::default()
            },
            incidents: pb::IncidentSummaryResponse {
                reported: 3,
                resolved: 2,
                by_category: vec![pb::CategoryCount {
                    category: pb::IncidentCategory::LandDispute.into(),
                    count: 3,
                }],
                by_level: vec![pb::LevelShare {
                    level: pb::HandlingLevel::CommunePolice.into(),
                    count: 2,
                    percent: 200.0 / 3.0,
                }],
                mediations: 3,
                successful_mediations: 2,
                mediation_success_percent: 200.0 / 3.0,
                ..Default::default()
            },
            ratings: pb::RatingSummaryResponse {
                eligible: 1,
                registered: 1,
                rated: 1,
                safe: 1,
                safe_percent: 100.0,
                consecutive_safe: vec![pb::StreakCount {
                    years_at_least: 2,
                    units: 0,
                }],
                recognised: vec![pb::RecognitionCount {
                    recognition: pb::Recognition::Commune.into(),
                    units: 1,
                }],
                pledges_signed: 21_500,
                ..Default::default()
            },
        };
        let mut figures_2021 = figures_2020.clone();
        figures_2021.forces.forces = vec![pb::ForceCount {
            departures: 1,
            replacements: 1,
            teams_consolidated: 1,
            departures_by_reason: vec![pb::ReasonCount {
                reason: pb::LeaveReason::Relocated.into(),
                count: 1,
            }],
            ..protection_team(1, 1, 3)
        }];
        figures_2021.ratings.consecutive_safe[0].units = 1;
        let years = vec![
            YearAnswers {
                year: scope.years[0],
                figures: None,
            },
            YearAnswers {
                year: scope.years[1],
                figures: Some(figures_2020.clone()),
            },
            YearAnswers {
                year: scope.years[2],
                figures: Some(figures_2021.clone()),
            },
        ];
        let totals = Totals {
            forces: pb::ForcesSummaryResponse {
                forces: vec![pb::ForceCount {
                    joins: 2,
                    departures: 1,
                    departures_by_reason: figures_2021.forces.forces[0].departures_by_reason.clone(),
                    ..protection_team(1, 1, 3)
                }],
                ..Default::default()
            },
            incidents: pb::IncidentSummaryResponse {
                reported: 12_345,
                ..figures_2020.incidents.clone()
            },
        };
        Answers {
            scope,
            area: pb::AreaNode {
                area_id: "a-15016".into(),
                name: "Xã Nga Thái".into(),
                code: "15016".into(),
                ..Default::default()
            },
            answered: pb::AnswerAxes {
                as_of: None,
                // 20/09/2021 09:30:00 in Vietnam.
                known_at: Some(prost_types::Timestamp {
                    seconds: 1_632_105_000,
                    nanos: 0,
                }),
                known_position: 42,
            },
            years,
            totals,
            reported: pb::ReportedFiguresResponse {
                answered: None,
                figures: vec![reported(pb::FigureIndicator::MembersReplaced, 463, Some(461)), {
                    let mut free_form = reported(pb::FigureIndicator::Other, 40, None);
                    free_form.reported.as_mut().unwrap().indicator_name = "Mô hình tự quản".into();
                    free_form
                }],
            },
            area_names: [("a-15016".to_string(), "Xã Nga Thái".to_string())].into(),
        }
    }

    /// A figure of Nga Thái for 2020 as a report printed it, and what the records give.
    fn reported(indicator: pb::FigureIndicator, count: u64, derived: Option<u64>) -> pb::FigureComparison {
        pb::FigureComparison {
            reported: Some(pb::FigureRow {
                unit_area_id: "a-15016".into(),
                indicator: indicator.into(),
                period: Some(pb::DatePeriod {
                    first_day: Some(day(2020, 1, 1).to_proto()),
                    last_day: Some(day(2020, 12, 31).to_proto()),
                }),
                value: Some(pb::FigureValue {
                    count,
                    ..Default::default()
                }),
                reported_on: Some(day(2021, 1, 15).to_proto()),
                ..Default::default()
            }),
            derivable: derived.is_some(),
            derived: derived.unwrap_or(0),
            difference: derived.map_or(0, |derived| derived as i64 - count as i64),
        }
    }

    #[test]
    fn every_row_has_one_cell_per_column() {
        for table in tables(&answers()) {
            for row in &table.rows {
                assert_eq!(row.cells.len(), table.columns.len(), "{}", table.key);
            }
            let mut keys: Vec<&str> = table.columns.iter().map(|column| column.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), table.columns.len(), "{}: column keys are unique", table.key);
        }
    }

    #[test]
    fn json_has_one_object_per_year_and_the_totals() {
        let answers = answers();
        let document = json(&answers, &tables(&answers));
        assert_eq!(document["area"]["code"], "15016");
        assert_eq!(document["known_position"], 42);
        assert_eq!(document["known_at"], "2021-09-20T02:30:00.000000Z");
        let years = document["years"].as_array().unwrap();
        assert_eq!(years.len(), 3);
        assert_eq!(years[0]["area_existed"], false);
        assert!(
            years[0].get("forces").is_none(),
            "no figures for a year without the area"
        );
        let y2020 = &years[1];
        assert_eq!(y2020["as_of"], "2020-12-31");
        assert_eq!(y2020["period"]["from"], "2020-01-01");
        assert_eq!(y2020["forces"][0]["force_type"], "security_protection_team");
        assert_eq!(y2020["forces"][0]["quota_filled_percent"], 66.7);
        assert_eq!(y2020["forces"][0]["teams_not_conforming"], 1, "không đúng cơ cấu");
        assert_eq!(y2020["coverage"]["percent"], 9.9);
        assert_eq!(y2020["incidents"]["mediation_success_percent"], 66.7);
        assert_eq!(y2020["incidents_by_level"][0]["level"], "commune_police");
        assert_eq!(y2020["departures_by_reason"], Value::Array(vec![]));
        let y2021 = &years[2];
        assert_eq!(y2021["as_of"], "2021-06-30");
        assert_eq!(y2021["departures_by_reason"][0]["reason"], "relocated");
        assert_eq!(y2021["ratings"]["safe_2_years_running"], 1);
        assert_eq!(
            y2021["ratings"]["safe_3_years_running"],
            Value::Null,
            "not in the answer"
        );
        let totals = &document["totals"];
        assert_eq!(totals["period"]["to"], "2021-06-30");
        assert_eq!(totals["member_changes"][0]["joins"], 2);
        assert_eq!(totals["incidents"]["reported"], 12_345);
        assert!(totals.get("ratings").is_none(), "ratings are per year only");
        assert_eq!(y2020["ratings"]["pledges_signed"], 21_500);
        assert_eq!(y2021["member_changes"][0]["teams_consolidated"], 1);
        let figures = &y2020["reported_figures"];
        assert_eq!(figures[0]["indicator"], "members_replaced");
        assert_eq!(figures[0]["unit"], "Xã Nga Thái");
        assert_eq!(
            (
                &figures[0]["reported"],
                &figures[0]["derived"],
                &figures[0]["difference"]
            ),
            (&Value::from(463), &Value::from(461), &Value::from(-2))
        );
        assert_eq!(figures[1]["indicator"], "other");
        assert_eq!(figures[1]["derived"], Value::Null, "not derivable: no number made up");
        assert_eq!(y2021["reported_figures"], Value::Array(vec![]));
    }

    #[test]
    fn markdown_is_vietnamese() {
        let answers = answers();
        let text = markdown(&answers, &tables(&answers));
        assert!(text.starts_with("# Báo cáo tổng kết phong trào toàn dân bảo vệ an ninh Tổ quốc\n"));
        assert!(text.contains("- Địa bàn: Xã Nga Thái (mã 15016)\n"), "{text}");
        assert!(text.contains("- Giai đoạn: 01/01/2019 – 30/06/2021\n"), "{text}");
        assert!(text.contains("- Theo hồ sơ ghi nhận đến: 20/09/2021 09:30:00 (giờ Việt Nam)\n"));
        assert!(text.contains("- Năm 2019: địa bàn chưa có trong hồ sơ vào ngày 31/12/2019\n"));
        assert!(
            text.contains("\n## 2. Lực lượng theo loại (tính đến cuối kỳ)\n"),
            "{text}"
        );
        assert!(text.contains("| Không đúng cơ cấu |\n"), "{text}");
        assert!(
            text.contains("| 2020 | Tổ bảo vệ ANTT | 1 | 2 | 3 | 2 | 66,7 | 1 | 0 | 1 | 1 |\n"),
            "{text}"
        );
        assert!(text.contains("| 2021 | 01/01/2021 | 30/06/2021 |\n"), "{text}");
        assert!(text.contains("| Cả giai đoạn | 12.345 | 2 |"), "{text}");
        assert!(
            text.contains("| 2021 | Tổ bảo vệ ANTT | Chuyển nơi cư trú | 1 |\n"),
            "{text}"
        );
        assert!(text.contains("| 2020 | 1 | 1 | 31 | 312 | 9,9 |\n"), "{text}");
        assert!(
            text.contains("| 2020 | 1 | 1 | 1 | 1 | 100,0 | 0 | – | – | – | 1 | – | – | 21.500 |\n"),
            "{text}"
        );
        assert!(
            text.contains("| 2020 | a-15016 | Xã Nga Thái | Lượt thay thế, bổ sung thành viên | 01/01/2020 | 31/12/2020 | 463 | 461 | −2 | 15/01/2021 | 0 |\n"),
            "{text}"
        );
        assert!(
            text.contains("| Mô hình tự quản | 01/01/2020 | 31/12/2020 | 40 | – | – |"),
            "{text}"
        );
    }

    #[test]
    fn numbers_are_written_the_vietnamese_way() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1.000");
        assert_eq!(thousands(12_345_678), "12.345.678");
        assert_eq!(cell_markdown(&Cell::Percent(99.95)), "100,0");
        assert_eq!(cell_markdown(&Cell::Percent(0.04)), "0,0");
        assert_eq!(escape("a|b\nc"), "a\\|b c");
    }
}
