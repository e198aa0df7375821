//! Row keys: byte strings that sort by their parts and never run into each other.
//!
//! A key is a kind byte followed by parts. Text parts are written with `0x00` escaped as
//! `0x00 0xFF` and end in `0x00 0x01`, dates are four bytes and numbers eight, all
//! big-endian, so keys sort as their parts do and no key is a prefix of another built to
//! a different shape: the stored key is a row key followed by fixed-size suffixes, and
//! the row key is read back unambiguously.

use antt_domain::date::Date;

/// What a row is about; the first byte of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    /// An area: `area ‖ area_id`.
    Area = 1,
    /// A child under its parent: `child ‖ parent_id ‖ child_id`.
    AreaChild = 2,
    /// An area merged into a successor: `merged ‖ successor_id ‖ area_id`.
    MergedInto = 3,
    /// An official code: `code ‖ code ‖ area_id`.
    AreaCode = 4,
    /// A team in its area: `team ‖ area_id ‖ team_id`.
    Team = 5,
    /// A term started or ended: `member-change ‖ area_id ‖ date ‖ team_id ‖ person_id ‖ n`.
    MemberChange = 6,
    /// An incident in its area: `incident ‖ area_id ‖ reported_on ‖ incident_id`.
    Incident = 7,
    /// A rating of a unit: `rating ‖ unit_id ‖ year`.
    Rating = 8,
    /// An arrest of a wanted person: `arrest ‖ area_id ‖ date ‖ arrest_id`.
    Arrest = 9,
    /// A tip from the public: `tip ‖ area_id ‖ date ‖ tip_id`.
    Tip = 10,
    /// A key complex area's designation: `hotspot ‖ area_id ‖ designated_on`.
    Hotspot = 11,
    /// A directive document: `document ‖ issuer area_id ‖ date ‖ document_id`.
    Document = 12,
    /// A conference or class: `conference ‖ organiser area_id ‖ date ‖ conference_id`.
    Conference = 13,
    /// An award: `award ‖ area_id ‖ date ‖ award_id`.
    Award = 14,
    /// A reported figure: `figure ‖ unit area_id ‖ period's last day ‖ figure_id`.
    Figure = 15,
    /// A team by its id alone, for its history: `team-by-id ‖ team_id`.
    TeamById = 16,
    /// An office held: `office ‖ area_id ‖ tenure_id`.
    Office = 17,
    /// An office by its holder: `office-of ‖ person_id ‖ tenure_id`.
    OfficeOf = 18,
    /// A person's term in a team: `term ‖ person_id ‖ from ‖ team_id ‖ n`.
    PersonTerm = 19,
    /// An inspection's action: `action ‖ inspection_id ‖ action_id`.
    Action = 20,
    /// A target's year: `target ‖ target_id ‖ year`.
    Target = 21,
    /// A composition policy in force: `composition ‖ province_id ‖ policy_id`.
    CompositionPolicy = 22,
    /// An inspection of an area: `inspection ‖ inspected area_id ‖ inspection_id`.
    Inspection = 23,
}

/// Builds a key part by part.
#[derive(Clone, Debug, Default)]
pub struct KeyBuilder {
    bytes: Vec<u8>,
}

impl KeyBuilder {
    pub fn new(kind: Kind) -> Self {
        KeyBuilder {
            bytes: vec![kind as u8],
        }
    }

    pub fn text(mut self, text: &str) -> Self {
        for &byte in text.as_bytes() {
            self.bytes.push(byte);
            if byte == 0 {
                self.bytes.push(0xFF);
            }
        }
        self.bytes.extend_from_slice(&[0x00, 0x01]);
        self
    }

    pub fn date(mut self, date: Date) -> Self {
        self.bytes.extend_from_slice(&encode_date(date));
        self
    }

    pub fn number(mut self, number: u64) -> Self {
        self.bytes.extend_from_slice(&number.to_be_bytes());
        self
    }

    pub fn year(self, year: i32) -> Self {
        self.number(sortable_i64(i64::from(year)))
    }

    pub fn build(self) -> Vec<u8> {
        self.bytes
    }
}

/// Four bytes that sort as dates do.
pub fn encode_date(date: Date) -> [u8; 4] {
    let days = date.days_since_unix_epoch();
    // Dates span a few thousand years either side of 1970; the offset keeps them in u32.
    let shifted = (days + (1i64 << 31)).clamp(0, i64::from(u32::MAX));
    (shifted as u32).to_be_bytes()
}

pub fn decode_date(bytes: [u8; 4]) -> Date {
    let days = i64::from(u32::from_be_bytes(bytes)) - (1i64 << 31);
    Date::from_days_since_unix_epoch(days)
}

/// An i64 as a u64 that sorts the same way.
pub fn sortable_i64(value: i64) -> u64 {
    (value as u64) ^ (1 << 63)
}

/// The keys that start with `prefix`, as a range's end: the first key after them all.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_parts_sort_and_do_not_run_into_each_other() {
        let a = KeyBuilder::new(Kind::Team).text("a").text("b").build();
        let ab = KeyBuilder::new(Kind::Team).text("ab").build();
        let zero = KeyBuilder::new(Kind::Team).text("a\0b").build();
        assert!(!ab.starts_with(&KeyBuilder::new(Kind::Team).text("a").build()));
        assert!(a < ab, "'a' then anything sorts before 'ab'");
        assert_ne!(zero, a);
    }

    #[test]
    fn dates_round_trip_and_sort() {
        let early = Date::new(1945, 9, 2).unwrap();
        let late = Date::new(2025, 7, 1).unwrap();
        assert!(encode_date(early) < encode_date(late));
        assert_eq!(decode_date(encode_date(late)), late);
        assert_eq!(decode_date(encode_date(Date::MAX)), Date::MAX);
        assert_eq!(decode_date(encode_date(Date::MIN)), Date::MIN);
    }

    #[test]
    fn prefix_end_is_the_first_key_after_the_prefix() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF]), None);
    }
}
