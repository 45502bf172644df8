# The one build configuration shared by run.sh and test.sh, so that the two commands never
# compile the SDK twice: release profile, `runtime-benchmarks` on (the pallets' benchmark
# tests run, and scripts/benchmark.sh adds only the `benchmark` subcommand) and
# `try-runtime` on (every pallet's `try_state` runs against the local chain's state,
# e2e/lib/try-state.mjs). Both are test features: a node for a public network goes without.
# shellcheck shell=bash

FEATURE_SET=runtime-benchmarks,try-runtime
CARGO_FEATURES=(--features "$FEATURE_SET")
CARGO_PROFILE=(--release)

# With BUILD_TIMINGS=1 (test.sh) cargo also writes its timing report, whose slowest units
# scripts/lib/timings-top.py prints; earlier reports are removed so that they do not pile up.
build_node() {
	local timings=()
	if [ "${BUILD_TIMINGS:-0}" = 1 ]; then
		timings=(--timings)
		rm -f "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing-*.html
	fi
	step cargo build "${CARGO_PROFILE[@]}" --locked --workspace --all-targets "${CARGO_FEATURES[@]}" "${timings[@]}"
	[ -x "$CPCHAIN_NODE" ] || die "the build did not produce $CPCHAIN_NODE"
	assert_not_byzantine
}

# The last commit with Aura + GRANDPA (tagged `aura-grandpa-baseline` where it was made; tags
# do not travel with every clone, the commit does): the baseline of the benchmarks.
BASELINE_REV="${BASELINE_REV:-5a12f76e7f5857fe33ae85f4f9683cd56bdd4a40}"
BASELINE_NODE="$HOME/.cache/cpchain/baseline/cpchain-node-$BASELINE_REV"

# The project's own packages: cleaned around a baseline build (see build_baseline).
project_packages() {
	cargo metadata --no-deps --format-version 1 --offline --manifest-path "$REPO_ROOT/Cargo.toml" |
		python3 -c 'import json, sys; print(" ".join("-p " + p["name"] for p in json.load(sys.stdin)["packages"]))'
}

# Builds the baseline's node once (kept as $BASELINE_NODE). It is built in its own worktree
# but in the shared target dir: the SDK crates are reused, only the project's crates compile.
# Cargo names a workspace crate's artifacts by its path relative to the workspace, the same
# in both checkouts, and judges them fresh by modification times; so the project's packages
# are cleaned before the baseline build and after it (or each build would link the other's
# crates), and this checkout's node is rebuilt, so that the shared dir ends as it started.
build_baseline() {
	if [ -x "$BASELINE_NODE" ]; then
		log "the Aura + GRANDPA baseline is built: $BASELINE_NODE"
		return
	fi
	local src="$HOME/.cache/cpchain/baseline/src"
	if [ ! -d "$src" ]; then
		git -C "$REPO_ROOT" worktree add --detach "$src" "$BASELINE_REV"
	fi
	git -C "$src" checkout --detach --quiet "$BASELINE_REV"
	local packages
	read -r -a packages <<<"$(project_packages)"
	log "building the Aura + GRANDPA baseline (commit $BASELINE_REV)"
	cargo clean "${CARGO_PROFILE[@]}" --offline --manifest-path "$REPO_ROOT/Cargo.toml" "${packages[@]}"
	(cd "$src" && step cargo build "${CARGO_PROFILE[@]}" --locked --workspace --all-targets "${CARGO_FEATURES[@]}")
	cp "$CARGO_TARGET_DIR/release/cpchain-node" "$BASELINE_NODE"
	cargo clean "${CARGO_PROFILE[@]}" --offline --manifest-path "$REPO_ROOT/Cargo.toml" "${packages[@]}"
	build_node
}

# Builds a variant of the node with the cargo features `$2` and keeps its binary apart, as
# $HOME/.cache/cpchain/<name>/cpchain-node-<name>, rebuilt only when the commit changed (or the
# tree is dirty): same workspace, same targets, so only the crates that the feature touches
# compile again. The real node is linked again at once, so the binary at $CPCHAIN_NODE is
# never the variant after this returns.
build_variant() {
	local name="$1" features="$2" rev dir
	dir="$HOME/.cache/cpchain/$name"
	rev="$(git -C "$REPO_ROOT" rev-parse HEAD)$(git -C "$REPO_ROOT" diff --quiet HEAD -- . || echo -dirty)"
	if [ -x "$dir/cpchain-node-$name" ] && [ "$(cat "$dir/rev" 2>/dev/null)" = "$rev" ] && [[ "$rev" != *-dirty ]]; then
		log "the $name node of $rev is built: $dir/cpchain-node-$name"
		return
	fi
	mkdir -p "$dir"
	log "building the $name node (features $features)"
	step cargo build "${CARGO_PROFILE[@]}" --locked --workspace --all-targets --features "$features"
	cp "$CARGO_TARGET_DIR/release/cpchain-node" "$dir/cpchain-node-$name"
	echo "$rev" >"$dir/rev"
	# Cargo keeps both builds (the feature is part of each unit's hash) but does not copy a
	# fresh unit's binary out again: remove it so that the real node is linked back.
	rm -f "$CARGO_TARGET_DIR/release/cpchain-node"
	build_node
}

# The test build of the node with a byzantine member in it (cargo feature `byzantine`, see
# client/consensus-dpor/src/worker/byzantine.rs).
BYZANTINE_DIR="$HOME/.cache/cpchain/byzantine"
BYZANTINE_NODE="$BYZANTINE_DIR/cpchain-node-byzantine"
build_byzantine() {
	build_variant byzantine "$FEATURE_SET,cpchain-node/byzantine"
	assert_not_byzantine
}

# The node with the `benchmark` subcommand (cargo feature `benchmark-cli`): frame-benchmarking-cli
# is built only for it, by scripts/benchmark.sh. Without `try-runtime`: frame-benchmarking-cli
# brings pallet-staking 50 (through cumulus' storage-access test runtime), which does not
# forward `try-runtime` to pallet-session 50, and with pallet-session's `try-runtime` on (our
# runtime turns it on) pallet-staking does not compile (`peek_disabled` missing).
BENCHMARK_NODE="$HOME/.cache/cpchain/benchmark/cpchain-node-benchmark"
build_benchmark() {
	# frame-benchmarking-cli's `benchmark storage` runtime: its wasm build panics here (the
	# wasm builder does not find that optional crate in the workspace's metadata), and only
	# `benchmark storage`, which the project does not run, needs it (docs/benchmarks.md).
	SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1 build_variant benchmark runtime-benchmarks,cpchain-node/benchmark-cli
}

# Fails if the node at $CPCHAIN_NODE has the byzantine member compiled in (its environment
# variable's name is in the binary only then).
assert_not_byzantine() {
	! grep -qa CPCHAIN_DPOR_BYZANTINE "$CPCHAIN_NODE" || die "$CPCHAIN_NODE is the byzantine test build"
}
