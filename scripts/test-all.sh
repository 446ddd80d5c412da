#!/usr/bin/env bash
# The README's test command: sets up what the tests need on a fresh Debian
# machine (Debian packages, a Docker engine, the offline images, the site),
# then runs every suite: unit, site, integration (real Docker), e2e (real
# Chromium), and finally the lesson runner over every runnable snippet, in
# both of its modes (tools/lesson-runner/main.ts says why both), and over
# every challenge (tools/lesson-runner/challenges.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "system packages";  bash scripts/install-system-deps.sh
step "docker engine";    bash scripts/ensure-docker.sh
step "lesson images";    bash scripts/build-images.sh
step "site build";       npm run build
step "type check";      npm run typecheck

step "unit, site, integration and browser tests"
# One runner invocation so the summary counts everything; files run one at a
# time because integration and e2e suites share one Docker engine.
node --test --test-concurrency=1 \
  'src/**/*.test.ts' 'lab-server/src/**/*.test.ts' 'tools/**/*.test.ts' 'tests/support/*.test.ts' \
  'tests/site/*.test.ts' 'tests/integration/*.test.ts' 'tests/e2e/*.test.ts'

# Every mode always runs, so one failing does not hide what another finds.
lessons=0
step "every runnable snippet of every lesson, each lesson in a fresh sandbox"
npm run test:lessons || lessons=1
step "the whole course in one sandbox, every lesson in sidebar order"
npm run test:course || lessons=1
step "every challenge both ways: its check fails on a fresh sandbox, passes after its solution"
npm run test:challenges || lessons=1
exit "$lessons"
