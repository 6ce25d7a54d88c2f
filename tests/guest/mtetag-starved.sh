#!/bin/sh
# A forced loss: evictions get no reserve, no spare and no atomic page (starve_evictions of
# the test build) while MTE churn claims tag pages that hold objects. The dropped objects
# read as I/O errors, counted as lost_reads, never as zeros or other bytes. Prints the
# "hardening-word: lost_reads_eio=yes" of the summary.
. /tests/lib.sh
tap_plan 5
load_mtetag_testing disksize=128M || { echo "Bail out! insmod"; exit 1; }
fill_device 64
echo 1 >/sys/kernel/debug/mtetag/starve_evictions
# With no reserve, writes take the free tag pages the reserve kept: evictions find none.
fio --name=more --filename=/dev/mtetag0 --rw=write --bs=${PAGE_KB}k --offset=64M --size=16M \
	--direct=1 --buffer_compress_percentage=66 --refill_buffers >/dev/null 2>&1
echo "# free tag pages after starving: $(tag_field mtetag0 tag_empty)"
mte-churn --seconds 10 --threads 2 >/tmp/schurn.out 2>&1
check "the churn's own tags and data intact" test $? = 0
tail -1 /tmp/schurn.out
fio --name=fill --filename=/dev/mtetag0 --rw=write --bs=${PAGE_KB}k --size=64M --direct=1 \
	--verify=crc32c --verify_only --buffer_compress_percentage=66 --refill_buffers \
	--continue_on_error=all >/tmp/starved.out 2>&1
echo "# io_stat: $(cat /sys/block/mtetag0/io_stat)"
echo "# tag_stat: $(tr '\n' ' ' </sys/block/mtetag0/tag_stat)"
lost=$(stat_col /sys/block/mtetag0/io_stat 6)
check "dropped objects read as I/O errors (lost_reads=$lost)" test "${lost:-0}" -gt 0
check "fio read the device, no read returned zeros or other bytes" sh -c "grep -q 'READ:' /tmp/starved.out &&
	! grep -qiE 'verify failed|bad magic|bad header|bad pattern' /tmp/starved.out"
check "reset" sh -c 'echo 1 >/sys/block/mtetag0/reset'
check "rmmod mtetag" rmmod mtetag
[ "$_tap_failed" = 0 ] && echo "hardening-word: lost_reads_eio=yes"
tap_exit
