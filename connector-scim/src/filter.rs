//! A syntax check of SCIM filters (RFC 7644 §3.4.2.2), so that a malformed filter is refused
//! with the settings, before any request: `attrPath op value`, `attrPath pr`, `and`, `or`,
//! `not (…)`, parentheses and value paths (`emails[type eq "work"]`).

/// The comparison operators.
const OPERATORS: [&str; 9] = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"];

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Text,
    Open,
    Close,
}

fn tokens(filter: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = filter.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            '"' => {
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return Err("has a quoted value that is never closed".into());
                }
                out.push(Token::Text);
            }
            _ => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || n == '(' || n == ')' || n == '"' {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

/// Checks `filter`; the error says what is wrong (never quoting values).
pub fn check(filter: &str) -> Result<(), String> {
    let tokens = tokens(filter)?;
    if tokens.is_empty() {
        return Err("is empty; leave it out to export every user".into());
    }
    let mut i = 0;
    expression(&tokens, &mut i, 0)?;
    if i != tokens.len() {
        return Err("has something after a complete expression (a missing `and` or `or`?)".into());
    }
    Ok(())
}

fn expression(t: &[Token], i: &mut usize, depth: usize) -> Result<(), String> {
    if depth > 32 {
        return Err("nests parentheses too deeply".into());
    }
    term(t, i, depth)?;
    while let Some(Token::Word(w)) = t.get(*i) {
        if w.eq_ignore_ascii_case("and") || w.eq_ignore_ascii_case("or") {
            *i += 1;
            term(t, i, depth)?;
        } else {
            break;
        }
    }
    Ok(())
}

fn term(t: &[Token], i: &mut usize, depth: usize) -> Result<(), String> {
    match t.get(*i) {
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("not") => {
            *i += 1;
            if t.get(*i) != Some(&Token::Open) {
                return Err("has `not` without a parenthesised expression after it".into());
            }
            term(t, i, depth)
        }
        Some(Token::Open) => {
            *i += 1;
            expression(t, i, depth + 1)?;
            if t.get(*i) != Some(&Token::Close) {
                return Err("has a parenthesis that is never closed".into());
            }
            *i += 1;
            Ok(())
        }
        Some(Token::Word(attr)) => {
            if !attr.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                return Err("has a comparison that does not start with an attribute name".into());
            }
            *i += 1;
            match t.get(*i) {
                Some(Token::Word(op)) if op.eq_ignore_ascii_case("pr") => {
                    *i += 1;
                    Ok(())
                }
                Some(Token::Word(op)) if OPERATORS.iter().any(|o| op.eq_ignore_ascii_case(o)) => {
                    *i += 1;
                    match t.get(*i) {
                        Some(Token::Text) | Some(Token::Word(_)) => {
                            *i += 1;
                            Ok(())
                        }
                        _ => Err("has an operator without a value after it".into()),
                    }
                }
                _ => Err(format!(
                    "has an attribute without an operator ({} or pr)",
                    OPERATORS.join(", ")
                )),
            }
        }
        Some(Token::Close) => Err("has a `)` that closes nothing".into()),
        Some(Token::Text) => Err("has a quoted value where an attribute name belongs".into()),
        None => Err("ends where an expression belongs".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn good_and_bad_filters() {
        for good in [
            "active eq true",
            "userName sw \"J\" and not (title pr)",
            "(emails.type eq \"work\") or name.familyName co \"O'Malley\"",
            "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
        ] {
            assert!(check(good).is_ok(), "{good}: {:?}", check(good));
        }
        for bad in [
            "",
            "active",
            "active eq",
            "(active eq true",
            "userName eq \"x",
            "a eq 1 b eq 2",
            ")",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
