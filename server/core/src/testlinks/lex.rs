//! A light, linear-time lexer for test files: identifiers, punctuation, strings and comments,
//! with the start-of-line flag and indentation that the Python indexer needs. It never fails:
//! unterminated strings and comments run to the end of their line (or of the file, for forms
//! that may span lines), and every loop iteration consumes at least one byte.

use super::Language;
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Ident,
    Str,
    Comment,
    Number,
    Punct(u8),
    /// Lifetimes, regex literals, stray bytes: nothing the indexers look at.
    Other,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub kind: Tok,
    pub span: Span,
    /// For strings: the content between the delimiters.
    pub inner: Span,
    /// For strings: no interpolation (`${...}` in templates, `{...}` in f-strings).
    pub plain: bool,
    /// First code token of a logical line (Python: outside brackets and continuations).
    pub bol: bool,
    /// Byte column of the token's line's first token (meaningful when `bol`).
    pub indent: u32,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        self.span.slice(src)
    }
    pub fn is_punct(&self, b: u8) -> bool {
        self.kind == Tok::Punct(b)
    }
    pub fn is_ident(&self, src: &str, name: &str) -> bool {
        self.kind == Tok::Ident && self.text(src) == name
    }
}

fn is_ident_start(b: u8, lang: Language) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 || (b == b'$' && lang.is_js())
}

fn is_ident_continue(b: u8, lang: Language) -> bool {
    is_ident_start(b, lang) || b.is_ascii_digit()
}

/// JavaScript: may a `/` at this point start a regular expression literal?
fn regex_allowed(prev: Option<&Token>, src: &str) -> bool {
    match prev {
        None => true,
        Some(t) => match t.kind {
            Tok::Punct(b) => !matches!(b, b')' | b']' | b'}'),
            Tok::Ident => matches!(
                t.text(src),
                "return"
                    | "typeof"
                    | "instanceof"
                    | "in"
                    | "of"
                    | "new"
                    | "delete"
                    | "void"
                    | "throw"
                    | "case"
                    | "do"
                    | "else"
                    | "yield"
                    | "await"
            ),
            _ => false,
        },
    }
}

pub(crate) fn lex(src: &str, lang: Language) -> Vec<Token> {
    let b = src.as_bytes();
    let n = b.len();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0usize;
    let mut line_start = 0usize;
    // Python: bracket depth and a pending backslash continuation.
    let mut depth = 0usize;
    let mut continued = false;
    let mut new_line = true;
    let mut line_indent = 0u32;

    while i < n {
        let c = b[i];
        if c == b'\n' {
            i += 1;
            line_start = i;
            if lang != Language::Python || (depth == 0 && !continued) {
                new_line = true;
            }
            continued = false;
            continue;
        }
        if c == b' ' || c == b'\t' || c == b'\r' || c == 0x0c {
            i += 1;
            continue;
        }
        if c == b'\\'
            && lang == Language::Python
            && b.get(i + 1).is_some_and(|&x| x == b'\n' || x == b'\r')
        {
            continued = true;
            i += 1;
            continue;
        }
        let start = i;
        let mut kind = Tok::Other;
        let mut inner = Span::empty(start);
        let mut plain = true;

        // Comments.
        let line_comment = match lang {
            Language::Python => c == b'#',
            _ => c == b'/' && b.get(i + 1) == Some(&b'/'),
        };
        if line_comment {
            while i < n && b[i] != b'\n' {
                i += 1;
            }
            push_comment(&mut out, start, i);
            continue;
        }
        if lang != Language::Python && c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            let nested = lang == Language::Rust;
            let mut level = 1usize;
            while i < n {
                if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    i += 2;
                    level -= 1;
                    if level == 0 {
                        break;
                    }
                } else if nested && b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    i += 2;
                    level += 1;
                } else {
                    i += 1;
                }
            }
            push_comment(&mut out, start, i.min(n));
            continue;
        }

        if is_ident_start(c, lang) {
            while i < n && is_ident_continue(b[i], lang) {
                i += 1;
            }
            // Keep identifiers on char boundaries (bytes >= 0x80 are always consumed whole).
            let word = &src[start..i];
            let quote = b.get(i).copied();
            match (lang, quote) {
                (Language::Python, Some(q @ (b'"' | b'\''))) if is_py_prefix(word) => {
                    let f = word.to_ascii_lowercase().contains('f');
                    let (end, inn, has_brace) = py_string(b, i, q);
                    i = end;
                    kind = Tok::Str;
                    inner = inn;
                    plain = !(f && has_brace);
                }
                (Language::Rust, Some(b'"' | b'#')) if matches!(word, "r" | "br" | "cr") => {
                    if let Some((end, inn)) = rust_raw_string(b, i) {
                        i = end;
                        kind = Tok::Str;
                        inner = inn;
                    } else {
                        kind = Tok::Ident;
                    }
                }
                (Language::Rust, Some(b'"')) if matches!(word, "b" | "c") => {
                    let (end, inn) = quoted(b, i, b'"', true);
                    i = end;
                    kind = Tok::Str;
                    inner = inn;
                }
                (Language::Rust, Some(b'\'')) if word == "b" => {
                    let (end, inn) = quoted(b, i, b'\'', false);
                    i = end;
                    kind = Tok::Str;
                    inner = inn;
                }
                _ => kind = Tok::Ident,
            }
        } else if c.is_ascii_digit() {
            while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            kind = Tok::Number;
        } else {
            match (lang, c) {
                (Language::Python, b'"' | b'\'') => {
                    let (end, inn, _) = py_string(b, i, c);
                    i = end;
                    kind = Tok::Str;
                    inner = inn;
                }
                (Language::Rust, b'"') => {
                    let (end, inn) = quoted(b, i, b'"', true);
                    i = end;
                    kind = Tok::Str;
                    inner = inn;
                }
                (Language::Rust, b'\'') => {
                    // A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a).
                    if let Some(end) = rust_char(src, i) {
                        i = end;
                        kind = Tok::Str;
                        inner = Span::new(start + 1, end - 1);
                    } else {
                        i += 1;
                        while i < n && is_ident_continue(b[i], lang) {
                            i += 1;
                        }
                        kind = Tok::Other;
                    }
                }
                (Language::Go, b'"') | (Language::Go, b'\'') => {
                    let (end, inn) = quoted(b, i, c, false);
                    i = end;
                    kind = Tok::Str;
                    inner = inn;
                }
                (Language::Go, b'`') => {
                    let close = memchr(b, i + 1, b'`');
                    let end = close.map(|p| p + 1).unwrap_or(n);
                    inner = Span::new(i + 1, close.unwrap_or(n));
                    i = end;
                    kind = Tok::Str;
                }
                (l, b'"' | b'\'') if l.is_js() => {
                    let (end, inn) = quoted(b, i, c, false);
                    i = end;
                    kind = Tok::Str;
                    inner = inn;
                }
                (l, b'`') if l.is_js() => {
                    let (end, inn, interp) = template(b, i);
                    i = end;
                    kind = Tok::Str;
                    inner = inn;
                    plain = !interp;
                }
                (l, b'/')
                    if l.is_js()
                        && regex_allowed(
                            out.iter().rev().find(|t| t.kind != Tok::Comment),
                            src,
                        ) =>
                {
                    i = regex_end(b, i);
                    kind = Tok::Other;
                }
                _ => {
                    // One punctuation byte, or a whole UTF-8 char for anything else.
                    i += utf8_len(c);
                    if c.is_ascii() {
                        kind = Tok::Punct(c);
                    }
                }
            }
        }
        let i_end = i.min(n);
        if lang == Language::Python {
            match kind {
                Tok::Punct(b'(' | b'[' | b'{') => depth += 1,
                Tok::Punct(b')' | b']' | b'}') => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        let bol = new_line;
        if new_line {
            line_indent = (start - line_start) as u32;
            new_line = false;
        }
        // Strings that span lines move the line start for following tokens.
        if let Some(p) = src.as_bytes()[start..i_end]
            .iter()
            .rposition(|&x| x == b'\n')
        {
            line_start = start + p + 1;
        }
        out.push(Token {
            kind,
            span: Span::new(start, i_end),
            inner,
            plain,
            bol,
            indent: line_indent,
        });
        i = i_end;
    }
    out
}

fn push_comment(out: &mut Vec<Token>, start: usize, end: usize) {
    out.push(Token {
        kind: Tok::Comment,
        span: Span::new(start, end),
        inner: Span::new(start, end),
        plain: true,
        bol: false,
        indent: 0,
    });
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xff => 4,
        _ => 1,
    }
}

fn memchr(b: &[u8], from: usize, needle: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&x| x == needle)
        .map(|p| p + from)
}

fn is_py_prefix(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "r" | "u" | "b" | "f" | "br" | "rb" | "fr" | "rf"
    )
}

/// A Python string starting at `i` (the quote). Returns (end, inner span, contains `{`).
fn py_string(b: &[u8], i: usize, q: u8) -> (usize, Span, bool) {
    let n = b.len();
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    let mut has_brace = false;
    if triple {
        let mut j = i + 3;
        while j < n {
            match b[j] {
                b'\\' => j += 2,
                x if x == q && b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q) => {
                    return (j + 3, Span::new(i + 3, j), has_brace);
                }
                b'{' => {
                    has_brace = true;
                    j += 1;
                }
                _ => j += 1,
            }
        }
        (n, Span::new((i + 3).min(n), n), has_brace)
    } else {
        let mut j = i + 1;
        while j < n {
            match b[j] {
                b'\\' => {
                    // A continuation inside a string keeps it going; anything else is skipped.
                    j += 2;
                }
                b'\n' => return (j, Span::new(i + 1, j), has_brace),
                x if x == q => return (j + 1, Span::new(i + 1, j), has_brace),
                b'{' => {
                    has_brace = true;
                    j += 1;
                }
                _ => j += 1,
            }
        }
        (n, Span::new((i + 1).min(n), n), has_brace)
    }
}

/// A quoted string or char starting at `i`. `multiline`: may span lines (Rust strings).
fn quoted(b: &[u8], i: usize, q: u8, multiline: bool) -> (usize, Span) {
    let n = b.len();
    let mut j = i + 1;
    while j < n {
        match b[j] {
            b'\\' => j += 2,
            b'\n' if !multiline => return (j, Span::new(i + 1, j)),
            x if x == q => return (j + 1, Span::new(i + 1, j)),
            _ => j += 1,
        }
    }
    let j = j.min(n);
    (n, Span::new((i + 1).min(j), n))
}

/// Rust raw string after its `r`/`br` prefix: `i` at `#` or `"`.
fn rust_raw_string(b: &[u8], i: usize) -> Option<(usize, Span)> {
    let n = b.len();
    let mut j = i;
    while j < n && b[j] == b'#' {
        j += 1;
    }
    let hashes = j - i;
    if b.get(j) != Some(&b'"') {
        return None;
    }
    let content = j + 1;
    let mut k = content;
    while k < n {
        if b[k] == b'"'
            && b.len() >= k + 1 + hashes
            && b[k + 1..k + 1 + hashes].iter().all(|&x| x == b'#')
        {
            return Some((k + 1 + hashes, Span::new(content, k)));
        }
        k += 1;
    }
    Some((n, Span::new(content.min(n), n)))
}

/// A Rust char literal at `i` (the quote): its end, or None for a lifetime.
fn rust_char(src: &str, i: usize) -> Option<usize> {
    let b = src.as_bytes();
    let next = *b.get(i + 1)?;
    if next == b'\\' {
        // Escapes: '\n', '\'', '\x7f', '\u{...}': the closing quote within a few bytes.
        let mut j = i + 3;
        while j < b.len() && j < i + 14 {
            if b[j] == b'\'' {
                return Some(j + 1);
            }
            if b[j] == b'\n' {
                return None;
            }
            j += 1;
        }
        return None;
    }
    if next == b'\'' || next == b'\n' {
        return None;
    }
    let len = utf8_len(next);
    if b.get(i + 1 + len) == Some(&b'\'') {
        Some(i + 2 + len)
    } else {
        None
    }
}

/// A JavaScript template literal at `i`: (end, inner span, has interpolation).
fn template(b: &[u8], i: usize) -> (usize, Span, bool) {
    let n = b.len();
    let mut j = i + 1;
    let mut interp = false;
    while j < n {
        match b[j] {
            b'\\' => j += 2,
            b'`' => return (j + 1, Span::new(i + 1, j), interp),
            b'$' if b.get(j + 1) == Some(&b'{') => {
                interp = true;
                // Skip the expression, counting braces (strings inside are not lexed).
                let mut level = 0usize;
                j += 1;
                while j < n {
                    match b[j] {
                        b'{' => level += 1,
                        b'}' => {
                            level -= 1;
                            if level == 0 {
                                j += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
            }
            _ => j += 1,
        }
    }
    (n, Span::new((i + 1).min(n), n), interp)
}

/// End of a regex literal starting at `i` (the `/`): after its flags, or at the line's end.
fn regex_end(b: &[u8], i: usize) -> usize {
    let n = b.len();
    let mut j = i + 1;
    let mut class = false;
    while j < n {
        match b[j] {
            b'\\' => j += 2,
            b'\n' => return j,
            b'[' => {
                class = true;
                j += 1;
            }
            b']' => {
                class = false;
                j += 1;
            }
            b'/' if !class => {
                j += 1;
                while j < n && b[j].is_ascii_alphabetic() {
                    j += 1;
                }
                return j;
            }
            _ => j += 1,
        }
    }
    n
}

/// Decode the escapes that matter in test names (`\"`, `\'`, `\\`, `\n`, `\t`, `` \` ``).
pub(crate) fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// For every token, the index of its matching bracket (`(`/`)`, `[`/`]`, `{`/`}`), if any.
/// Unbalanced closers are ignored; a closer of the wrong kind closes back to its opener.
pub(crate) fn match_brackets(toks: &[Token]) -> Vec<Option<u32>> {
    let mut m = vec![None; toks.len()];
    let mut stack: Vec<(u8, usize)> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            Tok::Punct(c @ (b'(' | b'[' | b'{')) => stack.push((c, i)),
            Tok::Punct(c @ (b')' | b']' | b'}')) => {
                let open = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                // Close the nearest opener of the same kind, if it is not too deep (bounded so
                // that a run of stray closers stays linear).
                if let Some(pos) = stack.iter().rev().take(8).position(|&(o, _)| o == open) {
                    let keep = stack.len() - 1 - pos;
                    let (_, oi) = stack[keep];
                    stack.truncate(keep);
                    m[oi] = Some(i as u32);
                    m[i] = Some(oi as u32);
                }
            }
            _ => {}
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str, lang: Language) -> Vec<(Tok, String)> {
        lex(src, lang)
            .into_iter()
            .map(|t| (t.kind, t.text(src).to_string()))
            .collect()
    }

    #[test]
    fn python_strings_comments_and_lines() {
        let src = "def test_a():\n    x = f'{y}' # c\n    '''doc\n@spec a'''\n";
        let toks = lex(src, Language::Python);
        let k = kinds(src, Language::Python);
        assert_eq!(k[0], (Tok::Ident, "def".into()));
        assert!(k.contains(&(Tok::Comment, "# c".into())));
        assert!(k.contains(&(Tok::Str, "'''doc\n@spec a'''".into())));
        let f = toks.iter().find(|t| t.text(src) == "f'{y}'").unwrap();
        assert!(!f.plain);
        let x = toks.iter().find(|t| t.text(src) == "x").unwrap();
        assert!(x.bol);
        assert_eq!(x.indent, 4);
    }

    #[test]
    fn rust_lifetimes_chars_raw_strings() {
        let src = "fn a<'a>(x: &'a str) { let c = '\"'; let s = r#\"a \" b\"#; /* /* */ */ }";
        let k = kinds(src, Language::Rust);
        assert!(k.contains(&(Tok::Other, "'a".into())));
        assert!(k.contains(&(Tok::Str, "'\"'".into())));
        assert!(k.contains(&(Tok::Str, "r#\"a \" b\"#".into())));
        assert!(k.contains(&(Tok::Comment, "/* /* */ */".into())));
        assert_eq!(k.last().unwrap(), &(Tok::Punct(b'}'), "}".into()));
    }

    #[test]
    fn js_templates_and_regexes() {
        let src = "it(`a ${ {b:1}.b } c`, () => { const r = /[/]\"/g; x = a / b; })";
        let toks = lex(src, Language::TypeScript);
        let t = toks.iter().find(|t| t.kind == Tok::Str).unwrap();
        assert!(!t.plain);
        assert_eq!(t.text(src), "`a ${ {b:1}.b } c`");
        assert!(toks.iter().any(|t| t.text(src) == "/[/]\"/g"));
        assert!(toks
            .iter()
            .all(|t| t.kind != Tok::Str || t.text(src).starts_with('`')));
    }
}
