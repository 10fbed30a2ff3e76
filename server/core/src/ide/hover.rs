//! Hover: what the element under the cursor is and where it is used, as Markdown.

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{Constraint, Requirement, Scenario, Step, StepKind};
use crate::span::Span;
use crate::workspace::Workspace;

use super::nav::{requirement_uses, scenario_uses, step_uses};
use super::target::{requirement_defs, target_at, Target};
use super::text::line_col;

/// Hover content: the span it describes and Markdown text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hover {
    pub span: Span,
    pub markdown: String,
}

fn kind_word(k: StepKind) -> &'static str {
    match k {
        StepKind::Given => "Given",
        StepKind::When => "When",
        StepKind::Then => "Then",
    }
}

/// Escape text for inline Markdown (no HTML, no emphasis surprises).
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn code(s: &str) -> String {
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Hover for the element at `offset` in `path`.
pub fn hover(ws: &Workspace, path: &str, offset: usize) -> Option<Hover> {
    let t = target_at(ws, path, offset)?;
    let (span, markdown) = match t {
        Target::Dependency { dep, span } => {
            let domain = ws.get(path).and_then(|f| {
                f.doc
                    .domains
                    .iter()
                    .find(|d| d.name == dep.name && !d.span.touches(dep.span.start))
            });
            let md = match domain {
                Some(d) => {
                    let deps: Vec<String> = d.dependencies.iter().map(|x| code(&x.name)).collect();
                    let mut s = format!("**Domain** {} of this spec", code(&d.name));
                    if !deps.is_empty() {
                        let _ = write!(s, "\n\nDepends on {}", deps.join(", "));
                    }
                    s
                }
                None => hover_dependency(ws, &dep.name, dep.from.as_deref()),
            };
            (span, md)
        }
        Target::RequirementId { id, span } => (span, hover_requirement(ws, id, None)),
        Target::Requirement { req } => (req.id_span, hover_requirement(ws, &req.id, Some(req))),
        Target::Step { scenario, step } => (
            scenario.abs(step.span),
            hover_step(ws, path, scenario, step),
        ),
        Target::Scenario {
            path: sc_path,
            scenario,
            span,
            ..
        } => (span, hover_scenario(ws, sc_path, scenario)),
        Target::Constraint { constraint } => (constraint.span, hover_constraint(constraint)),
    };
    Some(Hover { span, markdown })
}

fn hover_dependency(ws: &Workspace, name: &str, from: Option<&str>) -> String {
    let mut s = String::new();
    match super::nav::resolve_dependency(ws, name, from) {
        Some((path, f)) => {
            let d = &f.doc;
            let _ = write!(s, "**Spec** {}", code(&d.name));
            if let Some(t) = &d.spec_type {
                let _ = write!(s, " · type {}", code(t));
            }
            if let Some(st) = &d.status {
                let _ = write!(s, " · status {}", code(st));
            }
            let _ = write!(s, "\n\n{}", code(path));
            if let Some(desc) = d.description.as_deref().filter(|x| !x.trim().is_empty()) {
                let _ = write!(s, "\n\n{}", md(desc.trim()));
            }
            let counts = [
                (d.scenarios.len(), "scenario"),
                (d.requirements.len(), "requirement"),
                (d.functions.len(), "function"),
                (d.constraints.len(), "constraint"),
            ];
            let parts: Vec<String> = counts
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, w)| format!("{n} {w}{}", if *n == 1 { "" } else { "s" }))
                .collect();
            if !parts.is_empty() {
                let _ = write!(s, "\n\n{}", parts.join(", "));
            }
        }
        None => {
            let _ = write!(
                s,
                "**Dependency** {}\n\nNo spec named {} in the workspace.",
                code(name),
                code(name)
            );
        }
    }
    s
}

fn hover_requirement(ws: &Workspace, id: &str, req: Option<&Requirement>) -> String {
    let mut s = format!("**Requirement** {}", code(id));
    let defs = requirement_defs(ws, id);
    match (req, defs.as_slice()) {
        (Some(r), _) => {
            let _ = write!(s, "\n\n{}", md(r.text.trim()));
        }
        (None, [(path, f, r), ..]) => {
            let _ = write!(
                s,
                "\n\n{}\n\nDefined in {} at {}",
                md(r.text.trim()),
                code(path),
                line_col(&f.text, r.id_span.start)
            );
        }
        (None, []) => {
            s.push_str("\n\nNot defined in the workspace.");
        }
    }
    if defs.len() > 1 {
        let _ = write!(s, "\n\nDefined {} times.", defs.len());
    }
    let uses = requirement_uses(ws, id);
    if uses.scenarios.is_empty() {
        s.push_str("\n\nNo scenario exercises it.");
    } else {
        let _ = write!(
            s,
            "\n\nExercised by {} scenario{}:",
            uses.scenarios.len(),
            if uses.scenarios.len() == 1 { "" } else { "s" }
        );
        for (p, sc) in uses.scenarios.iter().take(20) {
            let _ = write!(s, "\n- {} ({})", md(&sc.name), code(p));
        }
        if uses.scenarios.len() > 20 {
            let _ = write!(s, "\n- … and {} more", uses.scenarios.len() - 20);
        }
    }
    if uses.examples > 0 {
        let _ = write!(
            s,
            "\n\n{} example row{} mention it.",
            uses.examples,
            if uses.examples == 1 { "" } else { "s" }
        );
    }
    if uses.mentions > 0 {
        let _ = write!(
            s,
            "\n\nMentioned {} time{} in the workspace.",
            uses.mentions,
            if uses.mentions == 1 { "" } else { "s" }
        );
    }
    s
}

fn steps_block(sc: &Scenario) -> String {
    let mut s = String::new();
    for (kind, steps) in [
        (StepKind::Given, &sc.given),
        (StepKind::When, &sc.when),
        (StepKind::Then, &sc.then),
    ] {
        for (i, st) in steps.iter().enumerate() {
            let kw = if i == 0 { kind_word(kind) } else { "And" };
            let _ = write!(s, "\n- **{kw}** {}", md(st.text.trim()));
        }
    }
    s
}

fn hover_scenario(ws: &Workspace, path: &str, sc: &Scenario) -> String {
    let mut s = format!("**Scenario** {}\n\nid {}", md(&sc.name), code(&sc.id));
    if !sc.explicit_id {
        s.push_str(" (derived)");
    }
    let _ = write!(s, " · {}", code(path));
    if let Some(p) = &sc.parent {
        let _ = write!(s, "\n\nUnder {}", md(p));
    }
    if !sc.tags.is_empty() {
        let tags: Vec<String> = sc.tags.iter().map(|t| code(t)).collect();
        let _ = write!(s, "\n\nTags: {}", tags.join(" "));
    }
    if let Some(st) = &sc.status {
        let _ = write!(s, "\n\nStatus: {}", code(st));
    }
    let steps = steps_block(sc);
    if !steps.is_empty() {
        let _ = write!(s, "\n{steps}");
    }
    let uses = scenario_uses(ws, path, sc);
    if uses.is_empty() {
        s.push_str("\n\nNot referenced elsewhere.");
    } else {
        let _ = write!(
            s,
            "\n\nReferenced {} time{}:",
            uses.len(),
            if uses.len() == 1 { "" } else { "s" }
        );
        for (p, span) in uses.iter().take(20) {
            let text = ws
                .get(p)
                .map(|f| line_col(&f.text, span.start))
                .unwrap_or_default();
            let _ = write!(s, "\n- {}:{}", code(p), text);
        }
    }
    s
}

fn hover_step(ws: &Workspace, path: &str, sc: &Scenario, step: &Step) -> String {
    let mut s = format!(
        "**{}** {}\n\nStep of scenario {}",
        kind_word(step.kind),
        md(step.text.trim()),
        md(&sc.name)
    );
    let others = step_uses(ws, path, sc, step);
    if others.is_empty() {
        s.push_str("\n\nNo other scenario uses this step.");
    } else {
        let _ = write!(
            s,
            "\n\nAlso used by {} other step{}:",
            others.len(),
            if others.len() == 1 { "" } else { "s" }
        );
        for (p, osc, ost) in others.iter().take(20) {
            let _ = write!(
                s,
                "\n- {} **{}** in {} ({})",
                md(&osc.name),
                kind_word(ost.kind),
                code(p),
                ws.get(p)
                    .map(|f| line_col(&f.text, osc.abs(ost.span).start))
                    .unwrap_or_default()
            );
        }
        if others.len() > 20 {
            let _ = write!(s, "\n- … and {} more", others.len() - 20);
        }
    }
    s
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn hover_constraint(c: &Constraint) -> String {
    let mut s = String::from("**Constraint**");
    if let Some(n) = &c.name {
        let _ = write!(s, " {}", md(n));
    }
    if let Some(cat) = &c.category {
        let _ = write!(s, " · {}", code(cat));
    }
    let _ = write!(s, "\n\n{}", md(c.text.trim()));
    match &c.measure {
        Some(m) => {
            s.push_str("\n\n| | |\n|---|---|");
            let _ = write!(s, "\n| metric | {} |", code(&m.metric));
            if let Some(p) = m.percentile {
                let _ = write!(s, "\n| percentile | p{} |", fmt_num(p));
            }
            let mut bound = format!("{} {}", m.comparison.as_str(), fmt_num(m.value));
            if let Some(u) = &m.unit {
                bound.push(' ');
                bound.push_str(u);
            }
            if let Some(per) = &m.per {
                bound.push_str(" per ");
                bound.push_str(per);
            }
            let kind = if m.comparison.is_upper() {
                " (upper bound)"
            } else if m.comparison.is_lower() {
                " (lower bound)"
            } else {
                ""
            };
            let _ = write!(s, "\n| bound | {}{kind} |", code(&bound));
            if let Some(u) = &m.unit {
                let _ = write!(s, "\n| unit | {} |", code(u));
            }
            if let Some(sc) = &m.scope {
                let _ = write!(s, "\n| scope | {} |", md(sc));
            }
        }
        None => {
            s.push_str(
                "\n\n⚠ Not measurable: add a percentile and a bound with a unit (`p95 latency < 100ms`), \
                 a number with a unit (`99.9% availability`) or a load (`10,000 concurrent users`).",
            );
        }
    }
    for (label, v) in [
        ("Measurement", &c.measurement),
        ("Verification", &c.verification),
        ("Exception", &c.exception),
    ] {
        if let Some(v) = v {
            let _ = write!(s, "\n\n{label}: {}", md(v.trim()));
        }
    }
    s
}
