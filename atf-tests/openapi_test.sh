#! /usr/bin/env atf-sh
# openapi_test.sh -- web/api-docs/openapi.yml against the code.
#
# The document must be a valid OpenAPI document (swagger-parser, pinned in
# atf-tests/openapi/package-lock.json and installed by `make check`), name
# exactly the routes of lib/core/route.c, and describe what the shared stack
# answers: atf-tests/openapi/walk.js sends every example of the document
# and checks each answer's status and body against it.

. "$(atf_get_srcdir)/common.subr"

DOC="$TOP/web/api-docs/openapi.yml"
JS="$TOP/atf-tests/openapi"

# The scripts' packages, which `make openapi-deps` installs.
need_packages() {
	[ -d "$JS/node_modules" ] ||
	    atf_fail "atf-tests/openapi/node_modules missing: run make openapi-deps"
}

# run_js SCRIPT [ARGS]: one of the scripts of atf-tests/openapi.
run_js() {
	local script=$1
	shift
	need_packages
	node "$JS/$script" "$@"
}

# walk MODE [ARGS]: walk.js against the shared stack; its output is shown,
# and a failed walk fails the case.
walk() {
	local mode=$1
	shift
	if ! run_js walk.js "$mode" --doc "$DOC" --base "$URL" "$@" >walk.out 2>&1; then
		cat walk.out
		atf_fail "walk.js $mode: $(grep -c '^FAIL' walk.out) failed, see above"
	fi
	cat walk.out
}

# The secrets the shared stack enforces, by security scheme (never on a
# command line).  An API key is passed when the stack has one.
secrets() {
	{
		echo "WebhookToken=$C2S_WEBHOOK_SECRET"
		echo "WebhookSecret=$C2S_WEBHOOK_SECRET"
		echo "WebhookQuery=$C2S_WEBHOOK_SECRET"
		echo "WebhookBearer=$C2S_WEBHOOK_SECRET"
		echo "GoogleAdsKey=$C2S_GOOGLE_KEY"
		if [ -n "${C2S_API_KEY:-}" ]; then
			echo "ApiKeyHeader=$C2S_API_KEY"
			echo "ApiKeyBearer=$C2S_API_KEY"
		fi
		if [ -n "${C2S_ADMIN_KEY:-}" ]; then
			echo "AdminKeyHeader=$C2S_ADMIN_KEY"
			echo "AdminKeyBearer=$C2S_ADMIN_KEY"
		fi
	} >secrets
}

# stored_person: a lead of variant normal run through the pipeline, and
# its person's identifiers, which the examples marked x-stored use, in
# ./stored as walk.js --stored wants them (PG* of the stack exported).
stored_person() {
	local id cpf
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.status == "completed"'
	cpf=$(jq -r '.cpfs_processed[0]' body)
	sql "SELECT json_build_object('cpf', p.cpf, 'uuid', p.id,
	    'name', split_part(p.name, ' ', 1) || ' ' ||
	        left(split_part(p.name, ' ', 2), 3),
	    'email', (SELECT min(value) FROM c2s.contacts
	        WHERE person_id = p.id AND type = 'email'),
	    'phone', (SELECT min(value) FROM c2s.contacts
	        WHERE person_id = p.id AND type = 'phone'
	        AND value ~ '^[0-9]{11}\$'))
	    FROM c2s.persons p WHERE p.cpf = '$cpf'" >stored
	jq -e 'all(.[]; type == "string" and length > 0)' stored >/dev/null ||
	    atf_fail "person $cpf not stored with an e-mail and a phone: $(cat stored)"
}

# No job of the worker is queued or running.
jobs_idle() {
	[ "$(psql -X -At -c "SELECT count(*) FROM c2s.jobs
	    WHERE state IN ('queued', 'running')")" = 0 ]
}

atf_test_case document__valid
document__valid_head() {
	atf_set descr "the document is valid OpenAPI and keeps the house rules"
	atf_set require.progs node
}
document__valid_body() {
	need_packages
	atf_check -o match:'^valid: ' node "$JS/validate.js" "$DOC"
}

atf_test_case document__matches_route_table
document__matches_route_table_head() {
	atf_set descr "every route of lib/core/route.c is in the document with " \
	    "its methods, and every path of the service in the document is " \
	    "a route"
	atf_set require.progs node
}
document__matches_route_table_body() {
	URL=http://unused.invalid
	walk table --routes "$TOP/lib/core/route.c"
}

atf_test_case routes__answer_documented_statuses
routes__answer_documented_statuses_head() {
	atf_set descr "every example of every operation gets a documented " \
	    "status, the one it expects (a 2xx unless it says), and a body " \
	    "of the documented schema"
	atf_set require.config base_url stack_dir
	atf_set require.progs "node curl jq psql"
	atf_set timeout 300
}
routes__answer_documented_statuses_body() {
	local n variant prefix i f
	shared_stack
	export PGHOST PGUSER PGDATABASE
	secrets
	# Fresh lead ids of the simulator variants the examples ask for: a
	# lead run before is answered from the de-duplication table.
	rm -rf fresh && mkdir fresh
	run_js walk.js needs --doc "$DOC" --secrets secrets >needs ||
	    atf_fail "walk.js needs"
	while read -r n variant prefix; do
		f="fresh/$variant${prefix:+_$prefix}"
		i=0
		while [ $i -lt "$n" ]; do
			find_lead "$variant" "$prefix" >>"$f"
			i=$((i + 1))
		done
	done <needs
	stored_person
	walk examples --fresh fresh --stored stored --secrets secrets
	# The webhooks queued jobs: let the worker finish them, so that they
	# do not run into the next test program.
	wait_for 600 jobs_idle || echo "note: jobs still queued after 60 s"
}

atf_test_case routes__undocumented_methods_405
routes__undocumented_methods_405_head() {
	atf_set descr "a method a path of the service does not document " \
	    "answers 405 with Allow naming the documented ones"
	atf_set require.config base_url stack_dir
	atf_set require.progs node
	atf_set timeout 120
}
routes__undocumented_methods_405_body() {
	shared_stack
	walk methods
}

atf_test_case customers__enrich_on_miss cleanup
customers__enrich_on_miss_head() {
	atf_set descr "with ENRICH_ON_MISS=1 (a stack of its own), a CPF " \
	    "not stored comes from the Work API (source work_api), and " \
	    "the customer routes still answer as documented"
	atf_set require.progs "node curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 300
}
customers__enrich_on_miss_body() {
	# TMPDIR: lighttpd (as www-data) buffers large bodies in TMPDIR,
	# and kyua's TMPDIR is not writable by it (a 500, not the 413).
	private_stack ENRICH_ON_MISS=1 TMPDIR=/tmp RATE_LIMIT=0
	secrets
	# A CPF of the simulator nobody stored: fetched, stored, then stored.
	expect_status 200 GET '/api/v1/contributor/customer?cpf=11144477735'
	json '.by == "cpf" and .source == "work_api" and .count == 1 and
	    .customers[0].cpf == "11144477735" and
	    .customers[0].dossier.source == "work_api"'
	expect_status 200 POST /api/v1/enrich \
	    -H 'Content-Type: application/json' -d '{"cpf":"111.444.777-35"}'
	json '.source == "database" and .customers[0].cpf == "11144477735"'
	# The Work API broken: 502 (a 404 without ENRICH_ON_MISS).
	expect_status 502 GET '/api/v1/contributor/customer?cpf=99999900453'
	expect_json_error upstream_error
	export PGHOST PGUSER PGDATABASE
	stored_person
	walk examples --only lookupCustomer,enrichCustomer,getCustomer \
	    --stored stored --secrets secrets
	private_stack_stop
}
customers__enrich_on_miss_cleanup() {
	private_stack_stop
}

atf_test_case routes__rate_limited_429 cleanup
routes__rate_limited_429_head() {
	atf_set descr "with a small RATE_LIMIT (a stack of its own), a " \
	    "burst gets 429 answers that match the documented 429 response"
	atf_set require.progs "node curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
routes__rate_limited_429_body() {
	local took passed max
	# Forty at once against a bucket of two that refills one a second:
	# a 429 comes unless the forty took 38 s; how many passed is
	# bounded by the time the walk took (node's start-up included).
	private_stack RATE_LIMIT=1 RATE_BURST=2
	secrets
	took=$(now_ms)
	walk burst --only getStats --count 40 --secrets secrets
	took=$(( $(now_ms) - took ))
	grep -q '^ok   429 ' walk.out || atf_fail "walk.js burst: no 429 seen"
	passed=$(grep -c '^ok   200 ' walk.out)
	max=$(( 2 + (took + 1) / 1000 ))
	[ "$passed" -ge 2 ] && [ "$passed" -le "$max" ] ||
	    atf_fail "$passed of 40 passed in $took ms, expected 2 to $max"
	private_stack_stop
}
routes__rate_limited_429_cleanup() {
	private_stack_stop
}

atf_test_case static__pages_served
static__pages_served_head() {
	atf_set descr "/docs, /status and /api-docs/openapi.yml answer as " \
	    "documented; the document served is this one"
	atf_set require.config base_url stack_dir
	atf_set require.progs node
	atf_set timeout 60
}
static__pages_served_body() {
	shared_stack
	walk static
}

atf_test_case static__undocumented_methods_404_405
static__undocumented_methods_404_405_head() {
	atf_set descr "a method a static path does not document answers " \
	    "404 or 405, as on the service's paths"
	atf_set require.config base_url stack_dir
	atf_set require.progs node
	atf_set timeout 60
}
static__undocumented_methods_404_405_body() {
	shared_stack
	walk static-methods
}

atf_init_test_cases() {
	atf_add_test_case document__valid
	atf_add_test_case document__matches_route_table
	atf_add_test_case routes__answer_documented_statuses
	atf_add_test_case routes__undocumented_methods_405
	atf_add_test_case routes__rate_limited_429
	atf_add_test_case customers__enrich_on_miss
	atf_add_test_case static__pages_served
	atf_add_test_case static__undocumented_methods_404_405
}
