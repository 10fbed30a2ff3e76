// Drift at a glance: scenarios changed since the spec was last compiled get a left border, an
// overview ruler mark and a note after their first line.
import * as vscode from "vscode";

import { driftedScenarios, ScenariosResult } from "./scenarios";

export class DriftDecorations implements vscode.Disposable {
  readonly type = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    borderWidth: "0 0 0 3px",
    borderStyle: "solid",
    borderColor: new vscode.ThemeColor("editorOverviewRuler.modifiedForeground"),
    overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.modifiedForeground"),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  readonly note = vscode.window.createTextEditorDecorationType({
    after: {
      margin: "0 0 0 2em",
      color: new vscode.ThemeColor("editorCodeLens.foreground"),
      fontStyle: "italic",
    },
  });
  private byUri = new Map<string, { range: vscode.Range; message: string }[]>();

  dispose(): void {
    this.type.dispose();
    this.note.dispose();
  }

  update(res: ScenariosResult): void {
    this.byUri = new Map();
    for (const spec of res.specs) {
      const drifted = driftedScenarios(spec).map((s) => ({
        range: new vscode.Range(s.range.start.line, 0, s.range.end.line, 0),
        message: s.drift[0] ?? "changed since the last compile",
      }));
      if (drifted.length > 0) this.byUri.set(spec.uri, drifted);
    }
    this.apply();
  }

  apply(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const list = this.byUri.get(editor.document.uri.toString()) ?? [];
      editor.setDecorations(
        this.type,
        list.map((d) => ({ range: d.range, hoverMessage: `specls drift: ${d.message}` })),
      );
      editor.setDecorations(
        this.note,
        list.map((d) => ({
          range: new vscode.Range(d.range.start.line, Number.MAX_SAFE_INTEGER, d.range.start.line, Number.MAX_SAFE_INTEGER),
          renderOptions: { after: { contentText: `⟲ drift: ${d.message}` } },
        })),
      );
    }
  }
}
