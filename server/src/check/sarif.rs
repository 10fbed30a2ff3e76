//! `--format sarif`: SARIF 2.1.0 for code-scanning tools. One run; rules from the code registry
//! (`diag::CODES`); regions with 1-based lines and columns counted in Unicode code points
//! (`columnKind: unicodeCodePoints`), exclusive ends; artifact URIs relative to the current
//! folder.

use serde_json::{json, Value};
use specls_core::diag::{Severity, CODES};

use super::{Location, Report};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

/// Percent-encode a relative path as a URI reference (`/` kept; unreserved ASCII kept).
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if path.starts_with('/') {
        format!("file://{out}")
    } else {
        out
    }
}

fn region(l: &Location) -> Value {
    json!({
        "startLine": l.start.line,
        "startColumn": l.start.column,
        "endLine": l.end.line,
        "endColumn": l.end.column,
    })
}

fn physical(path: &str, loc: Option<&Location>) -> Value {
    match loc {
        Some(l) => json!({
            "artifactLocation": { "uri": uri(path) },
            "region": region(l),
        }),
        None => json!({ "artifactLocation": { "uri": uri(path) } }),
    }
}

fn rules() -> Vec<Value> {
    CODES
        .iter()
        .map(|c| {
            json!({
                "id": c.code,
                "shortDescription": { "text": c.summary },
                "defaultConfiguration": { "level": level(c.severity) },
                "properties": { "tags": [c.area] },
            })
        })
        .collect()
}

pub fn render(report: &Report) -> String {
    let mut driver = json!({
        "name": "specls",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules(),
    });
    let info = env!("CARGO_PKG_REPOSITORY");
    let info = if info.is_empty() {
        env!("CARGO_PKG_HOMEPAGE")
    } else {
        info
    };
    if !info.is_empty() {
        driver["informationUri"] = json!(info);
    }
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.code,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [ { "physicalLocation": physical(&f.location.path, Some(&f.location)) } ],
            });
            if let Some(i) = CODES.iter().position(|c| c.code == f.code) {
                result["ruleIndex"] = json!(i);
            }
            if !f.related.is_empty() {
                result["relatedLocations"] = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        json!({
                            "id": i,
                            "message": { "text": r.message },
                            "physicalLocation": physical(&r.path, r.location.as_ref()),
                        })
                    })
                    .collect();
            }
            let fixes: Vec<Value> = f
                .fixes
                .iter()
                .map(|fix| {
                    // One artifactChange per file, in the order files first appear.
                    let mut changes: Vec<(String, Vec<Value>)> = Vec::new();
                    for e in &fix.edits {
                        let Some(loc) = &e.location else { continue };
                        let replacement = json!({
                            "deletedRegion": region(loc),
                            "insertedContent": { "text": e.new_text },
                        });
                        match changes.iter_mut().find(|(p, _)| *p == e.path) {
                            Some((_, r)) => r.push(replacement),
                            None => changes.push((e.path.clone(), vec![replacement])),
                        }
                    }
                    json!({
                        "description": { "text": fix.title },
                        "artifactChanges": changes
                            .into_iter()
                            .map(|(p, r)| json!({
                                "artifactLocation": { "uri": uri(&p) },
                                "replacements": r,
                            }))
                            .collect::<Vec<_>>(),
                    })
                })
                .filter(|f| f["artifactChanges"].as_array().is_some_and(|a| !a.is_empty()))
                .collect();
            if !fixes.is_empty() {
                result["fixes"] = json!(fixes);
            }
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|(path, message)| {
            json!({
                "level": "error",
                "message": { "text": format!("cannot read {path}: {message}") },
                "locations": [ { "physicalLocation": physical(path, None) } ],
            })
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": driver },
            "invocations": [ {
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            } ],
            "columnKind": "unicodeCodePoints",
            "results": results,
        } ],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("specs/a b/é.spec.md"), "specs/a%20b/%C3%A9.spec.md");
        assert_eq!(uri("/tmp/x.md"), "file:///tmp/x.md");
    }
}
