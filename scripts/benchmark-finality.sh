#!/usr/bin/env bash
# The finality benchmark (e2e/bench/finality.mjs): a 4-member `local` network on loopback,
# import-to-finality latency (median, p99) and finalised blocks per minute, all members up
# and with one silent member.
#
# usage: scripts/benchmark-finality.sh             # this checkout's node (DPoR)
#        scripts/benchmark-finality.sh --baseline  # also the Aura + GRANDPA baseline: commit
#                                                  # $BASELINE_REV (the last one before DPoR),
#                                                  # built once in its own worktree (shared
#                                                  # target dir; see scripts/lib/build.sh)
# Environment: DURATION, WARMUP (seconds), BASELINE_REV. Prints Markdown rows for
# docs/benchmarks.md.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/build.sh
source "$REPO_ROOT/scripts/lib/build.sh"

"$REPO_ROOT/scripts/setup.sh" --with-js
build_node
LABEL="DPoR" step node "$REPO_ROOT/e2e/bench/finality.mjs"

if [ "${1:-}" = "--baseline" ]; then
	build_baseline
	CPCHAIN_NODE="$BASELINE_NODE" LABEL="Aura + GRANDPA" \
		step node "$REPO_ROOT/e2e/bench/finality.mjs"
fi
