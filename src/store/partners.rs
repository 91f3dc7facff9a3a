//! Partners and the people seen acting for them.

use super::outbox::OutboxMessage;
use super::statements::finish;
use super::{on_unique, AuditEntry, Store, StoreError};
use crate::chat::{Conversation, Platform};
use crate::domain::tier::Tier;
use crate::domain::{Partner, PartnerId, PartnerType};
use anyhow::Context;
use chrono::DateTime;

/// A partner to link to a shared channel.
#[derive(Debug, Clone)]
pub struct NewPartner {
    pub name: String,
    pub partner_type: PartnerType,
    pub conversation: Conversation,
    pub workspace: Option<String>,
    pub manager_user: Option<String>,
    /// The starting tier (registered until tiers are computed).
    pub tier: Tier,
}

#[derive(sqlx::FromRow)]
struct PartnerRow {
    id: i64,
    name: String,
    partner_type: String,
    tier: String,
    platform: String,
    conversation: String,
    workspace: Option<String>,
    manager_user: Option<String>,
    paused: i64,
    created_at: i64,
}

const PARTNER_COLUMNS: &str =
    "id, name, partner_type, tier, platform, conversation, workspace, manager_user, paused, created_at";

impl TryFrom<PartnerRow> for Partner {
    type Error = anyhow::Error;

    fn try_from(row: PartnerRow) -> anyhow::Result<Partner> {
        Ok(Partner {
            id: PartnerId(row.id),
            partner_type: row
                .partner_type
                .parse()
                .map_err(anyhow::Error::msg)
                .context("stored partner type")?,
            name: row.name,
            tier: Tier::try_from(row.tier)
                .map_err(anyhow::Error::msg)
                .context("stored partner tier")?,
            conversation: Conversation::new(
                Platform::parse(&row.platform)
                    .with_context(|| format!("stored partner platform “{}”", row.platform))?,
                row.conversation,
            ),
            workspace: row.workspace,
            manager_user: row.manager_user,
            paused: row.paused != 0,
            created_at: DateTime::from_timestamp_millis(row.created_at)
                .context("stored partner time")?,
        })
    }
}

impl Store {
    /// Links a new partner to its channel, with an audit row, in one transaction.
    /// Refuses a second partner on the same channel or with the same name.
    pub async fn add_partner(
        &self,
        new: &NewPartner,
        audit: &AuditEntry<'_>,
        now_ms: i64,
        messages: impl FnOnce(&Partner) -> anyhow::Result<Vec<OutboxMessage>>,
    ) -> Result<Partner, StoreError> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        let row = sqlx::query_as::<_, PartnerRow>(&format!(
            "INSERT INTO partners (name, partner_type, platform, conversation, workspace, manager_user, created_at, created_by, tier) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {PARTNER_COLUMNS}"
        ))
        .bind(&new.name)
        .bind(new.partner_type.as_str())
        .bind(new.conversation.platform.as_str())
        .bind(&new.conversation.id)
        .bind(new.workspace.as_deref())
        .bind(new.manager_user.as_deref())
        .bind(now_ms)
        .bind(audit.actor)
        .bind(new.tier.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| on_unique(e, || format!("A partner named “{}” or linked to channel {} already exists", new.name, new.conversation)))?;
        let entity_id = row.id;
        let partner = Partner::try_from(row)?;
        let messages = messages(&partner)?;
        finish(
            tx,
            Some((audit, entity_id)),
            &messages,
            now_ms,
            "the new partner",
        )
        .await?;
        Ok(partner)
    }

    /// Every partner, by name.
    pub async fn partners(&self) -> anyhow::Result<Vec<Partner>> {
        let sql = format!("SELECT {PARTNER_COLUMNS} FROM partners ORDER BY lower(name)");
        let query = sqlx::query_as::<_, PartnerRow>(&sql);
        let rows = self.all(query, "listing partners").await?;
        rows.into_iter().map(Partner::try_from).collect()
    }

    /// The partner linked to a shared channel.
    pub async fn partner_by_channel(&self, channel: &str) -> anyhow::Result<Option<Partner>> {
        let sql = format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE conversation = $1");
        let query = sqlx::query_as::<_, PartnerRow>(&sql).bind(channel);
        let row = self
            .optional(query, "looking up the partner of a channel")
            .await?;
        row.map(Partner::try_from).transpose()
    }

    /// The partner a Slack user has acted for (used outside the shared channel, e.g. in a DM).
    /// A user seen for several partners is ambiguous and gets `None`.
    pub async fn partner_of_user(&self, user: &str) -> anyhow::Result<Option<Partner>> {
        let sql = format!(
            "SELECT {} FROM partners p JOIN partner_users u ON u.partner_id = p.id WHERE u.user_id = $1 LIMIT 2",
            PARTNER_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
        );
        let query = sqlx::query_as::<_, PartnerRow>(&sql).bind(user);
        let rows = self.all(query, "looking up the partner of a user").await?;
        if rows.len() == 1 {
            rows.into_iter().next().map(Partner::try_from).transpose()
        } else {
            Ok(None)
        }
    }

    /// One partner by id.
    pub async fn partner(&self, id: PartnerId) -> anyhow::Result<Option<Partner>> {
        let sql = format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE id = $1");
        let query = sqlx::query_as::<_, PartnerRow>(&sql).bind(id.0);
        let row = self.optional(query, "loading a partner").await?;
        row.map(Partner::try_from).transpose()
    }
}
