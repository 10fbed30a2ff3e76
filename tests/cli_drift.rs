//! `specls check --drift` end to end: the drift fixture workspace compiled (manifest recorded),
//! then changed (a scenario edited, a generated file edited by hand, a spec added), checked by
//! the real binary in every output format; exit codes follow `--deny`; without `--drift` the
//! check is unchanged; a corrupt manifest is an error, not a crash.

mod common;

use std::path::Path;
use std::process::Command;

use common::drift::{fixtures, load, record_all};
use common::fs::copy_tree;

const BIN: &str = env!("CARGO_BIN_EXE_specls");

fn workspace() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&fixtures().join("base"), root);
    std::fs::create_dir_all(root.join(".git")).unwrap();
    let compiled = load(root);
    specls::drift::save_manifest(root, &record_all(root, &compiled)).unwrap();
    for case in ["scenario-changed", "generated-edited", "never-compiled"] {
        copy_tree(&fixtures().join("cases").join(case).join("changes"), root);
    }
    tmp
}

fn run(cwd: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .arg("check")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("SPECLS_LOG")
        .output()
        .expect("run specls");
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .replace(&cwd.display().to_string(), "[TMP]");
    (out.status.code().unwrap_or(-1), text)
}

fn codes(json: &str) -> Vec<String> {
    let start = json.find("--- stdout\n").unwrap() + "--- stdout\n".len();
    let end = json.find("--- stderr").unwrap();
    let v: serde_json::Value = serde_json::from_str(&json[start..end]).unwrap();
    let mut out: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["path"].as_str().unwrap(),
                d["code"].as_str().unwrap()
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn drift_in_every_format() {
    let ws = workspace();
    let root = ws.path();
    let (code, human) = run(root, &["--drift", "score"]);
    assert_eq!(code, 0, "drift is no error by default:\n{human}");
    insta::assert_snapshot!("drift_human", human);
    let (_, json) = run(root, &["--drift", "--format", "json", "score"]);
    insta::assert_snapshot!("drift_json_codes", codes(&json).join("\n"));
    let (_, sarif) = run(root, &["--drift", "--format", "sarif", "score"]);
    assert!(
        sarif.contains("\"ruleId\": \"generated-file-edited\""),
        "{sarif}"
    );
}

#[test]
fn deny_levels_and_without_drift() {
    let ws = workspace();
    let root = ws.path();
    assert_eq!(run(root, &["--drift", "--deny", "warnings", "score"]).0, 1);
    assert_eq!(run(root, &["--drift", "--deny", "errors", "score"]).0, 0);
    let (code, plain) = run(root, &["--format", "json", "score"]);
    assert_eq!(code, 0);
    assert!(
        codes(&plain)
            .iter()
            .all(|c| !c.contains("compile") && !c.contains("generated")),
        "{plain}"
    );
}

#[test]
fn corrupt_manifest_is_reported() {
    let ws = workspace();
    let root = ws.path();
    std::fs::write(
        root.join(".specls/manifest.json"),
        "{\"version\": 1,\n  \"specs\": [\n",
    )
    .unwrap();
    let (code, out) = run(root, &["--drift", "score"]);
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!("drift_corrupt_manifest", out);
    std::fs::write(
        root.join(".specls/manifest.json"),
        "{\"version\": 9, \"specs\": {}}",
    )
    .unwrap();
    let (code, out) = run(root, &["--drift", "score"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("manifest version 9 is not supported"), "{out}");
}
