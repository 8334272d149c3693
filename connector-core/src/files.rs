//! Reading the small files a connector is handed (settings, catalogs, states, keys) without
//! hanging or filling memory: only regular files are opened, and never more than a cap is
//! read. A FIFO would block the reader forever and `/dev/zero` would never end.

use std::io::{self, Read};
use std::path::Path;

/// What a path is, in words for an error message ("a FIFO", "a directory").
pub fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    if t.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Checks that `path` (symbolic links followed) is a regular file no larger than `cap`
/// bytes; the error says what it is instead. `NotFound` passes through unchanged.
pub fn check_regular(path: &Path, cap: u64) -> io::Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    if meta.len() > cap {
        return Err(too_large(path, cap));
    }
    Ok(meta)
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is {}, not a regular file",
            path.display(),
            kind_of(meta)
        ),
    )
}

fn too_large(path: &Path, cap: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{} is larger than {}; it is not the small file expected here",
            path.display(),
            human_bytes(cap)
        ),
    )
}

/// Reads the regular file at `path`, at most `cap` bytes: a FIFO, device, socket or
/// directory is refused before it is opened (and again after, in case it was swapped), and a
/// file that grows past the cap while being read is refused too.
pub fn read_regular(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    check_regular(path, cap)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO for reading blocks until a writer comes; non-blocking never does.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len().min(cap)).unwrap_or(0));
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(path, cap));
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path, cap: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, cap)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not UTF-8 text", path.display()),
        )
    })
}

/// `bytes` in words: `1 MiB`, `64 KiB`, `300 bytes`.
fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_under_the_cap_and_anything_else_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.json");
        std::fs::write(&file, "{}").unwrap();
        assert_eq!(read_regular(&file, 10).unwrap(), b"{}");
        let big = read_regular(&file, 1).unwrap_err();
        assert!(big.to_string().contains("larger than 1 bytes"), "{big}");
        let folder = read_regular(dir.path(), 10).unwrap_err();
        assert!(folder.to_string().contains("a directory"), "{folder}");
        let zero = read_regular(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(zero.to_string().contains("a device"), "{zero}");
        let missing = read_regular(&dir.path().join("nope"), 10).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_at_once_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let started = std::time::Instant::now();
        let e = read_regular(&fifo, 10).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
