//! The Acme HR connection test: the API's host and the token service's host reachable →
//! authenticated (a token is issued and accepted) → the `employees:read` scope.

use connector_core::check::{CheckStep, Checklist};
use connector_core::http::Request;
use serde_json::Value;

use super::client::AcmeClient;
use super::export::EMPLOYEES;

/// The scope the export needs.
pub const SCOPE: &str = "employees:read";

/// The steps after the SDK's settings step.
pub const CHECKS: &[CheckStep] = &[
    CheckStep::reachable(),
    CheckStep::token_service_reachable(),
    CheckStep::new(
        "authenticated",
        "Authenticated",
        &["reachable", "token_service_reachable"],
    ),
    CheckStep::permission(
        "scope_employees_read",
        "Scope: employees:read",
        "the `employees:read` scope on the API client",
    ),
];

/// Runs the steps.
pub async fn run(client: &AcmeClient, checks: &mut Checklist) {
    let http = client.http();
    // `reachable`, then `token_service_reachable`: the token URL the client's OAuth2 uses.
    checks.endpoints_reachable(http).await;
    checks
        .run("authenticated", || async {
            let me = http.send(&Request::get("/v1/me")).await?;
            http.check_status(&me, SCOPE)?;
            Ok("Acme HR issued a token and accepted it".into())
        })
        .await;
    checks
        .run("scope_employees_read", || async {
            let one = Request::get(EMPLOYEES).query("limit", "1");
            http.fetch_records::<Value>(
                &one,
                &connector_core::http::RecordsAt::pointer("/data"),
                SCOPE,
                1,
            )
            .await?;
            Ok("employees can be listed".into())
        })
        .await;
}
