//! The only SQL in partnerbot. Portable runtime queries (`$1` placeholders work on both
//! SQLite and Postgres) behind methods with domain names. Times are UTC epoch milliseconds.

mod accounts;
mod admins;
mod commissions;
mod deals;
mod events;
mod home;
mod jobs;
mod locks;
mod nudges;
mod outbox;
mod partners;
mod statements;
mod surveys;
mod teams;
mod tiers;
mod uploads;
mod zones;

use statements::run_on;

pub use accounts::{
    IndexedRecord, NewAccount, OneTrip, PlannedKey, RecordKind, Upserted, Weighing,
};
pub use commissions::{CommissionTotal, LedgerEntry, LedgerRow, Win};
pub use deals::{Created, DealFilter, Registration, EXPIRING_DAYS};
pub use jobs::DealChange;
pub use locks::CustomerLock;
pub use nudges::{PartnerActivity, Reactivation};
pub use outbox::{
    ClaimLimits, ClaimedMessage, OutboxBody, OutboxFilter, OutboxMessage, OutboxRow, Target,
    ThreadRoot,
};
pub use partners::NewPartner;
pub use surveys::{Answered, Invitee, RoundStep, SurveyResponse, SurveyRound};
pub use teams::{base_conversation, TeamsConversation, TeamsPerson, TeamsSighting, TeamsUser};
pub use tiers::{SourcedRevenue, TierRun};

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

/// Which database is behind the store; a few statements differ (row locking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Connection pool plus the facade methods. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Postgres only: connections that hold customer locks (see `locks`).
    lock_pool: Option<AnyPool>,
    stripes: locks::Stripes,
}

/// Failures callers handle differently from "the database is down".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the row; the text names what already exists.
    #[error("{0}")]
    Duplicate(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Pool size for Postgres; each replica keeps a few connections for requests and the worker.
const PG_POOL_SIZE: u32 = 16;
/// Longest wait for a connection (connecting included): a slash command must be answered within
/// Slack's 3 seconds, so an unreachable database fails fast instead of hanging every request.
const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(2_000);
/// Connections holding customer locks on Postgres: registrations of distinct customers that
/// are in flight at once in one replica.
const PG_LOCK_POOL_SIZE: u32 = 16;
/// SQLite copies the write-ahead log back into the database file every this many pages (its
/// default is 1,000). A page that many registrations change between two checkpoints (an index
/// leaf, a common word's count) is copied once instead of at each: +10 % registrations per
/// second under `vs-bolt` (628 → 696 req/s in alternating runs), for a log file that stays
/// at up to 40 MB (SQLite reuses it from the start after each checkpoint).
const WAL_CHECKPOINT_PAGES: u32 = 10_000;
/// SQLite allows one writer: a small pool with a busy timeout avoids "database is locked".
const SQLITE_POOL_SIZE: u32 = 1;

/// SQLite's page cache per connection, in KiB: `PARTNERBOT_SQLITE_CACHE_KIB`, or 2 MiB. Reads
/// come through `mmap`; a larger cache also costs time at every commit, when SQLite walks it.
fn sqlite_cache_kib() -> anyhow::Result<u32> {
    const VAR: &str = "PARTNERBOT_SQLITE_CACHE_KIB";
    match std::env::var(VAR) {
        Err(_) => Ok(2_048),
        Ok(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|kib| *kib >= 64)
            .with_context(|| format!("{VAR} is “{v}”: give the cache size in KiB, 64 or more")),
    }
}

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Opens a pool on `url` (`sqlite:…` or `postgres://…`) without migrating.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let options = AnyConnectOptions::from_str(url).context("parsing DATABASE_URL")?;
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let cache_kib = sqlite_cache_kib()?;
        let pool = match backend {
            Backend::Sqlite => AnyPoolOptions::new()
                // An in-memory database exists per connection: keep exactly one.
                .max_connections(if in_memory { 1 } else { SQLITE_POOL_SIZE })
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        conn.execute(format!("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 268435456; PRAGMA cache_size = -{cache_kib}; PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES};").as_str())
                            .await?;
                        Ok(())
                    })
                }),
            Backend::Postgres => AnyPoolOptions::new()
                .max_connections(PG_POOL_SIZE)
                // Generic plans from the first execution: the conflict check's one statement
                // (`accounts::one_trip`) costs about 1 ms to plan and 0.2 ms to run, and Postgres
                // would otherwise keep planning it for every check.
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("SET plan_cache_mode = force_generic_plan").await?;
                        Ok(())
                    })
                }),
        }
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .with_context(|| {
            let fix = match backend {
                Backend::Sqlite => "check that the file's directory exists and is writable by this user",
                Backend::Postgres => "check host, port, user, password and database, that the server accepts connections from here, and sslmode (managed Postgres needs sslmode=require)",
            };
            format!("connecting to {} ({fix})", crate::config::redact_url(url))
        })?;
        let lock_pool = match backend {
            Backend::Postgres => Some(
                AnyPoolOptions::new()
                    .max_connections(PG_LOCK_POOL_SIZE)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_lazy_with(
                        AnyConnectOptions::from_str(url).context("parsing DATABASE_URL")?,
                    ),
            ),
            Backend::Sqlite => None,
        };
        Ok(Store {
            pool,
            backend,
            lock_pool,
            stripes: locks::stripes(url),
        })
    }

    /// Connects and applies every pending migration (what `serve` and `migrate` do).
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the forward-only migrations for this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &MIGRATE_SQLITE,
            Backend::Postgres => &MIGRATE_POSTGRES,
        };
        migrator
            .run(&self.pool)
            .await
            .context("applying database migrations")
    }

    /// Applies the migrations up to and including `version` only: the schema of the release
    /// that ended there (upgrade tests start from it).
    pub async fn migrate_through(&self, version: i64) -> anyhow::Result<()> {
        let all = match self.backend {
            Backend::Sqlite => &MIGRATE_SQLITE,
            Backend::Postgres => &MIGRATE_POSTGRES,
        };
        let earlier = sqlx::migrate::Migrator {
            migrations: all
                .migrations
                .iter()
                .filter(|m| m.version <= version)
                .cloned()
                .collect::<Vec<_>>()
                .into(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        earlier
            .run(&self.pool)
            .await
            .with_context(|| format!("applying migrations up to {version}"))
    }

    /// Writes a consistent copy of a SQLite database to `file` (SQLite's `VACUUM INTO`, safe
    /// while the bot runs). Postgres is backed up with `pg_dump`.
    pub async fn backup_to(&self, file: &std::path::Path) -> anyhow::Result<()> {
        if self.backend != Backend::Sqlite {
            anyhow::bail!("backup copies SQLite files; for Postgres use pg_dump (e.g. pg_dump -Fc \"$DATABASE_URL\" > partnerbot.dump)");
        }
        if file.exists() {
            anyhow::bail!("{} exists already: choose a new file name", file.display());
        }
        let path = file
            .to_str()
            .ok_or_else(|| anyhow::anyhow!("{} is not a UTF-8 path", file.display()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await
            .with_context(|| format!("writing a copy to {}", file.display()))?;
        Ok(())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Round-trips a trivial query (for `/healthz`).
    pub async fn ping(&self) -> anyhow::Result<()> {
        let statement = sqlx::query("SELECT 1");
        self.run(statement, "pinging the database").await?;
        Ok(())
    }

    /// Closes the pool (tests use it to simulate a replica dying).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Appends one audit row inside the caller's transaction.
pub(crate) async fn append_audit(
    conn: &mut AnyConnection,
    entry: &AuditEntry<'_>,
    entity_id: i64,
    now_ms: i64,
) -> anyhow::Result<()> {
    let statement = sqlx::query(
        "INSERT INTO audit_log (at, actor, surface, entity, entity_id, action, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now_ms)
    .bind(entry.actor)
    .bind(entry.surface)
    .bind(entry.entity)
    .bind(entity_id)
    .bind(entry.action)
    .bind(entry.detail.to_string());
    run_on(&mut *conn, statement, "appending to the audit log").await?;
    Ok(())
}

/// Who did what, from where: one audit row (the entity id is filled in by the store).
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Slack user id, or `cli` for the command line.
    pub actor: &'a str,
    /// `slack_modal`, `slack_command`, `cli`, …
    pub surface: &'a str,
    /// `deal`, `partner`.
    pub entity: &'a str,
    /// `registered`, `partner_added`, …
    pub action: &'a str,
    /// Anything worth keeping, as JSON.
    pub detail: serde_json::Value,
}

/// An audit row as read back.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub surface: String,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub detail: String,
}

impl Store {
    /// Audit rows at or after `since_ms`, oldest first (exports).
    pub async fn audit_since(&self, since_ms: i64) -> anyhow::Result<Vec<AuditRow>> {
        let query = sqlx::query_as::<_, AuditRow>("SELECT id, at, actor, surface, entity, entity_id, action, detail FROM audit_log WHERE at >= $1 ORDER BY id")
            .bind(since_ms);
        self.all(query, "reading the audit log for export").await
    }

    /// The audit trail of one entity, oldest first.
    pub async fn audit_of(&self, entity: &str, entity_id: i64) -> anyhow::Result<Vec<AuditRow>> {
        let query = sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor, surface, entity, entity_id, action, detail FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY id",
        )
        .bind(entity)
        .bind(entity_id);
        self.all(query, "reading the audit log").await
    }

    /// Counts rows of a table; tests use it to prove nothing was written.
    pub async fn count(&self, table: CountTable) -> anyhow::Result<i64> {
        let sql = match table {
            CountTable::Deals => "SELECT COUNT(*) FROM deals",
            CountTable::Audit => "SELECT COUNT(*) FROM audit_log",
            CountTable::Outbox => "SELECT COUNT(*) FROM outbox",
            CountTable::Partners => "SELECT COUNT(*) FROM partners",
            CountTable::Events => "SELECT COUNT(*) FROM inbound_events",
        };
        let query = sqlx::query_scalar(sql);
        let n: i64 = self.value(query, "counting rows").await?;
        Ok(n)
    }
}

/// Tables [`Store::count`] can count.
#[derive(Debug, Clone, Copy)]
pub enum CountTable {
    Deals,
    Audit,
    Outbox,
    Partners,
    /// Inbound events and activities already handled (deduplication keys).
    Events,
}

/// `n` numbered placeholders from `$first` on: `$3, $4, $5`. Postgres refuses a placeholder a
/// statement does not use, so lists are numbered to follow the ones before them.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows of a multi-row `VALUES`: `rows` tuples of `columns` numbered placeholders each,
/// `($1, $2), ($3, $4)`.
fn value_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(r * columns + 1, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Maps a unique-constraint violation to [`StoreError::Duplicate`] with `message`.
fn on_unique(err: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(message()),
        _ => StoreError::Other(anyhow::Error::new(err)),
    }
}
