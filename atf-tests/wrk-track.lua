-- atf-tests/wrk-track.lua -- the wrk script of fault_test.
--
-- With WRK_PREFIX (22 hex digits) in the environment, every request is
-- GET /api/v1/leads/process for a lead id never sent before: the prefix,
-- the thread's number (2 hex digits), a counter (8).  Each thread then
-- writes to WRK_OUT.<thread> one line per request sent, "S id", and one
-- per answer, "R status id code", where code is the body's "code" member,
-- "duplicate" for a duplicate answer, or "-" (a run that reached an
-- outcome).  Without WRK_PREFIX the URL of the command line is asked again
-- and again.  WRK_KEY is sent as X-API-Key; WRK_DELAY_MS (optional)
-- spaces the requests of each connection.
--
-- done() prints one line for the test to read:
--   wrk: requests N non200 N connect N read N write N timeout N max_ms N

local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("tid", #threads)
end

function init(args)
	prefix = os.getenv("WRK_PREFIX")
	local key = os.getenv("WRK_KEY")
	hdrs = {}
	if key then hdrs["X-API-Key"] = key end
	if prefix then
		out = io.open(os.getenv("WRK_OUT") .. "." .. tid, "w")
		out:setvbuf("line")
		prefix = prefix .. string.format("%02x", tid)
	end
	sent = 0
	non200 = 0
end

local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")
if pause > 0 then
	function delay()
		return pause
	end
end

function request()
	if not prefix then
		return wrk.format("GET", nil, hdrs)
	end
	sent = sent + 1
	local id = prefix .. string.format("%08x", sent)
	out:write("S ", id, "\n")
	return wrk.format("GET", "/api/v1/leads/process?id=" .. id, hdrs)
end

function response(status, headers, body)
	if status ~= 200 then
		non200 = non200 + 1
	end
	if not out then
		return
	end
	local id = body:match('"lead_id":"(%x+)"') or "-"
	local code = body:match('"code":"([%w_]+)"') or "-"
	if body:match('"duplicate_request":true') then
		code = "duplicate"
	end
	out:write("R ", status, " ", id, " ", code, "\n")
end

function done(summary, latency, requests)
	local e, n = summary.errors, 0
	for _, t in ipairs(threads) do
		n = n + (t:get("non200") or 0)
	end
	io.write(string.format("wrk: requests %d non200 %d connect %d " ..
	    "read %d write %d timeout %d max_ms %d\n", summary.requests, n,
	    e.connect, e.read, e.write, e.timeout,
	    math.floor(latency.max / 1000)))
end
