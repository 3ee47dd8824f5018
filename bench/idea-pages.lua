-- wrk script for bench/ideas.sh: pages of GET /v1/ideas?sort=momentum at
-- random keyset positions (cursor "m.<momentum>.<id>"), as clients paging
-- deep into the listing send them.
--
-- Settings (environment): PAGES_MOMENTUM_MAX, PAGES_ID_MAX.
local momentum_max, id_max
function init(args)
  momentum_max = tonumber(os.getenv("PAGES_MOMENTUM_MAX"))
  id_max = tonumber(os.getenv("PAGES_ID_MAX"))
  math.randomseed(os.time() + math.random(1, 100000))
end

function request()
  local cursor = "m." .. math.random(0, momentum_max) .. "." .. math.random(1, id_max)
  return wrk.format("GET", "/v1/ideas?sort=momentum&limit=20&cursor=" .. cursor)
end
