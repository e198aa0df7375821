//! The columns of each export: a stable English name and how a row gives its value, one
//! list per kind of row, so that CSV and Parquet name and fill the same columns and a
//! value's type is fixed by its column. README.md ("Analytics export") lists them.
//!
//! Enum values are their English keys (`security_protection_team`), null when
//! unspecified; dates are ISO days (Parquet `DATE`); an empty code or parent is null.

use antt_domain::Date;
use antt_proto::v1 as pb;

use crate::names::{self, Named};

/// How a column's value is read from a row, and so its type.
pub enum Get<R> {
    Text(fn(&R) -> Option<String>),
    UInt32(fn(&R) -> u32),
    Int32(fn(&R) -> i32),
    Bool(fn(&R) -> bool),
    Date(fn(&R) -> Option<Date>),
}

pub struct Field<R> {
    pub name: &'static str,
    pub get: Get<R>,
}

fn id(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// Text that may be empty: null then, so that "none" reads as NULL in SQL.
fn optional(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn key<E: Named>(value: i32) -> Option<String> {
    names::key::<E>(value)
}

fn date(date: Option<&pb::Date>) -> Option<Date> {
    date.and_then(|date| Date::try_from(date).ok())
}

fn count(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

pub const MEMBERS: &[Field<pb::ExportMemberRow>] = &[
    Field {
        name: "team_id",
        get: Get::Text(|row| id(&row.team_id)),
    },
    Field {
        name: "team_name",
        get: Get::Text(|row| id(&row.team_name)),
    },
    Field {
        name: "force_type",
        get: Get::Text(|row| key::<pb::ForceType>(row.force_type)),
    },
    Field {
        name: "area_id",
        get: Get::Text(|row| id(&row.area_id)),
    },
    Field {
        name: "person_id",
        get: Get::Text(|row| id(&row.person_id)),
    },
    Field {
        name: "role",
        get: Get::Text(|row| key::<pb::MemberRole>(row.role)),
    },
    Field {
        name: "since",
        get: Get::Date(|row| date(row.since.as_ref())),
    },
];

pub const TEAMS: &[Field<pb::TeamRow>] = &[
    Field {
        name: "team_id",
        get: Get::Text(|row| id(&row.team_id)),
    },
    Field {
        name: "team_name",
        get: Get::Text(|row| id(&row.name)),
    },
    Field {
        name: "force_type",
        get: Get::Text(|row| key::<pb::ForceType>(row.force_type)),
    },
    Field {
        name: "area_id",
        get: Get::Text(|row| id(&row.area_id)),
    },
    Field {
        name: "established_on",
        get: Get::Date(|row| date(row.established_on.as_ref())),
    },
    Field {
        name: "quota",
        get: Get::UInt32(|row| row.quota),
    },
    Field {
        name: "households",
        get: Get::UInt32(|row| row.households),
    },
    Field {
        name: "members",
        get: Get::UInt32(|row| count(row.members.len())),
    },
];

pub const MEMBER_CHANGES: &[Field<pb::MemberChangeRow>] = &[
    Field {
        name: "team_id",
        get: Get::Text(|row| id(&row.team_id)),
    },
    Field {
        name: "person_id",
        get: Get::Text(|row| id(&row.person_id)),
    },
    Field {
        name: "force_type",
        get: Get::Text(|row| key::<pb::ForceType>(row.force_type)),
    },
    // Not `on`: a keyword in SQL.
    Field {
        name: "changed_on",
        get: Get::Date(|row| date(row.on.as_ref())),
    },
    Field {
        name: "joined",
        get: Get::Bool(|row| row.joined),
    },
    Field {
        name: "end",
        get: Get::Text(|row| key::<pb::MemberChangeEnd>(row.end)),
    },
    Field {
        name: "reason",
        get: Get::Text(|row| key::<pb::LeaveReason>(row.reason)),
    },
    Field {
        name: "replaced",
        get: Get::Bool(|row| row.replaced),
    },
];

pub const INCIDENTS: &[Field<pb::IncidentRow>] = &[
    Field {
        name: "incident_id",
        get: Get::Text(|row| id(&row.incident_id)),
    },
    Field {
        name: "area_id",
        get: Get::Text(|row| id(&row.area_id)),
    },
    Field {
        name: "category",
        get: Get::Text(|row| key::<pb::IncidentCategory>(row.category)),
    },
    Field {
        name: "reported_on",
        get: Get::Date(|row| date(row.reported_on.as_ref())),
    },
    Field {
        name: "level",
        get: Get::Text(|row| key::<pb::HandlingLevel>(row.level)),
    },
    // The levels that share the handling, `;` between them: one column in both formats.
    Field {
        name: "co_levels",
        get: Get::Text(|row| {
            let levels: Vec<String> = row
                .co_levels
                .iter()
                .filter_map(|level| key::<pb::HandlingLevel>(*level))
                .collect();
            (!levels.is_empty()).then(|| levels.join(";"))
        }),
    },
    Field {
        name: "classification",
        get: Get::Text(|row| key::<pb::IncidentClassification>(row.classification)),
    },
    Field {
        name: "resolved_on",
        get: Get::Date(|row| date(row.resolved_on.as_ref())),
    },
    Field {
        name: "resolution",
        get: Get::Text(|row| key::<pb::IncidentResolution>(row.resolution)),
    },
    Field {
        name: "persons",
        get: Get::UInt32(|row| row.persons),
    },
    Field {
        name: "mediations",
        get: Get::UInt32(|row| row.mediations),
    },
    Field {
        name: "successful_mediations",
        get: Get::UInt32(|row| row.successful_mediations),
    },
];

pub const RATINGS: &[Field<pb::RatingRow>] = &[
    Field {
        name: "unit_area_id",
        get: Get::Text(|row| id(&row.unit_area_id)),
    },
    Field {
        name: "year",
        get: Get::Int32(|row| row.year),
    },
    Field {
        name: "unit_level",
        get: Get::Text(|row| key::<pb::AreaLevel>(row.unit_level)),
    },
    Field {
        name: "registered",
        get: Get::Bool(|row| row.registered),
    },
    Field {
        name: "outcome",
        get: Get::Text(|row| key::<pb::SafetyOutcome>(row.outcome)),
    },
];

pub const AREAS: &[Field<pb::AreaNode>] = &[
    Field {
        name: "area_id",
        get: Get::Text(|row| id(&row.area_id)),
    },
    Field {
        name: "name",
        get: Get::Text(|row| id(&row.name)),
    },
    Field {
        name: "level",
        get: Get::Text(|row| key::<pb::AreaLevel>(row.level)),
    },
    Field {
        name: "code",
        get: Get::Text(|row| optional(&row.code)),
    },
    Field {
        name: "division_type",
        get: Get::Text(|row| optional(&row.division_type)),
    },
    Field {
        name: "parent_area_id",
        get: Get::Text(|row| optional(&row.parent_area_id)),
    },
    Field {
        name: "households",
        get: Get::UInt32(|row| row.households),
    },
    Field {
        name: "population",
        get: Get::UInt32(|row| row.population),
    },
    Field {
        name: "registered_on",
        get: Get::Date(|row| date(row.registered_on.as_ref())),
    },
];
