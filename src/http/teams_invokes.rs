//! Teams invokes: dialogs (`task/fetch`, `task/submit`) and Universal Actions
//! (`adaptiveCard/action`), answered in the HTTP response.

use super::{AppError, AppState};
use crate::teams::ActivityHead;
use serde_json::Value;

/// The invoke response for one invoke activity.
pub(super) async fn handle(
    _state: &AppState,
    _activity: &ActivityHead,
    _body: &[u8],
) -> Result<Value, AppError> {
    Ok(serde_json::json!({ "statusCode": 200 }))
}
