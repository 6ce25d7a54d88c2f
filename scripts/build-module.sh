#!/usr/bin/env bash
# Build drivers/block/mtetag out of tree against the cached kernel, W=1, warnings fatal.
# Built in a copy under the cache so that the clone stays clean; prints the .ko path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$("$MTETAG_ROOT/scripts/build-kernel.sh")
out=$MTETAG_CACHE/module-build
mkdir -p "$out"
rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
	"$MTETAG_ROOT/drivers/block/mtetag/" "$out/src/"
log "building drivers/block/mtetag (W=1)"
if ! make -s -C "$kdir/build" M="$out/src" ARCH=$ARCH CROSS_COMPILE=$CROSS_COMPILE \
	CONFIG_MTETAG=m W=1 KCFLAGS=-Werror -j"$JOBS" modules >"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	die "module build failed"
fi
[ ! -s "$out/build.log" ] || { cat "$out/build.log" >&2; die "module build printed warnings"; }
echo "$out/src/mtetag.ko"
