//! Edge cases from a model, against a scripted OpenAI-compatible / Anthropic server: a good
//! answer is validated, de-duplicated against the spec's scenarios and the deterministic
//! proposals and written in the file's format; malformed, empty and useless answers give a
//! clear message and no edit (also through `specls edge-cases --llm --write`).

#[path = "compile/scripted.rs"]
mod scripted;

use std::path::Path;

use scripted::{anthropic_stream, openai_stream, sse, status};
use specls::compile::Cancel;
use specls_core::config::Config;
use specls_core::edge_cases::{self, Target};
use specls_core::workspace::Workspace;

const SPEC: &str = "feature: Invoices\ndescription: Paying invoices\nscenarios:\n  - id: pay-invoice\n    name: Pay an open invoice\n    given: An open invoice \"INV-7\" of 40 euros\n    when: I pay the invoice \"INV-7\"\n    then: The invoice is marked as paid\n\n  - id: pay-paid-invoice\n    name: Pay a paid invoice\n    given: A paid invoice \"INV-8\"\n    when: I pay the invoice \"INV-8\"\n    then: The payment is refused with \"already paid\"\n";

fn ws() -> Workspace {
    let mut ws = Workspace::new();
    ws.upsert("invoices.spec.yaml", SPEC, specls_core::DocKind::YamlSpec);
    ws
}

fn config(provider: &str, base: &str) -> Config {
    Config::from_toml(&format!(
        "[llm]\nprovider = \"{provider}\"\nbase_url = \"{base}\"\nmodel = \"test-model\"\n"
    ))
    .0
}

const GOOD: &str = r#"{"scenarios": [
 {"name": "Pay an invoice with an expired card", "derived_from": "pay-invoice", "kind": "failure-path",
  "rationale": "Cards expire; the invoice must stay open.",
  "given": ["An open invoice \"INV-7\" of 40 euros", "the saved card expired last month"],
  "when": ["I pay the invoice \"INV-7\""],
  "then": ["the payment is refused with \"card expired\"", "the invoice stays open"]},
 {"name": "Pay a paid invoice again", "derived_from": "pay-paid-invoice", "kind": "idempotency",
  "rationale": "Same as an existing scenario.",
  "given": ["A paid invoice \"INV-8\""], "when": ["I pay the invoice \"INV-8\""],
  "then": ["The payment is refused with \"already paid\""]},
 {"name": "No steps", "derived_from": "pay-invoice", "kind": "race", "rationale": "x",
  "given": [], "when": [], "then": ["y"]}
]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_answer_is_checked_and_written_in_the_file_format() {
    let server = scripted::start(vec![sse(openai_stream(GOOD, 40))]).await;
    let ws = ws();
    let config = config("openai", &server.base);
    let target = Target::Spec;
    let already = edge_cases::propose(&ws, "invoices.spec.yaml", target.clone());
    let got = specls::edge_cases::ask_model(
        Path::new("."),
        &ws,
        &config,
        "invoices.spec.yaml",
        &target,
        &already,
        &Cancel::new(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(got.model, "test-model");
    assert_eq!(got.proposals.len(), 1, "{:#?}", got);
    let p = &got.proposals[0];
    assert_eq!(p.derived_from, "pay-invoice");
    assert!(
        p.edit.new_text.contains("tags: [proposed]"),
        "{}",
        p.edit.new_text
    );
    insta::assert_snapshot!("edge_cases_llm_good_edit", p.edit.new_text);
    // The duplicate of an existing scenario and the item without a When are dropped, each
    // with its reason.
    assert_eq!(got.dropped.len(), 2, "{:?}", got.dropped);
    assert!(got.dropped.iter().any(|d| d.contains("`when` is empty")));
    assert!(got
        .dropped
        .iter()
        .any(|d| d.contains("Pay a paid invoice again") && d.contains("repeats")));
    // The request asked for JSON mode and carried the spec and the deterministic proposals.
    let req = &server.requests()[0];
    let body: serde_json::Value = serde_json::from_str(&req.body).unwrap();
    // The answer's JSON schema, strict, as OpenAI and llama.cpp's server enforce it.
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(
        body["response_format"]["json_schema"]["schema"],
        edge_cases::llm::answer_schema_for(false)
    );
    // This spec has no example rows: the schema leaves the row fields out.
    assert!(body["response_format"]["json_schema"]["schema"]
        .to_string()
        .find("\"expected\"")
        .is_none());
    // An answer of a few proposals is capped well below a compile's token budget.
    assert_eq!(body["max_tokens"], specls::edge_cases::EDGE_CASE_MAX_TOKENS);
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.contains("- pay-invoice: Pay an open invoice"),
        "{user}"
    );
    for a in &already {
        assert!(user.contains(&a.name), "{user}");
    }
    // Applied, the proposal parses back as a scenario of the file.
    let text = edge_cases::apply(SPEC, &p.edit);
    let doc = specls_core::parse::parse_document(
        "invoices.spec.yaml",
        &text,
        specls_core::DocKind::YamlSpec,
    );
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
    assert_eq!(doc.scenarios.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_answers_are_read_the_same_way() {
    let server = scripted::start(vec![sse(anthropic_stream(GOOD, 50))]).await;
    let ws = ws();
    let config = config("anthropic", &server.base);
    let got = specls::edge_cases::ask_model(
        Path::new("."),
        &ws,
        &config,
        "invoices.spec.yaml",
        &Target::Scenario("pay-invoice".into()),
        &[],
        &Cancel::new(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(got.proposals.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&server.requests()[0].body).unwrap();
    assert!(body.get("response_format").is_none());
    assert_eq!(body["max_tokens"], specls::edge_cases::EDGE_CASE_MAX_TOKENS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_answers_give_a_clear_message() {
    let cases: [(&str, &str); 5] = [
        ("", "the model's answer is empty"),
        ("Sure! Here are some ideas: test the limits.", "not the JSON object asked for"),
        ("{\"ideas\": []}", "no `scenarios` list"),
        ("{\"scenarios\": []}", "the model proposed no scenario"),
        (
            "{\"scenarios\": [{\"name\": \"Pay a paid invoice again\", \"derived_from\": \"pay-paid-invoice\", \"kind\": \"idempotency\", \"given\": [\"A paid invoice \\\"INV-8\\\"\"], \"when\": [\"I pay the invoice \\\"INV-8\\\"\"], \"then\": [\"The payment is refused with \\\"already paid\\\"\"]}]}",
            "the model proposed nothing new",
        ),
    ];
    for (answer, message) in cases {
        let server = scripted::start(vec![sse(openai_stream(answer, 30))]).await;
        let err = specls::edge_cases::ask_model(
            Path::new("."),
            &ws(),
            &config("openai", &server.base),
            "invoices.spec.yaml",
            &Target::Spec,
            &[],
            &Cancel::new(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
        assert!(err.contains(message), "{answer:?}: {err}");
    }
    // A server error is told apart, not read as an answer.
    let server = scripted::start(vec![status(400, "{\"error\": \"bad model\"}")]).await;
    let err = specls::edge_cases::ask_model(
        Path::new("."),
        &ws(),
        &config("openai", &server.base),
        "invoices.spec.yaml",
        &Target::Spec,
        &[],
        &Cancel::new(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(err.contains("400"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_llm_write_adds_the_model_proposals_and_a_malformed_answer_writes_nothing() {
    for (answer, ok) in [(GOOD, true), ("not json at all", false)] {
        let server = scripted::start(vec![sse(openai_stream(answer, 40))]).await;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::write(root.join("invoices.spec.yaml"), SPEC).unwrap();
        std::fs::write(
            root.join("specls.toml"),
            format!(
                "[llm]\nprovider = \"openai\"\nbase_url = \"{}\"\nmodel = \"test-model\"\n",
                server.base
            ),
        )
        .unwrap();
        let r = root.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_specls"))
                .args(["edge-cases", "invoices.spec.yaml", "--llm", "--write"])
                .current_dir(&r)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let after = std::fs::read_to_string(root.join("invoices.spec.yaml")).unwrap();
        if ok {
            assert_eq!(out.status.code(), Some(0), "{err}");
            assert!(err.contains("1 proposals from test-model"), "{err}");
            assert!(
                after.contains("Pay an invoice with an expired card"),
                "{after}"
            );
            let doc = specls_core::parse::parse_document(
                "invoices.spec.yaml",
                &after,
                specls_core::DocKind::YamlSpec,
            );
            assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
        } else {
            assert_eq!(out.status.code(), Some(1), "{err}");
            assert!(err.contains("not the JSON object asked for"), "{err}");
            assert_eq!(after, SPEC, "a malformed answer must write nothing");
        }
        assert!(!Path::new(&root).join("invoices.spec.yaml.tmp").exists());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_propose_edge_cases_with_llm_adds_the_model_proposals() {
    use serde_json::json;
    use specls::mcp::{handle_line, schema, Server};
    let server = scripted::start(vec![sse(openai_stream(GOOD, 40))]).await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("invoices.spec.yaml"), SPEC).unwrap();
    std::fs::write(
        root.join("specls.toml"),
        format!(
            "[llm]\nprovider = \"openai\"\nbase_url = \"{}\"\nmodel = \"test-model\"\n",
            server.base
        ),
    )
    .unwrap();
    let (tools, reply) = tokio::task::spawn_blocking(move || {
        let mut s = Server::new(root, false);
        let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
        let tools = handle_line(&mut s, &list.to_string()).unwrap();
        let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "propose_edge_cases", "arguments": {"spec": "invoices.spec.yaml", "llm": true}}});
        (tools, handle_line(&mut s, &call.to_string()).unwrap())
    })
    .await
    .unwrap();
    let tool = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "propose_edge_cases")
        .unwrap()
        .clone();
    let r = &reply["result"];
    assert_eq!(r["isError"], false, "{reply:#}");
    let data = &r["structuredContent"];
    schema::validate(&tool["outputSchema"], data).unwrap();
    let names: Vec<&str> = data["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Pay an invoice with an expired card"),
        "{names:?}"
    );
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/edge_cases")
            .join(name),
    )
    .unwrap()
}

/// One answer shape for every format the generator writes: `given`/`when`/`then` become a
/// Markdown scenario or a YAML item, `input`/`expected` a SpecSoloist table row or a
/// `yaml:test_scenarios` entry. Each parses back in its file, marked proposed, adds no
/// duplicate or conflict; an item of the wrong shape for the file is dropped with its reason.
#[test]
fn a_model_answer_maps_to_every_format() {
    let cases: [(&str, &str, &str); 4] = [
        (
            "md_text.spec.md",
            r#"{"scenarios": [{"name": "Add a note while offline", "derived_from": "md-text/add-a-note", "kind": "failure-path", "rationale": "The sync may fail.", "given": ["the device is offline"], "when": ["I add a note \"Call mum\""], "then": ["the note is kept locally", "it is synced once online"], "input": "", "expected": ""}]}"#,
            "### Scenario: Add a note while offline",
        ),
        (
            "yaml_access.spec.yaml",
            r#"{"scenarios": [{"name": "Pay while the bank is down", "derived_from": "", "kind": "failure-path", "rationale": "Banks fail.", "given": ["the bank is down"], "when": ["I pay the invoice \"INV-7\""], "then": ["I see \"try again later\"", "the invoice stays open"], "input": "", "expected": ""}]}"#,
            "Pay while the bank is down",
        ),
        (
            "clamp_score.spec.md",
            r#"{"scenarios": [{"name": "Zero rating", "derived_from": "clamp-score/a-middle-rating", "kind": "boundary", "rationale": "Zero is below the scale.", "given": [], "when": [], "then": [], "input": "clamp_score(n=0)", "expected": "raises ValueError"}, {"name": "A scenario in a table spec", "derived_from": "", "kind": "race", "rationale": "r", "given": [], "when": ["two reviewers rate at once"], "then": ["both ratings count"], "input": "", "expected": ""}]}"#,
            "| Zero rating | `clamp_score(n=0)` | raises ValueError | proposed |",
        ),
        (
            "specsoloist_yaml.spec.md",
            r#"{"scenarios": [{"name": "accented title", "derived_from": "slugify/two-words", "kind": "unicode-text", "rationale": "Accents must not break the slug.", "given": [], "when": [], "then": [], "input": "{title: \"Crème Brûlée\"}", "expected": "\"creme-brulee\""}, {"name": "two words again", "derived_from": "slugify/two-words", "kind": "boundary", "rationale": "r", "given": [], "when": [], "then": [], "input": "{title: \"Hello World\"}", "expected": "\"hello-world\""}]}"#,
            "- description: accented title (proposed)\n  inputs: {title: \"Crème Brûlée\"}\n  expected_output: \"creme-brulee\"\n",
        ),
    ];
    let mut shown = String::new();
    for (name, answer, expect) in cases {
        let text = fixture(name);
        let mut ws = Workspace::new();
        ws.upsert(name, &text, specls_core::kind::detect(name, &text).unwrap());
        let (items, _) = edge_cases::llm::parse_answer(answer).unwrap();
        let (proposals, dropped) =
            edge_cases::propose_from_model(&ws, name, &Target::Spec, &items, &[]);
        assert_eq!(proposals.len(), 1, "{name}: {dropped:?}");
        let p = &proposals[0];
        assert!(
            p.edit.new_text.contains(expect),
            "{name}: {}",
            p.edit.new_text
        );
        let after = edge_cases::apply(&text, &p.edit);
        let before_doc = &ws.get(name).unwrap().doc;
        let mut ws2 = Workspace::new();
        ws2.upsert(
            name,
            &after,
            specls_core::kind::detect(name, &after).unwrap(),
        );
        let doc = &ws2.get(name).unwrap().doc;
        assert_eq!(doc.diagnostics, before_doc.diagnostics, "{name}:\n{after}");
        if p.input.is_some() {
            assert_eq!(doc.examples.len(), before_doc.examples.len() + 1, "{name}");
        } else {
            assert_eq!(
                doc.scenarios.len(),
                before_doc.scenarios.len() + 1,
                "{name}"
            );
        }
        match name {
            "clamp_score.spec.md" => assert!(
                dropped
                    .iter()
                    .any(|d| d.contains("A scenario in a table spec")
                        && d.contains("example rows only")),
                "{dropped:?}"
            ),
            "specsoloist_yaml.spec.md" => assert!(
                dropped
                    .iter()
                    .any(|d| d.contains("two words again") && d.contains("repeats the input")),
                "{dropped:?}"
            ),
            _ => {}
        }
        shown.push_str(&format!(
            "## {name}: {} [{:?}] from `{}` at byte {}\n{}\n",
            p.name, p.kind, p.derived_from, p.edit.span.start, p.edit.new_text
        ));
    }
    insta::assert_snapshot!("edge_cases_llm_every_format", shown);
}

/// The agent CLI backend (`provider = "command"`): the prompt goes to a file, the agent writes
/// its JSON to `{output_file}` (or prints it); exit codes, silence and an agent that touches
/// the spec give a clear message and no edit (and the spec is put back).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_cli_answers_through_a_file_or_stdout() {
    let answer = GOOD.replace('\n', " ");
    let scripts: [(&str, String, Result<&str, &str>); 5] = [
        (
            "to the output file",
            format!("grep -q 'Write the JSON object' \"$1\" || exit 3\ngrep -q 'pay-invoice: Pay an open invoice' \"$1\" || exit 4\ncat > \"$2\" <<'JSON'\n{answer}\nJSON\necho 'thinking...'\n"),
            Ok("Pay an invoice with an expired card"),
        ),
        (
            "on stdout",
            format!("cat <<'JSON'\nHere you are:\n{answer}\nJSON\n"),
            Ok("Pay an invoice with an expired card"),
        ),
        (
            "failing",
            "echo 'no credits left' >&2\nexit 2\n".into(),
            Err("exited with exit status: 2; nothing proposed: no credits left"),
        ),
        ("silent", "true\n".into(), Err("the model's answer is empty")),
        (
            "touching the spec",
            format!("echo '# hacked' >> invoices.spec.yaml\ncat <<'JSON'\n{answer}\nJSON\n"),
            Err("changed invoices.spec.yaml; it was put back"),
        ),
    ];
    for (what, script, expect) in scripts {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("invoices.spec.yaml"), SPEC).unwrap();
        std::fs::write(root.join("agent.sh"), script).unwrap();
        let config = Config::from_toml(
            "[llm]\nprovider = \"command\"\ncommand = \"sh agent.sh {prompt_file} {output_file}\"\n",
        )
        .0;
        let mut ws = Workspace::new();
        ws.upsert("invoices.spec.yaml", SPEC, specls_core::DocKind::YamlSpec);
        assert_eq!(
            specls::edge_cases::model_name(&ws, &config, "invoices.spec.yaml").as_deref(),
            Some("sh")
        );
        let got = specls::edge_cases::ask_model(
            &root,
            &ws,
            &config,
            "invoices.spec.yaml",
            &Target::Spec,
            &[],
            &Cancel::new(),
            &mut |_| {},
        )
        .await;
        match (expect, got) {
            (Ok(name), Ok(m)) => {
                assert!(m.proposals.iter().any(|p| p.name == name), "{what}: {m:?}");
                assert_eq!(m.model, "sh");
            }
            (Err(msg), Err(e)) => assert!(e.contains(msg), "{what}: {e}"),
            (e, g) => panic!("{what}: expected {e:?}, got {g:?}"),
        }
        assert_eq!(
            std::fs::read_to_string(root.join("invoices.spec.yaml")).unwrap(),
            SPEC,
            "{what}: the spec is the user's"
        );
        // The prompt stays for the user to read; the answer file is not left behind.
        let prompts = root.join(".specls/prompts");
        let left: Vec<String> = std::fs::read_dir(&prompts)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, vec!["Invoices_edge-cases.md".to_string()], "{what}");
    }
}
