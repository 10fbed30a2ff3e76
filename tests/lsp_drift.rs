//! Drift in the language server (in-process, duplex pipe): the drift fixture workspace compiled
//! (manifest recorded), then changed; the Compile lens above each spec says what changed since
//! the compile, `specls.showDrift` returns the drift as JSON, and a generated file edited on
//! disk shows at the next request.

mod common;
#[path = "common/lsp_client.rs"]
mod lsp_client;

use common::drift::{fixtures, load, record_all};
use common::fs::copy_tree;
use lsp_client::{file_uri, TestClient};
use serde_json::{json, Value};

fn workspace() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_tree(&fixtures().join("base"), root);
    let compiled = load(root);
    specls::drift::save_manifest(root, &record_all(root, &compiled)).unwrap();
    for case in ["scenario-changed", "never-compiled"] {
        copy_tree(&fixtures().join("cases").join(case).join("changes"), root);
    }
    tmp
}

/// The drift lenses as `line:col title -> command args`.
fn drift_lenses(lenses: &Value, root: &str) -> String {
    let mut out = String::new();
    for l in lenses.as_array().unwrap() {
        let cmd = &l["command"];
        if cmd["command"] != "specls.compile" {
            continue;
        }
        out.push_str(&format!(
            "{}:{} {} -> {} {}\n",
            l["range"]["start"]["line"],
            l["range"]["start"]["character"],
            cmd["title"],
            cmd["command"],
            cmd["arguments"]
        ));
    }
    out.replace(root, "[ROOT]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lenses_and_show_drift() {
    let ws = workspace();
    let root = ws.path();
    let root_uri = file_uri(root);
    let c = TestClient::start();
    c.initialize(Some(root), json!({}), json!({"pollInterval": 0}))
        .await;
    let mut all = String::new();
    for spec in [
        "score/todo.spec.md",
        "score/item.spec.md",
        "score/report.spec.md",
        "notes/ideas.spec.md",
    ] {
        let uri = file_uri(&root.join(spec));
        c.wait_diagnostics(&uri, |_| true).await;
        let lenses = c
            .call(
                "textDocument/codeLens",
                json!({"textDocument": {"uri": uri}}),
            )
            .await;
        all.push_str(&format!("{spec}\n{}", drift_lenses(&lenses, &root_uri)));
    }
    insta::assert_snapshot!("lsp_drift_lenses", all);

    // Information on each changed scenario and requirement, a warning on the spec.
    let todo_diags = c
        .wait_diagnostics(&file_uri(&root.join("score/todo.spec.md")), |p| {
            p["diagnostics"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|d| d["code"] == "scenario-changed-since-compile")
            })
        })
        .await;
    let mut drift_diags: Vec<String> = todo_diags["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            let c = d["code"].as_str().unwrap_or("");
            c.contains("since-compile") || c.starts_with("generated") || c == "never-compiled"
        })
        .map(|d| {
            format!(
                "{}:{} {} {} {}",
                d["range"]["start"]["line"],
                d["range"]["start"]["character"],
                d["severity"],
                d["code"],
                d["message"]
            )
        })
        .collect();
    drift_diags.sort();
    insta::assert_snapshot!("lsp_drift_diagnostics", drift_diags.join("\n"));

    let todo = file_uri(&root.join("score/todo.spec.md"));
    let one = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.showDrift", "arguments": [{"uri": todo}]}),
        )
        .await;
    insta::assert_json_snapshot!("lsp_show_drift_todo", one);

    // A generated file edited on disk shows at the next request.
    std::fs::write(
        root.join("src/item.py"),
        "class Item:\n    pass  # by hand\n",
    )
    .unwrap();
    let all = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.showDrift", "arguments": []}),
        )
        .await;
    let item = all["specs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == "score/item.spec.md")
        .unwrap();
    assert_eq!(item["edited_files"], json!(["src/item.py"]));
    assert_eq!(all["problems"], json!([]));
    let bad = c
        .request(
            "workspace/executeCommand",
            json!({"command": "specls.showDrift", "arguments": [{"uri": 7}]}),
        )
        .await;
    assert!(
        bad["error"]["message"].as_str().unwrap().contains("uri"),
        "{bad}"
    );
    c.shutdown().await;
}
