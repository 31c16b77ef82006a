"""The OAuth 2.1 resource server against a REAL authorization server.

    MCP client (Python SDK's OAuth providers, or raw HTTP)
        -> twilio-mcp --oauth-issuer <oidc-provider>  -> recording proxy -> Prism
        -> oidc-provider (metadata, /token, /auth, /reg, /jwks, introspection)

Tokens come from oidc-provider's own endpoints (client credentials;
authorization code + PKCE, headless), or are signed with its own private
keys when a test needs a token it would never issue. The official SDK
discovers everything from the server's 401. Every refusal is checked to
send nothing upstream.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import httpx
import httpx2
import jwt
import pytest
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from harness import BASIC_AUTH, MESSAGING_TOOL_COUNT, RAW_HEADERS, free_port, text
from tokens import Minter, provider_token

pytestmark = pytest.mark.anyio

REDIRECT = "http://127.0.0.1:53682/callback"
WRITE_CALL = ("ApiV2010_CreateMessage", {"To": "+15558675310", "From": "+15017122661", "Body": "hi"})
READ_CALL = ("ApiV2010_ListMessage", {"PageSize": 1})
# Every token a test sent: none may appear in a log (checked last).
SENT: list[str] = []


def launch_oauth_server(launch_server, oidc, name: str, extra_args=()):
    port = free_port()
    return launch_server(
        name,
        env={"TWILIO_MCP_OAUTH_CLIENT_SECRET": "mcp-resource-server-secret"},
        args=[
            "--oauth-issuer", oidc.issuer,
            "--public-url", f"http://127.0.0.1:{port}",
            "--oauth-client-id", "mcp-resource-server",
            *extra_args,
        ],
        port=port,
    )


@pytest.fixture(scope="module")
def oauth_server(launch_server, oidc):
    return launch_oauth_server(launch_server, oidc, "oauth")


def metadata_url(server) -> str:
    return f"{server.base}/.well-known/oauth-protected-resource/mcp"


def rpc(method: str, params: dict | None = None, id_: int = 1) -> dict:
    message = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


def tool_call(name: str, arguments: dict) -> dict:
    return rpc("tools/call", {"name": name, "arguments": arguments}, 2)


def post(server, message: dict, token: str | None = None, query: str = "") -> httpx.Response:
    headers = dict(RAW_HEADERS)
    if token is not None:
        SENT.append(token)
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(server.url + query, json=message, headers=headers, timeout=30)


# --------------------------------------------------------------------------- SDK pieces


class MemoryStorage(TokenStorage):
    def __init__(self, client_info: OAuthClientInformationFull | None = None, tokens: OAuthToken | None = None):
        self.client_info, self.tokens = client_info, tokens

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens
        SENT.append(tokens.access_token)

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


class HeadlessBrowser:
    """The SDK's redirect and callback handlers: "opens" the authorization URL
    by following the provider's redirects (its headless login and consent) up
    to the loopback redirect URI, which is never called."""

    def __init__(self):
        self.opened: list[str] = []
        self.result: dict[str, str] = {}

    async def redirect_handler(self, url: str) -> None:
        self.opened.append(url)
        self.result = await follow_to_redirect(url)

    async def callback_handler(self) -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=self.result["code"], state=self.result.get("state"), iss=self.result.get("iss"))


async def follow_to_redirect(url: str) -> dict[str, str]:
    async with httpx.AsyncClient(follow_redirects=False) as client:
        for _ in range(20):
            if url.startswith(REDIRECT):
                return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
            r = await client.get(url)
            assert r.status_code in (302, 303), f"authorization stopped at {url}: {r.status_code} {r.text[:300]}"
            url = urljoin(url, r.headers["location"])
    raise AssertionError("too many redirects")


def recording_client(auth: httpx2.Auth, log: list[str]) -> httpx2.AsyncClient:
    async def on_request(request: httpx2.Request):
        log.append(f"{request.method} {request.url}")

    async def on_response(response: httpx2.Response):
        log.append(f"<- {response.status_code} {response.request.method} {response.request.url.path}")

    return httpx2.AsyncClient(
        auth=auth, event_hooks={"request": [on_request], "response": [on_response]}, timeout=httpx2.Timeout(30.0)
    )


async def code_flow_token(oidc, resource: str, scope: str) -> str:
    """Authorization code + PKCE through the provider's real endpoints, as the
    pre-registered public client `mcp-native`."""
    meta = httpx.get(f"{oidc.issuer}/.well-known/openid-configuration").json()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(8)
    query = urlencode({
        "response_type": "code", "client_id": "mcp-native", "redirect_uri": REDIRECT, "scope": scope,
        "resource": resource, "code_challenge": challenge, "code_challenge_method": "S256", "state": state,
    })
    answer = await follow_to_redirect(f"{meta['authorization_endpoint']}?{query}")
    assert answer["state"] == state and answer["iss"] == oidc.issuer, answer
    r = httpx.post(meta["token_endpoint"], data={
        "grant_type": "authorization_code", "code": answer["code"], "redirect_uri": REDIRECT,
        "client_id": "mcp-native", "code_verifier": verifier, "resource": resource,
    })
    r.raise_for_status()
    assert r.json()["scope"] == scope
    return r.json()["access_token"]


# --------------------------------------------------------------------------- discovery


def test_metadata_is_published_only_with_oauth(oauth_server, server, oidc) -> None:
    expected = {
        "resource": oauth_server.url,
        "authorization_servers": [oidc.issuer],
        "scopes_supported": ["twilio:read", "twilio:write"],
        "bearer_methods_supported": ["header"],
        "resource_name": "Twilio MCP server",
    }
    for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"):
        r = httpx.get(oauth_server.base + path)
        assert r.status_code == 200, (path, r.text)
        assert r.json() == expected
        # The server without OAuth has no such document (clients would stop sending their headers).
        assert httpx.get(server.base + path).status_code == 404


def test_no_token_is_401_naming_the_metadata(oauth_server, upstream) -> None:
    r = post(oauth_server, rpc("tools/list"))
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == f'Bearer resource_metadata="{metadata_url(oauth_server)}"'
    assert set(r.json()) == {"error"}
    # A GET to /mcp (the SSE stream) too.
    assert httpx.get(oauth_server.url, headers={"Accept": "text/event-stream"}).status_code == 401
    assert upstream.recorded() == []


# --------------------------------------------------------------------------- the SDK's flows


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_sdk_client_credentials_discovers_from_the_401(oauth_server, oidc, upstream, mode) -> None:
    storage = MemoryStorage()
    auth = ClientCredentialsOAuthProvider(
        server_url=oauth_server.url, storage=storage, client_id="mcp-cc-es256",
        client_secret="mcp-cc-es256-secret", issuer=oidc.issuer,
    )
    log: list[str] = []
    async with Client(streamable_http_client(oauth_server.url, http_client=recording_client(auth, log)), mode=mode) as client:
        tools = (await client.list_tools()).tools
        assert len(tools) == MESSAGING_TOOL_COUNT
        listed = await client.call_tool(*READ_CALL)
        assert not listed.is_error, text(listed)
    assert log[1].startswith("<- 401"), log
    assert f"GET {metadata_url(oauth_server)}" in log, log
    assert any(line.startswith(f"POST {oidc.issuer}/token") for line in log), log
    # The token is ES256, for this server, from the real token endpoint.
    token = storage.tokens.access_token
    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == oauth_server.url
    # Twilio got the server's own API key, never the client's token.
    sent = upstream.only()
    assert sent.headers["authorization"] == BASIC_AUTH
    assert token not in str(sent.headers)
    assert "caller=oauth:mcp-cc-es256" in oauth_server.log_text()


async def test_sdk_authorization_code_pkce_with_dynamic_registration(oauth_server, upstream) -> None:
    storage = MemoryStorage()
    browser = HeadlessBrowser()
    auth = OAuthClientProvider(
        server_url=oauth_server.url,
        client_metadata=OAuthClientMetadata(
            client_name="twilio-mcp e2e", redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage, redirect_handler=browser.redirect_handler, callback_handler=browser.callback_handler,
    )
    log: list[str] = []
    async with Client(streamable_http_client(oauth_server.url, http_client=recording_client(auth, log)), mode="legacy") as client:
        assert len((await client.list_tools()).tools) == MESSAGING_TOOL_COUNT
        sent = await client.call_tool(*WRITE_CALL)
        assert not sent.is_error, text(sent)
        assert sent.structured_content["sid"].startswith("SM")
    assert any(line.startswith("POST") and line.endswith("/reg") for line in log), log
    assert storage.client_info.client_id not in ("", "mcp-native")
    query = parse_qs(urlparse(browser.opened[0]).query)
    assert query["resource"] == [oauth_server.url]
    assert query["code_challenge_method"] == ["S256"]
    assert set(query["scope"][0].split()) >= {"twilio:read", "twilio:write"}
    assert [r.method for r in upstream.recorded()] == ["POST"]
    assert "caller=oauth:test-user" in oauth_server.log_text()


async def test_sdk_steps_up_from_a_read_token_to_write(oauth_server, oidc, upstream) -> None:
    # A read-only token for the pre-registered client, through the real code + PKCE flow.
    read_token = await code_flow_token(oidc, oauth_server.url, "twilio:read")
    storage = MemoryStorage(
        client_info=OAuthClientInformationFull(
            client_id="mcp-native", token_endpoint_auth_method="none", redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
        ),
        tokens=OAuthToken(access_token=read_token, token_type="Bearer", expires_in=600, scope="twilio:read"),
    )
    SENT.append(read_token)
    browser = HeadlessBrowser()
    auth = OAuthClientProvider(
        server_url=oauth_server.url,
        client_metadata=OAuthClientMetadata(redirect_uris=[REDIRECT], token_endpoint_auth_method="none"),
        storage=storage, redirect_handler=browser.redirect_handler, callback_handler=browser.callback_handler,
    )
    log: list[str] = []
    async with Client(streamable_http_client(oauth_server.url, http_client=recording_client(auth, log)), mode="legacy") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "ApiV2010_ListMessage" in names and WRITE_CALL[0] not in names, names
        assert browser.opened == [], "the stored read token was used as it is"
        sent = await client.call_tool(*WRITE_CALL)
        assert not sent.is_error, text(sent)
    assert any(line.startswith("<- 403 POST /mcp") for line in log), log
    assert len(browser.opened) == 1, "one re-authorization"
    asked = set(parse_qs(urlparse(browser.opened[0]).query)["scope"][0].split())
    assert {"twilio:read", "twilio:write"} <= asked, asked
    assert "twilio:write" in storage.tokens.scope.split()
    # The write reached Twilio once, after the step-up.
    assert [r.method for r in upstream.recorded()] == ["POST"]


# --------------------------------------------------------------------------- scopes


def test_a_read_token_cannot_write(oauth_server, oidc, upstream) -> None:
    token = provider_token(oidc.issuer, oauth_server.url, client="mcp-cc-read", scope="twilio:read")
    SENT.append(token)
    for query, message in (
        ("", tool_call(*WRITE_CALL)),
        ("?mode=discover", tool_call("call_twilio_tool", {"name": WRITE_CALL[0], "arguments": WRITE_CALL[1]})),
    ):
        r = post(oauth_server, message, token, query)
        assert r.status_code == 403, (query, r.status_code, r.text)
        assert r.headers["www-authenticate"] == (
            f'Bearer error="insufficient_scope", scope="twilio:write", resource_metadata="{metadata_url(oauth_server)}"'
        )
        assert "twilio:write" in r.json()["error"]
    assert upstream.recorded() == [], "a refused write reached Twilio"
    # The same token reads.
    r = post(oauth_server, tool_call(*READ_CALL), token)
    assert r.status_code == 200 and r.json()["result"]["isError"] is False, r.text
    assert len(upstream.recorded()) == 1
    # The client is limited to twilio:read at the provider: asking for more is refused there.
    meta = httpx.get(f"{oidc.issuer}/.well-known/openid-configuration").json()
    denied = httpx.post(meta["token_endpoint"], auth=("mcp-cc-read", "mcp-cc-read-secret"), data={
        "grant_type": "client_credentials", "resource": oauth_server.url, "scope": "twilio:write"})
    assert denied.status_code == 400 and denied.json()["error"] == "invalid_scope"


def test_a_service_scope_narrows_and_steps_up_per_service(oauth_server, oidc, upstream) -> None:
    token = provider_token(oidc.issuer, oauth_server.url, scope="twilio:write twilio:services:Voice")
    SENT.append(token)
    listed = post(oauth_server, rpc("tools/list"), token)
    names = {t["name"] for t in listed.json()["result"]["tools"]}
    assert "ApiV2010_CreateCall" in names and "ApiV2010_CreateMessage" not in names
    r = post(oauth_server, tool_call(*WRITE_CALL), token, "?services=Messaging")
    assert r.status_code == 403
    assert 'scope="twilio:services:Messaging"' in r.headers["www-authenticate"]
    assert upstream.recorded() == []


# --------------------------------------------------------------------------- refusals


@pytest.fixture(scope="module")
def negative_tokens(oauth_server, oidc) -> dict[str, str]:
    other = provider_token(oidc.issuer, f"http://127.0.0.1:{free_port()}/mcp")
    return Minter(oidc.issuer, oauth_server.url, oidc.keys()).bad(other)


def test_good_minted_tokens_are_accepted(oauth_server, oidc, upstream) -> None:
    for name, token in Minter(oidc.issuer, oauth_server.url, oidc.keys()).good().items():
        r = post(oauth_server, tool_call(*READ_CALL), token)
        assert r.status_code == 200 and r.json()["result"]["isError"] is False, (name, r.status_code, r.text)
    assert len(upstream.recorded()) == 5


NEGATIVE = [
    "expired", "not-yet-valid", "wrong-audience", "audience-origin-only", "other-resource", "wrong-issuer",
    "issuer-trailing-slash", "iss-array", "missing-exp", "missing-aud", "missing-sub", "exp-not-a-number",
    "nbf-not-a-number", "aud-number", "unknown-kid", "stranger-key-known-kid", "no-kid", "alg-none",
    "alg-none-with-signature", "hs256-with-public-key-pem", "hs256-with-public-key-der", "tampered-payload",
    "tampered-signature", "es256-signature-on-rsa-kid", "embedded-jwk", "jku-injection", "typ-jwt",
    "crit-unknown", "not-a-jwt", "garbage", "oversized",
]


@pytest.mark.parametrize("name", NEGATIVE)
def test_a_bad_token_is_401_and_sends_nothing(oauth_server, negative_tokens, upstream, name) -> None:
    r = post(oauth_server, tool_call(*WRITE_CALL), negative_tokens[name])
    assert r.status_code == 401, (name, r.status_code, r.text)
    assert r.headers["www-authenticate"] == (
        f'Bearer error="invalid_token", resource_metadata="{metadata_url(oauth_server)}"'
    )
    assert r.json() == {"error": "invalid access token"}
    assert upstream.recorded() == []


def test_negative_tokens_cover_the_list(negative_tokens) -> None:
    assert sorted(negative_tokens) == sorted(NEGATIVE)


def test_opaque_tokens_are_introspected(oauth_server, oidc, upstream) -> None:
    token = provider_token(oidc.issuer, oauth_server.url, client="mcp-cc-opaque", scope="twilio:read")
    assert token.count(".") != 2, "an opaque token"
    SENT.append(token)
    r = post(oauth_server, tool_call(*READ_CALL), token)
    assert r.status_code == 200 and r.json()["result"]["isError"] is False, r.text
    r = post(oauth_server, tool_call(*WRITE_CALL), token)
    assert r.status_code == 403, "twilio:read only"
    r = post(oauth_server, tool_call(*READ_CALL), "opaque-but-unknown-to-the-provider")
    assert r.status_code == 401
    assert len(upstream.recorded()) == 1
    assert "caller=oauth:mcp-cc-opaque" in oauth_server.log_text()


def test_jwks_down_fails_closed_then_recovers(launch_server, oidc, upstream) -> None:
    oidc.jwks("down")
    try:
        fresh = launch_oauth_server(launch_server, oidc, "oauth-jwks-down")
        token = provider_token(oidc.issuer, fresh.url)
        SENT.append(token)
        r = post(fresh, tool_call(*WRITE_CALL), token)
        assert r.status_code == 503, (r.status_code, r.text)
        assert r.json()["error"].startswith("access tokens cannot be checked now")
        assert upstream.recorded() == []
        log = fresh.log_text()
        assert "cannot fetch the authorization server's signing keys" in log or "cannot be used yet" in log, log
        assert "access tokens cannot be checked (fail closed)" in log, log
    finally:
        oidc.jwks("up")
    time.sleep(1.2)
    r = post(fresh, tool_call(*READ_CALL), token)
    assert r.status_code == 200, r.text
    assert len(upstream.recorded()) == 1


def test_cached_keys_outlive_a_jwks_outage(oauth_server, oidc, upstream) -> None:
    token = provider_token(oidc.issuer, oauth_server.url)
    SENT.append(token)
    assert post(oauth_server, tool_call(*READ_CALL), token).status_code == 200
    oidc.jwks("down")
    try:
        time.sleep(2.1)
        assert post(oauth_server, tool_call(*READ_CALL), token).status_code == 200
    finally:
        oidc.jwks("up")
    assert len(upstream.recorded()) == 2


# --------------------------------------------------------------------------- last: logs


def test_no_token_ever_appears_in_a_log(oauth_server, e2e_dir) -> None:
    assert SENT, "the tests above sent tokens"
    logs = "".join(p.read_text(errors="replace") for p in e2e_dir.glob("server-oauth*.log"))
    assert "caller=oauth:" in logs
    checked = 0
    for token in set(SENT):
        # A 20-character piece of its last part would betray a token.
        part = token.split(".")[-1]
        if len(part) >= 20:
            checked += 1
            assert part[:20] not in logs, "a token reached the log"
    assert checked > 10
