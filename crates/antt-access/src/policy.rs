//! What each kind of call needs, and which roles have it.
//!
//! Every RPC of the server is of one [`Access`] kind (anttd keeps the table, and a test
//! there checks that every method it serves has one). A role either has a kind or not
//! ([`role_allows`]); a system principal has exactly the calls its grant names
//! ([`Grants`]). Two rules need facts the call carries and are applied where those are
//! known: a clerk's write must fall inside their jurisdiction on the date it takes
//! effect, and raw appends to the streams of domain records are for the migration role
//! alone ([`may_append_to_domain_streams`]).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::limits::{GRANTS_BYTES_MAX, GRANT_CALLS_MAX, SYSTEM_GRANTS_MAX};
use crate::{Principal, Role};

/// The kinds of call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Health checks: no credentials needed.
    Public,
    /// Server reflection and the log's public key: any authenticated principal.
    Discovery,
    /// A domain command: records a fact about a record in an area.
    Command,
    /// A domain view (the state of one record as of a date), possibly with personal data.
    View,
    /// Erasing a person's personal data.
    Erasure,
    /// Queries of the projections.
    Projection,
    /// Rebuilding the projections.
    ProjectionAdmin,
    /// Bulk exports for analytics.
    Export,
    /// Reading and following the raw event stream.
    StreamRead,
    /// Appending raw events (never to a domain record's stream, but for migration).
    RawAppend,
    /// Reading checkpoints, proofs and proven events.
    Audit,
    /// Asking for a new signed checkpoint now.
    Checkpoint,
}

/// Whether `role` may make calls of kind `access`. System principals have no kind by
/// role: only by grant.
pub fn role_allows(role: Role, access: Access) -> bool {
    use Access::*;
    use Role::*;
    match access {
        Public | Discovery => true,
        _ if role == Development => true,
        Command => role == Clerk,
        View => matches!(role, Clerk | Inspector | Administrator),
        Erasure | ProjectionAdmin => role == Administrator,
        Projection => matches!(role, Clerk | Inspector | Analyst | Administrator),
        Export => matches!(role, Inspector | Analyst | Administrator),
        StreamRead => matches!(role, Inspector | Analyst | Administrator | Migration),
        RawAppend => role == Migration,
        Audit | Checkpoint => matches!(role, Inspector | Administrator),
    }
}

/// Whether `principal` may append raw events to the stream of a domain record, or events
/// of a domain type to any stream: those are written through domain commands, which
/// judge them, by everyone but the migration role — development mode included.
pub fn may_append_to_domain_streams(principal: &Principal) -> bool {
    principal.role == Role::Migration
}

/// A call a principal may not make; the text says which and why, for the client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denial(pub String);

/// A gRPC call as the rules see it: `service` is the full service name
/// (`antt.v1.Forces`), `method` the method (`AppointMember`).
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub service: &'a str,
    pub method: &'a str,
    pub access: Access,
}

/// The calls each system principal (by subject) may make, from the grants file:
/// `{"systems": [{"subject": "…", "calls": ["antt.v1.Areas/*", "antt.v1.Incidents/GetIncident"]}]}`.
#[derive(Clone, Debug, Default)]
pub struct Grants {
    calls_by_subject: BTreeMap<String, Vec<CallPattern>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct CallPattern {
    service: String,
    /// `None`: every method of the service.
    method: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantsFile {
    systems: Vec<SystemGrant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SystemGrant {
    subject: String,
    calls: Vec<String>,
}

/// Why a grants file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GrantsError {
    #[error("the grants file is larger than {GRANTS_BYTES_MAX} bytes")]
    TooLarge,
    #[error("the grants file is not valid: {0}")]
    Malformed(#[source] serde_json::Error),
    #[error("the grants file names more than {SYSTEM_GRANTS_MAX} systems, or a system with more than {GRANT_CALLS_MAX} calls")]
    TooMany,
    #[error("the grants file names system {0:?} twice")]
    Duplicate(String),
    #[error("grant of {subject:?}: {call:?} is not `package.Service/Method` or `package.Service/*`")]
    BadCall { subject: String, call: String },
}

impl Grants {
    /// Reads a grants file.
    pub fn from_json(bytes: &[u8]) -> Result<Grants, GrantsError> {
        if bytes.len() > GRANTS_BYTES_MAX {
            return Err(GrantsError::TooLarge);
        }
        let file: GrantsFile = serde_json::from_slice(bytes).map_err(GrantsError::Malformed)?;
        if file.systems.len() > SYSTEM_GRANTS_MAX {
            return Err(GrantsError::TooMany);
        }
        let mut calls_by_subject = BTreeMap::new();
        for system in file.systems {
            if system.calls.len() > GRANT_CALLS_MAX {
                return Err(GrantsError::TooMany);
            }
            let patterns = system
                .calls
                .iter()
                .map(|call| {
                    CallPattern::parse(call).ok_or_else(|| GrantsError::BadCall {
                        subject: system.subject.clone(),
                        call: call.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if calls_by_subject.insert(system.subject.clone(), patterns).is_some() {
                return Err(GrantsError::Duplicate(system.subject));
            }
        }
        Ok(Grants { calls_by_subject })
    }

    /// Whether the system principal `subject` was granted `call`.
    pub fn grants(&self, subject: &str, call: &Call<'_>) -> bool {
        self.calls_by_subject
            .get(subject)
            .is_some_and(|patterns| patterns.iter().any(|pattern| pattern.matches(call)))
    }
}

impl CallPattern {
    fn parse(text: &str) -> Option<CallPattern> {
        let (service, method) = text.split_once('/')?;
        let well_formed =
            |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
        if !well_formed(service) || !service.contains('.') {
            return None;
        }
        let method = match method {
            "*" => None,
            method if well_formed(method) && !method.contains('.') => Some(method.to_string()),
            _ => return None,
        };
        Some(CallPattern {
            service: service.to_string(),
            method,
        })
    }

    fn matches(&self, call: &Call<'_>) -> bool {
        self.service == call.service && self.method.as_deref().is_none_or(|method| method == call.method)
    }
}

/// Whether `principal` may make `call`: by role, or for a system principal by grant.
/// A clerk's jurisdiction is checked later, against the record and date of the write.
pub fn authorize(principal: &Principal, call: &Call<'_>, grants: &Grants) -> Result<(), Denial> {
    let allowed = match principal.role {
        Role::System => {
            matches!(call.access, Access::Public | Access::Discovery) || grants.grants(&principal.subject, call)
        }
        role => role_allows(role, call.access),
    };
    if allowed {
        Ok(())
    } else {
        Err(Denial(format!(
            "vai trò {role} không được phép gọi {service}/{method} (the {role} role may not call it)",
            role = principal.role,
            service = call.service,
            method = call.method,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal {
            subject: "s".into(),
            issuer: "i".into(),
            role,
            jurisdiction: None,
        }
    }

    fn call(access: Access) -> Call<'static> {
        Call {
            service: "antt.v1.Forces",
            method: "AppointMember",
            access,
        }
    }

    #[test]
    fn inspectors_never_write_and_analysts_never_see_views() {
        for access in [
            Access::Command,
            Access::RawAppend,
            Access::Erasure,
            Access::ProjectionAdmin,
        ] {
            assert!(!role_allows(Role::Inspector, access), "{access:?}");
        }
        assert!(role_allows(Role::Inspector, Access::Audit));
        assert!(!role_allows(Role::Analyst, Access::View));
        assert!(role_allows(Role::Analyst, Access::StreamRead));
        assert!(!role_allows(Role::Clerk, Access::StreamRead));
        assert!(!role_allows(Role::Administrator, Access::Command));
    }

    #[test]
    fn only_migration_appends_to_domain_streams() {
        for (_, role) in Role::CLAIMED {
            assert_eq!(may_append_to_domain_streams(&principal(role)), role == Role::Migration);
        }
        assert!(!may_append_to_domain_streams(&Principal::development()));
    }

    #[test]
    fn a_system_principal_has_exactly_its_grant() {
        let grants = Grants::from_json(
            br#"{"systems": [{"subject": "s", "calls": ["antt.v1.Forces/AppointMember", "antt.v1.Areas/*"]}]}"#,
        )
        .unwrap();
        let system = principal(Role::System);
        assert!(authorize(&system, &call(Access::Command), &grants).is_ok());
        let areas = Call {
            service: "antt.v1.Areas",
            method: "RegisterArea",
            access: Access::Command,
        };
        assert!(authorize(&system, &areas, &grants).is_ok());
        let other = Call {
            method: "MemberLeaves",
            ..call(Access::Command)
        };
        let denial = authorize(&system, &other, &grants).unwrap_err();
        assert!(denial.0.contains("antt.v1.Forces/MemberLeaves"), "{denial}");
        let stranger = Principal {
            subject: "t".into(),
            ..system
        };
        assert!(authorize(&stranger, &call(Access::Command), &grants).is_err());
        assert!(authorize(&stranger, &call(Access::Discovery), &grants).is_ok());
    }

    #[test]
    fn malformed_grants_are_refused_with_the_culprit() {
        for bad in [
            r#"{"systems": [{"subject": "s", "calls": ["Forces/AppointMember"]}]}"#,
            r#"{"systems": [{"subject": "s", "calls": ["antt.v1.Forces/"]}]}"#,
            r#"{"systems": [{"subject": "s", "calls": ["antt.v1.Forces/A/B"]}]}"#,
            r#"{"systems": [{"subject": "s", "calls": []}, {"subject": "s", "calls": []}]}"#,
            r#"{"systems": [{"subject": "s", "call": []}]}"#,
        ] {
            assert!(Grants::from_json(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
