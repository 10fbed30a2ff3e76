#!/usr/bin/env python3
"""Fail when Cargo.lock pins a crate version that crates.io has yanked (usually for a
security or soundness problem), reading the crates.io sparse index. Standard library only.

Usage: crates_yanked.py [Cargo.lock ...]   (default: ./Cargo.lock)
Exit 0: nothing yanked; 1: yanked versions found (listed); 2: the index could not be read.
"""
import concurrent.futures
import json
import sys
import tomllib
import urllib.error
import urllib.request

INDEX = "https://index.crates.io"


def index_path(name: str) -> str:
    n = name.lower()
    if len(n) <= 2:
        return f"{len(n)}/{n}"
    if len(n) == 3:
        return f"3/{n[0]}/{n}"
    return f"{n[:2]}/{n[2:4]}/{n}"


def yanked_versions(name: str) -> set[str]:
    url = f"{INDEX}/{index_path(name)}"
    req = urllib.request.Request(url, headers={"User-Agent": "specls-ci-audit"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        lines = resp.read().decode("utf-8").splitlines()
    return {e["vers"] for e in map(json.loads, filter(None, lines)) if e.get("yanked")}


def main(paths: list[str]) -> int:
    pinned: dict[tuple[str, str], list[str]] = {}
    for path in paths or ["Cargo.lock"]:
        with open(path, "rb") as f:
            lock = tomllib.load(f)
        for pkg in lock.get("package", []):
            if str(pkg.get("source", "")).startswith("registry+"):
                pinned.setdefault((pkg["name"], pkg["version"]), []).append(path)
    names = sorted({n for n, _ in pinned})
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            yanked = dict(zip(names, pool.map(yanked_versions, names)))
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as e:
        print(f"crates_yanked: cannot read the crates.io index: {e}", file=sys.stderr)
        return 2
    bad = sorted((n, v, ps) for (n, v), ps in pinned.items() if v in yanked[n])
    for n, v, ps in bad:
        print(f"yanked: {n} {v} (in {', '.join(ps)})")
    print(f"crates_yanked: {len(pinned)} pinned crate versions checked, {len(bad)} yanked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
