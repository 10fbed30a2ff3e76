//! Completeness: functions with fewer than two examples or scenarios, requirements no scenario
//! or example exercises, behaviour bullets stating a condition no example exercises, spec types
//! missing required sections, requirements without SHALL/MUST where the spec uses that style,
//! and `[NEEDS CLARIFICATION]` / TODO / TBD / FIXME placeholders.
//!
//! Decisions:
//! - A scenario exercises a requirement when the requirement is its parent, or its name, steps or
//!   tags mention the id; an example row exercises it when a cell mentions the id. Mentions in
//!   any spec of the workspace count. A requirement that names a function of the spec is also
//!   exercised when one of that function's examples shares at least half of its significant
//!   words. Requirements whose id starts with `NFR` (measured by constraints) or `SC-`
//!   (spec-kit's success criteria) are not reported.
//! - An example counts for a function when its target names the function or its text calls it
//!   (`add_todo("x")`); when a spec has a single function, untargeted examples and scenarios
//!   count for it too.
//! - A behaviour bullet states a condition when it contains `if`, `when`, `whenever`, `unless`,
//!   `otherwise`, `raise(s)`, `throw(s)`, `error(s)` or `exception`. It is exercised when it is
//!   a requirement whose id an example or scenario names, or when an example or scenario of the
//!   functions it names shares at least half of its significant words (stop words, condition
//!   words and function names left out), or names the same exception.
//! - Placeholders are looked for outside fenced code blocks and inline code, as upper-case
//!   words (`TODO`, `TBD`, `FIXME`) and `[NEEDS CLARIFICATION ...]` in any case.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, TextEdit};
use crate::model::{DocKind, Document};
use crate::span::Span;

use super::normalize::{lex, significant_words, Lex};
use super::summary::{FileSummary, RequirementCandidate};

pub fn check_document(doc: &Document, text: &str, out: &mut Vec<Diagnostic>) {
    check_document_but_placeholders(doc, text, out);
    out.extend(placeholders(doc, text));
}

/// [`check_document`] without [`placeholders`] (which come after the others).
pub fn check_document_but_placeholders(doc: &Document, text: &str, out: &mut Vec<Diagnostic>) {
    functions(doc, out);
    conditions(doc, text, out);
    sections(doc, text, out);
    keywords(doc, out);
}

/// The placeholders of `doc` (`TODO`, `[NEEDS CLARIFICATION]`...), in the order of the text.
pub fn placeholders(doc: &Document, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if has_placeholders(doc) {
        placeholders_in(doc, text, 0, text.len(), &mut out);
    }
    out
}

fn has_placeholders(doc: &Document) -> bool {
    matches!(
        doc.kind,
        Some(DocKind::MarkdownSpec) | Some(DocKind::YamlSpec)
    )
}

/// [`placeholders`] of `doc`, made from `old` by an edit inside `window` (the bytes
/// `window.0..window.1` of the old text became `window.0..window.1 + delta` of `text`; the text
/// and the document are the same before it and moved by `delta` after it), given `prev`, the
/// placeholders of `old`: only the lines around the window are read again.
pub fn placeholders_after_edit(
    doc: &Document,
    text: &str,
    prev: Vec<Diagnostic>,
    window: (usize, usize),
    delta: isize,
) -> Vec<Diagnostic> {
    if !has_placeholders(doc) {
        return Vec::new();
    }
    let new_end = (window.1 as isize + delta) as usize;
    // The whole lines around the window (in the old text, `to - delta`).
    let from = text[..window.0].rfind('\n').map_or(0, |p| p + 1);
    let to = text[new_end..]
        .find('\n')
        .map_or(text.len(), |p| new_end + p + 1);
    let old_to = (to as isize - delta) as usize;
    let mut out = Vec::with_capacity(prev.len() + 1);
    let mut rest = prev.into_iter().peekable();
    while let Some(d) = rest.next_if(|d| d.span.start < from) {
        out.push(d);
    }
    placeholders_in(doc, text, from, to, &mut out);
    for mut d in rest.filter(|d| d.span.start >= old_to) {
        d.local_spans_mut(&doc.path, &mut |s| {
            s.start = (s.start as isize + delta) as usize;
            s.end = (s.end as isize + delta) as usize;
        });
        out.push(d);
    }
    out
}

fn fn_key(s: &str) -> String {
    let s = s.trim().trim_matches('`');
    let s = s.split('(').next().unwrap_or(s);
    s.trim().to_lowercase()
}

/// Whether `text` names the identifier `name` (not as part of a longer identifier).
pub fn mentions_ident(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(at) = text[from..].find(name) {
        let start = from + at;
        let end = start + name.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            return true;
        }
        from = end;
    }
    false
}

fn example_text(e: &crate::model::ExampleRow) -> String {
    let mut t = format!(
        "{} {} {}",
        e.name.as_deref().unwrap_or(""),
        e.input,
        e.expected
    );
    for (_, v) in &e.cells {
        t.push(' ');
        t.push_str(v);
    }
    t
}

fn scenario_text(s: &crate::model::Scenario) -> String {
    let mut t = s.name.clone();
    for st in s.steps() {
        t.push(' ');
        t.push_str(&st.text);
    }
    t
}

/// Does this example or scenario (its target/parent and its text) belong to one of `fns`?
/// With no functions named, everything belongs.
fn belongs(fns: &[String], target: Option<&str>, text: &str, single: bool) -> bool {
    if fns.is_empty() {
        return true;
    }
    match target {
        Some(t) if fns.contains(&fn_key(t)) => true,
        _ => {
            (single && target.is_none())
                || fns.iter().any(|f| mentions_ident(&text.to_lowercase(), f))
        }
    }
}

fn functions(doc: &Document, out: &mut Vec<Diagnostic>) {
    let single = doc.functions.len() == 1;
    let doc_key = fn_key(&doc.name);
    for f in &doc.functions {
        let key = fn_key(&f.name);
        if key.is_empty() {
            continue;
        }
        let mut keys = vec![key.clone()];
        if single {
            keys.push(doc_key.clone());
        }
        let examples = doc
            .examples
            .iter()
            .filter(|e| belongs(&keys, e.target.as_deref(), &example_text(e), single))
            .count();
        let scenarios = doc
            .scenarios
            .iter()
            .filter(|s| belongs(&keys, s.parent.as_deref(), &scenario_text(s), single))
            .count();
        let n = examples + scenarios;
        if n < 2 {
            let has = match n {
                0 => "no examples or scenarios".to_string(),
                _ => "only one example".to_string(),
            };
            out.push(Diagnostic::new(
                "function-without-examples",
                if f.name_span.is_empty() { f.span } else { f.name_span },
                format!("function `{}` has {has}: add at least two examples (rows of its Examples table or scenarios)", f.name),
            ));
        }
    }
}

/// The functions of `doc` a text is about: its explicit target, else the functions it names.
fn functions_named(doc: &Document, target: Option<&str>, text: &str) -> Vec<String> {
    if let Some(t) = target {
        return vec![fn_key(t)];
    }
    let lower = text.to_lowercase();
    doc.functions
        .iter()
        .map(|f| fn_key(&f.name))
        .filter(|k| !k.is_empty() && mentions_ident(&lower, k))
        .collect()
}

/// Does some example or scenario of `doc` belonging to `fns` share at least half of the
/// significant words of `text` (function names left out), or name the same exception?
fn exercised_by_words(doc: &Document, fns: &[String], text: &str) -> bool {
    let fn_words: Vec<String> = fns
        .iter()
        .flat_map(|f| significant_words(&f.replace('_', " ")))
        .chain(fns.iter().cloned())
        .collect();
    let sig: Vec<String> = significant_words(text)
        .into_iter()
        .filter(|w| !CONDITION_WORDS.contains(&w.as_str()) && !fn_words.contains(w))
        .filter(|w| !matches!(w.as_str(), "must" | "shall" | "should"))
        .collect();
    if sig.is_empty() {
        return true;
    }
    let exceptions: Vec<&String> = sig.iter().filter(|w| is_exception_name(w)).collect();
    let single = doc.functions.len() <= 1;
    let texts = doc
        .examples
        .iter()
        .filter_map(|e| {
            let t = example_text(e);
            belongs(fns, e.target.as_deref(), &t, single).then_some(t)
        })
        .chain(doc.scenarios.iter().filter_map(|s| {
            let t = scenario_text(s);
            belongs(fns, s.parent.as_deref(), &t, single).then_some(t)
        }));
    for t in texts {
        let w = significant_words(&t);
        let shared = sig.iter().filter(|s| w.contains(s)).count();
        if shared * 2 >= sig.len() || exceptions.iter().any(|x| w.contains(x)) {
            return true;
        }
    }
    false
}

/// Requirement ids mentioned by the document's scenarios and example rows.
fn local_mentions(doc: &Document) -> std::collections::BTreeSet<String> {
    let mut m = std::collections::BTreeSet::new();
    for sc in &doc.scenarios {
        super::summary::requirement_mentions(&scenario_text(sc), &mut m);
        for t in &sc.tags {
            super::summary::requirement_mentions(t, &mut m);
        }
        if let Some(p) = &sc.parent {
            m.insert(p.clone());
        }
    }
    for e in &doc.examples {
        super::summary::requirement_mentions(&example_text(e), &mut m);
        if let Some(t) = &e.target {
            m.insert(t.clone());
        }
    }
    m
}

/// Requirements this document does not exercise itself (the join checks other documents).
pub fn unexercised_requirements(doc: &Document) -> Vec<RequirementCandidate> {
    if doc.requirements.is_empty() {
        return Vec::new();
    }
    let mentioned = local_mentions(doc);
    let mut out = Vec::new();
    for r in &doc.requirements {
        let upper = r.id.to_ascii_uppercase();
        if r.id.is_empty() || upper.starts_with("NFR") || upper.starts_with("SC-") {
            continue;
        }
        let by_parent = doc.scenarios.iter().any(|s| {
            s.parent
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case(&r.id))
        });
        if by_parent || mentioned.contains(&r.id) {
            continue;
        }
        // A requirement about a function is exercised by that function's examples when they
        // share its words.
        let fns = functions_named(doc, None, &r.text);
        if !fns.is_empty() && exercised_by_words(doc, &fns, &r.text) {
            continue;
        }
        out.push(RequirementCandidate {
            id: r.id.clone(),
            span: if r.id_span.is_empty() {
                r.span
            } else {
                r.id_span
            },
        });
    }
    out
}

pub fn join(files: &[&FileSummary], out: &mut BTreeMap<String, Vec<Diagnostic>>) {
    for f in files {
        for c in &f.unexercised {
            let elsewhere = files
                .iter()
                .any(|o| o.path != f.path && o.mentions.contains(&c.id));
            if elsewhere {
                continue;
            }
            super::push(
                out,
                &f.path,
                Diagnostic::new(
                    "requirement-without-scenario",
                    c.span,
                    format!(
                        "requirement `{}` has no scenario or example exercising it: add a scenario under it or mention `{}` in one",
                        c.id, c.id
                    ),
                ),
            );
        }
    }
}

const CONDITION_WORDS: &[&str] = &[
    "if",
    "when",
    "whenever",
    "unless",
    "otherwise",
    "raise",
    "raises",
    "throw",
    "throws",
    "error",
    "errors",
    "exception",
];

fn is_exception_name(w: &str) -> bool {
    w.len() > 5 && (w.ends_with("error") || w.ends_with("exception")) && w != "error"
}

fn conditions(doc: &Document, text: &str, out: &mut Vec<Diagnostic>) {
    // Built on first use: most documents have no conditional behaviour bullets, and reading
    // every scenario of a big spec on each edit for nothing is what this avoids.
    let mentioned = std::cell::OnceCell::new();
    for b in &doc.behaviors {
        let words: Vec<String> = lex(&b.text)
            .into_iter()
            .filter_map(|l| match l {
                Lex::Word(w) => Some(w),
                _ => None,
            })
            .collect();
        if !words.iter().any(|w| CONDITION_WORDS.contains(&w.as_str())) {
            continue;
        }
        // A bullet that is a requirement whose id an example or scenario names is exercised.
        let req = doc
            .requirements
            .iter()
            .find(|r| r.span.contains(b.span.start) || b.span.contains(r.span.start));
        if req.is_some_and(|r| {
            mentioned
                .get_or_init(|| local_mentions(doc))
                .contains(&r.id)
        }) {
            continue;
        }
        let fns = functions_named(doc, b.target.as_deref(), &b.text);
        if exercised_by_words(doc, &fns, &b.text) {
            continue;
        }
        let target = fns.first().cloned();
        let mut d = Diagnostic::new(
            "untested-condition",
            b.span,
            format!(
                "condition not exercised by any example or scenario: `{}`",
                b.text.trim()
            ),
        );
        if let Some(fix) = condition_fix(doc, text, b.text.trim(), target.as_deref()) {
            d.fixes.push(fix);
        }
        out.push(d);
    }
}

/// An example row skeleton after the last row of the function's Examples table, or a scenario
/// skeleton after the last Markdown scenario.
fn condition_fix(
    doc: &Document,
    text: &str,
    condition: &str,
    target: Option<&str>,
) -> Option<crate::diag::Fix> {
    let short: String = condition.replace('|', "/").chars().take(80).collect();
    let row = doc
        .examples
        .iter()
        .filter(|e| match (target, e.target.as_deref()) {
            (Some(t), Some(et)) => fn_key(et) == t,
            _ => true,
        })
        .filter(|e| e.span.slice(text).trim_start().starts_with('|'))
        .max_by_key(|e| e.span.end);
    if let Some(row) = row {
        let cols = row.cells.len().max(2);
        let mut new_row = format!("\n| {short} |");
        for _ in 1..cols {
            new_row.push_str(" ? |");
        }
        let at = line_end(text, row.span.end);
        return Some(crate::diag::Fix {
            title: "Add an example row for this condition".into(),
            edits: vec![TextEdit {
                path: doc.path.clone(),
                span: Span::empty(at),
                new_text: new_row,
            }],
        });
    }
    let last = doc
        .scenarios
        .iter()
        .filter(|s| s.origin == crate::model::ScenarioOrigin::MarkdownHeading)
        .max_by_key(|s| s.span.end)?;
    let head_line = last.span.slice(text).lines().next().unwrap_or("");
    let hashes: String = head_line.chars().take_while(|c| *c == '#').collect();
    let hashes = if hashes.is_empty() {
        "####".to_string()
    } else {
        hashes
    };
    let at = line_end(text, last.span.end);
    Some(crate::diag::Fix {
        title: "Add a scenario for this condition".into(),
        edits: vec![TextEdit {
            path: doc.path.clone(),
            span: Span::empty(at),
            new_text: format!(
                "\n\n{hashes} Scenario: {short}\n- **GIVEN** ...\n- **WHEN** ...\n- **THEN** ..."
            ),
        }],
    })
}

/// The end of the line containing `at` (before its newline).
fn line_end(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    let at = if at > 0 && text.as_bytes().get(at - 1) == Some(&b'\n') {
        at - 1
    } else {
        at
    };
    match text[at..].find('\n') {
        Some(i) => at + i,
        None => text.len(),
    }
}

/// (canonical section, accepted title prefixes, accepted block infos, skeleton body).
struct Required {
    name: &'static str,
    titles: &'static [&'static str],
    blocks: &'static [&'static str],
    body: &'static str,
}

const OVERVIEW: Required = Required {
    name: "Overview",
    titles: &[
        "overview",
        "summary",
        "purpose",
        "description",
        "introduction",
    ],
    blocks: &[],
    body: "Describe what this spec is for.\n",
};
const INTERFACE: Required = Required {
    name: "Interface",
    titles: &[
        "interface",
        "signature",
        "api",
        "schema",
        "inputs",
        "functions",
    ],
    blocks: &["yaml:schema", "yaml:functions"],
    body: "```yaml:schema\n```\n",
};
const BEHAVIOR: Required = Required {
    name: "Behavior",
    titles: &["behavior", "behaviour", "functional requirements", "rules"],
    blocks: &[],
    body: "- Describe the behaviour, one rule per bullet.\n",
};
const SCHEMA: Required = Required {
    name: "Schema",
    titles: &[
        "schema",
        "interface",
        "fields",
        "type definition",
        "definition",
    ],
    blocks: &["yaml:schema", "yaml:types"],
    body: "```yaml:schema\n```\n",
};
const STEPS: Required = Required {
    name: "Steps",
    titles: &["steps", "workflow steps"],
    blocks: &["yaml:steps"],
    body: "```yaml:steps\n```\n",
};
const EXPORTS: Required = Required {
    name: "Exports",
    titles: &["exports", "public api", "exported"],
    blocks: &[],
    body: "- List what this module exports.\n",
};
const API: Required = Required {
    name: "API",
    titles: &["api", "reference", "usage", "interface"],
    blocks: &[],
    body: "Describe the API.\n",
};

fn required(spec_type: &str) -> &'static [Required] {
    match spec_type {
        "function" => &[OVERVIEW, INTERFACE, BEHAVIOR],
        "type" | "typedef" => &[SCHEMA],
        "workflow" | "orchestrator" => &[STEPS],
        "module" => &[EXPORTS],
        "reference" => &[OVERVIEW, API],
        _ => &[],
    }
}

fn sections(doc: &Document, text: &str, out: &mut Vec<Diagnostic>) {
    if doc.kind != Some(DocKind::MarkdownSpec) {
        return;
    }
    let Some(t) = doc.spec_type.as_deref() else {
        return;
    };
    let t = t.trim().to_ascii_lowercase();
    let req = required(&t);
    let title_of = |s: &crate::model::Section| {
        s.title
            .trim()
            .trim_matches(|c: char| c == '`' || c == ':' || c == '*')
            .to_lowercase()
    };
    let present = |r: &Required| {
        doc.sections
            .iter()
            .any(|s| r.titles.iter().any(|p| title_of(s).starts_with(p)))
            || doc.blocks.iter().any(|b| {
                r.blocks
                    .iter()
                    .any(|x| b.info.trim().eq_ignore_ascii_case(x))
            })
    };
    let at = doc
        .front_matter
        .as_ref()
        .and_then(|fm| fm.fields.iter().find(|f| f.key == "type"))
        .map(|f| f.value_span)
        .unwrap_or(doc.name_span);
    // Heading level for inserted sections: the level of the matched required sections, else
    // one below the shallowest heading (or 2).
    let min_level = doc.sections.iter().map(|s| s.level).min().unwrap_or(1);
    let level = doc
        .sections
        .iter()
        .find(|s| {
            req.iter()
                .any(|r| r.titles.iter().any(|p| title_of(s).starts_with(p)))
        })
        .map(|s| s.level)
        .unwrap_or(
            if doc.sections.iter().filter(|s| s.level == min_level).count() == 1 {
                min_level + 1
            } else {
                min_level.max(2)
            },
        );
    for (k, r) in req.iter().enumerate() {
        if present(r) {
            continue;
        }
        // Insert before the first section at `level` that matches a later required section.
        let later = doc
            .sections
            .iter()
            .filter(|s| s.level <= level)
            .find(|s| {
                req[k + 1..]
                    .iter()
                    .any(|r2| r2.titles.iter().any(|p| title_of(s).starts_with(p)))
            })
            .map(|s| s.heading_span.start);
        let skeleton = format!("{} {}\n\n{}\n", "#".repeat(level as usize), r.name, r.body);
        let (pos, new_text) = match later {
            Some(p) => (p, skeleton),
            None => {
                let sep = if text.ends_with("\n\n") || text.is_empty() {
                    ""
                } else if text.ends_with('\n') {
                    "\n"
                } else {
                    "\n\n"
                };
                (text.len(), format!("{sep}{skeleton}"))
            }
        };
        let what = if r.blocks.is_empty() {
            format!("a `{}` section", r.name)
        } else {
            format!(
                "a `{}` section or a `{}` block",
                r.name,
                r.blocks.join("`/`")
            )
        };
        out.push(
            Diagnostic::new(
                "missing-section",
                at,
                format!("a `{t}` spec needs {what}, and this spec has none"),
            )
            .with_fix(
                format!("Insert a `{}` section", r.name),
                vec![TextEdit {
                    path: doc.path.clone(),
                    span: Span::empty(pos),
                    new_text,
                }],
            ),
        );
    }
}

fn keywords(doc: &Document, out: &mut Vec<Diagnostic>) {
    // spec-kit's success criteria (`SC-001`) are measurable outcomes, not SHALL statements.
    let reqs: Vec<&crate::model::Requirement> = doc
        .requirements
        .iter()
        .filter(|r| !r.id.to_ascii_uppercase().starts_with("SC-"))
        .collect();
    let total = reqs.len();
    let normative = reqs.iter().filter(|r| r.normative).count();
    // The spec "uses that style" when at least half of its requirements use SHALL/MUST.
    if total < 2 || normative == 0 || normative * 2 < total || normative == total {
        return;
    }
    for r in reqs.into_iter().filter(|r| !r.normative) {
        out.push(Diagnostic::new(
            "requirement-without-keyword",
            if r.id_span.is_empty() { r.span } else { r.id_span },
            format!(
                "requirement `{}` has no SHALL or MUST, unlike {normative} of the {total} requirements in this spec",
                r.id
            ),
        ));
    }
}

/// What a clarification placeholder starts with, after its `[` (any case).
const CLARIFICATION: &str = "NEEDS CLARIFICATION";

/// The lines (start, text with its line break) that can hold a placeholder, in order: those
/// with `[NEEDS CLARIFICATION` (any case) or one of the placeholder words. A line without any gives nothing in
/// [`placeholders`], so a big spec is not read byte by byte on every edit: the text is
/// scanned in blocks for the pairs of bytes that can start one (a loop the compiler
/// vectorises).
fn placeholder_lines(text: &str, from: usize, to: usize) -> Vec<(usize, &str)> {
    const W: usize = 64;
    let bytes = &text.as_bytes()[..to];
    let starts_at = |at: usize| match bytes[at] {
        b'[' => bytes
            .get(at + 1..at + 1 + CLARIFICATION.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(CLARIFICATION.as_bytes())),
        b'T' => bytes[at..].starts_with(b"TODO") || bytes[at..].starts_with(b"TBD"),
        b'F' => bytes[at..].starts_with(b"FIXME"),
        _ => false,
    };
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut i = from;
    while i < bytes.len() {
        let end = (i + W).min(bytes.len());
        // The two bytes a placeholder starts with (`[n`, `TO`, `TB`, `FI`; a byte at the end
        // of the text starts none): `T` and `F` alone start many words.
        let next = &bytes[i + 1..(end + 1).min(bytes.len())];
        let hit = bytes[i..end].iter().zip(next).fold(false, |acc, (&a, &b)| {
            acc | ((a == b'[') & ((b | 0x20) == b'n'))
                | ((a == b'T') & ((b == b'O') | (b == b'B')))
                | ((a == b'F') & (b == b'I'))
        });
        if hit {
            for at in i..end {
                if !starts_at(at) || lines.last().is_some_and(|(s, l)| at < s + l.len()) {
                    continue;
                }
                let start = text[..at].rfind('\n').map_or(0, |p| p + 1);
                let stop = text[at..].find('\n').map_or(text.len(), |p| at + p + 1);
                lines.push((start, &text[start..stop]));
            }
        }
        i = end;
    }
    lines
}

/// The placeholders on the lines of `text` between `from` (a line's start) and `to` (a line's
/// end, after its line break, or the end of the text).
fn placeholders_in(doc: &Document, text: &str, from: usize, to: usize, out: &mut Vec<Diagnostic>) {
    let markdown = doc.kind == Some(DocKind::MarkdownSpec);
    let in_block = |at: usize| markdown && doc.blocks.iter().any(|b| b.span.contains(at));
    for (start, line) in placeholder_lines(text, from, to) {
        if line.len() > crate::limits::MAX_LINE_BYTES || in_block(start) {
            continue;
        }
        let bytes = line.as_bytes();
        let mut in_code = false;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'`' && markdown {
                in_code = !in_code;
                i += 1;
                continue;
            }
            if in_code {
                i += 1;
                continue;
            }
            if b == b'[' {
                let rest = &line[i + 1..];
                if rest
                    .get(..19)
                    .is_some_and(|s| s.eq_ignore_ascii_case(CLARIFICATION))
                {
                    let end = rest
                        .find(']')
                        .map(|e| i + 1 + e + 1)
                        .unwrap_or_else(|| line.trim_end_matches(['\n', '\r']).len());
                    let span = Span::new(start + i, start + end);
                    out.push(Diagnostic::new(
                        "placeholder",
                        span,
                        format!(
                            "unresolved clarification left in the spec: `{}`",
                            span.slice(text)
                        ),
                    ));
                    i = end;
                    continue;
                }
            }
            if b.is_ascii_uppercase() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
                let mut j = i;
                while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
                    j += 1;
                }
                let word = &line[i..j];
                if matches!(word, "TODO" | "TBD" | "FIXME") {
                    out.push(Diagnostic::new(
                        "placeholder",
                        Span::new(start + i, start + j),
                        format!("placeholder `{word}` left in the spec: resolve it before generating code"),
                    ));
                }
                i = j.max(i + 1);
                continue;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn local(doc: &Document, text: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        check_document(doc, text, &mut out);
        out
    }

    #[test]
    fn functions_need_two_examples() {
        let (doc, text) = DocBuilder::new("m.spec.md", "m")
            .function("add")
            .example(Some("add"), "1, 2", "3")
            .example(Some("add"), "0, 0", "0")
            .function("sub")
            .example(Some("sub"), "1, 2", "-1")
            .build();
        let out = local(&doc, &text);
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(out[0].code, "function-without-examples");
        assert!(out[0].message.contains("`sub` has only one example"));
    }

    #[test]
    fn untested_conditions_and_their_fix() {
        let (doc, text) = DocBuilder::new("m.spec.md", "m")
            .function("add_todo")
            .behavior(Some("add_todo"), "Raises ValueError if the item is empty")
            .behavior(
                Some("add_todo"),
                "If the list is full, the oldest item is dropped",
            )
            .behavior(Some("add_todo"), "Returns the new item's index")
            .example(Some("add_todo"), "\"\"", "ValueError")
            .example(Some("add_todo"), "\"milk\"", "0")
            .build();
        let out = local(&doc, &text);
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(out[0].code, "untested-condition");
        assert!(out[0].message.contains("list is full"));
        let edit = &out[0].fixes[0].edits[0];
        assert_eq!(
            edit.new_text,
            "\n| If the list is full, the oldest item is dropped | ? |"
        );
        assert_eq!(edit.span.start, doc.examples[1].span.end);
    }

    #[test]
    fn missing_sections_with_skeletons() {
        let (doc, text) = DocBuilder::new("f.spec.md", "f")
            .spec_type("function")
            .section(1, "f")
            .section(2, "Overview")
            .raw("Adds.")
            .section(2, "Behavior")
            .raw("- adds")
            .end_sections()
            .build();
        let out = local(&doc, &text);
        assert_eq!(out.len(), 1, "{out:#?}");
        assert_eq!(out[0].code, "missing-section");
        let e = &out[0].fixes[0].edits[0];
        assert_eq!(e.span.start, doc.sections[2].heading_span.start);
        assert_eq!(e.new_text, "## Interface\n\n```yaml:schema\n```\n\n");
        // Block satisfies the Interface requirement.
        let mut doc2 = doc.clone();
        doc2.blocks.push(crate::model::CodeBlock {
            info: "yaml:schema".into(),
            ..Default::default()
        });
        assert!(local(&doc2, &text).is_empty());
    }

    /// The lines of `text` [`placeholder_lines`] must give, found the plain way.
    fn naive_placeholder_lines(text: &str) -> Vec<(usize, &str)> {
        text.split_inclusive('\n')
            .scan(0, |at, l| {
                let start = *at;
                *at += l.len();
                Some((start, l))
            })
            .filter(|(_, l)| {
                l.to_ascii_uppercase().contains("[NEEDS CLARIFICATION")
                    || l.contains("TODO")
                    || l.contains("TBD")
                    || l.contains("FIXME")
            })
            .collect()
    }

    #[test]
    fn placeholder_lines_are_the_lines_with_a_candidate() {
        let long = "x".repeat(150);
        // A placeholder's first byte last in a 64-byte block, the next byte in the next one.
        let (b63, b62) = ("x".repeat(63), "y".repeat(62));
        let texts = [
            String::new(),
            "TODO".to_string(),
            "no\nFIXME here\n[x]\nTB\nTBD\nT\n[needs Clarification: y]\n[NEEDS CLARIFICATIO"
                .to_string(),
            format!("{long}TODO{long}\n{long}\n[{long}\n{long}FIXM\n{long}TBD"),
            format!("a [b] TODO\n\n{long}F\nIXME [\n"),
            format!("{b63}TODO\n{b62}[needs clarification]\n{b62}FIXME"),
            format!("{b63}T"),
        ];
        for text in &texts {
            let naive = naive_placeholder_lines(text);
            assert_eq!(placeholder_lines(text, 0, text.len()), naive, "{text:?}");
        }
    }

    proptest::proptest! {
        /// Text made of the bytes placeholders are made of, at any place in the blocks.
        #[test]
        fn placeholder_lines_of_any_text(text in "[TODBFIXMEN\\[nx \n]{0,300}") {
            let naive = naive_placeholder_lines(&text);
            proptest::prop_assert_eq!(placeholder_lines(&text, 0, text.len()), naive);
        }
    }

    #[test]
    fn keywords_and_placeholders() {
        let (doc, text) = DocBuilder::new("r.spec.md", "r")
            .requirement("FR-01", "The system MUST store tasks")
            .requirement("FR-02", "The system SHALL list tasks")
            .requirement("FR-03", "Tasks can be deleted")
            .raw("Open question: [NEEDS CLARIFICATION: auth method?] and TODO later, todo app, `TODO` ok")
            .build();
        let mut got: Vec<_> = local(&doc, &text)
            .into_iter()
            .map(|d| (d.code, d.span.slice(&text).to_string()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("placeholder", "TODO".to_string()),
                (
                    "placeholder",
                    "[NEEDS CLARIFICATION: auth method?]".to_string()
                ),
                ("requirement-without-keyword", "FR-03".to_string()),
            ]
        );
    }

    #[test]
    fn requirements_need_a_scenario_somewhere() {
        let a = DocBuilder::new("a.spec.md", "a")
            .requirement("FR-01", "The system MUST a")
            .requirement("FR-02", "The system MUST b")
            .requirement("FR-03", "The system MUST c")
            .requirement("NFR-01", "The system MUST be fast")
            .scenario_with("S", None, Some("FR-01"), &["g"], &["w"], &["t"])
            .build();
        let b = DocBuilder::new("b.spec.md", "b")
            .scenario("Covers FR-02", &["g"], &["w2"], &["t"])
            .build();
        let r = run(&[a, b]);
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].1, "requirement-without-scenario");
        assert!(r[0].2.contains("FR-03"));
    }
}
