//! Google Workspace settings: a service account's JSON key and the admin it acts for.

use connector_core::settings::{HttpSettings, Settings};
use connector_core::Secret;
use schemars::JsonSchema;
use serde::Deserialize;

/// Where Google issues tokens, when the key file does not say.
pub const TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// Connection settings for Google Workspace, read through the Admin SDK Directory API by a
/// service account with domain-wide delegation, acting for a Workspace admin.
// `Debug` shows the private key as [REDACTED]: `Secret`'s own `Debug` says so.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(title = "Google Workspace")]
pub struct GoogleSettings {
    /// The service account's JSON key, as Google Cloud console > IAM & Admin > Service
    /// accounts > the account > Keys > Add key > JSON downloads it (the whole file may be
    /// given: the fields not listed here are ignored).
    #[schemars(title = "Service account key")]
    pub service_account_key: ServiceAccountKey,

    /// The e-mail of a Workspace admin the service account acts for (domain-wide delegation
    /// reads the directory as this user), with at least the Users > Read admin privilege.
    #[schemars(
        title = "Admin to act as",
        example = &"it-admin@example.com",
        pattern(r"^[^@\s]+@[^@\s]+$")
    )]
    pub subject: String,

    /// Whose users to list: my_customer (the admin's own account), or a customer ID (C0…).
    #[serde(default = "default_customer")]
    #[schemars(title = "Customer", extend("x-group" = "advanced"))]
    pub customer: String,

    /// Users asked for per request (maxResults); the Directory API returns at most 500.
    #[serde(default = "default_page_size")]
    #[schemars(title = "Page size", range(min = 1, max = 500), extend("x-group" = "advanced"))]
    pub page_size: u32,

    /// Timeouts, retries, concurrency and the response cap.
    #[serde(flatten)]
    pub http: HttpSettings,
}

/// The fields of a service account's JSON key file the connector reads.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ServiceAccountKey {
    /// The service account's e-mail (`…@….iam.gserviceaccount.com`).
    #[schemars(title = "Client e-mail", example = &"directory-sync@my-project.iam.gserviceaccount.com")]
    pub client_email: String,
    /// The key's private key (PEM, `-----BEGIN PRIVATE KEY-----`).
    #[schemars(title = "Private key")]
    pub private_key: Secret,
    /// Where tokens are issued (the key file's token_uri; https://oauth2.googleapis.com/token).
    #[schemars(title = "Token URI")]
    pub token_uri: Option<String>,
}

fn default_customer() -> String {
    "my_customer".into()
}

fn default_page_size() -> u32 {
    500
}

impl Settings for GoogleSettings {}
