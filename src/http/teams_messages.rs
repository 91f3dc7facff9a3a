//! Teams messages to the bot: the deal and partner commands typed in a personal chat, or after
//! an @mention in a channel, parsed into the same intents as Slack's slash commands and handed
//! to the same service calls. Each answer is an Adaptive Card queued in the outbox for the
//! person who asked only (`teams::answer_address`: their personal chat, else a 1:1 with them;
//! never the shared channel), so a partner's data is never shown to the whole channel.
//!
//! A one-line registration is keyed by the activity's id: a redelivered activity finds the
//! registration it made and registers nothing again. Commands that open a form in Slack answer
//! with a card whose button opens the form (Teams opens dialogs only from card buttons).

use super::AppState;
use crate::chat::{Conversation, Platform};
use crate::domain::deal::Surface;
use crate::domain::{DealDraft, DealError};
use crate::intent::wording::{refusal_text, unknown_intro};
use crate::intent::{self, DealIntent, Family, Intent, PartnersIntent, Refusal};
use crate::notice::{Address, Notice};
use crate::service::{Actor, Answer, Requester, ServiceError, ServiceResult};
use crate::store::{OutboxBody, OutboxMessage};
use crate::teams::cards::text::escape;
use crate::teams::cards::{Cards, Rendered};
use crate::teams::command::{split, MessageBody, Typed, TEAMS, TEAMS_PLAIN};
use crate::teams::ActivityHead;
use tracing::Instrument;

/// The outbox kind of an answer to a command typed in Teams.
const ANSWER_KIND: &str = "teams_answer";

/// What one command typed in Teams answers, and to whom.
struct Asked<'a> {
    state: &'a AppState,
    activity: &'a ActivityHead,
    actor: Actor,
    cards: Cards,
}

type Reply = ServiceResult<Rendered>;

/// Handles one message activity; an error is our own failure (the activity is then retried).
pub(super) async fn handle(
    state: &AppState,
    activity: &ActivityHead,
    body: &[u8],
) -> anyhow::Result<()> {
    let message = match MessageBody::parse(body) {
        Ok(m) => m,
        Err(why) => {
            tracing::warn!(reason = %why, "ignored a Teams message");
            return Ok(());
        }
    };
    let (Some(actor), Some(to)) = (
        super::teams::actor(activity),
        super::teams::answer_address(activity),
    ) else {
        tracing::warn!("ignored a Teams message naming no sender or conversation");
        return Ok(());
    };
    let program = &state.service.program().program;
    let asked = Asked {
        state,
        activity,
        cards: Cards::new(&program.name, &program.default_currency),
        actor,
    };
    let span = tracing::info_span!("teams_command", user = %asked.actor.user, tenant = asked.actor.workspace.as_deref().unwrap_or("-"));
    let Some(reply) = asked.reply(&message.command_text()).instrument(span).await else {
        tracing::info!("a Teams message with no command: nothing to answer");
        return Ok(());
    };
    let rendered = match reply {
        Ok(rendered) => rendered,
        Err(ServiceError::Rejected(e)) => asked.rejected(&e)?,
        Err(ServiceError::Internal(e)) => return Err(e),
    };
    asked.send(to, rendered).await
}

impl Asked<'_> {
    /// The answer to `text`; `None` when nothing was asked.
    async fn reply(&self, text: &str) -> Option<Reply> {
        Some(match split(text) {
            Typed::Nothing => return None,
            Typed::Greeting => self
                .cards
                .notice(&Notice::Help {
                    manager: self.is_manager(),
                    greeting: true,
                })
                .map_err(ServiceError::from),
            Typed::Other(word) => {
                let intro = format!("I don't know “{}”. Here is what I can do:", escape(&word));
                self.help(Some(&intro))
            }
            Typed::Command { family, rest } => self.command(family, &rest).await,
        })
    }

    fn is_manager(&self) -> bool {
        self.state.service.is_manager(&self.actor.user)
    }

    /// Queues `rendered` for the person who asked.
    async fn send(&self, to: Address, rendered: Rendered) -> anyhow::Result<()> {
        let answer = OutboxMessage {
            kind: ANSWER_KIND.into(),
            address: to,
            body: OutboxBody::Payload(rendered.activity()),
            deal_id: None,
        };
        match self.state.service.send_answer(answer).await {
            Ok(()) => Ok(()),
            Err(ServiceError::Internal(e)) => Err(e),
            Err(ServiceError::Rejected(e)) => Err(anyhow::anyhow!("queueing an answer: {e}")),
        }
    }

    /// A refusal from the service (its text is plain: escaped here).
    fn rejected(&self, e: &DealError) -> anyhow::Result<Rendered> {
        if let DealError::Invalid(errors) = e {
            return self.cards.field_errors(errors);
        }
        let text = e.to_string();
        self.cards.refusal(&text, &escape(&text))
    }

    fn help(&self, intro: Option<&str>) -> Reply {
        Ok(self.cards.help(self.is_manager(), intro)?)
    }

    fn answer(&self, answer: &Answer) -> Reply {
        Ok(self.cards.answer(answer)?)
    }

    fn outcome(&self, text: &str) -> Reply {
        Ok(self.cards.outcome(text)?)
    }

    async fn command(&self, family: Family, text: &str) -> Reply {
        match intent::parse(family, text) {
            Ok(Intent::Deal(intent)) => self.deal(intent).await,
            Ok(Intent::Partners(intent)) => self.partners(intent).await,
            Ok(Intent::Help { unknown }) => {
                self.help(unknown.map(|u| unknown_intro(&u, &TEAMS)).as_deref())
            }
            Err(Refusal::Invalid(errors)) => Ok(self.cards.field_errors(&errors)?),
            Err(refusal) => Ok(self.cards.refusal(
                &refusal_text(&refusal, &TEAMS_PLAIN),
                &refusal_text(&refusal, &TEAMS),
            )?),
        }
    }

    async fn deal(&self, intent: DealIntent) -> Reply {
        let (service, actor) = (&self.state.service, &self.actor);
        match intent {
            DealIntent::OpenForm => self.register_prompt().await,
            DealIntent::Register(draft) => self.register_one_line(&draft).await,
            DealIntent::List { filter, page } => {
                self.answer(&service.list_deals(actor, filter, page).await?)
            }
            DealIntent::Show(id) => self.answer(&service.show_deal(actor, id).await?),
            DealIntent::Update { deal, changes, .. } if changes == Default::default() => {
                let deal = service.update_form_deal(actor, deal).await?;
                Ok(self.cards.update_prompt(&deal)?)
            }
            DealIntent::Update { deal, changes, raw } => {
                self.outcome(&service.update_deal(actor, deal, &changes, &raw).await?)
            }
            DealIntent::Extend(id) => match service.extension_form(actor, id).await? {
                Answer::ExtensionForm { deal, days, .. } => {
                    Ok(self.cards.extend_prompt(&deal, days)?)
                }
                other => self.answer(&other),
            },
            DealIntent::Commissions => self.answer(&service.commission_summary(actor).await?),
        }
    }

    /// `deal register` with nothing after it: the card whose button opens the form, for the
    /// partner the person acts for.
    async fn register_prompt(&self) -> Reply {
        match self.state.service.registration_form(&self.actor).await? {
            Answer::RegistrationForm {
                partner_name,
                metadata,
                ..
            } => {
                let channel =
                    serde_json::from_str::<crate::service::deals::ModalMetadata>(&metadata)
                        .map(|m| m.channel)
                        .unwrap_or_default();
                Ok(self.cards.register_prompt(&partner_name, &channel)?)
            }
            other => self.answer(&other),
        }
    }

    /// Registers in one line, keyed by the activity: its redelivery finds the same deal.
    async fn register_one_line(&self, draft: &DealDraft) -> Reply {
        let key = self
            .activity
            .id
            .as_deref()
            .map(|id| format!("teams-activity:{id}"));
        let done = self
            .state
            .service
            .register(&self.actor, draft, Surface::OneLine, key)
            .await?;
        Ok(match done.own_duplicate {
            true => self.cards.already_ours(&done.deal)?,
            false => self.cards.registered(&done.deal, done.repeated)?,
        })
    }

    async fn partners(&self, intent: PartnersIntent) -> Reply {
        let (service, user) = (&self.state.service, self.actor.user.as_str());
        match intent {
            PartnersIntent::Add {
                name,
                partner_type,
                tier,
            } => {
                self.add_partner(&name, &partner_type, tier.as_deref())
                    .await
            }
            PartnersIntent::List { page } => {
                let partners = service
                    .list_partners(&Requester::Chat(self.actor.clone()))
                    .await?;
                Ok(self.cards.partner_list(&partners, page)?)
            }
            PartnersIntent::Check { name, domain } => self.answer(
                &service
                    .manager_lookup(user, Some((&name, domain.as_deref())))
                    .await?,
            ),
            PartnersIntent::Accounts => self.answer(&service.manager_lookup(user, None).await?),
            PartnersIntent::Stats { partner, period } => {
                self.answer(&service.partner_stats(user, &partner, period).await?)
            }
            PartnersIntent::DigestNow => self.outcome(&service.send_digest_now(user).await?),
            PartnersIntent::SurveyNow => {
                let now = self.state.clock.now();
                self.outcome(&service.open_survey(user, now).await?)
            }
            PartnersIntent::SurveyResults { round } => {
                self.answer(&service.survey_results(user, round).await?)
            }
            PartnersIntent::PayCommissions(ids) => {
                self.outcome(&service.pay_commissions(user, &ids).await?)
            }
            PartnersIntent::Admins { partner, users } => {
                let requester = Requester::Chat(self.actor.clone());
                let (named, admins) = service
                    .set_partner_admins(&requester, partner, &users)
                    .await?;
                self.outcome(&crate::intent::wording::admins_words(
                    &named.name,
                    named.id,
                    &admins,
                ))
            }
        }
    }

    /// Links the channel the command was typed in to a new partner (managers only), with the
    /// tenant it was typed from as the partner's own.
    async fn add_partner(&self, name: &str, partner_type: &str, tier: Option<&str>) -> Reply {
        if !self.is_manager() {
            return Err(DealError::NotManager.into());
        }
        let Some(channel) = self.actor.channel.clone() else {
            return Err(DealError::BadCommand(
                "Send partners add in the partner's channel (mention me there first): that is the channel it links."
                    .into(),
            )
            .into());
        };
        let partner = self
            .state
            .service
            .add_partner(
                &Requester::Chat(self.actor.clone()),
                crate::service::PartnerLink {
                    name,
                    partner_type,
                    conversation: &Conversation::new(Platform::Teams, channel),
                    workspace: self.actor.workspace.clone(),
                    tier,
                },
            )
            .await?;
        self.outcome(&format!(
            "Linked this channel to {} ({} partner). Its members can now register deals with @partnerbot deal register.",
            partner.name, partner.partner_type
        ))
    }
}
