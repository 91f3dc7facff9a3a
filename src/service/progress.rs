//! Deal progress: partners (their own deals) and internal users move the stage, amount, expected
//! close and products of an open deal; `stage=won` / `stage=lost` close it. Every change writes
//! an audit row and is posted in the deal's thread.

use super::{Actor, Answer, Service, ServiceResult};
use crate::chat::Via;
use crate::domain::money::parse_currency;
use crate::domain::{Deal, DealError, DealId, Money, Stage};
use crate::notice::{NoteAbout, Notice};
use crate::store::{AuditEntry, DealChange};
use chrono::NaiveDate;
use serde_json::json;

pub use crate::intent::DealChanges;

/// A deal's values after an update: what changed, the rest as they were.
struct NewValues {
    stage: Stage,
    amount: Money,
    close: NaiveDate,
    products: String,
}

/// Reads and checks `changes` against `deal` as of `today`.
fn new_values(
    deal: &Deal,
    changes: &DealChanges,
    today: NaiveDate,
) -> Result<NewValues, DealError> {
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
        Some(code) => {
            parse_currency(code).ok_or_else(|| DealError::NotACurrency(code.to_string()))?
        }
        None => deal.amount.currency(),
    };
    let amount = match &changes.amount {
        Some(text) => Money::parse(text, currency).map_err(DealError::BadCommand)?,
        None if currency != deal.amount.currency() => {
            return Err(DealError::BadCommand(
                "Give the amount in the new currency too: amount=…".into(),
            ))
        }
        None => deal.amount,
    };
    let close = match &changes.close {
        Some(text) => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| DealError::NotADate(text.to_string()))?;
            if date < today {
                return Err(DealError::BadCommand(format!(
                    "The expected close {date} is in the past; to record a win use stage=won"
                )));
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
        return Err(DealError::BadCommand(
            "Products: keep it under 500 characters".into(),
        ));
    }
    Ok(NewValues {
        stage,
        amount,
        close,
        products,
    })
}

/// Each change in words ("stage a → b"), in a fixed order.
fn what_changed(
    deal: &Deal,
    stage: Stage,
    amount: Money,
    close: NaiveDate,
    products: &str,
) -> Vec<String> {
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
    what
}

impl Service {
    /// `/deal update ID key=value…`: `raw` is the text after `update` (a win reads it again).
    pub async fn update_deal(
        &self,
        actor: &Actor,
        id: DealId,
        changes: &DealChanges,
        raw: &str,
    ) -> ServiceResult<String> {
        let deal = self.own_deal(actor, id).await?;
        self.apply_changes(actor, deal, changes, actor.surface(Via::Command), raw)
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
        let new = new_values(&deal, changes, self.clock.now().date_naive())?;
        let what = what_changed(&deal, new.stage, new.amount, new.close, &new.products);
        if what.is_empty() {
            return Ok(format!("{} already has those values.", deal.id));
        }
        self.save_changes(actor, &deal, &new, &what, surface).await
    }

    /// Stores an update with its audit row and the note in the deal's thread.
    async fn save_changes(
        &self,
        actor: &Actor,
        deal: &Deal,
        new: &NewValues,
        what: &[String],
        surface: &str,
    ) -> ServiceResult<String> {
        let partner = self.partner_of_deal(deal).await?;
        let text = format!("updated {}: {}.", deal.id, what.join("; "));
        let payload = self.in_thread(
            "deal_confirmation",
            Notice::note(NoteAbout::DealUpdated, Some(&actor.user), text),
        );
        let only_stage = what.len() == 1 && new.stage != deal.stage;
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
        let message = self.deal_message(deal, "deal_update", &partner.conversation, payload);
        let done = self
            .store
            .change_deal_once(
                deal.id,
                DealChange::Progress {
                    stage: new.stage.as_str(),
                    amount: &new.amount,
                    close: &new.close.to_string(),
                    products: &new.products,
                },
                &audit,
                &[message],
                self.clock.now_ms(),
            )
            .await?;
        if !done {
            let no_more = "can no longer change";
            return Err(DealError::StatusRulesOut(deal.id, deal.status, no_more).into());
        }
        self.wake_delivery();
        Ok(if only_stage {
            format!("{} is now at stage {}.", deal.id, new.stage.as_str())
        } else {
            format!("Updated {}: {}.", deal.id, what.join("; "))
        })
    }
}

impl Service {
    /// The deal an "Update deal" submission is about (the same permission as the form).
    pub async fn update_form_deal(&self, actor: &Actor, deal_id: DealId) -> ServiceResult<Deal> {
        self.own_deal(actor, deal_id).await
    }

    /// The "Update deal" form for the deal whose thread starts at `root` (a message id) in
    /// the actor's conversation; a refusal when that message is not one of a deal's.
    pub async fn update_form_in_thread(&self, actor: &Actor, root: &str) -> ServiceResult<Answer> {
        let conversation = actor.conversation();
        let deal = self
            .store
            .deal_of_message(conversation.platform, &conversation.id, root)
            .await?
            .ok_or(DealError::NotADealThread)?;
        self.update_form(actor, DealId(deal)).await
    }

    /// The "Update deal" form for a deal the actor may update.
    pub async fn update_form(&self, actor: &Actor, deal_id: DealId) -> ServiceResult<Answer> {
        let deal = self.own_deal(actor, deal_id).await?;
        Ok(Answer::UpdateForm {
            internal: self.is_manager(&actor.user),
            metadata: form_metadata(&deal, actor),
            deal,
        })
    }
}

/// What the update and extension forms carry through the chat platform and back: the deal,
/// and the conversation the form was opened from.
pub(super) fn form_metadata(deal: &Deal, actor: &Actor) -> String {
    json!({ "deal": deal.id.0, "channel": actor.channel }).to_string()
}
