//! Editor features of the analysis core (`specls_core::ide`) on fixture workspaces.
//!
//! Fixtures live in `tests/fixtures/ide/`; `<|>` marks cursor positions and is removed before
//! parsing. Each fixture gets one snapshot with every feature's result, spans shown as
//! `L:C-L:C "text"` (1-based, byte columns). Formatting fixtures live in `format/` (no markers).

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::render::span;
use proptest::prelude::*;
use specls_core::ide::{self, CompletionItem, Symbol};
use specls_core::span::{LineIndex, Span};
use specls_core::workspace::Workspace;
use specls_core::DocKind;

const MARK: &str = "<|>";

struct Fixture {
    path: String,
    text: String,
    markers: Vec<usize>,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ide")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn rel(base: &Path, p: &Path) -> String {
    p.strip_prefix(base)
        .expect("under base")
        .to_string_lossy()
        .replace('\\', "/")
}

/// The marker fixtures (everything outside `format/`), markers removed.
fn fixtures() -> Vec<Fixture> {
    let base = fixture_dir();
    let mut files = Vec::new();
    walk(&base, &mut files);
    files
        .iter()
        .filter(|p| !rel(&base, p).starts_with("format/"))
        .map(|p| {
            let raw = std::fs::read_to_string(p).expect("utf-8 fixture");
            let mut text = String::new();
            let mut markers = Vec::new();
            let mut rest = raw.as_str();
            while let Some(i) = rest.find(MARK) {
                text.push_str(&rest[..i]);
                markers.push(text.len());
                rest = &rest[i + MARK.len()..];
            }
            text.push_str(rest);
            Fixture {
                path: rel(&base, p),
                text,
                markers,
            }
        })
        .collect()
}

fn workspace(fx: &[Fixture]) -> Workspace {
    let mut ws = Workspace::new();
    for f in fx {
        assert!(
            ws.upsert_bytes(&f.path, f.text.as_bytes()),
            "{} is not detected as a spec",
            f.path
        );
    }
    ws
}

struct R<'a> {
    ws: &'a Workspace,
}

impl R<'_> {
    fn sp(&self, path: &str, s: Span) -> String {
        let Some(f) = self.ws.get(path) else {
            return format!("{path}?{s:?}");
        };
        span(&f.text, &LineIndex::new(&f.text), s.start, s.end)
    }
    fn at(&self, cur: &str, path: &str, s: Span) -> String {
        if path == cur {
            self.sp(path, s)
        } else {
            format!("{path} {}", self.sp(path, s))
        }
    }
}

fn symbols(r: &R, path: &str, syms: &[Symbol], depth: usize, out: &mut String) {
    for s in syms {
        let _ = writeln!(
            out,
            "{}{:?} {:?}{} {} sel {}",
            "  ".repeat(depth),
            s.kind,
            s.name,
            s.detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default(),
            r.sp(path, s.span),
            r.sp(path, s.selection_span),
        );
        symbols(r, path, &s.children, depth + 1, out);
    }
}

fn completion(r: &R, path: &str, items: &[CompletionItem], out: &mut String) {
    if items.is_empty() {
        out.push_str("completion: none\n");
        return;
    }
    out.push_str("completion:\n");
    for i in items.iter().take(12) {
        let _ = writeln!(
            out,
            "  {:?} {:?} -> {:?} at {}{}",
            i.kind,
            i.label,
            i.insert_text,
            r.sp(path, i.replace),
            i.detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        );
    }
    if items.len() > 12 {
        let _ = writeln!(out, "  … {} more", items.len() - 12);
    }
}

fn new_name_for(placeholder: &str) -> String {
    if ide::looks_like_requirement_id(placeholder) {
        let prefix = placeholder.split(['-', '_']).next().unwrap_or("R");
        format!("{prefix}-99")
    } else if placeholder.contains(' ') {
        format!("{placeholder} renamed")
    } else {
        format!("{placeholder}-renamed")
    }
}

fn render_file(ws: &Workspace, f: &Fixture) -> String {
    let r = R { ws };
    let p = f.path.as_str();
    let text = &ws.get(p).expect("in workspace").text;
    let idx = LineIndex::new(text);
    let mut out = String::new();
    out.push_str("# symbols\n");
    symbols(&r, p, &ide::document_symbols(ws, p), 0, &mut out);
    out.push_str("# semantic tokens\n");
    for t in ide::semantic_tokens(ws, p) {
        let _ = writeln!(
            out,
            "{:?}{} {}",
            t.token_type,
            if t.modifiers != 0 { " declaration" } else { "" },
            r.sp(p, t.span)
        );
    }
    out.push_str("# folding\n");
    for fr in ide::folding_ranges(ws, p) {
        let a = idx.line_col(fr.span.start).line + 1;
        let b = idx.line_col(fr.span.end).line + 1;
        let first = text[fr.span.start..].lines().next().unwrap_or("");
        let _ = writeln!(out, "{:?} lines {a}-{b}: {first:?}", fr.kind);
    }
    for (n, &o) in f.markers.iter().enumerate() {
        let lc = idx.line_col(o);
        let line = text[o - lc.col as usize..].lines().next().unwrap_or("");
        let mut shown = line.to_string();
        shown.insert(lc.col as usize, '‸');
        let _ = writeln!(
            out,
            "\n# marker {} at {}:{} {shown:?}",
            n + 1,
            lc.line + 1,
            lc.col + 1
        );
        match ide::hover(ws, p, o) {
            Some(h) => {
                let _ = writeln!(out, "hover {}:", r.sp(p, h.span));
                for l in h.markdown.lines() {
                    let _ = writeln!(out, "  | {l}");
                }
            }
            None => out.push_str("hover: none\n"),
        }
        let defs = ide::goto_definition(ws, p, o);
        if defs.is_empty() {
            out.push_str("definition: none\n");
        }
        for d in defs {
            let _ = writeln!(out, "definition: {}", r.at(p, &d.path, d.focus_span));
        }
        let refs = ide::find_references(ws, p, o, true);
        if refs.is_empty() {
            out.push_str("references: none\n");
        }
        for l in refs {
            let _ = writeln!(out, "reference: {}", r.at(p, &l.path, l.span));
        }
        completion(&r, p, &ide::completions(ws, p, o), &mut out);
        let sel: Vec<String> = ide::selection_ranges(ws, p, o)
            .iter()
            .map(|s| r.sp(p, *s))
            .collect();
        let _ = writeln!(out, "selection: {}", sel.join(" < "));
        match ide::prepare_rename(ws, p, o) {
            Some((s, ph)) => {
                let new = new_name_for(&ph);
                let _ = writeln!(out, "rename {} {ph:?} -> {new:?}:", r.sp(p, s));
                match ide::rename(ws, p, o, &new) {
                    Ok(edits) => {
                        for e in edits {
                            let _ =
                                writeln!(out, "  {} => {:?}", r.at(p, &e.path, e.span), e.new_text);
                        }
                    }
                    Err(e) => {
                        let _ = writeln!(out, "  error: {e}");
                    }
                }
            }
            None => out.push_str("rename: none\n"),
        }
    }
    out
}

#[test]
fn features_on_fixtures() {
    let fx = fixtures();
    assert!(fx.len() >= 4);
    let ws = workspace(&fx);
    for f in &fx {
        let name = f.path.replace(['/', '.'], "_");
        insta::assert_snapshot!(format!("ide_{name}"), render_file(&ws, f));
    }
}

#[test]
fn workspace_symbols_fuzzy() {
    let ws = workspace(&fixtures());
    let mut out = String::new();
    let r = R { ws: &ws };
    for q in ["", "crt", "FR-0", "valid cred", "latency", "notif"] {
        let _ = writeln!(out, "# query {q:?}");
        for s in ide::workspace_symbols(&ws, q, 8) {
            let _ = writeln!(
                out,
                "{} {:?} {:?} in {:?} {}",
                s.score,
                s.kind,
                s.name,
                s.container.as_deref().unwrap_or(""),
                r.at("", &s.path, s.selection_span)
            );
        }
    }
    insta::assert_snapshot!("ide_workspace_symbols", out);
}

/// Everything formatting must not change, read back through the parser.
fn model_text(path: &str, text: &str) -> String {
    let mut ws = Workspace::new();
    ws.upsert_bytes(path, text.as_bytes());
    let Some(f) = ws.get(path) else {
        return String::new();
    };
    let d = &f.doc;
    let mut s = String::new();
    for sc in &d.scenarios {
        let _ = writeln!(s, "scenario {} {:?} {:?}", sc.id, sc.name, sc.tags);
        for st in sc.steps() {
            let _ = writeln!(s, "  {:?} {}", st.kind, st.text);
        }
    }
    for c in &d.constraints {
        let _ = writeln!(s, "constraint {:?} {:?} {}", c.category, c.name, c.text);
    }
    for r in &d.requirements {
        let _ = writeln!(s, "requirement {} {}", r.id, r.text);
    }
    s
}

fn spec_files() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("specs"), &mut files);
    walk(&fixture_dir().join("format"), &mut files);
    files
        .into_iter()
        .filter_map(|p| {
            let r = rel(root, &p);
            let bytes = std::fs::read(&p).ok()?;
            let text = std::str::from_utf8(&bytes).ok()?;
            specls_core::kind::detect(&r, text)?;
            Some((r, p))
        })
        .collect()
}

#[test]
fn formatting_is_idempotent_and_keeps_the_model() {
    let mut formatted = 0;
    for (path, p) in spec_files() {
        let text = std::fs::read_to_string(&p).expect("utf-8");
        let kind = specls_core::kind::detect(&path, &text).expect("spec");
        let Some(once) = ide::format_text(&path, &text, kind) else {
            continue;
        };
        if once != text {
            formatted += 1;
        }
        let twice = ide::format_text(&path, &once, kind);
        assert_eq!(
            twice.as_deref(),
            Some(once.as_str()),
            "{path}: not idempotent"
        );
        assert_eq!(
            model_text(&path, &text),
            model_text(&path, &once),
            "{path}: formatting changed the model"
        );
        // The minimal edits produce the same text.
        let mut ws = Workspace::new();
        ws.upsert_bytes(&path, text.as_bytes());
        let edits = ide::format(&ws, &path);
        assert_eq!(ide::apply_edits(&text, &edits), once, "{path}: edits");
        if kind == DocKind::MarkdownSpec {
            // Markdown formatting only touches step lines: same number of lines.
            assert_eq!(text.lines().count(), once.lines().count(), "{path}");
        }
    }
    assert!(formatted >= 2, "the format fixtures must need formatting");
}

#[test]
fn formatting_fixtures() {
    let base = fixture_dir().join("format");
    let mut files = Vec::new();
    walk(&base, &mut files);
    for p in files {
        let path = format!("format/{}", rel(&base, &p));
        let text = std::fs::read_to_string(&p).expect("utf-8");
        let mut ws = Workspace::new();
        assert!(ws.upsert_bytes(&path, text.as_bytes()));
        let edits = ide::format(&ws, &path);
        assert!(!edits.is_empty(), "{path} needs formatting");
        let mut out = String::new();
        for e in &edits {
            let _ = writeln!(
                out,
                "edit {} => {:?}",
                span(&text, &LineIndex::new(&text), e.span.start, e.span.end),
                e.new_text
            );
        }
        out.push_str("# result\n");
        out.push_str(&ide::apply_edits(&text, &edits));
        insta::assert_snapshot!(format!("ide_format_{}", path.replace(['/', '.'], "_")), out);
    }
}

#[test]
fn formatting_refuses_yaml_with_errors() {
    let text =
        "feature: X\n  description: indented sibling\nscenarios:\n    - name: a\n      when: b\n";
    let mut ws = Workspace::new();
    assert!(ws.upsert_bytes("bad.spec.yaml", text.as_bytes()));
    assert!(ide::format(&ws, "bad.spec.yaml").is_empty());
    let alias = "feature: X\nscenarios:\n    - &a\n      name: a\n      when: b\n    - *a\n";
    assert_eq!(
        ide::format_text("a.spec.yaml", alias, DocKind::YamlSpec),
        None
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn never_panics_at_any_offset(file in 0usize..16, offset in 0usize..4096, name in "\\PC{0,12}") {
        let fx = fixtures();
        let ws = workspace(&fx);
        let f = &fx[file % fx.len()];
        let p = f.path.as_str();
        // Bias offsets to the file and just past its end (including inside multi-byte chars).
        let o = offset % (f.text.len() + 8);
        let _ = ide::hover(&ws, p, o);
        let _ = ide::goto_definition(&ws, p, o);
        let _ = ide::find_references(&ws, p, o, true);
        let _ = ide::completions(&ws, p, o);
        let _ = ide::selection_ranges(&ws, p, o);
        let _ = ide::prepare_rename(&ws, p, o);
        let _ = ide::rename(&ws, p, o, &name);
        let _ = ide::hover(&ws, p, usize::MAX);
        let _ = ide::completions(&ws, p, usize::MAX);
    }
}

#[test]
fn every_offset_of_every_fixture() {
    let fx = fixtures();
    let ws = workspace(&fx);
    for f in &fx {
        let p = f.path.as_str();
        assert!(!ide::semantic_tokens(&ws, p).is_empty(), "{p}: no tokens");
        let toks = ide::semantic_tokens(&ws, p);
        for w in toks.windows(2) {
            assert!(w[0].span.end <= w[1].span.start, "{p}: overlapping tokens");
        }
        for t in &toks {
            assert!(
                !t.span.slice(&f.text).contains('\n'),
                "{p}: multi-line token"
            );
        }
        for o in 0..=f.text.len() + 2 {
            let _ = ide::hover(&ws, p, o);
            let _ = ide::goto_definition(&ws, p, o);
            let _ = ide::completions(&ws, p, o);
            let chain = ide::selection_ranges(&ws, p, o);
            for w in chain.windows(2) {
                assert!(w[1].start <= w[0].start && w[0].end <= w[1].end && w[0] != w[1]);
            }
        }
    }
}

fn line_strategy() -> impl Strategy<Value = String> {
    let w = "[a-zA-Zé😀 :#\"'\\-]{0,12}";
    prop_oneof![
        w.prop_map(|w| format!("feature: {w}")),
        Just("scenarios:".to_string()),
        w.prop_map(|w| format!("  - name: {w}")),
        w.prop_map(|w| format!("    given: {w}")),
        (w, w).prop_map(|(a, b)| format!("    when: [{a}, {b}]")),
        Just("    then:".to_string()),
        w.prop_map(|w| format!("      - {w}")),
        Just("constraints:".to_string()),
        Just("  performance:".to_string()),
        (0u32..500).prop_map(|n| format!("    - requirement: p95 latency < {n}ms")),
        w.prop_map(|w| format!("# {w}")),
        w.prop_map(|w| format!("## Scenario: {w}")),
        w.prop_map(|w| format!("**Given**  {w}  ")),
        w.prop_map(|w| format!("- **WHEN** {w}")),
        (0u32..9, w).prop_map(|(n, w)| format!("- **FR-0{n}**: {w} FR-01")),
        Just("---".to_string()),
        w.prop_map(|w| format!("name: {w}")),
        Just("type: function".to_string()),
        w.prop_map(|w| format!("dependencies: [{w}]")),
        Just("```".to_string()),
        w.prop_map(|w| format!("    id: {w}")),
        Just("    given: |".to_string()),
        "\\PC{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    /// Every feature on arbitrary spec-like text: no panic, edits that apply, formatting that
    /// is stable.
    #[test]
    fn never_panics_on_arbitrary_documents(
        lines in prop::collection::vec(line_strategy(), 0..24),
        offsets in prop::collection::vec(0usize..2048, 4),
        crlf in any::<bool>(),
    ) {
        let mut text = lines.join(if crlf { "\r\n" } else { "\n" });
        text.push('\n');
        for path in ["p.spec.md", "p.spec.yaml"] {
            let mut ws = Workspace::new();
            prop_assert!(ws.upsert_bytes(path, text.as_bytes()));
            let _ = ide::document_symbols(&ws, path);
            let _ = ide::workspace_symbols(&ws, "a", 10);
            let toks = ide::semantic_tokens(&ws, path);
            for w in toks.windows(2) {
                prop_assert!(w[0].span.end <= w[1].span.start);
            }
            let _ = ide::folding_ranges(&ws, path);
            for &o in &offsets {
                let o = o % (text.len() + 4);
                let _ = ide::hover(&ws, path, o);
                let _ = ide::goto_definition(&ws, path, o);
                let _ = ide::find_references(&ws, path, o, true);
                let _ = ide::completions(&ws, path, o);
                let _ = ide::selection_ranges(&ws, path, o);
                let _ = ide::prepare_rename(&ws, path, o);
                if let Ok(edits) = ide::rename(&ws, path, o, "X-1") {
                    let _ = ide::apply_edits(&text, &edits);
                }
            }
            let edits = ide::format(&ws, path);
            let once = ide::apply_edits(&text, &edits);
            if !edits.is_empty() {
                let kind = ws.get(path).and_then(|f| f.doc.kind).expect("kind");
                prop_assert_eq!(ide::format_text(path, &once, kind), Some(once.clone()), "not idempotent");
            }
        }
    }
}
