#! /usr/bin/env atf-sh
# bench_test -- the benchmark's smoke run (bench/bench.sh --smoke): it
# starts its own stacks, and the table it prints has every row, each with
# numbers that parse.  No figure is held to anything: a smoke run on a
# busy machine means nothing, and the targets are the full run's business
# (make bench).

. "$(atf_get_srcdir)/common.subr"

POOLS="8 16"

# is_num WORD: a number as the table prints them (or "-" when $2 is "dash").
is_num() {
	case $1 in
	-) [ "${2:-}" = dash ] ;;
	*) printf '%s\n' "$1" | grep -Eq '^-?[0-9]+(\.[0-9]+)?$' ;;
	esac
}

# line ID: the table's line for row ID (its first word), exactly one.
line() {
	local n
	n=$(awk -v id="$1" '$1 == id' table | wc -l)
	[ "$n" -eq 1 ] || atf_fail "row $1: $n lines in the table"
	awk -v id="$1" '$1 == id' table
}

# fields ID FIRST LAST [dash FIELD...]: fields FIRST..LAST (counted from
# the end when negative) of row ID are numbers; the FIELDs listed after
# "dash" may be "-".
fields() {
	local id=$1 first=$2 last=$3 l nf i w dash=
	shift 3
	[ "${1:-}" = dash ] && { shift; dash=" $* "; }
	l=$(line "$id")
	nf=$(printf '%s\n' "$l" | awk '{ print NF }')
	[ "$first" -lt 0 ] && first=$((nf + first + 1))
	[ "$last" -lt 0 ] && last=$((nf + last + 1))
	[ "$last" -ge "$first" ] || atf_fail "row $id is too short: $l"
	for i in $(seq "$first" "$last"); do
		w=$(printf '%s\n' "$l" | awk -v i="$i" '{ print $i }')
		case $dash in
		*" $i "*) is_num "$w" dash ;;
		*) is_num "$w" ;;
		esac || atf_fail "row $id, field $i is not a number: $l"
	done
}

atf_test_case smoke__prints_every_row
smoke__prints_every_row_head() {
	atf_set descr "bench.sh --smoke starts its stacks, stops them, and " \
	    "prints every row of the table with numbers that parse"
	atf_set require.progs "wrk curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 900
}
smoke__prints_every_row_body() {
	local p id l w
	[ -x "$TOP/bench/trivial" ] || atf_skip "bench/trivial not built (make tests)"
	BENCH_POOLS=$POOLS BENCH_WARM_POOL=8 "$TOP/bench/bench.sh" --smoke \
	    >table 2>log || {
		tail -40 log
		atf_fail "bench.sh --smoke failed (log above)"
	}
	grep -q '^c2s-enrich benchmark' table || atf_fail "no table header"
	grep -q 'SMOKE RUN' table || atf_fail "the smoke run is not said so"

	# Request routes: req/s p50 p99 errors baseline ratio, at the end.
	for id in trivial select1 trigger_up held_health held_ready reload; do
		fields "$id" -6 -3
	done
	for id in health ready dedup_hit customer_read trigger_spool; do
		fields "$id" -6 -3
		fields "$id" -1 -1
	done

	# With PostgreSQL down every trigger was spooled: no error, and the
	# records counted.
	[ "$(line trigger_spool | awk '{ print $(NF - 2) }')" = 0 ] ||
	    atf_fail "spooled triggers with errors: $(line trigger_spool)"
	grep -Eq '^trigger_spool: [1-9][0-9]* records spooled' table ||
	    atf_fail "no spooled records counted: $(grep '^trigger_spool:' table)"

	# Connections: answers, 200s, JSON 503s, others; a line for every
	# connection (000 for none).
	for n in 1500 3000; do
		fields "flood_$n" 2 5
		[ "$(line "flood_$n" | awk '{ print $2 }')" = "$n" ] ||
		    atf_fail "not $n answers: $(line "flood_$n")"
	done

	# Enrichment: pool leads/s mean p50 p99 crit mean/crit p50/crit50
	# scaling cpu leads errors; cpu a share of the machine.
	for p in $POOLS; do
		fields "cold_p$p" 2 13
	done
	fields warm_p8 2 13 dash 10
	for id in $(printf 'cold_p%s ' $POOLS) warm_p8; do
		line "$id" | awk '{ exit !($11 > 0 && $11 <= 100) }' ||
		    atf_fail "row $id: cpu not in (0, 100]: $(line "$id")"
	done

	# Discovery: leads, five shares, two call rates, errors; every lead
	# answered, and the warm leads found more by tier 0 than the cold.
	fields hit_cold 2 10
	fields hit_warm 2 10
	for id in hit_cold hit_warm; do
		[ "$(line "$id" | awk '{ print $NF }')" = 0 ] ||
		    atf_fail "discovery errors: $(line "$id")"
	done
	awk '$1 == "hit_cold" { c = $3 } $1 == "hit_warm" { w = $3 }
	    END { exit !(w > c) }' table ||
	    atf_fail "tier 0 did not answer the second leads: $(line hit_warm)"

	# Memory: procs and eight kB figures.
	for id in mem_started mem_idle mem_load mem_requests mem_soak \
	    mem_at_min mem_grown mem_shrunk; do
		fields "$id" 2 10
	done
	for p in $POOLS; do
		fields "mem_p${p}_idle" 2 10
		fields "mem_p${p}_load" 2 10
	done

	# Every target: a number, then met or not met.
	for id in health_ratio ready_ratio dedup_ratio dedup_p99 read_rate \
	    customer_ratio held_health_p99 held_ready_p99 flood_1500 \
	    flood_3000 reload_errors pool_grows pool_shrinks cold_p8_latency cold_p16_latency cold_p16_scaling warm_latency \
	    mem_resp_pss mem_resp_dirty mem_resp_100k mem_pool_idle \
	    mem_pool_load mem_pool8 soak_growth; do
		l=$(awk -v id="$id" '$1 == "target" && $2 == id' table)
		[ -n "$l" ] || atf_fail "no target $id"
		w=$(printf '%s\n' "$l" | sed -E 's/ +(met|not met)$//' |
		    awk '{ print $NF }')
		is_num "$w" || atf_fail "target $id: no number: $l"
		printf '%s\n' "$l" | grep -Eq ' (met|not met)$' ||
		    atf_fail "target $id: no verdict: $l"
	done

}

atf_init_test_cases() {
	atf_add_test_case smoke__prints_every_row
}
