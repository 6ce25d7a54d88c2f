#!/bin/sh
# The main job: set up compressed swap, show what it adds, push a fio swap stress through it.
# Uses /dev/mtetag0 when the module is there, else zram (the reference device).
. /tests/lib.sh
mem_before=$(meminfo_kb MemTotal)
swap_before=$(meminfo_kb SwapTotal)
# disksize = RAM, so that the stress below fills the carve-out pool and then overflows.
if modprobe mtetag disksize=$((mem_before))K 2>/dev/null && [ -b /dev/mtetag0 ]; then
	dev=/dev/mtetag0
	sys=/sys/block/mtetag0
else
	modprobe zram 2>/dev/null
	dev=/dev/zram0
	sys=/sys/block/zram0
	echo lz4 >$sys/comp_algorithm
	echo $((mem_before * 2))K >$sys/disksize
fi
mkswap $dev >/dev/null && swapon $dev || { echo "demo: swapon $dev failed"; exit 1; }
mem_after=$(meminfo_kb MemTotal)
swap_after=$(meminfo_kb SwapTotal)
printf '%-10s %14s %14s\n' "" "before (kB)" "after (kB)"
printf '%-10s %14s %14s\n' MemTotal "$mem_before" "$mem_after" SwapTotal "$swap_before" "$swap_after"

# A tmpfs file 1.25x RAM, written and verified by fio: the kernel must swap it through $dev.
size_kb=$((mem_before * 5 / 4))
mkdir -p /mnt/stress && mount -t tmpfs -o size=300% tmpfs /mnt/stress
fio --name=swap-stress --filename=/mnt/stress/data --size=${size_kb}k --rw=write --bs=64k --fallocate=none \
	--verify=crc32c --do_verify=1 --buffer_compress_percentage=60 --refill_buffers \
	>/tmp/fio.out 2>&1
fio_rc=$?
verify_errors=$(grep -c 'verify:.*bad' /tmp/fio.out)
grep -E '^ *(READ|WRITE):' /tmp/fio.out
echo "swap used at the end: $(($(meminfo_kb SwapTotal) - $(meminfo_kb SwapFree))) kB"
echo "$sys/mm_stat: $(cat $sys/mm_stat)"
echo "$sys/io_stat: $(cat $sys/io_stat)"
[ -f $sys/tag_stat ] && echo "$sys/tag_stat: $(cat $sys/tag_stat)"
rm -f /mnt/stress/data
umount /mnt/stress
swapoff $dev
echo "demo: MemTotal before=$mem_before after=$mem_after"
echo "demo: SwapTotal before=$swap_before after=$swap_after"
echo "demo: swap device=$dev"
echo "demo: fio rc=$fio_rc verify_errors=$verify_errors"
[ "$fio_rc" = 0 ] && [ "$verify_errors" = 0 ]
