//! The tolerant YAML reader (see the module docs).
//!
//! A hand-written, line-oriented recursive-descent reader over the UTF-8 bytes of the text.
//! Block structure is decided by indentation, one line at a time; flow collections and quoted
//! scalars are read token by token. Every loop consumes input, recursion is bounded by
//! [`MAX_DEPTH`], alias expansion by [`MAX_ALIAS_EXPANSION`], so time is linear in the text
//! (plus the bounded alias expansion) and nothing can overflow the stack.
//!
//! Invariant between nodes: `pos` is either inside a line after a node that was just read, or at
//! the first non-blank byte of a content line; `line_start` is the start of the line `pos` is on.
//! [`Parser::next_line`] moves to the next content line from either state (it is idempotent on
//! the second).
//!
//! All structural delimiters are ASCII, so every span starts and ends on a char boundary.

use std::collections::{HashMap, HashSet};

use super::{Entry, Node, ScalarStyle, Value, YamlDoc};
use crate::diag::{Diagnostic, TextEdit};
use crate::limits::{MAX_ALIAS_EXPANSION, MAX_DEPTH, MAX_DIAGNOSTICS_PER_FILE};
use crate::span::Span;

/// Read `text` as YAML. Never fails, never panics.
///
/// Only the first document is read. A slice of a bigger file (for instance one top-level item)
/// can be read on its own and its spans moved with [`YamlDoc::shift`]; anchors defined outside
/// the slice are then unknown.
pub fn parse(text: &str) -> YamlDoc {
    let mut p = Parser::new(text);
    let root = p.document();
    let mut diagnostics = p.diags;
    diagnostics.sort_by_key(|d| d.span.start);
    if p.dropped > 0 {
        diagnostics.push(Diagnostic::new(
            "too-many-diagnostics",
            Span::empty(p.first_dropped),
            format!(
                "{} more diagnostics in this file are not shown (limit {MAX_DIAGNOSTICS_PER_FILE} per file)",
                p.dropped
            ),
        ));
    }
    YamlDoc {
        root,
        diagnostics,
        comments: p.comments,
    }
}

/// Nodes kept in copies of anchored nodes (for later aliases), per document.
const ANCHOR_BUDGET: usize = 10 * MAX_ALIAS_EXPANSION;

/// A `key:` found at the start of a line (or after `- `).
#[derive(Clone, Copy)]
struct KeyScan {
    /// The key's text in the source, including quotes.
    span: Span,
    /// Offset of the `:`.
    colon: usize,
    quoted: bool,
}

enum Anchor {
    Stored {
        node: Node,
        count: usize,
        height: usize,
    },
    TooLarge,
}

#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    line_start: usize,
    /// `---`/`...` at column 0 ends the document once its start has been read.
    markers_end_doc: bool,
    doc_end: bool,
    diags: Vec<Diagnostic>,
    comments: Vec<Span>,
    /// Comments before this offset are recorded already.
    comment_end: usize,
    /// Start of the last line a tab diagnostic was reported for.
    tab_line: usize,
    depth: usize,
    depth_reported: bool,
    anchors: HashMap<String, Anchor>,
    /// Names used as `*alias` anywhere in the text (computed at the first anchor).
    alias_names: Option<HashSet<&'a str>>,
    /// Nodes that alias expansion may still create.
    budget: usize,
    alias_reported: bool,
    /// Where the last unclosed flow collection stopped (its enclosing ones are not reported
    /// again at the same place).
    unclosed_at: Option<usize>,
    /// Nodes that stored anchors may still hold (copies kept for later aliases).
    anchor_budget: usize,
    /// Diagnostics past the per-file limit: how many, and where the first was.
    dropped: usize,
    first_dropped: usize,
}

#[inline]
fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

#[inline]
fn is_flow_indicator(c: u8) -> bool {
    matches!(c, b',' | b'[' | b']' | b'{' | b'}')
}

/// Count nodes of `n` (stopping early past `limit`) and its height.
fn measure(n: &Node, limit: usize) -> (usize, usize) {
    fn walk(n: &Node, limit: usize, count: &mut usize) -> usize {
        *count += 1;
        if *count > limit {
            return 1;
        }
        match &n.value {
            Value::Seq(items) => {
                let mut h = 0;
                for it in items {
                    h = h.max(walk(it, limit, count));
                    if *count > limit {
                        break;
                    }
                }
                h + 1
            }
            Value::Map(entries) => {
                let mut h = 0;
                for e in entries {
                    h = h.max(walk(&e.value, limit, count));
                    if *count > limit {
                        break;
                    }
                }
                h + 1
            }
            _ => 0,
        }
    }
    let mut count = 0;
    let h = walk(n, limit, &mut count);
    (count, h)
}

/// "1 space", "4 spaces".
fn spaces(n: usize) -> String {
    if n == 1 {
        "1 space".to_string()
    } else {
        format!("{n} spaces")
    }
}

fn quote_double(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Parser<'a> {
        Parser {
            src,
            b: src.as_bytes(),
            pos: 0,
            line_start: 0,
            markers_end_doc: false,
            doc_end: false,
            diags: Vec::new(),
            comments: Vec::new(),
            comment_end: 0,
            tab_line: usize::MAX,
            depth: 0,
            depth_reported: false,
            anchors: HashMap::new(),
            alias_names: None,
            budget: MAX_ALIAS_EXPANSION,
            alias_reported: false,
            unclosed_at: None,
            anchor_budget: ANCHOR_BUDGET,
            dropped: 0,
            first_dropped: 0,
        }
    }

    // ----- byte helpers -------------------------------------------------------------------

    #[inline]
    fn byte(&self, i: usize) -> u8 {
        if i < self.b.len() {
            self.b[i]
        } else {
            0
        }
    }

    #[inline]
    fn is_eol(&self, i: usize) -> bool {
        i >= self.b.len()
            || self.b[i] == b'\n'
            || (self.b[i] == b'\r' && (i + 1 >= self.b.len() || self.b[i + 1] == b'\n'))
    }

    #[inline]
    fn is_ws_or_eol(&self, i: usize) -> bool {
        i >= self.b.len() || is_blank(self.b[i]) || self.is_eol(i)
    }

    /// Offset of the `\n` ending the line that contains `i` (or the text's length).
    fn eol_from(&self, i: usize) -> usize {
        if i >= self.b.len() {
            return self.b.len();
        }
        match self.src[i..].find('\n') {
            Some(k) => i + k,
            None => self.b.len(),
        }
    }

    /// End of the line's content (before `\r\n` / `\n`).
    fn content_end(&self, i: usize) -> usize {
        let e = self.eol_from(i);
        if e > i && self.b[e - 1] == b'\r' {
            e - 1
        } else {
            e
        }
    }

    fn char_len(&self, i: usize) -> usize {
        let c = self.byte(i);
        let l = if c < 0x80 {
            1
        } else if c < 0xE0 {
            2
        } else if c < 0xF0 {
            3
        } else {
            4
        };
        l.min(self.b.len().saturating_sub(i)).max(1)
    }

    /// From the line break at `nl`: the start of the next line with content, the offset of its
    /// first non-blank byte, and how many blank lines were skipped on the way
    /// (`(len, len, _)` at the end of the text).
    fn next_content_line(&self, mut nl: usize) -> (usize, usize, usize) {
        let len = self.b.len();
        let mut blanks = 0;
        loop {
            if nl >= len {
                return (len, len, blanks);
            }
            let ls = nl + 1;
            let j = self.skip_blanks(ls);
            if j < len && self.is_eol(j) {
                blanks += 1;
                nl = self.eol_from(j);
                continue;
            }
            return (ls, j, blanks);
        }
    }

    fn skip_blanks(&self, mut i: usize) -> usize {
        while i < self.b.len() && is_blank(self.b[i]) {
            i += 1;
        }
        i
    }

    fn is_dash(&self, i: usize) -> bool {
        self.byte(i) == b'-' && self.is_ws_or_eol(i + 1)
    }

    fn is_doc_marker(&self, i: usize) -> bool {
        let b = self.b;
        i + 3 <= b.len()
            && (&b[i..i + 3] == b"---" || &b[i..i + 3] == b"...")
            && self.is_ws_or_eol(i + 3)
    }

    fn column(&self) -> usize {
        self.pos - self.line_start
    }

    fn at_content_start(&self) -> bool {
        self.pos >= self.line_start
            && self.b[self.line_start..self.pos]
                .iter()
                .all(|&c| is_blank(c))
    }

    // ----- diagnostics and comments -------------------------------------------------------

    fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.push_diag(Diagnostic::new(code, span, message));
    }

    /// Keep at most [`MAX_DIAGNOSTICS_PER_FILE`] diagnostics; count the rest (memory stays
    /// bounded on files made of errors).
    fn push_diag(&mut self, d: Diagnostic) {
        if self.diags.len() < MAX_DIAGNOSTICS_PER_FILE {
            self.diags.push(d);
        } else {
            if self.dropped == 0 {
                self.first_dropped = d.span.start;
            }
            self.dropped += 1;
        }
    }

    fn syntax(&mut self, span: Span, message: impl Into<String>) {
        self.error("yaml-syntax", span, message);
    }

    fn comment(&mut self, at: usize) {
        if at >= self.comment_end {
            let end = self.content_end(at);
            self.comments.push(Span::new(at, end));
            self.comment_end = end;
        }
    }

    fn line_text_span(&self, at: usize) -> Span {
        Span::new(at, self.content_end(at))
    }

    fn report_depth(&mut self, at: usize) {
        if !self.depth_reported {
            self.depth_reported = true;
            let span = Span::new(at, at + self.char_len(at));
            self.error(
                "yaml-depth-limit",
                span,
                format!("nesting deeper than {MAX_DEPTH} levels; the content from here is ignored"),
            );
        }
    }

    // ----- lines ----------------------------------------------------------------------------

    /// Move to the first non-blank byte of the next content line, skipping the rest of the
    /// current line (a comment, or unexpected text, which is reported), blank lines and comment
    /// lines. Returns the line's indentation, or None at the end of the text or document.
    fn next_line(&mut self) -> Option<usize> {
        if self.doc_end {
            return None;
        }
        let len = self.b.len();
        let mut i;
        if self.at_content_start() {
            i = self.line_start;
        } else {
            let j = self.skip_blanks(self.pos);
            if j < len && self.b[j] == b'#' {
                self.comment(j);
            } else if !self.is_eol(j) {
                let end = self.content_end(j);
                self.syntax(
                    Span::new(j, end),
                    format!(
                        "unexpected text `{}` after the value; it is ignored",
                        &self.src[j..end]
                    ),
                );
            }
            let e = self.eol_from(j);
            if e >= len {
                self.pos = len;
                return None;
            }
            i = e + 1;
        }
        loop {
            let mut j = i;
            let mut tab = false;
            while j < len && is_blank(self.b[j]) {
                tab |= self.b[j] == b'\t';
                j += 1;
            }
            if j >= len {
                self.line_start = i;
                self.pos = len;
                return None;
            }
            match self.b[j] {
                b'\n' => i = j + 1,
                b'\r' if self.is_eol(j) => i = self.eol_from(j) + 1,
                b'#' => {
                    self.comment(j);
                    i = self.eol_from(j) + 1;
                }
                _ => {
                    self.line_start = i;
                    self.pos = j;
                    if j == i && self.markers_end_doc && self.is_doc_marker(j) {
                        self.doc_end = true;
                        return None;
                    }
                    if tab && self.tab_line != i {
                        self.tab_line = i;
                        self.error(
                            "yaml-tab-indent",
                            Span::new(i, j),
                            "tab used for indentation; YAML allows only spaces (read here as one space per tab)",
                        );
                    }
                    return Some(j - i);
                }
            }
            if i > len {
                self.line_start = len;
                self.pos = len;
                return None;
            }
        }
    }

    /// Skip the rest of this line and every following line indented more than `n`.
    fn skip_line_and_children(&mut self, n: usize) {
        self.pos = self.content_end(self.pos);
        // The rest of the line is being dropped: do not report it as unexpected text.
        let e = self.eol_from(self.pos);
        if e >= self.b.len() {
            self.pos = self.b.len();
            return;
        }
        self.pos = e + 1;
        self.line_start = e + 1;
        while let Some(m) = self.next_line() {
            if m <= n {
                return;
            }
            let e = self.eol_from(self.pos);
            if e >= self.b.len() {
                self.pos = self.b.len();
                return;
            }
            self.pos = e + 1;
            self.line_start = e + 1;
        }
    }

    /// Edits that move the lines in `[from, to)` indented `m` or more to indentation `k`.
    fn reindent_edits(&self, from: usize, to: usize, m: usize, k: usize) -> Vec<TextEdit> {
        let mut edits = Vec::new();
        let mut ls = from;
        let to = to.min(self.b.len());
        while ls < to {
            let mut s = ls;
            while s < to && self.b[s] == b' ' {
                s += 1;
            }
            if s - ls >= m && !self.is_eol(s) {
                if m > k {
                    edits.push(TextEdit {
                        path: String::new(),
                        span: Span::new(ls, ls + (m - k)),
                        new_text: String::new(),
                    });
                } else if k > m {
                    edits.push(TextEdit {
                        path: String::new(),
                        span: Span::empty(ls),
                        new_text: " ".repeat(k - m),
                    });
                }
            }
            ls = self.eol_from(s) + 1;
        }
        edits
    }

    /// The line start of the line `pos` is on, or of the next line when at the end.
    fn block_end_line(&self) -> usize {
        if self.pos >= self.b.len() {
            self.b.len()
        } else {
            self.line_start
        }
    }

    // ----- documents ------------------------------------------------------------------------

    fn document(&mut self) -> Option<Node> {
        if self.src.starts_with('\u{feff}') {
            self.pos = 3;
            self.line_start = 3;
        }
        let mut indent;
        loop {
            indent = self.next_line()?;
            if indent == 0 && self.byte(self.pos) == b'%' {
                // A directive (%YAML, %TAG): ignored.
                self.pos = self.content_end(self.pos);
                continue;
            }
            break;
        }
        self.markers_end_doc = true;
        let root = if indent == 0 && self.is_doc_marker(self.pos) {
            if self.b[self.pos] == b'.' {
                return None;
            }
            let here = self.pos + 3;
            self.pos = here;
            let j = self.skip_blanks(self.pos);
            if self.is_eol(j) || self.byte(j) == b'#' {
                let n = self.below(-1, false, here);
                if n.is_null() && n.span.is_empty() {
                    None
                } else {
                    Some(n)
                }
            } else {
                self.pos = j;
                let col = self.column();
                Some(self.node_at(col, -1))
            }
        } else {
            Some(self.node_at(indent, -1))
        };
        let mut root = root;
        // Anything left before the end of the document did not fit the root node.
        while let Some(m) = self.next_line() {
            let first_line = self.line_start;
            let key = self.scan_key(self.pos);
            let before = self.pos;
            let node = self.node_at(m, -1);
            let _ = self.next_line();
            let to = self.block_end_line();
            match (&mut root, node.value) {
                (
                    Some(Node {
                        value: Value::Map(entries),
                        span,
                    }),
                    Value::Map(more),
                ) if key.is_some() => {
                    let k = entries
                        .first()
                        .map(|e| self.column_of(e.key_span.start))
                        .unwrap_or(0);
                    let key = key.map(|k| k.span).unwrap_or(node.span);
                    let edits = self.reindent_edits(first_line, to, m, k);
                    let mut d = Diagnostic::new(
                        "yaml-syntax",
                        key,
                        format!(
                            "`{}` is indented {} but the mapping's keys are indented {k}; read as a key of that mapping",
                            key.slice(self.src),
                            spaces(m)
                        ),
                    );
                    if !edits.is_empty() {
                        d = d.with_fix("Fix the indentation", edits);
                    }
                    self.push_diag(d);
                    *span = span.cover(node.span);
                    let mut index = None;
                    for e in more {
                        self.push_entry(entries, &mut index, e);
                    }
                }
                _ => {
                    let span = Span::new(before, node.span.end.max(before));
                    let span = if span.is_empty() {
                        self.line_text_span(before)
                    } else {
                        span
                    };
                    self.syntax(
                        span,
                        "content that does not fit the document's structure; it is ignored",
                    );
                }
            }
            if self.pos == before {
                // Guarantee progress.
                self.skip_line_and_children(m);
            }
        }
        root
    }

    /// Column of `at` on its line (looking back at most 4 KiB).
    fn column_of(&self, at: usize) -> usize {
        let lo = at.saturating_sub(4096);
        match self.b[lo..at].iter().rposition(|&c| c == b'\n') {
            Some(k) => at - (lo + k + 1),
            None if lo == 0 => at,
            None => 0,
        }
    }

    // ----- block structure ------------------------------------------------------------------

    /// The value that follows `key:` (`compact` false) or `-` (`compact` true). `parent` is the
    /// indentation of the collection holding it; `here` is where an empty value is placed.
    fn block_node(&mut self, parent: isize, seq_ok: bool, compact: bool, here: usize) -> Node {
        self.pos = self.skip_blanks(self.pos);
        if self.is_eol(self.pos) || self.byte(self.pos) == b'#' {
            return self.below(parent, seq_ok, here);
        }
        if compact {
            let col = self.column();
            self.node_at(col, parent)
        } else {
            self.inline(parent, seq_ok, false)
        }
    }

    /// A node on the following lines (indented more than `parent`), or an empty value.
    fn below(&mut self, parent: isize, seq_ok: bool, here: usize) -> Node {
        match self.next_line() {
            Some(m) if m as isize > parent => self.node_at(m, parent),
            Some(m) if seq_ok && m as isize == parent && self.is_dash(self.pos) => {
                self.block_seq(m)
            }
            _ => Node {
                span: Span::empty(here),
                value: Value::Null,
            },
        }
    }

    /// A node whose first byte is at `pos`, at column `indent`.
    fn node_at(&mut self, indent: usize, parent: isize) -> Node {
        if self.is_dash(self.pos) {
            return self.block_seq(indent);
        }
        if self.byte(self.pos) == b'?' && self.is_ws_or_eol(self.pos + 1) {
            let at = self.pos;
            self.syntax(
                Span::new(at, at + 1),
                "explicit keys (`? `) are not supported; this entry is ignored",
            );
            self.skip_line_and_children(indent);
            return Node {
                span: Span::new(at, at + 1),
                value: Value::Null,
            };
        }
        if let Some(k) = self.scan_key(self.pos) {
            return self.block_map(indent, k);
        }
        self.inline(parent, false, true)
    }

    /// Anchors and tags (`&a !!str`), then the node they belong to.
    fn inline(&mut self, parent: isize, seq_ok: bool, compact: bool) -> Node {
        let mut anchor: Option<&'a str> = None;
        let mut props = false;
        while matches!(self.byte(self.pos), b'&' | b'!') {
            props = true;
            let start = self.pos;
            let end = self.token_end(start + 1, false);
            if self.b[start] == b'&' {
                if end == start + 1 {
                    self.syntax(Span::new(start, start + 1), "an anchor `&` without a name");
                }
                anchor = Some(&self.src[start + 1..end]);
            }
            self.pos = self.skip_blanks(end);
        }
        let node = if props && (self.is_eol(self.pos) || self.byte(self.pos) == b'#') {
            let here = self.pos;
            self.below(parent, seq_ok, here)
        } else if props && compact {
            let col = self.column();
            self.node_at(col, parent)
        } else {
            self.inline_value(parent)
        };
        if let Some(name) = anchor {
            self.define_anchor(name, &node);
        }
        node
    }

    /// End of an anchor, alias or tag name starting at `i`.
    fn token_end(&self, mut i: usize, flow: bool) -> usize {
        while i < self.b.len() {
            let c = self.b[i];
            if is_blank(c) || c == b'\n' || c == b'\r' || (flow && is_flow_indicator(c)) {
                break;
            }
            i += 1;
        }
        i
    }

    /// A scalar, flow collection or alias starting at `pos` (on the line of its key).
    fn inline_value(&mut self, parent: isize) -> Node {
        let at = self.pos;
        match self.byte(at) {
            b'"' | b'\'' => self.quoted(at, parent),
            b'[' | b'{' => self.flow(parent),
            b'|' | b'>' => self.block_scalar(parent),
            b'*' => self.alias(false),
            b'&' | b'!' => self.inline(parent, false, false),
            c => {
                let dash = c == b'-' && self.is_ws_or_eol(at + 1);
                let reserved = matches!(c, b'@' | b'`' | b']' | b'}' | b',');
                let node = self.plain(parent, !(dash || reserved));
                let text = node.as_str().unwrap_or("").to_string();
                if reserved {
                    let d = Diagnostic::new(
                        "yaml-syntax",
                        node.span,
                        format!("`{}` cannot start a plain value; quote it", c as char),
                    )
                    .with_fix(
                        "Quote the value",
                        vec![TextEdit {
                            path: String::new(),
                            span: node.span,
                            new_text: quote_double(&text),
                        }],
                    );
                    self.push_diag(d);
                } else if dash {
                    let mut ws = at;
                    while ws > self.line_start && is_blank(self.b[ws - 1]) {
                        ws -= 1;
                    }
                    let indent = " ".repeat((parent.max(0) + 2) as usize);
                    let d = Diagnostic::new(
                        "yaml-syntax",
                        node.span,
                        "a sequence cannot start on the line of its key; YAML reads this as an error",
                    )
                    .with_fix(
                        "Move the item to its own line",
                        vec![TextEdit {
                            path: String::new(),
                            span: Span::new(ws, at),
                            new_text: format!("\n{indent}"),
                        }],
                    );
                    self.push_diag(d);
                }
                node
            }
        }
    }

    /// Find `key:` at `p`: a plain key followed by `: ` (or `:` at the end of the line), or a
    /// single-line quoted key followed by `:`.
    fn scan_key(&self, p: usize) -> Option<KeyScan> {
        let len = self.b.len();
        if p >= len {
            return None;
        }
        let c = self.b[p];
        if c == b'"' || c == b'\'' {
            let end = self.quoted_end_on_line(p)?;
            let i = self.skip_blanks(end);
            if self.byte(i) == b':' && self.is_ws_or_eol(i + 1) {
                return Some(KeyScan {
                    span: Span::new(p, end),
                    colon: i,
                    quoted: true,
                });
            }
            return None;
        }
        if matches!(
            c,
            b'[' | b'{'
                | b']'
                | b'}'
                | b','
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'%'
                | b'@'
                | b'`'
        ) || c == b'\n'
            || c == b'\r'
        {
            return None;
        }
        if matches!(c, b'-' | b'?' | b':') && self.is_ws_or_eol(p + 1) {
            return None;
        }
        let mut i = p;
        while i < len {
            match self.b[i] {
                b'\n' => return None,
                b':' if self.is_ws_or_eol(i + 1) => {
                    let mut e = i;
                    while e > p && is_blank(self.b[e - 1]) {
                        e -= 1;
                    }
                    return Some(KeyScan {
                        span: Span::new(p, e),
                        colon: i,
                        quoted: false,
                    });
                }
                b'#' if i > p && is_blank(self.b[i - 1]) => return None,
                _ => i += 1,
            }
        }
        None
    }

    /// True when the line content at `j` is `identifier: ...` (a key a person would write),
    /// which ends a multi-line plain scalar instead of continuing it.
    fn key_like(&self, j: usize) -> bool {
        let c = self.byte(j);
        if c == b'"' || c == b'\'' {
            return self.scan_key(j).is_some();
        }
        let mut i = j;
        while i < self.b.len() {
            let c = self.b[i];
            if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/') || c >= 0x80 {
                i += 1;
            } else {
                break;
            }
        }
        i > j && self.byte(i) == b':' && self.is_ws_or_eol(i + 1)
    }

    /// Position after the closing quote of a quoted scalar starting at `p`, if it closes on
    /// the same line.
    fn quoted_end_on_line(&self, p: usize) -> Option<usize> {
        let q = self.b[p];
        let mut i = p + 1;
        while i < self.b.len() {
            let c = self.b[i];
            if c == b'\n' || (c == b'\r' && self.is_eol(i)) {
                return None;
            }
            if q == b'"' && c == b'\\' {
                i += 2;
                continue;
            }
            if c == q {
                if q == b'\'' && self.byte(i + 1) == b'\'' {
                    i += 2;
                    continue;
                }
                return Some(i + 1);
            }
            i += 1;
        }
        None
    }

    fn key_text(&mut self, k: &KeyScan) -> String {
        if k.quoted {
            let save = (self.pos, self.line_start);
            let n = self.quoted(k.span.start, isize::MAX);
            self.pos = save.0;
            self.line_start = save.1;
            match n.value {
                Value::Scalar { text, .. } => text,
                _ => String::new(),
            }
        } else {
            self.src[k.span.start..k.span.end].to_string()
        }
    }

    fn push_entry(
        &mut self,
        entries: &mut Vec<Entry>,
        index: &mut Option<HashMap<String, usize>>,
        entry: Entry,
    ) {
        const INDEX_FROM: usize = 16;
        let first = if entries.len() < INDEX_FROM {
            entries.iter().position(|e| e.key == entry.key)
        } else {
            let idx = index.get_or_insert_with(|| {
                let mut m = HashMap::with_capacity(entries.len() * 2);
                for (i, e) in entries.iter().enumerate() {
                    m.entry(e.key.clone()).or_insert(i);
                }
                m
            });
            let found = idx.get(&entry.key).copied();
            if found.is_none() {
                idx.insert(entry.key.clone(), entries.len());
            }
            found
        };
        if let Some(i) = first {
            let first_span = entries[i].key_span;
            self.push_diag(
                Diagnostic::new(
                    "yaml-duplicate-key",
                    entry.key_span,
                    format!(
                        "duplicate key `{}` in this mapping; the later value is used",
                        entry.key
                    ),
                )
                .with_related(
                    "",
                    first_span,
                    format!("first `{}` is here", entry.key),
                ),
            );
        }
        entries.push(entry);
    }

    /// Give up on a collection nested too deeply: skip it and return an empty value.
    fn too_deep_block(&mut self, n: usize, is_map: bool) -> Node {
        let at = self.pos;
        self.report_depth(at);
        self.pos = self.content_end(self.pos);
        let end = self.pos;
        loop {
            let e = self.eol_from(self.pos);
            if e >= self.b.len() {
                self.pos = self.b.len();
                break;
            }
            self.pos = e + 1;
            self.line_start = e + 1;
            match self.next_line() {
                Some(m) if m > n || (m == n && (is_map || self.is_dash(self.pos))) => {}
                _ => break,
            }
        }
        Node {
            span: Span::new(at, end),
            value: Value::Null,
        }
    }

    fn block_map(&mut self, n: usize, first: KeyScan) -> Node {
        if self.depth >= MAX_DEPTH {
            return self.too_deep_block(n, true);
        }
        self.depth += 1;
        let start = first.span.start;
        let mut entries: Vec<Entry> = Vec::new();
        let mut index = None;
        let mut pending = Some(first);
        // The key whose value was a scalar on its own line (for the indented-sibling check).
        let mut scalar_key: Option<Span>;
        'outer: loop {
            let before = self.pos;
            match pending.take().or_else(|| self.scan_key(self.pos)) {
                Some(k) => {
                    let key = self.key_text(&k);
                    self.pos = k.colon + 1;
                    let value = self.block_node(n as isize, true, false, k.colon + 1);
                    let inline_scalar = matches!(
                        value.value,
                        Value::Scalar {
                            style: ScalarStyle::Plain
                                | ScalarStyle::SingleQuoted
                                | ScalarStyle::DoubleQuoted,
                            ..
                        }
                    ) || (value.is_null() && !value.span.is_empty());
                    scalar_key = (inline_scalar
                        && !self.b[k.colon..value.span.start.max(k.colon)].contains(&b'\n'))
                    .then_some(k.span);
                    let span = Span::new(k.span.start, value.span.end.max(k.colon + 1));
                    self.push_entry(
                        &mut entries,
                        &mut index,
                        Entry {
                            key,
                            key_span: k.span,
                            value,
                            span,
                        },
                    );
                }
                None => {
                    scalar_key = None;
                    self.not_a_key(n);
                }
            }
            loop {
                let Some(m) = self.next_line() else {
                    break 'outer;
                };
                if m == n {
                    if self.pos == before {
                        // No progress (cannot happen, but never loop forever).
                        self.skip_line_and_children(n);
                        continue;
                    }
                    continue 'outer;
                }
                if m < n {
                    break 'outer;
                }
                self.over_indented_in_map(n, m, &mut entries, &mut index, scalar_key.take());
            }
        }
        self.depth -= 1;
        let end = entries.last().map(|e| e.span.end).unwrap_or(start);
        Node {
            span: Span::new(start, end.max(start)),
            value: Value::Map(entries),
        }
    }

    /// A line at a mapping's indentation that is not `key: value`.
    fn not_a_key(&mut self, n: usize) {
        let at = self.pos;
        if self.is_dash(at) {
            self.syntax(
                Span::new(at, at + 1),
                "a sequence item where a `key: value` of the mapping was expected; it is ignored",
            );
            let _ = self.block_seq(n);
            return;
        }
        if matches!(self.byte(at), b'?' | b':') && self.is_ws_or_eol(at + 1) {
            self.syntax(
                Span::new(at, at + 1),
                "explicit keys (`? key` / `: value`) are not supported; this entry is ignored",
            );
            self.skip_line_and_children(n);
            return;
        }
        let end = self.content_end(at);
        let line = &self.src[at..end];
        // `key:value` without a space.
        let mut d = None;
        if let Some(k) = line.find(':') {
            let key = &line[..k];
            if k > 0
                && key
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
            {
                d = Some(
                    Diagnostic::new(
                        "yaml-syntax",
                        Span::new(at, end),
                        format!("expected `key: value`; add a space after `{key}:`"),
                    )
                    .with_fix(
                        "Add a space after the colon",
                        vec![TextEdit {
                            path: String::new(),
                            span: Span::empty(at + k + 1),
                            new_text: " ".into(),
                        }],
                    ),
                );
            }
        }
        let d = d.unwrap_or_else(|| {
            Diagnostic::new(
                "yaml-syntax",
                Span::new(
                    at,
                    end.max(at + self.char_len(at).min(end.saturating_sub(at))),
                ),
                format!("expected `key: value`, found `{line}`; this line is ignored"),
            )
        });
        self.push_diag(d);
        self.skip_line_and_children(n);
    }

    /// Lines indented `m` > `n` after a complete entry of the mapping at `n`.
    fn over_indented_in_map(
        &mut self,
        n: usize,
        m: usize,
        entries: &mut Vec<Entry>,
        index: &mut Option<HashMap<String, usize>>,
        scalar_key: Option<Span>,
    ) {
        let first_line = self.line_start;
        let before = self.pos;
        let key = self.scan_key(self.pos);
        let node = self.node_at(m, n as isize);
        let _ = self.next_line();
        let to = self.block_end_line();
        match (node.value, key) {
            (Value::Map(more), Some(key)) => {
                let edits = self.reindent_edits(first_line, to, m, n);
                let name = key.span.slice(self.src).to_string();
                let d = match scalar_key {
                    Some(parent) => {
                        let pname = parent.slice(self.src);
                        Diagnostic::new(
                            "yaml-indented-sibling",
                            key.span,
                            format!(
                                "`{name}` is indented under the scalar value of `{pname}`; YAML reads this as an error. Did you mean a sibling key?"
                            ),
                        )
                        .with_related("", parent, format!("`{pname}` has a scalar value"))
                        .with_fix(format!("Dedent `{name}` to make it a sibling of `{pname}`"), edits)
                    }
                    None => Diagnostic::new(
                        "yaml-syntax",
                        key.span,
                        format!(
                            "`{name}` is indented {} but this mapping's keys are indented {n}; read as a key of this mapping",
                            spaces(m)
                        ),
                    )
                    .with_fix("Fix the indentation", edits),
                };
                self.push_diag(d);
                for e in more {
                    self.push_entry(entries, index, e);
                }
            }
            _ => {
                let span = if node.span.is_empty() {
                    self.line_text_span(before)
                } else {
                    Span::new(before.min(node.span.start), node.span.end)
                };
                self.syntax(
                    span,
                    format!(
                        "unexpected indented content ({} under a complete value); it is ignored",
                        spaces(m)
                    ),
                );
            }
        }
        if self.pos == before {
            self.skip_line_and_children(n);
        }
    }

    fn block_seq(&mut self, n: usize) -> Node {
        if self.depth >= MAX_DEPTH {
            return self.too_deep_block(n, false);
        }
        self.depth += 1;
        let start = self.pos;
        let mut items: Vec<Node> = Vec::new();
        'outer: loop {
            let dash = self.pos;
            self.pos += 1;
            let item = self.block_node(n as isize, false, true, dash + 1);
            items.push(item);
            loop {
                let Some(m) = self.next_line() else {
                    break 'outer;
                };
                if m == n && self.is_dash(self.pos) {
                    continue 'outer;
                }
                if m <= n {
                    break 'outer;
                }
                self.over_indented_in_seq(n, m, &mut items);
            }
        }
        self.depth -= 1;
        let end = items.last().map(|i| i.span.end).unwrap_or(start + 1);
        Node {
            span: Span::new(start, end.max(start + 1)),
            value: Value::Seq(items),
        }
    }

    /// Lines indented `m` > `n` after a complete item of the sequence at `n`.
    fn over_indented_in_seq(&mut self, n: usize, m: usize, items: &mut [Node]) {
        let first_line = self.line_start;
        let before = self.pos;
        let key = self.scan_key(self.pos);
        let node = self.node_at(m, n as isize);
        let _ = self.next_line();
        let to = self.block_end_line();
        let last_map = items
            .last_mut()
            .filter(|i| i.is_map() && !i.entries().is_empty());
        match (node.value, key, last_map) {
            (Value::Map(more), Some(key), Some(last)) => {
                let k = self.column_of(last.entries()[0].key_span.start);
                let edits = self.reindent_edits(first_line, to, m, k);
                let name = key.span.slice(self.src);
                let mut d = Diagnostic::new(
                    "yaml-syntax",
                    key.span,
                    format!(
                        "`{name}` is indented {} but the item's keys are indented {k}; read as a key of the item above",
                        spaces(m)
                    ),
                );
                if !edits.is_empty() {
                    d = d.with_fix("Fix the indentation", edits);
                }
                self.push_diag(d);
                last.span = last.span.cover(node.span);
                let mut index = None;
                if let Value::Map(entries) = &mut last.value {
                    let mut taken = std::mem::take(entries);
                    for e in more {
                        self.push_entry(&mut taken, &mut index, e);
                    }
                    *entries = taken;
                }
            }
            _ => {
                let span = if node.span.is_empty() {
                    self.line_text_span(before)
                } else {
                    Span::new(before.min(node.span.start), node.span.end)
                };
                self.syntax(
                    span,
                    format!(
                        "unexpected indented content ({} under a sequence item); it is ignored",
                        spaces(m)
                    ),
                );
            }
        }
        if self.pos == before {
            self.skip_line_and_children(n);
        }
    }

    // ----- scalars --------------------------------------------------------------------------

    /// Scan one line of a plain scalar from `j`: (end of text, comment start, contains `: `).
    fn plain_line(&self, j: usize) -> (usize, Option<usize>, bool) {
        let end = self.content_end(j);
        let mut colon = false;
        let mut comment = None;
        let mut i = j;
        while i < end {
            match self.b[i] {
                b':' if self.is_ws_or_eol(i + 1) => colon = true,
                b'#' if i > j && is_blank(self.b[i - 1]) => {
                    comment = Some(i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let mut e = comment.unwrap_or(end);
        while e > j && is_blank(self.b[e - 1]) {
            e -= 1;
        }
        (e, comment, colon)
    }

    /// A plain scalar in block context; continuation lines must be indented more than `parent`.
    fn plain(&mut self, parent: isize, check_mapping: bool) -> Node {
        let start = self.pos;
        let (end, comment, mut colon) = self.plain_line(start);
        let mut last_end = end;
        let mut text: Option<String> = None;
        let len = self.b.len();
        if comment.is_none() {
            loop {
                // Peek at the next content line.
                let mut i = self.eol_from(last_end);
                let mut blanks = 0usize;
                let (ls, j) = loop {
                    if i >= len {
                        break (len, len);
                    }
                    i += 1;
                    let j = self.skip_blanks(i);
                    if j < len && self.is_eol(j) {
                        blanks += 1;
                        i = self.eol_from(j);
                        continue;
                    }
                    break (i, j);
                };
                if j >= len {
                    break;
                }
                let indent = (j - ls) as isize;
                if indent <= parent
                    || self.b[j] == b'#'
                    || (j == ls && self.is_doc_marker(j))
                    || self.key_like(j)
                {
                    break;
                }
                let (e, c, col) = self.plain_line(j);
                let t = text.get_or_insert_with(|| self.src[start..end].to_string());
                if blanks == 0 {
                    t.push(' ');
                } else {
                    for _ in 0..blanks {
                        t.push('\n');
                    }
                }
                t.push_str(&self.src[j..e]);
                colon |= col;
                last_end = e;
                self.line_start = ls;
                if c.is_some() {
                    break;
                }
            }
        }
        self.pos = last_end;
        let span = Span::new(start, last_end);
        let value = match text {
            Some(text) => Value::Scalar {
                text,
                style: ScalarStyle::Plain,
            },
            None => {
                let s = &self.src[start..end];
                if matches!(s, "~" | "null" | "Null" | "NULL" | "") {
                    Value::Null
                } else {
                    Value::Scalar {
                        text: s.to_string(),
                        style: ScalarStyle::Plain,
                    }
                }
            }
        };
        if colon && check_mapping {
            let shown = match &value {
                Value::Scalar { text, .. } => text.as_str(),
                _ => "",
            };
            let fix = quote_double(shown);
            let d = Diagnostic::new(
                "yaml-scalar-mapping",
                span,
                format!(
                    "the value `{shown}` contains ': ', which YAML reads as a nested mapping (an error); quote it to keep it as text"
                ),
            )
            .with_fix(
                "Quote the value",
                vec![TextEdit {
                    path: String::new(),
                    span,
                    new_text: fix,
                }],
            );
            self.push_diag(d);
        }
        Node { span, value }
    }

    /// A single- or double-quoted scalar starting at `start` (which holds the quote).
    /// Continuation lines must be indented more than `parent` (unless they close the quote).
    fn quoted(&mut self, start: usize, parent: isize) -> Node {
        let len = self.b.len();
        let q = self.b[start];
        let double = q == b'"';
        let style = if double {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::SingleQuoted
        };
        let mut buf = String::new();
        // Length of `buf` that trailing-space trimming must not cut (escapes).
        let mut keep = 0usize;
        let mut i = start + 1;
        let mut line_start = self.line_start;
        let mut first_line: Option<(usize, usize)> = None; // (buf len, line content end)
        let closed = loop {
            let run = i;
            while i < len {
                let c = self.b[i];
                if c == q || c == b'\n' || c == b'\r' || (double && c == b'\\') {
                    break;
                }
                i += 1;
            }
            buf.push_str(&self.src[run..i]);
            if i >= len {
                break false;
            }
            let c = self.b[i];
            if c == q {
                if !double && self.byte(i + 1) == b'\'' {
                    buf.push('\'');
                    keep = buf.len();
                    i += 2;
                    continue;
                }
                i += 1;
                break true;
            }
            if c == b'\\' {
                let e = self.byte(i + 1);
                if e == b'\n' || (e == b'\r' && self.is_eol(i + 1)) {
                    // Escaped line break: joins the lines without a space.
                    if first_line.is_none() {
                        first_line = Some((buf.len(), i));
                    }
                    let nl = self.eol_from(i + 1);
                    if nl >= len {
                        break false;
                    }
                    line_start = nl + 1;
                    i = self.skip_blanks(nl + 1);
                    if (i - line_start) as isize <= parent && self.byte(i) != q && !self.is_eol(i) {
                        break false;
                    }
                    keep = buf.len();
                    continue;
                }
                let (decoded, used) = self.escape(i);
                match decoded {
                    Some(ch) => buf.push(ch),
                    None => {
                        let span = Span::new(i, i + used);
                        let esc = span.slice(self.src).to_string();
                        self.syntax(
                            span,
                            format!("unknown escape `{esc}` in a double-quoted string"),
                        );
                        buf.push_str(&esc);
                    }
                }
                keep = buf.len();
                i += used;
                continue;
            }
            if c == b'\r' && !self.is_eol(i) {
                buf.push('\r');
                i += 1;
                continue;
            }
            // A line break inside the scalar: fold.
            let trimmed = buf.trim_end_matches([' ', '\t']).len().max(keep);
            buf.truncate(trimmed);
            // Recorded after the trim: the folded text appended next must not be cut into
            // (a length taken before the trim can fall inside a later multi-byte character).
            if first_line.is_none() {
                first_line = Some((buf.len(), i));
            }
            let (ls, j, blanks) = self.next_content_line(self.eol_from(i));
            if j >= len {
                break false;
            }
            let indent = (j - ls) as isize;
            if (indent <= parent && self.b[j] != q) || (j == ls && self.is_doc_marker(j)) {
                break false;
            }
            if blanks == 0 {
                buf.push(' ');
            } else {
                for _ in 0..blanks {
                    buf.push('\n');
                }
            }
            keep = buf.len().min(keep);
            line_start = ls;
            i = j;
        };
        if closed {
            self.pos = i;
            self.line_start = line_start;
            return Node {
                span: Span::new(start, i),
                value: Value::Scalar { text: buf, style },
            };
        }
        // Unclosed: keep the first line's text, read on from the next line.
        let (text_len, line_end) = first_line.unwrap_or((buf.len(), self.content_end(start)));
        let line_end = line_end.min(self.content_end(start));
        buf.truncate(text_len);
        let quote = if double { "double" } else { "single" };
        self.syntax(
            Span::new(start, line_end.max(start + 1)),
            format!("unclosed {quote} quote: the string is never closed; read up to the end of its line"),
        );
        self.pos = line_end;
        let text = buf.trim_end_matches([' ', '\t']).to_string();
        Node {
            span: Span::new(start, line_end.max(start + 1)),
            value: Value::Scalar { text, style },
        }
    }

    /// Decode the escape at `i` (a backslash): (char, bytes used). None for unknown escapes.
    fn escape(&self, i: usize) -> (Option<char>, usize) {
        let e = self.byte(i + 1);
        if i + 1 >= self.b.len() {
            return (None, 1);
        }
        let simple = match e {
            b'0' => Some('\0'),
            b'a' => Some('\u{7}'),
            b'b' => Some('\u{8}'),
            b't' | b'\t' => Some('\t'),
            b'n' => Some('\n'),
            b'v' => Some('\u{b}'),
            b'f' => Some('\u{c}'),
            b'r' => Some('\r'),
            b'e' => Some('\u{1b}'),
            b' ' => Some(' '),
            b'"' => Some('"'),
            b'/' => Some('/'),
            b'\\' => Some('\\'),
            b'N' => Some('\u{85}'),
            b'_' => Some('\u{a0}'),
            b'L' => Some('\u{2028}'),
            b'P' => Some('\u{2029}'),
            _ => None,
        };
        if let Some(c) = simple {
            return (Some(c), 2);
        }
        let digits = match e {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            _ => return (None, 1 + self.char_len(i + 1)),
        };
        let from = i + 2;
        let to = from + digits;
        if to <= self.b.len() && self.b[from..to].iter().all(|c| c.is_ascii_hexdigit()) {
            if let Some(c) = u32::from_str_radix(&self.src[from..to], 16)
                .ok()
                .and_then(char::from_u32)
            {
                return (Some(c), 2 + digits);
            }
            return (None, 2 + digits);
        }
        (None, 2)
    }

    /// A literal (`|`) or folded (`>`) block scalar; `pos` is at the indicator.
    fn block_scalar(&mut self, parent: isize) -> Node {
        let len = self.b.len();
        let start = self.pos;
        let literal = self.b[start] == b'|';
        let mut i = start + 1;
        let mut chomp = Chomp::Clip;
        let mut explicit: Option<usize> = None;
        for _ in 0..2 {
            match self.byte(i) {
                b'-' if i < len => chomp = Chomp::Strip,
                b'+' if i < len => chomp = Chomp::Keep,
                c @ b'1'..=b'9' => explicit = Some((c - b'0') as usize),
                _ => break,
            }
            i += 1;
        }
        let header_end = i;
        let j = self.skip_blanks(i);
        if j < len && self.b[j] == b'#' {
            self.comment(j);
        } else if !self.is_eol(j) {
            let end = self.content_end(j);
            self.syntax(
                Span::new(j, end),
                "unexpected text after the block scalar indicator; it is ignored",
            );
        }
        let mut indent: Option<usize> =
            explicit.map(|d| (parent.max(-1) + d as isize).max(0) as usize);
        // Content lines: Some((start, end)) of the text after the indentation, None when empty.
        let mut lines: Vec<Option<(usize, usize)>> = Vec::new();
        let mut last_content_end = header_end;
        let mut last_content_line = self.line_start;
        let mut consumed = 0usize; // number of entries in `lines` that belong to the scalar
        let mut nl = self.eol_from(j);
        while nl + 1 < len {
            let ls = nl + 1;
            let mut s = ls;
            while s < len && self.b[s] == b' ' {
                s += 1;
            }
            let ce = self.content_end(ls);
            let spaces = s - ls;
            let all_blank = self.b[s..ce].iter().all(|&c| is_blank(c));
            if s >= ce || (all_blank && indent.is_none_or(|ind| spaces <= ind)) {
                // An empty line (possibly with fewer spaces than the indentation).
                match indent {
                    Some(ind) if spaces > ind => lines.push(Some((ls + ind, ce))),
                    _ => lines.push(None),
                }
                if ls >= len {
                    break;
                }
                nl = self.eol_from(ls);
                continue;
            }
            let ind = match indent {
                Some(ind) => ind,
                None => {
                    if spaces as isize <= parent {
                        break;
                    }
                    indent = Some(spaces);
                    spaces
                }
            };
            if spaces < ind || (spaces == 0 && self.is_doc_marker(ls)) {
                break;
            }
            lines.push(Some((ls + ind, ce)));
            consumed = lines.len();
            last_content_end = ce;
            last_content_line = ls;
            nl = self.eol_from(ls);
        }
        // Trailing empty lines after the last content line.
        let trailing = lines[consumed..].len();
        lines.truncate(consumed);
        let mut out = String::new();
        if literal {
            for (k, l) in lines.iter().enumerate() {
                if k > 0 {
                    out.push('\n');
                }
                if let Some((a, b)) = l {
                    out.push_str(&self.src[*a..*b]);
                }
            }
        } else {
            // Folding: a break between two "normal" lines becomes a space; empty lines become
            // newlines; breaks next to more-indented lines are kept.
            let mut prev_more: Option<bool> = None;
            let mut empties = 0usize;
            for l in &lines {
                match l {
                    None => empties += 1,
                    Some((a, b)) => {
                        let more = is_blank(self.byte(*a)) && a < b;
                        match prev_more {
                            None => (0..empties).for_each(|_| out.push('\n')),
                            Some(false) if !more => {
                                if empties == 0 {
                                    out.push(' ');
                                } else {
                                    (0..empties).for_each(|_| out.push('\n'));
                                }
                            }
                            Some(_) => (0..=empties).for_each(|_| out.push('\n')),
                        }
                        out.push_str(&self.src[*a..*b]);
                        prev_more = Some(more);
                        empties = 0;
                    }
                }
            }
        }
        let has_content = lines.iter().any(|l| l.is_some());
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => {
                if has_content {
                    out.push('\n');
                }
            }
            Chomp::Keep => {
                if has_content {
                    out.push('\n');
                }
                (0..trailing).for_each(|_| out.push('\n'));
            }
        }
        if has_content {
            self.pos = last_content_end;
            self.line_start = last_content_line;
        } else {
            self.pos = self.content_end(j);
        }
        let span_end = if has_content {
            last_content_end
        } else {
            header_end
        };
        Node {
            span: Span::new(start, span_end),
            value: Value::Scalar {
                text: out,
                style: if literal {
                    ScalarStyle::Literal
                } else {
                    ScalarStyle::Folded
                },
            },
        }
    }

    // ----- anchors and aliases ------------------------------------------------------------

    fn define_anchor(&mut self, name: &'a str, node: &Node) {
        if name.is_empty() {
            return;
        }
        let src = self.src;
        let names = self.alias_names.get_or_insert_with(|| {
            let b = src.as_bytes();
            let mut set = HashSet::new();
            let mut i = 0;
            while let Some(k) = src[i..].find('*') {
                let s = i + k + 1;
                let mut e = s;
                while e < b.len()
                    && !(is_blank(b[e])
                        || b[e] == b'\n'
                        || b[e] == b'\r'
                        || is_flow_indicator(b[e]))
                {
                    e += 1;
                }
                if e > s {
                    set.insert(&src[s..e]);
                }
                i = e.max(s);
                if i >= b.len() {
                    break;
                }
            }
            set
        });
        if !names.contains(name) {
            return;
        }
        let (count, height) = measure(node, self.anchor_budget);
        let anchor = if count <= self.anchor_budget {
            self.anchor_budget -= count;
            Anchor::Stored {
                node: node.clone(),
                count,
                height,
            }
        } else {
            Anchor::TooLarge
        };
        self.anchors.insert(name.to_string(), anchor);
    }

    fn alias(&mut self, flow: bool) -> Node {
        let start = self.pos;
        let end = self.token_end(start + 1, flow);
        self.pos = end;
        let span = Span::new(start, end);
        let name = &self.src[start + 1..end];
        let null = Node {
            span,
            value: Value::Null,
        };
        let found = match self.anchors.get(name) {
            None => None,
            Some(Anchor::TooLarge) => Some(None),
            Some(Anchor::Stored { count, height, .. }) => Some(Some((*count, *height))),
        };
        match found {
            None => {
                self.syntax(
                    span,
                    format!("unknown alias `*{name}`: no anchor `&{name}` before it"),
                );
                null
            }
            Some(None) => {
                self.alias_limit(span);
                null
            }
            Some(Some((count, height))) => {
                if count > self.budget {
                    self.alias_limit(span);
                    return null;
                }
                if self.depth + height > MAX_DEPTH {
                    self.report_depth(start);
                    return null;
                }
                self.budget -= count;
                let Some(Anchor::Stored { node, .. }) = self.anchors.get(name) else {
                    return null;
                };
                let mut n = node.clone();
                n.span = span;
                n
            }
        }
    }

    fn alias_limit(&mut self, span: Span) {
        if !self.alias_reported {
            self.alias_reported = true;
            self.error(
                "yaml-alias-limit",
                span,
                format!(
                    "aliases expand to more than {MAX_ALIAS_EXPANSION} nodes (an alias bomb?); this and further expansions are left empty"
                ),
            );
        }
    }

    // ----- flow collections ---------------------------------------------------------------

    /// Skip blanks, line breaks and comments inside a flow collection. Returns false when the
    /// collection must be taken as unclosed here: end of text, end of document, or a line
    /// indented no more than `parent` that does not start with a closing bracket.
    fn flow_ws(&mut self, parent: isize) -> bool {
        let len = self.b.len();
        loop {
            self.pos = self.skip_blanks(self.pos);
            if self.pos >= len {
                return false;
            }
            match self.b[self.pos] {
                b'#' => {
                    self.comment(self.pos);
                    self.pos = self.content_end(self.pos);
                }
                b'\n' | b'\r' if self.is_eol(self.pos) => {
                    let nl = self.eol_from(self.pos);
                    if nl >= len {
                        self.pos = len;
                        return false;
                    }
                    let ls = nl + 1;
                    let j = self.skip_blanks(ls);
                    self.line_start = ls;
                    self.pos = j;
                    if j >= len {
                        return false;
                    }
                    if self.is_eol(j) || self.b[j] == b'#' {
                        continue;
                    }
                    if (j == ls && self.is_doc_marker(j))
                        || ((j - ls) as isize <= parent && !matches!(self.b[j], b']' | b'}' | b','))
                    {
                        return false;
                    }
                }
                _ => return true,
            }
        }
    }

    fn flow(&mut self, parent: isize) -> Node {
        let start = self.pos;
        let is_seq = self.b[start] == b'[';
        if self.depth >= MAX_DEPTH {
            self.report_depth(start);
            self.skip_flow(parent);
            return Node {
                span: Span::new(start, self.pos.max(start + 1)),
                value: Value::Null,
            };
        }
        self.depth += 1;
        let close = if is_seq { b']' } else { b'}' };
        let mut items: Vec<Node> = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        let mut index = None;
        self.pos += 1;
        let mut closed = false;
        loop {
            if !self.flow_ws(parent) {
                break;
            }
            let c = self.b[self.pos];
            if c == close {
                self.pos += 1;
                closed = true;
                break;
            }
            if c == b']' || c == b'}' {
                self.syntax(
                    Span::new(self.pos, self.pos + 1),
                    format!("expected `{}`, found `{}`", close as char, c as char),
                );
                self.pos += 1;
                closed = true;
                break;
            }
            if c == b',' {
                self.syntax(
                    Span::new(self.pos, self.pos + 1),
                    "empty entry: two commas in a row",
                );
                self.pos += 1;
                continue;
            }
            let before = self.pos;
            if c == b'?' && self.is_ws_or_eol(self.pos + 1) {
                self.pos += 1;
                if !self.flow_ws(parent) {
                    break;
                }
            }
            let key_start = self.pos;
            let key = self.flow_node(parent);
            let json_key = matches!(self.byte(key_start), b'"' | b'\'' | b'[' | b'{');
            let mut ok = self.flow_ws(parent);
            let mut value = None;
            if ok && self.b[self.pos] == b':' {
                let nx = self.byte(self.pos + 1);
                if json_key || self.is_ws_or_eol(self.pos + 1) || is_flow_indicator(nx) {
                    let colon = self.pos;
                    self.pos += 1;
                    ok = self.flow_ws(parent);
                    let v = if ok && !matches!(self.b[self.pos], b',' | b']' | b'}') {
                        let v = self.flow_node(parent);
                        ok = self.flow_ws(parent);
                        v
                    } else {
                        Node {
                            span: Span::empty(colon + 1),
                            value: Value::Null,
                        }
                    };
                    value = Some(v);
                }
            }
            if is_seq {
                match value {
                    Some(v) => {
                        let key_text = self.flow_key_text(&key);
                        let span = key.span.cover(v.span);
                        items.push(Node {
                            span,
                            value: Value::Map(vec![Entry {
                                key: key_text,
                                key_span: key.span,
                                value: v,
                                span,
                            }]),
                        });
                    }
                    None => items.push(key),
                }
            } else {
                let key_text = self.flow_key_text(&key);
                let v = value.unwrap_or(Node {
                    span: Span::empty(key.span.end),
                    value: Value::Null,
                });
                let span = key.span.cover(v.span);
                let entry = Entry {
                    key: key_text,
                    key_span: key.span,
                    value: v,
                    span,
                };
                self.push_entry(&mut entries, &mut index, entry);
            }
            if !ok {
                break;
            }
            match self.b[self.pos] {
                b',' => self.pos += 1,
                b']' | b'}' => {}
                _ => {
                    let at = self.pos;
                    if at == before {
                        let l = self.char_len(at);
                        self.syntax(
                            Span::new(at, at + l),
                            "unexpected character in a flow collection",
                        );
                        self.pos += l;
                    } else {
                        self.syntax(
                            Span::new(at, at + self.char_len(at)),
                            format!("expected `,` or `{}`", close as char),
                        );
                    }
                }
            }
        }
        self.depth -= 1;
        if !closed && self.unclosed_at != Some(self.pos) {
            self.unclosed_at = Some(self.pos);
            let what = if is_seq { "[" } else { "{" };
            self.syntax(
                Span::new(start, start + 1),
                format!(
                    "`{what}` is never closed; expected `{}` before here",
                    close as char
                ),
            );
        }
        let end = if closed {
            self.pos
        } else {
            let last = if is_seq {
                items.last().map(|n| n.span.end)
            } else {
                entries.last().map(|e| e.span.end)
            };
            last.unwrap_or(start + 1)
        };
        if !closed && self.pos < self.b.len() && !self.at_content_start() {
            // Stopped mid-line (cannot happen for flow_ws failures, kept for safety).
            self.pos = self.content_end(self.pos);
        }
        Node {
            span: Span::new(start, end),
            value: if is_seq {
                Value::Seq(items)
            } else {
                Value::Map(entries)
            },
        }
    }

    fn flow_key_text(&self, key: &Node) -> String {
        match &key.value {
            Value::Scalar { text, .. } => text.clone(),
            Value::Null => String::new(),
            _ => key.span.slice(self.src).to_string(),
        }
    }

    /// Skip a flow collection without building it (past the nesting limit).
    fn skip_flow(&mut self, parent: isize) {
        let len = self.b.len();
        let mut depth = 0usize;
        let mut i = self.pos;
        while i < len {
            match self.b[i] {
                b'[' | b'{' => depth += 1,
                b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                q @ (b'"' | b'\'') => {
                    // Skip a quoted string on this line.
                    let mut k = i + 1;
                    while k < len && self.b[k] != q && self.b[k] != b'\n' {
                        if q == b'"' && self.b[k] == b'\\' {
                            k += 1;
                        }
                        k += 1;
                    }
                    i = k.min(len.saturating_sub(1)).max(i);
                    if i < len && self.b[i] == b'\n' {
                        continue;
                    }
                }
                b'\n' => {
                    let ls = i + 1;
                    let j = self.skip_blanks(ls);
                    self.line_start = ls;
                    if j < len
                        && !self.is_eol(j)
                        && self.b[j] != b'#'
                        && ((j == ls && self.is_doc_marker(j))
                            || ((j - ls) as isize <= parent
                                && !matches!(self.b[j], b']' | b'}' | b',')))
                    {
                        self.pos = j;
                        return;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.pos = i.min(len);
    }

    /// One node inside a flow collection.
    fn flow_node(&mut self, parent: isize) -> Node {
        let mut anchor: Option<&'a str> = None;
        while matches!(self.byte(self.pos), b'&' | b'!') {
            let start = self.pos;
            let end = self.token_end(start + 1, true);
            if self.b[start] == b'&' {
                anchor = Some(&self.src[start + 1..end]);
            }
            self.pos = end;
            if !self.flow_ws(parent) {
                break;
            }
        }
        let at = self.pos;
        let node = match self.byte(at) {
            _ if at >= self.b.len() => Node {
                span: Span::empty(at),
                value: Value::Null,
            },
            b'[' | b'{' => self.flow(parent),
            b'"' | b'\'' => self.quoted(at, parent),
            b'*' => self.alias(true),
            b',' | b']' | b'}' => Node {
                span: Span::empty(at),
                value: Value::Null,
            },
            b':' if self.is_ws_or_eol(at + 1) || is_flow_indicator(self.byte(at + 1)) => Node {
                span: Span::empty(at),
                value: Value::Null,
            },
            _ => self.flow_plain(parent),
        };
        if let Some(name) = anchor {
            self.define_anchor(name, &node);
        }
        node
    }

    /// A plain scalar inside a flow collection (may continue on following lines).
    fn flow_plain(&mut self, parent: isize) -> Node {
        let len = self.b.len();
        let start = self.pos;
        let mut text: Option<String> = None;
        let mut seg_start = start;
        let mut i = start;
        let mut end;
        loop {
            // Scan one line's part.
            while i < len {
                let c = self.b[i];
                if is_flow_indicator(c)
                    || c == b'\n'
                    || (c == b'\r' && self.is_eol(i))
                    || (c == b':'
                        && i > seg_start
                        && (self.is_ws_or_eol(i + 1) || is_flow_indicator(self.byte(i + 1))))
                    || (c == b'#' && i > seg_start && is_blank(self.b[i - 1]))
                {
                    break;
                }
                i += 1;
            }
            end = i;
            while end > seg_start && is_blank(self.b[end - 1]) {
                end -= 1;
            }
            if let Some(t) = &mut text {
                t.push_str(&self.src[seg_start..end]);
            }
            if !self.is_eol(i) || i >= len {
                break;
            }
            // A line break: continue when the next content line carries on the scalar.
            let (ls, j, blanks) = self.next_content_line(self.eol_from(i));
            if j >= len
                || is_flow_indicator(self.b[j])
                || self.b[j] == b'#'
                || (self.b[j] == b':'
                    && (self.is_ws_or_eol(j + 1) || is_flow_indicator(self.byte(j + 1))))
                || (j - ls) as isize <= parent
                || (j == ls && self.is_doc_marker(j))
                || self.key_like(j)
            {
                break;
            }
            let t = text.get_or_insert_with(|| self.src[start..end].to_string());
            if blanks == 0 {
                t.push(' ');
            } else {
                (0..blanks).for_each(|_| t.push('\n'));
            }
            self.line_start = ls;
            seg_start = j;
            i = j;
        }
        let last_end = end;
        // Leave pos at the end of the scalar text (blanks are skipped by the caller).
        self.pos = last_end;
        let span = Span::new(start, last_end.max(start));
        let value = match text {
            Some(text) => Value::Scalar {
                text,
                style: ScalarStyle::Plain,
            },
            None => {
                let s = &self.src[start..last_end.max(start)];
                if matches!(s, "~" | "null" | "Null" | "NULL" | "") {
                    Value::Null
                } else {
                    Value::Scalar {
                        text: s.to_string(),
                        style: ScalarStyle::Plain,
                    }
                }
            }
        };
        if self.pos == start {
            // Never stall on a character no rule accepts.
            self.pos += self.char_len(start);
        }
        Node { span, value }
    }
}
