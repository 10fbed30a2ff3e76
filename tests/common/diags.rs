//! Rendering of check diagnostics for snapshots: `path:line:col severity code: message`, then
//! related places and fixes, one per line.

use std::collections::BTreeMap;

use specls_core::span::LineIndex;
use specls_core::Diagnostic;

pub fn render(
    diags: &BTreeMap<String, Vec<Diagnostic>>,
    texts: &BTreeMap<String, String>,
) -> String {
    let mut out = String::new();
    let loc = |path: &str, at: usize| {
        let text = texts.get(path).map(String::as_str).unwrap_or("");
        let lc = LineIndex::new(text).line_col(at);
        format!("{path}:{}:{}", lc.line + 1, lc.col + 1)
    };
    for (path, ds) in diags {
        for d in ds {
            out.push_str(&format!(
                "{} {} {}: {}\n",
                loc(path, d.span.start),
                d.severity.as_str(),
                d.code,
                d.message
            ));
            for r in &d.related {
                let p = if r.path.is_empty() { path } else { &r.path };
                out.push_str(&format!(
                    "    related {}: {}\n",
                    loc(p, r.span.start),
                    r.message
                ));
            }
            for f in &d.fixes {
                out.push_str(&format!("    fix: {}\n", f.title));
                for e in &f.edits {
                    let p = if e.path.is_empty() { path } else { &e.path };
                    out.push_str(&format!(
                        "      at {} insert/replace {:?}\n",
                        loc(p, e.span.start),
                        e.new_text
                    ));
                }
            }
        }
    }
    out
}
