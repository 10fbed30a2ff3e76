//! End-to-end tests of the language server's protocol layer: lifecycle, document sync,
//! positions, diagnostics, settings, watching, pull diagnostics, code actions, commands,
//! cancellation, panics, and every kind of bad input. The real server runs in-process over a
//! duplex pipe (see `common/lsp_client.rs`).

#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lsp_client::{file_uri, frame, Reply, TestClient};
use serde_json::{json, Value};
use specls::lsp::Ended;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lsp")
        .join(name)
}

/// Replace the workspace root's URI (machine-specific) by `file:///ROOT` everywhere.
fn redact(v: &Value, root: &Path) -> Value {
    let root_uri = file_uri(root);
    match v {
        Value::String(s) => Value::String(s.replace(&root_uri, "file:///ROOT")),
        Value::Array(a) => Value::Array(a.iter().map(|x| redact(x, root)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), redact(x, root)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn utf16_client() -> Value {
    json!({})
}

fn utf8_client() -> Value {
    json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}})
}

/// Copy a fixture workspace into a fresh temporary folder (for tests that change files).
fn temp_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(name), dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

async fn assert_alive(c: &TestClient) {
    let r = c
        .request(
            "workspace/executeCommand",
            json!({"command": "specls.nope"}),
        )
        .await;
    assert_eq!(r["error"]["code"], -32602, "server not answering: {r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_negotiates_encoding_and_capabilities() {
    let c = TestClient::start();
    let utf16 = c.initialize(None, utf16_client(), Value::Null).await;
    insta::assert_json_snapshot!("initialize_utf16", utf16);
    assert_eq!(c.shutdown().await, Ended::Clean);

    let c = TestClient::start();
    let caps = json!({
        "general": {"positionEncodings": ["utf-8", "utf-16"]},
        "textDocument": {"diagnostic": {"dynamicRegistration": false}},
    });
    let utf8 = c.initialize(None, caps, Value::Null).await;
    assert_eq!(utf8["capabilities"]["positionEncoding"], "utf-8");
    assert_eq!(
        utf8["capabilities"]["diagnosticProvider"]["workspaceDiagnostics"],
        true
    );
    assert_eq!(c.shutdown().await, Ended::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_files_get_diagnostics_on_initialize() {
    let root = fixture("basic");
    let c = TestClient::start();
    c.initialize(Some(&root), utf16_client(), Value::Null).await;
    let uri = file_uri(&root.join("specs/broken.spec.md"));
    let d = c
        .wait_diagnostics(&uri, |p| {
            p["diagnostics"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    insta::assert_json_snapshot!("closed_file_diagnostics", redact(&d, &root));
    // Files that are not specs never get diagnostics.
    let readme = file_uri(&root.join("README.md"));
    assert!(c.latest_diagnostics(&readme).is_none());
    assert_eq!(c.shutdown().await, Ended::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_edits_in_both_encodings() {
    for (caps, enc) in [(utf16_client(), "utf-16"), (utf8_client(), "utf-8")] {
        let c = TestClient::start();
        let init = c.initialize(None, caps, Value::Null).await;
        assert_eq!(init["capabilities"]["positionEncoding"], enc);
        let uri = "file:///tmp/specls-test/edit.spec.md";
        c.open(uri, "# Café 日本\r\nline two 😀 end\n").await;
        // Insert after "😀 " on line 1: UTF-16 column 11 ("line two " = 9, emoji = 2), UTF-8
        // column 13 (emoji = 4 bytes).
        let col = if enc == "utf-16" { 12 } else { 14 };
        c.change(
            uri,
            2,
            json!([{"range": {"start": {"line": 1, "character": col}, "end": {"line": 1, "character": col}}, "text": "é"}]),
        )
        .await;
        // Replace "日本" (UTF-16 columns 7..9, UTF-8 columns 8..14) on line 0.
        let (s, e) = if enc == "utf-16" { (7, 9) } else { (8, 14) };
        c.change(
            uri,
            3,
            json!([{"range": {"start": {"line": 0, "character": s}, "end": {"line": 0, "character": e}}, "text": "x"}]),
        )
        .await;
        // A column past the end of the line means the end of the line (before \r\n).
        c.change(
            uri,
            4,
            json!([{"range": {"start": {"line": 0, "character": 99}, "end": {"line": 0, "character": 99}}, "text": "!"}]),
        )
        .await;
        let t = c.text(uri).await;
        assert_eq!(
            t["result"]["text"], "# Café x!\r\nline two 😀 éend\n",
            "{enc}"
        );
        assert_eq!(t["result"]["version"], 4);
        c.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_unknown_and_out_of_range_changes_change_nothing() {
    let c = TestClient::start();
    c.initialize(None, utf16_client(), Value::Null).await;
    let uri = "file:///tmp/specls-test/a.spec.md";
    c.open(uri, "one\ntwo\n").await;
    c.change(uri, 5, json!([{"text": "five\n"}])).await;
    // Stale version: ignored.
    c.change(uri, 5, json!([{"text": "stale\n"}])).await;
    c.change(uri, 3, json!([{"text": "older\n"}])).await;
    // Unknown document: ignored.
    c.change(
        "file:///tmp/specls-test/never-opened.spec.md",
        9,
        json!([{"text": "x"}]),
    )
    .await;
    // A range beyond the last line: the whole change is rejected (all or nothing).
    c.change(
        uri,
        6,
        json!([
            {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "A"},
            {"range": {"start": {"line": 40, "character": 0}, "end": {"line": 41, "character": 0}}, "text": "B"}
        ]),
    )
    .await;
    // Malformed params: ignored.
    c.notify("textDocument/didChange", json!({"textDocument": 7}))
        .await;
    let t = c.text(uri).await;
    assert_eq!(t["result"], json!({"version": 5, "text": "five\n"}));
    let unknown = c.text("file:///tmp/specls-test/never-opened.spec.md").await;
    assert_eq!(unknown["error"]["code"], -32602);
    // Closing forgets the buffer; closing twice is logged and ignored.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    )
    .await;
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    )
    .await;
    assert_eq!(c.text(uri).await["error"]["code"], -32602);
    assert_eq!(c.shutdown().await, Ended::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_get_errors_and_the_server_goes_on() {
    let c = TestClient::start();
    // A request before initialize.
    let early = c.request("textDocument/hover", json!({})).await;
    assert_eq!(early["error"]["code"], -32002);
    // A notification before initialize is dropped.
    c.open("file:///tmp/specls-test/early.spec.md", "x").await;
    c.initialize(None, utf16_client(), Value::Null).await;
    assert_eq!(
        c.text("file:///tmp/specls-test/early.spec.md").await["error"]["code"],
        -32602
    );
    // Malformed JSON.
    c.send_raw(&frame(b"{\"jsonrpc\": \"2.0\", \"id\": 77, \"method\":"))
        .await;
    // Invalid UTF-8 inside a request.
    c.send_raw(&frame(
        b"{\"jsonrpc\":\"2.0\",\"id\":78,\"method\":\"x\",\"params\":\"\xff\xfe\"}",
    ))
    .await;
    // Not an object; an object that is no message.
    c.send_raw(&frame(b"[1, 2]")).await;
    c.send_raw(&frame(b"{\"hello\": 1}")).await;
    // A header without Content-Length, and a bad Content-Length.
    c.send_raw(b"Content-Type: application/json\r\n\r\n").await;
    c.send_raw(b"Content-Length: lots\r\n\r\n").await;
    // Unknown method (request and notification).
    let unknown = c.request("specls/noSuchMethod", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32601);
    c.notify("specls/noSuchNotification", json!({})).await;
    // Wrong params for a known request.
    let bad = c
        .request("textDocument/codeAction", json!({"nope": true}))
        .await;
    assert_eq!(bad["error"]["code"], -32602);
    assert_alive(&c).await;
    let errors: Vec<Value> = c
        .null_id_responses()
        .into_iter()
        .map(|r| json!({"code": r["error"]["code"], "message": r["error"]["message"]}))
        .collect();
    insta::assert_json_snapshot!("malformed_message_errors", errors);
    assert_eq!(c.shutdown().await, Ended::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_request_is_answered_with_its_id() {
    let c = TestClient::start();
    c.initialize(None, utf16_client(), Value::Null).await;
    let (_, rx) = c
        .start_request("specls/debug/sleep", json!({"ms": 0}))
        .await;
    rx.await.unwrap();
    // The id can still be read from a lossy decoding, so the error goes to the right request.
    c.send_raw(&frame(
        b"{\"jsonrpc\":\"2.0\",\"id\":4242,\"method\":\"x\",\"params\":\"\xc3\x28\"}",
    ))
    .await;
    assert_alive(&c).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_and_panics() {
    let c = TestClient::start();
    c.initialize(None, utf16_client(), Value::Null).await;
    let (id, rx) = c
        .start_request("specls/debug/sleep", json!({"ms": 30000}))
        .await;
    c.notify("$/cancelRequest", json!({"id": id})).await;
    let r = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("cancelled request was not answered")
        .unwrap();
    assert_eq!(r["error"]["code"], -32800, "{r}");
    let p = c.request("specls/debug/panic", Value::Null).await;
    assert_eq!(p["error"]["code"], -32603);
    assert!(p["error"]["message"]
        .as_str()
        .unwrap()
        .contains("deliberate panic"));
    // Cancelling something unknown is harmless.
    c.notify("$/cancelRequest", json!({"id": 999_999})).await;
    assert_alive(&c).await;
    assert_eq!(c.shutdown().await, Ended::Clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_without_shutdown_and_end_of_input() {
    let c = TestClient::start();
    c.initialize(None, utf16_client(), Value::Null).await;
    c.notify("exit", Value::Null).await;
    assert_eq!(c.ended().await, Ended::ExitWithoutShutdown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_document_opens_and_edits() {
    let c = TestClient::start();
    c.initialize(None, utf16_client(), Value::Null).await;
    let uri = "file:///tmp/specls-test/big.spec.md";
    let mut text = String::from("# Big\n\n");
    while text.len() < 5 * 1024 * 1024 {
        text.push_str("### Scenario: pay the café bill 日本\n- **Given** a table\n- **When** I pay\n- **Then** it is paid\n\n");
    }
    c.open(uri, &text).await;
    c.change(
        uri,
        2,
        json!([{"range": {"start": {"line": 0, "character": 2}, "end": {"line": 0, "character": 5}}, "text": "Huge"}]),
    )
    .await;
    let t = c.text(uri).await;
    let got = t["result"]["text"].as_str().unwrap();
    assert_eq!(got.len(), text.len() + 1);
    assert!(got.starts_with("# Huge\n"));
    assert_alive(&c).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_from_toml_init_options_and_configuration() {
    // specls.toml turns invalid-utf8 into a hint.
    let root = fixture("configured");
    let uri = file_uri(&root.join("specs/broken.spec.md"));
    let c = TestClient::start();
    c.initialize(Some(&root), utf16_client(), Value::Null).await;
    let d = c
        .wait_diagnostics(&uri, |p| !p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    assert_eq!(d["diagnostics"][0]["severity"], 4);
    // Problems in specls.toml are diagnostics of specls.toml.
    let toml_uri = file_uri(&root.join("specls.toml"));
    let t = c
        .wait_diagnostics(&toml_uri, |p| {
            !p["diagnostics"].as_array().unwrap().is_empty()
        })
        .await;
    insta::assert_json_snapshot!("toml_diagnostics", redact(&t, &root));
    // Excluding the file in the editor's settings reads the workspace again without it.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"specls": {"specs": {"exclude": ["specs/broken.spec.md"]}}}}),
    )
    .await;
    c.wait_diagnostics(&uri, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    c.shutdown().await;

    // initializationOptions beat specls.toml; `off` removes the diagnostic.
    let c = TestClient::start();
    c.initialize(
        Some(&root),
        utf16_client(),
        json!({"specls": {"checks": {"invalid-utf8": "warning"}}}),
    )
    .await;
    let d = c
        .wait_diagnostics(&uri, |p| !p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    assert_eq!(d["diagnostics"][0]["severity"], 2);
    // didChangeConfiguration with settings: they win over the others.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"specls": {"checks": {"invalid-utf8": "off"}}}}),
    )
    .await;
    c.wait_diagnostics(&uri, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    c.shutdown().await;

    // workspace/configuration answered by the client.
    let responder: lsp_client::Responder = Arc::new(|method, _| match method {
        "workspace/configuration" => {
            Reply::Result(json!([{"checks": {"invalid-utf8": "information"}}]))
        }
        _ => Reply::Result(Value::Null),
    });
    let c = TestClient::start_with(responder);
    c.initialize(
        Some(&root),
        json!({"workspace": {"configuration": true}}),
        Value::Null,
    )
    .await;
    c.wait_diagnostics(&uri, |p| p["diagnostics"][0]["severity"] == 3)
        .await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_answers_configuration_still_gets_diagnostics() {
    let root = fixture("basic");
    let uri = file_uri(&root.join("specs/broken.spec.md"));
    let c = TestClient::start_with(Arc::new(|method, _| match method {
        "workspace/configuration" | "client/registerCapability" => Reply::Never,
        _ => Reply::Result(Value::Null),
    }));
    c.initialize(
        Some(&root),
        json!({"workspace": {"configuration": true, "didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        Value::Null,
    )
    .await;
    c.wait_diagnostics(&uri, |p| !p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    )
    .await;
    assert_alive(&c).await;
    // Both requests are spawned by the server, so under load they may still be on their way:
    // wait for them (bounded) rather than assuming they came before the diagnostics.
    let deadline = tokio::time::Instant::now() + c.timeout;
    let methods = loop {
        let methods: Vec<String> = c
            .server_requests()
            .iter()
            .map(|r| r["method"].as_str().unwrap().to_string())
            .collect();
        let both = methods.iter().any(|m| m == "workspace/configuration")
            && methods.iter().any(|m| m == "client/registerCapability");
        if both || tokio::time::Instant::now() > deadline {
            break methods;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(methods.contains(&"workspace/configuration".to_string()));
    assert!(methods.contains(&"client/registerCapability".to_string()));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watched_files_and_deleted_open_file() {
    let dir = temp_copy("basic");
    let root = dir.path().canonicalize().unwrap();
    let c = TestClient::start();
    c.initialize(
        Some(&root),
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        Value::Null,
    )
    .await;
    let broken = file_uri(&root.join("specs/broken.spec.md"));
    c.wait_diagnostics(&broken, |p| {
        !p["diagnostics"].as_array().unwrap().is_empty()
    })
    .await;
    c.wait_for("registerCapability", |_| {
        c.server_requests()
            .iter()
            .find(|r| r["method"] == "client/registerCapability")
            .cloned()
    })
    .await;
    // A new bad file appears on disk.
    let new = root.join("specs/new.spec.md");
    std::fs::write(&new, b"# New\n\n\xff\n").unwrap();
    let new_uri = file_uri(&new);
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": new_uri, "type": 1}]}),
    )
    .await;
    c.wait_diagnostics(&new_uri, |p| {
        !p["diagnostics"].as_array().unwrap().is_empty()
    })
    .await;
    // Fixed on disk.
    std::fs::write(&new, b"# New\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": new_uri, "type": 2}]}),
    )
    .await;
    c.wait_diagnostics(&new_uri, |p| {
        p["diagnostics"].as_array().unwrap().is_empty()
    })
    .await;
    // Open the broken file (the buffer wins), then delete it on disk while open.
    c.open(&broken, "---\nname: broken\n---\n# Fine now\n")
        .await;
    c.wait_diagnostics(&broken, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    std::fs::remove_file(root.join("specs/broken.spec.md")).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": broken, "type": 3}]}),
    )
    .await;
    assert_eq!(
        c.text(&broken).await["result"]["text"],
        "---\nname: broken\n---\n# Fine now\n"
    );
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": broken}}),
    )
    .await;
    assert_alive(&c).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_poller_when_the_client_cannot_watch() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(root.join("specs")).unwrap();
    let c = TestClient::start();
    c.initialize(Some(&root), utf16_client(), json!({"pollInterval": 100}))
        .await;
    assert_alive(&c).await;
    let f = root.join("specs/late.spec.md");
    std::fs::write(&f, b"# Late\n\xfe\n").unwrap();
    c.wait_diagnostics(&file_uri(&f), |p| {
        !p["diagnostics"].as_array().unwrap().is_empty()
    })
    .await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_unrelated_files_and_progress() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    for i in 0..2500 {
        let sub = root.join(format!("src/m{}", i % 50));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("f{i}.rs")), "fn main() {}\n").unwrap();
    }
    for i in 0..600 {
        std::fs::write(
            root.join(format!("src/m{}/notes{i}.md", i % 50)),
            "# Notes\n",
        )
        .unwrap();
    }
    std::fs::create_dir_all(root.join("specs")).unwrap();
    std::fs::write(root.join("specs/only.spec.md"), b"# Only\n\xff\n").unwrap();
    let c = TestClient::start();
    c.initialize(
        Some(&root),
        json!({"window": {"workDoneProgress": true}}),
        Value::Null,
    )
    .await;
    let uri = file_uri(&root.join("specs/only.spec.md"));
    c.wait_diagnostics(&uri, |p| !p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    // 601 candidate files: indexing reports progress, begin to end.
    let kinds = c
        .wait_for("progress end", |ns| {
            let kinds: Vec<String> = ns
                .iter()
                .filter(|n| n["method"] == "$/progress")
                .map(|n| {
                    n["params"]["value"]["kind"]
                        .as_str()
                        .unwrap_or("")
                        .to_string()
                })
                .collect();
            kinds.contains(&"end".to_string()).then_some(kinds)
        })
        .await;
    assert_eq!(kinds.first().map(String::as_str), Some("begin"));
    assert!(c
        .server_requests()
        .iter()
        .any(|r| r["method"] == "window/workDoneProgress/create"));
    // Only the spec got diagnostics.
    let published: Vec<Value> = c
        .notifications()
        .into_iter()
        .filter(|n| n["method"] == "textDocument/publishDiagnostics")
        .map(|n| n["params"]["uri"].clone())
        .collect();
    assert_eq!(published, vec![json!(uri)]);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_diagnostics() {
    let root = fixture("basic");
    let c = TestClient::start();
    c.initialize(
        Some(&root),
        json!({"textDocument": {"diagnostic": {}}, "workspace": {"diagnostics": {"refreshSupport": true}}}),
        Value::Null,
    )
    .await;
    let uri = file_uri(&root.join("specs/broken.spec.md"));
    let first = c
        .call(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(first["kind"], "full");
    insta::assert_json_snapshot!("pull_document", redact(&first, &root));
    let again = c
        .call(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}, "previousResultId": first["resultId"]}),
        )
        .await;
    assert_eq!(
        again,
        json!({"kind": "unchanged", "resultId": first["resultId"]})
    );
    let ws = c
        .call(
            "workspace/diagnostic",
            json!({"previousResultIds": [{"uri": uri, "value": first["resultId"]}]}),
        )
        .await;
    insta::assert_json_snapshot!("pull_workspace", redact(&ws, &root));
    // Pull clients get no pushed diagnostics.
    assert!(c.latest_diagnostics(&uri).is_none());
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_fixes_from_diagnostic_data() {
    let c = TestClient::start();
    c.initialize(None, utf16_client(), Value::Null).await;
    let uri = "file:///tmp/specls-test/fix.spec.md";
    c.open(uri, "status: drafft\n").await;
    let diag = json!({
        "range": {"start": {"line": 0, "character": 8}, "end": {"line": 0, "character": 14}},
        "severity": 1,
        "code": "invalid-value",
        "source": "specls",
        "message": "unknown status `drafft`",
        "data": {"fixes": [{"title": "Replace with `draft`", "edits": [{"uri": uri, "range": {"start": {"line": 0, "character": 8}, "end": {"line": 0, "character": 14}}, "newText": "draft"}]}]}
    });
    let actions = c
        .call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 9}, "end": {"line": 0, "character": 9}}, "context": {"diagnostics": [diag], "only": ["quickfix"]}}),
        )
        .await;
    insta::assert_json_snapshot!("quick_fix", actions);
    // Asking only for refactorings gives nothing.
    let none = c
        .call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 9}, "end": {"line": 0, "character": 9}}, "context": {"diagnostics": [], "only": ["refactor"]}}),
        )
        .await;
    assert_eq!(none, Value::Null);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_command_rereads_the_disk() {
    let dir = temp_copy("basic");
    let root = dir.path().canonicalize().unwrap();
    let c = TestClient::start();
    c.initialize(Some(&root), utf16_client(), json!({"pollInterval": 0}))
        .await;
    let broken = file_uri(&root.join("specs/broken.spec.md"));
    c.wait_diagnostics(&broken, |p| {
        !p["diagnostics"].as_array().unwrap().is_empty()
    })
    .await;
    std::fs::write(root.join("specs/broken.spec.md"), "# Fixed\n").unwrap();
    let r = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.reindex"}),
        )
        .await;
    assert_eq!(r, Value::Null);
    c.wait_diagnostics(&broken, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    c.shutdown().await;
}

/// Whether a publish holds the cross-file duplicate finding.
fn has_dup(p: &Value) -> bool {
    p["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == "duplicate-scenario-steps")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_file_findings_follow_edits_in_another_file() {
    let root = fixture("crossfile");
    let a = file_uri(&root.join("specs/a.spec.md"));
    let b = file_uri(&root.join("specs/b.spec.md"));
    let c = TestClient::start();
    c.initialize(Some(&root), utf16_client(), json!({"pollInterval": 0}))
        .await;
    let db = c.wait_diagnostics(&b, has_dup).await;
    insta::assert_json_snapshot!("cross_file_duplicate", redact(&db, &root));
    // Edit a (open buffer): the duplicate is gone, and b (closed) is updated too.
    let text = std::fs::read_to_string(root.join("specs/a.spec.md")).unwrap();
    c.open(&a, &text).await;
    c.change(
        &a,
        2,
        json!([{"range": {"start": {"line": 9, "character": 9}, "end": {"line": 9, "character": 21}}, "text": "I add a pen"}]),
    )
    .await;
    c.wait_diagnostics(&b, |p| !has_dup(p)).await;
    // The finding was reported on b only (the later of the two); a, opened without problems,
    // was published once, empty (so the client knows it was analysed), and never again.
    let published_a = publishes(&c, &a);
    assert_eq!(published_a.len(), 1, "{published_a:?}");
    assert_eq!(published_a[0]["diagnostics"], json!([]));
    c.shutdown().await;
}

/// The publishes of diagnostics for `uri` so far, in order.
fn publishes(c: &TestClient, uri: &str) -> Vec<Value> {
    c.notifications()
        .into_iter()
        .filter(|n| n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri)
        .map(|n| n["params"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_document_without_problems_is_published_once_empty() {
    let root = fixture("crossfile");
    let a = file_uri(&root.join("specs/a.spec.md"));
    let b = file_uri(&root.join("specs/b.spec.md"));
    let notes = file_uri(&root.join("notes.txt"));
    let c = TestClient::start();
    c.initialize(Some(&root), utf16_client(), json!({"pollInterval": 0}))
        .await;
    c.wait_diagnostics(&b, has_dup).await;
    // a has no problem and is only on disk: nothing is published for it.
    assert_eq!(publishes(&c, &a), Vec::<Value>::new());
    // Opened (the text on disk), it is published once, empty, with its version.
    let text = std::fs::read_to_string(root.join("specs/a.spec.md")).unwrap();
    c.open(&a, &text).await;
    let first = c.wait_diagnostics(&a, |_| true).await;
    assert_eq!(first["diagnostics"], json!([]));
    assert_eq!(first["version"], json!(1));
    // So is an open document that is no spec at all.
    c.open(&notes, "some notes\n").await;
    let n = c.wait_diagnostics(&notes, |_| true).await;
    assert_eq!(n["diagnostics"], json!([]));
    // An edit that keeps a clean changes b (its duplicate is gone) but publishes nothing for a
    // or for the notes.
    c.change(
        &a,
        2,
        json!([{"range": {"start": {"line": 9, "character": 9}, "end": {"line": 9, "character": 21}}, "text": "I add a pen"}]),
    )
    .await;
    c.change(&notes, 2, json!([{"text": "other notes\n"}]))
        .await;
    c.wait_diagnostics(&b, |p| !has_dup(p)).await;
    // A problem in a: published (and only that since the first publish).
    c.change(
        &a,
        3,
        json!([{"range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 12}}, "text": "type: bundel"}]),
    )
    .await;
    c.wait_diagnostics(&a, |p| !p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    let versions: Vec<(Value, usize)> = publishes(&c, &a)
        .iter()
        .map(|p| {
            (
                p["version"].clone(),
                p["diagnostics"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(versions, vec![(json!(1), 0), (json!(3), 1)]);
    assert_eq!(publishes(&c, &notes).len(), 1);
    c.shutdown().await;
}

/// What the server knows of the workspace: every workspace symbol as a `name  uri` line,
/// sorted, with the fixture root redacted.
async fn known_scenarios(c: &TestClient, root: &Path) -> Vec<String> {
    let r = c.call("workspace/symbol", json!({"query": ""})).await;
    let r = redact(&r, root);
    let mut out: Vec<String> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let (name, uri) = (&s["name"], &s["location"]["uri"]);
            format!("{}  {}", name.as_str().unwrap(), uri.as_str().unwrap())
        })
        .collect();
    out.sort();
    out
}

/// `workspace/didChangeWorkspaceFolders`: an added folder is indexed (its specs are known and
/// get diagnostics), a removed one is dropped (its diagnostics cleared); an open buffer stays
/// open through both changes and leaves the workspace when closed outside every folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_folders_added_and_removed() {
    let root = fixture("folders").canonicalize().unwrap();
    let (alpha, beta) = (root.join("alpha"), root.join("beta"));
    let c = TestClient::start();
    let init = c.initialize(Some(&alpha), utf8_client(), Value::Null).await;
    assert_eq!(
        init["capabilities"]["workspace"]["workspaceFolders"],
        json!({"supported": true, "changeNotifications": true})
    );
    let opened = file_uri(&alpha.join("specs/alpha.spec.md"));
    let old = file_uri(&alpha.join("specs/old.spec.md"));
    let beta_uri = file_uri(&beta.join("specs/beta.spec.md"));
    let edited = std::fs::read_to_string(alpha.join("specs/alpha.spec.md"))
        .unwrap()
        .replace("Alpha opens", "Alpha opens wide");
    c.open(&opened, &edited).await;
    let mut log = vec!["# alpha".to_string()];
    log.extend(known_scenarios(&c, &root).await);
    c.wait_diagnostics(&old, |p| !p["diagnostics"].as_array().unwrap().is_empty())
        .await;

    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": file_uri(&beta), "name": "beta"}], "removed": []}}),
    )
    .await;
    log.push("# alpha + beta".into());
    log.extend(known_scenarios(&c, &root).await);
    c.wait_diagnostics(&beta_uri, |p| {
        !p["diagnostics"].as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(c.text(&opened).await["result"]["text"], edited.as_str());

    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [{"uri": file_uri(&alpha), "name": "alpha"}]}}),
    )
    .await;
    log.push("# beta (alpha's open buffer stays)".into());
    log.extend(known_scenarios(&c, &root).await);
    c.wait_diagnostics(&old, |p| p["diagnostics"].as_array().unwrap().is_empty())
        .await;
    assert_eq!(c.text(&opened).await["result"]["text"], edited.as_str());

    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": opened}}),
    )
    .await;
    log.push("# beta, alpha's buffer closed".into());
    log.extend(known_scenarios(&c, &root).await);
    // Removing a folder that is not there, or adding one twice, changes nothing.
    c.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": file_uri(&beta), "name": "beta"}],
                         "removed": [{"uri": file_uri(&alpha), "name": "alpha"}]}}),
    )
    .await;
    log.push("# unchanged".into());
    log.extend(known_scenarios(&c, &root).await);
    insta::assert_snapshot!(log.join("\n"));
    assert_alive(&c).await;
    c.shutdown().await;
}

/// `diagnosticsDelay` is a debounce for bursts the checks cannot keep up with: a client that
/// waits for each publish before its next edit, and a burst of edits that are checked in
/// milliseconds, get their diagnostics at once. With a delay of a minute, any wait would time
/// the test out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_the_checks_keep_up_with_are_not_debounced() {
    let root = fixture("crossfile");
    let b = file_uri(&root.join("specs/b.spec.md"));
    let c = TestClient::start();
    c.initialize(
        Some(&root),
        utf16_client(),
        json!({"pollInterval": 0, "diagnosticsDelay": 60000}),
    )
    .await;
    let text = std::fs::read_to_string(root.join("specs/b.spec.md")).unwrap();
    c.open(&b, &text).await;
    c.wait_diagnostics(&b, has_dup).await;
    // Line 9 is `**When** I add a book`: a pen makes b no longer a duplicate of a.
    let edit = |pen: bool| {
        let (old, new) = if pen {
            ("book", "pen")
        } else {
            ("pen", "book")
        };
        let end = 17 + old.len();
        json!([{"range": {"start": {"line": 9, "character": 17}, "end": {"line": 9, "character": end}}, "text": new}])
    };
    for version in 2..8 {
        let pen = version % 2 == 0;
        c.change(&b, version, edit(pen)).await;
        c.wait_diagnostics(&b, |p| p["version"] == version && has_dup(p) != pen)
            .await;
    }
    // A burst: seven edits sent without waiting, the last one changing the diagnostics
    // published last (unchanged ones are not published again): its diagnostics come.
    for version in 8..15 {
        c.change(&b, version, edit(version % 2 == 0)).await;
    }
    c.wait_diagnostics(&b, |p| p["version"] == 14 && !has_dup(p))
        .await;
    c.shutdown().await;
}
