#!/usr/bin/env bash
# Installs what Truce needs on Debian 12, and only what is missing.
#   setup.sh          build and run the desktop app
#   setup.sh --test   also what the tests need (Chromium, Xvfb, WebKitWebDriver, tauri-driver)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- system packages -------------------------------------------------------------
# libdbus-1-dev: the OS keyring (Secret Service) that keeps hub tokens (crates/truce-secrets).
pkgs=(libwebkit2gtk-4.1-dev libdbus-1-dev build-essential pkg-config curl ca-certificates)
if [ "$want_test" = 1 ]; then
  # postgresql: the hub's tests start a throwaway server of their own (crates/truce-hub/tests).
  # gnome-keyring, dbus-x11, libsecret-tools: a real Secret Service for the keyring tests
  # (scripts/test-keyring.sh), and secret-tool to read back what they stored.
  pkgs+=(xvfb xauth imagemagick xdotool webkit2gtk-driver chromium fonts-dejavu-core postgresql
         gnome-keyring dbus-x11 libsecret-tools)
fi
command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- toolchains ------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
  echo "error: Rust (cargo) is required: install it with rustup, then run this again" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

# --- npm packages (lockfiles pin them) ---------------------------------------------
npm_ci() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm ci in $dir"
    (cd "$dir" && npm ci --no-fund --no-audit --loglevel=error)
  fi
}
npm_ci ui
[ "$want_test" = 1 ] && npm_ci tests

# --- tauri-driver (desktop WebDriver) ------------------------------------------------
if [ "$want_test" = 1 ] && ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  say "cargo install tauri-driver"
  cargo install tauri-driver --locked --version '^2' --quiet
fi
exit 0
