-- bench/lua/list.lua -- GET /api/v1/leads/process?id= for each id of the
-- file BENCH_IDS (one a line), each once: thread tid of BENCH_THREADS
-- takes every BENCH_THREADS-th line.  Past the end it starts again and
-- counts the requests it repeated in "wrapped" (dedup hits, not leads).

local ids = {}
local i = 0
wrapped = 0

function init(args)
	local step = tonumber(os.getenv("BENCH_THREADS") or "1")
	local k = 0
	for line in io.lines(os.getenv("BENCH_IDS")) do
		if k % step == (tid or 0) then
			table.insert(ids, line)
		end
		k = k + 1
	end
end

function request()
	i = i + 1
	if i > #ids then
		wrapped = wrapped + 1
	end
	local id = ids[(i - 1) % #ids + 1]
	return wrk.format("GET", "/api/v1/leads/process?id=" .. id)
end
