-- wrk script for bench/ledger.sh: single transfers (POST /v1/ledger/entries)
-- or batches (POST /v1/ledger/batches). Every transfer debits the hot account
-- and credits a random other account; every entry has its own idempotency
-- key (run prefix, wrk thread, counter), so nothing is a replay.
--
-- Settings (environment, read by each wrk thread):
--   LEDGER_TOKEN        staff bearer token
--   LEDGER_HOT          the hot account's id
--   LEDGER_FIRST, LEDGER_LAST   the other accounts: every id in [FIRST, LAST]
--   LEDGER_KEY_PREFIX   unique per wrk run
--   LEDGER_BATCH        0: single transfers; N > 0: batches of N entries
--
-- done() prints one line:
--   RESULT requests duration_us p50_us p99_us socket_errors non2xx ok other booked
-- where ok counts 2xx responses, other everything else, and booked the
-- entries the server reports as booked (single: one per 201; batch: the
-- "booked" field of each 200).

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local token, hot, first, span, prefix, batch, headers
local counter = 0
ok, other, booked = 0, 0, 0

function init(args)
  token = assert(os.getenv("LEDGER_TOKEN"), "LEDGER_TOKEN")
  hot = assert(os.getenv("LEDGER_HOT"), "LEDGER_HOT")
  first = tonumber(os.getenv("LEDGER_FIRST"))
  span = tonumber(os.getenv("LEDGER_LAST")) - first + 1
  prefix = (os.getenv("LEDGER_KEY_PREFIX") or "k") .. "-" .. id .. "-"
  batch = tonumber(os.getenv("LEDGER_BATCH") or "0")
  math.randomseed(id * 7919 + os.time())
  headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
end

local function postings()
  local amount = math.random(1, 10000)
  local to = first + math.random(0, span - 1)
  return '[{"account_id":"' .. hot .. '","side":"debit","amount_minor":' .. amount ..
    ',"currency":"EUR"},{"account_id":"' .. to .. '","side":"credit","amount_minor":' .. amount ..
    ',"currency":"EUR"}]'
end

function request()
  if batch == 0 then
    counter = counter + 1
    headers["Idempotency-Key"] = prefix .. counter
    return wrk.format("POST", "/v1/ledger/entries", headers, '{"postings":' .. postings() .. '}')
  end
  headers["Idempotency-Key"] = nil
  local entries = {}
  for i = 1, batch do
    counter = counter + 1
    entries[i] = '{"idempotency_key":"' .. prefix .. counter .. '","postings":' .. postings() .. '}'
  end
  return wrk.format("POST", "/v1/ledger/batches", headers, '{"entries":[' .. table.concat(entries, ",") .. ']}')
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    if batch == 0 then
      booked = booked + 1
    else
      booked = booked + tonumber(string.match(body, '"booked":(%d+)') or "0")
    end
  else
    other = other + 1
    if other <= 3 then io.stderr:write("status " .. status .. ": " .. string.sub(body, 1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local n_ok, n_other, n_booked = 0, 0, 0
  for _, t in ipairs(threads) do
    n_ok = n_ok + t:get("ok")
    n_other = n_other + t:get("other")
    n_booked = n_booked + t:get("booked")
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status,
    n_ok, n_other, n_booked))
end
