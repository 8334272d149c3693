//! End-to-end tests of the real binaries (`connector`, and the example provider's own) against
//! loopback mock servers and embedded sandboxes, one file per area.

mod harness;

mod basics;
mod connections;
mod docs;
mod example;
mod export;
#[cfg(unix)]
mod files;
mod identity;
#[cfg(target_os = "linux")]
mod memory;
mod orchestrators;
mod sandbox;
mod scim;
mod secrets;
mod serve;
mod sync;
#[cfg(unix)]
mod terminal;
mod test_command;
