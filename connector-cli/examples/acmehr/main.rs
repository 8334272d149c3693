//! An example third-party provider built only on the SDK's public API, linked into the whole
//! `connector` CLI:
//!
//! ```sh
//! cargo run -p connector-cli --example acmehr -- list
//! cargo run -p connector-cli --example acmehr -- acmehr test --sandbox
//! cargo run -p connector-cli --example acmehr -- acmehr users --sandbox --format csv
//! ```

mod provider;

fn main() -> std::process::ExitCode {
    // Reference the provider so that the linker keeps its registration.
    std::hint::black_box(provider::descriptor());
    connector_cli::run()
}
