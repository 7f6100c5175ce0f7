#! /usr/bin/env atf-sh
# upgrade_test -- the migrations meeting rows stored before them, an
# upgrade from the first round's schema with a run's data in it, and the
# statement timeout, each on a private stack whose database the test
# rebuilds at an older migration level.
#
# An older level is sql/migrate.sh itself run from a directory holding
# only the migrations up to that level (it applies the files beside it
# and records them in public.schema_migrations, as production does); the
# rest is the tree's sql/migrate.sh, the runner stack.sh and the
# container's entrypoint call.

. "$(atf_get_srcdir)/common.subr"

# The last migration of the first round (issues [1/9] to [9/9]).
ROUND1=9

# su_psql ARGS: psql as the cluster's superuser, to database postgres.
su_psql() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -U postgres -d postgres "$@"
}

# q SQL: one value from database c2s as the service's role.
q() {
	psql -X -At -v ON_ERROR_STOP=1 -h "$PGHOST" -U c2s -d "${QDB:-c2s}" \
	    -c "$1" ||
	    atf_fail "psql failed: $(echo "$1" | tr -s '\n\t ' '   ')"
}

# The newest migration of the tree.
latest() {
	ls "$TOP"/sql/[0-9][0-9][0-9][0-9]-*.sql |
	    sed -n '$s,.*/0*\([0-9]*\)-.*,\1,p'
}

# migrate_to DB N: migrations 1..N applied to database DB by migrate.sh
# run from a directory holding only those files.
migrate_to() {
	local d=$PWD/sql-upto-$2 f v
	rm -rf "$d" && mkdir "$d" || atf_fail "cannot make $d"
	cp "$TOP/sql/migrate.sh" "$d/"
	for f in "$TOP"/sql/[0-9][0-9][0-9][0-9]-*.sql; do
		v=$(basename "$f" | sed 's/^0*//; s/-.*//')
		[ "$v" -le "$2" ] && cp "$f" "$d/"
	done
	DB_URL="host=$PGHOST dbname=$1 user=c2s" "$d/migrate.sh" \
	    >"migrate-$1-$2.out" 2>&1 || {
		cat "migrate-$1-$2.out" >&2
		atf_fail "migrations 1..$2 failed (their output above)"
	}
	[ "$(QDB=$1 q "SELECT string_agg(version::text, ' ' ORDER BY version)
	    FROM public.schema_migrations")" = "$(seq -s ' ' 1 "$2")" ] ||
	    atf_fail "database $1 is not at level $2"
}

# migrate_rest DB FROM: the tree's sql/migrate.sh on database DB (at
# level FROM); it must apply exactly FROM+1 .. the newest, in order.
migrate_rest() {
	DB_URL="host=$PGHOST dbname=$1 user=c2s" "$TOP/sql/migrate.sh" \
	    >"migrate-$1-rest.out" 2>&1 || {
		cat "migrate-$1-rest.out" >&2
		atf_fail "the upgrade failed (its output above)"
	}
	applied_since "$2" <"migrate-$1-rest.out"
}

# applied_since N <OUTPUT: migrate.sh's output says it applied N+1 .. the
# newest, in order, and nothing else.
applied_since() {
	local want got
	want=$(seq $(($1 + 1)) "$(latest)" | tr '\n' ' ')
	got=$(sed -n 's/^migrate: applied 0*\([0-9]*\)-.*/\1/p' | tr '\n' ' ')
	[ "$got" = "$want" ] ||
	    atf_fail "migrations applied: '$got', expected '$want'"
}

# fresh_c2s N: the private stack's database c2s replaced by an empty one
# at level N (its responders' connections are closed; they reconnect).
fresh_c2s() {
	su_psql -c "DROP DATABASE c2s WITH (FORCE)" \
	    -c "CREATE DATABASE c2s OWNER c2s" ||
	    atf_fail "cannot recreate database c2s"
	migrate_to c2s "$1"
}

# ------------------------------------------------------------------
# The migrations meeting rows.

atf_test_case migrate__0003_0005_leads_notes cleanup
migrate__0003_0005_leads_notes_head() {
	atf_set descr "leads, persons, notes and lead_persons stored at " \
	    "level 2 survive every later migration: no row lost, their " \
	    "values unchanged, the new columns at their defaults (notes " \
	    "'posted', note_state 'none', retries 0), the counters of 0012 " \
	    "made from them, the widened constraints taking new values"
	atf_set require.progs "psql curl jq"
}
migrate__0003_0005_leads_notes_body() {
	private_stack RATE_LIMIT=0 C2S_WORKERS=0 C2S_POOL=1
	fresh_c2s 2
	# A completed lead with its person and note, a partial one due for a
	# retry, one received and one left processing (a dead responder).
	q "INSERT INTO c2s.persons (id, cpf, name, name_folded, birth_date)
	    VALUES ('00000000-0000-4000-8000-000000000001', '52998224725',
	    'José Araújo', 'JOSE ARAUJO', '1980-02-29')" >/dev/null
	q "INSERT INTO c2s.leads (lead_id, source, status, attempts,
	    last_error, customer_name, phone, email, next_retry_at, created_at,
	    updated_at) VALUES
	    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', 'webhook', 'completed', 1,
	     NULL, 'José Araújo', '11987654321', 'jose@example.com', NULL,
	     now() - interval '3 days', now() - interval '3 days'),
	    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2', 'api', 'partial', 2,
	     'work_api: 503', 'Ana', '21998765432', NULL,
	     now() + interval '1 hour', now() - interval '1 day', now()),
	    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3', 'poller', 'received', 0,
	     NULL, NULL, NULL, NULL, NULL, now(), now()),
	    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa4', 'google_ads', 'processing', 1,
	     NULL, 'Bia', '31987654321', 'bia@example.com', NULL, now(), now())
	    " >/dev/null
	q "INSERT INTO c2s.lead_persons VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1',
	    '00000000-0000-4000-8000-000000000001', 'phone')" >/dev/null
	q "INSERT INTO c2s.notes (lead_id, text_sha256, body) VALUES
	    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', repeat('ab', 32), 'nota')" \
	    >/dev/null
	LEADS="SELECT md5(string_agg(row(lead_id, source, status, attempts,
	    last_error, customer_name, phone, email, next_retry_at, created_at,
	    updated_at)::text, ',' ORDER BY lead_id)) FROM c2s.leads"
	# lead_persons in the columns level 2 has (0014 adds two, NULL).
	OTHERS="SELECT md5(concat((SELECT string_agg(p::text, ',') FROM
	    c2s.persons p), (SELECT string_agg(row(lp.lead_id, lp.person_id,
	    lp.found_by)::text, ',') FROM c2s.lead_persons lp), (SELECT string_agg(row(n.lead_id,
	    n.text_sha256, n.body, n.posted_at)::text, ',') FROM c2s.notes n)))"
	before=$(q "$LEADS")
	others=$(q "$OTHERS")

	migrate_rest c2s 2

	[ "$(q "$LEADS")" = "$before" ] || atf_fail "the leads' values changed"
	[ "$(q "$OTHERS")" = "$others" ] ||
	    atf_fail "persons, lead_persons or notes changed"
	atf_check -o inline:'4|4|4|4|4\n' psql -X -At -h "$PGHOST" -U c2s \
	    -d c2s -c "SELECT count(*), count(*) FILTER (WHERE
	    note_state = 'none'), count(*) FILTER (WHERE retries = 0 AND
	    contacts_seen IS NULL AND run_started_at IS NULL),
	    count(*) FILTER (WHERE dossiers_fetched = 0 AND
	    dossiers_reused = 0), (SELECT count(*) FROM c2s.leads WHERE
	    lead_id LIKE 'aaaa%') FROM c2s.leads"
	atf_check -o inline:'posted\n' psql -X -At -h "$PGHOST" -U c2s -d c2s \
	    -c "SELECT string_agg(state, ',') FROM c2s.notes"
	# 0012 counted the rows there were.
	atf_check -o inline:'4|1|1|1|1|1|1|1|1|0\n' psql -X -At -h "$PGHOST" \
	    -U c2s -d c2s -c "SELECT concat_ws('|', c2s.counter('leads_total'),
	    c2s.counter('leads_status_completed'),
	    c2s.counter('leads_status_partial'),
	    c2s.counter('leads_status_received'),
	    c2s.counter('leads_status_processing'),
	    c2s.counter('leads_source_webhook'), c2s.counter('leads_source_api'),
	    c2s.counter('leads_source_poller'),
	    c2s.counter('leads_source_google_ads'),
	    c2s.counter('leads_source_retry'))"
	# The worker's queue (leads_retry_idx of 0005) now covers the
	# received and processing leads: the planner can use it for them.
	atf_check -o match:'leads_retry_idx' psql -X -At -h "$PGHOST" -U c2s \
	    -d c2s -c "SET enable_seqscan = off; EXPLAIN SELECT lead_id FROM
	    c2s.leads WHERE status IN ('received', 'processing', 'partial',
	    'unenriched') OR note_state = 'pending'"
	# The constraints hold on the old rows and take what 0005 widened.
	atf_check -s not-exit:0 -e match:'check constraint' psql -X -h "$PGHOST" \
	    -U c2s -d c2s -c "UPDATE c2s.leads SET note_state = 'sent'"
	atf_check -s not-exit:0 -e match:'check constraint' psql -X -h "$PGHOST" \
	    -U c2s -d c2s -c "UPDATE c2s.notes SET state = 'queued'"
	atf_check -o ignore psql -X -v ON_ERROR_STOP=1 -h "$PGHOST" -U c2s \
	    -d c2s -c "BEGIN" -c "INSERT INTO c2s.leads (lead_id, source)
	    VALUES ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa5', 'retry')" \
	    -c "INSERT INTO c2s.lead_persons VALUES
	    ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3',
	    '00000000-0000-4000-8000-000000000001', 'form')" -c "ROLLBACK"

	# The service reads the old person through the upgraded schema.
	expect_status 200 GET /api/v1/customers/00000000-0000-4000-8000-000000000001
	json '.cpf == "52998224725" and .name == "José Araújo" and
	    .birth_date == "1980-02-29" and (.leads | length) == 1 and
	    .leads[0].lead_id == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1" and
	    .leads[0].status == "completed" and .leads[0].found_by == "phone"'
	private_stack_stop
}
migrate__0003_0005_leads_notes_cleanup() {
	private_stack_stop
}

atf_test_case migrate__0009_phones cleanup
migrate__0009_phones_head() {
	atf_set descr "0009 rewrites the dossier phones stored as digits " \
	    "with a country code or a trunk prefix into national digits, " \
	    "once per person and number, keeping every row (a national " \
	    "form already there, or a second spelling of it, stays as it " \
	    "was); e-mails untouched; a lookup by phone then finds the person"
	atf_set require.progs "psql curl jq"
}
migrate__0009_phones_body() {
	private_stack RATE_LIMIT=0 C2S_WORKERS=0 C2S_POOL=1
	fresh_c2s 8
	P1=00000000-0000-4000-8000-000000000001
	P2=00000000-0000-4000-8000-000000000002
	P3=00000000-0000-4000-8000-000000000003
	q "INSERT INTO c2s.persons (id, cpf, name) VALUES
	    ('$P1', '52998224725', 'Um'), ('$P2', '11144477735', 'Dois'),
	    ('$P3', '39053344705', 'Tres')" >/dev/null
	# As the round-1 person_store wrote them: a dossier's phone as its
	# digits (country code and trunk prefix kept), the lead's own phone
	# in national digits after the dossier's (ids 12, 13: the national
	# form is the newer row), e-mails lower case.
	q "INSERT INTO c2s.contacts (id, person_id, type, value, whatsapp,
	    source, created_at) VALUES
	    (1, '$P1', 'phone', '5511987654321', true, 'work_api', '2026-11-20'),
	    (2, '$P1', 'phone', '011987654321', false, 'work_api', '2026-11-20'),
	    (3, '$P1', 'phone', '01132654321', NULL, 'work_api', '2026-11-20'),
	    (4, '$P1', 'email', '5511987654321@example.com', NULL, 'work_api',
	     '2026-11-20'),
	    (5, '$P2', 'phone', '21998765432', NULL, 'lead', '2026-11-21'),
	    (6, '$P2', 'phone', '5521998765432', true, 'work_api', '2026-11-21'),
	    (7, '$P2', 'phone', '551132654321', NULL, 'work_api', '2026-11-21'),
	    (8, '$P3', 'phone', '5511987654', NULL, 'work_api', '2026-11-22'),
	    (9, '$P3', 'phone', '55987654321', NULL, 'work_api', '2026-11-22'),
	    (10, '$P3', 'phone', '0800123456', NULL, 'work_api', '2026-11-22'),
	    (11, '$P3', 'phone', '5531991234567', false, 'work_api',
	     '2026-11-22'),
	    (12, '$P3', 'phone', '5562981234567', true, 'work_api',
	     '2026-11-22'),
	    (13, '$P3', 'phone', '62981234567', NULL, 'lead', '2026-11-22')
	    " >/dev/null
	q "SELECT setval('c2s.contacts_id_seq', 13)" >/dev/null

	migrate_rest c2s 8

	# id|person|type|value|whatsapp|source|created_at, every row there.
	cat >expected <<EOF
1|1|phone|11987654321|true|work_api|2026-11-20
2|1|phone|011987654321|false|work_api|2026-11-20
3|1|phone|1132654321||work_api|2026-11-20
4|1|email|5511987654321@example.com||work_api|2026-11-20
5|2|phone|21998765432||lead|2026-11-21
6|2|phone|5521998765432|true|work_api|2026-11-21
7|2|phone|1132654321||work_api|2026-11-21
8|3|phone|5511987654||work_api|2026-11-22
9|3|phone|55987654321||work_api|2026-11-22
10|3|phone|0800123456||work_api|2026-11-22
11|3|phone|31991234567|false|work_api|2026-11-22
12|3|phone|5562981234567|true|work_api|2026-11-22
13|3|phone|62981234567||lead|2026-11-22
EOF
	atf_check -o file:expected psql -X -At -h "$PGHOST" -U c2s -d c2s -c \
	    "SELECT concat_ws('|', id, right(person_id::text, 1), type, value,
	    coalesce(whatsapp::text, ''), source, created_at::date)
	    FROM c2s.contacts ORDER BY id"
	# The unique key holds: the rewritten number cannot come again.
	atf_check -s not-exit:0 -e match:'duplicate key' psql -X -h "$PGHOST" \
	    -U c2s -d c2s -c "INSERT INTO c2s.contacts (person_id, type, value)
	    VALUES ('$P1', 'phone', '11987654321')"
	# A lookup by phone (national digits) finds the person whose dossier
	# had written the number with its country code.
	expect_status 200 GET /api/v1/contributor/customer -G \
	    --data-urlencode 'phone=+55 (31) 99123-4567'
	json '.by == "phone" and .source == "database" and
	    [.customers[].cpf] == ["39053344705"]'
	private_stack_stop
}
migrate__0009_phones_cleanup() {
	private_stack_stop
}

atf_test_case migrate__0014_doubled_cc cleanup
migrate__0014_doubled_cc_head() {
	atf_set descr "0014 rewrites the phones stored with the country code " \
	    "written twice (5555 then 10 or 11 digits) into national " \
	    "digits, keeping a row whose national form the person has; " \
	    "other values untouched; tier 0 then finds the person of a " \
	    "dossier phone stored so, with no Diretrix call for it"
	atf_set require.progs "psql curl jq"
}
migrate__0014_doubled_cc_body() {
	local id phone cpf name
	private_stack RATE_LIMIT=0 C2S_WORKERS=0 C2S_POOL=1
	fresh_c2s 13
	id=$(find_lead doubled_cc fa17bc04)
	phone=$(jq -r .phone truth)
	cpf=$(jq -r .phone_person.cpf truth)
	name=$(jq -r .phone_person.name truth)
	P1=00000000-0000-4000-8000-000000000001
	P2=00000000-0000-4000-8000-000000000002
	P3=00000000-0000-4000-8000-000000000003
	q "INSERT INTO c2s.persons (id, cpf, name) VALUES
	    ('$P1', '$cpf', upper('$name')), ('$P2', '11144477735', 'Dois'),
	    ('$P3', '39053344705', 'Tres')" >/dev/null
	# As 0009's phone_national() left them: a dossier's phone written
	# "+55 55 DD 9NNNN-NNNN" stored as its 15 digits.
	q "INSERT INTO c2s.contacts (id, person_id, type, value, whatsapp,
	    source, created_at) VALUES
	    (1, '$P1', 'phone', '5555$phone', true, 'work_api', '2026-11-20'),
	    (2, '$P2', 'phone', '555521998765432', NULL, 'work_api',
	     '2026-11-21'),
	    (3, '$P2', 'phone', '21998765432', NULL, 'lead', '2026-11-21'),
	    (4, '$P3', 'phone', '55553132654321', false, 'work_api',
	     '2026-11-22'),
	    (5, '$P3', 'phone', '55551234', NULL, 'work_api',
	     '2026-11-22'),
	    (6, '$P3', 'phone', '5555559876543210', NULL, 'work_api',
	     '2026-11-22'),
	    (7, '$P3', 'email', '555531991234567@example.com', NULL,
	     'work_api', '2026-11-22')" >/dev/null
	q "SELECT setval('c2s.contacts_id_seq', 7)" >/dev/null

	migrate_rest c2s 13

	cat >expected <<EOF
1|1|phone|$phone|true|work_api|2026-11-20
2|2|phone|555521998765432||work_api|2026-11-21
3|2|phone|21998765432||lead|2026-11-21
4|3|phone|3132654321|false|work_api|2026-11-22
5|3|phone|55551234||work_api|2026-11-22
6|3|phone|5555559876543210||work_api|2026-11-22
7|3|email|555531991234567@example.com||work_api|2026-11-22
EOF
	atf_check -o file:expected psql -X -At -h "$PGHOST" -U c2s -d c2s -c \
	    "SELECT concat_ws('|', id, right(person_id::text, 1), type, value,
	    coalesce(whatsapp::text, ''), source, created_at::date)
	    FROM c2s.contacts ORDER BY id"
	[ "$(q "SELECT c2s.phone_national('+55 55 11 98765-4321') || ' ' ||
	    c2s.phone_national('+55 (55) 99123-4567') || ' ' ||
	    c2s.phone_national('5511987654321')")" = \
	    "11987654321 55991234567 11987654321" ] ||
	    atf_fail "phone_national does not repair the doubled code alone"
	# The lead whose phone C2S sends with 55 twice: its person is found
	# in the stored contacts, Diretrix never asked for the phone.
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.cpfs_processed == ["'$cpf'"]'
	[ "$(sim_calls diretrix /Telefone/)" = 0 ] ||
	    atf_fail "Diretrix was asked for a phone stored before 0014"
	[ "$(q "SELECT cpf_tier FROM c2s.leads WHERE lead_id = '$id'")" = \
	    stored ] || atf_fail "the lead's tier is not stored"
	private_stack_stop
}
migrate__0014_doubled_cc_cleanup() {
	private_stack_stop
}

atf_test_case migrate__0010_0013_events_jobs cleanup
migrate__0010_0013_events_jobs_head() {
	atf_set descr "webhook events, jobs and Google forms stored at the " \
	    "first round's level meet 0010-0013: repeated events without a " \
	    "lead id told apart (key#id) before their unique index, every " \
	    "row kept, the counters of 0012 counted from them, forms real " \
	    "(is_test false), old jobs valid under 0013's check; a " \
	    "repeat delivery of an old event is a duplicate"
	atf_set require.progs "psql curl jq"
}
migrate__0010_0013_events_jobs_body() {
	private_stack RATE_LIMIT=0 C2S_WORKERS=0 C2S_POOL=1
	fresh_c2s $ROUND1
	A=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1
	B=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2
	T=2026-11-30T10:00:00Z
	q "INSERT INTO c2s.leads (lead_id, source, status, contacts_seen)
	    VALUES ('$A', 'webhook', 'completed', '11991234567|'),
	    ('$B', 'webhook', 'partial', '')" >/dev/null
	# As the first round's c2s.webhook_ingest() stored them: an event
	# without a lead id keyed by its updated_at, so the same one sent
	# three times is three rows.
	q "INSERT INTO c2s.webhook_events (id, lead_id, event_key, hook_action,
	    payload, disposition) VALUES
	    (1, '$A', '$T', 'on_create_lead', '{\"n\":1}', 'queued'),
	    (2, '$A', '2026-11-30T10:05:00Z', 'on_update_lead', '{\"n\":2}',
	     'merged'),
	    (3, NULL, '$T', 'on_create_lead', '{\"n\":3}', 'invalid'),
	    (4, NULL, '$T', 'on_create_lead', '{\"n\":3}', 'invalid'),
	    (5, NULL, '$T', 'on_create_lead', '{\"n\":3}', 'invalid'),
	    (6, NULL, 'md5:0123', 'on_update_lead', '{\"n\":6}', 'invalid'),
	    (7, '$B', '$T', 'on_close_lead', '{\"n\":7}', 'closed'),
	    (8, '$B', '2026-11-30T11:00:00Z', 'on_update_lead', '{\"n\":8}',
	     'own_note'),
	    (9, '$B', '2026-11-30T12:00:00Z', 'on_update_lead', '{\"n\":9}',
	     'unchanged')" >/dev/null
	q "SELECT setval('c2s.webhook_events_id_seq', 9)" >/dev/null
	q "INSERT INTO c2s.jobs (kind, ref, source, state, tries, owner,
	    started_at, finished_at) VALUES
	    ('lead', '$A', 'webhook', 'queued', 0, NULL, NULL, NULL),
	    ('lead', '$B', 'retry', 'running', 1, 'h:1', now(), NULL),
	    ('google_ads', 'form-1', 'google_ads', 'done', 1, 'h:1', now(),
	     now()),
	    ('lead', '$B', 'poller', 'failed', 5, 'h:1', now(), now())" >/dev/null
	q "INSERT INTO c2s.google_leads (form_lead_id, payload, state,
	    c2s_lead_id) VALUES ('form-1', '{\"lead_id\":\"form-1\"}',
	    'created', '$A'), ('form-2', '{\"lead_id\":\"form-2\"}',
	    'unknown', NULL)" >/dev/null

	migrate_rest c2s $ROUND1

	cat >expected <<EOF
1|$A|$T|queued
2|$A|2026-11-30T10:05:00Z|merged
3||$T|invalid
4||$T#4|invalid
5||$T#5|invalid
6||md5:0123|invalid
7|$B|$T|closed
8|$B|2026-11-30T11:00:00Z|own_note
9|$B|2026-11-30T12:00:00Z|unchanged
EOF
	atf_check -o file:expected psql -X -At -h "$PGHOST" -U c2s -d c2s -c \
	    "SELECT concat_ws('|', id, coalesce(lead_id, ''), event_key,
	    disposition) FROM c2s.webhook_events ORDER BY id"
	atf_check -o inline:'9|4|4|1|1|1|1\n' psql -X -At -h "$PGHOST" -U c2s \
	    -d c2s -c "SELECT concat_ws('|', c2s.counter('webhook_events'),
	    c2s.counter('webhook_events_merged'),
	    c2s.counter('webhook_events_invalid'), c2s.counter('jobs_queued'),
	    c2s.counter('jobs_running'), c2s.counter('jobs_done'),
	    c2s.counter('jobs_failed'))"
	atf_check -o inline:'form-1|created|f\nform-2|unknown|f\n' \
	    psql -X -At -h "$PGHOST" -U c2s -d c2s -c "SELECT concat_ws('|',
	    form_lead_id, state, is_test) FROM c2s.google_leads ORDER BY 1"
	# The new constraints hold on the old rows.
	atf_check -s not-exit:0 -e match:'duplicate key' psql -X -h "$PGHOST" \
	    -U c2s -d c2s -c "UPDATE c2s.webhook_events SET event_key = '$T'
	    WHERE id = 4"
	atf_check -s not-exit:0 -e match:'check constraint' psql -X \
	    -h "$PGHOST" -U c2s -d c2s -c "UPDATE c2s.google_leads
	    SET state = 'test' WHERE form_lead_id = 'form-2'"

	# Through the service: the figures, and an old event sent again.
	expect_status 200 GET /api/v1/stats
	json '.saved.webhook_events == 9 and .saved.webhook_events_merged == 4
	    and .jobs == {"queued": 1, "running": 1, "done": 1, "failed": 1}'
	jq -nc --arg id "$A" --arg t "$T" '{hook_action: "on_create_lead",
	    data: {type: "lead", id: $id, attributes: {updated_at: $t,
	    customer: {name: "Ana", phone: "11991234567", email: null}}}}' \
	    >event
	expect_status 200 POST /api/v1/webhooks/c2s \
	    -H 'Content-Type: application/json' \
	    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" --data-binary @event
	json '.duplicates == 1'
	[ "$(q "SELECT count(*) FROM c2s.webhook_events")" = 9 ] ||
	    atf_fail "the repeat was stored again"
	private_stack_stop
}
migrate__0010_0013_events_jobs_cleanup() {
	private_stack_stop
}

# ------------------------------------------------------------------
# An upgrade from the first round's schema, with a run's data.

# The tables of the first round's schema, parents first.
ROUND1_TABLES="persons leads lead_persons contacts addresses dossiers notes
    lead_claims webhook_events jobs google_leads work_spacing"

# copy_to_old: the rows of database c2s copied into database "old" (at
# level ROUND1), table by table, in the columns "old" has (what a
# pg_dump of the first round's database would hold), with its sequences
# set past the ids copied.
copy_to_old() {
	local t cols col have
	have=$(QDB=old q "SELECT string_agg(table_name, ' ' ORDER BY
	    table_name) FROM information_schema.tables
	    WHERE table_schema = 'c2s'")
	[ "$have" = "$(echo $ROUND1_TABLES | tr ' ' '\n' | sort | xargs)" ] ||
	    atf_fail "level $ROUND1 has the tables '$have'"
	for t in $ROUND1_TABLES; do
		cols=$(QDB=old q "SELECT string_agg(quote_ident(column_name),
		    ',' ORDER BY ordinal_position) FROM
		    information_schema.columns WHERE table_schema = 'c2s'
		    AND table_name = '$t'")
		psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -U c2s -d c2s \
		    -c "COPY (SELECT $cols FROM c2s.$t) TO STDOUT" >"$t.copy" &&
		psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -U c2s -d old \
		    -c "COPY c2s.$t ($cols) FROM STDIN" <"$t.copy" ||
		    atf_fail "cannot copy c2s.$t into level $ROUND1"
		col=$(QDB=old q "SELECT column_name FROM
		    information_schema.columns WHERE table_schema = 'c2s'
		    AND table_name = '$t' AND column_default LIKE 'nextval%'")
		[ -z "$col" ] || QDB=old q "SELECT setval(
		    pg_get_serial_sequence('c2s.$t', '$col'),
		    (SELECT coalesce(max($col), 0) + 1 FROM c2s.$t), false)" \
		    >/dev/null
	done
}

# counts [DB]: every first-round table and its rows, one a line.
counts() {
	local t
	for t in $ROUND1_TABLES; do
		echo "$t $(QDB=${1:-c2s} q "SELECT count(*) FROM c2s.$t")"
	done
}

# wh_event ID UPDATED_AT ACTION: a C2S event (JSON:API shape) with the
# simulator's lead ID, into ./event.
wh_event() {
	curl -s "$C2S_SIM_URL/integration/leads/$1" \
	    -H "Authorization: Bearer sim-c2s-token" | jq -c --arg t "$2" \
	    --arg a "$3" '.data | .attributes.updated_at = $t |
	    {hook_action: $a, data: .}' >event || atf_fail "no lead $1"
}

wh_post() {
	http POST /api/v1/webhooks/c2s -H 'Content-Type: application/json' \
	    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" --data-binary @event
}

atf_test_case upgrade__round1_run_served cleanup
upgrade__round1_run_served_head() {
	atf_set descr "a cluster whose database is at the first round's " \
	    "last migration, holding a run's leads, persons, contacts, " \
	    "dossiers, notes, claims, webhook events and a queued job, " \
	    "started by stack.sh (its migrate.sh applies the rest): the " \
	    "stored lead is answered from dedup without an upstream call, " \
	    "the old person reads the same, the stats count the old rows, " \
	    "new writes work and the job it queued runs once"
	atf_set require.progs "psql curl jq md5sum"
	atf_set timeout 300
}
upgrade__round1_run_served_body() {
	# The run, on a stack kept after it stops (its cluster is reused).
	private_stack RATE_LIMIT=0 C2S_KEEP=1 C2S_WORKERS=0 C2S_POOL=1
	echo "$RUNDIR" >old_rundir
	X=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$X"
	json '.status == "completed" and .duplicate_request == false'
	Y=$(find_lead no_cpf)
	expect_status 200 GET "/api/v1/leads/process?id=$Y"
	json '.status == "unenriched"'
	Z=$(find_lead normal)
	wh_event "$Z" 2026-11-30T10:00:00Z on_create_lead
	[ "$(wh_post)" = 200 ] || atf_fail "webhook: $(cat body)"
	wh_event "$X" 2026-11-30T11:00:00Z on_close_lead
	[ "$(wh_post)" = 200 ] || atf_fail "webhook: $(cat body)"
	PID=$(q "SELECT person_id FROM c2s.lead_persons WHERE lead_id = '$X'
	    ORDER BY person_id LIMIT 1")
	[ -n "$PID" ] || atf_fail "lead $X found no person"
	[ "$(q "SELECT count(*) FROM c2s.notes WHERE lead_id = '$X'")" = 1 ] ||
	    atf_fail "no note for $X"
	[ "$(q "SELECT count(*) FROM c2s.jobs WHERE ref = '$Z' AND
	    state = 'queued'")" = 1 ] || atf_fail "no job queued for $Z"
	[ "$(q "SELECT count(*) FROM c2s.dossiers")" -ge 1 ] ||
	    atf_fail "no dossier stored"
	expect_status 200 GET "/api/v1/customers/$PID"
	jq -S . body >customer.before
	expect_status 200 GET /api/v1/stats
	# The tier that found a CPF is not in the first round's rows: its
	# leads count in no tier after the upgrade (checked below).
	jq -S 'del(.generated_at, .tiers)' body >stats.before
	counts >counts.before

	# The same rows in a database at the first round's level, in place
	# of the run's; the stack stopped, its cluster kept, stamped as a
	# template of this tree so that stack.sh starts from it.
	su_psql -c "CREATE DATABASE old OWNER c2s" || atf_fail "no database old"
	migrate_to old $ROUND1
	copy_to_old
	counts old >counts.old
	atf_check -o file:counts.before cat counts.old
	su_psql -c "DROP DATABASE c2s WITH (FORCE)" \
	    -c "ALTER DATABASE old RENAME TO c2s" || atf_fail "cannot swap"
	private_stack_stop
	OLD=$(cat old_rundir)
	[ -d "$OLD/pg" ] || atf_fail "the cluster of $OLD was not kept"
	"$TOP/httpd-conf/stack.sh" stamp >"$OLD/stamp" || atf_fail "no stamp"

	# The upgrade: stack.sh copies the cluster and migrates it.
	private_stack RATE_LIMIT=0 C2S_PG_TEMPLATE="$OLD" C2S_WORKERS=0 C2S_POOL=2
	grep -q "copied from the template $OLD" "$RUNDIR/stack.out" ||
	    atf_fail "stack.sh did not start from the old cluster"
	applied_since $ROUND1 <"$RUNDIR/log/stack.log"
	expect_status 200 GET /ready
	counts >counts.after
	atf_check -o file:counts.before cat counts.after

	# The figures: the old rows counted (0012 made its counters from
	# them), every figure as before.
	expect_status 200 GET /api/v1/stats
	jq -S 'del(.generated_at, .tiers)' body >stats.after
	atf_check -o file:stats.before cat stats.after
	json '.tiers.found == 0 and .tiers.stored_share == 0'
	json '.leads.total == 2 and .leads.by_status.completed == 1 and
	    .leads.by_status.unenriched == 1 and .saved.webhook_events == 2 and
	    .saved.webhook_events_merged == 1 and .jobs.queued == 1'
	# The old person, the same document.
	expect_status 200 GET "/api/v1/customers/$PID"
	jq -S . body >customer.after
	atf_check -o file:customer.before cat customer.after
	# The stored lead: a duplicate found by its claim row (this stack's
	# dedup file is new), answered without any upstream call.
	expect_status 200 GET "/api/v1/leads/process?id=$X"
	json '.duplicate_request == true and .status == "completed"'
	atf_check -o inline:'0\n' sh -c "curl -s '$C2S_SIM_URL/__sim/calls' |
	    jq '[.calls[].count] | add // 0'"
	expect_status 200 GET /api/v1/stats
	json '.saved.duplicate_leads.found_in_database == 1 and
	    .saved.duplicate_leads.found_in_file == 0'

	# New rows next to the old ones.
	W=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$W"
	json '.status == "completed" and .duplicate_request == false'
	wh_event "$Z" 2026-11-30T12:00:00Z on_update_lead
	[ "$(wh_post)" = 200 ] || atf_fail "webhook: $(cat body)"
	json '.. | objects | select(has("disposition")) | .disposition ==
	    "merged"'
	# The job the first round queued, run by this release's worker:
	# once, its note posted once.
	start_worker worker.log
	echo "$WORKER_PID" >worker.pid
	wait_for 600 eval "[ \"\$(q \"SELECT state FROM c2s.jobs
	    WHERE ref = '$Z'\")\" = done ]" ||
	    atf_fail "the old job for $Z did not run: $(tail -5 worker.log)"
	atf_check -o inline:'completed|1|1\n' psql -X -At -h "$PGHOST" -U c2s \
	    -d c2s -c "SELECT concat_ws('|', (SELECT status FROM c2s.leads
	    WHERE lead_id = '$Z'), (SELECT count(*) FROM c2s.notes
	    WHERE lead_id = '$Z'), (SELECT count(*) FROM c2s.jobs
	    WHERE ref = '$Z'))"
	[ "$(curl -s "$C2S_SIM_URL/__sim/notes?lead=$Z" |
	    jq '.notes | length')" = 1 ] || atf_fail "not one note at C2S for $Z"
	kill -TERM "$WORKER_PID"
	wait "$WORKER_PID"
	rm -f worker.pid
	private_stack_stop
}
upgrade__round1_run_served_cleanup() {
	[ -r worker.pid ] && kill -TERM "$(cat worker.pid)" 2>/dev/null
	private_stack_stop
	[ -r old_rundir ] && case $(cat old_rundir) in
	/tmp/c2s-enrich.*) "$STACK" stop "$(cat old_rundir)" 2>/dev/null
	    rm -rf "$(cat old_rundir)" ;;
	esac
	return 0
}

# ------------------------------------------------------------------
# The statement timeout (lib/io/pg.c: statement_timeout = REQUEST_DEADLINE).

# lock_table TABLE: a psql session of the test holds TABLE in ACCESS
# EXCLUSIVE mode (nobody reads or writes it) until unlock; its pid in
# LOCK_PID.
lock_table() {
	rm -f lock.in && mkfifo lock.in || atf_fail "mkfifo"
	psql -X -v ON_ERROR_STOP=1 -h "$PGHOST" -U c2s -d c2s <lock.in \
	    >lock.out 2>&1 &
	LOCK_PID=$!
	echo "$LOCK_PID" >lock.pid
	exec 3>lock.in
	printf 'BEGIN;\nLOCK TABLE c2s.%s IN ACCESS EXCLUSIVE MODE;\n%s\n' \
	    "$1" "SELECT 'lock' || 'ed';" >&3
	wait_for 300 grep -qx ' locked' lock.out ||
	    atf_fail "the lock on $1 was not taken: $(cat lock.out)"
}

unlock() {
	printf 'COMMIT;\n' >&3
	exec 3>&-
	wait "$LOCK_PID" || atf_fail "the locking session failed: $(cat lock.out)"
	rm -f lock.pid
}

# timeouts: how many statements PostgreSQL cancelled for the timeout.
timeouts() {
	grep -c 'canceling statement due to statement timeout' \
	    "$RUNDIR/log/postgres.log"
}

atf_test_case timeout__lock_held cleanup
timeout__lock_held_head() {
	atf_set descr "a statement held past REQUEST_DEADLINE by a lock " \
	    "(a table locked by another session) is cancelled by " \
	    "PostgreSQL: a read answers 503 database_unavailable, a lead " \
	    "trigger goes to the spool (202) and is run once the lock " \
	    "goes; the same responder answers the next requests"
	atf_set require.progs "psql curl jq mkfifo"
	atf_set timeout 300
}
timeout__lock_held_body() {
	private_stack RATE_LIMIT=0 REQUEST_DEADLINE=2s WORKER_POLL_INTERVAL=500ms \
	    C2S_POOL=1 C2S_WORKERS=1
	X=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$X"
	json '.status == "completed"'
	PID=$(q "SELECT person_id FROM c2s.lead_persons WHERE lead_id = '$X'
	    ORDER BY person_id LIMIT 1")
	expect_status 200 GET "/api/v1/customers/$PID"
	jq -S . body >customer.before
	R1=$(responders)
	[ "$(timeouts)" = 0 ] || atf_fail "statement timeouts before the lock"

	# A read behind the lock (of the table it reads: the customer
	# documents, sql/0021).
	lock_table customer_docs
	t0=$(now_ms)
	expect_status 503 GET "/api/v1/customers/$PID"
	ms=$(( $(now_ms) - t0 ))
	expect_json_error database_unavailable
	if [ "$ms" -lt 1900 ] || [ "$ms" -ge 20000 ]; then
		tail -5 "$RUNDIR/log/postgres.log" "$RUNDIR/log/pool.log" >&2
		atf_fail "answered in $ms ms, not at the 2 s statement timeout"
	fi
	[ "$(timeouts)" -ge 1 ] || atf_fail "no statement timeout logged"
	alive "$LOCK_PID" || atf_fail "the locking session ended"
	unlock
	expect_status 200 GET "/api/v1/customers/$PID"
	jq -S . body >customer.after
	atf_check -o file:customer.before cat customer.after
	[ "$(responders)" = "$R1" ] || atf_fail "the responder was replaced"

	# A lead trigger behind the lock: spooled, then run once.
	Y=$(find_lead normal)
	n0=$(timeouts)
	lock_table leads
	t0=$(now_ms)
	expect_status 202 POST "/api/v1/c2s/enrich/$Y" -d ''
	ms=$(( $(now_ms) - t0 ))
	json '.spooled == true and .status == "queued" and .lead_id == "'$Y'"'
	[ "$ms" -ge 1900 ] || atf_fail "spooled after $ms ms, before the timeout"
	[ "$(timeouts)" -gt "$n0" ] || atf_fail "no statement timeout logged"
	unlock
	wait_for 600 eval "[ \"\$(q \"SELECT status FROM c2s.leads
	    WHERE lead_id = '$Y'\")\" = completed ]" ||
	    atf_fail "lead $Y not run after the lock: $(q "SELECT status
	    FROM c2s.leads WHERE lead_id = '$Y'")"
	atf_check -o inline:'1|1|1\n' psql -X -At -h "$PGHOST" -U c2s -d c2s \
	    -c "SELECT concat_ws('|', (SELECT count(*) FROM c2s.leads WHERE
	    lead_id = '$Y'), (SELECT count(*) FROM c2s.notes WHERE
	    lead_id = '$Y'), (SELECT count(*) FROM c2s.spool_done))"
	[ "$(curl -s "$C2S_SIM_URL/__sim/notes?lead=$Y" |
	    jq '.notes | length')" = 1 ] || atf_fail "not one note at C2S for $Y"
	expect_status 200 GET "/api/v1/customers/$PID"
	[ "$(responders)" = "$R1" ] || atf_fail "the responder was replaced"
	private_stack_stop
}
timeout__lock_held_cleanup() {
	[ -r lock.pid ] && kill "$(cat lock.pid)" 2>/dev/null
	private_stack_stop
}

atf_init_test_cases() {
	atf_add_test_case migrate__0003_0005_leads_notes
	atf_add_test_case migrate__0009_phones
	atf_add_test_case migrate__0010_0013_events_jobs
	atf_add_test_case migrate__0014_doubled_cc
	atf_add_test_case upgrade__round1_run_served
	atf_add_test_case timeout__lock_held
}
