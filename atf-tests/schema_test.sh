#! /usr/bin/env atf-sh
# schema_test -- the constraints the pipeline relies on, checked on the
# shared stack's migrated database.  Every statement runs inside a
# transaction that is rolled back: nothing is left behind.

. "$(atf_get_srcdir)/common.subr"

# atf_check runs commands, not shell functions: the SQL travels in an
# exported variable to a psql command line run by `atf_check -x`.  The
# connection is the shared stack's PG* variables: atf-sh mangles config
# values that hold '=' (a conninfo string), so pg_dsn cannot be used here.
TX='psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN; $SQL; ROLLBACK"'
PERSON="INSERT INTO c2s.persons (cpf, name) VALUES ('52998224725', 'X')"
LEAD="INSERT INTO c2s.leads (lead_id) VALUES ('0123456789abcdef0123456789abcdef')"

# ok SQL: SQL succeeds.  refused PATTERN SQL: SQL fails saying PATTERN.
ok() {
	shared_stack
	SQL=$1
	export PGHOST PGUSER PGDATABASE SQL
	atf_check -o ignore -x "$TX"
}
refused() {
	shared_stack
	SQL=$2
	export PGHOST PGUSER PGDATABASE SQL
	atf_check -s not-exit:0 -o ignore -e "match:$1" -x "$TX"
}

atf_test_case persons__one_per_cpf
persons__one_per_cpf_head() {
	atf_set descr "a CPF is one person; malformed CPFs are refused"
	atf_set require.config "base_url stack_dir"
}
persons__one_per_cpf_body() {
	ok "$PERSON"
	refused 'duplicate key' "$PERSON; $PERSON"
	refused 'check constraint' \
	    "INSERT INTO c2s.persons (cpf) VALUES ('5299822472x')"
}

atf_test_case leads__id_and_status
leads__id_and_status_head() {
	atf_set descr "lead ids are 32 lowercase hex; status is an outcome"
	atf_set require.config "base_url stack_dir"
}
leads__id_and_status_body() {
	ok "INSERT INTO c2s.leads (lead_id, status) VALUES
	    ('0123456789abcdef0123456789abcdef', 'partial')"
	refused 'check constraint' \
	    "INSERT INTO c2s.leads (lead_id) VALUES ('0123')"
	refused 'check constraint' "INSERT INTO c2s.leads (lead_id, status)
	    VALUES ('0123456789abcdef0123456789abcdef', 'enriched')"
}

atf_test_case contacts_addresses__deduplicated
contacts_addresses__deduplicated_head() {
	atf_set descr "a contact is stored once per person and type; an " \
	    "address once per person, NULL fields included"
	atf_set require.config "base_url stack_dir"
}
contacts_addresses__deduplicated_body() {
	C="INSERT INTO c2s.contacts (person_id, type, value)
	    SELECT id, 'phone', '11991234567' FROM c2s.persons"
	A="INSERT INTO c2s.addresses (person_id, street, number, cep)
	    SELECT id, 'RUA A', '1', '01001000' FROM c2s.persons"
	ok "$PERSON; $C; $A"
	refused 'duplicate key' "$PERSON; $C; $C"
	refused 'duplicate key' "$PERSON; $A; $A"
}

atf_test_case dossiers__no_error_bodies
dossiers__no_error_bodies_head() {
	atf_set descr "an error-in-200 body cannot be stored as a dossier"
	atf_set require.config "base_url stack_dir"
}
dossiers__no_error_bodies_body() {
	D="INSERT INTO c2s.dossiers (person_id, raw) SELECT id"
	ok "$PERSON; $D, '{\"DadosBasicos\":{\"nome\":\"X\"}}' FROM c2s.persons"
	refused 'check constraint' \
	    "$PERSON; $D, '{\"status\":404,\"reason\":\"x\"}' FROM c2s.persons"
}

atf_test_case notes__posted_once
notes__posted_once_head() {
	atf_set descr "the same note text (by hash) is recorded once per lead"
	atf_set require.config "base_url stack_dir"
}
notes__posted_once_body() {
	N="INSERT INTO c2s.notes (lead_id, text_sha256, body) VALUES
	    ('0123456789abcdef0123456789abcdef', repeat('a', 64), 'x')"
	ok "$LEAD; $N"
	refused 'duplicate key' "$LEAD; $N; $N"
}

atf_test_case phones__national
phones__national_head() {
	atf_set descr "c2s.phone_national() gives a dossier's phone in the " \
	    "national digits a lookup by phone uses: country code and trunk " \
	    "prefix off, a national number with DDD 55 left alone"
	atf_set require.config "base_url stack_dir"
}
phones__national_body() {
	shared_stack
	export PGHOST PGUSER PGDATABASE
	atf_check -o inline:'11987654321|11987654321|11987654321|1132654321|5511987654|55987654321|\n' \
	    psql -X -At -c "SELECT concat_ws('|',
	    c2s.phone_national('+55 (11) 98765-4321'),
	    c2s.phone_national('011 98765 4321'),
	    c2s.phone_national('11987654321'),
	    c2s.phone_national('551132654321'),
	    c2s.phone_national('5511987654'),
	    c2s.phone_national('55987654321'),
	    c2s.phone_national('-'))"
}

atf_init_test_cases() {
	atf_add_test_case persons__one_per_cpf
	atf_add_test_case leads__id_and_status
	atf_add_test_case contacts_addresses__deduplicated
	atf_add_test_case dossiers__no_error_bodies
	atf_add_test_case notes__posted_once
	atf_add_test_case phones__national
}
