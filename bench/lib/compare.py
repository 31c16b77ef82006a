"""Same tools, same parameters? Compares two tools/list answers by wire names.

The Node.js server names a tool `<PascalCase spec stem>--<operationId>`
(`TwilioApiV2010--CreateMessage`) and uses Twilio's parameter names as
property keys. Ours names it `<SpecPrefix>_<operationId>`
(`ApiV2010_CreateMessage`) and renames a few parameters; `twilio-mcp audit
--verbose --json` reports each rename (`parameter `DateSent<` is exposed as
`DateSentBefore``) and each hidden parameter (`Authorization`), so our
property keys map back to wire names exactly. `fields` is our server's own
argument (which response fields to return), not a Twilio parameter.

For each selection this yields: tools only in one list, and for tools in both,
parameters (by wire name) that one side has and the other lacks, with the
reason when known.
"""

from __future__ import annotations

import re
from collections import Counter

RENAMED = re.compile(r"parameter `([^`]+)` is exposed as `([^`]+)`")
HIDDEN = re.compile(r"parameter `([^`]+)` is not an argument")
OWN_ARGS = {"fields"}


def pascal_stem(spec: str) -> str:
    """`twilio_api_v2010` → `TwilioApiV2010` (the Node server's rule)."""
    return "".join(w[:1].upper() + w[1:] for w in spec.split("_"))


def our_wire_params(tool_name: str, properties: dict, findings: list[dict]):
    """Our property keys → (wire-name multiset, renames, hidden wire names)."""
    renames: dict[str, str] = {}
    hidden: set[str] = set()
    for f in findings:
        if f.get("tool") != tool_name:
            continue
        m = RENAMED.search(f.get("message", ""))
        if m:
            renames[m.group(2)] = m.group(1)
        m = HIDDEN.search(f.get("message", ""))
        if m:
            hidden.add(m.group(1))
    wire = Counter()
    for key in properties:
        if key in OWN_ARGS:
            continue
        wire[renames.get(key, key)] += 1
    return wire, renames, hidden


def compare(node_tools: list[dict], our_tools: list[dict], our_meta: dict[str, dict],
            findings: list[dict]) -> dict:
    """`our_meta`: our tool name → {"spec": stem} from `twilio-mcp tools --json`."""
    node_by_name = {t["name"]: t for t in node_tools}
    ours_by_node_name = {}
    for t in our_tools:
        meta = our_meta.get(t["name"])
        if meta is None:
            continue
        prefix, _, op = t["name"].partition("_")
        ours_by_node_name[f"{pascal_stem(meta['spec'])}--{op}"] = t

    only_node = sorted(set(node_by_name) - set(ours_by_node_name))
    only_ours = sorted(ours_by_node_name[n]["name"] for n in set(ours_by_node_name) - set(node_by_name))
    common = sorted(set(node_by_name) & set(ours_by_node_name))

    node_params_total = 0
    our_params_total = 0
    dropped_by_us = []  # wire names the Node tool has and ours lacks (not hidden on purpose)
    hidden_by_us = []  # deliberately hidden (Authorization)
    extra_in_ours = []  # wire names ours has and Node's lacks
    merged_by_node = []  # one Node key for two distinct arguments of ours
    renamed = []
    for name in common:
        node_props = set((node_by_name[name].get("inputSchema") or {}).get("properties") or {})
        ours = ours_by_node_name[name]
        props = (ours.get("inputSchema") or {}).get("properties") or {}
        wire, renames, hidden = our_wire_params(ours["name"], props, findings)
        node_params_total += len(node_props)
        our_params_total += sum(wire.values())
        for p in sorted(node_props - set(wire)):
            row = {"tool": ours["name"], "param": p}
            (hidden_by_us if p in hidden else dropped_by_us).append(row)
        for p in sorted(set(wire) - node_props):
            extra_in_ours.append({"tool": ours["name"], "param": p})
        for p, n in sorted(wire.items()):
            if n > 1 and p in node_props:
                merged_by_node.append({"tool": ours["name"], "param": p, "our_arguments": n})
        for new, old in sorted(renames.items()):
            renamed.append({"tool": ours["name"], "wire": old, "argument": new})

    return {
        "node_tools": len(node_tools),
        "our_tools": len(our_tools),
        "common_tools": len(common),
        "only_in_node": only_node,
        "only_in_ours": only_ours,
        "node_params": node_params_total,
        "our_params_wire": our_params_total,
        "params_dropped_by_us": dropped_by_us,
        "params_hidden_by_us": hidden_by_us,
        "params_only_in_ours": extra_in_ours,
        "params_merged_by_node": merged_by_node,
        "params_renamed_by_us": renamed,
        "same_tools": not only_node and not only_ours,
        "no_param_dropped": not dropped_by_us,
    }
