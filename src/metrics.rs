//! Prometheus metrics: requests by route and outcome, request latency, outbox depth, and
//! delivery outcomes (delivered, retried, rate limited, failed).

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PlatformLabels {
    platform: String,
}

/// Latency buckets in seconds: Slack's 3-second acknowledgement budget sits near the top.
const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// All metrics of one process.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    deliveries: Family<DeliveryLabels, Counter>,
    outbox_depth: Gauge,
    oldest_pending: Family<PlatformLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("partnerbot");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(LATENCY_BUCKETS)
        });
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let outbox_depth = Gauge::default();
        let oldest_pending =
            Family::<PlatformLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and outcome",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "deliveries",
            "Outbox delivery attempts by outcome (delivered, recovered, retried, rate_limited, fenced, failed, failed_unreported)",
            deliveries.clone(),
        );
        registry.register(
            "outbox_depth",
            "Messages waiting in the outbox",
            outbox_depth.clone(),
        );
        registry.register(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest message still waiting for delivery, per chat platform (0 when none waits)",
            oldest_pending.clone(),
        );
        Metrics {
            oldest_pending,
            registry,
            requests,
            latency,
            deliveries,
            outbox_depth,
        }
    }

    /// Counts one request and its latency.
    pub fn observe_request(&self, route: &str, outcome: &str, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.into(),
                outcome: outcome.into(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.into(),
            })
            .observe(seconds);
    }

    /// Counts one delivery attempt's outcome.
    pub fn observe_delivery(&self, outcome: &str) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                outcome: outcome.into(),
            })
            .inc();
    }

    /// The Prometheus text exposition, with the outbox depth and the oldest pending message's
    /// age (seconds) as measured now.
    pub fn render(&self, outbox_depth: i64, oldest_pending_secs: f64) -> String {
        self.outbox_depth.set(outbox_depth);
        self.oldest_pending
            .get_or_create(&PlatformLabels {
                platform: "slack".into(),
            })
            .set(oldest_pending_secs);
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.push_str("# encoding failed\n");
        }
        out
    }
}
