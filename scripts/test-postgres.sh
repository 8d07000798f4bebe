#!/usr/bin/env bash
# Run the pytest suite against a throwaway PostgreSQL cluster on 127.0.0.1.
#
#   bash scripts/test-postgres.sh [pytest arguments]     (default: -n 2 -m "not browser")
#
# Installs Debian's postgresql package when no server is on the machine (a psql client alone is not enough),
# initialises a cluster in a temporary directory as an unprivileged user (initdb refuses root), starts it on a
# free loopback port, creates a role with CREATEDB (pytest-xdist makes one test database per worker) and a
# database, runs pytest with DATABASE_URL pointing at it, then stops the cluster and deletes it whatever happened.
set -euo pipefail

cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

find_bindir() {
    local initdb
    for initdb in /usr/lib/postgresql/*/bin/initdb; do
        [ -x "$initdb" ] && dirname "$initdb"
    done | sort -V | tail -n 1
}

PGBIN="$(find_bindir)"
if [ -z "$PGBIN" ]; then
    echo "test-postgres: no PostgreSQL server found; installing Debian's postgresql package" >&2
    as_root apt-get update -qq
    as_root apt-get install -y -qq postgresql >/dev/null
    PGBIN="$(find_bindir)"
    [ -n "$PGBIN" ] || { echo "test-postgres: postgresql installed but no initdb found" >&2; exit 1; }
fi

# The cluster runs as `postgres` when we are root (the Debian package creates that user), else as ourselves.
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

PGROOT="$(mktemp -d "${TMPDIR:-/tmp}/gongzhi-pg.XXXXXX")"
chmod 0755 "$PGROOT"
[ "$(id -u)" -eq 0 ] && chown postgres: "$PGROOT"
started=0
cleanup() {
    if [ "$started" -eq 1 ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PGROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PGPASS="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
printf '%s\n' "$PGPASS" >"$PGROOT/pwfile"
[ "$(id -u)" -eq 0 ] && chown postgres: "$PGROOT/pwfile"

# Local socket: trust (only the cluster's owner can reach the socket directory); TCP: password (scram).
as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --pwfile="$PGROOT/pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$PGROOT/initdb.log" 2>&1 \
    || { cat "$PGROOT/initdb.log" >&2; exit 1; }
# Durability is pointless for a throwaway test cluster: fsync off makes it several times faster.
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$PGROOT -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" start >/dev/null \
    || { cat "$PGROOT/server.log" >&2; exit 1; }
started=1

as_pg "$PGBIN/psql" -q -v ON_ERROR_STOP=1 -h "$PGROOT" -p "$PORT" -U postgres -d postgres <<SQL
CREATE ROLE gongzhi LOGIN CREATEDB PASSWORD '$PGPASS';
CREATE DATABASE gongzhi OWNER gongzhi;
SQL

export DATABASE_URL="postgres://gongzhi:$PGPASS@127.0.0.1:$PORT/gongzhi"
echo "test-postgres: PostgreSQL $("$PGBIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$PORT" >&2
if [ "$#" -eq 0 ]; then
    set -- -n 2 -m "not browser"
fi
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "test-postgres: pytest exited $status; last lines of the server log:" >&2
    tail -n 20 "$PGROOT/server.log" >&2 || true
fi
exit "$status"
