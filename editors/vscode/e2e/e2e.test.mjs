// End-to-end: the packaged extension (.vsix with the specls binary inside) installed into a real
// VS Code (code-server 4.100.3), opened in Debian's Chromium driven by playwright-core, on a copy
// of the task-management example workspace with a seeded conflict. Asserts what a user sees.
//
// Environment (set by tests/run-all, suite vscode_e2e):
//   SPECLS_VSIX        the .vsix to install
//   E2E_MODULES        folder whose node_modules holds code-server and playwright-core
//   E2E_OUT            where screenshots and logs go (created)
//   E2E_EXAMPLE        the example workspace to copy (default: specs/examples/task-management)
//   SPECLS_BIN         the specls binary: runs the example's tests once before VS Code opens
//                      (`specls test`, with one test made to fail), as a user would in a terminal
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..", "..");
const modules = process.env.E2E_MODULES ?? here;
const require = createRequire(path.join(modules, "package.json"));
const { chromium } = require("playwright-core");
const codeServer = path.join(modules, "node_modules", "code-server", "out", "node", "entry.js");
const vsix = process.env.SPECLS_VSIX;
const out = process.env.E2E_OUT ?? fs.mkdtempSync(path.join(os.tmpdir(), "specls-e2e-out-"));
const specls = process.env.SPECLS_BIN;
const example = process.env.E2E_EXAMPLE ?? path.join(repo, "specs", "examples", "task-management");
fs.mkdirSync(out, { recursive: true });

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The seeded conflict: same Given and When, contradicting Then. */
const CONFLICT = `# Seeded by the end-to-end test: two scenarios that cannot both hold.
feature: Task archiving
description: Archiving completed tasks

scenarios:
  - id: archive-completed
    name: Archive a completed task
    given: A task exists with title "Old" and status "completed"
    when: I archive the task "Old"
    then: The task should have status "archived"

  - id: archive-completed-again
    name: Archiving a completed task keeps it completed
    given: A task exists with title "Old" and status "completed"
    when: I archive the task "Old"
    then: The task should have status "completed"
`;

/**
 * A stand-in agent CLI for `specls compile` (the `command` backend): it changes the module the
 * arrangement names for the spec (a comment at its end, so the example's tests still pass), as
 * an agent would; specls records what it wrote.
 */
const AGENT = `import * as fs from "node:fs";
const name = process.argv[2];
fs.mkdirSync("src", { recursive: true });
fs.appendFileSync(\`src/\${name}.py\`, \`\\n# Compiled from the \${name} spec by the stand-in agent.\\n\`);
`;

/** The commands `specls lsp` advertises (`executeCommandProvider.commands`). */
function serverCommands(bin, root) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ["lsp"], { stdio: ["pipe", "pipe", "ignore"] });
    let buf = "";
    const timer = setTimeout(() => {
      p.kill();
      reject(new Error("specls lsp did not answer initialize"));
    }, 20_000);
    p.stdout.on("data", (d) => {
      buf += d.toString("utf8");
      const body = buf.indexOf("\r\n\r\n");
      if (body < 0) return;
      const len = Number(/Content-Length: (\d+)/i.exec(buf.slice(0, body))?.[1]);
      if (buf.length < body + 4 + len) return;
      clearTimeout(timer);
      const msg = JSON.parse(buf.slice(body + 4, body + 4 + len));
      p.kill();
      resolve(msg.result?.capabilities?.executeCommandProvider?.commands ?? []);
    });
    const req = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { processId: null, rootUri: null, capabilities: {}, workspaceFolders: null },
    });
    p.stdin.write(`Content-Length: ${Buffer.byteLength(req)}\r\n\r\n${req}`);
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHttp(url, ms) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer ${url} within ${ms} ms (${last})`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "specls-e2e-"));
const dirs = {
  ws: path.join(tmp, "task-management"),
  userData: path.join(tmp, "user-data"),
  extensions: path.join(tmp, "extensions"),
  browser: path.join(tmp, "browser"),
  xdg: path.join(tmp, "xdg"),
};
for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });

function env() {
  return {
    ...process.env,
    // As when a user starts VS Code from the terminal that ran `specls test`: the extension
    // host keeps this environment. Otherwise VS Code replaces PATH with what a login shell in
    // the fresh HOME below prints, and the tests run with another python3 than the terminal's
    // (one without pytest on this machine).
    VSCODE_CLI: "1",
    XDG_CONFIG_HOME: path.join(dirs.xdg, "config"),
    XDG_DATA_HOME: path.join(dirs.xdg, "data"),
    XDG_CACHE_HOME: path.join(dirs.xdg, "cache"),
    HOME: path.join(dirs.xdg, "home"),
    SPECLS_LOG_FILE: path.join(out, "specls-server.log"),
  };
}

let server;
let context;
let page;

async function shot(name) {
  if (!page) return;
  try {
    await page.screenshot({ path: path.join(out, `${name}.png`) });
  } catch {
    // The page may be gone; the error that brought us here is what matters.
  }
}

/** A step: on failure, a screenshot named after it, then the error. */
async function step(t, name, f) {
  await t.test(name, async () => {
    try {
      await f();
    } catch (e) {
      await shot(`failed-${name.replace(/[^a-z0-9]+/gi, "-")}`);
      throw e;
    }
  });
}

async function palette(command) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(`>${command}`);
  const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: command }).first();
  await row.waitFor({ state: "visible", timeout: 15_000 });
  await page.keyboard.press("Enter");
}

async function quickOpen(file) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(file);
  const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: file }).first();
  await row.waitFor({ state: "visible", timeout: 15_000 });
  await page.keyboard.press("Enter");
  await page
    .locator(".tabs-container .tab.active", { hasText: file })
    .waitFor({ state: "visible", timeout: 15_000 });
}

/** Put the cursor on the first occurrence of `text` in the active editor (through Go to Line). */
async function cursorAt(line, column) {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden", timeout: 10_000 });
}

function lineCol(file, needle, shift = 1) {
  const text = fs.readFileSync(path.join(dirs.ws, file), "utf8");
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} in ${file}`);
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const column = at - (before.lastIndexOf("\n") + 1) + 1 + shift;
  return [line, column];
}

test("the specls extension in a real VS Code", { timeout: 280_000 }, async (t) => {
  assert.ok(vsix && fs.existsSync(vsix), `SPECLS_VSIX (${vsix}) must name the packaged extension`);
  assert.ok(fs.existsSync(codeServer), `code-server must be installed under ${modules}`);
  fs.cpSync(example, dirs.ws, { recursive: true });
  fs.rmSync(path.join(dirs.ws, ".specls"), { recursive: true, force: true });
  fs.writeFileSync(path.join(dirs.ws, "archive.spec.yaml"), CONFLICT);
  assert.ok(specls && fs.existsSync(specls), `SPECLS_BIN (${specls}) must name the specls binary`);
  // The spec was compiled once (`specls compile` in a terminal, with a stand-in agent CLI as the
  // `command` backend): the manifest that drift is measured against is in .specls/.
  const agent = path.join(tmp, "agent.mjs");
  fs.writeFileSync(agent, AGENT);
  fs.appendFileSync(
    path.join(dirs.ws, "specls.toml"),
    `\n[llm]\nprovider = "command"\ncommand = "${process.execPath} ${agent} {name}"\n`,
  );
  const compiled = spawnSync(specls, ["compile", "tasks.spec.yaml", "--force", "--overwrite-edited"], {
    cwd: dirs.ws,
    encoding: "utf8",
    timeout: 120_000,
  });
  fs.writeFileSync(path.join(out, "specls-compile.log"), `${compiled.stdout}\n${compiled.stderr}`);
  assert.equal(compiled.status, 0, `specls compile: ${compiled.stdout}${compiled.stderr}`);
  assert.ok(fs.existsSync(path.join(dirs.ws, ".specls", "manifest.json")), "the compile wrote a manifest");
  // One failing test, then the tests run in a "terminal" (specls test): the results land in
  // .specls/results/, where the editor must pick them up.
  const testFile = path.join(dirs.ws, "tests", "test_tasks.py");
  const original = fs.readFileSync(testFile, "utf8");
  const failing = original.replace(
    "def test_complete_a_task(store):\n",
    'def test_complete_a_task(store):\n    assert 1 == 2, "seeded failure"\n',
  );
  assert.notEqual(failing, original, "the seeded failure was written");
  fs.writeFileSync(testFile, failing);
  const run = spawnSync(specls, ["test"], { cwd: dirs.ws, encoding: "utf8", timeout: 120_000 });
  fs.writeFileSync(path.join(out, "specls-test.log"), `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /FAILED\s+task-complete/, "specls test ran the example's tests");
  fs.mkdirSync(path.join(dirs.userData, "User"), { recursive: true });
  fs.writeFileSync(
    path.join(dirs.userData, "User", "settings.json"),
    JSON.stringify(
      {
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": false,
        "workbench.enableExperiments": false,
        "security.workspace.trust.enabled": false,
        "telemetry.telemetryLevel": "off",
        "extensions.autoUpdate": false,
        "extensions.autoCheckUpdates": false,
        "update.mode": "none",
        "editor.codeLens": true,
        "files.autoSave": "off",
        "editor.hover.delay": 100,
        "testing.automaticallyOpenPeekView": "never",
        "specls.log.level": "debug",
      },
      null,
      2,
    ),
  );

  const install = spawnSync(
    process.execPath,
    [codeServer, "--user-data-dir", dirs.userData, "--extensions-dir", dirs.extensions, "--install-extension", vsix],
    { env: env(), encoding: "utf8", timeout: 120_000 },
  );
  fs.writeFileSync(path.join(out, "install-extension.log"), `${install.stdout}\n${install.stderr}`);
  assert.equal(install.status, 0, `--install-extension failed: ${install.stderr}`);

  const port = await freePort();
  const config = path.join(tmp, "config.yaml");
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const log = fs.openSync(path.join(out, "code-server.log"), "w");
  server = spawn(
    process.execPath,
    [
      codeServer,
      "--config", config,
      "--user-data-dir", dirs.userData,
      "--extensions-dir", dirs.extensions,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      dirs.ws,
    ],
    { env: env(), stdio: ["ignore", log, log], detached: true },
  );
  t.after(async () => {
    await context?.close().catch(() => {});
    if (server && server.exitCode === null) {
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    // VS Code's own logs (extension host, the specls output channel) go with the screenshots.
    try {
      fs.cpSync(path.join(dirs.userData, "logs"), path.join(out, "vscode-logs"), { recursive: true });
    } catch {
      // no logs written
    }
    if (!process.env.E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  });
  await waitHttp(`http://127.0.0.1:${port}/healthz`, 60_000);

  context = await chromium.launchPersistentContext(dirs.browser, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1600, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  // The code lens texts on screen in the active editor (Monaco may keep lenses of lines scrolled
  // away in the page, with what they said then).
  await page.addInitScript(() => {
    window.visibleLenses = () => {
      const guard = document.querySelector(".editor-instance .monaco-editor .overflow-guard");
      if (!guard) return [];
      const box = guard.getBoundingClientRect();
      return [...guard.querySelectorAll(".codelens-decoration")]
        .filter((e) => {
          const r = e.getBoundingClientRect();
          return r.height > 0 && r.top >= box.top && r.bottom <= box.bottom;
        })
        .map((e) => e.textContent ?? "");
    };
  });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.ws)}`);
  await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 60_000 });

  await step(t, "a YAML scenario spec opens as Spec (YAML), ordinary YAML stays YAML", async () => {
    await quickOpen("tasks.spec.yaml");
    await page
      .locator(".statusbar-item", { hasText: "Spec (YAML)" })
      .first()
      .waitFor({ state: "visible", timeout: 15_000 });
  });

  await step(t, "the status bar shows the workspace health", async () => {
    const item = page.locator(".part.statusbar .statusbar-item", { hasText: "specls" }).first();
    await item.waitFor({ state: "visible", timeout: 30_000 });
    // Once the server answered: the counts are there (untested shows as a circle-slash count).
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll(".part.statusbar .statusbar-item")].some(
          (e) => /specls/.test(e.getAttribute("aria-label") ?? e.textContent ?? "") && /\d/.test(e.textContent ?? ""),
        ),
      null,
      { timeout: 40_000 },
    );
  });

  await step(t, "the seeded conflict is in the Problems panel", async () => {
    await palette("View: Focus Problems");
    const panel = page.locator(".markers-panel");
    await panel.waitFor({ state: "visible", timeout: 15_000 });
    await panel
      .locator(".monaco-list-row", { hasText: /conflict|contradict|cannot both/i })
      .first()
      .waitFor({ state: "visible", timeout: 40_000 });
    await panel.locator(".monaco-list-row", { hasText: "archive.spec.yaml" }).first().waitFor({ state: "visible" });
  });

  await step(t, "the failing scenario from the terminal run is a diagnostic and fails in the Test Explorer", async () => {
    await palette("View: Focus Problems");
    const panel = page.locator(".markers-panel");
    await panel
      .locator(".monaco-list-row", { hasText: "seeded failure" })
      .first()
      .waitFor({ state: "visible", timeout: 40_000 });
  });

  await step(t, "hover on a scenario shows what it is", async () => {
    await quickOpen("tasks.spec.yaml");
    const [line, col] = lineCol("tasks.spec.yaml", "Create a simple task", 3);
    await cursorAt(line, col);
    await palette("Show or Focus Hover");
    const hover = page.locator(".monaco-hover-content, .monaco-hover .hover-contents").first();
    await hover.waitFor({ state: "visible", timeout: 15_000 });
    const text = await hover.innerText();
    assert.match(text, /Create a simple task|task-create/);
    await page.keyboard.press("Escape");
  });

  await step(t, "the outline lists the scenarios", async () => {
    await palette("Explorer: Focus on Outline View");
    const row = page
      .locator(".part.sidebar .monaco-list-row", { hasText: "Reject a task with an empty title" })
      .first();
    await row.waitFor({ state: "visible", timeout: 20_000 });
  });

  await step(t, "code lenses show each scenario's last result (passed, failed)", async () => {
    await quickOpen("tasks.spec.yaml");
    const lenses = page.locator(".monaco-editor .codelens-decoration");
    await lenses.first().waitFor({ state: "visible", timeout: 30_000 });
    await lenses.filter({ hasText: /passed/i }).first().waitFor({ state: "visible", timeout: 30_000 });
    await lenses.filter({ hasText: /failed|seeded failure/i }).first().waitFor({ state: "visible", timeout: 30_000 });
  });

  await step(t, "a command runs from the palette (workspace health summary)", async () => {
    await palette("specls: Show workspace health");
    const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: /passing/ }).first();
    await row.waitFor({ state: "visible", timeout: 20_000 });
    const title = await page.locator(".quick-input-widget").innerText();
    assert.match(title, /\d+ specs?, \d+ scenarios?/);
    await page.keyboard.press("Escape");
  });

  await step(t, "the Test Explorer lists every scenario grouped by spec", async () => {
    await palette("Testing: Focus on Test Explorer View");
    const spec = page.locator(".part.sidebar .monaco-list-row", { hasText: "Task Management System" }).first();
    await spec.waitFor({ state: "visible", timeout: 30_000 });
    // Expand the spec if it is collapsed, then look for a scenario.
    const expanded = await spec.getAttribute("aria-expanded");
    if (expanded === "false") await spec.click();
    await page
      .locator(".part.sidebar .monaco-list-row", { hasText: "Create a simple task" })
      .first()
      .waitFor({ state: "visible", timeout: 20_000 });
    await page
      .locator(".part.sidebar .monaco-list-row", { hasText: "Task archiving" })
      .first()
      .waitFor({ state: "visible", timeout: 20_000 });
    // The terminal run's results are there: "Complete a task" failed, "Create a simple task" passed.
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll(".part.sidebar .monaco-list-row")];
        const row = (name) => rows.find((r) => (r.textContent ?? "").includes(name));
        const failed = row("Complete a task");
        const passed = row("Create a simple task");
        return (
          failed?.querySelector("[class*='testing-failed'], [class*='testing-error']") &&
          passed?.querySelector("[class*='testing-passed']")
        );
      },
      null,
      { timeout: 30_000 },
    );
  });

  await step(t, "Run spec tests from the editor title / palette goes through the server", async () => {
    const commands = await serverCommands(specls, dirs.ws);
    await quickOpen("tasks.spec.yaml");
    // Make the test pass again: the run from the editor must turn the scenario green.
    fs.writeFileSync(testFile, original);
    await palette("specls: Run spec tests");
    if (commands.includes("specls.runTests")) {
      await page.waitForFunction(
        () => {
          const rows = [...document.querySelectorAll(".part.sidebar .monaco-list-row")];
          const row = rows.find((r) => (r.textContent ?? "").includes("Complete a task"));
          return row?.querySelector("[class*='testing-passed']");
        },
        null,
        { timeout: 90_000 },
      );
    } else {
      // This server has no specls.runTests yet: the user gets its clear error, nothing else.
      await page
        .locator(".notifications-toasts .notification-toast", { hasText: 'does not support "specls.runTests"' })
        .first()
        .waitFor({ state: "visible", timeout: 30_000 });
    }
  });

  await step(t, "after the in-editor run the lenses turn from failed to passed and the failure leaves Problems", async () => {
    await quickOpen("tasks.spec.yaml");
    const [line] = lineCol("tasks.spec.yaml", "id: task-complete\n");
    await cursorAt(line, 1);
    // The scenario's own lens and the spec's tally, as far as they are on screen: passed,
    // nothing failed any more.
    await page.waitForFunction(
      () => {
        const texts = visibleLenses();
        return texts.some((x) => /passed/.test(x)) && !texts.some((x) => /failed/.test(x));
      },
      null,
      { timeout: 30_000 },
    );
    await cursorAt(1, 1);
    await page.waitForFunction(() => visibleLenses().some((x) => /Run all.*10 passed/.test(x)), null, {
      timeout: 30_000,
    });
    const shown = await page.evaluate(() => visibleLenses());
    assert.ok(!shown.some((x) => /failed/.test(x)), `no lens says failed: ${JSON.stringify(shown)}`);
    await palette("View: Focus Problems");
    await page.waitForFunction(
      () =>
        ![...document.querySelectorAll(".markers-panel .monaco-list-row")].some((r) =>
          (r.textContent ?? "").includes("seeded failure"),
        ),
      null,
      { timeout: 30_000 },
    );
  });

  await step(t, "Propose edge cases inserts proposed scenarios after the one at the cursor", async () => {
    await quickOpen("tasks.spec.yaml");
    const [line, col] = lineCol("tasks.spec.yaml", "Create a simple task", 3);
    await cursorAt(line, col);
    await palette("specls: Propose edge cases");
    // The server applies the edit to the open spec (unsaved): the proposals are in the editor.
    const lines = page.locator(".editor-instance .monaco-editor .view-lines");
    await lines.filter({ hasText: "task-create-done-twice" }).first().waitFor({ state: "visible", timeout: 30_000 });
    await lines.filter({ hasText: "Create a simple task (done twice)" }).first().waitFor({ state: "visible" });
    await page.locator(".tabs-container .tab.active.dirty", { hasText: "tasks.spec.yaml" }).waitFor({ state: "visible" });
    await shot("edge-cases-proposed");
    // Back to the file on disk for the next step.
    await palette("File: Revert File");
    await page.locator(".tabs-container .tab.active.dirty").waitFor({ state: "hidden", timeout: 15_000 });
  });

  await step(t, "editing a compiled scenario shows the drift decoration on it", async () => {
    await quickOpen("tasks.spec.yaml");
    const needle = 'A task should exist with title "Buy groceries"';
    const [line, col] = lineCol("tasks.spec.yaml", needle, needle.length);
    await cursorAt(line, col);
    await page.keyboard.type(" and no due date");
    // The note follows the first line of the changed scenario (task-create), not another one.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll(".editor-instance .monaco-editor .view-line")].some((l) => {
          const text = (l.textContent ?? "").replace(/\u00a0/g, " ").trim();
          if (!/^- id: task-create(\s|$)/.test(text)) return false;
          return (
            text.includes("⟲ drift") ||
            [...l.querySelectorAll("span")].some((e) => (getComputedStyle(e, "::after").content ?? "").includes("drift"))
          );
        }),
      null,
      { timeout: 30_000 },
    );
    await shot("drift-decoration");
    await palette("File: Revert File");
  });

  await shot("final");
});
