//! What the benchmarks share: a fresh Postgres schema of their own.

use sqlx::Connection;

/// A URL for a new, empty schema on the benchmark Postgres (`PARTNERBOT_TEST_POSTGRES` or the
/// local server); `.ci/run` drops `pbt_*` schemas left behind.
pub async fn postgres_schema() -> String {
    sqlx::any::install_default_drivers();
    let base = std::env::var("PARTNERBOT_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("pbt_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(&base)
        .await
        .expect("Postgres for the benchmark");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("schema");
    format!("{base}?options=-c%20search_path%3D{schema}")
}
