#!/usr/bin/env bash
# The scale-out proof, full length (~1.5 min of load): three twilio-mcp
# instances (release binary) behind nginx, Prism upstream, steady load,
# SIGKILL + restart of one, rolling SIGTERM restart. Prints the per-phase
# table and writes bench/results/scaleout.{md,json}. See tests/e2e/scaleout.py.
#
#   bash bench/scaleout.sh [--bin PATH] [extra scaleout.py options]
#
# Needs nginx (apt-get install nginx) and the e2e peers (Prism, the Python
# venv) that `bash tests/run.sh` installs under target/e2e. Loopback only;
# every process it starts is stopped before it exits.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/target/e2e/venv"
NODE_DIR="$ROOT/target/e2e/node"
OUT="$ROOT/bench/results"
BIN=""
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) ARGS+=("$1") ;;
  esac
  shift
done

[ -x "$VENV/bin/python" ] && [ -d "$NODE_DIR/node_modules" ] \
  || { echo "scaleout: run 'bash tests/run.sh' first (it installs Prism and the Python venv)" >&2; exit 1; }
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] \
  || { echo "scaleout: nginx is required (apt-get install nginx)" >&2; exit 1; }

cd "$ROOT"
if [ -z "$BIN" ]; then
  cargo build --release --quiet --bin twilio-mcp
  BIN="$ROOT/target/release/twilio-mcp"
fi
mkdir -p "$OUT"
E2E_NODE_DIR="$NODE_DIR" TWILIO_MCP_BIN="$BIN" "$VENV/bin/python" tests/e2e/scaleout.py \
  --bin "$BIN" --json "$OUT/scaleout.json" ${ARGS[@]+"${ARGS[@]}"} | tee "$OUT/scaleout.md.tmp"
{
  echo "# Scale-out run ($(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  cat "$OUT/scaleout.md.tmp"
} > "$OUT/scaleout.md"
rm -f "$OUT/scaleout.md.tmp"
