//! The Google Workspace connection test: the API's host and the token service reachable → a
//! token issued for the admin (delegation and subject problems answered with their fix) →
//! the admin may read users → users readable.

use connector_core::check::{CheckStep, Checklist};
use connector_core::http::{RecordsAt, Request};

use crate::client::GoogleClient;
use crate::model::DirectoryUser;

/// What the export needs of the admin it acts for.
pub const READ_USERS: &str = "an admin role with the Users > Read privilege for the subject";

/// The steps after the SDK's settings step.
pub const CHECKS: &[CheckStep] = &[
    CheckStep::new("reachable", "Directory API reachable", &[]),
    CheckStep::new("token_service_reachable", "Token service reachable", &[]),
    CheckStep::new(
        "authenticated",
        "Token issued (domain-wide delegation)",
        &["reachable", "token_service_reachable"],
    ),
    CheckStep::permission("permission_read_users", "Admin may read users", READ_USERS),
    CheckStep::new(
        "users_readable",
        "Users readable",
        &["permission_read_users"],
    ),
];

/// Runs the steps; `customer` as the export lists it.
pub async fn run(client: &GoogleClient, customer: &str, checks: &mut Checklist) {
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
        .query("customer", customer)
        .query("maxResults", "1");
    checks
        .authenticated_and_permitted(
            http,
            &one,
            "permission_read_users",
            READ_USERS,
            [
                "Google issued a token for the admin (domain-wide delegation is granted)",
                "the admin may read users",
            ],
        )
        .await;
    checks
        .run("users_readable", || async {
            let request = one.clone().query("projection", "full");
            let page = http
                .fetch_records::<DirectoryUser>(
                    &request,
                    &RecordsAt::pointer("/users"),
                    READ_USERS,
                    1,
                )
                .await?;
            Ok(format!(
                "users read with every field the export reads ({} on the first page)",
                page.items.len()
            ))
        })
        .await;
}
