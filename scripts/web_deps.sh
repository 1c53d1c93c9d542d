#!/usr/bin/env bash
# Installs the web dependencies pinned in web/package-lock.json from the npm registry into
# web/node_modules: socket.io-client for the chat page, swagger-ui-dist for the service's /docs.
# Idempotent: skipped when the lock file has not changed since the last install.  Neither page
# loads anything from a CDN at run time.
set -euo pipefail
cd "$(dirname "$0")/../web"

command -v npm >/dev/null || { echo "npm not found: apt-get install -y nodejs npm" >&2; exit 1; }

stamp=node_modules/.cds-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f node_modules/socket.io-client/dist/socket.io.min.js && -f node_modules/swagger-ui-dist/swagger-ui-bundle.js && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    exit 0
fi
npm ci --no-audit --no-fund --ignore-scripts
test -f node_modules/socket.io-client/dist/socket.io.min.js
test -f node_modules/swagger-ui-dist/swagger-ui-bundle.js
echo "$want" > "$stamp"
