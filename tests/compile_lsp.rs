//! Compile from the editor: the "Compile" lens, `specls.compile` answered at once with the work
//! in a spawned task, `$/progress` with what has arrived, `window/showMessageRequest` for a
//! hand-edited file (Keep both), and `specls.cancelCompile` stopping a stalled stream with
//! nothing written.

#[path = "common/lsp_client.rs"]
mod lsp_client;
#[path = "compile/scripted.rs"]
mod scripted;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use lsp_client::{file_uri, Reply, TestClient};
use scripted::{openai_stream, sse, Resp};
use serde_json::{json, Value};

const NAMES: &str = "```python path=src/names.py\ndef clean(name: str) -> str:\n    return name.strip().capitalize()\n```\n";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn workspace(base: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compile/workspace"),
        dir.path(),
    );
    std::fs::write(
        dir.path().join("specls.toml"),
        format!("[llm]\nprovider = \"openai\"\nbase_url = \"{base}\"\nmodel = \"m\"\n"),
    )
    .unwrap();
    dir
}

/// A client that supports progress and answers the compile's question with `choice`.
fn client(choice: &'static str) -> TestClient {
    TestClient::start_with(Arc::new(move |method, params| match method {
        "window/showMessageRequest" => {
            let offered: Vec<&str> = params["actions"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x["title"].as_str()).collect())
                .unwrap_or_default();
            assert_eq!(offered, vec!["Overwrite", "Skip", "Keep both"]);
            Reply::Result(json!({"title": choice}))
        }
        "workspace/configuration" => Reply::Result(json!([null])),
        _ => Reply::Result(Value::Null),
    }))
}

async fn start(c: &TestClient, root: &Path) -> String {
    let init = c
        .initialize(
            Some(root),
            json!({"window": {"workDoneProgress": true}}),
            Value::Null,
        )
        .await;
    let commands = init["capabilities"]["executeCommandProvider"]["commands"].clone();
    assert!(commands
        .as_array()
        .unwrap()
        .contains(&json!("specls.compile")));
    assert!(commands
        .as_array()
        .unwrap()
        .contains(&json!("specls.cancelCompile")));
    let uri = file_uri(&root.join("specs/names.spec.md"));
    // The lens appears once the workspace (with its arrangement) is indexed.
    for _ in 0..200 {
        let lenses = c
            .call(
                "textDocument/codeLens",
                json!({"textDocument": {"uri": uri}}),
            )
            .await;
        let compile = lenses.as_array().and_then(|ls| {
            ls.iter()
                .find(|l| {
                    l["command"]["command"] == "specls.compile"
                        && l["command"]["title"]
                            .as_str()
                            .is_some_and(|t| t.starts_with("⚙ Compile"))
                })
                .cloned()
        });
        if let Some(l) = compile {
            assert_eq!(l["command"]["title"], "⚙ Compile · never compiled");
            assert_eq!(l["command"]["arguments"][0]["uri"], uri.as_str());
            return uri;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no Compile lens on {uri}");
}

fn show_message(ns: &[Value]) -> Option<String> {
    ns.iter()
        .find(|n| n["method"] == "window/showMessage")
        .map(|n| n["params"]["message"].as_str().unwrap_or("").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compile_command_streams_progress_and_asks_about_hand_edits() {
    let server = scripted::start(vec![sse(openai_stream(NAMES, 6))]).await;
    let dir = workspace(&server.base);
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("src/names.py"), "# written by hand\n").unwrap();
    let c = client("Keep both");
    let uri = start(&c, &root).await;
    let started = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.compile", "arguments": [{"uri": uri}]}),
        )
        .await;
    assert_eq!(
        started,
        json!({"started": true, "specs": ["specs/names.spec.md"]})
    );
    let msg = c.wait_for("the compile's summary", show_message).await;
    assert!(
        msg.starts_with("specls: 1 compiled, 0 up to date, 0 failed"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("src/names.py")).unwrap(),
        "# written by hand\n"
    );
    assert!(
        std::fs::read_to_string(root.join("src/names.py.specls-new"))
            .unwrap()
            .contains("capitalize()")
    );
    // The question went through window/showMessageRequest, naming the file.
    let asked: Vec<Value> = c
        .server_requests()
        .into_iter()
        .filter(|r| r["method"] == "window/showMessageRequest")
        .collect();
    assert_eq!(asked.len(), 1);
    assert!(asked[0]["params"]["message"]
        .as_str()
        .unwrap()
        .contains("src/names.py (exists and was not written by specls)"));
    // Progress: created, begun (cancellable), reports of what arrived, ended.
    assert!(c
        .server_requests()
        .iter()
        .any(|r| r["method"] == "window/workDoneProgress/create"));
    let progress: Vec<Value> = c
        .notifications()
        .into_iter()
        .filter(|n| n["method"] == "$/progress")
        .map(|n| n["params"]["value"].clone())
        .collect();
    assert_eq!(progress.first().unwrap()["kind"], "begin");
    assert_eq!(progress.first().unwrap()["cancellable"], true);
    assert_eq!(progress.last().unwrap()["kind"], "end");
    let arrived: Vec<&str> = progress
        .iter()
        .filter_map(|p| p["message"].as_str())
        .filter(|m| m.contains("bytes"))
        .collect();
    assert!(!arrived.is_empty(), "{progress:#?}");
    assert!(
        arrived
            .last()
            .unwrap()
            .ends_with(&format!("{} bytes, 1 file(s) received", NAMES.len())),
        "{arrived:?}"
    );
    // The manifest was recorded, and the lens says so at once (this client watches no files:
    // the server re-reads drift after its own compile).
    assert!(root.join(".specls/manifest.json").is_file());
    let lenses = c
        .call(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    let titles: Vec<&str> = lenses
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["command"]["command"] == "specls.compile")
        .filter_map(|l| l["command"]["title"].as_str())
        .collect();
    assert_eq!(titles.len(), 1, "{titles:?}");
    assert!(
        titles[0].starts_with("⚙ Compile · ") && !titles[0].contains("never compiled"),
        "{titles:?}"
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_compile_stops_a_stalled_stream_and_writes_nothing() {
    let server = scripted::start(vec![Resp::Sse {
        events: openai_stream(NAMES, 4),
        delay: Duration::from_millis(400),
        hang: true,
    }])
    .await;
    let dir = workspace(&server.base);
    let root = dir.path().canonicalize().unwrap();
    let c = client("Overwrite");
    let uri = start(&c, &root).await;
    c.call(
        "workspace/executeCommand",
        json!({"command": "specls.compile", "arguments": [{"uri": uri, "force": true}]}),
    )
    .await;
    c.wait_for("bytes arriving", |ns| {
        ns.iter()
            .any(|n| {
                n["method"] == "$/progress"
                    && n["params"]["value"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("bytes"))
            })
            .then_some(())
    })
    .await;
    // A second compile is refused while one runs.
    let again = c
        .request(
            "workspace/executeCommand",
            json!({"command": "specls.compile", "arguments": [{"uri": uri}]}),
        )
        .await;
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already running"),
        "{again}"
    );
    let r = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.cancelCompile"}),
        )
        .await;
    assert_eq!(r, json!({"cancelled": true}));
    let msg = c.wait_for("the compile's summary", show_message).await;
    assert!(msg.contains("cancelled; nothing written"), "{msg}");
    assert!(!root.join("src").exists());
    assert!(!root.join(".specls/manifest.json").exists());
    // Nothing runs any more.
    let r = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.cancelCompile"}),
        )
        .await;
    assert_eq!(r, json!({"cancelled": false}));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_progress_cancel_button_cancels_the_compile() {
    let server = scripted::start(vec![Resp::Sse {
        events: openai_stream(NAMES, 4),
        delay: Duration::from_millis(400),
        hang: true,
    }])
    .await;
    let dir = workspace(&server.base);
    let root = dir.path().canonicalize().unwrap();
    let c = client("Overwrite");
    let uri = start(&c, &root).await;
    c.call(
        "workspace/executeCommand",
        json!({"command": "specls.compile", "arguments": [{"uri": uri}]}),
    )
    .await;
    c.wait_for("bytes arriving", |ns| {
        ns.iter()
            .any(|n| {
                n["method"] == "$/progress"
                    && n["params"]["value"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("bytes"))
            })
            .then_some(())
    })
    .await;
    // The compile's own progress (indexing and other work report progress too): the token
    // whose messages speak of bytes arriving.
    let token = c
        .notifications()
        .into_iter()
        .find(|n| {
            n["method"] == "$/progress"
                && n["params"]["value"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("bytes"))
        })
        .map(|n| n["params"]["token"].clone())
        .unwrap();
    c.notify("window/workDoneProgress/cancel", json!({"token": token}))
        .await;
    let msg = c.wait_for("the compile's summary", show_message).await;
    assert!(msg.contains("cancelled; nothing written"), "{msg}");
    assert!(!root.join("src").exists());
    c.shutdown().await;
}
