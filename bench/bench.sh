#!/bin/bash
# bench/bench.sh -- the benchmark of DESIGN.md §8: the real stack (lighttpd,
# the pool, PostgreSQL, the simulator), started through httpd-conf/stack.sh,
# and its baselines behind the same lighttpd and pool size, driven by wrk on
# loopback; one table on stdout, progress on stderr.  docs/PERFORMANCE.md
# says what each row measures and how to read it.
#
# Usage: bench/bench.sh [--smoke]      (make bench; make bench BENCH_FLAGS=--smoke)
#
# Stacks, one after the other, each stopped before the next starts:
#   1. bench/trivial, BENCH_POOL responders under multiwatch: the
#      constant-JSON baseline and the SELECT 1 baseline (/select1: one
#      query over the process's one libpq connection);
#   2. c2s-enrich (the master and BENCH_POOL responders), the simulator
#      without latency: memory started (no request served) and idle, the
#      request routes (/health, /ready, a dedup hit, a one-read route),
#      memory under load, after BENCH_REQUESTS and after a soak of
#      BENCH_SOAK more (mixed routes);
#   2a. c2s-enrich --pool, POOL_MIN 1 to POOL_MAX BENCH_POOL (POOL_SPARE
#      1, POOL_IDLE_TIMEOUT 2 s), the master's own phases: /health and
#      /ready while every responder is held by a hanging lead (the pool
#      grown to POOL_MAX by that burst, then shrunk back), BENCH_FLOODS
#      new connections at once on /health, and three SIGHUPs under wrk
#      load (skipped with BENCH_MASTER=0: multiwatch has none of them);
#   2b. c2s-enrich, BENCH_POOL responders: the spool's cost, the Make.com
#      trigger for new leads with PostgreSQL up (the pipeline against the
#      instant simulator), then with PostgreSQL stopped (each request
#      spooled: one record written and fdatasync'd, answered 202);
#   3. c2s-enrich for each pool of BENCH_POOLS, the simulator answering in
#      BENCH_C2S_MS, BENCH_DIRETRIX_MS, BENCH_WORK_MS: cold enrichment (every
#      request a new lead), and at BENCH_WARM_POOL a warm run (new leads of
#      persons whose dossiers are stored);
#   4. c2s-enrich, BENCH_POOL responders, the instant simulator: discovery,
#      BENCH_HIT_LEADS leads of the simulator's mix each run once (which
#      tier found each lead's first CPF), then a second lead of each person
#      found (seeded leads, the store warm: tier 0, the service's own
#      contacts, should answer them without a paid lookup).
#
# Environment (defaults; --smoke's in brackets):
#   BENCH_SECONDS 10 [1]  one wrk run     BENCH_RUNS 3 [1]  runs per figure (median)
#   BENCH_THREADS 2, BENCH_CONNS 32       wrk -t, and -c of the request routes
#   BENCH_POOL 4          pool of stacks 1 and 2 (2a: its POOL_MAX)
#   BENCH_MASTER 1        the service's pool: 1 c2s-enrich --pool, 0
#                         multiwatch (stack.sh's C2S_MASTER; the baseline
#                         is always under multiwatch), for comparison
#   BENCH_FLOODS "1500 3000"   connections at once on /health (stack 2a)
#   BENCH_ONLY "baseline service master spool enrich discovery"
#                         the stacks to run (1, 2, 2a, 2b, 3, 4); the rows
#                         of the others print "-", their targets "not
#                         measured"
#   BENCH_POOLS "8 32 64" ["8 16"]  pools of the enrichment runs (wrk -c = the pool)
#   BENCH_WARM_POOL 32 [8]   the pool of the warm run (one of BENCH_POOLS)
#   BENCH_REQUESTS 100000 [3000], BENCH_SOAK 1000000 [6000]   memory phases
#   BENCH_LEAD_EVERY 500  in the memory phases, every Nth request a new lead
#   BENCH_C2S_MS 50, BENCH_DIRETRIX_MS 150, BENCH_WORK_MS 400
#   BENCH_HIT_LEADS 2000 [100]   leads of the discovery runs
#   BENCH_WARMUP 1        seconds of wrk before measuring a stack
#   BENCH_KEEP 1          keep the work directory (wrk outputs, memory lists,
#                         each stack's logs in log.*)
#   BENCH_LOG_LEVEL info  the service's LOG_LEVEL (info, the default, logs
#                         a line per request: what production pays)
# The service runs with RATE_LIMIT=0, BREAKER_THRESHOLD=1000 (the most
# config.c takes), LOG_LEVEL=$BENCH_LOG_LEVEL, MAX_REQUESTS=1000000000
# (no recycling: the memory figures are of processes that served every request),
# DEDUP_TTL=3600, WORK_PHONE_LOOKUP=0 and no worker (C2S_WORKERS=0).
#
# Exits 0 when every row was measured (targets met or not), 1 otherwise.

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
STACK=$TOP/httpd-conf/stack.sh
LUA=$TOP/bench/lua
TRIVIAL=$TOP/bench/trivial
SERVICE=$TOP/fcgi/c2s-enrich

usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
}

SMOKE=0
for a in "$@"; do
	case $a in
	--smoke) SMOKE=1 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done

sm() {	# sm FULL SMOKE: the default for this mode
	[ "$SMOKE" = 1 ] && echo "$2" || echo "$1"
}
SECS=${BENCH_SECONDS:-$(sm 10 1)}
MASTER=${BENCH_MASTER:-1}
FLOODS=${BENCH_FLOODS:-1500 3000}
ONLY=${BENCH_ONLY:-baseline service master spool enrich discovery}
RUNS=${BENCH_RUNS:-$(sm 3 1)}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNS:-32}
POOL=${BENCH_POOL:-4}
POOLS=${BENCH_POOLS:-$(sm "8 32 64" "8 16")}
WARM_POOL=${BENCH_WARM_POOL:-$(sm 32 8)}
REQUESTS=${BENCH_REQUESTS:-$(sm 100000 3000)}
SOAK=${BENCH_SOAK:-$(sm 1000000 6000)}
LEAD_EVERY=${BENCH_LEAD_EVERY:-500}
C2S_MS=${BENCH_C2S_MS:-50}
DX_MS=${BENCH_DIRETRIX_MS:-150}
WORK_MS=${BENCH_WORK_MS:-400}
WARMUP=${BENCH_WARMUP:-1}
HIT=${BENCH_HIT_LEADS:-$(sm 2000 100)}

say() { printf 'bench: [%3ds] %s\n' "$SECONDS" "$*" >&2; }
die() { say "$*"; exit 1; }

for v in SECS RUNS THREADS CONNS POOL WARM_POOL REQUESTS SOAK LEAD_EVERY \
    C2S_MS DX_MS WORK_MS WARMUP HIT MASTER; do
	case ${!v} in
	''|*[!0-9]*) die "$v must be a whole number (${!v})" ;;
	esac
done
[ "$SECS" -ge 1 ] && [ "$RUNS" -ge 1 ] && [ "$THREADS" -ge 1 ] ||
    die "BENCH_SECONDS, BENCH_RUNS and BENCH_THREADS must be at least 1"
[ "$CONNS" -ge "$THREADS" ] || die "BENCH_CONNS must be at least BENCH_THREADS"
case " $POOLS " in
*" $WARM_POOL "*) ;;
*) die "BENCH_WARM_POOL ($WARM_POOL) must be one of BENCH_POOLS ($POOLS)" ;;
esac
[ "$MASTER" -le 1 ] || die "BENCH_MASTER must be 0 or 1"
for p in $FLOODS; do
	case $p in ''|*[!0-9]*|0) die "BENCH_FLOODS: $p is not a count" ;; esac
done
for p in $ONLY; do
	case $p in
	baseline|service|master|spool|enrich|discovery) ;;
	*) die "BENCH_ONLY: no stack $p" ;;
	esac
done
runs() {	# runs STACK: STACK is one of BENCH_ONLY's
	case " $ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}
# The pool's parent, in the memory table.
PARENT=master
[ "$MASTER" = 1 ] || PARENT=multiwtch
for p in $POOLS; do
	case $p in ''|*[!0-9]*) die "BENCH_POOLS: $p is not a pool size" ;; esac
	[ "$p" -ge "$THREADS" ] || die "BENCH_POOLS: $p is below BENCH_THREADS"
done
for p in wrk curl jq awk; do
	command -v $p >/dev/null || die "$p not installed (make deps)"
done
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1)
[ -n "$PSQL" ] || die "psql not found"
[ -x "$TRIVIAL" ] && [ -x "$SERVICE" ] ||
    die "build first: make all bench/trivial"

# A stack of our own: whatever the caller's environment points at.
unset C2S_BASE_URL DIRETRIX_BASE_URL WORK_API_URL API_KEYS DEDUP_FILE \
    C2S_SHARED_DB CPF_TIERS C2S_RUNDIR C2S_KEEP

W=$(mktemp -d /tmp/c2s-bench.XXXXXX) || die "mktemp failed"
CUR=
cleanup() {
	trap '' INT TERM
	if [ -n "$CUR" ]; then
		"$STACK" stop "$CUR" >/dev/null 2>&1 ||
		    say "stopping the stack in $CUR failed"
		keep_logs "$CUR"
		CUR=
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "work directory kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM

# The service's settings for every bench stack (documented above).
SVC_ENV=(C2S_BIN="$SERVICE" C2S_MASTER="$MASTER" C2S_WORKERS=0 RATE_LIMIT=0
    BREAKER_THRESHOLD=1000
    LOG_LEVEL="${BENCH_LOG_LEVEL:-info}" MAX_REQUESTS=1000000000
    DEDUP_TTL=3600 WORK_PHONE_LOOKUP=0)

# start_stack NAME VAR=VALUE ...: a stack on free ports; its env sourced.
start_stack() {
	local name=$1
	shift
	say "$name: starting a stack ($*)"
	CUR=$(env "$@" C2S_PORT=0 C2S_SIM_PORT=0 C2S_RUNDIR= \
	    C2S_KEEP="${BENCH_KEEP:-0}" "$STACK" start 2>"$W/$name.stack.err") ||
	    { cat "$W/$name.stack.err" >&2; CUR=; die "$name: stack did not start"; }
	. "$CUR/env"
	[ -n "${C2S_URL:-}" ] && [ -n "${C2S_POOL_PID:-}" ] ||
	    die "$name: no env in $CUR"
}

stop_stack() {
	local d=$CUR
	CUR=
	[ -n "$d" ] || return 0
	"$STACK" stop "$d" >/dev/null 2>&1 || die "stopping the stack in $d failed"
	keep_logs "$d"
}

# keep_logs DIR: with BENCH_KEEP, the logs of the stack stopped in DIR
# kept in the work directory, the rest of DIR (its database) removed.
keep_logs() {
	[ "${BENCH_KEEP:-0}" = 1 ] || return 0
	mv "$1/log" "$W/log.${1##*/}" && rm -rf "$1" ||
	    say "the logs of $1 not kept"
	return 0
}

sql() {
	"$PSQL" -X -At -v ON_ERROR_STOP=1 -h "$PGHOST" -U c2s -d c2s -c "$1"
}

# A fresh 6-hex prefix for one run's lead ids (never "fa17", the
# simulator's fault markers).
new_prefix() {
	printf '%s%s' "$1" "$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' |
	    cut -c1-5)"
}

# Median of numbers on stdin.
median() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) print "nan"
		else if (NR % 2) print a[(NR + 1) / 2]
		else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

calc() {	# calc AWK-EXPRESSION: its value ("nan" for a figure not measured)
	awk "BEGIN { v = $1; printf \"%.10g\n\", v }" 2>/dev/null || echo nan
}

icalc() {	# icalc AWK-EXPRESSION: its value, a whole number
	awk "BEGIN { v = $1; printf \"%d\n\", v }"
}

# wrk_once TAG URL CONNS SECONDS SCRIPT [VAR=VALUE ...]: one wrk run; its
# figures in R_REQ, R_RPS, R_MEAN, R_P50, R_P99 (ms) and R_ERR (socket
# errors plus non-2xx answers), R_WRAP.  With MIDSNAP set, a memory
# snapshot of that name is taken half-way through; with MIDRUN set, that
# command runs (with the run's seconds as its argument) while wrk does.
wrk_once() {
	local tag=$1 url=$2 c=$3 d=$4 script=$5 out line pid
	shift 5
	out="$W/wrk.$tag.$(date +%s%N).out"
	env BENCH_THREADS="$THREADS" "$@" wrk -t"$THREADS" -c"$c" -d"${d}s" \
	    --timeout 30s -H "X-API-Key: $C2S_API_KEY" -s "$script" "$url" \
	    >"$out" 2>&1 &
	pid=$!
	if [ -n "${MIDSNAP:-}" ]; then
		sleep "$(calc "$d / 2")"
		mem_snap "$MIDSNAP"
	elif [ -n "${MIDRUN:-}" ]; then
		$MIDRUN "$d"
	fi
	wait "$pid" || { cat "$out" >&2; die "$tag: wrk failed"; }
	line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "$tag: no report from wrk"; }
	read -r w_requests w_duration_us w_errors w_non2xx w_mean_us w_p50_us \
	    w_p99_us w_wrapped <<<"$(printf '%s\n' "$line" | awk '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		print v["requests"], v["duration_us"], v["errors"], v["non2xx"],
		    v["mean_us"], v["p50_us"], v["p99_us"], v["wrapped"] }')"
	R_REQ=$w_requests
	R_RPS=$(calc "$w_requests / ($w_duration_us / 1000000)")
	R_MEAN=$(calc "$w_mean_us / 1000")
	R_P50=$(calc "$w_p50_us / 1000")
	R_P99=$(calc "$w_p99_us / 1000")
	R_ERR=$((w_errors + w_non2xx))
	R_WRAP=$w_wrapped
}

script() {	# script NAME: report.lua and NAME.lua as one wrk script
	local s="$W/$1.lua"
	if [ ! -e "$s" ]; then
		if [ "$1" = report ]; then
			cp "$LUA/report.lua" "$s"
		else
			cat "$LUA/report.lua" "$LUA/$1.lua" >"$s"
		fi
	fi
	echo "$s"
}

declare -A RPS P50 P99 MEAN ERR CRIT CRIT50 LEADS NOTE MEM CPU

# measure ROW PATH CONNS SCRIPT [VAR=VALUE ...]: RUNS runs; medians kept.
# RUN_SECS, when set, is each run's length; BEFORE_RUN and AFTER_RUN,
# commands run (with ROW) around each.
measure() {
	local row=$1 path=$2 c=$3 s=$4 i rps="" p50="" p99="" mean="" err=0
	local d=${RUN_SECS:-$SECS}
	shift 4
	say "$row: $RUNS x ${d}s, wrk -t$THREADS -c$c $path"
	for i in $(seq 1 "$RUNS"); do
		${BEFORE_RUN:-:} "$row"
		wrk_once "$row" "$C2S_URL$path" "$c" "$d" "$s" "$@"
		${AFTER_RUN:-:} "$row"
		rps="$rps $R_RPS" p50="$p50 $R_P50" p99="$p99 $R_P99"
		mean="$mean $R_MEAN" err=$((err + R_ERR))
	done
	RPS[$row]=$(printf '%s\n' $rps | median)
	P50[$row]=$(printf '%s\n' $p50 | median)
	P99[$row]=$(printf '%s\n' $p99 | median)
	MEAN[$row]=$(printf '%s\n' $mean | median)
	ERR[$row]=$err
}

warmup() {	# warmup PATH [SCRIPT [VAR=VALUE ...]]
	local path=$1 s=${2:-$(script report)}
	[ $# -gt 1 ] && shift 2 || shift 1
	[ "$WARMUP" -gt 0 ] || return 0
	wrk_once warmup "$C2S_URL$path" "$CONNS" "$WARMUP" "$s" "$@"
}

# Memory: /proc/PID/smaps_rollup (kB) of lighttpd, the pool's parent (the
# master, or multiwatch with BENCH_MASTER=0: spawn-fcgi -n execs it) and
# each responder (its children); the simulator's processes and the
# PostgreSQL backends are left out of the totals (the responders'
# backends, application_name c2s-enrich, listed apart: the master's probe
# connection has none).
smaps() {	# smaps PID: "rss pss uss private_dirty"
	awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 }
	    /^Private_Clean:/ { pc = $2 } /^Private_Dirty:/ { pd = $2 }
	    END { if (r == "") exit 1; print r, p, pc + pd, pd }' \
	    "/proc/$1/smaps_rollup" 2>/dev/null
}

mem_snap() {	# mem_snap PHASE: MEM[PHASE.field] set
	local ph=$1 pid n=0 rss=0 pss=0 uss=0 pd=0 sum=0 l=0 m=0 pg=0 a b c d s
	for pid in $(cat "/proc/$C2S_POOL_PID/task/$C2S_POOL_PID/children" \
	    2>/dev/null); do
		s=$(smaps "$pid") || continue
		read -r a b c d <<<"$s"
		n=$((n + 1)) sum=$((sum + b))
		[ "$a" -gt "$rss" ] && rss=$a
		[ "$b" -gt "$pss" ] && pss=$b
		[ "$c" -gt "$uss" ] && uss=$c
		[ "$d" -gt "$pd" ] && pd=$d
		echo "responder $pid $a $b $c $d" >>"$W/mem.$ph"
	done
	s=$(smaps "$C2S_HTTPD_PID") && read -r a l c d <<<"$s"
	s=$(smaps "$C2S_POOL_PID") && read -r a m c d <<<"$s"
	for pid in $(sql "SELECT pid FROM pg_stat_activity WHERE
	    $RESPONDER_BACKEND" 2>/dev/null); do
		s=$(smaps "$pid") || continue
		read -r a b c d <<<"$s"
		pg=$((pg + b))
	done
	MEM[$ph.n]=$n MEM[$ph.rss]=$rss MEM[$ph.pss]=$pss MEM[$ph.uss]=$uss
	MEM[$ph.pd]=$pd MEM[$ph.httpd]=$l MEM[$ph.parent]=$m
	MEM[$ph.total]=$((sum + l + m)) MEM[$ph.pg]=$pg
	say "memory $ph: $n responders, largest PSS $pss kB, total PSS $((sum + l + m)) kB"
}

# The responders' PostgreSQL backends (the service's application_name).
RESPONDER_BACKEND="usename = 'c2s' AND application_name = 'c2s-enrich'"

# Every responder holds its PostgreSQL connection: /api/v1/stats (a
# responder's database read: /ready is the master's), in parallel, until
# as many backends as responders are connected.
connect_pool() {
	local p=$1 i k cfg="$W/ready.curl" have
	printf 'header = "X-API-Key: %s"\n' "$C2S_API_KEY" >"$cfg"
	for k in $(seq 1 $((4 * p))); do
		printf 'url = "%s/api/v1/stats"\noutput = "/dev/null"\n' \
		    "$C2S_URL" >>"$cfg"
	done
	for i in $(seq 1 30); do
		curl -s -Z --parallel-max $((2 * p)) -K "$cfg" >/dev/null 2>&1
		have=$(sql "SELECT count(*) FROM pg_stat_activity WHERE
		    $RESPONDER_BACKEND")
		[ "${have:-0}" -ge "$p" ] && return 0
	done
	say "warning: $have of $p responders connected to PostgreSQL"
}

# upto TAG TARGET SCRIPT [VAR=VALUE ...]: wrk runs (-c CONNS) until at
# least TARGET requests were answered; their number in DONE.
upto() {
	local tag=$1 target=$2 s=$3 d rate
	d=$(sm 5 1)
	shift 3
	DONE=0
	while [ "$DONE" -lt "$target" ]; do
		wrk_once "$tag" "$C2S_URL/health" "$CONNS" "$d" "$s" "$@"
		DONE=$((DONE + R_REQ))
		[ "$R_REQ" -gt 0 ] || die "$tag: no request answered"
		rate=$(calc "$R_REQ / $d")
		d=$(icalc "($target - $DONE) / $rate + 1")
		[ "$d" -gt 60 ] && d=60
		MIDSNAP=
	done
}

# The lead-latency figures of one run's leads (ids under PREFIX): the
# mean and median critical path in ms, from what each lead did as the
# service's step lines (pool.log) say: the C2S read; Diretrix by phone
# and by e-mail together when either was asked (tier 0 may find one
# person and Diretrix another, so a lead's tier alone does not tell);
# the Work API, every CPF together, when it was asked; the note when one
# was posted.  Without step lines (BENCH_LOG_LEVEL above info) the same
# is judged from c2s.leads, which misses a Diretrix call made beside
# tier 0.  Then the leads left unfinished.
critical() {	# critical PREFIX: "mean median leads unfinished"
	local left paths
	left=$(sql "SELECT count(*) FROM c2s.leads WHERE lead_id LIKE '$1%'
	    AND status IN ('received', 'processing')")
	paths=$(grep -h "\"lead\":\"$1" "$CUR/log/pool.log" 2>/dev/null |
	    jq -r --argjson c "$C2S_MS" --argjson d "$DX_MS" \
	    --argjson w "$WORK_MS" -s '
	    map(select(.step != null)) | group_by(.lead)[] |
	    select(any(.step == "done")) |
	    (if any(.step == "c2s_lead") then $c else 0 end) +
	    (if any(.step | startswith("diretrix_")) then $d else 0 end) +
	    (if any(.step | startswith("work_")) then $w else 0 end) +
	    (if any(.step == "note" and .outcome == "posted") then $c
	    else 0 end)')
	if [ -n "$paths" ]; then
		printf '%s\n' "$paths" | sort -n | awk -v left="$left" '
		    { v[NR] = $1; s += $1 }
		    END { printf "%d %d %d %d\n", s / NR + 0.5,
		    v[int((NR + 1) / 2)], NR, left }'
		return
	fi
	sql "SELECT round(avg(c)), coalesce(percentile_disc(0.5) WITHIN
	    GROUP (ORDER BY c), 0), count(*), $left
	    FROM (SELECT $C2S_MS
	        + CASE WHEN status = 'invalid_contact' OR cpf_tier = 'stored'
	            THEN 0 ELSE $DX_MS END
	        + CASE WHEN dossiers_fetched > 0 OR status IN ('basic',
	            'partial') THEN $WORK_MS ELSE 0 END
	        + CASE WHEN note_state = 'posted' THEN $C2S_MS ELSE 0 END AS c
	    FROM c2s.leads WHERE lead_id LIKE '$1%'
	    AND status NOT IN ('received', 'processing')) AS l" | tr '|' ' '
}

# cpu_ticks: the machine's busy and total CPU ticks so far (/proc/stat).
cpu_ticks() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i;
	    print t - $5 - $6, t; exit }' /proc/stat
}

# enrich_runs ROW POOL SCRIPT IDFILES...: RUNS runs at -c POOL; the
# latency medians, critical paths and the machine's CPU use during wrk
# (every process: lighttpd, the pool, PostgreSQL, the simulator, wrk)
# kept under ROW.
enrich_runs() {
	local row=$1 p=$2 s=$3 i pfx rps="" p50="" p99="" mean="" cm="" c5=""
	local err=0 wrap=0 left=0 leads=0 cpu="" b0 t0 b1 t1
	shift 3
	say "$row: $RUNS x ${SECS}s, wrk -t$THREADS -c$p"
	for i in $(seq 1 "$RUNS"); do
		pfx=$(new_prefix b)
		read -r b0 t0 <<<"$(cpu_ticks)"
		if [ $# -gt 0 ]; then
			pfx=$(head -c 6 "$1")
			MIDSNAP='' wrk_once "$row" "$C2S_URL/" "$p" "$SECS" "$s" \
			    BENCH_IDS="$1"
			shift
		else
			[ "$i" = 1 ] && MIDSNAP="p$p.load"
			wrk_once "$row" "$C2S_URL/" "$p" "$SECS" "$s" \
			    BENCH_PREFIX="$pfx"
			MIDSNAP=
		fi
		read -r b1 t1 <<<"$(cpu_ticks)"
		cpu="$cpu $(calc "100 * ($b1 - $b0) / ($t1 - $t0)")"
		# Let the leads in flight when wrk stopped finish.
		sleep "$(calc "$CP_FULL / 1000 + 0.5")"
		read -r c_mean c_med c_n c_left <<<"$(critical "$pfx")"
		rps="$rps $R_RPS" p50="$p50 $R_P50" p99="$p99 $R_P99"
		mean="$mean $R_MEAN" cm="$cm ${c_mean:-0}" c5="$c5 ${c_med:-0}"
		err=$((err + R_ERR)) wrap=$((wrap + R_WRAP))
		left=$((left + ${c_left:-0})) leads=$((leads + ${c_n:-0}))
	done
	RPS[$row]=$(printf '%s\n' $rps | median)
	P50[$row]=$(printf '%s\n' $p50 | median)
	P99[$row]=$(printf '%s\n' $p99 | median)
	MEAN[$row]=$(printf '%s\n' $mean | median)
	CRIT[$row]=$(printf '%s\n' $cm | median)
	CRIT50[$row]=$(printf '%s\n' $c5 | median)
	CPU[$row]=$(printf '%s\n' $cpu | median)
	ERR[$row]=$((err + left))
	LEADS[$row]=$leads
	[ "$wrap" -gt 0 ] && NOTE[$row]="list ran out: $wrap repeated ids"
	return 0
}

# warm_ids POOL: RUNS files of new lead ids whose persons are stored
# first (POST /api/v1/enrich, ENRICH_ON_MISS=1), enough for a run each;
# their names in WARM_FILES.
warm_ids() {
	local p=$1 per n i k f cpf cfg="$W/truth.curl" ecfg="$W/enrich.curl"
	# A warm lead's path is C2S and the note (tier 0 finds its CPF, the
	# dossier is fresh): half again as many as the pool can run in a run.
	per=$(icalc "$p * $SECS * 1000 / $CP_WARM * 1.5 + 2 * $p")
	WARM_FILES=
	: >"$cfg"
	for i in $(seq 1 "$RUNS"); do
		f="$W/warm.$i.ids"
		pfx=$(new_prefix c)
		od -An -N$((per * 13)) -tx1 -w13 /dev/urandom | tr -d ' ' |
		    cut -c1-26 | sed "s/^/$pfx/" >"$f"
		WARM_FILES="$WARM_FILES $f"
		sed "s|^|url = \"$C2S_SIM_URL/__sim/truth/|; s|\$|\"|" "$f" >>"$cfg"
	done
	say "warm: $((per * RUNS)) new leads; storing their persons first"
	curl -s -w '\n' -K "$cfg" >"$W/truth.json" ||
	    die "warm: the simulator's truth is unreachable"
	jq -r '(.phone_person, .email_person) | select(. != null) | .cpf' \
	    "$W/truth.json" | sort -u >"$W/warm.cpfs"
	# One operation per CPF (options do not carry over a "next").
	k=
	while read -r cpf; do
		[ -n "$k" ] && echo next
		k=1
		printf 'url = "%s/api/v1/enrich"\nheader = "X-API-Key: %s"\n' \
		    "$C2S_URL" "$C2S_API_KEY"
		printf 'header = "Content-Type: application/json"\nsilent\n'
		printf 'data = "{\\"cpf\\":\\"%s\\"}"\noutput = "/dev/null"\n' "$cpf"
		printf 'max-time = 60\nwrite-out = "%%{http_code}\\n"\n'
	done <"$W/warm.cpfs" >"$ecfg"
	n=$(wc -l <"$W/warm.cpfs")
	[ "$n" -gt 0 ] || die "warm: no person found for the warm leads"
	curl -s -Z --parallel-max "$p" -K "$ecfg" >"$W/enrich.codes" \
	    2>"$W/enrich.err"
	k=$(grep -c '^200$' "$W/enrich.codes")
	say "warm: $k of $n persons stored ($(grep -c '^404$' \
	    "$W/enrich.codes") have no dossier)"
	[ "$k" -gt 0 ] || die "warm: no person could be stored"
}

# -------------------------------------------------------------------------
CP_FULL=$((C2S_MS + DX_MS + WORK_MS + C2S_MS))
CP_WARM=$((C2S_MS + C2S_MS))
START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)

# 1. The baselines, under multiwatch (bench/trivial has no --pool), behind
# the same lighttpd.
if runs baseline; then
	start_stack baseline C2S_BIN="$TRIVIAL" C2S_MASTER=0 C2S_POOL="$POOL" \
	    C2S_WORKERS=0
	warmup /select1
	measure trivial /health "$CONNS" "$(script report)"
	measure select1 /select1 "$CONNS" "$(script report)"
	stop_stack
fi

# 2. The service: memory idle, the request routes, then memory after
# requests and after the soak.
if runs service; then
	start_stack service "${SVC_ENV[@]}" C2S_POOL="$POOL"
	mem_snap idle_start
	connect_pool "$POOL"
	sleep 0.5
	mem_snap idle
	# One lead of the simulator's "normal" kind, run once: it is the dedup
	# hit, and its person the stored customer.
	for i in $(seq 1 200); do
		LEAD=$(new_prefix a)$(od -An -N13 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-26)
		[ "$(curl -s "$C2S_SIM_URL/__sim/truth/$LEAD" | jq -r .variant)" = normal ] &&
		    break
	done
	curl -s -H "X-API-Key: $C2S_API_KEY" -o "$W/prime.json" \
	    "$C2S_URL/api/v1/leads/process?id=$LEAD"
	[ "$(jq -r .status "$W/prime.json")" = completed ] ||
	    die "priming lead $LEAD: $(head -c 300 "$W/prime.json")"
	[ "$(curl -s -H "X-API-Key: $C2S_API_KEY" \
	    "$C2S_URL/api/v1/leads/process?id=$LEAD" | jq -r .duplicate_request)" = true ] ||
	    die "lead $LEAD is not a dedup hit"
	CPF=$(jq -r '.cpfs_processed[0]' "$W/prime.json")
	UUID=$(curl -s -H "X-API-Key: $C2S_API_KEY" \
	    "$C2S_URL/api/v1/contributor/customer?cpf=$CPF" | jq -r '.customers[0].id')
	[ -n "$UUID" ] && [ "$UUID" != null ] || die "no stored customer for $CPF"
	# The request routes on the fresh stack (after the soak, PostgreSQL's
	# background work on a million requests' writes would be measured too).
	measure health /health "$CONNS" "$(script report)"
	measure ready /ready "$CONNS" "$(script report)"
	measure dedup_hit "/api/v1/leads/process?id=$LEAD" "$CONNS" "$(script report)"
	measure customer_read "/api/v1/customers/$UUID" "$CONNS" "$(script report)"
	MIX=(BENCH_LEAD="$LEAD" BENCH_UUID="$UUID" BENCH_CPF="$CPF"
	    BENCH_LEAD_EVERY="$LEAD_EVERY" BENCH_PREFIX="$(new_prefix d)")
	say "memory: $REQUESTS requests, mixed routes, every ${LEAD_EVERY}th a new lead"
	MIDSNAP=load upto mixed "$REQUESTS" "$(script mixed)" "${MIX[@]}"
	N100K=$DONE
	mem_snap after_requests
	say "memory: soak, $SOAK more requests"
	upto soak "$SOAK" "$(script mixed)" "${MIX[@]}"
	NSOAK=$DONE
	mem_snap after_soak
	stop_stack
fi

# 2a. The master's own phases (BENCH_MASTER=1).
# pool_json KEY: the master's /health "pool" figure KEY.
pool_json() {
	curl -s --max-time 5 "$C2S_URL/health" | jq -r ".pool.$1"
}

# wait_pool KEY VALUE TENTHS: until the pool's KEY is VALUE, at most
# TENTHS tenths of a second; 1 if it never was.
wait_pool() {
	local n=$3
	while [ "$n" -gt 0 ]; do
		[ "$(pool_json "$1")" = "$2" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# hold_pool ROW: POOL_MAX requests of new leads whose C2S fetch hangs for
# SIM_FAULT_LATENCY_MS (lead ids fa17c201..., docs/SIMULATOR.md "Fault
# markers"), in the background, until each holds a responder (10 s at
# most: else the row is noted, its target not met, and the pool's log
# kept); the first time, the memory of the pool so grown (phase grown).
declare -A UNHELD
hold_pool() {
	local i
	HELD=
	for i in $(seq 1 "$POOL"); do
		curl -s -o /dev/null -w '%{http_code}\n' \
		    --max-time $((HOLD_S + 30)) -H "X-API-Key: $C2S_API_KEY" \
		    "$C2S_URL/api/v1/leads/process?id=fa17c201$(od -An -N12 \
		    -tx1 /dev/urandom | tr -d ' \n')" >>"$W/held.codes" &
		HELD="$HELD $!"
	done
	wait_pool busy "$POOL" 100 || {
		cp "$CUR/log/pool.log" "$W/$1.pool.log"
		UNHELD[$1]=$((${UNHELD[$1]:-0} + 1))
		NOTE[$1]="${NOTE[$1]:+${NOTE[$1]}; }a run began with $(pool_json busy) of $POOL held"
		say "warning: $1: $(pool_json busy) of $POOL responders held (the pool's log: $W/$1.pool.log)"
	}
	[ -n "${MEM[grown.n]:-}" ] || mem_snap grown
}

# release_pool ROW: a run that ended with a responder free is noted; the
# held requests are waited for.
release_pool() {
	local busy
	busy=$(pool_json busy)
	[ "$busy" = "$POOL" ] || {
		UNHELD[$1]=$((${UNHELD[$1]:-0} + 1))
		NOTE[$1]="${NOTE[$1]:+${NOTE[$1]}; }a run ended with $busy of $POOL held"
	}
	wait $HELD
}

# flood N: N new connections at once on /health, one request each (curl,
# at most FLOOD_PER transfers a process, as fault_test's
# health__1000_connections); FLOOD[N]: "answers 200s json503s others",
# an other being any answer but a 200 or a 503 in JSON (no answer at
# all, code 000, included).
FLOOD_PER=250
declare -A FLOOD
flood() {
	local n=$1 k i m pids=
	say "flood: $n connections at once on /health"
	for i in $(seq 1 "$FLOOD_PER"); do
		printf 'url = "%s/health?n=%d"\noutput = "/dev/null"\n' \
		    "$C2S_URL" "$i"
	done >"$W/flood.urls"
	: >"$W/flood.$n"
	for k in $(seq 0 "$FLOOD_PER" $((n - 1))); do
		m=$((n - k))
		[ "$m" -gt "$FLOOD_PER" ] && m=$FLOOD_PER
		head -n $((2 * m)) "$W/flood.urls" >"$W/flood.$n.$k.urls"
		curl -q -s --parallel --parallel-immediate --parallel-max "$m" \
		    --max-time 30 -K "$W/flood.$n.$k.urls" \
		    -w '%{http_code} %{content_type}\n' >"$W/flood.$n.$k" \
		    2>"$W/flood.$n.$k.err" &
		pids="$pids $!"
	done
	wait $pids
	cat "$W"/flood."$n".*[0-9] >"$W/flood.$n"
	FLOOD[$n]=$(awk '{ a++ } $1 == 200 { ok++; next }
	    $1 == 503 && $2 ~ /^application\/json/ { j++; next } { o++ }
	    END { print a + 0, ok + 0, j + 0, o + 0 }' "$W/flood.$n")
}

# hup_thrice SECONDS: three SIGHUPs to the master, a quarter of SECONDS
# apart.
hup_thrice() {
	local q i
	q=$(calc "$1 / 4")
	for i in 1 2 3; do
		sleep "$q"
		kill -HUP "$C2S_POOL_PID" || die "reload: the master is gone"
	done
}

if [ "$MASTER" = 1 ] && runs master; then
	# A held lead outlasts a run by 5 s; the service and lighttpd (its
	# read-timeout, 60 s) wait for it.
	HOLD_S=$((SECS > 40 ? 45 : SECS + 5))
	IDLE_S=2
	start_stack master "${SVC_ENV[@]}" C2S_POOL="$POOL" POOL_MIN=1 \
	    POOL_MAX="$POOL" POOL_SPARE=1 POOL_IDLE_TIMEOUT="${IDLE_S}s" \
	    C2S_SIM_POOL=$((2 * POOL + 4)) SIM_FAULT_LATENCY_MS=$((HOLD_S * 1000)) \
	    UPSTREAM_TIMEOUT=$((HOLD_S + 10))s REQUEST_DEADLINE=$((HOLD_S + 15))s
	wait_pool alive 1 100 || say "warning: $(pool_json alive) responders at rest, not 1"
	mem_snap at_min
	: >"$W/held.codes"
	RUN_SECS=$((HOLD_S - 5)) BEFORE_RUN=hold_pool AFTER_RUN=release_pool \
	    measure held_health /health 8 "$(script report)"
	RUN_SECS=$((HOLD_S - 5)) BEFORE_RUN=hold_pool AFTER_RUN=release_pool \
	    measure held_ready /ready 8 "$(script report)"
	HELD_BAD=$(grep -vc '^200$' "$W/held.codes")
	# The burst is over: back to POOL_MIN after POOL_IDLE_TIMEOUT.
	T_IDLE=$(date +%s%N)
	sleep "$IDLE_S"
	wait_pool alive 1 100 || say "warning: the pool did not shrink to 1"
	SHRINK_MS=$(( ($(date +%s%N) - T_IDLE) / 1000000 ))
	mem_snap shrunk
	for n in $FLOODS; do
		flood "$n"
	done
	G0=$(pool_json generation)
	RELOAD_S=$((2 * SECS < 6 ? 6 : 2 * SECS))
	MIDRUN=hup_thrice RUN_SECS=$RELOAD_S RUNS=1 \
	    measure reload /api/v1/stats "$CONNS" "$(script report)"
	wait_pool alive 1 $((10 * (IDLE_S + 10))) ||
	    say "warning: $(pool_json alive) responders after the reloads"
	GENS=$(($(pool_json generation) - G0))
	stop_stack
elif runs master; then
	say "master: skipped (BENCH_MASTER=0: multiwatch has no master)"
fi

# 2b. The spool's cost: the Make.com trigger, every request a new lead,
# with PostgreSQL up, then stopped (spooled; a spool big enough for every
# run, so that no answer is a 503).
if runs spool; then
	start_stack spool "${SVC_ENV[@]}" C2S_POOL="$POOL" SPOOL_MAX_BYTES=1073741824
	connect_pool "$POOL"
	warmup / "$(script cold)" BENCH_PREFIX="$(new_prefix f)"
	measure trigger_up / "$CONNS" "$(script cold)" BENCH_PREFIX="$(new_prefix f)"
	"$STACK" pg stop "$CUR" >/dev/null 2>&1 || die "spool: cannot stop postgres"
	measure trigger_spool / "$CONNS" "$(script cold)" \
	    BENCH_PREFIX="$(new_prefix f)"
	SPOOLED=$(curl -s -H "X-API-Key: $C2S_API_KEY" "$C2S_URL/metrics" |
	    awk '$1 == "c2s_spool_records_total{result=\"spooled\"}" { print $2 }')
	"$STACK" pg start "$CUR" >/dev/null 2>&1 || die "spool: cannot start postgres"
	stop_stack
fi

# 3. Enrichment against the simulator with its latencies.
if runs enrich; then
	for p in $POOLS; do
		start_stack "pool$p" "${SVC_ENV[@]}" C2S_POOL="$p" \
		    C2S_SIM_POOL=$((2 * p + 4)) ENRICH_ON_MISS=1 \
		    SIM_C2S_LATENCY_MS="$C2S_MS" SIM_DIRETRIX_LATENCY_MS="$DX_MS" \
		    SIM_WORK_LATENCY_MS="$WORK_MS"
		connect_pool "$p"
		sleep 0.5
		mem_snap "p$p.idle"
		if [ "$WARMUP" -gt 0 ]; then
			wrk_once warmup "$C2S_URL/" "$p" "$WARMUP" "$(script cold)" \
			    BENCH_PREFIX="$(new_prefix e)"
			sleep "$(calc "$CP_FULL / 1000 + 0.5")"
		fi
		enrich_runs "cold_p$p" "$p" "$(script cold)"
		if [ "$p" = "$WARM_POOL" ]; then
			warm_ids "$p"
			enrich_runs "warm_p$p" "$p" "$(script list)" $WARM_FILES
		fi
		stop_stack
	done
fi

# hit_run ROW IDFILE: each lead of IDFILE once through the Make.com
# trigger at -c POOL, the simulator's record reset first; the leads by
# the tier that found their first CPF, and the paid calls, in HITS[ROW]:
# "leads stored work_phone diretrix_phone diretrix_email none dx work err".
hit_run() {
	local row=$1 f=$2 cfg="$W/$1.curl" n ok tiers calls
	curl -s -X POST -d '' "$C2S_SIM_URL/__sim/reset" >/dev/null ||
	    die "$row: the simulator is unreachable"
	# One operation per lead (options do not carry over a "next").
	awk -v u="$C2S_URL" -v k="$C2S_API_KEY" '{
		if (NR > 1) print "next"
		printf "url = \"%s/api/v1/leads/process?id=%s\"\n", u, $1
		printf "header = \"X-API-Key: %s\"\nsilent\n", k
		printf "output = \"/dev/null\"\nmax-time = 60\n"
		printf "write-out = \"%%{http_code}\\n\"\n" }' "$f" >"$cfg"
	say "$row: $(wc -l <"$f") leads at -c $POOL"
	curl -s -Z --parallel-max "$POOL" -K "$cfg" >"$W/$row.codes" \
	    2>"$W/$row.curl.err"
	n=$(wc -l <"$f")
	# 404: no CPF found, 422: no valid contact (DESIGN.md §7).
	ok=$(grep -Ec '^(2[0-9][0-9]|404|422)$' "$W/$row.codes")
	tiers=$(sql "SELECT count(*) FILTER (WHERE cpf_tier = 'stored'),
	    count(*) FILTER (WHERE cpf_tier = 'work_phone'),
	    count(*) FILTER (WHERE cpf_tier = 'diretrix_phone'),
	    count(*) FILTER (WHERE cpf_tier = 'diretrix_email'),
	    count(*) FILTER (WHERE cpf_tier IS NULL)
	    FROM c2s.leads WHERE lead_id = ANY('{$(paste -sd, "$f")}')" |
	    tr '|' ' ')
	calls=$(curl -s "$C2S_SIM_URL/__sim/calls" |
	    jq -r '"\(.by_api.diretrix // 0) \(.by_api.work // 0)"')
	HITS[$row]="$n $tiers $calls $((n - ok))"
}

# second_leads IDFILE OUT: a second lead of each person the leads of
# IDFILE have (the phone's person, else the e-mail's), with the same kind
# of contacts: seeded simulator leads (docs/SIMULATOR.md, Leads).
second_leads() {
	local cfg="$W/hit.truth.curl" pfx
	pfx=$(new_prefix 8)
	sed "s|.*|url = \"$C2S_SIM_URL/__sim/truth/&\"|" "$1" >"$cfg"
	curl -s -w '\n' -K "$cfg" |
	    jq -r --arg pfx "$pfx" 'select(.phone_person != null or
	        .email_person != null) |
	    (.phone_person // .email_person) as $p |
	    (if .phone_person == null then 2
	     elif .email_person == null or .email == null then 1
	     elif .email_person.seed == .phone_person.seed then 0
	     else 1 end) as $c |
	    "5eed\($p.seed | tostring | ("000000000" + .)[-9:])\($c)00\($pfx)"' |
	    while read -r s; do
		printf '%s%s\n' "$s" "$(od -An -N6 -tx1 /dev/urandom |
		    tr -d ' \n' | cut -c1-10)"
	    done >"$2"
}

# 4. Discovery: the tier that found each CPF, cold, then warm.
declare -A HITS
if runs discovery; then
	start_stack discovery "${SVC_ENV[@]}" C2S_POOL="$POOL"
	connect_pool "$POOL"
	pfx=$(new_prefix 7)
	od -An -N$((HIT * 13)) -tx1 -w13 /dev/urandom | tr -d ' ' | cut -c1-26 |
	    sed "s/^/$pfx/" >"$W/hit_cold.ids"
	hit_run hit_cold "$W/hit_cold.ids"
	second_leads "$W/hit_cold.ids" "$W/hit_warm.ids"
	[ -s "$W/hit_warm.ids" ] || die "discovery: no person for a second lead"
	hit_run hit_warm "$W/hit_warm.ids"
	stop_stack
fi

# -------------------------------------------------------------------------
# The table.
fmt() {	# fmt VALUE DECIMALS
	awk -v v="$1" -v d="$2" 'BEGIN { if (v == "" || v == "nan") print "-";
	    else printf "%.*f\n", d, v }'
}
verdict() {	# verdict AWK-CONDITION
	awk "BEGIN { exit !($1) }" && echo met || echo "not met"
}
ratio() {	# ratio A B: A / B, "nan" when either is missing or B is 0
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "nan" ||
	    b == "nan" || b + 0 == 0) print "nan"; else printf "%.10g\n", a / b }'
}
m() {	# m KEY: MEM[KEY], "-" when that phase was not measured
	echo "${MEM[$1]:--}"
}
mmax() {	# mmax KEY...: the largest of those MEM figures measured, or "-"
	local k v=-
	for k in "$@"; do
		[ -n "${MEM[$k]:-}" ] || continue
		[ "$v" = - ] || [ "${MEM[$k]}" -gt "$v" ] && v=${MEM[$k]}
	done
	echo "$v"
}
mdiff() {	# mdiff A B: MEM[A] - MEM[B], or "-"
	[ -n "${MEM[$1]:-}" ] && [ -n "${MEM[$2]:-}" ] &&
	    echo $((${MEM[$1]} - ${MEM[$2]})) || echo -
}

T1=$(date +%s)
echo "c2s-enrich benchmark, $START ($(git -C "$TOP" describe --always --dirty 2>/dev/null || echo '?'))"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr); load average $LOAD0 before, $(cut -d' ' -f1-3 /proc/loadavg) after"
echo "wrk $(wrk -v 2>&1 | sed -n 's/^wrk \([^ ]*\).*/\1/p' | head -1) -t$THREADS, ${SECS} s a run, median of $RUNS run(s); pool $POOL for the request routes; $((T1 - T0)) s in all$([ "$SMOKE" = 1 ] && echo '; SMOKE RUN: figures mean nothing')"
echo
echo "Request routes (wrk -c$CONNS; latencies in ms)"
printf '%-14s %-34s %10s %8s %8s %7s  %-8s %6s\n' row what 'req/s' p50 p99 errors baseline ratio
row() {	# row ID WHAT BASELINE
	local r=$1 b=$3 rt=-
	[ "$b" != - ] && rt=$(fmt "$(ratio "${RPS[$r]:-}" "${RPS[$b]:-}")" 3)
	printf '%-14s %-34s %10s %8s %8s %7s  %-8s %6s\n' "$r" "$2" \
	    "$(fmt "${RPS[$r]:-}" 0)" "$(fmt "${P50[$r]:-}" 2)" \
	    "$(fmt "${P99[$r]:-}" 2)" "${ERR[$r]:--}" "$b" "$rt"
}
row trivial "baseline: constant JSON" -
row select1 "baseline: one SELECT 1" -
row health "GET /health" trivial
row ready "GET /ready" select1
row dedup_hit "GET /api/v1/leads/process, dedup" trivial
row customer_read "GET /api/v1/customers/{uuid}" select1
row trigger_up "GET /leads/process, new leads" -
row trigger_spool "the same, PostgreSQL down: spooled" trigger_up
row held_health "GET /health, every responder held" -
row held_ready "GET /ready, every responder held" -
row reload "GET /api/v1/stats, 3 SIGHUPs" -
for r in held_health held_ready reload; do
	[ -n "${NOTE[$r]:-}" ] && echo "$r: ${NOTE[$r]}"
done
[ -n "${RPS[held_health]:-}" ] && echo "held_*: wrk -c8, pool POOL_MIN 1 to POOL_MAX $POOL, every responder held by a lead hanging ${HOLD_S} s (${HELD_BAD} of those leads answered other than 200); reload: wrk -c$CONNS ${RELOAD_S} s, 3 SIGHUPs, $GENS new generations"
echo "trigger_spool: ${SPOOLED:-?} records spooled (c2s_spool_records_total), every answer a 202; trigger_up: the pipeline against the instant simulator"
echo
echo "Connections (GET /health, that many new connections at once, one request each: curl, $FLOOD_PER transfers a process)"
printf '%-14s %8s %8s %9s %7s\n' row answers 200 'JSON 503' other
for n in $FLOODS; do
	printf '%-14s %8s %8s %9s %7s\n' "flood_$n" ${FLOOD[$n]:-- - - -}
done
echo "other: any answer but a 200 or a 503 in JSON (lighttpd's HTML 500, no answer at all)"
echo
echo "Enrichment (simulator: C2S $C2S_MS, Diretrix $DX_MS, Work API $WORK_MS ms; wrk -c = pool; latencies in ms)"
echo "critical path of a completed lead: C2S read $C2S_MS + Diretrix phone|e-mail $DX_MS + Work API, CPFs in parallel, $WORK_MS + note $C2S_MS = $CP_FULL ms; a returning person (tier 0, the dossier reused): $CP_WARM ms; crit = mean over the run's leads of their own path"
echo "cpu: the machine's CPU in use during the runs (every process, wrk's too), in %; a row near 100 is bound by the cores, not by its critical path"
printf '%-10s %5s %8s %8s %8s %8s %8s %9s %9s %8s %5s %7s %7s\n' row pool 'leads/s' mean p50 p99 crit mean/crit p50/crit50 scaling cpu leads errors
BASE_P=
for p in $POOLS; do
	[ -z "$BASE_P" ] && BASE_P=$p
done
erow() {	# erow ID POOL
	local r=$1 p=$2 sc=-
	case $r in cold_*)
		sc=$(fmt "$(calc "(${RPS[$r]:-} / $p) / (${RPS[cold_p$BASE_P]:-} / $BASE_P)")" 3) ;;
	esac
	printf '%-10s %5s %8s %8s %8s %8s %8s %9s %9s %8s %5s %7s %7s%s\n' "$r" "$p" \
	    "$(fmt "${RPS[$r]:-}" 1)" "$(fmt "${MEAN[$r]:-}" 1)" \
	    "$(fmt "${P50[$r]:-}" 1)" "$(fmt "${P99[$r]:-}" 1)" \
	    "$(fmt "${CRIT[$r]:-}" 1)" \
	    "$(fmt "$(ratio "${MEAN[$r]:-}" "${CRIT[$r]:-}")" 3)" \
	    "$(fmt "$(ratio "${P50[$r]:-}" "${CRIT50[$r]:-}")" 3)" "$sc" \
	    "$(fmt "${CPU[$r]:-}" 0)" "${LEADS[$r]:-}" "${ERR[$r]:--}" "${NOTE[$r]:+  (${NOTE[$r]})}"
}
for p in $POOLS; do
	erow "cold_p$p" "$p"
done
erow "warm_p$WARM_POOL" "$WARM_POOL"
echo
echo "Discovery (instant simulator, pool $POOL; leads by the tier that found their first CPF, in %; paid calls per lead)"
printf '%-10s %6s %7s %7s %7s %7s %7s %9s %9s %7s\n' row leads stored \
    work_ph dx_ph dx_em no_cpf dx/lead work/lead errors
hrow() {	# hrow ID
	local n st wp dp de no dx wk er
	if [ -z "${HITS[$1]:-}" ]; then
		printf '%-10s %6s %7s %7s %7s %7s %7s %9s %9s %7s\n' "$1" - - - \
		    - - - - - -
		return
	fi
	read -r n st wp dp de no dx wk er <<<"${HITS[$1]}"
	[ "$n" -gt 0 ] || n=1
	printf '%-10s %6s %7s %7s %7s %7s %7s %9s %9s %7s\n' "$1" "$n" \
	    "$(fmt "$(calc "100 * $st / $n")" 1)" \
	    "$(fmt "$(calc "100 * $wp / $n")" 1)" \
	    "$(fmt "$(calc "100 * $dp / $n")" 1)" \
	    "$(fmt "$(calc "100 * $de / $n")" 1)" \
	    "$(fmt "$(calc "100 * $no / $n")" 1)" \
	    "$(fmt "$(calc "$dx / $n")" 3)" "$(fmt "$(calc "$wk / $n")" 3)" "$er"
}
hrow hit_cold
hrow hit_warm
echo "hit_cold: $HIT leads of the simulator's mix (its variants stand for the real one: about 1 in 10 has nobody behind it), each once; hit_warm: a second lead of each person hit_cold had, same kind of contacts, the store warm"
echo
echo "Memory (kB, /proc/PID/smaps_rollup; resp.* = the largest responder; total = lighttpd + $PARENT + every responder, PSS; pg = the responders' PostgreSQL backends, PSS, not in total)"
printf '%-20s %5s %9s %9s %9s %10s %9s %9s %9s %9s\n' row procs resp.RSS resp.PSS resp.USS resp.dirty lighttpd "$PARENT" total pg
mrow() {	# mrow PHASE LABEL
	printf '%-20s %5s %9s %9s %9s %10s %9s %9s %9s %9s\n' "$2" \
	    "$(m "$1.n")" "$(m "$1.rss")" "$(m "$1.pss")" "$(m "$1.uss")" \
	    "$(m "$1.pd")" "$(m "$1.httpd")" "$(m "$1.parent")" \
	    "$(m "$1.total")" "$(m "$1.pg")"
}
mrow idle_start mem_started
mrow idle mem_idle
mrow load mem_load
mrow after_requests mem_requests
mrow after_soak mem_soak
mrow at_min mem_at_min
mrow grown mem_grown
mrow shrunk mem_shrunk
for p in $POOLS; do
	mrow "p$p.idle" "mem_p${p}_idle"
	mrow "p$p.load" "mem_p${p}_load"
done
echo "mem_started: no request has reached a responder (forked, no database connection); mem_idle: each has served a database read; mem_requests: after the request-route runs and ${N100K:-0} mixed requests (BENCH_REQUESTS $REQUESTS); mem_soak: after ${NSOAK:-0} more (BENCH_SOAK $SOAK); mem_load: during the first"
echo "mem_at_min: the master's stack (2a) at rest, POOL_MIN 1; mem_grown: every responder held, POOL_MAX $POOL; mem_shrunk: ${SHRINK_MS:--} ms after the burst (POOL_IDLE_TIMEOUT ${IDLE_S:--} s)"
echo "soak growth (mem_soak - mem_requests): resp.PSS $(mdiff after_soak.pss after_requests.pss) kB, resp.dirty $(mdiff after_soak.pd after_requests.pd) kB, total $(mdiff after_soak.total after_requests.total) kB"
MIDLE=$(mmax idle_start.total idle.total)
MLOAD=$(mmax load.total after_requests.total)
echo "the Rust service's single process: 11264 kB idle, 17408 kB loaded; this stack: $MIDLE kB idle, $MLOAD kB loaded (pool of $POOL, lighttpd and $PARENT)"
echo
echo "Targets (DESIGN.md §8 and §11.5, issue [2.7])"
target() {	# target ID DESCRIPTION VALUE CONDITION ("-": not measured)
	local v=met
	case $3 in
	-|''|nan) v="not measured" ;;
	*) v=$(verdict "$4") ;;
	esac
	printf 'target %-18s %-52s %12s  %s\n' "$1" "$2" "${3:--}" "$v"
}
H=$(ratio "${RPS[health]:-}" "${RPS[trivial]:-}")
target health_ratio "/health >= 0.90 x trivial" "$(fmt "$H" 3)" "$H >= 0.90"
H=$(ratio "${RPS[ready]:-}" "${RPS[select1]:-}")
target ready_ratio "/ready >= 0.90 x SELECT 1" "$(fmt "$H" 3)" "$H >= 0.90"
H=$(ratio "${RPS[dedup_hit]:-}" "${RPS[trivial]:-}")
target dedup_ratio "dedup hit >= 0.80 x trivial" "$(fmt "$H" 3)" "$H >= 0.80"
target dedup_p99 "dedup hit p99 < 5 ms at $CONNS connections" \
    "$(fmt "${P99[dedup_hit]:-}" 2)" "${P99[dedup_hit]:-} < 5"
target read_rate "one database read >= 15000 req/s" \
    "$(fmt "${RPS[customer_read]:-}" 0)" "${RPS[customer_read]:-} >= 15000"
H=$(ratio "${RPS[customer_read]:-}" "${RPS[select1]:-}")
target customer_ratio "GET /api/v1/customers/{uuid} >= 0.80 x SELECT 1" \
    "$(fmt "$H" 3)" "$H >= 0.80"
for r in held_health held_ready; do
	target "${r}_p99" "/${r#held_} p99 <= 5 ms, every responder held" \
	    "$(fmt "${P99[$r]:-}" 2)" "${P99[$r]:-} <= 5 && ${UNHELD[$r]:-0} == 0"
done
for n in $FLOODS; do
	read -r a ok j o <<<"${FLOOD[$n]:-- - - -}"
	target "flood_$n" "$n connections on /health: not 200/JSON 503" \
	    "$o" "$o == 0"
done
target reload_errors "3 SIGHUPs under wrk: errors + non-2xx = 0" \
    "${ERR[reload]:--}" "${ERR[reload]:--} == 0 && ${GENS:-0} == 3"
target pool_grows "the burst: responders = POOL_MAX ($POOL)" \
    "$(m grown.n)" "$(m grown.n) == $POOL"
target pool_shrinks "POOL_IDLE_TIMEOUT after: responders = POOL_MIN (1)" \
    "$(m shrunk.n)" "$(m shrunk.n) == 1"
for p in $POOLS; do
	H=$(ratio "${MEAN[cold_p$p]:-}" "${CRIT[cold_p$p]:-}")
	target "cold_p${p}_latency" "pool $p: mean lead latency <= 1.1 x critical path" \
	    "$(fmt "$H" 3)" "$H <= 1.1"
	[ "$p" = "$BASE_P" ] && continue
	H=$(calc "(${RPS[cold_p$p]:-} / $p) / (${RPS[cold_p$BASE_P]:-} / $BASE_P)")
	target "cold_p${p}_scaling" "pool $p: leads/s per responder >= 0.90 x pool $BASE_P's" \
	    "$(fmt "$H" 3)" "$H >= 0.90"
done
H=$(ratio "${MEAN[warm_p$WARM_POOL]:-}" "${CRIT[warm_p$WARM_POOL]:-}")
target warm_latency "warm: mean lead latency <= 1.1 x critical path (cpu $(fmt "${CPU[warm_p$WARM_POOL]:-}" 0) %)" \
    "$(fmt "$H" 3)" "$H <= 1.1"
target mem_resp_pss "responder idle <= 1.2 MB PSS (1228 kB)" \
    "$(m idle_start.pss)" "$(m idle_start.pss) <= 1228"
target mem_resp_dirty "responder idle <= 400 kB private dirty" \
    "$(m idle_start.pd)" "$(m idle_start.pd) <= 400"
target mem_resp_100k "responder after ${N100K:-0} requests <= 3 MB PSS" \
    "$(m after_requests.pss)" "$(m after_requests.pss) <= 3072"
target mem_pool_idle "pool of $POOL + lighttpd + $PARENT idle <= 8 MB PSS" \
    "$MIDLE" "$MIDLE <= 8192"
target mem_pool_load "pool of $POOL + lighttpd + $PARENT loaded <= 12 MB PSS" \
    "$MLOAD" "$MLOAD <= 12288"
case " $POOLS " in
*" 8 "*)
	H=$(mmax p8.idle.total p8.load.total)
	target mem_pool8 "pool of 8 + lighttpd + $PARENT <= 11 MB PSS" \
	    "$H" "$H <= 11264"
	;;
esac
H=$(mdiff after_soak.pd after_requests.pd)
target soak_growth "soak: responder dirty growth <= cache bound (1024 kB)" \
    "$H" "$H <= 1024"
