#!/bin/sh
# The carve-out stays out of the page allocator: MemTotal is below the data memory alone.
. /tests/lib.sh
tap_plan 2
data_kb=$(($(cmdline_param mtguest.data_mib) * 1024))
total_kb=$(meminfo_kb MemTotal)
echo "MemTotal=${total_kb} kB, data memory=${data_kb} kB, carve-out=$((data_kb / 32)) kB"
check "MemTotal <= data memory (carve-out excluded)" test "$total_kb" -le "$data_kb"
check "MemTotal > 90% of data memory (data memory not lost)" \
	test "$total_kb" -gt $((data_kb * 9 / 10))
grep -i 'tag-storage' /proc/iomem 2>/dev/null
dmesg | grep -i 'reserved mem.*tag-storage'
tap_exit
