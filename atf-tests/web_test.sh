#! /usr/bin/env atf-sh
# web_test -- the static pages of the shared stack, as a person's browser
# shows them: lighttpd's routing of /docs, /status and /api-docs, then
# Debian's headless Chromium driven by browser.mjs (playwright-core from
# web/node_modules).  /docs renders the OpenAPI document; /status shows the
# numbers GET /api/v1/stats gives and copes with it failing.  Nothing may
# leave 127.0.0.1.
#
# Screenshots are written to the artefacts directory: the config variable
# artefacts_dir, else $C2S_ARTEFACTS, else .kyua/artefacts/ under the tree.

. "$(atf_get_srcdir)/common.subr"

artefacts_dir() {
	if atf_config_has artefacts_dir; then
		atf_config_get artefacts_dir
	else
		echo "${C2S_ARTEFACTS:-$TOP/.kyua/artefacts}"
	fi
}

# browse NAME URL SELECTOR [browser.mjs options]: loads URL in Chromium,
# waits for SELECTOR; the report in ./report, the screenshot NAME.png in
# the artefacts directory.
browse() {
	local name=$1 url=$2 sel=$3 dir
	shift 3
	dir=$(artefacts_dir)
	mkdir -p "$dir" || atf_fail "cannot create $dir"
	node "$(atf_get_srcdir)/browser.mjs" "$url" --wait "$sel" \
	    --screenshot "$dir/$name.png" "$@" >report 2>browser.err ||
	    atf_fail "browser.mjs failed: $(grep -v '^/usr/bin/chromium' browser.err | head -20)"
	echo "screenshot: $dir/$name.png"
	jq -r '.console[] | "console \(.type): \(.text) [\(.url)]"' report
	jq -e .waited report >/dev/null ||
	    atf_fail "$url: '$sel' never appeared: $(jq -r .wait_error report)"
}

# report_empty FIELD [JQ-FILTER]: .FIELD of ./report (after the filter) is
# an empty list.
report_empty() {
	local f=$1 filter=${2:-.}
	jq -e ".$1 | $filter | length == 0" report >/dev/null ||
	    atf_fail "$f: $(jq -c ".$f | $filter" report)"
}

# The page's own traffic stayed on the stack: every request went to $URL,
# none was blocked for leaving it, none failed.
traffic_local() {
	report_empty off_host
	report_empty requests "map(select(startswith(\"$URL/\") | not))"
	report_empty failed_requests
}

# value NAME: the value browser.mjs evaluated for NAME, as JSON.
value() {
	jq -c ".values[\"$1\"]" report
}

# digits NAME: the digits of a text value ("1,234" -> 1234).
digits() {
	jq -r ".values[\"$1\"] | tostring | gsub(\"[^0-9]\"; \"\")" report
}

# expect NAME WANT: the value evaluated for NAME, as JSON, is WANT.
expect() {
	local got
	got=$(value "$1")
	[ "$got" = "$2" ] || atf_fail "page value $1 is $got, expected $2"
}

# expect_number NAME WANT: the digits shown for NAME are the number WANT.
expect_number() {
	local got
	got=$(digits "$1")
	[ -n "$2" ] && [ "$got" = "$2" ] ||
	    atf_fail "page shows $1 = $(value "$1"), expected $2"
}

atf_test_case static__routes
static__routes_head() {
	atf_set descr "lighttpd serves /docs, /status and /api-docs from its " \
	    "document root and sends every other path to the pool"
	atf_set require.config "base_url stack_dir"
	atf_set require.progs "curl jq"
}
static__routes_body() {
	shared_stack
	# /docs and /status redirect to their directory, which is a page.
	for p in docs status; do
		atf_check -o "inline:301 $URL/$p/\n" \
		    curl -s -o /dev/null -w '%{http_code} %{redirect_url}\n' "$URL/$p"
		atf_check -o 'match:^200 text/html' \
		    curl -s -o page.html -w '%{http_code} %{content_type}\n' "$URL/$p/"
		atf_check -o "match:web/$p/index.html" cat page.html
	done
	atf_check -o 'match:^200 text/javascript' \
	    curl -s -o /dev/null -w '%{http_code} %{content_type}\n' \
	    "$URL/status/status.js"
	# The Swagger UI committed in web/docs/vendor/ is there.
	atf_check -o 'match:^200 text/javascript' \
	    curl -s -o /dev/null -w '%{http_code} %{content_type}\n' \
	    "$URL/docs/vendor/swagger-ui-bundle.js"
	atf_check -o 'match:^200 application/yaml' \
	    curl -s -o openapi.yml -w '%{http_code} %{content_type}\n' \
	    "$URL/api-docs/openapi.yml"
	atf_check cmp -s openapi.yml "$TOP/web/api-docs/openapi.yml"
	# A missing static file is a JSON 404 (the pool answers lighttpd's
	# error).
	expect_status 404 GET /docs/no-such-file.js
	expect_json_error not_found
	# Paths that only begin like a static folder still reach the pool.
	expect_status 404 GET /docsx
	expect_json_error not_found
	expect_status 200 GET /health
	atf_check -o inline:'ok\n' jq -r .status body
	expect_status 404 GET /statusfoo
	expect_json_error not_found
	# web/'s package files and node_modules are not served.
	expect_status 404 GET /package.json
	expect_status 404 GET /node_modules/swagger-ui-dist/package.json
}

# ops_diff FILTER: the filter over ./report, the document's operations
# as $d[0], on one line.
ops_diff() {
	jq -c --slurpfile d operations.json "$1" report
}

atf_test_case docs__renders
docs__renders_head() {
	atf_set descr "/docs renders the OpenAPI document in Chromium: the " \
	    "API's title and exactly the document's operations, no console " \
	    "error, no request leaving the stack"
	atf_set require.config "base_url stack_dir"
	atf_set require.progs "node chromium jq"
	atf_set timeout 120
}
docs__renders_body() {
	local title spec
	shared_stack
	spec="$TOP/web/api-docs/openapi.yml"
	# info.title of the document, quotes stripped.
	title=$(awk '/^info:/ { i = 1; next } i && /^[^ ]/ { i = 0 }
	    i && /^  title:/ { sub(/^  title:[ ]*/, ""); print; exit }' "$spec" |
	    sed -e "s/^[\"']//" -e "s/[\"']$//")
	[ -n "$title" ] || atf_fail "no info.title in $spec"
	# Every operation of the document, "METHOD PATH", as a JSON array.
	node "$TOP/atf-tests/openapi/walk.js" operations --doc "$spec" \
	    >operations.txt || atf_fail "walk.js operations failed on $spec"
	jq -R . operations.txt | jq -s . >operations.json
	[ "$(jq length operations.json)" -gt 0 ] ||
	    atf_fail "no operation in $spec"

	browse docs__renders "$URL/docs" '.swagger-ui .opblock-summary-path' \
	    --eval 'title=document.querySelector(".swagger-ui .info .title").childNodes[0].textContent.trim()' \
	    --eval 'operations=[...document.querySelectorAll(".swagger-ui .opblock")].map(e => e.querySelector(".opblock-summary-method").textContent.trim() + " " + e.querySelector(".opblock-summary-path").textContent.replace(/\u200b/g, "").trim())' \
	    --eval 'spec=document.querySelector(".swagger-ui .info a.link, .swagger-ui .info .url")?.textContent ?? null' \
	    --eval 'error=document.querySelector(".swagger-ui .errors-wrapper")?.textContent ?? null' \
	    --eval 'validator=window.ui.getConfigs().validatorUrl' \
	    --eval 'query_config=window.ui.getConfigs().queryConfigEnabled'

	jq -e --arg t "$title" '.values.title == $t' report >/dev/null ||
	    atf_fail "title $(value title), expected '$title'"
	# The operations shown are the document's, each once.
	jq -e --slurpfile d operations.json \
	    '(.values.operations | sort) == ($d[0] | sort)' report >/dev/null ||
	    atf_fail "operations shown differ from the document: missing $(ops_diff '$d[0] - .values.operations'), extra $(ops_diff '.values.operations - $d[0]')"
	[ "$(value error)" = null ] ||
	    atf_fail "Swagger UI shows errors: $(value error)"
	# Nothing that would phone home on a public host: no validator badge,
	# no spec URL taken from the query string.
	expect validator null
	expect query_config false
	report_empty console 'map(select(.type == "error"))'
	report_empty page_errors
	report_empty http_errors
	traffic_local
	# The document came from this server.
	jq -e --arg u "$URL/api-docs/openapi.yml" '.requests | index($u)' \
	    report >/dev/null || atf_fail "the page never asked for $URL/api-docs/openapi.yml"
}

# seed: leads of several outcomes through the real pipeline (the stack's
# upstreams are the simulator).
seed() {
	local v id
	for v in normal normal no_cpf no_dossier; do
		id=$(find_lead "$v")
		expect_status 200 GET "/api/v1/leads/process?id=$id"
		json '.success == true'
	done
	# A C2S event that cannot run, for the invalid events' list.
	expect_status 422 POST "/api/v1/webhooks/c2s?token=$C2S_WEBHOOK_SECRET" \
	    -H 'Content-Type: application/json' \
	    -d '{"hook_action":"on_create_lead","lead":{"internal_id":1}}'
}

atf_test_case status__renders
status__renders_head() {
	atf_set descr "/status in Chromium shows the numbers of /api/v1/stats: " \
	    "total leads, today's outcomes, a 7-day chart, the failed and " \
	    "retryable lists; no console error"
	atf_set require.config "base_url stack_dir"
	atf_set require.progs "node chromium jq curl"
	atf_set timeout 120
}
status__renders_body() {
	local i d
	shared_stack
	seed
	expect_status 200 GET /api/v1/stats
	cp body stats.before

	browse status__renders "$URL/status" 'body[data-state="ok"]' \
	    --session "c2s-enrich.api-key=$C2S_API_KEY" \
	    --eval 'total=document.querySelector("#leads [data-stat=\"leads.total\"]").textContent' \
	    --eval 'completed_today=document.querySelector("[data-stat=\"daily.today.completed\"]").textContent' \
	    --eval 'completed_cell=document.querySelector("#daily-table [data-stat=\"daily.6.completed\"]").textContent' \
	    --eval 'total_today=document.querySelector("#daily-table [data-stat=\"daily.6.total\"]").textContent' \
	    --eval 'by_completed=document.querySelector("[data-stat=\"leads.by_status.completed\"]").textContent' \
	    --eval 'today_leads=document.querySelector("#rate-table [data-stat=\"enrichment_rate.today.leads\"]").textContent' \
	    --eval 'days=[...document.querySelectorAll("#chart g.day")].map(g => g.dataset.date)' \
	    --eval 'bar_today=[...document.querySelectorAll("#chart g.day")].pop()?.dataset.total ?? null' \
	    --eval 'retryable=document.querySelector("#queue [data-stat=\"retryable.count\"]").textContent' \
	    --eval 'retryable_rows=document.querySelectorAll("#retryable-list tbody tr.lead").length' \
	    --eval 'failed=document.querySelector("#queue [data-stat=\"failed.count\"]").textContent' \
	    --eval 'failed_rows=document.querySelectorAll("#failed-list tbody tr.lead, #failed-list tbody tr.none").length' \
	    --eval 'invalid=document.querySelector("#queue [data-stat=\"invalid_webhooks.count\"]").textContent' \
	    --eval 'invalid_rows=[...document.querySelectorAll("#invalid-webhooks tbody tr.event")].map(r => r.cells[0].textContent)' \
	    --eval 'invalid_why=[...document.querySelectorAll("#invalid-webhooks tbody tr.event")].map(r => r.cells[3].textContent)' \
	    --eval 'upstreams=document.querySelectorAll("#upstreams tbody tr").length' \
	    --eval 'ready=document.getElementById("ready").dataset.ready' \
	    --eval 'message_hidden=document.getElementById("message").hidden' \
	    --eval 'work_calls=document.querySelector("[data-stat=\"metrics.upstream.work_api.calls\"]").textContent' \
	    --eval 'c2s_calls=document.querySelector("[data-stat=\"metrics.upstream.c2s.calls\"]").textContent' \
	    --eval 'responders=document.querySelector("[data-stat=\"metrics.responders\"]").textContent' \
	    --eval 'dedup_hits=document.querySelector("[data-stat=\"metrics.dedup_hits\"]").textContent'

	# The numbers must not have moved while the page loaded, or comparing
	# them would prove nothing.
	scrape metrics.after
	expect_status 200 GET /api/v1/stats
	jq -e --slurpfile a stats.before \
	    '[.leads, .daily, .retryable.count, .failed.count] ==
	     [$a[0].leads, $a[0].daily, $a[0].retryable.count, $a[0].failed.count]' \
	    body >/dev/null || atf_fail "the stats changed during the test"

	# The seeded leads are counted (4 today, 2 completed at least).
	json '.leads.total >= 4 and .daily[6].total >= 4 and .daily[6].completed >= 2'
	expect_number total "$(jq .leads.total body)"
	expect_number completed_today "$(jq .daily[6].completed body)"
	expect_number completed_cell "$(jq .daily[6].completed body)"
	expect_number total_today "$(jq .daily[6].total body)"
	expect_number bar_today "$(jq .daily[6].total body)"
	expect_number by_completed "$(jq .leads.by_status.completed body)"
	expect_number today_leads "$(jq .enrichment_rate.today.leads body)"
	# Seven day groups in the chart, the dates of stats.daily in order.
	expect days "$(jq -c '[.daily[].date]' body)"
	atf_check -o 'inline:7\n' jq '.values.days | length' report
	# Failed and retryable: counts, and one row per recent lead.
	expect_number retryable "$(jq .retryable.count body)"
	expect_number failed "$(jq .failed.count body)"
	expect retryable_rows "$(jq '.retryable.recent | length' body)"
	json '.retryable.count >= 1'
	[ "$(value failed_rows)" -ge 1 ] || atf_fail "no failed list shown"
	# Invalid webhook events: the count, and one row per recent event,
	# newest first, with its reason.
	expect_number invalid "$(jq .invalid_webhooks.count body)"
	expect invalid_rows "$(jq -c '[.invalid_webhooks.recent[].id | tostring]' body)"
	expect invalid_why "$(jq -c '[.invalid_webhooks.recent[].error]' body)"
	json '.invalid_webhooks.count >= 1'
	[ "$(value upstreams)" -ge 3 ] || atf_fail "upstreams not shown"
	expect ready '"ready"'
	expect message_hidden 'true'
	# The machine's counters, as /metrics has them (loading the page
	# calls no upstream and claims no lead).
	expect_number work_calls "$(awk '/^c2s_upstream_calls_total\{api="work"/ \
	    { n += $2 } END { print n + 0 }' metrics.after)"
	expect_number c2s_calls "$(awk '/^c2s_upstream_calls_total\{api="c2s"/ \
	    { n += $2 } END { print n + 0 }' metrics.after)"
	[ "$(digits work_calls)" -ge 1 ] || atf_fail "no Work API call shown"
	expect_number responders "$C2S_POOL"
	expect_number dedup_hits $(( $(metric 'c2s_dedup_total{result="hit_file"}' metrics.after) +
	    $(metric 'c2s_dedup_total{result="hit_database"}' metrics.after) ))

	report_empty console 'map(select(.type == "error"))'
	report_empty page_errors
	report_empty http_errors
	traffic_local
	# It read the three sources.
	jq -e --arg s "$URL/api/v1/stats" --arg r "$URL/ready" \
	    --arg m "$URL/metrics" \
	    '.requests | index($s) and index($r) and index($m)' report \
	    >/dev/null ||
	    atf_fail "the page did not read /api/v1/stats, /ready and /metrics"
}

atf_test_case status__stats_error
status__stats_error_head() {
	atf_set descr "/status with /api/v1/stats answering 503 shows an " \
	    "error message and throws no exception"
	atf_set require.config "base_url stack_dir"
	atf_set require.progs "node chromium jq"
	atf_set timeout 120
}
status__stats_error_body() {
	shared_stack
	echo '{"error":"stats unavailable in this test","code":"db_unavailable"}' \
	    >error.json
	browse status__stats_error "$URL/status" 'body[data-state="error"]' \
	    --session "c2s-enrich.api-key=$C2S_API_KEY" \
	    --fulfill /api/v1/stats=503:error.json \
	    --eval 'message=document.getElementById("message").textContent' \
	    --eval 'visible=!document.getElementById("message").hidden &&
	        document.getElementById("message").offsetHeight > 0' \
	    --eval 'total=document.querySelector("[data-stat=\"leads.total\"]").textContent'

	expect visible 'true'
	jq -e '.values.message | test("503") and
	    test("stats unavailable in this test")' report >/dev/null ||
	    atf_fail "message: $(value message)"
	# No number was made up.
	expect total '"—"'
	report_empty page_errors
	# The one console error allowed is Chromium's own line about the 503.
	report_empty console 'map(select(.type == "error")) |
	    map(select((.url | endswith("/api/v1/stats")) and
	    (.text | test("503")) | not))'
	traffic_local
}

atf_test_case status__asks_for_key
status__asks_for_key_head() {
	atf_set descr "/status without an API key says 401 and shows the key" \
	    "field; no exception, no number made up"
	atf_set require.config "base_url stack_dir"
	atf_set require.progs "node chromium jq"
	atf_set timeout 120
}
status__asks_for_key_body() {
	shared_stack
	browse status__asks_for_key "$URL/status" 'body[data-state="error"]' \
	    --eval 'message=document.getElementById("message").textContent' \
	    --eval 'form=!document.getElementById("key-form").hidden' \
	    --eval 'total=document.querySelector("[data-stat=\"leads.total\"]").textContent'
	jq -e '.values.message | test("401")' report >/dev/null ||
	    atf_fail "message: $(value message)"
	expect form 'true'
	expect total '"—"'
	report_empty page_errors
	# Chromium's own lines about the two 401s are the only errors.
	report_empty console 'map(select(.type == "error")) |
	    map(select((.url | test("/api/v1/stats$|/metrics$")) and
	    (.text | test("401")) | not))'
	traffic_local
}

# admin_click ID: a --eval expression that types lead ID into the
# operators' form, clicks Retry and waits (10 s at most) for the answer
# shown below it.
admin_click() {
	printf '%s' "(async () => { document.getElementById(\"admin-lead\").value = \"$1\"; document.getElementById(\"admin-retry\").click(); const o = document.getElementById(\"admin-out\"); for (let i = 0; i < 100 && (o.hidden || /running/.test(o.textContent)); i++) await new Promise(r => setTimeout(r, 100)); return [o.dataset.state ?? null, o.textContent]; })()"
}

atf_test_case status__admin_actions
status__admin_actions_head() {
	atf_set descr "/status in Chromium shows the operators' actions " \
	    "(Retry, Reprocess, Export CSV, the admin key field); Retry with " \
	    "the admin key from the tab's storage shows the run's JSON, with " \
	    "a plain key the 403; the key never in a URL"
	atf_set require.config "base_url stack_dir"
	atf_set require.progs "node chromium jq curl"
	atf_set timeout 120
}
status__admin_actions_body() {
	local id
	shared_stack
	[ -n "${C2S_ADMIN_KEY:-}" ] || atf_fail "the shared stack has no admin key"
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.success == true'

	browse status__admin_actions "$URL/status" 'body[data-state="ok"]' \
	    --session "c2s-enrich.api-key=$C2S_API_KEY" \
	    --session "c2s-enrich.admin-key=$C2S_ADMIN_KEY" \
	    --eval 'buttons=[...document.querySelectorAll("#admin button")].filter(b => b.offsetParent !== null).map(b => b.textContent)' \
	    --eval 'key_field=document.getElementById("admin-key").type' \
	    --eval "answer=$(admin_click "$id")"
	expect buttons '["Retry","Reprocess","Export CSV"]'
	expect key_field '"password"'
	jq -e '.values.answer[0] == "ok" and (.values.answer[1] |
	    test("^retry [0-9a-f]{32}: HTTP 200") and
	    test("\"success\": true") and test("\"attempts\": 2"))' report \
	    >/dev/null || atf_fail "retry answer: $(value answer)"
	report_empty page_errors
	report_empty console
	traffic_local
	report_empty requests "map(select(contains(\"$C2S_ADMIN_KEY\")))"

	# A plain API key is refused: the page says 403.
	browse status__admin_forbidden "$URL/status" 'body[data-state="ok"]' \
	    --session "c2s-enrich.api-key=$C2S_API_KEY" \
	    --session "c2s-enrich.admin-key=$C2S_API_KEY" \
	    --eval "answer=$(admin_click "$id")"
	jq -e '.values.answer[0] == "error" and
	    (.values.answer[1] | test("HTTP 403.*forbidden"))' report \
	    >/dev/null || atf_fail "plain key answer: $(value answer)"
	report_empty page_errors
}

atf_init_test_cases() {
	atf_add_test_case static__routes
	atf_add_test_case docs__renders
	atf_add_test_case status__renders
	atf_add_test_case status__stats_error
	atf_add_test_case status__asks_for_key
	atf_add_test_case status__admin_actions
}
