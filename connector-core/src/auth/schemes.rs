//! Static credentials: fixed for the whole run (HTTP Basic, bearer tokens, API keys in a
//! header or the query). They implement [`AuthScheme`], and through it
//! [`Authenticator`](super::Authenticator).

use std::fmt;

use base64::Engine as _;
use reqwest::header::{HeaderName, AUTHORIZATION};

use super::{Credentials, InvalidCredential};
use crate::Secret;

/// Credentials that never change during a run: they only decorate requests.
pub trait AuthScheme: fmt::Debug + Send + Sync {
    /// Adds this scheme's credentials (headers marked sensitive, or query values).
    fn apply(&self, out: &mut Credentials) -> Result<(), InvalidCredential>;

    /// The secrets this scheme holds, for leak scans (see the testkit).
    fn secrets(&self) -> Vec<Secret>;
}

/// HTTP Basic authentication (`Authorization: Basic base64(user:password)`).
///
/// The user name is shown in `Debug` unless it is itself a secret (an API key used as the
/// user name, see [`Basic::api_key_as_username`]).
#[derive(Clone)]
pub struct Basic {
    username: Username,
    password: Secret,
}

/// A Basic user name: shown, or itself a credential. A plain one is not a [`Secret`], so it is
/// not scrubbed from messages (an error may name the account).
#[derive(Clone)]
enum Username {
    Plain(String),
    Secret(Secret),
}

impl Username {
    fn expose(&self) -> &str {
        match self {
            Username::Plain(name) => name,
            Username::Secret(secret) => secret.expose(),
        }
    }
}

impl Basic {
    /// Basic credentials with a user name that may be shown.
    pub fn new(username: impl Into<String>, password: Secret) -> Self {
        Basic {
            username: Username::Plain(username.into()),
            password,
        }
    }

    /// Basic credentials whose user name is itself a credential.
    pub fn secret_username(username: Secret, password: Secret) -> Self {
        Basic {
            username: Username::Secret(username),
            password,
        }
    }

    /// "The API key is the user name, the password is empty", as many directory APIs do.
    pub fn api_key_as_username(key: Secret) -> Self {
        Basic::secret_username(key, Secret::new(""))
    }
}

impl fmt::Debug for Basic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Basic");
        match &self.username {
            Username::Secret(secret) => s.field("username", secret),
            Username::Plain(name) => s.field("username", name),
        };
        s.field("password", &self.password).finish()
    }
}

impl AuthScheme for Basic {
    fn apply(&self, out: &mut Credentials) -> Result<(), InvalidCredential> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.username.expose(),
            self.password.expose()
        ));
        out.header(AUTHORIZATION, &format!("Basic {encoded}"))
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut all = vec![self.password.clone()];
        if let Username::Secret(secret) = &self.username {
            all.push(secret.clone());
        }
        all
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
    fn apply(&self, out: &mut Credentials) -> Result<(), InvalidCredential> {
        out.header(AUTHORIZATION, &format!("Bearer {}", self.token.expose()))
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.token.clone()]
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
    fn apply(&self, out: &mut Credentials) -> Result<(), InvalidCredential> {
        out.header(self.name.clone(), self.key.expose())
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.key.clone()]
    }
}

/// An API key sent as a query parameter (`?api_key=<key>`). Every URL the SDK shows has its
/// query values redacted, so the key never reaches a message or log.
#[derive(Clone)]
pub struct ApiKeyQuery {
    name: String,
    key: Secret,
}

impl ApiKeyQuery {
    /// An API key in query parameter `name`.
    pub fn new(name: impl Into<String>, key: Secret) -> Self {
        ApiKeyQuery {
            name: name.into(),
            key,
        }
    }
}

impl fmt::Debug for ApiKeyQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyQuery")
            .field("name", &self.name)
            .field("key", &self.key)
            .finish()
    }
}

impl AuthScheme for ApiKeyQuery {
    fn apply(&self, out: &mut Credentials) -> Result<(), InvalidCredential> {
        out.query(self.name.clone(), self.key.clone());
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.key.clone()]
    }
}

/// No credentials.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

impl AuthScheme for NoAuth {
    fn apply(&self, _: &mut Credentials) -> Result<(), InvalidCredential> {
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PW: &str = "Canary-Pass-9931";
    const KEY: &str = "CanaryKey77";

    fn applied(scheme: &dyn AuthScheme) -> Credentials {
        let mut c = Credentials::default();
        scheme.apply(&mut c).unwrap();
        c
    }

    #[test]
    fn basic_header_is_standard_and_sensitive() {
        let c = applied(&Basic::new("Aladdin", Secret::new("open sesame")));
        assert_eq!(
            c.headers()[AUTHORIZATION],
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert!(c.headers()[AUTHORIZATION].is_sensitive());
    }

    #[test]
    fn an_api_key_as_the_user_name_is_a_secret() {
        let basic = Basic::api_key_as_username(Secret::new(KEY));
        let c = applied(&basic);
        let expected = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"));
        assert_eq!(
            c.headers()[AUTHORIZATION],
            format!("Basic {expected}").as_str()
        );
        assert!(!format!("{basic:?}").contains(KEY), "{basic:?}");
        assert!(basic.secrets().iter().any(|s| s.expose() == KEY));
        let shown = Basic::new("svc-user", Secret::new(PW));
        assert!(format!("{shown:?}").contains("svc-user"));
        assert!(!format!("{shown:?}").contains(PW));
        // A plain user name is not a secret: an error may still name the account.
        let named = crate::redact::scrub("account svc-user-7731 was locked");
        let plain = Basic::new("svc-user-7731", Secret::new("Plain-Pw-0042"));
        assert_eq!(
            crate::redact::scrub("account svc-user-7731 was locked; Plain-Pw-0042"),
            format!("{named}; {}", crate::REDACTED)
        );
        drop(plain);
    }

    #[test]
    fn bearer_and_api_keys() {
        let c = applied(&Bearer::new(Secret::new("tok")));
        assert_eq!(c.headers()[AUTHORIZATION], "Bearer tok");
        let c = applied(&ApiKeyHeader::new("X-Api-Key", Secret::new(KEY)).unwrap());
        assert_eq!(c.headers()["x-api-key"], KEY);
        assert!(c.headers()["x-api-key"].is_sensitive());
        let q = ApiKeyQuery::new("api_key", Secret::new(KEY));
        let c = applied(&q);
        assert_eq!(c.query_names(), ["api_key"]);
        assert!(!format!("{q:?} {c:?}").contains(KEY));
    }

    #[test]
    fn control_characters_are_refused_without_echo() {
        let mut c = Credentials::default();
        let err = ApiKeyHeader::new("Api-Key", Secret::new("abc\ndef"))
            .unwrap()
            .apply(&mut c)
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("api-key"), "{text}");
        assert!(!text.contains("abc"), "{text}");
    }
}
