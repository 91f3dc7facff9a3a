//! The Slack adapter: request verification, payload parsing, Block Kit rendering and the Web
//! API client. No business rules live here.

pub mod actions;
pub mod answers;
pub mod client;
pub mod home;
pub mod ids;
pub mod limits;
pub mod links;
pub mod notices;
pub mod payload;
pub mod refusals;
pub mod render;
#[cfg(test)]
mod render_limits;
pub mod sanitize;
pub mod scopes;
pub mod verify;

pub use client::{ApiFailure, SlackApi};
pub use ids::is_slack_id;
pub use render::Renderer;
