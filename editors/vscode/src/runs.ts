// Runs started through the server (`specls.runTests` answers `{token, command}` at once; the
// server sends `specls/runFinished` with that token once the run ended and its results are in
// its state). No VS Code here: the Test Explorer waits on these, the unit tests drive them.

export const RUN_FINISHED_METHOD = "specls/runFinished";

export type RunStatus = "passed" | "failed" | "cancelled" | "error";

/** `specls/runFinished`'s parameters. */
export interface RunFinished {
  token: string;
  command: string;
  status: RunStatus;
  /** What the user was shown. */
  message: string;
  /** Why the run went wrong (no report, timed out, could not start). */
  errors: string[];
  /** The end of the runner's output. */
  output: string;
}

export function isRunFinished(x: unknown): x is RunFinished {
  if (typeof x !== "object" || x === null) return false;
  const o = x as Record<string, unknown>;
  return (
    typeof o.token === "string" &&
    typeof o.status === "string" &&
    ["passed", "failed", "cancelled", "error"].includes(o.status) &&
    typeof o.message === "string" &&
    Array.isArray(o.errors) &&
    typeof o.output === "string"
  );
}

/** The token of `specls.runTests`'s answer, if it has one. */
export function startedToken(result: unknown): string | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const t = (result as Record<string, unknown>).token;
  return typeof t === "string" ? t : undefined;
}

/** Ends of runs, matched to those who wait for them (whichever comes first). */
export class RunWaiters {
  private readonly waiting = new Map<string, (r: RunFinished | undefined) => void>();
  /** Ends that arrived before anyone waited (kept: the last few). */
  private readonly early = new Map<string, RunFinished>();

  constructor(private readonly keep = 32) {}

  /** The end of run `token`; undefined when the server went away first. */
  wait(token: string): Promise<RunFinished | undefined> {
    const done = this.early.get(token);
    if (done) {
      this.early.delete(token);
      return Promise.resolve(done);
    }
    return new Promise((resolve) => {
      const before = this.waiting.get(token);
      this.waiting.set(token, (r) => {
        before?.(r);
        resolve(r);
      });
    });
  }

  /** A run ended (from the notification). */
  finished(r: RunFinished): void {
    const w = this.waiting.get(r.token);
    if (w) {
      this.waiting.delete(r.token);
      w(r);
      return;
    }
    this.early.set(r.token, r);
    while (this.early.size > this.keep) {
      const oldest = this.early.keys().next().value as string;
      this.early.delete(oldest);
    }
  }

  /** The server stopped: nobody will hear of these runs again. */
  abandon(): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    this.early.clear();
    for (const w of all) w(undefined);
  }

  get pending(): number {
    return this.waiting.size;
  }
}

/** The Test Explorer message for scenarios of a run that went wrong (nothing was learnt). */
export function runErrorMessage(r: RunFinished): string {
  const lines = [`The test run went wrong: ${r.command}`];
  for (const e of r.errors) lines.push(`- ${e}`);
  const out = r.output.trimEnd();
  if (out) {
    const tail = out.split("\n").slice(-20).join("\n");
    lines.push("", "Its output ended with:", tail);
  }
  return lines.join("\n");
}
