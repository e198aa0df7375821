//! What each kind of record's state stands for, as rows ([`crate::derive::Rows`]).
//!
//! Rows are the protobuf messages the Projections service answers with
//! (`proto/antt/v1/projections.proto`), encoded as they are served. Only ids are stored:
//! a member's personal data stays sealed in their own record and is never copied here.

mod activity;
mod area;
mod composition;
mod figure;
mod incident;
mod inspection;
mod office;
mod rating;
mod target;

pub use inspection::{action_record, actions_prefix};
pub use rating::rating_key;
pub use target::target_prefix;
mod team;

use prost::Message;

use crate::derive::Row;

fn row(key: Vec<u8>, value: &impl Message) -> Row {
    Row {
        key,
        value: value.encode_to_vec(),
    }
}
