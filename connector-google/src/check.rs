//! The Google Workspace connection test: the API's host and the token service reachable → a
//! token issued for the admin (delegation and subject problems answered with their fix) →
//! the admin may read users → users readable.

use connector_core::check::{CheckStep, Checklist, ListingSteps};
use connector_core::http::HttpClient;

use crate::export::READ_USERS;
use crate::model::DirectoryUser;

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
pub async fn run(http: &HttpClient, customer: &str, checks: &mut Checklist) {
    checks.endpoints_reachable(http).await;
    let steps = ListingSteps {
        authenticated: (
            "authenticated",
            "Google issued a token for the admin (domain-wide delegation is granted)",
        ),
        permitted: ("permission_read_users", "the admin may read users"),
        readable: "users_readable",
    };
    let listing = crate::export::listing(customer, 1);
    checks
        .listing_steps::<DirectoryUser>(http, &listing, steps)
        .await;
}
