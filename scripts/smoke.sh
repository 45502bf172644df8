#!/usr/bin/env bash
# Smoke test of the built node over JSON-RPC: starts `cpchain-node --dev --tmp` on free
# ports, checks system_chain and system_properties, waits until blocks are produced and
# finalised (bounded wait), submits a malformed extrinsic and expects an RPC error, then
# stops the node. Prints "N passed, N failed".
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[ -x "$CPCHAIN_NODE" ] || die "no node at $CPCHAIN_NODE: build it first"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rpc_port=$(free_port)
log_file=$(mktemp)
"$CPCHAIN_NODE" --dev --tmp --rpc-port "$rpc_port" --port "$(free_port)" \
	--prometheus-port "$(free_port)" --no-telemetry >"$log_file" 2>&1 &
node_pid=$!
cleanup() {
	kill -INT "$node_pid" 2>/dev/null || true
	for _ in $(seq 1 20); do kill -0 "$node_pid" 2>/dev/null || break; sleep 1; done
	kill -KILL "$node_pid" 2>/dev/null || true
	rm -f "$log_file"
}
trap cleanup EXIT

rpc() {
	curl -s -H 'Content-Type: application/json' \
		-d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":${2:-[]}}" \
		"http://127.0.0.1:$rpc_port"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

for _ in $(seq 1 120); do
	rpc system_health >/dev/null 2>&1 && break
	kill -0 "$node_pid" 2>/dev/null || { cat "$log_file"; die "node exited during start-up"; }
	sleep 1
done

passed=0
failed=0
check() {
	if [ "$2" = "$3" ]; then passed=$((passed + 1)); log "ok: $1"
	else failed=$((failed + 1)); warn "FAILED: $1: expected '$3', got '$2'"; fi
}

check "system_chain" "$(rpc system_chain | json 'd["result"]')" "CPChain Development"
check "token symbol" "$(rpc system_properties | json 'd["result"]["tokenSymbol"]')" "CPC"
check "token decimals" "$(rpc system_properties | json 'd["result"]["tokenDecimals"]')" "18"
check "ss58 format" "$(rpc system_properties | json 'd["result"]["ss58Format"]')" "42"

finalized_number() {
	local hash
	hash=$(rpc chain_getFinalizedHead | json 'd["result"]')
	rpc chain_getHeader "[\"$hash\"]" | json 'int(d["result"]["number"], 16)'
}
# Blocks come every 3 s; allow a generous bound for loaded machines.
reached=0
for _ in $(seq 1 60); do
	if [ "$(finalized_number)" -ge 3 ]; then reached=1; break; fi
	sleep 2
done
check "finalised height reaches 3" "$reached" "1"

check "malformed extrinsic rejected with an error" \
	"$(rpc author_submitExtrinsic '["0x0102030405"]' | json '"error" in d')" "True"
before=$(finalized_number)
sleep 9
after=$(finalized_number)
check "finality goes on after bad input" "$([ "$after" -gt "$before" ] && echo yes || echo "no ($before -> $after)")" "yes"

echo "smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
