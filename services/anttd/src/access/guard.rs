//! The layer every call passes before it reaches a service: it establishes who calls
//! (a verified bearer token, or the development principal) and refuses what their role
//! may not do. The principal travels on in the request's extensions, where the services
//! read it ([`super::principal_of`]) as the actor of what they record.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use antt_access::policy::{self, Access, Call, Grants};
use antt_access::token::TokenVerifier;
use antt_access::Principal;
use tonic::Status;

use super::methods;
use crate::status;

/// How callers are established.
pub enum Mode {
    /// No keys configured: every call is the development principal.
    Development,
    /// Every call but health carries a bearer token these keys verify.
    Tokens(TokenVerifier),
}

/// What the guard knows: how to authenticate, and what system principals were granted.
pub struct Gatekeeper {
    pub mode: Mode,
    pub grants: Grants,
}

impl Gatekeeper {
    /// Who makes the call at `path` with `headers`, if they may: `Ok(None)` for a public
    /// call (health), which needs no principal.
    pub fn admit(&self, path: &str, headers: &http::HeaderMap) -> Result<Option<Principal>, Status> {
        let Some((service, method)) = methods::split_path(path) else {
            return Err(Status::unimplemented(format!("no such method: {path}")));
        };
        let Some(access) = methods::access_of(service, method) else {
            return Err(Status::unimplemented(format!(
                "this server has no method {service}/{method}"
            )));
        };
        if access == Access::Public {
            return Ok(None);
        }
        let principal = self.authenticate(headers)?;
        let call = Call {
            service,
            method,
            access,
        };
        match policy::authorize(&principal, &call, &self.grants) {
            Ok(()) => Ok(Some(principal)),
            Err(denial) => Err(super::denied(&principal, status::REASON_ACCESS_DENIED, denial.0)),
        }
    }

    fn authenticate(&self, headers: &http::HeaderMap) -> Result<Principal, Status> {
        let verifier = match &self.mode {
            Mode::Development => return Ok(Principal::development()),
            Mode::Tokens(verifier) => verifier,
        };
        let token = bearer_token(headers).map_err(|why| unauthenticated(why.to_string()))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        verifier
            .verify(token, now)
            .map_err(|error| unauthenticated(error.to_string()))
    }
}

fn unauthenticated(why: String) -> Status {
    // No principal: the role label says so.
    crate::telemetry::record_denial(tonic::Code::Unauthenticated, "none");
    tracing::warn!(%why, "call refused: not authenticated");
    status::unauthenticated(&why)
}

/// The token of an `authorization: Bearer <token>` header.
fn bearer_token(headers: &http::HeaderMap) -> Result<&str, &'static str> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or("no authorization metadata; send `authorization: Bearer <JWT>`")?;
    let value = value.to_str().map_err(|_| "the authorization metadata is not text")?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or("the authorization metadata is not `Bearer <JWT>`")?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err("the authorization metadata is not `Bearer <JWT>`");
    }
    Ok(token.trim())
}

/// The tower layer of the guard, for `Server::builder().layer(..)`.
#[derive(Clone)]
pub struct GuardLayer {
    gatekeeper: Arc<Gatekeeper>,
}

impl GuardLayer {
    pub fn new(gatekeeper: Gatekeeper) -> GuardLayer {
        GuardLayer {
            gatekeeper: Arc::new(gatekeeper),
        }
    }
}

impl<S> tower::Layer<S> for GuardLayer {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Guarded<S> {
        Guarded {
            inner,
            gatekeeper: self.gatekeeper.clone(),
        }
    }
}

/// A service behind the guard.
#[derive(Clone)]
pub struct Guarded<S> {
    inner: S,
    gatekeeper: Arc<Gatekeeper>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for Guarded<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        match self.gatekeeper.admit(request.uri().path(), request.headers()) {
            Ok(principal) => {
                if let Some(principal) = principal {
                    request.extensions_mut().insert(principal);
                }
                Box::pin(self.inner.call(request))
            }
            // The inner service was made ready for this call and is not used: tonic's
            // router holds nothing for a readiness that is not spent.
            Err(refusal) => Box::pin(std::future::ready(Ok(refusal.into_http()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use antt_access::testing::TestIssuer;
    use tonic::Code;

    fn gatekeeper(issuer: &TestIssuer) -> Gatekeeper {
        let verifier = TokenVerifier::from_jwks(issuer.jwks().as_bytes(), &issuer.issuer, &issuer.audience).unwrap();
        Gatekeeper {
            mode: Mode::Tokens(verifier),
            grants: Grants::default(),
        }
    }

    fn headers(authorization: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, authorization.parse().unwrap());
        headers
    }

    #[test]
    fn health_needs_nothing_and_everything_else_a_valid_token() {
        let issuer = TestIssuer::new("i", "a", 1);
        let gate = gatekeeper(&issuer);
        let none = http::HeaderMap::new();
        assert_eq!(gate.admit("/grpc.health.v1.Health/Check", &none).unwrap(), None);
        let code = |path: &str, headers: &http::HeaderMap| gate.admit(path, headers).unwrap_err().code();
        assert_eq!(code("/antt.v1.Projections/GetRoster", &none), Code::Unauthenticated);
        assert_eq!(
            code("/antt.v1.Projections/GetRoster", &headers("Basic x")),
            Code::Unauthenticated
        );
        assert_eq!(
            code("/antt.v1.Projections/GetRoster", &headers("Bearer x.y.z")),
            Code::Unauthenticated
        );
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let analyst = headers(&format!("Bearer {}", issuer.token_for("a", "analyst", None, now)));
        let admitted = gate.admit("/antt.v1.Projections/GetRoster", &analyst).unwrap().unwrap();
        assert_eq!(admitted.subject, "a");
        assert_eq!(code("/antt.v1.Forces/GetPerson", &analyst), Code::PermissionDenied);
        assert_eq!(code("/antt.v1.Forces/NoSuchMethod", &analyst), Code::Unimplemented);
    }
}
