#!/usr/bin/env bash
# A throw-away PostgreSQL server on 127.0.0.1 for the tests (Debian packages, no Docker).
#
#   eval "$(.ci/postgres.sh start)"   # installs if needed, starts it, prints `export LAB_TEST_PG_URL=...`
#   .ci/postgres.sh stop              # stops it and deletes its data
#
# It is a cluster of its own ("labtest", port 5433), so a PostgreSQL already on the machine is
# left alone. Durability and autovacuum are off: it holds short-lived test data only (and an
# autovacuum worker in a test's database would hold up dropping it).
# Needs root (CI) or password-less sudo. Anything that goes wrong prints a warning on stderr and
# no URL, and the PostgreSQL variants of the tests skip with a message.
set -euo pipefail

CLUSTER=labtest
PORT="${LAB_PG_PORT:-5433}"
ROLE=lab
PASSWORD=lab
DATABASE=lab_test

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }
warn() { echo "warning: $*; PostgreSQL tests will be skipped" >&2; }

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1; }

install() {
  [ -n "$(pg_version)" ] && command -v pg_createcluster >/dev/null && return 0
  command -v apt-get >/dev/null || { warn "no apt-get to install postgresql"; return 1; }
  as_root apt-get update -qq >&2 \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 \
    || { warn "could not install postgresql"; return 1; }
}

start() {
  install || return 0
  local version
  version="$(pg_version)"
  if ! pg_lsclusters -h | awk '{print $2}' | grep -qx "$CLUSTER"; then
    as_root pg_createcluster "$version" "$CLUSTER" --port "$PORT" --start-conf manual \
      -o fsync=off -o full_page_writes=off -o synchronous_commit=off -o max_connections=200 \
      -o autovacuum=off >&2 \
      || { warn "pg_createcluster failed"; return 0; }
    # Loopback only. A conf.d file, because pg_createcluster -o and pg_conftool leave an
    # address unquoted, which postgresql.conf cannot parse.
    echo "listen_addresses = '127.0.0.1'" \
      | as_root tee "/etc/postgresql/$version/$CLUSTER/conf.d/loopback.conf" >/dev/null
  fi
  as_root pg_ctlcluster "$version" "$CLUSTER" start >&2 2>/dev/null || true
  if ! pg_lsclusters -h | awk -v c="$CLUSTER" '$2 == c {print $4}' | grep -qx online; then
    warn "cluster $CLUSTER did not start"
    return 0
  fi
  # CREATEDB: the test fixtures create and drop one database per test; pg_signal_backend lets
  # DROP DATABASE ... WITH (FORCE) end connections a test left behind.
  as_postgres psql -q -p "$PORT" -v ON_ERROR_STOP=1 >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
  END IF;
END \$\$;
GRANT pg_signal_backend TO $ROLE;
SQL
  if ! as_postgres psql -p "$PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" \
    | grep -q 1; then
    as_postgres createdb -p "$PORT" -O "$ROLE" "$DATABASE" >&2
  fi
  echo "export LAB_TEST_PG_URL=postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
}

stop() {
  local version
  version="$(pg_version)"
  [ -n "$version" ] || return 0
  if pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$CLUSTER"; then
    as_root pg_dropcluster --stop "$version" "$CLUSTER" >&2
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
