#! /usr/bin/env atf-sh
# backfill_test -- c2s-enrich --backfill on private stacks whose simulator
# lists 5 000 leads (SIM_LEAD_LIST_SIZE): of them 1 000 made known first,
# exactly the other 4 000 queued as jobs, once each, the newest lead of a
# phone first; a second run queues none; a run SIGKILLed half-way (the
# list slowed by SIM_C2S_LATENCY_MS) resumes from its checkpoint and the
# total is still 4 000 with no duplicate; the progress as plain lines and
# on a terminal (script(1)); the days refused; C2S unreachable and the
# database down said and exited non-zero.  No worker runs the 4 000 (they
# would be paid pipelines): the queue is read in SQL.  One small list is
# run by a worker: every job done, a person's later leads from the
# dossier of its newest, the Work API calls spaced.

. "$(atf_get_srcdir)/common.subr"

LIST=5000
KNOWN=1000

setup() {
	private_stack C2S_WORKERS=0 "$@"
	export PGHOST PGUSER PGDATABASE
}

# bf [VAR=VALUE ...] [--] ARGS: c2s-enrich --backfill ARGS with the
# responders' settings and the VAR=VALUE given.
bf() {
	(
		while IFS= read -r kv; do
			export "$kv"
		done <"$RUNDIR/responder.env"
		while [ $# -gt 0 ]; do
			case $1 in
			--) shift; break ;;
			*=*) export "$1"; shift ;;
			*) break ;;
			esac
		done
		exec "$RUNDIR/bin/c2s-enrich" --backfill "$@"
	)
}

# listed: every lead the simulator lists, newest first, into ./listed
# (id, created_at, phone's last 11 digits), as C2S's client reads them:
# page 1, then the pages its total makes and the empty one after them,
# fetched in parallel (one curl) and read in order.
listed() {
	local tok n url
	tok=$(sed -n 's/^C2S_TOKEN=//p' "$RUNDIR/responder.env")
	url="$C2S_SIM_URL/integration/leads?perpage=50&sort=-created_at&page="
	rm -f page page.*
	curl -s -o page.1 -H "Authorization: Bearer $tok" "${url}1" ||
	    atf_fail "simulator unreachable"
	n=$(jq '.meta.total / 50 | ceil' page.1) ||
	    atf_fail "the list's page 1: $(head -c 300 page.1)"
	[ "$n" = 0 ] ||
	    curl -s --parallel --parallel-max 8 \
	    -H "Authorization: Bearer $tok" -o 'page.#1' \
	    "${url}[2-$((n + 1))]" || atf_fail "simulator unreachable"
	[ "$(jq '.data | length' "page.$((n + 1))")" = 0 ] ||
	    atf_fail "more than $n pages of 50"
	# shellcheck disable=SC2046
	jq -r '.data[] | [.id, .attributes.created_at,
	    (.attributes.customer.phone // "" | gsub("[^0-9]"; "") |
	    .[-11:])] | @tsv' $(seq -f 'page.%g' 1 "$((n + 1))") >listed
}

# since_all: a --since day before every listed lead (São Paulo time).
since_all() {
	date -u -d "$(tail -1 listed | cut -c34-43) 2 days ago" +%F
}

# make_known: every fifth listed lead (KNOWN of them) recorded as a lead
# already run, into ./known.
make_known() {
	awk 'NR % 5 == 0 { print $1 }' listed >known
	[ "$(wc -l <known)" = $KNOWN ] || atf_fail "known: $(wc -l <known)"
	sql "INSERT INTO c2s.leads (lead_id, source, status)
	    SELECT unnest(string_to_array('$(paste -sd, known)', ',')),
	    'api', 'completed'" >/dev/null
}

# queued_once N: exactly N backfill jobs, N distinct leads, none known,
# each a listed lead, and each in c2s.backfill_leads.
queued_once() {
	[ "$(sql "SELECT count(*) || ' ' || count(DISTINCT ref) FROM c2s.jobs
	    WHERE source = 'backfill'")" = "$1 $1" ] ||
	    atf_fail "backfill jobs (count, distinct): $(sql "SELECT count(*)
	    || ' ' || count(DISTINCT ref) FROM c2s.jobs
	    WHERE source = 'backfill'"), wanted $1 $1"
	[ "$(sql "SELECT count(*) FROM c2s.jobs j JOIN c2s.leads l
	    ON l.lead_id = j.ref WHERE j.source = 'backfill'")" = 0 ] ||
	    atf_fail "a known lead was queued"
	sql "SELECT ref FROM c2s.jobs WHERE source = 'backfill'" |
	    sort >jobs.ids
	cut -f1 listed | sort >listed.ids
	[ "$(comm -23 jobs.ids listed.ids | wc -l)" = 0 ] ||
	    atf_fail "jobs for leads not listed"
	[ "$(sql "SELECT count(*) FROM c2s.backfill_leads")" = "$1" ] ||
	    atf_fail "backfill_leads: $(sql "SELECT count(*) FROM
	    c2s.backfill_leads"), wanted $1"
}

# grouped: within each phone, the newest lead backfilled is the head and
# runs first; the others wait (a later run_after).
grouped() {
	local n
	n=$(sql "SELECT count(*) FROM c2s.backfill_leads WHERE NOT head")
	echo "$n leads queued after the newest of their phone"
	[ "$n" -ge 100 ] || atf_fail "only $n leads grouped behind another"
	[ "$(sql "SELECT count(*) FROM c2s.backfill_leads b WHERE NOT head
	    AND NOT EXISTS (SELECT 1 FROM c2s.backfill_leads h WHERE h.head
	    AND h.phone = b.phone AND h.created_at > b.created_at)")" = 0 ] ||
	    atf_fail "a grouped lead without a newer head of its phone"
	[ "$(sql "SELECT count(*) FROM c2s.backfill_leads b
	    JOIN c2s.jobs j ON j.ref = b.lead_id
	    JOIN c2s.backfill_leads h ON h.phone = b.phone AND h.head
	    JOIN c2s.jobs k ON k.ref = h.lead_id
	    WHERE NOT b.head AND j.run_after <= k.run_after")" = 0 ] ||
	    atf_fail "a grouped lead due before its phone's newest"
	[ "$(sql "SELECT count(*) FROM (SELECT phone FROM c2s.backfill_leads
	    WHERE head AND phone IS NOT NULL GROUP BY phone
	    HAVING count(*) > 1) x")" = 0 ] ||
	    atf_fail "a phone with two heads"
}

atf_test_case known_and_rerun cleanup
known_and_rerun_head() {
	atf_set descr "5 000 listed leads, 1 000 known: exactly 4 000 " \
	    "queued once each, the newest of a phone first; plain progress " \
	    "lines and a summary; a second run queues none; C2S unreachable " \
	    "and the database down fail with a message"
	atf_set timeout 300
}
known_and_rerun_body() {
	local since
	setup SIM_LEAD_LIST_SIZE=$LIST
	listed
	[ "$(cut -f1 listed | sort -u | wc -l)" = $LIST ] ||
	    atf_fail "the simulator listed $(wc -l <listed) leads"
	make_known
	since=$(since_all)
	bf -- --since "$since" >out 2>err || atf_fail "backfill failed:" \
	    "$(tail -3 err)"
	cat out
	# Not a terminal: plain lines, every 10 pages, none rewritten.
	grep -q "$(printf '\r')" err && atf_fail "a carriage return in: $(head -2 err)"
	grep '^backfill: page ' err >lines
	# Every 10 pages (or 5 s, on a slow machine), the first and the last.
	[ "$(wc -l <lines)" -ge 11 ] && [ "$(wc -l <lines)" -le 40 ] ||
	    atf_fail "progress lines: $(cat lines)"
	grep -Eq '^backfill: page 1: 50 seen, 40 queued, 10 already known, [0-9]+ leads/s, ETA [0-9]+s, at [0-9-]{10}$' lines ||
	    atf_fail "first progress line: $(head -1 lines)"
	grep -Eq '^backfill: page 100: 5000 seen, 4000 queued, 1000 already known, [0-9]+ leads/s, ETA [0-9]+s, at [0-9-]{10}$' lines ||
	    atf_fail "last progress line: $(tail -1 lines)"
	sed 's/^backfill: page \([0-9]*\):.*/\1/' lines | awk 'NR > 1 &&
	    ($1 - p < 1 || $1 - p > 10) { bad = 1 } { p = $1 } END { exit bad }' ||
	    atf_fail "not a line every 10 pages: $(cut -c1-40 lines)"
	grep -Eq "^backfill done: $since to [0-9-]{10}: 5000 seen, 4000 queued, 1000 already known; this run: 100 pages from page 1, 5000 leads read in [0-9.]+ s \([0-9]+ leads/s\), [0-9]+ queued after the newest lead of their phone$" out ||
	    atf_fail "summary: $(cat out)"
	queued_once 4000
	grouped
	[ "$(sql "SELECT state || ' ' || next_page || ' ' || seen || ' ' ||
	    queued || ' ' || known || ' ' || list_total FROM c2s.backfills")" = \
	    "done 101 5000 4000 1000 5000" ] ||
	    atf_fail "checkpoint: $(sql "SELECT * FROM c2s.backfills")"

	# Again over the same days: nothing queued twice.
	bf -- --since "$since" >out2 2>err2 || atf_fail "second run failed:" \
	    "$(tail -3 err2)"
	grep -q ': 5000 seen, 0 queued, 5000 already known; ' out2 ||
	    atf_fail "second summary: $(cat out2)"
	queued_once 4000

	# C2S unreachable, the database down: a message, a non-zero exit.
	bf C2S_BASE_URL=http://127.0.0.1:1 -- --since "$since" >out3 2>err3 &&
	    atf_fail "no failure without C2S"
	grep -q '^c2s-enrich: backfill: C2S lead list, page 1: provider_down, unreachable' err3 ||
	    atf_fail "without C2S: $(tail -2 err3)"
	bf DB_URL="host=$PWD/nowhere dbname=c2s user=c2s" -- --since "$since" \
	    >out4 2>err4 && atf_fail "no failure without the database"
	grep -q '^c2s-enrich: backfill: database unavailable' err4 ||
	    atf_fail "without the database: $(tail -2 err4)"
	queued_once 4000
	private_stack_stop
}
known_and_rerun_cleanup() { private_stack_stop; }

# bf_past SINCE PAGE OUT ERR: --backfill --since SINCE in the background
# (stdout in OUT, stderr in ERR), waited for until its checkpoint is past
# PAGE; its pid in BF_PID (exec: no shell between, the signals reach it).
bf_past() {
	(
		while IFS= read -r kv; do
			export "$kv"
		done <"$RUNDIR/responder.env"
		exec "$RUNDIR/bin/c2s-enrich" --backfill --since "$1"
	) >"$3" 2>"$4" </dev/null &
	BF_PID=$!
	wait_for 600 eval '[ "$(psql -X -At -c "SELECT coalesce(max(next_page),
	    0) FROM c2s.backfills")" -ge '"$2"' ]' ||
	    atf_fail "no progress: $(tail -2 "$4")"
}

atf_test_case killed_resumes cleanup
killed_resumes_head() {
	atf_set descr "a backfill stopped by SIGTERM (exit 3), then " \
	    "SIGKILLed after some pages, resumes at its checkpoint: 4 000 " \
	    "queued in all, none twice"
	atf_set timeout 300
}
killed_resumes_body() {
	local since pid n q
	setup SIM_LEAD_LIST_SIZE=$LIST SIM_C2S_LATENCY_MS=20
	listed
	make_known
	since=$(since_all)
	# SIGTERM after some pages: stopped after the page in hand, exit 3.
	bf_past "$since" 5 out0 err0
	pid=$BF_PID
	kill -TERM $pid
	wait $pid
	[ $? = 3 ] || atf_fail "SIGTERM: exit status not 3: $(tail -2 err0)"
	grep -q '^backfill stopped: .*; run it again to resume$' out0 ||
	    atf_fail "stopped summary: $(cat out0)"
	[ "$(sql "SELECT state FROM c2s.backfills")" = running ] ||
	    atf_fail "stopped but not running"
	# Again, SIGKILLed this time.
	bf_past "$since" 30 out err
	pid=$BF_PID
	kill -KILL $pid
	wait $pid 2>/dev/null
	# Its session gone (a statement in flight commits or not by then).
	wait_for 100 eval '[ "$(psql -X -At -c "SELECT count(*) FROM pg_locks
	    WHERE locktype = '"'advisory'"' AND objid = 7461095")" = 0 ]' ||
	    atf_fail "the killed backfill's session lives on"
	n=$(sql "SELECT next_page FROM c2s.backfills")
	q=$(sql "SELECT count(*) FROM c2s.jobs WHERE source = 'backfill'")
	echo "killed before page $n, $q queued"
	[ "$(sql "SELECT state FROM c2s.backfills")" = running ] ||
	    atf_fail "killed but not running"
	[ "$n" -lt 100 ] && [ "$q" -gt 0 ] && [ "$q" -lt 4000 ] ||
	    atf_fail "not half-way: page $n, $q queued"
	[ "$(sql "SELECT queued FROM c2s.backfills")" = "$q" ] ||
	    atf_fail "checkpoint counts $(sql "SELECT queued FROM
	    c2s.backfills"), $q jobs"
	# The same command again: resumed on the last page done.
	bf -- --since "$since" >out2 2>err2 || atf_fail "resumed run failed:" \
	    "$(tail -3 err2)"
	cat out2
	grep -q "^backfill done: .*: 5000 seen, 4000 queued, 1000 already known; this run: $((101 - n + 1)) pages from page $((n - 1)), " out2 ||
	    atf_fail "resumed summary (killed before page $n): $(cat out2)"
	queued_once 4000
	grouped
	[ "$(sql "SELECT count(*) || ' ' || min(state) || ' ' || min(runs)
	    FROM c2s.backfills")" = "1 done 3" ] ||
	    atf_fail "backfills: $(sql "SELECT * FROM c2s.backfills")"
	private_stack_stop
}
killed_resumes_cleanup() { private_stack_stop; }

atf_test_case terminal_progress cleanup
terminal_progress_head() {
	atf_set descr "on a terminal (script(1)) the progress is one line " \
	    "rewritten with carriage returns, then the summary"
	atf_set timeout 300
}
terminal_progress_body() {
	local since
	command -v script >/dev/null ||
	    atf_skip "script(1) (util-linux) is not installed: no terminal" \
	    "to show the progress line on"
	setup SIM_LEAD_LIST_SIZE=1000 SIM_C2S_LATENCY_MS=30
	listed
	since=$(since_all)
	(
		while IFS= read -r kv; do
			export "$kv"
		done <"$RUNDIR/responder.env"
		exec script -qec "'$RUNDIR/bin/c2s-enrich' --backfill --since $since" /dev/null
	) </dev/null >tty || atf_fail "backfill failed: $(tr '\r' '\n' <tty | tail -3)"
	# The terminal's lines (its newlines are CR LF): first the progress,
	# rewritten after a CR each time, the last one the end; then the
	# summary; nothing else.
	tr -d '\r' <tty >tty.lines
	[ "$(wc -l <tty.lines)" = 2 ] ||
	    atf_fail "not two lines: $(od -c tty | head -8)"
	head -1 tty | tr '\r' '\n' | grep . >shown
	[ "$(wc -l <shown)" -ge 2 ] && ! grep -qv '^backfill: page ' shown ||
	    atf_fail "one line rewritten? $(od -c tty | head -8)"
	grep -Eq '^backfill: page 1: 50 seen, 50 queued, 0 already known, ' shown ||
	    atf_fail "first shown: $(head -1 shown)"
	tail -1 shown | grep -Eq '^backfill: page 20: 1000 seen, 1000 queued, 0 already known, [0-9]+ leads/s, ETA [0-9]+s, at [0-9-]{10} *$' ||
	    atf_fail "last shown: $(tail -1 shown)"
	sed -n 2p tty.lines | grep -q '^backfill done: .*: 1000 seen, 1000 queued, 0 already known;' ||
	    atf_fail "no summary: $(tail -1 tty.lines)"
	queued_once 1000
	private_stack_stop
}
terminal_progress_cleanup() { private_stack_stop; }

atf_test_case bad_days
bad_days_head() {
	atf_set descr "--backfill without --since, with a day that is no " \
	    "day, --until before --since, --since in the future, an unknown " \
	    "argument: exit 2 with the reason, before any setting is read"
}
bad_days_body() {
	local b="$TOP/fcgi/c2s-enrich"
	atf_check -s exit:2 -e match:'--backfill wants --since YYYY-MM-DD' \
	    env -i "$b" --backfill
	atf_check -s exit:2 -e match:'--since 2025-13-01: not a day' \
	    env -i "$b" --backfill --since 2025-13-01
	atf_check -s exit:2 -e match:'--since 2025-02-29: not a day' \
	    env -i "$b" --backfill --since 2025-02-29
	atf_check -s exit:2 -e match:'--since 25-01-01: not a day' \
	    env -i "$b" --backfill --since 25-01-01
	atf_check -s exit:2 -e match:'--until 2025-2-01: not a day' \
	    env -i "$b" --backfill --since 2025-01-01 --until 2025-2-01
	atf_check -s exit:2 \
	    -e match:'--until 2025-02-01 is before --since 2025-03-01' \
	    env -i "$b" --backfill --since 2025-03-01 --until=2025-02-01
	atf_check -s exit:2 -e match:'--since 2999-01-01 is in the future' \
	    env -i "$b" --backfill --since 2999-01-01
	atf_check -s exit:2 -e match:'--until wants a day' \
	    env -i "$b" --backfill --since 2025-01-01 --until
	atf_check -s exit:2 -e match:'unknown argument --worker' \
	    env -i "$b" --backfill --since 2025-01-01 --worker
	# Good days, no settings: the service's own refusal (closed by
	# default), not a backfill.
	atf_check -s exit:1 -e match:'API_KEYS' \
	    env -i "$b" --backfill --since 2025-01-01 --until 2025-01-01
}

# The small list of the worker case: 30 leads in one day ending at a
# fixed time, among them two persons with two leads (docs/SIMULATOR.md).
SMALL_END=1790000000

atf_test_case undated_not_queued cleanup
undated_not_queued_head() {
	atf_set descr "a listed lead without a readable created_at is not " \
	    "queued (whatever --since and --until say) and is counted as " \
	    "undated; a page with no readable date fails the run"
	atf_set timeout 120
}
undated_not_queued_body() {
	setup SIM_LEAD_LIST_SIZE=120 SIM_LEAD_LIST_DAYS=1 \
	    SIM_LEAD_LIST_END=$SMALL_END SIM_LEAD_LIST_UNDATED=3
	listed
	[ "$(head -3 listed | cut -f2 | tr -d '\n')" = "" ] &&
	    [ -n "$(sed -n 4p listed | cut -f2)" ] ||
	    atf_fail "the simulator's undated leads: $(head -4 listed)"
	bf -- --since "$(since_all)" >out 2>err ||
	    atf_fail "backfill failed: $(tail -3 err)"
	grep -q ': 117 seen, 117 queued, 0 already known; .*, 3 undated (no readable created_at, not queued)$' out ||
	    atf_fail "summary: $(cat out)"
	queued_once 117
	for id in $(head -3 listed | cut -f1); do
		[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE ref = '$id'")" = 0 ] ||
		    atf_fail "undated lead $id queued"
	done
	private_stack_stop
	# A whole page without a readable date: the run stops, nothing queued.
	setup SIM_LEAD_LIST_SIZE=120 SIM_LEAD_LIST_DAYS=1 \
	    SIM_LEAD_LIST_END=$SMALL_END SIM_LEAD_LIST_UNDATED=50
	bf -- --since 2026-01-01 >out2 2>err2 &&
	    atf_fail "no failure on a page without dates: $(cat out2)"
	grep -q '^c2s-enrich: backfill: C2S lead list, page 1: no lead with a readable created_at' err2 ||
	    atf_fail "the error: $(tail -2 err2)"
	[ "$(sql "SELECT count(*) FROM c2s.jobs")" = 0 ] ||
	    atf_fail "jobs queued"
	private_stack_stop
}
undated_not_queued_cleanup() { private_stack_stop; }

atf_test_case dst_day cleanup
dst_day_head() {
	atf_set descr "a São Paulo day of its summer time (2018-12-01, " \
	    "UTC-2) starts at 02:00 UTC, as GET /api/v1/leads reads it: " \
	    "the leads of its first hour are queued"
	atf_set timeout 120
}
dst_day_body() {
	local n first
	# 96 leads, one every 15 minutes, the newest at 03:00 UTC.
	setup SIM_LEAD_LIST_SIZE=96 SIM_LEAD_LIST_DAYS=1 \
	    SIM_LEAD_LIST_END=1543633200
	listed
	: >in
	while IFS=$(printf '\t') read -r id at ph; do
		[ "$(date -u -d "$at" +%s)" -ge 1543629600 ] && echo "$id" >>in
	done <listed
	n=$(wc -l <in)
	first=$(cut -f2 listed | while read -r at; do
		t=$(date -u -d "$at" +%s)
		[ "$t" -ge 1543629600 ] && [ "$t" -lt 1543633200 ] && echo "$t"
	done | wc -l)
	[ "$first" -ge 2 ] || atf_fail "$first leads in the day's first hour"
	bf -- --since 2018-12-01 --until 2018-12-01 >out 2>err ||
	    atf_fail "backfill failed: $(tail -3 err)"
	grep -q "^backfill done: 2018-12-01 to 2018-12-01: $n seen, $n queued, 0 already known; " out ||
	    atf_fail "summary (wanted $n): $(cat out)"
	queued_once "$n"
	[ "$(sql "SELECT count(*) FROM c2s.backfills WHERE since =
	    '2018-12-01 00:00:00-02' AND until = '2018-12-02 00:00:00-02'")" = 1 ] ||
	    atf_fail "the range: $(sql "SELECT since, until FROM c2s.backfills")"
	private_stack_stop
}
dst_day_cleanup() { private_stack_stop; }

atf_test_case worker_runs_backfill cleanup
worker_runs_backfill_head() {
	atf_set descr "a worker runs a small backfill: every job done, a " \
	    "webhook's lead queued after them first, a person's older lead " \
	    "after its newest and from its dossier (no second Work API " \
	    "call), the Work API calls WORK_API_MIN_INTERVAL apart"
	atf_set timeout 300
}
worker_runs_backfill_body() {
	local since t0 took calls pairs live
	setup SIM_LEAD_LIST_SIZE=30 SIM_LEAD_LIST_DAYS=1 \
	    SIM_LEAD_LIST_END=$SMALL_END WORK_API_MIN_INTERVAL=200ms \
	    REQUEST_DEADLINE=3s
	listed
	pairs=$(cut -f3 listed | grep . | sort | uniq -d | wc -l)
	[ "$pairs" -ge 2 ] || atf_fail "the small list has $pairs phones twice"
	since=$(since_all)
	# A grouped lead waits REQUEST_DEADLINE + 5 s after it is queued
	# (the backfill's deadline, not the stack's): 8 s, not 30.
	bf REQUEST_DEADLINE=3s -- --since "$since" >out 2>err ||
	    atf_fail "backfill failed: $(tail -3 err)"
	queued_once 30
	[ "$(sql "SELECT count(*) FROM c2s.backfill_leads WHERE NOT head")" \
	    -ge 2 ] || atf_fail "no lead grouped behind its phone's newest"
	# A webhook's lead queued after them runs before them all.
	live=$(rand_id)
	sql "INSERT INTO c2s.jobs (kind, ref, source) VALUES ('lead', '$live',
	    'webhook')" >/dev/null
	t0=$(now_ms)
	start_worker worker.log WORK_API_MIN_INTERVAL=200ms REQUEST_DEADLINE=3s \
	    LOG_LEVEL=debug
	echo "$WORKER_PID" >worker.pid
	wait_for 1200 eval '[ "$(psql -X -At -c "SELECT count(*) FROM c2s.jobs
	    WHERE source = '"'backfill'"' AND state = '"'done'"'")" = 30 ]' ||
	    atf_fail "backfill jobs: $(sql "SELECT state, count(*) FROM
	    c2s.jobs GROUP BY 1")"
	took=$(( $(now_ms) - t0 ))
	[ "$(sql "SELECT count(*) FROM c2s.jobs b, c2s.jobs w
	    WHERE b.source = 'backfill' AND w.ref = '$live'
	    AND b.started_at <= w.started_at")" = 0 ] ||
	    atf_fail "a backfill job ran before the webhook's lead"
	kill -TERM "$WORKER_PID"
	wait_for 150 eval "! alive $WORKER_PID" || kill -KILL "$WORKER_PID"
	rm -f worker.pid
	# Each older lead of a phone ran after its newest was done, and no
	# dossier was paid for twice: a person's older lead reused it.
	[ "$(sql "SELECT count(*) FROM c2s.backfill_leads b
	    JOIN c2s.jobs j ON j.ref = b.lead_id
	    JOIN c2s.backfill_leads h ON h.phone = b.phone AND h.head
	    JOIN c2s.jobs k ON k.ref = h.lead_id
	    WHERE NOT b.head AND j.started_at < k.finished_at")" = 0 ] ||
	    atf_fail "a grouped lead ran before its phone's newest was done"
	curl -s "$C2S_SIM_URL/__sim/calls?api=work" | jq -r '.calls[] |
	    select(.path | contains("modulo=cpf")) | "\(.count) \(.path)"' \
	    >cpf.calls
	[ -s cpf.calls ] || atf_fail "no dossier fetched"
	grep -v '^1 ' cpf.calls && atf_fail "a dossier paid for twice"
	[ "$(sql "SELECT count(*) FROM c2s.backfill_leads b
	    JOIN c2s.leads l ON l.lead_id = b.lead_id
	    WHERE NOT b.head AND l.dossiers_reused > 0")" -ge 1 ] ||
	    atf_fail "no grouped lead reused its person's dossier: $(sql "SELECT
	    b.lead_id, l.status, l.dossiers_fetched, l.dossiers_reused FROM
	    c2s.backfill_leads b JOIN c2s.leads l USING (lead_id)
	    WHERE NOT b.head")"
	# Spaced: the worker logs a Work API call when its batch is over (a
	# lead's calls in parallel: at most two dossiers), the simulator
	# answering at once.  So two calls are logged together (within 20
	# ms: one batch) or 200 ms apart (less a few ms), never three within
	# 200 ms.
	calls=$(curl -s "$C2S_SIM_URL/__sim/calls?api=work" | jq '.by_api.work')
	echo "$calls Work API calls in $took ms"
	[ "$calls" -ge 10 ] || atf_fail "only $calls Work API calls"
	grep '"msg":"work /api?modulo=' worker.log | jq -r .ts >work.ts
	[ "$(wc -l <work.ts)" = "$calls" ] ||
	    atf_fail "$(wc -l <work.ts) Work API calls logged, $calls made"
	jq -R '(.[0:19] + "Z" | fromdateiso8601) * 1000 +
	    (.[20:23] | tonumber)' work.ts | awk '
	    NR > 1 && $1 - p > 20 && $1 - p < 170 {
		print "calls " $1 - p " ms apart"; bad = 1 }
	    NR > 2 && $1 - q < 170 {
		print "three calls in " $1 - q " ms"; bad = 1 }
	    { q = p; p = $1 } END { exit bad }' ||
	    atf_fail "Work API calls not 200 ms apart"
	private_stack_stop
}
worker_runs_backfill_cleanup() {
	[ -r worker.pid ] && kill -KILL "$(cat worker.pid)" 2>/dev/null
	private_stack_stop
}

atf_init_test_cases() {
	atf_add_test_case bad_days
	atf_add_test_case known_and_rerun
	atf_add_test_case killed_resumes
	atf_add_test_case terminal_progress
	atf_add_test_case worker_runs_backfill
	atf_add_test_case undated_not_queued
	atf_add_test_case dst_day
}
