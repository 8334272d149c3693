//! What every command shares at run time: the async runtime, signals, writing to stdout
//! (a closed pipe is not an error), and reporting errors with their hints.

use std::io::Write;

use connector_core::{Error, ErrorKind};

use crate::exit;
use crate::sanitize::terminal;

/// Prints an error (every field problem on its own line) and its hint to stderr; returns the
/// exit status for its kind.
pub(crate) fn report_error(error: &Error) -> u8 {
    match error.kind() {
        ErrorKind::InvalidSettings(fields) if !fields.is_empty() => {
            eprintln!("error: {}: invalid settings:", error.provider());
            for f in fields {
                eprintln!("  {}: {}", terminal(&f.field), terminal(&f.message));
            }
        }
        // Messages may carry server data (an OAuth error description, a record's ids).
        _ => eprintln!("error: {}", terminal(&error.full_message())),
    }
    if let Some(hint) = error.hint() {
        eprintln!("hint: {}", terminal(&in_cli_words(hint, error.provider())));
    }
    exit::code_for(error.kind())
}

/// `hint` as the command line says it: core's invalid-settings hint names where this
/// program's settings come from and how to see every field; any other hint is unchanged.
pub(crate) fn in_cli_words(hint: &str, provider: &str) -> String {
    if hint != connector_core::error::INVALID_SETTINGS_HINT {
        return hint.to_owned();
    }
    format!(
        "fix the listed fields in the config file or the {}_<FIELD> environment variables; `{} {provider} schema` describes every field",
        provider.to_uppercase(),
        crate::program::name()
    )
}

/// Reports an error caused by command-line flags: problems with the fields that `flags`
/// name (`("page_size", "--page-size")`) are shown as flag errors, without the settings-file
/// hint; any other error is reported as usual.
pub(crate) fn report_flag_error(error: &Error, flags: &[(&str, &str)]) -> u8 {
    let fields = error.field_errors();
    let flag_of = |field: &str| {
        flags
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, flag)| *flag)
    };
    if fields.is_empty() || !fields.iter().all(|f| flag_of(&f.field).is_some()) {
        return report_error(error);
    }
    for f in fields {
        eprintln!(
            "error: {}: {}",
            flag_of(&f.field).unwrap_or_default(),
            terminal(&f.message)
        );
    }
    exit::USAGE
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM or SIGHUP (a closed terminal or SSH session).
///
/// The handlers are installed when this is called, not when the future is first polled: a
/// signal that arrives while the command starts its work (before its loop polls this) is
/// still handled, instead of killing the process with its temporary files in place. Call it
/// inside the runtime, before the work starts.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let streams: Vec<_> = [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ]
        .into_iter()
        .filter_map(|kind| signal(kind).ok())
        .collect();
        async move {
            if streams.is_empty() {
                return std::future::pending::<()>().await;
            }
            let waits = streams.into_iter().map(|mut s| {
                Box::pin(async move {
                    s.recv().await;
                })
            });
            futures_util::future::select_all(waits).await;
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Runs a command's async body on a new runtime; its result is the exit status.
pub(crate) fn block_on(body: impl std::future::Future<Output = u8>) -> u8 {
    block_on_value(body).unwrap_or(exit::OTHER)
}

/// Runs `body` on a new multi-threaded runtime (`None`, reported, if it cannot start).
pub(crate) fn block_on_value<T>(body: impl std::future::Future<Output = T>) -> Option<T> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt.block_on(body)),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            None
        }
    }
}

/// Pretty JSON on stdout.
pub(crate) fn print_json(value: &serde_json::Value) -> u8 {
    match serde_json::to_string_pretty(value) {
        Ok(text) => print_out(&format!("{text}\n")),
        Err(e) => {
            eprintln!("error: cannot render JSON: {e}");
            exit::OTHER
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
pub(crate) fn print_out(text: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => {
            eprintln!("error: cannot write output: {e}");
            exit::OTHER
        }
    }
}
