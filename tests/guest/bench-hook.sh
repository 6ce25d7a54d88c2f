#!/bin/sh
# Cost of the hook (make bench): PROT_MTE fault throughput without the module, with it and the
# carve-out pool full (every first tag may evict), and without it again; reserve latency from
# the module's histogram. Prints "bench: reserve-ns ..." and "bench: mte-fault-rate ...".
. /tests/lib.sh
rate() {
	mte-faultrate --mib 16 --seconds 5 | sed -n 's/.*pages_per_s=\([0-9]*\).*/\1/p'
}
without1=$(rate)
modprobe mtetag disksize=0 || { echo "Bail out! modprobe"; exit 1; }
sys=/sys/block/mtetag0
carve_mib=$(($(cmdline_param mtguest.data_mib) / 32))
echo $((carve_mib * 8))M >$sys/disksize
# Compressible data, about 3x: four times the carve-out fills the pool and spills over.
fio --name=fill --filename=/dev/mtetag0 --rw=write --bs=64k --size=$((carve_mib * 4))M \
	--direct=1 --buffer_compress_percentage=66 --refill_buffers >/dev/null 2>&1
set -- $(cat $sys/tag_stat)
echo "pool after fill: blocks total=$1 serving=$2 pool=$3 free=$4 pool_bytes=$5 overflow_bytes=$6"
[ "$4" -le 4 ] || echo "warning: pool not full"
with=$(rate)
set -- $(cat $sys/tag_stat)
echo "after the run: evictions=$7 evicted_bytes=$9 lost=${10} reserves=${11}"
head -1 /sys/kernel/debug/mtetag/reserve_latency
set -- $(head -1 /sys/kernel/debug/mtetag/reserve_latency | tr '=<' '  ')
p50=$4 p99=$6 max=$8
echo 1 >$sys/reset
rmmod mtetag
without2=$(rate)
echo "pages/s: without=$without1 with(pool full)=$with without-again=$without2"
echo "bench: reserve-ns p50=$p50 p99=$p99 max=$max"
awk -v w="$with" -v a="$without1" -v b="$without2" \
	'BEGIN {printf "bench: mte-fault-rate with/without=%.2f\n", 2 * w / (a + b)}'
