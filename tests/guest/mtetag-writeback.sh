#!/bin/sh
# Writeback, the third tier, to a real block device (a virtio disk backed by a host file)
# while mte-churn tags and frees memory: fio data written back reads back intact, a swap
# round trip whose pages went to the disk reads back intact, and what went there is freed when
# the data is discarded or the device reset. Prints
# "writeback: pages=<N> read_back_mismatches=<N>".
. /tests/lib.sh
tap_plan 11
set -- $(ls /dev/vd? 2>/dev/null)
[ $# -ge 1 ] || skip_all "needs a virtio disk (run-vm.sh --disk)"
bdev=$1
sys=/sys/block/mtetag0
modprobe mtetag || { echo "Bail out! modprobe mtetag"; exit 1; }
echo 1 >$sys/reset
check "backing_dev takes the virtio disk" sh -c "echo $bdev >$sys/backing_dev"
echo 96M >$sys/disksize
start_churn

# 1. Block data: fio checksums, every page idle and written back, then verified from the disk.
fill_device 64
echo all >$sys/idle
check "writeback idle" sh -c "echo idle >$sys/writeback"
written=$(stat_col $sys/bd_stat 3)
echo "# bd_stat: $(cat $sys/bd_stat) mm_stat: $(cat $sys/mm_stat)"
on_disk=$(stat_col $sys/bd_stat 1)
check "pages went to the disk and left the pool" sh -c \
	"[ $written -gt 1000 ] && [ $on_disk = $written ] && [ $(stat_col $sys/mm_stat 2) -lt 65536 ]"
echo 3 >/proc/sys/vm/drop_caches
mismatches=0
verify_device 64 || mismatches=$((mismatches + 1))
check "data written back reads back intact" test $mismatches = 0
check "the reads came from the disk" test "$(stat_col $sys/bd_stat 2)" -ge "$written"
# Overwritten and discarded pages give their blocks back.
fio --name=over --filename=/dev/mtetag0 --rw=write --bs=${PAGE_KB}k --size=8M --direct=1 \
	>/dev/null 2>&1
blkdiscard -o $((8 << 20)) -l $((8 << 20)) /dev/mtetag0
check "overwrites and discards free their blocks" test \
	"$(stat_col $sys/bd_stat 1)" -le $((written - 2 * 8 * 1024 / 4 + 16))
echo 1 >$sys/reset
check "reset releases the disk" test "$(cat $sys/backing_dev)" = none

# 2. Swap: pages out, written back while paged out, faulted in from the disk.
echo $bdev >$sys/backing_dev
echo 256M >$sys/disksize
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
pagehog --percent 120 --seed 11 --threads 1 --pageout \
	--after-fill "echo all >$sys/idle; echo idle >$sys/writeback; cat $sys/bd_stat" \
	>/tmp/hog.out 2>&1
hog_rc=$?
cat /tmp/hog.out
swap_written=$(stat_col $sys/bd_stat 3)
hog_mismatches=$(sed -n 's/.*mismatches=\([0-9]*\).*/\1/p' /tmp/hog.out)
mismatches=$((mismatches + ${hog_mismatches:-1}))
check "swap pages written back read back intact" test "$hog_rc" = 0 -a "${hog_mismatches:-1}" = 0
check "swap pages went to the disk" test "$(stat_col $sys/bd_stat 3)" -gt 0
swapoff /dev/mtetag0
echo "# after swapoff: bd_stat $(cat $sys/bd_stat) mm_stat $(cat $sys/mm_stat)"
# Page 0, the swap header mkswap wrote, may have gone to the disk too (if it had room): it stays.
check "swapoff frees every block but the header's" test "$(stat_col $sys/bd_stat 1)" -le 1
check_churn
echo 1 >$sys/reset
check "rmmod" rmmod mtetag
echo "writeback: pages=$((written + swap_written)) read_back_mismatches=$mismatches"
tap_exit
