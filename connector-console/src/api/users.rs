//! A connection's users: the first ones as a table (`GET …/users?limit=N`), the whole export
//! as a download (`GET …/users.csv`, `…/users.jsonl`, streamed; a failure aborts the download
//! rather than end it early; recorded as the connection's last export), and a sync with its lifecycle events (`POST …/sync`).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use connector_app::connections;
use connector_app::export::writer::{Format, WriterOptions};
use connector_app::export::{self, ExportOutput, ExportRequest};
use connector_app::sync::{self, SyncOutput, SyncRequest};
use connector_core::sync::Event;
use connector_core::{ExportOptions, User};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::ApiError;
use crate::Shared;

/// The most users one table page shows.
const MAX_PAGE: u64 = 1_000;

#[derive(Deserialize)]
pub(crate) struct Peek {
    limit: Option<u64>,
}

/// The users kept for the answer.
#[derive(Default)]
struct Table(Vec<User>);

impl ExportOutput for Table {
    fn write(&mut self, user: &User) -> std::io::Result<()> {
        self.0.push(user.clone());
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The first `limit` users (default 50, at most 1,000), with the export's counts.
pub(crate) async fn peek(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    Query(peek): Query<Peek>,
) -> Result<Json<Value>, ApiError> {
    let limit = peek.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let context = shared.context_of(&name).await?;
    let (_, connector) = connections::connect(&*shared.store, &name, &context).await?;
    let mut request = ExportRequest::new(ExportOptions::new().with_wanted(limit));
    request.limit = Some(limit);
    request.allow_empty = true;
    request.accept_incomplete = true;
    let mut table = Table::default();
    let report = export::run(&*connector, &request, &mut table, std::future::pending()).await?;
    Ok(Json(json!({
        "users": table.0,
        "limited": report.limited,
        "summary": report.summary,
    })))
}

/// Every user as a CSV or JSONL download, streamed as it is listed.
pub(crate) async fn download(
    State(shared): State<Shared>,
    Path((name, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (format, content_type) = match file.as_str() {
        "users.csv" => (Format::Csv, "text/csv; charset=utf-8"),
        "users.jsonl" => (Format::Jsonl, "application/x-ndjson"),
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "downloads are users.csv and users.jsonl",
            ))
        }
    };
    let context = shared.context_of(&name).await?;
    let (info, connector) = connections::connect(&*shared.store, &name, &context).await?;
    // Recorded as the connection's last export once delivered whole (or failed).
    let bytes = export::download_recorded(
        shared.store.clone(),
        info.name.clone(),
        &*connector,
        ExportRequest::new(ExportOptions::new()),
        format,
        WriterOptions::default(),
    )?
    // A failure becomes a body error: the download is aborted, never ended early.
    .map(|chunk| chunk.map_err(|e| std::io::Error::other(e.to_string())));
    let file_name: String = info
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}-{file}\""),
            ),
        ],
        Body::from_stream(bytes),
    )
        .into_response())
}

/// The events kept for the answer.
#[derive(Default)]
struct Events(Vec<Event>);

impl SyncOutput for Events {
    fn deliver(&mut self, events: &[Event]) -> std::io::Result<()> {
        self.0.extend_from_slice(events);
        Ok(())
    }
}

/// Whether a console sync commits.
#[derive(Deserialize)]
pub(crate) struct SyncQuery {
    #[serde(default)]
    commit: bool,
}

/// Runs one sync of the connection: its events (joined, left, moved… with before and after)
/// and what it did. By default a preview: nothing is committed, so the next sync (the one that
/// delivers to a provisioning tool) finds the same events; with `?commit=true` the state is
/// committed once the events are in the answer (a first sync then records its baseline).
pub(crate) async fn sync(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    Query(query): Query<SyncQuery>,
) -> Result<Json<Value>, ApiError> {
    let context = shared.context_of(&name).await?;
    let mut request = SyncRequest::new(name);
    request.context = context;
    // An HTTP answer may never reach its reader: committing on it would lose the events for
    // the next sync (the one that feeds a provisioning tool). Committing is asked for.
    request.dry_run = !query.commit;
    let mut events = Events::default();
    let report = sync::run(&*shared.store, &request, &mut events, &mut |_| {}).await?;
    let counts: serde_json::Map<String, Value> = report
        .counts
        .iter()
        .map(|(kind, n)| {
            (
                serde_json::to_value(kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                json!(n),
            )
        })
        .collect();
    Ok(Json(json!({
        "connection": report.connection,
        "method": match report.method {
            sync::SyncMethod::FullListing => "full_listing",
            sync::SyncMethod::ChangeFeed => "change_feed",
        },
        "baseline": report.baseline,
        "committed": report.committed.is_some(),
        "users": report.users,
        "counts": counts,
        "events": events.0,
    })))
}
