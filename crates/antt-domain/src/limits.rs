//! Bounds on what a command may carry. Names put the unit or qualifier last.

/// Names of areas, teams, bodies and courses, in characters after NFC normalisation.
pub const NAME_CHARS_MAX: usize = 200;
/// Free text: summaries, reasons, findings, descriptions.
pub const TEXT_CHARS_MAX: usize = 4_000;
/// Official codes (GSO codes are 2–5 digits; local codes are short too).
pub const CODE_CHARS_MAX: usize = 32;
/// A sealed personal-data record: ciphertext of a few short fields plus overhead.
pub const SEALED_PERSONAL_DATA_BYTES_MAX: usize = 64 * 1024;
/// Ids and bodies listed in one command (areas merged, members carried over, bodies).
pub const LIST_ITEMS_MAX: usize = 1_000;
/// The largest team quota. Social security groups and clubs can have thousands of
/// members district-wide, but one team is far smaller.
pub const QUOTA_MAX: u32 = 10_000;
/// Years accepted in commands.
pub const YEAR_MIN: i32 = 1945;
pub const YEAR_MAX: i32 = 2200;

/// Entries of one reported figure: the figure as first reported and its corrections.
pub const FIGURE_ENTRIES_MAX: usize = 100;
/// The largest count a figure reports: above any count of people or households in Vietnam.
pub const FIGURE_COUNT_MAX: u64 = 1_000_000_000;
/// Persons named as attending a conference in one command, and in all.
pub const ATTENDEES_PER_COMMAND_MAX: usize = 200;
pub const ATTENDEES_PER_CONFERENCE_MAX: usize = 5_000;
/// Participants one conference counts (a province-wide conference has thousands).
pub const PARTICIPANTS_MAX: u32 = 100_000;
/// Days one conference or training course lasts, at most.
pub const CONFERENCE_DAYS_MAX: i64 = 366;

const _: () = assert!(NAME_CHARS_MAX <= TEXT_CHARS_MAX);
const _: () = assert!(ATTENDEES_PER_COMMAND_MAX <= LIST_ITEMS_MAX);
const _: () = assert!(ATTENDEES_PER_COMMAND_MAX <= ATTENDEES_PER_CONFERENCE_MAX);
const _: () = assert!(ATTENDEES_PER_CONFERENCE_MAX as u64 <= PARTICIPANTS_MAX as u64);
const _: () = assert!(CODE_CHARS_MAX <= NAME_CHARS_MAX);
const _: () = assert!(YEAR_MIN < YEAR_MAX);
