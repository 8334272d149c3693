//! Where exported users go and in what shape: JSONL, one JSON array, or CSV with a header, to
//! stdout or to a file that appears only when the export completed.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use connector_core::User;

use crate::sanitize::csv_cell;
use tempfile::NamedTempFile;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// One JSON array.
    Json,
    /// CSV with a header row.
    Csv,
}

impl Format {
    /// Parses `jsonl`, `json` or `csv` (any case; `ndjson` for JSONL).
    pub fn parse(text: &str) -> Option<Format> {
        match text.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The format a file name's extension names (`users.csv` → CSV), if any.
    pub fn of_path(path: &Path) -> Option<Format> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Format::parse)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

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

/// Writes users in one format.
pub struct UserWriter<W: Write> {
    inner: Inner<W>,
    written: u64,
    neutralise: bool,
    /// The fields written, in order (`None`: all of [`User::FIELDS`]).
    fields: Option<Vec<&'static str>>,
}

/// Choices about the shape of the output beyond its format.
#[derive(Debug, Clone, Default)]
pub struct WriterOptions {
    /// Only these fields, in this order (CSV columns, JSON keys); `None` for all.
    pub fields: Option<Vec<&'static str>>,
    /// CSV only: start with a UTF-8 byte order mark, so Excel reads accents right.
    pub bom: bool,
}

/// Parses a `--fields` list against [`User::FIELDS`] (any case, spaces ignored): each known
/// field once, in the order given; an unknown or repeated one is an error naming it.
pub fn parse_fields(list: &[String]) -> Result<Vec<&'static str>, String> {
    let mut fields: Vec<&'static str> = Vec::new();
    for name in list.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let wanted = name.to_ascii_lowercase().replace('-', "_");
        let Some(field) = User::FIELDS.iter().find(|f| **f == wanted) else {
            return Err(format!(
                "`{name}` is not a user field; the fields are: {}",
                User::FIELDS.join(", ")
            ));
        };
        if fields.contains(field) {
            return Err(format!("`{field}` is given twice"));
        }
        fields.push(field);
    }
    if fields.is_empty() {
        return Err(format!(
            "name at least one field: {}",
            User::FIELDS.join(", ")
        ));
    }
    Ok(fields)
}

enum Inner<W: Write> {
    Json { out: BufWriter<W>, array: bool },
    // Boxed: csv's writer is large and there is one writer per export.
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> UserWriter<W> {
    /// Starts the output (the CSV header, the JSON array's `[`).
    pub fn new(format: Format, out: W) -> io::Result<Self> {
        Self::with_options(format, out, WriterOptions::default())
    }

    /// Starts the output with `options` (a subset of the fields, a BOM before a CSV header).
    pub fn with_options(format: Format, mut out: W, options: WriterOptions) -> io::Result<Self> {
        if options.bom && format == Format::Csv {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let header: Vec<&str> = options
            .fields
            .clone()
            .unwrap_or_else(|| User::FIELDS.to_vec());
        let inner = match format {
            Format::Jsonl | Format::Json => {
                let mut out = BufWriter::with_capacity(256 * 1024, out);
                let array = format == Format::Json;
                if array {
                    out.write_all(b"[")?;
                }
                Inner::Json { out, array }
            }
            Format::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .has_headers(false)
                    .buffer_capacity(256 * 1024)
                    .from_writer(out);
                w.write_record(&header).map_err(csv_error)?;
                Inner::Csv(Box::new(w))
            }
        };
        Ok(UserWriter {
            inner,
            written: 0,
            neutralise: true,
            fields: options.fields,
        })
    }

    /// CSV only: write values as they are, without neutralising spreadsheet formulas (by
    /// default a value starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`).
    /// Control characters are removed either way.
    pub fn raw_csv(mut self, raw: bool) -> Self {
        self.neutralise = !raw;
        self
    }

    /// Writes one user.
    pub fn write(&mut self, user: &User) -> io::Result<()> {
        match &mut self.inner {
            Inner::Json { out, array } => {
                if *array {
                    out.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
                }
                match &self.fields {
                    None => serde_json::to_writer(&mut *out, user).map_err(io::Error::from)?,
                    Some(fields) => {
                        let mut value = serde_json::to_value(user).map_err(io::Error::other)?;
                        let mut chosen = serde_json::Map::new();
                        if let serde_json::Value::Object(all) = &mut value {
                            for field in fields {
                                let item = all.remove(*field).unwrap_or_default();
                                chosen.insert((*field).to_owned(), item);
                            }
                        }
                        serde_json::to_writer(&mut *out, &chosen).map_err(io::Error::from)?;
                    }
                }
                if !*array {
                    out.write_all(b"\n")?;
                }
            }
            Inner::Csv(w) => {
                let value = serde_json::to_value(user).map_err(io::Error::other)?;
                let fields = self.fields.as_deref().unwrap_or(&User::FIELDS);
                let cells = fields.iter().map(|field| match &value[*field] {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => csv_cell(s, self.neutralise).into_owned(),
                    other => other.to_string(),
                });
                w.write_record(cells).map_err(csv_error)?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Ends the output and returns the destination.
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            Inner::Json { mut out, array } => {
                if array {
                    out.write_all(b"\n]\n")?;
                }
                out.into_inner().map_err(|e| e.into_error())
            }
            Inner::Csv(w) => w.into_inner().map_err(|e| e.into_error()),
        }
    }
}

fn csv_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::UserStatus;

    fn users() -> Vec<User> {
        let mut a = User::new("E1");
        a.first_name = Some("Ana, \"the\" boss".into());
        a.status = UserStatus::Active;
        a.hire_date = Some(connector_core::reexports::jiff::civil::date(2020, 1, 2));
        let b = User::new("E2");
        vec![a, b]
    }

    fn render(format: Format, users: &[User]) -> String {
        let mut w = UserWriter::new(format, Vec::new()).unwrap();
        for u in users {
            w.write(u).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn json_array_and_jsonl_parse_back() {
        let json = render(Format::Json, &users());
        let back: Vec<User> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, users());
        let empty = render(Format::Json, &[]);
        assert_eq!(serde_json::from_str::<Vec<User>>(&empty).unwrap(), vec![]);
        let jsonl = render(Format::Jsonl, &users());
        let back: Vec<User> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(back, users());
        assert_eq!(render(Format::Jsonl, &[]), "");
    }

    fn render_with(format: Format, options: WriterOptions) -> String {
        let mut w = UserWriter::with_options(format, Vec::new(), options).unwrap();
        for u in users() {
            w.write(&u).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn chosen_fields_come_in_the_order_given_in_csv_and_json() {
        let fields = parse_fields(&["Email".into(), " first_name ".into(), "id".into()]).unwrap();
        assert_eq!(fields, ["email", "first_name", "id"]);
        let options = WriterOptions {
            fields: Some(fields),
            bom: false,
        };
        let csv = render_with(Format::Csv, options.clone());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "email,first_name,id");
        assert_eq!(lines[1], ",\"Ana, \"\"the\"\" boss\",E1");
        let jsonl = render_with(Format::Jsonl, options);
        let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
        let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["email", "first_name", "id"]);
        assert_eq!(first["id"], "E1");

        assert!(parse_fields(&["mail".into()])
            .unwrap_err()
            .contains("`mail`"));
        assert!(parse_fields(&["id".into(), "ID".into()])
            .unwrap_err()
            .contains("twice"));
        assert!(parse_fields(&[" ".into()]).is_err());
    }

    #[test]
    fn a_bom_starts_a_csv_only_when_asked() {
        let with = render_with(
            Format::Csv,
            WriterOptions {
                fields: None,
                bom: true,
            },
        );
        assert!(with.starts_with("\u{feff}id,"), "{with}");
        assert!(render(Format::Csv, &users()).starts_with("id,"));
        // The BOM is for spreadsheets: JSON never gets one.
        let json = render_with(
            Format::Jsonl,
            WriterOptions {
                fields: None,
                bom: true,
            },
        );
        assert!(json.starts_with('{'));
    }

    #[test]
    fn csv_has_a_header_even_when_empty_and_quotes_properly() {
        assert_eq!(render(Format::Csv, &[]).trim_end(), User::FIELDS.join(","));
        let text = render(Format::Csv, &users());
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(headers, User::FIELDS);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][4], "Ana, \"the\" boss");
        assert_eq!(&rows[0][13], "active");
        assert_eq!(&rows[0][15], "2020-01-02");
        assert_eq!(&rows[1][4], "");
    }

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
