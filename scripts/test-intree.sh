#!/usr/bin/env bash
# The in-tree path: the repo overlaid onto the kernel source (build-kernel.sh does that, with
# mm/hooks/0003 wiring drivers/block/mtetag into Kconfig), CONFIG_MTETAG=m and =y built
# incrementally from the cached build, and the built-in kernel booted.
# Prints one line per check and "intree: N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
	local desc=$1
	shift
	if "$@"; then
		echo "PASS intree: $desc"
		passed=$((passed + 1))
	else
		echo "FAIL intree: $desc"
		failed=$((failed + 1))
	fi
}

kdir=$("$MTETAG_ROOT/scripts/build-kernel.sh") || { echo "intree: 0 passed, 1 failed"; exit 1; }
src=$kdir/src
cache_lock intree
# The cached tree holds the driver as it was when extracted: bring it up to date.
rsync -a --delete "$MTETAG_ROOT/drivers/block/mtetag/" "$src/drivers/block/mtetag/"

build_as() { # build_as m|y: prints the build directory
	local mode=$1 b=$MTETAG_CACHE/intree-$1
	rsync -a --delete "$kdir/build/" "$b/"
	"$src/scripts/config" --file "$b/.config" --set-val MTETAG "$mode"
	make -s -C "$src" O="$b" ARCH=$ARCH CROSS_COMPILE=$CROSS_COMPILE olddefconfig
	grep -qx "CONFIG_MTETAG=$mode" "$b/.config" || return 1
	log "in-tree build with CONFIG_MTETAG=$mode (incremental)"
	# Same flags as the cached build, so that only the driver and the link are redone (the
	# driver's W=1 cleanliness is build-module.sh's check).
	make -s -C "$src" O="$b" ARCH=$ARCH CROSS_COMPILE=$CROSS_COMPILE -j"$JOBS" \
		Image modules >"$b.log" 2>&1 || { tail -20 "$b.log" >&2; return 1; }
	! grep -q 'warning:' "$b.log" || { grep 'warning:' "$b.log" >&2; return 1; }
}

check "CONFIG_MTETAG=m builds mtetag.ko without warnings" build_as m
check "the in-tree module is a loadable module" \
	test -f "$MTETAG_CACHE/intree-m/drivers/block/mtetag/mtetag.ko"
check "CONFIG_MTETAG=y builds into the kernel without warnings" build_as y
check "the built-in kernel has the driver" grep -q ' mtetag_init$\| mtetag_dev_add$' \
	"$MTETAG_CACHE/intree-y/System.map"
out=$("$MTETAG_ROOT/scripts/run-vm.sh" --name intree-builtin --data-mib 512 \
	--kernel-dir "$MTETAG_CACHE/intree-y" mtetag-builtin 2>&1)
echo "$out" | grep -E '^(PASS|FAIL|SKIP) |^# (ok|not ok)'
check "the built-in kernel boots with /dev/mtetag0 and swaps on it" \
	grep -q '^PASS mtetag-builtin' <<<"$out"
echo "intree: $passed passed, $failed failed"
[ "$failed" = 0 ]
