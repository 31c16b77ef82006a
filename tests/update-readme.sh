#!/usr/bin/env bash
# Rewrites the README's services table from `twilio-mcp audit --markdown` and
# its example prompts from server/prompts.rs (tests/readme.rs fails when
# either is stale).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --quiet
table=$(target/debug/twilio-mcp audit --markdown)
python3 - "$table" <<'PY'
import sys
path = "README.md"
text = open(path, encoding="utf-8").read()
start = text.index("-->", text.index("<!-- services:start")) + 3
end = text.index("<!-- services:end -->")
open(path, "w", encoding="utf-8").write(text[:start] + "\n" + sys.argv[1] + "\n" + text[end:])
PY
echo "README.md services table updated"
TWILIO_MCP_UPDATE_README=1 cargo test --quiet --test readme example_prompts_are_the_served_prompts >/dev/null
echo "README.md example prompts updated"
