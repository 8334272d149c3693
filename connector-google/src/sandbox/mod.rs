//! The embedded Google Workspace sandbox (feature `sandbox`): Google's token service and the
//! Directory API on two loopback origins. The token service verifies the service account's
//! RS256 assertion (signature, lifetime, issuer) with the SDK's mock kit, then Google's own
//! checks: the delegation granted for the scope (else `unauthorized_client`), the subject a
//! user of the domain (else `invalid_grant`). The API checks the token, answers 403 when the
//! subject is no admin, and pages `users` by `maxResults` and `pageToken`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use connector_core::auth::JwtAssertion;
use connector_core::reexports::url::Url;
use connector_core::sandbox::{
    authorization, json as answer, start_origin, Answer, Chassis, SandboxHandle, SandboxOptions,
    TokenAnswer, TokenIssuer,
};
use connector_core::{Error, Result, Secret};
use serde_json::{json, Value};
use wiremock::Request;

use crate::client::SCOPE;
use crate::ID;

/// The sandbox service account (made up).
pub const CLIENT_EMAIL: &str = "directory-sync@sandbox-project.iam.gserviceaccount.com";
/// The admin the sandbox account may act for.
pub const ADMIN: &str = "it-admin@example.com";
/// The sandbox service account's private key (made up; it signs nothing real).
pub const PRIVATE_KEY: &str = include_str!("sandbox_key.pem");
/// What `--deny` takes: the delegation not granted, or the subject without an admin role.
pub const DENIABLE: [&str; 2] = ["delegation", "admin-role"];

/// How the mock behaves beyond [`SandboxOptions`] (for tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour {
    /// Requests the first token is accepted for before the API refuses it (401).
    pub token_uses: Option<u32>,
    /// API requests answered 429 before the account answers normally.
    pub throttle_first: u32,
    /// The user whose record is served malformed (its id a number).
    pub malformed: Option<u64>,
}

struct Account {
    options: SandboxOptions,
    behaviour: Behaviour,
    no_delegation: bool,
    no_admin: bool,
    tokens: TokenIssuer,
    public_key: Vec<u8>,
}

/// The id of user `i`.
pub fn user_id(i: u64) -> String {
    format!("1{i:020}")
}

/// The primary e-mail of user `i`.
pub fn email(i: u64) -> String {
    format!("user{i}@example.com")
}

/// User `i` of the generated account, as the Directory API answers it.
pub fn user(i: u64) -> Value {
    let k = (i % 3) as usize;
    let (title, department) = (
        ["Engineer", "Designer", "Accountant"][k],
        ["R&D", "Design", "Finance"][k],
    );
    json!({
        "kind": "admin#directory#user",
        "id": user_id(i),
        "primaryEmail": email(i),
        "name": {"givenName": format!("Given{i}"), "familyName": format!("Family{i}"), "fullName": format!("Given{i} Family{i}")},
        "suspended": i % 7 == 3,
        "archived": i % 11 == 5,
        "orgUnitPath": format!("/{department}"),
        "emails": [{"address": email(i), "primary": true}, {"address": format!("u{i}@alias.example.com")}],
        "organizations": [{"title": title, "department": department, "primary": true}],
        "relations": if i == 0 { json!([]) } else { json!([{"value": email((i - 1) / 5), "type": "manager"}]) },
        "externalIds": [{"value": format!("{:05}", 30_000 + i), "type": "organization"}],
    })
}

fn api_error(status: u16, code: &str, message: &str) -> Answer {
    answer(
        status,
        json!({"error": {"code": status, "message": message, "status": code}}),
    )
}

fn reply(refused: TokenAnswer) -> Answer {
    answer(refused.status, refused.body)
}

impl Account {
    fn token(&self, req: &Request) -> Answer {
        let claims = match self.tokens.jwt_bearer(&req.body, &self.public_key) {
            Ok(claims) => claims,
            Err(refused) => return reply(refused),
        };
        let scopes = claims["scope"].as_str().unwrap_or_default();
        if self.no_delegation || !scopes.split(' ').any(|s| s == SCOPE) {
            return reply(TokenAnswer::refusal(401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."));
        }
        if claims["sub"]
            .as_str()
            .is_none_or(|s| !s.ends_with("@example.com"))
        {
            return reply(TokenAnswer::refusal(
                400,
                "invalid_grant",
                "Invalid email or User ID",
            ));
        }
        reply(self.tokens.issue())
    }

    fn users(&self, req: &Request) -> Answer {
        if self.no_admin {
            return api_error(
                403,
                "PERMISSION_DENIED",
                "Not Authorized to access this resource/api",
            );
        }
        let param = |name: &str| {
            req.url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        if param("customer").as_deref() != Some("my_customer") {
            return api_error(400, "INVALID_ARGUMENT", "Bad Request");
        }
        let total = self.options.employees;
        let start: u64 = param("pageToken").and_then(|t| t.parse().ok()).unwrap_or(0);
        let size: u64 = param("maxResults")
            .and_then(|m| m.parse().ok())
            .unwrap_or(100)
            .clamp(1, 500);
        let end = start.saturating_add(size).min(total);
        let users: Vec<Value> = (start.min(end)..end)
            .map(|i| {
                let mut u = user(i);
                if self.behaviour.malformed == Some(i) {
                    u["id"] = json!(i);
                }
                u
            })
            .collect();
        // A partial response (`fields=users(id,primaryEmail),…`): only those fields.
        let partial = param("fields").is_some_and(|f| f.starts_with("users(id,primaryEmail)"));
        let users: Vec<Value> = match partial {
            true => users
                .into_iter()
                .map(|u| json!({"id": u["id"], "primaryEmail": u["primaryEmail"]}))
                .collect(),
            false => users,
        };
        let mut body = json!({"kind": "admin#directory#users", "users": users});
        if end < total {
            body["nextPageToken"] = json!(end.to_string());
        }
        answer(200, body)
    }
}

impl Account {
    /// The Directory API: the token checked, then `users`.
    fn api(&self, req: &Request) -> Answer {
        if !self.tokens.accepts(authorization(req)) {
            return api_error(
                401,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials.",
            );
        }
        match (req.method.as_str(), req.url.path()) {
            ("GET", "/admin/directory/v1/users") => self.users(req),
            _ => api_error(404, "NOT_FOUND", "Not Found"),
        }
    }

    /// Google's token service: `/token`.
    fn token_service(&self, req: &Request) -> Answer {
        match (req.method.as_str(), req.url.path()) {
            ("POST", "/token") => self.token(req),
            _ => api_error(404, "NOT_FOUND", "Not Found"),
        }
    }
}

/// Starts the sandbox with `options` and `behaviour`; it stops when the handle is dropped.
pub async fn start_with(options: SandboxOptions, behaviour: Behaviour) -> Result<SandboxHandle> {
    let denied = options.check(ID, &DENIABLE)?;
    let port = options.port;
    let chassis =
        Arc::new(Chassis::new(&options).throttle_first(u64::from(behaviour.throttle_first)));
    let counters = chassis.counters().clone();
    let key = Secret::new(PRIVATE_KEY);
    let public_key = JwtAssertion::rs256(CLIENT_EMAIL, "", SCOPE, &key)
        .map_err(|why| {
            Error::new(
                ID,
                connector_core::ErrorKind::Unsupported,
                format!("the sandbox key {why}"),
            )
        })?
        .public_key_der();
    let tokens = TokenIssuer::new("ya29.sbx", CLIENT_EMAIL, "", Duration::from_secs(3599))
        .first_token_uses(behaviour.token_uses);
    let account = Arc::new(Account {
        options,
        behaviour,
        no_delegation: denied.iter().any(|d| d == DENIABLE[0]),
        no_admin: denied.iter().any(|d| d == DENIABLE[1]),
        tokens,
        public_key,
    });
    let a = account.clone();
    let api = start_origin(ID, port, chassis.clone(), true, move |req| a.api(req)).await?;
    let token_port = account.options.port_of(1);
    let token = start_origin(ID, token_port, chassis, false, move |req| {
        account.token_service(req)
    })
    .await?;
    let token_uri = format!("{}/token", token.uri());
    let token_url = Url::parse(&token_uri).map_err(Error::from)?;
    let settings = json!({
        "service_account_key": {
            "type": "service_account",
            "client_email": CLIENT_EMAIL,
            "private_key": PRIVATE_KEY,
            "token_uri": token_uri,
        },
        "subject": ADMIN,
    });
    Ok(
        SandboxHandle::keep(api.uri(), settings, counters, (api, token))
            .with_endpoint("token", token_url),
    )
}

/// The sandbox hook of the descriptor.
pub fn start_boxed(
    options: SandboxOptions,
) -> Pin<Box<dyn Future<Output = Result<SandboxHandle>> + Send>> {
    Box::pin(start_with(options, Behaviour::default()))
}
