"""Server-wide settings: read-only mode, missing credentials, and secrets that
must never leave the server (tool results, logs)."""

from __future__ import annotations

import base64

import pytest
from mcp import Client, MCPError
from mcp.client.stdio import stdio_client

from harness import (
    ACCOUNT_SID,
    API_KEY,
    API_SECRET,
    MESSAGE_SID,
    MESSAGING_TOOL_COUNT,
    TWILIO_21211,
    check_tools,
    free_port,
    hint,
    stdio_params,
    text,
)

pytestmark = pytest.mark.anyio

WRITE_CALL = ("ApiV2010_CreateMessage", {"To": "+15558675310", "From": "+15017122661", "Body": "hi"})


async def test_read_only_lists_only_read_tools(read_only_server, upstream) -> None:
    async with Client(read_only_server.url, mode="legacy") as client:
        tools = (await client.list_tools()).tools
        check_tools(tools)
        names = {t.name for t in tools}
        assert tools and all(hint(t, "read_only_hint") for t in tools), names
        assert "ApiV2010_ListMessage" in names
        assert "ApiV2010_CreateMessage" not in names
        assert "ApiV2010_DeleteMessage" not in names
        with pytest.raises(MCPError) as raised:
            await client.call_tool(*WRITE_CALL)
        assert "read-only" in raised.value.error.message
        with pytest.raises(MCPError):
            await client.call_tool("ApiV2010_DeleteMessage", {"Sid": MESSAGE_SID})
        assert upstream.recorded() == []
        # Reads still work.
        listed = await client.call_tool("ApiV2010_ListMessage", {"PageSize": 1})
        assert not listed.is_error, text(listed)
        assert len(upstream.recorded()) == 1


async def test_read_only_holds_in_discover_mode(read_only_server, upstream) -> None:
    async with Client(f"{read_only_server.url}?mode=discover&services=all", mode="legacy") as client:
        found = await client.call_tool("search_twilio_tools", {"query": "send an SMS", "limit": 25})
        assert all(r["read_only"] for r in found.structured_content["results"])
        result = await client.call_tool("call_twilio_tool", {"name": WRITE_CALL[0], "arguments": WRITE_CALL[1]})
        assert result.is_error and "read-only" in text(result)
    assert upstream.recorded() == []


async def test_missing_credentials_lists_tools_but_refuses_calls(no_credentials_server, upstream) -> None:
    async with Client(no_credentials_server.url, mode="legacy") as client:
        tools = (await client.list_tools()).tools
        assert len(tools) == MESSAGING_TOOL_COUNT
        result = await client.call_tool("ApiV2010_ListMessage", {"PageSize": 5})
    assert result.is_error
    message = text(result)
    for var in ("ACCOUNT_SID", "API_KEY", "API_SECRET"):
        assert var in message, message
    assert upstream.recorded() == []
    assert "credentials are not set" in no_credentials_server.log_text()


async def test_partly_missing_credentials_names_only_the_missing(launch_server, upstream) -> None:
    partial = launch_server("no-secret", credentials=False, env={"ACCOUNT_SID": ACCOUNT_SID, "API_KEY": API_KEY})
    async with Client(partial.url, mode="legacy") as client:
        result = await client.call_tool(*WRITE_CALL)
    assert result.is_error
    message = text(result)
    assert "API_SECRET" in message and "ACCOUNT_SID" not in message and "API_KEY," not in message, message
    assert upstream.recorded() == []


async def test_secret_never_leaves_the_server(server, launch_server, upstream, e2e_dir, recording_proxy) -> None:
    """Results of successful, failed and refused calls, and the logs of
    servers at the most verbose level, never contain the API secret."""
    encoded = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    unreachable = launch_server(
        "unreachable-trace", env={"TWILIO_API_BASE_URL": f"http://127.0.0.1:{free_port()}", "RUST_LOG": "trace"}
    )
    traced = launch_server("trace", env={"RUST_LOG": "trace"}, args=["--log-format", "json"])
    upstream.inject(lambda r: ("To", "+15005550001") in r.form(), 400, TWILIO_21211)
    calls = [
        ("ApiV2010_ListMessage", {"PageSize": 2}),
        ("ApiV2010_FetchMessage", {"Sid": MESSAGE_SID, "fields": ["*"]}),
        ("ApiV2010_CreateMessage", {"To": "+15005550001", "From": "+15017122661", "Body": "x"}),
        ("ApiV2010_ListMessage", {"PageSize": "oops"}),
    ]
    results = []
    for target in (server, unreachable, traced):
        async with Client(target.url, mode="legacy") as client:
            for name, args in calls:
                results.append(await client.call_tool(name, args))
    with (e2e_dir / "server-stdio-trace.log").open("a") as errlog:
        params = stdio_params(e2e_dir, recording_proxy.url, env={"RUST_LOG": "trace"})
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
            for name, args in calls:
                results.append(await client.call_tool(name, args))
    assert any(not r.is_error for r in results) and any(r.is_error for r in results)
    # The secret did go upstream (as Basic auth) ...
    assert any(r.headers.get("authorization", "").endswith(encoded) for r in upstream.recorded())
    # ... and nowhere else.
    for result in results:
        dumped = result.model_dump_json()
        assert API_SECRET not in dumped and encoded not in dumped, dumped
    logs = {s.name: s.log_text() for s in (server, unreachable, traced)}
    logs["stdio"] = (e2e_dir / "server-stdio-trace.log").read_text()
    logs["stdio-shared"] = (e2e_dir / "server-stdio.log").read_text() if (e2e_dir / "server-stdio.log").exists() else ""
    for name, log in logs.items():
        assert API_SECRET not in log, f"API secret in the {name} server's log"
        assert encoded not in log, f"Basic auth header in the {name} server's log"
    # The trace logs did log the calls (so the check above means something).
    assert "ApiV2010_CreateMessage" in logs["trace"]
