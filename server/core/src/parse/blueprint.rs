//! Task blueprints: Markdown with front matter (`id`, `title`, `requirement_id`, `status`,
//! `branch`, `relevant_tests`), checklist acceptance criteria (`- [ ]` / `- [x]`), and a fenced
//! `guardian` block holding a JSON verification plan: an array of steps, or an object whose
//! `steps` / `verification_plan` key holds that array; each step an object with `description`,
//! `stage`, `command` and `expects`.
//!
//! The body is read by the Markdown reader as well (sections, requirements, scenarios), so a
//! blueprint that also carries scenarios keeps them.

use serde_json::Value as Json;

use crate::diag::Diagnostic;
use crate::model::{Blueprint, Document, Field, GuardianStep};
use crate::parse::markdown;
use crate::span::Span;
use crate::yaml::{Node, Value};

/// Keys of a guardian plan object that hold the steps.
const PLAN_KEYS: &[&str] = &["steps", "verification_plan", "plan", "verification"];

pub fn parse(path: &str, text: &str) -> Document {
    let parsed = markdown::parse_full(path, text);
    let mut doc = parsed.doc;
    let mut bp = Blueprint {
        criteria: parsed.criteria,
        ..Default::default()
    };
    if let Some(root) = parsed.split.yaml.as_ref().and_then(|y| y.root.as_ref()) {
        for e in root.entries() {
            let slot = match e.key.as_str() {
                "id" => &mut bp.id,
                "title" => &mut bp.title,
                "requirement_id" => &mut bp.requirement_id,
                "status" => &mut bp.status,
                "branch" => &mut bp.branch,
                "relevant_tests" => {
                    read_tests(&mut doc, &mut bp, &e.value);
                    continue;
                }
                _ => continue,
            };
            match scalar_text(&e.value) {
                Some(s) => *slot = Some(s),
                None if e.value.is_null() => {}
                None => doc.diagnostics.push(Diagnostic::new(
                    "wrong-type",
                    e.value.span,
                    format!("`{}` must be a single value", e.key),
                )),
            }
        }
        if root.get("name").is_none() {
            if let Some(id) = root.get("id").filter(|n| n.as_str().is_some()) {
                doc.name = bp.id.clone().unwrap_or_default();
                doc.name_span = id.span;
            }
        }
    }
    for f in &parsed.outline.fences {
        if !f.fenced || !is_guardian_info(&f.info) {
            continue;
        }
        if bp.guardian_span.is_none() {
            bp.guardian_span = Some(f.span);
        }
        let (content, map) = f.content(text);
        read_guardian(&mut doc, &mut bp, &content, &|s| map.span(s));
    }
    doc.blueprint = Some(bp);
    doc
}

/// ```` ```guardian ````, ```` ```json:guardian ```` or ```` ```json guardian ````.
fn is_guardian_info(info: &str) -> bool {
    info.split(|c: char| c.is_whitespace() || c == ':' || c == ',')
        .any(|w| w.eq_ignore_ascii_case("guardian"))
}

fn scalar_text(n: &Node) -> Option<String> {
    n.as_str().map(|s| s.trim().to_string())
}

fn read_tests(doc: &mut Document, bp: &mut Blueprint, v: &Node) {
    match &v.value {
        Value::Scalar { .. } | Value::Seq(_) => {
            for item in v.items() {
                if item.as_str().is_none() {
                    doc.diagnostics.push(Diagnostic::new(
                        "wrong-type",
                        item.span,
                        "`relevant_tests` items must be test paths or names",
                    ));
                }
            }
            for (s, span) in v.string_or_list() {
                bp.relevant_tests.push(Field {
                    key: "relevant_tests".to_string(),
                    key_span: span,
                    value: s,
                    value_span: span,
                });
            }
        }
        Value::Null => {}
        Value::Map(_) => doc.diagnostics.push(Diagnostic::new(
            "wrong-type",
            v.span,
            "`relevant_tests` must be a list of test paths",
        )),
    }
}

fn read_guardian(
    doc: &mut Document,
    bp: &mut Blueprint,
    content: &str,
    map: &dyn Fn(Span) -> Span,
) {
    let value: Json = match serde_json::from_str(content) {
        Ok(v) => v,
        Err(e) => {
            let at = json_error_span(content, &e);
            doc.diagnostics.push(Diagnostic::new(
                "guardian-invalid",
                map(at),
                format!("guardian plan is not valid JSON: {e}"),
            ));
            return;
        }
    };
    let root_at = content.len() - content.trim_start().len();
    let (steps, steps_at) = match &value {
        Json::Array(items) => (items, root_at),
        Json::Object(obj) => {
            let found = PLAN_KEYS
                .iter()
                .find_map(|k| obj.get(*k).and_then(Json::as_array).map(|a| (*k, a)));
            let Some((key, items)) = found else {
                doc.diagnostics.push(Diagnostic::new(
                    "guardian-invalid",
                    map(Span::new(root_at, root_at + 1)),
                    "guardian plan must be an array of steps or an object with a `steps` (or \
                     `verification_plan`) array",
                ));
                return;
            };
            let at = json_children(content, root_at)
                .into_iter()
                .find(|(k, _)| k.as_deref() == Some(key))
                .map_or(root_at, |(_, s)| s.start);
            (items, at)
        }
        _ => {
            doc.diagnostics.push(Diagnostic::new(
                "guardian-invalid",
                map(trim(content, Span::new(0, content.len()))),
                "guardian plan must be an array of steps or an object with a `steps` array",
            ));
            return;
        }
    };
    let spans = json_children(content, steps_at);
    for (k, item) in steps.iter().enumerate() {
        let span = map(spans.get(k).map_or(Span::empty(steps_at), |s| s.1));
        let Some(obj) = item.as_object() else {
            doc.diagnostics.push(Diagnostic::new(
                "guardian-invalid",
                span,
                "a guardian step must be an object with `description`, `stage`, `command` and \
                 `expects`",
            ));
            continue;
        };
        let get = |key: &str| -> String {
            match obj.get(key) {
                Some(Json::String(s)) => s.clone(),
                Some(Json::Null) | None => String::new(),
                Some(other) => other.to_string(),
            }
        };
        bp.guardian.push(GuardianStep {
            description: get("description"),
            stage: get("stage"),
            command: get("command"),
            expects: get("expects"),
            span,
        });
    }
}

fn trim(text: &str, span: Span) -> Span {
    let s = span.slice(text);
    let lead = s.len() - s.trim_start().len();
    Span::new(span.start + lead, span.start + lead + s.trim().len())
}

/// The position serde_json reports (1-based line and column), as a one-character span (empty
/// at the end for errors at end of input).
fn json_error_span(content: &str, e: &serde_json::Error) -> Span {
    if e.classify() == serde_json::error::Category::Eof || e.line() == 0 {
        let end = content.trim_end().len();
        return Span::empty(end);
    }
    let mut line_start = 0;
    for _ in 1..e.line() {
        match content[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => break,
        }
    }
    let mut at = (line_start + e.column().saturating_sub(1)).min(content.len());
    while !content.is_char_boundary(at) {
        at -= 1;
    }
    let end = content[at..]
        .chars()
        .next()
        .filter(|c| *c != '\n')
        .map_or(at, |c| at + c.len_utf8());
    Span::new(at, end)
}

/// Skip a JSON string starting at `i` (a `"`); returns the index after the closing quote.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Skip one JSON value starting at `i`; returns its end. Iterative.
fn skip_value(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => skip_string(b, i),
        Some(b'[') | Some(b'{') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j);
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            b.len()
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
            {
                j += 1;
            }
            j
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    i
}

/// The direct children of the JSON array or object at `at` (valid JSON): (key, value span).
fn json_children(s: &str, at: usize) -> Vec<(Option<String>, Span)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let object = match b.get(at) {
        Some(b'[') => false,
        Some(b'{') => true,
        _ => return out,
    };
    let mut i = at + 1;
    loop {
        i = skip_ws(b, i);
        match b.get(i) {
            None | Some(b']') | Some(b'}') => break,
            Some(b',') => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let mut key = None;
        if object {
            let end = skip_string(b, i);
            key = serde_json::from_str::<String>(&s[i..end]).ok();
            i = skip_ws(b, end);
            if b.get(i) == Some(&b':') {
                i = skip_ws(b, i + 1);
            }
        }
        let end = skip_value(b, i);
        out.push((key, Span::new(i, end)));
        if end <= i {
            break;
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_positions() {
        let s = "[\n  {\"a\": 1,}\n]";
        let e = serde_json::from_str::<Json>(s).unwrap_err();
        let sp = json_error_span(s, &e);
        assert_eq!(sp.slice(s), "}");
        let s = "[1, 2";
        let e = serde_json::from_str::<Json>(s).unwrap_err();
        assert_eq!(json_error_span(s, &e), Span::empty(5));
        let s = "";
        let e = serde_json::from_str::<Json>(s).unwrap_err();
        assert_eq!(json_error_span(s, &e), Span::empty(0));
    }

    #[test]
    fn guardian_infos() {
        assert!(is_guardian_info("guardian"));
        assert!(is_guardian_info("json:guardian"));
        assert!(is_guardian_info("json guardian"));
        assert!(!is_guardian_info("json"));
        assert!(!is_guardian_info("guardians"));
    }

    #[test]
    fn children() {
        let s = r#"{"x": "a]", "steps": [ {"d": "}"}, 2 ]}"#;
        let c = json_children(s, 0);
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].0.as_deref(), Some("steps"));
        let items = json_children(s, c[1].1.start);
        assert_eq!(items[0].1.slice(s), r#"{"d": "}"}"#);
        assert_eq!(items[1].1.slice(s), "2");
    }
}
