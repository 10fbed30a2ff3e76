//! End-to-end tests of the test features of the language server (in-process, duplex pipe):
//! lenses, test diagnostics, hover, navigation between scenarios and tests, code actions and
//! the run commands, on a copy of `tests/fixtures/lsp/testlens` in a temporary folder.

#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};

use lsp_client::{file_uri, TestClient};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lsp")
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// A fresh copy of the fixture workspace; with `results`, the pytest report is already in
/// `.specls/results/`.
fn workspace(results: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("testlens"), dir.path());
    if results {
        let r = dir.path().join(".specls/results");
        std::fs::create_dir_all(&r).unwrap();
        std::fs::copy(fixture("testlens_results/junit.xml"), r.join("pytest.xml")).unwrap();
    }
    dir
}

struct Ws {
    dir: tempfile::TempDir,
}

impl Ws {
    fn root(&self) -> &Path {
        self.dir.path()
    }
    fn uri(&self, rel: &str) -> String {
        file_uri(&self.root().join(rel))
    }
    fn redact(&self, v: &Value) -> Value {
        let root_uri = file_uri(self.root());
        let root_path = self
            .root()
            .canonicalize()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        fn walk(v: &Value, a: &str, b: &str) -> Value {
            match v {
                Value::String(s) => Value::String(s.replace(a, "file:///ROOT").replace(b, "/ROOT")),
                Value::Array(x) => Value::Array(x.iter().map(|y| walk(y, a, b)).collect()),
                Value::Object(o) => Value::Object(
                    o.iter()
                        .map(|(k, x)| (k.replace(a, "file:///ROOT"), walk(x, a, b)))
                        .collect(),
                ),
                other => other.clone(),
            }
        }
        walk(v, &root_uri, &root_path)
    }
    /// Position of the first `needle` in a file (+ `shift` characters), UTF-16.
    fn pos(&self, rel: &str, needle: &str, shift: usize) -> Value {
        let text = std::fs::read_to_string(self.root().join(rel)).unwrap();
        let at = text.find(needle).expect("needle not found") + shift;
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = text[..at].matches('\n').count();
        let col = text[line_start..at].encode_utf16().count();
        json!({"line": line, "character": col})
    }
    fn at(&self, rel: &str, needle: &str) -> Value {
        json!({"textDocument": {"uri": self.uri(rel)}, "position": self.pos(rel, needle, 1)})
    }
}

const SPEC: &str = "specs/cart.spec.md";
const TESTS: &str = "tests/test_cart.py";

async fn start(ws: &Ws, caps: Value) -> TestClient {
    let c = TestClient::start();
    c.initialize(Some(ws.root()), caps, json!({"pollInterval": 0}))
        .await;
    c
}

fn has_code(params: &Value, code: &str) -> bool {
    params["diagnostics"]
        .as_array()
        .is_some_and(|a| a.iter().any(|d| d["code"] == code))
}

/// Lenses as one line each: `line: title -> command args`.
fn render_lenses(lenses: &Value) -> String {
    let mut out = String::new();
    for l in lenses.as_array().unwrap() {
        let cmd = &l["command"];
        out.push_str(&format!(
            "{}:{} {}",
            l["range"]["start"]["line"], l["range"]["start"]["character"], cmd["title"]
        ));
        if cmd["command"] != "" {
            out.push_str(&format!(" -> {} {}", cmd["command"], cmd["arguments"]));
        }
        out.push('\n');
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lenses_and_diagnostics_from_the_last_run() {
    let ws = Ws {
        dir: workspace(true),
    };
    let c = start(&ws, json!({})).await;
    let spec_uri = ws.uri(SPEC);
    let diags = c
        .wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-failed"))
        .await;
    insta::assert_json_snapshot!("testlens_spec_diagnostics", ws.redact(&diags));
    let test_diags = c
        .wait_diagnostics(&ws.uri(TESTS), |p| has_code(p, "unknown-scenario-marker"))
        .await;
    insta::assert_json_snapshot!("testlens_test_file_diagnostics", ws.redact(&test_diags));
    let lenses = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": spec_uri}}),
        )
        .await;
    insta::assert_snapshot!(
        "testlens_lenses",
        ws.redact(&json!(render_lenses(&lenses))).as_str().unwrap()
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lenses_without_results_say_not_run() {
    let ws = Ws {
        dir: workspace(false),
    };
    let c = start(&ws, json!({})).await;
    let spec_uri = ws.uri(SPEC);
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-untested"))
        .await;
    let lenses = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": spec_uri}}),
        )
        .await;
    insta::assert_snapshot!(
        "testlens_lenses_not_run",
        ws.redact(&json!(render_lenses(&lenses))).as_str().unwrap()
    );
    c.shutdown().await;
}

/// Fix the modification time of the stored report, so the hover's "last run" is stable.
fn stamp_results(ws: &Ws) {
    let f = std::fs::File::options()
        .write(true)
        .open(ws.root().join(".specls/results/pytest.xml"))
        .unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_255_200))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_shows_tests_and_the_failure() {
    let ws = Ws {
        dir: workspace(true),
    };
    stamp_results(&ws);
    let c = start(&ws, json!({})).await;
    c.wait_diagnostics(&ws.uri(SPEC), |p| has_code(p, "scenario-failed"))
        .await;
    let failed = c
        .call("textDocument/hover", ws.at(SPEC, "Apply a discount"))
        .await;
    insta::assert_snapshot!(
        "testlens_hover_failed",
        failed["contents"]["value"].as_str().unwrap()
    );
    let passed = c
        .call("textDocument/hover", ws.at(SPEC, "Add an item"))
        .await;
    insta::assert_snapshot!(
        "testlens_hover_passed",
        passed["contents"]["value"].as_str().unwrap()
    );
    let untested = c.call("textDocument/hover", ws.at(SPEC, "Check out")).await;
    insta::assert_snapshot!(
        "testlens_hover_untested",
        untested["contents"]["value"].as_str().unwrap()
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn navigation_between_scenarios_and_tests() {
    let ws = Ws {
        dir: workspace(false),
    };
    let c = start(&ws, json!({})).await;
    c.wait_diagnostics(&ws.uri(SPEC), |p| has_code(p, "scenario-untested"))
        .await;
    // Scenario -> its tests (marker and convention links).
    let by_marker = c
        .call("textDocument/definition", ws.at(SPEC, "Remove an item"))
        .await;
    let by_name = c
        .call("textDocument/definition", ws.at(SPEC, "Apply a discount"))
        .await;
    // A marker in a test -> its scenario.
    let marker = c
        .call("textDocument/definition", ws.at(TESTS, "cart-empty"))
        .await;
    let mut refs = ws.at(SPEC, "Add an item");
    refs["context"] = json!({"includeDeclaration": false});
    let refs = c.call("textDocument/references", refs).await;
    insta::assert_json_snapshot!(
        "testlens_navigation",
        ws.redact(&json!({
            "definition_by_marker": by_marker,
            "definition_by_name": by_name,
            "marker_to_scenario": marker,
            "references": refs,
        }))
    );
    // Renaming an explicit id updates the markers in the tests.
    let mut rename = ws.at(SPEC, "cart-empty}");
    rename["newName"] = json!("cart-clear");
    let edit = c.call("textDocument/rename", rename).await;
    insta::assert_json_snapshot!("testlens_rename_id", ws.redact(&edit));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_actions_skeleton_and_run() {
    let ws = Ws {
        dir: workspace(false),
    };
    let c = start(&ws, json!({})).await;
    let pay = "specs/payment.spec.md";
    let diags = c
        .wait_diagnostics(&ws.uri(pay), |p| has_code(p, "scenario-untested"))
        .await;
    let untested = diags["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "scenario-untested")
        .unwrap()
        .clone();
    // The test file does not exist: the fix creates it, then writes the skeleton.
    let actions = c
        .call(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": ws.uri(pay)},
                "range": untested["range"],
                "context": {"diagnostics": [untested], "only": ["quickfix"]},
            }),
        )
        .await;
    insta::assert_json_snapshot!("testlens_skeleton_create_file", ws.redact(&actions));
    // Source actions run the same command as the lenses.
    let source = c
        .call(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": ws.uri(SPEC)},
                "range": {"start": ws.pos(SPEC, "Remove an item", 0), "end": ws.pos(SPEC, "Remove an item", 0)},
                "context": {"diagnostics": [], "only": ["source"]},
            }),
        )
        .await;
    insta::assert_json_snapshot!("testlens_source_actions", ws.redact(&source));
    c.shutdown().await;
}
