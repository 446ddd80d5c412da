#!/usr/bin/env bash
# `npm start`: site and labs on one machine, from a fresh clone.
#   1. a Docker engine (scripts/ensure-docker.sh: use one, or install/start one as root)
#   2. the offline images and the mirror (the host tools from
#      scripts/install-system-deps.sh, then scripts/build-images.sh; idempotent,
#      so an up-to-date machine only checks labels)
#   3. the site (npm run build)
#   4. the lab server serving both at http://localhost:${PORT:-4321}
# Skip steps with LAB_SKIP_IMAGES=1 / LAB_SKIP_BUILD=1 (e.g. when iterating on the server).
# Every LAB_* variable of lab-server/src/config.ts passes through to the server.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# npm puts node_modules/.bin first on PATH; when run as plain `bash scripts/start.sh`
# make sure we still get the Node 24 the project depends on.
NODE="$ROOT/node_modules/.bin/node"
if [ ! -x "$NODE" ]; then
  echo "node_modules is missing: run npm ci (or npm install) first" >&2
  exit 1
fi
export PATH="$ROOT/node_modules/.bin:$PATH"

step "Docker engine"
bash scripts/ensure-docker.sh

if [ "${LAB_SKIP_IMAGES:-0}" != 1 ]; then
  step "images (first run builds everything offline: a few minutes)"
  # The base image is debootstrapped: on a fresh machine, get the tools first.
  bash scripts/install-system-deps.sh images
  bash scripts/build-images.sh
fi

if [ "${LAB_SKIP_BUILD:-0}" != 1 ]; then
  step "site"
  npm run --silent build
fi

step "lab server on http://localhost:${PORT:-4321}"
exec "$NODE" lab-server/src/main.ts
