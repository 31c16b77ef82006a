#!/usr/bin/env python3
"""How well discovery search finds the right operation: top-1, top-3 and MRR.

Runs every task of `tests/discovery/tasks.json` through `search_twilio_tools`
of a real server process and scores where the expected tool(s) land:

    python3 bench/discovery_eval.py                      # target/debug/twilio-mcp
    python3 bench/discovery_eval.py target/dist/twilio-mcp
    TWILIO_MCP_BIN=/path/to/twilio-mcp python3 bench/discovery_eval.py --json

The server is spawned as `serve --stdio --mode discover --services all` and
spoken to in newline-delimited JSON-RPC: `initialize` (protocol 2025-06-18),
`notifications/initialized`, `tools/list` (to check that discovery mode is on),
one `describe_twilio_tool` per distinct expected name (an expected name the
catalog does not have is reported, and never counts as found), then one
`tools/call` of `search_twilio_tools` with {"query": task, "limit": 10} per task.
Nothing calls Twilio: only the search and describe tools are used.

Figures, for the tuning part and the held-out part, overall and per product
(product = the prefix before "_" of the task's first expected tool):
  top-1   share of tasks whose first hit is an expected tool
  top-3   share with an expected tool among the first three hits
  MRR@10  mean of 1/rank of the best-ranked expected tool (0 if not in the top 10)
and the size of a search answer (the tool result's text, what a model reads):
median and max in bytes and in estimated tokens (bytes / 4).

Misses (first hit not expected) are listed for the tuning part only. The
held-out part is reported as counts: it must never be used to tune the ranking
or its vocabulary (see the file's "about"); `--show-held-out-misses` lists
them anyway, for a final review after tuning is over.

Exit status: 0 whenever the evaluation ran (whatever the figures), 2 when it
could not run (no binary, bad tasks file, the server failed to start, died,
timed out or broke the protocol), with the reason on stderr. Every read has a
deadline (`--timeout`), and the server process is always ended before exit.
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BIN = ROOT / "target" / "debug" / "twilio-mcp"
DEFAULT_TASKS = ROOT / "tests" / "discovery" / "tasks.json"
SERVE_ARGS = ["serve", "--stdio", "--mode", "discover", "--services", "all"]
PROTOCOL = "2025-06-18"
SEARCH = "search_twilio_tools"
DESCRIBE = "describe_twilio_tool"
LIMIT = 10
PARTS = ("tuning", "held_out")
TOOL_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*_[A-Z][A-Za-z0-9]*\b")


class CannotRun(Exception):
    """The evaluation cannot run; the message says why."""


# ---------------------------------------------------------------- tasks file


def load_tasks(path: Path) -> dict[str, list[dict]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CannotRun(f"tasks file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CannotRun(f"cannot read tasks file {path}: {e}") from None
    if not isinstance(doc, dict):
        raise CannotRun(f"{path}: the top level must be an object")
    parts: dict[str, list[dict]] = {}
    for part in PARTS:
        rows = doc.get(part)
        if not isinstance(rows, list) or not rows:
            raise CannotRun(f"{path}: `{part}` must be a non-empty list")
        for i, row in enumerate(rows):
            where = f"{path}: {part}[{i}]"
            if not isinstance(row, dict):
                raise CannotRun(f"{where} must be an object")
            task, expect = row.get("task"), row.get("expect")
            if not isinstance(task, str) or not task.strip():
                raise CannotRun(f"{where}: `task` must be a non-empty string")
            if (
                not isinstance(expect, list)
                or not expect
                or not all(isinstance(e, str) and e for e in expect)
            ):
                raise CannotRun(f"{where}: `expect` must be a non-empty list of tool names")
        parts[part] = rows
    return parts


def product(row: dict) -> str:
    return row["expect"][0].split("_", 1)[0]


# ---------------------------------------------------------------- the server


class Server:
    """A server child process spoken to in newline-delimited JSON-RPC."""

    def __init__(self, binary: Path, timeout: float):
        self.timeout = timeout
        self.next_id = 0
        self.buf = bytearray()
        self.stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [str(binary), *SERVE_ARGS],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                cwd=ROOT,
            )
        except OSError as e:
            self.stderr.close()
            raise CannotRun(f"cannot start {binary}: {e}") from None
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.fd = self.proc.stdout.fileno()

    def stderr_tail(self, limit: int = 1500) -> str:
        try:
            self.stderr.seek(0)
            text = self.stderr.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""
        return text[-limit:]

    def _fail(self, what: str) -> CannotRun:
        code = self.proc.poll()
        msg = what
        if code is not None:
            msg += f" (server exited with status {code})"
        tail = self.stderr_tail()
        if tail:
            msg += f"\nserver stderr (last lines):\n{tail}"
        return CannotRun(msg)

    def send(self, message: dict) -> None:
        data = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise self._fail(f"cannot write to the server: {e}") from None

    def _line(self, deadline: float) -> bytes:
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line = bytes(self.buf[:nl])
                del self.buf[: nl + 1]
                return line
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(f"no answer from the server within {self.timeout:g} s")
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                raise self._fail("the server closed its stdout")
            self.buf += chunk

    def request(self, method: str, params: dict) -> tuple[dict, int]:
        """Sends a request; returns its `result` and the answer's size in bytes."""
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = time.monotonic() + self.timeout
        while True:
            line = self._line(deadline).strip()
            if not line:
                continue
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                raise self._fail(f"the server wrote a line that is not JSON: {line[:200]!r}") from None
            if not isinstance(msg, dict):
                raise self._fail(f"the server wrote a JSON value that is not an object: {line[:200]!r}")
            if "method" in msg and "id" in msg:
                # A request from the server: answer it so it does not wait on us.
                if msg["method"] == "ping":
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": {}})
                else:
                    self.send({"jsonrpc": "2.0", "id": msg["id"],
                               "error": {"code": -32601, "message": "method not found"}})
                continue
            if msg.get("id") != rid:
                continue  # a notification (log, progress) or a stale answer
            if "error" in msg:
                raise self._fail(f"`{method}` failed: {json.dumps(msg['error'])[:500]}")
            result = msg.get("result")
            if not isinstance(result, dict):
                raise self._fail(f"`{method}` answered without a result object")
            return result, len(line)

    def close(self) -> None:
        try:
            if self.proc.stdin is not None and not self.proc.stdin.closed:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.stderr.close()


def result_text(result: dict) -> str:
    parts = []
    for block in result.get("content") or []:
        if isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "\n".join(parts)


def hit_names(result: dict, text: str) -> list[str]:
    """Tool names of a search answer, best first.

    Reads `structuredContent.results[].name`; failing that, the text as JSON
    of the same shape; failing that, tool-shaped names in order of appearance
    (so a future answer format still gets scored)."""
    for source in (result.get("structuredContent"), _json_or_none(text)):
        if isinstance(source, dict) and isinstance(source.get("results"), list):
            names = [h.get("name") for h in source["results"] if isinstance(h, dict)]
            return [n for n in names if isinstance(n, str)]
    seen: list[str] = []
    for m in TOOL_NAME.finditer(text):
        if m.group(0) not in seen:
            seen.append(m.group(0))
    return seen


def _json_or_none(text: str):
    try:
        return json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return None


# ---------------------------------------------------------------- evaluation


def evaluate(binary: Path, parts: dict[str, list[dict]], timeout: float) -> dict:
    server = Server(binary, timeout)
    try:
        init, _ = server.request("initialize", {
            "protocolVersion": PROTOCOL,
            "capabilities": {},
            "clientInfo": {"name": "twilio-mcp-discovery-eval", "version": "1"},
        })
        server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        listed, _ = server.request("tools/list", {})
        names = [t.get("name") for t in listed.get("tools") or [] if isinstance(t, dict)]
        if SEARCH not in names:
            raise CannotRun(
                f"the server offers no `{SEARCH}` tool (tools: {', '.join(map(str, names[:5]))}…): "
                "is `--mode discover` supported by this binary?"
            )

        expected = sorted({e for rows in parts.values() for r in rows for e in r["expect"]})
        unknown = []
        for name in expected:
            res, _ = server.request("tools/call", {"name": DESCRIBE, "arguments": {"name": name}})
            if res.get("isError"):
                unknown.append(name)
        unknown_set = set(unknown)

        scored: dict[str, list[dict]] = {}
        sizes: list[int] = []
        line_sizes: list[int] = []
        started = time.monotonic()
        for part, rows in parts.items():
            out = []
            for row in rows:
                res, line_size = server.request(
                    "tools/call", {"name": SEARCH, "arguments": {"query": row["task"], "limit": LIMIT}}
                )
                text = result_text(res)
                sizes.append(len(text.encode("utf-8")))
                line_sizes.append(line_size)
                error = text[:300] if res.get("isError") else None
                hits = [] if error else hit_names(res, text)[:LIMIT]
                want = [e for e in row["expect"] if e not in unknown_set]
                rank = next((i + 1 for i, h in enumerate(hits) if h in want), None)
                out.append({
                    "task": row["task"],
                    "expect": row["expect"],
                    "product": product(row),
                    "rank": rank,
                    "hits": hits,
                    **({"error": error} if error else {}),
                })
            scored[part] = out
        elapsed = time.monotonic() - started
    finally:
        server.close()

    return {
        "server": init.get("serverInfo", {}),
        "unknown_expected": unknown,
        "scored": scored,
        "sizes": sizes,
        "line_sizes": line_sizes,
        "seconds": elapsed,
    }


def figures(rows: list[dict]) -> dict:
    n = len(rows)
    if n == 0:
        return {"n": 0, "top1": 0.0, "top3": 0.0, "mrr": 0.0}
    return {
        "n": n,
        "top1": sum(1 for r in rows if r["rank"] == 1) / n,
        "top3": sum(1 for r in rows if r["rank"] is not None and r["rank"] <= 3) / n,
        "mrr": sum(1 / r["rank"] for r in rows if r["rank"]) / n,
    }


def summarize(run: dict, binary: Path, tasks_path: Path, show_held_out: bool) -> dict:
    scored = run["scored"]
    report: dict = {
        "binary": str(binary),
        "server": run["server"],
        "tasks_file": str(tasks_path),
        "limit": LIMIT,
        "unknown_expected": run["unknown_expected"],
        "search_seconds": round(run["seconds"], 3),
        "parts": {},
    }
    for part in PARTS:
        rows = scored[part]
        products = sorted({r["product"] for r in rows})
        report["parts"][part] = {
            **figures(rows),
            "products": {p: figures([r for r in rows if r["product"] == p]) for p in products},
        }
    report["parts"]["all"] = figures([r for part in PARTS for r in scored[part]])

    def size(values: list[int]) -> dict:
        med, mx = statistics.median(values), max(values)
        return {"median_bytes": med, "max_bytes": mx,
                "median_tokens": round(med / 4), "max_tokens": round(mx / 4)}

    report["answer_size"] = {"answers": len(run["sizes"]), **size(run["sizes"]),
                             "jsonrpc_line": size(run["line_sizes"])}

    def misses(rows: list[dict]) -> list[dict]:
        out = [{k: r[k] for k in ("task", "expect", "rank", "hits", "error") if k in r}
               for r in rows if r["rank"] != 1]
        for m in out:
            m["hits"] = m["hits"][:5]
        # Worst first: not in the top 10, then by rank.
        return sorted(out, key=lambda m: -(m["rank"] or LIMIT + 1))

    tuning_misses = misses(scored["tuning"])
    held = scored["held_out"]
    report["misses"] = {
        "tuning": tuning_misses,
        "held_out_counts": {
            "not_top1": sum(1 for r in held if r["rank"] != 1),
            "not_top3": sum(1 for r in held if r["rank"] is None or r["rank"] > 3),
            "not_top10": sum(1 for r in held if r["rank"] is None),
        },
    }
    if show_held_out:
        report["misses"]["held_out"] = misses(held)
    return report


# ---------------------------------------------------------------- output


def pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def render(report: dict) -> str:
    out = []
    parts = report["parts"]
    srv = report["server"]
    out.append(
        f"discovery search eval — {report['binary']}"
        + (f" ({srv.get('name', '?')} {srv.get('version', '')})".rstrip() if srv else "")
    )
    out.append(f"tasks: {report['tasks_file']}; search limit {report['limit']}; "
               f"{parts['all']['n']} searches in {report['search_seconds']:.2f} s")
    if report["unknown_expected"]:
        out.append(f"WARNING: expected names not in this binary's catalog (never count as found): "
                   f"{', '.join(report['unknown_expected'])}")
    out.append("")
    out.append(f"{'part':10} {'n':>4} {'top-1':>7} {'top-3':>7} {'MRR@10':>7}")
    for part in (*PARTS, "all"):
        f = parts[part]
        out.append(f"{part:10} {f['n']:4} {pct(f['top1']):>7} {pct(f['top3']):>7} {f['mrr']:7.3f}")
    out.append("")
    out.append("per product" + " " * 10 + "tuning: n  top-1  top-3    MRR  | held-out: n  top-1  top-3    MRR")
    products = sorted(set(parts["tuning"]["products"]) | set(parts["held_out"]["products"]))
    for p in products:
        cells = []
        for part in PARTS:
            f = parts[part]["products"].get(p)
            cells.append(f"{f['n']:3} {pct(f['top1'])} {pct(f['top3'])} {f['mrr']:6.3f}" if f
                         else f"{'-':>3} {'':6} {'':6} {'':6}")
        out.append(f"  {p:24} {cells[0]}  |  {cells[1]}")
    out.append("")
    s = report["answer_size"]
    j = s["jsonrpc_line"]
    out.append(f"search answer (tool result text, limit {report['limit']}, {s['answers']} answers): "
               f"median {s['median_bytes']:g} B (~{s['median_tokens']} tokens), "
               f"max {s['max_bytes']} B (~{s['max_tokens']} tokens); "
               f"whole JSON-RPC line: median {j['median_bytes']:g} B, max {j['max_bytes']} B")
    out.append("")
    tm = report["misses"]["tuning"]
    out.append(f"tuning misses (first hit not expected): {len(tm)} of {parts['tuning']['n']}")
    for m in tm:
        out.extend(miss_lines(m))
    hc = report["misses"]["held_out_counts"]
    out.append("")
    out.append(f"held-out: {hc['not_top1']} not first, {hc['not_top3']} not in the top 3, "
               f"{hc['not_top10']} not in the top 10 (of {parts['held_out']['n']})")
    if "held_out" in report["misses"]:
        out.append("held-out misses (--show-held-out-misses: for review only, never for tuning):")
        for m in report["misses"]["held_out"]:
            out.extend(miss_lines(m))
    else:
        out.append("held-out misses are not listed: that part must never be used for tuning "
                   "(--show-held-out-misses lists them)")
    return "\n".join(out)


def miss_lines(m: dict) -> list[str]:
    rank = f"#{m['rank']}" if m["rank"] else "--"
    lines = [f"  [{rank:>3}] {m['task']}", f"         want {' | '.join(m['expect'])}"]
    if "error" in m:
        lines.append(f"         tool error: {m['error']}")
    else:
        lines.append(f"         got  {', '.join(m['hits']) or '(nothing)'}")
    return lines


# ---------------------------------------------------------------- main


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        description="Score discovery search (search_twilio_tools) on tests/discovery/tasks.json.")
    ap.add_argument("binary", nargs="?",
                    help="server binary (default: $TWILIO_MCP_BIN, else target/debug/twilio-mcp)")
    ap.add_argument("--tasks", default=str(DEFAULT_TASKS), help="tasks file (default: %(default)s)")
    ap.add_argument("--timeout", type=float, default=15.0,
                    help="seconds to wait for each answer from the server (default: %(default)s)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--show-held-out-misses", action="store_true",
                    help="also list the held-out misses (review only: never tune on them)")
    args = ap.parse_args(argv)

    binary = Path(args.binary or os.environ.get("TWILIO_MCP_BIN") or DEFAULT_BIN)
    tasks_path = Path(args.tasks)
    try:
        if not (args.timeout > 0):
            raise CannotRun("--timeout must be a positive number of seconds")
        if not binary.is_file():
            raise CannotRun(f"server binary not found: {binary} (build it with `cargo build`, "
                            "or pass its path / set TWILIO_MCP_BIN)")
        if not os.access(binary, os.X_OK):
            raise CannotRun(f"server binary is not executable: {binary}")
        parts = load_tasks(tasks_path)
        run = evaluate(binary, parts, args.timeout)
    except CannotRun as e:
        print(f"discovery_eval: cannot run: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("discovery_eval: interrupted", file=sys.stderr)
        return 2
    report = summarize(run, binary, tasks_path, args.show_held_out_misses)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
