"""Targets and the markdown report from the results dictionary."""

from __future__ import annotations


def _f(x, digits=1):
    if x is None:
        return "–"
    if isinstance(x, (int,)) and not isinstance(x, bool):
        return f"{x:,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def _mmm(s: dict, digits=1) -> str:
    """min / **median** / max."""
    if not s or not s.get("n"):
        return "–"
    if s["n"] == 1:
        return _f(s["median"], digits)
    return f"{_f(s['min'], digits)} / **{_f(s['median'], digits)}** / {_f(s['max'], digits)}"


def _cold(results, server, sel):
    for r in results.get("cold_start", []):
        if r["server"] == server and r["selection"] == sel:
            return r
    return None


def _http(results, target, c):
    for r in results.get("http", {}).get("rows", []):
        if r["target"] == target and r["connections"] == c:
            return r
    return None


def targets(results: dict) -> list[dict]:
    out = []

    def add(name, goal, value, ok, detail=""):
        out.append({"target": name, "goal": goal, "measured": value, "met": ok,
                    "detail": detail})

    for sel in ("Messaging", "api_v2010", "all"):
        o, n = _cold(results, "ours", sel), _cold(results, "node", sel)
        if o and n:
            ratio = n["tools_list_ms"]["median"] / o["tools_list_ms"]["median"]
            add(f"cold start → tools/list, {sel}", "≥ 50× faster than the anchor",
                f"{ratio:.0f}× ({o['tools_list_ms']['median']:.1f} ms vs "
                f"{n['tools_list_ms']['median']:.0f} ms)", ratio >= 50)
    for sel in ("Messaging", "api_v2010", "all"):
        o, n = _cold(results, "ours", sel), _cold(results, "node", sel)
        if o and n:
            ratio = n["peak_rss_mib"]["median"] / o["peak_rss_mib"]["median"]
            add(f"peak RSS after tools/list, {sel}", "≤ 1/10 of the anchor's",
                f"1/{ratio:.2f} ({o['peak_rss_mib']['median']:.1f} MiB vs "
                f"{n['peak_rss_mib']['median']:.0f} MiB)", ratio >= 10)
    for p in results.get("payload", {}).get("selections", []):
        if p["selection"] != "Messaging":
            continue
        cmp = p["comparison"]
        same = cmp["same_tools"] and cmp["no_param_dropped"]
        add("Messaging tools/list bytes", "≤ 60% of the anchor's, same tools and parameters",
            f"{p['bytes_ratio'] * 100:.0f}% ({p['ours']['bytes']:,} B vs {p['node']['bytes']:,} B;"
            f" tokens {p['tokens_ratio'] * 100:.0f}%)",
            p["bytes_ratio"] <= 0.60 and same,
            "same tool set, no parameter dropped" if same else
            "tool set or parameters differ: see the comparison")
    http = results.get("http")
    if http:
        hello, lst = _http(results, "hello", 64), _http(results, "tools/list", 64)
        if hello and lst:
            ratio = lst["rps"]["median"] / hello["rps"]["median"]
            add("HTTP tools/list throughput at 64 connections", "≥ 50% of bare axum hello world",
                f"{ratio * 100:.0f}% ({lst['rps']['median']:,.0f} vs "
                f"{hello['rps']['median']:,.0f} req/s)", ratio >= 0.5)
            add("HTTP tools/list p99 at 64 connections", "≤ 10 ms",
                f"{lst['p99_ms']['median']:.2f} ms", lst["p99_ms"]["median"] <= 10)
        for o in http["overhead"]:
            if o["connections"] == 1:
                v = o["overhead_p50_ms"]["median"]
                add("tool-call overhead, p50 at 1 connection", "≤ 1 ms",
                    f"{v:.3f} ms ({o['through_p50_ms']['median']:.3f} ms through the server vs "
                    f"{o['direct_p50_ms']['median']:.3f} ms direct)", v <= 1.0)
    return out


def targets_table(ts: list[dict]) -> str:
    lines = ["| target | goal | measured | met |", "|---|---|---|---|"]
    for t in ts:
        lines.append(f"| {t['target']} | {t['goal']} | {t['measured']} | "
                     f"{'yes' if t['met'] else '**no**'} |")
    return "\n".join(lines)


def markdown(r: dict) -> str:
    m = r["machine"]
    L = []
    L.append("# twilio-mcp benchmark results\n")
    L.append(f"Generated {r['generated_at']} by `bench/run.sh`"
             f"{' --quick' if r['mode'] == 'quick' else ''} in {r['elapsed_s']:.0f} s. "
             "Cells with three numbers are min / **median** / max over repeated runs. "
             "See `bench/README.md` for how each figure is measured.\n")
    L.append("## Machine\n")
    L.append(f"- {m['nproc']} CPUs: {m['cpu_model']}; {m['ram_gib']} GiB RAM; "
             f"{m['os']}, Linux {m['kernel']}")
    L.append(f"- {m['rustc']}; Node {m['node']}; Python {m['python']}; {m['wrk']}; "
             f"{m['hyperfine']}")
    L.append(f"- anchor: `{m['anchor']}` on Node {m['node']}; tokens: {m['tokenizer']}")
    g = r["git"]
    L.append(f"- twilio-mcp commit `{g['commit'][:12]}`"
             + (" with uncommitted changes in server/codegen" if g["dirty_server_or_codegen"]
                else " (server/ and codegen/ as committed)")
             + (f"; binary `{g.get('binary_path', 'target/release/twilio-mcp')}`"
                f" {g['binary_bytes'] / 1e6:.1f} MB, built {g['binary_built']},"
                f" sha256 `{g['binary_sha256'][:12]}`" if g.get("binary_sha256") else ""))
    L.append(f"- load average at start {r['loadavg_start']}, at end {r['loadavg_end']}"
             f" (waited {r.get('waited_for_quiet_s', 0):.0f} s for a quieter machine first); "
             "other work on the machine skews every figure, tail latencies most\n")

    L.append("## Targets\n")
    L.append(targets_table(r["targets"]) + "\n")

    if "cold_start" in r:
        L.append("## 1–2. Cold start and peak RSS (stdio)\n")
        L.append("Spawn → `initialize` answered → `tools/list` answered, and the server's "
                 "`VmHWM` right after.\n")
        L.append("| selection | server | runs | → initialize (ms) | → tools/list (ms) | "
                 "peak RSS (MiB) |")
        L.append("|---|---|---|---|---|---|")
        for c in r["cold_start"]:
            L.append(f"| {c['selection']} | {'twilio-mcp' if c['server'] == 'ours' else 'anchor'}"
                     f" | {c['tools_list_ms']['n']} | {_mmm(c['initialize_ms'])} | "
                     f"{_mmm(c['tools_list_ms'])} | {_mmm(c['peak_rss_mib'])} |")
        L.append("")
        for c in r["cold_start"]:
            if c["note"] and c["server"] == "node":
                L.append(f"- {c['selection']}: {c['note']}")
        L.append("")

    if "payload" in r:
        L.append("## 3. tools/list payload\n")
        L.append("Bytes of the JSON-RPC answer as sent on stdio; tokens counted with o200k_base "
                 "on the same text.\n")
        L.append("| selection | server | tools | bytes | tokens (o200k) | ours / anchor |")
        L.append("|---|---|---|---|---|---|")
        for p in r["payload"]["selections"]:
            L.append(f"| {p['selection']} | anchor | {p['node']['tools']:,} | "
                     f"{p['node']['bytes']:,} | {p['node']['tokens_o200k']:,} | |")
            L.append(f"| {p['selection']} | twilio-mcp | {p['ours']['tools']:,} | "
                     f"{p['ours']['bytes']:,} | {p['ours']['tokens_o200k']:,} | "
                     f"{p['bytes_ratio'] * 100:.0f}% bytes, {p['tokens_ratio'] * 100:.0f}% "
                     "tokens |")
        d = r["payload"].get("discover")
        if d:
            L.append(f"| all, `?mode=discover` | twilio-mcp | {d['tools']} | {d['bytes']:,} | "
                     f"{d['tokens_o200k']:,} | |")
        L.append("")
        L.append("### Same tools, same parameters?\n")
        L.append("Tools matched by (spec, operationId); parameters by Twilio wire name (our "
                 "renamed arguments mapped back through `twilio-mcp audit --verbose`; our own "
                 "`fields` argument left out).\n")
        L.append("| selection | tools both / only anchor / only ours | params anchor / ours | "
                 "dropped by us | hidden by us | only in ours | merged by anchor | renamed by us |")
        L.append("|---|---|---|---|---|---|---|---|")
        for p in r["payload"]["selections"]:
            c = p["comparison"]
            L.append(f"| {p['selection']} | {c['common_tools']} / {len(c['only_in_node'])} / "
                     f"{len(c['only_in_ours'])} | {c['node_params']:,} / {c['our_params_wire']:,} |"
                     f" {len(c['params_dropped_by_us'])} | {len(c['params_hidden_by_us'])} | "
                     f"{len(c['params_only_in_ours'])} | {len(c['params_merged_by_node'])} | "
                     f"{len(c['params_renamed_by_us'])} |")
        L.append("")
        for p in r["payload"]["selections"]:
            c = p["comparison"]
            notes = []
            if c["only_in_node"]:
                notes.append("only in the anchor: " + ", ".join(f"`{x}`" for x in c["only_in_node"][:12])
                             + (" …" if len(c["only_in_node"]) > 12 else ""))
            if c["only_in_ours"]:
                notes.append("only in ours: " + ", ".join(f"`{x}`" for x in c["only_in_ours"][:12])
                             + (" …" if len(c["only_in_ours"]) > 12 else ""))
            if c["params_dropped_by_us"]:
                notes.append("**dropped by us**: " + ", ".join(
                    f"`{x['tool']}.{x['param']}`" for x in c["params_dropped_by_us"][:12]))
            hidden = sorted({x["param"] for x in c["params_hidden_by_us"]})
            if hidden:
                notes.append(f"hidden by us on purpose: {', '.join(f'`{h}`' for h in hidden)} "
                             f"({len(c['params_hidden_by_us'])} tools)")
            if c["params_only_in_ours"]:
                ex = c["params_only_in_ours"][:8]
                notes.append(f"{len(c['params_only_in_ours'])} parameters only in ours (the anchor "
                             "dropped them), e.g. " + ", ".join(f"`{x['tool']}.{x['param']}`"
                                                              for x in ex))
            if c["params_merged_by_node"]:
                notes.append("one anchor key for two of our arguments: " + ", ".join(
                    f"`{x['tool']}.{x['param']}`" for x in c["params_merged_by_node"][:6]))
            if c["params_renamed_by_us"]:
                ex = c["params_renamed_by_us"][:6]
                notes.append(f"{len(c['params_renamed_by_us'])} renamed by us, e.g. " + ", ".join(
                    f"`{x['wire']}`→`{x['argument']}`" for x in ex))
            if notes:
                L.append(f"- **{p['selection']}**: " + "; ".join(notes) + ".")
        L.append("")

    if "http" in r:
        h = r["http"]
        L.append("## 4. HTTP throughput and latency (loopback, wrk)\n")
        L.append(f"{h['reps']} runs of {h['seconds_per_run']} s per cell; wrk threads: "
                 f"{h['wrk_threads']}. Server, wrk and the mock share the machine's cores.\n")
        L.append("| target | connections | requests/s | p50 (ms) | p99 (ms) | errors |")
        L.append("|---|---|---|---|---|---|")
        for row in h["rows"]:
            L.append(f"| {row['label']} | {row['connections']} | {_mmm(row['rps'], 0)} | "
                     f"{_mmm(row['p50_ms'], 3)} | {_mmm(row['p99_ms'], 3)} | {row['errors']} |")
        L.append("")
        L.append("Ratios of medians (requests/s):\n")
        L.append("| connections | tools/list ÷ hello world | tools/list ÷ same bytes served "
                 "statically | discover tools/list ÷ hello world | static bytes ÷ hello world |")
        L.append("|---|---|---|---|---|")
        for c in sorted({row["connections"] for row in h["rows"]}):
            def med(t):
                row = _http(r, t, c)
                return row["rps"]["median"] if row and row["rps"].get("n") else None
            hello, lst, st, disc = med("hello"), med("tools/list"), med("static"), \
                med("tools/list discover")
            def pct(a, b):
                return f"{a / b * 100:.0f}%" if a and b else "–"
            L.append(f"| {c} | {pct(lst, hello)} | {pct(lst, st)} | {pct(disc, hello)} | "
                     f"{pct(st, hello)} |")
        L.append("")
        L.append("## 5. Tool-call overhead\n")
        L.append("p50 of `tools/call ApiV2010_FetchMessage` through the server minus p50 of the "
                 "same upstream GET sent straight to the mock, paired run by run.\n")
        L.append("| connections | direct p50 (ms) | through server p50 (ms) | overhead p50 (ms) | "
                 "overhead p99 (ms) |")
        L.append("|---|---|---|---|---|")
        for o in h["overhead"]:
            L.append(f"| {o['connections']} | {_mmm(o['direct_p50_ms'], 3)} | "
                     f"{_mmm(o['through_p50_ms'], 3)} | {_mmm(o['overhead_p50_ms'], 3)} | "
                     f"{_mmm(o['overhead_p99_ms'], 3)} |")
        L.append("")

    if "signature" in r:
        L.append("## 6. Signature check, codegen, build\n")
        L.append("Criterion (`benches/signature.rs`), time per call over its samples:\n")
        L.append("| benchmark | per call (µs) |")
        L.append("|---|---|")
        for s in r["signature"]:
            st = {k: (v / 1000 if isinstance(v, float) else v) for k, v in
                  s["per_iteration_ns"].items()}
            L.append(f"| {s['benchmark']} | {_mmm(st, 3)} |")
        L.append("")
    if "codegen" in r:
        c = r["codegen"]
        L.append(f"Codegen, all specs: {_mmm(c['wall_ms'], 0)} ms wall ({c['command']}); "
                 f"its own summary: `{c['summary_line']}`\n")
    if "clean_build" in r:
        b = r["clean_build"]
        L.append(f"Clean release build: {b['seconds']['median']:.0f} s; binary "
                 f"{b['binary_bytes'] / 1e6:.1f} MB ({b['note']}).\n")
    elif "codegen" in r:
        L.append("Clean release build: not measured in this run (`bench/run.sh --build-time`).\n")
    if all(t["met"] for t in r["targets"]):
        L.append("## Profiles\n")
        L.append("Every target is met in this run. What the profiles of earlier, missed "
                 "targets showed and what changed: [`profiles.md`](profiles.md).\n")
    else:
        L.append("## Where targets are missed\n")
        L.append("Profiles (perf) of the missed targets and what to change: "
                 "[`profiles.md`](profiles.md) (written by hand for the committed run; "
                 "re-profile after changes).\n")
    return "\n".join(L)
