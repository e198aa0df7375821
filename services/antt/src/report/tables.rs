//! The report's tables, one function each, from the answers alone (no I/O).
//!
//! A table has an English key and column keys (the JSON document's), a Vietnamese title
//! and headings (the Markdown's), and rows that each belong to a year or to the whole
//! range. Rendering needs nothing else, so a new table is one more function here, listed
//! in [`tables`].

use antt_domain::Date;
use antt_proto::v1 as pb;

use super::fetch::{Answers, Figures};
use crate::names::{self, Named};

/// How many rows a table has for a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Exactly one for each year that has figures: an object in JSON.
    OnePerYear,
    /// Any number: an array in JSON.
    Many,
}

/// Which part of the report a row belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowScope {
    Year(i32),
    /// The whole range.
    Total,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Count(u64),
    /// A percentage, shown with one decimal.
    Percent(f64),
    /// An enum value: its English key in JSON (null when unspecified), its label in Markdown.
    Label {
        key: Option<String>,
        text: String,
    },
    Date(Date),
    /// Free text, such as a name: the same in both forms.
    Text(String),
    /// A count that may be negative, such as a difference.
    Signed(i64),
    /// No value: a share of nothing (a quota where none is set). `–` in Markdown, null in JSON.
    Missing,
}

impl Cell {
    fn label<E: Named>(value: i32) -> Cell {
        Cell::Label {
            key: names::key::<E>(value),
            text: names::label::<E>(value),
        }
    }

    fn count(value: u32) -> Cell {
        Cell::Count(u64::from(value))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The JSON key.
    pub key: &'static str,
    /// The Markdown heading.
    pub heading: &'static str,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub scope: RowScope,
    /// One per column, in the columns' order.
    pub cells: Vec<Cell>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The key of its rows in each year's JSON object (and in the totals').
    pub key: &'static str,
    pub title: &'static str,
    pub shape: Shape,
    /// Whether the table has rows for the whole range too.
    pub totals: bool,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl Table {
    fn new(
        key: &'static str,
        title: &'static str,
        shape: Shape,
        totals: bool,
        columns: &[(&'static str, &'static str)],
    ) -> Table {
        Table {
            key,
            title,
            shape,
            totals,
            columns: columns.iter().map(|&(key, heading)| Column { key, heading }).collect(),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, scope: RowScope, cells: Vec<Cell>) {
        debug_assert_eq!(
            cells.len(),
            self.columns.len(),
            "a row of {} has one cell per column",
            self.key
        );
        self.rows.push(Row { scope, cells });
    }

    /// The rows of one part of the report.
    pub fn rows_of(&self, scope: RowScope) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(move |row| row.scope == scope)
    }
}

/// Every table of the report, in the order printed.
pub fn tables(answers: &Answers) -> Vec<Table> {
    [
        period,
        forces,
        member_changes,
        departures_by_reason,
        coverage,
        incidents,
        incidents_by_category,
        incidents_by_level,
        incidents_by_resolution,
        ratings,
        activity,
        reported_figures,
    ]
    .iter()
    .map(|table| table(answers))
    .collect()
}

/// The years that have figures (the area existed on their day).
fn years(answers: &Answers) -> impl Iterator<Item = (i32, &Figures)> {
    answers
        .years
        .iter()
        .filter_map(|year| year.figures.as_ref().map(|figures| (year.year.year, figures)))
}

/// Members of the teams that have a quota ÷ their quotas × 100; none without a quota.
fn quota_filled(force: &pb::ForceCount) -> Cell {
    if force.quota == 0 {
        return Cell::Missing;
    }
    Cell::Percent(f64::from(force.members_of_teams_with_quota) * 100.0 / f64::from(force.quota))
}

fn period(answers: &Answers) -> Table {
    let mut table = Table::new(
        "period",
        "Kỳ báo cáo",
        Shape::OnePerYear,
        true,
        &[("from", "Từ ngày"), ("to", "Đến ngày")],
    );
    for year in answers.years.iter().filter(|year| year.figures.is_some()) {
        let cells = vec![Cell::Date(year.year.first_day()), Cell::Date(year.year.as_of)];
        table.push(RowScope::Year(year.year.year), cells);
    }
    let whole = vec![
        Cell::Date(answers.scope.first_day()),
        Cell::Date(answers.scope.last_day()),
    ];
    table.push(RowScope::Total, whole);
    table
}

fn forces(answers: &Answers) -> Table {
    let mut table = Table::new(
        "forces",
        "Lực lượng theo loại (tính đến cuối kỳ)",
        Shape::Many,
        false,
        &[
            ("force_type", "Loại lực lượng"),
            ("teams", "Số tổ"),
            ("members", "Số thành viên"),
            ("quota", "Định biên"),
            ("members_of_teams_with_quota", "Thành viên các tổ có định biên"),
            ("quota_filled_percent", "Tỷ lệ đạt định biên (%)"),
            ("teams_with_quota", "Số tổ có định biên"),
            ("teams_at_quota", "Số tổ đủ định biên"),
            ("teams_under_policy", "Số tổ có quy định cơ cấu"),
            ("teams_not_conforming", "Không đúng cơ cấu"),
        ],
    );
    for (year, figures) in years(answers) {
        for force in figures.forces.forces.iter().filter(|force| force.teams > 0) {
            table.push(
                RowScope::Year(year),
                vec![
                    Cell::label::<pb::ForceType>(force.force_type),
                    Cell::count(force.teams),
                    Cell::count(force.members),
                    Cell::count(force.quota),
                    Cell::count(force.members_of_teams_with_quota),
                    quota_filled(force),
                    Cell::count(force.teams_with_quota),
                    Cell::count(force.teams_at_quota),
                    Cell::count(force.teams_under_policy),
                    Cell::count(force.teams_not_conforming),
                ],
            );
        }
    }
    table
}

fn member_changes(answers: &Answers) -> Table {
    let mut table = Table::new(
        "member_changes",
        "Biến động thành viên trong kỳ",
        Shape::Many,
        true,
        &[
            ("force_type", "Loại lực lượng"),
            ("joins", "Kết nạp"),
            ("departures", "Thôi tham gia"),
            ("replacements", "Đã bổ sung người thay thế"),
            ("carried_over", "Chuyển sang tổ mới khi kiện toàn"),
            ("released", "Thôi do tổ giải thể"),
            ("teams_consolidated", "Số tổ được kiện toàn"),
        ],
    );
    let mut rows = |scope: RowScope, forces: &pb::ForcesSummaryResponse| {
        let changed =
            |force: &&pb::ForceCount| force.joins + force.departures + force.carried_over + force.released > 0;
        for force in forces.forces.iter().filter(changed) {
            table.push(
                scope,
                vec![
                    Cell::label::<pb::ForceType>(force.force_type),
                    Cell::count(force.joins),
                    Cell::count(force.departures),
                    Cell::count(force.replacements),
                    Cell::count(force.carried_over),
                    Cell::count(force.released),
                    Cell::count(force.teams_consolidated),
                ],
            );
        }
    };
    for (year, figures) in years(answers) {
        rows(RowScope::Year(year), &figures.forces);
    }
    rows(RowScope::Total, &answers.totals.forces);
    table
}

fn departures_by_reason(answers: &Answers) -> Table {
    let mut table = Table::new(
        "departures_by_reason",
        "Thôi tham gia theo lý do",
        Shape::Many,
        true,
        &[
            ("force_type", "Loại lực lượng"),
            ("reason", "Lý do"),
            ("count", "Số người"),
        ],
    );
    let mut rows = |scope: RowScope, forces: &pb::ForcesSummaryResponse| {
        for force in &forces.forces {
            for reason in &force.departures_by_reason {
                table.push(
                    scope,
                    vec![
                        Cell::label::<pb::ForceType>(force.force_type),
                        Cell::label::<pb::LeaveReason>(reason.reason),
                        Cell::count(reason.count),
                    ],
                );
            }
        }
    };
    for (year, figures) in years(answers) {
        rows(RowScope::Year(year), &figures.forces);
    }
    rows(RowScope::Total, &answers.totals.forces);
    table
}

fn coverage(answers: &Answers) -> Table {
    let mut table = Table::new(
        "coverage",
        "Hộ gia đình tham gia tổ an ninh xã hội (tính đến cuối kỳ)",
        Shape::OnePerYear,
        false,
        &[
            ("social_security_groups", "Số tổ ANXH"),
            ("groups_counted", "Số tổ đã thống kê hộ"),
            ("households_in_groups", "Số hộ tham gia"),
            ("households_of_area", "Tổng số hộ của địa bàn"),
            ("percent", "Tỷ lệ hộ tham gia (%)"),
        ],
    );
    for (year, figures) in years(answers) {
        let coverage = &figures.coverage;
        table.push(
            RowScope::Year(year),
            vec![
                Cell::count(coverage.social_security_groups),
                Cell::count(coverage.groups_counted),
                Cell::count(coverage.households_in_groups),
                Cell::count(coverage.households_of_area),
                Cell::Percent(coverage.percent),
            ],
        );
    }
    table
}

fn incidents(answers: &Answers) -> Table {
    let mut table = Table::new(
        "incidents",
        "Vụ việc về an ninh, trật tự",
        Shape::OnePerYear,
        true,
        &[
            ("reported", "Số vụ việc"),
            ("resolved", "Đã giải quyết"),
            ("defendants", "Số bị can bị khởi tố"),
            ("sanctioned_subjects", "Số đối tượng bị xử phạt hành chính"),
            ("mediations", "Số lần hoà giải"),
            ("successful_mediations", "Hoà giải thành"),
            ("mediation_success_percent", "Tỷ lệ hoà giải thành (%)"),
        ],
    );
    let mut row = |scope: RowScope, incidents: &pb::IncidentSummaryResponse| {
        table.push(
            scope,
            vec![
                Cell::count(incidents.reported),
                Cell::count(incidents.resolved),
                Cell::count(incidents.defendants),
                Cell::count(incidents.sanctioned_subjects),
                Cell::count(incidents.mediations),
                Cell::count(incidents.successful_mediations),
                Cell::Percent(incidents.mediation_success_percent),
            ],
        );
    };
    for (year, figures) in years(answers) {
        row(RowScope::Year(year), &figures.incidents);
    }
    row(RowScope::Total, &answers.totals.incidents);
    table
}

fn incidents_by_category(answers: &Answers) -> Table {
    let mut table = Table::new(
        "incidents_by_category",
        "Vụ việc theo loại",
        Shape::Many,
        true,
        &[("category", "Loại vụ việc"), ("count", "Số vụ")],
    );
    let mut rows = |scope: RowScope, incidents: &pb::IncidentSummaryResponse| {
        for category in &incidents.by_category {
            let cells = vec![
                Cell::label::<pb::IncidentCategory>(category.category),
                Cell::count(category.count),
            ];
            table.push(scope, cells);
        }
    };
    for (year, figures) in years(answers) {
        rows(RowScope::Year(year), &figures.incidents);
    }
    rows(RowScope::Total, &answers.totals.incidents);
    table
}

fn incidents_by_level(answers: &Answers) -> Table {
    let mut table = Table::new(
        "incidents_by_level",
        "Vụ việc theo cấp xử lý (vụ do nhiều cấp cùng xử lý được tính cho mỗi cấp)",
        Shape::Many,
        true,
        &[("level", "Cấp xử lý"), ("count", "Số vụ"), ("percent", "Tỷ lệ (%)")],
    );
    let mut rows = |scope: RowScope, incidents: &pb::IncidentSummaryResponse| {
        for level in &incidents.by_level {
            let cells = vec![
                Cell::label::<pb::HandlingLevel>(level.level),
                Cell::count(level.count),
                Cell::Percent(level.percent),
            ];
            table.push(scope, cells);
        }
    };
    for (year, figures) in years(answers) {
        rows(RowScope::Year(year), &figures.incidents);
    }
    rows(RowScope::Total, &answers.totals.incidents);
    table
}

fn incidents_by_resolution(answers: &Answers) -> Table {
    let mut table = Table::new(
        "incidents_by_resolution",
        "Vụ việc theo kết quả giải quyết",
        Shape::Many,
        true,
        &[
            ("resolution", "Kết quả giải quyết"),
            ("count", "Số vụ"),
            ("percent", "Tỷ lệ (%)"),
        ],
    );
    let mut rows = |scope: RowScope, incidents: &pb::IncidentSummaryResponse| {
        for resolution in &incidents.by_resolution {
            let cells = vec![
                Cell::label::<pb::IncidentResolution>(resolution.resolution),
                Cell::count(resolution.count),
                Cell::Percent(resolution.percent),
            ];
            table.push(scope, cells);
        }
    };
    for (year, figures) in years(answers) {
        rows(RowScope::Year(year), &figures.incidents);
    }
    rows(RowScope::Total, &answers.totals.incidents);
    table
}

fn ratings(answers: &Answers) -> Table {
    let mut table = Table::new(
        "ratings",
        "Xếp loại khu dân cư an toàn về ANTT",
        Shape::OnePerYear,
        false,
        &[
            ("eligible", "Số khu dân cư"),
            ("registered", "Đăng ký phấn đấu"),
            ("rated", "Đã xếp loại"),
            ("safe", "Đạt an toàn"),
            ("safe_percent", "Tỷ lệ đạt an toàn (%)"),
            ("safe_2_years_running", "An toàn liên tục từ 2 năm"),
            ("safe_3_years_running", "Từ 3 năm"),
            ("safe_4_years_running", "Từ 4 năm"),
            ("safe_5_years_running", "Từ 5 năm"),
            ("recognised_by_commune", "Đủ điều kiện công nhận: cấp xã"),
            ("recognised_by_district", "Cấp huyện"),
            ("recognised_by_province", "Cấp tỉnh"),
            ("pledges_signed", "Bản cam kết đã ký (mọi cấp)"),
        ],
    );
    for (year, figures) in years(answers) {
        let ratings = &figures.ratings;
        let mut cells = vec![
            Cell::count(ratings.eligible),
            Cell::count(ratings.registered),
            Cell::count(ratings.rated),
            Cell::count(ratings.safe),
            Cell::Percent(ratings.safe_percent),
        ];
        // The runs the API promises (at least 2, 3, 4 and 5 years), one column each.
        cells.extend(STREAK_YEARS.map(|years| {
            let streak = ratings
                .consecutive_safe
                .iter()
                .find(|streak| streak.years_at_least == years);
            streak.map_or(Cell::Missing, |streak| Cell::count(streak.units))
        }));
        // The recognition each unit's run earns, at its highest level (derived).
        cells.extend(RECOGNITIONS.map(|level| {
            let count = ratings
                .recognised
                .iter()
                .find(|count| count.recognition == level as i32);
            count.map_or(Cell::Missing, |count| Cell::count(count.units))
        }));
        cells.push(Cell::Count(ratings.pledges_signed));
        table.push(RowScope::Year(year), cells);
    }
    table
}

/// The lengths of the runs of safe years the rating summary counts.
const STREAK_YEARS: [u32; 4] = [2, 3, 4, 5];

/// The recognitions the rating summary counts, one column each.
const RECOGNITIONS: [pb::Recognition; 3] = [
    pb::Recognition::Commune,
    pb::Recognition::District,
    pb::Recognition::Province,
];

fn activity(answers: &Answers) -> Table {
    let mut table = Table::new(
        "activity",
        "Tin báo, truy nã, địa bàn trọng điểm, văn bản, hội nghị và khen thưởng",
        Shape::OnePerYear,
        false,
        &[
            ("tips_received", "Tin báo của quần chúng"),
            ("tips_valuable", "Tin có giá trị"),
            ("wanted_persons_arrested", "Đối tượng truy nã bị bắt"),
            ("hotspots_designated", "Địa bàn trọng điểm được xác định"),
            ("hotspots_transformed", "Địa bàn trọng điểm được chuyển hoá"),
            ("hotspots_standing", "Địa bàn trọng điểm còn lại"),
            ("documents_issued", "Văn bản chỉ đạo"),
            ("conferences_held", "Hội nghị"),
            ("training_classes_held", "Lớp tập huấn"),
            ("awards", "Khen thưởng"),
        ],
    );
    for (year, figures) in years(answers) {
        let activity = &figures.activity;
        table.push(
            RowScope::Year(year),
            [
                activity.tips_received,
                activity.tips_valuable,
                activity.wanted_persons_arrested,
                activity.hotspots_designated,
                activity.hotspots_transformed,
                activity.hotspots_standing,
                activity.documents_issued,
                activity.conferences_held,
                activity.training_classes_held,
                activity.awards,
            ]
            .into_iter()
            .map(Cell::count)
            .collect(),
        );
    }
    table
}

/// Each figure a report printed for a unit of the area, in the year its period ends,
/// next to what the records give: the difference is what an inspector asks about.
fn reported_figures(answers: &Answers) -> Table {
    let mut table = Table::new(
        "reported_figures",
        "Số liệu báo cáo đối chiếu với số liệu từ hồ sơ",
        Shape::Many,
        false,
        &[
            ("unit_area_id", "Mã hồ sơ đơn vị"),
            ("unit", "Đơn vị"),
            ("indicator", "Chỉ tiêu"),
            ("period_from", "Từ ngày"),
            ("period_to", "Đến ngày"),
            ("reported", "Số báo cáo"),
            ("derived", "Số từ hồ sơ"),
            ("difference", "Chênh lệch (hồ sơ − báo cáo)"),
            ("reported_on", "Ngày báo cáo"),
            ("corrections", "Số lần đính chính"),
        ],
    );
    for comparison in &answers.reported.figures {
        let Some(figure) = &comparison.reported else { continue };
        let day = |date: Option<&pb::Date>| {
            date.and_then(|date| Date::try_from(date).ok())
                .map_or(Cell::Missing, Cell::Date)
        };
        let period = figure.period.as_ref();
        let period_to = period.and_then(|period| period.last_day.as_ref());
        // A figure always has its period; one without is no row of any year.
        let Some(period_to) = period_to.and_then(|date| Date::try_from(date).ok()) else {
            continue;
        };
        let unit = answers
            .area_names
            .get(&figure.unit_area_id)
            .map_or_else(|| figure.unit_area_id.clone(), Clone::clone);
        let indicator = if figure.indicator_name.is_empty() {
            Cell::label::<pb::FigureIndicator>(figure.indicator)
        } else {
            Cell::Label {
                key: names::key::<pb::FigureIndicator>(figure.indicator),
                text: figure.indicator_name.clone(),
            }
        };
        let (derived, difference) = if comparison.derivable {
            (Cell::Count(comparison.derived), Cell::Signed(comparison.difference))
        } else {
            (Cell::Missing, Cell::Missing)
        };
        table.push(
            RowScope::Year(period_to.year()),
            vec![
                Cell::Text(figure.unit_area_id.clone()),
                Cell::Text(unit),
                indicator,
                day(period.and_then(|period| period.first_day.as_ref())),
                Cell::Date(period_to),
                Cell::Count(figure.value.map_or(0, |value| value.count)),
                derived,
                difference,
                day(figure.reported_on.as_ref()),
                Cell::count(figure.corrections),
            ],
        );
    }
    table
}
