//! Saved connections: list, create, show, edit (secrets left blank keep their value), rename,
//! delete, and *Test connection*. Answers carry a connection's settings without its secrets
//! (only the paths of the secrets it holds).

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use connector_app::connections;
use connector_core::TestReport;
use connector_store::{ConnectionInfo, ConnectionName};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::ApiError;
use crate::error::Body;
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
    Body(new): Body<New>,
) -> Result<(StatusCode, Json<ConnectionInfo>), ApiError> {
    let name = ConnectionName::parse(&new.name)?;
    let provider = crate::error::provider(&new.provider, StatusCode::UNPROCESSABLE_ENTITY)?;
    // Saved with the endpoints this console reaches the provider at (its sandbox's under
    // `serve --sandbox`), so the connection works from the command line too.
    let endpoints = shared.provider_context(provider.id());
    let info = connections::add(&*shared.store, &name, provider, new.settings, &endpoints).await?;
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
    Body(edit): Body<Edit>,
) -> Result<Json<ConnectionInfo>, ApiError> {
    let info = connections::save_edit_form(&*shared.store, &name, edit.settings).await?;
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
    Body(rename): Body<Rename>,
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

/// Tests the connection and records the result (the list shows it). Asked for
/// `text/event-stream`, it answers with server-sent events instead: a `step` event with each
/// step's result as it settles, then a `report` event with the whole report (or an `error`
/// event).
pub(crate) async fn test(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let live = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    // An unknown connection is a 404 (before any event).
    let context = shared.context_of(&name).await?;
    if !live {
        let report: TestReport = connections::test(&*shared.store, &name, &context).await?;
        return Ok(Json(report).into_response());
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let steps = tx.clone();
    tokio::spawn(async move {
        let result = connections::test_watched(&*shared.store, &name, &context, move |step| {
            let _ = steps.send(event("step", step));
        })
        .await;
        let last = match result {
            Ok(report) => event("report", &report),
            Err(e) => event("error", &ApiError::from(e).body()),
        };
        let _ = tx.send(last);
    });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Ok(Sse::new(events).into_response())
}

/// An event named `name` with `data` as JSON.
fn event(name: &str, data: &impl serde::Serialize) -> Event {
    Event::default()
        .event(name)
        .json_data(data)
        .unwrap_or_else(|_| {
            Event::default()
                .event("error")
                .data("an event could not be written")
        })
}
