//! `specls-ignore` markers: a diagnostic is silenced when it starts inside the span a marker
//! applies to and the marker names its code (or names no code, which silences every code).
//!
//! A marker applies to the line after it and, when a model element (scenario, requirement,
//! constraint, example row, behaviour bullet, function, dependency, section) starts on that
//! line, to the whole element: `# specls-ignore constraint-conflict` above `- name: X` covers
//! the item's `requirement:` line too.

use crate::diag::Diagnostic;
use crate::model::{Document, Ignore};
use crate::span::Span;

/// The markers of `doc` with `applies_to` widened to the elements that start in it.
pub fn effective(doc: &Document) -> Vec<Ignore> {
    if doc.ignores.is_empty() {
        return Vec::new();
    }
    let mut spans: Vec<Span> = Vec::new();
    spans.extend(doc.scenarios.iter().map(|x| x.span));
    spans.extend(doc.requirements.iter().map(|x| x.span));
    spans.extend(doc.constraints.iter().map(|x| x.span));
    spans.extend(doc.examples.iter().map(|x| x.span));
    spans.extend(doc.behaviors.iter().map(|x| x.span));
    spans.extend(doc.functions.iter().map(|x| x.span));
    spans.extend(doc.dependencies.iter().map(|x| x.span));
    spans.extend(doc.sections.iter().map(|x| x.span));
    spans.extend(doc.domains.iter().map(|x| x.span));
    spans.extend(doc.workflow_steps.iter().map(|x| x.span));
    doc.ignores
        .iter()
        .map(|ig| {
            let mut ig = ig.clone();
            let line = ig.applies_to;
            for s in &spans {
                if line.touches(s.start) && !line.is_empty() && s.start < line.end {
                    ig.applies_to = ig.applies_to.cover(*s);
                }
            }
            ig
        })
        .collect()
}

pub fn is_suppressed(d: &Diagnostic, ignores: &[Ignore]) -> bool {
    ignores.iter().any(|ig| {
        let code_matches = ig.codes.is_empty() || ig.codes.iter().any(|c| c == d.code);
        let inside = ig.applies_to.touches(d.span.start)
            && (d.span.start < ig.applies_to.end || ig.applies_to.is_empty());
        code_matches && (inside || ig.span.touches(d.span.start))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    fn ig(codes: &[&str], applies: Span) -> Ignore {
        Ignore {
            codes: codes.iter().map(|c| c.to_string()).collect(),
            span: Span::new(0, 5),
            applies_to: applies,
        }
    }

    #[test]
    fn markers_silence_matching_codes_in_range() {
        let d = Diagnostic::new("placeholder", Span::new(10, 14), "x");
        assert!(is_suppressed(&d, &[ig(&["placeholder"], Span::new(8, 20))]));
        assert!(is_suppressed(&d, &[ig(&[], Span::new(8, 20))]));
        assert!(!is_suppressed(
            &d,
            &[ig(&["missing-section"], Span::new(8, 20))]
        ));
        assert!(!is_suppressed(
            &d,
            &[ig(&["placeholder"], Span::new(20, 30))]
        ));
        // A diagnostic that starts in the range but runs past it (a whole scenario) is silenced.
        let long = Diagnostic::new("placeholder", Span::new(12, 90), "x");
        assert!(is_suppressed(
            &long,
            &[ig(&["placeholder"], Span::new(8, 20))]
        ));
    }
}
