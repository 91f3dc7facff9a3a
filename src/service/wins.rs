//! Closing deals: a win records the final amount and close date, computes the commission from
//! the program's rules and writes the ledger, all in one transaction; a loss just closes.

use super::{Actor, Service, ServiceResult};
use crate::domain::commission::{compute, Attribution, Commission, Timing};
use crate::domain::money::parse_currency;
use crate::domain::{Deal, DealError, DealStatus, Money};
use crate::notice::{NoteAbout, Notice};
use crate::store::{AuditEntry, DealChange, LedgerEntry, OutboxMessage, Win};
use chrono::{Months, NaiveDate};
use serde_json::json;
use std::collections::BTreeMap;

/// Days a commission is held before it is payable, when the program does not say.
const DEFAULT_HOLD_DAYS: u32 = 30;

/// Statuses a partner may win from, and (explicitly) a manager.
const PARTNER_WINNABLE: [DealStatus; 1] = [DealStatus::Approved];
const MANAGER_WINNABLE: [DealStatus; 4] = [
    DealStatus::Approved,
    DealStatus::PendingReview,
    DealStatus::Conflict,
    DealStatus::Returned,
];

fn key_values(args: &str) -> BTreeMap<String, String> {
    args.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect()
}

/// The final amount, close date and attribution a win names (`amount=… close=… [currency=…]
/// [attribution=…]`); only internal users say what the partner did.
fn win_terms(
    kv: &BTreeMap<String, String>,
    deal: &Deal,
    manager: bool,
    today: NaiveDate,
) -> Result<(Money, NaiveDate, Attribution), DealError> {
    let currency = match kv.get("currency") {
        Some(code) => {
            parse_currency(code).ok_or_else(|| DealError::NotACurrency(code.to_string()))?
        }
        None => deal.amount.currency(),
    };
    let amount_text = kv.get("amount").ok_or_else(|| {
        DealError::BadCommand("A won deal needs its final amount: add amount=60000".into())
    })?;
    let amount = Money::parse(amount_text, currency).map_err(DealError::BadCommand)?;
    let close_text = kv.get("close").ok_or_else(|| {
        DealError::BadCommand(format!(
            "A won deal needs its close date: add close={today}"
        ))
    })?;
    let close = NaiveDate::parse_from_str(close_text, "%Y-%m-%d")
        .map_err(|_| DealError::NotADate(close_text.to_string()))?;
    if close > today {
        return Err(DealError::BadCommand(format!(
            "The close date {close} is in the future: a won deal has closed."
        )));
    }
    // Partners' own wins count as sourced; internal users say what the partner did.
    let attribution = match (manager, kv.get("attribution")) {
        (true, Some(text)) => Attribution::parse(text).ok_or_else(|| {
            DealError::BadCommand(format!(
                "“{text}” is not an attribution: use sourced, co_sold or influenced"
            ))
        })?,
        (true, None) => {
            return Err(DealError::BadCommand(
                "Say what the partner did: attribution=sourced, co_sold or influenced".into(),
            ))
        }
        (false, _) => Attribution::Sourced,
    };
    Ok((amount, close, attribution))
}

/// The statuses `deal` may be won from by this person, or why it cannot be won now.
fn winnable_from(deal: &Deal, manager: bool) -> Result<&'static [DealStatus], DealError> {
    let allowed: &'static [DealStatus] = if manager {
        &MANAGER_WINNABLE
    } else {
        &PARTNER_WINNABLE
    };
    if allowed.contains(&deal.status) {
        return Ok(allowed);
    }
    let why = if manager {
        "it is closed".to_string()
    } else {
        format!("it is {}: only approved registrations can be won; a partner manager can record this win", deal.status.label())
    };
    Err(DealError::BadCommand(format!(
        "{} cannot be won now: {why}.",
        deal.id
    )))
}

/// The ledger rows of a commission: one per instalment, a month apart from `first_payable`.
fn ledger_entries(commission: &Commission, first_payable: NaiveDate) -> Vec<LedgerEntry> {
    commission
        .instalments
        .iter()
        .enumerate()
        .map(|(i, amount)| LedgerEntry {
            instalment: u32::try_from(i + 1).unwrap_or(u32::MAX),
            amount: *amount,
            payable_from: first_payable
                .checked_add_months(Months::new(u32::try_from(i).unwrap_or(0)))
                .unwrap_or(first_payable),
        })
        .collect()
}

impl Service {
    /// `/deal update ID stage=won amount=… close=YYYY-MM-DD [currency=…] [attribution=…]`.
    pub(super) async fn win(
        &self,
        actor: &Actor,
        deal: Deal,
        args: &str,
        surface: &str,
    ) -> ServiceResult<String> {
        let manager = self.is_manager(&actor.user);
        let allowed = winnable_from(&deal, manager)?;
        let today = self.clock.now().date_naive();
        let (amount, close, attribution) = win_terms(&key_values(args), &deal, manager, today)?;
        let partner = self.partner_of_deal(&deal).await?;
        let commission = self.commission_of(&deal, &partner, amount, attribution)?;
        let hold = self.program.commissions.hold_days;
        let first_payable =
            close + chrono::Duration::days(hold.unwrap_or(DEFAULT_HOLD_DAYS).into());
        let entries = ledger_entries(&commission, first_payable);
        let won = Deal {
            status: DealStatus::Won,
            amount,
            close_date: close,
            ..deal.clone()
        };
        let calc = commission.calculation.as_str();
        let messages =
            self.commission_messages(&won, &partner, &commission, &entries, first_payable);
        let audit = AuditEntry {
            actor: &actor.user,
            surface,
            entity: "deal",
            action: "won",
            detail: json!({ "amount": amount.to_string(), "close_date": close.to_string(), "attribution": attribution.as_str(), "commission": commission.amount.to_string(), "calculation": calc }),
        };
        let win = Win {
            amount,
            close_date: close,
            attribution: attribution.as_str(),
            calculation: calc,
            entries: &entries,
        };
        let now = self.clock.now_ms();
        self.store
            .win_deal(deal.id, allowed, &win, &audit, &messages, now)
            .await?
            .ok_or(DealError::ChangedMeanwhile(deal.id))?;
        self.wake_delivery();
        Ok(format!(
            "{} is won. Commission: {calc}, payable from {first_payable}.",
            deal.id
        ))
    }

    /// The commission on `amount` for `deal` under the program's rules.
    fn commission_of(
        &self,
        deal: &Deal,
        partner: &crate::domain::Partner,
        amount: Money,
        attribution: Attribution,
    ) -> ServiceResult<Commission> {
        let rules = super::commission_rules::commission_rules(&self.program.commissions)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let timing = deal.timing.unwrap_or(Timing::from_stage(
            deal.registered_stage.unwrap_or(deal.stage),
        ));
        Ok(compute(
            amount,
            partner.partner_type,
            timing,
            attribution,
            partner.tier.as_str(),
            &rules,
        )
        .map_err(|e| DealError::BadCommand(e.to_string()))?)
    }

    /// The partner's commission notice (in the deal's thread) and finance's statement.
    fn commission_messages(
        &self,
        won: &Deal,
        partner: &crate::domain::Partner,
        commission: &Commission,
        entries: &[LedgerEntry],
        first_payable: NaiveDate,
    ) -> [OutboxMessage; 2] {
        let notice = |partner_name| Notice::CommissionNotice {
            deal: won.clone(),
            calculation: commission.calculation.clone(),
            commission: commission.amount,
            payable_from: first_payable,
            instalments: entries.len(),
            partner_name,
        };
        let to_partner = self.in_thread("deal_confirmation", notice(None));
        let finance_channel = self.program.finance_conversation();
        let to_finance = notice(Some(partner.name.clone()));
        [
            self.deal_message(won, "commission_notice", &partner.conversation, to_partner),
            self.deal_message(won, "commission_statement", &finance_channel, to_finance),
        ]
    }

    /// `/deal update ID stage=lost`: closes an open deal without a commission.
    pub(super) async fn lose(
        &self,
        actor: &Actor,
        deal: Deal,
        surface: &str,
    ) -> ServiceResult<String> {
        if !MANAGER_WINNABLE.contains(&deal.status) {
            let lost = "cannot be closed as lost";
            return Err(DealError::StatusRulesOut(deal.id, deal.status, lost).into());
        }
        let partner = self.partner_of_deal(&deal).await?;
        let text = format!("closed {} as lost.", deal.id);
        let note = self.in_thread(
            "deal_confirmation",
            Notice::note(NoteAbout::Lost, Some(&actor.user), text),
        );
        let audit = AuditEntry {
            actor: &actor.user,
            surface,
            entity: "deal",
            action: "lost",
            detail: json!({ "from": deal.status.as_str() }),
        };
        let messages = [self.deal_message(&deal, "deal_lost", &partner.conversation, note)];
        if !self
            .store
            .change_deal_once(
                deal.id,
                DealChange::CloseLost {
                    from: deal.status,
                    closed: &self.clock.now().date_naive().to_string(),
                },
                &audit,
                &messages,
                self.clock.now_ms(),
            )
            .await?
        {
            return Err(DealError::ChangedMeanwhile(deal.id).into());
        }
        self.wake_delivery();
        Ok(format!("{} is closed as lost.", deal.id))
    }

    /// Moves commissions whose hold ended by `today` to payable; returns how many.
    pub async fn release_commissions(&self, today: NaiveDate) -> anyhow::Result<usize> {
        Ok(self.store.release_payable(today).await?.len())
    }

    /// Finance marks payable commissions paid (managers in a chat, or the command line); each
    /// partner is told. Returns a summary naming what was paid and what was not payable.
    pub async fn pay_commissions(&self, by: &str, ids: &[i64]) -> ServiceResult<String> {
        if by != "cli" && !self.is_manager(by) {
            return Err(DealError::NotManager.into());
        }
        let paid = self.store.mark_paid(ids, by, self.clock.now_ms()).await?;
        let mut messages = Vec::new();
        for row in &paid {
            let Some(deal) = self.store.deal(crate::domain::DealId(row.deal_id)).await? else {
                continue;
            };
            let partner = self.partner_of_deal(&deal).await?;
            let amount = Money::from_minor(row.amount_minor, &row.currency)
                .map_or_else(String::new, |m| m.to_string());
            let text = format!(
                "Commission C-{} for {} · {} ({amount}) has been paid.",
                row.id, deal.id, deal.company
            );
            let payload = self.in_thread(
                "deal_confirmation",
                Notice::note(NoteAbout::CommissionPaid, None, text),
            );
            messages.push(self.deal_message(
                &deal,
                "commission_paid",
                &partner.conversation,
                payload,
            ));
        }
        self.store.enqueue(&messages, self.clock.now_ms()).await?;
        self.wake_delivery();
        let done: Vec<String> = paid.iter().map(|r| format!("C-{}", r.id)).collect();
        let skipped: Vec<String> = ids
            .iter()
            .filter(|id| !paid.iter().any(|r| r.id == **id))
            .map(|id| format!("C-{id}"))
            .collect();
        let mut summary = if done.is_empty() {
            "Nothing was marked paid.".to_string()
        } else {
            format!("Marked paid: {}.", done.join(", "))
        };
        if !skipped.is_empty() {
            summary.push_str(&format!(
                " Not payable (unknown, still held, or already paid): {}.",
                skipped.join(", ")
            ));
        }
        Ok(summary)
    }

    /// `/deal commissions`: the caller's partner's totals per currency; a manager outside a
    /// partner channel sees everyone's.
    pub async fn commission_summary(&self, actor: &Actor) -> ServiceResult<super::Answer> {
        let (partner, title) = match self.partner_of(actor).await {
            Ok(p) => (Some(p.id), format!("Commissions of {}", p.name)),
            Err(super::ServiceError::Rejected(DealError::NotLinked))
                if self.is_manager(&actor.user) =>
            {
                (None, "Commissions of all partners".to_string())
            }
            Err(e) => return Err(e),
        };
        let mut by_currency: BTreeMap<String, [i64; 3]> = BTreeMap::new();
        for total in self.store.commission_totals(partner).await? {
            by_currency.entry(total.currency).or_default()[total.status.index()] +=
                total.amount_minor;
        }
        let show = |minor: i64, code: &str| {
            Money::from_minor(minor, code).map_or_else(|| minor.to_string(), |m| m.to_string())
        };
        let rows = by_currency
            .iter()
            .map(|(c, [pe, pa, pd])| super::CurrencyTotals {
                currency: c.clone(),
                pending: show(*pe, c),
                payable: show(*pa, c),
                paid: show(*pd, c),
            })
            .collect();
        Ok(super::Answer::CommissionTotals { title, rows })
    }
}
