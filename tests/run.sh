#!/usr/bin/env bash
# The project's test command: `bash tests/run.sh [PYTEST_ARGS...]`.
#
#   1. cargo fmt --check, cargo clippy (-D warnings; also without default
#      features), cargo test, cargo build
#   2. end-to-end test peers, installed once and re-installed only when their
#      pins change, never into the system:
#        target/e2e/venv   Python packages from tests/e2e/requirements.txt
#        target/e2e/node   npm packages from tests/e2e/package{,-lock}.json
#                          (Prism, Node 22, the MCP conformance suite)
#   3. pytest tests/e2e (extra arguments go to pytest, e.g. `-k calls -x`)
#   4. tests/conformance/run.sh, when present
#
# Every step runs even when an earlier one failed (except those that need
# what failed); a summary follows, and the exit status is non-zero when any
# step failed.
#
# Environment:
#   TWILIO_MCP_BIN   server binary for the e2e and conformance tests
#                    (default: target/debug/twilio-mcp, built in step 1)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

E2E=$ROOT/target/e2e
VENV=$E2E/venv
NODE_DIR=$E2E/node
BIN=${TWILIO_MCP_BIN:-$ROOT/target/debug/twilio-mcp}
[[ $BIN == /* ]] || BIN=$ROOT/$BIN

declare -a SUMMARY=()
FAILED=0
STARTED=$SECONDS

if [[ -t 1 ]]; then BOLD=$'\e[1m' RED=$'\e[31m' GREEN=$'\e[32m' OFF=$'\e[0m'; else BOLD= RED= GREEN= OFF=; fi

# step NAME COMMAND...: runs COMMAND, records its outcome and duration.
step() {
    local name=$1 start=$SECONDS status
    shift
    printf '\n%s==> %s%s\n' "$BOLD" "$name" "$OFF"
    "$@"
    status=$?
    if ((status == 0)); then
        SUMMARY+=("${GREEN}ok${OFF}      $(printf '%4ds' $((SECONDS - start)))  $name")
    else
        SUMMARY+=("${RED}FAILED${OFF}  $(printf '%4ds' $((SECONDS - start)))  $name (exit $status)")
        FAILED=1
    fi
    return $status
}

skip() {
    SUMMARY+=("skipped         $1 ($2)")
    FAILED=1
}

summary() {
    printf '\n%s==> summary (%ds)%s\n' "$BOLD" $((SECONDS - STARTED)) "$OFF"
    printf '  %s\n' "${SUMMARY[@]}"
    if ((FAILED)); then
        printf '%sFAILED%s\n' "$RED" "$OFF"
    else
        printf '%sall passed%s\n' "$GREEN" "$OFF"
    fi
}

fingerprint() { cat "$@" | sha256sum | cut -d' ' -f1; }

# Python packages, into target/e2e/venv, when requirements.txt changed.
python_deps() {
    local want stamp=$VENV/.requirements.sha256
    want=$(fingerprint tests/e2e/requirements.txt <(python3 --version))
    if [[ -x $VENV/bin/python && -f $stamp && $(<"$stamp") == "$want" ]]; then
        echo "up to date ($VENV)"
        return 0
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV" &&
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
            -r tests/e2e/requirements.txt &&
        echo "$want" >"$stamp"
}

# npm packages, into target/e2e/node, when package(-lock).json changed.
node_deps() {
    local want stamp=$NODE_DIR/.package-lock.sha256
    want=$(fingerprint tests/e2e/package.json tests/e2e/package-lock.json)
    if [[ -d $NODE_DIR/node_modules && -f $stamp && $(<"$stamp") == "$want" ]]; then
        echo "up to date ($NODE_DIR)"
        return 0
    fi
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR" &&
        cp tests/e2e/package.json tests/e2e/package-lock.json "$NODE_DIR/" &&
        npm ci --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error &&
        echo "$want" >"$stamp"
}

# The output's last line matching PATTERN goes into the summary too.
e2e() {
    local color=()
    [[ -t 1 ]] && color=(--color=yes)
    TWILIO_MCP_BIN=$BIN E2E_NODE_DIR=$NODE_DIR "$VENV/bin/python" -m pytest tests/e2e "${color[@]}" "$@" |
        tee "$E2E/pytest.log"
}

conformance() {
    TWILIO_MCP_BIN=$BIN CONFORMANCE_NODE_DIR=$NODE_DIR bash tests/conformance/run.sh 2>&1 |
        tee "$E2E/conformance.log"
}

# note LOG PATTERN: adds LOG's last line matching PATTERN under the last step.
note() {
    local line
    line=$(sed 's/\x1b\[[0-9;]*m//g' "$1" 2>/dev/null | grep -E "$2" | tail -n 1)
    [[ -n $line ]] && SUMMARY+=("                  $line")
}

step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
# Without the `otlp` feature too, so the traces-off build keeps compiling.
step "cargo clippy (no default features)" cargo clippy --workspace --all-targets --no-default-features -- -D warnings
step "cargo test" cargo test --workspace
build_ok=0
step "cargo build" cargo build && build_ok=1
deps_ok=0
step "e2e deps: Python (target/e2e/venv)" python_deps &&
    step "e2e deps: npm (target/e2e/node)" node_deps && deps_ok=1

if ((deps_ok == 0)); then
    skip "pytest tests/e2e" "dependencies missing"
    skip "conformance" "dependencies missing"
elif ((build_ok == 0)) && [[ -z ${TWILIO_MCP_BIN:-} ]]; then
    skip "pytest tests/e2e" "cargo build failed"
    skip "conformance" "cargo build failed"
elif [[ ! -x $BIN ]]; then
    skip "pytest tests/e2e" "no binary at $BIN"
    skip "conformance" "no binary at $BIN"
else
    rm -f "$E2E/pytest.log" "$E2E/conformance.log"
    step "pytest tests/e2e" e2e "$@"
    note "$E2E/pytest.log" '^=+ .*(passed|failed|error|skipped|xfailed|deselected).* in [0-9.]+s'
    if [[ -f tests/conformance/run.sh ]]; then
        step "conformance (tests/conformance/run.sh)" conformance
        note "$E2E/conformance.log" '^[0-9]+ passed, [0-9]+ failed'
    fi
fi

summary
exit $FAILED
