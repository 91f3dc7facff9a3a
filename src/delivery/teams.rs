//! Teams' side of the delivery seam: sends a row's Bot Framework activity through the Connector
//! client, as a new post, a reply in a channel's reply chain, an update in place, or a proactive
//! 1:1 message.
//!
//! A notice row is rendered at delivery as one Adaptive Card (`teams::cards`). Where it goes
//! comes from the conversation references `POST /teams/messages` records: the row's
//! conversation (`19:…`, `a:…`) gives the `serviceUrl` and tenant; a row for a user (`29:…` or
//! an Entra object id), or private to one person, goes to that person's 1:1 conversation
//! (created with `POST /v3/conversations`, never the shared channel), reached through their
//! own reference, else the reference of the conversation they were seen in. A row with no known
//! reference fails for good as `no_conversation_reference` (the managers are told): Teams
//! cannot be reached without one. A ready activity stored by an earlier release
//! (`OutboxBody::Payload`) keeps its own `serviceUrl` when it names one. A resolved thread
//! root posts in `{conversation};messageid={root}`; a resolved target is updated with `PUT`.
//!
//! **At most once.** The Connector takes no idempotency key and cannot list what was posted,
//! so an earlier attempt at a create cannot be looked for: a create whose outcome is unknown (a
//! 5xx, 408, timeout or broken connection after sending; or a worker that died or lost its
//! lease between sending and recording, which the claim's `needs_check` reveals) is never sent
//! again. [`TeamsClient::find_earlier`] answers [`Failure::Unknown`], and the worker records the
//! row as given up with `unknown_outcome: …` and tells the managers. Updates are idempotent and
//! retried; 429 and 412 mean nothing was done and are retried after the wait.

use super::platform::{Failure, Outgoing};
use crate::store::{ClaimedMessage, OutboxBody, Store};
use crate::teams::cards::Cards;
use crate::teams::{Connector, ConnectorError};
use serde_json::Value;
use std::time::Duration;

/// The pause after a 429 without `Retry-After` (the Connector does not document sending one):
/// the low end of the 2–20 s backoff of Microsoft's rate-limit sample.
pub const DEFAULT_THROTTLE_PAUSE: Duration = Duration::from_secs(2);

/// The Connector client, as the worker uses it, with the cards it renders and the store its
/// conversation references come from.
#[derive(Debug, Clone)]
pub struct TeamsClient {
    connector: Connector,
    store: Store,
    cards: Cards,
}

/// The reason code of a row whose conversation the bot has never been told about.
pub const NO_REFERENCE: &str = "no_conversation_reference";

impl From<ConnectorError> for Failure {
    fn from(e: ConnectorError) -> Failure {
        match e {
            ConnectorError::Throttled { retry_after } => Failure::RateLimited {
                retry_after: retry_after.unwrap_or(DEFAULT_THROTTLE_PAUSE),
            },
            // Nothing was done, or repeating is harmless (an update).
            ConnectorError::Retry { reason } => Failure::Transient {
                reason,
                maybe_sent: false,
            },
            ConnectorError::Unknown { reason } => Failure::Unknown { reason },
            ConnectorError::Permanent { reason } => Failure::Permanent { reason },
        }
    }
}

/// Where a row goes in Teams.
struct Route {
    service_url: String,
    activity: Value,
    /// A user to open a 1:1 with, and the tenant to open it in.
    personal: Option<(String, String)>,
}

/// Where a reference says a conversation or person is reached.
struct Reach {
    service_url: String,
    tenant: String,
    /// The person's Teams id (`29:…`), when the reference is a person's.
    user: Option<String>,
}

impl TeamsClient {
    /// Delivers through `connector`, rendering notices with `cards` and reading conversation
    /// references from `store`.
    pub fn new(connector: Connector, store: Store, cards: Cards) -> TeamsClient {
        TeamsClient {
            connector,
            store,
            cards,
        }
    }

    /// Every create can land twice; only updates cannot.
    pub fn can_land_twice(&self, out: &Outgoing<'_>) -> bool {
        out.replaces.is_none()
    }

    /// Teams cannot be asked whether an earlier attempt posted: the outcome stays unknown.
    pub async fn find_earlier(
        &self,
        _row: &ClaimedMessage,
        _since_ms: i64,
    ) -> Result<Option<String>, Failure> {
        Err(Failure::Unknown {
            reason: "an earlier attempt may have been posted and Teams cannot be asked".into(),
        })
    }

    /// Sends `out`; the activity's id.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, Failure> {
        let route = self.route(out).await?;
        let mut conversation = out.row.channel.clone();
        if let Some(id) = &out.replaces {
            self.connector
                .update_activity(&route.service_url, &conversation, id, &route.activity)
                .await?;
            return Ok(Some(id.clone()));
        }
        if let Some((user, tenant)) = &route.personal {
            conversation = self
                .connector
                .create_personal_conversation(&route.service_url, user, tenant)
                .await?;
        } else if let Some(root) = &out.thread {
            conversation = format!("{conversation};messageid={root}");
        }
        let id = self
            .connector
            .create_activity(&route.service_url, &conversation, &route.activity)
            .await?;
        Ok(Some(id))
    }

    /// The activity, its service URL and whether it needs a 1:1 first.
    async fn route(&self, out: &Outgoing<'_>) -> Result<Route, Failure> {
        let mut activity = match &out.body {
            OutboxBody::Payload(activity) if activity.is_object() => activity.clone(),
            OutboxBody::Payload(_) => return Err(permanent("bad_activity: not a JSON object")),
            OutboxBody::Notice(notice) => match self.cards.notice(notice) {
                Ok(card) => card.activity(),
                Err(e) => return Err(permanent(&format!("render_failed: {e:#}"))),
            },
        };
        if activity.get("type").is_none() {
            activity["type"] = "message".into();
        }
        let row = out.row;
        let user = row
            .ephemeral_user
            .as_deref()
            .or(Some(row.channel.as_str()).filter(|c| is_user_id(c)));
        // A stored activity naming its service URL is sent there even without a reference.
        let named = activity["serviceUrl"].as_str().map(str::to_string);
        let reach = match (self.reach(&row.channel, user).await, &named) {
            (Ok(reach), _) => reach,
            (Err(_), Some(url)) => Reach {
                service_url: url.clone(),
                tenant: self.connector.tenant_id().to_string(),
                user: None,
            },
            (Err(failure), None) => return Err(failure),
        };
        let tenant = tenant_of(&activity).unwrap_or(reach.tenant);
        let personal = user.map(|u| (reach.user.unwrap_or_else(|| u.to_string()), tenant));
        Ok(Route {
            service_url: named.unwrap_or(reach.service_url),
            activity,
            personal,
        })
    }

    /// How `conversation` (or `user`'s 1:1) is reached, from the stored references.
    async fn reach(&self, conversation: &str, user: Option<&str>) -> Result<Reach, Failure> {
        let unreadable = |e: anyhow::Error| Failure::Transient {
            reason: format!("reading a Teams conversation reference: {e:#}"),
            maybe_sent: false,
        };
        if let Some(user) = user {
            if let Some(u) = self.store.teams_user(user).await.map_err(unreadable)? {
                return Ok(Reach {
                    service_url: u.service_url,
                    tenant: u.tenant_id,
                    user: Some(u.user_id),
                });
            }
        }
        match self
            .store
            .teams_conversation(conversation)
            .await
            .map_err(unreadable)?
        {
            Some(c) => Ok(Reach {
                service_url: c.service_url,
                tenant: c.tenant_id,
                user: None,
            }),
            None => Err(permanent(&format!(
                "{NO_REFERENCE}: partnerbot has never received an activity from {} in Teams, so it does not know where to reach it",
                user.unwrap_or(conversation)
            ))),
        }
    }
}

fn permanent(reason: &str) -> Failure {
    Failure::Permanent {
        reason: reason.to_string(),
    }
}

/// The tenant a stored activity names, if any.
fn tenant_of(activity: &Value) -> Option<String> {
    activity["channelData"]["tenant"]["id"]
        .as_str()
        .or(activity["conversation"]["tenantId"].as_str())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// A person rather than a conversation: a Teams user id (`29:…`), an `8:orgid:…` MRI, or an
/// Entra object id (a bare GUID, as the program file names managers; no conversation id is one).
fn is_user_id(id: &str) -> bool {
    id.starts_with("29:") || id.starts_with("8:orgid:") || crate::teams::ids::is_guid(id)
}
