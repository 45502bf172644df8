# The one build configuration shared by run.sh and test.sh, so that the two commands never
# compile the SDK twice: release profile, `runtime-benchmarks` on (so that
# `cpchain-node benchmark pallet` works on the local node too).
# shellcheck shell=bash

CARGO_FEATURES=(--features runtime-benchmarks)
CARGO_PROFILE=(--release)

build_node() {
	step cargo build "${CARGO_PROFILE[@]}" --locked --workspace --all-targets "${CARGO_FEATURES[@]}"
	[ -x "$CPCHAIN_NODE" ] || die "the build did not produce $CPCHAIN_NODE"
}
