//! The `connector` binary: the SDK's CLI with the built-in providers linked in.

fn main() -> std::process::ExitCode {
    // Referencing each built-in provider keeps the linker from dropping its registration.
    std::hint::black_box(connector_ukgpro::descriptor());
    std::hint::black_box(connector_scim::descriptor());
    std::hint::black_box(connector_entra::descriptor());
    std::hint::black_box(connector_google::descriptor());
    connector_cli::run()
}
