#! /usr/bin/env atf-sh
# fault_test -- fault injection on the real stack, each case on a private
# stack of its own: every upstream fault of the simulator (docs/SIMULATOR.md)
# through both lead triggers, PostgreSQL stopped and restarted under load,
# responders SIGKILLed under load, clients that hang up, and 1 000
# connections at once.  Every case checks the same invariants after its
# fault:
#   - each answer has the status the README documents, and no 5xx is
#     answered beyond those the fault explains;
#   - no responder is stuck: every request is answered within a bound and
#     the pool is back to full size;
#   - no lead is lost or run twice: every lead id sent is one row of
#     c2s.leads, with the attempts the case allows, and no lead got the
#     same note twice (the simulator's record of create_message);
#   - the error logs (pool.log lines of level error, lighttpd-error.log)
#     hold nothing the fault does not explain: each case lists the
#     patterns it expects, anything else fails.
# The load comes from wrk with atf-tests/wrk-track.lua, which makes a new
# lead id for every request and logs what was answered for it.

. "$(atf_get_srcdir)/common.subr"

LUA="$(atf_get_srcdir)/wrk-track.lua"

# fault_stack [VAR=VALUE ...]: the case's private stack.  No rate limit
# (the load comes from one address), no worker (nothing runs behind the
# test's back), breakers that never open unless the case says so, no
# recycling (a respawn would hide a crash); then the case's settings.
fault_stack() {
	private_stack RATE_LIMIT=0 WEBHOOK_RATE_LIMIT=0 C2S_WORKERS=0 \
	    BREAKER_THRESHOLD=1000 \
	    MAX_REQUESTS=100000000 "$@"
	export PGHOST PGUSER PGDATABASE
	: >sent
}

# pool_queue: connections waiting in the listen queue of the pool's socket.
pool_queue() {
	ss -xlH | awk -v s="$RUNDIR/sock" '$5 == s { print $3 }'
}

# fives: how many requests were answered with a 5xx status, in N5: the
# responders log each answer as it goes (pool.log; lighttpd's access log
# is written seconds later), those lighttpd refused or lost included (its
# error handler runs them through a responder).
fives() {
	N5=$(grep '"method":' "$RUNDIR/log/pool.log" |
	    grep -c '"status":5[0-9][0-9],')
}

# logs_clean ERE...: no line in the error logs but what the fault
# explains.  Checked: pool.log lines of level error and lines that are
# not JSON (a crash), and every line of lighttpd-error.log
# (its start line is expected).
logs_clean() {
	local pat='\(server\.c\.[0-9]+\) server started' p
	for p in "$@"; do
		pat="$pat|$p"
	done
	{
		grep -h -e '"level":"error"' -e '^[^{]' "$RUNDIR/log/pool.log"
		grep -hv '^$' "$RUNDIR/log/lighttpd-error.log"
	} | grep -Ev -- "$pat" >unexpected
	if [ -s unexpected ]; then
		cut -c1-300 unexpected | head -20
		atf_fail "$(wc -l <unexpected) line(s) in the error logs that" \
		    "the fault does not explain (above)"
	fi
}

# db_leads FILE: "id rows attempts" for each lead id in FILE.
db_leads() {
	sort -u "$1" >"$PWD/ids.sorted"
	psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 <<EOF || atf_fail "psql failed"
CREATE TEMP TABLE s (id text);
\\copy s FROM '$PWD/ids.sorted'
SELECT s.id, count(l.lead_id), coalesce(max(l.attempts), 0)
    FROM s LEFT JOIN c2s.leads l ON l.lead_id = s.id GROUP BY s.id;
EOF
}

# leads_once FILE MAX: every lead of FILE is one row of c2s.leads, run
# at least once and at most MAX times.
leads_once() {
	db_leads "$1" >rows
	awk -v max="$2" '$2 != 1 || $3 < 1 || $3 > max' rows >bad_rows
	if [ -s bad_rows ]; then
		head -5 bad_rows
		atf_fail "$(wc -l <bad_rows) of $(wc -l <rows) leads lost or" \
		    "run more than $2 times (id rows attempts above)"
	fi
	echo "$(wc -l <rows) leads: one row each, at most $2 attempts"
}

# posted: "lead notes" for every lead the simulator accepted a note for.
posted() {
	curl -s "$C2S_SIM_URL/__sim/calls?api=c2s" | jq -r '.calls[] |
	    select(.method == "POST" and .status >= 200 and .status < 300 and
	    (.path | test("^/integration/leads/[0-9a-f]{32}/create_message$"))) |
	    "\(.path | split("/")[3]) \(.count)"' |
	    awk '{ n[$1] += $2 } END { for (k in n) print k, n[k] }'
}

# notes_once FILE: no lead of FILE got a note twice.
notes_once() {
	posted | awk '$2 > 1' >twice
	grep -F -f "$1" twice >twice.ours
	if [ -s twice.ours ]; then
		head -5 twice.ours
		atf_fail "$(wc -l <twice.ours) leads got more than one note"
	fi
}

# pool_sound: the pool back to full size, every responder answering at
# once, the database ready.
pool_sound() {
	local i
	wait_for 100 pool_full || atf_fail "pool not back to full size:" \
	    "$(responders | wc -l) of $C2S_POOL"
	for i in $(seq $((C2S_POOL * 2))); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 3 \
		    "$URL/health" >"probe.$i" &
	done
	wait
	[ "$(cat probe.* | sort -u)" = 200 ] ||
	    atf_fail "a responder did not answer /health in 3 s:" \
	    "$(cat probe.* | tr '\n' ' ')"
	expect_status 200 GET /ready
}

# wrk_run OUT SECONDS CONNECTIONS [wrk args] URL: wrk with the script;
# its summary line in OUT (may run in the background: check it with
# wrk_ok once done).
wrk_run() {
	local out=$1 secs=$2 conns=$3
	shift 3
	wrk -t2 -c"$conns" -d"${secs}s" --timeout 20s -s "$LUA" "$@" \
	    >"$out.full" 2>&1
	grep '^wrk: ' "$out.full" >"$out"
	cat "$out"
}

wrk_ok() {
	[ -s "$1" ] || atf_fail "wrk failed: $(tail -3 "$1.full")"
}

# wrk_field FILE NAME: a number of wrk's summary line.
wrk_field() {
	awk -v k="$2" '{ for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' \
	    "$1"
}

# wrk_clean FILE: no request of that run failed or timed out.
wrk_clean() {
	wrk_ok "$1"
	[ "$(wrk_field "$1" non200) $(wrk_field "$1" connect)" = "0 0" ] &&
	    [ "$(wrk_field "$1" read) $(wrk_field "$1" write)" = "0 0" ] &&
	    [ "$(wrk_field "$1" timeout)" = 0 ] ||
	    atf_fail "requests failed: $(cat "$1")"
}

# leads_load OUT SECONDS CONNECTIONS: wrk making new leads on
# /leads/process; its lines in OUT.* (see wrk-track.lua), its summary in
# OUT.sum.
leads_load() {
	WRK_PREFIX="$(rand_id | cut -c1-22)" WRK_OUT="$PWD/$1" \
	    WRK_KEY="$C2S_API_KEY" WRK_DELAY_MS="${WRK_DELAY_MS:-0}" \
	    wrk_run "$1.sum" "$2" "$3" "$URL"
}

# The lead ids a load sent (S lines of OUT.*), and those answered with
# a run (status 200, no error code).
load_sent() {
	cat "$1".[0-9]* | awk '$1 == "S" { print $2 }'
}
load_ran() {
	cat "$1".[0-9]* | awk '$1 == "R" && $2 == 200 && $4 == "-" { print $3 }'
}

# recorded N: the load has begun: N leads or more in c2s.leads.
recorded() {
	[ "$(sql "SELECT count(*) FROM c2s.leads")" -ge "$1" ]
}

# resend FILE: ask again for every lead of FILE (after a fault) until it
# is answered with a run or as done; a claim left in flight by a dead
# run takes a few seconds to be given up.  Four clients at once, each
# asking for a quarter of FILE, one lead after another.
resend() {
	local part pids=
	rm -f resend.part.*
	split -n r/4 "$1" resend.part.
	for part in resend.part.??; do
		resend_part "$part" &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	if cat resend.part.*.fail 2>/dev/null | grep -q .; then
		atf_fail "$(cat resend.part.*.fail | head -1)"
	fi
}

# resend_part PART: resend's client for the leads of PART; a lead not
# run again after 20 tries is written to PART.fail.
resend_part() {
	local id n st
	while read -r id; do
		n=0
		while :; do
			st=$(curl -s -o "$1.body" -w '%{http_code}' \
			    --max-time 30 "$URL/api/v1/leads/process?id=$id")
			[ "$st" = 200 ] && jq -e '(.success == true and
			    .duplicate_request == false) or
			    (.duplicate_request == true and .status != "processing")' \
			    "$1.body" >/dev/null && break
			n=$((n + 1))
			if [ $n -ge 20 ]; then
				echo "lead $id not run again: $st" \
				    "$(head -c 300 "$1.body")" >"$1.fail"
				return 1
			fi
			sleep 0.5
		done
	done <"$1"
}

# ---------------------------------------------------------------------
# Upstream faults.  Each line of a table: the fault code, the status and
# error code of POST /c2s/enrich ("-": none), the lead's status, whether
# it is left retryable (next_retry_at set), the notes posted.  GET
# /leads/process answers 200: success false with the same code when the
# run stopped before an outcome ("received"), else success true.

# The stack: a hang (03) sleeps past the 2 s deadline; enough simulator
# processes for the hung ones; a pool of 8, for the leads of two faults
# at once (run_faults).
upstream_stack() {
	echo "$(date +%T) starting the stack"
	fault_stack REQUEST_DEADLINE=2s UPSTREAM_TIMEOUT=5s SIM_HANG_MS=3000 \
	    C2S_SIM_POOL=16 C2S_POOL=8
	BOUND_MS=3500
}

# rand_ids PREFIX N: N random lead ids after an 8-digit prefix.
rand_ids() {
	od -An -N$(($2 * 12)) -tx1 -w$(($2 * 12)) /dev/urandom |
	    tr -d ' ' | fold -w24 | sed "s/^/$1/"
}

# fault_leads TARGET CODE OUT: four fresh lead ids of that fault in the
# file OUT.  A C2S fault's leads are of the normal variant, so that
# their outcome is the fault's (the simulator's truth of 16 candidates
# at a time); a Diretrix or Work API fault's lead has the marker's
# contacts whatever its id.
fault_leads() {
	local n=0 out=$3
	: >"$out"
	case $1 in
	c2|cc) ;;
	*)	rand_ids "fa17$1$2" 4 >"$out"
		return 0 ;;
	esac
	while [ "$(wc -l <"$out")" -lt 4 ] && [ $n -lt 20 ]; do
		rand_ids "fa17$1$2" 16 >"$out.cand"
		sed "s|^|url = \"$C2S_SIM_URL/__sim/truth/|; s|\$|\"|" \
		    "$out.cand" | curl -q -s -K - | jq -r .variant |
		    paste "$out.cand" - |
		    awk '$2 == "normal" { print $1 }' >>"$out"
		n=$((n + 1))
	done
	[ "$(wc -l <"$out")" -ge 4 ] ||
	    atf_fail "no leads of the normal variant for fault $1$2"
}

# run_faults TARGET: the faults of the table on stdin on TARGET (c2, cc,
# d1, 0a): four fresh leads each, two through each trigger, all at once;
# two faults at a time (the table's odd lines one after another, and
# its even ones beside them).  Answers in ./ans/ID ("route http_status
# seconds") and ./ans/ID.body.
run_faults() {
	local target=$1 half pids= pid planned
	mkdir -p ans
	cat >faults
	touch plan
	planned=$(grep -c . plan)
	for half in 1 0; do
		awk -v h=$half 'NR % 2 == h' faults |
		    run_faults_half "$target" "half$half" &
		pids="$pids $!"
	done
	for pid in $pids; do
		wait "$pid" || atf_fail "the faults of $target did not all run"
	done
	[ $(( $(grep -c . plan) - planned )) = $(( $(grep -c . faults) * 4 )) ] ||
	    atf_fail "not four leads for each fault of $target"
}

# run_faults_half TARGET TAG: run_faults' faults of stdin, one after
# another (TAG names its files).
run_faults_half() {
	local target=$1 tag=$2 code st ecode lst retry notes i id t0
	while read -r code st ecode lst retry notes; do
		t0=$(now_ms)
		fault_leads "$target" "$code" "$tag.leads"
		for i in 1 2 3 4; do
			id=$(sed -n "${i}p" "$tag.leads")
			echo "$id" >>sent
			if [ $i -le 2 ]; then
				echo "$id $code 200 $ecode $lst $retry $notes" \
				    "process" >>plan
				curl -s -o "ans/$id.body" --max-time 30 \
				    -w "process %{http_code} %{time_total}\n" \
				    "$URL/api/v1/leads/process?id=$id" \
				    >"ans/$id" &
			else
				echo "$id $code $st $ecode $lst $retry $notes" \
				    "enrich" >>plan
				curl -s -o "ans/$id.body" --max-time 30 -d '' \
				    -w "enrich %{http_code} %{time_total}\n" \
				    "$URL/api/v1/c2s/enrich/$id" >"ans/$id" &
			fi
		done
		wait
		echo "fault $target$code: 4 leads in $(( $(now_ms) - t0 )) ms"
	done
}

# db_states FILE: "id status attempts t|f" (a retry is due) for each
# lead of FILE that has a row, in one query.
db_states() {
	sort -u "$1" >"$PWD/ids.sorted"
	psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 <<EOF || atf_fail "psql failed"
CREATE TEMP TABLE s (id text);
\\copy s FROM '$PWD/ids.sorted'
SELECT l.lead_id, l.status, l.attempts,
    CASE WHEN l.next_retry_at IS NULL THEN 'f' ELSE 't' END
    FROM s JOIN c2s.leads l ON l.lead_id = s.id;
EOF
}

# check_faults: every lead of ./plan answered and stored as planned:
# its status, body (success, status, code), time, row (status, one
# attempt, retry due or not) and notes.
check_faults() {
	local want
	echo "$(date +%T) checking"
	posted >notes.now
	db_states sent >states
	awk '{ f = FILENAME; sub("^ans/", "", f); print f, $0 }' \
	    ans/*[0-9a-f] >answers
	jq -r '[(input_filename | ltrimstr("ans/") | rtrimstr(".body")),
	    .success, .status, (.code // "-"), .lead_id, .duplicate_request] |
	    map(tostring) | join(" ")' ans/*.body >bodies ||
	    atf_fail "an answer is not JSON"
	awk -v bound="$BOUND_MS" '
	FILENAME == "answers" { r[$1] = $2; got[$1] = $3
		ms[$1] = int($4 * 1000); next }
	FILENAME == "bodies" { b[$1] = $2 " " $3 " " $4 " " $5 " " $6; next }
	FILENAME == "states" { db[$1] = $2 " " $3 " " $4; next }
	FILENAME == "notes.now" { nn[$1] = $2; next }
	{
		id = $1; code = $2; st = $3; ecode = $4; lst = $5
		what = "fault " code ", " $8 ": "
		if (ms[id] > bound)
			print what "took " ms[id] " ms"
		if (got[id] != st)
			print what "status " got[id] ", expected " st
		# /leads/process: success false only for a run that stopped
		# before an outcome; /c2s/enrich: false with any error code.
		ok = ($8 == "enrich" && ecode == "-") ||
		    ($8 == "process" && lst != "received") ? "true" : "false"
		wcode = $8 == "process" && lst != "received" ? "-" : ecode
		want = ok " " lst " " wcode " " id " false"
		if (b[id] != want)
			print what "answered \"" b[id] "\", expected \"" want "\""
		if (db[id] != lst " 1 " $6)
			print what "stored as \"" db[id] "\", not \"" lst " 1 " $6 "\""
		if (nn[id] + 0 != $7)
			print what nn[id] + 0 " notes, not " $7
	}' answers bodies states notes.now plan >mismatch
	if [ -s mismatch ]; then
		head -20 mismatch
		atf_fail "$(wc -l <mismatch) answers or leads not as documented"
	fi
	# Only the 5xx of the table were answered.
	want=$(awk '$3 >= 500 { n++ } END { print n + 0 }' plan)
	fives
	[ "$N5" = "$want" ] ||
	    atf_fail "$N5 answers were 5xx, the faults explain $want"
	echo "$(wc -l <plan) leads answered and stored as documented"
}

# The simulator's truncated answers (05) end its FastCGI connection
# early: lighttpd says so about the simulator's socket.  Nothing about
# the application's socket is expected.
SIM_SOCK_LINES='socket: unix:[^ ]*/sim\.sock'

atf_test_case upstream__c2s cleanup
upstream__c2s_head() {
	atf_set descr "every C2S fault, on reading the lead and on posting" \
	    "the note: the documented status, in bounded time, the lead" \
	    "retryable when the fault is transient; a note that may have" \
	    "been posted is never posted again"
	atf_set timeout 240
}
upstream__c2s_body() {
	local id n
	upstream_stack
	# Reading the lead.  06 and 07 mean nothing to C2S: a normal run.
	run_faults c2 <<'EOF'
02 502 upstream_error received t 0
03 504 deadline_exceeded received t 0
04 502 upstream_error received t 0
05 502 upstream_error received t 0
06 200 - completed f 1
07 200 - completed f 1
08 502 upstream_error received t 0
09 502 upstream_error received t 0
0a 200 - completed f 1
0b 502 upstream_error received t 0
EOF
	# Posting the note: the data is stored (completed); a refused post
	# (429, 503) or one that may have landed (no answer, 500) leaves the
	# note pending.  A 2xx cut short (05), malformed (04) or oversized
	# (09) is a posted note.
	run_faults cc <<'EOF'
02 502 upstream_error completed t 0
03 504 deadline_exceeded completed t 1
04 200 - completed f 1
05 200 - completed f 1
06 200 - completed f 1
07 200 - completed f 1
08 502 upstream_error completed t 0
09 200 - completed f 1
0a 200 - completed f 1
0b 502 upstream_error completed t 0
EOF
	check_faults
	# Run every note fault's lead again (Make.com retries a 502 or a
	# 504): the notes stay as they were, one at most.
	posted >notes.before
	grep '^fa17cc' sent >cc
	while read -r id; do
		curl -s -o /dev/null --max-time 30 \
		    "$URL/api/v1/leads/process?id=$id" &
	done <cc
	wait
	posted >notes.after
	while read -r id; do
		n=$(awk -v id="$id" '$1 == id { print $2 }' notes.before)
		[ "$(awk -v id="$id" '$1 == id { print $2 }' notes.after)" = \
		    "$n" ] || atf_fail "a rerun of $id posted a note"
	done <cc
	leads_once sent 2
	notes_once sent
	pool_sound
	logs_clean "$SIM_SOCK_LINES"
	private_stack_stop
}
upstream__c2s_cleanup() { private_stack_stop; }

atf_test_case upstream__diretrix cleanup
upstream__diretrix_head() {
	atf_set descr "every Diretrix fault: the documented status in" \
	    "bounded time, the lead unenriched and retryable (received when" \
	    "the deadline passed)"
	atf_set timeout 240
}
upstream__diretrix_body() {
	upstream_stack
	# 06 and 07 are Work API bodies: Diretrix answers normally.
	run_faults d1 <<'EOF'
02 502 upstream_error unenriched t 1
03 504 deadline_exceeded received t 0
04 502 upstream_error unenriched t 1
05 502 upstream_error unenriched t 1
06 200 - completed f 1
07 200 - completed f 1
08 502 upstream_error unenriched t 1
09 502 upstream_error unenriched t 1
0a 200 - completed f 1
0b 502 upstream_error unenriched t 1
EOF
	check_faults
	leads_once sent 1
	notes_once sent
	pool_sound
	logs_clean "$SIM_SOCK_LINES"
	private_stack_stop
}
upstream__diretrix_cleanup() { private_stack_stop; }

atf_test_case upstream__work cleanup
upstream__work_head() {
	atf_set descr "every Work API fault, error-in-200 bodies included:" \
	    "the documented status in bounded time, the lead partial and" \
	    "retryable, no error body stored as a dossier"
	atf_set timeout 240
}
upstream__work_body() {
	upstream_stack
	# A hang passes the deadline before the note can be posted: the
	# lead is partial, its note pending.
	run_faults 0a <<'EOF'
02 502 upstream_error partial t 1
03 504 deadline_exceeded partial t 0
04 502 upstream_error partial t 1
05 502 upstream_error partial t 1
06 502 upstream_error partial t 1
07 502 upstream_error partial t 1
08 502 upstream_error partial t 1
09 502 upstream_error partial t 1
0a 200 - completed f 1
0b 502 upstream_error partial t 1
EOF
	check_faults
	# Only the flaky marker's person (0a) has a dossier.
	[ "$(sql "SELECT string_agg(DISTINCT substr(p.cpf, 1, 9), ' ')
	    FROM c2s.dossiers d JOIN c2s.persons p ON p.id = d.person_id")" = \
	    999999010 ] || atf_fail "an error body was stored as a dossier"
	leads_once sent 1
	notes_once sent
	pool_sound
	logs_clean "$SIM_SOCK_LINES"
	private_stack_stop
}
upstream__work_cleanup() { private_stack_stop; }

# ---------------------------------------------------------------------
# PostgreSQL stopped and restarted under load.

atf_test_case postgres__restart_under_load cleanup
postgres__restart_under_load_head() {
	atf_set descr "PostgreSQL stopped and restarted under load: /health" \
	    "always 200, 503 only on the routes that record nothing and the" \
	    "triggers spooled (202) during the outage, every lead run once" \
	    "after it, no crash"
	atf_set timeout 300
}
postgres__restart_under_load_body() {
	local t0 i id load
	# The breaker at its default threshold, with short cool-downs.
	fault_stack REQUEST_DEADLINE=2s BREAKER_THRESHOLD=5 \
	    BREAKER_COOLDOWN=500ms BREAKER_COOLDOWN_MAX=2s
	WRK_DELAY_MS=10 leads_load load1 6 8 >/dev/null &
	load=$!
	wrk_run health.sum 6 8 "$URL/health" >/dev/null &
	wait_for 300 recorded 20 || atf_fail "the load did not start"
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	# During the outage the routes with real statuses say 503; the
	# trigger is spooled (202, no code).
	: >outage
	t0=$(now_ms)
	while [ $(( $(now_ms) - t0 )) -lt 2000 ]; do
		id=$(rand_id)
		echo "$id" >>outage.ids
		curl -s -o body -w '%{http_code} ' --max-time 5 -d '' \
		    "$URL/api/v1/c2s/enrich/$id" >>outage
		jq -r .code body >>outage
		curl -s -o body -w '%{http_code} ' --max-time 5 "$URL/ready" \
		    >>outage
		jq -r .code body >>outage
		curl -s -o body -w '%{http_code} ' --max-time 5 \
		    "$URL/api/v1/stats" >>outage
		jq -r .code body >>outage
	done
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	# The load goes on after the restart, as the breakers close again.
	kill -0 "$load" 2>/dev/null ||
	    atf_fail "the load ended before postgres was back"
	wait
	wrk_ok load1.sum
	wrk_clean health.sum
	sort outage | uniq -c
	[ "$(sort -u outage | tr '\n' ' ')" = \
	    "202 null 503 database_unavailable 503 not_ready " ] ||
	    atf_fail "answers during the outage: $(sort -u outage | tr '\n' ' ')"
	# Nothing waited past the bound.
	[ "$(wrk_field load1.sum max_ms)" -le 5000 ] ||
	    atf_fail "a lead waited $(wrk_field load1.sum max_ms) ms"
	# /leads/process: a run (200, or database_unavailable when the
	# database left after the lead was recorded), or spooled (202).
	cat load1.[0-9]* | awk '$1 == "R" { print $2, $4 }' | sort | uniq -c
	cat load1.[0-9]* | awk '$1 == "R" && !($2 == 202 && $4 == "-") &&
	    ($2 != 200 || ($4 != "-" && $4 != "database_unavailable"))' >odd
	[ -s odd ] && atf_fail "unexpected answers: $(head -3 odd)"
	grep -q '^R 202 ' load1.[0-9]* || atf_fail "no lead met the outage"
	# All runs again once it is over, breaker cool-downs included.
	leads_load load2 2 8
	wrk_clean load2.sum
	[ "$(cat load2.[0-9]* | awk '$1 == "R" && ($2 != 200 || $4 != "-")' |
	    wc -l)" = 0 ] || atf_fail "leads still failing after the restart"
	[ "$(wrk_field load2.sum requests)" -ge 20 ] ||
	    atf_fail "only $(wrk_field load2.sum requests) leads after it"
	# No lead run twice; the ones the outage turned away (a sample) and
	# those in flight when wrk stopped run now, once.
	load_ran load1 >ran
	load_ran load2 >>ran
	leads_once ran 1
	load_sent load1 | sort >s1
	sort ran >r1
	comm -23 s1 r1 | shuf -n 150 >again
	# (No worker here: the spooled ones were never replayed.)
	shuf -n 20 outage.ids >>again
	resend again
	leads_once again 2
	load_sent load1 >sent
	load_sent load2 >>sent
	notes_once sent
	# The 503s of the probes only.
	fives
	[ "$N5" = "$(grep -c '^503' outage)" ] ||
	    atf_fail "$N5 5xx answers, $(grep -c '^503' outage) probes"
	pool_sound
	expect_status 200 GET /api/v1/stats
	# The responders saying the database went away, and what it cost
	# the runs in flight.
	logs_clean '"msg":"db: connect: connection to server on socket' \
	    '"msg":"db: [A-Za-z_ ]+: (server closed the connection unexpectedly|FATAL: +terminating connection|no connection to the server|connection lost in a transaction)' \
	    '"step":"(record|repeat|store)","outcome":"db_error"' \
	    '"msg":"lead [0-9a-f]{32}: (state not recorded|note posted but not recorded as posted|note not posted and its state not recorded)"'
	private_stack_stop
}
postgres__restart_under_load_cleanup() { private_stack_stop; }

# ---------------------------------------------------------------------
# Responders killed under load.

atf_test_case sigkill__responders_under_load cleanup
sigkill__responders_under_load_head() {
	atf_set descr "responders SIGKILLed in a loop under load: the master" \
	    "respawns them, the only failed requests are the killed ones," \
	    "no lead lost or run twice"
	atf_set timeout 300
}
sigkill__responders_under_load_body() {
	local kills=0 failed t0 victim
	fault_stack REQUEST_DEADLINE=5s
	leads_load load 7 8 >/dev/null &
	wrk_run health.sum 7 16 "$URL/health" >/dev/null &
	wait_for 300 recorded 10 || atf_fail "the load did not start"
	t0=$(now_ms)
	while [ $(( $(now_ms) - t0 )) -lt 5000 ]; do
		if victim=$(old_responder); then
			kill -KILL "$victim" && kills=$((kills + 1))
		fi
		sleep 0.25
	done
	wait
	wrk_ok load.sum
	wrk_ok health.sum
	echo "$kills responders killed"
	[ "$kills" -ge 5 ] || atf_fail "only $kills kills"
	alive "$C2S_POOL_PID" || atf_fail "the master died"
	pool_sound
	# Failed: a non-200 answer or a broken connection, on either load.
	failed=$(( $(wrk_field load.sum non200) + $(wrk_field load.sum read) +
	    $(wrk_field load.sum connect) + $(wrk_field load.sum timeout) +
	    $(wrk_field health.sum non200) + $(wrk_field health.sum read) +
	    $(wrk_field health.sum connect) + $(wrk_field health.sum timeout) ))
	echo "$failed requests failed"
	[ "$failed" -le "$kills" ] ||
	    atf_fail "$failed requests failed for $kills responders killed"
	fives
	[ "$N5" -le "$kills" ] ||
	    atf_fail "$N5 5xx answers for $kills responders killed"
	[ "$(wrk_field load.sum max_ms)" -le 6000 ] &&
	    [ "$(wrk_field health.sum max_ms)" -le 6000 ] ||
	    atf_fail "a request waited more than 6 s"
	# Every lead answered with a run ran once; the killed ones and those
	# in flight when wrk stopped run now (their claims taken over).
	load_ran load >ran
	leads_once ran 1
	load_sent load | sort >s1
	sort ran >r1
	comm -23 s1 r1 >again
	echo "$(wc -l <again) leads to ask again"
	resend again
	leads_once again 2
	load_sent load >sent
	notes_once sent
	logs_clean 'Child\[[0-9]+\] died, respawn' \
	    "\(mod_fastcgi\.c\.[0-9]+\) unexpected end-of-file \(perhaps the fastcgi process died\):pid: [0-9]+ socket: unix:$RUNDIR/sock\$" \
	    "\(gw_backend\.c\.[0-9]+\) response not received, request sent: [0-9]+ on socket: unix:$RUNDIR/sock for " \
	    '\(http-header-glue\.c\.[0-9]+\) read\(\) [0-9]+ [0-9]+: Connection reset by peer$'
	# A responder killed as it answered: lighttpd reads an end of file or
	# a reset, once per request cut.
	[ "$(grep -Ec 'unexpected end-of-file|Connection reset by peer$' \
	    "$RUNDIR/log/lighttpd-error.log")" -le "$kills" ] ||
	    atf_fail "more requests cut than responders killed"
	private_stack_stop
}
sigkill__responders_under_load_cleanup() { private_stack_stop; }

# ---------------------------------------------------------------------
# Clients that hang up.

# completed ID...: each of these leads is completed.
completed() {
	local id
	for id in "$@"; do
		[ "$(sql "SELECT status FROM c2s.leads
		    WHERE lead_id = '$id'")" = completed ] || return 1
	done
}

# running ID: lead ID's run has begun (its first step is in pool.log).
running() {
	grep -q "\"lead\":\"$1\",\"step\":\"record\"" "$RUNDIR/log/pool.log"
}

atf_test_case client__disconnects cleanup
client__disconnects_head() {
	atf_set descr "clients that hang up mid-request (two slow leads while" \
	    "they run, a third while it waits for a responder, a half" \
	    "sent body, half sent headers): every lead handed to the pool" \
	    "runs to the end once with its note, the waiting one included," \
	    "nothing half-written, the next requests served"
	atf_set timeout 120
}
client__disconnects_body() {
	local a b c i events st pa pb pc
	# Diretrix answers the d1-01 leads after 1.5 s.
	fault_stack C2S_POOL=2 SIM_FAULT_LATENCY_MS=1500 REQUEST_DEADLINE=10s
	rand_ids fa17d101 3 >sent
	a=$(sed -n 1p sent) b=$(sed -n 2p sent) c=$(sed -n 3p sent)
	events=$(sql "SELECT count(*) FROM c2s.webhook_events")
	# Both responders take a slow lead; a third lead waits in the pool's
	# listen queue (lighttpd handed it over, no responder is free).
	curl -s -o /dev/null --max-time 30 \
	    "$URL/api/v1/leads/process?id=$a" &
	pa=$!
	curl -s -o /dev/null --max-time 30 -d '' \
	    "$URL/api/v1/c2s/enrich/$b" &
	pb=$!
	wait_for 100 running "$a" && wait_for 100 running "$b" ||
	    atf_fail "leads a and b did not start"
	curl -s -o /dev/null --max-time 30 \
	    "$URL/api/v1/leads/process?id=$c" &
	pc=$!
	wait_for 100 eval '[ "$(pool_queue)" -ge 1 ]' ||
	    atf_fail "lead c not queued at the pool"
	! running "$c" || atf_fail "lead c ran before a responder was free"
	# All three clients hang up: a and b in their runs, c in the queue.
	kill "$pa" "$pb" "$pc"
	wait
	# A body promised and not sent; headers never finished.
	exec 3<>"/dev/tcp/127.0.0.1/$C2S_PORT"
	printf 'POST /api/v1/webhooks/c2s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Webhook-Secret: %s\r\nContent-Length: 1000\r\n\r\n{"id":"%s",' \
	    "$C2S_WEBHOOK_SECRET" "$a" >&3
	exec 3>&-
	exec 3<>"/dev/tcp/127.0.0.1/$C2S_PORT"
	printf 'GET /health HTTP/1.1\r\nHost: x\r\nX-Half' >&3
	exec 3>&-
	# The next requests: served as soon as a responder is free.
	for i in 1 2 3 4 5 6; do
		st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		    "$URL/health")
		[ "$st" = 200 ] || atf_fail "/health after the hang-ups: $st"
	done
	# The abandoned runs finish, each once, with their note, lead c's
	# too: it was the pool's once lighttpd handed it over, and runs
	# when a responder is free, nobody asking again.
	wait_for 150 completed "$a" "$b" "$c" ||
	    atf_fail "the abandoned runs did not finish:" \
	    "$(sql "SELECT lead_id, status, note_state FROM c2s.leads" | tr '\n' ' ')"
	leads_once sent 1
	for i in $a $b $c; do
		[ "$(sql "SELECT note_state FROM c2s.leads
		    WHERE lead_id = '$i'")" = posted ] ||
		    atf_fail "lead $i: note not posted"
		[ "$(curl -s "$C2S_SIM_URL/__sim/notes?lead=$i" |
		    jq '.notes | length')" = 1 ] || atf_fail "lead $i: not one note"
	done
	# Asked again, each is a duplicate: nothing runs twice.
	resend sent
	leads_once sent 1
	for i in $a $b $c; do
		[ "$(curl -s "$C2S_SIM_URL/__sim/notes?lead=$i" |
		    jq '.notes | length')" = 1 ] || atf_fail "lead $i: not one note"
	done
	[ "$(sql "SELECT count(*) FROM c2s.webhook_events")" = "$events" ] ||
	    atf_fail "half a webhook body was stored"
	fives
	[ "$N5" = 0 ] || atf_fail "$N5 5xx answers"
	pool_sound
	logs_clean
	private_stack_stop
}
client__disconnects_cleanup() { private_stack_stop; }

# ---------------------------------------------------------------------
# Many connections.

atf_test_case health__1000_connections cleanup
health__1000_connections_head() {
	atf_set descr "1 000 concurrent connections to /health: all answered" \
	    "200, nothing in the error logs"
	atf_set timeout 120
}
health__1000_connections_body() {
	local i
	# wrk needs a descriptor per connection.
	[ "$(ulimit -n)" -ge 4096 ] || ulimit -n 4096 2>/dev/null ||
	    ulimit -n "$(ulimit -H -n)"
	[ "$(ulimit -n)" -ge 1100 ] ||
	    atf_skip "cannot raise the descriptor limit ($(ulimit -n))"
	fault_stack
	wrk_run many.sum 2 1000 "$URL/health"
	wrk_clean many.sum
	[ "$(wrk_field many.sum requests)" -ge 1000 ] ||
	    atf_fail "only $(wrk_field many.sum requests) requests"
	# wrk's last requests, given up by lighttpd, may still wait in the
	# pool's listen queue (slow responders: ASan): the burst below must
	# meet an empty queue, not one wrk left full.
	wait_for 300 eval '[ "$(pool_queue)" = 0 ]' ||
	    atf_fail "the pool's listen queue still holds $(pool_queue) connections"
	# 1 000 new connections opened at once, one request each (curl
	# runs at most 300 transfers in parallel: four of them).
	for i in $(seq 250); do
		echo "url = \"$URL/health?n=$i\""
		echo "output = /dev/null"
	done >urls
	for i in 1 2 3 4; do
		curl -q -s --parallel --parallel-immediate --parallel-max 250 \
		    --max-time 30 -K urls -w '%{http_code}\n' >"codes.$i" &
	done
	wait
	cat codes.* >codes
	[ "$(sort codes | uniq -c | awk '{ print $1, $2 }')" = "1000 200" ] ||
	    atf_fail "answers: $(sort codes | uniq -c | tr '\n' ' ')"
	fives
	[ "$N5" = 0 ] || atf_fail "$N5 5xx answers"
	pool_sound
	logs_clean
	private_stack_stop
}
health__1000_connections_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case upstream__c2s
	atf_add_test_case upstream__diretrix
	atf_add_test_case upstream__work
	atf_add_test_case postgres__restart_under_load
	atf_add_test_case sigkill__responders_under_load
	atf_add_test_case client__disconnects
	atf_add_test_case health__1000_connections
}
