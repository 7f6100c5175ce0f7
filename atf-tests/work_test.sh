#! /usr/bin/env atf-sh
# work_test -- the Work API proxy, GET /api/v1/work/modules/{module},
# end to end against the simulator: the allow-list, documento checks made
# before anything is paid for, the per-process cache, and the Work API's
# error-in-200 bodies turned into statuses and never cached.  Upstream
# calls are counted in the simulator's record.

. "$(atf_get_srcdir)/common.subr"

# A CPF nobody else uses: a random seed.
fresh_cpf() {
	cpf_of "$(rand_seed 1000000)"
}

atf_test_case cpf__dossier_cached
cpf__dossier_cached_head() {
	atf_set descr "module cpf (and all, given a CPF) answers the dossier;" \
	    "repeats are served from each responder's cache"
}
cpf__dossier_cached_body() {
	local cpf fmt i cached=0
	shared_stack
	cpf=$(fresh_cpf)
	fmt=$(echo "$cpf" | sed 's/^\(...\)\(...\)\(...\)/\1.\2.\3-/')
	expect_status 200 GET "/api/v1/work/modules/cpf?documento=$fmt"
	json '.module == "cpf" and .documento == "'$cpf'" and
	    .cached == false and .data.DadosBasicos.cpf == "'$cpf'" and
	    (.data.DadosEconomicos | type == "object")'
	# Each responder pays at most once within WORK_PROXY_TTL.
	for i in $(seq $((3 * C2S_POOL))); do
		expect_status 200 GET "/api/v1/work/modules/all?documento=$cpf"
		json '.module == "cpf" and .data.DadosBasicos.cpf == "'$cpf'"'
		[ "$(jq .cached body)" = true ] && cached=$((cached + 1))
	done
	[ $cached -gt 0 ] || atf_fail "no answer came from a cache"
	[ "$(sim_calls work "consulta=$cpf")" -le "$C2S_POOL" ] ||
	    atf_fail "more Work API calls than responders"
}

atf_test_case cpf__proxy_ttl cleanup
cpf__proxy_ttl_head() {
	atf_set descr "the proxy caches only its own answers, for " \
	    "WORK_PROXY_TTL: a dossier the pipeline just used is fetched " \
	    "again, and with WORK_PROXY_TTL=0 every request pays"
	atf_set timeout 120
}
cpf__proxy_ttl_body() {
	local id cpf n0 i
	private_stack C2S_POOL=1 WORK_PROXY_TTL=0
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.status == "completed"'
	cpf=$(sql "SELECT p.cpf FROM c2s.lead_persons lp JOIN c2s.persons p
	    ON p.id = lp.person_id WHERE lp.lead_id = '$id' LIMIT 1")
	[ -n "$cpf" ] || atf_fail "the lead stored no person"
	n0=$(sim_calls work "consulta=$cpf")
	for i in 1 2 3; do
		expect_status 200 GET "/api/v1/work/modules/cpf?documento=$cpf"
		json '.cached == false and .data.DadosBasicos.cpf == "'$cpf'"'
	done
	[ "$(sim_calls work "consulta=$cpf")" = $((n0 + 3)) ] ||
	    atf_fail "$(($(sim_calls work "consulta=$cpf") - n0)) Work API calls for 3 requests, expected 3"
	private_stack_stop
}
cpf__proxy_ttl_cleanup() { private_stack_stop; }

atf_test_case phone__cpfs
phone__cpfs_head() {
	atf_set descr "module phone (and all, given a phone) answers the" \
	    "CPFs behind a phone"
}
phone__cpfs_body() {
	local seed cpf phone
	shared_stack
	# Seed s has the phone 11 9 (s - 1) (docs/SIMULATOR.md).
	seed=$(rand_seed 2000000)
	cpf=$(cpf_of "$seed")
	phone=119$(printf '%08d' $((seed - 1)))
	expect_status 200 GET "/api/v1/work/modules/phone" -G \
	    --data-urlencode "documento=+55 (11) 9${phone#???}"
	json '.module == "phone" and .documento == "'$phone'" and
	    ([.data.msg[].cpf_cnpj | if length == 14 then .[3:] else . end] |
	    index("'$cpf'") != null)'
	expect_status 200 GET "/api/v1/work/modules/all?documento=$phone"
	json '.module == "phone"'
	# A phone nobody has: DDD 12 is not in the simulator's list.
	expect_status 404 GET "/api/v1/work/modules/phone?documento=12991735462"
	expect_json_error not_found
}

atf_test_case errors__statuses_never_cached
errors__statuses_never_cached_head() {
	atf_set descr "error-in-200 bodies and faults become 404, 502 and 503" \
	    "with their codes, and are asked again every time"
}
errors__statuses_never_cached_body() {
	local st code nine cpf n0 i reps
	shared_stack
	reps=$((C2S_POOL + 1))
	while read -r st code nine; do
		cpf=$(cpf_of "$nine")
		n0=$(sim_calls work "consulta=$cpf")
		for i in $(seq $reps); do
			expect_status "$st" GET "/api/v1/work/modules/cpf?documento=$cpf"
			expect_json_error "$code"
		done
		# An error-in-200 is answered at once: one call per request.
		case $code in
		upstream_refused|upstream_credits_exhausted|not_found)
			[ "$(sim_calls work "consulta=$cpf")" = $((n0 + reps)) ] ||
			    atf_fail "$code: $(sim_calls work "consulta=$cpf") calls" \
			    "for $reps requests: cached or retried"
			;;
		*)
			[ "$(sim_calls work "consulta=$cpf")" -ge $((n0 + reps)) ] ||
			    atf_fail "$code: an error was cached"
			;;
		esac
	done <<'EOF'
404 not_found 000097097
502 upstream_refused 999999006
503 upstream_credits_exhausted 999999007
502 upstream_error 999999002
502 upstream_error 999999004
502 upstream_error 999999011
EOF
}

atf_test_case bad_input__no_call
bad_input__no_call_head() {
	atf_set descr "unknown modules, missing or invalid documentos get" \
	    "404 or 400 with their codes and cost no upstream call"
}
bad_input__no_call_body() {
	local calls0 st code path
	shared_stack
	calls0=$(curl -s "$C2S_SIM_URL/__sim/calls" | jq .total)
	while read -r st code path; do
		expect_status "$st" GET "$path"
		expect_json_error "$code"
	done <<'EOF'
404 unknown_module /api/v1/work/modules/nome?documento=52998224725
404 unknown_module /api/v1/work/modules/CPF?documento=52998224725
404 unknown_module /api/v1/work/modules/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?documento=1
400 missing_documento /api/v1/work/modules/cpf
400 missing_documento /api/v1/work/modules/all?documento=
400 invalid_documento /api/v1/work/modules/cpf?documento=52998224724
400 invalid_documento /api/v1/work/modules/cpf?documento=11987654321x
400 invalid_documento /api/v1/work/modules/phone?documento=52998224
400 invalid_documento /api/v1/work/modules/all?documento=abc
400 invalid_documento /api/v1/work/modules/all?documento=%zz
400 invalid_documento /api/v1/work/modules/cpf?documento=00011222333000181
EOF
	expect_status 404 GET /api/v1/work/modules/cpf/x?documento=52998224725
	expect_status 405 POST "/api/v1/work/modules/cpf?documento=52998224725" -d ''
	[ "$(curl -s "$C2S_SIM_URL/__sim/calls" | jq .total)" = "$calls0" ] ||
	    atf_fail "a refused request reached an upstream"
}

atf_init_test_cases() {
	atf_add_test_case cpf__dossier_cached
	atf_add_test_case cpf__proxy_ttl
	atf_add_test_case phone__cpfs
	atf_add_test_case errors__statuses_never_cached
	atf_add_test_case bad_input__no_call
}
