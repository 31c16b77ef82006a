"""X-Twilio-Signature, cross-checked against Twilio's official Python validator.

Self-contained: no conftest fixtures. It starts its own `twilio-mcp serve`
processes on free loopback ports (fake Twilio credentials, never a real
account) and stops them at the end of the module.

Two layers, both over generated cases (seeded, reproducible) plus hand-picked
edge cases:

(a) `twilio-mcp sign --url U --param k=v ...` must print exactly
    `RequestValidator(token).compute_signature(U, params)` (twilio-python).
(b) Real HTTP requests to `/mcp` of a server started with
    `--public-url https://mcp.example.com`: for every request the test asks the
    official validator whether it would accept it (over the URL the server
    signs, `https://mcp.example.com/mcp?...`), and the server must agree:
    200 when the validator accepts, 403 when it rejects, 401 without a header.

Environment knobs:
  TWILIO_MCP_BIN            binary to test (default: target/debug/twilio-mcp,
                            built with `cargo build` when missing)
  SIGNATURE_TEST_SEED       seed of the case generator (default 20261125)
  SIGNATURE_TEST_CASES      number of generated cases per layer (default 200)

Known, intentional differences from twilio-python (asserted in their own
tests, excluded from the generated cross-check):
  * `bodySHA256=` with an empty value (or `bodySHA256` without `=`):
    Python's `parse_qs` drops blank values and then checks the URL alone;
    the server (like twilio-node, whose `searchParams.has()` sees it) treats
    the parameter as present and fails closed (403).
  * A URL ending in a bare `?`: Python's `urlparse().geturl()` drops the `?`
    before signing, twilio-node and the server keep it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, urlencode, urlsplit

import pytest
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("SIGNATURE_TEST_SEED", "20261125"))
N_CASES = int(os.environ.get("SIGNATURE_TEST_CASES", "200"))

PUBLIC = "https://mcp.example.com"
ACCEPT = "application/json, text/event-stream"
# Twilio auth tokens are 32 lower-case hex characters.
TOKEN = "8f2c4e6a1b3d5f7092a4c6e8b0d2f4a6"
SECONDARY = "0e1d2c3b4a5968778695a4b3c2d1e0f9"
WRONG = "ffffffffffffffffffffffffffffffff"
FAKE_ENV = {
    "ACCOUNT_SID": "AC" + "0" * 32,
    "API_KEY": "SK" + "0" * 32,
    "API_SECRET": "fake-api-secret-for-tests",
    # Tool calls are never made here; if one were, it must not leave the machine.
    "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
    "NO_COLOR": "1",
    # Stop at once on SIGTERM: no load balancer to drain from here.
    "TWILIO_MCP_DRAIN_DELAY": "0",
}
# Variables the server reads; cleared so the developer's shell cannot leak in.
CLEARED_PREFIXES = ("TWILIO_",)
CLEARED_NAMES = {"ACCOUNT_SID", "API_KEY", "API_SECRET", "AUTH_TOKEN"}
SERVICES = ["Messaging", "Voice", "PhoneNumbers", "verify_v2"]


# --------------------------------------------------------------------------
# helpers


class MultiDict(dict):
    """name -> [values]; twilio-python reads repeated names with getlist()."""

    @classmethod
    def of(cls, pairs):
        out = cls()
        for name, value in pairs:
            out.setdefault(name, []).append(value)
        return out

    def getlist(self, name):
        return self[name]


def binary() -> Path:
    env_bin = os.environ.get("TWILIO_MCP_BIN")
    if env_bin:
        return Path(env_bin)
    path = ROOT / "target" / "debug" / "twilio-mcp"
    if not path.exists():
        subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    return path


def clean_env(**extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(CLEARED_PREFIXES) and k not in CLEARED_NAMES
    }
    env.update(FAKE_ENV)
    env.update(extra)
    return env


def hexdigest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def reference_signature(token: str, url: str, pairs) -> str:
    """Twilio's algorithm written out independently (sanity check of the oracle)."""
    s = url
    by_name = {}
    for name, value in pairs:
        by_name.setdefault(name, set()).add(value)
    for name in sorted(by_name):
        for value in sorted(by_name[name]):
            s += name + value
    mac = hmac.new(token.encode(), s.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


_SCRATCH: list[Path] = []


def scratch_dir() -> Path:
    """An empty working directory, so no project `.env` is read by the binary."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="twilio-mcp-sign-")))
    return _SCRATCH[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `twilio-mcp serve` subprocess on a free loopback port."""

    def __init__(self, workdir: Path, name: str, args=(), env=None):
        self.name = name
        self.workdir = workdir
        self.args = list(args)
        self.env = env or {}
        self.proc = None
        self.port = None
        self.sent_signatures: set[str] = set()

    def start(self):
        for attempt in range(3):
            self.port = free_port()
            self.stdout = open(self.workdir / f"{self.name}.stdout", "wb")
            self.stderr = open(self.workdir / f"{self.name}.stderr", "wb")
            self.proc = subprocess.Popen(
                [str(binary()), "serve", "--bind", f"127.0.0.1:{self.port}", *self.args],
                cwd=self.workdir,  # no project .env is picked up from here
                env=clean_env(**self.env),
                stdin=subprocess.DEVNULL,
                stdout=self.stdout,
                stderr=self.stderr,
            )
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        return self
                except OSError:
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError(f"server {self.name} did not start:\n{self.log()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for f in (getattr(self, "stdout", None), getattr(self, "stderr", None)):
            if f and not f.closed:
                f.close()

    def log(self) -> str:
        text = ""
        for suffix in ("stdout", "stderr"):
            p = self.workdir / f"{self.name}.{suffix}"
            if p.exists():
                text += p.read_text(errors="replace")
        return text

    def post(self, path_query: str, body: bytes, signature=None, host=None,
             content_type="application/json"):
        headers = {"Content-Type": content_type, "Accept": ACCEPT}
        if host is not None:
            headers["Host"] = host
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
            self.sent_signatures.add(signature)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", path_query, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()


def tools_list(request_id=1, spacing="", extra="") -> bytes:
    sep = "," + spacing
    colon = ":" + spacing
    text = (
        "{" + spacing + f'"jsonrpc"{colon}"2.0"{sep}"id"{colon}{json.dumps(request_id, ensure_ascii=False)}'
        f'{sep}"method"{colon}"tools/list"{extra}' + spacing + "}"
    )
    return text.encode("utf-8")


def validator_accepts(tokens, server_url, query_has_body_hash, body: bytes, sig) -> bool:
    """What twilio-python says about a JSON POST the server sees at server_url."""
    params = body.decode("utf-8") if query_has_body_hash else {}
    return any(RequestValidator(t).validate(server_url, params, sig) for t in tokens)


def assert_short_json_error(status, headers, body, expected_status, secrets=()):
    assert status == expected_status, body
    assert len(body) < 200, body
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    assert ctype.startswith("application/json"), ctype
    doc = json.loads(body)
    assert set(doc) == {"error"} and isinstance(doc["error"], str) and doc["error"], doc
    for secret in secrets:
        assert secret not in body.decode("utf-8", "replace")
    return doc["error"]


def assert_tools_result(status, body, request_id=None):
    assert status == 200, body[:300]
    doc = json.loads(body)
    assert "result" in doc, doc
    assert doc["result"]["tools"], doc
    if request_id is not None:
        assert doc["id"] == request_id


# --------------------------------------------------------------------------
# case generators

NAME_POOL = [
    "To", "to", "TO", "From", "Body", "MediaUrl", "StatusCallback", "a", "A", "_", "~x",
    "Body[0]", "名前", "é", "e\u0301", "😀", "key with space", "plus+key", "per%cent",
    "DateSent<", "DateSent>", "amp&", "", "x" * 40,
]
VALUE_ALPHABET = (
    list("abcXYZ0129") + [" ", "+", "=", "&", "%", "%2B", "%20", "?", "#", "/", ":", ";", ",",
                          "'", '"', "\\", "\t", "\n", "é", "e\u0301", "ß", "名", "😀",
                          "\u202e", "\u00a0", "-", "--", "<", ">"]
)
TOKENS_FOR_CLI = [
    TOKEN, SECONDARY, "12345", "tökén✓", "k" * 100,  # > 64 bytes: HMAC hashes the key
]


def random_value(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.12:
        return ""
    if r < 0.2:
        return "+1415" + "".join(rng.choice("0123456789") for _ in range(7))
    return "".join(rng.choice(VALUE_ALPHABET) for _ in range(rng.randint(1, 12)))


def random_url(rng: random.Random, unicode_ok=True) -> str:
    scheme = rng.choice(["https", "https", "http"])
    host = rng.choice(["mcp.example.com", "example.org", "localhost", "127.0.0.1",
                       "fn-1234-dev.twil.io"])
    default = "443" if scheme == "https" else "80"
    other = "80" if scheme == "https" else "443"
    port = rng.choice(["", "", f":{default}", f":{other}", f":{rng.randint(1024, 65535)}"])
    path = rng.choice(["/", "/mcp", "/mcp/", "/a/b.php", "/mcp;v=1", "/~user/x%20y",
                       "/sp ace", "/é/名" if unicode_ok else "/e", "/p+q"])
    url = f"{scheme}://{host}{port}{path}"
    if rng.random() < 0.7:
        keys = ["services", "services", "x", "foo", "bar", "plus", "u", "mode", "e"]
        parts = []
        for _ in range(rng.randint(1, 5)):
            k = rng.choice(keys)
            v = rng.choice(["Messaging", "Voice", "", "1", "a+b", "a%2Bb", "a%20b",
                            "%C3%A9", "%c3%a9", "é" if unicode_ok else "e", "x=y", "-"])
            parts.append(k if rng.random() < 0.05 else f"{k}={v}")
        url += "?" + "&".join(parts)
    return url


def cli_cases():
    rng = random.Random(SEED)
    cases = []
    # Twilio's documented example (security docs).
    cases.append(pytest.param(
        "12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
        [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675310"), ("Digits", "1234"),
         ("From", "+14158675310"), ("To", "+18005551212")],
        id="twilio-docs-vector"))
    hand = [
        ("no-params", PUBLIC + "/mcp", []),
        ("repeated-key-sorted-dedup", PUBLIC + "/mcp",
         [("MediaUrl", "b"), ("MediaUrl", "a"), ("MediaUrl", "b"), ("To", "+1")]),
        ("empty-value", PUBLIC + "/mcp", [("Body", ""), ("To", "x")]),
        ("empty-and-nonempty-same-key", PUBLIC + "/mcp", [("k", ""), ("k", "v")]),
        ("empty-name", PUBLIC + "/mcp", [("", "v"), ("a", "")]),
        ("unicode", PUBLIC + "/mcp?x=é", [("名前", "値😀"), ("é", "e\u0301")]),
        ("case-sorted-by-code-point", PUBLIC, [("b", "1"), ("B", "2"), ("a", "3"), ("_", "4")]),
        ("space-and-plus", PUBLIC + "/mcp?q=a+b&r=a%20b", [("Body", "a b+c"), ("x", "+")]),
        ("value-with-equals", PUBLIC + "/mcp", [("Body", "a=b=c"), ("e", "=")]),
        ("leading-hyphen-value", PUBLIC + "/mcp", [("Body", "-x"), ("n", "--help")]),
        ("port-443", "https://mcp.example.com:443/mcp", [("a", "1")]),
        ("port-80-on-http", "http://mcp.example.com:80/mcp", [("a", "1")]),
        ("non-default-port", "https://mcp.example.com:8443/mcp", [("a", "1")]),
        ("trailing-slash", PUBLIC + "/mcp/", []),
        ("query-order-kept", PUBLIC + "/mcp?services=Voice&services=Messaging", []),
        ("repeated-query-keys", PUBLIC + "/mcp?services=Messaging&services=Voice&services=Messaging", []),
        ("json-body-hash-url", PUBLIC + "/mcp?bodySHA256=" + hexdigest(tools_list()), []),
    ]
    for name, url, pairs in hand:
        cases.append(pytest.param(TOKEN, url, pairs, id=name))
    for token in TOKENS_FOR_CLI:
        cases.append(pytest.param(token, PUBLIC + "/mcp", [("To", "+18005551212")],
                                  id=f"token-{len(token)}-{token[:3]}"))
    for i in range(N_CASES):
        token = rng.choice(TOKENS_FOR_CLI)
        url = random_url(rng)
        pairs = [(rng.choice(NAME_POOL), random_value(rng)) for _ in range(rng.randint(0, 7))]
        if pairs and rng.random() < 0.3:  # force a repeated name
            pairs.append((pairs[0][0], random_value(rng)))
        if pairs and rng.random() < 0.15:  # exact duplicate pair
            pairs.append(pairs[-1])
        rng.shuffle(pairs)
        cases.append(pytest.param(token, url, pairs, id=f"gen-{i:03d}"))
    return cases


# --------------------------------------------------------------------------
# (a) `twilio-mcp sign` equals RequestValidator.compute_signature


def run_sign(token, url, pairs, *extra):
    # `--param=NAME=VALUE` (one argv word) also carries values starting with `-`.
    argv = [str(binary()), "sign", "--url", url, *[f"--param={k}={v}" for k, v in pairs], *extra]
    out = subprocess.run(argv, cwd=scratch_dir(), env=clean_env(TWILIO_AUTH_TOKEN=token),
                         capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    assert token not in out.stderr.decode(errors="replace")
    return out.stdout.decode("utf-8")


@pytest.mark.parametrize("token,url,pairs", cli_cases())
def test_sign_cli_matches_official_compute_signature(token, url, pairs):
    official = RequestValidator(token).compute_signature(url, MultiDict.of(pairs))
    assert official == reference_signature(token, url, pairs)
    printed = run_sign(token, url, pairs)
    assert printed == official + "\n", f"seed={SEED} url={url!r} pairs={pairs!r}"
    # Whatever the official validator concludes about its own signature (it
    # may normalise exotic URLs), a signature over the same string verifies.
    if not url.endswith("?"):
        assert RequestValidator(token).validate(url, MultiDict.of(pairs), printed.strip())


def test_sign_cli_client_config():
    url = PUBLIC + "/mcp?services=Messaging&services=Voice"
    doc = json.loads(run_sign(TOKEN, url, [], "--client-config"))
    server = doc["mcpServers"]["twilio"]
    assert server["url"] == url
    assert server["headers"]["X-Twilio-Signature"] == RequestValidator(TOKEN).compute_signature(url, {})


def test_sign_cli_space_separated_param_form():
    """The documented `--param k=v` spelling (two argv words)."""
    url = PUBLIC + "/mcp"
    argv = [str(binary()), "sign", "--url", url, "--param", "To=+1 415", "--param", "To=a"]
    out = subprocess.run(argv, env=clean_env(TWILIO_AUTH_TOKEN=TOKEN), capture_output=True,
                         timeout=30, cwd=scratch_dir())
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().strip() == RequestValidator(TOKEN).compute_signature(
        url, MultiDict.of([("To", "+1 415"), ("To", "a")]))


def test_sign_cli_without_token_fails_cleanly():
    out = subprocess.run([str(binary()), "sign", "--url", PUBLIC + "/mcp"], env=clean_env(),
                         capture_output=True, timeout=30,
                         cwd=scratch_dir())
    assert out.returncode != 0
    assert b"TWILIO_AUTH_TOKEN" in out.stderr


# --------------------------------------------------------------------------
# (b) real requests to /mcp


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("signature-servers")
    started = {}
    try:
        # Main server: public URL by flag, primary + secondary token.
        started["main"] = Server(workdir, "main", ["--public-url", PUBLIC], {
            "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_AUTH_TOKEN_SECONDARY": SECONDARY,
        }).start()
        # Strict server: public URL by environment variable, primary token only.
        started["strict"] = Server(workdir, "strict", ["--require-body-hash"], {
            "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_MCP_PUBLIC_URL": PUBLIC,
        }).start()
        # No public URL: the URL is rebuilt as http://<Host header><path>.
        started["hostbased"] = Server(workdir, "hostbased", [], {
            "TWILIO_AUTH_TOKEN": TOKEN,
        }).start()
        yield started
    finally:
        for server in started.values():
            server.stop()


def random_query(rng: random.Random) -> str:
    """An ASCII request-target query the server accepts (valid services/mode)."""
    parts = []
    for _ in range(rng.randint(0, 5)):
        kind = rng.random()
        if kind < 0.45:
            parts.append("services=" + rng.choice(SERVICES))
        elif kind < 0.5:
            parts.append("mode=" + rng.choice(["tools", "discover"]))
        else:
            key = rng.choice(["x", "foo", "utm_source", "a", "Z", "bodysha256", "e"])
            raw = random_value(rng)
            enc = rng.choice([quote_plus, quote, lambda s: quote(s).lower()])
            value = enc(raw)
            parts.append(key if (kind > 0.97) else f"{key}={value}")
    return "&".join(parts)


def http_cases():
    """(id, path_query, signed_url, token, body, sent_body, host) for the main server."""
    rng = random.Random(SEED + 1)
    cases = []
    for i in range(N_CASES):
        query = random_query(rng)
        body = tools_list(request_id=rng.choice([1, 7, "é-1", "r😀", 2**31]),
                          spacing=rng.choice(["", " ", "\n  "]))
        sent_body = body
        with_hash = rng.random() < 0.4
        if with_hash:
            digest = hexdigest(body)
            mutation = rng.random()
            if mutation < 0.1:
                digest = digest.upper()
            elif mutation < 0.2:
                sent_body = tools_list(request_id=999)  # tampered body
            elif mutation < 0.25:
                digest = hexdigest(body + b" ")
            hash_param = f"bodySHA256={digest}"
            pos = rng.randint(0, query.count("&") + 1 if query else 0)
            parts = query.split("&") if query else []
            parts.insert(pos, hash_param)
            query = "&".join(parts)
        path_query = "/mcp" + ("?" + query if query else "")
        # What the client signs: usually the right URL, sometimes a variant.
        v = rng.random()
        if v < 0.45:
            signed = PUBLIC + path_query
        elif v < 0.7:
            signed = "https://mcp.example.com:443" + path_query
        elif v < 0.75:
            signed = "https://mcp.example.com:80" + path_query
        elif v < 0.8:
            signed = "http://mcp.example.com" + path_query
        elif v < 0.85:
            signed = PUBLIC + "/mcp/" + path_query[4:]
        elif v < 0.9 and "&" in query:
            parts = query.split("&")
            rng.shuffle(parts)
            signed = PUBLIC + "/mcp?" + "&".join(parts)
        elif v < 0.95:
            signed = "https://MCP.example.com" + path_query
        else:
            signed = "https://mcp.example.com:8443" + path_query
        token = rng.choice([TOKEN, TOKEN, SECONDARY, WRONG])
        host = rng.choice([None, "mcp.example.com", "mcp.example.com:443", "localhost"])
        cases.append(pytest.param(path_query, signed, token, body, sent_body, host,
                                  id=f"http-{i:03d}"))
    return cases


HTTP_CASES = http_cases()


@pytest.mark.parametrize("path_query,signed,token,body,sent_body,host", HTTP_CASES)
def test_server_agrees_with_official_validator(servers, path_query, signed, token, body,
                                               sent_body, host):
    server = servers["main"]
    has_hash = "bodySHA256" in parse_qs(urlsplit(path_query).query)
    # The hash (if any) in the URL was computed over `body`; the signature by
    # the client is over the URL only (JSON body), as Twilio does.
    sig = RequestValidator(token).compute_signature(signed, {})
    server_url = PUBLIC + path_query
    expected = validator_accepts([TOKEN, SECONDARY], server_url, has_hash, sent_body, sig)
    status, headers, resp = server.post(path_query, sent_body, sig, host=host)
    context = f"seed={SEED} signed={signed!r} sent={path_query!r} token={token[:4]}… host={host}"
    if expected:
        assert status == 200, f"{context}: validator accepts, server said {status} {resp!r}"
        assert_tools_result(status, resp)
    else:
        assert status == 403, f"{context}: validator rejects, server said {status} {resp!r}"
        assert_short_json_error(status, headers, resp, 403, secrets=[TOKEN, SECONDARY, sig])


def test_generated_http_cases_cover_both_outcomes():
    """Guard against a generator that only ever produces one verdict."""
    verdicts = {"accept": 0, "reject": 0, "hash-accept": 0, "hash-reject": 0}
    for case in HTTP_CASES:
        path_query, signed, token, body, sent_body, host = case.values
        has_hash = "bodySHA256" in parse_qs(urlsplit(path_query).query)
        sig = RequestValidator(token).compute_signature(signed, {})
        ok = validator_accepts([TOKEN, SECONDARY], PUBLIC + path_query, has_hash, sent_body, sig)
        key = ("hash-" if has_hash else "") + ("accept" if ok else "reject")
        verdicts[key] += 1
    if N_CASES >= 50:
        assert all(n > 0 for n in verdicts.values()), verdicts


# Hand-picked requests to the main server --------------------------------

QUERIES = [
    "",
    "?services=Messaging",
    "?services=Messaging&services=Voice",
    "?services=Voice&services=Messaging",
    "?services=Messaging&x=a+b&y=a%20b&z=%2B&e=&f",
    "?services=Messaging&u=%C3%A9%E5%90%8D",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("base", [PUBLIC, "https://mcp.example.com:443"])
@pytest.mark.parametrize("host", [None, "mcp.example.com"])
def test_public_url_signature_accepted(servers, query, base, host):
    server = servers["main"]
    sig = RequestValidator(TOKEN).compute_signature(base + "/mcp" + query, {})
    assert RequestValidator(TOKEN).validate(PUBLIC + "/mcp" + query, {}, sig)
    status, _, body = server.post("/mcp" + query, tools_list(5), sig, host=host)
    assert_tools_result(status, body, request_id=5)


def test_query_order_matters(servers):
    server = servers["main"]
    sig = RequestValidator(TOKEN).compute_signature(
        PUBLIC + "/mcp?services=Messaging&services=Voice", {})
    assert not RequestValidator(TOKEN).validate(
        PUBLIC + "/mcp?services=Voice&services=Messaging", {}, sig)
    status, headers, body = server.post("/mcp?services=Voice&services=Messaging", tools_list(), sig)
    assert_short_json_error(status, headers, body, 403, [TOKEN, sig])


def test_wrong_port_scheme_slash_rejected(servers):
    server = servers["main"]
    for signed in ["https://mcp.example.com:80/mcp", "http://mcp.example.com/mcp",
                   "https://mcp.example.com/mcp/", "https://mcp.example.com:8443/mcp",
                   "https://mcp.example.com/MCP", "https://mcp.example.com/mcp?"]:
        sig = RequestValidator(TOKEN).compute_signature(signed, {})
        if not signed.endswith("?"):  # see module docstring
            assert not RequestValidator(TOKEN).validate(PUBLIC + "/mcp", {}, sig), signed
        status, headers, body = server.post("/mcp", tools_list(), sig)
        assert_short_json_error(status, headers, body, 403, [TOKEN, sig])


def test_wrong_token_is_403(servers):
    server = servers["main"]
    sig = RequestValidator(WRONG).compute_signature(PUBLIC + "/mcp", {})
    assert not RequestValidator(TOKEN).validate(PUBLIC + "/mcp", {}, sig)
    status, headers, body = server.post("/mcp", tools_list(), sig)
    error = assert_short_json_error(status, headers, body, 403, [TOKEN, SECONDARY, sig])
    assert error == "invalid X-Twilio-Signature"


@pytest.mark.parametrize("sig", ["not base64!", "AAAA", "GvWf1cFY/Q7PnoempGyD5oXAezc",
                                 " " + "GvWf1cFY/Q7PnoempGyD5oXAezc="])
def test_malformed_signature_is_403(servers, sig):
    status, headers, body = servers["main"].post("/mcp", tools_list(), sig)
    assert_short_json_error(status, headers, body, 403, [TOKEN])


def test_missing_or_empty_header_is_401(servers):
    for server in servers.values():
        for sig in (None, ""):
            status, headers, body = server.post("/mcp?services=Messaging", tools_list(), sig)
            error = assert_short_json_error(status, headers, body, 401, [TOKEN, SECONDARY])
            assert error == "missing X-Twilio-Signature header"


def test_secondary_token_accepted(servers):
    server = servers["main"]
    url = PUBLIC + "/mcp?services=Voice"
    sig = RequestValidator(SECONDARY).compute_signature(url, {})
    assert not RequestValidator(TOKEN).validate(url, {}, sig)
    assert RequestValidator(SECONDARY).validate(url, {}, sig)
    status, _, body = server.post("/mcp?services=Voice", tools_list(3), sig)
    assert_tools_result(status, body, 3)
    # The strict/host-based servers were given no secondary token.
    status, headers, body = servers["hostbased"].post(
        "/mcp", tools_list(), RequestValidator(SECONDARY).compute_signature(
            f"http://127.0.0.1:{servers['hostbased'].port}/mcp", {}))
    assert_short_json_error(status, headers, body, 403, [TOKEN, SECONDARY])


@pytest.mark.parametrize("spacing", ["", " ", "\n\t"])
def test_body_sha256_matching_body_accepted(servers, spacing):
    server = servers["main"]
    body = tools_list("ü-8", spacing=spacing)
    query = f"?services=Messaging&bodySHA256={hexdigest(body)}"
    sig = RequestValidator(TOKEN).compute_signature(PUBLIC + "/mcp" + query, {})
    assert RequestValidator(TOKEN).validate(PUBLIC + "/mcp" + query, body.decode(), sig)
    status, _, resp = server.post("/mcp" + query, body, sig)
    assert_tools_result(status, resp, "ü-8")


def test_body_sha256_mismatch_rejected(servers):
    server = servers["main"]
    body = tools_list(1)
    variants = {
        "tampered-body": (hexdigest(body), tools_list(2)),
        "reserialised-json": (hexdigest(body),
                              json.dumps(json.loads(body), indent=1).encode()),
        "upper-case-hex": (hexdigest(body).upper(), body),
        "hash-of-other-body": (hexdigest(b"{}"), body),
        "first-of-two-wrong": (hexdigest(b"x") + "&bodySHA256=" + hexdigest(body), body),
    }
    for name, (digest, sent) in variants.items():
        query = f"?bodySHA256={digest}"
        sig = RequestValidator(TOKEN).compute_signature(PUBLIC + "/mcp" + query, {})
        assert not RequestValidator(TOKEN).validate(PUBLIC + "/mcp" + query, sent.decode(), sig), name
        status, headers, resp = server.post("/mcp" + query, sent, sig)
        error = assert_short_json_error(status, headers, resp, 403, [TOKEN, sig])
        assert error == "request body does not match bodySHA256", name


def test_body_sha256_first_of_two_and_encoded_name(servers):
    """Repeated bodySHA256: the first value counts; a %-encoded name still counts."""
    server = servers["main"]
    body = tools_list(4)
    for query in [f"?bodySHA256={hexdigest(body)}&bodySHA256=00",
                  f"?body%53HA256={hexdigest(body)}"]:
        url = PUBLIC + "/mcp" + query
        sig = RequestValidator(TOKEN).compute_signature(url, {})
        assert RequestValidator(TOKEN).validate(url, body.decode(), sig)
        assert not RequestValidator(TOKEN).validate(url, tools_list(5).decode(), sig)
        assert_tools_result(*server.post("/mcp" + query, body, sig)[::2], 4)
        status, headers, resp = server.post("/mcp" + query, tools_list(5), sig)
        assert_short_json_error(status, headers, resp, 403, [TOKEN])


def test_empty_body_sha256_fails_closed(servers):
    """Intentional difference from twilio-python (see module docstring)."""
    server = servers["main"]
    for query in ["?bodySHA256=", "?bodySHA256"]:
        url = PUBLIC + "/mcp" + query
        sig = RequestValidator(TOKEN).compute_signature(url, {})
        # twilio-python's parse_qs drops the blank parameter, so for it this is
        # a URL-only request: it accepts with {} params (and, given the body
        # string, treats it as form parameters and fails with a TypeError).
        assert RequestValidator(TOKEN).validate(url, {}, sig)
        status, headers, resp = server.post("/mcp" + query, tools_list(), sig)
        assert_short_json_error(status, headers, resp, 403, [TOKEN])


def test_host_allow_list(servers):
    """The public URL's host is allowed; an unknown Host is refused even when signed."""
    server = servers["main"]
    sig = RequestValidator(TOKEN).compute_signature(PUBLIC + "/mcp", {})
    for host in [None, f"127.0.0.1:{server.port}", "localhost", "mcp.example.com",
                 "mcp.example.com:443"]:
        status, _, body = server.post("/mcp", tools_list(), sig, host=host)
        assert_tools_result(status, body)
    status, _, body = server.post("/mcp", tools_list(), sig, host="evil.example.net")
    assert status == 403, body  # rmcp's DNS-rebinding guard (plain-text body)


# Form bodies --------------------------------------------------------------


def form_cases():
    rng = random.Random(SEED + 2)
    cases = []
    for i in range(max(10, N_CASES // 4)):
        pairs = [(rng.choice(NAME_POOL), random_value(rng)) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.4:
            pairs.append((pairs[0][0], random_value(rng)))
        encoder = rng.choice([quote_plus, quote])
        body = urlencode(pairs, quote_via=encoder).encode("ascii")
        tamper = rng.random() < 0.3
        cases.append(pytest.param(pairs, body, tamper, id=f"form-{i:03d}"))
    return cases


@pytest.mark.parametrize("pairs,body,tamper", form_cases())
def test_form_params_are_signed(servers, pairs, body, tamper):
    """Form bodies: the decoded parameters are part of the signed string.

    rmcp answers a non-JSON body with 415 once the signature has passed, so
    'not 401/403' is what shows the signature was accepted.
    """
    server = servers["main"]
    url = PUBLIC + "/mcp?services=Messaging"
    signed_pairs = list(pairs)
    if tamper:
        signed_pairs[0] = (signed_pairs[0][0], signed_pairs[0][1] + "x")
    sig = RequestValidator(TOKEN).compute_signature(url, MultiDict.of(signed_pairs))
    expected = RequestValidator(TOKEN).validate(url, MultiDict.of(pairs), sig)
    status, headers, resp = server.post("/mcp?services=Messaging", body, sig,
                                        content_type="application/x-www-form-urlencoded")
    if expected:
        assert status not in (401, 403), (status, resp)
    else:
        assert_short_json_error(status, headers, resp, 403, [TOKEN, sig])


# Strict server --------------------------------------------------------------


def test_strict_mode_rejects_url_only_signature(servers):
    server = servers["strict"]
    for query in ["", "?services=Messaging", "?bodysha256=" + hexdigest(tools_list())]:
        url = PUBLIC + "/mcp" + query
        sig = RequestValidator(TOKEN).compute_signature(url, {})
        assert RequestValidator(TOKEN).validate(url, {}, sig)  # fine for Twilio, not here
        status, headers, body = server.post("/mcp" + query, tools_list(), sig)
        error = assert_short_json_error(status, headers, body, 403, [TOKEN, sig])
        assert error == "bodySHA256 query parameter is required"


def test_strict_mode_accepts_body_hash(servers):
    server = servers["strict"]
    body = tools_list(11)
    for base in [PUBLIC, "https://mcp.example.com:443"]:
        query = f"?services=Messaging&bodySHA256={hexdigest(body)}"
        sig = RequestValidator(TOKEN).compute_signature(base + "/mcp" + query, {})
        assert RequestValidator(TOKEN).validate(PUBLIC + "/mcp" + query, body.decode(), sig)
        status, _, resp = server.post("/mcp" + query, body, sig)
        assert_tools_result(status, resp, 11)
        status, headers, resp = server.post("/mcp" + query, tools_list(12), sig)
        assert_short_json_error(status, headers, resp, 403, [TOKEN, sig])
    # Not configured with the secondary token.
    query = f"?bodySHA256={hexdigest(body)}"
    sig = RequestValidator(SECONDARY).compute_signature(PUBLIC + "/mcp" + query, {})
    status, headers, resp = server.post("/mcp" + query, body, sig)
    assert_short_json_error(status, headers, resp, 403, [TOKEN, SECONDARY])


# Server without a public URL ------------------------------------------------


def test_host_based_url(servers):
    server = servers["hostbased"]
    port = server.port
    cases = [
        # (Host header sent, URL signed, validator's view of the request URL)
        (None, f"http://127.0.0.1:{port}/mcp", f"http://127.0.0.1:{port}/mcp"),
        (None, "http://127.0.0.1/mcp", f"http://127.0.0.1:{port}/mcp"),
        ("localhost", "http://localhost/mcp", "http://localhost/mcp"),
        ("localhost", "http://localhost:80/mcp", "http://localhost/mcp"),
        ("localhost", "http://localhost:443/mcp", "http://localhost/mcp"),
        (None, f"https://127.0.0.1:{port}/mcp", f"http://127.0.0.1:{port}/mcp"),
        (None, f"http://localhost:{port}/mcp", f"http://127.0.0.1:{port}/mcp"),
        (None, PUBLIC + "/mcp", f"http://127.0.0.1:{port}/mcp"),
    ]
    for host, signed, seen in cases:
        sig = RequestValidator(TOKEN).compute_signature(signed, {})
        expected = RequestValidator(TOKEN).validate(seen, {}, sig)
        status, headers, body = server.post("/mcp", tools_list(), sig, host=host)
        if expected:
            assert_tools_result(status, body)
        else:
            assert_short_json_error(status, headers, body, 403, [TOKEN, sig])


# Logs -------------------------------------------------------------------------


def test_server_logs_never_contain_secrets(servers):
    # Make sure each server has seen accepted and rejected requests.
    for name, server in servers.items():
        base = PUBLIC if name != "hostbased" else f"http://127.0.0.1:{server.port}"
        body = tools_list()
        query = f"?bodySHA256={hexdigest(body)}"
        good = RequestValidator(TOKEN).compute_signature(base + "/mcp" + query, {})
        bad = RequestValidator(WRONG).compute_signature(base + "/mcp" + query, {})
        assert server.post("/mcp" + query, body, good)[0] == 200
        assert server.post("/mcp" + query, body, bad)[0] == 403
        assert server.post("/mcp" + query, tools_list(9), good)[0] == 403
        assert server.post("/mcp", body, None)[0] == 401
    time.sleep(0.2)  # let the log lines reach the files
    for name, server in servers.items():
        log = server.log()
        assert log.strip(), f"{name}: empty log"
        for secret in (TOKEN, SECONDARY, FAKE_ENV["API_SECRET"]):
            assert secret not in log, f"{name} log contains a secret"
        leaked = [s for s in server.sent_signatures if s and len(s) > 8 and s in log]
        assert not leaked, f"{name} log contains X-Twilio-Signature values: {leaked[:3]}"
        assert "bodySHA256=" not in log, f"{name} log contains the query"
