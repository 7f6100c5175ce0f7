#! /usr/bin/env atf-sh
# webhook_test -- POST /api/v1/webhooks/c2s and /api/v1/webhooks/google-ads
# on the shared stack, with its worker: events stored first and answered
# at once, idempotent on (lead, updated_at), the work done by the worker;
# Google Ads forms created in C2S once.  Secrets come from the stack's env.

. "$(atf_get_srcdir)/common.subr"

setup() {
	shared_stack
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
}

# event ID UPDATED_AT [ACTION [CUSTOMER_JSON]]: a C2S event, JSON:API style.
event() {
	printf '{"hook_action":"%s","data":{"type":"lead","id":"%s",' \
	    "${3:-on_create_lead}" "$1"
	printf '"attributes":{"updated_at":"%s","customer":%s,' "$2" \
	    "${4:-{\"name\":null,\"phone\":null,\"email\":null\}}"
	printf '"lead_status":{"alias":"novo"},"x_unknown":[1,{"k":null}]}}}'
}

# shaped SHAPE ID UPDATED_AT [ACTION]: an event in one of C2S's three
# shapes (DESIGN.md 11.1), with the lead's customer as the simulator has
# it (so that its contacts are the lead's).
shaped() {
	curl -s "$SIM/integration/leads/$2" -H "Authorization: Bearer \
$(sim_c2s_token)" | jq -c --arg s "$1" --arg t "$3" \
	    --arg a "${4:-on_create_lead}" '.data | .attributes.updated_at = $t |
	    if $s == "rust" then {id, hook_action: $a, attributes}
	    elif $s == "ts" then {hook_action: $a, lead: {id, internal_id: 7,
		attributes}}
	    else {hook_action: $a, data: .} end'
}

# The simulator's C2S token (the stack's responders use it).
sim_c2s_token() {
	sed -n 's/^C2S_TOKEN=//p' "$RUNDIR/responder.env"
}

# hook FILE [curl args]: POST the body in FILE with the stack's secret.
hook() {
	local f=$1
	shift
	http POST /api/v1/webhooks/c2s -H 'Content-Type: application/json' \
	    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" --data-binary "@$f" "$@"
}

notes() {
	curl -s "$SIM/__sim/notes?lead=$1" | jq '.notes | length'
}

calls() {
	curl -s "$SIM/__sim/calls" | jq --arg p "$1" --arg m "${2:-}" \
	    '[.calls[] | select(.path == $p and ($m == "" or .method == $m)) |
	    .count] | add // 0'
}

# The lead reached an outcome (the worker ran it).
lead_done() {
	[ "$(psql -X -At -c "SELECT status FROM c2s.leads WHERE
	    lead_id = '$1' AND status NOT IN ('received', 'processing')")" != "" ]
}

jobs_done() {
	[ "$(psql -X -At -c "SELECT count(*) FROM c2s.jobs WHERE
	    ref = '$1' AND state IN ('queued', 'running')")" = 0 ]
}

atf_test_case burst_same_event
burst_same_event_head() {
	atf_set descr "the same event 20 times at once: one job, one note"
}
burst_same_event_body() {
	local id i
	setup
	id=$(find_lead normal)
	event $id 2026-11-25T10:00:00Z >ev
	i=0
	while [ $i -lt 20 ]; do
		curl -s -o out.$i -X POST -H 'Content-Type: application/json' \
		    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" \
		    --data-binary @ev "$URL/api/v1/webhooks/c2s" &
		i=$((i + 1))
	done
	wait
	cat out.* | jq -s -e 'length == 20 and
	    (map(.received) | add) == 20 and (map(.queued) | add) == 1 and
	    (map(.duplicates) | add) == 19' >/dev/null ||
	    atf_fail "answers: $(cat out.*)"
	[ "$(sql "SELECT count(*) FROM c2s.webhook_events
	    WHERE lead_id = '$id'")" = 1 ] || atf_fail "events stored twice"
	wait_for 150 lead_done $id || atf_fail "the worker never ran the lead"
	wait_for 50 jobs_done $id || atf_fail "job not finished"
	[ "$(sql "SELECT count(*) || ' ' || min(source) || ' ' || min(state)
	    FROM c2s.jobs WHERE ref = '$id'")" = "1 webhook done" ] ||
	    atf_fail "jobs: $(sql "SELECT * FROM c2s.jobs WHERE ref = '$id'")"
	[ "$(notes $id)" = 1 ] || atf_fail "$(notes $id) notes posted"
	[ "$(calls /integration/leads/$id)" = 1 ] || atf_fail "C2S fetches"
	# Unknown keys and nulls are kept as sent.
	[ "$(sql "SELECT payload #> '{data,attributes,x_unknown,1}'
	    FROM c2s.webhook_events WHERE lead_id = '$id'")" = '{"k": null}' ] ||
	    atf_fail "the payload was not kept"
}

atf_test_case array_of_three
array_of_three_head() {
	atf_set descr "an array of 3 events: 3 jobs, 3 leads enriched"
}
array_of_three_body() {
	local a b c id
	setup
	a=$(rand_id) b=$(rand_id) c=$(rand_id)
	{ printf '['; event $a t1; printf ','; event $b t1; printf ',';
	    event $c t1 on_update_lead; printf ']'; } >ev
	[ "$(hook ev)" = 200 ] || atf_fail "status: $(cat body)"
	json '.received == 3 and .queued == 3 and .duplicates == 0 and
	    ([.events[].disposition] == ["queued", "queued", "queued"])'
	for id in $a $b $c; do
		[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE ref = '$id'")" = 1 ] ||
		    atf_fail "no job for $id"
		wait_for 150 lead_done $id || atf_fail "lead $id not run"
	done
	[ "$(sql "SELECT count(*) FROM c2s.leads WHERE lead_id IN ('$a',
	    '$b', '$c') AND source = 'webhook'")" = 3 ] ||
	    atf_fail "leads not recorded as from the webhook"
	# The same array again: all duplicates, nothing queued.
	[ "$(hook ev)" = 200 ] || atf_fail "status: $(cat body)"
	json '.received == 3 and .queued == 0 and .duplicates == 3'
}

atf_test_case dispositions
dispositions_head() {
	atf_set descr "on_close_lead recorded only; same contacts or our own " \
	    "note do not enrich again; new contacts do"
}
dispositions_body() {
	local id cust note
	setup
	id=$(find_lead normal)
	event $id t1 on_close_lead >ev
	[ "$(hook ev)" = 200 ] || atf_fail "status: $(cat body)"
	json '.queued == 0 and .events[0].disposition == "closed"'
	[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE ref = '$id'")" = 0 ] ||
	    atf_fail "on_close_lead queued a job"
	# Run the lead, then tell of an update with the same contacts,
	# written differently.
	event $id t2 >ev
	[ "$(hook ev)" = 200 ] || atf_fail "status: $(cat body)"
	json '.queued == 1'
	wait_for 150 lead_done $id || atf_fail "lead not run"
	wait_for 50 jobs_done $id || atf_fail "job not finished"
	cust=$(jq -c '{name: "Outro Nome", phone: ("+55 " + .phone),
	    email: (.email | ascii_upcase)}' truth)
	event $id t3 on_update_lead "$cust" >ev
	[ "$(hook ev)" = 200 ] || atf_fail "status: $(cat body)"
	json '.queued == 0 and .events[0].disposition == "unchanged"'
	# An event that carries the note we posted.
	note=$(curl -s "$SIM/__sim/notes?lead=$id" | jq '.notes[0]')
	printf '{"hook_action":"on_update_lead","id":"%s","attributes":
	    {"updated_at":"t4","message":{"body":%s}}}' $id "$note" >ev
	[ "$(hook ev)" = 200 ] || atf_fail "status: $(cat body)"
	json '.queued == 0 and .events[0].disposition == "own_note"'
	# A new e-mail: enriched again.
	cust=$(jq -c '{name: "X", phone: .phone, email: "novo@example.com"}' \
	    truth)
	event $id t5 on_update_lead "$cust" >ev
	[ "$(hook ev)" = 200 ] || atf_fail "status: $(cat body)"
	json '.queued == 1 and .events[0].disposition == "queued"'
	[ "$(sql "SELECT string_agg(disposition, ',' ORDER BY id) FROM
	    c2s.webhook_events WHERE lead_id = '$id'")" = \
	    "closed,queued,unchanged,own_note,queued" ] ||
	    atf_fail "dispositions stored wrong"
	# Within DEDUP_TTL of the first run, but queued after it: it runs.
	wait_for 150 jobs_done $id || atf_fail "second job not finished"
	[ "$(sql "SELECT string_agg(result, ',' ORDER BY id) FROM c2s.jobs
	    WHERE ref = '$id'")" = "completed,completed" ] ||
	    atf_fail "jobs: $(sql "SELECT result FROM c2s.jobs WHERE ref = '$id'")"
	[ "$(sql "SELECT attempts FROM c2s.leads WHERE lead_id = '$id'")" = 2 ] ||
	    atf_fail "the lead did not run again"
	[ "$(calls /integration/leads/$id)" = 2 ] || atf_fail "C2S fetches"
	[ "$(notes $id)" = 1 ] || atf_fail "the same note was posted again"
}

atf_test_case bad_requests
bad_requests_head() {
	atf_set descr "bad JSON 400, wrong content type 415, too many " \
	    "events 413, no event 400; an event without a lead id is kept"
}
bad_requests_body() {
	local before i
	setup
	before=$(sql "SELECT count(*) FROM c2s.webhook_events")
	printf '{"data": ' >ev
	[ "$(hook ev)" = 400 ] || atf_fail "bad JSON: $(cat body)"
	expect_json_error bad_request
	printf '"just a string"' >ev
	[ "$(hook ev)" = 400 ] || atf_fail "a string: $(cat body)"
	printf '[]' >ev
	[ "$(hook ev)" = 400 ] || atf_fail "no event: $(cat body)"
	printf '{"id":"x\\u0000y"}' >ev
	[ "$(hook ev)" = 400 ] || atf_fail "NUL: $(cat body)"
	printf '{"id":"\377"}' >ev
	[ "$(hook ev)" = 400 ] || atf_fail "bad UTF-8: $(cat body)"
	event $(rand_id) t1 >ev
	[ "$(http POST /api/v1/webhooks/c2s -H 'Content-Type: text/plain' \
	    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" --data-binary @ev)" = \
	    415 ] || atf_fail "text/plain: $(cat body)"
	expect_json_error unsupported_media_type
	{ printf '['; i=0; while [ $i -lt 101 ]; do
		[ $i -gt 0 ] && printf ','
		event $(rand_id) t1; i=$((i + 1)); done; printf ']'; } >ev
	[ "$(hook ev)" = 413 ] || atf_fail "101 events: $(cat body)"
	expect_json_error too_large
	[ "$(sql "SELECT count(*) FROM c2s.webhook_events")" = "$before" ] ||
	    atf_fail "a refused request stored events"
	printf '{"hook_action":"on_update_lead","id":"not-a-lead"}' >ev
	[ "$(hook ev)" = 422 ] || atf_fail "status: $(cat body)"
	json '.success == false and .code == "invalid_event" and
	    .received == 1 and .queued == 0 and .invalid == 1 and
	    .events[0].lead_id == null and
	    .events[0].disposition == "invalid" and
	    (.events[0].error | test("lead id"))'
	[ "$(sql "SELECT count(*) FROM c2s.webhook_events
	    WHERE lead_id IS NULL AND payload ->> 'id' = 'not-a-lead'")" -ge 1 ] ||
	    atf_fail "the invalid event was not kept"
}

atf_test_case shapes__all_three
shapes__all_three_head() {
	atf_set descr "C2S's three shapes (Rust, TS, JSON:API), alone and in " \
	    "one array, on both paths: every lead queued and enriched once"
}
shapes__all_three_body() {
	local a b c d id
	setup
	a=$(find_lead normal) b=$(find_lead normal) c=$(find_lead normal)
	d=$(find_lead normal)
	grep -q . "$RUNDIR/responder.env" || atf_fail "no responder.env"
	{ printf '['; shaped rust $a t1; printf ','; shaped ts $b t1;
	    printf ','; shaped jsonapi $c t1; printf ']'; } >ev
	[ "$(hook ev)" = 200 ] || atf_fail "status: $(cat body)"
	json '.success == true and .received == 3 and .queued == 3 and
	    .invalid == 0 and ([.events[].lead_id] == ["'$a'", "'$b'", "'$c'"])'
	# The TS service's path, a TS event alone.
	shaped ts $d t1 >ev
	[ "$(http POST /webhook/c2s -H 'Content-Type: application/json' \
	    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" --data-binary @ev)" = \
	    200 ] || atf_fail "/webhook/c2s: $(cat body)"
	json '.queued == 1 and .events[0].lead_id == "'$d'"'
	for id in $a $b $c $d; do
		wait_for 150 lead_done $id || atf_fail "lead $id not run"
		wait_for 50 jobs_done $id || atf_fail "job of $id not finished"
		[ "$(sql "SELECT status || ' ' || source FROM c2s.leads
		    WHERE lead_id = '$id'")" = "completed webhook" ] ||
		    atf_fail "lead $id: $(sql "SELECT status FROM c2s.leads
		    WHERE lead_id = '$id'")"
		[ "$(notes $id)" = 1 ] || atf_fail "$(notes $id) notes on $id"
	done
	# The stored payloads are as sent, in their own shape.
	[ "$(sql "SELECT payload #>> '{lead,internal_id}' FROM
	    c2s.webhook_events WHERE lead_id = '$b'")" = 7 ] ||
	    atf_fail "the TS payload was not kept as sent"
	# An update with the same contacts, in the TS shape: nothing to do.
	shaped ts $b t2 on_update_lead >ev
	[ "$(hook ev)" = 200 ] || atf_fail "status: $(cat body)"
	json '.events[0].disposition == "unchanged"'
}

atf_test_case secret__every_place
secret__every_place_head() {
	atf_set descr "the webhook secret in ?token=, X-Webhook-Token, " \
	    "X-Webhook-Secret or Bearer: right 200, wrong 401 in each place"
}
secret__every_place_body() {
	local id way
	setup
	for way in query token secret bearer; do
		id=$(rand_id)
		event $id t1 on_close_lead >ev
		case $way in
		query) set -- "?token=wrong-$way" ;;
		token) set -- "" -H "X-Webhook-Token: wrong-$way" ;;
		secret) set -- "" -H "X-Webhook-Secret: wrong-$way" ;;
		bearer) set -- "" -H "Authorization: Bearer wrong-$way" ;;
		esac
		[ "$(http POST "/api/v1/webhooks/c2s$1" --data-binary @ev \
		    -H 'Content-Type: application/json' ${2:+"$2"} ${3:+"$3"})" \
		    = 401 ] || atf_fail "$way, wrong: $(cat body)"
		expect_json_error unauthorized
		[ "$(sql "SELECT count(*) FROM c2s.webhook_events
		    WHERE lead_id = '$id'")" = 0 ] ||
		    atf_fail "$way: stored with a wrong secret"
		case $way in
		query) set -- "?token=$C2S_WEBHOOK_SECRET" ;;
		token) set -- "" -H "X-Webhook-Token: $C2S_WEBHOOK_SECRET" ;;
		secret) set -- "" -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" ;;
		bearer) set -- "" -H "Authorization: Bearer $C2S_WEBHOOK_SECRET" ;;
		esac
		[ "$(http POST "/webhook/c2s$1" --data-binary @ev \
		    -H 'Content-Type: application/json' ${2:+"$2"} ${3:+"$3"})" \
		    = 200 ] || atf_fail "$way, right: $(cat body)"
		json '.events[0].disposition == "closed"'
	done
	# Missing, on both paths.
	[ "$(http POST /webhook/c2s -H 'Content-Type: application/json' \
	    --data-binary @ev)" = 401 ] || atf_fail "missing: $(cat body)"
	[ "$(http POST '/api/v1/webhooks/c2s?token=' \
	    -H 'Content-Type: application/json' --data-binary @ev)" = 401 ] ||
	    atf_fail "empty token: $(cat body)"
}

atf_test_case invalid__422_listed_replayed
invalid__422_listed_replayed_head() {
	atf_set descr "events with no lead id or an unknown hook_action: " \
	    "422 with each disposition, stored invalid, listed in " \
	    "/api/v1/stats; replay runs one once fixed in the database"
}
invalid__422_listed_replayed_body() {
	local good fixme other ev1 ev2
	setup
	good=$(find_lead normal) fixme=$(find_lead normal)
	other=$(find_lead normal)
	# A TS event without a lead id, one with an unknown action, and a
	# good one: 422, the good one queued all the same.
	{ printf '['; shaped ts $fixme t1 | jq -c 'del(.lead.id)'; printf ',';
	    shaped rust $other t1 on_delete_lead; printf ',';
	    shaped jsonapi $good t1; printf ']'; } >ev
	[ "$(hook ev)" = 422 ] || atf_fail "status: $(cat body)"
	json '.success == false and .code == "invalid_event" and
	    (.error | type == "string") and .received == 3 and
	    .invalid == 2 and .queued == 1 and
	    ([.events[].disposition] == ["invalid", "invalid", "queued"]) and
	    (.events[0].error | test("lead id")) and
	    (.events[1].error | test("unknown hook_action"))'
	ev1=$(sql "SELECT max(id) FROM c2s.webhook_events WHERE
	    disposition = 'invalid' AND payload #>> '{lead,attributes,updated_at}'
	    = 't1' AND payload ? 'lead'")
	ev2=$(sql "SELECT max(id) FROM c2s.webhook_events WHERE
	    disposition = 'invalid' AND hook_action = 'on_delete_lead'")
	[ -n "$ev1" ] && [ -n "$ev2" ] || atf_fail "invalid events not stored"
	[ "$(sql "SELECT error FROM c2s.webhook_events WHERE id = $ev2")" != "" ] ||
	    atf_fail "no reason stored"
	wait_for 150 lead_done $good || atf_fail "the good event did not run"
	# Sent again (C2S retrying a 422): 422 again, nothing stored twice,
	# the event without a lead id included.
	[ "$(hook ev)" = 422 ] || atf_fail "again: $(cat body)"
	json '.invalid == 2 and .duplicates == 1 and .queued == 0'
	[ "$(sql "SELECT count(*) FROM c2s.webhook_events WHERE
	    disposition = 'invalid' AND payload = (SELECT payload FROM
	    c2s.webhook_events WHERE id = $ev1)")" = 1 ] ||
	    atf_fail "the event without a lead id was stored twice"
	# Listed for the operators, with the reason.
	expect_status 200 GET /api/v1/stats
	json '.invalid_webhooks.count >= 2 and
	    ([.invalid_webhooks.recent[].id] | index('$ev1') != null) and
	    (.invalid_webhooks.recent[] | select(.id == '$ev2') |
	    .error | test("unknown hook_action"))'
	# Replay needs an API key.
	[ "$(curl -q -s -o body -w "%{http_code}" -X POST -d "" \
	    "$URL/api/v1/webhooks/c2s/replay")" = 401 ] ||
	    atf_fail "replay without a key: $(cat body)"
	# Nothing fixed yet: both still invalid, nothing runs.
	expect_status 200 POST /api/v1/webhooks/c2s/replay -d ""
	json '.success == true and .still_invalid >= 2'
	[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE ref = '$fixme'")" = 0 ] ||
	    atf_fail "a job for an event still invalid"
	# Fixed in the database (a lead id added to one, the action
	# corrected in the other): replay runs both, once.
	sql "UPDATE c2s.webhook_events SET payload = jsonb_set(payload,
	    '{lead,id}', '\"$fixme\"') WHERE id = $ev1" >/dev/null
	sql "UPDATE c2s.webhook_events SET payload = jsonb_set(payload,
	    '{hook_action}', '\"on_update_lead\"') WHERE id = $ev2" >/dev/null
	expect_status 200 POST /api/v1/webhooks/c2s/replay -d ""
	json '.success == true and .queued == 2 and
	    (.events[] | select(.id == '$ev1') | .lead_id == "'$fixme'" and
	    .disposition == "queued") and
	    (.events[] | select(.id == '$ev2') | .lead_id == "'$other'" and
	    .disposition == "queued")'
	[ "$(sql "SELECT disposition || ' ' || lead_id || ' ' ||
	    coalesce(error, '-') FROM c2s.webhook_events WHERE id = $ev1")" = \
	    "queued $fixme -" ] || atf_fail "the replayed event not updated"
	wait_for 150 lead_done $fixme || atf_fail "the replayed lead not run"
	wait_for 50 jobs_done $fixme || atf_fail "its job not finished"
	[ "$(notes $fixme)" = 1 ] || atf_fail "$(notes $fixme) notes"
	wait_for 150 lead_done $other || atf_fail "the corrected lead not run"
	[ "$(sql "SELECT disposition || ' ' || hook_action FROM
	    c2s.webhook_events WHERE id = $ev2")" = "queued on_update_lead" ] ||
	    atf_fail "the corrected event not updated"
	# Again: nothing more runs.
	expect_status 200 POST /api/v1/webhooks/c2s/replay -d ""
	json '[.events[]? | select(.id == '$ev1')] | length == 0'
	[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE ref = '$fixme'")" = 1 ] ||
	    atf_fail "replayed twice"
	expect_status 400 POST "/api/v1/webhooks/c2s/replay?limit=0" -d ""
	expect_status 400 POST "/api/v1/webhooks/c2s/replay?after=x" -d ""
	# Paging: one at a time from just before ev1 goes on after it.
	expect_status 200 POST \
	    "/api/v1/webhooks/c2s/replay?limit=1&after=$((ev1 - 1))" -d ""
	json '.looked_at <= 1 and (.next_after == null or .next_after >= '$ev1')'
}

atf_test_case secret
secret_head() {
	atf_set descr "WEBHOOK_SECRET set: wrong 401, missing 401, Bearer ok"
}
secret_body() {
	local id
	setup
	id=$(rand_id)
	event $id t1 on_close_lead >ev
	[ "$(http POST /api/v1/webhooks/c2s -H 'Content-Type: application/json' \
	    -H 'X-Webhook-Secret: not-the-secret' --data-binary @ev)" = 401 ] ||
	    atf_fail "bad secret: $(cat body)"
	expect_json_error unauthorized
	[ "$(http POST /api/v1/webhooks/c2s -H 'Content-Type: application/json' \
	    --data-binary @ev)" = 401 ] || atf_fail "missing: $(cat body)"
	expect_json_error unauthorized
	[ "$(http POST /api/v1/webhooks/c2s -H 'Content-Type: application/json' \
	    -H 'X-Webhook-Secret: ' --data-binary @ev)" = 401 ] ||
	    atf_fail "empty secret: $(cat body)"
	[ "$(sql "SELECT count(*) FROM c2s.webhook_events
	    WHERE lead_id = '$id'")" = 0 ] || atf_fail "stored without secret"
	[ "$(http POST /api/v1/webhooks/c2s -H 'Content-Type: application/json' \
	    -H "Authorization: Bearer $C2S_WEBHOOK_SECRET" \
	    --data-binary @ev)" = 200 ] || atf_fail "Bearer: $(cat body)"
}

# form ID [EXTRA_COLUMNS]: a Google Ads lead form of an ordinary person
# (the simulator's truth for a random lead id, in ./truth).
form() {
	while :; do
		curl -s -o truth "$SIM/__sim/truth/$(rand_id)"
		[ "$(jq -r .variant truth)" = normal ] && break
	done
	jq -c --arg id "$1" '{lead_id: $id, api_version: "1.0",
	    form_id: 4242, campaign_id: 77, is_test: false,
	    user_column_data: ([
	    {column_name: "Full Name", column_id: "FULL_NAME",
	     string_value: .phone_person.name},
	    {column_id: "EMAIL", string_value: .email},
	    {column_id: "PHONE_NUMBER", string_value: ("+55" + .phone)}]
	    + ($ARGS.positional | map({column_id: "COMENTARIO",
	      string_value: .})))}' truth --args ${2:+"$2"}
}

ga() {
	http POST "/api/v1/webhooks/google-ads$1" \
	    -H 'Content-Type: application/json' --data-binary @form
}

# form_tries ID: the form's jobs done so far.
form_tries() {
	sql "SELECT count(*) FROM c2s.jobs WHERE kind = 'google_ads'
	    AND ref = '$1' AND state = 'done'"
}

form_state() {
	psql -X -At -c "SELECT state FROM c2s.google_leads
	    WHERE form_lead_id = '$1'"
}

atf_test_case google_ads_once
google_ads_once_head() {
	atf_set descr "a Google Ads form posted twice: one C2S lead, with " \
	    "the form and the enrichment in its description"
}
google_ads_once_body() {
	local fid before cid desc
	setup
	fid="gads-$(rand_id)"
	form "$fid" >form
	before=$(calls /integration/leads POST)
	[ "$(ga "?google_key=$C2S_GOOGLE_KEY")" = 200 ] ||
	    atf_fail "status: $(cat body)"
	json '.success == true and .duplicate == false'
	[ "$(ga "?google_key=$C2S_GOOGLE_KEY")" = 200 ] ||
	    atf_fail "status: $(cat body)"
	json '.duplicate == true'
	wait_for 150 eval '[ "$(form_state $fid)" = created ]' ||
	    atf_fail "form not created: $(form_state $fid)"
	# And again once it is created: still one lead, its id answered.
	[ "$(ga "?google_key=$C2S_GOOGLE_KEY")" = 200 ] ||
	    atf_fail "status: $(cat body)"
	cid=$(sql "SELECT c2s_lead_id FROM c2s.google_leads
	    WHERE form_lead_id = '$fid'")
	json '.duplicate == true and .state == "created" and
	    .c2s_lead_id == "'$cid'"'
	[ $(($(calls /integration/leads POST) - before)) = 1 ] ||
	    atf_fail "$(($(calls /integration/leads POST) - before)) C2S leads"
	desc=$(curl -s "$SIM/__sim/notes?lead=$cid" | jq -r '.notes[0]')
	echo "$desc" >desc
	grep -q '^🎯 Lead do Google Ads$' desc || atf_fail "no header: $desc"
	grep -qF "Nome: $(jq -r .phone_person.name truth)" desc ||
	    atf_fail "no name in: $desc"
	grep -qF "E-mail: $(jq -r .email truth)" desc ||
	    atf_fail "no e-mail in: $desc"
	grep -q '^✅ DADOS PESSOAIS$' desc || atf_fail "no enrichment: $desc"
	[ "$(sql "SELECT source || ' ' || status || ' ' || note_state FROM
	    c2s.leads WHERE lead_id = '$cid'")" = "google_ads completed posted" ] ||
	    atf_fail "the new lead is not stored as enriched"
	# The key is not kept with the form.
	[ "$(sql "SELECT payload ? 'google_key' FROM c2s.google_leads
	    WHERE form_lead_id = '$fid'")" = f ] || atf_fail "key stored"
}

atf_test_case google_ads_bad
google_ads_bad_head() {
	atf_set descr "Google Ads: wrong or missing key 401, key in the body " \
	    "accepted, no lead id 400, description capped at 5000 characters"
}
google_ads_bad_body() {
	local fid long cid
	setup
	fid="gads-$(rand_id)"
	form "$fid" >form
	[ "$(ga "?google_key=wrong")" = 401 ] || atf_fail "wrong: $(cat body)"
	expect_json_error unauthorized
	[ "$(ga "")" = 401 ] || atf_fail "missing: $(cat body)"
	[ -z "$(form_state "$fid")" ] || atf_fail "recorded without the key"
	jq -c 'del(.lead_id)' form >f2 && mv f2 form
	[ "$(ga "?google_key=$C2S_GOOGLE_KEY")" = 400 ] ||
	    atf_fail "no lead id: $(cat body)"
	# The key in the body, as Google sends it; a very long field.
	long=$(head -c 6000 /dev/zero | tr '\0' 'x')
	form "$fid" "$long" | jq -c --arg k "$C2S_GOOGLE_KEY" \
	    '. + {google_key: $k}' >form
	[ "$(ga "")" = 200 ] || atf_fail "key in body: $(cat body)"
	wait_for 150 eval '[ "$(form_state $fid)" = created ]' ||
	    atf_fail "form not created: $(form_state $fid)"
	cid=$(sql "SELECT c2s_lead_id FROM c2s.google_leads
	    WHERE form_lead_id = '$fid'")
	[ "$(curl -s "$SIM/__sim/notes?lead=$cid" |
	    jq '.notes[0] | length')" = 5000 ] ||
	    atf_fail "description not capped at 5000 characters"
}

atf_test_case google_ads_refused_pays_once cleanup
google_ads_refused_pays_once_head() {
	atf_set descr "Google Ads: a form whose C2S create is refused (429) " \
	    "is tried again and again, but its dossier is paid for once: " \
	    "stored on the first try, found stored on the next (no process " \
	    "cache to hide a second payment)"
	atf_set timeout 120
}
google_ads_refused_pays_once_body() {
	local fid cpf n
	# The try again is due 300 ms after a refusal, unannounced: the
	# worker takes it at its next look, WORKER_POLL_INTERVAL (5 s by
	# default) after its last wake.  A try is one create: the 429's
	# Retry-After (1 s) would not start inside REQUEST_DEADLINE (was
	# three, 2 s a try with the default 25 s).
	private_stack CACHE_MAX_BYTES=0 RETRY_UNIT=300ms RETRY_SCHEDULE=1 \
	    WORKER_POLL_INTERVAL=200ms REQUEST_DEADLINE=1s
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
	fid="gads-$(rand_id)"
	# The simulator refuses the create of a lead with this e-mail (429);
	# Diretrix finds nobody by it, the phone finds the person.
	form "$fid" | jq -c '.user_column_data |= map(if .column_id == "EMAIL"
	    then .string_value = "fault-cc-08@example.invalid" else . end)' >form
	cpf=$(jq -r .phone_person.cpf truth)
	[ -n "$cpf" ] && [ "$cpf" != null ] || atf_fail "no person: $(cat truth)"
	[ "$(ga "?google_key=$C2S_GOOGLE_KEY")" = 200 ] ||
	    atf_fail "status: $(cat body)"
	# Two tries done and refused, a third queued.
	wait_for 300 eval '[ "$(form_tries $fid)" -ge 2 ]' ||
	    atf_fail "the form was not tried twice: $(form_state $fid)"
	[ "$(calls /integration/leads POST)" -ge 2 ] ||
	    atf_fail "$(calls /integration/leads POST) creates asked"
	[ "$(form_state $fid)" = received ] || [ "$(form_state $fid)" = creating ] ||
	    atf_fail "form $(form_state $fid) after refusals"
	n=$(sim_calls work "consulta=$cpf")
	[ "$n" = 1 ] || atf_fail "the dossier was paid for $n times"
	[ "$(sql "SELECT count(*) FROM c2s.dossiers d JOIN c2s.persons p
	    ON p.id = d.person_id WHERE p.cpf = '$cpf'")" = 1 ] ||
	    atf_fail "not one stored dossier"
	private_stack_stop
}
google_ads_refused_pays_once_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case burst_same_event
	atf_add_test_case array_of_three
	atf_add_test_case dispositions
	atf_add_test_case bad_requests
	atf_add_test_case secret
	atf_add_test_case shapes__all_three
	atf_add_test_case secret__every_place
	atf_add_test_case invalid__422_listed_replayed
	atf_add_test_case google_ads_once
	atf_add_test_case google_ads_bad
	atf_add_test_case google_ads_refused_pays_once
}
