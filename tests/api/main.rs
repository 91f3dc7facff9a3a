//! API tests: the real router, store and delivery worker against the Slack emulator.

mod helpers;

mod accounts;
mod commissions;
mod conflicts;
mod delivery;
mod demo;
mod digest;
mod escaping;
mod events;
mod exports;
mod fixtures;
mod home;
mod hostile;
mod jobs;
mod limits;
mod links;
mod nudges;
mod outage;
mod preflight;
mod privacy;
mod races;
mod registration;
mod review;
mod scopes;
mod shortcuts;
mod signatures;
mod socket;
mod store;
mod surveys;
mod teams_auth;
mod teams_delivery;
mod templates;
mod tiers;
mod upgrade;
mod word_stats;
