//! OAuth 2.0 client credentials (RFC 6749 §4.4): `client_id` + `client_secret` are exchanged
//! at a token endpoint for a bearer token that expires.
//!
//! * The token endpoint may be on another origin than the API; the client secret goes only
//!   there (never to the API), the token only to the API.
//! * One token is shared by every request; it is renewed shortly before it expires, and when
//!   the API answers 401. Concurrent requests share one renewal (single flight).
//! * A 400/401/403 from the token endpoint is an authentication failure that quotes the
//!   OAuth `error` code (`invalid_client`, ...), never a secret; the answer's body is never
//!   echoed (it would hold the token).
//! * Tokens are [`Secret`]s, listed by [`Authenticator::secrets`] for leak scans.

use std::fmt;
use std::sync::Mutex as SyncMutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use url::Url;

use super::{invalid_credential, Authenticator, Basic, Credentials};
use crate::base_url::is_allowed_scheme;
use crate::error::{Error, ErrorKind, FieldError, Result};
use crate::http::{HttpClient, HttpResponse, Method, Request};
use crate::Secret;

/// How the client proves who it is to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuthentication {
    /// `client_id` and `client_secret` in the form body (`client_secret_post`). The default.
    #[default]
    Body,
    /// HTTP Basic with `client_id:client_secret` (`client_secret_basic`).
    Basic,
}

/// A token and when to renew it.
struct Token {
    value: Secret,
    renew_at: Option<Instant>,
}

#[derive(Default)]
struct State {
    token: Option<Token>,
    generation: u64,
}

/// OAuth 2.0 client credentials grant.
///
/// ```
/// use connector_core::auth::OAuth2ClientCredentials;
/// use connector_core::Secret;
///
/// let auth = OAuth2ClientCredentials::new(
///     url::Url::parse("https://auth.example/oauth/token").unwrap(),
///     "my-client",
///     Secret::new("client-s3cret"),
/// )
/// .scope("users:read");
/// assert!(!format!("{auth:?}").contains("client-s3cret"));
/// ```
pub struct OAuth2ClientCredentials {
    token_url: Url,
    client_id: String,
    client_secret: Secret,
    scope: Option<String>,
    params: Vec<(String, String)>,
    client_auth: ClientAuthentication,
    early_refresh: Duration,
    hint: String,
    code_at: Option<String>,
    /// The JWT bearer grant's signer (RFC 7523) instead of the client-credentials grant.
    assertion: Option<super::JwtAssertion>,
    state: tokio::sync::Mutex<State>,
    issued: SyncMutex<Vec<Secret>>,
}

impl fmt::Debug for OAuth2ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2ClientCredentials")
            .field("token_url", &crate::http::redact_url(&self.token_url))
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Tokens kept for leak scans (the most recent ones).
const ISSUED_KEPT: usize = 16;

impl OAuth2ClientCredentials {
    /// Client credentials for `token_url`.
    pub fn new(token_url: Url, client_id: impl Into<String>, client_secret: Secret) -> Self {
        OAuth2ClientCredentials {
            token_url,
            client_id: client_id.into(),
            client_secret,
            scope: None,
            params: Vec::new(),
            client_auth: ClientAuthentication::default(),
            early_refresh: Duration::from_secs(60),
            hint: "check client_id and client_secret, and that the client may use the client-credentials grant".into(),
            code_at: None,
            assertion: None,
            state: tokio::sync::Mutex::new(State::default()),
            issued: SyncMutex::new(Vec::new()),
        }
    }

    /// The JWT bearer grant (RFC 7523) at `token_url`: each token request carries a freshly
    /// signed `assertion` (a Google service account's, say) instead of a client secret. Tokens
    /// are renewed, refused answers quoted and scrubbed, as for client credentials.
    pub fn jwt_bearer(token_url: Url, assertion: super::JwtAssertion) -> Self {
        let mut auth = Self::new(
            token_url,
            assertion.issuer().to_owned(),
            assertion.key_secret().clone(),
        );
        auth.hint = "check the service account's key and what it may do".into();
        auth.assertion = Some(assertion);
        auth
    }

    /// The `scope` to ask for.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Another form parameter of the token request (e.g. `audience`).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// How the client authenticates to the token endpoint (default: in the body).
    pub fn client_authentication(mut self, how: ClientAuthentication) -> Self {
        self.client_auth = how;
        self
    }

    /// Renew a token this long before it expires (default 60 s; at most half its lifetime).
    pub fn early_refresh(mut self, before: Duration) -> Self {
        self.early_refresh = before;
        self
    }

    /// What to tell the user when the token endpoint refuses the client, in the provider's
    /// words (which fields to check, where in its admin console).
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// Where a refusal's body holds the service's own, finer error code (a JSON pointer:
    /// Entra's `/error_codes/0`, 7000215 for a wrong secret, where the OAuth `error` says only
    /// `invalid_client`): it becomes the error's API code, which a provider's
    /// [`ErrorPolicy`](crate::http::ErrorPolicy) matches with `On::ApiCode`. A number is read as
    /// its digits. Without it (or when absent from the body), the OAuth `error` is the code.
    pub fn code_at(mut self, pointer: impl Into<String>) -> Self {
        self.code_at = Some(pointer.into());
        self
    }

    /// Asks the token endpoint for a new token.
    async fn fetch(&self, http: &HttpClient) -> Result<Token> {
        let provider = http.provider();
        if !is_allowed_scheme(&self.token_url) {
            return Err(Error::invalid_settings(
                provider,
                vec![FieldError::new(
                    "token_url",
                    "must use https (http only for loopback test servers)",
                )],
            ));
        }
        let grant = if self.assertion.is_some() {
            "urn:ietf:params:oauth:grant-type:jwt-bearer"
        } else {
            "client_credentials"
        };
        let mut request = Request::to_url(Method::POST, self.token_url.clone())
            .form("grant_type", grant)
            .without_auth()
            .retry_safe(true);
        let mut basic = Credentials::default();
        match (&self.assertion, self.client_auth) {
            (Some(assertion), _) => {
                let signed = assertion.sign().map_err(|e| e.or_provider(provider))?;
                self.remember(&signed);
                request = request.form_secret("assertion", signed);
            }
            (None, ClientAuthentication::Body) => {
                request = request
                    .form("client_id", self.client_id.clone())
                    .form_secret("client_secret", self.client_secret.clone());
            }
            (None, ClientAuthentication::Basic) => {
                use super::AuthScheme as _;
                // The client id is not a secret: it may be named in messages.
                Basic::new(self.client_id.clone(), self.client_secret.clone())
                    .apply(&mut basic)
                    .map_err(|e| invalid_credential(provider, e))?;
            }
        }
        // A JWT assertion carries its scope inside.
        if let Some(scope) = self.scope.as_ref().filter(|_| self.assertion.is_none()) {
            request = request.form("scope", scope.clone());
        }
        for (k, v) in &self.params {
            request = request.form(k.clone(), v.clone());
        }
        if let Some(value) = basic.headers().get(AUTHORIZATION) {
            request = request.header_value(AUTHORIZATION, value.clone());
        }
        let response = http.send(&request).await?;
        let token = self.parse(provider, &response)?;
        tracing::debug!(provider, "obtained an OAuth2 access token");
        Ok(token)
    }

    fn parse(&self, provider: &'static str, response: &HttpResponse) -> Result<Token> {
        let status = response.status.as_u16();
        if matches!(status, 400 | 401 | 403) {
            return Err(self.refused(provider, response));
        }
        response.error_for_status(provider, "")?;
        #[derive(Deserialize)]
        struct Answer {
            access_token: Option<String>,
            token_type: Option<String>,
            expires_in: Option<serde_json::Value>,
        }
        // The body holds the token: decode errors never quote it.
        let protocol = |what: &str| {
            Error::new(
                provider,
                ErrorKind::Protocol,
                format!("the token endpoint answered with {what}"),
            )
            .with_endpoint(format!("POST {}", crate::http::redact_url(&self.token_url)))
            .with_hint("check token_url: it must be the OAuth2 token endpoint")
        };
        let answer: Answer = serde_json::from_slice(&response.body).map_err(|_| {
            protocol(&format!(
                "{} instead of a JSON token",
                response.describe_body()
            ))
        })?;
        let Some(value) = answer.access_token.filter(|t| !t.trim().is_empty()) else {
            return Err(protocol("a JSON object without an access_token"));
        };
        if let Some(kind) = answer.token_type.as_deref() {
            if !kind.eq_ignore_ascii_case("bearer") {
                return Err(protocol(&format!(
                    "a token of type `{}`; only bearer tokens are supported",
                    kind.chars().take(32).collect::<String>()
                )));
            }
        }
        let lifetime = match answer.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim().parse::<u64>().ok(),
            _ => None,
        }
        .map(Duration::from_secs);
        let renew_at = lifetime.and_then(|life| {
            let early = self.early_refresh.min(life / 2);
            Instant::now().checked_add(life.saturating_sub(early))
        });
        Ok(Token {
            value: Secret::new(value),
            renew_at,
        })
    }

    /// The token endpoint refused the client: quote the OAuth error code, never a secret.
    fn refused(&self, provider: &'static str, response: &HttpResponse) -> Error {
        #[derive(Deserialize)]
        struct OAuthError {
            error: Option<String>,
            error_description: Option<String>,
        }
        let parsed = serde_json::from_slice::<OAuthError>(&response.body).ok();
        let error_code = parsed
            .as_ref()
            .and_then(|e| e.error.as_deref())
            .filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_graphic()));
        let code = error_code
            .map(|c| format!(", OAuth error `{c}`"))
            .unwrap_or_default();
        // The server's own words, line breaks kept (Entra's trace and correlation ids come on
        // lines of their own); secrets are scrubbed by `Error` itself.
        let description = parsed
            .as_ref()
            .and_then(|e| e.error_description.as_deref())
            .map(|d| crate::http::printable(d.trim(), true, 500))
            .filter(|d| !d.is_empty())
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        let error = Error::new(
            provider,
            ErrorKind::Authentication,
            format!(
                "the token endpoint refused the client credentials (HTTP {}{code}){description}",
                response.status.as_u16()
            ),
        )
        .with_endpoint(format!("POST {}", crate::http::redact_url(&self.token_url)))
        .with_hint(self.hint.clone());
        // The API's own code (the declared finer one, else the OAuth `error`): a provider's
        // error policy matches on it.
        let finer = self.code_at.as_deref().and_then(|pointer| {
            let body = serde_json::from_slice::<serde_json::Value>(&response.body).ok()?;
            match body.pointer(pointer)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        });
        let finer = finer.filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_graphic()));
        match finer.as_deref().or(error_code) {
            Some(code) => error.with_api_code(code),
            None => error,
        }
    }

    fn remember(&self, token: &Secret) {
        if let Ok(mut issued) = self.issued.lock() {
            if issued.len() >= ISSUED_KEPT {
                issued.remove(0);
            }
            issued.push(token.clone());
        }
    }

    /// Replaces the token (the state's lock is held by the caller).
    async fn renew(&self, http: &HttpClient, state: &mut State) -> Result<()> {
        let token = self.fetch(http).await?;
        self.remember(&token.value);
        state.token = Some(token);
        state.generation = state.generation.wrapping_add(1);
        Ok(())
    }
}

#[async_trait]
impl Authenticator for OAuth2ClientCredentials {
    async fn authorize(&self, http: &HttpClient, out: &mut Credentials) -> Result<()> {
        // Holding the lock while fetching makes the fetch single-flight.
        let mut state = self.state.lock().await;
        let fresh = state
            .token
            .as_ref()
            .is_some_and(|t| t.renew_at.is_none_or(|at| Instant::now() < at));
        if !fresh {
            self.renew(http, &mut state).await?;
        }
        let Some(token) = &state.token else {
            return Err(Error::new(
                http.provider(),
                ErrorKind::Authentication,
                "no access token",
            ));
        };
        out.header(AUTHORIZATION, &format!("Bearer {}", token.value.expose()))
            .map_err(|e| invalid_credential(http.provider(), e))?;
        out.set_generation(self, state.generation);
        Ok(())
    }

    fn can_refresh(&self) -> bool {
        true
    }

    async fn refresh(&self, http: &HttpClient, rejected: &Credentials) -> Result<()> {
        let mut state = self.state.lock().await;
        if rejected.generation(self) != Some(state.generation) {
            // Another request renewed the token since this one was sent.
            return Ok(());
        }
        tracing::debug!(
            provider = http.provider(),
            "access token rejected (HTTP 401); renewing it"
        );
        self.renew(http, &mut state).await
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut all = vec![self.client_secret.clone()];
        if let Ok(issued) = self.issued.lock() {
            all.extend(issued.iter().cloned());
        }
        all
    }

    fn token_endpoint(&self) -> Option<&Url> {
        Some(&self.token_url)
    }
}
