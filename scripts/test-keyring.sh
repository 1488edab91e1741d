#!/usr/bin/env bash
# The keyring tests against the real Secret Service: gnome-keyring in a D-Bus session of its own,
# with a throwaway data folder (a keyring left by an earlier run with another password would stay
# locked), unlocked with a throwaway password. See ../shared/PLATFORM.md, Keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
XDG_DATA_HOME="$data" dbus-run-session -- sh -c '
  echo -n truce-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cargo test -q -p truce-secrets --test keyring -- --ignored
  cargo test -q -p truce-cli --test sources_keyring -- --ignored
'
