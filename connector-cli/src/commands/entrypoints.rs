//! `connector install-entrypoints DIR`: the names orchestrators start a connector under
//! (`source-<provider>` for Airbyte, `tap-<provider>` for Singer / Meltano), as links to this
//! binary in DIR; the binary dispatches on the name it was started under.

use std::path::{Path, PathBuf};

use clap::{value_parser, Arg, ArgMatches, Command};
use connector_core::{Capability, ProviderDescriptor};

use crate::exit;
use crate::protocols::Protocol;

/// The command.
pub fn cli() -> Command {
    Command::new("install-entrypoints")
        .about("Create source-<provider> (Airbyte) and tap-<provider> (Singer) links to this binary in DIR")
        .long_about("Create, for every provider this binary links, `source-<provider>` (the Airbyte protocol: spec, check, discover, read) and `tap-<provider>` (Singer: --config, --discover, --catalog, --state, --about) in DIR, as symbolic links to this binary (copies where links are not available). Orchestrators name those as the connector's executable: Meltano's `executable:`, PyAirbyte's `local_executable=`. Links of this binary already there are replaced; any other file of that name is left alone (the command fails naming it) unless --force.")
        .arg(
            Arg::new("dir")
                .value_name("DIR")
                .required(true)
                .value_parser(value_parser!(PathBuf))
                .help("Folder to create them in (created if missing), e.g. ~/.local/bin"),
        )
        .arg(
            Arg::new("force")
                .long("force")
                .action(clap::ArgAction::SetTrue)
                .help("Replace files of those names even when they are not links to this binary"),
        )
}

/// Runs it.
pub fn exec(providers: &[&'static ProviderDescriptor], m: &ArgMatches) -> u8 {
    let Some(dir) = m.get_one::<PathBuf>("dir") else {
        return exit::USAGE;
    };
    let exe = match std::env::current_exe().and_then(|p| p.canonicalize()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot tell where this binary is: {e}");
            return exit::OTHER;
        }
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!(
            "error: cannot create {}: {e}\nhint: pick a folder you can write to",
            dir.display()
        );
        return exit::USAGE;
    }
    let mut made = Vec::new();
    for d in providers.iter().filter(|d| d.can(Capability::UserExport)) {
        for protocol in [Protocol::Airbyte, Protocol::Singer] {
            let path = dir.join(protocol.program(d.id()));
            if let Err(e) = link(&exe, &path, m.get_flag("force")) {
                eprintln!("error: cannot create {}: {e}", path.display());
                return exit::OTHER;
            }
            made.push(path.display().to_string());
        }
    }
    crate::runtime::print_out(&format!("{}\n", made.join("\n")))
}

/// `path` → `exe`, replacing a link to this binary (or, with `force`, any file) that is there.
fn link(exe: &Path, path: &Path, force: bool) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(std::io::Error::other("a folder of that name is in the way"))
        }
        Ok(meta) => {
            let ours = meta.file_type().is_symlink()
                && std::fs::canonicalize(path).is_ok_and(|target| target == exe);
            if !ours && !force {
                return Err(std::io::Error::other(
                    "a file of that name is there and it is not a link to this binary; move it away, or run again with --force to replace it",
                ));
            }
            std::fs::remove_file(path)?
        }
        Err(_) => {}
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(exe, path)
    }
    #[cfg(not(unix))]
    {
        std::fs::copy(exe, path).map(drop)
    }
}
