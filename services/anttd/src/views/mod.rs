//! Read models: what each Get RPC shows of a record, one module per kind of record.
//!
//! A view is laid out from the record's events or state here; the service files read the
//! request, load the record and call these. Views do no I/O: what a view needs from
//! elsewhere (a person's name, the opened personal data) is handed in.

pub(crate) mod area;
pub(crate) mod arrest;
pub(crate) mod incident;
pub(crate) mod inspection;
pub(crate) mod person;
pub(crate) mod rating;
pub(crate) mod target;
pub(crate) mod team;
pub(crate) mod tip;
