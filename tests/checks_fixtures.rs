//! The checks on small fixture workspaces (`tests/fixtures/checks/<case>/`), each snapshotted
//! with related places and fixes; a `specls.toml` in a case folder is applied. Also: the
//! incremental [`Analysis`] gives the same result as a full check after an edit, and reuses
//! the per-file results of files that did not change.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use specls_core::checks::{check_workspace, check_workspace_with, Analysis, Env};
use specls_core::config::Config;
use specls_core::model::DocKind;

use common::diags::render;

fn run_case(name: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/checks")
        .join(name);
    let (ws, errors) = specls::files::load(&dir, std::slice::from_ref(&dir));
    assert!(errors.is_empty(), "{errors:?}");
    let config = match std::fs::read_to_string(dir.join("specls.toml")) {
        Ok(t) => {
            let (c, issues) = Config::from_toml(&t);
            assert!(issues.is_empty(), "{issues:?}");
            c
        }
        Err(_) => Config::default(),
    };
    let d = dir.clone();
    let file_exists = move |p: &str| d.join(p).is_file();
    let env = Env {
        tool_exists: None,
        file_exists: Some(&file_exists),
    };
    let diags = check_workspace_with(&ws, &config, &env);
    let texts: BTreeMap<String, String> = ws
        .files
        .iter()
        .map(|(p, f)| (p.clone(), f.text.to_string()))
        .collect();
    render(&diags, &texts)
}

#[test]
fn feature_split_over_files() {
    insta::assert_snapshot!("feature_split", run_case("feature-split"));
}

#[test]
fn suppression_markers_and_config_levels() {
    insta::assert_snapshot!("suppress", run_case("suppress"));
}

#[test]
fn constraints_in_different_units_and_files() {
    insta::assert_snapshot!("constraints_units", run_case("constraints-units"));
}

#[test]
fn dependencies_cycles_and_typos() {
    insta::assert_snapshot!("dependencies", run_case("dependencies"));
}

#[test]
fn incremental_analysis_matches_a_full_check() {
    let mut ws = specls_core::workspace::Workspace::new();
    let a = "feature: A\nscenarios:\n  - name: One\n    given: x\n    when: y\n    then: the status is \"a\"\n";
    let b = "feature: B\nscenarios:\n  - name: Two\n    given: x\n    when: y\n    then: the status is \"a\"\n";
    let c = "feature: C\nscenarios:\n  - name: Three\n    given: p\n    when: q\n    then: r\n";
    ws.upsert("a.spec.yaml", a, DocKind::YamlSpec);
    ws.upsert("b.spec.yaml", b, DocKind::YamlSpec);
    ws.upsert("c.spec.yaml", c, DocKind::YamlSpec);
    let config = Config::default();
    let env = Env::default();
    let mut analysis = Analysis::new();
    let first = analysis.check(&ws, &config, &env);
    assert_eq!(first, check_workspace(&ws, &config));
    assert_eq!(first["b.spec.yaml"][0].code, "duplicate-scenario-steps");
    let c_before = analysis.summary("c.spec.yaml").unwrap() as *const _;
    let b_before = analysis.summary("b.spec.yaml").unwrap().clone();

    // Edit b: the duplicate becomes a conflict; a and c keep their cached per-file results.
    ws.upsert(
        "b.spec.yaml",
        &b.replace("\"a\"", "\"b\""),
        DocKind::YamlSpec,
    );
    let second = analysis.check(&ws, &config, &env);
    assert_eq!(second, check_workspace(&ws, &config));
    let codes: Vec<&str> = second.values().flatten().map(|d| d.code).collect();
    assert_eq!(
        codes,
        vec!["conflicting-scenarios", "conflicting-scenarios"]
    );
    assert!(std::ptr::eq(
        c_before,
        analysis.summary("c.spec.yaml").unwrap()
    ));
    // b was checked again (its summary has the new Then; an address comparison would not
    // tell: the new summary may be allocated where the old one was).
    assert_ne!(&b_before, analysis.summary("b.spec.yaml").unwrap());

    // Removing a file drops its findings and the cross-file ones it caused.
    ws.remove("a.spec.yaml");
    let third = analysis.check(&ws, &config, &env);
    assert_eq!(third, check_workspace(&ws, &config));
    assert!(third.values().all(Vec::is_empty));
    assert!(analysis.summary("a.spec.yaml").is_none());
}
