// Bundle the extension (dist/extension.js) and the unit tests (dist/test/*.js) with esbuild.
import { build } from "esbuild";
import { readdirSync } from "node:fs";

const common = { bundle: true, platform: "node", format: "cjs", target: "node18", sourcemap: true, logLevel: "warning" };

await build({
  ...common,
  entryPoints: ["src/extension.ts"],
  outfile: "dist/extension.js",
  external: ["vscode"],
  minify: process.argv.includes("--minify"),
});

const tests = readdirSync("test").filter((f) => f.endsWith(".test.ts"));
await build({
  ...common,
  entryPoints: tests.map((f) => `test/${f}`),
  outdir: "dist/test",
  external: ["vscode"],
});
