#! /usr/bin/env atf-sh
# worker_test -- c2s-enrich --worker on private stacks: a worker killed
# mid-job, PostgreSQL restarted while a worker waits, SIGTERM during a
# job, the retry schedule on a compressed time base, and the poller with
# two workers; a job given up after JOB_MAX_TRIES, pruning of finished
# jobs, WORKER_POLL_INTERVAL, the poller's advisory lock failing over to
# another worker and taken again after a reconnect, the poller's next run
# following POLL_SCHEDULE at an injected clock.  Each case asserts on
# the database (c2s.jobs, pg_locks) and the simulator; ordering is waited
# for on what can be observed, never slept for.

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

# claimed: a worker's connection has run the job claim (so it listens).
claimed() {
	[ "$(psql -X -At -c "SELECT count(*) FROM pg_stat_activity WHERE
	    query LIKE 'UPDATE c2s.jobs j SET state = ''running''%'")" -ge 1 ]
}

job_is() {
	[ "$(psql -X -At -c "SELECT state || ' ' || coalesce(result, '')
	    FROM c2s.jobs WHERE ref = '$1' ORDER BY id DESC LIMIT 1")" = "$2" ]
}

# kill_in_job ID LOG PID: once the run of lead ID has started (LOG has
# its first step), SIGKILL worker PID in it (a fa17c201 lead's C2S fetch
# takes SIM_FAULT_LATENCY_MS, 2 s unless the stack says otherwise).
kill_in_job() {
	wait_for 150 grep -q "\"lead\":\"$1\",\"step\":\"record\"" "$2" ||
	    atf_fail "the run of $1 never started in $2"
	kill -KILL "$3" || atf_fail "cannot kill worker $3"
}

# barrier: a job no notification announces (a ref that is no lead id, so
# it is over at once as "invalid"), waited for until done: the worker has
# been through its chores (due retries, the poller, pruning) at least once
# since the call.
barrier() {
	local j
	j=$(sql "WITH i AS (INSERT INTO c2s.jobs (kind, ref, source)
	    VALUES ('lead', 'barrier-' || clock_timestamp(), 'webhook')
	    RETURNING id) SELECT id FROM i")
	wait_for 300 eval '[ "$(psql -X -At -c "SELECT state || '"' '"' ||
	    result FROM c2s.jobs WHERE id = $j")" = "done invalid" ]' ||
	    atf_fail "barrier job $j not done: $(sql "SELECT state, result
	    FROM c2s.jobs WHERE id = $j")"
}

# list_calls: the C2S lead lists the simulator answered (the poller's).
list_calls() {
	curl -s "$C2S_SIM_URL/__sim/calls?api=c2s" | jq '[.calls[] |
	    select(.method == "GET" and .path == "/integration/leads") |
	    .count] | add // 0'
}

# lock_holders: the backends holding the poller's advisory lock, one a
# line (lib/app/store.c: pg_try_advisory_lock(7461094)).
lock_holders() {
	sql "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND
	    classid = 0 AND objid = 7461094 AND objsubid = 1 AND granted
	    ORDER BY pid"
}

# one_holder_not OLD: exactly one backend holds the poller's lock, and
# it is not OLD.
one_holder_not() {
	local h
	h=$(lock_holders)
	[ -n "$h" ] && [ "$(echo "$h" | wc -l)" = 1 ] && [ "$h" != "$1" ]
}

# pollers LOG...: the pids that logged taking the poller's lock, one a
# line, once per time taken.
pollers() {
	cat "$@" 2>/dev/null | grep '"poller: this worker polls' |
	    jq -r .pid
}

# known_list: the 50 leads the simulator lists recorded as jobs done, so
# that the poller finds nothing new and the workers stay idle.
known_list() {
	local tok
	tok=$(sed -n 's/^C2S_TOKEN=//p' "$RUNDIR/responder.env")
	curl -s -H "Authorization: Bearer $tok" \
	    "$C2S_SIM_URL/integration/leads?perpage=50&sort=-created_at" |
	    jq -r '.data[].id' >listed
	[ "$(sort -u listed | wc -l)" = 50 ] ||
	    atf_fail "the simulator listed: $(cat listed)"
	sql "INSERT INTO c2s.jobs (kind, ref, source, state, finished_at)
	    SELECT 'lead', unnest(string_to_array('$(paste -sd, listed)',
	    ',')), 'poller', 'done', now()" >/dev/null
}

atf_test_case killed_mid_job cleanup
killed_mid_job_head() {
	atf_set descr "a worker SIGKILLed mid-job: the job is taken again " \
	    "after JOB_TIMEOUT and completed by another worker"
	atf_set timeout 120
}
killed_mid_job_body() {
	local id a
	setup C2S_WORKERS=1 SIM_FAULT_LATENCY_MS=1000 JOB_TIMEOUT=3s \
	    REQUEST_DEADLINE=2500ms WORKER_POLL_INTERVAL=200ms
	a=$C2S_WORKER_PIDS
	# Its C2S fetch takes 1 s: time to kill the worker in it.
	id=$(find_lead normal fa17c201)
	hook $id
	kill_in_job $id "$RUNDIR/log/worker.log" "$a"
	[ "$(sql "SELECT state || ' ' || tries FROM c2s.jobs
	    WHERE ref = '$id'")" = "running 1" ] || atf_fail "job not running"
	# The lead is in the database, in flight, and due again on its own.
	[ "$(sql "SELECT status || ' ' || (next_retry_at IS NOT NULL) FROM
	    c2s.leads WHERE lead_id = '$id'")" = "processing true" ] ||
	    atf_fail "the lead is not left findable and due"
	worker worker-b.log JOB_TIMEOUT=3s REQUEST_DEADLINE=2500ms \
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
	rm -f workers
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
	setup C2S_WORKERS=1 SIM_FAULT_LATENCY_MS=1000
	w=$C2S_WORKER_PIDS
	# Its C2S fetch takes 1 s: the SIGTERM comes in it.
	id=$(find_lead normal fa17c201)
	hook $id
	wait_for 50 grep -q "\"lead\":\"$id\",\"step\":\"record\"" \
	    "$RUNDIR/log/worker.log" || atf_fail "the job never started"
	kill -TERM "$w"
	job_is $id "running " || atf_fail "the SIGTERM came after the job:" \
	    "$(sql "SELECT state, result FROM c2s.jobs WHERE ref = '$id'")"
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
	# The worker has listened and looked for a job: it waits.
	wait_for 300 claimed || atf_fail "the worker never looked for a job"
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	wait_for 300 grep -q 'database unavailable' "$RUNDIR/log/worker.log" ||
	    atf_fail "the worker never saw PostgreSQL go"
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	a=$(find_lead normal) b=$(find_lead normal) c=$(find_lead normal)
	hook $a $b $c
	jq -e '.queued == 3' body >/dev/null || atf_fail "$(cat body)"
	for id in $a $b $c; do
		wait_for 300 job_is $id "done completed" ||
		    atf_fail "job of $id not done: $(sql "SELECT * FROM c2s.jobs")"
	done
	alive "$C2S_WORKER_PIDS" || atf_fail "the worker died"
	private_stack_stop
}
pg_restart_while_waiting_cleanup() { private_stack_stop; }

atf_test_case retry_schedule cleanup
retry_schedule_head() {
	atf_set descr "a lead still partial is retried at 1, 2, 4, 8, 16 " \
	    "units (RETRY_UNIT=150ms), then failed; no new note"
	atf_set timeout 180
}
retry_schedule_body() {
	local id gaps
	setup C2S_WORKERS=1 RETRY_UNIT=150ms RETRY_SCHEDULE=1,2,4,8,16 \
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
	# between runs grow 1, 2, 4, 8, 16 times 150 ms (plus the poll and
	# the run, at most 750 ms: five units).
	gaps=$(grep "\"lead\":\"$id\",\"step\":\"record\"" \
	    "$RUNDIR/log/pool.log" "$RUNDIR/log/worker.log" |
	    sed 's/^[^:]*://' | jq -r .ts | sort |
	    awk -F'[T:Z]' '{ t = $2 * 3600 + $3 * 60 + $4;
	    if (NR > 1) printf "%d ", (t - p) * 1000; p = t }')
	echo "gaps: $gaps"
	echo "$gaps" | awk '{ if (NF != 5) exit 1;
	    for (i = 1; i <= 5; i++) { want = 150 * 2 ^ (i - 1);
	    if ($i < want || $i > want + 750) exit 1 } }' ||
	    atf_fail "retry gaps $gaps ms do not follow the schedule"
	# Six runs, one partial note: a retry that finds nothing new
	# posts nothing.
	[ "$(notes $id)" = 1 ] || atf_fail "$(notes $id) notes"
	# failed is terminal: no job comes for it any more, however many
	# turns (each queues the leads due) the worker takes.
	barrier
	barrier
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
	local l0
	setup C2S_WORKERS=2 RUN_POLLER=1 POLL_INTERVAL=300ms
	wait_for 300 eval '[ "$(psql -X -At -c "SELECT count(*) FROM c2s.jobs
	    WHERE source = '"'poller'"' AND state = '"'done'"'")" = 50 ]' ||
	    atf_fail "poller jobs: $(sql "SELECT state, count(*) FROM
	    c2s.jobs GROUP BY 1")"
	# More polls: nothing new to queue.
	l0=$(list_calls)
	wait_for 300 eval '[ "$(list_calls)" -ge $((l0 + 2)) ]' ||
	    atf_fail "no more polls after the first"
	barrier
	[ "$(grep -c 'this worker polls' "$RUNDIR/log/worker.log")" = 1 ] ||
	    atf_fail "not exactly one poller"
	[ "$(sql "SELECT count(*) || ' ' || count(DISTINCT ref) || ' ' ||
	    max(tries) FROM c2s.jobs WHERE source = 'poller'")" = "50 50 1" ] ||
	    atf_fail "jobs queued or run twice"
	# Each fetched once: the simulator's calls read once for the 50.
	sql "SELECT ref FROM c2s.jobs WHERE source = 'poller'" >ids
	[ "$(grep -c . ids)" = 50 ] || atf_fail "not 50 polled jobs"
	curl -s "$C2S_SIM_URL/__sim/calls" >simcalls
	jq -r --rawfile ids ids '[.calls[]] as $c | $ids | split("\n")[] |
	    select(. != "") | . as $id | ([$c[] | select(.path ==
	    "/integration/leads/" + $id) | .count] | add // 0) as $n |
	    select($n != 1) | "lead \($id) fetched \($n) times"' simcalls >twice
	[ -s simcalls ] && [ ! -s twice ] || atf_fail "$(head -3 twice)"
	[ "$(sql "SELECT count(*) FROM c2s.leads WHERE source = 'poller'
	    AND status NOT IN ('received', 'processing')")" = 50 ] ||
	    atf_fail "not every polled lead reached an outcome"
	private_stack_stop
}
poller_cleanup() { private_stack_stop; }

atf_test_case jobs__max_tries_gives_up cleanup
jobs__max_tries_gives_up_head() {
	atf_set descr "a job whose worker dies in it JOB_MAX_TRIES times is " \
	    "failed as gave_up on the next take, without running the lead; " \
	    "its lead is failed with the reason and never run again"
	atf_set timeout 180
}
jobs__max_tries_gives_up_body() {
	local id a b c jid env
	env="JOB_MAX_TRIES=2 JOB_TIMEOUT=2s REQUEST_DEADLINE=1500ms
	    WORKER_POLL_INTERVAL=200ms"
	setup C2S_WORKERS=1 SIM_FAULT_LATENCY_MS=1000 $env
	a=$C2S_WORKER_PIDS
	# Its C2S fetch takes 1 s: time to kill a worker in it.
	id=$(find_lead normal fa17c201)
	hook $id
	# Try 1: worker A dies in it.
	kill_in_job $id "$RUNDIR/log/worker.log" "$a"
	# Try 2: worker B takes it after JOB_TIMEOUT, and dies in it too.
	worker worker-b.log $env
	b=$WORKER_PID
	kill_in_job $id worker-b.log "$b"
	jid=$(sql "SELECT id FROM c2s.jobs WHERE ref = '$id'")
	[ "$(sql "SELECT state || ' ' || tries || ' ' || (owner LIKE '%:$b')
	    FROM c2s.jobs WHERE id = $jid")" = "running 2 true" ] ||
	    atf_fail "job: $(sql "SELECT * FROM c2s.jobs WHERE id = $jid")"
	# Try 3 is one over JOB_MAX_TRIES: worker C gives the job up.
	worker worker-c.log $env
	c=$WORKER_PID
	wait_for 150 job_is $id "failed gave_up" ||
	    atf_fail "job not given up: $(echo $(sql "SELECT * FROM c2s.jobs"))"
	[ "$(sql "SELECT tries || '|' || (owner LIKE '%:$c') || '|' ||
	    last_error || '|' || (finished_at IS NOT NULL) FROM c2s.jobs
	    WHERE id = $jid")" = \
	    "3|true|the job was taken 2 times and never finished|true" ] ||
	    atf_fail "job: $(sql "SELECT * FROM c2s.jobs WHERE id = $jid")"
	# Worker C ran nothing of it: one line for the job, the give-up.
	grep "\"req\":\"job-$jid\"" worker-c.log >jobc
	[ "$(wc -l <jobc)" = 1 ] && grep -q '"level":"error".*gave_up' jobc ||
	    atf_fail "worker C on job $jid: $(echo $(cat jobc))"
	# Its lead is failed with the reason, and never due again.
	[ "$(sql "SELECT status || '|' || last_error || '|' ||
	    (next_retry_at IS NULL) || '|' || attempts FROM c2s.leads
	    WHERE lead_id = '$id'")" = \
	    "failed|the job was taken 2 times and never finished|true|2" ] ||
	    atf_fail "lead: $(sql "SELECT * FROM c2s.leads
	    WHERE lead_id = '$id'")"
	# Past the time a lead left processing by try 2 would be due again
	# (twice JOB_TIMEOUT after its start), and a turn of the worker
	# after it (which queues the leads due): no take, no new run.
	wait_for 300 eval '[ "$(psql -X -At -c "SELECT now() > run_started_at
	    + interval '"'5 s'"' FROM c2s.leads WHERE lead_id = '"'$id'"'")" = t ]' ||
	    atf_fail "the clock did not pass the retry time"
	barrier
	[ "$(sql "SELECT string_agg(source || ' ' || state || ' ' ||
	    coalesce(result, '') || ' ' || tries, ',' ORDER BY id)
	    FROM c2s.jobs WHERE ref = '$id'")" = "webhook failed gave_up 3" ] ||
	    atf_fail "jobs: $(echo $(sql "SELECT * FROM c2s.jobs
	    WHERE ref = '$id'"))"
	# Two runs fetched the lead, the two killed; none posted a note.
	[ "$(calls /integration/leads/$id)" = 2 ] ||
	    atf_fail "$(calls /integration/leads/$id) C2S fetches, not 2"
	[ "$(notes $id)" = 0 ] || atf_fail "$(notes $id) notes"
	[ "$(sql "SELECT status FROM c2s.leads WHERE lead_id = '$id'")" = \
	    failed ] || atf_fail "the lead left failed"
	stop_workers
	private_stack_stop
}
jobs__max_tries_gives_up_cleanup() { stop_workers; private_stack_stop; }

atf_test_case jobs__pruned_when_finished_and_old cleanup
jobs__pruned_when_finished_and_old_head() {
	atf_set descr "every PRUNE_INTERVAL the worker deletes the jobs done " \
	    "or failed more than RETENTION_DAYS ago; younger ones, queued " \
	    "and running ones (however old) stay; an idle worker keeps a " \
	    "PRUNE_INTERVAL shorter than its WORKER_POLL_INTERVAL"
	atf_set timeout 120
}
jobs__pruned_when_finished_and_old_body() {
	local t0 d
	setup C2S_WORKERS=0
	# ref: what each row is; the queued one is due in a year.
	sql "INSERT INTO c2s.jobs (kind, ref, source, state, run_after,
	    owner, started_at, finished_at, created_at) VALUES
	    ('lead', 'done-31d', 'webhook', 'done', now() - '40 days'::interval,
	     'gone:1', now() - '31 days'::interval,
	     now() - '31 days'::interval, now() - '40 days'::interval),
	    ('lead', 'failed-31d', 'retry', 'failed',
	     now() - '40 days'::interval, 'gone:1',
	     now() - '31 days'::interval, now() - '31 days'::interval,
	     now() - '40 days'::interval),
	    ('lead', 'done-29d', 'webhook', 'done', now() - '40 days'::interval,
	     'gone:1', now() - '29 days'::interval,
	     now() - '29 days'::interval, now() - '40 days'::interval),
	    ('lead', 'queued-200d', 'webhook', 'queued',
	     now() + '365 days'::interval, NULL, NULL, NULL,
	     now() - '200 days'::interval),
	    ('lead', 'running-200d', 'webhook', 'running',
	     now() - '200 days'::interval, 'alive:1', now(), NULL,
	     now() - '200 days'::interval)" >/dev/null
	worker worker.log RETENTION_DAYS=30 PRUNE_INTERVAL=500ms \
	    WORKER_POLL_INTERVAL=20s
	wait_for 300 grep -q 'pruned 2 jobs older than 30 days' worker.log ||
	    atf_fail "no pruning logged: $(echo $(grep -i prun worker.log))"
	[ "$(sql "SELECT string_agg(ref, ' ' ORDER BY ref)
	    FROM c2s.jobs")" = "done-29d queued-200d running-200d" ] ||
	    atf_fail "jobs left: $(echo $(sql "SELECT ref FROM c2s.jobs"))"
	# A job finished long ago that appears now goes at the next turn of
	# PRUNE_INTERVAL, with no notification and no restart, although the
	# worker idles: not WORKER_POLL_INTERVAL (20 s) later.
	t0=$(now_ms)
	sql "UPDATE c2s.jobs SET finished_at = now() - '31 days'::interval
	    WHERE ref = 'done-29d'" >/dev/null
	wait_for 300 grep -q 'pruned 1 jobs older than 30 days' worker.log ||
	    atf_fail "no second pruning: $(echo $(grep -i prun worker.log))"
	d=$(($(now_ms) - t0))
	echo "pruned again after $d ms (PRUNE_INTERVAL=500ms)"
	[ "$d" -le 5000 ] || atf_fail "pruned again after $d ms, not within" \
	    "PRUNE_INTERVAL (500 ms) of the update"
	[ "$(sql "SELECT string_agg(ref || ' ' || state, ',' ORDER BY ref)
	    FROM c2s.jobs")" = "queued-200d queued,running-200d running" ] ||
	    atf_fail "jobs left: $(echo $(sql "SELECT ref, state FROM c2s.jobs"))"
	stop_workers
	private_stack_stop
}
jobs__pruned_when_finished_and_old_cleanup() {
	stop_workers
	private_stack_stop
}

atf_test_case jobs__poll_interval cleanup
jobs__poll_interval_head() {
	atf_set descr "a job due without a notification is taken within " \
	    "WORKER_POLL_INTERVAL (300ms), and not before it (4s) after the " \
	    "worker's last wake"
	atf_set timeout 120
}
# taken_after J: once job J is done, d is the milliseconds from its
# queueing to its start.
taken_after() {
	local job=$1
	wait_for 300 eval '[ "$(psql -X -At -c "SELECT state FROM c2s.jobs
	    WHERE id = $job")" = done ]' ||
	    atf_fail "job $job not taken: $(sql "SELECT * FROM c2s.jobs
	    WHERE id = $job")"
	d=$(sql "SELECT round(extract(epoch FROM started_at - created_at) *
	    1000) FROM c2s.jobs WHERE id = $job")
}

jobs__poll_interval_body() {
	local j d
	setup C2S_WORKERS=0
	# Short: due at once, never announced; taken at the next look.
	worker short.log WORKER_POLL_INTERVAL=300ms
	wait_for 300 claimed || atf_fail "the worker never looked for a job"
	j=$(sql "WITH i AS (INSERT INTO c2s.jobs (kind, ref, source)
	    VALUES ('lead', 'no-notify', 'webhook') RETURNING id)
	    SELECT id FROM i")
	taken_after $j
	echo "taken after $d ms (WORKER_POLL_INTERVAL=300ms)"
	[ "$d" -le 3000 ] || atf_fail "taken after $d ms, over 300 ms"
	stop_workers
	# Long: a notification wakes the worker when the job is queued, not
	# due for 1.5 s; it becomes due unannounced and waits for the poll
	# WORKER_POLL_INTERVAL after that wake.
	wait_for 300 eval '! claimed' || atf_fail "the first worker's session stays"
	worker long.log WORKER_POLL_INTERVAL=4s
	wait_for 300 eval 'grep -q "poll 4000 ms" long.log' ||
	    atf_fail "the second worker did not start"
	wait_for 300 claimed || atf_fail "the worker never looked for a job"
	j=$(sql "WITH i AS (INSERT INTO c2s.jobs (kind, ref, source,
	    run_after) VALUES ('lead', 'later', 'webhook',
	    now() + '1.5 seconds'::interval) RETURNING id)
	    SELECT id || ' ' || pg_notify('c2s_jobs', 'test') FROM i")
	j=${j% }
	taken_after $j
	echo "taken after $d ms (WORKER_POLL_INTERVAL=4s)"
	[ "$d" -ge 3500 ] && [ "$d" -le 9000 ] ||
	    atf_fail "taken after $d ms, not 4 s after the wake"
	stop_workers
	private_stack_stop
}
jobs__poll_interval_cleanup() { stop_workers; private_stack_stop; }

# two_pollers VAR=VALUE...: workers a and b (logs a.log, b.log) with
# those settings; once one holds the poller's lock and has polled, its pid
# in p, the other's in q, and its backend in h0.
two_pollers() {
	worker a.log "$@"
	worker b.log "$@"
	wait_for 300 one_holder_not none ||
	    atf_fail "lock holders: $(echo $(lock_holders))"
	wait_for 100 eval '[ -n "$(pollers a.log b.log)" ]' ||
	    atf_fail "no worker logged polling"
	p=$(pollers a.log b.log)
	q=$(grep -vx "$p" workers)
	h0=$(lock_holders)
}

atf_test_case poller__failover cleanup
poller__failover_head() {
	atf_set descr "two workers with RUN_POLLER=1: one holds the advisory " \
	    "lock and polls; SIGKILLed, the other takes the lock and polls"
	atf_set timeout 180
}
poller__failover_body() {
	local p q h0 l0 e
	setup C2S_WORKERS=0
	known_list
	e="RUN_POLLER=1 POLL_INTERVAL=300ms WORKER_POLL_INTERVAL=200ms"
	two_pollers $e
	echo "poller $p (backend $h0), other $q"
	# It polls, every POLL_INTERVAL, and queues nothing new.
	l0=$(list_calls)
	wait_for 300 eval '[ "$(list_calls)" -ge $((l0 + 3)) ]' ||
	    atf_fail "no polls: $(list_calls) lists"
	# The other worker, asking for the lock all along, never got it.
	[ "$(pollers a.log b.log)" = "$p" ] && [ "$(echo $(lock_holders))" = "$h0" ] ||
	    atf_fail "two pollers: $(echo $(pollers a.log b.log)); $(echo $(lock_holders))"
	kill -KILL "$p" || atf_fail "cannot kill $p"
	wait_for 100 eval "! alive $p" || atf_fail "$p still alive"
	# Its session ends, the lock with it: the other takes it.
	wait_for 300 one_holder_not "$h0" ||
	    atf_fail "lock holders after the kill: $(echo $(lock_holders))"
	wait_for 100 eval 'pollers a.log b.log | grep -qx "$q"' &&
	    [ "$(pollers a.log b.log | wc -l)" = 2 ] ||
	    atf_fail "the survivor never polled: $(echo $(pollers a.log b.log))"
	l0=$(list_calls)
	wait_for 300 eval '[ "$(list_calls)" -ge $((l0 + 3)) ]' ||
	    atf_fail "no polls after the failover"
	[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE state <> 'done'")" = 0 ] ||
	    atf_fail "jobs queued: $(echo $(sql "SELECT * FROM c2s.jobs
	    WHERE state <> 'done'"))"
	# The lock was the survivor's session's: it goes with it.
	kill -TERM "$q"
	wait_for 150 eval "! alive $q" || atf_fail "$q did not stop"
	wait_for 100 eval '[ -z "$(echo $(lock_holders))" ]' ||
	    atf_fail "lock still held: $(echo $(lock_holders))"
	rm -f workers
	private_stack_stop
}
poller__failover_cleanup() { stop_workers; private_stack_stop; }

atf_test_case poller__failover_at_night cleanup
poller__failover_at_night_head() {
	atf_set descr "with an hour between polls (the night's schedule), " \
	    "the other worker asks for the lock every turn: a SIGKILLed " \
	    "poller is replaced at once, not an hour later"
	atf_set timeout 120
}
poller__failover_at_night_body() {
	local p q h0 l0 e
	setup C2S_WORKERS=0
	known_list
	e="RUN_POLLER=1 POLL_SCHEDULE=*:1h WORKER_POLL_INTERVAL=200ms"
	two_pollers $e
	l0=$(list_calls)
	kill -KILL "$p" || atf_fail "cannot kill $p"
	wait_for 100 eval "! alive $p" || atf_fail "$p still alive"
	# Within a few turns, not an hour: the survivor holds the lock and
	# polls once.
	wait_for 100 one_holder_not "$h0" ||
	    atf_fail "lock holders after the kill: $(echo $(lock_holders))"
	wait_for 100 eval 'pollers a.log b.log | grep -qx "$q"' ||
	    atf_fail "the survivor never polled: $(echo $(pollers a.log b.log))"
	wait_for 100 eval '[ "$(list_calls)" -ge $((l0 + 1)) ]' ||
	    atf_fail "no poll after the failover: $(list_calls) lists"
	sleep 1
	[ "$(list_calls)" = $((l0 + 1)) ] ||
	    atf_fail "polled more than once in the hour: $(list_calls) lists"
	kill -TERM "$q"
	wait_for 150 eval "! alive $q" || atf_fail "$q did not stop"
	rm -f workers
	private_stack_stop
}
poller__failover_at_night_cleanup() { stop_workers; private_stack_stop; }

atf_test_case poller__lock_after_reconnect cleanup
poller__lock_after_reconnect_head() {
	atf_set descr "the poller's session killed (pg_terminate_backend), " \
	    "then PostgreSQL restarted: each time the worker reconnects, " \
	    "takes the advisory lock again and polls"
	atf_set timeout 180
}
poller__lock_after_reconnect_body() {
	local w h l0 u0
	setup C2S_WORKERS=0
	known_list
	worker w.log RUN_POLLER=1 POLL_INTERVAL=100ms \
	    WORKER_POLL_INTERVAL=200ms
	w=$WORKER_PID
	wait_for 300 one_holder_not none ||
	    atf_fail "lock holders: $(echo $(lock_holders))"
	h=$(lock_holders)
	wait_for 100 eval '[ "$(pollers w.log | wc -l)" = 1 ]' ||
	    atf_fail "not polling: $(echo $(pollers w.log))"
	# The session ends: the lock with it.
	sql "SELECT pg_terminate_backend($h)" >/dev/null
	wait_for 300 one_holder_not "$h" ||
	    atf_fail "lock holders after the terminate: $(echo $(lock_holders))"
	wait_for 100 eval '[ "$(pollers w.log | wc -l)" = 2 ]' &&
	    [ "$(pollers w.log | sort -u)" = "$w" ] ||
	    atf_fail "lock not taken again: $(echo $(pollers w.log))"
	l0=$(list_calls)
	wait_for 300 eval '[ "$(list_calls)" -ge $((l0 + 3)) ]' ||
	    atf_fail "no polls after the reconnect"
	# PostgreSQL restarted: the same again.
	h=$(lock_holders)
	u0=$(grep -c 'database unavailable' w.log)
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	wait_for 300 eval '[ "$(grep -c "database unavailable" w.log)" -gt $u0 ]' ||
	    atf_fail "the worker never saw PostgreSQL go"
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	wait_for 600 one_holder_not "$h" ||
	    atf_fail "lock holders after the restart: $(echo $(lock_holders))"
	wait_for 100 eval '[ "$(pollers w.log | wc -l)" = 3 ]' ||
	    atf_fail "lock not taken again: $(echo $(pollers w.log))"
	l0=$(list_calls)
	wait_for 300 eval '[ "$(list_calls)" -ge $((l0 + 3)) ]' ||
	    atf_fail "no polls after the restart"
	alive "$w" || atf_fail "the worker died"
	stop_workers
	private_stack_stop
}
poller__lock_after_reconnect_cleanup() { stop_workers; private_stack_stop; }

atf_test_case poller__schedule cleanup
poller__schedule_head() {
	atf_set descr "the poller's next run follows POLL_SCHEDULE's default " \
	    "at an injected clock (POLL_SCHEDULE_NOW): 300 s at 09:00, 1200 s " \
	    "at 21:00, 3600 s at 03:00 Sao Paulo time; the schedule logged " \
	    "at start; one poll, none again within the interval"
	atf_set timeout 180
}
poller__schedule_body() {
	local t l0 hh s e
	setup C2S_WORKERS=0
	known_list
	l0=$(list_calls)
	# 2026-12-06 09:00 in Sao Paulo (UTC-3), 12:00 UTC.
	t=1796558400
	e="RUN_POLLER=1 WORKER_POLL_INTERVAL=200ms"
	worker w09.log $e POLL_SCHEDULE_NOW=$t
	worker w21.log $e POLL_SCHEDULE_NOW=$((t + 12 * 3600))
	worker w03.log $e POLL_SCHEDULE_NOW=$((t - 6 * 3600))
	for hh in 09:300 21:1200 03:3600; do
		s=${hh#*:}
		hh=${hh%:*}
		wait_for 150 grep -q "\"poller: next poll in $s s (interval now $s s, $hh h in Sao Paulo)\"" w$hh.log ||
		    atf_fail "at $hh h: $(grep 'next poll' w$hh.log)"
		grep -q '"poller: schedule 00-08:1h,08-20:5m,20-23:20m,23-24:1h (Sao Paulo hours' w$hh.log ||
		    atf_fail "no schedule logged at start in w$hh.log"
		grep -q 'POLL_SCHEDULE_NOW' w$hh.log ||
		    atf_fail "the fixed clock not logged in w$hh.log"
	done
	# One worker took the lock and polled once; none polls again within
	# its interval (5 min at least), whatever turns they take.
	wait_for 100 eval '[ "$(pollers w09.log w21.log w03.log | wc -l)" = 1 ]' ||
	    atf_fail "pollers: $(echo $(pollers w09.log w21.log w03.log))"
	wait_for 100 eval '[ "$(list_calls)" -ge $((l0 + 1)) ]' ||
	    atf_fail "no poll"
	barrier
	barrier
	barrier
	[ "$(list_calls)" = $((l0 + 1)) ] ||
	    atf_fail "$(($(list_calls) - l0)) polls, not one"
	[ "$(grep -c 'next poll in' w09.log w21.log w03.log |
	    awk -F: '{ n += $2 } END { print n }')" = 3 ] ||
	    atf_fail "a worker scheduled twice: $(grep -h 'next poll' w*.log)"
	stop_workers
	private_stack_stop
}
poller__schedule_cleanup() { stop_workers; private_stack_stop; }

atf_test_case jobs__claim_plan cleanup
jobs__claim_plan_head() {
	atf_set descr "the job claim, as the worker prepared it, reads live " \
	    "jobs then a backfill's through their partial indexes " \
	    "(sql/0020), with no sort of the jobs due"
	atf_set timeout 120
}
jobs__claim_plan_body() {
	local q plan
	setup C2S_WORKERS=0
	worker worker.log
	wait_for 300 claimed || atf_fail "the worker never claimed"
	q=$(psql -X -At -c "SELECT query FROM pg_stat_activity WHERE
	    query LIKE 'UPDATE c2s.jobs j SET state = ''running''%' LIMIT 1")
	stop_workers
	# Many backfill jobs due and a live one, never committed.
	plan=$(psql -X -At -v ON_ERROR_STOP=1 <<-EOF
		BEGIN;
		INSERT INTO c2s.jobs (kind, ref, source, run_after)
		    SELECT 'lead', 'b' || i, 'backfill',
		    now() - '1 day'::interval FROM generate_series(1, 5000) i;
		INSERT INTO c2s.jobs (kind, ref, source) VALUES
		    ('lead', 'live', 'webhook');
		ANALYZE c2s.jobs;
		PREPARE c AS $q;
		EXPLAIN EXECUTE c('test:1', 60000);
		ROLLBACK;
	EOF
	) || atf_fail "no plan"
	echo "$plan"
	echo "$plan" | grep -q 'jobs_live_due_idx' ||
	    atf_fail "live jobs not read through jobs_live_due_idx"
	echo "$plan" | grep -q 'jobs_backfill_due_idx' ||
	    atf_fail "backfill jobs not read through jobs_backfill_due_idx"
	# Only the silent running jobs (a few rows) may be sorted.
	! echo "$plan" | grep -A2 -- '->  Sort ' | grep -q '_due_idx' ||
	    atf_fail "the claim sorts the jobs due"
	private_stack_stop
}
jobs__claim_plan_cleanup() { stop_workers; private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case killed_mid_job
	atf_add_test_case sigterm_finishes_job
	atf_add_test_case pg_restart_while_waiting
	atf_add_test_case retry_schedule
	atf_add_test_case poller
	atf_add_test_case jobs__max_tries_gives_up
	atf_add_test_case jobs__pruned_when_finished_and_old
	atf_add_test_case jobs__poll_interval
	atf_add_test_case poller__failover
	atf_add_test_case poller__failover_at_night
	atf_add_test_case poller__lock_after_reconnect
	atf_add_test_case poller__schedule
	atf_add_test_case jobs__claim_plan
}
