#!/bin/sh
# Booted with CONFIG_MTETAG=y (scripts/test-intree.sh): the device is there without modprobe.
. /tests/lib.sh
tap_plan 4
check "not a module" sh -c "! grep -q '^mtetag ' /proc/modules"
check "/dev/mtetag0 exists at boot" test -b /dev/mtetag0
check "initialised with the default disksize" test "$(cat /sys/block/mtetag0/initstate)" = 1
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
pagehog --percent 40 --seed 4 --threads 1 --pageout >/tmp/hog.out 2>&1
rc=$?
cat /tmp/hog.out
swapoff /dev/mtetag0
check "swap through the built-in device: every page intact" test $rc = 0
tap_exit
