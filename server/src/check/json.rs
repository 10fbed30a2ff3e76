//! `--format json`: a stable document, version 1, described in `docs/check-output.md`.
//! Lines and columns are 1-based; columns count Unicode scalar values; ends are exclusive;
//! `byteRange` gives the same range as UTF-8 byte offsets into the file.

use serde::Serialize;

use super::{Finding, Location, Position, Report, Summary};

/// Bumped only for incompatible changes; new fields may be added within a version.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Output<'a> {
    version: u32,
    tool: Tool,
    files: usize,
    diagnostics: Vec<DiagnosticOut<'a>>,
    summary: Summary,
    errors: Vec<ErrorOut<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Range {
    start: Position,
    end: Position,
}

#[derive(Serialize)]
struct ByteRange {
    start: usize,
    end: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiagnosticOut<'a> {
    path: &'a str,
    range: Range,
    byte_range: ByteRange,
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    related: Vec<RelatedOut<'a>>,
    fixes: Vec<FixOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedOut<'a> {
    path: &'a str,
    range: Option<Range>,
    byte_range: Option<ByteRange>,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FixOut<'a> {
    title: &'a str,
    edits: Vec<EditOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EditOut<'a> {
    path: &'a str,
    range: Option<Range>,
    byte_range: Option<ByteRange>,
    new_text: &'a str,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    path: &'a str,
    message: &'a str,
}

fn range(l: &Location) -> Range {
    Range {
        start: l.start,
        end: l.end,
    }
}

fn byte_range(l: &Location) -> ByteRange {
    ByteRange {
        start: l.span.start,
        end: l.span.end,
    }
}

fn diagnostic(f: &Finding) -> DiagnosticOut<'_> {
    DiagnosticOut {
        path: &f.location.path,
        range: range(&f.location),
        byte_range: byte_range(&f.location),
        severity: f.severity.as_str(),
        code: f.code,
        message: &f.message,
        related: f
            .related
            .iter()
            .map(|r| RelatedOut {
                path: &r.path,
                range: r.location.as_ref().map(range),
                byte_range: r.location.as_ref().map(byte_range),
                message: &r.message,
            })
            .collect(),
        fixes: f
            .fixes
            .iter()
            .map(|fix| FixOut {
                title: &fix.title,
                edits: fix
                    .edits
                    .iter()
                    .map(|e| EditOut {
                        path: &e.path,
                        range: e.location.as_ref().map(range),
                        byte_range: e.location.as_ref().map(byte_range),
                        new_text: &e.new_text,
                    })
                    .collect(),
            })
            .collect(),
    }
}

pub fn render(report: &Report) -> String {
    let out = Output {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "specls",
            version: env!("CARGO_PKG_VERSION"),
        },
        files: report.summary.files,
        diagnostics: report.findings.iter().map(diagnostic).collect(),
        summary: report.summary,
        errors: report
            .errors
            .iter()
            .map(|(path, message)| ErrorOut { path, message })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|e| {
        // Serialising plain strings and numbers cannot fail; keep the output valid JSON anyway.
        serde_json::json!({ "version": SCHEMA_VERSION, "error": e.to_string() }).to_string()
    });
    s.push('\n');
    s
}
