//! Reading a test file: its tests, suites and subtests, and the `@spec` markers in it.
//!
//! - Python: `def test*` / `async def test*` at module level and as methods of `class Test*`
//!   (or `unittest.TestCase` subclasses), classes as suites; decorators belong to the test.
//! - Rust: `fn`s with `#[test]`, `#[tokio::test]` (any `...::test`), `#[rstest]`,
//!   `#[test_case(...)]`; parents are the `mod` names around them.
//! - TypeScript/JavaScript: `it`/`test`/`describe`/`suite`/`context` calls with a string
//!   (or template without interpolation) name, with `.only`/`.skip`/`.todo`/`.each(...)`...
//! - Go: `func TestXxx(t *testing.T)` and `x.Run("name", ...)` subtests inside them.
//!
//! Markers: `@spec <id>[, <id>...]` in any comment or string (later ids on the same line are
//! taken when they look like ids: they contain `-`, `_`, `/`, `.`, `:` or a digit), and
//! `pytest.mark.spec("<id>", ...)`. A marker belongs to the test right below it (only comments
//! between) or else to the innermost test it is in.
//!
//! Linear time in the text (a token pass, a bracket pass and sorted sweeps); never panics.

use super::lex::{lex, match_brackets, unescape, Tok, Token};
use super::{Language, Marker, MarkerForm, TestFile, TestItem, TestKind};
use crate::span::Span;

/// Index one test file.
pub fn index_file(path: &str, text: &str, language: Language) -> TestFile {
    let toks = lex(text, language);
    let mut ix = Indexer {
        src: text,
        toks: &toks,
        items: Vec::new(),
        start_tok: Vec::new(),
        markers: Vec::new(),
        marker_tok: Vec::new(),
    };
    ix.comment_markers();
    match language {
        Language::Python => ix.python(),
        Language::Rust => ix.rust(),
        Language::TypeScript | Language::JavaScript => ix.js(),
        Language::Go => ix.go(),
    }
    ix.finish(path, language)
}

struct Indexer<'a> {
    src: &'a str,
    toks: &'a [Token],
    items: Vec<TestItem>,
    /// Per item: the index of its first token.
    start_tok: Vec<usize>,
    markers: Vec<Marker>,
    /// Per marker: the token it was found in.
    marker_tok: Vec<usize>,
}

fn item(keyword: &str, name: String, kind: TestKind, span: Span, name_span: Span) -> TestItem {
    TestItem {
        name,
        kind,
        keyword: keyword.to_string(),
        span,
        name_span,
        parents: Vec::new(),
        parent: None,
        modifiers: Vec::new(),
        markers: Vec::new(),
    }
}

/// Is `c` part of a marker id?
fn id_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.' | ':' | '#')
}

/// Does a word after the first id of a marker look like another id (not prose)?
fn looks_like_id(word: &str) -> bool {
    word.chars()
        .any(|c| c.is_ascii_digit() || matches!(c, '-' | '_' | '/' | '.' | ':'))
}

/// Read the id starting at byte `i` of `s`: (end, id without trailing `.`/`:`).
fn read_id(s: &str, i: usize) -> (usize, &str) {
    let rest = &s[i..];
    let len = rest
        .char_indices()
        .find(|&(_, c)| !id_char(c))
        .map(|(p, _)| p)
        .unwrap_or(rest.len());
    let word = &rest[..len];
    let trimmed = word.trim_end_matches(['.', ':', '#']);
    (i + len, trimmed)
}

/// Every `@spec` marker in `s` (the text of a comment or string starting at `base`).
pub(crate) fn scan_markers(s: &str, base: usize, out: &mut Vec<(String, Span)>) {
    let bytes = s.as_bytes();
    let mut from = 0usize;
    while let Some(p) = s.get(from..).and_then(|r| r.find("@spec")) {
        let at = from + p;
        from = at + 5;
        let before_ok = at == 0 || {
            let c = bytes[at - 1];
            !(c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'@' || c >= 0x80)
        };
        let after = bytes.get(at + 5).copied();
        let after_ok = matches!(after, Some(b' ' | b'\t' | b':' | b'='));
        if !before_ok || !after_ok {
            continue;
        }
        let mut i = at + 5;
        if matches!(bytes.get(i), Some(b':' | b'=')) {
            i += 1;
        }
        let mut first = true;
        loop {
            // Separators: spaces, tabs and commas (not newlines).
            let mut had_sep = first;
            while matches!(bytes.get(i), Some(b' ' | b'\t' | b',')) {
                i += 1;
                had_sep = true;
            }
            if !had_sep || i >= bytes.len() {
                break;
            }
            let (end, id) = read_id(s, i);
            if !id.starts_with(char::is_alphanumeric) || (!first && !looks_like_id(id)) {
                break;
            }
            out.push((id.to_string(), Span::new(base + i, base + i + id.len())));
            i = end;
            from = from.max(end);
            first = false;
        }
    }
}

impl<'a> Indexer<'a> {
    fn text(&self, t: usize) -> &'a str {
        self.toks.get(t).map(|t| t.text(self.src)).unwrap_or("")
    }
    fn is_ident(&self, t: usize, name: &str) -> bool {
        self.toks.get(t).is_some_and(|x| x.is_ident(self.src, name))
    }
    fn is_punct(&self, t: usize, c: u8) -> bool {
        self.toks.get(t).is_some_and(|x| x.is_punct(c))
    }
    fn kind(&self, t: usize) -> Option<Tok> {
        self.toks.get(t).map(|x| x.kind)
    }
    /// A plain string token's value and content span.
    fn string(&self, t: usize) -> Option<(String, Span)> {
        let tok = self.toks.get(t)?;
        if tok.kind != Tok::Str || !tok.plain {
            return None;
        }
        Some((unescape(tok.inner.slice(self.src)), tok.inner))
    }

    fn push_item(&mut self, it: TestItem, start_tok: usize) -> usize {
        self.items.push(it);
        self.start_tok.push(start_tok);
        self.items.len() - 1
    }

    /// `@spec` markers of every comment and string.
    fn comment_markers(&mut self) {
        let mut found = Vec::new();
        for (ti, t) in self.toks.iter().enumerate() {
            if !matches!(t.kind, Tok::Comment | Tok::Str) {
                continue;
            }
            let s = t.text(self.src);
            if !s.contains("@spec") {
                continue;
            }
            found.clear();
            scan_markers(s, t.span.start, &mut found);
            for (id, span) in found.drain(..) {
                self.markers.push(Marker {
                    id,
                    span,
                    form: MarkerForm::Comment,
                    test: None,
                });
                self.marker_tok.push(ti);
            }
        }
    }

    /// `pytest.mark.spec("a", "b")` at token `t` (the `spec` identifier).
    fn pytest_mark(&mut self, t: usize) {
        if !(self.is_punct(t.wrapping_sub(1), b'.') && self.is_ident(t.wrapping_sub(2), "mark")) {
            return;
        }
        if !self.is_punct(t + 1, b'(') {
            return;
        }
        let mut j = t + 2;
        while let Some(k) = self.kind(j) {
            match k {
                Tok::Str => {
                    if let Some((v, span)) = self.string(j) {
                        for (off, part) in split_ids(&v) {
                            // Offsets are exact when the string has no escapes.
                            let s = if v.len() == span.len() {
                                Span::new(span.start + off, span.start + off + part.len())
                            } else {
                                span
                            };
                            self.markers.push(Marker {
                                id: part.to_string(),
                                span: s,
                                form: MarkerForm::PytestMark,
                                test: None,
                            });
                            self.marker_tok.push(j);
                        }
                    }
                }
                Tok::Punct(b',') | Tok::Comment => {}
                _ => break,
            }
            j += 1;
        }
    }

    // ---------------------------------------------------------------- Python

    fn python(&mut self) {
        struct Block {
            indent: u32,
            item: Option<usize>,
            /// A class whose methods are tests.
            test_class: bool,
            is_def: bool,
        }
        let toks = self.toks;
        let mut blocks: Vec<Block> = Vec::new();
        let mut last_code_end = 0usize;
        let mut deco_start: Option<(usize, usize)> = None; // (token, offset)
        let mut deco_mods: Vec<String> = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let t = toks[i];
            if t.kind == Tok::Comment {
                i += 1;
                continue;
            }
            if t.bol {
                while blocks.last().is_some_and(|b| b.indent >= t.indent) {
                    let b = blocks.pop().expect("non-empty");
                    if let Some(it) = b.item {
                        self.items[it].span.end = last_code_end;
                    }
                }
                let word = t.text(self.src);
                if !(t.is_punct(b'@') || matches!(word, "def" | "async" | "class")) {
                    deco_start = None;
                    deco_mods.clear();
                } else if t.is_punct(b'@') && deco_start.is_none() {
                    deco_start = Some((i, t.span.start));
                }
                let (def_at, is_async) = if word == "async" && self.is_ident(i + 1, "def") {
                    (Some(i + 1), true)
                } else if word == "def" {
                    (Some(i), false)
                } else {
                    (None, false)
                };
                let in_def = blocks.iter().any(|b| b.is_def);
                let top_test_class = blocks.last().is_some_and(|b| b.test_class);
                let at_module = blocks.is_empty();
                if let Some(d) = def_at {
                    let name_tok = d + 1;
                    let mut item_idx = None;
                    if self.kind(name_tok) == Some(Tok::Ident) {
                        let name = self.text(name_tok);
                        if name.starts_with("test") && !in_def && (at_module || top_test_class) {
                            let (st, so) = deco_start.unwrap_or((i, t.span.start));
                            let mut it = item(
                                "def",
                                name.to_string(),
                                TestKind::Test,
                                Span::new(so, t.span.end),
                                toks[name_tok].span,
                            );
                            it.modifiers = std::mem::take(&mut deco_mods);
                            if is_async {
                                it.modifiers.push("async".into());
                            }
                            item_idx = Some(self.push_item(it, st));
                        }
                    }
                    blocks.push(Block {
                        indent: t.indent,
                        item: item_idx,
                        test_class: false,
                        is_def: true,
                    });
                    deco_start = None;
                    deco_mods.clear();
                } else if word == "class" {
                    let name_tok = i + 1;
                    let mut item_idx = None;
                    let mut test_class = false;
                    if self.kind(name_tok) == Some(Tok::Ident) {
                        let name = self.text(name_tok);
                        // Bases: `class X(unittest.TestCase):`
                        let mut bases_test = false;
                        let mut j = name_tok + 1;
                        if self.is_punct(j, b'(') {
                            while j < toks.len() && !self.is_punct(j, b')') && !toks[j].bol {
                                if toks[j].kind == Tok::Ident && self.text(j).ends_with("TestCase")
                                {
                                    bases_test = true;
                                }
                                j += 1;
                            }
                        }
                        test_class = !in_def
                            && (at_module || top_test_class)
                            && (name.starts_with("Test") || bases_test);
                        if test_class {
                            let (st, so) = deco_start.unwrap_or((i, t.span.start));
                            let mut it = item(
                                "class",
                                name.to_string(),
                                TestKind::Suite,
                                Span::new(so, t.span.end),
                                toks[name_tok].span,
                            );
                            it.modifiers = std::mem::take(&mut deco_mods);
                            item_idx = Some(self.push_item(it, st));
                        }
                    }
                    blocks.push(Block {
                        indent: t.indent,
                        item: item_idx,
                        test_class,
                        is_def: false,
                    });
                    deco_start = None;
                    deco_mods.clear();
                }
            }
            if t.kind == Tok::Ident {
                let w = t.text(self.src);
                if w == "spec" {
                    self.pytest_mark(i);
                } else if deco_start.is_some()
                    && self.is_punct(i.wrapping_sub(1), b'.')
                    && self.is_ident(i.wrapping_sub(2), "mark")
                {
                    deco_mods.push(w.to_string());
                }
            }
            last_code_end = t.span.end;
            i += 1;
        }
        while let Some(b) = blocks.pop() {
            if let Some(it) = b.item {
                self.items[it].span.end = last_code_end;
            }
        }
    }

    // ---------------------------------------------------------------- Rust

    fn rust(&mut self) {
        let toks = self.toks;
        let m = match_brackets(toks);
        // Open braces: Some(mod name) for `mod x {`, Some("") otherwise; items close with them.
        let mut braces: Vec<(usize, Option<String>)> = Vec::new(); // (close token, mod name)
        let mut attr_start: Option<(usize, usize)> = None;
        let mut attr_test = false;
        let mut mods: Vec<String> = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let t = toks[i];
            while braces.last().is_some_and(|&(close, _)| close <= i) {
                braces.pop();
            }
            match t.kind {
                Tok::Comment => {
                    i += 1;
                    continue;
                }
                Tok::Punct(b'#')
                    if self.is_punct(i + 1, b'[')
                        || (self.is_punct(i + 1, b'!') && self.is_punct(i + 2, b'[')) =>
                {
                    let inner = self.is_punct(i + 1, b'!');
                    let open = if inner { i + 2 } else { i + 1 };
                    let close = m[open].map(|c| c as usize).unwrap_or(toks.len() - 1);
                    if !inner {
                        // The attribute's path: `test`, `tokio::test`, `rstest`...
                        let mut path = String::new();
                        let mut j = open + 1;
                        while j < close {
                            match toks[j].kind {
                                Tok::Ident => path.push_str(self.text(j)),
                                Tok::Punct(b':') => path.push(':'),
                                _ => break,
                            }
                            j += 1;
                        }
                        let last = path.rsplit("::").next().unwrap_or("");
                        if last == "test"
                            || matches!(
                                path.as_str(),
                                "rstest" | "test_case" | "wasm_bindgen_test" | "quickcheck"
                            )
                        {
                            attr_test = true;
                        } else if matches!(path.as_str(), "ignore" | "should_panic") {
                            mods.push(path.clone());
                        }
                        if attr_start.is_none() {
                            attr_start = Some((i, t.span.start));
                        }
                    }
                    i = close + 1;
                    continue;
                }
                Tok::Ident if self.text(i) == "mod" && self.kind(i + 1) == Some(Tok::Ident) => {
                    if self.is_punct(i + 2, b'{') {
                        if let Some(c) = m[i + 2] {
                            braces.push((c as usize, Some(self.text(i + 1).to_string())));
                        }
                        i += 3;
                    } else {
                        i += 2;
                    }
                    attr_start = None;
                    attr_test = false;
                    mods.clear();
                    continue;
                }
                Tok::Ident if self.text(i) == "fn" && self.kind(i + 1) == Some(Tok::Ident) => {
                    if attr_test {
                        // The body: the first `{` after the signature, unless a `;` comes first.
                        let mut j = i + 2;
                        let mut body = None;
                        while j < toks.len() {
                            match toks[j].kind {
                                Tok::Punct(b'{') => {
                                    body = Some(j);
                                    break;
                                }
                                Tok::Punct(b';') => break,
                                Tok::Punct(b'(' | b'[') => {
                                    j = m[j].map(|c| c as usize).unwrap_or(toks.len());
                                }
                                _ => {}
                            }
                            j += 1;
                        }
                        let (st, so) = attr_start.unwrap_or((i, t.span.start));
                        let end_tok = body
                            .and_then(|b| m[b])
                            .map(|c| c as usize)
                            .unwrap_or(toks.len() - 1);
                        let end = toks[end_tok.min(toks.len() - 1)].span.end;
                        let mut it = item(
                            "fn",
                            self.text(i + 1).to_string(),
                            TestKind::Test,
                            Span::new(so, end.max(t.span.end)),
                            toks[i + 1].span,
                        );
                        it.parents = braces.iter().filter_map(|(_, n)| n.clone()).collect();
                        it.modifiers = std::mem::take(&mut mods);
                        if (st..i).any(|k| self.is_ident(k, "async")) {
                            it.modifiers.push("async".into());
                        }
                        self.push_item(it, st);
                    }
                    attr_start = None;
                    attr_test = false;
                    mods.clear();
                    i += 2;
                    continue;
                }
                Tok::Ident
                    if matches!(
                        self.text(i),
                        "pub" | "async" | "unsafe" | "const" | "extern" | "crate"
                    ) => {}
                Tok::Punct(b'(' | b')') if attr_start.is_some() => {}
                Tok::Str if attr_start.is_some() => {}
                Tok::Punct(b'{') => {
                    if let Some(c) = m[i] {
                        braces.push((c as usize, None));
                    }
                    attr_start = None;
                    attr_test = false;
                    mods.clear();
                }
                _ => {
                    attr_start = None;
                    attr_test = false;
                    mods.clear();
                }
            }
            i += 1;
        }
    }

    // ---------------------------------------------------------------- TypeScript / JavaScript

    fn js(&mut self) {
        let toks = self.toks;
        let m = match_brackets(toks);
        let mut i = 0;
        while i < toks.len() {
            let t = toks[i];
            if t.kind != Tok::Ident {
                i += 1;
                continue;
            }
            let word = t.text(self.src);
            let kind = match word {
                "it" | "test" => TestKind::Test,
                "describe" | "suite" | "context" => TestKind::Suite,
                _ => {
                    i += 1;
                    continue;
                }
            };
            // Not a member (`x.it(`), not a declaration (`function test(`).
            let prev = (0..i).rev().find(|&k| toks[k].kind != Tok::Comment);
            if prev.is_some_and(|p| {
                toks[p].is_punct(b'.')
                    || matches!(
                        self.text(p),
                        "function" | "const" | "let" | "var" | "class" | "new"
                    )
            }) {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            let mut mods = Vec::new();
            while self.is_punct(j, b'.') && self.kind(j + 1) == Some(Tok::Ident) {
                let mname = self.text(j + 1);
                mods.push(mname.to_string());
                j += 2;
                if matches!(mname, "each" | "skipIf" | "runIf" | "for") {
                    if self.is_punct(j, b'(') {
                        match m[j] {
                            Some(c) => j = c as usize + 1,
                            None => break,
                        }
                    } else if self.kind(j) == Some(Tok::Str) {
                        j += 1;
                    }
                }
            }
            if !self.is_punct(j, b'(') {
                i += 1;
                continue;
            }
            let Some((name, name_span)) = self.string(j + 1) else {
                i += 1;
                continue;
            };
            let end = m[j]
                .map(|c| toks[c as usize].span.end)
                .unwrap_or(self.src.len());
            let mut it = item(word, name, kind, Span::new(t.span.start, end), name_span);
            it.modifiers = mods;
            self.push_item(it, i);
            i = j + 2;
        }
    }

    // ---------------------------------------------------------------- Go

    fn go(&mut self) {
        let toks = self.toks;
        let m = match_brackets(toks);
        let mut depth = 0i64;
        let mut test_until = 0usize; // token index where the current test function ends
        let mut i = 0;
        while i < toks.len() {
            let t = toks[i];
            match t.kind {
                Tok::Punct(b'{') => depth += 1,
                Tok::Punct(b'}') => depth = (depth - 1).max(0),
                _ => {}
            }
            if depth == 0 && t.is_ident(self.src, "func") && self.kind(i + 1) == Some(Tok::Ident) {
                let name = self.text(i + 1);
                if is_go_test_name(name) && self.is_punct(i + 2, b'(') {
                    let close = m[i + 2].map(|c| c as usize).unwrap_or(i + 2);
                    let takes_t = (i + 3..close).any(|k| {
                        self.is_ident(k, "testing")
                            && self.is_punct(k + 1, b'.')
                            && self.is_ident(k + 2, "T")
                    });
                    if takes_t {
                        let body = (close + 1..toks.len())
                            .take(64)
                            .find(|&k| self.is_punct(k, b'{'));
                        let end_tok = body.and_then(|b| m[b]).map(|c| c as usize);
                        let end = end_tok.map(|e| toks[e].span.end).unwrap_or(self.src.len());
                        let it = item(
                            "func",
                            name.to_string(),
                            TestKind::Test,
                            Span::new(t.span.start, end),
                            toks[i + 1].span,
                        );
                        self.push_item(it, i);
                        test_until = end_tok.unwrap_or(toks.len());
                    }
                }
            }
            if i < test_until
                && t.kind == Tok::Ident
                && self.is_punct(i + 1, b'.')
                && self.is_ident(i + 2, "Run")
                && self.is_punct(i + 3, b'(')
                && !self.is_punct(i.wrapping_sub(1), b'.')
            {
                if let Some((name, name_span)) = self.string(i + 4) {
                    let end = m[i + 3]
                        .map(|c| toks[c as usize].span.end)
                        .unwrap_or(self.src.len());
                    let it = item(
                        "Run",
                        name,
                        TestKind::Subtest,
                        Span::new(t.span.start, end),
                        name_span,
                    );
                    self.push_item(it, i);
                }
            }
            i += 1;
        }
    }

    // ---------------------------------------------------------------- nesting and markers

    fn finish(mut self, path: &str, language: Language) -> TestFile {
        // Items were pushed in source order of their first token; keep that order stable.
        let mut order: Vec<usize> = (0..self.items.len()).collect();
        order.sort_by_key(|&k| {
            (
                self.items[k].span.start,
                std::cmp::Reverse(self.items[k].span.end),
            )
        });
        let items: Vec<TestItem> = order.iter().map(|&k| self.items[k].clone()).collect();
        let start_tok: Vec<usize> = order.iter().map(|&k| self.start_tok[k]).collect();
        self.items = items;
        self.start_tok = start_tok;

        // Parents by span nesting (a stack sweep).
        let mut stack: Vec<usize> = Vec::new();
        for k in 0..self.items.len() {
            let s = self.items[k].span;
            while stack.last().is_some_and(|&p| {
                !(self.items[p].span.start <= s.start && s.end <= self.items[p].span.end)
            }) {
                stack.pop();
            }
            if let Some(&p) = stack.last() {
                self.items[k].parent = Some(p);
                if language != Language::Rust {
                    let mut names = self.items[p].parents.clone();
                    names.push(self.items[p].name.clone());
                    self.items[k].parents = names;
                }
            }
            stack.push(k);
        }

        // Markers: sort by position, then attach.
        let mut morder: Vec<usize> = (0..self.markers.len()).collect();
        morder.sort_by_key(|&k| self.markers[k].span.start);
        let markers: Vec<Marker> = morder.iter().map(|&k| self.markers[k].clone()).collect();
        let marker_tok: Vec<usize> = morder.iter().map(|&k| self.marker_tok[k]).collect();
        self.markers = markers;

        // The first code token after each token (for "the test right below").
        let n = self.toks.len();
        let mut next_code = vec![n; n + 1];
        for k in (0..n).rev() {
            next_code[k] = if self.toks[k].kind == Tok::Comment {
                next_code[k + 1]
            } else {
                k
            };
        }
        let mut item_at_tok = std::collections::HashMap::new();
        for (k, &st) in self.start_tok.iter().enumerate() {
            item_at_tok.entry(st).or_insert(k);
        }
        // Innermost containing item: sweep markers in order with a stack of open items.
        let mut stack: Vec<usize> = Vec::new();
        let mut next_item = 0usize;
        for (mi, &tok) in marker_tok.iter().enumerate() {
            let pos = self.markers[mi].span.start;
            while next_item < self.items.len() && self.items[next_item].span.start <= pos {
                let st = self.items[next_item].span.start;
                while stack.last().is_some_and(|&p| self.items[p].span.end <= st) {
                    stack.pop();
                }
                stack.push(next_item);
                next_item += 1;
            }
            // The stack is a chain of nested items; drop those that ended before the marker.
            while stack.last().is_some_and(|&p| self.items[p].span.end <= pos) {
                stack.pop();
            }
            let below = if self.toks[tok].kind == Tok::Comment {
                item_at_tok.get(&next_code[tok + 1]).copied()
            } else {
                None
            };
            let owner = below.or_else(|| stack.last().copied());
            self.markers[mi].test = owner;
            if let Some(o) = owner {
                self.items[o].markers.push(mi);
            }
        }
        TestFile {
            path: path.to_string(),
            language,
            len: self.src.len(),
            tests: self.items,
            markers: self.markers,
        }
    }
}

/// Split `a, b c` into ids with their byte offsets.
fn split_ids(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        let sep = c == ',' || c.is_whitespace();
        match (sep, start) {
            (true, Some(st)) => {
                out.push((st, &s[st..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

/// `Test`, or `Test` followed by something that is not a lower-case letter (Go's rule).
pub(crate) fn is_go_test_name(name: &str) -> bool {
    match name.strip_prefix("Test") {
        Some(rest) => !rest.starts_with(|c: char| c.is_lowercase()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        scan_markers(s, 0, &mut out);
        out.into_iter()
            .map(|(id, sp)| format!("{id}@{}", sp.start))
            .collect()
    }

    #[test]
    fn marker_lists_and_prose() {
        assert_eq!(
            markers("# @spec todo/a, todo/b SC-3"),
            ["todo/a@8", "todo/b@16", "SC-3@23"]
        );
        assert_eq!(markers("// @spec login covers the happy path"), ["login@9"]);
        assert_eq!(markers("/* @spec: FR-01. */"), ["FR-01@10"]);
        assert_eq!(markers("/* @spec a-1 /* nested */ */"), ["a-1@9"]);
        assert!(markers("mail me@spec.org or @specs x").is_empty());
        assert_eq!(markers("\"\"\"@spec a-b\"\"\""), ["a-b@9"]);
    }

    #[test]
    fn go_names() {
        assert!(is_go_test_name("TestCreate"));
        assert!(is_go_test_name("Test"));
        assert!(is_go_test_name("Test_x"));
        assert!(!is_go_test_name("Testify"));
    }

    #[test]
    fn js_modifiers_and_each() {
        let src = "describe.skip('outer', () => {\n  // @spec a-1\n  it.each([[1, 2]])('adds %i', (a) => {});\n  test.only(`plain`, () => {});\n  it(`x ${y}`, () => {});\n});\n";
        let f = index_file("a.test.ts", src, Language::TypeScript);
        let names: Vec<_> = f
            .tests
            .iter()
            .map(|t| (t.name.as_str(), t.modifiers.join("."), t.parents.join(">")))
            .collect();
        assert_eq!(
            names,
            [
                ("outer", "skip".into(), "".into()),
                ("adds %i", "each".into(), "outer".into()),
                ("plain", "only".into(), "outer".into())
            ]
        );
        assert_eq!(f.markers[0].test, Some(1));
    }
}
