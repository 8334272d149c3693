//! Who may call the console: the holder of the session token (a bearer header, or the cookie
//! that opening the console's URL sets), with the console's own `Host`; writes only from the
//! console's own origin.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::Shared;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "connector_session";

/// The session's token and the console's own names.
pub(crate) struct Access {
    token: connector_core::Secret,
    /// `127.0.0.1:PORT`, `localhost:PORT` (or the address it was bound to); empty when it
    /// listens on every address (`0.0.0.0`), whose names it cannot know: any Host then, and
    /// the origin of a write must be that Host's.
    hosts: Vec<String>,
    /// `http://` + each host.
    origins: Vec<String>,
}

/// 32 random bytes as hex, from the system's secure random source.
pub(crate) fn new_token() -> std::io::Result<connector_core::Secret> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| std::io::Error::other("no secure random numbers for the session token"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(connector_core::Secret::new(hex))
}

impl Access {
    pub(crate) fn new(token: connector_core::Secret, address: SocketAddr) -> Self {
        let port = address.port();
        if address.ip().is_unspecified() {
            return Access {
                token,
                hosts: Vec::new(),
                origins: Vec::new(),
            };
        }
        let mut hosts = vec![address.to_string()];
        if address.ip().is_loopback() {
            hosts.push(format!("localhost:{port}"));
            hosts.push(format!("127.0.0.1:{port}"));
        }
        hosts.dedup();
        let origins = hosts.iter().map(|h| format!("http://{h}")).collect();
        Access {
            token,
            hosts,
            origins,
        }
    }

    fn token_matches(&self, given: &str) -> bool {
        // Constant time: the token's length is public, its content not.
        let (a, b) = (self.token.expose().as_bytes(), given.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// How a request proved it holds the token.
#[derive(PartialEq)]
enum Proof {
    Bearer,
    Cookie,
    None,
}

fn proof(access: &Access, headers: &HeaderMap) -> Proof {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|t| access.token_matches(t.trim())) {
        return Proof::Bearer;
    }
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(k, v)| k == SESSION_COOKIE && access.token_matches(v));
    if cookie {
        Proof::Cookie
    } else {
        Proof::None
    }
}

/// The guard in front of every route.
pub(crate) async fn guard(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let access = &shared.access;
    let headers = request.headers();
    // DNS rebinding: a page of another site that resolves its name to 127.0.0.1.
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let known_host = |h: &str| {
        access.hosts.is_empty() || access.hosts.iter().any(|ok| ok.eq_ignore_ascii_case(h))
    };
    if !host.is_some_and(known_host) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "the request's Host is not this console's",
        )
        .hint("open the console at the address it printed")
        .into_response();
    }
    let write = !matches!(*request.method(), Method::GET | Method::HEAD);
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let own_origin = |o: &str| {
        if access.origins.is_empty() {
            host.is_some_and(|h| o.strip_prefix("http://") == Some(h))
        } else {
            access.origins.iter().any(|ok| ok == o)
        }
    };
    if write && origin.is_some_and(|o| !own_origin(o)) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "a write from another origin was refused",
        )
        .into_response();
    }
    // Opening the printed URL: the token becomes the session cookie and leaves the address bar.
    if request.method() == Method::GET && request.uri().path() == "/" {
        if let Some(given) = request
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("token=")))
        {
            if access.token_matches(given) {
                return Response::builder()
                    .status(StatusCode::SEE_OTHER)
                    .header(header::LOCATION, "/")
                    .header(
                        header::SET_COOKIE,
                        format!(
                            "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
                            access.token.expose()
                        ),
                    )
                    .header(header::CACHE_CONTROL, "no-store")
                    .body(Body::empty())
                    .unwrap_or_default();
            }
        }
    }
    match proof(access, headers) {
        Proof::None => ApiError::new(StatusCode::UNAUTHORIZED, "no valid session token")
            .hint("open the URL the console printed (it carries the token), or send Authorization: Bearer <token>")
            .into_response(),
        // A cookie is sent by the browser whatever page asks: a write on a cookie alone
        // must come from this console's own page (which a browser names in Origin).
        Proof::Cookie if write && origin.is_none() => {
            ApiError::new(StatusCode::FORBIDDEN, "a write without an Origin was refused")
                .into_response()
        }
        _ => next.run(request).await,
    }
}
