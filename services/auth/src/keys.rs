//! The access-token signing key and its public half, published as a JWKS so
//! that the gateway verifies tokens without holding any secret.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{DecodingKey, EncodingKey, Header};
use platform::Role;
use platform::token::{ALGORITHM, AUDIENCE, AccessClaims, ISSUER, validation};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// PKCS#8 v1 prefix of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// A fresh Ed25519 private key as PKCS#8 PEM.
pub fn generate_ed25519_pem() -> SecretString {
    let mut der = ED25519_PKCS8_PREFIX.to_vec();
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    der.extend_from_slice(&seed);
    let body = STANDARD.encode(&der);
    SecretString::from(format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"))
}

pub struct SigningKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    key_id: String,
    jwks: JwkSet,
}

impl SigningKeys {
    /// From a PKCS#8 PEM Ed25519 key; the key id is the key's JWK thumbprint,
    /// so it changes exactly when the key does.
    pub fn from_pem(pem: &SecretString) -> anyhow::Result<Self> {
        let encoding = EncodingKey::from_ed_pem(pem.expose_secret().as_bytes())
            .map_err(|e| anyhow::anyhow!("AUTH_SIGNING_KEY_PEM is not an Ed25519 PKCS#8 key: {e}"))?;
        let mut jwk = Jwk::from_encoding_key(&encoding, ALGORITHM)?;
        let key_id = jwk.thumbprint(ThumbprintHash::SHA256)?.chars().take(16).collect::<String>();
        jwk.common.key_id = Some(key_id.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let decoding = DecodingKey::from_jwk(&jwk)?;
        Ok(Self { encoding, decoding, key_id, jwks: JwkSet { keys: vec![jwk] } })
    }

    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// A signed access token for `user_id`, valid for `ttl`.
    pub fn issue(&self, user_id: Uuid, role: Role, ttl: std::time::Duration) -> anyhow::Result<(String, AccessClaims)> {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id,
            role,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now + i64::try_from(ttl.as_secs())?,
            jti: Uuid::new_v4(),
        };
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(self.key_id.clone());
        Ok((jsonwebtoken::encode(&header, &claims, &self.encoding)?, claims))
    }

    /// Checks a token as the gateway would.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation()).map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn issued_tokens_verify_and_carry_the_key_id() {
        let keys = SigningKeys::from_pem(&generate_ed25519_pem()).unwrap();
        let user = Uuid::new_v4();
        let (token, _) = keys.issue(user, Role::Customer, Duration::from_secs(60)).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.sub, claims.role), (user, Role::Customer));
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(keys.key_id()));
        assert_eq!(keys.jwks().keys.len(), 1);
    }

    #[test]
    fn a_token_from_another_key_does_not_verify() {
        let ours = SigningKeys::from_pem(&generate_ed25519_pem()).unwrap();
        let theirs = SigningKeys::from_pem(&generate_ed25519_pem()).unwrap();
        let (token, _) = theirs.issue(Uuid::new_v4(), Role::Admin, Duration::from_secs(60)).unwrap();
        assert!(ours.verify(&token).is_err());
    }
}
