"""Tool calls that reach Twilio (Prism with request validation on), checked on
both sides: what the server sent upstream, and what the client got back."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from harness import ACCOUNT_SID, BASIC_AUTH, MESSAGE_SID, SPECS, TWILIO_21211, text

pytestmark = pytest.mark.anyio

MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
MESSAGE_DEFAULTS = set(
    json.loads((SPECS / "twilio_api_v2010.json").read_text())["paths"]["/2010-04-01/Accounts/{AccountSid}/Messages.json"][
        "x-twilio"
    ]["defaultOutputProperties"]
)
def assert_twilio_request(req) -> None:
    assert req.headers.get("authorization") == BASIC_AUTH
    assert req.headers.get("user-agent", "").startswith("twilio-mcp/")


async def test_get_list_with_filters(connect, upstream) -> None:
    async with connect() as client:
        result = await client.call_tool(
            "ApiV2010_ListMessage", {"PageSize": 20, "DateSentBefore": "2024-01-01T00:00:00Z"}
        )
    assert not result.is_error, text(result)
    req = upstream.only()
    assert req.method == "GET"
    assert req.path == MESSAGES  # AccountSid filled in from configuration
    assert "DateSent%3C=2024-01-01T00%3A00%3A00Z" in req.query.split("&"), req.query
    assert sorted(req.query_pairs()) == [("DateSent<", "2024-01-01T00:00:00Z"), ("PageSize", "20")]
    assert req.body == b""
    assert_twilio_request(req)
    data = result.structured_content
    assert isinstance(data["messages"], list) and data["messages"]
    for item in data["messages"]:
        assert set(item) <= MESSAGE_DEFAULTS, set(item) - MESSAGE_DEFAULTS
    assert json.loads(text(result)) == data


async def test_form_post_with_array(connect, upstream) -> None:
    media = ["https://example.com/a.png", "https://example.com/b.png"]
    async with connect() as client:
        result = await client.call_tool(
            "ApiV2010_CreateMessage",
            {"To": "+15558675310", "From": "+15017122661", "MediaUrl": media},
        )
    assert not result.is_error, text(result)
    req = upstream.only()
    assert req.method == "POST"
    assert req.path == MESSAGES
    assert req.query == ""
    assert req.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = req.form()
    assert [v for k, v in form if k == "MediaUrl"] == media  # repeated keys, in order
    assert dict(form) == {"To": "+15558675310", "From": "+15017122661", "MediaUrl": media[-1]}
    assert_twilio_request(req)
    data = result.structured_content
    assert data and set(data) <= MESSAGE_DEFAULTS, data
    assert data["sid"].startswith(("SM", "MM"))


@pytest.mark.parametrize(
    "extra",
    [
        {"From": "+15017122661", "Body": "caption", "MediaUrl": ["https://example.com/a.png"]},
        {"From": "+15017122661", "MessagingServiceSid": "MG" + "0123456789abcdef" * 2, "Body": "hi"},
    ],
    ids=["body-and-media", "from-and-service"],
)
async def test_documented_combinations_are_accepted(server, upstream, extra) -> None:
    async with Client(server.url, mode="legacy") as client:
        result = await client.call_tool("ApiV2010_CreateMessage", {"To": "+15558675310"} | extra)
    assert not result.is_error, text(result)
    assert len(upstream.recorded()) == 1


async def test_fields_argument_selects_fields(server, upstream) -> None:
    async with Client(server.url, mode="legacy") as client:
        some = await client.call_tool("ApiV2010_FetchMessage", {"Sid": MESSAGE_SID, "fields": ["sid", "body"]})
        every = await client.call_tool("ApiV2010_FetchMessage", {"Sid": MESSAGE_SID, "fields": ["*"]})
    assert not some.is_error and not every.is_error, (text(some), text(every))
    assert set(some.structured_content) == {"sid", "body"}
    assert set(every.structured_content) > MESSAGE_DEFAULTS
    reqs = upstream.recorded()
    assert [r.path for r in reqs] == [f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}.json"] * 2
    assert all(r.query == "" for r in reqs)  # `fields` is not sent to Twilio


async def test_delete_204_is_success(connect, upstream) -> None:
    async with connect() as client:
        result = await client.call_tool("ApiV2010_DeleteMessage", {"Sid": MESSAGE_SID})
    assert not result.is_error, text(result)
    req = upstream.only()
    assert req.method == "DELETE"
    assert req.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{MESSAGE_SID}.json"
    assert req.body == b""
    assert_twilio_request(req)
    assert result.structured_content == {"status": 204, "ok": True}


async def test_json_body_operation(server, upstream) -> None:
    args = {
        "friendly_name": "order_update",
        "language": "en",
        "variables": {"1": "Owl"},
        "types": {"twilio/text": {"body": "Hi {{1}}, your order shipped"}},
    }
    async with Client(f"{server.url}?services=content_v1", mode="legacy") as client:
        result = await client.call_tool("ContentV1_CreateContent", args)
    assert not result.is_error, text(result)
    req = upstream.only()
    assert (req.method, req.path, req.query) == ("POST", "/v1/Content", "")
    assert req.headers["content-type"].startswith("application/json")
    assert req.json() == args
    assert_twilio_request(req)
    assert result.structured_content["sid"].startswith("HX")


async def test_twilio_error_is_a_tool_error(connect, upstream) -> None:
    injected = upstream.inject(lambda r: ("To", "+15005550001") in r.form(), 400, TWILIO_21211)
    async with connect() as client:
        result = await client.call_tool(
            "ApiV2010_CreateMessage", {"To": "+15005550001", "From": "+15017122661", "Body": "x"}
        )
    assert injected.hits == 1
    assert result.is_error
    message = text(result)
    assert "21211" in message and "Invalid 'To' Phone Number" in message, message
    assert "400" in message
    assert TWILIO_21211["more_info"] in message
