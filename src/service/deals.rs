//! Registering, listing and showing deals.

use super::{Actor, Answer, Hint, Service, ServiceError, ServiceResult};
use crate::chat::{ChatUser, Conversation, SourceMessage, Via};
use crate::domain::commission::Timing;
use crate::domain::deal::Surface;
use crate::domain::engagement::{is_protected, AeChoice, Holder, Verdict};
use crate::domain::matching::{exact_keys, index_keys, Candidate, Strength};
use crate::domain::{Deal, DealDraft, DealError, DealId, DealStatus, Partner};
use crate::notice::{MatchedRecord, Notice};
use crate::service::accounts::FoundMatch;
use crate::store::{AuditEntry, DealFilter, IndexedRecord, RecordKind};
use crate::store::{Created, OutboxMessage, Registration};
use serde_json::json;

/// How many deals `/deal list` shows before "…and N older".
const LIST_LIMIT: i64 = 20;

/// A registration that was stored (or found, for a repeated submission or a customer the
/// partner already holds).
#[derive(Debug, Clone)]
pub struct Registered {
    pub deal: Deal,
    pub partner: Partner,
    /// The same submission arrived again (a retry): `deal` is what it created the first time.
    pub repeated: bool,
    /// The partner already holds this customer in an open registration: `deal` is that one,
    /// and nothing new was stored.
    pub own_duplicate: bool,
}

/// What the registration form carries through the chat platform and back.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ModalMetadata {
    /// The channel `/deal` was typed in.
    pub channel: String,
    /// The returned registration being corrected, when this is a resubmission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal: Option<i64>,
    /// The message the form was opened from, when it was (a message shortcut).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceMessage>,
}

impl Service {
    /// The registration modal for `actor`, or a refusal when they act for no partner.
    pub async fn registration_form(&self, actor: &Actor) -> ServiceResult<Answer> {
        let partner = self.partner_of(actor).await?;
        let channel = actor
            .channel
            .clone()
            .unwrap_or_else(|| partner.conversation.id.clone());
        let metadata = serde_json::to_string(&ModalMetadata {
            channel,
            deal: None,
            source: None,
        })
        .map_err(anyhow::Error::from)?;
        Ok(Answer::RegistrationForm {
            partner_name: partner.name,
            metadata,
            today: self.clock.now().date_naive(),
            prefill: None,
            suggested: None,
        })
    }

    /// The registration modal opened from a message describing an opportunity: filled with
    /// what the message `text` suggests, and carrying `source` so the registration's audit row
    /// links the message.
    pub async fn registration_form_from(
        &self,
        actor: &Actor,
        text: &str,
        source: SourceMessage,
    ) -> ServiceResult<Answer> {
        let partner = self.partner_of(actor).await?;
        let today = self.clock.now().date_naive();
        let metadata = serde_json::to_string(&ModalMetadata {
            channel: source.conversation.clone(),
            deal: None,
            source: Some(source),
        })
        .map_err(anyhow::Error::from)?;
        Ok(Answer::RegistrationForm {
            partner_name: partner.name,
            metadata,
            today,
            prefill: None,
            suggested: Some(crate::intent::message::hints(text, today)),
        })
    }

    /// Validates and stores a registration with its audit row, the partner's confirmation and
    /// the managers' review card, atomically. `key` makes a repeated submission idempotent.
    pub async fn register(
        &self,
        actor: &Actor,
        draft: &DealDraft,
        surface: Surface,
        key: Option<String>,
    ) -> ServiceResult<Registered> {
        self.register_from(actor, draft, surface, key, None).await
    }

    /// [`Service::register`] of a form opened from the chat message `source`, which the audit
    /// row records.
    #[tracing::instrument(skip_all, fields(user = %actor.user, partner_id, deal_id))]
    pub async fn register_from(
        &self,
        actor: &Actor,
        draft: &DealDraft,
        surface: Surface,
        key: Option<String>,
        source: Option<SourceMessage>,
    ) -> ServiceResult<Registered> {
        let partner = self.partner_of(actor).await?;
        tracing::Span::current().record("partner_id", partner.id.0);
        let now = self.clock.now();
        let deal = draft
            .validate(
                now.date_naive(),
                &self.program.program.default_currency,
                surface,
            )
            .map_err(DealError::Invalid)?;
        let timing = match draft.timing.trim() {
            "" => Timing::from_stage(deal.stage),
            text => Timing::parse(text).ok_or_else(|| {
                DealError::Invalid(crate::domain::FieldErrors(vec![(
                    crate::domain::Field::Timing,
                    format!("“{text}” is not a registration timing"),
                )]))
            })?,
        };
        let customer = Candidate::new(&deal.company, deal.domain.as_deref());
        let keys = index_keys(&customer);
        // Deciding and writing is one atomic step per customer (see `store::locks`).
        let lock = self.store.lock_customer(&exact_keys(&keys)).await?;
        let pending = PendingRegistration {
            actor,
            partner,
            deal,
            timing,
            surface,
            key,
            keys,
            source,
        };
        let result = self.register_locked(pending).await;
        lock.release().await;
        let registered = result?;
        if !registered.repeated && !registered.own_duplicate {
            self.wake_delivery();
        }
        Ok(registered)
    }

    /// The check and the write of [`Service::register`], under the customer's lock.
    async fn register_locked(&self, p: PendingRegistration<'_>) -> ServiceResult<Registered> {
        let now = self.clock.now();
        if let Some(deal) = self.repeated_submission(&p).await? {
            return Ok(Registered {
                deal,
                partner: p.partner,
                repeated: true,
                own_duplicate: false,
            });
        }
        let found = self
            .check_customer(&p.deal.company, p.deal.domain.as_deref())
            .await?;
        if let Some(existing) = own_open_registration(&p.partner, &found) {
            return self.own_duplicate(&p, existing).await;
        }
        let matches = conflicting(&p.partner, found);
        let verdict = verdict_of(&matches);
        let auto = self.approves_on_arrival(verdict, &p.partner);
        let protection = chrono::Duration::days(self.program.rules.protection_days.into());
        let status = if auto {
            DealStatus::Approved
        } else {
            verdict.status()
        };
        let protected_until = auto.then(|| now.date_naive() + protection);
        let (registration, partner) = registration_of(p, status, protected_until);
        let partner = &partner;
        let match_views = self.match_views(&matches).await?;
        let (deal, created) = self
            .store
            .register_deal(&registration, now.timestamp_millis(), |deal| {
                self.registration_messages(deal, partner, verdict, &matches, &match_views)
            })
            .await?;
        tracing::Span::current().record("deal_id", deal.id.0);
        let repeated = created == Created::AlreadyRegistered;
        if repeated {
            tracing::info!("repeated submission: returning the deal it already created");
        } else {
            if verdict != Verdict::Clear {
                tracing::info!(verdict = ?verdict, matches = matches.len(), "registration matched existing records");
            }
            tracing::info!(status = deal.status.as_str(), "deal registered");
        }
        Ok(Registered {
            deal,
            partner: partner.clone(),
            repeated,
            own_duplicate: false,
        })
    }

    /// The deal an earlier submission of the same modal created. A modal can be submitted twice
    /// (a double click, the platform's retry). A one-line command's key (a Slack trigger id, a
    /// Teams activity id, which comes back when Teams delivers the activity again) is looked up
    /// only when the customer is already the partner's ([`Service::own_duplicate`]), and the
    /// insert refuses a repeated key anyway.
    async fn repeated_submission(
        &self,
        p: &PendingRegistration<'_>,
    ) -> anyhow::Result<Option<Deal>> {
        let Some(key) = p.key.as_ref().filter(|_| p.surface == Surface::Modal) else {
            return Ok(None);
        };
        let deal = self.store.deal_by_idempotency_key(key).await?;
        if let Some(deal) = &deal {
            tracing::info!(
                deal_id = deal.id.0,
                "repeated submission: returning the deal it already created"
            );
        }
        Ok(deal)
    }

    /// A clear registration from a tier the program trusts is approved on arrival.
    fn approves_on_arrival(&self, verdict: Verdict, partner: &Partner) -> bool {
        let trusted = &self.program.rules.auto_approve_tiers;
        verdict == Verdict::Clear
            && trusted
                .iter()
                .any(|t| t.eq_ignore_ascii_case(partner.tier.as_str()))
    }

    /// A customer the partner already holds: nothing new is stored but an audit row on the
    /// existing deal, and the managers hear nothing. When `p.key` created that deal, this is
    /// the same submission again: the deal is returned as repeated, with no audit row.
    async fn own_duplicate(
        &self,
        p: &PendingRegistration<'_>,
        existing: DealId,
    ) -> ServiceResult<Registered> {
        if let Some(key) = &p.key {
            // The same submission again (a redelivered activity): its own deal, nothing recorded.
            if let Some(deal) = self.store.deal_by_idempotency_key(key).await? {
                if deal.id == existing {
                    return Ok(Registered {
                        deal,
                        partner: p.partner.clone(),
                        repeated: true,
                        own_duplicate: false,
                    });
                }
            }
        }
        let deal = self
            .store
            .deal(existing)
            .await?
            .ok_or(DealError::NotFound(existing))?;
        let audit = AuditEntry {
            actor: &p.actor.user,
            surface: p.actor.surface(via(p.surface)),
            entity: "deal",
            action: "registration_repeated",
            detail: json!({ "company": p.deal.company, "domain": p.deal.domain, "channel": p.actor.channel }),
        };
        self.store
            .record_deal_event(existing, &audit, &[], self.clock.now_ms())
            .await?;
        tracing::info!(
            deal_id = existing.0,
            "customer already registered by the same partner"
        );
        Ok(Registered {
            deal,
            partner: p.partner.clone(),
            repeated: false,
            own_duplicate: true,
        })
    }

    /// `/deal list [open|expiring|won] [page N]`: the caller's partner's deals; for a manager
    /// outside a partner channel, every partner's. Pages of [`LIST_LIMIT`], newest first; the
    /// answer names the command for the next page.
    pub async fn list_deals(
        &self,
        actor: &Actor,
        filter: DealFilter,
        page: u32,
    ) -> ServiceResult<Answer> {
        let (partner, whose) = match self.partner_of(actor).await {
            Ok(partner) => {
                let name = partner.name.clone();
                (Some(partner.id), format!("registered by {name}"))
            }
            Err(ServiceError::Rejected(DealError::NotLinked)) if self.is_manager(&actor.user) => {
                (None, "of all partners".to_string())
            }
            Err(e) => return Err(e),
        };
        let offset = i64::from(page - 1) * LIST_LIMIT;
        let today = self.clock.now().date_naive();
        let (deals, total) = self
            .store
            .list_deals(partner, filter, today, LIST_LIMIT, offset)
            .await?;
        let kind = match filter {
            DealFilter::All => "",
            DealFilter::Open => "open ",
            DealFilter::Expiring => "expiring ",
            DealFilter::Won => "won ",
        };
        let pages = ((total + LIST_LIMIT - 1) / LIST_LIMIT).max(1);
        let title = format!(
            "{total} {kind}deal{} {whose}{}",
            if total == 1 { "" } else { "s" },
            if pages > 1 {
                format!(" · page {page} of {pages}")
            } else {
                String::new()
            }
        );
        let shown_up_to = offset + deals.len() as i64;
        let next = (shown_up_to < total).then_some(Hint::ListDeals {
            filter,
            page: page + 1,
        });
        Ok(Answer::DealList {
            title,
            deals,
            more: total - shown_up_to,
            next,
        })
    }

    /// `/deal show ID`: one deal, only to its own partner's users and to managers. Anyone else
    /// gets the same answer as for a deal that does not exist, so ids reveal nothing.
    pub async fn show_deal(&self, actor: &Actor, id: DealId) -> ServiceResult<Answer> {
        let deal = self.store.deal(id).await?.ok_or(DealError::NotFound(id))?;
        let allowed = if self.is_manager(&actor.user) {
            Some(self.store.partner(deal.partner_id).await?.map(|p| p.name))
        } else {
            match self.partner_of(actor).await {
                Ok(partner) if partner.id == deal.partner_id => Some(None),
                Ok(_) | Err(ServiceError::Rejected(DealError::NotLinked)) => None,
                Err(e) => return Err(e),
            }
        };
        let Some(partner_name) = allowed else {
            tracing::warn!(
                deal_id = id.0,
                "refused to show a deal to a user of another partner"
            );
            return Err(DealError::NotFound(id).into());
        };
        // Partners see their deal's history too, but not what our AEs answered internally.
        let mut history = self.store.audit_of("deal", id.0).await?;
        if partner_name.is_none() {
            history.retain(|a| !a.action.starts_with("ae_"));
        }
        Ok(Answer::DealDetail {
            deal,
            partner_name,
            history,
        })
    }
}

/// A record found for a registration, with the evidence; `partner` names a registration's holder.
pub(super) fn matched(
    record: &IndexedRecord,
    found: &crate::domain::matching::Match,
    partner: Option<String>,
) -> MatchedRecord {
    MatchedRecord {
        direct_account: record.kind == RecordKind::DirectAccount,
        id: record.id,
        name: record.name.clone(),
        domains: record.domains.clone(),
        crm_id: record.crm_id.clone(),
        owner: record.owner.clone(),
        partner,
        status: record.status.as_deref().and_then(DealStatus::parse),
        strength: found.strength,
        reasons: found.reasons.clone(),
    }
}

/// Reads `/deal list`'s arguments: an optional filter (`open`, `expiring`, `won`, `all`) and
/// an optional `page N`, in any order.
/// A registration on its way into the store, between validation and the customer's lock.
struct PendingRegistration<'a> {
    actor: &'a Actor,
    partner: Partner,
    deal: crate::domain::NewDeal,
    timing: Timing,
    surface: Surface,
    key: Option<String>,
    keys: Vec<String>,
    source: Option<SourceMessage>,
}

/// What the store records for a pending registration with `status`, and its partner.
fn registration_of(
    p: PendingRegistration<'_>,
    status: DealStatus,
    protected_until: Option<chrono::NaiveDate>,
) -> (Registration, Partner) {
    let channel = p.actor.channel.clone();
    let registration = Registration {
        partner_id: p.partner.id,
        deal: p.deal,
        status,
        protected_until,
        decided_by: protected_until.map(|_| "auto".to_string()),
        timing: p.timing.as_str().into(),
        user: p.actor.user.clone(),
        user_team: p.actor.workspace.clone(),
        channel: channel.unwrap_or_else(|| p.partner.conversation.id.clone()),
        surface: p.actor.surface(via(p.surface)).into(),
        idempotency_key: p.key,
        match_keys: p.keys,
        source: p.source,
    };
    (registration, p.partner)
}

/// How a registration came in.
fn via(surface: Surface) -> Via {
    match surface {
        Surface::Modal => Via::Form,
        Surface::OneLine => Via::Command,
    }
}

/// Statuses in which a registration still holds its customer for its partner.
fn is_open(status: DealStatus) -> bool {
    status == DealStatus::Submitted || is_protected(status)
}

/// The partner's own open registration of this customer (same registrable domain or strong
/// name evidence), if any.
fn own_open_registration(partner: &Partner, found: &[FoundMatch]) -> Option<DealId> {
    found
        .iter()
        .filter(|m| m.record.kind == RecordKind::Registration)
        .filter(|m| m.record.partner_id == Some(partner.id.0))
        .filter(|m| m.found.strength == Strength::Strong)
        .find(|m| {
            m.record
                .status
                .as_deref()
                .and_then(DealStatus::parse)
                .is_some_and(is_open)
        })
        .map(|m| DealId(m.record.id))
}

/// Records that hold the customer against `partner`: direct accounts, and other partners'
/// protected registrations. The partner's own registrations never conflict.
fn conflicting(partner: &Partner, found: Vec<FoundMatch>) -> Vec<FoundMatch> {
    found
        .into_iter()
        .filter(|m| match m.record.kind {
            RecordKind::DirectAccount => true,
            RecordKind::Registration => {
                m.record.partner_id != Some(partner.id.0)
                    && m.record
                        .status
                        .as_deref()
                        .and_then(DealStatus::parse)
                        .is_some_and(is_protected)
            }
        })
        .collect()
}

/// The rules of engagement's verdict on a registration with these conflicting `matches`.
pub(super) fn verdict_of(matches: &[FoundMatch]) -> Verdict {
    let holders: Vec<_> = matches
        .iter()
        .map(|m| (holder(&m.record), m.found.strength))
        .collect();
    Verdict::decide(&holders)
}

fn holder(record: &IndexedRecord) -> Holder {
    match record.kind {
        RecordKind::DirectAccount => Holder::Direct,
        RecordKind::Registration => Holder::OtherPartner,
    }
}

impl Service {
    /// Records that match the customer and hold it against `partner`: direct accounts, and other
    /// partners' protected registrations. The partner's own registrations never conflict.
    pub(super) async fn conflicting_records(
        &self,
        partner: &Partner,
        company: &str,
        domain: Option<&str>,
    ) -> ServiceResult<Vec<FoundMatch>> {
        Ok(conflicting(
            partner,
            self.check_customer(company, domain).await?,
        ))
    }

    /// The matches as the managers' card shows them (internal: names partners and owners).
    pub(super) async fn match_views(
        &self,
        matches: &[FoundMatch],
    ) -> ServiceResult<Vec<MatchedRecord>> {
        let mut views = Vec::with_capacity(matches.len());
        for m in matches {
            let holder = match m.record.partner_id {
                Some(id) => self
                    .store
                    .partner(crate::domain::PartnerId(id))
                    .await?
                    .map(|p| p.name),
                None => None,
            };
            views.push(matched(&m.record, &m.found, holder));
        }
        Ok(views)
    }

    /// The rule of engagement a conflict verdict falls under (none for a clear registration).
    pub(super) fn rule_for(&self, verdict: Verdict) -> Option<&str> {
        let rules = &self.program.rules;
        match verdict {
            Verdict::DirectConflict => Some(rules.direct_conflict.as_str()),
            Verdict::PartnerConflict => Some(rules.partner_conflict.as_str()),
            _ => None,
        }
    }

    /// Messages a registration sends: the partner's confirmation, the managers' card, and for a
    /// partner-vs-direct conflict a DM to each owning AE with the rule and buttons.
    fn registration_messages(
        &self,
        deal: &Deal,
        partner: &Partner,
        verdict: Verdict,
        matches: &[FoundMatch],
        views: &[MatchedRecord],
    ) -> anyhow::Result<Vec<OutboxMessage>> {
        let rules = &self.program.rules;
        let rule = self.rule_for(verdict);
        let message =
            |kind: &str, to: &Conversation, payload| self.deal_message(deal, kind, to, payload);
        let mut out = vec![
            message(
                "deal_confirmation",
                &partner.conversation,
                Notice::DealConfirmation { deal: deal.clone() },
            ),
            message(
                "review_card",
                &self.program.managers_conversation(),
                super::review::review_card(deal, partner, views, rule),
            ),
        ];
        if verdict == Verdict::DirectConflict {
            let mut owners: Vec<&str> = matches
                .iter()
                .filter(|m| {
                    m.record.kind == RecordKind::DirectAccount
                        && m.found.strength >= Strength::Medium
                })
                .filter_map(|m| m.record.owner.as_deref())
                .collect();
            owners.sort_unstable();
            owners.dedup();
            for owner in owners {
                let mine: Vec<MatchedRecord> = views
                    .iter()
                    .filter(|v| v.owner.as_deref() == Some(owner))
                    .cloned()
                    .collect();
                out.push(message(
                    "ae_alert",
                    &ChatUser::from_stored_id(owner).direct(),
                    Notice::AeAlert {
                        deal: deal.clone(),
                        partner: partner.clone(),
                        matches: mine,
                        rule: rules.direct_conflict.clone(),
                    },
                ));
            }
        }
        Ok(out)
    }

    /// Records an AE's answer to a partner-vs-direct alert and tells the managers in the card's
    /// thread. Only the alerted AE (or a manager) may answer.
    pub async fn record_ae_choice(
        &self,
        actor: &Actor,
        id: DealId,
        answer: AeChoice,
    ) -> ServiceResult<String> {
        let user = actor.user.as_str();
        let deal = self.store.deal(id).await?.ok_or(DealError::NotFound(id))?;
        let choice = answer.label();
        let alerted = self.store.message_sent_to(id, "ae_alert", user).await?;
        if !alerted && !self.is_manager(user) {
            return Err(DealError::NotFound(id).into());
        }
        let note = self.in_thread(
            "review_card",
            Notice::AeChoice {
                deal: deal.clone(),
                user: user.to_string(),
                choice: choice.to_string(),
            },
        );
        let audit = AuditEntry {
            actor: user,
            surface: actor.surface(Via::Button),
            entity: "deal",
            action: answer.action(),
            detail: serde_json::json!({ "choice": choice }),
        };
        let managers = self.deal_message(
            &deal,
            "ae_choice",
            &self.program.managers_conversation(),
            note,
        );
        self.store
            .record_deal_event(id, &audit, &[managers], self.clock.now_ms())
            .await?;
        self.wake_delivery();
        Ok(format!(
            "Recorded “{choice}” for {id}. The partner managers can see it on the registration."
        ))
    }
}

impl From<serde_json::Error> for ServiceError {
    fn from(e: serde_json::Error) -> Self {
        ServiceError::Internal(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::matching::compare;
    use crate::domain::{PartnerId, PartnerType};

    fn partner(id: i64) -> Partner {
        Partner {
            id: PartnerId(id),
            name: format!("P{id}"),
            partner_type: PartnerType::Reseller,
            tier: crate::domain::tier::Tier::Registered,
            conversation: Conversation::new(crate::chat::Platform::Teams, "19:c1@thread.tacv2"),
            workspace: None,
            manager_user: None,
            paused: false,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn registration(
        id: i64,
        partner: i64,
        name: &str,
        domain: Option<&str>,
        status: &str,
    ) -> IndexedRecord {
        IndexedRecord {
            kind: RecordKind::Registration,
            id,
            name: name.into(),
            domains: domain.into_iter().map(str::to_string).collect(),
            crm_id: None,
            owner: None,
            partner_id: Some(partner),
            status: Some(status.into()),
        }
    }

    fn found(incoming: (&str, Option<&str>), record: IndexedRecord) -> Vec<FoundMatch> {
        let existing = Candidate::new(&record.name, record.domains.first().map(String::as_str));
        compare(&Candidate::new(incoming.0, incoming.1), &existing)
            .map(|m| FoundMatch { record, found: m })
            .into_iter()
            .collect()
    }

    #[test]
    fn a_partners_open_registration_of_the_customer_is_its_own_duplicate() {
        let mine = registration(401, 1, "Acme Corp", Some("acme.com"), "pending_review");
        let hits = found(("Acme Corporation", Some("www.acme.com")), mine);
        assert_eq!(own_open_registration(&partner(1), &hits), Some(DealId(401)));
        assert!(
            conflicting(&partner(1), hits).is_empty(),
            "never a conflict with itself"
        );
    }

    #[test]
    fn a_near_identical_name_without_domain_is_its_own_duplicate_too() {
        let mine = registration(7, 1, "Initech Widgets GmbH", None, "approved");
        let hits = found(("INITECH WIDGETS", None), mine);
        assert_eq!(own_open_registration(&partner(1), &hits), Some(DealId(7)));
    }

    #[test]
    fn closed_registrations_and_other_partners_are_not_own_duplicates() {
        for status in ["lost", "rejected", "withdrawn", "expired", "won"] {
            let old = registration(3, 1, "Acme Corp", Some("acme.com"), status);
            let hits = found(("Acme Corp", Some("acme.com")), old);
            assert_eq!(own_open_registration(&partner(1), &hits), None, "{status}");
        }
        let theirs = registration(4, 2, "Acme Corp", Some("acme.com"), "approved");
        let hits = found(("Acme Corp", Some("acme.com")), theirs);
        assert_eq!(own_open_registration(&partner(1), &hits), None);
        assert_eq!(
            conflicting(&partner(1), hits).len(),
            1,
            "another partner's is a conflict"
        );
    }
}
