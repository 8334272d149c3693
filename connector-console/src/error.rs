//! The console's errors as JSON: `{"error": {"message", "hint", "hint_fields", "fields"}}`,
//! with the HTTP status that fits.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use connector_app::connections::{EditFailure, SaveFailure};
use connector_app::export::ExportFailure;
use connector_app::sync::SyncFailure;
use connector_core::ErrorKind;
use connector_store::StoreError;
use serde::Serialize;

/// One field's problem.
#[derive(Debug, Serialize)]
struct FieldProblem {
    field: String,
    message: String,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hint_fields: Vec<String>,
    /// Every settings problem, by field (invalid settings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<FieldProblem>,
}

/// An API failure: a status and what to tell the caller.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                message: message.into(),
                hint: None,
                hint_fields: Vec::new(),
                fields: Vec::new(),
            },
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.body.hint = Some(hint.into());
        self
    }
}

impl ApiError {
    /// What the caller is told, as JSON.
    pub(crate) fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": &self.body })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.body });
        (self.status, Json(body)).into_response()
    }
}

impl From<connector_core::Error> for ApiError {
    fn from(e: connector_core::Error) -> Self {
        let status = match e.kind() {
            ErrorKind::InvalidSettings(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Unsupported => StatusCode::BAD_REQUEST,
            _ => StatusCode::BAD_GATEWAY,
        };
        let mut out = ApiError::new(status, e.to_string());
        out.body.hint = e.hint().map(str::to_owned);
        out.body.hint_fields = e.hint_fields().to_vec();
        out.body.fields = e
            .field_errors()
            .iter()
            .map(|f| FieldProblem {
                field: f.field.clone(),
                message: f.message.clone(),
            })
            .collect();
        out
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let e = match e {
            StoreError::Settings(core) => return ApiError::from(core),
            other => other,
        };
        let status = match &e {
            StoreError::UnknownConnection { .. } => StatusCode::NOT_FOUND,
            StoreError::DuplicateName { .. }
            | StoreError::WrongProvider { .. }
            | StoreError::SyncConflict { .. } => StatusCode::CONFLICT,
            StoreError::InvalidName { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut out = ApiError::new(status, e.to_string());
        out.body.hint = e.hint();
        if let StoreError::InvalidName { reason, .. } = &e {
            out.body.fields.push(FieldProblem {
                field: "name".into(),
                message: reason.clone(),
            });
        }
        out
    }
}

impl From<SaveFailure> for ApiError {
    fn from(e: SaveFailure) -> Self {
        match e {
            SaveFailure::Invalid(e) => ApiError::from(e),
            SaveFailure::Store(e) => ApiError::from(e),
            other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

impl From<EditFailure> for ApiError {
    fn from(e: EditFailure) -> Self {
        match e {
            EditFailure::Invalid { error, .. } => ApiError::from(error),
            EditFailure::Store(e) => ApiError::from(e),
            other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

impl From<ExportFailure> for ApiError {
    fn from(e: ExportFailure) -> Self {
        match e {
            ExportFailure::Provider(e) => ApiError::from(e),
            other => ApiError::new(StatusCode::BAD_GATEWAY, other.to_string()),
        }
    }
}

impl From<SyncFailure> for ApiError {
    fn from(e: SyncFailure) -> Self {
        match e {
            SyncFailure::Store(e) => ApiError::from(e),
            SyncFailure::Provider(e) => ApiError::from(e),
            // Stopped by the guard or a verdict, or another sync committed first.
            other => ApiError::new(StatusCode::CONFLICT, other.to_string()),
        }
    }
}

/// Provider `id` from the registry; `status` when there is none (404 for a path, 422 for a
/// body), the hint naming the providers there are.
pub(crate) fn provider(
    id: &str,
    status: StatusCode,
) -> Result<&'static connector_core::ProviderDescriptor, ApiError> {
    connector_core::registry::provider(id)
        .map_err(|e| ApiError::new(status, e.to_string()).hint(e.hint().unwrap_or_default()))
}

/// A JSON request body whose problems (not JSON, the wrong shape, the wrong content type)
/// are answered like every other error: as JSON, with what to send instead.
pub(crate) struct Body<T>(pub(crate) T);

impl<T, S> axum::extract::FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(ApiError::new(rejection.status(), rejection.body_text())
                .hint("send a JSON object (Content-Type: application/json) of the shape docs/console.md gives")),
        }
    }
}

/// Answers that the framework made itself (a path or query that does not decode, say) in
/// plain text become the console's JSON errors, so that every error has one shape.
pub(crate) async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_owned();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_owned()
    } else {
        text
    };
    ApiError::new(status, message).into_response()
}
