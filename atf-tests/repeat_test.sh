#! /usr/bin/env atf-sh
# repeat_test -- what sales reads (DESIGN.md 11.3), end to end on real
# stacks: a lead whose name is a placeholder is enriched but gets no note,
# its reason stored; a second lead of a person already enriched gets a
# pointer note and no paid call, its stored dossier reused whatever its
# age; a redo of the same lead is no repeat.  Leads are the simulator's
# seeded leads (5eed…: a chosen person under a chosen name,
# docs/SIMULATOR.md); upstream calls are counted in its record, by the
# leads' own paths.
#
# The 🔗 line of the pointer note is printed by core/note.c from
# in.same_lead and in.same_date: the case repeat__pointer_line checks it
# (it fails while note.c prints a full note for a repeat person); every
# other case checks what the pipeline stores, answers and pays.

. "$(atf_get_srcdir)/common.subr"

setup() {
	shared_stack
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
}

# The notes the simulator received for a lead, as a JSON array.
notes() {
	curl -s "$SIM/__sim/notes?lead=$1" | jq -c .notes
}

# posts LEAD: the C2S create_message calls for LEAD.
posts() {
	sim_calls c2s "/integration/leads/$1/create_message"
}

# work_paid: the Work API calls (any module) naming the person of ./truth
# by CPF, phone or e-mail.
work_paid() {
	echo $(( $(sim_calls work "consulta=$(jq -r .phone_person.cpf truth)") +
	    $(sim_calls work "consulta=$(jq -r .phone truth)") +
	    $(sim_calls work "$(jq -r .email truth | cut -d@ -f1)") ))
}

# same_person_leads: two fresh seeded leads of one new person (seed SEED)
# in A and B, its truth in ./truth.
same_person_leads() {
	SEED=$(plain_seed)
	A=$(seeded_id "$SEED" 0 00)
	B=$(seeded_id "$SEED" 0 00)
	curl -s -o truth "$SIM/__sim/truth/$A" || atf_fail "simulator unreachable"
	[ "$(jq -r .variant truth)" = seeded ] ||
	    atf_fail "lead $A: variant $(jq -r .variant truth)"
	[ "$(curl -s "$SIM/__sim/truth/$B" | jq -r .phone_person.cpf)" = \
	    "$(jq -r .phone_person.cpf truth)" ] ||
	    atf_fail "leads $A and $B are not one person"
}

# first_date LEAD: the São Paulo date of LEAD's first posted note.
first_date() {
	sql "SELECT to_char(min(posted_at) AT TIME ZONE 'America/Sao_Paulo',
	    'DD/MM/YYYY') FROM c2s.notes WHERE lead_id = '$1'
	    AND state = 'posted'"
}

# earlier_lead LEAD CPF [DOSSIER]: LEAD as a run 400 days ago would have
# left it: completed, its note posted at 02:30 UTC on 2 March 2025 (still
# 1 March in São Paulo), linked to the person of CPF (made), with DOSSIER
# (JSON text) fetched then, if given.
earlier_lead() {
	psql -X -q -v ON_ERROR_STOP=1 -v raw="${3:-}" >/dev/null <<EOF ||
BEGIN;
INSERT INTO c2s.leads (lead_id, status, note_state, created_at)
    VALUES ('$1', 'completed', 'posted', now() - interval '400 days');
INSERT INTO c2s.persons (cpf, name) VALUES ('$2', 'X')
    ON CONFLICT (cpf) DO NOTHING;
INSERT INTO c2s.lead_persons (lead_id, person_id, found_by)
    SELECT '$1', id, 'both' FROM c2s.persons WHERE cpf = '$2';
INSERT INTO c2s.dossiers (person_id, raw, fetched_at)
    SELECT id, nullif(:'raw', '')::jsonb, now() - interval '400 days'
    FROM c2s.persons WHERE cpf = '$2' AND :'raw' <> '';
INSERT INTO c2s.notes (lead_id, text_sha256, body, posted_at, state)
    VALUES ('$1', repeat('0', 64), 'nota', '2025-03-02 02:30:00+00',
    'posted');
COMMIT;
EOF
	    atf_fail "lead $1 not stored"
}

atf_test_case placeholder_name__no_note
placeholder_name__no_note_head() {
	atf_set descr "a lead named Unknown, Desconhecido, Teste, Test, Lead," \
	    "Sem nome, N/A, -, its phone or its e-mail: enriched as one" \
	    "without a name, no note posted, the reason stored and answered"
}
placeholder_name__no_note_body() {
	local k id why name seed
	setup
	# A new person each: none is a repeat of another.
	for k in 01 02 03 04 05 06 07 08 09 0a; do
		seed=$(plain_seed)
		id=$(seeded_id "$seed" 0 "$k")
		curl -s -o truth "$SIM/__sim/truth/$id"
		[ "$(jq -r .variant truth)" = seeded ] ||
		    atf_fail "lead $id: variant $(jq -r .variant truth)"
		name=$(curl -s -H 'Authorization: Bearer sim-c2s-token' \
		    "$SIM/integration/leads/$id" |
		    jq -r .data.attributes.customer.name)
		case $k in
		09)	why="placeholder_name: digits_only" ;;
		0a)	why="placeholder_name: email_as_name" ;;
		*)	why="placeholder_name: placeholder" ;;
		esac
		process "$id"
		# Enriched (its CPF, its dossier), no name check, no note.
		json '.success == true and .status == "completed" and
		    .cpfs_processed == ["'"$(jq -r .phone_person.cpf truth)"'"]
		    and .name_mismatch == false and .note == "skipped" and
		    .note_reason == "'"$why"'" and .dossiers_fetched == 1'
		[ "$(posts "$id")" = 0 ] ||
		    atf_fail "$name: $(posts "$id") notes posted"
		[ "$(notes "$id")" = "[]" ] || atf_fail "$name: a note was posted"
		sql_is "completed|skipped|$why|$name|" "SELECT status || '|' ||
		    note_state || '|' || note_reason || '|' || customer_name ||
		    '|' || coalesce(repeat_of, '') FROM c2s.leads
		    WHERE lead_id = '$id'" "lead $name"
		sql_is "0" "SELECT count(*) FROM c2s.notes
		    WHERE lead_id = '$id'" "$name: a note in the ledger"
		sql_is "1" "SELECT count(*) FROM c2s.dossiers d
		    JOIN c2s.lead_persons lp ON lp.person_id = d.person_id
		    WHERE lp.lead_id = '$id'" "$name: its dossier not stored"
	done
	# A real name, for contrast: the same person's lead gets its note.
	id=$(seeded_id "$seed" 0 00)
	process "$id"
	json '.note == "posted" and (has("note_reason") | not)'
	sql_is "posted|" "SELECT note_state || '|' ||
	    coalesce(note_reason, '') FROM c2s.leads WHERE lead_id = '$id'" \
	    "a named lead"
}

atf_test_case repeat__no_paid_call
repeat__no_paid_call_head() {
	atf_set descr "a second lead of a person enriched before: no Work API" \
	    "call, its stored dossier reused, linked, completed, one note" \
	    "posted; the first lead's note untouched"
}
repeat__no_paid_call_body() {
	local cpf before n1
	setup
	same_person_leads
	cpf=$(jq -r .phone_person.cpf truth)
	process "$A"
	json '.status == "completed" and .note == "posted" and
	    .dossiers_fetched == 1 and (has("repeat_of") | not)'
	notes "$A" >notes_a
	[ "$(jq length notes_a)" = 1 ] || atf_fail "lead A: not one note"
	before=$(work_paid)

	process "$B"
	json '.success == true and .status == "completed" and
	    .cpfs_processed == ["'"$cpf"'"] and .note == "posted" and
	    .dossiers_fetched == 0 and .dossiers_reused == 1 and
	    .repeat_of == "'"$A"'"'
	[ "$(work_paid)" = "$before" ] ||
	    atf_fail "the Work API was called for lead B:" \
	    "$(( $(work_paid) - before )) calls"
	[ "$(posts "$B")" = 1 ] || atf_fail "lead B: $(posts "$B") posts"
	[ "$(notes "$B" | jq length)" = 1 ] || atf_fail "lead B: not one note"
	sql_is "completed|posted|$A|0|1|" "SELECT status || '|' ||
	    note_state || '|' || repeat_of || '|' || dossiers_fetched ||
	    '|' || dossiers_reused || '|' || coalesce(note_reason, '')
	    FROM c2s.leads WHERE lead_id = '$B'" "lead B's row"
	sql_is "$cpf" "SELECT p.cpf FROM c2s.lead_persons lp
	    JOIN c2s.persons p ON p.id = lp.person_id
	    WHERE lp.lead_id = '$B'" "lead B not linked to the person"
	sql_is "1" "SELECT count(*) FROM c2s.dossiers d JOIN c2s.persons p
	    ON p.id = d.person_id WHERE p.cpf = '$cpf'" \
	    "not one stored dossier"
	# The repeat step names the first lead and its date.
	grep "\"lead\":\"$B\"" "$RUNDIR/log/pool.log" |
	    grep '"step":"repeat","outcome":"found"' >repeat_line ||
	    atf_fail "no repeat step logged for lead B"
	grep -q "lead $A ($(first_date "$A"))" repeat_line ||
	    atf_fail "repeat line: $(cat repeat_line)"

	# The first lead: its note and row untouched.
	[ "$(notes "$A")" = "$(cat notes_a)" ] ||
	    atf_fail "lead A's notes changed"
	[ "$(posts "$A")" = 1 ] || atf_fail "lead A posted again"
	sql_is "completed|posted||1" "SELECT status || '|' || note_state ||
	    '|' || coalesce(repeat_of, '') || '|' || (SELECT count(*) FROM
	    c2s.notes WHERE lead_id = '$A') FROM c2s.leads
	    WHERE lead_id = '$A'" "lead A's row"

	# A third lead points to the first, not to the second.
	n1=$(seeded_id "$SEED" 0 00)
	process "$n1"
	json '.repeat_of == "'"$A"'" and .dossiers_fetched == 0'
	[ "$(work_paid)" = "$before" ] ||
	    atf_fail "the Work API was called for the third lead"
}

atf_test_case repeat__pointer_line
repeat__pointer_line_head() {
	atf_set descr "the repeat's note opens with 🔗 Mesma pessoa do lead" \
	    "<first> (enriquecido em <date>); needs core/note.c's pointer" \
	    "layout (DESIGN.md 11.3)"
}
repeat__pointer_line_body() {
	setup
	same_person_leads
	process "$A"
	json '.status == "completed" and .note == "posted"'
	process "$B"
	json '.status == "completed" and .note == "posted" and
	    .repeat_of == "'"$A"'"'
	notes "$B" | jq -r '.[0]' >note
	grep -qxF "🔗 Mesma pessoa do lead $A (enriquecido em $(first_date "$A"))" \
	    note || atf_fail "no pointer line in lead B's note, which" \
	    "opens: $(head -1 note)"
	# A pointer, not the first lead's note again.
	[ "$(notes "$A" | jq -r '.[0]')" != "$(cat note)" ] ||
	    atf_fail "lead B got lead A's note"
}

atf_test_case repeat__stale_dossier
repeat__stale_dossier_head() {
	atf_set descr "the first lead enriched 400 days ago (its dossier aged" \
	    "past DOSSIER_MAX_AGE): the repeat still pays nothing, reuses" \
	    "it, and dates the pointer in São Paulo time"
}
repeat__stale_dossier_body() {
	local cpf before raw
	setup
	same_person_leads
	cpf=$(jq -r .phone_person.cpf truth)
	# Lead A as an earlier run would have left it, with its dossier
	# (from the simulator), 400 days old.
	raw=$(curl -s "$SIM/api?token=sim-work-token&modulo=cpf&consulta=$cpf")
	echo "$raw" | jq -e '.DadosBasicos.cpf == "'"$cpf"'"' >/dev/null ||
	    atf_fail "no dossier from the simulator: $raw"
	earlier_lead "$A" "$cpf" "$raw"
	before=$(work_paid)
	process "$B"
	json '.status == "completed" and .note == "posted" and
	    .dossiers_fetched == 0 and .dossiers_reused == 1 and
	    .repeat_of == "'"$A"'"'
	[ "$(work_paid)" = "$before" ] ||
	    atf_fail "the Work API was called for a stale dossier's repeat"
	sql_is "1" "SELECT count(*) FROM c2s.dossiers d JOIN c2s.persons p
	    ON p.id = d.person_id WHERE p.cpf = '$cpf'" "a dossier was added"
	grep "\"lead\":\"$B\"" "$RUNDIR/log/pool.log" >lines
	grep '"step":"repeat","outcome":"found"' lines |
	    grep -q "lead $A (01/03/2025)" ||
	    atf_fail "repeat not dated 01/03/2025: $(grep repeat lines)"
	grep '"step":"dossier","outcome":"reused"' lines | grep -q stale ||
	    atf_fail "the stale dossier was not the one reused"
	sql_is "completed|posted|$A" "SELECT status || '|' || note_state ||
	    '|' || repeat_of FROM c2s.leads WHERE lead_id = '$B'" \
	    "lead B's row"
}

atf_test_case repeat__two_persons_full_note
repeat__two_persons_full_note_head() {
	atf_set descr "a lead whose phone and e-mail are two people, one of" \
	    "them enriched before: no pointer, both dossiers, a full note"
}
repeat__two_persons_full_note_body() {
	local a id pcpf
	setup
	id=$(find_lead split)
	pcpf=$(jq -r .phone_person.cpf truth)
	a=$(rand_id)
	earlier_lead "$a" "$pcpf"
	process "$id"
	json '.status == "completed" and (.cpfs_processed | length) == 2 and
	    .note == "posted" and (has("repeat_of") | not) and
	    .dossiers_fetched == 2'
	sql_is "" "SELECT coalesce(repeat_of, '') FROM c2s.leads
	    WHERE lead_id = '$id'" "a two-person lead recorded as a repeat"
	notes "$id" | jq -r '.[0]' >note
	grep -q '^⚠️ Telefone e e-mail relacionados a PESSOAS DIFERENTES!$' \
	    note || atf_fail "not the full note of two people"
}

atf_test_case repeat__same_lead_redo cleanup
repeat__same_lead_redo_head() {
	atf_set descr "a lead run again after DEDUP_TTL is no repeat of" \
	    "itself (nor of a later lead of its person): its own note, not" \
	    "posted twice; the later lead's redo still points to it"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
repeat__same_lead_redo_body() {
	local before
	private_stack DEDUP_TTL=1s C2S_WORKERS=0
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
	same_person_leads
	process "$A"
	json '.status == "completed" and .note == "posted"'
	process "$B"
	json '.repeat_of == "'"$A"'"'
	before=$(work_paid)
	sleep 1.5
	process "$A"
	json '.duplicate_request == false and .status == "completed" and
	    .note == "already_posted" and (has("repeat_of") | not) and
	    .dossiers_fetched == 0'
	[ "$(notes "$A" | jq length)" = 1 ] || atf_fail "lead A: a second note"
	sql_is "" "SELECT coalesce(repeat_of, '') FROM c2s.leads
	    WHERE lead_id = '$A'" "lead A recorded as a repeat"
	process "$B"
	json '.duplicate_request == false and .repeat_of == "'"$A"'" and
	    .note == "already_posted"'
	[ "$(notes "$B" | jq length)" = 1 ] || atf_fail "lead B: a second note"
	[ "$(work_paid)" = "$before" ] || atf_fail "a redo paid the Work API"
	private_stack_stop
}
repeat__same_lead_redo_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case placeholder_name__no_note
	atf_add_test_case repeat__no_paid_call
	atf_add_test_case repeat__pointer_line
	atf_add_test_case repeat__stale_dossier
	atf_add_test_case repeat__two_persons_full_note
	atf_add_test_case repeat__same_lead_redo
}
