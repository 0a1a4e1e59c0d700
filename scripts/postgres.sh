#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite (and CI).
#
#   eval "$(scripts/postgres.sh start)"   # prints export lines: TREADLE_TEST_POSTGRES_DSN, TREADLE_PG_TMPDIR
#   scripts/postgres.sh stop               # stops the server named by TREADLE_PG_TMPDIR, removes its dir
#
# `start` does nothing when TREADLE_TEST_POSTGRES_DSN is already set. Otherwise it uses Debian's
# PostgreSQL binaries (/usr/lib/postgresql/*/bin; installed with apt-get when missing, or taken
# from TREADLE_PG_BINDIR), makes a data dir under a fresh temp dir, and starts a server that
# listens on 127.0.0.1 only, on a free port, with its unix socket in the temp dir. It never
# touches a server already running on the machine. Only the export lines go to stdout; all
# progress goes to stderr.
set -Eeuo pipefail

log() { echo "postgres.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

MARKER=.treadle-postgres

find_bindir() {
  if [ -n "${TREADLE_PG_BINDIR:-}" ]; then
    [ -x "$TREADLE_PG_BINDIR/initdb" ] || die "TREADLE_PG_BINDIR=$TREADLE_PG_BINDIR has no initdb"
    echo "$TREADLE_PG_BINDIR"
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then
    echo "$found"
  fi
}

install_postgres() {
  log "PostgreSQL binaries not found under /usr/lib/postgresql; installing Debian's postgresql"
  command -v apt-get >/dev/null || die "no /usr/lib/postgresql/*/bin/initdb and no apt-get to install it; set TREADLE_PG_BINDIR or TREADLE_TEST_POSTGRES_DSN"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "installing postgresql needs root (or sudo); set TREADLE_TEST_POSTGRES_DSN instead"
    sudo=(sudo -n)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
    die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    postgresql >&2 || die "apt-get install postgresql failed"
}

free_port() {
  local py
  py=$(command -v python3 || command -v python || true)
  [ -n "$py" ] || die "python3 is needed to pick a free port"
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  if [ -n "${TREADLE_TEST_POSTGRES_DSN:-}" ]; then
    log "TREADLE_TEST_POSTGRES_DSN is already set; not starting a server"
    return 0
  fi
  local bindir
  bindir=$(find_bindir)
  if [ -z "$bindir" ]; then
    install_postgres
    bindir=$(find_bindir)
    [ -n "$bindir" ] || die "postgresql was installed but no /usr/lib/postgresql/*/bin/initdb appeared"
  fi
  log "using $bindir"

  local tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/treadle-pg.XXXXXX")
  touch "$tmp/$MARKER"
  # From here on, a failure removes the temp dir (and stops a server that did start).
  trap 'start_failed "$tmp" "$bindir"' ERR

  # PostgreSQL refuses to run as root: run it as the `postgres` system user then.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      log "creating the postgres system user"
      useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /bin/sh postgres >&2
    fi
    chown -R postgres: "$tmp"
    command -v runuser >/dev/null || die "running as root needs runuser (util-linux) to start PostgreSQL as postgres"
    as=(runuser -u postgres --)
  fi
  chmod 700 "$tmp"

  "${as[@]}" "$bindir/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$tmp/initdb.log" 2>&1 || {
    cat "$tmp/initdb.log" >&2
    false
  }

  local port="" attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if "${as[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 30 -o \
      "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >&2; then
      break
    fi
    log "start on port $port failed (attempt $attempt)"
    port=""
  done
  [ -n "$port" ] || {
    log "PostgreSQL did not start"
    false
  }

  local ready=0 i
  for i in $(seq 1 60); do
    if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; then
      ready=1
      break
    fi
    sleep 0.5
  done
  [ "$ready" -eq 1 ] || {
    log "PostgreSQL on port $port is not ready after 30s"
    false
  }

  "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE treadle_test" >&2

  trap - ERR
  echo "$bindir" >"$tmp/bindir"
  log "PostgreSQL running on 127.0.0.1:$port (data in $tmp)"
  echo "export TREADLE_TEST_POSTGRES_DSN=postgresql://postgres@127.0.0.1:$port/treadle_test"
  echo "export TREADLE_PG_TMPDIR=$tmp"
}

start_failed() {
  local tmp=$1 bindir=$2
  trap - ERR
  if [ -s "$tmp/server.log" ]; then
    log "last lines of the server log:"
    tail -n 20 "$tmp/server.log" >&2 || true
  fi
  stop_dir "$tmp" "$bindir" || true
  die "could not start a throwaway PostgreSQL (binaries: $bindir)"
}

stop_dir() {
  local tmp=$1 bindir=${2:-}
  [ -f "$tmp/$MARKER" ] || die "$tmp is not a directory made by postgres.sh start; not removing it"
  [ -n "$bindir" ] || bindir=$(cat "$tmp/bindir" 2>/dev/null || find_bindir)
  if [ -f "$tmp/data/postmaster.pid" ] && [ -n "$bindir" ]; then
    local as=()
    [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m fast -w -t 30 stop >&2 ||
      log "pg_ctl stop failed"
  fi
  rm -rf "$tmp"
}

stop() {
  local tmp=${1:-${TREADLE_PG_TMPDIR:-}}
  if [ -z "$tmp" ]; then
    log "TREADLE_PG_TMPDIR is not set; nothing to stop"
    return 0
  fi
  [ -d "$tmp" ] || {
    log "$tmp is gone; nothing to stop"
    return 0
  }
  stop_dir "$tmp"
  log "stopped and removed $tmp"
}

case "${1:-}" in
start) start ;;
stop) stop "${2:-}" ;;
*)
  echo "usage: $0 start|stop [TMPDIR]" >&2
  exit 2
  ;;
esac
