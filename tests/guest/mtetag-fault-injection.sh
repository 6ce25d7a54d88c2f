#!/bin/sh
# The bounded case under fault injection (make test-debug): every non-sleeping allocation of
# the tagging processes fails (fail_page_alloc and failslab, task-filtered), so evictions get
# no atomic page. The eviction reserve alone must carry them: no object lost, every byte of
# the device reads back.
. /tests/lib.sh
[ -d /sys/kernel/debug/fail_page_alloc ] ||
	skip_all "no fault injection in this kernel (make test-debug has it)"
tap_plan 5
modprobe mtetag disksize=128M || { echo "Bail out! modprobe failed"; exit 1; }
fill_device 64
inject() { # inject PROBABILITY: for tasks with make-it-fail set
	for f in fail_page_alloc failslab; do
		d=/sys/kernel/debug/$f
		echo Y >$d/task-filter
		echo -1 >$d/times
		# An overflow page is order 0; fail_page_alloc skips those by default.
		[ -e $d/min-order ] && echo 0 >$d/min-order
		echo 1 >$d/verbose
		echo "$1" >$d/probability
	done
}
inject 100
before=$(dmesg | grep -c 'FAULT_INJECTION: forcing a failure')
sh -c 'echo 1 >/proc/self/make-it-fail; exec mte-churn --seconds 15 --threads 2' \
	>/tmp/fchurn.out 2>&1
echo "# churn exit $? (its own non-sleeping allocations failed too): $(tail -1 /tmp/fchurn.out)"
inject 0
injected=$(($(dmesg | grep -c 'FAULT_INJECTION: forcing a failure') - before))
evictions=$(tag_field mtetag0 evictions) lost=$(tag_field mtetag0 evict_lost)
echo "# evictions=$evictions evict_lost=$lost injected failures (rate-limited count)=$injected"
check "allocations failed on purpose ($injected)" test "$injected" -gt 0
check "evictions ran meanwhile ($evictions)" test "$evictions" -gt 0
check "no object lost (evict_lost=$lost)" test "$lost" = 0
check "every byte of the device reads back" verify_device 64
check "reset and rmmod" sh -c 'echo 1 >/sys/block/mtetag0/reset && rmmod mtetag'
tap_exit
