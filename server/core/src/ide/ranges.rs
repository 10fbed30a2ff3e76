//! Folding ranges and selection ranges.

use serde::Serialize;

use crate::model::{DocKind, Document};
use crate::span::{LineIndex, Span};
use crate::workspace::Workspace;
use crate::yaml::{self, Node, Value};

use super::symbols::section_extents;
use super::text::{clamp, id_token_at, line_at, valid};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoldingKind {
    Region,
    Comment,
}

/// A foldable range: `span` starts on the first line and ends on the last line of the region
/// (at the end of its content, never on a following empty line). Always spans 2+ lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FoldingRange {
    pub span: Span,
    pub kind: FoldingKind,
}

fn trim_end(text: &str, span: Span) -> Span {
    if !valid(text, span) {
        return span;
    }
    Span::new(span.start, span.start + span.slice(text).trim_end().len())
}

/// Folding ranges of the document at `path`: sections, scenarios, requirements, code blocks,
/// front matter; for YAML: every multi-line mapping entry and list item, and runs of comments.
/// Sorted by start; one range per start line (the longest).
pub fn folding_ranges(ws: &Workspace, path: &str) -> Vec<FoldingRange> {
    folding_ranges_with(ws, path, None)
}

/// [`folding_ranges`], given the YAML tree of the document's text when the caller holds it
/// (None: the text is read here).
pub fn folding_ranges_with(
    ws: &Workspace,
    path: &str,
    yaml: Option<&yaml::YamlDoc>,
) -> Vec<FoldingRange> {
    let Some(file) = ws.get(path) else {
        return Vec::new();
    };
    let text: &str = &file.text;
    let doc = &file.doc;
    let mut spans: Vec<(Span, FoldingKind)> = Vec::new();
    let region = FoldingKind::Region;
    for (_, ext) in section_extents(text, doc) {
        spans.push((ext, region));
    }
    for sc in &doc.scenarios {
        spans.push((sc.span, region));
    }
    for r in &doc.requirements {
        spans.push((r.span, region));
    }
    for f in &doc.functions {
        spans.push((f.span, region));
    }
    for c in &doc.constraints {
        spans.push((c.span, region));
    }
    for b in &doc.blocks {
        spans.push((b.span, region));
    }
    if let Some(fm) = &doc.front_matter {
        spans.push((fm.span, region));
    }
    if matches!(
        doc.kind,
        Some(DocKind::YamlSpec) | Some(DocKind::Arrangement)
    ) {
        let parsed;
        let y = match yaml {
            Some(y) => y,
            None => {
                parsed = yaml::parse(text);
                &parsed
            }
        };
        if let Some(root) = &y.root {
            yaml_folds(root, &mut spans, 0);
        }
        comment_runs(text, &y.comments, &mut spans);
    }
    let idx = LineIndex::new(text);
    let mut out: Vec<FoldingRange> = spans
        .into_iter()
        .filter(|(s, _)| valid(text, *s))
        .map(|(s, kind)| FoldingRange {
            span: trim_end(text, s),
            kind,
        })
        .filter(|f| idx.line_col(f.span.start).line < idx.line_col(f.span.end).line)
        .collect();
    // One range per start line (the longest): editors fold by start line.
    out.sort_by_key(|f| (f.span.start, std::cmp::Reverse(f.span.end)));
    let mut seen = std::collections::HashSet::new();
    out.retain(|f| seen.insert(idx.line_col(f.span.start).line));
    out
}

fn yaml_folds(node: &Node, out: &mut Vec<(Span, FoldingKind)>, depth: usize) {
    if depth > 64 {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                if !matches!(e.value.value, Value::Null | Value::Scalar { .. })
                    || matches!(
                        &e.value.value,
                        Value::Scalar {
                            style: yaml::ScalarStyle::Literal | yaml::ScalarStyle::Folded,
                            ..
                        }
                    )
                {
                    out.push((e.span, FoldingKind::Region));
                }
                yaml_folds(&e.value, out, depth + 1);
            }
        }
        Value::Seq(items) => {
            for it in items {
                out.push((it.span, FoldingKind::Region));
                yaml_folds(it, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// Runs of two or more full-line comments.
fn comment_runs(text: &str, comments: &[Span], out: &mut Vec<(Span, FoldingKind)>) {
    let full_line: Vec<Span> = comments
        .iter()
        .copied()
        .filter(|c| {
            valid(text, *c)
                && line_at(text, c.start)
                    .slice(text)
                    .trim_start()
                    .starts_with('#')
        })
        .collect();
    let mut i = 0;
    while i < full_line.len() {
        let mut j = i;
        while j + 1 < full_line.len() {
            let gap = &text[full_line[j].end.min(full_line[j + 1].start)..full_line[j + 1].start];
            if gap.trim().is_empty() && gap.matches('\n').count() == 1 {
                j += 1;
            } else {
                break;
            }
        }
        if j > i {
            out.push((
                Span::new(full_line[i].start, full_line[j].end),
                FoldingKind::Comment,
            ));
        }
        i = j + 1;
    }
}

/// Nested spans around `offset`, innermost first, each strictly containing the previous:
/// word -> (YAML node -> entry -> item ...) -> step text -> step -> scenario -> requirement ->
/// section(s) -> document. Empty when the path is unknown.
pub fn selection_ranges(ws: &Workspace, path: &str, offset: usize) -> Vec<Span> {
    selection_ranges_with(ws, path, offset, None)
}

/// [`selection_ranges`], given the YAML tree of the document's text when the caller holds it
/// (None: the text is read here).
pub fn selection_ranges_with(
    ws: &Workspace,
    path: &str,
    offset: usize,
    yaml: Option<&yaml::YamlDoc>,
) -> Vec<Span> {
    let Some(file) = ws.get(path) else {
        return Vec::new();
    };
    let text: &str = &file.text;
    let doc: &Document = &file.doc;
    let o = clamp(text, offset);
    let mut cands: Vec<Span> = Vec::new();
    if let Some(w) = word_at(text, o) {
        cands.push(w);
    }
    if let Some(t) = id_token_at(text, o) {
        cands.push(t);
    }
    let line = line_at(text, o);
    let trimmed = trim_line(text, line);
    cands.push(trimmed);
    for sc in &doc.scenarios {
        cands.push(sc.name_span);
        cands.push(sc.span);
        for st in sc.steps() {
            cands.push(sc.abs(st.text_span));
            cands.push(sc.abs(st.span));
        }
    }
    for r in &doc.requirements {
        cands.push(r.id_span);
        cands.push(r.span);
    }
    for c in &doc.constraints {
        cands.push(c.text_span);
        cands.push(c.span);
        if let Some(m) = &c.measure {
            cands.push(m.value_span);
        }
    }
    for f in &doc.functions {
        cands.push(f.name_span);
        cands.push(f.span);
    }
    for d in &doc.dependencies {
        cands.push(d.span);
    }
    for b in &doc.blocks {
        cands.push(b.content_span);
        cands.push(b.span);
    }
    if let Some(fm) = &doc.front_matter {
        cands.push(fm.span);
        for fld in &fm.fields {
            cands.push(fld.value_span);
            cands.push(fld.key_span.cover(fld.value_span));
        }
    }
    for (i, ext) in section_extents(text, doc) {
        cands.push(doc.sections[i].heading_span);
        cands.push(ext);
    }
    if matches!(
        doc.kind,
        Some(DocKind::YamlSpec) | Some(DocKind::Arrangement)
    ) {
        let parsed;
        let y = match yaml {
            Some(y) => y,
            None => {
                parsed = yaml::parse(text);
                &parsed
            }
        };
        if let Some(root) = &y.root {
            yaml_chain(root, o, &mut cands, 0);
        }
    }
    cands.push(Span::new(0, text.len()));
    cands.retain(|s| valid(text, *s) && s.touches(o));
    cands.sort_by_key(|s| (s.len(), std::cmp::Reverse(s.start)));
    let mut out: Vec<Span> = Vec::new();
    for s in cands {
        match out.last() {
            Some(l) if s == *l => {}
            Some(l) if !(s.start <= l.start && l.end <= s.end) => {}
            _ => out.push(s),
        }
    }
    out
}

fn trim_line(text: &str, line: Span) -> Span {
    let s = line.slice(text);
    let lead = s.len() - s.trim_start().len();
    Span::new(line.start + lead, line.start + s.trim_end().len().max(lead))
}

/// The run of letters/digits (and `_`) at `o`.
fn word_at(text: &str, o: usize) -> Option<Span> {
    let is_w = |c: char| c.is_alphanumeric() || c == '_';
    let mut start = o;
    for (i, c) in text[..o].char_indices().rev() {
        if is_w(c) {
            start = i;
        } else {
            break;
        }
    }
    let mut end = o;
    for (i, c) in text[o..].char_indices() {
        if is_w(c) {
            end = o + i + c.len_utf8();
        } else {
            break;
        }
    }
    (end > start).then(|| Span::new(start, end))
}

fn yaml_chain(node: &Node, o: usize, out: &mut Vec<Span>, depth: usize) {
    if depth > 64 || !node.span.touches(o) {
        return;
    }
    out.push(node.span);
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                if e.span.touches(o) {
                    out.push(e.span);
                    out.push(e.key_span);
                    yaml_chain(&e.value, o, out, depth + 1);
                }
            }
        }
        Value::Seq(items) => {
            for it in items {
                yaml_chain(it, o, out, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ws, TODO};
    use super::*;

    #[test]
    fn folds_and_selections_on_markdown() {
        let ws = ws();
        let f = folding_ranges(&ws, "todo.spec.md");
        let starts: Vec<&str> = f
            .iter()
            .map(|r| line_at(TODO, r.span.start).slice(TODO))
            .collect();
        assert!(starts.contains(&"# Overview"), "{starts:?}");
        assert!(starts.contains(&"### Scenario: Add a task"), "{starts:?}");
        let o = TODO.find("add \"milk\"").unwrap() + 1;
        let sel: Vec<&str> = selection_ranges(&ws, "todo.spec.md", o)
            .iter()
            .map(|s| s.slice(TODO))
            .collect();
        assert_eq!(sel[0], "add");
        assert_eq!(sel[1], "I add \"milk\"");
        assert_eq!(sel[2], "When I add \"milk\"");
        assert!(sel[3].starts_with("### Scenario: Add a task"));
        assert_eq!(*sel.last().unwrap(), TODO);
        for o in 0..TODO.len() + 2 {
            let chain = selection_ranges(&ws, "todo.spec.md", o);
            for w in chain.windows(2) {
                assert!(w[1].start <= w[0].start && w[0].end <= w[1].end && w[0] != w[1]);
            }
        }
    }

    /// Given the YAML tree of the text, folding, selection and the outline are what they are
    /// when they read the text themselves.
    #[test]
    fn a_given_yaml_tree_gives_the_same_answers() {
        let text = "feature: Todo\n# a comment\n# and another\nconstraints:\n  performance:\n    - id: p1\n      text: p95 latency < 100ms\nscenarios:\n  - id: add\n    name: Add\n    given: [an empty list]\n    when: I add milk\n    then: |\n      the list\n      has milk\n";
        let mut ws = Workspace::new();
        ws.upsert_bytes("todo.spec.yaml", text.as_bytes());
        let tree = yaml::parse(text);
        let path = "todo.spec.yaml";
        assert!(!folding_ranges(&ws, path).is_empty());
        assert_eq!(
            folding_ranges_with(&ws, path, Some(&tree)),
            folding_ranges(&ws, path)
        );
        for o in 0..text.len() + 2 {
            assert_eq!(
                selection_ranges_with(&ws, path, o, Some(&tree)),
                selection_ranges(&ws, path, o)
            );
        }
        assert_eq!(
            crate::ide::document_symbols_with(&ws, path, Some(&tree)),
            crate::ide::document_symbols(&ws, path)
        );
    }
}
