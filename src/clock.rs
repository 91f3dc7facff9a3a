//! The one place that reads the time. Tests freeze it or move it forward.

use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Wall-clock time, shifted by an offset tests can move, or frozen at a fixed instant.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    frozen_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The real clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock stopped at `at`; [`Clock::advance`] moves it.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock {
            offset_ms: Arc::default(),
            frozen_ms: Some(Arc::new(AtomicI64::new(at.timestamp_millis()))),
        }
    }

    /// Now, in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_else(Utc::now)
    }

    /// Now, in milliseconds since the Unix epoch (how the store keeps times).
    pub fn now_ms(&self) -> i64 {
        match &self.frozen_ms {
            Some(at) => at.load(Ordering::SeqCst),
            None => Utc::now().timestamp_millis() + self.offset_ms.load(Ordering::SeqCst),
        }
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: chrono::Duration) {
        let ms = by.num_milliseconds();
        match &self.frozen_ms {
            Some(at) => at.fetch_add(ms, Ordering::SeqCst),
            None => self.offset_ms.fetch_add(ms, Ordering::SeqCst),
        };
    }
}
