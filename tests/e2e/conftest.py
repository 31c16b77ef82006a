"""Fixtures for the end-to-end tests: Prism mocks of Twilio behind a recording
proxy, and `twilio-mcp serve` processes pointed at that proxy.

    MCP client (Python SDK) -> twilio-mcp -> recording proxy -> Prism (api_v2010, content_v1,
                                                                serverless_v1)
                                                             -> upload mock (serverless-upload)
                  |      (oidc: oidc-provider, the authorization server of the OAuth tests)

One set of peers serves the whole session; each test starts with an empty
request log (`upstream`). Servers are started once per configuration
(`server`, `read_only_server`, `no_credentials_server`, or `launch_server`
for your own flags and environment) and stopped at the end of the session.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

import harness
from harness import CREDENTIAL_ENV, Prism, RecordingProxy, ServerProcess, UploadMock, is_upload, stdio_params


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Spec copies, logs and the servers' working directory (no `.env` there)."""
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def mocks(e2e_dir: Path) -> Iterator[dict[str, Prism]]:
    """Prism on the patched api_v2010 and serverless_v1 specs and on content_v1
    (a JSON-body API)."""
    started = {
        "api_v2010": Prism(harness.patched_api_spec(e2e_dir), e2e_dir / "prism-api_v2010.log"),
        "content_v1": Prism(harness.SPECS / "twilio_content_v1.json", e2e_dir / "prism-content_v1.log"),
        "serverless_v1": Prism(
            harness.patched_spec(e2e_dir, "twilio_serverless_v1"), e2e_dir / "prism-serverless_v1.log"
        ),
    }
    try:
        for prism in started.values():
            prism.wait_ready()
        yield started
    finally:
        for prism in started.values():
            prism.stop()


@pytest.fixture(scope="session")
def upload_mock() -> Iterator[UploadMock]:
    mock = UploadMock()
    yield mock
    mock.close()


@pytest.fixture(scope="session")
def recording_proxy(mocks: dict[str, Prism], upload_mock: UploadMock) -> Iterator[RecordingProxy]:
    proxy = RecordingProxy(
        routes={
            "/2010-04-01/": mocks["api_v2010"].port,
            "/v1/Content": mocks["content_v1"].port,
            "/v1/Services": mocks["serverless_v1"].port,
        },
        # The base-URL override sends serverless-upload.twilio.com's requests
        # here too: its uploads go to the upload mock.
        rules=[(is_upload, upload_mock.port)],
    )
    yield proxy
    proxy.close()


@pytest.fixture
def upstream(recording_proxy: RecordingProxy, upload_mock: UploadMock) -> RecordingProxy:
    """The proxy, with an empty log and no injections for this test (and the
    upload mock with no uploads)."""
    recording_proxy.clear()
    upload_mock.clear()
    yield recording_proxy
    recording_proxy.clear()
    upload_mock.clear()


@pytest.fixture(scope="session")
def launch_server(e2e_dir: Path, recording_proxy: RecordingProxy) -> Iterator[Callable[..., ServerProcess]]:
    """`launch_server(name, env=None, args=(), credentials=True, port=None)`
    starts an HTTP server talking to the proxy; it is stopped at the end of
    the session."""
    running: list[ServerProcess] = []

    def launch(
        name: str, env: dict[str, str] | None = None, args=(), credentials: bool = True, port: int | None = None
    ) -> ServerProcess:
        full = {"TWILIO_API_BASE_URL": recording_proxy.url}
        if credentials:
            full |= CREDENTIAL_ENV
        full |= env or {}
        server = ServerProcess(name, e2e_dir, full, list(args), port=port)
        running.append(server)
        return server

    yield launch
    for server in running:
        server.stop()


@pytest.fixture(scope="session")
def server(launch_server) -> ServerProcess:
    return launch_server("default")


@pytest.fixture(scope="session")
def read_only_server(launch_server) -> ServerProcess:
    return launch_server("read-only", args=["--read-only"])


@pytest.fixture(scope="session")
def no_credentials_server(launch_server) -> ServerProcess:
    return launch_server("no-credentials", credentials=False)


@pytest.fixture(scope="session")
def oidc(e2e_dir: Path) -> Iterator[harness.OidcProvider]:
    """A real authorization server (oidc-provider) for the session."""
    provider = harness.OidcProvider(e2e_dir)
    yield provider
    provider.stop()


TRANSPORTS = ["http-legacy", "http-auto", "stdio-legacy", "stdio-auto"]


@pytest.fixture(params=TRANSPORTS)
def connect(request, server: ServerProcess, e2e_dir: Path, recording_proxy: RecordingProxy):
    """`async with connect() as client:` a real SDK client over one transport
    and protocol era (initialize handshake or `server/discover`), against the
    default server (HTTP) or a fresh `serve --stdio` process;
    `connect(services="Serverless")` selects other services (`?services=`
    over HTTP, `--services` over stdio)."""
    transport, mode = request.param.split("-")

    @contextlib.asynccontextmanager
    async def open_client(services: str | None = None) -> AsyncIterator[Client]:
        if transport == "http":
            url = server.url if services is None else f"{server.url}?services={services}"
            async with Client(url, mode=mode) as client:
                yield client
        else:
            # The SDK inherits only a safe list of variables; stderr goes to a
            # file so the secrets test can read it.
            with (e2e_dir / "server-stdio.log").open("a") as errlog:
                args = () if services is None else ("--services", services)
                params = stdio_params(e2e_dir, recording_proxy.url, args=args)
                async with Client(stdio_client(params, errlog=errlog), mode=mode) as client:
                    yield client

    open_client.mode = mode
    return open_client
