//! Where settings come from: `--config FILE` (JSON) overlaid with `<PROVIDER>_<FIELD>`
//! environment variables, the environment winning. Never from command-line flags.

use std::ffi::OsString;
use std::path::Path;

use clap::ArgMatches;
use connector_core::sandbox::{SandboxHandle, SandboxOptions};
use connector_core::settings::SettingsSchema;

use crate::env::var_name as env_var_name;
use connector_core::{Context, Error, ErrorKind, FieldError, ProviderDescriptor};
use connector_store::StoredConnection;
use serde_json::{Map, Value};

/// Where a command's settings come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `--config FILE` (optional) overlaid with `<PROVIDER>_<FIELD>` variables.
    Config(Option<std::path::PathBuf>),
    /// An embedded sandbox started for this command (`--sandbox`).
    Sandbox(SandboxOptions),
    /// A saved connection (`--connection NAME`), its secrets decrypted into `Secret`s.
    Saved(Box<StoredConnection>),
}

/// Where the settings of `test` or `users` come from: `--connection NAME` (read from the
/// connection store now, so that a store problem is reported with its own exit status),
/// `--sandbox`, or `--config FILE` and the environment. `Err` holds the exit status of a
/// reported error.
pub fn source(descriptor: &ProviderDescriptor, m: &ArgMatches) -> Result<Source, u8> {
    let Some(name) = m.try_get_one::<String>("connection").ok().flatten() else {
        return Ok(sandbox_source(m));
    };
    let store = crate::store::open_store()?;
    let saved = crate::runtime::block_on_value(store.get(name))
        .ok_or(crate::exit::OTHER)?
        .map_err(|e| crate::store::report(&e))?;
    crate::store::check_provider(&saved.info, descriptor)?;
    warn_ignored_variables(descriptor);
    Ok(Source::Saved(Box::new(saved)))
}

/// With `--connection`, `<PROVIDER>_*` variables that are set change nothing: say so.
pub fn warn_ignored_variables(descriptor: &ProviderDescriptor) {
    let unused: Vec<String> = descriptor
        .settings_schema()
        .fields()
        .iter()
        .map(|f| env_var_name(descriptor.id(), &f.name))
        .filter(|v| std::env::var_os(v).is_some())
        .collect();
    if !unused.is_empty() {
        crate::diagnostics::warning(&format!(
            "{} {} ignored: --connection uses the saved settings only (change them with `{} connections edit`)",
            unused.join(", "),
            if unused.len() == 1 { "is" } else { "are" },
            crate::program::name()
        ));
    }
}

/// Where a provider sends its requests instead of its production hosts: for each endpoint it
/// declares, `<PROVIDER>_<NAME>_ENDPOINT_OVERRIDE` when set (a mock or test server), and
/// `<PROVIDER>_ENDPOINT_OVERRIDE` for its `api` endpoint.
pub fn endpoint_context(descriptor: &ProviderDescriptor) -> Result<Context, Error> {
    let mut context = Context::default();
    for (name, variable) in endpoint_variables(descriptor) {
        let Ok(text) = std::env::var(&variable) else {
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let url =
            connector_core::settings::BaseUrl::<connector_core::settings::AnyPath>::parse(&text)
                .map_err(|m| {
                    Error::invalid_settings(
                        descriptor.id(),
                        vec![FieldError::new(variable.clone(), m)],
                    )
                })?;
        context = context.with(&name, url.into_url());
    }
    Ok(context)
}

/// Settings resolved for one command.
#[derive(Debug)]
pub struct Resolved {
    /// The raw settings.
    pub raw: Value,
    /// The sandbox serving them, if any (keep it alive while they are used).
    pub sandbox: Option<SandboxHandle>,
    /// Where a fixed-host provider sends its requests instead of its own host: the sandbox,
    /// or `<PROVIDER>_ENDPOINT_OVERRIDE` (a mock or test server).
    pub context: Context,
}

/// The variable that points endpoint `name` of a provider elsewhere
/// (`ACMEHR_TOKEN_ENDPOINT_OVERRIDE`); the `api` endpoint's is `ACMEHR_ENDPOINT_OVERRIDE`.
pub fn endpoint_variable(descriptor: &ProviderDescriptor, name: &str) -> String {
    if name == connector_core::provider::API {
        env_var_name(descriptor.id(), "endpoint_override")
    } else {
        env_var_name(descriptor.id(), &format!("{name}_endpoint_override"))
    }
}

/// Every endpoint override variable of a provider, by endpoint name: the `api` one always
/// (a provider that declares no endpoints is still pointed at a mock by it), then one per
/// declared endpoint.
pub fn endpoint_variables(descriptor: &ProviderDescriptor) -> Vec<(String, String)> {
    let api = connector_core::provider::API;
    let mut names = vec![api.to_owned()];
    names.extend(
        descriptor
            .endpoints()
            .iter()
            .map(|e| e.name.to_owned())
            .filter(|n| n != api),
    );
    names
        .into_iter()
        .map(|name| {
            let variable = endpoint_variable(descriptor, &name);
            (name, variable)
        })
        .collect()
}

/// The raw settings, the sandbox serving them and the context to connect with.
pub async fn resolve(
    descriptor: &ProviderDescriptor,
    schema: &SettingsSchema,
    source: Source,
) -> Result<Resolved, Error> {
    match source {
        Source::Config(path) => {
            let raw = load(descriptor, schema, path.as_deref())?;
            explain_problems(descriptor, schema, &raw, path.is_some())?;
            Ok(Resolved {
                raw,
                sandbox: None,
                context: endpoint_context(descriptor)?,
            })
        }
        Source::Saved(saved) => Ok(Resolved {
            raw: saved.settings_for_connect(),
            sandbox: None,
            context: saved.info.context(&endpoint_context(descriptor)?),
        }),
        Source::Sandbox(options) => {
            let start = descriptor.sandbox().ok_or_else(|| {
                Error::new(
                    descriptor.id(),
                    ErrorKind::Unsupported,
                    "this provider has no sandbox",
                )
            })?;
            let sandbox = start(options).await?;
            crate::diagnostics::info(&format!(
                "{} sandbox with a generated workforce at {}",
                descriptor.name(),
                sandbox.base_url
            ));
            Ok(Resolved {
                raw: sandbox.settings.clone(),
                context: sandbox.context(),
                sandbox: Some(sandbox),
            })
        }
    }
}

/// Reads the config file (if any) and overlays the environment.
pub fn load(
    descriptor: &ProviderDescriptor,
    schema: &SettingsSchema,
    config: Option<&Path>,
) -> Result<Value, Error> {
    let mut raw = match config {
        Some(path) => {
            let raw = read_file(descriptor.id(), path)?;
            warn_if_exposed(path, schema, &raw);
            raw
        }
        None => Value::Object(Map::new()),
    };
    if let Value::Object(map) = &mut raw {
        crate::env::overlay(schema, descriptor.id(), map, |var| std::env::var(var).ok());
    }
    warn_unknown_variables(descriptor, schema);
    Ok(raw)
}

/// For commands that run with the settings as given (not `connections add`, which asks for
/// what is missing): when they do not validate and the usual report would leave the user
/// guessing:
/// with nothing given at all, the hint names every way to give settings (a file, variables,
/// a saved connection, the sandbox); a bad value from a `<PROVIDER>_<FIELD>` variable names
/// the variable. Otherwise `Ok`: the connector reports the problems itself.
fn explain_problems(
    descriptor: &ProviderDescriptor,
    schema: &SettingsSchema,
    raw: &Value,
    config_given: bool,
) -> Result<(), Error> {
    let Err(problems) = schema.validate(raw.clone()) else {
        return Ok(());
    };
    let from_env: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name.clone())
        .filter(|name| std::env::var_os(env_var_name(descriptor.id(), name)).is_some())
        .collect();
    let from_env = from_env.as_slice();
    let nothing_given = !config_given && from_env.is_empty();
    if !nothing_given && !problems.iter().any(|p| from_env.contains(&p.field)) {
        return Ok(());
    }
    // Every problem, the provider's own checks included, as connecting would report them.
    let all = match descriptor.connect(raw.clone()) {
        Err(e) if !e.field_errors().is_empty() => e.field_errors().to_vec(),
        _ => problems,
    };
    let fields = all
        .into_iter()
        .map(|mut f| {
            if from_env.contains(&f.field) {
                f.message = format!(
                    "{} (from {})",
                    f.message,
                    env_var_name(descriptor.id(), &f.field)
                );
            }
            f
        })
        .collect();
    let error = Error::invalid_settings(descriptor.id(), fields);
    if !nothing_given {
        return Err(error);
    }
    let program = crate::program::name();
    let id = descriptor.id();
    let sandbox = if descriptor.sandbox().is_some() {
        ", or try the built-in sandbox with --sandbox"
    } else {
        ""
    };
    Err(error.with_hint(format!(
        "no settings were given: pass --config FILE (`{program} {id} schema` describes it), set {}_<FIELD> variables, use a saved connection with --connection NAME (`{program} connections list`){sandbox}",
        id.to_ascii_uppercase()
    )))
}

/// The settings file alone (no environment), as read for `config`.
pub fn read_only_file(descriptor: &ProviderDescriptor, path: &Path) -> Result<Value, Error> {
    read_file(descriptor.id(), path)
}

/// `<PROVIDER>_*` variables that set nothing (a typo silently ignored would let a stale or
/// default value win), each with the closest real one.
pub fn unknown_variables(
    descriptor: &ProviderDescriptor,
    schema: &SettingsSchema,
    names: impl Iterator<Item = String>,
) -> Vec<String> {
    let prefix = format!("{}_", descriptor.id().to_ascii_uppercase());
    let mut known: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| env_var_name(descriptor.id(), &f.name))
        .collect();
    known.extend(endpoint_variables(descriptor).into_iter().map(|(_, v)| v));
    let mut found: Vec<String> = names
        .filter(|n| n.starts_with(&prefix) && !known.contains(n))
        .map(|name| {
            let suggestion =
                connector_core::settings::closest(&name, known.iter().map(String::as_str))
                    .map(|k| format!("; did you mean {k}?"))
                    .unwrap_or_else(|| format!("; the variables are {}", known.join(", ")));
            format!(
                "{name} is not a {} setting and is ignored{suggestion}",
                descriptor.name()
            )
        })
        .collect();
    found.sort();
    found
}

/// Warns about `<PROVIDER>_*` variables that set nothing.
fn warn_unknown_variables(descriptor: &ProviderDescriptor, schema: &SettingsSchema) {
    for warning in unknown_variables(descriptor, schema, std::env::vars().map(|(k, _)| k)) {
        crate::diagnostics::warning(&warning);
    }
}

/// Like ssh with a private key: a config file that holds secrets must not be readable by
/// group or others. Warns (naming the fields, never their values) with the fix.
fn warn_if_exposed(path: &Path, schema: &SettingsSchema, raw: &Value) {
    if let Some(message) = exposure(path, schema, raw) {
        crate::diagnostics::warning(&message);
    }
}

/// The warning for `path`, if it holds secrets and others can read it.
pub fn exposure(path: &Path, schema: &SettingsSchema, raw: &Value) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        if mode & 0o077 == 0 {
            return None;
        }
        let paths: Vec<String> = schema
            .secret_values(raw)
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        let secrets: Vec<&str> = paths.iter().map(String::as_str).collect();
        if secrets.is_empty() {
            return None;
        }
        Some(format!(
            "{} holds secrets ({}) and is readable by other users (mode {mode:03o}); restrict it with: chmod 600 {}",
            path.display(),
            secrets.join(", "),
            path.display()
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, schema, raw);
        None
    }
}

/// The largest settings file read (a settings file is a few hundred bytes).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

fn read_file(provider: &'static str, path: &Path) -> Result<Value, Error> {
    let shown = path.display();
    let field = "--config";
    let refuse =
        |message: String| Error::invalid_settings(provider, vec![FieldError::new(field, message)]);
    // A FIFO or a device would block or never end: only regular files are opened and read.
    let bytes = connector_core::files::read_regular(path, MAX_CONFIG_BYTES).map_err(|e| {
        refuse(match e.kind() {
            std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => e.to_string(),
            _ => format!("cannot read {shown}: {e}"),
        })
    })?;
    let mut value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        // serde_json's syntax errors give a position, never the content.
        Error::invalid_settings(
            provider,
            vec![FieldError::new(
                field,
                format!("{shown} is not valid JSON ({e})"),
            )],
        )
    })?;
    strip_schema_reference(provider, &mut value)?;
    Ok(value)
}

/// Removes a top-level `"$schema"` key: it points editors at the output of
/// `connector <provider> schema` for completion and checking, and is no setting.
fn strip_schema_reference(provider: &'static str, value: &mut Value) -> Result<(), Error> {
    let Value::Object(map) = value else {
        return Ok(());
    };
    match map.remove("$schema") {
        None | Some(Value::String(_)) => Ok(()),
        Some(_) => Err(Error::invalid_settings(
            provider,
            vec![FieldError::new(
                "$schema",
                "must be a string: the path or URL of the settings' JSON Schema (for editors; the connector ignores it)",
            )],
        )),
    }
}

/// Refuses settings given as command-line flags (`--password ...`): they would end up in shell
/// history and process lists. Returns the message naming the config key and variable to use.
pub fn refuse_settings_flags(
    providers: &[&'static ProviderDescriptor],
    args: &[OsString],
) -> Option<String> {
    let provider = providers
        .iter()
        .find(|d| args.iter().skip(1).any(|a| a.to_str() == Some(d.id())))?;
    let schema = provider.settings_schema();
    for arg in args {
        let Some(text) = arg.to_str() else { continue };
        let Some(flag) = text.strip_prefix("--") else {
            continue;
        };
        let name = flag.split('=').next().unwrap_or_default().replace('-', "_");
        if let Some(field) = schema.field(&name) {
            return Some(format!(
                "settings are not accepted as command-line flags (`--{}`): they would land in shell history and process lists. Put `{}` in the --config file or set {}",
                flag.split('=').next().unwrap_or_default(),
                field.name,
                env_var_name(provider.id(), &field.name)
            ));
        }
    }
    None
}

/// `--sandbox [--sandbox-users N]` or `--config FILE`.
fn sandbox_source(m: &clap::ArgMatches) -> Source {
    if m.try_get_one::<bool>("sandbox").ok().flatten() == Some(&true) {
        let mut options = connector_core::sandbox::SandboxOptions::default();
        if let Some(n) = m.get_one::<u64>("sandbox-users") {
            options.employees = *n;
        }
        Source::Sandbox(options)
    } else {
        Source::Config(m.get_one::<std::path::PathBuf>("config").cloned())
    }
}
