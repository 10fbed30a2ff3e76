//! Completion: section headings for the spec's type, front-matter keys and values,
//! Given/When/Then keywords, step phrases used in the workspace, dependency names, constraint
//! metrics and units. The context is read from the text around the offset (the model may lag
//! behind a half-typed line), the candidates from the workspace.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::model::{DocKind, Document, StepKind};
use crate::span::Span;
use crate::workspace::Workspace;

use super::symbols::fuzzy_score;
use super::text::{clamp, line_at, normalize_step};

/// What a completion item inserts. Suggested LSP mapping: Section -> Module, Keyword ->
/// Keyword, Property -> Property, Value -> EnumMember, Step -> Text, Reference -> Reference,
/// Metric -> Field, Unit -> Unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompletionKind {
    Section,
    Keyword,
    Property,
    Value,
    Step,
    Reference,
    Metric,
    Unit,
}

/// One completion: `insert_text` replaces the text at `replace` (on the cursor's line, and
/// containing the cursor). Items come in the order to show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub insert_text: String,
    pub replace: Span,
}

/// Spec types and their sections (SpecSoloist's section reference): (title, required?).
fn sections_for(spec_type: Option<&str>) -> &'static [(&'static str, &'static str)] {
    match spec_type.map(str::trim) {
        Some("function") => &[
            ("Overview", "required"),
            ("Interface", "required"),
            ("Behavior", "required"),
            ("Constraints", "optional"),
            ("Contract", "optional"),
            ("Examples", "optional"),
        ],
        Some("type" | "typedef" | "class") => &[
            ("Overview", "required"),
            ("Schema", "required"),
            ("Constraints", "optional"),
            ("Examples", "optional"),
        ],
        Some("bundle") => &[
            ("Overview", "required"),
            ("Types", "one of Types/Functions required"),
            ("Functions", "one of Types/Functions required"),
            ("Behavior", "optional"),
            ("Examples", "optional"),
        ],
        Some("module") => &[
            ("Overview", "required"),
            ("Exports", "required"),
            ("Examples", "optional"),
        ],
        Some("workflow" | "orchestrator") => &[
            ("Overview", "required"),
            ("Interface", "required"),
            ("Steps", "required"),
            ("Error Handling", "optional"),
        ],
        Some("reference") => &[
            ("Overview", "required"),
            ("API", "required"),
            ("Verification", "recommended"),
        ],
        Some(_) => &[("Overview", "required")],
        None => &[
            ("Purpose", "OpenSpec"),
            ("Requirements", "OpenSpec"),
            ("Requirement: ", "a requirement heading"),
            ("Scenario: ", "a scenario heading"),
        ],
    }
}

const SPEC_TYPES: &[&str] = &[
    "function",
    "type",
    "bundle",
    "module",
    "workflow",
    "reference",
];
const STATUSES: &[&str] = &["draft", "review", "stable", "deprecated"];
const FRONT_MATTER_KEYS: &[(&str, &str)] = &[
    ("name", "identifier of the spec (snake_case)"),
    (
        "type",
        "function | type | bundle | module | workflow | reference",
    ),
    ("status", "draft | review | stable"),
    ("version", "semver"),
    ("description", "one-line summary"),
    ("tags", "list of tags"),
    ("dependencies", "specs this one depends on"),
];
const SCENARIO_KEYS: &[(&str, &str)] = &[
    ("name", "scenario name"),
    ("id", "stable scenario id"),
    ("tags", "list of tags"),
    ("given", "preconditions"),
    ("when", "the action"),
    ("then", "expected outcomes"),
];
const TOP_LEVEL_KEYS: &[(&str, &str)] = &[
    ("feature", "the feature's name"),
    ("description", "what the feature is"),
    ("constraints", "measurable constraints by category"),
    ("scenarios", "Given/When/Then scenarios"),
    ("domains", "domains and their dependencies"),
    ("new_scenarios", "scenarios added by a feature evolution"),
    ("chaos_scenarios", "failure-injection scenarios"),
];
const CONSTRAINT_KEYS: &[(&str, &str)] = &[
    ("name", "constraint name"),
    ("requirement", "measurable text, e.g. p95 latency < 100ms"),
    ("measurement", "how it is measured"),
    ("verification", "how it is verified"),
    ("exception", "where it does not apply"),
];
const METRICS: &[(&str, &str)] = &[
    ("p95 latency", "95th percentile latency"),
    ("p99 latency", "99th percentile latency"),
    ("p50 latency", "median latency"),
    ("availability", "uptime as a percentage"),
    ("throughput", "operations per time unit"),
    ("error rate", "share of failed requests"),
    ("concurrent users", "simultaneous users"),
    ("requests per minute", "rate limit"),
    ("response time", "time to respond"),
    ("memory", "memory use"),
    ("duration", "time to complete"),
];
const UNITS: &[(&str, &str)] = &[
    ("ms", "milliseconds"),
    ("s", "seconds"),
    ("min", "minutes"),
    ("h", "hours"),
    ("%", "percent"),
    ("users", "users"),
    ("requests", "requests"),
    ("req/s", "requests per second"),
    ("MB", "megabytes"),
    ("GB", "gigabytes"),
    ("KB", "kilobytes"),
];

fn item(
    label: &str,
    kind: CompletionKind,
    detail: Option<String>,
    insert: String,
    replace: Span,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind,
        detail,
        insert_text: insert,
        replace,
    }
}

/// The partial word before `o` (letters, digits, `_`, `-`, `/`, `.`), as a span ending at `o`.
fn partial(text: &str, line: Span, o: usize, extra: &[char]) -> Span {
    let mut start = o;
    for (i, c) in text[line.start..o].char_indices().rev() {
        if c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.') || extra.contains(&c) {
            start = line.start + i;
        } else {
            break;
        }
    }
    Span::new(start, o)
}

/// `typed` extended to the end of the word under the cursor (what accepting an item replaces).
fn to_word_end(text: &str, line: Span, typed: Span) -> Span {
    let mut end = typed.end;
    for (i, c) in text[typed.end..line.end.max(typed.end)].char_indices() {
        if c.is_alphanumeric() || matches!(c, '_' | '-' | '/' | '.' | '%') {
            end = typed.end + i + c.len_utf8();
        } else {
            break;
        }
    }
    Span::new(typed.start, end)
}

/// `typed` extended to the end of the line's text (a step phrase replaces the whole rest).
fn to_line_end(text: &str, line: Span, typed: Span) -> Span {
    let rest = &text[typed.end..line.end.max(typed.end)];
    Span::new(typed.start, typed.end + rest.trim_end().len())
}

/// Completions at `offset` in the document at `path`.
pub fn completions(ws: &Workspace, path: &str, offset: usize) -> Vec<CompletionItem> {
    let Some(file) = ws.get(path) else {
        return Vec::new();
    };
    let text: &str = &file.text;
    let doc = &file.doc;
    let o = clamp(text, offset);
    let line = line_at(text, o);
    match doc.kind {
        Some(DocKind::YamlSpec) => yaml_completions(ws, doc, text, line, o),
        Some(DocKind::MarkdownSpec) | Some(DocKind::Blueprint) => {
            if let Some(fm_end) = front_matter_body(text) {
                if o >= first_line_end(text) && o < fm_end {
                    return front_matter_completions(ws, doc, text, line, o);
                }
            }
            markdown_completions(ws, doc, text, line, o)
        }
        _ => Vec::new(),
    }
}

fn first_line_end(text: &str) -> usize {
    text.find('\n').map_or(text.len(), |i| i + 1)
}

/// End of the front matter's content (start of the closing `---` line, or the end of the text
/// when it is not closed yet), when the text starts with a `---` line.
fn front_matter_body(text: &str) -> Option<usize> {
    let first = text.split('\n').next()?;
    if first.trim_end() != "---" {
        return None;
    }
    let mut pos = first_line_end(text);
    for l in text[pos..].split_inclusive('\n') {
        if l.trim_end() == "---" || l.trim_end() == "..." {
            return Some(pos);
        }
        pos += l.len();
    }
    Some(text.len())
}

/// `key` of a `key: value` / `key:` line body, if it is one.
fn key_of(body: &str) -> Option<&str> {
    let (k, rest) = body.split_once(':')?;
    let k = k.trim();
    let ok = !k.is_empty()
        && (rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
        && k.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | '"' | '\''));
    ok.then_some(k)
}

/// The key whose value holds a line whose content starts at column `col`: the nearest key above
/// with a smaller column (for sequence items, the key at or left of the dash), with its column.
fn parent_key(text: &str, line: Span, col: usize) -> Option<(String, usize)> {
    let mut want = col;
    let mut end = line.start;
    while end > 0 {
        let l = line_at(text, end - 1);
        end = l.start;
        let s = l.slice(text);
        let t = s.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let ind = s.len() - t.len();
        if let Some(r) = t.strip_prefix("- ").or_else(|| (t == "-").then_some("")) {
            let r2 = r.trim_start();
            let k = ind + (t.len() - r2.len());
            if let Some(key) = key_of(r2) {
                if k < want {
                    return Some((key.to_string(), k));
                }
            }
            if k <= want && ind < want {
                // A sibling item (or the first entry of our own item): the parent is at or
                // left of its dash.
                want = ind + 1;
            }
            continue;
        }
        if ind < want {
            if let Some(key) = key_of(t) {
                return Some((key.to_string(), ind));
            }
        }
    }
    None
}

fn front_matter_completions(
    ws: &Workspace,
    doc: &Document,
    text: &str,
    line: Span,
    o: usize,
) -> Vec<CompletionItem> {
    let before = &text[line.start..o];
    let t = before.trim_start();
    let indent = before.len() - t.len();
    let p = partial(text, line, o, &[]);
    // `key: value`
    if let Some((key, value)) = t.split_once(':') {
        let key = key.trim();
        let value_partial = p.slice(text);
        let _ = value;
        let p = to_word_end(text, line, p);
        return match key {
            "type" => SPEC_TYPES
                .iter()
                .filter(|v| v.starts_with(value_partial))
                .map(|v| {
                    item(
                        v,
                        CompletionKind::Value,
                        Some("spec type".into()),
                        v.to_string(),
                        p,
                    )
                })
                .collect(),
            "status" => STATUSES
                .iter()
                .filter(|v| v.starts_with(value_partial))
                .map(|v| {
                    item(
                        v,
                        CompletionKind::Value,
                        Some("status".into()),
                        v.to_string(),
                        p,
                    )
                })
                .collect(),
            "dependencies" | "requires" => dependency_items(ws, doc, text, p, o),
            "- from" | "from" => dependency_path_items(ws, doc, p),
            _ => Vec::new(),
        };
    }
    if t.starts_with('-') {
        if let Some((key, _)) = parent_key(text, line, indent + 1) {
            if key == "dependencies" || key == "requires" {
                let p = to_word_end(text, line, p);
                return dependency_items(ws, doc, text, p, o);
            }
        }
        return Vec::new();
    }
    if indent == 0 {
        let present: BTreeSet<&str> = text[first_line_end(text)
            ..front_matter_body(text)
                .unwrap_or(0)
                .max(first_line_end(text))]
            .lines()
            .filter(|l| !l.starts_with([' ', '\t', '-', '#']))
            .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim()))
            .collect();
        let replace = Span::new(line.start, line.end.max(o));
        return FRONT_MATTER_KEYS
            .iter()
            .filter(|(k, _)| !present.contains(k) && k.starts_with(p.slice(text)))
            .map(|(k, d)| {
                item(
                    k,
                    CompletionKind::Property,
                    Some(d.to_string()),
                    format!("{k}: "),
                    replace,
                )
            })
            .collect();
    }
    Vec::new()
}

/// Names of other specs (and, in a YAML system spec, of its other domains), minus those already
/// listed (except the one under the cursor).
fn dependency_items(
    ws: &Workspace,
    doc: &Document,
    text: &str,
    p: Span,
    o: usize,
) -> Vec<CompletionItem> {
    let here = doc
        .domains
        .iter()
        .find(|d| d.span.touches(o))
        .map(|d| d.dependencies.as_slice())
        .unwrap_or(&doc.dependencies);
    let listed: BTreeSet<&str> = here
        .iter()
        .filter(|d| !d.span.touches(o))
        .map(|d| d.name.as_str())
        .collect();
    let typed = &text[p.start..o.clamp(p.start, p.end)];
    let mut out: Vec<(i64, CompletionItem)> = Vec::new();
    for d in &doc.domains {
        if d.span.touches(o) || listed.contains(d.name.as_str()) {
            continue;
        }
        if let Some(score) = fuzzy_score(typed, &d.name) {
            out.push((
                score + 1,
                item(
                    &d.name,
                    CompletionKind::Reference,
                    Some("domain of this spec".into()),
                    d.name.clone(),
                    p,
                ),
            ));
        }
    }
    for (path, f) in &ws.files {
        let d = &f.doc;
        if d.path == doc.path || d.name.is_empty() || listed.contains(d.name.as_str()) {
            continue;
        }
        if !matches!(
            d.kind,
            Some(DocKind::MarkdownSpec) | Some(DocKind::YamlSpec)
        ) {
            continue;
        }
        if let Some(score) = fuzzy_score(typed, &d.name) {
            let detail = match &d.spec_type {
                Some(t) => format!("{t} · {path}"),
                None => path.clone(),
            };
            out.push((
                score,
                item(
                    &d.name,
                    CompletionKind::Reference,
                    Some(detail),
                    d.name.clone(),
                    p,
                ),
            ));
        }
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.label.cmp(&b.1.label)));
    out.dedup_by(|a, b| a.1.label == b.1.label);
    out.into_iter().map(|(_, i)| i).collect()
}

/// Paths of other specs relative to this spec's folder (for `- from: x.spec.md`).
fn dependency_path_items(ws: &Workspace, doc: &Document, p: Span) -> Vec<CompletionItem> {
    let dir = doc.path.rsplit_once('/').map_or("", |(d, _)| d);
    ws.files
        .iter()
        .filter(|(path, f)| **path != doc.path && f.doc.kind == Some(DocKind::MarkdownSpec))
        .map(|(path, f)| {
            let rel = if dir.is_empty() {
                path.as_str()
            } else {
                path.strip_prefix(dir)
                    .and_then(|r| r.strip_prefix('/'))
                    .unwrap_or(path)
            };
            item(
                rel,
                CompletionKind::Reference,
                Some(f.doc.name.clone()),
                rel.to_string(),
                p,
            )
        })
        .collect()
}

/// Step phrases used in the workspace, best match first, most used first on ties. The step
/// being edited (at `here.1` in `here.0`) does not count.
fn step_items(
    ws: &Workspace,
    here: (&str, usize),
    kind: Option<StepKind>,
    typed: &str,
    replace: Span,
) -> Vec<CompletionItem> {
    let mut seen: HashMap<String, (String, StepKind, usize)> = HashMap::new();
    for d in ws.docs() {
        for sc in &d.scenarios {
            for st in sc.steps() {
                if kind.is_some_and(|k| k != st.kind) || st.text.trim().is_empty() {
                    continue;
                }
                if d.path == here.0 && sc.abs(st.span).touches(here.1) {
                    continue;
                }
                let key = normalize_step(&st.text);
                let e = seen
                    .entry(key)
                    .or_insert_with(|| (st.text.trim().to_string(), st.kind, 0));
                e.2 += 1;
            }
        }
    }
    let typed_trim = typed.trim();
    let mut scored: Vec<(i64, usize, String, StepKind)> = seen
        .into_values()
        .filter(|(t, _, _)| {
            normalize_step(t) != normalize_step(typed_trim) || typed_trim.is_empty()
        })
        .filter_map(|(t, k, n)| fuzzy_score(typed_trim, &t).map(|s| (s, n, t, k)))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    scored.truncate(50);
    scored
        .into_iter()
        .map(|(_, n, t, k)| {
            let kw = match k {
                StepKind::Given => "given",
                StepKind::When => "when",
                StepKind::Then => "then",
            };
            item(
                &t,
                CompletionKind::Step,
                Some(format!("{kw} step, used {n}×")),
                t.clone(),
                replace,
            )
        })
        .collect()
}

/// Keyword style used by the file's Markdown steps: (bold, upper case).
fn keyword_style(doc: &Document) -> (bool, bool) {
    let mut bold = 0i32;
    let mut upper = 0i32;
    let mut n = 0i32;
    for sc in &doc.scenarios {
        for st in sc.steps() {
            let k = st.keyword.trim();
            if k.is_empty() {
                continue;
            }
            n += 1;
            if k.starts_with("**") {
                bold += 1;
            }
            let letters: String = k.chars().filter(|c| c.is_alphabetic()).collect();
            if letters.len() > 1 && letters.chars().all(|c| c.is_uppercase()) {
                upper += 1;
            }
        }
    }
    (n > 0 && bold * 2 > n, n > 0 && upper * 2 > n)
}

fn styled(kw: &str, (bold, upper): (bool, bool)) -> String {
    let w = if upper {
        kw.to_uppercase()
    } else {
        kw.to_string()
    };
    if bold {
        format!("**{w}**")
    } else {
        w
    }
}

fn step_kind_of(word: &str) -> Option<Option<StepKind>> {
    match word.to_ascii_lowercase().as_str() {
        "given" => Some(Some(StepKind::Given)),
        "when" => Some(Some(StepKind::When)),
        "then" => Some(Some(StepKind::Then)),
        "and" | "but" => Some(None),
        _ => None,
    }
}

/// Strip a list marker (`- `, `* `, `+ `, `1. `) at the start of `s`; returns the rest.
fn strip_bullet(s: &str) -> &str {
    if let Some(r) = s.strip_prefix(['-', '*', '+']) {
        if r.starts_with(' ') {
            return r.trim_start();
        }
    }
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 {
        if let Some(r) = s[digits..].strip_prefix(['.', ')']) {
            if r.starts_with(' ') {
                return r.trim_start();
            }
        }
    }
    s
}

/// True when `o` is in a scenario: inside one's span, or below a `Scenario:` heading with no
/// other heading in between.
fn in_markdown_scenario(doc: &Document, text: &str, o: usize) -> bool {
    if doc.scenarios.iter().any(|s| s.span.touches(o)) {
        return true;
    }
    let mut end = o;
    while end > 0 {
        let l = line_at(text, end - 1);
        end = l.start;
        let t = l.slice(text).trim_start();
        if t.starts_with('#') {
            return t
                .trim_start_matches('#')
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("scenario");
        }
    }
    false
}

fn markdown_completions(
    ws: &Workspace,
    doc: &Document,
    text: &str,
    line: Span,
    o: usize,
) -> Vec<CompletionItem> {
    let before = &text[line.start..o];
    let t = before.trim_start();
    // Headings.
    if t.starts_with('#') && before.len() - t.len() <= 3 {
        let hashes = t.len() - t.trim_start_matches('#').len();
        let after = &t[hashes..];
        let title_start = o - after.trim_start().len();
        let typed = after.trim_start();
        let replace = Span::new(title_start, line.end.max(o));
        let need_space = after.is_empty();
        let existing: BTreeSet<String> = doc
            .sections
            .iter()
            .map(|s| s.title.to_lowercase())
            .collect();
        let line_text = line.slice(text);
        return sections_for(doc.spec_type.as_deref())
            .iter()
            .chain(
                [("Scenario: ", "a scenario heading")]
                    .iter()
                    .filter(|_| doc.spec_type.is_some()),
            )
            .filter(|(title, _)| {
                title.ends_with(' ')
                    || !existing.contains(&title.to_lowercase())
                    || line_text
                        .trim_start_matches('#')
                        .trim()
                        .eq_ignore_ascii_case(title)
            })
            .filter(|(title, _)| fuzzy_score(typed, title).is_some())
            .map(|(title, d)| {
                let detail = match doc.spec_type.as_deref() {
                    Some(ty) => format!("{d} for `{ty}` specs"),
                    None => d.to_string(),
                };
                let insert = if need_space {
                    format!(" {title}")
                } else {
                    title.to_string()
                };
                item(
                    title.trim_end(),
                    CompletionKind::Section,
                    Some(detail),
                    insert,
                    replace,
                )
            })
            .collect();
    }
    let body = strip_bullet(t);
    let body_start = o - body.len();
    let unbold = body.trim_start_matches("**");
    // After a keyword: step phrases.
    let word: String = unbold.chars().take_while(|c| c.is_alphabetic()).collect();
    if let Some(kind) = step_kind_of(&word) {
        let rest = &unbold[word.len()..];
        let rest2 = rest.trim_start_matches("**").trim_start_matches(':');
        if rest2.starts_with(' ') || rest2.starts_with('\t') {
            let phrase = rest2.trim_start();
            let replace = to_line_end(text, line, Span::new(o - phrase.len(), o));
            let kind = kind.or_else(|| previous_step_kind(doc, o));
            return step_items(ws, (&doc.path, o), kind, phrase, replace);
        }
    }
    // At the start of a step line: keywords.
    let is_word = unbold.chars().all(|c| c.is_alphabetic());
    if is_word && in_markdown_scenario(doc, text, o) {
        let style = keyword_style(doc);
        let replace = Span::new(body_start, o);
        return ["Given", "When", "Then", "And", "But"]
            .iter()
            .filter(|k| k.to_lowercase().starts_with(&unbold.to_lowercase()))
            .map(|k| {
                let s = styled(k, style);
                item(
                    &s,
                    CompletionKind::Keyword,
                    Some("step keyword".into()),
                    format!("{s} "),
                    replace,
                )
            })
            .collect();
    }
    Vec::new()
}

/// Kind of the step just above `o` (for And/But).
fn previous_step_kind(doc: &Document, o: usize) -> Option<StepKind> {
    doc.scenarios
        .iter()
        .flat_map(|s| s.steps().map(move |st| (s.abs(st.span), st.kind)))
        .filter(|(span, _)| span.end <= o)
        .max_by_key(|(span, _)| span.end)
        .map(|(_, kind)| kind)
}

fn yaml_completions(
    ws: &Workspace,
    doc: &Document,
    text: &str,
    line: Span,
    o: usize,
) -> Vec<CompletionItem> {
    let before = &text[line.start..o];
    let t = before.trim_start();
    let indent = before.len() - t.len();
    let after_dash = t.strip_prefix("- ").map(str::trim_start);
    let item_text = after_dash.unwrap_or(t);
    let item_col = o - item_text.len() - line.start;
    // `key: value`
    if let Some((key, value)) = item_text.split_once(':') {
        let key = key.trim();
        let value_trim = value.trim_start();
        let vstart = o - value_trim.len();
        match key {
            "given" | "when" | "then" => {
                let kind = step_kind_of(key).flatten();
                let replace = to_line_end(text, line, Span::new(vstart, o));
                return step_items(ws, (&doc.path, o), kind, value_trim, replace);
            }
            "requirement" => return constraint_items(text, line, o),
            "dependencies" => {
                let p = to_word_end(text, line, partial(text, line, o, &[]));
                return dependency_items(ws, doc, text, p, o);
            }
            _ => return Vec::new(),
        }
    }
    let parent = parent_key(text, line, item_col);
    // `- value` under a key.
    if let Some(v) = after_dash {
        if let Some((key, _)) = parent_key(text, line, indent + 1) {
            match key.as_str() {
                "given" | "when" | "then" => {
                    let kind = step_kind_of(&key).flatten();
                    let replace = to_line_end(text, line, Span::new(o - v.len(), o));
                    return step_items(ws, (&doc.path, o), kind, v, replace);
                }
                "dependencies" => {
                    let p = to_word_end(text, line, partial(text, line, o, &[]));
                    return dependency_items(ws, doc, text, p, o);
                }
                _ => {}
            }
        }
    }
    // Key position.
    if !item_text.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Vec::new();
    }
    let replace = Span::new(o - item_text.len(), line.end.max(o));
    let keys: &[(&str, &str)] = if indent == 0 && after_dash.is_none() {
        TOP_LEVEL_KEYS
    } else {
        match parent.as_ref().map(|(k, _)| k.as_str()) {
            Some("scenarios" | "new_scenarios" | "chaos_scenarios") => SCENARIO_KEYS,
            Some(_) if is_constraint_list(doc, o) => CONSTRAINT_KEYS,
            _ => {
                if sibling_keys(text, line)
                    .iter()
                    .any(|k| matches!(k.as_str(), "given" | "when" | "then"))
                {
                    SCENARIO_KEYS
                } else {
                    &[]
                }
            }
        }
    };
    let siblings = if after_dash.is_some() {
        Vec::new()
    } else {
        sibling_keys(text, line)
    };
    keys.iter()
        .filter(|(k, _)| !siblings.iter().any(|s| s == k) && k.starts_with(item_text))
        .map(|(k, d)| {
            item(
                k,
                CompletionKind::Property,
                Some(d.to_string()),
                format!("{k}: "),
                replace,
            )
        })
        .collect()
}

fn is_constraint_list(doc: &Document, o: usize) -> bool {
    doc.constraints.iter().any(|c| c.span.touches(o))
}

/// Keys of the mapping the line belongs to (same indentation, up to a line with less).
fn sibling_keys(text: &str, line: Span) -> Vec<String> {
    let l = line.slice(text);
    let t = l.trim_start();
    let indent = l.len() - t.len() + if t.starts_with("- ") { 2 } else { 0 };
    let mut out = Vec::new();
    let mut collect = |s: &str| -> bool {
        let tt = s.trim_start();
        if tt.is_empty() || tt.starts_with('#') {
            return true;
        }
        let ind = s.len() - tt.len();
        let (ind, tt) = match tt.strip_prefix("- ") {
            Some(r) => (ind + 2, r),
            None => (ind, tt),
        };
        if ind < indent {
            return false;
        }
        if ind == indent {
            if let Some((k, _)) = tt.split_once(':') {
                out.push(k.trim().to_string());
            }
        }
        !s.trim_start().starts_with("- ") || ind != indent
    };
    // Upwards until the item starts, then downwards until it ends.
    let mut end = line.start;
    while end > 0 {
        let pl = line_at(text, end - 1);
        end = pl.start;
        if !collect(pl.slice(text)) {
            break;
        }
    }
    // Past the line terminator (`\n` or `\r\n`) of a line.
    let after = |l: Span| {
        text[l.end..]
            .find('\n')
            .map_or(text.len(), |i| l.end + i + 1)
    };
    let mut start = after(line);
    while start < text.len() {
        let nl = line_at(text, start);
        start = after(nl);
        let s = nl.slice(text);
        if s.trim_start().starts_with("- ") && s.len() - s.trim_start().len() + 2 == indent {
            break;
        }
        if !collect(s) {
            break;
        }
    }
    out
}

fn constraint_items(text: &str, line: Span, o: usize) -> Vec<CompletionItem> {
    let p = partial(text, line, o, &['%']);
    let typed = p.slice(text);
    let before = text[line.start..p.start].trim_end();
    let last_token = before
        .rsplit([' ', '<', '>', '=', ':'])
        .next()
        .unwrap_or("");
    let after_number = !last_token.is_empty()
        && last_token
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',');
    // `100m|` has the partial "100m": split digits off.
    let digits = typed.len()
        - typed
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',')
            .len();
    if text[o..].starts_with(|c: char| c.is_ascii_digit()) {
        return Vec::new();
    }
    if after_number || digits > 0 {
        let unit_start = p.start + digits;
        let unit_typed = &text[unit_start..o];
        let replace = to_word_end(text, line, Span::new(unit_start, o));
        return UNITS
            .iter()
            .filter(|(u, _)| u.to_lowercase().starts_with(&unit_typed.to_lowercase()))
            .map(|(u, d)| {
                item(
                    u,
                    CompletionKind::Unit,
                    Some(d.to_string()),
                    u.to_string(),
                    replace,
                )
            })
            .collect();
    }
    // A metric: replace the words typed since the `:` or the last comparison.
    let value_start = text[line.start..o]
        .rfind([':', '<', '>', '='])
        .map_or(p.start, |i| line.start + i + 1);
    let typed_words = text[value_start..o].trim_start();
    let replace = to_word_end(text, line, Span::new(o - typed_words.len(), o));
    METRICS
        .iter()
        .filter(|(m, _)| fuzzy_score(typed_words, m).is_some())
        .map(|(m, d)| {
            item(
                m,
                CompletionKind::Metric,
                Some(d.to_string()),
                m.to_string(),
                replace,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ws, STORE, TODO};
    use super::*;
    use std::sync::Arc;

    fn with_text(path: &str, text: &str) -> (Workspace, usize) {
        let mut ws = ws();
        let o = text.find("$0").expect("marker");
        let clean = text.replace("$0", "");
        let mut f = ws.files.get(path).unwrap().clone();
        let mut d = (*f.doc).clone();
        d.path = path.into();
        f.doc = Arc::new(d);
        f.text = clean.into();
        ws.files.insert(path.into(), f);
        (ws, o)
    }

    fn labels(items: &[CompletionItem]) -> Vec<&str> {
        items.iter().map(|i| i.label.as_str()).collect()
    }

    #[test]
    fn markdown_contexts() {
        let base = TODO.replace("## Scenarios\n", "## Scenarios\n#$0\n");
        let (ws1, o) = with_text("todo.spec.md", &base);
        let l = completions(&ws1, "todo.spec.md", o);
        // bundle sections not yet present.
        assert!(labels(&l).contains(&"Types"), "{l:?}");
        assert!(!labels(&l).contains(&"Overview"), "{l:?}");
        assert_eq!(l[0].insert_text.chars().next(), Some(' '));

        let t2 = TODO.replace("When I complete", "Wh$0 I complete");
        let (ws2, o) = with_text("todo.spec.md", &t2);
        let _ = completions(&ws2, "todo.spec.md", o);

        let t3 = TODO.replace("Then the task is done\n", "Then the task is done\nAn$0\n");
        let (ws3, o) = with_text("todo.spec.md", &t3);
        let l = completions(&ws3, "todo.spec.md", o);
        assert_eq!(labels(&l), vec!["And"]);
        assert_eq!(l[0].insert_text, "And ");

        let t4 = TODO.replace(
            "Then the task is done\n",
            "Then the task is done\nGiven an em$0\n",
        );
        let (ws4, o) = with_text("todo.spec.md", &t4);
        let l = completions(&ws4, "todo.spec.md", o);
        assert_eq!(normalize_step(&l[0].label), "an empty list", "{l:?}");
        assert_eq!(l[0].replace.slice(&t4.replace("$0", "")), "an em");

        let t5 = TODO.replace("type: bundle\n", "type: bundle\nst$0\n");
        let (ws5, o) = with_text("todo.spec.md", &t5);
        let l = completions(&ws5, "todo.spec.md", o);
        assert_eq!(labels(&l), vec!["status"]);
        let t6 = TODO.replace("type: bundle\n", "type: fu$0\n");
        let (ws6, o) = with_text("todo.spec.md", &t6);
        assert_eq!(
            labels(&completions(&ws6, "todo.spec.md", o)),
            vec!["function"]
        );
    }

    #[test]
    fn yaml_contexts() {
        let t = STORE.replace(
            "    then: it is stored\n",
            "    then: it is stored\n  - name: Other\n    wh$0\n",
        );
        let (ws1, o) = with_text("store.spec.yaml", &t);
        let l = completions(&ws1, "store.spec.yaml", o);
        assert_eq!(labels(&l), vec!["when"]);
        let t = STORE.replace("when: I save", "when: I ad$0");
        let (ws2, o) = with_text("store.spec.yaml", &t);
        let l = completions(&ws2, "store.spec.yaml", o);
        assert_eq!(labels(&l), vec!["I add \"milk\""]);
        let t = STORE.replace("description: Persists tasks", "description: Persists tasks\nconstraints:\n  performance:\n    - name: x\n      requirement: p95 latency < 100m$0");
        let (ws3, o) = with_text("store.spec.yaml", &t);
        let l = completions(&ws3, "store.spec.yaml", o);
        assert_eq!(labels(&l), vec!["ms", "min", "MB"]);
        let t = t.replace("p95 latency < 100m$0", "p9$0");
        let (ws4, o) = with_text("store.spec.yaml", &t);
        let l = completions(&ws4, "store.spec.yaml", o);
        assert!(
            labels(&l).starts_with(&["p95 latency", "p99 latency"]),
            "{l:?}"
        );
    }
}
