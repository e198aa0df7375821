//! A record of a kind that has rows, with its timeline: what the engine keeps per stream.

use antt_domain::area::Area;
use antt_domain::incident::Incident;
use antt_domain::rating::Rating;
use antt_domain::team::Team;
use antt_domain::{AnyEvent, Timeline};

use crate::derive::{derive, ValidRow};

/// The timeline of one record whose state stands for rows.
pub enum Record {
    Area(Timeline<Area>),
    Team(Timeline<Team>),
    Incident(Timeline<Incident>),
    Rating(Timeline<Rating>),
}

/// An event of another kind than its stream's first event: the log contradicts itself.
#[derive(Debug, thiserror::Error)]
#[error("an event of another kind of record than its stream's first event")]
pub struct KindMismatch;

impl Record {
    /// An empty record of the kind of `event`; `None` for kinds no projection reads.
    pub fn for_event(event: &AnyEvent) -> Option<Record> {
        match event {
            AnyEvent::Area(_) => Some(Record::Area(Timeline::new())),
            AnyEvent::Team(_) => Some(Record::Team(Timeline::new())),
            AnyEvent::Incident(_) => Some(Record::Incident(Timeline::new())),
            AnyEvent::Rating(_) => Some(Record::Rating(Timeline::new())),
            _ => None,
        }
    }

    pub fn push(&mut self, position: u64, event: AnyEvent) -> Result<(), KindMismatch> {
        match (self, event) {
            (Record::Area(timeline), AnyEvent::Area(event)) => timeline.push(position, event),
            (Record::Team(timeline), AnyEvent::Team(event)) => timeline.push(position, event),
            (Record::Incident(timeline), AnyEvent::Incident(event)) => timeline.push(position, event),
            (Record::Rating(timeline), AnyEvent::Rating(event)) => timeline.push(position, event),
            _ => return Err(KindMismatch),
        }
        Ok(())
    }

    /// Every row of the record over the days it holds.
    pub fn derive(&self) -> Vec<ValidRow> {
        match self {
            Record::Area(timeline) => derive(timeline),
            Record::Team(timeline) => derive(timeline),
            Record::Incident(timeline) => derive(timeline),
            Record::Rating(timeline) => derive(timeline),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Record::Area(timeline) => timeline.entries().len(),
            Record::Team(timeline) => timeline.entries().len(),
            Record::Incident(timeline) => timeline.entries().len(),
            Record::Rating(timeline) => timeline.entries().len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
