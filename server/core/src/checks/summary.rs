//! Per-document summaries: the small, cacheable facts the cross-file checks join on.
//!
//! A summary is a pure function of one document and its text. The LSP keeps one per open or
//! indexed file and rebuilds it only when that file changes; the cross-file joins
//! ([`super::join`]) then run over all summaries with hash maps.

use std::collections::BTreeSet;

use crate::model::{Comparison, Document, Scenario};
use crate::span::Span;

use super::normalize::{self, Clause, Outcome};

/// One scenario, normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioSummary {
    /// The scenario's own name, id and Then steps (shared with the document: see
    /// [`ScenarioSummary::name`], [`ScenarioSummary::id`], [`ScenarioSummary::then_text`]).
    pub body: SharedBody,
    /// Name for duplicate detection: lower case, punctuation and articles dropped.
    pub name_key: String,
    pub explicit_id: bool,
    pub name_span: Span,
    /// Span of exactly the name's text in the source, when found (for the rename fix).
    pub name_text_span: Option<Span>,
    pub span: Span,
    /// Sorted duplicate keys of the Given, When and Then steps.
    pub keys: StepKeys,
    /// Then steps in the conflict view (one per Then step, in order: see
    /// [`ScenarioSummary::then_text`]), with their span.
    pub then_clauses: Vec<(Clause, Span)>,
    pub outcome: Outcome,
    /// Requirement-id-like tokens of its name, steps and tags, and its parent (sorted, once
    /// each): its part of [`FileSummary::mentions`].
    pub mentions: Vec<String>,
}

/// A scenario's body as its summary holds it: equal when the name, the id and the Then steps'
/// texts are (what the summary reads of it; the rest of the summary is made from the other
/// fields).
#[derive(Clone, Debug)]
pub struct SharedBody(pub std::sync::Arc<crate::model::ScenarioBody>);

impl PartialEq for SharedBody {
    fn eq(&self, other: &SharedBody) -> bool {
        let (a, b) = (&*self.0, &*other.0);
        std::sync::Arc::ptr_eq(&self.0, &other.0)
            || (a.name == b.name
                && a.id == b.id
                && a.then.len() == b.then.len()
                && a.then.iter().zip(&b.then).all(|(x, y)| x.text == y.text))
    }
}

impl ScenarioSummary {
    pub fn name(&self) -> &str {
        &self.body.0.name
    }
    pub fn id(&self) -> &str {
        &self.body.0.id
    }
    /// The source text of Then step `i` (of [`ScenarioSummary::then_clauses`]).
    pub fn then_text(&self, i: usize) -> &str {
        self.body.0.then.get(i).map_or("", |st| st.text.as_str())
    }
}

/// The duplicate keys of a scenario's Given, When and Then steps (each list sorted, once each)
/// in one buffer: `G:` the Given keys joined by U+0002, U+0001, `W:` the When keys, U+0001, `T:`
/// the Then keys. The joins read slices of it: the When keys (scenarios are compared for
/// conflicts within one When) and the whole (scenarios with the same are duplicates). One
/// allocation per scenario, where a string per key and per join took a dozen (the checks keep
/// them for every scenario of the workspace). Keys hold neither separator (they are words).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StepKeys {
    buf: Box<str>,
    /// Where the When keys start (after `W:`) and the Then keys start (after `T:`).
    when: u32,
    then: u32,
}

const KEY_SEP: char = '\u{2}';

impl StepKeys {
    /// From the sorted, deduplicated key lists.
    pub fn new<S: AsRef<str>>(given: &[S], when: &[S], then: &[S]) -> StepKeys {
        let len = |v: &[S]| v.iter().map(|k| k.as_ref().len() + 1).sum::<usize>();
        let mut buf = String::with_capacity(10 + len(given) + len(when) + len(then));
        let push = |buf: &mut String, keys: &[S]| {
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    buf.push(KEY_SEP);
                }
                buf.push_str(k.as_ref());
            }
        };
        buf.push_str("G:");
        push(&mut buf, given);
        buf.push_str("\u{1}W:");
        let when_at = buf.len() as u32;
        push(&mut buf, when);
        buf.push_str("\u{1}T:");
        let then_at = buf.len() as u32;
        push(&mut buf, then);
        StepKeys {
            buf: buf.into_boxed_str(),
            when: when_at,
            then: then_at,
        }
    }

    /// The Given keys joined (empty: none).
    pub fn given_joined(&self) -> &str {
        self.buf
            .get(2..(self.when as usize).saturating_sub(3))
            .unwrap_or("")
    }
    /// The When keys joined (empty: none).
    pub fn when_joined(&self) -> &str {
        let (w, t) = (self.when as usize, self.then as usize);
        self.buf.get(w..t.saturating_sub(3)).unwrap_or("")
    }
    /// The Then keys joined (empty: none).
    pub fn then_joined(&self) -> &str {
        self.buf.get(self.then as usize..).unwrap_or("")
    }
    fn split(joined: &str) -> impl Iterator<Item = &str> + Clone {
        joined.split(KEY_SEP).filter(|k| !k.is_empty())
    }
    pub fn given(&self) -> impl Iterator<Item = &str> + Clone {
        Self::split(self.given_joined())
    }
    pub fn when(&self) -> impl Iterator<Item = &str> + Clone {
        Self::split(self.when_joined())
    }
    pub fn then(&self) -> impl Iterator<Item = &str> + Clone {
        Self::split(self.then_joined())
    }
    /// Given, When and Then joined (None without a Then or without Given and When):
    /// scenarios with the same are duplicates.
    pub fn steps(&self) -> Option<&str> {
        let no_action = self.when_joined().is_empty() && self.given_joined().is_empty();
        let has = !(self.then_joined().is_empty() || no_action);
        has.then_some(&*self.buf)
    }
}

/// One measurable constraint, with its value in a base unit.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstraintSummary {
    pub span: Span,
    pub text: String,
    pub metric: String,
    pub percentile: Option<f64>,
    pub scope: Option<String>,
    pub comparison: Comparison,
    /// The value in the base unit `dim` (see [`crate::parse::constraint::base_value`]).
    pub value: f64,
    /// The base unit: `ms`, `MB`, `%`, a count noun, `.../s` for rates, or empty.
    pub dim: String,
    /// The threshold as written, for messages (`100 ms`).
    pub shown: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DependencySummary {
    pub name: String,
    pub from: Option<String>,
    pub span: Span,
    /// Span of exactly the name's text in the source, when found (for the did-you-mean fix).
    pub name_text_span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DomainSummary {
    pub name: String,
    pub name_span: Span,
    pub dependencies: Vec<DependencySummary>,
}

/// A requirement the document itself does not exercise; the join looks for mentions elsewhere.
#[derive(Clone, Debug, PartialEq)]
pub struct RequirementCandidate {
    pub id: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileSummary {
    pub path: String,
    pub name: String,
    /// The feature key: the slug of the document's name. Specs with the same key belong to one
    /// feature (a feature split over several files, or evolved in a `new_scenarios` file).
    pub feature: String,
    /// Lower-case names other specs may use to depend on this one: the spec name, the file
    /// stem, the file name and the path.
    pub aliases: Vec<String>,
    /// Lower-case names of the domains a YAML system spec declares (`domains:` items): a
    /// dependency on one of them resolves to this spec when no spec has that name.
    pub domain_aliases: Vec<String>,
    pub scenarios: Vec<ScenarioSummary>,
    pub constraints: Vec<ConstraintSummary>,
    pub dependencies: Vec<DependencySummary>,
    /// Domains of a YAML system spec, with their dependencies (on sibling domains or specs).
    pub domains: Vec<DomainSummary>,
    /// Requirement-id-like tokens (`FR-01`, `NFR-Performance`) mentioned by scenarios, example
    /// rows and tags of this document.
    pub mentions: BTreeSet<String>,
    pub unexercised: Vec<RequirementCandidate>,
    /// Inputs and outputs (name, type) of the functions this spec defines, from
    /// `yaml:functions` blocks and, for single-function specs, `yaml:schema`.
    pub functions_io: Vec<FunctionIo>,
    /// Workflow steps (`yaml:steps`), for the cross-file workflow checks.
    pub workflow: Vec<crate::model::WorkflowStep>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FunctionIo {
    pub name: String,
    pub inputs: Vec<(String, String)>,
    pub outputs: Vec<(String, String)>,
}

/// `name: {type: t}` or `name: t` entries of a mapping.
fn io_pairs(node: Option<&crate::yaml::Node>) -> Vec<(String, String)> {
    let Some(n) = node else { return Vec::new() };
    n.entries()
        .iter()
        .map(|e| {
            let ty = e
                .value
                .get("type")
                .and_then(|t| t.as_str())
                .or_else(|| e.value.as_str())
                .unwrap_or("")
                .to_string();
            (e.key.clone(), ty)
        })
        .collect()
}

fn functions_io(doc: &Document, text: &str) -> Vec<FunctionIo> {
    let mut out = Vec::new();
    for b in &doc.blocks {
        let info = b.info.trim().to_ascii_lowercase();
        if info != "yaml:functions" && info != "yaml:schema" {
            continue;
        }
        let y = crate::yaml::parse(b.content_span.slice(text));
        let Some(root) = y.root else { continue };
        if info == "yaml:schema" {
            if root.get("inputs").is_some() || root.get("outputs").is_some() {
                out.push(FunctionIo {
                    name: doc.name.clone(),
                    inputs: io_pairs(root.get("inputs")),
                    outputs: io_pairs(root.get("outputs")),
                });
            }
            continue;
        }
        let entries: Vec<(String, &crate::yaml::Node)> = if root.is_seq() {
            root.items()
                .iter()
                .filter_map(|n| {
                    n.get("name")
                        .and_then(|x| x.as_str())
                        .map(|name| (name.to_string(), n))
                })
                .collect()
        } else {
            root.entries()
                .iter()
                .map(|e| (e.key.clone(), &e.value))
                .collect()
        };
        for (name, n) in entries {
            out.push(FunctionIo {
                name,
                inputs: io_pairs(n.get("inputs")),
                outputs: io_pairs(n.get("outputs")),
            });
        }
    }
    out
}

/// Find the span of `needle` inside `span` of `text` (exact match first).
pub fn find_in(text: &str, span: Span, needle: &str) -> Option<Span> {
    if needle.is_empty() {
        return None;
    }
    let hay = text.get(span.start..span.end)?;
    // Most often the span holds the needle at its start (a name's span holds the name): told
    // without setting up a substring search.
    let at = if hay.starts_with(needle) {
        0
    } else {
        hay.find(needle)?
    };
    Some(Span::new(span.start + at, span.start + at + needle.len()))
}

/// Requirement-id-like tokens: an upper-case prefix, a dash, then letters or digits
/// (`FR-01`, `NFR-Performance`, `REQ-001`, `US-3`).
pub fn requirement_mentions(text: &str, out: &mut BTreeSet<String>) {
    let bytes = text.as_bytes();
    // Every mention has a `-` (most texts have none).
    if !bytes.contains(&b'-') {
        return;
    }
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i].is_ascii_uppercase() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            while i < bytes.len() && bytes[i].is_ascii_uppercase() {
                i += 1;
            }
            if i < bytes.len() && bytes[i] == b'-' && i > start {
                let mut end = i + 1;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'-')
                {
                    end += 1;
                }
                while end > i + 1 && bytes[end - 1] == b'-' {
                    end -= 1;
                }
                if end > i + 1 {
                    out.insert(text[start..end].to_string());
                    i = end;
                    continue;
                }
            }
            continue;
        }
        i += 1;
    }
}

/// Format a number without a trailing `.0`.
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

pub fn summarize(doc: &Document, text: &str) -> FileSummary {
    summarize_reusing(doc, text, None)
}

/// One scenario, normalised.
fn scenario_summary(sc: &Scenario, text: &str) -> ScenarioSummary {
    // Then steps are lexed once for their keys and their clauses.
    let mut then: Vec<String> = Vec::with_capacity(sc.then.len());
    let clauses: Vec<(Clause, Span)> = sc
        .then
        .iter()
        .map(|st| {
            let (key, clause) = normalize::key_and_clause(&st.text);
            if !key.is_empty() {
                then.push(key);
            }
            (clause, sc.abs(st.span))
        })
        .collect();
    // As `normalize::key_set` makes them.
    then.sort();
    then.dedup();
    let mut outcome = Outcome::Neutral;
    for (c, _) in &clauses {
        match c.outcome {
            Outcome::Error => outcome = Outcome::Error,
            Outcome::Success if outcome == Outcome::Neutral => outcome = Outcome::Success,
            _ => {}
        }
    }
    let given = normalize::key_set(sc.given.iter().map(|s| s.text.as_str()));
    let when = normalize::key_set(sc.when.iter().map(|s| s.text.as_str()));
    let keys = StepKeys::new(&given, &when, &then);
    let mut m = BTreeSet::new();
    requirement_mentions(&sc.name, &mut m);
    for st in sc.steps() {
        requirement_mentions(&st.text, &mut m);
    }
    for t in &sc.tags {
        requirement_mentions(t, &mut m);
    }
    if let Some(p) = &sc.parent {
        m.insert(p.clone());
    }
    ScenarioSummary {
        mentions: m.into_iter().collect(),
        body: SharedBody(sc.body().clone()),
        name_key: normalize::step_key(&sc.name),
        explicit_id: sc.explicit_id,
        name_span: sc.name_span,
        name_text_span: find_in(text, sc.name_span, &sc.name),
        span: sc.span,
        keys,
        then_clauses: clauses,
        outcome,
    }
}

/// How far `b` is from `a` when it is the same scenario moved: every field equal, every span
/// (and the name's source text) equal after the same shift.
fn moved_by(a: &Scenario, a_text: &str, b: &Scenario, b_text: &str) -> Option<isize> {
    let d = b.span.start as isize - a.span.start as isize;
    let same = |x: Span, y: Span| {
        x.start as isize + d == y.start as isize && x.end as isize + d == y.end as isize
    };
    let steps_same = |x: &[crate::model::Step], y: &[crate::model::Step]| {
        x.len() == y.len()
            && x.iter().zip(y).all(|(p, q)| {
                p.kind == q.kind
                    && p.keyword == q.keyword
                    && p.text == q.text
                    // Relative to their scenario's start: equal after the same shift.
                    && p.span == q.span
                    && p.text_span == q.text_span
            })
    };
    let ok = same(a.span, b.span)
        && same(a.name_span, b.name_span)
        && a.name == b.name
        && a.id == b.id
        && a.explicit_id == b.explicit_id
        && a.tags == b.tags
        && a.status == b.status
        && a.parent == b.parent
        && a.origin == b.origin
        && a.name_span.slice(a_text) == b.name_span.slice(b_text)
        && steps_same(&a.given, &b.given)
        && steps_same(&a.when, &b.when)
        && steps_same(&a.then, &b.then);
    ok.then_some(d)
}

fn move_span(s: &mut Span, d: isize) {
    s.start = (s.start as isize + d) as usize;
    s.end = (s.end as isize + d) as usize;
}

/// Summaries of `prev` for the scenarios of `doc` that did not change (the common head and tail
/// of the scenario lists), moved to their new place; None where they must be computed.
fn reuse(
    doc: &Document,
    text: &str,
    prev: Option<(&Document, &str, FileSummary)>,
) -> Vec<Option<ScenarioSummary>> {
    let Some((old, old_text, summary)) = prev else {
        return Vec::new();
    };
    if summary.scenarios.len() != old.scenarios.len() {
        return Vec::new();
    }
    let mut olds: Vec<Option<ScenarioSummary>> = summary.scenarios.into_iter().map(Some).collect();
    let (a, b) = (&old.scenarios, &doc.scenarios);
    let mut out: Vec<Option<ScenarioSummary>> = Vec::with_capacity(b.len());
    out.resize_with(b.len(), || None);
    let mut take = |i: usize, j: usize, d: isize, out: &mut Vec<Option<ScenarioSummary>>| {
        if let Some(mut s) = olds[i].take() {
            move_summary(&mut s, d, &b[j]);
            out[j] = Some(s);
        }
    };
    // A document an incremental reparse made from `old` says which scenarios it kept.
    if let Some(sp) = doc.lineage.spliced_from(&old.lineage) {
        if a.len() == b.len() && sp.head + sp.tail < b.len() {
            for i in 0..sp.head {
                take(i, i, 0, &mut out);
            }
            for t in 0..sp.tail {
                take(a.len() - 1 - t, b.len() - 1 - t, sp.delta, &mut out);
            }
            return out;
        }
    }
    let mut head = 0;
    while head < a.len() && head < b.len() {
        let Some(d) = moved_by(&a[head], old_text, &b[head], text) else {
            break;
        };
        take(head, head, d, &mut out);
        head += 1;
    }
    let mut tail = 0;
    while tail < a.len() - head && tail < b.len() - head {
        let (i, j) = (a.len() - 1 - tail, b.len() - 1 - tail);
        let Some(d) = moved_by(&a[i], old_text, &b[j], text) else {
            break;
        };
        take(i, j, d, &mut out);
        tail += 1;
    }
    out
}

/// Lower-case names other specs may use to depend on `doc`: the spec name, the file name, the
/// file stem and the path.
pub fn spec_aliases(doc: &Document) -> Vec<String> {
    let mut aliases = vec![doc.name.to_lowercase()];
    let file = doc.path.rsplit('/').next().unwrap_or(&doc.path);
    aliases.push(file.to_lowercase());
    aliases.push(crate::parse::default_name(&doc.path).to_lowercase());
    aliases.push(doc.path.to_lowercase());
    aliases.sort();
    aliases.dedup();
    aliases.retain(|a| !a.is_empty());
    aliases
}

/// Lower-case names of the domains a YAML system spec declares.
pub fn domain_aliases(doc: &Document) -> Vec<String> {
    doc.domains
        .iter()
        .map(|d| d.name.trim().to_lowercase())
        .filter(|n| !n.is_empty())
        .collect()
}

/// [`summarize`] taking the summaries of scenarios that did not change from `prev`: the previous
/// document, its text and its summary. Same result as [`summarize`].
pub fn summarize_reusing(
    doc: &Document,
    text: &str,
    prev: Option<(&Document, &str, FileSummary)>,
) -> FileSummary {
    let mut reused = reuse(doc, text, prev);
    let mut scenarios = Vec::with_capacity(doc.scenarios.len());
    for (i, sc) in doc.scenarios.iter().enumerate() {
        scenarios.push(match reused.get_mut(i).and_then(Option::take) {
            Some(r) => r,
            None => scenario_summary(sc, text),
        });
    }
    let mut s = file_level(doc, text);
    s.mentions = mentions(doc, &scenarios);
    s.scenarios = scenarios;
    s
}

/// [`summarize`] in place, for a document an incremental reparse made from the document `s`
/// summarises (see [`spliced`]): only the scenarios `changed` (the ones it read again) are
/// summarised again, those after them are moved by `delta`, and the parts that are not
/// scenarios are made again. Same result as [`summarize`] (but for `unexercised`, left as it
/// is). Returns whether everything but the scenarios is the same as before.
pub fn update_in_place(
    s: &mut FileSummary,
    doc: &Document,
    text: &str,
    changed: std::ops::Range<usize>,
    delta: isize,
) -> bool {
    let mut same_mentions = true;
    for i in changed.clone() {
        let new = scenario_summary(&doc.scenarios[i], text);
        same_mentions &= new.mentions == s.scenarios[i].mentions;
        s.scenarios[i] = new;
    }
    for (i, sc) in s.scenarios.iter_mut().enumerate() {
        if !changed.contains(&i) {
            let d = if i < changed.start { 0 } else { delta };
            move_summary(sc, d, &doc.scenarios[i]);
        }
    }
    let mut f = file_level(doc, text);
    f.mentions = if same_mentions {
        std::mem::take(&mut s.mentions)
    } else {
        mentions(doc, &s.scenarios)
    };
    let same = f.path == s.path
        && f.name == s.name
        && f.feature == s.feature
        && f.aliases == s.aliases
        && f.domain_aliases == s.domain_aliases
        && f.constraints == s.constraints
        && f.dependencies == s.dependencies
        && f.domains == s.domains
        && f.functions_io == s.functions_io
        && f.workflow == s.workflow
        && (same_mentions || f.mentions == s.mentions);
    f.scenarios = std::mem::take(&mut s.scenarios);
    f.unexercised = std::mem::take(&mut s.unexercised);
    *s = f;
    same
}

/// How an incremental reparse made `doc` from `old`: the scenarios it read again (the others
/// are `old`'s, those after them moved) and by how much what follows them moved (see
/// [`crate::model::Splice`]); None when `doc` was not made from `old` that way.
pub fn spliced(old: &Document, doc: &Document) -> Option<(std::ops::Range<usize>, isize)> {
    let sp = doc.lineage.spliced_from(&old.lineage)?;
    let n = doc.scenarios.len();
    (old.scenarios.len() == n && sp.head + sp.tail < n).then_some((sp.head..n - sp.tail, sp.delta))
}

/// The summary of a scenario kept as it was, for `now` (the same scenario `d` bytes further):
/// its spans moved, and the body it holds the new document's.
fn move_summary(s: &mut ScenarioSummary, d: isize, now: &Scenario) {
    if !std::sync::Arc::ptr_eq(&s.body.0, now.body()) {
        s.body = SharedBody(now.body().clone());
    }
    if d == 0 {
        return;
    }
    move_span(&mut s.name_span, d);
    move_span(&mut s.span, d);
    if let Some(t) = &mut s.name_text_span {
        move_span(t, d);
    }
    for (_, sp) in &mut s.then_clauses {
        move_span(sp, d);
    }
}

/// Requirement ids mentioned by the scenarios (their summaries) and example rows of `doc`.
fn mentions(doc: &Document, scenarios: &[ScenarioSummary]) -> BTreeSet<String> {
    let mut m = BTreeSet::new();
    for s in scenarios {
        m.extend(s.mentions.iter().cloned());
    }
    for ex in &doc.examples {
        for (_, v) in &ex.cells {
            requirement_mentions(v, &mut m);
        }
        for t in [&ex.name, &ex.target].into_iter().flatten() {
            requirement_mentions(t, &mut m);
        }
        requirement_mentions(&ex.input, &mut m);
        requirement_mentions(&ex.expected, &mut m);
    }
    m
}

/// Everything of the summary but the scenarios, the mentions and the unexercised requirements.
fn file_level(doc: &Document, text: &str) -> FileSummary {
    let mut s = FileSummary {
        path: doc.path.clone(),
        name: doc.name.clone(),
        feature: crate::model::slug(&doc.name),
        ..Default::default()
    };
    s.aliases = spec_aliases(doc);
    s.domain_aliases = domain_aliases(doc);
    for c in &doc.constraints {
        let Some(m) = &c.measure else { continue };
        let (value, dim) = crate::parse::constraint::base_value(m);
        let unit = match m.unit.as_deref() {
            // Words get a space (`100 requests`), symbols and short units do not (`100ms`).
            Some(u) if u.chars().count() > 3 && u.chars().all(char::is_alphabetic) => {
                format!(" {u}")
            }
            Some(u) => u.to_string(),
            None => String::new(),
        };
        let shown = match &m.per {
            Some(per) => format!("{}{unit}/{per}", num(m.value)),
            None => format!("{}{unit}", num(m.value)),
        };
        s.constraints.push(ConstraintSummary {
            span: c.text_span,
            text: c.text.clone(),
            metric: m.metric.clone(),
            percentile: m.percentile,
            scope: m
                .scope
                .as_ref()
                .map(|sc| normalize::step_key(sc))
                .filter(|sc| !sc.is_empty()),
            comparison: m.comparison,
            value,
            dim,
            shown,
        });
    }

    let dep = |d: &crate::model::Dependency| DependencySummary {
        name: d.name.clone(),
        from: d.from.clone(),
        span: d.span,
        name_text_span: find_in(text, d.span, &d.name),
    };
    s.dependencies = doc.dependencies.iter().map(dep).collect();
    s.functions_io = functions_io(doc, text);
    s.workflow = doc.workflow_steps.clone();
    s.domains = doc
        .domains
        .iter()
        .map(|d| DomainSummary {
            name: d.name.clone(),
            name_span: d.name_span,
            dependencies: d.dependencies.iter().map(dep).collect(),
        })
        .collect();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Each list comes back as it went in; the joins are the lists joined as the checks
        /// compare them; `steps` is there only with a Then and a Given or When.
        #[test]
        fn step_keys_keep_their_lists(
            given in proptest::collection::btree_set("[a-z#:]{1,6}( [a-z]{1,4}){0,2}", 0..4),
            when in proptest::collection::btree_set("[a-z#:]{1,6}( [a-z]{1,4}){0,2}", 0..4),
            then in proptest::collection::btree_set("[a-z#:]{1,6}( [a-z]{1,4}){0,2}", 0..4),
        ) {
            let (g, w, t): (Vec<String>, Vec<String>, Vec<String>) = (
                given.into_iter().collect(),
                when.into_iter().collect(),
                then.into_iter().collect(),
            );
            let k = StepKeys::new(&g, &w, &t);
            proptest::prop_assert_eq!(k.given().collect::<Vec<_>>(), g.iter().map(String::as_str).collect::<Vec<_>>());
            proptest::prop_assert_eq!(k.when().collect::<Vec<_>>(), w.iter().map(String::as_str).collect::<Vec<_>>());
            proptest::prop_assert_eq!(k.then().collect::<Vec<_>>(), t.iter().map(String::as_str).collect::<Vec<_>>());
            proptest::prop_assert_eq!(k.when_joined(), w.join("\u{2}"));
            let all = format!("G:{}\u{1}W:{}\u{1}T:{}", g.join("\u{2}"), w.join("\u{2}"), t.join("\u{2}"));
            let has = !t.is_empty() && (!g.is_empty() || !w.is_empty());
            proptest::prop_assert_eq!(k.steps(), has.then_some(all.as_str()));
            // Subsets, as a search of each key in the other list finds them.
            let sub = |a: &[String], b: &[String]| a.iter().all(|x| b.binary_search(x).is_ok());
            let k2 = StepKeys::new(&w, &g, &t);
            proptest::prop_assert_eq!(
                normalize::is_subset(k.given(), k2.given()),
                sub(&g, &w)
            );
            proptest::prop_assert_eq!(
                normalize::is_subset(k2.given(), k.given()),
                sub(&w, &g)
            );
        }
    }

    #[test]
    fn mentions() {
        let mut m = BTreeSet::new();
        requirement_mentions("covers FR-01 and [NFR-Performance], not x-1 or FR-", &mut m);
        let v: Vec<_> = m.into_iter().collect();
        assert_eq!(v, vec!["FR-01", "NFR-Performance"]);
    }
}
