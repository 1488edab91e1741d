#!/usr/bin/env bash
# The keyring tests against the real Secret Service (scripts/with-keyring.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/with-keyring.sh sh -c '
  cargo test -q -p truce-secrets --test keyring -- --ignored
  cargo test -q -p truce-cli --test sources_keyring -- --ignored
'
