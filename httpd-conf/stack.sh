#!/bin/bash
# httpd-conf/stack.sh -- start, serve and stop the whole c2s-enrich stack:
# a throwaway PostgreSQL cluster, the responder pool (spawn-fcgi + multiwatch)
# and lighttpd, all in one fresh run directory.  `make run`, `make check` and
# the end-to-end tests all go through this script.
#
# The servers run as foreground children of this script (postgres,
# spawn-fcgi -n, lighttpd -D); it waits on them, and stopping is a signal to
# the children it started, never a search by name.  Each start uses a new run
# directory, so no stale socket or pid file can block the next one.
#
# Usage:
#   stack.sh run            start, serve until SIGINT/SIGTERM, stop
#   stack.sh exec CMD ...   start, run CMD with the stack's environment, stop;
#                           exits with CMD's status
#   stack.sh start          start in the background; print the run directory
#   stack.sh stop DIR       stop the stack started in DIR and wait for it (a
#                           stack killed before its teardown is cleaned up)
#   stack.sh pg stop|start DIR   stop or restart that stack's PostgreSQL
#   stack.sh stamp          print the stamp a template of this tree carries
#   stack.sh template DIR   make DIR a template cluster: initdb, the role,
#                           the database and every migration, once, then
#                           stopped; a stack started with C2S_PG_TEMPLATE=DIR
#                           copies it instead of doing that work again
#
# Environment:
#   C2S_PORT     lighttpd port on C2S_BIND (8080; 0 picks a free port)
#   C2S_BIND     address lighttpd listens on (127.0.0.1)
#   C2S_POOL     responders in the pool (4)
#   C2S_MASTER   1: the pool is c2s-enrich --pool (its own master, POOL_MIN =
#                POOL_MAX = C2S_POOL unless set, the default); 0: multiwatch
#   C2S_POOL_BACKLOG  the pool socket's listen backlog (spawn-fcgi -b, 1024)
#   C2S_RUNDIR   run directory to create (default: mktemp under /tmp)
#   C2S_KEEP     1 keeps the run directory (logs) after stopping
#   C2S_BIN      the responder binary (fcgi/c2s-enrich of this tree)
#   C2S_SIM_PORT the upstream simulator's port on C2S_BIND (8091; 0 picks)
#   C2S_SIM_POOL simulator processes (8; each sleeps through its latency)
#   C2S_SHARED_DB a libpq connection string the responders use instead of
#                this stack's own PostgreSQL (two stacks, one database)
#   C2S_WORKERS  background workers (c2s-enrich --worker) to start (1)
#   C2S_PG_TEMPLATE a template made by `stack.sh template`: its cluster is
#                copied when it was made from this tree's migrations (its
#                stamp), else ignored (initdb and the migrations as usual)
#   TRUSTED_PROXIES  addresses or CIDR ranges lighttpd takes the client's
#                address from (mod_extforward), in C2S_FORWARDED_HEADER
#                (X-Forwarded-For)
# WEBHOOK_SECRET, GOOGLE_ADS_WEBHOOK_KEY, API_KEYS and ADMIN_API_KEYS,
# unless set, are made up for the run and written to the env file
# (C2S_WEBHOOK_SECRET, C2S_GOOGLE_KEY, C2S_API_KEY: the first of
# API_KEYS, C2S_ADMIN_KEY: the first of ADMIN_API_KEYS).
# C2S_NO_ADMIN_KEY=1 starts the responders without ADMIN_API_KEYS (the
# operators' actions then answer 403).
# C2S_NO_WEBHOOK_SECRET=1 starts the responders without WEBHOOK_SECRET (the
# C2S webhook then answers 503 not_configured unless WEBHOOK_AUTH=off).
# DEDUP_FILE, unless set, is /dev/shm/c2s-enrich.<run directory>.dedup
# (tmpfs), removed when the stack stops.  SPOOL_DIR, unless set, is
# <run directory>/spool.
# Unless C2S_BASE_URL, DIRETRIX_BASE_URL and WORK_API_URL are all set, the
# service is pointed at the simulator (URLs, its credentials, and
# WORK_API_MIN_INTERVAL=0); see docs/SIMULATOR.md.
# RUN_POLLER: the poller is on by default (the service's default, which
# `stack.sh run`, so `make run`, keeps), but the stacks of the tests
# (start, exec) run with RUN_POLLER=0 unless it is set, so that no test
# sees the simulator's lead list polled unless it asks (RUN_POLLER=1);
# either way it goes into responder.env.
# Everything else in the environment (LOG_LEVEL, tokens, ...) reaches the
# responders as it is.
#
# Inside the run directory: env (shell variables describing the stack,
# the keys among them: mode 0600, as responder.env),
# responder.env (the responders' own settings, one NAME=VALUE a line, for
# starting more workers: `env $(cat responder.env) bin/c2s-enrich -w`, and
# PUBLIC_URL, the stack's URL, for `bin/c2s-enrich --subscribe`),
# stack.pid (this script), ready (present while serving), log/ (postgres.log,
# pool.log, sim.log, lighttpd-error.log, access.log, sim-access.log), pg/
# (cluster), sock
# (FastCGI), sim.sock and sim/record (the simulator's calls; record.hooks,
# record.deliveries and record.echo its C2S subscriptions, webhook
# deliveries and echo receiver), www/ (lighttpd's
# document root: the static pages copied from web/), tmp/ (lighttpd's
# temporary files).

set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
PORT=${C2S_PORT:-8080}
BIND=${C2S_BIND:-127.0.0.1}
POOL=${C2S_POOL:-4}
MASTER=${C2S_MASTER:-1}
BACKLOG=${C2S_POOL_BACKLOG:-1024}
HEALTH_SOCK=	# the master's, once the run directory is made
BIN=${C2S_BIN:-$TOP/fcgi/c2s-enrich}
SIM_BIN=${C2S_SIM_BIN:-$TOP/fcgi/sim/upstream-sim}
SIM_PORT=${C2S_SIM_PORT:-8091}
SIM_POOL=${C2S_SIM_POOL:-8}
R=
WORKERS=${C2S_WORKERS:-1}
PG_PID= POOL_PID= SIM_PID= HTTPD_PID= CMD_PID= WORKER_PIDS=
PG_WANT=1 STOPPING= STATUS=0 DEDUP=

say() { printf 'stack: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Is process $1 alive (and not a zombie)?
alive() {
	[ -r "/proc/$1/status" ] || return 1
	! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Wait up to $2 tenths of a second for command $1... to succeed.
poll() {
	local n=$1; shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

pg_bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/postgres" ] && { echo "$d"; return 0; }
	done
	return 1
}

# Run a command as the user that owns PostgreSQL's files.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && exec setpriv --reuid=postgres --regid=postgres \
		    --init-groups -- "$@")
	else
		(cd / && exec "$@")
	fi
}

port_free() {
	! (exec 3<>"/dev/tcp/$BIND/$1") 2>/dev/null
}

# A free port below Linux's ephemeral range (32768-60999): a port there
# can be taken at any moment as the local end of an outgoing connection.
pick_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 12700))
		[ "$p" = "${SIM_PORT:-}" ] && continue
		port_free "$p" && { echo "$p"; return 0; }
	done
	return 1
}

http_ok() {
	curl -fsS -o /dev/null --max-time 2 "http://$BIND:$PORT$1" 2>/dev/null
}

sim_ok() {
	curl -fsS -o /dev/null --max-time 2 "http://$BIND:$SIM_PORT/__sim/calls" \
	    2>/dev/null
}

pg_isready_q() {
	"$PGBIN/pg_isready" -q -h "$R/pgsock" -U postgres -d postgres
}

start_pg() {
	say "postgres: starting"
	# The subshell execs postgres: $! is the postmaster itself.
	(
		cd / || exit 1
		[ "$(id -u)" -eq 0 ] && set -- setpriv --reuid=postgres \
		    --regid=postgres --init-groups --
		exec "$@" "$PGBIN/postgres" -D "$R/pg" -c listen_addresses= \
		    -c unix_socket_directories="$R/pgsock" -c fsync=off \
		    -c synchronous_commit=off -c full_page_writes=off \
		    -c max_connections=200 -c shared_buffers=32MB \
		    -c log_error_verbosity=terse \
		    -c log_min_error_statement=panic
	) >>"$R/log/postgres.log" 2>&1 &
	PG_PID=$!
	if ! poll 300 pg_isready_q; then
		say "postgres did not start; see $R/log/postgres.log"
		return 1
	fi
	echo running >"$R/pg.state"
	return 0
}

stop_pid() {	# stop_pid PID SIGNAL: signal, wait up to 15 s, then KILL
	local pid=$1 sig=$2
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null
	if ! poll 150 eval "! alive $pid"; then
		say "pid $pid ignored SIG$sig; killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	reap "$pid"
}

# Collect a child's status, unless bash already has: `wait PID` on a pid
# it reaped itself blocks until some other child exits.
reap() {
	kill -0 "$1" 2>/dev/null && wait "$1" 2>/dev/null
	return 0
}

# The children of multiwatch $1, as the kernel lists them.
pool_children() {
	cat "/proc/$1/task/$1/children" 2>/dev/null
}

# multiwatch forwards SIGTERM to the responders, but a responder it
# respawns in the same instant (Ctrl-C reaches every process of the
# terminal at once) can miss it: repeat the signal, to multiwatch and to
# the responders, until the pool is gone.  KILL the responders before
# multiwatch as a last resort, so none is orphaned.
stop_pool() {	# stop_pool PID NAME
	local pid=$1 i kids
	[ -n "$pid" ] || return 0
	say "$2: stopping"
	for i in $(seq 1 50); do
		alive "$pid" || break
		if [ $((i % 10)) -eq 1 ]; then
			kids=$(pool_children "$pid")
			kill -TERM "$pid" $kids 2>/dev/null
		fi
		sleep 0.1
	done
	if alive "$pid"; then
		kids=$(pool_children "$pid")
		say "$2 did not stop; killing $kids"
		[ -n "$kids" ] && kill -KILL $kids 2>/dev/null
		sleep 0.2
		kill -KILL "$pid" 2>/dev/null
	fi
	reap "$pid"
}

stop_pg() {
	[ -n "$PG_PID" ] || return 0
	say "postgres: stopping"
	stop_pid "$PG_PID" INT		# fast shutdown
	PG_PID=
	echo stopped >"$R/pg.state"
}

teardown() {
	[ -n "$R" ] && [ -z "${TORN_DOWN:-}" ] || return 0
	TORN_DOWN=1
	trap '' INT TERM USR1 USR2
	rm -f "$R/ready"
	[ -n "$CMD_PID" ] && alive "$CMD_PID" && stop_pid "$CMD_PID" TERM
	[ -n "$HTTPD_PID" ] && { say "lighttpd: stopping"; stop_pid "$HTTPD_PID" TERM; }
	for pid in $WORKER_PIDS; do
		alive "$pid" && { say "worker $pid: stopping"; stop_pid "$pid" TERM; }
	done
	stop_pool "$POOL_PID" pool
	POOL_PID=
	stop_pool "$SIM_PID" simulator
	SIM_PID=
	stop_pg
	rm -f "$R/sock" "$R/sim.sock" "$R/stack.pid" ${DEDUP:+"$DEDUP"}
	# A sanitizer report in the responders' or the simulator's log fails
	# the run.
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
	    "$R/log/pool.log" "$R/log/sim.log" "$R/log/worker.log" \
	    2>/dev/null; then
		say "sanitizer reports in $R/log:"
		grep -E -A20 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		    "$R/log/pool.log" "$R/log/sim.log" "$R/log/worker.log" \
		    2>/dev/null | head -60 >&2
		STATUS=1
		C2S_KEEP=1
		touch "$R/sanitizer-reports"
	fi
	if [ "${C2S_KEEP:-0}" = 1 ]; then
		say "stopped; logs kept in $R/log"
	else
		rm -rf "$R"
		say "stopped"
	fi
}

# The static pages lighttpd serves (/docs, /status, /api-docs): a copy of
# web/'s page folders, readable by the user lighttpd runs as.  web/'s
# package files and node_modules stay out; the Swagger UI of /docs
# (web/docs/vendor/, committed) goes in.
copy_www() {
	local d
	mkdir -p "$R/www" || return 1
	for d in docs status api-docs; do
		[ -d "$TOP/web/$d" ] || continue
		cp -R "$TOP/web/$d" "$R/www/" ||
		    { say "cannot copy web/$d into $R/www"; return 1; }
	done
	chmod -R a+rX "$R/www"
	[ -r "$R/www/docs/vendor/swagger-ui-bundle.js" ] ||
	    say "warning: web/docs/vendor/ missing (it is committed): /docs will not render"
	[ -r "$R/www/api-docs/openapi.yml" ] ||
	    say "warning: web/api-docs/openapi.yml missing: /docs has nothing to show"
	return 0
}

# The stamp of a template: this tree's migrations and PostgreSQL's
# version.  A template whose stamp differs is not used.
template_stamp() {
	{ "$PGBIN/postgres" --version; cat "$TOP"/sql/[0-9]*.sql; } | md5sum |
	    cut -d' ' -f1
}

# The cluster in $R/pg, running, with the role, the database and every
# migration: copied from C2S_PG_TEMPLATE when it is a current template,
# else made (initdb, the role and database, the migrations).  The
# migrations run either way: on a copy they only say "already up to date".
make_cluster() {
	local t=${C2S_PG_TEMPLATE:-}
	chmod 0700 "$R/pg"
	if [ -n "$t" ] && [ -f "$t/stamp" ] &&
	    [ "$(cat "$t/stamp")" = "$(template_stamp)" ]; then
		cp -a "$t/pg/." "$R/pg/" ||
		    { say "cannot copy the template $t"; return 1; }
		say "postgres: the cluster copied from the template $t"
		start_pg || return 1
	else
		[ -n "$t" ] && say "postgres: $t is no current template; initdb"
		as_pg "$PGBIN/initdb" -D "$R/pg" -U postgres -A trust -E UTF8 \
		    --locale=C.UTF-8 --no-sync >"$R/log/initdb.log" 2>&1 ||
		    { say "initdb failed; see $R/log/initdb.log"; return 1; }
		start_pg || return 1
		"$PGBIN/psql" -q -h "$R/pgsock" -U postgres -d postgres \
		    -v ON_ERROR_STOP=1 -c "CREATE ROLE c2s LOGIN" \
		    -c "CREATE DATABASE c2s OWNER c2s" >>"$R/log/stack.log" \
		    2>&1 || { say "cannot create the database"; return 1; }
	fi
	# Our own connection, whatever DB_URL or PG* the caller has.
	DB_URL="host=$R/pgsock dbname=c2s user=c2s" DATABASE_URL= \
	    PGHOST="$R/pgsock" PGUSER=c2s PGDATABASE=c2s "$TOP/sql/migrate.sh" \
	    >>"$R/log/stack.log" 2>&1 ||
	    { say "migrations failed; see $R/log/stack.log"; return 1; }
}

# The programs a stack needs, and its run directory: C2S_RUNDIR, or a
# new one under /tmp.
stack_tools() {
	local p
	[ -x "$BIN" ] || die "no responder binary at $BIN (run make first)"
	[ -x "$SIM_BIN" ] || die "no simulator binary at $SIM_BIN (run make first)"
	PGBIN=$(pg_bindir) || die "PostgreSQL server binaries not found"
	for p in spawn-fcgi multiwatch lighttpd curl; do
		command -v $p >/dev/null || die "$p not installed (make deps)"
	done
	if [ -n "${C2S_RUNDIR:-}" ]; then
		R=$C2S_RUNDIR
		mkdir -p "$R" || die "cannot create $R"
	else
		R=$(mktemp -d /tmp/c2s-enrich.XXXXXX) || die "mktemp failed"
	fi
}

# The run directory's layout, the traps, the binaries copied where other
# users reach them, and who the servers run as (RUN_USER, AS_ROOT).
stack_rundir() {
	AS_ROOT=0
	[ "$(id -u)" -eq 0 ] && AS_ROOT=1
	chmod 0755 "$R"
	mkdir -p "$R/log" "$R/bin" "$R/pg" "$R/pgsock" "$R/tmp"
	echo $$ >"$R/stack.pid"
	# Whatever ends this script (even a bug) stops what it started.
	trap 'teardown' EXIT
	# Servers may run as other users: give them a copy they can reach.
	cp "$BIN" "$R/bin/c2s-enrich"
	cp "$SIM_BIN" "$R/bin/upstream-sim"
	trap 'STOPPING=1' INT TERM
	trap 'PG_WANT=0; stop_pg' USR1
	trap 'PG_WANT=1; start_pg || true' USR2

	if [ $AS_ROOT = 1 ]; then
		chown postgres:postgres "$R/pg" "$R/pgsock"
		RUN_USER=www-data
	else
		RUN_USER=$(id -un)
	fi
	# lighttpd's temporary files (bodies over 64 KiB).
	chmod 0700 "$R/tmp"
	[ $AS_ROOT = 1 ] && chown "$RUN_USER" "$R/tmp"
	# The master binds its own socket as RUN_USER: a directory of its.
	if [ "$MASTER" = 1 ]; then
		mkdir -p "$R/run" && chmod 0750 "$R/run" || return 1
		[ $AS_ROOT = 1 ] && chown "$RUN_USER:$RUN_USER" "$R/run"
		HEALTH_SOCK="$R/run/health.sock"
	fi
	return 0
}

# The simulator: its own pool, its own port on the same lighttpd.
start_sim() {
	if [ "$SIM_PORT" = 0 ]; then
		SIM_PORT=$(pick_port) || { say "no free port"; return 1; }
		SIM_PICKED=1
	elif ! port_free "$SIM_PORT"; then
		say "port $BIND:$SIM_PORT is in use; set C2S_SIM_PORT"
		return 1
	fi
	mkdir -p "$R/sim"
	[ $AS_ROOT = 1 ] && chown "$RUN_USER" "$R/sim"
	say "simulator: $SIM_POOL processes on $R/sim.sock"
	if [ $AS_ROOT = 1 ]; then
		set -- -u "$RUN_USER" -g "$RUN_USER" -U "$RUN_USER" -G "$RUN_USER"
	else
		set --
	fi
	# The simulator's lead list ends when the stack started: it stands
	# still under a test (docs/SIMULATOR.md).
	SIM_LEAD_LIST_END=${SIM_LEAD_LIST_END:-$(date +%s)} \
	SIM_RECORD_FILE="$R/sim/record" spawn-fcgi -n -s "$R/sim.sock" \
	    -M 0660 "$@" -- "$(command -v multiwatch)" -f "$SIM_POOL" -r 3 \
	    -t 1000 -- "$R/bin/upstream-sim" >>"$R/log/sim.log" 2>&1 &
	SIM_PID=$!
	poll 100 test -S "$R/sim.sock" ||
	    { say "simulator did not start; see $R/log/sim.log"; return 1; }
}

# The responders' settings in UP_ENV: the database, DEDUP_FILE,
# SPOOL_DIR, the upstreams' credentials, the webhook secrets and the API
# keys (WH_SECRET, GA_KEY, API_KEY); then the responder's -n on them.
responder_env() {
	# Settings for the responders only: exported, they would leak into
	# everything this script runs (a test's private stack included).
	UP_ENV=("DB_URL=${C2S_SHARED_DB:-host=$R/pgsock dbname=c2s user=c2s}")
	if [ -z "${DEDUP_FILE:-}" ]; then
		DEDUP=/dev/shm/c2s-enrich.$(basename "$R").dedup
		UP_ENV+=("DEDUP_FILE=$DEDUP")
	fi
	# The spool (requests taken while PostgreSQL is down): the
	# responders write it, the workers (same user) replay and delete.
	if [ -z "${SPOOL_DIR:-}" ]; then
		mkdir -p "$R/spool" && chmod 0700 "$R/spool"
		[ $AS_ROOT = 1 ] && chown "$RUN_USER" "$R/spool"
		UP_ENV+=("SPOOL_DIR=$R/spool")
	fi
	if [ -z "${C2S_BASE_URL:-}" ] || [ -z "${DIRETRIX_BASE_URL:-}" ] ||
	    [ -z "${WORK_API_URL:-}" ]; then
		say "upstreams: the simulator on port $SIM_PORT"
		UP_ENV+=(C2S_TOKEN=sim-c2s-token DIRETRIX_USER=sim
		    DIRETRIX_PASS=sim-pass WORK_API=sim-work-token
		    "WORK_API_MIN_INTERVAL=${WORK_API_MIN_INTERVAL:-0}")
		SIM_UPSTREAMS=1
	else
		say "upstreams: $C2S_BASE_URL, $DIRETRIX_BASE_URL, $WORK_API_URL"
		SIM_UPSTREAMS=0
	fi
	# Webhook secrets: the caller's, or made up for this run.
	WH_SECRET=${WEBHOOK_SECRET:-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}
	GA_KEY=${GOOGLE_ADS_WEBHOOK_KEY:-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}
	UP_ENV+=("GOOGLE_ADS_WEBHOOK_KEY=$GA_KEY")
	if [ "${C2S_NO_WEBHOOK_SECRET:-0}" = 1 ]; then
		unset WEBHOOK_SECRET
		WH_SECRET=
	else
		UP_ENV+=("WEBHOOK_SECRET=$WH_SECRET")
	fi
	# API keys: the caller's (the first is the one clients here use), or
	# one made up for this run.
	API_KEY=${API_KEYS:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
	UP_ENV+=("API_KEYS=$API_KEY")
	API_KEY=${API_KEY%%,*}
	# Admin keys (the operators' actions): the caller's, one made up for
	# this run, or none with C2S_NO_ADMIN_KEY=1 (the actions then 403).
	if [ "${C2S_NO_ADMIN_KEY:-0}" = 1 ]; then
		unset ADMIN_API_KEYS
		ADMIN_KEY=
	else
		ADMIN_KEY=${ADMIN_API_KEYS:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
		UP_ENV+=("ADMIN_API_KEYS=$ADMIN_KEY")
		ADMIN_KEY=${ADMIN_KEY%%,*}
	fi
	# The poller, when said (the tests' stacks say 0): in responder.env
	# for the workers a test starts from it.
	[ -n "${RUN_POLLER:-}" ] && UP_ENV+=("RUN_POLLER=$RUN_POLLER")
	DB_URL=${C2S_SHARED_DB:-host=$R/pgsock dbname=c2s user=c2s}
	env "${UP_ENV[@]}" "$R/bin/c2s-enrich" -n >/dev/null ||
	    { say "the responder rejects its configuration"; return 1; }
}

# The responder pool: spawn-fcgi, multiwatch and POOL responders.
start_pool() {
	# multiwatch gives up on a slot after 3 exits within -t ms of a
	# start; responders recycle no sooner than 2 s after theirs.
	say "pool: $POOL responders on $R/sock"
	if [ $AS_ROOT = 1 ]; then
		set -- -u "$RUN_USER" -g "$RUN_USER" -U "$RUN_USER" -G "$RUN_USER"
	else
		set --
	fi
	# The simulator's port is final only once lighttpd has bound it.
	SIM_URL="http://$BIND:$SIM_PORT"
	[ "$SIM_UPSTREAMS" = 1 ] && UP_ENV+=(C2S_BASE_URL=$SIM_URL
	    DIRETRIX_BASE_URL=$SIM_URL WORK_API_URL=$SIM_URL)
	# GnuTLS, loaded by libcurl's dependencies but never used (TLS is
	# OpenSSL's), is not initialised at load: 130 kB less per responder.
	if [ "$MASTER" = 1 ]; then
		# The master forks and keeps the responders itself, and
		# answers /health and /ready on its own socket.
		env "${UP_ENV[@]}" GNUTLS_NO_IMPLICIT_INIT=1 \
		    POOL_MIN="${POOL_MIN:-$POOL}" POOL_MAX="${POOL_MAX:-$POOL}" \
		    HEALTH_SOCKET="$HEALTH_SOCK" \
		    spawn-fcgi -n -s "$R/sock" -M 0660 -b "$BACKLOG" "$@" -- \
		    "$R/bin/c2s-enrich" --pool >>"$R/log/pool.log" 2>&1 &
	else
		env "${UP_ENV[@]}" GNUTLS_NO_IMPLICIT_INIT=1 \
		    spawn-fcgi -n -s "$R/sock" -M 0660 -b "$BACKLOG" "$@" -- \
		    "$(command -v multiwatch)" -f "$POOL" -r 3 -t 1000 -- \
		    "$R/bin/c2s-enrich" >>"$R/log/pool.log" 2>&1 &
	fi
	POOL_PID=$!
	poll 100 test -S "$R/sock" || { say "pool did not start; see $R/log/pool.log"; return 1; }
}

# responder.env, then WORKERS background workers (c2s-enrich --worker).
start_workers() {
	local i
	# What a worker needs (tokens included): readable by this user only.
	(umask 077; printf '%s\n' "${UP_ENV[@]}" >"$R/responder.env") &&
	    chmod 0600 "$R/responder.env" ||
	    { say "cannot write $R/responder.env"; return 1; }
	for i in $(seq 1 "$WORKERS"); do
		if [ $AS_ROOT = 1 ]; then
			set -- setpriv --reuid="$RUN_USER" --regid="$RUN_USER" \
			    --init-groups --
		else
			set --
		fi
		env "${UP_ENV[@]}" "$@" "$R/bin/c2s-enrich" --worker \
		    >>"$R/log/worker.log" 2>&1 &
		WORKER_PIDS="$WORKER_PIDS $!"
	done
	[ "$WORKERS" -gt 0 ] && say "worker: $WORKERS (c2s-enrich --worker;" \
	    "poller $([ "${RUN_POLLER:-1}" = 0 ] && echo off || echo on))"
	return 0
}

# lighttpd's settings for PORT (the C2S_HTTPD_* its configuration
# reads), its configuration file and its logs; then its own check.
httpd_config() {
	export C2S_HTTPD_PORT=$PORT C2S_HTTPD_BIND=$BIND \
	    C2S_HTTPD_SOCK="$R/sock" C2S_HTTPD_LOGDIR="$R/log" \
	    C2S_HTTPD_ACCESSLOG="$R/log/access.log" \
	    C2S_HTTPD_ERRORLOG="$R/log/lighttpd-error.log" \
	    C2S_HTTPD_USER=$RUN_USER C2S_HTTPD_GROUP=$RUN_USER \
	    C2S_HTTPD_DOCROOT="$R/www" C2S_HTTPD_TMPDIR="$R/tmp" \
	    C2S_HTTPD_SIM_LISTEN="$BIND:$SIM_PORT" \
	    C2S_HTTPD_SIM_SOCK="$R/sim.sock" \
	    C2S_HTTPD_CONFDIR="$TOP/httpd-conf" \
	    C2S_HTTPD_HEALTH_SOCK="$HEALTH_SOCK" \
	    C2S_HTTPD_TRUSTED_PROXIES="${TRUSTED_PROXIES:-}" \
	    C2S_HTTPD_FORWARDED_HEADER="${C2S_FORWARDED_HEADER:-X-Forwarded-For}"
	printf 'include "%s"\ninclude "%s"\n' \
	    "$TOP/httpd-conf/lighttpd.conf" \
	    "$TOP/httpd-conf/lighttpd-sim.conf" >"$R/lighttpd.conf"
	# lighttpd opens its logs after dropping privileges.
	touch "$R/log/lighttpd-error.log" "$R/log/access.log" \
	    "$R/log/sim-access.log"
	[ $AS_ROOT = 1 ] && chown "$RUN_USER" \
	    "$R/log/lighttpd-error.log" "$R/log/access.log" \
	    "$R/log/sim-access.log"
	lighttpd -tt -f "$R/lighttpd.conf" \
	    >>"$R/log/stack.log" 2>&1 ||
	    { say "lighttpd rejects its configuration"; return 1; }
}

# lighttpd on PORT (or a free port, tried again when a picked one was
# taken meanwhile), polled until /health and the simulator answer.
start_httpd() {
	local i
	for i in 1 2 3 4 5; do
		if [ "$PORT" = 0 ] || [ "${PICKED:-}" = 1 ]; then
			PORT=$(pick_port) || { say "no free port"; return 1; }
			PICKED=1
		elif ! port_free "$PORT"; then
			say "port $BIND:$PORT is in use; set C2S_PORT"
			return 1
		fi
		httpd_config || return 1
		lighttpd -D -f "$R/lighttpd.conf" \
		    >>"$R/log/lighttpd-error.log" 2>&1 &
		HTTPD_PID=$!
		# lighttpd marks a backend dead for a moment after a failed
		# connect: poll until /health answers.
		poll 200 eval "(http_ok /health && sim_ok) || ! alive $HTTPD_PID"
		if alive "$HTTPD_PID" && http_ok /health && sim_ok; then
			break
		fi
		stop_pid "$HTTPD_PID" TERM
		HTTPD_PID=
		if [ "${PICKED:-}" != 1 ] ||
		    ! grep -q 'in use' "$R/log/lighttpd-error.log"; then
			say "lighttpd did not start; see $R/log/lighttpd-error.log"
			return 1
		fi
	done
	[ -n "$HTTPD_PID" ] || { say "lighttpd did not start"; return 1; }
}

# PUBLIC_URL into responder.env, and the env file describing the stack.
write_stack_env() {
	# Where C2S (the simulator) reaches this stack, for --subscribe.
	printf 'PUBLIC_URL=%s\n' "${PUBLIC_URL:-http://$BIND:$PORT}" \
	    >>"$R/responder.env"

	# It holds the keys: readable by this user only.
	(umask 077; : >"$R/env") && chmod 0600 "$R/env" ||
	    { say "cannot write $R/env"; return 1; }
	cat >"$R/env" <<EOT
C2S_RUNDIR='$R'
C2S_URL='http://$BIND:$PORT'
C2S_PORT='$PORT'
C2S_POOL='$POOL'
C2S_MASTER='$MASTER'
C2S_HEALTH_SOCK='$HEALTH_SOCK'
C2S_STACK_PID='$$'
C2S_POOL_PID='$POOL_PID'
C2S_SIM_URL='$SIM_URL'
C2S_SIM_PID='$SIM_PID'
C2S_HTTPD_PID='$HTTPD_PID'
C2S_PG_PID='$PG_PID'
DB_URL='$DB_URL'
PGHOST='$R/pgsock'
C2S_DEDUP_FILE='$DEDUP'
C2S_WORKER_PIDS='${WORKER_PIDS# }'
C2S_WEBHOOK_SECRET='$WH_SECRET'
C2S_GOOGLE_KEY='$GA_KEY'
C2S_API_KEY='$API_KEY'
C2S_ADMIN_KEY='$ADMIN_KEY'
PGUSER=c2s
PGDATABASE=c2s
EOT
	return 0
}

# The ready line; the keys themselves only on a terminal (make run): logs
# and CI never get them whole.
stack_banner() {
	say "ready: http://$BIND:$PORT (run directory $R)"
	if [ -t 2 ]; then
		say "API key (X-API-Key: or Authorization: Bearer): $API_KEY"
		[ -z "$ADMIN_KEY" ] ||
		    say "admin key (the operators' actions, /status buttons): $ADMIN_KEY"
		say "webhook secret (X-Webhook-Token, X-Webhook-Secret or ?token=): $WH_SECRET"
		say "Google Ads key (?google_key=): $GA_KEY"
	else
		say "API key, webhook secret and Google Ads key: in $R/env"
	fi
}

start_stack() {
	stack_tools
	stack_rundir
	make_cluster || return 1
	start_sim || return 1
	responder_env || return 1
	start_pool || return 1
	start_workers || return 1
	copy_www || return 1
	start_httpd || return 1
	write_stack_env || return 1
	touch "$R/ready"
	stack_banner
	return 0
}

# Wait on the children until asked to stop, or until one dies on its own.
serve() {
	local pid st
	while [ -z "$STOPPING" ]; do
		pid=
		wait -n -p pid
		st=$?
		[ -n "$STOPPING" ] && break
		# A trapped signal interrupts wait and leaves pid unset.
		[ -z "${pid:-}" ] && continue
		if [ "$pid" = "$CMD_PID" ]; then
			STATUS=$st
			CMD_PID=
			return
		fi
		if [ "$pid" = "$PG_PID" ] && [ "$PG_WANT" = 0 ]; then
			continue
		fi
		case $pid in
		"$PG_PID") say "postgres exited ($st)"; PG_PID= ;;
		"$POOL_PID") say "pool exited ($st)"; POOL_PID= ;;
		"$SIM_PID") say "simulator exited ($st)"; SIM_PID= ;;
		"$HTTPD_PID") say "lighttpd exited ($st)"; HTTPD_PID= ;;
		*) continue ;;
		esac
		STATUS=1
		return
	done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
run)
	start_stack || { STATUS=1; C2S_KEEP=1; teardown; exit 1; }
	say "serving until Ctrl-C"
	serve
	teardown
	exit $STATUS
	;;
exec)
	[ $# -gt 0 ] || die "usage: stack.sh exec CMD ..."
	# A test stack: no poller unless asked (not exported to CMD).
	RUN_POLLER=${RUN_POLLER:-0}
	start_stack || { STATUS=1; C2S_KEEP=1; teardown; exit 1; }
	(set -a; . "$R/env"; set +a; exec "$@") &
	CMD_PID=$!
	serve
	teardown
	exit $STATUS
	;;
start)
	R=${C2S_RUNDIR:-$(mktemp -d /tmp/c2s-enrich.XXXXXX)} || die "mktemp failed"
	mkdir -p "$R" || die "cannot create $R"
	# A test stack: no poller unless asked.
	RUN_POLLER=${RUN_POLLER:-0} C2S_RUNDIR=$R "$0" run </dev/null \
	    >>"$R/stack.out" 2>&1 &
	pid=$!
	if ! poll 600 eval "[ -e '$R/ready' ] || ! alive $pid"; then
		say "timed out starting"
	fi
	if [ ! -e "$R/ready" ]; then
		cat "$R/stack.out" >&2 2>/dev/null
		exit 1
	fi
	echo "$R"
	;;
stamp)
	# What a template of this tree is stamped with (upgrade_test stamps a
	# kept cluster with it, to start a stack from that cluster).
	[ $# -eq 0 ] || die "usage: stack.sh stamp"
	PGBIN=$(pg_bindir) || die "PostgreSQL server binaries not found"
	template_stamp
	;;
template)
	# A cluster made once, stopped cleanly, for the stacks of a run to copy.
	[ $# -eq 1 ] || die "usage: stack.sh template DIR"
	R=$1
	PGBIN=$(pg_bindir) || die "PostgreSQL server binaries not found"
	rm -rf "$R" && mkdir -p "$R/pg" "$R/pgsock" "$R/log" ||
	    die "cannot create $R"
	chmod 0755 "$R"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$R/pg" "$R/pgsock"
	C2S_PG_TEMPLATE= make_cluster || { stop_pg; die "template: failed; see $R/log"; }
	stop_pg
	rm -rf "$R/pgsock" "$R/pg.state"
	template_stamp >"$R/stamp"
	say "template: $R ($(du -sh "$R/pg" | cut -f1))"
	;;
stop)
	[ $# -eq 1 ] || die "usage: stack.sh stop DIR"
	[ -r "$1/stack.pid" ] || die "no stack in $1"
	pid=$(cat "$1/stack.pid")
	kill -TERM "$pid" 2>/dev/null
	poll 600 eval "! alive $pid" || die "stack $pid did not stop"
	[ -e "$1/sanitizer-reports" ] &&
	    die "sanitizer reports in $1/log"
	# stack.pid still there: the script was killed before its teardown
	# (kyua kills a failing test's process group).  Finish it: what it
	# started and still runs from this directory, its dedup file, the
	# directory itself.
	if [ -e "$1/stack.pid" ]; then
		say "stack $pid died without its teardown; cleaning $1"
		for p in /proc/[0-9]*; do
			grep -qF "$1/" "$p/cmdline" 2>/dev/null &&
			    kill -KILL "${p#/proc/}" 2>/dev/null
		done
		dedup=$(sed -n "s/^C2S_DEDUP_FILE='\(.*\)'$/\1/p" "$1/env" 2>/dev/null)
		case $dedup in /dev/shm/c2s-enrich.*) rm -f "$dedup" ;; esac
		[ "${C2S_KEEP:-0}" = 1 ] || rm -rf "$1"
	fi
	exit 0
	;;
pg)
	[ $# -eq 2 ] || die "usage: stack.sh pg stop|start DIR"
	pid=$(cat "$2/stack.pid") || die "no stack in $2"
	case $1 in
	stop) kill -USR1 "$pid"; want=stopped ;;
	start) kill -USR2 "$pid"; want=running ;;
	*) die "usage: stack.sh pg stop|start DIR" ;;
	esac
	poll 300 grep -qx "$want" "$2/pg.state" || die "postgres not $want"
	;;
*)
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
	;;
esac
