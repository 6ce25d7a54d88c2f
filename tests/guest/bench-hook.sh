#!/bin/sh
# Cost of the hook (make bench): PROT_MTE fault throughput without the module and with it and
# the carve-out pool full (every first tag may evict), alternated over eight rounds after a
# warm-up run, so that drift of the emulator hits both sides alike; reserve latency from the
# module's histogram. Prints "bench: reserve-ns ...", "bench: mte-fault-rate ..." and, from
# the test build, "bench: pool-lock-hold-max-ns=..." (the longest hold of the pool lock over a
# fill, a fault storm that evicts, a compaction and the teardown of the full device).
# Booted with run-vm.sh --icount, guest time counts instructions: the lines then end in
# "-icount" and measure work done (a nanosecond is an instruction), which the host's load
# cannot disturb, so three rounds do.
. /tests/lib.sh
rounds=8 suffix=""
if [ "$(cmdline_param mtguest.icount)" = 1 ]; then
	rounds=3 suffix=-icount
fi
rate() {
	mte-faultrate --mib 16 --seconds 3 | sed -n 's/.*pages_per_s=\([0-9]*\).*/\1/p'
}
sys=/sys/block/mtetag0
carve_mib=$(($(cmdline_param mtguest.data_mib) / 32))
# Load the module (the command given, modprobe's by default) and fill its pool with
# compressible data (about 3x): four times the carve-out fills the pool and spills over.
load_full() {
	${1:-modprobe mtetag} disksize=0 || { echo "Bail out! load"; exit 1; }
	echo $((carve_mib * 8))M >$sys/disksize
	fio --name=fill --filename=/dev/mtetag0 --rw=write --bs=64k --size=$((carve_mib * 4))M \
		--direct=1 --buffer_compress_percentage=66 --refill_buffers >/dev/null 2>&1
	echo "pool after fill: $(tr '\n' ' ' <$sys/tag_stat)"
	[ "$(tag_field mtetag0 tag_empty)" -le 32 ] || echo "warning: pool not full"
}
rate >/dev/null
sum_without=0 sum_with=0
for round in $(seq $rounds); do
	without=$(rate)
	load_full
	with=$(rate)
	echo "round $round: pages/s without=$without with(pool full)=$with evictions=$(tag_field mtetag0 evictions) evicted_bytes=$(tag_field mtetag0 evicted_bytes) lost=$(tag_field mtetag0 evict_lost) reserves=$(tag_field mtetag0 reserves)"
	if [ $round = 1 ]; then
		head -1 /sys/kernel/debug/mtetag/reserve_latency
		set -- $(head -1 /sys/kernel/debug/mtetag/reserve_latency | tr '=<' '  ')
		p50=$4 p99=$6 max=$8
	fi
	echo 1 >$sys/reset
	rmmod mtetag || { echo "Bail out! rmmod"; exit 1; }
	sum_without=$((sum_without + without)) sum_with=$((sum_with + with))
done
load_full load_mtetag_testing
rate >/dev/null
echo 1 >$sys/compact
echo 1 >$sys/reset
hold=$(cat /sys/kernel/debug/mtetag/lock_hold_max_ns)
echo "longest pool lock hold ended in $(cat /sys/kernel/debug/mtetag/lock_hold_max_at)"
rmmod mtetag || { echo "Bail out! rmmod"; exit 1; }
echo "bench: reserve-ns$suffix p50=$p50 p99=$p99 max=$max"
echo "bench: pool-lock-hold-max-ns$suffix=$hold"
awk -v w="$sum_with" -v a="$sum_without" -v s="$suffix" \
	'BEGIN {printf "bench: mte-fault-rate%s with/without=%.2f\n", s, w / a}'
