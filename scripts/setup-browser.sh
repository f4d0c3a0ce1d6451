#!/usr/bin/env bash
# Makes sure Debian's Chromium is present for the dashboard test (headless, driven by playwright-core; no
# browser download). Installs it with apt when running as root (CI, fresh machines); otherwise says how.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: installing Debian's chromium (once)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
  exit 0
fi
echo "setup-browser: $browser not found. Install Chromium (Debian: sudo apt-get install chromium) or set CHROMIUM_PATH." >&2
exit 1
