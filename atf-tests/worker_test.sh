#! /usr/bin/env atf-sh
# worker_test -- c2s-enrich --worker on private stacks: a worker killed
# mid-job, PostgreSQL restarted while a worker waits, SIGTERM during a
# job, the retry schedule on a compressed time base, and the poller with
# two workers.  Each case asserts on the database and the simulator.

. "$(atf_get_srcdir)/common.subr"

calls() {
	curl -s "$C2S_SIM_URL/__sim/calls" | jq --arg p "$1" \
	    '[.calls[] | select(.path == $p) | .count] | add // 0'
}

notes() {
	curl -s "$C2S_SIM_URL/__sim/notes?lead=$1" | jq '.notes | length'
}

# hook ID...: one C2S webhook request with an event per lead.
hook() {
	local id sep=
	{
		printf '['
		for id in "$@"; do
			printf '%s{"hook_action":"on_create_lead","id":"%s",' \
			    "$sep" "$id"
			printf '"attributes":{"updated_at":"t1"}}'
			sep=,
		done
		printf ']'
	} >ev
	[ "$(curl -s -o body -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' \
	    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" --data-binary @ev \
	    "$URL/api/v1/webhooks/c2s")" = 200 ] ||
	    atf_fail "webhook: $(cat body)"
}

setup() {
	private_stack "$@"
	export PGHOST PGUSER PGDATABASE
}

job_is() {
	[ "$(psql -X -At -c "SELECT state || ' ' || coalesce(result, '')
	    FROM c2s.jobs WHERE ref = '$1' ORDER BY id DESC LIMIT 1")" = "$2" ]
}

stop_workers() {
	[ -n "${WORKER_PID:-}" ] && kill -TERM "$WORKER_PID" 2>/dev/null
	return 0
}

atf_test_case killed_mid_job cleanup
killed_mid_job_head() {
	atf_set descr "a worker SIGKILLed mid-job: the job is taken again " \
	    "after JOB_TIMEOUT and completed by another worker"
	atf_set timeout 120
}
killed_mid_job_body() {
	local id a
	setup C2S_WORKERS=1 JOB_TIMEOUT=4s REQUEST_DEADLINE=3s \
	    WORKER_POLL_INTERVAL=200ms
	a=$C2S_WORKER_PIDS
	# Its C2S fetch takes 2 s: time to kill the worker in it.
	id=$(find_lead normal fa17c201)
	hook $id
	wait_for 50 grep -q "\"lead\":\"$id\",\"step\":\"record\"" \
	    "$RUNDIR/log/worker.log" || atf_fail "the job never started"
	kill -KILL "$a" || atf_fail "cannot kill worker $a"
	[ "$(sql "SELECT state || ' ' || tries FROM c2s.jobs
	    WHERE ref = '$id'")" = "running 1" ] || atf_fail "job not running"
	# The lead is in the database, in flight, and due again on its own.
	[ "$(sql "SELECT status || ' ' || (next_retry_at IS NOT NULL) FROM
	    c2s.leads WHERE lead_id = '$id'")" = "processing true" ] ||
	    atf_fail "the lead is not left findable and due"
	start_worker worker-b.log JOB_TIMEOUT=4s REQUEST_DEADLINE=3s \
	    WORKER_POLL_INTERVAL=200ms
	wait_for 150 job_is $id "done completed" ||
	    atf_fail "job not completed: $(sql "SELECT * FROM c2s.jobs")"
	[ "$(sql "SELECT tries || ' ' || (owner LIKE '%:$WORKER_PID') FROM
	    c2s.jobs WHERE ref = '$id'")" = "2 true" ] ||
	    atf_fail "not taken by the second worker ($WORKER_PID): $(sql "SELECT tries, owner FROM c2s.jobs WHERE ref = '$id'")"
	[ "$(sql "SELECT status FROM c2s.leads WHERE lead_id = '$id'")" = \
	    completed ] || atf_fail "lead not completed"
	[ "$(notes $id)" = 1 ] || atf_fail "$(notes $id) notes"
	kill -TERM "$WORKER_PID"
	wait_for 100 eval "! alive $WORKER_PID" || atf_fail "worker B stuck"
	private_stack_stop
}
killed_mid_job_cleanup() { stop_workers; private_stack_stop; }

atf_test_case sigterm_finishes_job cleanup
sigterm_finishes_job_head() {
	atf_set descr "SIGTERM during a job: the job is finished, then the " \
	    "worker exits"
	atf_set timeout 120
}
sigterm_finishes_job_body() {
	local id w
	setup C2S_WORKERS=1
	w=$C2S_WORKER_PIDS
	id=$(find_lead normal fa17c201)
	hook $id
	wait_for 50 grep -q "\"lead\":\"$id\",\"step\":\"record\"" \
	    "$RUNDIR/log/worker.log" || atf_fail "the job never started"
	kill -TERM "$w"
	wait_for 100 eval "! alive $w" || atf_fail "worker did not exit"
	job_is $id "done completed" ||
	    atf_fail "job not finished: $(sql "SELECT * FROM c2s.jobs")"
	grep -q 'stopping after 1 jobs' "$RUNDIR/log/worker.log" ||
	    atf_fail "no clean stop logged"
	private_stack_stop
}
sigterm_finishes_job_cleanup() { private_stack_stop; }

atf_test_case pg_restart_while_waiting cleanup
pg_restart_while_waiting_head() {
	atf_set descr "PostgreSQL restarted while the worker waits: it " \
	    "reconnects and finishes the queue"
	atf_set timeout 120
}
pg_restart_while_waiting_body() {
	local a b c id
	setup C2S_WORKERS=1
	sleep 1
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	sleep 2
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	a=$(find_lead normal) b=$(find_lead normal) c=$(find_lead normal)
	hook $a $b $c
	jq -e '.queued == 3' body >/dev/null || atf_fail "$(cat body)"
	for id in $a $b $c; do
		wait_for 300 job_is $id "done completed" ||
		    atf_fail "job of $id not done: $(sql "SELECT * FROM c2s.jobs")"
	done
	alive "$C2S_WORKER_PIDS" || atf_fail "the worker died"
	grep -q 'database unavailable' "$RUNDIR/log/worker.log" ||
	    atf_fail "the worker never saw the restart"
	private_stack_stop
}
pg_restart_while_waiting_cleanup() { private_stack_stop; }

atf_test_case retry_schedule cleanup
retry_schedule_head() {
	atf_set descr "a lead still partial is retried at 1, 2, 4, 8, 16 " \
	    "units (RETRY_UNIT=300ms), then failed; no new note"
	atf_set timeout 180
}
retry_schedule_body() {
	local id gaps
	setup C2S_WORKERS=1 RETRY_UNIT=300ms RETRY_SCHEDULE=1,2,4,8,16 \
	    WORKER_POLL_INTERVAL=50ms
	# The Work API always answers "not enough credits": partial.
	id=$(rand_id fa170a07)
	curl -s -o body "$URL/api/v1/leads/process?id=$id"
	jq -e '.status == "partial"' body >/dev/null || atf_fail "$(cat body)"
	wait_for 400 eval '[ "$(psql -X -At -c "SELECT status FROM c2s.leads
	    WHERE lead_id = '"'$id'"'")" = failed ]' ||
	    atf_fail "not failed: $(sql "SELECT * FROM c2s.leads
	    WHERE lead_id = '$id'")"
	[ "$(sql "SELECT attempts || ' ' || retries || ' ' ||
	    (next_retry_at IS NULL) || ' ' || last_error FROM c2s.leads
	    WHERE lead_id = '$id'")" = \
	    "6 5 true work_cpf: provider_down" ] ||
	    atf_fail "lead: $(sql "SELECT * FROM c2s.leads WHERE lead_id = '$id'")"
	[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE ref = '$id' AND
	    source = 'retry' AND state = 'done'")" = 5 ] ||
	    atf_fail "not 5 retry jobs"
	# Each retry came its unit count after the run before it: the gaps
	# between runs grow 1, 2, 4, 8, 16 times 300 ms (plus the poll).
	gaps=$(grep "\"lead\":\"$id\",\"step\":\"record\"" \
	    "$RUNDIR/log/pool.log" "$RUNDIR/log/worker.log" |
	    sed 's/^[^:]*://' | jq -r .ts | sort |
	    awk -F'[T:Z]' '{ t = $2 * 3600 + $3 * 60 + $4;
	    if (NR > 1) printf "%d ", (t - p) * 1000; p = t }')
	echo "gaps: $gaps"
	echo "$gaps" | awk '{ if (NF != 5) exit 1;
	    for (i = 1; i <= 5; i++) { want = 300 * 2 ^ (i - 1);
	    if ($i < want || $i > want + 1500) exit 1 } }' ||
	    atf_fail "retry gaps $gaps ms do not follow the schedule"
	# Six runs, one partial note: a retry that finds nothing new
	# posts nothing.
	[ "$(notes $id)" = 1 ] || atf_fail "$(notes $id) notes"
	# failed is terminal: no job comes for it any more.
	sleep 1
	[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE ref = '$id'")" = 5 ] ||
	    atf_fail "a failed lead was queued again"
	private_stack_stop
}
retry_schedule_cleanup() { private_stack_stop; }

atf_test_case poller cleanup
poller_head() {
	atf_set descr "RUN_POLLER=1 with two workers: one polls, the 50 " \
	    "newest C2S leads are queued once and run once each"
	atf_set timeout 180
}
poller_body() {
	local ids n
	setup C2S_WORKERS=2 RUN_POLLER=1 POLL_INTERVAL=1s
	wait_for 300 eval '[ "$(psql -X -At -c "SELECT count(*) FROM c2s.jobs
	    WHERE source = '"'poller'"' AND state = '"'done'"'")" = 50 ]' ||
	    atf_fail "poller jobs: $(sql "SELECT state, count(*) FROM
	    c2s.jobs GROUP BY 1")"
	sleep 2.5	# more polls: nothing new to queue
	[ "$(grep -c 'this worker polls' "$RUNDIR/log/worker.log")" = 1 ] ||
	    atf_fail "not exactly one poller"
	[ "$(sql "SELECT count(*) || ' ' || count(DISTINCT ref) || ' ' ||
	    max(tries) FROM c2s.jobs WHERE source = 'poller'")" = "50 50 1" ] ||
	    atf_fail "jobs queued or run twice"
	ids=$(sql "SELECT ref FROM c2s.jobs WHERE source = 'poller'")
	for id in $ids; do
		n=$(calls /integration/leads/$id)
		[ "$n" = 1 ] || atf_fail "lead $id fetched $n times"
	done
	[ "$(sql "SELECT count(*) FROM c2s.leads WHERE source = 'poller'
	    AND status NOT IN ('received', 'processing')")" = 50 ] ||
	    atf_fail "not every polled lead reached an outcome"
	private_stack_stop
}
poller_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case killed_mid_job
	atf_add_test_case sigterm_finishes_job
	atf_add_test_case pg_restart_while_waiting
	atf_add_test_case retry_schedule
	atf_add_test_case poller
}
