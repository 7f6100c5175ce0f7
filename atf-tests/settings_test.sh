#! /usr/bin/env atf-sh
# settings_test -- configuration variables end to end, each on a private
# stack of its own, with the simulator's call records (/__sim/calls), the
# responders' log, /health and /metrics as evidence: the CPF lookup tiers
# (CPF_TIERS, WORK_PHONE_LOOKUP), the reuse of stored dossiers
# (DOSSIER_MAX_AGE), the breakers' cool-down growth and its cap
# (BREAKER_COOLDOWN, BREAKER_COOLDOWN_MAX), an open /metrics
# (METRICS_OPEN) and the bound of the responders' cache (CACHE_MAX_BYTES).
# Each case fails when its variable is ignored (the defaults differ).
# Without a stack, `c2s-enrich -n` on the pool's variables and on
# CONFIG_FILE over the environment.

. "$(atf_get_srcdir)/common.subr"

BIN=$TOP/fcgi/c2s-enrich
KEY=0123456789abcdef0123456789abcdef

# check_refused PATTERN VAR=VALUE...: `c2s-enrich -n` in a bare
# environment with the settings given exits 1 with one line on stderr
# matching PATTERN, never "hunter2" (the values' marker), nothing on
# stdout.
check_refused() {
	local re=$1
	shift
	env -i "$@" "$BIN" -n >out 2>err && atf_fail "accepted: $*"
	[ "$(wc -l <err)" = 1 ] || atf_fail "not one line: $(cat err)"
	grep -q -- "$re" err || atf_fail "$*: not $re: $(cat err)"
	grep -q hunter2 err && atf_fail "quotes the value: $(cat err)"
	[ ! -s out ] || atf_fail "wrote to stdout: $(cat out)"
	:
}

# process ID: run lead ID through the pipeline (200 and its answer in
# ./body).
process() {
	expect_status 200 GET "/api/v1/leads/process?id=$1"
}

# phone_calls API: the simulator's phone lookups of that API (diretrix:
# /Consultas/Pessoa/Telefone/, work: modulo=phone).
phone_calls() {
	case $1 in
	diretrix) sim_calls diretrix /Telefone/ ;;
	work) sim_calls work modulo=phone ;;
	esac
}

# want_calls WHAT GOT WANT
want_calls() {
	[ "$2" = "$3" ] || atf_fail "$1: $2 calls, expected $3;" \
	    "the simulator got: $(curl -s "$C2S_SIM_URL/__sim/calls" |
	    jq -c '[.calls[] | [.api, .path, .count]]')"
}

atf_test_case tiers__subset_never_calls_the_others cleanup
tiers__subset_never_calls_the_others_head() {
	atf_set descr "CPF_TIERS=diretrix_email (with WORK_PHONE_LOOKUP=1):" \
	    "the lead's CPF comes from its e-mail, and neither phone tier" \
	    "is ever called"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
tiers__subset_never_calls_the_others_body() {
	local id
	private_stack C2S_WORKERS=0 CPF_TIERS=diretrix_email \
	    WORK_PHONE_LOOKUP=1
	id=$(find_lead normal)
	process "$id"
	json '.status == "completed"'
	json ".cpfs_processed == [\"$(jq -r .email_person.cpf truth)\"]"
	want_calls "Diretrix by e-mail" "$(sim_calls diretrix /Email/)" 1
	want_calls "Diretrix by phone" "$(phone_calls diretrix)" 0
	want_calls "Work API by phone" "$(phone_calls work)" 0
	private_stack_stop
}
tiers__subset_never_calls_the_others_cleanup() { private_stack_stop; }

atf_test_case tiers__order_followed cleanup
tiers__order_followed_head() {
	atf_set descr "CPF_TIERS=diretrix_phone,work_phone with" \
	    "WORK_PHONE_LOOKUP=1: Diretrix finds the phone's CPF first and" \
	    "the Work API's phone module, listed after it, is not called" \
	    "(the default order calls it first)"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
tiers__order_followed_body() {
	local id
	private_stack C2S_WORKERS=0 CPF_TIERS=diretrix_phone,work_phone \
	    WORK_PHONE_LOOKUP=1
	id=$(find_lead normal)
	process "$id"
	json '.status == "completed"'
	want_calls "Diretrix by phone" \
	    "$(sim_calls diretrix "/Telefone/$(jq -r .phone truth)")" 1
	want_calls "Work API by phone" "$(phone_calls work)" 0
	# The e-mail tier is not listed: never called.
	want_calls "Diretrix by e-mail" "$(sim_calls diretrix /Email/)" 0
	private_stack_stop
}
tiers__order_followed_cleanup() { private_stack_stop; }

atf_test_case tiers__work_phone_lookup cleanup
tiers__work_phone_lookup_head() {
	atf_set descr "with the default CPF_TIERS, the Work API's phone" \
	    "module is a tier only with WORK_PHONE_LOOKUP=1: then it is" \
	    "called first and Diretrix's phone lookup is not; without it," \
	    "never called"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
tiers__work_phone_lookup_body() {
	local id
	private_stack C2S_WORKERS=0 WORK_PHONE_LOOKUP=1
	id=$(find_lead normal)
	process "$id"
	json '.status == "completed"'
	want_calls "Work API by phone (WORK_PHONE_LOOKUP=1)" \
	    "$(sim_calls work "modulo=phone&consulta=$(jq -r .phone truth)")" 1
	want_calls "Diretrix by phone (WORK_PHONE_LOOKUP=1)" \
	    "$(phone_calls diretrix)" 0
	private_stack_stop

	private_stack C2S_WORKERS=0
	id=$(find_lead normal)
	process "$id"
	json '.status == "completed"'
	want_calls "Work API by phone (default)" "$(phone_calls work)" 0
	want_calls "Diretrix by phone (default)" \
	    "$(sim_calls diretrix "/Telefone/$(jq -r .phone truth)")" 1
	private_stack_stop
}
tiers__work_phone_lookup_cleanup() { private_stack_stop; }

# forget_notes LEAD: the ledger forgets the notes posted on LEAD, so
# that a later lead of its person is no repeat (whose note would be a
# pointer, its dossier reused whatever its age: DESIGN.md 11.3).
forget_notes() {
	sql "DELETE FROM c2s.notes WHERE lead_id = '$1'" >/dev/null
}

atf_test_case dossier__max_age cleanup
dossier__max_age_head() {
	atf_set descr "DOSSIER_MAX_AGE=1h: a second lead of a person whose" \
	    "dossier is younger reuses it without a Work API call; once the" \
	    "stored dossier is older (aged in the database, past 1 h but" \
	    "far below the 30 d default) a third lead buys it again"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
dossier__max_age_body() {
	local a b c cpf
	# No process cache: the stored dossier's age alone decides.
	private_stack C2S_WORKERS=0 DOSSIER_MAX_AGE=1h CACHE_MAX_BYTES=0 \
	    SIM_FAULT_LATENCY_MS=10
	export PGHOST PGUSER PGDATABASE
	# The fault-d1 latency leads all belong to one marker person.
	a=$(rand_id fa17d101)
	b=$(rand_id fa17d101)
	c=$(rand_id fa17d101)
	cpf=$(curl -s "$C2S_SIM_URL/__sim/truth/$a" | jq -r .phone_person.cpf)
	[ "$(curl -s "$C2S_SIM_URL/__sim/truth/$c" |
	    jq -r .phone_person.cpf)" = "$cpf" ] || atf_fail "not one person"
	process "$a"
	json '.status == "completed" and .dossiers_fetched == 1'
	want_calls "the first lead's dossier" \
	    "$(sim_calls work "modulo=cpf&consulta=$cpf")" 1
	# A repeat person's lead reuses a dossier of any age (its note is a
	# pointer, DESIGN.md 11.3): with the ledger of a's note gone, b is
	# no repeat, and DOSSIER_MAX_AGE alone decides.
	forget_notes "$a"
	process "$b"
	json '.status == "completed" and .dossiers_fetched == 0'
	json '.dossiers_reused == 1'
	want_calls "a dossier younger than DOSSIER_MAX_AGE" \
	    "$(sim_calls work "modulo=cpf&consulta=$cpf")" 1
	[ "$(sql "WITH u AS (UPDATE c2s.dossiers d SET fetched_at =
	    now() - interval '61 minutes' FROM c2s.persons p
	    WHERE p.id = d.person_id AND p.cpf = '$cpf' RETURNING d.id)
	    SELECT count(*) FROM u")" = 1 ] || atf_fail "not one stored dossier"
	forget_notes "$b"
	process "$c"
	json '.status == "completed" and .dossiers_fetched == 1'
	json '.dossiers_reused == 0'
	want_calls "a dossier older than DOSSIER_MAX_AGE" \
	    "$(sim_calls work "modulo=cpf&consulta=$cpf")" 2
	private_stack_stop
}
dossier__max_age_cleanup() { private_stack_stop; }

atf_test_case dossier__max_age_process_cache cleanup
dossier__max_age_process_cache_head() {
	atf_set descr "DOSSIER_MAX_AGE=0 (never reuse) holds for the" \
	    "responder's own cache too: one responder, two leads of one" \
	    "person, two Work API calls"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
dossier__max_age_process_cache_body() {
	local a b cpf
	# One responder with its cache: the second lead meets it.
	private_stack C2S_WORKERS=0 C2S_POOL=1 DOSSIER_MAX_AGE=0 \
	    SIM_FAULT_LATENCY_MS=10
	export PGHOST PGUSER PGDATABASE
	a=$(rand_id fa17d101)
	b=$(rand_id fa17d101)
	cpf=$(curl -s "$C2S_SIM_URL/__sim/truth/$a" | jq -r .phone_person.cpf)
	process "$a"
	json '.status == "completed" and .dossiers_fetched == 1'
	# b no repeat of a (see dossier__max_age).
	forget_notes "$a"
	process "$b"
	json '.status == "completed" and .dossiers_fetched == 1'
	json '.dossiers_reused == 0'
	want_calls "two leads, DOSSIER_MAX_AGE=0" \
	    "$(sim_calls work "modulo=cpf&consulta=$cpf")" 2
	private_stack_stop
}
dossier__max_age_process_cache_cleanup() { private_stack_stop; }

# cooldowns: the cool-downs the responders logged for the Diretrix
# breaker, in order, one a line.
cooldowns() {
	grep -ho 'breaker diretrix: open for [0-9]* ms after [0-9]* failures' \
	    "$RUNDIR/log/pool.log" | awk '{ print $5, $8 }'
}

atf_test_case breaker__cooldown_doubles_to_max cleanup
breaker__cooldown_doubles_to_max_head() {
	atf_set descr "BREAKER_THRESHOLD=1, BREAKER_COOLDOWN=200ms," \
	    "BREAKER_COOLDOWN_MAX=500ms: Diretrix failing opens its breaker" \
	    "at the first failure for 200 ms, each failed probe doubles the" \
	    "cool-down, capped at 500 ms (the responders' log)"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
breaker__cooldown_doubles_to_max_body() {
	local n=0
	private_stack C2S_WORKERS=0 RATE_LIMIT=0 BREAKER_THRESHOLD=1 \
	    BREAKER_COOLDOWN=200ms BREAKER_COOLDOWN_MAX=500ms
	# Leads whose Diretrix lookups answer 503, one after another, until
	# the breaker has opened and failed three probes.
	while [ "$(cooldowns | wc -l)" -lt 4 ]; do
		[ $n -lt 300 ] || atf_fail "$n leads, cool-downs: $(cooldowns)"
		process "$(rand_id fa17d102)"
		n=$((n + 1))
	done
	cooldowns
	# Opened at the first failure (failures go on counting while open).
	[ "$(cooldowns | awk 'NR == 1 { print $2 }')" = 1 ] &&
	    [ "$(cooldowns | awk 'NR <= 4 { print $1 }' | tr '\n' ' ')" = \
	    "200 400 500 500 " ] ||
	    atf_fail "cool-downs (ms, failures): $(cooldowns | tr '\n' ' ')"
	scrape
	[ "$(metric 'c2s_breaker_trips_total{target="diretrix"}')" = 1 ] ||
	    atf_fail "a failed probe counted as a new trip"
	private_stack_stop
}
breaker__cooldown_doubles_to_max_cleanup() { private_stack_stop; }

atf_test_case metrics__open cleanup
metrics__open_head() {
	atf_set descr "GET /metrics without a key: 401 by default, 200 with" \
	    "the figures when METRICS_OPEN=1; the business routes keep" \
	    "their key"
	atf_set require.progs "curl spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
metrics__open_body() {
	local st
	private_stack C2S_WORKERS=0
	st=$(curl -q -s -o body -w '%{http_code}' "$URL/metrics")
	[ "$st" = 401 ] || atf_fail "METRICS_OPEN unset: $st"
	private_stack_stop

	private_stack C2S_WORKERS=0 METRICS_OPEN=1
	st=$(curl -q -s -o metrics -w '%{http_code}' "$URL/metrics")
	[ "$st" = 200 ] || atf_fail "METRICS_OPEN=1: $st"
	grep -q '^c2s_breaker_state{target="diretrix"} 0$' metrics ||
	    atf_fail "not the figures: $(head -c 300 metrics)"
	st=$(curl -q -s -o body -w '%{http_code}' "$URL/api/v1/stats")
	[ "$st" = 401 ] || atf_fail "METRICS_OPEN=1 opened /api/v1/stats: $st"
	private_stack_stop
}
metrics__open_cleanup() { private_stack_stop; }

# proxy_cpf SEED: the Work API proxy's cpf module for the CPF of SEED
# (200 and its answer in ./body).
proxy_cpf() {
	expect_status 200 GET \
	    "/api/v1/work/modules/cpf?documento=$(cpf_of "$1")"
}

atf_test_case cache__bounded_in_bytes cleanup
cache__bounded_in_bytes_head() {
	atf_set descr "CACHE_MAX_BYTES=32768 (one responder): 40 dossiers" \
	    "through the Work API proxy leave at most 32768 bytes cached" \
	    "(/health); the oldest was evicted (bought again), the newest" \
	    "is served from the cache"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
cache__bounded_in_bytes_body() {
	local seed i
	private_stack C2S_WORKERS=0 RATE_LIMIT=0 C2S_POOL=1 \
	    CACHE_MAX_BYTES=32768
	seed=$(rand_seed 6000000)
	for i in $(seq 0 39); do
		proxy_cpf $((seed + i))
		json '.cached == false'
	done
	expect_status 200 GET /health
	cat body
	json '.cache.max_bytes == 32768 and .cache.bytes <= 32768'
	json '.cache.entries > 0 and .cache.entries < 40'
	# The newest is still there; the oldest is not.
	proxy_cpf $((seed + 39))
	json '.cached == true'
	proxy_cpf "$seed"
	json '.cached == false'
	want_calls "the newest CPF" \
	    "$(sim_calls work "consulta=$(cpf_of $((seed + 39)))")" 1
	want_calls "the oldest CPF" \
	    "$(sim_calls work "consulta=$(cpf_of "$seed")")" 2
	private_stack_stop
}
cache__bounded_in_bytes_cleanup() { private_stack_stop; }

atf_test_case pool__checked_by_n
pool__checked_by_n_head() {
	atf_set descr "c2s-enrich -n validates the pool's variables: each" \
	    "bad one (out of bounds, POOL_MIN over POOL_MAX, POOL_SPARE over" \
	    "POOL_MAX, a HEALTH_SOCKET too long for a socket) stops it with" \
	    "one line naming the variable, never its value"
}
pool__checked_by_n_body() {
	local long
	atf_check -o inline:'c2s-enrich: configuration ok\n' -e empty \
	    env -i API_KEYS=$KEY POOL_MIN=1 POOL_MAX=64 POOL_SPARE=64 \
	    POOL_IDLE_TIMEOUT=1h POOL_SHORT_AFTER=2s SLOWLOG_AFTER=0 \
	    HEALTH_SOCKET=/run/c2s-enrich/h.sock "$BIN" -n
	check_refused \
	    '^c2s-enrich: config: POOL_MIN: must not exceed POOL_MAX$' \
	    API_KEYS=$KEY POOL_MIN=5 POOL_MAX=4
	check_refused \
	    '^c2s-enrich: config: POOL_SPARE: must not exceed POOL_MAX$' \
	    API_KEYS=$KEY POOL_SPARE=9
	check_refused '^c2s-enrich: config: POOL_MAX: ' API_KEYS=$KEY \
	    POOL_MAX=65
	check_refused '^c2s-enrich: config: POOL_MIN: ' API_KEYS=$KEY \
	    POOL_MIN=hunter2
	check_refused '^c2s-enrich: config: POOL_IDLE_TIMEOUT: ' \
	    API_KEYS=$KEY POOL_IDLE_TIMEOUT=500ms
	check_refused '^c2s-enrich: config: POOL_SHORT_AFTER: ' \
	    API_KEYS=$KEY POOL_SHORT_AFTER=hunter2
	check_refused '^c2s-enrich: config: SLOWLOG_AFTER: ' API_KEYS=$KEY \
	    SLOWLOG_AFTER=2h
	long=/hunter2/$(printf '%092d' 0)	# 101 bytes
	check_refused '^c2s-enrich: config: HEALTH_SOCKET: too long' \
	    API_KEYS=$KEY HEALTH_SOCKET="$long"
}

atf_test_case config_file__over_environment_by_n
config_file__over_environment_by_n_head() {
	atf_set descr "c2s-enrich -n reads CONFIG_FILE over the" \
	    "environment: the file's value wins (a bad one in the" \
	    "environment is replaced, a bad one in the file is refused by" \
	    "its name); a bad line by its number only; a missing file" \
	    "refused; the shipped c2s-enrich.env.example reads"
}
config_file__over_environment_by_n_body() {
	printf '# the site\nexport POOL_MAX="3"\nAPI_KEYS=%s\n' "$KEY" >site.env
	atf_check -o inline:'c2s-enrich: configuration ok\n' -e empty \
	    env -i CONFIG_FILE="$PWD/site.env" POOL_MAX=hunter2 "$BIN" -n
	printf 'POOL_MAX=0\n' >bad.env
	check_refused '^c2s-enrich: config: POOL_MAX: ' \
	    CONFIG_FILE="$PWD/bad.env" API_KEYS=$KEY POOL_MAX=4
	printf 'LOG_LEVEL=debug\nC2S_TOKEN="hunter2\n' >line.env
	check_refused '^c2s-enrich: config: CONFIG_FILE: line 2: ' \
	    CONFIG_FILE="$PWD/line.env" API_KEYS=$KEY
	check_refused '^c2s-enrich: config: CONFIG_FILE: cannot read: ' \
	    CONFIG_FILE="$PWD/hunter2.env" API_KEYS=$KEY
	# The example of the systemd units (its API_KEYS= empty).
	atf_check -o inline:'c2s-enrich: configuration ok\n' \
	    -e match:'API_AUTH=off' env -i API_AUTH=off \
	    CONFIG_FILE="$TOP/httpd-conf/c2s-enrich.env.example" "$BIN" -n
}

atf_init_test_cases() {
	atf_add_test_case tiers__subset_never_calls_the_others
	atf_add_test_case tiers__order_followed
	atf_add_test_case tiers__work_phone_lookup
	atf_add_test_case dossier__max_age
	atf_add_test_case dossier__max_age_process_cache
	atf_add_test_case breaker__cooldown_doubles_to_max
	atf_add_test_case metrics__open
	atf_add_test_case cache__bounded_in_bytes
	atf_add_test_case pool__checked_by_n
	atf_add_test_case config_file__over_environment_by_n
}
