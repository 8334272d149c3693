//! The SCIM connection test: reachable → authenticated (`/ServiceProviderConfig`) →
//! capabilities read → `/Users` readable → enterprise extension present.

use connector_core::check::{CheckStep, Checklist};
use connector_core::http::Request;
use connector_core::{Error, ErrorKind};
use serde_json::Value;

use crate::client::{ScimClient, SCIM_JSON};
use crate::model::ENTERPRISE;
use crate::ID;

/// What a 403 on users lacks.
pub const READ_USERS: &str = "read users";

/// The steps after the SDK's settings step.
pub const CHECKS: &[CheckStep] = &[
    CheckStep::reachable(),
    CheckStep::authenticated(),
    CheckStep::new("capabilities", "Capabilities read", &["authenticated"]),
    CheckStep::permission(
        "users_readable",
        "Users readable",
        "read access to users for the token or account, in the product's SCIM settings",
    ),
    CheckStep::new(
        "enterprise_extension",
        "Enterprise extension",
        &["users_readable"],
    ),
];

/// What `/ServiceProviderConfig` says, in one line.
fn capabilities(config: &Value) -> String {
    let yes = |v: &Value| v.as_bool().unwrap_or(false);
    let mut parts = vec![
        format!(
            "filter {}",
            if yes(&config["filter"]["supported"]) {
                "supported"
            } else {
                "not supported"
            }
        ),
        format!(
            "sort {}",
            if yes(&config["sort"]["supported"]) {
                "supported"
            } else {
                "not supported"
            }
        ),
    ];
    if let Some(max) = config["filter"]["maxResults"].as_u64() {
        parts.push(format!("at most {max} results per page"));
    }
    if yes(&config["pagination"]["cursor"]) {
        parts.push("cursor paging announced".into());
    }
    parts.join(", ")
}

/// Runs the steps.
pub async fn run(client: &ScimClient, checks: &mut Checklist) {
    let http = client.http();
    checks
        .run("reachable", || async { Ok(http.probe().await?.summary) })
        .await;
    let mut config = Value::Null;
    checks
        .run("authenticated", || async {
            let answer = client
                .get("/ServiceProviderConfig", &[], READ_USERS)
                .await?;
            config = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
            // Many services publish their configuration to anyone: the credentials are proven
            // on /Users (a 403 there means they were accepted; the next steps say what lacks).
            let probe = Request::get("/Users")
                .accept(SCIM_JSON)
                .query("startIndex", "1")
                .query("count", "0");
            let users = http.send(&probe).await?;
            if users.status.as_u16() == 401 {
                client.check_status(&users, READ_USERS)?;
            }
            Ok("the SCIM service accepted the credentials".into())
        })
        .await;
    checks
        .run("capabilities", || async {
            if !config.is_object() {
                return Err(Error::new(
                    ID,
                    ErrorKind::Protocol,
                    "/ServiceProviderConfig is not a SCIM service provider configuration",
                )
                .with_hint("check that base_url is the SCIM base URL (often ending in /scim/v2)"));
            }
            Ok(capabilities(&config))
        })
        .await;
    checks
        .run("users_readable", || async {
            // Whole answer, so that a refusal quotes the SCIM error's detail and scimType.
            let answer = client
                .get("/Users", &[("startIndex", "1"), ("count", "1")], READ_USERS)
                .await?;
            let total = serde_json::from_slice::<Value>(&answer.body)
                .ok()
                .and_then(|list| list["totalResults"].as_u64())
                .ok_or_else(|| {
                    connector_core::http::decode_error(
                        ID,
                        &answer.endpoint,
                        "a SCIM ListResponse with totalResults",
                        &answer.describe_body(),
                    )
                })?;
            Ok(format!("/Users lists {total} users"))
        })
        .await;
    checks
        .run("enterprise_extension", || async {
            let types = client.get("/ResourceTypes", &[], READ_USERS).await;
            let announced = types.ok().is_some_and(|t| {
                String::from_utf8_lossy(&t.body).contains(ENTERPRISE)
            });
            Ok(if announced {
                "the enterprise extension is announced: department, employee number and manager are exported".into()
            } else {
                "warning: the enterprise extension is not announced; department, employee number and manager will be empty".into()
            })
        })
        .await;
}
