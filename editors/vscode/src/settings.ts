// The editor settings handed to the server: only the values a user set (user, workspace or
// folder), never the defaults of package.json (they would hide `specls.toml`), nested the way
// the server reads them, without the keys only the extension reads.

/** Settings only the extension reads (the server is never sent them). */
export const CLIENT_ONLY_KEYS: readonly string[] = ["server.path", "log.level", "trace.server"];

/** What `WorkspaceConfiguration.inspect` tells about one key (the parts used here). */
export interface Inspected {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
  globalLanguageValue?: unknown;
  workspaceLanguageValue?: unknown;
  workspaceFolderLanguageValue?: unknown;
}

/** The value a user set for a key (most specific scope first), or undefined. */
export function explicitValue(i: Inspected | undefined): unknown {
  if (!i) return undefined;
  for (const v of [
    i.workspaceFolderLanguageValue,
    i.workspaceFolderValue,
    i.workspaceLanguageValue,
    i.workspaceValue,
    i.globalLanguageValue,
    i.globalValue,
  ]) {
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The settings object for the server, from the keys of the `specls` section (without the
 * `specls.` prefix, dotted: `llm.model`) and a way to inspect each.
 */
export function serverSettings(
  keys: readonly string[],
  inspect: (key: string) => Inspected | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (CLIENT_ONLY_KEYS.includes(key)) continue;
    const value = explicitValue(inspect(key));
    if (value === undefined || value === null) continue;
    if (typeof value === "string" && value.trim() === "" && key !== "tests.command") continue;
    const parts = key.split(".");
    let node = out;
    for (const p of parts.slice(0, -1)) {
      const next = node[p];
      if (typeof next !== "object" || next === null || Array.isArray(next)) {
        node[p] = {};
      }
      node = node[p] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return out;
}

/** The setting keys (without `specls.`) declared in a package.json's configuration. */
export function declaredKeys(packageJson: {
  contributes?: { configuration?: { properties?: Record<string, unknown> } };
}): string[] {
  const props = packageJson.contributes?.configuration?.properties ?? {};
  return Object.keys(props)
    .filter((k) => k.startsWith("specls."))
    .map((k) => k.slice("specls.".length));
}
