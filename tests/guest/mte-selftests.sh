#!/bin/sh
# The kernel's own arm64 MTE selftests (same source tree) while swap through /dev/mtetag0 is
# under pressure: every one must pass. Prints "mte-selftests: <n> passed, <n> failed".
. /tests/lib.sh
load_mtetag_testing disksize=0 || { echo "Bail out! insmod"; exit 1; }
echo $(($(meminfo_kb MemTotal) * 2))K >/sys/block/mtetag0/disksize
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
pagehog --percent 110 --seed 11 --threads 1 --after-fill "sleep 30" >/tmp/hog.out 2>&1 &
hog=$!
sleep 5
passed=0 failed=0 skipped=0
# run NAME: one test; its output, then "<exit status> <seconds>", go to /tmp/NAME.out.
run() {
	start=$(cut -d' ' -f1 /proc/uptime)
	"/usr/lib/mte-selftests/$1" >"/tmp/$1.out" 2>&1
	echo "$? $(awk -v s="$start" '{printf "%.1f", $1 - s}' /proc/uptime)" >>"/tmp/$1.out"
}
verdict() {
	set -- "$1" $(tail -1 "/tmp/$1.out")
	sed '$d; s/^/  /' "/tmp/$1.out" | tail -4
	case $2 in
	0) passed=$((passed + 1)); echo "PASS $1 ($3 s)" ;;
	4) skipped=$((skipped + 1)); echo "SKIP $1" ;;
	*) failed=$((failed + 1)); echo "FAIL $1 (exit $2)" ;;
	esac
}
# check_ksm_options mostly sleeps, polling for ksmd's full scans, 10 s: beside the others.
run check_ksm_options &
ksm=$!
for t in /usr/lib/mte-selftests/check_*; do
	t=${t##*/}
	[ "$t" = check_ksm_options ] && continue
	run "$t"
	verdict "$t"
done
wait $ksm
verdict check_ksm_options
kill $hog 2>/dev/null
wait $hog
grep -q 'audit: clean' /sys/kernel/debug/mtetag/audit || { echo "audit dirty"; failed=$((failed + 1)); }
swapoff /dev/mtetag0
echo "mte-selftests: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
