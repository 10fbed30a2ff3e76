//! `specls-ignore` markers: a diagnostic is silenced when it starts inside the span a marker
//! applies to and the marker names its code (or names no code, which silences every code).

use crate::diag::Diagnostic;
use crate::model::Ignore;

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
