//! Where exported users go and in what shape: JSONL, one JSON array, or CSV with a header, to
//! stdout or to a file that appears only when the export completed.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

pub use connector_app::export::writer::{parse_fields, Format, UserWriter, WriterOptions};

/// The destination: stdout, or a temporary file next to the target that is renamed into place
/// by [`Sink::commit`] and deleted if dropped before (a failed export leaves no partial file and
/// never replaces a good one).
pub enum Sink {
    /// Standard output.
    Stdout(io::Stdout),
    /// A file being written.
    File {
        /// The temporary file, in the target's folder.
        temp: NamedTempFile,
        /// Where it goes when complete.
        target: PathBuf,
    },
}

/// Checks, before any request is sent, that `target` can receive the export: see
/// [`resolve_target`].
pub fn check_target(target: &Path) -> io::Result<()> {
    resolve_target(target).map(drop)
}

/// The file that writing `target` replaces: `target` itself when it is a regular file or a
/// missing name in an existing folder; the file a symbolic link points to when that is a
/// regular file (written through: the link is kept, its target replaced atomically).
/// Directories, devices, FIFOs, sockets and links to any of those (`/dev/stdout`,
/// `/proc/self/fd/1` on a pipe or a terminal) or to nothing are refused: they are never
/// replaced by a file of personal data.
pub fn resolve_target(target: &Path) -> io::Result<PathBuf> {
    let refuse = |what: String| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is {what}; give the path of a regular file to create or replace",
                target.display()
            ),
        ))
    };
    match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let points_to = std::fs::read_link(target).unwrap_or_default();
            match std::fs::canonicalize(target)
                .and_then(|real| Ok((std::fs::metadata(&real)?, real)))
            {
                Ok((meta, real)) if meta.is_file() => Ok(real),
                Ok((meta, real)) => refuse(format!(
                    "a symbolic link to {} ({}), not to a regular file",
                    real.display(),
                    connector_core::files::kind_of(&meta)
                )),
                Err(_) => refuse(format!(
                    "a symbolic link to {}, which is not a file that exists",
                    points_to.display()
                )),
            }
        }
        Ok(meta) if meta.is_file() => Ok(target.to_path_buf()),
        Ok(meta) => refuse(format!(
            "{}, not a regular file",
            connector_core::files::kind_of(&meta)
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let dir = folder_of(target);
            match std::fs::metadata(&dir) {
                Ok(meta) if meta.is_dir() => Ok(target.to_path_buf()),
                _ => Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("the folder {} does not exist", dir.display()),
                )),
            }
        }
        Err(e) => Err(e),
    }
}

/// Whether writing `a` and writing `b` would write the same file (the same path, a link to
/// it, or another name of the same file): two outputs of one run must never overwrite each
/// other.
pub fn same_destination(a: &Path, b: &Path) -> bool {
    let (Ok(a), Ok(b)) = (resolve_target(a), resolve_target(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(ma), Ok(mb)) = (std::fs::metadata(&a), std::fs::metadata(&b)) {
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
    }
    let canonical = |p: &Path| {
        std::fs::canonicalize(folder_of(p))
            .ok()
            .map(|d| d.join(p.file_name().unwrap_or_default()))
    };
    canonical(&a).is_some_and(|ca| Some(ca) == canonical(&b))
}

/// Checks, before any request, the two outputs a run may write (each a flag and its path,
/// if given): each must be able to take a file ([`resolve_target`]), and they must not be
/// one file; `clash` says what would be lost then (`the users would overwrite the events`).
/// The error names the flag.
pub fn check_outputs(
    first: (&str, Option<&Path>),
    second: (&str, Option<&Path>),
    clash: &str,
) -> Result<(), String> {
    for (flag, path) in [first, second] {
        if let Some(path) = path {
            check_target(path).map_err(|e| format!("{flag}: {e}"))?;
        }
    }
    if let ((a_flag, Some(a)), (b_flag, Some(b))) = (first, second) {
        if same_destination(a, b) {
            return Err(format!(
                "{a_flag} {} and {b_flag} {} are the same file: {clash}; give two files",
                a.display(),
                b.display()
            ));
        }
    }
    Ok(())
}

/// Writes `text` to `path` atomically: a temporary file in the same folder (owner-only on
/// Unix), synced and renamed into place, so a reader never sees half of it. `path` is
/// checked like [`resolve_target`]: a link to a file is written through, anything special
/// refused.
pub fn write_file_atomically(path: &Path, text: &str) -> io::Result<()> {
    let path = resolve_target(path)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".write.")
        .suffix(".partial")
        .tempfile_in(folder_of(&path))?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    temp.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

/// Creates the folder `target` goes in, and its parents, when missing (as `mkdir -p`).
pub fn create_folder_of(target: &Path) -> io::Result<()> {
    std::fs::create_dir_all(folder_of(target))
}

/// The folder a file goes in (`.` for a bare name).
fn folder_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Removes `.NAME.<pid>.*.partial` files left in `dir` by earlier exports whose process is
/// gone (killed, crashed): they hold personal data. Files of running exports are kept.
fn remove_stale_partials(dir: &Path, name: &str) {
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file
            .strip_prefix(&prefix)
            .filter(|_| file.ends_with(".partial"))
        else {
            continue;
        };
        let pid = rest.split('.').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !process_alive(pid)) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` still runs.
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(target_os = "linux")]
    {
        Path::new(&format!("/proc/{pid}")).exists()
    }
    #[cfg(not(target_os = "linux"))]
    {
        // Without a cheap check elsewhere, leave the file alone.
        true
    }
}

impl Sink {
    /// Standard output, or a temporary file beside `target`. The file is created readable by
    /// its owner only: it holds personal data.
    pub fn open(target: Option<&Path>) -> io::Result<Sink> {
        let Some(target) = target else {
            return Ok(Sink::Stdout(io::stdout()));
        };
        let target = &resolve_target(target)?;
        let dir = folder_of(target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".into());
        remove_stale_partials(&dir, &name);
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}.{}.", std::process::id()))
            .suffix(".partial")
            .tempfile_in(&dir)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot create a file in {}: {e}", dir.display()),
                )
            })?;
        Ok(Sink::File {
            temp,
            target: target.to_path_buf(),
        })
    }

    /// Makes the output final: flushes, syncs and renames the temporary file into place.
    pub fn commit(self) -> io::Result<()> {
        match self {
            Sink::Stdout(mut out) => {
                out.flush()?;
                sync_if_file(&out)
            }
            Sink::File { mut temp, target } => {
                temp.flush()?;
                temp.as_file().sync_all()?;
                temp.persist(&target).map_err(|e| e.error)?;
                Ok(())
            }
        }
    }
}

/// Makes what was written to stdout durable when stdout is a regular file (`> file`): a
/// commit that follows must not outlive the data on a crash. Pipes and terminals have
/// nothing to sync.
fn sync_if_file(out: &io::Stdout) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let file = std::fs::File::from(out.as_fd().try_clone_to_owned()?);
        if file.metadata().is_ok_and(|m| m.is_file()) {
            file.sync_all()?;
        }
    }
    #[cfg(not(unix))]
    let _ = out;
    Ok(())
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Stdout(out) => out.write(buf),
            Sink::File { temp, .. } => temp.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Stdout(out) => out.flush(),
            Sink::File { temp, .. } => temp.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sink_is_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("users.csv");
        std::fs::write(&target, "old").unwrap();
        {
            let mut sink = Sink::open(Some(&target)).unwrap();
            sink.write_all(b"half an export").unwrap();
            // dropped without commit: a failed export
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temporary file left behind"
        );
        let mut sink = Sink::open(Some(&target)).unwrap();
        sink.write_all(b"new").unwrap();
        sink.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
