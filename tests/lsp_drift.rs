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

/// `line:col title` of the one lens carrying the drift of `uri`.
async fn compile_lens(c: &TestClient, uri: &str) -> String {
    let lenses = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    let titles: Vec<String> = lenses
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["command"]["command"] == "specls.compile")
        .map(|l| {
            format!(
                "{}:{} {}",
                l["range"]["start"]["line"],
                l["range"]["start"]["character"],
                l["command"]["title"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(titles.len(), 1, "exactly one Compile lens: {titles:?}");
    titles.into_iter().next().unwrap()
}

fn drift_codes(p: &Value) -> Vec<String> {
    let mut codes: Vec<String> = p["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .filter(|c| {
            c.contains("since-compile") || c.starts_with("generated") || *c == "never-compiled"
        })
        .map(str::to_string)
        .collect();
    codes.sort();
    codes
}

fn has_code(code: &'static str) -> impl Fn(&Value) -> bool {
    move |p: &Value| drift_codes(p).iter().any(|c| c == code)
}

/// The watchers registered under `id`: string globs as they are, relative patterns as
/// `<baseUri> :: <pattern>`; the workspace root (path or URI) shown as `[ROOT]`.
fn registered_watchers(c: &TestClient, id: &str, root: &std::path::Path) -> Option<Vec<String>> {
    let root_path = root.canonicalize().unwrap();
    let root_uri = file_uri(&root_path);
    let root_path = root_path.to_string_lossy().replace('\\', "/");
    c.server_requests()
        .iter()
        .rev()
        .filter(|r| r["method"] == "client/registerCapability")
        .flat_map(|r| {
            r["params"]["registrations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|reg| reg["id"] == id)
        .map(|reg| {
            reg["registerOptions"]["watchers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| match &w["globPattern"] {
                    Value::String(g) => g.replace(&root_path, "[ROOT]"),
                    rel => format!(
                        "{} :: {}",
                        rel["baseUri"]
                            .as_str()
                            .unwrap()
                            .trim_end_matches('/')
                            .replace(&root_uri, "[ROOT]"),
                        rel["pattern"].as_str().unwrap()
                    ),
                })
                .collect()
        })
}

fn registered_globs(c: &TestClient, id: &str) -> Option<Vec<String>> {
    c.server_requests()
        .iter()
        .rev()
        .filter(|r| r["method"] == "client/registerCapability")
        .flat_map(|r| {
            r["params"]["registrations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|reg| reg["id"] == id)
        .map(|reg| {
            reg["registerOptions"]["watchers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["globPattern"].as_str().unwrap().to_string())
                .collect()
        })
}

/// A client that watches files: the server watches the manifests and, one by one, the files
/// the manifest records; a generated file edited on disk, the manifest rewritten (a
/// `specls compile` in a terminal) and the manifest removed each update the diagnostics and
/// the lens as soon as the client reports the change, and the client is asked to refresh its
/// lenses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watched_manifest_and_generated_files_update_drift() {
    let ws = workspace();
    let root = ws.path();
    let c = TestClient::start();
    c.initialize(
        Some(root),
        json!({"workspace": {
            "didChangeWatchedFiles": {"dynamicRegistration": true},
            "codeLens": {"refreshSupport": true}
        }}),
        json!({}),
    )
    .await;
    let item = file_uri(&root.join("score/item.spec.md"));
    let item_py = file_uri(&root.join("src/item.py"));
    let p = c.wait_diagnostics(&item, |_| true).await;
    assert_eq!(drift_codes(&p), Vec::<String>::new());
    assert_eq!(compile_lens(&c, &item).await, "1:6 ⚙ Compile · up to date");

    // The static watchers name the manifests; the outputs are registered from the manifest.
    let statics = c
        .wait_for("file watching registered", |_| {
            registered_globs(&c, "specls-watch")
        })
        .await;
    assert!(
        statics.contains(&"**/.specls/manifest.json".to_string()),
        "{statics:?}"
    );
    assert!(
        statics.contains(&"**/.specsoloist-manifest.json".to_string()),
        "{statics:?}"
    );
    // Anchored at the workspace root (a `**/src/item.py` would match any `src/item.py`).
    let outputs = c
        .wait_for("outputs watched", |_| {
            registered_watchers(&c, "specls-watch-outputs", root)
        })
        .await;
    insta::assert_yaml_snapshot!("lsp_drift_watched_outputs", outputs);

    // A generated file edited by hand.
    std::fs::write(
        root.join("src/item.py"),
        "class Item:\n    pass  # by hand\n",
    )
    .unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": item_py, "type": 2}]}),
    )
    .await;
    let p = c
        .wait_diagnostics(&item, has_code("generated-file-edited"))
        .await;
    assert_eq!(drift_codes(&p), vec!["generated-file-edited"]);
    c.wait_for("codeLens refresh", |_| {
        c.server_requests()
            .iter()
            .any(|r| r["method"] == "workspace/codeLens/refresh")
            .then_some(())
    })
    .await;
    let edited = compile_lens(&c, &item).await;

    // A compile in a terminal: the manifest records the edited file as generated.
    let compiled = load(root);
    specls::drift::save_manifest(root, &record_all(root, &compiled)).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&root.join(".specls/manifest.json")), "type": 2}]}),
    )
    .await;
    let p = c
        .wait_diagnostics(&item, |p| drift_codes(p).is_empty())
        .await;
    assert_eq!(drift_codes(&p), Vec::<String>::new());
    let recompiled = compile_lens(&c, &item).await;

    // The manifest removed: nothing was compiled.
    std::fs::remove_file(root.join(".specls/manifest.json")).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&root.join(".specls")).to_string() + "/manifest.json", "type": 3}]}),
    )
    .await;
    let p = c.wait_diagnostics(&item, has_code("never-compiled")).await;
    assert_eq!(drift_codes(&p), vec!["never-compiled"]);
    let removed = compile_lens(&c, &item).await;
    insta::assert_snapshot!(
        "lsp_drift_watched_lenses",
        format!("edited: {edited}\nrecompiled: {recompiled}\nmanifest removed: {removed}\n")
    );
    c.shutdown().await;
}

/// A client that cannot watch files: the disk poller looks at the manifest and the generated
/// files too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polled_generated_files_update_drift() {
    let ws = workspace();
    let root = ws.path();
    let c = TestClient::start();
    c.initialize(Some(root), json!({}), json!({"pollInterval": 100}))
        .await;
    let item = file_uri(&root.join("score/item.spec.md"));
    let p = c.wait_diagnostics(&item, |_| true).await;
    assert_eq!(drift_codes(&p), Vec::<String>::new());
    // Let the poller take the generated files into its baseline.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    std::fs::remove_file(root.join("src/item.py")).unwrap();
    let p = c
        .wait_diagnostics(&item, has_code("generated-file-missing"))
        .await;
    assert_eq!(drift_codes(&p), vec!["generated-file-missing"]);
    c.shutdown().await;
}

/// A client that takes relative patterns gets each output file as a pattern relative to the
/// workspace root.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_watchers_are_relative_to_the_root_when_the_client_can() {
    let ws = workspace();
    let root = ws.path();
    let c = TestClient::start();
    c.initialize(
        Some(root),
        json!({"workspace": {
            "didChangeWatchedFiles": {"dynamicRegistration": true, "relativePatternSupport": true}
        }}),
        json!({}),
    )
    .await;
    let outputs = c
        .wait_for("outputs watched", |_| {
            registered_watchers(&c, "specls-watch-outputs", root)
        })
        .await;
    insta::assert_yaml_snapshot!("lsp_drift_relative_watched_outputs", outputs);
    c.shutdown().await;
}
