//! Bitemporal projections: rosters and statistics for any day, as the records stood at
//! any moment, read from indexes kept beside the log and never by replaying it.
//!
//! - [`derive`]: a record's timeline → rows with the days they hold ([`rows`] says what
//!   each kind of record's state stands for).
//! - [`bitemporal`]: those rows kept in system time too, and read as of a day and a moment.
//! - [`engine`]: applies the log (catch-up, then live), atomically with its position.
//! - [`query`]: the questions inspectors and analysts ask, over a [`bitemporal::Snapshot`].
//! - [`store`]: the ordered key space underneath (sled, or memory for tests).
//! - [`generations`] and [`rebuild`]: stores built beside the serving one, switched to
//!   when caught up.
//!
//! *Invariant:* a row's valid interval is a pure function of its record's timeline, so
//! the answer for a moment depends only on the events recorded before it, never on the
//! order they were applied in or on a rebuild.

// Tests may unwrap: a panic there is a failed test, with its message.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bitemporal;
pub mod derive;
pub mod engine;
pub mod generations;
pub mod key;
pub mod limits;
pub mod query;
pub mod rebuild;
pub mod record;
pub mod rows;
pub mod store;

pub use engine::{Engine, EngineError, Progress};
