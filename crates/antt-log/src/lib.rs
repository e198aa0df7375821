//! An append-only, hash-chained event log, EventStore-style, with a durable sled backend.
//!
//! # Layout
//! - [`event`]: the values in and out: [`NewEvent`], [`RecordedEvent`], requests, pages.
//! - [`audit`]: the [`VerifiableLog`] trait: Merkle tree head, proofs, stored checkpoints.
//! - [`codec`]: the canonical byte encoding and the SHA-256 hash chain (the audit contract).
//! - [`validate`]: what an append must satisfy, the same for every backend.
//! - [`log`]: the [`EventLog`] trait every backend implements.
//! - [`subscription`]: catch-up-then-live subscriptions over any [`EventLog`].
//! - [`sled_log`]: the sled backend: group-commit writer, in-memory indexes, open checks, `verify`.
//! - [`conformance`]: the behaviour every backend must show, as a reusable async test suite.
//! - [`limits`]: every bound, as named constants.
//! - [`error`]: one error enum per operation family.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod audit;
pub mod codec;
pub mod conformance;
pub mod error;
pub mod event;
#[cfg(feature = "fault-injection")]
pub mod fault;
pub mod limits;
pub mod log;
pub mod sled_log;
pub mod subscription;
pub mod validate;

pub use audit::VerifiableLog;
pub use error::{AppendError, Damage, Halt, OpenError, ReadError, StorageError, Violation};
pub use event::{
    AppendOutcome, AppendRequest, Direction, EventFilter, ExpectedVersion, ListStreamsRequest, LogHead, NewEvent,
    ReadAllPage, ReadAllRequest, ReadStreamRequest, RecordedEvent, StreamInfo, Timestamp, TreeHead,
};
pub use log::EventLog;
pub use subscription::{subscribe, SubscriptionItem};
