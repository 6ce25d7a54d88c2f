#!/bin/sh
# A filesystem on the device, as zram users put /tmp or a build cache on it, while mte-churn
# tags and frees memory: mkfs, mount with discard, fill, verify, delete and fstrim (the freed
# blocks leave the pool), remount, verify again.
. /tests/lib.sh
tap_plan 9
sys=/sys/block/mtetag0
mnt=/mnt/mtetag
modprobe mtetag || { echo "Bail out! modprobe mtetag"; exit 1; }
echo 1 >$sys/reset
echo 128M >$sys/disksize
start_churn
check "mkfs (ext2 layout, mounted by ext4)" sh -c "mke2fs -b $((PAGE_KB * 1024)) /dev/mtetag0 >/tmp/mkfs.out 2>&1"
mkdir -p $mnt
check "mount -t ext4 -o discard" mount -t ext4 -o discard /dev/mtetag0 $mnt
# 48 files of 1 MiB: text, random and zero pages, each with its checksum.
i=0
while [ $i -lt 48 ]; do
	case $((i % 3)) in
	0) yes "build cache line $i of the mtetag ext4 test" | head -c 1048576 ;;
	1) head -c 1048576 /dev/urandom ;;
	2) { head -c 524288 /dev/urandom; head -c 524288 /dev/zero; } ;;
	esac >$mnt/f$i
	i=$((i + 1))
done
(cd $mnt && sha256sum f* >/tmp/ext4.sums)
sync
echo 3 >/proc/sys/vm/drop_caches
check "files read back intact" sh -c "cd $mnt && sha256sum -c -s /tmp/ext4.sums"
full=$(stat_col $sys/mm_stat 1)
echo "# after fill: mm_stat $(cat $sys/mm_stat)"
# Half the files go; their blocks must leave the pool (online discard, then fstrim).
i=0
while [ $i -lt 48 ]; do
	rm $mnt/f$i
	i=$((i + 2))
done
grep -v ' f[0-9]*[02468]$' /tmp/ext4.sums >/tmp/ext4.kept
sync
check "fstrim" fstrim $mnt
after=$(stat_col $sys/mm_stat 1)
echo "# after delete and fstrim: mm_stat $(cat $sys/mm_stat)"
check "freed blocks left the pool (at least 20 of 24 MiB)" test $((full - after)) -ge $((20 << 20))
check "umount and mount again" sh -c "umount $mnt && mount -t ext4 -o discard /dev/mtetag0 $mnt"
echo 3 >/proc/sys/vm/drop_caches
check "kept files read back intact after the remount" sh -c \
	"cd $mnt && sha256sum -c -s /tmp/ext4.kept"
umount $mnt
check_churn
echo 1 >$sys/reset
check "reset and rmmod" rmmod mtetag
tap_exit
