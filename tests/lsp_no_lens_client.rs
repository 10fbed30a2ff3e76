//! A client with no extension and no code lenses (Helix, eglot, Kakoune, Zed, Sublime): it
//! reaches Run, Compile and Propose edge cases through `textDocument/codeAction` alone, executes
//! them with `workspace/executeCommand`, and gets what they did through standard LSP only:
//! `$/progress` (after `window/workDoneProgress/create`), `window/showMessage` and
//! `workspace/applyEdit`. Nothing the server sends needs a client-specific extension.

#[path = "common/fs.rs"]
mod fs;
#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::path::Path;
use std::sync::Arc;

use lsp_client::{file_uri, Reply, TestClient};
use serde_json::{json, Value};

/// Stands in for pytest: reports the test linked to `task-create` as passed (JUnit XML).
const FAKE_TESTS: &str = r#"#!/bin/sh
cat > "$1" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="1" failures="0" errors="0" skipped="0"><testcase classname="tests.test_tasks" name="test_create_a_simple_task" file="tests/test_tasks.py" time="0.010"/></testsuite></testsuites>
XML
echo "1 passed"
"#;

/// Stands in for an agent CLI: writes the implementation of spec `$1` (src/{name}.py, where the
/// example's own src/tasks.py is, so the compile asks before replacing it).
const FAKE_AGENT: &str = r#"#!/bin/sh
mkdir -p src
printf 'def create_task(title: str) -> dict:\n    return {"title": title}\n' > "src/$1.py"
"#;

/// The task-management example with a test command and an agent CLI as compile backend.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/examples/task-management"),
        dir.path(),
    );
    std::fs::write(dir.path().join("fake-tests.sh"), FAKE_TESTS).unwrap();
    std::fs::write(dir.path().join("fake-agent.sh"), FAKE_AGENT).unwrap();
    std::fs::write(
        dir.path().join("specls.toml"),
        "[tests]\ncommand = \"sh fake-tests.sh {report}\"\n\n\
         [llm]\nprovider = \"command\"\ncommand = \"sh fake-agent.sh {name}\"\n",
    )
    .unwrap();
    dir
}

/// What the client advertises: progress and workspace edits, nothing about code lenses, and no
/// `experimental` section.
fn capabilities() -> Value {
    json!({
        "window": {"workDoneProgress": true},
        "workspace": {"applyEdit": true, "workspaceEdit": {"documentChanges": true}},
        "textDocument": {
            "codeAction": {
                "codeActionLiteralSupport": {
                    "codeActionKind": {"valueSet": ["quickfix", "source", "refactor"]}
                }
            }
        }
    })
}

/// The position of `needle` in `text` (first occurrence), UTF-16 = bytes here (ASCII).
fn position(text: &str, needle: &str) -> Value {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the spec"));
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col + 1})
}

/// The `source.specls` actions at a position: (title, command, argument).
async fn actions_at(c: &TestClient, uri: &str, pos: &Value) -> Vec<(String, String, Value)> {
    let actions = c
        .call(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": uri},
                "range": {"start": pos, "end": pos},
                "context": {"diagnostics": [], "only": ["source"]}
            }),
        )
        .await;
    actions
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            assert_eq!(a["kind"], "source.specls", "{a}");
            // A command the client runs as is, with its one argument. Only Propose edge cases
            // may carry its edit too (a client applies it, then the command, told what was
            // `inserted`, adds nothing); the argument is returned without `inserted`, as the
            // command a client that ignores the edit would run.
            assert_eq!(a["command"]["arguments"].as_array().unwrap().len(), 1);
            let mut arg = a["command"]["arguments"][0].clone();
            if a["command"]["command"] == "specls.proposeEdgeCases" {
                if let Some(edit) = a.get("edit") {
                    let inserted = arg
                        .as_object_mut()
                        .unwrap()
                        .remove("inserted")
                        .expect("an action with an edit names what it inserts");
                    let uri = arg["uri"].as_str().unwrap();
                    assert_eq!(
                        edit["changes"][uri].as_array().unwrap().len(),
                        inserted.as_array().unwrap().len(),
                        "{a}"
                    );
                }
            } else {
                assert!(a.get("edit").is_none(), "{a}");
            }
            (
                a["title"].as_str().unwrap().to_string(),
                a["command"]["command"].as_str().unwrap().to_string(),
                arg,
            )
        })
        .collect()
}

fn pick<'a>(
    actions: &'a [(String, String, Value)],
    title_starts: &str,
) -> &'a (String, String, Value) {
    // "Propose 5 edge cases for ..." is found as "Propose edge cases for ...".
    let plain = |t: &str| {
        let mut w: Vec<&str> = t.split(' ').collect();
        if w.first() == Some(&"Propose") && w.get(1).is_some_and(|n| n.parse::<usize>().is_ok()) {
            w.remove(1);
        }
        w.join(" ").replacen("edge case for", "edge cases for", 1)
    };
    actions
        .iter()
        .find(|(t, _, _)| plain(t).starts_with(title_starts))
        .unwrap_or_else(|| panic!("no action `{title_starts}...` in {actions:#?}"))
}

/// The `$/progress` values of one token, in order.
fn progress_of(ns: &[Value], token: &Value) -> Vec<Value> {
    ns.iter()
        .filter(|n| n["method"] == "$/progress" && &n["params"]["token"] == token)
        .map(|n| n["params"]["value"].clone())
        .collect()
}

fn shown(ns: &[Value]) -> Vec<String> {
    ns.iter()
        .filter(|n| n["method"] == "window/showMessage")
        .map(|n| n["params"]["message"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Waits for a progress that began and ended under a token the client created, and returns its
/// values.
async fn finished_progress(
    c: &TestClient,
    what: &str,
    token: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let token = c
        .wait_for(&format!("the end of the {what} progress"), |ns| {
            ns.iter()
                .filter(|n| n["method"] == "$/progress" && n["params"]["value"]["kind"] == "end")
                .map(|n| n["params"]["token"].clone())
                .find(|t| token(t))
        })
        .await;
    let created = c
        .server_requests()
        .into_iter()
        .any(|r| r["method"] == "window/workDoneProgress/create" && r["params"]["token"] == token);
    assert!(created, "{what}: progress token {token} was never created");
    let values = progress_of(&c.notifications(), &token);
    assert_eq!(
        values.first().unwrap()["kind"],
        "begin",
        "{what}: {values:#?}"
    );
    assert!(
        values.first().unwrap()["title"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{what}: {values:#?}"
    );
    values
}

async fn wait_shown(c: &TestClient, what: &str, needle: &str) -> String {
    c.wait_for(what, |ns| {
        shown(ns).into_iter().find(|m| m.contains(needle))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_compile_and_propose_through_code_actions_alone() {
    let ws = workspace();
    let root = ws.path().canonicalize().unwrap();
    let c = TestClient::start_with(Arc::new(|method, params| match method {
        "workspace/applyEdit" => Reply::Result(json!({"applied": true})),
        // The compile's question about a file specls did not write: a standard request too.
        "window/showMessageRequest" => Reply::Result(json!({"title": "Overwrite"})),
        "workspace/configuration" => {
            let n = params["items"].as_array().map_or(1, Vec::len);
            Reply::Result(Value::Array(vec![Value::Null; n]))
        }
        _ => Reply::Result(Value::Null),
    }));
    let init = c
        .initialize(Some(&root), capabilities(), json!({"pollInterval": 0}))
        .await;
    let kinds = &init["capabilities"]["codeActionProvider"]["codeActionKinds"];
    assert!(
        kinds.as_array().unwrap().contains(&json!("source.specls")),
        "{kinds}"
    );
    let spec_path = root.join("tasks.spec.yaml");
    let uri = file_uri(&spec_path);
    let text = std::fs::read_to_string(&spec_path).unwrap();
    c.open(&uri, &text).await;

    // The actions at a scenario: its tests, its edge cases, the spec's compile.
    let at_scenario = position(&text, "Create a simple task");
    let mut actions = Vec::new();
    for _ in 0..200 {
        actions = actions_at(&c, &uri, &at_scenario).await;
        if actions.iter().any(|(_, cmd, _)| cmd == "specls.compile") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let (_, run_cmd, run_args) = pick(&actions, "Run the tests of scenario");
    assert_eq!(run_cmd, "specls.runTests");
    assert_eq!(run_args, &json!({"uri": uri, "scenarios": ["task-create"]}));
    let (_, propose_cmd, propose_args) = pick(&actions, "Propose edge cases for scenario");
    assert_eq!(propose_cmd, "specls.proposeEdgeCases");
    assert_eq!(
        propose_args,
        &json!({"uri": uri, "scenario": "task-create"})
    );
    let (_, compile_cmd, compile_args) = pick(&actions, "Compile spec");
    assert_eq!(compile_cmd, "specls.compile");
    assert_eq!(compile_args, &json!({"uri": uri}));
    // At the top of the spec: the whole spec and the workspace.
    let top = actions_at(&c, &uri, &position(&text, "feature:")).await;
    assert_eq!(
        pick(&top, "Run the tests of spec").2,
        json!({"uri": uri}),
        "{top:#?}"
    );
    assert_eq!(
        pick(&top, "Propose edge cases for spec").2,
        json!({"uri": uri})
    );
    assert_eq!(
        pick(&top, "Run the tests of every spec").2,
        json!({"all": true})
    );
    pick(&top, "Show drift of spec");

    // Run: answered at once, progress under a token the server created, the tally as a message.
    let started = c
        .call(
            "workspace/executeCommand",
            json!({"command": run_cmd, "arguments": [run_args]}),
        )
        .await;
    let token = started["token"].clone();
    assert!(
        started["command"]
            .as_str()
            .unwrap()
            .contains("fake-tests.sh"),
        "{started}"
    );
    let run = finished_progress(&c, "test run", |t| t == &token).await;
    assert_eq!(
        run.last().unwrap()["message"],
        "specls: tests 1 passed",
        "{run:#?}"
    );
    wait_shown(&c, "the run's message", "specls: tests 1 passed").await;
    // The result reaches a lens-less client as a hover on the scenario.
    let hover = c
        .call(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": at_scenario}),
        )
        .await;
    let hover = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(hover.contains("passed"), "{hover}");

    // Propose: the proposals arrive as one workspace edit of the spec.
    let answer = c
        .call(
            "workspace/executeCommand",
            json!({"command": propose_cmd, "arguments": [propose_args]}),
        )
        .await;
    let proposed = answer["proposed"].as_array().unwrap().len();
    assert!(proposed > 0, "{answer}");
    let edit = c
        .wait_for("the workspace/applyEdit of the proposals", |_| {
            c.server_requests()
                .into_iter()
                .find(|r| r["method"] == "workspace/applyEdit")
        })
        .await;
    let edits = edit["params"]["edit"]["changes"][&uri]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edits.len(), proposed, "{edit:#}");
    assert!(edits
        .iter()
        .all(|e| e["newText"].as_str().unwrap().contains("tags: [proposed]")));

    // Compile: progress with what arrived, the file written, the result as a message.
    let started = c
        .call(
            "workspace/executeCommand",
            json!({"command": compile_cmd, "arguments": [compile_args]}),
        )
        .await;
    assert_eq!(
        started,
        json!({"started": true, "specs": ["tasks.spec.yaml"]})
    );
    let compile = finished_progress(&c, "compile", |t| {
        t.as_str().is_some_and(|s| s.starts_with("specls-compile-"))
    })
    .await;
    assert_eq!(compile.last().unwrap()["message"], "done", "{compile:#?}");
    wait_shown(
        &c,
        "the compile's message",
        "specls: 1 compiled, 0 up to date, 0 failed",
    )
    .await;
    let asked: Vec<Value> = c
        .server_requests()
        .into_iter()
        .filter(|r| r["method"] == "window/showMessageRequest")
        .collect();
    assert_eq!(asked.len(), 1, "{asked:#?}");
    assert!(
        asked[0]["params"]["message"]
            .as_str()
            .unwrap()
            .contains("src/tasks.py"),
        "{asked:#?}"
    );
    let written = std::fs::read_to_string(root.join("src/tasks.py")).unwrap();
    assert!(written.starts_with("def create_task"), "{written}");

    // Standard LSP only: every request the server made is one the protocol defines (a client
    // answers an unknown request with an error), and no lens refresh goes to a client that did
    // not ask for lenses. The one specls notification, `specls/runFinished` (for clients that
    // track runs, like VS Code's Test Explorer), repeats what `window/showMessage` said, so a
    // client that ignores it, as clients do with unknown notifications, misses nothing.
    for r in c.server_requests() {
        let m = r["method"].as_str().unwrap_or("");
        assert!(
            !m.starts_with("specls") && m != "workspace/codeLens/refresh",
            "the server sent the request `{m}` to a client with no extension"
        );
    }
    let messages = shown(&c.notifications());
    for n in c.notifications() {
        let m = n["method"].as_str().unwrap_or("");
        if m == "specls/runFinished" {
            let said = n["params"]["message"].as_str().unwrap_or("");
            assert!(
                messages.iter().any(|s| s == said),
                "specls/runFinished says `{said}`, which window/showMessage did not: {messages:?}"
            );
        } else {
            assert!(
                !m.starts_with("specls") && !m.starts_with("$/specls"),
                "the server sent `{m}` to a client with no extension"
            );
        }
    }
    c.shutdown().await;
}
