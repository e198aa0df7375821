//! The figures of seed `001_…` (Báo cáo số 55/BC-BCĐ of 12/6/2018, Ban chỉ đạo 138 huyện
//! Nga Sơn: ten years of Đề án 375 and Chỉ thị số 10, 2008–2018) and the exact counts the
//! demo records to reproduce them. The plan ([`super::plan`]) records exactly these; the
//! end-to-end test reads them back through the projections and compares.
//!
//! Where the report gives an exact count the demo records it; where it gives a share or a
//! bound ("trên 1.500", "gần 1.000", "khoảng 36 %") the demo chooses an exact count that
//! meets it, written down here. The report's own percentages mix rounding and truncation
//! (177/234 = 75.6 % is printed "76 %", 192/234 = 82.05 % "82 %"), so what must match is
//! the counts; percentages are ours, to one decimal.
//!
//! # Incidents, 2008 (from July) to 2018 (to May): 5,220 in all
//!
//! The four handling levels partition the incidents, as the report's shares do
//! (15 + 19 + 30 + 36 = 100): every incident is handled at exactly one level and names no
//! co-handler, because the projection counts a jointly handled incident once for each of
//! its levels and the report does not. 5,220 is the least total above 5,000 for which 783
//! (374 prosecutions + 409 sanctions) is exactly 15 %; then 992 = 19.0 %, 1,566 = 30.0 %
//! and 1,879 = 36.0 %. Crime falls by about 4 % a year ("giảm từ 3 – 5 %"); 2008 counts
//! six months, 2018 five.
//!
//! | year | prosecutions (defendants) | sanctions (subjects) | commune police | protection teams: mediated + with the commune police | social security groups | total |
//! |---|--:|--:|--:|--:|--:|--:|
//! | 2008 | 26 (43) | 29 (51) | 70 | 90 + 21 | 133 | 369 |
//! | 2009 | 44 (73) | 48 (85) | 116 | 148 + 34 | 219 | 609 |
//! | 2010 | 42 (69) | 46 (81) | 111 | 142 + 33 | 210 | 584 |
//! | 2011 | 40 (66) | 44 (78) | 107 | 136 + 32 | 202 | 561 |
//! | 2012 | 39 (64) | 42 (74) | 102 | 131 + 31 | 194 | 539 |
//! | 2013 | 37 (61) | 40 (71) | 98 | 126 + 29 | 186 | 516 |
//! | 2014 | 35 (58) | 39 (69) | 94 | 120 + 28 | 178 | 494 |
//! | 2015 | 34 (56) | 37 (65) | 91 | 116 + 27 | 171 | 476 |
//! | 2016 | 33 (54) | 36 (64) | 87 | 111 + 26 | 165 | 458 |
//! | 2017 | 31 (51) | 34 (60) | 83 | 107 + 25 | 158 | 438 |
//! | 2018 | 13 (22) | 14 (25) | 33 | 43 + 10 | 63 | 176 |
//! | all | 374 (617) | 409 (723) | 992 (19.0 %) | 1,270 + 296 = 1,566 (30.0 %) | 1,879 (36.0 %) | 5,220 |
//!
//! Prosecutions and sanctions are handled by the district police (every twelfth
//! prosecution by the province police): together 783 = 15.0 %. A protection team's
//! incident "with the commune police" is one its mediation failed and the commune police
//! then settled (resolution "commune police handled", level still the team's): the
//! report's "phối hợp Công an xã giải quyết gần 300 vụ việc". Social security groups'
//! incidents are all mediated successfully ("hoà giải thành công gần 1.900").
//!
//! # Forces
//!
//! | force | recorded |
//! |---|---|
//! | steering committees (BCĐ ANTT xã) | 27, formed by 710/QĐ-UBND of 25/5/2008 with 501 members (15 of 19, 12 of 18); 463 members replaced 2009–2018 ([`COMMITTEE_REPLACEMENTS_BY_YEAR`]; every third retired, the others transferred); in 2012 the 89 school principals and the heads of the 20 agencies and enterprises join, and in the 3 key complex communes the Party secretary takes the chair (the chairman stays as a member): 501 + 89 + 20 + 3 = 613 |
//! | village sub-committees (tiểu ban) | 234, one per residential area, the village head leading and the village police officer (công an viên) deputy: 468 members |
//! | protection teams (tổ bảo vệ ANTT) | 234 of 3 (quota 3): 702 members; in 2013 every deputy gives way to the village militia head (Quyết định 4191/QĐ-UBND): 234 departures and 234 replacements, still 702 |
//! | social security groups (tổ ANXH) | 1,242 in 2008 (72 residential areas with 6, 162 with 5), a leader and a deputy each, 33,069 households (777 groups of 27, 465 of 26) of the district's 37,073 = 89.2 %; 3 groups split off 2014–2016: 1,245, 2,490 members, 38,446 households in 2018 (1,096 of 31, 149 of 30) of 40,048 = 96.0 %; 997 leaders and deputies replaced ("gần 1.000") in 517 groups (both in 480, the leader in 37) |
//! | self-management models | [`MODELS`]: 372 teams, 26,791 members |
//!
//! # Ratings of residential areas (Ngày hội 19/8 each year)
//!
//! Safe: [`SAFE_RESIDENTIAL_AREAS`]; the others are rated not safe. In 2012, 150 areas
//! were safe in 2011 and 2012, 91 in 2010–2012 and 51 in 2009–2012 ([`CONSECUTIVE_SAFE_2012`]).
//! In 2013 all 234 areas, 89 schools, 27 communes, 12 agencies and 8 enterprises register
//! to strive. Households sign [`PLEDGES_BY_YEAR`] pledges, recorded per commune.

use antt_proto::v1 as pb;

/// The day of the report (Báo cáo số 55/BC-BCĐ): every figure "now" is as of this day.
pub const REPORT_DAY: (i32, u32, u32) = (2018, 6, 12);
/// The decision that formed the steering committees (Quyết định số 710/QĐ-UBND).
pub const COMMITTEES_FORMED: (i32, u32, u32) = (2008, 5, 25);

/// Commune-level units (26 xã, 1 thị trấn) and residential areas (thôn, khu phố).
pub const COMMUNES: u32 = 27;
pub const RESIDENTIAL_AREAS: u32 = 234;

pub const COMMITTEE_MEMBERS_2008: u32 = 501;
pub const COMMITTEE_MEMBERS_2018: u32 = 613;
pub const COMMITTEE_REPLACEMENTS: u32 = 463;
/// Members of the steering committees replaced each year (rotations peak in the years of
/// the 2011 and 2016 elections and the 2015 Party congresses).
pub const COMMITTEE_REPLACEMENTS_BY_YEAR: [(i32, u32); 10] = [
    (2009, 30),
    (2010, 38),
    (2011, 72),
    (2012, 40),
    (2013, 38),
    (2014, 36),
    (2015, 52),
    (2016, 78),
    (2017, 46),
    (2018, 33),
];
/// Of the 463 replaced, those who retired (nghỉ chế độ); the others were transferred
/// (luân chuyển công tác): every third replacement in date order.
pub const COMMITTEE_RETIREMENTS: u32 = 154;
/// Members who joined in 2012 without replacing anyone: school principals, heads of
/// agencies and enterprises, and the Party secretaries of the key complex communes.
pub const SCHOOLS: u32 = 89;
pub const AGENCIES: u32 = 12;
pub const ENTERPRISES: u32 = 8;
pub const KEY_COMPLEX_AREAS: u32 = 3;
pub const KEY_COMPLEX_AREAS_TRANSFORMED: u32 = 2;

pub const VILLAGE_SUB_COMMITTEES: u32 = 234;
pub const PROTECTION_TEAMS: u32 = 234;
pub const PROTECTION_TEAM_MEMBERS: u32 = 702;
/// The year the protection teams were restructured (Quyết định 4191/QĐ-UBND).
pub const PROTECTION_TEAMS_RESTRUCTURED: i32 = 2013;

pub const GROUPS_2008: u32 = 1_242;
pub const GROUP_HOUSEHOLDS_2008: u32 = 33_069;
pub const DISTRICT_HOUSEHOLDS_2008: u32 = 37_073;
pub const GROUPS_2018: u32 = 1_245;
pub const GROUP_HOUSEHOLDS_2018: u32 = 38_446;
pub const DISTRICT_HOUSEHOLDS_2018: u32 = 40_048;
/// The district's population in the report ("dân số 161.882 người").
pub const DISTRICT_POPULATION_2018: u32 = 161_882;
/// Not in the report: a population for 2008 has to be recorded with its households.
pub const DISTRICT_POPULATION_2008: u32 = 152_400;
pub const GROUPS_CONSOLIDATED: u32 = 517;
pub const GROUP_HEADS_REPLACED: u32 = 997;
/// Groups where both the leader and the deputy were replaced; in the other 37 of the 517,
/// only the leader.
pub const GROUPS_WITH_BOTH_REPLACED: u32 = 480;
pub const GROUP_REPLACEMENTS_BY_YEAR: [(i32, u32); 9] = [
    (2009, 98),
    (2010, 104),
    (2011, 121),
    (2012, 110),
    (2013, 106),
    (2014, 112),
    (2015, 118),
    (2016, 124),
    (2017, 104),
];

/// Where a self-management model's teams work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelScope {
    /// One team in every residential area.
    EveryResidentialArea,
    /// One team in every commune.
    EveryCommune,
    /// One team in each of the first `n` communes.
    Communes(u32),
}

/// A self-management model or club of the report (section III.1.4) and its members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Model {
    /// The team name's stem, e.g. "Mô hình “Nông dân với ANTT”".
    pub name: &'static str,
    /// The sponsoring organisation, before the commune's name, e.g. "Hội Nông dân".
    pub sponsor: &'static str,
    pub scope: ModelScope,
    pub members: u32,
    /// A club has a chair (chủ nhiệm); the others a leader (tổ trưởng, đội trưởng).
    pub club: bool,
    /// Not in the report: when the teams were set up.
    pub established: (i32, u32, u32),
}

pub const MODELS: [Model; 7] = [
    Model {
        name: "Mô hình “Nông dân với ANTT”",
        sponsor: "Hội Nông dân",
        scope: ModelScope::EveryResidentialArea,
        members: 18_900,
        club: false,
        established: (2009, 3, 20),
    },
    Model {
        name: "Đội thanh niên xung kích phòng, chống tai, tệ nạn xã hội",
        sponsor: "Đoàn Thanh niên",
        scope: ModelScope::EveryCommune,
        members: 315,
        club: false,
        established: (2010, 3, 26),
    },
    Model {
        name: "Mô hình “Tuyến đường tự quản”",
        sponsor: "Hội Cựu chiến binh",
        scope: ModelScope::EveryCommune,
        members: 1_386,
        club: false,
        established: (2011, 12, 6),
    },
    Model {
        name: "CLB “Gia đình phụ nữ không có người thân vi phạm pháp luật và tệ nạn xã hội”",
        sponsor: "Hội Liên hiệp Phụ nữ",
        scope: ModelScope::EveryCommune,
        members: 1_144,
        club: true,
        established: (2012, 10, 20),
    },
    Model {
        name: "CLB “Phòng chống bạo lực gia đình”",
        sponsor: "Hội Liên hiệp Phụ nữ",
        scope: ModelScope::EveryCommune,
        members: 402,
        club: true,
        established: (2013, 6, 28),
    },
    Model {
        name: "CLB “Phụ nữ với an toàn giao thông và vệ sinh môi trường”",
        sponsor: "Hội Liên hiệp Phụ nữ",
        scope: ModelScope::Communes(3),
        members: 85,
        club: true,
        established: (2014, 10, 20),
    },
    Model {
        name: "CLB “Xây dựng gia đình hạnh phúc”",
        sponsor: "Hội Liên hiệp Phụ nữ",
        scope: ModelScope::EveryCommune,
        members: 4_559,
        club: true,
        established: (2015, 6, 28),
    },
];

/// Incidents reported in one year, by how they were handled (see the table above).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncidentYear {
    pub year: i32,
    pub prosecutions: u32,
    pub defendants: u32,
    pub sanctions: u32,
    pub sanctioned_subjects: u32,
    pub commune_police: u32,
    pub team_mediated: u32,
    pub team_with_commune_police: u32,
    pub group_mediated: u32,
}

impl IncidentYear {
    pub const fn total(&self) -> u32 {
        self.prosecutions
            + self.sanctions
            + self.commune_police
            + self.team_mediated
            + self.team_with_commune_police
            + self.group_mediated
    }

    /// Handled by the district or province police.
    pub const fn police(&self) -> u32 {
        self.prosecutions + self.sanctions
    }

    pub const fn protection_teams(&self) -> u32 {
        self.team_mediated + self.team_with_commune_police
    }
}

const fn incident_year(year: i32, row: [u32; 8]) -> IncidentYear {
    IncidentYear {
        year,
        prosecutions: row[0],
        defendants: row[1],
        sanctions: row[2],
        sanctioned_subjects: row[3],
        commune_police: row[4],
        team_mediated: row[5],
        team_with_commune_police: row[6],
        group_mediated: row[7],
    }
}

pub const INCIDENTS_BY_YEAR: [IncidentYear; 11] = [
    incident_year(2008, [26, 43, 29, 51, 70, 90, 21, 133]),
    incident_year(2009, [44, 73, 48, 85, 116, 148, 34, 219]),
    incident_year(2010, [42, 69, 46, 81, 111, 142, 33, 210]),
    incident_year(2011, [40, 66, 44, 78, 107, 136, 32, 202]),
    incident_year(2012, [39, 64, 42, 74, 102, 131, 31, 194]),
    incident_year(2013, [37, 61, 40, 71, 98, 126, 29, 186]),
    incident_year(2014, [35, 58, 39, 69, 94, 120, 28, 178]),
    incident_year(2015, [34, 56, 37, 65, 91, 116, 27, 171]),
    incident_year(2016, [33, 54, 36, 64, 87, 111, 26, 165]),
    incident_year(2017, [31, 51, 34, 60, 83, 107, 25, 158]),
    incident_year(2018, [13, 22, 14, 25, 33, 43, 10, 63]),
];
pub const INCIDENTS: u32 = 5_220;
pub const PROSECUTIONS: u32 = 374;
pub const DEFENDANTS: u32 = 617;
pub const SANCTIONS: u32 = 409;
pub const SANCTIONED_SUBJECTS: u32 = 723;
pub const COMMUNE_POLICE_INCIDENTS: u32 = 992;
pub const PROTECTION_TEAM_INCIDENTS: u32 = 1_566;
pub const PROTECTION_TEAM_MEDIATED: u32 = 1_270;
pub const GROUP_MEDIATED: u32 = 1_879;

/// Wanted persons arrested or persuaded to surrender ("bắt 73 đối tượng có lệnh truy nã").
pub const ARRESTS_BY_YEAR: [(i32, u32); 11] = [
    (2008, 5),
    (2009, 9),
    (2010, 8),
    (2011, 8),
    (2012, 8),
    (2013, 7),
    (2014, 7),
    (2015, 7),
    (2016, 6),
    (2017, 6),
    (2018, 2),
];
pub const ARRESTS: u32 = 73;

/// Residential areas rated safe, by year.
pub const SAFE_RESIDENTIAL_AREAS: [(i32, u32); 9] = [
    (2009, 145),
    (2010, 159),
    (2011, 166),
    (2012, 177),
    (2013, 178),
    (2014, 182),
    (2015, 182),
    (2016, 189),
    (2017, 192),
];
/// In 2012: areas safe for at least 2, 3 and 4 years running.
pub const CONSECUTIVE_SAFE_2012: [(u32, u32); 3] = [(2, 150), (3, 91), (4, 51)];
/// The year of the registrations the report counts (234 areas, 89 schools, 27 communes,
/// 20 agencies and enterprises).
pub const REGISTRATION_YEAR: i32 = 2013;

/// Pledges signed each year ("mỗi năm từ 20 đến 25 nghìn bản").
pub const PLEDGES_BY_YEAR: [(i32, u32); 10] = [
    (2008, 20_150),
    (2009, 20_640),
    (2010, 21_120),
    (2011, 21_580),
    (2012, 22_040),
    (2013, 22_730),
    (2014, 23_260),
    (2015, 23_810),
    (2016, 24_370),
    (2017, 24_920),
];

/// Directive documents: issued by the district Party committee and People's Committee
/// on the district steering committee's advice (among them công văn 407 and 416 and
/// decision 710); by the commune steering committees ("hơn một nghìn"); the yearly
/// resolutions of the 27 commune Party committees, 2009–2018.
pub const DISTRICT_DOCUMENTS: u32 = 79;
pub const COMMUNE_COMMITTEE_DOCUMENTS: u32 = 1_053;
pub const COMMUNE_PARTY_RESOLUTIONS: u32 = 270;

/// Conferences and classes, by who organised them and what they were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConferenceCount {
    pub level: pb::AreaLevel,
    pub kind: pb::ConferenceKind,
    pub first_year: i32,
    pub last_year: i32,
    pub count: u32,
    /// Participants counted over all of them; 0: not counted.
    pub participants: u32,
    pub topic: &'static str,
}

pub const CONFERENCES: [ConferenceCount; 11] = [
    ConferenceCount {
        level: pb::AreaLevel::District,
        kind: pb::ConferenceKind::Conference,
        first_year: 2008,
        last_year: 2008,
        count: 8,
        participants: 0,
        topic: "Hội nghị mở rộng đến Chủ tịch UBND các xã, thị trấn triển khai Đề án 375, Chỉ thị số 10",
    },
    ConferenceCount {
        level: pb::AreaLevel::District,
        kind: pb::ConferenceKind::Conference,
        first_year: 2008,
        last_year: 2008,
        count: 4,
        participants: 0,
        topic: "Hội nghị với các cơ quan, ngành, doanh nghiệp, trường học và 4 thành phần cấp xã",
    },
    ConferenceCount {
        level: pb::AreaLevel::District,
        kind: pb::ConferenceKind::Conference,
        first_year: 2009,
        last_year: 2018,
        count: 31,
        participants: 0,
        topic: "Hội nghị đánh giá kết quả thực hiện Đề án 375, Chỉ thị số 10 hằng năm",
    },
    ConferenceCount {
        level: pb::AreaLevel::District,
        kind: pb::ConferenceKind::InterimReview,
        first_year: 2013,
        last_year: 2016,
        count: 2,
        participants: 0,
        topic: "Sơ kết thực hiện Đề án 375 và Chỉ thị số 10",
    },
    ConferenceCount {
        level: pb::AreaLevel::District,
        kind: pb::ConferenceKind::Contest,
        first_year: 2012,
        last_year: 2012,
        count: 1,
        participants: 0,
        topic: "Hội thi Ban chỉ đạo ANTT xã, thị trấn",
    },
    ConferenceCount {
        level: pb::AreaLevel::District,
        kind: pb::ConferenceKind::TrainingClass,
        first_year: 2009,
        last_year: 2017,
        count: 18,
        participants: 0,
        topic: "Tập huấn cho Trưởng Công an xã, thị trấn, Thôn trưởng và CBCS Công an huyện tăng cường cơ sở",
    },
    ConferenceCount {
        level: pb::AreaLevel::District,
        kind: pb::ConferenceKind::TrainingClass,
        first_year: 2009,
        last_year: 2017,
        count: 12,
        participants: 0,
        topic: "Tập huấn nghiệp vụ cho thành viên tổ bảo vệ ANTT",
    },
    ConferenceCount {
        level: pb::AreaLevel::Province,
        kind: pb::ConferenceKind::TrainingClass,
        first_year: 2010,
        last_year: 2016,
        count: 4,
        participants: 313,
        topic: "Tập huấn cho Trưởng, Phó trưởng Ban chỉ đạo ANTT xã, thị trấn",
    },
    ConferenceCount {
        level: pb::AreaLevel::Commune,
        kind: pb::ConferenceKind::Conference,
        first_year: 2008,
        last_year: 2008,
        count: 216,
        participants: 4_104,
        topic: "Hội nghị mở rộng quán triệt, triển khai Đề án 375, Chỉ thị số 10",
    },
    ConferenceCount {
        level: pb::AreaLevel::Commune,
        kind: pb::ConferenceKind::Conference,
        first_year: 2009,
        last_year: 2018,
        count: 1_026,
        participants: 0,
        topic: "Hội nghị đánh giá kết quả, triển khai kế hoạch thực hiện Đề án 375, Chỉ thị số 10",
    },
    ConferenceCount {
        level: pb::AreaLevel::Commune,
        kind: pb::ConferenceKind::TrainingClass,
        first_year: 2009,
        last_year: 2016,
        count: 216,
        participants: 0,
        topic: "Tập huấn cho tổ trưởng, tổ phó tổ ANXH",
    },
];
/// Meetings in the residential areas, ten years ("hàng nghìn lượt hội nghị ở thôn").
pub const VILLAGE_MEETINGS: u32 = 2_340;

/// Awards to collectives and individuals by the Ministry of Public Security and the
/// province's People's Committee ("04 lượt tập thể được nhận cờ thi đua … 26 lượt tập
/// thể; 37 lượt cá nhân được … tặng Bằng khen").
pub const EMULATION_FLAGS: u32 = 4;
pub const COLLECTIVE_MERIT_CERTIFICATES: u32 = 26;
pub const INDIVIDUAL_MERIT_CERTIFICATES: u32 = 37;

/// The sum of a yearly table.
pub const fn total(table: &[(i32, u32)]) -> u32 {
    let mut sum = 0;
    let mut index = 0;
    while index < table.len() {
        sum += table[index].1;
        index += 1;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_add_up_to_the_report() {
        assert_eq!(total(&COMMITTEE_REPLACEMENTS_BY_YEAR), COMMITTEE_REPLACEMENTS);
        assert_eq!(total(&GROUP_REPLACEMENTS_BY_YEAR), GROUP_HEADS_REPLACED);
        assert_eq!(
            2 * GROUPS_WITH_BOTH_REPLACED + (GROUPS_CONSOLIDATED - GROUPS_WITH_BOTH_REPLACED),
            997
        );
        assert_eq!(total(&ARRESTS_BY_YEAR), ARRESTS);
        assert_eq!(
            COMMITTEE_MEMBERS_2008 + SCHOOLS + AGENCIES + ENTERPRISES + KEY_COMPLEX_AREAS,
            COMMITTEE_MEMBERS_2018
        );
        let sum = |field: fn(&IncidentYear) -> u32| INCIDENTS_BY_YEAR.iter().map(field).sum::<u32>();
        assert_eq!(sum(IncidentYear::total), INCIDENTS);
        assert_eq!(sum(|y| y.prosecutions), PROSECUTIONS);
        assert_eq!(sum(|y| y.defendants), DEFENDANTS);
        assert_eq!(sum(|y| y.sanctions), SANCTIONS);
        assert_eq!(sum(|y| y.sanctioned_subjects), SANCTIONED_SUBJECTS);
        assert_eq!(sum(|y| y.commune_police), COMMUNE_POLICE_INCIDENTS);
        assert_eq!(sum(IncidentYear::protection_teams), PROTECTION_TEAM_INCIDENTS);
        assert_eq!(sum(|y| y.team_mediated), PROTECTION_TEAM_MEDIATED);
        assert_eq!(sum(|y| y.group_mediated), GROUP_MEDIATED);
        // Every case has one or two persons.
        for year in INCIDENTS_BY_YEAR {
            assert!((year.prosecutions..=2 * year.prosecutions).contains(&year.defendants));
            assert!((year.sanctions..=2 * year.sanctions).contains(&year.sanctioned_subjects));
        }
        assert_eq!(MODELS.iter().map(|model| model.members).sum::<u32>(), 26_791);
        assert!(PLEDGES_BY_YEAR.iter().all(|(_, n)| (20_000..=25_000).contains(n)));
    }

    #[test]
    fn the_shares_are_those_of_the_report() {
        let share = |count: u32| (f64::from(count) * 1000.0 / f64::from(INCIDENTS)).round() / 10.0;
        assert_eq!(share(PROSECUTIONS + SANCTIONS), 15.0);
        assert_eq!(share(COMMUNE_POLICE_INCIDENTS), 19.0);
        assert_eq!(share(PROTECTION_TEAM_INCIDENTS), 30.0);
        assert_eq!(share(GROUP_MEDIATED), 36.0);
        let coverage = |part: u32, whole: u32| (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0;
        assert_eq!(coverage(GROUP_HOUSEHOLDS_2008, DISTRICT_HOUSEHOLDS_2008), 89.2);
        assert_eq!(coverage(GROUP_HOUSEHOLDS_2018, DISTRICT_HOUSEHOLDS_2018), 96.0);
    }
}
