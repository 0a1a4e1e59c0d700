#!/usr/bin/env bash
# Debian's Chromium for the Studio's browser tests (Playwright drives it; it never downloads one).
#
#   scripts/chromium.sh        # prints the path of the chromium binary, installing it if missing
#
# When /usr/bin/chromium (or $TREADLE_CHROMIUM) is missing, installs Debian's `chromium` package
# with apt-get (as root, or with sudo). Fails loudly when that cannot be done. Only the path goes
# to stdout; progress goes to stderr.
set -Eeuo pipefail

log() { echo "chromium.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

BINARY="${TREADLE_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$BINARY" ]; then
  echo "$BINARY"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  die "$BINARY is missing and installing it needs root (no sudo here): run 'apt-get install -y chromium' as root"
fi
command -v apt-get >/dev/null 2>&1 || die "$BINARY is missing and apt-get is not available (not Debian/Ubuntu?)"

log "installing Debian's chromium package (apt-get)"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update >&2 || die "apt-get update failed"
"${SUDO[@]}" apt-get install -y --no-install-recommends chromium >&2 || die "apt-get install chromium failed"

[ -x "$BINARY" ] || die "chromium was installed but $BINARY is still missing"
log "installed: $("$BINARY" --version 2>/dev/null || echo unknown version)"
echo "$BINARY"
