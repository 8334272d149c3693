//! The embedded Entra ID sandbox (feature `sandbox`): a tenant's token service and Microsoft
//! Graph on two loopback origins, as in production. The token service checks the tenant, the
//! client and its secret and refuses with Entra's AADSTS codes (90002, 700016, 7000215); Graph
//! checks the token, answers 403 `Authorization_RequestDenied` when User.Read.All is denied,
//! pages `/v1.0/users` by `$top` with absolute `@odata.nextLink`s, and expands the manager.
//! Tokens, faults and the request log come from the SDK's mock kit.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use connector_core::reexports::url::{self, Url};
use connector_core::sandbox::{Chassis, SandboxHandle, SandboxOptions, TokenAnswer, TokenIssuer};
use connector_core::{Error, Result};
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::check::USER_READ_ALL;
use crate::ID;

/// The sandbox tenant's id (made up).
pub const TENANT_ID: &str = "5a1b0c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
/// The sandbox app's client id (made up).
pub const CLIENT_ID: &str = "0f4a3c1e-5b7d-4e2a-9c8b-1d2e3f4a5b6c";
/// The sandbox app's client secret (made up; only the sandbox accepts it).
pub const CLIENT_SECRET: &str = "Sbx8Q~entra-sandbox-secret";

/// How the mock behaves beyond [`SandboxOptions`] (for tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour {
    /// Requests the first token is accepted for before Graph refuses it (401).
    pub token_uses: Option<u32>,
    /// Graph requests answered 429 before the tenant answers normally.
    pub throttle_first: u32,
    /// The user whose record is served malformed (its id a number).
    pub malformed: Option<u64>,
}

struct Tenant {
    options: SandboxOptions,
    behaviour: Behaviour,
    deny: bool,
    tokens: TokenIssuer,
    chassis: Chassis,
    graph: Url,
}

/// The object id of user `i`.
pub fn user_id(i: u64) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// User `i` of the generated tenant, as Graph answers it.
pub fn user(i: u64) -> Value {
    let k = (i % 3) as usize;
    let (job, department) = (
        ["Engineer", "Designer", "Accountant"][k],
        ["R&D", "Design", "Finance"][k],
    );
    json!({
        "id": user_id(i),
        "userPrincipalName": format!("user{i}@contoso.example"),
        "displayName": format!("Given{i} Family{i}"),
        "givenName": format!("Given{i}"),
        "surname": format!("Family{i}"),
        "mail": format!("user{i}@contoso.example"),
        "otherMails": if i.is_multiple_of(3) { json!([format!("u{i}@home.example")]) } else { json!([]) },
        "jobTitle": job,
        "department": department,
        "employeeId": format!("{:05}", 20_000 + i),
        "employeeHireDate": format!("2020-{:02}-01T00:00:00Z", 1 + i % 12),
        "accountEnabled": i % 5 != 4,
        "manager": if i == 0 { Value::Null } else { json!({"@odata.type": "#microsoft.graph.user", "id": user_id((i - 1) / 5)}) },
    })
}

fn answer(status: u16, body: Value) -> (u16, ResponseTemplate) {
    (status, ResponseTemplate::new(status).set_body_json(body))
}

fn graph_error(status: u16, code: &str, message: &str) -> (u16, ResponseTemplate) {
    answer(status, json!({"error": {"code": code, "message": message}}))
}

/// An AADSTS refusal of the token service.
fn aadsts(status: u16, error: &str, code: u32, words: &str) -> (u16, ResponseTemplate) {
    let refusal = TokenAnswer::refusal(
        status,
        error,
        &format!("AADSTS{code}: {words}\r\nTrace ID: 0e1f\r\nCorrelation ID: 2a3b"),
    );
    let mut body = refusal.body;
    body["error_codes"] = json!([code]);
    answer(status, body)
}

fn param(req: &Request, name: &str) -> Option<u64> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

impl Tenant {
    fn token(&self, req: &Request) -> (u16, ResponseTemplate) {
        let tenant = req
            .url
            .path()
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        if tenant != TENANT_ID {
            return aadsts(
                400,
                "invalid_request",
                90002,
                &format!("Tenant '{tenant}' not found."),
            );
        }
        let form: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(&req.body)
                .into_owned()
                .collect();
        if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
            return aadsts(
                400,
                "unauthorized_client",
                700016,
                "Application not found in the directory.",
            );
        }
        if form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
            return aadsts(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided.",
            );
        }
        let issued = self.tokens.issue();
        answer(issued.status, issued.body)
    }

    fn users(&self, req: &Request) -> (u16, ResponseTemplate) {
        if self.deny {
            return graph_error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            );
        }
        let total = self.options.employees;
        let skip = param(req, "$skiptoken").unwrap_or(0);
        let top = param(req, "$top").unwrap_or(100).clamp(1, 999);
        let end = skip.saturating_add(top).min(total);
        let value: Vec<Value> = (skip.min(end)..end)
            .map(|i| {
                let mut u = user(i);
                if self.behaviour.malformed == Some(i) {
                    u["id"] = json!(i);
                }
                u
            })
            .collect();
        let mut body = json!({"@odata.context": format!("{}v1.0/$metadata#users", self.graph), "value": value});
        if end < total {
            let mut next = self
                .graph
                .join("v1.0/users")
                .unwrap_or_else(|_| self.graph.clone());
            for (k, v) in req.url.query_pairs().filter(|(k, _)| k != "$skiptoken") {
                next.query_pairs_mut().append_pair(&k, &v);
            }
            next.query_pairs_mut()
                .append_pair("$skiptoken", &end.to_string());
            body["@odata.nextLink"] = json!(next.as_str());
        }
        answer(200, body)
    }
}

/// One origin of the tenant: Graph, or the token service.
struct Origin {
    tenant: Arc<Tenant>,
    token_service: bool,
}

impl Respond for Origin {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let t = &self.tenant;
        let (status, template) = if self.token_service {
            match (
                req.method.as_str(),
                req.url.path().ends_with("/oauth2/v2.0/token"),
            ) {
                ("POST", true) => t.token(req),
                _ => graph_error(404, "NotFound", "no such endpoint"),
            }
        } else if let Err(fault) = t.chassis.admit() {
            (fault.status(), ResponseTemplate::new(fault.status()))
        } else if !t.tokens.accepts(
            req.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
        ) {
            graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
            )
        } else if req.method.as_str() == "GET" && req.url.path() == "/v1.0/users" {
            t.users(req)
        } else {
            graph_error(404, "Request_ResourceNotFound", "Resource not found.")
        };
        let target = &req.url[url::Position::BeforePath..url::Position::AfterQuery];
        t.chassis.answered(req.method.as_str(), target, status);
        template.set_delay(t.chassis.latency())
    }
}

/// Starts the sandbox with `options` and `behaviour`; it stops when the handle is dropped.
pub async fn start_with(options: SandboxOptions, behaviour: Behaviour) -> Result<SandboxHandle> {
    let deny = !options.check(ID, &[USER_READ_ALL])?.is_empty();
    let graph_server = MockServer::builder()
        .listener(connector_core::sandbox::loopback_listener(
            ID,
            options.port,
        )?)
        .start()
        .await;
    let login_server = MockServer::builder()
        .listener(connector_core::sandbox::loopback_listener(ID, 0)?)
        .start()
        .await;
    let graph = Url::parse(&format!("{}/", graph_server.uri())).map_err(Error::from)?;
    let login = Url::parse(&format!("{}/", login_server.uri())).map_err(Error::from)?;
    let chassis = Chassis::new(&options).throttle_first(u64::from(behaviour.throttle_first));
    let counters = chassis.counters().clone();
    let tokens = TokenIssuer::new(
        "entra-sbx",
        CLIENT_ID,
        CLIENT_SECRET,
        Duration::from_secs(3599),
    )
    .first_token_uses(behaviour.token_uses);
    let tenant = Arc::new(Tenant {
        options,
        behaviour,
        deny,
        tokens,
        chassis,
        graph,
    });
    for (server, token_service) in [(&graph_server, false), (&login_server, true)] {
        Mock::given(any())
            .respond_with(Origin {
                tenant: tenant.clone(),
                token_service,
            })
            .mount(server)
            .await;
    }
    let settings =
        json!({"tenant_id": TENANT_ID, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET});
    let base_url = graph_server.uri();
    Ok(
        SandboxHandle::keep(base_url, settings, counters, (graph_server, login_server))
            .with_endpoint("token", login),
    )
}

/// The issuer of the sandbox's tokens is inside it; tests that scan for leaked tokens start
/// it with [`start_with`] and read the counters.
pub fn start_boxed(
    options: SandboxOptions,
) -> Pin<Box<dyn Future<Output = Result<SandboxHandle>> + Send>> {
    Box::pin(start_with(options, Behaviour::default()))
}
