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

/// A client that resolves lenses (`codeLens.resolveSupport`, as VS Code does) gets the test
/// lenses unresolved, and `codeLens/resolve` completes each to what a client that does not
/// resolve gets at once. A lens answered before an edit resolves to the scenario it was answered
/// for, wherever that scenario went, with its latest status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolved_lenses_are_the_complete_ones() {
    let ws = Ws {
        dir: workspace(true),
    };
    let caps =
        json!({"textDocument": {"codeLens": {"resolveSupport": {"properties": ["command"]}}}});
    let c = start(&ws, caps).await;
    let spec_uri = ws.uri(SPEC);
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-failed"))
        .await;
    let lenses = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": spec_uri}}),
        )
        .await;
    let lenses = lenses.as_array().unwrap().clone();
    assert_eq!(lenses.len(), 6, "{lenses:?}");
    assert!(
        lenses
            .iter()
            .all(|l| l.get("command").is_none() && l["data"].is_u64()),
        "{lenses:?}"
    );
    let mut resolved = Vec::new();
    for l in &lenses {
        resolved.push(c.call("codeLens/resolve", l.clone()).await);
    }
    insta::assert_snapshot!(
        "testlens_lenses",
        ws.redact(&json!(render_lenses(&json!(resolved))))
            .as_str()
            .unwrap()
    );

    // A scenario inserted above the first: the old lens of `cart-add` still runs `cart-add`
    // and shows its result.
    let text = std::fs::read_to_string(ws.root().join(SPEC)).unwrap();
    c.open(&spec_uri, &text).await;
    let line = text
        .lines()
        .position(|l| l.starts_with("### Scenario: Add an item"))
        .unwrap();
    c.change(
        &spec_uri,
        2,
        json!([{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                "text": "### Scenario: Browse {#cart-browse}\n\n- **Given** a shop\n- **When** I look\n- **Then** I see items\n\n"}]),
    )
    .await;
    let again = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": spec_uri}}),
        )
        .await;
    assert_eq!(again.as_array().unwrap().len(), 7, "{again}");
    let old = c.call("codeLens/resolve", lenses[1].clone()).await;
    assert_eq!(
        old["command"]["arguments"][0]["scenarios"],
        json!(["cart-add"]),
        "{old}"
    );
    assert_eq!(
        old["command"]["title"], "▶ Run · ✓ passed in 12 ms (1 test)",
        "{old}"
    );
    let new = c.call("codeLens/resolve", again[1].clone()).await;
    assert_eq!(
        new["command"]["arguments"][0]["scenarios"],
        json!(["cart-browse"]),
        "{new}"
    );
    assert_eq!(new["command"]["title"], "▶ Run · untested", "{new}");
    // Not a lens of ours: an error, and the server goes on.
    let bad = c
        .request(
            "codeLens/resolve",
            json!({"range": lenses[1]["range"], "data": "x"}),
        )
        .await;
    assert!(bad.get("error").is_some(), "{bad}");
    // A handle no answer gave: an error too.
    let unknown = c
        .request(
            "codeLens/resolve",
            json!({"range": lenses[1]["range"], "data": 1u64 << 40}),
        )
        .await;
    assert!(unknown.get("error").is_some(), "{unknown}");
    c.shutdown().await;
}

/// A lens request sent right after an edit sees that edit, whether the server still has to
/// parse it or its diagnostics were published already (the request then takes the snapshot
/// they were built from, without asking the state owner), for a client that resolves lenses
/// and one that does not; asked again without an edit, the same answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lens_request_sees_every_edit_before_it() {
    for resolving in [true, false] {
        let ws = Ws {
            dir: workspace(true),
        };
        let caps = if resolving {
            json!({"textDocument": {"codeLens": {"resolveSupport": {"properties": ["command"]}}}})
        } else {
            json!({})
        };
        let c = start(&ws, caps).await;
        let spec_uri = ws.uri(SPEC);
        c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-failed"))
            .await;
        let mut text = std::fs::read_to_string(ws.root().join(SPEC)).unwrap();
        c.open(&spec_uri, &text).await;
        let lenses = |uri: &str| {
            c.call(
                "textDocument/codeLens",
                json!({"textDocument": {"uri": uri}}),
            )
        };
        let before = lenses(&spec_uri).await.as_array().unwrap().len();
        for round in 1..=24 {
            // A new scenario above the first one.
            let line = text
                .lines()
                .position(|l| l.starts_with("### Scenario:"))
                .unwrap();
            let added = format!(
                "### Scenario: Extra {round} {{#cart-extra-{round}}}\n\n- **Given** a\n- **When** b\n- **Then** c {round}\n\n"
            );
            let at = text
                .match_indices('\n')
                .nth(line - 1)
                .map_or(0, |(i, _)| i + 1);
            text.insert_str(at, &added);
            c.change(
                &spec_uri,
                round + 1,
                json!([{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}},
                        "text": added}]),
            )
            .await;
            if round % 3 == 0 {
                // Its diagnostics first: the request finds the snapshot they were built from.
                c.wait_diagnostics(&spec_uri, |p| p["version"] == json!(round + 1))
                    .await;
            }
            let got = lenses(&spec_uri).await;
            let all = got.as_array().unwrap();
            assert_eq!(all.len(), before + round as usize, "round {round}: {got}");
            let first = if resolving {
                c.call("codeLens/resolve", all[1].clone()).await
            } else {
                all[1].clone()
            };
            assert_eq!(
                first["command"]["arguments"][0]["scenarios"],
                json!([format!("cart-extra-{round}")]),
                "round {round}: {first}"
            );
            assert_eq!(
                all[1]["range"]["start"]["line"],
                json!(line),
                "round {round}: {got}"
            );
            assert_eq!(lenses(&spec_uri).await, got, "round {round}: asked again");
        }
        c.shutdown().await;
    }
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

/// The quick fixes offered for the first `scenario-untested` diagnostic of `spec`, once
/// published.
async fn skeleton_fixes(c: &TestClient, ws: &Ws, spec: &str) -> Vec<Value> {
    let diags = c
        .wait_diagnostics(&ws.uri(spec), |p| has_code(p, "scenario-untested"))
        .await;
    let untested = diags["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "scenario-untested")
        .unwrap()
        .clone();
    let actions = c
        .call(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": ws.uri(spec)},
                "range": untested["range"],
                "context": {"diagnostics": [untested], "only": ["quickfix"]},
            }),
        )
        .await;
    actions.as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_actions_skeleton_and_run() {
    let ws = Ws {
        dir: workspace(false),
    };
    let c = start(&ws, json!({})).await;
    let pay = "specs/payment.spec.md";
    // The test file does not exist: the fix creates it, then writes the skeleton.
    let actions = Value::Array(skeleton_fixes(&c, &ws, pay).await);
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

/// A hostile workspace cannot make the test-skeleton fix write outside it: not through an
/// arrangement whose test path climbs out with `..`, not through a symbolic link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skeleton_fixes_never_write_outside_the_workspace() {
    let pay = "specs/payment.spec.md";
    // A link where the test file would go, pointing out of the workspace.
    let outside = tempfile::tempdir().unwrap();
    let ws = Ws {
        dir: workspace(false),
    };
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        outside.path().join("stolen.py"),
        ws.root().join("tests/test_payment.py"),
    )
    .unwrap();
    let c = start(&ws, json!({})).await;
    let fixes = skeleton_fixes(&c, &ws, pay).await;
    assert!(
        fixes
            .iter()
            .all(|a| !a["title"].as_str().unwrap_or("").contains("skeleton")),
        "a skeleton fix writes through the link: {fixes:?}"
    );
    c.shutdown().await;
    assert!(!outside.path().join("stolen.py").exists());

    // An arrangement whose test path leaves the workspace.
    let ws = Ws {
        dir: workspace(false),
    };
    std::fs::write(
        ws.root().join("specs/arrangement.yaml"),
        "target_language: python\nspecs_path: specs/\noutput_paths:\n  implementation: src/{name}.py\n  tests: ../outside/test_{name}.py\n",
    )
    .unwrap();
    let c = start(&ws, json!({})).await;
    let fixes = skeleton_fixes(&c, &ws, pay).await;
    assert!(
        fixes
            .iter()
            .all(|a| !a.to_string().contains("outside/test_")),
        "a skeleton fix writes outside: {fixes:?}"
    );
    let arr = c
        .wait_diagnostics(&ws.uri("specs/arrangement.yaml"), |p| {
            has_code(p, "path-outside-workspace")
        })
        .await;
    assert!(
        arr.to_string().contains("../outside/test_{name}.py"),
        "{arr}"
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measured_constraints_inlay_hints_and_diagnostics() {
    let ws = Ws {
        dir: workspace(false),
    };
    let dir = ws.root().join(".specls/measurements");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/measurements/k6-summary-export.json"),
        dir.join("k6.json"),
    )
    .unwrap();
    let c = start(&ws, json!({})).await;
    let perf = "specs/perf.spec.yaml";
    let diags = c
        .wait_diagnostics(&ws.uri(perf), |p| has_code(p, "constraint-broken"))
        .await;
    insta::assert_json_snapshot!("testlens_constraint_broken", ws.redact(&diags));
    let hints = c
        .call(
            "textDocument/inlayHint",
            json!({
                "textDocument": {"uri": ws.uri(perf)},
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 100, "character": 0}},
            }),
        )
        .await;
    insta::assert_json_snapshot!("testlens_inlay_hints", ws.redact(&hints));
    c.shutdown().await;
}

/// A stand-in test command: writes a JUnit report where `test_remove` fails.
const FAKE_RUN: &str = r#"printf '<testsuite name="fake"><testcase classname="tests.test_cart" name="test_add" time="0.002"/><testcase classname="tests.test_cart" name="test_remove" time="0.003"><failure message="expected an empty cart">AssertionError: expected an empty cart</failure></testcase></testsuite>' > {report}"#;

fn progress_of<'a>(ns: &'a [Value], token: &Value) -> Vec<&'a Value> {
    ns.iter()
        .filter(|n| n["method"] == "$/progress" && n["params"]["token"] == *token)
        .map(|n| &n["params"]["value"])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_tests_command_progress_results_and_refresh() {
    let ws = Ws {
        dir: workspace(false),
    };
    std::fs::write(
        ws.root().join("specls.toml"),
        format!("[tests]\ncommand = '''{FAKE_RUN}'''\n"),
    )
    .unwrap();
    let caps = json!({
        "window": {"workDoneProgress": true},
        "workspace": {"codeLens": {"refreshSupport": true}},
    });
    let c = start(&ws, caps).await;
    let spec_uri = ws.uri(SPEC);
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-untested"))
        .await;
    // Unknown ids are refused before anything runs.
    let bad = c
        .request(
            "workspace/executeCommand",
            json!({"command": "specls.runTests", "arguments": [{"uri": spec_uri, "scenarios": ["nope"]}]}),
        )
        .await;
    assert!(
        bad["error"]["message"].as_str().unwrap().contains("nope"),
        "{bad}"
    );
    let started = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.runTests", "arguments": [{"uri": spec_uri, "scenarios": ["cart-remove"]}]}),
        )
        .await;
    let token = started["token"].clone();
    let command = started["command"].as_str().unwrap().to_string();
    assert!(command.starts_with("sh -c 'printf"), "{command}");
    // Progress: begun with the exact command as title, cancellable, then ended.
    let values: Vec<Value> = c
        .wait_for("the end of the run's progress", |ns| {
            let v = progress_of(ns, &token);
            v.iter()
                .any(|x| x["kind"] == "end")
                .then(|| v.into_iter().cloned().collect())
        })
        .await;
    assert_eq!(values[0]["kind"], "begin");
    assert_eq!(values[0]["title"], command.as_str());
    assert_eq!(values[0]["cancellable"], true);
    insta::assert_json_snapshot!("testlens_run_progress_end", values.last().unwrap());
    assert!(c
        .server_requests()
        .iter()
        .any(|r| r["method"] == "window/workDoneProgress/create" && r["params"]["token"] == token));
    // `specls/runFinished` says the run ended, once its results are in the state: the
    // scenarios read right after it show them.
    let finished: Value = c
        .wait_for("specls/runFinished", |ns| {
            ns.iter()
                .find(|n| n["method"] == "specls/runFinished" && n["params"]["token"] == token)
                .map(|n| n["params"].clone())
        })
        .await;
    assert_eq!(finished["command"], command.as_str());
    assert_eq!(finished["status"], "failed", "{finished}");
    assert_eq!(finished["message"], "specls: tests 1 passed, 1 failed");
    let scenarios = c.call("specls/scenarios", json!({})).await;
    let status_of = |id: &str| {
        scenarios["specs"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["scenarios"].as_array().unwrap())
            .find(|s| s["id"] == id)
            .map(|s| s["status"].clone())
    };
    assert_eq!(
        status_of("cart-remove"),
        Some(json!("failed")),
        "{scenarios}"
    );
    // The results reach the state: the failure is a diagnostic, the lenses show it, and the
    // client was asked to refresh its lenses.
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-failed"))
        .await;
    let lenses = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": spec_uri}}),
        )
        .await;
    insta::assert_snapshot!(
        "testlens_lenses_after_run",
        ws.redact(&json!(render_lenses(&lenses))).as_str().unwrap()
    );
    c.wait_for("a lens refresh request", |_| {
        c.server_requests()
            .iter()
            .any(|r| r["method"] == "workspace/codeLens/refresh")
            .then_some(())
    })
    .await;
    assert!(ws.root().join(".specls/results/last-run.json").is_file());
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_cancelled_from_the_progress_ui_and_by_command() {
    let ws = Ws {
        dir: workspace(false),
    };
    std::fs::write(
        ws.root().join("specls.toml"),
        "[tests]\ncommand = 'sleep 30'\n",
    )
    .unwrap();
    let c = start(&ws, json!({"window": {"workDoneProgress": true}})).await;
    let spec_uri = ws.uri(SPEC);
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-untested"))
        .await;
    for how in ["progress", "command"] {
        let started = c
            .call(
                "workspace/executeCommand",
                json!({"command": "specls.runTests", "arguments": [{"all": true}]}),
            )
            .await;
        let token = started["token"].clone();
        c.wait_for("the run's progress to begin", |ns| {
            (!progress_of(ns, &token).is_empty()).then_some(())
        })
        .await;
        let t0 = std::time::Instant::now();
        if how == "progress" {
            c.notify("window/workDoneProgress/cancel", json!({"token": token}))
                .await;
        } else {
            let r = c
                .call(
                    "workspace/executeCommand",
                    json!({"command": "specls.cancelRun"}),
                )
                .await;
            assert_eq!(r["cancelled"], 1);
        }
        let end: Value = c
            .wait_for("the run's end", |ns| {
                progress_of(ns, &token)
                    .into_iter()
                    .find(|v| v["kind"] == "end")
                    .cloned()
            })
            .await;
        assert!(t0.elapsed() < std::time::Duration::from_secs(20));
        let msg = end["message"].as_str().unwrap();
        assert!(msg.contains("cancelled"), "{how}: {msg}");
    }
    c.shutdown().await;
}

/// A test command that cannot run the tests (the interpreter has no pytest): no report, exit 1.
const BROKEN_RUN: &str = r#"echo "/usr/bin/python3: No module named pytest"; exit 1"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_reads_no_result_ends_in_error_with_what_the_runner_printed() {
    let ws = Ws {
        dir: workspace(true),
    };
    std::fs::write(
        ws.root().join("specls.toml"),
        format!("[tests]\ncommand = '''{BROKEN_RUN}'''\n"),
    )
    .unwrap();
    let c = start(&ws, json!({"window": {"workDoneProgress": true}})).await;
    let spec_uri = ws.uri(SPEC);
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-failed"))
        .await;
    let started = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.runTests", "arguments": [{"uri": spec_uri}]}),
        )
        .await;
    let token = started["token"].clone();
    let finished: Value = c
        .wait_for("specls/runFinished", |ns| {
            ns.iter()
                .find(|n| n["method"] == "specls/runFinished" && n["params"]["token"] == token)
                .map(|n| n["params"].clone())
        })
        .await;
    assert_eq!(finished["status"], "error", "{finished}");
    let message = finished["message"].as_str().unwrap().to_string();
    assert!(
        message.starts_with("specls: tests 0 passed; ")
            && message.ends_with("it printed: /usr/bin/python3: No module named pytest"),
        "{message}"
    );
    assert!(
        finished["output"]
            .as_str()
            .unwrap()
            .contains("No module named pytest"),
        "{finished}"
    );
    // The user is told the same, as an error.
    let shown: Value = c
        .wait_for("the error message", |ns| {
            ns.iter()
                .find(|n| {
                    n["method"] == "window/showMessage"
                        && n["params"]["message"] == message.as_str()
                })
                .map(|n| n["params"].clone())
        })
        .await;
    assert_eq!(shown["type"], 1);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guardian_plan_runs_stage_by_stage() {
    let ws = Ws {
        dir: workspace(false),
    };
    let c = start(&ws, json!({"window": {"workDoneProgress": true}})).await;
    let task = "tasks/task-demo.md";
    let uri = ws.uri(task);
    c.wait_diagnostics(&ws.uri(SPEC), |p| has_code(p, "scenario-untested"))
        .await;
    let before = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    let started = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.runGuardian", "arguments": [{"uri": uri}]}),
        )
        .await;
    assert_eq!(started["steps"], 3);
    let token = started["token"].clone();
    let end: Value = c
        .wait_for("the guardian run's end", |ns| {
            progress_of(ns, &token)
                .into_iter()
                .find(|v| v["kind"] == "end")
                .cloned()
        })
        .await;
    assert!(
        end["message"].as_str().unwrap().contains("1 of 3 steps"),
        "{end}"
    );
    let diags = c
        .wait_diagnostics(&uri, |p| has_code(p, "guardian-step-failed"))
        .await;
    let after = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    insta::assert_snapshot!(
        "testlens_guardian_lenses",
        format!(
            "before:\n{}after:\n{}",
            render_lenses(&ws.redact(&before)),
            without_times(&render_lenses(&ws.redact(&after)))
        )
    );
    insta::assert_json_snapshot!("testlens_guardian_diagnostics", ws.redact(&diags));
    c.shutdown().await;

    // The results are kept in `.specls/guardian.json` and shown again after a restart.
    let kept: Value = serde_json::from_str(
        &std::fs::read_to_string(ws.root().join(".specls/guardian.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(kept["version"], 1);
    let steps = kept["blueprints"]["tasks/task-demo.md"].as_array().unwrap();
    assert_eq!(
        steps
            .iter()
            .map(|s| s["outcome"].clone())
            .collect::<Vec<_>>(),
        [json!("met"), json!("not-met"), json!("skipped")]
    );
    let c = start(&ws, json!({})).await;
    let again = c
        .wait_diagnostics(&uri, |p| has_code(p, "guardian-step-failed"))
        .await;
    assert_eq!(ws.redact(&again), ws.redact(&diags));
    let restarted = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(
        without_times(&render_lenses(&ws.redact(&restarted))),
        without_times(&render_lenses(&ws.redact(&after)))
    );
    c.shutdown().await;

    // A step whose command changed since has no result (the others keep theirs).
    let text = std::fs::read_to_string(ws.root().join(task)).unwrap();
    std::fs::write(
        ws.root().join(task),
        text.replace("echo 'warning: unused variable'", "cargo clippy -q"),
    )
    .unwrap();
    let c = start(&ws, json!({})).await;
    c.wait_diagnostics(&ws.uri(SPEC), |p| has_code(p, "scenario-untested"))
        .await;
    // The kept results are read in the background after the index: ask until they are in.
    let mut changed = Value::Null;
    for _ in 0..100 {
        changed = c
            .call(
                "textDocument/codeLens",
                json!({"textDocument": {"uri": uri}}),
            )
            .await;
        if changed[0]["command"]["title"]
            .as_str()
            .is_some_and(|t| t.contains("steps met"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    insta::assert_snapshot!(
        "testlens_guardian_lenses_step_changed",
        without_times(&render_lenses(&ws.redact(&changed)))
    );
    let d = c.latest_diagnostics(&uri);
    assert!(
        d.as_ref()
            .is_none_or(|d| !has_code(d, "guardian-step-failed")),
        "{d:?}"
    );
    c.shutdown().await;
}

#[test]
fn damaged_guardian_results_are_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    assert!(specls::lsp::guardian::load(dir.path()).unwrap().is_empty());
    let file = dir.path().join(".specls/guardian.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    for (text, says) in [
        (
            "{\"version\": 1, \"blueprints\": {\"t.md\": [{\"command\"",
            "is damaged",
        ),
        (
            "{\"version\": 9, \"blueprints\": {}}",
            "another version of specls (format 9",
        ),
        ("[1, 2]", "no `version`"),
        (
            "{\"version\": 1, \"blueprints\": {\"t.md\": [{\"outcome\": \"met\"}]}}",
            "missing field",
        ),
    ] {
        std::fs::write(&file, text).unwrap();
        let e = specls::lsp::guardian::load(dir.path()).unwrap_err();
        assert!(e.contains(says), "{text}: {e}");
    }
}

/// `(12 ms)` / `(1.2 s)` -> `(TIME)`: step durations vary from run to run.
fn without_times(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(" (") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find(')') {
            Some(j) if after[..j].ends_with(" ms") || after[..j].ends_with(" s") => {
                out.push_str(" (TIME)");
                rest = &after[j + 1..];
            }
            _ => {
                out.push_str(" (");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The ids of the test runs the server started (their progress tokens), in order.
fn run_tokens(c: &TestClient) -> Vec<Value> {
    c.server_requests()
        .iter()
        .filter(|r| r["method"] == "window/workDoneProgress/create")
        .map(|r| r["params"]["token"].clone())
        .filter(|t| t.as_str().is_some_and(|s| s.starts_with("specls-run-")))
        .collect()
}

/// Wait for the end of the `n`-th run (1-based); returns its progress values.
async fn wait_run_end(c: &TestClient, n: usize) -> Vec<Value> {
    c.wait_for(&format!("the end of test run {n}"), |ns| {
        let token = run_tokens(c).get(n - 1)?.clone();
        let v = progress_of(ns, &token);
        v.iter()
            .any(|x| x["kind"] == "end")
            .then(|| v.into_iter().cloned().collect())
    })
    .await
}

fn did_save(ws: &Ws, rel: &str) -> Value {
    json!({"textDocument": {"uri": ws.uri(rel)}})
}

/// The lines of `ran.log`: one per run of the stand-in command, with the test files it got.
fn ran(ws: &Ws) -> Vec<String> {
    std::fs::read_to_string(ws.root().join("ran.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_on_save_runs_only_when_the_user_switched_it_on() {
    let ws = Ws {
        dir: workspace(false),
    };
    // The stand-in runner logs each run (with the test files it was given) to `ran.log`.
    std::fs::write(
        ws.root().join("specls.toml"),
        format!("[tests]\ncommand = '''echo {{files}} >> ran.log; {FAKE_RUN}'''\n"),
    )
    .unwrap();
    std::fs::write(ws.root().join("notes.md"), "# Notes\n").unwrap();
    let c = start(&ws, json!({"window": {"workDoneProgress": true}})).await;
    let spec_uri = ws.uri(SPEC);
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-untested"))
        .await;
    let spec_text = std::fs::read_to_string(ws.root().join(SPEC)).unwrap();
    let test_text = std::fs::read_to_string(ws.root().join(TESTS)).unwrap();

    // Off (the default): opening and saving specs and tests runs nothing.
    c.open(&spec_uri, &spec_text).await;
    c.open(&ws.uri(TESTS), &test_text).await;
    for rel in [SPEC, TESTS, "notes.md"] {
        c.notify("textDocument/didSave", did_save(&ws, rel)).await;
    }
    // Saves are handled in order and a run starts within the handler's turn: after a later
    // request has been answered and a pause, a run would have begun.
    c.call(
        "workspace/executeCommand",
        json!({"command": "specls.workspaceHealth"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(run_tokens(&c).is_empty(), "{:#?}", c.server_requests());
    assert!(ran(&ws).is_empty());
    assert!(!ws.root().join(".specls/results/last-run.json").exists());

    // Switched on in the editor's settings: saving the spec runs its scenarios' tests.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"specls": {"runOnSave": true}}}),
    )
    .await;
    c.notify("textDocument/didSave", did_save(&ws, SPEC)).await;
    let first = wait_run_end(&c, 1).await;
    assert_eq!(first[0]["kind"], "begin");
    assert!(
        first[0]["title"]
            .as_str()
            .unwrap()
            .contains("echo tests/test_cart.py >> ran.log"),
        "{first:?}"
    );
    assert_eq!(ran(&ws), ["tests/test_cart.py"]);
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-failed"))
        .await;
    let health = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.workspaceHealth"}),
        )
        .await;
    assert_eq!(health["failing"], 1, "{health}");

    // Saving a test file runs the scenarios its tests are linked to.
    c.notify("textDocument/didSave", did_save(&ws, TESTS)).await;
    let second = wait_run_end(&c, 2).await;
    assert!(second.last().unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("1 failed"));
    assert_eq!(ran(&ws).len(), 2);

    // A file that is neither a spec nor a test runs nothing.
    c.notify("textDocument/didSave", did_save(&ws, "notes.md"))
        .await;
    c.call(
        "workspace/executeCommand",
        json!({"command": "specls.workspaceHealth"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(run_tokens(&c).len(), 2);

    // Switched off again: nothing more runs.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"specls": {"runOnSave": false}}}),
    )
    .await;
    c.notify("textDocument/didSave", did_save(&ws, SPEC)).await;
    c.call(
        "workspace/executeCommand",
        json!({"command": "specls.workspaceHealth"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(run_tokens(&c).len(), 2);
    assert_eq!(ran(&ws).len(), 2);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_written_outside_the_editor_show_up() {
    let ws = Ws {
        dir: workspace(false),
    };
    // CI artifacts named by a result glob, besides `.specls/results/`.
    std::fs::write(
        ws.root().join("specls.toml"),
        "[tests]\nresults = [\"ci/**/*.xml\"]\n",
    )
    .unwrap();
    let c = start(
        &ws,
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
    )
    .await;
    let spec_uri = ws.uri(SPEC);
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-untested"))
        .await;
    assert!(!has_code(
        &c.latest_diagnostics(&spec_uri).unwrap(),
        "scenario-failed"
    ));

    // A run in a terminal writes its report where specls keeps results.
    let report = ws.root().join(".specls/results/pytest.xml");
    std::fs::create_dir_all(report.parent().unwrap()).unwrap();
    std::fs::copy(fixture("testlens_results/junit.xml"), &report).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&report), "type": 1}]}),
    )
    .await;
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-failed"))
        .await;

    // The report goes away: so do its results.
    std::fs::remove_file(&report).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&report), "type": 3}]}),
    )
    .await;
    c.wait_diagnostics(&spec_uri, |p| {
        has_code(p, "scenario-untested") && !has_code(p, "scenario-failed")
    })
    .await;

    // A CI artifact matching `[tests] results`.
    let artifact = ws.root().join("ci/reports/junit.xml");
    std::fs::create_dir_all(artifact.parent().unwrap()).unwrap();
    std::fs::copy(fixture("testlens_results/junit.xml"), &artifact).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&artifact), "type": 1}]}),
    )
    .await;
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-failed"))
        .await;
    let lenses = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": spec_uri}}),
        )
        .await;
    // The same lenses as from that report under `.specls/results/`.
    insta::assert_snapshot!(
        "testlens_lenses",
        ws.redact(&json!(render_lenses(&lenses))).as_str().unwrap()
    );
    c.shutdown().await;
}
