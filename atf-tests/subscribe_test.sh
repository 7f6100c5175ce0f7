#! /usr/bin/env atf-sh
# subscribe_test -- the whole C2S loop, offline: `c2s-enrich --subscribe`
# registers the service's hook at the simulator's C2S, leads created
# through the simulator's control route are delivered to it in the three
# shapes, with the secret in the URL (as a subscribed hook sends it) or in
# each header (as hooks configured in C2S's dashboard for the earlier
# services send it), each lead is enriched once with one note, and the
# on_update_lead the simulator fires for our own note runs nothing.  Then
# no log of the stack holds the secret, and --unsubscribe stops it all.
# A private stack: its simulator's subscriptions are its own.

. "$(atf_get_srcdir)/common.subr"

# enrich ARGS: bin/c2s-enrich with the responders' settings and
# PUBLIC_URL, ARGS after; extra VAR=VALUE settings in ENRICH_ENV ("VAR="
# unsets VAR).
enrich() {
	(
		while IFS= read -r kv; do
			export "$kv"
		done <"$RUNDIR/responder.env"
		export PUBLIC_URL="$URL"
		for kv in ${ENRICH_ENV:-}; do
			case $kv in
			*=) unset "${kv%=}" ;;
			*) export "$kv" ;;
			esac
		done
		exec "$RUNDIR/bin/c2s-enrich" "$@"
	)
}

# control PATH BODY: POST a simulator control route; the answer in ./ctl.
control() {
	curl -s -o ctl -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' -d "$2" "$SIM$1" |
	    grep -qx 200 || atf_fail "POST $1: $(cat ctl)"
}

notes() {
	curl -s "$SIM/__sim/notes?lead=$1" | jq '.notes | length'
}

lead_done() {
	[ "$(psql -X -At -c "SELECT count(*) FROM c2s.leads WHERE
	    lead_id = '$1' AND status NOT IN ('received', 'processing')")" = 1 ] &&
	[ "$(psql -X -At -c "SELECT count(*) FROM c2s.jobs WHERE
	    ref = '$1' AND state IN ('queued', 'running')")" = 0 ]
}

# updates_back N: the simulator delivered N on_update_lead events
# (one per note posted) and each was answered.
updates_back() {
	[ "$(curl -s "$SIM/__sim/deliveries" | jq '[.deliveries[] |
	    select(.hook_action == "on_update_lead")] | length')" -ge "$1" ]
}

# no_secret FILE...: the stack's secret is in none of FILE, as it is or
# as a URL carries it (SECRET_ESC).
no_secret() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		if grep -nF -e "$C2S_WEBHOOK_SECRET" -e "$SECRET_ESC" "$f" |
		    head -3 | grep .; then
			atf_fail "the webhook secret is in $f"
		fi
	done
}

# c2s_hook subscribe|unsubscribe URL ACTION: straight at the simulator.
c2s_hook() {
	curl -s -X POST -H "Authorization: Bearer $(sed -n \
	    's/^C2S_TOKEN=//p' "$RUNDIR/responder.env")" \
	    -d "{\"hook_url\":\"$2\",\"hook_action\":\"$3\"}" \
	    "$SIM/integration/leads/$1" | jq -e .success >/dev/null ||
	    atf_fail "$1 $2 failed"
}

# A secret with characters a URL must escape, as a generated one may have.
SECRET='L00p+s3cr/t=x'
SECRET_ESC='L00p%2Bs3cr%2Ft%3Dx'

setup() {
	private_stack C2S_POOL=3 WEBHOOK_SECRET="$SECRET"
	[ "$C2S_WEBHOOK_SECRET" = "$SECRET" ] || atf_fail "secret not set"
	SIM=$C2S_SIM_URL
	export PGHOST PGUSER PGDATABASE
}

atf_test_case loop__subscribe_deliver_once cleanup
loop__subscribe_deliver_once_head() {
	atf_set descr "--subscribe at the simulator, 30 leads created there " \
	    "in the three shapes, the secret in the query or in each " \
	    "header: each enriched once, one note each, our note's " \
	    "on_update_lead runs nothing, a wrong or missing token is a " \
	    "401, no log holds the secret, --unsubscribe stops deliveries"
	atf_set require.progs "curl jq psql"
	atf_set timeout 300
}
loop__subscribe_deliver_once_body() {
	local i id ids shape auth st
	setup
	# Subscribe: three actions, each answered; the secret never shown.
	enrich --subscribe >sub.out 2>sub.err ||
	    atf_fail "--subscribe failed: $(cat sub.out sub.err)"
	cat sub.out
	[ "$(grep -c '^subscribe on_[a-z_]*_lead: ok, HTTP 200: {"success":true' \
	    sub.out)" = 3 ] || atf_fail "not three subscriptions: $(cat sub.out)"
	grep -qF "subscribe $URL/api/v1/webhooks/c2s?token=*** at " sub.out ||
	    atf_fail "hook URL not shown masked: $(cat sub.out)"
	no_secret sub.out sub.err
	curl -s "$SIM/__sim/hooks" >hooks
	jq -e --arg u "$URL/api/v1/webhooks/c2s?token=***" '[.hooks[] |
	    select(.hook_url == $u) | .hook_action] | sort ==
	    ["on_close_lead", "on_create_lead", "on_update_lead"]' hooks \
	    >/dev/null || atf_fail "hooks at C2S: $(cat hooks)"

	# 30 leads created at C2S, delivered in turn in each shape, with the
	# secret in the URL (half of them) or in each header.
	ids=
	for i in $(seq 0 29); do
		id=$(find_lead normal)
		ids="$ids $id"
		shape=$(echo rust ts jsonapi | cut -d' ' -f$((i % 3 + 1)))
		auth=$(echo query query query X-Webhook-Token X-Webhook-Secret \
		    Bearer | cut -d' ' -f$((i % 6 + 1)))
		control /__sim/leads "{\"id\":\"$id\",\"shape\":\"$shape\",
		    \"auth\":\"$auth\"}"
		jq -e --arg s "$shape" --arg a "$auth" '.deliveries | length == 1
		    and .[0].status == 200 and .[0].shape == $s and
		    .[0].auth == $a and (.[0].answer | fromjson |
		    .events[0].disposition == "queued")' ctl >/dev/null ||
		    atf_fail "lead $i ($shape, $auth): $(cat ctl)"
	done
	for id in $ids; do
		wait_for 600 lead_done $id || atf_fail "lead $id not run"
	done
	# Our 30 notes came back as on_update_lead: each answered, and each
	# found nothing new.
	wait_for 300 updates_back 30 ||
	    atf_fail "$(curl -s "$SIM/__sim/deliveries" | jq -c '[.deliveries[] |
	    select(.hook_action == "on_update_lead")] | length') updates back"
	curl -s "$SIM/__sim/deliveries" >dl
	jq -e '[.deliveries[] | select(.hook_action == "on_update_lead")] |
	    length == 30 and all(.status == 200 and (.answer | fromjson |
	    .events[0].disposition == "unchanged"))' dl >/dev/null ||
	    atf_fail "updates: $(jq -c '[.deliveries[] | select(.hook_action ==
	    "on_update_lead") | [.status, .answer]]' dl | head -c 600)"
	sleep 1
	for id in $ids; do
		[ "$(sql "SELECT status || ' ' || attempts || ' ' || source FROM
		    c2s.leads WHERE lead_id = '$id'")" = "completed 1 webhook" ] ||
		    atf_fail "lead $id: $(sql "SELECT status, attempts FROM
		    c2s.leads WHERE lead_id = '$id'")"
		[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE ref = '$id'")" = 1 ] ||
		    atf_fail "lead $id ran $(sql "SELECT count(*) FROM c2s.jobs
		    WHERE ref = '$id'") jobs"
		[ "$(notes $id)" = 1 ] || atf_fail "$(notes $id) notes on $id"
		[ "$(curl -s "$SIM/__sim/calls?api=c2s" | jq --arg p \
		    "/integration/leads/$id" '[.calls[] | select(.path == $p and
		    .method == "GET") | .count] | add')" = 1 ] ||
		    atf_fail "lead $id not fetched once from C2S"
	done
	[ "$(sql "SELECT count(*) FROM c2s.webhook_events WHERE
	    disposition = 'unchanged'")" = 30 ] || atf_fail "not 30 unchanged"

	# A hook with a wrong token and one without: 401 each, nothing stored.
	id=$(echo $ids | cut -d' ' -f1)
	for u in "$URL/api/v1/webhooks/c2s?token=wrong" \
	    "$URL/webhook/c2s"; do
		c2s_hook subscribe "$u" on_close_lead
	done
	for auth in query X-Webhook-Token X-Webhook-Secret Bearer; do
		control "/__sim/leads/$id/close" "{\"auth\":\"$auth\"}"
		jq -e '[.deliveries[].status] | sort == [200, 401, 401]' ctl \
		    >/dev/null || atf_fail "close with $auth: $(cat ctl)"
	done
	[ "$(sql "SELECT count(*) FROM c2s.webhook_events WHERE
	    lead_id = '$id' AND disposition = 'closed'")" = 4 ] ||
	    atf_fail "closed events: $(sql "SELECT count(*) FROM
	    c2s.webhook_events WHERE lead_id = '$id' AND hook_action =
	    'on_close_lead'")"
	for u in "$URL/api/v1/webhooks/c2s?token=wrong" \
	    "$URL/webhook/c2s"; do
		c2s_hook unsubscribe "$u" on_close_lead
	done

	# Unsubscribed: C2S delivers nothing more to us.
	enrich --unsubscribe >unsub.out 2>unsub.err ||
	    atf_fail "--unsubscribe failed: $(cat unsub.out unsub.err)"
	[ "$(grep -c '^unsubscribe on_[a-z_]*_lead: ok, HTTP 200' unsub.out)" = 3 ] ||
	    atf_fail "unsubscribe: $(cat unsub.out)"
	no_secret unsub.out unsub.err
	curl -s -o hooks "$SIM/__sim/hooks"
	jq -e --arg u "$URL/api/v1/webhooks/c2s?token=***" \
	    '[.hooks[] | select(.hook_url == $u)] | length == 0' hooks \
	    >/dev/null || atf_fail "still subscribed: $(cat hooks)"
	control /__sim/leads '{}'
	jq -e '.deliveries | length == 0' ctl >/dev/null ||
	    atf_fail "delivered after --unsubscribe: $(cat ctl)"

	# Every log of the stack, the simulator's records included: the
	# secret is nowhere (the env files that hold it are not logs).
	for st in "$RUNDIR"/log/* "$RUNDIR"/sim/*; do
		no_secret "$st"
	done
	grep -rlF -e "token=$SECRET_ESC" "$RUNDIR/log" "$RUNDIR/sim" &&
	    atf_fail "a query string with the secret was logged"
	# The responders' access lines saw our deliveries' requests, by path.
	grep -q '"method":"POST","route":"webhook_c2s","path":"/api/v1/webhooks/c2s"' \
	    "$RUNDIR/log/pool.log" ||
	    atf_fail "no webhook request in the responders' access lines"
	private_stack_stop
}
loop__subscribe_deliver_once_cleanup() { private_stack_stop; }

atf_test_case subscribe__refusals
subscribe__refusals_head() {
	atf_set descr "--subscribe without PUBLIC_URL, C2S_TOKEN or " \
	    "WEBHOOK_SECRET refuses to run, naming it; C2S refusing the " \
	    "token is a failure per action and a non-zero exit"
	atf_set require.config "base_url stack_dir"
}
subscribe__refusals_body() {
	shared_stack
	SECRET_ESC=$C2S_WEBHOOK_SECRET
	for v in PUBLIC_URL C2S_TOKEN WEBHOOK_SECRET; do
		ENRICH_ENV="$v=" enrich --subscribe >out 2>err &&
		    atf_fail "--subscribe ran without $v"
		grep -q "needs $v" err || atf_fail "$v not named: $(cat err)"
		[ ! -s out ] || atf_fail "output without $v: $(cat out)"
	done
	ENRICH_ENV="C2S_TOKEN=not-the-token" enrich --subscribe >out 2>err &&
	    atf_fail "--subscribe succeeded with a wrong C2S token"
	cat out
	[ "$(grep -c '^subscribe on_[a-z_]*_lead: FAILED, HTTP 401' out)" = 3 ] ||
	    atf_fail "not three refusals: $(cat out)"
	grep -q '3 of 3 actions failed' err || atf_fail "stderr: $(cat err)"
	no_secret out err
	# Nothing was subscribed.
	[ "$(curl -s "$C2S_SIM_URL/__sim/hooks" | jq --arg u "$URL" \
	    '[.hooks[] | select(.hook_url | startswith($u))] | length')" = 0 ] ||
	    atf_fail "a hook was subscribed"
}

atf_init_test_cases() {
	atf_add_test_case loop__subscribe_deliver_once
	atf_add_test_case subscribe__refusals
}
