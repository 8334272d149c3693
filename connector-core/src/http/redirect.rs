//! Redirects: followed only within the request's own origin, never from https to http.

use reqwest::header::{HeaderMap, LOCATION};
use url::{Origin, Url};

use crate::error::{Error, ErrorKind, Result};
use crate::http::HttpClient;

impl HttpClient {
    /// Where a redirect points, if it may be followed: within `home`, the origin the request
    /// was sent to, only.
    pub(super) fn redirect_target(
        &self,
        current: &Url,
        home: &Origin,
        headers: &HeaderMap,
        endpoint: &str,
    ) -> Result<Url> {
        let inner = &*self.inner;
        let field = inner
            .config
            .url_subject(&super::config::endpoint_host(current));
        let protocol = |message: String, hint: String| {
            Error::new(inner.provider, ErrorKind::Protocol, message)
                .with_endpoint(endpoint.to_owned())
                .with_hint(hint)
        };
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                protocol(
                    "redirect without a usable Location header".into(),
                    format!("check {field}"),
                )
            })?;
        let next = current.join(location).map_err(|_| {
            protocol(
                "redirect to an invalid URL".into(),
                format!("check {field}"),
            )
        })?;
        let here = home;
        if next.origin() == *here {
            return Ok(next);
        }
        let there = next.origin().ascii_serialization();
        if current.scheme() == "https" && next.scheme() == "http" {
            return Err(protocol(
                format!("the server redirected from https to plain http ({there}); refused"),
                format!("credentials are never sent unencrypted; check {field} and that no proxy downgrades the connection"),
            ));
        }
        Err(protocol(
            format!("the server redirected to another origin ({there}); not followed, credentials are never sent to another origin"),
            format!(
                "if the API really lives at {there}, set {field} to it; otherwise check for a proxy or a login page in front of {}",
                here.ascii_serialization()
            ),
        ))
    }
}
