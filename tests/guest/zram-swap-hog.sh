#!/bin/sh
# Reference device: zram as swap survives a hog of 1.5x MemTotal whose pages (mixed zero,
# same-filled, random and text) are all verified after swap-in.
. /tests/lib.sh
tap_plan 4
[ -e /sys/class/zram-control ] || modprobe zram 2>/dev/null
[ -e /sys/block/zram0 ] || skip_all "no zram"
total_kb=$(meminfo_kb MemTotal)
check "lz4 offered" grep -qw lz4 /sys/block/zram0/comp_algorithm
echo lz4 >/sys/block/zram0/comp_algorithm
echo $((total_kb * 2))K >/sys/block/zram0/disksize
mkswap /dev/zram0 >/dev/null
swapon /dev/zram0
check "SwapTotal grew to disksize" test "$(meminfo_kb SwapTotal)" -ge $((total_kb * 2 - 4))
pagehog --percent 150 --seed 42
check "every page of a 1.5x RAM hog reads back intact" test $? = 0
cat /sys/block/zram0/mm_stat
swapoff /dev/zram0
check "swapoff brings every page back" test "$(meminfo_kb SwapTotal)" = 0
echo 1 >/sys/block/zram0/reset
tap_exit
