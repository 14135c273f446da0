-- wrk script: POST /v1/items/batch with BATCH new items per request, random feature vectors of the bundle's dims.
-- Arguments (after --): run prefix, modality spec "name:dim,name:dim", batch size, API key.
local threads = 0
local pool = {}
local counter = 0
local prefix, batch, apiKey

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local function vector(dimension)
  local values = {}
  for i = 1, dimension do
    values[i] = string.format("%.4f", math.random() * 2 - 1)
  end
  return "[" .. table.concat(values, ",") .. "]"
end

function init(args)
  prefix = args[1]
  batch = tonumber(args[3])
  apiKey = args[4]
  math.randomseed(os.time() + (tid or 0) * 7919)
  -- A pool of distinct feature sets, built once, so the load generator spends its time sending, not formatting.
  for p = 1, 32 do
    local parts = {}
    for name, dimension in string.gmatch(args[2], "([^:,]+):(%d+)") do
      parts[#parts + 1] = '"' .. name .. '":' .. vector(tonumber(dimension))
    end
    pool[p] = '"features":{' .. table.concat(parts, ",") .. "}"
  end
end

function request()
  counter = counter + 1
  local items = {}
  for i = 1, batch do
    items[i] = '{"itemId":"' .. prefix .. "-" .. (tid or 0) .. "-" .. counter .. "-" .. i .. '",' .. pool[math.random(#pool)] .. "}"
  end
  return wrk.format("POST", "/v1/items/batch",
    { ["Content-Type"] = "application/json", ["X-Api-Key"] = apiKey },
    '{"items":[' .. table.concat(items, ",") .. "]}")
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
