#!/usr/bin/env bash
# Runs every suite, even after one fails, then says which failed.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
run() {
  local name=$1; shift
  printf '\n\033[1m==== %s ====\033[0m\n' "$name"
  "$@" || failed+=("$name")
}
run "Rust tests (unit, integration, CLI; generated TypeScript is current)" make --no-print-directory test-rust
run "OS keyring (gnome-keyring's Secret Service)" make --no-print-directory test-keyring
run "UI type check and unit tests" make --no-print-directory test-ui
run "Browser tests (Chromium, Playwright)" make --no-print-directory test-browser
run "Desktop end-to-end (real app, WebKitWebDriver, Xvfb)" make --no-print-directory test-desktop
echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED suites: ${failed[*]}"
  exit 1
fi
echo "All suites passed."
