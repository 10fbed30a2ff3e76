//! "Propose edge cases with <model>" in the editor, in-process over a duplex stream, against a
//! scripted OpenAI-compatible server: the code action is offered next to the deterministic one
//! when a model is configured; the command answers at once and works in a spawned task with
//! cancellable progress; a malformed answer, an empty list and a duplicate of an existing
//! scenario each give a clear `window/showMessage` and no edit; a valid answer arrives as one
//! `workspace/applyEdit` of the validated, de-duplicated proposals; a cancel stops a stalled
//! answer with no edit.

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

const SPEC: &str = "feature: Invoices\ndescription: Paying invoices\nscenarios:\n  - id: pay-invoice\n    name: Pay an open invoice\n    given: An open invoice \"INV-7\" of 40 euros\n    when: I pay the invoice \"INV-7\"\n    then: The invoice is marked as paid\n\n  - id: pay-paid-invoice\n    name: Pay a paid invoice\n    given: A paid invoice \"INV-8\"\n    when: I pay the invoice \"INV-8\"\n    then: The payment is refused with \"already paid\"\n";

const VALID: &str = r#"{"scenarios": [
 {"name": "Pay an invoice with an expired card", "derived_from": "pay-invoice", "kind": "failure-path",
  "rationale": "Cards expire; the invoice must stay open.",
  "given": ["An open invoice \"INV-7\" of 40 euros", "the saved card expired last month"],
  "when": ["I pay the invoice \"INV-7\""],
  "then": ["the payment is refused with \"card expired\"", "the invoice stays open"], "input": "", "expected": ""},
 {"name": "Pay it the same way", "derived_from": "pay-invoice", "kind": "idempotency", "rationale": "r",
  "given": ["An open invoice \"INV-7\" of 40 euros"], "when": ["I pay the invoice \"INV-7\""],
  "then": ["The invoice is marked as paid"], "input": "", "expected": ""}
]}"#;

const DUPLICATE: &str = r#"{"scenarios": [{"name": "Pay a paid invoice again", "derived_from": "pay-invoice", "kind": "idempotency", "rationale": "r", "given": ["A paid invoice \"INV-8\""], "when": ["I pay the invoice \"INV-8\""], "then": ["The payment is refused with \"already paid\""], "input": "", "expected": ""}]}"#;

fn client() -> TestClient {
    TestClient::start_with(Arc::new(|method, _params| match method {
        "workspace/applyEdit" => Reply::Result(json!({"applied": true})),
        "workspace/configuration" => Reply::Result(json!([null])),
        _ => Reply::Result(Value::Null),
    }))
}

fn messages(ns: &[Value]) -> Vec<String> {
    ns.iter()
        .filter(|n| n["method"] == "window/showMessage")
        .map(|n| n["params"]["message"].as_str().unwrap_or("").to_string())
        .collect()
}

fn apply_edits(c: &TestClient) -> Vec<Value> {
    c.server_requests()
        .into_iter()
        .filter(|r| r["method"] == "workspace/applyEdit")
        .collect()
}

/// Start on a workspace with `specls.toml` naming the scripted server; the code actions at
/// the first scenario once the workspace is indexed.
async fn start(c: &TestClient, root: &Path, base: &str) -> (String, Vec<Value>) {
    std::fs::write(root.join("invoices.spec.yaml"), SPEC).unwrap();
    std::fs::write(
        root.join("specls.toml"),
        format!("[llm]\nprovider = \"openai\"\nbase_url = \"{base}\"\nmodel = \"test-model\"\n"),
    )
    .unwrap();
    c.initialize(
        Some(root),
        json!({"window": {"workDoneProgress": true}, "workspace": {"applyEdit": true}}),
        Value::Null,
    )
    .await;
    let uri = file_uri(&root.join("invoices.spec.yaml"));
    c.open(&uri, SPEC).await;
    for _ in 0..200 {
        let actions = c
            .call(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 4}}, "context": {"diagnostics": []}}),
            )
            .await;
        let list = actions.as_array().cloned().unwrap_or_default();
        if list.iter().any(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.contains("with test-model"))
        }) {
            return (uri, list);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no \"Propose edge cases with test-model\" action");
}

// @spec edge-cases-model-answer-checked
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propose_with_the_model_validates_every_answer_before_any_edit() {
    let server = scripted::start(vec![
        sse(openai_stream(
            "Sure! Some ideas: test the limits {not json",
            20,
        )),
        sse(openai_stream("{\"scenarios\": []}", 20)),
        sse(openai_stream(DUPLICATE, 40)),
        sse(openai_stream(VALID, 40)),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let c = client();
    let (uri, actions) = start(&c, &root, &server.base).await;

    // Offered next to the deterministic action, for the scenario and for the spec; it carries
    // only the command (`llm: true`), no edit: the model is asked when the user picks it.
    let model_actions: Vec<&Value> = actions
        .iter()
        .filter(|a| a["title"].as_str().unwrap().contains("with test-model"))
        .collect();
    let titles: Vec<&str> = model_actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec!["Propose edge cases with test-model for scenario \u{2018}Pay an open invoice\u{2019}"]
    );
    let action = model_actions[0];
    assert!(action.get("edit").is_none_or(Value::is_null), "{action:#}");
    assert_eq!(action["command"]["command"], "specls.proposeEdgeCases");
    let args = action["command"]["arguments"][0].clone();
    assert_eq!(
        args,
        json!({"uri": uri, "scenario": "pay-invoice", "llm": true})
    );
    assert!(actions
        .iter()
        .any(|a| a["title"].as_str().unwrap().starts_with("Propose ")
            && a["title"].as_str().unwrap().contains("edge case")
            && !a["title"].as_str().unwrap().contains("test-model")));

    let expect = [
        "the model's answer is not the JSON object asked for",
        "the model proposed no scenario",
        "the model proposed nothing new",
    ];
    for want in expect {
        c.clear_notifications();
        let started = c
            .call(
                "workspace/executeCommand",
                json!({"command": "specls.proposeEdgeCases", "arguments": [args]}),
            )
            .await;
        assert_eq!(started, json!({"started": true, "model": "test-model"}));
        let msg = c
            .wait_for("the model's outcome", |ns| messages(ns).into_iter().next())
            .await;
        assert!(msg.starts_with("specls: ") && msg.contains(want), "{msg}");
        assert!(msg.contains("nothing proposed"), "{msg}");
        assert!(apply_edits(&c).is_empty(), "no edit for: {want}");
        // Progress: begun (cancellable), ended.
        let progress: Vec<Value> = c
            .notifications()
            .into_iter()
            .filter(|n| n["method"] == "$/progress")
            .map(|n| n["params"]["value"].clone())
            .collect();
        assert_eq!(progress.first().unwrap()["kind"], "begin", "{progress:#?}");
        assert_eq!(progress.first().unwrap()["cancellable"], true);
        assert!(progress.first().unwrap()["title"]
            .as_str()
            .unwrap()
            .contains("test-model"));
        c.wait_for("the progress end", |ns| {
            ns.iter()
                .any(|n| n["method"] == "$/progress" && n["params"]["value"]["kind"] == "end")
                .then_some(())
        })
        .await;
    }

    // A valid answer: one edit with the proposal that is new (the one repeating the scenario
    // it derives from is dropped, and said so).
    c.clear_notifications();
    c.call(
        "workspace/executeCommand",
        json!({"command": "specls.proposeEdgeCases", "arguments": [args]}),
    )
    .await;
    let msg = c
        .wait_for("the model's outcome", |ns| messages(ns).into_iter().next())
        .await;
    assert!(
        msg.starts_with("specls: 1 edge case from test-model inserted for scenario `pay-invoice`, marked proposed (1 dropped: `Pay it the same way` repeats an existing or proposed scenario)"),
        "{msg}"
    );
    let edits = apply_edits(&c);
    assert_eq!(edits.len(), 1);
    let params = &edits[0]["params"];
    assert_eq!(
        params["label"],
        "Propose 1 edge cases with test-model for scenario `pay-invoice`"
    );
    let changes = params["edit"]["changes"][uri.as_str()].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    insta::assert_json_snapshot!("edge_cases_lsp_model_edit", changes);
    // The request asked for the answer's JSON schema.
    let body: Value = serde_json::from_str(&server.requests()[3].body).unwrap();
    assert_eq!(body["response_format"]["type"], "json_schema");
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_answer_is_cancelled_from_the_progress_with_no_edit() {
    let server = scripted::start(vec![Resp::Sse {
        events: openai_stream(VALID, 30),
        delay: Duration::from_millis(300),
        hang: true,
    }])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let c = client();
    let (uri, _) = start(&c, &root, &server.base).await;
    let args = json!({"uri": uri, "llm": true});
    c.call(
        "workspace/executeCommand",
        json!({"command": "specls.proposeEdgeCases", "arguments": [args]}),
    )
    .await;
    let token = c
        .wait_for("bytes arriving", |ns| {
            ns.iter()
                .find(|n| {
                    n["method"] == "$/progress"
                        && n["params"]["value"]["message"]
                            .as_str()
                            .is_some_and(|m| m.ends_with("bytes received"))
                })
                .map(|n| n["params"]["token"].clone())
        })
        .await;
    // One at a time.
    let again = c
        .request(
            "workspace/executeCommand",
            json!({"command": "specls.proposeEdgeCases", "arguments": [args]}),
        )
        .await;
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already being proposed"),
        "{again}"
    );
    c.notify("window/workDoneProgress/cancel", json!({"token": token}))
        .await;
    let msg = c
        .wait_for("the cancel", |ns| messages(ns).into_iter().next())
        .await;
    assert!(msg.contains("cancelled"), "{msg}");
    assert!(apply_edits(&c).is_empty());
    assert_eq!(
        std::fs::read_to_string(root.join("invoices.spec.yaml")).unwrap(),
        SPEC
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_model_only_the_deterministic_action_is_offered() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("invoices.spec.yaml"), SPEC).unwrap();
    let c = client();
    c.initialize(Some(&root), json!({}), Value::Null).await;
    let uri = file_uri(&root.join("invoices.spec.yaml"));
    c.open(&uri, SPEC).await;
    let mut titles = Vec::new();
    for _ in 0..200 {
        let actions = c
            .call(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 4}}, "context": {"diagnostics": []}}),
            )
            .await;
        titles = actions
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|a| a["title"].as_str().unwrap_or("").to_string())
            .collect();
        if titles.iter().any(|t| t.contains("edge case")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(titles.iter().any(|t| t.contains("edge case")), "{titles:?}");
    assert!(!titles.iter().any(|t| t.contains(" with ")), "{titles:?}");
    let r = c
        .request(
            "workspace/executeCommand",
            json!({"command": "specls.proposeEdgeCases", "arguments": [{"uri": uri, "llm": true}]}),
        )
        .await;
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no model is configured"),
        "{r}"
    );
    c.shutdown().await;
}
