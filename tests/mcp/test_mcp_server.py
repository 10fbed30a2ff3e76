"""End-to-end tests of `specls mcp` driven by the official MCP Python SDK as a stdio client.

Run by tests/run-all with SPECLS_BIN pointing at the built binary.
"""

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parents[2]
WS = ROOT / "tests" / "fixtures" / "mcp" / "ws"
BIN = os.environ.get("SPECLS_BIN", str(ROOT / "target" / "debug" / "specls"))


def run(body, *extra, root=WS, env=None):
    async def main():
        params = StdioServerParameters(command=BIN, args=["mcp", "--root", str(root), *extra], env=env)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                return await body(session, init)

    return asyncio.run(main())


def structured(result):
    assert not result.is_error, result.content
    data = result.structured_content
    assert data == json.loads(result.content[0].text)
    return data


def error_text(result):
    assert result.is_error
    return result.content[0].text


def test_initialize_negotiates_the_sdk_version():
    async def body(session, init):
        assert init.protocol_version == "2025-11-25"
        assert init.server_info.name == "specls"
        assert init.capabilities.tools is not None
        assert init.capabilities.resources is not None

    run(body)


def raw_exchange(messages):
    lines = "".join(json.dumps(m) + "\n" for m in messages)
    out = subprocess.run([BIN, "mcp", "--root", str(WS)], input=lines, capture_output=True, text=True, timeout=60)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def test_every_handshake_version_of_the_sdk_is_spoken():
    from mcp.server.runner import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

    for asked in HANDSHAKE_PROTOCOL_VERSIONS:
        replies = raw_exchange([{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}])
        assert replies[0]["result"]["protocolVersion"] == asked
    # A newer revision than we speak gets our newest, which is the SDK's newest handshake.
    replies = raw_exchange([{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2099-01-01", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}])
    assert replies[0]["result"]["protocolVersion"] == LATEST_HANDSHAKE_VERSION


def test_older_and_unknown_protocol_versions():
    for asked, expected in [("2024-11-05", "2024-11-05"), ("2025-03-26", "2025-03-26"), ("2025-06-18", "2025-06-18"), ("1999-01-01", "2025-11-25")]:
        replies = raw_exchange([{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}])
        assert replies[0]["result"]["protocolVersion"] == expected


def test_bad_messages_get_errors_and_the_server_goes_on():
    replies = raw_exchange([
        "not an object",
        {"jsonrpc": "2.0", "id": 1, "method": "no/such/method"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {}},
        {"jsonrpc": "2.0", "id": 3, "method": "ping"},
    ])
    assert replies[0]["error"]["code"] == -32600
    assert replies[1]["error"]["code"] == -32601
    assert replies[2]["error"]["code"] == -32602
    assert replies[3]["result"] == {}
    out = subprocess.run([BIN, "mcp", "--root", str(WS)], input='{"jsonrpc": "2.0", "id": 1, "method":\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n', capture_output=True, text=True, timeout=60)
    replies = [json.loads(line) for line in out.stdout.splitlines()]
    assert replies[0]["error"]["code"] == -32700
    assert replies[1]["result"] == {}


def test_every_tool_has_input_and_output_schemas():
    async def body(session, init):
        tools = (await session.list_tools()).tools
        names = {t.name for t in tools}
        assert {"list_specs", "get_spec", "get_scenarios", "check", "validate_scenario", "coverage", "propose_edge_cases", "drift", "run_tests"} <= names
        for t in tools:
            assert t.input_schema["type"] == "object"
            assert t.output_schema["type"] == "object"
            assert t.description

    run(body)


def test_list_specs():
    async def body(session, init):
        data = structured(await session.call_tool("list_specs", {}))
        by_name = {s["name"]: s for s in data["specs"]}
        assert by_name["Task Management"]["path"] == "specs/tasks.spec.yaml"
        assert by_name["Task Management"]["scenarios"] == 3
        assert by_name["Task Management"]["constraints"] == 1
        assert by_name["notes"]["kind"] == "markdown-spec"
        only_md = structured(await session.call_tool("list_specs", {"kind": "markdown-spec"}))
        assert [s["name"] for s in only_md["specs"]] == ["notes"]

    run(body)


def test_get_spec_gives_the_model_with_lines():
    async def body(session, init):
        data = structured(await session.call_tool("get_spec", {"spec": "Task Management"}))
        first = data["scenarios"][0]
        assert first["id"] == "create-task"
        assert first["line"] == 10
        assert first["when"] == ['I create a task with title "Buy groceries"']
        assert first["then"][1] == 'The task should have status "pending"'
        c = data["constraints"][0]
        assert c["measure"]["percentile"] == 95
        assert c["measure"]["value"] == 100
        by_path = structured(await session.call_tool("get_spec", {"spec": "specs/notes.spec.md"}))
        assert by_path["scenarios"][0]["given"] == ["I am signed in"]
        err = error_text(await session.call_tool("get_spec", {"spec": "nope"}))
        assert "no spec named `nope`" in err

    run(body)


def test_get_scenarios_filters_by_spec_and_tag():
    async def body(session, init):
        data = structured(await session.call_tool("get_scenarios", {"tag": "smoke"}))
        assert [s["id"] for s in data["scenarios"]] == ["create-task", "list-pending"]
        data = structured(await session.call_tool("get_scenarios", {"spec": "notes"}))
        assert [s["name"] for s in data["scenarios"]] == ["Add a note"]

    run(body)


# @spec mcp-check-tool
def test_check_reports_the_same_codes_as_the_cli():
    async def body(session, init):
        data = structured(await session.call_tool("check", {"path": "specs/broken.spec.yaml"}))
        codes = [d["code"] for d in data["diagnostics"]]
        assert "yaml-duplicate-key" in codes
        assert data["summary"]["errors"] >= 1
        cli = subprocess.run([BIN, "check", "--format", "json", "specs/broken.spec.yaml"], cwd=WS, capture_output=True, text=True)
        cli_codes = [d["code"] for d in json.loads(cli.stdout)["diagnostics"]]
        assert sorted(codes) == sorted(cli_codes)

    run(body)


def test_validate_scenario_finds_duplicates_before_writing():
    async def body(session, init):
        fresh = structured(await session.call_tool("validate_scenario", {
            "spec": "Task Management",
            "text": "name: Delete a task\ngiven: A task exists\nwhen: I delete the task\nthen: The task should not exist\n",
        }))
        assert fresh["valid"] is True
        assert fresh["scenarios"][0]["name"] == "Delete a task"
        dup = structured(await session.call_tool("validate_scenario", {
            "spec": "Task Management",
            "text": "name: Complete a task\ngiven: A task exists with title \"Buy groceries\" and status \"pending\"\nwhen: I mark the task as complete\nthen: The task should have status \"completed\"\n",
        }))
        assert dup["valid"] is False
        assert any(f["code"].startswith("duplicate-scenario") for f in dup["findings"])
        md = structured(await session.call_tool("validate_scenario", {"text": "## Scenario: Remove a note\nGiven a note \"x\"\nWhen I remove it\nThen the note list should be empty\n"}))
        assert md["scenarios"][0]["then"] == ["the note list should be empty"]
        err = error_text(await session.call_tool("validate_scenario", {"text": "just prose"}))
        assert "no scenario found" in err

    run(body)


def test_bad_tool_calls_are_tool_errors_and_the_server_goes_on():
    async def body(session, init):
        assert "unknown tool `nope`" in error_text(await session.call_tool("nope", {}))
        assert "invalid arguments" in error_text(await session.call_tool("get_spec", {}))
        assert "unknown property `bogus`" in error_text(await session.call_tool("list_specs", {"bogus": 1}))
        assert "must be of type" in error_text(await session.call_tool("get_spec", {"spec": 3}))
        assert "outside the workspace" in error_text(await session.call_tool("check", {"path": "../../"}))
        assert "outside the workspace" in error_text(await session.call_tool("check", {"path": "/etc"}))
        structured(await session.call_tool("list_specs", {}))

    run(body)


def test_resources_are_the_spec_files_with_their_models():
    async def body(session, init):
        resources = (await session.list_resources()).resources
        uris = sorted(str(r.uri) for r in resources)
        assert "specls:///specs/tasks.spec.yaml" in uris
        read = await session.read_resource("specls:///specs/notes.spec.md")
        assert read.contents[0].text.startswith("---\nname: notes")
        model = json.loads(read.contents[1].text)
        assert model["scenarios"][0]["name"] == "Add a note"

    run(body)


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="2" failures="1">
<testcase classname="tests.test_tasks" name="test_create_task" time="0.002"/>
<testcase classname="tests.test_tasks" name="test_complete_task" time="0.001"><failure message="AssertionError: status is still pending">assert 'pending' == 'completed'</failure></testcase>
</testsuite></testsuites>
"""


def workspace_with_results(tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(WS, root)
    results = root / ".specls" / "results"
    results.mkdir(parents=True)
    (results / "pytest.xml").write_text(JUNIT)
    return root


def test_coverage_and_status_filters(tmp_path):
    root = workspace_with_results(tmp_path)

    async def body(session, init):
        cov = structured(await session.call_tool("coverage", {}))
        assert [s["id"] for s in cov["failing"]] == ["complete-task"]
        assert cov["failing"][0]["failure"] == "AssertionError: status is still pending"
        assert [s["id"] for s in cov["untested"]] == ["broken/one", "notes/add-a-note", "list-pending"]
        assert [(r["spec"], r["id"]) for r in cov["requirementsWithoutScenarios"]] == [("notes", "FR-01"), ("notes", "FR-02")]
        assert cov["summary"]["passing"] == 1 and cov["summary"]["resultsRead"] == 1
        passing = structured(await session.call_tool("get_scenarios", {"status": "passing"}))
        assert [s["id"] for s in passing["scenarios"]] == ["create-task"]
        failing = structured(await session.call_tool("get_scenarios", {"status": "failing", "tag": "smoke"}))
        assert failing["scenarios"] == []
        untested = structured(await session.call_tool("get_scenarios", {"status": "untested", "spec": "Task Management"}))
        assert [s["testStatus"] for s in untested["scenarios"]] == ["untested"]
        assert "must be one of" in error_text(await session.call_tool("get_scenarios", {"status": "red"}))

    run(body, root=root)


def test_propose_edge_cases_returns_checked_insertions():
    async def body(session, init):
        data = structured(await session.call_tool("propose_edge_cases", {"spec": "Task Management", "scenario": "create-task"}))
        kinds = [p["kind"] for p in data["proposals"]]
        assert "empty-text" in kinds and "idempotency" in kinds
        for p in data["proposals"]:
            assert p["derivedFrom"] == "create-task"
            assert "tags: [proposed]" in p["edit"]["newText"]
            assert p["edit"]["path"] == "specs/tasks.spec.yaml"
        # Every proposal validates against the workspace as the agent would before writing it.
        first = data["proposals"][0]
        item = "\n".join(line[4:] if i else line[4:] for i, line in enumerate(first["edit"]["newText"].strip("\n").splitlines()))
        checked = structured(await session.call_tool("validate_scenario", {"spec": "Task Management", "text": item}))
        assert checked["valid"] is True, checked
        assert "no scenario `nope`" in error_text(await session.call_tool("propose_edge_cases", {"spec": "Task Management", "scenario": "nope"}))
        assert "outside the workspace" in error_text(await session.call_tool("propose_edge_cases", {"spec": "../../etc/passwd"}))
        structured(await session.call_tool("list_specs", {}))

    run(body)


def test_drift_and_run_tests_gate():
    async def body(session, init):
        data = structured(await session.call_tool("drift", {}))
        assert data == {"specs": [], "manifestProblems": []}
        assert "--allow-run" in error_text(await session.call_tool("run_tests", {}))
        structured(await session.call_tool("list_specs", {}))

    run(body)


def test_run_tests_runs_the_real_suite_with_allow_run(tmp_path):
    """With --allow-run, run_tests runs the workspace's pytest suite and returns per-scenario results."""
    import sys

    ws = tmp_path / "ws"
    shutil.copytree(WS, ws)
    test_file = ws / "tests" / "test_tasks.py"
    text = test_file.read_text()
    failing = text.replace("def test_complete_task():\n    assert True", 'def test_complete_task():\n    assert 1 == 2, "seeded failure"')
    assert failing != text
    test_file.write_text(failing)
    # The server finds `pytest` on PATH: the one of this test's virtualenv.
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")

    async def body(session, init):
        data = structured(await session.call_tool("run_tests", {"scenarios": ["create-task", "complete-task"]}))
        assert "pytest" in data["command"], data["command"]
        assert data["exit"] == {"code": 1, "kind": "exited"}, data["exit"]
        outcomes = {s["id"]: s for s in data["scenarios"]}
        assert set(outcomes) == {"create-task", "complete-task"}, outcomes
        assert outcomes["create-task"]["outcome"] == "passed"
        assert outcomes["create-task"]["tests"] == 1 and outcomes["create-task"]["failed"] == 0
        assert outcomes["complete-task"]["outcome"] == "failed"
        assert outcomes["complete-task"]["failed"] == 1
        assert "seeded failure" in (outcomes["complete-task"]["message"] or "")
        # The results are stored where the editor reads them, and every other tool sees them.
        assert any((ws / ".specls" / "results").iterdir())
        failing_now = structured(await session.call_tool("get_scenarios", {"status": "failing"}))
        assert [s["id"] for s in failing_now["scenarios"]] == ["complete-task"], failing_now
        cov = structured(await session.call_tool("coverage", {}))
        assert [s["id"] for s in cov["failing"]] == ["complete-task"], cov
        # Fix the test and run the whole spec: every linked scenario passes.
        test_file.write_text(text)
        data = structured(await session.call_tool("run_tests", {"spec": "Task Management"}))
        assert data["exit"] == {"code": 0, "kind": "exited"}, data
        assert {s["id"]: s["outcome"] for s in data["scenarios"] if s["id"] in ("create-task", "complete-task")} == {"create-task": "passed", "complete-task": "passed"}
        assert structured(await session.call_tool("get_scenarios", {"status": "failing"}))["scenarios"] == []
        # A scenario that does not exist is a tool error, and the server goes on.
        assert "no-such-scenario" in error_text(await session.call_tool("run_tests", {"scenarios": ["no-such-scenario"]}))
        structured(await session.call_tool("list_specs", {}))

    run(body, "--allow-run", root=ws, env=env)


AGENT = '''import pathlib, sys
name = sys.argv[1]
pathlib.Path("src").mkdir(exist_ok=True)
pathlib.Path("tests").mkdir(exist_ok=True)
pathlib.Path(f"src/{name}.py").write_text(f"# generated from the {name} spec\\n")
pathlib.Path(f"tests/test_{name}.py").write_text(f"def test_{name}():\\n    assert True\\n")
'''


def test_drift_after_a_real_compile(tmp_path):
    """`specls compile` with an agent command records a manifest; drift then names what changed."""
    ws = tmp_path / "ws"
    shutil.copytree(ROOT / "tests" / "fixtures" / "drift" / "base", ws)
    agent = tmp_path / "agent.py"
    agent.write_text(AGENT)
    (ws / "specls.toml").write_text(f'[llm]\nprovider = "command"\ncommand = "python3 {agent} {{name}}"\n')
    out = subprocess.run([BIN, "compile", "--force", "--overwrite-edited", "item"], cwd=ws, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (ws / ".specls" / "manifest.json").is_file()

    async def clean(session, init):
        data = structured(await session.call_tool("drift", {"spec": "item"}))
        assert data["manifestProblems"] == []
        [item] = data["specs"]
        assert item["path"].endswith("score/item.spec.md")
        assert item["drifted"] is False and item["neverCompiled"] is False and item["compiledAt"]
        assert structured(await session.call_tool("get_scenarios", {"status": "drifted"}))["scenarios"] == []

    run(clean, root=ws)

    # The user changes one scenario's Then and edits the generated module by hand.
    spec = ws / "score" / "item.spec.md"
    spec.write_text(spec.read_text().replace("- Then it is not done", "- Then it is not done and has no due date"))
    (ws / "src" / "item.py").write_text("# changed by hand\n")

    async def drifted(session, init):
        data = structured(await session.call_tool("drift", {"spec": "item"}))
        [item] = data["specs"]
        assert item["drifted"] is True and item["specChanged"] is True
        assert [s["name"] for s in item["scenarios"]["changed"]] == ["New items are open"], item
        assert item["scenarios"]["added"] == [] and item["scenarios"]["removed"] == []
        assert item["editedFiles"] == ["src/item.py"], item
        names = [s["name"] for s in structured(await session.call_tool("get_scenarios", {"status": "drifted"}))["scenarios"]]
        assert names == ["New items are open"], names
        assert "outside the workspace" in error_text(await session.call_tool("drift", {"spec": "../../etc/passwd"}))

    run(drifted, root=ws)
