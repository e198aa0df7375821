//! Turning the official lists into an ordered list of `antt.v1.Areas` requests. Pure: no
//! I/O, no clock; every id comes from [`crate::import::identity`], so planning the same
//! files twice gives the same requests byte for byte.
//!
//! A plan is a list of stages run one after the other; the steps of one stage are
//! independent of each other (no step needs another of its stage to be recorded first,
//! and no two write the same area), so they may be sent concurrently.

use std::collections::{HashMap, HashSet};

use antt_proto::v1 as pb;
use anyhow::{bail, Context as _};
use uuid::Uuid;

use crate::import::identity::{area_id, request_id};
use crate::import::source::{CommuneRow, Level, Merged, ProvinceRow, Unit};

/// The step name of registering an area, whichever import does it.
pub const STEP_REGISTER: &str = "register";
pub const STEP_REFORM_MERGE: &str = "reform-2025:merge";
pub const STEP_REFORM_SPLIT: &str = "reform-2025:split";
pub const STEP_REFORM_DISSOLVE: &str = "reform-2025:dissolve";
pub const STEP_REFORM_RENAME: &str = "reform-2025:rename";

/// The day the two-level structure took effect (districts abolished, provinces and
/// communes merged).
pub const REFORM_DATE: pb::Date = pb::Date {
    year: 2025,
    month: 7,
    day: 1,
};

/// Requests to send, stage after stage.
#[derive(Debug, Default)]
pub struct Plan {
    pub stages: Vec<Stage>,
    /// What in the input could not be recorded exactly as given, and what was done instead.
    pub notes: Vec<Note>,
}

impl Plan {
    pub fn step_count(&self) -> usize {
        self.stages.iter().map(|stage| stage.steps.len()).sum()
    }
}

/// Steps that may run concurrently.
#[derive(Debug)]
pub struct Stage {
    pub name: &'static str,
    pub steps: Vec<Step>,
}

/// One request, and the unit it is about (for progress and error messages).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// e.g. "commune 16093 Thị trấn Nga Sơn (list 2024)".
    pub unit: String,
    pub request: Request,
}

/// One call of the `antt.v1.Areas` service.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    Register(pb::RegisterAreaRequest),
    Rename(pb::RenameAreaRequest),
    Merge(pb::MergeAreasRequest),
    Split(pb::SplitAreaRequest),
    Dissolve(pb::DissolveAreaRequest),
}

impl Request {
    /// The RPC's name, for messages.
    pub fn method(&self) -> &'static str {
        match self {
            Request::Register(_) => "RegisterArea",
            Request::Rename(_) => "RenameArea",
            Request::Merge(_) => "MergeAreas",
            Request::Split(_) => "SplitArea",
            Request::Dissolve(_) => "DissolveArea",
        }
    }

    #[cfg(test)]
    pub fn header(&self) -> Option<&pb::CommandHeader> {
        match self {
            Request::Register(r) => r.header.as_ref(),
            Request::Rename(r) => r.header.as_ref(),
            Request::Merge(r) => r.header.as_ref(),
            Request::Split(r) => r.header.as_ref(),
            Request::Dissolve(r) => r.header.as_ref(),
        }
    }
}

/// Something in the input that the plan records differently from how it reads, or not
/// at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub kind: NoteKind,
    /// The code of the old unit it is about (for a row naming an unknown old commune, its
    /// district), so that a plan of one subtree keeps only its own notes; empty when it is
    /// about a new unit only.
    pub old_code: String,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoteKind {
    UnknownOldCommune,
    UnlistedOldCommune,
    SinglePartlyRow,
    WholeRowWithOtherTargets,
    DistrictMismatch,
    ProvinceMismatch,
    NewCommuneWithoutSource,
    IslandDistrict,
    ProvinceAlsoListedElsewhere,
}

impl NoteKind {
    /// What the note means and what the plan does about it.
    pub fn explanation(self) -> &'static str {
        match self {
            NoteKind::UnknownOldCommune => {
                "old communes in the conversion table are not in the old list; nothing is recorded for their rows"
            }
            NoteKind::UnlistedOldCommune => {
                "old communes are not in the conversion table; they are dissolved on 2025-07-01 with a reason saying no successor is listed"
            }
            NoteKind::SinglePartlyRow => {
                "old communes have a single `partly` row; they are merged into that one new commune, their only listed successor"
            }
            NoteKind::WholeRowWithOtherTargets => {
                "old communes are listed `whole` and also go to other new communes; they are split among all of them"
            }
            NoteKind::DistrictMismatch => "conversion rows give another old district than the old list; the list wins",
            NoteKind::ProvinceMismatch => "conversion rows give another new province than the new list; the list wins",
            NoteKind::NewCommuneWithoutSource => {
                "new communes have no conversion row; they are registered with no areas they were formed from"
            }
            NoteKind::IslandDistrict => {
                "old districts without communes became a special zone (đặc khu, a commune) of the same name; the zone is formed from the district, which is dissolved (areas of different levels cannot merge)"
            }
            NoteKind::ProvinceAlsoListedElsewhere => {
                "old provinces that continue are also listed towards another new province; only the continuation is recorded"
            }
        }
    }
}

/// What `antt import areas` registers.
#[derive(Clone, Debug)]
pub struct AreasOptions<'a> {
    /// The code list's id, e.g. "2024"; part of every area id.
    pub list_id: &'a str,
    /// From when the units are recorded as existing.
    pub valid_from: pb::Date,
    /// Only this unit, its ancestors and its descendants.
    pub only_under: Option<&'a str>,
}

/// Registers every unit of a list (or of a subtree), parents before children: one stage
/// per level, in the list's order within a level.
pub fn plan_areas(units: &[Unit], options: &AreasOptions) -> anyhow::Result<Plan> {
    let list = UnitIndex::new(units).context("the unit list is inconsistent")?;
    let scope = match options.only_under {
        Some(code) => Some(list.subtree_with_ancestors(code)?),
        None => None,
    };
    let in_scope = |unit: &Unit| scope.as_ref().is_none_or(|codes| codes.contains(unit.code.as_str()));
    let mut plan = Plan::default();
    for (level, name) in [
        (Level::Province, "provinces"),
        (Level::District, "districts"),
        (Level::Commune, "communes"),
    ] {
        let steps = units
            .iter()
            .filter(|unit| unit.level == level && in_scope(unit))
            .map(|unit| {
                let parent = unit
                    .parent_code
                    .as_deref()
                    .and_then(|code| list.get(code))
                    .map(|parent| area_id(options.list_id, parent.level, &parent.code));
                register(options.list_id, unit, parent, Vec::new(), options.valid_from, None)
            })
            .collect();
        plan.stages.push(Stage { name, steps });
    }
    Ok(plan)
}

/// The four files of the 2025 reform.
#[derive(Clone, Copy, Debug)]
pub struct ReformInput<'a> {
    pub old_units: &'a [Unit],
    pub new_units: &'a [Unit],
    pub provinces: &'a [ProvinceRow],
    pub communes: &'a [CommuneRow],
}

/// How `antt import reform-2025` names areas and what it covers.
#[derive(Clone, Debug)]
pub struct ReformOptions<'a> {
    /// The id the old list was imported with (`import areas --list-id`).
    pub old_list_id: &'a str,
    /// The id of the new list, for the areas registered by the reform.
    pub new_list_id: &'a str,
    /// Only this old unit's subtree (and what it became).
    pub only_under: Option<&'a str>,
}

/// Records the 2025-07-01 reform:
///
/// 1. new provinces that continue no old one are registered;
/// 2. every new commune is registered under its new province, formed from the old
///    communes listed for it;
/// 3. each old commune ends: merged into its new commune (MergeAreas, one request per new
///    commune), split among several (SplitArea), or, if the conversion table does not
///    list it, dissolved;
/// 4. old districts are dissolved once their communes have ended (an island district
///    without communes that became a special zone, đặc khu, is named by the zone's
///    `formed_from` and by the reason);
/// 5. old provinces merged into a continuing one end (MergeAreas on the survivor);
/// 6. continuing provinces that took a new name or type are renamed.
pub fn plan_reform(input: ReformInput, options: &ReformOptions) -> anyhow::Result<Plan> {
    let old = UnitIndex::new(input.old_units).context("the old unit list is inconsistent")?;
    let new = UnitIndex::new(input.new_units).context("the new unit list is inconsistent")?;
    if let Some(district) = input.new_units.iter().find(|unit| unit.level == Level::District) {
        bail!(
            "the new list has districts (e.g. {}); the 2025 structure has provinces and communes only",
            district.code
        );
    }
    let mut notes = Vec::new();
    let provinces = ProvinceMap::new(&old, &new, input.provinces, options, &mut notes)?;
    let communes = CommuneMap::new(&old, &new, input.communes, &mut notes)?;
    let islands = island_districts(&old, &new, &communes, &provinces);
    let scope = ReformScope::new(&old, &new, &communes, &provinces, &islands, options.only_under)?;
    let reform = Reform {
        old: &old,
        new: &new,
        provinces: &provinces,
        communes: &communes,
        islands: &islands,
        scope: &scope,
        options,
    };
    notes.retain(|note| note.old_code.is_empty() || scope.has_old(&note.old_code));
    notes.extend(reform.scoped_notes());
    Ok(Plan {
        stages: vec![
            Stage {
                name: "new provinces",
                steps: reform.new_provinces(),
            },
            Stage {
                name: "new communes",
                steps: reform.new_communes(),
            },
            Stage {
                name: "old communes",
                steps: reform.old_communes(),
            },
            Stage {
                name: "old districts",
                steps: reform.old_districts(),
            },
            Stage {
                name: "province mergers",
                steps: reform.province_mergers(),
            },
            Stage {
                name: "province names",
                steps: reform.province_renames(),
            },
        ],
        notes,
    })
}

/// The decision of the province mergers: Resolution 202/2025/QH15 of the National
/// Assembly on the arrangement of provincial-level administrative units.
pub fn province_decision() -> pb::DecisionRef {
    pb::DecisionRef {
        number: "202/2025/QH15".to_owned(),
        issued_by: "Quốc hội".to_owned(),
        issued_on: Some(pb::Date {
            year: 2025,
            month: 6,
            day: 12,
        }),
    }
}

/// The decision that ended the districts: the Law on the Organisation of Local
/// Government 72/2025/QH15, under which district-level units ceased on 2025-07-01.
pub fn district_decision() -> pb::DecisionRef {
    pb::DecisionRef {
        number: "72/2025/QH15".to_owned(),
        issued_by: "Quốc hội".to_owned(),
        issued_on: Some(pb::Date {
            year: 2025,
            month: 6,
            day: 16,
        }),
    }
}

/// The decision of a new province's commune arrangement. The Standing Committee of the
/// National Assembly issued one resolution per new province on 2025-06-16; their numbers
/// are not in the reference data, so the decision is named by what it is and whose it is.
pub fn commune_decision(new_province_name: &str) -> pb::DecisionRef {
    pb::DecisionRef {
        number: format!("Nghị quyết của UBTVQH sắp xếp ĐVHC cấp xã của {new_province_name} năm 2025"),
        issued_by: "Ủy ban Thường vụ Quốc hội".to_owned(),
        issued_on: Some(pb::Date {
            year: 2025,
            month: 6,
            day: 16,
        }),
    }
}

const DISTRICT_DISSOLVED_REASON: &str =
    "Đơn vị hành chính cấp huyện chấm dứt hoạt động từ ngày 01/7/2025 (Luật Tổ chức chính quyền địa phương số 72/2025/QH15)";
const UNLISTED_COMMUNE_REASON: &str =
    "Không có trong bảng chuyển đổi đơn vị hành chính cấp xã năm 2025 của cơ quan thống kê; \
     kết thúc cùng cấu trúc ba cấp ngày 01/7/2025, đơn vị kế thừa chưa được ghi nhận";

/// A unit list by code, with parents checked. GSO codes have a fixed length per level,
/// so a code alone names one unit of a list.
struct UnitIndex<'a> {
    by_code: HashMap<&'a str, &'a Unit>,
    children: HashMap<&'a str, Vec<&'a Unit>>,
}

impl<'a> UnitIndex<'a> {
    fn new(units: &'a [Unit]) -> anyhow::Result<Self> {
        let mut by_code = HashMap::with_capacity(units.len());
        let mut children: HashMap<&str, Vec<&Unit>> = HashMap::new();
        for unit in units {
            if by_code.insert(unit.code.as_str(), unit).is_some() {
                bail!("the code {} appears twice", unit.code);
            }
            if let Some(parent) = &unit.parent_code {
                children.entry(parent.as_str()).or_default().push(unit);
            }
        }
        for unit in units {
            let Some(parent_code) = &unit.parent_code else { continue };
            let parent = by_code
                .get(parent_code.as_str())
                .with_context(|| format!("{}'s parent {parent_code} is not in the list", describe_code(unit)))?;
            if parent.level >= unit.level {
                bail!(
                    "{}'s parent {parent_code} is a {}, not a level above",
                    describe_code(unit),
                    parent.level
                );
            }
        }
        Ok(UnitIndex { by_code, children })
    }

    fn get(&self, code: &str) -> Option<&'a Unit> {
        self.by_code.get(code).copied()
    }

    fn get_at(&self, level: Level, code: &str) -> Option<&'a Unit> {
        self.get(code).filter(|unit| unit.level == level)
    }

    fn children_of(&self, code: &str) -> &[&'a Unit] {
        self.children.get(code).map(Vec::as_slice).unwrap_or_default()
    }

    /// The codes of `code`, its ancestors and all its descendants.
    fn subtree_with_ancestors(&self, code: &str) -> anyhow::Result<HashSet<&'a str>> {
        let root = self
            .get(code)
            .with_context(|| format!("--only-under {code}: no unit has this code in the list"))?;
        let mut codes = HashSet::new();
        let mut ancestor = Some(root);
        while let Some(unit) = ancestor {
            codes.insert(unit.code.as_str());
            ancestor = unit.parent_code.as_deref().and_then(|parent| self.get(parent));
        }
        let mut pending = vec![root];
        while let Some(unit) = pending.pop() {
            codes.insert(unit.code.as_str());
            pending.extend(self.children_of(&unit.code));
        }
        Ok(codes)
    }
}

/// What became of each old province.
struct ProvinceMap<'a> {
    /// Per new province, in the new list's order.
    targets: Vec<NewProvince<'a>>,
    /// Old province code → the new provinces it is listed towards, in table order.
    by_old: HashMap<&'a str, Vec<&'a str>>,
}

struct NewProvince<'a> {
    unit: &'a Unit,
    /// The old province of the same code that continues as this one (same area id).
    continuing: Option<&'a Unit>,
    /// Old provinces merged into it, in table order.
    absorbed: Vec<&'a Unit>,
    /// The area the new province is: the continuing old one's, or a new one's.
    area_id: Uuid,
}

impl<'a> ProvinceMap<'a> {
    fn new(
        old: &UnitIndex<'a>,
        new: &UnitIndex<'a>,
        rows: &'a [ProvinceRow],
        options: &ReformOptions,
        notes: &mut Vec<Note>,
    ) -> anyhow::Result<Self> {
        let mut by_old: HashMap<&str, Vec<&str>> = HashMap::new();
        for row in rows {
            if old.get_at(Level::Province, &row.old_code).is_none() {
                bail!(
                    "the province conversion lists old province {}, which is not in the old list",
                    row.old_code
                );
            }
            if new.get_at(Level::Province, &row.new_code).is_none() {
                bail!(
                    "the province conversion lists new province {}, which is not in the new list",
                    row.new_code
                );
            }
            let targets = by_old.entry(row.old_code.as_str()).or_default();
            if !targets.contains(&row.new_code.as_str()) {
                targets.push(row.new_code.as_str());
            }
        }
        let continues = |code: &str| by_old.get(code).is_some_and(|targets| targets.contains(&code));
        let mut absorbed_by: HashMap<&str, Vec<&Unit>> = HashMap::new();
        let mut old_provinces: Vec<&Unit> = old
            .by_code
            .values()
            .copied()
            .filter(|u| u.level == Level::Province)
            .collect();
        old_provinces.sort_by(|a, b| a.code.cmp(&b.code));
        for province in old_provinces {
            let targets = by_old.get(province.code.as_str()).with_context(|| {
                format!(
                    "old {} is not in the province conversion table",
                    describe_code(province)
                )
            })?;
            if continues(&province.code) {
                for other in targets.iter().filter(|target| **target != province.code) {
                    notes.push(Note {
                        kind: NoteKind::ProvinceAlsoListedElsewhere,
                        old_code: province.code.clone(),
                        detail: format!("{} → {other}", province.code),
                    });
                }
            } else if let [target] = targets.as_slice() {
                absorbed_by.entry(target).or_default().push(province);
            } else {
                bail!(
                    "old {} is listed towards several new provinces ({}) and continues in none; \
                     dividing a province is not supported",
                    describe_code(province),
                    targets.join(", ")
                );
            }
        }
        let targets = new
            .by_code
            .values()
            .copied()
            .filter(|unit| unit.level == Level::Province)
            .map(|unit| {
                let continuing = old
                    .get_at(Level::Province, &unit.code)
                    .filter(|_| continues(&unit.code));
                let area_id = match continuing {
                    Some(old_unit) => area_id(options.old_list_id, Level::Province, &old_unit.code),
                    None => area_id(options.new_list_id, Level::Province, &unit.code),
                };
                NewProvince {
                    unit,
                    continuing,
                    absorbed: absorbed_by.remove(unit.code.as_str()).unwrap_or_default(),
                    area_id,
                }
            })
            .collect::<Vec<_>>();
        let mut map = ProvinceMap { targets, by_old };
        map.targets.sort_by(|a, b| a.unit.code.cmp(&b.unit.code));
        Ok(map)
    }

    fn target(&self, new_code: &str) -> Option<&NewProvince<'a>> {
        self.targets.iter().find(|target| target.unit.code == new_code)
    }
}

/// How an old commune ends.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ending<'a> {
    /// Merged into this new commune.
    MergedInto(&'a str),
    /// Divided among these new communes.
    SplitAmong(Vec<&'a str>),
}

/// What became of each old commune.
struct CommuneMap<'a> {
    /// Old commune code → how it ends (known old communes only).
    endings: HashMap<&'a str, Ending<'a>>,
    /// New commune code → the known old communes it was formed from, in table order.
    sources: HashMap<&'a str, Vec<&'a str>>,
    /// Every new commune named by some row, known old commune or not.
    targeted: HashSet<&'a str>,
}

impl<'a> CommuneMap<'a> {
    fn new(
        old: &UnitIndex<'a>,
        new: &UnitIndex<'a>,
        rows: &'a [CommuneRow],
        notes: &mut Vec<Note>,
    ) -> anyhow::Result<Self> {
        // Old commune → its rows, in first-appearance order.
        let mut order: Vec<&str> = Vec::new();
        let mut rows_by_old: HashMap<&str, Vec<&CommuneRow>> = HashMap::new();
        let mut targeted = HashSet::new();
        for row in rows {
            let new_commune = new.get_at(Level::Commune, &row.new_commune_code).with_context(|| {
                format!(
                    "the commune conversion lists new commune {}, which is not in the new list",
                    row.new_commune_code
                )
            })?;
            if new_commune.parent_code.as_deref() != Some(row.new_province_code.as_str()) {
                notes.push(Note {
                    kind: NoteKind::ProvinceMismatch,
                    old_code: row.old_commune_code.clone(),
                    detail: format!("{} → {}", row.old_commune_code, row.new_commune_code),
                });
            }
            targeted.insert(row.new_commune_code.as_str());
            let entry = rows_by_old.entry(row.old_commune_code.as_str()).or_default();
            if entry.is_empty() {
                order.push(row.old_commune_code.as_str());
            }
            entry.push(row);
        }
        let mut endings = HashMap::new();
        let mut sources: HashMap<&str, Vec<&str>> = HashMap::new();
        for old_code in order {
            let rows = &rows_by_old[old_code];
            let Some(old_commune) = old.get_at(Level::Commune, old_code) else {
                let targets: Vec<&str> = rows.iter().map(|row| row.new_commune_code.as_str()).collect();
                notes.push(Note {
                    kind: NoteKind::UnknownOldCommune,
                    old_code: rows[0].old_district_code.clone(),
                    detail: format!(
                        "{old_code} (district {}) → {}",
                        rows[0].old_district_code,
                        targets.join(", ")
                    ),
                });
                continue;
            };
            if rows
                .iter()
                .any(|row| old_commune.parent_code.as_deref() != Some(&row.old_district_code))
            {
                notes.push(Note {
                    kind: NoteKind::DistrictMismatch,
                    old_code: old_code.to_owned(),
                    detail: format!("{old_code} (table: {})", rows[0].old_district_code),
                });
            }
            let mut targets: Vec<&str> = Vec::new();
            for row in rows {
                if !targets.contains(&row.new_commune_code.as_str()) {
                    targets.push(row.new_commune_code.as_str());
                }
            }
            for target in &targets {
                sources.entry(target).or_default().push(old_code);
            }
            let any_whole = rows.iter().any(|row| row.merged == Merged::Whole);
            let ending = match targets.as_slice() {
                [only] => {
                    if !any_whole {
                        notes.push(Note {
                            kind: NoteKind::SinglePartlyRow,
                            old_code: old_code.to_owned(),
                            detail: format!("{old_code} → {only}"),
                        });
                    }
                    Ending::MergedInto(only)
                }
                _ => {
                    if any_whole {
                        notes.push(Note {
                            kind: NoteKind::WholeRowWithOtherTargets,
                            old_code: old_code.to_owned(),
                            detail: format!("{old_code} → {}", targets.join(", ")),
                        });
                    }
                    Ending::SplitAmong(targets)
                }
            };
            endings.insert(old_code, ending);
        }
        Ok(CommuneMap {
            endings,
            sources,
            targeted,
        })
    }
}

/// Special zones (đặc khu) that replaced an island district without communes: new
/// commune code → old district. Matched by the name after the division type ("Huyện Côn
/// Đảo" and "Đặc khu Côn Đảo"), only for a new commune no conversion row names, and only
/// when the district's province went into the zone's province.
fn island_districts<'a>(
    old: &UnitIndex<'a>,
    new: &UnitIndex<'a>,
    communes: &CommuneMap<'a>,
    provinces: &ProvinceMap<'a>,
) -> HashMap<&'a str, &'a Unit> {
    let empty_districts: Vec<&Unit> = old
        .by_code
        .values()
        .copied()
        .filter(|unit| unit.level == Level::District && old.children_of(&unit.code).is_empty())
        .collect();
    let mut islands = HashMap::new();
    for unit in new.by_code.values().copied() {
        if unit.level != Level::Commune || communes.targeted.contains(unit.code.as_str()) {
            continue;
        }
        let name = proper_name(unit);
        let matches: Vec<&Unit> = empty_districts
            .iter()
            .copied()
            .filter(|district| proper_name(district) == name)
            .filter(|district| {
                let old_province = district.parent_code.as_deref().unwrap_or_default();
                let new_province = unit.parent_code.as_deref().unwrap_or_default();
                provinces
                    .by_old
                    .get(old_province)
                    .is_some_and(|targets| targets.contains(&new_province))
            })
            .collect();
        if let [district] = matches.as_slice() {
            islands.insert(unit.code.as_str(), *district);
        }
    }
    islands
}

/// The name without its leading division type: "Huyện Côn Đảo" → "Côn Đảo".
fn proper_name(unit: &Unit) -> &str {
    let prefix_chars = unit.division_type.chars().count();
    let prefix: String = unit.name.chars().take(prefix_chars).collect();
    if prefix.to_lowercase() == unit.division_type.to_lowercase() {
        let rest = unit.name.chars().skip(prefix_chars).collect::<String>();
        let offset = unit.name.len() - rest.len();
        unit.name[offset..].trim_start()
    } else {
        unit.name.as_str()
    }
}

/// Which old and new units a reform plan covers.
struct ReformScope<'a> {
    /// None: everything.
    old_codes: Option<HashSet<&'a str>>,
    new_codes: Option<HashSet<&'a str>>,
}

impl<'a> ReformScope<'a> {
    fn new(
        old: &UnitIndex<'a>,
        new: &UnitIndex<'a>,
        communes: &CommuneMap<'a>,
        provinces: &ProvinceMap<'a>,
        islands: &HashMap<&'a str, &'a Unit>,
        only_under: Option<&str>,
    ) -> anyhow::Result<Self> {
        let Some(code) = only_under else {
            return Ok(ReformScope {
                old_codes: None,
                new_codes: None,
            });
        };
        let mut old_codes = old.subtree_with_ancestors(code)?;
        let mut new_codes: HashSet<&str> = HashSet::new();
        for old_code in &old_codes {
            match communes.endings.get(old_code) {
                Some(Ending::MergedInto(target)) => {
                    new_codes.insert(target);
                }
                Some(Ending::SplitAmong(targets)) => new_codes.extend(targets.iter().copied()),
                None => {}
            }
        }
        for (zone, district) in islands {
            if old_codes.contains(district.code.as_str()) {
                new_codes.insert(zone);
            }
        }
        let new_provinces: Vec<&str> = new_codes
            .iter()
            .filter_map(|code| new.get(code).and_then(|unit| unit.parent_code.as_deref()))
            .collect();
        for province in new_provinces {
            new_codes.insert(province);
            // The new commune's parent is the continuing old province: it must be there.
            if let Some(continuing) = provinces.target(province).and_then(|target| target.continuing) {
                old_codes.insert(continuing.code.as_str());
            }
        }
        Ok(ReformScope {
            old_codes: Some(old_codes),
            new_codes: Some(new_codes),
        })
    }

    fn has_old(&self, code: &str) -> bool {
        self.old_codes.as_ref().is_none_or(|codes| codes.contains(code))
    }

    fn has_new(&self, code: &str) -> bool {
        self.new_codes.as_ref().is_none_or(|codes| codes.contains(code))
    }
}

/// Everything the reform's stages are planned from.
struct Reform<'r, 'a> {
    old: &'r UnitIndex<'a>,
    new: &'r UnitIndex<'a>,
    provinces: &'r ProvinceMap<'a>,
    communes: &'r CommuneMap<'a>,
    islands: &'r HashMap<&'a str, &'a Unit>,
    scope: &'r ReformScope<'a>,
    options: &'r ReformOptions<'r>,
}

impl<'a> Reform<'_, 'a> {
    /// Units of `index` at `level` within `in_scope`, ordered by code so that a plan does
    /// not depend on hash order.
    fn units(&self, index: &UnitIndex<'a>, level: Level, in_scope: impl Fn(&str) -> bool) -> Vec<&'a Unit> {
        let mut units: Vec<&Unit> = index
            .by_code
            .values()
            .copied()
            .filter(|unit| unit.level == level && in_scope(&unit.code))
            .collect();
        units.sort_by(|a, b| a.code.cmp(&b.code));
        units
    }

    fn old_id(&self, unit: &Unit) -> Uuid {
        area_id(self.options.old_list_id, unit.level, &unit.code)
    }

    fn new_commune_id(&self, code: &str) -> Uuid {
        area_id(self.options.new_list_id, Level::Commune, code)
    }

    /// The new province a new commune belongs to.
    fn province_of(&self, new_commune: &Unit) -> Option<&NewProvince<'a>> {
        new_commune
            .parent_code
            .as_deref()
            .and_then(|code| self.provinces.target(code))
    }

    /// The decision for a change of communes of new province `province`.
    fn commune_decision_in(&self, province: Option<&NewProvince>) -> pb::DecisionRef {
        commune_decision(province.map_or("", |province| province.unit.name.as_str()))
    }

    fn new_provinces(&self) -> Vec<Step> {
        self.provinces
            .targets
            .iter()
            .filter(|target| target.continuing.is_none() && self.scope.has_new(&target.unit.code))
            .map(|target| {
                let formed_from = target
                    .absorbed
                    .iter()
                    .filter(|old| self.scope.has_old(&old.code))
                    .map(|old| self.old_id(old))
                    .collect();
                register(
                    self.options.new_list_id,
                    target.unit,
                    None,
                    formed_from,
                    REFORM_DATE,
                    Some(province_decision()),
                )
            })
            .collect()
    }

    fn new_communes(&self) -> Vec<Step> {
        self.units(self.new, Level::Commune, |code| self.scope.has_new(code))
            .into_iter()
            .map(|unit| {
                let province = self.province_of(unit);
                let mut formed_from: Vec<Uuid> = self
                    .communes
                    .sources
                    .get(unit.code.as_str())
                    .into_iter()
                    .flatten()
                    .filter(|code| self.scope.has_old(code))
                    .filter_map(|code| self.old.get(code))
                    .map(|old| self.old_id(old))
                    .collect();
                if let Some(district) = self.islands.get(unit.code.as_str()) {
                    formed_from.push(self.old_id(district));
                }
                register(
                    self.options.new_list_id,
                    unit,
                    province.map(|province| province.area_id),
                    formed_from,
                    REFORM_DATE,
                    Some(self.commune_decision_in(province)),
                )
            })
            .collect()
    }

    fn old_communes(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        // Mergers: one request per new commune, naming every old commune merged into it.
        for unit in self.units(self.new, Level::Commune, |code| self.scope.has_new(code)) {
            let absorbed: Vec<&Unit> = self
                .communes
                .sources
                .get(unit.code.as_str())
                .into_iter()
                .flatten()
                .filter(|code| self.scope.has_old(code))
                .filter(|code| self.communes.endings.get(*code) == Some(&Ending::MergedInto(unit.code.as_str())))
                .filter_map(|code| self.old.get(code))
                .collect();
            if absorbed.is_empty() {
                continue;
            }
            let survivor = self.new_commune_id(&unit.code);
            let decision = self.commune_decision_in(self.province_of(unit));
            steps.push(Step {
                unit: format!(
                    "merger of {} into {}",
                    describe_list(absorbed.iter().copied()),
                    describe(self.options.new_list_id, unit)
                ),
                request: Request::Merge(pb::MergeAreasRequest {
                    header: header(survivor, STEP_REFORM_MERGE, REFORM_DATE, Some(decision)),
                    survivor_area_id: survivor.to_string(),
                    absorbed_area_ids: absorbed.iter().map(|old| self.old_id(old).to_string()).collect(),
                }),
            });
        }
        for unit in self.units(self.old, Level::Commune, |code| self.scope.has_old(code)) {
            let id = self.old_id(unit);
            match self.communes.endings.get(unit.code.as_str()) {
                Some(Ending::MergedInto(_)) => {}
                Some(Ending::SplitAmong(targets)) => {
                    let province = targets
                        .first()
                        .and_then(|code| self.new.get(code))
                        .and_then(|target| self.province_of(target));
                    steps.push(Step {
                        unit: format!(
                            "split of {} among {}",
                            describe(self.options.old_list_id, unit),
                            targets.join(", ")
                        ),
                        request: Request::Split(pb::SplitAreaRequest {
                            header: header(
                                id,
                                STEP_REFORM_SPLIT,
                                REFORM_DATE,
                                Some(self.commune_decision_in(province)),
                            ),
                            area_id: id.to_string(),
                            new_parts: Vec::new(),
                            existing_part_area_ids: targets
                                .iter()
                                .map(|code| self.new_commune_id(code).to_string())
                                .collect(),
                            original_ends: true,
                        }),
                    });
                }
                None => {
                    let province = self.old_province_continuation(unit);
                    steps.push(Step {
                        unit: format!("dissolution of {}", describe(self.options.old_list_id, unit)),
                        request: Request::Dissolve(pb::DissolveAreaRequest {
                            header: header(
                                id,
                                STEP_REFORM_DISSOLVE,
                                REFORM_DATE,
                                Some(self.commune_decision_in(province)),
                            ),
                            area_id: id.to_string(),
                            reason: UNLISTED_COMMUNE_REASON.to_owned(),
                        }),
                    });
                }
            }
        }
        steps
    }

    /// The new province an old unit's old province became (its first listed target).
    fn old_province_continuation(&self, unit: &Unit) -> Option<&NewProvince<'a>> {
        let mut code = unit.code.as_str();
        let mut current = Some(unit);
        while let Some(ancestor) = current {
            code = ancestor.code.as_str();
            current = ancestor.parent_code.as_deref().and_then(|parent| self.old.get(parent));
        }
        self.provinces
            .by_old
            .get(code)
            .and_then(|targets| targets.first())
            .and_then(|target| self.provinces.target(target))
    }

    fn old_districts(&self) -> Vec<Step> {
        let zones: HashMap<&str, &str> = self
            .islands
            .iter()
            .map(|(zone, district)| (district.code.as_str(), *zone))
            .collect();
        self.units(self.old, Level::District, |code| self.scope.has_old(code))
            .into_iter()
            .map(|unit| {
                let id = self.old_id(unit);
                // MergeAreas joins areas of one level only, so an island district that
                // became a special zone (a commune) is dissolved with a reason naming the
                // zone; the zone's registration names the district in formed_from.
                let reason = match zones.get(unit.code.as_str()).and_then(|zone| self.new.get(zone)) {
                    Some(zone) => format!(
                        "Chuyển thành {} (mã {}) từ ngày 01/7/2025; {DISTRICT_DISSOLVED_REASON}",
                        zone.name, zone.code
                    ),
                    None => DISTRICT_DISSOLVED_REASON.to_owned(),
                };
                Step {
                    unit: format!("dissolution of {}", describe(self.options.old_list_id, unit)),
                    request: Request::Dissolve(pb::DissolveAreaRequest {
                        header: header(id, STEP_REFORM_DISSOLVE, REFORM_DATE, Some(district_decision())),
                        area_id: id.to_string(),
                        reason,
                    }),
                }
            })
            .collect()
    }

    fn province_mergers(&self) -> Vec<Step> {
        self.provinces
            .targets
            .iter()
            .filter(|target| self.scope.has_new(&target.unit.code))
            .filter_map(|target| {
                let absorbed: Vec<&Unit> = target
                    .absorbed
                    .iter()
                    .copied()
                    .filter(|old| self.scope.has_old(&old.code))
                    .collect();
                if absorbed.is_empty() {
                    return None;
                }
                Some(Step {
                    unit: format!(
                        "merger of {} into {}",
                        describe_list(absorbed.iter().copied()),
                        describe_new_province(target, self.options)
                    ),
                    request: Request::Merge(pb::MergeAreasRequest {
                        header: header(
                            target.area_id,
                            STEP_REFORM_MERGE,
                            REFORM_DATE,
                            Some(province_decision()),
                        ),
                        survivor_area_id: target.area_id.to_string(),
                        absorbed_area_ids: absorbed.iter().map(|old| self.old_id(old).to_string()).collect(),
                    }),
                })
            })
            .collect()
    }

    fn province_renames(&self) -> Vec<Step> {
        self.provinces
            .targets
            .iter()
            .filter(|target| self.scope.has_new(&target.unit.code))
            .filter_map(|target| {
                let old = target.continuing?;
                let new = target.unit;
                if old.name == new.name && old.division_type == new.division_type {
                    return None;
                }
                let new_division_type = if old.division_type == new.division_type {
                    String::new()
                } else {
                    new.division_type.clone()
                };
                Some(Step {
                    unit: format!("renaming {} to {}", describe(self.options.old_list_id, old), new.name),
                    request: Request::Rename(pb::RenameAreaRequest {
                        header: header(
                            target.area_id,
                            STEP_REFORM_RENAME,
                            REFORM_DATE,
                            Some(province_decision()),
                        ),
                        area_id: target.area_id.to_string(),
                        new_name: new.name.clone(),
                        new_division_type,
                    }),
                })
            })
            .collect()
    }

    /// Notes about units the plan covers that are not tied to one conversion row.
    fn scoped_notes(&self) -> Vec<Note> {
        let mut notes = Vec::new();
        for unit in self.units(self.old, Level::Commune, |code| self.scope.has_old(code)) {
            if !self.communes.endings.contains_key(unit.code.as_str()) {
                notes.push(Note {
                    kind: NoteKind::UnlistedOldCommune,
                    old_code: unit.code.clone(),
                    detail: describe_code(unit),
                });
            }
        }
        for unit in self.units(self.new, Level::Commune, |code| self.scope.has_new(code)) {
            if let Some(district) = self.islands.get(unit.code.as_str()) {
                notes.push(Note {
                    kind: NoteKind::IslandDistrict,
                    old_code: district.code.clone(),
                    detail: format!("{} → {}", describe_code(district), describe_code(unit)),
                });
            } else if !self.communes.targeted.contains(unit.code.as_str()) {
                notes.push(Note {
                    kind: NoteKind::NewCommuneWithoutSource,
                    old_code: String::new(),
                    detail: describe_code(unit),
                });
            }
        }
        notes
    }
}

/// A RegisterArea step for `unit` of list `list_id`.
fn register(
    list_id: &str,
    unit: &Unit,
    parent: Option<Uuid>,
    formed_from: Vec<Uuid>,
    effective: pb::Date,
    decision: Option<pb::DecisionRef>,
) -> Step {
    let id = area_id(list_id, unit.level, &unit.code);
    Step {
        unit: describe(list_id, unit),
        request: Request::Register(pb::RegisterAreaRequest {
            header: header(id, STEP_REGISTER, effective, decision),
            area_id: id.to_string(),
            official_code: unit.code.clone(),
            name: unit.name.clone(),
            level: area_level(unit.level).into(),
            division_type: unit.division_type.clone(),
            parent_area_id: parent.map(|id| id.to_string()).unwrap_or_default(),
            formed_from_area_ids: formed_from.iter().map(Uuid::to_string).collect(),
        }),
    }
}

fn header(
    area_id: Uuid,
    step: &str,
    effective: pb::Date,
    decision: Option<pb::DecisionRef>,
) -> Option<pb::CommandHeader> {
    Some(pb::CommandHeader {
        request_id: request_id(area_id, step).to_string(),
        // Unset: the server decides against the latest state, which a re-run needs, since
        // a retry of a recorded request is answered from the log whatever the version.
        expected_version: None,
        effective_date: Some(effective),
        decision,
    })
}

fn area_level(level: Level) -> pb::AreaLevel {
    match level {
        Level::Province => pb::AreaLevel::Province,
        Level::District => pb::AreaLevel::District,
        Level::Commune => pb::AreaLevel::Commune,
    }
}

/// "commune 16093 Thị trấn Nga Sơn (list 2024)".
fn describe(list_id: &str, unit: &Unit) -> String {
    format!("{} (list {list_id})", describe_code(unit))
}

/// "commune 16093 Thị trấn Nga Sơn".
fn describe_code(unit: &Unit) -> String {
    format!("{} {} {}", unit.level, unit.code, unit.name)
}

/// "communes 16096, 16099, 16105".
fn describe_list<'u>(units: impl Iterator<Item = &'u Unit>) -> String {
    let units: Vec<&Unit> = units.collect();
    match units.as_slice() {
        [one] => describe_code(one),
        many => {
            let level = many.first().map_or("", |unit| unit.level.as_str());
            let codes: Vec<&str> = many.iter().map(|unit| unit.code.as_str()).collect();
            format!("{level}s {}", codes.join(", "))
        }
    }
}

fn describe_new_province(target: &NewProvince, options: &ReformOptions) -> String {
    match target.continuing {
        Some(old) => describe(options.old_list_id, old),
        None => describe(options.new_list_id, target.unit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::source::{parse_communes, parse_provinces, parse_units};

    const OLD: &str = "code,name,level,division_type,parent_code
38,Tỉnh Thanh Hóa,province,tỉnh,
39,Tỉnh Cũ,province,tỉnh,
401,Huyện Nga Sơn,district,huyện,38
402,Huyện Đảo Nhỏ,district,huyện,38
410,Huyện Khác,district,huyện,39
16093,Thị trấn Nga Sơn,commune,thị trấn,401
16120,Xã Nga Hiệp,commune,xã,401
16200,Xã Chia Đôi,commune,xã,401
16300,Xã Bị Quên,commune,xã,401
17000,Xã Bên Kia,commune,xã,410
";
    const NEW: &str = "code,name,level,division_type,parent_code
38,Tỉnh Thanh Hóa Mới,province,tỉnh,
16093,Xã Nga Sơn,commune,xã,38
16120,Xã Nga Mới,commune,xã,38
17000,Xã Bên Kia,commune,xã,38
17500,Đặc khu Đảo Nhỏ,commune,đặc khu,38
";
    const PROVINCES: &str = "old_province_code,new_province_code
38,38
39,38
";
    // 16093 and 16120 merge whole into the new 16093 (which reuses the old code);
    // 16200 is split between the new 16093 and the new 16120; 16300 is missing; 99999
    // is not in the old list; 17000 goes whole to a commune that reuses its code.
    const COMMUNES: &str = "old_commune_code,old_district_code,new_commune_code,new_province_code,merged
16093,401,16093,38,whole
16120,401,16093,38,whole
16200,401,16093,38,partly
16200,401,16120,38,partly
99999,401,16120,38,whole
17000,410,17000,38,whole
";

    struct Files {
        old: Vec<Unit>,
        new: Vec<Unit>,
        provinces: Vec<ProvinceRow>,
        communes: Vec<CommuneRow>,
    }

    fn files(communes: &str) -> Files {
        Files {
            old: parse_units(OLD).unwrap(),
            new: parse_units(NEW).unwrap(),
            provinces: parse_provinces(PROVINCES).unwrap(),
            communes: parse_communes(communes).unwrap(),
        }
    }

    fn reform(files: &Files, only_under: Option<&str>) -> anyhow::Result<Plan> {
        plan_reform(
            ReformInput {
                old_units: &files.old,
                new_units: &files.new,
                provinces: &files.provinces,
                communes: &files.communes,
            },
            &ReformOptions {
                old_list_id: "2024",
                new_list_id: "2025",
                only_under,
            },
        )
    }

    fn old(level: Level, code: &str) -> String {
        area_id("2024", level, code).to_string()
    }

    fn new(level: Level, code: &str) -> String {
        area_id("2025", level, code).to_string()
    }

    fn stage<'p>(plan: &'p Plan, name: &str) -> &'p [Step] {
        &plan.stages.iter().find(|stage| stage.name == name).unwrap().steps
    }

    fn areas_options(only_under: Option<&str>) -> AreasOptions<'_> {
        AreasOptions {
            list_id: "2024",
            valid_from: pb::Date {
                year: 2008,
                month: 1,
                day: 1,
            },
            only_under,
        }
    }

    #[test]
    fn units_are_registered_parents_first() {
        let units = parse_units(OLD).unwrap();
        let plan = plan_areas(&units, &areas_options(None)).unwrap();
        let names: Vec<&str> = plan.stages.iter().map(|stage| stage.name).collect();
        assert_eq!(names, ["provinces", "districts", "communes"]);
        assert_eq!(plan.step_count(), units.len());
        let Request::Register(commune) = &stage(&plan, "communes")[0].request else {
            panic!("not a registration")
        };
        assert_eq!(commune.area_id, old(Level::Commune, "16093"));
        assert_eq!(commune.parent_area_id, old(Level::District, "401"));
        assert_eq!(commune.level, i32::from(pb::AreaLevel::Commune));
        let header = commune.header.as_ref().unwrap();
        assert_eq!(header.effective_date.unwrap().year, 2008);
        assert_eq!(
            header.request_id,
            request_id(area_id("2024", Level::Commune, "16093"), "register").to_string()
        );
        assert_eq!(
            stage(&plan, "communes")[0].unit,
            "commune 16093 Thị trấn Nga Sơn (list 2024)"
        );
        // Planning twice gives the same requests: what makes a re-run idempotent.
        let again = plan_areas(&units, &areas_options(None)).unwrap();
        assert_eq!(plan.stages[2].steps, again.stages[2].steps);
    }

    #[test]
    fn only_under_keeps_the_subtree_and_its_ancestors() {
        let units = parse_units(OLD).unwrap();
        let plan = plan_areas(&units, &areas_options(Some("401"))).unwrap();
        let counts: Vec<usize> = plan.stages.iter().map(|stage| stage.steps.len()).collect();
        assert_eq!(counts, [1, 1, 4]);
        let error = plan_areas(&units, &areas_options(Some("999"))).unwrap_err();
        assert!(error.to_string().contains("--only-under 999"), "{error}");
    }

    #[test]
    fn an_inconsistent_list_is_refused() {
        let units = parse_units("code,name,level,division_type,parent_code\n401,Huyện A,district,huyện,38\n").unwrap();
        let error = format!("{:#}", plan_areas(&units, &areas_options(None)).unwrap_err());
        assert!(
            error.contains("district 401 Huyện A's parent 38 is not in the list"),
            "{error}"
        );
    }

    #[test]
    fn the_reform_merges_splits_and_dissolves() {
        let files = files(COMMUNES);
        let plan = reform(&files, None).unwrap();

        // No new province: 38 continues (renamed) and absorbs 39.
        assert!(stage(&plan, "new provinces").is_empty());
        let mergers = stage(&plan, "province mergers");
        assert_eq!(mergers.len(), 1);
        let Request::Merge(merger) = &mergers[0].request else {
            panic!()
        };
        assert_eq!(merger.survivor_area_id, old(Level::Province, "38"));
        assert_eq!(merger.absorbed_area_ids, [old(Level::Province, "39")]);
        let Request::Rename(rename) = &stage(&plan, "province names")[0].request else {
            panic!()
        };
        assert_eq!(rename.new_name, "Tỉnh Thanh Hóa Mới");
        assert_eq!(rename.new_division_type, "", "the type did not change");

        // New communes: new areas under the continuing province, formed from old ones.
        let registrations = stage(&plan, "new communes");
        assert_eq!(registrations.len(), 4);
        let Request::Register(nga_son) = &registrations[0].request else {
            panic!()
        };
        assert_eq!(nga_son.area_id, new(Level::Commune, "16093"));
        assert_ne!(
            nga_son.area_id,
            old(Level::Commune, "16093"),
            "a reused code is another area"
        );
        assert_eq!(nga_son.parent_area_id, old(Level::Province, "38"));
        assert_eq!(
            nga_son.formed_from_area_ids,
            [
                old(Level::Commune, "16093"),
                old(Level::Commune, "16120"),
                old(Level::Commune, "16200")
            ]
        );
        assert!(nga_son.header.as_ref().unwrap().decision.is_some());
        let Request::Register(nga_moi) = &registrations[1].request else {
            panic!()
        };
        assert_eq!(
            nga_moi.formed_from_area_ids,
            [old(Level::Commune, "16200")],
            "99999 is unknown"
        );
        let Request::Register(zone) = &registrations[3].request else {
            panic!()
        };
        assert_eq!(zone.name, "Đặc khu Đảo Nhỏ");
        assert_eq!(zone.formed_from_area_ids, [old(Level::District, "402")]);

        // Old communes: one merger per new commune, the split commune split, the
        // forgotten one dissolved.
        let communes = stage(&plan, "old communes");
        let methods: Vec<&str> = communes.iter().map(|step| step.request.method()).collect();
        assert_eq!(methods, ["MergeAreas", "MergeAreas", "SplitArea", "DissolveArea"]);
        let Request::Merge(into_nga_son) = &communes[0].request else {
            panic!()
        };
        assert_eq!(into_nga_son.survivor_area_id, new(Level::Commune, "16093"));
        assert_eq!(
            into_nga_son.absorbed_area_ids,
            [old(Level::Commune, "16093"), old(Level::Commune, "16120")]
        );
        assert_eq!(
            communes[0].unit,
            "merger of communes 16093, 16120 into commune 16093 Xã Nga Sơn (list 2025)"
        );
        let Request::Split(split) = &communes[2].request else {
            panic!()
        };
        assert_eq!(split.area_id, old(Level::Commune, "16200"));
        assert!(split.original_ends);
        assert!(split.new_parts.is_empty());
        assert_eq!(
            split.existing_part_area_ids,
            [new(Level::Commune, "16093"), new(Level::Commune, "16120")]
        );
        let Request::Dissolve(forgotten) = &communes[3].request else {
            panic!()
        };
        assert_eq!(forgotten.area_id, old(Level::Commune, "16300"));

        // Districts end after their communes; the island district becomes the zone.
        let districts = stage(&plan, "old districts");
        let methods: Vec<&str> = districts.iter().map(|step| step.request.method()).collect();
        assert_eq!(methods, ["DissolveArea", "DissolveArea", "DissolveArea"]);
        let Request::Dissolve(island) = &districts[1].request else {
            panic!()
        };
        assert_eq!(island.area_id, old(Level::District, "402"));
        assert!(
            island.reason.starts_with("Chuyển thành Đặc khu Đảo Nhỏ (mã 17500)"),
            "{}",
            island.reason
        );

        let kinds: Vec<NoteKind> = plan.notes.iter().map(|note| note.kind).collect();
        assert_eq!(
            kinds,
            [
                NoteKind::UnknownOldCommune,
                NoteKind::UnlistedOldCommune,
                NoteKind::IslandDistrict
            ]
        );
        assert_eq!(plan.notes[0].detail, "99999 (district 401) → 16120");
    }

    #[test]
    fn request_ids_are_unique_and_stable() {
        let files = files(COMMUNES);
        let plan = reform(&files, None).unwrap();
        let ids: Vec<&str> = plan
            .stages
            .iter()
            .flat_map(|stage| &stage.steps)
            .map(|step| step.request.header().unwrap().request_id.as_str())
            .collect();
        let distinct: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(ids.len(), distinct.len());
        let again = reform(&files, None).unwrap();
        for (a, b) in plan.stages.iter().zip(&again.stages) {
            assert_eq!(a.steps, b.steps);
        }
    }

    #[test]
    fn a_commune_listed_whole_and_partly_is_split_among_all() {
        let communes = "old_commune_code,old_district_code,new_commune_code,new_province_code,merged
16093,401,16093,38,whole
16093,401,16120,38,partly
16120,401,16120,38,partly
16200,401,16120,38,whole
16300,401,16120,38,whole
17000,410,17000,38,whole
";
        let files = files(communes);
        let plan = reform(&files, None).unwrap();
        let steps = stage(&plan, "old communes");
        let methods: Vec<&str> = steps.iter().map(|step| step.request.method()).collect();
        assert_eq!(methods, ["MergeAreas", "MergeAreas", "SplitArea"]);
        let Request::Merge(into_16120) = &steps[0].request else {
            panic!()
        };
        // 16120's single `partly` row: merged into its only listed successor.
        assert_eq!(
            into_16120.absorbed_area_ids,
            [
                old(Level::Commune, "16120"),
                old(Level::Commune, "16200"),
                old(Level::Commune, "16300")
            ]
        );
        let Request::Split(split) = &steps[2].request else {
            panic!()
        };
        assert_eq!(split.area_id, old(Level::Commune, "16093"));
        let kinds: Vec<NoteKind> = plan.notes.iter().map(|note| note.kind).collect();
        assert!(kinds.contains(&NoteKind::WholeRowWithOtherTargets), "{kinds:?}");
        assert!(kinds.contains(&NoteKind::SinglePartlyRow), "{kinds:?}");
    }

    #[test]
    fn only_under_covers_the_subtree_and_what_it_became() {
        let files = files(COMMUNES);
        let plan = reform(&files, Some("401")).unwrap();
        assert_eq!(stage(&plan, "new communes").len(), 2, "16093 and 16120 only");
        assert_eq!(stage(&plan, "old districts").len(), 1, "401 only");
        assert!(stage(&plan, "province mergers").is_empty(), "39 is outside the subtree");
        assert_eq!(stage(&plan, "province names").len(), 1);
        let island = reform(&files, Some("402")).unwrap();
        assert_eq!(stage(&island, "new communes").len(), 1, "the special zone");
        assert_eq!(stage(&island, "old districts")[0].request.method(), "DissolveArea");
    }

    #[test]
    fn a_target_missing_from_the_new_list_is_refused() {
        let communes = "old_commune_code,old_district_code,new_commune_code,new_province_code,merged
16093,401,19999,38,whole
";
        let error = reform(&files(communes), None).unwrap_err();
        assert!(error.to_string().contains("new commune 19999"), "{error}");
    }

    #[test]
    fn names_lose_their_division_type() {
        let unit = |name: &str, division_type: &str| Unit {
            code: "755".into(),
            name: name.into(),
            level: Level::District,
            division_type: division_type.into(),
            parent_code: Some("77".into()),
        };
        assert_eq!(proper_name(&unit("Huyện Côn Đảo", "huyện")), "Côn Đảo");
        assert_eq!(proper_name(&unit("Đặc khu Côn Đảo", "đặc khu")), "Côn Đảo");
        assert_eq!(proper_name(&unit("Côn Đảo", "huyện")), "Côn Đảo");
    }
}
