#!/usr/bin/env bash
# Build the .vsix: bundle the extension with esbuild, put the specls binary for this platform
# in server/, and run `vsce package` for that platform.
#
#   scripts/package.sh                         # cargo build --release, then package
#   scripts/package.sh --binary PATH --out F   # package an existing binary (tests use a debug one)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

binary=""
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "package.sh: unknown argument $1 (use --binary PATH, --out FILE)" >&2; exit 2 ;;
  esac
done

if [[ -z "$binary" ]]; then
  (cd ../.. && cargo build --release --locked --bin specls)
  target="${CARGO_TARGET_DIR:-../../target}"
  binary="$target/release/specls"
fi
[[ -x "$binary" ]] || { echo "package.sh: $binary is not an executable" >&2; exit 2; }

if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund
fi

rm -rf server
mkdir -p server
cp "$binary" server/specls
chmod 755 server/specls
# Debug builds carry a lot of symbols; the bundled binary does not need them.
strip server/specls 2>/dev/null || true

node scripts/build.mjs --minify

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x64 ;;
  Linux-aarch64) platform=linux-arm64 ;;
  Darwin-x86_64) platform=darwin-x64 ;;
  Darwin-arm64) platform=darwin-arm64 ;;
  *) platform="" ;;
esac
version="$(node -p 'require("./package.json").version')"
out="${out:-specls-${platform:-any}-$version.vsix}"
args=(package --no-dependencies --skip-license --allow-missing-repository --out "$out")
[[ -n "$platform" ]] && args+=(--target "$platform")
npx --no-install vsce "${args[@]}"
echo "package.sh: wrote $out"
