//! The shared HTTP pipeline every provider uses: one base URL (its path kept as a prefix),
//! timeouts, a user agent naming the SDK, HTTPS required except on loopback, credentials only
//! ever sent to the base URL's origin, bounded answer size, transport errors told apart
//! (DNS / connect / TLS / timeout), retries and rate limits, and URLs redacted wherever shown.
//!
//! | file | concern |
//! |---|---|
//! | `client.rs` | [`HttpClient`], [`HttpConfig`]: the pipeline every request goes through |
//! | `request.rs` | [`Request`]: method, path or URL, query, form/JSON body, `Accept`, retry safety |
//! | `response.rs` | [`HttpResponse`], [`StreamingResponse`], statuses → error kinds |
//! | `decode.rs` | records streamed from a bare array or an envelope; public decode errors |
//! | `redirect.rs` | redirects within the request's origin only |
//! | `transport.rs` | DNS / connect / TLS / timeout told apart, with hints |
//! | `probe.rs` | the reachability probe of connection tests |
//! | `redact.rs` | URLs without query values or userinfo |
//! | `retry.rs` | backoff with jitter, adaptive concurrency, request budget |

mod authenticate;
mod client;
mod config;
mod decode;
mod policy;
mod probe;
mod redact;
mod redirect;
mod request;
mod response;
pub mod retry;
mod transport;

pub use authenticate::{Authenticator, Credentials, InvalidCredential};
pub use client::{user_agent, HttpClient};
pub use config::HttpConfig;
pub use decode::{decode_error, describe_malformed, RecordPage, RecordsAt};
pub(crate) use policy::printable;
pub use policy::{ErrorPolicy, On};
pub use probe::Reachability;
pub use redact::{redact_url, redact_urls_in};
pub use request::{Method, Request, Value as RequestValue};
pub use response::{HttpResponse, StreamingResponse};
pub use retry::RetryPolicy;

#[cfg(test)]
mod tests;
