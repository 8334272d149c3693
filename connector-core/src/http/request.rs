//! One request, described before it is sent: method, path below the base URL (or an absolute
//! URL such as a token endpoint or a next link), query, a form or JSON body, `Accept`, and
//! whether it is safe to send twice.
//!
//! Values that are credentials (a client secret in a form, an API key in a query) are held as
//! [`Secret`]s; every URL the SDK shows has its query values redacted
//! ([`redact_url`](crate::http::redact_url)).
//!
//! ```
//! use connector_core::http::{Method, Request};
//! use connector_core::Secret;
//!
//! let get = Request::get("/v1/users").query("limit", "100");
//! assert_eq!(get.method(), &Method::GET);
//! assert!(get.is_retry_safe(), "GET is idempotent");
//!
//! let token = Request::post("/oauth/token")
//!     .form("grant_type", "client_credentials")
//!     .form_secret("client_secret", Secret::new("s3cr3t"))
//!     .retry_safe(true);
//! assert!(token.is_retry_safe(), "marked safe by the provider");
//! assert!(!format!("{token:?}").contains("s3cr3t"));
//! assert!(!Request::post("/v1/users").is_retry_safe(), "POST is not retried unless marked");
//! ```

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
pub use reqwest::Method;
use url::Url;

use crate::Secret;

/// A query or form value: plain text, or a credential that is never shown.
#[derive(Clone)]
pub enum Value {
    /// Plain text (may still be personal data: URLs are shown without query values).
    Plain(String),
    /// A credential.
    Secret(Secret),
}

impl Value {
    /// The value to put on the wire.
    pub(crate) fn expose(&self) -> &str {
        match self {
            Value::Plain(text) => text,
            Value::Secret(secret) => secret.expose(),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Plain(text) => fmt::Debug::fmt(text, f),
            Value::Secret(secret) => fmt::Debug::fmt(secret, f),
        }
    }
}

/// Where a request goes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A path below the base URL (its path prefix kept: `/Users` on `https://h/scim/v2`).
    Path(String),
    /// A complete URL (a token endpoint on another origin, a next link).
    Absolute(Url),
}

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    None,
    Form(Vec<(String, Value)>),
    Json(serde_json::Value),
}

/// A request to send with [`HttpClient::send`](crate::http::HttpClient::send) and friends.
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) target: Target,
    pub(crate) query: Vec<(String, Value)>,
    pub(crate) body: Body,
    pub(crate) accept: &'static str,
    pub(crate) retry_safe: Option<bool>,
    pub(crate) authenticate: bool,
    pub(crate) headers: HeaderMap,
    /// The page of a listing this request fetches, for retry diagnostics.
    pub(crate) page: Option<u32>,
}

impl Request {
    /// A request with `method` to `path` below the base URL.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Request {
            method,
            target: Target::Path(path.into()),
            query: Vec::new(),
            body: Body::None,
            accept: "application/json",
            retry_safe: None,
            authenticate: true,
            headers: HeaderMap::new(),
            page: None,
        }
    }

    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        Request::new(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(path: impl Into<String>) -> Self {
        Request::new(Method::POST, path)
    }

    /// A request to a complete URL instead of a path below the base URL. The provider's
    /// credentials are attached only if the URL has the base URL's origin.
    pub fn to_url(method: Method, url: Url) -> Self {
        Request {
            target: Target::Absolute(url),
            ..Request::new(method, "")
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), Value::Plain(value.into())));
        self
    }

    /// Sets query parameter `name` to `value`, replacing any value it had.
    pub fn set_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.query.retain(|(k, _)| *k != name);
        self.query(name, value)
    }

    /// Adds query parameters.
    pub fn queries<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (k, v) in pairs {
            self = self.query(k, v);
        }
        self
    }

    /// Adds a form field (the body becomes `application/x-www-form-urlencoded`).
    pub fn form(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.form_value(name.into(), Value::Plain(value.into()))
    }

    /// Adds a form field holding a credential.
    pub fn form_secret(self, name: impl Into<String>, value: Secret) -> Self {
        self.form_value(name.into(), Value::Secret(value))
    }

    fn form_value(mut self, name: String, value: Value) -> Self {
        match &mut self.body {
            Body::Form(fields) => fields.push((name, value)),
            other => *other = Body::Form(vec![(name, value)]),
        }
        self
    }

    /// Sets a JSON body.
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    /// Adds a header (mark credential values [sensitive](HeaderValue::set_sensitive)).
    pub fn header_value(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets `Accept` (default `application/json`; SCIM servers want `application/scim+json`).
    pub fn accept(mut self, media_type: &'static str) -> Self {
        self.accept = media_type;
        self
    }

    /// Marks the request as safe (or not) to send again after a failure. By default only
    /// idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) are retried.
    pub fn retry_safe(mut self, safe: bool) -> Self {
        self.retry_safe = Some(safe);
        self
    }

    /// Sends the request without the client's credentials (a token request carries its own).
    pub fn without_auth(mut self) -> Self {
        self.authenticate = false;
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Whether a failed attempt may be sent again.
    pub fn is_retry_safe(&self) -> bool {
        let idempotent = matches!(
            self.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        self.retry_safe.unwrap_or(idempotent)
    }

    /// The URL to send to, on `base`: a path keeps the base URL's path prefix.
    pub(crate) fn url(&self, base: &Url) -> Url {
        let mut url = match &self.target {
            Target::Absolute(url) => url.clone(),
            Target::Path(path) => {
                let mut url = base.clone();
                let prefix = base.path().trim_end_matches('/');
                url.set_path(&format!("{prefix}/{}", path.trim_start_matches('/')));
                url.set_query(None);
                url
            }
        };
        if !self.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(self.query.iter().map(|(k, v)| (k.as_str(), v.expose())));
        }
        url
    }

    /// `METHOD /path` for messages: the path as the provider wrote it, or for a complete URL
    /// its origin and path; never a query.
    /// Marks the page of a listing this request fetches, so that retry diagnostics name it
    /// (`GET /people page 3`). [`Listing`](crate::paginate::Listing) sets it; a provider that
    /// pages by hand sets it on each page's request.
    pub fn on_page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// The label with the listing's page, for retry diagnostics
    /// (`GET /personnel/v1/person-details page 3`).
    pub(crate) fn retry_label(&self) -> String {
        match self.page {
            Some(page) => format!("{} page {page}", self.label()),
            None => self.label(),
        }
    }

    /// The path, for naming what a listing's records came from (`/users`).
    pub(crate) fn path_label(&self) -> String {
        match &self.target {
            Target::Path(path) => path.clone(),
            Target::Absolute(url) => url.path().to_owned(),
        }
    }

    pub(crate) fn label(&self) -> String {
        match &self.target {
            Target::Path(path) => format!("{} {path}", self.method),
            Target::Absolute(url) => format!(
                "{} {}{}",
                self.method,
                url.origin().ascii_serialization(),
                url.path()
            ),
        }
    }

    /// The form body, encoded.
    pub(crate) fn encoded_form(&self) -> Option<String> {
        match &self.body {
            Body::Form(fields) => {
                let mut out = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in fields {
                    out.append_pair(k, v.expose());
                }
                Some(out.finish())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_the_base_path_prefix() {
        let base = Url::parse("https://h.example/scim/v2").unwrap();
        let url = Request::get("/Users").query("count", "10").url(&base);
        assert_eq!(url.as_str(), "https://h.example/scim/v2/Users?count=10");
        let root = Url::parse("https://h.example/").unwrap();
        assert_eq!(
            Request::get("/a/b").url(&root).as_str(),
            "https://h.example/a/b"
        );
        assert_eq!(Request::get("/a/b").label(), "GET /a/b");
    }

    #[test]
    fn retry_labels_name_the_page_and_error_labels_do_not() {
        let r = Request::get("/people").query("page", "3").on_page(3);
        assert_eq!(r.retry_label(), "GET /people page 3");
        assert_eq!(r.label(), "GET /people");
        assert_eq!(Request::get("/people").retry_label(), "GET /people");
    }

    #[test]
    fn labels_of_complete_urls_have_no_query() {
        let url = Url::parse("https://auth.example/oauth/token?client_secret=x").unwrap();
        let r = Request::to_url(Method::POST, url);
        assert_eq!(r.label(), "POST https://auth.example/oauth/token");
    }

    #[test]
    fn forms_encode_secrets_but_never_show_them() {
        let r = Request::post("/t")
            .form("a", "b c")
            .form_secret("s", Secret::new("x&y"));
        assert_eq!(r.encoded_form().unwrap(), "a=b+c&s=x%26y");
        assert!(!format!("{r:?}").contains("x&y"));
    }
}
