//! The language-server scenarios of our own specs (`specs/specls/lsp.spec.md`), executed over
//! the in-process client: one test per scenario, named by its `// @spec <id>` marker.

#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::process::Command;

use lsp_client::{file_uri, frame, TestClient};
use serde_json::{json, Value};
use specls::lsp::Ended;

const DUPLICATE_NAME: &str = "feature: Tasks\nscenarios:\n  - name: Create a task\n    given: I am signed in\n    when: I create a task titled \"a\"\n    then: The task exists\n  - name: Create a task\n    given: I am signed out\n    when: I create a task titled \"b\"\n    then: I am asked to sign in\n";

fn codes(params: &Value) -> Vec<String> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

// @spec lsp-diagnostics-on-open
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.spec.yaml");
    std::fs::write(&path, DUPLICATE_NAME).unwrap();
    let c = TestClient::start();
    c.initialize(Some(dir.path()), json!({}), Value::Null).await;
    let uri = file_uri(&path);
    c.open(&uri, DUPLICATE_NAME).await;
    let params = c
        .wait_diagnostics(&uri, |p| {
            p["diagnostics"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    // The same code, range and message as `specls check --format json` gives for the file.
    let out = Command::new(env!("CARGO_BIN_EXE_specls"))
        .args(["check", "--format", "json", "tasks.spec.yaml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    let from_cli: Vec<(String, u64, u64, String)> = cli["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap() - 1,
                d["range"]["start"]["column"].as_u64().unwrap() - 1,
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let from_lsp: Vec<(String, u64, u64, String)> = params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(from_cli.iter().any(|d| d.0 == "duplicate-scenario-name"));
    assert_eq!(from_lsp, from_cli);
    assert_eq!(c.shutdown().await, Ended::Clean);
}

// @spec lsp-incremental-edit
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_edits_are_applied_in_order() {
    let c = TestClient::start();
    c.initialize(None, json!({}), Value::Null).await;
    let uri = "file:///tmp/specls-own-specs/tasks.spec.yaml";
    c.open(uri, DUPLICATE_NAME).await;
    c.wait_diagnostics(uri, |p| {
        codes(p).iter().any(|c| c == "duplicate-scenario-name")
    })
    .await;
    // Line 6 is `  - name: Create a task`; "task" is at characters 19..23.
    let line6 = DUPLICATE_NAME.lines().nth(6).unwrap();
    let at = line6.find("task").unwrap() as u64;
    c.change(
        uri,
        2,
        json!([{"range": {"start": {"line": 6, "character": at}, "end": {"line": 6, "character": at + 4}}, "text": "note"}]),
    )
    .await;
    let params = c.wait_diagnostics(uri, |p| p["version"] == 2).await;
    assert!(
        !codes(&params)
            .iter()
            .any(|c| c == "duplicate-scenario-name"),
        "{params:#}"
    );
    let text = c.text(uri).await;
    assert!(text["result"]["text"]
        .as_str()
        .unwrap()
        .contains("- name: Create a note"));
    assert_eq!(c.shutdown().await, Ended::Clean);
}

// @spec lsp-utf16-positions
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_are_utf16_at_the_edge() {
    let text = "feature: Tasks\nscenarios:\n  - name: Create a task\n    given: I am signed in\n    when: I create a task\n    then: The task exists\n  - {tags: [📝], name: Create a task, given: I am out, when: I create a task, then: I am asked to sign in}\n";
    let c = TestClient::start();
    // No `general.positionEncodings`: the client speaks UTF-16 (VS Code).
    let init = c.initialize(None, json!({}), Value::Null).await;
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    let uri = "file:///tmp/specls-own-specs/emoji.spec.yaml";
    c.open(uri, text).await;
    let params = c
        .wait_diagnostics(uri, |p| {
            codes(p).iter().any(|c| c == "duplicate-scenario-name")
        })
        .await;
    let d = params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "duplicate-scenario-name")
        .unwrap();
    let line = text.lines().nth(6).unwrap();
    let byte = line.rfind("Create a task").unwrap();
    let utf16 = line[..byte].encode_utf16().count() as u64;
    assert_eq!(
        byte - 2,
        utf16 as usize,
        "the emoji is 4 bytes, 2 UTF-16 units"
    );
    assert_eq!(d["range"]["start"]["line"], 6);
    assert_eq!(d["range"]["start"]["character"], utf16);
    assert_eq!(c.shutdown().await, Ended::Clean);
}

// @spec lsp-survives-bad-message
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_message_does_not_stop_the_server() {
    let c = TestClient::start();
    c.initialize(None, json!({}), Value::Null).await;
    c.send_raw(&frame(b"{this is not json")).await;
    let errors = c
        .wait_for("a parse error", |_| {
            let e = c.null_id_responses();
            (!e.is_empty()).then_some(e)
        })
        .await;
    assert_eq!(errors[0]["error"]["code"], -32700, "{errors:?}");
    let symbols = c.request("workspace/symbol", json!({"query": ""})).await;
    assert!(symbols.get("result").is_some(), "{symbols}");
    assert_eq!(c.shutdown().await, Ended::Clean);
}

// @spec links-marker-definition
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_marker_resolves_to_its_scenario() {
    let spec = "feature: specls check\nscenarios:\n  - id: check-exit-code-clean\n    name: Clean workspace exits 0\n    given: A clean workspace\n    when: I run specls check\n    then: The exit code is 0\n";
    let test = "// @spec check-exit-code-clean\n#[test]\nfn clean_workspace_exits_0() {}\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("specs")).unwrap();
    std::fs::create_dir_all(dir.path().join("tests")).unwrap();
    std::fs::write(dir.path().join("specs/check.spec.yaml"), spec).unwrap();
    std::fs::write(dir.path().join("tests/cli.rs"), test).unwrap();
    let c = TestClient::start();
    c.initialize(Some(dir.path()), json!({}), Value::Null).await;
    let test_uri = file_uri(&dir.path().join("tests/cli.rs"));
    c.open(&test_uri, test).await;
    let spec_uri = file_uri(&dir.path().join("specs/check.spec.yaml"));
    let at = json!({"textDocument": {"uri": test_uri}, "position": {"line": 0, "character": 12}});
    // The workspace is indexed in the background: ask until the marker resolves.
    let mut answer = Value::Null;
    for _ in 0..100 {
        answer = c.call("textDocument/definition", at.clone()).await;
        if !answer.is_null() && answer != json!([]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let locations = match &answer {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    assert_eq!(locations.len(), 1, "{answer:#}");
    let loc = &locations[0];
    let uri = loc.get("uri").or_else(|| loc.get("targetUri")).unwrap();
    assert_eq!(uri.as_str(), Some(spec_uri.as_str()));
    let range = loc
        .get("range")
        .or_else(|| loc.get("targetSelectionRange"))
        .unwrap();
    // Line 2 is `  - id: check-exit-code-clean` (the scenario starts there).
    let line = range["start"]["line"].as_u64().unwrap();
    assert!((2..=3).contains(&line), "{answer:#}");
    assert_eq!(c.shutdown().await, Ended::Clean);
}
