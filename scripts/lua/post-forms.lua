-- wrk script: POST the forms in $BODIES_FILE (one per line) in turn to the URL path with the
-- Basic credentials in $AUTH. Each of the $THREADS threads starts at its own share of the list,
-- so two threads never send the same form close together.
local created = 0
setup = function(thread)
  created = created + 1
  thread:set("id", created)
end

local bodies = {}
for line in io.lines(os.getenv("BODIES_FILE")) do
  bodies[#bodies + 1] = line
end
local index = 1
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Authorization"] = os.getenv("AUTH"),
}

-- The requests are formatted once, up front, so the load generator spends no more per request
-- than with one fixed request (it shares the cores with the server).
local requests = {}
init = function(args)
  local threads = tonumber(os.getenv("THREADS") or "2")
  index = math.floor((id - 1) * #bodies / threads) % #bodies + 1
  for i, body in ipairs(bodies) do
    requests[i] = wrk.format("POST", nil, headers, body)
  end
end

request = function()
  local r = requests[index]
  index = index % #requests + 1
  return r
end

done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
