//! The conflict check at scale: loads N registrations and direct accounts (default 1,000,000)
//! into SQLite and Postgres, then times the check of 2,000 incoming customers (half of them
//! variants of existing records) one by one, and as one `partnerbot accounts check` run.
//!
//! Before that, it times the import of 50,000 accounts (PARTNERBOT_BENCH_IMPORT) through
//! `Service::import_accounts` into an empty database: what `partnerbot accounts import` does.
//!
//! Run: `cargo bench --bench conflicts` (PARTNERBOT_BENCH_RECORDS=100000 for a quicker run;
//! PARTNERBOT_BENCH_DB=sqlite or postgres for one backend).

use partnerbot::app::App;
use partnerbot::clock::Clock;
use partnerbot::config::{Config, Program};
use partnerbot::domain::account::AccountRow;
use partnerbot::domain::matching::{index_keys, key_token, typo_variants, Candidate};
use partnerbot::emulator::Emulator;
use partnerbot::store::Store;
use secrecy::SecretString;
use sqlx::Connection;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A small deterministic generator (xorshift), so every run loads the same book.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ter", "van", "zu", "ri", "bel", "dor", "qua", "sen", "tro", "ex", "nor",
    "pli", "gam", "hu", "jex", "wyn", "fa",
];
const WORDS: &[&str] = &[
    "Systems",
    "Solutions",
    "Foods",
    "Energy",
    "Logistics",
    "Health",
    "Capital",
    "Partners",
    "Labs",
    "Software",
    "Retail",
    "Motors",
];
const FORMS: &[&str] = &[
    "Inc", "GmbH", "Ltd", "SAS", "B.V.", "LLC", "AG", "S.p.A.", "Pty Ltd", "AB", "",
];
const SUFFIXES: &[&str] = &["com", "de", "co.uk", "fr", "io", "net", "com.au", "nl"];

/// The i-th company of the book: (name, domain or none).
fn company(i: u64) -> (String, Option<String>) {
    let mut rng = Rng(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let syllables = 2 + rng.next() % 3;
    let mut word: String = (0..syllables).map(|_| rng.pick(SYLLABLES)).collect();
    word.push_str(&(i % 997).to_string());
    let mut name = format!("{}{}", word[..1].to_uppercase(), &word[1..]);
    if rng.next() % 2 == 0 {
        name = format!("{name} {}", rng.pick(WORDS));
    }
    let form = rng.pick(FORMS);
    if !form.is_empty() {
        name = format!("{name} {form}");
    }
    let domain = (rng.next() % 10 < 7).then(|| format!("{word}.{}", rng.pick(SUFFIXES)));
    (name, domain)
}

const BATCH: usize = 400;

async fn load(conn: &mut sqlx::AnyConnection, records: u64) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO partners (id, name, partner_type, conversation, created_at, created_by) VALUES (1, 'Bench Partner', 'reseller', 'C0BENCH', 0, 'bench')")
        .execute(&mut *conn)
        .await?;
    let accounts = records * 7 / 10;
    let mut holding: HashMap<String, i64> = HashMap::new();
    let mut i = 1;
    while i <= records {
        let end = (i + BATCH as u64 - 1).min(records);
        let mut tx = conn.begin().await?;
        let (mut rows, mut keys) = (Vec::new(), Vec::new());
        for n in i..=end {
            let (name, domain) = company(n);
            let kind = if n <= accounts { "account" } else { "deal" };
            let record_keys = index_keys(&Candidate::new(&name, domain.as_deref()));
            for token in record_keys.iter().filter_map(|k| key_token(k)) {
                *holding.entry(token.to_string()).or_insert(0) += 1;
            }
            for key in record_keys {
                keys.push((key, kind, n as i64));
            }
            rows.push((n as i64, name, domain));
        }
        let (accts, deals): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .partition(|(n, _, _)| (*n as u64) <= accounts);
        if !accts.is_empty() {
            let values: Vec<String> = (0..accts.len())
                .map(|k| {
                    format!(
                        "(${}, ${}, ${}, 'U0AE1', 0, 0)",
                        3 * k + 1,
                        3 * k + 2,
                        3 * k + 3
                    )
                })
                .collect();
            let sql = format!("INSERT INTO direct_accounts (id, name, domains, owner, created_at, updated_at) VALUES {}", values.join(", "));
            let mut q = sqlx::query(&sql);
            for (n, name, domain) in &accts {
                q = q
                    .bind(*n)
                    .bind(name.clone())
                    .bind(domain.clone().unwrap_or_default());
            }
            q.execute(&mut *tx).await?;
        }
        if !deals.is_empty() {
            let values: Vec<String> = (0..deals.len())
                .map(|k| format!("(${}, 1, 'approved', ${}, ${}, 100000, 'USD', '2027-06-30', 'qualified', 'U0P', 'C0BENCH', 'bench', 0, 0)", 3 * k + 1, 3 * k + 2, 3 * k + 3))
                .collect();
            let sql = format!(
                "INSERT INTO deals (id, partner_id, status, company, domain, amount_minor, currency, close_date, stage, registered_by, source_channel, surface, created_at, updated_at) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (n, name, domain) in &deals {
                q = q.bind(*n).bind(name.clone()).bind(domain.clone());
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in keys.chunks(BATCH * 2) {
            let values: Vec<String> = (0..chunk.len())
                .map(|k| format!("(${}, ${}, ${})", 3 * k + 1, 3 * k + 2, 3 * k + 3))
                .collect();
            let sql = format!(
                "INSERT INTO match_keys (key, kind, record_id) VALUES {} ON CONFLICT DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (key, kind, n) in chunk {
                q = q.bind(key.clone()).bind(*kind).bind(*n);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        i = end + 1;
    }
    holding.insert(String::new(), records as i64);
    load_stats(conn, &holding).await
}

/// The word statistics and typo variants the store keeps next to the index.
async fn load_stats(
    conn: &mut sqlx::AnyConnection,
    holding: &HashMap<String, i64>,
) -> anyhow::Result<()> {
    let rows: Vec<(&String, &i64)> = holding.iter().collect();
    let mut tx = conn.begin().await?;
    for chunk in rows.chunks(BATCH) {
        let values: Vec<String> = (0..chunk.len())
            .map(|k| format!("(${}, ${})", 2 * k + 1, 2 * k + 2))
            .collect();
        let sql = format!(
            "INSERT INTO match_token_stats (token, records) VALUES {} \
             ON CONFLICT (token) DO UPDATE SET records = excluded.records",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (token, n) in chunk {
            // The record count lives in counter rows (`#0`…`#15`, summed).
            let token = if token.is_empty() {
                "#0"
            } else {
                token.as_str()
            };
            q = q.bind(token).bind(**n);
        }
        q.execute(&mut *tx).await?;
    }
    let variants: Vec<(String, &String)> = holding
        .keys()
        .flat_map(|t| typo_variants(t).into_iter().map(move |v| (v, t)))
        .collect();
    for chunk in variants.chunks(BATCH) {
        let values: Vec<String> = (0..chunk.len())
            .map(|k| format!("(${}, ${})", 2 * k + 1, 2 * k + 2))
            .collect();
        let sql = format!(
            "INSERT INTO match_token_variants (variant, token) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (variant, token) in chunk {
            q = q.bind(variant.as_str()).bind(token.as_str());
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// 2,000 incoming customers: even ones are variants of existing records (another legal form,
/// upper case, a subdomain or no domain), odd ones are new.
fn incoming(records: u64) -> Vec<(String, Option<String>)> {
    (0..2000u64)
        .map(|i| {
            if i % 2 == 0 {
                let n = 1 + (i * 7919) % records;
                let (name, domain) = company(n);
                let base = name.split(' ').next().unwrap_or(&name).to_uppercase();
                let domain = match i % 6 {
                    0 => domain.map(|d| format!("https://shop.{d}/")),
                    2 => None,
                    _ => domain,
                };
                (format!("{base} Corporation"), domain)
            } else {
                (format!("Newco{i} Widgets"), Some(format!("newco{i}.com")))
            }
        })
        .collect()
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

/// A fresh database of `kind` (the temp dir must outlive it).
async fn fresh_db(kind: &str, dir: &tempfile::TempDir) -> anyhow::Result<String> {
    Ok(if kind == "sqlite" {
        format!("sqlite://{}?mode=rwc", dir.path().join("book.db").display())
    } else {
        sqlx::any::install_default_drivers();
        let base = std::env::var("PARTNERBOT_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("pbt_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::AnyConnection::connect(&base).await?;
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await?;
        format!("{base}?options=-c%20search_path%3D{schema}")
    })
}

fn app_on(url: &str, store: Store, emulator: &Emulator) -> anyhow::Result<App> {
    let config = Config {
        database_url: url.to_string(),
        signing_secret: SecretString::from("bench"),
        bot_token: SecretString::from("xoxb-bench"),
        app_token: None,
        slack_api_url: emulator.base_url.clone(),
        bind: "127.0.0.1:0".parse()?,
        program: Program::default(),
    };
    App::build(&config, store, Clock::system(), None)
}

/// Times `Service::import_accounts` of `n` accounts into an empty database.
async fn import(kind: &str, n: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = fresh_db(kind, &dir).await?;
    let store = Store::open(&url).await?;
    let emulator = Emulator::start().await?;
    let app = app_on(&url, store, &emulator)?;
    let rows: Vec<(usize, AccountRow)> = (1..=n)
        .map(|i| {
            let (name, domain) = company(i);
            let row = AccountRow {
                name,
                domains: domain.unwrap_or_default(),
                owner: "U0AE1".into(),
                territory: "NA".into(),
                open_opportunity: String::new(),
                crm_id: format!("CRM{i}"),
            };
            (i as usize, row)
        })
        .collect();
    let t = Instant::now();
    let report = app
        .service
        .import_accounts(&rows, None::<&partnerbot::slack::SlackApi>)
        .await?;
    println!(
        "import/{kind}: {} accounts imported in {:.2}s ({} refused)",
        report.created,
        t.elapsed().as_secs_f64(),
        report.rejected.len()
    );
    Ok(())
}

async fn bench(kind: &str, records: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = fresh_db(kind, &dir).await?;
    let store = Store::open(&url).await?;
    let started = Instant::now();
    let mut conn = sqlx::AnyConnection::connect(&url).await?;
    load(&mut conn, records).await?;
    if kind == "postgres" {
        // A database in steady state has been vacuumed: without this, autovacuum of the bulk
        // load (4 million index keys) runs during the checks and takes a core from them.
        sqlx::query("VACUUM (ANALYZE)").execute(&mut conn).await?;
    }
    let load_time = started.elapsed();
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM match_keys")
        .fetch_one(&mut conn)
        .await?;

    let emulator = Emulator::start().await?;
    let app = app_on(&url, store, &emulator)?;
    let queries = incoming(records);
    let (mut times, mut blocking) = (Vec::new(), 0);
    for (name, domain) in &queries {
        let t = Instant::now();
        let found = app.service.check_customer(name, domain.as_deref()).await?;
        times.push(t.elapsed());
        blocking += usize::from(
            found
                .iter()
                .any(|m| m.found.strength >= partnerbot::domain::matching::Strength::Medium),
        );
    }
    times.sort();
    let lines: String = queries
        .iter()
        .map(|(n, d)| format!("{}\n", serde_json::json!({ "name": n, "domain": d })))
        .collect();
    let t = Instant::now();
    let mut out = Vec::new();
    partnerbot::cli_accounts::check(&app.service, lines.as_bytes(), &mut out).await?;
    let file_time = t.elapsed();
    println!(
        "conflicts/{kind}: {records} records ({keys} index keys) loaded in {:.0}s; check per incoming customer p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({blocking} of 2000 found a strong/medium match); accounts check of a 2,000-line file {:.2}s = {:.0} lines/s",
        load_time.as_secs_f64(),
        pct(&times, 0.5),
        pct(&times, 0.99),
        times[times.len() - 1].as_secs_f64() * 1e3,
        file_time.as_secs_f64(),
        2000.0 / file_time.as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let records: u64 = std::env::var("PARTNERBOT_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let imported: u64 = std::env::var("PARTNERBOT_BENCH_IMPORT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let only = std::env::var("PARTNERBOT_BENCH_DB").ok();
    for kind in ["sqlite", "postgres"] {
        if only.as_deref().is_none_or(|o| o == kind) {
            import(kind, imported).await?;
            bench(kind, records).await?;
        }
    }
    Ok(())
}
