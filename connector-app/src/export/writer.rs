//! Users in one shape: JSONL, one JSON array, or CSV with a header (cells a spreadsheet would
//! run as formulas neutralised, control characters removed), into any [`Write`]: a file, stdout,
//! an HTTP download.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use connector_core::User;

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

/// Characters that start a formula in Excel, LibreOffice or Google Sheets (OWASP's list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Control characters (C0 but tab and newline, DEL, C1) and the bidirectional overrides that
/// reorder what a reader sees.
pub fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// A CSV cell: unsafe characters removed; with `neutralise`, a value that a spreadsheet would
/// run as a formula gets a leading `'` (shown as text, never evaluated).
pub fn csv_cell(value: &str, neutralise: bool) -> Cow<'_, str> {
    let cleaned: Cow<'_, str> = if value.chars().any(unsafe_char) {
        Cow::Owned(value.chars().filter(|c| !unsafe_char(*c)).collect())
    } else {
        Cow::Borrowed(value)
    };
    if neutralise && cleaned.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cleaned}"))
    } else {
        cleaned
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
}
