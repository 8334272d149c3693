//! Saved connections as use cases: save a new one ([`add`]), change one without retyping the
//! secrets that stay ([`Draft`]), and the *Test connection* button ([`test()`]). Prompts, forms
//! and messages belong to the caller; these validate, save and record.

use connector_core::settings::SettingsSchema;
use connector_core::{Context, ProviderDescriptor, TestReport};
use connector_store::{set_path, ConnectionInfo, ConnectionName, Store, StoreError, ValidSettings};
use serde_json::{Map, Value};

/// Why a connection was not saved; nothing was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaveFailure {
    /// The settings do not pass the provider's validation (every problem at once).
    #[error(transparent)]
    Invalid(connector_core::Error),
    /// The store refused (a taken name, a wrong key, …) or failed.
    #[error(transparent)]
    Store(StoreError),
}

/// Validates `raw` against `provider`'s settings and saves it as `name`, secrets encrypted,
/// with `endpoints`: where the provider is reached when not at production (a sandbox's
/// endpoints, which the connection then keeps using; `Context::default()` for production).
/// Test it afterwards with [`test()`].
pub async fn add(
    store: &dyn Store,
    name: &ConnectionName,
    provider: &ProviderDescriptor,
    raw: Value,
    endpoints: &Context,
) -> Result<ConnectionInfo, SaveFailure> {
    let settings = ValidSettings::validate(provider, raw).map_err(SaveFailure::Invalid)?;
    let settings = settings.with_endpoints(endpoints);
    store.add(name, settings).await.map_err(SaveFailure::Store)
}

/// The connection test of saved connection `name`, recorded (a synced connection is tested
/// for its provider's change feed too): the *Test connection* button.
pub async fn test(
    store: &dyn Store,
    name: &str,
    context: &Context,
) -> Result<TestReport, StoreError> {
    connector_store::test_saved(store, name, context).await
}

/// [`test()`], calling `on_step` with each step's result as soon as it is known (a console
/// shows the steps appear live), in the order they are settled.
pub async fn test_watched(
    store: &dyn Store,
    name: &str,
    context: &Context,
    on_step: impl Fn(&connector_core::check::StepReport) + Send + Sync + 'static,
) -> Result<TestReport, StoreError> {
    let watch: connector_core::StepWatch = std::sync::Arc::new(on_step);
    connector_store::test_saved_watched(store, name, context, Some(watch)).await
}

/// An edit of a saved connection in progress: its saved settings with the fields given anew
/// laid over them, and the secrets still to be entered. Fill them with
/// [`enter_secret`](Draft::enter_secret) (or let the caller's form fill [`settings_mut`]),
/// then [`save`](Draft::save). Saved secrets are decrypted only to be kept
/// ([`SecretsPolicy::Keep`]).
///
/// [`settings_mut`]: Draft::settings_mut
pub struct Draft {
    info: ConnectionInfo,
    descriptor: &'static ProviderDescriptor,
    raw: Value,
    missing: Vec<String>,
    /// Saved secrets put back as they were (not entered again).
    kept: Vec<String>,
    endpoints: Context,
}

impl std::fmt::Debug for Draft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The draft may hold secrets in plain text: only what may be shown.
        f.debug_struct("Draft")
            .field("connection", &self.info.name)
            .field("missing_secrets", &self.missing)
            .finish_non_exhaustive()
    }
}

/// What happens to the saved secrets that an edit does not give anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretsPolicy {
    /// Each is kept as saved (decrypted, then encrypted again).
    Keep,
    /// Each must be entered again ([`Draft::missing_secrets`]).
    EnterAgain,
}

/// Why an edit was not saved; nothing was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EditFailure {
    /// The settings do not pass validation; `secrets_not_entered` are saved secrets that were
    /// neither kept nor entered again and that validation now misses.
    #[error("{error}")]
    Invalid {
        /// The validation error (every problem at once).
        error: connector_core::Error,
        /// Saved secrets that were not given again.
        secrets_not_entered: Vec<String>,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(StoreError),
}

impl Draft {
    /// Starts an edit of `name`: `given` top-level fields replace the saved ones whole (a new
    /// `auth` object replaces the old one, secrets included).
    pub async fn start(
        store: &dyn Store,
        name: &str,
        given: Map<String, Value>,
        secrets: SecretsPolicy,
    ) -> Result<Draft, StoreError> {
        let (info, kept) = match secrets {
            SecretsPolicy::Keep => {
                let saved = store.get(name).await?;
                (saved.info.clone(), saved.secrets().to_vec())
            }
            SecretsPolicy::EnterAgain => (store.info(name).await?, Vec::new()),
        };
        let descriptor = connector_core::registry::provider(&info.provider)?;
        let mut raw = info.settings.clone();
        let replaced: Vec<String> = given.keys().cloned().collect();
        if let Value::Object(saved) = &mut raw {
            saved.extend(given);
        }
        let schema = descriptor.settings_schema();
        let mut missing = Vec::new();
        let mut kept_paths = Vec::new();
        for path in secrets_in_form_order(&info, &schema) {
            // Secrets under a field given anew are part of what was given.
            if replaced
                .iter()
                .any(|r| path.split('.').next() == Some(r.as_str()))
            {
                continue;
            }
            match kept.iter().find(|(p, _)| *p == path) {
                Some((_, secret)) => {
                    set_path(&mut raw, &path, Value::String(secret.expose().to_owned()));
                    kept_paths.push(path);
                }
                None => missing.push(path),
            }
        }
        Ok(Draft {
            endpoints: info.context(&Context::default()),
            info,
            descriptor,
            raw,
            missing,
            kept: kept_paths,
        })
    }

    /// The connection as saved.
    pub fn info(&self) -> &ConnectionInfo {
        &self.info
    }

    /// Its provider.
    pub fn provider(&self) -> &'static ProviderDescriptor {
        self.descriptor
    }

    /// Saved secrets still to be entered (field paths such as `password`, `auth.token`), in
    /// the settings form's order.
    pub fn missing_secrets(&self) -> &[String] {
        &self.missing
    }

    /// Enters secret `path` again.
    pub fn enter_secret(&mut self, path: &str, value: String) {
        set_path(&mut self.raw, path, Value::String(value));
        self.missing.retain(|p| p != path);
        self.kept.retain(|p| p != path);
    }

    /// The settings as they stand (for a caller that asks for the fields still missing).
    pub fn settings_mut(&mut self) -> Option<&mut Map<String, Value>> {
        self.raw.as_object_mut()
    }

    /// Where the connection is to be reached from now on, instead of the endpoints it was
    /// saved with (kept unless this is called): a sandbox's, or `Context::default()` for the
    /// provider's production hosts.
    pub fn set_endpoints(&mut self, endpoints: Context) {
        self.endpoints = endpoints;
    }

    /// Validates and saves; the connection's last test is forgotten (it changed). Kept
    /// secrets are refused, by field, when the edit points a URL setting at another origin
    /// ([`moved_secrets`]), with every other problem at once.
    pub async fn save(self, store: &dyn Store) -> Result<ConnectionInfo, EditFailure> {
        let schema = self.descriptor.settings_schema();
        let saved = &self.info.settings;
        let settings = match validate_edit(self.descriptor, &schema, saved, self.raw, &self.kept) {
            Ok(s) => s.with_endpoints(&self.endpoints),
            Err((error, refused)) => {
                let mut secrets_not_entered: Vec<String> = self
                    .missing
                    .iter()
                    .filter(|p| {
                        let top = p.split('.').next().unwrap_or(p);
                        error
                            .field_errors()
                            .iter()
                            .any(|f| f.field.starts_with(top))
                    })
                    .cloned()
                    .collect();
                secrets_not_entered.extend(refused);
                return Err(EditFailure::Invalid {
                    error,
                    secrets_not_entered,
                });
            }
        };
        store
            .update(&self.info.name, settings)
            .await
            .map_err(EditFailure::Store)
    }
}

/// Connects to saved connection `name` (its secrets decrypted only to build the connector),
/// at its saved endpoints with `context`'s laid over them: what exporting or peeking at its
/// users starts from.
pub async fn connect(
    store: &dyn Store,
    name: &str,
    context: &Context,
) -> Result<(ConnectionInfo, Box<dyn connector_core::Connector>), StoreError> {
    let saved = store.get(name).await?;
    let descriptor = connector_core::registry::provider(&saved.info.provider)?;
    let context = saved.info.context(context);
    let connector = descriptor.connect_with(saved.settings_for_connect(), &context)?;
    Ok((saved.info.clone(), connector))
}

/// Saves the submission of an *edit form* of saved connection `name` (the schema's edit
/// variant, [`SettingsSchema::edit_document`]): every field is given; a secret left blank
/// (or left out) keeps its saved value, where the form still shows that secret (inside a
/// choice, only while the same option is chosen). Validates like [`add`]; the connection's
/// last test is forgotten (it changed).
pub async fn save_edit_form(
    store: &dyn Store,
    name: &str,
    submitted: Map<String, Value>,
) -> Result<ConnectionInfo, EditFailure> {
    let saved = store.get(name).await.map_err(EditFailure::Store)?;
    let descriptor = connector_core::registry::provider(&saved.info.provider)
        .map_err(|e| EditFailure::Store(e.into()))?;
    let schema = descriptor.settings_schema();
    let mut raw = Value::Object(submitted);
    let mut kept = Vec::new();
    for (path, secret) in saved.secrets() {
        let blank = match pointer(&raw, path) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        };
        if blank && same_option(&schema, &raw, &saved.info.settings, path) {
            set_path(&mut raw, path, Value::String(secret.expose().to_owned()));
            kept.push(path.clone());
        }
    }
    let settings = validate_edit(descriptor, &schema, &saved.info.settings, raw, &kept)
        .map_err(|(error, refused)| EditFailure::Invalid {
            error,
            secrets_not_entered: refused,
        })?
        // A form edits settings, not where the connection is reached: those are kept.
        .with_endpoints(&saved.info.context(&Context::default()));
    store
        .update(&saved.info.name, settings)
        .await
        .map_err(EditFailure::Store)
}

/// Validates an edit's settings (`raw`, with the `kept` secrets put back) and refuses those
/// secrets when a URL setting now points elsewhere ([`moved_secrets`]): every problem at once.
/// On failure: the error, and the kept secrets that must be entered again.
fn validate_edit(
    descriptor: &ProviderDescriptor,
    schema: &SettingsSchema,
    saved: &Value,
    raw: Value,
    kept: &[String],
) -> Result<ValidSettings, (connector_core::Error, Vec<String>)> {
    let (moved, refused) = moved_secrets(schema, saved, &raw, kept);
    match ValidSettings::validate(descriptor, raw) {
        Ok(settings) if moved.is_empty() => Ok(settings),
        Ok(_) => Err((
            connector_core::Error::invalid_settings(descriptor.id(), moved),
            refused,
        )),
        Err(e) if moved.is_empty() || e.field_errors().is_empty() => Err((e, refused)),
        Err(e) => {
            let mut all = e.field_errors().to_vec();
            all.extend(moved);
            let all = connector_core::Error::invalid_settings(descriptor.id(), all);
            Err((all, refused))
        }
    }
}

/// Saved secrets go only where they were entered for: when `raw` points a URL setting
/// ([`SettingsSchema::url_fields`]) at another origin than `saved` did, each secret in `kept`
/// (put back, not entered again) is refused by field, in the form's order (the errors, and
/// the secrets). Otherwise a person who may edit a connection but never sees its secrets
/// could send them to a host of their own by changing `base_url` and leaving the secrets
/// "unchanged".
fn moved_secrets(
    schema: &SettingsSchema,
    saved: &Value,
    raw: &Value,
    kept: &[String],
) -> (Vec<connector_core::FieldError>, Vec<String>) {
    // Where a value sends requests: its origin (no path, no user:password@), or the value
    // itself when it is no URL (compared, never quoted: it could be a secret pasted into the
    // wrong field).
    let destination = |v: Option<&Value>| {
        let text = v.and_then(Value::as_str).unwrap_or_default().trim();
        match connector_core::reexports::url::Url::parse(text) {
            Ok(url) => (url.origin().ascii_serialization(), true),
            Err(_) => (text.to_owned(), false),
        }
    };
    let shown = |(text, url): (String, bool)| match url {
        true => text,
        false => "a value that is not a URL".to_owned(),
    };
    let moved: Vec<String> = schema
        .url_fields()
        .into_iter()
        .filter(|f| destination(saved.get(*f)).0 != destination(raw.get(*f)).0)
        .map(|f| {
            let was = shown(destination(saved.get(f)));
            let now = shown(destination(raw.get(f)));
            format!("{f} now points at {now} (was {was})")
        })
        .collect();
    if moved.is_empty() || kept.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let now = moved.join(", ");
    let position = |path: &String| {
        let top = path.split('.').next().unwrap_or(path);
        schema.fields().iter().position(|f| f.name == top)
    };
    let mut kept = kept.to_vec();
    kept.sort_by_key(position);
    let errors = kept
        .iter()
        .map(|path| {
            connector_core::FieldError::new(
                path.clone(),
                format!("enter it again: {now}, and a saved secret is only sent where it was entered for"),
            )
        })
        .collect();
    (errors, kept)
}

/// The value at dotted `path` (`auth.token`) of `raw`.
fn pointer<'a>(raw: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(raw, |v, key| v.get(key))
}

/// Whether the submission still shows secret `path`: a top-level secret always; one inside a
/// choice while the submission's option (its discriminators) is the saved one.
fn same_option(schema: &SettingsSchema, raw: &Value, saved: &Value, path: &str) -> bool {
    let Some((field, _)) = path.split_once('.') else {
        return true;
    };
    let (Some(given), Some(kept)) = (raw.get(field), saved.get(field)) else {
        return false;
    };
    let discriminators = schema.choice_discriminators(field);
    given.is_object()
        && discriminators
            .iter()
            .all(|d| given.get(d).is_some() && given.get(d) == kept.get(d))
}

/// The connection's secret fields in the order its settings form shows them.
fn secrets_in_form_order(info: &ConnectionInfo, schema: &SettingsSchema) -> Vec<String> {
    let position = |path: &str| {
        let top = path.split('.').next().unwrap_or(path);
        schema
            .fields()
            .iter()
            .position(|f| f.name == top)
            .unwrap_or(usize::MAX)
    };
    let mut paths = info.secret_fields.clone();
    paths.sort_by_key(|p| position(p));
    paths
}
