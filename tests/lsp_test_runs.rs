//! Real test suites run through the language server (in process, over a duplex pipe): the
//! client sends `workspace/executeCommand` `specls.runTests` exactly as a lens or a code action
//! does, the server runs the project's runner (pytest, cargo test, vitest, go test: whichever
//! the machine has), and the test checks what the editor then shows: the run's progress (the exact command
//! as its title, the tally at its end), the lenses of every scenario, the `scenario-failed` and
//! `scenario-untested` diagnostics, the hover of the failed scenario, the `specls/scenarios`
//! list, and the way from a scenario to its test.
//!
//! Each project (`tests/fixtures/lsp/runs/<runner>/`, with the spec of
//! `tests/fixtures/lsp/runs/specs/`) has a scenario whose test passes (linked by its name), one
//! whose test fails (an `@spec` marker), one whose test is skipped, one without a test, and a
//! test linked to nothing. After running every test, one scenario runs alone: only its test
//! runs (the runner's name filter), and the other scenarios keep what the first run said (a
//! runner that lists the tests its filter left out as skipped, like vitest, does not turn them
//! into "skipped").

#[path = "common/fs.rs"]
mod fs;
#[path = "common/lsp_client.rs"]
mod lsp_client;
#[path = "common/runners.rs"]
mod runners;

use std::path::{Path, PathBuf};
use std::sync::Once;

use lsp_client::{file_uri, TestClient};
use serde_json::{json, Value};

const SPEC: &str = "specs/todo.spec.md";

/// The environment the server's runs inherit, set once before any test of this file starts a
/// process (every test calls this first): the nested `cargo test` builds in its own target
/// folder (the outer `cargo test` holds the lock of ours), without colours.
fn environment() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var(
            "CARGO_TARGET_DIR",
            runners::scratch().join("lsp-cargo-target"),
        );
        std::env::set_var("CARGO_TERM_COLOR", "never");
    });
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lsp/runs")
        .join(rel)
}

/// The spec and one runner's project, copied into a fresh folder.
fn project(runner: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy_tree(&fixture("specs"), &dir.path().join("specs"));
    fs::copy_tree(&fixture(runner), dir.path());
    dir
}

struct Ws<'a> {
    root: &'a Path,
}

impl Ws<'_> {
    fn uri(&self, rel: &str) -> String {
        file_uri(&self.root.join(rel))
    }

    /// The root (as URI and as path) replaced, times and durations masked.
    fn redact(&self, v: &Value) -> Value {
        let root_uri = file_uri(self.root);
        let root_path = self
            .root
            .canonicalize()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        fn walk(v: &Value, a: &str, b: &str) -> Value {
            match v {
                Value::String(s) => Value::String(redact_times(
                    &s.replace(a, "file:///ROOT").replace(b, "/ROOT"),
                )),
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
        let text = std::fs::read_to_string(self.root.join(rel)).unwrap();
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

/// `12 ms`, `1.2 s`, `<1 ms` -> `[time]`; `2026-11-21 10:00 UTC` -> `[date]`.
fn redact_times(s: &str) -> String {
    s.split('\n')
        .map(|line| {
            let words: Vec<&str> = line.split(' ').collect();
            let mut out: Vec<String> = Vec::new();
            let mut i = 0;
            while i < words.len() {
                let w = words[i];
                let next = words.get(i + 1).copied().unwrap_or("");
                let number = w == "<1" || (!w.is_empty() && w.parse::<f64>().is_ok());
                let date = w.len() == 10
                    && w.as_bytes()[4] == b'-'
                    && w.as_bytes()[7] == b'-'
                    && words.get(i + 2).is_some_and(|u| u.starts_with("UTC"));
                if number && matches!(next.trim_end_matches([')', ',']), "ms" | "s") {
                    out.push(format!(
                        "[time]{}",
                        &next[next.trim_end_matches([')', ',']).len()..]
                    ));
                    i += 2;
                } else if date {
                    let utc = words[i + 2];
                    out.push(format!("[date]{}", &utc[3..]));
                    i += 3;
                } else {
                    out.push(w.to_string());
                    i += 1;
                }
            }
            out.join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
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

fn progress_of<'a>(ns: &'a [Value], token: &Value) -> Vec<&'a Value> {
    ns.iter()
        .filter(|n| n["method"] == "$/progress" && n["params"]["token"] == *token)
        .map(|n| &n["params"]["value"])
        .collect()
}

/// Run `specls.runTests` with `args`; wait for the run's end. Returns (the command shown,
/// its progress values).
async fn run_tests(c: &TestClient, args: Value) -> (String, Vec<Value>) {
    let started = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.runTests", "arguments": [args]}),
        )
        .await;
    let token = started["token"].clone();
    let command = started["command"].as_str().unwrap().to_string();
    let values: Vec<Value> = c
        .wait_for("the end of the run's progress", |ns| {
            let v = progress_of(ns, &token);
            v.iter()
                .any(|x| x["kind"] == "end")
                .then(|| v.into_iter().cloned().collect())
        })
        .await;
    assert_eq!(values[0]["kind"], "begin");
    assert_eq!(values[0]["title"], command.as_str(), "the exact command");
    assert_eq!(values[0]["cancellable"], true);
    (command, values)
}

async fn lenses(c: &TestClient, ws: &Ws<'_>) -> String {
    let l = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": ws.uri(SPEC)}}),
        )
        .await;
    ws.redact(&json!(render_lenses(&l)))
        .as_str()
        .unwrap()
        .to_string()
}

/// `(scenario id, state)` from `specls/scenarios`.
async fn states(c: &TestClient, ws: &Ws<'_>) -> Vec<(String, String)> {
    let list = c
        .call("specls/scenarios", json!({"uri": ws.uri(SPEC)}))
        .await;
    let specs = list["specs"].as_array().unwrap_or_else(|| panic!("{list}"));
    specs
        .iter()
        .flat_map(|s| s["scenarios"].as_array().unwrap().iter())
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Everything, then one scenario alone; `test_file` is where the failing test is, `filter` a
/// word the filtered command must hold (the runner's name filter).
async fn check(runner: &str, root: &Path, test_file: &str, filter: &str) {
    let ws = Ws { root };
    let mut c = TestClient::start();
    // Runners compile and start slowly on a loaded machine.
    c.timeout = std::time::Duration::from_secs(300);
    c.initialize(
        Some(root),
        json!({
            "window": {"workDoneProgress": true},
            "workspace": {"codeLens": {"refreshSupport": true}},
        }),
        json!({"pollInterval": 0}),
    )
    .await;
    let spec_uri = ws.uri(SPEC);
    c.wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-untested"))
        .await;
    let before = lenses(&c, &ws).await;

    // Every scenario of the spec (the "Run all" lens's arguments).
    let (command, progress) = run_tests(&c, json!({"uri": spec_uri})).await;
    let end = progress.last().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    let diags = c
        .wait_diagnostics(&spec_uri, |p| has_code(p, "scenario-failed"))
        .await;
    let after = lenses(&c, &ws).await;
    let hover = c
        .call("textDocument/hover", ws.at(SPEC, "Remove an item"))
        .await;
    let definition = c
        .call("textDocument/definition", ws.at(SPEC, "Remove an item"))
        .await;
    assert_eq!(
        states(&c, &ws).await,
        [
            ("todo/add-an-item", "passed"),
            ("todo/remove-an-item", "failed"),
            ("todo/clear-the-list", "skipped"),
            ("todo/rename-an-item", "untested"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert!(
        definition.to_string().contains(&ws.uri(test_file)),
        "{definition}"
    );
    // The client is asked to refresh its lenses (after the progress ended).
    c.wait_for("a lens refresh request", |_| {
        c.server_requests()
            .iter()
            .any(|r| r["method"] == "workspace/codeLens/refresh")
            .then_some(())
    })
    .await;

    // One scenario alone: only its test runs; the others keep the first run's results.
    let (filtered, progress) = run_tests(
        &c,
        json!({"uri": spec_uri, "scenarios": ["todo/add-an-item"]}),
    )
    .await;
    assert!(filtered.contains(filter), "{filtered}");
    let filtered_end = progress.last().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        filtered_end.starts_with("specls: tests 1 passed"),
        "{filtered_end}"
    );
    // The server read the results before it ended the progress.
    let after_filtered = lenses(&c, &ws).await;
    assert_eq!(
        states(&c, &ws).await,
        [
            ("todo/add-an-item", "passed"),
            ("todo/remove-an-item", "failed"),
            ("todo/clear-the-list", "skipped"),
            ("todo/rename-an-item", "untested"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string())),
        "a filtered run keeps the other scenarios' results"
    );
    let still_failed = c.latest_diagnostics(&spec_uri).unwrap();
    assert!(has_code(&still_failed, "scenario-failed"), "{still_failed}");

    let root_s = root.canonicalize().unwrap().to_string_lossy().into_owned();
    // pytest is run from the project's `.venv` when the test made one (no pytest on PATH: see
    // `pytest_project`), from PATH otherwise: one runner either way (the preset's choice of
    // `.venv/bin/pytest` has unit tests of its own in `testlinks::plan`).
    let command = command.replace(".venv/bin/pytest ", "pytest ");
    let filtered = filtered.replace(".venv/bin/pytest ", "pytest ");
    insta::assert_snapshot!(
        format!("lsp_test_runs_{runner}"),
        format!(
            "command: {}\nprogress end: {}\n\nlenses before:\n{before}\nlenses after:\n{after}\nfiltered command: {}\nprogress end: {}\n\nlenses after the filtered run:\n{after_filtered}",
            command.replace(&root_s, "/ROOT"),
            redact_times(&end),
            filtered.replace(&root_s, "/ROOT"),
            redact_times(&filtered_end),
        )
    );
    insta::assert_json_snapshot!(
        format!("lsp_test_runs_{runner}_diagnostics"),
        ws.redact(&diags)
    );
    // The output excerpt depends on the runner's version and on the environment (pytest
    // prints more in CI): it is checked for the failure, the rest is snapshotted.
    let hover = ws.redact(&hover["contents"]["value"]);
    let (text, excerpt) = hover.as_str().unwrap().split_once("```text\n").unwrap();
    assert!(excerpt.contains("the list still has milk"), "{excerpt}");
    insta::assert_snapshot!(
        format!("lsp_test_runs_{runner}_hover"),
        format!("{text}```text\n[failure output]")
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pytest_project() {
    environment();
    let dir = project("pytest");
    match runners::pytest_bin() {
        Ok(None) => {}
        // pytest from a virtualenv: the project's `.venv` is where the preset looks first.
        Ok(Some(bin)) => {
            #[cfg(unix)]
            std::os::unix::fs::symlink(bin.parent().unwrap(), dir.path().join(".venv")).unwrap();
        }
        Err(e) => return runners::skip(&format!("pytest: {e}")),
    }
    check(
        "pytest",
        dir.path(),
        "tests/test_todo.py",
        "::test_add_an_item",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vitest_project() {
    environment();
    let modules = match runners::vitest_modules() {
        Ok(m) => m,
        Err(e) => return runners::skip(&e),
    };
    let dir = project("vitest");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&modules, dir.path().join("node_modules")).unwrap();
    check("vitest", dir.path(), "tests/todo.test.ts", "-t").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_project() {
    environment();
    if !runners::has("go", "version") {
        return runners::skip("go is not on PATH");
    }
    let dir = project("go");
    check("go", dir.path(), "todo_test.go", "-run").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cargo_project() {
    environment();
    let dir = project("cargo");
    check(
        "cargo",
        dir.path(),
        "tests/todo.rs",
        "-- tests::add_an_item",
    )
    .await;
}
