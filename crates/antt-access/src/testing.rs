//! An issuer of real signed tokens, for tests: one Ed25519, one P-256 and one RSA key
//! (deterministic, from a fixed seed), their JWKS document, and tokens with any claims,
//! including expired, not-yet-valid, wrongly addressed or badly signed ones.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek_2::pkcs8::EncodePrivateKey as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand_08::SeedableRng;
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::{json, Value};
use uuid::Uuid;

/// The kid of each test key.
pub const EDDSA_KID: &str = "test-ed25519";
pub const ES256_KID: &str = "test-p256";
pub const RS256_KID: &str = "test-rsa";

/// Claims of a test token; [`Claims::new`] gives a valid one for an hour from `now`.
#[derive(Clone, Debug)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub nbf: Option<u64>,
    pub role: String,
    pub jurisdiction: Option<Uuid>,
}

impl Claims {
    pub fn new(issuer: &TestIssuer, sub: &str, role: &str, now_secs: u64) -> Claims {
        Claims {
            sub: sub.to_string(),
            iss: issuer.issuer.clone(),
            aud: issuer.audience.clone(),
            exp: now_secs + 3600,
            nbf: Some(now_secs.saturating_sub(10)),
            role: role.to_string(),
            jurisdiction: None,
        }
    }

    pub fn in_jurisdiction(mut self, area: Uuid) -> Claims {
        self.jurisdiction = Some(area);
        self
    }

    fn to_json(&self) -> Value {
        let mut claims = json!({
            "sub": self.sub, "iss": self.iss, "aud": self.aud, "exp": self.exp, "antt_role": self.role,
        });
        if let Some(nbf) = self.nbf {
            claims["nbf"] = json!(nbf);
        }
        if let Some(area) = self.jurisdiction {
            claims["antt_jurisdiction"] = json!(area.to_string());
        }
        claims
    }
}

/// Three signing keys and the JWKS document of their public halves.
pub struct TestIssuer {
    pub issuer: String,
    pub audience: String,
    keys: Vec<(&'static str, Algorithm, EncodingKey)>,
    jwks: Value,
}

impl TestIssuer {
    /// The issuer `issuer` of tokens for `audience`; the keys come from `seed`.
    pub fn new(issuer: &str, audience: &str, seed: u64) -> TestIssuer {
        let mut rng = rand_08::rngs::StdRng::seed_from_u64(seed);
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);

        let ed = ed25519_dalek_2::SigningKey::from_bytes(&rand_08::Rng::gen(&mut rng));
        let ed_der = ed.to_pkcs8_der().map(|der| der.as_bytes().to_vec()).unwrap_or_default();
        let ed_jwk = json!({"kty": "OKP", "crv": "Ed25519", "kid": EDDSA_KID, "alg": "EdDSA",
            "x": b64(ed.verifying_key().as_bytes())});

        let es = p256::ecdsa::SigningKey::random(&mut rng);
        let es_der = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&es)
            .map(|der| der.as_bytes().to_vec())
            .unwrap_or_default();
        let point = es.verifying_key().to_encoded_point(false);
        let es_jwk = json!({"kty": "EC", "crv": "P-256", "kid": ES256_KID, "alg": "ES256",
            "x": b64(point.x().map(|x| x.as_slice()).unwrap_or_default()),
            "y": b64(point.y().map(|y| y.as_slice()).unwrap_or_default())});

        let rs = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("an RSA key can be generated");
        let rs_der = rs.to_pkcs1_der().map(|der| der.as_bytes().to_vec()).unwrap_or_default();
        let rs_jwk = json!({"kty": "RSA", "kid": RS256_KID, "alg": "RS256",
            "n": b64(&rs.n().to_bytes_be()), "e": b64(&rs.e().to_bytes_be())});

        TestIssuer {
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            keys: vec![
                (EDDSA_KID, Algorithm::EdDSA, EncodingKey::from_ed_der(&ed_der)),
                (ES256_KID, Algorithm::ES256, EncodingKey::from_ec_der(&es_der)),
                (RS256_KID, Algorithm::RS256, EncodingKey::from_rsa_der(&rs_der)),
            ],
            jwks: json!({"keys": [ed_jwk, es_jwk, rs_jwk]}),
        }
    }

    /// The JWKS document the server is configured with.
    pub fn jwks(&self) -> String {
        self.jwks.to_string()
    }

    /// A token with `claims`, signed with the key of `algorithm` (and its kid).
    pub fn token(&self, claims: &Claims, algorithm: Algorithm) -> String {
        let (kid, _, key) = self
            .keys
            .iter()
            .find(|(_, alg, _)| *alg == algorithm)
            .expect("the test issuer has a key for EdDSA, ES256 and RS256");
        let mut header = Header::new(algorithm);
        header.kid = Some(kid.to_string());
        jsonwebtoken::encode(&header, &claims.to_json(), key).expect("a test token can be signed")
    }

    /// An EdDSA token for `sub` in `role`, valid for an hour from `now_secs`.
    pub fn token_for(&self, sub: &str, role: &str, jurisdiction: Option<Uuid>, now_secs: u64) -> String {
        let mut claims = Claims::new(self, sub, role, now_secs);
        claims.jurisdiction = jurisdiction;
        self.token(&claims, Algorithm::EdDSA)
    }
}
