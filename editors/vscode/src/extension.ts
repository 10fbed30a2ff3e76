// The specls extension: starts `specls lsp`, and shows what the server knows in VS Code's own
// places (Test Explorer, status bar, decorations, palette and editor title commands).
import * as fs from "node:fs";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
} from "vscode-languageclient/node";

import { commandFailed } from "./errors";
import { Health, isHealth, statusText, summaryLine, summaryMarkdown } from "./health";
import {
  isScenariosResult,
  SCENARIOS_METHOD,
  scenarioAtLine,
  ScenariosResult,
  SpecJson,
} from "./scenarios";
import { findServer } from "./serverPath";
import { declaredKeys, serverSettings } from "./settings";
import { SpecTests } from "./testing";
import { isRunFinished, RUN_FINISHED_METHOD, RunWaiters } from "./runs";
import { allowed, commandOf, restrictSettings, RUNNING_COMMANDS, shownCommand } from "./trust";
import { DriftDecorations } from "./drift";


const SPEC_LANGUAGES = new Set(["specls-markdown", "specls-yaml", "markdown", "yaml"]);

export class Extension {
  client: LanguageClient | undefined;
  readonly log: vscode.OutputChannel;
  readonly trace: vscode.OutputChannel;
  readonly status: vscode.StatusBarItem;
  readonly tests: SpecTests;
  readonly drift: DriftDecorations;
  readonly reports = new ReportDocuments();
  /** Test runs started through the server, waiting for their end. */
  readonly runs = new RunWaiters();
  private scenarios: ScenariosResult = { specs: [] };
  private health: Health | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel("specls");
    this.trace = vscode.window.createOutputChannel("specls trace");
    this.status = vscode.window.createStatusBarItem("specls.health", vscode.StatusBarAlignment.Left, 10);
    this.status.name = "specls health";
    this.status.command = "specls.ui.showHealth";
    this.status.text = "$(loading~spin) specls";
    this.status.tooltip = "specls: starting the server";
    this.status.show();
    this.tests = new SpecTests(this);
    this.drift = new DriftDecorations();
    context.subscriptions.push(this.log, this.trace, this.status, this.tests, this.drift);
    context.subscriptions.push(
      vscode.workspace.registerTextDocumentContentProvider(ReportDocuments.scheme, this.reports),
    );
  }

  /** The spec scenarios as last read from the server. */
  get specs(): SpecJson[] {
    return this.scenarios.specs;
  }

  async start(): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const config = vscode.workspace.getConfiguration("specls");
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const found = findServer({
      configured: vscode.workspace.isTrusted ? config.get<string>("server.path") : undefined,
      extensionPath: this.context.extensionPath,
      workspaceFolder: folder,
      platform: process.platform,
      envPath: process.env.PATH,
      home: process.env.HOME ?? process.env.USERPROFILE,
      isExecutable: (p) => {
        try {
          fs.accessSync(p, fs.constants.X_OK);
          return fs.statSync(p).isFile();
        } catch {
          return false;
        }
      },
    });
    if ("error" in found) {
      this.log.appendLine(found.error);
      this.status.text = "$(error) specls";
      this.status.tooltip = found.error;
      const pick = await vscode.window.showErrorMessage(found.error, "Open settings", "Show log");
      if (pick === "Open settings") void vscode.commands.executeCommand("specls.ui.openSettings");
      if (pick === "Show log") this.log.show();
      return;
    }
    this.log.appendLine(`Starting ${found.path} lsp (found via ${found.source})`);
    const env = { ...process.env, SPECLS_LOG: config.get<string>("log.level") ?? "info" };
    // No `transport`: stdio is the default, and with TransportKind.stdio the client would add a
    // `--stdio` argument that `specls lsp` does not take.
    const serverOptions: ServerOptions = {
      run: { command: found.path, args: ["lsp"], options: { env } },
      debug: { command: found.path, args: ["lsp"], options: { env } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "specls-markdown" },
        { scheme: "file", language: "specls-yaml" },
        { scheme: "file", language: "markdown" },
        { scheme: "file", language: "yaml" },
        { scheme: "file", language: "python" },
        { scheme: "file", language: "rust" },
        { scheme: "file", language: "typescript" },
        { scheme: "file", language: "javascript" },
        { scheme: "file", language: "go" },
        { scheme: "file", pattern: "**/specls.toml" },
      ],
      initializationOptions: this.settings(),
      outputChannel: this.log,
      traceOutputChannel: this.trace,
      middleware: {
        workspace: {
          configuration: (params, token, next) => {
            const all = params.items.map((item) =>
              item.section === "specls" || item.section === undefined ? this.settings() : undefined,
            );
            if (all.every((v) => v !== undefined)) return all;
            return Promise.resolve(next(params, token)).then((res) =>
              Array.isArray(res) ? res.map((v, i) => all[i] ?? v) : res,
            );
          },
        },
        executeCommand: async (command, args, next) => {
          if (RUNNING_COMMANDS.has(command) && !vscode.workspace.isTrusted) {
            void vscode.window.showWarningMessage(
              `specls: "${command}" runs commands and is not available in an untrusted workspace.`,
            );
            return undefined;
          }
          try {
            const result = await next(command, args);
            this.scheduleRefresh(200);
            return result;
          } catch (e) {
            void vscode.window.showErrorMessage(commandFailed(command, e));
            return undefined;
          }
        },
        provideCodeLenses: async (document, token, next) => {
          const lenses = await next(document, token);
          if (!lenses || vscode.workspace.isTrusted) return lenses;
          return lenses.filter((l) => allowed(commandOf(l), false));
        },
        // Test lenses come unresolved (the server resolves those on screen): a resolved one that
        // would run something shows its title alone in an untrusted workspace.
        resolveCodeLens: async (lens, token, next) => {
          const resolved = await next(lens, token);
          if (!resolved || vscode.workspace.isTrusted) return resolved;
          resolved.command = shownCommand(resolved.command, false);
          return resolved;
        },
        provideCodeActions: async (document, range, context, token, next) => {
          const actions = await next(document, range, context, token);
          if (!actions || vscode.workspace.isTrusted) return actions;
          return actions.filter((a) => allowed(commandOf(a), false));
        },
      },
    };
    const client = new LanguageClient("specls", "specls", serverOptions, clientOptions);
    this.client = client;
    // A run ended and its results are in the server's state: the waiting Test Explorer run
    // reports them; runs from a lens or on save show up through the refresh.
    client.onNotification(RUN_FINISHED_METHOD, (p: unknown) => {
      if (!isRunFinished(p)) return;
      this.runs.finished(p);
      this.scheduleRefresh(0);
    });
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped) {
        this.runs.abandon();
        this.status.text = "$(debug-disconnect) specls";
        this.status.tooltip = "specls: the server stopped. Click for details; run \"specls: Restart server\" to start it again.";
      }
    });
    try {
      await client.start();
    } catch (e) {
      const msg = `specls: the server could not start: ${e instanceof Error ? e.message : String(e)}`;
      this.log.appendLine(msg);
      this.status.text = "$(error) specls";
      this.status.tooltip = msg;
      void vscode.window.showErrorMessage(msg, "Show log").then((p) => p && this.log.show());
      return;
    }
    this.status.text = "$(beaker) specls";
    this.status.tooltip = "specls: indexing";
    this.scheduleRefresh(300);
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.runs.abandon();
    if (c && c.state !== State.Stopped) {
      try {
        await c.stop(5000);
      } catch (e) {
        this.log.appendLine(`stopping the server: ${String(e)}`);
      }
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** The editor's settings as the server reads them. */
  settings(): Record<string, unknown> {
    const config = vscode.workspace.getConfiguration("specls");
    const keys = declaredKeys(this.context.extension.packageJSON);
    return restrictSettings(
      serverSettings(keys, (k) => config.inspect(k)),
      vscode.workspace.isTrusted,
    );
  }

  configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration("specls")) return;
    if (e.affectsConfiguration("specls.server.path") || e.affectsConfiguration("specls.log.level")) {
      void this.restart();
      return;
    }
    const c = this.client;
    if (c && c.state === State.Running) {
      void c.sendNotification("workspace/didChangeConfiguration", {
        settings: { specls: this.settings() },
      });
    }
  }

  /** Run a server command (`workspace/executeCommand`); errors are shown and return undefined. */
  async serverCommand(command: string, args: unknown[]): Promise<{ ok: boolean; result?: unknown }> {
    if (RUNNING_COMMANDS.has(command) && !vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        `specls: "${command}" runs commands and is not available in an untrusted workspace.`,
      );
      return { ok: false };
    }
    const c = await this.readyClient();
    if (!c) return { ok: false };
    try {
      const result = await c.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
      this.scheduleRefresh(200);
      return { ok: true, result };
    } catch (e) {
      const msg = commandFailed(command, e);
      this.log.appendLine(msg);
      void vscode.window.showErrorMessage(msg);
      return { ok: false };
    }
  }

  async readyClient(): Promise<LanguageClient | undefined> {
    if (this.starting) await this.starting;
    const c = this.client;
    if (!c || c.state !== State.Running) {
      void vscode.window.showErrorMessage(
        "specls: the server is not running. Run \"specls: Restart server\", or \"specls: Show server log\" to see why.",
      );
      return undefined;
    }
    return c;
  }

  scheduleRefresh(delay = 500): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, delay);
  }

  /** Read the scenarios and the health from the server, and update every view. */
  async refresh(): Promise<void> {
    const c = this.client;
    if (!c || c.state !== State.Running) return;
    try {
      const res: unknown = await c.sendRequest(SCENARIOS_METHOD, {});
      if (isScenariosResult(res)) {
        this.scenarios = res;
        this.tests.update(res);
        this.drift.update(res);
      }
    } catch (e) {
      this.log.appendLine(`${SCENARIOS_METHOD}: ${commandFailed(SCENARIOS_METHOD, e)}`);
    }
    try {
      const h: unknown = await c.sendRequest(ExecuteCommandRequest.type, {
        command: "specls.workspaceHealth",
        arguments: [],
      });
      if (isHealth(h)) {
        this.health = h;
        this.status.text = statusText(h);
        this.status.tooltip = `specls: ${summaryLine(h)}. Click for the summary.`;
      }
    } catch (e) {
      this.status.text = "$(beaker) specls";
      this.status.tooltip = commandFailed("specls.workspaceHealth", e);
    }
  }

  /** The spec of the active editor (or of `uri`), as a URI string. */
  specUri(uri?: vscode.Uri | string): string | undefined {
    if (typeof uri === "string") return uri;
    if (uri instanceof vscode.Uri) return uri.toString();
    const doc = vscode.window.activeTextEditor?.document;
    if (doc && SPEC_LANGUAGES.has(doc.languageId)) return doc.uri.toString();
    return undefined;
  }

  async pickSpec(uri?: vscode.Uri | string): Promise<string | undefined> {
    const known = this.specUri(uri);
    if (known) return known;
    const picked = await vscode.window.showQuickPick(
      this.specs.map((s) => ({ label: s.name, description: vscode.workspace.asRelativePath(vscode.Uri.parse(s.uri)), uri: s.uri })),
      { placeHolder: "Which spec?" },
    );
    return picked?.uri;
  }

  async showHealth(): Promise<void> {
    await this.refresh();
    const h = this.health;
    if (!h) {
      void vscode.window.showWarningMessage("specls: the workspace health is not known yet (is the server running?).");
      return;
    }
    type Item = vscode.QuickPickItem & { run?: () => unknown };
    const items: Item[] = [
      { label: `$(pass) ${h.passing} passing`, description: `of ${h.scenarios} scenarios in ${h.specs} specs`, run: () => vscode.commands.executeCommand("workbench.view.testing.focus") },
      { label: `$(error) ${h.failing} failing`, description: "show in the Test Explorer", run: () => vscode.commands.executeCommand("workbench.view.testing.focus") },
      { label: `$(circle-slash) ${h.untested} untested`, description: "show in Problems", run: () => vscode.commands.executeCommand("workbench.actions.view.problems") },
      { label: `$(clock) ${h.notRun ?? 0} not run`, description: "run all spec tests", run: () => vscode.commands.executeCommand("specls.ui.runAllTests") },
      { label: `$(git-compare) ${h.drifted} drifted since compile`, description: "show drift", run: () => vscode.commands.executeCommand("specls.ui.showDrift") },
      { label: "$(markdown) Open the full summary", run: () => this.reports.show("health.md", summaryMarkdown(h)) },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: `specls: ${summaryLine(h)}` });
    await pick?.run?.();
  }

  async runScenarioAtCursor(arg?: unknown): Promise<void> {
    // From a lens or a test item: `{uri, scenario}` or a string id.
    let uri: string | undefined;
    let scenario: string | undefined;
    if (arg && typeof arg === "object" && "uri" in arg) {
      uri = String((arg as { uri: unknown }).uri);
      const s = (arg as { scenario?: unknown; scenarios?: unknown }).scenario;
      if (typeof s === "string") scenario = s;
    }
    uri ??= this.specUri();
    if (!uri) {
      void vscode.window.showWarningMessage("specls: open a spec to run one of its scenarios.");
      return;
    }
    await this.refresh();
    const spec = this.specs.find((s) => s.uri === uri);
    if (!spec || spec.scenarios.length === 0) {
      void vscode.window.showWarningMessage("specls: this spec has no scenarios.");
      return;
    }
    const editor = vscode.window.activeTextEditor;
    if (!scenario && editor && editor.document.uri.toString() === uri) {
      scenario = scenarioAtLine(spec, editor.selection.active.line)?.id;
    }
    if (!scenario) {
      const picked = await vscode.window.showQuickPick(
        spec.scenarios.map((s) => ({ label: s.name, description: s.id, id: s.id })),
        { placeHolder: "Which scenario?" },
      );
      scenario = picked?.id;
    }
    if (!scenario) return;
    await this.tests.runIds([`${uri}#${scenario}`]);
  }
}

/** Read-only documents for reports (health summary, drift). */
class ReportDocuments implements vscode.TextDocumentContentProvider {
  static readonly scheme = "specls-report";
  private readonly content = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.content.get(uri.path) ?? "";
  }

  async show(name: string, text: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: ReportDocuments.scheme, path: `/${name}` });
    this.content.set(uri.path, text);
    this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }
}

let ext: Extension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<Extension> {
  const e = new Extension(context);
  ext = e;
  const reg = (id: string, f: (...args: any[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, f));

  reg("specls.ui.compileSpec", async (uri?: vscode.Uri) => {
    const spec = await e.pickSpec(uri);
    if (!spec) return;
    const r = await e.serverCommand("specls.compile", [{ uri: spec }]);
    if (r.ok) void vscode.window.showInformationMessage(`specls: compile started for ${vscode.workspace.asRelativePath(vscode.Uri.parse(spec))}.`);
  });
  reg("specls.ui.runSpecTests", async (uri?: vscode.Uri) => {
    const spec = await e.pickSpec(uri);
    if (spec) await e.tests.runIds([spec]);
  });
  reg("specls.ui.runScenario", (arg?: unknown) => e.runScenarioAtCursor(arg));
  reg("specls.ui.runAllTests", () => e.tests.runIds(undefined));
  reg("specls.ui.proposeEdgeCases", async (uri?: vscode.Uri) => {
    const spec = await e.pickSpec(uri);
    if (!spec) return;
    const args: Record<string, unknown> = { uri: spec };
    const editor = vscode.window.activeTextEditor;
    const known = e.specs.find((s) => s.uri === spec);
    if (editor && known && editor.document.uri.toString() === spec) {
      const s = scenarioAtLine(known, editor.selection.active.line);
      if (s) args.scenario = s.id;
    }
    const r = await e.serverCommand("specls.proposeEdgeCases", [args]);
    if (r.ok) void vscode.window.showInformationMessage("specls: proposing edge cases; they are added to the spec as new scenarios.");
  });
  reg("specls.ui.showDrift", async (uri?: vscode.Uri) => {
    const spec = e.specUri(uri);
    const r = await e.serverCommand("specls.showDrift", [spec ? { uri: spec } : {}]);
    if (r.ok) await e.reports.show("drift.json", JSON.stringify(r.result ?? null, null, 2) + "\n");
  });
  reg("specls.ui.showHealth", () => e.showHealth());
  reg("specls.ui.restartServer", () => e.restart());
  reg("specls.ui.showServerLog", () => e.log.show(true));
  reg("specls.ui.openSettings", () =>
    vscode.commands.executeCommand("workbench.action.openSettings", "@ext:specls.specls"),
  );

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((c) => e.configurationChanged(c)),
    vscode.languages.onDidChangeDiagnostics(() => e.scheduleRefresh(400)),
    vscode.window.onDidChangeVisibleTextEditors(() => e.drift.apply()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      e.tests.offerRuns();
      void e.restart();
    }),
  );
  await e.start();
  return e;
}

export async function deactivate(): Promise<void> {
  await ext?.stop();
}
