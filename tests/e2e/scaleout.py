"""Scale-out, proven: three twilio-mcp instances behind a real nginx, under a
steady mixed load, while one instance is killed (SIGKILL) and restarted, then
all three are restarted one by one (SIGTERM, the graceful path).

    load (threads, keep-alive) -> nginx (deploy/nginx.conf's upstream pattern)
        -> twilio-mcp x3 -> Prism (api_v2010, request validation on)

Phases, in order (seconds from the command line or the presets below):

    warmup     not counted in the targets
    steady     three instances
    sigkill    one instance SIGKILLed at the start; two serve the rest
    restarted  the killed instance is back
    rolling    SIGTERM each instance in turn, wait for it to exit, start it
               again, wait for /readyz, let nginx take it back
    after      three instances again

Per phase (the one each answer came in): requests, client-visible errors
(anything but an HTTP 200 with a JSON-RPC result that is not a tool error)
by kind, p50/p99 latency of the successful requests. Tool errors saying the
server's own request to Prism failed count as `upstream: …`, reported but
left out of the targets: Prism (Node) closes idle keep-alive connections
after 5 s, which now and then races with the server reusing one, whatever
the load balancer does. The targets (`check_targets`): no error in steady,
restarted, rolling and after; at the SIGKILL, no more errors than requests
the load had in flight at that moment, all within a second of the kill.

Loopback only; every loop is bounded by the phase clock and a hard
deadline; every process started here (nginx, Prism, servers) is stopped at
the end, whatever happens.

    target/e2e/venv/bin/python tests/e2e/scaleout.py [--quick] [--bin PATH] [--json OUT]

`bench/scaleout.sh` runs the full preset on the release binary;
`tests/e2e/test_scaleout.py` runs the quick one in the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import CREDENTIAL_ENV, MESSAGE_SID, Prism, free_port, port_open, spawn, stop, wait_until  # noqa: E402

PHASES = ("warmup", "steady", "sigkill", "restarted", "rolling", "after")
# Seconds per timed phase (rolling takes as long as it takes, bounded).
FULL = {"warmup": 3, "steady": 20, "sigkill": 10, "restarted": 10, "after": 10}
QUICK = {"warmup": 2, "steady": 5, "sigkill": 4, "restarted": 4, "after": 3}
# nginx forgets a failed instance after this long (max_fails=1).
FAIL_TIMEOUT = 2
HARD_DEADLINE = 300  # seconds, for the whole run

HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise RuntimeError("nginx is not installed: apt-get install nginx (.ci/run does)")
    return found


NGINX_CONF = """\
# Written by tests/e2e/scaleout.py: deploy/nginx.conf's upstream pattern on
# plain HTTP, loopback only.
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/tmp/body;
    proxy_temp_path {work}/tmp/proxy;
    fastcgi_temp_path {work}/tmp/fastcgi;
    uwsgi_temp_path {work}/tmp/uwsgi;
    scgi_temp_path {work}/tmp/scgi;

    upstream twilio_mcp {{
{servers}
        keepalive 32;
        # Shorter than the servers' drain delay: an idle connection to a
        # draining instance is closed by nginx itself before the instance
        # closes it (the one race a proxy cannot retry a POST through).
        keepalive_timeout {keepalive_ms}ms;
    }}

    server {{
        listen 127.0.0.1:{port};
        location = /mcp {{
            proxy_pass http://twilio_mcp;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            # Another instance when this one refuses the connection or is
            # gone before the request was sent. POSTs that were sent are
            # never retried (no non_idempotent): a tool call may have
            # reached Twilio.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 2s;
            proxy_read_timeout 75s;
            client_max_body_size 1m;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, work: Path, upstream_ports: list[int], drain_delay: int):
        self.work = work
        self.port = free_port()
        (work / "tmp").mkdir(parents=True, exist_ok=True)
        os.chmod(work / "tmp", 0o777)
        servers = "\n".join(
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout={FAIL_TIMEOUT}s;" for p in upstream_ports
        )
        conf = work / "nginx.conf"
        keepalive_ms = max(100, drain_delay * 1000 // 2)
        conf.write_text(NGINX_CONF.format(work=work, servers=servers, port=self.port, keepalive_ms=keepalive_ms))
        binary = nginx_binary()
        check = subprocess.run([binary, "-t", "-q", "-p", str(work), "-e", str(work / "error.log"), "-c", str(conf)],
                               capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
        self.log = (work / "nginx.stderr").open("wb")
        self.proc = spawn(
            [binary, "-p", str(work), "-e", str(work / "error.log"), "-c", str(conf), "-g", "daemon off;"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: self.proc.poll() is None and port_open(self.port), 15, "nginx", work / "error.log")

    def stop(self) -> None:
        stop(self.proc)
        self.log.close()


class Instance:
    """One `twilio-mcp serve` on a fixed port (kept across restarts)."""

    def __init__(self, name: str, binary: Path, work: Path, env: dict[str, str], drain_delay: int):
        self.name = name
        self.binary = binary
        self.work = work
        self.env = env
        self.drain_delay = drain_delay
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.work / f"{self.name}.log").open("ab")
        args = [
            str(self.binary), "serve", "--bind", f"127.0.0.1:{self.port}",
            "--drain-delay", str(self.drain_delay),
        ]
        self.proc = spawn(args, env=harness.clean_env(self.env), cwd=self.work, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_until(self.ready, 30, f"{self.name} /readyz", self.work / f"{self.name}.log")

    def ready(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.proc.returncode if self.proc else '-'})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            conn.request("GET", "/readyz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def peak_rss_mib(self) -> float | None:
        """VmHWM of the running process, in MiB (Linux)."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except (OSError, AttributeError, ValueError):
            pass
        return None

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> float:
        """SIGTERM and wait for the exit; returns the seconds it took."""
        assert self.proc is not None
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(self.drain_delay + 30)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


@dataclass
class Sample:
    phase: str
    kind: str  # "ok" or the error kind
    latency: float  # seconds
    at: float  # seconds since the load started


@dataclass
class Load:
    """Closed-loop workers with keep-alive connections, each paced to a
    fixed rate; alternating tools/list and a tools/call that reaches Prism."""

    port: int
    workers: int
    rate: float  # requests per second, all workers together
    phase: str = "warmup"
    samples: list[Sample] = field(default_factory=list)
    in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.workers)]
        self.t0 = time.monotonic()

    def start(self) -> None:
        self.t0 = time.monotonic()
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)

    def in_flight_now(self) -> int:
        with self._lock:
            return self.in_flight

    def _body(self, n: int) -> bytes:
        if n % 2 == 0:
            msg = {"jsonrpc": "2.0", "id": n, "method": "tools/list", "params": {}}
        else:
            msg = {
                "jsonrpc": "2.0",
                "id": n,
                "method": "tools/call",
                "params": {"name": "ApiV2010_FetchMessage", "arguments": {"Sid": MESSAGE_SID}},
            }
        return json.dumps(msg).encode()

    def _run(self, index: int) -> None:
        period = self.workers / self.rate
        next_at = time.monotonic() + period * index / self.workers
        conn = None
        n = index
        deadline = self.t0 + HARD_DEADLINE
        while not self._stop.is_set() and time.monotonic() < deadline:
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
                if self._stop.is_set():
                    break
            next_at = max(next_at + period, time.monotonic() - period)
            n += self.workers
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            with self._lock:
                self.in_flight += 1
            started = time.monotonic()
            try:
                conn.request("POST", "/mcp", body=self._body(n), headers=HEADERS)
                resp = conn.getresponse()
                payload = resp.read()
                kind = classify(resp.status, payload)
                if resp.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                kind = f"connection: {type(e).__name__}"
                conn.close()
                conn = None
            latency = time.monotonic() - started
            # The phase the answer came in: a request in flight at the kill
            # counts there, whenever it started.
            phase = self.phase
            with self._lock:
                self.in_flight -= 1
                self.samples.append(Sample(phase, kind, latency, started - self.t0))
        if conn is not None:
            conn.close()


def classify(status: int, payload: bytes) -> str:
    if status != 200:
        return f"http {status}"
    try:
        body = json.loads(payload)
    except ValueError:
        return "not JSON"
    if "error" in body:
        return f"jsonrpc {body['error'].get('code')}"
    result = body.get("result")
    if not isinstance(result, dict):
        return "no result"
    if result.get("isError"):
        text = " ".join(c.get("text", "") for c in result.get("content", []) if isinstance(c, dict))
        if text.startswith(UPSTREAM_FAILURES):
            # The server's request to Prism failed (Node closes idle
            # keep-alive connections after 5 s, which can race with the
            # server reusing one): not something the scale-out changes.
            return "upstream: " + text.split(":")[0]
        return "tool error"
    return "ok"


# How the server words a request to Twilio (here Prism) that got no answer.
UPSTREAM_FAILURES = ("the request to Twilio failed", "could not connect to Twilio", "Twilio did not answer")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summarize(samples: list[Sample]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for phase in PHASES:
        mine = [s for s in samples if s.phase == phase]
        ok = [s.latency for s in mine if s.kind == "ok"]
        errors: dict[str, int] = {}
        for s in mine:
            if s.kind != "ok":
                errors[s.kind] = errors.get(s.kind, 0) + 1
        duration = (max(s.at for s in mine) - min(s.at for s in mine)) if mine else 0.0
        p50, p99 = percentile(ok, 50), percentile(ok, 99)
        out[phase] = {
            "requests": len(mine),
            "errors": sum(errors.values()),
            "error_kinds": errors,
            "seconds": round(duration, 1),
            "p50_ms": None if p50 is None else round(p50 * 1000, 2),
            "p99_ms": None if p99 is None else round(p99 * 1000, 2),
        }
    return out


def run(binary: Path, durations: dict[str, float], workers: int, rate: float, drain_delay: int,
        work: Path, log=print, prism_port: int | None = None) -> dict:
    """Runs every phase; returns the summary and the events (kill and restart
    times). Starts its own Prism unless given one's port."""
    started: list = []
    events: dict = {"rolling_stop_seconds": []}
    try:
        if prism_port is None:
            spec_dir = work / "spec"
            spec_dir.mkdir(parents=True, exist_ok=True)
            prism = Prism(harness.patched_api_spec(spec_dir), work / "prism.log")
            started.append(prism)
            prism.wait_ready()
            prism_port = prism.port
        env = CREDENTIAL_ENV | {"TWILIO_API_BASE_URL": f"http://127.0.0.1:{prism_port}", "RUST_LOG": os.environ.get("SCALEOUT_RUST_LOG", "warn")}
        instances = [Instance(f"instance-{i}", binary, work, env, drain_delay) for i in range(3)]
        for inst in instances:
            started.append(inst)
            inst.start()
        nginx = Nginx(work / "nginx", [i.port for i in instances], drain_delay)
        started.append(nginx)
        load = Load(nginx.port, workers, rate)
        started.append(load)
        log(f"load: {workers} workers, {rate:g} req/s, half tools/list (Messaging), half tools/call (Prism)")
        load.start()

        def phase(name: str, seconds: float | None = None) -> None:
            load.phase = name
            log(f"phase {name}" + (f" ({seconds:g} s)" if seconds else ""))
            if seconds:
                time.sleep(seconds)

        phase("warmup", durations["warmup"])
        phase("steady", durations["steady"])
        load.phase = "sigkill"
        events["in_flight_at_kill"] = load.in_flight_now()
        events["kill_at"] = time.monotonic() - load.t0
        instances[0].kill()
        log(f"phase sigkill ({durations['sigkill']:g} s): SIGKILLed {instances[0].name} "
            f"with {events['in_flight_at_kill']} requests in flight overall")
        time.sleep(durations["sigkill"])
        instances[0].start()
        time.sleep(FAIL_TIMEOUT + 0.5)  # nginx tries it again after fail_timeout
        phase("restarted", durations["restarted"])
        phase("rolling")
        rss: list[float] = []
        for inst in instances:
            rss.append(inst.peak_rss_mib() or 0.0)
            took = inst.terminate()
            events["rolling_stop_seconds"].append(round(took, 2))
            inst.start()
            time.sleep(FAIL_TIMEOUT + 0.5)
        phase("after", durations["after"])
        load.stop()
        rss.extend(inst.peak_rss_mib() or 0.0 for inst in instances)
        events["peak_rss_mib"] = max(rss)
        started.remove(load)
        summary = summarize(load.samples)
        kill_window = [s for s in load.samples if s.kind not in ("ok",) and not s.kind.startswith("upstream")
                       and s.phase == "sigkill"]
        events["sigkill_errors_within_1s"] = sum(
            1 for s in kill_window if s.at + s.latency - events["kill_at"] <= 1.0
        )
        return {"phases": summary, "events": events, "workers": workers, "rate": rate, "drain_delay": drain_delay}
    finally:
        for thing in reversed(started):
            try:
                thing.stop()
            except Exception as e:  # keep stopping the others
                log(f"stopping {thing!r} failed: {e}")


def check_targets(result: dict) -> list[str]:
    """What misses the issue's targets (empty: all met)."""
    problems = []
    phases = result["phases"]
    for name in ("steady", "restarted", "rolling", "after"):
        if phases[name]["requests"] == 0:
            problems.append(f"{name}: no request completed")
        ours = {k: v for k, v in phases[name]["error_kinds"].items() if not k.startswith("upstream")}
        if ours:
            problems.append(f"{name}: {sum(ours.values())} client-visible errors {ours}")
    kill = phases["sigkill"]
    events = result["events"]
    kill_errors = sum(v for k, v in kill["error_kinds"].items() if not k.startswith("upstream"))
    if kill_errors > events["in_flight_at_kill"]:
        problems.append(
            f"sigkill: {kill_errors} errors, more than the {events['in_flight_at_kill']} requests in flight at the kill"
        )
    if kill_errors > events["sigkill_errors_within_1s"]:
        problems.append(f"sigkill: errors later than 1 s after the kill ({kill['error_kinds']})")
    return problems


def markdown(result: dict) -> str:
    rows = ["| phase | requests | client-visible errors | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for name in PHASES:
        p = result["phases"][name]
        kinds = ", ".join(f"{k}: {v}" for k, v in p["error_kinds"].items())
        rows.append(f"| {name} | {p['requests']} | {p['errors']}{f' ({kinds})' if kinds else ''} | "
                    f"{p['p50_ms']} | {p['p99_ms']} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short phases (the test suite's variant)")
    parser.add_argument("--bin", type=Path, default=harness.BIN, help="server binary")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second in all")
    parser.add_argument("--drain-delay", type=int, default=2, help="--drain-delay of the servers")
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument("--keep", type=Path, help="work directory to keep (logs); default: a temporary one")
    args = parser.parse_args()
    durations = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="scaleout-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result = run(args.bin.resolve(), durations, args.workers, args.rate, args.drain_delay, work)
    result["binary"] = str(args.bin)
    print(markdown(result))
    print(json.dumps(result["events"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    problems = check_targets(result)
    for p in problems:
        print(f"target missed: {p}")
    print("all targets met" if not problems else f"{len(problems)} targets missed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
