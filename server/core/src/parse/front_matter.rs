//! Front matter: a YAML block at byte 0 between `---` lines (only at byte 0; a `---` rule later in
//! a document is a thematic break, not front matter).
//!
//! The block opens with a line that is exactly `---` (trailing spaces allowed, an optional UTF-8
//! byte order mark before it) and closes with the next line that is exactly `---` or `...`.
//! An unclosed block is reported as `front-matter-unclosed`; the body is then read from the line
//! after the opening `---`, so the rest of the file is still analysed. YAML that is not a
//! mapping is reported as `front-matter-invalid`.
use crate::diag::Diagnostic;
use crate::model::{Field, FrontMatter};
use crate::span::Span;
use crate::yaml::{self, Node, Value, YamlDoc};

/// The front matter, its YAML (spans in document offsets) and the offset where the body starts.
pub struct Split {
    pub front_matter: Option<FrontMatter>,
    /// The YAML inside the block, spans already shifted to document offsets.
    pub yaml: Option<YamlDoc>,
    pub body_start: usize,
    /// `front-matter-unclosed` / `front-matter-invalid` (YAML syntax diagnostics are in `yaml`).
    pub diagnostics: Vec<Diagnostic>,
}

/// Lines of `text` from `from`: (start, end without terminator, end with terminator).
fn lines_from(text: &str, from: usize) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut pos = from;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let start = pos;
        let rest = &text[start..];
        let (end, next) = match rest.find('\n') {
            Some(i) => (start + i, start + i + 1),
            None => (text.len(), text.len()),
        };
        pos = next;
        let end = if end > start && text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        Some((start, end, next))
    })
}

fn is_delimiter(line: &str, closing: bool) -> bool {
    let t = line.trim_end_matches([' ', '\t']);
    t == "---" || (closing && t == "...")
}

/// Cut the front matter off `text`, read its YAML and report problems.
pub fn split(text: &str) -> Split {
    let mut out = Split {
        front_matter: None,
        yaml: None,
        body_start: 0,
        diagnostics: Vec::new(),
    };
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lines = lines_from(text, start);
    let Some((open_start, open_end, open_next)) = lines.next() else {
        return out;
    };
    if !is_delimiter(&text[open_start..open_end], false) {
        return out;
    }
    let close = lines.find(|&(s, e, _)| is_delimiter(&text[s..e], true));
    let Some((close_start, close_end, close_next)) = close else {
        out.diagnostics.push(Diagnostic::new(
            "front-matter-unclosed",
            Span::new(open_start, open_end),
            "front matter opened with `---` is never closed (add a `---` line after it); the \
             rest of the file is read as Markdown",
        ));
        out.body_start = open_next;
        return out;
    };
    let yaml_start = open_next;
    let yaml_end = close_start;
    let mut doc = yaml::parse(&text[yaml_start..yaml_end]);
    doc.shift(yaml_start);
    let block = Span::new(open_start, close_end);
    let mut fields = Vec::new();
    match &doc.root {
        None => {}
        Some(node) => match &node.value {
            Value::Map(entries) => {
                for e in entries {
                    let (value, value_span) = field_value(&e.value);
                    fields.push(Field {
                        key: e.key.clone(),
                        key_span: e.key_span,
                        value,
                        value_span,
                    });
                }
            }
            Value::Null => {}
            _ => out.diagnostics.push(Diagnostic::new(
                "front-matter-invalid",
                node.span,
                "front matter must be a YAML mapping of `key: value` lines",
            )),
        },
    }
    out.front_matter = Some(FrontMatter {
        span: block,
        fields,
    });
    out.yaml = Some(doc);
    out.body_start = close_next;
    out
}

/// A field's value as the model keeps it: scalar text, a list joined by ", " (mapping items by
/// their `name`/`from`), empty for mappings.
fn field_value(node: &Node) -> (String, Span) {
    match &node.value {
        Value::Scalar { text, .. } => (text.clone(), node.span),
        Value::Seq(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(|n| match &n.value {
                    Value::Scalar { text, .. } => Some(text.clone()),
                    Value::Map(_) => n
                        .get("name")
                        .or_else(|| n.get("from"))
                        .and_then(Node::as_str)
                        .map(str::to_string),
                    _ => None,
                })
                .collect();
            (parts.join(", "), node.span)
        }
        _ => (String::new(), node.span),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_front_matter() {
        let s = split("# Title\n---\nname: x\n---\n");
        assert!(s.front_matter.is_none());
        assert_eq!(s.body_start, 0);
        assert!(s.diagnostics.is_empty());
    }

    #[test]
    fn closed_block_spans() {
        let text = "---\nname: todo\n...\n# Body\n";
        let s = split(text);
        let fm = s.front_matter.unwrap();
        assert_eq!(fm.span.slice(text), "---\nname: todo\n...");
        assert_eq!(&text[s.body_start..], "# Body\n");
        assert!(s.diagnostics.is_empty());
    }

    #[test]
    fn crlf_and_bom() {
        let text = "\u{feff}---\r\ntype: function\r\n---\r\nbody";
        let s = split(text);
        assert!(s.front_matter.is_some());
        assert_eq!(&text[s.body_start..], "body");
    }

    #[test]
    fn unclosed_reads_body_after_first_line() {
        let text = "---\nname: x\n# Body\n";
        let s = split(text);
        assert!(s.front_matter.is_none());
        assert_eq!(s.diagnostics[0].code, "front-matter-unclosed");
        assert_eq!(s.diagnostics[0].span.slice(text), "---");
        assert_eq!(&text[s.body_start..], "name: x\n# Body\n");
    }

    #[test]
    fn empty_and_lone_delimiter() {
        let s = split("---\n---\n");
        assert!(s.front_matter.is_some());
        assert_eq!(s.body_start, 8);
        let s = split("---");
        assert_eq!(s.diagnostics[0].code, "front-matter-unclosed");
        assert_eq!(s.body_start, 3);
        let s = split("");
        assert!(s.front_matter.is_none());
    }

    #[test]
    fn fields_and_document_offsets() {
        let text = "---\nname: todo\ntags: [a, b]\ndependencies:\n  - from: x.spec.md\n---\n";
        let s = split(text);
        let fm = s.front_matter.unwrap();
        let keys: Vec<&str> = fm.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["name", "tags", "dependencies"]);
        assert_eq!(fm.fields[0].key_span.slice(text), "name");
        assert_eq!(fm.fields[0].value_span.slice(text), "todo");
        assert_eq!(fm.fields[1].value, "a, b");
        assert_eq!(fm.fields[2].value, "x.spec.md");
        let root = s.yaml.unwrap().root.unwrap();
        assert_eq!(root.get("name").unwrap().span.slice(text), "todo");
    }

    #[test]
    fn non_mapping_is_invalid() {
        let text = "---\n- a\n- b\n---\n# x\n";
        let s = split(text);
        assert_eq!(s.diagnostics[0].code, "front-matter-invalid");
        assert_eq!(s.diagnostics[0].span.slice(text), "- a\n- b");
        let text = "---\njust text\n---\n";
        assert_eq!(split(text).diagnostics[0].code, "front-matter-invalid");
    }

    #[test]
    fn yaml_errors_are_in_document_offsets() {
        let text = "---\nname: x\n\tbad: 1\n---\n";
        let s = split(text);
        let y = s.yaml.unwrap();
        assert!(!y.diagnostics.is_empty());
        for d in &y.diagnostics {
            assert!(d.span.start >= 4 && d.span.end <= text.len() - 4, "{d:?}");
        }
    }

    #[test]
    fn not_a_delimiter() {
        assert!(split("----\nx\n----\n").front_matter.is_none());
        assert!(split(" ---\nx\n---\n").front_matter.is_none());
    }
}
