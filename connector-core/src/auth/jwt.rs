//! [`JwtAssertion`]: the signed assertion of the JWT bearer grant (RFC 7523), as a Google
//! service account (or any issuer with an RSA key) signs it: RS256 over
//! `{iss, sub, scope, aud, iat, exp}`, signed afresh for every token request.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::json;

use crate::Secret;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What signs a JWT bearer assertion: the issuer (a service account's e-mail), the audience
/// (the token endpoint), the scopes, optionally the subject to act for (domain-wide
/// delegation), and the issuer's RSA private key. Its `Debug` never shows the key.
///
/// ```
/// use connector_core::auth::JwtAssertion;
/// use connector_core::Secret;
///
/// let refused = JwtAssertion::rs256(
///     "sync@project.iam.gserviceaccount.com",
///     "https://oauth2.googleapis.com/token",
///     "https://www.googleapis.com/auth/admin.directory.user.readonly",
///     &Secret::new("not a key"),
/// );
/// assert!(refused.unwrap_err().contains("PEM"));
/// ```
#[derive(Clone)]
pub struct JwtAssertion {
    issuer: String,
    audience: String,
    scope: String,
    subject: Option<String>,
    lifetime: Duration,
    key: Arc<RsaKeyPair>,
    /// The key as given: scrubbed from every error, like any credential.
    pem: Secret,
}

impl fmt::Debug for JwtAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAssertion")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("scope", &self.scope)
            .field("subject", &self.subject)
            .field("key", &crate::REDACTED)
            .finish()
    }
}

impl JwtAssertion {
    /// An RS256 assertion signer; `private_key` is a PEM PKCS#8 RSA key (`-----BEGIN PRIVATE
    /// KEY-----`, as a Google service-account key file holds it). The error says, without
    /// quoting the key, what is wrong with it.
    pub fn rs256(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        scope: impl Into<String>,
        private_key: &Secret,
    ) -> std::result::Result<Self, String> {
        // As the key file has it, or pasted into a one-line input (line breaks dropped), or
        // copied from the JSON with its `\n` escapes left in.
        let pem = private_key.expose().replace("\\n", "\n");
        let body: String = pem
            .split_once("-----BEGIN PRIVATE KEY-----")
            .and_then(|(_, rest)| rest.split_once("-----END PRIVATE KEY-----"))
            .map(|(body, _)| body.chars().filter(|c| !c.is_whitespace()).collect())
            .unwrap_or_default();
        if body.is_empty() {
            return Err(
                "is not a PEM private key (-----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----)"
                    .into(),
            );
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| "holds a PEM block that is not base64".to_owned())?;
        let key = RsaKeyPair::from_pkcs8(&der).map_err(|_| {
            "is not an RSA private key in PKCS#8 (a service account's JSON key file holds one)"
                .to_owned()
        })?;
        Ok(JwtAssertion {
            issuer: issuer.into(),
            audience: audience.into(),
            scope: scope.into(),
            subject: None,
            lifetime: Duration::from_secs(3600),
            key: Arc::new(key),
            pem: private_key.clone(),
        })
    }

    /// The user to act for (`sub`: Google's domain-wide delegation impersonates an admin).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The private key as given (for the scrubbing of errors).
    pub(crate) fn key_secret(&self) -> &Secret {
        &self.pem
    }

    /// The issuer (`iss`), which names the client in messages.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// A freshly signed assertion (`header.claims.signature`), valid from now for an hour.
    pub fn sign(&self) -> crate::Result<Secret> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut claims = json!({
            "iss": self.issuer,
            "scope": self.scope,
            "aud": self.audience,
            "iat": now,
            "exp": now.saturating_add(self.lifetime.as_secs()),
        });
        if let Some(subject) = &self.subject {
            claims["sub"] = json!(subject);
        }
        let header = B64.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let signing_input = format!("{header}.{}", B64.encode(claims.to_string()));
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| {
                // The provider is named by the client that asked (`or_provider`).
                crate::Error::new(
                    "",
                    crate::ErrorKind::Authentication,
                    "the JWT assertion could not be signed with the private key",
                )
            })?;
        Ok(Secret::new(format!(
            "{signing_input}.{}",
            B64.encode(signature)
        )))
    }

    /// The public half of the key, DER (`RSAPublicKey`), for a mock token service to verify
    /// assertions with.
    pub fn public_key_der(&self) -> Vec<u8> {
        use ring::signature::KeyPair;
        self.key.public_key().as_ref().to_vec()
    }
}

/// Verifies an RS256 assertion against `public_key_der` and returns its claims (for mock
/// token services: the JWT bearer grant of [`TokenIssuer`](crate::sandbox::TokenIssuer)).
pub fn verify_rs256(assertion: &str, public_key_der: &[u8]) -> Option<serde_json::Value> {
    let (signing_input, signature) = assertion.rsplit_once('.')?;
    let signature = B64.decode(signature).ok()?;
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        public_key_der,
    )
    .verify(signing_input.as_bytes(), &signature)
    .ok()?;
    let (header, claims) = signing_input.split_once('.')?;
    let header: serde_json::Value = serde_json::from_slice(&B64.decode(header).ok()?).ok()?;
    if header["alg"] != "RS256" {
        return None;
    }
    serde_json::from_slice(&B64.decode(claims).ok()?).ok()
}
