#!/usr/bin/env bash
# Every test of the project, from a fresh machine: installs what is missing, then
#   1. formatting (rustfmt) and lints (clippy, warnings are errors),
#   2. the release build of the workspace (node, runtime, tests) with one feature set,
#   3. unit and integration tests (cargo test),
#   4. end-to-end tests: @polkadot/api against a real `cpchain-node --dev` over JSON-RPC,
#   5. the zombienet smoke test: four validators on loopback (native provider).
# Each stage prints its duration. Set SKIP_ZOMBIENET=1 to leave out stage 5 locally.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/build.sh
source "$REPO_ROOT/scripts/lib/build.sh"
cd "$REPO_ROOT"

total_start=$SECONDS
step "$REPO_ROOT/scripts/setup.sh" --with-js

step cargo fmt --all -- --check
for f in scripts/*.sh scripts/lib/*.sh .ci/run; do bash -n "$f" || die "syntax error in $f"; done

build_node
step cargo clippy "${CARGO_PROFILE[@]}" --locked --workspace --all-targets "${CARGO_FEATURES[@]}" -- -D warnings
step cargo test "${CARGO_PROFILE[@]}" --locked --workspace "${CARGO_FEATURES[@]}"

log "end-to-end tests against $CPCHAIN_NODE"
(cd e2e && step npm test)

if [ "${SKIP_ZOMBIENET:-0}" != 1 ]; then
	step "$REPO_ROOT/zombienet/run.sh" test smoke
fi

log "all tests passed in $((SECONDS - total_start)) s"
