"""MCP prompts and resources seen by the official Python SDK, over Streamable
HTTP and stdio: prompts follow the request's selection and the server's
policy, `prompts/get` of another says why; `twilio://account` is fetched
from Twilio (Prism), briefly cached, without secrets; `twilio://tools` says
what the connection may use; the instructions say what is in force."""

from __future__ import annotations

import json
import re

import pytest
from mcp import Client

from harness import ACCOUNT_SID, BASIC_AUTH, REPO

pytestmark = pytest.mark.anyio

ALL_PROMPTS = [
    "send_sms",
    "failed_messages",
    "buy_local_number",
    "verify_phone",
    "inspect_studio_flow",
    "deploy_function",
    "call_and_say",
    "usage_this_month",
]
# Prompts whose tools only read.
READ_ONLY_PROMPTS = ["failed_messages", "inspect_studio_flow", "usage_this_month"]
ACCOUNT_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}.json"
# An auth token as Twilio's Account fetch returns it: it must never come out.
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"


async def prompt_names(url: str) -> list[str]:
    async with Client(url, mode="legacy") as client:
        return [p.name for p in (await client.list_prompts()).prompts]


async def test_prompts_list_and_get(connect) -> None:
    async with connect() as client:
        assert client.server_capabilities.prompts is not None
        prompts = (await client.list_prompts()).prompts
        assert [p.name for p in prompts] == ["send_sms", "failed_messages"]
        send = prompts[0]
        assert send.title == "Send an SMS and confirm delivery"
        assert send.description
        assert [(a.name, a.required) for a in send.arguments] == [("to", True), ("body", True), ("from", False)]
        assert all(a.description for a in send.arguments)

        result = await client.get_prompt("send_sms", {"to": "+15558675310", "body": 'Your "table" is ready'})
    assert result.description == send.description
    [message] = result.messages
    assert message.role == "user"
    text = message.content.text
    assert text.startswith('Send the SMS "Your \\"table\\" is ready" to "+15558675310"'), text
    # The tools, in the order to call them.
    steps = re.findall(r"^\d+\. (\w+): ", text, re.M)
    assert steps == ["ApiV2010_ListIncomingPhoneNumber", "ApiV2010_CreateMessage", "ApiV2010_FetchMessage"]
    assert "From one of the account's SMS-capable numbers (step 1)" in text
    # The care it asks for, and the line every prompt ends with.
    assert "wait for their go-ahead" in text
    assert text.endswith("do not get around it with other tools or arguments.")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("services=all", ALL_PROMPTS),
        ("services=PhoneNumbers", ["buy_local_number"]),
        ("services=Serverless", ["deploy_function"]),
        ("services=Messaging,Voice", ["send_sms", "failed_messages", "call_and_say"]),
        ("services=verify_v2", ["verify_phone"]),
        ("services=Studio&mode=discover", ["inspect_studio_flow"]),
        ("services=Account", []),
    ],
)
async def test_prompts_follow_the_selection(server, query, expected) -> None:
    assert await prompt_names(f"{server.url}?{query}") == expected


async def test_read_only_offers_only_reading_prompts(read_only_server) -> None:
    assert await prompt_names(f"{read_only_server.url}?services=all") == READ_ONLY_PROMPTS
    async with Client(read_only_server.url, mode="legacy") as client:
        with pytest.raises(Exception) as raised:
            await client.get_prompt("send_sms", {"to": "+15558675310", "body": "hi"})
    assert "prompt `send_sms` uses ApiV2010_CreateMessage, which is not available" in str(raised.value)
    assert "read-only mode" in str(raised.value)


async def test_denied_tools_take_their_prompts_along(launch_server) -> None:
    server = launch_server("deny-create-message", args=["--deny-tools", "ApiV2010_CreateMessage"])
    assert await prompt_names(server.url) == ["failed_messages"]


@pytest.mark.parametrize(
    "name, arguments, message",
    [
        ("buy_local_number", {"area_code": "415"},
         "prompt `buy_local_number` uses ApiV2010_ListAvailablePhoneNumberLocal, which is not in the "
         "selected services (Messaging); add `services=PhoneNumbers` to the MCP URL"),
        ("nope", {}, "unknown prompt `nope`"),
        ("send_sms", {"to": "+15558675310"}, "prompt `send_sms`: missing argument `body`"),
        ("send_sms", {"to": "+1", "body": "x", "cc": "y"}, "prompt `send_sms`: unknown argument `cc`"),
    ],
)
async def test_prompts_get_errors_say_why(server, name, arguments, message) -> None:
    async with Client(server.url, mode="legacy") as client:
        with pytest.raises(Exception) as raised:
            await client.get_prompt(name, arguments)
    assert message in str(raised.value), raised.value
    assert "-32602" in repr(raised.value) or getattr(raised.value, "code", None) == -32602


async def test_discovery_mode_prompts_say_how_to_reach_the_tools(server) -> None:
    async with Client(f"{server.url}?services=Serverless&mode=discover", mode="legacy") as client:
        result = await client.get_prompt("deploy_function", {"service_name": "hello-agent", "path": "/hello"})
    text = result.messages[0].content.text
    assert re.findall(r"^\d+\. (\w+): ", text, re.M) == [
        "ServerlessV1_CreateService",
        "ServerlessV1_CreateFunction",
        "ServerlessV1_CreateFunctionVersion",
        "ServerlessV1_CreateBuild",
        "ServerlessV1_FetchBuildStatus",
        "ServerlessV1_CreateEnvironment",
        "ServerlessV1_CreateDeployment",
        "ServerlessV1_FetchEnvironment",
    ]
    assert 'Path "/hello"' in text and 'UniqueName "production"' in text
    assert text.endswith("describe_twilio_tool shows a tool's arguments.")


async def test_readme_example_prompts_are_the_served_ones(server) -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("<!-- prompts:start") : readme.index("<!-- prompts:end -->")]
    documented = re.findall(r"^\| `(\w+)`: ", section, re.M)
    assert documented == await prompt_names(f"{server.url}?services=all")


# --- resources ----------------------------------------------------------------


async def test_resources_list_and_tools(connect) -> None:
    async with connect(services="Serverless") as client:
        assert client.server_capabilities.resources is not None
        resources = (await client.list_resources()).resources
        assert [(r.uri, r.name, r.mime_type) for r in resources] == [
            ("twilio://account", "account", "application/json"),
            ("twilio://tools", "tools", "application/json"),
        ]
        assert all(r.title and r.description for r in resources)
        [contents] = (await client.read_resource("twilio://tools")).contents
    assert contents.uri == "twilio://tools" and contents.mime_type == "application/json"
    assert json.loads(contents.text) == {
        "services": ["Serverless"],
        "mode": "tools",
        "tools": 38,
        "excluded_by_policy": 0,
        "policy": {"read_only": False, "allow_tools": [], "deny_tools": []},
        "credentials": "configured",
        "prompts": ["deploy_function"],
    }


async def read_json(client: Client, uri: str):
    [contents] = (await client.read_resource(uri)).contents
    return json.loads(contents.text)


async def test_tools_resource_shows_the_policy(read_only_server) -> None:
    async with Client(f"{read_only_server.url}?services=Messaging&mode=discover", mode="legacy") as client:
        tools = await read_json(client, "twilio://tools")
    assert tools["mode"] == "discover"
    assert tools["policy"]["read_only"] is True
    assert tools["tools"] == 4 and tools["excluded_by_policy"] == 6
    assert tools["prompts"] == ["failed_messages"]


async def test_account_is_fetched_cached_and_has_no_secrets(launch_server, upstream) -> None:
    account = {
        "sid": ACCOUNT_SID, "friendly_name": "Owl Shop", "status": "active", "type": "Full",
        "date_created": "Thu, 30 Jul 2015 20:00:00 +0000", "auth_token": AUTH_TOKEN,
        "owner_account_sid": ACCOUNT_SID, "uri": ACCOUNT_PATH,
    }
    fetched = upstream.inject(lambda r: r.path == ACCOUNT_PATH, 200, account)
    server = launch_server("account-resource")
    async with Client(server.url, mode="legacy") as client:
        first = await read_json(client, "twilio://account")
        again = await read_json(client, "twilio://account")
    async with Client(f"{server.url}?services=Voice", mode="legacy") as client:
        # Whatever the request selects: the account is the server's.
        third = await read_json(client, "twilio://account")
    assert first == again == third == {
        "sid": ACCOUNT_SID, "friendly_name": "Owl Shop", "status": "active", "type": "Full",
        "date_created": "Thu, 30 Jul 2015 20:00:00 +0000",
    }
    # One fetch for three reads; the auth token never left the server.
    assert fetched.hits == 1
    req = upstream.only()
    assert (req.method, req.path, req.query) == ("GET", ACCOUNT_PATH, "")
    assert req.headers["authorization"] == BASIC_AUTH
    assert AUTH_TOKEN not in server.log_text()


async def test_account_from_prism(connect, upstream) -> None:
    # Prism's example answer, over every transport (stdio: a fresh process).
    async with connect() as client:
        account = await read_json(client, "twilio://account")
    assert set(account) <= {"sid", "friendly_name", "status", "type", "date_created"}
    assert account["sid"].startswith("AC") and account["status"] == "active"
    assert "auth_token" not in account


async def test_account_errors_say_what_to_do(no_credentials_server, launch_server, upstream) -> None:
    async with Client(no_credentials_server.url, mode="legacy") as client:
        with pytest.raises(Exception) as raised:
            await client.read_resource("twilio://account")
        assert "the server has no Twilio credentials: set ACCOUNT_SID, API_KEY, API_SECRET" in str(raised.value)
        with pytest.raises(Exception) as unknown:
            await client.read_resource("twilio://nope")
        assert "unknown resource `twilio://nope`" in str(unknown.value)
        # The tools resource still answers, and says what is missing.
        tools = await read_json(client, "twilio://tools")
        assert tools["credentials"] == {"missing": ["ACCOUNT_SID", "API_KEY", "API_SECRET"]}

    upstream.inject(lambda r: r.path == ACCOUNT_PATH, 401,
                    {"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003",
                     "status": 401})
    refused = launch_server("account-refused")
    async with Client(refused.url, mode="legacy") as client:
        with pytest.raises(Exception) as raised:
            await client.read_resource("twilio://account")
    assert "cannot read twilio://account: Twilio returned HTTP 401, error 20003: Authenticate" in str(raised.value)

    denied = launch_server("account-denied", args=["--deny-tools", "ApiV2010_FetchAccount"])
    async with Client(denied.url, mode="legacy") as client:
        assert [r.uri for r in (await client.list_resources()).resources] == ["twilio://tools"]
        with pytest.raises(Exception) as raised:
            await client.read_resource("twilio://account")
    assert "the server's tool allow/deny lists exclude it" in str(raised.value)
    # Neither the missing credentials nor the deny list let a request out.
    assert [r.path for r in upstream.recorded()] == [ACCOUNT_PATH]


async def test_instructions_say_what_is_in_force(server, read_only_server, no_credentials_server) -> None:
    async def instructions(url: str) -> str:
        async with Client(url, mode="legacy") as client:
            return client.instructions or ""

    default = await instructions(server.url)
    assert "AccountSid is filled in for you." in default
    assert "twilio://account" in default and "twilio://tools" in default
    assert "Read-only" not in default and "no Twilio credentials" not in default
    assert len(default) < 600, default
    assert "Read-only mode: only List and Fetch tools exist" in await instructions(read_only_server.url)
    assert "tool calls fail until ACCOUNT_SID, API_KEY, API_SECRET are set" in await instructions(
        no_credentials_server.url
    )
