#!/bin/sh
# The kernel's own arm64 MTE selftests (same source tree) while swap through /dev/mtetag0 is
# under pressure: every one must pass. Prints "mte-selftests: <n> passed, <n> failed".
. /tests/lib.sh
modprobe mtetag disksize=0 || { echo "Bail out! modprobe"; exit 1; }
echo $(($(meminfo_kb MemTotal) * 2))K >/sys/block/mtetag0/disksize
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
pagehog --percent 110 --seed 11 --threads 1 --after-fill "sleep 30" >/tmp/hog.out 2>&1 &
hog=$!
sleep 5
passed=0 failed=0 skipped=0
for t in /usr/lib/mte-selftests/check_*; do
	"$t" >/tmp/st.out 2>&1
	rc=$?
	sed 's/^/  /' /tmp/st.out | tail -4
	case $rc in
	0) passed=$((passed + 1)); echo "PASS ${t##*/}" ;;
	4) skipped=$((skipped + 1)); echo "SKIP ${t##*/}" ;;
	*) failed=$((failed + 1)); echo "FAIL ${t##*/} (exit $rc)" ;;
	esac
done
kill $hog 2>/dev/null
wait $hog
grep -q 'audit: clean' /sys/kernel/debug/mtetag/audit || { echo "audit dirty"; failed=$((failed + 1)); }
swapoff /dev/mtetag0
echo "mte-selftests: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
