-- wrk rotating over many requests: each request picks a line of the file named by the first
-- script argument (`path<TAB>cookie`, the cookie empty for an anonymous visitor), so no page or
-- session is asked for again and again. bench/web.py writes the file and reads the JSON line
-- printed at the end (wrk's own --latency table has no p95).
--
--   wrk -s bench/wrk_rotate.lua http://127.0.0.1:8731 -- var/bench/requests/topic.tsv
--
-- With BENCH_WRK_CHECK=1 in the environment every answer but a 200 is counted (a redirect to
-- the login page too, which wrk itself counts as a success) and the first few statuses named;
-- bench/web.py does this in the warm-up turn only: wrk reads every body when a script has a
-- response() function, and it decides so when the script is loaded.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("number", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
unexpected = 0
first_unexpected = ""

function init(args)
  local file = assert(io.open(args[1], "r"), "no request file " .. tostring(args[1]))
  for line in file:lines() do
    local path, cookie = line:match("^([^\t]+)\t?(.*)$")
    if path then
      local headers = {}
      if cookie ~= "" then
        headers["Cookie"] = cookie
      end
      table.insert(requests, wrk.format("GET", path, headers))
    end
  end
  file:close()
  assert(#requests > 0, "no request in " .. args[1])
  -- Each thread its own sequence: two threads never walk the rotation in step.
  math.randomseed(os.time() * 1000 + (number or 0) * 7919)
end

function request()
  return requests[math.random(#requests)]
end

if os.getenv("BENCH_WRK_CHECK") == "1" then
  function response(status, headers, body)
    if status ~= 200 then
      unexpected = unexpected + 1
      if #first_unexpected < 200 then
        first_unexpected = first_unexpected .. tostring(status) .. " "
      end
    end
  end
end

done = function(summary, latency, requests_done)
  local errors = summary.errors
  local unexpected_total, named = 0, ""
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
    named = named .. (thread:get("first_unexpected") or "")
  end
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_us": %d, "p95_us": %d, "non_2xx_3xx": %d, "socket_errors": %d, ' ..
    '"not_200": %d, "not_200_statuses": "%s"}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout, unexpected_total, named))
end
