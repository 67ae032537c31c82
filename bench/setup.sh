#!/usr/bin/env bash
# Install what bench/throughput.py needs besides the project itself: Prism 5, pinned by
# bench/package-lock.json (npm ci, into bench/node_modules, git-ignored), and wrk (Debian package).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node and npm are needed for Prism (Node 18 or newer)" >&2
  exit 1
fi
if [ ! -x node_modules/.bin/prism ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
echo "prism $(node_modules/.bin/prism --version)"

if ! command -v wrk >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq wrk
fi
wrk --version 2>&1 | head -1 || true
