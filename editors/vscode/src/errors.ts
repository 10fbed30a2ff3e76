// Turning a failed server command into a message a user can act on.

/** The text of an error from the language client (a JSON-RPC ResponseError or anything). */
export function errorText(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) {
    const m = (e as { message: unknown }).message;
    if (typeof m === "string" && m.length > 0) return m;
  }
  return String(e);
}

/** The message shown when `specls.X` failed on the server. */
export function commandFailed(command: string, e: unknown): string {
  const text = errorText(e);
  if (/unknown command/i.test(text)) {
    return `specls: this server does not support "${command}" yet (${text}). Update the specls binary.`;
  }
  return `specls: ${command} failed: ${text}`;
}
