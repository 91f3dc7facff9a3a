//! Teams' side of the delivery seam: sends a row's Bot Framework activity through the Connector
//! client, as a new post, a reply in a channel's reply chain, an update in place, or a proactive
//! 1:1 message.
//!
//! A Teams row's body is, for now, a ready activity (`OutboxBody::Payload`) that names its
//! `serviceUrl` (from the conversation reference captured on an inbound activity); notices are
//! refused until their Adaptive Cards exist. The row's conversation is a conversation id
//! (`19:…`, `a:…`) or a user id (`29:…`): a user, or a row private to one person, gets a 1:1
//! conversation first (never the shared channel). A resolved thread root posts in
//! `{conversation};messageid={root}`; a resolved target is updated with `PUT`.
//!
//! **At most once.** The Connector takes no idempotency key and cannot list what was posted,
//! so an earlier attempt at a create cannot be looked for: a create whose outcome is unknown (a
//! 5xx, 408, timeout or broken connection after sending; or a worker that died or lost its
//! lease between sending and recording, which the claim's `needs_check` reveals) is never sent
//! again. [`TeamsClient::find_earlier`] answers [`Failure::Unknown`], and the worker records the
//! row as given up with `unknown_outcome: …` and tells the managers. Updates are idempotent and
//! retried; 429 and 412 mean nothing was done and are retried after the wait.

use super::platform::{Failure, Outgoing};
use crate::store::{ClaimedMessage, OutboxBody};
use crate::teams::{Connector, ConnectorError};
use serde_json::Value;
use std::time::Duration;

/// The pause after a 429 without `Retry-After` (the Connector does not document sending one):
/// the low end of the 2–20 s backoff of Microsoft's rate-limit sample.
pub const DEFAULT_THROTTLE_PAUSE: Duration = Duration::from_secs(2);

/// The Connector client, as the worker uses it.
#[derive(Debug, Clone)]
pub struct TeamsClient {
    connector: Connector,
}

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
struct Route<'a> {
    service_url: String,
    activity: Value,
    /// A user to open a 1:1 with, and the tenant to open it in.
    personal: Option<(&'a str, String)>,
}

impl TeamsClient {
    /// Delivers through `connector`.
    pub fn new(connector: Connector) -> TeamsClient {
        TeamsClient { connector }
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
        let route = self.route(out)?;
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
    fn route<'a>(&self, out: &'a Outgoing<'_>) -> Result<Route<'a>, Failure> {
        let permanent = |reason: &str| Failure::Permanent {
            reason: reason.to_string(),
        };
        let mut activity = match &out.body {
            OutboxBody::Payload(activity) if activity.is_object() => activity.clone(),
            OutboxBody::Payload(_) => return Err(permanent("bad_activity: not a JSON object")),
            OutboxBody::Notice(_) => {
                return Err(permanent(
                    "unsupported_notice: notices are not rendered for Teams yet",
                ))
            }
        };
        let Some(service_url) = activity["serviceUrl"].as_str().map(str::to_string) else {
            return Err(permanent("bad_activity: no serviceUrl"));
        };
        if activity.get("type").is_none() {
            activity["type"] = "message".into();
        }
        let row = out.row;
        let user = row
            .ephemeral_user
            .as_deref()
            .or(Some(row.channel.as_str()).filter(|c| is_user_id(c)));
        let personal = user.map(|u| (u, self.tenant_of(&activity)));
        Ok(Route {
            service_url,
            activity,
            personal,
        })
    }

    /// The tenant the activity names, else our own.
    fn tenant_of(&self, activity: &Value) -> String {
        activity["channelData"]["tenant"]["id"]
            .as_str()
            .or(activity["conversation"]["tenantId"].as_str())
            .unwrap_or(self.connector.tenant_id())
            .to_string()
    }
}

/// A Teams user id (`29:…`, or an `8:orgid:…` MRI) rather than a conversation.
fn is_user_id(id: &str) -> bool {
    id.starts_with("29:") || id.starts_with("8:orgid:")
}
