#! /usr/bin/env atf-sh
# spool_test -- nothing lost while PostgreSQL is down (DESIGN.md 11.2): a
# request that records work and finds the database gone is spooled and
# answered 202, never 200 without a record; the worker replays each
# spooled request once when the database is back.  Private stacks:
#   outage__nothing_lost      500 Make.com triggers, 100 POST triggers,
#                             200 webhook events, 20 Google forms during an
#                             outage: all in the database afterwards, each
#                             lead run once, one note at most
#   kill__responder_and_worker responders SIGKILLed while spooling, the
#                             worker SIGKILLed mid-replay: still once
#   bad_records__counted      a torn tail and a flipped bit: the other
#                             records replayed, the bad ones counted
#   full__503, unwritable__503 503 spool_unavailable with Retry-After

. "$(atf_get_srcdir)/common.subr"

# spool_stack [VAR=VALUE ...]: a private stack, no worker (the case
# starts one when it wants the replay), no rate limit.
spool_stack() {
	private_stack RATE_LIMIT=0 C2S_WORKERS=0 WORKER_POLL_INTERVAL=200ms \
	    "$@"
	export PGHOST PGUSER PGDATABASE
	mkdir -p ans ev
}

pg() {
	"$STACK" pg "$1" "$RUNDIR" || atf_fail "cannot $1 postgres"
}

# worker: one more worker on the stack (its pid in WORKER_PID and in
# ./workers, which spool_stop stops), polling as spool_stack says
# (responder.env has no WORKER_POLL_INTERVAL: without it, the default
# 5 s).
worker() {
	start_worker "$RUNDIR/log/worker.log" WORKER_POLL_INTERVAL=200ms
	echo "$WORKER_PID" >>workers
}

# spool_stop: the workers this case started, then the stack.
spool_stop() {
	local pid
	if [ -r workers ]; then
		for pid in $(cat workers); do
			kill -TERM "$pid" 2>/dev/null
		done
		for pid in $(cat workers); do
			wait_for 100 eval "! alive $pid" ||
			    kill -KILL "$pid" 2>/dev/null
		done
		rm -f workers
	fi
	private_stack_stop
}

# entry METHOD URL OUT [curl config lines]: one request of a curl config
# (curl -q --parallel -K), its answer in OUT, "status OUT" on stdout;
# each opens with "next" (gen_load drops the file's first).
entry() {
	local m=$1 u=$2 o=$3 l
	shift 3
	printf 'next\nurl = "%s"\noutput = "%s"\nrequest = "%s"\n' "$u" "$o" "$m"
	printf 'header = "X-API-Key: %s"\n' "$C2S_API_KEY"
	printf 'write-out = "%%{http_code} %%{filename_effective}\\n"\n'
	printf 'max-time = 30\n'
	for l in "$@"; do
		printf '%s\n' "$l"
	done
}

# new_ids PREFIX N: N random 32-character ids after PREFIX, as rand_id
# makes them, one od for all.
new_ids() {
	[ "$2" -gt 0 ] || return 0
	od -An -v -N$(($2 * 16)) -tx1 -w16 /dev/urandom | tr -d ' ' |
	    cut -c1-$((32 - ${#1})) | sed "s/^/$1/"
}

# gen_load PREFIX NGET NPOST NHOOKREQ EVPERREQ NFORM: the requests of a
# load in PREFIX.cfg, the lead ids in PREFIX.get, PREFIX.post,
# PREFIX.hook, the form ids in PREFIX.forms.
gen_load() {
	local p=$1 i j id sep
	: >"$p.cfg"
	new_ids 5b01 "$2" >"$p.get"
	new_ids 5b02 "$3" >"$p.post"
	new_ids 5b03 $(($4 * $5)) >"$p.hook"
	new_ids "" "$6" | sed "s/^/spool-/" >"$p.forms"
	while read -r id; do
		entry GET "$URL/api/v1/leads/process?id=$id" "ans/$p-g-$id"
	done <"$p.get" >>"$p.cfg"
	while read -r id; do
		entry POST "$URL/api/v1/c2s/enrich/$id" "ans/$p-p-$id" \
		    'data = ""'
	done <"$p.post" >>"$p.cfg"
	exec 4<"$p.hook"
	for i in $(seq 1 "$4"); do
		sep=
		{
			printf '['
			for j in $(seq 1 "$5"); do
				read -r id <&4
				printf '%s{"hook_action":"on_create_lead",' "$sep"
				printf '"id":"%s","attributes":' "$id"
				printf '{"updated_at":"2026-01-0%sT10:00:00Z"}}' "$j"
				sep=,
			done
			printf ']'
		} >"ev/$p-$i"
		entry POST "$URL/api/v1/webhooks/c2s" "ans/$p-w-$i" \
		    "data-binary = \"@ev/$p-$i\"" \
		    'header = "Content-Type: application/json"' \
		    "header = \"X-Webhook-Token: $C2S_WEBHOOK_SECRET\"" \
		    >>"$p.cfg"
	done
	exec 4<&-
	i=0
	while read -r id; do
		i=$((i + 1))
		printf '{"lead_id":"%s","api_version":"1.0","form_id":1,' "$id" \
		    >"ev/$p-f-$i"
		printf '"campaign_id":"77","is_test":false,"user_column_data":' \
		    >>"ev/$p-f-$i"
		printf '[{"column_id":"FULL_NAME","string_value":"Maria %s"},' \
		    "$i" >>"ev/$p-f-$i"
		printf '{"column_id":"PHONE_NUMBER","string_value":' \
		    >>"ev/$p-f-$i"
		printf '"+5511987%06d"}]}' "$i" >>"ev/$p-f-$i"
		entry POST "$URL/api/v1/webhooks/google-ads?google_key=$C2S_GOOGLE_KEY" \
		    "ans/$p-f-$i" "data-binary = \"@ev/$p-f-$i\"" \
		    'header = "Content-Type: application/json"' >>"$p.cfg"
	done <"$p.forms"
	sed -i 1d "$p.cfg"
}

# send PREFIX [PARALLEL]: the load of PREFIX.cfg; "status file" lines in
# PREFIX.ans.
send() {
	curl -q -s --parallel --parallel-max "${2:-16}" -K "$1.cfg" \
	    >"$1.ans" 2>"$1.err" || true
	echo "$1: $(wc -l <"$1.ans") answers:" \
	    "$(cut -d' ' -f1 "$1.ans" | sort | uniq -c | tr -s ' \n' ' ')"
}

# answers_spooled PREFIX: every answer of PREFIX is 202 queued and
# spooled (the database was down for all of them).  One jq reads them
# all; only when one is not, a jq a file finds which.
answers_spooled() {
	local st f
	cut -d' ' -f2- "$1.ans" | xargs -r jq -r 'if .success == true and
	    .status == "queued" and .spooled == true then "ok" else "bad" end' \
	    >ans.ok 2>/dev/null &&
	    [ "$(grep -cx ok ans.ok)" = "$(grep -c . ans.ok)" ] &&
	    [ "$(grep -c . ans.ok)" = "$(grep -c . "$1.ans")" ] &&
	    [ "$(cut -d' ' -f1 "$1.ans" | sort -u)" = 202 ] && return 0
	while read -r st f; do
		[ "$st" = 202 ] && jq -e '.success == true and
		    .status == "queued" and .spooled == true' "$f" >/dev/null ||
		    echo "$st $f $(head -c 200 "$f" 2>/dev/null)"
	done <"$1.ans" >bad_answers
	[ -s bad_answers ] && { head -5 bad_answers; atf_fail \
	    "$(wc -l <bad_answers) answers not 202 spooled (above)"; }
	return 0
}

# load_ids FILE...: the lead ids of the FILEs in table public.ids.
load_ids() {
	cat "$@" | sort -u >"$PWD/ids.all"
	psql -X -q -v ON_ERROR_STOP=1 <<EOF || atf_fail "psql failed"
DROP TABLE IF EXISTS public.ids;
CREATE TABLE public.ids (id text PRIMARY KEY);
\\copy public.ids FROM '$PWD/ids.all'
EOF
}

# settled: every lead of public.ids has a row whose run is over.
settled() {
	[ "$(sql "SELECT count(*) FROM public.ids i JOIN c2s.leads l ON
	    l.lead_id = i.id WHERE l.status NOT IN ('received', 'processing')
	    AND NOT EXISTS (SELECT 1 FROM c2s.jobs j WHERE j.ref = i.id AND
	    j.state IN ('queued', 'running'))")" = \
	    "$(sql "SELECT count(*) FROM public.ids")" ]
}

# posted: "lead notes" for every lead the simulator accepted a note for.
posted() {
	curl -q -s "$C2S_SIM_URL/__sim/calls?api=c2s" | jq -r '.calls[] |
	    select(.method == "POST" and .status >= 200 and .status < 300 and
	    (.path | test("^/integration/leads/[0-9a-f]{32}/create_message$"))) |
	    "\(.path | split("/")[3]) \(.count)"' |
	    awk '{ n[$1] += $2 } END { for (k in n) print k, n[k] }'
}

# leads_once MAXATTEMPTS: each lead of public.ids one row, run at least
# once and at most MAXATTEMPTS times, one lead job; one note at most, and
# one exactly for each lead whose note is recorded as posted.
leads_once() {
	local n bad
	n=$(sql "SELECT count(*) FROM public.ids")
	bad=$(sql "SELECT count(*) FROM public.ids i LEFT JOIN c2s.leads l
	    ON l.lead_id = i.id WHERE l.lead_id IS NULL OR l.attempts < 1 OR
	    l.attempts > $1")
	[ "$bad" = 0 ] || atf_fail "$bad of $n leads lost or run more than" \
	    "$1 times: $(sql "SELECT string_agg(i.id || ':' ||
	    coalesce(l.attempts::text, 'none'), ' ') FROM (SELECT * FROM
	    public.ids LIMIT 400) i LEFT JOIN c2s.leads l ON l.lead_id = i.id
	    WHERE l.lead_id IS NULL OR l.attempts < 1 OR l.attempts > $1")"
	bad=$(sql "SELECT count(*) FROM (SELECT i.id FROM public.ids i
	    LEFT JOIN c2s.jobs j ON j.ref = i.id AND j.kind = 'lead'
	    GROUP BY i.id HAVING count(j.id) <> 1) x")
	[ "$bad" = 0 ] || atf_fail "$bad leads without exactly one job"
	posted >notes
	sql "SELECT lead_id FROM c2s.leads WHERE note_state = 'posted' AND
	    lead_id IN (SELECT id FROM public.ids)" | sort >posted.db
	awk '$2 > 1' notes | grep -F -f ids.all >twice || true
	[ -s twice ] && atf_fail "$(wc -l <twice) leads got more than one note"
	awk '{ print $1 }' notes | grep -F -x -f ids.all | sort >posted.sim
	cmp -s posted.db posted.sim || atf_fail "notes posted ($(wc -l \
	    <posted.sim)) and notes recorded as posted ($(wc -l <posted.db))" \
	    "differ"
	echo "$n leads: one row and one job each, at most $1 runs;" \
	    "$(wc -l <posted.sim) notes, one each"
}

# spool_shown: /ready shows a spool (a file, some bytes).
spool_shown() {
	curl -q -s -o ready "$URL/ready" &&
	    jq -e '.spool.files >= 1 and .spool.bytes > 0' ready >/dev/null
}

# spool_empty: the spool of the stack is empty: /ready's depth (the
# files ready for the worker) and the directory (a responder's open file
# too).  Each responder closes the file it spooled to once it has had no
# record for 2 s, even with no request coming (its accept wakes), for the
# worker to replay and delete.
spool_empty() {
	curl -q -s -o ready "$URL/ready" &&
	    jq -e '.spool.files == 0 and .spool.bytes == 0' ready >/dev/null &&
	    [ -z "$(ls -A "$RUNDIR/spool")" ]
}

atf_test_case outage__nothing_lost cleanup
outage__nothing_lost_head() {
	atf_set descr "PostgreSQL down while 500 GET and 100 POST triggers," \
	    "200 webhook events and 20 Google forms arrive: each answered" \
	    "202 spooled; once it is back every one is in the database, each" \
	    "lead run once with one job and at most one note"
	atf_set timeout 300
}
outage__nothing_lost_body() {
	local t0
	spool_stack C2S_POOL=2
	gen_load o 500 100 50 4 20
	pg stop
	t0=$(now_ms)
	send o 16
	echo "sent in $(( $(now_ms) - t0 )) ms"
	[ "$(wc -l <o.ans)" = 670 ] || atf_fail "$(wc -l <o.ans) answers of 670"
	answers_spooled o
	# The depth shows (ready is 503 for the database, not the spool),
	# once the master reads it again (once a second at most).
	wait_for 50 spool_shown || atf_fail "/ready shows no spool: $(cat ready)"
	pg start
	load_ids o.get o.post o.hook
	worker
	worker
	wait_for 1200 settled || atf_fail "leads not all run:" \
	    "$(sql "SELECT status, count(*) FROM c2s.leads GROUP BY 1")"
	echo "replayed and run in $(( $(now_ms) - t0 )) ms"
	leads_once 1
	[ "$(sql "SELECT count(*) FROM c2s.leads WHERE source = 'api' AND
	    lead_id IN (SELECT id FROM public.ids)")" = 600 ] ||
	    atf_fail "the triggers' leads are not all of source api"
	[ "$(sql "SELECT count(*) FROM c2s.webhook_events WHERE lead_id IN
	    (SELECT id FROM public.ids)")" = 200 ] ||
	    atf_fail "not 200 webhook events stored"
	sort -u o.forms | sed "s/.*/'&'/" | paste -sd, >forms.sql
	[ "$(sql "SELECT count(*) FROM c2s.google_leads WHERE form_lead_id
	    IN ($(cat forms.sql))")" = 20 ] || atf_fail "not 20 forms stored"
	[ "$(sql "SELECT count(*) FROM c2s.spool_done")" = 670 ] ||
	    atf_fail "$(sql "SELECT count(*) FROM c2s.spool_done") records" \
	    "replayed, not 670"
	wait_for 100 spool_empty || atf_fail "spool not empty: $(cat ready)"
	scrape
	[ "$(metric 'c2s_spool_records_total{result="spooled"}')" = 670 ] &&
	    [ "$(metric 'c2s_spool_records_total{result="replayed"}')" = 670 ] ||
	    atf_fail "metrics: $(grep '^c2s_spool' metrics | tr '\n' ' ')"
	spool_stop
}
outage__nothing_lost_cleanup() { spool_stop; }

atf_test_case kill__responder_and_worker cleanup
kill__responder_and_worker_head() {
	atf_set descr "responders SIGKILLed while they spool and the worker" \
	    "SIGKILLed mid-replay: every request answered 202 is run once," \
	    "the dead responders' files replayed and deleted"
	atf_set timeout 300
}
kill__responder_and_worker_body() {
	local i pid n sp
	spool_stack C2S_POOL=3 REQUEST_DEADLINE=4s JOB_TIMEOUT=6s
	# Every responder old enough to be killed (old_responder: 2 s).
	wait_for 100 eval '[ "$(for p in $(responders); do
	    ps -o etimes= -p "$p"; done | awk "\$1 >= 2" | wc -l)" -eq 3 ]' ||
	    atf_fail "the pool's 3 responders never reached 2 s of age"
	gen_load k 400 0 0 0 0
	pg stop
	send k 8 &
	sp=$!
	# Two responders killed while the load runs (a record cut short by
	# the kill is a torn tail: skipped and counted).
	for n in 1 2; do
		sleep 0.02
		pid=$(old_responder) && kill -KILL "$pid" &&
		    echo "responder $pid killed"
	done
	wait $sp
	# The requests a killed responder held may have failed; every 202
	# must be kept.
	awk '$1 == 202 { sub("^ans/k-g-", "", $2); print $2 }' k.ans >k.spooled
	echo "$(wc -l <k.spooled) spooled"
	[ "$(wc -l <k.spooled)" -ge 300 ] || atf_fail "too few spooled"
	ls "$RUNDIR/spool"
	pg start
	load_ids k.spooled
	worker
	pid=$WORKER_PID
	# Killed as soon as the first records are committed.
	i=0
	while [ "$(sql "SELECT count(*) FROM c2s.spool_done")" = 0 ]; do
		i=$((i + 1))
		[ $i -lt 3000 ] || atf_fail "no replay began"
	done
	kill -KILL "$pid"
	n=$(sql "SELECT count(*) FROM c2s.spool_done")
	echo "worker $pid killed after $n records replayed"
	worker
	wait_for 1200 settled || atf_fail "leads not all run:" \
	    "$(sql "SELECT status, count(*) FROM c2s.leads GROUP BY 1")"
	# A lead whose run the kill cut short runs again: two at most.
	leads_once 2
	# Nothing more than was sent; the killed requests that got through
	# are there once too.
	[ "$(sql "SELECT count(*) FROM c2s.leads WHERE lead_id LIKE '5b01%'")" \
	    -le 400 ] || atf_fail "more leads than sent"
	wait_for 100 spool_empty || atf_fail "spool not empty: $(cat ready)"
	spool_stop
}
kill__responder_and_worker_cleanup() { spool_stop; }

# flip FILE OFFSET: flip the low bit of one byte.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf '%03o' $((b ^ 1)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# spool_round PREFIX N: PostgreSQL down, N triggers spooled by the one
# responder, PostgreSQL up, and the file closed by its responder once
# idle 2 s (no request needed): its name on stdout.
spool_round() {
	local before
	before=$(ls "$RUNDIR/spool" | grep -c '\.ready$')
	gen_load "$1" "$2" 0 0 0 0
	pg stop
	send "$1" 1 >/dev/null
	answers_spooled "$1"
	pg start
	wait_for 100 eval '[ "$(ls "$RUNDIR/spool" | grep -c "\.ready$")" \
	    -gt "$before" ]' || atf_fail "the spool file was not closed"
	ls "$RUNDIR/spool" | grep '\.ready$' | sort | tail -1
}

atf_test_case bad_records__counted cleanup
bad_records__counted_head() {
	atf_set descr "a spool file with a torn last record and one with a" \
	    "flipped bit: the other records replayed, the bad ones skipped," \
	    "logged and counted in the metrics"
	atf_set timeout 180
}
bad_records__counted_body() {
	local a b size
	spool_stack C2S_POOL=1
	a=$(spool_round a 3)
	b=$(spool_round b 3)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] ||
	    atf_fail "two ready files expected: $(ls "$RUNDIR/spool")"
	# The last record of the first file cut short (a writer killed).
	size=$(stat -c %s "$RUNDIR/spool/$a")
	truncate -s $((size - 10)) "$RUNDIR/spool/$a"
	# A bit flipped in the middle of the second (its second record).
	size=$(stat -c %s "$RUNDIR/spool/$b")
	flip "$RUNDIR/spool/$b" $((size / 2))
	worker
	wait_for 300 sh -c "[ -z \"\$(ls '$RUNDIR/spool')\" ]" ||
	    atf_fail "spool files left: $(ls "$RUNDIR/spool")"
	sed -n 1,2p a.get >good
	sed -n 1p b.get >>good
	sed -n 3p b.get >>good
	load_ids good
	wait_for 600 settled || atf_fail "the good records did not run"
	leads_once 1
	for id in $(sed -n 3p a.get) $(sed -n 2p b.get); do
		[ "$(sql "SELECT count(*) FROM c2s.leads WHERE lead_id =
		    '$id'")" = 0 ] || atf_fail "bad record $id replayed"
	done
	scrape
	[ "$(metric 'c2s_spool_skipped_total{reason="torn"}')" = 1 ] &&
	    [ "$(metric 'c2s_spool_skipped_total{reason="corrupt"}')" = 1 ] &&
	    [ "$(metric 'c2s_spool_records_total{result="replayed"}')" = 4 ] ||
	    atf_fail "metrics: $(grep '^c2s_spool' metrics | tr '\n' ' ')"
	grep -q "spool: $a offset [0-9]*: torn last record" \
	    "$RUNDIR/log/worker.log" || atf_fail "the torn record not logged"
	grep -q "spool: $b offset [0-9]*: CRC mismatch" \
	    "$RUNDIR/log/worker.log" || atf_fail "the corrupt record not logged"
	spool_stop
}
bad_records__counted_cleanup() { spool_stop; }

# expect_spool_503 PATH [curl args]: 503 spool_unavailable, Retry-After.
expect_spool_503() {
	local p=$1 st
	shift
	st=$(curl -s -D headers -o body -w '%{http_code}' --max-time 10 "$@" \
	    "$URL$p")
	[ "$st" = 503 ] || atf_fail "$p: $st, not 503: $(head -c 300 body)"
	expect_json_error spool_unavailable
	grep -qi '^Retry-After: [0-9]' headers || atf_fail "no Retry-After"
}

atf_test_case full__503 cleanup
full__503_head() {
	atf_set descr "a full spool (SPOOL_MAX_BYTES) answers 503" \
	    "spool_unavailable with Retry-After, and takes requests again" \
	    "once replayed"
	atf_set timeout 120
}
full__503_body() {
	local i st n=0
	spool_stack C2S_POOL=1 SPOOL_MAX_BYTES=500
	pg stop
	for i in $(seq 1 10); do
		st=$(http GET "/api/v1/leads/process?id=$(rand_id 5b04)")
		[ "$st" = 202 ] || break
		n=$((n + 1))
	done
	[ "$st" = 503 ] && [ "$n" -ge 2 ] && [ "$n" -le 4 ] ||
	    atf_fail "$n requests spooled in 500 bytes, then $st"
	expect_spool_503 "/api/v1/leads/process?id=$(rand_id 5b04)"
	expect_spool_503 "/api/v1/c2s/enrich/$(rand_id 5b04)" -X POST -d ''
	expect_spool_503 /api/v1/webhooks/c2s -X POST \
	    -H 'Content-Type: application/json' \
	    -H "X-Webhook-Token: $C2S_WEBHOOK_SECRET" \
	    --data-binary "{\"hook_action\":\"on_create_lead\",\"id\":\"$(rand_id)\"}"
	scrape
	[ "$(metric 'c2s_spool_records_total{result="refused"}')" = 4 ] ||
	    atf_fail "refusals not counted: $(grep '^c2s_spool' metrics)"
	pg start
	worker
	wait_for 100 spool_empty || atf_fail "spool not empty: $(cat ready)"
	pg stop
	expect_status 202 GET "/api/v1/leads/process?id=$(rand_id 5b04)"
	pg start
	spool_stop
}
full__503_cleanup() { spool_stop; }

atf_test_case unwritable__503 cleanup
unwritable__503_head() {
	atf_set descr "an unwritable SPOOL_DIR answers 503 spool_unavailable" \
	    "with Retry-After, never a 200"
	atf_set timeout 120
}
unwritable__503_body() {
	spool_stack C2S_POOL=1 SPOOL_DIR=/proc/c2s-enrich-spool
	pg stop
	expect_spool_503 "/api/v1/leads/process?id=$(rand_id 5b05)"
	expect_spool_503 "/api/v1/webhooks/google-ads?google_key=$C2S_GOOGLE_KEY" \
	    -X POST -H 'Content-Type: application/json' \
	    --data-binary '{"lead_id":"spool-unwritable","user_column_data":[]}'
	grep -q '"msg":"spool: mkdir /proc/c2s-enrich-spool' \
	    "$RUNDIR/log/pool.log" || atf_fail "the failure is not logged"
	pg start
	spool_stop
}
unwritable__503_cleanup() { spool_stop; }

atf_init_test_cases() {
	atf_add_test_case outage__nothing_lost
	atf_add_test_case kill__responder_and_worker
	atf_add_test_case bad_records__counted
	atf_add_test_case full__503
	atf_add_test_case unwritable__503
}
