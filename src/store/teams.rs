//! Teams conversation references (migration 0023): where the bot can reach a conversation
//! (service URL, tenant, type) and a person (their Teams id, Entra object id and 1:1), kept
//! current from every authenticated inbound activity. Proactive messages read them.

use super::statements::run_on;
use super::Store;
use anyhow::Context;

/// What an inbound activity tells about where the bot can be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamsSighting {
    /// The conversation id (any `;messageid=` suffix is dropped when stored).
    pub conversation_id: String,
    pub conversation_type: String,
    pub tenant_id: String,
    pub service_url: String,
    /// The people seen in it (the sender, members added): their Teams and Entra ids.
    pub users: Vec<TeamsPerson>,
}

/// A person as Teams names them to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamsPerson {
    /// The bot-specific id (`29:…`).
    pub id: String,
    pub aad_object_id: Option<String>,
}

/// A stored conversation reference.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TeamsConversation {
    pub conversation_id: String,
    pub service_url: String,
    pub tenant_id: String,
    pub conversation_type: String,
    pub updated_at: i64,
}

/// A stored reference to a person.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TeamsUser {
    pub user_id: String,
    pub aad_object_id: Option<String>,
    pub service_url: String,
    pub tenant_id: String,
    /// Their 1:1 conversation with the bot, once seen.
    pub personal_conversation: Option<String>,
    pub updated_at: i64,
}

/// `id` without a reply chain's `;messageid=…`.
pub fn base_conversation(id: &str) -> &str {
    id.split(';').next().unwrap_or(id)
}

impl Store {
    /// Records (or refreshes) the references `seen` gives, in one transaction.
    pub async fn record_teams_sighting(
        &self,
        seen: &TeamsSighting,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let conversation = base_conversation(&seen.conversation_id);
        let personal = (seen.conversation_type == "personal").then_some(conversation);
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let statement = sqlx::query(
            "INSERT INTO teams_conversations (conversation_id, service_url, tenant_id, conversation_type, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (conversation_id) DO UPDATE SET service_url = excluded.service_url,
               tenant_id = excluded.tenant_id, conversation_type = excluded.conversation_type,
               updated_at = excluded.updated_at",
        )
        .bind(conversation)
        .bind(&seen.service_url)
        .bind(&seen.tenant_id)
        .bind(&seen.conversation_type)
        .bind(now_ms);
        run_on(
            &mut tx,
            statement,
            "recording a Teams conversation reference",
        )
        .await?;
        for user in &seen.users {
            let statement = sqlx::query(
                "INSERT INTO teams_users (user_id, aad_object_id, service_url, tenant_id, personal_conversation, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (user_id) DO UPDATE SET
                   aad_object_id = COALESCE(excluded.aad_object_id, teams_users.aad_object_id),
                   service_url = excluded.service_url, tenant_id = excluded.tenant_id,
                   personal_conversation = COALESCE(excluded.personal_conversation, teams_users.personal_conversation),
                   updated_at = excluded.updated_at",
            )
            .bind(&user.id)
            .bind(user.aad_object_id.as_deref())
            .bind(&seen.service_url)
            .bind(&seen.tenant_id)
            .bind(personal)
            .bind(now_ms);
            run_on(&mut tx, statement, "recording a Teams user reference").await?;
        }
        tx.commit().await.context("committing Teams references")
    }

    /// The reference of conversation `id` (a reply chain's id finds its channel).
    pub async fn teams_conversation(&self, id: &str) -> anyhow::Result<Option<TeamsConversation>> {
        let query = sqlx::query_as(
            "SELECT conversation_id, service_url, tenant_id, conversation_type, updated_at
             FROM teams_conversations WHERE conversation_id = $1",
        )
        .bind(base_conversation(id));
        self.optional(query, "reading a Teams conversation reference")
            .await
    }

    /// The person whose Teams id (`29:…`) or Entra object id is `id`; the most recently seen
    /// when an object id was seen under several Teams ids.
    pub async fn teams_user(&self, id: &str) -> anyhow::Result<Option<TeamsUser>> {
        let query = sqlx::query_as(
            "SELECT user_id, aad_object_id, service_url, tenant_id, personal_conversation, updated_at
             FROM teams_users WHERE user_id = $1 OR aad_object_id = $1
             ORDER BY (user_id = $1) DESC, updated_at DESC LIMIT 1",
        )
        .bind(id);
        self.optional(query, "reading a Teams user reference").await
    }
}
