//! Constraint phrases into structure: "p95 latency < 100ms for all read operations" ->
//! metric latency, percentile 95, <, 100, ms, scope "for all read operations".
use crate::model::Measure;
use crate::span::Span;

/// Parse a constraint's text; `base` is the offset of `text` in the document (for spans).
pub fn parse_measure(text: &str, base: usize) -> Option<Measure> {
    let _ = (text, base, Span::default());
    None
}
