//! Formatting.
//!
//! - YAML scenario specs are re-emitted in one canonical layout: 2-space indentation, block
//!   sequences indented under their key, scenario keys in the order name, id, tags, given, when,
//!   then (other keys after, in their order), Given/When/Then lists as block lists, scalars
//!   quoted only where YAML needs it (double quotes), block scalars (`|`, `>`) kept with their
//!   content re-indented, comments kept (full-line comments before the element they precede,
//!   end-of-line comments on their line), blank lines between elements collapsed to one.
//! - Markdown specs: only the step lines of `Scenario:` scenarios change: the keyword's case
//!   and bold style become the file's dominant style, exactly one space follows the keyword,
//!   trailing whitespace goes. Nothing else is touched.
//!
//! Formatting is refused (no edits) when it could lose anything: YAML with parse errors,
//! anchors/aliases/tags, directives or several documents, multi-line flow collections; and
//! whenever the result does not read back to the same YAML tree, the same comments and the
//! same model (scenarios, steps, constraints, requirements, dependencies).

use std::collections::{HashMap, HashSet};

use crate::diag::{Severity, TextEdit};
use crate::model::{DocKind, Document, ScenarioOrigin};
use crate::parse::parse_document;
use crate::span::Span;
use crate::workspace::Workspace;
use crate::yaml::{self, Node, ScalarStyle, Value, YamlDoc};

use super::text::{line_at, valid};

/// Minimal edits that format the document at `path` (empty when it is already formatted, not
/// formattable, or formatting would not be safe). Edits carry the document's path.
pub fn format(ws: &Workspace, path: &str) -> Vec<TextEdit> {
    let Some(file) = ws.get(path) else {
        return Vec::new();
    };
    let Some(kind) = file.doc.kind else {
        return Vec::new();
    };
    match format_text(path, &file.text, kind) {
        Some(new) => diff_edits(path, &file.text, &new),
        None => Vec::new(),
    }
}

/// The formatted text, or None when the text cannot be formatted safely (or its kind has no
/// formatter). Returns the text unchanged when it is already formatted.
pub fn format_text(path: &str, text: &str, kind: DocKind) -> Option<String> {
    let out = match kind {
        DocKind::YamlSpec => format_yaml(text)?,
        DocKind::MarkdownSpec => {
            let doc = parse_document(path, text, kind);
            format_markdown(text, &doc)
        }
        _ => return None,
    };
    if out == text {
        return Some(out);
    }
    let before = parse_document(path, text, kind);
    let after = parse_document(path, &out, kind);
    (model_key(&before) == model_key(&after)).then_some(out)
}

/// What formatting must not change: the model without spans and keyword spellings.
fn model_key(d: &Document) -> String {
    let mut s = String::new();
    use std::fmt::Write as _;
    let _ = write!(s, "{}|{:?}|{:?}|", d.name, d.spec_type, d.status);
    for sc in &d.scenarios {
        let _ = write!(
            s,
            "S{}|{}|{:?}|{:?}|{:?}|",
            sc.id, sc.name, sc.tags, sc.status, sc.parent
        );
        for st in sc.steps() {
            let _ = write!(s, "{:?}:{}|", st.kind, st.text);
        }
    }
    for c in &d.constraints {
        let _ = write!(
            s,
            "C{}|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{:?}|",
            c.id,
            c.name,
            c.category,
            c.text,
            c.measure.as_ref().map(|m| (&m.metric, m.value, &m.unit)),
            c.measurement,
            c.verification,
            c.exception
        );
    }
    for r in &d.requirements {
        let _ = write!(s, "R{}|{}|", r.id, r.text);
    }
    for dep in &d.dependencies {
        let _ = write!(s, "D{}|{:?}|", dep.name, dep.from);
    }
    for dom in &d.domains {
        let _ = write!(
            s,
            "M{}|{:?}|",
            dom.name,
            dom.dependencies.iter().map(|x| &x.name).collect::<Vec<_>>()
        );
    }
    for e in &d.examples {
        let _ = write!(
            s,
            "E{:?}|{:?}|{}|{}|",
            e.target, e.name, e.input, e.expected
        );
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Markdown

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Case {
    Title,
    Upper,
    Lower,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Colon {
    None,
    Inside,
    Outside,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct KwStyle {
    bold: bool,
    case: Case,
    colon: Colon,
}

/// A step line split into: prefix (indent + list marker, kept), keyword word, its style, and
/// the step text (trimmed).
struct StepLine<'a> {
    prefix: &'a str,
    word: &'a str,
    style: KwStyle,
    rest: &'a str,
}

fn split_step_line(line: &str) -> Option<StepLine<'_>> {
    let t = line.trim_start();
    let mut p = line.len() - t.len();
    let mut rest = t;
    // List marker.
    if let Some(r) = rest.strip_prefix(['-', '*', '+']) {
        if r.starts_with(' ') && !rest.starts_with("**") {
            let r2 = r.trim_start();
            p += rest.len() - r2.len();
            rest = r2;
        }
    } else {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            if let Some(r) = rest[digits..].strip_prefix(['.', ')']) {
                if r.starts_with(' ') {
                    let r2 = r.trim_start();
                    p += rest.len() - r2.len();
                    rest = r2;
                }
            }
        }
    }
    let prefix = &line[..p];
    let bold = rest.starts_with("**") || rest.starts_with("__");
    let marker = &rest[..if bold { 2 } else { 0 }];
    let after_open = &rest[marker.len()..];
    let wlen = after_open.len()
        - after_open
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .len();
    let word = &after_open[..wlen];
    if !matches!(
        word.to_ascii_lowercase().as_str(),
        "given" | "when" | "then" | "and" | "but"
    ) {
        return None;
    }
    let mut r = &after_open[wlen..];
    let mut colon = Colon::None;
    if bold {
        if let Some(x) = r.strip_prefix(':') {
            colon = Colon::Inside;
            r = x;
        }
        r = r.strip_prefix(marker)?;
    }
    if let Some(x) = r.strip_prefix(':') {
        if colon == Colon::None {
            colon = Colon::Outside;
            r = x;
        }
    }
    // The keyword must be followed by whitespace (or end the line).
    if !(r.is_empty() || r.starts_with([' ', '\t'])) {
        return None;
    }
    let case = if word.len() > 1 && word.chars().all(|c| c.is_ascii_uppercase()) {
        Case::Upper
    } else if word.chars().all(|c| c.is_ascii_lowercase()) {
        Case::Lower
    } else {
        Case::Title
    };
    Some(StepLine {
        prefix,
        word,
        style: KwStyle { bold, case, colon },
        rest: r.trim(),
    })
}

fn render_keyword(word: &str, s: KwStyle) -> String {
    let lower = word.to_ascii_lowercase();
    let w = match s.case {
        Case::Upper => lower.to_ascii_uppercase(),
        Case::Lower => lower,
        Case::Title => {
            let mut c = lower.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        }
    };
    match (s.bold, s.colon) {
        (true, Colon::Inside) => format!("**{w}:**"),
        (true, Colon::Outside) => format!("**{w}**:"),
        (true, Colon::None) => format!("**{w}**"),
        (false, Colon::None) => w,
        (false, _) => format!("{w}:"),
    }
}

fn format_markdown(text: &str, doc: &Document) -> String {
    // Step lines of heading scenarios, by line start.
    let mut step_lines: Vec<Span> = Vec::new();
    for sc in &doc.scenarios {
        if sc.origin != ScenarioOrigin::MarkdownHeading {
            continue;
        }
        for st in sc.steps() {
            let span = sc.abs(st.span);
            if valid(text, span) {
                let l = line_at(text, span.start);
                if l.start <= span.start {
                    step_lines.push(l);
                }
            }
        }
    }
    step_lines.sort();
    step_lines.dedup();
    let parsed: Vec<(Span, StepLine)> = step_lines
        .iter()
        .filter_map(|l| split_step_line(l.slice(text)).map(|s| (*l, s)))
        .collect();
    let mut counts: HashMap<KwStyle, usize> = HashMap::new();
    let mut first_seen: Vec<KwStyle> = Vec::new();
    for (_, s) in &parsed {
        *counts.entry(s.style).or_default() += 1;
        if !first_seen.contains(&s.style) {
            first_seen.push(s.style);
        }
    }
    // Dominant style; ties go to the style seen first.
    let Some(style) = first_seen.iter().copied().max_by_key(|s| {
        (
            counts[s],
            std::cmp::Reverse(first_seen.iter().position(|x| x == s)),
        )
    }) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (line, s) in &parsed {
        out.push_str(&text[pos..line.start]);
        out.push_str(s.prefix);
        out.push_str(&render_keyword(s.word, style));
        if !s.rest.is_empty() {
            out.push(' ');
            out.push_str(s.rest);
        }
        pos = line.end;
    }
    out.push_str(&text[pos..]);
    out
}

// ---------------------------------------------------------------------------------------------
// YAML

/// Characters that YAML gives a meaning at the start of a plain scalar.
const INDICATORS: &[char] = &[
    '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
];

/// True when `s` cannot be written as a plain scalar (in block context) and read back as the
/// same string.
pub(crate) fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return true;
    }
    if s.chars().any(|c| c.is_control()) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if INDICATORS.contains(&first) {
        // `-x`, `?x`, `:x` are plain when followed by a non-space, but keep it simple.
        return true;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
    ) {
        return true;
    }
    looks_numeric(s) || s.starts_with("---") || s.starts_with("...")
}

fn looks_numeric(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    if t.is_empty() {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | ".nan") {
        return true;
    }
    if let Some(h) = lower
        .strip_prefix("0x")
        .or_else(|| lower.strip_prefix("0o"))
    {
        return !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    }
    let mut digits = 0;
    for (i, c) in lower.char_indices() {
        match c {
            '0'..='9' => digits += 1,
            '.' | '_' => {}
            'e' => {
                let rest = lower[i + 1..].trim_start_matches(['+', '-']);
                return digits > 0 && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit());
            }
            _ => return false,
        }
    }
    digits > 0
}

/// `s` as a double-quoted YAML scalar.
pub(crate) fn quote_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn scalar_text(s: &str) -> String {
    if needs_quotes(s) {
        quote_double(s)
    } else {
        s.to_string()
    }
}

const SCENARIO_LISTS: &[&str] = &["scenarios", "new_scenarios", "chaos_scenarios"];
const SCENARIO_ORDER: &[&str] = &["name", "id", "tags", "given", "when", "then"];
const STEP_KEYS: &[&str] = &["given", "when", "then"];

struct Emitter<'a> {
    text: &'a str,
    out: String,
    /// Full-line comments by the offset of the element they precede.
    leading: HashMap<usize, Vec<Span>>,
    /// End-of-line comments by the start offset of their line.
    trailing: HashMap<usize, Span>,
    used: HashSet<Span>,
    failed: bool,
    /// Start offsets of the items of `scenarios:`-like lists.
    scenario_items: HashSet<usize>,
}

impl<'a> Emitter<'a> {
    fn line_start(&self, at: usize) -> usize {
        line_at(self.text, at).start
    }

    /// Blank line(s) right before the element at `at` (or its leading comments) in the source.
    fn blank_before(&self, at: usize) -> bool {
        let first = self
            .leading
            .get(&at)
            .and_then(|c| c.first())
            .map_or(at, |c| c.start);
        let ls = self.line_start(first);
        if ls == 0 {
            return false;
        }
        let prev = line_at(self.text, ls - 1);
        prev.slice(self.text).trim().is_empty()
    }

    fn newline(&mut self) {
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\n');
    }

    /// Comments and blank line before the element starting at `at`, at `indent`.
    fn before(&mut self, at: usize, indent: usize) {
        self.before_with(at, indent, true);
    }

    /// Like [`Self::before`]; without `blank`, only the comments.
    fn before_with(&mut self, at: usize, indent: usize, blank: bool) {
        if blank && self.blank_before(at) && !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
        if let Some(cs) = self.leading.get(&at).cloned() {
            for c in cs {
                if self.used.insert(c) {
                    self.out.push_str(&" ".repeat(indent));
                    self.out.push_str(c.slice(self.text));
                    self.newline();
                }
            }
        }
    }

    /// The end-of-line comment of the source line containing `at`, if not yet written.
    fn trailing_at(&mut self, at: usize) {
        let ls = self.line_start(at.min(self.text.len()));
        if let Some(c) = self.trailing.get(&ls).copied() {
            if self.used.insert(c) {
                self.out.push(' ');
                self.out.push_str(c.slice(self.text));
            }
        }
    }

    /// Write a value after `key:` or `- ` (the cursor is right after the `:`/`-`).
    /// `key_line_at` is a source offset on the line of the key/dash.
    fn value(
        &mut self,
        node: &Node,
        indent: usize,
        key_line_at: usize,
        step_field: bool,
        in_seq_item: bool,
    ) {
        match &node.value {
            Value::Null => {
                let src = node.span.slice(self.text).trim();
                if !src.is_empty() && !src.starts_with('#') {
                    self.out.push(' ');
                    self.out.push_str(src);
                }
                self.trailing_at(key_line_at);
                self.newline();
            }
            Value::Scalar { text, style } => match style {
                ScalarStyle::Literal | ScalarStyle::Folded => self.block_scalar(node, indent),
                _ => {
                    self.out.push(' ');
                    self.out.push_str(&scalar_text(text));
                    self.trailing_at(node.span.end.saturating_sub(1).max(node.span.start));
                    if line_at(self.text, node.span.start).start != self.line_start(key_line_at) {
                        self.trailing_at(key_line_at);
                    }
                    self.newline();
                }
            },
            Value::Seq(items) => {
                let flow = node.span.slice(self.text).trim_start().starts_with('[');
                if flow && !step_field {
                    self.flow(node, key_line_at);
                    return;
                }
                if items.is_empty() {
                    self.out.push_str(" []");
                    self.trailing_at(key_line_at);
                    self.newline();
                    return;
                }
                self.trailing_at(key_line_at);
                self.newline();
                let _ = in_seq_item;
                for it in items {
                    self.item(it, indent + 2, false);
                }
            }
            Value::Map(entries) => {
                if node.span.slice(self.text).trim_start().starts_with('{') {
                    self.flow(node, key_line_at);
                    return;
                }
                if entries.is_empty() {
                    self.out.push_str(" {}");
                    self.trailing_at(key_line_at);
                    self.newline();
                    return;
                }
                self.trailing_at(key_line_at);
                self.newline();
                self.map(entries, indent + 2, false, None);
            }
        }
    }

    fn flow(&mut self, node: &Node, key_line_at: usize) {
        let src = node.span.slice(self.text);
        if src.contains('\n') || src.contains('#') {
            self.failed = true;
        }
        self.out.push(' ');
        self.out.push_str(src.trim());
        self.trailing_at(key_line_at);
        self.newline();
    }

    fn block_scalar(&mut self, node: &Node, indent: usize) {
        let src = node.span.slice(self.text);
        let (header, body) = src.split_once('\n').unwrap_or((src, ""));
        let header = header.split(" #").next().unwrap_or(header).trim();
        if header.chars().any(|c| c.is_ascii_digit()) {
            // An explicit indentation indicator: re-indenting would change the content.
            self.failed = true;
        }
        self.out.push(' ');
        self.out.push_str(header);
        self.trailing_at(node.span.start);
        self.newline();
        let lines: Vec<&str> = body.split('\n').collect();
        let min = lines
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start_matches(' ').len())
            .min()
            .unwrap_or(0);
        let mut n = lines.len();
        while n > 0 && lines[n - 1].trim().is_empty() {
            n -= 1;
        }
        for l in &lines[..n] {
            if l.trim().is_empty() {
                self.out.push('\n');
            } else {
                self.out.push_str(&" ".repeat(indent + 2));
                self.out.push_str(
                    l.get(min..)
                        .unwrap_or(l.trim_start())
                        .trim_end_matches('\r'),
                );
                self.out.push('\n');
            }
        }
    }

    /// A sequence item at `indent` (the `-` column).
    fn item(&mut self, node: &Node, indent: usize, _step_field: bool) {
        self.before(node.span.start, indent);
        if let Value::Map(entries) = &node.value {
            if let Some(first) = self.ordered(entries, Some(node)).first() {
                self.before_with(first.key_span.start, indent, false);
            }
        }
        self.out.push_str(&" ".repeat(indent));
        self.out.push('-');
        match &node.value {
            Value::Map(entries) if !node.span.slice(self.text).trim_start().starts_with('{') => {
                // First entry on the dash line.
                self.map(entries, indent + 2, true, Some(node));
            }
            Value::Seq(_) if !node.span.slice(self.text).trim_start().starts_with('[') => {
                self.trailing_at(node.span.start);
                self.newline();
                if let Value::Seq(items) = &node.value {
                    for it in items {
                        self.item(it, indent + 2, false);
                    }
                }
            }
            _ => self.value(node, indent, node.span.start, false, true),
        }
    }

    fn is_scenario(&self, entries: &[crate::yaml::Entry], item: Option<&Node>) -> bool {
        item.is_some_and(|n| {
            entries.iter().any(|e| STEP_KEYS.contains(&e.key.as_str()))
                || self.scenario_items.contains(&n.span.start)
        })
    }

    /// A mapping's entries in output order: scenario keys first, in canonical order.
    fn ordered<'e>(
        &self,
        entries: &'e [crate::yaml::Entry],
        item: Option<&Node>,
    ) -> Vec<&'e crate::yaml::Entry> {
        let mut order: Vec<&crate::yaml::Entry> = entries.iter().collect();
        if self.is_scenario(entries, item) {
            order.sort_by_key(|e| {
                SCENARIO_ORDER
                    .iter()
                    .position(|k| *k == e.key)
                    .unwrap_or(SCENARIO_ORDER.len())
            });
        }
        order
    }

    /// Entries of a block mapping at `indent`. With `inline_first`, the first entry continues
    /// the current line (after `- `).
    fn map(
        &mut self,
        entries: &[crate::yaml::Entry],
        indent: usize,
        inline_first: bool,
        item: Option<&Node>,
    ) {
        let order = self.ordered(entries, item);
        let is_scenario = self.is_scenario(entries, item);
        let orig_first = entries.first().map(|e| e.key_span.start);
        for (i, e) in order.iter().enumerate() {
            if i == 0 && inline_first {
                // Comments anchored to the entry were written before the dash.
                self.out.push(' ');
            } else {
                // A blank line above the first key belongs to the mapping, not to the key.
                let blank = Some(e.key_span.start) != orig_first;
                self.before_with(e.key_span.start, indent, blank);
                self.out.push_str(&" ".repeat(indent));
            }
            self.out.push_str(e.key_span.slice(self.text));
            self.out.push(':');
            let step_field = is_scenario && STEP_KEYS.contains(&e.key.as_str());
            if SCENARIO_LISTS.contains(&e.key.as_str()) {
                for it in e.value.items() {
                    self.scenario_items.insert(it.span.start);
                }
            }
            self.value(&e.value, indent, e.key_span.start, step_field, false);
        }
    }
}

/// Offsets where anchors, aliases, tags or directives appear (outside quotes and comments).
fn has_unsupported_syntax(text: &str) -> bool {
    for (i, line) in text.split('\n').enumerate() {
        let t = line.trim_start();
        if t.starts_with('%') && i == 0 {
            return true;
        }
        if (t.starts_with("---") && i > 0) || t.starts_with("...") {
            return true;
        }
        let mut prev = ' ';
        let mut quote: Option<char> = None;
        for c in line.chars() {
            match quote {
                Some(q) => {
                    if c == q {
                        quote = None;
                    }
                }
                None => {
                    if c == '#' && (prev == ' ' || prev == '\t') {
                        break;
                    }
                    let token_start = matches!(prev, ' ' | '\t' | '[' | '{' | ',' | '-' | ':');
                    if token_start
                        && (c == '"' || c == '\'')
                        && matches!(prev, ' ' | '[' | '{' | ',')
                    {
                        quote = Some(c);
                    } else if token_start
                        && matches!(c, '&' | '*' | '!')
                        && matches!(prev, ' ' | '\t' | '[' | '{' | ',')
                    {
                        return true;
                    }
                }
            }
            prev = c;
        }
        if line.trim_start().starts_with(['&', '*', '!']) {
            return true;
        }
    }
    false
}

fn format_yaml(text: &str) -> Option<String> {
    let y = yaml::parse(text);
    if y.diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return None;
    }
    let root = y.root.as_ref()?;
    if has_unsupported_syntax(text) {
        return None;
    }
    let crlf = text.contains("\r\n");
    // Anchor points: every entry's key and every item's start, sorted.
    let mut anchors: Vec<usize> = Vec::new();
    collect_anchors(root, &mut anchors, 0);
    anchors.sort_unstable();
    anchors.dedup();
    let mut leading: HashMap<usize, Vec<Span>> = HashMap::new();
    let mut trailing: HashMap<usize, Span> = HashMap::new();
    let mut tail: Vec<Span> = Vec::new();
    for c in &y.comments {
        if !valid(text, *c) {
            return None;
        }
        let line = line_at(text, c.start);
        let full_line = text[line.start..c.start].trim().is_empty();
        if full_line {
            let i = anchors.partition_point(|a| *a < c.end);
            match anchors.get(i) {
                Some(a) => leading.entry(*a).or_default().push(*c),
                None => tail.push(*c),
            }
        } else {
            trailing.insert(line.start, *c);
        }
    }
    let mut em = Emitter {
        text,
        out: String::with_capacity(text.len() + 64),
        leading,
        trailing,
        used: HashSet::new(),
        failed: false,
        scenario_items: HashSet::new(),
    };
    if text.trim_start().starts_with("---") {
        em.out.push_str("---\n");
    }
    match &root.value {
        Value::Map(entries) => em.map(entries, 0, false, None),
        Value::Seq(items) => {
            for it in items {
                em.item(it, 0, false);
            }
        }
        _ => return None,
    }
    if !tail.is_empty() {
        if let Some(first) = tail.first() {
            let ls = line_at(text, first.start).start;
            if ls > 0 && line_at(text, ls - 1).slice(text).trim().is_empty() {
                em.out.push('\n');
            }
        }
        for c in &tail {
            em.used.insert(*c);
            em.out.push_str(c.slice(text));
            em.newline();
        }
    }
    if em.failed || em.used.len() != y.comments.len() {
        return None;
    }
    let mut out = em.out;
    if crlf {
        out = out.replace('\n', "\r\n");
    }
    // Read back: same tree, same comments.
    let back = yaml::parse(&out);
    if back
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
    {
        return None;
    }
    let same_tree = match (&back.root, &y.root) {
        (Some(a), Some(b)) => same_node(a, b),
        _ => false,
    };
    let comments = |d: &YamlDoc, t: &str| {
        let mut v: Vec<String> = d.comments.iter().map(|c| c.slice(t).to_string()).collect();
        v.sort();
        v
    };
    if !same_tree || comments(&back, &out) != comments(&y, text) {
        return None;
    }
    Some(out)
}

fn collect_anchors(node: &Node, out: &mut Vec<usize>, depth: usize) {
    if depth > 64 {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                out.push(e.key_span.start);
                collect_anchors(&e.value, out, depth + 1);
            }
        }
        Value::Seq(items) => {
            for it in items {
                out.push(it.span.start);
                collect_anchors(it, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// Same YAML content, ignoring spans, scalar styles and the order of mapping keys.
fn same_node(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Null, Value::Null) => true,
        (Value::Scalar { text: x, .. }, Value::Scalar { text: y, .. }) => x == y,
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_node(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.len() != y.len() {
                return false;
            }
            let mut used = vec![false; y.len()];
            x.iter().all(|e| {
                let found = y
                    .iter()
                    .enumerate()
                    .find(|(i, f)| !used[*i] && f.key == e.key && same_node(&e.value, &f.value));
                match found {
                    Some((i, _)) => {
                        used[i] = true;
                        true
                    }
                    None => false,
                }
            })
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Minimal edits

/// Line-based edits turning `old` into `new`: unchanged lines are not touched; each run of
/// changed lines becomes one edit. Falls back to one edit of the changed middle when the files
/// are too large for a line diff.
pub(crate) fn diff_edits(path: &str, old: &str, new: &str) -> Vec<TextEdit> {
    if old == new {
        return Vec::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let mut pre = 0;
    while pre < a.len() && pre < b.len() && a[pre] == b[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < a.len() - pre && suf < b.len() - pre && a[a.len() - 1 - suf] == b[b.len() - 1 - suf]
    {
        suf += 1;
    }
    let am = &a[pre..a.len() - suf];
    let bm = &b[pre..b.len() - suf];
    let offset_of =
        |lines: &[&str], upto: usize| lines[..upto].iter().map(|l| l.len()).sum::<usize>();
    let base_a = offset_of(&a, pre);
    let mut edits = Vec::new();
    let edit = |s: usize, e: usize, t: String| TextEdit {
        path: path.to_string(),
        span: Span::new(s, e),
        new_text: t,
    };
    if am.len().saturating_mul(bm.len()) > 4_000_000 {
        let end = base_a + am.iter().map(|l| l.len()).sum::<usize>();
        edits.push(edit(base_a, end, bm.concat()));
        return edits;
    }
    // LCS table over the middle lines.
    let (n, m) = (am.len(), bm.len());
    let mut dp = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            dp[i * (m + 1) + j] = if am[i] == bm[j] {
                dp[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                dp[(i + 1) * (m + 1) + j].max(dp[i * (m + 1) + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut pos = base_a;
    let mut hunk: Option<(usize, String)> = None;
    let flush = |hunk: &mut Option<(usize, String)>, pos: usize, edits: &mut Vec<TextEdit>| {
        if let Some((s, t)) = hunk.take() {
            edits.push(edit(s, pos, t));
        }
    };
    while i < n || j < m {
        if i < n && j < m && am[i] == bm[j] {
            flush(&mut hunk, pos, &mut edits);
            pos += am[i].len();
            i += 1;
            j += 1;
        } else if j < m && (i == n || dp[i * (m + 1) + j + 1] >= dp[(i + 1) * (m + 1) + j]) {
            hunk.get_or_insert_with(|| (pos, String::new()))
                .1
                .push_str(bm[j]);
            j += 1;
        } else {
            hunk.get_or_insert_with(|| (pos, String::new()));
            pos += am[i].len();
            i += 1;
        }
    }
    flush(&mut hunk, pos, &mut edits);
    edits
}

/// Apply non-overlapping edits of one document, sorted by position (edits out of range or
/// overlapping a previous one are skipped).
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for e in edits {
        if e.span.start < pos || text.get(e.span.start..e.span.end).is_none() {
            continue;
        }
        out.push_str(&text[pos..e.span.start]);
        out.push_str(&e.new_text);
        pos = e.span.end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        for (s, q) in [
            ("Buy groceries", false),
            ("Task \"x\" done", false),
            ("p95 latency: < 100ms", true),
            ("123", true),
            ("1.5e3", true),
            ("true", true),
            ("", true),
            ("- x", true),
            ("a # b", true),
            ("http://x", false),
            ("Customer name contains '😀'", false),
            ("'quoted'", true),
        ] {
            assert_eq!(needs_quotes(s), q, "{s:?}");
        }
        assert_eq!(quote_double("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    }

    #[test]
    fn step_lines() {
        let s = split_step_line("- **WHEN**   the user logs in  ").unwrap();
        assert_eq!(
            (s.prefix, s.word, s.rest),
            ("- ", "WHEN", "the user logs in")
        );
        assert!(s.style.bold && s.style.case == Case::Upper);
        let s = split_step_line("  given: x").unwrap();
        assert_eq!(s.style.colon, Colon::Outside);
        assert_eq!(
            render_keyword(
                "and",
                KwStyle {
                    bold: true,
                    case: Case::Title,
                    colon: Colon::None
                }
            ),
            "**And**"
        );
        assert!(split_step_line("Givenness is bad").is_none());
        assert!(split_step_line("- item").is_none());
    }

    #[test]
    fn minimal_diff() {
        let old = "a\nb\nc\nd\n";
        let new = "a\nB\nc\nd\ne\n";
        let edits = diff_edits("p", old, new);
        assert_eq!(edits.len(), 2);
        assert_eq!(apply_edits(old, &edits), new);
        let edits = diff_edits("p", "x", "y\n");
        assert_eq!(apply_edits("x", &edits), "y\n");
        assert!(diff_edits("p", "same", "same").is_empty());
    }

    #[test]
    fn markdown_steps_follow_dominant_style() {
        let t = "# S\n\n## Scenario: A\n- **Given**  a   \n- **When** b\n- Then  c \n";
        let doc = parse_document("a.spec.md", t, DocKind::MarkdownSpec);
        assert_eq!(doc.scenarios.len(), 1);
        let out = format_markdown(t, &doc);
        assert_eq!(
            out,
            "# S\n\n## Scenario: A\n- **Given** a\n- **When** b\n- **Then** c\n"
        );
    }
}
