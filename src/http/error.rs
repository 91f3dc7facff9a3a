//! The one mapping from service failures to what Slack and the person see.

use crate::domain::DealError;
use crate::service::ServiceError;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A failure of a slash-command handler. Refusals become an ephemeral answer (HTTP 200, so
/// Slack shows it); internal errors are logged in full and the person sees a short reference.
#[derive(Debug)]
pub struct AppError(pub ServiceError);

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        AppError(e)
    }
}

impl From<DealError> for AppError {
    fn from(e: DealError) -> Self {
        AppError(ServiceError::Rejected(e))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError(ServiceError::Internal(e))
    }
}

/// Logs an internal error with its whole chain and returns the reference shown to people.
pub fn report(error: &anyhow::Error) -> String {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    tracing::error!(reference = %reference, error = format!("{error:#}"), "internal error");
    reference
}

/// The ephemeral text for a refusal or an internal error.
pub fn message_for(error: &ServiceError) -> String {
    match error {
        ServiceError::Rejected(e) => e.to_string(),
        ServiceError::Internal(e) => {
            format!("Sorry, something went wrong on our side and nothing was changed. Please try again in a minute (reference {}).", report(e))
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let icon = match &self.0 {
            ServiceError::Rejected(DealError::NotLinked | DealError::NotManager) => ":lock:",
            ServiceError::Rejected(_) => ":warning:",
            ServiceError::Internal(_) => ":x:",
        };
        let text = message_for(&self.0);
        // Built by hand (not from a template) so an error path can never fail to render.
        Json(json!({
            "response_type": "ephemeral",
            "text": crate::templates::escape_mrkdwn(&text),
            "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": format!("{icon} {}", crate::templates::escape_mrkdwn(&text)) } }]
        }))
        .into_response()
    }
}
