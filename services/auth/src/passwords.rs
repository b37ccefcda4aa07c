//! Password hashing with argon2id, off the async runtime: a hash takes tens
//! of milliseconds of CPU and its memory cost (7 MiB by default) by design.
//! At most one hash per core runs at a time: more would only queue for the
//! CPU, each holding its memory, so a burst of logins waits here instead of
//! filling the runtime's blocking pool (up to 512 threads) with hashes.

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

/// argon2id cost. The default, 7 MiB and 5 passes, is one of OWASP's five
/// equivalent configurations (as strong as 19 MiB and 2 passes, for about
/// the same CPU), the one that holds the least memory while it runs.
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
    in_a_hashing_slot(move || {
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
    in_a_hashing_slot(move || {
        let parsed = PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
        Ok(Argon2::default().verify_password(password.expose_secret().as_bytes(), &parsed).is_ok())
    })
    .await?
}

/// One permit per core: how many hashes may run at once.
static HASHING_SLOTS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)));

/// Runs `work` on the blocking pool once a hashing slot is free.
async fn in_a_hashing_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    let _slot = HASHING_SLOTS.acquire().await?;
    Ok(tokio::task::spawn_blocking(work).await?)
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_hashes_run_at_once_than_there_are_cores() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        let cores = std::thread::available_parallelism().unwrap().get();
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let total = cores * 4 + 3;
        let burst: Vec<_> = (0..total)
            .map(|_| {
                let (running, most, started) = (running.clone(), most.clone(), started.clone());
                tokio::spawn(in_a_hashing_slot(move || {
                    started.fetch_add(1, Ordering::SeqCst);
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    // Hold the slot until every slot is taken (while the
                    // rest of the burst tries to get in) or the burst has
                    // all started; a broken limit fails rather than hangs.
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
                    while running.load(Ordering::SeqCst) < cores
                        && started.load(Ordering::SeqCst) < total
                        && std::time::Instant::now() < deadline
                    {
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                }))
            })
            .collect();
        for hash in burst {
            hash.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), cores, "a burst fills every slot and no more");
    }
}
