//! One async function per intent. Each loads what it needs, applies the domain rules, and saves
//! the state change with its audit row and outbox messages in one transaction.

pub mod accounts;
mod admins;
mod answer;
pub mod commission_rules;
pub mod deals;
pub mod digest;
mod events;
mod extensions;
pub mod home;
mod lifecycle;
mod nudges;
mod partners;
pub mod progress;
mod review;
mod stats;
pub mod surveys;
mod tiers;
mod wins;
pub mod zones;

pub use admins::ListedPartner;
pub use answer::{Answer, CurrencyTotals, Hint};
pub use events::SpokenTo;
pub use home::HomeView;
pub use partners::{PartnerLink, Requester};

use crate::chat::{ChatUser, Conversation, Platform, Via};
use crate::clock::Clock;
use crate::config::Program;
use crate::domain::{DealError, Partner};
use crate::notice::{Address, MessageRef, Notice};
use crate::store::{OutboxBody, OutboxMessage, Store};
use std::sync::Arc;
use tokio::sync::{watch, Notify};

/// Who is asking, as their chat platform told us: the platform, the user, their workspace or
/// tenant (a partner's people act from the partner's own) and the conversation they typed in,
/// if any.
#[derive(Debug, Clone)]
pub struct Actor {
    pub platform: Platform,
    pub user: String,
    pub workspace: Option<String>,
    pub channel: Option<String>,
}

impl Actor {
    /// The person's direct chat with the bot.
    pub fn direct(&self) -> Conversation {
        Conversation::new(self.platform, self.user.clone())
    }

    /// The audit trail's name for what they did `via`.
    pub fn surface(&self, via: Via) -> &'static str {
        self.platform.surface(via)
    }

    /// The conversation they typed in, else their direct chat.
    pub fn conversation(&self) -> Conversation {
        match &self.channel {
            Some(channel) => Conversation::new(self.platform, channel.clone()),
            None => self.direct(),
        }
    }
}

/// A message body and the deal message whose thread it answers, if any.
#[derive(Debug)]
struct Reply {
    body: OutboxBody,
    thread: Option<MessageRef>,
}

impl From<Notice> for Reply {
    fn from(notice: Notice) -> Reply {
        Reply {
            body: OutboxBody::Notice(Box::new(notice)),
            thread: None,
        }
    }
}

/// An outbox message of `kind` for `conversation`, about no deal in particular.
fn message_to(kind: &str, conversation: &Conversation, notice: Notice) -> OutboxMessage {
    OutboxMessage::notice(kind, Address::at(conversation), notice, None)
}

/// A service failure: either a refusal to show the person, or our own fault.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Rejected(#[from] DealError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Result of a service call.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// The application's use cases. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Service {
    store: Store,
    program: Arc<Program>,
    clock: Clock,
    outbox_ready: Arc<Notify>,
    /// Counts commits that changed something people see (see [`Service::changes`]).
    changed: Arc<watch::Sender<u64>>,
    /// Where people's time zones are read when the program file sets none (see `zones`).
    zones: Option<Arc<dyn zones::TimeZones>>,
}

impl Service {
    /// Wires the service; `outbox_ready` is signalled after every commit that queued messages.
    pub fn new(
        store: Store,
        program: Arc<Program>,
        clock: Clock,
        outbox_ready: Arc<Notify>,
    ) -> Service {
        Service {
            store,
            program,
            clock,
            outbox_ready,
            changed: Arc::new(watch::channel(0).0),
            zones: None,
        }
    }

    /// Ticks after every commit that queued messages, i.e. after every change someone is told
    /// about: what views of the state (the Home tab) watch to refresh themselves.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// The program rules.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// True for partner managers (internal users who may see every partner's deals).
    pub fn is_manager(&self, user: &str) -> bool {
        self.program.is_manager(user)
    }

    /// An outbox message about `deal` for `conversation`, in the thread of the deal message the
    /// `reply` names (resolved when it is delivered).
    fn deal_message(
        &self,
        deal: &crate::domain::Deal,
        kind: &str,
        conversation: &Conversation,
        reply: impl Into<Reply>,
    ) -> OutboxMessage {
        let reply = reply.into();
        let mut address = Address::at(conversation);
        address.thread = reply.thread;
        OutboxMessage {
            kind: kind.into(),
            address,
            body: reply.body,
            deal_id: Some(deal.id.0),
        }
    }

    /// `notice` as a reply in the thread of the deal's `root` message (its partner
    /// confirmation or managers' card). The root is looked up when the reply is delivered: a
    /// reply queued before its root is delivered waits for it.
    fn in_thread(&self, root: &str, notice: Notice) -> Reply {
        Reply {
            body: OutboxBody::Notice(Box::new(notice)),
            thread: Some(MessageRef::deal(root)),
        }
    }

    /// The partner holding `deal`.
    async fn partner_of_deal(&self, deal: &crate::domain::Deal) -> anyhow::Result<Partner> {
        self.store
            .partner(deal.partner_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("deal {} has no partner", deal.id))
    }

    /// The manager who looks after `partner`: the one who linked it, else the first manager.
    fn partner_manager(&self, partner: &Partner) -> Option<ChatUser> {
        match partner.manager_user.as_deref() {
            Some(id) => Some(self.program.manager(id).unwrap_or_else(|| ChatUser {
                platform: partner.conversation.platform,
                id: id.to_string(),
                workspace: None,
            })),
            None => self.program.manager_users().into_iter().next(),
        }
    }

    fn wake_delivery(&self) {
        self.outbox_ready.notify_one();
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The partner `actor` acts for: the one linked to their channel (their team must be the
    /// partner's own, unless they are a manager), or, outside a linked channel, the one partner
    /// they have acted for before.
    async fn partner_of(&self, actor: &Actor) -> ServiceResult<Partner> {
        if let Some(channel) = &actor.channel {
            if let Some(partner) = self.store.partner_by_channel(channel).await? {
                let foreign =
                    matches!((&partner.workspace, &actor.workspace), (Some(p), Some(u)) if p != u);
                if foreign && !self.is_manager(&actor.user) {
                    tracing::warn!(
                        partner_id = partner.id.0,
                        "user of another organisation tried to act for a partner"
                    );
                    return Err(DealError::NotLinked.into());
                }
                return Ok(partner);
            }
        }
        self.store
            .partner_of_user(&actor.user)
            .await?
            .ok_or(ServiceError::Rejected(DealError::NotLinked))
    }
}
