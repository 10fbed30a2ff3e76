//! Go to definition and find references.
//!
//! - A dependency name goes to the spec it names; its references are every dependency on that
//!   spec across the workspace (plus the spec's name as the declaration).
//! - A requirement id (`FR-01` anywhere in any text, or its definition) goes to its definition;
//!   its references are every word-bounded mention across the workspace.
//! - A step goes to the same (normalised, see [`super::normalize_step`]) step in the other
//!   scenarios; its references are all of them.
//! - A scenario (its name, explicit id or a mention of its id) goes to the scenario; its
//!   references are mentions of its id and example rows that target it.

use serde::Serialize;

use crate::model::{Scenario, Step};
use crate::span::Span;
use crate::workspace::{SourceFile, Workspace};

use super::target::{
    dependency_name_span, mentions, requirement_defs, scenario_id_span, target_at, ScenarioPart,
    Target,
};
use super::text::{find_word, normalize_step, valid};

/// A place in the workspace.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub path: String,
    pub span: Span,
}

/// A definition: the whole element (`span`) and the part to select (`focus_span`, the name or
/// id), as LSP's `LocationLink` wants.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NavTarget {
    pub path: String,
    pub span: Span,
    pub focus_span: Span,
}

/// The spec a dependency names: by `from:` path (suffix match), then by spec name, then by a
/// path-like name (`types/user` matches `.../types/user.spec.md`).
pub(crate) fn resolve_dependency<'a>(
    ws: &'a Workspace,
    name: &str,
    from: Option<&str>,
) -> Option<(&'a str, &'a SourceFile)> {
    let norm = |p: &str| p.trim_start_matches("./").replace('\\', "/");
    if let Some(from) = from.filter(|f| !f.trim().is_empty()) {
        let want = norm(from.trim());
        for (p, f) in &ws.files {
            if *p == want || p.ends_with(&format!("/{want}")) {
                return Some((p.as_str(), f));
            }
        }
    }
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    if let Some((p, f)) = ws.files.iter().find(|(_, f)| f.doc.name == name) {
        return Some((p.as_str(), f));
    }
    if name.contains('/') {
        for (p, f) in &ws.files {
            let stem = p
                .trim_end_matches(".md")
                .trim_end_matches(".yaml")
                .trim_end_matches(".yml")
                .trim_end_matches(".spec");
            if stem == name || stem.ends_with(&format!("/{name}")) {
                return Some((p.as_str(), f));
            }
        }
    }
    None
}

fn spec_target(path: &str, f: &SourceFile) -> NavTarget {
    let focus = if valid(&f.text, f.doc.name_span) {
        f.doc.name_span
    } else {
        Span::empty(0)
    };
    NavTarget {
        path: path.to_string(),
        span: Span::new(0, f.text.len()),
        focus_span: focus,
    }
}

fn scenario_target(path: &str, sc: &Scenario) -> NavTarget {
    NavTarget {
        path: path.to_string(),
        span: sc.span,
        focus_span: if sc.span.start <= sc.name_span.start && sc.name_span.end <= sc.span.end {
            sc.name_span
        } else {
            Span::empty(sc.span.start)
        },
    }
}

/// Where the element at `offset` is defined. Empty when there is nothing to go to.
pub fn goto_definition(ws: &Workspace, path: &str, offset: usize) -> Vec<NavTarget> {
    let Some(t) = target_at(ws, path, offset) else {
        return Vec::new();
    };
    let mut out = match t {
        Target::Dependency { dep, .. } => {
            // A domain's dependency on a sibling domain of the same spec goes to that domain.
            let domain = ws.get(path).and_then(|f| {
                f.doc
                    .domains
                    .iter()
                    .find(|d| d.name == dep.name && !d.span.touches(dep.span.start))
            });
            match domain {
                Some(d) => vec![NavTarget {
                    path: path.to_string(),
                    span: d.span,
                    focus_span: d.name_span,
                }],
                None => resolve_dependency(ws, &dep.name, dep.from.as_deref())
                    .map(|(p, f)| vec![spec_target(p, f)])
                    .unwrap_or_default(),
            }
        }
        Target::RequirementId { id, .. } => requirement_defs(ws, id)
            .into_iter()
            .map(|(p, _, r)| NavTarget {
                path: p.to_string(),
                span: r.span,
                focus_span: if r.span.start <= r.id_span.start && r.id_span.end <= r.span.end {
                    r.id_span
                } else {
                    Span::empty(r.span.start)
                },
            })
            .collect(),
        Target::Step { scenario, step } => step_uses(ws, path, scenario, step)
            .into_iter()
            .map(|(p, sc, st)| {
                let (span, text_span) = (sc.abs(st.span), sc.abs(st.text_span));
                NavTarget {
                    path: p.to_string(),
                    span,
                    focus_span: if span.start <= text_span.start && text_span.end <= span.end {
                        text_span
                    } else {
                        Span::empty(span.start)
                    },
                }
            })
            .collect(),
        Target::Scenario {
            path: p,
            scenario,
            on,
            ..
        } => match on {
            ScenarioPart::Body => Vec::new(),
            _ => vec![scenario_target(p, scenario)],
        },
        Target::Constraint { .. } | Target::Requirement { .. } => Vec::new(),
    };
    out.sort();
    out.dedup();
    out
}

/// Every place the element at `offset` is used; with `include_declaration`, also where it is
/// defined. Sorted by path and position, without duplicates.
pub fn find_references(
    ws: &Workspace,
    path: &str,
    offset: usize,
    include_declaration: bool,
) -> Vec<Location> {
    let Some(t) = target_at(ws, path, offset) else {
        return Vec::new();
    };
    let loc = |p: &str, span: Span| Location {
        path: p.to_string(),
        span,
    };
    let mut out: Vec<Location> = Vec::new();
    match t {
        Target::Dependency { dep, .. } => {
            let target = resolve_dependency(ws, &dep.name, dep.from.as_deref());
            if include_declaration {
                if let Some((p, f)) = target {
                    if valid(&f.text, f.doc.name_span) && !f.doc.name_span.is_empty() {
                        out.push(loc(p, f.doc.name_span));
                    }
                }
            }
            for (p, f) in &ws.files {
                let domain_deps = f.doc.domains.iter().flat_map(|d| d.dependencies.iter());
                for d in f.doc.dependencies.iter().chain(domain_deps) {
                    let same = match target {
                        Some((tp, _)) => resolve_dependency(ws, &d.name, d.from.as_deref())
                            .is_some_and(|(q, _)| q == tp),
                        None => d.name == dep.name,
                    };
                    if same {
                        out.push(loc(p, dependency_name_span(&f.text, d)));
                    }
                }
            }
        }
        Target::RequirementId { id, .. } => {
            let defs: Vec<(String, Span)> = requirement_defs(ws, id)
                .into_iter()
                .map(|(p, _, r)| (p.to_string(), r.id_span))
                .collect();
            for (p, span) in mentions(ws, id) {
                let is_def = defs.iter().any(|(dp, ds)| dp == p && *ds == span);
                if include_declaration || !is_def {
                    out.push(loc(p, span));
                }
            }
            if include_declaration {
                // Definitions whose id span is not a plain mention (e.g. an OpenSpec name).
                for (p, s) in defs {
                    out.push(Location { path: p, span: s });
                }
            }
        }
        Target::Step { scenario, step } => {
            if include_declaration {
                out.push(loc(path, scenario.abs(step.text_span)));
            }
            for (p, sc, st) in step_uses(ws, path, scenario, step) {
                out.push(loc(p, sc.abs(st.text_span)));
            }
        }
        Target::Scenario {
            path: p, scenario, ..
        } => {
            if include_declaration {
                out.push(loc(p, scenario.name_span));
                if let Some(f) = ws.get(p) {
                    if let Some(s) = scenario_id_span(&f.text, scenario) {
                        out.push(loc(p, s));
                    }
                }
            }
            for (q, s) in scenario_uses(ws, p, scenario) {
                out.push(Location { path: q, span: s });
            }
        }
        Target::Constraint { .. } | Target::Requirement { .. } => {}
    }
    out.sort();
    out.dedup();
    out
}

/// Other steps (in other scenarios, or elsewhere in the same one) whose normalised text equals
/// this step's.
pub(crate) fn step_uses<'a>(
    ws: &'a Workspace,
    path: &str,
    scenario: &Scenario,
    step: &Step,
) -> Vec<(&'a str, &'a Scenario, &'a Step)> {
    let at = scenario.abs(step.span);
    let key = normalize_step(&step.text);
    let mut out = Vec::new();
    if key.is_empty() {
        return out;
    }
    for (p, f) in &ws.files {
        for sc in &f.doc.scenarios {
            for st in sc.steps() {
                if p == path && sc.abs(st.span) == at {
                    continue;
                }
                if normalize_step(&st.text) == key {
                    out.push((p.as_str(), sc, st));
                }
            }
        }
    }
    out
}

/// Uses of a scenario: mentions of its id in any text (not its own `id:`), and example rows
/// that target it by name (the span of the name within the row).
pub(crate) fn scenario_uses(ws: &Workspace, path: &str, sc: &Scenario) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let own_id = ws.get(path).and_then(|f| scenario_id_span(&f.text, sc));
    if sc.explicit_id || sc.id.contains('/') {
        for (p, s) in mentions(ws, &sc.id) {
            if p == path && Some(s) == own_id {
                continue;
            }
            out.push((p.to_string(), s));
        }
    }
    if !sc.name.trim().is_empty() {
        for (p, f) in &ws.files {
            for row in &f.doc.examples {
                let targets = row.target.as_deref() == Some(sc.name.as_str())
                    || row.name.as_deref() == Some(sc.name.as_str());
                if targets && valid(&f.text, row.span) {
                    let body = row.span.slice(&f.text);
                    let span = body.find(sc.name.as_str()).map_or(row.span, |i| {
                        Span::new(row.span.start + i, row.span.start + i + sc.name.len())
                    });
                    if !(p == path && sc.span.start <= span.start && span.end <= sc.span.end) {
                        out.push((p.clone(), span));
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// What exercises a requirement.
pub(crate) struct RequirementUses<'a> {
    /// Scenarios under it (`parent`), tagged with it, or mentioning it.
    pub scenarios: Vec<(&'a str, &'a Scenario)>,
    /// Example rows mentioning it.
    pub examples: usize,
    /// Mentions of the id outside its definitions.
    pub mentions: usize,
}

pub(crate) fn requirement_uses<'a>(ws: &'a Workspace, id: &str) -> RequirementUses<'a> {
    let mut scenarios = Vec::new();
    let mut examples = 0;
    for (p, f) in &ws.files {
        for sc in &f.doc.scenarios {
            let hit = sc.parent.as_deref() == Some(id)
                || sc.tags.iter().any(|t| t == id)
                || (valid(&f.text, sc.span) && !find_word(sc.span.slice(&f.text), id).is_empty());
            if hit {
                scenarios.push((p.as_str(), sc));
            }
        }
        for row in &f.doc.examples {
            if valid(&f.text, row.span) && !find_word(row.span.slice(&f.text), id).is_empty() {
                examples += 1;
            }
        }
    }
    let defs = requirement_defs(ws, id);
    let mentions = mentions(ws, id)
        .into_iter()
        .filter(|(p, s)| !defs.iter().any(|(dp, _, r)| dp == p && r.id_span == *s))
        .count();
    RequirementUses {
        scenarios,
        examples,
        mentions,
    }
}
