# Shared helpers of the project's scripts. Source it; do not run it.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export REPO_ROOT
# One build directory for every build on this machine, so rebuilds are incremental.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/cpchain/target}"
# Where run.sh keeps the chain and IPFS data across restarts.
export CPCHAIN_DATA_DIR="${CPCHAIN_DATA_DIR:-$REPO_ROOT/.data}"
export CPCHAIN_NODE="${CPCHAIN_NODE:-$CARGO_TARGET_DIR/release/cpchain-node}"
# The runtime's wasm is built by a nested cargo in a directory outside the repository, where
# rust-toolchain.toml does not apply: without this, the wasm builder takes whichever toolchain
# it finds (rustup's default here), and the wasm would not be built by the pinned compiler.
WASM_BUILD_TOOLCHAIN="${WASM_BUILD_TOOLCHAIN:-$(sed -n 's/^channel = "\(.*\)"$/\1/p' "$REPO_ROOT/rust-toolchain.toml")}"
export WASM_BUILD_TOOLCHAIN

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Runs a command, printing it first together with how long it took.
step() {
	local start=$SECONDS
	log "$*"
	"$@"
	log "done in $((SECONDS - start)) s: $1 ${2:-}"
}
