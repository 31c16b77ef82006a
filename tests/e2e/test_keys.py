"""Static bearer keys: `twilio-mcp keys new`, the key file and
`TWILIO_MCP_API_KEYS`, both headers, restrictions, revocation, and how keys
combine with X-Twilio-Signature. Every refusal sends nothing upstream."""

from __future__ import annotations

import hashlib
import re
import subprocess
import time

import httpx
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from twilio.request_validator import RequestValidator

from harness import (
    BASIC_AUTH,
    BIN,
    CREDENTIAL_ENV,
    MESSAGING_TOOL_COUNT,
    RAW_HEADERS,
    clean_env,
    free_port,
    port_open,
    spawn,
    stop,
    text,
    wait_until,
)

pytestmark = pytest.mark.anyio

WRITE_CALL = ("ApiV2010_CreateMessage", {"To": "+15558675310", "From": "+15017122661", "Body": "hi"})
READ_CALL = ("ApiV2010_ListMessage", {"PageSize": 1})
AUTH_TOKEN = "8f2c4e6a1b3d5f7092a4c6e8b0d2f4a6"


def new_key(*flags: str) -> tuple[str, str]:
    """`twilio-mcp keys new FLAGS`: (the key, the key-file line)."""
    out = subprocess.run([str(BIN), "keys", "new", *flags], capture_output=True, text=True, check=True)
    match = re.fullmatch(r"key:  (\S+)\nline: (.+)\n", out.stdout)
    assert match, out.stdout
    return match.group(1), match.group(2)


@pytest.fixture(scope="module")
def keys(e2e_dir) -> dict[str, tuple[str, str]]:
    return {
        "ops": new_key("--name", "ops"),
        "ro": new_key("--name", "ro", "--read-only"),
        "voice": new_key("--name", "voice", "--services", "Voice"),
        "gone": new_key("--name", "gone"),
    }


@pytest.fixture(scope="module")
def key_file(e2e_dir, keys):
    path = e2e_dir / "api-keys.txt"
    lines = [keys[n][1] for n in ("ops", "ro", "gone")]
    path.write_text("# keys for the e2e tests\n" + "\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def keys_server(launch_server, keys, key_file):
    return launch_server(
        "keys",
        env={"TWILIO_MCP_API_KEYS": keys["voice"][1]},
        args=["--api-key-file", str(key_file)],
    )


def post(server, message: dict, headers: dict[str, str] | None = None, query: str = "") -> httpx.Response:
    return httpx.post(server.url + query, json=message, headers=RAW_HEADERS | (headers or {}), timeout=30)


def call(name: str, arguments: dict) -> dict:
    return {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


def sdk(server, headers: dict[str, str], query: str = "", mode: str = "legacy") -> Client:
    url = server.url + query
    return Client(streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=30)), mode=mode)


def test_keys_new_prints_the_key_once_and_only_its_digest_in_the_line(keys) -> None:
    key, line = keys["ro"]
    assert re.fullmatch(r"tmcp_[A-Za-z0-9_-]{43}", key), key
    assert line == f"ro sha256:{hashlib.sha256(key.encode()).hexdigest()} read-only"
    assert key not in line and key[5:] not in line
    assert keys["voice"][1].endswith(" services=Voice")
    assert len({k for k, _ in keys.values()}) == 4, "every key is new"
    bad = subprocess.run([str(BIN), "keys", "new", "--name", "x", "--services", "Nope"], capture_output=True, text=True)
    assert bad.returncode != 0 and "unknown service `Nope`" in bad.stderr and bad.stdout == ""


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_right_key_lists_and_calls_with_either_header(keys_server, keys, upstream, mode) -> None:
    key = keys["ops"][0]
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        async with sdk(keys_server, headers, mode=mode) as client:
            assert len((await client.list_tools()).tools) == MESSAGING_TOOL_COUNT
            listed = await client.call_tool(*READ_CALL)
            assert not listed.is_error, text(listed)
    sent = upstream.recorded()
    assert len(sent) == 2
    # Twilio gets the server's API key, never the client's key.
    assert all(r.headers["authorization"] == BASIC_AUTH for r in sent)
    assert "caller=key:ops" in keys_server.log_text()


def test_wrong_and_missing_keys_are_refused(keys_server, keys, upstream) -> None:
    cases = [
        ({"Authorization": "Bearer tmcp_" + "A" * 43}, 401, "invalid API key"),
        ({"X-API-Key": "not-a-key"}, 401, "invalid API key"),
        ({}, 401, "missing credentials: send Authorization: Bearer or X-API-Key"),
        ({"Authorization": "Basic b3BzOnNlY3JldA=="}, 401, "unsupported Authorization header"),
        ({"Authorization": f"Bearer {keys['ops'][0]}", "X-API-Key": "other"}, 400, "send one credential"),
        # A key's digest is not the key.
        ({"X-API-Key": keys["ops"][1].split()[1]}, 401, "invalid API key"),
    ]
    for headers, status, message in cases:
        r = post(keys_server, call(*WRITE_CALL), headers)
        assert r.status_code == status, (headers, r.status_code, r.text)
        assert r.json()["error"].startswith(message), r.text
        if status == 401:
            challenge = r.headers["www-authenticate"]
            assert challenge.startswith('Bearer realm="twilio-mcp"'), challenge
            assert "resource_metadata" not in challenge
    assert upstream.recorded() == []
    metrics = httpx.get(f"{keys_server.base}/metrics").text
    for reason, at_least in (("invalid_key", 3), ("missing_credentials", 1), ("several_credentials", 1),
                             ("bad_authorization_header", 1)):
        found = re.search(rf'^twilio_mcp_auth_failures_total\{{reason="{reason}"\}} (\d+)$', metrics, re.M)
        assert found and int(found.group(1)) >= at_least, (reason, found)


async def test_a_read_only_key_cannot_write(keys_server, keys, upstream) -> None:
    async with sdk(keys_server, {"Authorization": f"Bearer {keys['ro'][0]}"}) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "ApiV2010_ListMessage" in names and WRITE_CALL[0] not in names
        with pytest.raises(MCPError) as raised:
            await client.call_tool(*WRITE_CALL)
        assert raised.value.error.message == f"tool `{WRITE_CALL[0]}` is not available: API key `ro` is read-only"
        assert upstream.recorded() == []
        listed = await client.call_tool(*READ_CALL)
        assert not listed.is_error
    assert len(upstream.recorded()) == 1


async def test_a_key_limited_to_a_service_sees_only_it(keys_server, keys, upstream) -> None:
    headers = {"X-API-Key": keys["voice"][0]}
    async with sdk(keys_server, headers) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "ApiV2010_CreateCall" in names and WRITE_CALL[0] not in names
    async with sdk(keys_server, headers, "?services=Messaging") as client:
        assert (await client.list_tools()).tools == []
        with pytest.raises(MCPError) as raised:
            await client.call_tool(*WRITE_CALL)
        assert "API key `voice` is limited to the services Voice" in raised.value.error.message
    assert upstream.recorded() == []


def test_a_deleted_line_revokes_its_key(keys_server, keys, key_file, upstream) -> None:
    gone = {"X-API-Key": keys["gone"][0]}
    assert post(keys_server, LIST, gone).status_code == 200
    key_file.write_text("\n".join(keys[n][1] for n in ("ops", "ro")) + "\n")
    time.sleep(1.2)  # the file is checked at most once a second
    r = post(keys_server, call(*READ_CALL), gone)
    assert r.status_code == 401 and r.json() == {"error": "invalid API key"}
    assert post(keys_server, LIST, {"X-API-Key": keys["ops"][0]}).status_code == 200
    assert "API key file changed: keys reloaded" in keys_server.log_text()
    assert upstream.recorded() == []


def test_keys_and_signatures_work_side_by_side_without_fallback(launch_server, keys, key_file, upstream) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    both = launch_server(
        "keys-and-signature",
        env={"TWILIO_AUTH_TOKEN": AUTH_TOKEN},
        args=["--api-key-file", str(key_file), "--public-url", base],
        port=port,
    )
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"{base}/mcp", {})
    ops = keys["ops"][0]
    assert post(both, LIST, {"X-Twilio-Signature": signature}).status_code == 200
    assert post(both, LIST, {"Authorization": f"Bearer {ops}"}).status_code == 200
    # A bad credential beside a good one is refused, not skipped.
    r = post(both, call(*READ_CALL), {"X-Twilio-Signature": signature, "X-API-Key": "wrong"})
    assert r.status_code == 400
    r = post(both, call(*READ_CALL), {"X-Twilio-Signature": "d3Jvbmc=", "Authorization": f"Bearer {ops}"})
    assert r.status_code == 400
    assert post(both, call(*READ_CALL), {"X-Twilio-Signature": "d3Jvbmc="}).status_code == 403
    missing = post(both, LIST)
    assert missing.status_code == 401
    assert missing.json()["error"] == "missing credentials: send Authorization: Bearer, X-API-Key or X-Twilio-Signature"
    assert upstream.recorded() == []
    log = both.log_text()
    assert "caller=signature:primary" in log and "caller=key:ops" in log


def test_a_public_address_starts_with_keys_alone(e2e_dir, keys) -> None:
    env = clean_env(CREDENTIAL_ENV | {"TWILIO_API_BASE_URL": "http://127.0.0.1:9"})
    port = free_port()
    refused = subprocess.run(
        [str(BIN), "serve", "--bind", f"0.0.0.0:{port}"], env=env, cwd=e2e_dir, capture_output=True, text=True, timeout=30
    )
    assert refused.returncode != 0
    assert "refusing to serve" in refused.stderr and "--api-key-file" in refused.stderr, refused.stderr
    log = (e2e_dir / "server-public-keys.log").open("wb")
    proc = spawn(
        [str(BIN), "serve", "--bind", f"0.0.0.0:{port}", "--api-keys", keys["ops"][1]],
        env=env, cwd=e2e_dir, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: port_open(port), 30, "the public server", e2e_dir / "server-public-keys.log")
        url = f"http://127.0.0.1:{port}/mcp"
        assert httpx.post(url, json=LIST, headers=RAW_HEADERS).status_code == 401
        ok = httpx.post(url, json=LIST, headers=RAW_HEADERS | {"X-API-Key": keys["ops"][0]})
        assert ok.status_code == 200 and len(ok.json()["result"]["tools"]) == MESSAGING_TOOL_COUNT
    finally:
        stop(proc)
        log.close()


def test_no_key_ever_appears_in_a_log(e2e_dir, keys) -> None:
    logs = "".join(p.read_text(errors="replace") for p in e2e_dir.glob("server-*.log"))
    assert "caller=key:" in logs
    for key, _ in keys.values():
        assert key not in logs and key[5:25] not in logs
