//! Password hashing with argon2id, off the async runtime: a hash takes tens
//! of milliseconds of CPU by design, which must not stall other requests.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

/// argon2id cost. The default (19 MiB, 2 passes) is OWASP's recommendation.
#[derive(Debug, Clone, Copy)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl HashCost {
    fn hasher(self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, 1, None).expect("valid argon2 params");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// A PHC string (`$argon2id$v=19$m=...`), salt included.
pub async fn hash_password(password: SecretString, cost: HashCost) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        cost.hasher()
            .hash_password(password.expose_secret().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// True when `password` matches `phc`. The parameters come from `phc`, so
/// hashes made with an older cost keep verifying.
pub async fn verify_password(password: SecretString, phc: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
        Ok(Argon2::default().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok())
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: HashCost = HashCost { memory_kib: 1024, iterations: 1 };

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash_password(SecretString::from("correct horse battery"), CHEAP).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(SecretString::from("correct horse battery"), hash.clone()).await.unwrap());
        assert!(!verify_password(SecretString::from("wrong horse battery"), hash).await.unwrap());
    }
}
