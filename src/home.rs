//! The Slack Home tab, published with `views.publish` and kept current.
//!
//! A tab is published when its person opens it (`app_home_opened`), turns its page, or clicks
//! one of its buttons. To keep open tabs current, [`HomeTabs::run`] re-renders the tab of each
//! recent viewer after every change the service commits (its [`Service::changes`] signal,
//! debounced so a burst of changes costs one round) and once a minute (which also catches
//! changes made through another replica, and the passing of days: protection ending, the SLA
//! passing). Only a tab whose rendering differs from what was last published is sent again,
//! so a change costs one `views.publish` per person who sees it differently.
//!
//! Why not the outbox: the Home tab is a view of the current state, not a message. Re-rendering
//! from the database is idempotent, a failed publish is simply retried on the next round, and
//! nothing needs to work out who a change concerns: comparing renderings does. The viewers are
//! kept in memory; after a restart a tab is brought up to date when it is next opened.

use crate::chat::Platform;
use crate::service::{Actor, Service};
use crate::slack::{Renderer, SlackApi};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Quiet time after a change before tabs are re-rendered: a registration commits several
/// changes within milliseconds, and one refresh should follow them all.
const DEBOUNCE: Duration = Duration::from_millis(300);
/// Tabs are re-rendered at least this often, for changes the signal does not carry.
const REFRESH_EVERY: Duration = Duration::from_secs(60);
/// A person who has not opened the tab for this long is no longer refreshed (Slack sends
/// `app_home_opened` again when they come back, and the tab is rendered afresh then).
const VIEWER_TTL: Duration = Duration::from_secs(8 * 3600);
/// At most this many tabs are kept current (the most recently opened): bounds the work of a
/// round to well within Slack's Tier 4 rate for `views.publish`.
const MAX_VIEWERS: usize = 200;

/// What was last shown to one person.
#[derive(Debug, Clone)]
struct Viewer {
    page: u32,
    /// The answer to their last click in the tab, shown until they open or page the tab again.
    note: Option<String>,
    opened: Instant,
    /// A hash of the view last published, to publish only what changed.
    published: Option<u64>,
}

#[derive(Debug)]
struct Inner {
    service: Service,
    render: Renderer,
    slack: SlackApi,
    viewers: Mutex<HashMap<String, Viewer>>,
}

/// The Home tabs of everyone who opened one recently. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HomeTabs {
    inner: Arc<Inner>,
}

fn hash_of(view: &serde_json::Value) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    view.to_string().hash(&mut hasher);
    hasher.finish()
}

impl HomeTabs {
    /// Home tabs rendered from `service`'s state and published through `slack`.
    pub fn new(service: Service, render: Renderer, slack: SlackApi) -> HomeTabs {
        HomeTabs {
            inner: Arc::new(Inner {
                service,
                render,
                slack,
                viewers: Mutex::default(),
            }),
        }
    }

    fn viewers(&self) -> MutexGuard<'_, HashMap<String, Viewer>> {
        // A panic elsewhere must not stop the tabs: the map stays consistent per entry.
        self.inner
            .viewers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `user` opened the Home tab: shows its first page.
    pub async fn opened(&self, user: &str) -> anyhow::Result<()> {
        self.show(user, 1, None).await
    }

    /// Shows page `page` of `user`'s tab, with `note` at the top; publishes even when nothing
    /// changed (Slack may show a stale or default view).
    pub async fn show(&self, user: &str, page: u32, note: Option<String>) -> anyhow::Result<()> {
        {
            let mut viewers = self.viewers();
            viewers.insert(
                user.to_string(),
                Viewer {
                    page: page.max(1),
                    note,
                    opened: Instant::now(),
                    published: None,
                },
            );
            if viewers.len() > MAX_VIEWERS {
                let oldest = viewers
                    .iter()
                    .min_by_key(|(_, v)| v.opened)
                    .map(|(u, _)| u.clone());
                if let Some(oldest) = oldest {
                    viewers.remove(&oldest);
                }
            }
        }
        self.publish(user).await.map(|_| ())
    }

    /// The page `user` last saw (1 when unknown).
    pub fn page_of(&self, user: &str) -> u32 {
        self.viewers().get(user).map_or(1, |v| v.page)
    }

    /// Renders `user`'s tab and publishes it if it differs from what they were last shown.
    /// Returns whether it was published.
    async fn publish(&self, user: &str) -> anyhow::Result<bool> {
        let Some(viewer) = self.viewers().get(user).cloned() else {
            return Ok(false);
        };
        let actor = Actor {
            platform: Platform::Slack,
            user: user.to_string(),
            workspace: None,
            channel: None,
        };
        let home = self
            .inner
            .service
            .home(&actor, viewer.page)
            .await
            .map_err(|e| anyhow::anyhow!("composing the Home tab: {e}"))?;
        let view = self.inner.render.home(&home, viewer.note.as_deref())?;
        let hash = hash_of(&view);
        if viewer.published == Some(hash) {
            return Ok(false);
        }
        self.inner
            .slack
            .publish_home(user, &view)
            .await
            .map_err(|e| anyhow::anyhow!("views.publish: {e}"))?;
        if let Some(v) = self.viewers().get_mut(user) {
            v.published = Some(hash);
        }
        tracing::info!(slack_user = %user, page = viewer.page, "Home tab published");
        Ok(true)
    }

    /// Re-renders every recent viewer's tab once, publishing those that changed; returns how
    /// many were published.
    pub async fn refresh(&self) -> usize {
        let users: Vec<String> = {
            let mut viewers = self.viewers();
            viewers.retain(|_, v| v.opened.elapsed() < VIEWER_TTL);
            viewers.keys().cloned().collect()
        };
        let mut published = 0;
        for user in users {
            match self.publish(&user).await {
                Ok(true) => published += 1,
                Ok(false) => {}
                // Left as it was: the next round tries again.
                Err(e) => tracing::warn!(slack_user = %user, error = %e, "Home tab not refreshed"),
            }
        }
        published
    }

    /// Keeps open tabs current until `stop` turns true (see the module documentation).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut changes = self.inner.service.changes();
        loop {
            tokio::select! {
                stopped = stop.changed() => {
                    if stopped.is_err() {
                        return;
                    }
                }
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    // Let the burst finish; what arrives meanwhile is covered by this round.
                    tokio::time::sleep(DEBOUNCE).await;
                    changes.borrow_and_update();
                }
                _ = tokio::time::sleep(REFRESH_EVERY) => {}
            }
            if *stop.borrow() {
                return;
            }
            self.refresh().await;
        }
    }
}
