//! A record of a kind that has rows, with its timeline: what the engine keeps per stream.

use antt_domain::area::Area;
use antt_domain::arrest::Arrest;
use antt_domain::award::Award;
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

use crate::derive::{derive, ValidRow};

/// An event of another kind than its stream's first event: the log contradicts itself.
#[derive(Debug, thiserror::Error)]
#[error("an event of another kind of record than its stream's first event")]
pub struct KindMismatch;

/// Declares [`Record`] over the kinds of record that have rows, each variant named as
/// its [`AnyEvent`] variant and holding that aggregate's timeline.
macro_rules! records {
    ($($kind:ident),* $(,)?) => {
        /// The timeline of one record whose state stands for rows.
        pub enum Record {
            $($kind(Timeline<$kind>),)*
        }

        impl Record {
            /// An empty record of the kind of `event`; `None` for kinds no projection reads.
            pub fn for_event(event: &AnyEvent) -> Option<Record> {
                match event {
                    $(AnyEvent::$kind(_) => Some(Record::$kind(Timeline::new())),)*
                    _ => None,
                }
            }

            pub fn push(&mut self, position: u64, event: AnyEvent) -> Result<(), KindMismatch> {
                match (self, event) {
                    $((Record::$kind(timeline), AnyEvent::$kind(event)) => timeline.push(position, event),)*
                    _ => return Err(KindMismatch),
                }
                Ok(())
            }

            /// Every row of the record over the days it holds.
            pub fn derive(&self) -> Vec<ValidRow> {
                match self {
                    $(Record::$kind(timeline) => derive(timeline),)*
                }
            }

            pub fn len(&self) -> usize {
                match self {
                    $(Record::$kind(timeline) => timeline.entries().len(),)*
                }
            }
        }
    };
}

records!(Area, Team, Incident, Rating, Arrest, Tip, Document, Conference, Award, Figure, Office, Inspection, Target);

impl Record {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
