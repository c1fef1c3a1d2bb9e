#!/usr/bin/env bash
# The whole suite, as the README and CI run it: system packages the real-peer tests need,
# type check, lint, then every vitest file. Prints how long each phase took.
set -uo pipefail
cd "$(dirname "$0")/.."
phase() { local name=$1; shift; local t0=$SECONDS; echo "== phase: $name"; "$@"; local rc=$?; echo "== phase: $name took $((SECONDS - t0)) s (exit $rc)"; return $rc; }

phase "system packages" bash scripts/install-test-deps.sh || exit 1
phase "typecheck" npx tsc -p tsconfig.json --noEmit || exit 1
# eslint, then the import rules (dependency-cruiser, docs/architecture.md "Rules").
phase "lint" npm run lint || exit 1
phase "vitest" npx vitest run "$@"
