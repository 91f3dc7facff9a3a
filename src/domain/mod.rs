//! Types and rules of the partner program. Synchronous and free of I/O: callers pass `now` in.

pub mod account;
pub mod commission;
pub mod deal;
pub mod digest;
pub mod engagement;
pub mod matching;
pub mod metrics;
pub mod money;
pub mod nudge;
pub mod partner;
pub mod survey;
pub mod tier;

pub use deal::{
    Deal, DealDraft, DealError, DealId, DealStatus, Field, FieldErrors, NewDeal, Stage, Surface,
};
pub use money::Money;
pub use partner::{Partner, PartnerId, PartnerType};
