//! `connections list [--json]`: name, provider, status, last tested.

use clap::{ArgMatches, Command};
use connector_store::{ConnectionInfo, ConnectionStatus};

use super::{open_store, report};
use crate::runtime::{block_on, print_json, print_out};
use crate::sanitize::terminal;
use crate::{args, exit};

/// The command.
pub fn cli() -> Command {
    Command::new("list")
        .about("List saved connections: name, provider, status, last tested")
        .arg(args::json(
            "Print the list as JSON (no secret is ever included)",
        ))
}

/// Runs it.
pub fn exec(m: &ArgMatches) -> u8 {
    let store = match open_store() {
        Ok(s) => s,
        Err(code) => return code,
    };
    block_on(async {
        let all = match store.list().await {
            Ok(all) => all,
            Err(e) => return report(&e),
        };
        if m.get_flag("json") {
            return print_json(&serde_json::to_value(&all).unwrap_or_default());
        }
        if all.is_empty() {
            eprintln!(
                "No saved connections. Save one with `{} connections add NAME --provider ID`.",
                crate::program::name()
            );
            return exit::OK;
        }
        print_out(&table(&all, crate::render::colour_stdout()))
    })
}

/// The status mark and word: ✓ connected, ✗ failed, – untested.
pub(super) fn status(status: ConnectionStatus, colour: bool) -> String {
    let (mark, word, code) = match status {
        ConnectionStatus::Connected => ("\u{2713}", "connected", "32"),
        ConnectionStatus::Failed => ("\u{2717}", "failed", "31"),
        ConnectionStatus::Untested => ("\u{2013}", "untested", "2"),
    };
    if colour {
        format!("\x1b[{code}m{mark}\x1b[0m {word}")
    } else {
        format!("{mark} {word}")
    }
}

fn table(all: &[ConnectionInfo], colour: bool) -> String {
    let names: Vec<String> = all.iter().map(|c| terminal(&c.name).into_owned()).collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let pwidth = all
        .iter()
        .map(|c| c.provider.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut out = format!(
        "{:<width$}  {:<pwidth$}  {:<11}  LAST TESTED\n",
        "NAME", "PROVIDER", "STATUS"
    );
    for (c, name) in all.iter().zip(&names) {
        let tested = c.last_test.as_ref().map_or_else(
            || "never".to_owned(),
            |t| t.at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        );
        // The mark is one column wide, whatever colour codes surround it.
        let shown = status(c.status, colour);
        let pad = 11usize.saturating_sub(status(c.status, false).chars().count());
        out.push_str(&format!(
            "{name}{}  {:<pwidth$}  {shown}{}  {tested}\n",
            " ".repeat(width - name.chars().count()),
            c.provider,
            " ".repeat(pad)
        ));
    }
    out
}
