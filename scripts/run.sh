#!/usr/bin/env bash
# The main job: a local CPChain for polkadot.js apps.
#
# Installs what is missing, builds the release node and starts a single-node development
# chain (`--dev`) and a local IPFS daemon beside it (loopback only, offline), both keeping
# their data in $CPCHAIN_DATA_DIR (default: .data/ in the repository) across restarts.
# Ctrl-C stops both.
#
# Environment: RPC_PORT (default 9944), P2P_PORT (30333), PROMETHEUS_PORT (9615),
# CPCHAIN_DATA_DIR, and IPFS_API_PORT (5001), IPFS_GATEWAY_PORT (8080), IPFS_SWARM_PORT
# (4001) for IPFS (see scripts/ipfs.sh). Arguments are passed on to cpchain-node,
# e.g. `./scripts/run.sh --log runtime=debug`. `--purge` wipes the chain data first (the IPFS
# repository is kept).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/build.sh
source "$REPO_ROOT/scripts/lib/build.sh"

RPC_PORT="${RPC_PORT:-9944}"
P2P_PORT="${P2P_PORT:-30333}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9615}"

purge=false
node_args=()
for arg in "$@"; do
	case "$arg" in
		--purge) purge=true ;;
		*) node_args+=("$arg") ;;
	esac
done

"$REPO_ROOT/scripts/setup.sh"
"$REPO_ROOT/scripts/ipfs.sh" install
build_node

node_dir="$CPCHAIN_DATA_DIR/node"
mkdir -p "$node_dir"
if $purge; then
	log "purging the development chain in $node_dir"
	"$CPCHAIN_NODE" purge-chain --dev --base-path "$node_dir" -y
fi

node_pid=""
node_status=""
stop_all() {
	trap - INT TERM EXIT
	if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
		log "stopping cpchain-node"
		kill -INT "$node_pid" 2>/dev/null || true
		for _ in $(seq 1 30); do kill -0 "$node_pid" 2>/dev/null || break; sleep 1; done
		kill -KILL "$node_pid" 2>/dev/null || true
	fi
	if [ -n "$node_pid" ]; then
		# Reaped here, or already by the `wait` at the end of this script.
		local status="${node_status:-0}"
		[ -n "${node_status:-}" ] || wait "$node_pid" 2>/dev/null || status=$?
		if [ "$status" -eq 0 ]; then
			# polkadot-sdk's transaction pool logs this as an error whenever a node stops
			# (paritytech/polkadot-sdk#1773); say so where the user sees it.
			log "cpchain-node stopped cleanly (exit 0). The line \"Essential task \`txpool-background\` failed. Shutting down service.\" above is how polkadot-sdk's transaction pool ends with the node, not a crash."
		else
			log "cpchain-node exited with status $status"
		fi
	fi
	"$REPO_ROOT/scripts/ipfs.sh" stop || true
}
trap stop_all INT TERM EXIT

"$REPO_ROOT/scripts/ipfs.sh" start

log "starting cpchain-node --dev (data in $node_dir)"
"$CPCHAIN_NODE" --dev \
	--base-path "$node_dir" \
	--rpc-port "$RPC_PORT" \
	--port "$P2P_PORT" \
	--prometheus-port "$PROMETHEUS_PORT" \
	--rpc-cors all \
	--no-telemetry \
	${node_args[@]+"${node_args[@]}"} &
node_pid=$!

# Wait for the RPC endpoint before telling the user where it is.
for _ in $(seq 1 120); do
	kill -0 "$node_pid" 2>/dev/null || die "cpchain-node exited during start-up (see its log above)"
	if curl -sf -H 'Content-Type: application/json' \
		-d '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' \
		"http://127.0.0.1:$RPC_PORT" >/dev/null; then
		break
	fi
	sleep 1
done

# Make the node a storage node of the data layer (docs/data-layer.md): Alice, the development
# RNode, signs availability reports with her well-known development key, and the off-chain
# worker pins new records on the IPFS daemon started above.
rpc_call() {
	curl -sf -H 'Content-Type: application/json' \
		-d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":$2}" \
		"http://127.0.0.1:$RPC_PORT" >/dev/null
}
hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
alice_public=0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d
ipfs_api="http://127.0.0.1:${IPFS_API_PORT:-5001}"
if rpc_call author_insertKey "[\"cpds\",\"//Alice\",\"$alice_public\"]" &&
	rpc_call offchain_localStorageSet \
		"[\"PERSISTENT\",\"0x$(hex 'cpchain::ipfs-api')\",\"0x$(hex "$ipfs_api")\"]"; then
	log "storage node: new records are pinned on $ipfs_api and reported by Alice"
else
	log "warning: could not make the node a storage node (unsafe RPC refused?); records are not pinned"
fi

cat >&2 <<MSG

  CPChain development node is running.
    JSON-RPC (WebSocket and HTTP): ws://127.0.0.1:$RPC_PORT
    polkadot.js apps:              https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A$RPC_PORT#/explorer
    Prometheus metrics:            http://127.0.0.1:$PROMETHEUS_PORT/metrics
    IPFS RPC API (Kubo-compatible): http://127.0.0.1:${IPFS_API_PORT:-5001}
    IPFS gateway (read only):      http://127.0.0.1:${IPFS_GATEWAY_PORT:-8080}/ipfs/<cid>
    Data (kept across restarts):   $CPCHAIN_DATA_DIR
    Data plane command line:       $CARGO_TARGET_DIR/release/cpc --help (docs/data-plane.md;
                                   CPC_NODE=ws://127.0.0.1:$RPC_PORT CPC_IPFS=http://127.0.0.1:${IPFS_API_PORT:-5001})
  Press Ctrl-C to stop the node and IPFS.

MSG

status=0
wait "$node_pid" || status=$?
node_status=$status
