#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on loopback for the durable workflow tests and prints the
# connection URL and its directory on stdout (stop it with: scripts/postgres-for-tests.sh stop DIR).
# Installs the server from the Debian packages when it is missing. Needs root (the server itself
# runs as the postgres user, since it refuses to run as root). Prints nothing when it cannot
# start one; the Postgres test then skips and says why.
set -euo pipefail
if [ "${1:-}" = "stop" ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  runuser -u postgres -- "$bin/pg_ctl" -D "$2/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$2"
  exit 0
fi
[ "$(id -u)" = "0" ] || { echo "postgres-for-tests: not root, no PostgreSQL started" >&2; exit 0; }
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "postgres-for-tests: installing PostgreSQL from the Debian packages" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2 || { echo "postgres-for-tests: install failed" >&2; exit 0; }
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
port=${POSTGRES_TEST_PORT:-54329}
dir=$(mktemp -d /tmp/pg-tests.XXXXXX)
chown postgres "$dir"
runuser -u postgres -- "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/data/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
echo "postgres://postgres@127.0.0.1:$port/postgres $dir"
