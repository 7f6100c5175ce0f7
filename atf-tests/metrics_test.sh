#! /usr/bin/env atf-sh
# metrics_test -- GET /metrics: valid Prometheus text (checked by a real
# parser, promtool), counters that move by exactly what was sent, summed
# across every responder of the machine through the shared file, and kept
# when a responder is killed; histograms whose buckets, _count and _sum
# (exact decimals) agree; the pool's scoreboard, responders busy by route
# and pipeline step.

. "$(atf_get_srcdir)/common.subr"

# An awk function: us(S), the seconds S (a decimal) in integer
# microseconds, exactly (no double in between).
AWK_US='
	function us(s,   i, f) {
		i = index(s, ".")
		if (i == 0)
			return s * 1000000
		f = substr(substr(s, i + 1) "000000", 1, 6)
		return substr(s, 1, i - 1) * 1000000 + f
	}'

# hists FILE: every histogram series of a scrape, checked: its bounds
# ascending, its buckets cumulative (never down), the +Inf bucket equal to
# _count, and _sum between the least and the most the buckets allow (each
# observation of a bucket lies above the bound below it and at most at
# its own; one in +Inf has no most).  Seconds are read as exact decimals
# (to integer microseconds).  Prints "series: what is wrong" for each
# fault, and nothing when all hold.
hists() {
	awk "$AWK_US"'
	function key(line, tail,   k) {
		k = line
		sub(/[{ ].*/, "", k)
		sub(tail "$", "", k)
		return k "{" lab(line) "}"
	}
	function lab(line,   l) {
		if (!match(line, /\{[^}]*\}/))
			return ""
		l = substr(line, RSTART + 1, RLENGTH - 2)
		sub(/,?le="[^"]*"/, "", l)
		return l
	}
	/^#/ { next }
	$1 ~ /_bucket\{/ {
		k = key($1, "_bucket")
		le = $1
		sub(/.*le="/, "", le)
		sub(/".*/, "", le)
		v = $2 + 0
		if (!(k in n)) {
			order[++nk] = k
			prevle[k] = 0
			prevc[k] = 0
		}
		n[k]++
		if (le == "+Inf") {
			inf[k] = v
			if (v > prevc[k])
				unbounded[k] = 1
		} else {
			b = us(le)
			if (n[k] > 1 && b <= prevle[k])
				bad[k] = bad[k] " bounds not ascending at " le ";"
			lo[k] += (v - prevc[k]) * prevle[k]
			hi[k] += (v - prevc[k]) * b
			prevle[k] = b
		}
		if (v < prevc[k])
			bad[k] = bad[k] " bucket le=" le " " v " below " prevc[k] ";"
		if (le == "+Inf")
			lo[k] += (v - prevc[k]) * prevle[k]
		prevc[k] = v
		next
	}
	$1 ~ /_sum(\{|$)/ { sum[key($1, "_sum")] = $2; next }
	$1 ~ /_count(\{|$)/ { cnt[key($1, "_count")] = $2; next }
	END {
		for (i = 1; i <= nk; i++) {
			k = order[i]
			if (!(k in inf))
				bad[k] = bad[k] " no +Inf bucket;"
			else if (cnt[k] != inf[k])
				bad[k] = bad[k] " _count " cnt[k] " != +Inf " inf[k] ";"
			if (!(k in sum) || sum[k] !~ /^[0-9]+(\.[0-9]+)?$/)
				bad[k] = bad[k] " _sum \"" sum[k] "\" not a decimal;"
			else if (us(sum[k]) < lo[k] ||
			    (!(k in unbounded) && us(sum[k]) > hi[k]))
				bad[k] = bad[k] sprintf(" _sum %s outside" \
				    " [%.6f, %.6f];", sum[k], lo[k] / 1e6,
				    hi[k] / 1e6)
			if (k in bad)
				print k ":" bad[k]
		}
	}' "$1"
}

# since BEFORE AFTER: the histograms of AFTER minus those of BEFORE,
# series by series (bucket counts, _count, and _sum as exact microseconds
# printed back as seconds), in hists' format.
since() {
	awk "$AWK_US"'
	/^#/ { next }
	FNR == NR { old[$1] = $2; next }
	$1 ~ /_seconds_sum/ {
		d = us($2) - us($1 in old ? old[$1] : "0")
		printf "%s %.0f.%06d\n", $1, int(d / 1000000), d % 1000000
		next
	}
	$1 ~ /_seconds_(bucket|count)/ { print $1, $2 - ($1 in old ? old[$1] : 0) }
	' "$1" "$2"
}

atf_test_case metrics__promtool_valid
metrics__promtool_valid_head() {
	atf_set descr "/metrics is Prometheus text that promtool accepts"
	atf_set require.progs "promtool"
}
metrics__promtool_valid_body() {
	shared_stack
	# Something in every family: a lead, a duplicate, a 404.
	expect_status 200 GET "/api/v1/leads/process?id=$(rand_id)"
	expect_status 200 GET "/api/v1/leads/process?id=$(jq -r .lead_id body)"
	expect_status 404 GET /nope
	curl -s -D headers -o metrics "$URL/metrics"
	grep -qi '^content-type: text/plain; version=0.0.4' headers ||
	    atf_fail "wrong content type: $(grep -i content-type headers)"
	atf_check -s exit:0 -o ignore -e ignore promtool check metrics <metrics
	promtool check metrics <metrics 2>&1 | grep . &&
	    atf_fail "promtool has remarks"
	for f in c2s_http_requests_total c2s_http_request_duration_seconds \
	    c2s_upstream_calls_total c2s_upstream_call_duration_seconds \
	    c2s_dedup_total c2s_cache_lookups_total c2s_leads_total \
	    c2s_processes_alive c2s_responders_recycled_total \
	    c2s_process_resident_memory_bytes c2s_dedup_slots_used \
	    c2s_pool_busy c2s_pool_busy_steps; do
		grep -q "^# TYPE $f " metrics || atf_fail "no family $f"
	done
	return 0
}

atf_test_case metrics__counters_move
metrics__counters_move_head() {
	atf_set descr "requests, upstream calls, dedup hits, cache lookups" \
	    "and outcomes move by exactly what was sent, whichever" \
	    "responder answered"
}
metrics__counters_move_body() {
	local id i
	shared_stack
	scrape before
	# 40 requests at 8 at a time: every responder answers some.
	seq 40 | xargs -P 8 -I{} curl -s -o /dev/null "$URL/health"
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.status == "completed" and .dossiers_fetched == 1'
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.duplicate_request == true and .dedup == "file"'
	expect_status 404 GET /no/such/path
	scrape after

	for s in 'c2s_http_requests_total{route="health",code="2xx"} 40' \
	    'c2s_http_requests_total{route="leads_process",code="2xx"} 2' \
	    'c2s_http_requests_total{route="none",code="4xx"} 1' \
	    'c2s_http_request_duration_seconds_count{route="health"} 40' \
	    'c2s_leads_total{outcome="completed"} 1' \
	    'c2s_dedup_total{result="hit_file"} 1' \
	    'c2s_dedup_total{result="miss"} 1' \
	    'c2s_upstream_calls_total{api="c2s",call="c2s_lead",outcome="ok"} 1' \
	    'c2s_upstream_calls_total{api="work",call="work_cpf",outcome="ok"} 1' \
	    'c2s_upstream_calls_total{api="c2s",call="c2s_message",outcome="ok"} 1' \
	    'c2s_upstream_call_duration_seconds_count{api="work",call="work_cpf"} 1'
	do
		set -- $s
		d=$(( $(metric "$1" after) - $(metric "$1" before) ))
		[ "$d" = "$2" ] || atf_fail "$1 moved by $d, not $2"
	done
	# The cache was asked (contacts and the dossier) and missed.
	[ $(( $(metric 'c2s_cache_lookups_total{result="miss"}' after) -
	    $(metric 'c2s_cache_lookups_total{result="miss"}' before) )) -ge 1 ] ||
	    atf_fail "no cache lookup counted"
	# Every responder is in the table, with its memory.
	[ "$(metric 'c2s_processes_alive{role="responder"}' after)" = "$C2S_POOL" ] ||
	    atf_fail "responders alive: $(metric 'c2s_processes_alive{role="responder"}' after)"
	[ "$(grep -c '^c2s_process_resident_memory_bytes{pid="[0-9]*",role="responder"} [1-9]' after)" = "$C2S_POOL" ] ||
	    atf_fail "not one memory series per responder"
	[ "$(metric 'c2s_processes_alive{role="worker"}' after)" -ge 1 ] ||
	    atf_fail "the worker is not counted"
}

atf_test_case metrics__histograms_consistent
metrics__histograms_consistent_head() {
	atf_set descr "after N requests a route's histogram moved by N:" \
	    "_count and the +Inf bucket by N, buckets cumulative, _sum" \
	    "within the bounds of the buckets; and every histogram of the" \
	    "machine holds the same rules"
}
metrics__histograms_consistent_body() {
	local n=37 h='c2s_http_request_duration_seconds' r='route="health"'
	local off rt
	shared_stack
	off=$(stat -c %s "$RUNDIR/log/pool.log")
	scrape_whole before
	seq $n | xargs -P 4 -I{} curl -s -o /dev/null "$URL/health"
	# A lead: upstream calls in several histograms, some of them slow.
	expect_status 200 GET "/api/v1/leads/process?id=$(find_lead normal)"
	scrape_whole after
	grep -q "^c2s_upstream_call_duration_seconds_sum{" after ||
	    atf_fail "no upstream histogram checked"
	# What the requests added.
	since before after >delta
	[ "$(metric "${h}_count{$r}" delta)" = $n ] ||
	    atf_fail "_count moved by $(metric "${h}_count{$r}" delta), not $n"
	[ "$(metric "${h}_bucket{$r,le=\"+Inf\"}" delta)" = $n ] ||
	    atf_fail "+Inf moved by $(metric "${h}_bucket{$r,le=\"+Inf\"}" delta)"
	[ "$(grep -c "^${h}_bucket{$r,le=" delta)" = 15 ] ||
	    atf_fail "not 15 buckets: $(grep "^${h}_bucket{$r," delta)"
	awk '$2 > 0' delta | grep -q "^${h}_sum{$r} " ||
	    atf_fail "_sum did not move: $(grep "^${h}_sum{$r}" before after)"
	hists delta >wrong
	[ ! -s wrong ] || atf_fail "what the requests added: $(tr "\n" " " <wrong)"
	# Exactly: each request's duration is in its access line (dur_us,
	# the number the histogram was given).
	tail -c +$((off + 1)) "$RUNDIR/log/pool.log" >log
	for rt in health leads_process; do
		logged "$rt" log | sort >want
		grep "^${h}_[a-z]*{route=\"$rt\"" delta | sort >got
		[ -s want ] && cmp -s want got ||
		    atf_fail "$rt: (<) the access lines, (>) the histogram:" \
		    "$(diff want got | grep '^[<>]' | tr '\n' ' ')"
	done
}

# logged ROUTE LOG: the request duration histogram's lines (since's
# format) that the access lines of ROUTE in the file LOG make.
logged() {
	grep -F "\"route\":\"$1\"," "$2" | grep -o '"dur_us":-*[0-9]*' |
	    cut -d: -f2 | awk -v r="route=\"$1\"" "$AWK_US"'
	BEGIN {
		nb = split("0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 " \
		    "0.5 1 2.5 5 10 25", le, " ")
	}
	{
		for (i = 1; i <= nb; i++)
			if ($1 <= us(le[i]))
				c[i]++
		n++
		sum += $1 > 0 ? $1 : 0
	}
	END {
		h = "c2s_http_request_duration_seconds"
		for (i = 1; i <= nb; i++)
			printf "%s_bucket{%s,le=\"%s\"} %d\n", h, r, le[i], c[i]
		printf "%s_bucket{%s,le=\"+Inf\"} %d\n", h, r, n
		printf "%s_sum{%s} %.0f.%06d\n", h, r, int(sum / 1000000),
		    sum % 1000000
		printf "%s_count{%s} %d\n", h, r, n
	}'
}

# scrape_whole FILE: a scrape whose histograms all hold (hists).  The
# shared stack's worker may add to an upstream histogram while the scrape
# reads it (each word is added on its own, relaxed): one scrape again
# before a fault counts.
scrape_whole() {
	scrape "$1"
	hists "$1" >wrong
	if [ -s wrong ]; then
		scrape "$1"
		hists "$1" >wrong
		[ ! -s wrong ] || atf_fail "in the scrape: $(tr "\n" " " <wrong)"
	fi
}

atf_test_case metrics__survive_sigkill cleanup
metrics__survive_sigkill_head() {
	atf_set descr "counts of a responder killed with SIGKILL are kept;" \
	    "its replacement joins the table"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
metrics__survive_sigkill_body() {
	local victim n
	local h='c2s_http_requests_total{route="health",code="2xx"}'
	private_stack C2S_POOL=2
	# Both responders in the table before counting from here.
	: >victims
	wait_for 100 replaced victims || atf_fail "the pool is not in the table"
	cp metrics start
	seq 20 | xargs -P 4 -I{} curl -s -o /dev/null "$URL/health"
	scrape before
	n=$(( $(metric "$h" before) - $(metric "$h" start) ))
	[ "$n" = 20 ] || atf_fail "health counted $n times, not 20"
	responders >victims
	for victim in $(cat victims); do
		kill -KILL "$victim"
	done
	wait_for 50 pool_full || atf_fail "pool not back to full size"
	# Both replacements in the table (they join at their start), none of
	# the dead.
	wait_for 100 replaced victims ||
	    atf_fail "replacements not in the table: $(grep -F \
	    'role="responder"' metrics | tr '\n' ' ')"
	seq 10 | xargs -P 4 -I{} curl -s -o /dev/null "$URL/health"
	scrape after
	n=$(( $(metric "$h" after) - $(metric "$h" start) ))
	[ "$n" = 30 ] || atf_fail "after the kill: $n, not 30"
	[ "$(metric 'c2s_processes_alive{role="responder"}' after)" = 2 ] ||
	    atf_fail "dead responders still counted alive"
	n=$(( $(metric 'c2s_processes_started_total{role="responder"}' after) -
	    $(metric 'c2s_processes_started_total{role="responder"}' start) ))
	[ "$n" = 2 ] || atf_fail "$n responders joined, not the 2 replacements"
	private_stack_stop
}
metrics__survive_sigkill_cleanup() { private_stack_stop; }

# replaced VICTIMS: a scrape (./metrics) counts the pool's size of
# responders alive, each with its memory, none of them a pid listed in the
# file VICTIMS.
replaced() {
	sed 's/.*/pid="&"/' "$1" >victims.pat
	curl -s -o metrics --max-time 10 "$URL/metrics" &&
	    [ "$(metric 'c2s_processes_alive{role="responder"}')" = "$C2S_POOL" ] &&
	    [ "$(grep -c '^c2s_process_resident_memory_bytes{pid="[0-9]*",role="responder"}' metrics)" = "$C2S_POOL" ] &&
	    ! grep -q -F -f victims.pat metrics
}

atf_test_case metrics__pool_busy
metrics__pool_busy_head() {
	atf_set descr "c2s_pool_busy counts the responders in a request" \
	    "(the scoreboard): a lead held in its C2S fetch, by route and" \
	    "pipeline step, and the scrape itself; the lead gone once answered"
}
metrics__pool_busy_body() {
	local id pid
	shared_stack
	[ "$C2S_POOL" -ge 2 ] || atf_skip "pool too small"
	# Its C2S fetch takes SIM_FAULT_LATENCY_MS (2 s).
	id=$(rand_id fa17c201)
	curl -s -o lead.out --max-time 30 \
	    "$URL/api/v1/leads/process?id=$id" &
	pid=$!
	if ! wait_for 15 busy_in c2s_fetch; then
		wait $pid
		atf_fail "no leads_process request seen in c2s_fetch:" \
		    "$(grep '^c2s_pool' metrics | tr '\n' ' ')"
	fi
	[ "$(metric c2s_pool_busy)" = 2 ] ||
	    atf_fail "c2s_pool_busy $(metric c2s_pool_busy), not 2"
	[ "$(metric 'c2s_pool_busy_steps{route="metrics",step="received"}')" = 1 ] ||
	    atf_fail "the scrape is not busy: $(grep '^c2s_pool' metrics |
	    tr '\n' ' ')"
	wait $pid || atf_fail "the lead's request failed"
	jq -e --arg id "$id" '.lead_id == $id' lead.out >/dev/null ||
	    atf_fail "the lead's answer: $(head -c 300 lead.out)"
	scrape after
	[ "$(metric c2s_pool_busy after)" = 1 ] ||
	    atf_fail "after: c2s_pool_busy $(metric c2s_pool_busy after), not 1"
	! grep -q '^c2s_pool_busy_steps{route="leads_process"' after ||
	    atf_fail "the answered lead is still busy"
	grep -q '^# TYPE c2s_pool_busy gauge$' after ||
	    atf_fail "c2s_pool_busy is not a gauge"
}

# busy_in STEP: a scrape (./metrics) shows one leads_process request in
# pipeline step STEP.
busy_in() {
	curl -s -o metrics --max-time 10 "$URL/metrics" &&
	    [ "$(metric "c2s_pool_busy_steps{route=\"leads_process\",step=\"$1\"}")" = 1 ]
}

atf_init_test_cases() {
	atf_add_test_case metrics__promtool_valid
	atf_add_test_case metrics__counters_move
	atf_add_test_case metrics__histograms_consistent
	atf_add_test_case metrics__survive_sigkill
	atf_add_test_case metrics__pool_busy
}
