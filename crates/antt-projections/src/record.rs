//! A record of a kind that has rows, with its timeline: what the engine keeps per stream.

use antt_domain::area::Area;
use antt_domain::arrest::Arrest;
use antt_domain::award::Award;
use antt_domain::composition::Composition;
use antt_domain::conference::Conference;
use antt_domain::document::Document;
use antt_domain::figure::Figure;
use antt_domain::incident::Incident;
use antt_domain::inspection::Inspection;
use antt_domain::office::Office;
use antt_domain::rating::Rating;
use antt_domain::target::Target;
use antt_domain::team::Team;
use antt_domain::tip::Tip;
use antt_domain::{AnyEvent, Timeline};

use crate::derive::{derive, diff, Derivation, Rows, ValidRow};

/// A record's timeline and the walk of its rows, kept up to date as events come.
pub struct Kept<A: Rows> {
    timeline: Timeline<A>,
    /// `None` until the rows are first asked for.
    derivation: Option<Derivation<A>>,
}

impl<A: Rows> Kept<A> {
    fn new() -> Self {
        Kept {
            timeline: Timeline::new(),
            derivation: None,
        }
    }

    pub fn timeline(&self) -> &Timeline<A> {
        &self.timeline
    }

    /// Adds an event; the walk follows when the event takes effect after every other
    /// (one more day, or the last day again) and is dropped otherwise.
    fn push(&mut self, position: u64, event: A::Event) {
        self.timeline.push(position, event);
        let Some(derivation) = &mut self.derivation else {
            return;
        };
        match self.timeline.entries().last() {
            Some(last) if last.position == position && derivation.extends_to(last.effective) => {
                derivation.extend(last);
            }
            _ => self.derivation = None,
        }
    }

    /// Adds an event; the rows that went and came, as [`diff`] of the rows before and
    /// after. An event that takes effect after every other costs one day of the walk;
    /// one dated before (backdated) the whole walk again.
    fn push_and_diff(&mut self, position: u64, event: A::Event) -> (Vec<ValidRow>, Vec<ValidRow>) {
        let timeline = &self.timeline;
        self.derivation
            .get_or_insert_with(|| Derivation::of(timeline.entries()));
        self.timeline.push(position, event);
        let (Some(derivation), Some(last)) = (&mut self.derivation, self.timeline.entries().last()) else {
            return (Vec::new(), Vec::new());
        };
        if last.position == position && derivation.extends_to(last.effective) {
            return derivation.extend(last);
        }
        let before = derivation.rows();
        let walked = Derivation::of(self.timeline.entries());
        let changed = diff(&before, &walked.rows());
        self.derivation = Some(walked);
        changed
    }

    fn rows(&mut self) -> Vec<ValidRow> {
        let timeline = &self.timeline;
        self.derivation
            .get_or_insert_with(|| Derivation::of(timeline.entries()))
            .rows()
    }
}

/// An event of another kind than its stream's first event: the log contradicts itself.
#[derive(Debug, thiserror::Error)]
#[error("an event of another kind of record than its stream's first event")]
pub struct KindMismatch;

/// Declares [`Record`] over the kinds of record that have rows, each variant named as
/// its [`AnyEvent`] variant and holding that aggregate's kept timeline.
macro_rules! records {
    ($($kind:ident),* $(,)?) => {
        /// The timeline of one record whose state stands for rows.
        pub enum Record {
            $($kind(Kept<$kind>),)*
        }

        impl Record {
            /// An empty record of the kind of `event`; `None` for kinds no projection reads.
            pub fn for_event(event: &AnyEvent) -> Option<Record> {
                match event {
                    $(AnyEvent::$kind(_) => Some(Record::$kind(Kept::new())),)*
                    _ => None,
                }
            }

            pub fn push(&mut self, position: u64, event: AnyEvent) -> Result<(), KindMismatch> {
                match (self, event) {
                    $((Record::$kind(kept), AnyEvent::$kind(event)) => kept.push(position, event),)*
                    _ => return Err(KindMismatch),
                }
                Ok(())
            }

            /// Adds an event and names the rows it withdrew and the rows it made, each in
            /// order: what [`diff`] of [`Record::derive`] before and after would say, without
            /// walking the whole timeline again when the event takes effect after every other.
            pub fn push_and_diff(
                &mut self,
                position: u64,
                event: AnyEvent,
            ) -> Result<(Vec<ValidRow>, Vec<ValidRow>), KindMismatch> {
                Ok(match (self, event) {
                    $((Record::$kind(kept), AnyEvent::$kind(event)) => kept.push_and_diff(position, event),)*
                    _ => return Err(KindMismatch),
                })
            }

            /// Every row of the record over the days it holds, from the walk kept with it.
            pub fn rows(&mut self) -> Vec<ValidRow> {
                match self {
                    $(Record::$kind(kept) => kept.rows(),)*
                }
            }

            /// Every row of the record over the days it holds, walked from scratch.
            pub fn derive(&self) -> Vec<ValidRow> {
                match self {
                    $(Record::$kind(kept) => derive(&kept.timeline),)*
                }
            }

            pub fn len(&self) -> usize {
                match self {
                    $(Record::$kind(kept) => kept.timeline.entries().len(),)*
                }
            }
        }
    };
}

records!(
    Area,
    Team,
    Incident,
    Rating,
    Arrest,
    Tip,
    Document,
    Conference,
    Award,
    Figure,
    Office,
    Inspection,
    Target,
    Composition,
);

impl Record {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use antt_domain::{area, team, Date};
    use antt_proto::v1 as pb;
    use proptest::prelude::*;

    use super::*;

    fn day(n: u32) -> Option<pb::Date> {
        Some(pb::Date {
            year: 2024,
            month: 7,
            day: 1 + n,
        })
    }

    fn person(n: u8) -> String {
        format!("00000000-0000-4000-8000-00000000000{n}")
    }

    /// Team events of a few persons over a few days: whatever they mean, evolve takes them.
    fn team_event() -> impl Strategy<Value = AnyEvent> {
        let person = (0u8..4).prop_map(person);
        let on = (0u32..8).prop_map(day);
        prop_oneof![
            (on.clone(), proptest::option::of(1u32..4)).prop_map(|(effective_date, quota)| {
                team::Event::Established(pb::TeamEstablished {
                    team_id: "t".into(),
                    area_id: "a".into(),
                    name: "Tổ 1".into(),
                    force_type: pb::ForceType::SecurityProtectionTeam.into(),
                    quota,
                    effective_date,
                    ..Default::default()
                })
            }),
            (person.clone(), on.clone()).prop_map(|(person_id, effective_date)| {
                team::Event::MemberNominated(pb::MemberNominated {
                    team_id: "t".into(),
                    person_id,
                    effective_date,
                    ..Default::default()
                })
            }),
            (person.clone(), 1i32..4, on.clone()).prop_map(|(person_id, role, effective_date)| {
                team::Event::MemberAppointed(pb::MemberAppointed {
                    team_id: "t".into(),
                    person_id,
                    role,
                    effective_date,
                    ..Default::default()
                })
            }),
            (person.clone(), 1i32..4, on.clone()).prop_map(|(person_id, new_role, effective_date)| {
                team::Event::MemberRoleChanged(pb::MemberRoleChanged {
                    team_id: "t".into(),
                    person_id,
                    new_role,
                    effective_date,
                    ..Default::default()
                })
            }),
            (person, 0i32..3, on.clone()).prop_map(|(person_id, reason, effective_date)| {
                team::Event::MemberLeft(pb::MemberLeft {
                    team_id: "t".into(),
                    person_id,
                    reason,
                    effective_date,
                    ..Default::default()
                })
            }),
            (proptest::option::of(1u32..4), on.clone()).prop_map(|(new_quota, effective_date)| {
                team::Event::QuotaChanged(pb::TeamQuotaChanged {
                    team_id: "t".into(),
                    new_quota,
                    effective_date,
                    ..Default::default()
                })
            }),
            on.prop_map(|effective_date| {
                team::Event::Dissolved(pb::TeamDissolved {
                    team_id: "t".into(),
                    effective_date,
                    ..Default::default()
                })
            }),
        ]
        .prop_map(AnyEvent::Team)
    }

    fn area_event() -> impl Strategy<Value = AnyEvent> {
        let on = (0u32..8).prop_map(day);
        prop_oneof![
            (on.clone(), 0u8..3).prop_map(|(effective_date, n)| {
                area::Event::Registered(pb::AreaRegistered {
                    area_id: "a".into(),
                    parent_area_id: format!("p{n}"),
                    official_code: format!("{}", 100 + n),
                    name: format!("Xã {n}"),
                    level: pb::AreaLevel::Commune.into(),
                    effective_date,
                    ..Default::default()
                })
            }),
            (on, 0u8..3).prop_map(|(effective_date, n)| {
                area::Event::Renamed(pb::AreaRenamed {
                    area_id: "a".into(),
                    new_name: format!("Phường {n}"),
                    effective_date,
                    ..Default::default()
                })
            }),
        ]
        .prop_map(AnyEvent::Area)
    }

    /// Pushes `events` in log order; after each, the walk kept with the record must say
    /// what a walk from scratch says, and the rows it names as gone and new must be the
    /// difference of the walks from scratch before and after.
    fn check_against_full_walks(events: Vec<AnyEvent>) -> Result<(), TestCaseError> {
        let Some(first) = events.first() else {
            return Ok(());
        };
        let mut record = Record::for_event(first).unwrap();
        let mut before = record.derive();
        for (position, event) in (0u64..).zip(events) {
            let changed = record.push_and_diff(position, event).unwrap();
            let after = record.derive();
            prop_assert_eq!(
                &changed,
                &diff(&before, &after),
                "changes named at position {}",
                position
            );
            prop_assert_eq!(&record.rows(), &after, "rows kept at position {}", position);
            before = after;
        }
        Ok(())
    }

    proptest! {
        /// Goal: the incremental walk (an event on or after the last day walked) and the
        /// walk from scratch agree, on the rows and on what changed. Method: arbitrary
        /// team histories over eight days, recorded in any date order (so the same-day,
        /// new-day and backdated paths all run); then the same events in date order (every
        /// event but the first takes the incremental path).
        #[test]
        fn incremental_and_full_derivations_agree_on_teams(events in proptest::collection::vec(team_event(), 1..40)) {
            check_against_full_walks(events.clone())?;
            let mut in_date_order = events;
            in_date_order.sort_by_key(|event| match event {
                AnyEvent::Team(event) => antt_domain::DomainEvent::effective_date(event),
                _ => Date::MIN,
            });
            check_against_full_walks(in_date_order)?;
        }

        #[test]
        fn incremental_and_full_derivations_agree_on_areas(events in proptest::collection::vec(area_event(), 1..20)) {
            check_against_full_walks(events)?;
        }
    }

    /// Goal: backdating, then going on in date order, switches between the two paths and
    /// stays right. Method: a fixed history with each kind of step.
    #[test]
    fn a_backdated_event_then_later_ones() {
        let established = team::Event::Established(pb::TeamEstablished {
            team_id: "t".into(),
            area_id: "a".into(),
            name: "Tổ 1".into(),
            force_type: pb::ForceType::SecurityProtectionTeam.into(),
            quota: Some(3),
            effective_date: day(0),
            ..Default::default()
        });
        let appointed = |n: u8, on: u32| {
            team::Event::MemberAppointed(pb::MemberAppointed {
                team_id: "t".into(),
                person_id: person(n),
                role: pb::MemberRole::Member.into(),
                effective_date: day(on),
                ..Default::default()
            })
        };
        let events = [
            established,
            appointed(1, 4),
            appointed(2, 4),
            appointed(3, 2),
            appointed(4, 6),
            appointed(5, 6),
        ];
        let events: Vec<AnyEvent> = events.into_iter().map(AnyEvent::Team).collect();
        check_against_full_walks(events).unwrap();
    }
}
