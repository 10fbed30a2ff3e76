//! Test-runner output parsers on real output captured from the runners (see
//! `tests/fixtures/results/README.md`), including truncated and malformed copies: every file
//! is parsed and its results and errors are snapshotted. Then each project's results are
//! mapped to its indexed tests and the scenarios of `projects/todo.spec.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use specls_core::config::Config;
use specls_core::testlinks::link::link;
use specls_core::testlinks::results::{self, Status};
use specls_core::testlinks::status::{map_results, scenario_diagnostics, scenario_status};
use specls_core::testlinks::{Language, TestIndex};
use specls_core::workspace::Workspace;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results")
}

#[test]
fn every_report_fixture() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e != "md"))
        .collect();
    names.sort();
    assert!(names.len() >= 15);
    for p in names {
        let file = p.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&p).expect("utf-8");
        let parsed = results::parse(&text);
        assert!(parsed.format.is_some(), "{file}: format not recognised");
        let broken =
            file.contains("truncated") || file.contains("malformed") || file.contains("bail");
        assert_eq!(
            !parsed.errors.is_empty(),
            broken,
            "{file}: errors {:?}",
            parsed.errors
        );
        insta::assert_yaml_snapshot!(format!("results_{}", file.replace('.', "_")), parsed);
    }
}

/// A project's test files, indexed under paths relative to the project.
fn project(name: &str) -> TestIndex {
    let root = dir().join("projects").join(name);
    let mut stack = vec![root.clone()];
    let mut index = TestIndex::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("project dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let lang = Language::from_path(&rel).expect("a source file");
            index.upsert(&rel, &std::fs::read_to_string(&p).unwrap(), lang);
        }
    }
    index
}

#[test]
fn results_map_to_scenarios() {
    let spec = dir().join("projects/todo.spec.md");
    let mut ws = Workspace::new();
    assert!(ws.upsert_bytes("todo.spec.md", &std::fs::read(spec).unwrap()));
    let cases = [
        ("python", "pytest-xunit2.xml"),
        ("python", "pytest-xunit1.xml"),
        ("vitest", "vitest-junit.xml"),
        ("vitest", "vitest.tap"),
        ("vitest", "vitest-flat.tap"),
        ("node", "node-test.tap"),
        ("node", "node-test-junit.xml"),
        ("rust", "cargo-test.txt"),
        ("rust", "nextest-junit.xml"),
        ("go", "go-test.json"),
        ("go", "go-test-truncated.json"),
    ];
    let mut out = String::new();
    for (proj, report) in cases {
        let tests = project(proj);
        let links = link(&ws, &tests);
        let text = std::fs::read_to_string(dir().join(report)).unwrap();
        let parsed = results::parse(&text);
        let mapping = map_results(&tests, &parsed.results);
        writeln!(out, "== {proj} / {report}").unwrap();
        for (i, r) in parsed.results.iter().enumerate() {
            let to: Vec<String> = mapping.tests_of_result[i]
                .iter()
                .map(|t| {
                    format!(
                        "{}#{}",
                        t.path,
                        tests.get(&t.path).unwrap().path_of(t.test).join(" > ")
                    )
                })
                .collect();
            writeln!(
                out,
                "  {:?} {:?} -> {}",
                r.status,
                r.name,
                if to.is_empty() {
                    "(no test)".to_string()
                } else {
                    to.join(", ")
                }
            )
            .unwrap();
        }
        let statuses = scenario_status(&ws, &tests, &links, &parsed.results, &mapping);
        for (sc, st) in &statuses {
            let name = &ws.get(&sc.path).unwrap().doc.scenarios[sc.index].name;
            writeln!(
                out,
                "  scenario {name:?}: {}",
                serde_json::to_string(st).unwrap()
            )
            .unwrap();
        }
        let diags = scenario_diagnostics(&ws, &tests, &statuses, &Config::default());
        for d in diags.values().flatten() {
            writeln!(out, "  {} {}: {}", d.code, d.severity.as_str(), d.message).unwrap();
            for r in &d.related {
                writeln!(
                    out,
                    "    related {} {}..{}: {}",
                    r.path, r.span.start, r.span.end, r.message
                )
                .unwrap();
            }
            for f in &d.fixes {
                for e in &f.edits {
                    writeln!(
                        out,
                        "    fix {:?}: {} at {}..{}:\n{}",
                        f.title,
                        e.path,
                        e.span.start,
                        e.span.end,
                        indent(&e.new_text)
                    )
                    .unwrap();
                }
            }
        }
        // Nothing is lost: every result of a real run maps to a test or is a known leftover.
        let failed = parsed
            .results
            .iter()
            .filter(|r| r.status == Status::Failed)
            .count();
        writeln!(
            out,
            "  ({} results, {failed} failed, {} unmatched)",
            parsed.results.len(),
            mapping.unmatched.len()
        )
        .unwrap();
    }
    insta::assert_snapshot!("results_map_to_scenarios", out);
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("      | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
