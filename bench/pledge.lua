-- wrk script for bench/pledges.sh: pledges to one hot project
-- (POST /v1/projects/{id}/pledges), each from one of PLEDGE_USERS backers
-- (tokens "bench-token-<user id>" for user ids FIRST..LAST, made by the load
-- SQL), each with its own Idempotency-Key.
--
-- Settings (environment): PLEDGE_PROJECT, PLEDGE_FIRST, PLEDGE_LAST, PLEDGE_KEY_PREFIX.
-- done() prints: RESULT requests duration_us p50_us p99_us socket_errors non2xx ok other

local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local path, first, span, prefix
local counter = 0
ok, other = 0, 0

function init(args)
  path = "/v1/projects/" .. assert(os.getenv("PLEDGE_PROJECT")) .. "/pledges"
  first = tonumber(os.getenv("PLEDGE_FIRST"))
  span = tonumber(os.getenv("PLEDGE_LAST")) - first + 1
  prefix = (os.getenv("PLEDGE_KEY_PREFIX") or "p") .. "-" .. id .. "-"
  math.randomseed(id * 7919 + os.time())
end

function request()
  counter = counter + 1
  local user = first + math.random(0, span - 1)
  local headers = {
    ["Authorization"] = "Bearer bench-token-" .. user,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. counter,
  }
  return wrk.format("POST", path, headers, '{"amount_minor":' .. (100 * math.random(1, 50)) .. ',"currency":"EUR"}')
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
