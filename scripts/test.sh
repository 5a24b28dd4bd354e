#!/usr/bin/env bash
# npm test: services up, then typecheck, lint, layer rules, and every test on real PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
echo "== typecheck" && npx tsc --noEmit
echo "== lint" && npx eslint . --max-warnings=0
echo "== layers" && npx tsx scripts/check-layers.ts
echo "== tests" && npx vitest run "$@"
