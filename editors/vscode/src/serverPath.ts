// Finding the specls binary: the `specls.server.path` setting, else the binary bundled in the
// extension (`server/specls`), else `specls` on PATH.
import * as path from "node:path";

export interface Found {
  path: string;
  source: "setting" | "bundled" | "PATH";
}

export interface NotFound {
  error: string;
}

export interface Lookup {
  /** The `specls.server.path` setting (may be empty, relative to the workspace, or use `~`). */
  configured: string | undefined;
  extensionPath: string;
  workspaceFolder: string | undefined;
  platform: NodeJS.Platform;
  envPath: string | undefined;
  home: string | undefined;
  isExecutable: (p: string) => boolean;
}

export function binaryName(platform: NodeJS.Platform): string {
  return platform === "win32" ? "specls.exe" : "specls";
}

export function findServer(l: Lookup): Found | NotFound {
  const name = binaryName(l.platform);
  const configured = (l.configured ?? "").trim();
  if (configured !== "") {
    let p = configured;
    if (p === "~" || p.startsWith("~/")) {
      p = path.join(l.home ?? "", p.slice(1));
    }
    if (!path.isAbsolute(p) && l.workspaceFolder) {
      p = path.join(l.workspaceFolder, p);
    }
    if (l.isExecutable(p)) return { path: p, source: "setting" };
    return {
      error:
        `The specls server set in "specls.server.path" (${configured}) is not an executable file. ` +
        `Fix the setting, or clear it to use the bundled server or "specls" on PATH.`,
    };
  }
  const bundled = path.join(l.extensionPath, "server", name);
  if (l.isExecutable(bundled)) return { path: bundled, source: "bundled" };
  const sep = l.platform === "win32" ? ";" : ":";
  for (const dir of (l.envPath ?? "").split(sep)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    if (l.isExecutable(candidate)) return { path: candidate, source: "PATH" };
  }
  return {
    error:
      `The specls server was not found: no binary bundled with the extension and no "${name}" on PATH. ` +
      `Install it (cargo install --path . in the specls repository) or set "specls.server.path" to the binary.`,
  };
}
