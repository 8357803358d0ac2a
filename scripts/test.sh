#!/usr/bin/env bash
# The whole test suite: type check, lint, format check, the JSR publish dry
# run, then the unit tests on Node, Deno and Bun (one test source), then the
# end-to-end tests (real processes on every runtime, and the npm package as a
# TypeScript user installs it), run from Node.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 RUST_BACKTRACE=0
bin=node_modules/.bin
step() { printf '\n== %s\n' "$*"; }

step "type check (tsc)"
"$bin/tsc" -p .
step "lint and format (deno)"
"$bin/deno" lint --quiet
"$bin/deno" fmt --check --quiet
step "JSR package check (deno publish --dry-run: no slow types)"
# --allow-dirty: check the tree as it is, committed or not (this only simulates a publish).
"$bin/deno" publish --dry-run --allow-dirty --quiet
step "build"
node scripts/build.mjs
rm -rf dist-test
"$bin/esbuild" $(find tests -name '*_test.ts' | sort) --bundle --platform=node --format=esm --target=node20 \
  --packages=external --outdir=dist-test --out-extension:.js=.mjs --log-level=warning

step "unit tests on node"
node --test --test-reporter=dot dist-test/unit/
step "unit tests on deno"
# --allow-write: the file store's tests build trees with links in the temporary folder, and
# Deno.symlink takes only unscoped write permission.
"$bin/deno" test --quiet --allow-net=127.0.0.1 --allow-env --allow-read --allow-write --allow-sys \
  tests/unit/
step "unit tests on bun"
# No per-test time limit of 5 s: a loaded machine takes longer, and a test is not a timer.
"$bin/bun" test --timeout 300000 tests/unit/
step "end-to-end tests (real processes, every runtime)"
node --test --test-concurrency=1 dist-test/e2e/
