#!/bin/sh
# mtetagctl (static arm64 build) driven as zramctl would be, against the real device: set-up
# right after load (a reset first), bad arguments, --find through hot_add, -r through
# hot_remove; its figures match sysfs.
. /tests/lib.sh
tap_plan 19
# disksize=auto whatever modprobe.d says: mtetag0 comes up initialised, unlike zram's devices,
# and the set-up below must reset it before its disksize and algorithm are accepted.
modprobe mtetag disksize=auto || { echo "Bail out! modprobe"; exit 1; }
sys=/sys/block/mtetag0
check "mtetag0 is initialised at load" test "$(cat $sys/initstate)" = 1
check "mtetagctl /dev/mtetag0 -s 64MiB -a zstd right after load" \
	mtetagctl /dev/mtetag0 -s 64MiB -a zstd
check "disksize 67108864, algorithm zstd" sh -c \
	"test \$(cat $sys/disksize) = 67108864 && grep -q '\\[zstd\\]' $sys/comp_algorithm"
check "a bad option exits 1" sh -c 'mtetagctl --no-such-option >/dev/null 2>&1; test $? = 1'
check "a bad size exits 1 and leaves the device alone" sh -c \
	"mtetagctl /dev/mtetag0 -s 12Q >/dev/null 2>&1; test \$? = 1 && test \$(cat $sys/disksize) = 67108864"
check "the default columns are zramctl's" sh -c \
	'test "$(mtetagctl | head -1 | tr -s " ")" = "NAME ALGORITHM DISKSIZE DATA COMPR TOTAL STREAMS MOUNTPOINT"'

fio --name=fill --filename=/dev/mtetag0 --rw=write --bs=64k --size=32M --direct=1 \
	--buffer_compress_percentage=50 --refill_buffers >/dev/null 2>&1
mtetagctl --output-all
json=$(mtetagctl --bytes --json --output-all)
echo "$json" | head -30
# libsmartcols writes one "name": value a line.
field() { echo "$json" | sed -n "s/.*\"$1\": \\([^,]*\\),*$/\\1/p" | head -1; }
set -- $(cat $sys/mm_stat)
check "json data = mm_stat orig_data_size" test "$(field data)" = "$1"
check "json compr = mm_stat compr_data_size" test "$(field compr)" = "$2"
check "json total = mm_stat mem_used_total" test "$(field total)" = "$3"
check "json comp-ratio = data/total" \
	test "$(field comp-ratio)" = "$(awk -v d="$1" -v t="$3" 'BEGIN { printf "%.4f", d / t }')"
check "json disksize = sysfs disksize" test "$(field disksize)" = "$(cat $sys/disksize)"
set -- $(tag_field mtetag0 tag_pages) $(tag_field mtetag0 tag_used) $(tag_field mtetag0 tag_empty)
check "json tag columns = tag_stat" test "$(field tag-total) $(field tag-pool) $(field tag-free)" = "$1 $2 $3"
mtetagctl map | tee /tmp/map.out | head -5
check "map counts the pool pages of tag_stat" grep -q "P packed data $(($2 - $(grep -o 'H' /sys/kernel/debug/mtetag/block_map | wc -l)))" /tmp/map.out

# mtetag0 has a disksize, so --find goes to hot_add, whose new device it resets and sets up.
dev=$(mtetagctl -f -s 16M)
check "--find adds a device through hot_add ($dev)" sh -c "test '$dev' = /dev/mtetag1 && test -b /dev/mtetag1"
check "--find -s sets it up: disksize 16777216" \
	test "$(cat /sys/block/mtetag1/disksize 2>/dev/null)" = 16777216
mtetagctl -r "$dev"
check "-r resets it and removes it through hot_remove" sh -c \
	'! test -e /sys/block/mtetag1 && ! test -b /dev/mtetag1'
check "-r of a device that is gone exits 1" sh -c 'mtetagctl -r /dev/mtetag1 2>/dev/null; test $? = 1'
check "-p reaches algorithm_params (zstd level=1)" mtetagctl /dev/mtetag0 -s 32M -a zstd -p level=1
check "-r /dev/mtetag0 removes it too" sh -c 'mtetagctl -r /dev/mtetag0 && ! test -e /sys/block/mtetag0'
rmmod mtetag
tap_exit
