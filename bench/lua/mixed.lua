-- bench/lua/mixed.lua -- the memory phases' traffic, in turn: /health,
-- /ready, the dedup hit (BENCH_LEAD), one stored person by uuid
-- (BENCH_UUID) and by CPF (BENCH_CPF), /metrics; and every
-- BENCH_LEAD_EVERY-th request a new lead (BENCH_PREFIX), so that the
-- caches fill up to their bounds.

local prefix = os.getenv("BENCH_PREFIX") or "b00000"
local every = tonumber(os.getenv("BENCH_LEAD_EVERY") or "0")
local reqs = {}
local i, n = 0, 0

function init(args)
	math.randomseed(os.time() + 7919 * (tid or 0))
	local paths = {
		"/health", "/ready",
		"/api/v1/leads/process?id=" .. os.getenv("BENCH_LEAD"),
		"/api/v1/customers/" .. os.getenv("BENCH_UUID"),
		"/api/v1/contributor/customer?cpf=" .. os.getenv("BENCH_CPF"),
		"/health", "/ready",
		"/api/v1/leads/process?id=" .. os.getenv("BENCH_LEAD"),
		"/api/v1/customers/" .. os.getenv("BENCH_UUID"),
		"/metrics",
	}
	for _, p in ipairs(paths) do
		table.insert(reqs, wrk.format("GET", p))
	end
end

function request()
	i = i + 1
	if every > 0 and i % every == 0 then
		n = n + 1
		local id = string.format("%s%x%08x%04x%04x%04x%04x%01x",
		    prefix, (tid or 0) % 16, n, math.random(0, 65535),
		    math.random(0, 65535), math.random(0, 65535),
		    math.random(0, 65535), math.random(0, 15))
		return wrk.format("GET", "/api/v1/leads/process?id=" .. id)
	end
	return reqs[(i - 1) % #reqs + 1]
end
