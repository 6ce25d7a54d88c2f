#!/bin/sh
# The hook under load: mte-churn maps, tags, swaps out and in, checks and frees PROT_MTE memory
# while pagehog drives swap through /dev/mtetag0 with verified pages and fio verifies a second
# device. Afterwards the audit must be clean and nothing may mismatch.
# Short form by default: the churn runs until the hook handled 120,000 reserves (the check
# asks for 100,000), at least 15 s and at most 90 s. mtguest.stress_seconds=N on the kernel
# command line: a long run of exactly N seconds. mtguest.min_reserves=N lowers the 100,000
# for the debug kernel, whose checkers slow every fault.
. /tests/lib.sh
tap_plan 8
seconds=$(cmdline_param mtguest.stress_seconds)
min_reserves=$(cmdline_param mtguest.min_reserves)
min_reserves=${min_reserves:-100000}
if [ -n "$seconds" ]; then
	min_seconds=$seconds seconds=$seconds want_reserves=0
else
	min_seconds=15 seconds=90 want_reserves=$((min_reserves / 5 * 6))
fi
load_mtetag_testing disksize=0 || { echo "Bail out! insmod failed"; exit 1; }
total_kb=$(meminfo_kb MemTotal)
echo $((total_kb * 2))K >/sys/block/mtetag0/disksize
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
id=$(cat /sys/class/mtetag-control/hot_add)
echo 64M >/sys/block/mtetag$id/disksize

# Fill the carve-out pool first so that tagging has objects to evict; hold the pages until the
# churn ends, then verify them.
pagehog --percent 110 --seed 5 --threads 1 \
	--after-fill "while [ ! -e /tmp/churn.done ]; do sleep 1; done" >/tmp/hog.out 2>&1 &
hog=$!
sleep 3
fio --name=verify --filename=/dev/mtetag$id --rw=randwrite --bs=${PAGE_KB}k --size=48M --direct=1 \
	--verify=crc32c --do_verify=1 --buffer_compress_percentage=50 --refill_buffers \
	--loops=1000 --runtime=$min_seconds --time_based=0 >/tmp/fio.out 2>&1 &
fio=$!
# The audit also runs while the churn goes on, when tagged pages are live.
(while [ ! -e /tmp/churn.done ]; do
	cat /sys/kernel/debug/mtetag/audit >>/tmp/audit.during
	sleep 2
done) &
auditor=$!
mte-churn --seconds "$seconds" --threads 4 >/tmp/churn.out 2>&1 &
churn=$!
elapsed=0
while [ $elapsed -lt "$seconds" ] && kill -0 $churn 2>/dev/null; do
	sleep 1
	elapsed=$((elapsed + 1))
	if [ $elapsed -ge "$min_seconds" ] &&
		[ "$(tag_field mtetag0 reserves)" -ge "$want_reserves" ]; then
		kill -USR1 $churn
		break
	fi
done
wait $churn
churn_rc=$?
echo "churned for about $elapsed s"
touch /tmp/churn.done
wait $auditor
grep -c 'audit: clean' /tmp/audit.during | sed 's/^/audits clean during the churn: /'
grep -v 'audit: clean' /tmp/audit.during | head -3
wait $hog
hog_rc=$?
wait $fio
fio_rc=$?
cat /tmp/churn.out /tmp/hog.out
grep -E 'err=|verify' /tmp/fio.out | head -3
evictions=$(tag_field mtetag0 evictions) lost=$(tag_field mtetag0 evict_lost)
reserves=$(tag_field mtetag0 reserves) releases=$(tag_field mtetag0 releases)
returned=$(tag_field mtetag0 returned)
audit=$(cat /sys/kernel/debug/mtetag/audit)
echo "$audit"
cat /sys/kernel/debug/mtetag/reserve_latency | head -1
case $audit in *"audit: clean"*) audit=clean ;; *) audit=dirty ;; esac
grep -q 'audit: dirty' /tmp/audit.during && audit=dirty
grep -q 'audit: clean tagged_pages=[1-9]' /tmp/audit.during ||
	{ echo "no audit saw live tagged pages"; audit=dirty; }
mismatches=$(sed -n 's/.*data_mismatches=\([0-9]*\).*/\1/p' /tmp/churn.out)
hog_bad=$(sed -n 's/.*mismatches=\([0-9]*\)$/\1/p' /tmp/hog.out)
faults=$(sed -n 's/.*tag_faults_unexpected=\([0-9]*\).*/\1/p' /tmp/churn.out)
echo "stress: reserves=$reserves releases=$releases evictions=$evictions" \
	"data_mismatches=$((${mismatches:-1} + ${hog_bad:-1})) tag_faults_unexpected=${faults:-1}" \
	"audit=$audit"
check "mte-churn: tags and data intact, faults only where due" test $churn_rc = 0
check "pagehog through /dev/mtetag0: every page intact" test $hog_rc = 0
check "fio verify on mtetag$id" test $fio_rc = 0
check "audit clean (no tag page covering a tagged page holds data)" test $audit = clean
check "reserve and release both ran (reserves=$reserves releases=$releases)" \
	test "$reserves" -ge "$min_reserves" -a "$releases" -gt 0
check "evictions happened and lost nothing (evictions=$evictions lost=$lost)" \
	test "$evictions" -gt 0 -a "$lost" = 0
check "tag pages came back after their grace period (returned=$returned)" test "$returned" -gt 0
swapoff /dev/mtetag0
echo $id >/sys/class/mtetag-control/hot_remove
check "rmmod after the stress" rmmod mtetag
tap_exit
