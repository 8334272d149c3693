//! "Acme HR": a small but real provider (bearer token, paged `/v1/users`), registered with
//! `inventory`, with a wiremock mock that doubles as its sandbox.

use std::fmt;

use connector_core::base_url::{normalize_base_url, BaseUrlRules};
use connector_core::check::{CheckStep, Checklist};
use connector_core::http::{HttpClient, HttpConfig};
use connector_core::paginate::{paginate, Paging};
use connector_core::reexports::async_trait;
use connector_core::reexports::futures_util::{stream, StreamExt};
use connector_core::reexports::jiff::civil::Date;
use connector_core::sandbox::{SandboxCounters, SandboxHandle};
use connector_core::settings::{parse_settings, Settings, SettingsSchema};
use connector_core::{
    auth::Bearer, Capability, Connector, ExportOptions, FieldError, ProviderDescriptor,
};
use connector_core::{Error, Result, Secret, User, UserExport, UserStatus};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub const ID: &str = "acmehr";
const RULES: BaseUrlRules = BaseUrlRules {
    keep_path: false,
    ignored_paths: &[],
    example_host: "yourcompany.acmehr.example",
};

/// Connection settings for Acme HR.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Acme HR")]
pub struct AcmeSettings {
    /// Your Acme HR address, e.g. `yourcompany.acmehr.example` (Admin > API).
    #[schemars(title = "API URL", example = &"yourcompany.acmehr.example")]
    pub api_url: String,
    /// An API token with the `users:read` scope (Admin > API > Tokens).
    #[schemars(title = "API token")]
    pub api_token: Secret,
    /// Users per request (at most 500).
    #[serde(default = "default_page_size")]
    #[schemars(title = "Page size", range(min = 1, max = 500))]
    pub page_size: u32,
}

fn default_page_size() -> u32 {
    100
}

impl Settings for AcmeSettings {
    fn check(raw: &Map<String, Value>) -> Vec<FieldError> {
        match raw
            .get("api_url")
            .and_then(Value::as_str)
            .map(|u| normalize_base_url(u, &RULES))
        {
            Some(Err(message)) => vec![FieldError::new("api_url", message)],
            _ => Vec::new(),
        }
    }
}

/// An Acme HR user record.
#[derive(Deserialize)]
struct AcmeUser {
    id: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    manager_id: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    hired_on: Option<Date>,
}

impl AcmeUser {
    fn into_user(self) -> User {
        let mut user = User::new(self.id);
        user.email = self.email;
        user.first_name = self.given_name;
        user.last_name = self.family_name;
        user.job_title = self.title;
        user.department = self.department;
        user.manager_id = self.manager_id;
        user.status = match self.state.as_deref() {
            Some("active") => UserStatus::Active,
            Some("on_leave") => UserStatus::Leave,
            Some("suspended") => UserStatus::Suspended,
            Some("terminated") => UserStatus::Terminated,
            _ => UserStatus::Unknown,
        };
        user.provider_status = self.state;
        user.hire_date = self.hired_on;
        user.derive_display_name();
        user
    }
}

const CHECKS: &[CheckStep] = &[
    CheckStep {
        id: "reachable",
        title: "Host reachable",
        requires: &[],
    },
    CheckStep {
        id: "authenticated",
        title: "Authenticated",
        requires: &["reachable"],
    },
    CheckStep {
        id: "users_read",
        title: "Scope: users:read",
        requires: &["authenticated"],
    },
];

/// A connection to one Acme HR account.
pub struct AcmeConnector {
    http: HttpClient,
    page_size: u32,
}

impl fmt::Debug for AcmeConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcmeConnector")
            .field("http", &self.http)
            .finish()
    }
}

#[async_trait]
impl Connector for AcmeConnector {
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
                let me = http.get("/v1/me", &[]).await?;
                me.error_for_status(ID, "users:read")
                    .map_err(|e| e.with_hint("check the API token (Admin > API > Tokens)"))?;
                Ok("the token is valid".into())
            })
            .await;
        checks
            .run("users_read", || async {
                let query = [("page", "1".into()), ("per_page", "1".into())];
                http.get_json_array::<Value>("/v1/users", &query, "users:read")
                    .await
                    .map_err(|e| e.with_hint("give the token the users:read scope"))?;
                Ok("users can be listed".into())
            })
            .await;
    }

    fn export_users(&self, options: ExportOptions) -> Result<UserExport> {
        let page_size = options.page_size.unwrap_or(self.page_size);
        let http = self.http.clone();
        let pages = paginate(
            Paging {
                page_size,
                look_ahead: 4,
            },
            move |page| {
                let http = http.clone();
                async move {
                    let query = [
                        ("page", page.to_string()),
                        ("per_page", page_size.to_string()),
                    ];
                    http.get_json_page::<AcmeUser>("/v1/users", &query, "users:read", page_size)
                        .await
                }
            },
        );
        let stats = connector_core::ExportStats::default();
        let counted = stats.clone();
        let users = pages
            .flat_map(move |page| {
                let users: Vec<Result<User>> = match page {
                    Ok(page) => {
                        counted.add_page(page.items.len());
                        page.items.into_iter().map(|u| Ok(u.into_user())).collect()
                    }
                    Err(e) => vec![Err(e)],
                };
                stream::iter(users)
            })
            .filter(move |u| std::future::ready(u.as_ref().map_or(true, |u| options.matches(u))));
        Ok(UserExport {
            users: Box::pin(users),
            stats,
        })
    }
}

fn connect(raw: Value) -> Result<Box<dyn Connector>> {
    let settings: AcmeSettings = parse_settings(ID, raw)?;
    let base = normalize_base_url(&settings.api_url, &RULES)
        .map_err(|m| Error::invalid_settings(ID, vec![FieldError::new("api_url", m)]))?;
    let http = HttpClient::new(
        ID,
        base,
        Bearer::new(settings.api_token),
        HttpConfig::default(),
    )?;
    Ok(Box::new(AcmeConnector {
        http,
        page_size: settings.page_size,
    }))
}

const DESCRIPTOR: ProviderDescriptor = ProviderDescriptor {
    id: ID,
    name: "Acme HR",
    description: "Acme HR (an example third-party provider): users via a bearer-token REST API",
    docs_url: "https://example.invalid/acmehr",
    capabilities: &[Capability::ConnectionTest, Capability::UserExport],
    checks: CHECKS,
    settings_schema: SettingsSchema::of::<AcmeSettings>,
    connect,
    sandbox: Some(|options| Box::pin(mock::start(options.employees, mock::TOKEN))),
};

connector_core::reexports::inventory::submit!(DESCRIPTOR);

/// The descriptor (referencing it keeps the registration linked).
pub fn descriptor() -> &'static ProviderDescriptor {
    &DESCRIPTOR
}

/// The provider's mock tenant (wiremock), also its sandbox.
pub mod mock {
    use super::*;
    use wiremock::matchers::{any, header, method, path};
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

    pub const TOKEN: &str = "acme-sandbox-token";

    struct Users(u64);

    impl Respond for Users {
        fn respond(&self, req: &Request) -> ResponseTemplate {
            let param = |name: &str| {
                req.url
                    .query_pairs()
                    .find(|(k, _)| k == name)
                    .and_then(|(_, v)| v.parse::<u64>().ok())
            };
            let (page, per) = (
                param("page").unwrap_or(1).max(1),
                param("per_page").unwrap_or(100).clamp(1, 500),
            );
            let users: Vec<Value> = ((page - 1) * per..(page * per).min(self.0))
                .map(|i| (i, ["active", "active", "on_leave", "terminated"][(i % 4) as usize]))
                .map(|(i, state)| json!({
                    "id": format!("A{i:05}"), "email": format!("user{i}@acme.example"),
                    "given_name": format!("Given{i}"), "family_name": format!("Family{i}"),
                    "title": "Engineer", "department": "R&D",
                    "manager_id": if i == 0 { Value::Null } else { json!(format!("A{:05}", (i - 1) / 5)) },
                    "state": state,
                    "hired_on": "2021-04-01",
                }))
                .collect();
            ResponseTemplate::new(200).set_body_json(users)
        }
    }

    /// A mock Acme HR account with `users` users that accepts `token`.
    pub async fn start(users: u64, token: &str) -> Result<SandboxHandle> {
        let server = MockServer::start().await;
        let bearer = format!("Bearer {TOKEN}");
        Mock::given(method("GET"))
            .and(path("/v1/me"))
            .and(header("authorization", bearer.as_str()))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"account_id": "acme-demo"})),
            )
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/users"))
            .and(header("authorization", bearer.as_str()))
            .respond_with(Users(users))
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(401))
            .with_priority(10)
            .mount(&server)
            .await;
        let settings = json!({"api_url": server.uri(), "api_token": token});
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let base_url = server.uri();
        tokio::spawn(async move {
            let _server = server;
            let _ = rx.await;
        });
        Ok(SandboxHandle::new(
            base_url,
            settings,
            SandboxCounters::default(),
            tx,
        ))
    }
}
