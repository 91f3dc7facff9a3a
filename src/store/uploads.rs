//! Files uploaded for outbox rows: the Slack file an image block of the row's message shows,
//! recorded before the message is posted so every retry of the row reuses it.

use super::Store;
use anyhow::Context;

impl Store {
    /// The file recorded for outbox row `outbox_id`, if one was uploaded for it.
    pub async fn uploaded_file(&self, outbox_id: i64) -> anyhow::Result<Option<String>> {
        let query = sqlx::query_as::<_, (String,)>(
            "SELECT file_id FROM slack_uploads WHERE outbox_id = $1",
        )
        .bind(outbox_id);
        self.maybe_value(query, "reading the file uploaded for an outbox row")
            .await
    }

    /// Records `file_id` as the file of outbox row `outbox_id`; the file to use from now on,
    /// which is the one recorded first when two attempts raced.
    pub async fn record_uploaded_file(
        &self,
        outbox_id: i64,
        file_id: &str,
        now_ms: i64,
    ) -> anyhow::Result<String> {
        let statement = sqlx::query(
            "INSERT INTO slack_uploads (outbox_id, file_id, uploaded_at) VALUES ($1, $2, $3) \
             ON CONFLICT (outbox_id) DO NOTHING",
        )
        .bind(outbox_id)
        .bind(file_id)
        .bind(now_ms);
        self.run(statement, "recording the file uploaded for an outbox row")
            .await?;
        self.uploaded_file(outbox_id)
            .await?
            .context("the uploaded file's record vanished")
    }
}
