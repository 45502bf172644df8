#!/usr/bin/env bash
# The data plane's end-to-end benchmark: `cpc ingest` (encrypt, store on IPFS, register on
# chain) against `ipfs add` of the same objects on the same daemon, records per second, and
# `cpc fetch`, on a fresh `cpchain-node --dev` and the local IPFS daemon (e2e/bench/ingest.mjs).
#
# usage: scripts/benchmark-ingest.sh
# Environment: READINGS (default 200000: one per 100 ms of device time, ~10 MiB of JSON
# lines), BATCH (records per transaction, default 32).
#
# Prints Markdown rows for docs/benchmarks.md. Run it on an otherwise idle machine.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/build.sh
source "$REPO_ROOT/scripts/lib/build.sh"

"$REPO_ROOT/scripts/setup.sh" --with-js
build_node
"$REPO_ROOT/scripts/ipfs.sh" install
step node "$REPO_ROOT/e2e/bench/ingest.mjs"
