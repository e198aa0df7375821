//! Bearer tokens: JWTs signed with EdDSA (Ed25519), ES256 or RS256 and verified against
//! the keys of a JWKS document from the configuration — never fetched over the network,
//! so that the server's trust is exactly what its operator put in a file.
//!
//! Signature checking is jsonwebtoken's; the claims are checked here, against a `now`
//! the caller passes, so that expiry is tested without waiting and the rules are in one
//! place: `iss` and `aud` must match, `exp` must be in the future and `nbf` (if any) in
//! the past, each within [`CLOCK_LEEWAY_SECS`]; `antt_role` must name a role and
//! `antt_jurisdiction`, if present, an area id.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use uuid::Uuid;

use crate::limits::{CLOCK_LEEWAY_SECS, JWKS_BYTES_MAX, JWKS_KEYS_MAX, TOKEN_BYTES_MAX};
use crate::{Principal, Role};

/// The signature algorithms accepted. HMAC is not: a shared secret in a configuration
/// file would let whoever reads it mint tokens for any role.
pub const ALGORITHMS: [Algorithm; 3] = [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

/// Why a JWKS document cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("the JWKS document is larger than {JWKS_BYTES_MAX} bytes")]
    TooLarge,
    #[error("the JWKS document is not a JSON key set: {0}")]
    Malformed(#[source] serde_json::Error),
    #[error("the JWKS document has no keys")]
    Empty,
    #[error("the JWKS document has more than {JWKS_KEYS_MAX} keys")]
    TooManyKeys,
    #[error("key {index} of the JWKS document: {reason}")]
    Key { index: usize, reason: String },
    #[error("two keys of the JWKS document have the kid {kid:?}")]
    DuplicateKid { kid: String },
    #[error("the token issuer and audience must be configured with the JWKS document")]
    NoIssuerOrAudience,
}

/// Why a token is refused (the caller answers UNAUTHENTICATED with this text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the bearer token is longer than {TOKEN_BYTES_MAX} bytes")]
    TooLarge,
    #[error("the bearer token is not a JWT: {0}")]
    Malformed(String),
    #[error("the token is signed with {0:?}; accepted are EdDSA, ES256 and RS256")]
    AlgorithmNotAccepted(Algorithm),
    #[error("no configured key has the token's kid {0:?}")]
    UnknownKey(String),
    #[error("the token has no kid and {0} configured keys could have signed it")]
    KidRequired(usize),
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token's claims are not readable: {0}")]
    BadClaims(String),
    #[error("the token was issued by {0:?}, which is not the configured issuer")]
    WrongIssuer(String),
    #[error("the token is not meant for this service (aud does not name the configured audience)")]
    WrongAudience,
    #[error("the token expired at {exp} (seconds since 1970)")]
    Expired { exp: u64 },
    #[error("the token is not valid before {nbf} (seconds since 1970)")]
    NotYetValid { nbf: u64 },
    #[error("antt_role {0:?} is not one of clerk, inspector, analyst, administrator, system, migration")]
    UnknownRole(String),
    #[error("antt_jurisdiction {0:?} is not an area id")]
    BadJurisdiction(String),
}

/// A key of the JWKS document with the one algorithm it verifies.
struct TrustedKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Verifies tokens against the configured keys, issuer and audience.
pub struct TokenVerifier {
    keys: Vec<TrustedKey>,
    issuer: String,
    audience: String,
}

/// The claims read from a token; `aud` may be one string or several.
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    iss: Option<String>,
    #[serde(default)]
    aud: Audience,
    exp: Option<u64>,
    nbf: Option<u64>,
    antt_role: Option<String>,
    antt_jurisdiction: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

impl Audience {
    fn names(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|one| one == audience),
            Audience::None => false,
        }
    }
}

impl TokenVerifier {
    /// The verifier of the keys in `jwks` (a JWKS JSON document) for tokens issued by
    /// `issuer` to `audience`.
    pub fn from_jwks(jwks: &[u8], issuer: &str, audience: &str) -> Result<TokenVerifier, JwksError> {
        if jwks.len() > JWKS_BYTES_MAX {
            return Err(JwksError::TooLarge);
        }
        if issuer.is_empty() || audience.is_empty() {
            return Err(JwksError::NoIssuerOrAudience);
        }
        let set: JwkSet = serde_json::from_slice(jwks).map_err(JwksError::Malformed)?;
        if set.keys.is_empty() {
            return Err(JwksError::Empty);
        }
        if set.keys.len() > JWKS_KEYS_MAX {
            return Err(JwksError::TooManyKeys);
        }
        let mut keys: Vec<TrustedKey> = Vec::with_capacity(set.keys.len());
        for (index, jwk) in set.keys.iter().enumerate() {
            let trusted = trusted_key(jwk).map_err(|reason| JwksError::Key { index, reason })?;
            if let Some(kid) = &trusted.kid {
                if keys.iter().any(|key| key.kid.as_ref() == Some(kid)) {
                    return Err(JwksError::DuplicateKid { kid: kid.clone() });
                }
            }
            keys.push(trusted);
        }
        Ok(TokenVerifier {
            keys,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        })
    }

    /// The principal `token` names, if it is signed by a configured key and its claims
    /// hold at `now_secs` (seconds since 1970).
    pub fn verify(&self, token: &str, now_secs: u64) -> Result<Principal, TokenError> {
        if token.len() > TOKEN_BYTES_MAX {
            return Err(TokenError::TooLarge);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|error| TokenError::Malformed(error.to_string()))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(TokenError::AlgorithmNotAccepted(header.alg));
        }
        let key = self.key_for(header.kid.as_deref(), header.alg)?;
        let mut validation = Validation::new(key.algorithm);
        // Time, issuer and audience are checked below against the caller's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
                jsonwebtoken::errors::ErrorKind::Json(_) => TokenError::BadClaims(error.to_string()),
                _ => TokenError::Malformed(error.to_string()),
            })?
            .claims;
        self.principal(claims, now_secs)
    }

    fn key_for(&self, kid: Option<&str>, algorithm: Algorithm) -> Result<&TrustedKey, TokenError> {
        let key = match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|key| key.kid.as_deref() == Some(kid))
                .ok_or_else(|| TokenError::UnknownKey(kid.to_string()))?,
            None => {
                let mut candidates = self.keys.iter().filter(|key| key.algorithm == algorithm);
                match (candidates.next(), candidates.count()) {
                    (Some(key), 0) => key,
                    (None, _) => return Err(TokenError::AlgorithmNotAccepted(algorithm)),
                    (Some(_), more) => return Err(TokenError::KidRequired(more + 1)),
                }
            }
        };
        // A key verifies with its own algorithm only: an RSA key is never asked to
        // check a token that claims to be EdDSA.
        if key.algorithm != algorithm {
            return Err(TokenError::AlgorithmNotAccepted(algorithm));
        }
        Ok(key)
    }

    fn principal(&self, claims: Claims, now_secs: u64) -> Result<Principal, TokenError> {
        let missing = |claim: &str| TokenError::BadClaims(format!("the claim {claim} is missing"));
        let issuer = claims.iss.ok_or_else(|| missing("iss"))?;
        if issuer != self.issuer {
            return Err(TokenError::WrongIssuer(issuer));
        }
        if !claims.aud.names(&self.audience) {
            return Err(TokenError::WrongAudience);
        }
        let exp = claims.exp.ok_or_else(|| missing("exp"))?;
        if exp.saturating_add(CLOCK_LEEWAY_SECS) <= now_secs {
            return Err(TokenError::Expired { exp });
        }
        if let Some(nbf) = claims.nbf {
            if nbf > now_secs.saturating_add(CLOCK_LEEWAY_SECS) {
                return Err(TokenError::NotYetValid { nbf });
            }
        }
        let subject = claims
            .sub
            .filter(|sub| !sub.trim().is_empty())
            .ok_or_else(|| missing("sub"))?;
        let role_claim = claims.antt_role.ok_or_else(|| missing("antt_role"))?;
        let role = Role::from_claim(&role_claim).ok_or(TokenError::UnknownRole(role_claim))?;
        let jurisdiction = claims
            .antt_jurisdiction
            .map(|area| Uuid::parse_str(&area).map_err(|_| TokenError::BadJurisdiction(area)))
            .transpose()?;
        Ok(Principal {
            subject,
            issuer,
            role,
            jurisdiction,
        })
    }
}

/// The algorithm a JWK verifies: its `alg` when given, else the one its key type implies;
/// HMAC keys and curves other than Ed25519 and P-256 are refused.
fn trusted_key(jwk: &Jwk) -> Result<TrustedKey, String> {
    let implied = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(params) if params.curve == EllipticCurve::Ed25519 => Algorithm::EdDSA,
        AlgorithmParameters::EllipticCurve(params) if params.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::OctetKey(_) => return Err("shared-secret (oct) keys are not accepted".into()),
        _ => return Err("only Ed25519 (OKP), P-256 (EC) and RSA keys are accepted".into()),
    };
    let declared = match jwk.common.key_algorithm {
        None => implied,
        Some(KeyAlgorithm::EdDSA) => Algorithm::EdDSA,
        Some(KeyAlgorithm::ES256) => Algorithm::ES256,
        Some(KeyAlgorithm::RS256) => Algorithm::RS256,
        Some(other) => return Err(format!("alg {other:?} is not accepted (EdDSA, ES256, RS256)")),
    };
    if declared != implied {
        return Err(format!("alg {declared:?} does not fit the key's type"));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|error| error.to_string())?;
    Ok(TrustedKey {
        kid: jwk.common.key_id.clone(),
        algorithm: declared,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Claims, TestIssuer};
    use base64::Engine as _;

    const NOW: u64 = 1_780_000_000;

    fn issuer() -> TestIssuer {
        TestIssuer::new("https://sso.example.gov.vn", "antt-ledger", 7)
    }

    fn verifier(issuer: &TestIssuer) -> TokenVerifier {
        TokenVerifier::from_jwks(issuer.jwks().as_bytes(), &issuer.issuer, &issuer.audience).unwrap()
    }

    #[test]
    fn each_accepted_algorithm_verifies_and_names_the_principal() {
        let issuer = issuer();
        let verifier = verifier(&issuer);
        let area = Uuid::from_u128(38);
        for algorithm in ALGORITHMS {
            let claims = Claims::new(&issuer, "nguyenvana", "clerk", NOW).in_jurisdiction(area);
            let principal = verifier.verify(&issuer.token(&claims, algorithm), NOW).unwrap();
            assert_eq!(principal.subject, "nguyenvana");
            assert_eq!(principal.role, Role::Clerk);
            assert_eq!(principal.jurisdiction, Some(area));
        }
    }

    #[test]
    fn time_issuer_audience_and_role_are_checked() {
        let issuer = issuer();
        let verifier = verifier(&issuer);
        let base = Claims::new(&issuer, "a", "inspector", NOW);
        let refused = |claims: Claims| {
            verifier
                .verify(&issuer.token(&claims, Algorithm::ES256), NOW)
                .unwrap_err()
        };
        let expired = Claims {
            exp: NOW - CLOCK_LEEWAY_SECS - 1,
            ..base.clone()
        };
        assert_eq!(
            refused(expired),
            TokenError::Expired {
                exp: NOW - CLOCK_LEEWAY_SECS - 1
            }
        );
        let within_leeway = Claims {
            exp: NOW - 1,
            ..base.clone()
        };
        assert!(verifier
            .verify(&issuer.token(&within_leeway, Algorithm::EdDSA), NOW)
            .is_ok());
        let early = Claims {
            nbf: Some(NOW + CLOCK_LEEWAY_SECS + 1),
            ..base.clone()
        };
        assert!(matches!(refused(early), TokenError::NotYetValid { .. }));
        let elsewhere = Claims {
            iss: "https://evil.example".into(),
            ..base.clone()
        };
        assert!(matches!(refused(elsewhere), TokenError::WrongIssuer(_)));
        let other_service = Claims {
            aud: "another-service".into(),
            ..base.clone()
        };
        assert_eq!(refused(other_service), TokenError::WrongAudience);
        let root = Claims {
            role: "development".into(),
            ..base.clone()
        };
        assert!(matches!(refused(root), TokenError::UnknownRole(_)));
    }

    #[test]
    fn a_token_from_another_key_or_altered_is_refused() {
        let issuer = issuer();
        let verifier = verifier(&issuer);
        let impostor = TestIssuer::new(&issuer.issuer, &issuer.audience, 8);
        let forged = impostor.token(&Claims::new(&issuer, "a", "administrator", NOW), Algorithm::EdDSA);
        assert_eq!(verifier.verify(&forged, NOW).unwrap_err(), TokenError::BadSignature);

        // Change the role in the payload of a genuine clerk token, keep its signature.
        let genuine = issuer.token(&Claims::new(&issuer, "a", "clerk", NOW), Algorithm::RS256);
        let parts: Vec<&str> = genuine.split('.').collect();
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap();
        let altered = String::from_utf8(payload)
            .unwrap()
            .replace("\"clerk\"", "\"administrator\"");
        let altered = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(altered);
        let tampered = format!("{}.{}.{}", parts[0], altered, parts[2]);
        assert_eq!(verifier.verify(&tampered, NOW).unwrap_err(), TokenError::BadSignature);
        assert!(matches!(
            verifier.verify("not.a.jwt", NOW),
            Err(TokenError::Malformed(_))
        ));
        assert!(matches!(
            verifier.verify(&"x".repeat(TOKEN_BYTES_MAX + 1), NOW),
            Err(TokenError::TooLarge)
        ));
    }

    #[test]
    fn hmac_keys_and_alg_none_are_refused() {
        let oct = br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0", "alg": "HS256"}]}"#;
        assert!(matches!(
            TokenVerifier::from_jwks(oct, "i", "a"),
            Err(JwksError::Key { .. })
        ));
        let issuer = issuer();
        let verifier = verifier(&issuer);
        // {"alg":"none"} with the claims of a valid token and no signature.
        let genuine = issuer.token(&Claims::new(&issuer, "a", "administrator", NOW), Algorithm::EdDSA);
        let payload = genuine.split('.').nth(1).unwrap();
        let unsigned = format!("eyJhbGciOiJub25lIn0.{payload}.");
        assert!(verifier.verify(&unsigned, NOW).is_err());
    }

    proptest::proptest! {
        /// Whatever bytes arrive as a token, verification answers, never panics, and
        /// never accepts them.
        #[test]
        fn arbitrary_tokens_are_refused_without_panic(token in "[A-Za-z0-9_.=-]{0,300}") {
            static VERIFIER: std::sync::OnceLock<TokenVerifier> = std::sync::OnceLock::new();
            let verifier = VERIFIER.get_or_init(|| verifier(&issuer()));
            proptest::prop_assert!(verifier.verify(&token, NOW).is_err());
        }
    }
}
