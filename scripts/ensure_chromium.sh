#!/usr/bin/env bash
# Debian's chromium + chromedriver for the browser tests (Playwright's Python package drives
# /usr/bin/chromium; its own browser download is not reachable here).  Idempotent.
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists; an install without them finds nothing.
if ! $SUDO apt-get install -y --no-install-recommends chromium chromium-driver; then
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends chromium chromium-driver
fi
test -x /usr/bin/chromium || { echo "chromium did not install to /usr/bin/chromium" >&2; exit 1; }
/usr/bin/chromium --version
