//! `connector completions SHELL`: a shell completion script, generated from the CLI
//! definition (so every provider, command and option of this binary completes).

use std::path::PathBuf;

use clap::{value_parser, Arg, ArgMatches, Command};
use clap_complete::Shell;

use crate::exit;

/// The command.
pub fn cli() -> Command {
    Command::new("completions")
        .about("Print a shell completion script (bash, zsh, fish, elvish, powershell)")
        .long_about("Print a completion script for SHELL on stdout, generated from this binary's commands, providers and options, or write it with --output FILE (folders created as needed, the file replaced whole). Install it, for example:\n  bash: connector completions bash --output ~/.local/share/bash-completion/completions/connector\n  zsh:  connector completions zsh --output ~/.zfunc/_connector   (with fpath+=~/.zfunc before compinit)\n  fish: connector completions fish --output ~/.config/fish/completions/connector.fish")
        .arg(
            Arg::new("shell")
                .value_name("SHELL")
                .required(true)
                .ignore_case(true)
                .value_parser(value_parser!(Shell))
                .help("The shell"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("Write the script to FILE (its folders are created) instead of stdout"),
        )
}

/// Prints the script for the CLI `root`.
pub fn exec(mut root: Command, m: &ArgMatches) -> u8 {
    let Some(shell) = m.get_one::<Shell>("shell").copied() else {
        return exit::USAGE;
    };
    let name = root.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut root, name, &mut script);
    let script = String::from_utf8_lossy(&script);
    match m.get_one::<PathBuf>("output") {
        Some(path) => match crate::output::create_folder_of(path)
            .and_then(|()| crate::output::write_file_atomically(path, &script))
        {
            Ok(()) => {
                crate::diagnostics::info(&format!("wrote {}", path.display()));
                exit::OK
            }
            Err(e) => {
                eprintln!("error: --output {}: {e}", path.display());
                exit::USAGE
            }
        },
        None => crate::runtime::print_out(&script),
    }
}
