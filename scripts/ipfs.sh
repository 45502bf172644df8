#!/usr/bin/env bash
# The local IPFS daemon of a CPChain development setup: loopback only, no bootstrap peers,
# its repository under the project's data directory.
#
# usage: scripts/ipfs.sh <install|start|stop|status>
#   install  install the daemon if needed (nothing to do when Kubo's `ipfs` is on PATH)
#   start    initialise the repository on first use, configure it and start the daemon in the
#            background; returns once its RPC API answers
#   stop     stop the daemon started by `start`
#   status   exit 0 and print the peer id if the daemon answers
#
# Which IPFS: Kubo (`ipfs` on PATH) is what production users run and is preferred. Kubo is
# neither in Debian nor installable from npm here (its npm package downloads the binary at
# install time), so otherwise the script uses js-ipfs 0.66 from the npm registry, which serves
# the same Kubo RPC API (see scripts/ipfs/ and docs/development.md). IPFS_IMPL=kubo|js forces
# one.
#
# Environment: IPFS_PATH (default $CPCHAIN_DATA_DIR/ipfs), IPFS_API_PORT (5001),
# IPFS_GATEWAY_PORT (8080), IPFS_SWARM_PORT (4001), IPFS_RPC_PORT (5003, js-ipfs only).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

export IPFS_PATH="${IPFS_PATH:-$CPCHAIN_DATA_DIR/ipfs}"
IPFS_API_PORT="${IPFS_API_PORT:-5001}"
IPFS_GATEWAY_PORT="${IPFS_GATEWAY_PORT:-8080}"
IPFS_SWARM_PORT="${IPFS_SWARM_PORT:-4001}"
IPFS_RPC_PORT="${IPFS_RPC_PORT:-5003}"
JS_DIR="$REPO_ROOT/scripts/ipfs"
PID_FILE="$IPFS_PATH/daemon.pid"
LOG_FILE="$IPFS_PATH/daemon.log"
API_URL="http://127.0.0.1:$IPFS_API_PORT"

impl="${IPFS_IMPL:-auto}"
if [ "$impl" = auto ]; then
	if command -v ipfs >/dev/null; then impl=kubo; else impl=js; fi
fi
case "$impl" in
	kubo) ipfs_cmd=(ipfs) ;;
	js)
		ipfs_cmd=(node --require="$JS_DIR/polyfill.cjs" "$JS_DIR/node_modules/ipfs/src/cli.js")
		;;
	*) die "IPFS_IMPL must be kubo, js or auto, not '$impl'" ;;
esac

install() {
	if [ "$impl" = kubo ]; then
		command -v ipfs >/dev/null || die "IPFS_IMPL=kubo but no ipfs binary is on PATH"
		return 0
	fi
	command -v node >/dev/null || die "Node.js is required for js-ipfs: run scripts/setup.sh"
	local stamp="$JS_DIR/node_modules/.package-lock.json"
	if [ -f "$stamp" ] && [ "$stamp" -nt "$JS_DIR/package-lock.json" ]; then
		return 0
	fi
	log "installing js-ipfs from the npm registry (scripts/ipfs, once per checkout)"
	(cd "$JS_DIR" && npm ci --no-audit --no-fund --loglevel=error)
}

api_answers() {
	curl -sf -X POST --max-time 5 "$API_URL/api/v0/id" 2>/dev/null
}

running_pid() {
	[ -f "$PID_FILE" ] || return 1
	local pid
	pid="$(cat "$PID_FILE")"
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

start() {
	install
	if running_pid >/dev/null && api_answers >/dev/null; then
		log "IPFS already running: $API_URL (repository $IPFS_PATH)"
		return 0
	fi
	if [ ! -f "$IPFS_PATH/config" ]; then
		log "initialising the IPFS repository in $IPFS_PATH ($impl)"
		mkdir -p "$IPFS_PATH"
		"${ipfs_cmd[@]}" init --profile test >"$IPFS_PATH/init.log" 2>&1 ||
			die "ipfs init failed: see $IPFS_PATH/init.log"
	fi
	local rpc_port=()
	[ "$impl" = js ] && rpc_port=("$IPFS_RPC_PORT")
	node "$JS_DIR/configure.cjs" "$IPFS_PATH" "$IPFS_API_PORT" "$IPFS_GATEWAY_PORT" \
		"$IPFS_SWARM_PORT" ${rpc_port[@]+"${rpc_port[@]}"}

	local daemon_args=()
	[ "$impl" = js ] && daemon_args=(--enable-preload=false)
	log "starting the IPFS daemon ($impl), log in $LOG_FILE"
	nohup "${ipfs_cmd[@]}" daemon ${daemon_args[@]+"${daemon_args[@]}"} >"$LOG_FILE" 2>&1 &
	local pid=$!
	echo "$pid" >"$PID_FILE"
	for _ in $(seq 1 90); do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$LOG_FILE" >&2 || true
			die "the IPFS daemon exited during start-up (log above; is port $IPFS_API_PORT free?)"
		fi
		if api_answers >/dev/null; then
			log "IPFS RPC API ready: $API_URL (repository $IPFS_PATH)"
			return 0
		fi
		sleep 1
	done
	stop
	die "the IPFS daemon did not answer on $API_URL within 90 s (see $LOG_FILE)"
}

stop() {
	local pid
	if ! pid="$(running_pid)"; then
		rm -f "$PID_FILE"
		return 0
	fi
	log "stopping the IPFS daemon (pid $pid)"
	kill -INT "$pid" 2>/dev/null || true
	for _ in $(seq 1 20); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$PID_FILE"
}

status() {
	local id
	id="$(api_answers)" || die "no IPFS daemon answers on $API_URL"
	node -e 'const id = JSON.parse(process.argv[1]); console.log(`${id.ID} ${id.AgentVersion}`)' "$id"
}

case "${1:-}" in
	install) install ;;
	start) start ;;
	stop) stop ;;
	status) status ;;
	*) die "usage: scripts/ipfs.sh <install|start|stop|status>" ;;
esac
