"""Bad input gets a clear error and sends NOTHING to Twilio."""

from __future__ import annotations

import httpx
import pytest
from mcp import MCPError

from harness import MESSAGE_SID, MESSAGING_TOOL_COUNT, RAW_HEADERS, text

pytestmark = pytest.mark.anyio

GOOD_MESSAGE = {"To": "+15558675310", "From": "+15017122661", "Body": "hi"}

# (tool, arguments, words the error must contain)
TOOL_ERRORS = {
    "missing required": ("ApiV2010_CreateMessage", {"From": "+15017122661", "Body": "hi"}, ["missing", "`To`"]),
    "unknown argument": ("ApiV2010_ListMessage", {"PageSize": 5, "Bogus": 1}, ["unknown argument", "`Bogus`"]),
    "wrong type": ("ApiV2010_ListMessage", {"PageSize": "20"}, ["`PageSize`", "integer", '"20"']),
    "enum": (
        "ApiV2010_CreateMessage",
        GOOD_MESSAGE | {"ContentRetention": "forever"},
        ["ContentRetention", "retain", "forever"],
    ),
    "neither From nor service": ("ApiV2010_CreateMessage", {"To": "+15558675310", "Body": "hi"}, ["From", "MessagingServiceSid"]),
    "pattern": ("ApiV2010_FetchMessage", {"Sid": "not-a-sid"}, ["`Sid`"]),
    "out of range": ("ApiV2010_ListMessage", {"PageSize": 0}, ["`PageSize`"]),
    "fields not a list": ("ApiV2010_FetchMessage", {"Sid": MESSAGE_SID, "fields": "sid"}, ["`fields`"]),
}


@pytest.mark.parametrize("case", TOOL_ERRORS, ids=list(TOOL_ERRORS))
async def test_bad_arguments_are_tool_errors(connect, upstream, case) -> None:
    tool, arguments, words = TOOL_ERRORS[case]
    async with connect() as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error, f"accepted: {text(result)}"
    message = text(result)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert upstream.recorded() == [], "bad input reached Twilio"


async def test_unknown_tool_is_a_protocol_error(connect, upstream) -> None:
    async with connect() as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("ApiV2010_NoSuchThing", {})
    assert raised.value.error.code == -32602
    assert "ApiV2010_NoSuchThing" in raised.value.error.message
    assert upstream.recorded() == []


async def test_tool_outside_selected_services(connect, upstream) -> None:
    # A Voice tool on a Messaging-only connection.
    async with connect() as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("ApiV2010_CreateCall", {"To": "+15558675310", "From": "+15017122661", "Url": "https://example.com/twiml"})
    message = raised.value.error.message
    assert "not in the selected services" in message and "services=" in message, message
    assert upstream.recorded() == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"', b"[1, 2]", b'{"hello": 1}', b""],
    ids=["invalid", "truncated", "array", "not-jsonrpc", "empty"],
)
def test_malformed_json_rpc_is_refused(server, upstream, body) -> None:
    r = httpx.post(server.url, content=body, headers=RAW_HEADERS)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert upstream.recorded() == []
    assert server.healthy()
    # ... and still answers a good request.
    ok = httpx.post(server.url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=RAW_HEADERS)
    assert ok.status_code == 200 and len(ok.json()["result"]["tools"]) == MESSAGING_TOOL_COUNT


def test_invalid_json_is_a_json_rpc_parse_error(server) -> None:
    r = httpx.post(server.url, content=b"{not json", headers=RAW_HEADERS)
    assert r.status_code == 400, (r.status_code, r.text)
    reply = r.json()
    assert reply["error"]["code"] == -32700 and reply["id"] is None


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"hello": 1}', b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]'],
                         ids=["array", "not-jsonrpc", "batch"])
def test_json_that_is_not_a_request_is_invalid_request(server, body) -> None:
    r = httpx.post(server.url, content=body, headers=RAW_HEADERS)
    assert r.status_code == 400, (r.status_code, r.text)
    assert r.json()["error"]["code"] == -32600


def test_wrong_content_type_is_415(server, upstream) -> None:
    r = httpx.post(
        server.url,
        content=b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
        headers=RAW_HEADERS | {"Content-Type": "text/plain"},
    )
    assert r.status_code == 415, (r.status_code, r.text)
    assert upstream.recorded() == []


def test_oversized_body_is_413(server, upstream) -> None:
    padding = "x" * (1024 * 1024 + 1)  # the default --max-body-bytes is 1 MiB
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "ApiV2010_CreateMessage",
                       "arguments": {"To": "+15558675310", "From": "+15017122661", "Body": padding}}}
    r = httpx.post(server.url, json=body, headers=RAW_HEADERS)
    assert r.status_code == 413, (r.status_code, r.text[:200])
    assert upstream.recorded() == []
    assert server.healthy()


def test_foreign_browser_origin_is_refused(server, upstream) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "ApiV2010_ListMessage", "arguments": {}}}
    r = httpx.post(server.url, json=body, headers=RAW_HEADERS | {"Origin": "https://evil.example"})
    assert r.status_code == 403, (r.status_code, r.text)
    assert upstream.recorded() == []
    local = httpx.post(server.url, json=body, headers=RAW_HEADERS | {"Origin": f"http://localhost:{server.port}"})
    assert local.status_code == 200, (local.status_code, local.text)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_no_server_streams_or_sessions(server, method) -> None:
    # Stateless server: no GET stream to open, no session to delete.
    r = httpx.request(method, server.url, headers={"Accept": "text/event-stream"})
    assert r.status_code == 405, (r.status_code, r.text)
