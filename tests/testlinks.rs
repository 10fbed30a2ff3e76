//! Test-file indexing and scenario links: the fixtures under `tests/fixtures/testlinks/` (a
//! YAML and a Markdown spec, test files in Python, Rust, TypeScript and Go) are indexed and
//! linked; tests, markers, links and diagnostics are snapshotted with `L:C-L:C "excerpt"`
//! spans.

mod common;

use common::fs::files_under;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::render;
use specls_core::config::Config;
use specls_core::span::LineIndex;
use specls_core::testlinks::link::{
    link, scenario_at, scenarios_with_id, LinkVia, MarkerTarget, ScenarioRef,
};
use specls_core::testlinks::{rename_marker_edits, TestFileMatcher, TestIndex};
use specls_core::workspace::Workspace;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/testlinks")
}

/// (relative path, text) of every fixture file.
fn fixtures() -> Vec<(String, String)> {
    let root = root();
    let mut files = Vec::new();
    files_under(&root, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).expect("utf-8 fixture"))
        })
        .collect()
}

fn load() -> (Workspace, TestIndex, Vec<(String, String)>) {
    let files = fixtures();
    let mut ws = Workspace::new();
    let mut tests = TestIndex::new();
    let matcher = TestFileMatcher::new(&Config::default(), &[]);
    for (path, text) in &files {
        if let Some(lang) = matcher.language(path) {
            tests.upsert(path, text, lang);
        } else {
            assert!(
                ws.upsert_bytes(path, text.as_bytes()),
                "{path} is neither a test file nor a spec"
            );
        }
    }
    (ws, tests, files)
}

fn text_of<'a>(files: &'a [(String, String)], path: &str) -> &'a str {
    &files.iter().find(|(p, _)| p == path).expect("fixture").1
}

fn sp(text: &str, span: specls_core::Span) -> String {
    render::span(text, &LineIndex::new(text), span.start, span.end)
}

#[test]
fn index_fixtures() {
    let (_, tests, files) = load();
    assert_eq!(tests.files.len(), 4);
    for (path, file) in &tests.files {
        let text = text_of(&files, path);
        let mut out = String::new();
        for (i, t) in file.tests.iter().enumerate() {
            writeln!(out, "[{i}] {:?} {:?}", t.kind, t.name).unwrap();
            writeln!(out, "    span: {}", sp(text, t.span)).unwrap();
            writeln!(out, "    name: {}", sp(text, t.name_span)).unwrap();
            if !t.parents.is_empty() {
                writeln!(out, "    parents: {}", t.parents.join(" > ")).unwrap();
            }
            if let Some(p) = t.parent {
                writeln!(out, "    parent: [{p}]").unwrap();
            }
            if !t.modifiers.is_empty() {
                writeln!(out, "    modifiers: {}", t.modifiers.join(", ")).unwrap();
            }
            if !t.markers.is_empty() {
                writeln!(out, "    markers: {:?}", t.markers).unwrap();
            }
        }
        for (i, m) in file.markers.iter().enumerate() {
            let owner = m
                .test
                .map(|t| format!("[{t}]"))
                .unwrap_or_else(|| "none".into());
            writeln!(
                out,
                "marker {i} {:?} {:?} {} -> {owner}",
                m.form,
                m.id,
                sp(text, m.span)
            )
            .unwrap();
        }
        let name = format!("index_{}", path.replace(['/', '.'], "_"));
        insta::assert_snapshot!(name, out);
    }
}

#[test]
fn links_of_fixtures() {
    let (ws, tests, files) = load();
    let links = link(&ws, &tests);
    let mut out = String::new();
    for (path, f) in &ws.files {
        for (index, sc) in f.doc.scenarios.iter().enumerate() {
            let r = ScenarioRef {
                path: path.clone(),
                index,
            };
            writeln!(out, "{path} {} ({:?}):", sc.id, sc.name).unwrap();
            let tl = links.tests_of(&r);
            if tl.is_empty() {
                writeln!(out, "  (untested)").unwrap();
            }
            for l in tl {
                // Test -> scenarios is the mirror of scenario -> tests.
                assert!(links.scenarios_of(&l.test).contains(&r));
                let file = tests.get(&l.test.path).unwrap();
                let via = match l.via {
                    LinkVia::Marker => "marker",
                    LinkVia::Requirement => "requirement",
                    LinkVia::Convention => "convention",
                };
                writeln!(
                    out,
                    "  {via:<11} {} {}",
                    l.test.path,
                    file.path_of(l.test.test).join(" > ")
                )
                .unwrap();
            }
            // Navigation from the scenario's name, and lookup by id.
            assert_eq!(scenario_at(&ws, path, sc.name_span.start), Some(r.clone()));
            assert_eq!(scenarios_with_id(&ws, &sc.id), std::slice::from_ref(&r));
            let locs = links.test_locations(&r, &tests);
            assert_eq!(locs.len(), tl.len());
        }
    }
    writeln!(out, "\nmarkers:").unwrap();
    for (path, file) in &tests.files {
        let text = text_of(&files, path);
        for (i, m) in file.markers.iter().enumerate() {
            let targets: Vec<String> = links
                .marker_targets(path, i)
                .iter()
                .map(|t| match t {
                    MarkerTarget::Scenario { scenario } => {
                        let sc = &ws.get(&scenario.path).unwrap().doc.scenarios[scenario.index];
                        format!("scenario {}", sc.id)
                    }
                    MarkerTarget::Requirement { path, id, .. } => {
                        format!("requirement {id} in {path}")
                    }
                })
                .collect();
            writeln!(
                out,
                "  {path} {} {:?} -> {targets:?}",
                sp(text, m.span),
                m.id
            )
            .unwrap();
            // Go to definition from the marker lands on what it names.
            let defs = links.marker_definition(&ws, &tests, path, m.span.start);
            assert_eq!(defs.len(), targets.len(), "{path} {}", m.id);
        }
    }
    writeln!(out, "\ndiagnostics:").unwrap();
    for (path, diags) in &links.diagnostics {
        let text = text_of(&files, path);
        for d in diags {
            writeln!(
                out,
                "  {path} {} {} {}",
                sp(text, d.span),
                d.code,
                d.message
            )
            .unwrap();
            for f in &d.fixes {
                for e in &f.edits {
                    writeln!(
                        out,
                        "    fix {:?}: {} -> {:?}",
                        f.title,
                        sp(text, e.span),
                        e.new_text
                    )
                    .unwrap();
                }
            }
        }
    }
    writeln!(out, "\nrename todo-count -> todo-total:").unwrap();
    for e in rename_marker_edits(&tests, "todo-count", "todo-total") {
        let text = text_of(&files, &e.path);
        writeln!(out, "  {} {} -> {:?}", e.path, sp(text, e.span), e.new_text).unwrap();
    }
    insta::assert_snapshot!("links", out);
}
