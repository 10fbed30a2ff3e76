//! `docs/diagnostics.md` is generated from the code registry (`diag::CODES`). This test fails
//! when the file is out of date; run it with `SPECLS_UPDATE_DOCS=1` to rewrite the file.

use std::fmt::Write;
use std::path::Path;

use specls_core::diag::{Severity, CODES};

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information => "info",
        Severity::Hint => "hint",
    }
}

fn area_title(area: &str) -> String {
    let mut c = area.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn render() -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- Generated from `diag::CODES` by tests/docs_diagnostics.rs: do not edit by hand.\n     \
         Update with `SPECLS_UPDATE_DOCS=1 cargo test --test docs_diagnostics`. -->\n\
         # Diagnostic codes\n\n\
         Every finding specls reports carries one of these codes. Codes are stable: they are never\n\
         renamed or reused, so they are safe to use in `specls.toml`, in `specls-ignore` markers\n\
         and in CI scripts.\n\n\
         - Change a code's severity or switch it off in `specls.toml`:\n\
         \x20 `[checks] duplicate-scenario-steps = \"off\"` (levels: `off`, `error`, `warning`, `info`,\n\
         \x20 `hint`). An area name applies to every code of the area: `conflicts = \"warning\"`; a\n\
         \x20 code's own setting wins over its area's.\n\
         - Silence one finding in place: `<!-- specls-ignore CODE -->` in Markdown,\n\
         \x20 `# specls-ignore CODE` in YAML, on the line before the element (as the first line of\n\
         \x20 the file, followed by a blank line, for the whole file).\n\
         - `specls check --deny LEVEL` decides which severities fail a CI run (default: errors).\n\n",
    );
    let _ = writeln!(out, "{} codes in {} areas.\n", CODES.len(), areas().len());
    for area in areas() {
        let _ = writeln!(out, "## {}\n", area_title(area));
        out.push_str("| Code | Default severity | What it means |\n|---|---|---|\n");
        for c in CODES.iter().filter(|c| c.area == area) {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                c.code,
                severity(c.severity),
                c.summary.replace('|', "\\|")
            );
        }
        out.push('\n');
    }
    out
}

fn areas() -> Vec<&'static str> {
    let mut areas: Vec<&'static str> = Vec::new();
    for c in CODES {
        if !areas.contains(&c.area) {
            areas.push(c.area);
        }
    }
    areas
}

#[test]
fn diagnostics_doc_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md");
    let want = render();
    if std::env::var_os("SPECLS_UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &want).expect("write docs/diagnostics.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/diagnostics.md is out of date with diag::CODES; regenerate it with\n  \
         SPECLS_UPDATE_DOCS=1 cargo test --test docs_diagnostics"
    );
}
