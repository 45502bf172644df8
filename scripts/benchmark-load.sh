#!/usr/bin/env bash
# The load benchmark (e2e/bench/load.mjs): a 4-member `local` network on loopback while 20
# senders submit 8,000 transfers; transfers included and finalised per second, blocks per
# minute, import-to-finality p50/p99 and the members' memory under that load.
#
# usage: scripts/benchmark-load.sh             # this checkout's node (DPoR)
#        scripts/benchmark-load.sh --baseline  # also the Aura + GRANDPA baseline (commit
#                                              # $BASELINE_REV, built once; see
#                                              # scripts/lib/build.sh)
# Environment: SENDERS, TXS, WINDOW, STALL, LOAD_TIMEOUT (see e2e/bench/load.mjs),
# BASELINE_REV. Prints Markdown rows for docs/benchmarks.md.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/build.sh
source "$REPO_ROOT/scripts/lib/build.sh"

"$REPO_ROOT/scripts/setup.sh" --with-js
build_node
LABEL="DPoR" step node "$REPO_ROOT/e2e/bench/load.mjs"

if [ "${1:-}" = "--baseline" ]; then
	build_baseline
	CPCHAIN_NODE="$BASELINE_NODE" LABEL="Aura + GRANDPA" \
		step node "$REPO_ROOT/e2e/bench/load.mjs"
fi
