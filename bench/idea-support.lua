-- wrk script for bench/ideas.sh: supports of one hot idea
-- (POST /v1/ideas/{id}/support), each from a customer who has not supported
-- it yet: user ids FIRST..LAST (tokens "bench-token-<id>", made by the load
-- SQL), split between wrk's threads, each id used once.
--
-- Settings (environment): SUPPORT_IDEA, SUPPORT_FIRST, SUPPORT_LAST, SUPPORT_THREADS.
-- done() prints: RESULT requests duration_us p50_us p99_us socket_errors non2xx ok other

local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local path, first, last, stride
local counter = 0
ok, other = 0, 0

function init(args)
  path = "/v1/ideas/" .. assert(os.getenv("SUPPORT_IDEA")) .. "/support"
  first = tonumber(os.getenv("SUPPORT_FIRST"))
  last = tonumber(os.getenv("SUPPORT_LAST"))
  stride = tonumber(os.getenv("SUPPORT_THREADS"))
end

function request()
  local user = first + counter * stride + (id - 1)
  counter = counter + 1
  if user > last then user = last end -- out of supporters: the rest are refused as support-exists
  local body = '{}'
  if counter % 4 == 0 then body = '{"reason":"Das brauchen wir im Dorf"}' end
  local headers = {["Authorization"] = "Bearer bench-token-" .. user, ["Content-Type"] = "application/json"}
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status == 201 then
    ok = ok + 1
  else
    other = other + 1
    if other <= 3 then io.stderr:write("status " .. status .. ": " .. string.sub(body, 1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local n_ok, n_other = 0, 0
  for _, t in ipairs(threads) do
    n_ok = n_ok + t:get("ok")
    n_other = n_other + t:get("other")
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status, n_ok, n_other))
end
