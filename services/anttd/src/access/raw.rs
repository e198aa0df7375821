//! Raw appends (`EventStore.Append`) never write a domain record: those are written by
//! domain commands, which judge them against the record's rules. A raw event to the
//! stream of a domain record, or of a domain event type to any stream, would bypass
//! every rule and could stop the projections; it is refused to everyone but the
//! migration role. The streams the server keeps about access are refused to everyone.

use antt_access::policy::may_append_to_domain_streams;
use antt_access::Principal;
use antt_domain::AnyEvent;
use tonic::Status;
use uuid::Uuid;

use super::reads::{ACCESS_STREAM_PREFIX, PERSONAL_DATA_READ_EVENT};
use crate::status::REASON_ACCESS_DENIED;

/// The kinds of domain record, each the prefix of its streams (`team-<uuid>`).
pub const DOMAIN_STREAM_KINDS: [&str; 15] = [
    "area",
    "team",
    "person",
    "incident",
    "tip",
    "arrest",
    "rating",
    "inspection",
    "target",
    "document",
    "figure",
    "award",
    "conference",
    "office",
    "composition",
];

/// Whether `stream_id` is a domain record's stream: `<kind>-<uuid>`, possibly followed
/// by more (a rating's `rating-<uuid>-<year>`).
pub fn is_domain_stream(stream_id: &str) -> bool {
    DOMAIN_STREAM_KINDS.iter().any(|kind| {
        stream_id
            .strip_prefix(kind)
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|rest| rest.get(..36))
            .is_some_and(|id| Uuid::parse_str(id).is_ok())
    })
}

/// Whether `event_type` is written by the server only: a domain event, or an access record.
pub fn is_server_event_type(event_type: &str) -> bool {
    event_type == PERSONAL_DATA_READ_EVENT || AnyEvent::event_types().any(|known| known == event_type)
}

/// Refuses a raw append of `event_types` to `stream_id` that `principal` may not make.
pub fn ensure_raw_append<'a>(
    principal: &Principal,
    stream_id: &str,
    mut event_types: impl Iterator<Item = &'a str>,
) -> Result<(), Status> {
    if stream_id.starts_with(ACCESS_STREAM_PREFIX) {
        return Err(super::denied(
            principal,
            REASON_ACCESS_DENIED,
            format!("stream {stream_id:?} is kept by the server itself; nobody appends to it"),
        ));
    }
    if may_append_to_domain_streams(principal) {
        return Ok(());
    }
    if is_domain_stream(stream_id) {
        return Err(super::denied(
            principal,
            REASON_ACCESS_DENIED,
            format!(
                "stream {stream_id:?} is a domain record's: it is written through the domain commands \
                 (antt.v1.Areas, Forces, …), which check its rules; raw appends to it are for the migration role"
            ),
        ));
    }
    if let Some(event_type) = event_types.find(|event_type| is_server_event_type(event_type)) {
        return Err(super::denied(
            principal,
            REASON_ACCESS_DENIED,
            format!(
                "{event_type} is a domain event type: it is recorded through the domain commands; \
                 raw appends of it are for the migration role"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use antt_access::Role;

    #[test]
    fn the_streams_the_services_write_are_domain_streams() {
        let id = Uuid::from_u128(7);
        assert!(is_domain_stream(&crate::areas::stream_id(id)));
        assert!(is_domain_stream(&crate::forces::team_stream(id)));
        assert!(is_domain_stream(&crate::persons::person_stream(id)));
        for kind in DOMAIN_STREAM_KINDS {
            assert!(is_domain_stream(&crate::request::stream_id(kind, id)), "{kind}");
        }
        assert!(is_domain_stream(&format!("rating-{id}-2018")));
        assert!(!is_domain_stream("area-38"));
        assert!(!is_domain_stream("notes-of-the-day"));
        assert!(!is_domain_stream(&format!("teams-{id}")));
    }

    #[test]
    fn only_migration_writes_domain_streams_and_nobody_the_access_streams() {
        let id = Uuid::from_u128(7);
        let clerk = Principal {
            role: Role::Administrator,
            ..Principal::development()
        };
        let migration = Principal {
            role: Role::Migration,
            ..Principal::development()
        };
        let team = crate::forces::team_stream(id);
        assert!(ensure_raw_append(&clerk, &team, ["antt.v1.Note"].into_iter()).is_err());
        assert!(ensure_raw_append(&Principal::development(), &team, ["antt.v1.Note"].into_iter()).is_err());
        assert!(ensure_raw_append(&migration, &team, ["antt.v1.Note"].into_iter()).is_ok());
        assert!(ensure_raw_append(&clerk, "notes", ["antt.v1.Note"].into_iter()).is_ok());
        assert!(ensure_raw_append(&clerk, "notes", ["antt.v1.Note", "antt.v1.AreaRegistered"].into_iter()).is_err());
        assert!(ensure_raw_append(
            &migration,
            super::super::reads::PERSONAL_DATA_READS_STREAM,
            std::iter::empty()
        )
        .is_err());
    }
}
