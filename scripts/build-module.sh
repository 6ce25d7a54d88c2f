#!/usr/bin/env bash
# Build drivers/block/mtetag, its CONFIG_MTETAG_TESTING variant and the test-only
# tests/modules/* out of tree against the cached kernel, W=1, warnings fatal. Built in copies under the cache so that the clone stays
# clean; prints the .ko paths, one a line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cache_lock module${MTETAG_FLAVOUR:+-$MTETAG_FLAVOUR}

kdir=$("$MTETAG_ROOT/scripts/build-kernel.sh")
out=$MTETAG_CACHE/module-build${MTETAG_FLAVOUR:+-$MTETAG_FLAVOUR}
build() { # build SOURCE_DIR NAME [make variables]
	local dir=$1 name=$2
	shift 2
	mkdir -p "$out/$name"
	rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' "$dir/" "$out/$name/src/"
	if ! make -s -C "$kdir/build" M="$out/$name/src" ARCH=$ARCH CROSS_COMPILE=$CROSS_COMPILE \
		W=1 KCFLAGS=-Werror -j"$JOBS" "$@" modules >"$out/$name/build.log" 2>&1; then
		cat "$out/$name/build.log" >&2
		die "$name: module build failed"
	fi
	[ ! -s "$out/$name/build.log" ] || { cat "$out/$name/build.log" >&2; die "$name: warnings"; }
	ls "$out/$name"/src/*.ko
}
log "building drivers/block/mtetag and tests/modules (W=1)"
build "$MTETAG_ROOT/drivers/block/mtetag" mtetag CONFIG_MTETAG=m
# The suites' build: the debugfs audit and the negative control (tests/guest/lib.sh).
build "$MTETAG_ROOT/drivers/block/mtetag" mtetag-testing CONFIG_MTETAG=m CONFIG_MTETAG_TESTING=y
for d in "$MTETAG_ROOT"/tests/modules/*/; do
	build "$d" "$(basename "$d")"
done
