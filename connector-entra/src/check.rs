//! The Entra ID connection test: Graph's host and the sign-in host reachable → a token issued
//! (AADSTS codes answered with their fix) → User.Read.All granted → users readable.

use connector_core::check::{CheckStep, Checklist};
use connector_core::http::{RecordsAt, Request};

use crate::client::EntraClient;
use crate::model::{GraphUser, SELECT};

/// The Graph permission the export needs (application, with admin consent).
pub const USER_READ_ALL: &str = "User.Read.All";

/// The steps after the SDK's settings step.
pub const CHECKS: &[CheckStep] = &[
    CheckStep::new("reachable", "Microsoft Graph reachable", &[]),
    CheckStep::new("token_service_reachable", "Sign-in service reachable", &[]),
    CheckStep::new(
        "authenticated",
        "Token issued",
        &["reachable", "token_service_reachable"],
    ),
    CheckStep::permission(
        "permission_user_read_all",
        "Permission: User.Read.All",
        "the Microsoft Graph application permission User.Read.All, with admin consent",
    ),
    CheckStep::new(
        "users_readable",
        "Users readable",
        &["permission_user_read_all"],
    ),
];

/// Runs the steps.
pub async fn run(client: &EntraClient, checks: &mut Checklist) {
    let http = client.http();
    checks
        .run("reachable", || async { Ok(http.probe().await?.summary) })
        .await;
    checks
        .run("token_service_reachable", || async {
            Ok(http.probe_endpoint(client.token_url()).await?.summary)
        })
        .await;
    let one = Request::get("/users")
        .query("$select", "id")
        .query("$top", "1");
    checks
        .authenticated_and_permitted(
            http,
            &one,
            "permission_user_read_all",
            USER_READ_ALL,
            [
                "Entra ID issued a token for Microsoft Graph",
                "User.Read.All is granted: Graph lists the users",
            ],
        )
        .await;
    checks
        .run("users_readable", || async {
            let request = one.clone().set_query("$select", SELECT);
            let page = http
                .fetch_records::<GraphUser>(
                    &request,
                    &RecordsAt::pointer("/value"),
                    USER_READ_ALL,
                    1,
                )
                .await?;
            Ok(format!(
                "users read with every field the export selects ({} on the first page)",
                page.items.len()
            ))
        })
        .await;
}
