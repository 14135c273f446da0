-- wrk script: GET /v1/users/{id}/recommendations for a random known user per request.
-- Arguments (after --): file with one external user ID per line, k.
local ids = {}
local k = "20"

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      ids[#ids + 1] = urlencode(line)
    end
  end
  k = args[2] or k
  -- Distinct random streams per wrk thread.
  math.randomseed(os.time() + tonumber(tostring(ids):match("0x(%x+)") or "1", 16) % 1000003)
end

function request()
  return wrk.format("GET", "/v1/users/" .. ids[math.random(#ids)] .. "/recommendations?k=" .. k .. "&excludeSeen=true")
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
