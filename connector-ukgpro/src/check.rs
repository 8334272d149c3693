//! The UKG Pro connection test: host reachable → authenticated → one step per web-service
//! permission the user export needs.

use connector_core::check::{CheckStep, Checklist};
use connector_core::http::HttpResponse;
use connector_core::{Error, ErrorKind, Result};

use crate::client::{
    check_status, parse_list, Endpoint, UkgClient, EMPLOYMENT_DETAILS, PERSON_DETAILS,
};
use crate::PROVIDER_ID;

/// The steps after the SDK's own settings step, in order.
pub const CHECKS: &[CheckStep] = &[
    CheckStep::reachable(),
    CheckStep::authenticated(),
    CheckStep::permission(
        "permission_employee_person_details",
        "Permission: Employee Person Details",
        "View on the \u{201c}Employee Person Details\u{201d} web service",
    ),
    CheckStep::permission(
        "permission_personnel_integration",
        "Permission: Personnel Integration",
        "View on the \u{201c}Personnel Integration\u{201d} web service",
    ),
];

/// Runs the UKG Pro steps.
pub async fn run(client: &UkgClient, checks: &mut Checklist) {
    checks
        .run("reachable", || async {
            let reach = client.http().probe().await?;
            Ok(format!(
                "{} reachable ({})",
                client.http().base_url().origin().ascii_serialization(),
                reach.summary
            ))
        })
        .await;

    // One one-row request to person-details answers both "authenticated" and its permission.
    let mut person = None;
    checks
        .run("authenticated", || async {
            let response = client.get_page(PERSON_DETAILS, 1, 1, None).await?;
            let message = authenticated(client, &response)?;
            person = Some(response);
            Ok(message)
        })
        .await;

    checks
        .run("permission_employee_person_details", || async {
            match &person {
                Some(response) => permission(client, response, PERSON_DETAILS),
                None => Err(Error::new(
                    PROVIDER_ID,
                    ErrorKind::Protocol,
                    "no answer to check",
                )),
            }
        })
        .await;

    checks
        .run("permission_personnel_integration", || async {
            let response = client.get_page(EMPLOYMENT_DETAILS, 1, 1, None).await?;
            permission(client, &response, EMPLOYMENT_DETAILS)
        })
        .await;
}

/// 401 fails; 403 means the credentials were accepted but a permission is missing (reported
/// by the permission step); anything else is checked as usual.
fn authenticated(client: &UkgClient, response: &HttpResponse) -> Result<String> {
    if response.status.as_u16() == 403 {
        return Ok("credentials accepted (the request was refused only for lack of a permission; see below)".into());
    }
    check_status(client, response, PERSON_DETAILS)?;
    // A 200 is not a verdict by itself: a login page or a proxy's page answers 200 too.
    parse_list::<serde::de::IgnoredAny>(client, response, 1)?;
    Ok(format!(
        "UKG Pro accepted the service account (HTTP {})",
        response.status.as_u16()
    ))
}

fn permission(client: &UkgClient, response: &HttpResponse, endpoint: Endpoint) -> Result<String> {
    check_status(client, response, endpoint)?;
    let rows = parse_list::<serde::de::IgnoredAny>(client, response, 1)?;
    Ok(format!(
        "View on \u{201c}{}\u{201d} granted ({} answered with {} row{})",
        endpoint.permission,
        endpoint.path,
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ))
}
