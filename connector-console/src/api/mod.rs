//! The console's routes.

mod connections;
mod openapi;
mod providers;
mod users;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;

pub(crate) use crate::error::ApiError;
use crate::Shared;

/// Every route, behind the access guard.
pub(crate) fn router(shared: Shared) -> Router {
    Router::new()
        .route("/", get(crate::page::index))
        .route("/assets/console.js", get(crate::page::script))
        .route("/assets/console.css", get(crate::page::stylesheet))
        .route(
            "/api/openapi.json",
            get(|| async { axum::Json(openapi::document()) }),
        )
        .route("/api/providers", get(providers::list))
        .route("/api/providers/{id}/form", get(providers::form))
        .route(
            "/api/connections",
            get(connections::list).post(connections::create),
        )
        .route(
            "/api/connections/{name}",
            get(connections::show)
                .put(connections::edit)
                .delete(connections::remove),
        )
        .route("/api/connections/{name}/rename", post(connections::rename))
        .route("/api/connections/{name}/test", post(connections::test))
        .route("/api/connections/{name}/users", get(users::peek))
        .route("/api/connections/{name}/sync", post(users::sync))
        .route("/api/connections/{name}/{file}", get(users::download))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such page or API route") })
        .layer(axum::middleware::map_response(crate::error::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::access::guard,
        ))
        .with_state(shared)
}
