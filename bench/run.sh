#!/usr/bin/env bash
# One command for every benchmark figure: installs what it needs, builds the
# dist binary (the deployment profile: fat LTO), runs twilio-mcp and the Node.js anchor (@twilio-alpha/mcp
# 0.7.0) in the same run on this machine, and writes bench/results/results.md
# and results.json. See bench/README.md.
#
#   bench/run.sh               full run (about 20 minutes on 2 cores)
#   bench/run.sh --quick       fewer and shorter repetitions (about 5 minutes)
#   bench/run.sh --build-time  also time a clean release build (adds minutes)
#   bench/run.sh --only cold,http,signature,codegen   a subset (results.* still rewritten)
#   bench/run.sh --out DIR     write results elsewhere (default bench/results)
#
# Loopback only; every loop is bounded. Installs go to bench/.deps (npm) and
# target/bench (work files); both are git-ignored. Not part of the test suite.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
DEPS="$BENCH/.deps"
WORK="$ROOT/target/bench"
OUT="$BENCH/results"
ARGS=()

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) ARGS+=(--quick) ;;
    --build-time) ARGS+=(--build-time) ;;
    --keep-logs) ARGS+=(--keep-logs) ;;
    --only) ARGS+=(--only "$2"); shift ;;
    --out) OUT="$(mkdir -p "$2" && cd "$2" && pwd)"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { printf '[bench] %s\n' "$*"; }
need() { command -v "$1" >/dev/null 2>&1; }

# --- tools -------------------------------------------------------------------
for tool in cargo node npm python3; do
  need "$tool" || { echo "bench: $tool is required" >&2; exit 1; }
done
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "bench: Python 3.11+ is required" >&2; exit 1; }

apt_install() {
  if need apt-get && [ "$(id -u)" = 0 ]; then
    say "installing $* (apt-get)"
    apt-get install -y -qq "$@" >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" >/dev/null 2>&1; }
  else
    return 1
  fi
}
need wrk || apt_install wrk || { echo "bench: install wrk (apt-get install wrk)" >&2; exit 1; }
if ! need hyperfine; then
  apt_install hyperfine || {
    say "installing hyperfine (cargo install) into target/bench/cargo"
    cargo install --quiet --locked --root "$WORK/cargo" hyperfine
    export PATH="$WORK/cargo/bin:$PATH"
  }
fi

# --- npm: the anchor and the tokenizer, pinned by bench/package-lock.json -----
mkdir -p "$DEPS"
if ! cmp -s "$BENCH/package-lock.json" "$DEPS/package-lock.json" \
   || [ ! -d "$DEPS/node_modules/@twilio-alpha/mcp" ]; then
  say "installing @twilio-alpha/mcp@0.7.0 and gpt-tokenizer into bench/.deps (npm ci)"
  cp "$BENCH/package.json" "$BENCH/package-lock.json" "$DEPS/"
  (cd "$DEPS" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# --- build ---------------------------------------------------------------------
cd "$ROOT"
say "building the dist binary (fat LTO), the hello/mock servers, the signature bench and codegen"
# The dist profile is what README tells you to deploy; a clean build of it
# takes ~7 min on 2 cores.
cargo build --profile dist --quiet --bin twilio-mcp
cargo build --release --quiet -p twilio-mcp-codegen --example generate
# The bench targets (bench profile = release); ask cargo where it put them.
mkdir -p "$WORK"
BENCH_EXES="$(set +o pipefail; cargo bench --no-run --quiet --bench hello --bench signature \
  --message-format=json 2>"$WORK/cargo-bench-build.log" | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["bench"]:
        print(m["target"]["name"], m["executable"])
')"
HELLO="$(awk '$1 == "hello" {print $2}' <<<"$BENCH_EXES")"
SIGNATURE="$(awk '$1 == "signature" {print $2}' <<<"$BENCH_EXES")"
[ -x "$HELLO" ] && [ -x "$SIGNATURE" ] || {
  echo "bench: the bench targets did not build:" >&2
  tail -n 30 "$WORK/cargo-bench-build.log" >&2
  exit 1
}

mkdir -p "$WORK" "$OUT"
say "running (results in ${OUT#"$ROOT"/})"
exec python3 "$BENCH/lib/bench.py" \
  --root "$ROOT" \
  --bin "$ROOT/target/dist/twilio-mcp" \
  --hello "$HELLO" \
  --signature "$SIGNATURE" \
  --generate "$ROOT/target/release/examples/generate" \
  --deps "$DEPS" \
  --work "$WORK" \
  --out "$OUT" \
  "${ARGS[@]}"
