#!/usr/bin/env python3
"""Check editors/helix/languages.toml the way Helix reads it (no Helix binary on this machine).

Parses the file with tomllib, checks every key against the keys Helix's `languages.toml`
accepts, checks that specls is attached alongside the Markdown / YAML servers, that the file
globs claim spec files and nothing else (checked against sample paths), and that each spec
language has the query files that make Helix reuse the Markdown / YAML highlighting.
Prints one line per check and a closing 'N passed, N failed' line; exits 1 on any failure.
"""

import fnmatch
import pathlib
import sys
import tomllib

# The keys of a [[language]] entry and of a [language-server.X] table in Helix 24.x/25.x.
LANGUAGE_KEYS = {
    "name", "scope", "language-id", "injection-regex", "file-types", "shebangs", "roots",
    "comment-token", "comment-tokens", "block-comment-tokens", "auto-format", "formatter",
    "diagnostic-severity", "grammar", "language-servers", "indent", "soft-wrap", "text-width",
    "rulers", "auto-pairs", "debugger", "workspace-lsp-roots", "persistent-diagnostic-sources",
    "path-completion", "word-completion",
}
SERVER_KEYS = {"command", "args", "config", "timeout", "environment", "required-root-patterns"}

SPEC_PATHS = {
    "spec-markdown": [
        "score/todo.spec.md", "openspec/specs/user-auth/spec.md", "specs/001-x/spec.md",
        "docs/library-borrowing.feature.md",
    ],
    "spec-yaml": [
        "tasks.spec.yaml", "ecommerce/checkout.spec.yml", "arrangement.yaml",
        "svc.arrangement.yml",
    ],
}
NOT_SPECS = ["README.md", "docs/guide.md", "docker-compose.yml", ".github/workflows/ci.yml",
             "k8s/deploy.yaml", "config.yaml", "CHANGELOG.md"]
COMPANION = {"spec-markdown": "marksman", "spec-yaml": "yaml-language-server"}
GRAMMAR = {"spec-markdown": "markdown", "spec-yaml": "yaml"}

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}" + ("" if ok or not detail else f": {detail}"))


def glob_match(glob, path):
    # Helix matches globs against the whole path and, for globs without '/', the file name.
    if "/" in glob:
        return fnmatch.fnmatch(path, glob) or fnmatch.fnmatch(path, "*/" + glob)
    return fnmatch.fnmatch(path.rsplit("/", 1)[-1], glob)


def claims(lang, path):
    for ft in lang.get("file-types", []):
        if isinstance(ft, dict) and glob_match(ft["glob"], path):
            return True
        if isinstance(ft, str) and path.endswith("." + ft):
            return True
    return False


def main(argv):
    path = pathlib.Path(argv[1] if len(argv) > 1 else pathlib.Path(__file__).with_name("languages.toml"))
    with path.open("rb") as f:
        cfg = tomllib.load(f)
    server = cfg.get("language-server", {}).get("specls")
    check("language-server.specls exists", server is not None)
    server = server or {}
    check("specls is started as `specls lsp`", server.get("command") == "specls" and server.get("args") == ["lsp"],
          repr(server))
    check("language-server.specls has only known keys", set(server) <= SERVER_KEYS, str(set(server) - SERVER_KEYS))
    langs = {l.get("name"): l for l in cfg.get("language", [])}
    check("both spec languages are defined", set(langs) == set(SPEC_PATHS), str(sorted(langs)))
    for name, lang in langs.items():
        unknown = set(lang) - LANGUAGE_KEYS
        check(f"{name}: only keys Helix knows", not unknown, str(unknown))
        for key in ("scope", "file-types", "roots", "language-servers", "grammar", "language-id"):
            check(f"{name}: has {key}", key in lang)
        check(f"{name}: grammar {GRAMMAR.get(name)}", lang.get("grammar") == GRAMMAR.get(name), lang.get("grammar"))
        check(f"{name}: language-id is what the companion server expects",
              lang.get("language-id") == GRAMMAR.get(name), lang.get("language-id"))
        servers = lang.get("language-servers", [])
        check(f"{name}: specls first, then {COMPANION.get(name)}", servers[:1] == ["specls"]
              and COMPANION.get(name) in servers, str(servers))
        check(f"{name}: roots specls.toml then .git", lang.get("roots") == ["specls.toml", ".git"], str(lang.get("roots")))
        check(f"{name}: comment tokens", "comment-tokens" in lang or "block-comment-tokens" in lang)
        for ft in lang.get("file-types", []):
            check(f"{name}: file type {ft!r} is a glob (never a plain extension that claims all files)",
                  isinstance(ft, dict) and set(ft) == {"glob"})
        for p in SPEC_PATHS.get(name, []):
            check(f"{name}: claims {p}", claims(lang, p))
        for p in NOT_SPECS:
            check(f"{name}: leaves {p} alone", not claims(lang, p))
        queries = path.parent / "runtime" / "queries" / name
        for q in ("highlights.scm", "injections.scm"):
            f = queries / q
            ok = f.is_file() and f.read_text().strip() == f"; inherits: {GRAMMAR.get(name)}"
            check(f"{name}: runtime/queries/{name}/{q} inherits {GRAMMAR.get(name)}", ok)
    passed = sum(results)
    failed = len(results) - passed
    print(f"helix config: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
