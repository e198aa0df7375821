//! The synthetic history of Nga Sơn district, 2008–2018, as an ordered list of gRPC
//! requests. Pure: no I/O, no clock, no randomness but arithmetic on indexes and ids, so
//! that planning twice gives the same requests byte for byte and a second run records
//! nothing new. The counts it records are those of [`super::figures`].
//!
//! A plan is a list of stages run one after the other. A stage holds chains: the steps of
//! one chain are sent in order (each may need the one before: an appointment before the
//! departure, the departure before the replacement), and chains are independent of each
//! other, so they run concurrently. Every command of a team, an incident or a rating
//! year is in one chain, in date order, so no two requests in flight write one stream.
//!
//! # Areas
//!
//! The 2024 list holds 23 communes under Nga Sơn (code 401), not the report's 27: in 2019
//! six communes were merged away and two new ones formed (Nga Phượng from Nga Lĩnh and
//! Nga Nhân; Nga Hiệp). The demo uses the 21 imported communes that existed throughout
//! and registers the six that are gone itself, by their pre-2019 names (Nga Lĩnh, Nga
//! Nhân, Nga Trung, Nga Bạch, Nga Hưng, Nga Mỹ; from the old GSO list, which this
//! repository does not hold) and without codes, so that 2008–2018 has its 27. The 2019
//! mergers themselves are not recorded, and the two communes formed in 2019 are left
//! alone: the importer registers them, as every unit, from its default date (2004).

mod areas;
mod forces;
mod incidents;
mod ratings;
mod records;

use std::collections::{BTreeMap, HashMap, HashSet};

use antt_domain::Date;
use antt_proto::v1 as pb;
use anyhow::{bail, Context as _};
use uuid::Uuid;

use crate::demo::identity::{record_id, request_id};
use crate::demo::names::{personal_data, Profile};
use crate::import::identity::area_id;
use crate::import::source::{Level, Unit};

/// The district's GSO code and its province's.
pub const DISTRICT_CODE: &str = "401";
pub const PROVINCE_CODE: &str = "38";

/// Communes of the 2024 list formed in 2019, after the decade: not part of it.
const FORMED_IN_2019: [(&str, &str); 2] = [("16114", "Xã Nga Phượng"), ("16120", "Xã Nga Hiệp")];
/// Communes of 2008–2018 merged in 2019, no longer in the 2024 list.
const MERGED_IN_2019: [&str; 6] = [
    "Xã Nga Lĩnh",
    "Xã Nga Nhân",
    "Xã Nga Trung",
    "Xã Nga Bạch",
    "Xã Nga Hưng",
    "Xã Nga Mỹ",
];
/// The day the demo's own communes are registered from: the importer's default
/// `--valid-from`, the date of the GSO code list, so that they stand beside the imported
/// ones.
const COMMUNES_VALID_FROM: (i32, u32, u32) = (2004, 7, 8);

/// Requests to send, stage after stage.
#[derive(Debug, Default)]
pub struct Plan {
    pub stages: Vec<Stage>,
}

impl Plan {
    pub fn step_count(&self) -> usize {
        self.stages.iter().map(Stage::step_count).sum()
    }
}

/// Chains that may run concurrently; the steps of a chain run in order.
#[derive(Debug)]
pub struct Stage {
    pub name: &'static str,
    pub chains: Vec<Vec<Step>>,
}

impl Stage {
    pub fn step_count(&self) -> usize {
        self.chains.iter().map(Vec::len).sum()
    }
}

/// One request, and what it is about (for error messages).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub what: String,
    pub request: Request,
}

/// One call of a domain service.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    RegisterArea(pb::RegisterAreaRequest),
    RecordPopulation(pb::RecordPopulationRequest),
    DesignateKeyComplexArea(pb::DesignateKeyComplexAreaRequest),
    RecordTransformation(pb::RecordTransformationRequest),
    RegisterPerson(pb::RegisterPersonRequest),
    EstablishTeam(pb::EstablishTeamRequest),
    RestructureTeam(pb::RestructureTeamRequest),
    AppointMember(pb::AppointMemberRequest),
    ChangeMemberRole(pb::ChangeMemberRoleRequest),
    MemberLeaves(pb::MemberLeavesRequest),
    ReplaceMember(pb::ReplaceMemberRequest),
    RecordGroupHouseholds(pb::RecordGroupHouseholdsRequest),
    ReportIncident(pb::ReportIncidentRequest),
    AssignIncident(pb::AssignIncidentRequest),
    MediateIncident(pb::MediateIncidentRequest),
    ResolveIncident(pb::ResolveIncidentRequest),
    RecordArrest(pb::RecordArrestRequest),
    RegisterToStrive(pb::RegisterToStriveRequest),
    RateUnit(pb::RateUnitRequest),
    RecordPledges(pb::RecordPledgesRequest),
    RecordDocument(pb::RecordDocumentRequest),
    RecordConference(pb::RecordConferenceRequest),
    RecordConferenceAttendees(pb::RecordConferenceAttendeesRequest),
    GrantAward(pb::GrantAwardRequest),
    TakeOffice(pb::TakeOfficeRequest),
    IssueCompositionPolicy(pb::IssueCompositionPolicyRequest),
}

impl Request {
    /// The RPC's name, for messages.
    pub fn method(&self) -> &'static str {
        match self {
            Request::RegisterArea(_) => "RegisterArea",
            Request::RecordPopulation(_) => "RecordPopulation",
            Request::DesignateKeyComplexArea(_) => "DesignateKeyComplexArea",
            Request::RecordTransformation(_) => "RecordTransformation",
            Request::RegisterPerson(_) => "RegisterPerson",
            Request::EstablishTeam(_) => "EstablishTeam",
            Request::RestructureTeam(_) => "RestructureTeam",
            Request::AppointMember(_) => "AppointMember",
            Request::ChangeMemberRole(_) => "ChangeMemberRole",
            Request::MemberLeaves(_) => "MemberLeaves",
            Request::ReplaceMember(_) => "ReplaceMember",
            Request::RecordGroupHouseholds(_) => "RecordGroupHouseholds",
            Request::ReportIncident(_) => "ReportIncident",
            Request::AssignIncident(_) => "AssignIncident",
            Request::MediateIncident(_) => "MediateIncident",
            Request::ResolveIncident(_) => "ResolveIncident",
            Request::RecordArrest(_) => "RecordArrest",
            Request::RegisterToStrive(_) => "RegisterToStrive",
            Request::RateUnit(_) => "RateUnit",
            Request::RecordPledges(_) => "RecordPledges",
            Request::RecordDocument(_) => "RecordDocument",
            Request::RecordConference(_) => "RecordConference",
            Request::RecordConferenceAttendees(_) => "RecordConferenceAttendees",
            Request::GrantAward(_) => "GrantAward",
            Request::TakeOffice(_) => "TakeOffice",
            Request::IssueCompositionPolicy(_) => "IssueCompositionPolicy",
        }
    }
}

/// The day `y-m-d`. Infallible so that the plan's fixed dates need no error path: the day
/// is counted from 1 January, so a day past the month's end would roll over, which
/// `on_is_the_calendar_date` rules out for every day the plan can name.
pub fn on(year: i32, month: u32, day: u32) -> Date {
    const BEFORE_MONTH: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_index = month.clamp(1, 12) as usize - 1;
    let leap_day = i64::from(leap && month > 2);
    let offset = BEFORE_MONTH[month_index] + leap_day + i64::from(day.max(1)) - 1;
    plus(Date::first_day_of_year(year), offset)
}

fn on_tuple((year, month, day): (i32, u32, u32)) -> Date {
    on(year, month, day)
}

/// `days` after `date`.
pub fn plus(date: Date, days: i64) -> Date {
    Date::from_days_since_unix_epoch(date.days_since_unix_epoch() + days)
}

/// The `index`-th of `count` days spread evenly over `from..=to`.
fn spread(from: Date, to: Date, index: u32, count: u32) -> Date {
    let span = to.days_since_unix_epoch() - from.days_since_unix_epoch();
    let count = i64::from(count.max(1));
    plus(from, i64::from(index) * span / count)
}

/// `count` items spread evenly over the years `first..=last`: for each, its year, its
/// index among that year's items and how many that year has.
fn yearly(first: i32, last: i32, count: u32) -> Vec<(i32, u32, u32)> {
    let years = u64::try_from(last - first + 1).unwrap_or(1).max(1);
    let year_of = |k: u32| first + i32::try_from(u64::from(k) * years / u64::from(count.max(1))).unwrap_or(0);
    let mut items = Vec::with_capacity(count as usize);
    let mut start = 0;
    while start < count {
        let year = year_of(start);
        let end = (start..count).find(|k| year_of(*k) != year).unwrap_or(count);
        items.extend((0..end - start).map(|within| (year, within, end - start)));
        start = end;
    }
    items
}

/// The part of `total` that falls to item `index` of `parts` when it is shared out as
/// evenly as possible, the first items taking the remainder.
fn share(total: u32, parts: u32, index: u32) -> u32 {
    let parts = parts.max(1);
    total / parts + u32::from(index < total % parts)
}

/// A commune-level unit of 2008–2018.
#[derive(Clone, Debug)]
struct Commune {
    id: Uuid,
    /// e.g. "Xã Nga An", "Thị trấn Nga Sơn".
    name: String,
    /// Registered by the demo (merged in 2019, not in the 2024 list).
    registered_here: bool,
}

impl Commune {
    /// The name inside a sentence: "xã Nga An", "thị trấn Nga Sơn".
    fn lower(&self) -> String {
        lower_first(&self.name)
    }

    /// Who signs the commune's decisions on its forces.
    fn chairman(&self) -> String {
        format!("Chủ tịch UBND {}", self.lower())
    }
}

/// A residential area (thôn, khu phố) registered by the demo.
#[derive(Clone, Debug)]
struct Residential {
    id: Uuid,
    /// e.g. "Thôn 3".
    name: String,
    commune: usize,
}

/// A school, agency or enterprise rated as a unit inside a commune.
#[derive(Clone, Debug)]
struct RatedUnit {
    id: Uuid,
    name: String,
    commune: usize,
}

/// What one team's chain holds before it is sorted into date order.
#[derive(Default)]
struct TeamChain {
    /// (day, order of planning, step): sorted by day, ties kept in planning order.
    steps: Vec<(Date, usize, Step)>,
}

/// Builds the plan section by section; later sections use what earlier ones recorded
/// (who held a seat on a day, which team works in an area).
struct Builder {
    province: Uuid,
    district: Uuid,
    communes: Vec<Commune>,
    residential: Vec<Residential>,
    units: Vec<RatedUnit>,
    area_chains: Vec<Vec<Step>>,
    persons: Vec<Step>,
    registered_persons: HashSet<Uuid>,
    teams: Vec<Step>,
    team_chains: BTreeMap<Uuid, TeamChain>,
    planned: usize,
    incident_chains: Vec<Vec<Step>>,
    rating_chains: BTreeMap<(Uuid, i32), Vec<Step>>,
    record_chains: Vec<Vec<Step>>,
    /// Decision numbers issued so far, per issuer, form and year.
    decision_numbers: HashMap<(String, &'static str, i32), u32>,
    forces: forces::Forces,
}

/// What the plan is made from.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// The official unit list imported with `antt import areas`.
    pub units: &'a [Unit],
    /// The id it was imported with (its areas' ids depend on it), e.g. "2024".
    pub list_id: &'a str,
}

/// The whole history.
pub fn plan_nga_son(input: Input<'_>) -> anyhow::Result<Plan> {
    let mut builder = Builder::new(input)?;
    builder.plan_areas();
    builder.plan_forces();
    builder.plan_incidents();
    builder.plan_ratings();
    builder.plan_records();
    Ok(builder.finish())
}

impl Builder {
    fn new(input: Input<'_>) -> anyhow::Result<Builder> {
        let find = |level: Level, code: &str| {
            input
                .units
                .iter()
                .find(|unit| unit.level == level && unit.code == code)
                .with_context(|| format!("the unit list has no {level} {code}: is it the 2024 list?"))
        };
        let province = find(Level::Province, PROVINCE_CODE)?;
        let district = find(Level::District, DISTRICT_CODE)?;
        if district.name != "Huyện Nga Sơn" || district.parent_code.as_deref() != Some(PROVINCE_CODE) {
            bail!(
                "district {DISTRICT_CODE} of the list is {:?} under {:?}, not Huyện Nga Sơn under {PROVINCE_CODE}",
                district.name,
                district.parent_code
            );
        }
        let mut communes: Vec<Commune> = Vec::new();
        for unit in input
            .units
            .iter()
            .filter(|unit| unit.level == Level::Commune && unit.parent_code.as_deref() == Some(DISTRICT_CODE))
        {
            if let Some((_, name)) = FORMED_IN_2019.iter().find(|(code, _)| *code == unit.code) {
                if unit.name != *name {
                    bail!(
                        "commune {} of the list is {:?}, expected {name:?}",
                        unit.code,
                        unit.name
                    );
                }
                continue;
            }
            communes.push(Commune {
                id: area_id(input.list_id, Level::Commune, &unit.code),
                name: unit.name.clone(),
                registered_here: false,
            });
        }
        if communes.len() != 21 {
            bail!(
                "the list has {} communes of Nga Sơn that existed throughout 2008–2018, expected 21 \
                 (23 in 2024 less the 2 formed in 2019)",
                communes.len()
            );
        }
        for name in MERGED_IN_2019 {
            communes.push(Commune {
                id: record_id(&format!("commune:{name}")),
                name: name.to_owned(),
                registered_here: true,
            });
        }
        Ok(Builder {
            province: area_id(input.list_id, Level::Province, &province.code),
            district: area_id(input.list_id, Level::District, &district.code),
            communes,
            residential: Vec::new(),
            units: Vec::new(),
            area_chains: Vec::new(),
            persons: Vec::new(),
            registered_persons: HashSet::new(),
            teams: Vec::new(),
            team_chains: BTreeMap::new(),
            planned: 0,
            incident_chains: Vec::new(),
            rating_chains: BTreeMap::new(),
            record_chains: Vec::new(),
            decision_numbers: HashMap::new(),
            forces: forces::Forces::default(),
        })
    }

    fn finish(self) -> Plan {
        let single = |steps: Vec<Step>| steps.into_iter().map(|step| vec![step]).collect();
        let team_chains = self
            .team_chains
            .into_values()
            .map(|mut chain| {
                chain.steps.sort_by_key(|(day, order, _)| (*day, *order));
                chain.steps.into_iter().map(|(_, _, step)| step).collect::<Vec<_>>()
            })
            .collect();
        let stages = vec![
            Stage {
                name: "areas",
                chains: self.area_chains,
            },
            Stage {
                name: "persons",
                chains: single(self.persons),
            },
            Stage {
                name: "teams",
                chains: single(self.teams),
            },
            Stage {
                name: "members",
                chains: longest_first(team_chains),
            },
            Stage {
                name: "incidents",
                chains: self.incident_chains,
            },
            Stage {
                name: "ratings",
                chains: self.rating_chains.into_values().collect(),
            },
            Stage {
                name: "records",
                chains: longest_first(self.record_chains),
            },
        ];
        Plan { stages }
    }

    fn commune_of(&self, residential: usize) -> &Commune {
        &self.communes[self.residential[residential].commune]
    }

    /// "Thôn 3, xã Nga An".
    fn residential_name(&self, residential: usize) -> String {
        let area = &self.residential[residential];
        format!("{}, {}", area.name, self.commune_of(residential).lower())
    }

    /// Where a person of the area lives.
    fn address(&self, residential: usize) -> String {
        format!("{}, huyện Nga Sơn, tỉnh Thanh Hóa", self.residential_name(residential))
    }

    /// The next number of a decision `form` (e.g. "QĐ-UBND") of `issuer` in the year.
    fn decision(&mut self, issuer: &str, form: &'static str, issued_on: Date) -> pb::DecisionRef {
        let counter = self
            .decision_numbers
            .entry((issuer.to_owned(), form, issued_on.year()))
            .or_insert(0);
        *counter += 1;
        pb::DecisionRef {
            number: format!("{:02}/{form}", *counter),
            issued_by: issuer.to_owned(),
            issued_on: Some(issued_on.to_proto()),
        }
    }

    /// Registers the person `name` on `registered_on` (once) and returns their id.
    fn person(&mut self, name: &str, profile: &Profile, registered_on: Date) -> Uuid {
        let id = record_id(&format!("person:{name}"));
        if self.registered_persons.insert(id) {
            self.persons.push(Step {
                what: format!("person {name}"),
                request: Request::RegisterPerson(pb::RegisterPersonRequest {
                    header: header(id, "register", registered_on, None),
                    person_id: id.to_string(),
                    personal_data: Some(personal_data(id, profile)),
                }),
            });
        }
        id
    }

    /// Adds `step` to the chain of `team`, dated `on`.
    fn team_step(&mut self, team: Uuid, on: Date, step: Step) {
        self.planned += 1;
        let order = self.planned;
        self.team_chains.entry(team).or_default().steps.push((on, order, step));
    }
}

/// The header of the command `step` on the record `record`, effective `on`.
fn header(record: Uuid, step: &str, on: Date, decision: Option<pb::DecisionRef>) -> Option<pb::CommandHeader> {
    Some(pb::CommandHeader {
        request_id: request_id(record, step).to_string(),
        expected_version: None,
        effective_date: Some(on.to_proto()),
        decision,
    })
}

/// "Xã Nga An" → "xã Nga An".
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Long chains first, so that the last chains to start are short ones and the stage does
/// not end waiting on one long chain.
fn longest_first(mut chains: Vec<Vec<Step>>) -> Vec<Vec<Step>> {
    chains.sort_by_key(|chain| std::cmp::Reverse(chain.len()));
    chains
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::source::parse_units;

    #[test]
    fn on_is_the_calendar_date() {
        for year in 2004..=2019 {
            for month in 1..=12 {
                for day in 1..=31 {
                    if let Ok(date) = Date::new(year, month, day) {
                        assert_eq!(on(year, month, day), date);
                    }
                }
            }
        }
    }

    #[test]
    fn yearly_spreads_over_every_year() {
        let items = yearly(2009, 2018, 31);
        assert_eq!(items.len(), 31);
        assert_eq!(items[0], (2009, 0, 4));
        assert_eq!(items[30].0, 2018);
        let years: HashSet<i32> = items.iter().map(|(year, _, _)| *year).collect();
        assert_eq!(years.len(), 10);
        assert_eq!(yearly(2013, 2016, 2), vec![(2013, 0, 1), (2015, 0, 1)]);
    }

    #[test]
    fn shares_add_up() {
        assert_eq!((0..27).map(|i| share(501, 27, i)).sum::<u32>(), 501);
        assert_eq!(share(501, 27, 0), 19);
        assert_eq!(share(501, 27, 26), 18);
    }

    pub(super) fn nga_son_units() -> Vec<Unit> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../reference/admin-units/admin-units-2024.csv"
        );
        let text = std::fs::read_to_string(path).unwrap();
        parse_units(&text).unwrap()
    }

    #[test]
    fn the_plan_is_deterministic_and_uses_27_communes() {
        let units = nga_son_units();
        let input = Input {
            units: &units,
            list_id: "2024",
        };
        let first = plan_nga_son(input).unwrap();
        let second = plan_nga_son(input).unwrap();
        assert_eq!(first.step_count(), second.step_count());
        for (a, b) in first.stages.iter().zip(&second.stages) {
            assert_eq!(a.chains, b.chains, "stage {}", a.name);
        }
        let builder = Builder::new(input).unwrap();
        assert_eq!(builder.communes.len(), 27);
        assert_eq!(builder.communes.iter().filter(|c| c.registered_here).count(), 6);
        assert!(builder
            .communes
            .iter()
            .all(|c| !c.name.contains("Phượng") && !c.name.contains("Hiệp")));
    }

    #[test]
    fn request_ids_are_unique() {
        let units = nga_son_units();
        let plan = plan_nga_son(Input {
            units: &units,
            list_id: "2024",
        })
        .unwrap();
        let mut seen = HashSet::new();
        for step in plan.stages.iter().flat_map(|stage| stage.chains.iter().flatten()) {
            let id = request_header(&step.request).request_id.clone();
            assert!(seen.insert(id), "{} reuses a request id", step.what);
        }
    }

    #[test]
    fn the_plan_records_the_counts_of_the_figures() {
        let units = nga_son_units();
        let plan = plan_nga_son(Input {
            units: &units,
            list_id: "2024",
        })
        .unwrap();
        let mut methods: BTreeMap<&str, usize> = BTreeMap::new();
        for step in plan.stages.iter().flat_map(|stage| stage.chains.iter().flatten()) {
            *methods.entry(step.request.method()).or_default() += 1;
        }
        // 501 + 463 + 109 heads of units + 3 secretaries; 234 officers, village heads,
        // militia heads; 2 × 234 team members; 2,490 + 997 group leaders and deputies;
        // 26,791 members of models.
        assert_eq!(methods["RegisterPerson"], 32_524);
        assert_eq!(methods["RegisterArea"], 6 + 234 + 89 + 12 + 8);
        // Committees 501 + 112, sub-committees 468, teams 702, groups 2,490, models.
        assert_eq!(methods["AppointMember"], 613 + 468 + 702 + 2_490 + 26_791);
        assert_eq!(methods["ReplaceMember"], 463 + 234 + 997);
        assert_eq!(methods["MemberLeaves"], 463 + 234 + 997);
        assert_eq!(methods["ChangeMemberRole"], 3);
        assert_eq!(methods["EstablishTeam"], 27 + 234 + 234 + 1_245 + 372);
        assert_eq!(methods["RestructureTeam"], 3);
        assert_eq!(methods["RecordGroupHouseholds"], 1_242 + 1_245);
        assert_eq!(methods["ReportIncident"], 5_220);
        assert_eq!(methods["ResolveIncident"], 5_220);
        assert_eq!(methods["MediateIncident"], 1_270 + 296 + 1_879);
        assert_eq!(methods["RecordArrest"], 73);
        assert_eq!(methods["RateUnit"], 234 * 9);
        assert_eq!(methods["RegisterToStrive"], 234 + 89 + 27 + 20);
        assert_eq!(methods["RecordPledges"], 27 * 10);
        assert_eq!(methods["DesignateKeyComplexArea"], 3);
        assert_eq!(methods["RecordTransformation"], 2);
        assert_eq!(methods["RecordDocument"], 9 + 76 + 1_053 + 270);
        assert_eq!(methods["RecordConference"], 512 + 1_026 + 2_340);
        assert_eq!(methods["RecordConferenceAttendees"], 4);
        assert_eq!(methods["GrantAward"], 4 + 26 + 37);
        assert_eq!(methods["TakeOffice"], 2 * 234);
        assert_eq!(methods["IssueCompositionPolicy"], 1);
    }

    fn request_header(request: &Request) -> &pb::CommandHeader {
        let header = match request {
            Request::RegisterArea(r) => &r.header,
            Request::RecordPopulation(r) => &r.header,
            Request::DesignateKeyComplexArea(r) => &r.header,
            Request::RecordTransformation(r) => &r.header,
            Request::RegisterPerson(r) => &r.header,
            Request::EstablishTeam(r) => &r.header,
            Request::RestructureTeam(r) => &r.header,
            Request::AppointMember(r) => &r.header,
            Request::ChangeMemberRole(r) => &r.header,
            Request::MemberLeaves(r) => &r.header,
            Request::ReplaceMember(r) => &r.header,
            Request::RecordGroupHouseholds(r) => &r.header,
            Request::ReportIncident(r) => &r.header,
            Request::AssignIncident(r) => &r.header,
            Request::MediateIncident(r) => &r.header,
            Request::ResolveIncident(r) => &r.header,
            Request::RecordArrest(r) => &r.header,
            Request::RegisterToStrive(r) => &r.header,
            Request::RateUnit(r) => &r.header,
            Request::RecordPledges(r) => &r.header,
            Request::RecordDocument(r) => &r.header,
            Request::RecordConference(r) => &r.header,
            Request::RecordConferenceAttendees(r) => &r.header,
            Request::GrantAward(r) => &r.header,
            Request::TakeOffice(r) => &r.header,
            Request::IssueCompositionPolicy(r) => &r.header,
        };
        header.as_ref().unwrap()
    }
}
