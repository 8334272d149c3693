//! The API's OpenAPI 3.1 document (`GET /api/openapi.json`), written beside the routes it
//! describes: the same paths, methods, answers and statuses; the test suite checks the two
//! against each other and runs schemathesis against the live console.

use serde_json::{json, Value};

/// Statuses every route can answer besides its own: a request it cannot read (a path or query
/// that does not decode), no token, another Host or origin.
const GUARDED: [&str; 3] = ["400", "401", "403"];

/// An answer of `schema` (a `$ref` name) as JSON.
fn ok(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn component(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The error answers `statuses` (plus the guarded ones).
fn errors(statuses: &[&str]) -> Vec<(String, Value)> {
    GUARDED
        .iter()
        .chain(statuses)
        .map(|s| {
            (
                (*s).to_owned(),
                json!({"description": "an error", "content": {"application/json": {"schema": component("Error")}}}),
            )
        })
        .collect()
}

/// One operation: its summary, body (a component name), answers, and error statuses.
fn operation(
    summary: &str,
    parameters: Value,
    body: Option<&str>,
    answers: Vec<(&str, Value)>,
    error_statuses: &[&str],
) -> Value {
    let mut responses = serde_json::Map::new();
    for (status, answer) in answers {
        responses.insert(status.to_owned(), answer);
    }
    for (status, answer) in errors(error_statuses) {
        responses.insert(status, answer);
    }
    let mut op = json!({"summary": summary, "parameters": parameters, "responses": responses});
    if let Some(body) = body {
        op["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": component(body)}},
        });
    }
    op
}

fn name_parameter() -> Value {
    json!([{"name": "name", "in": "path", "required": true, "description": "the connection's name (any case)", "schema": {"type": "string"}, "example": "Payroll"}])
}

/// The document.
pub(crate) fn document() -> Value {
    let name = name_parameter();
    let body_errors: &[&str] = &["404", "409", "415", "422", "500"];
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Connector console",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Saved connections of the connector SDK: providers and their settings forms, create, edit (a secret left blank keeps its value), rename, delete, test with live steps, users and sync. Every call needs the session token that `connector serve` prints.",
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/api/providers": {"get": operation(
                "The providers, as tiles", json!([]), None,
                vec![("200", ok("the providers", json!({"type": "array", "items": component("Tile")})))],
                &[])},
            "/api/providers/{id}/form": {"get": operation(
                "A provider's settings form: its JSON Schema (draft-07) and UI schemas",
                json!([
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "edit", "in": "query", "required": false, "description": "the edit form (secrets optional, blank keeps)", "schema": {"type": "boolean"}},
                ]),
                None,
                vec![("200", ok("the form", component("Form")))],
                &["404", "422"])},
            "/api/connections": {
                "get": operation("The saved connections", json!([]), None,
                    vec![("200", ok("the connections", json!({"type": "array", "items": component("Connection")})))],
                    &["500"]),
                "post": operation("Save a new connection (every settings problem by field)", json!([]), Some("NewConnection"),
                    vec![("201", ok("the connection, saved", component("Connection")))],
                    body_errors),
            },
            "/api/connections/{name}": {
                "parameters": name,
                "get": operation("One connection", json!([]), None,
                    vec![("200", ok("the connection", component("Connection")))], &["404", "500"]),
                "put": operation("An edit form's submission: a secret left blank (or out) keeps its saved value", json!([]), Some("EditedConnection"),
                    vec![("200", ok("the connection, changed", component("Connection")))], body_errors),
                "delete": operation("Remove the connection, its secrets and its sync state", json!([]), None,
                    vec![("204", json!({"description": "removed"}))], &["404", "500"]),
            },
            "/api/connections/{name}/rename": {
                "parameters": name,
                "post": operation("Rename the connection", json!([]), Some("Rename"),
                    vec![("200", ok("the connection under its new name", component("Connection")))], body_errors),
            },
            "/api/connections/{name}/test": {
                "parameters": name,
                "post": operation("Test the connection, step by step, and record the result", json!([]), None,
                    vec![("200", json!({
                        "description": "the report; with Accept: text/event-stream, server-sent events (`step` per step as it settles, then `report`)",
                        "content": {
                            "application/json": {"schema": component("TestReport")},
                            "text/event-stream": {"schema": {"type": "string"}},
                        },
                    }))],
                    &["404", "409", "500"]),
            },
            "/api/connections/{name}/users": {
                "parameters": name,
                "get": operation("The first users, for a table",
                    json!([{"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}]),
                    None,
                    vec![("200", ok("the users", component("UsersPage")))],
                    &["404", "409", "422", "500", "502"]),
            },
            "/api/connections/{name}/users.csv": {
                "parameters": name,
                "get": operation("Every user as CSV, streamed (aborted, not ended, when the listing fails)", json!([]), None,
                    vec![("200", json!({"description": "the file", "content": {"text/csv": {"schema": {"type": "string"}}}}))],
                    &["404", "409", "500", "502"]),
            },
            "/api/connections/{name}/users.jsonl": {
                "parameters": name,
                "get": operation("Every user as JSON lines, streamed (aborted, not ended, when the listing fails)", json!([]), None,
                    vec![("200", json!({"description": "the file", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}))],
                    &["404", "409", "500", "502"]),
            },
            "/api/connections/{name}/sync": {
                "parameters": name,
                "post": operation("Run one sync: who joined, moved and left, with before and after; a preview unless commit=true",
                    json!([{"name": "commit", "in": "query", "required": false, "description": "commit the new state (a first sync records its baseline)", "schema": {"type": "boolean"}}]),
                    None,
                    vec![("200", ok("the sync and its events", component("SyncResult")))],
                    &["404", "409", "422", "500", "502"]),
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "the token in the URL `connector serve` prints"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::SESSION_COOKIE},
            },
            "schemas": schemas(),
        },
    })
}

fn schemas() -> Value {
    let text = json!({"type": "string"});
    let strings = json!({"type": "array", "items": {"type": "string"}});
    json!({
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["message"],
            "properties": {
                "message": text, "hint": text, "hint_fields": strings,
                "fields": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                    "properties": {"field": text, "message": text}}},
            },
        }}},
        "Tile": {"type": "object", "required": ["id", "name", "description", "docs_url", "sandbox"], "properties": {
            "id": text, "name": text, "description": text, "docs_url": text, "sandbox": {"type": "boolean"},
            "sandbox_settings": {"type": "object"},
        }},
        "Form": {"type": "object", "required": ["provider", "schema", "ui_schema", "json_forms_ui_schema"], "properties": {
            "provider": text, "schema": {"type": "object"}, "ui_schema": {"type": "object"}, "json_forms_ui_schema": {"type": "object"},
        }},
        "NewConnection": {"type": "object", "required": ["name", "provider", "settings"], "properties": {
            "name": text, "provider": text, "settings": {"type": "object"},
        }},
        "EditedConnection": {"type": "object", "required": ["settings"], "properties": {"settings": {"type": "object"}}},
        "Rename": {"type": "object", "required": ["to"], "properties": {"to": text}},
        "Connection": {"type": "object",
            "required": ["id", "name", "provider", "status", "settings", "secret_fields", "created_at", "updated_at"],
            "properties": {
                "id": text, "name": text, "provider": text,
                "status": {"type": "string", "enum": ["untested", "connected", "failed"]},
                "settings": {"type": "object"},
                "secret_fields": strings,
                "endpoints": {"type": "object", "description": "Where the provider is reached when not at its production hosts (a sandbox's endpoints), by endpoint name", "additionalProperties": text},
                "created_at": text, "updated_at": text,
                "last_test": {"type": "object"}, "last_export": {"type": "object"},
            }},
        "StepReport": {"type": "object", "required": ["id", "title", "status", "message", "duration_ms"], "properties": {
            "id": text, "title": text,
            "status": {"type": "string", "enum": ["passed", "failed", "skipped"]},
            "message": text, "hint": text, "hint_fields": strings, "error_kind": text,
            "duration_ms": {"type": "integer", "minimum": 0},
        }},
        "TestReport": {"type": "object", "required": ["provider", "passed", "steps", "duration_ms"], "properties": {
            "provider": text, "passed": {"type": "boolean"},
            "steps": {"type": "array", "items": component("StepReport")},
            "duration_ms": {"type": "integer", "minimum": 0},
        }},
        "UsersPage": {"type": "object", "required": ["users", "limited", "summary"], "properties": {
            "users": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {"id": text}}},
            "limited": {"type": "boolean"},
            "summary": {"type": "object"},
        }},
        "SyncResult": {"type": "object", "required": ["connection", "method", "baseline", "committed", "users", "counts", "events"], "properties": {
            "connection": text,
            "committed": {"type": "boolean"},
            "method": {"type": "string", "enum": ["full_listing", "change_feed"]},
            "baseline": {"type": "boolean"},
            "users": {"type": "integer", "minimum": 0},
            "counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
            "events": {"type": "array", "items": {"type": "object", "required": ["event_id", "type"],
                "properties": {"event_id": text, "type": text}}},
        }},
    })
}
