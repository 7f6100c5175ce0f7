#! /usr/bin/env atf-sh
# tier_test -- tier 0 of the CPF discovery (DESIGN.md 11.3): the
# service's own stored contacts give a second lead's CPF with no paid
# call, only for a person whose name is the lead's; the tier that found
# each CPF and its name score stored per lead; a database error in tier 0
# falling through to the paid tiers; tier 0 left out when CPF_TIERS does
# not name it.  A second lead of a person is a seeded lead of the
# simulator (5eed…, docs/SIMULATOR.md) of the same seed.
# Upstream calls are read from the simulator's record by the lead's own
# phone, e-mail and CPF, before and after.

. "$(atf_get_srcdir)/common.subr"

setup() {
	shared_stack
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
}

# own_stack SETTINGS: a private stack without worker nor rate limit.
own_stack() {
	private_stack C2S_WORKERS=0 RATE_LIMIT=0 "$@"
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
}

# fresh VARIANT: a lead of the simulator VARIANT no one looked up; ID,
# PHONE and CPF (its phone's person's) set, its truth in ./truth.
fresh() {
	ID=$(find_lead "$1")
	PHONE=$(jq -r .phone truth)
	CPF=$(jq -r .phone_person.cpf truth)
}

# paid PHONE EMAIL CPF: the Diretrix and Work API calls made for these,
# as "diretrix work" (an empty argument counts nothing).
paid() {
	local d=0 w=0 s
	for s in "$@"; do
		[ -n "$s" ] || continue
		d=$((d + $(sim_calls diretrix "$s")))
		w=$((w + $(sim_calls work "$s")))
	done
	echo "$d $w"
}

# new_seed [none]: an ordinary simulator person of none of the three
# properties (one Diretrix candidate, a dossier), not looked up before;
# with "none", one the Work API has no dossier for (a seed multiple of
# 97) and otherwise ordinary.
new_seed() {
	local s
	while :; do
		s=$(rand_id | tr -dc 0-9 | cut -c1-9)
		[ ${#s} = 9 ] || continue
		s=$((10#$s))
		if [ "${1:-}" = none ]; then
			s=$((s / 97 * 97))
		elif [ $((s % 97)) = 0 ]; then
			continue
		fi
		[ $s -ge 1 ] && [ $s -lt 999000000 ] &&
		    [ $(((s - 1) % 100000000)) -lt 99990000 ] &&
		    [ $((s % 11)) != 5 ] && [ $((s % 7)) != 3 ] && break
	done
	printf '%09d\n' $s
}

# reprocess LEAD: the operators' reprocess of LEAD with the admin key
# (the test's .curlrc, the API key, not read); its answer in ./body.
reprocess() {
	[ "$(curl -q -s -o body -w '%{http_code}' -X POST -d '' \
	    -H "X-API-Key: $C2S_ADMIN_KEY" \
	    "$URL/api/v1/leads/$1/reprocess")" = 200 ] ||
	    atf_fail "reprocess $1: $(cat body)"
}

# misses CPF: the Work API's "no dossier" answers kept for CPF's person.
misses() {
	sql "SELECT coalesce(sum(m.misses), 0) FROM c2s.dossier_misses m
	    JOIN c2s.persons p ON p.id = m.person_id WHERE p.cpf = '$1'"
}

# same SEED CONTACTS: a new seeded lead of the person of SEED under its
# name (CONTACTS 0 phone and e-mail, 1 phone only, 2 e-mail only), its
# truth in ./truth.
same() {
	local id
	id=5eed$1${2}00$(rand_id | cut -c1-16)
	curl -s -o truth "$SIM/__sim/truth/$id" ||
	    atf_fail "simulator unreachable"
	[ "$(jq -r .variant truth)" = seeded ] ||
	    atf_fail "$id is not a seeded lead: $(cat truth)"
	echo "$id"
}

# tiers LEAD: the lead's tier and score, then each person's, by CPF.
tiers() {
	sql "SELECT concat_ws('|', coalesce(l.cpf_tier, '-'),
	    coalesce(l.name_score::text, '-'), (SELECT string_agg(p.cpf || ':'
	    || coalesce(lp.tier, '-') || ':' || coalesce(lp.name_score::text,
	    '-'), ',' ORDER BY p.cpf) FROM c2s.lead_persons lp JOIN c2s.persons
	    p ON p.id = lp.person_id WHERE lp.lead_id = l.lead_id))
	    FROM c2s.leads l WHERE l.lead_id = '$1'"
}

# relative PHONE [NAME]: PHONE stored (as from a dossier) for a person of
# another name, of a CPF outside the simulator's ordinary persons (a seed
# of the reserved range), made for this test.
relative() {
	local cpf
	cpf=$(cpf_of "9985$(rand_id | tr -dc 0-9 | cut -c1-5)")
	sql "INSERT INTO c2s.persons (cpf, name)
	    VALUES ('$cpf', '${2:-ZULEIDE QUITERIA XAVIER}');
	    INSERT INTO c2s.contacts (person_id, type, value, source)
	    SELECT id, 'phone', '$1', 'work_api' FROM c2s.persons
	    WHERE cpf = '$cpf' RETURNING 1" >/dev/null
}

# tier_is WANT LEAD: fail unless the lead's stored tier is WANT.
tier_is() {
	local got
	got=$(sql "SELECT coalesce(cpf_tier, '-') FROM c2s.leads
	    WHERE lead_id = '$2'")
	[ "$got" = "$1" ] ||
	    atf_fail "lead $2: tier '$got', wanted '$1' ($(tiers "$2"))"
}

# tiers_are WANT LEAD: fail unless tiers LEAD gives WANT.
tiers_are() {
	local got
	got=$(tiers "$2")
	[ "$got" = "$1" ] || atf_fail "lead $2: tiers '$got', wanted '$1'"
}

# step_logged LEAD OUTCOME: whether the pool's log has a "stored" step of
# LEAD with that outcome.
step_logged() {
	grep "\"lead\":\"$1\"" "$RUNDIR/log/pool.log" >lines ||
	    atf_fail "no log line names lead $1"
	jq -e -s --arg o "$2" 'any(.[]; .step == "stored" and
	    .outcome == $o)' lines >/dev/null
}

# unseeded FILE: FILE without the seeded lead ids in it (5eed + 28 hex:
# the seed's nine digits, then contacts and name, may read as a CPF).
unseeded() {
	sed -E 's/5eed[0-9a-f]{28}//g' "$1"
}

atf_test_case stored_answers
stored_answers_head() {
	atf_set descr "a person's second lead with the same phone, and a third" \
	    "with the same e-mail, get their CPF from the stored contacts" \
	    "(tier stored, name score 100) and reuse the dossier: no" \
	    "Diretrix and no Work API call at all"
}
stored_answers_body() {
	local seed id phone email cpf before
	setup
	seed=$(new_seed)
	id=$(same $seed 0)
	phone=$(jq -r .phone truth)
	email=$(jq -r .email truth)
	cpf=$(jq -r .phone_person.cpf truth)
	[ "$(paid "/$phone" "$email" "$cpf")" = "0 0" ] ||
	    atf_fail "person of $id looked up before the test"
	# The first lead: paid lookups, its tiers stored.
	process $id
	json '.status == "completed" and .cpfs_processed == ["'$cpf'"] and
	    .dossiers_fetched == 1'
	tiers_are "diretrix_phone|100|$cpf:diretrix_phone:100" $id
	before=$(paid "/$phone" "$email" "$cpf")
	[ "$before" != "0 0" ] || atf_fail "the first lead made no paid call"

	# The same person's lead with the phone only: tier 0.
	id=$(same $seed 1)
	[ "$(jq -r .phone truth)|$(jq -r .email truth)" = "$phone|null" ] ||
	    atf_fail "$id is not the phone alone: $(cat truth)"
	process $id
	json '.status == "completed" and .cpfs_processed == ["'$cpf'"] and
	    .dossiers_fetched == 0 and .dossiers_reused == 1'
	[ "$(paid "/$phone" "$email" "$cpf")" = "$before" ] ||
	    atf_fail "paid calls for the stored phone: $(paid "/$phone" \
	    "$email" "$cpf"), were $before"
	tiers_are "stored|100|$cpf:stored:100" $id

	# The e-mail alone: tier 0 by e-mail.
	id=$(same $seed 2)
	[ "$(jq -r .phone truth)|$(jq -r .email truth)" = "null|$email" ] ||
	    atf_fail "$id is not the e-mail alone: $(cat truth)"
	process $id
	json '.status == "completed" and .cpfs_processed == ["'$cpf'"] and
	    .dossiers_fetched == 0'
	[ "$(paid "/$phone" "$email" "$cpf")" = "$before" ] ||
	    atf_fail "paid calls for the stored e-mail: $(paid "/$phone" \
	    "$email" "$cpf"), were $before"
	tiers_are "stored|100|$cpf:stored:100" $id
	# Logged as the other tiers, the CPF masked.
	step_logged $id found || atf_fail "no stored step found: $(cat lines)"
	# (A seeded lead's id holds the seed, so the CPF's first nine
	# digits, and this lead's lines name the first lead: seeded ids are
	# taken out first.)
	! unseeded lines | grep -F -e "$cpf" -e "$email" >unmasked ||
	    atf_fail "a log line holds an unmasked identifier" \
	    "($cpf, $email): $(cut -c1-400 unmasked)"
}

atf_test_case dossier_miss__not_paid_twice
dossier_miss__not_paid_twice_head() {
	atf_set descr "a person the Work API has no dossier for: its first " \
	    "lead pays the Work API once (basic, the answer kept in " \
	    "c2s.dossier_misses), its second lead is basic with no Work API " \
	    "call, a reprocess asks again; a miss kept for a person the Work " \
	    "API has a dossier for is honoured until a reprocess stores " \
	    "the dossier, which clears it"
}
dossier_miss__not_paid_twice_body() {
	local s id cpf
	setup
	s=$(new_seed none)
	cpf=$(cpf_of $s)
	[ "$(sim_calls work "$cpf")" = 0 ] ||
	    atf_fail "person $cpf looked up before the test"
	id=$(same $s 0)
	process $id
	json '.status == "basic" and .cpfs_processed == ["'$cpf'"] and
	    .dossiers_fetched == 0'
	[ "$(sim_calls work "$cpf")" = 1 ] ||
	    atf_fail "Work API calls for $cpf: $(sim_calls work "$cpf"), not 1"
	[ "$(misses "$cpf")" = 1 ] || atf_fail "the miss not kept"
	# The second lead: tier 0 finds the person, the miss is not paid.
	id=$(same $s 1)
	process $id
	json '.status == "basic" and .cpfs_processed == ["'$cpf'"] and
	    .dossiers_fetched == 0 and .dossiers_reused == 0'
	[ "$(sim_calls work "$cpf")" = 1 ] ||
	    atf_fail "the second lead paid the Work API again"
	grep "\"lead\":\"$id\"" "$RUNDIR/log/pool.log" >lines
	jq -e -s 'any(.[]; .step == "dossier" and .outcome == "none" and
	    (.msg | contains("had no dossier")))' lines >/dev/null ||
	    atf_fail "no dossier step said why: $(cat lines)"
	! unseeded lines | grep -qF "$cpf" ||
	    atf_fail "a log line holds the CPF whole"
	# A reprocess pays again, and counts the miss again.
	reprocess $id
	[ "$(sim_calls work "$cpf")" = 2 ] ||
	    atf_fail "the reprocess did not ask the Work API"
	[ "$(misses "$cpf")" = 2 ] || atf_fail "the miss not counted"
	# A person with a dossier at the Work API but a miss kept: not
	# asked, until a reprocess finds the dossier and the store clears
	# the miss.
	s=$(new_seed)
	cpf=$(cpf_of $s)
	sql "INSERT INTO c2s.persons (cpf, name) VALUES ('$cpf', 'X');
	    INSERT INTO c2s.dossier_misses (person_id) SELECT id
	    FROM c2s.persons WHERE cpf = '$cpf' RETURNING 1" >/dev/null
	id=$(same $s 0)
	process $id
	json '.status == "basic" and .cpfs_processed == ["'$cpf'"]'
	[ "$(sim_calls work "$cpf")" = 0 ] ||
	    atf_fail "a kept miss was paid for"
	reprocess $id
	jq -e '.status == "completed"' body >/dev/null ||
	    atf_fail "the reprocess found no dossier: $(cat body)"
	[ "$(sim_calls work "$cpf")" = 1 ] ||
	    atf_fail "the reprocess did not ask the Work API"
	[ "$(misses "$cpf")" = 0 ] || atf_fail "the miss kept beside a dossier"
}

atf_test_case stored_other_name
stored_other_name_head() {
	atf_set descr "a stored phone of a person of another name (a" \
	    "relative's, from a dossier) is not taken: Diretrix is asked" \
	    "(one paid call); among two stored persons, the one of the" \
	    "lead's name is taken with no call"
}
stored_other_name_body() {
	setup
	# A lead no one has looked up, its phone stored for someone else.
	fresh null_email
	[ "$(paid "/$PHONE")" = "0 0" ] ||
	    atf_fail "phone of $ID looked up before the test"
	relative "$PHONE"
	process $ID
	json '.status == "completed" and .cpfs_processed == ["'$CPF'"]'
	[ "$(sim_calls diretrix "/Telefone/$PHONE")" = 1 ] ||
	    atf_fail "not one Diretrix call for a stored phone of another name"
	tier_is diretrix_phone $ID

	# Another lead, its phone stored for two persons: the lead's own
	# (name matching) is taken, for free.
	fresh null_email
	relative "$PHONE"
	sql "WITH p AS (INSERT INTO c2s.persons (cpf, name) VALUES
	    ('$CPF', upper('$(jq -r .phone_person.name truth)'))
	    ON CONFLICT (cpf) DO UPDATE SET name = EXCLUDED.name RETURNING id)
	    INSERT INTO c2s.contacts (person_id, type, value, source)
	    SELECT id, 'phone', '$PHONE', 'work_api' FROM p
	    ON CONFLICT DO NOTHING RETURNING 1" >/dev/null
	[ "$(sql "SELECT count(DISTINCT person_id) FROM c2s.contacts
	    WHERE type = 'phone' AND value = '$PHONE'")" = 2 ] ||
	    atf_fail "the phone is not stored for two persons"
	process $ID
	json '.cpfs_processed == ["'$CPF'"]'
	[ "$(sim_calls diretrix "/Telefone/$PHONE")" = 0 ] ||
	    atf_fail "Diretrix asked for a phone stored with the lead's person"
	tier_is stored $ID
}

atf_test_case db_error cleanup
db_error_head() {
	atf_set descr "tier 0's statement failing (a stored person whose row" \
	    "cannot be read) is logged and the lead goes on to Diretrix:" \
	    "found, completed, one paid call"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
db_error_body() {
	own_stack
	fresh null_email
	# Reading the person named BOOM fails (a cast in a row policy): only
	# tier 0's statement reads it.
	relative "$PHONE" BOOM
	sql "ALTER TABLE c2s.persons ENABLE ROW LEVEL SECURITY;
	    ALTER TABLE c2s.persons FORCE ROW LEVEL SECURITY;
	    CREATE POLICY boom ON c2s.persons USING (CASE WHEN name = 'BOOM'
	    THEN name::int > 0 ELSE true END); SELECT 1" >/dev/null
	process $ID
	json '.status == "completed" and .cpfs_processed == ["'$CPF'"]'
	[ "$(sim_calls diretrix "/Telefone/$PHONE")" = 1 ] ||
	    atf_fail "not one Diretrix call after tier 0 failed"
	step_logged $ID db_error || atf_fail "tier 0's failure not logged"
	tier_is diretrix_phone $ID
	private_stack_stop
}
db_error_cleanup() { private_stack_stop; }

atf_test_case left_out cleanup
left_out_head() {
	atf_set descr "CPF_TIERS without stored: a person's second lead with" \
	    "the same phone is looked up in Diretrix again (process caches" \
	    "off), its tier diretrix_phone"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
left_out_body() {
	local seed id phone cpf
	own_stack CACHE_MAX_BYTES=0 CPF_TIERS=diretrix_phone,diretrix_email
	seed=$(new_seed)
	id=$(same $seed 0)
	phone=$(jq -r .phone truth)
	cpf=$(jq -r .phone_person.cpf truth)
	process $id
	json '.status == "completed" and .cpfs_processed == ["'$cpf'"]'
	[ "$(sim_calls diretrix "/Telefone/$phone")" = 1 ] ||
	    atf_fail "not one Diretrix call for the first lead"
	id=$(same $seed 1)
	process $id
	json '.status == "completed" and .cpfs_processed == ["'$cpf'"]'
	[ "$(sim_calls diretrix "/Telefone/$phone")" = 2 ] ||
	    atf_fail "tier 0 ran though CPF_TIERS leaves it out"
	tiers_are "diretrix_phone|100|$cpf:diretrix_phone:100" $id
	! step_logged $id not_found && ! step_logged $id found ||
	    atf_fail "a stored step was logged"
	private_stack_stop
}
left_out_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case stored_answers
	atf_add_test_case stored_other_name
	atf_add_test_case dossier_miss__not_paid_twice
	atf_add_test_case db_error
	atf_add_test_case left_out
}
