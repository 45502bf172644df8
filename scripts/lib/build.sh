# The one build configuration shared by run.sh and test.sh, so that the two commands never
# compile the SDK twice: release profile, `runtime-benchmarks` on (so that
# `cpchain-node benchmark pallet` works on the local node too) and `try-runtime` on (so that
# every pallet's `try_state` can run against the local chain's state; e2e/tests/try-state).
# Both are test features: a node built for a public network is built without them.
# shellcheck shell=bash

FEATURE_SET=runtime-benchmarks,try-runtime
CARGO_FEATURES=(--features "$FEATURE_SET")
CARGO_PROFILE=(--release)

build_node() {
	step cargo build "${CARGO_PROFILE[@]}" --locked --workspace --all-targets "${CARGO_FEATURES[@]}"
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

# The test build of the node with a byzantine member in it (cargo feature `byzantine`, see
# client/consensus-dpor/src/worker/byzantine.rs), kept apart from the real node: the byzantine
# binary is copied out of the target dir, and the real node is linked again at once, so the
# binary at $CPCHAIN_NODE is never the byzantine one after this returns. Same workspace, same
# targets, one feature more: only the crates above cpchain-consensus-dpor compile again.
BYZANTINE_DIR="$HOME/.cache/cpchain/byzantine"
BYZANTINE_NODE="$BYZANTINE_DIR/cpchain-node-byzantine"
build_byzantine() {
	local rev
	rev="$(git -C "$REPO_ROOT" rev-parse HEAD)$(git -C "$REPO_ROOT" diff --quiet HEAD -- . || echo -dirty)"
	if [ -x "$BYZANTINE_NODE" ] && [ "$(cat "$BYZANTINE_DIR/rev" 2>/dev/null)" = "$rev" ] && [[ "$rev" != *-dirty ]]; then
		log "the byzantine test node of $rev is built: $BYZANTINE_NODE"
		return
	fi
	mkdir -p "$BYZANTINE_DIR"
	log "building the byzantine test node (feature cpchain-node/byzantine)"
	step cargo build "${CARGO_PROFILE[@]}" --locked --workspace --all-targets \
		--features "$FEATURE_SET,cpchain-node/byzantine"
	cp "$CARGO_TARGET_DIR/release/cpchain-node" "$BYZANTINE_NODE"
	echo "$rev" >"$BYZANTINE_DIR/rev"
	# Cargo keeps both builds (the feature is part of each unit's hash) but does not copy a
	# fresh unit's binary out again: remove it so that the real node is linked back.
	rm -f "$CARGO_TARGET_DIR/release/cpchain-node"
	build_node
	assert_not_byzantine
}

# Fails if the node at $CPCHAIN_NODE has the byzantine member compiled in (its environment
# variable's name is in the binary only then).
assert_not_byzantine() {
	! grep -qa CPCHAIN_DPOR_BYZANTINE "$CPCHAIN_NODE" || die "$CPCHAIN_NODE is the byzantine test build"
}
