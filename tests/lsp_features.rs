//! End-to-end tests of the editor features through the real server (in-process, duplex pipe):
//! every request is sent as an editor would, and the responses are snapshot-tested.

#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};

use lsp_client::{file_uri, TestClient};
use serde_json::{json, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lsp/features")
}

fn redact(v: &Value) -> Value {
    let root_uri = file_uri(&root());
    match v {
        Value::String(s) => Value::String(s.replace(&root_uri, "file:///ROOT")),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.replace(&root_uri, "file:///ROOT"), redact(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn uri(rel: &str) -> String {
    file_uri(&root().join(rel))
}

/// The position of the `nth` occurrence of `needle` in a fixture file (+ `shift` characters),
/// in UTF-16 or UTF-8 units.
fn pos(rel: &str, needle: &str, nth: usize, shift: usize, utf8: bool) -> Value {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    let at = text
        .match_indices(needle)
        .nth(nth)
        .expect("needle not found")
        .0;
    let at = text[at..]
        .char_indices()
        .nth(shift)
        .map_or(text.len(), |(i, _)| at + i);
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count();
    let col: usize = if utf8 {
        at - line_start
    } else {
        text[line_start..at].encode_utf16().count()
    };
    json!({"line": line, "character": col})
}

fn at(rel: &str, needle: &str) -> Value {
    json!({"textDocument": {"uri": uri(rel)}, "position": pos(rel, needle, 0, 1, false)})
}

async fn start(caps: Value) -> TestClient {
    let c = TestClient::start();
    c.initialize(Some(&root()), caps, json!({"pollInterval": 0}))
        .await;
    c
}

const TODO: &str = "specs/todo.spec.md";
const TASKS: &str = "specs/tasks.spec.yaml";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symbols() {
    let c = start(json!({})).await;
    let doc = c
        .call(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri(TODO)}}),
        )
        .await;
    insta::assert_json_snapshot!("document_symbols_todo", doc);
    let yaml = c
        .call(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri(TASKS)}}),
        )
        .await;
    insta::assert_json_snapshot!("document_symbols_tasks", yaml);
    let ws = c
        .call("workspace/symbol", json!({"query": "add item"}))
        .await;
    insta::assert_json_snapshot!("workspace_symbols", redact(&ws));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_definition_references() {
    let c = start(json!({})).await;
    let hover = c.call("textDocument/hover", at(TODO, "FR-01.")).await;
    insta::assert_json_snapshot!("hover_requirement_mention", hover);
    let def = c.call("textDocument/definition", at(TODO, "FR-01.")).await;
    insta::assert_json_snapshot!("definition_requirement", redact(&def));
    let dep = c.call("textDocument/definition", at(TODO, "tasks\n")).await;
    insta::assert_json_snapshot!("definition_dependency", redact(&dep));
    let mut params = at(TODO, "FR-01.");
    params["context"] = json!({"includeDeclaration": true});
    let refs = c.call("textDocument/references", params).await;
    insta::assert_json_snapshot!("references_requirement", redact(&refs));
    // A step phrase: the other scenarios using the same step.
    let mut params = at(TODO, "an empty list");
    params["context"] = json!({"includeDeclaration": false});
    let steps = c.call("textDocument/references", params).await;
    insta::assert_json_snapshot!("references_step", redact(&steps));
    c.shutdown().await;

    // Clients that support links get LocationLinks, with the origin range.
    let c = start(json!({"textDocument": {"definition": {"linkSupport": true}}})).await;
    let def = c.call("textDocument/definition", at(TODO, "FR-01.")).await;
    insta::assert_json_snapshot!("definition_link", redact(&def));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_positions_in_both_encodings() {
    // The mention of FR-01 follows "café ☕" on its line: columns differ between encodings.
    let c = start(json!({"general": {"positionEncodings": ["utf-8"]}})).await;
    let p =
        json!({"textDocument": {"uri": uri(TODO)}, "position": pos(TODO, "FR-01.", 0, 1, true)});
    let h8 = c.call("textDocument/hover", p).await;
    c.shutdown().await;
    let c = start(json!({})).await;
    let h16 = c.call("textDocument/hover", at(TODO, "FR-01.")).await;
    c.shutdown().await;
    assert_eq!(h8["contents"], h16["contents"]);
    let line = "A todo list for the café ☕ team. See ";
    assert_eq!(h8["range"]["start"]["character"], line.len());
    assert_eq!(
        h16["range"]["start"]["character"],
        line.encode_utf16().count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_in_an_edited_buffer() {
    let c = start(json!({})).await;
    let text = std::fs::read_to_string(root().join(TODO)).unwrap() + "\n## Scenario: New one\n**Gi";
    let u = uri(TODO);
    c.open(&u, &text).await;
    let last = text.lines().count() - 1;
    let items = c
        .call(
            "textDocument/completion",
            json!({"textDocument": {"uri": u}, "position": {"line": last, "character": 4}}),
        )
        .await;
    let labels: Vec<Value> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!({"label": i["label"], "kind": i["kind"], "edit": i["textEdit"]}))
        .collect();
    insta::assert_json_snapshot!("completion_step_keyword", labels);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_folding_selection() {
    let c = start(json!({})).await;
    let init_tokens = c
        .call(
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": uri(TASKS)}}),
        )
        .await;
    insta::assert_json_snapshot!("semantic_tokens_tasks", init_tokens);
    let folds = c
        .call(
            "textDocument/foldingRange",
            json!({"textDocument": {"uri": uri(TODO)}}),
        )
        .await;
    insta::assert_json_snapshot!("folding_todo", folds);
    let sel = c
        .call(
            "textDocument/selectionRange",
            json!({"textDocument": {"uri": uri(TODO)}, "positions": [pos(TODO, "milk", 0, 1, false)]}),
        )
        .await;
    insta::assert_json_snapshot!("selection_milk", sel);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_and_formatting() {
    let c = start(json!({})).await;
    let prep = c
        .call("textDocument/prepareRename", at(TODO, "FR-02**"))
        .await;
    insta::assert_json_snapshot!("prepare_rename_requirement", prep);
    let mut params = at(TODO, "FR-02**");
    params["newName"] = json!("FR-20");
    let edit = c.call("textDocument/rename", params).await;
    insta::assert_json_snapshot!("rename_requirement", redact(&edit));
    let mut params = at(TODO, "# Overview");
    params["newName"] = json!("x");
    let nothing = c.request("textDocument/rename", params).await;
    assert_eq!(nothing["error"]["code"], -32803, "{nothing}");
    let fmt = c
        .call(
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri(TASKS)}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .await;
    insta::assert_json_snapshot!("formatting_tasks", fmt);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_range_and_unknown_documents() {
    let c = start(json!({})).await;
    let far = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(TODO)}, "position": {"line": 9999, "character": 0}}),
        )
        .await;
    assert_eq!(far["error"]["code"], -32602, "{far}");
    // A column past the end of a line is the end of the line (no error).
    let wide = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(TODO)}, "position": {"line": 0, "character": 9999}}),
        )
        .await;
    assert!(wide.get("error").is_none(), "{wide}");
    // Not a spec: empty answers.
    let readme = "file:///tmp/specls-features/README.md";
    c.open(readme, "# Hello\n").await;
    for method in [
        "textDocument/documentSymbol",
        "textDocument/foldingRange",
        "textDocument/semanticTokens/full",
    ] {
        let r = c
            .call(method, json!({"textDocument": {"uri": readme}}))
            .await;
        assert_eq!(r, Value::Null, "{method}");
    }
    let h = c
        .call(
            "textDocument/hover",
            json!({"textDocument": {"uri": readme}, "position": {"line": 0, "character": 2}}),
        )
        .await;
    assert_eq!(h, Value::Null);
    c.shutdown().await;
}

/// The commands a user runs from a spec; each must be reachable through a code action, for
/// clients that show no code lenses.
const USER_COMMANDS: &[&str] = &[
    "specls.runTests",
    "specls.compile",
    "specls.proposeEdgeCases",
    "specls.showDrift",
    "specls.workspaceHealth",
];

fn action_at(rel: &str, needle: &str, only: Option<&[&str]>) -> Value {
    let p = pos(rel, needle, 0, 1, false);
    let mut ctx = json!({"diagnostics": []});
    if let Some(only) = only {
        ctx["only"] = json!(only);
    }
    json!({"textDocument": {"uri": uri(rel)}, "range": {"start": p, "end": p}, "context": ctx})
}

fn commands_of(actions: &Value) -> Vec<(String, String, Value)> {
    actions
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|a| a["kind"] == "source.specls")
        .map(|a| {
            (
                a["title"].as_str().unwrap().to_string(),
                a["command"]["command"].as_str().unwrap().to_string(),
                a["command"]["arguments"][0].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_user_command_is_a_code_action() {
    let c = TestClient::start();
    let init = c
        .initialize(Some(&root()), json!({}), json!({"pollInterval": 0}))
        .await;
    let advertised: Vec<String> = init["capabilities"]["executeCommandProvider"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(advertised.iter().any(|c| c == "specls.version"));
    let kinds = &init["capabilities"]["codeActionProvider"]["codeActionKinds"];
    assert!(
        kinds.as_array().unwrap().contains(&json!("source.specls")),
        "{kinds}"
    );

    // In a scenario and at the top of a Markdown spec and of a YAML spec.
    for (rel, needle) in [(TODO, "I mark \"milk\""), (TASKS, "Create a task")] {
        let actions = c
            .call("textDocument/codeAction", action_at(rel, needle, None))
            .await;
        let top = c
            .call("textDocument/codeAction", action_at(rel, "name", None))
            .await;
        let mut found = commands_of(&actions);
        found.extend(commands_of(&top));
        for (title, command, args) in &found {
            assert!(
                advertised.contains(command),
                "action `{title}` calls `{command}`, which the server does not execute"
            );
            if let Some(u) = args.get("uri") {
                assert_eq!(u, &json!(uri(rel)), "{title}");
            }
        }
        for command in USER_COMMANDS {
            if advertised.iter().any(|a| a == command) {
                assert!(
                    found.iter().any(|(_, c, _)| c == command),
                    "`{command}` is not reachable through a code action in {rel}: {found:?}"
                );
            }
        }
        if advertised.iter().any(|a| a == "specls.runTests") {
            assert!(
                found.iter().any(|(_, c, a)| c == "specls.runTests"
                    && a["scenarios"].as_array().is_some_and(|s| s.len() == 1)),
                "no action runs the scenario at the cursor: {found:?}"
            );
        }
    }

    // Kind filters: `source` admits the commands; `quickfix` and `refactor` do not.
    let source = c
        .call(
            "textDocument/codeAction",
            action_at(TODO, "I mark", Some(&["source"])),
        )
        .await;
    let all = c
        .call("textDocument/codeAction", action_at(TODO, "I mark", None))
        .await;
    assert_eq!(commands_of(&source), commands_of(&all));
    for only in [["quickfix"], ["refactor"]] {
        let r = c
            .call(
                "textDocument/codeAction",
                action_at(TODO, "I mark", Some(&only)),
            )
            .await;
        assert!(commands_of(&r).is_empty(), "{only:?}: {r}");
    }

    let v = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.version"}),
        )
        .await;
    assert_eq!(
        v,
        json!({"name": "specls", "version": env!("CARGO_PKG_VERSION")})
    );
    c.shutdown().await;
}

/// The server's `workspace/applyEdit` requests so far (waits up to the client's timeout for
/// at least `n`).
async fn apply_edits(c: &TestClient, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + c.timeout;
    loop {
        let found: Vec<Value> = c
            .server_requests()
            .into_iter()
            .filter(|r| r["method"] == "workspace/applyEdit")
            .map(|r| r["params"].clone())
            .collect();
        if found.len() >= n || tokio::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propose_edge_cases_applies_one_reviewable_edit() {
    let c = start(json!({})).await;
    let text = std::fs::read_to_string(root().join(TASKS)).unwrap();
    c.open(&uri(TASKS), &text).await;
    // The code action at a scenario offers the command with the scenario's id.
    let actions = c
        .call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(TASKS)}, "range": {"start": pos(TASKS, "Create a task", 0, 2, false), "end": pos(TASKS, "Create a task", 0, 2, false)}, "context": {"diagnostics": [], "only": ["source"]}}),
        )
        .await;
    let propose: Vec<&Value> = actions
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["command"]["command"] == "specls.proposeEdgeCases")
        .collect();
    assert_eq!(propose.len(), 1, "{actions:#}");
    // It carries the edit itself (no round-trip), titled with the count; its command names
    // what the edit inserted, so running it after the edit inserts nothing again.
    let action = propose[0];
    let inserted = action["command"]["arguments"][0]["inserted"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!inserted.is_empty(), "{action:#}");
    let direct = action["edit"]["changes"][uri(TASKS)].clone();
    assert_eq!(direct.as_array().unwrap().len(), inserted.len());
    // The cap of 6 per scenario is visible: the title says how many ideas there are in all.
    let title = action["title"].as_str().unwrap();
    assert!(
        title.starts_with(&format!(
            "Propose {} edge cases for scenario \u{2018}Create a task\u{2019} (of up to ",
            inserted.len()
        )) && title.ends_with("; propose again for more)"),
        "{title}"
    );
    let after_edit = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.proposeEdgeCases", "arguments": action["command"]["arguments"].clone()}),
        )
        .await;
    assert_eq!(after_edit["proposed"], json!(inserted));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(apply_edits(&c, 0).await.is_empty());
    // The command alone (a lens, or a client that runs commands) sends the same edit.
    let mut args = action["command"]["arguments"].clone();
    args[0].as_object_mut().unwrap().remove("inserted");
    let answer = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.proposeEdgeCases", "arguments": args}),
        )
        .await;
    let names = answer["proposed"].as_array().unwrap().clone();
    assert_eq!(names, inserted, "{answer:#}");
    let edits = apply_edits(&c, 1).await;
    assert_eq!(edits.len(), 1);
    let changes = &edits[0]["edit"]["changes"][uri(TASKS)];
    assert_eq!(changes, &direct);
    insta::assert_json_snapshot!("propose_edge_cases_apply_edit", redact(&edits[0]));
    // A whole spec, and errors for what does not exist.
    let spec = c
        .call(
            "workspace/executeCommand",
            json!({"command": "specls.proposeEdgeCases", "arguments": [{"uri": uri(TASKS)}]}),
        )
        .await;
    assert!(spec["proposed"].as_array().unwrap().len() >= names.len());
    assert_eq!(apply_edits(&c, 2).await.len(), 2);
    let bad = c
        .request(
            "workspace/executeCommand",
            json!({"command": "specls.proposeEdgeCases", "arguments": [{"uri": uri(TASKS), "scenario": "nope"}]}),
        )
        .await;
    assert!(bad["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no scenario `nope`"));
    c.shutdown().await;
}
