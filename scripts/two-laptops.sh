#!/usr/bin/env bash
# Two laptops, one hub, on this machine: a local PostgreSQL, `truce-hub serve`, and two app windows
# side by side under Xvfb (two workspaces: alice's demo and bob's copy joined from the hub), each
# with its device token in a throwaway gnome-keyring. Alice's laptop (the admin's, which seeds the
# hub with the demo's history, approvals included) schedules an item and syncs; bob's window syncs
# on its own within a minute and shows it on its board. Writes tests/out/screenshots/two-laptops-*.png.
# Needs `make build` (and `scripts/setup.sh --test`).
#   bash scripts/two-laptops.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=${CARGO_TARGET_DIR:-$root/target}/debug
shots=$root/tests/out/screenshots
mkdir -p "$shots"
work=$(mktemp -d)
# As root the PostgreSQL server runs as `postgres`, which must reach its folder inside.
chmod 755 "$work"
pg=$(bash scripts/hub-postgres.sh start "$work/pg" 55439)
hub_port=7979
export TRUCE_HUB_DATABASE=$pg
"$bin/truce-hub" serve --listen 127.0.0.1:$hub_port >"$work/hub.log" 2>&1 &
hub_pid=$!
cleanup() { kill $hub_pid 2>/dev/null || true; pkill -f "Xvfb :97" 2>/dev/null || true; bash scripts/hub-postgres.sh stop "$work/pg" >/dev/null 2>&1 || true; }
trap cleanup EXIT
sleep 1
export XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME"
dbus-run-session -- bash -s "$bin" "$work" "$hub_port" "$shots" <<'INNER'
set -euo pipefail
bin=$1 work=$2 port=$3 shots=$4
echo -n two-laptops | gnome-keyring-daemon --unlock --components=secrets >/dev/null
hub=http://127.0.0.1:$port
a=$work/alice.truce b=$work/bob.truce
"$bin/truce" --workspace "$a" demo >/dev/null
"$bin/truce" --workspace "$a" hub connect "$hub" >/dev/null
read -r ws dev_a < <("$bin/truce" --workspace "$a" hub status | sed -n 's/^workspace \(.*\), this laptop.s device \(.*\)$/\1 \2/p')
dev_b=$("$bin/truce" --workspace "$b" hub status | sed -n "s/^workspace .*, this laptop.s device \(.*\)$/\1/p")
token_a=$("$bin/truce-hub" device-add --workspace "$ws" --device "$dev_a" --person "Sam Sec (seeded the workspace)" --role admin | tail -1 | awk '{print $NF}')
token_b=$("$bin/truce-hub" device-add --workspace "$ws" --device "$dev_b" --person "Dana Ops" --role ops | tail -1 | awk '{print $NF}')
"$bin/truce" --workspace "$a" hub login --token "$token_a"
"$bin/truce" --workspace "$a" hub sync
"$bin/truce" --workspace "$b" hub join "$hub" --workspace-id "$ws" --token "$token_b"
"$bin/truce" --workspace "$b" hub login --token "$token_b"
Xvfb :97 -screen 0 2560x1000x24 >/dev/null 2>&1 &
sleep 1
export DISPLAY=:97
"$bin/truce-app" --workspace "$a" >"$work/app-a.log" 2>&1 &
sleep 4
"$bin/truce-app" --workspace "$b" >"$work/app-b.log" 2>&1 &
sleep 4
ids=($(xdotool search --onlyvisible --name "Truce" || true))
xdotool windowsize "${ids[0]}" 1280 1000 windowmove "${ids[0]}" 0 0
xdotool windowsize "${ids[1]}" 1280 1000 windowmove "${ids[1]}" 1280 0
sleep 2
import -window root "$shots/two-laptops-before.png"
echo "windows: ${ids[*]}; workspace $ws"
# Alice (the first window's laptop) schedules SMB signing on next Tuesday's Linux window, and syncs.
item=$("$bin/truce" --workspace "$a" items list --json | python3 -c "import json,sys; print(next(i['id'] for i in json.load(sys.stdin) if i['title'].startswith('SMB Signing')))")
window=$("$bin/truce" --workspace "$a" windows list | awk '/Weekly Linux patching/ {print $1}')
# The Linux window opens Tuesdays at 22:00 in Berlin: next week's (the board's Next shows it).
start=$(python3 -c "
import datetime as d, zoneinfo as z
berlin = z.ZoneInfo('Europe/Berlin'); today = d.datetime.now(berlin).date()
tue = today + d.timedelta(days=8 - today.weekday())
print(d.datetime.combine(tue, d.time(22), berlin).astimezone(d.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))")
"$bin/truce" --workspace "$a" schedule "$item" --window "$window" --start "$start" --confirm --reason "agreed with ops"
"$bin/truce" --workspace "$a" hub sync
# Both windows on the board, next week (coordinates of 1280-wide windows side by side).
xdotool mousemove 328 60 click 1 mousemove 1615 60 click 1
sleep 2
xdotool mousemove 382 106 click 1 mousemove 1662 106 click 1
sleep 2
import -window root "$shots/two-laptops-scheduled.png"
# Bob's app syncs on its own, every minute; the board reloads in place.
sleep "${WAIT:-70}"
import -window root "$shots/two-laptops-synced.png"
echo "screenshots: $shots/two-laptops-scheduled.png, $shots/two-laptops-synced.png"
INNER
