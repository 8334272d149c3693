//! The console's page: one HTML file, its stylesheet and its script, built from
//! `connector-console/web` (React and react-jsonschema-form from pinned npm packages) and
//! committed, so building the crate needs no npm. They are compiled into the binary.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The page's security headers: its own scripts and styles only, never framed, the address
/// (which may carry the session token) never sent on. `'unsafe-eval'` because the form
/// validator (Ajv) compiles each settings schema into a function; scripts still come only from
/// the console itself, never inline.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `GET /`: the page.
pub(crate) async fn index() -> Response {
    asset(
        "text/html; charset=utf-8",
        include_bytes!("../assets/index.html"),
    )
}

/// `GET /assets/console.js`: the page's script (built, minified; licences at its end).
pub(crate) async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/console.js"),
    )
}

/// `GET /assets/console.css`: the page's stylesheet.
pub(crate) async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_bytes!("../assets/console.css"),
    )
}
