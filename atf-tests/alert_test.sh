#! /usr/bin/env atf-sh
# alert_test -- the operators' alerts (DESIGN.md 11.4, lib/app/alert.c)
# on private stacks, on short clocks: each kind raised once by its cause
# and throttled on the second cause within ALERT_MIN_INTERVAL (a lead
# failing after its retries, the Work API out of credits or refusing the
# token, Diretrix's breaker held open then closed again, a low rate,
# silent webhooks, a high-value lead, the pool short of POOL_MIN and whole
# again); the Slack-compatible body as the
# simulator's echo receiver got it and the e-mail as a real SMTP server
# (python3-aiosmtpd) stored it; a channel down retried with the alert
# kept, then delivered; no channel: stored and listed by GET
# /api/v1/alerts.  Waits are on what can be observed, never sleeps.

. "$(atf_get_srcdir)/common.subr"

LINK=https://app.contact2sale.example/leads

setup() {
	private_stack C2S_WORKERS=0 "$@"
	export PGHOST PGUSER PGDATABASE
}

# alert_worker [VAR=VALUE ...]: a worker with both channels (the echo
# receiver as the webhook, smtp_start's server) on short clocks, the
# extra settings after; its pid in ./workers (stop_workers).
alert_worker() {
	worker worker.log \
	    "ALERT_WEBHOOK_URL=$C2S_SIM_URL/__sim/echo?case=alert&token=hooksecret" \
	    "ALERT_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT" \
	    ALERT_EMAIL_FROM=alertas@imob.example \
	    "ALERT_EMAIL_TO=ops@imob.example, vendas@imob.example" \
	    ALERT_MIN_INTERVAL=1h ALERT_CHECK_INTERVAL=100ms \
	    ALERT_RETRY=200ms ALERT_RATE_MIN=0 ALERT_WEBHOOKS_SILENT_AFTER=0 \
	    "C2S_LEAD_URL=$LINK/{id}" WORKER_POLL_INTERVAL=50ms "$@"
}

finish() {
	stop_workers
	smtp_stop
	# The webhook's URL is a secret: in no log.
	if grep -rl hooksecret "$RUNDIR/log" ./*.log 2>/dev/null; then
		atf_fail "the webhook URL's token is in a log"
	fi
	private_stack_stop
}

cleanup() {
	stop_workers
	smtp_stop
	private_stack_stop
}

# count KIND [KEY]: alerts of KIND (and KEY) stored.
count() {
	sql "SELECT count(*) FROM c2s.alerts WHERE kind = '$1'
	    AND ('${2:-}' = '' OR key = '${2:-}')"
}

# wait_alert KIND [KEY]: until one is stored.
wait_alert() {
	wait_for 300 eval '[ "$(count '"$1 ${2:-}"')" -ge 1 ]' ||
	    atf_fail "no $1 alert: $(sql "SELECT kind, key FROM c2s.alerts")
	    $(grep '"alert \|error' worker.log | tail -3 | cut -c1-300 |
	    tr '\n' ' ')"
}

# wait_throttled KIND KEY: until the worker logged a second cause of KIND
# throttled.
wait_throttled() {
	wait_for 300 grep -q "\"alert $1 $2 throttled" worker.log ||
	    atf_fail "no second $1 alert throttled"
}

# why KIND: the alerts of KIND and the worker's last alert lines.
why() {
	{
		sql "SELECT id, key, webhook_state, webhook_attempts,
		    webhook_error, email_state, email_attempts, email_error
		    FROM c2s.alerts WHERE kind = '$1'"
		grep '"alert ' worker.log | tail -3 | cut -c1-300
	} 2>&1 | tr '\n' ' '
}

# sent KIND: its webhook and e-mail both sent.
sent() {
	[ "$(sql "SELECT webhook_state || email_state FROM c2s.alerts
	    WHERE kind = '$1' ORDER BY id LIMIT 1")" = sentsent ]
}

# wait_sent KIND: until sent.
wait_sent() {
	wait_for 100 sent "$1" || atf_fail "$1 not sent: $(why "$1")"
}

# echo_of KIND: the body the echo receiver got for the alert of KIND,
# into ./slack.
echo_of() {
	curl -s "$C2S_SIM_URL/__sim/echo" | jq --arg k "$1" '[.echoes[] |
	    select(.query == "case=alert&token=***") | .body |
	    select(.blocks[-1].elements[0].text | contains(" " + $k + " "))] |
	    last' >slack
	jq -e 'type == "object"' slack >/dev/null ||
	    atf_fail "the webhook got no $1 alert"
}

# mail_of KIND [TEXT]: the message of the alert of KIND (with TEXT) in
# the Maildir, into ./msg; its subject decoded into ./subject.
mail_of() {
	local f
	f=$(grep -l "^X-C2S-Enrich-Alert: $1" mail/new/* 2>/dev/null |
	    xargs -r grep -lF -- "${2:-}" | head -1)
	[ -n "$f" ] || atf_fail "no $1 e-mail in the mailbox"
	tr -d '\r' <"$f" >msg
	# The Subject decoded by Python's e-mail package (RFC 2047).
	/usr/bin/python3 -c 'import sys, email, email.header as h
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
sys.stdout.write(str(h.make_header(h.decode_header(m["Subject"]))))' \
	    "$f" >subject || atf_fail "the subject of $f cannot be decoded"
}

atf_test_case lead_failed_work_refused cleanup
lead_failed_work_refused_head() {
	atf_set descr "a lead failed after its retries (RETRY_UNIT=100ms) " \
	    "and the Work API out of credits and refusing the token raise " \
	    "one alert each, the second causes throttled; the Slack body " \
	    "(text, blocks, C2S link) and the e-mail (RFC 5322 headers, " \
	    "UTF-8 subject) as received"
	atf_set timeout 120
}
lead_failed_work_refused_body() {
	local a b t
	setup RETRY_UNIT=100ms RETRY_SCHEDULE=1
	smtp_start mail
	alert_worker RETRY_UNIT=100ms RETRY_SCHEDULE=1
	# The Work API answers "not enough credits": partial, retried
	# once, then failed.
	a=$(rand_id fa170a07)
	process "$a"
	wait_alert lead_failed
	wait_alert work_refused credits
	[ "$(sql "SELECT key FROM c2s.alerts WHERE kind = 'lead_failed'")" \
	    = "$a" ] || atf_fail "the failed alert is not of $a"
	# A second lead failing, more refusals: no second alert.
	b=$(rand_id fa170a07)
	process "$b"
	wait_for 300 eval '[ "$(sql "SELECT status FROM c2s.leads
	    WHERE lead_id = '"'$b'"'")" = failed ]' || atf_fail "$b not failed"
	wait_throttled lead_failed "$b"
	wait_throttled work_refused credits
	[ "$(count lead_failed)" = 1 ] && [ "$(count work_refused)" = 1 ] ||
	    atf_fail "throttling: $(sql "SELECT kind, key FROM c2s.alerts")"
	# The token refused (fault 06) is its own alert.
	process "$(rand_id fa170a06)"
	wait_alert work_refused token
	# The Slack body of the failed lead.
	wait_sent lead_failed
	echo_of lead_failed
	t=$(sql "SELECT title FROM c2s.alerts WHERE kind = 'lead_failed'")
	jq -e --arg a "$a" --arg t "$t" --arg l "<$LINK/$a|Abrir na C2S>" '
	    (.text | startswith($t + "\n") and contains($a) and
	    endswith("'"$LINK"'/" + $a)) and
	    .blocks[0].type == "header" and .blocks[0].text.text == $t and
	    .blocks[1].type == "section" and
	    (.blocks[1].text.text | contains("work_cpf")) and
	    .blocks[2].text.text == $l and .blocks[3].type == "context"' \
	    slack >/dev/null || atf_fail "Slack body: $(jq -c . slack)"
	# Its e-mail.
	mail_of lead_failed
	atf_check -o inline:"$t" cat subject
	grep -Eq '^Subject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$' msg &&
	    grep -q '^From: c2s-enrich <alertas@imob.example>$' msg &&
	    grep -q '^To: ops@imob.example, vendas@imob.example$' msg &&
	    grep -q '^X-RcptTo: ops@imob.example, vendas@imob.example$' msg &&
	    grep -Eq '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} '\
'[0-9:]{8} \+0000$' msg &&
	    grep -Eq '^Message-ID: <c2s-enrich\.alert\.[0-9]+\.[0-9]+'\
'@imob\.example>$' msg &&
	    grep -q '^MIME-Version: 1.0$' msg &&
	    grep -q '^Content-Type: text/plain; charset=UTF-8$' msg &&
	    grep -q '^Content-Transfer-Encoding: 8bit$' msg &&
	    grep -q "^Abrir na C2S: $LINK/$a\$" msg ||
	    atf_fail "e-mail: $(tr '\n' ' ' <msg)"
	# The credits alert's subject is not ASCII: decoded as UTF-8.
	mail_of work_refused "not enough credits"
	printf 'Work API: cr\303\251ditos esgotados' >want
	atf_check -o file:want cat subject
	finish
}
lead_failed_work_refused_cleanup() { cleanup; }

atf_test_case provider_down_recovered cleanup
provider_down_recovered_head() {
	atf_set descr "Diretrix answering 503 holds its breaker open past " \
	    "ALERT_PROVIDER_DOWN_AFTER: one alert; it closes: a recovered " \
	    "alert; a second outage within ALERT_MIN_INTERVAL is throttled"
	atf_set timeout 120
}
provider_down_recovered_body() {
	local s
	setup CPF_TIERS=diretrix_phone,diretrix_email BREAKER_THRESHOLD=2 \
	    BREAKER_COOLDOWN=300ms BREAKER_COOLDOWN_MAX=300ms
	smtp_start mail
	alert_worker ALERT_PROVIDER_DOWN_AFTER=500ms
	process "$(rand_id fa17d102)"
	wait_alert provider_down diretrix
	[ "$(count provider_recovered)" = 0 ] ||
	    atf_fail "recovered while still open"
	# After the cool-down an ordinary lead is the probe: it closes.
	s=$(plain_seed)
	wait_for 100 eval 'process "$(seeded_id '"$s"' 0 00)";
	    [ "$(jq -r .status body)" = completed ]' ||
	    atf_fail "Diretrix never answered again: $(cat body)"
	wait_alert provider_recovered diretrix
	wait_sent provider_recovered
	echo_of provider_recovered
	jq -e '.text | startswith("Fornecedor de volta: Diretrix\n")' slack \
	    >/dev/null || atf_fail "Slack body: $(jq -c . slack)"
	# Down again: throttled.
	process "$(rand_id fa17d102)"
	wait_throttled provider_down diretrix
	[ "$(count provider_down)" = 1 ] || atf_fail "a second down alert"
	finish
}
provider_down_recovered_cleanup() { cleanup; }

atf_test_case rate_silent_high_value cleanup
rate_silent_high_value_head() {
	atf_set descr "a last hour's enrichment rate below ALERT_RATE_MIN, " \
	    "no webhook for ALERT_WEBHOOKS_SILENT_AFTER in business hours " \
	    "and a high-value lead each raise one alert, the second causes " \
	    "throttled (a high-value lead: one alert per lead); CPFs masked " \
	    "in the Slack body and the e-mail"
	atf_set timeout 120
}
rate_silent_high_value_body() {
	local i s id cpf fmt masked t
	setup
	smtp_start mail
	alert_worker ALERT_RATE_MIN=50 ALERT_RATE_MIN_LEADS=3 \
	    ALERT_WEBHOOKS_SILENT_AFTER=1s "ALERT_BUSINESS_HOURS=1-7 00-24"
	# Three leads refused before any lookup (no valid contact): 0 %
	# enriched.
	for i in 1 2 3; do
		process "$(rand_id fa17bc02)"
	done
	wait_alert low_rate
	process "$(rand_id fa17bc02)"
	wait_throttled low_rate ""
	[ "$(count low_rate)" = 1 ] || atf_fail "a second low_rate alert"
	# A webhook, then a second of silence; again.
	for i in 1 2; do
		hook "$(rand_id fa17bc02)"
		wait_alert webhooks_silent
	done
	wait_throttled webhooks_silent ""
	[ "$(count webhooks_silent)" = 1 ] || atf_fail "a second silent alert"
	# A completed lead the pipeline judges no high-value one (seed
	# 234567013: renda 3081,31, MEDIO BAIXO, a plain SOCIO; see
	# pipeline_test:high_value), then made one by the test, its CPF
	# written in the reasons.
	s=234567013
	id=$(seeded_id "$s" 0 00)
	process "$id"
	json '.status == "completed"'
	cpf=$(cpf_of "$s")
	masked="***.***.***-$(echo "$cpf" | cut -c10-11)"
	fmt=$(echo "$cpf" | sed -E 's/(...)(...)(...)(..)/\1.\2.\3-\4/')
	sql "UPDATE c2s.leads SET high_value = 'renda estimada R\$ 40.000; '
	    || 'sócio-administrador (CPF $cpf); titular $fmt',
	    updated_at = now() WHERE lead_id = '$id'" >/dev/null
	wait_alert high_value "$id"
	# Changed again: still one alert for this lead.
	sql "UPDATE c2s.leads SET high_value = high_value || '; ALTO',
	    updated_at = now() WHERE lead_id = '$id'" >/dev/null
	wait_throttled high_value "$id"
	[ "$(count high_value)" = 1 ] || atf_fail "two alerts for one lead"
	wait_sent high_value
	echo_of high_value
	t=$(sql "SELECT title FROM c2s.alerts WHERE kind = 'high_value'")
	case $t in
	"⭐ Lead de alto valor: "?*) ;;
	*) atf_fail "title: $t" ;;
	esac
	# (A seeded lead's id holds the seed: the CPF is looked for
	# elsewhere.)
	jq -e --arg m "$masked" --arg c "$cpf" --arg f "$fmt" --arg id "$id" '
	    (tostring | gsub($id; "") | contains($c) or contains($f) | not)
	    and (.text | contains("(CPF " + $m + "); titular " + $m)) and
	    (.blocks[1].text.text | contains($m))' slack >/dev/null ||
	    atf_fail "Slack body: $(jq -c . slack)"
	mail_of high_value
	atf_check -o inline:"$t" cat subject
	grep -qF "titular $masked" msg && ! grep -qF "$fmt" msg || atf_fail "no masked CPF: $(tr '\n' ' ' <msg)"
	! grep -Eq "(^|[^0-9a-f])$cpf([^0-9a-f]|\$)" msg \
	    "$RUNDIR/log"/*.log worker.log ||
	    atf_fail "the CPF in clear in the e-mail or a log"
	[ "$(sql "SELECT count(*) FROM c2s.alerts WHERE replace(text, '$id',
	    '') LIKE '%$cpf%'")" = 0 ] ||
	    atf_fail "the CPF in clear in c2s.alerts"
	# The pipeline's own judgement: a high-value person's lead (seed
	# 123456015) alerts once, with the note's reasons.
	id=$(seeded_id 123456015 0 00)
	process "$id"
	json '.status == "completed"'
	wait_alert high_value "$id"
	[ "$(count high_value)" = 2 ] || atf_fail "not one alert for the lead"
	[ "$(sql "SELECT text LIKE '%poder aquisitivo MUITO ALTO%' FROM
	    c2s.alerts WHERE kind = 'high_value' AND key = '$id'")" = t ] ||
	    atf_fail "the reasons: $(sql "SELECT text FROM c2s.alerts
	    WHERE key = '$id'")"
	finish
}
rate_silent_high_value_cleanup() { cleanup; }

# hook ID: one C2S webhook event for lead ID.
hook() {
	jq -nc --arg id "$1" '[{hook_action: "on_create_lead", id: $id,
	    attributes: {updated_at: "t1"}}]' >ev
	expect_status 200 POST /api/v1/webhooks/c2s \
	    -H 'Content-Type: application/json' \
	    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" --data-binary @ev
}

# high_lead: a completed lead row, high-value, made in SQL; its id.
high_lead() {
	local id
	id=$(rand_id)
	sql "INSERT INTO c2s.leads (lead_id, status, customer_name,
	    high_value) VALUES ('$id', 'completed', 'Ana Souza',
	    'renda estimada R\$ 40.000')" >/dev/null
	echo "$id"
}

atf_test_case channels_down_kept cleanup
channels_down_kept_head() {
	atf_set descr "no channel: the alert is stored and listed by GET " \
	    "/api/v1/alerts; older ones pruned; the webhook answering 500 and the SMTP server " \
	    "stopped: retried with back-off, the alert kept, then " \
	    "delivered once each is back"
	atf_set timeout 120
}
channels_down_kept_body() {
	local a b
	setup
	# An alert and a mark older than RETENTION_DAYS (90): pruned.
	sql "INSERT INTO c2s.alerts (kind, title, text, created_at,
	    webhook_state, email_state) VALUES ('low_rate', 'old', 'old',
	    now() - interval '91 days', 'off', 'off');
	    INSERT INTO c2s.alert_marks VALUES ('low_rate',
	    now() - interval '91 days')" >/dev/null
	# No channel at all.
	worker worker.log ALERT_CHECK_INTERVAL=100ms WORKER_POLL_INTERVAL=50ms
	a=$(high_lead)
	wait_alert high_value "$a"
	wait_for 100 eval '[ "$(sql "SELECT count(*) FROM c2s.alerts
	    WHERE title = '"'old'"'") $(sql "SELECT count(*) FROM
	    c2s.alert_marks WHERE mark = '"'low_rate'"'")" = "0 0" ]' ||
	    atf_fail "the old alert or mark not pruned"
	expect_status 200 GET /api/v1/alerts
	jq -e --arg a "$a" '(.alerts | length == 1) and (.alerts[0] |
	    .kind == "high_value" and .key == $a and
	    .webhook.state == "off" and .email.state == "off" and
	    .link == null and
	    (.title | startswith("⭐ Lead de alto valor: Ana Souza")) and
	    (.created_at | test("^[0-9-]{10}T[0-9:]{8}Z$")))' body \
	    >/dev/null || atf_fail "GET /api/v1/alerts: $(cat body)"
	# Behind the API key, as /api/v1/stats.
	[ "$(curl -q -s -o /dev/null -w '%{http_code}' \
	    "$URL/api/v1/alerts")" = 401 ] || atf_fail "no key: not a 401"
	stop_workers
	# Both channels down: the webhook answers 500, no SMTP server on
	# the port.
	smtp_start mail
	smtp_stop
	alert_worker "ALERT_WEBHOOK_URL=$C2S_SIM_URL/__sim/echo?status=500&"\
"case=alert&token=hooksecret"
	b=$(high_lead)
	wait_alert high_value "$b"
	wait_for 300 eval '[ "$(sql "SELECT webhook_attempts >= 3 AND
	    email_attempts >= 3 AND webhook_state = '"'pending'"' AND
	    email_state = '"'pending'"' AND webhook_error = '"'HTTP status 500'"'
	    AND email_error LIKE '"'smtp: %'"' FROM c2s.alerts
	    WHERE key = '"'$b'"'")" = t ]' ||
	    atf_fail "not retried: $(sql "SELECT * FROM c2s.alerts")"
	[ "$(curl -s "$C2S_SIM_URL/__sim/echo" | jq '[.echoes[] |
	    select(.query | contains("status=500"))] | length')" -ge 3 ] ||
	    atf_fail "the webhook was not tried again"
	expect_status 200 GET /api/v1/alerts
	json '.alerts[0].webhook.state == "pending" and
	    .alerts[0].webhook.attempts >= 3 and
	    .alerts[0].email.error != null'
	# The SMTP server back on its port: the e-mail goes.
	smtp_start mail "$SMTP_PORT"
	wait_for 300 eval '[ "$(sql "SELECT email_state FROM c2s.alerts
	    WHERE key = '"'$b'"'")" = sent ]' ||
	    atf_fail "never e-mailed: $(why high_value) $(tail -1 smtp.out)"
	mail_of high_value
	grep -q "Lead $b (Ana Souza)" msg || atf_fail "e-mail: $(tr '\n' ' ' <msg)"
	# The webhook back (a worker with the receiver answering 200): the
	# alert kept pending is delivered.
	stop_workers
	alert_worker
	wait_for 300 eval '[ "$(sql "SELECT webhook_state FROM c2s.alerts
	    WHERE key = '"'$b'"'")" = sent ]' || atf_fail "never delivered"
	echo_of high_value
	jq -e --arg b "$b" '.text | contains("Lead " + $b)' slack >/dev/null ||
	    atf_fail "Slack body: $(jq -c . slack)"
	[ "$(count high_value)" = 2 ] || atf_fail "alerts lost or doubled"
	finish
}
channels_down_kept_cleanup() { cleanup; }

atf_test_case status_page cleanup
status_page_head() {
	atf_set descr "/status in headless Chromium lists the alert in its " \
	    "Alerts section (kind, title, channels), from GET " \
	    "/api/v1/alerts with the key of the tab, not asked for without " \
	    "one, beside the operators' buttons (Retry, Reprocess, Export " \
	    "CSV); a screenshot in the artefacts"
	atf_set require.progs "node chromium"
	atf_set timeout 120
}
status_page_body() {
	local a dir row
	setup
	worker worker.log ALERT_CHECK_INTERVAL=100ms WORKER_POLL_INTERVAL=50ms
	a=$(high_lead)
	wait_alert high_value "$a"
	dir=$(atf_config_get artefacts_dir "$TOP/.kyua/artefacts")
	mkdir -p "$dir" || atf_fail "cannot create $dir"
	row='document.querySelector("#alert-list tbody tr")'
	node "$(atf_get_srcdir)/browser.mjs" "$URL/status/" \
	    --wait '#alert-list tbody tr' \
	    --screenshot "$dir/status-alerts.png" \
	    --session "c2s-enrich.api-key=$C2S_API_KEY" \
	    --eval 'rows=document.querySelectorAll("#alert-list tbody tr").length' \
	    --eval "kind=$row.dataset.kind" \
	    --eval "title=$row.querySelector('strong').textContent" \
	    --eval "channels=[...$row.cells].slice(3).map(c =>
	    c.textContent).join(' ')" \
	    --eval 'count=document.getElementById("alert-count").textContent' \
	    --eval 'buttons=[...document.querySelectorAll("#admin button")].map(b =>
	    b.textContent).join(",")' \
	    >report 2>browser.err ||
	    atf_fail "browser.mjs failed: $(grep -v '^/usr/bin/chromium' \
	    browser.err | head -3 | tr '\n' ' ')"
	echo "screenshot: $dir/status-alerts.png"
	jq -e '.waited and .values.rows == 1 and
	    .values.kind == "high_value" and .values.count == "1" and
	    (.values.title | startswith("⭐ Lead de alto valor: Ana Souza")) and
	    .values.channels == "off off" and
	    .values.buttons == "Retry,Reprocess,Export CSV" and
	    (.page_errors | length == 0) and
	    (.off_host | length == 0)' report >/dev/null ||
	    atf_fail "the page: $(jq -c '{waited, wait_error, values,
	    page_errors}' report)"
	# No key in the tab: the page asks for one, and the alerts are not
	# asked for in vain (no third 401 in the console).
	node "$(atf_get_srcdir)/browser.mjs" "$URL/status/" \
	    --wait 'body[data-state="error"]' \
	    --screenshot "$dir/status-alerts-nokey.png" >report 2>browser.err ||
	    atf_fail "browser.mjs failed without a key"
	jq -e '.waited and (.requests | map(select(contains("/api/v1/alerts"))) |
	    length == 0) and (.page_errors | length == 0)' report >/dev/null ||
	    atf_fail "without a key: $(jq -c '{waited, requests}' report)"
	finish
}
status_page_cleanup() { cleanup; }

atf_test_case pool_short_recovered cleanup
pool_short_recovered_head() {
	atf_set descr "the pool short of POOL_MIN past the master's " \
	    "POOL_SHORT_AFTER (every responder killed as it starts, for " \
	    "3 s; the worker's own setting the default) raises " \
	    "pool_short once, sent on both channels, and the pool whole " \
	    "again pool_recovered"
	atf_set timeout 120
}
pool_short_recovered_body() {
	local killer
	setup C2S_POOL=2 POOL_SHORT_AFTER=1s
	smtp_start mail
	# The worker's own POOL_SHORT_AFTER is the default, 60 s: it judges
	# by the master's (in the scoreboard's head).
	alert_worker
	wait_for 50 pool_full || atf_fail "pool not full"
	kill_starting 3
	killer=$KILLER
	wait_alert pool_short pool
	wait "$killer"
	wait_for 400 pool_full || atf_fail "the pool did not heal"
	wait_alert pool_recovered pool
	[ "$(count pool_short)" = 1 ] || atf_fail "more than one pool_short"
	wait_sent pool_short
	echo_of pool_short
	jq -e '.text | contains("Pool de respostas abaixo do mínimo") and
	    contains("POOL_MIN")' slack >/dev/null ||
	    atf_fail "Slack body: $(jq -c . slack)"
	wait_sent pool_recovered
	mail_of pool_recovered
	grep -q "voltou a 2 respostas (POOL_MIN)" msg ||
	    atf_fail "e-mail: $(tr '\n' ' ' <msg)"
	finish
}
pool_short_recovered_cleanup() { cleanup; }

atf_init_test_cases() {
	atf_add_test_case lead_failed_work_refused
	atf_add_test_case provider_down_recovered
	atf_add_test_case rate_silent_high_value
	atf_add_test_case channels_down_kept
	atf_add_test_case status_page
	atf_add_test_case pool_short_recovered
}
