//! The one seam between the worker and the chat platforms. Each platform's client renders a
//! claimed row (its notice, or a payload stored by an earlier release) for its address, paces
//! itself, classifies its failures, and answers "did an earlier attempt already land?". The
//! worker only knows [`Client`]: adding a platform adds a variant, not a branch in the worker.

use super::slack::SlackClient;
use super::teams::TeamsClient;
use super::DeliveryConfig;
use crate::notice::Platform;
use crate::store::{ClaimedMessage, OutboxBody};
use std::time::Duration;

/// A call to a platform that did not succeed, by what the worker should do about it.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The platform refused because of rate limits and did nothing: try again after the pause.
    RateLimited { retry_after: Duration },
    /// A server error, timeout or broken connection; `maybe_sent` when it may have acted.
    Transient { reason: String, maybe_sent: bool },
    /// A refusal retrying will not fix (channel gone, bad payload, …); `reason` is the
    /// platform's code where it has one.
    Permanent { reason: String },
    /// A new post that may or may not have landed, on a platform that cannot be asked which
    /// (Teams): sending again could post it twice, so it is never sent again.
    Unknown { reason: String },
}

/// How fast one platform may be posted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Gap between two posts to one conversation.
    pub per_conversation: Duration,
    /// Gap between any two posts of this worker on the platform.
    pub overall: Duration,
}

/// A claimed row with its references resolved to platform message ids.
#[derive(Debug)]
pub struct Outgoing<'a> {
    pub row: &'a ClaimedMessage,
    pub body: OutboxBody,
    /// The thread root's platform id, when the row replies in a thread.
    pub thread: Option<String>,
    /// The platform id of the message to update in place.
    pub replaces: Option<String>,
}

/// A platform's client, as the worker uses it.
#[derive(Debug, Clone)]
pub enum Client {
    Slack(SlackClient),
    Teams(TeamsClient),
}

impl Client {
    /// The platform this client delivers to.
    pub fn platform(&self) -> Platform {
        match self {
            Client::Slack(_) => Platform::Slack,
            Client::Teams(_) => Platform::Teams,
        }
    }

    /// The platform's pacing under `config`.
    pub fn pacing(&self, config: &DeliveryConfig) -> Pacing {
        match self {
            // Slack allows about one message per second per channel, and limits a workspace as
            // a whole: the configured intervals are Slack's.
            Client::Slack(_) => Pacing {
                per_conversation: config.channel_interval,
                overall: config.global_interval,
            },
            // Teams allows a bot 7 sends a second, 8 in 2 s and 60 in 30 s per conversation,
            // and an app 30 a second per tenant: one a second per conversation and 25 a
            // second overall stay within them; a conversation busy for a whole hour (over 1,800)
            // is slowed by the 429s the worker honours.
            Client::Teams(_) => Pacing {
                per_conversation: config.channel_interval,
                overall: config.global_interval,
            },
        }
    }

    /// True when sending `out` could leave a second copy if an earlier attempt landed (a new
    /// post in a conversation's history, rather than a private message or an update).
    pub fn can_land_twice(&self, out: &Outgoing<'_>) -> bool {
        match self {
            Client::Slack(slack) => slack.can_land_twice(out),
            Client::Teams(teams) => teams.can_land_twice(out),
        }
    }

    /// The platform id of the message an earlier attempt at `row` posted, if one landed since
    /// `since_ms`.
    pub async fn find_earlier(
        &self,
        row: &ClaimedMessage,
        since_ms: i64,
    ) -> Result<Option<String>, Failure> {
        match self {
            Client::Slack(slack) => slack.find_earlier(row, since_ms).await,
            Client::Teams(teams) => teams.find_earlier(row, since_ms).await,
        }
    }

    /// Renders and sends `out`; the platform's id of the message when it has one.
    pub async fn send(&self, out: &Outgoing<'_>) -> Result<Option<String>, Failure> {
        match self {
            Client::Slack(slack) => slack.send(out).await,
            Client::Teams(teams) => teams.send(out).await,
        }
    }
}
