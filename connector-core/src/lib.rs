//! # connector-core
//!
//! The contracts every provider of the connector SDK implements, and the machinery they share:
//!
//! * [`Secret`]: the only type that holds a credential; redacted everywhere.
//! * [`Provider`] and [`ProviderDescriptor`]: the typed provider contract (settings type,
//!   connect), built into a descriptor and registered with [`register!`]; [`registry`] finds
//!   them.
//! * [`settings`]: a provider's settings struct is the single source of its JSON Schema
//!   (draft 2020-12, or draft-07 for form renderers) and of validation that reports every
//!   field problem at once; [`settings::BaseUrl`] and [`settings::HttpSettings`] are shared.
//! * [`auth`]: authenticators (Basic, bearer, API keys in a header or the query, OAuth2 client
//!   credentials, compositions); credentials can be renewed during a run.
//! * [`http`]: the one request pipeline (any method and body, retries of what is safe to
//!   retry, rate limits, redirects, size cap, transport errors told apart, URLs redacted) and
//!   records decoded as they arrive from bare arrays or envelopes.
//! * [`paginate`]: listing strategies (page number, offset/limit, cursor, next link) with
//!   end rules that cannot silently truncate.
//! * [`Error`]: one error type, grouped by [`ErrorKind`], with provider, endpoint and hint.
//! * [`check`]: connection tests as ordered, named, typed steps.
//! * [`user`]: the normalized [`User`] and the export contract; [`export_users`] applies the
//!   shared filters.
//! * [`sandbox`]: the contract of a provider's embedded sandbox (a loopback fake of its API).
//! * `testkit` (feature `testkit`): the conformance suite every provider runs.
//!
//! ## Example
//!
//! A provider's settings, validated from raw JSON with every problem reported at once:
//!
//! ```
//! use connector_core::{settings::{parse_settings, Settings}, Secret};
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//!
//! /// Settings of a hypothetical service.
//! #[derive(Deserialize, JsonSchema)]
//! #[schemars(title = "Acme HR")]
//! struct AcmeSettings {
//!     /// API host, e.g. `api.acme.example`.
//!     #[schemars(title = "API host")]
//!     host: String,
//!     /// API token from Acme's admin console.
//!     #[schemars(title = "API token")]
//!     token: Secret,
//! }
//! impl Settings for AcmeSettings {}
//!
//! let err = parse_settings::<AcmeSettings>("acme", serde_json::json!({"hots": "x"}))
//!     .err()
//!     .expect("invalid");
//! assert_eq!(
//!     err.to_string(),
//!     "acme: invalid settings (3 problems): host: is required (API host); \
//!      token: is required (API token); hots: is not a known field; did you mean `host`?"
//! );
//!
//! let ok: AcmeSettings =
//!     parse_settings("acme", serde_json::json!({"host": "api.acme.example", "token": "t0k"}))
//!         .expect("valid");
//! assert_eq!(format!("{:?}", ok.token), "[REDACTED]");
//! ```
#![deny(missing_docs)]

pub mod auth;
pub mod base_url;
pub mod check;
pub mod connection_test;
pub mod connector;
pub mod error;
pub mod feed;
pub mod files;
pub mod http;
pub mod json_array;
pub mod json_envelope;
pub mod paginate;
pub mod provider;
pub mod redact;
pub mod registry;
pub mod sandbox;
mod secret;
pub mod settings;
pub mod sync;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod user;

/// Retry policy, adaptive concurrency and request budget (they live in [`http::retry`]).
pub use http::retry;

pub use check::{CheckStep, Checklist, StepStatus, StepWatch, TestReport};
pub use connection_test::{test_connection, test_connection_watched, test_connection_with};
pub use connector::{export_users, Connector};
pub use error::{Error, ErrorKind, FieldError, NetworkKind, Result};
pub use provider::{Context, Endpoint, Provider};
pub use registry::{Capability, Filter, ProviderDescriptor};
pub use secret::{Secret, REDACTED};
pub use user::{
    ExportOptions, ExportStats, ExportSummary, User, UserExport, UserStatus, UserStream,
};

/// Re-exports for provider crates, so that they use the same versions as the SDK.
pub mod reexports {
    pub use async_trait::async_trait;
    pub use futures_util;
    pub use inventory;
    pub use jiff;
    pub use reqwest::header::{self, HeaderMap};
    pub use schemars;
    pub use serde_json;
    /// The SDK logs with `tracing`; a provider that logs too uses the same version.
    pub use tracing;
    pub use url;
}
