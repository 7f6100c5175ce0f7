#! /usr/bin/env atf-sh
# closed_test -- closed by default (DESIGN.md 11.2): without API_KEYS a
# responder, the worker and `c2s-enrich -n` refuse to start with one line
# naming the variable, unless API_AUTH=off opens the business routes on
# purpose (one warning line per responder, at start); the C2S webhook
# answers 503 not_configured without WEBHOOK_SECRET unless WEBHOOK_AUTH=off.

. "$(atf_get_srcdir)/common.subr"

BIN=$TOP/fcgi/c2s-enrich
KEY=0123456789abcdef0123456789abcdef

# refused OUT VAR=VALUE...: c2s-enrich's start (the rest of the command
# line after the settings) in a bare environment exits 1 with one line on
# stderr naming API_KEYS (never a key's value), nothing on stdout.
refused() {
	env -i PATH="$PATH" "$@" >out 2>err && atf_fail "started: $*"
	[ "$(wc -l <err)" = 1 ] || atf_fail "not one line: $(cat err)"
	grep -q '^c2s-enrich: config: API_KEYS: ' err ||
	    atf_fail "does not name API_KEYS: $(cat err)"
	grep -qi 'hunter' err && atf_fail "quotes the value: $(cat err)"
	[ ! -s out ] || atf_fail "wrote to stdout: $(cat out)"
	:
}

atf_test_case start__refused_without_keys
start__refused_without_keys_head() {
	atf_set descr "c2s-enrich -n, --worker and a responder under " \
	    "spawn-fcgi refuse to start without API_KEYS, or with an empty, " \
	    "short or malformed key: status 1, one line naming API_KEYS; " \
	    "API_AUTH accepts on and off only"
	atf_set require.progs "spawn-fcgi"
}
start__refused_without_keys_body() {
	local k
	refused "$BIN" -n
	refused "$BIN" --worker
	refused API_KEYS= "$BIN" -n
	refused API_AUTH=on "$BIN" -n
	for k in , ",$KEY" "$KEY," "$KEY,,$KEY" "$KEY,  ,$KEY" hunter2hunter2 \
	    "hunter2 hunter2 hunter2" "$(printf 'hunter2hunter2hunter2\001')"; do
		refused API_KEYS="$k" "$BIN" -n
	done
	# A real responder: spawn-fcgi -n runs it on the socket, and it
	# exits before serving anything.
	refused spawn-fcgi -n -s "$PWD/s.sock" -- "$BIN"
	# API_AUTH: on or off, nothing else.
	atf_check -s exit:1 -e match:'^c2s-enrich: config: API_AUTH: must be on or off$' \
	    env -i API_AUTH=maybe API_KEYS=$KEY "$BIN" -n
	atf_check -s exit:1 -e match:'^c2s-enrich: config: WEBHOOK_AUTH: must be on or off$' \
	    env -i WEBHOOK_AUTH=1 API_KEYS=$KEY "$BIN" -n
	# A key: it starts, without a warning.
	atf_check -o inline:'c2s-enrich: configuration ok\n' -e empty \
	    env -i API_KEYS=" $KEY, k-two-k-two-k-two" "$BIN" -n
	# Opened on purpose: it starts, and says what is open.
	atf_check -o inline:'c2s-enrich: configuration ok\n' \
	    -e match:'^c2s-enrich: warning: API_AUTH=off: ' \
	    env -i API_AUTH=off "$BIN" -n
	atf_check -o ignore -e match:'WEBHOOK_AUTH=off' \
	    env -i API_KEYS=$KEY WEBHOOK_AUTH=off "$BIN" -n
}

# warnings FILE PATTERN: how many log lines of FILE match PATTERN, per
# responder pid, one "pid count" a line.
warnings() {
	jq -R -r --arg re "$2" 'fromjson? | select(.level == "warn" and
	    ((.msg // "") | test($re))) | .pid' "$1" | sort | uniq -c |
	    awk '{ print $2, $1 }'
}

atf_test_case auth_off__open_with_one_warning cleanup
auth_off__open_with_one_warning_head() {
	atf_set descr "API_AUTH=off and WEBHOOK_AUTH=off without " \
	    "WEBHOOK_SECRET: each responder logs one warning line of each " \
	    "at start and none per request; a business route and the C2S " \
	    "webhook answer without a key or a secret"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
auth_off__open_with_one_warning_body() {
	local i
	private_stack C2S_POOL=2 C2S_WORKERS=0 API_AUTH=off WEBHOOK_AUTH=off \
	    C2S_NO_WEBHOOK_SECRET=1
	[ -z "$C2S_WEBHOOK_SECRET" ] || atf_fail "the stack made a secret"
	for i in 1 2 3 4 5 6 7 8; do
		atf_check -o inline:'200\n' curl -q -s -o body \
		    -w '%{http_code}\n' "$URL/api/v1/stats"
	done
	json '.leads.total >= 0'
	atf_check -o inline:'200\n' curl -q -s -o body -w '%{http_code}\n' \
	    -H 'Content-Type: application/json' --data-binary \
	    '{"hook_action":"on_close_lead","id":"c105ed00000000000000000000000001","attributes":{"updated_at":"2026-01-01T00:00:00Z"}}' \
	    "$URL/api/v1/webhooks/c2s"
	json '.success == true and .received == 1'
	# One line of each per responder, whatever the requests.
	warnings "$C2S_RUNDIR/log/pool.log" '^API_AUTH=off: ' >api
	warnings "$C2S_RUNDIR/log/pool.log" '^WEBHOOK_AUTH=off: ' >hook
	[ "$(wc -l <api)" -ge 2 ] || atf_fail "warned in $(wc -l <api) responders: $(cat api)"
	awk '$2 != 1 { exit 1 }' api || atf_fail "API_AUTH: not one line each: $(cat api)"
	cmp -s api hook || atf_fail "WEBHOOK_AUTH: $(cat hook)"
	private_stack_stop
}
auth_off__open_with_one_warning_cleanup() { private_stack_stop; }

atf_test_case webhook__not_configured cleanup
webhook__not_configured_head() {
	atf_set descr "without WEBHOOK_SECRET the C2S webhook (both paths) " \
	    "answers 503 not_configured and stores nothing, a token or not; " \
	    "the business routes still want the key; no warning is logged"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
webhook__not_configured_body() {
	local p
	private_stack C2S_POOL=1 C2S_WORKERS=0 C2S_NO_WEBHOOK_SECRET=1
	export PGHOST PGUSER PGDATABASE
	for p in /api/v1/webhooks/c2s /webhook/c2s '/webhook/c2s?token=x'; do
		expect_status 503 POST "$p" -H 'Content-Type: application/json' \
		    --data-binary '{"hook_action":"on_create_lead","id":"c105ed00000000000000000000000002"}'
		expect_json_error not_configured
		json '.error | test("WEBHOOK_SECRET")'
	done
	atf_check -o inline:'0\n' psql -X -A -t -c \
	    'SELECT count(*) FROM c2s.webhook_events'
	atf_check -o inline:'401\n' curl -q -s -o /dev/null \
	    -w '%{http_code}\n' "$URL/api/v1/stats"
	expect_status 200 GET /api/v1/stats
	grep -q '"level":"warn".*_AUTH=off' "$C2S_RUNDIR/log/pool.log" &&
	    atf_fail "a warning without anything open"
	private_stack_stop
}
webhook__not_configured_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case start__refused_without_keys
	atf_add_test_case auth_off__open_with_one_warning
	atf_add_test_case webhook__not_configured
}
