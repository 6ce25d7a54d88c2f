#!/bin/sh
# The backing device is trusted no more than the carve-out: pages written back, then scribbled
# on the disk behind the device's back, read as I/O errors (counted in io_stat's
# corrupt_reads), never as data. The device claims the disk exclusively, which stops other
# claims (mounts, swapon), not a plain open for writing: the test writes through one.
. /tests/lib.sh
tap_plan 4
set -- $(ls /dev/vd? 2>/dev/null)
[ $# -ge 1 ] || skip_all "needs a virtio disk (run-vm.sh --disk)"
bdev=$1
sys=/sys/block/mtetag0
modprobe mtetag || { echo "Bail out! modprobe mtetag"; exit 1; }
echo 1 >$sys/reset
echo $bdev >$sys/backing_dev
echo 32M >$sys/disksize
fill_device 16
echo all >$sys/idle
echo idle >$sys/writeback
on_disk=$(stat_col $sys/bd_stat 1)
check "pages went to the disk ($on_disk)" test "$on_disk" -gt 1000
# Every block the device used: the first 16 MiB of the disk.
dd if=/dev/urandom of=$bdev bs=1M count=16 conv=fsync 2>/dev/null
echo 3 >/proc/sys/vm/drop_caches
corrupt_before=$(stat_col $sys/io_stat 5)
check "reading them back fails" sh -c "! dd if=/dev/mtetag0 of=/dev/null bs=4096 count=4096 2>/dev/null"
corrupt=$(($(stat_col $sys/io_stat 5) - corrupt_before))
dmesg | grep 'failed its checksum' | head -2
check "as checksum failures ($corrupt), not data" test "$corrupt" -gt 0
echo 1 >$sys/reset
check "reset and rmmod" rmmod mtetag
tap_exit
