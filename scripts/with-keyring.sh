#!/usr/bin/env bash
# Runs a command with a real Secret Service: gnome-keyring in a D-Bus session of its own, with a
# throwaway data folder (a keyring left by an earlier run with another password would stay
# locked), unlocked with a throwaway password. See ../shared/PLATFORM.md, Keyring.
set -euo pipefail
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
XDG_DATA_HOME="$data" dbus-run-session -- sh -c '
  echo -n truce-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"
' sh "$@"
