//! Per-customer locks that make "is this customer clear?" and "store the registration" one
//! atomic step.
//!
//! Two registrations can only match each other through an index key they share: the check
//! finds candidates by the incoming customer's keys. So a registration locks its keys (the
//! service picks which: see `service::deals::lock_keys`) before it checks and keeps the locks
//! until its write has committed. Whoever comes
//! second waits, then checks against a book that already holds the first, and gets exactly the
//! answer it would have got a second later. Registrations of unrelated customers share no key
//! and run side by side.
//!
//! - SQLite (one process owns the file): striped in-process mutexes, taken in stripe order.
//! - Postgres (several replicas): transaction-scoped advisory locks on a 64-bit hash of each key,
//!   taken in hash order in one statement, on a connection of a small pool of their own. The
//!   check and the write use the main pool, and a connection of the main pool never waits for a
//!   lock connection, so a busy pool cannot deadlock; the lock transaction commits (releasing
//!   the locks) only after the registration's own transaction has committed.

use super::statements::run_on;
use super::{Backend, Store};
use anyhow::Context;
use sha2::Digest;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// In-process lock stripes: enough that unrelated customers rarely share one.
pub(super) const STRIPES: usize = 4_096;

/// The in-process stripes, shared by every clone of a store.
pub(super) type Stripes = Arc<Vec<Arc<Mutex<()>>>>;

/// The stripes of database `url`: every store this process opens on one database shares them,
/// so two app instances in one process (tests, a restart overlapping its predecessor) exclude
/// each other too. (A SQLite file belongs to one process; several replicas need Postgres.)
pub(super) fn stripes(url: &str) -> Stripes {
    static BY_DATABASE: std::sync::OnceLock<std::sync::Mutex<HashMap<String, Stripes>>> =
        std::sync::OnceLock::new();
    let registry = BY_DATABASE.get_or_init(Default::default);
    let mut registry = registry.lock().unwrap_or_else(|p| p.into_inner());
    registry
        .entry(url.to_string())
        .or_insert_with(|| Arc::new((0..STRIPES).map(|_| Arc::new(Mutex::new(()))).collect()))
        .clone()
}

/// A stable 64-bit hash of an index key (the same in every replica and release).
fn key_hash(key: &str) -> i64 {
    let digest = sha2::Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Held while a registration checks and writes; give it back with [`CustomerLock::release`].
#[must_use = "release the lock after the registration committed"]
pub struct CustomerLock {
    _local: Vec<OwnedMutexGuard<()>>,
    remote: Option<sqlx::Transaction<'static, sqlx::Any>>,
}

impl std::fmt::Debug for CustomerLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerLock")
            .field("stripes", &self._local.len())
            .field("advisory", &self.remote.is_some())
            .finish()
    }
}

impl CustomerLock {
    /// Releases the locks (after the registration's transaction committed or failed).
    pub async fn release(self) {
        if let Some(tx) = self.remote {
            if let Err(e) = tx.commit().await {
                // The connection is dropped with its session, which frees the locks anyway.
                tracing::warn!(error = %e, "could not end a customer-lock transaction");
            }
        }
    }
}

impl Store {
    /// Locks the customer identified by its index `keys` (see the module docs).
    pub async fn lock_customer(&self, keys: &[String]) -> anyhow::Result<CustomerLock> {
        let mut hashes: Vec<i64> = keys.iter().map(|k| key_hash(k)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let mut stripes: Vec<usize> = hashes
            .iter()
            .map(|h| (h.unsigned_abs() % STRIPES as u64) as usize)
            .collect();
        stripes.sort_unstable();
        stripes.dedup();
        // In-process first, on both backends: requests of one replica queue here, not in Postgres.
        let mut local = Vec::with_capacity(stripes.len());
        for stripe in stripes {
            local.push(self.stripes[stripe].clone().lock_owned().await);
        }
        let remote = match (&self.lock_pool, self.backend) {
            (Some(pool), Backend::Postgres) if !hashes.is_empty() => {
                let mut tx = pool.begin().await.context("starting a customer lock")?;
                let list = hashes
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                let statement = sqlx::query(
                    "SELECT COUNT(pg_advisory_xact_lock(k)) FROM \
                     (SELECT k FROM unnest(string_to_array($1, ',')::bigint[]) AS k ORDER BY k) AS sorted",
                )
                .bind(list);
                run_on(&mut tx, statement, "locking the customer").await?;
                Some(tx)
            }
            _ => None,
        };
        Ok(CustomerLock {
            _local: local,
            remote,
        })
    }
}
