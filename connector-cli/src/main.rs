//! The `connector` binary.

fn main() -> std::process::ExitCode {
    connector_cli::run()
}
