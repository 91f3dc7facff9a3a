//! Chat users' time zones as their platform reports them, cached with when they were read, and
//! whose zone stands for a partner's.

use super::Store;

impl Store {
    /// The cached time zone of `user` on `platform` and when it was read (epoch ms).
    pub async fn cached_time_zone(
        &self,
        platform: &str,
        user: &str,
    ) -> anyhow::Result<Option<(String, i64)>> {
        let query = sqlx::query_as::<_, (String, i64)>(
            "SELECT tz, fetched_at FROM user_time_zones WHERE platform = $1 AND user_id = $2",
        )
        .bind(platform)
        .bind(user);
        self.optional(query, "reading a cached time zone").await
    }

    /// Caches `tz` as the time zone of `user` on `platform`, read at `now_ms`.
    pub async fn cache_time_zone(
        &self,
        platform: &str,
        user: &str,
        tz: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let statement = sqlx::query(
            "INSERT INTO user_time_zones (platform, user_id, tz, fetched_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (platform, user_id) DO UPDATE SET tz = excluded.tz, fetched_at = excluded.fetched_at",
        )
        .bind(platform)
        .bind(user)
        .bind(tz)
        .bind(now_ms);
        self.run(statement, "caching a time zone").await?;
        Ok(())
    }

    /// The partner user seen most recently (whose working hours a nudge to the partner keeps).
    pub async fn latest_partner_user(&self, partner_id: i64) -> anyhow::Result<Option<String>> {
        let query = sqlx::query_as::<_, (String,)>(
            "SELECT user_id FROM partner_users WHERE partner_id = $1 ORDER BY last_seen_at DESC, user_id LIMIT 1",
        )
        .bind(partner_id);
        self.maybe_value(query, "finding a partner's latest user")
            .await
    }
}
