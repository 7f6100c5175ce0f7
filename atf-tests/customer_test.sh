#! /usr/bin/env atf-sh
# customer_test -- the read side of the API end to end: stored persons by
# CPF, e-mail, phone and name (GET /api/v1/contributor/customer and POST
# /api/v1/enrich), one person by id (GET /api/v1/customers/{uuid}), and
# ENRICH_ON_MISS.  Persons are stored by running real leads through the
# pipeline first; what the API shows is checked against the database.

. "$(atf_get_srcdir)/common.subr"

setup() {
	shared_stack
	export PGHOST PGUSER PGDATABASE
}

# A completed lead's person: its CPF in CPF, its id in PID.
stored_person() {
	local id
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.status == "completed"'
	CPF=$(jq -r '.cpfs_processed[0]' body)
	LEAD=$id
	PID=$(sql "SELECT id FROM c2s.persons WHERE cpf = '$CPF'")
	[ -n "$PID" ] || atf_fail "person $CPF not stored"
}

# The members every customer object has, with their types.
SHAPE='(.id | type == "string") and (.cpf | test("^[0-9]{11}$")) and
    (.name | type == "string") and (.phones | type == "array") and
    (.emails | type == "array") and (.addresses | type == "array") and
    (.leads | type == "array") and (.dossier | type == "object") and
    (.economic | type == "object") and (.created_at | type == "string")'

atf_test_case lookup__each_identifier
lookup__each_identifier_head() {
	atf_set descr "a stored person is found by CPF, e-mail, phone and" \
	    "name prefix, written the ways clients write them"
}
lookup__each_identifier_body() {
	local email phone name first fmt
	setup
	stored_person
	email=$(sql "SELECT value FROM c2s.contacts WHERE person_id = '$PID'
	    AND type = 'email' ORDER BY id LIMIT 1")
	phone=$(sql "SELECT value FROM c2s.contacts WHERE person_id = '$PID'
	    AND type = 'phone' AND value ~ '^[0-9]{11}$' ORDER BY id LIMIT 1")
	name=$(sql "SELECT name FROM c2s.persons WHERE id = '$PID'")
	[ -n "$email" ] && [ -n "$phone" ] || atf_fail "no lead contacts"

	# CPF with punctuation.
	fmt=$(echo "$CPF" | sed 's/^\(...\)\(...\)\(...\)/\1.\2.\3-/')
	expect_status 200 GET "/api/v1/contributor/customer?cpf=$fmt"
	json '.by == "cpf" and .source == "database" and .count == 1 and
	    .next_offset == null and (.customers | length) == 1'
	json ".customers[0] | $SHAPE"
	json '.customers[0].id == "'$PID'" and .customers[0].cpf == "'$CPF'"'
	json '[.customers[0].leads[].lead_id] | index("'$LEAD'") != null'
	json '.customers[0].economic.income | type == "number"'
	json '.customers[0].dossier.count >= 1'

	# E-mail in capitals.
	expect_status 200 GET "/api/v1/contributor/customer" -G \
	    --data-urlencode "email=$(echo "$email" | tr a-z A-Z)"
	json '.by == "email" and ([.customers[].id] | index("'$PID'") != null)'

	# Phone as +55 (DD) 9NNNN-NNNN.
	expect_status 200 GET "/api/v1/contributor/customer" -G \
	    --data-urlencode "phone=+55 (${phone%?????????}) ${phone#??}"
	json '.by == "phone" and ([.customers[].id] | index("'$PID'") != null)'

	# The first name and a part of the second, lower case, accents kept:
	# matched without them.
	first=$(echo "$name" | awk '{ print tolower($1) " " substr(tolower($2), 1, 2) }')
	expect_status 200 GET "/api/v1/contributor/customer" -G \
	    --data-urlencode "name=$first" --data-urlencode limit=50
	json '.by == "name" and ([.customers[].id] | index("'$PID'") != null)'

	# Precedence: the CPF wins over a name that matches nobody.
	expect_status 200 GET "/api/v1/contributor/customer?name=zzzz&cpf=$CPF"
	json '.by == "cpf" and .customers[0].id == "'$PID'"'
}

atf_test_case lookup__name_pages
lookup__name_pages_head() {
	atf_set descr "a name prefix is paged in name order, limit at most 50"
}
lookup__name_pages_body() {
	local prefix want got off n=0
	setup
	# Persons enough to share a first name (32 first names exist).
	while [ $n -lt 40 ]; do
		prefix=$(sql "SELECT split_part(name_folded, ' ', 1)
		    FROM c2s.persons GROUP BY 1 HAVING count(*) >= 3
		    ORDER BY 1 LIMIT 1")
		[ -n "$prefix" ] && break
		expect_status 200 GET "/api/v1/leads/process?id=$(rand_id)"
		n=$((n + 1))
	done
	[ -n "$prefix" ] || atf_fail "no three persons share a first name"
	want=$(sql "SELECT string_agg(id::text, ' ' ORDER BY name_folded, id)
	    FROM c2s.persons WHERE name_folded LIKE '$prefix%'")

	got= off=0
	while :; do
		expect_status 200 GET "/api/v1/contributor/customer" -G \
		    --data-urlencode "name=$prefix" --data-urlencode limit=2 \
		    --data-urlencode "offset=$off"
		json '.count <= 2 and .limit == 2 and .offset == '$off
		got="$got $(jq -r '[.customers[].id] | join(" ")' body)"
		off=$(jq -r .next_offset body)
		[ "$off" = null ] && break
		json '.count == 2'
	done
	[ "$(echo $got)" = "$want" ] ||
	    atf_fail "pages gave '$(echo $got)', the database '$want'"
	# Past the end: nothing found.
	expect_status 404 GET "/api/v1/contributor/customer" -G \
	    --data-urlencode "name=$prefix" --data-urlencode offset=10000
	expect_json_error not_found
}

atf_test_case lookup__bad_input
lookup__bad_input_head() {
	atf_set descr "each malformed lookup gets its 400 and its code, and" \
	    "costs no upstream call and no write"
}
lookup__bad_input_body() {
	local before calls0 line st code q
	setup
	before=$(sql "SELECT (SELECT count(*) FROM c2s.persons) || '/' ||
	    (SELECT count(*) FROM c2s.leads)")
	calls0=$(curl -s "$C2S_SIM_URL/__sim/calls" | jq .total)
	while read -r st code q; do
		expect_status "$st" GET "/api/v1/contributor/customer?$q"
		expect_json_error "$code"
	done <<'EOF'
400 missing_identifier
400 missing_identifier cpf=&email=
400 missing_identifier limit=5
400 invalid_cpf cpf=12345678900
400 invalid_cpf cpf=1234567890
400 invalid_cpf cpf=529.982.247-2x
400 invalid_cpf cpf=00052998224725x
400 invalid_email email=nobody
400 invalid_email email=teste@teste.com
400 invalid_phone phone=123
400 invalid_phone phone=(11)%2099999-9999
400 invalid_name name=a
400 invalid_name name=%20%20
400 invalid_name name=%C3%A9
400 bad_request name=jo&limit=0
400 bad_request name=jo&limit=51
400 bad_request name=jo&offset=10001
400 bad_request name=jo&limit=-1
400 bad_request name=jo&limit=x
400 bad_request cpf=%zz
400 bad_request cpf=%00
404 not_found cpf=52998224725
EOF
	# Too long for any identifier.
	expect_status 400 GET "/api/v1/contributor/customer?name=$(head -c 300 /dev/zero | tr '\0' a)"
	expect_json_error bad_request
	[ "$(sql "SELECT (SELECT count(*) FROM c2s.persons) || '/' ||
	    (SELECT count(*) FROM c2s.leads)")" = "$before" ] ||
	    atf_fail "a lookup wrote to the database"
	[ "$(curl -s "$C2S_SIM_URL/__sim/calls" | jq .total)" = "$calls0" ] ||
	    atf_fail "a lookup called an upstream (ENRICH_ON_MISS is off)"
}

atf_test_case enrich__json_body
enrich__json_body_head() {
	atf_set descr "POST /api/v1/enrich takes the identifiers in JSON and" \
	    "refuses other bodies with 400, 413 or 415"
}
enrich__json_body_body() {
	setup
	stored_person
	expect_status 200 POST /api/v1/enrich -H 'Content-Type: application/json' \
	    -d '{"cpf":"'$CPF'","limit":1}'
	json '.by == "cpf" and .limit == 1 and .customers[0].id == "'$PID'"'
	json ".customers[0] | $SHAPE"
	# The same answer as the GET, member for member.
	jq -S .customers body >post.json
	expect_status 200 GET "/api/v1/contributor/customer?cpf=$CPF"
	jq -S .customers body >get.json
	cmp -s post.json get.json || atf_fail "POST and GET differ"

	expect_status 415 POST /api/v1/enrich -d '{"cpf":"'$CPF'"}'
	expect_json_error unsupported_media_type
	expect_status 415 POST /api/v1/enrich -H 'Content-Type: text/plain' \
	    -d '{"cpf":"'$CPF'"}'
	expect_json_error unsupported_media_type
	for b in '{"cpf":' '[1]' '"x"' '{"cpf":"1","cpf":"2"}' \
	    "$(printf '{"name":"\xff\xfe"}')" '{"name":"a\u0000b"}'; do
		expect_status 400 POST /api/v1/enrich \
		    -H 'Content-Type: application/json' -d "$b"
		expect_json_error invalid_json
	done
	expect_status 400 POST /api/v1/enrich -H 'Content-Type: application/json' \
	    -d '{"cpf":123}'
	expect_json_error bad_request
	expect_status 400 POST /api/v1/enrich -H 'Content-Type: application/json' \
	    -d '{"name":"jo","limit":"2"}'
	expect_json_error bad_request
	expect_status 400 POST /api/v1/enrich -H 'Content-Type: application/json' \
	    -d '{}'
	expect_json_error missing_identifier
	expect_status 404 POST /api/v1/enrich -H 'Content-Type: application/json' \
	    -d '{"cpf":"52998224725"}'
	expect_json_error not_found
	# Over the application's 1 MiB cap (under lighttpd's 2 MiB).
	head -c 1500000 /dev/zero | tr '\0' ' ' >big.json
	expect_status 413 POST /api/v1/enrich -H 'Content-Type: application/json' \
	    --data-binary @big.json
	expect_json_error too_large
	expect_status 405 GET /api/v1/enrich
	expect_json_error method_not_allowed
}

atf_test_case customer__by_id
customer__by_id_head() {
	atf_set descr "GET /api/v1/customers/{uuid}: 200, 400 or 404"
}
customer__by_id_body() {
	local id
	setup
	stored_person
	expect_status 200 GET "/api/v1/customers/$PID"
	json "$SHAPE"
	json '.id == "'$PID'" and .cpf == "'$CPF'"'
	[ "$(jq '.addresses | length' body)" = "$(sql "SELECT count(*)
	    FROM c2s.addresses WHERE person_id = '$PID'")" ] ||
	    atf_fail "addresses differ from the database"
	[ "$(jq '(.phones | length) + (.emails | length)' body)" = \
	    "$(sql "SELECT count(*) FROM c2s.contacts WHERE person_id = '$PID'")" ] ||
	    atf_fail "contacts differ from the database"
	expect_status 200 GET "/api/v1/customers/$(echo "$PID" | tr a-f A-F)"
	json '.id == "'$PID'"'
	for id in x 00000000-0000-0000-0000-00000000000 \
	    00000000-0000-0000-0000-0000000000000 \
	    00000000+0000-0000-0000-000000000000 \
	    0000000g-0000-0000-0000-000000000000 "${PID}0"; do
		expect_status 400 GET "/api/v1/customers/$id"
		expect_json_error invalid_uuid
	done
	# An encoded NUL: lighttpd refuses the path itself.
	expect_status 400 GET "/api/v1/customers/$PID%00"
	expect_json_error bad_request
	expect_status 404 GET /api/v1/customers/00000000-0000-0000-0000-000000000000
	expect_json_error not_found
	expect_status 404 GET "/api/v1/customers/$PID/x"
	expect_status 405 POST "/api/v1/customers/$PID" -d ''
}

# doc_equal: GET /api/v1/customers/$PID is 200 and byte for byte
# c2s.customer_json($PID)::text and its newline.
doc_equal() {
	expect_status 200 GET "/api/v1/customers/$PID"
	printf '%s\n' "$(sql "SELECT c2s.customer_json('$PID')::text")" >want
	cmp -s body want ||
	    atf_fail "not customer_json()::text: $(head -c 300 body)"
}

atf_test_case doc__kept_at_write cleanup
doc__kept_at_write_head() {
	atf_set descr "GET /api/v1/customers/{uuid} serves the document kept" \
	    "at write time: byte-equal to customer_json() after a real lead," \
	    "and its leads[0].status follows an admin retry of the lead"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
}
doc__kept_at_write_body() {
	local pid n=0
	# C2S answers slowly: a run stays 'processing' for 1.5 s after it
	# is recorded.
	private_stack SIM_C2S_LATENCY_MS=1500
	export PGHOST PGUSER PGDATABASE
	stored_person
	[ "$(sql "SELECT count(*) FROM c2s.customer_docs
	    WHERE person_id = '$PID'")" = 1 ] || atf_fail "no document stored"
	doc_equal
	json '.leads[0].lead_id == "'$LEAD'" and
	    .leads[0].status == "completed"'

	curl -q -s -o retry.json -X POST -H "X-API-Key: $C2S_ADMIN_KEY" \
	    -d '' --max-time 60 "$URL/api/v1/leads/$LEAD/retry" &
	pid=$!
	while :; do
		expect_status 200 GET "/api/v1/customers/$PID"
		[ "$(jq -r '.leads[0].status' body)" = processing ] && break
		n=$((n + 1))
		[ $n -lt 100 ] || { wait $pid; atf_fail "the document never " \
		    "showed the retry's 'processing'"; }
		sleep 0.02
	done
	doc_equal
	wait $pid || atf_fail "the retry's request failed"
	jq -e '.status == "completed"' retry.json >/dev/null ||
	    atf_fail "retry: $(head -c 300 retry.json)"
	doc_equal
	json '.leads[0].status == "completed"'
	private_stack_stop
}
doc__kept_at_write_cleanup() {
	private_stack_stop
}

atf_test_case enrich_on_miss cleanup
enrich_on_miss_head() {
	atf_set descr "ENRICH_ON_MISS=1: a CPF not stored is fetched once from" \
	    "the Work API and stored; no dossier is a 404, a provider fault" \
	    "a 502, and neither stores anything"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
}
enrich_on_miss_body() {
	local seed cpf n0 nodoc fault
	private_stack ENRICH_ON_MISS=1
	export PGHOST PGUSER PGDATABASE
	seed=$(rand_seed 1000)
	cpf=$(cpf_of "$seed")
	n0=$(sim_calls work "consulta=$cpf")

	expect_status 200 GET "/api/v1/contributor/customer?cpf=$cpf"
	json '.source == "work_api" and .count == 1 and
	    .customers[0].cpf == "'$cpf'" and .customers[0].leads == [] and
	    .customers[0].dossier.count == 1 and
	    (.customers[0].name | length) > 0 and
	    (.customers[0].addresses | length) > 0'
	[ "$(sim_calls work "consulta=$cpf")" = $((n0 + 1)) ] ||
	    atf_fail "not exactly one Work API call"
	# Stored: the next lookups are answered by the database.
	expect_status 200 POST /api/v1/enrich \
	    -H 'Content-Type: application/json' -d '{"cpf":"'$cpf'"}'
	json '.source == "database" and .customers[0].cpf == "'$cpf'"'
	[ "$(sim_calls work "consulta=$cpf")" = $((n0 + 1)) ] ||
	    atf_fail "a stored person cost another Work API call"

	# The Work API has no dossier (seed divisible by 97).
	nodoc=$(cpf_of $((97 * (seed % 10000 + 11))))
	expect_status 404 GET "/api/v1/contributor/customer?cpf=$nodoc"
	expect_json_error not_found
	# The Work API answers 503 (fault marker 999999002).
	fault=$(cpf_of 999999002)
	expect_status 502 GET "/api/v1/contributor/customer?cpf=$fault"
	expect_json_error upstream_error
	[ "$(sql "SELECT count(*) FROM c2s.persons
	    WHERE cpf IN ('$nodoc', '$fault')")" = 0 ] ||
	    atf_fail "a failed enrichment stored a person"
	# Only a CPF may pay: a phone not stored is a plain 404.
	expect_status 404 GET "/api/v1/contributor/customer?phone=11900000001"
	private_stack_stop
}
enrich_on_miss_cleanup() {
	private_stack_stop
}

atf_init_test_cases() {
	atf_add_test_case lookup__each_identifier
	atf_add_test_case lookup__name_pages
	atf_add_test_case lookup__bad_input
	atf_add_test_case enrich__json_body
	atf_add_test_case customer__by_id
	atf_add_test_case doc__kept_at_write
	atf_add_test_case enrich_on_miss
}
