//! Parsers: bytes in, [`Document`] out. They never fail and never panic; what they do not
//! understand becomes a diagnostic with an exact range.

pub mod arrangement;
pub mod blueprint;
pub mod constraint;
pub mod front_matter;
pub mod incremental;
pub mod markdown;
pub mod yaml_spec;

use std::borrow::Cow;

use crate::config::Config;
use crate::diag::{self, Diagnostic};
use crate::kind;
use crate::limits;
use crate::model::{DocKind, Document, Ignore};
use crate::span::Span;

/// Decode bytes for parsing: invalid UTF-8 is replaced (and reported by [`parse_bytes`]).
pub fn decode(bytes: &[u8]) -> (String, Option<Diagnostic>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(e) => {
            let at = e.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let d = Diagnostic::new(
                "invalid-utf8",
                // The first invalid sequence became one U+FFFD (3 bytes) at `at`.
                Span::new(at, (at + '\u{fffd}'.len_utf8()).min(text.len())),
                format!("invalid UTF-8 at byte {at}; invalid bytes were replaced with U+FFFD"),
            );
            (text, Some(d))
        }
    }
}

/// Parse a file's bytes. Returns the decoded text (what spans refer to) and the document, or
/// None when the file is not a spec of any kind.
pub fn parse_bytes(path: &str, bytes: &[u8]) -> Option<(String, Document)> {
    parse_bytes_with(path, Cow::Borrowed(bytes), kind::detect)
}

/// [`parse_bytes`] with the configuration's spec globs and excludes ([`Config::classify`]).
pub fn parse_bytes_config(path: &str, bytes: &[u8], config: &Config) -> Option<(String, Document)> {
    parse_bytes_with(path, Cow::Borrowed(bytes), |p, t| config.classify(p, t))
}

/// [`parse_bytes_config`] of bytes read into a buffer of their own, which becomes the text
/// when it is valid UTF-8 (a file read from disk is not copied to be decoded).
pub fn parse_vec_config(path: &str, bytes: Vec<u8>, config: &Config) -> Option<(String, Document)> {
    parse_bytes_with(path, Cow::Owned(bytes), |p, t| config.classify(p, t))
}

fn parse_bytes_with(
    path: &str,
    bytes: Cow<'_, [u8]>,
    classify: impl Fn(&str, &str) -> Option<DocKind>,
) -> Option<(String, Document)> {
    if bytes.len() > limits::MAX_FILE_BYTES {
        let kind = classify(path, "")?;
        let mut doc = Document {
            path: path.to_string(),
            kind: Some(kind),
            name: default_name(path),
            ..Default::default()
        };
        doc.diagnostics.push(Diagnostic::new(
            "file-too-large",
            Span::empty(0),
            format!(
                "file is {} bytes, over the limit of {} bytes; it is not analysed",
                bytes.len(),
                limits::MAX_FILE_BYTES
            ),
        ));
        return Some((String::new(), doc));
    }
    let (text, bad) = match bytes {
        Cow::Borrowed(b) => decode(b),
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(text) => (text, None),
            Err(e) => decode(e.as_bytes()),
        },
    };
    let kind = classify(path, &text)?;
    let mut doc = parse_document(path, &text, kind);
    if let Some(d) = bad {
        doc.diagnostics.insert(0, d);
    }
    Some((text, doc))
}

/// Parse text of a known kind.
pub fn parse_document(path: &str, text: &str, kind: DocKind) -> Document {
    if text.len() > limits::MAX_FILE_BYTES {
        let mut doc = Document {
            path: path.to_string(),
            kind: Some(kind),
            name: default_name(path),
            ..Default::default()
        };
        doc.diagnostics.push(Diagnostic::new(
            "file-too-large",
            Span::empty(0),
            format!(
                "file is {} bytes, over the limit of {} bytes; it is not analysed",
                text.len(),
                limits::MAX_FILE_BYTES
            ),
        ));
        return doc;
    }
    let mut doc = match kind {
        DocKind::MarkdownSpec => markdown::parse(path, text),
        DocKind::YamlSpec => yaml_spec::parse(path, text),
        DocKind::Arrangement => arrangement::parse(path, text),
        DocKind::Blueprint => blueprint::parse(path, text),
    };
    doc.path = path.to_string();
    doc.kind = Some(kind);
    if doc.name.is_empty() {
        doc.name = default_name(path);
    }
    let marker_free = !text.contains(IGNORE_MARKER);
    if !marker_free {
        doc.ignores = find_ignores(text, kind);
    }
    doc.diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    diag::cap(&mut doc.diagnostics);
    doc.shrink_to_fit();
    doc.lineage = crate::model::Lineage {
        marker_free,
        ..crate::model::Lineage::fresh()
    };
    doc
}

/// The file stem without `.spec`/`.arrangement`; for `spec.md` files the parent folder's name.
pub fn default_name(path: &str) -> String {
    let mut parts = path.rsplit(['/', '\\']);
    let file = parts.next().unwrap_or(path);
    let mut stem = file;
    for ext in [".md", ".markdown", ".yaml", ".yml"] {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
            break;
        }
    }
    for suffix in [".spec", ".arrangement"] {
        if let Some(s) = stem.strip_suffix(suffix) {
            stem = s;
        }
    }
    if stem == "spec" {
        if let Some(parent) = parts.next() {
            return parent.to_string();
        }
    }
    stem.to_string()
}

/// The word every ignore marker contains.
pub const IGNORE_MARKER: &str = "specls-ignore";

/// Find `specls-ignore CODE[, CODE]` markers: `<!-- specls-ignore ... -->` in Markdown,
/// `# specls-ignore ...` in YAML. A marker applies to the next non-blank line (to the whole
/// element that starts there, as the checks decide), or to the whole file when it is the first
/// non-blank line followed by a blank line.
pub fn find_ignores(text: &str, kind: DocKind) -> Vec<Ignore> {
    // Every marker contains the word: a file without it (most) is not split into lines.
    if !text.contains(IGNORE_MARKER) {
        return Vec::new();
    }
    let markdown = matches!(kind, DocKind::MarkdownSpec | DocKind::Blueprint);
    let mut out = Vec::new();
    let mut offset = 0;
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .map(|l| {
            let start = offset;
            offset += l.len();
            (start, l)
        })
        .collect();
    for (i, (start, line)) in lines.iter().enumerate() {
        let t = line.trim();
        let body = if markdown {
            t.strip_prefix("<!--")
                .and_then(|r| r.strip_suffix("-->"))
                .map(str::trim)
        } else {
            t.strip_prefix('#').map(str::trim)
        };
        let Some(rest) = body.and_then(|b| b.strip_prefix("specls-ignore")) else {
            continue;
        };
        if !(rest.is_empty() || rest.starts_with([' ', ':'])) {
            continue;
        }
        let codes: Vec<String> = rest
            .trim_start_matches(':')
            .split([',', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        let span = Span::new(
            start + (line.len() - line.trim_start().len()),
            start + line.trim_end().len(),
        );
        let next = lines[i + 1..].iter().find(|(_, l)| !l.trim().is_empty());
        let first_content = lines[..i]
            .iter()
            .all(|(_, l)| l.trim().is_empty() || l.trim() == "---");
        let followed_by_blank = lines.get(i + 1).is_some_and(|(_, l)| l.trim().is_empty());
        let applies_to = if first_content && followed_by_blank {
            Span::new(0, text.len())
        } else {
            match next {
                Some((s, l)) => Span::new(*s, s + l.trim_end_matches(['\n', '\r']).len()),
                None => Span::empty(text.len()),
            }
        };
        out.push(Ignore {
            codes,
            span,
            applies_to,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names() {
        assert_eq!(default_name("a/todo.spec.md"), "todo");
        assert_eq!(default_name("openspec/specs/auth/spec.md"), "auth");
        assert_eq!(default_name("py.arrangement.yaml"), "py");
        assert_eq!(default_name("tasks.spec.yml"), "tasks");
    }

    #[test]
    fn ignore_markers() {
        let md = "# T\n\n<!-- specls-ignore placeholder -->\n- TODO later\n";
        let ig = find_ignores(md, DocKind::MarkdownSpec);
        assert_eq!(ig.len(), 1);
        assert_eq!(ig[0].codes, vec!["placeholder"]);
        assert_eq!(ig[0].applies_to.slice(md), "- TODO later");
        let y = "# specls-ignore\n\nfeature: x\n";
        let ig = find_ignores(y, DocKind::YamlSpec);
        assert_eq!(ig[0].applies_to, Span::new(0, y.len()));
        assert!(ig[0].codes.is_empty());
    }
}
