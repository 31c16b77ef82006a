#!/usr/bin/env python3
"""Runs every benchmark figure and writes bench/results/results.{json,md}.

Called by bench/run.sh after it has installed the tools and built the
binaries; see bench/README.md for what each figure means. Python 3.11 stdlib
only. Every loop is bounded, every server listens on 127.0.0.1 only and is
stopped before this script ends.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import coldstart  # noqa: E402
import compare  # noqa: E402
import httpbench  # noqa: E402
import report  # noqa: E402

# Dummy credentials in the shapes both servers check (AC/SK + 32 hex).
ACCOUNT_SID = "AC" + "a" * 32
API_KEY = "SK" + "b" * 32
API_SECRET = "bench-secret"
MESSAGE_SID = "SM" + "a" * 32


def stats(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0}
    return {"n": len(values), "min": min(values), "median": statistics.median(values),
            "max": max(values)}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(cmd: list[str], **kw) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, **kw).stdout.strip()


def loadavg() -> list[float]:
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine(args) -> dict:
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    os_name = ""
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    anchor_pkg = json.loads((args.deps / "node_modules/@twilio-alpha/mcp/package.json").read_text())
    tok_pkg = json.loads((args.deps / "node_modules/gpt-tokenizer/package.json").read_text())
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": os_name,
        "rustc": sh(["rustc", "-V"]),
        "node": sh(["node", "--version"]),
        "python": platform.python_version(),
        "wrk": sh(["wrk", "--version"]).splitlines()[0] if shutil.which("wrk") else None,
        "hyperfine": sh(["hyperfine", "--version"]) if shutil.which("hyperfine") else None,
        "anchor": f"{anchor_pkg['name']}@{anchor_pkg['version']}",
        "tokenizer": f"gpt-tokenizer@{tok_pkg['version']} (o200k_base)",
    }


def git_info(root: Path, binary: Path) -> dict:
    status = sh(["git", "-C", str(root), "status", "--porcelain", "--", "server", "codegen",
                 "build.rs", "specs/pin.json"])
    manifest = sh(["git", "-C", str(root), "status", "--porcelain", "--", "Cargo.toml",
                   "Cargo.lock"])
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    return {
        "commit": sh(["git", "-C", str(root), "rev-parse", "HEAD"]),
        "dirty_server_or_codegen": bool(status),
        "dirty_files": status.splitlines()[:20],
        "manifest_modified": bool(manifest),
        "binary_sha256": digest,
        "binary_path": str(binary.relative_to(root)) if binary.is_relative_to(root) else str(binary),
        "binary_bytes": binary.stat().st_size,
        "binary_built": dt.datetime.fromtimestamp(binary.stat().st_mtime, dt.timezone.utc)
                          .isoformat(timespec="seconds"),
    }


def wait_for_quiet(max_seconds: float) -> float:
    """Waits (bounded) until the 1-minute load average drops below 1."""
    t0 = time.monotonic()
    while loadavg()[0] >= 1.0 and time.monotonic() - t0 < max_seconds:
        if time.monotonic() - t0 < 1:
            log(f"load average {loadavg()[0]:.2f}: waiting up to {max_seconds:.0f} s for a "
                "quieter machine")
        time.sleep(10)
    return round(time.monotonic() - t0, 1)


# ---------------------------------------------------------------- stdio runs

def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(extra or {})
    return env


def our_env() -> dict[str, str]:
    return clean_env({"ACCOUNT_SID": ACCOUNT_SID, "API_KEY": API_KEY,
                      "API_SECRET": API_SECRET})


def selections(args, messaging_tags: list[str], all_stems: list[str]) -> list[dict]:
    """What each server is started with, per selection."""
    ours = [str(args.bin), "serve", "--stdio"]
    node = ["node", str(args.deps / "node_modules/@twilio-alpha/mcp/build/index.js"),
            f"{ACCOUNT_SID}/{API_KEY}:{API_SECRET}"]
    tags = ",".join(messaging_tags)
    return [
        {"selection": "Messaging",
         "ours": ours + ["--services", "Messaging"],
         "node": node + ["--services", "twilio_api_v2010", "--tags", tags],
         "note": f"anchor: --services twilio_api_v2010 --tags {tags} (its fastest way to "
                 "select these tools: it parses one spec file)"},
        {"selection": "Messaging (anchor tags only)",
         "ours": None,
         "node": node + ["--services", "", "--tags", tags],
         "note": "anchor: --services '' --tags ... as its README documents for tags; "
                 "parses all 50 spec files"},
        {"selection": "api_v2010",
         "ours": ours + ["--services", "api_v2010"],
         "node": node + ["--services", "twilio_api_v2010"],
         "note": ""},
        {"selection": "all",
         "ours": ours + ["--services", "all"],
         "node": node + ["--services", ",".join(all_stems)],
         "note": "anchor: --services with all 50 spec stems (without --services it loads only "
                 "twilio_api_v2010)"},
        {"selection": "all, ?mode=discover",
         "ours": ours + ["--services", "all", "--mode", "discover"],
         "node": None,
         "note": "ours only: 3 tools (search, describe, call) over the whole catalog"},
    ]


def run_cold_starts(args, sels: list[dict], payload_dir: Path) -> list[dict]:
    rows = []
    payload_dir.mkdir(parents=True, exist_ok=True)
    for sel in sels:
        for server in ("ours", "node"):
            cmd = sel[server]
            if cmd is None:
                continue
            n = args.runs_ours if server == "ours" else args.runs_node
            env = our_env() if server == "ours" else clean_env()
            log(f"cold start: {server:4} {sel['selection']} × {n}")
            runs = []
            payload = None
            stable = True
            for _ in range(n):
                r = coldstart.run_once(cmd, env, timeout=args.stdio_timeout, cwd=str(args.work))
                runs.append(r)
                if payload is None:
                    payload = r.payload
                elif r.payload != payload:
                    stable = False
            slug = f"{server}-{sel['selection']}".replace(" ", "_").replace(",", "").replace(
                "?", "").replace("=", "-").replace("(", "").replace(")", "")
            path = payload_dir / f"{slug}.json"
            path.write_bytes(payload)
            tools = json.loads(payload)["result"]["tools"]
            rows.append({
                "server": server,
                "selection": sel["selection"],
                "command": (["twilio-mcp", *cmd[1:]] if server == "ours" else
                            ["node", "@twilio-alpha/mcp/build/index.js", "AC…/SK…:…",
                             *cmd[3:]]),
                "note": sel["note"],
                "initialize_ms": stats([r.initialize_ms for r in runs]),
                "tools_list_ms": stats([r.tools_list_ms for r in runs]),
                "peak_rss_mib": stats([r.peak_rss_kib / 1024 for r in runs]),
                "tools": len(tools),
                "bytes": len(payload),
                "payload_stable": stable,
                "payload_file": str(path),
            })
    return rows


def count_tokens(args, files: list[str]) -> dict[str, int]:
    out = subprocess.run(["node", str(Path(__file__).with_name("tokens.cjs")), *files],
                         capture_output=True, text=True, check=True, timeout=600,
                         env={**os.environ, "BENCH_DEPS": str(args.deps)}).stdout
    return json.loads(out)


def payload_figures(args, cold: list[dict]) -> dict:
    log("tools/list payloads: tokens and tool/parameter comparison")
    files = [r["payload_file"] for r in cold]
    tokens = count_tokens(args, files)
    for r in cold:
        r["tokens_o200k"] = tokens[r["payload_file"]]
    meta_rows = json.loads(sh([str(args.bin), "tools", "--json", "--services", "all"],
                              env=our_env(), cwd=args.work))
    meta = {t["name"]: t for t in meta_rows}
    audit = json.loads(sh([str(args.bin), "audit", "--services", "all", "--verbose", "--json"],
                          env=our_env(), cwd=args.work))
    findings = audit.get("findings", [])
    by = {(r["server"], r["selection"]): r for r in cold}
    out = []
    for sel in ("Messaging", "api_v2010", "all"):
        node, ours = by.get(("node", sel)), by.get(("ours", sel))
        if not node or not ours:
            continue
        node_tools = json.loads(Path(node["payload_file"]).read_bytes())["result"]["tools"]
        our_tools = json.loads(Path(ours["payload_file"]).read_bytes())["result"]["tools"]
        cmp = compare.compare(node_tools, our_tools, meta, findings)
        out.append({
            "selection": sel,
            "node": {"tools": node["tools"], "bytes": node["bytes"],
                     "tokens_o200k": node["tokens_o200k"]},
            "ours": {"tools": ours["tools"], "bytes": ours["bytes"],
                     "tokens_o200k": ours["tokens_o200k"]},
            "bytes_ratio": ours["bytes"] / node["bytes"],
            "tokens_ratio": ours["tokens_o200k"] / node["tokens_o200k"],
            "comparison": cmp,
        })
    disc = by.get(("ours", "all, ?mode=discover"))
    return {"selections": out,
            "discover": {"tools": disc["tools"], "bytes": disc["bytes"],
                         "tokens_o200k": disc["tokens_o200k"]} if disc else None}


# ---------------------------------------------------------------- HTTP

def run_http(args) -> dict:
    work = args.work
    bodies = work / "bodies"
    bodies.mkdir(parents=True, exist_ok=True)
    list_body = bodies / "tools_list.json"
    list_body.write_text(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                                     "params": {}}))
    call_body = bodies / "tools_call.json"
    call_body.write_text(json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "ApiV2010_FetchMessage", "arguments": {"Sid": MESSAGE_SID}}}))
    basic = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    upstream_path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}.json"

    mock_port, hello_port, ours_port, static_port = (httpbench.free_port() for _ in range(4))
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    env = our_env()
    env["TWILIO_API_BASE_URL"] = f"http://127.0.0.1:{mock_port}"
    with contextlib.ExitStack() as stack:
        stack.enter_context(httpbench.Server(
            [str(args.hello), "--listen", f"127.0.0.1:{mock_port}", "--mode", "mock"], mock_port))
        stack.enter_context(httpbench.Server(
            [str(args.hello), "--listen", f"127.0.0.1:{hello_port}", "--mode", "hello"],
            hello_port))
        stack.enter_context(httpbench.Server(
            [str(args.bin), "serve", "--bind", f"127.0.0.1:{ours_port}", "--services",
             "Messaging"], ours_port, env=env,
            log=None if not args.keep_logs else logs / "ours-http.log", cwd=work))
        mcp = f"http://127.0.0.1:{ours_port}/mcp"
        # Our exact tools/list answer, served as static bytes by bare axum: the
        # ceiling for the same payload (what pre-rendered bytes could reach).
        rendered = bodies / "tools_list_answer.json"
        req = httpbench.urllib.request.Request(mcp, data=list_body.read_bytes(), method="POST",
                                               headers={"Content-Type": "application/json",
                                                        "Accept": "application/json, "
                                                                  "text/event-stream"})
        with httpbench.urllib.request.urlopen(req, timeout=10) as resp:
            rendered.write_bytes(resp.read())
        stack.enter_context(httpbench.Server(
            [str(args.hello), "--listen", f"127.0.0.1:{static_port}", "--mode", "static",
             "--file", str(rendered)], static_port))
        targets = {
            "hello": {"url": f"http://127.0.0.1:{hello_port}/", "body_file": list_body,
                      "label": "bare axum hello world (POST /, same request)"},
            "static": {"url": f"http://127.0.0.1:{static_port}/", "body_file": list_body,
                       "label": "bare axum serving our tools/list answer as static bytes"},
            "tools/list": {"url": mcp, "body_file": list_body,
                           "label": "ours: tools/list, Messaging (10 tools)"},
            "tools/list discover": {"url": mcp + "?mode=discover", "body_file": list_body,
                                    "label": "ours: tools/list, ?mode=discover (3 tools)"},
            "tools/call": {"url": mcp, "body_file": call_body,
                           "label": "ours: tools/call ApiV2010_FetchMessage → mock"},
            "direct": {"url": f"http://127.0.0.1:{mock_port}{upstream_path}", "method": "GET",
                       "headers": {"Authorization": basic},
                       "label": "the same upstream GET straight to the mock"},
        }
        # Preflight: every target answers what it should.
        st, tl = httpbench.post_json(mcp, list_body.read_bytes())
        assert st == 200 and len(tl["result"]["tools"]) > 0, tl
        st, tl = httpbench.post_json(mcp + "?mode=discover", list_body.read_bytes())
        assert st == 200 and len(tl["result"]["tools"]) == 3, tl
        st, tc = httpbench.post_json(mcp, call_body.read_bytes())
        assert st == 200 and not tc["result"].get("isError") and \
            MESSAGE_SID in json.dumps(tc["result"]), tc
        st, raw = httpbench.get(targets["direct"]["url"], {"Authorization": basic})
        assert st == 200 and MESSAGE_SID.encode() in raw
        preflight = {
            "tools_list_http_bytes": rendered.stat().st_size,
            "tools_call_result_excerpt": json.dumps(tc["result"])[:300],
        }
        log("HTTP: warm-up")
        for t in targets.values():
            httpbench.wrk(t["url"], 16, 1, method=t.get("method", "POST"),
                          body_file=t.get("body_file"), headers=t.get("headers"))
        results = {name: {c: [] for c in args.connections} for name in targets}
        for c in args.connections:
            for rep in range(args.http_reps):
                for name, t in targets.items():
                    log(f"HTTP: {name:20} c={c:<3} run {rep + 1}/{args.http_reps}")
                    r = httpbench.wrk(t["url"], c, args.http_seconds,
                                      method=t.get("method", "POST"),
                                      body_file=t.get("body_file"), headers=t.get("headers"))
                    results[name][c].append(r)
    rows = []
    for name, t in targets.items():
        for c in args.connections:
            runs = results[name][c]
            rows.append({
                "target": name, "label": t["label"], "connections": c,
                "rps": stats([r["rps"] for r in runs]),
                "p50_ms": stats([r["p50_us"] / 1000 for r in runs]),
                "p99_ms": stats([r["p99_us"] / 1000 for r in runs]),
                "errors": sum(r["errors"] for r in runs),
                "runs": runs,
            })
    overhead = []
    for c in args.connections:
        direct = results["direct"][c]
        through = results["tools/call"][c]
        diffs50 = [(b["p50_us"] - a["p50_us"]) / 1000 for a, b in zip(direct, through)]
        diffs99 = [(b["p99_us"] - a["p99_us"]) / 1000 for a, b in zip(direct, through)]
        overhead.append({"connections": c,
                         "direct_p50_ms": stats([r["p50_us"] / 1000 for r in direct]),
                         "through_p50_ms": stats([r["p50_us"] / 1000 for r in through]),
                         "overhead_p50_ms": stats(diffs50),
                         "overhead_p99_ms": stats(diffs99)})
    return {"rows": rows, "overhead": overhead, "preflight": preflight,
            "wrk_threads": "1 below 16 connections, else 2",
            "seconds_per_run": args.http_seconds, "reps": args.http_reps}


# ---------------------------------------------------------------- signature, codegen, build

def run_signature(args) -> list[dict]:
    home = args.work / "criterion"
    if home.exists():
        shutil.rmtree(home)
    crit = ["--bench"]
    if args.quick:
        crit += ["--warm-up-time", "1", "--measurement-time", "2", "--sample-size", "20"]
    else:
        crit += ["--warm-up-time", "2", "--measurement-time", "5", "--sample-size", "50"]
    log("signature: criterion")
    subprocess.run([str(args.signature), *crit], cwd=args.root, check=True, timeout=900,
                   env={**os.environ, "CRITERION_HOME": str(home)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    for bench_json in sorted(home.rglob("new/benchmark.json")):
        b = json.loads(bench_json.read_text())
        sample = json.loads((bench_json.parent / "sample.json").read_text())
        per_iter_ns = [t / n for t, n in zip(sample["times"], sample["iters"])]
        est = json.loads((bench_json.parent / "estimates.json").read_text())
        rows.append({"benchmark": b.get("full_id") or b.get("title"),
                     "per_iteration_ns": stats(per_iter_ns),
                     "criterion_median_ns": est["median"]["point_estimate"],
                     "criterion_median_ci_ns": [est["median"]["confidence_interval"]["lower_bound"],
                                                est["median"]["confidence_interval"]["upper_bound"]]})
    return rows


def run_codegen(args) -> dict:
    log("codegen: hyperfine")
    export = args.work / "hyperfine-codegen.json"
    spec_dir = args.root / "specs" / "twilio-oai"
    runs = 3 if args.quick else 10
    subprocess.run(["hyperfine", "--style", "none", "--warmup", "1", "--runs", str(runs),
                    "--export-json", str(export),
                    f"{args.generate} {spec_dir}"], check=True, timeout=900,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    data = json.loads(export.read_text())["results"][0]
    summary = sh([str(args.generate), str(spec_dir)]).splitlines()[0]
    return {"command": f"codegen example `generate` on specs/twilio-oai ({runs} runs, 1 warm-up)",
            "wall_ms": stats([t * 1000 for t in data["times"]]),
            "summary_line": summary}


def run_build(args) -> dict:
    target = args.work / "clean-build"
    if target.exists():
        shutil.rmtree(target)
    log("clean release build (minutes)")
    t0 = time.perf_counter()
    subprocess.run(["cargo", "build", "--release", "--bin", "twilio-mcp"], cwd=args.root,
                   check=True, timeout=3600, env={**os.environ, "CARGO_TARGET_DIR": str(target)},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    secs = time.perf_counter() - t0
    binary = target / "release" / "twilio-mcp"
    size = binary.stat().st_size
    shutil.rmtree(target)
    return {"seconds": stats([secs]), "binary_bytes": size,
            "note": "one clean `cargo build --release --bin twilio-mcp` into an empty target "
                    "directory (registry sources already downloaded)"}


# ---------------------------------------------------------------- main

def rewrite_report(out: Path) -> int:
    """Regenerates results.md (and the targets) from an existing results.json."""
    results = json.loads((out / "results.json").read_text())
    results["targets"] = report.targets(results)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(report.markdown(results))
    print(report.targets_table(results["targets"]))
    return 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--report-only":
        return rewrite_report(Path(sys.argv[2]))
    p = argparse.ArgumentParser()
    p.add_argument("--root", type=Path, required=True)
    p.add_argument("--bin", type=Path, required=True)
    p.add_argument("--hello", type=Path, required=True)
    p.add_argument("--signature", type=Path, required=True)
    p.add_argument("--generate", type=Path, required=True)
    p.add_argument("--deps", type=Path, required=True)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--build-time", action="store_true")
    p.add_argument("--keep-logs", action="store_true")
    p.add_argument("--only", default="", help="comma list: cold,http,signature,codegen")
    p.add_argument("--max-wait-quiet", type=float, default=None,
                   help="seconds to wait for a 1-minute load average below 1 before starting "
                        "(default 180, 0 with --quick)")
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    args.runs_ours = 10 if args.quick else 30
    args.runs_node = 3 if args.quick else 10
    args.stdio_timeout = 60.0
    args.connections = [1, 16, 64]
    args.http_reps = 3 if args.quick else 5
    args.http_seconds = 2 if args.quick else 6
    only = set(filter(None, args.only.split(",")))
    if args.max_wait_quiet is None:
        args.max_wait_quiet = 0 if args.quick else 180

    waited = wait_for_quiet(args.max_wait_quiet)
    started = time.time()
    results = {
        "waited_for_quiet_s": waited,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "git": git_info(args.root, args.bin),
        "machine": machine(args),
        "loadavg_start": loadavg(),
    }
    meta = json.loads(sh([str(args.bin), "tools", "--json", "--tags"], env=our_env(),
                         cwd=args.work))
    messaging = json.loads(sh([str(args.bin), "tools", "--json", "--services", "Messaging"],
                              env=our_env(), cwd=args.work))
    messaging_tags = sorted({t["tag"] for t in messaging})
    yaml_dir = args.deps / "node_modules/@twilio-alpha/mcp/twilio-oai/spec/yaml"
    all_stems = sorted(p.stem for p in yaml_dir.glob("*.yaml"))
    results["catalog"] = {"tags": len(meta), "messaging_tags": messaging_tags,
                          "anchor_spec_files": len(all_stems)}

    if not only or "cold" in only:
        cold = run_cold_starts(args, selections(args, messaging_tags, all_stems),
                               args.work / "payloads")
        results["payload"] = payload_figures(args, cold)
        results["cold_start"] = cold
    if not only or "http" in only:
        results["http"] = run_http(args)
    if not only or "signature" in only:
        results["signature"] = run_signature(args)
    if not only or "codegen" in only:
        results["codegen"] = run_codegen(args)
    if args.build_time:
        results["clean_build"] = run_build(args)
    results["loadavg_end"] = loadavg()
    results["elapsed_s"] = round(time.time() - started, 1)
    results["targets"] = report.targets(results)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(report.markdown(results))
    log(f"wrote {args.out / 'results.md'} and results.json in {results['elapsed_s']} s")
    print(report.targets_table(results["targets"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
