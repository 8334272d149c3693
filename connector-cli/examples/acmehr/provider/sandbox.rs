//! A mock Acme HR account on loopback (wiremock): the API and, on an origin of its own, the
//! token service, with
//! tokens that expire, a scope that can be denied, pages silently capped at 500, and the
//! SDK's generic faults (latency, rate limit, error rate). It is also the provider's sandbox.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connector_core::reexports::url;
use connector_core::sandbox::{Chassis, SandboxHandle, SandboxOptions, TokenIssuer};
use connector_core::Result;
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::check::SCOPE;
use super::settings::MAX_PAGE_SIZE;
use super::ID;

/// The sandbox's API client id (made up).
pub const CLIENT_ID: &str = "acme-sandbox-client";
/// The sandbox's API client secret (made up; only the sandbox accepts it).
pub const CLIENT_SECRET: &str = "acme-sandbox-secret";

/// How the mock behaves beyond [`SandboxOptions`] (for tests).
#[derive(Debug, Clone, Copy)]
pub struct Behaviour {
    /// Seconds a token lives (`expires_in`).
    pub token_ttl: u64,
    /// Requests the first token is accepted for before it is revoked (401), as when a token
    /// expires mid-export; the tokens issued after it last their whole lifetime.
    pub token_uses: Option<u32>,
    /// API requests answered 429 before the account answers normally.
    pub throttle_first: u32,
    /// The employee whose record is served malformed (its id a number).
    pub malformed: Option<u64>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            token_ttl: 3600,
            token_uses: None,
            throttle_first: 0,
            malformed: None,
        }
    }
}

/// Lists the tokens the mock issued, or the URLs it received (for leak scans).
pub type Issued = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

struct Account {
    options: SandboxOptions,
    behaviour: Behaviour,
    deny_scope: bool,
    tokens: TokenIssuer,
    chassis: Chassis,
    received: Arc<Mutex<Vec<String>>>,
}

fn param(req: &Request, name: &str) -> Option<u64> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

/// Employee `i` of the generated account.
pub fn employee(i: u64) -> Value {
    let status = ["active", "active", "onboarding", "leave", "inactive"][(i % 5) as usize];
    let department = ["R&D", "Sales", "People"][(i % 3) as usize];
    json!({
        "id": format!("E{i:05}"),
        "email": format!("employee{i}@acme.example"),
        "first_name": format!("Given{i}"),
        "last_name": format!("Family{i}"),
        "position": if i.is_multiple_of(7) { Value::Null } else { json!("Engineer") },
        "department": {"name": department},
        "supervisor": if i == 0 { Value::Null } else { json!({"id": format!("E{:05}", (i - 1) / 5)}) },
        "status": status,
        "hire_date": "2021-04-01",
        "termination_date": if status == "inactive" { json!("2025-12-31") } else { Value::Null },
        "updated_at": "2026-01-15T08:30:00",
    })
}

impl Account {
    fn authorization(req: &Request) -> Option<&str> {
        req.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
    }

    fn token_ok(&self, req: &Request) -> bool {
        self.tokens.accepts(Self::authorization(req))
    }

    fn token(&self, req: &Request) -> Answer {
        let answer = self
            .tokens
            .client_credentials(&req.body, Self::authorization(req));
        (
            answer.status,
            ResponseTemplate::new(answer.status).set_body_json(answer.body),
        )
    }

    fn employees(&self, req: &Request) -> Answer {
        if self.deny_scope {
            return (
                403,
                ResponseTemplate::new(403)
                    .set_body_json(json!({"error": "insufficient_scope", "scope": SCOPE})),
            );
        }
        let total = self.options.employees;
        let offset = param(req, "offset").unwrap_or(0);
        // Acme silently caps pages at its maximum, as real APIs do.
        let limit = param(req, "limit")
            .unwrap_or(50)
            .clamp(1, u64::from(MAX_PAGE_SIZE));
        let end = offset.saturating_add(limit).min(total);
        let data: Vec<Value> = (offset.min(end)..end)
            .map(|i| {
                let mut e = employee(i);
                if self.behaviour.malformed == Some(i) {
                    e["id"] = json!(i);
                }
                e
            })
            .collect();
        (
            200,
            ResponseTemplate::new(200).set_body_json(json!({
                "data": data,
                "metadata": {"total_elements": total, "offset": offset, "limit": limit},
            })),
        )
    }
}

/// A response and its status (kept for the request log: a template does not tell it).
type Answer = (u16, ResponseTemplate);

/// One origin of the account: its API, or its token service (another host in production,
/// another port here), each answering only its own paths.
struct Api {
    account: Arc<Account>,
    token_service: bool,
}

impl Respond for Api {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let account = &self.account;
        let token_path = req.url.path() == "/oauth/token";
        if token_path != self.token_service {
            return ResponseTemplate::new(404);
        }
        // Token requests are counted and logged but never faulted.
        let admitted = account.chassis.admit();
        account
            .received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(req.url.to_string());
        let (status, answer) = if token_path && req.method.as_str() == "POST" {
            account.token(req)
        } else if let Err(fault) = admitted {
            (fault.status(), ResponseTemplate::new(fault.status()))
        } else if !account.token_ok(req) {
            let refused = TokenIssuer::unauthorized();
            (
                refused.status,
                ResponseTemplate::new(refused.status).set_body_json(refused.body),
            )
        } else {
            match (req.method.as_str(), req.url.path()) {
                ("GET", "/v1/me") => (
                    200,
                    ResponseTemplate::new(200).set_body_json(json!({"account": "acme-demo"})),
                ),
                ("GET", "/v1/employees") => account.employees(req),
                _ => (404, ResponseTemplate::new(404)),
            }
        };
        let target = &req.url[url::Position::BeforePath..url::Position::AfterQuery];
        account
            .chassis
            .answered(req.method.as_str(), target, status);
        answer.set_delay(account.chassis.latency())
    }
}

/// Starts the mock with `options` and `behaviour`.
pub async fn start_with(options: SandboxOptions, behaviour: Behaviour) -> Result<SandboxHandle> {
    start_mock(options, behaviour)
        .await
        .map(|(handle, _, _)| handle)
}

/// [`start_with`], and how to list the tokens it issues and the URLs it receives.
pub async fn start_mock(
    options: SandboxOptions,
    behaviour: Behaviour,
) -> Result<(SandboxHandle, Issued, Issued)> {
    let deny_scope = !options.check(ID, &[SCOPE])?.is_empty();
    let listener = connector_core::sandbox::loopback_listener(ID, options.port)?;
    let server = MockServer::builder().listener(listener).start().await;
    let chassis = Chassis::new(&options).throttle_first(u64::from(behaviour.throttle_first));
    let counters = chassis.counters().clone();
    let tokens = TokenIssuer::new(
        &format!("acme-{:x}", options.seed),
        CLIENT_ID,
        CLIENT_SECRET,
        Duration::from_secs(behaviour.token_ttl),
    )
    .scope(SCOPE)
    .first_token_uses(behaviour.token_uses);
    let listed = tokens.clone();
    let issued: Issued = Arc::new(move || listed.issued());
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let urls = received.clone();
    let listed_urls: Issued =
        Arc::new(move || urls.lock().unwrap_or_else(|e| e.into_inner()).clone());
    let account = Account {
        received,
        options,
        behaviour,
        deny_scope,
        tokens,
        chassis,
    };
    // The token service on an origin of its own, as in production.
    let token_server = MockServer::builder()
        .listener(connector_core::sandbox::loopback_listener(
            ID,
            account.options.port_of(1),
        )?)
        .start()
        .await;
    let account = Arc::new(account);
    for (served, token_service) in [(&server, false), (&token_server, true)] {
        Mock::given(any())
            .respond_with(Api {
                account: account.clone(),
                token_service,
            })
            .mount(served)
            .await;
    }
    let settings = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET});
    let base_url = server.uri();
    let token_url = url::Url::parse(&token_server.uri()).map_err(connector_core::Error::from)?;
    let handle = SandboxHandle::keep(base_url, settings, counters, (server, token_server))
        .with_endpoint("token", token_url);
    Ok((handle, issued, listed_urls))
}

/// The sandbox hook of the descriptor.
pub fn start_boxed(
    options: SandboxOptions,
) -> Pin<Box<dyn Future<Output = Result<SandboxHandle>> + Send>> {
    Box::pin(start_with(options, Behaviour::default()))
}
