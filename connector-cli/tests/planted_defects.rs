//! The conformance testkit catches real provider bugs: a copy of the example provider (Acme
//! HR: OAuth2, envelope, offset paging) with one defect planted at a time, each of which the
//! testkit must fail, for the right reason. Without a defect the copy passes.

#[path = "../examples/acmehr/provider/mod.rs"]
#[allow(dead_code)]
mod acme;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use connector_core::auth::{Authenticator, Credentials, OAuth2ClientCredentials};
use connector_core::check::{CheckStep, Checklist};
use connector_core::http::{HttpClient, Method, RecordsAt, Request};
use connector_core::reexports::{async_trait, header, url};
use connector_core::settings::{HttpSettings, Settings};
use connector_core::testkit::Conformance;
use connector_core::{
    Capability, Connector, Context, Error, ErrorKind, ExportOptions, ExportStats, Filter, Provider,
    ProviderDescriptor, Result, Secret, User, UserExport, UserStatus,
};
use futures_util::stream::{self, StreamExt};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

/// The defects, planted one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Defect {
    None,
    KeyIn403Error,
    KeyToStderr,
    KeyInLog,
    EmailDropped,
    ManagerDropped,
    StatusDropped,
    StatusFilterOnRawCode,
    OverlappingOffsets,
    NoTokenRefresh,
    TokenInDebug,
    SecretInQuery,
    ErrorKindsLost,
    MalformedDroppedSilently,
    NoRetry,
    RequiredMadeOptional,
    PageSizeIgnored,
}

const DEFECTS: [(Defect, &str); 17] = [
    (Defect::None, ""),
    // Prevented by core now: every `Error` is scrubbed of live secrets (in any encoding), so
    // a hint that quotes the client secret no longer shows it; the copy must pass.
    (Defect::KeyIn403Error, ""),
    (
        Defect::KeyToStderr,
        "the `client_secret` setting appeared in stderr",
    ),
    (
        Defect::KeyInLog,
        "the `client_secret` setting appeared in stderr or the logs",
    ),
    (Defect::EmailDropped, "`email` is null"),
    (Defect::ManagerDropped, "`manager_id` is null"),
    (Defect::StatusDropped, "`status` is \"unknown\""),
    (
        Defect::StatusFilterOnRawCode,
        "filter returns exactly the matching users",
    ),
    (
        Defect::OverlappingOffsets,
        "many small pages: every user once",
    ),
    (
        Defect::NoTokenRefresh,
        "credentials that expire mid-export are renewed",
    ),
    (
        Defect::TokenInDebug,
        "a token) appeared in the connector's Debug output",
    ),
    (
        Defect::SecretInQuery,
        "appeared in a URL the provider requested",
    ),
    (
        Defect::ErrorKindsLost,
        "rejected credentials fail authentication",
    ),
    (
        Defect::MalformedDroppedSilently,
        "a malformed record is counted or refused",
    ),
    (Defect::NoRetry, "a rate limit is waited out"),
    (
        Defect::RequiredMadeOptional,
        "optional `client_secret` is not needed to connect",
    ),
    // Asks for the server's largest page whatever page size it is given: every user still
    // arrives once, so only the page-size check sees it.
    (Defect::PageSizeIgnored, "a page size of 5 is honoured"),
];

/// The defect in force (the test plants them one after the other).
static DEFECT: AtomicUsize = AtomicUsize::new(0);

fn defect() -> Defect {
    DEFECTS[DEFECT.load(Ordering::SeqCst)].0
}

const ID: &str = "planted";

/// The copy's settings.
#[derive(Deserialize, JsonSchema)]
#[schemars(title = "Planted")]
struct PlantedSettings {
    /// The API client's id.
    #[schemars(title = "Client id")]
    client_id: String,
    /// The API client's secret.
    #[schemars(title = "Client secret")]
    client_secret: Secret,
    /// Employees per request.
    #[serde(default = "page_size")]
    #[schemars(title = "Page size", range(min = 1, max = 500))]
    page_size: u32,
    #[serde(flatten)]
    http: HttpSettings,
}
impl Settings for PlantedSettings {}

/// The same settings with the secret made optional (the "required made optional" defect).
#[derive(Deserialize, JsonSchema)]
#[schemars(title = "Planted")]
struct OptionalSecretSettings {
    /// The API client's id.
    #[schemars(title = "Client id")]
    client_id: String,
    /// The API client's secret.
    #[schemars(title = "Client secret")]
    client_secret: Option<Secret>,
    /// Employees per request.
    #[serde(default = "page_size")]
    #[schemars(title = "Page size", range(min = 1, max = 500))]
    page_size: u32,
    #[serde(flatten)]
    http: HttpSettings,
}
impl Settings for OptionalSecretSettings {}

fn page_size() -> u32 {
    200
}

/// A hand-rolled token (the defects the SDK's OAuth2 client prevents): fetched once, never
/// renewed unless `renews`; its `Debug` shows the token when `leaky`.
struct HandToken {
    token_url: url::Url,
    client_id: String,
    secret: Secret,
    token: Mutex<Option<String>>,
    renews: bool,
    leaky: bool,
}

impl fmt::Debug for HandToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = self.token.lock().map(|t| t.clone()).unwrap_or_default();
        if self.leaky {
            write!(f, "HandToken({token:?})")
        } else {
            f.write_str("HandToken")
        }
    }
}

#[async_trait]
impl Authenticator for HandToken {
    async fn authorize(&self, http: &HttpClient, out: &mut Credentials) -> Result<()> {
        let cached = self.token.lock().ok().and_then(|t| t.clone());
        let token = match cached {
            Some(t) => t,
            None => {
                let request = Request::to_url(Method::POST, self.token_url.clone())
                    .form("grant_type", "client_credentials")
                    .form("client_id", self.client_id.clone())
                    .form_secret("client_secret", self.secret.clone())
                    .without_auth();
                let answer: Value = serde_json::from_slice(&http.send(&request).await?.body)
                    .map_err(|_| Error::new(ID, ErrorKind::Protocol, "no token"))?;
                let t = answer["access_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                if let Ok(mut slot) = self.token.lock() {
                    *slot = Some(t.clone());
                }
                t
            }
        };
        out.header(header::AUTHORIZATION, &format!("Bearer {token}"))
            .map_err(|e| Error::new(ID, ErrorKind::Protocol, e.to_string()))
    }

    fn can_refresh(&self) -> bool {
        self.renews
    }

    async fn refresh(&self, _: &HttpClient, _: &Credentials) -> Result<()> {
        if let Ok(mut slot) = self.token.lock() {
            *slot = None;
        }
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.secret.clone()]
    }
}

struct PlantedConnector {
    http: HttpClient,
    hand: Option<Arc<HandToken>>,
    secret: Secret,
    page_size: u32,
}

impl fmt::Debug for PlantedConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlantedConnector")
            .field("http", &self.http)
            .field("token", &self.hand)
            .finish()
    }
}

/// Shares a hand-rolled authenticator between the client and the connector's Debug.
#[derive(Debug)]
struct Shared(Arc<HandToken>);

#[async_trait]
impl Authenticator for Shared {
    async fn authorize(&self, http: &HttpClient, out: &mut Credentials) -> Result<()> {
        self.0.authorize(http, out).await
    }
    fn can_refresh(&self) -> bool {
        self.0.can_refresh()
    }
    async fn refresh(&self, http: &HttpClient, rejected: &Credentials) -> Result<()> {
        self.0.refresh(http, rejected).await
    }
    fn secrets(&self) -> Vec<Secret> {
        self.0.secrets()
    }
}

fn connect(
    client_id: String,
    secret: Secret,
    page_size: u32,
    http: &HttpSettings,
    context: &Context,
) -> Result<PlantedConnector> {
    let production = url::Url::parse("https://api.acmehr.example/")
        .map_err(|e| Error::new(ID, ErrorKind::Unsupported, e.to_string()))?;
    let token_host = url::Url::parse("https://login.acmehr.example/")
        .map_err(|e| Error::new(ID, ErrorKind::Unsupported, e.to_string()))?;
    let base = context.endpoint_or("api", &production).clone();
    let token_url = context
        .endpoint_or("token", &token_host)
        .join("oauth/token")
        .map_err(|e| Error::new(ID, ErrorKind::Unsupported, e.to_string()))?;
    let mut config = http.config("client_id");
    if defect() == Defect::NoRetry {
        config.retry.max_attempts = 1;
    }
    if defect() == Defect::KeyToStderr {
        eprintln!("planted: connecting with client secret {}", secret.expose());
    }
    if defect() == Defect::KeyInLog {
        tracing::debug!(secret = secret.expose(), "planted: connecting");
    }
    let (http, hand) = if matches!(defect(), Defect::NoTokenRefresh | Defect::TokenInDebug) {
        let hand = Arc::new(HandToken {
            token_url,
            client_id,
            secret: secret.clone(),
            token: Mutex::new(None),
            renews: defect() == Defect::TokenInDebug,
            leaky: defect() == Defect::TokenInDebug,
        });
        let http = HttpClient::new(ID, base, Shared(hand.clone()), config)?;
        (http, Some(hand))
    } else {
        let auth = OAuth2ClientCredentials::new(token_url, client_id, secret.clone())
            .hint("check client_id and client_secret");
        (HttpClient::new(ID, base, auth, config)?, None)
    };
    Ok(PlantedConnector {
        http,
        hand,
        secret,
        page_size,
    })
}

impl PlantedConnector {
    fn request(&self, path: &str) -> Request {
        let request = Request::get(path);
        if defect() == Defect::SecretInQuery {
            request.query("client_secret", self.secret.expose())
        } else {
            request
        }
    }

    fn error(&self, e: Error) -> Error {
        damage(e, &self.secret)
    }
}

/// The provider's error wording, damaged by the defect in force.
fn damage(e: Error, secret: &Secret) -> Error {
    match (defect(), e.kind()) {
        (Defect::ErrorKindsLost, _) => Error::new(ID, ErrorKind::Protocol, e.message()),
        (Defect::KeyIn403Error, ErrorKind::Permission { .. }) => {
            let hint = format!("ask for the scope, quoting {}", secret.expose());
            e.with_hint(hint)
        }
        (_, ErrorKind::Permission { .. }) => e.with_hint("give the client the scope"),
        _ => e,
    }
}

#[async_trait]
impl Connector for PlantedConnector {
    fn provider_id(&self) -> &'static str {
        ID
    }

    async fn test_connection(&self, checks: &mut Checklist) {
        let http = &self.http;
        checks
            .run("reachable", || async { Ok(http.probe().await?.summary) })
            .await;
        checks
            .run("authenticated", || async {
                let me = http
                    .send(&self.request("/v1/me"))
                    .await
                    .map_err(|e| self.error(e))?;
                me.error_for_status(ID, "employees:read")
                    .map_err(|e| self.error(e).with_hint("check the client"))?;
                Ok("accepted".into())
            })
            .await;
        checks
            .run("scope", || async {
                let one = self.request("/v1/employees").query("limit", "1");
                let at = RecordsAt::pointer("/data");
                http.fetch_records::<Value>(&one, &at, "employees:read", 1)
                    .await
                    .map_err(|e| self.error(e))?;
                Ok("listed".into())
            })
            .await;
    }

    fn export_users(&self, options: ExportOptions) -> Result<UserExport> {
        let size = if defect() == Defect::PageSizeIgnored {
            500
        } else {
            u64::from(options.page_size.unwrap_or(self.page_size))
        };
        let step = if defect() == Defect::OverlappingOffsets {
            size.saturating_sub(1).max(1)
        } else {
            size
        };
        let stats = ExportStats::default();
        let counted = stats.clone();
        let http = self.http.clone();
        let base = self.request("/v1/employees");
        let secret = self.secret.clone();
        let statuses = options.statuses.clone();
        let pages = stream::unfold(Some(0u64), move |offset| {
            let (http, base, counted) = (http.clone(), base.clone(), counted.clone());
            let (secret, statuses) = (secret.clone(), statuses.clone());
            async move {
                let offset = offset?;
                let request = base
                    .query("offset", offset.to_string())
                    .query("limit", size.to_string());
                let at = RecordsAt::pointer("/data");
                let fetched = http
                    .fetch_records_lenient::<acme::model::Employee>(
                        &request,
                        &at,
                        "employees:read",
                        size as u32,
                    )
                    .await;
                let page = match fetched {
                    Ok(page) => page,
                    Err(e) => return Some((vec![Err(damage(e, &secret))], None)),
                };
                let total = page.envelope["metadata"]["total_elements"]
                    .as_u64()
                    .unwrap_or(0);
                counted.add_page(page.items.len());
                if defect() != Defect::MalformedDroppedSilently {
                    for why in &page.malformed {
                        counted.add_malformed(why.clone());
                    }
                }
                let got = (page.items.len() + page.malformed.len()) as u64;
                let next = offset + step;
                let more = got > 0 && next < total;
                let users: Vec<Result<User>> = page
                    .items
                    .into_iter()
                    .map(map_user)
                    .filter(|(raw, user)| {
                        defect() != Defect::StatusFilterOnRawCode
                            || statuses.is_empty()
                            || statuses
                                .iter()
                                .any(|s| s.as_str() == raw && user.status == *s)
                    })
                    .map(|(_, user)| Ok(user))
                    .collect();
                Some((users, more.then_some(next)))
            }
        });
        let users = pages.flat_map(stream::iter);
        Ok(UserExport {
            users: Box::pin(users),
            stats,
        })
    }
}

/// The example's mapping, damaged by the defect in force; also the raw status code.
fn map_user(e: acme::model::Employee) -> (String, User) {
    let raw = e.status.clone().unwrap_or_default();
    let mut user = acme::mapping::to_user(e);
    match defect() {
        Defect::EmailDropped => user.email = None,
        Defect::ManagerDropped => user.manager_id = None,
        Defect::StatusDropped => user.status = UserStatus::Unknown,
        _ => {}
    }
    (raw, user)
}

struct Planted;
impl Provider for Planted {
    const ID: &'static str = ID;
    type Settings = PlantedSettings;
    type Connector = PlantedConnector;
    fn connect(s: PlantedSettings, context: &Context) -> Result<PlantedConnector> {
        connect(s.client_id, s.client_secret, s.page_size, &s.http, context)
    }
}

struct PlantedOptional;
impl Provider for PlantedOptional {
    const ID: &'static str = ID;
    type Settings = OptionalSecretSettings;
    type Connector = PlantedConnector;
    fn connect(s: OptionalSecretSettings, context: &Context) -> Result<PlantedConnector> {
        let secret = s.client_secret.unwrap_or_else(|| Secret::new(""));
        connect(s.client_id, secret, s.page_size, &s.http, context)
    }
}

const CHECKS: &[CheckStep] = &[
    CheckStep::reachable(),
    CheckStep::authenticated(),
    CheckStep::permission(
        "scope",
        "Scope: employees:read",
        "the `employees:read` scope",
    ),
];

static PLANTED: ProviderDescriptor = ProviderDescriptor::new::<Planted>("Planted")
    .with_description("a copy of the example provider with planted defects")
    .with_docs_url("https://example.invalid/planted")
    .with_capabilities(&[Capability::ConnectionTest, Capability::UserExport])
    .with_checks(CHECKS)
    .with_filters(&[Filter::Status])
    .with_max_page_size(500);

static PLANTED_OPTIONAL: ProviderDescriptor = ProviderDescriptor::new::<PlantedOptional>("Planted")
    .with_description("a copy of the example provider with planted defects")
    .with_docs_url("https://example.invalid/planted")
    .with_capabilities(&[Capability::ConnectionTest, Capability::UserExport])
    .with_checks(CHECKS)
    .with_filters(&[Filter::Status])
    .with_max_page_size(500);

#[tokio::test]
async fn the_testkit_fails_every_planted_defect() {
    let example = json!({"client_id": "acme-client-7f3a", "client_secret": "example-secret-123"});
    let mut missed = Vec::new();
    for (index, (defect, symptom)) in DEFECTS.iter().enumerate() {
        DEFECT.store(index, Ordering::SeqCst);
        let descriptor = if *defect == Defect::RequiredMadeOptional {
            &PLANTED_OPTIONAL
        } else {
            &PLANTED
        };
        let report = Conformance::new(descriptor, example.clone())
            .with_mock(acme::testing::mock)
            .run()
            .await;
        let caught = if matches!(defect, Defect::None | Defect::KeyIn403Error) {
            report.failures.is_empty()
        } else {
            report.fails_with(symptom)
        };
        if !caught {
            missed.push(format!("{defect:?}: {:#?}", report.failures));
        }
    }
    assert!(
        missed.is_empty(),
        "the testkit let these through (or a copy without a defect, or with one core prevents, failed):\n{}",
        missed.join("\n")
    );
}
