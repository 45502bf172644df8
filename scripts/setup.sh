#!/usr/bin/env bash
# Installs whatever the project needs and is missing on this machine:
#   - Debian packages: protobuf-compiler (litep2p needs protoc), clang and libclang-dev,
#     libssl-dev and pkg-config (the system's OpenSSL for litep2p's WebRTC, see
#     .cargo/config.toml), curl, and Node.js/npm if absent;
#   - the Rust wasm target (wasm32v1-none), rust-src, clippy and rustfmt;
#   - the npm packages of e2e/ (@polkadot/api tests), zombienet/ (the zombienet CLI) and
#     scripts/ipfs/ (js-ipfs, used when no Kubo is on PATH), only when `--with-js` is given;
#   - the checkers of test.sh's checks stage, only when `--with-checks` is given: taplo (TOML
#     formatting, a binary wheel from PyPI), zepter (feature propagation) and cargo-deny
#     (licences, bans and sources of the dependencies), both from crates.io, each at a pinned
#     version.
# Safe to run again: it only installs what is missing.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

with_js=false
with_checks=false
for arg in "$@"; do
	case "$arg" in
		--with-js) with_js=true ;;
		--with-checks) with_checks=true ;;
		*) die "unknown argument: $arg (usage: setup.sh [--with-js] [--with-checks])" ;;
	esac
done

TAPLO_VERSION=0.9.3
ZEPTER_VERSION=1.88.2
CARGO_DENY_VERSION=0.20.2

missing=()
command -v protoc >/dev/null || missing+=(protobuf-compiler)
command -v clang >/dev/null || missing+=(clang)
dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v curl >/dev/null || missing+=(curl)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	log "installing Debian packages: ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v rustup >/dev/null || die "rustup is required (https://rustup.rs); install it and rerun"
# rust-toolchain.toml pins the toolchain; install it (with its target and components) if rustup
# lacks it, rather than leave it to rustup's auto-install, which a user may have turned off.
cd "$REPO_ROOT"
toolchain=$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)
[ -n "$toolchain" ] || die "rust-toolchain.toml names no channel"
if ! rustup toolchain list | grep -q "^$toolchain-"; then
	step rustup toolchain install "$toolchain" --profile minimal \
		--component clippy,rustfmt,rust-src --target wasm32v1-none
fi
installed_targets=$(rustup target list --installed)
grep -qx wasm32v1-none <<<"$installed_targets" || step rustup target add wasm32v1-none
installed_components=$(rustup component list --installed)
for c in rust-src clippy rustfmt; do
	grep -q "^$c" <<<"$installed_components" || step rustup component add "$c"
done

# Installs an npm project from its lockfile unless node_modules is already up to date.
npm_install() {
	local dir="$1"
	local stamp="$dir/node_modules/.package-lock.json"
	if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ]; then
		return 0
	fi
	log "installing npm packages in ${dir#"$REPO_ROOT"/}"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

if $with_js; then
	npm_install "$REPO_ROOT/e2e"
	npm_install "$REPO_ROOT/zombienet"
	"$REPO_ROOT/scripts/ipfs.sh" install
fi
if $with_checks; then
	if [ "$(taplo --version 2>/dev/null)" != "taplo $TAPLO_VERSION" ]; then
		step python3 -m pip install --quiet --disable-pip-version-check "taplo==$TAPLO_VERSION"
	fi
	if [ "$(zepter --version 2>/dev/null)" != "zepter $ZEPTER_VERSION" ]; then
		# Built once per machine, outside the project (its toolchain file, its target dir).
		(cd "$HOME" && step cargo install --locked --quiet zepter --version "$ZEPTER_VERSION" \
			--target-dir "$HOME/.cache/cpchain/tools-target")
	fi
	if [ "$(cargo-deny --version 2>/dev/null)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
		(cd "$HOME" && step cargo install --locked --quiet cargo-deny --version "$CARGO_DENY_VERSION" \
			--target-dir "$HOME/.cache/cpchain/tools-target")
	fi
fi
log "setup complete"
