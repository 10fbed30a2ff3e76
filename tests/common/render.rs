//! A compact, reviewable rendering of a parsed document for snapshots: the model as YAML-ready
//! JSON with every span shown as `L:C-L:C "excerpt"` (1-based line and column, columns in
//! bytes), empty lists, nulls and `false` left out (except `valid: false`).

use serde_json::{Map, Value};
use specls_core::model::Document;
use specls_core::span::LineIndex;

/// Render `doc` (parsed from `text`) for a snapshot.
pub fn document(text: &str, doc: &Document) -> Value {
    let idx = LineIndex::new(text);
    let v = serde_json::to_value(doc).expect("document serialises");
    compact(text, &idx, v).unwrap_or(Value::Null)
}

/// `L:C-L:C "excerpt"` for a byte range.
pub fn span(text: &str, idx: &LineIndex, start: usize, end: usize) -> String {
    let a = idx.line_col(start);
    let b = idx.line_col(end);
    let excerpt = text.get(start..end).unwrap_or("<not on a char boundary>");
    let mut short: String = excerpt.chars().take(48).collect();
    if short.len() < excerpt.len() {
        short.push('…');
    }
    let short = short
        .replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r");
    format!(
        "{}:{}-{}:{} \"{}\"",
        a.line + 1,
        a.col + 1,
        b.line + 1,
        b.col + 1,
        short
    )
}

fn as_span(m: &Map<String, Value>) -> Option<(usize, usize)> {
    if m.len() != 2 {
        return None;
    }
    let s = m.get("start")?.as_u64()? as usize;
    let e = m.get("end")?.as_u64()? as usize;
    Some((s, e))
}

fn compact(text: &str, idx: &LineIndex, v: Value) -> Option<Value> {
    match v {
        Value::Null | Value::Bool(false) => None,
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => Some(Value::Array(
            items
                .into_iter()
                .map(|i| compact(text, idx, i).unwrap_or(Value::Null))
                .collect(),
        )),
        Value::Object(m) => {
            if let Some((s, e)) = as_span(&m) {
                return Some(Value::String(span(text, idx, s, e)));
            }
            let mut out = Map::new();
            for (k, v) in m {
                // `valid: false` (an Invalid example) differs from no `valid` at all.
                if k == "valid" && v.is_boolean() {
                    out.insert(k, v);
                    continue;
                }
                if let Some(v) = compact(text, idx, v) {
                    out.insert(k, v);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Value::String(s) if s.is_empty() => None,
        other => Some(other),
    }
}

/// Check the invariants every parse result must hold: all spans within the text and on char
/// boundaries. Returns a description of the first violation.
pub fn check_spans(text: &str, doc: &Document) -> Result<(), String> {
    let v = serde_json::to_value(doc).map_err(|e| e.to_string())?;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(m) => {
                if let Some((s, e)) = as_span(&m) {
                    if s > e || e > text.len() {
                        return Err(format!("span {s}..{e} out of bounds (len {})", text.len()));
                    }
                    if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
                        return Err(format!("span {s}..{e} not on char boundaries"));
                    }
                } else {
                    stack.extend(m.into_iter().map(|(_, v)| v));
                }
            }
            _ => {}
        }
    }
    Ok(())
}
