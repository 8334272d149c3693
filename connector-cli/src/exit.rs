//! Exit codes: one per failure kind, documented in `--help` and the README.

use std::process::ExitCode;

use connector_core::ErrorKind;

/// Everything worked.
pub const OK: u8 = 0;
/// A failure not covered below (server error, unreadable answer, ...).
pub const OTHER: u8 = 1;
/// Bad command line or invalid settings.
pub const USAGE: u8 = 2;
/// The provider rejected the credentials.
pub const AUTHENTICATION: u8 = 3;
/// The credentials lack a permission.
pub const PERMISSION: u8 = 4;
/// The host could not be reached (DNS, connect, TLS, timeout).
pub const NETWORK: u8 = 5;
/// The provider throttled the requests.
pub const RATE_LIMITED: u8 = 6;
/// The connection store or its master key failed (wrong or missing key, altered secret,
/// unreadable database).
pub const STORE: u8 = 7;
/// A sync stopped by the mass-change guard (too many users would leave or lose values, or the
/// listing is mostly partial).
pub const MASS_CHANGE: u8 = 8;

/// The exit-code table, for `--help`.
pub const TABLE: &str = "\
Exit status:
  0  success
  1  other failure (server error, unreadable answer)
  2  usage error or invalid settings
  3  authentication failed (credentials rejected)
  4  permission missing
  5  network failure (DNS, connect, TLS, timeout)
  6  rate limited
  7  connection store or master key problem (key, altered secret or settings)
  8  sync stopped by the mass-change guard: too many users would leave or lose values
  130 interrupted (Ctrl-C, SIGTERM, SIGHUP)";

/// The exit code for an error kind.
pub fn code_for(kind: &ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidSettings(_) => USAGE,
        ErrorKind::Authentication => AUTHENTICATION,
        ErrorKind::Permission { .. } => PERMISSION,
        ErrorKind::Network(_) => NETWORK,
        ErrorKind::RateLimited { .. } => RATE_LIMITED,
        _ => OTHER,
    }
}

/// As a process exit code.
pub fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}
