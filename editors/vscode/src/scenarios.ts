// The `specls/scenarios` answer and what the Test Explorer makes of it (no vscode here).

export interface Pos {
  line: number;
  character: number;
}
export interface Range {
  start: Pos;
  end: Pos;
}
export interface Location {
  uri: string;
  range: Range;
}

export type State = "passed" | "failed" | "skipped" | "not-run" | "untested" | "unknown";

export interface ScenarioJson {
  id: string;
  name: string;
  index: number;
  range: Range;
  selectionRange: Range;
  tags: string[];
  status: State;
  message?: string;
  durationMs?: number;
  tests?: number;
  location?: Location;
  drift: string[];
}

export interface SpecJson {
  uri: string;
  name: string;
  scenarios: ScenarioJson[];
}

export interface ScenariosResult {
  specs: SpecJson[];
}

export const SCENARIOS_METHOD = "specls/scenarios";

export function isScenariosResult(v: unknown): v is ScenariosResult {
  return (
    typeof v === "object" &&
    v !== null &&
    Array.isArray((v as ScenariosResult).specs) &&
    (v as ScenariosResult).specs.every(
      (s) => typeof s.uri === "string" && Array.isArray(s.scenarios),
    )
  );
}

/** Test item ids: the spec's URI, and `uri#scenario-id` for its scenarios. */
export function scenarioItemId(specUri: string, scenarioId: string): string {
  return `${specUri}#${scenarioId}`;
}

export function parseItemId(id: string): { uri: string; scenario?: string } {
  const hash = id.indexOf("#");
  if (hash < 0) return { uri: id };
  return { uri: id.slice(0, hash), scenario: id.slice(hash + 1) };
}

/** What a run request asks the server: the `specls.runTests` arguments for each spec. */
export interface RunArgs {
  uri?: string;
  scenarios?: string[];
  all?: boolean;
}

/**
 * Group the selected test item ids into `specls.runTests` calls: one per spec (whole spec when
 * the spec item itself is selected), or one `{all: true}` when nothing is selected.
 */
export function runPlan(selected: string[] | undefined, excluded: string[] = []): RunArgs[] {
  if (!selected || selected.length === 0) return [{ all: true }];
  const bySpec = new Map<string, Set<string> | "whole">();
  for (const id of selected) {
    const { uri, scenario } = parseItemId(id);
    const cur = bySpec.get(uri);
    if (scenario === undefined) {
      bySpec.set(uri, "whole");
    } else if (cur !== "whole") {
      const set = cur ?? new Set<string>();
      set.add(scenario);
      bySpec.set(uri, set);
    }
  }
  const excl = new Set(excluded);
  const plan: RunArgs[] = [];
  for (const [uri, sel] of bySpec) {
    if (excl.has(uri)) continue;
    if (sel === "whole") {
      plan.push({ uri });
    } else {
      const ids = [...sel].filter((s) => !excl.has(scenarioItemId(uri, s)));
      if (ids.length > 0) plan.push({ uri, scenarios: ids });
    }
  }
  return plan;
}

/** How a scenario's status shows in the Test Explorer after a run. */
export type Outcome =
  | { kind: "passed"; durationMs?: number }
  | { kind: "failed"; message: string; location?: Location; durationMs?: number }
  | { kind: "skipped" }
  | { kind: "errored"; message: string };

export function outcome(s: ScenarioJson): Outcome {
  switch (s.status) {
    case "passed":
      return { kind: "passed", durationMs: s.durationMs };
    case "failed":
      return {
        kind: "failed",
        message: s.message ?? "failed",
        location: s.location,
        durationMs: s.durationMs,
      };
    case "untested":
      return {
        kind: "errored",
        message: "No test is linked to this scenario: add a test with an `@spec " + s.id + "` marker.",
      };
    case "not-run":
      return { kind: "skipped" };
    case "skipped":
      return { kind: "skipped" };
    default:
      return { kind: "skipped" };
  }
}

/** Scenario ids of `spec` that changed since the last compile (for the drift decoration). */
export function driftedScenarios(spec: SpecJson): ScenarioJson[] {
  return spec.scenarios.filter((s) => s.drift.length > 0);
}

/** The scenario whose range holds `line`, if any (for "Run scenario" at the cursor). */
export function scenarioAtLine(spec: SpecJson, line: number): ScenarioJson | undefined {
  let best: ScenarioJson | undefined;
  for (const s of spec.scenarios) {
    if (s.range.start.line <= line && line <= s.range.end.line) {
      if (!best || s.range.start.line >= best.range.start.line) best = s;
    }
  }
  return best;
}
