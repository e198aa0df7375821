//! Synthetic people: a Vietnamese name, a birth date and the rest of a personal-data
//! record, derived from the person's id alone so that every run produces the same bytes
//! (RegisterPerson's retry compares them). Nobody here is real: names are drawn from the
//! commonest family, middle and given names, never copied from a source.

use antt_domain::Date;
use antt_proto::v1 as pb;
use uuid::Uuid;

/// Family names, the common ones repeated by how often they occur.
const FAMILY: [&str; 24] = [
    "Nguyễn", "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Phạm", "Mai", "Mai", "Hoàng", "Vũ",
    "Đỗ", "Bùi", "Trịnh", "Lại", "Đinh", "Ngô", "Hà", "Phan", "Đặng", "Tống",
];
const MIDDLE_MALE: [&str; 8] = ["Văn", "Văn", "Văn", "Đức", "Minh", "Xuân", "Hữu", "Quang"];
const MIDDLE_FEMALE: [&str; 6] = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh"];
const GIVEN_MALE: [&str; 24] = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Lâm", "Long", "Mạnh", "Nam", "Nghĩa",
    "Phong", "Quân", "Sơn", "Thắng", "Thành", "Tiến", "Toàn", "Trung", "Tuấn", "Vinh",
];
const GIVEN_FEMALE: [&str; 24] = [
    "Anh", "Chi", "Dung", "Giang", "Hà", "Hằng", "Hạnh", "Hoa", "Hồng", "Hương", "Lan", "Liên", "Linh", "Loan", "Mai",
    "Nga", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Thủy", "Trang", "Yến",
];

/// Who a person is, as far as the history needs to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
    /// Either, drawn from the id.
    Any,
}

/// What the plan knows of a person besides their id.
#[derive(Clone, Debug)]
pub struct Profile {
    pub gender: Gender,
    /// Born between these years.
    pub born: (i32, i32),
    /// Nơi cư trú, e.g. "Thôn 3, xã Nga An, huyện Nga Sơn, tỉnh Thanh Hóa".
    pub address: String,
    /// Always a Party member (steering committee members, village police officers);
    /// otherwise one in five.
    pub party_member: bool,
}

/// A small deterministic generator seeded by the id (SplitMix64), so that a person's data
/// depends on nothing but their id.
struct Draw(u64);

impl Draw {
    fn new(id: Uuid) -> Draw {
        let (high, low) = id.as_u64_pair();
        Draw(high ^ low.rotate_left(17))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        // n is a table length or a day count: far below u64::MAX, so the cast is exact.
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// The personal data of the person `id`.
pub fn personal_data(id: Uuid, profile: &Profile) -> pb::PersonalData {
    let mut draw = Draw::new(id);
    let female = match profile.gender {
        Gender::Male => false,
        Gender::Female => true,
        Gender::Any => draw.below(2) == 0,
    };
    let (middle, given): (&[&str], &[&str]) = if female {
        (&MIDDLE_FEMALE, &GIVEN_FEMALE)
    } else {
        (&MIDDLE_MALE, &GIVEN_MALE)
    };
    let full_name = format!("{} {} {}", draw.pick(&FAMILY), draw.pick(middle), draw.pick(given));
    let (from, to) = profile.born;
    let years = usize::try_from((to - from).max(0) + 1).unwrap_or(1);
    let year = from + i32::try_from(draw.below(years)).unwrap_or(0);
    let day = Date::first_day_of_year(year).days_since_unix_epoch() + i64::try_from(draw.below(365)).unwrap_or(0);
    // About one in six of the district is Catholic ("trên 17% dân số theo đạo Công giáo").
    let religion = if draw.below(6) == 0 { "Công giáo" } else { "Không" };
    pb::PersonalData {
        full_name,
        date_of_birth: Some(Date::from_days_since_unix_epoch(day).to_proto()),
        citizen_id: String::new(),
        phone: String::new(),
        address: profile.address.clone(),
        ethnicity: "Kinh".to_owned(),
        religion: religion.to_owned(),
        party_member: profile.party_member || draw.below(5) == 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(gender: Gender) -> Profile {
        Profile {
            gender,
            born: (1960, 1980),
            address: "Thôn 1, xã Nga An, huyện Nga Sơn, tỉnh Thanh Hóa".to_owned(),
            party_member: false,
        }
    }

    #[test]
    fn the_same_id_gives_the_same_person() {
        let id = uuid::uuid!("6e6a7a53-2d64-4a0e-9b1f-0d9a7c0e4001");
        assert_eq!(
            personal_data(id, &profile(Gender::Any)),
            personal_data(id, &profile(Gender::Any))
        );
        let woman = personal_data(id, &profile(Gender::Female));
        assert!(woman
            .full_name
            .split(' ')
            .nth(1)
            .is_some_and(|m| MIDDLE_FEMALE.contains(&m)));
        let born = woman.date_of_birth.unwrap();
        assert!((1960..=1980).contains(&born.year));
    }
}
