//! Deal progress: partners (their own deals) and internal users move the stage, amount, expected
//! close and products of an open deal; `stage=won` / `stage=lost` close it. Every change writes
//! an audit row and is posted in the deal's thread.

use super::{Actor, Service, ServiceResult};
use crate::domain::money::parse_currency;
use crate::domain::{Deal, DealError, Money, Stage};
use crate::store::AuditEntry;
use chrono::NaiveDate;
use serde_json::json;

/// What an update asks to change; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DealChanges {
    pub stage: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub close: Option<String>,
    pub products: Option<String>,
}

impl DealChanges {
    /// Reads `stage=… amount=… currency=… close=… products=…` (products takes the rest of the
    /// words up to the next `key=`, so it may contain spaces).
    pub fn parse(words: &[&str]) -> Result<DealChanges, DealError> {
        let mut changes = DealChanges::default();
        let mut i = 0;
        while i < words.len() {
            let Some((key, value)) = words[i].split_once('=') else {
                return Err(DealError::BadCommand(format!(
                    "I don't understand “{}”: use key=value, e.g. stage=proposal amount=60000",
                    words[i]
                )));
            };
            let slot = match key.to_ascii_lowercase().as_str() {
                "stage" => &mut changes.stage,
                "amount" => &mut changes.amount,
                "currency" => &mut changes.currency,
                "close" | "close_date" => &mut changes.close,
                "products" => {
                    let mut text = vec![value];
                    while i + 1 < words.len() && !words[i + 1].contains('=') {
                        i += 1;
                        text.push(words[i]);
                    }
                    changes.products = Some(text.join(" "));
                    i += 1;
                    continue;
                }
                // Win parameters are read by the win itself.
                "attribution" => {
                    i += 1;
                    continue;
                }
                other => return Err(DealError::BadCommand(format!("“{other}” is not something a deal has: use stage, amount, currency, close or products"))),
            };
            *slot = Some(value.to_string());
            i += 1;
        }
        Ok(changes)
    }
}

impl Service {
    /// `/deal update ID key=value…`.
    pub async fn update_deal(&self, actor: &Actor, args: &str) -> ServiceResult<String> {
        let words: Vec<&str> = args.split_whitespace().collect();
        let Some((id, rest)) = words.split_first() else {
            return Err(DealError::BadCommand(
                "Usage: `/deal update D-42 stage=proposal amount=60000 close=2027-03-31`".into(),
            )
            .into());
        };
        let deal = self.own_deal(actor, id).await?;
        let changes = DealChanges::parse(rest)?;
        self.apply_changes(actor, deal, &changes, "slack_command", args)
            .await
    }

    /// Applies changes to a deal (from the command or the "Update deal" modal).
    pub async fn apply_changes(
        &self,
        actor: &Actor,
        deal: Deal,
        changes: &DealChanges,
        surface: &str,
        raw: &str,
    ) -> ServiceResult<String> {
        match changes
            .stage
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("won") => return self.win(actor, deal, raw, surface).await,
            Some("lost") => return self.lose(actor, deal, surface).await,
            _ => {}
        }
        if *changes == DealChanges::default() {
            return Err(DealError::BadCommand(
                "Nothing to change: give stage=, amount=, close= or products=".into(),
            )
            .into());
        }
        let stage = match &changes.stage {
            Some(text) => Stage::parse(text).ok_or_else(|| {
                let names: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
                DealError::BadCommand(format!(
                    "“{text}” is not a stage: use one of {}, won or lost",
                    names.join(", ")
                ))
            })?,
            None => deal.stage,
        };
        let currency = match &changes.currency {
            Some(code) => parse_currency(code).ok_or_else(|| {
                DealError::BadCommand(format!("“{code}” is not an ISO-4217 currency code"))
            })?,
            None => deal.amount.currency(),
        };
        let amount = match &changes.amount {
            Some(text) => Money::parse(text, currency).map_err(DealError::BadCommand)?,
            None if currency != deal.amount.currency() => {
                return Err(DealError::BadCommand(
                    "Give the amount in the new currency too: amount=…".into(),
                )
                .into())
            }
            None => deal.amount,
        };
        let today = self.clock.now().date_naive();
        let close = match &changes.close {
            Some(text) => {
                let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    DealError::BadCommand(format!("“{text}” is not a date: use YYYY-MM-DD"))
                })?;
                if date < today {
                    return Err(DealError::BadCommand(format!(
                        "The expected close {date} is in the past; to record a win use stage=won"
                    ))
                    .into());
                }
                date
            }
            None => deal.close_date,
        };
        let products = changes
            .products
            .clone()
            .unwrap_or_else(|| deal.products.clone());
        if products.chars().count() > 500 {
            return Err(
                DealError::BadCommand("Products: keep it under 500 characters".into()).into(),
            );
        }
        let mut what = Vec::new();
        if stage != deal.stage {
            what.push(format!(
                "stage {} → {}",
                deal.stage.as_str(),
                stage.as_str()
            ));
        }
        if amount != deal.amount {
            what.push(format!("amount {} → {amount}", deal.amount));
        }
        if close != deal.close_date {
            what.push(format!("expected close {} → {close}", deal.close_date));
        }
        if products != deal.products {
            what.push(format!("products → {products}"));
        }
        if what.is_empty() {
            return Ok(format!("{} already has those values.", deal.id));
        }
        let partner = self
            .store
            .partner(deal.partner_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("deal without partner"))?;
        let text = format!("updated {}: {}.", deal.id, what.join("; "));
        let payload = self
            .in_thread(
                deal.id,
                "deal_confirmation",
                self.render
                    .notice_by(":arrow_forward:", &actor.user, &text)?,
            )
            .await?;
        let only_stage = what.len() == 1 && stage != deal.stage;
        let audit = AuditEntry {
            actor: &actor.user,
            surface,
            entity: "deal",
            action: if only_stage {
                "stage_changed"
            } else {
                "updated"
            },
            detail: json!({ "changes": what }),
        };
        let message = self.deal_message(&deal, "deal_update", &partner.slack_channel, payload);
        let done = self
            .store
            .update_progress(
                deal.id,
                stage.as_str(),
                &amount,
                &close.to_string(),
                &products,
                &audit,
                &[message],
                self.clock.now_ms(),
            )
            .await?;
        if !done {
            return Err(DealError::BadCommand(format!(
                "{} is {}, so it can no longer change.",
                deal.id,
                deal.status.label()
            ))
            .into());
        }
        self.wake_delivery();
        Ok(if only_stage {
            format!("{} is now at stage {}.", deal.id, stage.as_str())
        } else {
            format!("Updated {}: {}.", deal.id, what.join("; "))
        })
    }
}

impl Service {
    /// The deal an "Update deal" submission is about (the same permission as the form).
    pub async fn update_form_deal(&self, actor: &Actor, deal_id: &str) -> ServiceResult<Deal> {
        self.own_deal(actor, deal_id).await
    }

    /// The "Update deal" modal for a deal the actor may update.
    pub async fn update_form(
        &self,
        actor: &Actor,
        deal_id: &str,
    ) -> ServiceResult<serde_json::Value> {
        let deal = self.own_deal(actor, deal_id).await?;
        let metadata = json!({ "deal": deal.id.0, "channel": actor.channel }).to_string();
        Ok(self
            .render
            .deal_update_modal(&deal, &metadata, self.is_manager(&actor.user))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_read_key_values_and_products_with_spaces() {
        let c = DealChanges::parse(&[
            "stage=proposal",
            "products=Rocket",
            "skates,",
            "holes",
            "close=2027-03-01",
        ])
        .expect("parses");
        assert_eq!(c.stage.as_deref(), Some("proposal"));
        assert_eq!(c.products.as_deref(), Some("Rocket skates, holes"));
        assert_eq!(c.close.as_deref(), Some("2027-03-01"));
        assert!(DealChanges::parse(&["colour=red"]).is_err());
        assert!(DealChanges::parse(&["hello"]).is_err());
    }
}
