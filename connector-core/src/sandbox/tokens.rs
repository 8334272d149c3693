//! [`TokenIssuer`]: the OAuth2 part of a mock tenant, once for every sandbox and mock: the
//! client-credentials grant (the client in the form or in a Basic header), tokens that expire
//! after a lifetime, after a number of uses, or on demand, the bearer check of API requests,
//! and the OAuth error answers (`invalid_client`, `unsupported_grant_type`, `invalid_token`).
//! It knows no HTTP framework: a sandbox hands it the request's body and `Authorization`
//! header and answers with the [`TokenAnswer`] it gets.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// An answer for the sandbox to send: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl TokenAnswer {
    /// An OAuth error answer (RFC 6749 §5.2): `error` and its `error_description`.
    pub fn refusal(status: u16, error: &str, description: &str) -> Self {
        TokenAnswer {
            status,
            body: json!({"error": error, "error_description": description}),
        }
    }
}

/// A token: until when, and how many more requests it is good for.
#[derive(Debug, Clone, Copy)]
struct Grant {
    until: Instant,
    uses: Option<u32>,
}

/// Issues and checks the bearer tokens of one mock tenant. Cheap to clone (shared state).
///
/// ```
/// use std::time::Duration;
/// use connector_core::sandbox::TokenIssuer;
///
/// let issuer = TokenIssuer::new("acme", "client-1", "s3cret", Duration::from_secs(3600));
/// let answer = issuer.client_credentials(b"grant_type=client_credentials&client_id=client-1&client_secret=s3cret", None);
/// assert_eq!(answer.status, 200);
/// let token = answer.body["access_token"].as_str().unwrap().to_owned();
/// assert!(issuer.accepts(Some(&format!("Bearer {token}"))));
/// issuer.expire_all();
/// assert!(!issuer.accepts(Some(&format!("Bearer {token}"))));
/// let wrong = issuer.client_credentials(b"grant_type=client_credentials&client_id=client-1&client_secret=nope", None);
/// assert_eq!((wrong.status, wrong.body["error"].as_str()), (401, Some("invalid_client")));
/// ```
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    prefix: String,
    client_id: String,
    client_secret: String,
    ttl: Duration,
    scope: Option<String>,
    first_token_uses: Option<u32>,
    issued: Arc<AtomicU64>,
    tokens: Arc<Mutex<HashMap<String, Grant>>>,
}

impl TokenIssuer {
    /// An issuer for one client (`client_id` / `client_secret`) whose tokens live `ttl`;
    /// `prefix` starts every token it issues (the tokens are made up, distinct, and listed by
    /// [`issued`](Self::issued) for leak scans).
    pub fn new(prefix: &str, client_id: &str, client_secret: &str, ttl: Duration) -> Self {
        TokenIssuer {
            prefix: prefix.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            ttl,
            scope: None,
            first_token_uses: None,
            issued: Arc::default(),
            tokens: Arc::default(),
        }
    }

    /// The `scope` the token answers carry.
    pub fn scope(mut self, scope: &str) -> Self {
        self.scope = Some(scope.to_owned());
        self
    }

    /// The first token is good for `uses` requests, then refused (401), as when a token
    /// expires mid-export; the tokens issued after it last their whole lifetime.
    pub fn first_token_uses(mut self, uses: Option<u32>) -> Self {
        self.first_token_uses = uses;
        self
    }

    /// Answers a token request of the client-credentials grant: `body` is the form the
    /// client sent, `authorization` its `Authorization` header (a client may authenticate
    /// with HTTP Basic instead of the form, RFC 6749 §2.3.1).
    pub fn client_credentials(&self, body: &[u8], authorization: Option<&str>) -> TokenAnswer {
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
            return TokenAnswer::refusal(
                400,
                "unsupported_grant_type",
                "only the client_credentials grant is supported",
            );
        }
        let (id, secret) = match basic_pair(authorization) {
            Some(pair) => pair,
            None => (
                form.get("client_id").cloned().unwrap_or_default(),
                form.get("client_secret").cloned().unwrap_or_default(),
            ),
        };
        if id != self.client_id || secret != self.client_secret {
            return TokenAnswer::refusal(401, "invalid_client", "unknown client or wrong secret");
        }
        self.issue()
    }

    /// Reads a token request of the JWT bearer grant (RFC 7523): the assertion's RS256
    /// signature checked against `public_key_der`, its `exp` not past, and its `iss` this
    /// issuer's client. The claims, for the sandbox's own checks (`sub`, `scope`), then
    /// [`issue`](Self::issue); or the OAuth refusal to answer with.
    pub fn jwt_bearer(
        &self,
        body: &[u8],
        public_key_der: &[u8],
    ) -> std::result::Result<Value, TokenAnswer> {
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        if form.get("grant_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        {
            return Err(TokenAnswer::refusal(
                400,
                "unsupported_grant_type",
                "only the JWT bearer grant is supported",
            ));
        }
        let claims = form
            .get("assertion")
            .and_then(|a| crate::auth::verify_rs256(a, public_key_der))
            .ok_or_else(|| TokenAnswer::refusal(400, "invalid_grant", "Invalid JWT Signature."))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        if claims["exp"].as_u64().is_none_or(|exp| exp < now) {
            return Err(TokenAnswer::refusal(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.",
            ));
        }
        if claims["iss"] != self.client_id.as_str() {
            return Err(TokenAnswer::refusal(
                401,
                "invalid_client",
                "The OAuth client was not found.",
            ));
        }
        Ok(claims)
    }

    /// Issues a token (for a grant the sandbox checked itself).
    pub fn issue(&self) -> TokenAnswer {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("{}-token-{n}-{:08x}", self.prefix, scramble(n));
        let grant = Grant {
            until: Instant::now() + self.ttl,
            uses: self.first_token_uses.filter(|_| n == 1),
        };
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), grant);
        let mut body = json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.ttl.as_secs(),
        });
        if let Some(scope) = &self.scope {
            body["scope"] = json!(scope);
        }
        TokenAnswer { status: 200, body }
    }

    /// Whether an API request's `Authorization` header carries a live token (using one of its
    /// uses, when counted).
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some(token) = authorization.and_then(|v| v.strip_prefix("Bearer ")) else {
            return false;
        };
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        match tokens.get_mut(token.trim()) {
            Some(grant) if Instant::now() < grant.until => match &mut grant.uses {
                Some(0) => false,
                Some(n) => {
                    *n -= 1;
                    true
                }
                None => true,
            },
            _ => false,
        }
    }

    /// The answer to an API request without a live token.
    pub fn unauthorized() -> TokenAnswer {
        TokenAnswer::refusal(
            401,
            "invalid_token",
            "the access token is missing, unknown or expired",
        )
    }

    /// Expires every token issued so far, on demand (the next API request is refused, and a
    /// client that renews goes on).
    pub fn expire_all(&self) {
        let now = Instant::now();
        for grant in self
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values_mut()
        {
            grant.until = now;
        }
    }

    /// Every token issued so far (for leak scans).
    pub fn issued(&self) -> Vec<String> {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// How many tokens were issued.
    pub fn issued_count(&self) -> u64 {
        self.issued.load(Ordering::SeqCst)
    }
}

/// The user name and password of a Basic `Authorization` header.
pub fn basic_pair(authorization: Option<&str>) -> Option<(String, String)> {
    let encoded = authorization?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Whether a Basic `Authorization` header names `user` with `password`.
pub fn basic_matches(authorization: Option<&str>, user: &str, password: &str) -> bool {
    basic_pair(authorization).is_some_and(|(u, p)| u == user && p == password)
}

/// A cheap, deterministic scramble of `n` (tokens must differ from run to run only in their
/// number; nothing here is secret).
fn scramble(n: u64) -> u32 {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 29;
    (x & 0xFFFF_FFFF) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TokenIssuer {
        TokenIssuer::new("t", "id", "secret", Duration::from_secs(60))
    }

    #[test]
    fn the_client_may_authenticate_in_the_form_or_with_basic() {
        let i = issuer();
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("id:secret")
        );
        let answer = i.client_credentials(b"grant_type=client_credentials", Some(&basic));
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        let wrong = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("id:nope")
        );
        let answer = i.client_credentials(b"grant_type=client_credentials", Some(&wrong));
        assert_eq!(answer.body["error"], "invalid_client");
        let answer = i.client_credentials(b"grant_type=password&username=a", None);
        assert_eq!(
            (answer.status, answer.body["error"].as_str()),
            (400, Some("unsupported_grant_type"))
        );
    }

    #[test]
    fn the_first_token_can_run_out_and_the_next_ones_last() {
        let i = issuer().first_token_uses(Some(2));
        let first = i.issue().body["access_token"].as_str().unwrap().to_owned();
        let bearer = format!("Bearer {first}");
        assert!(i.accepts(Some(&bearer)));
        assert!(i.accepts(Some(&bearer)));
        assert!(!i.accepts(Some(&bearer)), "used up");
        let second = i.issue().body["access_token"].as_str().unwrap().to_owned();
        assert_ne!(first, second);
        for _ in 0..5 {
            assert!(i.accepts(Some(&format!("Bearer {second}"))));
        }
        assert_eq!(i.issued_count(), 2);
        assert_eq!(i.issued().len(), 2);
    }

    #[test]
    fn no_token_an_unknown_one_or_another_scheme_is_refused() {
        let i = issuer();
        assert!(!i.accepts(None));
        assert!(!i.accepts(Some("Bearer made-up")));
        assert!(!i.accepts(Some("Basic aWQ6c2VjcmV0")));
        assert_eq!(TokenIssuer::unauthorized().status, 401);
    }

    #[test]
    fn a_jwt_assertion_is_verified_before_a_token_is_issued() {
        let pem = crate::Secret::new(include_str!("test_rsa_key.pem"));
        let signer =
            crate::auth::JwtAssertion::rs256("sa@example.iam", "http://t/token", "s", &pem)
                .unwrap()
                .subject("admin@example.com");
        let i = TokenIssuer::new("t", "sa@example.iam", "", Duration::from_secs(60));
        let body = |assertion: &str| {
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
                .append_pair("assertion", assertion)
                .finish()
        };
        let signed = signer.sign().unwrap();
        let claims = i
            .jwt_bearer(body(signed.expose()).as_bytes(), &signer.public_key_der())
            .unwrap();
        assert_eq!(claims["sub"], "admin@example.com");
        assert_eq!(claims["aud"], "http://t/token");
        // Tampered with: the signature no longer holds.
        let tampered = signed.expose().replacen('.', ".e30", 1);
        let refused = i
            .jwt_bearer(body(&tampered).as_bytes(), &signer.public_key_der())
            .unwrap_err();
        assert_eq!(refused.body["error"], "invalid_grant");
        // Another issuer: an unknown client.
        let other = crate::auth::JwtAssertion::rs256("other@x", "a", "s", &pem).unwrap();
        let refused = i
            .jwt_bearer(
                body(other.sign().unwrap().expose()).as_bytes(),
                &other.public_key_der(),
            )
            .unwrap_err();
        assert_eq!(refused.body["error"], "invalid_client");
    }

    #[test]
    fn basic_headers_are_read_and_matched() {
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("svc:p:w")
        );
        assert_eq!(
            basic_pair(Some(&header)),
            Some(("svc".into(), "p:w".into()))
        );
        assert!(basic_matches(Some(&header), "svc", "p:w"));
        assert!(!basic_matches(Some(&header), "svc", "p"));
        assert!(basic_pair(Some("Basic !!")).is_none());
    }
}
