//! `specls/scenarios` (what an editor's test explorer lists) and `specls.workspaceHealth` (what
//! its status bar shows), through the real server over a duplex pipe. The fixture has a passing,
//! a failing (JUnit report under `reports/`, named in `specls.toml`) and two untested scenarios,
//! and a conflict.

#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};
use std::time::Duration;

use lsp_client::{file_uri, TestClient};
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lsp/scenarios")
}

fn redact(v: &Value) -> Value {
    let root_uri = file_uri(&root());
    match v {
        Value::String(s) => Value::String(s.replace(&root_uri, "file:///ROOT")),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), redact(x))).collect()),
        other => other.clone(),
    }
}

/// The scenario list once the workspace is indexed and the results read (both specs listed,
/// the first scenario passed).
async fn scenarios(c: &TestClient, params: Value) -> Value {
    for _ in 0..400 {
        let r = c.call("specls/scenarios", params.clone()).await;
        let ready = r["specs"].as_array().is_some_and(|s| s.len() == 2)
            && r["specs"][0]["scenarios"][0]["status"] == "passed";
        if params.get("uri").is_some() || ready {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the workspace and its results were not read in 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_and_health() {
    let c = TestClient::start();
    let init = c
        .initialize(Some(&root()), json!({}), json!({"pollInterval": 0}))
        .await;
    let commands = &init["capabilities"]["executeCommandProvider"]["commands"];
    assert!(
        commands
            .as_array()
            .unwrap()
            .contains(&json!("specls.workspaceHealth")),
        "{commands}"
    );

    let all = scenarios(&c, json!({})).await;
    insta::assert_json_snapshot!("scenarios_workspace", redact(&all));

    let one = scenarios(
        &c,
        json!({"uri": file_uri(&root().join("specs/notes.spec.md"))}),
    )
    .await;
    assert_eq!(one["specs"].as_array().unwrap().len(), 1);
    assert_eq!(one["specs"][0]["scenarios"][0]["name"], "Add a note");

    let health = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.workspaceHealth", "arguments": []}),
        )
        .await;
    insta::assert_json_snapshot!("workspace_health", health);

    // An edit shows at once: a fourth scenario in the open buffer.
    let uri = file_uri(&root().join("specs/archive.spec.yaml"));
    let text = std::fs::read_to_string(root().join("specs/archive.spec.yaml")).unwrap();
    c.open(&uri, &text).await;
    let added = format!(
        "{text}\n  - id: archive-twice\n    name: Archive twice\n    when: I archive it twice\n    then: it stays archived\n"
    );
    c.change(&uri, 2, json!([{ "text": added }])).await;
    let after = scenarios(&c, json!({"uri": uri})).await;
    let ids: Vec<&str> = after["specs"][0]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "archive-completed",
            "archive-completed-again",
            "archive-pending",
            "archive-twice"
        ]
    );
    c.shutdown().await;
}
