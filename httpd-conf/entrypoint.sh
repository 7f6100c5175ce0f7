#!/bin/sh
# httpd-conf/entrypoint.sh -- c2s-enrich in one process tree: the
# container's entrypoint (installed as BINDIR/c2s-enrich-entrypoint).
#
# It applies the migrations when asked (MIGRATE_ON_START=1), checks the
# configuration, then starts, as children it waits on:
#   the pool     spawn-fcgi -n -s C2S_SOCK -- c2s-enrich --pool (the
#                master forks up to C2S_POOL responders and keeps them;
#                it answers /health and /ready on its own socket,
#                HEALTH_SOCKET, by default beside C2S_SOCK),
#   the worker   c2s-enrich --worker (C2S_WORKERS of them, 1 by default),
#   lighttpd     -D, on C2S_BIND:C2S_PORT, in front of the pool.
# SIGTERM or SIGINT stops them gracefully: lighttpd stops listening and
# lets the requests in flight finish (at most C2S_STOP_TIMEOUT seconds),
# the worker finishes its job, then the pool stops; the exit status is 0.
# When any of them dies on its own, the others are stopped the same way
# and the status is 1 (a container supervisor restarts the whole).
# Started as root, it makes the socket's directory if missing, gives it to
# C2S_USER and runs itself again as C2S_USER:C2S_GROUP.
#
# Usage:
#   c2s-enrich-entrypoint          serve until SIGTERM or SIGINT
#   c2s-enrich-entrypoint health   exit 0 when GET /health answers 200
#                                  (the image's HEALTHCHECK)
#
# Environment (C2S_* unset here take their value from site.env):
#   C2S_SOCK, C2S_USER, C2S_GROUP, C2S_BIND, C2S_PORT, C2S_POOL (the
#                      pool's POOL_MAX; POOL_MIN is 2 unless set)
#   HEALTH_SOCKET      the master's own socket (RUNDIR/health.sock)
#   C2S_WORKERS        background workers (1; 0 for none)
#   C2S_STOP_TIMEOUT   seconds the requests in flight get on a stop (30)
#   C2S_ACCESS_LOG     a file for lighttpd's access log of the static pages
#                      (none by default; every other request is in the
#                      pool's JSON lines)
#   C2S_METRICS_PORT   a second port of lighttpd's, on C2S_BIND, where
#                      /metrics answers without an API key and nothing
#                      but /health else does (none by default; fly.toml's
#                      [metrics] scrapes it)
#   TRUSTED_PROXIES    addresses or CIDR ranges of the proxies in front
#                      (fly's proxy, a load balancer): lighttpd takes the
#                      client's address from their C2S_FORWARDED_HEADER
#                      (mod_extforward); unset, nobody's header is believed
#   C2S_FORWARDED_HEADER  that header: Fly-Client-IP on fly.io (FLY_APP_NAME
#                      set), X-Forwarded-For elsewhere
#   MIGRATE_ON_START   1: apply the pending migrations first (sql/migrate.sh,
#                      safe with several machines starting at once)
#   C2S_SHAREDIR, C2S_BINDIR   where `make install` put the files
# Everything else (DB_URL, the upstream URLs and credentials, LOG_LEVEL ...,
# see c2s-enrich(8)) reaches the responders and the worker as it is, and is
# never printed.  Required secrets (closed by default), each made with
# `openssl rand -hex 32`:
#   API_KEYS                comma-separated keys of at least 16 characters;
#                           unset, nothing starts (API_AUTH=off opens the
#                           business routes on purpose instead)
#   WEBHOOK_SECRET          unset, the C2S webhook answers 503
#                           (WEBHOOK_AUTH=off opens it on purpose instead)
#   GOOGLE_ADS_WEBHOOK_KEY  unset, the Google Ads webhook answers 503
# Optional: ADMIN_API_KEYS, the operators' keys (retry, reprocess, the
# lead export); unset, those routes answer 403 to every key.

set -u

# Filled in by `make install`.
SHAREDIR=${C2S_SHAREDIR:-@SHAREDIR@}
BINDIR=${C2S_BINDIR:-@BINDIR@}

say() { printf 'entrypoint: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -r "$SHAREDIR/httpd-conf/site.env" ] ||
    die "no $SHAREDIR/httpd-conf/site.env: run the installed copy (make install)"

# site.env's NAME=value lines, for the names not set in the environment.
while IFS= read -r line; do
	case $line in
	C2S_*=*) ;;
	*) continue ;;
	esac
	name=${line%%=*}
	case $name in *[!A-Z0-9_]*) continue ;; esac
	eval "isset=\${$name+1}"
	[ -n "$isset" ] || eval "$name=\${line#*=}"
done <"$SHAREDIR/httpd-conf/site.env"
: "${C2S_WORKERS:=1}" "${C2S_STOP_TIMEOUT:=30}" "${C2S_ACCESS_LOG:=}"
: "${C2S_METRICS_PORT:=}"
# fly's proxy names the client in Fly-Client-IP (one address, set by
# fly); elsewhere a proxy appends to X-Forwarded-For.
if [ -n "${FLY_APP_NAME:-}" ]; then
	: "${C2S_FORWARDED_HEADER:=Fly-Client-IP}"
else
	: "${C2S_FORWARDED_HEADER:=X-Forwarded-For}"
fi

# number NAME VALUE MIN MAX: VALUE is an integer in [MIN, MAX].
number() {
	case $2 in ''|*[!0-9]*) die "$1 must be an integer" ;; esac
	if [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
		die "$1 must be between $3 and $4"
	fi
}
# The shared file's process table has 256 slots: the pool and the
# workers must fit in it.
number C2S_POOL "$C2S_POOL" 1 192
number C2S_WORKERS "$C2S_WORKERS" 0 64
number C2S_PORT "$C2S_PORT" 1 65535
number C2S_STOP_TIMEOUT "$C2S_STOP_TIMEOUT" 1 3600
if [ -n "$C2S_METRICS_PORT" ]; then
	number C2S_METRICS_PORT "$C2S_METRICS_PORT" 1 65535
	[ "$C2S_METRICS_PORT" != "$C2S_PORT" ] ||
	    die "C2S_METRICS_PORT must differ from C2S_PORT"
fi

if [ "${1:-}" = health ]; then
	host=$C2S_BIND
	case $host in ''|0.0.0.0|::) host=127.0.0.1 ;; esac
	exec curl -fsS -o /dev/null --max-time 5 "http://$host:$C2S_PORT/health"
fi
[ $# -eq 0 ] || die "usage: c2s-enrich-entrypoint [health]"

RUNDIR=$(dirname "$C2S_SOCK")
# The pool: up to C2S_POOL responders (POOL_MAX), at least 2 of them
# (POOL_MIN) unless set; the master's own socket beside C2S_SOCK.
: "${POOL_MAX:=$C2S_POOL}"
[ "$POOL_MAX" = 1 ] && : "${POOL_MIN:=1}"
: "${POOL_MIN:=2}" "${HEALTH_SOCKET:=$RUNDIR/health.sock}"
export POOL_MAX POOL_MIN HEALTH_SOCKET
if [ "$(id -u)" -eq 0 ]; then
	# A directory that exists already is the operator's: left as it is.
	if [ ! -d "$RUNDIR" ]; then
		mkdir -p "$RUNDIR" || die "cannot make $RUNDIR"
		chown "$C2S_USER:$C2S_GROUP" "$RUNDIR" || die "cannot chown $RUNDIR"
		chmod 0750 "$RUNDIR" || die "cannot chmod $RUNDIR"
	fi
	# The spool, when SPOOL_DIR is set (a volume, say): the responders
	# write it, the workers empty it (the default, RUNDIR/spool, the
	# responders make themselves).
	if [ -n "${SPOOL_DIR:-}" ] && [ ! -d "$SPOOL_DIR" ]; then
		mkdir -p "$SPOOL_DIR" || die "cannot make $SPOOL_DIR"
		chown "$C2S_USER:$C2S_GROUP" "$SPOOL_DIR" ||
		    die "cannot chown $SPOOL_DIR"
		chmod 0700 "$SPOOL_DIR" || die "cannot chmod $SPOOL_DIR"
	fi
	say "root: running as $C2S_USER:$C2S_GROUP"
	exec setpriv --reuid="$C2S_USER" --regid="$C2S_GROUP" --init-groups \
	    -- "$0" "$@"
fi

BIN=$BINDIR/c2s-enrich
[ -x "$BIN" ] || die "no responder at $BIN"
for p in spawn-fcgi lighttpd; do
	command -v $p >/dev/null || die "$p is not installed"
done

STOP='' POOL_PID='' HTTPD_PID='' WORKER_PIDS=''
trap 'STOP=TERM' TERM
trap 'STOP=INT' INT
# A child's exit interrupts `wait` below, as the signals above do.
trap ':' CHLD

# Is process $1 alive (not gone, not a zombie)?
alive() {
	st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" \
	    2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

# Sleep about $1 seconds; a signal or a child's exit ends it sooner.
nap() {
	sleep "$1" &
	tick=$!
	wait $tick
	kill $tick 2>/dev/null
	wait $tick 2>/dev/null
	return 0
}

# wait_gone TENTHS PID...: wait until none of the PIDs is alive.
wait_gone() {
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		left=
		for p in "$@"; do
			alive "$p" && left=1
		done
		[ -z "$left" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# The responders: the master's children.
responders() {
	cat "/proc/$POOL_PID/task/$POOL_PID/children" 2>/dev/null
}

# Is the pool listening?  Once the master has bound its own socket and
# forked a responder (a stale socket file may be there before); where the
# kernel keeps no list of children, once the sockets are there.
pool_up() {
	[ -S "$C2S_SOCK" ] && [ -S "$HEALTH_SOCKET" ] || return 1
	[ -r "/proc/$POOL_PID/task/$POOL_PID/children" ] || return 0
	[ -n "$(responders)" ]
}

# Stop everything started so far, the requests in flight first.
stop_all() {
	trap '' TERM INT
	trap - CHLD
	# lighttpd: SIGINT is its graceful stop.  The worker finishes its
	# job.
	[ -n "$HTTPD_PID" ] && kill -INT "$HTTPD_PID" 2>/dev/null
	# shellcheck disable=SC2086
	[ -n "$WORKER_PIDS" ] && kill -TERM $WORKER_PIDS 2>/dev/null
	if [ -n "$HTTPD_PID" ] &&
	    ! wait_gone $((C2S_STOP_TIMEOUT * 10 + 20)) "$HTTPD_PID"; then
		say "lighttpd did not stop; killing it"
		kill -KILL "$HTTPD_PID" 2>/dev/null
	fi
	# The pool last: lighttpd no longer sends it anything.  The master
	# stops its responders (each finishing its request) and exits.
	if [ -n "$POOL_PID" ]; then
		kill -TERM "$POOL_PID" 2>/dev/null
		i=0
		while alive "$POOL_PID" &&
		    [ $i -lt $((C2S_STOP_TIMEOUT * 10 + 50)) ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if alive "$POOL_PID"; then
			say "the pool did not stop; killing it"
			# shellcheck disable=SC2046
			kill -KILL $(responders) 2>/dev/null
			kill -KILL "$POOL_PID" 2>/dev/null
		fi
	fi
	# shellcheck disable=SC2086
	if [ -n "$WORKER_PIDS" ] &&
	    ! wait_gone $((C2S_STOP_TIMEOUT * 10)) $WORKER_PIDS; then
		say "a worker did not stop; killing it"
		# shellcheck disable=SC2086
		kill -KILL $WORKER_PIDS 2>/dev/null
	fi
	wait
	rm -f "$C2S_SOCK"
}

# Set-up failed after something was started.
fail() {
	say "$*"
	stop_all
	exit 1
}

if [ "${MIGRATE_ON_START:-0}" = 1 ]; then
	say "applying migrations"
	"$SHAREDIR/sql/migrate.sh" >&2 || die "migrations failed"
fi
[ -z "$STOP" ] || exit 0
# One line naming the variable (never its value) when it is wrong, API_KEYS
# missing included; a warning for what is opened on purpose.
"$BIN" -n >/dev/null || die "the configuration is invalid"
[ -n "${WEBHOOK_SECRET:-}" ] || [ "${WEBHOOK_AUTH:-on}" = off ] ||
    say "WEBHOOK_SECRET is not set: the C2S webhook answers 503"
[ -n "${GOOGLE_ADS_WEBHOOK_KEY:-}" ] ||
    say "GOOGLE_ADS_WEBHOOK_KEY is not set: the Google Ads webhook answers 503"

[ -d "$RUNDIR" ] || mkdir -p "$RUNDIR" || die "cannot make $RUNDIR"
say "pool: $POOL_MIN to $POOL_MAX responders on $C2S_SOCK"
# GnuTLS, loaded by libcurl's dependencies but never used (TLS is
# OpenSSL's), is not initialised at load: 130 kB less per responder.
GNUTLS_NO_IMPLICIT_INIT=1 spawn-fcgi -n -s "$C2S_SOCK" -M 0660 -- \
    "$BIN" --pool &
POOL_PID=$!
i=0
until pool_up; do
	alive "$POOL_PID" || fail "the pool did not start"
	[ $i -lt 100 ] || fail "the pool did not start in 10 s"
	[ -z "$STOP" ] || { stop_all; exit 0; }
	sleep 0.1
	i=$((i + 1))
done

i=0
while [ $i -lt "$C2S_WORKERS" ]; do
	"$BIN" --worker &
	WORKER_PIDS="$WORKER_PIDS $!"
	i=$((i + 1))
done
[ "$C2S_WORKERS" -gt 0 ] && say "worker: $C2S_WORKERS"

# lighttpd buffers large bodies in a directory of the run directory,
# writable by the user it drops to when started as root.
mkdir -p "$RUNDIR/tmp" || die "cannot make $RUNDIR/tmp"
if [ "$(id -u)" -eq 0 ]; then chown "$C2S_USER" "$RUNDIR/tmp" || die "cannot own $RUNDIR/tmp"; fi
# lighttpd's settings: given to it alone, not to the responders.
set -- C2S_HTTPD_BIND="$C2S_BIND" C2S_HTTPD_PORT="$C2S_PORT" \
    C2S_HTTPD_TMPDIR="$RUNDIR/tmp" \
    C2S_HTTPD_SOCK="$C2S_SOCK" C2S_HTTPD_USER="$C2S_USER" \
    C2S_HTTPD_GROUP="$C2S_GROUP" C2S_HTTPD_LOGDIR="$RUNDIR" \
    C2S_HTTPD_ERRORLOG="/proc/$$/fd/2" \
    C2S_HTTPD_DOCROOT="$SHAREDIR/www" C2S_HTTPD_ACCESSLOG="$C2S_ACCESS_LOG" \
    C2S_HTTPD_GRACE="$C2S_STOP_TIMEOUT" \
    C2S_HTTPD_CONFDIR="$SHAREDIR/httpd-conf" \
    C2S_HTTPD_HEALTH_SOCK="$HEALTH_SOCKET" \
    C2S_HTTPD_TRUSTED_PROXIES="${TRUSTED_PROXIES:-}" \
    C2S_HTTPD_FORWARDED_HEADER="$C2S_FORWARDED_HEADER"
if [ -n "$C2S_METRICS_PORT" ]; then
	case $C2S_BIND in
	*:*) msock="[$C2S_BIND]:$C2S_METRICS_PORT" ;;
	*) msock="$C2S_BIND:$C2S_METRICS_PORT" ;;
	esac
	set -- "$@" C2S_HTTPD_METRICS_SOCKET="$msock" \
	    C2S_HTTPD_METRICS_CONF="$SHAREDIR/httpd-conf/lighttpd-metrics.conf"
else
	set -- "$@" C2S_HTTPD_METRICS_CONF=/dev/null
fi
CONF=$SHAREDIR/httpd-conf/lighttpd-entrypoint.conf
env "$@" lighttpd -tt -f "$CONF" >&2 || fail "lighttpd rejects its configuration"
env "$@" lighttpd -D -f "$CONF" &
HTTPD_PID=$!
say "serving on $C2S_BIND:$C2S_PORT${C2S_METRICS_PORT:+, metrics on port $C2S_METRICS_PORT}"

# Wait until asked to stop, or until a child dies.
dead=
while [ -z "$STOP" ]; do
	for p in $POOL_PID $HTTPD_PID $WORKER_PIDS; do
		alive "$p" || { dead=$p; break 2; }
	done
	nap 1
done

if [ -n "$dead" ]; then
	wait "$dead"
	st=$?
	case $dead in
	"$POOL_PID") what=pool ;;
	"$HTTPD_PID") what=lighttpd ;;
	*) what=worker ;;
	esac
	say "$what (pid $dead) exited with status $st; stopping"
	stop_all
	exit 1
fi
say "SIG$STOP: stopping (requests in flight finish)"
stop_all
say "stopped"
exit 0
