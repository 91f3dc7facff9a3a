//! Pacing per platform: each conversation's next free slot, a gap between any two posts of the
//! worker on one platform, and a pause of the whole platform after it rate-limited us.

use super::platform::Pacing;
use std::collections::HashMap;
use tokio::time::Instant;

/// Slots older than this are forgotten so the map stays small.
const PRUNE_AT: usize = 10_000;

/// Next free slots by (platform, conversation), and by platform.
#[derive(Debug, Default)]
pub(super) struct Pacer {
    next_slot: HashMap<(String, String), Instant>,
    next_overall: HashMap<String, Instant>,
    paused_until: HashMap<String, Instant>,
}

impl Pacer {
    /// Takes the next slot for `conversation` on `platform` at or after `now`: after the
    /// conversation's previous post, any pause of the platform and the platform's previous post.
    pub(super) fn next_slot(
        &mut self,
        platform: &str,
        conversation: &str,
        pacing: Pacing,
        now: Instant,
    ) -> Instant {
        if self.next_slot.len() > PRUNE_AT {
            self.next_slot.retain(|_, at| *at > now);
        }
        let key = (platform.to_string(), conversation.to_string());
        let mut start = self
            .next_slot
            .get(&key)
            .copied()
            .filter(|at| *at > now)
            .unwrap_or(now);
        for limit in [&self.paused_until, &self.next_overall] {
            if let Some(at) = limit.get(platform).copied().filter(|at| *at > start) {
                start = at;
            }
        }
        self.next_overall
            .insert(platform.to_string(), start + pacing.overall);
        self.next_slot.insert(key, start + pacing.per_conversation);
        start
    }

    /// Holds every post on `platform` until `until`.
    pub(super) fn pause(&mut self, platform: &str, until: Instant) {
        let at = self
            .paused_until
            .entry(platform.to_string())
            .or_insert(until);
        *at = (*at).max(until);
    }
}
