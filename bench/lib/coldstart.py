"""Cold start, peak RSS and the tools/list payload of an MCP server over stdio.

One run: spawn the server, send `initialize`, wait for its answer, send
`notifications/initialized` and `tools/list`, wait for that answer. The time
from just before the spawn to the read that brings the last byte of the
`tools/list` answer is the cold start (this client's own JSON parsing is not
counted); `VmHWM` (peak resident set size) is read from /proc right after,
while the process still runs. Then stdin is closed and the process is ended.

Every wait is bounded (a server that says nothing for `timeout` seconds fails
the run); lines that are not the awaited answer (the Node.js server writes its
log lines to stdout as JSON-RPC notifications) are skipped.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "twilio-mcp-bench", "version": "1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
TOOLS_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}


@dataclass
class Run:
    initialize_ms: float
    tools_list_ms: float
    peak_rss_kib: int
    payload: bytes  # the tools/list answer as sent (one line, no newline)


class Reader:
    """Line reader over a pipe with a deadline."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = bytearray()
        self.scanned = 0
        # perf_counter() of the read that completed the last line returned:
        # the time the answer arrived, before this client spends any time
        # parsing it (parsing 1.3 MB of JSON in Python takes tens of ms).
        self.arrived = 0.0
        self._last_read = 0.0

    def line(self, deadline: float) -> bytes:
        while True:
            nl = self.buf.find(b"\n", self.scanned)
            if nl >= 0:
                line = bytes(self.buf[:nl])
                del self.buf[: nl + 1]
                self.scanned = 0
                self.arrived = self._last_read
                return line
            self.scanned = len(self.buf)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer in time")
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.fd, 1 << 22)
            self._last_read = time.perf_counter()
            if not chunk:
                raise EOFError("server closed stdout")
            self.buf += chunk


def peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def _await_answer(reader: Reader, want_id: int, deadline: float) -> bytes:
    while True:
        line = reader.line(deadline)
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            continue  # not JSON-RPC (a stray log line)
        if isinstance(msg, dict) and msg.get("id") == want_id and "method" not in msg:
            if "error" in msg:
                raise RuntimeError(f"JSON-RPC error: {msg['error']}")
            return line


def run_once(cmd: list[str], env: dict[str, str], timeout: float = 60.0,
             cwd: str | None = None) -> Run:
    deadline = time.monotonic() + timeout
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        bufsize=0,
    )
    try:
        reader = Reader(proc.stdout.fileno())
        proc.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
        proc.stdin.flush()
        _await_answer(reader, 1, deadline)
        t_init = reader.arrived
        proc.stdin.write(
            json.dumps(INITIALIZED).encode() + b"\n" + json.dumps(TOOLS_LIST).encode() + b"\n"
        )
        proc.stdin.flush()
        payload = _await_answer(reader, 2, deadline)
        t_list = reader.arrived
        rss = peak_rss_kib(proc.pid)
        result = json.loads(payload)["result"]
        if result.get("nextCursor"):
            raise RuntimeError("tools/list is paginated; the benchmark expects one page")
        return Run(
            initialize_ms=(t_init - t0) * 1000.0,
            tools_list_ms=(t_list - t0) * 1000.0,
            peak_rss_kib=rss,
            payload=payload,
        )
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, grace: float = 3.0) -> None:
    """Closes stdin, then SIGTERM, then SIGKILL, each bounded."""
    try:
        if proc.stdin:
            proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=0.5)
        return
    except subprocess.TimeoutExpired:
        pass
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace)
