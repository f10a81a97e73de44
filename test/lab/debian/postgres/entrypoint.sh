#!/bin/sh
# postgres-entrypoint: the lab's PostgreSQL image.
#
#   postgres-entrypoint [postgres] [POSTGRES-OPTION]...   # initialise if empty, then run postgres
#   postgres-entrypoint COMMAND...                        # run COMMAND instead (psql, sh, ...)
#
# An empty $PGDATA is initialised with initdb as user postgres: superuser
# POSTGRES_USER (default postgres) with POSTGRES_PASSWORD, the database
# POSTGRES_DB (default: the user's name), connections from other hosts
# authenticated by POSTGRES_HOST_AUTH_METHOD (default scram-sha-256; "trust"
# needs no password), and *.sql and *.sh from /docker-entrypoint-initdb.d.
# Then postgres runs in the foreground as PID 1, as user postgres, so the
# container's stop signal reaches it: SIGINT is a fast shutdown, SIGTERM a
# smart one, and both end with "database system is shut down".
#
# BERTH_TEST_START_DELAY=SECONDS waits that long before anything else: a
# slow database, for tests of what waits for it.
set -eu

case "${1:-}" in
postgres) shift ;;
'' | -*) ;;
*) exec "$@" ;;
esac

say() { echo "postgres-entrypoint: $*" >&2; }
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

delay=${BERTH_TEST_START_DELAY:-0}
if [ "$delay" != 0 ]; then
	say "BERTH_TEST_START_DELAY: starting in ${delay}s"
	# PID 1 ignores signals it has no handler for: without this trap a stop
	# during the delay would wait for the kill.
	trap 'say "stopped before postgres started"; exit 0' INT TERM
	sleep "$delay" &
	wait $! || true
	trap - INT TERM
fi

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
chmod 2775 /run/postgresql

init_db() {
	user=${POSTGRES_USER:-postgres}
	db=${POSTGRES_DB:-$user}
	auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
		say "the data directory $PGDATA is empty and POSTGRES_PASSWORD is not set"
		say "set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection"
		exit 1
	fi
	say "initialising $PGDATA (user $user, database $db)"
	if [ -n "${POSTGRES_PASSWORD:-}" ]; then
		pwfile=$(mktemp)
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
		chown postgres "$pwfile"
		as_postgres initdb -D "$PGDATA" --username="$user" --pwfile="$pwfile" \
			--auth-local=trust --auth-host="$auth" --encoding=UTF8 --locale=C >/dev/null
		rm -f "$pwfile"
	else
		as_postgres initdb -D "$PGDATA" --username="$user" \
			--auth-local=trust --auth-host="$auth" --encoding=UTF8 --locale=C >/dev/null
	fi
	echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
	echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"

	scripts=$(ls /docker-entrypoint-initdb.d/*.sql /docker-entrypoint-initdb.d/*.sh 2>/dev/null || true)
	[ "$db" != postgres ] || [ -n "$scripts" ] || return 0
	# A server on the unix socket only: nothing outside sees it ready before
	# the initialisation is done.
	as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w -s start
	if [ "$db" != postgres ]; then
		echo 'CREATE DATABASE :"db";' | as_postgres psql -q -v ON_ERROR_STOP=1 \
			--username="$user" --dbname=postgres --set=db="$db"
	fi
	for f in $scripts; do
		say "running $f"
		case $f in
		*.sql) as_postgres psql -q -v ON_ERROR_STOP=1 --username="$user" --dbname="$db" -f "$f" ;;
		*.sh) as_postgres sh "$f" ;;
		esac
	done
	as_postgres pg_ctl -D "$PGDATA" -m fast -w -s stop
	say "initialised"
}

[ -s "$PGDATA/PG_VERSION" ] || init_db
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" "$@"
