"""The MCP surface seen by the official Python SDK: handshake, tool lists,
service selection and discovery mode, over Streamable HTTP and stdio."""

from __future__ import annotations

import re

import httpx
import pytest
from mcp import Client
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS

from harness import MESSAGING_TOOL_COUNT, RAW_HEADERS, check_tools, hint

pytestmark = pytest.mark.anyio

# The pinned specs' 1,407 operations (specs/pin.json) and the two Serverless
# uploads codegen adds (codegen/extra/serverless_upload.json).
ALL_TOOL_COUNT = 1409


async def list_names(url: str) -> list[str]:
    async with Client(url, mode="legacy") as client:
        result = await client.list_tools()
        check_tools(result.tools)
        return [t.name for t in result.tools]


async def test_initialize_and_default_tools(connect) -> None:
    async with connect() as client:
        # Both protocol eras: the initialize handshake, and `server/discover`.
        era = HANDSHAKE_PROTOCOL_VERSIONS if connect.mode == "legacy" else MODERN_PROTOCOL_VERSIONS
        assert client.protocol_version in era, client.protocol_version
        assert client.server_info.name == "twilio-mcp"
        assert re.fullmatch(r"\d+\.\d+\.\d+.*", client.server_info.version)
        assert client.server_capabilities.tools is not None
        tools = (await client.list_tools()).tools
    check_tools(tools)
    names = {t.name for t in tools}
    assert len(tools) == MESSAGING_TOOL_COUNT, sorted(names)
    assert "ApiV2010_CreateMessage" in names
    assert "ApiV2010_ListMessage" in names
    create = next(t for t in tools if t.name == "ApiV2010_CreateMessage")
    assert not hint(create, "read_only_hint") and not hint(create, "destructive_hint")
    assert "To" in create.input_schema["properties"]
    assert "AccountSid" not in create.input_schema.get("required", [])
    listing = next(t for t in tools if t.name == "ApiV2010_ListMessage")
    assert hint(listing, "read_only_hint")
    delete = next(t for t in tools if t.name == "ApiV2010_DeleteMessage")
    assert hint(delete, "destructive_hint") and not hint(delete, "read_only_hint")
    # `DateSent<` goes out under its wire name but is offered under a valid key.
    assert "DateSentBefore" in listing.input_schema["properties"]


async def test_services_union_repeated_keys(server) -> None:
    messaging = set(await list_names(server.url))
    voice = set(await list_names(f"{server.url}?services=Voice"))
    both = await list_names(f"{server.url}?services=Messaging&services=Voice")
    assert voice and not voice <= messaging
    assert set(both) == messaging | voice
    assert len(both) == len(set(both))


async def test_services_union_comma_separated(server) -> None:
    voice = set(await list_names(f"{server.url}?services=Voice"))
    numbers = set(await list_names(f"{server.url}?services=PhoneNumbers"))
    union = await list_names(f"{server.url}?services=Voice,PhoneNumbers")
    assert set(union) == voice | numbers
    assert len(union) == len(set(union)), "duplicates in the union"
    # The same set whichever way it is spelled.
    assert set(await list_names(f"{server.url}?services=voice&services=phonenumbers")) == set(union)


async def test_services_all(server) -> None:
    names = await list_names(f"{server.url}?services=all")
    assert len(names) == ALL_TOOL_COUNT


def test_unknown_service_is_http_400_naming_it(server) -> None:
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/list"}
    r = httpx.post(f"{server.url}?services=Messaging&services=Nope", json=body, headers=RAW_HEADERS)
    assert r.status_code == 400, r.text
    reply = r.json()
    assert reply["jsonrpc"] == "2.0" and reply["id"] == 7
    assert reply["error"]["code"] == -32602
    assert "`Nope`" in reply["error"]["message"]
    assert "Messaging" in reply["error"]["message"]  # lists the valid ones


async def test_unknown_service_fails_the_sdk_client(server) -> None:
    with pytest.raises(Exception) as raised:
        async with Client(f"{server.url}?services=Nope", mode="legacy") as client:
            await client.list_tools()
    assert "Nope" in repr(raised.value) or "400" in repr(raised.value)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_discover_mode(server, upstream, mode) -> None:
    async with Client(f"{server.url}?mode=discover", mode=mode) as client:
        tools = (await client.list_tools()).tools
        check_tools(tools)
        assert sorted(t.name for t in tools) == ["call_twilio_tool", "describe_twilio_tool", "search_twilio_tools"]
        found = await client.call_tool("search_twilio_tools", {"query": "send an SMS"})
        assert not found.is_error, found
        results = [r["name"] for r in found.structured_content["results"]]
        assert "ApiV2010_CreateMessage" in results[:3], results
        described = await client.call_tool("describe_twilio_tool", {"name": "ApiV2010_CreateMessage"})
        assert not described.is_error
        assert "To" in described.structured_content["inputSchema"]["properties"]
        assert upstream.recorded() == []
        # A call through the discovery tool reaches Twilio like a direct one.
        called = await client.call_tool(
            "call_twilio_tool", {"name": "ApiV2010_ListMessage", "arguments": {"PageSize": 5}}
        )
        assert not called.is_error, called.content
        assert upstream.only().query_pairs() == [("PageSize", "5")]


async def test_discover_search_stays_in_selected_services(server) -> None:
    async with Client(f"{server.url}?mode=discover&services=Voice", mode="legacy") as client:
        found = await client.call_tool("search_twilio_tools", {"query": "send an SMS"})
        names = [r["name"] for r in found.structured_content["results"]]
        assert "ApiV2010_CreateMessage" not in names
        assert found.structured_content["services"] == ["Voice"]


async def test_discover_tools_refuse_unknown_arguments(server, upstream) -> None:
    # The discovery schemas leave `additionalProperties` out (some clients
    # reject it), so the server names the valid arguments itself.
    async with Client(f"{server.url}?mode=discover", mode="legacy") as client:
        for tool, args, valid in [
            ("search_twilio_tools", {"query": "sms", "lang": "en"}, "query, limit"),
            ("describe_twilio_tool", {"name": "ApiV2010_CreateMessage", "verbose": True}, "name"),
        ]:
            result = await client.call_tool(tool, args)
            assert result.is_error, (tool, result)
            text = result.content[0].text
            assert "unknown argument" in text and valid in text, text
        called = await client.call_tool(
            "call_twilio_tool", {"name": "ApiV2010_ListMessage", "PageSize": 5}
        )
        assert called.is_error and "inside `arguments`" in called.content[0].text
    assert upstream.recorded() == []
