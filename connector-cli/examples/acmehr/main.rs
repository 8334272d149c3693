//! An example third-party provider, "Acme HR", built only on the SDK's public API and linked
//! into a binary of its own that holds no other provider:
//!
//! ```sh
//! cargo run -p connector-cli --example acmehr -- list
//! cargo run -p connector-cli --example acmehr -- acmehr test --sandbox
//! cargo run -p connector-cli --example acmehr -- acmehr users --sandbox --format csv
//! ```
//!
//! Acme HR is shaped like many SaaS HR APIs and unlike UKG Pro: a fixed host, an OAuth2
//! client-credentials token that expires, `{"data": [...], "metadata": {...}}` envelopes and
//! offset/limit paging with a server-side maximum page size. The provider writes no transport
//! code: requests, token refresh, retries, paging and decoding are the SDK's.

mod provider;

fn main() -> std::process::ExitCode {
    // Reference the provider so that the linker keeps its registration.
    std::hint::black_box(provider::descriptor());
    // `--version` reports this binary's own version, then the SDK's.
    connector_cli::run_with_version("1.0.0")
}
