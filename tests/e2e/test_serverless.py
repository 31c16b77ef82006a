"""Serverless from an agent: the two upload tools (not in Twilio's specs) on
the wire, read by the standard library's MIME parser at a stand-in for
serverless-upload.twilio.com, and the whole deploy a model runs, through the
official SDK, against Prism (serverless_v1) and that stand-in.

Prism answers with its spec's examples (the same SIDs every time), so the
walkthrough checks the calls and their wiring: each call uses what the one
before returned, and the upload's version SID (the stand-in's own) is what
the Build includes."""

from __future__ import annotations

import base64
import json

import pytest
from mcp import Client

from harness import BASIC_AUTH, multipart_parts, text

pytestmark = pytest.mark.anyio

FUNCTION_CODE = """exports.handler = (context, event, callback) => {
  callback(null, `Hello, ${event.name || 'world'}!`);
};
"""
# Every byte value: nothing may be re-encoded on the way.
BINARY = bytes(range(256))


def structured(result) -> dict:
    assert not result.is_error, text(result)
    return result.structured_content


def upload_parts(req):
    """The multipart parts of one recorded upload."""
    assert req.method == "POST"
    assert req.headers["authorization"] == BASIC_AUTH
    assert int(req.headers["content-length"]) == len(req.body)
    return [(p.name, p.filename, p.content_type, p.data) for p in multipart_parts(req.headers["content-type"], req.body)]


async def test_function_upload_wire_format(connect, upstream, upload_mock) -> None:
    service, function = "ZS" + "1" * 32, "ZH" + "2" * 32
    async with connect(services="Serverless") as client:
        result = await client.call_tool(
            "ServerlessV1_CreateFunctionVersion",
            {
                "ServiceSid": service,
                "FunctionSid": function,
                "Path": "/api/hello",
                "Visibility": "protected",
                "Content": FUNCTION_CODE,
            },
        )
    version = structured(result)
    req = upstream.only()
    assert req.path == f"/v1/Services/{service}/Functions/{function}/Versions"
    assert req.query == ""
    assert req.headers["user-agent"].startswith("twilio-mcp/")
    assert upload_parts(req) == [
        ("Path", None, None, b"/api/hello"),
        ("Visibility", None, None, b"protected"),
        # A Function is JavaScript; its file is named after the path.
        ("Content", "hello", "application/javascript", FUNCTION_CODE.encode()),
    ]
    [upload] = upload_mock.uploads
    assert upload.authorization == BASIC_AUTH
    # The version's default fields, with the SID a Build needs.
    assert version == {
        "sid": upload.sid,
        "path": "/api/hello",
        "visibility": "protected",
        "date_created": "2026-01-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    "path, content, filename, content_type, data",
    [
        ("/index.html", {"Content": "<h1>Hi</h1>"}, "index.html", "text/html", b"<h1>Hi</h1>"),
        ("/css/site.css", {"Content": "h1{color:red}"}, "site.css", "text/css", b"h1{color:red}"),
        ("/data.json", {"Content": '{"a": 1}'}, "data.json", "application/json", b'{"a": 1}'),
        ("/notes.txt", {"Content": "é\r\n"}, "notes.txt", "text/plain", "é\r\n".encode()),
        ("/img/logo.png", {"ContentBase64": base64.b64encode(BINARY).decode()}, "logo.png", "image/png", BINARY),
        ("/hold.mp3", {"ContentBase64": base64.b64encode(BINARY).decode()}, "hold.mp3", "audio/mpeg", BINARY),
        ("/LICENSE", {"Content": "MIT"}, "LICENSE", "application/octet-stream", b"MIT"),
    ],
    ids=["html", "css", "json", "txt", "png-base64", "mp3-base64", "no-extension"],
)
async def test_asset_upload_types_follow_the_extension(
    server, upstream, path, content, filename, content_type, data
) -> None:
    service, asset = "ZS" + "1" * 32, "ZH" + "3" * 32
    async with Client(f"{server.url}?services=Serverless", mode="legacy") as client:
        result = await client.call_tool(
            "ServerlessV1_CreateAssetVersion",
            {"ServiceSid": service, "AssetSid": asset, "Path": path, "Visibility": "public"} | content,
        )
    structured(result)
    req = upstream.only()
    assert req.path == f"/v1/Services/{service}/Assets/{asset}/Versions"
    assert upload_parts(req) == [
        ("Path", None, None, path.encode()),
        ("Visibility", None, None, b"public"),
        ("Content", filename, content_type, data),
    ]


async def test_uploads_are_checked_before_anything_is_sent(server, upstream) -> None:
    base = {"ServiceSid": "ZS" + "1" * 32, "FunctionSid": "ZH" + "2" * 32, "Path": "/x", "Visibility": "public"}
    async with Client(f"{server.url}?services=Serverless", mode="legacy") as client:
        for extra, message in [
            ({}, "give at least one of Content, ContentBase64"),
            ({"Content": "a", "ContentBase64": "YQ=="}, "give only one of Content, ContentBase64"),
            ({"ContentBase64": "not base64!"}, "argument `ContentBase64` is not valid base64"),
            ({"Content": "a", "Visibility": "everyone"}, "argument `Visibility` must be one of public, protected, private"),
            ({"Content": "a", "FunctionSid": "nope"}, "argument `FunctionSid`"),
        ]:
            result = await client.call_tool("ServerlessV1_CreateFunctionVersion", base | extra)
            assert result.is_error, extra
            assert message in text(result), text(result)
    assert upstream.recorded() == []


async def test_read_only_servers_have_no_uploads(read_only_server, upstream) -> None:
    async with Client(f"{read_only_server.url}?services=Serverless", mode="legacy") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "ServerlessV1_ListFunctionVersion" in names
        assert not {"ServerlessV1_CreateFunctionVersion", "ServerlessV1_CreateAssetVersion"} & names
        with pytest.raises(Exception) as raised:
            await client.call_tool(
                "ServerlessV1_CreateFunctionVersion",
                {"ServiceSid": "ZS" + "1" * 32, "FunctionSid": "ZH" + "2" * 32, "Path": "/x",
                 "Visibility": "public", "Content": "x"},
            )
    assert "read-only" in str(raised.value), raised.value
    assert upstream.recorded() == []


async def test_an_upload_through_discovery_mode(server, upstream, upload_mock) -> None:
    async with Client(f"{server.url}?services=Serverless&mode=discover", mode="legacy") as client:
        described = await client.call_tool("describe_twilio_tool", {"name": "ServerlessV1_CreateAssetVersion"})
        schema = structured(described)["inputSchema"]
        assert {"Content", "ContentBase64", "Path", "Visibility"} <= set(schema["properties"])
        called = await client.call_tool(
            "call_twilio_tool",
            {
                "name": "ServerlessV1_CreateAssetVersion",
                "arguments": {"ServiceSid": "ZS" + "1" * 32, "AssetSid": "ZH" + "3" * 32, "Path": "/a.css",
                              "Visibility": "public", "Content": "a{}"},
            },
        )
    assert structured(called)["sid"] == upload_mock.uploads[0].sid
    assert upload_parts(upstream.only())[2] == ("Content", "a.css", "text/css", b"a{}")


async def test_deploy_from_an_agent(server, upstream, upload_mock) -> None:
    """The README's "Deploy from an agent" walkthrough, call for call."""
    building = upstream.inject(
        lambda r: r.method == "GET" and r.path.endswith("/Status") and building.hits == 0,
        200,
        {"sid": "ZB" + "0" * 32, "account_sid": "AC" + "0" * 32, "service_sid": "ZS" + "0" * 32,
         "status": "building", "url": "https://serverless.twilio.com/v1/Services/x/Builds/y/Status"},
    )
    async with Client(f"{server.url}?services=Serverless", mode="legacy") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"ServerlessV1_CreateFunctionVersion", "ServerlessV1_CreateAssetVersion",
                "ServerlessV1_FetchBuildStatus"} <= tools

        async def call(name: str, arguments: dict) -> dict:
            return structured(await client.call_tool(name, arguments))

        service = (await call("ServerlessV1_CreateService", {"UniqueName": "hello-agent", "FriendlyName": "Hello agent"}))["sid"]
        function = (await call("ServerlessV1_CreateFunction", {"ServiceSid": service, "FriendlyName": "hello"}))["sid"]
        function_version = (
            await call(
                "ServerlessV1_CreateFunctionVersion",
                {"ServiceSid": service, "FunctionSid": function, "Path": "/hello", "Visibility": "public",
                 "Content": FUNCTION_CODE},
            )
        )["sid"]
        asset = (await call("ServerlessV1_CreateAsset", {"ServiceSid": service, "FriendlyName": "logo"}))["sid"]
        asset_version = (
            await call(
                "ServerlessV1_CreateAssetVersion",
                {"ServiceSid": service, "AssetSid": asset, "Path": "/logo.png", "Visibility": "public",
                 "ContentBase64": base64.b64encode(BINARY).decode()},
            )
        )["sid"]
        build = (
            await call(
                "ServerlessV1_CreateBuild",
                {"ServiceSid": service, "FunctionVersions": [function_version], "AssetVersions": [asset_version],
                 "Dependencies": json.dumps([{"name": "twilio", "version": "5.0.0"}])},
            )
        )["sid"]
        statuses = []
        while not statuses or statuses[-1] not in ("completed", "failed"):
            assert len(statuses) < 5, statuses
            statuses.append((await call("ServerlessV1_FetchBuildStatus", {"ServiceSid": service, "Sid": build}))["status"])
        environment = (
            await call("ServerlessV1_CreateEnvironment", {"ServiceSid": service, "UniqueName": "production"})
        )["sid"]
        await call("ServerlessV1_CreateDeployment", {"ServiceSid": service, "EnvironmentSid": environment, "BuildSid": build})
        domain = (await call("ServerlessV1_FetchEnvironment", {"ServiceSid": service, "Sid": environment}))["domain_name"]

    assert statuses == ["building", "completed"]
    assert building.hits == 1
    assert domain.endswith(".twil.io"), domain
    # The uploads: the stand-in's own version SIDs, not Prism's examples.
    assert [u.sid for u in upload_mock.uploads] == [function_version, asset_version]
    assert function_version != asset_version

    calls = [(r.method, r.path) for r in upstream.recorded()]
    assert calls == [
        ("POST", "/v1/Services"),
        ("POST", f"/v1/Services/{service}/Functions"),
        ("POST", f"/v1/Services/{service}/Functions/{function}/Versions"),
        ("POST", f"/v1/Services/{service}/Assets"),
        ("POST", f"/v1/Services/{service}/Assets/{asset}/Versions"),
        ("POST", f"/v1/Services/{service}/Builds"),
        ("GET", f"/v1/Services/{service}/Builds/{build}/Status"),
        ("GET", f"/v1/Services/{service}/Builds/{build}/Status"),
        ("POST", f"/v1/Services/{service}/Environments"),
        ("POST", f"/v1/Services/{service}/Environments/{environment}/Deployments"),
        ("GET", f"/v1/Services/{service}/Environments/{environment}"),
    ]
    reqs = upstream.recorded()
    for req in reqs:
        assert req.headers["authorization"] == BASIC_AUTH
    # The wiring: what each call was given.
    assert sorted(reqs[0].form()) == [("FriendlyName", "Hello agent"), ("UniqueName", "hello-agent")]
    assert upload_parts(reqs[2]) == [
        ("Path", None, None, b"/hello"),
        ("Visibility", None, None, b"public"),
        ("Content", "hello", "application/javascript", FUNCTION_CODE.encode()),
    ]
    assert upload_parts(reqs[4])[2] == ("Content", "logo.png", "image/png", BINARY)
    build_form = reqs[5].form()
    assert [v for k, v in build_form if k == "FunctionVersions"] == [function_version]
    assert [v for k, v in build_form if k == "AssetVersions"] == [asset_version]
    assert ("Dependencies", '[{"name": "twilio", "version": "5.0.0"}]') in build_form
    assert reqs[8].form() == [("UniqueName", "production")]
    assert reqs[9].form() == [("BuildSid", build)]
