//! partnerbot: a Slack bot that runs a B2B partner program.

pub mod clock;
pub mod config;
pub mod domain;
pub mod store;
pub mod slack;
pub mod templates;
pub mod emulator;
pub mod service;
pub mod delivery;
pub mod metrics;
pub mod http;
pub mod app;
pub mod cli;
pub mod demo;
pub mod simulate;
