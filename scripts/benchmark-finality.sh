#!/usr/bin/env bash
# The finality benchmark (e2e/bench/finality.mjs): a 4-member `local` network on loopback,
# import-to-finality latency (median, p99) and finalised blocks per minute, all members up
# and with one silent member.
#
# usage: scripts/benchmark-finality.sh             # this checkout's node (DPoR)
#        scripts/benchmark-finality.sh --baseline  # also the Aura + GRANDPA baseline: the git
#                                                  # tag `aura-grandpa-baseline`, built in its
#                                                  # own worktree and target dir (a full build)
# Environment: DURATION, WARMUP (seconds). Prints Markdown rows for docs/benchmarks.md.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/build.sh
source "$REPO_ROOT/scripts/lib/build.sh"

"$REPO_ROOT/scripts/setup.sh" --with-js
build_node
LABEL="DPoR" step node "$REPO_ROOT/e2e/bench/finality.mjs"

if [ "${1:-}" = "--baseline" ]; then
	baseline="$HOME/.cache/cpchain/baseline"
	if [ ! -d "$baseline/src" ]; then
		git -C "$REPO_ROOT" worktree add --detach "$baseline/src" aura-grandpa-baseline
	fi
	log "building the Aura + GRANDPA baseline (its own target dir: a full build the first time)"
	(cd "$baseline/src" && CARGO_TARGET_DIR="$baseline/target" cargo build --release --locked -p cpchain-node)
	CPCHAIN_NODE="$baseline/target/release/cpchain-node" LABEL="Aura + GRANDPA" \
		step node "$REPO_ROOT/e2e/bench/finality.mjs"
fi
