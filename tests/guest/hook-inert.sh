#!/bin/sh
# The kernel with the hook series but without the module behaves as the stock kernel: the MTE
# churn (tags across swap-out and swap-in, mprotect, THP, frees) runs clean over zram swap.
. /tests/lib.sh
tap_plan 3
check "mtetag not loaded" sh -c "! grep -q '^mtetag ' /proc/modules"
modprobe zram
echo lz4 >/sys/block/zram0/comp_algorithm
echo 256M >/sys/block/zram0/disksize
mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
mte-churn --seconds 10 --threads 2 --hold-mib 8
check "MTE churn with zram swap: tags and data intact" test $? = 0
swapoff /dev/zram0
check "no mtetag debugfs (no module behind the hook)" test ! -e /sys/kernel/debug/mtetag
tap_exit
