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
use connector_core::sandbox::{
    authorization, json as answer, start_origin, Answer, Chassis, SandboxHandle, SandboxOptions,
    TokenAnswer, TokenIssuer,
};
use connector_core::{Error, Result};
use serde_json::{json, Value};
use wiremock::Request;

use crate::export::USER_READ_ALL;
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

fn graph_error(status: u16, code: &str, message: &str) -> Answer {
    answer(status, json!({"error": {"code": code, "message": message}}))
}

/// An AADSTS refusal of the token service.
fn aadsts(status: u16, error: &str, code: u32, words: &str) -> Answer {
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
    fn token(&self, req: &Request) -> Answer {
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

    fn users(&self, req: &Request) -> Answer {
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
        let mut body = json!({"value": value});
        if end < total {
            // The request's own URL, on to the next page (Graph's links are absolute, on the
            // host the client asked).
            let mut next = req.url.clone();
            let host = req
                .headers
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            if let Ok(own) = Url::parse(&format!("http://{host}/")) {
                let _ = next.set_host(own.host_str());
                let _ = next.set_port(own.port());
            }
            let kept: Vec<(String, String)> = req
                .url
                .query_pairs()
                .filter(|(k, _)| k != "$skiptoken")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            next.query_pairs_mut()
                .clear()
                .extend_pairs(kept)
                .append_pair("$skiptoken", &end.to_string());
            body["@odata.nextLink"] = json!(next.as_str());
        }
        answer(200, body)
    }
}

impl Tenant {
    /// Microsoft Graph: the token checked, then `/v1.0/users`.
    fn graph(&self, req: &Request) -> Answer {
        if !self.tokens.accepts(authorization(req)) {
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
            );
        }
        match (req.method.as_str(), req.url.path()) {
            ("GET", "/v1.0/users") => self.users(req),
            _ => graph_error(404, "Request_ResourceNotFound", "Resource not found."),
        }
    }

    /// The sign-in service: `/{tenant}/oauth2/v2.0/token`.
    fn login(&self, req: &Request) -> Answer {
        match (
            req.method.as_str(),
            req.url.path().ends_with("/oauth2/v2.0/token"),
        ) {
            ("POST", true) => self.token(req),
            _ => graph_error(404, "NotFound", "no such endpoint"),
        }
    }
}

/// Starts the sandbox with `options` and `behaviour`; it stops when the handle is dropped.
pub async fn start_with(options: SandboxOptions, behaviour: Behaviour) -> Result<SandboxHandle> {
    let deny = !options.check(ID, &[USER_READ_ALL])?.is_empty();
    let port = options.port;
    let chassis =
        Arc::new(Chassis::new(&options).throttle_first(u64::from(behaviour.throttle_first)));
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
    });
    let t = tenant.clone();
    let graph = start_origin(ID, port, chassis.clone(), true, move |req| t.graph(req)).await?;
    let login_port = tenant.options.port_of(1);
    let login = start_origin(ID, login_port, chassis, false, move |req| tenant.login(req)).await?;
    let login_url = Url::parse(&format!("{}/", login.uri())).map_err(Error::from)?;
    let settings =
        json!({"tenant_id": TENANT_ID, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET});
    Ok(
        SandboxHandle::keep(graph.uri(), settings, counters, (graph, login))
            .with_endpoint("token", login_url),
    )
}

/// The sandbox hook of the descriptor.
pub fn start_boxed(
    options: SandboxOptions,
) -> Pin<Box<dyn Future<Output = Result<SandboxHandle>> + Send>> {
    Box::pin(start_with(options, Behaviour::default()))
}
