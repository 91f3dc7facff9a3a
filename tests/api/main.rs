//! API tests: the real router, store and delivery worker against the Slack emulator.

mod helpers;

mod accounts;
mod commissions;
mod conflicts;
mod delivery;
mod digest;
mod escaping;
mod events;
mod exports;
mod fixtures;
mod jobs;
mod nudges;
mod privacy;
mod registration;
mod review;
mod signatures;
mod store;
mod surveys;
mod tiers;
mod word_stats;
