#!/usr/bin/env bash
# Throwaway PostgreSQL for the tests: loopback only, fsync off, data thrown away on every start.
# Usage: scripts/services/postgres.sh start|resume|stop|status
#   start   ends a leftover instance of its own, throws the old data away, starts empty
#   resume  starts again on the data a `stop` left (the "database came back" case of the fault tests)
#   HANDOFF_TEST_ROOT  parent folder (default /tmp/handoff-test); data in $HANDOFF_TEST_ROOT/pg
#   HANDOFF_PG_PORT    TCP port on 127.0.0.1 (default 55432)
#   HANDOFF_PG_BIN     folder with initdb/pg_ctl (default: /usr/lib/postgresql/15/bin, else the newest installed)
# As root the server runs as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail

ROOT=${HANDOFF_TEST_ROOT:-/tmp/handoff-test}
PORT=${HANDOFF_PG_PORT:-55432}
DATA=$ROOT/pg
SOCK=$ROOT/pgsock

find_bin() {
  if [ -n "${HANDOFF_PG_BIN:-}" ]; then echo "$HANDOFF_PG_BIN"; return; fi
  if [ -x /usr/lib/postgresql/15/bin/initdb ]; then echo /usr/lib/postgresql/15/bin; return; fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then echo "$newest"; return; fi
  echo "postgres.sh: no PostgreSQL server binaries found (install postgresql-15 or postgresql, or set HANDOFF_PG_BIN)" >&2
  exit 1
}
BIN=$(find_bin)

is_root() { [ "$(id -u)" = 0 ]; }
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Stops the instance whose data folder is $DATA (if any), then any leftover of ours still on $PORT.
stop_server() {
  if [ -f "$DATA/postmaster.pid" ]; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
    # pg_ctl failed (e.g. data folder damaged): end the postmaster by its pid
    local pid
    pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -QUIT "$pid" 2>/dev/null || true; sleep 1; fi
  fi
  # A leftover started by this script from another data folder: its command line has our signature.
  local pids
  pids=$(pgrep -f -- "bin/postgres -D .* -p $PORT -k " || true)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill -QUIT $pids 2>/dev/null || true
    for _ in $(seq 1 50); do pgrep -f -- "bin/postgres -D .* -p $PORT -k " >/dev/null || break; sleep 0.1; done
  fi
}

run_server() {
  if ! as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $SOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null; then
    echo "postgres.sh: PostgreSQL did not start; server log:" >&2
    tail -n 30 "$DATA/server.log" >&2 || true
    exit 1
  fi
}

case "${1:-start}" in
start)
  stop_server
  rm -rf "$DATA" "$SOCK"
  # folders that mkdir -p is about to create: they get mode 755 whatever the umask
  created=() d=$ROOT
  while [ ! -e "$d" ]; do created+=("$d"); d=$(dirname "$d"); done
  mkdir -p "$DATA" "$SOCK"
  if is_root; then
    # the postgres user must be able to walk down to the data and socket folders
    [ ${#created[@]} -gt 0 ] && chmod 755 "${created[@]}"
    chmod go+rx "$ROOT"   # adds only: never strips e.g. /tmp's sticky bit
    chown postgres:postgres "$DATA" "$SOCK"
    chmod 700 "$DATA"
    if ! runuser -u postgres -- test -w "$DATA"; then
      echo "postgres.sh: the postgres user cannot reach $DATA; set HANDOFF_TEST_ROOT to a folder it can enter (e.g. under /tmp)" >&2
      exit 1
    fi
  fi
  as_pg "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$ROOT/pg-initdb.log" 2>&1 || {
    echo "postgres.sh: initdb failed:" >&2; cat "$ROOT/pg-initdb.log" >&2; exit 1; }
  run_server
  echo "postgres: ready on 127.0.0.1:$PORT (pid $(head -n 1 "$DATA/postmaster.pid"), data $DATA)"
  ;;
resume)
  [ -f "$DATA/PG_VERSION" ] || { echo "postgres.sh: nothing to resume in $DATA; use start" >&2; exit 1; }
  stop_server
  run_server
  echo "postgres: resumed on 127.0.0.1:$PORT (pid $(head -n 1 "$DATA/postmaster.pid"), data $DATA)"
  ;;
stop)
  stop_server
  echo "postgres: stopped"
  ;;
status)
  if [ -f "$DATA/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    echo "postgres: running on 127.0.0.1:$PORT"
  else
    echo "postgres: not running"; exit 3
  fi
  ;;
*)
  echo "usage: $0 start|resume|stop|status" >&2; exit 2
  ;;
esac
