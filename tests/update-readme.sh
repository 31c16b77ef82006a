#!/usr/bin/env bash
# Rewrites the README's services table from `twilio-mcp audit --markdown`
# (tests/readme.rs fails when it is stale).
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
