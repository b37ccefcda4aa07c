//! The access token's claims and how it is checked: shared by auth, which
//! signs tokens, and the gateway, which verifies them.

use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::identity::Role;

/// `iss` of every access token.
pub const ISSUER: &str = "testbed-auth";
/// `aud` of every access token: the shop's public API.
pub const AUDIENCE: &str = "testbed-shop";
/// The only signature algorithm accepted: asymmetric, so that verifiers
/// hold no secret, and fixed, so that `alg: none` or HS256-with-the-public-key
/// tricks are refused.
pub const ALGORITHM: Algorithm = Algorithm::EdDSA;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
}

/// The checks every verifier applies.
pub fn validation() -> Validation {
    let mut validation = Validation::new(ALGORITHM);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 5;
    validation
}
