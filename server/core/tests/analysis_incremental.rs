//! The language server's incremental path gives exactly what a fresh, full analysis gives.
//!
//! A workspace of generated specs (with planted duplicates and conflicts across files) is edited
//! at random, as an editor would: each edit goes through `Workspace::update_text_with` (the
//! incremental reparse) and one long-lived `Analysis` (per-file and per-scenario results
//! reused from the previous edit). After every edit its diagnostics must equal those of
//! `check_workspace` on a workspace parsed from scratch from the same texts.
//!
//! Edits are random pieces of spec syntax, and lines copied from another place of the
//! workspace (a scenario name or a step), which make and unmake duplicates and conflicts
//! across files.

use proptest::prelude::*;

use specls_core::checks::{check_workspace, Analysis, Env};
use specls_core::config::Config;
use specls_core::corpus::{Corpus, Format, Shape};
use specls_core::workspace::Workspace;

/// What to insert.
#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    /// The line at this fraction of the file with this index (modulo the file count).
    LineOf(usize, f64),
}

/// One edit: the file (modulo the file count), where (a fraction of its text), how many bytes
/// to delete, what to insert.
type EditSpec = (usize, f64, usize, Piece);

fn edits() -> impl Strategy<Value = Vec<EditSpec>> {
    let text = prop_oneof![
        Just("x".to_string()),
        Just(" ".to_string()),
        Just("\n".to_string()),
        Just("\n  - ".to_string()),
        Just(": ".to_string()),
        Just("- ".to_string()),
        Just("#".to_string()),
        Just("## Scenario: ".to_string()),
        Just("**Given** ".to_string()),
        Just("é".to_string()),
        Just("FR-01 ".to_string()),
        Just("TODO ".to_string()),
        Just("[NEEDS CLARIFICATION: x]".to_string()),
        Just("# specls-ignore duplicate-scenario-name\n".to_string()),
        Just("    then: done\n".to_string()),
        Just("    id: S-1\n".to_string()),
        Just("    when: the user saves\n".to_string()),
        Just("- **FR-09**: The system MUST x\n".to_string()),
        Just("  - name: Save again\n".to_string()),
        Just("p95 latency < 200ms".to_string()),
        "[a-z0-9 ]{0,6}",
    ];
    let piece = prop_oneof![
        3 => text.prop_map(Piece::Text),
        2 => (0usize..64, 0.0..1.0f64).prop_map(|(f, at)| Piece::LineOf(f, at)),
    ];
    prop::collection::vec((0usize..64, 0.0..1.0f64, 0usize..40, piece), 1..8)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The line (with its line break) around a fraction of `text`.
fn line_at(text: &str, at: f64) -> String {
    let i = floor_boundary(text, (text.len() as f64 * at) as usize);
    let start = text[..i].rfind('\n').map_or(0, |p| p + 1);
    let end = text[i..].find('\n').map_or(text.len(), |p| i + p + 1);
    text[start..end].to_string()
}

fn fresh(texts: &[(String, String)], config: &Config) -> Workspace {
    let mut ws = Workspace::new();
    for (path, text) in texts {
        ws.upsert_bytes_with(path, text.as_bytes(), config);
    }
    ws
}

/// The texts of a generated corpus, their workspace and a fresh analysis that has checked it.
fn start(
    format: Format,
    shape: Shape,
    config: &Config,
) -> (Vec<(String, String)>, Workspace, Analysis) {
    let corpus = Corpus::generate(format, shape);
    let mut texts: Vec<(String, String)> = corpus
        .files
        .iter()
        .map(|f| (f.path.clone(), f.text.clone()))
        .collect();
    texts.extend(extra_files(&texts[0].1));
    let ws = fresh(&texts, config);
    let mut analysis = Analysis::new();
    assert_eq!(
        analysis.check(&ws, config, &Env::default()),
        check_workspace(&ws, config)
    );
    (texts, ws, analysis)
}

/// Specs beside the generated ones, so that edits reach every check the analysis caches:
/// the fixtures of the checks (a feature split over files, constraints in units, suppression
/// markers, requirements, functions and examples, dependencies), and a YAML spec of the same
/// feature as the first generated file, with explicit ids (repeated inside it and with a
/// scenario of the first file's name), a constraint, placeholders and a suppression marker.
fn extra_files(first: &str) -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/checks");
    let mut out = Vec::new();
    for sub in [
        "feature-split",
        "constraints-units",
        "suppress",
        "dependencies/specs",
    ] {
        let mut names: Vec<_> = std::fs::read_dir(dir.join(sub))
            .expect("fixture folder")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.contains(".spec."))
            .collect();
        names.sort();
        for n in names {
            let text = std::fs::read_to_string(dir.join(sub).join(&n)).expect("fixture");
            out.push((format!("extra/{sub}/{n}"), text));
        }
    }
    // The first generated file's feature (YAML `feature:` or a Markdown title) and its first
    // scenario's name.
    let feature = first
        .lines()
        .find_map(|l| {
            l.strip_prefix("feature: ")
                .or_else(|| l.strip_prefix("# Feature: "))
                .or_else(|| l.strip_prefix("name: "))
                .or_else(|| l.strip_prefix("# "))
        })
        .unwrap_or("x")
        .to_string();
    let name = first
        .lines()
        .find_map(|l| {
            l.trim_start()
                .strip_prefix("- name: ")
                .or_else(|| l.split_once("Scenario: ").map(|(_, n)| n))
        })
        .unwrap_or("x")
        .to_string();
    let yaml = format!(
        "feature: {feature}\ndescription: the same feature as a generated file\n\nconstraints:\n  performance:\n    - name: Latency\n      requirement: p95 latency < 100ms\n\nscenarios:\n  - name: {name}\n    id: S-1\n    given: a user FR-01\n    when: the user saves\n    then: the record is \"saved\"\n\n  - name: Save again\n    id: S-1\n    given: a user FR-01\n    when: the user saves\n    then: the record is \"rejected\"\n\n  # specls-ignore duplicate-scenario-steps\n  - name: Save a third time TODO\n    id: S-3\n    given: a user FR-01\n    when: the user saves\n    then: the record is \"saved\"\n\n  - name: {name}\n    id: S-4\n    given: another user\n    when: the user leaves\n    then: nothing is saved\n"
    );
    out.push(("extra/same-feature.spec.yaml".to_string(), yaml));
    out
}

fn check(format: Format, edits: Vec<EditSpec>) {
    let config = Config::default();
    let env = Env::default();
    let (mut texts, mut ws, mut analysis) = start(format, Shape::new(3, 50, 5), &config);
    for (fi, at, del, piece) in edits {
        let fi = fi % texts.len();
        let insert = match piece {
            Piece::Text(t) => t,
            Piece::LineOf(other, at) => line_at(&texts[other % texts.len()].1, at),
        };
        let (path, text) = &texts[fi];
        let start = floor_boundary(text, (text.len() as f64 * at) as usize);
        let mut end = (start + del).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let new = format!("{}{}{}", &text[..start], insert, &text[end..]);
        ws.update_text_with(path, &new, &config);
        texts[fi].1 = new;
        let incremental = analysis.check(&ws, &config, &env);
        let full = check_workspace(&fresh(&texts, &config), &config);
        assert_eq!(
            incremental, full,
            "after editing {} at {start}..{end} with {insert:?}",
            texts[fi].0
        );
    }
}

proptest! {
    // 64 cases by default; `PROPTEST_CASES=5000` for a long run.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]
    #[test]
    fn yaml_incremental_analysis_equals_full(e in edits()) {
        check(Format::Yaml, e);
    }
    #[test]
    fn markdown_incremental_analysis_equals_full(e in edits()) {
        check(Format::Markdown, e);
    }
    #[test]
    fn specsoloist_incremental_analysis_equals_full(e in edits()) {
        check(Format::SpecSoloist, e);
    }
}

/// The edit the benchmark makes, many times over: a scenario's name made equal to the one
/// before it (a duplicate), then restored, in one big file.
#[test]
fn renaming_scenarios_back_and_forth_matches_full_analysis() {
    for format in [Format::Yaml, Format::Markdown] {
        let config = Config::default();
        let env = Env::default();
        let (mut texts, mut ws, mut analysis) = start(format, Shape::new(2, 60, 9), &config);
        for g in [61usize, 75, 100, 118] {
            let text = &texts[1].1;
            let Some(e) = text.find(&format!(" number {g}\n")) else {
                continue;
            };
            let end = e + format!(" number {g}").len();
            let start = text[..end].rfind(": ").unwrap() + 2;
            let own = text[start..end].to_string();
            let pe = text.find(&format!(" number {}\n", g - 1)).unwrap()
                + format!(" number {}", g - 1).len();
            let ps = text[..pe].rfind(": ").unwrap() + 2;
            let before = text[ps..pe].to_string();
            for (old_len, name) in [(own.len(), &before), (before.len(), &own)] {
                let text = &texts[1].1;
                let new = format!("{}{}{}", &text[..start], name, &text[start + old_len..]);
                ws.update_text_with(&texts[1].0, &new, &config);
                texts[1].1 = new;
                assert_eq!(
                    analysis.check(&ws, &config, &env),
                    check_workspace(&fresh(&texts, &config), &config),
                    "{format:?}: scenario {g} named {name:?}"
                );
            }
        }
    }
}

/// A file of many copies of one scenario (every join has one big group), in two files, edited:
/// the same diagnostics as a full analysis.
#[test]
fn copies_of_one_scenario_match_full_analysis() {
    let config = Config::default();
    let env = Env::default();
    let copy =
        "  - name: Pay the bill\n    given: a table\n    when: I pay\n    then: it is \"paid\"\n\n";
    let mut texts = vec![
        (
            "a.spec.yaml".to_string(),
            format!("feature: Bills\n\nscenarios:\n{}", copy.repeat(300)),
        ),
        (
            "b.spec.yaml".to_string(),
            format!("feature: Bills\n\nscenarios:\n{}", copy.repeat(20)),
        ),
    ];
    let mut ws = fresh(&texts, &config);
    let mut analysis = Analysis::new();
    assert_eq!(
        analysis.check(&ws, &config, &env),
        check_workspace(&ws, &config)
    );
    for (file, from, to) in [
        (0, "Pay the bill\n", "Pay the bills\n"),
        (0, "it is \"paid\"", "it is \"unpaid\""),
        (1, "Pay the bill\n", "Pay\n"),
        (0, "Pay the bills\n", "Pay the bill\n"),
    ] {
        let (path, text) = &texts[file];
        let at = text.rfind(from).expect("the text to edit");
        let new = format!("{}{}{}", &text[..at], to, &text[at + from.len()..]);
        ws.update_text_with(path, &new, &config);
        texts[file].1 = new;
        assert_eq!(
            analysis.check(&ws, &config, &env),
            check_workspace(&fresh(&texts, &config), &config),
            "after {from:?} -> {to:?} in file {file}"
        );
    }
}
