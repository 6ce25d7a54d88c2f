#!/bin/sh
# Booted with CONFIG_MTETAG=y (scripts/test-intree.sh): the device is there without modprobe.
. /tests/lib.sh
tap_plan 6
sys=/sys/block/mtetag0
check "not a module" sh -c "! grep -q '^mtetag ' /proc/modules"
check "/dev/mtetag0 exists at boot" test -b /dev/mtetag0
# Built in, it waits for the boot set-up as zram does: algorithm first, then the size.
check "uninitialised at boot" test "$(cat $sys/initstate)" = 0
check "the boot set-up chooses the algorithm" sh -c "echo zstd >$sys/comp_algorithm"
check "and the size" sh -c "echo 256M >$sys/disksize && grep -q '\[zstd\]' $sys/comp_algorithm"
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
pagehog --percent 40 --seed 4 --threads 1 --pageout >/tmp/hog.out 2>&1
rc=$?
cat /tmp/hog.out
swapoff /dev/mtetag0
check "swap through the built-in device: every page intact" test $rc = 0
tap_exit
