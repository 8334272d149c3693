//! Auth schemes: reusable request decorators that put credentials on a request.
//!
//! Every credential is a [`Secret`]; the header values built from them are marked
//! [sensitive](reqwest::header::HeaderValue::set_sensitive) so that no `Debug` output or log of
//! the request prints them. Schemes compose: UKG Pro is "Basic plus extra API-key headers".
//!
//! ```
//! use connector_core::auth::{ApiKeyHeader, AuthScheme, Basic, Composite};
//! use connector_core::Secret;
//! use reqwest::header::HeaderMap;
//!
//! let auth = Composite::new()
//!     .with(Basic::new("svc-user", Secret::new("pw")))
//!     .with(ApiKeyHeader::new("US-Customer-Api-Key", Secret::new("ABC12")).unwrap());
//! let mut headers = HeaderMap::new();
//! auth.apply(&mut headers).unwrap();
//! assert_eq!(headers["authorization"], "Basic c3ZjLXVzZXI6cHc=");
//! assert!(headers["us-customer-api-key"].is_sensitive());
//! assert!(!format!("{auth:?} {headers:?}").contains("ABC12"));
//! ```

use std::fmt;

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};

use crate::Secret;

/// A credential could not be turned into a header value (control characters or non-ASCII).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the credential for header `{header}` contains characters that cannot be sent in an HTTP header (line breaks or control characters); paste the value again")]
pub struct InvalidCredential {
    /// The header that could not be built.
    pub header: HeaderName,
}

/// Puts credentials on outgoing requests.
pub trait AuthScheme: fmt::Debug + Send + Sync {
    /// Adds this scheme's headers to `headers`, marked sensitive.
    fn apply(&self, headers: &mut HeaderMap) -> Result<(), InvalidCredential>;

    /// The names of the headers this scheme sets; they are never sent to another origin.
    fn header_names(&self) -> Vec<HeaderName>;
}

fn sensitive(header: &HeaderName, value: &str) -> Result<HeaderValue, InvalidCredential> {
    let mut v = HeaderValue::from_str(value).map_err(|_| InvalidCredential {
        header: header.clone(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// HTTP Basic authentication (`Authorization: Basic base64(user:password)`).
#[derive(Clone)]
pub struct Basic {
    username: String,
    password: Secret,
}

impl Basic {
    /// Basic credentials.
    pub fn new(username: impl Into<String>, password: Secret) -> Self {
        Basic {
            username: username.into(),
            password,
        }
    }
}

impl fmt::Debug for Basic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Basic")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl AuthScheme for Basic {
    fn apply(&self, headers: &mut HeaderMap) -> Result<(), InvalidCredential> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.username,
            self.password.expose()
        ));
        headers.insert(
            AUTHORIZATION,
            sensitive(&AUTHORIZATION, &format!("Basic {encoded}"))?,
        );
        Ok(())
    }

    fn header_names(&self) -> Vec<HeaderName> {
        vec![AUTHORIZATION]
    }
}

/// Bearer token authentication (`Authorization: Bearer <token>`).
#[derive(Clone)]
pub struct Bearer {
    token: Secret,
}

impl Bearer {
    /// A bearer token.
    pub fn new(token: Secret) -> Self {
        Bearer { token }
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bearer")
            .field("token", &self.token)
            .finish()
    }
}

impl AuthScheme for Bearer {
    fn apply(&self, headers: &mut HeaderMap) -> Result<(), InvalidCredential> {
        let value = sensitive(&AUTHORIZATION, &format!("Bearer {}", self.token.expose()))?;
        headers.insert(AUTHORIZATION, value);
        Ok(())
    }

    fn header_names(&self) -> Vec<HeaderName> {
        vec![AUTHORIZATION]
    }
}

/// An API key sent in a named header (e.g. `US-Customer-Api-Key: <key>`).
#[derive(Clone)]
pub struct ApiKeyHeader {
    name: HeaderName,
    key: Secret,
}

impl ApiKeyHeader {
    /// An API key in header `name`. Fails only when `name` is not a valid header name.
    pub fn new(name: &str, key: Secret) -> Result<Self, reqwest::header::InvalidHeaderName> {
        Ok(ApiKeyHeader {
            name: HeaderName::from_bytes(name.as_bytes())?,
            key,
        })
    }
}

impl fmt::Debug for ApiKeyHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyHeader")
            .field("name", &self.name)
            .field("key", &self.key)
            .finish()
    }
}

impl AuthScheme for ApiKeyHeader {
    fn apply(&self, headers: &mut HeaderMap) -> Result<(), InvalidCredential> {
        headers.insert(self.name.clone(), sensitive(&self.name, self.key.expose())?);
        Ok(())
    }

    fn header_names(&self) -> Vec<HeaderName> {
        vec![self.name.clone()]
    }
}

/// No credentials.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

impl AuthScheme for NoAuth {
    fn apply(&self, _: &mut HeaderMap) -> Result<(), InvalidCredential> {
        Ok(())
    }

    fn header_names(&self) -> Vec<HeaderName> {
        Vec::new()
    }
}

/// Several schemes applied in order (e.g. Basic plus API-key headers).
#[derive(Debug, Default)]
pub struct Composite {
    parts: Vec<Box<dyn AuthScheme>>,
}

impl Composite {
    /// An empty composition.
    pub fn new() -> Self {
        Composite::default()
    }

    /// Adds a scheme.
    pub fn with(mut self, scheme: impl AuthScheme + 'static) -> Self {
        self.parts.push(Box::new(scheme));
        self
    }

    /// Adds a scheme when present.
    pub fn with_optional(self, scheme: Option<impl AuthScheme + 'static>) -> Self {
        match scheme {
            Some(s) => self.with(s),
            None => self,
        }
    }
}

impl AuthScheme for Composite {
    fn apply(&self, headers: &mut HeaderMap) -> Result<(), InvalidCredential> {
        self.parts.iter().try_for_each(|p| p.apply(headers))
    }

    fn header_names(&self) -> Vec<HeaderName> {
        self.parts.iter().flat_map(|p| p.header_names()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PW: &str = "Canary-Pass-9931";
    const KEY: &str = "CanaryKey77";

    #[test]
    fn basic_header_is_standard_and_sensitive() {
        let mut h = HeaderMap::new();
        Basic::new("Aladdin", Secret::new("open sesame"))
            .apply(&mut h)
            .unwrap();
        assert_eq!(h[AUTHORIZATION], "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert!(h[AUTHORIZATION].is_sensitive());
    }

    #[test]
    fn bearer_and_api_key() {
        let mut h = HeaderMap::new();
        Bearer::new(Secret::new("tok")).apply(&mut h).unwrap();
        assert_eq!(h[AUTHORIZATION], "Bearer tok");
        ApiKeyHeader::new("X-Api-Key", Secret::new(KEY))
            .unwrap()
            .apply(&mut h)
            .unwrap();
        assert_eq!(h["x-api-key"], KEY);
        assert!(h["x-api-key"].is_sensitive());
    }

    #[test]
    fn nothing_leaks_through_debug() {
        let auth = Composite::new()
            .with(Basic::new("svc", Secret::new(PW)))
            .with(ApiKeyHeader::new("US-Customer-Api-Key", Secret::new(KEY)).unwrap())
            .with_optional(Some(Bearer::new(Secret::new(KEY))));
        let mut h = HeaderMap::new();
        auth.apply(&mut h).unwrap();
        let basic64 = base64::engine::general_purpose::STANDARD.encode(format!("svc:{PW}"));
        let shown = format!("{auth:?} {auth:#?} {h:?}");
        for s in [PW, KEY, basic64.as_str()] {
            assert!(!shown.contains(s), "leaked {s} in {shown}");
        }
        assert_eq!(
            auth.header_names(),
            [
                AUTHORIZATION,
                HeaderName::from_static("us-customer-api-key"),
                AUTHORIZATION
            ]
        );
    }

    #[test]
    fn control_characters_are_refused_without_echo() {
        let err = ApiKeyHeader::new("Api-Key", Secret::new("abc\ndef"))
            .unwrap()
            .apply(&mut HeaderMap::new())
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("api-key"), "{text}");
        assert!(!text.contains("abc"), "{text}");
    }
}
