// Workspace Trust: in an untrusted workspace specls only reads. Nothing that runs a command,
// writes files or calls an LLM is offered (lenses, code actions, Test Explorer runs, palette and
// editor title commands), and the server is told to run nothing on save whatever `specls.toml`
// says. No VS Code here: the unit tests check these rules.

/** Server commands that run processes, call an LLM or write files. */
export const RUNNING_COMMANDS: ReadonlySet<string> = new Set([
  "specls.runTests",
  "specls.runGuardian",
  "specls.compile",
  "specls.proposeEdgeCases",
]);

/** May this server command be offered (lens, code action) or run? */
export function allowed(command: string | undefined, trusted: boolean): boolean {
  return trusted || command === undefined || !RUNNING_COMMANDS.has(command);
}

/**
 * The settings sent to the server in an untrusted workspace: the editor's layer wins over
 * `specls.toml`, so run-on-save stays off even when the workspace's own file turns it on.
 */
export function restrictSettings(settings: Record<string, unknown>, trusted: boolean): Record<string, unknown> {
  if (trusted) return settings;
  return { ...settings, runOnSave: false };
}

/** A code action or lens, as far as trust is concerned: its command, direct or nested. */
export function commandOf(item: unknown): string | undefined {
  if (typeof item !== "object" || item === null) return undefined;
  const c = (item as { command?: unknown }).command;
  if (typeof c === "string") return c;
  if (typeof c === "object" && c !== null) {
    const inner = (c as { command?: unknown }).command;
    if (typeof inner === "string") return inner;
  }
  return undefined;
}

/**
 * The command of a lens the server resolved (`codeLens/resolve`), as shown: in an untrusted
 * workspace a command that runs something keeps only its title (a lens with the empty command
 * is plain text), so the scenario's status still shows but nothing runs from it.
 */
export function shownCommand<C extends { title: string; command: string }>(
  command: C | undefined,
  trusted: boolean,
): C | { title: string; command: string } | undefined {
  if (command === undefined || allowed(command.command, trusted)) return command;
  return { title: command.title, command: "" };
}
