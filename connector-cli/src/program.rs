//! The name of the running command-line program, for hints that tell the user what to run
//! (`connector ukgpro schema`, or `acme-connector acmehr schema` in a third party's binary).

use std::sync::OnceLock;

static NAME: OnceLock<&'static str> = OnceLock::new();

/// The program name set by [`set_name`], or `connector`.
pub fn name() -> &'static str {
    NAME.get().copied().unwrap_or("connector")
}

/// Sets the program name once (the CLI does, from how it was started); later calls are
/// ignored.
pub fn set_name(name: &str) {
    let _ = NAME.set(Box::leak(name.to_owned().into_boxed_str()));
}
