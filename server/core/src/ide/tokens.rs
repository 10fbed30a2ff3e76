//! Semantic tokens: step keywords, scenario names, requirement ids, constraint numbers and units.

use std::collections::HashSet;

use serde::Serialize;

use crate::model::{DocKind, Document, ScenarioOrigin};
use crate::span::Span;
use crate::workspace::Workspace;

use super::text::{looks_like_requirement_id, valid};

/// Token types. The legend ([`TOKEN_TYPES`]) lists them in the order of their discriminants,
/// using standard LSP token type names so that every theme colours them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenType {
    /// Given/When/Then/And/But, or the `given:`/`when:`/`then:` keys of a YAML scenario.
    StepKeyword = 0,
    ScenarioName = 1,
    RequirementId = 2,
    /// The number of a constraint's bound (`100` in `p95 latency < 100ms`).
    ConstraintNumber = 3,
    /// The unit of a constraint's bound (`ms`).
    ConstraintUnit = 4,
}

/// The legend's token types, indexed by `TokenType as u32`.
pub const TOKEN_TYPES: &[&str] = &["keyword", "function", "enumMember", "number", "type"];

/// Token modifiers, as bits: bit `i` is `TOKEN_MODIFIERS[i]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum TokenModifier {
    /// Where a scenario or requirement is defined (not a mention).
    Declaration = 0,
}

/// The legend's token modifiers, indexed by bit position.
pub const TOKEN_MODIFIERS: &[&str] = &["declaration"];

/// One token: a span on a single line, its type and its modifier bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SemanticToken {
    pub span: Span,
    pub token_type: TokenType,
    /// Bit set of [`TokenModifier`]s.
    pub modifiers: u32,
}

const DECL: u32 = 1 << TokenModifier::Declaration as u32;

/// All tokens of the document at `path`: sorted by position, non-overlapping, each on one line.
pub fn semantic_tokens(ws: &Workspace, path: &str) -> Vec<SemanticToken> {
    let Some(file) = ws.get(path) else {
        return Vec::new();
    };
    let text: &str = &file.text;
    let doc = &file.doc;
    let mut out = Vec::new();
    let mut push = |span: Span, token_type: TokenType, modifiers: u32| {
        if !valid(text, span) || span.is_empty() {
            return;
        }
        // Split multi-line spans into one token per line (trimmed).
        let mut start = span.start;
        for part in span.slice(text).split_inclusive('\n') {
            let trimmed = part.trim_end_matches(['\n', '\r']);
            let lead = trimmed.len() - trimmed.trim_start().len();
            let s = Span::new(start + lead, start + trimmed.trim_end().len());
            if !s.is_empty() {
                out.push(SemanticToken {
                    span: s,
                    token_type,
                    modifiers,
                });
            }
            start += part.len();
        }
    };

    let yaml = doc.kind == Some(DocKind::YamlSpec);
    for sc in &doc.scenarios {
        push(sc.name_span, TokenType::ScenarioName, DECL);
        for st in sc.steps() {
            if let Some(k) = keyword_in(text, sc.abs(st.span), sc.abs(st.text_span)) {
                push(k, TokenType::StepKeyword, 0);
            }
        }
        let yaml_origin = !matches!(
            sc.origin,
            ScenarioOrigin::MarkdownHeading | ScenarioOrigin::MarkdownOneLine
        );
        if yaml || yaml_origin {
            for k in yaml_step_keys(text, sc.span) {
                push(k, TokenType::StepKeyword, 0);
            }
        }
    }
    for r in &doc.requirements {
        push(r.id_span, TokenType::RequirementId, DECL);
    }
    requirement_mentions(ws, text, doc, &mut push);
    for c in &doc.constraints {
        if let Some(m) = &c.measure {
            if valid(text, m.value_span) {
                let (num, unit) = split_number(text, m.value_span);
                push(num, TokenType::ConstraintNumber, 0);
                if let Some(u) = unit {
                    push(u, TokenType::ConstraintUnit, 0);
                }
            }
        }
    }
    out.sort_by_key(|t| (t.span.start, std::cmp::Reverse(t.modifiers), t.span.end));
    let mut result: Vec<SemanticToken> = Vec::with_capacity(out.len());
    for t in out {
        if result.last().is_some_and(|l| t.span.start < l.span.end) {
            continue;
        }
        result.push(t);
    }
    result
}

const KEYWORDS: &[&str] = &["given", "when", "then", "and", "but"];

/// The step keyword written between the step's start and its text.
pub(crate) fn keyword_in(text: &str, step: Span, body: Span) -> Option<Span> {
    if body.start <= step.start || !valid(text, Span::new(step.start, body.start)) {
        return None;
    }
    let prefix = &text[step.start..body.start];
    let mut found = None;
    let mut i = 0;
    let bytes = prefix.as_bytes();
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let w = prefix[start..i].to_ascii_lowercase();
            if KEYWORDS.contains(&w.as_str()) {
                found = Some(Span::new(step.start + start, step.start + i));
            }
        } else {
            i += 1;
        }
    }
    found
}

/// `given`/`when`/`then`/`verify` keys inside a YAML scenario item.
pub(crate) fn yaml_step_keys(text: &str, span: Span) -> Vec<Span> {
    let mut out = Vec::new();
    if !valid(text, span) {
        return out;
    }
    let mut pos = span.start;
    for line in span.slice(text).split_inclusive('\n') {
        let lead = line.len() - line.trim_start_matches([' ', '-']).len();
        let rest = &line[lead..];
        for k in ["given", "when", "then", "verify"] {
            if rest.starts_with(k) && rest[k.len()..].starts_with(':') {
                out.push(Span::new(pos + lead, pos + lead + k.len()));
            }
        }
        pos += line.len();
    }
    out
}

/// Split a constraint value span (`100ms`, `10,000 users`, `99.9%`) into number and unit.
pub(crate) fn split_number(text: &str, span: Span) -> (Span, Option<Span>) {
    let s = span.slice(text);
    let lead = s.len() - s.trim_start_matches(|c: char| !c.is_ascii_digit()).len();
    let num_len = s[lead..]
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(s.len() - lead);
    let mut num_end = lead + num_len;
    while num_end > lead && s[..num_end].ends_with(['.', ',']) {
        num_end -= 1;
    }
    let num = Span::new(span.start + lead, span.start + num_end);
    let rest = &s[num_end..];
    let unit_lead = rest.len() - rest.trim_start().len();
    let unit = rest.trim();
    if unit.is_empty() {
        (num, None)
    } else {
        let us = span.start + num_end + unit_lead;
        (num, Some(Span::new(us, us + unit.len())))
    }
}

/// Mentions of defined requirement ids in this text (outside the definitions themselves).
fn requirement_mentions(
    ws: &Workspace,
    text: &str,
    doc: &Document,
    push: &mut impl FnMut(Span, TokenType, u32),
) {
    let ids: HashSet<&str> = ws
        .docs()
        .flat_map(|d| d.requirements.iter().map(|r| r.id.as_str()))
        .filter(|id| looks_like_requirement_id(id))
        .collect();
    if ids.is_empty() {
        return;
    }
    let defs: HashSet<Span> = doc.requirements.iter().map(|r| r.id_span).collect();
    let bytes = text.as_bytes();
    let is_c = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphanumeric() || (i > 0 && is_c(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_c(bytes[i]) {
            i += 1;
        }
        let mut end = i;
        while end > start && matches!(bytes[end - 1], b'.' | b'-' | b'_') {
            end -= 1;
        }
        let span = Span::new(start, end);
        if ids.contains(&text[start..end]) && !defs.contains(&span) {
            push(span, TokenType::RequirementId, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_units() {
        let t = "p95 < 100ms and 10,000 users and 99.9%";
        let (n, u) = split_number(t, Span::new(6, 11));
        assert_eq!((n.slice(t), u.unwrap().slice(t)), ("100", "ms"));
        let (n, u) = split_number(t, Span::new(16, 28));
        assert_eq!((n.slice(t), u.unwrap().slice(t)), ("10,000", "users"));
        let (n, u) = split_number(t, Span::new(33, 38));
        assert_eq!((n.slice(t), u.unwrap().slice(t)), ("99.9", "%"));
        assert_eq!(TOKEN_TYPES.len(), TokenType::ConstraintUnit as usize + 1);
    }

    #[test]
    fn keywords() {
        let t = "- **WHEN** a thing";
        let k = keyword_in(t, Span::new(0, t.len()), Span::new(11, t.len())).unwrap();
        assert_eq!(k.slice(t), "WHEN");
        let y = "  - name: x\n    given: a\n    then:\n      - b\n";
        let ks: Vec<&str> = yaml_step_keys(y, Span::new(0, y.len()))
            .iter()
            .map(|s| s.slice(y))
            .collect();
        assert_eq!(ks, vec!["given", "then"]);
    }
}
