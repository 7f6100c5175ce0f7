-- bench/lua/cold.lua -- every request a new lead: GET
-- /api/v1/leads/process?id= with BENCH_PREFIX (6 hex, not "fa17"), then
-- the thread, a counter and random hex: 32 hex characters, never twice.

local prefix = os.getenv("BENCH_PREFIX") or "b00000"
local n = 0

function init(args)
	math.randomseed(os.time() + 7919 * (tid or 0))
end

function request()
	n = n + 1
	local id = string.format("%s%x%08x%04x%04x%04x%04x%01x", prefix,
	    (tid or 0) % 16, n, math.random(0, 65535), math.random(0, 65535),
	    math.random(0, 65535), math.random(0, 65535), math.random(0, 15))
	return wrk.format("GET", "/api/v1/leads/process?id=" .. id)
end
