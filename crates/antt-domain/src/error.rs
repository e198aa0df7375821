//! Why `decide` refuses a command.
//!
//! Two kinds of refusal, which the API maps differently:
//! - [`DomainError::Invalid`]: the command itself is malformed (a required name is empty,
//!   a count is zero). It names the field, so the API can answer INVALID_ARGUMENT with a
//!   field violation.
//! - Every other variant: the command is well formed but breaks a rule given the
//!   recorded facts (the team is dissolved, the quota is full). The API answers
//!   FAILED_PRECONDITION; [`DomainError::is_rule_violation`] tells them apart.
//!
//! Messages are written for a commune clerk, with the Vietnamese term where natural.

use crate::date::{Date, VietnameseDate};
use uuid::Uuid;

/// A command refused by `decide`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// A field of the command is missing or malformed.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },

    // Time.
    /// The fact would take effect after the day it is recorded.
    #[error(
        "the effective date {effective} is later than today's recording date {recorded} \
         (ngày hiệu lực sau ngày ghi nhận); a fact cannot be recorded before it happens"
    )]
    EffectiveDateInFuture { effective: Date, recorded: Date },
    /// The fact would take effect before the thing it concerns existed.
    #[error("{what} did not exist yet on {effective}: it exists from {since}")]
    BeforeExistence {
        what: &'static str,
        effective: Date,
        since: Date,
    },
    /// The fact would take effect on or after the end of the thing it concerns.
    #[error("{what} no longer existed on {effective}: it ended on {ended_on}")]
    AfterEnd {
        what: &'static str,
        effective: Date,
        ended_on: Date,
    },
    /// The command holds on its own date, but a fact already recorded for a later date
    /// would no longer hold with it in.
    #[error(
        "this contradicts what is already recorded from {on} (mâu thuẫn với hồ sơ đã ghi \
         từ ngày {}): {rule}", VietnameseDate(*on)
    )]
    ContradictsLaterRecord { on: Date, rule: Box<DomainError> },
    /// A seat would have two holders for a period.
    #[error(
        "từ {} {} tổ đã có {seat_vi}: the team already has an active {role} from {from}{}; \
         a team has only one",
        VietnameseDate(*from),
        until.map(|until| format!("đến {}", VietnameseDate(until))).unwrap_or_else(|| "đến nay".to_owned()),
        until.map(|until| format!(" to {until}")).unwrap_or_default()
    )]
    SeatHeldDuring {
        /// e.g. "tổ trưởng".
        seat_vi: &'static str,
        role: &'static str,
        from: Date,
        until: Option<Date>,
    },

    // Existence of records.
    /// The command needs a record that does not exist yet.
    #[error("{what} has not been recorded yet (chưa có trong hồ sơ)")]
    NotRecorded { what: &'static str },
    /// The command would create a record that already exists.
    #[error("{what} is already recorded (đã có trong hồ sơ)")]
    AlreadyRecorded { what: &'static str },
    /// The command names a different unit, year or record than the stream it is sent to.
    #[error("this record belongs to another {what}; send the command to the right record")]
    WrongRecord { what: &'static str },

    // Areas.
    /// The area was merged, split or dissolved and can no longer change.
    #[error(
        "the area ended on {ended_on} (địa bàn đã sáp nhập, chia tách hoặc giải thể); \
         its history stays readable but it can no longer change"
    )]
    AreaEnded { ended_on: Date },
    /// An area would belong to an area of the same or a lower level.
    #[error("a {child} cannot belong to a {parent} (cấp hành chính không phù hợp)")]
    ParentLevelNotAbove { child: &'static str, parent: &'static str },
    /// An area other than a province was registered without a parent.
    #[error("a {level} must belong to a parent area (thiếu địa bàn cấp trên)")]
    ParentRequired { level: &'static str },
    /// A province was given a parent.
    #[error("a province has no parent area")]
    ProvinceHasNoParent,
    /// The area is already a key complex area.
    #[error("the area is already a key complex area (địa bàn trọng điểm phức tạp về ANTT)")]
    AlreadyKeyComplexArea,
    /// Only a designated key complex area can be transformed.
    #[error(
        "the area is not a key complex area (địa bàn trọng điểm phức tạp), \
         so there is nothing to transform (chuyển hoá)"
    )]
    NotKeyComplexArea,

    // Teams and members.
    /// The team was dissolved or merged away.
    #[error(
        "the team is dissolved (tổ đã giải thể hoặc sáp nhập) since {ended_on}; \
         no one can be appointed to it and it can no longer change"
    )]
    TeamDissolved { ended_on: Date },
    /// A core force candidate has not passed vetting.
    #[error(
        "a core force member (cốt cán) must pass vetting (thẩm tra nhân thân, lịch sử \
         chính trị) before being appointed"
    )]
    VettingRequired,
    /// The candidate failed vetting.
    #[error("the person failed vetting (thẩm tra không đạt) and cannot be appointed")]
    VettingFailed,
    /// Vetting without a pending nomination.
    #[error("vetting needs a pending nomination (đề cử) of the person to this team")]
    NotNominated,
    /// The person is already nominated or vetted and waiting for appointment.
    #[error("the person is already nominated to this team and waiting for a decision")]
    AlreadyNominated,
    /// The quota is full.
    #[error("the team's quota (định biên) of {quota} members is full")]
    QuotaFull { quota: u32 },
    /// The new quota is below the number of active members.
    #[error(
        "the new quota (định biên) of {quota} is below the {active} active members; \
         members must leave first"
    )]
    QuotaBelowActive { quota: u32, active: u32 },
    /// The head or deputy seat is taken.
    #[error("the team already has an active {role}; a team has only one")]
    RoleTaken { role: &'static str },
    /// The person already holds an active role in this team.
    #[error("the person already holds an active role in this team (đang giữ chức danh)")]
    AlreadyActiveMember,
    /// The person is not an active member of this team.
    #[error("the person is not an active member of this team")]
    NotActiveMember,
    /// The person never served in this team.
    #[error("the person has never been appointed to this team")]
    NeverAppointed,
    /// The kind of force is not formed at this level of area.
    #[error("a {force}, not in a {level} (không đúng cấp địa bàn)")]
    ForceLevelMismatch { force: &'static str, level: &'static str },
    /// Households are counted for social security groups only.
    #[error("only a social security group (tổ an ninh xã hội) has member households")]
    NotASocialSecurityGroup,
    /// An allowance for a period the person did not serve in one term.
    #[error(
        "the person did not serve in this team for the whole period {start} to {end} \
         (không giữ chức danh trong thời gian này); an allowance is paid for a term served"
    )]
    NotServingDuring { start: Date, end: Date },
    /// A replacement named someone who has not left.
    #[error("a replacement (thay thế) must name a member who has left the team")]
    NotALeaver,
    /// The leaver already has a successor.
    #[error("this member has already been replaced (đã có người thay thế)")]
    AlreadyReplaced,

    // Persons.
    /// The person's personal data was erased; nothing about it can change any more.
    #[error(
        "the person's personal data was erased on {erased_on} (đã xoá dữ liệu cá nhân theo \
         Nghị định 13/2023/NĐ-CP); it can be neither corrected nor erased again"
    )]
    PersonalDataErased { erased_on: Date },

    // Incidents, tips.
    /// The incident is resolved.
    #[error(
        "the incident is already resolved (vụ việc đã giải quyết xong); \
         reopen it before handling it again"
    )]
    IncidentClosed,
    /// Only a resolved incident can be reopened.
    #[error("the incident is still open; only a resolved incident can be reopened")]
    IncidentNotClosed,
    /// A mediated resolution without a successful mediation.
    #[error(
        "a resolution by mediation needs a successful mediation (hoà giải thành) \
         recorded first"
    )]
    NoSuccessfulMediation,
    /// A team named for a force it is not.
    #[error("{field}: the team named is another kind of force than the one given (không đúng lực lượng)")]
    TeamOfAnotherForce { field: &'static str },
    /// A resolution beyond the competence of the level handling the incident.
    #[error(
        "{level} cannot resolve an incident this way (không đúng thẩm quyền): an \
         administrative sanction needs the commune police or authority, a prosecution \
         (khởi tố) the district police or higher; escalate it first"
    )]
    ResolutionBeyondLevel { level: &'static str },
    /// An escalation to the same or a lower level.
    #[error("an escalation must go to a higher handling level than {from} (chuyển lên cấp trên)")]
    EscalationNotHigher { from: &'static str },

    // Ratings.
    /// The unit already has a rating for the year.
    #[error(
        "the unit already has a rating for {year} (đã bình xét); \
         it can change only by a correction naming the original"
    )]
    AlreadyRated { year: i32 },
    /// A correction without a rating to correct.
    #[error("the unit has no rating for {year} to correct (chưa bình xét)")]
    NotRated { year: i32 },
    /// A correction named a rating other than the current one.
    #[error(
        "a correction must name the unit's current rating for the year, {current}; \
         the named rating is unknown or already corrected"
    )]
    CorrectionMustNameCurrent { current: String },
    /// Only some levels are rated.
    #[error(
        "a {level} is not rated; only residential areas, communes, agencies, \
         enterprises and schools are (bình xét an toàn về ANTT)"
    )]
    UnitNotRatable { level: &'static str },

    // Inspections.
    /// The inspection is closed.
    #[error("the inspection is closed (đã kết thúc kiểm tra); nothing more can be recorded")]
    InspectionClosed,
    /// The finding is not part of this inspection.
    #[error("the finding is not part of this inspection")]
    UnknownFinding,
    /// Remedial actions answer shortcomings only.
    #[error("remedial actions answer shortcomings (khuyết điểm), not strengths")]
    NotAShortcoming,
    /// Tasks to build on a strength answer strengths only.
    #[error("tasks to build on a strength (phát huy ưu điểm) answer strengths, not shortcomings")]
    NotAStrength,
    /// A progress report names a body that does not lead the action.
    #[error("the reporting body is not a lead body (cơ quan chủ trì) of the action")]
    NotALeadBody,
    /// A progress report on an action with several lead bodies names none.
    #[error("the action has several lead bodies (cơ quan chủ trì); name the one reporting")]
    ReportingBodyRequired,
    /// The action is not part of this inspection.
    #[error("the remedial action is not part of this inspection")]
    UnknownAction,
    /// The action is already completed or carried over.
    #[error("the remedial action is already completed or carried over")]
    ActionFinished,
    /// Closing with unfinished actions.
    #[error(
        "{count} remedial actions are neither completed nor carried over; \
         the inspection cannot close yet"
    )]
    ActionsOutstanding { count: u32 },

    // Targets.
    /// A value for a year the target does not cover.
    #[error("the target covers {first_year}–{last_year}, not {year}")]
    YearOutsideTarget { year: i32, first_year: i32, last_year: i32 },
    /// A value of the wrong kind for the indicator.
    #[error("this indicator is measured as {expected}")]
    ValueKindMismatch { expected: &'static str },
    /// A value for a unit of a division type the target does not measure.
    #[error("the target measures {measured} only, not a {division_type:?} (ngoài phạm vi chỉ tiêu)")]
    UnitDivisionOutsideScope { division_type: String, measured: String },
    /// A value for a unit that lay outside the target's scope area.
    #[error(
        "area {unit} is not within the target's scope area {scope} on {on} (ngoài địa bàn áp dụng chỉ tiêu): \
         the target measures the units inside it"
    )]
    UnitOutsideScopeArea { unit: Uuid, scope: String, on: Date },
    /// A value for a unit of another level than the target measures.
    #[error("the target measures units of level {expected}, not {actual}")]
    UnitLevelOutsideScope {
        expected: &'static str,
        actual: &'static str,
    },

    // Records: documents, figures, awards, conferences, offices.
    /// A figure's correction named an entry other than the figure's current one.
    #[error(
        "a correction must name the figure's entry in force on its date, {current} (số liệu \
         đang có hiệu lực); the entry named is unknown or already corrected"
    )]
    CorrectionMustNameCurrentFigure { current: String },
    /// A figure has as many entries as it may.
    #[error(
        "the figure already has {entries_max} entries (the figure and its corrections); \
         report the value as a new figure"
    )]
    FigureEntriesFull { entries_max: usize },
    /// Attendance dated outside the days of the conference.
    #[error(
        "the conference (hội nghị, lớp tập huấn) was held from {first_day} to {last_day}; \
         attendance cannot be dated {effective}"
    )]
    OutsideConferenceDays {
        effective: Date,
        first_day: Date,
        last_day: Date,
    },
    /// The person is already recorded as attending.
    #[error("person {person_id} is already recorded as attending (đã có trong danh sách tham dự)")]
    AlreadyAttending { person_id: String },
    /// More attendees known than participants counted.
    #[error(
        "{attendees} attendees would be known, more than the {participants} participants \
         counted (số người tham dự)"
    )]
    MoreAttendeesThanParticipants { attendees: u32, participants: u32 },
    /// The office is not one of an area of this level.
    #[error("a {office} is not an office of a {level} (chức danh không thuộc cấp địa bàn này)")]
    OfficeNotAtLevel { office: &'static str, level: &'static str },
    /// A record that ends once (a tenure, a composition policy) already ended.
    #[error("{what} already ended on {ended_on} (đã kết thúc); it ends once")]
    AlreadyEnded { what: &'static str, ended_on: Date },
    /// A record would end on or before the day it began.
    #[error("{what} ends after the day it began, {began_on} (ngày bắt đầu)")]
    EndNotAfterStart { what: &'static str, began_on: Date },
    /// A composition policy named an area that is not a province.
    #[error(
        "a composition policy (cơ cấu) is a province's (tỉnh, thành phố trực thuộc trung ương), \
         not a {level}'s"
    )]
    CompositionNotOfProvince { level: &'static str },
}

impl DomainError {
    /// A malformed-input error for `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> DomainError {
        DomainError::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// True when the command was well formed but breaks a rule (FAILED_PRECONDITION);
    /// false when it was malformed (INVALID_ARGUMENT).
    pub fn is_rule_violation(&self) -> bool {
        !matches!(self, DomainError::Invalid { .. })
    }

    /// The malformed field, for INVALID_ARGUMENT field violations.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DomainError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_malformed_input_from_rule_breaks() {
        let malformed = DomainError::invalid("name", "a name is required");
        assert!(!malformed.is_rule_violation());
        assert_eq!(malformed.field(), Some("name"));
        assert!(DomainError::VettingRequired.is_rule_violation());
        assert_eq!(DomainError::VettingRequired.field(), None);
    }

    #[test]
    fn messages_read_as_sentences_for_a_clerk() {
        let dissolved = DomainError::TeamDissolved {
            ended_on: Date::new(2020, 1, 1).unwrap(),
        };
        assert_eq!(
            dissolved.to_string(),
            "the team is dissolved (tổ đã giải thể hoặc sáp nhập) since 2020-01-01; \
             no one can be appointed to it and it can no longer change"
        );
    }
}
