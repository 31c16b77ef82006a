"""HTTP throughput and latency with wrk, on loopback only.

Each measurement is one `wrk` run (fixed duration, fixed connection count,
latency percentiles from wrk's histogram); repeated runs give min/median/max.
Servers are started and stopped here, each on a free 127.0.0.1 port.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUA = HERE / "request.lua"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Server:
    """A background server process, stopped on exit (SIGINT, then SIGKILL)."""

    def __init__(self, cmd: list[str], port: int, env: dict[str, str] | None = None,
                 log: Path | None = None, cwd: Path | None = None):
        self.port = port
        self.log = open(log, "wb") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, env=env, cwd=cwd)
        wait_listening(port, self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.log is not subprocess.DEVNULL:
            self.log.close()


def post_json(url: str, body: bytes, timeout: float = 10.0) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
    })
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, json.loads(resp.read())


def get(url: str, headers: dict[str, str], timeout: float = 10.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def wrk(url: str, connections: int, seconds: float, *, method: str = "POST",
        body_file: Path | None = None, headers: dict[str, str] | None = None) -> dict:
    """One wrk run; returns its JSON summary plus requests/s."""
    threads = 1 if connections < 16 else 2
    env = dict(os.environ)
    env["WRK_METHOD"] = method
    if body_file:
        env["WRK_BODY_FILE"] = str(body_file)
    env["WRK_HEADERS"] = "\n".join(f"{k}: {v}" for k, v in (headers or {}).items())
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
           "--timeout", "5s", "-s", str(LUA), url]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True,
                         timeout=seconds + 30, check=True).stdout
    line = next((l for l in out.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    r = json.loads(line[len("WRK_JSON "):])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = sum(r[k] for k in r if k.startswith("errors_"))
    return r
