#!/usr/bin/env bash
# The finality benchmark (e2e/bench/finality.mjs): a 4-member `local` network on loopback,
# import-to-finality latency (median, p99) and finalised blocks per minute, all members up
# and with one silent member.
#
# usage: scripts/benchmark-finality.sh             # this checkout's node (DPoR)
#        scripts/benchmark-finality.sh --baseline  # also the Aura + GRANDPA baseline: commit
#                                                  # $BASELINE_REV (the last one before DPoR),
#                                                  # built in its own worktree (shared target
#                                                  # dir)
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

# The last commit with Aura + GRANDPA (tagged `aura-grandpa-baseline` where it was made; tags
# do not travel with every clone, the commit does).
BASELINE_REV="${BASELINE_REV:-5a12f76e7f5857fe33ae85f4f9683cd56bdd4a40}"

if [ "${1:-}" = "--baseline" ]; then
	# The baseline is built in its own worktree but in the shared target dir: the SDK crates
	# are reused, only the project's crates compile. Its binary is copied aside, then this
	# checkout's node is rebuilt so that the shared dir ends as it started.
	baseline="$HOME/.cache/cpchain/baseline"
	if [ ! -d "$baseline/src" ]; then
		git -C "$REPO_ROOT" worktree add --detach "$baseline/src" "$BASELINE_REV"
	fi
	log "building the Aura + GRANDPA baseline (commit $BASELINE_REV)"
	(cd "$baseline/src" && cargo build "${CARGO_PROFILE[@]}" --locked --workspace --all-targets "${CARGO_FEATURES[@]}")
	cp "$CARGO_TARGET_DIR/release/cpchain-node" "$baseline/cpchain-node"
	build_node
	CPCHAIN_NODE="$baseline/cpchain-node" LABEL="Aura + GRANDPA" \
		step node "$REPO_ROOT/e2e/bench/finality.mjs"
fi
