//! `serve`: the connection console on this machine (the `connector-console` library), over the
//! same connection store as the other commands.

use std::net::SocketAddr;

use clap::{value_parser, Arg, ArgMatches, Command};

use crate::exit;
use crate::runtime::{block_on, print_out, shutdown_signal};

/// `serve`.
pub fn cli() -> Command {
    Command::new("serve")
        .about("Run the connection console (a local HTTP API over the saved connections) until Ctrl-C")
        .long_about("Run the connection console until Ctrl-C: a local HTTP API over the saved connections (the same store as `connections`): providers and their settings forms, create, edit without retyping secrets, rename, delete, Test connection with live steps, the users as a table or a CSV/JSONL download, and a sync's lifecycle events (a preview unless committed). OpenAPI 3.1 at /api/openapi.json. It listens on 127.0.0.1 and prints its URL on stdout; the URL carries a random session token (the password of this session: do not share it). Every API call needs the token (as `Authorization: Bearer <token>`, or the cookie that opening the URL sets); writes from another origin are refused.")
        .arg(
            Arg::new("listen")
                .long("listen")
                .value_name("ADDRESS")
                .default_value("127.0.0.1:0")
                .value_parser(value_parser!(SocketAddr))
                .help("Address and port to listen on (port 0: any free port). Another address than 127.0.0.1 lets other machines reach the console: it warns"),
        )
        .arg(
            Arg::new("sandbox")
                .long("sandbox")
                .action(clap::ArgAction::SetTrue)
                .help("Also start every provider's built-in sandbox and offer its settings to the forms, to try the whole flow without a tenant"),
        )
}

/// Runs `serve`.
pub fn exec(m: &ArgMatches) -> u8 {
    let Some(listen) = m.get_one::<SocketAddr>("listen").copied() else {
        return exit::USAGE;
    };
    let store = match crate::store::open_store() {
        Ok(store) => store,
        Err(code) => return code,
    };
    block_on(async {
        if !listen.ip().is_loopback() {
            eprintln!(
                "warning: listening on {listen}: anyone who can reach it and has the URL can use the saved connections; prefer 127.0.0.1 with an SSH tunnel"
            );
        }
        // Kept running while the console serves.
        let mut sandboxes = Vec::new();
        let mut options = connector_console::Options::default();
        for d in connector_core::registry::providers() {
            // The override variables, as for every command.
            let mut context = match crate::config::endpoint_context(d) {
                Ok(context) => context,
                Err(e) => return crate::runtime::report_error(&e),
            };
            if m.get_flag("sandbox") {
                if let Some(start) = d.sandbox() {
                    let sandbox =
                        match start(connector_core::sandbox::SandboxOptions::default()).await {
                            Ok(sandbox) => sandbox,
                            Err(e) => return crate::runtime::report_error(&e),
                        };
                    eprintln!("{} sandbox at {}", d.name(), sandbox.base_url);
                    options
                        .sandboxes
                        .insert(d.id().to_owned(), sandbox.settings.clone());
                    // A provider on fixed hosts reaches its sandbox through its endpoints.
                    if !d.endpoints().is_empty() && context.is_empty() {
                        context = sandbox.context();
                    }
                    sandboxes.push(sandbox);
                }
            }
            if !context.is_empty() {
                options.contexts.insert(d.id().to_owned(), context);
            }
        }
        let started = connector_console::start_with(store, listen, options).await;
        let console = match started {
            Ok(console) => console,
            Err(e) => {
                eprintln!(
                    "error: cannot listen on {listen}: {e}\nhint: pick another port with --listen 127.0.0.1:PORT (0: any free port)"
                );
                return exit::USAGE;
            }
        };
        let printed = print_out(&format!("{}\n", console.url()));
        if printed != exit::OK {
            return printed;
        }
        eprintln!(
            "connection console at http://{} (open the URL above: it carries this session's token)\n  press Ctrl-C to stop",
            console.address()
        );
        shutdown_signal().await;
        eprintln!("console stopped");
        exit::OK
    })
}
