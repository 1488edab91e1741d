#!/usr/bin/env bash
# A new laptop joining a big workspace through the hub, timed as the person waits for it: the whole
# `truce hub join` command, with its peak memory, from the hub's snapshot and (A/B, same run) by
# replaying every operation. Issue 13's floor: 1,000,000 findings and 10,000 items in at most 30 s
# and 300 MB.
#   scripts/bench-join.sh [FINDINGS] [ITEMS]      (release binaries: cargo build --release
#                                                  -p truce-bench -p truce-cli -p truce-hub)
# The admin's workspace comes from bench-board-workspace (findings on 20,000 assets, items,
# weekly windows, 2,000 items placed); the admin syncs it to the hub and gives a snapshot
# (`truce hub snapshot`, timed too); an ops laptop proposes 100 items after it, so the joiner
# also pulls a tail. Set BENCH_REPLAY=0 to skip the replaying laptop.
set -euo pipefail
findings=${1:-1000000}
items=${2:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/target/release
dir=${BENCH_DIR:-/var/tmp/truce-bench-join}
port=${BENCH_HUB_PORT:-7979}
hub=http://127.0.0.1:$port
rm -rf "$dir" && mkdir -p "$dir"

db=$("$root/scripts/hub-postgres.sh" start /var/tmp/truce-bench-join-pg 54333)
# A fresh database each run.
psql_url=${db%/truce}/postgres
/usr/lib/postgresql/*/bin/psql "$psql_url" -qc "DROP DATABASE IF EXISTS truce_join" \
  -c "CREATE DATABASE truce_join" >/dev/null
db=${db%/truce}/truce_join

"$bin/truce-hub" serve --database "$db" --listen "127.0.0.1:$port" >"$dir/hub.log" 2>&1 &
hub_pid=$!
trap 'kill $hub_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "$hub/v1/health" >/dev/null && break; sleep 0.2; done

ids() { "$bin/truce" --workspace "$1" hub status | sed -n 's/^workspace \([^,]*\), this laptop.s device \(.*\)$/\1 \2/p'; }
let_in() { "$bin/truce-hub" device-add --database "$db" --workspace "$1" --device "$2" --person "$3" --role "$4"; }
measure() { /usr/bin/time -f "%e s, peak %M KB" "$@"; }

echo "== the admin's workspace: $findings findings, $items items"
measure "$bin/bench-board-workspace" --out "$dir/admin.truce" --findings "$findings" --items "$items" >/dev/null
"$bin/truce" --workspace "$dir/admin.truce" hub connect "$hub" >/dev/null
read -r ws admin_device < <(ids "$dir/admin.truce")
admin=$(let_in "$ws" "$admin_device" "Ada Admin" admin)
echo "== the admin syncs and gives a snapshot"
TRUCE_HUB_TOKEN=$admin measure "$bin/truce" --workspace "$dir/admin.truce" hub snapshot
ls -l "$dir/admin.truce" | awk '{print "admin workspace: " $5 " bytes"}'

echo "== an ops laptop proposes 100 items after the snapshot"
read -r _ ops_device < <(ids "$dir/ops.truce")
ops=$(let_in "$ws" "$ops_device" "Otto Ops" ops)
TRUCE_HUB_TOKEN=$ops "$bin/truce" --workspace "$dir/ops.truce" hub join "$hub" --workspace-id "$ws" >/dev/null
for i in $(seq -f "%05g" 0 99); do
  echo "bench-i-$i"
done >"$dir/items.txt"
while read -r item; do
  "$bin/truce" --workspace "$dir/ops.truce" items transition "$item" proposed --reason "proposed by ops after the snapshot" >/dev/null
done <"$dir/items.txt"
TRUCE_HUB_TOKEN=$ops "$bin/truce" --workspace "$dir/ops.truce" hub sync

echo "== a new laptop joins from the snapshot"
read -r _ new_device < <(ids "$dir/new.truce")
new=$(let_in "$ws" "$new_device" "Nora New" security)
TRUCE_HUB_TOKEN=$new measure "$bin/truce" --workspace "$dir/new.truce" hub join "$hub" --workspace-id "$ws"
"$bin/truce" --workspace "$dir/new.truce" hub status | head -1

if [ "${BENCH_REPLAY:-1}" != 0 ]; then
  echo "== a new laptop joins by replaying every operation"
  read -r _ re_device < <(ids "$dir/replay.truce")
  re=$(let_in "$ws" "$re_device" "Rita Replay" security)
  TRUCE_HUB_TOKEN=$re measure "$bin/truce" --workspace "$dir/replay.truce" hub join "$hub" --workspace-id "$ws" --replay
fi
