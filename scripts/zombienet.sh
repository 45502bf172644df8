#!/usr/bin/env bash
# Local multi-node CPChain testnets with zombienet (native provider: the nodes are processes
# on this machine).
#
# usage: scripts/zombienet.sh spawn [network.toml]     start a network and keep it running
#        scripts/zombienet.sh test [file.zndsl]        start a network, run its assertions, stop
#        scripts/zombienet.sh byzantine                build the byzantine test node (once per
#                                                      commit) and run byzantine.zndsl
# Paths are relative to zombienet/; the defaults are local.toml and smoke.zndsl.
#
# The zombienet CLI comes from the npm registry (zombienet/package.json). `zombienet setup`
# is never used: it downloads binaries. The node is the release build of this checkout
# (build it with scripts/run.sh or scripts/test.sh first, or set CPCHAIN_NODE).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ZN_DIR="$REPO_ROOT/zombienet"

install() {
	local stamp="$ZN_DIR/node_modules/.package-lock.json"
	if [ -f "$stamp" ] && [ "$stamp" -nt "$ZN_DIR/package-lock.json" ]; then
		return 0
	fi
	log "installing the zombienet CLI from the npm registry (zombienet/, once per checkout)"
	(cd "$ZN_DIR" && npm ci --no-audit --no-fund --loglevel=error)
}

if [ "${1:-}" = byzantine ]; then
	# shellcheck source=lib/build.sh
	source "$REPO_ROOT/scripts/lib/build.sh"
	build_byzantine
	PATH="$BYZANTINE_DIR:$PATH"
fi
[ -x "$CPCHAIN_NODE" ] || die "no node binary at $CPCHAIN_NODE: build it first (scripts/run.sh or scripts/test.sh)"
install
# zombienet runs `cpchain-node` from PATH (see zombienet/local.toml).
PATH="$(dirname "$CPCHAIN_NODE"):$PATH"
export PATH
zombienet=("$ZN_DIR/node_modules/.bin/zombienet" --provider native)

cd "$ZN_DIR"
# Zombienet rewrites the session keys of a plain chain spec with its own fixed list of key
# types (aura, grandpa, babe, ...), which has no `dpor`: give it the `local` preset as a raw
# spec instead (its committee keys are //Alice ... //Dave, which zombienet puts in each node's
# keystore as `dpor` keys, see local.toml).
"$CPCHAIN_NODE" build-spec --chain local --raw --disable-default-bootnode >local-raw.json 2>/dev/null ||
	die "cpchain-node build-spec --chain local --raw failed"
case "${1:-}" in
	spawn) exec "${zombienet[@]}" spawn "${2:-local.toml}" ;;
	test) exec "${zombienet[@]}" test "${2:-smoke.zndsl}" ;;
	byzantine) exec "${zombienet[@]}" test byzantine.zndsl ;;
	*) die "usage: scripts/zombienet.sh <spawn [network.toml]|test [file.zndsl]|byzantine>" ;;
esac
