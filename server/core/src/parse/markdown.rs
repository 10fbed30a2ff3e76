//! Markdown specs: SpecSoloist `.spec.md`, OpenSpec `spec.md`, spec-kit `spec.md` and any
//! Markdown with `Scenario:` headings.
//!
//! Structure (headings, lists, tables, code blocks, HTML blocks) comes from pulldown-cmark's
//! offset iterator, so a `Scenario:` heading or a `Given` line inside a code fence is never read
//! as a scenario; Given/When/Then steps, requirement ids, tags and status lines are recognised
//! per line on top of that structure. Every element keeps its exact byte range.
//!
//! What is read:
//! - Front matter (`name`, `type`, `status`, `version`, `description`, `tags`, `dependencies`).
//! - Sections: every heading, numbered or not (`# 1. Overview` has title `Overview`, number `1.`).
//! - Requirements: bullets `- **FR-01**: ...`, `- **[NFR-01]**: ...`, `- [FR-01]: ...`,
//!   `- FR-01: ...`; headings `### Requirement: <name>` (OpenSpec; id = the name, text = the
//!   first paragraph) and `### FR-01: <title>`.
//! - Functions: headings like ``## `add(a: int) -> int` `` or `## compute_hash(path) -> string`,
//!   `yaml:functions` entries, and SpecSoloist's embedded sub-spec headers (`name: x` /
//!   `type: function` lines between `---` rules in bundle files).
//! - Examples: tables under Examples/Test Scenarios/Test Plan headings (or with recognisable
//!   Input/Expected or Valid/Invalid columns, in any order), `yaml:test_scenarios` entries, and
//!   code blocks whose every line is `input -> output`.
//! - Scenarios: a heading `Scenario: <name>` (also `Scenario Outline:`) at any level, or a
//!   paragraph line `**Scenario:** <name>`, followed by step lines in any spelling (`Given`,
//!   `**Given**`, `- **WHEN**`, `And`/`But` continue the previous kind). Runs of styled steps
//!   without a heading — spec-kit's `1. **Given** ..., **When** ..., **Then** ...` — become
//!   scenarios named after their parent heading (`<parent>: scenario 1`).
//! - Scenario ids: the explicit-id convention is a heading attribute `{#my-id}` at the end of the
//!   scenario heading; where a renderer would show that, `<!-- id: my-id -->` on the heading line
//!   or on the line right below it (or on a one-line scenario's line) works too. Without one the
//!   id is [`crate::model::scenario_id`] of the spec name and scenario name.
//! - Scenario tags: a line of `@tag` tokens right above or below the heading, or a `Tags:` line;
//!   status from a `Status:` line.
//! - Behaviours: bullets under Behavior/Behaviour headings and plain bullets under requirement
//!   headings; constraints: bullets under Constraints / Non-Functional Requirements /
//!   Performance-like headings, and `NFR-*` requirement bullets whose text is measurable.

pub(crate) mod lines;
pub(crate) mod outline;

use std::collections::HashMap;

use crate::diag::Diagnostic;
use crate::limits;
use crate::model::{
    slug, Behavior, CodeBlock, Constraint, Criterion, Dependency, Document, ExampleRow, Function,
    RelSpan, Requirement, ScenarioDraft, ScenarioOrigin, Section, Step, StepKind, WorkflowStep,
};
use crate::parse::constraint::parse_measure;
use crate::parse::front_matter::{self, Split};
use crate::span::Span;
use crate::yaml::{self, Node, Value, YamlDoc};

use lines::{KwMatch, LineContent};
use outline::{Fence, Outline};

/// Spec types SpecSoloist defines (the last four are legacy names).
pub const SPEC_TYPES: &[&str] = &[
    "function",
    "type",
    "bundle",
    "module",
    "workflow",
    "reference",
    "typedef",
    "class",
    "orchestrator",
    "specification",
];

/// Parse a Markdown spec.
pub fn parse(path: &str, text: &str) -> Document {
    parse_full(path, text).doc
}

/// Everything the Markdown reader found, for readers built on it (task blueprints).
pub(crate) struct Parsed {
    pub doc: Document,
    pub split: Split,
    pub outline: Outline,
    /// Checklist items (`- [ ]`, `- [x]`) outside code.
    pub criteria: Vec<Criterion>,
}

pub(crate) fn parse_full(path: &str, text: &str) -> Parsed {
    let mut doc = Document {
        path: path.to_string(),
        ..Default::default()
    };
    let split = front_matter::split(text);
    apply_front_matter(&mut doc, &split);
    if doc.name.is_empty() {
        doc.name = super::default_name(path);
    }
    let outline = outline::build(text, split.body_start);
    let mut w = Walker::new(text, &outline, doc);
    w.run(split.body_start);
    let Walker { doc, criteria, .. } = w;
    Parsed {
        doc,
        split,
        outline,
        criteria,
    }
}

fn scalar(node: &Node) -> Option<&str> {
    node.as_str()
}

fn apply_front_matter(doc: &mut Document, split: &Split) {
    doc.diagnostics.extend(split.diagnostics.iter().cloned());
    doc.front_matter = split.front_matter.clone();
    let Some(y) = &split.yaml else {
        return;
    };
    doc.diagnostics.extend(y.diagnostics.iter().cloned());
    let Some(root) = &y.root else {
        return;
    };
    for e in root.entries() {
        let v = &e.value;
        let want_scalar = |doc: &mut Document| -> Option<String> {
            match scalar(v) {
                Some(s) => Some(s.to_string()),
                None if v.is_null() => None,
                None => {
                    doc.diagnostics.push(Diagnostic::new(
                        "wrong-type",
                        v.span,
                        format!("`{}` must be a single value, not a list or mapping", e.key),
                    ));
                    None
                }
            }
        };
        match e.key.as_str() {
            "name" => {
                if let Some(s) = want_scalar(doc) {
                    doc.name = s.trim().to_string();
                    doc.name_span = v.span;
                }
            }
            "type" => {
                if let Some(s) = want_scalar(doc) {
                    let t = s.trim().to_string();
                    if !SPEC_TYPES.contains(&t.as_str()) {
                        doc.diagnostics.push(Diagnostic::new(
                            "invalid-value",
                            v.span,
                            format!(
                                "unknown spec type `{t}`; expected one of function, type, \
                                 bundle, module, workflow, reference (or the legacy typedef, \
                                 class, orchestrator, specification)"
                            ),
                        ));
                    }
                    doc.spec_type = Some(t);
                }
            }
            "status" => doc.status = want_scalar(doc),
            "version" => doc.version = want_scalar(doc),
            "description" => doc.description = want_scalar(doc),
            "tags" => match &v.value {
                Value::Scalar { text, .. } => doc.tags = lines::split_tags(text),
                Value::Seq(_) => {
                    doc.tags = v.string_or_list().into_iter().map(|(s, _)| s).collect();
                }
                Value::Null => {}
                Value::Map(_) => doc.diagnostics.push(Diagnostic::new(
                    "wrong-type",
                    v.span,
                    "`tags` must be a list of strings",
                )),
            },
            "dependencies" => read_dependencies(doc, v),
            _ => {}
        }
    }
}

/// `x.spec.md` / `dir/x.spec.md` -> `x` / `dir/x` without the suffix.
fn strip_spec_suffix(s: &str) -> &str {
    let s = s.trim();
    s.strip_suffix(".spec.md")
        .or_else(|| s.strip_suffix(".md"))
        .unwrap_or(s)
}

fn read_dependencies(doc: &mut Document, v: &Node) {
    let items: Vec<&Node> = match &v.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Scalar { .. } => vec![v],
        Value::Null => Vec::new(),
        Value::Map(_) => {
            doc.diagnostics.push(Diagnostic::new(
                "wrong-type",
                v.span,
                "`dependencies` must be a list of spec names or `- from: x.spec.md` items",
            ));
            return;
        }
    };
    for item in items {
        match &item.value {
            Value::Scalar { text, .. } => {
                if !text.trim().is_empty() {
                    doc.dependencies.push(Dependency {
                        name: strip_spec_suffix(text).to_string(),
                        from: None,
                        span: item.span,
                    });
                }
            }
            Value::Map(_) => {
                let from = item.get("from").and_then(scalar).map(str::to_string);
                let name = item
                    .get("name")
                    .and_then(scalar)
                    .map(|s| s.trim().to_string())
                    .or_else(|| {
                        from.as_deref().map(|f| {
                            let stem = strip_spec_suffix(f);
                            stem.rsplit('/').next().unwrap_or(stem).to_string()
                        })
                    });
                match name {
                    Some(name) if !name.is_empty() => doc.dependencies.push(Dependency {
                        name,
                        from,
                        span: item.span,
                    }),
                    _ => doc.diagnostics.push(Diagnostic::new(
                        "wrong-type",
                        item.span,
                        "a dependency item needs `name` or `from`",
                    )),
                }
            }
            _ => doc.diagnostics.push(Diagnostic::new(
                "wrong-type",
                item.span,
                "a dependency must be a spec name or a `from:` item",
            )),
        }
    }
}

/// Collapse runs of whitespace to one space.
fn norm(s: &str) -> String {
    // Most text is spaced so already: copied as it is.
    if is_normed(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

fn trim_span(text: &str, span: Span) -> Span {
    let s = span.slice(text);
    let t = s.trim_start();
    let lead = s.len() - t.len();
    let t = t.trim_end();
    Span::new(span.start + lead, span.start + lead + t.len())
}

/// Whether `s` is as [`norm`] makes it: words separated by single spaces, nothing around.
fn is_normed(s: &str) -> bool {
    if s.is_ascii() {
        // On the bytes (the whitespace `char::is_whitespace` finds in ASCII: tab, line feed,
        // vertical tab, form feed, carriage return and space).
        let mut space = true;
        for &b in s.as_bytes() {
            if matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') {
                if b != b' ' || space {
                    return false;
                }
                space = true;
            } else {
                space = false;
            }
        }
        return !space || s.is_empty();
    }
    let mut space = true; // at the start, a space would be leading
    for c in s.chars() {
        if c.is_whitespace() {
            if c != ' ' || space {
                return false;
            }
            space = true;
        } else {
            space = false;
        }
    }
    !space || s.is_empty()
}

/// Whether `s` starts with `prefix` (ASCII), ignoring ASCII case.
fn starts_with_ascii_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Heading title without markup, id attributes, comments or numbering; and the numbering.
fn clean_title(raw: &str) -> (String, Option<String>) {
    // Most titles hold no comment, anchor, code or emphasis and are spaced as `norm` spaces
    // them: one copy instead of five (a heading per scenario in Markdown specs).
    let plain = !raw.contains(['<', '{', '_', '`', '*']) && is_normed(raw);
    let s = if plain {
        raw.to_string()
    } else {
        clean_title_text(raw)
    };
    let first = s.split(' ').next().unwrap_or("");
    let numbered = !first.is_empty()
        && first.len() < s.len()
        && first.starts_with(|c: char| c.is_ascii_digit())
        && first
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ')')
        && !first.ends_with("..");
    if numbered {
        (s[first.len()..].trim().to_string(), Some(first.to_string()))
    } else {
        (s, None)
    }
}

/// A heading's text without comments, anchors, code and emphasis marks, spaces normalised.
fn clean_title_text(raw: &str) -> String {
    let mut s = raw.to_string();
    while let Some(a) = s.find("<!--") {
        match s[a..].find("-->") {
            Some(b) => s.replace_range(a..a + b + 3, " "),
            None => s.truncate(a),
        }
    }
    if let Some(a) = s.rfind("{#") {
        if s.trim_end().ends_with('}') {
            s.truncate(a);
        }
    }
    let s = s.replace("_(", "(").replace(")_", ")");
    let s: String = s.chars().filter(|&c| c != '`' && c != '*').collect();
    norm(&s)
}

/// `{#id}` at the end of heading content, or `<!-- id: x -->` in it.
fn id_in(raw: &str) -> Option<String> {
    let t = raw.trim_end();
    if t.ends_with('}') {
        if let Some(a) = t.rfind("{#") {
            let id = t[a + 2..t.len() - 1].trim();
            if !id.is_empty() && !id.contains(char::is_whitespace) {
                return Some(id.to_string());
            }
        }
    }
    let a = raw.find("<!--")?;
    let rest = &raw[a + 4..];
    let b = rest.find("-->")?;
    let inner = rest[..b].trim();
    let id = inner.strip_prefix("id:")?.trim();
    (!id.is_empty() && !id.contains(char::is_whitespace)).then(|| id.to_string())
}

/// A function heading: `name(args) [-> ret]`, optionally in backticks. Returns the name.
fn function_name(title: &str) -> Option<&str> {
    let t = title.trim();
    let t = t.strip_prefix("async ").unwrap_or(t);
    let open = t.find('(')?;
    let name = &t[..open];
    let close = t.rfind(')')?;
    if close < open || name.is_empty() || name.len() > 120 {
        return None;
    }
    let ok = name.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '/'));
    let after = t[close + 1..].trim();
    let tail_ok = after.is_empty()
        || after.starts_with("->")
        || after.starts_with("→")
        || after.starts_with(':')
        || after.starts_with("=>");
    (ok && tail_ok).then_some(name)
}

/// `Scenario: x`, `Scenario Outline: x`, `Scenario Template: x`. Returns the byte offset of the
/// name within `s` (after the colon).
fn scenario_prefix(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let n = b.len();
    let mut i = 0;
    // Section numbering: `2.1 Scenario: x`.
    let num = b
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'.' || **c == b')')
        .count();
    if num > 0 && b[0].is_ascii_digit() && b.get(num) == Some(&b' ') {
        i = num;
        while i < n && b[i] == b' ' {
            i += 1;
        }
    }
    while i < n && (b[i] == b'*' || b[i] == b'_') {
        i += 1;
    }
    let word = s.get(i..i + 8)?;
    if !word.eq_ignore_ascii_case("scenario") {
        return None;
    }
    i += 8;
    for w in [" outline", " template"] {
        if s.get(i..i + w.len())
            .is_some_and(|x| x.eq_ignore_ascii_case(w))
        {
            i += w.len();
        }
    }
    // A number or id after the keyword: `Scenario 1: x`, `Scenario SC-02: x`.
    if b.get(i) == Some(&b' ') {
        let j = i
            + 1
            + b[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
                .count();
        let token = &s[i + 1..j];
        let id_like = !token.is_empty()
            && token.len() <= 20
            && (token.bytes().any(|c| c.is_ascii_digit())
                || token.bytes().all(|c| !c.is_ascii_lowercase()));
        if id_like {
            i = j;
        }
    }
    while i < n && (b[i] == b'*' || b[i] == b'_') {
        i += 1;
    }
    while i < n && b[i] == b' ' {
        i += 1;
    }
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while i < n && (b[i] == b'*' || b[i] == b'_') {
        i += 1;
    }
    Some(i)
}

/// The scenario name's span within `span` (the text after the prefix), without id markers and
/// markup.
fn scenario_name_span(text: &str, span: Span, name_at: usize) -> Span {
    let start = span.start + name_at;
    let s = &text[start..span.end];
    let mut end = s.len();
    if let Some(a) = s.find("<!--") {
        end = end.min(a);
    }
    if s.trim_end().ends_with('}') {
        if let Some(a) = s.rfind("{#") {
            end = end.min(a);
        }
    }
    let inner = &s[..end];
    let t = inner
        .trim_start()
        .trim_start_matches(['*', '_'])
        .trim_start();
    let lead = inner.len() - t.len();
    let t = t.trim_end().trim_end_matches(['*', '_']).trim_end();
    Span::new(start + lead, start + lead + t.len())
}

#[derive(Clone, Debug)]
enum Role {
    Plain,
    Function(String),
    Requirement(String),
    Feature(String),
    Scenario,
}

#[derive(Clone, Debug)]
struct HeadCtx {
    level: u8,
    title: String,
    role: Role,
}

impl HeadCtx {
    /// The name a scenario under this heading takes as its parent.
    fn parent_name(&self) -> String {
        match &self.role {
            Role::Function(n) | Role::Requirement(n) | Role::Feature(n) => n.clone(),
            _ => self.title.clone(),
        }
    }
}

struct Builder {
    sc: ScenarioDraft,
    /// Heading level of an explicit scenario (7 for a `**Scenario:**` line); 0 for implicit.
    level: u8,
    implicit: bool,
    last_kind: Option<StepKind>,
    /// Some step was styled (bold/upper case): clearly meant as a step.
    clear: bool,
    heading_span: Span,
    /// A Gherkin `Background` section: its steps go before every scenario after it.
    background: bool,
}

impl Builder {
    fn has_steps(&self) -> bool {
        !(self.sc.given.is_empty() && self.sc.when.is_empty() && self.sc.then.is_empty())
    }
    fn last_step_mut(&mut self) -> Option<&mut Step> {
        let list = match self.last_kind? {
            StepKind::Given => &mut self.sc.given,
            StepKind::When => &mut self.sc.when,
            StepKind::Then => &mut self.sc.then,
        };
        list.last_mut()
    }
}

fn title_matches(title: &str, words: &[&str]) -> bool {
    let t = title.to_ascii_lowercase();
    words.iter().any(|w| t.contains(w))
}

const BEHAVIOR_TITLES: &[&str] = &["behavior", "behaviour"];
const CONSTRAINT_TITLES: &[&str] = &[
    "constraint",
    "non-functional",
    "nonfunctional",
    "non functional",
    "performance",
    "scalability",
    "reliability",
    "availability",
    "service level",
    "slo",
    "quality attribute",
    "limits",
];
const CONSTRAINT_CATEGORIES: &[&str] = &[
    "performance",
    "scalability",
    "reliability",
    "availability",
    "security",
    "usability",
    "maintainability",
    "compliance",
    "capacity",
];
/// Headings that group scenarios without naming what they are about; a scenario's parent is
/// the heading above them.
const GENERIC_TITLES: &[&str] = &[
    "acceptance criteria",
    "acceptance scenarios",
    "acceptance tests",
    "scenarios",
    "examples",
    "test scenarios",
];
const EXAMPLE_TITLES: &[&str] = &[
    "example",
    "test scenario",
    "test case",
    "test plan",
    "tests",
];

/// Requirement titles that announce a measurable requirement.
const MEASURE_TITLES: &[&str] = &[
    "latency",
    "throughput",
    "uptime",
    "response time",
    "load",
    "capacity",
    "concurren",
    "rate limit",
];

/// Words that say a constraint is about something measurable; without a number such a
/// constraint ("must be fast", "should scale") has nothing to check.
const QUANTITATIVE: &[&str] = &[
    "fast",
    "quick",
    "slow",
    "speed",
    "latency",
    "response time",
    "responsive",
    "performan",
    "scale",
    "scalab",
    "throughput",
    "load",
    "concurren",
    "availab",
    "uptime",
    "efficien",
    "memory",
    "cpu",
    "real-time",
    "realtime",
    "instant",
    "reliab",
    "capacity",
    "timely",
    "quickly",
    "high volume",
];

fn is_vague_quantitative(s: &str) -> bool {
    let l = s.to_lowercase();
    QUANTITATIVE.iter().any(|w| l.contains(w))
}

struct Walker<'a> {
    text: &'a str,
    ol: &'a Outline,
    doc: Document,
    stack: Vec<HeadCtx>,
    /// Name of the embedded sub-spec (SpecSoloist bundle files), if it is a function.
    sub_function: Option<String>,
    scen: Option<Builder>,
    pending_tags: Option<(Vec<String>, usize)>,
    last_step_line: bool,
    /// The last step ended with `:` and indented bullets below it continue its text.
    step_list: bool,
    /// Background steps (and the heading level of the Background) for the scenarios after it.
    background: Option<(u8, Vec<Step>)>,
    /// `Tags:` outside any scenario (a feature's tags) and the level of the heading above them.
    feature_tags: Option<(u8, Vec<String>)>,
    /// A label bullet (`- Performance:`) in a constraint section and its extent.
    constraint_label: Option<(String, Span)>,
    implicit_counts: HashMap<String, usize>,
    criteria: Vec<Criterion>,
    /// Section end offset per heading index.
    section_end: Vec<usize>,
    sub_spec: Vec<bool>,
}

impl<'a> Walker<'a> {
    fn new(text: &'a str, ol: &'a Outline, doc: Document) -> Self {
        let sub_spec: Vec<bool> = ol
            .headings
            .iter()
            .map(|h| h.setext && sub_spec_fields(text, h.content).is_some())
            .collect();
        // Section ends: the next heading of the same or a higher level (or a sub-spec header).
        let mut section_end = vec![text.len(); ol.headings.len()];
        let mut open: Vec<usize> = Vec::new();
        for (i, h) in ol.headings.iter().enumerate() {
            // Sections end at the start of the next heading's line (a heading may sit after
            // `> ` markers); a sub-spec header starts at the `---` rule above it.
            let mut boundary = text[..h.span.start].rfind('\n').map_or(0, |n| n + 1);
            if sub_spec[i] {
                let k = ol.rules.partition_point(|r| r.end <= h.span.start);
                if let Some(r) = k.checked_sub(1).map(|k| ol.rules[k]) {
                    if text[r.end..h.span.start].trim().is_empty() {
                        boundary = r.start;
                    }
                }
            }
            while let Some(&j) = open.last() {
                if sub_spec[i] || ol.headings[j].level >= h.level {
                    section_end[j] = boundary;
                    open.pop();
                } else {
                    break;
                }
            }
            if !sub_spec[i] {
                open.push(i);
            }
        }
        Walker {
            text,
            ol,
            doc,
            stack: Vec::new(),
            sub_function: None,
            scen: None,
            pending_tags: None,
            last_step_line: false,
            step_list: false,
            background: None,
            feature_tags: None,
            constraint_label: None,
            implicit_counts: HashMap::new(),
            criteria: Vec::new(),
            section_end,
            sub_spec,
        }
    }

    fn diag(&mut self, code: &'static str, span: Span, msg: impl Into<String>) {
        self.doc.diagnostics.push(Diagnostic::new(code, span, msg));
    }

    fn run(&mut self, body_start: usize) {
        let text = self.text;
        let ol = self.ol;
        if let Some(span) = ol.too_deep {
            self.diag(
                "markdown-depth-limit",
                span,
                format!(
                    "lists or block quotes nested deeper than {} levels; deeper content is not \
                     analysed",
                    limits::MAX_DEPTH
                ),
            );
        }
        let (mut hi, mut ii, mut ti, mut fi, mut xi) = (0, 0, 0, 0, 0);
        let mut skip_until = body_start;
        let mut pos = body_start;
        while pos < text.len() {
            let ls = pos;
            let (le, next) = match text[ls..].find('\n') {
                Some(i) => (ls + i, ls + i + 1),
                None => (text.len(), text.len()),
            };
            let le = if le > ls && text.as_bytes()[le - 1] == b'\r' {
                le - 1
            } else {
                le
            };
            pos = next;
            let mut structural = false;
            // Items first (a fence or heading may start inside an item on the same line).
            while ii < ol.items.len() && ol.items[ii].span.start < next {
                if ol.items[ii].span.start >= skip_until {
                    self.item(ii);
                }
                ii += 1;
            }
            while hi < ol.headings.len() && ol.headings[hi].span.start < next {
                if ol.headings[hi].span.start >= skip_until {
                    self.heading(hi);
                    skip_until = skip_until.max(ol.headings[hi].span.end);
                    structural = true;
                }
                hi += 1;
            }
            while fi < ol.fences.len() && ol.fences[fi].span.start < next {
                if ol.fences[fi].span.start >= skip_until {
                    self.fence(fi);
                    skip_until = skip_until.max(ol.fences[fi].span.end);
                    structural = true;
                }
                fi += 1;
            }
            while ti < ol.tables.len() && ol.tables[ti].span.start < next {
                if ol.tables[ti].span.start >= skip_until {
                    self.table(ti);
                    skip_until = skip_until.max(ol.tables[ti].span.end);
                    structural = true;
                }
                ti += 1;
            }
            while xi < ol.html.len() && ol.html[xi].start < next {
                if ol.html[xi].start >= skip_until {
                    skip_until = skip_until.max(ol.html[xi].end);
                    structural = true;
                }
                xi += 1;
            }
            if structural || ls < skip_until {
                continue;
            }
            self.line(ls, le);
        }
        self.finish_scenario();
        self.example_targets_from_calls();
    }

    /// Example rows without a target whose input calls a function of this spec
    /// (`add_todo("milk")`) belong to that function.
    fn example_targets_from_calls(&mut self) {
        let names: Vec<String> = self.doc.functions.iter().map(|f| f.name.clone()).collect();
        for row in &mut self.doc.examples {
            if row.target.is_some() {
                continue;
            }
            let input = row.input.trim_start_matches(['`', ' ']);
            let call = input.split('(').next().unwrap_or("");
            if call.len() == input.len() || call.is_empty() {
                continue;
            }
            let short = call.rsplit(['.', '/']).next().unwrap_or(call);
            if let Some(n) = names
                .iter()
                .find(|n| *n == call || n.rsplit(['.', '/']).next() == Some(short))
            {
                row.target = Some(n.clone());
            }
        }
    }

    // ---- context queries -------------------------------------------------------------------

    fn in_titles(&self, words: &[&str]) -> bool {
        self.stack.iter().any(|h| title_matches(&h.title, words))
    }

    /// The heading a scenario belongs to: the nearest enclosing one that is not a scenario.
    fn parent(&self) -> Option<String> {
        self.stack
            .iter()
            .rev()
            .find(|h| !matches!(h.role, Role::Scenario) && !title_matches(&h.title, GENERIC_TITLES))
            .map(HeadCtx::parent_name)
    }

    fn current_function(&self) -> Option<String> {
        self.stack
            .iter()
            .rev()
            .find_map(|h| match &h.role {
                Role::Function(n) => Some(n.clone()),
                _ => None,
            })
            .or_else(|| self.sub_function.clone())
    }

    fn current_requirement(&self) -> Option<String> {
        self.stack.iter().rev().find_map(|h| match &h.role {
            Role::Requirement(n) => Some(n.clone()),
            _ => None,
        })
    }

    fn doc_function(&self) -> Option<String> {
        (self.doc.spec_type.as_deref() == Some("function")).then(|| self.doc.name.clone())
    }

    fn example_target(&self) -> Option<String> {
        if let Some(b) = &self.scen {
            if !b.implicit {
                return Some(b.sc.name.clone());
            }
        }
        self.current_function().or_else(|| self.doc_function())
    }

    // ---- headings --------------------------------------------------------------------------

    fn heading(&mut self, i: usize) {
        let text = self.text;
        let h = &self.ol.headings[i];
        let mut raw = h.content.slice(text);
        if raw.len() > limits::MAX_LINE_BYTES {
            let mut cut = limits::MAX_LINE_BYTES;
            while !raw.is_char_boundary(cut) {
                cut -= 1;
            }
            raw = &raw[..cut];
        }
        self.last_step_line = false;
        if let Some(b) = &self.scen {
            if b.implicit || h.level <= b.level {
                self.finish_scenario();
            }
        }
        let pending = self.pending_tags.take();
        if self.sub_spec[i] {
            self.sub_spec_header(i);
            return;
        }
        while self.stack.last().is_some_and(|c| c.level >= h.level) {
            self.stack.pop();
        }
        if self.background.as_ref().is_some_and(|(l, _)| h.level < *l) {
            self.background = None;
        }
        if self
            .feature_tags
            .as_ref()
            .is_some_and(|(l, _)| h.level <= *l)
        {
            self.feature_tags = None;
        }
        let (title, number) = clean_title(raw);
        let section_span = trim_span(text, Span::new(h.span.start, self.section_end[i]));
        self.doc.sections.push(Section {
            title: title.as_str().into(),
            number,
            level: h.level,
            heading_span: h.span,
            span: section_span,
        });
        // Offset of the content after numbering, for name spans.
        let is_background =
            title.eq_ignore_ascii_case("background") || starts_with_ascii_ci(&title, "background:");
        let role = if is_background {
            self.start_scenario(
                "Background".to_string(),
                h.content,
                None,
                h.span,
                h.level,
                None,
                Vec::new(),
                ScenarioOrigin::MarkdownHeading,
            );
            if let Some(b) = &mut self.scen {
                b.background = true;
            }
            Role::Scenario
        } else if let Some(at) = scenario_prefix(raw) {
            self.start_heading_scenario(i, at, pending.map(|p| p.0).unwrap_or_default());
            Role::Scenario
        } else if let Some(name) = strip_label(&title, "requirement:").or_else(|| {
            // Kiro: `### Requirement 1`.
            let n = strip_label(&title, "requirement ")?;
            n.bytes()
                .all(|c| c.is_ascii_digit())
                .then_some(title.as_str())
        }) {
            let name = name.to_string();
            let id_span = find_in(text, h.content, &name);
            let para = self.first_paragraph(h.span.end, self.section_end[i]);
            let ptext = norm(para.slice(text));
            self.doc.requirements.push(Requirement {
                id: name.clone(),
                id_span,
                normative: lines::is_normative(&ptext) || self.normative_body(i),
                text: ptext,
                span: section_span,
            });
            // `### Requirement: Redirect Latency` / "... p95 latency < 50ms ...": a measurable
            // statement under a performance-like title is a constraint too.
            if title_matches(&title, CONSTRAINT_TITLES) || title_matches(&title, MEASURE_TITLES) {
                self.constraint(Some(name.clone()), para, para, false);
            }
            Role::Requirement(name)
        } else if let Some((id_span, rest)) = heading_requirement(text, h.content) {
            let id = id_span.slice(text).to_string();
            // The statement is the first paragraph; the title is the fallback.
            let para = self.first_paragraph(h.span.end, self.section_end[i]);
            let mut rtext = norm(para.slice(text));
            if rtext.is_empty() {
                rtext = norm(rest.slice(text));
            }
            self.doc.requirements.push(Requirement {
                id: id.clone(),
                id_span,
                normative: lines::is_normative(&rtext) || self.normative_body(i),
                text: rtext,
                span: section_span,
            });
            Role::Requirement(id)
        } else if let Some(name) = strip_label(&title, "feature:") {
            Role::Feature(name.to_string())
        } else if starts_with_ascii_ci(&title, "user story") {
            let t = match title.find("(Priority") {
                Some(a) => title[..a].trim_end().to_string(),
                None => title.clone(),
            };
            Role::Feature(t)
        } else if let Some(name) = function_name(&title) {
            let name = name.to_string();
            self.doc.functions.push(Function {
                name: name.clone(),
                signature: title.clone(),
                span: section_span,
                name_span: find_in(text, h.content, &name),
            });
            Role::Function(name)
        } else {
            Role::Plain
        };
        self.stack.push(HeadCtx {
            level: h.level,
            title,
            role,
        });
    }

    /// SpecSoloist bundle files separate sub-specs with `---` / `name: x` / `type: y` / `---`,
    /// which Markdown reads as a rule and a setext heading.
    fn sub_spec_header(&mut self, i: usize) {
        let text = self.text;
        let h = &self.ol.headings[i];
        self.stack.clear();
        self.sub_function = None;
        let Some(fields) = sub_spec_fields(text, h.content) else {
            return;
        };
        let get = |k: &str| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        let (Some(name), ty) = (get("name"), get("type")) else {
            return;
        };
        if ty.map(|t| t.slice(text).trim()) == Some("function") {
            let n = name.slice(text).trim().to_string();
            let end = (i + 1..self.ol.headings.len())
                .find(|&j| self.sub_spec[j])
                .map_or(text.len(), |j| self.ol.headings[j].span.start);
            self.doc.functions.push(Function {
                name: n.clone(),
                signature: n.clone(),
                span: trim_span(text, Span::new(h.span.start, end)),
                name_span: name,
            });
            self.sub_function = Some(n);
        }
    }

    /// SHALL/MUST in a requirement heading's body before its first scenario heading (Kiro puts
    /// them in numbered acceptance criteria rather than in the requirement's first paragraph).
    fn normative_body(&self, i: usize) -> bool {
        let text = self.text;
        let hs = &self.ol.headings;
        let end = self.section_end[i];
        let stop = hs[i + 1..]
            .iter()
            .take_while(|h| h.span.start < end)
            .find(|h| scenario_prefix(h.content.slice(text)).is_some())
            .map_or(end, |h| h.span.start);
        let from = hs[i].span.end.min(stop);
        lines::is_normative(&text[from..stop])
    }

    fn first_paragraph(&self, from: usize, limit: usize) -> Span {
        let text = self.text;
        let limit = limit.min(text.len());
        let mut start = None;
        let mut end = from;
        let mut pos = from;
        while pos < limit {
            let le = text[pos..limit].find('\n').map_or(limit, |i| pos + i);
            let line = &text[pos..le];
            let t = line.trim();
            let skip = t.is_empty()
                || t.starts_with('#')
                || t.starts_with("```")
                || t.starts_with('|')
                || t.starts_with("<!--");
            if skip {
                if start.is_some() {
                    break;
                }
            } else {
                let c = lines::line_content(text, pos, le);
                if c.marker.is_some() {
                    break;
                }
                if start.is_none() {
                    start = Some(pos);
                }
                end = le;
            }
            pos = le + 1;
        }
        match start {
            Some(s) => trim_span(text, Span::new(s, end)),
            None => Span::empty(from.min(text.len())),
        }
    }

    fn start_heading_scenario(&mut self, i: usize, name_at: usize, tags_above: Vec<String>) {
        let text = self.text;
        let h = &self.ol.headings[i];
        let name_span = scenario_name_span(text, h.content, name_at);
        let name = norm(name_span.slice(text));
        let mut id = id_in(h.content.slice(text));
        // `<!-- id: x -->` or `@tags` on the line right below.
        let below = next_line(text, h.span.end);
        if id.is_none() {
            id = below.and_then(|s| {
                let t = s.slice(text).trim();
                (t.starts_with("<!--") && t.ends_with("-->"))
                    .then(|| id_in(t))
                    .flatten()
            });
        }
        let parent = self.parent();
        self.start_scenario(
            name,
            name_span,
            id,
            h.span,
            h.level,
            parent,
            tags_above,
            ScenarioOrigin::MarkdownHeading,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn start_scenario(
        &mut self,
        name: String,
        name_span: Span,
        id: Option<String>,
        heading_span: Span,
        level: u8,
        parent: Option<String>,
        tags: Vec<String>,
        origin: ScenarioOrigin,
    ) {
        self.finish_scenario();
        if name.is_empty() {
            self.diag(
                "scenario-missing-name",
                heading_span,
                "scenario without a name: write `Scenario: <what it shows>`",
            );
        }
        let mut tags = tags;
        if let Some((_, ft)) = &self.feature_tags {
            tags.splice(0..0, ft.iter().cloned());
        }
        let explicit_id = id.is_some();
        let id = id.unwrap_or_else(|| {
            if name.is_empty() {
                format!(
                    "{}/scenario-at-{}",
                    slug(&self.doc.name),
                    heading_span.start
                )
            } else {
                crate::model::scenario_id(&self.doc.name, &name)
            }
        });
        self.scen = Some(Builder {
            sc: ScenarioDraft {
                id,
                explicit_id,
                name,
                name_span,
                span: heading_span,
                given: Vec::new(),
                when: Vec::new(),
                then: Vec::new(),
                tags,
                status: None,
                parent,
                origin,
            },
            level,
            implicit: false,
            last_kind: None,
            clear: true,
            heading_span,
            background: false,
        });
    }

    fn finish_scenario(&mut self) {
        self.last_step_line = false;
        let Some(mut b) = self.scen.take() else {
            return;
        };
        if b.background {
            let steps: Vec<Step> = b.sc.steps().cloned().collect();
            self.background = Some((b.level, steps));
            return;
        }
        let steps_span = b.sc.steps().map(|s| s.span.abs0()).reduce(Span::cover);
        if let Some(s) = steps_span {
            b.sc.span = b.sc.span.cover(s);
        }
        if let (false, Some((_, bg))) = (b.implicit, &self.background) {
            for step in bg.iter().rev() {
                let list = match step.kind {
                    StepKind::Given => &mut b.sc.given,
                    StepKind::When => &mut b.sc.when,
                    StepKind::Then => &mut b.sc.then,
                };
                list.insert(0, step.clone());
            }
        }
        if b.implicit {
            let has_cause = !b.sc.given.is_empty() || !b.sc.when.is_empty();
            let viable = !b.sc.then.is_empty() && has_cause;
            if !viable {
                if b.clear {
                    let spans: Vec<Span> = b.sc.steps().map(|s| s.span.abs0()).collect();
                    for s in spans {
                        self.diag(
                            "step-outside-scenario",
                            s,
                            "step that belongs to no scenario: put it under a `Scenario:` \
                             heading, or give it a Given/When and a Then",
                        );
                    }
                }
                return;
            }
            let parent = b.sc.parent.clone();
            let key = parent.clone().unwrap_or_default();
            let n = self.implicit_counts.entry(key).or_insert(0);
            *n += 1;
            b.sc.name = match &parent {
                Some(p) => format!("{p}: scenario {n}"),
                None => format!("Scenario {n}"),
            };
            if !b.sc.explicit_id {
                b.sc.id = crate::model::scenario_id(&self.doc.name, &b.sc.name);
            }
        } else if !b.sc.name.is_empty() && (b.sc.when.is_empty() || b.sc.then.is_empty()) {
            let missing = if b.sc.when.is_empty() && b.sc.then.is_empty() {
                "no When and no Then step"
            } else if b.sc.when.is_empty() {
                "no When step"
            } else {
                "no Then step"
            };
            let at = if b.sc.name_span.is_empty() {
                b.heading_span
            } else {
                b.sc.name_span
            };
            self.diag(
                "scenario-missing-steps",
                at,
                format!("scenario `{}` has {missing}", b.sc.name),
            );
        }
        let mut sc = b.sc;
        sc.shrink_to_fit();
        self.doc.scenarios.push(sc.finish());
    }

    // ---- lines -----------------------------------------------------------------------------

    fn line(&mut self, ls: usize, le: usize) {
        let text = self.text;
        if le - ls > limits::MAX_LINE_BYTES {
            self.end_run();
            return;
        }
        let c = lines::line_content(text, ls, le);
        let content = Span::new(c.start, le);
        let s = content.slice(text);
        if s.trim().is_empty() {
            return;
        }
        let pending = self.pending_tags.take();
        if let Some(tags) = lines::tag_line(s) {
            match &mut self.scen {
                Some(b) if !b.implicit && !b.has_steps() => b.sc.tags.extend(tags),
                _ => self.pending_tags = Some((tags, le)),
            }
            return;
        }
        if let Some(v) = lines::labelled(text, content, "tags") {
            let tags = lines::split_tags(v.slice(text));
            match self.scen.as_mut().filter(|b| !b.implicit) {
                Some(b) => b.sc.tags.extend(tags),
                None => {
                    let level = self.stack.last().map_or(0, |h| h.level);
                    self.feature_tags = Some((level, tags));
                }
            }
            return;
        }
        if let Some(v) = lines::labelled(text, content, "status") {
            if let Some(b) = self.scen.as_mut().filter(|b| !b.implicit) {
                b.sc.status = Some(v.slice(text).trim_matches(['`', '*']).to_string());
                return;
            }
        }
        if c.marker.is_none() {
            if let Some(at) = scenario_prefix(s) {
                let name_span = scenario_name_span(text, content, at);
                let parent = self.parent();
                let tags = pending.map(|p| p.0).unwrap_or_default();
                self.start_scenario(
                    norm(name_span.slice(text)),
                    name_span,
                    id_in(s),
                    content,
                    7,
                    parent,
                    tags,
                    ScenarioOrigin::MarkdownHeading,
                );
                return;
            }
        }
        let kws = lines::keywords_in_line(text, c.start, le);
        if kws.is_empty() {
            self.continuation_or_end(&c, content);
            return;
        }
        self.steps(&kws, &c, content);
    }

    fn continuation_or_end(&mut self, c: &LineContent, content: Span) {
        let text = self.text;
        let lead_in = self.step_list
            || self
                .scen
                .as_mut()
                .and_then(Builder::last_step_mut)
                .is_some_and(|s| s.text.ends_with(':'));
        if self.last_step_line && c.indented && (c.marker.is_none() || lead_in) {
            let list = c.marker.is_some();
            if let Some(step) = self.scen.as_mut().and_then(Builder::last_step_mut) {
                let t = lines::trim_step_text(text, content);
                if !t.is_empty() {
                    self.step_list |= list;
                    // A draft's step: spans relative to 0.
                    let text_span = Span::new(step.text_span.abs0().start, t.end);
                    step.text_span = RelSpan::absolute(text_span);
                    step.span = RelSpan::absolute(Span::new(step.span.abs0().start, t.end));
                    step.text = norm(text_span.slice(text));
                    return;
                }
            }
        }
        self.end_run();
    }

    fn end_run(&mut self) {
        self.last_step_line = false;
        self.step_list = false;
        if self.scen.as_ref().is_some_and(|b| b.implicit) {
            self.finish_scenario();
        }
    }

    fn steps(&mut self, kws: &[KwMatch], c: &LineContent, content: Span) {
        let text = self.text;
        self.step_list = false;
        let explicit = self.scen.as_ref().is_some_and(|b| !b.implicit);
        if !explicit {
            let first = kws[0];
            let one_line = kws.len() >= 2;
            let continuing = self.last_step_line && self.scen.is_some();
            if !first.styled && !one_line && !continuing && first.kw != lines::Kw::Given {
                // Prose that merely starts with "When"/"Then".
                self.end_run();
                return;
            }
            let new_run = match &self.scen {
                None => true,
                Some(b) => {
                    one_line
                        || !self.last_step_line
                        || (first.kw == lines::Kw::Given
                            && (!b.sc.when.is_empty() || !b.sc.then.is_empty()))
                }
            };
            if new_run {
                self.finish_scenario();
                let parent = self.parent();
                let id = id_in(content.slice(text));
                self.scen = Some(Builder {
                    sc: ScenarioDraft {
                        explicit_id: id.is_some(),
                        id: id.unwrap_or_default(),
                        name: String::new(),
                        name_span: Span::empty(kws[0].span.start),
                        span: Span::empty(kws[0].span.start),
                        given: Vec::new(),
                        when: Vec::new(),
                        then: Vec::new(),
                        tags: Vec::new(),
                        status: None,
                        parent,
                        origin: ScenarioOrigin::MarkdownOneLine,
                    },
                    level: 0,
                    implicit: true,
                    last_kind: None,
                    clear: false,
                    heading_span: Span::empty(kws[0].span.start),
                    background: false,
                });
            }
        }
        let line_end = match content.slice(text).find("<!--") {
            Some(a) => content.start + a,
            None => content.end,
        };
        let Some(b) = self.scen.as_mut() else {
            return;
        };
        if b.implicit && !b.sc.explicit_id {
            if let Some(id) = id_in(content.slice(text)) {
                b.sc.id = id;
                b.sc.explicit_id = true;
            }
        }
        for (k, kw) in kws.iter().enumerate() {
            let end = kws
                .get(k + 1)
                .map_or(line_end, |n| n.span.start)
                .max(kw.text_start);
            let text_span = lines::trim_step_text(text, Span::new(kw.text_start, end));
            if text_span.is_empty() {
                continue;
            }
            let kind = kw.kw.kind(b.last_kind);
            b.last_kind = Some(kind);
            b.clear |= kw.styled;
            let step = Step {
                kind,
                keyword: kw.span.slice(text).to_string(),
                text: norm(text_span.slice(text)),
                span: RelSpan::absolute(Span::new(kw.span.start, text_span.end)),
                text_span: RelSpan::absolute(text_span),
            };
            match kind {
                StepKind::Given => b.sc.given.push(step),
                StepKind::When => b.sc.when.push(step),
                StepKind::Then => b.sc.then.push(step),
            }
        }
        let _ = c;
        self.last_step_line = true;
        if kws.len() >= 2 && self.scen.as_ref().is_some_and(|b| b.implicit) {
            // A one-line scenario is complete on its line.
            self.finish_scenario();
        }
    }

    // ---- list items ------------------------------------------------------------------------

    fn item(&mut self, i: usize) {
        let text = self.text;
        let item = &self.ol.items[i];
        let t = item.text;
        if t.is_empty() || t.len() > limits::MAX_LINE_BYTES {
            return;
        }
        if let Some(done) = item.task {
            self.criteria.push(Criterion {
                text: norm(t.slice(text)),
                done,
                span: item.span,
            });
        }
        // Styled step lines (and any step line inside a scenario) are handled line by line; a
        // plain "Given ..." bullet elsewhere is still a behaviour or requirement.
        if let Some(k) = lines::keyword_at(text, t.start, line_end(text, t.start)) {
            if k.styled || self.scen.as_ref().is_some_and(|b| !b.implicit) {
                return;
            }
        }
        let in_constraints = self.in_titles(CONSTRAINT_TITLES);
        let in_behavior = self.in_titles(BEHAVIOR_TITLES);
        if let Some((id_span, body_start)) = lines::requirement_prefix(text, t) {
            let body = trim_span(text, Span::new(body_start, t.end));
            let id = id_span.slice(text).to_string();
            let body_text = norm(body.slice(text));
            self.doc.requirements.push(Requirement {
                id: id.clone(),
                id_span,
                normative: lines::is_normative(&body_text),
                text: body_text,
                span: item.span,
            });
            if in_constraints || id.starts_with("NFR") || id.starts_with("SC-") {
                self.constraint(Some(id), body, item.span, in_constraints);
            }
            if in_behavior {
                self.behavior(body, None);
            }
            return;
        }
        let s = t.slice(text);
        if in_constraints {
            if s.ends_with(':') {
                let label = s.trim_end_matches(':').trim_matches('*').trim().to_string();
                self.constraint_label = Some((label, item.span));
                return;
            }
            let (name, body) = bold_label(text, t);
            self.constraint(name, body, item.span, true);
            return;
        }
        if in_behavior {
            self.behavior(t, None);
        } else if let Some(r) = self.current_requirement() {
            if self.scen.is_none() && !s.ends_with(':') {
                self.behavior(t, Some(r));
            }
        }
    }

    fn behavior(&mut self, span: Span, requirement: Option<String>) {
        let target = self
            .current_function()
            .or(requirement)
            .or_else(|| self.current_requirement())
            .or_else(|| self.doc_function());
        self.doc.behaviors.push(Behavior {
            text: norm(span.slice(self.text)),
            span,
            target,
        });
    }

    fn constraint(&mut self, name: Option<String>, body: Span, span: Span, explicit: bool) {
        let text = self.text;
        let raw = body.slice(text);
        let measure = parse_measure(raw, body.start);
        if measure.is_none() && !explicit {
            return;
        }
        let body_text = norm(raw);
        if measure.is_none() && is_vague_quantitative(&body_text) {
            self.diag(
                "constraint-unmeasurable",
                body,
                "constraint with nothing to measure: add a number with a unit, a percentile \
                 (p95 < 200ms), or a load (10,000 concurrent users)",
            );
        }
        let mut key = slug(name.as_deref().unwrap_or(&body_text));
        if key.len() > 60 {
            let mut cut = 60;
            while !key.is_char_boundary(cut) {
                cut -= 1;
            }
            key.truncate(cut);
        }
        let label = self
            .constraint_label
            .as_ref()
            .filter(|(_, s)| s.start <= span.start && span.end <= s.end)
            .map(|(l, _)| l.as_str());
        let titles = self.stack.iter().rev().map(|h| h.title.as_str());
        let category = label.into_iter().chain(titles).find_map(|t| {
            let t = t.to_ascii_lowercase();
            CONSTRAINT_CATEGORIES
                .iter()
                .find(|c| t.contains(*c))
                .map(|c| c.to_string())
        });
        self.doc.constraints.push(Constraint {
            id: format!("{}/{}", slug(&self.doc.name), key),
            name,
            category,
            text: body_text,
            span,
            text_span: body,
            measure,
            measurement: None,
            verification: None,
            exception: None,
        });
    }

    // ---- tables ----------------------------------------------------------------------------

    fn table(&mut self, i: usize) {
        let tab = &self.ol.tables[i];
        let cols: Vec<Col> = tab.header.iter().map(|c| classify(&c.text)).collect();
        let has = |k: Col| cols.contains(&k);
        let recognised =
            (has(Col::Expected) && (has(Col::Input) || has(Col::Name))) || has(Col::Valid);
        let in_examples = self.in_titles(EXAMPLE_TITLES);
        let in_outline = self.scen.as_ref().is_some_and(|b| !b.implicit);
        if !(recognised || in_examples || in_outline) || cols.len() < 2 {
            return;
        }
        let target = self.example_target();
        if let Some(b) = self.scen.as_mut().filter(|b| !b.implicit) {
            b.sc.span = b.sc.span.cover(tab.span);
        }
        for row in &tab.rows {
            if row.cells.iter().all(|c| c.text.is_empty()) {
                continue;
            }
            let cell = |k: usize| row.cells.get(k).map_or("", |c| c.text.as_str());
            let cells: Vec<(String, String)> = tab
                .header
                .iter()
                .enumerate()
                .map(|(k, h)| (h.text.clone(), cell(k).to_string()))
                .collect();
            let pick = |kind: Col| -> Vec<usize> {
                (0..cols.len()).filter(|&k| cols[k] == kind).collect()
            };
            let name = pick(Col::Name)
                .first()
                .map(|&k| cell(k).to_string())
                .filter(|s| !s.is_empty());
            let row_target = pick(Col::Target)
                .first()
                .map(|&k| {
                    let v = cell(k).trim_matches('`');
                    v.split('(').next().unwrap_or(v).trim().to_string()
                })
                .filter(|s| !s.is_empty())
                .or_else(|| target.clone());
            let notes = pick(Col::Notes);
            if has(Col::Valid) && has(Col::Invalid) {
                for (kind, valid) in [(Col::Valid, true), (Col::Invalid, false)] {
                    for k in pick(kind) {
                        if !cell(k).is_empty() {
                            self.doc.examples.push(ExampleRow {
                                target: row_target.clone(),
                                name: name
                                    .clone()
                                    .or_else(|| notes.first().map(|&n| cell(n).to_string())),
                                input: cell(k).to_string(),
                                expected: if valid { "valid" } else { "invalid" }.to_string(),
                                valid: Some(valid),
                                cells: cells.clone(),
                                span: row.span,
                            });
                        }
                    }
                }
                continue;
            }
            let mut inputs = pick(Col::Input);
            let mut expected = pick(Col::Expected);
            let other = pick(Col::Other);
            if expected.is_empty() {
                expected = pick(Col::Valid);
            }
            if expected.is_empty() {
                if let Some(&last) = other.last() {
                    expected.push(last);
                }
            }
            if inputs.is_empty() {
                inputs = other
                    .iter()
                    .copied()
                    .filter(|k| !expected.contains(k))
                    .collect();
            }
            let join = |ks: &[usize]| -> String {
                if ks.len() == 1 {
                    cell(ks[0]).to_string()
                } else {
                    ks.iter()
                        .map(|&k| format!("{}: {}", tab.header[k].text, cell(k)))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            let valid = pick(Col::Valid).first().and_then(|&k| yes_no(cell(k)));
            self.doc.examples.push(ExampleRow {
                target: row_target,
                name,
                input: join(&inputs),
                expected: join(&expected),
                valid,
                cells,
                span: row.span,
            });
        }
    }

    // ---- code blocks -----------------------------------------------------------------------

    fn fence(&mut self, i: usize) {
        let text = self.text;
        let f: &Fence = &self.ol.fences[i];
        self.last_step_line = false;
        if self.scen.as_ref().is_some_and(|b| b.implicit) {
            self.finish_scenario();
        }
        if !f.fenced {
            return;
        }
        self.doc.blocks.push(CodeBlock {
            info: f.info.clone(),
            span: f.span,
            content_span: f.content_span,
            closed: f.closed,
        });
        if !f.closed {
            let open = Span::new(f.span.start, line_end(text, f.span.start).min(f.span.end));
            self.diag(
                "fence-unclosed",
                open,
                "code block is never closed; it runs to the end of the file (add a closing \
                 fence)",
            );
        }
        let lang = f
            .info
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if !f.closed {
            // An unclosed block runs to the end of the file: reading it as YAML or examples
            // would only add noise to the `fence-unclosed` warning.
            return;
        }
        match lang.as_str() {
            "yaml:functions" => {
                if let Some(y) = self.block_yaml(f) {
                    self.yaml_functions(&y);
                }
            }
            "yaml:steps" => {
                if let Some(y) = self.block_yaml(f) {
                    self.yaml_steps(&y);
                }
            }
            "yaml:test_scenarios" | "yaml:examples" => {
                if let Some(y) = self.block_yaml(f) {
                    self.yaml_examples(&y);
                }
            }
            l if l.starts_with("yaml:") => {
                self.block_yaml(f);
            }
            l if l.contains("guardian") => {}
            "json" | "yaml" | "yml" | "toml" | "markdown" | "md" | "rust" | "go" => {}
            _ => self.arrow_examples(f),
        }
    }

    /// Read a fenced block's YAML, with spans mapped to document offsets; its diagnostics are
    /// added to the document.
    fn block_yaml(&mut self, f: &Fence) -> Option<YamlDoc> {
        let (content, map) = f.content(self.text);
        let mut y = yaml::parse(&content);
        y.spans_mut(&mut |s| *s = map.span(*s));
        self.doc.diagnostics.extend(y.diagnostics.iter().cloned());
        Some(y)
    }

    fn yaml_functions(&mut self, y: &YamlDoc) {
        let text = self.text;
        let Some(root) = &y.root else {
            return;
        };
        let mut entries: Vec<(String, Span, &Node, Span)> = Vec::new();
        match &root.value {
            Value::Map(es) => {
                for e in es {
                    entries.push((e.key.clone(), e.key_span, &e.value, e.span));
                }
            }
            Value::Seq(items) => {
                for it in items {
                    match it
                        .entry("name")
                        .and_then(|n| n.value.as_str().map(|s| (s, n)))
                    {
                        Some((s, n)) => entries.push((s.to_string(), n.value.span, it, it.span)),
                        None => self.diag(
                            "wrong-type",
                            it.span,
                            "a `yaml:functions` item must be a mapping with a `name`",
                        ),
                    }
                }
            }
            _ => {
                self.diag(
                    "wrong-type",
                    root.span,
                    "`yaml:functions` must map function names to their definitions",
                );
                return;
            }
        }
        for (name, name_span, node, span) in entries {
            let keys = |k: &str| -> Vec<String> {
                node.get(k)
                    .map(|n| match &n.value {
                        Value::Map(es) => es.iter().map(|e| e.key.clone()).collect(),
                        Value::Scalar { text, .. } => vec![text.clone()],
                        _ => Vec::new(),
                    })
                    .unwrap_or_default()
            };
            let outs = keys("outputs");
            let mut signature = format!("{name}({})", keys("inputs").join(", "));
            if !outs.is_empty() {
                signature.push_str(" -> ");
                signature.push_str(&outs.join(", "));
            }
            self.doc.functions.push(Function {
                name: name.clone(),
                signature,
                span,
                name_span,
            });
            if let Some(b) = node.get("behavior").or_else(|| node.get("behaviour")) {
                let items: Vec<(String, Span)> = b.string_or_list();
                for (t, s) in items {
                    self.doc.behaviors.push(Behavior {
                        text: norm(&t),
                        span: s,
                        target: Some(name.clone()),
                    });
                }
            }
            if let Some(ex) = node.get("examples") {
                for it in ex.items() {
                    self.example_from_yaml(it, Some(name.clone()), text);
                }
            }
        }
    }

    fn example_from_yaml(&mut self, it: &Node, target: Option<String>, text: &str) {
        if !it.is_map() {
            return;
        }
        let pick = |keys: &[&str]| -> Option<&Node> { keys.iter().find_map(|k| it.get(k)) };
        let input = pick(&["input", "inputs", "args", "given", "when"]);
        let expected = pick(&[
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
        ]);
        let name = pick(&["name", "description", "scenario", "case"])
            .and_then(|n| n.as_str())
            .map(str::to_string);
        let target = pick(&["function", "target", "fn", "method"])
            .and_then(|n| n.as_str())
            .map(str::to_string)
            .or(target);
        let cells: Vec<(String, String)> = it
            .entries()
            .iter()
            .map(|e| (e.key.clone(), node_text(text, &e.value)))
            .collect();
        self.doc.examples.push(ExampleRow {
            target,
            name,
            input: input.map(|n| node_text(text, n)).unwrap_or_default(),
            expected: expected.map(|n| node_text(text, n)).unwrap_or_default(),
            valid: pick(&["valid"]).and_then(|n| n.as_str()).and_then(yes_no),
            cells,
            span: it.span,
        });
    }

    fn yaml_examples(&mut self, y: &YamlDoc) {
        let text = self.text;
        let Some(root) = &y.root else {
            return;
        };
        let default = self.example_target();
        match &root.value {
            Value::Seq(items) => {
                for it in items {
                    self.example_from_yaml(it, default.clone(), text);
                }
            }
            Value::Map(es) => {
                for e in es {
                    let items = e.value.items();
                    if e.key == "scenarios" || e.key == "test_scenarios" {
                        for it in items {
                            self.example_from_yaml(it, default.clone(), text);
                        }
                    } else {
                        for it in items {
                            self.example_from_yaml(it, Some(e.key.clone()), text);
                        }
                    }
                }
            }
            Value::Null => {}
            Value::Scalar { .. } => self.diag(
                "wrong-type",
                root.span,
                "`yaml:test_scenarios` must be a list of scenarios (`- description: ...`, \
                 `inputs: ...`, `expected_output: ...`)",
            ),
        }
    }

    fn yaml_steps(&mut self, y: &YamlDoc) {
        let text = self.text;
        let Some(root) = &y.root else {
            return;
        };
        let items = match root.get("steps") {
            Some(s) => s.items(),
            None => root.items(),
        };
        if items.is_empty() && !root.is_null() && !root.is_seq() && root.get("steps").is_none() {
            self.diag(
                "wrong-type",
                root.span,
                "`yaml:steps` must be a list of steps (`- name: ...`, `spec: ...`, `inputs: ...`)",
            );
            return;
        }
        for it in items {
            let Some(name) = it.get("name").and_then(Node::as_str) else {
                self.diag("wrong-type", it.span, "a workflow step needs a `name`");
                continue;
            };
            let pairs = |k: &str| -> Vec<(String, String)> {
                match it.get(k).map(|n| &n.value) {
                    Some(Value::Map(es)) => es
                        .iter()
                        .map(|e| (e.key.clone(), node_text(text, &e.value)))
                        .collect(),
                    Some(Value::Seq(items)) => items
                        .iter()
                        .filter_map(|n| n.as_str().map(|s| (s.to_string(), String::new())))
                        .collect(),
                    _ => Vec::new(),
                }
            };
            self.doc.workflow_steps.push(WorkflowStep {
                name: name.to_string(),
                spec: it.get("spec").and_then(Node::as_str).map(str::to_string),
                inputs: pairs("inputs"),
                outputs: pairs("outputs"),
                span: it.span,
            });
        }
    }

    /// A code block whose every line is `input -> output` (or `=>`, `→`) holds examples.
    fn arrow_examples(&mut self, f: &Fence) {
        let text = self.text;
        if f.content_span.is_empty() || f.content_span.len() > 1 << 20 {
            return;
        }
        let mut rows = Vec::new();
        for seg in &f.segments {
            let mut pos = seg.start;
            let seg_text = seg.slice(text);
            for line in seg_text.split_inclusive('\n') {
                let span = trim_span(text, Span::new(pos, pos + line.len()));
                pos += line.len();
                let l = span.slice(text);
                if l.is_empty() || l.starts_with('#') || l.starts_with("//") {
                    continue;
                }
                match arrow_split(l) {
                    Some(parts) => rows.push((span, parts)),
                    None => return,
                }
            }
        }
        let default = self.current_function().or_else(|| self.doc_function());
        for (span, (lhs, rhs, comment)) in rows {
            let target = function_name(lhs)
                .map(|n| n.rsplit(['.', ':']).next().unwrap_or(n).to_string())
                .or_else(|| default.clone());
            self.doc.examples.push(ExampleRow {
                target,
                name: comment.map(str::to_string),
                input: lhs.to_string(),
                expected: rhs.to_string(),
                valid: None,
                cells: Vec::new(),
                span,
            });
        }
    }
}

fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i)
}

/// The span of the line after offset `after` (which is at or before a line end).
fn next_line(text: &str, after: usize) -> Option<Span> {
    let nl = text[after..].find('\n')? + after + 1;
    if nl >= text.len() {
        return None;
    }
    let end = line_end(text, nl);
    Some(Span::new(nl, end))
}

/// Find `needle` in the source within `within`; empty span at its start when not found.
fn find_in(text: &str, within: Span, needle: &str) -> Span {
    match within.slice(text).find(needle) {
        Some(a) if !needle.is_empty() => {
            Span::new(within.start + a, within.start + a + needle.len())
        }
        _ => Span::empty(within.start),
    }
}

fn strip_label<'t>(title: &'t str, label: &str) -> Option<&'t str> {
    if title.len() >= label.len()
        && title.is_char_boundary(label.len())
        && title[..label.len()].eq_ignore_ascii_case(label)
    {
        let n = title[label.len()..].trim();
        (!n.is_empty()).then_some(n)
    } else {
        None
    }
}

/// `### FR-01: title` / `### [FR-01] title`: requirement id span and the rest of the title.
fn heading_requirement(text: &str, content: Span) -> Option<(Span, Span)> {
    if let Some((id, rest)) = lines::requirement_prefix(text, content) {
        return Some((id, trim_span(text, Span::new(rest, content.end))));
    }
    // In a heading a leading id needs no colon: `### REQ-001 User login`.
    let s = content.slice(text);
    let first = s.split(' ').next()?;
    if !lines::is_requirement_id(first) {
        return None;
    }
    let id = Span::new(content.start, content.start + first.len());
    Some((id, trim_span(text, Span::new(id.end, content.end))))
}

/// `**Label**: rest` at the start of a constraint bullet -> (label, rest).
fn bold_label(text: &str, span: Span) -> (Option<String>, Span) {
    let s = span.slice(text);
    if let Some(r) = s.strip_prefix("**") {
        if let Some(end) = r.find("**") {
            let label = r[..end].trim_end_matches(':').trim();
            let after = &r[end + 2..];
            let after_trim = after.trim_start_matches(':').trim_start();
            if !label.is_empty() && !after_trim.is_empty() && label.len() <= 60 {
                let start = span.end - after_trim.len();
                return (Some(label.to_string()), Span::new(start, span.end));
            }
        }
    }
    (None, span)
}

/// Lines `key: value` with a `name` key: a SpecSoloist sub-spec header.
fn sub_spec_fields(text: &str, content: Span) -> Option<Vec<(&str, Span)>> {
    let s = content.slice(text);
    let mut out = Vec::new();
    let mut pos = content.start;
    for line in s.split_inclusive('\n') {
        let l = line.trim_end();
        let (k, v) = l.split_once(':')?;
        let key = k.trim();
        if key.is_empty() || !key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            return None;
        }
        let v_off = pos + k.len() + 1;
        let vspan = trim_span(text, Span::new(v_off, v_off + v.len()));
        out.push((key, vspan));
        pos += line.len();
    }
    out.iter().any(|(k, _)| *k == "name").then_some(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Col {
    Name,
    Target,
    Input,
    Expected,
    Valid,
    Invalid,
    Notes,
    Other,
}

pub(crate) fn classify(header: &str) -> Col {
    let h: String = header
        .chars()
        .filter(|&c| c != '`' && c != '*')
        .collect::<String>()
        .trim()
        .to_ascii_lowercase();
    let starts = |ws: &[&str]| ws.iter().any(|w| h.starts_with(w));
    if starts(&["invalid"]) {
        Col::Invalid
    } else if starts(&["valid", "is valid"]) {
        Col::Valid
    } else if starts(&[
        "expected", "output", "result", "return", "then", "response", "outcome",
    ]) {
        Col::Expected
    } else if starts(&[
        "input", "args", "argument", "given", "when", "param", "request", "action",
    ]) {
        Col::Input
    } else if starts(&[
        "scenario",
        "case",
        "test",
        "name",
        "description",
        "title",
        "example",
    ]) {
        Col::Name
    } else if starts(&["function", "method", "fn", "operation", "command"]) {
        Col::Target
    } else if starts(&[
        "note",
        "why",
        "reason",
        "comment",
        "rationale",
        "explanation",
    ]) {
        Col::Notes
    } else {
        Col::Other
    }
}

fn yes_no(s: &str) -> Option<bool> {
    match s.trim().trim_matches('`').to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "valid" | "✓" | "✅" | "pass" => Some(true),
        "no" | "n" | "false" | "invalid" | "✗" | "❌" | "fail" => Some(false),
        _ => None,
    }
}

/// `lhs -> rhs  # comment` -> (lhs, rhs, comment).
fn arrow_split(l: &str) -> Option<(&str, &str, Option<&str>)> {
    let (a, len) = ["->", "→", "=>"]
        .iter()
        .filter_map(|t| l.find(t).map(|a| (a, t.len())))
        .min()?;
    let lhs = l[..a].trim();
    let mut rhs = l[a + len..].trim();
    let mut comment = None;
    for c in ["  #", "  //", " # "] {
        if let Some(x) = rhs.find(c) {
            comment = Some(rhs[x..].trim_start().trim_start_matches(['#', '/']).trim());
            rhs = rhs[..x].trim();
            break;
        }
    }
    let code_like = [
        "def ",
        "fn ",
        "function ",
        "const ",
        "let ",
        "var ",
        "return ",
        "pub ",
    ];
    if lhs.is_empty()
        || rhs.is_empty()
        || rhs.ends_with('{')
        || rhs.ends_with(':')
        || rhs.ends_with(';')
        || code_like.iter().any(|k| lhs.starts_with(k))
    {
        return None;
    }
    Some((lhs, rhs, comment.filter(|c| !c.is_empty())))
}

/// A YAML node as example text: a scalar's value, else its source compacted to one line.
fn node_text(text: &str, n: &Node) -> String {
    match &n.value {
        Value::Scalar { text: t, .. } => t.clone(),
        Value::Null => String::new(),
        _ => norm(n.span.slice(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The plain-title shortcut of `clean_title` gives what cleaning the title gives, and
        /// the case-insensitive prefix test what lower-casing does.
        #[test]
        fn plain_titles_are_their_clean_text(raw in "[ a-zA-Z0-9.):_(*`<{#!\\-\t\nÄé]{0,24}") {
            if !raw.contains(['<', '{', '_', '`', '*']) && is_normed(&raw) {
                proptest::prop_assert_eq!(&raw, &clean_title_text(&raw));
            }
            proptest::prop_assert_eq!(is_normed(&raw), norm(&raw) == raw);
            for p in ["background:", "user story"] {
                for case in [p.to_uppercase(), format!("{p} x"), p[..p.len() - 1].to_string()] {
                    proptest::prop_assert_eq!(
                        starts_with_ascii_ci(&case, p),
                        case.to_ascii_lowercase().starts_with(p)
                    );
                }
                proptest::prop_assert_eq!(
                    starts_with_ascii_ci(&raw, p),
                    raw.to_ascii_lowercase().starts_with(p)
                );
            }
        }

        /// `norm` (whose shortcut copies text `is_normed` accepts) joins the words of any text,
        /// ASCII or not, with single spaces.
        #[test]
        fn norm_joins_the_words_with_single_spaces(
            raw in "[ a-z\t\n\r\u{b}\u{c}\u{a0}\u{85}\u{2003}\u{3000}é]{0,16}"
        ) {
            let words: Vec<&str> = raw.split_whitespace().collect();
            proptest::prop_assert_eq!(norm(&raw), words.join(" "));
        }
    }

    #[test]
    fn titles() {
        assert_eq!(
            clean_title("1. Overview"),
            ("Overview".into(), Some("1.".into()))
        );
        assert_eq!(
            clean_title("6.1 Bundle Spec"),
            ("Bundle Spec".into(), Some("6.1".into()))
        );
        assert_eq!(clean_title("Overview"), ("Overview".into(), None));
        assert_eq!(clean_title("2024"), ("2024".into(), None));
        assert_eq!(
            clean_title("Scenario: x {#abc}"),
            ("Scenario: x".into(), None)
        );
        assert_eq!(
            clean_title("Requirements *(mandatory)*"),
            ("Requirements (mandatory)".into(), None)
        );
        assert_eq!(
            clean_title("User Scenarios _(mandatory)_"),
            ("User Scenarios (mandatory)".into(), None)
        );
    }

    #[test]
    fn function_headings() {
        assert_eq!(
            function_name("add_todo(item: str) -> int"),
            Some("add_todo")
        );
        assert_eq!(
            function_name("compute_file_hash(path) -> string"),
            Some("compute_file_hash")
        );
        assert_eq!(function_name("fast_app()"), Some("fast_app"));
        assert_eq!(function_name("Overview (draft)"), None);
        assert_eq!(function_name("User Story 1 (Priority: P1)"), None);
    }

    #[test]
    fn ids() {
        assert_eq!(id_in("Scenario: a {#login-ok}"), Some("login-ok".into()));
        assert_eq!(id_in("Scenario: a <!-- id: x1 -->"), Some("x1".into()));
        assert_eq!(id_in("Scenario: a"), None);
    }

    #[test]
    fn scenario_prefixes() {
        let name = |s: &str| scenario_prefix(s).map(|i| s[i..].trim().to_string());
        assert_eq!(name("Scenario: x"), Some("x".into()));
        assert_eq!(name("scenario outline: x"), Some("x".into()));
        assert_eq!(name("2.1 Scenario: x"), Some("x".into()));
        assert_eq!(name("Scenario 3: x"), Some("x".into()));
        assert_eq!(name("Scenario SC-02: x"), Some("x".into()));
        assert_eq!(name("**Scenario:** x"), Some("x".into()));
        assert_eq!(name("**Scenario**: x"), Some("x".into()));
        assert_eq!(name("Scenario descriptions: x"), None);
        assert_eq!(name("Scenarios: x"), None);
        assert_eq!(name("Test Scenarios"), None);
        assert_eq!(name("Scenarioé"), None);
    }

    #[test]
    fn arrows() {
        assert_eq!(
            arrow_split("add(1, 2) -> 3"),
            Some(("add(1, 2)", "3", None))
        );
        assert_eq!(
            arrow_split("f(0) => 1  # base case"),
            Some(("f(0)", "1", Some("base case")))
        );
        assert_eq!(arrow_split("def f(x) -> int:"), None);
        assert_eq!(arrow_split("no arrow"), None);
    }
}
