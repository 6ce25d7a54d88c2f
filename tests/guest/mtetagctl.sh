#!/bin/sh
# mtetagctl (static arm64 build) against the real device: its figures match sysfs.
. /tests/lib.sh
tap_plan 8
modprobe mtetag disksize=0 || { echo "Bail out! modprobe"; exit 1; }
dev=$(mtetagctl --find --size 64M --algorithm lzo-rle)
check "--find --size sets up a free device ($dev)" test "$dev" = /dev/mtetag0
sys=/sys/block/mtetag0
check "algorithm and size reached sysfs" sh -c \
	"grep -q '\\[lzo-rle\\]' $sys/comp_algorithm && test \$(cat $sys/disksize) = 67108864"
fio --name=fill --filename=$dev --rw=write --bs=64k --size=32M --direct=1 \
	--buffer_compress_percentage=50 --refill_buffers >/dev/null 2>&1
mtetagctl --output-all
json=$(mtetagctl --bytes --json --output-all)
echo "$json" | head -30
field() { echo "$json" | sed -n "s/.*\"$1\": \\([^,]*\\),*$/\\1/p" | head -1; }
set -- $(cat $sys/mm_stat)
check "json data = mm_stat orig_data_size" test "$(field data)" = "$1"
check "json compr = mm_stat compr_data_size" test "$(field compr)" = "$2"
check "json disksize = sysfs disksize" test "$(field disksize)" = "$(cat $sys/disksize)"
set -- $(tag_field mtetag0 tag_pages) $(tag_field mtetag0 tag_used) $(tag_field mtetag0 tag_empty)
check "json tag columns = tag_stat" test "$(field tag-total) $(field tag-pool) $(field tag-free)" = "$1 $2 $3"
mtetagctl map | tee /tmp/map.out | head -5
check "map counts the pool pages of tag_stat" grep -q "P packed data $(($2 - $(grep -o 'H' /sys/kernel/debug/mtetag/block_map | wc -l)))" /tmp/map.out
mtetagctl --reset $dev
check "--reset" test "$(cat $sys/initstate)" = 0
rmmod mtetag
tap_exit
