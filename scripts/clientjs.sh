#!/usr/bin/env bash
# Install the Node packages of the @mastra/client-js compatibility test (tests/clientjs) from the
# npm registry, exactly as locked; a Node 22 comes from the npm `node` package (the client needs it).
set -euo pipefail
cd "$(dirname "$0")/../tests/clientjs"
stamp=node_modules/.treadle-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
node_modules/.bin/node --version >/dev/null
