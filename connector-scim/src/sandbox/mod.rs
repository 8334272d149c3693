//! An embedded SCIM 2.0 service on loopback (feature `sandbox`): generated users with the
//! enterprise extension, pages capped at 50 whatever `count` asks, a bearer token, `active eq`
//! filters, and the SDK's faults. `connector scim users --sandbox` exports from it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use connector_core::sandbox::{
    authorization, start_origin_answering_faults, Answer, Chassis, Fault, FaultAnswer,
    SandboxHandle, SandboxOptions,
};
use connector_core::Result;
use serde_json::{json, Value};
use wiremock::{Request, ResponseTemplate};

use crate::model::ENTERPRISE;
use crate::ID;

/// The sandbox's bearer token (made up; only the sandbox accepts it).
pub const TOKEN: &str = "scim-sandbox-token";
/// The most users the sandbox returns per page.
pub const MAX_RESULTS: u64 = 50;
/// The permission `--deny` takes.
pub const READ_USERS: &str = "read-users";

/// Test-only behaviour beyond [`SandboxOptions`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour {
    /// Requests answered 429 before the service answers normally.
    pub throttle_first: u64,
    /// The user whose record is served malformed (its `id` a number).
    pub malformed: Option<u64>,
    /// Announce and serve cursor paging (RFC 9865) only: `startIndex` is then ignored, as a
    /// cursor-only service would.
    pub cursor: bool,
}

/// User `i` of the generated directory.
pub fn user(i: u64) -> Value {
    let department = ["R&D", "Sales", "People"][(i % 3) as usize];
    let mut emails =
        vec![json!({"value": format!("user{i}@scim.example"), "type": "work", "primary": true})];
    if i.is_multiple_of(4) {
        emails.push(json!({"value": format!("u{i}@home.example"), "type": "home"}));
    }
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "id": format!("id-{i:06}"),
        "userName": format!("user{i}"),
        "name": {"givenName": format!("Given{i}"), "familyName": format!("Family{i}")},
        "emails": emails,
        "title": "Engineer",
        "active": i % 5 != 4,
        "meta": {"resourceType": "User", "lastModified": "2026-01-15T08:30:00Z"},
        ENTERPRISE: {
            "employeeNumber": format!("{:05}", 10_000 + i),
            "department": department,
            "manager": if i == 0 { Value::Null } else { json!({"value": format!("id-{:06}", (i - 1) / 5)}) },
        },
    })
}

struct Service {
    options: SandboxOptions,
    behaviour: Behaviour,
    deny: bool,
}

/// A SCIM error answer (RFC 7644 §3.12).
fn scim_error(status: u16, detail: &str, scim_type: Option<&str>) -> Answer {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": status.to_string(),
        "detail": detail,
    });
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    (status, ResponseTemplate::new(status).set_body_json(body))
}

/// A `ListResponse`; `next` is the cursor of the next page (cursor paging only).
fn list(resources: Vec<Value>, total: u64, start: u64, next: Option<String>) -> Answer {
    let mut body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    if let Some(next) = next {
        body["nextCursor"] = json!(next);
    }
    (
        200,
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/scim+json")
            .set_body_json(body),
    )
}

impl Service {
    fn users(&self, req: &Request) -> Answer {
        if self.deny {
            return scim_error(403, "this token may not read users", None);
        }
        let param = |n: &str| {
            req.url
                .query_pairs()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.into_owned())
        };
        let active = match param("filter").as_deref() {
            None => None,
            Some("active eq true") => Some(true),
            Some("active eq false") => Some(false),
            Some(_) => {
                return scim_error(
                    400,
                    "the sandbox understands only active eq true|false",
                    Some("invalidFilter"),
                )
            }
        };
        let ids: Vec<u64> = (0..self.options.employees)
            .filter(|i| active.is_none_or(|a| (i % 5 != 4) == a))
            .collect();
        let total = ids.len() as u64;
        let cursor = param("cursor").filter(|_| self.behaviour.cursor);
        let start = match &cursor {
            // An empty cursor asks for the first page; a cursor names where to go on.
            Some(c) if c.is_empty() => 1,
            Some(c) => match c.strip_prefix('c').and_then(|n| n.parse::<u64>().ok()) {
                Some(n) => n.max(1),
                None => {
                    return scim_error(
                        400,
                        "the cursor is not one this service issued",
                        Some("invalidCursor"),
                    )
                }
            },
            None if self.behaviour.cursor => 1,
            None => param("startIndex")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1u64)
                .max(1),
        };
        let count = param("count")
            .and_then(|v| v.parse().ok())
            .unwrap_or(MAX_RESULTS)
            .min(MAX_RESULTS);
        let first = (start - 1).min(total) as usize;
        let last = (first as u64 + count).min(total) as usize;
        let resources = ids[first..last]
            .iter()
            .map(|&i| {
                let mut u = user(i);
                if self.behaviour.malformed == Some(i) {
                    u["id"] = json!(i);
                }
                u
            })
            .collect();
        let next = (cursor.is_some() && (last as u64) < total).then(|| format!("c{}", last + 1));
        list(resources, total, start, next)
    }
}

impl Service {
    /// One request, after the chassis admitted it: the bearer check, then the SCIM resources.
    fn answer(&self, req: &Request) -> Answer {
        let given = authorization(req).unwrap_or_default();
        if given != format!("Bearer {TOKEN}") {
            // Like some real services, it echoes what it was given: the provider must not.
            return scim_error(
                401,
                &format!("the bearer token is missing or invalid ({given})"),
                None,
            );
        }
        match req.url.path().strip_prefix("/scim/v2").unwrap_or("") {
            "/ServiceProviderConfig" => (200, ResponseTemplate::new(200).set_body_json(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "patch": {"supported": false},
                "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
                "filter": {"supported": true, "maxResults": MAX_RESULTS},
                "changePassword": {"supported": false},
                "sort": {"supported": false},
                "etag": {"supported": false},
                "pagination": {"cursor": self.behaviour.cursor, "index": true},
                "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer", "description": "bearer token"}],
            }))),
            "/ResourceTypes" => list(
                vec![json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                    "id": "User", "name": "User", "endpoint": "/Users",
                    "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
                    "schemaExtensions": [{"schema": ENTERPRISE, "required": false}],
                })],
                1,
                1,
                None,
            ),
            "/Users" => self.users(req),
            _ => scim_error(404, "no such resource", None),
        }
    }
}

/// Starts the sandbox with test behaviour.
pub async fn start_with(options: SandboxOptions, behaviour: Behaviour) -> Result<SandboxHandle> {
    let deny = !options.check(ID, &[READ_USERS])?.is_empty();
    let port = options.port;
    let chassis = Arc::new(Chassis::new(&options).throttle_first(behaviour.throttle_first));
    let counters = chassis.counters().clone();
    let service = Arc::new(Service {
        options,
        behaviour,
        deny,
    });
    // Injected failures answer with SCIM's error body, as a SCIM service's gateway would not,
    // but the service itself does.
    let on_fault: FaultAnswer = Box::new(|fault| match fault {
        Fault::Throttled => (429, ResponseTemplate::new(429)),
        Fault::Unavailable(status) => scim_error(status, "the sandbox's injected failure", None),
    });
    let server =
        start_origin_answering_faults(ID, port, chassis, on_fault, move |req| service.answer(req))
            .await?;
    let base_url = server.uri();
    let settings = json!({
        "base_url": format!("{base_url}/scim/v2"),
        "auth": {"method": "bearer", "token": TOKEN},
    });
    Ok(SandboxHandle::keep(base_url, settings, counters, server))
}

/// The sandbox hook of the descriptor.
pub fn start_boxed(
    options: SandboxOptions,
) -> Pin<Box<dyn Future<Output = Result<SandboxHandle>> + Send>> {
    Box::pin(start_with(options, Behaviour::default()))
}
