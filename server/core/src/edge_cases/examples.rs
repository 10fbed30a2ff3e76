//! Edge cases for specs whose cases are example rows (SpecSoloist): a row of an Examples /
//! Test Scenarios table, or an entry of a `yaml:test_scenarios` block. A proposal is a new row
//! in the same table (or a new entry in the same block), derived from an existing row by
//! changing one input to a boundary the spec states (`maximum: 20` in the `yaml:schema` gives
//! 20 and 21; `maxLength: 32` gives texts of 32 and 33 characters) or to a text edge (empty,
//! blank, Unicode). The row is marked as proposed in its Notes column, else in its name.

use std::collections::BTreeMap;

use crate::diag::TextEdit;
use crate::model::{Document, ExampleRow};
use crate::parse::markdown::{classify, Col};
use crate::span::Span;

use super::render::{after_line, line_start, yaml_scalar};
use super::text::Limit;
use super::EdgeKind;

/// How a source row's input is changed.
#[derive(Clone, Debug)]
pub(super) enum Subst {
    /// The number bound to `prop` (`n: 5`, `n = 5`), or the input's only number.
    Number { prop: Option<String>, value: String },
    /// The first free-text double-quoted string, quotes included (`value` has its own).
    Quoted { value: String },
    /// The whole input, as a model wrote it (the first input cell, or the entry's inputs).
    Whole { value: String },
}

/// A proposed row before it is written.
#[derive(Clone, Debug)]
pub(super) struct RowDraft {
    pub kind: EdgeKind,
    /// The row's name (without the proposed mark).
    pub name: String,
    pub rationale: String,
    pub note: String,
    pub expected: String,
    /// Index of the row it derives from in `doc.examples`.
    pub source: usize,
    pub subst: Subst,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Form {
    Table,
    Yaml,
}

/// Consecutive rows of one table or one `yaml:test_scenarios` block.
#[derive(Clone, Debug)]
pub(super) struct Group {
    pub form: Form,
    pub rows: Vec<usize>,
}

fn form(doc: &Document, text: &str, row: &ExampleRow) -> Option<Form> {
    if row.valid.is_some() || row.span.end > text.len() || row.span.start > row.span.end {
        return None;
    }
    let line = text[line_start(text, row.span.start)..].trim_start();
    if line.starts_with('|') {
        return Some(Form::Table);
    }
    let in_yaml = doc.blocks.iter().any(|b| {
        b.info.starts_with("yaml:")
            && b.content_span.start <= row.span.start
            && row.span.end <= b.content_span.end
    });
    (in_yaml && line.starts_with("- ")).then_some(Form::Yaml)
}

/// The rows of the document grouped by the table or block holding them.
pub(super) fn groups(doc: &Document, text: &str) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    let block_of = |r: &ExampleRow| {
        doc.blocks
            .iter()
            .position(|b| b.content_span.start <= r.span.start && r.span.end <= b.content_span.end)
    };
    for (i, row) in doc.examples.iter().enumerate() {
        let Some(f) = form(doc, text, row) else {
            continue;
        };
        let joins = out.last().is_some_and(|g| {
            let prev = &doc.examples[*g.rows.last().unwrap_or(&i)];
            g.form == f
                && match f {
                    Form::Table => {
                        prev.span.end <= row.span.start
                            && text[prev.span.end..row.span.start].trim().is_empty()
                            && text[prev.span.end..row.span.start].matches('\n').count() == 1
                            && prev
                                .cells
                                .iter()
                                .map(|c| &c.0)
                                .eq(row.cells.iter().map(|c| &c.0))
                    }
                    Form::Yaml => block_of(prev) == block_of(row) && block_of(row).is_some(),
                }
        });
        if joins {
            if let Some(g) = out.last_mut() {
                g.rows.push(i);
            }
        } else {
            out.push(Group {
                form: f,
                rows: vec![i],
            });
        }
    }
    out
}

/// Byte ranges of double-quoted strings' contents.
fn quoted_ranges(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (c, open) {
            ('\\', Some(_)) => escaped = true,
            ('"', None) => open = Some(i + 1),
            ('"', Some(o)) => {
                out.push((o, i));
                open = None;
            }
            _ => {}
        }
    }
    out
}

/// The first quoted value that is free text: not a date, time or number, and not an element
/// of a list (`items: ["1 done"]` describes a fixture, not the input under test).
fn free_text(s: &str) -> Option<(usize, usize)> {
    quoted_ranges(s).into_iter().find(|&(a, b)| {
        let v = &s[a..b];
        let depth = s[..a].matches('[').count() as i64 - s[..a].matches(']').count() as i64;
        let datelike = !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_digit() || ".:-/ T".contains(c));
        depth <= 0 && !datelike
    })
}

/// Numbers outside quotes, as byte ranges (a leading `-` included).
fn numbers(s: &str) -> Vec<(usize, usize)> {
    let q = quoted_ranges(s);
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut start = i;
        while i < b.len()
            && (b[i].is_ascii_digit()
                || (b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
        {
            i += 1;
        }
        let glued = |c: Option<&u8>| {
            c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
        };
        if start > 0 && b[start - 1] == b'-' && !(start > 1 && b[start - 2].is_ascii_alphanumeric())
        {
            start -= 1;
        }
        let before = if start > 0 { b.get(start - 1) } else { None };
        if glued(before) || glued(b.get(i)) {
            continue;
        }
        if q.iter().any(|(o, c)| *o <= start && start < *c) {
            continue;
        }
        out.push((start, i));
    }
    out
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The number bound to `prop` in `s` (`prop: 5`, `prop=5`), else, when `single`, the only one.
fn prop_number(s: &str, prop: Option<&str>, single: bool) -> Option<(usize, usize)> {
    let nums = numbers(s);
    if let Some(p) = prop {
        for &(a, b) in &nums {
            let before = s[..a].trim_end();
            let Some(before) = before.strip_suffix([':', '=']) else {
                continue;
            };
            let before = before.trim_end();
            if before.ends_with(p) && !is_word(before[..before.len() - p.len()].chars().next_back())
            {
                return Some((a, b));
            }
        }
    }
    (single && nums.len() == 1).then(|| nums[0])
}

impl Subst {
    /// `s` with the substitution made, or None when it does not apply to `s`.
    pub fn apply(&self, s: &str, single: bool) -> Option<String> {
        let (a, b, v) = match self {
            Subst::Number { prop, value } => {
                let (a, b) = prop_number(s, prop.as_deref(), single)?;
                (a, b, value.as_str())
            }
            Subst::Quoted { value } => {
                let (a, b) = free_text(s)?;
                (a - 1, b + 1, value.as_str())
            }
            Subst::Whole { value } => return Some(unticked(value).0.to_string()),
        };
        Some(format!("{}{v}{}", &s[..a], &s[b..]))
    }
}

/// A cell without one pair of surrounding backticks, and whether it had them.
fn unticked(cell: &str) -> (&str, bool) {
    let t = cell.trim();
    match t.strip_prefix('`').and_then(|x| x.strip_suffix('`')) {
        Some(inner) if !inner.contains('`') => (inner, true),
        _ => (t, false),
    }
}

fn header_key(h: &str) -> String {
    h.chars()
        .filter(|&c| c != '`' && c != '*')
        .collect::<String>()
        .trim()
        .to_lowercase()
}

/// Texts of a row's inputs: the input text and, for tables, every input-like cell.
fn input_texts(row: &ExampleRow) -> Vec<String> {
    let mut out = vec![unticked(&row.input).0.to_string()];
    for (h, v) in &row.cells {
        if matches!(classify(h), Col::Input | Col::Other) {
            out.push(format!("{}: {}", header_key(h), unticked(v).0));
        }
    }
    out
}

/// The words used for errors in the spec's own rows (`raises ValueError`), most common first.
fn error_convention(doc: &Document) -> Option<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in &doc.examples {
        let l = r.expected.to_lowercase();
        if ["raise", "error", "exception", "invalid", "reject", "throw"]
            .iter()
            .any(|w| l.contains(w))
        {
            *counts.entry(r.expected.trim().to_string()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(k, n)| (*n, std::cmp::Reverse(k.len())))
        .map(|(k, _)| k)
}

fn fmt(v: f64) -> String {
    super::text::fmt_num(v)
}

/// Does some row already use `value` for this limit?
fn covered(doc: &Document, l: &Limit, value: f64, single: bool) -> bool {
    let chars = is_chars(l);
    doc.examples.iter().any(|r| {
        input_texts(r).iter().any(|t| {
            if chars {
                let lens = quoted_ranges(t)
                    .iter()
                    .any(|(a, b)| t[*a..*b].chars().count() as f64 == value);
                let star = numbers(t).iter().any(|(a, b)| {
                    t[..*a].trim_end().ends_with('*')
                        && t[*a..*b].parse::<f64>().ok() == Some(value)
                });
                lens || star
            } else {
                prop_number(t, l.prop.as_deref(), single)
                    .and_then(|(a, b)| t[a..b].parse::<f64>().ok())
                    == Some(value)
            }
        })
    })
}

fn is_chars(l: &Limit) -> bool {
    matches!(
        l.unit.as_deref(),
        Some("characters" | "chars" | "character")
    )
}

/// A text of `n` characters: `"x" * n` where the spec's rows already write long texts that
/// way, else the text itself.
fn text_of(doc: &Document, n: usize) -> String {
    let star = doc.examples.iter().any(|r| {
        let t = unticked(&r.input).0;
        numbers(t)
            .iter()
            .any(|(a, _)| t[..*a].trim_end().ends_with("\" *"))
    });
    if star && n > 40 {
        // The quotes are the substitution's own: close and reopen around the expression.
        format!("\"x\" * {n}")
    } else {
        quote(&"x".repeat(n))
    }
}

fn quote(v: &str) -> String {
    format!("\"{v}\"")
}

fn characters(n: f64) -> String {
    if n == 1.0 {
        "1 character".into()
    } else {
        format!("{} characters", fmt(n))
    }
}

/// Does the limit apply to this group? Schema limits of a one-function spec apply to every
/// row; otherwise the rows must name the property, or the function the limit's text names.
fn applies(doc: &Document, l: &Limit, rows: &[&ExampleRow]) -> bool {
    let one_fn = doc.functions.len() <= 1;
    let names_prop = |p: &str| {
        rows.iter().any(|r| {
            input_texts(r).iter().any(|t| {
                prop_number(t, Some(p), false).is_some()
                    || t.contains(&format!("{p}:"))
                    || t.contains(&format!("{p}="))
            })
        })
    };
    match &l.prop {
        Some(p) => one_fn || names_prop(p),
        None => {
            let src = l.source.to_lowercase();
            let named: Vec<&str> = doc
                .functions
                .iter()
                .map(|f| f.name.as_str())
                .filter(|n| !n.is_empty() && src.contains(&n.to_lowercase()))
                .collect();
            named.is_empty()
                || rows.iter().any(|r| {
                    named
                        .iter()
                        .any(|n| r.input.contains(n) || r.target.as_deref() == Some(*n))
                })
        }
    }
}

/// The drafts for one group, boundaries first.
pub(super) fn drafts(doc: &Document, group: &Group, limits: &[Limit]) -> Vec<RowDraft> {
    let rows: Vec<&ExampleRow> = group.rows.iter().map(|&i| &doc.examples[i]).collect();
    let single = doc.functions.len() <= 1;
    let error = error_convention(doc);
    let rejected = |why: &str| error.clone().unwrap_or_else(|| format!("rejected: {why}"));
    let mut out = Vec::new();
    let first_with = |subst: &Subst| {
        group.rows.iter().copied().find(|&i| {
            subst
                .apply(unticked(&doc.examples[i].input).0, single)
                .is_some()
                || yaml_or_cell_applies(&doc.examples[i], subst, single)
        })
    };
    for l in limits
        .iter()
        .filter(|l| l.unit.is_some() && applies(doc, l, &rows))
    {
        let chars = is_chars(l);
        if !chars && l.prop.is_none() {
            continue;
        }
        let what = if chars {
            l.prop.clone().unwrap_or_else(|| "text".into())
        } else {
            l.prop.clone().unwrap_or_default()
        };
        let bound = if l.upper { "maximum" } else { "minimum" };
        let step = if l.upper { 1.0 } else { -1.0 };
        let cases = [(l.value, true), (l.value + step, false)];
        for (v, accepted) in cases {
            if v < 0.0 || (chars && v.fract() != 0.0) || (chars && v > 100_000.0) {
                continue;
            }
            if covered(doc, l, v, single) {
                continue;
            }
            let subst = if chars {
                Subst::Quoted {
                    value: text_of(doc, v as usize),
                }
            } else {
                Subst::Number {
                    prop: l.prop.clone(),
                    value: fmt(v),
                }
            };
            let Some(source) = first_with(&subst) else {
                continue;
            };
            let name = match (chars, accepted) {
                (true, true) => format!("{what} of {}, the {bound}", characters(v)),
                (true, false) => format!(
                    "{what} of {}, just {} the {bound}",
                    characters(v),
                    if l.upper { "over" } else { "under" }
                ),
                (false, true) => format!("{what} = {}, the {bound}", fmt(v)),
                (false, false) => format!(
                    "{what} = {}, just {} the {bound}",
                    fmt(v),
                    if l.upper { "over" } else { "under" }
                ),
            };
            let (rationale, expected, note) = if accepted {
                (
                    format!("The spec states {} ({}); the bound itself must be accepted: state its result.", if chars { format!("a {bound} of {} characters", fmt(l.value)) } else { format!("a {bound} of {} for `{what}`", fmt(l.value)) }, l.source),
                    "?".to_string(),
                    format!("proposed: at the {bound} ({}); fill in the result", short_source(l)),
                )
            } else {
                (
                    format!(
                        "The spec states {} ({}); one step past it must be refused.",
                        if chars {
                            format!("a {bound} of {} characters", fmt(l.value))
                        } else {
                            format!("a {bound} of {} for `{what}`", fmt(l.value))
                        },
                        l.source
                    ),
                    rejected(&format!(
                        "{what} is outside the {bound} of {}",
                        fmt(l.value)
                    )),
                    format!("proposed: past the {bound} ({})", short_source(l)),
                )
            };
            out.push(RowDraft {
                kind: EdgeKind::Boundary,
                name,
                rationale,
                note,
                expected,
                source,
                subst,
            });
        }
    }
    // Text edges for a quoted text input the limits above did not already pin down.
    let texts: Vec<String> = doc
        .examples
        .iter()
        .flat_map(|r| {
            let t = unticked(&r.input).0.to_string();
            quoted_ranges(&t)
                .into_iter()
                .map(|(a, b)| t[a..b].to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let has_char_limit = out.iter().any(|d| matches!(d.subst, Subst::Quoted { .. }))
        || limits
            .iter()
            .any(|l| is_chars(l) && !l.upper && l.value >= 1.0 && applies(doc, l, &rows));
    let edges: [(EdgeKind, &str, &str, bool, &str); 3] = [
        (
            EdgeKind::EmptyText,
            "",
            "empty text",
            !has_char_limit && !texts.iter().any(|t| t.is_empty()),
            "An empty text is the first edge of a text input; its result must be stated.",
        ),
        (
            EdgeKind::WhitespaceText,
            "   ",
            "text of spaces only",
            !texts.iter().any(|t| !t.is_empty() && t.trim().is_empty()),
            "A text of only spaces looks filled in but is empty; its result must be stated.",
        ),
        (
            EdgeKind::UnicodeText,
            "Café ☕ 日本語",
            "text with accents, emoji and CJK",
            !texts.iter().any(|t| !t.is_ascii()),
            "Accents, emoji and CJK text must survive as typed; its result must be stated.",
        ),
    ];
    for (kind, value, name, wanted, why) in edges {
        if !wanted {
            continue;
        }
        let subst = Subst::Quoted {
            value: quote(value),
        };
        let Some(source) = first_with(&subst) else {
            continue;
        };
        out.push(RowDraft {
            kind,
            name: name.to_string(),
            rationale: why.to_string(),
            note: "proposed: fill in the result".to_string(),
            expected: "?".to_string(),
            source,
            subst,
        });
    }
    // In a spec of several functions, name the function the row calls.
    if doc.functions.len() > 1 {
        for d in &mut out {
            let r = &doc.examples[d.source];
            let called = doc
                .functions
                .iter()
                .map(|f| f.name.as_str())
                .find(|f| !f.is_empty() && r.input.contains(&format!("{f}(")))
                .or(r.target.as_deref());
            if let Some(f) = called {
                d.name = format!("{f} with {}", d.name);
            }
        }
    }
    out
}

fn short_source(l: &Limit) -> String {
    if l.prop.is_some() {
        l.source.replace(" in the schema", "")
    } else {
        format!("{} {}", fmt(l.value), l.unit.as_deref().unwrap_or_default())
            .trim()
            .to_string()
    }
}

/// For tables, a substitution may apply to a column named after the property.
fn yaml_or_cell_applies(row: &ExampleRow, subst: &Subst, single: bool) -> bool {
    row.cells.iter().any(|(h, v)| {
        let named = matches!(subst, Subst::Number { prop: Some(p), .. } if header_key(h) == p.to_lowercase());
        (named && unticked(v).0.trim().parse::<f64>().is_ok())
            || (matches!(classify(h), Col::Input | Col::Other)
                && subst.apply(unticked(v).0, single).is_some())
    })
}

fn escape_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if c == '|' && prev != '\\' {
            out.push('\\');
        }
        out.push(c);
        prev = c;
    }
    out
}

/// The new row, in the table's own shape, inserted after the group's last row. Returns the
/// edit and the new input as written.
pub(super) fn table_row(
    doc: &Document,
    text: &str,
    group: &Group,
    d: &RowDraft,
    single: bool,
) -> Option<(TextEdit, String)> {
    let src = &doc.examples[d.source];
    let cols: Vec<Col> = src.cells.iter().map(|(h, _)| classify(h)).collect();
    let name_col = cols.iter().position(|c| *c == Col::Name);
    let notes_col = cols.iter().position(|c| *c == Col::Notes);
    // The cell that takes the new value: a column named after the property, else the first
    // input-like cell the substitution applies to.
    let mut input_col = None;
    let mut new_input = String::new();
    if let Subst::Number {
        prop: Some(p),
        value,
    } = &d.subst
    {
        if let Some(k) = src.cells.iter().position(|(h, v)| {
            header_key(h) == p.to_lowercase() && unticked(v).0.trim().parse::<f64>().is_ok()
        }) {
            input_col = Some(k);
            let (_, ticked) = unticked(&src.cells[k].1);
            new_input = if ticked {
                format!("`{value}`")
            } else {
                value.clone()
            };
        }
    }
    if input_col.is_none() {
        for (k, (_, v)) in src.cells.iter().enumerate() {
            if !matches!(cols[k], Col::Input | Col::Other) {
                continue;
            }
            let (inner, ticked) = unticked(v);
            if let Some(n) = d.subst.apply(inner, single) {
                input_col = Some(k);
                new_input = if ticked { format!("`{n}`") } else { n };
                break;
            }
        }
    }
    let input_col = input_col?;
    let expected_col = cols.iter().position(|c| *c == Col::Expected).or_else(|| {
        (0..cols.len())
            .rev()
            .find(|&k| cols[k] == Col::Other && k != input_col)
    })?;
    let mark = notes_col.is_none();
    let mut cells: Vec<String> = Vec::with_capacity(cols.len());
    for (k, (_, v)) in src.cells.iter().enumerate() {
        let cell = if k == input_col {
            escape_cell(&new_input)
        } else if Some(k) == name_col {
            escape_cell(&format!(
                "{}{}",
                d.name,
                if mark { " (proposed)" } else { "" }
            ))
        } else if k == expected_col {
            let e = if mark && name_col.is_none() {
                format!("{} (proposed)", d.expected)
            } else {
                d.expected.clone()
            };
            escape_cell(&e)
        } else if Some(k) == notes_col {
            escape_cell(&d.note)
        } else if matches!(cols[k], Col::Target | Col::Input | Col::Other) {
            escape_cell(v)
        } else {
            String::new()
        };
        cells.push(cell);
    }
    let last = &doc.examples[*group.rows.last()?];
    let ls = line_start(text, last.span.start);
    let lead: String = text[ls..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let line = format!("{lead}| {} |\n", cells.join(" | "));
    let p = after_line(text, last.span.end);
    Some((insert(text, p, line), new_input))
}

fn insert(text: &str, p: usize, body: String) -> TextEdit {
    let mut new_text = String::new();
    if p == text.len() && !text.is_empty() && !text.ends_with('\n') {
        new_text.push('\n');
    }
    new_text.push_str(&body);
    TextEdit {
        path: String::new(),
        span: Span::empty(p),
        new_text,
    }
}

const NAME_KEYS: &[&str] = &["name", "description", "scenario", "case"];
const INPUT_KEYS: &[&str] = &["input", "inputs", "args", "given", "when"];
const EXPECTED_KEYS: &[&str] = &[
    "expected",
    "expected_output",
    "expected_outputs",
    "output",
    "outputs",
    "result",
    "then",
    "returns",
    "raises",
    "error",
];

/// The expected value as a YAML scalar: a model's answer already written as a quoted scalar
/// (`"hello-world"`) is kept as written; anything else is quoted as needed.
fn expected_scalar(d: &RowDraft) -> String {
    let e = d.expected.trim();
    let quoted = e.len() >= 2
        && ((e.starts_with('"') && e.ends_with('"')) || (e.starts_with('\'') && e.ends_with('\'')));
    if matches!(d.subst, Subst::Whole { .. }) && quoted {
        e.to_string()
    } else {
        yaml_scalar(&d.expected)
    }
}

/// The new entry, shaped like the source entry, inserted after the group's last entry.
pub(super) fn yaml_entry(
    doc: &Document,
    text: &str,
    group: &Group,
    d: &RowDraft,
    single: bool,
) -> Option<(TextEdit, String)> {
    let src = &doc.examples[d.source];
    let ls = line_start(text, src.span.start);
    let end = after_line(text, src.span.end);
    let slice = text.get(ls..end)?;
    let indent = slice.len() - slice.trim_start_matches(' ').len();
    if !slice[indent..].starts_with("- ") {
        return None;
    }
    let y = crate::yaml::parse(slice);
    let root = y.root.as_ref()?;
    let item = root.items().first()?;
    if !item.is_map() {
        return None;
    }
    let find = |keys: &[&str]| keys.iter().find_map(|k| item.entry(k));
    let input = find(INPUT_KEYS)?;
    let expected = find(EXPECTED_KEYS)?;
    let name = find(NAME_KEYS);
    let in_span = input.value.span;
    let raw_input = slice.get(in_span.start..in_span.end)?;
    let new_input = d.subst.apply(raw_input, single)?;
    let mut reps: Vec<(Span, String)> = vec![
        (in_span, new_input.clone()),
        (expected.value.span, expected_scalar(d)),
    ];
    let proposed_name = format!("{} (proposed)", d.name);
    match name {
        Some(n) if !n.value.span.is_empty() => {
            reps.push((n.value.span, yaml_scalar(&proposed_name)));
        }
        _ => reps.push((
            Span::empty(indent + 2),
            format!(
                "description: {}\n{}",
                yaml_scalar(&proposed_name),
                " ".repeat(indent + 2)
            ),
        )),
    }
    reps.sort_by_key(|(s, _)| std::cmp::Reverse(s.start));
    let mut body = slice.to_string();
    for (s, r) in &reps {
        if s.end > body.len() || s.start > s.end {
            return None;
        }
        body.replace_range(s.start..s.end, r);
    }
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let last = &doc.examples[*group.rows.last()?];
    let p = after_line(text, last.span.end);
    Some((insert(text, p, body), new_input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_numbers_and_quotes() {
        let s = "{n: 5, m: 7}";
        assert_eq!(prop_number(s, Some("n"), false), Some((4, 5)));
        assert_eq!(prop_number(s, Some("m"), false), Some((10, 11)));
        assert_eq!(prop_number("clamp(5)", Some("n"), true), Some((6, 7)));
        assert_eq!(prop_number("clamp(5, 6)", Some("n"), true), None);
        assert_eq!(prop_number("f(\"in 3 days\")", None, true), None);
        assert_eq!(prop_number("n = -2", Some("n"), false), Some((4, 6)));
        let q = Subst::Quoted {
            value: "\"\"".into(),
        };
        assert_eq!(
            q.apply("f(\"a\\\"b\", \"c\")", true).as_deref(),
            Some("f(\"\", \"c\")")
        );
        assert_eq!(escape_cell("a | b \\| c"), "a \\| b \\| c");
    }
}
