//! The Entra ID connection test: Graph's host and the sign-in host reachable → a token issued
//! (AADSTS codes answered with their fix) → User.Read.All granted → users readable.

use connector_core::check::{CheckStep, Checklist, ListingSteps};
use connector_core::http::HttpClient;

use crate::model::GraphUser;

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
pub async fn run(http: &HttpClient, checks: &mut Checklist) {
    checks.endpoints_reachable(http).await;
    let steps = ListingSteps {
        authenticated: (
            "authenticated",
            "Entra ID issued a token for Microsoft Graph",
        ),
        permitted: (
            "permission_user_read_all",
            "User.Read.All is granted: Graph lists the users",
        ),
        readable: "users_readable",
    };
    let listing = crate::export::listing(1);
    checks
        .listing_steps::<GraphUser>(http, &listing, steps)
        .await;
}
