#!/bin/sh
# Bad sysfs input gets EINVAL and changes nothing; the kernel log stays clean (the runner
# fails the boot on any WARNING).
. /tests/lib.sh
tap_plan 21
modprobe mtetag disksize=0 || { echo "Bail out! modprobe failed"; exit 1; }
sys=/sys/block/mtetag0
check "disksize=0 leaves the device uninitialised" test "$(cat $sys/initstate)" = 0
check_refused "disksize garbage" "Invalid argument" $sys/disksize garbage
check_refused "disksize zero" "Invalid argument" $sys/disksize 0
check_refused "disksize negative" "Invalid argument" $sys/disksize -4096
check_refused "disksize huge" "Invalid argument" $sys/disksize 64P
check_refused "disksize trailing garbage" "Invalid argument" $sys/disksize 1Gx
check_refused "unknown algorithm" "Invalid argument" $sys/comp_algorithm lz5
check_refused "disksize wrapping 64 bits" "Invalid argument" $sys/disksize 17179869184G
check_refused "disksize of 21 digits" "Invalid argument" $sys/disksize 123456789012345678901
check_refused "mem_limit garbage" "Invalid argument" $sys/mem_limit lots
check_refused "mem_limit that PAGE_ALIGN would wrap to 0" "Invalid argument" $sys/mem_limit \
	18446744073709551615
check "mem_limit unchanged (0) after the refusals" test "$(cat $sys/mem_limit)" = 0
check_refused "reset 0" "Invalid argument" $sys/reset 0
check_refused "hot_remove garbage" "Invalid argument" /sys/class/mtetag-control/hot_remove x
check_refused "hot_remove of no device" "No such device" /sys/class/mtetag-control/hot_remove 77
check "still uninitialised after all that" test "$(cat $sys/initstate)" = 0
echo zstd >$sys/comp_algorithm && echo 32M >$sys/disksize
check "zstd then disksize 32M" sh -c "grep -q '\\[zstd\\]' $sys/comp_algorithm && test \$(cat $sys/disksize) = 33554432"
check_refused "algorithm change after init is EBUSY" "busy" $sys/comp_algorithm lz4
id=$(cat /sys/class/mtetag-control/hot_add)
check "hot_add then hot_remove" sh -c "test -b /dev/mtetag$id && echo $id >/sys/class/mtetag-control/hot_remove && test ! -e /dev/mtetag$id"
rmmod mtetag
if modprobe mtetag num_devices=100000 2>/tmp/modprobe.err; then
	not_ok "num_devices=100000 refused"
	rmmod mtetag
else
	ok "num_devices=100000 refused: $(dmesg | grep 'num_devices=' | tail -1)"
fi
if modprobe mtetag disksize=16777216T 2>/tmp/modprobe.err; then
	not_ok "disksize=16777216T (wraps 64 bits) refused at load"
	rmmod mtetag
else
	ok "disksize=16777216T (wraps 64 bits) refused at load"
fi
tap_exit
