-- wrk script: one fixed request from the environment, results as one JSON line.
--   WRK_METHOD    GET or POST (default POST)
--   WRK_BODY_FILE file holding the request body (POST)
--   WRK_HEADERS   extra headers, "Name: value" separated by "\n"
-- POSTs carry Content-Type: application/json and
-- Accept: application/json, text/event-stream (what MCP Streamable HTTP requires).
wrk.method = os.getenv("WRK_METHOD") or "POST"
if wrk.method == "POST" then
  local f = assert(io.open(assert(os.getenv("WRK_BODY_FILE"), "WRK_BODY_FILE is not set"), "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
end
for line in string.gmatch(os.getenv("WRK_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.2f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
