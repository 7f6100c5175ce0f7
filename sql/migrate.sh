#!/bin/sh
# sql/migrate.sh -- apply the pending migrations of sql/ in order.
#
# Connection: libpq's PG* variables, or DB_URL / DATABASE_URL.
# Each file NNNN-name.sql is applied in its own transaction, together with
# its row in public.schema_migrations(version, name, applied_at), under an
# advisory lock, so two runners at once (two machines starting) apply each
# file exactly once.  Prints "already up to date" when nothing is pending;
# stops at the first failing file with psql's error and a non-zero status.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
db=${DB_URL:-${DATABASE_URL:-}}
PSQL="psql -X -q -v ON_ERROR_STOP=1 -At"
LOCK=7461093	# advisory lock key: "c2s migrations"

q() { $PSQL ${db:+-d "$db"} "$@"; }

q -c "CREATE TABLE IF NOT EXISTS public.schema_migrations (
	version integer PRIMARY KEY,
	name text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now())" >/dev/null

applied=0
for f in "$dir"/[0-9][0-9][0-9][0-9]-*.sql; do
	[ -e "$f" ] || continue
	base=$(basename "$f" .sql)
	v=$(echo "$base" | sed 's/^0*//; s/-.*//')
	name=${base#*-}
	# Under the lock: skip if another runner got there first.
	out=$(q -1 -c "SELECT pg_advisory_xact_lock($LOCK)" \
	    -c "SELECT 'skip' FROM public.schema_migrations WHERE version = $v" \
	    2>&1) || { echo "migrate: $base: $out" >&2; exit 1; }
	case $out in *skip*) continue ;; esac
	if ! out=$(q -1 -c "SELECT pg_advisory_xact_lock($LOCK)" \
	    -c "DO \$\$ BEGIN IF EXISTS (SELECT 1 FROM public.schema_migrations WHERE version = $v) THEN RAISE EXCEPTION 'migration $v applied concurrently'; END IF; END \$\$" \
	    -f "$f" \
	    -c "INSERT INTO public.schema_migrations (version, name) VALUES ($v, '$name')" 2>&1); then
		case $out in
		*"applied concurrently"*) continue ;;
		esac
		echo "migrate: $base failed:" >&2
		echo "$out" >&2
		exit 1
	fi
	echo "migrate: applied $base"
	applied=$((applied + 1))
done
if [ $applied -eq 0 ]; then
	echo "migrate: already up to date"
fi
