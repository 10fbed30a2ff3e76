// The Test Explorer: every scenario of the workspace is a test item under its spec; runs go
// through the server (`specls.runTests`), and the results are the server's per-scenario status.
import * as vscode from "vscode";

import type { Extension } from "./extension";
import {
  outcome,
  parseItemId,
  runPlan,
  scenarioItemId,
  ScenarioJson,
  ScenariosResult,
  Range as JsonRange,
} from "./scenarios";
import { RunFinished, runErrorMessage, startedToken } from "./runs";

function toRange(r: JsonRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

export class SpecTests implements vscode.Disposable {
  readonly controller: vscode.TestController;
  private readonly scenarioById = new Map<string, ScenarioJson>();
  /** Status signature of the last results reported, per scenario item. */
  private readonly reported = new Map<string, string>();
  private running = false;

  constructor(private readonly ext: Extension) {
    this.controller = vscode.tests.createTestController("specls", "Spec scenarios");
    this.controller.refreshHandler = async () => {
      await this.ext.refresh();
    };
    // Runs run the workspace's test command: only offered once the workspace is trusted.
    if (vscode.workspace.isTrusted) this.offerRuns();
  }

  private profile: vscode.TestRunProfile | undefined;

  /** The Test Explorer's run profile (once the workspace is trusted). */
  offerRuns(): void {
    this.profile ??= this.controller.createRunProfile(
      "Run scenarios",
      vscode.TestRunProfileKind.Run,
      (request, token) => this.run(request, token),
      true,
    );
  }

  dispose(): void {
    this.controller.dispose();
  }

  /** Rebuild the tree from the server's scenario list, and report results that changed. */
  update(res: ScenariosResult): void {
    const specs: vscode.TestItem[] = [];
    this.scenarioById.clear();
    for (const spec of res.specs) {
      const uri = vscode.Uri.parse(spec.uri);
      const specItem =
        this.controller.items.get(spec.uri) ??
        this.controller.createTestItem(spec.uri, spec.name || vscode.workspace.asRelativePath(uri), uri);
      specItem.label = spec.name || vscode.workspace.asRelativePath(uri);
      specItem.description = vscode.workspace.asRelativePath(uri);
      const children: vscode.TestItem[] = [];
      for (const s of spec.scenarios) {
        const id = scenarioItemId(spec.uri, s.id);
        const item = specItem.children.get(id) ?? this.controller.createTestItem(id, s.name, uri);
        item.label = s.name;
        item.description = s.id;
        item.range = toRange(s.range);
        item.tags = s.tags.map((t) => new vscode.TestTag(t));
        item.sortText = String(s.index).padStart(6, "0");
        children.push(item);
        this.scenarioById.set(id, s);
      }
      specItem.children.replace(children);
      specs.push(specItem);
    }
    this.controller.items.replace(specs);
    if (!this.running) this.reportChanged();
  }

  /** Results that changed outside a run of ours (a run in a terminal, CI artifacts, a lens). */
  private reportChanged(): void {
    const changed: vscode.TestItem[] = [];
    for (const [id, s] of this.scenarioById) {
      const sig = `${s.status}|${s.message ?? ""}|${s.durationMs ?? ""}`;
      const before = this.reported.get(id);
      this.reported.set(id, sig);
      const known = s.status === "passed" || s.status === "failed";
      if (known && before !== sig) {
        const item = this.item(id);
        if (item) changed.push(item);
      }
    }
    if (changed.length === 0) return;
    const run = this.controller.createTestRun(new vscode.TestRunRequest(changed), "specls results", false);
    for (const item of changed) this.report(run, item);
    run.end();
  }

  private item(id: string): vscode.TestItem | undefined {
    const { uri } = parseItemId(id);
    const spec = this.controller.items.get(uri);
    return id === uri ? spec : spec?.children.get(id);
  }

  private report(run: vscode.TestRun, item: vscode.TestItem): void {
    const s = this.scenarioById.get(item.id);
    if (!s) return;
    const o = outcome(s);
    switch (o.kind) {
      case "passed":
        run.passed(item, o.durationMs);
        break;
      case "failed": {
        const msg = new vscode.TestMessage(o.message);
        if (o.location) {
          msg.location = new vscode.Location(vscode.Uri.parse(o.location.uri), toRange(o.location.range));
        } else if (item.uri && item.range) {
          msg.location = new vscode.Location(item.uri, item.range);
        }
        run.failed(item, msg, o.durationMs);
        break;
      }
      case "errored":
        run.errored(item, new vscode.TestMessage(o.message));
        break;
      default:
        run.skipped(item);
    }
  }

  /** Run test items by id (undefined: everything), as a Test Explorer run. */
  async runIds(ids: string[] | undefined): Promise<void> {
    if (!ids) {
      await this.run(new vscode.TestRunRequest(), new vscode.CancellationTokenSource().token);
      return;
    }
    await this.ext.refresh();
    const items = ids.map((id) => this.item(id)).filter((i): i is vscode.TestItem => i !== undefined);
    if (items.length === 0) {
      void vscode.window.showWarningMessage("specls: no such scenario in the server's index (is the file a spec?).");
      return;
    }
    await this.run(new vscode.TestRunRequest(items), new vscode.CancellationTokenSource().token);
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const selected = request.include?.map((i) => i.id);
    const excluded = request.exclude?.map((i) => i.id) ?? [];
    const plan = runPlan(selected, excluded);
    const run = this.controller.createTestRun(request, undefined, true);
    // The scenario items this run reports on.
    const targets: vscode.TestItem[] = [];
    const add = (item: vscode.TestItem) => {
      if (excluded.includes(item.id)) return;
      if (parseItemId(item.id).scenario === undefined) item.children.forEach(add);
      else targets.push(item);
    };
    if (request.include) request.include.forEach(add);
    else this.controller.items.forEach(add);
    for (const t of targets) run.started(t);
    const cancel = token.onCancellationRequested(() => {
      void this.ext.serverCommand("specls.cancelRun", []);
    });
    this.running = true;
    let failure: string | undefined;
    /** Runs that went wrong (no report, could not start): their scenarios learnt nothing. */
    const broken: RunFinished[] = [];
    try {
      for (const args of plan) {
        if (token.isCancellationRequested) break;
        run.appendOutput(`specls.runTests ${JSON.stringify(args)}\r\n`);
        const r = await this.ext.serverCommand("specls.runTests", [args]);
        if (!r.ok) {
          failure = "the server could not run the tests";
          run.appendOutput(`specls: ${failure} (see the notification and "specls: Show server log")\r\n`);
          break;
        }
        const started = startedToken(r.result);
        if (started === undefined) {
          failure = "the server did not say which run it started";
          run.appendOutput(`specls: ${failure}: ${JSON.stringify(r.result)}\r\n`);
          break;
        }
        run.appendOutput(`${(r.result as { command?: string }).command ?? ""}\r\n`);
        // The server answers at once; the run ends later, with its results in the server's state.
        const end = await this.ext.runs.wait(started);
        if (!end) {
          failure = "the server stopped before the run ended";
          run.appendOutput(`specls: ${failure}\r\n`);
          break;
        }
        run.appendOutput(`${end.message}\r\n`);
        if (end.output) run.appendOutput(end.output.replace(/\r?\n/g, "\r\n") + "\r\n");
        if (end.status === "error") broken.push(end);
        if (end.status === "cancelled") break;
      }
      await this.ext.refresh();
      const error = broken.length > 0 ? broken.map(runErrorMessage).join("\n\n") : undefined;
      for (const t of targets) {
        if (token.isCancellationRequested) run.skipped(t);
        // The notification already says why; the scenarios keep their last results.
        else if (failure) run.skipped(t);
        else if (error) run.errored(t, new vscode.TestMessage(error));
        else this.report(run, t);
      }
    } finally {
      this.running = false;
      cancel.dispose();
      for (const t of targets) {
        const s = this.scenarioById.get(t.id);
        if (s) this.reported.set(t.id, `${s.status}|${s.message ?? ""}|${s.durationMs ?? ""}`);
      }
      run.end();
    }
  }
}
