//! People's time zones for scheduled messages: the program file's when it sets one, else what
//! their chat platform reports (through [`TimeZones`], cached for a day), else the program's
//! default.

use super::Service;
use crate::chat::{ChatUser, Platform};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

/// How long a platform's answer is used before it is asked again: people rarely move, and the
/// hourly jobs then ask about each person at most once a day.
const CACHED_FOR_MS: i64 = 24 * 60 * 60 * 1000;

/// What a time zone lookup answers: the IANA zone, `None` when the person set none, or why it
/// could not be read.
pub type ZoneAnswer<'a> = Pin<Box<dyn Future<Output = Result<Option<String>, String>> + Send + 'a>>;

/// A chat platform's people directory, for the time zones people set there.
pub trait TimeZones: Send + Sync + std::fmt::Debug {
    /// The platform whose people it knows.
    fn platform(&self) -> Platform;
    /// The time zone `user` set on the platform.
    fn time_zone<'a>(&'a self, user: &'a str) -> ZoneAnswer<'a>;
}

impl Service {
    /// The same service, reading people's time zones from `zones` when the program file sets
    /// none for them.
    pub fn with_time_zones(mut self, zones: Arc<dyn TimeZones>) -> Service {
        self.zones = Some(zones);
        self
    }

    /// `user`'s time zone as of `now`: `configured` (the program file's) when it is one, else
    /// the one they set on their platform, else `fallback`.
    pub(super) async fn zone_of(
        &self,
        user: &ChatUser,
        configured: Option<&str>,
        fallback: &str,
        now: DateTime<Utc>,
    ) -> Tz {
        if let Some(tz) = configured.and_then(|z| Tz::from_str(z).ok()) {
            return tz;
        }
        if let Some(tz) = self.platform_zone(user, now).await {
            return tz;
        }
        Tz::from_str(fallback).unwrap_or(Tz::UTC)
    }

    /// The zone `user` set on their platform: cached when read within a day, else asked for
    /// (and cached); the last one known when the platform cannot be asked.
    async fn platform_zone(&self, user: &ChatUser, now: DateTime<Utc>) -> Option<Tz> {
        let platform = user.platform.as_str();
        let now_ms = now.timestamp_millis();
        let cached = self
            .store
            .cached_time_zone(platform, &user.id)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(user = %user.id, error = format!("{e:#}"), "could not read a cached time zone");
                None
            });
        let last_known = cached.as_ref().and_then(|(tz, _)| Tz::from_str(tz).ok());
        if cached
            .as_ref()
            .is_some_and(|(_, at)| now_ms.saturating_sub(*at) < CACHED_FOR_MS)
        {
            return last_known;
        }
        let directory = self
            .zones
            .as_ref()
            .filter(|z| z.platform() == user.platform)?;
        match directory.time_zone(&user.id).await {
            Ok(Some(zone)) => match Tz::from_str(&zone) {
                Ok(tz) => {
                    if let Err(e) = self
                        .store
                        .cache_time_zone(platform, &user.id, &zone, now_ms)
                        .await
                    {
                        tracing::warn!(user = %user.id, error = format!("{e:#}"), "could not cache a time zone");
                    }
                    Some(tz)
                }
                Err(_) => {
                    tracing::warn!(user = %user.id, zone = %zone, "the platform named an unknown time zone");
                    last_known
                }
            },
            Ok(None) => last_known,
            Err(reason) => {
                tracing::warn!(user = %user.id, reason = %reason, "could not read a time zone; using the last known or the program's");
                last_known
            }
        }
    }
}
