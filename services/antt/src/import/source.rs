//! Reading the official unit lists and conversion tables (`reference/admin-units/`).
//!
//! The files are plain comma-separated UTF-8 with a header line and no quoting (no name
//! contains a comma), so a line is split on commas by hand rather than with a CSV crate;
//! a double quote anywhere is refused, so that a future file that does quote is noticed
//! instead of being misread. Every error names the file's line.

use std::fmt;
use std::path::Path;

use anyhow::{bail, Context as _};

/// A level of the official lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Province,
    District,
    Commune,
}

impl Level {
    /// The word used in the files and in area ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
        }
    }

    /// GSO codes have a fixed number of digits per level.
    fn code_digits(self) -> usize {
        match self {
            Level::Province => 2,
            Level::District => 3,
            Level::Commune => 5,
        }
    }

    fn parse(text: &str) -> Option<Level> {
        match text {
            "province" => Some(Level::Province),
            "district" => Some(Level::District),
            "commune" => Some(Level::Commune),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `admin-units-*.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// e.g. "tỉnh", "huyện", "xã", "phường".
    pub division_type: String,
    /// None only for a province.
    pub parent_code: Option<String>,
}

/// One row of `provinces-2025-conversion.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvinceRow {
    pub old_code: String,
    pub new_code: String,
}

/// Whether an old commune went into a new one entirely or only in part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merged {
    Whole,
    Partly,
}

/// One row of `communes-2025-conversion.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommuneRow {
    pub old_commune_code: String,
    pub old_district_code: String,
    pub new_commune_code: String,
    pub new_province_code: String,
    pub merged: Merged,
}

const UNITS_HEADER: &str = "code,name,level,division_type,parent_code";
const PROVINCES_HEADER: &str = "old_province_code,new_province_code";
const COMMUNES_HEADER: &str = "old_commune_code,old_district_code,new_commune_code,new_province_code,merged";

/// Reads a unit list from a file.
pub fn read_units(path: &Path) -> anyhow::Result<Vec<Unit>> {
    let text = read(path)?;
    parse_units(&text).with_context(|| format!("in {}", path.display()))
}

/// Reads the province conversion table from a file.
pub fn read_provinces(path: &Path) -> anyhow::Result<Vec<ProvinceRow>> {
    let text = read(path)?;
    parse_provinces(&text).with_context(|| format!("in {}", path.display()))
}

/// Reads the commune conversion table from a file.
pub fn read_communes(path: &Path) -> anyhow::Result<Vec<CommuneRow>> {
    let text = read(path)?;
    parse_communes(&text).with_context(|| format!("in {}", path.display()))
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Parses a unit list: `code,name,level,division_type,parent_code`.
pub fn parse_units(text: &str) -> anyhow::Result<Vec<Unit>> {
    records(text, UNITS_HEADER)?
        .into_iter()
        .map(|(line, fields)| {
            let [code, name, level, division_type, parent_code] = fields;
            let unit = unit(code, name, level, division_type, parent_code);
            unit.with_context(|| format!("line {line}"))
        })
        .collect()
}

fn unit(code: &str, name: &str, level: &str, division_type: &str, parent_code: &str) -> anyhow::Result<Unit> {
    let level =
        Level::parse(level).with_context(|| format!("level {level:?} is not one of province, district, commune"))?;
    check_code(code, level)?;
    if name.trim().is_empty() {
        bail!("unit {code} has no name");
    }
    let parent_code = match (level, parent_code) {
        (Level::Province, "") => None,
        (Level::Province, _) => bail!("province {code} has a parent ({parent_code}); provinces have none"),
        (_, "") => bail!("{level} {code} has no parent code"),
        (Level::District, parent) => Some(checked_code(parent, Level::Province)?),
        // A commune's parent is a district in the old lists and a province in the
        // two-level lists from 2025-07-01; the planner checks which level it finds.
        (Level::Commune, parent) if parent.len() == Level::Province.code_digits() => {
            Some(checked_code(parent, Level::Province)?)
        }
        (Level::Commune, parent) => Some(checked_code(parent, Level::District)?),
    };
    Ok(Unit {
        code: code.to_owned(),
        name: name.to_owned(),
        level,
        division_type: division_type.to_owned(),
        parent_code,
    })
}

/// Parses the province conversion table: `old_province_code,new_province_code`.
pub fn parse_provinces(text: &str) -> anyhow::Result<Vec<ProvinceRow>> {
    records(text, PROVINCES_HEADER)?
        .into_iter()
        .map(|(line, [old_code, new_code])| {
            let row = || -> anyhow::Result<ProvinceRow> {
                Ok(ProvinceRow {
                    old_code: checked_code(old_code, Level::Province)?,
                    new_code: checked_code(new_code, Level::Province)?,
                })
            };
            row().with_context(|| format!("line {line}"))
        })
        .collect()
}

/// Parses the commune conversion table:
/// `old_commune_code,old_district_code,new_commune_code,new_province_code,merged`.
pub fn parse_communes(text: &str) -> anyhow::Result<Vec<CommuneRow>> {
    records(text, COMMUNES_HEADER)?
        .into_iter()
        .map(
            |(line, [old_commune, old_district, new_commune, new_province, merged])| {
                let row = || -> anyhow::Result<CommuneRow> {
                    Ok(CommuneRow {
                        old_commune_code: checked_code(old_commune, Level::Commune)?,
                        old_district_code: checked_code(old_district, Level::District)?,
                        new_commune_code: checked_code(new_commune, Level::Commune)?,
                        new_province_code: checked_code(new_province, Level::Province)?,
                        merged: match merged {
                            "whole" => Merged::Whole,
                            "partly" => Merged::Partly,
                            other => bail!("merged is {other:?}; expected whole or partly"),
                        },
                    })
                };
                row().with_context(|| format!("line {line}"))
            },
        )
        .collect()
}

/// The data lines of `text` (1-based line number and exactly `N` fields), after checking
/// the header. Blank lines are skipped; a trailing `\r` is tolerated.
fn records<'a, const N: usize>(text: &'a str, header: &'static str) -> anyhow::Result<Vec<(usize, [&'a str; N])>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().map(|line| line.strip_suffix('\r').unwrap_or(line));
    let first = lines.next().unwrap_or_default();
    if first != header {
        bail!("line 1: expected the header {header:?}, found {first:?}");
    }
    let mut records = Vec::new();
    for (index, line) in lines.enumerate() {
        let line_number = index + 2;
        if line.trim().is_empty() {
            continue;
        }
        if line.contains('"') {
            bail!("line {line_number}: quoted fields are not supported (the official lists have none)");
        }
        let fields: Vec<&str> = line.split(',').collect();
        match <[&str; N]>::try_from(fields) {
            Ok(fields) => records.push((line_number, fields)),
            Err(fields) => bail!("line {line_number}: expected {N} fields, found {}", fields.len()),
        }
    }
    Ok(records)
}

fn check_code(code: &str, level: Level) -> anyhow::Result<()> {
    let digits = level.code_digits();
    if code.len() != digits || !code.bytes().all(|b| b.is_ascii_digit()) {
        bail!("{code:?} is not a {level} code ({digits} digits, leading zeros kept)");
    }
    Ok(())
}

fn checked_code(code: &str, level: Level) -> anyhow::Result<String> {
    check_code(code, level)?;
    Ok(code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_list_parses() {
        let units = parse_units(
            "code,name,level,division_type,parent_code\n\
             38,Tỉnh Thanh Hóa,province,tỉnh,\n\
             401,Huyện Nga Sơn,district,huyện,38\r\n\
             16093,Thị trấn Nga Sơn,commune,thị trấn,401\n\
             \n\
             16094,Xã Mới,commune,xã,38\n",
        )
        .unwrap();
        assert_eq!(units.len(), 4);
        assert_eq!(units[0].parent_code, None);
        assert_eq!(units[1].parent_code.as_deref(), Some("38"));
        assert_eq!(units[2].name, "Thị trấn Nga Sơn");
        assert_eq!(units[3].parent_code.as_deref(), Some("38"));
    }

    #[test]
    fn bad_lines_are_named() {
        let header = "code,name,level,division_type,parent_code\n";
        let error = |body: &str| format!("{:#}", parse_units(&format!("{header}{body}")).unwrap_err());
        assert!(error("38,A,province,tỉnh\n").contains("line 2: expected 5 fields, found 4"));
        assert!(error("38,\"A, B\",province,tỉnh,\n").contains("quoted fields"));
        assert!(error("38,A,ward,x,\n").contains("line 2: level \"ward\""));
        assert!(error("3,A,province,tỉnh,\n").contains("not a province code"));
        assert!(error("38,A,province,tỉnh,\n401,B,district,huyện,\n").contains("line 3: district 401 has no parent"));
        assert!(parse_units("id,name\n").unwrap_err().to_string().contains("header"));
    }

    #[test]
    fn conversion_tables_parse() {
        let provinces = parse_provinces("old_province_code,new_province_code\n02,08\n").unwrap();
        assert_eq!(provinces[0].new_code, "08");
        let communes = parse_communes(
            "old_commune_code,old_district_code,new_commune_code,new_province_code,merged\n\
             00007,001,00008,01,partly\n",
        )
        .unwrap();
        assert_eq!(communes[0].merged, Merged::Partly);
        let bad = parse_communes(
            "old_commune_code,old_district_code,new_commune_code,new_province_code,merged\n\
             00007,001,00008,01,half\n",
        );
        assert!(format!("{:#}", bad.unwrap_err()).contains("line 2: merged is \"half\""));
    }
}
