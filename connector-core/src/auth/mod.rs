//! Authentication: an async [`Authenticator`] puts credentials on every request the
//! [`HttpClient`] sends to the provider's origin, and may refresh them during a run.
//!
//! On a 401 the client asks the authenticator to [refresh](Authenticator::refresh) once and
//! replays the request; requests in flight that were rejected by the same stale credentials
//! share that one refresh (each authenticator tracks a generation per credential it issues).
//!
//! Built in:
//! * static schemes ([`AuthScheme`]): [`Basic`] (the user name may be a secret;
//!   [`Basic::api_key_as_username`]), [`Bearer`], [`ApiKeyHeader`], [`ApiKeyQuery`], [`NoAuth`];
//! * [`OAuth2ClientCredentials`]: a token from a token endpoint (which may be on another
//!   origin), reused until shortly before it expires, refreshed on 401;
//! * [`Composite`]: several of the above, in order.
//!
//! Every credential, configured or obtained at run time, is a [`Secret`]; header values are
//! marked sensitive so that no `Debug` output of a request prints them.
//!
//! ```
//! use connector_core::auth::{ApiKeyHeader, Basic, Composite, Credentials, AuthScheme};
//! use connector_core::Secret;
//!
//! let basic = Basic::new("svc-user", Secret::new("pw"));
//! let mut credentials = Credentials::default();
//! basic.apply(&mut credentials).unwrap();
//! assert_eq!(credentials.headers()["authorization"], "Basic c3ZjLXVzZXI6cHc=");
//! assert!(credentials.headers()["authorization"].is_sensitive());
//!
//! let auth = Composite::new()
//!     .with(basic)
//!     .with(ApiKeyHeader::new("US-Customer-Api-Key", Secret::new("ABC12")).unwrap());
//! assert!(!format!("{auth:?}").contains("ABC12"));
//! ```
//!
//! [`HttpClient`]: crate::http::HttpClient

mod oauth2;
mod schemes;

use std::fmt;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, ErrorKind, Result};
use crate::http::HttpClient;
use crate::Secret;

pub use oauth2::{ClientAuthentication, OAuth2ClientCredentials};
pub use schemes::{ApiKeyHeader, ApiKeyQuery, AuthScheme, Basic, Bearer, NoAuth};

/// A credential could not be turned into a header value (control characters or non-ASCII).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the credential for header `{header}` contains characters that cannot be sent in an HTTP header (line breaks or control characters); paste the value again")]
pub struct InvalidCredential {
    /// The header that could not be built.
    pub header: HeaderName,
}

/// The credentials for one request: headers (sensitive), query values (secrets), and which
/// generation of each refreshable credential was used.
#[derive(Default)]
pub struct Credentials {
    headers: HeaderMap,
    query: Vec<(String, Secret)>,
    generations: Vec<(usize, u64)>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("query", &self.query_names())
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Sets header `name` to `value`, marked sensitive.
    pub fn header(&mut self, name: HeaderName, value: &str) -> Result<(), InvalidCredential> {
        let mut v = HeaderValue::from_str(value).map_err(|_| InvalidCredential {
            header: name.clone(),
        })?;
        v.set_sensitive(true);
        self.headers.insert(name, v);
        Ok(())
    }

    /// Adds a query parameter holding a credential.
    pub fn query(&mut self, name: String, value: Secret) {
        self.query.push((name, value));
    }

    /// The headers set so far.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The names of the query parameters set so far.
    pub fn query_names(&self) -> Vec<&str> {
        self.query.iter().map(|(k, _)| k.as_str()).collect()
    }

    pub(crate) fn query_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query.iter().map(|(k, v)| (k.as_str(), v.expose()))
    }

    /// Records that `owner` (an authenticator, by address) issued `generation`.
    pub fn set_generation<T: ?Sized>(&mut self, owner: &T, generation: u64) {
        let id = owner as *const T as *const () as usize;
        self.generations.retain(|(o, _)| *o != id);
        self.generations.push((id, generation));
    }

    /// The generation `owner` issued for these credentials, if it did.
    pub fn generation<T: ?Sized>(&self, owner: &T) -> Option<u64> {
        let id = owner as *const T as *const () as usize;
        self.generations
            .iter()
            .find(|(o, _)| *o == id)
            .map(|(_, g)| *g)
    }
}

/// Puts credentials on requests, and may renew them during a run.
#[async_trait]
pub trait Authenticator: fmt::Debug + Send + Sync {
    /// Adds credentials for one request. `http` is the client the request goes through: an
    /// authenticator that needs a token fetches it with it (see [`OAuth2ClientCredentials`]).
    async fn authorize(&self, http: &HttpClient, out: &mut Credentials) -> Result<()>;

    /// Whether [`refresh`](Self::refresh) can renew the credentials after a 401.
    fn can_refresh(&self) -> bool {
        false
    }

    /// Renews the credentials that `rejected` used, unless another request already did (then
    /// it returns at once). The client replays the rejected request once afterwards.
    async fn refresh(&self, http: &HttpClient, rejected: &Credentials) -> Result<()> {
        let _ = (http, rejected);
        Ok(())
    }

    /// Every secret this authenticator holds or obtained during the run (configured keys and
    /// issued tokens), so that leak scans can look for them.
    fn secrets(&self) -> Vec<Secret>;
}

#[async_trait]
impl<T: AuthScheme> Authenticator for T {
    async fn authorize(&self, http: &HttpClient, out: &mut Credentials) -> Result<()> {
        self.apply(out)
            .map_err(|e| invalid_credential(http.provider(), e))
    }

    fn secrets(&self) -> Vec<Secret> {
        AuthScheme::secrets(self)
    }
}

/// The error for a credential that cannot be put on a request.
pub(crate) fn invalid_credential(provider: &'static str, e: InvalidCredential) -> Error {
    Error::new(
        provider,
        ErrorKind::InvalidSettings(Vec::new()),
        e.to_string(),
    )
}

/// Several authenticators applied in order (e.g. Basic plus API-key headers).
#[derive(Debug, Default)]
pub struct Composite {
    parts: Vec<Box<dyn Authenticator>>,
}

impl Composite {
    /// An empty composition.
    pub fn new() -> Self {
        Composite::default()
    }

    /// Adds an authenticator.
    pub fn with(mut self, part: impl Authenticator + 'static) -> Self {
        self.parts.push(Box::new(part));
        self
    }

    /// Adds an authenticator when present.
    pub fn with_optional(self, part: Option<impl Authenticator + 'static>) -> Self {
        match part {
            Some(p) => self.with(p),
            None => self,
        }
    }
}

#[async_trait]
impl Authenticator for Composite {
    async fn authorize(&self, http: &HttpClient, out: &mut Credentials) -> Result<()> {
        for part in &self.parts {
            part.authorize(http, out).await?;
        }
        Ok(())
    }

    fn can_refresh(&self) -> bool {
        self.parts.iter().any(|p| p.can_refresh())
    }

    async fn refresh(&self, http: &HttpClient, rejected: &Credentials) -> Result<()> {
        for part in self.parts.iter().filter(|p| p.can_refresh()) {
            part.refresh(http, rejected).await?;
        }
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        self.parts.iter().flat_map(|p| p.secrets()).collect()
    }
}

#[cfg(test)]
mod tests;
