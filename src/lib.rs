//! partnerbot: a chat bot that runs a B2B partner program in Slack and Microsoft Teams.

pub mod app;
pub mod chart;
pub mod chat;
pub mod cli;
pub mod cli_accounts;
pub mod cli_outbox;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod emulator;
pub mod export;
pub mod home;
pub mod http;
pub mod intent;
pub mod jobs;
pub mod metrics;
pub mod notice;
pub mod preflight;
pub mod service;
pub mod simulate;
pub mod slack;
pub mod store;
pub mod teams;
pub mod templates;
