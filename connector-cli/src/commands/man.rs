//! `connector man [--dir DIR]`: the manual page(s), generated from the CLI definition.

use std::path::PathBuf;

use clap::{value_parser, Arg, ArgMatches, Command};

use crate::exit;

/// The command.
pub fn cli() -> Command {
    Command::new("man")
        .about("Print the manual page (roff), or write one page per command with --dir")
        .long_about("Print the manual page of this binary on stdout in roff (view it with `connector man | man -l -`), or with --dir DIR write one page per command into DIR, created if missing (connector.1, connector-ukgpro.1, connector-ukgpro-users.1, ...) for a man path.")
        .arg(
            Arg::new("dir")
                .long("dir")
                .value_name("DIR")
                .value_parser(value_parser!(PathBuf))
                .help("Write every command's page into this existing folder instead"),
        )
}

/// Prints or writes the pages of the CLI `root`.
pub fn exec(root: Command, m: &ArgMatches) -> u8 {
    if let Some(dir) = m.get_one::<PathBuf>("dir") {
        // The folder and its parents are created, as `mkdir -p` would.
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!(
                "error: --dir {}: cannot create this folder ({e}); give a folder you can write to",
                dir.display()
            );
            return exit::USAGE;
        }
        return match clap_mangen::generate_to(root, dir) {
            Ok(()) => exit::OK,
            Err(e) => {
                eprintln!("error: --dir {}: {e}", dir.display());
                exit::OTHER
            }
        };
    }
    let mut page = Vec::new();
    if let Err(e) = clap_mangen::Man::new(root).render(&mut page) {
        eprintln!("error: rendering the manual page: {e}");
        return exit::OTHER;
    }
    crate::runtime::print_out(&String::from_utf8_lossy(&page))
}
