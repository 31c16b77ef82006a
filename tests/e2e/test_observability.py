"""Metrics (`/metrics`, checked by Prometheus's own `promtool`), readiness and
drain, and OpenTelemetry traces exported to a local OTLP receiver that
decodes them with the OpenTelemetry project's protobuf classes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from harness import (
    MESSAGE_SID,
    RAW_HEADERS,
    OtlpReceiver,
    ServerProcess,
    free_port,
    port_open,
    wait_until,
)

MESSAGE_PATH = "/Messages/" + MESSAGE_SID + ".json"
TWILIO_404 = {"code": 20404, "message": "The requested resource was not found", "status": 404}


def rpc(url: str, method: str, params: dict | None = None, id_=1, headers: dict | None = None) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        body["params"] = params
    return httpx.post(url, json=body, headers=RAW_HEADERS | (headers or {}), timeout=30)


def fetch_message(url: str, meta: dict | None = None, headers: dict | None = None, id_=1) -> httpx.Response:
    params = {"name": "ApiV2010_FetchMessage", "arguments": {"Sid": MESSAGE_SID}}
    if meta is not None:
        params["_meta"] = meta
    return rpc(url, "tools/call", params, id_=id_, headers=headers)


# --- metrics -------------------------------------------------------------------

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(base: str) -> tuple[str, dict[tuple[str, frozenset], float]]:
    resp = httpx.get(f"{base}/metrics", timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4"), resp.headers
    samples = {}
    for line in resp.text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return resp.text, samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def promtool_check(text: str) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed: apt-get install prometheus (.ci/run does)"
    run = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, f"promtool check metrics failed:\n{run.stdout}{run.stderr}"


def test_metrics_count_requests_calls_and_errors(launch_server, upstream) -> None:
    server = launch_server("metrics")
    url = server.url
    assert rpc(url, "tools/list").status_code == 200
    ok = fetch_message(url)
    assert ok.status_code == 200 and not ok.json()["result"].get("isError"), ok.text
    upstream.inject(lambda r: r.path.endswith(MESSAGE_PATH), 404, TWILIO_404)
    failed = fetch_message(url, id_=2)
    assert failed.json()["result"]["isError"] is True, failed.text
    evil = 'Evil"Tool{x="1"}\n'
    unknown = rpc(url, "tools/call", {"name": evil, "arguments": {}}, id_=3)
    assert unknown.json()["error"]["code"] == -32602
    assert rpc(url, "no/such-method\u2603", id_=4).json()["error"]["code"] == -32601
    assert httpx.post(url, content=b"{", headers=RAW_HEADERS).status_code == 400

    text, samples = scrape(server.base)
    promtool_check(text)
    count = "mcp_server_operation_duration_seconds_count"
    assert value(samples, count, mcp_method_name="tools/list", gen_ai_tool_name="", error_type="") == 1
    tool = "ApiV2010_FetchMessage"
    assert value(samples, count, mcp_method_name="tools/call", gen_ai_tool_name=tool, error_type="") == 1
    assert value(samples, count, mcp_method_name="tools/call", gen_ai_tool_name=tool, error_type="tool_error") == 1
    assert value(samples, count, mcp_method_name="tools/call", gen_ai_tool_name="_unknown", error_type="-32602") == 1
    assert value(samples, count, mcp_method_name="_other", gen_ai_tool_name="", error_type="-32601") == 1
    assert value(samples, count, mcp_method_name="_invalid", gen_ai_tool_name="", error_type="-32700") == 1
    up = "twilio_mcp_upstream_request_duration_seconds_count"
    assert value(samples, up, gen_ai_tool_name=tool, http_response_status_code="200") == 1
    assert value(samples, up, gen_ai_tool_name=tool, http_response_status_code="404") == 1
    # Latency is observed: the sum of two real upstream calls is positive.
    assert value(samples, "twilio_mcp_upstream_request_duration_seconds_sum",
                 gen_ai_tool_name=tool, http_response_status_code="200") > 0
    assert value(samples, "twilio_mcp_requests_in_flight") == 0
    info = [k for k in samples if k[0] == "twilio_mcp_build_info"]
    assert len(info) == 1 and dict(info[0][1])["tools"] == "1409" and samples[info[0]] == 1, info
    assert dict(info[0][1])["spec_pin"].startswith("@twilio-alpha/mcp@")
    # Nothing the client wrote became a label.
    assert "Evil" not in text and "such-method" not in text


def sign(token: str, url: str) -> str:
    return base64.b64encode(hmac.new(token.encode(), url.encode(), hashlib.sha1).digest()).decode()


def test_metrics_bind_is_unsigned_and_counts_auth_failures(launch_server) -> None:
    metrics_port = free_port()
    token = "metrics-test-token"
    server = launch_server(
        "metrics-bind",
        env={"TWILIO_AUTH_TOKEN": token},
        args=["--metrics-bind", f"127.0.0.1:{metrics_port}"],
    )
    # /metrics is on its own listener only.
    assert httpx.get(f"{server.base}/metrics").status_code == 404
    assert rpc(server.url, "tools/list").status_code == 401
    assert rpc(server.url, "tools/list", headers={"X-Twilio-Signature": "bm90IGl0"}).status_code == 403
    signed = rpc(server.url, "tools/list", headers={"X-Twilio-Signature": sign(token, server.url)})
    assert signed.status_code == 200, signed.text
    text, samples = scrape(f"http://127.0.0.1:{metrics_port}")  # no signature needed
    promtool_check(text)
    failures = "twilio_mcp_auth_failures_total"
    assert value(samples, failures, reason="missing_signature") == 1
    assert value(samples, failures, reason="invalid_signature") == 1
    assert value(samples, failures, reason="body_hash_mismatch") == 0  # listed from the start
    # Only the signed request reached MCP.
    count = "mcp_server_operation_duration_seconds_count"
    assert value(samples, count, mcp_method_name="tools/list", gen_ai_tool_name="", error_type="") == 1


# --- readiness and drain -------------------------------------------------------


def test_sigterm_drains_then_stops(e2e_dir: Path, recording_proxy) -> None:
    server = ServerProcess(
        "drain", e2e_dir, {"TWILIO_API_BASE_URL": recording_proxy.url, "TWILIO_MCP_DRAIN_DELAY": "2"}
    )
    try:
        assert httpx.get(f"{server.base}/readyz").text == "ready\n"
        assert httpx.get(f"{server.base}/healthz").text == "ok"
        # A kept-alive connection from before the signal.
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/readyz")
        assert conn.getresponse().read() == b"ready\n"
        sent = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: httpx.get(f"{server.base}/readyz").status_code == 503, 2, "/readyz to answer 503")
        # Still serving while draining, and telling clients to close.
        resp = rpc(server.url, "tools/list")
        assert resp.status_code == 200 and resp.headers["connection"] == "close"
        conn.request("GET", "/readyz")
        answer = conn.getresponse()
        assert answer.status == 503 and answer.getheader("connection") == "close"
        assert answer.read() == b"draining\n"
        assert server.proc.wait(10) == 0
        took = time.monotonic() - sent
        assert 2 <= took < 6, took
        assert not port_open(server.port)
        assert "draining" in server.log_text()
    finally:
        server.stop()


def test_sigint_stops_without_the_drain_delay(e2e_dir: Path, recording_proxy) -> None:
    server = ServerProcess(
        "sigint", e2e_dir, {"TWILIO_API_BASE_URL": recording_proxy.url, "TWILIO_MCP_DRAIN_DELAY": "30"}
    )
    try:
        sent = time.monotonic()
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(10) == 0
        assert time.monotonic() - sent < 5
    finally:
        server.stop()


# --- traces --------------------------------------------------------------------


@pytest.fixture(scope="module")
def otlp() -> OtlpReceiver:
    receiver = OtlpReceiver()
    yield receiver
    receiver.close()


def traced_server(launch_server, otlp: OtlpReceiver, name: str, args=()) -> ServerProcess:
    # Export every 100 ms instead of the SDK's 5 s.
    return launch_server(
        name,
        env={"OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_SERVICE_NAME": f"twilio-mcp-{name}"},
        args=["--otlp-endpoint", otlp.url, *args],
    )


def spans_of(otlp: OtlpReceiver, service: str, trace_id: str, count: int):
    spans = otlp.wait_for(
        lambda spans: len([s for s in spans if s.trace_id == trace_id and s.resource.get("service.name") == service])
        >= count
    )
    return [s for s in spans if s.trace_id == trace_id and s.resource.get("service.name") == service]


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


def test_tool_call_span_and_upstream_child(launch_server, otlp, upstream) -> None:
    server = traced_server(launch_server, otlp, "traced")
    resp = fetch_message(server.url, meta={"traceparent": TRACEPARENT}, headers={"MCP-Protocol-Version": "2025-11-25"})
    assert not resp.json()["result"].get("isError"), resp.text
    spans = spans_of(otlp, "twilio-mcp-traced", TRACE_ID, 2)
    assert otlp.content_types and all(ct == "application/x-protobuf" for ct in otlp.content_types)
    (call,) = [s for s in spans if s.kind == "SERVER"]
    (child,) = [s for s in spans if s.kind == "CLIENT"]
    assert call.name == "tools/call ApiV2010_FetchMessage"
    assert call.parent_span_id == PARENT_ID  # from params._meta.traceparent
    assert call.attributes["mcp.method.name"] == "tools/call"
    assert call.attributes["gen_ai.tool.name"] == "ApiV2010_FetchMessage"
    assert call.attributes["gen_ai.operation.name"] == "execute_tool"
    assert call.attributes["jsonrpc.request.id"] == "1"
    assert call.attributes["mcp.protocol.version"] == "2025-11-25"
    assert call.attributes["network.transport"] == "tcp"
    assert "error.type" not in call.attributes and call.status == "UNSET"
    assert child.parent_span_id == call.span_id
    assert child.name == "GET"
    assert child.attributes["http.request.method"] == "GET"
    assert child.attributes["http.response.status_code"] == 200
    assert child.attributes["url.template"] == "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"
    assert child.attributes["server.address"] == "127.0.0.1"
    assert call.resource["service.name"] == "twilio-mcp-traced"
    # Never arguments or results without --trace-arguments.
    everything = json.dumps([s.attributes for s in spans])
    assert MESSAGE_SID not in everything and "gen_ai.tool.call" not in everything


def test_header_trace_context_and_meta_precedence(launch_server, otlp, upstream) -> None:
    server = traced_server(launch_server, otlp, "traced-headers")
    header_trace = "0af7651916cd43dd8448eb211c80319c"
    header_parent = "b7ad6b7169203331"
    rpc(server.url, "tools/list", headers={"traceparent": f"00-{header_trace}-{header_parent}-01"})
    (listed,) = spans_of(otlp, "twilio-mcp-traced-headers", header_trace, 1)
    assert listed.name == "tools/list" and listed.parent_span_id == header_parent
    assert "gen_ai.tool.name" not in listed.attributes
    # Both present: params._meta wins over the HTTP header.
    meta_trace = "11111111111111111111111111111111"
    rpc(
        server.url,
        "tools/list",
        {"_meta": {"traceparent": f"00-{meta_trace}-2222222222222222-01"}},
        headers={"traceparent": f"00-{header_trace}-{header_parent}-01"},
    )
    (meta_span,) = spans_of(otlp, "twilio-mcp-traced-headers", meta_trace, 1)
    assert meta_span.parent_span_id == "2222222222222222"


def test_error_spans(launch_server, otlp, upstream) -> None:
    server = traced_server(launch_server, otlp, "traced-errors")
    trace = "33333333333333333333333333333333"
    upstream.inject(lambda r: r.path.endswith(MESSAGE_PATH), 404, TWILIO_404)
    fetch_message(server.url, meta={"traceparent": f"00-{trace}-4444444444444444-01"})
    spans = spans_of(otlp, "twilio-mcp-traced-errors", trace, 2)
    (call,) = [s for s in spans if s.kind == "SERVER"]
    (child,) = [s for s in spans if s.kind == "CLIENT"]
    assert call.attributes["error.type"] == "tool_error" and call.status == "ERROR"
    assert child.attributes["http.response.status_code"] == 404 and child.attributes["error.type"] == "404"
    trace2 = "55555555555555555555555555555555"
    rpc(server.url, "tools/call", {"name": "NoSuchTool", "arguments": {},
                                   "_meta": {"traceparent": f"00-{trace2}-6666666666666666-01"}})
    (unknown,) = spans_of(otlp, "twilio-mcp-traced-errors", trace2, 1)
    assert unknown.name == "tools/call _unknown"
    assert unknown.attributes["error.type"] == "-32602"
    assert unknown.attributes["rpc.response.status_code"] == "-32602"
    assert "NoSuchTool" not in json.dumps(unknown.attributes)


def test_trace_arguments_flag(launch_server, otlp, upstream) -> None:
    server = traced_server(launch_server, otlp, "traced-args", args=["--trace-arguments"])
    trace = "77777777777777777777777777777777"
    resp = fetch_message(server.url, meta={"traceparent": f"00-{trace}-8888888888888888-01"})
    text = resp.json()["result"]["content"][0]["text"]
    spans = spans_of(otlp, "twilio-mcp-traced-args", trace, 2)
    (call,) = [s for s in spans if s.kind == "SERVER"]
    assert json.loads(call.attributes["gen_ai.tool.call.arguments"]) == {"Sid": MESSAGE_SID}
    assert call.attributes["gen_ai.tool.call.result"] == text


SDK_CLIENT = textwrap.dedent(
    """
    import asyncio, json, sys
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from mcp import Client

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)

    async def main():
        with trace.get_tracer("e2e").start_as_current_span("agent step") as root:
            async with Client(sys.argv[1], mode="legacy") as client:
                result = await client.call_tool("ApiV2010_FetchMessage", {"Sid": sys.argv[2]})
            assert not result.is_error
            trace_id = format(root.get_span_context().trace_id, "032x")
        client_spans = [
            {"name": s.name, "span_id": format(s.context.span_id, "016x"), "kind": s.kind.name}
            for s in exporter.get_finished_spans()
            if format(s.context.trace_id, "032x") == trace_id
        ]
        print(json.dumps({"trace_id": trace_id, "spans": client_spans}))

    asyncio.run(main())
    """
)


def test_official_sdk_client_trace_reaches_the_server(launch_server, otlp, upstream, tmp_path: Path) -> None:
    """The Python SDK, with an OpenTelemetry SDK installed, puts its span's
    context in `params._meta`; the server's span joins that trace (run in a
    subprocess so the global tracer provider stays out of the other tests)."""
    server = traced_server(launch_server, otlp, "traced-sdk")
    script = tmp_path / "client.py"
    script.write_text(SDK_CLIENT)
    run = subprocess.run([sys.executable, str(script), server.url, MESSAGE_SID],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    client = json.loads(run.stdout.strip().splitlines()[-1])
    spans = otlp.wait_for(lambda spans: any(s.trace_id == client["trace_id"] and s.kind == "CLIENT" for s in spans))
    ours = [s for s in spans if s.trace_id == client["trace_id"]]
    (call,) = [s for s in ours if s.name == "tools/call ApiV2010_FetchMessage"]
    client_span_ids = {s["span_id"] for s in client["spans"]}
    assert call.parent_span_id in client_span_ids, (call, client["spans"])
    (child,) = [s for s in ours if s.kind == "CLIENT"]
    assert child.parent_span_id == call.span_id
