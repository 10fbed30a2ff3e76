//! A tolerant, span-preserving YAML reader.
//!
//! Spec files are edited live, so this reader never fails: it returns the tree it understood and
//! diagnostics with exact byte ranges, recovering from the mistakes people make in spec files
//! (a sibling key indented under a scalar, `requirement: p95 latency: < 100ms`, tabs, duplicate
//! keys, unclosed quotes) and bounding alias expansion and nesting depth.
//! It reads the block and flow YAML that specs use: mappings, sequences, plain/quoted/block
//! scalars, flow collections, comments, anchors and aliases, multiple documents (first is used).

mod parser;

use serde::Serialize;

use crate::diag::Diagnostic;
use crate::span::Span;

pub use parser::parse;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Value {
    /// An empty value (`key:` with nothing after it) or `~`/`null`.
    Null,
    /// A scalar's decoded text (escapes processed, folded lines joined).
    Scalar {
        text: String,
        style: ScalarStyle,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    /// The node's extent in the source (for scalars: the scalar including quotes).
    pub span: Span,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
    /// Key through the end of the value.
    pub span: Span,
}

/// Result of reading one YAML text.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct YamlDoc {
    /// The first document's root, None for an empty file.
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
    /// Spans of `#` comments (used by formatting and `specls-ignore` markers).
    pub comments: Vec<Span>,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().rev().find(|e| e.key == key),
            _ => None,
        }
    }
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }
    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }
    /// A scalar as one item, or a sequence of scalars as items; other shapes give nothing.
    pub fn string_or_list(&self) -> Vec<(String, Span)> {
        match &self.value {
            Value::Scalar { text, .. } => vec![(text.clone(), self.span)],
            Value::Seq(items) => items
                .iter()
                .filter_map(|n| n.as_str().map(|s| (s.to_string(), n.span)))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl YamlDoc {
    /// Visit every span of the document: nodes, keys, entries, diagnostics (places in this
    /// text) and comments. Iterative, so any nesting depth is fine.
    pub fn spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let mut stack: Vec<&mut Node> = Vec::new();
        stack.extend(self.root.as_mut());
        while let Some(n) = stack.pop() {
            f(&mut n.span);
            match &mut n.value {
                Value::Seq(items) => stack.extend(items.iter_mut()),
                Value::Map(entries) => {
                    for e in entries.iter_mut() {
                        f(&mut e.key_span);
                        f(&mut e.span);
                        stack.push(&mut e.value);
                    }
                }
                _ => {}
            }
        }
        for d in &mut self.diagnostics {
            d.local_spans_mut("", f);
        }
        for c in &mut self.comments {
            f(c);
        }
    }

    /// Shift every span by `by` bytes (for YAML read out of a larger text).
    pub fn shift(&mut self, by: usize) {
        self.spans_mut(&mut |s| *s = s.shift(by));
    }
}

impl YamlDoc {
    /// A compact, reviewable rendering of the tree, diagnostics and comments, with every span
    /// shown as `start..end` (used by snapshot tests).
    pub fn render(&self, text: &str) -> String {
        let mut out = String::new();
        match &self.root {
            Some(root) => render_node(&mut out, root, 0),
            None => out.push_str("(empty)"),
        }
        out.push('\n');
        for d in &self.diagnostics {
            out.push_str(&format!(
                "{}[{}] {}..{} {:?}: {}\n",
                d.severity.as_str(),
                d.code,
                d.span.start,
                d.span.end,
                d.span.slice(text),
                d.message
            ));
            for r in &d.related {
                out.push_str(&format!(
                    "  related {}..{} {:?}: {}\n",
                    r.span.start,
                    r.span.end,
                    r.span.slice(text),
                    r.message
                ));
            }
            for f in &d.fixes {
                out.push_str(&format!("  fix: {}\n", f.title));
                for e in &f.edits {
                    out.push_str(&format!(
                        "    {}..{} {:?} -> {:?}\n",
                        e.span.start,
                        e.span.end,
                        e.span.slice(text),
                        e.new_text
                    ));
                }
            }
        }
        for c in &self.comments {
            out.push_str(&format!(
                "comment {}..{} {:?}\n",
                c.start,
                c.end,
                c.slice(text)
            ));
        }
        out
    }
}

fn render_node(out: &mut String, node: &Node, indent: usize) {
    let pad = "  ".repeat(indent);
    let at = format!("{}..{}", node.span.start, node.span.end);
    match &node.value {
        Value::Null => out.push_str(&format!("null {at}")),
        Value::Scalar { text, style } => {
            let style = match style {
                ScalarStyle::Plain => "plain",
                ScalarStyle::SingleQuoted => "single",
                ScalarStyle::DoubleQuoted => "double",
                ScalarStyle::Literal => "literal",
                ScalarStyle::Folded => "folded",
            };
            out.push_str(&format!("{style} {at} {text:?}"));
        }
        Value::Seq(items) => {
            out.push_str(&format!("seq {at}"));
            for item in items {
                out.push_str(&format!("\n{pad}- "));
                render_node(out, item, indent + 1);
            }
        }
        Value::Map(entries) => {
            out.push_str(&format!("map {at}"));
            for e in entries {
                out.push_str(&format!(
                    "\n{pad}{:?} {}..{} [{}..{}]: ",
                    e.key, e.key_span.start, e.key_span.end, e.span.start, e.span.end
                ));
                render_node(out, &e.value, indent + 1);
            }
        }
    }
}
