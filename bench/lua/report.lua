-- bench/lua/report.lua -- the part of every wrk script of bench.sh: each
-- thread gets a number (tid) and the run ends with one machine-readable
-- line, times in microseconds.  bench.sh puts it in front of the
-- route's own script (wrk takes one script).

local threads = {}
local nthreads = 0

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	table.insert(threads, thread)
end

function done(summary, latency, requests)
	local e = summary.errors
	local wrapped = 0
	for _, t in ipairs(threads) do
		wrapped = wrapped + (tonumber(t:get("wrapped")) or 0)
	end
	io.write(string.format("BENCH requests=%d duration_us=%d " ..
	    "errors=%d non2xx=%d mean_us=%.0f p50_us=%d p99_us=%d " ..
	    "max_us=%d wrapped=%d\n", summary.requests, summary.duration,
	    e.connect + e.read + e.write + e.timeout, e.status,
	    latency.mean, latency:percentile(50), latency:percentile(99),
	    latency.max, wrapped))
end
