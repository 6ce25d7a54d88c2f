#!/bin/sh
# Load the module while PROT_MTE memory is live (the scan path marks it), then swapoff and
# rmmod while the churn goes on: the churn's tags and data stay intact, the audit stays clean,
# no overflow page is left behind, and the kernel log stays clean (checked by the runner).
. /tests/lib.sh
tap_plan 7
# Ended (SIGUSR1) once the module is gone; 120 s is only the cap.
mte-churn --seconds 120 --threads 2 --hold-mib 16 >/tmp/churn.out 2>&1 &
churn=$!
sleep 3
check "load while 16 MiB of tagged memory is live" load_mtetag_testing disksize=256M
line=$(dmesg | grep 'data pages tagged' | tail -1)
echo "$line"
tagged=$(echo "$line" | sed -n 's/.*: \([0-9]*\) data pages tagged.*/\1/p')
check "the scan found the live tagged pages ($tagged >= 4096)" test "${tagged:-0}" -ge 4096
check "audit clean right after load" grep -q 'audit: clean' /sys/kernel/debug/mtetag/audit
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
pagehog --percent 40 --seed 9 --pageout --threads 1 >/tmp/hog.out 2>&1
check "swap through mtetag0 beside the churn: every page intact" test $? = 0
cat /tmp/hog.out
grep 'audit:' /sys/kernel/debug/mtetag/audit
swapoff /dev/mtetag0
echo 1 >/sys/block/mtetag0/reset
check "after swapoff and reset no overflow page is held" \
	test "$(stat_col /sys/block/mtetag0/mm_stat 10)" = 0
check "rmmod while the churn goes on" rmmod mtetag
sleep 2
kill -USR1 $churn
wait $churn
churn_rc=$?
cat /tmp/churn.out
check "churn intact across load and unload" test $churn_rc = 0
tap_exit
