//! The MCP tools in process: every tool is called through `handle_line` (as the stdio loop
//! does) on a copy of the MCP example workspace with a test file and a results report; every
//! result is checked against the tool's own output schema and snapshot-tested.

use std::path::Path;

use serde_json::{json, Value};
use specls::mcp::{handle_line, schema, Server};

const JUNIT: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="2" failures="1">
<testcase classname="tests.test_tasks" name="test_create_task" time="0.002"/>
<testcase classname="tests.test_tasks" name="test_complete_task" time="0.001"><failure message="AssertionError: status is still pending">assert 'pending' == 'completed'</failure></testcase>
</testsuite></testsuites>
"#;

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

/// A copy of `tests/fixtures/mcp/ws`, with a report of the last run when `results` is set.
fn workspace(results: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp/ws");
    copy_dir(&src, dir.path());
    if results {
        let r = dir.path().join(".specls/results");
        std::fs::create_dir_all(&r).unwrap();
        std::fs::write(r.join("pytest.xml"), JUNIT).unwrap();
    }
    dir
}

struct Client {
    server: Server,
    next: u64,
    tools: Vec<Value>,
}

impl Client {
    fn new(root: &Path) -> Client {
        let mut server = Server::new(root.canonicalize().unwrap(), false);
        let tools = handle_line(
            &mut server,
            &json!({"jsonrpc": "2.0", "id": 0, "method": "tools/list"}).to_string(),
        )
        .unwrap()["result"]["tools"]
            .as_array()
            .unwrap()
            .clone();
        Client {
            server,
            next: 1,
            tools,
        }
    }

    /// Call a tool; its result, checked against the tool's output schema when it succeeded.
    fn call(&mut self, name: &str, args: Value) -> Value {
        self.next += 1;
        let msg = json!({"jsonrpc": "2.0", "id": self.next, "method": "tools/call", "params": {"name": name, "arguments": args}});
        let reply = handle_line(&mut self.server, &msg.to_string()).unwrap();
        let result = reply["result"].clone();
        assert!(result.is_object(), "{reply}");
        if result["isError"] == false {
            let tool = self.tools.iter().find(|t| t["name"] == name).unwrap();
            let data = &result["structuredContent"];
            if let Err(e) = schema::validate(&tool["outputSchema"], data) {
                panic!("{name}: output does not match its schema: {e}\n{data:#}");
            }
            let text: Value =
                serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
            assert_eq!(
                &text, data,
                "{name}: text content is the structured content"
            );
        }
        result
    }

    fn ok(&mut self, name: &str, args: Value) -> Value {
        let r = self.call(name, args);
        assert_eq!(r["isError"], false, "{name}: {r:#}");
        r["structuredContent"].clone()
    }

    fn err(&mut self, name: &str, args: Value) -> String {
        let r = self.call(name, args);
        assert_eq!(r["isError"], true, "{name} should fail: {r:#}");
        r["content"][0]["text"].as_str().unwrap().to_string()
    }
}

#[test]
fn every_tool_has_schemas_that_our_checker_reads() {
    let ws = workspace(false);
    let c = Client::new(ws.path());
    let mut names: Vec<&str> = c
        .tools
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    insta::assert_json_snapshot!("mcp_tool_names", names);
    for t in &c.tools {
        assert_eq!(t["inputSchema"]["type"], "object", "{}", t["name"]);
        assert_eq!(t["outputSchema"]["type"], "object", "{}", t["name"]);
        assert_eq!(t["inputSchema"]["additionalProperties"], false);
        // An empty object is valid input exactly when nothing is required.
        let none_required = t["inputSchema"]["required"]
            .as_array()
            .is_none_or(|r| r.is_empty());
        assert_eq!(
            schema::validate(&t["inputSchema"], &json!({})).is_ok(),
            none_required,
            "{}",
            t["name"]
        );
    }
}

#[test]
fn coverage_reports_untested_failing_and_unexercised_requirements() {
    let ws = workspace(true);
    let mut c = Client::new(ws.path());
    let cov = c.ok("coverage", json!({}));
    insta::assert_json_snapshot!("mcp_coverage", cov);
    let only = c.ok("coverage", json!({"spec": "notes"}));
    assert_eq!(only["summary"]["scenarios"], 1);
    assert_eq!(only["failing"], json!([]));
    // Without a report nothing is failing or passing, and linked scenarios are not untested.
    let fresh = workspace(false);
    let mut c = Client::new(fresh.path());
    let cov = c.ok("coverage", json!({}));
    assert_eq!(cov["summary"]["resultsRead"], 0);
    assert_eq!(cov["summary"]["failing"], 0);
    let untested: Vec<&str> = cov["untested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        untested,
        ["One", "Add a note", "List pending tasks"],
        "{cov:#}"
    );
}

#[test]
fn get_scenarios_filters_by_status() {
    let ws = workspace(true);
    let mut c = Client::new(ws.path());
    let ids = |v: &Value| -> Vec<String> {
        v["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{} {}", s["id"].as_str().unwrap(), s["testStatus"]))
            .collect()
    };
    let by_status: Vec<(String, Vec<String>)> = ["untested", "failing", "passing"]
        .iter()
        .map(|s| {
            (
                s.to_string(),
                ids(&c.ok("get_scenarios", json!({"status": s}))),
            )
        })
        .collect();
    insta::assert_json_snapshot!("mcp_scenarios_by_status", by_status);
    let failing = c.ok(
        "get_scenarios",
        json!({"status": "failing", "spec": "Task Management"}),
    );
    assert_eq!(
        failing["scenarios"][0]["failure"],
        "AssertionError: status is still pending"
    );
    let smoke_passing = c.ok(
        "get_scenarios",
        json!({"status": "passing", "tag": "smoke"}),
    );
    assert_eq!(ids(&smoke_passing), ["create-task \"passing\""]);
    assert!(c
        .err("get_scenarios", json!({"status": "green"}))
        .contains("must be one of"));
}

#[test]
fn propose_edge_cases_gives_checked_insertions() {
    let ws = workspace(false);
    let mut c = Client::new(ws.path());
    let all = c.ok("propose_edge_cases", json!({"spec": "Task Management"}));
    insta::assert_json_snapshot!("mcp_propose_tasks", all);
    let one = c.ok(
        "propose_edge_cases",
        json!({"spec": "specs/tasks.spec.yaml", "scenario": "create-task"}),
    );
    assert!(!one["proposals"].as_array().unwrap().is_empty());
    assert!(one["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["derivedFrom"] == "create-task"));
    let by_req = c.ok(
        "propose_edge_cases",
        json!({"spec": "notes", "requirement": "FR-02"}),
    );
    assert_eq!(by_req["proposals"], json!([]));
    let e = c.err(
        "propose_edge_cases",
        json!({"spec": "Task Management", "scenario": "nope"}),
    );
    assert!(
        e.contains("no scenario `nope`") && e.contains("create-task"),
        "{e}"
    );
    let e = c.err(
        "propose_edge_cases",
        json!({"spec": "notes", "requirement": "FR-9"}),
    );
    assert!(e.contains("no requirement `FR-9`"), "{e}");
    let e = c.err(
        "propose_edge_cases",
        json!({"spec": "notes", "scenario": "a", "requirement": "FR-01"}),
    );
    assert!(e.contains("not both"), "{e}");
    // `llm` without a model configured is a clear error, not a silent deterministic answer.
    let e = c.err(
        "propose_edge_cases",
        json!({"spec": "Task Management", "llm": true}),
    );
    assert!(e.contains("no model to ask"), "{e}");
    assert!(c
        .err("propose_edge_cases", json!({"spec": "../../etc/passwd"}))
        .contains("outside the workspace"));
}

#[test]
fn drift_without_a_compile_and_run_tests_without_permission() {
    let ws = workspace(false);
    let mut c = Client::new(ws.path());
    let d = c.ok("drift", json!({"spec": "Task Management"}));
    // Nothing was ever compiled and no arrangement governs these specs: nothing to compare.
    assert_eq!(d, json!({"specs": [], "manifestProblems": []}));
    let none = c.ok("get_scenarios", json!({"status": "drifted"}));
    assert_eq!(none["scenarios"], json!([]));
    let e = c.err("run_tests", json!({"scenarios": ["create-task"]}));
    assert!(e.contains("--allow-run"), "{e}");
}

#[test]
fn the_older_tools_match_their_output_schemas() {
    let ws = workspace(true);
    let mut c = Client::new(ws.path());
    c.ok("list_specs", json!({}));
    c.ok("get_spec", json!({"spec": "Task Management"}));
    c.ok("get_spec", json!({"spec": "specs/notes.spec.md"}));
    c.ok("get_scenarios", json!({}));
    c.ok("check", json!({}));
    c.ok(
        "validate_scenario",
        json!({"text": "name: Delete a task\ngiven: A task exists\nwhen: I delete the task\nthen: The task should not exist\n", "spec": "Task Management"}),
    );
}
