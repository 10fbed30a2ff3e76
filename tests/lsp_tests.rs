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
    insta::assert_snapshot!("testlens_lenses", ws.redact(&json!(render_lenses(&lenses))).as_str().unwrap());
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
    insta::assert_snapshot!("testlens_lenses_not_run", ws.redact(&json!(render_lenses(&lenses))).as_str().unwrap());
    c.shutdown().await;
}
