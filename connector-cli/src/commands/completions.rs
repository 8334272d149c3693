//! `connector completions SHELL`: a shell completion script, generated from the CLI
//! definition (so every provider, command and option of this binary completes).

use clap::{value_parser, Arg, ArgMatches, Command};
use clap_complete::Shell;

use crate::exit;

/// The command.
pub fn cli() -> Command {
    Command::new("completions")
        .about("Print a shell completion script (bash, zsh, fish, elvish, powershell)")
        .long_about("Print a completion script for SHELL on stdout, generated from this binary's commands, providers and options. Install it, for example:\n  bash: connector completions bash > ~/.local/share/bash-completion/completions/connector\n  zsh:  connector completions zsh > ~/.zfunc/_connector   (with fpath+=~/.zfunc before compinit)\n  fish: connector completions fish > ~/.config/fish/completions/connector.fish")
        .arg(
            Arg::new("shell")
                .value_name("SHELL")
                .required(true)
                .ignore_case(true)
                .value_parser(value_parser!(Shell))
                .help("The shell"),
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
    crate::runtime::print_out(&String::from_utf8_lossy(&script))
}
