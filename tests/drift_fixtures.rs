//! Drift on fixture workspaces (`tests/fixtures/drift/`, see its README): `base/` is compiled,
//! each case changes it, and the drift of every spec is snapshotted (one line per spec, then
//! the diagnostics), for every kind of drift.

mod common;

use std::collections::BTreeMap;

use common::drift::{fixtures, load, record_all};
use common::fs::copy_tree;
use specls_core::drift::{self, Drift};
use specls_core::manifest;

/// Apply a case to a copy of `base/` and return the drift, rendered.
fn run_case(case: &str) -> (String, Drift) {
    let base = fixtures().join("base");
    let case_dir = fixtures().join("cases").join(case);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&base, root);
    let compiled = load(root);
    let changes = case_dir.join("changes");
    let specsoloist = changes.join(manifest::specsoloist::DEFAULT_PATH);
    if specsoloist.is_file() {
        // Fill in the hashes of the compiled texts.
        let mut text = std::fs::read_to_string(&specsoloist).unwrap();
        for (path, f) in &compiled.files {
            text = text.replace(
                &format!("{{compiled-hash:{path}}}"),
                &manifest::spec_hash(&f.text),
            );
        }
        assert!(!text.contains("{compiled-hash:"), "unknown path in {case}");
        copy_tree(&changes, root);
        std::fs::write(root.join(manifest::specsoloist::DEFAULT_PATH), text).unwrap();
    } else {
        specls::drift::save_manifest(root, &record_all(root, &compiled)).unwrap();
        if changes.is_dir() {
            copy_tree(&changes, root);
        }
    }
    if let Ok(deleted) = std::fs::read_to_string(case_dir.join("deleted.txt")) {
        for l in deleted.lines().filter(|l| !l.trim().is_empty()) {
            std::fs::remove_file(root.join(l.trim())).unwrap();
        }
    }
    let now = load(root);
    let loaded = specls::drift::load_manifest(root, &now);
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let hashes = specls::drift::hash_outputs(root, &loaded.manifest);
    let d = drift::drift(&now, &loaded.manifest, &hashes);
    let mut out = String::new();
    for s in &d.specs {
        out.push_str(&format!("{}: {}\n", s.path, s.summary()));
    }
    out.push('\n');
    let diags = drift::diagnostics(&now, &d);
    let texts: BTreeMap<String, String> = now
        .files
        .iter()
        .map(|(p, f)| (p.clone(), f.text.to_string()))
        .collect();
    out.push_str(&common::diags::render(&diags, &texts));
    (out, d)
}

#[test]
fn up_to_date() {
    let (out, d) = run_case("up-to-date");
    assert!(d.drifted().next().is_none(), "{out}");
    insta::assert_snapshot!("up_to_date", out);
}

// @spec drift-scenario-changed
#[test]
fn scenarios_and_requirements_changed_added_removed() {
    let (out, d) = run_case("scenario-changed");
    // Exactly the touched scenarios: the changed, the added and (on the spec) the removed one.
    let scenario_lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("scenario-changed-since-compile"))
        .collect();
    assert_eq!(scenario_lines.len(), 3, "{out}");
    assert!(
        out.contains("1 scenario changed, 1 added, 1 removed"),
        "{out}"
    );
    insta::assert_snapshot!("scenario_changed", out);
    // The shape `specls.showDrift` and the MCP tools return.
    insta::assert_json_snapshot!("scenario_changed_json", d.get("score/todo.spec.md"));
}

#[test]
fn layout_only_edit_changes_the_spec_but_no_scenario() {
    insta::assert_snapshot!("layout_only", run_case("layout-only").0);
}

// @spec drift-hand-edited-output
#[test]
fn generated_file_edited_by_hand() {
    let out = run_case("generated-edited").0;
    assert!(
        out.lines()
            .any(|l| l.contains("warning generated-file-edited") && l.contains("`src/todo.py`")),
        "{out}"
    );
    insta::assert_snapshot!("generated_edited", out);
}

#[test]
fn generated_files_missing() {
    insta::assert_snapshot!("generated_missing", run_case("generated-missing").0);
}

#[test]
fn dependency_changed_since_compile() {
    insta::assert_snapshot!("dependency_changed", run_case("dependency-changed").0);
}

#[test]
fn dependency_list_changed() {
    insta::assert_snapshot!(
        "dependency_list_changed",
        run_case("dependency-list-changed").0
    );
}

#[test]
fn never_compiled_only_where_an_arrangement_governs() {
    let (out, d) = run_case("never-compiled");
    // Plain scenario files and reference specs are not meant to be compiled.
    assert!(d.get("notes/ideas.spec.md").is_none());
    assert!(d.get("score/glossary.spec.md").is_none());
    insta::assert_snapshot!("never_compiled", out);
}

#[test]
fn specsoloist_manifest() {
    insta::assert_snapshot!("specsoloist", run_case("specsoloist").0);
}
