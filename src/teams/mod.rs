//! Microsoft Teams through the Bot Framework: settings, the inbound activity's envelope, the
//! authentication of every inbound request, and an offline token authority for tests and the
//! demo.
//!
//! What exists so far (issue 12, in progress): `POST /teams/messages` authenticates every
//! activity (Bot Framework JWT, JWKS with endorsements, `serviceurl` claim, tenant allow-list)
//! and deduplicates it by id. The Teams flows themselves (commands, dialogs, cards, proactive
//! messages) come on top of the platform-neutral core.

pub mod activity;
pub mod auth;
pub mod emulator;
pub mod package;
pub mod settings;

pub use activity::ActivityHead;
pub use auth::{AuthError, Authenticator};
pub use settings::TeamsSettings;
