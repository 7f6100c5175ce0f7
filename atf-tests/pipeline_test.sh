#! /usr/bin/env atf-sh
# pipeline_test -- the lead pipeline end to end on the shared stack:
# lighttpd, the pool, the upstream simulator and PostgreSQL, all real.
# Each case takes leads of its own (fresh random ids of the variant it
# needs, see docs/SIMULATOR.md), so the cases do not depend on each other
# or on the order they run in; counts of upstream calls are read from the
# simulator's record by the lead's own paths, before and after.

. "$(atf_get_srcdir)/common.subr"

setup() {
	shared_stack
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
}

# The dossiers stored for the persons of lead $1.
lead_dossiers() {
	sql "SELECT count(*) FROM c2s.dossiers d JOIN c2s.lead_persons lp
	    ON lp.person_id = d.person_id WHERE lp.lead_id = '$1'"
}

# The notes the simulator received for a lead, as a JSON array.
notes() {
	curl -s "$SIM/__sim/notes?lead=$1" | jq -c .notes
}

# calls API SUBSTRING: how many calls to API had SUBSTRING in their path.
calls() {
	sim_calls "$@"
}

atf_test_case completed_golden
completed_golden_head() {
	atf_set descr "a completed lead: the exact note, the answer, the rows"
}
completed_golden_body() {
	# A fixed lead, so that its note is known; nothing else uses it.
	local id=c0ffee00000000000000000000000001 cpf=51795869178
	setup
	[ "$(sql "SELECT count(*) FROM c2s.leads WHERE lead_id = '$id'")" = 0 ] ||
	    atf_skip "lead $id already processed on this stack"
	process $id
	json '.success == true and .status == "completed" and
	    .lead_id == "'$id'" and .cpfs_processed == ["'$cpf'"] and
	    .note == "posted" and .duplicate_request == false and
	    .dossiers_fetched == 1 and .dossiers_reused == 0 and
	    .entities_stored > 0 and .name_mismatch == false'
	curl -s "$SIM/__sim/notes?lead=$id" | jq -r '.notes[0]' >note
	atf_check -o file:"$(atf_get_srcdir)/expected/note-lead-completed.txt" \
	    cat note
	[ "$(notes $id | jq length)" = 1 ] || atf_fail "not one note"

	# The rows: the lead, one person, its dossier, contacts, addresses.
	atf_check -o inline:"completed|1|posted|||61917958690|conceicao.lopes.8kdnhf@hotmail.com\n" \
	    psql -X -At -c "SELECT status, attempts, note_state,
	    coalesce(last_error, ''), coalesce(next_retry_at::text, ''), phone,
	    email FROM c2s.leads WHERE lead_id = '$id'"
	atf_check -o inline:"CONCEIÇÃO MÁRCIA PEIXOTO LOPES|CONCEICAO MARCIA PEIXOTO LOPES|both\n" \
	    psql -X -At -c "SELECT p.name, p.name_folded, lp.found_by
	    FROM c2s.persons p JOIN c2s.lead_persons lp ON lp.person_id = p.id
	    WHERE lp.lead_id = '$id'"
	sql_is "1" "SELECT count(*) FROM c2s.persons WHERE cpf = '$cpf'" \
	    "not one person row"
	sql_is "1" "SELECT count(*) FROM c2s.dossiers d JOIN c2s.persons p
	    ON p.id = d.person_id WHERE p.cpf = '$cpf' AND
	    d.raw -> 'DadosBasicos' ->> 'cpf' = '$cpf'" \
	    "not one dossier"
	# The lead's own contacts and the dossier's.
	sql_is "2" "SELECT count(*) FROM c2s.contacts c JOIN c2s.persons p
	    ON p.id = c.person_id WHERE p.cpf = '$cpf' AND (
	    (c.type = 'phone' AND c.value = '61917958690') OR
	    (c.type = 'email' AND c.value = 'conceicao.lopes.8kdnhf@hotmail.com'))" \
	    "the lead's contacts are not stored"
	n=$(sql "SELECT count(*) FROM c2s.addresses a JOIN c2s.persons p
	    ON p.id = a.person_id WHERE p.cpf = '$cpf'")
	[ "$n" -ge 1 ] || atf_fail "no address stored"
	[ "$(sql "SELECT state || ' ' || text_sha256 FROM c2s.notes
	    WHERE lead_id = '$id'")" = \
	    "posted $(printf '%s' "$(cat note)" | sha256sum | cut -c1-64)" ] ||
	    atf_fail "the ledger does not hold the note's hash"
}

atf_test_case different_people
different_people_head() {
	atf_set descr "phone and e-mail of different people: two blocks"
}
different_people_body() {
	local id pcpf ecpf
	setup
	id=$(find_lead split)
	pcpf=$(jq -r .phone_person.cpf truth)
	ecpf=$(jq -r .email_person.cpf truth)
	process $id
	json '.status == "completed" and .cpfs_processed == ["'$pcpf'", "'$ecpf'"]'
	notes $id | jq -r '.[0]' >note
	grep -q '^⚠️ Telefone e e-mail relacionados a PESSOAS DIFERENTES!$' note ||
	    atf_fail "no different-people line"
	grep -q "^═══ PESSOA 1 (Telefone: $(jq -r .phone truth)) ═══$" note ||
	    atf_fail "no person 1 block"
	grep -q "^═══ PESSOA 2 (Email: $(jq -r .email truth)) ═══$" note ||
	    atf_fail "no person 2 block"
	[ "$(grep -c '^✅ DADOS PESSOAIS$' note)" = 2 ] ||
	    atf_fail "not two dossier blocks"
	atf_check -o inline:"$pcpf|phone\n$ecpf|email\n" psql -X -At -c "
	    SELECT p.cpf, lp.found_by FROM c2s.lead_persons lp
	    JOIN c2s.persons p ON p.id = lp.person_id
	    WHERE lp.lead_id = '$id' ORDER BY lp.found_by DESC"
}

atf_test_case single_source
single_source_head() {
	atf_set descr "a null e-mail, a missing phone: labelled by the real source"
}
single_source_body() {
	local id
	setup
	id=$(find_lead null_email)
	process $id
	json '.status == "completed"'
	notes $id | jq -r '.[0]' | head -1 >first
	atf_check -o inline:"📞 Encontrado pelo telefone: $(jq -r .phone truth)\n" \
	    cat first
	atf_check -o inline:"|phone\n" psql -X -At -c "SELECT
	    coalesce(l.email, ''), lp.found_by FROM c2s.leads l
	    JOIN c2s.lead_persons lp USING (lead_id) WHERE l.lead_id = '$id'"
	[ "$(calls diretrix "/Telefone/$(jq -r .phone truth)")" = 1 ] ||
	    atf_fail "not one Diretrix phone call"

	id=$(find_lead missing_phone)
	process $id
	json '.status == "completed"'
	notes $id | jq -r '.[0]' | head -1 >first
	atf_check -o inline:"📧 Encontrado pelo e-mail: $(jq -r .email truth)\n" \
	    cat first
}

atf_test_case name_mismatch
name_mismatch_head() {
	atf_set descr "a lead under another name: warning line, lead kept"
}
name_mismatch_body() {
	local id name
	setup
	id=$(find_lead other_name fa17bc03)
	process $id
	json '.status == "completed" and .name_mismatch == true'
	name=$(curl -s -H 'Authorization: Bearer sim-c2s-token' \
	    "$SIM/integration/leads/$id" | jq -r .data.attributes.customer.name)
	notes $id | jq -r '.[0]' | sed -n 2p >second
	atf_check -o inline:"⚠️ Nome diferente do Lead: $name\n" cat second

	# An abbreviated, upper-case name is the same person: no warning.
	id=$(find_lead abbrev)
	process $id
	json '.status == "completed" and .name_mismatch == false'
	notes $id | jq -r '.[0]' >note
	if grep -q 'Nome diferente' note; then
		atf_fail "abbreviated name taken for a mismatch"
	fi
}

atf_test_case best_candidate
best_candidate_head() {
	atf_set descr "several Diretrix candidates: the best name match wins"
}
best_candidate_body() {
	local id
	setup
	id=$(find_lead multi)
	process $id
	json '.status == "completed" and
	    .cpfs_processed == ["'$(jq -r .phone_person.cpf truth)'"] and
	    .name_mismatch == false'
}

atf_test_case outcome_basic
outcome_basic_head() {
	atf_set descr "CPF found, no dossier: basic, answered 200 on enrich"
}
outcome_basic_body() {
	local id
	setup
	id=$(find_lead no_dossier)
	expect_status 200 POST "/api/v1/c2s/enrich/$id" -d ''
	json '.success == true and .status == "basic" and
	    .cpfs_processed == ["'$(jq -r .phone_person.cpf truth)'"]'
	notes $id | jq -r '.[0]' >note
	grep -q '^ℹ️ DADOS BÁSICOS$' note || atf_fail "no basic block"
	sql_is "basic true" "SELECT status || ' ' || (next_retry_at IS NULL)
	    FROM c2s.leads WHERE lead_id = '$id'" \
	    "basic lead row wrong"
	sql_is "0" "SELECT count(*) FROM c2s.dossiers d JOIN c2s.persons p
	    ON p.id = d.person_id WHERE p.cpf = '$(jq -r .phone_person.cpf truth)'" \
	    "an error body was stored as a dossier"
}

atf_test_case outcome_unenriched
outcome_unenriched_head() {
	atf_set descr "nobody behind phone and e-mail: unenriched, 404 on enrich"
}
outcome_unenriched_body() {
	local id
	setup
	id=$(find_lead no_cpf)
	expect_status 404 POST "/api/v1/c2s/enrich/$id" -d ''
	json '.success == false and .status == "unenriched" and
	    .code == "no_cpf_found" and .cpfs_processed == []'
	notes $id | jq -r '.[0]' >note
	grep -q '^❌ CPF NÃO ENCONTRADO$' note || atf_fail "no unenriched note"
	[ "$(sql "SELECT status || ' ' || (next_retry_at > now()) || ' ' ||
	    last_error FROM c2s.leads WHERE lead_id = '$id'")" = \
	    "unenriched true no CPF found" ] || atf_fail "lead row wrong"
	# Asked again within DEDUP_TTL: the outcome, from the shared file.
	process $id
	json '.success == true and .status == "unenriched" and
	    .duplicate_request == true and .dedup == "file"'
}

atf_test_case outcome_invalid_contact
outcome_invalid_contact_head() {
	atf_set descr "no valid phone or e-mail: invalid_contact, nothing paid"
}
outcome_invalid_contact_body() {
	local id
	setup
	id=$(rand_id fa17bc02)
	expect_status 422 POST "/api/v1/c2s/enrich/$id" -d ''
	json '.status == "invalid_contact" and .code == "invalid_contact"'
	[ "$(calls diretrix /Telefone/111234)" = 0 ] &&
	    [ "$(calls diretrix /Email/teste)" = 0 ] ||
	    atf_fail "an invalid contact was looked up"
	notes $id | jq -r '.[0]' | head -1 >first
	atf_check -o inline:"⚠️ CONTATO INVÁLIDO\n" cat first
	atf_check -o inline:"invalid_contact||\n" psql -X -At -c "SELECT status,
	    coalesce(phone, ''), coalesce(email, '') FROM c2s.leads
	    WHERE lead_id = '$id'"
}

atf_test_case invalid_phone_not_paid
invalid_phone_not_paid_head() {
	atf_set descr "a fake phone is not looked up; the e-mail still is"
}
invalid_phone_not_paid_body() {
	local id
	setup
	id=$(rand_id fa17bc01)
	curl -s -o truth "$SIM/__sim/truth/$id"
	process $id
	json '.status == "completed" and
	    .cpfs_processed == ["'$(jq -r .email_person.cpf truth)'"]'
	[ "$(calls diretrix /Telefone/11999999999)" = 0 ] ||
	    atf_fail "the fake phone was paid for"
	[ "$(calls diretrix "/Email/$(jq -r .email truth)")" -ge 1 ] ||
	    atf_fail "the e-mail was not looked up"
}

atf_test_case doubled_country_code
doubled_country_code_head() {
	atf_set descr "a phone with 55 written twice is repaired and found"
}
doubled_country_code_body() {
	local id phone cpf
	setup
	id=$(find_lead doubled_cc fa17bc04)
	phone=$(jq -r .phone truth)
	cpf=$(jq -r .phone_person.cpf truth)
	[ "$(curl -s -H 'Authorization: Bearer sim-c2s-token' \
	    "$SIM/integration/leads/$id" |
	    jq -r .data.attributes.customer.phone)" = "5555$phone" ] ||
	    atf_fail "the simulator did not send the doubled code"
	process $id
	json '.status == "completed" and .cpfs_processed == ["'$cpf'"]'
	[ "$(calls diretrix "/Telefone/$phone")" = 1 ] ||
	    atf_fail "not one Diretrix call with the repaired phone"
	[ "$(calls diretrix "/Telefone/5555")" = 0 ] ||
	    atf_fail "Diretrix was asked for the doubled phone"
	atf_check -o inline:"$phone|both\n" psql -X -At -c "SELECT l.phone,
	    lp.found_by FROM c2s.leads l JOIN c2s.lead_persons lp
	    USING (lead_id) WHERE l.lead_id = '$id'"
}

atf_test_case work_down_partial
work_down_partial_head() {
	atf_set descr "Work API down: partial, lead retryable, 502 on enrich"
}
work_down_partial_body() {
	local id
	setup
	id=$(rand_id fa170a02)
	expect_status 502 POST "/api/v1/c2s/enrich/$id" -d ''
	json '.status == "partial" and .code == "upstream_error" and
	    (.cpfs_processed | length) == 1'
	notes $id | jq -r '.[0]' >note
	grep -q '^⏳ ENRIQUECIMENTO PARCIAL$' note || atf_fail "no partial note"
	sql_is "partial 1 true work_cpf: provider_down" \
	    "SELECT status || ' ' || attempts || ' ' ||
	    (next_retry_at > now() + interval '50 minutes') || ' ' ||
	    last_error FROM c2s.leads WHERE lead_id = '$id'" \
	    "partial lead not retryable"
	# The CPF is stored for the retry; no dossier.
	[ "$(sql "SELECT count(*) FROM c2s.lead_persons WHERE
	    lead_id = '$id'")" = 1 ] || atf_fail "person not stored"
	# The Work API in a 200 with an error body: never a dossier.
	id=$(rand_id fa170a06)
	expect_status 502 POST "/api/v1/c2s/enrich/$id" -d ''
	json '.status == "partial"'
	[ "$(lead_dossiers $id)" = 0 ] || atf_fail "an error-in-200 body was stored"
}

atf_test_case message_failure_retryable
message_failure_retryable_head() {
	atf_set descr "C2S refuses the note: data stored, lead retryable"
}
message_failure_retryable_body() {
	local id
	setup
	id=$(find_lead normal fa17cc02)
	expect_status 502 POST "/api/v1/c2s/enrich/$id" -d ''
	json '.status == "completed" and .note == "failed" and
	    .code == "upstream_error"'
	sql_is "completed pending true" \
	    "SELECT status || ' ' || note_state || ' ' ||
	    (next_retry_at > now()) FROM c2s.leads
	    WHERE lead_id = '$id'" \
	    "lead not left with its note pending"
	[ "$(lead_dossiers $id)" = 1 ] || atf_fail "the dossier was not stored"
	sql_is "0" "SELECT count(*) FROM c2s.notes WHERE lead_id = '$id'" \
	    "the ledger holds a note never posted"
}

atf_test_case note_answer_lost
note_answer_lost_head() {
	atf_set descr "C2S accepts a note but its answer is cut short or" \
	    "oversized: posted, never again; a 500 may have posted it: its" \
	    "claim is kept and a rerun posts nothing"
}
note_answer_lost_body() {
	local id code n
	setup
	# 05: a 201 whose body stops short; 09: a 201 of 2 MiB.
	for code in 05 09; do
		id=$(find_lead normal fa17cc$code)
		expect_status 200 POST "/api/v1/c2s/enrich/$id" -d ''
		json '.status == "completed" and .note == "posted"'
		sql_is "posted true posted" "SELECT note_state || ' ' ||
		    (next_retry_at IS NULL) || ' ' || n.state FROM c2s.leads
		    JOIN c2s.notes n USING (lead_id) WHERE lead_id = '$id'" \
		    "fault $code: lead not left posted"
		[ "$(notes $id | jq length)" = 1 ] ||
		    atf_fail "fault $code: not one note"
	done
	# 0b: HTTP 500.  C2S may have posted it: the ledger keeps its
	# claim, the lead waits, and a rerun posts nothing.
	id=$(find_lead normal fa17cc0b)
	expect_status 502 POST "/api/v1/c2s/enrich/$id" -d ''
	json '.status == "completed" and .note == "failed"'
	sql_is "pending posting" "SELECT note_state || ' ' || n.state
	    FROM c2s.leads JOIN c2s.notes n USING (lead_id)
	    WHERE lead_id = '$id'" "claim on a note that may be posted lost"
	n=$(calls c2s "/integration/leads/$id/create_message")
	process $id
	json '.duplicate_request == false and .note == "failed"'
	[ "$(calls c2s "/integration/leads/$id/create_message")" = "$n" ] ||
	    atf_fail "the rerun posted the note again"
}

atf_test_case c2s_down
c2s_down_head() {
	atf_set descr "C2S fails on the lead: 502 / success false, retryable"
}
c2s_down_body() {
	local id
	setup
	id=$(rand_id fa17c202)
	expect_status 502 POST "/api/v1/c2s/enrich/$id" -d ''
	json '.code == "upstream_error" and .status == "received"'
	process $id
	json '.success == false and .code == "upstream_error"'
	sql_is "received 2 c2s: provider_down true" \
	    "SELECT status || ' ' || attempts || ' ' || last_error ||
	    ' ' || (next_retry_at > now()) FROM c2s.leads
	    WHERE lead_id = '$id'" \
	    "lead row wrong"
	[ "$(notes $id | jq length)" = 0 ] || atf_fail "a note was posted"
}

atf_test_case parallel_lookups
parallel_lookups_head() {
	atf_set descr "phone and e-mail looked up in parallel: the slower, not the sum"
}
parallel_lookups_body() {
	local id ms
	setup
	# Both Diretrix lookups of this lead take SIM_FAULT_LATENCY_MS (2 s).
	id=$(rand_id fa17d101)
	process $id
	json '.status == "completed"'
	ms=$(jq .elapsed_ms body)
	[ "$ms" -ge 2000 ] || atf_fail "lookups took $ms ms: latency not applied"
	# One after the other they take 4 s at least, whatever the machine;
	# in parallel, 2 s and the rest of the lead (under 2 s even with ASan).
	[ "$ms" -lt 4000 ] || atf_fail "lookups took $ms ms: not in parallel"
}

atf_test_case bad_requests
bad_requests_head() {
	atf_set descr "bad ids and methods: JSON errors, nothing recorded"
}
bad_requests_body() {
	local n
	setup
	n=$(sql "SELECT count(*) FROM c2s.leads")
	expect_status 400 GET "/api/v1/leads/process"
	expect_json_error bad_request
	expect_status 400 GET "/api/v1/leads/process?id=123"
	expect_json_error bad_request
	expect_status 400 GET "/api/v1/leads/process?id=%zz"
	expect_json_error bad_request
	expect_status 400 GET "/api/v1/leads/process?id=0123456789abcdef0123456789abcdeg"
	expect_json_error bad_request
	expect_status 400 GET "/api/v1/leads/process?id=0123456789abcdef0123456789abcdef%00"
	expect_json_error bad_request
	expect_status 400 POST "/api/v1/c2s/enrich/not-a-lead" -d ''
	expect_json_error bad_request
	expect_status 405 POST "/api/v1/leads/process?id=0123456789abcdef0123456789abcdef" -d ''
	expect_json_error method_not_allowed
	expect_status 405 GET "/api/v1/c2s/enrich/0123456789abcdef0123456789abcdef"
	expect_json_error method_not_allowed
	sql_is "$n" "SELECT count(*) FROM c2s.leads" \
	    "a bad request recorded a lead"
}

atf_test_case logs_masked
logs_masked_head() {
	atf_set descr "each step logged with lead, step, outcome; PII masked"
}
logs_masked_body() {
	local id phone email cpf
	setup
	id=$(find_lead normal)
	phone=$(jq -r .phone truth)
	email=$(jq -r .email truth)
	cpf=$(jq -r .phone_person.cpf truth)
	process $id
	json '.status == "completed"'
	grep "\"lead\":\"$id\"" "$RUNDIR/log/pool.log" >lines ||
	    atf_fail "no log line names the lead"
	for step in record c2s_lead contacts diretrix_phone diretrix_email \
	    work_cpf store note done; do
		jq -e -s --arg s $step 'any(.[]; .step == $s and
		    (.outcome | type == "string") and
		    (.dur_ms | type == "number"))' lines >/dev/null ||
		    atf_fail "no line for step $step"
	done
	for secret in "$phone" "$email" "$cpf"; do
		if grep -qF "$secret" lines; then
			atf_fail "a log line holds an unmasked identifier"
		fi
	done
}

# top_block: the note's lines before its first blank line (./note).
top_block() {
	sed '/^$/q' note | sed '/^$/d'
}

# hv_lead SEED REASONS: a fresh seeded lead of the person of SEED (both
# contacts, its own name), processed; its note with a dossier in ./note.
# REASONS: its ⭐ line closes the note's top block and
# c2s.leads.high_value holds them; empty: no ⭐ line, high_value NULL.
hv_lead() {
	local id
	id=$(seeded_id "$1" 0 00)
	process $id
	json '.status == "completed"'
	notes $id | jq -r '.[0]' >note
	grep -q '^✅ DADOS PESSOAIS$\|^📋 RESUMO$' note ||
	    atf_fail "no dossier in the note: $(cat note)"
	if [ -z "$2" ]; then
		if grep -q '⭐' note; then
			atf_fail "a ⭐ line for an ordinary person: $(head -4 note)"
		fi
		sql_is "t" "SELECT high_value IS NULL FROM c2s.leads
		    WHERE lead_id = '$id'" "c2s.leads.high_value of $id"
		return
	fi
	[ "$(top_block | tail -1)" = "⭐ Lead de alto valor: $2" ] ||
	    atf_fail "no ⭐ line closing the top block: $(head -5 note)"
	[ "$(grep -c '⭐' note)" = 1 ] || atf_fail "not one ⭐ line"
	sql_is "$2" "SELECT high_value FROM c2s.leads WHERE lead_id = '$id'" \
	    "c2s.leads.high_value of $id"
}

atf_test_case high_value
high_value_head() {
	atf_set descr "a high-value person: the ⭐ line last in the note's " \
	    "top block (full and pointer notes) and c2s.leads.high_value; " \
	    "an ordinary person: neither"
}
high_value_body() {
	setup
	# Seed 123456015 (docs/SIMULATOR.md): renda 44975,85, R$ 85 454,12
	# times INCOME_MULTIPLIER 1.9; MUITO ALTO; SOCIO-ADMINISTRADOR of its
	# first company.  The stack's defaults: R$ 20 000, ALTO and up.
	hv_lead 123456015 "renda R\$ 85.454,12; poder aquisitivo MUITO ALTO; administrador de empresa"
	grep -q '^✅ DADOS PESSOAIS$' note || atf_fail "not a full note"
	# The same person's next lead: a pointer note, the same line.
	hv_lead 123456015 "renda R\$ 85.454,12; poder aquisitivo MUITO ALTO; administrador de empresa"
	json '.dossiers_fetched == 0'
	head -1 note | grep -q '^🔗 Mesma pessoa do lead ' ||
	    atf_fail "not a pointer note: $(head -3 note)"
	# Seed 234567013: renda 3081,31, MEDIO BAIXO, a plain SOCIO.
	hv_lead 234567013 ""
}

atf_init_test_cases() {
	atf_add_test_case completed_golden
	atf_add_test_case different_people
	atf_add_test_case single_source
	atf_add_test_case name_mismatch
	atf_add_test_case best_candidate
	atf_add_test_case outcome_basic
	atf_add_test_case outcome_unenriched
	atf_add_test_case outcome_invalid_contact
	atf_add_test_case invalid_phone_not_paid
	atf_add_test_case doubled_country_code
	atf_add_test_case work_down_partial
	atf_add_test_case message_failure_retryable
	atf_add_test_case note_answer_lost
	atf_add_test_case c2s_down
	atf_add_test_case parallel_lookups
	atf_add_test_case bad_requests
	atf_add_test_case logs_masked
	atf_add_test_case high_value
}
