//! Areas: the six communes merged in 2019, the 234 residential areas, the schools,
//! agencies and enterprises rated as units, the district's households, and the three key
//! complex communes (địa bàn trọng điểm phức tạp), two of them transformed.
//!
//! Names of residential areas and units are synthetic: the report names only a few.

use antt_domain::Date;
use antt_proto::v1 as pb;

use super::{header, on, on_tuple, Builder, RatedUnit, Request, Residential, Step, COMMUNES_VALID_FROM};
use crate::demo::figures;
use crate::demo::identity::record_id;

/// The records of the decade start here; residential areas and units predate them.
const AREAS_VALID_FROM: (i32, u32, u32) = (2008, 1, 1);
/// The first 18 communes have 9 residential areas, the other 9 have 8: 234.
const COMMUNES_WITH_NINE: usize = 18;

/// Schools beyond the three of every commune (mầm non, tiểu học, THCS): 27 × 3 + 8 = 89.
const EXTRA_SCHOOLS: [(&str, &str); 8] = [
    ("Trường THCS Chu Văn An", "Thị trấn Nga Sơn"),
    ("Trường THPT Nga Sơn", "Thị trấn Nga Sơn"),
    (
        "Trung tâm Giáo dục nghề nghiệp – Giáo dục thường xuyên huyện Nga Sơn",
        "Thị trấn Nga Sơn",
    ),
    ("Trường THPT Ba Đình", "Xã Ba Đình"),
    ("Trường THPT Mai Anh Tuấn", "Xã Nga Thành"),
    ("Trường THPT Trần Phú", "Xã Nga Thiện"),
    ("Trường Tiểu học Nga Thái 2", "Xã Nga Thái"),
    ("Trường Mầm non Nga An 2", "Xã Nga An"),
];
/// State agencies, all in the district town.
const AGENCIES: [&str; 12] = [
    "Chi cục Thuế huyện Nga Sơn",
    "Kho bạc Nhà nước huyện Nga Sơn",
    "Bưu điện huyện Nga Sơn",
    "Trung tâm Y tế huyện Nga Sơn",
    "Bệnh viện Đa khoa huyện Nga Sơn",
    "Viện Kiểm sát nhân dân huyện Nga Sơn",
    "Tòa án nhân dân huyện Nga Sơn",
    "Chi cục Thi hành án dân sự huyện Nga Sơn",
    "Chi nhánh Ngân hàng Nông nghiệp và Phát triển nông thôn huyện Nga Sơn",
    "Phòng giao dịch Ngân hàng Chính sách xã hội huyện Nga Sơn",
    "Điện lực Nga Sơn",
    "Trung tâm Văn hóa – Thể thao huyện Nga Sơn",
];
const ENTERPRISES: [(&str, &str); 8] = [
    ("Công ty TNHH một thành viên Cói Nga Sơn", "Thị trấn Nga Sơn"),
    ("Công ty cổ phần Xây dựng Nga Sơn", "Thị trấn Nga Sơn"),
    ("Công ty TNHH May xuất khẩu Nga Yên", "Xã Nga Yên"),
    ("Công ty TNHH Giày Nga Phú", "Xã Nga Phú"),
    ("Công ty TNHH Thủy sản Nga Tân", "Xã Nga Tân"),
    ("Công ty cổ phần Vật liệu xây dựng Nga Thạch", "Xã Nga Thạch"),
    ("Công ty TNHH Dịch vụ nông nghiệp Nga Điền", "Xã Nga Điền"),
    ("Công ty TNHH Thương mại Ba Đình", "Xã Ba Đình"),
];

/// A key complex commune: designated on a day, transformed into a safe area on another
/// or still complex. Which communes is not in the report ("chuyển hoá được 2 trên 3").
pub(super) struct KeyComplex {
    pub commune: &'static str,
    pub designated: (i32, u32, u32),
    pub transformed: Option<(i32, u32, u32)>,
}

pub(super) const KEY_COMPLEX: [KeyComplex; 3] = [
    KeyComplex {
        commune: "Xã Nga Tân",
        designated: (2012, 7, 2),
        transformed: Some((2014, 12, 20)),
    },
    KeyComplex {
        commune: "Xã Nga Giáp",
        designated: (2012, 7, 2),
        transformed: Some((2016, 12, 15)),
    },
    KeyComplex {
        commune: "Xã Nga Thủy",
        designated: (2012, 7, 2),
        transformed: None,
    },
];

/// Who designates key complex areas and recognises their transformation.
const DISTRICT_STEERING_COMMITTEE_HEAD: &str = "Trưởng Ban chỉ đạo 138 huyện Nga Sơn";

impl Builder {
    pub(super) fn plan_areas(&mut self) {
        let communes_from = on_tuple(COMMUNES_VALID_FROM);
        let areas_from = on_tuple(AREAS_VALID_FROM);
        for commune_index in 0..self.communes.len() {
            let commune = self.communes[commune_index].clone();
            let mut chain = Vec::new();
            if commune.registered_here {
                chain.push(register(
                    commune.id,
                    &commune.name,
                    pb::AreaLevel::Commune,
                    "xã",
                    self.district,
                    communes_from,
                ));
            }
            let town = commune.name.starts_with("Thị trấn");
            let (word, division) = if town {
                ("Tiểu khu", "tiểu khu")
            } else {
                ("Thôn", "thôn")
            };
            let count = if commune_index < COMMUNES_WITH_NINE { 9 } else { 8 };
            for number in 1..=count {
                let name = format!("{word} {number}");
                let id = record_id(&format!("residential:{}:{number}", commune.name));
                chain.push(register(
                    id,
                    &name,
                    pb::AreaLevel::ResidentialArea,
                    division,
                    commune.id,
                    areas_from,
                ));
                self.residential.push(Residential {
                    id,
                    name,
                    commune: commune_index,
                });
            }
            let short = short_name(&commune.name);
            let mut units: Vec<(String, pb::AreaLevel)> = ["Trường Mầm non", "Trường Tiểu học", "Trường THCS"]
                .iter()
                .map(|kind| (format!("{kind} {short}"), pb::AreaLevel::School))
                .collect();
            let here = |list: &[(&str, &str)], level| {
                list.iter()
                    .filter(|(_, at)| *at == commune.name)
                    .map(|(name, _)| ((*name).to_owned(), level))
                    .collect::<Vec<_>>()
            };
            units.extend(here(&EXTRA_SCHOOLS, pb::AreaLevel::School));
            if town {
                units.extend(AGENCIES.iter().map(|name| ((*name).to_owned(), pb::AreaLevel::Agency)));
            }
            units.extend(here(&ENTERPRISES, pb::AreaLevel::Enterprise));
            for (name, level) in units {
                let id = record_id(&format!("unit:{name}"));
                let division = match level {
                    pb::AreaLevel::School => "nhà trường",
                    pb::AreaLevel::Agency => "cơ quan",
                    _ => "doanh nghiệp",
                };
                chain.push(register(id, &name, level, division, commune.id, areas_from));
                self.units.push(RatedUnit {
                    id,
                    name,
                    commune: commune_index,
                });
            }
            self.area_chains.push(chain);
        }
        self.plan_population();
        self.plan_key_complex_areas();
    }

    /// The district's households and population, for the coverage of the social security
    /// groups: 2008 and 2018.
    fn plan_population(&mut self) {
        let figures = [
            (
                on(2008, 6, 30),
                figures::DISTRICT_HOUSEHOLDS_2008,
                figures::DISTRICT_POPULATION_2008,
                "Hộ gia đình theo tỷ lệ 89,2 % của Báo cáo số 55/BC-BCĐ",
            ),
            (
                on(2018, 5, 31),
                figures::DISTRICT_HOUSEHOLDS_2018,
                figures::DISTRICT_POPULATION_2018,
                "Báo cáo số 55/BC-BCĐ ngày 12/6/2018",
            ),
        ];
        let chain = figures
            .into_iter()
            .map(|(day, households, population, source)| Step {
                what: format!("population of Huyện Nga Sơn on {day}"),
                request: Request::RecordPopulation(pb::RecordPopulationRequest {
                    header: header(self.district, &format!("population:{day}"), day, None),
                    area_id: self.district.to_string(),
                    households,
                    population,
                    source: source.to_owned(),
                }),
            })
            .collect();
        self.area_chains.push(chain);
    }

    fn plan_key_complex_areas(&mut self) {
        for key in &KEY_COMPLEX {
            let Some(commune) = self.communes.iter().find(|c| c.name == key.commune).cloned() else {
                continue;
            };
            let designated = on_tuple(key.designated);
            let decision = self.decision(DISTRICT_STEERING_COMMITTEE_HEAD, "QĐ-BCĐ", designated);
            let mut chain = vec![Step {
                what: format!("key complex area {}", commune.name),
                request: Request::DesignateKeyComplexArea(pb::DesignateKeyComplexAreaRequest {
                    header: header(commune.id, "key-complex:designate", designated, Some(decision)),
                    area_id: commune.id.to_string(),
                    reason: "Địa bàn trọng điểm phức tạp về trật tự an toàn xã hội: trộm cắp, cờ bạc, \
                             tranh chấp vùng triều"
                        .to_owned(),
                    transformed_on: None,
                }),
            }];
            if let Some(transformed) = key.transformed.map(on_tuple) {
                let decision = self.decision(DISTRICT_STEERING_COMMITTEE_HEAD, "QĐ-BCĐ", transformed);
                chain.push(Step {
                    what: format!("transformation of {}", commune.name),
                    request: Request::RecordTransformation(pb::RecordTransformationRequest {
                        header: header(commune.id, "key-complex:transform", transformed, Some(decision)),
                        area_id: commune.id.to_string(),
                    }),
                });
            }
            self.area_chains.push(chain);
        }
    }

    /// The commune of this name, by index; the plan names only communes it has.
    pub(super) fn commune_index(&self, name: &str) -> Option<usize> {
        self.communes.iter().position(|commune| commune.name == name)
    }
}

fn register(id: uuid::Uuid, name: &str, level: pb::AreaLevel, division: &str, parent: uuid::Uuid, from: Date) -> Step {
    Step {
        what: format!("area {name}"),
        request: Request::RegisterArea(pb::RegisterAreaRequest {
            header: header(id, "register", from, None),
            area_id: id.to_string(),
            official_code: String::new(),
            name: name.to_owned(),
            level: level.into(),
            division_type: division.to_owned(),
            parent_area_id: parent.to_string(),
            formed_from_area_ids: Vec::new(),
        }),
    }
}

/// "Xã Nga An" → "Nga An"; "Thị trấn Nga Sơn" → "Nga Sơn".
pub(super) fn short_name(name: &str) -> &str {
    name.strip_prefix("Thị trấn ")
        .or_else(|| name.strip_prefix("Xã "))
        .unwrap_or(name)
}
