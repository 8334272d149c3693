//! The contract between the request pipeline and authentication: [`Credentials`] for one
//! request and the [`Authenticator`] that puts them on every request and may refresh them (the
//! schemes themselves are in [`crate::auth`]). Here, in `http`, because the client calls it:
//! `auth` depends on `http`, never the other way round.

use std::fmt;

use async_trait::async_trait;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::HttpClient;
use crate::error::Result;
use crate::Secret;

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
    /// authenticator that needs a token fetches it with it (see [`OAuth2ClientCredentials`](crate::auth::OAuth2ClientCredentials)).
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

    /// The token service it obtains credentials from, if any (an OAuth2 token URL): what
    /// [`HttpClient::probe_token_service`] checks.
    fn token_endpoint(&self) -> Option<&url::Url> {
        None
    }
}
