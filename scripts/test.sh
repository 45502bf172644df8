#!/usr/bin/env bash
# Every test of the project, from a fresh machine: installs what is missing, then
#   1. formatting (rustfmt) and lints (clippy, warnings are errors),
#   2. the release build of the workspace (node, runtime, tests) with one feature set,
#   3. unit and integration tests (cargo test),
#   4. end-to-end tests with @polkadot/api against the built node (`--dev --tmp` on free ports)
#      and against the local IPFS daemon (e2e/),
#   5. zombienet: the 4-member local testnet connects, produces and finalises blocks and
#      changes terms (zombienet/smoke.zndsl); then DPoR under faults: one member down, two
#      down, both back, a follower syncing from genesis (zombienet/faults.zndsl).
# Each stage prints its duration.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/build.sh
source "$REPO_ROOT/scripts/lib/build.sh"
cd "$REPO_ROOT"

total_start=$SECONDS
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT

# Runs a stage with `step`, keeping a copy of its output in $logs/<name>.log for the summary.
counted() {
	local name="$1"
	shift
	step "$@" 2>&1 | tee "$logs/$name.log"
}

# Sums the numbers that follow `pattern` (a sed regex with one group) in a stage's log.
count() {
	sed -n "s/$2/\1/p" "$logs/$1.log" | awk '{ sum += $1 } END { print sum + 0 }'
}

step "$REPO_ROOT/scripts/setup.sh" --with-js

step cargo fmt --all -- --check
for f in scripts/*.sh scripts/lib/*.sh .ci/run; do bash -n "$f" || die "syntax error in $f"; done
for f in e2e/lib/*.mjs e2e/tests/*.mjs e2e/bench/*.mjs zombienet/checks/*.js scripts/ipfs/*.cjs; do
	node --check "$f" || die "syntax error in $f"
done

build_node
step cargo clippy "${CARGO_PROFILE[@]}" --locked --workspace --all-targets "${CARGO_FEATURES[@]}" -- -D warnings
counted cargo cargo test "${CARGO_PROFILE[@]}" --locked --workspace "${CARGO_FEATURES[@]}"

counted e2e npm --prefix "$REPO_ROOT/e2e" test
counted zombienet "$REPO_ROOT/scripts/zombienet.sh" test smoke.zndsl
counted zombienet-faults "$REPO_ROOT/scripts/zombienet.sh" test faults.zndsl

cargo_tests=$(count cargo '^test result: ok\. \([0-9]*\) passed.*')
e2e_tests=$(count e2e '^# pass \([0-9]*\)$')
zombienet_checks=$(cat "$logs/zombienet.log" "$logs/zombienet-faults.log" | grep -c '✅' || true)
[ "$cargo_tests" -gt 0 ] && [ "$e2e_tests" -gt 0 ] && [ "$zombienet_checks" -gt 0 ] ||
	die "a test stage ran no tests (cargo $cargo_tests, e2e $e2e_tests, zombienet $zombienet_checks)"
log "tests run: $cargo_tests Rust tests, $e2e_tests end-to-end tests, $zombienet_checks zombienet assertions"
log "all tests passed in $((SECONDS - total_start)) s"
