#! /usr/bin/env atf-sh
# admin_test -- the operators' actions (DESIGN.md 11.4) on private stacks:
# ADMIN_API_KEYS checked at start; the admin routes closed without an
# admin key (403 for any key, 401 for none); retry and reprocess of a
# lead, their upstream calls and notes counted by the simulator; the list
# of leads, its filters and its validation; the CSV export (BOM, quoting,
# CRLF, pt-BR dates in São Paulo time) and 100 000 rows exported in
# bounded memory.

. "$(atf_get_srcdir)/common.subr"

BIN=$TOP/fcgi/c2s-enrich
KEY=0123456789abcdef0123456789abcdef
ADMIN=admin-admin-admin-admin-0123456789

# req KEY METHOD PATH [curl args]: the request with X-API-Key KEY (none
# when KEY is empty; the test's .curlrc is not read); the status on
# stdout, the body in ./body.
req() {
	local k=$1 m=$2 p=$3
	shift 3
	if [ -n "$k" ]; then
		set -- -H "X-API-Key: $k" "$@"
	fi
	curl -q -s -o body -w '%{http_code}' -X "$m" --max-time 60 "$@" "$URL$p"
}

# expect_req WANT KEY METHOD PATH [curl args]
expect_req() {
	local want=$1 got
	shift
	got=$(req "$@")
	[ "$got" = "$want" ] ||
	    atf_fail "$2 $3: status $got, expected $want; body: $(head -c 300 body)"
}

# expect_admin WANT METHOD PATH [curl args]: with the admin key.
expect_admin() {
	local want=$1
	shift
	expect_req "$want" "$ADMIN" "$@"
}

# Upstream calls the simulator received, and the notes of a lead.
calls() {
	curl -s "$C2S_SIM_URL/__sim/calls" | jq -r ".by_api.$1 // 0"
}
work_cpf_calls() {
	sim_calls work "modulo=cpf"
}
notes() {
	curl -s "$C2S_SIM_URL/__sim/notes?lead=$1" | jq '.notes | length'
}

atf_test_case start__admin_keys_checked
start__admin_keys_checked_head() {
	atf_set descr "ADMIN_API_KEYS follows API_KEYS' rules at start (an " \
	    "empty, short or malformed key: status 1, one line naming it, " \
	    "no key quoted); unset or empty starts, the actions closed"
}
start__admin_keys_checked_body() {
	local k
	for k in , ",$KEY" "$KEY," "$KEY,,$KEY" hunter2hunter2 \
	    "hunter2 hunter2 hunter2"; do
		env -i API_KEYS=$KEY ADMIN_API_KEYS="$k" "$BIN" -n >out 2>err &&
		    atf_fail "started with ADMIN_API_KEYS='$k'"
		[ "$(wc -l <err)" = 1 ] || atf_fail "not one line: $(cat err)"
		grep -q '^c2s-enrich: config: ADMIN_API_KEYS: ' err ||
		    atf_fail "does not name ADMIN_API_KEYS: $(cat err)"
		grep -qi 'hunter' err && atf_fail "quotes the value: $(cat err)"
	done
	atf_check -o inline:'c2s-enrich: configuration ok\n' -e empty \
	    env -i API_KEYS=$KEY "$BIN" -n
	atf_check -o inline:'c2s-enrich: configuration ok\n' -e empty \
	    env -i API_KEYS=$KEY ADMIN_API_KEYS= "$BIN" -n
	atf_check -o inline:'c2s-enrich: configuration ok\n' -e empty \
	    env -i API_KEYS=$KEY ADMIN_API_KEYS="$ADMIN, k-two-k-two-k-two" \
	    "$BIN" -n
}

atf_test_case auth__admin_key cleanup
auth__admin_key_head() {
	atf_set descr "the admin routes want a key of ADMIN_API_KEYS: 401 " \
	    "without a key or with a wrong one, 403 with a plain API key, " \
	    "200 with the admin key (X-API-Key or Bearer), which is also " \
	    "a key of the ordinary routes"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
auth__admin_key_body() {
	local p lid
	private_stack ADMIN_API_KEYS="$ADMIN" C2S_WORKERS=0 C2S_POOL=2 RATE_LIMIT=0
	lid=$(rand_id)
	for p in "GET /api/v1/leads" "GET /api/v1/leads?format=csv" \
	    "POST /api/v1/leads/$lid/retry" "POST /api/v1/leads/$lid/reprocess"; do
		# shellcheck disable=SC2086
		set -- $p
		expect_req 401 "" "$1" "$2" -d ''
		expect_json_error unauthorized
		expect_req 401 not-a-key-of-this-stack "$1" "$2" -d ''
		expect_json_error unauthorized
		expect_req 403 "$C2S_API_KEY" "$1" "$2" -d ''
		expect_json_error forbidden
		grep -q 'not an admin key' body || atf_fail "403 text: $(cat body)"
	done
	expect_admin 200 GET /api/v1/leads
	json '.leads == [] and .count == 0 and .limit == 50 and .offset == 0'
	expect_req 200 "" GET /api/v1/leads -H "Authorization: Bearer $ADMIN"
	expect_req 403 "" GET /api/v1/leads -H "Authorization: Bearer $C2S_API_KEY"
	# An admin key is a key of every route.
	expect_admin 200 GET /api/v1/stats
	# A lead the service never saw: 404 with the admin key.
	expect_admin 404 POST "/api/v1/leads/$lid/retry" -d ''
	expect_json_error lead_unknown
	expect_admin 400 POST /api/v1/leads/not-an-id/reprocess -d ''
	expect_json_error bad_request
	expect_admin 405 GET "/api/v1/leads/$lid/retry"
	private_stack_stop
}
auth__admin_key_cleanup() {
	private_stack_stop
}

atf_test_case auth__no_admin_key cleanup
auth__no_admin_key_head() {
	atf_set descr "without ADMIN_API_KEYS the admin routes answer 403 " \
	    "to every key, 401 without one; the ordinary routes still work"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
auth__no_admin_key_body() {
	local p lid
	private_stack C2S_NO_ADMIN_KEY=1 C2S_WORKERS=0 C2S_POOL=2
	[ -z "$C2S_ADMIN_KEY" ] || atf_fail "the stack has an admin key"
	grep -q '^ADMIN_API_KEYS=' "$RUNDIR/responder.env" &&
	    atf_fail "ADMIN_API_KEYS reached the responders"
	lid=$(rand_id)
	for p in "GET /api/v1/leads" "POST /api/v1/leads/$lid/retry" \
	    "POST /api/v1/leads/$lid/reprocess"; do
		# shellcheck disable=SC2086
		set -- $p
		expect_req 403 "$C2S_API_KEY" "$1" "$2" -d ''
		expect_json_error forbidden
		grep -q 'ADMIN_API_KEYS' body || atf_fail "403 text: $(cat body)"
		expect_req 403 "$ADMIN" "$1" "$2" -d ''
		expect_json_error forbidden
		expect_req 401 "" "$1" "$2" -d ''
		expect_json_error unauthorized
	done
	expect_status 200 GET /api/v1/stats
	private_stack_stop
}
auth__no_admin_key_cleanup() {
	private_stack_stop
}

atf_test_case actions__retry_reprocess cleanup
actions__retry_reprocess_head() {
	atf_set descr "retry runs a lead again with no new paid call and " \
	    "no note (same text); reprocess pays again, exactly one more " \
	    "Diretrix and one more Work API call, and posts one new note " \
	    "marked with its time and run; 409 while the lead's claim is " \
	    "held elsewhere"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 240
}
actions__retry_reprocess_body() {
	local id d0 w0 c0 n
	private_stack ADMIN_API_KEYS="$ADMIN" C2S_WORKERS=0 C2S_POOL=2 RATE_LIMIT=0
	# No e-mail: the phone's one Diretrix lookup finds the person.
	id=$(find_lead null_email)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.status == "completed" and .note == "posted" and .dossiers_fetched == 1'
	d0=$(calls diretrix)
	w0=$(work_cpf_calls)
	[ "$d0" = 1 ] || atf_fail "the first run made $d0 Diretrix calls, not 1"
	[ "$w0" = 1 ] || atf_fail "the first run made $w0 Work API calls"
	[ "$(notes "$id")" = 1 ] || atf_fail "notes after the run"

	# Retry: run again now (within DEDUP_TTL), the stored dossier reused,
	# the same note not posted again.
	expect_admin 200 POST "/api/v1/leads/$id/retry" -d ''
	json '.success == true and .lead_id == "'"$id"'" and
	    .status == "completed" and .duplicate_request == false and
	    .attempts == 2 and .dossiers_fetched == 0 and
	    .note == "already_posted"'
	[ "$(work_cpf_calls)" = "$w0" ] || atf_fail "retry called the Work API"
	[ "$(notes "$id")" = 1 ] || atf_fail "retry posted a note"
	d0=$(calls diretrix)
	c0=$(calls c2s)

	# Reprocess: the CPF looked up and the dossier fetched again, one
	# new note whose first line marks it.
	expect_admin 200 POST "/api/v1/leads/$id/reprocess" -d ''
	json '.success == true and .status == "completed" and
	    .attempts == 3 and .dossiers_fetched == 1 and
	    .dossiers_reused == 0 and .note == "posted"'
	[ "$(calls diretrix)" = $((d0 + 1)) ] ||
	    atf_fail "reprocess: $(( $(calls diretrix) - d0 )) Diretrix calls, not 1"
	[ "$(work_cpf_calls)" = $((w0 + 1)) ] ||
	    atf_fail "reprocess: $(( $(work_cpf_calls) - w0 )) Work API calls, not 1"
	# The C2S lead read and the note posted.
	[ "$(calls c2s)" = $((c0 + 2)) ] || atf_fail "reprocess: C2S calls"
	[ "$(notes "$id")" = 2 ] || atf_fail "reprocess: $(notes "$id") notes, not 2"
	curl -s "$C2S_SIM_URL/__sim/notes?lead=$id" | jq -r '.notes[1]' >note
	head -1 note | grep -Eq '^🔄 Reprocessado em [0-3][0-9]/[01][0-9]/20[0-9]{2} [0-2][0-9]:[0-5][0-9]:[0-5][0-9] \(execução 3\)$' ||
	    atf_fail "the reprocessed note's first line: $(head -1 note)"
	curl -s "$C2S_SIM_URL/__sim/notes?lead=$id" | jq -r '.notes[0]' >note0
	tail -n +2 note | cmp -s - note0 ||
	    atf_fail "the reprocessed note is not the first one under its line"
	[ "$(sql "SELECT count(*) FROM c2s.notes WHERE lead_id = '$id' AND state = 'posted'")" = 2 ] ||
	    atf_fail "the note ledger"

	# A lead whose claim another machine holds: 409, nothing run.
	sql "UPDATE c2s.lead_claims SET owner = 'elsewhere.example:1',
	    state = 'inflight', expires_at = now() + interval '1 hour'
	    WHERE lead_id = '$id' RETURNING 1" >/dev/null
	n=$(calls diretrix)
	for p in retry reprocess; do
		expect_admin 409 POST "/api/v1/leads/$id/$p" -d ''
		expect_json_error lead_processing
	done
	[ "$(calls diretrix)" = "$n" ] || atf_fail "a held lead was run"
	[ "$(sql "SELECT attempts FROM c2s.leads WHERE lead_id = '$id'")" = 3 ] ||
	    atf_fail "a held lead was recorded again"
	private_stack_stop
}
actions__retry_reprocess_cleanup() {
	private_stack_stop
}

atf_test_case actions__db_error_503 cleanup
actions__db_error_503_head() {
	atf_set descr "a database error met after the run was recorded: " \
	    "retry and reprocess answer 503, /api/v1/leads/process still 200"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
actions__db_error_503_body() {
	local id p
	private_stack ADMIN_API_KEYS="$ADMIN" C2S_WORKERS=0 C2S_POOL=2 RATE_LIMIT=0
	id=$(find_lead null_email)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	# The run's end cannot be stored: its record is, its result is not.
	sql "CREATE FUNCTION public.no_end() RETURNS trigger LANGUAGE plpgsql
	    AS \$\$BEGIN RAISE EXCEPTION 'no end'; END\$\$;
	    CREATE TRIGGER no_end BEFORE UPDATE ON c2s.leads FOR EACH ROW
	    WHEN (OLD.status = 'processing' AND NEW.status <> 'processing')
	    EXECUTE FUNCTION public.no_end()" >/dev/null
	for p in retry reprocess; do
		expect_admin 503 POST "/api/v1/leads/$id/$p" -d ''
	done
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.success == false'
	sql "DROP TRIGGER no_end ON c2s.leads" >/dev/null
	private_stack_stop
}
actions__db_error_503_cleanup() {
	private_stack_stop
}

# Four leads of March 2026 with known fields (no other lead on the stack).
LA=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa01
LB=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa02
LC=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa03
seed_leads() {
	sql "INSERT INTO c2s.leads (lead_id, source, status, attempts,
	    customer_name, phone, email, last_error, note_state, created_at,
	    updated_at) VALUES
	    ('$LA', 'webhook', 'failed', 4, 'Zé \"Bigode\", Jr', '11987654321',
	     'ze@example.com', 'diretrix: provider_down', 'none',
	     '2026-03-05 12:34:00+00', '2026-03-05 12:40:00+00'),
	    ('$LB', 'api', 'completed', 1, 'Ana Lima', '21912345678', NULL,
	     NULL, 'posted', '2026-03-06 02:30:00+00', '2026-03-06 02:31:00+00'),
	    ('$LC', 'poller', 'completed', 1, '=1+1 Maria', NULL,
	     'maria@example.com', NULL, 'posted', '2026-03-07 10:00:00+00',
	     '2026-03-07 10:00:00+00')
	    RETURNING 1" >/dev/null
	sql "WITH p AS (INSERT INTO c2s.persons (cpf, name) VALUES
	    ('12345678909', 'MARIA') RETURNING id)
	    INSERT INTO c2s.lead_persons (lead_id, person_id, found_by)
	    SELECT '$LC', id, 'email' FROM p RETURNING 1" >/dev/null
}

# ids: the last two characters of the lead ids of a list answer in
# ./body, on one line.
ids() {
	jq -r '[.leads[].lead_id | .[30:]] | join(" ")' body
}

atf_test_case list__filters_and_csv cleanup
list__filters_and_csv_head() {
	atf_set descr "GET /api/v1/leads: newest first, filtered by status, " \
	    "source and São Paulo days or UTC instants, paged; no CPF, " \
	    "phone or e-mail in clear; every bad parameter a 400 naming it; " \
	    "format=csv (or Accept: text/csv): BOM, quoted fields, CRLF, " \
	    "pt-BR dates, an attachment"
	atf_set require.progs "curl jq psql od spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
list__filters_and_csv_body() {
	local q
	private_stack ADMIN_API_KEYS="$ADMIN" C2S_WORKERS=0 C2S_POOL=2 RATE_LIMIT=0
	seed_leads
	expect_admin 200 GET /api/v1/leads
	[ "$(ids)" = "03 02 01" ] || atf_fail "order: $(ids)"
	json '.count == 3 and .limit == 50'
	json '.leads[2] == {"lead_id":"'$LA'","status":"failed",
	    "source":"webhook","attempts":4,"retries":0,
	    "name":"Zé \"Bigode\", Jr","phone":"***4321",
	    "email":"z***@example.com","cpfs":[],"note_state":"none",
	    "last_error":"diretrix: provider_down",
	    "created_at":"2026-03-05T12:34:00Z",
	    "updated_at":"2026-03-05T12:40:00Z"}'
	json '.leads[0].cpfs == ["***.***.***-09"] and .leads[0].phone == ""'
	grep -q 12345678909 body && atf_fail "a CPF in clear"
	grep -q 987654321 body && atf_fail "a phone in clear"
	# Filters.  LB is 23:30 of 05/03 in São Paulo.
	for q in "status=failed 01" "source=api 02" "status=completed 03 02" \
	    "since=2026-03-05&until=2026-03-05 02 01" \
	    "since=2026-03-06&until=2026-03-31 03" \
	    "since=2026-03-06T00:00:00Z 03 02" \
	    "until=2026-03-06T02:30:00Z 02 01" \
	    "status=completed&source=poller 03" "status=received " \
	    "limit=1&offset=1 02" "offset=2 01" "offset=3 " \
	    "since=2026-03-08 "; do
		expect_admin 200 GET "/api/v1/leads?${q%% *}"
		[ "$(ids)" = "${q#* }" ] ||
		    atf_fail "?${q%% *}: $(ids), expected ${q#* }"
	done
	# Bad values: 400, the parameter named.
	for q in status=done source=email limit=0 limit=501 limit=ten \
	    offset=-1 since=2026-02-30 since=2025-02-29 since=yesterday \
	    until=2026-03-05T25:00:00Z until=2026-03-05T10:00:00 \
	    format=xlsx status=%ZZ; do
		expect_admin 400 GET "/api/v1/leads?$q"
		expect_json_error invalid_parameter
		grep -q "\"${q%%=*}:" body || atf_fail "?$q: $(cat body)"
	done
	expect_admin 200 GET "/api/v1/leads?since=2024-02-29&limit=500"

	# The export.
	curl -q -s -D headers -o export.csv -H "X-API-Key: $ADMIN" \
	    "$URL/api/v1/leads?format=csv" || atf_fail "export failed"
	grep -qi '^HTTP/1.1 200' headers || atf_fail "$(head -1 headers)"
	grep -qi '^Content-Type: text/csv; charset=utf-8' headers ||
	    atf_fail "$(grep -i content-type headers)"
	grep -Eqi '^Content-Disposition: attachment; filename="leads-[0-9]{8}-[0-9]{6}\.csv"' headers ||
	    atf_fail "$(grep -i disposition headers)"
	[ "$(head -c 3 export.csv | od -An -tx1 | tr -d ' ')" = efbbbf ] ||
	    atf_fail "no UTF-8 BOM"
	[ "$(wc -l <export.csv)" = 4 ] || atf_fail "$(wc -l <export.csv) lines"
	[ "$(grep -c "$(printf '\r')\$" export.csv)" = 4 ] ||
	    atf_fail "not every line ends in CRLF"
	tr -d '\r' <export.csv | tail -n +2 >rows
	printf '%s\n' \
	    "\"$LC\",\"07/03/2026 07:00\",\"07/03/2026 07:00\",\"completed\",\"poller\",\"1\",\"'=1+1 Maria\",\"\",\"m***@example.com\",\"***.***.***-09\",\"posted\",\"\"" \
	    "\"$LB\",\"05/03/2026 23:30\",\"05/03/2026 23:31\",\"completed\",\"api\",\"1\",\"Ana Lima\",\"***5678\",\"\",\"\",\"posted\",\"\"" \
	    "\"$LA\",\"05/03/2026 09:34\",\"05/03/2026 09:40\",\"failed\",\"webhook\",\"4\",\"Zé \"\"Bigode\"\", Jr\",\"***4321\",\"z***@example.com\",\"\",\"none\",\"diretrix: provider_down\"" \
	    >expected
	diff -u expected rows || atf_fail "the CSV rows"
	tr -d '\r' <export.csv | head -1 | tail -c +4 >header
	atf_check -o inline:'"lead_id","criado_em","atualizado_em","status","origem","tentativas","nome","telefone","email","cpfs","nota","ultimo_erro"\n' cat header
	# Accept: text/csv, filters and a limit.
	curl -q -s -o export2.csv -H "X-API-Key: $ADMIN" -H 'Accept: text/csv' \
	    "$URL/api/v1/leads?status=completed&limit=1" || atf_fail "export 2"
	[ "$(wc -l <export2.csv)" = 2 ] && grep -q "\"$LC\"" export2.csv ||
	    atf_fail "Accept: text/csv with a limit: $(cat export2.csv)"
	# A bad value of the export is still a JSON 400.
	expect_admin 400 GET "/api/v1/leads?format=csv&since=2026-13-01"
	expect_json_error invalid_parameter
	private_stack_stop
}
list__filters_and_csv_cleanup() {
	private_stack_stop
}

atf_test_case list__contact_names_masked cleanup
list__contact_names_masked_head() {
	atf_set descr "GET /api/v1/leads and its CSV: a phone or an e-mail " \
	    "typed as the name is masked as the contacts are; a formula " \
	    "after a tab or spaces is defused"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
list__contact_names_masked_body() {
	private_stack ADMIN_API_KEYS="$ADMIN" C2S_WORKERS=0 C2S_POOL=2 RATE_LIMIT=0
	sql "INSERT INTO c2s.leads (lead_id, source, status, customer_name,
	    created_at) VALUES
	    ('$LA', 'api', 'completed', '(11) 98765-4321', '2026-03-05 12:00Z'),
	    ('$LB', 'api', 'completed', 'Joao.Silva@example.com',
	     '2026-03-06 12:00Z'),
	    ('$LC', 'api', 'completed', E'\\t=SUM(A1)', '2026-03-07 12:00Z'),
	    ('${LC%03}04', 'api', 'completed', '  @SUM(1)',
	     '2026-03-08 12:00Z')
	    RETURNING 1" >/dev/null
	expect_admin 200 GET /api/v1/leads
	json '[.leads[].name] == ["  @SUM(1)", "\t=SUM(A1)",'\
'"J***@example.com", "***4321"]'
	curl -q -s -o export.csv -H "X-API-Key: $ADMIN" \
	    "$URL/api/v1/leads?format=csv" || atf_fail "export failed"
	grep -q '"J\*\*\*@example.com"' export.csv &&
	    grep -q '"\*\*\*4321"' export.csv ||
	    atf_fail "names: $(cut -d, -f7 export.csv)"
	grep -qi 'silva\|98765' export.csv body &&
	    atf_fail "a contact in clear"
	# A formula past a tab or spaces is defused too.
	grep -q "^\"$LC\",.*,\"'$(printf '\t')=SUM(A1)\"," export.csv ||
	    atf_fail "a tab then =: $(grep "$LC" export.csv)"
	grep -q "^\"${LC%03}04\",.*,\"'  @SUM(1)\"," export.csv ||
	    atf_fail "spaces then @: $(grep "${LC%03}04" export.csv)"
	private_stack_stop
}
list__contact_names_masked_cleanup() {
	private_stack_stop
}

atf_test_case export__db_error cleanup
export__db_error_head() {
	atf_set descr "a database error mid-export keeps every whole row read " \
	    "before it, then the '# export incomplete' line; one before any " \
	    "byte is a JSON 503 without the CSV's attachment header"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 240
}
export__db_error_body() {
	local n c last
	private_stack ADMIN_API_KEYS="$ADMIN" C2S_WORKERS=0 C2S_POOL=2 \
	    MAX_REQUESTS=100000
	sql "INSERT INTO c2s.leads (lead_id, source, status, customer_name,
	    created_at)
	    SELECT 'b0' || lpad(to_hex(g), 30, '0'), 'poller', 'completed',
	    'Ana ' || g, timestamptz '2019-06-01 12:00:00+00' +
	    g * interval '1 minute'
	    FROM generate_series(1, 20000) g RETURNING 1" >/dev/null
	sql "ANALYZE c2s.leads" >/dev/null
	# Row security (forced on the owner) counts the rows read, and fails
	# the read past $1 of them.
	boom() {
		sql "CREATE OR REPLACE FUNCTION public.boom() RETURNS boolean
		    LANGUAGE plpgsql AS \$\$BEGIN
		    IF nextval('public.reads') > $1 THEN
		    RAISE EXCEPTION 'boom'; END IF; RETURN true; END\$\$;
		    SELECT setval('public.reads', 1, false)" >/dev/null
	}
	sql "CREATE SEQUENCE public.reads" >/dev/null
	boom 1000000000
	sql "ALTER TABLE c2s.leads ENABLE ROW LEVEL SECURITY;
	    ALTER TABLE c2s.leads FORCE ROW LEVEL SECURITY;
	    CREATE POLICY boom ON c2s.leads USING (public.boom())" >/dev/null
	curl -q -s -o export.csv -H "X-API-Key: $ADMIN" \
	    "$URL/api/v1/leads?format=csv" || atf_fail "export failed"
	[ "$(grep -c '^"b0' export.csv)" = 20000 ] ||
	    atf_fail "whole export: $(grep -c '^"b0' export.csv) rows"
	c=$(sql "SELECT last_value FROM public.reads")
	# Half-way: the batches read before the error (CX_LEADS_BATCH, 1000
	# rows each) all there, then the marker.
	boom $((c / 2))
	curl -q -s -D headers -o export.csv -H "X-API-Key: $ADMIN" \
	    "$URL/api/v1/leads?format=csv" || atf_fail "export failed"
	grep -qi '^HTTP/1.1 200' headers || atf_fail "$(head -1 headers)"
	n=$(grep -c '^"b0' export.csv)
	[ "$n" -gt 0 ] && [ "$n" -lt 20000 ] && [ $((n % 1000)) = 0 ] ||
	    atf_fail "$n whole rows, not a multiple of 1000 under 20000"
	[ "$(tail -1 export.csv | tr -d '\r')" = '"# export incomplete: database error"' ] ||
	    atf_fail "last line: $(tail -1 export.csv)"
	[ "$(grep -c '"# export incomplete' export.csv)" = 1 ] ||
	    atf_fail "the marker not once"
	last=$(printf '"b0%030x"' $((20000 - n + 1)))
	[ "$(tail -2 export.csv | head -1 | cut -d, -f1)" = "$last" ] ||
	    atf_fail "the row before the marker: $(tail -2 export.csv | head -1)"
	# At the first read: nothing was sent, a JSON error, no attachment.
	boom 0
	curl -q -s -D headers -o body -H "X-API-Key: $ADMIN" \
	    "$URL/api/v1/leads?format=csv" || atf_fail "export 2 failed"
	grep -qi '^HTTP/1.1 503' headers || atf_fail "$(head -1 headers)"
	grep -qi '^Content-Type: application/json' headers ||
	    atf_fail "$(grep -i content-type headers)"
	grep -qi '^Content-Disposition' headers &&
	    atf_fail "an attachment: $(grep -i disposition headers)"
	jq -e .error body >/dev/null || atf_fail "body: $(head -c 300 body)"
	private_stack_stop
}
export__db_error_cleanup() {
	private_stack_stop
}

# hwm: "PID VmHWM-kB" of each responder of the pool.
hwm() {
	local p
	for p in $(responders); do
		echo "$p $(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status")"
	done | sort
}

atf_test_case export__100k_bounded cleanup
export__100k_bounded_head() {
	atf_set descr "a 100 000-row CSV export (rows made by generate_series) " \
	    "streams: every row exactly once, and the responders' peak " \
	    "memory (VmHWM) grows by less than 4 MB while the file is over " \
	    "15 MB"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 300
}
export__100k_bounded_body() {
	local size grow
	private_stack ADMIN_API_KEYS="$ADMIN" C2S_WORKERS=0 C2S_POOL=2 \
	    MAX_REQUESTS=100000
	sql "INSERT INTO c2s.leads (lead_id, source, status, attempts,
	    customer_name, phone, email, created_at, updated_at)
	    SELECT 'b0' || lpad(to_hex(g), 30, '0'), 'poller', 'completed', 1,
	    'Zé \"Bigode\", Jr ' || g, '11987654321', 'ze' || g || '@example.com',
	    timestamptz '2019-06-01 12:00:00+00' + g * interval '1 minute',
	    timestamptz '2019-12-01 12:00:00+00'
	    FROM generate_series(1, 100000) g RETURNING 1" >/dev/null
	sql "ANALYZE c2s.leads" >/dev/null
	# Both responders warm (a connection, the statements prepared).
	expect_admin 200 GET "/api/v1/leads?limit=500"
	expect_admin 200 GET "/api/v1/leads?limit=500"
	hwm >before
	[ "$(wc -l <before)" = 2 ] || atf_fail "responders: $(cat before)"
	curl -q -s -o export.csv -w '%{http_code}' --max-time 240 \
	    -H "X-API-Key: $ADMIN" \
	    "$URL/api/v1/leads?format=csv&since=2019-01-01&until=2019-12-31" \
	    >st || atf_fail "the export failed"
	[ "$(cat st)" = 200 ] || atf_fail "status $(cat st)"
	hwm >after
	[ "$(cut -d' ' -f1 before)" = "$(cut -d' ' -f1 after)" ] ||
	    atf_fail "a responder was replaced during the export"
	size=$(wc -c <export.csv)
	[ "$size" -gt 15000000 ] || atf_fail "the export is only $size bytes"
	[ "$(wc -l <export.csv)" = 100001 ] ||
	    atf_fail "$(wc -l <export.csv) lines, not 100001"
	[ "$(tail -n +2 export.csv | cut -d, -f1 | sort -u | grep -c '^"b0')" = 100000 ] ||
	    atf_fail "not 100 000 distinct leads"
	head -2 export.csv | tail -1 | grep -q '^"b00000000000000000000000000186a0","09/08/2019 19:40",' ||
	    atf_fail "the newest first: $(head -2 export.csv | tail -1)"
	grow=$(join before after | awk '{ d = $3 - $2; if (d > m) m = d }
	    END { print m + 0 }')
	echo "VmHWM before: $(tr '\n' ' ' <before); after: $(tr '\n' ' ' <after);" \
	    "grew $grow kB for $size bytes"
	[ "$grow" -lt 4096 ] || atf_fail "a responder's VmHWM grew by $grow kB"
	private_stack_stop
}
export__100k_bounded_cleanup() {
	private_stack_stop
}

atf_init_test_cases() {
	atf_add_test_case start__admin_keys_checked
	atf_add_test_case auth__admin_key
	atf_add_test_case auth__no_admin_key
	atf_add_test_case actions__retry_reprocess
	atf_add_test_case actions__db_error_503
	atf_add_test_case list__filters_and_csv
	atf_add_test_case list__contact_names_masked
	atf_add_test_case export__db_error
	atf_add_test_case export__100k_bounded
}
