-- wrk script (bench/scale.sh, bench/recon-load.sh): a random request path per request from a file (one per
-- line, given after `--`); prints one parseable RESULT line at the end.
--   wrk -c64 -d60s -s bench/random-paths.lua http://127.0.0.1:PORT -- PATHS_FILE
function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no request paths in " .. tostring(args[1])) end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d req_s=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f status_errors=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.requests / summary.duration * 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
