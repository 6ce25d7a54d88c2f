# Shared helpers for mtetag's build and run scripts. Source it; do not run it.
# shellcheck shell=bash

MTETAG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MTETAG_CACHE=${MTETAG_CACHE:-$HOME/.cache/mtetag}
ARCH=arm64
CROSS_COMPILE=aarch64-linux-gnu-
JOBS=${JOBS:-$(nproc)}
export ARCH CROSS_COMPILE MTETAG_ROOT MTETAG_CACHE

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Hash of the named files/directories' contents plus any extra strings: the cache key.
# Usage: input_hash STRING... -- PATH...  (absolute paths: the order, hence the key, must not
# depend on how a script was called)
input_hash() {
	local strings=() paths=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do strings+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	paths=("$@")
	{
		printf '%s\n' "${strings[@]}"
		if [ ${#paths[@]} -gt 0 ]; then
			find "${paths[@]}" -type f -print0 2>/dev/null | LC_ALL=C sort -z |
				xargs -0 -r sha256sum | sed "s|$MTETAG_ROOT/||"
		fi
	} | sha256sum | cut -c1-16
}

cross_gcc_version() { "${CROSS_COMPILE}gcc" -dumpfullversion; }
kernel_src_version() { dpkg-query -W -f='${Version}' linux-source-6.12; }

# The guest kernel's flavour: "" (4 KiB pages) or the name of a fragment in scripts/kernel/
# merged over virt.config (16k: 16 KiB pages).
MTETAG_FLAVOUR=${MTETAG_FLAVOUR:-}
export MTETAG_FLAVOUR

# Key of the kernel build: source package, hook patches, the hook header, config, compiler.
# Only the flavour's own fragment: a new flavour leaves the others' builds valid.
kernel_key() {
	input_hash "linux-source-6.12 $(kernel_src_version)" "gcc $(cross_gcc_version)" \
		"flavour $MTETAG_FLAVOUR" -- \
		"$MTETAG_ROOT/mm/hooks" "$MTETAG_ROOT/include" "$MTETAG_ROOT/arch" \
		"$MTETAG_ROOT/drivers/block/mtetag/Kconfig" "$MTETAG_ROOT/scripts/kernel/virt.config" \
		${MTETAG_FLAVOUR:+"$MTETAG_ROOT/scripts/kernel/$MTETAG_FLAVOUR.config"} \
		"$MTETAG_ROOT/scripts/build-kernel.sh"
}
kernel_dir() { echo "$MTETAG_CACHE/kernel${MTETAG_FLAVOUR:+-$MTETAG_FLAVOUR}-$(kernel_key)"; }

# Build the host tools (CMake) once per source change; prints the build directory.
# CMake pins a build tree to one source path, so each clone gets its own tree.
host_build() {
	local dir
	dir=$MTETAG_CACHE/host-build-$(printf '%s' "$MTETAG_ROOT" | sha256sum | cut -c1-12)
	cache_lock "${dir##*/}"
	cmake -S "$MTETAG_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null ||
		die "cmake configure failed"
	cmake --build "$dir" -j"$JOBS" >"$dir.log" 2>&1 || { cat "$dir.log" >&2; die "host build failed"; }
	echo "$dir"
}

# QEMU's RAM for a layout: data plus its 1/32 carve-out.
vm_ram_mib() { echo $(($1 + $1 / 32)); }
# The emulated machine; make-dtb.sh must dump its tree with exactly these options.
QEMU_MACHINE=${QEMU_MACHINE:-virt,mte=on}
QEMU_CPU=max,pauth-impdef=on
export QEMU_MACHINE

# Serialise builds of one kind of product: two runs sharing the cache must not build into the
# same directory at once (the second waits, then finds the product built).
cache_lock() {
	mkdir -p "$MTETAG_CACHE"
	exec {MTETAG_LOCK_FD}>"$MTETAG_CACHE/.lock-$1"
	flock "$MTETAG_LOCK_FD"
}
