//! Nudging quiet partners before they are lost, and telling their manager when they stay quiet.

use super::Service;
use crate::chat::ChatUser;
use crate::domain::nudge::{decide, sendable, NudgeAction, NudgeRules};
use crate::domain::Partner;
use crate::notice::Notice;
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use std::str::FromStr;

const MS_PER_DAY: i64 = 24 * 3600 * 1000;

impl Service {
    /// Pauses or resumes partner `partner` (no nudges or surveys while paused), recording who
    /// did it; false when there is no such partner.
    pub async fn set_partner_paused(
        &self,
        actor: &str,
        surface: &str,
        partner: crate::domain::PartnerId,
        paused: bool,
    ) -> anyhow::Result<bool> {
        self.store
            .set_paused(partner.0, paused, actor, surface, self.clock.now_ms())
            .await
    }

    fn nudge_rules(&self) -> anyhow::Result<NudgeRules> {
        let cfg = &self.program.nudges;
        let (start, end) = cfg.working_hours.split_once('-').ok_or_else(|| {
            anyhow::anyhow!(
                "nudges.working_hours “{}” is not HH:MM-HH:MM",
                cfg.working_hours
            )
        })?;
        let time = |t: &str| {
            NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .map_err(|_| anyhow::anyhow!("nudges.working_hours: “{t}” is not HH:MM"))
        };
        Ok(NudgeRules {
            after_days: i64::from(cfg.after_days),
            alert_after_days: i64::from(cfg.alert_after_days),
            cap_days: i64::from(cfg.cap_days),
            work_start: time(start)?,
            work_end: time(end)?,
        })
    }

    /// A partner's time zone: the program file's (`[nudges.partner_timezones]`), else the one
    /// their most recently seen user set on their platform, else `[nudges].timezone`.
    async fn partner_tz(&self, partner: &Partner, now: DateTime<Utc>) -> Tz {
        let cfg = &self.program.nudges;
        let configured = cfg.partner_timezones.get(&partner.name);
        if let Some(tz) = configured.and_then(|z| Tz::from_str(z).ok()) {
            return tz;
        }
        let person = self
            .store
            .latest_partner_user(partner.id.0)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(partner = %partner.name, error = format!("{e:#}"), "could not find the partner's users");
                None
            });
        match person {
            Some(id) => {
                let user = ChatUser {
                    platform: partner.conversation.platform,
                    id,
                    workspace: partner.workspace.clone(),
                };
                self.zone_of(&user, None, &cfg.timezone, now).await
            }
            None => Tz::from_str(&cfg.timezone).unwrap_or(Tz::UTC),
        }
    }

    /// The nudge job as of `now`: quiet partners in their working hours get a nudge; those quiet
    /// past the alert threshold are reported to their manager instead; at most one per cap
    /// period; paused partners never. Returns a summary.
    pub async fn nudge_quiet_partners(&self, now: DateTime<Utc>) -> anyhow::Result<String> {
        let rules = self.nudge_rules()?;
        let partners = self.store.partners().await?;
        let now_ms = now.timestamp_millis();
        let (mut nudged, mut alerted) = (0, 0);
        for activity in self.store.partner_activity().await? {
            let id = activity.partner_id;
            let Some(partner) = partners.iter().find(|p| p.id.0 == id) else {
                continue;
            };
            let quiet_days = activity.quiet_days(now_ms);
            let last_sent = self
                .store
                .last_nudge(id)
                .await?
                .map(|at| (now_ms - at) / MS_PER_DAY);
            let action = decide(quiet_days, last_sent, partner.paused, &rules);
            if action == NudgeAction::Nothing
                || !sendable(now, self.partner_tz(partner, now).await, &rules)
            {
                continue;
            }
            let alert = action == NudgeAction::AlertManager;
            let channel = if alert {
                match partner.manager_user {
                    Some(_) => self.partner_manager(partner).map(|m| m.direct()),
                    None => None,
                }
                .unwrap_or_else(|| self.program.managers_conversation())
            } else {
                partner.conversation.clone()
            };
            let notice = Notice::Nudge {
                partner_name: partner.name.clone(),
                partner_conversation: partner.conversation.id.clone(),
                quiet_days,
                news: self.program.nudges.news.clone(),
                alert,
            };
            let kind = if alert { "alert" } else { "nudge" };
            let message = super::message_to(&format!("quiet_{kind}"), &channel, notice);
            self.store
                .record_nudge(
                    id,
                    kind,
                    quiet_days,
                    &[message],
                    now_ms,
                    self.clock.now_ms(),
                )
                .await?;
            if alert {
                alerted += 1;
            } else {
                nudged += 1;
            }
        }
        self.wake_delivery();
        Ok(format!("{nudged} nudged, {alerted} manager alert(s)"))
    }

    /// How many partners were nudged since `since`, and how many registered again within 14 days.
    pub async fn reactivation_since(
        &self,
        since: DateTime<Utc>,
    ) -> anyhow::Result<crate::store::Reactivation> {
        self.store.reactivation(since.timestamp_millis()).await
    }
}
