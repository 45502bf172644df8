#!/usr/bin/env bash
# Every test of the project, from a fresh machine: installs what is missing, then
#   1. formatting (rustfmt, taplo), Markdown links (inside the repository, to files that
#      exist), the workspace's dependency rules, feature propagation (zepter), the licences
#      and sources of every dependency (cargo deny) and lints (clippy, warnings are errors),
#   2. the release build of the workspace (node, runtime, tests) with one feature set,
#   3. unit and integration tests (cargo test),
#   4. end-to-end tests with @polkadot/api against the built node (`--dev --tmp` on free ports)
#      and against the local IPFS daemon (e2e/),
#   5. zombienet: the 4-member local testnet connects, produces and finalises blocks and
#      changes terms (zombienet/smoke.zndsl); then DPoR under faults: one member down, two
#      down, both back, a follower syncing from genesis (zombienet/faults.zndsl); both end
#      by checking that no node logged an error or a panic.
# Each stage prints its duration; a failure names the stage it happened in, and the run ends
# with the duration of every stage. Every wait inside a stage is bounded (test timeouts in
# e2e/, `within` in the zombienet files), so a hang fails the stage instead of the whole run.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/build.sh
source "$REPO_ROOT/scripts/lib/build.sh"
cd "$REPO_ROOT"

total_start=$SECONDS
logs="$(mktemp -d)"

# The stage running now, and "name seconds" of each finished one.
current_stage=""
stage_start=$SECONDS
finished_stages=()
# Starts stage `name` (and ends the one before).
stage() {
	end_stage
	current_stage="$1"
	stage_start=$SECONDS
}
end_stage() {
	[ -z "$current_stage" ] || finished_stages+=("$current_stage $((SECONDS - stage_start))s")
	current_stage=""
}
on_exit() {
	local rc=$?
	rm -rf "$logs"
	if [ "$rc" -ne 0 ]; then
		printf '\033[1;31merror:\033[0m stage "%s" failed after %d s (exit %d); stages before it: %s\n' \
			"${current_stage:-?}" $((SECONDS - stage_start)) "$rc" "${finished_stages[*]:-none}" >&2
	fi
}
trap on_exit EXIT

# Runs a stage with `step`, keeping a copy of its output in $logs/<name>.log for the summary.
counted() {
	local name="$1"
	shift
	step "$@" 2>&1 | tee "$logs/$name.log"
}

# Sums the numbers that follow `pattern` (a sed regex with one group) in a stage's log.
count() {
	sed -n "s/$2/\1/p" "$logs/$1.log" | awk '{ sum += $1 } END { print sum + 0 }'
}

stage setup
step "$REPO_ROOT/scripts/setup.sh" --with-js --with-checks

stage checks
step cargo fmt --all -- --check
# Markdown links must name files of the repository that exist (scripts/lib/check-links.py).
step python3 scripts/lib/check-links.py
# Every crate's dependencies come from [workspace.dependencies], which lists nothing unused.
step python3 scripts/lib/check-manifests.py
# The sources of every locked dependency, which the checks below read offline (a no-op once
# they are in ~/.cargo/registry).
step cargo fetch --locked
# TOML formatting and feature propagation (.config/taplo.toml, .config/zepter.yaml).
step taplo fmt --check --config .config/taplo.toml
step zepter run check
# Licences, banned crates and registries of every dependency (.config/deny.toml), and the
# runtime's own graph under the rule of its Apache-2.0 licence (.config/deny-runtime.toml).
# Errors only: the SDK's crates carry deprecated licence names that cargo deny warns about
# at length; run `cargo deny check` by hand for the warnings.
step cargo deny --log-level error --config .config/deny.toml --offline --locked \
	check licenses bans sources
step cargo deny --log-level error --config .config/deny-runtime.toml \
	--manifest-path runtime/Cargo.toml --offline --locked check licenses
for f in scripts/*.sh scripts/lib/*.sh .ci/run; do bash -n "$f" || die "syntax error in $f"; done
for f in e2e/lib/*.mjs e2e/tests/*.mjs e2e/bench/*.mjs zombienet/checks/*.js scripts/ipfs/*.cjs; do
	node --check "$f" || die "syntax error in $f"
done

stage build
BUILD_TIMINGS=1 build_node
# The ten slowest units of this build (all of them matter on a fresh machine).
python3 scripts/lib/timings-top.py 10
stage clippy
step cargo clippy "${CARGO_PROFILE[@]}" --locked --workspace --all-targets "${CARGO_FEATURES[@]}" -- -D warnings
# The byzantine test member (built only by `scripts/zombienet.sh byzantine`) is linted too,
# so that it cannot rot: only the crates above cpchain-consensus-dpor are checked again.
step cargo clippy "${CARGO_PROFILE[@]}" --locked --workspace --all-targets \
	--features "$FEATURE_SET,cpchain-node/byzantine" -- -D warnings
stage cargo-test
counted cargo cargo test "${CARGO_PROFILE[@]}" --locked --workspace "${CARGO_FEATURES[@]}"

stage e2e
counted e2e npm --prefix "$REPO_ROOT/e2e" test
stage zombienet-smoke
counted zombienet "$REPO_ROOT/scripts/zombienet.sh" test smoke.zndsl
stage zombienet-faults
counted zombienet-faults "$REPO_ROOT/scripts/zombienet.sh" test faults.zndsl

end_stage

cargo_tests=$(count cargo '^test result: ok\. \([0-9]*\) passed.*')
e2e_tests=$(count e2e '^# pass \([0-9]*\)$')
zombienet_checks=$(cat "$logs/zombienet.log" "$logs/zombienet-faults.log" | grep -c '✅' || true)
[ "$cargo_tests" -gt 0 ] && [ "$e2e_tests" -gt 0 ] && [ "$zombienet_checks" -gt 0 ] ||
	die "a test stage ran no tests (cargo $cargo_tests, e2e $e2e_tests, zombienet $zombienet_checks)"
log "tests run: $cargo_tests Rust tests, $e2e_tests end-to-end tests, $zombienet_checks zombienet assertions"
log "stage durations: ${finished_stages[*]}"
log "all tests passed in $((SECONDS - total_start)) s"
