//! Deterministic ids, so that running the demo twice sends the very same requests and the
//! server answers every one of them as a retry (`deduplicated`) instead of recording it
//! again.
//!
//! - A record id (area, person, team, incident, conference, …) is the UUID v5 of
//!   [`NAMESPACE`] and a stable name such as `person:committee:3:5:0`: the name says what
//!   the record stands for in the synthetic history, never when the demo ran.
//! - A request id is the UUID v5 of the record id and the step's name (`register`,
//!   `appoint`, `leave:2013`, …), so each step on a record has exactly one request id.
//! - Areas from the official lists keep the importer's ids
//!   ([`crate::import::identity::area_id`]): the demo builds on them, it does not copy them.

use uuid::Uuid;

/// The namespace of every record the Nga Sơn demo creates. Never change it: a re-run would
/// record the whole history a second time under new ids.
pub const NAMESPACE: Uuid = uuid::uuid!("6e6a7a53-2d64-4a0e-9b1f-0d9a7c0e4001");

/// The id of the record named `name`.
pub fn record_id(name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// The request id of `step` on the record `record_id`.
pub fn request_id(record_id: Uuid, step: &str) -> Uuid {
    Uuid::new_v5(&record_id, step.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let team = record_id("team:committee:0");
        assert_eq!(team, record_id("team:committee:0"));
        assert_ne!(team, record_id("team:committee:1"));
        assert_ne!(request_id(team, "establish"), request_id(team, "appoint"));
        assert_eq!(team.get_version_num(), 5);
        // Pinned: these ids are in the log of every server the demo ran against.
        assert_eq!(team, uuid::uuid!("f876c4ad-f660-5c10-b8f1-a7e2e1cdadf8"));
    }
}
