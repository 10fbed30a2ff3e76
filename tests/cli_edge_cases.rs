//! `specls edge-cases` on the command line: proposals printed for one scenario (snapshot), written
//! into a copy of the task-management workspace (they parse back as scenarios marked proposed and
//! raise no duplicate or conflict), and usage errors.

use std::path::Path;
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/examples/task-management");
    copy_dir(&src, dir.path());
    std::fs::write(dir.path().join("specls.toml"), "").unwrap();
    dir
}

fn specls(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_specls"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prints_the_proposals_for_one_scenario() {
    let ws = workspace();
    let (code, out, err) = specls(
        ws.path(),
        &[
            "edge-cases",
            "tasks.spec.yaml",
            "--scenario",
            "task-complete",
        ],
    );
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("edge_cases_task_complete", out);
    let (code, json, _) = specls(
        ws.path(),
        &[
            "edge-cases",
            "tasks.spec.yaml",
            "--scenario",
            "task-complete",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["spec"], "tasks.spec.yaml");
    assert!(v["proposals"].as_array().is_some_and(|p| !p.is_empty()));
}

#[test]
fn write_inserts_proposed_scenarios_that_parse_back_and_conflict_with_nothing() {
    let ws = workspace();
    let path = ws.path().join("tasks.spec.yaml");
    let before = std::fs::read_to_string(&path).unwrap();
    let n_before = specls_core::parse::parse_document(
        "tasks.spec.yaml",
        &before,
        specls_core::DocKind::YamlSpec,
    )
    .scenarios
    .len();
    let (_, json, _) = specls(
        ws.path(),
        &["edge-cases", "tasks.spec.yaml", "--format", "json"],
    );
    let proposed = serde_json::from_str::<serde_json::Value>(&json).unwrap()["proposals"]
        .as_array()
        .unwrap()
        .len();
    assert!(proposed > 0);
    let (code, _, err) = specls(ws.path(), &["edge-cases", "tasks.spec.yaml", "--write"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("inserted {proposed} proposed scenarios")),
        "{err}"
    );
    let after = std::fs::read_to_string(&path).unwrap();
    let doc = specls_core::parse::parse_document(
        "tasks.spec.yaml",
        &after,
        specls_core::DocKind::YamlSpec,
    );
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
    assert_eq!(doc.scenarios.len(), n_before + proposed);
    let marked = doc
        .scenarios
        .iter()
        .filter(|s| s.tags.iter().any(|t| t == "proposed"))
        .count();
    assert_eq!(marked, proposed);
    let (_, check, _) = specls(ws.path(), &["check", "--format", "json", "--deny", "none"]);
    let check: serde_json::Value = serde_json::from_str(&check).unwrap();
    let codes: Vec<&str> = check["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(
        !codes
            .iter()
            .any(|c| c.starts_with("duplicate-") || c.starts_with("conflicting-")),
        "{codes:?}"
    );
    assert!(!ws.path().read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".tmp")));
}

#[test]
fn unknown_scenario_and_missing_file_are_usage_errors() {
    let ws = workspace();
    let (code, _, err) = specls(
        ws.path(),
        &["edge-cases", "tasks.spec.yaml", "--scenario", "nope"],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("no scenario `nope`") && err.contains("task-create"),
        "{err}"
    );
    let (code, _, err) = specls(ws.path(), &["edge-cases", "missing.spec.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a file"), "{err}");
    let (code, _, _) = specls(ws.path(), &["edge-cases", "README.md"]);
    assert_eq!(code, 2);
}
