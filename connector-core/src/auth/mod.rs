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

mod jwt;
mod oauth2;
mod schemes;

use async_trait::async_trait;

use crate::error::{Error, ErrorKind, Result};
use crate::http::HttpClient;
pub use crate::http::{Authenticator, Credentials, InvalidCredential};
use crate::Secret;

pub use jwt::{verify_rs256, JwtAssertion};
pub use oauth2::{ClientAuthentication, OAuth2ClientCredentials};
pub use schemes::{ApiKeyHeader, ApiKeyQuery, AuthScheme, Basic, Bearer, NoAuth};

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

    fn token_endpoint(&self) -> Option<&url::Url> {
        self.parts.iter().find_map(|p| p.token_endpoint())
    }
}

#[cfg(test)]
mod tests;
