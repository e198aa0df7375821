//! Directive documents (văn bản chỉ đạo): one stream per document, holding one event.
//!
//! Resolutions, plans, official letters, directives and decisions issued by a body of an
//! area (or a central body). Target 1 of seed 004 counts them ("100 % of communes: the
//! Party committee issues a resolution and the People's Committee a plan on security and
//! order"), so the kind of document, the kind and level of the issuing body, the topic
//! and the years it is for are fields of their own, not words in the subject.
//!
//! Rules: a document is recorded once; it is not dated after the day it is recorded, nor
//! before its issuing body's area existed or on or after the day it ended.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::body::{self, Body, BodyFields};
use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, Context};
use crate::text;

/// The document aggregate.
pub struct Document;

crate::aggregate!(Document);

/// What can be asked of a document's record.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Issue(Issue),
}

/// Records a document issued on `effective_date`, the date printed on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub document_id: Uuid,
    pub kind: pb::DocumentKind,
    pub kind_name: String,
    /// e.g. "01-NQ/ĐU".
    pub number: String,
    pub subject: String,
    pub issued_by: Body,
    pub topic: pb::DocumentTopic,
    pub years: Option<YearRange>,
    pub effective_date: Date,
}

/// The years a document is for, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YearRange {
    pub first: i32,
    pub last: i32,
}

impl YearRange {
    fn to_proto(self) -> Result<pb::YearRange, DomainError> {
        let first_year = facts::year("years.first_year", self.first)?;
        let last_year = facts::year("years.last_year", self.last)?;
        if last_year < first_year {
            return Err(DomainError::invalid("years.last_year", "must not be before first_year"));
        }
        Ok(pb::YearRange { first_year, last_year })
    }
}

domain_events! {
    upcast = no_upcasters;
    /// What a document's record holds.
    pub enum Event {
        Issued(pb::DocumentIssued) = "antt.v1.DocumentIssued" @ 1,
    }
}

/// A document's record as its event describes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub issued_on: Option<Date>,
    /// The document as recorded; None until issued.
    pub document: Option<pb::DocumentIssued>,
}

const ISSUED_BY: BodyFields = BodyFields {
    kind: "issued_by.kind",
    name: "issued_by.name",
    area: "the issuing body's area",
};

fn command_effective_date(command: &Command) -> Date {
    let Command::Issue(issue) = command;
    issue.effective_date
}

/// Checks `command` against the record: read into its event, then judged by [`check`].
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    let Command::Issue(issue) = command;
    facts::ensure_not_after_recording(issue.effective_date, ctx)?;
    let event = Event::Issued(pb::DocumentIssued {
        document_id: issue.document_id.to_string(),
        kind: facts::specified("kind", issue.kind)?.into(),
        kind_name: body::kind_name("kind_name", issue.kind, pb::DocumentKind::Other, &issue.kind_name)?,
        number: text::required_name("number", &issue.number)?,
        subject: text::required_text("subject", &issue.subject)?,
        issued_by: Some(issue.issued_by.to_proto(ISSUED_BY, issue.effective_date)?),
        topic: facts::specified("topic", issue.topic)?.into(),
        years: issue.years.map(YearRange::to_proto).transpose()?,
        effective_date: Some(issue.effective_date.to_proto()),
    });
    check(state, &event)?;
    Ok(vec![event])
}

/// Whether `event` holds on the record as it stood before it: a document is recorded once.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    let Event::Issued(_) = event;
    facts::ensure_not_recorded("the document", state.issued_on)
}

/// The record after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let Event::Issued(e) = event;
    state.issued_on = Some(Date::from_event(e.effective_date.as_ref()));
    state.document = Some(e.clone());
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, id};
    use crate::AreaFacts;

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Document>(given, when)
    }

    /// Xã Nga Thái, registered 2008-01-01 and, for these tests, merged away on 2024-07-01.
    fn nga_thai() -> AreaFacts {
        AreaFacts {
            ended_on: Some(date(2024, 7, 1)),
            ..area_facts(1, pb::AreaLevel::Commune)
        }
    }

    /// Resolution 01-NQ/ĐU of the Party committee of Nga Thái on security and order in
    /// 2018.
    fn resolution(on: Date) -> Command {
        Command::Issue(Issue {
            document_id: id(7),
            kind: pb::DocumentKind::Resolution,
            kind_name: String::new(),
            number: "01-NQ/ĐU".to_owned(),
            subject: "Nghị quyết về nhiệm vụ công tác bảo đảm an ninh, trật tự năm 2018".to_owned(),
            issued_by: Body {
                kind: pb::BodyKind::PartyCommittee,
                name: "Đảng ủy xã Nga Thái".to_owned(),
                area: Some(nga_thai()),
            },
            topic: pb::DocumentTopic::SecurityAndOrder,
            years: Some(YearRange {
                first: 2018,
                last: 2018,
            }),
            effective_date: on,
        })
    }

    #[test]
    fn a_document_is_recorded_once_with_its_queryable_fields() {
        let given = check(vec![], resolution(date(2018, 1, 5))).unwrap();
        let state = crate::replay::<Document>(&given);
        let document = state.document.unwrap();
        assert_eq!(document.kind(), pb::DocumentKind::Resolution);
        assert_eq!(document.topic(), pb::DocumentTopic::SecurityAndOrder);
        let issued_by = document.issued_by.unwrap();
        assert_eq!(
            (issued_by.kind(), issued_by.area_level()),
            (pb::BodyKind::PartyCommittee, pb::AreaLevel::Commune)
        );
        // Again, or for another date: the same record.
        for on in [date(2018, 1, 5), date(2017, 12, 1), date(2019, 1, 1)] {
            assert_eq!(
                check(given.clone(), resolution(on)),
                Err(DomainError::AlreadyRecorded { what: "the document" })
            );
        }
    }

    #[test]
    fn a_document_is_issued_while_its_body_s_area_exists() {
        assert!(matches!(
            check(vec![], resolution(date(2007, 12, 31))),
            Err(DomainError::BeforeExistence {
                what: "the issuing body's area",
                ..
            })
        ));
        assert!(matches!(
            check(vec![], resolution(date(2024, 7, 1))),
            Err(DomainError::AfterEnd {
                what: "the issuing body's area",
                ..
            })
        ));
        assert!(check(vec![], resolution(date(2024, 6, 30))).is_ok());
    }

    #[test]
    fn a_document_is_not_dated_after_its_recording() {
        assert!(matches!(
            check(vec![], resolution(date(2025, 1, 1))),
            Err(DomainError::EffectiveDateInFuture { .. })
        ));
    }

    #[test]
    fn malformed_fields_are_named() {
        let Command::Issue(mut issue) = resolution(date(2018, 1, 5));
        issue.kind = pb::DocumentKind::Other;
        assert_eq!(
            check(vec![], Command::Issue(issue.clone())).unwrap_err().field(),
            Some("kind_name")
        );
        issue.kind = pb::DocumentKind::Plan;
        issue.years = Some(YearRange {
            first: 2021,
            last: 2020,
        });
        assert_eq!(
            check(vec![], Command::Issue(issue.clone())).unwrap_err().field(),
            Some("years.last_year")
        );
        issue.years = None;
        issue.issued_by.name = String::new();
        assert_eq!(
            check(vec![], Command::Issue(issue)).unwrap_err().field(),
            Some("issued_by.name")
        );
    }
}
