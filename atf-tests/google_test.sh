#! /usr/bin/env atf-sh
# google_test -- Google Ads lead forms as Google sends them, end to end
# through lighttpd, the responders, the worker and the simulator: the C2S
# lead's description in the Rust service's layout, test forms (is_test)
# recorded but never run unless GOOGLE_ADS_ACCEPT_TEST=1, and the TS
# service's path /webhook/google-ads.  The shared stack's cases count the
# simulator's calls, so the program is exclusive (atf-tests/Kyuafile).
# On stacks of their own: a C2S create that hangs, answers 500, a
# truncated body or malformed JSON (the simulator's fault markers), a
# worker SIGKILLed in the create, PostgreSQL restarted during it or down
# at its end, each leave the form 'unknown' (or 'created' when C2S
# answered) after one create, never created again.

. "$(atf_get_srcdir)/common.subr"

setup() {
	shared_stack
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
}

# calls PATH [METHOD]: the simulator's calls of exactly that path.
calls() {
	curl -s "$SIM/__sim/calls" | jq --arg p "$1" --arg m "${2:-}" \
	    '[.calls[] | select(.path == $p and ($m == "" or .method == $m)) |
	    .count] | add // 0'
}

# person: an ordinary simulator person (phone and e-mail of the same one),
# the truth in ./truth.
person() {
	while :; do
		curl -s -o truth "$SIM/__sim/truth/$(rand_id)" ||
		    atf_fail "simulator unreachable"
		[ "$(jq -r .variant truth)" = normal ] &&
		    [ "$(jq -r .phone_person.cpf truth)" != null ] && break
	done
}

# gform ID [IS_TEST]: the form Google posts for the person of ./truth:
# ids as numbers and strings, the key in the body, standard columns with
# column_id, custom questions by column_name only, a column with neither
# (left out), a value with a line break.
gform() {
	jq -c --arg id "$1" --arg k "$C2S_GOOGLE_KEY" \
	    --argjson t "${2:-false}" '{lead_id: $id, api_version: "1.0",
	    form_id: 1234567890, campaign_id: "987654321",
	    adgroup_id: 55501, creative_id: 66602,
	    gcl_id: "Cj0KCQjw-gclid_TEST.123", google_key: $k, is_test: $t,
	    user_column_data: [
	    {column_name: "Full Name", column_id: "FULL_NAME",
	     string_value: .phone_person.name},
	    {column_name: "User Email", column_id: "EMAIL",
	     string_value: .email},
	    {column_name: "User Phone", column_id: "PHONE_NUMBER",
	     string_value: ("+55" + .phone)},
	    {column_name: "City", column_id: "CITY",
	     string_value: "São Paulo"},
	    {column_name: "Qual o seu orçamento?",
	     string_value: "R$ 500 mil"},
	    {column_name: "Quando pretende comprar?",
	     string_value: "Em até 6 meses"},
	    {string_value: "sem nome nem id"},
	    {column_name: "Observações", string_value: "linha 1\nlinha 2"}]}' \
	    truth
}

# The layout the description must open with, for the form of ./truth.
expected_head() {
	printf '%s\n' "🎯 Lead do Google Ads" "${1:-}" "Campanha: 987654321" \
	    "Formulário: 1234567890" "GCLID: Cj0KCQjw-gclid_TEST.123" \
	    "Nome: $(jq -r .phone_person.name truth)" \
	    "E-mail: $(jq -r .email truth)" \
	    "Telefone: +55$(jq -r .phone truth)" \
	    "Cidade: São Paulo" "Qual o seu orçamento?: R\$ 500 mil" \
	    "Quando pretende comprar?: Em até 6 meses" \
	    "Observações: linha 1 linha 2" "" | sed '2{/^$/d}'
}

# post PATH: POST ./form to PATH (the key is in the body).
post() {
	http POST "$1" -H 'Content-Type: application/json' --data-binary @form
}

form_state() {
	psql -X -At -c "SELECT state FROM c2s.google_leads
	    WHERE form_lead_id = '$1'"
}

# description FORM_ID: the description of the form's C2S lead (the new
# lead's first note in the simulator) in ./desc.
description() {
	local cid
	cid=$(sql "SELECT c2s_lead_id FROM c2s.google_leads
	    WHERE form_lead_id = '$1'")
	[ -n "$cid" ] || atf_fail "form $1 has no C2S lead"
	curl -s "$SIM/__sim/notes?lead=$cid" | jq -r '.notes[0]' >desc
}

# paid CPF PHONE EMAIL: the simulator's Diretrix and Work API calls for
# the person's CPF, phone and e-mail (its local part: the path escapes @).
paid() {
	echo $(( $(sim_calls diretrix "$2") + $(sim_calls diretrix "${3%%@*}") +
	    $(sim_calls work "$1") + $(sim_calls work "$2") ))
}

atf_test_case form__rust_layout
form__rust_layout_head() {
	atf_set descr "a form as Google sends it (custom questions by " \
	    "column_name only, gcl_id, numeric and string ids) creates a " \
	    "C2S lead whose description has the Rust service's lines in " \
	    "order, a blank line, then the enrichment note"
	atf_set timeout 120
}
form__rust_layout_body() {
	local fid
	setup
	person
	fid="gads-$(rand_id)"
	gform "$fid" >form
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "status: $(cat body)"
	json '. == {success: true, form_lead_id: "'"$fid"'", duplicate: false,
	    state: "received", test: false, c2s_lead_id: null}'
	wait_for 200 eval '[ "$(form_state $fid)" = created ]' ||
	    atf_fail "form not created: $(form_state $fid)"
	description "$fid"
	expected_head >expected
	head -n "$(wc -l <expected)" desc >got
	diff -u expected got >diff || atf_fail "layout: $(cat diff)"
	grep -q '^✅ DADOS PESSOAIS$' desc || atf_fail "no enrichment: $(cat desc)"
	! grep -q 'LEAD DE TESTE' desc || atf_fail "a real form marked a test"
	! grep -q 'sem nome nem id' desc || atf_fail "a nameless column shown"
	[ "$(sql "SELECT is_test FROM c2s.google_leads
	    WHERE form_lead_id = '$fid'")" = f ] || atf_fail "stored as a test"
}

atf_test_case form__placeholder_name
form__placeholder_name_head() {
	atf_set descr "a form whose FULL_NAME is a placeholder (\"Teste\") " \
	    "creates its C2S lead with the form's lines but no enrichment " \
	    "note; the lead records no note and why (DESIGN.md 11.3)"
	atf_set timeout 120
}
form__placeholder_name_body() {
	local fid cid
	setup
	person
	fid="gads-$(rand_id)"
	gform "$fid" | jq -c '(.user_column_data[] |
	    select(.column_id == "FULL_NAME") | .string_value) = "Teste"' >form
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "status: $(cat body)"
	wait_for 200 eval '[ "$(form_state $fid)" = created ]' ||
	    atf_fail "form not created: $(form_state $fid)"
	description "$fid"
	grep -q '^Nome: Teste$' desc || atf_fail "the form's name: $(cat desc)"
	! grep -q 'DADOS PESSOAIS' desc || atf_fail "a note: $(cat desc)"
	cid=$(sql "SELECT c2s_lead_id FROM c2s.google_leads
	    WHERE form_lead_id = '$fid'")
	[ "$(sql "SELECT customer_name || '|' || note_state || '|' ||
	    coalesce(note_reason, '') FROM c2s.leads
	    WHERE lead_id = '$cid'")" = \
	    "Teste|skipped|placeholder_name: placeholder" ] ||
	    atf_fail "the lead: $(sql "SELECT customer_name, note_state,
	    note_reason FROM c2s.leads WHERE lead_id = '$cid'")"
	[ "$(sql "SELECT count(*) FROM c2s.notes
	    WHERE lead_id = '$cid'")" = 0 ] || atf_fail "a note recorded"
}

atf_test_case form__standard_fields_by_name
form__standard_fields_by_name_head() {
	atf_set descr "standard fields sent without column_id, named by " \
	    "their id or a usual name (Nome completo, E-mail, Número de " \
	    "telefone), are read as the name, e-mail and phone"
	atf_set timeout 120
}
form__standard_fields_by_name_body() {
	local fid
	setup
	person
	fid="gads-$(rand_id)"
	jq -c --arg id "$fid" --arg k "$C2S_GOOGLE_KEY" '{lead_id: $id,
	    form_id: "f-77", google_key: $k, is_test: false,
	    user_column_data: [
	    {column_name: "Nome completo", string_value: .phone_person.name},
	    {column_name: "EMAIL", string_value: .email},
	    {column_name: "Número de telefone", string_value: .phone}]}' \
	    truth >form
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "status: $(cat body)"
	[ "$(sql "SELECT name = '$(jq -r .phone_person.name truth)' AND
	    email = '$(jq -r .email truth)' AND phone = '$(jq -r .phone truth)'
	    FROM c2s.google_leads WHERE form_lead_id = '$fid'")" = t ] ||
	    atf_fail "name, e-mail or phone not read"
	wait_for 200 eval '[ "$(form_state $fid)" = created ]' ||
	    atf_fail "form not created: $(form_state $fid)"
	description "$fid"
	printf '%s\n' "🎯 Lead do Google Ads" "Formulário: f-77" \
	    "Nome: $(jq -r .phone_person.name truth)" \
	    "E-mail: $(jq -r .email truth)" "Telefone: $(jq -r .phone truth)" \
	    "" >expected
	head -n "$(wc -l <expected)" desc >got
	diff -u expected got >diff || atf_fail "layout: $(cat diff)"
	grep -q '^✅ DADOS PESSOAIS$' desc || atf_fail "no enrichment: $(cat desc)"
}

atf_test_case form__test_not_run
form__test_not_run_head() {
	atf_set descr "a test form (is_test true) is answered 200 with its " \
	    "disposition and stored with is_test, but no job runs: no C2S " \
	    "lead, no Diretrix or Work API call (a real form sent after it " \
	    "is created first), and its log line carries no PII"
	atf_set timeout 120
}
form__test_not_run_body() {
	local fid cpf phone email creates before
	setup
	person
	fid="gads-test-$(rand_id)"
	cpf=$(jq -r .phone_person.cpf truth)
	phone=$(jq -r .phone truth)
	email=$(jq -r .email truth)
	gform "$fid" true >form
	creates=$(calls /integration/leads POST)
	before=$(paid "$cpf" "$phone" "$email")
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "status: $(cat body)"
	json '. == {success: true, form_lead_id: "'"$fid"'", duplicate: false,
	    state: "test", test: true, c2s_lead_id: null}'
	[ "$(sql "SELECT state || ' ' || is_test || ' ' ||
	    (payload->>'is_test') FROM c2s.google_leads
	    WHERE form_lead_id = '$fid'")" = "test true true" ] ||
	    atf_fail "not stored as a test form"
	[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE ref = '$fid'")" = 0 ] ||
	    atf_fail "a job was queued for a test form"
	# Posted again: the same disposition.
	[ "$(post /webhook/google-ads)" = 200 ] || atf_fail "again: $(cat body)"
	json '.duplicate == true and .state == "test" and .test == true and
	    .c2s_lead_id == null'
	# A real form after it, the one C2S lead: once it is created, the
	# worker has passed.
	later_form $((creates + 1))
	[ "$(form_state "$fid")" = test ] ||
	    atf_fail "test form now $(form_state "$fid")"
	[ "$(paid "$cpf" "$phone" "$email")" = "$before" ] ||
	    atf_fail "the test form's person was looked up"
	# Logged at info level, without the person's data.
	wait_for 50 grep -q 'test form recorded; not run' \
	    "$RUNDIR/log/pool.log" || atf_fail "no log line for the test form"
	! grep -F -e "$email" -e "$phone" -e "$cpf" "$RUNDIR/log/pool.log" \
	    "$RUNDIR/log/worker.log" >pii || atf_fail "PII logged: $(cat pii)"
}

atf_test_case form__test_accepted cleanup
form__test_accepted_head() {
	atf_set descr "with GOOGLE_ADS_ACCEPT_TEST=1 (a stack of its own), " \
	    "a test form runs as a real one: the C2S lead is created, its " \
	    "description says ⚠️ LEAD DE TESTE under its first line"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
form__test_accepted_body() {
	local fid
	private_stack GOOGLE_ADS_ACCEPT_TEST=1
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
	person
	fid="gads-test-$(rand_id)"
	gform "$fid" true >form
	[ "$(post /webhook/google-ads)" = 200 ] || atf_fail "status: $(cat body)"
	json '. == {success: true, form_lead_id: "'"$fid"'", duplicate: false,
	    state: "received", test: true, c2s_lead_id: null}'
	wait_for 300 eval '[ "$(form_state $fid)" = created ]' ||
	    atf_fail "form not created: $(form_state $fid)"
	[ "$(calls /integration/leads POST)" = 1 ] ||
	    atf_fail "$(calls /integration/leads POST) C2S leads"
	description "$fid"
	expected_head "⚠️ LEAD DE TESTE" >expected
	head -n "$(wc -l <expected)" desc >got
	diff -u expected got >diff || atf_fail "layout: $(cat diff)"
	grep -q '^✅ DADOS PESSOAIS$' desc || atf_fail "no enrichment: $(cat desc)"
	[ "$(sql "SELECT is_test FROM c2s.google_leads
	    WHERE form_lead_id = '$fid'")" = t ] || atf_fail "is_test not stored"
	post /api/v1/webhooks/google-ads >/dev/null
	json '.duplicate == true and .state == "created" and .test == true and
	    (.c2s_lead_id | test("^[0-9a-f]{32}$"))'
	private_stack_stop
}
form__test_accepted_cleanup() { private_stack_stop; }

atf_test_case alias__same_answer
alias__same_answer_head() {
	atf_set descr "POST /webhook/google-ads (the TS service's path) " \
	    "answers as /api/v1/webhooks/google-ads, idempotent on the " \
	    "form's lead id across both paths, one C2S lead, counted under " \
	    "the same route name"
	atf_set timeout 120
}
alias__same_answer_body() {
	local fid creates n0 n1 cid
	setup
	person
	fid="gads-$(rand_id)"
	gform "$fid" >form
	scrape m0
	creates=$(calls /integration/leads POST)
	[ "$(post /webhook/google-ads)" = 200 ] || atf_fail "alias: $(cat body)"
	json '. == {success: true, form_lead_id: "'"$fid"'", duplicate: false,
	    state: "received", test: false, c2s_lead_id: null}'
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "canonical: $(cat body)"
	json '.duplicate == true and .form_lead_id == "'"$fid"'"'
	wait_for 200 eval '[ "$(form_state $fid)" = created ]' ||
	    atf_fail "form not created: $(form_state $fid)"
	cid=$(sql "SELECT c2s_lead_id FROM c2s.google_leads
	    WHERE form_lead_id = '$fid'")
	[ "$(post /webhook/google-ads)" = 200 ] || atf_fail "again: $(cat body)"
	json '. == {success: true, form_lead_id: "'"$fid"'", duplicate: true,
	    state: "created", test: false, c2s_lead_id: "'"$cid"'"}'
	[ $(($(calls /integration/leads POST) - creates)) = 1 ] ||
	    atf_fail "$(($(calls /integration/leads POST) - creates)) C2S leads"
	# The key is checked on the alias too; a GET is 405 with Allow.
	[ "$(http POST '/webhook/google-ads?google_key=wrong' \
	    -H 'Content-Type: application/json' --data-binary @form)" = 401 ] ||
	    atf_fail "wrong key: $(cat body)"
	expect_json_error unauthorized
	[ "$(curl -s -o /dev/null -D headers -w '%{http_code}' \
	    "$URL/webhook/google-ads")" = 405 ] || atf_fail "GET not 405"
	grep -qi '^Allow: POST' headers || atf_fail "Allow: $(cat headers)"
	scrape m1
	n0=$(metric 'c2s_http_requests_total{route="webhook_google_ads",code="2xx"}' m0)
	n1=$(metric 'c2s_http_requests_total{route="webhook_google_ads",code="2xx"}' m1)
	[ $((n1 - n0)) -ge 3 ] ||
	    atf_fail "route webhook_google_ads counted $((n1 - n0)) 2xx answers"
}

# ffault CODE: the form of ./truth (gform) as ID, its e-mail the
# simulator's marker fault-cc-CODE@example.invalid: the C2S create of its
# lead gets fault CODE (docs/SIMULATOR.md); the phone still finds the
# person, so the form is enriched first.
ffault() {
	gform "$1" | jq -c --arg e "fault-cc-$2@example.invalid" \
	    '.user_column_data |= map(if .column_id == "EMAIL" then
	    .string_value = $e else . end)'
}

# pstack [VAR=VALUE ...]: a private stack; SIM, PG* as setup() sets them.
pstack() {
	private_stack "$@"
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
}

# job_over FORM_ID: the form's job has finished (done or failed).
job_over() {
	[ "$(psql -X -At -c "SELECT count(*) FROM c2s.jobs WHERE ref = '$1'
	    AND state IN ('done', 'failed')")" -ge 1 ]
}

# still_unknown FORM_ID ERROR_RE [JOBS]: the form is 'unknown' with no
# C2S lead id and its error matching ERROR_RE; its jobs (state, tries,
# result, in order) are JOBS, by default one done at its first try with
# the result 'unknown': nothing is queued to run it again.
still_unknown() {
	[ "$(sql "SELECT state || ' ' || (c2s_lead_id IS NULL) || ' ' ||
	    (last_error ~ '$2') FROM c2s.google_leads
	    WHERE form_lead_id = '$1'")" = "unknown true true" ] ||
	    atf_fail "form $1: $(sql "SELECT state || ' ' ||
	    coalesce(c2s_lead_id, '-') || ' ' || coalesce(last_error, '-')
	    FROM c2s.google_leads WHERE form_lead_id = '$1'")"
	[ "$(form_jobs "$1")" = "${3:-done 1 unknown}" ] ||
	    atf_fail "form $1's jobs: $(form_jobs "$1")"
}

# form_jobs FORM_ID: its jobs, "state tries result" in order, comma-separated.
form_jobs() {
	sql "SELECT string_agg(state || ' ' || tries || ' ' ||
	    coalesce(result, '-'), ',' ORDER BY id) FROM c2s.jobs
	    WHERE ref = '$1'"
}

# The error of a form whose job found it 'creating'.
NOT_RECORDED='^the outcome of the C2S call was not recorded \(its worker stopped, or the database failed\); the lead may exist in C2S$'

# hung_create PREFIX: a form (its id in fid) whose C2S create hangs
# (fault 03), posted; returns once it is 'creating' and the create has
# reached the simulator (recorded before its hang), the first create of
# the stack.
hung_create() {
	person
	fid="$1-$(rand_id)"
	ffault "$fid" 03 >form
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "status: $(cat body)"
	wait_for 600 eval '[ "$(form_state $fid)" = creating ] &&
	    [ "$(calls /integration/leads POST)" = 1 ]' ||
	    atf_fail "never in the create: $(form_state $fid), $(calls \
	    /integration/leads POST) creates"
}

# later_form N FORM_ID...: a form without a fault is created, the Nth
# create of the stack; once it is, the worker has been free to take
# anything queued, and each FORM_ID is still 'unknown'.
later_form() {
	local n=$1 f
	shift
	person
	f="gads-$(rand_id)"
	gform "$f" >form
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "later form: $(cat body)"
	wait_for 300 eval '[ "$(form_state $f)" = created ]' ||
	    atf_fail "later form not created: $(form_state $f)"
	[ "$(calls /integration/leads POST)" = "$n" ] ||
	    atf_fail "$(calls /integration/leads POST) creates for $n forms"
	for f in "$@"; do
		[ "$(form_state "$f")" = unknown ] ||
		    atf_fail "form $f now $(form_state "$f")"
	done
}

# stop_workers: SIGTERM to the workers this case started (./workers),
# before their stack stops.
stop_workers() {
	local pid
	for pid in $(cat workers 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null
	done
	return 0
}

# repost_unknown FORM_ID: Google posting ./form again is told the form is
# 'unknown' (a duplicate, no C2S lead id), and no job is queued for it.
repost_unknown() {
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "posted again: $(cat body)"
	json '. == {success: true, form_lead_id: "'"$1"'", duplicate: true,
	    state: "unknown", test: false, c2s_lead_id: null}'
	[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE ref = '$1'
	    AND state <> 'done'")" = 0 ] || atf_fail "form $1 queued again"
}

# error_logged FORM_ID LOG: LOG has an error line of the form's job
# saying the lead may exist in C2S (what an operator is told).
error_logged() {
	local jid
	jid=$(sql "SELECT max(id) FROM c2s.jobs WHERE ref = '$1'")
	grep -q "\"level\":\"error\",.*\"req\":\"job-$jid\".*the lead may exist in C2S" \
	    "$2" || atf_fail "no error line for form $1 (job $jid) in $2"
}

# fault_once CODE WHAT: a form whose C2S create gets fault CODE ends its
# job 'unknown' with "c2s create: WHAT (a regular expression); the lead
# may exist in C2S", after exactly one more create (n counts them), and is
# told 'unknown' when posted again; its id is added to fids.
fault_once() {
	local code=$1 fid creates
	person
	fid="gads-cc$code-$(rand_id)"
	ffault "$fid" "$code" >form
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "fault $code: $(cat body)"
	wait_for 600 job_over "$fid" ||
	    atf_fail "fault $code: the job never ended: $(form_state "$fid")"
	n=$((n + 1))
	creates=$(calls /integration/leads POST)
	[ "$creates" = "$n" ] ||
	    atf_fail "fault $code: $creates creates for $n forms"
	still_unknown "$fid" "^c2s create: $2; the lead may exist in C2S\$"
	repost_unknown "$fid"
	fids="$fids $fid"
}

atf_test_case create__unknown_once cleanup
create__unknown_once_head() {
	atf_set descr "a C2S create that hangs past UPSTREAM_TIMEOUT or " \
	    "past its REQUEST_DEADLINE, answers 500, answers a truncated " \
	    "body or malformed JSON (the simulator's faults 03, 0b, 05, " \
	    "04) leaves its form 'unknown' " \
	    "with the reason, after exactly one POST /integration/leads; " \
	    "Google posting it again is told 'unknown' and queues nothing, " \
	    "the worker never creates it again (a later form is created " \
	    "after them), and an error line of the form's job says so"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 300
}
create__unknown_once_body() {
	local fid fids="" n=0 a
	pstack C2S_WORKERS=0 SIM_HANG_MS=60000 BREAKER_THRESHOLD=100
	[ "$(calls /integration/leads POST)" = 0 ] || atf_fail "not a new stack"
	# Worker A: the hang (60 s in the simulator) ends at the 2 s
	# upstream timeout.
	start_worker workers.log UPSTREAM_TIMEOUT=2s UPSTREAM_CONNECT_TIMEOUT=1s
	a=$WORKER_PID
	echo "$a" >>workers
	fault_once 03 'provider_down \(status 0\)'
	fault_once 0b 'provider_down \(status 500\)'
	fault_once 05 'provider_down \(status 201\)'
	fault_once 04 'bad_response \(status 200\)'
	# Worker B: the hang ends at the create's own 3 s deadline.
	kill -TERM "$a"
	wait_for 300 eval "! alive $a" || atf_fail "worker A did not stop"
	start_worker workers.log UPSTREAM_TIMEOUT=100s REQUEST_DEADLINE=3s
	echo "$WORKER_PID" >>workers
	fault_once 03 'deadline \(status 0\)'
	# The simulator answered them as asked: the hangs and the truncated
	# answer as creates (201), the 500 as 500, the malformed JSON as 200.
	[ "$(curl -s "$SIM/__sim/calls?api=c2s" | jq -c '[.calls[] |
	    select(.path == "/integration/leads" and .method == "POST") |
	    {(.status | tostring): .count}] | add | to_entries | sort_by(.key) |
	    from_entries')" = '{"200":1,"201":3,"500":1}' ] ||
	    atf_fail "creates: $(curl -s "$SIM/__sim/calls?api=c2s")"
	# None of them ran again.
	later_form $((n + 1)) $fids
	for fid in $fids; do
		error_logged "$fid" workers.log
	done
	stop_workers
	private_stack_stop
}
create__unknown_once_cleanup() { stop_workers; private_stack_stop; }

atf_test_case worker__killed_creating cleanup
worker__killed_creating_head() {
	atf_set descr "a worker SIGKILLed while its form is 'creating' (the " \
	    "C2S create reached the simulator, which hangs): the job is " \
	    "taken again after JOB_TIMEOUT by another worker, which leaves " \
	    "the form 'unknown' without a second POST /integration/leads; " \
	    "posted again it stays 'unknown', and that worker goes on to " \
	    "create a later form"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 300
}
worker__killed_creating_body() {
	local fid a b
	pstack C2S_WORKERS=0 SIM_HANG_MS=120000 BREAKER_THRESHOLD=100
	# Worker A waits on the hung create far longer than the test.
	start_worker worker-a.log UPSTREAM_TIMEOUT=200s REQUEST_DEADLINE=200s \
	    JOB_TIMEOUT=300s
	a=$WORKER_PID
	echo "$a" >>workers
	hung_create gads-kill
	kill -KILL "$a" || atf_fail "cannot kill worker $a"
	wait_for 100 eval "! alive $a" || atf_fail "worker $a still alive"
	[ "$(sql "SELECT state || ' ' || tries FROM c2s.jobs
	    WHERE ref = '$fid'")" = "running 1" ] || atf_fail "job not running"
	[ "$(form_state "$fid")" = creating ] || atf_fail "form not creating"
	start_worker worker-b.log JOB_TIMEOUT=2s REQUEST_DEADLINE=1s \
	    WORKER_POLL_INTERVAL=200ms
	b=$WORKER_PID
	echo "$b" >>workers
	wait_for 300 job_over "$fid" ||
	    atf_fail "job not taken again: $(sql "SELECT state || ' ' ||
	    tries FROM c2s.jobs WHERE ref = '$fid'")"
	[ "$(calls /integration/leads POST)" = 1 ] ||
	    atf_fail "$(calls /integration/leads POST) creates"
	still_unknown "$fid" "$NOT_RECORDED" "done 2 unknown"
	[ "$(sql "SELECT owner LIKE '%:$b' FROM c2s.jobs
	    WHERE ref = '$fid'")" = t ] ||
	    atf_fail "not taken by worker B ($b): $(sql "SELECT owner
	    FROM c2s.jobs WHERE ref = '$fid'")"
	error_logged "$fid" worker-b.log
	repost_unknown "$fid"
	# Worker B is free: a later form is created, the first one is not.
	later_form 2 "$fid"
	stop_workers
	private_stack_stop
}
worker__killed_creating_cleanup() { stop_workers; private_stack_stop; }

atf_test_case create__db_lost_in_call cleanup
create__db_lost_in_call_head() {
	atf_set descr "PostgreSQL restarted while two workers wait on C2S " \
	    "creates, one that then goes unanswered and one that then " \
	    "succeeds: the lost connection does not leave either form " \
	    "'creating' for ever; the first ends 'unknown', the second " \
	    "'created' with the C2S lead id the simulator made, after " \
	    "exactly one create each"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 300
}
create__db_lost_in_call_body() {
	local x y cid t0
	# X's create hangs to the 8 s upstream timeout; Y's is answered
	# (201) after 6 s: both outlast PostgreSQL's restart (1 to 2 s).
	pstack C2S_WORKERS=0 SIM_HANG_MS=120000 SIM_FAULT_LATENCY_MS=6000 \
	    BREAKER_THRESHOLD=100
	start_worker workers.log UPSTREAM_TIMEOUT=8s REQUEST_DEADLINE=12s \
	    JOB_TIMEOUT=200s
	echo "$WORKER_PID" >>workers
	start_worker workers.log UPSTREAM_TIMEOUT=8s REQUEST_DEADLINE=12s \
	    JOB_TIMEOUT=200s
	echo "$WORKER_PID" >>workers
	person
	x="gads-pgx-$(rand_id)"
	ffault "$x" 03 >form
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "X: $(cat body)"
	person
	y="gads-pgy-$(rand_id)"
	ffault "$y" 01 >form
	[ "$(post /api/v1/webhooks/google-ads)" = 200 ] ||
	    atf_fail "Y: $(cat body)"
	wait_for 600 eval '[ "$(form_state $x) $(form_state $y)" = \
	    "creating creating" ] && [ "$(calls /integration/leads POST)" = 2 ]' ||
	    atf_fail "never both in the create: $(form_state $x) $(form_state \
	    $y), $(calls /integration/leads POST) creates"
	t0=$(now_ms)
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	# The premise: PostgreSQL is back before Y's answer.
	echo "PostgreSQL restarted in $(($(now_ms) - t0)) ms"
	[ $(($(now_ms) - t0)) -lt 4500 ] ||
	    atf_fail "PostgreSQL's restart took $(($(now_ms) - t0)) ms"
	# Still in the calls: the workers have not touched the database.
	[ "$(form_state "$x") $(form_state "$y")" = "creating creating" ] ||
	    atf_fail "$(form_state "$x") $(form_state "$y") before the calls ended"
	wait_for 600 eval '[ "$(form_state $y)" = created ]' ||
	    atf_fail "Y left $(form_state $y): $(form_jobs $y)"
	wait_for 600 eval '[ "$(form_state $x)" = unknown ]' ||
	    atf_fail "X left $(form_state $x): $(form_jobs $x)"
	wait_for 100 eval '[ "$(form_jobs $x)" = "done 1 unknown" ]' || true
	still_unknown "$x" '^c2s create: provider_down \(status 0\); the lead may exist in C2S$'
	# Y's C2S lead is the one the simulator made: its description.
	cid=$(sql "SELECT c2s_lead_id FROM c2s.google_leads
	    WHERE form_lead_id = '$y'")
	curl -s "$SIM/__sim/notes?lead=$cid" | jq -r '.notes[0]' >desc
	[ "$(head -n 1 desc)" = "🎯 Lead do Google Ads" ] ||
	    atf_fail "Y's lead $cid: $(head -c 300 desc)"
	wait_for 100 eval '[ "$(form_jobs $y)" = "done 1 created" ]' ||
	    atf_fail "Y's jobs: $(form_jobs $y)"
	[ "$(calls /integration/leads POST)" = 2 ] ||
	    atf_fail "$(calls /integration/leads POST) creates"
	grep -q 'connection lost\|database unavailable\|google_set' \
	    workers.log || atf_fail "the workers never saw the restart"
	ffault "$x" 03 >form
	repost_unknown "$x"
	# The workers go on: a later form is created, X is not.
	later_form 3 "$x"
	stop_workers
	private_stack_stop
}
create__db_lost_in_call_cleanup() { stop_workers; private_stack_stop; }

atf_test_case create__db_down_at_answer cleanup
create__db_down_at_answer_head() {
	atf_set descr "PostgreSQL down when a hung C2S create times out: " \
	    "nothing can be written, the job is left running; once " \
	    "PostgreSQL is back it is taken again after JOB_TIMEOUT, finds " \
	    "the form 'creating' and leaves it 'unknown', after exactly one " \
	    "create"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 300
}
create__db_down_at_answer_body() {
	local t0
	pstack C2S_WORKERS=0 SIM_HANG_MS=120000 BREAKER_THRESHOLD=100
	start_worker workers.log UPSTREAM_TIMEOUT=3s REQUEST_DEADLINE=4s \
	    JOB_TIMEOUT=5s WORKER_POLL_INTERVAL=200ms
	echo "$WORKER_PID" >>workers
	hung_create gads-down
	t0=$(now_ms)
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	echo "PostgreSQL stopped in $(($(now_ms) - t0)) ms"
	# The create has timed out with PostgreSQL down.
	wait_for 600 grep -q 'http: c2s POST /integration/leads: attempt 1: ' \
	    workers.log || atf_fail "the create never ended"
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	wait_for 600 eval '[ "$(form_state $fid)" = unknown ]' ||
	    atf_fail "form left $(form_state $fid): $(form_jobs $fid)"
	wait_for 100 eval '[ "$(form_jobs $fid)" = "done 2 unknown" ]' || true
	still_unknown "$fid" "$NOT_RECORDED" "done 2 unknown"
	[ "$(calls /integration/leads POST)" = 1 ] ||
	    atf_fail "$(calls /integration/leads POST) creates"
	repost_unknown "$fid"
	later_form 2 "$fid"
	stop_workers
	private_stack_stop
}
create__db_down_at_answer_cleanup() { stop_workers; private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case form__rust_layout
	atf_add_test_case form__placeholder_name
	atf_add_test_case form__standard_fields_by_name
	atf_add_test_case form__test_not_run
	atf_add_test_case form__test_accepted
	atf_add_test_case alias__same_answer
	atf_add_test_case create__unknown_once
	atf_add_test_case worker__killed_creating
	atf_add_test_case create__db_lost_in_call
	atf_add_test_case create__db_down_at_answer
}
