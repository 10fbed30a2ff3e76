//! Compiling a spec into code: the pure parts. Which arrangement applies and which paths a
//! compile may write ([`targets`]), the prompt sent to a model ([`prompt`]), reading the files
//! out of a model's answer ([`answer`]), and what to do after a failure ([`retry`]).
//!
//! Everything with side effects (HTTP, processes, the disk, the manifest on disk) lives in the
//! front end (`server/src/compile/`).

pub mod answer;
pub mod backend;
pub mod prompt;
pub mod retry;
pub mod targets;

/// Name of the state folder specls keeps in a workspace (never a compile target).
pub const STATE_DIR_NAME: &str = ".specls";

/// The largest answer read from a model (or set of files from an agent CLI): beyond it the
/// compile fails with a clear message and nothing is written.
pub const MAX_ANSWER_BYTES: usize = 2 * 1024 * 1024;

/// Lower-case hex SHA-256 (the manifest's hash).
pub use crate::manifest::sha256_hex;

/// Split a command template into words the way a POSIX shell would for plain words and
/// quotes (`'...'`, `"..."`, backslash escapes), without expanding anything. Returns None for
/// an unterminated quote. Used for agent CLI templates, which run without a shell so that a
/// spec name can never inject a command.
pub fn split_command(template: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        other => cur.push(other),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            e @ ('"' | '\\' | '$' | '`') => cur.push(e),
                            other => {
                                cur.push('\\');
                                cur.push(other);
                            }
                        },
                        other => cur.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                cur.push(other);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Some(words)
}

/// Replace `{key}` placeholders in `text` with their values; unknown placeholders stay as
/// written.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let key = &after[..close];
                match values.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(key);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `s` quoted for a POSIX shell (one word whatever it contains).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_like_a_shell() {
        let w =
            split_command(r#"claude -p {prompt_file} --flag "two words" 'it''s' a\ b"#).unwrap();
        assert_eq!(
            w,
            vec![
                "claude",
                "-p",
                "{prompt_file}",
                "--flag",
                "two words",
                "its",
                "a b"
            ]
        );
        assert_eq!(split_command("  "), Some(vec![]));
        assert_eq!(split_command("a 'b"), None);
        assert_eq!(split_command(r#"a "b"#), None);
        assert_eq!(split_command(r#""""#), Some(vec![String::new()]));
    }

    #[test]
    fn fill_and_quote() {
        assert_eq!(
            fill("sp compile {name} {x} {", &[("name", "a b")]),
            "sp compile a b {x} {"
        );
        assert_eq!(shell_quote("src/a.py"), "src/a.py");
        assert_eq!(shell_quote("a b'c"), r"'a b'\''c'");
        assert_eq!(shell_quote(""), "''");
    }
}
