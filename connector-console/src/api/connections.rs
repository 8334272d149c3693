//! Saved connections: list, create, show, edit (secrets left blank keep their value), rename,
//! delete, and *Test connection*. Answers carry a connection's settings without its secrets
//! (only the paths of the secrets it holds).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use connector_app::connections::{self, EditFailure, SaveFailure};
use connector_core::TestReport;
use connector_store::{ConnectionInfo, ConnectionName};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::ApiError;
use crate::Shared;

pub(crate) async fn list(
    State(shared): State<Shared>,
) -> Result<Json<Vec<ConnectionInfo>>, ApiError> {
    Ok(Json(shared.store.list().await?))
}

/// A new connection.
#[derive(Deserialize)]
pub(crate) struct New {
    name: String,
    provider: String,
    settings: Value,
}

pub(crate) async fn create(
    State(shared): State<Shared>,
    Json(new): Json<New>,
) -> Result<(StatusCode, Json<ConnectionInfo>), ApiError> {
    let name = ConnectionName::parse(&new.name)?;
    let provider = connector_core::registry::provider(&new.provider).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            .hint(e.hint().unwrap_or_default())
    })?;
    let info = connections::add(&*shared.store, &name, provider, new.settings)
        .await
        .map_err(|e| match e {
            SaveFailure::Invalid(e) => ApiError::from(e),
            SaveFailure::Store(e) => ApiError::from(e),
            other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        })?;
    Ok((StatusCode::CREATED, Json(info)))
}

pub(crate) async fn show(
    State(shared): State<Shared>,
    Path(name): Path<String>,
) -> Result<Json<ConnectionInfo>, ApiError> {
    Ok(Json(shared.store.info(&name).await?))
}

/// An edit form's submission.
#[derive(Deserialize)]
pub(crate) struct Edit {
    settings: Map<String, Value>,
}

pub(crate) async fn edit(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    Json(edit): Json<Edit>,
) -> Result<Json<ConnectionInfo>, ApiError> {
    let info = connections::save_edit_form(&*shared.store, &name, edit.settings)
        .await
        .map_err(|e| match e {
            EditFailure::Invalid { error, .. } => ApiError::from(error),
            EditFailure::Store(e) => ApiError::from(e),
            other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        })?;
    Ok(Json(info))
}

/// A new name.
#[derive(Deserialize)]
pub(crate) struct Rename {
    to: String,
}

pub(crate) async fn rename(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    Json(rename): Json<Rename>,
) -> Result<Json<ConnectionInfo>, ApiError> {
    let to = ConnectionName::parse(&rename.to)?;
    Ok(Json(shared.store.rename(&name, &to).await?))
}

pub(crate) async fn remove(
    State(shared): State<Shared>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    shared.store.remove(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tests the connection and records the result (the list shows it).
pub(crate) async fn test(
    State(shared): State<Shared>,
    Path(name): Path<String>,
) -> Result<Json<TestReport>, ApiError> {
    Ok(Json(
        connections::test(&*shared.store, &name, &shared.context).await?,
    ))
}
