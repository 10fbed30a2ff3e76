//! What is under the cursor: the one place that maps an offset to a model element.

use crate::model::{Constraint, Dependency, Document, Requirement, Scenario, Step};
use crate::span::Span;
use crate::workspace::{SourceFile, Workspace};

use super::text::{clamp, find_word, id_token_at, line_at, looks_like_requirement_id, valid};

/// A model element found at an offset.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target<'a> {
    /// A dependency entry; `span` is the dependency name (or `from:` path) in the text.
    Dependency {
        dep: &'a Dependency,
        span: Span,
    },
    /// A requirement id: its definition or a mention anywhere in the text.
    RequirementId {
        id: &'a str,
        span: Span,
    },
    /// A step of a scenario.
    Step {
        scenario: &'a Scenario,
        step: &'a Step,
    },
    /// A scenario; `span` is what the cursor is on: the name, the explicit id, a mention of the
    /// id elsewhere, or the whole scenario.
    Scenario {
        path: &'a str,
        scenario: &'a Scenario,
        span: Span,
        on: ScenarioPart,
    },
    Constraint {
        constraint: &'a Constraint,
    },
    /// Inside a requirement but not on its id.
    Requirement {
        req: &'a Requirement,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScenarioPart {
    Name,
    Id,
    /// A mention of the scenario's id in some text (another spec, a note).
    Mention,
    Body,
}

/// The span of a dependency's name in the text (falls back to the `from:` path, then the entry).
pub(crate) fn dependency_name_span(text: &str, dep: &Dependency) -> Span {
    if !valid(text, dep.span) {
        return dep.span;
    }
    let entry = dep.span.slice(text);
    for needle in [Some(dep.name.as_str()), dep.from.as_deref()]
        .into_iter()
        .flatten()
    {
        if needle.is_empty() {
            continue;
        }
        if let Some(i) = entry.find(needle) {
            return Span::new(dep.span.start + i, dep.span.start + i + needle.len());
        }
    }
    dep.span
}

/// The span of an explicit scenario id as written (`id: checkout-01` in YAML, `{#id}` or
/// `<!-- id: x -->` in Markdown): its first word-bounded occurrence in the scenario outside the
/// name.
pub(crate) fn scenario_id_span(text: &str, sc: &Scenario) -> Option<Span> {
    if !sc.explicit_id || !valid(text, sc.span) || sc.id.is_empty() {
        return None;
    }
    find_word(sc.span.slice(text), &sc.id)
        .into_iter()
        .map(|s| s.shift(sc.span.start))
        .find(|s| !(sc.name_span.start <= s.start && s.end <= sc.name_span.end))
}

/// Every requirement definition with this id across the workspace, as (path, requirement).
pub(crate) fn requirement_defs<'a>(
    ws: &'a Workspace,
    id: &str,
) -> Vec<(&'a str, &'a SourceFile, &'a Requirement)> {
    let mut out = Vec::new();
    for (path, f) in &ws.files {
        for r in &f.doc.requirements {
            if r.id == id {
                out.push((path.as_str(), f, r));
            }
        }
    }
    out
}

/// True when `token` is a requirement id: defined somewhere, or shaped like one and sharing its
/// prefix (`FR`, `NFR`...) with a defined requirement (so `SKU-123` in a step is not taken for
/// one).
fn is_requirement_token(ws: &Workspace, token: &str) -> bool {
    let mut prefix_known = false;
    let prefix = token.split(['-', '_']).next().unwrap_or("");
    for f in ws.files.values() {
        for r in &f.doc.requirements {
            if r.id == token {
                return true;
            }
            if !prefix_known && r.id.split(['-', '_']).next() == Some(prefix) && r.id != prefix {
                prefix_known = true;
            }
        }
    }
    prefix_known && looks_like_requirement_id(token)
}

/// A scenario id (`todo/create-a-task` or an explicit id) written at `offset`.
fn scenario_mention_at<'a>(
    ws: &'a Workspace,
    text: &str,
    offset: usize,
) -> Option<(&'a str, &'a Scenario, Span)> {
    let o = clamp(text, offset);
    let line = line_at(text, o);
    let is_c = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/');
    let mut start = o;
    for (i, c) in text[line.start..o].char_indices().rev() {
        if is_c(c) {
            start = line.start + i;
        } else {
            break;
        }
    }
    let mut end = o;
    for (i, c) in text[o..line.end.max(o)].char_indices() {
        if is_c(c) {
            end = o + i + c.len_utf8();
        } else {
            break;
        }
    }
    let tok = text[start..end].trim_end_matches(['.', '/']);
    if tok.len() < 3 {
        return None;
    }
    for (path, f) in &ws.files {
        for sc in &f.doc.scenarios {
            if sc.id == tok && (sc.explicit_id || tok.contains('/')) {
                return Some((path.as_str(), sc, Span::new(start, start + tok.len())));
            }
        }
    }
    None
}

/// What is at `offset` in the document at `path`.
pub(crate) fn target_at<'a>(ws: &'a Workspace, path: &str, offset: usize) -> Option<Target<'a>> {
    let (path, file) = ws.files.get_key_value(path)?;
    let text: &str = &file.text;
    let doc: &Document = &file.doc;
    let o = clamp(text, offset);

    let domain_deps = doc.domains.iter().flat_map(|d| d.dependencies.iter());
    for dep in doc.dependencies.iter().chain(domain_deps) {
        if dep.span.touches(o) && !dep.span.is_empty() {
            let span = dependency_name_span(text, dep);
            return Some(Target::Dependency { dep, span });
        }
    }
    for r in &doc.requirements {
        if r.id_span.touches(o) && !r.id_span.is_empty() && !r.id.is_empty() {
            return Some(Target::RequirementId {
                id: &r.id,
                span: r.id_span,
            });
        }
    }
    if let Some(tok) = id_token_at(text, o) {
        let s = tok.slice(text);
        if is_requirement_token(ws, s) {
            // Borrow the id from the definition when there is one, else from the text.
            let id: &'a str = requirement_defs(ws, s)
                .first()
                .map(|(_, _, r)| r.id.as_str())
                .unwrap_or(&file.text[tok.start..tok.end]);
            return Some(Target::RequirementId { id, span: tok });
        }
    }
    for sc in &doc.scenarios {
        if !sc.span.touches(o) && !sc.name_span.touches(o) {
            continue;
        }
        if sc.name_span.touches(o) && !sc.name_span.is_empty() {
            return Some(Target::Scenario {
                path,
                scenario: sc,
                span: sc.name_span,
                on: ScenarioPart::Name,
            });
        }
        if let Some(id_span) = scenario_id_span(text, sc) {
            if id_span.touches(o) {
                return Some(Target::Scenario {
                    path,
                    scenario: sc,
                    span: id_span,
                    on: ScenarioPart::Id,
                });
            }
        }
        if let Some(step) = sc
            .steps()
            .find(|s| sc.abs(s.span).touches(o) && !sc.abs(s.span).is_empty())
        {
            return Some(Target::Step { scenario: sc, step });
        }
    }
    if let Some((p, sc, span)) = scenario_mention_at(ws, text, o) {
        return Some(Target::Scenario {
            path: p,
            scenario: sc,
            span,
            on: ScenarioPart::Mention,
        });
    }
    // The scenario name in an example row that targets a scenario of this spec.
    for row in doc.examples.iter().filter(|r| r.span.contains(o)) {
        let names = [row.name.as_deref(), row.target.as_deref()];
        for sc in &doc.scenarios {
            if sc.name.is_empty() || !names.contains(&Some(sc.name.as_str())) {
                continue;
            }
            if let Some(i) = row.span.slice(text).find(sc.name.as_str()) {
                let span = Span::new(row.span.start + i, row.span.start + i + sc.name.len());
                if span.touches(o) {
                    return Some(Target::Scenario {
                        path,
                        scenario: sc,
                        span,
                        on: ScenarioPart::Mention,
                    });
                }
            }
        }
    }
    for c in &doc.constraints {
        if c.span.touches(o) && !c.span.is_empty() {
            return Some(Target::Constraint { constraint: c });
        }
    }
    // Innermost scenario (smallest span) containing the offset.
    if let Some(sc) = doc
        .scenarios
        .iter()
        .filter(|s| s.span.contains(o))
        .min_by_key(|s| s.span.len())
    {
        return Some(Target::Scenario {
            path,
            scenario: sc,
            span: sc.span,
            on: ScenarioPart::Body,
        });
    }
    if let Some(req) = doc
        .requirements
        .iter()
        .filter(|r| r.span.contains(o))
        .min_by_key(|r| r.span.len())
    {
        return Some(Target::Requirement { req });
    }
    None
}

/// Every word-bounded mention of `needle` across the workspace, as (path, span), in path order.
pub(crate) fn mentions<'a>(ws: &'a Workspace, needle: &str) -> Vec<(&'a str, Span)> {
    let mut out = Vec::new();
    for (path, f) in &ws.files {
        for s in find_word(&f.text, needle) {
            out.push((path.as_str(), s));
        }
    }
    out
}
