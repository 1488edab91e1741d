#!/usr/bin/env bash
# A local PostgreSQL for the team hub, for development, demos and benchmarks (the hub's tests start
# their own). Debian's package; the cluster lives in a folder of its own, on loopback.
#   scripts/hub-postgres.sh start [DIR] [PORT]   prints the database URL to give `truce-hub serve`
#   scripts/hub-postgres.sh stop  [DIR]
set -euo pipefail
cmd=${1:-start}
# As root the server runs as `postgres`, which cannot enter root's home: a folder it can reach.
if [ "$(id -u)" = 0 ]; then default_dir=/var/tmp/truce-hub-postgres; else default_dir=${XDG_DATA_HOME:-$HOME/.local/share}/truce/hub-postgres; fi
dir=${2:-$default_dir}
port=${3:-54329}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "==> installing PostgreSQL (Debian's postgresql package)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

# initdb refuses to run as root: as root, the cluster belongs to the `postgres` user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "'$bin/initdb' -D '$dir/data' -A trust -U truce >/dev/null"
    fi
    if ! as_owner "'$bin/pg_ctl' -D '$dir/data' status" >/dev/null 2>&1; then
      as_owner "'$bin/pg_ctl' -D '$dir/data' -o '-p $port -k $dir -c listen_addresses=127.0.0.1' -l '$dir/log' -w start" >/dev/null
    fi
    as_owner "'$bin/psql' -h 127.0.0.1 -p $port -U truce -d postgres -tAc \"SELECT 1 FROM pg_database WHERE datname = 'truce'\"" | grep -q 1 \
      || as_owner "'$bin/createdb' -h 127.0.0.1 -p $port -U truce truce"
    echo "postgres://truce@127.0.0.1:$port/truce"
    ;;
  stop)
    as_owner "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null
    echo "stopped the PostgreSQL in $dir"
    ;;
  *)
    echo "usage: $0 start|stop [DIR] [PORT]" >&2
    exit 2
    ;;
esac
