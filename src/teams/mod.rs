//! Microsoft Teams through the Bot Framework: settings, the inbound activity's envelope, the
//! authentication of every inbound request, and an offline token authority for tests and the
//! demo.
//!
//! What exists so far (issue 12, in progress): `POST /teams/messages` authenticates every
//! activity (Bot Framework JWT, JWKS with endorsements, `serviceurl` claim, tenant allow-list),
//! records the conversation references proactive messages need, and deduplicates it by id.
//! Every notice and inline answer has its Adaptive Card (`cards`, with the `Action.Execute`
//! verbs in `cards::verbs`). Outbound, the Connector client (`connector`) posts, threads and
//! updates activities and opens 1:1 conversations, and its offline counterpart
//! (`connector_emulator`) refuses what Teams refuses. Commands typed to the bot (`command`:
//! the text without the bot's mention and HTML, and Teams' wording of refusals) are parsed into
//! the shared intents and answered with cards for the person only. Invokes (`invoke`) are read
//! into what they ask for (a dialog opened or submitted, an `Action.Execute` verb) and answered
//! with the shapes Teams expects (TaskModuleResponse, the Universal Actions card or error). Both
//! call the platform-neutral core from `http`.

pub mod activity;
pub mod auth;
pub mod cards;
pub mod command;
pub mod connector;
pub mod connector_emulator;
pub mod emulator;
pub mod ids;
pub mod invoke;
pub mod package;
pub mod settings;

pub use activity::ActivityHead;
pub use auth::{AuthError, Authenticator};
pub use connector::{Connector, ConnectorError};
pub use ids::{is_conversation_id, is_guid};
pub use settings::TeamsSettings;
