#!/usr/bin/env bash
# Install everything mtetag needs from Debian's packages. Idempotent; quiet when all is present.
# bookworm-backports (kernel 6.12, QEMU 10) is derived from the machine's own Debian entry so no
# mirror host name lives in the repo.
set -euo pipefail

HOST_PKGS=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross bc flex bison
	libssl-dev libelf-dev cpio device-tree-compiler kmod rsync xz-utils make cmake g++
	libgtest-dev liblz4-dev libzstd-dev dpkg-dev zstd python3 gzip
	libglib2.0-dev libfdt-dev zlib1g-dev ninja-build pkgconf libcli11-dev nlohmann-json3-dev
	clang libclang-rt-14-dev libsmartcols-dev)
# QEMU 10 runs the guests; meson and pycotap build the faithful (patched) QEMU from source.
BPO_PKGS=(linux-source-6.12 qemu-system-arm meson python3-pycotap)
BPO_LIST=/etc/apt/sources.list.d/mtetag-backports.sources

log() { printf 'setup-host: %s\n' "$*" >&2; }

missing() {
	local p out=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
	done
	printf '%s\n' "${out[@]}"
}

# The first URI of the machine's main Debian archive entry (deb822 or one-line format).
debian_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}' "$f"
	done
	grep -hs '^deb .* bookworm main' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
		awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}'
	return 0
}

ensure_backports() {
	[ -f "$BPO_LIST" ] && return 0
	local uri
	uri=$(debian_uri | head -n 1)
	if [ -z "$uri" ]; then
		log "no Debian bookworm entry found in /etc/apt/sources.list*: cannot derive backports"
		exit 1
	fi
	log "enabling bookworm-backports and deb-src from $uri"
	cat >"$BPO_LIST" <<SRC
Types: deb deb-src
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	NEED_UPDATE=1
}

ensure_arm64_arch() {
	dpkg --print-foreign-architectures | grep -qx arm64 && return 0
	log "adding dpkg architecture arm64 (for busybox-static:arm64)"
	dpkg --add-architecture arm64
	NEED_UPDATE=1
}

NEED_UPDATE=0
if [ "$(id -u)" -ne 0 ]; then
	if [ -n "$(missing "${HOST_PKGS[@]}" "${BPO_PKGS[@]}")" ]; then
		log "packages missing and not root: run as root: $0"
		exit 1
	fi
	exit 0
fi

ensure_backports
ensure_arm64_arch
need=$(missing "${HOST_PKGS[@]}")
need_bpo=$(missing "${BPO_PKGS[@]}")
[ -z "$need$need_bpo" ] && [ "$NEED_UPDATE" = 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
apt-get update -qq >/dev/null
if [ -n "$need" ]; then
	log "installing: $(echo $need)"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
if [ -n "$need_bpo" ]; then
	log "installing from bookworm-backports: $(echo $need_bpo)"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends -t bookworm-backports $need_bpo >/dev/null
fi
