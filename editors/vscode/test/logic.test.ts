// Unit tests of the extension's own logic (no VS Code): settings, server lookup, run plans,
// outcomes, health text, error messages, and the TextMate patterns.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { commandFailed } from "../src/errors";
import { isHealth, statusText, summaryLine, summaryMarkdown } from "../src/health";
import {
  driftedScenarios,
  isScenariosResult,
  outcome,
  parseItemId,
  runPlan,
  scenarioAtLine,
  ScenarioJson,
  SpecJson,
} from "../src/scenarios";
import { isRunFinished, RunFinished, runErrorMessage, RunWaiters, startedToken } from "../src/runs";
import { findServer } from "../src/serverPath";
import { allowed, commandOf, restrictSettings, RUNNING_COMMANDS, shownCommand } from "../src/trust";
import { CLIENT_ONLY_KEYS, declaredKeys, explicitValue, serverSettings } from "../src/settings";

const root = path.resolve(__dirname, "..", "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

test("only explicitly set settings reach the server, nested, without client-only keys", () => {
  const values: Record<string, unknown> = {
    "server.path": { globalValue: "/opt/specls" },
    "log.level": { globalValue: "debug" },
    "specs.include": { workspaceValue: ["contracts/**/*.yaml"] },
    "llm.model": { globalValue: "qwen", workspaceFolderValue: "llama" },
    "llm.provider": {},
    "runOnSave": { workspaceValue: false },
    "checks": { globalValue: { "scenario-untested": "hint" } },
  };
  const keys = declaredKeys(pkg);
  const out = serverSettings(keys, (k) => values[k] as never);
  assert.deepEqual(out, {
    specs: { include: ["contracts/**/*.yaml"] },
    llm: { model: "llama" },
    runOnSave: false,
    checks: { "scenario-untested": "hint" },
  });
});

test("a value set in a narrower scope wins", () => {
  assert.equal(explicitValue({ globalValue: 1, workspaceValue: 2 }), 2);
  assert.equal(explicitValue({ globalValue: 1 }), 1);
  assert.equal(explicitValue(undefined), undefined);
});

test("package.json declares every client-only key and contributes the commands it uses", () => {
  const keys = declaredKeys(pkg);
  for (const k of CLIENT_ONLY_KEYS) assert.ok(keys.includes(k), k);
  const commands = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
  for (const m of [...pkg.contributes.menus["editor/title"], ...pkg.contributes.menus.commandPalette]) {
    assert.ok(commands.has(m.command), m.command);
  }
  // Client commands never take a server command's name (the language client registers those).
  for (const c of commands) {
    for (const server of ["specls.runTests", "specls.compile", "specls.proposeEdgeCases", "specls.showDrift", "specls.workspaceHealth", "specls.reindex"]) {
      assert.notEqual(c, server);
    }
  }
  const src = fs.readFileSync(path.join(root, "src", "extension.ts"), "utf8");
  for (const c of commands) assert.ok(src.includes(`"${c}"`), `${c} is registered`);
});

test("the server is found from the setting, then the bundle, then PATH", () => {
  const base = {
    extensionPath: "/ext",
    workspaceFolder: "/ws",
    platform: "linux" as NodeJS.Platform,
    envPath: "/usr/bin:/opt/bin",
    home: "/home/u",
  };
  const exists = (set: string[]) => (p: string) => set.includes(p);
  assert.deepEqual(findServer({ ...base, configured: "bin/specls", isExecutable: exists(["/ws/bin/specls"]) }), { path: "/ws/bin/specls", source: "setting" });
  assert.deepEqual(findServer({ ...base, configured: "~/specls", isExecutable: exists(["/home/u/specls"]) }), { path: "/home/u/specls", source: "setting" });
  const bad = findServer({ ...base, configured: "/nope", isExecutable: exists(["/ext/server/specls"]) });
  assert.ok("error" in bad && bad.error.includes("/nope"));
  assert.deepEqual(findServer({ ...base, configured: "", isExecutable: exists(["/ext/server/specls", "/opt/bin/specls"]) }), { path: "/ext/server/specls", source: "bundled" });
  assert.deepEqual(findServer({ ...base, configured: undefined, isExecutable: exists(["/opt/bin/specls"]) }), { path: "/opt/bin/specls", source: "PATH" });
  const none = findServer({ ...base, configured: undefined, isExecutable: () => false });
  assert.ok("error" in none && none.error.includes("specls.server.path"));
  const win = findServer({ ...base, platform: "win32", envPath: "C:\\bin", configured: undefined, isExecutable: (p) => p.endsWith("specls.exe") && !p.startsWith("/ext") });
  assert.ok("path" in win && win.path.endsWith("specls.exe"));
});

function scenario(id: string, startLine: number, endLine: number, extra: Partial<ScenarioJson> = {}): ScenarioJson {
  const r = { start: { line: startLine, character: 2 }, end: { line: endLine, character: 0 } };
  return { id, name: id, index: 0, range: r, selectionRange: r, tags: [], status: "unknown", drift: [], ...extra };
}

test("run plans group the selected items by spec", () => {
  assert.deepEqual(runPlan(undefined), [{ all: true }]);
  assert.deepEqual(runPlan([]), [{ all: true }]);
  assert.deepEqual(
    runPlan(["file:///a.spec.yaml#one", "file:///a.spec.yaml#two", "file:///b.spec.md", "file:///b.spec.md#x"]),
    [{ uri: "file:///a.spec.yaml", scenarios: ["one", "two"] }, { uri: "file:///b.spec.md" }],
  );
  assert.deepEqual(runPlan(["file:///a.spec.yaml#one", "file:///a.spec.yaml#two"], ["file:///a.spec.yaml#two"]), [
    { uri: "file:///a.spec.yaml", scenarios: ["one"] },
  ]);
  assert.deepEqual(parseItemId("file:///a#b#c"), { uri: "file:///a", scenario: "b#c" });
});

test("statuses become Test Explorer outcomes", () => {
  assert.deepEqual(outcome(scenario("a", 0, 1, { status: "passed", durationMs: 12 })), { kind: "passed", durationMs: 12 });
  const loc = { uri: "file:///t.py", range: { start: { line: 3, character: 0 }, end: { line: 3, character: 5 } } };
  assert.deepEqual(outcome(scenario("a", 0, 1, { status: "failed", message: "assert 1 == 2", location: loc })), {
    kind: "failed",
    message: "assert 1 == 2",
    location: loc,
    durationMs: undefined,
  });
  const u = outcome(scenario("a-b", 0, 1, { status: "untested" }));
  assert.equal(u.kind, "errored");
  assert.ok(u.kind === "errored" && u.message.includes("@spec a-b"));
  assert.deepEqual(outcome(scenario("a", 0, 1, { status: "not-run" })), { kind: "skipped" });
});

test("scenario at a line, drifted scenarios, result shape", () => {
  const spec: SpecJson = { uri: "file:///a", name: "A", scenarios: [scenario("one", 2, 8), scenario("two", 9, 15, { drift: ["changed"] })] };
  assert.equal(scenarioAtLine(spec, 4)?.id, "one");
  assert.equal(scenarioAtLine(spec, 9)?.id, "two");
  assert.equal(scenarioAtLine(spec, 0), undefined);
  assert.deepEqual(driftedScenarios(spec).map((s) => s.id), ["two"]);
  assert.ok(isScenariosResult({ specs: [spec] }));
  assert.ok(!isScenariosResult({ specs: [{ uri: 1 }] }));
  assert.ok(!isScenariosResult(null));
});

test("health text and summary", () => {
  const h = { specs: 2, scenarios: 10, passing: 6, failing: 1, untested: 2, notRun: 1, drifted: 1 };
  assert.ok(isHealth(h));
  assert.ok(!isHealth({ specs: 1 }));
  assert.equal(statusText(h), "$(beaker) specls $(pass) 6 $(error) 1 $(circle-slash) 2 $(git-compare) 1");
  assert.equal(statusText({ ...h, drifted: 0 }), "$(beaker) specls $(pass) 6 $(error) 1 $(circle-slash) 2");
  assert.equal(statusText({ ...h, specs: 0 }), "$(beaker) specls: no specs");
  assert.equal(summaryLine(h), "2 specs, 10 scenarios: 6 passing, 1 failing, 2 untested, 1 not run, 1 drifted");
  assert.ok(summaryMarkdown(h).includes("| Failing | 1 |"));
});

test("a command the server does not know says so", () => {
  assert.equal(
    commandFailed("specls.compile", { message: "unknown command `specls.compile`; known: specls.reindex" }),
    'specls: this server does not support "specls.compile" yet (unknown command `specls.compile`; known: specls.reindex). Update the specls binary.',
  );
  assert.equal(commandFailed("specls.runTests", new Error("no test command")), "specls: specls.runTests failed: no test command");
});

test("the grammar's patterns highlight steps, requirement ids and constraint numbers", () => {
  const g = JSON.parse(fs.readFileSync(path.join(root, "syntaxes", "specls-steps.injection.json"), "utf8"));
  const re = (name: string) => new RegExp(g.repository[name].match, "g");
  const all = (name: string, s: string) => [...s.matchAll(re(name))].map((m) => m.slice(1).filter(Boolean).join("|") || m[0]);
  assert.deepEqual(all("step-keyword", "- **Given** a user\n- When they log in\nThen it works, And more"), ["Given", "When", "Then", "And"]);
  assert.deepEqual(all("step-keyword", "Whenever Thence"), []);
  assert.deepEqual(all("yaml-step-key", "    given: a\n    when: b\n  - then:\n    whenever: c"), ["given", "when", "then"]);
  assert.deepEqual(all("requirement-id", "FR-01 and NFR-2, REQ-AUTH-003; not utf-8 or A-b"), ["FR-01", "NFR-2", "REQ-AUTH-003"]);
  assert.deepEqual(all("constraint-bound", "p95 latency < 100ms, availability >= 99.9%, at most 5 MB, x<y"), ["<|100|ms", ">=|99.9|%", "at most|5|MB"]);
  assert.deepEqual(all("scenario-heading", "## Scenario: A\n### Requirement: B"), ["Scenario|:", "Requirement|:"]);
  // The injection only targets specls' own scopes: ordinary Markdown and YAML are untouched.
  assert.ok(!/text\.html\.markdown|source\.yaml(?!\S)/.test(g.injectionSelector.replace(/specls\.\w+/g, "")));
  const grammars = pkg.contributes.grammars.find((x: { scopeName: string }) => x.scopeName === g.scopeName);
  assert.deepEqual(grammars.injectTo, ["text.specls.markdown", "source.specls.yaml"]);
});

test("YAML languages are claimed by name, never all YAML", () => {
  const yaml = pkg.contributes.languages.find((l: { id: string }) => l.id === "specls-yaml");
  for (const e of yaml.extensions) assert.match(e, /^\.(spec|arrangement)\.ya?ml$/);
  assert.deepEqual(yaml.filenames, ["arrangement.yaml", "arrangement.yml"]);
});

function ended(token: string, status: RunFinished["status"] = "passed"): RunFinished {
  return { token, command: "python3 -m pytest -q", status, message: `specls: tests ${status}`, errors: [], output: "" };
}

test("a run's end reaches whoever waits for its token, even when it arrives first", async () => {
  const w = new RunWaiters(2);
  const a = w.wait("a");
  assert.equal(w.pending, 1);
  w.finished(ended("b", "failed")); // not waited for yet: kept
  w.finished(ended("a"));
  assert.equal((await a)?.status, "passed");
  assert.equal((await w.wait("b"))?.status, "failed");
  // Only the last few early ends are kept.
  for (const t of ["c", "d", "e"]) w.finished(ended(t));
  assert.equal((await w.wait("e"))?.token, "e");
  const lost = w.wait("c");
  // The server stopped: nobody hears of "c" again.
  w.abandon();
  assert.equal(await lost, undefined);
  assert.equal(w.pending, 0);
});

test("run answers and ends are checked before use; a broken run says why", () => {
  assert.equal(startedToken({ token: "specls-run-1", command: "x" }), "specls-run-1");
  assert.equal(startedToken(null), undefined);
  assert.equal(startedToken({ token: 3 }), undefined);
  assert.ok(isRunFinished(ended("a")));
  assert.ok(!isRunFinished({ ...ended("a"), status: "weird" }));
  assert.ok(!isRunFinished({ token: "a" }));
  const msg = runErrorMessage({
    ...ended("a", "error"),
    errors: ["the runner wrote no report at /w/.specls/results/pytest-junit.xml"],
    output: "collecting\n/usr/bin/python3: No module named pytest\n",
  });
  assert.equal(
    msg,
    [
      "The test run went wrong: python3 -m pytest -q",
      "- the runner wrote no report at /w/.specls/results/pytest-junit.xml",
      "",
      "Its output ended with:",
      "collecting\n/usr/bin/python3: No module named pytest",
    ].join("\n"),
  );
});

test("an untrusted workspace is offered nothing that runs, and run-on-save stays off", () => {
  for (const c of ["specls.runTests", "specls.runGuardian", "specls.compile", "specls.proposeEdgeCases"]) {
    assert.ok(RUNNING_COMMANDS.has(c), c);
    assert.ok(!allowed(c, false), c);
    assert.ok(allowed(c, true), c);
  }
  for (const c of ["specls.showDrift", "specls.workspaceHealth", "specls.version", "specls.reindex", undefined]) {
    assert.ok(allowed(c, false), String(c));
  }
  // A lens (Command), a code action with a command, a code action with only an edit.
  assert.equal(commandOf({ title: "Run", command: "specls.runTests" }), "specls.runTests");
  assert.equal(commandOf({ title: "Compile", command: { title: "Compile", command: "specls.compile" } }), "specls.compile");
  assert.equal(commandOf({ title: "Add a test skeleton", edit: {} }), undefined);
  // A resolved lens that would run tests is plain text in an untrusted workspace, not dropped.
  const run = { title: "▶ Run · ✓ passed", command: "specls.runTests", arguments: [{ uri: "file:///a" }] };
  assert.deepEqual(shownCommand(run, false), { title: "▶ Run · ✓ passed", command: "" });
  assert.equal(shownCommand(run, true), run);
  const drift = { title: "Show drift", command: "specls.showDrift" };
  assert.equal(shownCommand(drift, false), drift);
  assert.equal(shownCommand(undefined, false), undefined);
  // The editor's layer wins over specls.toml: an untrusted workspace's toml cannot turn it on.
  assert.deepEqual(restrictSettings({ runOnSave: true, llm: { model: "m" } }, false), { runOnSave: false, llm: { model: "m" } });
  assert.deepEqual(restrictSettings({ runOnSave: true }, true), { runOnSave: true });
  // The palette and editor title only show running commands in a trusted workspace.
  const runningUi = ["specls.ui.compileSpec", "specls.ui.runSpecTests", "specls.ui.runScenario", "specls.ui.runAllTests", "specls.ui.proposeEdgeCases"];
  for (const id of runningUi) {
    const c = pkg.contributes.commands.find((x: { command: string }) => x.command === id);
    assert.equal(c?.enablement, "isWorkspaceTrusted", id);
    const title = pkg.contributes.menus["editor/title"].find((m: { command: string }) => m.command === id);
    if (title) assert.match(title.when, /isWorkspaceTrusted/, id);
  }
  assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes("specls.runOnSave"));
});
