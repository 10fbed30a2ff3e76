// The workspace's health (`specls.workspaceHealth`): the status bar text and the summary.

export interface Health {
  specs: number;
  scenarios: number;
  passing: number;
  failing: number;
  untested: number;
  notRun?: number;
  drifted: number;
  errors?: number;
  warnings?: number;
}

export function isHealth(v: unknown): v is Health {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return ["specs", "scenarios", "passing", "failing", "untested", "drifted"].every(
    (k) => typeof o[k] === "number",
  );
}

/** The status bar text, with codicons: `$(beaker) 12 ✓ 1 ✗ 2 untested 1 drifted`. */
export function statusText(h: Health): string {
  const parts = [`$(beaker) specls`];
  if (h.specs === 0) return `${parts[0]}: no specs`;
  parts.push(`$(pass) ${h.passing}`);
  parts.push(`$(error) ${h.failing}`);
  parts.push(`$(circle-slash) ${h.untested}`);
  if (h.drifted > 0) parts.push(`$(git-compare) ${h.drifted}`);
  return parts.join(" ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** One line for the tooltip and the notification. */
export function summaryLine(h: Health): string {
  return (
    `${plural(h.specs, "spec")}, ${plural(h.scenarios, "scenario")}: ` +
    `${h.passing} passing, ${h.failing} failing, ${h.untested} untested, ` +
    `${h.notRun ?? 0} not run, ${h.drifted} drifted`
  );
}

/** A Markdown summary (shown in a preview document). */
export function summaryMarkdown(h: Health): string {
  const rows: [string, number][] = [
    ["Specs", h.specs],
    ["Scenarios", h.scenarios],
    ["Passing", h.passing],
    ["Failing", h.failing],
    ["Untested", h.untested],
    ["Not run", h.notRun ?? 0],
    ["Drifted since compile", h.drifted],
  ];
  if (h.errors !== undefined) rows.push(["Errors (all diagnostics)", h.errors]);
  if (h.warnings !== undefined) rows.push(["Warnings (all diagnostics)", h.warnings]);
  return [
    "# specls: workspace health",
    "",
    "| | |",
    "|---|---:|",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    "",
  ].join("\n");
}
