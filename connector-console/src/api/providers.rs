//! `GET /api/providers` (the tiles) and `GET /api/providers/{id}/form` (a provider's settings
//! form: the schema and the UI schemas, for a new connection or, with `?edit=true`, an edit).

use axum::extract::{Path, Query, State};
use axum::Json;
use connector_core::settings::Draft;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::ApiError;
use crate::Shared;

/// A provider, as a tile shows it.
#[derive(Serialize)]
pub(crate) struct Tile {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    docs_url: &'static str,
    /// Whether it ships a sandbox (a new user can try it without a tenant).
    sandbox: bool,
    /// The settings of its running sandbox, when the console started one: what a form can
    /// fill in to try the provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    sandbox_settings: Option<Value>,
}

pub(crate) async fn list(State(shared): State<Shared>) -> Json<Vec<Tile>> {
    Json(
        connector_core::registry::providers()
            .into_iter()
            .map(|d| Tile {
                id: d.id(),
                name: d.name(),
                description: d.description(),
                docs_url: d.docs_url(),
                sandbox: d.sandbox().is_some(),
                sandbox_settings: shared.options.sandboxes.get(d.id()).cloned(),
            })
            .collect(),
    )
}

#[derive(Deserialize)]
pub(crate) struct FormQuery {
    #[serde(default)]
    edit: bool,
}

/// The form of provider `id`: `schema` (draft-07, what RJSF and JSON Forms validate with),
/// `ui_schema` (react-jsonschema-form) and `json_forms_ui_schema`.
pub(crate) async fn form(
    Path(id): Path<String>,
    Query(query): Query<FormQuery>,
) -> Result<Json<Value>, ApiError> {
    let descriptor = crate::error::provider(&id, axum::http::StatusCode::NOT_FOUND)?;
    let schema = descriptor.settings_schema();
    let document = if query.edit {
        schema.edit_document(Draft::Draft07)
    } else {
        schema.to_draft(Draft::Draft07)
    };
    Ok(Json(json!({
        "provider": descriptor.id(),
        "schema": document,
        "ui_schema": schema.ui_schema_for(query.edit),
        "json_forms_ui_schema": schema.json_forms_ui_schema(query.edit),
    })))
}
