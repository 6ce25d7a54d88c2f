#!/bin/sh
# The carve-out written behind the pool's back mid-run (the oracle module writes random bytes
# into tag pages that hold objects, as a missed hook path or a late write-back would): the
# objects there read as I/O errors, every other one reads back intact, no read returns other
# bytes, and the pool and the kernel survive to unload. Prints the
# "hardening-word: carveout_scribble=survived" of the summary.
. /tests/lib.sh
tap_plan 7
set -- $(carve_out)
page=$((PAGE_KB * 1024))
mem_pfn=$(($2 / page))
modprobe mtetag disksize=128M || { echo "Bail out! modprobe mtetag"; exit 1; }
modprobe mtetag_oracle tag_base="$1" mem_base="$2" mem_size="$3" ||
	{ echo "Bail out! modprobe mtetag_oracle"; exit 1; }
fill_device 64
# Tag pages holding objects, from the block map: one character per tag page.
used=$(awk '{ for (i = 1; i <= length($2); i++) if (substr($2, i, 1) ~ /[PH]/) print $1 + i - 1 }' \
	/sys/kernel/debug/mtetag/block_map | awk 'NR % 7 == 1' | head -8)
echo "# scribbling tag pages: $(echo $used)"
check "objects lie in the carve-out" test -n "$used"
for t in $used; do
	# The tag bytes (page / 32) of every fourth of its 32 data pages: a quarter of the
	# tag page, random.
	for k in 0 4 8 12 16 20 24 28; do
		echo "$((mem_pfn + t * 32 + k)) $(od -An -tx1 -N$((page / 32)) /dev/urandom |
			tr -d ' \n')" >/sys/kernel/debug/mtetag_oracle/tag_bytes
	done
done
fio --name=fill --filename=/dev/mtetag0 --rw=write --bs=${PAGE_KB}k --size=64M --direct=1 \
	--verify=crc32c --verify_only --buffer_compress_percentage=66 --refill_buffers \
	--continue_on_error=all >/tmp/scribble.out 2>&1
grep -E 'err=|error' /tmp/scribble.out | head -3
echo "# io_stat: $(cat /sys/block/mtetag0/io_stat)"
corrupt=$(stat_col /sys/block/mtetag0/io_stat 5)
scribbled=$(echo $used | wc -w)
check "scribbled objects read as I/O errors (corrupt_reads=$corrupt)" test "${corrupt:-0}" -gt 0
# A page holds a few objects and the split tails of two more: no more than 32 a page may fail.
check "only objects in the $scribbled scribbled pages fail" test "$corrupt" -le $((scribbled * 32))
check "fio read the device, no read returned other bytes" sh -c "grep -q 'READ:' /tmp/scribble.out &&
	! grep -qiE 'verify failed|bad magic|bad header|bad pattern' /tmp/scribble.out"
check "rmmod mtetag_oracle" rmmod mtetag_oracle
check "reset" sh -c 'echo 1 >/sys/block/mtetag0/reset'
check "rmmod mtetag" rmmod mtetag
[ "$_tap_failed" = 0 ] && echo "hardening-word: carveout_scribble=survived"
tap_exit
