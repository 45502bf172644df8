#!/usr/bin/env bash
# Regenerates the runtime weights of the CPChain pallets with frame-benchmarking (v2
# benchmarks in pallets/*/src/benchmarking.rs), run on this machine by the release node built
# with the `benchmark` subcommand (feature cpchain-node/benchmark-cli, scripts/lib/build.sh).
#
# usage: scripts/benchmark.sh [pallet ...]     default: every CPChain pallet
# Environment: STEPS (default 50), REPEAT (default 20).
#
# Output: runtime/src/weights/<pallet>.rs, which the runtime's configs use. Run it on an
# otherwise idle machine: the weights are the measured times, so a busy machine inflates
# them. Record the machine and date in docs/benchmarks.md.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/build.sh
source "$REPO_ROOT/scripts/lib/build.sh"

STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
pallets=("$@")
[ ${#pallets[@]} -gt 0 ] || pallets=(pallet_reputation pallet_committee pallet_dpor pallet_data_registry pallet_access_control)

"$REPO_ROOT/scripts/setup.sh"
build_benchmark
mkdir -p "$REPO_ROOT/runtime/src/weights"
for pallet in "${pallets[@]}"; do
	step "$BENCHMARK_NODE" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--header "$REPO_ROOT/scripts/lib/weights-header.txt" \
		--output "$REPO_ROOT/runtime/src/weights/$pallet.rs"
done
log "weights written to runtime/src/weights/; run cargo fmt --all before committing"
