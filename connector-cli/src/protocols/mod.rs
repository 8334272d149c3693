//! The orchestrator protocols every provider speaks from the same binary: the Airbyte protocol
//! (`source-<provider> spec|check|discover|read`) and Singer (`tap-<provider> --config …`).
//! The binary dispatches on the name it was started under; `connector install-entrypoints DIR`
//! makes those names.

pub mod airbyte;
pub mod singer;
pub mod stream;

use std::ffi::OsString;

use connector_core::{registry, ProviderDescriptor};

/// The protocol a program name asks for, and its provider: `source-ukgpro` → Airbyte for
/// UKG Pro, `tap-ukgpro` → Singer.
pub fn entry_point(program: &str) -> Option<(Protocol, &'static ProviderDescriptor)> {
    let (protocol, id) = if let Some(id) = program.strip_prefix("source-") {
        (Protocol::Airbyte, id)
    } else if let Some(id) = program.strip_prefix("tap-") {
        (Protocol::Singer, id)
    } else {
        return None;
    };
    registry::provider(id).ok().map(|d| (protocol, d))
}

/// An orchestrator protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Airbyte (`source-<provider>`).
    Airbyte,
    /// Singer (`tap-<provider>`).
    Singer,
}

impl Protocol {
    /// The program name it is started under.
    pub fn program(self, provider: &str) -> String {
        match self {
            Protocol::Airbyte => format!("source-{provider}"),
            Protocol::Singer => format!("tap-{provider}"),
        }
    }
}

/// Runs the protocol on `args` (without the program name); the exit status.
pub fn run(protocol: Protocol, descriptor: &'static ProviderDescriptor, args: &[OsString]) -> u8 {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    match protocol {
        Protocol::Airbyte => airbyte::run(descriptor, &args),
        Protocol::Singer => singer::run(descriptor, &args),
    }
}

/// Milliseconds since the epoch, for message time stamps.
pub(crate) fn now_ms() -> i64 {
    connector_core::reexports::jiff::Timestamp::now().as_millisecond()
}
