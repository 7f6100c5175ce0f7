#! /usr/bin/env atf-sh
# dedup_test -- never pay twice (DESIGN.md section 6), on real stacks: the
# shared file of one machine, the claim rows of PostgreSQL across machines
# (two stacks, one database), a claim holder killed, a full table, the TTL,
# and stored dossiers reused by another lead.  Upstream calls are counted
# by the simulator.

. "$(atf_get_srcdir)/common.subr"

# calls PATH: how many calls the simulator got on exactly PATH (query
# included for the Work API, token removed).
calls() {
	curl -s "$C2S_SIM_URL/__sim/calls" |
	    jq --arg p "$1" '[.calls[] | select(.path == $p) | .count] |
	    add // 0'
}

work_calls() {
	calls "/api?modulo=cpf&consulta=$1"
}

notes() {
	curl -s "$C2S_SIM_URL/__sim/notes?lead=$1" | jq '.notes | length'
}

# burst N URL...: N concurrent GETs spread over the URLs; bodies in out.*
burst() {
	local n=$1 i=0 u
	shift
	rm -f out.*
	while [ $i -lt "$n" ]; do
		for u in "$@"; do
			[ $i -lt "$n" ] || break
			curl -s --max-time 30 -o out.$i "$u" &
			i=$((i + 1))
		done
	done
	wait
}

# How many answers in out.* ran the lead, and how many were duplicates.
ran() {
	cat out.* | jq -s '[.[] | select(.duplicate_request == false)] | length'
}
dups() {
	cat out.* | jq -s '[.[] | select(.duplicate_request == true)] | length'
}

atf_test_case burst_one_lead
burst_one_lead_head() {
	atf_set descr "50 concurrent requests for one new lead, pool of 4: " \
	    "one C2S fetch, one Work API call, one note, 49 duplicates"
	atf_set require.config "base_url stack_dir"
}
burst_one_lead_body() {
	local id cpf
	shared_stack
	[ "$C2S_POOL" -ge 2 ] || atf_skip "pool too small"
	# Its C2S fetch takes 2 s: every request arrives while it runs.
	while :; do
		id=$(rand_id fa17c201)
		curl -s -o truth "$C2S_SIM_URL/__sim/truth/$id"
		[ "$(jq -r .variant truth)" = normal ] && break
	done
	cpf=$(jq -r .phone_person.cpf truth)
	burst 50 "$URL/api/v1/leads/process?id=$id"
	[ "$(ran)" = 1 ] || atf_fail "$(ran) requests ran the lead"
	[ "$(dups)" = 49 ] || atf_fail "$(dups) duplicate answers, not 49"
	cat out.* | jq -s -e '[.[] | select(.duplicate_request == false)][0] |
	    .status == "completed"' >/dev/null || atf_fail "the run failed"
	[ "$(calls /integration/leads/$id)" = 1 ] || atf_fail "C2S fetches"
	[ "$(work_calls $cpf)" = 1 ] || atf_fail "Work API calls"
	[ "$(notes $id)" = 1 ] || atf_fail "notes posted"
}

atf_test_case two_stacks_one_database cleanup
two_stacks_one_database_head() {
	atf_set descr "two stacks (two dedup files) sharing one PostgreSQL: " \
	    "still one run of a lead, enriched once: one Work API call, " \
	    "exactly one note posted (the simulator's create_message) and " \
	    "recorded (c2s.notes)"
	atf_set require.progs "psql"
	atf_set timeout 180
}
two_stacks_one_database_body() {
	local id a_url b_dir b_url cpf
	private_stack RATE_LIMIT=0
	export PGHOST PGUSER PGDATABASE
	a_url=$URL
	# Stack B: its own lighttpd, pool and dedup file; A's database and
	# A's simulator, so that the calls of both are counted together.
	b_dir=$(env C2S_PORT=0 C2S_SIM_PORT=0 C2S_RUNDIR= C2S_KEEP=1 \
	    C2S_SHARED_DB="$DB_URL" C2S_BASE_URL="$C2S_SIM_URL" \
	    DIRETRIX_BASE_URL="$C2S_SIM_URL" WORK_API_URL="$C2S_SIM_URL" \
	    C2S_TOKEN=sim-c2s-token DIRETRIX_USER=sim DIRETRIX_PASS=sim-pass \
	    WORK_API=sim-work-token WORK_API_MIN_INTERVAL=0 \
	    API_KEYS="$C2S_API_KEY" RATE_LIMIT=0 \
	    "$STACK" start) || atf_fail "stack B did not start"
	echo "$b_dir" >stack_b_dir
	b_url=$(. "$b_dir/env"; echo "$C2S_URL")
	[ "$(. "$b_dir/env"; echo "$C2S_DEDUP_FILE")" != "$C2S_DEDUP_FILE" ] ||
	    atf_fail "the stacks share a dedup file"
	# A person with a dossier, so that the one run posts a note; its C2S
	# fetch takes 2 s: every request arrives while it runs.
	id=$(find_lead normal fa17c201)
	cpf=$(jq -r .phone_person.cpf truth)
	burst 20 "$a_url/api/v1/leads/process?id=$id" \
	    "$b_url/api/v1/leads/process?id=$id"
	[ "$(ran)" = 1 ] || atf_fail "$(ran) requests ran the lead"
	cat out.* | jq -s -e '[.[] | select(.duplicate_request == false)][0] |
	    .status == "completed"' >/dev/null || atf_fail "the run failed"
	[ "$(dups)" = 19 ] || atf_fail "$(dups) duplicates, not 19"
	cat out.* | jq -s -e '[.[] | select(.dedup == "database")] |
	    length >= 1' >/dev/null ||
	    atf_fail "the other stack did not learn it from the database"
	[ "$(calls /integration/leads/$id)" = 1 ] || atf_fail "C2S fetches"
	[ "$(work_calls "$cpf")" = 1 ] || atf_fail "Work API calls"
	# The note: posted by the run (the lead says so), once, in C2S and in
	# the database.
	[ "$(sql "SELECT note_state FROM c2s.leads WHERE lead_id = '$id'")" = \
	    posted ] || atf_fail "note not posted: $(sql "SELECT status,
	    note_state FROM c2s.leads WHERE lead_id = '$id'")"
	[ "$(notes $id)" = 1 ] || atf_fail "$(notes $id) notes posted, not 1"
	[ "$(sql "SELECT count(*) FROM c2s.notes WHERE lead_id = '$id'
	    AND state = 'posted'")" = 1 ] || atf_fail "not one note recorded"
	[ "$(calls /integration/leads/$id/create_message)" = 1 ] ||
	    atf_fail "create_message called $(calls \
	    /integration/leads/$id/create_message) times"
	rm -f stack_b_dir
	stack_stop_scan "$b_dir"
	private_stack_stop
}
two_stacks_one_database_cleanup() {
	[ -r stack_b_dir ] && stack_stop_scan "$(cat stack_b_dir)"
	private_stack_stop
}

atf_test_case claim_holder_killed cleanup
claim_holder_killed_head() {
	atf_set descr "a responder SIGKILLed holding a claim: the lead runs " \
	    "again once its owner is found dead; no slot stays stuck"
	atf_set timeout 120
}
claim_holder_killed_body() {
	local id pid
	private_stack
	id=$(rand_id fa17c201)
	curl -s -o first --max-time 30 "$URL/api/v1/leads/process?id=$id" &
	wait_for 50 grep -q "\"lead\":\"$id\",\"step\":\"record\"" \
	    "$RUNDIR/log/pool.log" || atf_fail "the lead never started"
	pid=$(grep "\"lead\":\"$id\",\"step\":\"record\"" \
	    "$RUNDIR/log/pool.log" | head -1 | jq .pid)
	kill -KILL "$pid" || atf_fail "cannot kill $pid"
	wait
	wait_for 50 pool_full || atf_fail "pool not back to full size"
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	jq -e '.duplicate_request == false and .success == true' body \
	    >/dev/null || atf_fail "the lead did not run again: $(cat body)"
	grep -q "claim of dead responder .*:$pid taken over" \
	    "$RUNDIR/log/pool.log" || atf_fail "no takeover logged"
	# Done now: the next ask is a duplicate from the file.
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	jq -e '.duplicate_request == true and .dedup == "file"' body \
	    >/dev/null || atf_fail "slot not marked done: $(cat body)"
	private_stack_stop
}
claim_holder_killed_cleanup() { private_stack_stop; }

atf_test_case full_table cleanup
full_table_head() {
	atf_set descr "a dedup table of 8 slots: every lead still answered " \
	    "right, through the database"
	atf_set timeout 120
}
full_table_body() {
	local i id
	# No rate limit: 40 requests from one address are the point here.
	private_stack DEDUP_CAPACITY=8 RATE_LIMIT=0
	: >ids
	for i in $(seq 1 20); do
		id=$(rand_id)
		echo "$id" >>ids
		expect_status 200 GET "/api/v1/leads/process?id=$id"
		jq -e '.duplicate_request == false and .success == true' body \
		    >/dev/null || atf_fail "lead $i: $(cat body)"
	done
	while read -r id; do
		expect_status 200 GET "/api/v1/leads/process?id=$id"
		jq -e '.duplicate_request == true' body >/dev/null ||
		    atf_fail "lead $id ran twice: $(cat body)"
	done <ids
	grep -q 'dedup file full' "$RUNDIR/log/pool.log" ||
	    atf_fail "the table never filled"
	private_stack_stop
}
full_table_cleanup() { private_stack_stop; }

atf_test_case ttl_expiry cleanup
ttl_expiry_head() {
	atf_set descr "after DEDUP_TTL a lead runs again: CPF and dossier " \
	    "from tier 0 (the stored contacts) and the process cache, the " \
	    "same note not posted twice"
	atf_set timeout 120
}
ttl_expiry_body() {
	local id cpf
	# One responder, so that the second run meets its process cache.
	private_stack DEDUP_TTL=1s C2S_POOL=1
	while :; do
		id=$(rand_id)
		curl -s -o truth "$C2S_SIM_URL/__sim/truth/$id"
		[ "$(jq -r .variant truth)" = normal ] && break
	done
	cpf=$(jq -r .phone_person.cpf truth)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	jq -e '.status == "completed" and .note == "posted"' body >/dev/null ||
	    atf_fail "first run: $(cat body)"
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	jq -e '.duplicate_request == true' body >/dev/null ||
	    atf_fail "not a duplicate within the TTL"
	sleep 1.5
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	jq -e '.duplicate_request == false and .note == "already_posted" and
	    .dossiers_reused == 1 and .dossiers_fetched == 0 and
	    .attempts == 2' body >/dev/null ||
	    atf_fail "second run: $(cat body)"
	[ "$(work_calls $cpf)" = 1 ] || atf_fail "the dossier was bought twice"
	[ "$(notes $id)" = 1 ] || atf_fail "a second note was posted"
	# Contact to CPF from the stored contacts (tier 0, free), the
	# dossier from the process cache.
	[ "$(calls "/Consultas/Pessoa/Telefone/$(jq -r .phone truth)")" = 1 ] ||
	    atf_fail "the phone was looked up again"
	grep -q '"step":"stored","outcome":"found"' "$RUNDIR/log/pool.log" ||
	    atf_fail "the CPF did not come from the stored contacts"
	grep -q '"step":"dossier","outcome":"cached"' "$RUNDIR/log/pool.log" ||
	    atf_fail "the dossier did not come from the cache"
	expect_status 200 GET /health
	jq -e '.cache.hits >= 1 and .cache.entries >= 2 and
	    .cache.bytes <= .cache.max_bytes' body >/dev/null ||
	    atf_fail "cache figures: $(cat body)"
	private_stack_stop
}
ttl_expiry_cleanup() { private_stack_stop; }

atf_test_case dossier_reused_by_another_lead
dossier_reused_by_another_lead_head() {
	atf_set descr "a second lead for a person enriched minutes ago: " \
	    "zero Work API calls, and its own note"
	atf_set require.config "base_url stack_dir"
}
dossier_reused_by_another_lead_body() {
	local a b cpf before
	shared_stack
	# Fault-d1 latency leads all belong to one marker person.
	a=$(rand_id fa17d101)
	b=$(rand_id fa17d101)
	cpf=$(curl -s "$C2S_SIM_URL/__sim/truth/$a" | jq -r .phone_person.cpf)
	expect_status 200 GET "/api/v1/leads/process?id=$a"
	jq -e '.status == "completed"' body >/dev/null || atf_fail "lead a"
	before=$(work_calls "$cpf")
	[ "$before" -le 1 ] || atf_fail "the dossier was bought $before times"
	expect_status 200 GET "/api/v1/leads/process?id=$b"
	jq -e '.status == "completed" and .dossiers_fetched == 0 and
	    .note == "posted"' body >/dev/null || atf_fail "lead b: $(cat body)"
	[ "$(work_calls "$cpf")" = "$before" ] ||
	    atf_fail "the Work API was called for lead b"
	[ "$(notes "$b")" = 1 ] || atf_fail "lead b got no note"
}

atf_init_test_cases() {
	atf_add_test_case burst_one_lead
	atf_add_test_case two_stacks_one_database
	atf_add_test_case claim_holder_killed
	atf_add_test_case full_table
	atf_add_test_case ttl_expiry
	atf_add_test_case dossier_reused_by_another_lead
}
