//! Who may do what in antt-ledger, without I/O: the principal a verified bearer token
//! names ([`token`]), the roles, and the rules that say what each role may reach
//! ([`policy`]). The server (anttd) reads tokens off the wire, asks these rules, and
//! checks jurisdictions against the area tree of the date a write takes effect.
//!
//! # Layout
//! - [`Role`], [`Principal`]: who calls.
//! - [`token`]: JWTs signed with EdDSA, ES256 or RS256, verified against a JWKS document.
//! - [`policy`]: what each kind of call needs, per role; the grants of system principals.
//! - [`limits`]: the bounds.
//! - `testing` (feature): an issuer of real signed tokens, for tests.

pub mod limits;
pub mod policy;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token;

use std::fmt;

use uuid::Uuid;

/// What a principal is for, from the token's `antt_role` claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Records facts for their own jurisdiction (cán bộ nhập liệu).
    Clerk,
    /// Reads everything and uses the audit API; never writes.
    Inspector,
    /// Reads projections, exports and the event stream (personal data stays sealed).
    Analyst,
    /// Manages keys, backups, rebuilds and erasure.
    Administrator,
    /// Another government system: exactly the calls its configured grant names.
    System,
    /// Moves history in from another system: the only role that may append raw events
    /// to the streams of domain records.
    Migration,
    /// The unauthenticated principal of development mode (loopback, no keys configured,
    /// or `--insecure`): never the result of a token.
    Development,
}

impl Role {
    /// The roles a token may carry, by their claim value.
    pub const CLAIMED: [(&'static str, Role); 6] = [
        ("clerk", Role::Clerk),
        ("inspector", Role::Inspector),
        ("analyst", Role::Analyst),
        ("administrator", Role::Administrator),
        ("system", Role::System),
        ("migration", Role::Migration),
    ];

    /// The role of a claim value; `None` for anything else (including "development").
    pub fn from_claim(value: &str) -> Option<Role> {
        Role::CLAIMED
            .iter()
            .find(|(claim, _)| *claim == value)
            .map(|(_, role)| *role)
    }

    /// The claim value, for logs and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Inspector => "inspector",
            Role::Analyst => "analyst",
            Role::Administrator => "administrator",
            Role::System => "system",
            Role::Migration => "migration",
            Role::Development => "development",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who calls: established from a verified token (or development mode), never from a
/// request's own fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`: recorded as the actor of every event this principal causes.
    pub subject: String,
    /// The token's `iss`.
    pub issuer: String,
    pub role: Role,
    /// The token's `antt_jurisdiction`: an area whose subtree, as of the date an action
    /// takes effect, bounds this principal's writes. `None`: no bound (only roles that
    /// do not write domain records, or a system principal granted the whole country).
    pub jurisdiction: Option<Uuid>,
}

impl Principal {
    /// The subject every call of development mode runs as.
    pub const DEVELOPMENT_SUBJECT: &'static str = "development";

    /// The principal of development mode.
    pub fn development() -> Principal {
        Principal {
            subject: Principal::DEVELOPMENT_SUBJECT.to_string(),
            issuer: String::new(),
            role: Role::Development,
            jurisdiction: None,
        }
    }

    /// The actor recorded on the events this principal causes: its subject, qualified by
    /// its issuer when there is one, so that two issuers' "nguyenvana" never merge.
    pub fn actor(&self) -> String {
        if self.issuer.is_empty() {
            self.subject.clone()
        } else {
            format!("{}@{}", self.subject, self.issuer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_claimable_role_round_trips_and_development_is_not_claimable() {
        for (claim, role) in Role::CLAIMED {
            assert_eq!(Role::from_claim(claim), Some(role));
            assert_eq!(role.as_str(), claim);
        }
        assert_eq!(Role::from_claim("development"), None);
        assert_eq!(Role::from_claim("Clerk"), None);
    }

    #[test]
    fn the_actor_names_the_issuer() {
        let principal = Principal {
            subject: "nguyenvana".into(),
            issuer: "https://sso.thanhhoa.gov.vn".into(),
            role: Role::Clerk,
            jurisdiction: None,
        };
        assert_eq!(principal.actor(), "nguyenvana@https://sso.thanhhoa.gov.vn");
        assert_eq!(Principal::development().actor(), "development");
    }
}
